/* Objective 10 of the OECD checklist, housing: where migrants are
 * concentrated (the objective 5 rule) together with overcrowding or a social
 * housing supply that is out of line with the city.
 *
 * Per district: social_units (from --housing points/polygons summed by
 * district, or --social-housing-field), social_units_per_1000 = units / total
 * x 1000, dist_housing_m, overcrowding. City rates over the districts used:
 * supply = sum(units) / sum(total) x 1000, overcrowding = the
 * population-weighted mean sum(t o) / sum(t).
 *
 * Flags (every one that holds, in gap10_flags): overcrowded (overcrowding >
 * city rate), low_supply (units per 1,000 < city rate), high_supply (>).
 * gap10_class, the first rule that applies:
 *   no_data                      not usable, or no housing input at all, or a
 *                                concentrated district where a rule cannot
 *                                be decided (its input was given but the
 *                                district's value is missing) before one
 *                                that holds
 *   supply_deepens_concentration concentrated and high_supply: adding social
 *                                housing here deepens the concentration,
 *                                overcrowded or not (the remedy is the
 *                                distribution of social housing)
 *   concentrated_overcrowded     concentrated and overcrowded (supply at or
 *                                below the city rate)
 *   concentrated_low_supply      concentrated and low_supply, not overcrowded
 *   ok                           otherwise
 * Overcrowding follows the migrant share closely in most cities, so ranking
 * it first would leave the supply classes empty; high supply goes first
 * because its remedy differs. gap10_flags keeps every condition.
 * An input that was not given is skipped by the rules (and said so in the
 * summary); a district whose value is missing for an input that was given
 * cannot be ok when concentrated: it is no_data.
 *
 * City-level housing measures (summary.json -> housing):
 *   housing_dissimilarity D = 1/2 sum |u_i/U - t_i/T| (social housing units
 *     against the population), over the districts with units known;
 *   corr_share_supply, corr_share_overcrowding: Pearson correlation, one
 *     value per district (unweighted), of the migrant share with units per
 *     1,000 residents and with overcrowding;
 *   overcrowding_ratio = (sum x_i o_i / X) / (sum y_i o_i / Y): the mean
 *     overcrowding of the district of the average migrant over that of the
 *     average other resident (an ecological measure: district rates, not
 *     migrants' own households). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaps/gaps.h"

static const char *const gap10_names[SG_GAP10_COUNT] = {
    "concentrated_overcrowded", "concentrated_low_supply", "supply_deepens_concentration", "ok", "no_data"};
static const char *const gap10_labels[SG_GAP10_COUNT] = {
    "Migrant concentration with overcrowding above the city rate",
    "Migrant concentration with social housing supply below the city rate",
    "High social housing supply where migrants are already concentrated",
    "No concentration-related housing gap",
    "No data (no residents, or housing data missing)"};

const char *sg__gap10_name(sg_gap10 c) { return c < SG_GAP10_COUNT ? gap10_names[c] : "unknown"; }
const char *sg__gap10_label(sg_gap10 c) { return c < SG_GAP10_COUNT ? gap10_labels[c] : "unknown"; }

void sg__gap10_flags_text(unsigned flags, char *buf, size_t size) {
    static const char *const names[] = {"overcrowded", "low_supply", "high_supply"};
    size_t len = 0;
    if (size) buf[0] = '\0';
    for (int b = 0; b < 3; b++) {
        if (!(flags & (1u << b))) continue;
        int k = snprintf(buf + len, size > len ? size - len : 0, "%s%s", len ? "," : "", names[b]);
        if (k > 0) len += (size_t)k;
        if (len >= size) break;
    }
}

void sg__gap10_out_free(sg_gap10_out *o) {
    free(o->cls);
    free(o->flags);
    free(o->per_1000);
    memset(o, 0, sizeof *o);
}

sg_status sg__gap10_classify(sg_ctx *ctx, const sg_gap10_in *in, sg_gap10_out *out) {
    size_t n = in->n, nn = n ? n : 1;
    memset(out, 0, sizeof *out);
    out->cls = malloc(nn);
    out->flags = calloc(nn, 1);
    out->per_1000 = malloc(nn * sizeof(double));
    double *share = malloc(nn * sizeof *share);
    if (!out->cls || !out->flags || !out->per_1000 || !share) {
        free(share);
        sg__gap10_out_free(out);
        return sg__nomem(ctx);
    }
    out->supply_rate = out->overcrowding_rate = out->housing_dissimilarity = NAN;
    out->corr_share_supply = out->corr_share_overcrowding = out->overcrowding_ratio = NAN;
    out->units_share_concentrated = out->pop_share_concentrated = NAN;
    /* city rates */
    sg_ksum U = {0, 0}, TU = {0, 0}, TO = {0, 0}, OT = {0, 0}, XO = {0, 0}, YO = {0, 0}, XX = {0, 0}, YY = {0, 0};
    sg_ksum Uc = {0, 0}, Tall = {0, 0}, Tc = {0, 0};
    for (size_t i = 0; i < n; i++) {
        out->per_1000[i] = NAN;
        share[i] = in->usable[i] ? in->group[i] / in->total[i] : NAN;
        if (!in->usable[i]) continue;
        sg__ksum_add(&Tall, in->total[i]);
        if (in->concentrated[i]) sg__ksum_add(&Tc, in->total[i]);
        if (in->units && isfinite(in->units[i])) {
            out->n_units++;
            out->per_1000[i] = in->units[i] / in->total[i] * 1000.0;
            sg__ksum_add(&U, in->units[i]);
            sg__ksum_add(&TU, in->total[i]);
            if (in->concentrated[i]) sg__ksum_add(&Uc, in->units[i]);
        }
        if (in->overcrowding && isfinite(in->overcrowding[i])) {
            out->n_overcrowding++;
            double o = in->overcrowding[i], x = in->group[i], y = in->total[i] - in->group[i];
            sg__ksum_add(&TO, in->total[i]);
            sg__ksum_add(&OT, in->total[i] * o);
            sg__ksum_add(&XO, x * o);
            sg__ksum_add(&YO, y * o);
            sg__ksum_add(&XX, x);
            sg__ksum_add(&YY, y);
        }
    }
    out->units_total = sg__ksum_get(&U);
    out->pop_with_units = sg__ksum_get(&TU);
    if (out->n_units && out->pop_with_units > 0) out->supply_rate = out->units_total / out->pop_with_units * 1000.0;
    if (out->n_overcrowding && sg__ksum_get(&TO) > 0) out->overcrowding_rate = sg__ksum_get(&OT) / sg__ksum_get(&TO);
    if (out->n_overcrowding && sg__ksum_get(&XX) > 0 && sg__ksum_get(&YY) > 0 && sg__ksum_get(&YO) > 0)
        out->overcrowding_ratio = (sg__ksum_get(&XO) / sg__ksum_get(&XX)) / (sg__ksum_get(&YO) / sg__ksum_get(&YY));
    if (out->n_units && out->units_total > 0) {
        sg_ksum D = {0, 0};
        double Tt = out->pop_with_units;
        for (size_t i = 0; i < n; i++)
            if (in->usable[i] && isfinite(in->units[i]))
                sg__ksum_add(&D, fabs(in->units[i] / out->units_total - in->total[i] / Tt));
        out->housing_dissimilarity = 0.5 * sg__ksum_get(&D);
        out->units_share_concentrated = sg__ksum_get(&Uc) / out->units_total;
        out->corr_share_supply = sg__pearson(share, out->per_1000, in->usable, n);
    }
    if (sg__ksum_get(&Tall) > 0) out->pop_share_concentrated = sg__ksum_get(&Tc) / sg__ksum_get(&Tall);
    if (in->overcrowding) out->corr_share_overcrowding = sg__pearson(share, in->overcrowding, in->usable, n);

    int any = in->units || in->overcrowding || in->indicators;
    for (size_t i = 0; i < n; i++) {
        sg_gap10 c = SG_GAP10_OK;
        unsigned f = 0;
        int known_o = in->overcrowding && isfinite(in->overcrowding[i]) && isfinite(out->overcrowding_rate);
        int known_s = isfinite(out->per_1000[i]) && isfinite(out->supply_rate);
        if (known_o && in->overcrowding[i] > out->overcrowding_rate) f |= SG_F10_OVERCROWDED;
        if (known_s && out->per_1000[i] < out->supply_rate) f |= SG_F10_LOW_SUPPLY;
        if (known_s && out->per_1000[i] > out->supply_rate) f |= SG_F10_HIGH_SUPPLY;
        if (!in->usable[i] || !any) {
            c = SG_GAP10_NO_DATA;
            f = 0;
        } else if (in->concentrated[i]) {
            /* The rules in order; one whose input was given but is unknown
             * here is undecided, and a later rule cannot be chosen over it. */
            struct {
                int given, known;
                unsigned flag;
                sg_gap10 cls;
            } rule[3] = {{in->units != NULL, known_s, SG_F10_HIGH_SUPPLY, SG_GAP10_SUPPLY_DEEPENS},
                         {in->overcrowding != NULL, known_o, SG_F10_OVERCROWDED, SG_GAP10_CONC_OVERCROWDED},
                         {in->units != NULL, known_s, SG_F10_LOW_SUPPLY, SG_GAP10_CONC_LOW_SUPPLY}};
            int undecided = 0, found = 0;
            for (int r = 0; r < 3 && !found; r++) {
                if (!rule[r].given) continue;
                if (!rule[r].known) undecided = 1;
                else if (f & rule[r].flag) {
                    found = 1;
                    c = undecided ? SG_GAP10_NO_DATA : rule[r].cls;
                }
            }
            if (!found && undecided) c = SG_GAP10_NO_DATA;
        }
        out->cls[i] = (unsigned char)c;
        out->flags[i] = (unsigned char)f;
        out->count[c]++;
    }
    free(share);
    return SG_OK;
}

sg_status sg__objective10(sg_ctx *ctx, const sg_gaps_in *gin, struct sg_gaps *g) {
    const sg_city *c = gin->city;
    if (gin->housing) { /* the housing inputs move into the result */
        g->h = *gin->housing;
        memset(gin->housing, 0, sizeof *gin->housing);
    }
    sg_status st;
    const sg_options *o = gin->opts;
    g->assessed10 = g->h.have_units || g->h.have_overcrowding || (o && o->nhind);
    sg_gap10_in in = {c->n,
                      g->usable,
                      c->total,
                      c->group,
                      g->g5.concentrated,
                      g->h.have_units ? g->h.units : NULL,
                      g->h.have_overcrowding ? g->h.overcrowding : NULL,
                      o && o->nhind > 0};
    st = sg__gap10_classify(ctx, &in, &g->g10);
    if (st != SG_OK) return st;
    /* --housing-indicator: the overcrowding one is the overcrowding input */
    size_t nind = o ? o->nhind : 0;
    g->hind = o ? o->hind : NULL;
    g->housing_margin = o ? o->housing_margin : SG_HOUSING_MARGIN;
    if (nind && !(g->ind = calloc(nind, sizeof *g->ind))) return sg__nomem(ctx);
    double *v = malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v) return sg__nomem(ctx);
    for (size_t k = 0; k < nind; k++) {
        for (size_t i = 0; i < c->n; i++)
            v[i] = g->hind[k].overcrowding ? (g->h.overcrowding ? g->h.overcrowding[i] : NAN)
                                           : c->hind ? c->hind[i * c->nhind + k] : NAN;
        st = sg__hind_assess(ctx, &in, v, g->hind[k].lower, g->housing_margin, &g->ind[k]);
        if (st != SG_OK) break;
        g->nind = k + 1;
        if (g->ind[k].n_missing && !g->hind[k].overcrowding) /* overcrowding: W_OVERCROWDING_MISSING */
            sg__warn(ctx, "W_HOUSING_INDICATOR_MISSING", (sg_where){NULL, NULL, -1, NULL, g->hind[k].field},
                     "--housing-indicator %s: %zu districts with residents have no value: %s_worse is null there",
                     g->hind[k].name, g->ind[k].n_missing, g->hind[k].name);
        if (!g->ind[k].n_known)
            sg__warn(ctx, "W_HOUSING_INDICATOR_EMPTY", (sg_where){NULL, NULL, -1, NULL, g->hind[k].field},
                     "--housing-indicator %s: no district with residents has a value: the indicator is not assessed",
                     g->hind[k].name);
    }
    free(v);
    if (st != SG_OK) return st;
    if (!g->assessed10)
        sg__warn(ctx, "W_NO_HOUSING", SG_WHERE_NONE,
                 "objective 10: no housing input (--housing, --social-housing-field, --overcrowding-field): housing "
                 "is not assessed%s",
                 sg__layer_on(gin->opts, SG_LAYER_OBJECTIVE10) ? " and every district of objective10.geojson is no_data"
                                                               : "");
    return SG_OK;
}
