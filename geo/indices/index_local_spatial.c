/* Local spatial statistics of the migrant share p_i = x_i / t_i:
 *
 *  - Getis-Ord Gi* (Ord & Getis 1995), self included with weight 1, binary
 *    weights: the z-score of the local sum of shares against its expectation
 *    under randomisation,
 *      z_i = (sum_j w_ij p_j - pbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1))),
 *    W_i = sum_j w_ij, S1_i = sum_j w_ij^2, pbar and s the mean and standard
 *    deviation (divisor n) of p. gi_star_p is the two-sided normal p-value,
 *    as in the usual hot-spot analysis; gi_star_q the same adjusted for
 *    multiple testing over the districts with a p (--p-adjust, default fdr:
 *    Benjamini-Hochberg; p_adjust.c). Objective 5's hot spot is
 *    gi_star_z > 0 and gi_star_q <= --alpha.
 *  - Local Moran's I (Anselin 1995) with row-standardised weights:
 *    I_i = (z_i / m2) sum_j w_ij z_j, z = p - pbar, m2 = sum z^2 / n.
 *    lisa_p is a conditional permutation p-value: z_i held, the neighbours'
 *    values drawn without replacement from the other n - 1 units
 *    (--local-permutations, default 999), folded as PySAL does:
 *    p = (min(#{I_r >= I_i}, N - #{I_r >= I_i}) + 1) / (N + 1); except p = 1 where z_i = 0 (the
 *    permuted statistics are then all 0: PySAL's fold would give the smallest p).
 *    lisa_class: HH, LL, HL or LH (the sign of z_i and of its spatial lag)
 *    when lisa_p <= --alpha (default 0.05), else ns. lisa_p is not
 *    adjusted: lisa_class is the descriptive cluster map of GeoDa and PySAL
 *    (their default), and a conditional permutation p cannot fall below
 *    1/(N+1), so BH over hundreds of districts would leave no cluster at
 *    999 permutations; the decision the tool takes (the hot spot) is
 *    adjusted.
 * Weights: --weights queen (default) | rook | knn:K | distance:M (metres,
 * centroid distance band). Islands (no neighbour) get null values and are
 * reported. The permutations are shared by all districts (lisa_perm.c:
 * permutation r draws one sample from random stream r of --seed, district i
 * takes its first k_i draws other than itself), so the result does not depend
 * on threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

/* Full (both directions) neighbour lists of w, in *full (caller frees). */
static sg_status full_weights(sg_ctx *ctx, const sg_weights *w, sg_weights *full) {
    memset(full, 0, sizeof *full);
    size_t n = w->n, nnz = sg__weights_nnz(w);
    if (!w->upper) {
        *full = *w;
        full->w = NULL; /* binary use only: borrowed arrays, not freed */
        return SG_OK;
    }
    size_t *deg = calloc(n + 1, sizeof *deg);
    if (!deg) return sg__nomem(ctx);
    for (size_t i = 0; i < n; i++)
        for (size_t k = w->off[i]; k < w->off[i + 1]; k++) {
            deg[i]++;
            deg[w->nb[k]]++;
        }
    full->n = n;
    full->off = malloc((n + 1) * sizeof *full->off);
    full->nb = malloc((2 * nnz + 1) * sizeof *full->nb);
    if (!full->off || !full->nb) {
        free(deg);
        free(full->off);
        free(full->nb);
        return sg__nomem(ctx);
    }
    full->off[0] = 0;
    for (size_t i = 0; i < n; i++) full->off[i + 1] = full->off[i] + deg[i];
    memset(deg, 0, (n + 1) * sizeof *deg);
    for (size_t i = 0; i < n; i++)
        for (size_t k = w->off[i]; k < w->off[i + 1]; k++) {
            size_t j = w->nb[k];
            full->nb[full->off[i] + deg[i]++] = (uint32_t)j;
            full->nb[full->off[j] + deg[j]++] = (uint32_t)i;
        }
    free(deg);
    full->upper = 2; /* marks owned arrays */
    return SG_OK;
}

static double normal_two_sided(double z) { return erfc(fabs(z) / sqrt(2.0)); }

sg_status sg__family_local_spatial(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    const sg_spatial *sp = d->sp;
    if (!sp || d->n < 3) return SG_OK; /* nothing local to say about fewer than 3 districts */
    const sg_options *o = d->opts;
    size_t n = d->n;
    const char *spec = o->weights ? o->weights : "queen";
    sg_weights own = {0}, full = {0};
    const sg_weights *w = NULL;
    sg_status st = SG_OK;
    if (strcmp(spec, "queen") == 0) w = &sp->queen;
    else if (strcmp(spec, "rook") == 0) w = &sp->rook;
    else if (strncmp(spec, "knn:", 4) == 0) {
        st = sg__weights_knn(ctx, sp, (size_t)strtoul(spec + 4, NULL, 10), &own);
        w = &own;
    } else if (strncmp(spec, "distance:", 9) == 0) {
        st = sg__weights_distance(ctx, sp, strtod(spec + 9, NULL), 0, 0, &own);
        w = &own;
    } else {
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--weights '%s' is not queen, rook, knn:K "
                         "or distance:M", spec);
    }
    if (st == SG_OK) st = full_weights(ctx, w, &full);
    if (st != SG_OK) {
        sg__weights_free(&own);
        return st;
    }
    double *p = malloc(n * sizeof *p), *z = malloc(n * sizeof *z);
    double *gz = sg__result_column(res, "gi_star_z"), *gp = sg__result_column(res, "gi_star_p");
    double *gq = sg__result_column(res, "gi_star_q");
    double *li = sg__result_column(res, "lisa_i"), *lp = sg__result_column(res, "lisa_p");
    char **lc = sg__result_text_column(res, "lisa_class");
    size_t *deg = malloc(n * sizeof *deg);
    double *Iv = malloc(n * sizeof *Iv), *lagv = malloc(n * sizeof *lagv);
    uint32_t *larger = calloc(n, sizeof *larger);
    if (!p || !z || !gz || !gp || !gq || !li || !lp || !lc || !deg || !Iv || !lagv || !larger) st = sg__nomem(ctx);
    if (st != SG_OK) goto out;
    sg_ksum s1 = {0, 0}, s2 = {0, 0};
    for (size_t i = 0; i < n; i++) {
        p[i] = d->x[i] / d->t[i];
        sg__ksum_add(&s1, p[i]);
    }
    double mean = sg__ksum_get(&s1) / (double)n;
    for (size_t i = 0; i < n; i++) {
        z[i] = p[i] - mean;
        sg__ksum_add(&s2, z[i] * z[i]);
    }
    double m2 = sg__ksum_get(&s2) / (double)n, sd = sqrt(m2);
    if (!(m2 > 0)) goto out; /* every district has the same share: nothing is local */
    int perms = o->local_permutations;
    double alpha = o->alpha > 0 ? o->alpha : 0.05;
    size_t islands = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = d->index[i], k0 = full.off[i], k1 = full.off[i + 1];
        deg[i] = k1 - k0;
        if (deg[i] == 0) {
            islands++;
            continue; /* nulls */
        }
        /* Gi*: neighbours plus i itself, binary. */
        double local = p[i], W = (double)deg[i] + 1;
        for (size_t k = k0; k < k1; k++) local += p[full.nb[k]];
        double den = sd * sqrt(((double)n * W - W * W) / (double)(n - 1));
        gz[c] = den > 0 ? (local - mean * W) / den : NAN;
        gp[c] = isfinite(gz[c]) ? normal_two_sided(gz[c]) : NAN;
        /* Local Moran, row-standardised. */
        double lag = 0;
        for (size_t k = k0; k < k1; k++) lag += z[full.nb[k]];
        lag /= (double)deg[i];
        lagv[i] = lag;
        Iv[i] = li[c] = z[i] * lag / m2;
    }
    /* larger_i = #{permutations with I_r >= I_i}, for the districts with 0 < k_i < n */
    st = sg__lisa_larger(ctx, z, deg, Iv, n, m2, perms, (uint64_t)o->seed, o->threads, larger);
    for (size_t i = 0; i < n && st == SG_OK; i++) {
        size_t c = d->index[i];
        if (deg[i] == 0) continue;
        if (perms > 0 && deg[i] < n && z[i] == 0) {
            /* share exactly the city's: I_i = 0 and every permuted I_r = z_i (...) = 0 too, a null with
             * one value. PySAL's fold counts all ties as larger and gives 1/(N+1), the smallest p,
             * so such a district came out as a significant LL or LH cluster; it is no evidence of
             * anything: p = 1, class ns. */
            lp[c] = 1.0;
        } else if (perms > 0 && deg[i] < n) {
            size_t lg = larger[i];
            if ((size_t)perms - lg < lg) lg = (size_t)perms - lg;
            lp[c] = (double)(lg + 1) / (double)(perms + 1);
        }
        double lag = lagv[i];
        const char *cls = "ns";
        if (isfinite(lp[c]) && lp[c] <= alpha) cls = z[i] > 0 ? (lag > 0 ? "HH" : "HL") : (lag > 0 ? "LH" : "LL");
        lc[c] = sg__strdup(cls);
        if (!lc[c]) st = sg__nomem(ctx);
    }
    /* gi_star_q: gi_star_p adjusted over the districts with a p (--p-adjust) */
    if (st == SG_OK && sg__p_adjust(o->p_adjust, gp, res->n, gq) != 0) st = sg__nomem(ctx);
    if (islands && w != &sp->queen)
        sg__warn(ctx, "W_ISLAND", SG_WHERE_NONE, "%zu districts have no neighbour under --weights %s: their local "
                 "statistics are null", islands, spec);
    sg_global *g = sg__result_set(res, "lisa_significant_share", 0, NULL);
    if (g) {
        size_t sig = 0;
        for (size_t i = 0; i < n; i++) {
            const char *cl = lc[d->index[i]];
            if (cl && strcmp(cl, "ns") != 0) sig++;
        }
        g->value = (double)sig / (double)n;
        free(g->description);
        /* the neighbours in words (the report and summary.json are read by people, not the CLI) */
        char nb[160];
        if (strcmp(spec, "queen") == 0)
            snprintf(nb, sizeof nb, "queen contiguity (districts sharing a border or a corner)");
        else if (strcmp(spec, "rook") == 0) snprintf(nb, sizeof nb, "rook contiguity (districts sharing a border)");
        else if (strncmp(spec, "knn:", 4) == 0) snprintf(nb, sizeof nb, "the %s nearest districts (by centroid)", spec + 4);
        else snprintf(nb, sizeof nb, "distance (districts with centroids within %s m)", spec + 9);
        g->description = sg__asprintf("Share of districts in a significant local Moran cluster (p <= %g, %d "
                                      "conditional permutations), neighbours by %s", alpha, perms, nb);
    }
out:
    free(p);
    free(z);
    free(deg);
    free(Iv);
    free(lagv);
    free(larger);
    if (full.upper == 2) {
        free(full.off);
        free(full.nb);
    }
    sg__weights_free(&own);
    return st;
}
