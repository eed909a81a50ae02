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
 * One sort of all districts per district: O(N² log N) time (a radix sort
 * makes it close to O(N²)), O(N) memory. The
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

/* Sorts k[0..n-1] by distance, ties by index, like cmp_dkey: an LSD radix
 * sort on the bits of the (non-negative) distances, 8 bits a pass, stable, on
 * input in index order. Passes whose digit is the same everywhere are skipped.
 * Several times faster than qsort on 20,000 districts. */
static void sort_dkeys(dkey *k, dkey *tmp, size_t n) {
    if (n < 256) {
        qsort(k, n, sizeof *k, cmp_dkey);
        return;
    }
    dkey *src = k, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++) {
            uint64_t b;
            memcpy(&b, &src[i].d, sizeof b);
            cnt[(b >> shift) & 255]++;
        }
        uint64_t b0;
        memcpy(&b0, &src[0].d, sizeof b0);
        if (cnt[(b0 >> shift) & 255] == n) continue;
        for (size_t v = 0, sum = 0; v < 256; v++) {
            size_t c = cnt[v];
            cnt[v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t b;
            memcpy(&b, &src[i].d, sizeof b);
            dst[cnt[(b >> shift) & 255]++] = src[i];
        }
        dkey *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != k) memcpy(k, src, n * sizeof *k);
}

/* q ln(q / P), 0 when q = 0 (scipy.special.rel_entr). */
static double rel_entr(double q, double P) { return q > 0 ? q * log(q / P) : 0.0; }

sg_status sg__family_distortion(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "distortion");
    if (st != SG_OK) return st;
    const sg_spatial *sp = d->sp;
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
    double Px = X / T, Py = Y / T;
    dkey *k = malloc(n * sizeof *k), *tmp = malloc(n * sizeof *tmp);
    double *loc = malloc(n * sizeof *loc);
    if (!k || !tmp || !loc) {
        free(k);
        free(tmp);
        free(loc);
        return sg__nomem(ctx);
    }
    sg_ksum glob = {0, 0};
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) k[j] = (dkey){sg__centroid_dist(sp, i, j), j};
        sort_dkeys(k, tmp, n);
        double cx = 0, cy = 0;
        sg_ksum kl = {0, 0};
        for (size_t s = 0; s < n; s++) {
            size_t j = k[s].j;
            cx += d->x[j];
            cy += d->t[j] - d->x[j];
            double c = cx + cy;
            sg__ksum_add(&kl, rel_entr(cx / c, Px) + rel_entr(cy / c, Py));
        }
        loc[i] = sg__ksum_get(&kl);
        sg__ksum_add(&glob, d->t[i] * loc[i]);
    }
    free(k);
    free(tmp);
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
