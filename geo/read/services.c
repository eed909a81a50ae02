/* Reading what the access stage measures: the service locations of each
 * type (--service) and where people live (the districts' points on surface,
 * or --population-points), all reprojected with PROJ into the working CRS.
 * Every problem names the file, layer, feature id and field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "read/read_internal.h"

/* (sg__open_layer is in source.c) */

/* ---- CRS ---- */


sg_status sg__layer_transform(sg_ctx *ctx, void *ogr_srs, const sg_crs_info *crs, sg_where w, sg_src_info *info,
                              PJ **op) {
    *op = NULL;
    PJ_CONTEXT *pc = sg__proj(ctx);
    /* GeoPackage's srs_id 0 / -1: "Undefined geographic / cartesian SRS", no CRS in truth */
    const char *sname = ogr_srs ? OSRGetName(ogr_srs) : NULL;
    if (sname && strncmp(sname, "Undefined", 9) == 0 && !OSRGetAuthorityCode(ogr_srs, NULL)) ogr_srs = NULL;
    if (!ogr_srs)
        return sg__error(ctx, SG_ERR_CRS, "E_NO_CRS", w,
                         "the layer has no CRS, so its coordinates cannot be placed against the districts "
                         "(assign one, e.g. ogr2ogr -a_srs EPSG:n)");
    char *wkt = NULL;
    const char *wo[] = {"FORMAT=WKT2_2019", NULL};
    PJ *src = NULL;
    sg__clear_proj_msg(ctx);
    if (OSRExportToWktEx(ogr_srs, &wkt, wo) == OGRERR_NONE && wkt) src = proj_create(pc, wkt);
    CPLFree(wkt);
    if (!src) return sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "the layer's CRS cannot be read by PROJ (%s)", sg__proj_msg(ctx));
    PJ *h = sg__horizontal_crs(pc, src);
    if (h) {
        proj_destroy(src);
        src = h;
    }
    info->crs_name = sg__strdup(proj_get_name(src));
    const char *auth = proj_get_id_auth_name(src, 0), *code = proj_get_id_code(src, 0);
    if (auth && code) info->crs_id = sg__asprintf("%s:%s", auth, code);
    if (!proj_is_equivalent_to(src, crs->work, PJ_COMP_EQUIVALENT)) {
        PJ *raw = proj_create_crs_to_crs_from_pj(pc, src, crs->work, NULL, NULL);
        *op = raw ? proj_normalize_for_visualization(pc, raw) : NULL;
        proj_destroy(raw);
        if (!*op) {
            sg_status st = sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "no transformation from %s to the working CRS %s: %s",
                                     proj_get_name(src), crs->work_name, sg__proj_msg(ctx));
            proj_destroy(src);
            return st;
        }
    }
    proj_destroy(src);
    return SG_OK;
}



/* ---- services ---- */

static int svc_grow(sg_services *s, size_t *cap) {
    if (s->n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    double *x = sg__reallocarray(s->x, nc, sizeof *x);
    if (x) s->x = x;
    double *y = sg__reallocarray(s->y, nc, sizeof *y);
    if (y) s->y = y;
    double *c = sg__reallocarray(s->cap, nc, sizeof *c);
    if (c) s->cap = c;
    long long *f = sg__reallocarray(s->fid, nc, sizeof *f);
    if (f) s->fid = f;
    GEOSGeometry **p = sg__reallocarray(s->poly, nc, sizeof *p);
    if (p) s->poly = p;
    char **nm = sg__reallocarray(s->name, nc, sizeof *nm);
    if (nm) s->name = nm;
    char **si = s->spec->id_field ? sg__reallocarray(s->sid, nc, sizeof *si) : NULL;
    if (si) s->sid = si;
    if (!x || !y || !c || !f || !p || !nm || (s->spec->id_field && !si)) return -1;
    *cap = nc;
    return 0;
}

/* name and sid are copied (NULL: none). */
static int svc_add(sg_services *s, size_t *cap, double x, double y, double supply, long long fid, GEOSGeometry *poly,
                   const char *name, const char *sid) {
    if (svc_grow(s, cap) != 0) return -1;
    s->name[s->n] = NULL;
    if (name && !(s->name[s->n] = sg__strdup(name))) return -1;
    if (s->sid && !(s->sid[s->n] = sg__strdup(sid ? sid : ""))) {
        free(s->name[s->n]);
        return -1;
    }
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->cap[s->n] = supply;
    s->fid[s->n] = fid;
    s->poly[s->n] = poly;
    s->n++;
    return 0;
}

void sg__services_free(sg_ctx *ctx, sg_services *s) {
    if (!s) return;
    for (size_t i = 0; s->poly && i < s->n; i++)
        if (s->poly[i]) GEOSGeom_destroy_r(sg__geos(ctx), s->poly[i]);
    for (size_t i = 0; s->name && i < s->n; i++) free(s->name[i]);
    for (size_t i = 0; s->sid && i < s->n; i++) free(s->sid[i]);
    free(s->sid);
    free(s->poly);
    free(s->name);
    free(s->x);
    free(s->y);
    free(s->cap);
    free(s->fid);
    sg__src_info_free(&s->src);
    memset(s, 0, sizeof *s);
}

/* Extent of the districts in the working CRS. */
static int city_extent(sg_ctx *ctx, const sg_city *c, double e[4]) {
    e[0] = e[1] = INFINITY;
    e[2] = e[3] = -INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->geom || !c->geom[i]) continue;
        double a, b, x1, y1;
        if (GEOSGeom_getExtent_r(sg__geos(ctx), c->geom[i], &a, &b, &x1, &y1)) {
            e[0] = fmin(e[0], a);
            e[1] = fmin(e[1], b);
            e[2] = fmax(e[2], x1);
            e[3] = fmax(e[3], y1);
        }
    }
    return e[0] <= e[2];
}

static void check_extent(sg_ctx *ctx, const sg_services *s, const sg_city *c, const sg_crs_info *crs, sg_where w) {
    double e[4];
    if (!city_extent(ctx, c, e) || s->n == 0) return;
    double sx0 = INFINITY, sy0 = INFINITY, sx1 = -INFINITY, sy1 = -INFINITY;
    size_t inside = 0;
    for (size_t i = 0; i < s->n; i++) {
        sx0 = fmin(sx0, s->x[i]);
        sy0 = fmin(sy0, s->y[i]);
        sx1 = fmax(sx1, s->x[i]);
        sy1 = fmax(sy1, s->y[i]);
        inside += s->x[i] >= e[0] && s->x[i] <= e[2] && s->y[i] >= e[1] && s->y[i] <= e[3];
    }
    if (inside) return;
    sg__warn(ctx, "W_SERVICE_EXTENT", w,
             "none of the %zu service locations lies within the districts' extent (services %.0f %.0f .. %.0f "
             "%.0f, districts %.0f %.0f .. %.0f %.0f, in %s): the layer's CRS (%s) is likely wrong",
             s->n, sx0, sy0, sx1, sy1, e[0], e[1], e[2], e[3], crs->work_name ? crs->work_name : "the working CRS",
             s->src.crs_name ? s->src.crs_name : "none");
}

/* The point on surface of g as x, y. */
static int surface_point(GEOSContextHandle_t h, const GEOSGeometry *g, double *x, double *y) {
    GEOSGeometry *p = GEOSPointOnSurface_r(h, g);
    int ok = p && GEOSGeomGetX_r(h, p, x) && GEOSGeomGetY_r(h, p, y) && isfinite(*x) && isfinite(*y);
    if (p) GEOSGeom_destroy_r(h, p);
    return ok;
}

/* A number of a feature, strictly: returns 1 with *v set, else reports why. */
static int feature_number(sg_ctx *ctx, OGRFeatureH f, int idx, sg_where w, const char *what, double *v) {
    sg_cell cell;
    if (sg__cell_from_feature(f, idx, &cell) != 0) {
        sg__nomem(ctx);
        return 0;
    }
    const char *why = NULL;
    sg_numparse r = sg__cell_number(&cell, v, &why);
    int ok = 0;
    if (r == SG_NUM_MISSING)
        sg__report(ctx, "E_MISSING_VALUE", w, "%s is missing (%s): every feature needs one", what,
                   why ? why : "empty");
    else if (r != SG_NUM_OK)
        sg__report(ctx, "E_NOT_NUMBER", w, "%s '%s' is %s", what, cell.kind == SG_CELL_TEXT ? cell.text : "?",
                   why ? why : "not a number");
    else if (*v < 0)
        sg__report(ctx, "E_NEGATIVE", w, "negative %s %g", what, *v);
    else if (*v > SG_MAX_COUNT) /* 1.797e308 made the sums infinite: total capacity and 2SFCA null */
        sg__report(ctx, "E_TOO_LARGE", w, "%s %g is more than seggap accepts (%g): a wrong field, unit or number "
                   "format?", what, *v, SG_MAX_COUNT);
    else ok = 1;
    sg__cell_clear(&cell);
    return ok;
}

sg_status sg__services_read(sg_ctx *ctx, const sg_service_spec *spec, const sg_options *o, const sg_crs_info *crs,
                            const sg_city *city, int points_only, sg_services *out) {
    memset(out, 0, sizeof *out);
    out->spec = spec;
    GEOSContextHandle_t h = sg__geos(ctx);
    double t_start = sg__now();
    void *dsv = NULL, *lyrv = NULL;
    sg_status st = sg__open_layer(ctx, spec->path, spec->layer, spec->type, "--service-layer", &dsv, &lyrv, &out->src);
    if (st != SG_OK) return st;
    GDALDatasetH ds = dsv;
    OGRLayerH lyr = lyrv;
    sg_where w = {spec->path, out->src.layer, -1, NULL, NULL};
    PJ *op = NULL;
    if (spec->where) {
        out->src.where = sg__strdup(spec->where);
        sg__gdal_push(ctx);
        OGRErr e = OGR_L_SetAttributeFilter(lyr, spec->where);
        sg__gdal_pop();
        if (e != OGRERR_NONE) {
            st = sg__error(ctx, SG_ERR_USAGE, "E_SERVICE_WHERE", w, "--service-where \"%s\" is not a valid filter: %s",
                           spec->where, sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "syntax error");
            goto done;
        }
    }
    st = sg__layer_transform(ctx, OGR_L_GetSpatialRef(lyr), crs, w, &out->src, &op);
    if (st != SG_OK) goto done;
    int cap_idx = -1;
    if (spec->capacity) {
        cap_idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), spec->capacity);
        if (cap_idx < 0) {
            char *fl = sg__layer_field_list(OGR_L_GetLayerDefn(lyr));
            w.field = spec->capacity;
            st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--capacity field not found (fields: %s)",
                           fl ? fl : "");
            free(fl);
            goto done;
        }
    }
    int sid_idx = -1; /* --service-id: the ids --travel-times names the services by */
    if (spec->id_field && (sid_idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), spec->id_field)) < 0) {
        char *fl = sg__layer_field_list(OGR_L_GetLayerDefn(lyr));
        w.field = spec->id_field;
        st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--service-id field not found (fields: %s)",
                       fl ? fl : "");
        free(fl);
        goto done;
    }
    /* the services layer shows each location's 'name' when the layer has that field */
    int name_idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "name");
    size_t before = sg__nerrors(ctx), cap = 0, nrepaired = 0;
    long long *skipped = NULL;
    size_t nskipped_ids = 0;
    OGR_L_ResetReading(lyr);
    sg__gdal_push(ctx);
    OGRFeatureH f;
    char read_err[SG_GDAL_MSG_MAX];
    read_err[0] = '\0';
    while (st == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        out->src.features++;
        long long fid = OGR_F_GetFID(f);
        sg_where fw = {spec->path, out->src.layer, fid, NULL, spec->capacity};
        double supply = 1;
        if (cap_idx >= 0 && !feature_number(ctx, f, cap_idx, fw, "capacity", &supply)) {
            OGR_F_Destroy(f);
            continue;
        }
        fw.field = NULL;
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        double nx, ny;
        if (sg__ogr_point_nan(og, &nx, &ny)) {
            sg__report(ctx, "E_BAD_COORDINATE", fw, "the point's coordinate is not finite (x %g, y %g): not a location",
                       nx, ny);
            OGR_F_Destroy(f);
            continue;
        }
        if (!og || OGR_G_IsEmpty(og)) {
            if (o->strict) {
                sg__report(ctx, og ? "E_EMPTY_GEOMETRY" : "E_NULL_GEOMETRY", fw,
                           "service without geometry (--strict)");
            } else {
                out->nskipped++;
                if (nskipped_ids < SG_FIRST_IDS) {
                    long long *ns = sg__reallocarray(skipped, nskipped_ids + 1, sizeof *ns);
                    if (ns) {
                        skipped = ns;
                        skipped[nskipped_ids++] = fid;
                    }
                }
            }
            OGR_F_Destroy(f);
            continue;
        }
        OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(og));
        int is_poly = gt == wkbPolygon || gt == wkbMultiPolygon || gt == wkbCurvePolygon || gt == wkbMultiSurface;
        if (gt != wkbPoint && gt != wkbMultiPoint && !is_poly) {
            sg__report(ctx, "E_SERVICE_GEOMETRY", fw, "a %s: a service must be a point, multipoint or polygon",
                       OGRGeometryTypeToName(gt));
            OGR_F_Destroy(f);
            continue;
        }
        const char *sid = sid_idx >= 0 && OGR_F_IsFieldSetAndNotNull(f, sid_idx) ? OGR_F_GetFieldAsString(f, sid_idx)
                                                                                 : NULL;
        if (sid_idx >= 0 && (!sid || !*sid)) {
            fw.field = spec->id_field;
            sg__report(ctx, "E_MISSING_VALUE", fw, "the service id (--service-id) is missing: --travel-times names "
                       "every service by it");
            OGR_F_Destroy(f);
            continue;
        }
        char *sidc = sid ? sg__strdup(sid) : NULL;
        char *name = NULL;
        if ((sid && !sidc) || (name_idx >= 0 && OGR_F_IsFieldSetAndNotNull(f, name_idx) &&
            !(name = sg__strdup(OGR_F_GetFieldAsString(f, name_idx))))) {
            OGR_F_Destroy(f);
            free(sidc);
            st = sg__nomem(ctx);
            break;
        }
        const char *why = NULL;
        GEOSGeometry *g = sg__ogr_to_work(ctx, og, op, &why);
        OGR_F_Destroy(f);
        if (!g) {
            sg__report(ctx, "E_TRANSFORM", fw, "%s", why ? why : "unusable geometry");
            free(name);
            free(sidc);
            continue;
        }
        int bad = 0;
        if (gt == wkbPoint || gt == wkbMultiPoint) {
            int np = GEOSGetNumGeometries_r(h, g);
            if (np > 1) out->nsplit++;
            for (int k = 0; k < np && !bad; k++) {
                const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, k);
                double x, y;
                if (!GEOSGeomGetX_r(h, p, &x) || !GEOSGeomGetY_r(h, p, &y)) {
                    sg__report(ctx, "E_TRANSFORM", fw, "cannot read the point");
                    bad = 1;
                } else if (svc_add(out, &cap, x, y, supply / np, fid, NULL, name, sidc) != 0) {
                    st = sg__nomem(ctx);
                    bad = 1;
                }
            }
            GEOSGeom_destroy_r(h, g);
            free(name);
            free(sidc);
            continue;
        }
        if (GEOSisValid_r(h, g) != 1) {
            GEOSGeometry *v = GEOSMakeValid_r(h, g);
            if (v) {
                GEOSGeom_destroy_r(h, g);
                g = v;
                nrepaired++;
            }
        }
        double x, y;
        if (!surface_point(h, g, &x, &y)) {
            sg__report(ctx, "E_SERVICE_GEOMETRY", fw, "the polygon has no interior point (degenerate?)");
            GEOSGeom_destroy_r(h, g);
            free(name);
            free(sidc);
            continue;
        }
        int keep = !points_only && !o->service_point;
        int added = svc_add(out, &cap, x, y, supply, fid, keep ? g : NULL, name, sidc) == 0;
        free(name);
        free(sidc);
        if (!added) {
            GEOSGeom_destroy_r(h, g);
            st = sg__nomem(ctx);
            break;
        }
        if (keep) out->npoly++;
        else GEOSGeom_destroy_r(h, g);
    }
    if (sg__gdal_msg(ctx)[0]) snprintf(read_err, sizeof read_err, "%s", sg__gdal_msg(ctx));
    sg__gdal_pop();
    if (st == SG_OK) st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "service");
    /* drivers that filter in SQL (GeoPackage) report a bad filter only when reading */
    if (st == SG_OK && out->src.features == 0 && spec->where && read_err[0])
        st = sg__error(ctx, SG_ERR_USAGE, "E_SERVICE_WHERE", w, "--service-where \"%s\" is not a valid filter: %s",
                       spec->where, read_err);
    else if (st == SG_OK && out->src.features == 0 && read_err[0])
        st = sg__error(ctx, SG_ERR_INPUT, "E_READ", w, "reading failed: %s", read_err);
    if (st == SG_OK && out->src.features == 0)
        st = spec->where ? sg__error(ctx, SG_ERR_DATA, "E_EMPTY_SERVICES", w,
                                     "no service matches --service-where \"%s\": nothing to measure access to",
                                     spec->where)
                         : sg__error(ctx, SG_ERR_DATA, "E_EMPTY_SERVICES", w,
                                     "the layer has no features: nothing to measure access to");
    if (st == SG_OK && out->n == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_EMPTY_SERVICES", w,
                       "none of the %lld services has a geometry: nothing to measure access to", out->src.features);
    if (st == SG_OK && out->nskipped) {
        char *list = NULL;
        for (size_t k = 0; k < nskipped_ids; k++) {
            char *l2 = sg__asprintf("%s%s%lld", list ? list : "", list ? ", " : "", skipped[k]);
            free(list);
            list = l2;
            if (!list) break;
        }
        sg__warn(ctx, "W_SERVICE_NO_GEOMETRY", w,
                 "%zu of %lld services have no geometry and are left out (fid %s%s); --strict makes this an error",
                 out->nskipped, out->src.features, list ? list : "?", out->nskipped > nskipped_ids ? ", ..." : "");
        free(list);
    }
    free(skipped);
    if (st == SG_OK && nrepaired)
        sg__warn(ctx, "W_SERVICE_REPAIRED", w, "%zu invalid service polygons were repaired with GEOS MakeValid",
                 nrepaired);
    if (st == SG_OK) {
        sg_ksum k = {0, 0};
        for (size_t i = 0; i < out->n; i++) sg__ksum_add(&k, out->cap[i]);
        out->total_capacity = sg__ksum_get(&k);
        if (spec->capacity && !(out->total_capacity > 0))
            sg__warn(ctx, "W_ZERO_CAPACITY", (sg_where){spec->path, out->src.layer, -1, NULL, spec->capacity},
                     "every capacity is 0: fca2_%s and e2sfca_%s are 0 everywhere", spec->type, spec->type);
        check_extent(ctx, out, city, crs, w);
    }
done:
    proj_destroy(op);
    GDALClose(ds);
    sg__stage_add(ctx, "read.services", sg__now() - t_start);
    return st;
}

/* ---- origins ---- */

void sg__origins_free(sg_origins *og) {
    if (!og) return;
    free(og->x);
    free(og->y);
    free(og->district);
    free(og->w);
    free(og->demand);
    free(og->off);
    sg__src_info_free(&og->src);
    memset(og, 0, sizeof *og);
}

static int origins_alloc(sg_origins *og, size_t n, size_t ncity) {
    size_t m = n ? n : 1;
    og->x = malloc(m * sizeof *og->x);
    og->y = malloc(m * sizeof *og->y);
    og->district = malloc(m * sizeof *og->district);
    og->w = malloc(m * sizeof *og->w);
    og->demand = malloc(m * sizeof *og->demand);
    og->off = calloc(ncity + 1, sizeof *og->off);
    return og->x && og->y && og->district && og->w && og->demand && og->off;
}

/* A raw population point. */
typedef struct pop_pt {
    double x, y, pop;
    size_t district;
} pop_pt;

typedef struct pip_query {
    GEOSContextHandle_t h;
    const GEOSPreparedGeometry *const *prep;
    const GEOSGeometry *pt;
    size_t best;
} pip_query;

static void pip_cb(void *item, void *userdata) {
    pip_query *q = userdata;
    size_t i = *(const size_t *)item;
    if (i >= q->best) return;
    if (GEOSPreparedIntersects_r(q->h, q->prep[i], q->pt) == 1) q->best = i;
}

static sg_status read_population(sg_ctx *ctx, const sg_options *o, const sg_city *c, const sg_crs_info *crs,
                                 sg_origins *og, pop_pt **pts_out, size_t *npts_out) {
    GEOSContextHandle_t h = sg__geos(ctx);
    *pts_out = NULL;
    *npts_out = 0;
    void *dsv = NULL, *lyrv = NULL;
    sg_status st = sg__open_layer(ctx, o->population_points, o->population_layer, NULL, "--population-layer", &dsv,
                                  &lyrv, &og->src);
    if (st != SG_OK) return st;
    GDALDatasetH ds = dsv;
    OGRLayerH lyr = lyrv;
    sg_where w = {o->population_points, og->src.layer, -1, NULL, NULL};
    PJ *op = NULL;
    st = sg__layer_transform(ctx, OGR_L_GetSpatialRef(lyr), crs, w, &og->src, &op);
    int idx = st == SG_OK ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), o->population_field) : -1;
    if (st == SG_OK && idx < 0) {
        char *fl = sg__layer_field_list(OGR_L_GetLayerDefn(lyr));
        w.field = o->population_field;
        st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--population-field not found (fields: %s)",
                       fl ? fl : "");
        free(fl);
    }
    /* Districts in an STRtree with prepared geometries for point-in-polygon. */
    GEOSSTRtree *tree = NULL;
    GEOSPreparedGeometry **prep = NULL;
    size_t *item = NULL;
    if (st == SG_OK) {
        tree = GEOSSTRtree_create_r(h, 10);
        prep = calloc(c->n + 1, sizeof *prep);
        item = malloc((c->n + 1) * sizeof *item);
        if (!tree || !prep || !item) st = sg__nomem(ctx);
        for (size_t i = 0; st == SG_OK && i < c->n; i++) {
            item[i] = i;
            if (!c->geom[i]) continue;
            prep[i] = (GEOSPreparedGeometry *)GEOSPrepare_r(h, c->geom[i]);
            if (!prep[i]) st = sg__nomem(ctx);
            else GEOSSTRtree_insert_r(h, tree, c->geom[i], &item[i]);
        }
    }
    pop_pt *pts = NULL;
    size_t n = 0, cap = 0, nogeom = 0, before = sg__nerrors(ctx);
    if (st == SG_OK) {
        OGR_L_ResetReading(lyr);
        sg__gdal_push(ctx);
        OGRFeatureH f;
        while (st == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
            og->points_read++;
            og->src.features++;
            long long fid = OGR_F_GetFID(f);
            sg_where fw = {o->population_points, og->src.layer, fid, NULL, o->population_field};
            double pop;
            OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
            if (!feature_number(ctx, f, idx, fw, "population", &pop)) {
                OGR_F_Destroy(f);
                continue;
            }
            double nx, ny;
            if (sg__ogr_point_nan(g0, &nx, &ny)) {
                fw.field = NULL;
                sg__report(ctx, "E_BAD_COORDINATE", fw, "the point's coordinate is not finite (x %g, y %g): not a "
                           "location", nx, ny);
                OGR_F_Destroy(f);
                continue;
            }
            if (!g0 || OGR_G_IsEmpty(g0)) {
                nogeom++;
                OGR_F_Destroy(f);
                continue;
            }
            fw.field = NULL;
            const char *why = NULL;
            GEOSGeometry *g = sg__ogr_to_work(ctx, g0, op, &why);
            OGR_F_Destroy(f);
            double x, y;
            if (!g) {
                sg__report(ctx, "E_TRANSFORM", fw, "%s", why ? why : "unusable geometry");
                continue;
            }
            int ok = GEOSGeomTypeId_r(h, g) == GEOS_POINT ? (GEOSGeomGetX_r(h, g, &x) && GEOSGeomGetY_r(h, g, &y))
                                                          : surface_point(h, g, &x, &y);
            GEOSGeom_destroy_r(h, g);
            if (!ok) {
                sg__report(ctx, "E_TRANSFORM", fw, "no point can be taken from this geometry");
                continue;
            }
            if (pop == 0) continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                pop_pt *np = sg__reallocarray(pts, nc, sizeof *np);
                if (!np) {
                    st = sg__nomem(ctx);
                    break;
                }
                pts = np;
                cap = nc;
            }
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
            pip_query q = {h, (const GEOSPreparedGeometry *const *)prep, pt, (size_t)-1};
            if (pt) {
                GEOSSTRtree_query_r(h, tree, pt, pip_cb, &q);
                GEOSGeom_destroy_r(h, pt);
            }
            pts[n].x = x;
            pts[n].y = y;
            pts[n].pop = pop;
            pts[n].district = q.best;
            if (q.best == (size_t)-1) og->points_outside++;
            n++;
        }
        sg__gdal_pop();
    }
    if (st == SG_OK) st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "population point");
    if (st == SG_OK && nogeom)
        sg__warn(ctx, "W_POPULATION_NO_GEOMETRY", w, "%zu of %lld population points have no geometry and are left out",
                 nogeom, og->points_read);
    if (st == SG_OK && og->points_outside)
        sg__warn(ctx, "W_POPULATION_OUTSIDE", w,
                 "%zu of %lld population points lie in no district and are left out", og->points_outside,
                 og->points_read);
    for (size_t i = 0; prep && i < c->n; i++)
        if (prep[i]) GEOSPreparedGeom_destroy_r(h, prep[i]);
    free(prep);
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    free(item);
    proj_destroy(op);
    GDALClose(ds);
    if (st != SG_OK) {
        free(pts);
        return st;
    }
    *pts_out = pts;
    *npts_out = n;
    return SG_OK;
}

sg_status sg__origins_build(sg_ctx *ctx, const sg_options *o, const sg_city *c, const sg_crs_info *crs,
                            sg_origins *og) {
    memset(og, 0, sizeof *og);
    GEOSContextHandle_t h = sg__geos(ctx);
    pop_pt *pts = NULL;
    size_t npts = 0;
    sg_status st = SG_OK;
    double *P = calloc(c->n + 1, sizeof *P);
    size_t *cnt = calloc(c->n + 1, sizeof *cnt);
    if (!P || !cnt) st = sg__nomem(ctx);
    if (st == SG_OK && o->population_points) {
        og->from_points = 1;
        st = read_population(ctx, o, c, crs, og, &pts, &npts);
    }
    for (size_t k = 0; st == SG_OK && k < npts; k++)
        if (pts[k].district != (size_t)-1) {
            P[pts[k].district] += pts[k].pop;
            cnt[pts[k].district]++;
        }
    /* Count the origins: the district's points, or its point on surface. */
    size_t n = 0, *fb = NULL, nfb = 0;
    if (st == SG_OK) {
        fb = malloc((c->n + 1) * sizeof *fb);
        if (!fb) st = sg__nomem(ctx);
    }
    for (size_t i = 0; st == SG_OK && i < c->n; i++) {
        if (!c->geom[i]) continue;
        if (P[i] > 0) n += cnt[i];
        else {
            n++;
            if (og->from_points) fb[nfb++] = i;
        }
    }
    if (st == SG_OK && !origins_alloc(og, n, c->n)) st = sg__nomem(ctx);
    if (st == SG_OK) {
        /* offsets */
        for (size_t i = 0; i < c->n; i++) {
            size_t m = !c->geom[i] ? 0 : P[i] > 0 ? cnt[i] : 1;
            og->off[i + 1] = og->off[i] + m;
        }
        og->n = n;
        size_t *pos = malloc((c->n + 1) * sizeof *pos);
        if (!pos) st = sg__nomem(ctx);
        for (size_t i = 0; pos && i < c->n; i++) pos[i] = og->off[i];
        for (size_t k = 0; pos && k < npts; k++) {
            size_t i = pts[k].district;
            if (i == (size_t)-1 || !(P[i] > 0) || !c->geom[i]) continue;
            size_t j = pos[i]++;
            og->x[j] = pts[k].x;
            og->y[j] = pts[k].y;
            og->district[j] = i;
            og->w[j] = pts[k].pop / P[i];
        }
        for (size_t i = 0; pos && st == SG_OK && i < c->n; i++) {
            if (!c->geom[i] || P[i] > 0) continue;
            size_t j = pos[i]++;
            if (!surface_point(h, c->geom[i], &og->x[j], &og->y[j])) {
                st = sg__error(ctx, SG_ERR_GEOMETRY, "E_GEOMETRY", (sg_where){NULL, NULL, c->fid[i], c->id[i], NULL},
                               "GEOS finds no point on the surface of this district: %s", sg__geos_msg(ctx));
                break;
            }
            og->district[j] = i;
            og->w[j] = 1;
        }
        for (size_t j = 0; j < n; j++) {
            double t = c->total[og->district[j]];
            og->demand[j] = isfinite(t) && t > 0 ? t * og->w[j] : 0;
        }
        free(pos);
    }
    og->fallback = nfb;
    if (st == SG_OK && nfb) {
        char *ids = sg__first_ids(c, fb, nfb);
        sg__warn(ctx, "W_POPULATION_FALLBACK", (sg_where){o->population_points, og->src.layer, -1, NULL, NULL},
                 "%zu districts have no population point with residents: their point on surface stands for them: %s",
                 nfb, ids ? ids : "");
        free(ids);
    }
    free(fb);
    free(pts);
    free(P);
    free(cnt);
    return st; /* on error the caller frees og with sg__origins_free */
}
