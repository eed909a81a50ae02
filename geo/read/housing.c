/* Housing inputs of objective 10:
 *  - --housing SRC [--housing-layer NAME] --housing-units FIELD: social or
 *    affordable housing sites (points, or polygons taken at their point on
 *    surface) with a number of units, in any CRS. They are reprojected into
 *    the working CRS with PROJ and assigned to the district that contains
 *    them (GEOS STRtree + prepared geometries; a site on a shared boundary
 *    goes to the first district read). Units per district are their sum.
 *    dist_housing_m is the distance from each district's point on surface to
 *    the nearest site (STRtree nearest, exact GEOS distance).
 *  - --social-housing-field FIELD: units per district, read with the
 *    districts (layer or --table), used instead of the layer's sums when both
 *    are given (the layer then gives distances only).
 *  - --overcrowding-field FIELD --overcrowding-scale fraction|percent|ratio:
 *    a share of overcrowded households (stored as a fraction) or a ratio such
 *    as persons per room (stored as is).
 * Missing values stay missing: a site whose units are missing makes its
 * district's units unknown (an error with --strict); nothing is read as 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "read/read_internal.h"

/* What the housing readers take from the run. */
typedef struct housing_in {
    const sg_options *opts;
    const sg_reader *rd;
    const sg_city *city;
} housing_in;

#define SG_FIRST_FIDS 10
#define SG_MAX_PERSONS_PER_ROOM 5 /* a city's mean above it: not persons per room (W_OVERCROWDING_LIVING_SPACE) */

void sg__housing_free(sg_housing *h) {
    free(h->units_from);
    free(h->path);
    free(h->layer);
    free(h->driver);
    free(h->units_field);
    free(h->crs_name);
    free(h->units);
    free(h->dist_m);
    free(h->overcrowding);
    memset(h, 0, sizeof *h);
}



typedef struct hit_list {
    size_t *i;
    size_t n, cap;
} hit_list;

static void collect(void *item, void *ud) {
    hit_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        size_t *ni = sg__reallocarray(l->i, cap, sizeof *ni);
        if (!ni) return;
        l->i = ni;
        l->cap = cap;
    }
    l->i[l->n++] = *(const size_t *)item;
}

static int site_dist(const void *item1, const void *item2, double *d, void *ud) {
    sg_ctx *ctx = ud;
    return GEOSDistance_r(sg__geos(ctx), item1, item2, d);
}

/* Overcrowding values read with the districts, converted and range-checked. */
static sg_status read_overcrowding(sg_ctx *ctx, const housing_in *in, sg_housing *h) {
    const sg_city *c = in->city;
    const sg_options *o = in->opts;
    const sg_field_src *fs = &in->rd->fields[SG_ROLE_OVERCROWD];
    h->overcrowding = malloc((c->n ? c->n : 1) * sizeof *h->overcrowding);
    if (!h->overcrowding) return sg__nomem(ctx);
    h->have_overcrowding = 1;
    h->overcrowding_unit = o->overcrowding_kind == SG_OVERCROWD_RATIO ? "ratio (e.g. persons per room)" : "fraction";
    double scale = o->overcrowding_kind == SG_OVERCROWD_PERCENT ? 100.0 : 1.0;
    const char *file = fs->table < 0 ? in->rd->districts.path : in->rd->tables[fs->table].spec->path;
    size_t before = sg__nerrors(ctx), missing = 0;
    sg_ksum tv = {0, 0}, tt = {0, 0};
    for (size_t i = 0; i < c->n; i++) {
        double v = c->overcrowding ? c->overcrowding[i] : NAN;
        h->overcrowding[i] = NAN;
        if (!isfinite(v)) {
            missing += c->status[i] != SG_DS_NO_DATA && c->status[i] != SG_DS_ZERO_TOTAL;
            continue;
        }
        sg_where w = {file, NULL, c->fid[i], c->id[i], fs->name};
        if (v < 0 || (o->overcrowding_kind != SG_OVERCROWD_RATIO && v > scale)) {
            sg__report(ctx, "E_OVERCROWDING_RANGE", w, "overcrowding %g is outside [0, %g] (--overcrowding-scale %s)",
                       v, scale, o->overcrowding_scale_text);
            continue;
        }
        h->overcrowding[i] = v / scale;
        if (c->status[i] == SG_DS_OK || c->status[i] == SG_DS_REPAIRED) {
            sg__ksum_add(&tv, c->total[i] * v);
            sg__ksum_add(&tt, c->total[i]);
        }
    }
    /* Issue 17: living space per person (m², 20-60) given as a ratio would
     * count more space as more overcrowding; persons per room average far
     * below SG_MAX_PERSONS_PER_ROOM in any city. */
    double mean = sg__ksum_get(&tt) > 0 ? sg__ksum_get(&tv) / sg__ksum_get(&tt) : NAN;
    if (o->overcrowding_kind == SG_OVERCROWD_RATIO && mean > SG_MAX_PERSONS_PER_ROOM)
        sg__warn(ctx, "W_OVERCROWDING_LIVING_SPACE", (sg_where){file, NULL, -1, NULL, fs->name},
                 "overcrowding read as a ratio averages %.3g (population-weighted): no city averages %g persons "
                 "per room. If this is living space per person (m²), more of it is less crowding and it is read "
                 "the wrong way round here: give it as --housing-indicator living_space=%s (lower is worse)",
                 mean, (double)SG_MAX_PERSONS_PER_ROOM, fs->name);
    if (missing)
        sg__warn(ctx, "W_OVERCROWDING_MISSING", (sg_where){file, NULL, -1, NULL, fs->name},
                 "%zu districts with residents have no overcrowding value: objective 10 cannot judge their "
                 "overcrowding", missing);
    return sg__fail_if_errors(ctx, before, SG_ERR_DATA, "housing");
}

/* --social-housing-field: units per district. */
static sg_status read_units_field(sg_ctx *ctx, const housing_in *in, sg_housing *h) {
    const sg_city *c = in->city;
    const sg_field_src *fs = &in->rd->fields[SG_ROLE_SOCIAL];
    free(h->units);
    h->units = malloc((c->n ? c->n : 1) * sizeof *h->units);
    if (!h->units) return sg__nomem(ctx);
    size_t missing = 0;
    for (size_t i = 0; i < c->n; i++) {
        h->units[i] = c->social_units ? c->social_units[i] : NAN;
        if (!isfinite(h->units[i])) missing += c->status[i] != SG_DS_NO_DATA && c->status[i] != SG_DS_ZERO_TOTAL;
    }
    h->have_units = 1;
    const char *file = fs->table < 0 ? in->rd->districts.path : in->rd->tables[fs->table].spec->path;
    h->units_from = sg__asprintf("--social-housing-field %s (%s)", fs->name, file);
    if (missing)
        sg__warn(ctx, "W_SOCIAL_HOUSING_MISSING", (sg_where){file, NULL, -1, NULL, fs->name},
                 "%zu districts with residents have no social housing value: their supply is unknown", missing);
    return h->units_from ? SG_OK : sg__nomem(ctx);
}

typedef struct site_list {
    GEOSGeometry **g; /* working CRS */
    size_t n, cap;
} site_list;

static void sites_free(sg_ctx *ctx, site_list *s) {
    for (size_t k = 0; k < s->n; k++) GEOSGeom_destroy_r(sg__geos(ctx), s->g[k]);
    free(s->g);
}

/* The housing layer: sites, their units by district, dist_housing_m. */
static sg_status read_layer(sg_ctx *ctx, const housing_in *in, sg_housing *h) {
    const sg_options *o = in->opts;
    const sg_city *c = in->city;
    GEOSContextHandle_t gh = sg__geos(ctx);
    sg_where w = {o->housing, o->housing_layer, -1, NULL, NULL};
    h->have_sites = 1;
    h->path = sg__strdup(o->housing);
    h->units_field = sg__strdup(o->housing_units);
    if (!h->path || !h->units_field) return sg__nomem(ctx);
    sg_status st = SG_OK;
    GDALDatasetH ds = sg__open_vector(ctx, o->housing, w, "--housing: ", SG_OPEN_STAT_PG, &st);
    if (!ds) return st;
    OGRLayerH lyr = NULL;
    int nl = GDALDatasetGetLayerCount(ds);
    if (o->housing_layer) lyr = GDALDatasetGetLayerByName(ds, o->housing_layer);
    else if (nl == 1) lyr = GDALDatasetGetLayer(ds, 0);
    if (!lyr) {
        char *names = sg__layer_names(ds);
        if (o->housing_layer)
            st = sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w, "--housing-layer: no such layer (layers: %s)",
                           names ? names : "");
        else if (nl == 0)
            st = sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w, "--housing source has no layer");
        else
            st = sg__error(ctx, SG_ERR_USAGE, "E_CHOOSE_LAYER", w,
                           "--housing source has %d layers (%s): choose one with --housing-layer", nl,
                           names ? names : "");
        free(names);
        GDALClose(ds);
        return st;
    }
    h->layer = sg__strdup(OGR_L_GetName(lyr));
    h->driver = sg__strdup(GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    if (sg__sha256_file(o->housing, h->sha256) != 0) h->sha256[0] = '\0';
    w.layer = h->layer;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int uidx = OGR_FD_GetFieldIndex(defn, o->housing_units);
    if (uidx < 0) {
        char *list = sg__layer_field_list(defn);
        w.field = o->housing_units;
        st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--housing-units field not found (fields: %s)",
                       list ? list : "?");
        free(list);
        GDALClose(ds);
        return st;
    }
    /* CRS: the layer's, transformed into the working CRS. */
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lyr);
    PJ *src = NULL;
    if (srs) {
        char *wkt = NULL;
        const char *eo[] = {"FORMAT=WKT2_2019", NULL};
        if (OSRExportToWktEx(srs, &wkt, eo) == OGRERR_NONE && wkt) src = proj_create(sg__proj(ctx), wkt);
        CPLFree(wkt);
    }
    if (!src) {
        GDALClose(ds);
        return sg__error(ctx, SG_ERR_CRS, srs ? "E_CRS" : "E_NO_CRS", w,
                         srs ? "the housing layer's CRS cannot be read by PROJ: %s"
                             : "the housing layer has no CRS%s: it cannot be placed on the districts",
                         srs ? sg__proj_msg(ctx) : "");
    }
    h->crs_name = sg__strdup(proj_get_name(src));
    sg_xform xf = {NULL, 0, 0};
    if (!proj_is_equivalent_to(src, in->rd->crs.work, PJ_COMP_EQUIVALENT)) {
        PJ *op = proj_create_crs_to_crs_from_pj(sg__proj(ctx), src, in->rd->crs.work, NULL, NULL);
        xf.op = op ? proj_normalize_for_visualization(sg__proj(ctx), op) : NULL;
        proj_destroy(op);
        if (!xf.op) {
            st = sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "no transformation from %s to the working CRS %s: %s",
                           h->crs_name ? h->crs_name : "?", in->rd->crs.work_name, sg__proj_msg(ctx));
            proj_destroy(src);
            GDALClose(ds);
            return st;
        }
    }
    proj_destroy(src);

    /* Districts: STRtree of their envelopes, prepared geometries on demand. */
    size_t n = c->n, nn = n ? n : 1;
    size_t *item = malloc(nn * sizeof *item);
    const GEOSPreparedGeometry **prep = calloc(nn, sizeof *prep);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(gh, 10);
    double *units = calloc(nn, sizeof *units);
    unsigned char *unknown = calloc(nn, 1);
    site_list sites = {NULL, 0, 0};
    hit_list hits = {NULL, 0, 0};
    char *outside_fids = NULL, *nounit_fids = NULL;
    size_t n_outside_listed = 0, n_nounit_listed = 0;
    if (!item || !prep || !tree || !units || !unknown) st = sg__nomem(ctx);
    for (size_t i = 0; st == SG_OK && i < n; i++) {
        item[i] = i;
        if (c->geom[i]) GEOSSTRtree_insert_r(gh, tree, c->geom[i], &item[i]);
    }
    size_t before = sg__nerrors(ctx);
    OGR_L_ResetReading(lyr);
    sg__gdal_push(ctx);
    OGRFeatureH f;
    while (st == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        long long fid = OGR_F_GetFID(f);
        h->sites_read++;
        sg_where fw = {o->housing, h->layer, fid, NULL, NULL};
        /* units */
        sg_cell cell = {SG_CELL_NULL, NAN, NULL};
        double u = NAN;
        const char *why = "";
        sg__cell_from_feature(f, uidx, &cell);
        sg_numparse pr = sg__cell_number(&cell, &u, &why);
        fw.field = o->housing_units;
        if (pr == SG_NUM_MISSING) {
            u = NAN;
            h->sites_no_units++;
            if (o->strict) sg__report(ctx, "E_MISSING_VALUE", fw, "no unit count (--strict: missing values are errors)");
            else if (n_nounit_listed++ < SG_FIRST_FIDS) {
                char *s = sg__asprintf("%s%s%lld", nounit_fids ? nounit_fids : "", nounit_fids ? ", " : "", fid);
                free(nounit_fids);
                nounit_fids = s;
            }
        } else if (pr != SG_NUM_OK) {
            sg__report(ctx, "E_NOT_NUMBER", fw, "'%s' is %s", cell.kind == SG_CELL_TEXT ? cell.text : "?", why);
            u = NAN;
        } else if (u < 0) {
            sg__report(ctx, "E_NEGATIVE", fw, "negative unit count %g", u);
            u = NAN;
        }
        sg__cell_clear(&cell);
        fw.field = NULL;
        /* geometry */
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType gt = og ? wkbFlatten(OGR_G_GetGeometryType(og)) : wkbUnknown;
        double nx, ny;
        if (sg__ogr_point_nan(og, &nx, &ny)) {
            sg__report(ctx, "E_BAD_COORDINATE", fw, "the site's coordinate is not finite (x %g, y %g): not a location",
                       nx, ny);
            OGR_F_Destroy(f);
            continue;
        }
        /* as for services: a line (or anything else) is not a site */
        if (og && gt != wkbPoint && gt != wkbMultiPoint && gt != wkbPolygon && gt != wkbMultiPolygon &&
            gt != wkbCurvePolygon && gt != wkbMultiSurface) {
            sg__report(ctx, "E_HOUSING_GEOMETRY", fw, "a %s: a housing site must be a point, multipoint or polygon",
                       OGRGeometryTypeToName(gt));
            OGR_F_Destroy(f);
            continue;
        }
        const char *gwhy = NULL;
        GEOSGeometry *g = og && !OGR_G_IsEmpty(og) ? sg__ogr_to_work(ctx, og, NULL, &gwhy) : NULL;
        OGR_F_Destroy(f);
        if (!g) {
            h->sites_no_geom++;
            if (og && !OGR_G_IsEmpty(og))
                sg__report(ctx, "E_GEOMETRY", fw, "the geometry cannot be read: %s",
                           gwhy && strcmp(gwhy, "GEOS cannot read the geometry") != 0 ? gwhy : sg__geos_msg(ctx));
            else if (o->strict)
                sg__report(ctx, "E_NO_GEOMETRY", fw, "no geometry (--strict)");
            continue;
        }
        if (xf.op) {
            GEOSGeometry *t = GEOSGeom_transformXY_r(gh, g, sg__xform_xy, &xf);
            GEOSGeom_destroy_r(gh, g);
            g = t;
            if (!g) {
                sg__report(ctx, "E_TRANSFORM", fw, "coordinate (%.10g, %.10g) cannot be transformed into %s",
                           xf.bad_x, xf.bad_y, in->rd->crs.work_name);
                continue;
            }
        }
        if (!isfinite(u) && pr != SG_NUM_MISSING) {
            GEOSGeom_destroy_r(gh, g);
            continue; /* reported above */
        }
        /* the site's point: itself, or its point on surface */
        GEOSGeometry *pt = GEOSGeomTypeId_r(gh, g) == GEOS_POINT ? NULL : GEOSPointOnSurface_r(gh, g);
        const GEOSGeometry *p = pt ? pt : g;
        hits.n = 0;
        GEOSSTRtree_query_r(gh, tree, p, collect, &hits);
        size_t best = (size_t)-1;
        for (int pass = 0; pass < 2 && best == (size_t)-1; pass++)
            for (size_t k = 0; k < hits.n; k++) {
                size_t i = hits.i[k];
                if (!prep[i] && !(prep[i] = GEOSPrepare_r(gh, c->geom[i]))) continue;
                char inside = pass == 0 ? GEOSPreparedContainsProperly_r(gh, prep[i], p)
                                    : GEOSPreparedIntersects_r(gh, prep[i], p);
                if (inside == 1 && (best == (size_t)-1 || i < best)) best = i;
            }
        if (pt) GEOSGeom_destroy_r(gh, pt);
        if (best == (size_t)-1) {
            h->sites_outside++;
            if (n_outside_listed++ < SG_FIRST_FIDS) {
                char *s = sg__asprintf("%s%s%lld", outside_fids ? outside_fids : "", outside_fids ? ", " : "", fid);
                free(outside_fids);
                outside_fids = s;
            }
        } else {
            h->sites_assigned++;
            if (isfinite(u)) {
                units[best] += u;
                h->units_read += u;
            } else {
                unknown[best] = 1;
            }
        }
        if (sites.n == sites.cap) {
            size_t cap = sites.cap ? 2 * sites.cap : 64;
            GEOSGeometry **ng = sg__reallocarray(sites.g, cap, sizeof *ng);
            if (!ng) {
                GEOSGeom_destroy_r(gh, g);
                st = sg__nomem(ctx);
                break;
            }
            sites.g = ng;
            sites.cap = cap;
        }
        sites.g[sites.n++] = g;
    }
    sg__gdal_pop();
    if (st == SG_OK && sg__gdal_msg(ctx)[0]) st = sg__error(ctx, SG_ERR_INPUT, "E_READ", w, "read error: %s", sg__gdal_msg(ctx));
    if (st == SG_OK) st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "housing");
    if (st == SG_OK && h->sites_outside)
        sg__warn(ctx, "W_HOUSING_OUTSIDE", w,
                 "%lld of %lld housing sites lie in no district (fids %s%s): their units are not counted, they "
                 "still count for dist_housing_m", h->sites_outside, h->sites_read, outside_fids ? outside_fids : "",
                 h->sites_outside > SG_FIRST_FIDS ? ", ..." : "");
    if (st == SG_OK && h->sites_no_units)
        sg__warn(ctx, "W_HOUSING_NO_UNITS", (sg_where){o->housing, h->layer, -1, NULL, o->housing_units},
                 "%lld housing sites have no unit count (fids %s%s): the units of their districts are unknown",
                 h->sites_no_units, nounit_fids ? nounit_fids : "", h->sites_no_units > SG_FIRST_FIDS ? ", ..." : "");
    if (st == SG_OK && h->sites_no_geom)
        sg__warn(ctx, "W_HOUSING_NO_GEOMETRY", w, "%lld housing sites have no geometry and are not used",
                 h->sites_no_geom);
    if (st == SG_OK && sites.n == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_NO_SITES", w, "the housing layer has no usable site");
    /* units per district */
    if (st == SG_OK && !o->social_housing_field) {
        h->units = malloc(nn * sizeof *h->units);
        h->units_from = sg__asprintf("--housing %s (layer %s), --housing-units %s", o->housing, h->layer,
                                     o->housing_units);
        if (!h->units || !h->units_from) st = sg__nomem(ctx);
        for (size_t i = 0; st == SG_OK && i < n; i++) h->units[i] = unknown[i] ? NAN : units[i];
        h->have_units = 1;
    }
    /* dist_housing_m: nearest site from each district's point on surface */
    if (st == SG_OK) {
        h->dist_m = malloc(nn * sizeof *h->dist_m);
        GEOSSTRtree *stree = GEOSSTRtree_create_r(gh, 10);
        if (!h->dist_m || !stree) st = sg__nomem(ctx);
        for (size_t k = 0; st == SG_OK && k < sites.n; k++) GEOSSTRtree_insert_r(gh, stree, sites.g[k], sites.g[k]);
        for (size_t i = 0; st == SG_OK && i < n; i++) {
            h->dist_m[i] = NAN;
            if (!c->geom[i]) continue;
            GEOSGeometry *pos = GEOSPointOnSurface_r(gh, c->geom[i]);
            if (!pos) continue;
            const void *nearest = GEOSSTRtree_nearest_generic_r(gh, stree, pos, pos, site_dist, ctx);
            double d;
            if (nearest && GEOSDistance_r(gh, pos, nearest, &d)) h->dist_m[i] = d;
            GEOSGeom_destroy_r(gh, pos);
        }
        if (stree) GEOSSTRtree_destroy_r(gh, stree);
    }
    for (size_t i = 0; prep && i < n; i++)
        if (prep[i]) GEOSPreparedGeom_destroy_r(gh, prep[i]);
    free(prep);
    if (tree) GEOSSTRtree_destroy_r(gh, tree);
    free(item);
    free(units);
    free(unknown);
    free(hits.i);
    free(outside_fids);
    free(nounit_fids);
    sites_free(ctx, &sites);
    proj_destroy(xf.op);
    GDALClose(ds);
    return st;
}

sg_status sg__housing_read(sg_ctx *ctx, const sg_options *o_, const sg_reader *rd, const sg_city *city,
                           sg_housing *h) {
    const housing_in in_ = {o_, rd, city}, *in = &in_;
    const sg_options *o = in->opts;
    memset(h, 0, sizeof *h);
    sg_status st = SG_OK;
    if (o->housing) st = read_layer(ctx, in, h);
    if (st == SG_OK && o->social_housing_field) {
        if (o->housing)
            sg__warn(ctx, "W_HOUSING_BOTH", (sg_where){o->housing, h->layer, -1, NULL, NULL},
                     "both --housing and --social-housing-field: the units per district come from the field "
                     "(%s); the housing layer gives dist_housing_m only (its sites hold %g units)",
                     o->social_housing_field, h->units_read);
        st = read_units_field(ctx, in, h);
    }
    if (st == SG_OK && o->overcrowding_field) st = read_overcrowding(ctx, in, h);
    return st;
}
