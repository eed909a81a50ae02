/* The two-value tests of `seggap compare` (PySAL's TwoValueTest): each
 * replicate makes two counterfactual periods under the null, recomputes the
 * aspatial indices of both and keeps the change of each.
 *
 *  person        in every matched district the residents of both periods are
 *                pooled and the period labels reshuffled, keeping each
 *                district's total in each period (null_approach
 *                "person_permutation").
 *  random_label  the districts of both periods are pooled and relabelled at
 *                random, each period keeping its number of districts
 *                (null_approach "random_label"): no ids are matched, so two
 *                cities, or one city before and after redistricting, can be
 *                compared.
 *
 * Replicate r draws from stream r of --seed (person: r + 2^62, random_label:
 * r + 2^62 + 2^61), so the numbers do not depend on the order replicates run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"

sg_status sg__compare_aspatial(sg_ctx *ctx, const double *x, const double *t, size_t n, sg_result *res) {
    size_t *index = malloc((n ? n : 1) * sizeof *index);
    if (!index) return sg__nomem(ctx);
    for (size_t i = 0; i < n; i++) index[i] = i;
    static sg_options opts; /* zero options: the defaults every family accepts */
    sg_city city;
    memset(&city, 0, sizeof city);
    city.n = n;
    sg_data d = {n, index, x, t, 0, NULL, NULL, NULL, &city, &opts, NULL, NULL, 0, NULL, 0};
    memset(res, 0, sizeof *res);
    res->n = n;
    sg_status st = SG_OK;
    for (size_t f = 0; st == SG_OK && f < sg__nfamilies; f++)
        if (!(sg__families[f].flags & SG_FAM_SPATIAL)) st = sg__families[f].fn(ctx, &d, res);
    free(index);
    return st;
}

/* The change of every global of obs between the two counterfactual periods
 * (x[p], t[p], n[p]) into row[j]; NaN where either period has no value. */
static sg_status change_row(sg_ctx *ctx, double *const x[2], double *const t[2], const size_t n[2],
                            const sg_result *obs, double *row) {
    sg_result rr[2];
    sg_status s0 = sg__compare_aspatial(ctx, x[0], t[0], n[0], &rr[0]);
    sg_status s1 = sg__compare_aspatial(ctx, x[1], t[1], n[1], &rr[1]);
    for (size_t j = 0; j < obs->ng; j++) {
        const sg_global *g0 = s0 == SG_OK ? sg__result_get(&rr[0], obs->g[j].name) : NULL;
        const sg_global *g1 = s1 == SG_OK ? sg__result_get(&rr[1], obs->g[j].name) : NULL;
        row[j] = g0 && g1 ? g1->value - g0->value : NAN;
    }
    sg__result_free(&rr[0]);
    sg__result_free(&rr[1]);
    return s0 == SG_ERR_NOMEM || s1 == SG_ERR_NOMEM ? sg__nomem(ctx) : SG_OK;
}

sg_status sg__compare_null(sg_ctx *ctx, int model, const double *const x[2], const double *const t[2],
                           const size_t n[2], const sg_result *obs, size_t reps, uint64_t seed, double *null) {
    size_t all = n[0] + n[1], cap = all ? all : 1;
    double *px = malloc(cap * sizeof *px), *pt = malloc(cap * sizeof *pt);
    size_t *perm = model == SG_COMPARE_NULL_RANDOM_LABEL ? malloc(cap * sizeof *perm) : NULL;
    sg_status st = (!px || !pt || (model == SG_COMPARE_NULL_RANDOM_LABEL && !perm)) ? sg__nomem(ctx) : SG_OK;
    double *cx[2] = {px, px + n[0]}, *ct[2] = {pt, pt + n[0]};
    for (size_t r = 0; st == SG_OK && r < reps; r++) {
        sg_rng rng;
        if (model == SG_COMPARE_NULL_RANDOM_LABEL) {
            sg__rng_seed(&rng, seed, r + 0x6000000000000000ULL);
            for (size_t i = 0; i < all; i++) perm[i] = i;
            for (size_t i = all; i > 1; i--) { /* Fisher-Yates */
                size_t j = (size_t)sg__rng_below(&rng, i), tmp = perm[i - 1];
                perm[i - 1] = perm[j];
                perm[j] = tmp;
            }
            for (size_t i = 0; i < all; i++) { /* pooled row k: period 0's k, or period 1's k - n0 */
                size_t k = perm[i];
                int p = k >= n[0];
                px[i] = x[p][k - (p ? n[0] : 0)];
                pt[i] = t[p][k - (p ? n[0] : 0)];
            }
        } else { /* person: n[0] == n[1], district i of both periods matched */
            sg__rng_seed(&rng, seed, r + 0x4000000000000000ULL);
            for (size_t i = 0; i < n[0]; i++) {
                double ta = round(t[0][i]), tb = round(t[1][i]);
                double pool = round(x[0][i]) + round(x[1][i]);
                double xa = sg__rng_hypergeometric(&rng, ta + tb, pool, ta);
                cx[0][i] = xa;
                cx[1][i] = pool - xa;
                ct[0][i] = ta;
                ct[1][i] = tb;
            }
        }
        st = change_row(ctx, cx, ct, n, obs, null + r * obs->ng);
    }
    free(px);
    free(pt);
    free(perm);
    return st;
}
