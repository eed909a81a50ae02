/* Objective 5 of the OECD checklist, the spatial gap: where migrants are
 * concentrated and where access to public services is worse.
 *
 *  - concentrated: lq >= --lq-threshold (default 1.5), or a significant
 *    Getis-Ord Gi* hot spot of the migrant share (gi_star_z > 0 and
 *    gi_star_q <= --alpha, default 0.05; gi_star_q is gi_star_p adjusted
 *    by --p-adjust, default fdr: Benjamini-Hochberg over the districts).
 *  - access_score: for every service type of the access stage, the
 *    district's mid-rank percentile rank of its nearest distance (the
 *    column dist_TYPE_m) among the districts with residents (0 = nearest in
 *    the city, 1 = farthest); access_score is their mean over the types.
 *    Without service data it is null and access is not assessed.
 *  - underserved: access_score above the city's population-weighted median
 *    of access_score (the lower weighted median over the districts used);
 *    with --standard (issue 17) instead: beyond at least one standard
 *    (beyond_TYPE = 1); within every one (all 0) is served; none beyond but
 *    one unknown is no_data. Types without a standard still enter
 *    access_score (and so gap5_score), not this rule.
 *  - gap5_class: concentrated_underserved, concentrated_served, underserved,
 *    ok; without service data only concentrated / not_concentrated; no_data
 *    for districts without residents or counts (or without any distance).
 *  - gap5_score = sqrt(C * A) in [0, 1], C the percentile rank of lq, A the
 *    access_score: high only where both concentration and the access deficit
 *    are high. Without service data gap5_score = C. gap5_rank orders the
 *    districts by it (1 = first for action; ties: more migrants first).
 *
 * This file also runs the objective stage (sg__objectives): housing inputs,
 * objective 5, objective 10. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaps/gaps.h"

static const char *const gap5_names[SG_GAP5_COUNT] = {
    "concentrated_underserved", "concentrated_served", "underserved", "ok",
    "concentrated", "not_concentrated", "no_data"};
static const char *const gap5_labels[SG_GAP5_COUNT] = {
    "Migrant concentration, access worse than the city median",
    "Migrant concentration, access as good as the city median or better",
    "No concentration, access worse than the city median",
    "No concentration, access as good as the city median or better",
    "Migrant concentration (access not assessed: no service data)",
    "No migrant concentration (access not assessed: no service data)",
    "No data (no residents, counts missing or no distance)"};

static const char *const gap5_labels_std[SG_GAP5_OK + 1] = {
    "Migrant concentration, beyond an access standard",
    "Migrant concentration, within every access standard",
    "No concentration, beyond an access standard",
    "No concentration, within every access standard"};

const char *sg__gap5_label_std(sg_gap5 c, int by_standards) {
    if (c == SG_GAP5_NO_DATA && by_standards) return "No data (no residents, counts missing or no distance or time)";
    return by_standards && c <= SG_GAP5_OK ? gap5_labels_std[c] : sg__gap5_label(c);
}

const char *sg__gap5_name(sg_gap5 c) { return c < SG_GAP5_COUNT ? gap5_names[c] : "unknown"; }
const char *sg__gap5_label(sg_gap5 c) { return c < SG_GAP5_COUNT ? gap5_labels[c] : "unknown"; }


typedef struct rank_item {
    double v;
    size_t i;
} rank_item;

static int cmp_rank_item(const void *a, const void *b) {
    const rank_item *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int sg__percentile_rank(const double *v, const unsigned char *mask, size_t n, double *out) {
    rank_item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
        if ((!mask || mask[i]) && isfinite(v[i])) it[m++] = (rank_item){v[i], i};
    }
    qsort(it, m, sizeof *it, cmp_rank_item);
    for (size_t a = 0; a < m;) {
        size_t b = a;
        while (b + 1 < m && it[b + 1].v == it[a].v) b++;
        double mid = 0.5 * ((double)a + (double)b); /* 0-based mean rank of the tie */
        for (size_t k = a; k <= b; k++) out[it[k].i] = m > 1 ? mid / (double)(m - 1) : 0.0;
        a = b + 1;
    }
    free(it);
    return 0;
}

/* Lower population-weighted median of v over mask (finite v, w > 0). */
static double weighted_median(const double *v, const double *w, const unsigned char *mask, size_t n) {
    rank_item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it) return NAN;
    size_t m = 0;
    sg_ksum tot = {0, 0};
    for (size_t i = 0; i < n; i++)
        if (mask[i] && isfinite(v[i]) && w[i] > 0) {
            it[m++] = (rank_item){v[i], i};
            sg__ksum_add(&tot, w[i]);
        }
    qsort(it, m, sizeof *it, cmp_rank_item);
    double half = 0.5 * sg__ksum_get(&tot), med = NAN;
    sg_ksum cum = {0, 0};
    for (size_t k = 0; k < m; k++) {
        sg__ksum_add(&cum, w[it[k].i]);
        if (sg__ksum_get(&cum) >= half) {
            med = it[k].v;
            break;
        }
    }
    free(it);
    return med;
}

void sg__gap5_out_free(sg_gap5_out *o) {
    free(o->cls);
    free(o->concentrated);
    free(o->hotspot);
    free(o->access_score);
    free(o->score);
    free(o->rank);
    memset(o, 0, sizeof *o);
}

typedef struct score_item {
    double score, group;
    size_t i;
} score_item;

static int cmp_score_desc(const void *a, const void *b) {
    const score_item *x = a, *y = b;
    if (x->score > y->score) return -1;
    if (x->score < y->score) return 1;
    if (x->group > y->group) return -1;
    if (x->group < y->group) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

sg_status sg__gap5_classify(sg_ctx *ctx, const sg_gap5_in *in, sg_gap5_out *out) {
    size_t n = in->n, nn = n ? n : 1;
    memset(out, 0, sizeof *out);
    out->access_median = NAN;
    out->cls = malloc(nn);
    out->concentrated = calloc(nn, 1);
    out->hotspot = calloc(nn, 1);
    out->access_score = malloc(nn * sizeof(double));
    out->score = malloc(nn * sizeof(double));
    out->rank = malloc(nn * sizeof(double));
    double *pr = malloc(nn * sizeof *pr), *lqr = malloc(nn * sizeof *lqr);
    score_item *si = malloc(nn * sizeof *si);
    sg_status st = SG_OK;
    if (!out->cls || !out->concentrated || !out->hotspot || !out->access_score || !out->score || !out->rank ||
        !pr || !lqr || !si) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out->access_score[i] = out->score[i] = out->rank[i] = NAN;
        if (!in->usable[i]) continue;
        int hot = in->gi_z && in->gi_p && isfinite(in->gi_z[i]) && isfinite(in->gi_p[i]) && in->gi_z[i] > 0 &&
                  in->gi_p[i] <= in->alpha;
        out->hotspot[i] = (unsigned char)hot;
        out->concentrated[i] = (unsigned char)(hot || (isfinite(in->lq[i]) && in->lq[i] >= in->lq_threshold));
    }
    /* access_score: mean percentile rank of the nearest distance over the types */
    if (in->ntypes) {
        size_t *nt = calloc(nn, sizeof *nt);
        if (!nt) {
            st = sg__nomem(ctx);
            goto done;
        }
        for (size_t i = 0; i < n; i++) out->access_score[i] = 0;
        for (size_t t = 0; t < in->ntypes; t++) {
            if (sg__percentile_rank(in->dist[t], in->usable, n, pr) != 0) {
                free(nt);
                st = sg__nomem(ctx);
                goto done;
            }
            for (size_t i = 0; i < n; i++)
                if (isfinite(pr[i])) {
                    out->access_score[i] += pr[i];
                    nt[i]++;
                }
        }
        for (size_t i = 0; i < n; i++)
            out->access_score[i] = in->usable[i] && nt[i] ? out->access_score[i] / (double)nt[i] : NAN;
        free(nt);
        out->access_median = weighted_median(out->access_score, in->total, in->usable, n);
        out->by_standards = in->nstd > 0;
    }
    if (sg__percentile_rank(in->lq, in->usable, n, lqr) != 0) {
        st = sg__nomem(ctx);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        sg_gap5 c;
        if (!in->usable[i]) c = SG_GAP5_NO_DATA;
        else if (!in->ntypes) c = out->concentrated[i] ? SG_GAP5_CONCENTRATED : SG_GAP5_NOT_CONCENTRATED;
        else if (!isfinite(out->access_score[i]) || !isfinite(out->access_median)) c = SG_GAP5_NO_DATA;
        else {
            int under = out->access_score[i] > out->access_median;
            if (in->nstd) { /* the standards: beyond one is underserved; an unknown one leaves it undecided */
                int unknown = 0;
                under = 0;
                for (size_t t = 0; t < in->ntypes; t++)
                    if (in->beyond[t] && in->beyond[t][i] == 1) under = 1;
                    else if (in->beyond[t] && !isfinite(in->beyond[t][i])) unknown = 1;
                if (!under && unknown) {
                    out->cls[i] = (unsigned char)SG_GAP5_NO_DATA;
                    out->count[SG_GAP5_NO_DATA]++;
                    continue;
                }
            }
            c = out->concentrated[i] ? (under ? SG_GAP5_CONC_UNDERSERVED : SG_GAP5_CONC_SERVED)
                                     : (under ? SG_GAP5_UNDERSERVED : SG_GAP5_OK);
        }
        out->cls[i] = (unsigned char)c;
        out->count[c]++;
        if (c == SG_GAP5_NO_DATA || !isfinite(lqr[i])) continue;
        out->score[i] = in->ntypes ? sqrt(lqr[i] * out->access_score[i]) : lqr[i];
        si[m++] = (score_item){out->score[i], in->group[i], i};
    }
    qsort(si, m, sizeof *si, cmp_score_desc);
    for (size_t k = 0; k < m; k++) out->rank[si[k].i] = (double)(k + 1);
done:
    free(pr);
    free(lqr);
    free(si);
    if (st != SG_OK) sg__gap5_out_free(out);
    return st;
}

/* ---- the objective stage ---- */

void sg__gaps_free(struct sg_gaps *g) {
    if (!g) return;
    for (size_t t = 0; t < g->ntypes; t++) free(g->types[t]);
    free(g->types);
    free((void *)g->dist);
    free(g->beyond);
    free(g->usable);
    sg__gap5_out_free(&g->g5);
    sg__housing_free(&g->h);
    sg__gap10_out_free(&g->g10);
    for (size_t k = 0; g->ind && k < g->nind; k++) sg__hind_out_free(&g->ind[k]);
    free(g->ind);
    sg__sites_free(&g->sites);
    free(g);
}


/* Service types: those of the access stage, in its order, each with its
 * nearest-distance column dist_TYPE_m (none without --service). */
static sg_status find_types(sg_ctx *ctx, const sg_gaps_in *in, struct sg_gaps *g) {
    const struct sg_access *A = in->access;
    size_t nt = A ? A->nt : 0;
    g->types = calloc(nt + 1, sizeof *g->types);
    double **dist = calloc(nt + 1, sizeof *dist);
    g->dist = dist;
    g->beyond = calloc(nt + 1, sizeof *g->beyond);
    if (!g->types || !dist || !g->beyond) return sg__nomem(ctx);
    for (size_t t = 0; t < nt; t++) {
        char name[96];
        snprintf(name, sizeof name, "dist_%s_m", A->t[t].type);
        const sg_column *col = sg__res_col(in->res, name);
        if (!col || !col->num)
            return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "objective 5: no %s column", name);
        if (!(g->types[t] = sg__strdup(A->t[t].type))) return sg__nomem(ctx);
        dist[t] = col->num;
        g->beyond[t] = A->t[t].beyond;
        g->nstd += A->t[t].beyond != NULL;
        g->ntypes++;
    }
    return SG_OK;
}


sg_status sg__objective5(sg_ctx *ctx, const sg_gaps_in *gin, struct sg_gaps **out) {
    const sg_city *c = gin->city;
    const sg_options *o = gin->opts;
    struct sg_gaps *g = calloc(1, sizeof *g);
    if (!g) return sg__nomem(ctx);
    *out = g;
    g->lq_threshold = o->lq_threshold;
    g->alpha = o->alpha > 0 ? o->alpha : 0.05;
    g->p_adjust = o->p_adjust;
    g->usable = malloc(c->n ? c->n : 1);
    if (!g->usable) return sg__nomem(ctx);
    for (size_t i = 0; i < c->n; i++)
        g->usable[i] = (c->status[i] == SG_DS_OK || c->status[i] == SG_DS_REPAIRED) && c->total[i] > 0;
    sg_status st = find_types(ctx, gin, g);
    if (st != SG_OK) return st;
    const sg_column *lq = sg__res_col(gin->res, "lq");
    /* the hot spot is decided on the adjusted p (--p-adjust) */
    const sg_column *gz = sg__res_col(gin->res, "gi_star_z"), *gp = sg__res_col(gin->res, "gi_star_q");
    if (!lq || !lq->num)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "objective 5: no lq column");
    g->have_gi = gz && gz->num && gp && gp->num;
    sg_gap5_in in = {c->n,
                     g->usable,
                     c->total,
                     c->group,
                     lq->num,
                     g->have_gi ? gz->num : NULL,
                     g->have_gi ? gp->num : NULL,
                     g->ntypes,
                     (const double *const *)g->dist,
                     g->lq_threshold,
                     g->alpha,
                     g->nstd,
                     g->beyond};
    st = sg__gap5_classify(ctx, &in, &g->g5);
    if (st != SG_OK) return st;
    if (gin->access) {
        st = sg__sites_build(ctx, gin, &g->sites);
        g->nsites = g->sites.n;
        if (st != SG_OK) return st;
    }
    if (!g->ntypes)
        sg__warn(ctx, "W_NO_ACCESS", SG_WHERE_NONE,
                 "objective 5: no service data (no dist_TYPE_m columns): access is not assessed, access_score is "
                 "null and gap5_class only tells concentrated from not_concentrated");
    return SG_OK;
}

void sg__gap5_conc_rule(const struct sg_gaps *g, char *buf, size_t size) {
    if (g->have_gi)
        snprintf(buf, size, "LQ \u2265 %g or a Gi* hot spot, %s \u2264 %g", g->lq_threshold,
                 sg__p_adjust_words(g->p_adjust), g->alpha);
    else snprintf(buf, size, "LQ \u2265 %g", g->lq_threshold);
}
