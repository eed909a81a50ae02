/* Shared helpers for seggap's cmocka tests (header-only, static functions). */
#ifndef SEGGAP_TEST_SUPPORT_H
#define SEGGAP_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "seggap.h"

/* bookworm's cmocka 1.1.5 has no assert_double_equal, and assert_float_equal
 * casts to float. Relative tolerance when want != 0, else absolute. */
#define sg_assert_near(got, want, tol) sg__assert_near((got), (want), (tol), #got, __FILE__, __LINE__)
static inline void sg__assert_near(double got, double want, double tol, const char *expr, const char *file,
                                   int line) {
    double err = fabs(got - want), scale = fabs(want) > 0 ? fabs(want) : 1.0;
    if (!(err <= tol * scale)) {
        print_error("%s = %.17g, want %.17g (rel. tol %g, off by %.3g)\n", expr, got, want, tol, err / scale);
        _fail(file, line);
    }
}

static inline int sg_test_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

#define SHARED(rel) SG_SHARED_DIR "/" rel

/* Skips the test when ../shared (real data) is not beside the checkout;
 * under CI (CI set) that is a failure, never a silent skip. */
#define REQUIRE_SHARED(rel)                                                     \
    do {                                                                        \
        if (!sg_test_exists(SHARED(rel))) {                                     \
            if (getenv("CI")) fail_msg("shared data missing in CI: %s", SHARED(rel)); \
            print_message("shared data missing: %s (skipped)\n", SHARED(rel)); \
            skip();                                                             \
        }                                                                       \
    } while (0)

/* A fresh temporary directory per test; removed with rm -r at teardown. */
static inline char *sg_test_tmpdir(void) {
    char tmpl[] = "/tmp/seggap-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}
static inline void sg_test_rmdir(char *dir) {
    if (!dir) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system(cmd);
    (void)rc;
    free(dir);
}

/* The usual cmocka fixture: a context and a temporary directory per test
 * (cmocka_unit_test_setup_teardown(t, sg_test_setup, sg_test_teardown)). */
typedef struct sg_test_fixture {
    sg_ctx *ctx;
    char *dir;
} sg_test_fixture;
static inline int sg_test_setup(void **state) {
    sg_test_fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    *state = f;
    return 0;
}
static inline int sg_test_teardown(void **state) {
    sg_test_fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f);
    return 0;
}

static inline char *sg_test_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static inline void sg_test_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* A district for a fixture layer. total/group are text; NULL writes a null
 * field. wkt NULL writes a feature without geometry. */
typedef struct fx_row {
    const char *wkt;
    const char *id;
    const char *total;
    const char *group;
} fx_row;

/* Writes a district layer with fields id (String), total and group (Real when
 * numeric, else String). epsg 0 writes no CRS. */
static inline void fx_write(const char *path, const char *driver, int epsg, const fx_row *rows, size_t n,
                            int numeric) {
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName(driver);
    assert_non_null(drv);
    remove(path);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "districts", srs, wkbUnknown, NULL);
    if (!lyr) lyr = GDALDatasetCreateLayer(ds, "districts", srs, wkbPolygon, NULL);
    assert_non_null(lyr);
    const char *names[3] = {"id", "total", "group"};
    for (int k = 0; k < 3; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(names[k], k == 0 || !numeric ? OFTString : OFTReal);
        assert_int_equal(OGR_L_CreateField(lyr, fd, 1), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    for (size_t i = 0; i < n; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        const char *vals[3] = {rows[i].id, rows[i].total, rows[i].group};
        for (int k = 0; k < 3; k++) {
            if (!vals[k]) OGR_F_SetFieldNull(f, k);
            else if (k > 0 && numeric) OGR_F_SetFieldDouble(f, k, strtod(vals[k], NULL));
            else OGR_F_SetFieldString(f, k, vals[k]);
        }
        if (rows[i].wkt) {
            OGRGeometryH g = NULL;
            char *w = (char *)rows[i].wkt;
            assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
            OGR_F_SetGeometryDirectly(f, g);
        }
        assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    if (srs) OSRDestroySpatialReference(srs);
}

/* Unit squares in lon/lat near Berlin: column c, row r, 0.01 degrees wide. */
static inline char *fx_square(int c, int r) {
    char *s = malloc(256);
    double x = 13.0 + 0.01 * c, y = 52.0 + 0.01 * r;
    snprintf(s, 256, "POLYGON((%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f))", x, y, x + 0.01, y, x + 0.01,
             y + 0.01, x, y + 0.01, x, y);
    return s;
}

/* Runs sg_analyze on an argument list ending with NULL. */
/* A row of a generic layer: geometry WKT (NULL: none) and up to 3 values. */
typedef struct sg_test_lrow {
    const char *wkt;
    const char *v[3];
} sg_test_lrow;

/* Writes layer `lname` into the GeoPackage path (created, or added to an existing GPKG).
 * epsg 0: no CRS. Real fields take strtod of the text, NULL is null. */
static inline void sg_test_layer_write(const char *path, const char *lname, int epsg, OGRwkbGeometryType gt, const char *const *names,
                        const OGRFieldType *types, int nf, const sg_test_lrow *rows, size_t n) {
    GDALAllRegister();
    GDALDatasetH ds = sg_test_exists(path) ? GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL)
                                           : GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, lname, srs, gt, NULL);
    assert_non_null(lyr);
    for (int k = 0; k < nf; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(names[k], types[k]);
        assert_int_equal(OGR_L_CreateField(lyr, fd, 1), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    for (size_t i = 0; i < n; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        for (int k = 0; k < nf; k++) {
            const char *v = rows[i].v[k];
            if (!v) OGR_F_SetFieldNull(f, k);
            else if (types[k] == OFTReal || types[k] == OFTInteger) OGR_F_SetFieldDouble(f, k, strtod(v, NULL));
            else OGR_F_SetFieldString(f, k, v);
        }
        if (rows[i].wkt) {
            OGRGeometryH g = NULL;
            char *w = (char *)rows[i].wkt;
            assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
            OGR_F_SetGeometryDirectly(f, g);
        }
        assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    if (srs) OSRDestroySpatialReference(srs);
}

static inline sg_status sg_test_analyze(sg_ctx *ctx, sg_run **run, const char *const *args) {
    int argc = 0;
    while (args[argc]) argc++;
    sg_options *o = NULL;
    sg_status st = sg_options_parse(ctx, argc, (char *const *)args, &o, NULL);
    if (st != SG_OK) return st;
    st = sg_analyze(ctx, o, run);
    sg_options_free(o);
    return st;
}

/* Asserts that some diagnostic has this code and a message containing every
 * given substring (NULL-terminated). */
static inline void sg__assert_diag(const sg_ctx *ctx, const char *code, const char *const *subs, const char *file,
                                   int line) {
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++) {
        const sg_diag *d = sg_ctx_diag(ctx, i);
        if (strcmp(d->code, code) != 0) continue;
        int all = 1;
        for (int k = 0; subs[k]; k++)
            if (!strstr(d->message, subs[k])) all = 0;
        if (all) return;
    }
    print_error("no diagnostic %s with all of the expected text; diagnostics were:\n", code);
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++)
        print_error("  [%s] %s\n", sg_ctx_diag(ctx, i)->code, sg_ctx_diag(ctx, i)->message);
    for (int k = 0; subs[k]; k++) print_error("  expected text: %s\n", subs[k]);
    _fail(file, line);
}
#define assert_diag(ctx, code, ...) \
    sg__assert_diag((ctx), (code), (const char *const[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)

#endif
