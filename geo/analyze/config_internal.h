/* The YAML config's loader, shared by config.c (the file, the analyze keys)
 * and config_check.c (the check: section). Private to geo/analyze/. */
#ifndef SEGGAP_GEO_ANALYZE_CONFIG_INTERNAL_H
#define SEGGAP_GEO_ANALYZE_CONFIG_INTERNAL_H

#include <yaml.h>

#include "analyze/analyze.h"

typedef struct loader {
    sg_ctx *ctx;
    sg_config *cfg;
    yaml_document_t doc;
    char **argv;
    int argc, cap;
} loader;

/* The line of a node (1-based; 0 for none). */
int sg__cfg_line(const yaml_node_t *n);
/* E_CONFIG "FILE: line N: message" (SG_ERR_USAGE). */
sg_status sg__cfg_error(loader *L, const yaml_node_t *at, const char *fmt, ...) SG_PRINTF(3, 4);
yaml_node_t *sg__cfg_node(loader *L, int id);
/* The text of a scalar node, else NULL. */
const char *sg__cfg_scalar(const yaml_node_t *n);
/* "a mapping", "a list", "a value", "nothing". */
const char *sg__cfg_type_name(const yaml_node_t *n);
/* A value of the right type for key, else an E_CONFIG error with the line. */
sg_status sg__cfg_need_scalar(loader *L, const char *key, const yaml_node_t *v, const char **out);
sg_status sg__cfg_need_bool(loader *L, const char *key, const yaml_node_t *v, int *out);
sg_status sg__cfg_need_number(loader *L, const char *key, const yaml_node_t *v, double *out);
sg_status sg__cfg_need_int(loader *L, const char *key, const yaml_node_t *v, long long lo, long long hi,
                           long long *out);
/* Every key of a mapping a plain name, and each once. */
sg_status sg__cfg_check_duplicates(loader *L, const yaml_node_t *map, const char *where);
/* A path relative to the config's directory (connection strings, URLs and
 * absolute paths as they are). */
char *sg__cfg_resolve(const sg_config *cfg, const char *p);
/* The check: section (config_check.c). */
sg_status sg__cfg_load_check(loader *L, const yaml_node_t *map);

#endif
