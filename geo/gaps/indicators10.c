/* Objective 10, housing indicators with a direction (issue 17 item 4):
 * --housing-indicator NAME=FIELD[:lower]. For each indicator, over the
 * usable districts with a value:
 *   rate R = sum(t_i v_i) / sum(t_i)  (population-weighted: for living space
 *     per person, the city's floor area over its residents);
 *   NAME_worse = 1 when v_i > R + m|R| (higher is worse) or v_i < R - m|R|
 *     (lower is worse), m = --housing-margin (default 0.1); 0 otherwise;
 *     NaN when unknown;
 *   corr_share: Pearson correlation of the migrant share and v (one value
 *     per district, unweighted, as corr_share_overcrowding);
 *   migrant_rest_ratio = (sum x_i v_i / X) / (sum y_i v_i / Y), as
 *     overcrowding_ratio (ecological: district rates, not households);
 *   conc_other_ratio: R over the concentrated districts / R over the others.
 * The flags are listed in gap10_flags; they do not change gap10_class. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaps/gaps.h"

double sg__pearson(const double *a, const double *b, const unsigned char *mask, size_t n) {
    sg_ksum sa = {0, 0}, sb = {0, 0};
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i] && isfinite(a[i]) && isfinite(b[i])) {
            sg__ksum_add(&sa, a[i]);
            sg__ksum_add(&sb, b[i]);
            m++;
        }
    if (m < 3) return NAN;
    double ma = sg__ksum_get(&sa) / (double)m, mb = sg__ksum_get(&sb) / (double)m;
    sg_ksum sab = {0, 0}, saa = {0, 0}, sbb = {0, 0};
    for (size_t i = 0; i < n; i++)
        if (mask[i] && isfinite(a[i]) && isfinite(b[i])) {
            sg__ksum_add(&sab, (a[i] - ma) * (b[i] - mb));
            sg__ksum_add(&saa, (a[i] - ma) * (a[i] - ma));
            sg__ksum_add(&sbb, (b[i] - mb) * (b[i] - mb));
        }
    double den = sqrt(sg__ksum_get(&saa) * sg__ksum_get(&sbb));
    return den > 0 ? sg__ksum_get(&sab) / den : NAN;
}

void sg__hind_out_free(sg_hind_out *o) {
    free(o->value);
    free(o->worse);
    memset(o, 0, sizeof *o);
}

static double ratio(sg_ksum num_a, sg_ksum den_a, sg_ksum num_b, sg_ksum den_b) {
    double da = sg__ksum_get(&den_a), db = sg__ksum_get(&den_b);
    if (!(da > 0 && db > 0)) return NAN;
    double b = sg__ksum_get(&num_b) / db;
    return b != 0 ? (sg__ksum_get(&num_a) / da) / b : NAN;
}

sg_status sg__hind_assess(sg_ctx *ctx, const sg_gap10_in *in, const double *v, int lower, double margin,
                          sg_hind_out *out) {
    size_t n = in->n, nn = n ? n : 1;
    memset(out, 0, sizeof *out);
    out->value = malloc(nn * sizeof *out->value);
    out->worse = malloc(nn * sizeof *out->worse);
    double *share = malloc(nn * sizeof *share);
    if (!out->value || !out->worse || !share) {
        free(share);
        sg__hind_out_free(out);
        return sg__nomem(ctx);
    }
    out->rate = out->threshold = out->corr_share = out->migrant_rest_ratio = out->conc_other_ratio = NAN;
    sg_ksum T = {0, 0}, TV = {0, 0}, X = {0, 0}, XV = {0, 0}, Y = {0, 0}, YV = {0, 0};
    sg_ksum Tc = {0, 0}, TVc = {0, 0}, To = {0, 0}, TVo = {0, 0};
    for (size_t i = 0; i < n; i++) {
        out->value[i] = v ? v[i] : NAN;
        out->worse[i] = NAN;
        share[i] = in->usable[i] ? in->group[i] / in->total[i] : NAN;
        if (!in->usable[i]) continue;
        if (!isfinite(out->value[i])) {
            out->n_missing++;
            continue;
        }
        double t = in->total[i], x = in->group[i], y = t - x, vi = out->value[i];
        out->n_known++;
        sg__ksum_add(&T, t);
        sg__ksum_add(&TV, t * vi);
        sg__ksum_add(&X, x);
        sg__ksum_add(&XV, x * vi);
        sg__ksum_add(&Y, y);
        sg__ksum_add(&YV, y * vi);
        sg__ksum_add(in->concentrated[i] ? &Tc : &To, t);
        sg__ksum_add(in->concentrated[i] ? &TVc : &TVo, t * vi);
    }
    if (out->n_known && sg__ksum_get(&T) > 0) {
        out->rate = sg__ksum_get(&TV) / sg__ksum_get(&T);
        out->threshold = lower ? out->rate - margin * fabs(out->rate) : out->rate + margin * fabs(out->rate);
        out->migrant_rest_ratio = ratio(XV, X, YV, Y);
        out->conc_other_ratio = ratio(TVc, Tc, TVo, To);
        out->corr_share = sg__pearson(share, out->value, in->usable, n);
        for (size_t i = 0; i < n; i++) {
            if (!in->usable[i] || !isfinite(out->value[i])) continue;
            int w = lower ? out->value[i] < out->threshold : out->value[i] > out->threshold;
            out->worse[i] = w;
            out->n_worse += (size_t)w;
            out->n_worse_conc += (size_t)(w && in->concentrated[i]);
        }
    }
    free(share);
    return SG_OK;
}

size_t sg__gap10_flags_size(const struct sg_gaps *g) {
    size_t s = 64;
    for (size_t k = 0; k < g->nind; k++) s += strlen(g->hind[k].name) + 8;
    return s;
}

void sg__gap10_flags_all(const struct sg_gaps *g, size_t i, char *buf, size_t size) {
    sg__gap10_flags_text(g->g10.flags[i], buf, size);
    size_t len = strlen(buf);
    for (size_t k = 0; k < g->nind && len < size; k++) {
        if (!(g->ind[k].worse[i] == 1)) continue;
        int w = snprintf(buf + len, size - len, "%s%s_worse", len ? "," : "", g->hind[k].name);
        if (w > 0) len += (size_t)w;
    }
}
