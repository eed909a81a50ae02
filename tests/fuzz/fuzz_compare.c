/* libFuzzer target: compare's reader of a seggap run (geo/compare/compare.c):
 * summary.json (json-c: the indices and their values) and districts.geojson
 * (OGR: id, total, group, status), then the matching, the two-value test and
 * the decomposition against a fixed baseline run. The blob is the current
 * run's summary.json, optionally followed by a line "-----" and its
 * districts.geojson. Invariants: a failed run returns no comparison; a
 * successful one has its JSON and its text, and the text that the CLI prints
 * holds no control byte but newlines and tabs (input is escaped). */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>

#include "compare/compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sg_ctx *ctx;
static char dir[64], base[96], cur[96], out[96];

/* The baseline: three districts of one city, as seggap analyze writes them
 * (the parts compare reads). */
static const char base_summary[] =
    "{\"tool\": \"seggap\", \"created\": \"2026-01-01T00:00:00Z\", \"indices\": {"
    "\"dissimilarity\": {\"value\": 0.25}, \"isolation\": {\"value\": 0.3}, \"entropy\": {\"value\": 0.05},"
    "\"gini\": {\"value\": null}}}";
static const char base_layer[] =
    "{\"type\": \"FeatureCollection\", \"features\": ["
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"00001\", \"total\": 100.0, \"group\": 10.0, \"status\": \"ok\"},"
    " \"geometry\": {\"type\": \"Point\", \"coordinates\": [13.0, 52.0]}},"
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"00002\", \"total\": 200.0, \"group\": 80.0, \"status\": \"ok\"},"
    " \"geometry\": {\"type\": \"Point\", \"coordinates\": [13.1, 52.0]}},"
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"00003\", \"total\": 0.0, \"group\": 0.0, \"status\": \"zero_total\"},"
    " \"geometry\": {\"type\": \"Point\", \"coordinates\": [13.2, 52.0]}}]}";

static char *file(const char *d, const char *name) {
    static char p[2][160];
    static int k;
    char *s = p[k++ % 2];
    snprintf(s, sizeof p[0], "%s/%s", d, name);
    return s;
}

static void put(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
}

static void cleanup(void) {
    remove(file(base, "summary.json"));
    remove(file(base, "districts.geojson"));
    remove(file(cur, "summary.json"));
    remove(file(cur, "districts.geojson"));
    remove(file(out, "compare.json"));
    rmdir(base);
    rmdir(cur);
    rmdir(out);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    GDALAllRegister();
    ctx = sg_ctx_create();
    const char *tmp = getenv("TMPDIR"); /* tools/fuzz.sh: its own scratch directory */
    snprintf(dir, sizeof dir, "%s/seggap-fuzz-cmp-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(base, sizeof base, "%s/base", dir);
    snprintf(cur, sizeof cur, "%s/cur", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    if (mkdir(base, 0700) || mkdir(cur, 0700) || mkdir(out, 0700)) abort();
    put(file(base, "summary.json"), base_summary, sizeof base_summary - 1);
    put(file(base, "districts.geojson"), base_layer, sizeof base_layer - 1);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx) return 0;
    static const char sep[] = "\n-----\n";
    const uint8_t *cut = size >= sizeof sep - 1 ? memmem(data, size, sep, sizeof sep - 1) : NULL;
    size_t n1 = cut ? (size_t)(cut - data) : size;
    put(file(cur, "summary.json"), data, n1);
    if (cut) put(file(cur, "districts.geojson"), cut + sizeof sep - 1, size - n1 - (sizeof sep - 1));
    else remove(file(cur, "districts.geojson"));
    sg_compare_options co = {.baseline = base, .current = cur, .out_dir = out, .permutations = 9, .seed = 7};
    sg_compare *c = NULL;
    sg_status st = sg_compare_run(ctx, &co, &c);
    if (st != SG_OK && c) __builtin_trap();
    if (st == SG_OK) {
        if (!c || !sg_compare_json(c) || !sg_compare_text(c)) __builtin_trap();
        for (const unsigned char *p = (const unsigned char *)sg_compare_text(c); *p; p++)
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F) __builtin_trap();
    }
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++)
        for (const unsigned char *p = (const unsigned char *)sg_ctx_diag(ctx, i)->message; *p; p++)
            if (*p < 0x20 || *p == 0x7F) __builtin_trap(); /* messages are escaped */
    sg_compare_destroy(c);
    sg_ctx_clear(ctx);
    return 0;
}
