/* The one way an OGR geometry becomes GEOS: curves linearised, flattened to
 * 2D, every coordinate checked finite, through WKB (validate.c keeps the
 * same steps split across threads: OGR part on the reading thread, the WKB
 * read on the GEOS worker), transformed into the working CRS on request. */
#include <math.h>
#include <stdlib.h>

#include "read/read_internal.h"

GEOSGeometry *sg__wkb_to_geos(GEOSContextHandle_t h, const unsigned char *wkb, size_t size) {
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = rd ? GEOSWKBReader_read_r(h, rd, wkb, size) : NULL;
    if (rd) GEOSWKBReader_destroy_r(h, rd);
    return g;
}

int sg__ogr_coords_finite(void *ogr_geom) {
    OGRGeometryH g = ogr_geom;
    int ng = OGR_G_GetGeometryCount(g);
    for (int i = 0; i < ng; i++)
        if (!sg__ogr_coords_finite(OGR_G_GetGeometryRef(g, i))) return 0;
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++)
        if (!isfinite(OGR_G_GetX(g, i)) || !isfinite(OGR_G_GetY(g, i))) return 0;
    return 1;
}

int sg__ogr_point_nan(void *ogr_geom, double *x, double *y) {
    OGRGeometryH g = ogr_geom;
    if (!g || wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint || !OGR_G_IsEmpty(g)) return 0;
    *x = OGR_G_GetX(g, 0);
    *y = OGR_G_GetY(g, 0);
    return isnan(*x) != isnan(*y);
}

GEOSGeometry *sg__ogr_to_work(sg_ctx *ctx, void *ogr_geom, PJ *op, const char **why) {
    GEOSContextHandle_t h = sg__geos(ctx);
    OGRGeometryH og = ogr_geom;
    *why = NULL;
    OGRGeometryH lin = OGR_G_HasCurveGeometry(og, 0) ? OGR_G_GetLinearGeometry(og, 0, NULL) : OGR_G_Clone(og);
    if (!lin) {
        *why = "out of memory";
        return NULL;
    }
    OGR_G_FlattenTo2D(lin);
    if (!sg__ogr_coords_finite(lin)) {
        OGR_G_DestroyGeometry(lin);
        *why = "a coordinate is NaN or infinite";
        return NULL;
    }
    int size = OGR_G_WkbSize(lin);
    unsigned char *wkb = malloc((size_t)(size > 0 ? size : 1));
    if (!wkb) {
        OGR_G_DestroyGeometry(lin);
        *why = "out of memory";
        return NULL;
    }
    OGR_G_ExportToWkb(lin, wkbNDR, wkb);
    OGR_G_DestroyGeometry(lin);
    GEOSGeometry *g = sg__wkb_to_geos(h, wkb, (size_t)size);
    free(wkb);
    if (!g) {
        *why = "GEOS cannot read the geometry";
        return NULL;
    }
    if (!op) return g;
    sg_xform t = {op, 0, 0};
    GEOSGeometry *tg = GEOSGeom_transformXY_r(h, g, sg__xform_xy, &t);
    GEOSGeom_destroy_r(h, g);
    if (!tg) *why = "a coordinate cannot be transformed into the working CRS (outside the CRS's area of use, or "
                    "the wrong CRS?)";
    return tg;
}
