/* The redaction of passwords from connection strings before any text leaves
 * the library (messages, summary.json, check.json). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"

#define SG_REDACTED "***"

/* Does s start a "password=" (libpq keyword, any case, spaces around '=')?
 * Returns the offset of the value, or 0. */
static size_t password_value(const char *s) {
    static const char kw[] = "password";
    if (strncasecmp(s, kw, sizeof kw - 1) != 0) return 0;
    size_t k = sizeof kw - 1;
    while (s[k] == ' ' || s[k] == '\t') k++;
    if (s[k] != '=') return 0;
    k++;
    while (s[k] == ' ' || s[k] == '\t') k++;
    return k;
}

char *sg__redact(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    /* The result is never longer than the input plus one "***" per secret;
     * a secret is at least one character, so 3x is a safe bound. */
    char *out = malloc(3 * n + 4);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t v = (i == 0 || !isalnum((unsigned char)s[i - 1])) ? password_value(s + i) : 0;
        if (v) {
            memcpy(out + o, s + i, v);
            o += v;
            i += v;
            if (s[i] == '\'') { /* quoted value: up to the closing quote */
                size_t j = i + 1;
                while (j < n && s[j] != '\'') j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
                i = j < n ? j + 1 : n;
            } else {
                while (i < n && !isspace((unsigned char)s[i]) && s[i] != '"' && s[i] != '\\' && s[i] != ',' &&
                       s[i] != ';')
                    i++;
            }
            memcpy(out + o, SG_REDACTED, 3);
            o += 3;
            continue;
        }
        /* URI form: scheme://user:secret@host */
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            size_t j = i + 3, colon = 0;
            while (j < n && s[j] != '@' && s[j] != '/' && !isspace((unsigned char)s[j]) && s[j] != '"') {
                if (s[j] == ':' && !colon) colon = j;
                j++;
            }
            if (j < n && s[j] == '@' && colon) {
                size_t keep = colon + 1 - i;
                memcpy(out + o, s + i, keep);
                o += keep;
                memcpy(out + o, SG_REDACTED, 3);
                o += 3;
                i = j;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}
