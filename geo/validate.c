/* District geometry: from OGR to a valid GEOS (Multi)Polygon, or a clear
 * error. Invalid polygons are repaired with GEOS MakeValid (structure method)
 * and reported, or rejected with --strict. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_api.h>

#include "internal.h"

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

/* 1 when every coordinate of an OGR geometry is finite. Checked before GEOS
 * sees it: a NaN vertex would otherwise be reported as an unclosed ring. */
static int ogr_coords_finite(OGRGeometryH g) {
    int ng = OGR_G_GetGeometryCount(g);
    for (int i = 0; i < ng; i++)
        if (!ogr_coords_finite(OGR_G_GetGeometryRef(g, i))) return 0;
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++)
        if (!isfinite(OGR_G_GetX(g, i)) || !isfinite(OGR_G_GetY(g, i))) return 0;
    return 1;
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

sg_status sg__geom_from_ogr(sg_ctx *ctx, void *ogr_geom, int strict, sg_where w,
                            GEOSGeometry **out, int *repaired, char **note) {
    GEOSContextHandle_t h = ctx->geos;
    OGRGeometryH og = ogr_geom;
    *out = NULL;
    *repaired = 0;
    if (note) *note = NULL;
    if (!og) return sg__error(ctx, SG_ERR_GEOMETRY, "E_NULL_GEOMETRY", w, "geometry is null");
    if (OGR_G_IsEmpty(og)) return sg__error(ctx, SG_ERR_GEOMETRY, "E_EMPTY_GEOMETRY", w, "geometry is empty");
    OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(og));
    if (gt == wkbCurvePolygon || gt == wkbMultiSurface) {
        /* Curved rings: OGR approximates them by line segments. */
        og = OGR_G_ForceTo(OGR_G_Clone(og), wkbMultiPolygon, NULL);
        gt = og ? wkbFlatten(OGR_G_GetGeometryType(og)) : wkbUnknown;
    } else {
        og = OGR_G_Clone(og);
    }
    if (!og) return sg__nomem(ctx);
    if (gt != wkbPolygon && gt != wkbMultiPolygon) {
        sg_status st = sg__error(ctx, SG_ERR_GEOMETRY, "E_NOT_POLYGON", w,
                                 "geometry is a %s, not a Polygon or MultiPolygon",
                                 OGRGeometryTypeToName(gt));
        OGR_G_DestroyGeometry(og);
        return st;
    }
    OGR_G_FlattenTo2D(og);
    if (!ogr_coords_finite(og)) {
        OGR_G_DestroyGeometry(og);
        return sg__error(ctx, SG_ERR_GEOMETRY, "E_BAD_COORDINATE", w,
                         "geometry has a NaN or infinite coordinate");
    }
    int size = OGR_G_WkbSize(og);
    unsigned char *wkb = malloc((size_t)(size > 0 ? size : 1));
    if (!wkb) {
        OGR_G_DestroyGeometry(og);
        return sg__nomem(ctx);
    }
    OGR_G_ExportToWkb(og, wkbNDR, wkb);
    OGR_G_DestroyGeometry(og);
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = rd ? GEOSWKBReader_read_r(h, rd, wkb, (size_t)size) : NULL;
    if (rd) GEOSWKBReader_destroy_r(h, rd);
    free(wkb);
    if (!g)
        return sg__error(ctx, SG_ERR_GEOMETRY, "E_BAD_GEOMETRY", w, "geometry cannot be read: %s",
                         ctx->geos_msg);
    if (!coords_finite(h, g)) {
        GEOSGeom_destroy_r(h, g);
        return sg__error(ctx, SG_ERR_GEOMETRY, "E_BAD_COORDINATE", w,
                         "geometry has a NaN or infinite coordinate");
    }
    char *reason = NULL;
    GEOSGeometry *loc = NULL;
    char valid = GEOSisValidDetail_r(h, g, 0, &reason, &loc);
    if (valid == 1) {
        *out = g;
        return SG_OK;
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
        sg_status st = sg__error(ctx, SG_ERR_GEOMETRY, "E_INVALID_GEOMETRY", w,
                                 "invalid geometry: %s (--strict: not repaired)", why ? why : "");
        free(why);
        GEOSGeom_destroy_r(h, g);
        return st;
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
        sg_status st = sg__error(ctx, SG_ERR_GEOMETRY, "E_INVALID_GEOMETRY", w,
                                 "invalid geometry that cannot be repaired: %s", why ? why : "");
        free(why);
        return st;
    }
    *out = fixed;
    *repaired = 1;
    if (note) *note = why;
    else free(why);
    return SG_OK;
}
