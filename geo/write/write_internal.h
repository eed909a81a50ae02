/* geo/write/ internals: what files of write/ share with each other and no
 * later folder needs. Included only by files of write/ (write.h says it
 * exists). */
#ifndef SEGGAP_GEO_WRITE_INTERNAL_H
#define SEGGAP_GEO_WRITE_INTERNAL_H

#include <stdio.h>

#include "write/write.h"

/* ---- the objective layers (layers.c, format.c) ---- */
typedef struct sg_lspec {
    const char *name;       /* layer and file name */
    sg_lfield *f;
    size_t nf, cap;         /* fields, room for them */
    size_t n;
    const sg_city *city;    /* polygons: the districts */
    const double *px, *py;  /* points (the services), working CRS */
} sg_lspec;
/* GeoPackage: the layers plus layer_styles (QGIS applies the default style). */
sg_status sg__write_gpkg(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L,
                         const sg_style_key *keys, size_t nl);
/* Shapefiles in DIR/shp/: each written into a temporary directory and its
 * files renamed into place; fields.csv maps the short names back. */
sg_status sg__write_shp(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L,
                        const sg_style_key *keys, size_t nl);

/* ---- report.html (report.c, report_map.c) ---- */
#define SG_REPORT_MAP_MAX 20000 /* above: maps on a grid of cells (README, report.html) */
/* s with &, <, >, " and ' escaped for HTML. */
void sg__html_esc(FILE *m, const char *s);
/* With --standard (report_access.c): the lead sentences of the objective 5
 * section, and the rule's sentence (ending its paragraph). Each returns 0 and
 * writes nothing without standards. */
int sg__report_standards(FILE *m, const struct sg_run *run);
int sg__report_standards_rule(FILE *m, const struct sg_run *run);
/* A map: the districts coloured, with a legend of nleg classes. */
typedef struct sg_map_in {
    const char *title;
    const unsigned *fill;      /* n colours */
    const char *const *tip;    /* n tooltip texts */
    size_t nleg;
    const char *const *leg_label;
    const unsigned *leg_rgb;
    const size_t *leg_count;
} sg_map_in;
/* The map as an inline SVG <figure> of the working-CRS geometry (a grid of
 * cells above SG_REPORT_MAP_MAX districts). */
void sg__svg_map(sg_ctx *ctx, FILE *m, const struct sg_run *run, const sg_map_in *mi);
/* The segregation profile section (--scales): an SVG line chart and a table (report_profile.c). */
void sg__report_profile(FILE *m, const struct sg_run *run);

#endif
