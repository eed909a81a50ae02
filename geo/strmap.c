/* Open-addressing hash map from strings to indices (FNV-1a, linear probing). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct sg_strmap {
    char **keys;
    size_t *vals;
    size_t cap, n;
};

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

sg_strmap *sg__strmap_create(size_t expected) {
    sg_strmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    size_t cap = 16;
    while (cap < expected * 2 + 1) cap <<= 1;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        sg__strmap_destroy(m);
        return NULL;
    }
    m->cap = cap;
    return m;
}

void sg__strmap_destroy(sg_strmap *m) {
    if (!m) return;
    if (m->keys)
        for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    free(m);
}

static int grow(sg_strmap *m) {
    sg_strmap big = {0};
    big.cap = m->cap * 2;
    big.keys = calloc(big.cap, sizeof *big.keys);
    big.vals = calloc(big.cap, sizeof *big.vals);
    if (!big.keys || !big.vals) {
        free(big.keys);
        free(big.vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = (size_t)(fnv1a(m->keys[i]) & (big.cap - 1));
        while (big.keys[j]) j = (j + 1) & (big.cap - 1);
        big.keys[j] = m->keys[i];
        big.vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = big.keys;
    m->vals = big.vals;
    m->cap = big.cap;
    return 0;
}

int sg__strmap_put(sg_strmap *m, const char *key, size_t value, size_t *existing) {
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0) return -1;
    size_t j = (size_t)(fnv1a(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            if (existing) *existing = m->vals[j];
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = sg__strdup(key);
    if (!m->keys[j]) return -1;
    m->vals[j] = value;
    m->n++;
    return 1;
}

int sg__strmap_get(const sg_strmap *m, const char *key, size_t *value) {
    size_t j = (size_t)(fnv1a(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            if (value) *value = m->vals[j];
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}
