/* The rules of `seggap check`: the validation rules (one JUnit test case
 * each) and the diagnostic codes they claim, the baseline run, the
 * comparisons of a release with it (CRS, districts by id, per-district and
 * city totals), and the thresholds on summary.json values and their changes.
 * check.c runs them in order and writes the result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>

#include "check/check.h"

/* ---- validation rules: one JUnit test case each ---- */
typedef struct rule_def {
    const char *name, *description;
} rule_def;
static const rule_def rules[] = {
    {"input", "the sources open and every feature can be read"},
    {"fields", "the id, total and group fields are present"},
    {"numbers", "counts are numbers, not negative, shares in range"},
    {"ids", "district ids and table keys are present and unique"},
    {"group_le_total", "group count <= total in every district"},
    {"geometry", "every geometry is a valid polygon"},
    {"crs", "the CRS is known and the same as the baseline's"},
    {"joins", "table rows and districts match"},
    {"districts_vs_baseline", "every baseline district is present and no unexpected new one appears"},
    {"population_change", "no district's total, group count or group share changes by more than max_total_change, "
                          "max_group_change or max_share_change"},
    {"indices", "the indices can be computed"},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static const struct {
    const char *code, *rule;
} code_rules[] = {
    {"E_MISSING_FIELD", "fields"}, {"W_FIELD_AMBIGUOUS", "fields"},
    {"E_NOT_NUMBER", "numbers"}, {"E_NEGATIVE", "numbers"}, {"E_MISSING_VALUE", "numbers"},
    {"E_SHARE_RANGE", "numbers"}, {"W_NO_DATA", "numbers"}, {"W_ZERO_TOTAL", "numbers"},
    {"E_SHARE_SCALE", "numbers"}, {"W_NOT_INTEGER", "numbers"}, {"E_THOUSANDS_SEPARATOR", "numbers"},
    {"E_NO_ID", "ids"}, {"E_DUPLICATE_ID", "ids"}, {"E_EMPTY_KEY", "ids"}, {"E_DUPLICATE_KEY", "ids"},
    {"E_LONG_FORMAT", "ids"},
    {"E_GROUP_GT_TOTAL", "group_le_total"}, {"E_GROUPS_GT_TOTAL", "group_le_total"},
    {"E_GROUPS_NE_TOTAL", "group_le_total"},
    {"E_NULL_GEOMETRY", "geometry"}, {"E_EMPTY_GEOMETRY", "geometry"}, {"E_NOT_POLYGON", "geometry"},
    {"E_BAD_GEOMETRY", "geometry"}, {"E_BAD_COORDINATE", "geometry"}, {"E_INVALID_GEOMETRY", "geometry"},
    {"W_GEOMETRY_REPAIRED", "geometry"}, {"E_GEOS", "geometry"}, {"E_TOO_MANY_VERTICES", "geometry"},
    {"W_OVERLAP", "geometry"}, {"E_OVERLAP", "geometry"},
    {"E_CRS", "crs"}, {"E_NO_CRS", "crs"}, {"E_CRS_CHANGED", "crs"}, {"W_CRS_OVERRIDE", "crs"},
    {"E_CRS_EXTENT", "crs"}, {"E_TRANSFORM", "crs"}, {"W_MERCATOR", "crs"},
    {"E_CRS_AREA", "crs"}, {"E_WORK_CRS_AREA", "crs"}, {"E_CRS_TINY", "crs"},
    {"W_ROW_WITHOUT_DISTRICT", "joins"}, {"W_DISTRICT_WITHOUT_ROW", "joins"}, {"W_KEY_LEADING_ZEROS", "joins"},
    {"W_TABLE_FIRST_LAYER", "joins"}, {"E_FEW_WITH_DATA", "joins"}, {"E_JOIN_NONE", "joins"},
    {"E_APPORTION_ZERO", "joins"},
    {"E_COARSE_COUNT", "fields"},
    {"E_MISSING_DISTRICT", "districts_vs_baseline"}, {"E_NEW_DISTRICT", "districts_vs_baseline"},
    {"I_EXPECTED_MISSING_DISTRICT", "districts_vs_baseline"}, {"I_EXPECTED_NEW_DISTRICT", "districts_vs_baseline"},
    {"W_EXPECTED_CHANGE_ABSENT", "districts_vs_baseline"},
    {"W_TOTAL_JUMP", "population_change"}, {"I_CITY_TOTAL_CHANGE", "population_change"},
    {"W_GROUP_JUMP", "population_change"}, {"W_SHARE_JUMP", "population_change"},
    {"W_ID_RENAMED", "districts_vs_baseline"},
};

static const char *rule_of(const char *code, const char *fallback) {
    for (size_t i = 0; i < sizeof code_rules / sizeof code_rules[0]; i++)
        if (strcmp(code_rules[i].code, code) == 0) return code_rules[i].rule;
    return fallback;
}

int sg__check_data_status(sg_status st) {
    return st == SG_ERR_DATA || st == SG_ERR_INPUT || st == SG_ERR_CRS || st == SG_ERR_GEOMETRY;
}

static const char *sev_name(sg_finding_sev s) {
    return s == SG_FIND_ERROR ? "error" : s == SG_FIND_WARNING ? "warning" : "info";
}

json_object *sg__check_add_finding(sg_check *c, const char *code, sg_finding_sev sev, const char *rule, const char *id,
                                const char *message) {
    json_object *f = json_object_new_object();
    json_object_object_add(f, "code", sg__check_jstr(code));
    json_object_object_add(f, "severity", sg__check_jstr(sev_name(sev)));
    json_object_object_add(f, "rule", sg__check_jstr(rule));
    json_object_object_add(f, "district_id", id && *id ? sg__check_jstr(id) : NULL);
    json_object_object_add(f, "message", sg__check_jstr(message));
    json_object_array_add(c->findings, f);
    return f;
}

/* ---- the baseline run ---- */
void sg__check_baseline_free(sg_check_baseline *b) {
    free(b->dir);
    if (b->summary) json_object_put(b->summary);
    for (size_t i = 0; i < b->n; i++) free(b->id[i]);
    free(b->id);
    free(b->total);
    free(b->group);
    sg__strmap_destroy(b->index);
    memset(b, 0, sizeof *b);
}

sg_status sg__check_baseline_load(sg_ctx *ctx, const char *dir, sg_check_baseline *b) {
    char *sp = sg__asprintf("%s/summary.json", dir), *lp = sg__asprintf("%s/districts.geojson", dir);
    sg_status st = (!sp || !lp) ? sg__nomem(ctx) : SG_OK;
    struct stat sb;
    if (st == SG_OK) {
        b->summary = json_object_from_file(sp);
        json_object *ind;
        if (!b->summary || !json_object_object_get_ex(b->summary, "indices", &ind))
            st = sg__error(ctx, SG_ERR_USAGE, "E_BASELINE", (sg_where){sp, NULL, -1, NULL, NULL},
                           "the baseline is not a seggap summary.json (no 'indices')");
    }
    if (st == SG_OK && stat(lp, &sb) == 0) {
        sg__gdal_push(ctx);
        GDALDatasetH ds = GDALOpenEx(lp, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        sg__gdal_pop();
        OGRLayerH lyr = ds ? GDALDatasetGetLayer(ds, 0) : NULL;
        OGRFeatureDefnH defn = lyr ? OGR_L_GetLayerDefn(lyr) : NULL;
        int fi = defn ? OGR_FD_GetFieldIndex(defn, "id") : -1, ft = defn ? OGR_FD_GetFieldIndex(defn, "total") : -1;
        int fg = defn ? OGR_FD_GetFieldIndex(defn, "group") : -1; /* absent: group and share changes not judged */
        if (fi < 0 || ft < 0) {
            st = sg__error(ctx, SG_ERR_USAGE, "E_BASELINE", (sg_where){lp, NULL, -1, NULL, NULL},
                           "the baseline's district layer cannot be read (needs fields id and total)%s%s",
                           sg__gdal_msg(ctx)[0] ? ": " : "", sg__gdal_msg(ctx));
        } else {
            GIntBig fc = OGR_L_GetFeatureCount(lyr, 1);
            size_t cap = fc > 0 ? (size_t)fc : 1;
            b->id = calloc(cap, sizeof *b->id);
            b->total = malloc(cap * sizeof *b->total);
            b->group = fg >= 0 ? malloc(cap * sizeof *b->group) : NULL;
            b->index = sg__strmap_create(cap);
            if (!b->id || !b->total || !b->index || (fg >= 0 && !b->group)) st = sg__nomem(ctx);
            OGRFeatureH f;
            while (st == SG_OK && b->n < cap && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
                char *id = sg__strdup(OGR_F_GetFieldAsString(f, fi));
                double t = OGR_F_IsFieldSetAndNotNull(f, ft) ? OGR_F_GetFieldAsDouble(f, ft) : NAN;
                double g = fg >= 0 && OGR_F_IsFieldSetAndNotNull(f, fg) ? OGR_F_GetFieldAsDouble(f, fg) : NAN;
                OGR_F_Destroy(f);
                if (!id) {
                    st = sg__nomem(ctx);
                    break;
                }
                b->id[b->n] = id;
                b->total[b->n] = t;
                if (b->group) b->group[b->n] = g;
                if (sg__strmap_put(b->index, id, b->n, NULL) < 0) st = sg__nomem(ctx);
                b->n++;
            }
            b->has_layer = st == SG_OK;
        }
        if (ds) GDALClose(ds);
    }
    free(sp);
    free(lp);
    return st;
}

/* A value of summary.json by metric name: an index ("dissimilarity" ->
 * indices.dissimilarity.value) or a dotted path from the top
 * ("access.library.gap_ratio", its "value" when it is an object). *found is
 * 0 when absent, 1 when present (the value NaN when null). */
static double metric_value(json_object *summary, const char *metric, int *found) {
    json_object *ind, *o = NULL, *v;
    *found = 0;
    if (!summary) return NAN;
    if (json_object_object_get_ex(summary, "indices", &ind) && json_object_object_get_ex(ind, metric, &o)) {
        /* an index */
    } else {
        o = summary;
        char *path = sg__strdup(metric), *save = NULL;
        for (char *part = path ? strtok_r(path, ".", &save) : NULL; part && o; part = strtok_r(NULL, ".", &save))
            if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, part, &o)) o = NULL;
        free(path);
        if (!o) return NAN;
    }
    if (json_object_is_type(o, json_type_object)) {
        if (!json_object_object_get_ex(o, "value", &v)) return NAN;
        o = v;
    }
    *found = 1;
    if (json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int))
        return json_object_get_double(o);
    if (json_object_is_type(o, json_type_null) || !o) return NAN;
    *found = 0; /* text, list, boolean: not a metric */
    return NAN;
}

const char *sg__check_json_str(json_object *root, const char *a, const char *b, const char *c) {
    json_object *o = root;
    const char *keys[3] = {a, b, c};
    for (int k = 0; k < 3 && keys[k]; k++)
        if (!o || !json_object_object_get_ex(o, keys[k], &o)) return NULL;
    return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

/* Pipeline diagnostics [from, end) of ctx become findings. */
void sg__check_findings_from_diags(sg_check *c, sg_ctx *ctx, size_t from, const char *fallback, const sg_city *city,
                              sg_strmap *city_ids, int errors_only) {
    for (size_t i = from; i < sg_ctx_diag_count(ctx); i++) {
        const sg_diag *d = sg_ctx_diag(ctx, i);
        if (errors_only && d->severity != SG_SEV_ERROR) continue;
        sg_finding_sev sev = d->severity == SG_SEV_ERROR ? SG_FIND_ERROR : SG_FIND_WARNING;
        json_object *f = sg__check_add_finding(c, d->code, sev, rule_of(d->code, fallback), d->id, d->message);
        if (*d->file) json_object_object_add(f, "file", sg__check_jstr(d->file));
        if (*d->layer) json_object_object_add(f, "layer", sg__check_jstr(d->layer));
        if (d->fid >= 0) json_object_object_add(f, "fid", json_object_new_int64(d->fid));
        if (*d->field) json_object_object_add(f, "field", sg__check_jstr(d->field));
        size_t k;
        if (city && city_ids && *d->id && sg__strmap_get(city_ids, d->id, &k) &&
            (strcmp(d->code, "E_GROUP_GT_TOTAL") == 0 || strcmp(d->code, "E_NEGATIVE") == 0)) {
            json_object *v = json_object_new_object();
            json_object_object_add(v, "total", sg__check_jnum(city->total[k]));
            json_object_object_add(v, "group", sg__check_jnum(city->group[k]));
            json_object_object_add(f, "values", v);
        }
    }
}

static void compare_crs(sg_check_state *S, const sg_reader *rd) {
    const char *bid = sg__check_json_str(S->b->summary, "crs", "input", "id");
    const char *bname = sg__check_json_str(S->b->summary, "crs", "input", "name");
    if (!rd->crs.src_name || (!bid && !bname)) return;
    S->crs_compared = 1;
    int same = (bid && rd->crs.src_id) ? strcmp(bid, rd->crs.src_id) == 0
                                        : strcmp(bname ? bname : "", rd->crs.src_name) == 0;
    if (same) return;
    char *msg = sg__asprintf("the CRS of the districts changed: baseline %s (%s), now %s (%s)", bid ? bid : "no id",
                             bname ? bname : "?", rd->crs.src_id ? rd->crs.src_id : "no id", rd->crs.src_name);
    json_object *f = sg__check_add_finding(S->c, "E_CRS_CHANGED", SG_FIND_ERROR, "crs", NULL, msg ? msg : "CRS changed");
    free(msg);
    json_object *v = json_object_new_object();
    json_object_object_add(v, "baseline", sg__check_jstr(bid ? bid : bname));
    json_object_object_add(v, "current", sg__check_jstr(rd->crs.src_id ? rd->crs.src_id : rd->crs.src_name));
    json_object_object_add(v, "baseline_name", sg__check_jstr(bname));
    json_object_object_add(v, "current_name", sg__check_jstr(rd->crs.src_name));
    json_object_object_add(f, "values", v);
}

/* The validation stage: read like sg_analyze does, then compare with the
 * baseline. Returns an error status only for what is no data problem
 * (out of memory, internal). */
sg_status sg__check_validate(sg_ctx *ctx, sg_check_state *S, const sg_options *opts) {
    sg_reader rd;
    sg_city city;
    memset(&rd, 0, sizeof rd);
    memset(&city, 0, sizeof city);
    size_t d0 = sg_ctx_diag_count(ctx);
    sg_status st = sg__read_city(ctx, opts, &rd, &city);
    if (st != SG_OK && !sg__check_data_status(st)) goto done; /* usage, out of memory, cancelled: no data problem */
    st = SG_OK;
    S->read_rows = city.n > 0;
    sg_strmap *ids = sg__strmap_create(city.n ? city.n : 1);
    if (!ids) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t i = 0; i < city.n; i++)
        if (city.id[i] && *city.id[i] && sg__strmap_put(ids, city.id[i], i, NULL) < 0) st = sg__nomem(ctx);
    sg__check_findings_from_diags(S->c, ctx, d0, "input", &city, ids, 0);
    if (st == SG_OK && S->b->summary) compare_crs(S, &rd);
    if (st == SG_OK && S->read_rows && S->b->has_layer) sg__check_compare_districts(ctx, S, &rd, &city, ids);
    sg__strmap_destroy(ids);
done:
    sg__city_free(ctx, &city);
    sg__reader_free(&rd);
    return st;
}

/* ---- thresholds ---- */
static json_object *rule_result(const char *metric, const char *rule, double limit) {
    json_object *r = json_object_new_object();
    char name[512];
    snprintf(name, sizeof name, "%s.%s", metric, rule);
    json_object_object_add(r, "name", sg__check_jstr(name));
    json_object_object_add(r, "metric", sg__check_jstr(metric));
    json_object_object_add(r, "rule", sg__check_jstr(rule));
    json_object_object_add(r, "limit", sg__check_jnum(limit));
    return r;
}

static void set_status(json_object *r, const char *status, const char *code, const char *message) {
    json_object_object_add(r, "status", sg__check_jstr(status));
    if (code) json_object_object_add(r, "code", sg__check_jstr(code));
    json_object_object_add(r, "message", sg__check_jstr(message));
}

void sg__check_evaluate(sg_check_state *S, json_object *summary, const sg_compare *cmp, const char *skip_reason) {
    const sg_config *cfg = S->cfg;
    char msg[768];
    for (size_t i = 0; i < cfg->nthresholds; i++) {
        const sg_threshold *t = &cfg->thresholds[i];
        int fc = 0, fb = 0;
        double cur = skip_reason ? NAN : metric_value(summary, t->metric, &fc);
        double base = metric_value(S->b->summary, t->metric, &fb);
        double dummy, p = NAN;
        int tested = cmp && sg_compare_index(cmp, t->metric, &dummy, &p) && isfinite(p);
        double alpha = isnan(t->alpha) ? cfg->alpha : t->alpha;
        const char *names[6] = {"max", "min", "max_increase", "max_decrease", "max_increase_rel", "max_decrease_rel"};
        const double limits[6] = {t->max, t->min, t->max_increase, t->max_decrease, t->max_increase_rel,
                                  t->max_decrease_rel};
        for (int k = 0; k < 6; k++) {
            if (isnan(limits[k])) continue;
            json_object *r = rule_result(t->metric, names[k], limits[k]);
            json_object_array_add(S->c->thresholds, r);
            json_object_object_add(r, "baseline", sg__check_jnum(base));
            json_object_object_add(r, "current", sg__check_jnum(cur));
            if (skip_reason) {
                set_status(r, "skipped", NULL, skip_reason);
                continue;
            }
            if (!fc || !isfinite(cur)) {
                const char *near = fc || strchr(t->metric, '.') ? NULL : sg__check_metric_suggest(summary, t->metric);
                snprintf(msg, sizeof msg, "metric not computed: %s is %s in this run's summary.json%s%s%s", t->metric,
                         fc ? "null" : "absent", near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
                set_status(r, "fail", "T_NOT_COMPUTED", msg);
                continue;
            }
            if (k == 0 || k == 1) {
                int bad = k == 0 ? cur > limits[k] : cur < limits[k];
                snprintf(msg, sizeof msg, "%s = %.6g is %s the %s %.6g", t->metric, cur,
                         bad ? (k == 0 ? "above" : "below") : (k == 0 ? "at or below" : "at or above"),
                         k == 0 ? "maximum" : "minimum", limits[k]);
                set_status(r, bad ? "fail" : "pass", bad ? (k == 0 ? "T_MAX" : "T_MIN") : NULL, msg);
                continue;
            }
            if (!S->b->summary) {
                set_status(r, "skipped", NULL, "no baseline yet: the change is judged from the next release on");
                continue;
            }
            if (!fb || !isfinite(base)) {
                snprintf(msg, sizeof msg, "%s is not in the baseline: the change is judged once the baseline has it",
                         t->metric);
                set_status(r, "skipped", NULL, msg);
                continue;
            }
            double change = cur - base;
            json_object_object_add(r, "change", sg__check_jnum(change));
            int relative = k >= 4;
            double relch = base != 0 ? change / fabs(base) : change == 0 ? 0 : change > 0 ? INFINITY : -INFINITY;
            if (relative) json_object_object_add(r, "relative_change", sg__check_jnum(relch));
            if (tested) json_object_object_add(r, "p_value", sg__check_jnum(p));
            json_object_object_add(r, "significant_only", json_object_new_boolean(t->significant));
            if (t->significant) json_object_object_add(r, "alpha", sg__check_jnum(alpha));
            int up = k == 2 || k == 4;
            double size = relative ? relch : change;
            int over = up ? size > limits[k] : -size > limits[k];
            const char *dir = up ? "increase" : "decrease";
            int n = relative ? snprintf(msg, sizeof msg,
                                        "%s changed by %+.2f %% (%.6g -> %.6g): the relative %s is %s the limit %.2f %%",
                                        t->metric, 100 * relch, base, cur, dir, over ? "above" : "within",
                                        100 * limits[k])
                             : snprintf(msg, sizeof msg, "%s changed by %+.6g (%.6g -> %.6g): the %s is %s the limit %.6g",
                                        t->metric, change, base, cur, dir, over ? "above" : "within", limits[k]);
            if (n < 0 || (size_t)n >= sizeof msg) n = (int)strlen(msg);
            if (tested) snprintf(msg + n, sizeof msg - (size_t)n, " (p = %.4g)", p);
            if (over && t->significant && tested && p > alpha) {
                n = (int)strlen(msg);
                snprintf(msg + n, sizeof msg - (size_t)n, ", not significant at alpha = %g: passes", alpha);
                over = 0;
            } else if (over && t->significant && !tested) {
                n = (int)strlen(msg);
                snprintf(msg + n, sizeof msg - (size_t)n,
                         "; no p-value for this metric (only aspatial indices are tested): judged on the change alone");
            }
            static const char *const codes[6] = {NULL, NULL, "T_MAX_INCREASE", "T_MAX_DECREASE", "T_MAX_INCREASE_REL",
                                                 "T_MAX_DECREASE_REL"};
            set_status(r, over ? "fail" : "pass", over ? codes[k] : NULL, msg);
        }
    }
}

static const char *rule_status(json_object *findings, const char *rule, int ran, size_t *ne, size_t *nw) {
    *ne = *nw = 0;
    for (size_t i = 0; i < json_object_array_length(findings); i++) {
        json_object *f = json_object_array_get_idx(findings, i), *r, *s;
        json_object_object_get_ex(f, "rule", &r);
        json_object_object_get_ex(f, "severity", &s);
        if (strcmp(json_object_get_string(r), rule) != 0) continue;
        if (strcmp(json_object_get_string(s), "error") == 0) (*ne)++;
        else if (strcmp(json_object_get_string(s), "warning") == 0) (*nw)++;
    }
    return *ne ? "fail" : ran ? "pass" : "skipped";
}

json_object *sg__check_rules_json(const sg_check_state *S, int first, size_t *nerrors) {
    json_object *rl = json_object_new_array();
    *nerrors = 0;
    for (size_t r = 0; r < N_RULES; r++) {
        int ran = 1;
        const char *rn = rules[r].name;
        if (!S->read_rows && (strcmp(rn, "numbers") == 0 || strcmp(rn, "ids") == 0 ||
                              strcmp(rn, "group_le_total") == 0 || strcmp(rn, "geometry") == 0 ||
                              strcmp(rn, "joins") == 0))
            ran = 0;
        if (strcmp(rn, "crs") == 0 && !S->crs_compared && !first) ran = 0;
        if ((strcmp(rn, "districts_vs_baseline") == 0 || strcmp(rn, "population_change") == 0) && !S->ids_compared)
            ran = 0;
        if (strcmp(rn, "indices") == 0 && !S->analyzed) ran = 0;
        size_t ne, nw;
        const char *status = rule_status(S->c->findings, rn, ran, &ne, &nw);
        *nerrors += ne;
        json_object *ro = json_object_new_object();
        json_object_object_add(ro, "rule", sg__check_jstr(rn));
        json_object_object_add(ro, "description", sg__check_jstr(rules[r].description));
        json_object_object_add(ro, "status", sg__check_jstr(status));
        json_object_object_add(ro, "errors", json_object_new_int64((int64_t)ne));
        json_object_object_add(ro, "warnings", json_object_new_int64((int64_t)nw));
        int by_id = strcmp(rn, "districts_vs_baseline") == 0 || strcmp(rn, "population_change") == 0;
        if (!ran && !ne)
            json_object_object_add(ro, "note",
                                   sg__check_jstr(first && strcmp(rn, "indices") != 0 ? "no baseline to compare with yet"
                                                  : by_id && S->read_rows && !S->b->has_layer
                                                      ? "the baseline has no districts.geojson: districts not compared"
                                                      : "not checked: an earlier stage failed"));
        json_object_array_add(rl, ro);
    }
    return rl;
}
