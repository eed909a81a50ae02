/* Local and global distortion (Olteanu, Randon-Furling & Clark 2019; Bézenac
 * et al. 2022), on the two-group frame [group, everyone else], as PySAL's
 * LocalDistortion / GlobalDistortion (CONVENTIONS B.3, B.4):
 *
 *   from district i, take the districts in order of centroid distance from i
 *   (i first; ties by input order); after s of them the cumulative
 *   composition q_s diverges from the city's P by KL_s = sum_k q_sk ln(q_sk/P_k);
 *   local_distortion_i = sum_{s=1..n} KL_s (the last term is 0),
 *   global_distortion = sum_i t_i local_distortion_i / T.
 *
 * One sort of all districts per district: O(N² log N) time (a bucket sort
 * makes it close to O(N²)), O(N) memory per thread, the districts shared by
 * --threads threads. The
 * family is skipped with a warning above SG_DISTORTION_MAX_N districts and is
 * not re-run by the permutation test (families.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

typedef struct dkey {
    double d;
    size_t j;
} dkey;

static int cmp_dkey(const void *a, const void *b) {
    const dkey *x = a, *y = b;
    if (x->d < y->d) return -1;
    if (x->d > y->d) return 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* Sorts k[0..n-1] (distances from one district, in index order, the largest
 * dmax) by distance, ties by index: the order of cmp_dkey exactly. One
 * counting pass into n buckets of equal width (the bucket is monotone in the
 * distance, and the scatter is stable, so equal distances stay in index
 * order), then each bucket sorted on its own: by insertion when it is small
 * (on average a bucket holds one or two districts), by qsort when it is not,
 * so clustered distances cannot make it quadratic. About three times faster
 * than the former LSD radix sort on all 64 bits (issue 18). cnt: n + 1
 * counters. */
static size_t bucket(double d, double scale, size_t n) {
    double v = d * scale; /* not a number: the last bucket, sorted there by cmp_dkey */
    return v >= 0 && v < (double)(n - 1) ? (size_t)v : n - 1;
}

static void sort_dkeys(dkey *k, dkey *tmp, size_t *cnt, size_t n, double dmax) {
    if (n < 64 || !(dmax > 0) || !isfinite(dmax)) {
        qsort(k, n, sizeof *k, cmp_dkey);
        return;
    }
    const double scale = (double)(n - 1) / dmax;
    memset(cnt, 0, (n + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++) cnt[bucket(k[i].d, scale, n) + 1]++;
    for (size_t b = 1; b <= n; b++) cnt[b] += cnt[b - 1]; /* cnt[b]: start of bucket b */
    for (size_t i = 0; i < n; i++) tmp[cnt[bucket(k[i].d, scale, n)]++] = k[i];
    /* cnt[b] is now the end of bucket b */
    size_t lo = 0;
    for (size_t b = 0; b < n; b++) {
        size_t hi = cnt[b], m = hi - lo;
        if (m > 32) {
            qsort(tmp + lo, m, sizeof *tmp, cmp_dkey);
        } else {
            for (size_t i = lo + 1; i < hi; i++) {
                if (cmp_dkey(&tmp[i - 1], &tmp[i]) <= 0) continue;
                dkey v = tmp[i];
                size_t j = i;
                while (j > lo && cmp_dkey(&tmp[j - 1], &v) > 0) {
                    tmp[j] = tmp[j - 1];
                    j--;
                }
                tmp[j] = v;
            }
        }
        lo = hi;
    }
    memcpy(k, tmp, n * sizeof *k);
}

/* q ln(q / P), 0 when q = 0 (scipy.special.rel_entr). */
static double rel_entr(double q, double P) { return q > 0 ? q * log(q / P) : 0.0; }

typedef struct dist_job {
    const sg_ctx *ctx; /* its cancellation stops the loop */
    const sg_data *d;
    double Px, Py;
    double *loc;
} dist_job;

/* local_distortion of districts [b, e). */
static int dist_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    const dist_job *J = user;
    const sg_data *d = J->d;
    const sg_spatial *sp = d->sp;
    size_t n = d->n;
    dkey *k = malloc(n * sizeof *k), *tmp = malloc(n * sizeof *tmp);
    size_t *cnt = malloc((n + 1) * sizeof *cnt);
    if (!k || !tmp || !cnt) {
        free(k);
        free(tmp);
        free(cnt);
        return -1;
    }
    int rc = 0;
    for (size_t i = b; i < e && rc == 0; i++) {
        if ((i & 63) == 0 && sg__cancelled(J->ctx)) {
            rc = -2; /* sg__parallel reports the interruption */
            break;
        }
        double dmax = 0;
        for (size_t j = 0; j < n; j++) {
            k[j] = (dkey){sg__centroid_dist(sp, i, j), j};
            if (k[j].d > dmax) dmax = k[j].d;
        }
        sort_dkeys(k, tmp, cnt, n, dmax);
        double cx = 0, cy = 0;
        sg_ksum kl = {0, 0};
        for (size_t s = 0; s < n; s++) {
            size_t j = k[s].j;
            cx += d->x[j];
            cy += d->t[j] - d->x[j];
            double c = cx + cy;
            sg__ksum_add(&kl, rel_entr(cx / c, J->Px) + rel_entr(cy / c, J->Py));
        }
        J->loc[i] = sg__ksum_get(&kl);
    }
    free(k);
    free(tmp);
    free(cnt);
    return rc;
}

sg_status sg__family_distortion(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "distortion");
    if (st != SG_OK) return st;
    size_t n = d->n;
    if (n > SG_DISTORTION_MAX_N) {
        sg__warn(ctx, "W_SKIPPED", SG_WHERE_NONE,
                 "global_distortion and local_distortion skipped: they sort every district by distance from "
                 "each district (O(N² log N)) and are computed up to %d districts; this run has %zu",
                 SG_DISTORTION_MAX_N, n);
        return SG_OK;
    }
    double X, Y, T;
    if ((st = sg__spatial_totals(ctx, d, &X, &Y, &T)) != SG_OK) return st;
    double *loc = malloc(n * sizeof *loc);
    if (!loc) return sg__nomem(ctx);
    /* Each district's sum on its own: on --threads threads, the same bits
     * whatever their number (issue 18). */
    dist_job J = {ctx, d, X / T, Y / T, loc};
    int nt = sg__thread_count(d->opts ? d->opts->threads : 0);
    st = sg__parallel(ctx, n, nt, n / (size_t)(8 * nt) + 1, dist_chunk, &J);
    if (st != SG_OK) {
        free(loc);
        return st;
    }
    sg_ksum glob = {0, 0};
    for (size_t i = 0; i < n; i++) sg__ksum_add(&glob, d->t[i] * loc[i]);
    double *col = sg__result_column(res, "local_distortion");
    if (!col) {
        free(loc);
        return sg__nomem(ctx);
    }
    for (size_t i = 0; i < n; i++) col[d->index[i]] = loc[i];
    free(loc);
    return sg__spatial_set(ctx, res, "global_distortion", sg__ksum_get(&glob) / T,
                           "Global distortion (Olteanu et al. 2019): the population-weighted mean of local "
                           "distortion, how far the composition met when widening the view from a district "
                           "stays from the city's; 0 = none",
                           "two groups (the group and everyone else); districts ordered by Euclidean distance "
                           "between centroids in metres, ties by input order; KL divergence in nats",
                           NULL);
}
