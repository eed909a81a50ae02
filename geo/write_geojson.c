/* districts.geojson through OGR's GeoJSON driver with RFC7946=YES: the driver
 * reprojects to EPSG:4326 lon/lat, winds rings by the right-hand rule, writes
 * no crs member and at most 7 decimals. Every district read is written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "internal.h"

typedef struct field_def {
    const char *name;
    OGRFieldType type;
} field_def;

/* Fields every layer has, then one per result column (share, lq, ...). */
static const field_def fields[] = {
    {"id", OFTString},     {"name", OFTString},        {"total", OFTReal},         {"group", OFTReal},
    {"status", OFTString}, {"status_note", OFTString}, {"source_fid", OFTInteger64},
};
enum { F_ID, F_NAME, F_TOTAL, F_GROUP, F_STATUS, F_NOTE, F_FID, F_COUNT };

static void set_real(OGRFeatureH f, int idx, double v) {
    if (isfinite(v)) OGR_F_SetFieldDouble(f, idx, v);
    else OGR_F_SetFieldNull(f, idx);
}

/* OGR geometry from GEOS, through WKB. Caller destroys. */
static OGRGeometryH to_ogr(sg_ctx *ctx, const GEOSGeometry *g) {
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(ctx->geos);
    if (!wr) return NULL;
    GEOSWKBWriter_setByteOrder_r(ctx->geos, wr, GEOS_WKB_NDR);
    size_t size = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(ctx->geos, wr, g, &size);
    GEOSWKBWriter_destroy_r(ctx->geos, wr);
    if (!wkb) return NULL;
    OGRGeometryH og = NULL;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &og, size) != OGRERR_NONE) og = NULL;
    GEOSFree_r(ctx->geos, wkb);
    return og;
}

sg_status sg__write_districts(sg_ctx *ctx, const struct sg_run *run, const char *path) {
    const sg_city *city = &run->city;
    char *tmp = sg__tmp_path(path);
    if (!tmp) return sg__nomem(ctx);
    sg_where w = {path, NULL, -1, NULL, NULL};
    GDALDriverH drv = GDALGetDriverByName("GeoJSON");
    if (!drv) {
        free(tmp);
        return sg__error(ctx, SG_ERR_INTERNAL, "E_DRIVER", w, "GDAL has no GeoJSON driver");
    }
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = run->rd.crs.src_wkt;
    if (!srs || OSRImportFromWkt(srs, &wkt) != OGRERR_NONE) {
        if (srs) OSRDestroySpatialReference(srs);
        free(tmp);
        return sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "GDAL cannot use the input CRS for the output");
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);

    sg_status st = SG_OK;
    sg__gdal_push(ctx);
    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH lyr = NULL;
    if (ds) {
        char **lco = NULL;
        lco = CSLSetNameValue(lco, "RFC7946", "YES");
        lco = CSLSetNameValue(lco, "WRITE_NAME", "NO");
        
        lyr = GDALDatasetCreateLayer(ds, "districts", srs, wkbUnknown, lco);
        CSLDestroy(lco);
    }
    if (!ds || !lyr) {
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create the layer: %s", ctx->gdal_msg);
        goto out;
    }
    const sg_result *res = &run->res;
    int has_name = city->name && run->rd.fields && run->rd.fields[SG_ROLE_NAME].name;
    for (int k = 0; k < F_COUNT + (int)res->ncols; k++) {
        if (k == F_NAME && !has_name) continue;
        OGRFieldDefnH fd = k < F_COUNT ? OGR_Fld_Create(fields[k].name, fields[k].type)
                                       : OGR_Fld_Create(res->cols[k - F_COUNT].name,
                                                        res->cols[k - F_COUNT].num ? OFTReal : OFTString);
        OGRErr e = OGR_L_CreateField(lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE) {
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create field %s: %s",
                           k < F_COUNT ? fields[k].name : res->cols[k - F_COUNT].name, ctx->gdal_msg);
            goto out;
        }
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    /* Field positions in the layer, by name: the name field may be absent. */
    int pos[F_COUNT];
    for (int k = 0; k < F_COUNT; k++) pos[k] = OGR_FD_GetFieldIndex(defn, fields[k].name);
    int col0 = OGR_FD_GetFieldIndex(defn, res->ncols ? res->cols[0].name : "");
    for (size_t i = 0; i < city->n && st == SG_OK && (st = sg__check_cancel(ctx)) == SG_OK; i++) {
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, pos[F_ID], city->id[i] ? city->id[i] : "");
        if (pos[F_NAME] >= 0) {
            if (city->name[i]) OGR_F_SetFieldString(f, pos[F_NAME], city->name[i]);
            else OGR_F_SetFieldNull(f, pos[F_NAME]);
        }
        set_real(f, pos[F_TOTAL], city->total[i]);
        set_real(f, pos[F_GROUP], city->group[i]);
        OGR_F_SetFieldString(f, pos[F_STATUS], sg__dstatus_name(city->status[i]));
        if (city->note[i]) OGR_F_SetFieldString(f, pos[F_NOTE], city->note[i]);
        else OGR_F_SetFieldNull(f, pos[F_NOTE]);
        OGR_F_SetFieldInteger64(f, pos[F_FID], city->fid[i]);
        for (size_t k = 0; k < res->ncols; k++) {
            const sg_column *c = &res->cols[k];
            int p = col0 + (int)k;
            if (c->num) set_real(f, p, c->num[i]);
            else if (c->text && c->text[i]) OGR_F_SetFieldString(f, p, c->text[i]);
            else OGR_F_SetFieldNull(f, p);
        }
        OGRGeometryH og = city->geom_src[i] ? to_ogr(ctx, city->geom_src[i]) : NULL;
        if (og) OGR_F_SetGeometryDirectly(f, og);
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, NULL, city->fid[i], city->id[i], NULL},
                           "cannot write the feature: %s", ctx->gdal_msg);
        OGR_F_Destroy(f);
    }
out:
    if (ds) {
        GDALClose(ds); /* flushes: write errors (disk full) surface here */
        if (st == SG_OK && (CPLGetLastErrorType() >= CE_Failure || ctx->gdal_msg[0]))
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "writing failed: %s",
                           ctx->gdal_msg[0] ? ctx->gdal_msg : CPLGetLastErrorMsg());
    }
    sg__gdal_pop();
    OSRDestroySpatialReference(srs);
    if (st == SG_OK) st = sg__commit(ctx, tmp, path);
    else remove(tmp);
    free(tmp);
    return st;
}
