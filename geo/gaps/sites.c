/* services.geojson: every service location of every --service type with its
 * capacity and its supply ratios, measured exactly as the access stage does
 * (its readers, origins and distances: planar, geodesic or network):
 *   fca2          R_j = S_j / sum of the residents within the catchment d0
 *                 (two-step floating catchment, Luo & Wang 2003: capacity
 *                 per resident who can reach it; 0 when nobody can)
 *   e2sfca        the same with the access stage's distance decay
 *   pop_catchment residents within d0 of the location
 *   pop_within_R  residents within each --radius R
 * Residents are the access stage's origins (a point on surface per district,
 * or --population-points), each carrying its share of the district total.
 *
 * The access stage keeps no per-location results, so the locations are read
 * and measured again; the warnings of that second reading are dropped (the
 * access stage reported them already). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "gaps/gaps.h"

void sg__sites_free(sg_sites *s) {
    for (size_t k = 0; k < s->n; k++) {
        if (s->type) free(s->type[k]);
        if (s->name) free(s->name[k]);
    }
    for (size_t r = 0; s->pop_r_names && r < s->nradius; r++) free(s->pop_r_names[r]);
    free(s->type);
    free(s->name);
    free(s->fid);
    free(s->capacity);
    free(s->fca2);
    free(s->e2sfca);
    free(s->pop_catchment);
    free(s->pop_r);
    free(s->x);
    free(s->y);
    free(s->radius);
    free(s->pop_r_names);
    memset(s, 0, sizeof *s);
}


static int grow(sg_sites *s, size_t add) {
    size_t n = s->n + add, nn = n ? n : 1;
#define G(member, type)                                                      \
    do {                                                                     \
        type *p_ = sg__reallocarray(s->member, nn, sizeof *p_);              \
        if (!p_) return -1;                                                  \
        s->member = p_;                                                      \
    } while (0)
    G(type, char *);
    G(name, char *);
    G(fid, double);
    G(capacity, double);
    G(fca2, double);
    G(e2sfca, double);
    G(pop_catchment, double);
    G(x, double);
    G(y, double);
#undef G
    double *pr = sg__reallocarray(s->pop_r, nn * (s->nradius ? s->nradius : 1), sizeof *pr);
    if (!pr) return -1;
    s->pop_r = pr;
    for (size_t k = s->n; k < n; k++) s->type[k] = s->name[k] = NULL;
    return 0;
}

/* The 'name' field of each location's feature, when the layer has one. */
static void read_names(sg_ctx *ctx, const sg_services *sv, sg_sites *s, size_t first) {
    sg__gdal_push(ctx);
    GDALDatasetH ds = sg__ogr_open(ctx, sv->src.path);
    OGRLayerH lyr = ds ? (sv->src.layer ? GDALDatasetGetLayerByName(ds, sv->src.layer) : GDALDatasetGetLayer(ds, 0))
                       : NULL;
    int idx = lyr ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "name") : -1;
    for (size_t j = 0; idx >= 0 && j < sv->n; j++) {
        OGRFeatureH f = OGR_L_GetFeature(lyr, (GIntBig)sv->fid[j]);
        if (!f) continue;
        if (OGR_F_IsFieldSetAndNotNull(f, idx)) s->name[first + j] = sg__strdup(OGR_F_GetFieldAsString(f, idx));
        OGR_F_Destroy(f);
    }
    if (ds) GDALClose(ds);
    sg__gdal_pop();
    sg__clear_gdal_msg(ctx);
}

sg_status sg__sites_build(sg_ctx *ctx, const sg_gaps_in *in, sg_sites *out) {
    const sg_options *o = in->opts;
    const struct sg_access_opts *ao = o->access;
    const sg_city *c = in->city;
    const sg_crs_info *crs = &in->rd->crs;
    memset(out, 0, sizeof *out);
    if (!ao || !ao->nsvc) return SG_OK;
    size_t diag0 = sg__ndiags(ctx);
    out->catchment = ao->catchment;
    out->mode = o->network ? "network" : o->geodesic ? "geodesic" : "planar";
    out->nradius = ao->nradius;
    out->radius = malloc((ao->nradius ? ao->nradius : 1) * sizeof *out->radius);
    out->pop_r_names = calloc(ao->nradius ? ao->nradius : 1, sizeof *out->pop_r_names);
    if (!out->radius || !out->pop_r_names) return sg__nomem(ctx);
    for (size_t r = 0; r < ao->nradius; r++) {
        out->radius[r] = ao->radius[r];
        if (!(out->pop_r_names[r] = sg__asprintf("pop_within_%.0f", ao->radius[r]))) return sg__nomem(ctx);
    }
    sg_origins og;
    memset(&og, 0, sizeof og);
    sg_network *net = NULL;
    sg_status st = sg__origins_build(ctx, o, c, crs, &og);
    if (st == SG_OK && o->network) st = sg__network_build(ctx, o, crs, c, &og, &net);
    double dmax = ao->catchment;
    for (size_t r = 0; r < ao->nradius; r++) dmax = fmax(dmax, ao->radius[r]);
    for (size_t t = 0; st == SG_OK && t < ao->nsvc; t++) {
        const sg_service_spec *spec = &ao->svc[t];
        sg_services sv;
        st = sg__services_read(ctx, spec, o, crs, c, net != NULL, &sv);
        sg_pairs pairs;
        memset(&pairs, 0, sizeof pairs);
        if (st == SG_OK && net) {
            sg_net_services *ns = NULL;
            size_t far = 0;
            st = sg__network_services(ctx, net, &sv, &ns, &far);
            if (st == SG_OK) st = sg__network_pairs(ctx, net, ns, dmax, o->threads, &pairs);
            sg__network_services_free(ns);
        } else if (st == SG_OK) {
            sg_euclid *e = NULL;
            st = sg__euclid_create(ctx, &og, &sv, crs, o->geodesic, &e);
            if (st == SG_OK) st = sg__euclid_pairs(ctx, e, dmax, o->threads, &pairs);
            sg__euclid_destroy(ctx, e);
        }
        size_t first = out->n, m = sv.n;
        if (st == SG_OK && grow(out, m) != 0) st = sg__nomem(ctx);
        if (st == SG_OK) out->n = first + m; /* new names are NULL: freed whatever happens below */
        sg_ksum *pc = st == SG_OK ? calloc(m ? m : 1, sizeof *pc) : NULL, *pe = NULL, *pr = NULL;
        if (pc) pe = calloc(m ? m : 1, sizeof *pe);
        if (pe) pr = calloc((m ? m : 1) * (ao->nradius ? ao->nradius : 1), sizeof *pr);
        if (st == SG_OK && !pr) st = sg__nomem(ctx);
        /* step 1 of the floating catchment, location by location (origin order) */
        for (size_t k = 0; st == SG_OK && k < pairs.n; k++) {
            double dem = og.demand[k];
            if (!(dem > 0)) continue;
            for (size_t q = pairs.off[k]; q < pairs.off[k + 1]; q++) {
                size_t j = pairs.svc[q];
                double d = pairs.d[q];
                for (size_t r = 0; r < ao->nradius; r++)
                    if (d <= ao->radius[r]) sg__ksum_add(&pr[j * ao->nradius + r], dem);
                if (d > ao->catchment) continue;
                sg__ksum_add(&pc[j], dem);
                sg__ksum_add(&pe[j], dem * sg__decay_weight(ao->decay, d, ao->catchment, ao->bandwidth));
            }
        }
        for (size_t j = 0; st == SG_OK && j < m; j++) {
            size_t k = first + j;
            double a = sg__ksum_get(&pc[j]), b = sg__ksum_get(&pe[j]);
            out->type[k] = sg__strdup(spec->type);
            if (!out->type[k]) st = sg__nomem(ctx);
            out->fid[k] = (double)sv.fid[j];
            out->capacity[k] = sv.cap[j];
            out->fca2[k] = a > 0 ? sv.cap[j] / a : 0;
            out->e2sfca[k] = b > 0 ? sv.cap[j] / b : 0;
            out->pop_catchment[k] = a;
            for (size_t r = 0; r < ao->nradius; r++) out->pop_r[k * ao->nradius + r] = sg__ksum_get(&pr[j * ao->nradius + r]);
            out->x[k] = sv.x[j];
            out->y[k] = sv.y[j];
        }
        if (st == SG_OK) read_names(ctx, &sv, out, first);
        free(pc);
        free(pe);
        free(pr);
        sg__pairs_free(&pairs);
        sg__services_free(ctx, &sv);
    }
    sg__network_free(ctx, net);
    sg__origins_free(&og);
    if (st == SG_OK) sg__drop_warnings_since(ctx, diag0);
    return st;
}
