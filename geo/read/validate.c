/* District geometry: from OGR to a valid GEOS (Multi)Polygon, or a clear
 * error. Invalid polygons are repaired with GEOS MakeValid (structure method)
 * and reported, or rejected with --strict. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_api.h>

#include "read/read_internal.h"

/* 1 when every coordinate of g is finite. */
static int coords_finite(GEOSContextHandle_t h, const GEOSGeometry *g) {
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, g);
        if (!ring || !coords_finite(h, ring)) return 0;
        int nh = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < nh; i++)
            if (!coords_finite(h, GEOSGetInteriorRingN_r(h, g, i))) return 0;
        return 1;
    }
    if (type == GEOS_LINEARRING || type == GEOS_LINESTRING || type == GEOS_POINT) {
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
        unsigned int n = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n)) return 0;
        for (unsigned int i = 0; i < n; i++) {
            double x, y;
            if (!GEOSCoordSeq_getXY_r(h, cs, i, &x, &y) || !isfinite(x) || !isfinite(y)) return 0;
        }
        return 1;
    }
    int n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < n; i++)
        if (!coords_finite(h, GEOSGetGeometryN_r(h, g, i))) return 0;
    return 1;
}


/* ---- the WKB of a 2D (Multi)Polygon, read directly ---- */

typedef struct wkb_cur {
    const unsigned char *p, *end;
} wkb_cur;

static int wkb_u32(wkb_cur *c, uint32_t *v) {
    if (c->end - c->p < 4) return 0;
    *v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    c->p += 4;
    return 1;
}

static double wkb_f64(const unsigned char *p) {
    double d;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&d, p, sizeof d);
#else
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--) u = u << 8 | p[k];
    memcpy(&d, &u, sizeof d);
#endif
    return d;
}

/* Error bound of Shewchuk's orient2d filter: (3 + 16 eps) eps, eps = 2^-53. */
#define SG_CCW_ERRBOUND ((3.0 + 16.0 * 0x1p-53) * 0x1p-53)

/* Sign of the turn a -> b -> c when floating point certainly gets it right
 * (Shewchuk's filter), else 0 (also for collinear points and for products
 * too small or too large for the bound to hold). */
static int turn_sign(double ax, double ay, double bx, double by, double cx, double cy) {
    double detleft = (ax - cx) * (by - cy), detright = (ay - cy) * (bx - cx);
    double al = fabs(detleft), ar = fabs(detright);
    if (!(al > 1e-280) || !(ar > 1e-280) || !(al < 1e280) || !(ar < 1e280)) return 0;
    double det = detleft - detright;
    if ((detleft > 0) != (detright > 0)) return det > 0 ? 1 : -1;
    double bound = SG_CCW_ERRBOUND * (al + ar);
    return det > bound ? 1 : det < -bound ? -1 : 0;
}

/* 1 when the closed ring of n points at p (x, y doubles, little endian) is
 * a strictly convex polygon: every turn certainly in the same direction and
 * the boundary winding once (the direction of x changes sign exactly twice).
 * Such a ring is simple, so a polygon of it alone is valid in GEOS's sense;
 * anything else (holes, collinear or repeated points, concave) returns 0. */
static int ring_strictly_convex(const unsigned char *p, uint32_t n) {
    if (n < 4 || memcmp(p, p + (size_t)(n - 1) * 16, 16) != 0) return 0;
    size_t m = n - 1;
#define SG_X(i) wkb_f64(p + (size_t)(i) * 16)
#define SG_Y(i) wkb_f64(p + (size_t)(i) * 16 + 8)
    int sign = 0, first = 0, last = 0, changes = 0;
    for (size_t i = 0; i < m; i++) {
        size_t a = i ? i - 1 : m - 1, c = i + 1 < m ? i + 1 : 0;
        double bx = SG_X(i), cx = SG_X(c);
        int t = turn_sign(SG_X(a), SG_Y(a), bx, SG_Y(i), cx, SG_Y(c));
        if (t == 0 || (sign && t != sign)) return 0;
        sign = t;
        int dx = (cx > bx) - (cx < bx);
        if (dx) {
            if (last && dx != last) changes++;
            if (!first) first = dx;
            last = dx;
        }
    }
#undef SG_X
#undef SG_Y
    if (first && last != first) changes++;
    return changes == 2;
}

/* Walks the NDR WKB of a 2D Polygon or MultiPolygon. Returns -1 when it is
 * not one (the caller then checks another way), else 1; with coords, 0 when
 * a coordinate is NaN or infinite, and *convex is set when the geometry is a
 * single strictly convex ring (see ring_strictly_convex). */
static int wkb_scan(const unsigned char *wkb, size_t size, int coords, int *convex, size_t *nverts) {
    wkb_cur c = {wkb, wkb + size};
    *convex = 0;
    size_t nv = 0;
    uint32_t type, nparts = 1;
    if (size < 5 || c.p[0] != 1) return -1;
    c.p++;
    if (!wkb_u32(&c, &type)) return -1;
    if (type == 6) {
        if (!wkb_u32(&c, &nparts)) return -1;
    } else if (type != 3) {
        return -1;
    }
    size_t rings = 0;
    const unsigned char *ring0 = NULL;
    uint32_t ring0_n = 0;
    int finite = 1;
    for (uint32_t k = 0; k < nparts; k++) {
        if (type == 6) {
            uint32_t pt;
            if (c.end - c.p < 1 || c.p[0] != 1) return -1;
            c.p++;
            if (!wkb_u32(&c, &pt) || pt != 3) return -1;
        }
        uint32_t nr;
        if (!wkb_u32(&c, &nr)) return -1;
        for (uint32_t r = 0; r < nr; r++) {
            uint32_t np;
            if (!wkb_u32(&c, &np) || (size_t)(c.end - c.p) / 16 < np) return -1;
            nv += np;
            for (uint32_t i = 0; coords && finite && i < 2 * np; i++)
                if (!isfinite(wkb_f64(c.p + (size_t)i * 8))) finite = 0;
            if (rings++ == 0) {
                ring0 = c.p;
                ring0_n = np;
            }
            c.p += (size_t)np * 16;
        }
    }
    if (c.p != c.end) return -1;
    if (nverts) *nverts = nv;
    if (coords && finite && rings == 1) *convex = ring_strictly_convex(ring0, ring0_n);
    return finite;
}

/* Keeps the polygonal parts of a MakeValid result (which may also hold lines
 * or points where the input collapsed). Takes ownership of g. */
static GEOSGeometry *polygonal_part(GEOSContextHandle_t h, GEOSGeometry *g) {
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return g;
    int n = GEOSGetNumGeometries_r(h, g);
    GEOSGeometry **parts = calloc((size_t)(n > 0 ? n : 1), sizeof *parts);
    unsigned k = 0;
    for (int i = 0; parts && i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, p);
        if (pt == GEOS_POLYGON) parts[k++] = GEOSGeom_clone_r(h, p);
        else if (pt == GEOS_MULTIPOLYGON)
            for (int j = 0; j < GEOSGetNumGeometries_r(h, p); j++)
                parts[k++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, p, j));
    }
    /* A multipolygon nested inside a collection may hold more parts than n. */
    GEOSGeometry *out = NULL;
    if (parts) out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, k);
    free(parts);
    GEOSGeom_destroy_r(h, g);
    return out;
}

/* A message into the job (SG_ERR_GEOMETRY); NULL msg when out of memory. */
static void job_fail(sg_geom_job *j, const char *code, const char *fmt, ...) SG_PRINTF(3, 4);
static void job_fail(sg_geom_job *j, const char *code, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    j->msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (j->msg) vsnprintf(j->msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    j->st = SG_ERR_GEOMETRY;
    j->code = code;
    j->state = 1;
}

/* Points of an OGR geometry, every ring and part. */
static size_t ogr_points(OGRGeometryH g) {
    size_t n = (size_t)(OGR_G_GetPointCount(g) > 0 ? OGR_G_GetPointCount(g) : 0);
    int ng = OGR_G_GetGeometryCount(g);
    for (int i = 0; i < ng; i++) n += ogr_points(OGR_G_GetGeometryRef(g, i));
    return n;
}

void sg__geom_prepare(void *ogr_geom, size_t max_vertices, sg_geom_job *j, sg_bytes *buf) {
    OGRGeometryH og = ogr_geom;
    memset(j, 0, sizeof *j);
    if (!og) return job_fail(j, "E_NULL_GEOMETRY", "geometry is null");
    if (OGR_G_IsEmpty(og)) return job_fail(j, "E_EMPTY_GEOMETRY", "geometry is empty");
    OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(og));
    /* A copy only when OGR must change the geometry: linearise curves, drop
     * Z or M; a plain 2D (Multi)Polygon is exported as it is. */
    OGRGeometryH own = NULL;
    int curved = gt == wkbCurvePolygon || gt == wkbMultiSurface;
    if (curved || OGR_G_Is3D(og) || OGR_G_IsMeasured(og)) {
        /* Curved rings: OGR approximates them by line segments. */
        own = curved ? OGR_G_ForceTo(OGR_G_Clone(og), wkbMultiPolygon, NULL) : OGR_G_Clone(og);
        if (!own) {
            j->st = SG_ERR_NOMEM;
            j->state = 1;
            return;
        }
        og = own;
        if (curved) gt = wkbFlatten(OGR_G_GetGeometryType(own));
    }
    if (gt != wkbPolygon && gt != wkbMultiPolygon) {
        job_fail(j, "E_NOT_POLYGON", "geometry is a %s, not a Polygon or MultiPolygon", OGRGeometryTypeToName(gt));
        OGR_G_DestroyGeometry(own);
        return;
    }
    if (own) OGR_G_FlattenTo2D(own);
    int size = OGR_G_WkbSize(og);
    size_t need = (size_t)(size > 0 ? size : 0);
    if (buf->cap - buf->len < need) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap - buf->len < need) cap *= 2;
        unsigned char *p = realloc(buf->p, cap);
        if (!p) {
            OGR_G_DestroyGeometry(own);
            j->st = SG_ERR_NOMEM;
            j->state = 1;
            return;
        }
        buf->p = p;
        buf->cap = cap;
    }
    unsigned char *wkb = buf->p + buf->len;
    if (need) OGR_G_ExportToWkb(og, wkbNDR, wkb);
    /* NaN and infinite coordinates are caught before GEOS sees them: a NaN
     * vertex would otherwise be reported as an unclosed ring. The build step
     * scans the WKB when its structure is as expected, else OGR checks here. */
    int convex;
    size_t nv = 0;
    j->scanned = wkb_scan(wkb, need, 0, &convex, &nv) >= 0;
    if (!j->scanned) nv = ogr_points(og);
    int finite = j->scanned || sg__ogr_coords_finite(og);
    OGR_G_DestroyGeometry(own);
    /* Issue 16 item 13: GEOS's validity check and overlays can take time
     * that grows with the square of a polygon's vertices (an adversarial
     * zig-zag of 1e6 vertices: minutes): refused before GEOS sees it. */
    if (max_vertices && nv > max_vertices)
        return job_fail(j, "E_TOO_MANY_VERTICES",
                        "the polygon has %zu vertices, more than --max-vertices %zu allows (GEOS's validity check "
                        "of such a polygon can take minutes): simplify it, or raise --max-vertices (0: no limit)",
                        nv, max_vertices);
    if (!finite) return job_fail(j, "E_BAD_COORDINATE", "geometry has a NaN or infinite coordinate");
    j->wkb_off = buf->len;
    j->wkb_size = need;
    buf->len += need;
}

void sg__geom_build(GEOSContextHandle_t h, const char *geos_msg, int strict, sg_geom_job *j,
                    const unsigned char *buf) {
    if (j->state) return;
    j->state = 1;
    const unsigned char *wkb = buf + j->wkb_off;
    int convex = 0;
    if (j->scanned && !wkb_scan(wkb, j->wkb_size, 1, &convex, NULL))
        return job_fail(j, "E_BAD_COORDINATE", "geometry has a NaN or infinite coordinate");
    GEOSGeometry *g = sg__wkb_to_geos(h, wkb, j->wkb_size);
    if (!g) return job_fail(j, "E_BAD_GEOMETRY", "geometry cannot be read: %s", geos_msg);
    /* (GEOS holds the coordinates the scan saw; else they are checked again) */
    if (!j->scanned && !coords_finite(h, g)) {
        GEOSGeom_destroy_r(h, g);
        return job_fail(j, "E_BAD_COORDINATE", "geometry has a NaN or infinite coordinate");
    }
    if (convex) {
        /* a single strictly convex ring: valid without asking GEOS */
        j->geom = g;
        return;
    }
    char *reason = NULL;
    GEOSGeometry *loc = NULL;
    char valid = GEOSisValidDetail_r(h, g, 0, &reason, &loc);
    if (valid == 1) {
        j->geom = g;
        return;
    }
    if (valid == 2 && strstr(geos_msg, "Interrupted")) { /* the run was cancelled (sg__geos_interrupt) */
        GEOSGeom_destroy_r(h, g);
        if (loc) GEOSGeom_destroy_r(h, loc);
        GEOSFree_r(h, reason);
        job_fail(j, "E_CANCELLED", "interrupted: stopped before finishing (while GEOS checked this polygon)");
        j->st = SG_ERR_CANCELLED;
        return;
    }
    double lx = NAN, ly = NAN;
    if (loc) {
        GEOSGeomGetX_r(h, loc, &lx);
        GEOSGeomGetY_r(h, loc, &ly);
        GEOSGeom_destroy_r(h, loc);
    }
    char *why = sg__asprintf("%s at (%.10g, %.10g)", reason ? reason : "invalid", lx, ly);
    GEOSFree_r(h, reason);
    if (strict) {
        job_fail(j, "E_INVALID_GEOMETRY", "invalid geometry: %s (--strict: not repaired)", why ? why : "");
        free(why);
        GEOSGeom_destroy_r(h, g);
        return;
    }
    GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(h);
    GEOSMakeValidParams_setMethod_r(h, mp, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(h, mp, 0);
    GEOSGeometry *fixed = GEOSMakeValidWithParams_r(h, g, mp);
    GEOSMakeValidParams_destroy_r(h, mp);
    GEOSGeom_destroy_r(h, g);
    if (fixed) fixed = polygonal_part(h, fixed);
    if (!fixed || GEOSisEmpty_r(h, fixed) || GEOSisValid_r(h, fixed) != 1) {
        if (fixed) GEOSGeom_destroy_r(h, fixed);
        if (strstr(geos_msg, "Interrupted")) { /* cancelled while MakeValid ran */
            free(why);
            job_fail(j, "E_CANCELLED", "interrupted: stopped before finishing (while GEOS repaired this polygon)");
            j->st = SG_ERR_CANCELLED;
            return;
        }
        job_fail(j, "E_INVALID_GEOMETRY", "invalid geometry that cannot be repaired: %s", why ? why : "");
        free(why);
        return;
    }
    j->geom = fixed;
    j->repaired = 1;
    j->note = why;
}

sg_status sg__geom_emit(sg_ctx *ctx, sg_geom_job *j, sg_where w, GEOSGeometry **out, int *repaired, char **note) {
    *out = j->geom;
    *repaired = j->repaired;
    if (note) *note = j->note;
    else free(j->note);
    sg_status st = j->st;
    if (st == SG_ERR_NOMEM) st = sg__nomem(ctx);
    else if (st != SG_OK) st = sg__error(ctx, st, j->code, w, "%s", j->msg ? j->msg : "");
    free(j->msg);
    memset(j, 0, sizeof *j);
    return st;
}

void sg__geom_job_clear(GEOSContextHandle_t h, sg_geom_job *j) {
    if (j->geom) GEOSGeom_destroy_r(h, j->geom);
    free(j->note);
    free(j->msg);
    memset(j, 0, sizeof *j);
}

sg_status sg__geom_from_ogr(sg_ctx *ctx, void *ogr_geom, int strict, sg_where w,
                            GEOSGeometry **out, int *repaired, char **note) {
    sg_geom_job j;
    sg_bytes buf = {NULL, 0, 0};
    sg__geom_prepare(ogr_geom, 0, &j, &buf);
    sg__geom_build(sg__geos(ctx), sg__geos_msg(ctx), strict, &j, buf.p);
    free(buf.p);
    return sg__geom_emit(ctx, &j, w, out, repaired, note);
}
