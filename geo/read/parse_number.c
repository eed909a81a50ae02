/* Strict parsing of numbers stored as text (CSV columns come through GDAL as
 * strings). Nothing is guessed: "1 234" and "12,5" are errors, not 1 and 12.
 * No allocation: it runs once per value of a million-row table. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read/read.h"

/* Spellings of a missing value seen in census tables. */
static const char *const missing_tokens[] = {"", "NA", "N/A", "NULL", "..", ".", "-", NULL};

/* The white space sg__trim_dup removes. */
static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* 1 when the n bytes at t equal word, ignoring ASCII case. */
static int word_is(const char *t, size_t n, const char *word) {
    return strlen(word) == n && strncasecmp(t, word, n) == 0;
}

sg_numparse sg__parse_number(const char *text, double *out, const char **why) {
    const char *dummy;
    if (!why) why = &dummy;
    *why = "";
    if (!text) {
        *why = "missing value";
        return SG_NUM_MISSING;
    }
    /* The trimmed text is t[0, n). */
    const char *t = text;
    while (is_space((unsigned char)*t)) t++;
    size_t n = strlen(t);
    while (n > 0 && is_space((unsigned char)t[n - 1])) n--;
    const char *e = t + n;
    for (int i = 0; missing_tokens[i]; i++) {
        if (word_is(t, n, missing_tokens[i])) {
            *why = n ? "missing value marker" : "empty value";
            return SG_NUM_MISSING;
        }
    }
    /* Only [+-]digits[.digits][e[+-]digits]; strtod alone would take hex,
     * "inf", "nan" and stop silently at "1 234". A NUL inside the text cannot
     * occur: t is a C string. */
    const char *p = t;
    if (p < e && (*p == '+' || *p == '-')) p++;
    size_t digits = 0;
    while (p < e && isdigit((unsigned char)*p)) p++, digits++;
    if (p < e && *p == '.') {
        p++;
        while (p < e && isdigit((unsigned char)*p)) p++, digits++;
    }
    int ok = digits > 0;
    if (ok && p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        size_t ed = 0;
        while (p < e && isdigit((unsigned char)*p)) p++, ed++;
        if (ed == 0) ok = 0;
    }
    if (!ok || p != e) {
        if (word_is(t, n, "nan") || word_is(t, n, "inf") || word_is(t, n, "-inf") || word_is(t, n, "infinity") ||
            word_is(t, n, "-nan")) {
            *why = "not a finite number";
            return SG_NUM_NONFINITE;
        }
        if (memchr(t, ',', n)) *why = "not a number (a comma: decimal comma or thousands separator?)";
        else if (memchr(t, ' ', n)) *why = "not a number (a space inside: thousands separator?)";
        else *why = "not a number";
        return SG_NUM_INVALID;
    }
    /* Whole numbers of up to 15 digits (counts, the usual case) are exact
     * doubles: the value strtod would return, without its cost. */
    const char *d0 = t + (*t == '+' || *t == '-');
    if (e - d0 <= 15 && digits == (size_t)(e - d0)) {
        uint64_t u = 0;
        for (const char *q = d0; q < e; q++) u = u * 10 + (uint64_t)(*q - '0');
        double v = (double)u;
        *out = *t == '-' ? -v : v;
        return SG_NUM_OK;
    }
    /* The grammar above is a prefix strtod takes whole, and what follows it
     * (the end of the string or trailing white space) stops strtod. */
    errno = 0;
    char *end = NULL;
    double v = strtod(t, &end);
    if (end != e) {
        *why = "not a number";
        return SG_NUM_INVALID;
    }
    if (!isfinite(v) || errno == ERANGE) {
        if (!isfinite(v)) {
            *why = "number out of range";
            return SG_NUM_NONFINITE;
        }
    }
    *out = v;
    return SG_NUM_OK;
}
