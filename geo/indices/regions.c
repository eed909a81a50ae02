/* Regions (--by FIELD, e.g. boroughs): every aspatial index family re-run on
 * the districts of each region, and Theil's entropy index H decomposed
 * exactly into a between-region part (regions taken as units) and a
 * within-region part, the weighted sum of the regions' own H:
 *   H = H_between + sum_r (T_r E_r / (T E)) H_r
 * with E the entropy of the city's group share and E_r the region's. The
 * spatial families run on each region's own spatial data (its adjacency,
 * centre and kernel); the local statistics stay those of the city. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "indices/indices.h"

static double ent(double p) {
    if (p <= 0 || p >= 1) return 0;
    return -p * log(p) - (1 - p) * log(1 - p);
}

void sg__regions_free(struct sg_regions *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nr; i++) {
        free(r->r[i].name);
        free(r->r[i].error);
        sg__result_free(&r->r[i].res);
    }
    free(r->r);
    free(r->field);
    free(r);
}

sg_status sg__regions(sg_ctx *ctx, const sg_data *d, struct sg_regions **out) {
    *out = NULL;
    const sg_city *c = d->city;
    struct sg_regions *R = calloc(1, sizeof *R);
    size_t *of = malloc((d->n ? d->n : 1) * sizeof *of); /* region of each used district */
    sg_strmap *map = sg__strmap_create(64);
    if (!R || !of || !map) {
        free(R);
        free(of);
        sg__strmap_destroy(map);
        return sg__nomem(ctx);
    }
    R->field = sg__strdup(d->opts->by_field);
    sg_status st = R->field ? SG_OK : sg__nomem(ctx);
    size_t cap = 0;
    for (size_t i = 0; st == SG_OK && i < d->n; i++) {
        const char *name = c->region ? c->region[d->index[i]] : NULL;
        if (!name || !*name) {
            of[i] = SIZE_MAX;
            R->unassigned++;
            continue;
        }
        size_t k;
        if (!sg__strmap_get(map, name, &k)) {
            if (R->nr == cap) {
                cap = cap ? cap * 2 : 16;
                sg_region *nr = sg__reallocarray(R->r, cap, sizeof *nr);
                if (!nr) {
                    st = sg__nomem(ctx);
                    break;
                }
                R->r = nr;
            }
            k = R->nr++;
            memset(&R->r[k], 0, sizeof R->r[k]);
            R->r[k].name = sg__strdup(name);
            if (!R->r[k].name || sg__strmap_put(map, name, k, NULL) < 0) st = sg__nomem(ctx);
        }
        of[i] = k;
        R->r[k].n++;
        R->r[k].total += d->t[i];
        R->r[k].group += d->x[i];
    }
    sg__strmap_destroy(map);
    if (R->unassigned)
        sg__warn(ctx, "W_NO_REGION", (sg_where){NULL, NULL, -1, NULL, d->opts->by_field},
                 "%zu districts have no --by value: they count for the city but for no region", R->unassigned);

    /* Each region: the aspatial families on its districts. */
    double *x = malloc((d->n ? d->n : 1) * sizeof *x), *t = malloc((d->n ? d->n : 1) * sizeof *t);
    double *m = d->k ? malloc(d->n * d->k * sizeof *m) : NULL;
    size_t *idx = malloc((d->n ? d->n : 1) * sizeof *idx);
    const GEOSGeometry **geom = malloc((d->n ? d->n : 1) * sizeof *geom);
    char **ids = calloc(d->n ? d->n : 1, sizeof *ids); /* the region's districts' ids (borrowed) */
    if (st == SG_OK && (!x || !t || !idx || !geom || !ids || (d->k && !m))) st = sg__nomem(ctx);
    int any_spatial = 0;
    for (size_t f = 0; d->geom && f < sg__nfamilies; f++)
        if ((sg__families[f].flags & SG_FAM_SPATIAL) && strcmp(sg__families[f].name, "local_spatial") != 0 &&
            sg__family_on(d->opts, sg__families[f].name))
            any_spatial = 1;
    sg__diag_hold(ctx, 1); /* the callback sees a region's diagnostics once the drops below are done */
    for (size_t k = 0; st == SG_OK && k < R->nr; k++) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (of[i] != k) continue;
            x[n] = d->x[i];
            t[n] = d->t[i];
            for (size_t g = 0; g < d->k; g++) m[n * d->k + g] = d->m[i * d->k + g];
            geom[n] = d->geom ? d->geom[i] : NULL;
            ids[n] = d->city && d->city->id ? d->city->id[d->index[i]] : NULL;
            idx[n] = n;
            n++;
        }
        sg_city sub;
        memset(&sub, 0, sizeof sub);
        sub.n = n;
        sub.id = ids; /* messages about the region's districts name them */
        sg_data rd = {n, idx, x, t, d->k, d->k ? m : NULL, d->mnames, any_spatial ? geom : NULL, &sub, d->opts,
                      d->crs, NULL, 0, NULL, d->spatial_skip};
        sg_region *rg = &R->r[k];
        rg->res.n = n;
        size_t before = sg__ndiags(ctx);
        /* The region's own spatial data: its adjacency, centre and kernel.
         * Warnings of the build (islands at the region's edge) are the
         * region's business and would repeat the city's: they are dropped. */
        if (any_spatial && n >= 2) {
            size_t nd = sg__ndiags(ctx);
            sg_status ss = sg__spatial_build(ctx, &rd, &rd.sp);
            while (sg__ndiags(ctx) > nd) sg__drop_last_diag(ctx);
            if (ss == SG_ERR_NOMEM) {
                st = ss;
                break;
            }
            if (ss != SG_OK && !rg->error) rg->error = sg__strdup(sg_ctx_last_error(ctx));
        }
        for (size_t f = 0; f < sg__nfamilies; f++) {
            if ((sg__families[f].flags & SG_FAM_SPATIAL) && !rd.sp) continue;
            if (strcmp(sg__families[f].name, "local_spatial") == 0) continue; /* local: the city's */
            if (!sg__family_on(d->opts, sg__families[f].name)) continue;
            sg_status fs = sg__families[f].fn(ctx, &rd, &rg->res);
            if (fs == SG_ERR_NOMEM) {
                st = fs;
                break;
            }
            if (fs != SG_OK && !rg->error) rg->error = sg__strdup(sg_ctx_last_error(ctx));
        }
        /* A region where the group is absent (or everyone) has no indices:
         * that is reported in the region, not an error of the run. The
         * families' errors (one per family, none naming the region: ten
         * "the group count is 0 in every district" lines, exit 0) become one
         * warning that names it. */
        size_t nerr = sg__drop_errors_since(ctx, before);
        if (st == SG_OK && rg->error)
            sg__warn(ctx, "W_REGION_UNDEFINED", (sg_where){NULL, NULL, -1, NULL, d->opts->by_field},
                     "region '%s' (%zu districts, group %g of %g) has no indices (null in summary.json): %s "
                     "(%zu index famil%s)", rg->name, n, rg->group, rg->total, rg->error, nerr, nerr == 1 ? "y" : "ies");
        sg__spatial_free(ctx, rd.sp);
        sg__diag_hold(ctx, 0); /* what the region kept goes to the callback now; hold the next one's */
        sg__diag_hold(ctx, 1);
    }
    sg__diag_hold(ctx, 0);

    /* Theil's H and its decomposition. */
    double T = 0, X = 0;
    for (size_t i = 0; i < d->n; i++) {
        T += d->t[i];
        X += d->x[i];
    }
    double E = ent(X / T);
    if (st == SG_OK && E > 0) {
        sg_ksum H = {0, 0}, B = {0, 0}, W = {0, 0};
        for (size_t i = 0; i < d->n; i++) sg__ksum_add(&H, d->t[i] * (E - ent(d->x[i] / d->t[i])) / (E * T));
        for (size_t k = 0; k < R->nr; k++) {
            sg_region *rg = &R->r[k];
            double Er = ent(rg->group / rg->total);
            sg__ksum_add(&B, rg->total * (E - Er) / (E * T));
            if (Er <= 0) continue;
            sg_ksum Hr = {0, 0};
            for (size_t i = 0; i < d->n; i++)
                if (of[i] == k) sg__ksum_add(&Hr, d->t[i] * (Er - ent(d->x[i] / d->t[i])) / (Er * rg->total));
            sg__ksum_add(&W, rg->total * Er / (T * E) * sg__ksum_get(&Hr));
        }
        /* Unassigned districts: each is its own region for the decomposition. */
        for (size_t i = 0; i < d->n; i++)
            if (of[i] == SIZE_MAX) sg__ksum_add(&B, d->t[i] * (E - ent(d->x[i] / d->t[i])) / (E * T));
        R->h_total = sg__ksum_get(&H);
        R->h_between = sg__ksum_get(&B);
        R->h_within = sg__ksum_get(&W);
        R->have_h = 1;
    }
    if (st == SG_OK) R->have_m = sg__regions_mutual(d, of, R->nr, &R->m_total, &R->m_between, &R->m_within);
    free(x);
    free(t);
    free(m);
    free(idx);
    free(geom);
    free(ids);
    free(of);
    if (st != SG_OK) {
        sg__regions_free(R);
        return st;
    }
    *out = R;
    return SG_OK;
}

static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

void *sg__regions_json(const struct sg_regions *R) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "by", json_object_new_string(R->field));
    json_object_object_add(o, "note", json_object_new_string(
        "every index within each region, on the region's own districts, adjacency and centre (the centre "
        "of a region is the mean of its district centroids unless --centre is given); local statistics are "
        "the city's"));
    json_object_object_add(o, "districts_without_region", json_object_new_int64((int64_t)R->unassigned));
    json_object *regs = json_object_new_object();
    for (size_t k = 0; k < R->nr; k++) {
        const sg_region *rg = &R->r[k];
        json_object *ro = json_object_new_object();
        json_object_object_add(ro, "districts", json_object_new_int64((int64_t)rg->n));
        json_object_object_add(ro, "total", jnum(rg->total));
        json_object_object_add(ro, "group", jnum(rg->group));
        json_object_object_add(ro, "group_share", jnum(rg->total > 0 ? rg->group / rg->total : NAN));
        if (rg->error) json_object_object_add(ro, "error", json_object_new_string(rg->error));
        json_object *ind = json_object_new_object();
        for (size_t j = 0; j < rg->res.ng; j++) json_object_object_add(ind, rg->res.g[j].name, jnum(rg->res.g[j].value));
        json_object_object_add(ro, "indices", ind);
        json_object_object_add(regs, rg->name, ro);
    }
    json_object_object_add(o, "regions", regs);
    if (R->have_h) {
        json_object *h = json_object_new_object();
        json_object_object_add(h, "total", jnum(R->h_total));
        json_object_object_add(h, "between", jnum(R->h_between));
        json_object_object_add(h, "within", jnum(R->h_within));
        json_object_object_add(h, "between_share", jnum(R->h_total > 0 ? R->h_between / R->h_total : NAN));
        json_object_object_add(o, "entropy_decomposition", h);
    }
    sg__regions_mutual_json(R, o);
    return o;
}
