/* libFuzzer target: strict number parsing (geo/parse_number.c).
 * Beyond "does not crash", it checks what the parser promises: a number it
 * accepts is finite, is made of [+-]digits[.digits][e[+-]digits] only, and
 * is what strtod reads; a missing value is one of the documented markers. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read/read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int only_number_chars(const char *s) {
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !strchr("+-.eE", *s)) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    double v = -12345.0;
    const char *why = NULL;
    sg_numparse r = sg__parse_number(text, &v, &why);
    if (!why) __builtin_trap(); /* a reason is always given */
    char *t = sg__trim_dup(text);
    if (!t) {
        free(text);
        return 0;
    }
    if (r == SG_NUM_OK) {
        if (!isfinite(v) || !only_number_chars(t) || strtod(t, NULL) != v) __builtin_trap();
    } else if (r == SG_NUM_MISSING) {
        static const char *const m[] = {"", "NA", "N/A", "NULL", "..", ".", "-"};
        int known = 0;
        for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) known |= strcasecmp(t, m[i]) == 0;
        if (!known) __builtin_trap();
    } else if (r != SG_NUM_INVALID && r != SG_NUM_NONFINITE) {
        __builtin_trap();
    }
    /* The same text through a cell, as the table reader does. */
    sg_cell c = {SG_CELL_TEXT, NAN, text};
    double v2 = 0;
    if (sg__cell_number(&c, &v2, &why) != r) __builtin_trap();
    char *ct = sg__cell_text(&c);
    free(ct);
    free(t);
    free(text);
    return 0;
}
