/* report.html (report.c): the maps beyond the objectives' classes, in the
 * order a planner reads them (README, "Maps for planners"):
 *  - the migrant share per district, the report's first map (the map of the
 *    OECD case studies, figures 4.1-4.5): five quantile classes of the
 *    districts' shares (about a fifth of the districts each, bounds rounded),
 *    the same classes as districts.qml and the project's share layer;
 *  - with several groups, the location quotient of each group as small
 *    multiples on one fixed scale (so the maps compare);
 *  - per service type, the distance (or, with travel times, the time) to the
 *    nearest service. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "write/write_internal.h"

char *sg__map_note(const struct sg_run *run) {
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv)) strftime(when, sizeof when, "%Y-%m-%d", &tmv);
    const char *src = run->opts->source_note;
    if (src && *src) return sg__asprintf("Source: %s. Map: seggap, %s.", src, when);
    return sg__asprintf("Map: seggap, %s.", when);
}

void sg__report_share(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const sg_column *share = sg__res_col(&run->res, "share");
    if (!share || !share->num) return;
    char city[48];
    sg__fmt_pct(run->idx.share, 1, city, sizeof city);
    fputs("<section id=\"share\">\n<h2>Where migrants live</h2>\n<p>The share of residents with a migration "
          "background in each district",
          m);
    fprintf(m, " (city: %s). The five classes are the quintiles of the districts' shares, their bounds rounded: "
               "each class holds about a fifth of the districts, from the lightest (lowest shares) to the darkest.</p>\n",
            city);
    char *title = run->opts->title
                      ? sg__asprintf("%s: share of residents with a migration background (city: %s)", run->opts->title, city)
                      : sg__asprintf("Share of residents with a migration background (city: %s)", city);
    char *note = sg__map_note(run);
    if (title) sg__svg_graduated(ctx, m, run, title, share->num, SG_UNIT_PCT, note);
    free(title);
    free(note);
    fputs("</section>\n", m);
}

void sg__report_groups(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const sg_city *c = &run->city;
    size_t n = c->n, ng = 0;
    for (size_t k = 0; k < run->res.ncols; k++)
        ng += strncmp(run->res.cols[k].name, "lq_", 3) == 0 && run->res.cols[k].num;
    if (ng < 2) return;
    fputs("<section id=\"groups\">\n<h2>Where each group lives</h2>\n<p>The location quotient of each group: its "
          "share in the district divided by its share in the city (1 = as in the city as a whole). Every map uses "
          "the same classes:</p>\n<p>",
          m);
    for (int k = 0; k < 5; k++) {
        fprintf(m, "<span class=\"sw\" style=\"background:#%06X\"></span>", sg__lq_rgb[k]);
        sg__html_esc(m, sg__lq_label[k]);
        fputs(k < 4 ? " &nbsp; " : "", m);
    }
    fprintf(m, " &nbsp; <span class=\"sw\" style=\"background:#%06X\"></span>no data</p>\n<div class=\"multiples\">\n",
            sg__gap5_colour(SG_GAP5_NO_DATA));
    unsigned *fill = malloc((n ? n : 1) * sizeof *fill);
    char **tips = calloc(n ? n : 1, sizeof *tips);
    unsigned rgb[6];
    const char *lab[6];
    for (int k = 0; k < 5; k++) {
        rgb[k] = sg__lq_rgb[k];
        lab[k] = sg__lq_label[k];
    }
    rgb[5] = sg__gap5_colour(SG_GAP5_NO_DATA);
    lab[5] = "no data";
    for (size_t col = 0; fill && tips && col < run->res.ncols; col++) {
        const sg_column *q = &run->res.cols[col];
        if (strncmp(q->name, "lq_", 3) != 0 || !q->num) continue;
        size_t cnt[6] = {0};
        for (size_t i = 0; i < n; i++) {
            int k = 5;
            if (run->gaps->usable[i] && isfinite(q->num[i]))
                for (k = 0; k < 4 && q->num[i] >= sg__lq_bounds[k]; k++) {}
            fill[i] = rgb[k];
            cnt[k]++;
            free(tips[i]);
            tips[i] = NULL;
            if (n <= SG_REPORT_MAP_MAX) {
                char v[32];
                sg__fmt_num(q->num[i], 2, v, sizeof v);
                tips[i] = sg__asprintf("%s (%s): LQ %s", sg__district_label(c, i), c->id[i], v);
            }
        }
        char *title = sg__asprintf("%s", q->name + 3);
        sg_map_in mi = {title ? title : q->name, fill, (const char *const *)tips, 6, lab, rgb, cnt, NULL, 1};
        sg__svg_map(ctx, m, run, &mi);
        free(title);
    }
    char *note = sg__map_note(run);
    fputs("</div>\n<p class=\"muted\">", m);
    sg__html_esc(m, note);
    fputs("</p>\n</section>\n", m);
    free(note);
    for (size_t i = 0; tips && i < n; i++) free(tips[i]);
    free(tips);
    free(fill);
}

void sg__report_distances(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    if (!g->ntypes) return;
    fputs("<section id=\"distances\">\n<h2>How far the nearest service is</h2>\n<p>One map per service type: the "
          "distance from each district's point on surface to the nearest service of that type (the travel time "
          "when travel times were given), in five quantile classes from near (light) to far (dark).</p>\n",
          m);
    char *note = sg__map_note(run);
    for (size_t t = 0; t < g->ntypes; t++) {
        char *tname = sg__asprintf("time_%s_min", g->types[t]);
        const sg_column *tc = tname ? sg__res_col(&run->res, tname) : NULL;
        free(tname);
        int minutes = tc && tc->num;
        char *title = sg__asprintf("%s to the nearest %s", minutes ? "Travel time" : "Distance", g->types[t]);
        if (title) sg__svg_graduated(ctx, m, run, title, minutes ? tc->num : g->dist[t], minutes ? SG_UNIT_MIN : SG_UNIT_M,
                                     note);
        free(title);
    }
    free(note);
    fputs("</section>\n", m);
}
