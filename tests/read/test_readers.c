/* The readers' fast paths give exactly what the plain ones give (issue 8):
 * the key index against a plain search, the string map under growth, whole
 * numbers against strtod, the convex-polygon shortcut against GEOS's own
 * validity check, and the two-thread reading loop against --threads 1
 * (same districts, same geometries, same diagnostics in the same order). */
#include "test_support.h"
#include "read/read_internal.h"

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t next_rand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double unif(void) { return (double)(next_rand() >> 11) * 0x1p-53; }

/* ---- key index and string map ---- */

static void keyindex_agrees_with_a_plain_search(void **state) {
    (void)state;
    for (int round = 0; round < 20; round++) {
        size_t n = 50 + next_rand() % 3000, sorted_until = round % 4 == 0 ? n : next_rand() % n;
        char **keys = calloc(n, sizeof *keys);
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++) {
            char buf[32];
            /* increasing at first (the common, sorted case), then anything, duplicates included */
            if (i < sorted_until) snprintf(buf, sizeof buf, "%07zu", i * 3 + 1);
            else snprintf(buf, sizeof buf, "%07llu", (unsigned long long)(next_rand() % (3 * n + 5)));
            keys[i] = strdup(buf);
        }
        sg_keyindex ix;
        memset(&ix, 0, sizeof ix);
        ix.expected = round % 2 ? n : 0;
        for (size_t i = 0; i < n; i++) {
            size_t first = (size_t)-1;
            for (size_t k = 0; k < i && first == (size_t)-1; k++)
                if (strcmp(keys[k], keys[i]) == 0) first = k;
            size_t prev = 12345;
            int rc = sg__keyindex_put(&ix, keys[i], i, &prev);
            if (first == (size_t)-1) assert_int_equal(rc, 1);
            else {
                assert_int_equal(rc, 0);
                assert_int_equal(prev, first);
            }
        }
        for (size_t q = 0; q < 3 * n + 8; q++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%07zu", q);
            size_t first = (size_t)-1;
            for (size_t k = 0; k < n && first == (size_t)-1; k++)
                if (strcmp(keys[k], buf) == 0) first = k;
            size_t v = 777;
            int got = sg__keyindex_get(&ix, buf, &v);
            assert_int_equal(got, first != (size_t)-1);
            if (got) assert_int_equal(v, first);
        }
        sg__keyindex_free(&ix);
        for (size_t i = 0; i < n; i++) free(keys[i]);
        free(keys);
    }
}

static void strmap_keeps_every_key_through_growth(void **state) {
    (void)state;
    sg_strmap *m = sg__strmap_create(4);
    assert_non_null(m);
    char buf[48];
    const size_t n = 200000;
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "key-%zu-%zu", i * 7919 % n, i % 13);
        assert_int_equal(sg__strmap_put(m, buf, i, NULL), 1);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "key-%zu-%zu", i * 7919 % n, i % 13);
        size_t v = 0, prev = 0;
        assert_int_equal(sg__strmap_get(m, buf, &v), 1);
        assert_int_equal(v, i);
        assert_int_equal(sg__strmap_put(m, buf, n + i, &prev), 0);
        assert_int_equal(prev, i);
    }
    assert_int_equal(sg__strmap_get(m, "key-", NULL), 0);
    assert_int_equal(sg__strmap_get(m, "", NULL), 0);
    assert_int_equal(sg__strmap_put(m, "", 5, NULL), 1);
    size_t v = 0;
    assert_int_equal(sg__strmap_get(m, "", &v), 1);
    assert_int_equal(v, 5);
    sg__strmap_destroy(m);
}

static void arena_copies_strings_of_any_size(void **state) {
    (void)state;
    sg_arena a = {NULL};
    char *big = malloc(200000);
    assert_non_null(big);
    memset(big, 'x', 199999);
    big[199999] = '\0';
    char *s1 = sg__arena_strdup(&a, "abc");
    char *s2 = sg__arena_strdup(&a, big);
    char *s3 = sg__arena_strndup(&a, "defgh", 2);
    assert_string_equal(s1, "abc");
    assert_string_equal(s2, big);
    assert_string_equal(s3, "de");
    assert_null(sg__arena_strdup(&a, NULL));
    for (int i = 0; i < 100000; i++) assert_non_null(sg__arena_strdup(&a, "0000123"));
    assert_string_equal(s1, "abc");
    sg__arena_free(&a);
    free(big);
}

/* ---- numbers ---- */

static void whole_numbers_are_what_strtod_gives(void **state) {
    (void)state;
    for (int k = 0; k < 200000; k++) {
        char buf[40];
        int len = 1 + (int)(next_rand() % 17), p = 0;
        int sign = (int)(next_rand() % 3);
        if (sign == 1) buf[p++] = '-';
        if (sign == 2) buf[p++] = '+';
        for (int i = 0; i < len; i++) buf[p++] = (char)('0' + next_rand() % 10);
        buf[p] = '\0';
        double got = -1, want = strtod(buf, NULL);
        assert_int_equal(sg__parse_number(buf, &got, NULL), SG_NUM_OK);
        assert_memory_equal(&got, &want, sizeof got); /* bit for bit, -0 included */
    }
}

/* ---- geometry: the convex shortcut never says valid when GEOS says not ---- */

static char *ring_wkt(const double *x, const double *y, int n, int close) {
    size_t cap = 64 + (size_t)n * 64;
    char *s = malloc(cap);
    size_t len = (size_t)snprintf(s, cap, "POLYGON((");
    for (int i = 0; i <= n; i++) {
        if (i == n && !close) break;
        int k = i % n;
        len += (size_t)snprintf(s + len, cap - len, "%s%.17g %.17g", i ? "," : "", x[k], y[k]);
    }
    snprintf(s + len, cap - len, "))");
    return s;
}

/* sg__geom_from_ogr with --strict on wkt, against GEOSisValid of the same. */
static void check_one(sg_ctx *ctx, const char *wkt) {
    OGRGeometryH og = NULL;
    char *w = (char *)wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &og), OGRERR_NONE);
    GEOSGeometry *ref = GEOSGeomFromWKT_r(sg__geos(ctx), wkt);
    GEOSGeometry *g = NULL;
    int repaired = 0;
    sg_status st = sg__geom_from_ogr(ctx, og, 1, SG_WHERE_NONE, &g, &repaired, NULL);
    if (!ref) {
        assert_int_not_equal(st, SG_OK);
    } else {
        int valid = GEOSisValid_r(sg__geos(ctx), ref) == 1;
        if (valid != (st == SG_OK)) fail_msg("%s: GEOS says %s, the reader %s", wkt, valid ? "valid" : "invalid",
                                             st == SG_OK ? "accepted it" : "rejected it");
        if (g) assert_int_equal(GEOSEqualsExact_r(sg__geos(ctx), g, ref, 0), 1);
        GEOSGeom_destroy_r(sg__geos(ctx), ref);
    }
    if (g) GEOSGeom_destroy_r(sg__geos(ctx), g);
    OGR_G_DestroyGeometry(og);
}

static void convex_shortcut_agrees_with_geos(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    const char *fixed[] = {
        "POLYGON((0 0,1 0,1 1,0 1,0 0))",                /* convex, counter-clockwise */
        "POLYGON((0 0,0 1,1 1,1 0,0 0))",                /* clockwise */
        "POLYGON((0 0,1 1,1 0,0 1,0 0))",                /* bowtie */
        "POLYGON((0 0,1 0,2 0,2 1,0 1,0 0))",            /* a collinear vertex */
        "POLYGON((0 0,1 0,1 0,1 1,0 1,0 0))",            /* a repeated vertex */
        "POLYGON((0 0,2 0,1 0.5,2 2,0 2,0 0))",          /* concave */
        "POLYGON((0 0,2 0,2 2,2 3,2 2,0 2,0 0))",        /* a spike */
        "POLYGON((0 0,2 0,2 2,1 0,0 2,0 0))",            /* self-touching */
        "POLYGON((0 0,1 0,0.5 1e-300,0 0))",             /* underflowing area */
        "POLYGON((0 0,1e300 0,1e300 1e300,0 1e300,0 0))", /* overflowing products */
        "POLYGON((0 0,1 1e-17,0.5 5e-18,0 0))",          /* nearly collinear */
        "MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))",
        "MULTIPOLYGON(((0 0,2 0,2 2,0 2,0 0)),((1 1,3 1,3 3,1 3,1 1)))", /* overlapping parts */
        "POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 2,1 1))",          /* a hole */
        "POLYGON Z((0 0 1,1 0 1,1 1 1,0 1 1,0 0 1))",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_one(ctx, fixed[i]);
    double x[16], y[16];
    for (int k = 0; k < 4000; k++) {
        int n = 3 + (int)(next_rand() % 10), kind = k % 5;
        double scale = k % 7 == 0 ? 1e-9 : k % 7 == 1 ? 1e7 : 1.0, ox = 500000 * (k % 2), oy = 5e6 * (k % 3 == 0);
        if (kind == 0 || kind == 1) { /* convex: angles sorted (kind 1: reversed) */
            double a[16];
            for (int i = 0; i < n; i++) a[i] = 2 * M_PI * unif();
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
                    double t = a[j];
                    a[j] = a[j - 1];
                    a[j - 1] = t;
                }
            for (int i = 0; i < n; i++) {
                int ii = kind == 1 ? n - 1 - i : i;
                x[ii] = ox + scale * cos(a[i]);
                y[ii] = oy + scale * sin(a[i]);
            }
        } else if (kind == 2) { /* star polygons {n/m}: all turns alike, winding m times */
            int m = 2 + (int)(next_rand() % 3);
            if (n < 2 * m + 1) n = 2 * m + 1;
            for (int i = 0; i < n; i++) {
                x[i] = ox + scale * cos(2 * M_PI * i * m / n);
                y[i] = oy + scale * sin(2 * M_PI * i * m / n);
            }
        } else if (kind == 3) { /* random order: often self-intersecting */
            for (int i = 0; i < n; i++) {
                x[i] = ox + scale * unif();
                y[i] = oy + scale * unif();
            }
        } else { /* a square with one vertex nudged by a hair, in or out */
            n = 5;
            double e = (double)((int)(next_rand() % 5) - 2) * 1e-12 * scale;
            double sx[5] = {0, 0.5, 1, 1, 0}, sy[5] = {0, 0, 0, 1, 1};
            for (int i = 0; i < n; i++) {
                x[i] = ox + scale * sx[i];
                y[i] = oy + scale * sy[i] + (i == 1 ? e : 0);
            }
        }
        char *wkt = ring_wkt(x, y, n, 1);
        check_one(ctx, wkt);
        free(wkt);
    }
    sg_ctx_destroy(ctx);
}

/* ---- the two-thread reading loop against --threads 1 ---- */

typedef struct read_result {
    sg_ctx *ctx;
    sg_reader rd;
    sg_city city;
    sg_status st;
} read_result;

static void read_with(const char *dir, const char *threads, int strict, read_result *r) {
    char *districts = sg_test_path(dir, "d.gpkg"), *table = sg_test_path(dir, "t.csv"), *out = sg_test_path(dir, "out");
    const char *args[] = {"--districts", districts, "--id", "id", "--table", table, "--table-key", "id",
                          "--total", "total", "--group", "group", "--out", out, "--threads", threads,
                          strict ? "--strict" : NULL, NULL};
    int argc = 0;
    while (args[argc]) argc++;
    r->ctx = sg_ctx_create();
    sg_options *o = NULL;
    assert_int_equal(sg_options_parse(r->ctx, argc, (char *const *)args, &o, NULL), SG_OK);
    memset(&r->rd, 0, sizeof r->rd);
    memset(&r->city, 0, sizeof r->city);
    r->st = sg__read_city(r->ctx, o, &r->rd, &r->city);
    sg_options_free(o);
    free(districts);
    free(table);
    free(out);
}

static void free_result(read_result *r) {
    sg__city_free(r->ctx, &r->city);
    sg__reader_free(&r->rd);
    sg_ctx_destroy(r->ctx);
}

static void same_string(const char *a, const char *b) {
    if (!a || !b) assert_true(a == b);
    else assert_string_equal(a, b);
}

static void threaded_read_is_the_sequential_read(void **state) {
    (void)state;
    char *dir = sg_test_tmpdir();
    /* more districts than two batches, with every kind of problem spread over them */
    const size_t n = 3500;
    fx_row *rows = calloc(n, sizeof *rows);
    char **wkt = calloc(n, sizeof *wkt), **ids = calloc(n, sizeof *ids), **tot = calloc(n, sizeof *tot);
    assert_true(rows && wkt && ids && tot);
    FILE *csv = NULL;
    char *table = sg_test_path(dir, "t.csv");
    csv = fopen(table, "w");
    assert_non_null(csv);
    fprintf(csv, "id,total,group\n");
    for (size_t i = 0; i < n; i++) {
        double x = 13.0 + 0.001 * (double)(i % 60), y = 52.0 + 0.001 * (double)(i / 60);
        char buf[512];
        switch (i % 11) {
        case 3: /* bowtie: repaired, or an error with --strict */
            snprintf(buf, sizeof buf, "POLYGON((%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f))", x, y, x + 0.001,
                     y + 0.001, x + 0.001, y, x, y + 0.001, x, y);
            break;
        case 5: /* unclosed: GEOS cannot read it */
            snprintf(buf, sizeof buf, "POLYGON((%.4f %.4f,%.4f %.4f,%.4f %.4f))", x, y, x + 0.001, y, x, y + 0.001);
            break;
        case 7: /* concave, valid: checked by GEOS */
            snprintf(buf, sizeof buf, "POLYGON((%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f))", x, y,
                     x + 0.001, y, x + 0.0005, y + 0.0003, x + 0.001, y + 0.001, x, y + 0.001, x, y);
            break;
        case 9:
            buf[0] = '\0'; /* no geometry */
            break;
        default: /* convex square */
            snprintf(buf, sizeof buf, "POLYGON((%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f,%.4f %.4f))", x, y, x + 0.001,
                     y, x + 0.001, y + 0.001, x, y + 0.001, x, y);
        }
        wkt[i] = strdup(buf);
        char idb[32];
        /* ids in order, except a few out of order and a few duplicates */
        snprintf(idb, sizeof idb, "%05zu", i % 97 == 13 ? i - 13 : i % 101 == 50 ? n + i : i);
        ids[i] = strdup(idb);
        snprintf(idb, sizeof idb, "%zu", 100 + i % 50);
        tot[i] = strdup(i % 89 == 1 ? "" : i % 83 == 2 ? "12,5" : idb);
        rows[i] = (fx_row){wkt[i][0] ? wkt[i] : NULL, ids[i], tot[i], "7"};
        if (i % 61 != 4) fprintf(csv, "%s,%s,%s\n", ids[i], tot[i], i % 73 == 5 ? "x" : "3");
    }
    fclose(csv);
    char *gpkg = sg_test_path(dir, "d.gpkg");
    fx_write(gpkg, "GPKG", 4326, rows, n, 0);
    for (int strict = 0; strict < 2; strict++) {
        read_result a, b;
        read_with(dir, "1", strict, &a);
        read_with(dir, "2", strict, &b);
        assert_int_equal(a.st, b.st);
        assert_int_equal(a.city.n, b.city.n);
        assert_int_equal(a.city.n, n);
        for (size_t i = 0; i < a.city.n; i++) {
            same_string(a.city.id[i], b.city.id[i]);
            same_string(a.city.note[i], b.city.note[i]);
            assert_int_equal(a.city.status[i], b.city.status[i]);
            assert_int_equal(a.city.fid[i], b.city.fid[i]);
            assert_memory_equal(&a.city.total[i], &b.city.total[i], sizeof(double));
            assert_memory_equal(&a.city.group[i], &b.city.group[i], sizeof(double));
            assert_true(!a.city.geom_src[i] == !b.city.geom_src[i]);
            if (a.city.geom_src[i])
                assert_int_equal(GEOSEqualsExact_r(sg__geos(a.ctx), a.city.geom_src[i], b.city.geom_src[i], 0), 1);
        }
        size_t nd = sg_ctx_diag_count(a.ctx);
        assert_int_equal(nd, sg_ctx_diag_count(b.ctx));
        assert_true(nd > 100);
        for (size_t k = 0; k < nd; k++) {
            const sg_diag *da = sg_ctx_diag(a.ctx, k), *db = sg_ctx_diag(b.ctx, k);
            assert_int_equal(da->severity, db->severity);
            assert_string_equal(da->code, db->code);
            assert_string_equal(da->message, db->message);
        }
        assert_string_equal(sg_ctx_last_error(a.ctx), sg_ctx_last_error(b.ctx));
        assert_string_equal(sg__geos_msg(a.ctx), sg__geos_msg(b.ctx));
        free_result(&a);
        free_result(&b);
    }
    for (size_t i = 0; i < n; i++) {
        free(wkt[i]);
        free(ids[i]);
        free(tot[i]);
    }
    free(wkt);
    free(ids);
    free(tot);
    free(rows);
    free(gpkg);
    free(table);
    sg_test_rmdir(dir);
}

int main(void) {
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyindex_agrees_with_a_plain_search),
        cmocka_unit_test(strmap_keeps_every_key_through_growth),
        cmocka_unit_test(arena_copies_strings_of_any_size),
        cmocka_unit_test(whole_numbers_are_what_strtod_gives),
        cmocka_unit_test(convex_shortcut_agrees_with_geos),
        cmocka_unit_test(threaded_read_is_the_sequential_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
