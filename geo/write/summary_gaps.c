/* summary.json -> objective5, objective10, housing (and the files written,
 * in outputs), and the lines of the text summary. Built from run->gaps;
 * nothing is recomputed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "write/write.h"

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }
static json_object *jint(long long v) { return json_object_new_int64(v); }

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static json_object *objective5(const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "layer", sg__layer_on(run->opts, SG_LAYER_OBJECTIVE5) ? jstr("objective5.geojson") : NULL);
    json_object *conc = json_object_new_object();
    json_object_object_add(conc, "rule", jstr("concentrated: lq >= lq_threshold, or a significant Getis-Ord Gi* hot "
                                              "spot of the migrant share (gi_star_z > 0 and gi_star_q <= alpha, "
                                              "gi_star_q the gi_star_p adjusted by hotspot_p_adjust)"));
    json_object_object_add(conc, "lq_threshold", jnum(g->lq_threshold));
    json_object_object_add(conc, "hotspot_alpha", jnum(g->alpha));
    json_object_object_add(conc, "hotspot_p_adjust", jstr(sg__p_adjust_name(g->p_adjust)));
    json_object_object_add(conc, "hotspots_available", json_object_new_boolean(g->have_gi));
    size_t nc = 0, nh = 0;
    for (size_t i = 0; i < run->city.n; i++) {
        nc += g->g5.concentrated[i];
        nh += g->g5.hotspot[i];
    }
    json_object_object_add(conc, "concentrated_districts", jint((long long)nc));
    json_object_object_add(conc, "hotspot_districts", jint((long long)nh));
    json_object_object_add(o, "concentration", conc);
    json_object *acc = json_object_new_object();
    json_object_object_add(acc, "assessed", json_object_new_boolean(g->ntypes > 0));
    json_object *types = json_object_new_array();
    for (size_t t = 0; t < g->ntypes; t++) json_object_array_add(types, jstr(g->types[t]));
    json_object_object_add(acc, "service_types", types);
    json_object_object_add(acc, "access_score",
                           jstr("mean over the service types of the district's percentile rank (mid-rank, 0 = "
                                "nearest in the city, 1 = farthest) of the distance to the nearest service "
                                "(dist_TYPE_m), over the districts with residents"));
    if (g->g5.by_standards) { /* --standard (issue 17) */
        json_object_object_add(acc, "underserved_rule",
                               jstr("beyond at least one access standard (beyond_TYPE = 1); within every standard "
                                    "is served; none beyond but one unknown is no_data. Types without a standard "
                                    "enter access_score and gap5_score, not this rule"));
        json_object_object_add(acc, "underserved_by", jstr("standards"));
        json_object *sd = json_object_new_object();
        for (size_t t = 0; run->access && t < run->access->nt; t++) {
            const sg_standard *S = &run->access->t[t].std;
            if (!S->set) continue;
            json_object *one = json_object_new_object();
            json_object_object_add(one, "value", jnum(S->value));
            json_object_object_add(one, "unit", jstr(S->unit));
            json_object_object_add(one, "field", jstr(S->minutes ? "time_TYPE_min" : "dist_TYPE_m"));
            json_object_object_add(sd, run->access->t[t].type, one);
        }
        json_object_object_add(acc, "standards", sd);
    } else {
        json_object_object_add(acc, "underserved_rule",
                               jstr("access_score above the city's population-weighted median access_score"));
    }
    json_object_object_add(acc, "city_median_access_score", jnum(g->g5.access_median));
    if (!g->ntypes)
        json_object_object_add(acc, "note", jstr("no service data was given: access is not assessed, access_score "
                                                 "is null, underserved cannot be decided and gap5_class only tells "
                                                 "concentrated from not_concentrated"));
    json_object_object_add(o, "access", acc);
    json_object_object_add(o, "score",
                           jstr(g->ntypes ? "gap5_score = sqrt(C x A), C the percentile rank of lq, A the "
                                            "access_score (0..1, 1 = most concentrated and worst served); "
                                            "gap5_rank 1 = first for action"
                                          : "gap5_score = C, the percentile rank of lq (no service data); gap5_rank "
                                            "1 = first for action"));
    json_object *cls = json_object_new_object();
    for (int c = 0; c < SG_GAP5_COUNT; c++) {
        int used = g->ntypes ? (c <= SG_GAP5_OK || c == SG_GAP5_NO_DATA) : c >= SG_GAP5_CONCENTRATED;
        if (used) json_object_object_add(cls, sg__gap5_name((sg_gap5)c), jint((long long)g->g5.count[c]));
    }
    json_object_object_add(o, "classes", cls);
    return o;
}

static json_object *objective10(const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    const sg_housing *h = &g->h;
    const sg_gap10_out *o10 = &g->g10;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "layer",
                           sg__layer_on(run->opts, SG_LAYER_OBJECTIVE10) ? jstr("objective10.geojson") : NULL);
    json_object_object_add(o, "assessed", json_object_new_boolean(g->assessed10));
    if (!g->assessed10)
        json_object_object_add(o, "note", jstr("no housing data was given (--housing, --social-housing-field, "
                                               "--overcrowding-field): objective 10 is not assessed and every "
                                               "district is no_data; no number is invented"));
    json_object *in = json_object_new_object();
    if (h->have_sites) {
        json_object *hl = json_object_new_object();
        json_object_object_add(hl, "path", jstr(h->path));
        json_object_object_add(hl, "layer", jstr(h->layer));
        json_object_object_add(hl, "driver", jstr(h->driver));
        json_object_object_add(hl, "sha256", h->sha256[0] ? jstr(h->sha256) : NULL);
        json_object_object_add(hl, "units_field", jstr(h->units_field));
        json_object_object_add(hl, "crs", jstr(h->crs_name));
        json_object_object_add(hl, "sites_read", jint(h->sites_read));
        json_object_object_add(hl, "sites_in_a_district", jint(h->sites_assigned));
        json_object_object_add(hl, "sites_outside_districts", jint(h->sites_outside));
        json_object_object_add(hl, "sites_without_units", jint(h->sites_no_units));
        json_object_object_add(hl, "sites_without_geometry", jint(h->sites_no_geom));
        json_object_object_add(hl, "units_read", jnum(h->units_read));
        json_object_object_add(in, "housing", hl);
    }
    json_object_object_add(in, "social_units_from", jstr(h->units_from));
    if (h->have_overcrowding) {
        const sg_field_src *fs = &run->rd.fields[SG_ROLE_OVERCROWD];
        json_object *oc = json_object_new_object();
        json_object_object_add(oc, "field", jstr(fs->name));
        json_object_object_add(oc, "source", jstr(fs->table < 0 ? run->rd.districts.path
                                                                : run->rd.tables[fs->table].spec->path));
        json_object_object_add(oc, "scale", jstr(run->opts->overcrowding_scale_text));
        json_object_object_add(oc, "stored_as", jstr(h->overcrowding_unit));
        json_object_object_add(in, "overcrowding", oc);
    }
    json_object_object_add(o, "inputs", in);
    json_object *th = json_object_new_object();
    json_object_object_add(th, "lq_threshold", jnum(g->lq_threshold));
    json_object_object_add(th, "hotspot_alpha", jnum(g->alpha));
    json_object_object_add(th, "city_social_units_per_1000", jnum(o10->supply_rate));
    json_object_object_add(th, "city_overcrowding", jnum(o10->overcrowding_rate));
    json_object_object_add(th, "rules",
                           jstr("concentrated as in objective 5; overcrowded: overcrowding > city rate "
                                "(population-weighted mean); low_supply / high_supply: social units per 1,000 "
                                "residents below / above the city rate; class = the first that applies to a "
                                "concentrated district: supply_deepens_concentration (high_supply), "
                                "concentrated_overcrowded, concentrated_low_supply; else ok (no_data: no residents, no housing input, or a concentrated district "
                                "whose needed values are missing)"));
    json_object_object_add(o, "thresholds", th);
    json_object *cls = json_object_new_object();
    for (int c = 0; c < SG_GAP10_COUNT; c++)
        json_object_object_add(cls, sg__gap10_name((sg_gap10)c), jint((long long)o10->count[c]));
    json_object_object_add(o, "classes", cls);
    size_t nf[3] = {0, 0, 0};
    for (size_t i = 0; i < run->city.n; i++)
        for (int b = 0; b < 3; b++) nf[b] += (o10->flags[i] >> b) & 1u;
    json_object *fl = json_object_new_object();
    json_object_object_add(fl, "overcrowded", jint((long long)nf[0]));
    json_object_object_add(fl, "low_supply", jint((long long)nf[1]));
    json_object_object_add(fl, "high_supply", jint((long long)nf[2]));
    for (size_t k = 0; k < g->nind; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s_worse", g->hind[k].name);
        json_object_object_add(fl, key, jint((long long)g->ind[k].n_worse));
    }
    json_object_object_add(o, "flags", fl);
    return o;
}

/* housing.indicators: one object per --housing-indicator (absent without one). */
static json_object *indicators(const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    json_object *all = json_object_new_object();
    for (size_t k = 0; k < g->nind; k++) {
        const sg_hind *h = &g->hind[k];
        const sg_hind_out *r = &g->ind[k];
        json_object *o = json_object_new_object();
        const sg_field_src *fs = &run->rd.fields[h->overcrowding ? SG_ROLE_OVERCROWD
                                                                  : SG_ROLE_COUNT + run->rd.ngroups + k];
        json_object_object_add(o, "field", jstr(fs->name));
        json_object_object_add(o, "source", jstr(!fs->name ? NULL
                                                 : fs->table < 0 ? run->rd.districts.path
                                                                 : run->rd.tables[fs->table].spec->path));
        json_object_object_add(o, "definition", jstr(h->definition));
        json_object_object_add(o, "unit", jstr(h->overcrowding ? g->h.overcrowding_unit : h->unit));
        json_object_object_add(o, "direction", jstr(h->lower ? "lower_is_worse" : "higher_is_worse"));
        json_object_object_add(o, "direction_given", json_object_new_boolean(h->direction_given));
        json_object_object_add(o, "city_rate", jnum(r->rate));
        json_object_object_add(o, "margin", jnum(g->housing_margin));
        json_object_object_add(o, h->lower ? "worse_below" : "worse_above", jnum(r->threshold));
        json_object_object_add(o, "districts_with_value", jint((long long)r->n_known));
        json_object_object_add(o, "districts_without_value", jint((long long)r->n_missing));
        json_object_object_add(o, "districts_worse", jint((long long)r->n_worse));
        json_object_object_add(o, "concentrated_districts_worse", jint((long long)r->n_worse_conc));
        json_object_object_add(o, "corr_migrant_share", jnum(r->corr_share));
        json_object_object_add(o, "ratio_migrants_rest", jnum(r->migrant_rest_ratio));
        json_object_object_add(o, "ratio_concentrated_other", jnum(r->conc_other_ratio));
        json_object_object_add(all, h->name, o);
    }
    json_object_object_add(all, "definitions",
                           jstr("city_rate = sum t_i v_i / sum t_i over the districts with residents and a value; "
                                "NAME_worse = 1 when v_i > city_rate + margin |city_rate| (higher_is_worse) or "
                                "v_i < city_rate - margin |city_rate| (lower_is_worse); corr_migrant_share: Pearson, "
                                "unweighted, over districts; ratio_migrants_rest = (sum x_i v_i / X) / (sum y_i v_i "
                                "/ Y); ratio_concentrated_other: the population-weighted mean of v in the "
                                "concentrated districts over that in the others"));
    return all;
}

static json_object *housing(const struct sg_run *run) {
    const struct sg_gaps *g = run->gaps;
    const sg_gap10_out *o10 = &g->g10;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "assessed", json_object_new_boolean(g->assessed10));
    if (!g->assessed10) {
        json_object_object_add(o, "note", jstr("no housing data was given: nothing is computed"));
        return o;
    }
    json_object_object_add(o, "social_units_total", g->h.have_units ? jnum(o10->units_total) : NULL);
    json_object_object_add(o, "social_units_per_1000", jnum(o10->supply_rate));
    json_object_object_add(o, "districts_with_units", jint((long long)o10->n_units));
    json_object_object_add(o, "dissimilarity_units_population", jnum(o10->housing_dissimilarity));
    json_object_object_add(o, "corr_share_social_units_per_1000", jnum(o10->corr_share_supply));
    json_object_object_add(o, "corr_share_overcrowding", jnum(o10->corr_share_overcrowding));
    json_object_object_add(o, "overcrowding_city", jnum(o10->overcrowding_rate));
    json_object_object_add(o, "overcrowding_ratio_migrants_rest", jnum(o10->overcrowding_ratio));
    json_object_object_add(o, "districts_with_overcrowding", jint((long long)o10->n_overcrowding));
    json_object_object_add(o, "units_share_in_concentrated_districts", jnum(o10->units_share_concentrated));
    json_object_object_add(o, "population_share_in_concentrated_districts", jnum(o10->pop_share_concentrated));
    if (g->nind) json_object_object_add(o, "indicators", indicators(run));
    json_object_object_add(
        o, "definitions",
        jstr("dissimilarity_units_population = 1/2 sum |u_i/U - t_i/T| (social housing units against residents); "
             "corr_*: Pearson correlation over districts (unweighted) of the migrant share with units per 1,000 "
             "residents and with overcrowding; overcrowding_ratio_migrants_rest = (sum x_i o_i / X) / (sum y_i o_i "
             "/ Y), the overcrowding of the district of the average migrant over that of the average other "
             "resident (district rates, not households)"));
    return o;
}

void sg__gaps_json(const struct sg_run *run, void *root_v, void *outputs_v) {
    const struct sg_gaps *g = run->gaps;
    json_object *root = root_v, *outs = outputs_v;
    if (!g || !root) return;
    json_object_object_add(root, "objective5", objective5(run));
    json_object_object_add(root, "objective10", objective10(run));
    json_object_object_add(root, "housing", housing(run));
    if (!outs) return;
    json_object *styles = json_object_new_array(), *shp = json_object_new_array();
    for (size_t f = 0; f < run->written.nfiles; f++) {
        const char *p = run->written.files[f], *b = base_name(p);
        size_t len = strlen(p);
        int in_shp = strstr(p, "/shp/") != NULL;
        if (in_shp) json_object_array_add(shp, jstr(p));
        else if (len > 4 && strcmp(p + len - 4, ".qml") == 0) json_object_array_add(styles, jstr(p));
        else if (strcmp(b, "objective5.geojson") == 0) json_object_object_add(outs, "objective5", jstr(p));
        else if (strcmp(b, "objective10.geojson") == 0) json_object_object_add(outs, "objective10", jstr(p));
        else if (strcmp(b, "services.geojson") == 0) json_object_object_add(outs, "services", jstr(p));
        else if (strcmp(b, "seggap.qgs") == 0) json_object_object_add(outs, "qgis_project", jstr(p));
        else if (strcmp(b, "report.html") == 0) json_object_object_add(outs, "report", jstr(p));
        else if (strcmp(b, "seggap.gpkg") == 0) json_object_object_add(outs, "geopackage", jstr(p));
    }
    json_object_object_add(outs, "styles", styles);
    if (json_object_array_length(shp)) json_object_object_add(outs, "shapefiles", shp);
    else json_object_put(shp);
}

void sg__gaps_text(const struct sg_run *run, void *file) {
    const struct sg_gaps *g = run->gaps;
    FILE *m = file;
    if (!g || !m) return;
    if (g->ntypes)
        fprintf(m, "  objective 5 %zu concentrated & underserved, %zu concentrated & served, %zu underserved, %zu ok, "
                   "%zu no data\n",
                g->g5.count[SG_GAP5_CONC_UNDERSERVED], g->g5.count[SG_GAP5_CONC_SERVED],
                g->g5.count[SG_GAP5_UNDERSERVED], g->g5.count[SG_GAP5_OK], g->g5.count[SG_GAP5_NO_DATA]);
    else
        fprintf(m, "  objective 5 %zu concentrated, %zu not (access not assessed: no service data), %zu no data\n",
                g->g5.count[SG_GAP5_CONCENTRATED], g->g5.count[SG_GAP5_NOT_CONCENTRATED],
                g->g5.count[SG_GAP5_NO_DATA]);
    if (g->assessed10)
        fprintf(m, "  objective 10 %zu concentrated & overcrowded, %zu concentrated & low supply, %zu supply deepens "
                   "concentration, %zu ok, %zu no data\n",
                g->g10.count[SG_GAP10_CONC_OVERCROWDED], g->g10.count[SG_GAP10_CONC_LOW_SUPPLY],
                g->g10.count[SG_GAP10_SUPPLY_DEEPENS], g->g10.count[SG_GAP10_OK], g->g10.count[SG_GAP10_NO_DATA]);
    else
        fprintf(m, "  objective 10 not assessed: no housing data given\n");
    for (size_t k = 0; k < g->nind; k++)
        fprintf(m, "  housing     %s: city %.4g (%s is worse), %zu districts worse by more than %.0f %%, %zu of them "
                   "concentrated\n",
                g->hind[k].name, g->ind[k].rate, g->hind[k].lower ? "lower" : "higher", g->ind[k].n_worse,
                100 * g->housing_margin, g->ind[k].n_worse_conc);
    fprintf(m, "  maps        %s/report.html; open %s/seggap.qgs in QGIS\n", run->out_dir, run->out_dir);
}
