/* Sorting the districts by share in O(n): LSD radix sorts of 64-bit keys
 * and of (share, weight, weight) records, shared by the evenness,
 * multigroup and concentration-profile families and the permutation
 * sampler. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

/* Records sorted by p ascending, stable: LSD radix sort on p's IEEE bits
 * (all p >= 0 and not NaN, else a stable merge via qsort on (p, position)). */
static int cmp_rec(const void *a, const void *b) {
    const sg_prec *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return (x->w1 > y->w1) - (x->w1 < y->w1); /* any fixed tie order: ties do not change the sums */
}


uint64_t *sg__radix_sort_u64(uint64_t *ks, uint64_t *kd, size_t n, int first_bit) {
    uint64_t all = 0, same = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) {
        all |= ks[i];
        same &= ks[i];
    }
    for (int shift = first_bit; shift < 64; shift += 11) {
        if ((((all ^ same) >> shift) & 0x7FF) == 0) continue; /* a digit every key shares */
        size_t count[2049] = {0};
        for (size_t i = 0; i < n; i++) count[((ks[i] >> shift) & 0x7FF) + 1]++;
        for (size_t v = 0; v < 2048; v++) count[v + 1] += count[v];
        for (size_t i = 0; i < n; i++) kd[count[(ks[i] >> shift) & 0x7FF]++] = ks[i];
        uint64_t *tk = ks;
        ks = kd;
        kd = tk;
    }
    return ks;
}

/* key = floor(p (2^32 - 1)), monotone in p (p in [0, 1]). */
static inline uint64_t unit_key(double p, size_t i) { return (uint64_t)(uint32_t)(p * 4294967295.0) << 32 | (uint64_t)i; }

/* Records in key order whose keys are equal but whose p (closer than 2^-32)
 * are not in order: put in order by insertion. */
static void fix_equal_keys(sg_prec *a, const uint64_t *ks, size_t n) {
    for (size_t i = 1; i < n; i++) {
        if ((ks[i] >> 32) != (ks[i - 1] >> 32) || !(a[i].p < a[i - 1].p)) continue;
        sg_prec v = a[i];
        size_t j = i;
        while (j > 0 && (ks[j - 1] >> 32) == (ks[i] >> 32) && a[j - 1].p > v.p) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

sg_prec *sg__prec_by_ratio(const double *num, const double *den, size_t n) {
    sg_prec *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) return NULL;
    int unit = n <= UINT32_MAX;
    for (size_t i = 0; i < n && unit; i++) {
        double p = num[i] / den[i];
        unit = p >= 0 && p <= 1;
    }
    if (!unit) { /* shares outside [0, 1], NaN, or a huge n: the general sort */
        for (size_t i = 0; i < n; i++) out[i] = (sg_prec){num[i] / den[i], den[i], num[i]};
        if (sg__sort_prec(out, n) != 0) {
            free(out);
            return NULL;
        }
        return out;
    }
    /* keys straight from the ratios, the records gathered once in their
     * sorted order: no unsorted copy of the records */
    uint64_t *kb = malloc(2 * (n ? n : 1) * sizeof *kb);
    if (!kb) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) kb[i] = unit_key(num[i] / den[i] + 0.0, i); /* + 0.0: -0 as 0 */
    const uint64_t *ks = sg__radix_sort_u64(kb, kb + n, n, 32); /* (key << 32 | position) on the key */
    for (size_t k = 0; k < n; k++) {
        size_t i = (uint32_t)ks[k];
        out[k] = (sg_prec){num[i] / den[i] + 0.0, den[i], num[i]};
    }
    fix_equal_keys(out, ks, n);
    free(kb);
    return out;
}

int sg__sort_prec(sg_prec *a, size_t n) {
    int unit = 1; /* every p in [0, 1]: three passes on a 32-bit fixed-point key */
    for (size_t i = 0; i < n; i++) {
        if (!(a[i].p >= 0)) {
            qsort(a, n, sizeof *a, cmp_rec);
            return 0;
        }
        if (a[i].p == 0) a[i].p = 0.0; /* -0.0 as 0 */
        if (a[i].p > 1) unit = 0;
    }
    sg_prec *b = malloc(n * sizeof *b), *src = a, *dst = b;
    uint64_t *kb = unit && n <= UINT32_MAX ? malloc(2 * n * sizeof *kb) : NULL;
    if (!b || (unit && n <= UINT32_MAX && !kb)) {
        free(b);
        free(kb);
        return -1;
    }
    if (kb) {
        /* (key, position) pairs of 8 bytes are sorted, then the records
         * gathered once */
        for (size_t i = 0; i < n; i++) kb[i] = unit_key(a[i].p, i);
        const uint64_t *ks = sg__radix_sort_u64(kb, kb + n, n, 32);
        for (size_t i = 0; i < n; i++) b[i] = a[(uint32_t)ks[i]];
        src = b;
        fix_equal_keys(src, ks, n);
    } else {
        uint64_t all = 0, same = ~(uint64_t)0;
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, &a[i].p, sizeof k);
            all |= k;
            same &= k;
        }
        for (int shift = 0; shift < 64; shift += 11) {
            if ((((all ^ same) >> shift) & 0x7FF) == 0) continue;
            size_t count[2049] = {0};
            for (size_t i = 0; i < n; i++) {
                uint64_t k;
                memcpy(&k, &src[i].p, sizeof k);
                count[((k >> shift) & 0x7FF) + 1]++;
            }
            for (size_t v = 0; v < 2048; v++) count[v + 1] += count[v];
            for (size_t i = 0; i < n; i++) {
                uint64_t k;
                memcpy(&k, &src[i].p, sizeof k);
                dst[count[(k >> shift) & 0x7FF]++] = src[i];
            }
            sg_prec *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(b);
    free(kb);
    return 0;
}
