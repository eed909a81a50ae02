/* Strict parsing of numbers stored as text (CSV columns come through GDAL as
 * strings). Nothing is guessed: "1 234" and "12,5" are errors, not 1 and 12. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Spellings of a missing value seen in census tables. */
static const char *const missing_tokens[] = {"", "NA", "N/A", "NULL", "..", ".", "-", NULL};

sg_numparse sg__parse_number(const char *text, double *out, const char **why) {
    const char *dummy;
    if (!why) why = &dummy;
    *why = "";
    if (!text) {
        *why = "missing value";
        return SG_NUM_MISSING;
    }
    char *t = sg__trim_dup(text);
    if (!t) {
        *why = "out of memory";
        return SG_NUM_INVALID;
    }
    for (int i = 0; missing_tokens[i]; i++) {
        if (strcasecmp(t, missing_tokens[i]) == 0) {
            *why = t[0] ? "missing value marker" : "empty value";
            free(t);
            return SG_NUM_MISSING;
        }
    }
    /* Only [+-]digits[.digits][e[+-]digits]; strtod alone would take hex,
     * "inf", "nan" and stop silently at "1 234". */
    const char *p = t;
    if (*p == '+' || *p == '-') p++;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    int ok = digits > 0;
    if (ok && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-') p++;
        size_t ed = 0;
        while (isdigit((unsigned char)*p)) p++, ed++;
        if (ed == 0) ok = 0;
    }
    if (!ok || *p != '\0') {
        if (strcasecmp(t, "nan") == 0 || strcasecmp(t, "inf") == 0 ||
            strcasecmp(t, "-inf") == 0 || strcasecmp(t, "infinity") == 0 ||
            strcasecmp(t, "-nan") == 0) {
            *why = "not a finite number";
            free(t);
            return SG_NUM_NONFINITE;
        }
        if (strchr(t, ',')) *why = "not a number (a comma: decimal comma or thousands separator?)";
        else if (strchr(t, ' ')) *why = "not a number (a space inside: thousands separator?)";
        else *why = "not a number";
        free(t);
        return SG_NUM_INVALID;
    }
    errno = 0;
    char *end = NULL;
    double v = strtod(t, &end);
    if (end == t || *end != '\0') {
        *why = "not a number";
        free(t);
        return SG_NUM_INVALID;
    }
    free(t);
    if (!isfinite(v) || errno == ERANGE) {
        if (!isfinite(v)) {
            *why = "number out of range";
            return SG_NUM_NONFINITE;
        }
    }
    *out = v;
    return SG_NUM_OK;
}
