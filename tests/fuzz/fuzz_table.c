/* libFuzzer target: census tables (geo/read/table.c, cell.c, parse_number.c).
 * The blob is a CSV file in GDAL's /vsimem/; the table is opened on key "id"
 * (or its first field), every column is loaded, and every cell is converted
 * to a number and to text, as the join does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

#include "read/read_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sg_ctx *ctx;

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
    return 0;
}

static void load(sg_table_spec *spec) {
    sg_table t;
    if (sg__table_open(ctx, spec, "id", &t) == SG_OK) {
        int n = t.nfields < 16 ? t.nfields : 16;
        for (int i = 0; i < n; i++)
            if (sg__table_want(&t, i) < 0) __builtin_trap();
        if (sg__table_load(ctx, &t) == SG_OK || t.nrows) {
            for (size_t r = 0; r < t.nrows; r++) {
                size_t row;
                if (t.keys[r] && *t.keys[r] && sg__utf8_valid(t.keys[r], NULL) && !sg__keyindex_get(&t.index, t.keys[r], &row))
                    __builtin_trap(); /* every usable key is indexed */
                for (int k = 0; k < t.ncols; k++) {
                    const sg_cell *c = &t.cells[r * (size_t)t.ncols + (size_t)k];
                    double v;
                    const char *why = NULL;
                    (void)sg__cell_number(c, &v, &why);
                    free(sg__cell_text(c));
                }
            }
        }
    }
    sg__table_free(&t);
    sg_ctx_clear(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx) return 0;
    const char *path = "/vsimem/fuzz_table.csv";
    VSILFILE *fp = VSIFileFromMemBuffer(path, (GByte *)data, (vsi_l_offset)size, FALSE);
    if (!fp) return 0;
    VSIFCloseL(fp);
    sg_table_spec spec = {.path = (char *)path};
    load(&spec);
    /* The same file with an explicit key: the first field's name. */
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ds) {
        OGRLayerH l = GDALDatasetGetLayerCount(ds) ? GDALDatasetGetLayer(ds, 0) : NULL;
        OGRFeatureDefnH d = l ? OGR_L_GetLayerDefn(l) : NULL;
        if (d && OGR_FD_GetFieldCount(d) > 0) {
            char *key = sg__strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, 0)));
            GDALClose(ds);
            ds = NULL;
            sg_table_spec s2 = {.path = (char *)path, .key = key};
            if (key) load(&s2);
            free(key);
        }
        if (ds) GDALClose(ds);
    }
    VSIUnlink(path);
    return 0;
}
