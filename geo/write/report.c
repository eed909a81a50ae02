/* report.html: one self-contained file for a council member, with no
 * network access (no script, no font, no image file): inputs, the index table
 * with p-values and a plain-language reading, the access gap per service
 * type, the objective 5 and 10 maps as inline SVG choropleths drawn here
 * from the working-CRS geometry (metres: legend, north arrow pointing to true
 * north, scale bar), and the districts in the worst gap classes.
 * The objective sections are in report_gaps.c, the maps are drawn in
 * report_map.c. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "write/write_internal.h"

/* ---- HTML text ---- */

void sg__html_esc(FILE *m, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", m); break;
        case '<': fputs("&lt;", m); break;
        case '>': fputs("&gt;", m); break;
        case '"': fputs("&quot;", m); break;
        case '\'': fputs("&#39;", m); break;
        default: fputc(*s, m);
        }
    }
}

/* 1234567 -> "1,234,567" */
void sg__fmt_int(double v, char *buf, size_t size) {
    if (!isfinite(v)) {
        snprintf(buf, size, "–");
        return;
    }
    char raw[48];
    snprintf(raw, sizeof raw, "%.0f", fabs(v));
    size_t len = strlen(raw), o = 0;
    if (v < 0 && o + 1 < size) buf[o++] = '-';
    for (size_t k = 0; k < len && o + 2 < size; k++) {
        if (k && (len - k) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[k];
    }
    buf[o] = '\0';
}

void sg__fmt_num(double v, int dec, char *buf, size_t size) {
    if (!isfinite(v)) snprintf(buf, size, "–");
    else snprintf(buf, size, "%.*f", dec, v);
}

void sg__fmt_pct(double v, int dec, char *buf, size_t size) {
    if (!isfinite(v)) snprintf(buf, size, "–");
    else snprintf(buf, size, "%.*f %%", dec, 100 * v);
}

void sg__fmt_dist(double m, char *buf, size_t size) {
    if (!isfinite(m)) snprintf(buf, size, "–");
    else if (m >= 1000) snprintf(buf, size, "%.1f km", m / 1000);
    else snprintf(buf, size, "%.0f m", m);
}

const char *sg__district_label(const sg_city *c, size_t i) { return c->name && c->name[i] ? c->name[i] : c->id[i]; }
/* ---- sections ---- */

static void head(FILE *m, const struct sg_run *run) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          m);
    if (run->opts->title) { /* --title; else from the layer's name, never the input path */
        sg__html_esc(m, run->opts->title);
    } else {
        fputs("seggap report: ", m);
        sg__html_esc(m, run->rd.districts.layer ? run->rd.districts.layer : "districts");
    }
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;max-width:1000px;"
          "margin:0 auto;padding:1.5em;color:#1a1a1a;line-height:1.45}\n"
          "h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:"
          "2em}h3{margin-top:1.5em}\n"
          "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em "
          ".55em;text-align:left;vertical-align:top}th{background:#f1f4f8}td.n{text-align:right;font-variant-"
          "numeric:tabular-nums;white-space:nowrap}\n"
          ".brief{background:#f6f8fb;border-left:5px solid #0072B2;padding:.6em 1.2em}.note{background:#fff7e6;"
          "border-left:5px solid #E69F00;padding:.6em 1.2em}\n"
          "figure.map{margin:1em 0}figure.map svg{width:100%;max-width:900px;height:auto;border:1px solid #ddd}"
          "figcaption{font-size:.85em;color:#555}\n"
          ".multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:0 1em}"
          ".multiples figure.map{margin:.3em 0}\n.scroll{overflow-x:auto}.scroll table{font-size:.85em}\n.sw{display:inline-block;width:.9em;height:.9em;border:1px solid #666;vertical-align:middle;margin-right:"
          ".3em}\n.muted{color:#666;font-size:.9em}\n"
          "</style>\n</head>\n<body>\n",
          m);
}

static void brief(FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    double D = NAN, xpx = NAN;
    sg_run_index(run, "dissimilarity", &D);
    sg_run_index(run, "isolation", &xpx);
    char a[48], b[48], p[48];
    /* Districts left out for want of data (no row in a table, a count
     * missing): a banner first, and "In brief" says of how many. Districts
     * with no residents (zero_total) change no figure and draw none. */
    size_t nodata = 0;
    for (size_t i = 0; i < run->city.n; i++) nodata += run->city.status[i] == SG_DS_NO_DATA;
    if (nodata)
        fprintf(m, "<section id=\"left-out\" class=\"note\"><b>Warning: %zu of %zu districts were left out</b> of "
                   "every figure in this report: they have no data (no row in a census table, or a count missing). "
                   "The figures describe the other %zu districts only; the districts left out are listed in "
                   "summary.json and shown in grey on the maps.</section>\n",
                nodata, run->city.n, run->city.n - nodata);
    fputs("<section id=\"brief\" class=\"brief\">\n<h2 style=\"border:0;margin-top:.3em\">In brief</h2>\n<ul>\n", m);
    sg__fmt_int(run->idx.total, a, sizeof a);
    sg__fmt_pct(run->idx.share, 1, b, sizeof b);
    if (nodata)
        fprintf(m, "<li>%s residents in %zu of the %zu districts used (%zu have no data); %s of them have a migration "
                   "background.</li>\n", a, run->used, run->city.n, nodata, b);
    else
        fprintf(m, "<li>%s residents in %zu districts used; %s of them have a migration background.</li>\n", a,
                run->used, b);
    if (isfinite(D))
        fprintf(m, "<li><b>Dissimilarity D = %.2f</b>: %.0f %% of migrants would have to move to another district "
                   "for migrants to be spread across the city like everyone else (%s segregation).</li>\n",
                D, 100 * D, D < 0.3 ? "low" : D <= 0.6 ? "moderate" : "high");
    if (isfinite(xpx)) {
        sg__fmt_pct(xpx, 1, a, sizeof a);
        sg__fmt_pct(run->idx.share, 1, p, sizeof p);
        fprintf(m, "<li>The average migrant lives in a district where %s of residents are migrants (city: %s).</li>\n",
                a, p);
    }
    size_t nconc = 0;
    for (size_t i = 0; i < run->city.n; i++) nconc += g->g5.concentrated[i];
    if (g->ntypes)
        fprintf(m, "<li><b>Objective 5:</b> %zu districts combine a migrant concentration with access to services "
                   "worse than the city median; %zu more are concentrated but as well served as most.</li>\n",
                g->g5.count[SG_GAP5_CONC_UNDERSERVED], g->g5.count[SG_GAP5_CONC_SERVED]);
    else
        fprintf(m, "<li><b>Objective 5:</b> %zu districts have a migrant concentration. Access to services was "
                   "<b>not assessed</b>: no service data was given.</li>\n",
                nconc);
    if (g->assessed10)
        fprintf(m, "<li><b>Objective 10:</b> in %zu districts with a migrant concentration, a social housing supply "
                   "above the city rate adds to the concentration; %zu concentrated districts are overcrowded "
                   "and %zu have little social housing (a district can be both).</li>\n",
                sg__gap10_conc_flag_count(g, SG_F10_HIGH_SUPPLY, run->city.n),
                sg__gap10_conc_flag_count(g, SG_F10_OVERCROWDED, run->city.n),
                sg__gap10_conc_flag_count(g, SG_F10_LOW_SUPPLY, run->city.n));
    else
        fputs("<li><b>Objective 10:</b> <b>not assessed</b>: no housing data was given. No housing figure in this "
              "report is estimated or invented.</li>\n",
              m);
    fputs("</ul>\n</section>\n", m);
}

static void inputs(FILE *m, const struct sg_run *run) {
    const sg_reader *rd = &run->rd;
    const struct sg_gaps *g = run->gaps;
    char a[48];
    fputs("<section id=\"inputs\">\n<h2>Inputs</h2>\n<table>\n", m);
    fputs("<tr><th>Districts</th><td>", m);
    sg__html_esc(m, rd->districts.path);
    fputs(" (layer ", m);
    sg__html_esc(m, rd->districts.layer);
    fprintf(m, ", %s): %zu read, %zu used, %zu excluded (no residents or counts missing)</td></tr>\n",
            rd->districts.driver ? rd->districts.driver : "?", run->city.n, run->used, run->excluded);
    for (size_t t = 0; t < rd->ntables; t++) {
        fputs("<tr><th>Census table</th><td>", m);
        sg__html_esc(m, rd->tables[t].spec->path);
        fprintf(m, ": %zu rows, %zu joined on ", rd->joins[t].rows, rd->joins[t].matched_rows);
        sg__html_esc(m, rd->tables[t].key);
        fputs("</td></tr>\n", m);
    }
    fputs("<tr><th>Counts</th><td>total: ", m);
    sg__html_esc(m, rd->fields[SG_ROLE_TOTAL].name);
    fputs("; migrants: ", m);
    sg__html_esc(m, rd->fields[SG_ROLE_GROUP].name ? rd->fields[SG_ROLE_GROUP].name : rd->fields[SG_ROLE_SHARE].name);
    sg__fmt_int(run->idx.total, a, sizeof a);
    fprintf(m, " (population used %s)</td></tr>\n", a);
    fputs("<tr><th>Services</th><td>", m);
    if (g->ntypes) {
        for (size_t t = 0; t < g->ntypes; t++) {
            if (t) fputs(", ", m);
            sg__html_esc(m, g->types[t]);
        }
    } else {
        fputs("none given: access (objective 5) is not assessed", m);
    }
    fputs("</td></tr>\n<tr><th>Housing</th><td>", m);
    if (g->h.have_sites) {
        sg__html_esc(m, g->h.path);
        fprintf(m, " (layer ");
        sg__html_esc(m, g->h.layer);
        fprintf(m, ", units in ");
        sg__html_esc(m, g->h.units_field);
        fprintf(m, "): %lld sites, %lld in a district, %.0f units; ", g->h.sites_read, g->h.sites_assigned,
                g->h.units_read);
    }
    if (g->h.units_from) { /* "--housing F (layer L), --housing-units U": no option names in the prose */
        static const char *const words[][2] = {{"--social-housing-field ", "field "}, {"--housing-units ", "units in "},
                                               {"--housing ", ""}};
        fputs("units per district from ", m);
        char *u = sg__strdup(g->h.units_from);
        for (size_t w = 0; u && w < sizeof words / sizeof words[0]; w++)
            for (char *at; (at = strstr(u, words[w][0]));) {
                size_t ol = strlen(words[w][0]), nl = strlen(words[w][1]);
                memcpy(at, words[w][1], nl);
                memmove(at + nl, at + ol, strlen(at + ol) + 1);
            }
        sg__html_esc(m, u ? u : "");
        free(u);
        fputs("; ", m);
    }
    if (g->h.have_overcrowding) {
        fputs("overcrowding from ", m);
        sg__html_esc(m, run->rd.fields[SG_ROLE_OVERCROWD].name);
        fputs(" (", m);
        sg__html_esc(m, run->opts->overcrowding_scale_text);
        fputs(")", m);
    }
    if (!g->assessed10) fputs("none given: objective 10 is not assessed", m);
    fputs("</td></tr>\n<tr><th>CRS</th><td>input ", m);
    sg__html_esc(m, rd->crs.src_name);
    fputs("; distances and areas in ", m);
    sg__html_esc(m, rd->crs.work_name);
    fputs(" (", m);
    sg__html_esc(m, rd->crs.work_how);
    fputs(")</td></tr>\n</table>\n</section>\n", m);
}

/* The indices a council member needs first; the others go to the appendix. */
static int key_index(const char *name) {
    static const char *const keys[] = {"dissimilarity", "isolation", "exposure", "gini", "entropy",
                                       "correlation_ratio", "spatial_dissimilarity", "lisa_significant_share"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(name, keys[k]) == 0) return 1;
    return 0;
}

static void index_table(FILE *m, const struct sg_run *run, int want_key);

static void indices(FILE *m, const struct sg_run *run) {
    double D = NAN;
    sg_run_index(run, "dissimilarity", &D);
    const sg_global *gd = sg__result_get(&run->res, "dissimilarity");
    fputs("<section id=\"indices\">\n<h2>Segregation indices</h2>\n", m);
    if (isfinite(D)) {
        fprintf(m, "<p><b>How to read D.</b> The dissimilarity index D = %.2f means that %.0f %% of migrants (or, "
                   "equally, %.0f %% of the other residents) would have to move to another district for both groups "
                   "to be spread evenly, each district then having the city's migrant share. D is 0 when every "
                   "district has the same mix and 1 when the groups never share a district. Values below 0.3 are "
                   "usually called low, 0.3 to 0.6 moderate and above 0.6 high (Massey &amp; Denton).",
                D, 100 * D, 100 * D);
        if (gd && isfinite(gd->p_value))
            fprintf(m, " The permutation test gives p = %.3f: %s", gd->p_value,
                    gd->p_value <= 0.05 ? "so much unevenness would be unlikely if where people live did not "
                                          "depend on migration background."
                                        : "this unevenness could well arise by chance alone.");
        fputs("</p>\n", m);
    }
    double xpx = NAN;
    if (sg_run_index(run, "isolation", &xpx) && isfinite(xpx))
        fprintf(m, "<p><b>Isolation xPx = %.2f</b>: the average migrant lives in a district where %.0f %% of the "
                   "residents are migrants, against %.0f %% in the city as a whole.</p>\n",
                xpx, 100 * xpx, 100 * run->idx.share);
    int any_p = 0;
    if (run->opts->permutations > 0) /* the null of the p-values, in words (nulls.c) */
        fprintf(m, "<p class=\"muted\">The p-values test against a null in which %s.</p>\n",
                sg__null_describe(run->opts->null_model));
    for (size_t i = 0; i < run->res.ng; i++) any_p |= isfinite(run->res.g[i].p_value);
    if (!any_p)
        fputs("<p class=\"muted\">No p-values: the run had no permutation test (a run with 999 "
              "permutations gives them).</p>\n",
              m);
    index_table(m, run, 1);
    fputs("<p class=\"muted\">Every other index is in the appendix at the end.</p>\n</section>\n", m);
}

static void index_table(FILE *m, const struct sg_run *run, int want_key) {
    fputs("<table>\n<tr><th>Index</th><th>Value</th><th>p-value</th><th>What it measures</th></tr>\n", m);
    for (size_t i = 0; i < run->res.ng; i++) {
        const sg_global *g = &run->res.g[i];
        if (key_index(g->name) != want_key) continue;
        char v[32], p[32];
        sg__fmt_num(g->value, 4, v, sizeof v);
        sg__fmt_num(g->p_value, 3, p, sizeof p);
        fputs("<tr><td>", m);
        sg__html_esc(m, g->name);
        fprintf(m, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>", v, p);
        sg__html_esc(m, g->description ? g->description : "");
        fputs("</td></tr>\n", m);
    }
    fputs("</table>\n", m);
}

static void method(FILE *m, const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    fputs("<section id=\"method\">\n<h2>How the classes are made</h2>\n<ul>\n", m);
    fprintf(m, "<li><b>Migrant concentration</b>: location quotient LQ &ge; %.2f (the district's migrant share is at "
               "least %.0f %% above the city's), or a significant Getis-Ord Gi* hot spot of the migrant share (z &gt; 0, "
               "%s &le; %.2f).</li>\n",
            g->lq_threshold, 100 * (g->lq_threshold - 1), sg__p_adjust_words(g->p_adjust), g->alpha);
    fputs("<li><b>Access score</b> (objective 5): for each service type, the district's rank by distance from its "
          "point on surface to the nearest service, scaled from 0 (nearest in the city) to 1 (farthest); the access "
          "score is the mean over the types. <b>Underserved</b>: above the city's population-weighted median score. "
          "<b>Priority score</b> gap5_score = &radic;(C &times; A), C the rank of LQ and A the access score, both from "
          "0 to 1; rank 1 is first for action.</li>\n",
          m);
    fputs("<li><b>Objective 10</b>: a concentrated district is <i>overcrowded</i> when its overcrowding is above the "
          "city rate (population-weighted), has <i>low supply</i> when its social housing units per 1,000 residents "
          "are below the city's, and <i>high supply</i> when above. Its class is the first that applies: "
          "high supply that deepens the concentration (more social housing there would add to it, whatever the "
          "overcrowding), concentrated and overcrowded, concentrated with low supply; otherwise ok. Every condition that holds is in the layer's gap10_flags.",
          m);
    sg__report_housing_method(m, run);
    fputs("</li>\n", m);
    fputs("<li>Districts without residents or with missing counts are <i>no data</i>: they are shown in grey and "
          "never counted as ok.</li>\n</ul>\n",
          m);
    fputs("<h3>Files</h3>\n<ul>\n", m);
    for (size_t f = 0; f < run->written.nfiles; f++) {
        const char *p = run->written.files[f], *b = strrchr(p, '/');
        fputs("<li>", m);
        sg__html_esc(m, b ? b + 1 : p);
        fputs("</li>\n", m);
    }
    fprintf(m, "<li>report.html (this file), %ssummary.json</li>\n", run->districts_path ? "districts.geojson, " : "");
    fputs("</ul>\n<p>Open <b>seggap.qgs</b> in QGIS "
          "for every layer, styled; or open a .geojson layer: QGIS applies the .qml style of the same name.</p>\n"
          "</section>\n",
          m);
}

sg_status sg__write_report(sg_ctx *ctx, const struct sg_run *run, const char *path, sg_written *out) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return sg__nomem(ctx);
    head(m, run);
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv)) strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    fputs("<header>\n<h1>", m);
    sg__html_esc(m, run->opts->title ? run->opts->title : "Migrant segregation and access gaps");
    fputs("</h1>\n<p class=\"muted\">OECD checklist objectives 5 "
          "(the spatial gap) and 10 (housing). Made by seggap " SG_VERSION_STRING " on ",
          m);
    sg__html_esc(m, when);
    fputs(" from ", m);
    sg__html_esc(m, run->rd.districts.path);
    fputs(".</p>\n</header>\n", m);
    brief(m, run);
    sg__svg_shapes(ctx, m, run);
    sg__report_share(ctx, m, run); /* the first map: the OECD figure */
    inputs(m, run);
    indices(m, run);
    sg__report_profile(m, run); /* --scales (report_profile.c) */
    sg__report_objective5(ctx, m, run);
    sg__report_objective10(ctx, m, run);
    sg__report_groups(ctx, m, run);
    sg__report_distances(ctx, m, run);
    method(m, run);
    fputs("<section id=\"appendix\">\n<h2>Appendix: every index</h2>\n", m);
    index_table(m, run, 0);
    fputs("</section>\n", m);
    fputs("</body>\n</html>\n", m);
    if (fclose(m) != 0 || !buf) {
        free(buf);
        return sg__nomem(ctx);
    }
    sg_status st = sg__output_write(ctx, path, buf, len);
    free(buf);
    if (st == SG_OK && sg__written_add(out, path) != 0) st = sg__nomem(ctx);
    return st;
}