/* String arena and string -> index hash map.
 *
 * The map is open addressing with linear probing over 64-bit slots: the high
 * 32 bits hold a tag of the key's hash, the low 32 bits the entry number + 1
 * (0: empty). Entries (key, value) are kept in insertion order and their keys
 * copied into an arena, so a million keys cost three large allocations and a
 * few arena blocks instead of a million small ones, and most failed probes end
 * on a tag mismatch without touching the key. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* ---- arena ---- */

typedef struct sg_arena_block {
    struct sg_arena_block *next;
    size_t used, size;
    char data[];
} sg_arena_block;

#define SG_ARENA_BLOCK ((size_t)64 * 1024 - 64)

char *sg__arena_strndup(sg_arena *a, const char *s, size_t n) {
    sg_arena_block *b = a->head;
    if (!b || b->size - b->used < n + 1) {
        size_t size = n + 1 > SG_ARENA_BLOCK / 4 ? n + 1 : SG_ARENA_BLOCK;
        sg_arena_block *nb = malloc(sizeof *nb + size);
        if (!nb) return NULL;
        nb->used = 0;
        nb->size = size;
        if (b && size != SG_ARENA_BLOCK) {
            /* a large string gets a block of its own behind the current one */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    char *d = b->data + b->used;
    memcpy(d, s, n);
    d[n] = '\0';
    b->used += n + 1;
    return d;
}

char *sg__arena_strdup(sg_arena *a, const char *s) {
    return s ? sg__arena_strndup(a, s, strlen(s)) : NULL;
}

void sg__arena_free(sg_arena *a) {
    sg_arena_block *b = a->head;
    while (b) {
        sg_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- map ---- */

typedef struct strmap_entry {
    const char *key; /* in the arena */
    size_t val;
} strmap_entry;

struct sg_strmap {
    uint64_t *slots;
    strmap_entry *e;
    size_t cap, n, ecap;
    sg_arena keys;
};

/* FNV-1a with a final avalanche (murmur3 fmix64), so that the low bits used
 * for the slot and the high bits used for the tag both depend on every byte. */
static uint64_t hash_str(const char *s, size_t *len) {
    uint64_t h = 1469598103934665603ULL;
    const char *p = s;
    for (; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    *len = (size_t)(p - s);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Slots for n entries at a load factor of at most 2/3. */
static size_t slots_for(size_t n) {
    size_t cap = 16;
    while (cap < n + n / 2 + 1) cap <<= 1;
    return cap;
}

sg_strmap *sg__strmap_create(size_t expected) {
    sg_strmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cap = slots_for(expected);
    m->ecap = expected > 0 ? expected : 16;
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->e = malloc(m->ecap * sizeof *m->e);
    if (!m->slots || !m->e) {
        sg__strmap_destroy(m);
        return NULL;
    }
    return m;
}

void sg__strmap_destroy(sg_strmap *m) {
    if (!m) return;
    free(m->slots);
    free(m->e);
    sg__arena_free(&m->keys);
    free(m);
}

static int grow(sg_strmap *m) {
    size_t cap = m->cap * 2;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t s = m->slots[i];
        if (!s) continue;
        size_t len;
        size_t j = (size_t)(hash_str(m->e[(s & 0xffffffffu) - 1].key, &len) & (cap - 1));
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

/* The slot of key, or of the empty slot where it would go. */
static size_t find(const sg_strmap *m, const char *key, uint64_t h) {
    uint64_t tag = h >> 32;
    size_t j = (size_t)(h & (m->cap - 1));
    for (;;) {
        uint64_t s = m->slots[j];
        if (!s) return j;
        if ((s >> 32) == tag) {
            const char *k = m->e[(s & 0xffffffffu) - 1].key;
            if (strcmp(k, key) == 0) return j;
        }
        j = (j + 1) & (m->cap - 1);
    }
}

int sg__strmap_put(sg_strmap *m, const char *key, size_t value, size_t *existing) {
    if (m->n >= 0xfffffffeu) return -1;
    if (m->n + 1 > m->cap - m->cap / 3 && grow(m) != 0) return -1;
    size_t len;
    uint64_t h = hash_str(key, &len);
    size_t j = find(m, key, h);
    if (m->slots[j]) {
        if (existing) *existing = m->e[(m->slots[j] & 0xffffffffu) - 1].val;
        return 0;
    }
    if (m->n == m->ecap) {
        strmap_entry *ne = sg__reallocarray(m->e, m->ecap * 2, sizeof *ne);
        if (!ne) return -1;
        m->e = ne;
        m->ecap *= 2;
    }
    const char *k = sg__arena_strndup(&m->keys, key, len);
    if (!k) return -1;
    m->e[m->n].key = k;
    m->e[m->n].val = value;
    m->n++;
    m->slots[j] = (h >> 32) << 32 | (uint64_t)m->n;
    return 1;
}

int sg__strmap_get(const sg_strmap *m, const char *key, size_t *value) {
    size_t len;
    uint64_t h = hash_str(key, &len);
    size_t j = find(m, key, h);
    if (!m->slots[j]) return 0;
    if (value) *value = m->e[(m->slots[j] & 0xffffffffu) - 1].val;
    return 1;
}

/* ---- key index: a sorted list while it can be, else a hash map ---- */

static int keyindex_to_map(sg_keyindex *ix) {
    size_t want = ix->expected > ix->n * 2 ? ix->expected : ix->n * 2;
    sg_strmap *m = sg__strmap_create(want);
    if (!m) return -1;
    for (size_t k = 0; k < ix->n; k++)
        if (sg__strmap_put(m, ix->keys[k], ix->vals[k], NULL) < 0) {
            sg__strmap_destroy(m);
            return -1;
        }
    free(ix->keys);
    free(ix->vals);
    ix->keys = NULL;
    ix->vals = NULL;
    ix->cap = 0;
    ix->map = m;
    return 0;
}

int sg__keyindex_put(sg_keyindex *ix, const char *key, size_t value, size_t *existing) {
    if (!ix->map) {
        if (ix->n == 0 || strcmp(key, ix->keys[ix->n - 1]) > 0) {
            if (ix->n == ix->cap) {
                size_t cap = ix->cap ? ix->cap * 2 : ix->expected > 16 ? ix->expected : 16;
                const char **k = sg__reallocarray(ix->keys, cap, sizeof *k);
                if (k) ix->keys = k;
                size_t *v = sg__reallocarray(ix->vals, cap, sizeof *v);
                if (v) ix->vals = v;
                if (!k || !v) return -1;
                ix->cap = cap;
            }
            ix->keys[ix->n] = key;
            ix->vals[ix->n] = value;
            ix->n++;
            return 1;
        }
        if (keyindex_to_map(ix) != 0) return -1;
    }
    return sg__strmap_put(ix->map, key, value, existing);
}

int sg__keyindex_get(sg_keyindex *ix, const char *key, size_t *value) {
    if (ix->map) return sg__strmap_get(ix->map, key, value);
    size_t pos;
    if (ix->hint < ix->n && strcmp(ix->keys[ix->hint], key) == 0) {
        pos = ix->hint;
    } else {
        size_t lo = 0, hi = ix->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(ix->keys[mid], key);
            if (c == 0) {
                lo = mid;
                break;
            }
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= ix->n || strcmp(ix->keys[lo], key) != 0) return 0;
        pos = lo;
    }
    ix->hint = pos + 1;
    if (value) *value = ix->vals[pos];
    return 1;
}

void sg__keyindex_free(sg_keyindex *ix) {
    sg__strmap_destroy(ix->map);
    free(ix->keys);
    free(ix->vals);
    memset(ix, 0, sizeof *ix);
}
