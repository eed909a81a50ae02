/* Aspatial multigroup indices (../shared/CONVENTIONS.md B.3) and the local
 * composition columns (B.4), on the frame of K groups: the --groups fields
 * plus "rest" (d->m, d->k > 0), or [group, everyone else] without --groups.
 *
 * Notation: t_i = the row sum of the frame, p_ik = n_ik / t_i (0 when
 * t_i = 0), N_k the group totals, T = Σ N_k, P_k = N_k / T,
 * I = Σ P_k (1 − P_k), E = Σ P_k ln(1/P_k).
 * Per district also local_segregation ls_i = Σ_k p_ik ln(p_ik / P_k), the
 * local mutual information (Elbers' mutual_local; 0 ln 0 = 0): its
 * t-weighted mean is multi_divergence, the mutual information index M. */
#include <math.h>
#include <stdlib.h>

#include "indices/indices.h"


static const char *group_name(const sg_data *d, size_t g) {
    if (d->k) return d->mnames[g];
    return g == 0 ? "group" : "rest";
}

/* The frame as an n x K array (caller frees), checked; without --groups
 * ([group, everyone else]) only checked, and *out stays NULL: cnt() reads the
 * two columns from x and t (no copy of 2n counts at 10^6 districts). */
static sg_status frame(sg_ctx *ctx, const sg_data *d, size_t K, double **out) {
    *out = NULL;
    double *f = d->k ? malloc(d->n * K * sizeof *f) : NULL;
    if (d->k && !f) return sg__nomem(ctx);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t g = 0; g < K; g++) {
            double v = d->k ? d->m[i * K + g] : g == 0 ? d->x[i] : d->t[i] - d->x[i];
            if (!isfinite(v) || v < 0) {
                free(f);
                return sg__error(ctx, SG_ERR_DATA, "E_BAD_COUNTS", SG_WHERE_NONE,
                                 "district %zu: count %g of group '%s' is not usable (need a finite count >= 0)",
                                 i, v, group_name(d, g));
            }
            if (f) f[i * K + g] = v;
        }
    }
    *out = f;
    return SG_OK;
}

/* Count of group g in district i. */
static inline double cnt(const sg_data *d, const double *f, size_t K, size_t i, size_t g) {
    return f ? f[i * K + g] : g == 0 ? d->x[i] : d->t[i] - d->x[i];
}

/* Family "multigroup": the ten multigroup globals, each group's D against the
 * rest of the population (with --groups), and per district local_entropy,
 * local_diversity and lq_<group> (with --groups; without them the two-group
 * lq is the basic family's). */
sg_status sg__family_multigroup(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    size_t n = d->n, K = d->k ? d->k : 2;
    if (n == 0)
        return sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", SG_WHERE_NONE,
                         "no districts left to compute the indices on");
    if (K < 2)
        return sg__error(ctx, SG_ERR_DATA, "E_ONE_GROUP", SG_WHERE_NONE,
                         "the multigroup frame has only the group '%s': the multigroup indices need at least "
                         "two groups (give more --groups, or drop --no-remainder)",
                         group_name(d, 0));
    double *f;
    sg_status st = frame(ctx, d, K, &f);
    if (st != SG_OK) return st;
    /* t_i: the row sums of the frame; without --groups the totals themselves */
    double *tiw = d->k ? malloc(n * sizeof *tiw) : NULL, *N = malloc(K * sizeof *N);
    const double *ti = d->k ? tiw : d->t;
    sg_ksum *cs = calloc(K, sizeof *cs);
    if ((d->k && !tiw) || !N || !cs) {
        st = sg__nomem(ctx);
        goto done;
    }
    sg_ksum Ts = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sg_ksum r = {0, 0};
        for (size_t g = 0; g < K; g++) {
            double v = cnt(d, f, K, i, g);
            sg__ksum_add(&r, v);
            sg__ksum_add(&cs[g], v);
        }
        if (tiw) tiw[i] = sg__ksum_get(&r);
        sg__ksum_add(&Ts, ti[i]);
    }
    for (size_t g = 0; g < K; g++) {
        N[g] = sg__ksum_get(&cs[g]);
        if (N[g] <= 0) {
            int rest = d->k && g + 1 == K && d->opts && !d->opts->no_remainder;
            st = sg__error(ctx, SG_ERR_DATA, "E_EMPTY_GROUP", SG_WHERE_NONE,
                           "the multigroup group '%s' is 0 in every district used: the multigroup indices are "
                           "undefined%s",
                           group_name(d, g),
                           rest ? " ('rest' = total minus the --groups: when the groups already make up the "
                                  "total, use --no-remainder)"
                                : "");
            goto done;
        }
    }
    double T = sg__ksum_get(&Ts);

    /* City-level composition. */
    sg_ksum Is = {0, 0}, Es = {0, 0}, S2 = {0, 0};
    for (size_t g = 0; g < K; g++) {
        double P = N[g] / T;
        sg__ksum_add(&Is, P * (1 - P));
        sg__ksum_add(&Es, -P * log(P));
        sg__ksum_add(&S2, P * P);
    }
    double I = sg__ksum_get(&Is), E = sg__ksum_get(&Es);

    /* Sums over districts and groups; one log per district and group serves
     * the information index (p ln(p/P) = p (ln p − ln P)) and the district's
     * own entropy (local_diversity, straight into its column unless in a
     * replicate; local_entropy from it below). */
    double *lP = malloc(K * sizeof *lP);
    double *le = d->replicate ? NULL : sg__result_column(res, "local_entropy"),
           *ld = d->replicate ? NULL : sg__result_column(res, "local_diversity"),
           *ls = d->replicate ? NULL : sg__result_column(res, "local_segregation");
    if (!lP || (!d->replicate && (!le || !ld || !ls))) {
        free(lP);
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t g = 0; g < K; g++) lP[g] = log(N[g] / T);
    sg_ksum dis = {0, 0}, mne = {0, 0}, mrd = {0, 0}, scv = {0, 0}, info = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sg_ksum h = {0, 0}, lm = {0, 0}; /* lm: local mutual information ls_i */
        for (size_t g = 0; g < K; g++) {
            double P = N[g] / T, p = ti[i] > 0 ? cnt(d, f, K, i, g) / ti[i] : 0;
            double dev = p - P, sq = ti[i] * dev * dev;
            sg__ksum_add(&dis, ti[i] * fabs(dev));
            sg__ksum_add(&mne, sq / (1 - P));
            sg__ksum_add(&mrd, sq);
            sg__ksum_add(&scv, sq / P);
            if (p > 0) {
                double lp = log(p);
                sg__ksum_add(&info, ti[i] * (p * (lp - lP[g])));
                sg__ksum_add(&h, -p * lp);
                sg__ksum_add(&lm, p * (lp - lP[g]));
            }
        }
        if (ld && ti[i] > 0) ld[d->index[i]] = sg__ksum_get(&h);
        if (ls && ti[i] > 0) ls[d->index[i]] = sg__ksum_get(&lm);
    }
    free(lP);
    /* Gini: Σ_k Σ_i Σ_j t_i t_j |p_ik − p_jk| / (2 T² I) over ordered pairs;
     * per group the pairs i < j in O(n log n). */
    sg_ksum gs = {0, 0};
    /* With two groups the other group's shares are 1 − p: the same pairs
     * and differences, so its sum is the first group's. */
    if (!d->k && d->by_share) /* [group, rest]: the shares the evenness family sorted (t_i = t) */
        sg__ksum_add(&gs, 2 * sg__pair_abs_diff_sum_sorted(d->by_share, n));
    sg_prec *rec = d->by_share && !d->k ? NULL : malloc(n * sizeof *rec);
    if (!rec && !(d->by_share && !d->k)) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t g = 0; rec && g < (K == 2 ? 1 : K); g++) {
        for (size_t i = 0; i < n; i++) rec[i] = (sg_prec){ti[i] > 0 ? cnt(d, f, K, i, g) / ti[i] : 0, ti[i], 0};
        if (sg__sort_prec(rec, n) != 0) {
            free(rec);
            st = sg__nomem(ctx);
            goto done;
        }
        sg__ksum_add(&gs, (K == 2 ? 2 : 1) * sg__pair_abs_diff_sum_sorted(rec, n));
    }
    free(rec);

    int ok =
        sg__result_set(res, "multi_dissimilarity", sg__ksum_get(&dis) / (2 * T * I),
                       "Multigroup dissimilarity (Sakoda 1981): D generalised to every group of the frame") &&
        sg__result_set(res, "multi_gini", sg__ksum_get(&gs) / (T * T * I),
                       "Multigroup Gini (Reardon & Firebaugh 2002)") &&
        sg__result_set(res, "multi_information_theory", sg__ksum_get(&info) / (T * E),
                       "Multigroup information theory index H (Theil; Reardon & Firebaugh 2002), natural log") &&
        sg__result_set(res, "multi_normalized_exposure", sg__ksum_get(&mne) / T,
                       "Multigroup normalised exposure (Reardon & Firebaugh 2002)") &&
        sg__result_set(res, "multi_relative_diversity", sg__ksum_get(&mrd) / (T * I),
                       "Multigroup relative diversity (Reardon 1998)") &&
        sg__result_set(res, "multi_squared_coefficient_of_variation", sg__ksum_get(&scv) / (T * (double)(K - 1)),
                       "Multigroup squared coefficient of variation (Reardon & Firebaugh 2002)") &&
        sg__result_set(res, "multi_divergence", sg__ksum_get(&info) / T,
                       "Divergence index (Roberto 2015): mean Kullback-Leibler divergence of the districts' "
                       "composition from the city's, natural log") &&
        sg__result_set(res, "multi_diversity", E,
                       "Diversity of the city (Theil 1972): entropy of the group shares, natural log, not "
                       "normalised (not a segregation index)") &&
        sg__result_set(res, "simpsons_concentration", sg__ksum_get(&S2),
                       "Simpson's concentration (1949): chance that two residents drawn at random belong to the "
                       "same group") &&
        sg__result_set(res, "simpsons_interaction", I,
                       "Simpson's interaction: chance that two residents drawn at random belong to different "
                       "groups");
    if (!ok) {
        st = sg__nomem(ctx);
        goto done;
    }

    /* Each group against the rest of the population (CONVENTIONS A4). */
    for (size_t g = 0; d->k && g < K; g++) {
        sg_ksum o = {0, 0}, D = {0, 0};
        for (size_t h = 0; h < K; h++)
            if (h != g) sg__ksum_add(&o, N[h]);
        double Og = sg__ksum_get(&o);
        for (size_t i = 0; i < n; i++) {
            double x = f[i * K + g];
            sg__ksum_add(&D, fabs(x / N[g] - (ti[i] - x) / Og));
        }
        char *name = sg__asprintf("dissimilarity_%s", d->mnames[g]);
        char *desc = sg__asprintf("Dissimilarity D of group '%s' against the rest of the population (the other "
                                  "groups of the multigroup frame)",
                                  d->mnames[g]);
        ok = name && desc && sg__result_set(res, name, 0.5 * sg__ksum_get(&D), desc);
        free(name);
        free(desc);
        if (!ok) {
            st = sg__nomem(ctx);
            goto done;
        }
    }

    if (d->replicate) goto done; /* only the globals are read */
    /* Per district: local entropy (÷ ln K), diversity, location quotients.
     * A district whose frame row sums to 0 (only with --no-remainder) has no
     * composition: null. */
    double lnK = log((double)K);
    for (size_t i = 0; i < n; i++) {
        size_t c = d->index[i];
        if (ti[i] > 0) le[c] = ld[c] / lnK;
    }
    for (size_t g = 0; d->k && g < K; g++) {
        char *name = sg__asprintf("lq_%s", d->mnames[g]);
        double *lq = name ? sg__result_column(res, name) : NULL;
        free(name);
        if (!lq) {
            st = sg__nomem(ctx);
            goto done;
        }
        double P = N[g] / T;
        for (size_t i = 0; i < n; i++)
            if (ti[i] > 0) lq[d->index[i]] = f[i * K + g] / ti[i] / P;
    }

done:
    free(f);
    free(tiw);
    free(N);
    free(cs);
    return st;
}
