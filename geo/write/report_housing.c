/* report.html, objective 10: the lists of concentrated districts by
 * condition (issue 17 item 4) and the housing indicators.
 *
 * The classes of objective 10 are first-match (gap10_class), so a list by
 * class hides districts: on the sample, 14 of the 15 concentrated and
 * overcrowded districts also have less social housing than the city, and a
 * "little social housing" list by class said "None". Each list here holds
 * every concentrated district with its flag (high_supply, overcrowded,
 * low_supply, NAME_worse of each --housing-indicator): a district can be in
 * several lists, and its flags are shown in each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_internal.h"

#define LIST_MAX 30 /* districts listed per condition; the layer has them all */

typedef struct hitem {
    double key;
    size_t i;
} hitem;

static int cmp_hitem(const void *a, const void *b) {
    const hitem *x = a, *y = b;
    if (x->key < y->key) return -1;
    if (x->key > y->key) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* v with dec decimals, or as a percentage (pct) */
static void num(double v, int dec, int pct, char *buf, size_t size) {
    if (pct) sg__fmt_pct(v, dec, buf, size);
    else sg__fmt_num(v, dec, buf, size);
}

/* 1 when concentrated district i carries condition c: 0..2 the SG_F10_*
 * bits high_supply, overcrowded, low_supply; 3 + k indicator k worse. */
static int has_cond(const struct sg_gaps *g, size_t i, size_t c) {
    if (!g->usable[i] || !g->g5.concentrated[i]) return 0;
    static const unsigned bit[3] = {SG_F10_HIGH_SUPPLY, SG_F10_OVERCROWDED, SG_F10_LOW_SUPPLY};
    if (c < 3) return (g->g10.flags[i] & bit[c]) != 0;
    return g->ind[c - 3].worse[i] == 1;
}

size_t sg__gap10_conc_flag_count(const struct sg_gaps *g, unsigned flag, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += g->usable[i] && g->g5.concentrated[i] && (g->g10.flags[i] & flag);
    return k;
}

static void indicator_rows(FILE *m, const struct sg_gaps *g) {
    for (size_t k = 0; k < g->nind; k++) {
        const sg_hind *h = &g->hind[k];
        const sg_hind_out *r = &g->ind[k];
        int pct = h->overcrowding && g->h.overcrowding_unit && strcmp(g->h.overcrowding_unit, "fraction") == 0;
        char a[48], b[48], cr[48], rr[48];
        num(r->rate, 2, pct, a, sizeof a);
        num(r->threshold, 2, pct, b, sizeof b);
        num(r->corr_share, 2, 0, cr, sizeof cr);
        num(r->conc_other_ratio, 2, 0, rr, sizeof rr);
        fputs("<tr><th>", m);
        sg__html_esc(m, h->name);
        fputs("</th><td>", m);
        sg__html_esc(m, h->definition);
        fprintf(m, ". City %s (population-weighted); <i>worse</i> %s %s (%.0f %% %s the city); %zu districts worse, "
                   "%zu of them concentrated. Correlation with the migrant share %s; concentrated / other districts "
                   "%s.</td></tr>\n",
                a, h->lower ? "below" : "above", b, 100 * g->housing_margin, h->lower ? "below" : "above",
                r->n_worse, r->n_worse_conc, cr, rr);
    }
}

void sg__report_housing_method(FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    if (g->assessed10)
        fputs(" The lists of districts are by condition: a district is in each list whose condition it meets.", m);
    if (g->nind)
        fprintf(m, " A housing indicator is <i>worse</i> in a district when it is beyond the city's "
                   "population-weighted rate by more than %.0f %% of that rate, in the indicator's direction "
                   "(lower or higher values worse); it is a condition (NAME_worse in gap10_flags), not a class.",
                100 * g->housing_margin);
}

void sg__report_housing_indicators(FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    if (!g->nind) return;
    fputs("<h3>Housing indicators</h3>\n<table>\n", m);
    indicator_rows(m, g);
    fputs("</table>\n", m);
}

void sg__report_housing_lists(FILE *m, const struct sg_run *run, const double *key) {
    const struct sg_gaps *g = run->gaps;
    const sg_city *c = &run->city;
    size_t n = c->n;
    const sg_column *share = sg__res_col(&run->res, "share"), *lq = sg__res_col(&run->res, "lq");
    hitem *ord = malloc((n ? n : 1) * sizeof *ord);
    size_t fsz = sg__gap10_flags_size(g);
    char *flags = malloc(fsz);
    if (!ord || !flags) {
        free(ord);
        free(flags);
        return;
    }
    static const char *const heads[3] = {
        ("High social housing supply where migrants are already concentrated: improve the distribution of social "
         "housing"),
        "Concentrated and overcrowded", "Concentrated with little social housing"};
    static const sg_gap10 colour[3] = {SG_GAP10_SUPPLY_DEEPENS, SG_GAP10_CONC_OVERCROWDED, SG_GAP10_CONC_LOW_SUPPLY};
    int frac = run->opts->overcrowding_kind != SG_OVERCROWD_RATIO;
    fputs("<p class=\"muted\">Each list holds every concentrated district where its condition holds, whatever its "
          "class on the map: a district can be in several lists (its conditions are in the last column and in "
          "the layer's gap10_flags).</p>\n",
          m);
    for (size_t cond = 0; cond < 3 + g->nind; cond++) {
        if (cond == 1 && !g->h.have_overcrowding) continue; /* not given: said above the map */
        if (cond != 1 && cond < 3 && !g->h.have_units) continue;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (has_cond(g, i, cond)) ord[k++] = (hitem){isfinite(key[i]) ? key[i] : INFINITY, i};
        qsort(ord, k, sizeof *ord, cmp_hitem);
        if (cond < 3) {
            fprintf(m, "<h3><span class=\"sw\" style=\"background:#%06X\"></span>", sg__gap10_colour(colour[cond]));
            sg__html_esc(m, heads[cond]);
        } else {
            const sg_hind *h = &g->hind[cond - 3];
            fputs("<h3>Concentrated, ", m);
            sg__html_esc(m, h->name);
            fprintf(m, " worse than the city (%s by more than %.0f %%)", h->lower ? "lower" : "higher",
                    100 * g->housing_margin);
        }
        fprintf(m, " (%zu)</h3>\n", k);
        if (!k) {
            fputs("<p>None.</p>\n", m);
            continue;
        }
        fputs("<div class=\"scroll\"><table>\n<tr><th>District</th><th>Id</th><th>Residents</th><th>Migrant share</th>"
              "<th>LQ</th><th>Social units per 1,000</th><th>Overcrowding</th><th>Nearest social housing</th>",
              m);
        for (size_t q = 0; q < g->nind; q++)
            if (!g->hind[q].overcrowding) {
                fputs("<th>", m);
                sg__html_esc(m, g->hind[q].name);
                fputs("</th>", m);
            }
        fputs("<th>Conditions</th></tr>\n", m);
        for (size_t q = 0; q < k && q < LIST_MAX; q++) {
            size_t i = ord[q].i;
            char t[32], s[32], l[32], u[32], ov[32], d[32];
            double dm = g->h.dist_m ? g->h.dist_m[i] : NAN;
            if (isfinite(dm) && dm >= 1000) snprintf(d, sizeof d, "%.1f km", dm / 1000);
            else num(dm, 0, 0, d, sizeof d);
            if (isfinite(dm) && dm < 1000) strcat(d, " m");
            sg__fmt_int(c->total[i], t, sizeof t);
            num(share ? share->num[i] : NAN, 1, 1, s, sizeof s);
            num(lq ? lq->num[i] : NAN, 2, 0, l, sizeof l);
            num(g->g10.per_1000[i], 1, 0, u, sizeof u);
            num(g->h.overcrowding ? g->h.overcrowding[i] : NAN, frac ? 1 : 2, frac, ov, sizeof ov);
            fputs("<tr><td>", m);
            sg__html_esc(m, c->name && c->name[i] ? c->name[i] : c->id[i]);
            fputs("</td><td>", m);
            sg__html_esc(m, c->id[i]);
            fprintf(m, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s"
                       "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
                    t, s, l, u, ov, d);
            for (size_t h = 0; h < g->nind; h++) {
                if (g->hind[h].overcrowding) continue;
                char v[32];
                num(g->ind[h].value[i], 2, 0, v, sizeof v);
                fprintf(m, "<td class=\"n\">%s</td>", v);
            }
            sg__gap10_flags_all(g, i, flags, fsz);
            fputs("<td>", m);
            for (char *p = flags; *p; p++) fputs(*p == ',' ? ", " : (char[2]){*p, 0}, m);
            fputs("</td></tr>\n", m);
        }
        fputs("</table></div>\n", m);
        if (k > LIST_MAX)
            fprintf(m, "<p class=\"muted\">… and %zu more%s.</p>\n", k - LIST_MAX,
                    sg__layer_on(run->opts, SG_LAYER_OBJECTIVE10) ? ": every district is in objective10.geojson" : "");
    }
    free(ord);
    free(flags);
}
