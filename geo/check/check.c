/* `seggap check`: validate a new release, recompute, compare with the
 * baseline run and judge the thresholds of the config.
 *
 * 1. Validation, before any computation: the reader's own diagnostics
 *    (fields, numbers, ids, group <= total, geometry, CRS, joins) become
 *    findings, plus the comparisons with the baseline: CRS, districts by id
 *    (missing / new unless listed), per-district total change beyond
 *    max_total_change, the city total change. An error finding fails the
 *    check with verdict 3 (nothing is computed).
 * 2. sg_analyze on the release, sg_compare_run against the baseline (with
 *    check: permutations, p-values of the changes).
 * 3. Thresholds on summary.json values (an index name, or a dotted path such
 *    as access.library.gap_ratio) and their changes. A breach is verdict 1;
 *    a metric the run did not compute is a breach too (T_NOT_COMPUTED).
 * check.json and check.xml are written in every case; --update-baseline
 * copies the run into the baseline only when the check passed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>

#include "check/check.h"

#define SG_TEXT_ERRORS 30   /* errors listed on stdout (all are in check.json) */
#define SG_TEXT_WARNINGS 15 /* warnings listed on stdout */

struct sg_check {
    json_object *root;     /* check.json */
    json_object *findings; /* borrowed from root */
    json_object *thresholds;
    char *json, *text, *json_path, *junit_path;
    int verdict;
};

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
    {"population_change", "no district's total changes by more than max_total_change"},
    {"indices", "the indices can be computed"},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static const struct {
    const char *code, *rule;
} code_rules[] = {
    {"E_MISSING_FIELD", "fields"}, {"W_FIELD_AMBIGUOUS", "fields"},
    {"E_NOT_NUMBER", "numbers"}, {"E_NEGATIVE", "numbers"}, {"E_MISSING_VALUE", "numbers"},
    {"E_SHARE_RANGE", "numbers"}, {"W_NO_DATA", "numbers"}, {"W_ZERO_TOTAL", "numbers"},
    {"E_NO_ID", "ids"}, {"E_DUPLICATE_ID", "ids"}, {"E_EMPTY_KEY", "ids"}, {"E_DUPLICATE_KEY", "ids"},
    {"E_GROUP_GT_TOTAL", "group_le_total"}, {"E_GROUPS_GT_TOTAL", "group_le_total"},
    {"E_NULL_GEOMETRY", "geometry"}, {"E_EMPTY_GEOMETRY", "geometry"}, {"E_NOT_POLYGON", "geometry"},
    {"E_BAD_GEOMETRY", "geometry"}, {"E_BAD_COORDINATE", "geometry"}, {"E_INVALID_GEOMETRY", "geometry"},
    {"W_GEOMETRY_REPAIRED", "geometry"}, {"E_GEOS", "geometry"},
    {"E_CRS", "crs"}, {"E_NO_CRS", "crs"}, {"E_CRS_CHANGED", "crs"}, {"W_CRS_OVERRIDE", "crs"},
    {"E_CRS_EXTENT", "crs"}, {"E_TRANSFORM", "crs"}, {"W_MERCATOR", "crs"},
    {"W_ROW_WITHOUT_DISTRICT", "joins"}, {"W_DISTRICT_WITHOUT_ROW", "joins"}, {"W_KEY_LEADING_ZEROS", "joins"},
    {"W_TABLE_FIRST_LAYER", "joins"},
    {"E_MISSING_DISTRICT", "districts_vs_baseline"}, {"E_NEW_DISTRICT", "districts_vs_baseline"},
    {"I_EXPECTED_MISSING_DISTRICT", "districts_vs_baseline"}, {"I_EXPECTED_NEW_DISTRICT", "districts_vs_baseline"},
    {"W_EXPECTED_CHANGE_ABSENT", "districts_vs_baseline"},
    {"W_TOTAL_JUMP", "population_change"}, {"I_CITY_TOTAL_CHANGE", "population_change"},
};

static const char *rule_of(const char *code, const char *fallback) {
    for (size_t i = 0; i < sizeof code_rules / sizeof code_rules[0]; i++)
        if (strcmp(code_rules[i].code, code) == 0) return code_rules[i].rule;
    return fallback;
}

/* A status that the data explains (a finding), not a usage, output or
 * internal problem (which stops the check). */
static int data_status(sg_status st) {
    return st == SG_ERR_DATA || st == SG_ERR_INPUT || st == SG_ERR_CRS || st == SG_ERR_GEOMETRY;
}

static const char *sev_name(sg_finding_sev s) {
    return s == SG_FIND_ERROR ? "error" : s == SG_FIND_WARNING ? "warning" : "info";
}

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *add_finding(sg_check *c, const char *code, sg_finding_sev sev, const char *rule, const char *id,
                                const char *message) {
    json_object *f = json_object_new_object();
    json_object_object_add(f, "code", jstr(code));
    json_object_object_add(f, "severity", jstr(sev_name(sev)));
    json_object_object_add(f, "rule", jstr(rule));
    json_object_object_add(f, "district_id", id && *id ? jstr(id) : NULL);
    json_object_object_add(f, "message", jstr(message));
    json_object_array_add(c->findings, f);
    return f;
}

/* ---- the baseline run ---- */
typedef struct baseline {
    char *dir;
    json_object *summary;
    int has_layer;
    size_t n;
    char **id;
    double *total; /* NaN when null */
    sg_strmap *index;
} baseline;

static void baseline_free(baseline *b) {
    free(b->dir);
    if (b->summary) json_object_put(b->summary);
    for (size_t i = 0; i < b->n; i++) free(b->id[i]);
    free(b->id);
    free(b->total);
    sg__strmap_destroy(b->index);
    memset(b, 0, sizeof *b);
}

static sg_status baseline_load(sg_ctx *ctx, const char *dir, baseline *b) {
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
        if (fi < 0 || ft < 0) {
            st = sg__error(ctx, SG_ERR_USAGE, "E_BASELINE", (sg_where){lp, NULL, -1, NULL, NULL},
                           "the baseline's district layer cannot be read (needs fields id and total)%s%s",
                           sg__gdal_msg(ctx)[0] ? ": " : "", sg__gdal_msg(ctx));
        } else {
            GIntBig fc = OGR_L_GetFeatureCount(lyr, 1);
            size_t cap = fc > 0 ? (size_t)fc : 1;
            b->id = calloc(cap, sizeof *b->id);
            b->total = malloc(cap * sizeof *b->total);
            b->index = sg__strmap_create(cap);
            if (!b->id || !b->total || !b->index) st = sg__nomem(ctx);
            OGRFeatureH f;
            while (st == SG_OK && b->n < cap && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
                char *id = sg__strdup(OGR_F_GetFieldAsString(f, fi));
                double t = OGR_F_IsFieldSetAndNotNull(f, ft) ? OGR_F_GetFieldAsDouble(f, ft) : NAN;
                OGR_F_Destroy(f);
                if (!id) {
                    st = sg__nomem(ctx);
                    break;
                }
                b->id[b->n] = id;
                b->total[b->n] = t;
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

static const char *json_path_str(json_object *root, const char *a, const char *b, const char *c) {
    json_object *o = root;
    const char *keys[3] = {a, b, c};
    for (int k = 0; k < 3 && keys[k]; k++)
        if (!o || !json_object_object_get_ex(o, keys[k], &o)) return NULL;
    return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static int in_list(const sg_strlist *l, const char *id) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], id) == 0) return 1;
    return 0;
}

/* Pipeline diagnostics [from, end) of ctx become findings. */
static void diags_to_findings(sg_check *c, sg_ctx *ctx, size_t from, const char *fallback, const sg_city *city,
                              sg_strmap *city_ids, int errors_only) {
    for (size_t i = from; i < sg_ctx_diag_count(ctx); i++) {
        const sg_diag *d = sg_ctx_diag(ctx, i);
        if (errors_only && d->severity != SG_SEV_ERROR) continue;
        sg_finding_sev sev = d->severity == SG_SEV_ERROR ? SG_FIND_ERROR : SG_FIND_WARNING;
        json_object *f = add_finding(c, d->code, sev, rule_of(d->code, fallback), d->id, d->message);
        if (*d->file) json_object_object_add(f, "file", jstr(d->file));
        if (*d->layer) json_object_object_add(f, "layer", jstr(d->layer));
        if (d->fid >= 0) json_object_object_add(f, "fid", json_object_new_int64(d->fid));
        if (*d->field) json_object_object_add(f, "field", jstr(d->field));
        size_t k;
        if (city && city_ids && *d->id && sg__strmap_get(city_ids, d->id, &k) &&
            (strcmp(d->code, "E_GROUP_GT_TOTAL") == 0 || strcmp(d->code, "E_NEGATIVE") == 0)) {
            json_object *v = json_object_new_object();
            json_object_object_add(v, "total", jnum(city->total[k]));
            json_object_object_add(v, "group", jnum(city->group[k]));
            json_object_object_add(f, "values", v);
        }
    }
}

typedef struct check_state {
    sg_check *c;
    const sg_config *cfg;
    baseline *b;
    json_object *population;
    int read_rows;    /* the features were read (the row-level rules ran) */
    int crs_compared;
    int ids_compared;
    int analyzed;
} check_state;

static void compare_crs(check_state *S, const sg_reader *rd) {
    const char *bid = json_path_str(S->b->summary, "crs", "input", "id");
    const char *bname = json_path_str(S->b->summary, "crs", "input", "name");
    if (!rd->crs.src_name || (!bid && !bname)) return;
    S->crs_compared = 1;
    int same = (bid && rd->crs.src_id) ? strcmp(bid, rd->crs.src_id) == 0
                                        : strcmp(bname ? bname : "", rd->crs.src_name) == 0;
    if (same) return;
    char *msg = sg__asprintf("the CRS of the districts changed: baseline %s (%s), now %s (%s)", bid ? bid : "no id",
                             bname ? bname : "?", rd->crs.src_id ? rd->crs.src_id : "no id", rd->crs.src_name);
    json_object *f = add_finding(S->c, "E_CRS_CHANGED", SG_FIND_ERROR, "crs", NULL, msg ? msg : "CRS changed");
    free(msg);
    json_object *v = json_object_new_object();
    json_object_object_add(v, "baseline", jstr(bid ? bid : bname));
    json_object_object_add(v, "current", jstr(rd->crs.src_id ? rd->crs.src_id : rd->crs.src_name));
    json_object_object_add(v, "baseline_name", jstr(bname));
    json_object_object_add(v, "current_name", jstr(rd->crs.src_name));
    json_object_object_add(f, "values", v);
}

static void compare_districts(sg_ctx *ctx, check_state *S, const sg_city *city, sg_strmap *city_ids) {
    const baseline *b = S->b;
    const sg_config *cfg = S->cfg;
    S->ids_compared = 1;
    char buf[512];
    /* Baseline districts that vanished. */
    for (size_t i = 0; i < b->n; i++) {
        if (sg__strmap_get(city_ids, b->id[i], NULL)) {
            if (in_list(&cfg->expected_missing, b->id[i])) {
                snprintf(buf, sizeof buf, "district '%s' is listed in expected_missing_districts but is present",
                         b->id[i]);
                add_finding(S->c, "W_EXPECTED_CHANGE_ABSENT", SG_FIND_WARNING, "districts_vs_baseline", b->id[i], buf);
            }
            continue;
        }
        int expected = in_list(&cfg->expected_missing, b->id[i]);
        snprintf(buf, sizeof buf, "baseline district '%s' is missing from the new release%s", b->id[i],
                 expected ? " (listed in expected_missing_districts)" : "; list it in check: expected_missing_districts "
                                                                        "if it was merged or removed on purpose");
        json_object *f = add_finding(S->c, expected ? "I_EXPECTED_MISSING_DISTRICT" : "E_MISSING_DISTRICT",
                                     expected ? SG_FIND_INFO : SG_FIND_ERROR, "districts_vs_baseline", b->id[i], buf);
        json_object *v = json_object_new_object();
        json_object_object_add(v, "baseline_total", jnum(b->total[i]));
        json_object_object_add(f, "values", v);
    }
    /* New districts, and the change of each total. */
    sg_ksum tb = {0, 0}, tc = {0, 0};
    size_t jumps = 0;
    for (size_t i = 0; i < city->n; i++) {
        const char *id = city->id[i];
        if (!id || !*id) continue;
        size_t k;
        if (isfinite(city->total[i])) sg__ksum_add(&tc, city->total[i]);
        if (!sg__strmap_get(b->index, id, &k)) {
            int expected = in_list(&cfg->expected_new, id);
            snprintf(buf, sizeof buf, "district '%s' is not in the baseline%s", id,
                     expected ? " (listed in expected_new_districts)"
                              : "; list it in check: expected_new_districts if it is new on purpose");
            json_object *f = add_finding(S->c, expected ? "I_EXPECTED_NEW_DISTRICT" : "E_NEW_DISTRICT",
                                         expected ? SG_FIND_INFO : SG_FIND_ERROR, "districts_vs_baseline", id, buf);
            json_object *v = json_object_new_object();
            json_object_object_add(v, "current_total", jnum(city->total[i]));
            json_object_object_add(f, "values", v);
            continue;
        }
        if (in_list(&cfg->expected_new, id)) {
            snprintf(buf, sizeof buf, "district '%s' is listed in expected_new_districts but was in the baseline", id);
            add_finding(S->c, "W_EXPECTED_CHANGE_ABSENT", SG_FIND_WARNING, "districts_vs_baseline", id, buf);
        }
        double old = b->total[k], now = city->total[i];
        if (!isfinite(old) || !isfinite(now)) continue;
        double rel = old > 0 ? (now - old) / old : (now > 0 ? INFINITY : 0);
        if (fabs(rel) <= cfg->max_total_change) continue;
        jumps++;
        if (isfinite(rel))
            snprintf(buf, sizeof buf, "total population changed by %+.1f %% (%.0f -> %.0f), more than "
                     "max_total_change %.0f %%", 100 * rel, old, now, 100 * cfg->max_total_change);
        else
            snprintf(buf, sizeof buf, "total population went from 0 to %.0f", now);
        json_object *f = add_finding(S->c, "W_TOTAL_JUMP", SG_FIND_WARNING, "population_change", id, buf);
        json_object *v = json_object_new_object();
        json_object_object_add(v, "baseline_total", jnum(old));
        json_object_object_add(v, "current_total", jnum(now));
        json_object_object_add(v, "change", jnum(now - old));
        json_object_object_add(v, "relative_change", jnum(rel));
        json_object_object_add(v, "max_total_change", jnum(cfg->max_total_change));
        json_object_object_add(f, "values", v);
    }
    for (size_t i = 0; i < b->n; i++)
        if (isfinite(b->total[i])) sg__ksum_add(&tb, b->total[i]);
    double T0 = sg__ksum_get(&tb), T1 = sg__ksum_get(&tc);
    double rel = T0 > 0 ? (T1 - T0) / T0 : NAN;
    snprintf(buf, sizeof buf, "city total population %.0f -> %.0f (%+.0f, %+.2f %%)", T0, T1, T1 - T0,
             isfinite(rel) ? 100 * rel : 0.0);
    json_object *f = add_finding(S->c, "I_CITY_TOTAL_CHANGE", SG_FIND_INFO, "population_change", NULL, buf);
    json_object *v = json_object_new_object();
    json_object_object_add(v, "baseline_total", jnum(T0));
    json_object_object_add(v, "current_total", jnum(T1));
    json_object_object_add(v, "change", jnum(T1 - T0));
    json_object_object_add(v, "relative_change", jnum(rel));
    json_object_object_add(f, "values", v);
    json_object *p = json_object_new_object();
    json_object_object_add(p, "baseline_total", jnum(T0));
    json_object_object_add(p, "current_total", jnum(T1));
    json_object_object_add(p, "change", jnum(T1 - T0));
    json_object_object_add(p, "relative_change", jnum(rel));
    json_object_object_add(p, "districts_over_max_total_change", json_object_new_int64((int64_t)jumps));
    json_object_object_add(p, "note", jstr("sums over every district with a known total, in each release"));
    json_object_object_add(S->c->root, "population", p);
    S->population = p;
    (void)ctx;
}

/* The validation stage: read like sg_analyze does, then compare with the
 * baseline. Returns an error status only for what is no data problem
 * (out of memory, internal). */
static sg_status validate(sg_ctx *ctx, check_state *S, const sg_options *opts) {
    sg_reader rd;
    sg_city city;
    memset(&rd, 0, sizeof rd);
    memset(&city, 0, sizeof city);
    size_t d0 = sg_ctx_diag_count(ctx);
    sg_status st = sg__read_city(ctx, opts, &rd, &city);
    if (st != SG_OK && !data_status(st)) goto done; /* usage, out of memory, cancelled: no data problem */
    st = SG_OK;
    S->read_rows = city.n > 0;
    sg_strmap *ids = sg__strmap_create(city.n ? city.n : 1);
    if (!ids) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t i = 0; i < city.n; i++)
        if (city.id[i] && *city.id[i] && sg__strmap_put(ids, city.id[i], i, NULL) < 0) st = sg__nomem(ctx);
    diags_to_findings(S->c, ctx, d0, "input", &city, ids, 0);
    if (st == SG_OK && S->b->summary) compare_crs(S, &rd);
    if (st == SG_OK && S->read_rows && S->b->has_layer) compare_districts(ctx, S, &city, ids);
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
    json_object_object_add(r, "name", jstr(name));
    json_object_object_add(r, "metric", jstr(metric));
    json_object_object_add(r, "rule", jstr(rule));
    json_object_object_add(r, "limit", jnum(limit));
    return r;
}

static void set_status(json_object *r, const char *status, const char *code, const char *message) {
    json_object_object_add(r, "status", jstr(status));
    if (code) json_object_object_add(r, "code", jstr(code));
    json_object_object_add(r, "message", jstr(message));
}

static void evaluate(check_state *S, json_object *summary, const sg_compare *cmp, const char *skip_reason) {
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
        const char *names[4] = {"max", "min", "max_increase", "max_decrease"};
        const double limits[4] = {t->max, t->min, t->max_increase, t->max_decrease};
        for (int k = 0; k < 4; k++) {
            if (isnan(limits[k])) continue;
            json_object *r = rule_result(t->metric, names[k], limits[k]);
            json_object_array_add(S->c->thresholds, r);
            json_object_object_add(r, "baseline", jnum(base));
            json_object_object_add(r, "current", jnum(cur));
            if (skip_reason) {
                set_status(r, "skipped", NULL, skip_reason);
                continue;
            }
            if (!fc || !isfinite(cur)) {
                snprintf(msg, sizeof msg, "metric not computed: %s is %s in this run's summary.json", t->metric,
                         fc ? "null" : "absent");
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
            json_object_object_add(r, "change", jnum(change));
            if (tested) json_object_object_add(r, "p_value", jnum(p));
            json_object_object_add(r, "significant_only", json_object_new_boolean(t->significant));
            if (t->significant) json_object_object_add(r, "alpha", jnum(alpha));
            int over = k == 2 ? change > limits[k] : -change > limits[k];
            const char *dir = k == 2 ? "increase" : "decrease";
            int n = snprintf(msg, sizeof msg, "%s changed by %+.6g (%.6g -> %.6g): the %s is %s the limit %.6g",
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
            set_status(r, over ? "fail" : "pass", over ? (k == 2 ? "T_MAX_INCREASE" : "T_MAX_DECREASE") : NULL, msg);
        }
    }
}

/* ---- outputs ---- */
static sg_status write_text(sg_ctx *ctx, const char *path, const char *text) {
    return sg__output_write(ctx, path, text, strlen(text));
}

static sg_status copy_file(sg_ctx *ctx, const char *from, const char *to) {
    FILE *f = fopen(from, "rb");
    if (!f)
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL}, "cannot read: %s",
                         strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    size_t r;
    while (m && (r = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, r, m);
    int bad = ferror(f);
    fclose(f);
    if (!m) return sg__nomem(ctx);
    fclose(m);
    sg_status st = bad || !buf ? sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL},
                                           "read error")
                               : SG_OK;
    if (st == SG_OK && strlen(buf) != len)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL}, "not a text file");
    if (st == SG_OK) st = write_text(ctx, to, buf);
    free(buf);
    return st;
}

static sg_status update_baseline(sg_ctx *ctx, const char *out_dir, const char *dir) {
    sg_status st = sg__ensure_dir(ctx, dir);
    static const char *const files[] = {"summary.json", "districts.geojson"};
    for (int k = 0; st == SG_OK && k < 2; k++) {
        char *from = sg__asprintf("%s/%s", out_dir, files[k]), *to = sg__asprintf("%s/%s", dir, files[k]);
        st = from && to ? copy_file(ctx, from, to) : sg__nomem(ctx);
        free(from);
        free(to);
    }
    return st;
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

static char *text_report(const sg_check *c, const char *config, const char *bdir, int first, const char *out_dir) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "seggap %s check: %s\n", SG_VERSION_STRING, config);
    fprintf(m, "  baseline    %s%s\n", bdir, first ? " (none yet: this run becomes the first)" : "");
    json_object *val, *rl;
    json_object_object_get_ex(c->root, "validation", &val);
    json_object_object_get_ex(val, "rules", &rl);
    size_t nerr = 0, nwarn = 0, nfail = 0;
    for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->findings, i), "severity", &s);
        if (strcmp(json_object_get_string(s), "error") == 0) nerr++;
        else if (strcmp(json_object_get_string(s), "warning") == 0) nwarn++;
    }
    for (size_t i = 0; i < json_object_array_length(rl); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(rl, i), "status", &s);
        if (strcmp(json_object_get_string(s), "fail") == 0) nfail++;
    }
    fprintf(m, "  validation  %s: %zu rules, %zu failed; %zu errors, %zu warnings\n", nerr ? "FAIL" : "pass",
            json_object_array_length(rl), nfail, nerr, nwarn);
    size_t shown_e = 0, shown_w = 0;
    static const char *const order[] = {"error", "warning", "info"}; /* what to act on first */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
            json_object *f = json_object_array_get_idx(c->findings, i), *code, *sev, *msg;
            json_object_object_get_ex(f, "code", &code);
            json_object_object_get_ex(f, "severity", &sev);
            json_object_object_get_ex(f, "message", &msg);
            const char *s = json_object_get_string(sev);
            if (strcmp(s, order[pass]) != 0) continue;
            int is_e = pass == 0, is_w = pass == 1;
            if ((is_e && shown_e++ >= SG_TEXT_ERRORS) || (is_w && shown_w++ >= SG_TEXT_WARNINGS)) continue;
            fprintf(m, "    %-7s %-26s %s\n", s, json_object_get_string(code), json_object_get_string(msg));
        }
    if (shown_e > SG_TEXT_ERRORS || shown_w > SG_TEXT_WARNINGS)
        fprintf(m, "    ... %zu more (every finding is in check.json)\n",
                (shown_e > SG_TEXT_ERRORS ? shown_e - SG_TEXT_ERRORS : 0) +
                    (shown_w > SG_TEXT_WARNINGS ? shown_w - SG_TEXT_WARNINGS : 0));
    size_t np = 0, nf = 0, ns = 0, nt = json_object_array_length(c->thresholds);
    for (size_t i = 0; i < nt; i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->thresholds, i), "status", &s);
        const char *st = json_object_get_string(s);
        if (strcmp(st, "pass") == 0) np++;
        else if (strcmp(st, "fail") == 0) nf++;
        else ns++;
    }
    fprintf(m, "  thresholds  %zu: %zu pass, %zu fail, %zu skipped\n", nt, np, nf, ns);
    for (size_t i = 0; i < nt; i++) {
        json_object *r = json_object_array_get_idx(c->thresholds, i), *s, *name, *msg, *code;
        json_object_object_get_ex(r, "status", &s);
        json_object_object_get_ex(r, "name", &name);
        json_object_object_get_ex(r, "message", &msg);
        const char *st = json_object_get_string(s);
        fprintf(m, "    %-7s %-34s %s", strcmp(st, "fail") == 0 ? "FAIL" : st, json_object_get_string(name),
                json_object_get_string(msg));
        if (json_object_object_get_ex(r, "code", &code)) fprintf(m, " [%s]", json_object_get_string(code));
        fputc('\n', m);
    }
    static const char *const verdicts[] = {"PASS", "THRESHOLD BREACHED", "", "DATA VALIDATION FAILED"};
    fprintf(m, "  result      %s (exit %d)\n", verdicts[c->verdict], c->verdict);
    fprintf(m, "  wrote       %s/check.json\n              %s/check.xml\n", out_dir, out_dir);
    fclose(m);
    return buf;
}

/* ---- the run ---- */
sg_status sg_check_run(sg_ctx *ctx, const sg_check_options *co, sg_check **out) {
    *out = NULL;
    GDALAllRegister();
    if (!co->config)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "seggap check needs --config FILE");
    sg_config cfg;
    sg_status st = sg__config_load(ctx, co->config, &cfg);
    if (st != SG_OK) return st;
    sg_options *opts = NULL;
    sg_check *c = NULL;
    sg_run *run = NULL;
    sg_compare *cmp = NULL;
    json_object *summary = NULL;
    baseline b;
    memset(&b, 0, sizeof b);
    int first = 0;
    char **all = calloc((size_t)cfg.argc + (size_t)co->argc + 1, sizeof *all);
    if (!all) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (int i = 0; i < cfg.argc; i++) all[i] = cfg.argv[i];
    for (int i = 0; i < co->argc; i++) all[cfg.argc + i] = co->argv[i];
    st = sg__options_parse_layered(ctx, cfg.argc + co->argc, all, cfg.argc, &opts, NULL);
    free(all);
    if (st != SG_OK) goto done;
    if (!opts) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--help is not an option of check here");
        goto done;
    }
    if (!(opts->layers & SG_LAYER_DISTRICTS)) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){cfg.path, NULL, -1, NULL, NULL},
                       "seggap check compares districts.geojson with the baseline's: 'layers' must include districts");
        goto done;
    }
    /* The baseline: --baseline, else check: baseline, else the analyze key. */
    const char *bdir = co->baseline ? co->baseline : cfg.baseline ? cfg.baseline : opts->baseline;
    if (!bdir) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){cfg.path, NULL, -1, NULL, NULL},
                       "no baseline: give check: baseline: DIR in the config or --baseline DIR");
        goto done;
    }
    b.dir = sg__strdup(bdir);
    free(opts->baseline); /* the check compares itself, after validating */
    opts->baseline = NULL;
    if (!b.dir) {
        st = sg__nomem(ctx);
        goto done;
    }
    {
        struct stat sb;
        char *sp = sg__asprintf("%s/summary.json", b.dir);
        first = sp && stat(sp, &sb) != 0;
        free(sp);
    }
    if (first && !co->update_baseline) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_BASELINE", (sg_where){b.dir, NULL, -1, NULL, NULL},
                       "no baseline run here (summary.json): run once with --update-baseline to make this "
                       "release the first baseline");
        goto done;
    }
    if (!first && (st = baseline_load(ctx, b.dir, &b)) != SG_OK) goto done;
    if ((st = sg__ensure_dir(ctx, opts->out_dir)) != SG_OK) goto done;

    c = calloc(1, sizeof *c);
    if (!c) {
        st = sg__nomem(ctx);
        goto done;
    }
    c->root = json_object_new_object();
    c->findings = json_object_new_array();
    c->thresholds = json_object_new_array();
    c->json_path = sg__asprintf("%s/check.json", opts->out_dir);
    c->junit_path = sg__asprintf("%s/check.xml", opts->out_dir);
    if (!c->root || !c->findings || !c->thresholds || !c->json_path || !c->junit_path) {
        st = sg__nomem(ctx);
        goto done;
    }
    check_state S = {c, &cfg, &b, NULL, 0, 0, 0, 0};
    json_object *tool = json_object_new_object();
    json_object_object_add(tool, "name", jstr("seggap"));
    json_object_object_add(tool, "version", jstr(SG_VERSION_STRING));
    json_object_object_add(c->root, "tool", tool);
    json_object_object_add(c->root, "command", jstr("check"));
    json_object_object_add(c->root, "config", jstr(cfg.path));
    /* The order of check.json's members; filled in below. */
    static const char *const order[] = {"baseline", "verdict", "exit_code", "validation", "population",
                                        "thresholds", "outputs", "baseline_updated"};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) json_object_object_add(c->root, order[k], NULL);

    /* 1. Validation. */
    if ((st = validate(ctx, &S, opts)) != SG_OK) goto done;
    sg_ctx_clear(ctx); /* now findings; the analysis reports its own */
    int invalid = 0;
    for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->findings, i), "severity", &s);
        const char *sv = json_object_get_string(s);
        if (strcmp(sv, "error") == 0 || (cfg.fail_on_warnings && strcmp(sv, "warning") == 0)) invalid = 1;
    }
    /* 2. The analysis and the comparison. */
    const char *skip = invalid ? "not evaluated: the data validation failed" : NULL;
    if (!invalid) {
        st = sg_analyze(ctx, opts, &run);
        if (st != SG_OK && !data_status(st)) goto done;
        S.analyzed = 1;
        if (st != SG_OK) {
            diags_to_findings(c, ctx, 0, "indices", NULL, NULL, 1);
            invalid = 1;
            skip = "not evaluated: the indices could not be computed";
            st = SG_OK;
        }
    }
    if (!invalid) {
        summary = json_tokener_parse(sg_run_summary_json(run));
        if (!summary) {
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "the run's summary.json does not parse");
            goto done;
        }
        if (!first) {
            sg_compare_options cmo = {b.dir, opts->out_dir, opts->out_dir, cfg.permutations,
                                      (unsigned long long)opts->seed};
            if ((st = sg_compare_run(ctx, &cmo, &cmp)) != SG_OK) goto done;
        }
    }
    evaluate(&S, summary, cmp, skip);

    /* Verdict. */
    c->verdict = invalid ? SG_CHECK_INVALID : SG_CHECK_PASS;
    for (size_t i = 0; !invalid && i < json_object_array_length(c->thresholds); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->thresholds, i), "status", &s);
        if (strcmp(json_object_get_string(s), "fail") == 0) c->verdict = SG_CHECK_BREACH;
    }

    /* check.json */
    json_object *jb = json_object_new_object();
    json_object_object_add(jb, "dir", jstr(b.dir));
    json_object_object_add(jb, "exists", json_object_new_boolean(!first));
    const char *created = b.summary ? json_path_str(b.summary, "created", NULL, NULL) : NULL;
    json_object_object_add(jb, "created", jstr(created));
    json_object_object_add(c->root, "baseline", jb);
    static const char *const vnames[] = {"pass", "threshold_breached", "", "validation_failed"};
    json_object_object_add(c->root, "verdict", jstr(vnames[c->verdict]));
    json_object_object_add(c->root, "exit_code", json_object_new_int(c->verdict));
    json_object *val = json_object_new_object();
    json_object *rl = json_object_new_array();
    size_t nerr_total = 0;
    for (size_t r = 0; r < N_RULES; r++) {
        int ran = 1;
        const char *rn = rules[r].name;
        if (!S.read_rows && (strcmp(rn, "numbers") == 0 || strcmp(rn, "ids") == 0 ||
                             strcmp(rn, "group_le_total") == 0 || strcmp(rn, "geometry") == 0 ||
                             strcmp(rn, "joins") == 0))
            ran = 0;
        if (strcmp(rn, "crs") == 0 && !S.crs_compared && !first) ran = 0;
        if ((strcmp(rn, "districts_vs_baseline") == 0 || strcmp(rn, "population_change") == 0) && !S.ids_compared)
            ran = 0;
        if (strcmp(rn, "indices") == 0 && !S.analyzed) ran = 0;
        size_t ne, nw;
        const char *status = rule_status(c->findings, rn, ran, &ne, &nw);
        nerr_total += ne;
        json_object *ro = json_object_new_object();
        json_object_object_add(ro, "rule", jstr(rn));
        json_object_object_add(ro, "description", jstr(rules[r].description));
        json_object_object_add(ro, "status", jstr(status));
        json_object_object_add(ro, "errors", json_object_new_int64((int64_t)ne));
        json_object_object_add(ro, "warnings", json_object_new_int64((int64_t)nw));
        int by_id = strcmp(rn, "districts_vs_baseline") == 0 || strcmp(rn, "population_change") == 0;
        if (!ran && !ne)
            json_object_object_add(ro, "note",
                                   jstr(first && strcmp(rn, "indices") != 0 ? "no baseline to compare with yet"
                                        : by_id && S.read_rows && !b.has_layer
                                            ? "the baseline has no districts.geojson: districts not compared"
                                            : "not checked: an earlier stage failed"));
        json_object_array_add(rl, ro);
    }
    json_object_object_add(val, "passed", json_object_new_boolean(!invalid));
    json_object_object_add(val, "errors", json_object_new_int64((int64_t)nerr_total));
    json_object_object_add(val, "max_total_change", jnum(cfg.max_total_change));
    json_object_object_add(val, "rules", rl);
    json_object_object_add(val, "findings", json_object_get(c->findings));
    json_object_object_add(c->root, "validation", val);
    if (!S.population) json_object_object_add(c->root, "population", NULL);
    json_object *th = json_object_new_object();
    json_object_object_add(th, "alpha", jnum(cfg.alpha));
    json_object_object_add(th, "permutations", json_object_new_int(cfg.permutations));
    json_object_object_add(th, "results", json_object_get(c->thresholds));
    json_object_object_add(c->root, "thresholds", th);
    json_object *outs = json_object_new_object();
    json_object_object_add(outs, "check", jstr(c->json_path));
    json_object_object_add(outs, "junit", jstr(c->junit_path));
    if (run) {
        json_object_object_add(outs, "summary", jstr(sg_run_summary_path(run)));
        json_object_object_add(outs, "districts", jstr(sg_run_districts_path(run)));
    }
    if (run && opts->out_pg) {
        json_object *pg = json_object_new_object();
        json_object_object_add(pg, "connection", jstr(opts->out_pg)); /* redacted with the whole text */
        json_object_object_add(pg, "table_prefix", jstr(opts->out_pg_prefix ? opts->out_pg_prefix : "seggap_"));
        json_object_object_add(outs, "postgis", pg);
    }
    if (cmp) {
        char *cp = sg__asprintf("%s/compare.json", opts->out_dir);
        json_object_object_add(outs, "compare", jstr(cp));
        free(cp);
    }
    json_object_object_add(c->root, "outputs", outs);
    int will_update = co->update_baseline && c->verdict == SG_CHECK_PASS;
    json_object_object_add(c->root, "baseline_updated", json_object_new_boolean(will_update));
    if (co->update_baseline && !will_update)
        json_object_object_add(c->root, "baseline_update_note", jstr("the check did not pass: the baseline is kept"));

    const char *txt = json_object_to_json_string_ext(c->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
    c->json = txt ? sg__asprintf("%s\n", txt) : NULL;
    char *safe = sg__redact(c->json);
    free(c->json);
    c->json = safe;
    c->text = text_report(c, cfg.path, b.dir, first, opts->out_dir);
    safe = sg__redact(c->text);
    free(c->text);
    c->text = safe;
    if (!c->json || !c->text) {
        st = sg__nomem(ctx);
        goto done;
    }
    if (will_update && (st = update_baseline(ctx, opts->out_dir, b.dir)) != SG_OK) goto done;
    if ((st = write_text(ctx, c->json_path, c->json)) != SG_OK) goto done;
    st = sg__junit_write(ctx, c->root, c->junit_path);

done:
    if (summary) json_object_put(summary);
    sg_compare_destroy(cmp);
    sg_run_destroy(run);
    sg_options_free(opts);
    baseline_free(&b);
    sg__config_free(&cfg);
    if (st != SG_OK) {
        sg_check_destroy(c);
        return st;
    }
    *out = c;
    return SG_OK;
}

void sg_check_destroy(sg_check *c) {
    if (!c) return;
    if (c->root) json_object_put(c->root);
    if (c->findings) json_object_put(c->findings);
    if (c->thresholds) json_object_put(c->thresholds);
    free(c->json);
    free(c->text);
    free(c->json_path);
    free(c->junit_path);
    free(c);
}

int sg_check_verdict(const sg_check *c) { return c->verdict; }
int sg_check_exit_code(const sg_check *c, sg_status st) {
    switch (st) {
    case SG_OK:
        return c ? c->verdict : 0;
    case SG_ERR_OUTPUT:
        return 4;
    case SG_ERR_NOMEM:
    case SG_ERR_INTERNAL:
        return 5;
    case SG_ERR_USAGE:
    case SG_ERR_INPUT:
    case SG_ERR_DATA:
    case SG_ERR_CRS:
    case SG_ERR_GEOMETRY:
        return 2;
    default:
        return sg_status_exit_code(st); /* e.g. interrupted */
    }
}
const char *sg_check_json(const sg_check *c) { return c->json; }
const char *sg_check_text(const sg_check *c) { return c->text; }
const char *sg_check_json_path(const sg_check *c) { return c->json_path; }
const char *sg_check_junit_path(const sg_check *c) { return c->junit_path; }
size_t sg_check_finding_count(const sg_check *c) { return json_object_array_length(c->findings); }

int sg_check_finding(const sg_check *c, size_t i, const char **code, const char **severity, const char **id,
                     const char **message) {
    if (i >= json_object_array_length(c->findings)) return 0;
    json_object *f = json_object_array_get_idx(c->findings, i), *v;
    if (code) *code = json_object_object_get_ex(f, "code", &v) ? json_object_get_string(v) : "";
    if (severity) *severity = json_object_object_get_ex(f, "severity", &v) ? json_object_get_string(v) : "";
    if (id) *id = json_object_object_get_ex(f, "district_id", &v) && v ? json_object_get_string(v) : "";
    if (message) *message = json_object_object_get_ex(f, "message", &v) ? json_object_get_string(v) : "";
    return 1;
}

const char *sg_check_threshold_status(const sg_check *c, const char *name) {
    for (size_t i = 0; i < json_object_array_length(c->thresholds); i++) {
        json_object *r = json_object_array_get_idx(c->thresholds, i), *n, *s;
        if (json_object_object_get_ex(r, "name", &n) && strcmp(json_object_get_string(n), name) == 0 &&
            json_object_object_get_ex(r, "status", &s))
            return json_object_get_string(s);
    }
    return NULL;
}
