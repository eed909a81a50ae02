/* The comparisons of a release with the baseline run, district by district:
 * districts by id (missing / new unless listed, and ids renamed, found by
 * their identical geometry), the change of each district's total, group
 * count and group share, and the city total. Also the names of the metrics
 * the thresholds are set on, checked before anything runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>

#include "check/check.h"

static int in_list(const sg_strlist *l, const char *id) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], id) == 0) return 1;
    return 0;
}

/* ---- renamed ids: the same geometry under another id ---- */

/* The baseline geometries of the districts in want (baseline index -> 1), in
 * the release's input CRS; NULL entries for those not found or not
 * convertible. */
static GEOSGeometry **baseline_geoms(sg_ctx *ctx, const sg_check_baseline *b, const unsigned char *want,
                                     const sg_reader *rd) {
    GEOSGeometry **g = calloc(b->n + 1, sizeof *g);
    char *lp = sg__asprintf("%s/districts.geojson", b->dir);
    PJ_CONTEXT *pc = sg__proj(ctx);
    PJ *wgs = proj_create(pc, "EPSG:4326"), *raw = wgs && rd->crs.src ? proj_create_crs_to_crs_from_pj(pc, wgs, rd->crs.src, NULL, NULL) : NULL;
    PJ *op = raw ? proj_normalize_for_visualization(pc, raw) : NULL;
    proj_destroy(raw);
    proj_destroy(wgs);
    sg__gdal_push(ctx);
    GDALDatasetH ds = g && lp && op ? GDALOpenEx(lp, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL) : NULL;
    sg__gdal_pop();
    OGRLayerH lyr = ds ? GDALDatasetGetLayer(ds, 0) : NULL;
    int fi = lyr ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "id") : -1;
    OGRFeatureH f;
    while (fi >= 0 && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        size_t k;
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        if (og && sg__strmap_get(b->index, OGR_F_GetFieldAsString(f, fi), &k) && want[k] && !g[k]) {
            const char *why;
            g[k] = sg__ogr_to_work(ctx, og, op, &why);
        }
        OGR_F_Destroy(f);
    }
    if (ds) GDALClose(ds);
    proj_destroy(op);
    free(lp);
    return g;
}

/* 1 when a and b cover the same ground: the area of their symmetric
 * difference is below 1e-3 of the larger area (the baseline's coordinates
 * went through GeoJSON's 7 decimals and back). */
static int same_ground(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b) {
    double aa = 0, ab = 0, ad = 0;
    if (!GEOSArea_r(h, a, &aa) || !GEOSArea_r(h, b, &ab) || !(aa > 0) || !(ab > 0)) return 0;
    if (fabs(aa - ab) > 1e-3 * fmax(aa, ab)) return 0;
    GEOSGeometry *d = GEOSSymDifference_r(h, a, b);
    int ok = d && GEOSArea_r(h, d, &ad) && ad <= 1e-3 * fmax(aa, ab);
    if (d) GEOSGeom_destroy_r(h, d);
    return ok;
}

/* renamed[i] = 1 + the baseline index of a new district i that has the
 * geometry of a missing baseline district (each paired once), else 0. */
static void find_renames(sg_ctx *ctx, const sg_check_state *S, const sg_reader *rd, const sg_city *city,
                         sg_strmap *city_ids, size_t *renamed) {
    const sg_check_baseline *b = S->b;
    unsigned char *want = calloc(b->n + 1, 1);
    size_t nmiss = 0, nnew = 0;
    for (size_t k = 0; want && k < b->n; k++)
        if (!sg__strmap_get(city_ids, b->id[k], NULL) && !in_list(&S->cfg->expected_missing, b->id[k]))
            want[k] = 1, nmiss++;
    for (size_t i = 0; i < city->n; i++)
        if (city->id[i] && *city->id[i] && !sg__strmap_get(b->index, city->id[i], NULL) &&
            !in_list(&S->cfg->expected_new, city->id[i]) && city->geom_src && city->geom_src[i])
            nnew++;
    GEOSGeometry **bg = nmiss && nnew ? baseline_geoms(ctx, b, want, rd) : NULL;
    GEOSContextHandle_t h = sg__geos(ctx);
    for (size_t i = 0; bg && i < city->n; i++) {
        if (!city->id[i] || !*city->id[i] || sg__strmap_get(b->index, city->id[i], NULL) ||
            in_list(&S->cfg->expected_new, city->id[i]) || !city->geom_src || !city->geom_src[i])
            continue;
        for (size_t k = 0; k < b->n; k++)
            if (bg[k] && want[k] && same_ground(h, bg[k], city->geom_src[i])) {
                renamed[i] = k + 1;
                want[k] = 0; /* paired */
                break;
            }
    }
    for (size_t k = 0; bg && k < b->n; k++)
        if (bg[k]) GEOSGeom_destroy_r(h, bg[k]);
    free(bg);
    free(want);
}

/* ---- per-district changes ---- */
static json_object *values_old_new(const char *what, double old, double now) {
    json_object *v = json_object_new_object();
    char k[64];
    snprintf(k, sizeof k, "baseline_%s", what);
    json_object_object_add(v, k, sg__check_jnum(old));
    snprintf(k, sizeof k, "current_%s", what);
    json_object_object_add(v, k, sg__check_jnum(now));
    json_object_object_add(v, "change", sg__check_jnum(now - old));
    return v;
}

/* W_TOTAL_JUMP or W_GROUP_JUMP: the count `what` ("total", "group") of
 * district id went from old to now, by more than `limit` (relative; the
 * option named `limit_name`). Returns 1 when flagged. */
static int count_jump(sg_check_state *S, const char *id, const char *what, const char *label, const char *code,
                      const char *limit_name, double limit, double old, double now) {
    double rel = old > 0 ? (now - old) / old : (now > 0 ? INFINITY : 0);
    if (!(fabs(rel) > limit)) return 0;
    char buf[512];
    if (isfinite(rel))
        snprintf(buf, sizeof buf, "district '%s': %s changed by %+.1f %% (%.0f -> %.0f), more than %s %.0f %%", id,
                 label, 100 * rel, old, now, limit_name, 100 * limit);
    else
        snprintf(buf, sizeof buf, "district '%s': %s went from 0 to %.0f", id, label, now);
    json_object *f = sg__check_add_finding(S->c, code, SG_FIND_WARNING, "population_change", id, buf);
    json_object *v = values_old_new(what, old, now);
    json_object_object_add(v, "relative_change", sg__check_jnum(rel));
    json_object_object_add(v, limit_name, sg__check_jnum(limit));
    json_object_object_add(f, "values", v);
    return 1;
}

/* W_TOTAL_JUMP, W_GROUP_JUMP, W_SHARE_JUMP of district i (baseline index
 * k); counts the districts flagged. */
static void district_jumps(sg_check_state *S, const sg_city *city, size_t i, size_t k, size_t count[3]) {
    const sg_check_baseline *b = S->b;
    const sg_config *cfg = S->cfg;
    const char *id = city->id[i];
    char buf[512];
    double old = b->total[k], now = city->total[i];
    if (!isfinite(old) || !isfinite(now)) return;
    count[0] += (size_t)count_jump(S, id, "total", "total population", "W_TOTAL_JUMP", "max_total_change",
                                   cfg->max_total_change, old, now);
    double og = b->group ? b->group[k] : NAN, ng = city->group ? city->group[i] : NAN;
    if (!isfinite(og) || !isfinite(ng)) return;
    if (fabs(ng - og) >= cfg->min_residents)
        count[1] += (size_t)count_jump(S, id, "group", "group count", "W_GROUP_JUMP", "max_group_change",
                                       cfg->max_group_change, og, ng);
    if (!(old > 0) || !(now > 0) || fmax(old, now) < cfg->min_residents) return;
    double so = og / old, sn = ng / now;
    if (fabs(sn - so) > cfg->max_share_change) {
        count[2]++;
        snprintf(buf, sizeof buf, "district '%s': group share changed by %+.1f percentage points (%.1f %% -> %.1f %%), "
                 "more than max_share_change %.0f points", id, 100 * (sn - so), 100 * so, 100 * sn,
                 100 * cfg->max_share_change);
        json_object *f = sg__check_add_finding(S->c, "W_SHARE_JUMP", SG_FIND_WARNING, "population_change", id, buf);
        json_object *v = values_old_new("share", so, sn);
        json_object_object_add(v, "baseline_total", sg__check_jnum(old));
        json_object_object_add(v, "current_total", sg__check_jnum(now));
        json_object_object_add(v, "max_share_change", sg__check_jnum(cfg->max_share_change));
        json_object_object_add(f, "values", v);
    }
}

void sg__check_compare_districts(sg_ctx *ctx, sg_check_state *S, const sg_reader *rd, const sg_city *city,
                                 sg_strmap *city_ids) {
    const sg_check_baseline *b = S->b;
    const sg_config *cfg = S->cfg;
    S->ids_compared = 1;
    char buf[512];
    size_t *renamed = calloc(city->n + 1, sizeof *renamed);
    unsigned char *was_renamed = calloc(b->n + 1, 1);
    if (renamed && was_renamed) find_renames(ctx, S, rd, city, city_ids, renamed);
    for (size_t i = 0; renamed && was_renamed && i < city->n; i++)
        if (renamed[i]) was_renamed[renamed[i] - 1] = 1;
    /* Baseline districts that vanished. */
    for (size_t i = 0; i < b->n; i++) {
        if (sg__strmap_get(city_ids, b->id[i], NULL)) {
            if (in_list(&cfg->expected_missing, b->id[i])) {
                snprintf(buf, sizeof buf, "district '%s' is listed in expected_missing_districts but is present",
                         b->id[i]);
                sg__check_add_finding(S->c, "W_EXPECTED_CHANGE_ABSENT", SG_FIND_WARNING, "districts_vs_baseline",
                                      b->id[i], buf);
            }
            continue;
        }
        if (was_renamed && was_renamed[i]) continue; /* W_ID_RENAMED below */
        int expected = in_list(&cfg->expected_missing, b->id[i]);
        snprintf(buf, sizeof buf, "baseline district '%s' is missing from the new release%s", b->id[i],
                 expected ? " (listed in expected_missing_districts)" : "; list it in check: expected_missing_districts "
                                                                        "if it was merged or removed on purpose");
        json_object *f = sg__check_add_finding(S->c, expected ? "I_EXPECTED_MISSING_DISTRICT" : "E_MISSING_DISTRICT",
                                               expected ? SG_FIND_INFO : SG_FIND_ERROR, "districts_vs_baseline",
                                               b->id[i], buf);
        json_object *v = json_object_new_object();
        json_object_object_add(v, "baseline_total", sg__check_jnum(b->total[i]));
        json_object_object_add(f, "values", v);
    }
    /* New districts, renamed ids, and the change of each district. */
    sg_ksum tb = {0, 0}, tc = {0, 0};
    size_t jumps[3] = {0, 0, 0};
    for (size_t i = 0; i < city->n; i++) {
        const char *id = city->id[i];
        if (!id || !*id) continue;
        size_t k;
        if (isfinite(city->total[i])) sg__ksum_add(&tc, city->total[i]);
        if (renamed && renamed[i]) {
            k = renamed[i] - 1;
            snprintf(buf, sizeof buf, "district '%s' has the geometry of baseline district '%s': its id was renamed "
                     "('%s' -> '%s'); list '%s' in expected_missing_districts and '%s' in expected_new_districts "
                     "if that is intended", id, b->id[k], b->id[k], id, b->id[k], id);
            json_object *f = sg__check_add_finding(S->c, "W_ID_RENAMED", SG_FIND_WARNING, "districts_vs_baseline",
                                                   id, buf);
            json_object *v = json_object_new_object();
            json_object_object_add(v, "baseline_id", sg__check_jstr(b->id[k]));
            json_object_object_add(v, "current_id", sg__check_jstr(id));
            json_object_object_add(f, "values", v);
        } else if (!sg__strmap_get(b->index, id, &k)) {
            int expected = in_list(&cfg->expected_new, id);
            snprintf(buf, sizeof buf, "district '%s' is not in the baseline%s", id,
                     expected ? " (listed in expected_new_districts)"
                              : "; list it in check: expected_new_districts if it is new on purpose");
            json_object *f = sg__check_add_finding(S->c, expected ? "I_EXPECTED_NEW_DISTRICT" : "E_NEW_DISTRICT",
                                                   expected ? SG_FIND_INFO : SG_FIND_ERROR, "districts_vs_baseline",
                                                   id, buf);
            json_object *v = json_object_new_object();
            json_object_object_add(v, "current_total", sg__check_jnum(city->total[i]));
            json_object_object_add(f, "values", v);
            continue;
        } else if (in_list(&cfg->expected_new, id)) {
            snprintf(buf, sizeof buf, "district '%s' is listed in expected_new_districts but was in the baseline", id);
            sg__check_add_finding(S->c, "W_EXPECTED_CHANGE_ABSENT", SG_FIND_WARNING, "districts_vs_baseline", id, buf);
        }
        district_jumps(S, city, i, k, jumps);
    }
    free(renamed);
    free(was_renamed);
    for (size_t i = 0; i < b->n; i++)
        if (isfinite(b->total[i])) sg__ksum_add(&tb, b->total[i]);
    double T0 = sg__ksum_get(&tb), T1 = sg__ksum_get(&tc);
    double rel = T0 > 0 ? (T1 - T0) / T0 : NAN;
    snprintf(buf, sizeof buf, "city total population %.0f -> %.0f (%+.0f, %+.2f %%)", T0, T1, T1 - T0,
             isfinite(rel) ? 100 * rel : 0.0);
    json_object *f = sg__check_add_finding(S->c, "I_CITY_TOTAL_CHANGE", SG_FIND_INFO, "population_change", NULL, buf);
    json_object *v = json_object_new_object();
    json_object_object_add(v, "baseline_total", sg__check_jnum(T0));
    json_object_object_add(v, "current_total", sg__check_jnum(T1));
    json_object_object_add(v, "change", sg__check_jnum(T1 - T0));
    json_object_object_add(v, "relative_change", sg__check_jnum(rel));
    json_object_object_add(f, "values", v);
    json_object *p = json_object_new_object();
    json_object_object_add(p, "baseline_total", sg__check_jnum(T0));
    json_object_object_add(p, "current_total", sg__check_jnum(T1));
    json_object_object_add(p, "change", sg__check_jnum(T1 - T0));
    json_object_object_add(p, "relative_change", sg__check_jnum(rel));
    json_object_object_add(p, "districts_over_max_total_change", json_object_new_int64((int64_t)jumps[0]));
    json_object_object_add(p, "districts_over_max_group_change", json_object_new_int64((int64_t)jumps[1]));
    json_object_object_add(p, "districts_over_max_share_change", json_object_new_int64((int64_t)jumps[2]));
    json_object_object_add(p, "note", sg__check_jstr("sums over every district with a known total, in each release"));
    json_object_object_add(S->c->root, "population", p);
    S->population = p;
}

/* ---- metric names ---- */
/* The global indices seggap computes (summary.json -> indices); per-group
 * ones (dissimilarity_GROUP) are named at run time. */
static const char *const index_names[] = {
    "dissimilarity", "isolation", "exposure", "gini", "entropy", "atkinson_b01", "atkinson_b05", "atkinson_b09",
    "density_corrected_dissimilarity", "min_max", "concentration_profile", "correlation_ratio",
    "multi_dissimilarity", "multi_gini", "multi_information_theory", "multi_normalized_exposure",
    "multi_relative_diversity", "multi_squared_coefficient_of_variation", "multi_divergence", "multi_diversity",
    "simpsons_concentration", "simpsons_interaction", "delta", "absolute_concentration", "relative_concentration",
    "absolute_centralization", "relative_centralization", "absolute_clustering", "relative_clustering",
    "spatial_proximity", "distance_decay_isolation", "distance_decay_exposure", "spatial_dissimilarity",
    "boundary_spatial_dissimilarity", "perimeter_area_spatial_dissimilarity", "spatial_proximity_profile",
    "global_distortion", "lisa_significant_share"};
#define N_INDEX_NAMES (sizeof index_names / sizeof index_names[0])
/* summary.json's top-level members a dotted metric starts with. */
static const char *const top_names[] = {"tool", "command", "created", "outputs", "inputs", "crs", "districts", "population", "indices", "regions",
                                        "access", "objective5", "objective10", "housing", "warnings"};
#define N_TOP_NAMES (sizeof top_names / sizeof top_names[0])

const char *sg__check_metric_suggest(json_object *summary, const char *metric) {
    json_object *ind = NULL;
    size_t n = N_INDEX_NAMES;
    if (summary && json_object_object_get_ex(summary, "indices", &ind) && json_object_is_type(ind, json_type_object))
        n += (size_t)json_object_object_length(ind);
    const char **names = malloc(n * sizeof *names);
    if (!names) return NULL;
    size_t k = 0;
    for (; k < N_INDEX_NAMES; k++) names[k] = index_names[k];
    if (ind && json_object_is_type(ind, json_type_object)) {
        json_object_object_foreach(ind, key, val) {
            (void)val;
            names[k++] = key;
        }
    }
    const char *near = NULL;
    int known = 0;
    for (size_t i = 0; i < k; i++) known |= strcmp(names[i], metric) == 0;
    if (!known) near = sg__suggest(metric, names, k);
    free(names);
    return near;
}

sg_status sg__check_metrics(sg_ctx *ctx, const sg_config *cfg, json_object *baseline_summary) {
    for (size_t i = 0; i < cfg->nthresholds; i++) {
        const sg_threshold *t = &cfg->thresholds[i];
        const char *dot = strchr(t->metric, '.');
        sg_where w = {cfg->path, NULL, -1, NULL, NULL};
        if (!dot) {
            const char *near = sg__check_metric_suggest(baseline_summary, t->metric);
            if (near)
                return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", w,
                                 "line %d: threshold '%s': no index is called '%s' (did you mean '%s'?)", t->line,
                                 t->metric, t->metric, near);
            continue;
        }
        size_t len = (size_t)(dot - t->metric);
        int known = 0;
        for (size_t k = 0; k < N_TOP_NAMES; k++) known |= strlen(top_names[k]) == len && !strncmp(top_names[k], t->metric, len);
        if (known) {
            if (len == 7 && strncmp(t->metric, "indices", 7) == 0 && !strchr(dot + 1, '.')) {
                const char *near = sg__check_metric_suggest(baseline_summary, dot + 1);
                if (near)
                    return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", w,
                                     "line %d: threshold '%s': no index is called '%s' (did you mean 'indices.%s'?)",
                                     t->line, t->metric, dot + 1, near);
            }
            continue;
        }
        char *first = sg__strndup(t->metric, len);
        const char *near = first ? sg__suggest(first, top_names, N_TOP_NAMES) : NULL;
        const char *near_index = first && !near ? sg__check_metric_suggest(baseline_summary, first) : NULL;
        int is_index = 0;
        for (size_t k = 0; first && k < N_INDEX_NAMES; k++) is_index |= strcmp(index_names[k], first) == 0;
        sg_status st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", w,
                                 "line %d: threshold '%s': summary.json has no '%s'%s%s%s (a metric is an index name, "
                                 "e.g. dissimilarity, or a path under %s)",
                                 t->line, t->metric, first ? first : "?",
                                 near || near_index ? " (did you mean '" : is_index ? " (an index takes no path)" : "",
                                 near ? near : near_index ? near_index : "", near || near_index ? "'?)" : "",
                                 "access, population, objective5, objective10, housing, regions, districts");
        free(first);
        return st;
    }
    return SG_OK;
}
