/* GeoJSON layers through OGR's GeoJSON driver with RFC7946=YES: EPSG:4326
 * lon/lat, rings wound by the right-hand rule, no crs member, at most 7
 * decimals. Every district read is written.
 *
 * Speed (issue 8): the geometries are reprojected to WGS 84 once, into flat
 * coordinate arrays (sg_lonlat) that every layer shares, with the same OGR
 * coordinate transformation the driver would use (so the output is the
 * same to the bit); each layer is then created with the WGS 84 SRS, which
 * leaves the driver nothing to transform (GDAL 3.6 spends most of its time
 * per feature in building spatial references when it transforms). The
 * layers are independent files and are written on up to two threads, each
 * with its own GDAL dataset; a layer's bytes do not depend on the threads. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "write/write.h"

/* ---- the spatial references ---- */

static OGRSpatialReferenceH srs_wgs84(void) {
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s) return NULL;
    if (OSRSetWellKnownGeogCS(s, "WGS84") != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

static OGRSpatialReferenceH srs_from_wkt(const char *wkt) {
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    char *w = (char *)wkt;
    if (!s || !wkt || OSRImportFromWkt(s, &w) != OGRERR_NONE) {
        if (s) OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

/* ---- reprojection to lon/lat, once ---- */

void sg__lonlat_free(sg_lonlat *ll) {
    if (!ll) return;
    free(ll->type);
    free(ll->feat);
    free(ll->poly);
    free(ll->ring);
    free(ll->x);
    free(ll->y);
    memset(ll, 0, sizeof *ll);
}

/* Counts polygons, rings and coordinates of a (Multi)Polygon. */
static int geom_count(GEOSContextHandle_t h, const GEOSGeometry *g, size_t *np, size_t *nr, size_t *nc) {
    int t = GEOSGeomTypeId_r(h, g);
    int parts = t == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g) : 1;
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) return -1;
    for (int k = 0; k < parts; k++) {
        const GEOSGeometry *p = t == GEOS_MULTIPOLYGON ? GEOSGetGeometryN_r(h, g, k) : g;
        if (!p || GEOSGeomTypeId_r(h, p) != GEOS_POLYGON) return -1;
        (*np)++;
        if (GEOSisEmpty_r(h, p)) continue;
        int nh = GEOSGetNumInteriorRings_r(h, p);
        if (nh < 0) return -1;
        for (int r = -1; r < nh; r++) {
            const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, p) : GEOSGetInteriorRingN_r(h, p, r);
            const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
            unsigned int m = 0;
            if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &m)) return -1;
            (*nr)++;
            *nc += m;
        }
    }
    return 0;
}

static int geom_fill(GEOSContextHandle_t h, const GEOSGeometry *g, sg_lonlat *ll, size_t *np, size_t *nr,
                     size_t *nc) {
    int t = GEOSGeomTypeId_r(h, g);
    int parts = t == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g) : 1;
    for (int k = 0; k < parts; k++) {
        const GEOSGeometry *p = t == GEOS_MULTIPOLYGON ? GEOSGetGeometryN_r(h, g, k) : g;
        ll->poly[(*np)++] = *nr;
        if (GEOSisEmpty_r(h, p)) continue;
        int nh = GEOSGetNumInteriorRings_r(h, p);
        for (int r = -1; r < nh; r++) {
            const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, p) : GEOSGetInteriorRingN_r(h, p, r);
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
            unsigned int m = 0;
            GEOSCoordSeq_getSize_r(h, cs, &m);
            ll->ring[(*nr)++] = *nc;
            if (m && !GEOSCoordSeq_copyToArrays_r(h, cs, ll->x + *nc, ll->y + *nc, NULL, NULL)) return -1;
            *nc += m;
        }
    }
    return 0;
}

typedef struct xform_job {
    const sg_lonlat *ll;
    const char *src_wkt;
    unsigned char *bad; /* per feature: a coordinate failed */
} xform_job;

/* Features [b, e): transformed in place, as OGRSimpleCurve::transform does it
 * (the same call with a z of 0), with a transformation of this chunk's own:
 * OGR transformations and spatial references are not shared by threads. */
static int xform_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    xform_job *J = user;
    const sg_lonlat *ll = J->ll;
    CPLPushErrorHandler(CPLQuietErrorHandler); /* a failed point is reported by feature, below */
    OGRSpatialReferenceH src = srs_from_wkt(J->src_wkt), dst = srs_wgs84();
    OGRCoordinateTransformationH ct = src && dst ? OCTNewCoordinateTransformation(src, dst) : NULL;
    enum { CH = 4096 };
    double *z = calloc(CH, sizeof *z);
    int *ok = malloc(CH * sizeof *ok);
    int rc = ct && z && ok ? 0 : -1;
    for (size_t i = b; i < e && rc == 0; i++) {
        if (ll->type[i] != SG_LL_POLYGON && ll->type[i] != SG_LL_MULTI) continue;
        /* ring by ring, like the driver (each ring is one Transform call) */
        for (size_t r = ll->poly[ll->feat[i]]; r < ll->poly[ll->feat[i + 1]] && !J->bad[i]; r++) {
            size_t a = ll->ring[r], z1 = ll->ring[r + 1];
            while (a < z1) {
                int m = (int)(z1 - a < CH ? z1 - a : CH);
                memset(z, 0, (size_t)m * sizeof *z);
                if (!OCTTransformEx(ct, m, ll->x + a, ll->y + a, z, ok)) {
                    J->bad[i] = 1;
                    break;
                }
                for (int k = 0; k < m; k++)
                    if (!ok[k]) J->bad[i] = 1;
                a += (size_t)m;
            }
        }
    }
    free(z);
    free(ok);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (src) OSRDestroySpatialReference(src);
    if (dst) OSRDestroySpatialReference(dst);
    CPLPopErrorHandler();
    return rc; /* -1: out of memory (the transformation was made once before, in lonlat_transform) */
}

/* Whether coordinates in the CRS of src_wkt are already what the driver
 * writes (WGS 84 lon/lat): then it transforms nothing, and neither do we. */
static int is_wgs84(const char *src_wkt) {
    OGRSpatialReferenceH src = srs_from_wkt(src_wkt), dst = srs_wgs84();
    int same = src && dst && OSRIsSame(src, dst);
    if (src) OSRDestroySpatialReference(src);
    if (dst) OSRDestroySpatialReference(dst);
    return same;
}

/* Checks that the input CRS can be written (and transformed to WGS 84). */
static sg_status check_crs(sg_ctx *ctx, const char *src_wkt, const char *path) {
    sg_where w = {path, NULL, -1, NULL, NULL};
    OGRSpatialReferenceH src = srs_from_wkt(src_wkt), dst = srs_wgs84();
    sg_status st = SG_OK;
    if (!src || !dst) {
        st = sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "GDAL cannot use the input CRS for the output");
    } else if (!OSRIsSame(src, dst)) {
        sg__gdal_push(ctx);
        OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
        if (!ct)
            st = sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "cannot transform the input CRS to WGS 84 (EPSG:4326): %s",
                           sg__gdal_msg(ctx));
        else OCTDestroyCoordinateTransformation(ct);
        sg__gdal_pop();
    }
    if (src) OSRDestroySpatialReference(src);
    if (dst) OSRDestroySpatialReference(dst);
    return st;
}

static sg_status lonlat_transform(sg_ctx *ctx, sg_lonlat *ll, const char *src_wkt, int threads, const char *path) {
    sg_status st = check_crs(ctx, src_wkt, path);
    if (st != SG_OK || is_wgs84(src_wkt)) return st;
    unsigned char *bad = calloc(ll->n ? ll->n : 1, 1);
    if (!bad) return sg__nomem(ctx);
    xform_job J = {ll, src_wkt, bad};
    int nt = sg__thread_count(threads);
    size_t chunk = ll->n / (size_t)(nt > 1 ? 4 * nt : 1) + 1;
    st = sg__parallel(ctx, ll->n, threads, chunk, xform_chunk, &J);
    if (st != SG_OK) {
        free(bad);
        return st;
    }
    for (size_t i = 0; i < ll->n; i++)
        if (bad[i]) ll->type[i] = SG_LL_FAILED;
    free(bad);
    return SG_OK;
}

sg_status sg__lonlat_polygons(sg_ctx *ctx, const GEOSGeometry *const *geom, size_t n, const char *src_wkt,
                              int threads, const char *path, sg_lonlat *ll) {
    GEOSContextHandle_t h = sg__geos(ctx);
    memset(ll, 0, sizeof *ll);
    ll->n = n;
    size_t np = 0, nr = 0, nc = 0;
    ll->type = calloc(n ? n : 1, 1);
    ll->feat = malloc((n + 1) * sizeof *ll->feat);
    if (!ll->type || !ll->feat) {
        sg__lonlat_free(ll);
        return sg__nomem(ctx);
    }
    for (size_t i = 0; i < n; i++) {
        if (!geom[i]) continue;
        size_t p = np, r = nr, c = nc;
        if (geom_count(h, geom[i], &p, &r, &c) != 0) {
            ll->type[i] = SG_LL_FAILED;
            continue;
        }
        np = p;
        nr = r;
        nc = c;
        ll->type[i] = GEOSGeomTypeId_r(h, geom[i]) == GEOS_MULTIPOLYGON ? SG_LL_MULTI : SG_LL_POLYGON;
    }
    ll->poly = malloc((np + 1) * sizeof *ll->poly);
    ll->ring = malloc((nr + 1) * sizeof *ll->ring);
    ll->x = malloc((nc ? nc : 1) * sizeof *ll->x);
    ll->y = malloc((nc ? nc : 1) * sizeof *ll->y);
    if (!ll->poly || !ll->ring || !ll->x || !ll->y) {
        sg__lonlat_free(ll);
        return sg__nomem(ctx);
    }
    size_t p = 0, r = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        ll->feat[i] = p;
        if ((ll->type[i] == SG_LL_POLYGON || ll->type[i] == SG_LL_MULTI) && geom_fill(h, geom[i], ll, &p, &r, &c) != 0) {
            sg__lonlat_free(ll);
            return sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", (sg_where){path, NULL, -1, NULL, NULL},
                             "cannot read a geometry's coordinates: %s", sg__geos_msg(ctx));
        }
    }
    ll->feat[n] = p;
    ll->poly[p] = r;
    ll->ring[r] = c;
    sg_status st = lonlat_transform(ctx, ll, src_wkt, threads, path);
    if (st != SG_OK) sg__lonlat_free(ll);
    return st;
}

sg_status sg__lonlat_points(sg_ctx *ctx, const double *x, const double *y, size_t n, const char *src_wkt,
                            const char *path, sg_lonlat *ll) {
    memset(ll, 0, sizeof *ll);
    ll->n = n;
    ll->type = malloc(n ? n : 1);
    ll->x = malloc((n ? n : 1) * sizeof *ll->x);
    ll->y = malloc((n ? n : 1) * sizeof *ll->y);
    if (!ll->type || !ll->x || !ll->y) {
        sg__lonlat_free(ll);
        return sg__nomem(ctx);
    }
    memset(ll->type, SG_LL_POINT, n);
    if (n) {
        memcpy(ll->x, x, n * sizeof *x);
        memcpy(ll->y, y, n * sizeof *y);
    }
    sg_status st = check_crs(ctx, src_wkt, path);
    if (st != SG_OK) {
        sg__lonlat_free(ll);
        return st;
    }
    if (is_wgs84(src_wkt) || n == 0) return SG_OK;
    OGRSpatialReferenceH src = srs_from_wkt(src_wkt), dst = srs_wgs84();
    sg__gdal_push(ctx);
    OGRCoordinateTransformationH ct = src && dst ? OCTNewCoordinateTransformation(src, dst) : NULL;
    double z = 0;
    int ok = 0;
    if (!ct) st = sg__nomem(ctx); /* check_crs made it */
    /* a point at a time, as OGRPoint::transform does */
    for (size_t i = 0; ct && i < n; i++) {
        z = 0;
        if (!OCTTransformEx(ct, 1, ll->x + i, ll->y + i, &z, &ok) || !ok) ll->type[i] = SG_LL_FAILED;
    }
    sg__gdal_pop();
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (src) OSRDestroySpatialReference(src);
    if (dst) OSRDestroySpatialReference(dst);
    if (st != SG_OK) sg__lonlat_free(ll);
    return st;
}

/* OGR geometry of feature i. NULL for none; *failed 1 when it could not be
 * transformed, -1 when out of memory. */
static OGRGeometryH lonlat_geometry(const sg_lonlat *ll, size_t i, int *failed) {
    *failed = 0;
    unsigned char t = ll->type[i];
    if (t == SG_LL_NULL) return NULL;
    if (t == SG_LL_FAILED) {
        *failed = 1;
        return NULL;
    }
    if (t == SG_LL_POINT) {
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        if (pt) OGR_G_SetPoint_2D(pt, 0, ll->x[i], ll->y[i]);
        else *failed = -1;
        return pt;
    }
    OGRGeometryH out = OGR_G_CreateGeometry(t == SG_LL_MULTI ? wkbMultiPolygon : wkbPolygon);
    if (!out) *failed = -1;
    for (size_t p = ll->feat[i]; out && p < ll->feat[i + 1]; p++) {
        OGRGeometryH poly = t == SG_LL_MULTI ? OGR_G_CreateGeometry(wkbPolygon) : out;
        if (!poly) {
            OGR_G_DestroyGeometry(out);
            *failed = -1;
            return NULL;
        }
        for (size_t r = ll->poly[p]; r < ll->poly[p + 1]; r++) {
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            if (!ring) {
                if (poly != out) OGR_G_DestroyGeometry(poly);
                OGR_G_DestroyGeometry(out);
                *failed = -1;
                return NULL;
            }
            size_t a = ll->ring[r];
            OGR_G_SetPoints(ring, (int)(ll->ring[r + 1] - a), ll->x + a, sizeof(double), ll->y + a, sizeof(double),
                            NULL, 0);
            OGR_G_AddGeometryDirectly(poly, ring);
        }
        if (t == SG_LL_MULTI) OGR_G_AddGeometryDirectly(out, poly);
    }
    return out;
}

/* ---- one layer ---- */

/* Property doubles keep the driver's 17 significant digits: every value
 * reads back exactly. SIGNIFICANT_FIGURES=15 made the layers 2 % smaller
 * and no faster (issue 8, 100,000 districts): the time is in the driver's
 * per-feature work, not in the digits. */

/* Writes layer L to its temporary file *o, left for the caller to finish
 * (sg__output_finish: check and rename, or remove) when it returns SG_OK;
 * on failure *o is already finished (removed). cancel: the run's context
 * (sg_ctx_cancel); stop, when set, ends the layer too (another layer
 * failed). Both return SG_ERR_CANCELLED without a diagnostic. */
static sg_status geojson_write(sg_ctx *ctx, const sg_geojson_layer *L, const sg_ctx *cancel, const volatile int *stop,
                               sg_output *o) {
    sg_where w = {L->path, NULL, -1, NULL, NULL};
    sg_status st = sg__output_begin(ctx, L->path, o);
    if (st != SG_OK) return st;
    GDALDriverH drv = GDALGetDriverByName("GeoJSON");
    if (!drv) return sg__output_finish(ctx, o, sg__error(ctx, SG_ERR_INTERNAL, "E_DRIVER", w, "GDAL has no GeoJSON driver"));
    OGRSpatialReferenceH srs = srs_wgs84();
    if (!srs) return sg__output_finish(ctx, o, sg__nomem(ctx));
    sg__gdal_push(ctx);
    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(drv, o->tmp, 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH lyr = NULL;
    if (ds) {
        char **lco = NULL;
        lco = CSLSetNameValue(lco, "RFC7946", "YES");
        lco = CSLSetNameValue(lco, "WRITE_NAME", "NO");
        lyr = GDALDatasetCreateLayer(ds, L->name, srs, wkbUnknown, lco);
        CSLDestroy(lco);
    }
    OGRFeatureH f = NULL;
    if (!ds || !lyr) {
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create the layer: %s", sg__gdal_msg(ctx));
        goto out;
    }
    for (size_t k = 0; k < L->nf; k++) {
        const sg_lfield *F = &L->f[k];
        OGRFieldDefnH fd = OGR_Fld_Create(F->name, F->kind == SG_LF_TEXT ? OFTString
                                                   : F->kind == SG_LF_REAL ? OFTReal
                                                                           : OFTInteger64);
        OGRErr e = OGR_L_CreateField(lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE) {
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create field %s: %s", F->name, sg__gdal_msg(ctx));
            goto out;
        }
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    f = OGR_F_Create(defn); /* one feature, refilled: every field is set each time */
    if (!f) {
        st = sg__nomem(ctx);
        goto out;
    }
    for (size_t i = 0; i < L->n && st == SG_OK; i++) {
        if ((i & 1023) == 0 && (sg__cancelled(cancel) || (stop && *stop))) {
            st = SG_ERR_CANCELLED; /* the caller reports it, once */
            break;
        }
        for (size_t k = 0; k < L->nf; k++) {
            const sg_lfield *F = &L->f[k];
            int p = (int)k;
            switch (F->kind) {
            case SG_LF_TEXT:
                if (F->text && F->text[i]) OGR_F_SetFieldString(f, p, F->text[i]);
                else OGR_F_SetFieldNull(f, p);
                break;
            case SG_LF_INT64:
                OGR_F_SetFieldInteger64(f, p, F->i64[i]);
                break;
            case SG_LF_INT:
                if (F->num && isfinite(F->num[i])) OGR_F_SetFieldInteger64(f, p, (GIntBig)llround(F->num[i]));
                else OGR_F_SetFieldNull(f, p);
                break;
            default:
                if (F->num && isfinite(F->num[i])) OGR_F_SetFieldDouble(f, p, F->num[i]);
                else OGR_F_SetFieldNull(f, p);
            }
        }
        int failed = 0;
        OGRGeometryH og = L->geom ? lonlat_geometry(L->geom, i, &failed) : NULL;
        OGR_F_SetGeometryDirectly(f, og); /* NULL: no geometry (and the previous one is freed) */
        long long fid = L->fids ? L->fids[i] : (long long)i;
        const char *id = L->ids ? L->ids[i] : NULL;
        if (failed < 0)
            st = sg__nomem(ctx);
        else if (failed)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){L->path, L->where_layer, fid, id, NULL},
                           "cannot write the feature: its geometry cannot be transformed to WGS 84 (EPSG:4326)");
        else if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){L->path, L->where_layer, fid, id, NULL},
                           "cannot write the feature: %s", sg__gdal_msg(ctx));
    }
out:
    if (f) OGR_F_Destroy(f);
    if (ds) {
        GDALClose(ds); /* flushes: write errors (disk full) surface here */
        if (st == SG_OK && (CPLGetLastErrorType() >= CE_Failure || sg__gdal_msg(ctx)[0]))
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "writing failed: %s",
                           sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : CPLGetLastErrorMsg());
    }
    sg__gdal_pop();
    OSRDestroySpatialReference(srs);
    return st == SG_OK ? SG_OK : sg__output_finish(ctx, o, st);
}

/* ---- several layers, on up to two threads ---- */

typedef struct gj_job {
    const sg_geojson_layer *L;
    size_t nl, next;
    sg_ctx **wctx;       /* per layer: where its diagnostics go */
    sg_status *st;
    sg_output *out;      /* per layer: its file, finished after the join */
    const sg_ctx *cancel;
    volatile int stop; /* a layer failed: the others stop */
    pthread_mutex_t lock;
} gj_job;

static void *gj_worker(void *arg) {
    gj_job *J = arg;
    for (;;) {
        pthread_mutex_lock(&J->lock);
        size_t k = J->next++;
        int stop = J->stop;
        pthread_mutex_unlock(&J->lock);
        if (k >= J->nl || stop) break;
        J->st[k] = geojson_write(J->wctx[k], &J->L[k], J->cancel, &J->stop, &J->out[k]);
        if (J->st[k] != SG_OK && J->st[k] != SG_ERR_CANCELLED) {
            pthread_mutex_lock(&J->lock);
            J->stop = 1;
            pthread_mutex_unlock(&J->lock);
        }
    }
    return NULL;
}


sg_status sg__geojson_write_layers(sg_ctx *ctx, const sg_geojson_layer *L, size_t nl, int threads) {
    if (nl == 0) return SG_OK;
    int nt = sg__thread_count(threads);
    if (nt > 2) nt = 2; /* the layers are few and each is one stream: 2 is what pays (issue 8) */
    if ((size_t)nt > nl) nt = (int)nl;
    gj_job J;
    memset(&J, 0, sizeof J);
    J.L = L;
    J.nl = nl;
    J.cancel = ctx;
    J.wctx = calloc(nl, sizeof *J.wctx);
    J.st = calloc(nl, sizeof *J.st);
    J.out = calloc(nl, sizeof *J.out);
    sg_status st = J.wctx && J.st && J.out ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK && nt <= 1) {
        for (size_t k = 0; k < nl && st == SG_OK; k++) st = J.st[k] = geojson_write(ctx, &L[k], ctx, NULL, &J.out[k]);
        if (st == SG_ERR_CANCELLED) st = SG_OK; /* reported below, once */
    } else if (st == SG_OK) {
        /* Worker contexts only collect diagnostics and GDAL messages (no GEOS
         * or PROJ is used while writing). */
        for (size_t k = 0; st == SG_OK && k < nl; k++)
            if (!(J.wctx[k] = sg__ctx_create_bare())) st = sg__nomem(ctx);
        if (st == SG_OK) {
            pthread_mutex_init(&J.lock, NULL);
            sg__threads_run(nt, gj_worker, &J);
            pthread_mutex_destroy(&J.lock);
            /* In layer order, whatever the threads did: the first failure
             * leads (a layer stopped because another failed is not one). */
            for (size_t k = 0; k < nl; k++) {
                int first = st == SG_OK && J.st[k] != SG_OK && J.st[k] != SG_ERR_CANCELLED;
                sg__ctx_absorb_move(ctx, J.wctx[k], first);
                if (first) st = J.st[k];
            }
        }
    }
    if (st == SG_OK) st = sg__check_cancel(ctx); /* interrupted: reported once, here */
    /* The layers go into place together, once all are complete; else none. */
    for (size_t k = 0; J.out && k < nl; k++)
        if (J.out[k].tmp) {
            sg_status sk = sg__output_finish(ctx, &J.out[k], st);
            if (st == SG_OK) st = sk;
        }
    for (size_t k = 0; J.wctx && k < nl; k++) sg_ctx_destroy(J.wctx[k]);
    free(J.wctx);
    free(J.st);
    free(J.out);
    return st;
}

/* ---- districts.geojson ---- */

/* Fields every layer has, then one per result column (share, lq, ...). */
sg_status sg__districts_layer(sg_ctx *ctx, const struct sg_run *run, const char *path, const sg_lonlat *ll,
                              sg_geojson_layer *L, sg_lfield **fields, const char ***status) {
    const sg_city *city = &run->city;
    const sg_result *res = &run->res;
    *fields = calloc(8 + res->ncols, sizeof **fields);
    *status = malloc((city->n ? city->n : 1) * sizeof **status);
    if (!*fields || !*status) return sg__nomem(ctx);
    for (size_t i = 0; i < city->n; i++) (*status)[i] = sg__dstatus_name(city->status[i]);
    sg_lfield *F = *fields;
    size_t nf = 0;
    int has_name = city->name && run->rd.fields && run->rd.fields[SG_ROLE_NAME].name;
    F[nf++] = (sg_lfield){"id", SG_LF_TEXT, NULL, (const char *const *)city->id, NULL};
    if (has_name) F[nf++] = (sg_lfield){"name", SG_LF_TEXT, NULL, (const char *const *)city->name, NULL};
    F[nf++] = (sg_lfield){"total", sg__count_kind(city->total, city->n), city->total, NULL, NULL};
    F[nf++] = (sg_lfield){"group", sg__count_kind(city->group, city->n), city->group, NULL, NULL};
    F[nf++] = (sg_lfield){"status", SG_LF_TEXT, NULL, *status, NULL};
    F[nf++] = (sg_lfield){"status_note", SG_LF_TEXT, NULL, (const char *const *)city->note, NULL};
    F[nf++] = (sg_lfield){"source_fid", SG_LF_INT64, NULL, NULL, city->fid};
    for (size_t k = 0; k < res->ncols; k++) {
        const sg_column *c = &res->cols[k];
        sg_lf_kind kind = !c->num                             ? SG_LF_TEXT
                          : strncmp(c->name, "count_", 6) == 0 ? sg__count_kind(c->num, city->n) /* count_TYPE_R */
                                                               : SG_LF_REAL;
        F[nf++] = (sg_lfield){c->name, kind, c->num, (const char *const *)c->text, NULL};
    }
    memset(L, 0, sizeof *L);
    L->name = "districts";
    L->path = path;
    L->n = city->n;
    L->f = F;
    L->nf = nf;
    L->geom = ll;
    L->ids = (const char *const *)city->id;
    L->fids = city->fid;
    return SG_OK;
}
