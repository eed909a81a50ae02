/* Conditional permutation counts of local Moran's I, shared by all districts.
 *
 * Local Moran with row-standardised binary weights: district i with k_i
 * neighbours has the permuted statistic z_i (S / k_i) / m2, S the sum of z
 * over k_i districts drawn without replacement from the n - 1 others. It
 * depends on i only through z_i, k_i and the exclusion of i, so the draws are
 * shared (esda's crand.py shares one random matrix the same way):
 *
 *  - permutation r (random stream r of the seed) draws ONE ordered sample of
 *    K = kmax + 1 distinct districts out of all n; district i uses the first
 *    k_i drawn districts other than itself. With i removed, the sample is a
 *    uniform ordered sample of the n - 1 others, so its first k_i form a
 *    uniform k_i-subset of them: the conditional null of i, exactly.
 *  - S_k[r], the prefix sum of the first k drawn z, serves every i of degree
 *    k that permutation r did not draw among its first k; when it did (at a
 *    position j < k), i's sum is S_{k+1}[r] - z_i.
 *  - larger_i = #{r : z_i (S_i[r] / k) / m2 >= I_i}, the statistic evaluated
 *    exactly as the per-district loop did. It is monotone in S (IEEE division
 *    and multiplication are monotone), so the count over the S_k[.] is a
 *    binary search in a sorted copy, O(log perms) per district; the
 *    permutations that drew i among its first k (perms * K entries over all
 *    districts) are corrected one by one: count the corrected sum instead of
 *    S_k[r].
 *
 * Work: O(perms K) draws, O(D perms log perms) sorting (D distinct degrees),
 * O(n log perms) counting; memory O(perms K + D perms). Every value is a
 * function of (seed, r) or of i alone, and the corrections are integer
 * counts, so the result is bit-identical for any number of threads. */
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

typedef struct lisa_job {
    const double *z, *I;
    const size_t *deg;
    size_t n, K, nd, perms;
    double m2;
    uint64_t seed;
    const size_t *dlist;  /* the distinct eligible degrees, ascending */
    const int32_t *dpos;  /* degree -> its index in dlist, -1 when absent */
    uint32_t *draw;       /* perms x K drawn districts */
    double *su, *ss;      /* nd x perms: S_k[r] in permutation order, and sorted */
    uint32_t *larger;
} lisa_job;

/* The permuted statistic of i against the observed one, as the per-district loop wrote it. */
static inline int at_least(const lisa_job *j, size_t i, double s) {
    return j->z[i] * (s / (double)j->deg[i]) / j->m2 >= j->I[i];
}

/* K distinct districts of 0..n-1 in draw order: sequential draws, a repeat
 * drawn again (a small open-addressing set), or a partial Fisher-Yates over
 * 0..n-1 when K > n / 2 (then n is small). */
static int draw_perm(const lisa_job *j, size_t r, uint32_t *out) {
    sg_rng rng;
    sg__rng_seed(&rng, j->seed, 0x2100000000000000ULL + r);
    size_t n = j->n, K = j->K;
    if (2 * K > n) {
        uint32_t *pool = malloc(n * sizeof *pool);
        if (!pool) return -1;
        for (size_t a = 0; a < n; a++) pool[a] = (uint32_t)a;
        for (size_t k = 0; k < K; k++) {
            size_t pick = k + (size_t)sg__rng_below(&rng, n - k);
            uint32_t t = pool[k];
            pool[k] = pool[pick];
            pool[pick] = t;
            out[k] = pool[k];
        }
        free(pool);
        return 0;
    }
    size_t cap = 16;
    while (cap < 4 * K) cap *= 2;
    uint32_t *set = malloc(cap * sizeof *set);
    if (!set) return -1;
    memset(set, 0xff, cap * sizeof *set);
    for (size_t k = 0; k < K;) {
        uint32_t v = (uint32_t)sg__rng_below(&rng, n);
        size_t h = ((uint64_t)v * 0x9E3779B97F4A7C15ULL) >> 20 & (cap - 1);
        while (set[h] != UINT32_MAX && set[h] != v) h = (h + 1) & (cap - 1);
        if (set[h] == v) continue; /* drawn already: draw again */
        set[h] = v;
        out[k++] = v;
    }
    free(set);
    return 0;
}

/* Permutations [b, e): the draw and S_k[r] for every eligible degree k. */
static int perm_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    lisa_job *j = user;
    for (size_t r = b; r < e; r++) {
        uint32_t *d = j->draw + r * j->K;
        if (draw_perm(j, r, d) != 0) return -1;
        double s = 0;
        size_t next = 0;
        for (size_t k = 1; k <= j->K && next < j->nd; k++) {
            s += j->z[d[k - 1]];
            if (k == j->dlist[next]) j->su[next++ * j->perms + r] = s;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int sort_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    lisa_job *j = user;
    for (size_t t = b; t < e; t++) {
        memcpy(j->ss + t * j->perms, j->su + t * j->perms, j->perms * sizeof *j->ss);
        qsort(j->ss + t * j->perms, j->perms, sizeof *j->ss, cmp_double);
    }
    return 0;
}

/* Districts [b, e): larger_i over the shared sums S_{k_i}[.], by binary search. */
static int count_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    lisa_job *j = user;
    for (size_t i = b; i < e; i++) {
        size_t k = j->deg[i];
        if (k == 0 || k >= j->n) continue;
        const double *s = j->ss + (size_t)j->dpos[k] * j->perms;
        /* the predicate is false..true along s when z_i >= 0, true..false when z_i < 0 */
        int up = !(j->z[i] < 0);
        size_t lo = 0, hi = j->perms;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (at_least(j, i, s[mid]) == up) hi = mid;
            else lo = mid + 1;
        }
        j->larger[i] = (uint32_t)(up ? j->perms - lo : lo);
    }
    return 0;
}

sg_status sg__lisa_larger(sg_ctx *ctx, const double *z, const size_t *deg, const double *I, size_t n, double m2,
                          int perms, uint64_t seed, int threads, uint32_t *larger) {
    if (perms <= 0 || n < 2) return SG_OK;
    size_t kmax = 0;
    for (size_t i = 0; i < n; i++)
        if (deg[i] > 0 && deg[i] < n && deg[i] > kmax) kmax = deg[i];
    if (kmax == 0) return SG_OK;
    lisa_job j = {.z = z, .I = I, .deg = deg, .n = n, .K = kmax + 1, .perms = (size_t)perms, .m2 = m2,
                  .seed = seed, .larger = larger};
    int32_t *dpos = malloc((kmax + 1) * sizeof *dpos);
    size_t *dlist = malloc((kmax + 1) * sizeof *dlist);
    sg_status st = SG_OK;
    if (!dpos || !dlist) {
        st = sg__nomem(ctx);
        goto out;
    }
    for (size_t k = 0; k <= kmax; k++) dpos[k] = -1;
    for (size_t i = 0; i < n; i++)
        if (deg[i] > 0 && deg[i] < n) dpos[deg[i]] = 0;
    for (size_t k = 1; k <= kmax; k++)
        if (dpos[k] == 0) {
            dpos[k] = (int32_t)j.nd;
            dlist[j.nd++] = k;
        }
    j.dpos = dpos;
    j.dlist = dlist;
    j.draw = malloc(j.perms * j.K * sizeof *j.draw);
    j.su = malloc(j.nd * j.perms * sizeof *j.su);
    j.ss = malloc(j.nd * j.perms * sizeof *j.ss);
    if (!j.draw || !j.su || !j.ss) {
        st = sg__nomem(ctx);
        goto out;
    }
    st = sg__parallel(ctx, j.perms, threads, 16, perm_chunk, &j);
    if (st == SG_OK) st = sg__parallel(ctx, j.nd, threads, 1, sort_chunk, &j);
    if (st == SG_OK) st = sg__check_cancel(ctx);
    if (st == SG_OK) st = sg__parallel(ctx, n, threads, 16384, count_chunk, &j);
    if (st != SG_OK) goto out;
    /* the permutations that drew i among its first k_i: S_{k+1}[r] - z_i instead of S_k[r] */
    for (size_t r = 0; r < j.perms; r++) {
        const uint32_t *d = j.draw + r * j.K;
        for (size_t p = 0; p + 1 < j.K; p++) {
            size_t i = d[p], k = deg[i];
            if (k == 0 || k >= n || p >= k) continue;
            double sk = j.su[(size_t)dpos[k] * j.perms + r], own = (sk + z[d[k]]) - z[i];
            larger[i] = larger[i] - (uint32_t)at_least(&j, i, sk) + (uint32_t)at_least(&j, i, own);
        }
    }
out:
    free(dpos);
    free(dlist);
    free(j.draw);
    free(j.su);
    free(j.ss);
    return st;
}
