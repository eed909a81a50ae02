/* libFuzzer target: the end-to-end input path. The blob is a district layer
 * (GeoJSON, or anything GDAL recognises) in GDAL's /vsimem/, optionally
 * followed by a line "-----" and a CSV census table joined on "id"; it goes
 * through sg_options_parse and the whole sg_analyze pipeline (read, validate,
 * project, every index family, write) into a temporary output directory.
 * Besides crashes, it checks that a successful run accounts for every
 * district read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

#include "read/read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sg_ctx *ctx;
static char outdir[64];
static char out_layer[128], out_summary[128];

static void cleanup(void) {
    remove(out_layer);
    remove(out_summary);
    rmdir(outdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    /* A blob GDAL reads as, say, an OGR VRT may name /vsicurl/ URLs: any
     * HTTP request goes to a closed port on this machine and fails. */
    CPLSetConfigOption("GDAL_HTTP_PROXY", "127.0.0.1:9");
    CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
    CPLSetConfigOption("GDAL_HTTP_MAX_RETRY", "0");
    ctx = sg_ctx_create();
    /* Under $TMPDIR (tools/fuzz.sh points it at its own scratch directory):
     * libFuzzer may end without running atexit handlers. */
    const char *tmp = getenv("TMPDIR");
    snprintf(outdir, sizeof outdir, "%s/seggap-fuzz-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(outdir)) abort();
    snprintf(out_layer, sizeof out_layer, "%s/districts.geojson", outdir);
    snprintf(out_summary, sizeof out_summary, "%s/summary.json", outdir);
    atexit(cleanup);
    return 0;
}

static const char sep[] = "\n-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx) return 0;
    size_t dsize = size, tsize = 0;
    const uint8_t *table = NULL;
    for (size_t i = 0; i + sizeof sep - 1 <= size; i++)
        if (memcmp(data + i, sep, sizeof sep - 1) == 0) {
            dsize = i;
            table = data + i + sizeof sep - 1;
            tsize = size - dsize - (sizeof sep - 1);
            break;
        }
    const char *dpath = "/vsimem/fuzz_districts.geojson", *tpath = "/vsimem/fuzz_census.csv";
    VSILFILE *fp = VSIFileFromMemBuffer(dpath, (GByte *)data, (vsi_l_offset)dsize, FALSE);
    if (!fp) return 0;
    VSIFCloseL(fp);
    if (table) {
        fp = VSIFileFromMemBuffer(tpath, (GByte *)table, (vsi_l_offset)tsize, FALSE);
        if (fp) VSIFCloseL(fp);
    }
    /* The blob's size picks more options, so that regions, inference and
     * --strict are fuzzed too, deterministically for a given input. */
    const char *args[32] = {"--districts", dpath, "--id", "id", "--total", "total", "--group", "group",
                            "--out", outdir, "--quiet", "--local-permutations", "9"};
    int argc = 13;
    if (table) {
        args[argc++] = "--table";
        args[argc++] = tpath;
        args[argc++] = "--table-key";
        args[argc++] = "id";
    }
    switch (size % 4) {
    case 1:
        args[argc++] = "--strict";
        break;
    case 2:
        args[argc++] = "--by";
        args[argc++] = "id";
        break;
    case 3:
        args[argc++] = "--permutations";
        args[argc++] = "3";
        args[argc++] = "--bootstrap";
        args[argc++] = "3";
        args[argc++] = "--threads";
        args[argc++] = "1";
        break;
    default:
        break;
    }
    args[argc] = NULL;
    sg_options *o = NULL;
    sg_run *run = NULL;
    remove(out_layer);
    remove(out_summary);
    if (sg_options_parse(ctx, argc, (char *const *)args, &o, NULL) != SG_OK) __builtin_trap();
    sg_status st = sg_analyze(ctx, o, &run);
    if (st == SG_OK) {
        /* Every district read is in the layer; the counts add up. */
        size_t nread = 0, used = 0, excl = 0;
        sg_run_counts(run, &nread, &used, &excl);
        if (used == 0 || used + excl != nread || access(out_layer, R_OK) != 0 || access(out_summary, R_OK) != 0)
            __builtin_trap();
        GDALDatasetH ds = GDALOpenEx(out_layer, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        if (!ds) __builtin_trap();
        long long nout = OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), 1);
        GDALClose(ds);
        if (nout != (long long)nread) __builtin_trap();
    } else {
        if (run) __builtin_trap();
        /* A failed run writes nothing (an output error may leave the layer
         * written before the summary failed). */
        if (st != SG_ERR_OUTPUT && (access(out_layer, F_OK) == 0 || access(out_summary, F_OK) == 0))
            __builtin_trap();
    }
    sg_run_destroy(run);
    sg_options_free(o);
    sg_ctx_clear(ctx);
    VSIUnlink(dpath);
    if (table) VSIUnlink(tpath);
    return 0;
}
