/* Strict number parsing: what census tables really contain. */
#include "test_support.h"
#include "read/read.h"

static void accepts_plain_numbers(void **state) {
    (void)state;
    struct { const char *in; double want; } ok[] = {
        {"0", 0}, {"42", 42}, {" 42 ", 42}, {"-3.5", -3.5}, {"+7", 7}, {"1e3", 1000},
        {"0012", 12}, {".5", 0.5}, {"5.", 5}, {"1234567", 1234567}, {"\t8\r", 8},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        const char *why = NULL;
        assert_int_equal(sg__parse_number(ok[i].in, &v, &why), SG_NUM_OK);
        sg_assert_near(v, ok[i].want, 0);
    }
}

static void rejects_what_is_not_a_number(void **state) {
    (void)state;
    const char *bad[] = {"1 234", "12,5", "1.234,5", "abc", "0x10", "1e", "12a", "--1", "1..2", "e5", "+"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = -1;
        const char *why = NULL;
        assert_int_equal(sg__parse_number(bad[i], &v, &why), SG_NUM_INVALID);
        sg_assert_near(v, -1, 0); /* untouched */
        assert_non_null(why);
    }
    const char *why = NULL;
    double v;
    sg__parse_number("12,5", &v, &why);
    assert_non_null(strstr(why, "comma"));
    sg__parse_number("1 234", &v, &why);
    assert_non_null(strstr(why, "space"));
}

static void missing_markers_are_missing_not_zero(void **state) {
    (void)state;
    const char *miss[] = {"", "  ", "NA", "na", "N/A", "NULL", ".", "-", ".."};
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
        double v = -1;
        assert_int_equal(sg__parse_number(miss[i], &v, NULL), SG_NUM_MISSING);
        sg_assert_near(v, -1, 0);
    }
    double v;
    assert_int_equal(sg__parse_number(NULL, &v, NULL), SG_NUM_MISSING);
}

static void non_finite_is_reported(void **state) {
    (void)state;
    const char *nf[] = {"nan", "NaN", "inf", "-inf", "Infinity", "1e999"};
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
        double v = -1;
        assert_int_equal(sg__parse_number(nf[i], &v, NULL), SG_NUM_NONFINITE);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_plain_numbers),
        cmocka_unit_test(rejects_what_is_not_a_number),
        cmocka_unit_test(missing_markers_are_missing_not_zero),
        cmocka_unit_test(non_finite_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
