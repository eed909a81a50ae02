/* report.html (report.c): the objective 5 and 10 sections, each with its map
 * (report_map.c) and the districts in its worst classes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_internal.h"

#define LIST_MAX 30 /* districts listed per class; the layer has them all */

/* Group- and rest-weighted means of v (over usable districts with v). */
static void group_means(const struct sg_run *run, const double *v, double *mx, double *my) {
    const sg_city *c = &run->city;
    sg_ksum sx = {0, 0}, sy = {0, 0}, wx = {0, 0}, wy = {0, 0};
    for (size_t i = 0; i < c->n; i++) {
        if (!run->gaps->usable[i] || !isfinite(v[i])) continue;
        double x = c->group[i], y = c->total[i] - c->group[i];
        sg__ksum_add(&sx, x * v[i]);
        sg__ksum_add(&sy, y * v[i]);
        sg__ksum_add(&wx, x);
        sg__ksum_add(&wy, y);
    }
    *mx = sg__ksum_get(&wx) > 0 ? sg__ksum_get(&sx) / sg__ksum_get(&wx) : NAN;
    *my = sg__ksum_get(&wy) > 0 ? sg__ksum_get(&sy) / sg__ksum_get(&wy) : NAN;
}

typedef struct order_item {
    double key;
    size_t i;
} order_item;
static int cmp_order(const void *a, const void *b) {
    const order_item *x = a, *y = b;
    if (x->key < y->key) return -1;
    if (x->key > y->key) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Districts of a class, sorted by key ascending (NaN last). */
static size_t select_class(const unsigned char *cls, unsigned want, const double *key, size_t n, order_item *out) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (cls[i] == want) out[m++] = (order_item){isfinite(key[i]) ? key[i] : INFINITY, i};
    qsort(out, m, sizeof *out, cmp_order);
    return m;
}

void sg__report_objective5(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    const sg_city *c = &run->city;
    size_t n = c->n;
    fputs("<section id=\"objective5\">\n<h2>Objective 5: where migrants are concentrated, and how well served</h2>\n",
          m);
    sg__report_standards(m, run);
    fprintf(m, "<p>A district counts as a <b>migrant concentration</b> when its location quotient (its migrant share "
               "divided by the city's) is at least %.2f, or when it is a statistically significant hot spot of the "
               "migrant share (Getis-Ord Gi*, %s &le; %.2f). ",
            g->lq_threshold, sg__p_adjust_words(g->p_adjust), g->alpha);
    if (g->ntypes && !sg__report_standards_rule(m, run))
        fputs("Its <b>access</b> is worse when its access score (the mean, over the service types, of its rank by "
              "distance to the nearest service: 0 nearest, 1 farthest) is above the city's population-weighted "
              "median.</p>\n",
              m);
    else if (!g->ntypes)
        fputs("</p>\n<p class=\"note\"><b>Access was not assessed:</b> no service data was given, so this map only "
              "tells concentrated districts from the others. It says nothing about access to schools, health care "
              "or other services.</p>\n",
              m);
    /* map */
    unsigned *fill = malloc((n ? n : 1) * sizeof *fill);
    char **tips = calloc(n ? n : 1, sizeof *tips);
    order_item *ord = malloc((n ? n : 1) * sizeof *ord);
    if (!fill || !tips || !ord) goto out;
    for (size_t i = 0; i < n; i++) {
        sg_gap5 cl = (sg_gap5)g->g5.cls[i];
        fill[i] = sg__gap5_colour(cl);
        if (n <= SG_REPORT_MAP_MAX) /* a grid map has no tooltips */
            tips[i] = sg__asprintf("%s (%s): %s", sg__district_label(c, i), c->id[i], sg__gap5_label_std(cl, g->g5.by_standards));
    }
    static const sg_gap5 with[] = {SG_GAP5_CONC_UNDERSERVED, SG_GAP5_CONC_SERVED, SG_GAP5_UNDERSERVED, SG_GAP5_OK,
                                   SG_GAP5_NO_DATA};
    static const sg_gap5 without[] = {SG_GAP5_CONCENTRATED, SG_GAP5_NOT_CONCENTRATED, SG_GAP5_NO_DATA};
    const sg_gap5 *list = g->ntypes ? with : without;
    size_t nl = g->ntypes ? 5 : 3;
    const char *labels[5];
    unsigned rgb[5];
    size_t counts[5];
    for (size_t k = 0; k < nl; k++) {
        labels[k] = sg__gap5_label_std(list[k], g->g5.by_standards);
        rgb[k] = sg__gap5_colour(list[k]);
        counts[k] = g->g5.count[list[k]];
    }
    sg_map_in mi = {"Objective 5: migrant concentration and access", fill, (const char *const *)tips, nl, labels, rgb,
                 counts, NULL, 0};
    char *note = sg__map_note(run);
    mi.note = note;
    sg__svg_map(ctx, m, run, &mi);
    free(note);
    /* access gap per type */
    if (g->ntypes) {
        fputs("<h3>Access gap per service type</h3>\n<p>Mean distance to the nearest service for the average migrant "
              "and the average other resident (each district weighted by its residents of that group). A ratio above "
              "1 means migrants live farther from that service.</p>\n<table>\n<tr><th>Service</th><th>Migrants"
              "</th><th>Other residents</th><th>Ratio</th><th>Districts farther than the population-weighted median"
              "</th></tr>\n",
              m);
        for (size_t t = 0; t < g->ntypes; t++) {
            double mx, my;
            group_means(run, g->dist[t], &mx, &my);
            char a[32], b[32], r[32];
            sg__fmt_dist(mx, a, sizeof a);
            sg__fmt_dist(my, b, sizeof b);
            sg__fmt_num(my > 0 ? mx / my : NAN, 2, r, sizeof r);
            fputs("<tr><td>", m);
            sg__html_esc(m, g->types[t]);
            size_t far = 0;
            double med = NAN;
            {
                /* weighted median distance */
                size_t k = 0;
                sg_ksum tot = {0, 0};
                for (size_t i = 0; i < n; i++)
                    if (g->usable[i] && isfinite(g->dist[t][i])) {
                        ord[k++] = (order_item){g->dist[t][i], i};
                        sg__ksum_add(&tot, c->total[i]);
                    }
                qsort(ord, k, sizeof *ord, cmp_order);
                sg_ksum cum = {0, 0};
                for (size_t q = 0; q < k; q++) {
                    sg__ksum_add(&cum, c->total[ord[q].i]);
                    if (sg__ksum_get(&cum) >= 0.5 * sg__ksum_get(&tot)) {
                        med = ord[q].key;
                        break;
                    }
                }
                for (size_t q = 0; q < k; q++) far += ord[q].key > med;
            }
            char md[32];
            sg__fmt_dist(med, md, sizeof md);
            fprintf(m, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%zu "
                       "(median %s)</td></tr>\n",
                    a, b, r, far, md);
        }
        fputs("</table>\n", m);
    }
    /* worst class */
    unsigned want = g->ntypes ? SG_GAP5_CONC_UNDERSERVED : SG_GAP5_CONCENTRATED;
    double *key = malloc((n ? n : 1) * sizeof *key);
    if (!key) goto out;
    for (size_t i = 0; i < n; i++) key[i] = g->g5.rank[i];
    size_t k = select_class(g->g5.cls, want, key, n, ord);
    free(key);
    fprintf(m, "<h3>%s</h3>\n", g->ntypes ? "Concentrated and underserved districts, first for action"
                                          : "Districts with a migrant concentration, by priority");
    if (!k) {
        fputs("<p>None.</p>\n", m);
    } else {
        fputs("<div class=\"scroll\"><table>\n<tr><th>Priority rank</th><th>District</th><th>Id</th><th>Residents"
              "</th><th>Migrant share</th><th>LQ</th><th>Hot spot</th>",
              m);
        if (g->ntypes) fputs("<th>Access score</th>", m);
        for (size_t t = 0; t < g->ntypes && t < 2; t++) {
            fputs("<th>Nearest ", m);
            sg__html_esc(m, g->types[t]);
            fputs("</th>", m);
        }
        fputs("</tr>\n", m);
        const sg_column *share = sg__res_col(&run->res, "share"), *lq = sg__res_col(&run->res, "lq");
        for (size_t q = 0; q < k && q < LIST_MAX; q++) {
            size_t i = ord[q].i;
            char a[32], b[32], l[32], s[32];
            sg__fmt_int(c->total[i], a, sizeof a);
            sg__fmt_pct(share ? share->num[i] : NAN, 1, b, sizeof b);
            sg__fmt_num(lq ? lq->num[i] : NAN, 2, l, sizeof l);
            sg__fmt_num(g->g5.access_score[i], 2, s, sizeof s);
            fprintf(m, "<tr><td class=\"n\">%.0f</td><td>", g->g5.rank[i]);
            sg__html_esc(m, sg__district_label(c, i));
            fputs("</td><td>", m);
            sg__html_esc(m, c->id[i]);
            fprintf(m, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td>", a, b, l,
                    g->g5.hotspot[i] ? "yes" : "no");
            if (g->ntypes) fprintf(m, "<td class=\"n\">%s</td>", s);
            for (size_t t = 0; t < g->ntypes && t < 2; t++) {
                char d[32];
                sg__fmt_dist(g->dist[t][i], d, sizeof d);
                fprintf(m, "<td class=\"n\">%s</td>", d);
            }
            fputs("</tr>\n", m);
        }
        fputs("</table></div>\n<p class=\"muted\">The priority rank orders every district by gap5_score (1 = first "
              "for action)",
              m);
        fputs(sg__layer_on(run->opts, SG_LAYER_OBJECTIVE5)
                  ? "; the nearest distances of every service type are in objective5.geojson.</p>\n"
                  : ".</p>\n",
              m);
        if (k > LIST_MAX)
            fprintf(m, "<p class=\"muted\">… and %zu more%s.</p>\n", k - LIST_MAX,
                    sg__layer_on(run->opts, SG_LAYER_OBJECTIVE5) ? ": every district is in objective5.geojson" : "");
    }
    fputs("</section>\n", m);
out:
    for (size_t i = 0; tips && i < n; i++) free(tips[i]);
    free(tips);
    free(fill);
    free(ord);
}

void sg__report_objective10(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    const sg_city *c = &run->city;
    const sg_gap10_out *o = &g->g10;
    size_t n = c->n;
    fputs("<section id=\"objective10\">\n<h2>Objective 10: housing</h2>\n", m);
    if (!g->assessed10) {
        fputs("<p class=\"note\"><b>Not assessed: no housing data was given.</b> seggap needs social or affordable "
              "housing sites with their number of dwellings, social housing units per district or an overcrowding "
              "rate per district. "
              "Without them this report makes no statement about housing",
              m);
        fputs(sg__layer_on(run->opts, SG_LAYER_OBJECTIVE10)
                  ? ", and objective10.geojson marks every district as no_data.</p>\n</section>\n"
                  : ".</p>\n</section>\n",
              m);
        return;
    }
    char a[48], b[48];
    fputs("<table>\n", m);
    if (g->h.have_units) {
        sg__fmt_num(o->supply_rate, 1, a, sizeof a);
        sg__fmt_int(o->units_total, b, sizeof b);
        fprintf(m, "<tr><th>Social housing</th><td>%s units, %s per 1,000 residents in the city</td></tr>\n", b, a);
        sg__fmt_num(o->housing_dissimilarity, 2, a, sizeof a);
        fprintf(m, "<tr><th>Dissimilarity of social housing and population</th><td>%s: the share of the units that "
                   "would have to be elsewhere for every district to have the city's supply per resident</td></tr>\n",
                a);
        sg__fmt_pct(o->units_share_concentrated, 0, a, sizeof a);
        sg__fmt_pct(o->pop_share_concentrated, 0, b, sizeof b);
        fprintf(m, "<tr><th>Units in migrant concentrations</th><td>%s of the units, for %s of the residents</td></tr>\n",
                a, b);
        sg__fmt_num(o->corr_share_supply, 2, a, sizeof a);
        fprintf(m, "<tr><th>Correlation: migrant share and social housing per resident</th><td>%s</td></tr>\n", a);
    }
    if (g->h.have_overcrowding) {
        int frac = run->opts->overcrowding_kind != SG_OVERCROWD_RATIO;
        if (frac) sg__fmt_pct(o->overcrowding_rate, 1, a, sizeof a);
        else sg__fmt_num(o->overcrowding_rate, 2, a, sizeof a);
        fprintf(m, "<tr><th>Overcrowding, city</th><td>%s</td></tr>\n", a);
        sg__fmt_num(o->overcrowding_ratio, 2, a, sizeof a);
        fprintf(m, "<tr><th>Migrant / other residents overcrowding ratio</th><td>%s (the overcrowding of the district "
                   "of the average migrant over that of the average other resident)</td></tr>\n",
                a);
        sg__fmt_num(o->corr_share_overcrowding, 2, a, sizeof a);
        fprintf(m, "<tr><th>Correlation: migrant share and overcrowding</th><td>%s</td></tr>\n", a);
    }
    fputs("</table>\n", m);
    sg__report_housing_indicators(m, run);
    if (!g->h.have_units && !g->h.have_overcrowding)
        fputs("<p class=\"note\">Neither social housing nor overcrowding was given: the classes of the map need "
              "one of them, so every district with residents is ok there. The housing indicators are conditions: "
              "the districts where they are worse are in the lists below.</p>\n",
              m);
    else if (!g->h.have_units)
        fputs("<p class=\"note\">No social housing supply was given: the classes only use overcrowding.</p>\n", m);
    else if (!g->h.have_overcrowding)
        fputs("<p class=\"note\">No overcrowding data was given: the classes only use the social housing supply."
              "</p>\n",
              m);
    unsigned *fill = malloc((n ? n : 1) * sizeof *fill);
    char **tips = calloc(n ? n : 1, sizeof *tips);
    order_item *ord = malloc((n ? n : 1) * sizeof *ord);
    double *key = malloc((n ? n : 1) * sizeof *key);
    const sg_column *share = sg__res_col(&run->res, "share");
    if (!fill || !tips || !ord || !key) goto out;
    for (size_t i = 0; i < n; i++) {
        sg_gap10 cl = (sg_gap10)o->cls[i];
        fill[i] = sg__gap10_colour(cl);
        if (n <= SG_REPORT_MAP_MAX)
            tips[i] = sg__asprintf("%s (%s): %s", sg__district_label(c, i), c->id[i], sg__gap10_label(cl));
        key[i] = share ? -share->num[i] : 0;
    }
    const char *labels[SG_GAP10_COUNT];
    unsigned rgb[SG_GAP10_COUNT];
    size_t counts[SG_GAP10_COUNT];
    for (int k = 0; k < SG_GAP10_COUNT; k++) {
        labels[k] = sg__gap10_label((sg_gap10)k);
        rgb[k] = sg__gap10_colour((sg_gap10)k);
        counts[k] = o->count[k];
    }
    sg_map_in mi = {"Objective 10: migrant concentration and housing", fill, (const char *const *)tips, SG_GAP10_COUNT,
                 labels, rgb, counts, NULL, 0};
    char *note = sg__map_note(run);
    mi.note = note;
    sg__svg_map(ctx, m, run, &mi);
    free(note);
    sg__report_housing_lists(m, run, key); /* by flag: a district in every list it belongs to */
    fputs("</section>\n", m);
out:
    for (size_t i = 0; tips && i < n; i++) free(tips[i]);
    free(tips);
    free(fill);
    free(ord);
    free(key);
}
