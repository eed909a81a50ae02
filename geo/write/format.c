/* --format gpkg and shp: the objective layers of layers.c again, in the
 * working CRS. --format gpkg adds seggap.gpkg (the same layers, with their
 * styles in the layer_styles table QGIS reads); --format shp adds shp/ (one
 * Shapefile per layer, field names shortened to 10 characters, shp/fields.csv
 * maps them back, shp/LAYER.qml styles). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "write/write_internal.h"

/* ---- Shapefile field names ---- */

static const struct {
    const char *full, *shp;
} shp_names[] = {
    {"social_units", "soc_units"},   {"social_units_per_1000", "soc_p1000"}, {"dist_housing_m", "dist_house"},
    {"overcrowding", "overcrowd"},   {"access_score", "acc_score"},          {"concentrated", "conc"},
    {"gap10_class", "gap10_cls"},    {"gap10_flags", "gap10_flg"},           {"supply_ratio", "supply_rat"},
    {"pop_catchment", "pop_catch"},  {"source_fid", "src_fid"},          {"fca2_per1000", "fca2_p1000"},
    {"e2sfca_per1000", "e2sf_p1000"},
};

/* A name of at most 10 bytes, unique among used[0..nused). */
static void shp_name(const char *full, char used[][11], size_t nused, char out[11]) {
    char base[11] = "";
    for (size_t k = 0; k < sizeof shp_names / sizeof shp_names[0]; k++)
        if (strcmp(full, shp_names[k].full) == 0) snprintf(base, sizeof base, "%s", shp_names[k].shp);
    if (!*base) {
        static const struct {
            const char *prefix, *abbr;
        } pre[] = {{"dist_", "d_"}, {"count_", "n_"}, {"e2sfca_", "e_"}, {"fca2_", "f_"}, {"time_", "t_"},
                   {"pop_within_", "pop_"}, {"beyond_", "b_"}};
        const char *p = full, *ab = "";
        for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++)
            if (strncmp(full, pre[k].prefix, strlen(pre[k].prefix)) == 0) {
                p = full + strlen(pre[k].prefix);
                ab = pre[k].abbr;
            }
        size_t pl = strlen(p);
        if (*ab == 'd' && pl > 2 && strcmp(p + pl - 2, "_m") == 0) pl -= 2;
        if ((*ab == 'f' || *ab == 'e') && pl > 8 && strcmp(p + pl - 8, "_per1000") == 0) pl -= 8; /* f_TYPE */
        const char *r = *ab == 'n' ? strrchr(p, '_') : NULL; /* count_TYPE_R: keep R whole */
        size_t fl = strlen(full);
        if (fl > 10 && strcmp(full + fl - 6, "_worse") == 0) /* --housing-indicator NAME_worse: NAME cut, _w */
            snprintf(base, sizeof base, "%.*s_w", (int)(fl - 6 < 8 ? fl - 6 : 8), full);
        else if (r && r[1] && strlen(r) < 8 && strlen(full) > 10)
            snprintf(base, sizeof base, "n%.*s%s", (int)(10 - 1 - strlen(r)), p, r);
        else
            snprintf(base, sizeof base, "%s%.*s", ab, (int)pl, p);
    }
    snprintf(out, 11, "%s", base);
    for (int k = 1; k < 1000; k++) {
        int clash = 0;
        for (size_t u = 0; u < nused; u++)
            if (strcasecmp(used[u], out) == 0) clash = 1;
        if (!clash) return;
        char suf[8];
        int sl = snprintf(suf, sizeof suf, "%d", k);
        snprintf(out, 11, "%.*s%s", 10 - sl, base, suf);
    }
}

/* ---- OGR writing ---- */

/* OGR geometry from GEOS through WKB. Caller destroys. */
static OGRGeometryH to_ogr(sg_ctx *ctx, const GEOSGeometry *g) {
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(sg__geos(ctx));
    if (!wr) return NULL;
    GEOSWKBWriter_setByteOrder_r(sg__geos(ctx), wr, GEOS_WKB_NDR);
    size_t size = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(sg__geos(ctx), wr, g, &size);
    GEOSWKBWriter_destroy_r(sg__geos(ctx), wr);
    if (!wkb) return NULL;
    OGRGeometryH og = NULL;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &og, size) != OGRERR_NONE) og = NULL;
    GEOSFree_r(sg__geos(ctx), wkb);
    return og;
}

static OGRSpatialReferenceH srs_from_wkt(const char *wkt) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *w = (char *)wkt;
    if (!srs || !wkt || OSRImportFromWkt(srs, &w) != OGRERR_NONE) {
        if (srs) OSRDestroySpatialReference(srs);
        return NULL;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

enum { FMT_GPKG = 1, FMT_SHP };

/* Writes one layer into ds (GeoPackage or Shapefile; the GeoJSON layers are
 * written by write_geojson.c), in the working CRS. names: output field names
 * (NULL: the full names). */
static sg_status put_layer(sg_ctx *ctx, const struct sg_run *run, GDALDatasetH ds, const sg_lspec *L, int fmt,
                           const char *const *names, const char *path) {
    sg_where w = {path, L->name, -1, NULL, NULL};
    const char *wkt = proj_as_wkt(sg__proj(ctx), run->rd.crs.work, PJ_WKT2_2019, NULL);
    OGRSpatialReferenceH srs = srs_from_wkt(wkt);
    if (!srs) return sg__error(ctx, SG_ERR_CRS, "E_CRS", w, "GDAL cannot use the CRS for the output");
    char **lco = NULL;
    OGRwkbGeometryType gt = wkbUnknown;
    if (fmt == FMT_GPKG) {
        gt = L->px ? wkbPoint : wkbMultiPolygon;
    } else {
        gt = L->px ? wkbPoint : wkbPolygon;
        lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
    }
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, L->name, srs, gt, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    if (!lyr) return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create the layer: %s", sg__gdal_msg(ctx));
    for (size_t k = 0; k < L->nf; k++) {
        const sg_lfield *F = &L->f[k];
        OGRFieldDefnH fd = OGR_Fld_Create(names ? names[k] : F->name,
                                          F->kind == SG_LF_TEXT ? OFTString : F->kind == SG_LF_INT ? OFTInteger64 : OFTReal);
        if (fmt == FMT_SHP && F->kind == SG_LF_TEXT) OGR_Fld_SetWidth(fd, 254);
        if (fmt == FMT_SHP && F->kind == SG_LF_REAL) {
            OGR_Fld_SetWidth(fd, 24);
            OGR_Fld_SetPrecision(fd, 15);
        }
        OGRErr e = OGR_L_CreateField(lyr, fd, 0);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot create field %s: %s", F->name, sg__gdal_msg(ctx));
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    sg_status st = SG_OK;
    int tx = OGR_L_StartTransaction(lyr) == OGRERR_NONE;
    for (size_t i = 0; i < L->n && st == SG_OK; i++) {
        OGRFeatureH f = OGR_F_Create(defn);
        for (size_t k = 0; k < L->nf; k++) {
            const sg_lfield *F = &L->f[k];
            int p = (int)k;
            if (F->kind == SG_LF_TEXT) {
                if (F->text && F->text[i]) OGR_F_SetFieldString(f, p, F->text[i]);
                else OGR_F_SetFieldNull(f, p);
            } else if (F->num && isfinite(F->num[i])) {
                if (F->kind == SG_LF_INT) OGR_F_SetFieldInteger64(f, p, (GIntBig)llround(F->num[i]));
                else OGR_F_SetFieldDouble(f, p, F->num[i]);
            } else {
                OGR_F_SetFieldNull(f, p);
            }
        }
        OGRGeometryH og = NULL;
        if (L->px) {
            og = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(og, 0, L->px[i], L->py[i]);
        } else {
            const GEOSGeometry *gg = L->city->geom[i];
            og = gg ? to_ogr(ctx, gg) : NULL;
            if (og && fmt == FMT_GPKG) og = OGR_G_ForceToMultiPolygon(og);
        }
        if (og) OGR_F_SetGeometryDirectly(f, og);
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT",
                           (sg_where){path, L->name, (long long)i, L->city ? L->city->id[i] : NULL, NULL},
                           "cannot write the feature: %s", sg__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    if (tx && st == SG_OK && OGR_L_CommitTransaction(lyr) != OGRERR_NONE)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", w, "cannot commit the layer: %s", sg__gdal_msg(ctx));
    else if (tx && st != SG_OK && OGR_L_RollbackTransaction(lyr) != OGRERR_NONE)
        sg__warn(ctx, "W_OUTPUT", w, "rollback failed: %s", sg__gdal_msg(ctx));
    return st;
}

/* Creates a data source at tmp, lets fill() write into it, closes it and
 * checks for errors. */
static GDALDatasetH create_ds(sg_ctx *ctx, const char *driver, const char *tmp, const char *path) {
    GDALDriverH drv = GDALGetDriverByName(driver);
    if (!drv) {
        sg__error(ctx, SG_ERR_INTERNAL, "E_DRIVER", (sg_where){path, NULL, -1, NULL, NULL}, "GDAL has no %s driver",
                  driver);
        return NULL;
    }
    GDALDatasetH ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds)
        sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, NULL, -1, NULL, NULL}, "cannot create: %s",
                  sg__gdal_msg(ctx));
    return ds;
}

static sg_status close_ds(sg_ctx *ctx, GDALDatasetH ds, sg_status st, const char *path) {
    if (!ds) return st;
    CPLErrorReset();
    GDALClose(ds);
    if (st == SG_OK && (CPLGetLastErrorType() >= CE_Failure))
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, NULL, -1, NULL, NULL}, "writing failed: %s",
                       sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : CPLGetLastErrorMsg());
    return st;
}

sg_status sg__write_gpkg(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L, const sg_style_key *keys,
                            size_t nl) {
    char *path = sg__asprintf("%s/seggap.gpkg", run->dir);
    char *tmp = path ? sg__asprintf("%s/.seggap.tmp-%ld.gpkg", run->dir, (long)getpid()) : NULL;
    if (!tmp) {
        free(path);
        return sg__nomem(ctx);
    }
    sg__gdal_push(ctx);
    remove(tmp);
    GDALDatasetH ds = create_ds(ctx, "GPKG", tmp, path);
    sg_status st = ds ? SG_OK : SG_ERR_OUTPUT;
    for (size_t k = 0; k < nl && st == SG_OK; k++) st = put_layer(ctx, run, ds, L[k], FMT_GPKG, NULL, path);
    /* layer_styles, as QGIS writes it */
    OGRLayerH sl = st == SG_OK ? GDALDatasetCreateLayer(ds, "layer_styles", NULL, wkbNone, NULL) : NULL;
    if (st == SG_OK && !sl)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, "layer_styles", -1, NULL, NULL},
                       "cannot create the layer: %s", sg__gdal_msg(ctx));
    static const char *const sf[] = {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                                     "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                                     "ui", "update_time"};
    for (size_t k = 0; st == SG_OK && k < sizeof sf / sizeof sf[0]; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(sf[k], strcmp(sf[k], "useAsDefault") == 0  ? OFTInteger
                                                 : strcmp(sf[k], "update_time") == 0 ? OFTDateTime
                                                                                      : OFTString);
        if (strcmp(sf[k], "useAsDefault") == 0) OGR_Fld_SetSubType(fd, OFSTBoolean);
        if (OGR_L_CreateField(sl, fd, 0) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, "layer_styles", -1, NULL, sf[k]},
                           "cannot create the field: %s", sg__gdal_msg(ctx));
        OGR_Fld_Destroy(fd);
    }
    for (size_t k = 0; st == SG_OK && k < nl; k++) {
        sg_style s;
        if (sg__style_build(run, keys[k], &s) != 0) {
            sg__style_free(&s);
            st = sg__nomem(ctx);
            break;
        }
        char *qml = sg__qml_text(&s, NULL);
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(sl));
        OGR_F_SetFieldString(f, 0, "");
        OGR_F_SetFieldString(f, 1, "");
        OGR_F_SetFieldString(f, 2, L[k]->name);
        OGR_F_SetFieldString(f, 3, "geom");
        OGR_F_SetFieldString(f, 4, L[k]->name);
        OGR_F_SetFieldString(f, 5, qml ? qml : "");
        OGR_F_SetFieldString(f, 6, "");
        OGR_F_SetFieldInteger(f, 7, 1);
        OGR_F_SetFieldString(f, 8, s.title);
        OGR_F_SetFieldString(f, 9, "seggap");
        OGR_F_SetFieldNull(f, 10);
        time_t now = time(NULL);
        struct tm tmv;
        if (gmtime_r(&now, &tmv))
            OGR_F_SetFieldDateTimeEx(f, 11, tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min,
                                     (float)tmv.tm_sec, 100);
        if (!qml || OGR_L_CreateFeature(sl, f) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, "layer_styles", -1, NULL, NULL},
                           "cannot write the style of %s: %s", L[k]->name, sg__gdal_msg(ctx));
        OGR_F_Destroy(f);
        free(qml);
        sg__style_free(&s);
    }
    st = close_ds(ctx, ds, st, path);
    sg__gdal_pop();
    if (st == SG_OK) st = sg__commit(ctx, tmp, path);
    else remove(tmp);
    if (st == SG_OK && sg__written_add(out, path) != 0) st = sg__nomem(ctx);
    free(tmp);
    free(path);
    return st;
}

sg_status sg__write_shp(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L, const sg_style_key *keys,
                           size_t nl) {
    char *dir = sg__asprintf("%s/shp", run->dir);
    char *tdir = sg__asprintf("%s/.shp.tmp-%ld", run->dir, (long)getpid());
    char *map = NULL;
    size_t maplen = 0;
    FILE *mf = open_memstream(&map, &maplen);
    sg_status st = dir && tdir && mf ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK) st = sg__ensure_dir(ctx, dir);
    if (st == SG_OK) st = sg__ensure_dir(ctx, tdir);
    if (mf) fprintf(mf, "layer,shapefile_field,field\n");
    static const char *const exts[] = {"shp", "shx", "dbf", "prj", "cpg"};
    for (size_t k = 0; k < nl && st == SG_OK; k++) {
        const sg_lspec *S = L[k];
        char(*used)[11] = calloc(S->nf + 1, sizeof *used);
        const char **names = calloc(S->nf + 1, sizeof *names);
        char *tpath = sg__asprintf("%s/%s.shp", tdir, S->name);
        if (!used || !names || !tpath) st = sg__nomem(ctx);
        for (size_t f = 0; st == SG_OK && f < S->nf; f++) {
            shp_name(S->f[f].name, used, f, used[f]);
            names[f] = used[f];
            fprintf(mf, "%s,%s,%s\n", S->name, used[f], S->f[f].name);
        }
        if (st == SG_OK) {
            sg__gdal_push(ctx);
            GDALDatasetH ds = create_ds(ctx, "ESRI Shapefile", tpath, tpath);
            st = ds ? put_layer(ctx, run, ds, S, FMT_SHP, names, tpath) : SG_ERR_OUTPUT;
            st = close_ds(ctx, ds, st, tpath);
            sg__gdal_pop();
        }
        for (size_t e = 0; st == SG_OK && e < sizeof exts / sizeof exts[0]; e++) {
            char *from = sg__asprintf("%s/%s.%s", tdir, S->name, exts[e]);
            char *to = sg__asprintf("%s/%s.%s", dir, S->name, exts[e]);
            if (!from || !to) st = sg__nomem(ctx);
            else if (access(from, F_OK) == 0) {
                st = sg__commit(ctx, from, to);
                if (st == SG_OK && e == 0 && sg__written_add(out, to) != 0) st = sg__nomem(ctx);
            }
            free(from);
            free(to);
        }
        /* the style, on the short field name */
        if (st == SG_OK) {
            sg_style s;
            if (sg__style_build(run, keys[k], &s) != 0) st = sg__nomem(ctx);
            const char *attr = NULL;
            for (size_t f = 0; st == SG_OK && f < S->nf; f++)
                if (strcmp(S->f[f].name, s.attr) == 0) attr = names[f];
            char *qpath = sg__asprintf("%s/%s.qml", dir, S->name);
            if (st == SG_OK) st = qpath ? sg__write_qml(ctx, out, &s, attr, qpath) : sg__nomem(ctx);
            free(qpath);
            sg__style_free(&s);
        }
        /* leftovers of a failed layer */
        for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
            char *from = sg__asprintf("%s/%s.%s", tdir, S->name, exts[e]);
            if (from) remove(from);
            free(from);
        }
        free(used);
        free(names);
        free(tpath);
    }
    if (mf) fclose(mf);
    if (tdir) rmdir(tdir);
    if (st == SG_OK) {
        char *mpath = sg__asprintf("%s/fields.csv", dir);
        st = mpath && map ? sg__output_write(ctx, mpath, map, maplen) : sg__nomem(ctx);
        if (st == SG_OK && sg__written_add(out, mpath) != 0) st = sg__nomem(ctx);
        free(mpath);
    }
    free(map);
    free(dir);
    free(tdir);
    return st;
}
