/* Change over time between two runs of seggap analyze.
 *
 * Districts are matched by id. Index values come from the two summaries.
 * With both district layers at hand:
 *  - Two-value permutation test (PySAL's TwoValueTest, twovalue.c): under the
 *    person null (default) in each matched district the residents of both
 *    periods are pooled and the period labels reshuffled; under random_label
 *    the districts of both periods are pooled and relabelled, so ids need not
 *    match (the observed change is then that of all districts with data in
 *    each period). The aspatial indices are recomputed for both periods and
 *    the difference compared with the observed one (two-sided, as permute.c).
 *  - Shapley decomposition of the change in dissimilarity and entropy (Elbers
 *    2021): counterfactual tables made by iterative proportional fitting
 *    combine one period's structure (its odds ratios) with either period's
 *    district sizes and group sizes; the Shapley value of each of the three
 *    factors over the 8 combinations splits the change exactly into
 *    group_sizes + district_sizes + redistribution. "Did segregation rise
 *    because more migrants arrived, or because they moved?" is group_sizes
 *    versus redistribution.
 * The person test and the decomposition use only districts with data in
 * both periods; the index values they recompute on that common set are
 * reported beside the summaries' values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>

#include "compare/compare.h"

typedef struct run_data {
    char *summary_path, *layer_path, *dir;
    json_object *summary;
    size_t n;          /* districts in the layer */
    char **id;
    double *x, *t;     /* NaN when not usable */
    int has_layer;
} run_data;

struct sg_compare {
    char *json, *text;
    json_object *root;
};

static void run_free(run_data *r) {
    free(r->summary_path);
    free(r->layer_path);
    free(r->dir);
    if (r->summary) json_object_put(r->summary);
    for (size_t i = 0; i < r->n; i++) free(r->id[i]);
    free(r->id);
    free(r->x);
    free(r->t);
}

void sg_compare_destroy(sg_compare *c) {
    if (!c) return;
    free(c->json);
    free(c->text);
    if (c->root) json_object_put(c->root);
    free(c);
}
const char *sg_compare_json(const sg_compare *c) { return c->json; }
const char *sg_compare_text(const sg_compare *c) { return c->text; }

/* A count field of a districts layer: NaN when the district is not usable or
 * the field is null; an error when it holds something that is not a number. */
static sg_status field_number(sg_ctx *ctx, OGRFeatureH f, int k, int usable, sg_where w, const char *name,
                              double *out) {
    *out = NAN;
    if (!OGR_F_IsFieldSetAndNotNull(f, k)) return SG_OK;
    OGRFieldType ty = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, k));
    double v;
    if (ty == OFTInteger || ty == OFTInteger64 || ty == OFTReal) {
        v = OGR_F_GetFieldAsDouble(f, k);
    } else {
        const char *s = OGR_F_GetFieldAsString(f, k);
        char *end = NULL;
        v = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(v)) {
            w.field = name;
            return sg__error(ctx, SG_ERR_INPUT, "E_NOT_NUMBER", w, "district '%s': %s is not a number", w.id, name);
        }
    }
    if (usable) *out = v;
    return SG_OK;
}

static sg_status load_run(sg_ctx *ctx, const char *path, run_data *r) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", (sg_where){path, NULL, -1, NULL, NULL}, "no such file or directory");
    if (S_ISDIR(sb.st_mode)) {
        r->dir = sg__strdup(path);
    } else {
        const char *slash = strrchr(path, '/');
        r->dir = slash ? sg__strndup(path, (size_t)(slash - path)) : sg__strdup(".");
    }
    r->summary_path = S_ISDIR(sb.st_mode) ? sg__asprintf("%s/summary.json", path) : sg__strdup(path);
    r->layer_path = r->dir ? sg__asprintf("%s/districts.geojson", r->dir) : NULL;
    if (!r->dir || !r->summary_path || !r->layer_path) return sg__nomem(ctx);
    if (stat(r->summary_path, &sb) != 0) /* not "not a seggap summary.json": there is none */
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", (sg_where){r->summary_path, NULL, -1, NULL, NULL},
                         "no such file: a seggap run directory holds the summary.json of its run");
    r->summary = json_object_from_file(r->summary_path);
    json_object *ind;
    if (!r->summary || !json_object_object_get_ex(r->summary, "indices", &ind) ||
        !json_object_is_type(ind, json_type_object)) /* "indices": null crashed the foreach (fuzz_compare) */
        return sg__error(ctx, SG_ERR_INPUT, "E_NOT_SUMMARY", (sg_where){r->summary_path, NULL, -1, NULL, NULL},
                         "not a seggap summary.json (no 'indices' object)");
    json_object_object_foreach(ind, iname, io) {
        json_object *val;
        if (!json_object_is_type(io, json_type_object) || !json_object_object_get_ex(io, "value", &val) ||
            json_object_is_type(val, json_type_null) || json_object_is_type(val, json_type_double) ||
            json_object_is_type(val, json_type_int))
            continue;
        return sg__error(ctx, SG_ERR_INPUT, "E_NOT_NUMBER", (sg_where){r->summary_path, NULL, -1, iname, "value"},
                         "index '%s': value is not a number", iname);
    }
    if (stat(r->layer_path, &sb) != 0) return SG_OK; /* summary only: no tests, no decomposition */
    sg__gdal_push(ctx);
    GDALDatasetH ds = GDALOpenEx(r->layer_path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    sg__gdal_pop();
    if (!ds)
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", (sg_where){r->layer_path, NULL, -1, NULL, NULL},
                         "cannot open: %s", sg__gdal_msg(ctx));
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int fi = OGR_FD_GetFieldIndex(defn, "id"), ft = OGR_FD_GetFieldIndex(defn, "total"),
        fg = OGR_FD_GetFieldIndex(defn, "group"), fs = OGR_FD_GetFieldIndex(defn, "status");
    if (fi < 0 || ft < 0 || fg < 0 || fs < 0) {
        GDALClose(ds);
        return sg__error(ctx, SG_ERR_INPUT, "E_MISSING_FIELD", (sg_where){r->layer_path, NULL, -1, NULL, NULL},
                         "not a seggap districts layer (needs id, total, group, status)");
    }
    GIntBig fc = OGR_L_GetFeatureCount(lyr, 1);
    size_t cap = fc > 0 ? (size_t)fc : 1;
    r->id = calloc(cap, sizeof *r->id);
    r->x = malloc(cap * sizeof *r->x);
    r->t = malloc(cap * sizeof *r->t);
    sg_strmap *seen = sg__strmap_create(cap);
    sg_status st = (!r->id || !r->x || !r->t || !seen) ? sg__nomem(ctx) : SG_OK;
    OGRFeatureH f;
    while (st == SG_OK && r->n < cap && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        size_t i = r->n++;
        r->id[i] = sg__strdup(OGR_F_GetFieldAsString(f, fi));
        const char *status = OGR_F_GetFieldAsString(f, fs);
        int usable = strcmp(status, "ok") == 0 || strcmp(status, "repaired_geometry") == 0;
        sg_where w = {r->layer_path, NULL, (long long)OGR_F_GetFID(f), r->id[i], NULL};
        int put = r->id[i] ? sg__strmap_put(seen, r->id[i], i, NULL) : -1;
        if (put < 0) st = sg__nomem(ctx);
        else if (put == 0)
            st = sg__error(ctx, SG_ERR_INPUT, "E_DUPLICATE_ID", w, "district id '%s' appears more than once", r->id[i]);
        if (st == SG_OK) st = field_number(ctx, f, ft, usable, w, "total", &r->t[i]);
        if (st == SG_OK) st = field_number(ctx, f, fg, usable, w, "group", &r->x[i]);
        OGR_F_Destroy(f);
    }
    sg__strmap_destroy(seen);
    GDALClose(ds);
    r->has_layer = st == SG_OK;
    return st;
}

/* IPF of a 2-column table (a = group, b = rest) of proportions to district
 * margins r[] and group margin P. Returns 0 when converged. */
static int ipf(double *a, double *b, size_t n, const double *r, double P) {
    for (int it = 0; it < 10000; it++) {
        double sa = 0, sb = 0, err = 0;
        for (size_t i = 0; i < n; i++) {
            double s = a[i] + b[i];
            if (s > 0) {
                a[i] *= r[i] / s;
                b[i] *= r[i] / s;
            }
            sa += a[i];
            sb += b[i];
        }
        if (sa <= 0 || sb <= 0) return -1;
        for (size_t i = 0; i < n; i++) {
            a[i] *= P / sa;
            b[i] *= (1 - P) / sb;
        }
        for (size_t i = 0; i < n; i++) err = fmax(err, fabs(a[i] + b[i] - r[i]));
        if (err < 1e-15) return 0;
    }
    return -1;
}

/* Index `name` of the counterfactual: structure of period s, district sizes
 * of period u, group sizes of period g (0 = baseline, 1 = current). */
static sg_status counterfactual(sg_ctx *ctx, const char *name, const double *x[2], const double *t[2], size_t n,
                                int s, int u, int g, double *value) {
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *r = malloc(n * sizeof *r),
           *tt = malloc(n * sizeof *tt);
    sg_status st = (!a || !b || !r || !tt) ? sg__nomem(ctx) : SG_OK;
    double T[2] = {0, 0}, X[2] = {0, 0};
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < n; i++) {
            T[p] += t[p][i];
            X[p] += x[p][i];
        }
    if (st == SG_OK) {
        for (size_t i = 0; i < n; i++) {
            a[i] = x[s][i] / T[s];
            b[i] = (t[s][i] - x[s][i]) / T[s];
            r[i] = t[u][i] / T[u];
        }
        if (ipf(a, b, n, r, X[g] / T[g]) != 0)
            st = sg__error(ctx, SG_ERR_DATA, "E_DECOMPOSITION", SG_WHERE_NONE,
                           "the decomposition's proportional fitting did not converge");
    }
    if (st == SG_OK) {
        for (size_t i = 0; i < n; i++) tt[i] = a[i] + b[i];
        sg_result res;
        st = sg__compare_aspatial(ctx, a, tt, n, &res);
        const sg_global *gl = st == SG_OK ? sg__result_get(&res, name) : NULL;
        *value = gl ? gl->value : NAN;
        sg__result_free(&res);
    }
    free(a);
    free(b);
    free(r);
    free(tt);
    return st;
}

/* Shapley values of the three factors (group sizes, district sizes,
 * structure) for the change of `name` from period 0 to period 1. */
static sg_status shapley(sg_ctx *ctx, const char *name, const double *x[2], const double *t[2], size_t n,
                         double parts[3], double *total) {
    double v[2][2][2]; /* v[g][u][s] */
    for (int g = 0; g < 2; g++)
        for (int u = 0; u < 2; u++)
            for (int s = 0; s < 2; s++) {
                sg_status st = counterfactual(ctx, name, x, t, n, s, u, g, &v[g][u][s]);
                if (st != SG_OK) return st;
            }
    /* Each factor: mean of its marginal contribution over the 3! orders,
     * which weights the subsets of the other two factors 1/3, 1/6, 1/6, 1/3. */
    for (int f = 0; f < 3; f++) {
        double phi = 0;
        for (int o1 = 0; o1 < 2; o1++)
            for (int o2 = 0; o2 < 2; o2++) {
                int k = o1 + o2;
                double w = k == 1 ? 1.0 / 6.0 : 1.0 / 3.0;
                int sel[3], sel1[3];
                for (int j = 0, q = 0; j < 3; j++) {
                    if (j == f) continue;
                    sel[j] = sel1[j] = q == 0 ? o1 : o2;
                    q++;
                }
                sel[f] = 0;
                sel1[f] = 1;
                phi += w * (v[sel1[0]][sel1[1]][sel1[2]] - v[sel[0]][sel[1]][sel[2]]);
            }
        parts[f] = phi;
    }
    *total = v[1][1][1] - v[0][0][0];
    return SG_OK;
}

static double index_value(json_object *summary, const char *name, int *found) {
    json_object *ind, *io, *val;
    *found = json_object_object_get_ex(summary, "indices", &ind) && json_object_object_get_ex(ind, name, &io) &&
             json_object_object_get_ex(io, "value", &val) && !json_object_is_type(val, json_type_null);
    return *found ? json_object_get_double(val) : NAN;
}

static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

int sg_compare_index(const sg_compare *c, const char *name, double *diff, double *p_value) {
    json_object *ind, *io, *d, *p;
    if (!json_object_object_get_ex(c->root, "indices", &ind) || !json_object_object_get_ex(ind, name, &io) ||
        !json_object_object_get_ex(io, "difference", &d))
        return 0;
    *diff = json_object_get_double(d);
    *p_value = json_object_object_get_ex(io, "p_value", &p) && p ? json_object_get_double(p) : NAN;
    return 1;
}

int sg_compare_decomposition(const sg_compare *c, const char *name, double parts[3]) {
    json_object *dec, *io, *v;
    static const char *keys[3] = {"group_sizes", "district_sizes", "redistribution"};
    if (!json_object_object_get_ex(c->root, "decomposition", &dec) || !json_object_object_get_ex(dec, name, &io))
        return 0;
    for (int k = 0; k < 3; k++) {
        if (!json_object_object_get_ex(io, keys[k], &v)) return 0;
        parts[k] = json_object_get_double(v);
    }
    return 1;
}

static json_object *id_list(char **ids, size_t n) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) json_object_array_add(a, json_object_new_string(ids[i]));
    return a;
}

/* The random_label test: the observed indices on all districts with data of
 * each period into obs0/obs1, and o->permutations relabelled replicates of
 * their change into *null (the caller frees it). */
static sg_status relabel_test(sg_ctx *ctx, const sg_compare_options *o, const run_data *ra, const run_data *rb,
                              sg_result *obs0, sg_result *obs1, double **null, size_t *nnull, size_t *npooled) {
    const run_data *r[2] = {ra, rb};
    double *x[2], *t[2];
    size_t n[2] = {0, 0};
    sg_status st = SG_OK;
    for (int p = 0; p < 2; p++) {
        x[p] = malloc((r[p]->n ? r[p]->n : 1) * sizeof *x[p]);
        t[p] = malloc((r[p]->n ? r[p]->n : 1) * sizeof *t[p]);
        if (!x[p] || !t[p]) st = SG_ERR_NOMEM;
        for (size_t i = 0; st == SG_OK && i < r[p]->n; i++)
            if (r[p]->t[i] > 0 && isfinite(r[p]->x[i])) {
                x[p][n[p]] = r[p]->x[i];
                t[p][n[p]++] = r[p]->t[i];
            }
    }
    if (st != SG_OK) st = sg__nomem(ctx);
    sg_result *obs[2] = {obs0, obs1};
    for (int p = 0; st == SG_OK && p < 2; p++) st = sg__compare_aspatial(ctx, x[p], t[p], n[p], obs[p]);
    *npooled = n[0] + n[1];
    if (st == SG_OK && o->permutations > 0) {
        *nnull = (size_t)o->permutations;
        *null = malloc(*nnull * (obs0->ng ? obs0->ng : 1) * sizeof **null);
        const double *cx[2] = {x[0], x[1]}, *ct[2] = {t[0], t[1]};
        st = *null ? sg__compare_null(ctx, SG_COMPARE_NULL_RANDOM_LABEL, cx, ct, n, obs0, *nnull, o->seed, *null)
                   : sg__nomem(ctx);
    }
    for (int p = 0; p < 2; p++) {
        free(x[p]);
        free(t[p]);
    }
    return st;
}

sg_status sg_compare_run(sg_ctx *ctx, const sg_compare_options *o, sg_compare **out) {
    return sg__compare_run_as(ctx, o, NULL, out);
}

sg_status sg__compare_run_as(sg_ctx *ctx, const sg_compare_options *o, const char *current_as, sg_compare **out) {
    *out = NULL;
    GDALAllRegister();
    run_data ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    sg_compare *c = calloc(1, sizeof *c);
    sg_status st = c ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK) st = load_run(ctx, o->baseline, &ra);
    if (st == SG_OK) st = load_run(ctx, o->current, &rb);
    if (st == SG_OK && current_as) { /* read from the staging folder, named as the folder it becomes */
        free(rb.summary_path);
        free(rb.layer_path);
        rb.summary_path = sg__asprintf("%s/summary.json", current_as);
        rb.layer_path = sg__asprintf("%s/districts.geojson", current_as);
        if (!rb.summary_path || !rb.layer_path) st = sg__nomem(ctx);
    }
    double *x[2] = {NULL, NULL}, *t[2] = {NULL, NULL};
    char **appeared = NULL, **vanished = NULL;
    size_t m = 0, nap = 0, nva = 0, nmatched = 0;
    sg_strmap *ida = NULL;
    json_object *root = NULL;
    if (st != SG_OK) goto done;

    root = json_object_new_object();
    json_object *jb = json_object_new_object(), *jc = json_object_new_object();
    json_object_object_add(jb, "summary", json_object_new_string(ra.summary_path));
    json_object_object_add(jc, "summary", json_object_new_string(rb.summary_path));
    json_object *cr;
    if (json_object_object_get_ex(ra.summary, "created", &cr)) json_object_object_add(jb, "created", json_object_get(cr));
    if (json_object_object_get_ex(rb.summary, "created", &cr)) json_object_object_add(jc, "created", json_object_get(cr));
    json_object_object_add(root, "baseline", jb);
    json_object_object_add(root, "current", jc);

    /* Districts matched by id. */
    if (ra.has_layer && rb.has_layer) {
        ida = sg__strmap_create(ra.n);
        size_t cap = rb.n ? rb.n : 1;
        for (int p = 0; p < 2; p++) {
            x[p] = malloc(cap * sizeof *x[p]);
            t[p] = malloc(cap * sizeof *t[p]);
        }
        appeared = calloc(rb.n + 1, sizeof *appeared);
        vanished = calloc(ra.n + 1, sizeof *vanished);
        if (!ida || !x[0] || !x[1] || !t[0] || !t[1] || !appeared || !vanished) {
            st = sg__nomem(ctx);
            goto done;
        }
        for (size_t i = 0; i < ra.n; i++) sg__strmap_put(ida, ra.id[i], i, NULL);
        sg_strmap *idb = sg__strmap_create(rb.n);
        for (size_t j = 0; idb && j < rb.n; j++) {
            sg__strmap_put(idb, rb.id[j], j, NULL);
            size_t i;
            if (!sg__strmap_get(ida, rb.id[j], &i)) {
                appeared[nap++] = rb.id[j];
                continue;
            }
            nmatched++;
            if (!(ra.t[i] > 0) || !(rb.t[j] > 0) || !isfinite(ra.x[i]) || !isfinite(rb.x[j])) continue;
            x[0][m] = ra.x[i];
            t[0][m] = ra.t[i];
            x[1][m] = rb.x[j];
            t[1][m] = rb.t[j];
            m++;
        }
        for (size_t i = 0; idb && i < ra.n; i++)
            if (!sg__strmap_get(idb, ra.id[i], NULL)) vanished[nva++] = ra.id[i];
        sg__strmap_destroy(idb);
        int relabel = o->null_model == SG_COMPARE_NULL_RANDOM_LABEL;
        if (nap && !(relabel && nmatched == 0)) /* random_label on two cities: no id is meant to match */
            sg__warn(ctx, "W_DISTRICT_APPEARED", (sg_where){rb.layer_path, NULL, -1, NULL, NULL},
                     "%zu districts are not in the baseline (first: %s)", nap, appeared[0]);
        if (nva && !(relabel && nmatched == 0))
            sg__warn(ctx, "W_DISTRICT_VANISHED", (sg_where){ra.layer_path, NULL, -1, NULL, NULL},
                     "%zu baseline districts are missing (first: %s)", nva, vanished[0]);
        /* Nothing in common: the table of changes would compare two unrelated
         * cities (or ids renamed wholesale) as if they were one. */
        if (nmatched == 0 && !relabel) {
            st = sg__error(ctx, SG_ERR_DATA, "E_NO_COMMON_DISTRICT", (sg_where){rb.layer_path, NULL, -1, NULL, "id"},
                           "no district id in common with the baseline %s (%zu baseline districts, first %s; %zu "
                           "current, first %s): not two runs of one city, or its ids were renamed",
                           ra.layer_path, ra.n, ra.n ? ra.id[0] : "-", rb.n, rb.n ? rb.id[0] : "-");
            goto done;
        }
    }
    json_object *jd = json_object_new_object();
    json_object_object_add(jd, "baseline", json_object_new_int64((int64_t)ra.n));
    json_object_object_add(jd, "current", json_object_new_int64((int64_t)rb.n));
    json_object_object_add(jd, "matched", json_object_new_int64((int64_t)nmatched));
    json_object_object_add(jd, "with_data_in_both", json_object_new_int64((int64_t)m));
    json_object_object_add(jd, "appeared", id_list(appeared, nap));
    json_object_object_add(jd, "vanished", id_list(vanished, nva));
    json_object_object_add(root, "districts", jd);

    /* Observed values on the common districts, and the two-value test. */
    sg_result obs[2];
    memset(obs, 0, sizeof obs);
    int have_obs = 0;
    double *null = NULL;
    size_t nnull = 0, npooled = 0;
    if (m > 0 && o->null_model == SG_COMPARE_NULL_PERSON) {
        st = sg__compare_aspatial(ctx, x[0], t[0], m, &obs[0]);
        if (st == SG_OK) st = sg__compare_aspatial(ctx, x[1], t[1], m, &obs[1]);
        if (st != SG_OK) goto done_obs;
        have_obs = 1;
        if (o->permutations > 0) {
            nnull = (size_t)o->permutations;
            null = malloc(nnull * (obs[0].ng ? obs[0].ng : 1) * sizeof *null);
            const double *cx[2] = {x[0], x[1]}, *ct[2] = {t[0], t[1]};
            size_t nn[2] = {m, m};
            st = null ? sg__compare_null(ctx, SG_COMPARE_NULL_PERSON, cx, ct, nn, &obs[0], nnull, o->seed, null)
                      : sg__nomem(ctx);
        }
    }
    if (st == SG_OK && ra.has_layer && rb.has_layer && o->null_model == SG_COMPARE_NULL_RANDOM_LABEL) {
        st = relabel_test(ctx, o, &ra, &rb, &obs[0], &obs[1], &null, &nnull, &npooled);
        have_obs = st == SG_OK && obs[0].ng > 0;
    }
done_obs:
    if (st != SG_OK) goto done_results;

    /* Per index: the summaries' values, the common-district values, the test. */
    json_object *ji = json_object_new_object();
    json_object *inda;
    json_object_object_get_ex(ra.summary, "indices", &inda);
    char *tbl = NULL;
    size_t tlen = 0;
    FILE *tf = open_memstream(&tbl, &tlen);
    if (tf) {
        fprintf(tf, "seggap compare: %s -> %s\n", ra.summary_path, rb.summary_path);
        fprintf(tf, "  districts: %zu baseline, %zu current, %zu matched, %zu appeared, %zu vanished\n", ra.n, rb.n,
                nmatched, nap, nva);
        fprintf(tf, "  %-36s %10s %10s %10s %8s\n", "index", "baseline", "current", "change", "p");
    }
    json_object_object_foreach(inda, name, unused) {
        (void)unused;
        int fa, fb;
        double va = index_value(ra.summary, name, &fa), vb = index_value(rb.summary, name, &fb);
        if (!fa || !fb) continue;
        json_object *io = json_object_new_object();
        json_object_object_add(io, "baseline", jnum(va));
        json_object_object_add(io, "current", jnum(vb));
        json_object_object_add(io, "difference", jnum(vb - va));
        double p = NAN;
        if (have_obs) {
            const sg_global *g0 = sg__result_get(&obs[0], name), *g1 = sg__result_get(&obs[1], name);
            if (g0 && g1) {
                double dobs = g1->value - g0->value;
                json_object_object_add(io, npooled ? "difference_all_districts" : "difference_common_districts",
                                       jnum(dobs));
                size_t j = (size_t)(g0 - obs[0].g);
                if (null) {
                    double mean = 0, ss = 0;
                    size_t k = 0, extreme = 0;
                    for (size_t r = 0; r < nnull; r++)
                        if (isfinite(null[r * obs[0].ng + j])) mean += null[r * obs[0].ng + j], k++;
                    if (k > 1) {
                        mean /= (double)k;
                        for (size_t r = 0; r < nnull; r++) {
                            double v = null[r * obs[0].ng + j];
                            if (!isfinite(v)) continue;
                            ss += (v - mean) * (v - mean);
                            if (fabs(v - mean) >= fabs(dobs - mean) * (1 - 1e-12)) extreme++;
                        }
                        p = (double)(1 + extreme) / (double)(k + 1);
                        json_object_object_add(io, "p_value", jnum(p));
                        json_object_object_add(io, "null_sd", jnum(sqrt(ss / (double)(k - 1))));
                    }
                }
            }
        }
        json_object_object_add(ji, name, io);
        if (tf) {
            fprintf(tf, "  %-36s %10.4f %10.4f %+10.4f", name, va, vb, vb - va);
            if (isfinite(p)) fprintf(tf, " %8.3f", p);
            fputc('\n', tf);
        }
    }
    json_object_object_add(root, "indices", ji);
    json_object *jt = json_object_new_object();
    json_object_object_add(jt, "permutations", json_object_new_int(o->permutations));
    int relabel = o->null_model == SG_COMPARE_NULL_RANDOM_LABEL;
    json_object_object_add(jt, "model", json_object_new_string(relabel ? "random_label" : "person"));
    json_object_object_add(jt, "null", json_object_new_string(
        relabel ? "districts with data of both periods pooled and relabelled at random, each period keeping its "
                  "number of districts (PySAL TwoValueTest, random_label): ids need not match; the change tested "
                  "is that of all districts with data in each period; aspatial indices only"
                : "residents of both periods pooled per matched district, period labels reshuffled keeping each "
                  "district's total in each period (PySAL TwoValueTest, person level); aspatial indices only"));
    if (relabel && npooled) json_object_object_add(jt, "districts_pooled", json_object_new_int64((int64_t)npooled));
    json_object_object_add(root, "test", jt);

    /* Decomposition (on the matched districts). */
    if (m > 0) {
        json_object *jdec = json_object_new_object();
        const char *names[2] = {"dissimilarity", "entropy"};
        for (int k = 0; k < 2; k++) {
            if (!sg__result_get(&obs[0], names[k])) continue;
            double parts[3], total;
            const double *cx[2] = {x[0], x[1]}, *ct[2] = {t[0], t[1]};
            sg_status ds = shapley(ctx, names[k], cx, ct, m, parts, &total);
            if (ds == SG_ERR_NOMEM) {
                st = ds;
                break;
            }
            if (ds != SG_OK) continue;
            json_object *jo = json_object_new_object();
            json_object_object_add(jo, "change", jnum(total));
            json_object_object_add(jo, "group_sizes", jnum(parts[0]));
            json_object_object_add(jo, "district_sizes", jnum(parts[1]));
            json_object_object_add(jo, "redistribution", jnum(parts[2]));
            json_object_object_add(jo, "method", json_object_new_string(
                "Shapley decomposition over IPF counterfactuals (Elbers 2021), on districts with data in both periods"));
            json_object_object_add(jdec, names[k], jo);
            if (tf)
                fprintf(tf, "  change in %s %+.4f = group sizes %+.4f + district sizes %+.4f + redistribution %+.4f\n",
                        names[k], total, parts[0], parts[1], parts[2]);
        }
        json_object_object_add(root, "decomposition", jdec);
    }
    if (tf) fclose(tf);
    c->text = sg__escape_controls(tbl, 1); /* printed on a terminal: ids, paths */
    free(tbl);
    c->root = root;
    root = NULL;
    const char *txt = json_object_to_json_string_ext(c->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
    c->json = txt ? sg__asprintf("%s\n", txt) : NULL;
    if (st == SG_OK && (!c->json || !c->text)) st = sg__nomem(ctx);
    if (st == SG_OK) {
        const char *dir = o->out_dir ? o->out_dir : rb.dir;
        char *path = sg__asprintf("%s/compare.json", dir);
        if (!path) st = sg__nomem(ctx);
        else if ((st = sg__ensure_dir(ctx, dir)) == SG_OK) st = sg__output_write(ctx, path, c->json, strlen(c->json));
        free(path);
    }
done_results:
    free(null);
    sg__result_free(&obs[0]);
    sg__result_free(&obs[1]);
done:
    if (root) json_object_put(root);
    sg__strmap_destroy(ida);
    for (int p = 0; p < 2; p++) {
        free(x[p]);
        free(t[p]);
    }
    free(appeared);
    free(vanished);
    run_free(&ra);
    run_free(&rb);
    if (st != SG_OK) {
        sg_compare_destroy(c);
        return st;
    }
    *out = c;
    return SG_OK;
}
