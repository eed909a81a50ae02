/* Command-line parsing of `seggap analyze`. */
#include "test_support.h"

static sg_ctx *ctx;
static int setup(void **state) { (void)state; ctx = sg_ctx_create(); return 0; }
static int teardown(void **state) { (void)state; sg_ctx_destroy(ctx); return 0; }

static sg_status parse(const char *const *args, sg_options **o) {
    int n = 0;
    while (args[n]) n++;
    return sg_options_parse(ctx, n, (char *const *)args, o, NULL);
}

static void minimal_and_equals_forms(void **state) {
    (void)state;
    sg_options *o = NULL;
    const char *a[] = {"--districts=d.shp", "--id", "code", "--total=t", "--group", "g", "--out", "o", "--quiet", NULL};
    assert_int_equal(parse(a, &o), SG_OK);
    assert_non_null(o);
    assert_true(sg_options_quiet(o));
    assert_false(sg_options_json(o));
    sg_options_free(o);
}

static void usage_errors(void **state) {
    (void)state;
    struct { const char *args[16]; const char *want; } cases[] = {
        {{"--id", "i", "--total", "t", "--group", "g", "--out", "o", NULL}, "--districts is required"},
        {{"--districts", "d", "--total", "t", "--group", "g", "--out", "o", NULL}, "--id is required"},
        {{"--districts", "d", "--id", "i", "--group", "g", "--out", "o", NULL}, "--total is required"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--group", "g", NULL}, "--out is required"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--out", "o", NULL}, "one of --group or --group-share"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--out", "o", "--group", "g", "--group-share", "s", NULL},
         "exclude each other"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--out", "o", "--group-share", "s", NULL}, "--share-scale"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--out", "o", "--group-share", "s", "--share-scale", "pct",
          NULL}, "'fraction' or 'percent'"},
        {{"--districts", "d", "--districts", "e", NULL}, "given twice"},
        {{"--bogus", NULL}, "unknown option '--bogus'"},
        {{"--grop", "g", NULL}, "unknown option '--grop' (did you mean --group?)"},
        {{"--work_crs", "EPSG:3035", NULL}, "did you mean --work-crs?"},
        {{"--table-key", "k", NULL}, "must follow the --table"},
        {{"--districts", NULL}, "needs a value"},
        {{"stray", NULL}, "unexpected argument 'stray'"},
        {{"--strict=yes", NULL}, "takes no value"},
        {{"--districts", "d", "--id", "i", "--total", "t", "--group", "g", "--out", "o", "--indices", "gini", NULL},
         "'gini' is not an index family"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_options *o = (sg_options *)1;
        assert_int_equal(parse(cases[i].args, &o), SG_ERR_USAGE);
        assert_null(o);
        if (!strstr(sg_ctx_last_error(ctx), cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, sg_ctx_last_error(ctx), cases[i].want);
    }
    assert_int_equal(sg_status_exit_code(SG_ERR_USAGE), 2);
}

static void help_is_not_an_error(void **state) {
    (void)state;
    const char *a[] = {"--help", NULL};
    sg_options *o = (sg_options *)1;
    int help = 0;
    assert_int_equal(sg_options_parse(ctx, 1, (char *const *)a, &o, &help), SG_OK);
    assert_int_equal(help, 1);
    assert_null(o);
    assert_non_null(strstr(sg_options_usage(), "--districts"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_and_equals_forms),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(help_is_not_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
