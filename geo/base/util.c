/* Small string and memory helpers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/base.h"

char *sg__strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

char *sg__strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sg__asprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *sg__trim_dup(const char *s) {
    if (!s) return NULL;
    while (is_space((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_space((unsigned char)s[n - 1])) n--;
    return sg__strndup(s, n);
}

void *sg__reallocarray(void *p, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    return realloc(p, n * size);
}

int sg__utf8_valid(const char *str, size_t *bad) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (s[i]) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 9;
        if (n == 9) goto fail;
        unsigned cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto fail; /* also stops at the NUL */
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            goto fail;
        i += n + 1;
    }
    return 1;
fail:
    if (bad) *bad = i;
    return 0;
}

char *sg__escape_controls(const char *str, int keep_lines) {
    if (!str) return NULL;
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    char *out = malloc(6 * len + 1), *o = out; /* at most "\u0080" per byte pair, "\xHH" per byte */
    if (!out) return NULL;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x20 || c == 0x7F) {
            if (keep_lines && (c == '\n' || c == '\t')) *o++ = (char)c;
            else if (c == '\n') o += sprintf(o, "\\n");
            else if (c == '\t') o += sprintf(o, "\\t");
            else if (c == '\r') o += sprintf(o, "\\r");
            else o += sprintf(o, "\\x%02X", c);
            i++;
            continue;
        }
        if (c < 0x80) {
            *o++ = (char)c;
            i++;
            continue;
        }
        /* a valid UTF-8 sequence stays, but for the C1 controls U+0080..U+009F
         * (U+009B is a CSI to some terminals); a byte that starts none is \xHH */
        size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        char seq[5] = {0};
        int ok = n > 0 && i + n <= len;
        for (size_t k = 0; ok && k < n; k++) seq[k] = (char)s[i + k];
        ok = ok && sg__utf8_valid(seq, NULL);
        if (!ok) {
            o += sprintf(o, "\\x%02X", c);
            i++;
        } else if (n == 2 && c == 0xC2 && s[i + 1] < 0xA0) {
            o += sprintf(o, "\\u%04X", (unsigned)s[i + 1]);
            i += 2;
        } else {
            memcpy(o, seq, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    return out;
}

const char *sg__file_hint(const char *path) {
    struct stat sb;
    if (!path || stat(path, &sb) != 0) return NULL;
    if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
        return "not a regular file (a device, FIFO or socket): give the path of a file";
    if (!S_ISREG(sb.st_mode)) return NULL;
    if (sb.st_size == 0) return "the file is empty (0 bytes)";
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char b[4] = {0, 0, 0, 0};
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return "the file is UTF-16 text: save it as UTF-8";
    if (n >= 4 && ((b[0] && !b[1] && b[2] && !b[3]) || (!b[0] && b[1] && !b[2] && b[3])))
        return "the file looks like UTF-16 text without a byte order mark: save it as UTF-8";
    return NULL;
}

void sg__bbox_xy(const double *x, const double *y, size_t n, double box[4]) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x0 = fmin(x0, x[i]);
        x1 = fmax(x1, x[i]);
        y0 = fmin(y0, y[i]);
        y1 = fmax(y1, y[i]);
    }
    box[0] = x0;
    box[1] = y0;
    box[2] = x1;
    box[3] = y1;
}

char *sg__format_ids(const char *const *ids, size_t n, size_t show, size_t total, unsigned flags) {
    size_t k = n < show ? n : show, q = (flags & SG_IDS_QUOTE) ? 2 : 0, len = 64;
    for (size_t i = 0; i < k; i++) len += (ids[i] ? strlen(ids[i]) : 0) + q + 2;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    *p = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *id = ids[i] ? ids[i] : "";
        p += sprintf(p, "%s%s%s%s", i ? ", " : "", q ? "'" : "", id, q ? "'" : "");
    }
    if (total > k) {
        p += sprintf(p, ", ...");
        if (flags & SG_IDS_IN_ALL) sprintf(p, " (%zu in all)", total);
    }
    return s;
}

/* ---- did you mean ---- */
static unsigned char lower_ascii(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

unsigned sg__edit_distance(const char *a, const char *b) {
    enum { MAXL = 64 };
    size_t n = strlen(a), m = strlen(b);
    if (n > MAXL || m > MAXL) return 255;
    /* Optimal string alignment: three rows of the Damerau-Levenshtein table. */
    unsigned r0[MAXL + 1], r1[MAXL + 1], r2[MAXL + 1];
    unsigned *pp = r0, *p = r1, *c = r2;
    for (size_t j = 0; j <= m; j++) p[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        c[0] = (unsigned)i;
        unsigned char ai = lower_ascii((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= m; j++) {
            unsigned char bj = lower_ascii((unsigned char)b[j - 1]);
            unsigned v = p[j - 1] + (ai != bj);
            if (p[j] + 1 < v) v = p[j] + 1;
            if (c[j - 1] + 1 < v) v = c[j - 1] + 1;
            if (i > 1 && j > 1 && ai == lower_ascii((unsigned char)b[j - 2]) &&
                lower_ascii((unsigned char)a[i - 2]) == bj && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
        }
        unsigned *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[m] > 255 ? 255 : p[m];
}

const char *sg__suggest(const char *word, const char *const *cands, size_t n) {
    if (!word || !*word) return NULL;
    size_t wl = strlen(word);
    unsigned limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;
    const char *best = NULL;
    unsigned bd = limit + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = cands[i];
        if (!c || !*c || strcmp(c, word) == 0) continue;
        unsigned d;
        if (strlen(c) == 10 && wl > 10 && strncasecmp(c, word, 10) == 0) d = 0; /* a .dbf field name */
        else d = sg__edit_distance(word, c);
        if (d < bd) {
            bd = d;
            best = c;
        }
    }
    return best;
}
