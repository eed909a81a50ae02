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
 * One sort of all districts per district: O(N² log N) time, O(N) memory. The
 * family is skipped with a warning above SG_DISTORTION_MAX_N districts and is
 * not re-run by the permutation test (families.c). */
#include <math.h>
#include <stdlib.h>

#include "index_spatial.h"

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
    dkey *k = malloc(n * sizeof *k);
    double *loc = malloc(n * sizeof *loc);
    if (!k || !loc) {
        free(k);
        free(loc);
        return sg__nomem(ctx);
    }
    sg_ksum glob = {0, 0};
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) k[j] = (dkey){sg__centroid_dist(sp, i, j), j};
        qsort(k, n, sizeof *k, cmp_dkey);
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
