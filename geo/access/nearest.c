/* Planar and geodesic distances from origins to the service locations of
 * one type, through a GEOS STRtree of the locations:
 * - nearest: GEOSSTRtree_nearest_generic_r with the exact distance (to the
 *   point, or to the polygon: 0 inside it);
 * - pairs within dmax: an envelope query, then the exact distance.
 * Origins are independent, so both run on several threads (each with its own
 * GEOS handle; the tree is built before the threads start and only read).
 *
 * Geodesic mode (--geodesic): the planar search finds candidates, PROJ gives
 * the distance on the ellipsoid of the working CRS (proj_lp_dist, Karney's
 * algorithm). A planar nearest at distance p means the geodesic nearest lies
 * within p * s² in the plane, s the largest ratio between planar and geodesic
 * lengths over the area (measured at the corners and centre of the origins'
 * extent): every location within that radius is measured on the ellipsoid.
 * PROJ objects are not thread-safe, so geodesic mode runs on one thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access/access.h"

#define SG_RAD_PER_DEG (3.14159265358979323846 / 180)

void sg__pairs_free(sg_pairs *p) {
    if (!p) return;
    free(p->off);
    free(p->svc);
    free(p->d);
    memset(p, 0, sizeof *p);
}

/* ---- the engine ---- */
struct sg_euclid {
    const sg_origins *og;
    const sg_services *s;
    GEOSSTRtree *tree;
    size_t *item;
    GEOSGeometry **pts; /* point locations as GEOS points (the tree's envelopes) */
    int geodesic;
    PJ *ellps, *to_ll;
    double *olon, *olat, *slon, *slat; /* radians */
    double margin;                     /* s²: planar search radius factor */
    sg_ctx *ctx;
};

void sg__euclid_destroy(sg_ctx *ctx, sg_euclid *e) {
    if (!e) return;
    if (e->tree) GEOSSTRtree_destroy_r(sg__geos(ctx), e->tree);
    for (size_t j = 0; e->pts && j < e->s->n; j++)
        if (e->pts[j]) GEOSGeom_destroy_r(sg__geos(ctx), e->pts[j]);
    free(e->pts);
    free(e->item);
    proj_destroy(e->ellps);
    proj_destroy(e->to_ll);
    free(e->olon);
    free(e->olat);
    free(e->slon);
    free(e->slat);
    free(e);
}

static void noop_cb(void *item, void *userdata) {
    (void)item;
    (void)userdata;
}

static int to_lonlat(PJ *op, double x, double y, double *lon, double *lat) {
    PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(x, y, 0, 0));
    if (!isfinite(r.lp.lam) || !isfinite(r.lp.phi) || r.lp.lam == HUGE_VAL) return 0;
    *lon = r.lp.lam * SG_RAD_PER_DEG;
    *lat = r.lp.phi * SG_RAD_PER_DEG;
    return 1;
}

static double geod(const sg_euclid *e, double lon1, double lat1, double lon2, double lat2) {
    if (lon1 == lon2 && lat1 == lat2) return 0;
    return proj_lp_dist(e->ellps, proj_coord(lon1, lat1, 0, 0), proj_coord(lon2, lat2, 0, 0));
}

/* Geodesic setup: lon/lat of every origin and location, the ellipsoid, the
 * search margin. */
static sg_status geodesic_setup(sg_ctx *ctx, sg_euclid *e, const sg_crs_info *crs) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    PJ *geog = proj_crs_get_geodetic_crs(pc, crs->work);
    PJ *ell = proj_get_ellipsoid(pc, crs->work);
    double a = 0, b = 0, invf = 0;
    int computed = 0;
    if (!geog || !ell || !proj_ellipsoid_get_parameters(pc, ell, &a, &b, &computed, &invf)) {
        proj_destroy(geog);
        proj_destroy(ell);
        return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE,
                         "--geodesic: the working CRS %s has no ellipsoid PROJ can use", crs->work_name);
    }
    proj_destroy(ell);
    char def[160];
    snprintf(def, sizeof def, "+proj=longlat +a=%.17g +b=%.17g", a, b);
    e->ellps = proj_create(pc, def);
    PJ *raw = proj_create_crs_to_crs_from_pj(pc, crs->work, geog, NULL, NULL);
    proj_destroy(geog);
    e->to_ll = raw ? proj_normalize_for_visualization(pc, raw) : NULL;
    proj_destroy(raw);
    if (!e->ellps || !e->to_ll)
        return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE, "--geodesic: PROJ cannot set up the ellipsoid: %s",
                         sg__proj_msg(ctx));
    size_t no = e->og->n ? e->og->n : 1, ns = e->s->n ? e->s->n : 1;
    e->olon = malloc(no * sizeof *e->olon);
    e->olat = malloc(no * sizeof *e->olat);
    e->slon = malloc(ns * sizeof *e->slon);
    e->slat = malloc(ns * sizeof *e->slat);
    if (!e->olon || !e->olat || !e->slon || !e->slat) return sg__nomem(ctx);
    for (size_t k = 0; k < e->og->n; k++)
        if (!to_lonlat(e->to_ll, e->og->x[k], e->og->y[k], &e->olon[k], &e->olat[k]))
            return sg__error(ctx, SG_ERR_CRS, "E_TRANSFORM", SG_WHERE_NONE,
                             "--geodesic: an origin (%.3f, %.3f) has no longitude/latitude", e->og->x[k], e->og->y[k]);
    for (size_t j = 0; j < e->s->n; j++)
        if (!to_lonlat(e->to_ll, e->s->x[j], e->s->y[j], &e->slon[j], &e->slat[j]))
            return sg__error(ctx, SG_ERR_CRS, "E_TRANSFORM", SG_WHERE_NONE,
                             "--geodesic: a service location (%.3f, %.3f) has no longitude/latitude", e->s->x[j],
                             e->s->y[j]);
    /* The scale of the plane against the ellipsoid over the origins' extent. */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t k = 0; k < e->og->n; k++) {
        x0 = fmin(x0, e->og->x[k]);
        y0 = fmin(y0, e->og->y[k]);
        x1 = fmax(x1, e->og->x[k]);
        y1 = fmax(y1, e->og->y[k]);
    }
    for (size_t j = 0; j < e->s->n; j++) {
        x0 = fmin(x0, e->s->x[j]);
        y0 = fmin(y0, e->s->y[j]);
        x1 = fmax(x1, e->s->x[j]);
        y1 = fmax(y1, e->s->y[j]);
    }
    double smax = 1;
    double px[5] = {x0, x1, x0, x1, 0.5 * (x0 + x1)}, py[5] = {y0, y0, y1, y1, 0.5 * (y0 + y1)};
    for (int i = 0; i < 5 && x0 <= x1; i++)
        for (int dir = 0; dir < 2; dir++) {
            double la, pa, lb, pb, step = 1000;
            if (!to_lonlat(e->to_ll, px[i], py[i], &la, &pa) ||
                !to_lonlat(e->to_ll, px[i] + (dir ? 0 : step), py[i] + (dir ? step : 0), &lb, &pb))
                continue;
            double g = geod(e, la, pa, lb, pb);
            if (!(g > 0)) continue;
            double r = step / g;
            smax = fmax(smax, fmax(r, 1 / r));
        }
    e->margin = smax * smax * 1.001;
    return SG_OK;
}

sg_status sg__euclid_create(sg_ctx *ctx, const sg_origins *og, const sg_services *s, const sg_crs_info *crs,
                            int geodesic, sg_euclid **out) {
    *out = NULL;
    GEOSContextHandle_t h = sg__geos(ctx);
    sg_euclid *e = calloc(1, sizeof *e);
    if (!e) return sg__nomem(ctx);
    e->og = og;
    e->s = s;
    e->ctx = ctx;
    e->geodesic = geodesic;
    e->margin = 1;
    e->tree = GEOSSTRtree_create_r(h, 10);
    e->item = malloc((s->n ? s->n : 1) * sizeof *e->item);
    e->pts = calloc(s->n ? s->n : 1, sizeof *e->pts);
    if (!e->tree || !e->item || !e->pts) {
        sg__euclid_destroy(ctx, e);
        return sg__nomem(ctx);
    }
    for (size_t j = 0; j < s->n; j++) {
        e->item[j] = j;
        const GEOSGeometry *g = s->poly && s->poly[j] ? s->poly[j] : NULL;
        if (!g) {
            e->pts[j] = GEOSGeom_createPointFromXY_r(h, s->x[j], s->y[j]);
            if (!e->pts[j]) {
                sg__euclid_destroy(ctx, e);
                return sg__nomem(ctx);
            }
            g = e->pts[j];
        }
        GEOSSTRtree_insert_r(h, e->tree, g, &e->item[j]);
    }
    /* Build the tree now, in this thread: queries from other threads only read it. */
    if (s->n) {
        GEOSGeometry *q = GEOSGeom_createPointFromXY_r(h, s->x[0], s->y[0]);
        if (q) {
            GEOSSTRtree_query_r(h, e->tree, q, noop_cb, NULL);
            GEOSGeom_destroy_r(h, q);
        }
    }
    if (geodesic) {
        sg_status st = geodesic_setup(ctx, e, crs);
        if (st != SG_OK) {
            sg__euclid_destroy(ctx, e);
            return st;
        }
    }
    *out = e;
    return SG_OK;
}

/* ---- distances ---- */
typedef struct query {
    const sg_euclid *e;
    GEOSContextHandle_t h;
    size_t k;          /* origin */
    GEOSGeometry *pt;  /* origin as a GEOS point, when there are polygons */
    int failed;
} query;

static double planar(query *q, size_t j) {
    const sg_euclid *e = q->e;
    if (e->s->poly && e->s->poly[j]) {
        double d;
        if (!q->pt || !GEOSDistance_r(q->h, q->pt, e->s->poly[j], &d)) {
            q->failed = 1;
            return INFINITY;
        }
        return d;
    }
    return hypot(e->og->x[q->k] - e->s->x[j], e->og->y[q->k] - e->s->y[j]);
}

static double geodesic(query *q, size_t j) {
    const sg_euclid *e = q->e;
    size_t k = q->k;
    if (e->s->poly && e->s->poly[j]) {
        GEOSCoordSequence *cs = q->pt ? GEOSNearestPoints_r(q->h, q->pt, e->s->poly[j]) : NULL;
        double x, y, lon, lat;
        int ok = cs && GEOSCoordSeq_getXY_r(q->h, cs, 1, &x, &y);
        if (cs) GEOSCoordSeq_destroy_r(q->h, cs);
        if (!ok || !to_lonlat(e->to_ll, x, y, &lon, &lat)) {
            q->failed = 1;
            return INFINITY;
        }
        if (x == e->og->x[k] && y == e->og->y[k]) return 0;
        return geod(e, e->olon[k], e->olat[k], lon, lat);
    }
    return geod(e, e->olon[k], e->olat[k], e->slon[j], e->slat[j]);
}

static int nearest_cb(const void *a, const void *b, double *d, void *userdata) {
    query *q = userdata;
    const size_t *it = (a == (const void *)q) ? b : a;
    *d = planar(q, *it);
    return !q->failed;
}

typedef struct collect {
    size_t *v;
    size_t n, cap;
    int oom;
} collect;

static void collect_cb(void *item, void *userdata) {
    collect *c = userdata;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        size_t *nv = sg__reallocarray(c->v, nc, sizeof *nv);
        if (!nv) {
            c->oom = 1;
            return;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = *(const size_t *)item;
}

/* Locations whose envelope meets the square of half-side r around (x, y). */
static int candidates(GEOSContextHandle_t h, const sg_euclid *e, double x, double y, double r, collect *c) {
    c->n = 0;
    GEOSGeometry *rect = GEOSGeom_createRectangle_r(h, x - r, y - r, x + r, y + r);
    if (!rect) return -1;
    GEOSSTRtree_query_r(h, e->tree, rect, collect_cb, c);
    GEOSGeom_destroy_r(h, rect);
    return c->oom ? -1 : 0;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

typedef struct nearest_job {
    sg_euclid *e;
    double *dist;
} nearest_job;

static int nearest_range(void *user, GEOSContextHandle_t h, size_t b, size_t end) {
    nearest_job *J = user;
    const sg_euclid *e = J->e;
    collect c = {NULL, 0, 0, 0};
    int rc = 0;
    for (size_t k = b; k < end && rc == 0; k++) {
        query q = {e, h, k, NULL, 0};
        if (e->s->npoly || e->geodesic) q.pt = GEOSGeom_createPointFromXY_r(h, e->og->x[k], e->og->y[k]);
        GEOSGeometry *env = q.pt ? q.pt : GEOSGeom_createPointFromXY_r(h, e->og->x[k], e->og->y[k]);
        const size_t *best = env ? GEOSSTRtree_nearest_generic_r(h, e->tree, &q, env, nearest_cb, &q) : NULL;
        if (!best || q.failed) rc = env ? -2 : -1;
        else {
            double d = planar(&q, *best);
            if (e->geodesic) {
                if (candidates(h, e, e->og->x[k], e->og->y[k], d * e->margin + 1e-6, &c) != 0) rc = -1;
                double g = INFINITY;
                for (size_t i = 0; rc == 0 && i < c.n; i++) g = fmin(g, geodesic(&q, c.v[i]));
                if (q.failed) rc = -2;
                d = g;
            }
            J->dist[k] = d;
        }
        if (env && env != q.pt) GEOSGeom_destroy_r(h, env);
        if (q.pt) GEOSGeom_destroy_r(h, q.pt);
    }
    free(c.v);
    return rc;
}

sg_status sg__euclid_nearest(sg_ctx *ctx, sg_euclid *e, int threads, double *dist) {
    nearest_job J = {e, dist};
    return sg__parallel(ctx, e->og->n, e->geodesic ? 1 : threads, 512, nearest_range, &J);
}

/* ---- pairs ---- */
typedef struct chunk_out {
    uint32_t *svc;
    double *d;
    size_t n, cap;
} chunk_out;

typedef struct pairs_job {
    sg_euclid *e;
    double dmax;
    size_t chunk;
    size_t *cnt;      /* per origin */
    chunk_out *out;   /* per chunk */
} pairs_job;

static int chunk_push(chunk_out *o, uint32_t j, double d) {
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 1024;
        uint32_t *ns = sg__reallocarray(o->svc, nc, sizeof *ns);
        if (!ns) return -1;
        o->svc = ns;
        double *nd = sg__reallocarray(o->d, nc, sizeof *nd);
        if (!nd) return -1;
        o->d = nd;
        o->cap = nc;
    }
    o->svc[o->n] = j;
    o->d[o->n] = d;
    o->n++;
    return 0;
}

static int pairs_range(void *user, GEOSContextHandle_t h, size_t b, size_t end) {
    pairs_job *J = user;
    const sg_euclid *e = J->e;
    chunk_out *o = &J->out[b / J->chunk];
    collect c = {NULL, 0, 0, 0};
    int rc = 0;
    for (size_t k = b; k < end && rc == 0; k++) {
        query q = {e, h, k, NULL, 0};
        if (e->s->npoly) {
            q.pt = GEOSGeom_createPointFromXY_r(h, e->og->x[k], e->og->y[k]);
            if (!q.pt) rc = -1;
        }
        if (rc == 0 && candidates(h, e, e->og->x[k], e->og->y[k], J->dmax * e->margin, &c) != 0) rc = -1;
        if (rc == 0 && c.n > 1) qsort(c.v, c.n, sizeof *c.v, cmp_size);
        size_t m = 0;
        for (size_t i = 0; rc == 0 && i < c.n; i++) {
            double d = e->geodesic ? geodesic(&q, c.v[i]) : planar(&q, c.v[i]);
            if (q.failed) rc = -2;
            else if (d <= J->dmax) {
                if (chunk_push(o, (uint32_t)c.v[i], d) != 0) rc = -1;
                m++;
            }
        }
        J->cnt[k] = m;
        if (q.pt) GEOSGeom_destroy_r(h, q.pt);
    }
    free(c.v);
    return rc;
}

sg_status sg__euclid_pairs(sg_ctx *ctx, sg_euclid *e, double dmax, int threads, sg_pairs *out) {
    memset(out, 0, sizeof *out);
    size_t n = e->og->n, chunk = 256, nch = (n + chunk - 1) / chunk;
    pairs_job J = {e, dmax, chunk, calloc(n + 1, sizeof(size_t)), calloc(nch + 1, sizeof(chunk_out))};
    out->off = calloc(n + 1, sizeof *out->off);
    sg_status st = (!J.cnt || !J.out || !out->off) ? sg__nomem(ctx) : SG_OK;
    if (st == SG_OK) st = sg__parallel(ctx, n, e->geodesic ? 1 : threads, chunk, pairs_range, &J);
    size_t total = 0;
    for (size_t c = 0; st == SG_OK && c < nch; c++) total += J.out[c].n;
    if (st == SG_OK && total > SG_ACCESS_MAX_PAIRS)
        st = sg__error(ctx, SG_ERR_DATA, "E_TOO_MANY_PAIRS", SG_WHERE_NONE,
                       "%zu origin-service pairs within %g m: too many; lower --catchment or --radius", total, dmax);
    if (st == SG_OK) {
        out->n = n;
        out->svc = malloc((total ? total : 1) * sizeof *out->svc);
        out->d = malloc((total ? total : 1) * sizeof *out->d);
        if (!out->svc || !out->d) st = sg__nomem(ctx);
    }
    if (st == SG_OK) {
        for (size_t k = 0; k < n; k++) out->off[k + 1] = out->off[k] + J.cnt[k];
        size_t p = 0;
        for (size_t c = 0; c < nch; c++) {
            if (J.out[c].n) {
                memcpy(out->svc + p, J.out[c].svc, J.out[c].n * sizeof *out->svc);
                memcpy(out->d + p, J.out[c].d, J.out[c].n * sizeof *out->d);
            }
            p += J.out[c].n;
        }
    }
    for (size_t c = 0; J.out && c < nch; c++) {
        free(J.out[c].svc);
        free(J.out[c].d);
    }
    free(J.out);
    free(J.cnt);
    if (st != SG_OK) sg__pairs_free(out);
    return st;
}
