/* The planner-facing layers: objective5.geojson, objective10.geojson and
 * services.geojson, RFC 7946 through OGR's GeoJSON driver (EPSG:4326, right-
 * hand winding, 7 decimals), each written to a temporary name and renamed;
 * they are written with districts.geojson, sharing its lon/lat geometries,
 * on up to two threads (sg__write_geojson_all, write_geojson.c).
 * --format gpkg adds seggap.gpkg (the same layers in the working CRS, with
 * their styles in the layer_styles table QGIS reads); --format shp adds shp/
 * (one Shapefile per layer in the working CRS, field names shortened to 10
 * characters, shp/fields.csv maps them back, shp/LAYER.qml styles).
 * sg__write_objectives runs the other writers of the objective stage. */
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

#include "write/write.h"

/* ---- map helpers shared with the styles and the report ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int sg__graduated_breaks(const double *v, const unsigned char *mask, size_t n, double lo[5], double hi[5], int *nb) {
    *nb = 0;
    if (!v) return -1;
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && isfinite(v[i])) s[m++] = v[i];
    if (!m) {
        free(s);
        return -1;
    }
    qsort(s, m, sizeof *s, cmp_double);
    double vmin = s[0], vmax = s[m - 1], span = vmax - vmin;
    double step = span > 0 ? pow(10, floor(log10(span)) - 1) : (vmax != 0 ? pow(10, floor(log10(fabs(vmax))) - 2) : 0.01);
    double b[6];
    b[0] = floor(vmin / step) * step;
    b[5] = ceil(vmax / step) * step;
    if (b[5] <= b[0]) b[5] = b[0] + step;
    int k = 1;
    for (int q = 1; q < 5; q++) {
        double x = s[(size_t)floor((double)q / 5.0 * (double)(m - 1) + 0.5)];
        double r = round(x / step) * step;
        if (r > b[k - 1] + 0.5 * step && r < b[5] - 0.5 * step) b[k++] = r;
    }
    b[k] = b[5];
    for (int c = 0; c < k; c++) {
        lo[c] = b[c];
        hi[c] = b[c + 1];
    }
    *nb = k;
    free(s);
    return 0;
}

void sg__range_label(double lo, double hi, int percent, char *buf, size_t size) {
    double a = percent ? 100 * lo : lo, b = percent ? 100 * hi : hi, span = fabs(b - a);
    int dec = span >= 10 ? 0 : span >= 1 ? 1 : span >= 0.1 ? 2 : 3;
    snprintf(buf, size, "%.*f \xE2\x80\x93 %.*f%s", dec, a, dec, b, percent ? " %" : "");
}

/* ---- layer descriptions ---- */

typedef sg_lfield lfield;

typedef struct lspec {
    const char *name;       /* layer and file name */
    lfield *f;
    size_t nf;
    size_t n;
    const sg_city *city;    /* polygons: the districts */
    const double *px, *py;  /* points (the services), working CRS */
} lspec;

static int add_field(lspec *L, size_t cap, const char *name, sg_lf_kind kind, const double *num,
                     const char *const *text) {
    if (L->nf >= cap) return -1;
    L->f[L->nf++] = (lfield){name, kind, num, text, NULL};
    return 0;
}

static int add_res(lspec *L, size_t cap, const sg_result *r, const char *name) {
    const sg_column *c = sg__res_col(r, name);
    if (!c) return 0;
    return add_field(L, cap, c->name, c->num ? SG_LF_REAL : SG_LF_TEXT, c->num, (const char *const *)c->text);
}

/* Access columns of one service type, by name. */
static int add_access(lspec *L, size_t cap, const sg_result *r, const char *type) {
    size_t tl = strlen(type);
    static const char *const exact[] = {"dist_%s_m", "fca2_%s", "e2sfca_%s"};
    for (int pass = 0; pass < 4; pass++)
        for (size_t k = 0; k < r->ncols; k++) {
            const char *nm = r->cols[k].name;
            int match = 0;
            if (pass == 1) {
                match = strncmp(nm, "count_", 6) == 0 && strncmp(nm + 6, type, tl) == 0 && nm[6 + tl] == '_' &&
                        !strchr(nm + 7 + tl, '_');
            } else {
                char want[256];
                snprintf(want, sizeof want, exact[pass == 0 ? 0 : pass - 1], type);
                match = strcmp(nm, want) == 0;
            }
            if (match && add_field(L, cap, nm, r->cols[k].num ? SG_LF_REAL : SG_LF_TEXT, r->cols[k].num,
                                   (const char *const *)r->cols[k].text) != 0)
                return -1;
        }
    return 0;
}

/* Per-layer text and number arrays built for writing. */
typedef struct layer_data {
    const char **cls5, **cls10, **status, **flags10;
    char **note5, **note10, *flagbuf;
    double *conc, *hot, *dist_h, *units, *per1000, *over;
} layer_data;

static void layer_data_free(layer_data *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (d->note5) free(d->note5[i]);
        if (d->note10) free(d->note10[i]);
    }
    free(d->cls5);
    free(d->cls10);
    free(d->status);
    free(d->flags10);
    free(d->note5);
    free(d->note10);
    free(d->flagbuf);
    free(d->conc);
    free(d->hot);
    free(d->dist_h);
    free(d->units);
    free(d->per1000);
    free(d->over);
    memset(d, 0, sizeof *d);
}

static double *nan_array(size_t n) {
    double *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; a && i < n; i++) a[i] = NAN;
    return a;
}

static int build_data(const struct sg_run *run, layer_data *d) {
    const sg_city *c = &run->city;
    const struct sg_gaps *g = run->gaps;
    size_t n = c->n, nn = n ? n : 1;
    memset(d, 0, sizeof *d);
    d->cls5 = calloc(nn, sizeof *d->cls5);
    d->cls10 = calloc(nn, sizeof *d->cls10);
    d->status = calloc(nn, sizeof *d->status);
    d->flags10 = calloc(nn, sizeof *d->flags10);
    d->note5 = calloc(nn, sizeof *d->note5);
    d->note10 = calloc(nn, sizeof *d->note10);
    d->flagbuf = calloc(nn, 64);
    d->conc = nan_array(n);
    d->hot = nan_array(n);
    d->dist_h = nan_array(n);
    d->units = nan_array(n);
    d->per1000 = nan_array(n);
    d->over = nan_array(n);
    if (!d->cls5 || !d->cls10 || !d->status || !d->flags10 || !d->note5 || !d->note10 || !d->flagbuf || !d->conc ||
        !d->hot || !d->dist_h || !d->units || !d->per1000 || !d->over)
        return -1;
    for (size_t i = 0; i < n; i++) {
        d->cls5[i] = sg__gap5_name((sg_gap5)g->g5.cls[i]);
        d->cls10[i] = sg__gap10_name((sg_gap10)g->g10.cls[i]);
        d->status[i] = sg__dstatus_name((sg_dstatus)c->status[i]);
        char *fb = d->flagbuf + 64 * i;
        sg__gap10_flags_text(g->g10.flags[i], fb, 64);
        d->flags10[i] = *fb ? fb : NULL;
        if (g->usable[i]) {
            d->conc[i] = g->g5.concentrated[i];
            d->hot[i] = g->g5.hotspot[i];
        }
        if (g->h.dist_m) d->dist_h[i] = g->h.dist_m[i];
        if (g->h.units) d->units[i] = g->h.units[i];
        if (g->h.overcrowding) d->over[i] = g->h.overcrowding[i];
        d->per1000[i] = g->g10.per_1000[i];
        const char *why = !g->usable[i] ? (c->note[i] ? c->note[i] : "no residents") : NULL;
        if (why) {
            d->note5[i] = sg__asprintf("not assessed: %s", why);
            d->note10[i] = sg__asprintf("not assessed: %s", why);
        } else {
            if (!g->ntypes)
                d->note5[i] = sg__strdup("access not assessed: no service data was given");
            else if (g->g5.cls[i] == SG_GAP5_NO_DATA)
                d->note5[i] = sg__strdup("no distance to any service");
            if (!g->assessed10)
                d->note10[i] = sg__strdup("no housing data was given (--housing, --social-housing-field, "
                                          "--overcrowding-field)");
            else if (g->g10.cls[i] == SG_GAP10_NO_DATA)
                d->note10[i] = sg__asprintf("%s%s%s", g->h.overcrowding && !isfinite(g->h.overcrowding[i]) ?
                                                          "overcrowding unknown" : "",
                                            g->h.overcrowding && !isfinite(g->h.overcrowding[i]) &&
                                                    g->h.units && !isfinite(g->h.units[i]) ? "; " : "",
                                            g->h.units && !isfinite(g->h.units[i]) ? "social housing units unknown"
                                                                                    : "");
        }
    }
    return 0;
}

#define MAXF 256

static int spec_objective5(const struct sg_run *run, const layer_data *d, lspec *L, const char *const *ids,
                           const char *const *names) {
    const struct sg_gaps *g = run->gaps;
    const sg_result *r = &run->res;
    int rc = 0;
    L->name = "objective5";
    L->n = run->city.n;
    L->city = &run->city;
    rc |= add_field(L, MAXF, "id", SG_LF_TEXT, NULL, ids);
    if (names) rc |= add_field(L, MAXF, "name", SG_LF_TEXT, NULL, names);
    rc |= add_field(L, MAXF, "total", SG_LF_REAL, run->city.total, NULL);
    rc |= add_field(L, MAXF, "group", SG_LF_REAL, run->city.group, NULL);
    rc |= add_res(L, MAXF, r, "share");
    rc |= add_res(L, MAXF, r, "lq");
    rc |= add_res(L, MAXF, r, "d_contrib");
    rc |= add_res(L, MAXF, r, "gi_star_z");
    rc |= add_res(L, MAXF, r, "gi_star_p");
    rc |= add_res(L, MAXF, r, "lisa_class");
    for (size_t t = 0; t < g->ntypes; t++) rc |= add_access(L, MAXF, r, g->types[t]);
    rc |= add_field(L, MAXF, "access_score", SG_LF_REAL, g->g5.access_score, NULL);
    rc |= add_field(L, MAXF, "concentrated", SG_LF_INT, d->conc, NULL);
    rc |= add_field(L, MAXF, "hotspot", SG_LF_INT, d->hot, NULL);
    rc |= add_field(L, MAXF, "gap5_class", SG_LF_TEXT, NULL, d->cls5);
    rc |= add_field(L, MAXF, "gap5_score", SG_LF_REAL, g->g5.score, NULL);
    rc |= add_field(L, MAXF, "gap5_rank", SG_LF_INT, g->g5.rank, NULL);
    rc |= add_field(L, MAXF, "gap5_note", SG_LF_TEXT, NULL, (const char *const *)d->note5);
    rc |= add_field(L, MAXF, "status", SG_LF_TEXT, NULL, d->status);
    return rc;
}

static int spec_objective10(const struct sg_run *run, const layer_data *d, lspec *L, const char *const *ids,
                            const char *const *names) {
    const sg_result *r = &run->res;
    int rc = 0;
    L->name = "objective10";
    L->n = run->city.n;
    L->city = &run->city;
    rc |= add_field(L, MAXF, "id", SG_LF_TEXT, NULL, ids);
    if (names) rc |= add_field(L, MAXF, "name", SG_LF_TEXT, NULL, names);
    rc |= add_field(L, MAXF, "total", SG_LF_REAL, run->city.total, NULL);
    rc |= add_field(L, MAXF, "group", SG_LF_REAL, run->city.group, NULL);
    rc |= add_res(L, MAXF, r, "share");
    rc |= add_res(L, MAXF, r, "lq");
    rc |= add_field(L, MAXF, "concentrated", SG_LF_INT, d->conc, NULL);
    rc |= add_field(L, MAXF, "social_units", SG_LF_REAL, d->units, NULL);
    rc |= add_field(L, MAXF, "social_units_per_1000", SG_LF_REAL, d->per1000, NULL);
    rc |= add_field(L, MAXF, "dist_housing_m", SG_LF_REAL, d->dist_h, NULL);
    rc |= add_field(L, MAXF, "overcrowding", SG_LF_REAL, d->over, NULL);
    rc |= add_field(L, MAXF, "gap10_class", SG_LF_TEXT, NULL, d->cls10);
    rc |= add_field(L, MAXF, "gap10_flags", SG_LF_TEXT, NULL, d->flags10);
    rc |= add_field(L, MAXF, "gap10_note", SG_LF_TEXT, NULL, (const char *const *)d->note10);
    rc |= add_field(L, MAXF, "status", SG_LF_TEXT, NULL, d->status);
    return rc;
}

/* One column of a row-major n x k matrix, copied out (owned by the caller). */
static double *matrix_col(const double *m, size_t n, size_t k, size_t c) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = m[i * k + c];
    return v;
}

static int spec_services(const struct sg_run *run, lspec *L, double **cols) {
    const sg_sites *S = &run->gaps->sites;
    int rc = 0;
    L->name = "services";
    L->n = S->n;
    L->px = S->x;
    L->py = S->y;
    rc |= add_field(L, MAXF, "type", SG_LF_TEXT, NULL, (const char *const *)S->type);
    rc |= add_field(L, MAXF, "name", SG_LF_TEXT, NULL, (const char *const *)S->name);
    rc |= add_field(L, MAXF, "source_fid", SG_LF_INT, S->fid, NULL);
    rc |= add_field(L, MAXF, "capacity", SG_LF_REAL, S->capacity, NULL);
    rc |= add_field(L, MAXF, "fca2", SG_LF_REAL, S->fca2, NULL);
    rc |= add_field(L, MAXF, "e2sfca", SG_LF_REAL, S->e2sfca, NULL);
    rc |= add_field(L, MAXF, "pop_catchment", SG_LF_REAL, S->pop_catchment, NULL);
    for (size_t r = 0; r < S->nradius && r < 16; r++) {
        cols[r] = matrix_col(S->pop_r, S->n, S->nradius, r);
        rc |= cols[r] ? add_field(L, MAXF, S->pop_r_names[r], SG_LF_REAL, cols[r], NULL) : -1;
    }
    return rc;
}

/* ---- Shapefile field names ---- */

static const struct {
    const char *full, *shp;
} shp_names[] = {
    {"social_units", "soc_units"},   {"social_units_per_1000", "soc_p1000"}, {"dist_housing_m", "dist_house"},
    {"overcrowding", "overcrowd"},   {"access_score", "acc_score"},          {"concentrated", "conc"},
    {"gap10_class", "gap10_cls"},    {"gap10_flags", "gap10_flg"},           {"supply_ratio", "supply_rat"},
    {"pop_catchment", "pop_catch"},  {"source_fid", "src_fid"},
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
                   {"pop_within_", "pop_"}};
        const char *p = full, *ab = "";
        for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++)
            if (strncmp(full, pre[k].prefix, strlen(pre[k].prefix)) == 0) {
                p = full + strlen(pre[k].prefix);
                ab = pre[k].abbr;
            }
        size_t pl = strlen(p);
        if (*ab == 'd' && pl > 2 && strcmp(p + pl - 2, "_m") == 0) pl -= 2;
        const char *r = *ab == 'n' ? strrchr(p, '_') : NULL; /* count_TYPE_R: keep R whole */
        if (r && r[1] && strlen(r) < 8 && strlen(full) > 10)
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
static sg_status put_layer(sg_ctx *ctx, const struct sg_run *run, GDALDatasetH ds, const lspec *L, int fmt,
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
        const lfield *F = &L->f[k];
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
            const lfield *F = &L->f[k];
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

/* GeoPackage: the layers plus layer_styles (QGIS applies the default style). */
static sg_status write_gpkg(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const lspec *const *L, const sg_style_key *keys,
                            size_t nl) {
    char *path = sg__asprintf("%s/seggap.gpkg", run->out_dir);
    char *tmp = path ? sg__asprintf("%s/.seggap.tmp-%ld.gpkg", run->out_dir, (long)getpid()) : NULL;
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

/* Shapefiles in DIR/shp/: each written into a temporary directory and its
 * files renamed into place; fields.csv maps the short names back. */
static sg_status write_shp(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const lspec *const *L, const sg_style_key *keys,
                           size_t nl) {
    char *dir = sg__asprintf("%s/shp", run->out_dir);
    char *tdir = sg__asprintf("%s/.shp.tmp-%ld", run->out_dir, (long)getpid());
    char *map = NULL;
    size_t maplen = 0;
    FILE *mf = open_memstream(&map, &maplen);
    sg_status st = dir && tdir && mf ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK) st = sg__ensure_dir(ctx, dir);
    if (st == SG_OK) st = sg__ensure_dir(ctx, tdir);
    if (mf) fprintf(mf, "layer,shapefile_field,field\n");
    static const char *const exts[] = {"shp", "shx", "dbf", "prj", "cpg"};
    for (size_t k = 0; k < nl && st == SG_OK; k++) {
        const lspec *S = L[k];
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

/* The specs of the objective layers (and services), with what they point to. */
typedef struct layer_set {
    layer_data d;
    double *popcols[16];
    lfield *f5, *f10, *fs;
    lspec L5, L10, LS;
    size_t nl; /* 2, or 3 with services */
} layer_set;

static void layer_set_free(layer_set *S, size_t n) {
    layer_data_free(&S->d, n);
    for (int r = 0; r < 16; r++) free(S->popcols[r]);
    free(S->f5);
    free(S->f10);
    free(S->fs);
    memset(S, 0, sizeof *S);
}

static int layer_set_build(const struct sg_run *run, layer_set *S) {
    const sg_city *c = &run->city;
    const struct sg_gaps *g = run->gaps;
    memset(S, 0, sizeof *S);
    S->f5 = calloc(MAXF, sizeof *S->f5);
    S->f10 = calloc(MAXF, sizeof *S->f10);
    S->fs = calloc(MAXF, sizeof *S->fs);
    S->L5.f = S->f5;
    S->L10.f = S->f10;
    S->LS.f = S->fs;
    S->nl = g->nsites ? 3 : 2;
    int has_name = c->name && run->rd.fields && run->rd.fields[SG_ROLE_NAME].name;
    if (!S->f5 || !S->f10 || !S->fs || build_data(run, &S->d) != 0 ||
        spec_objective5(run, &S->d, &S->L5, (const char *const *)c->id, has_name ? (const char *const *)c->name : NULL) ||
        spec_objective10(run, &S->d, &S->L10, (const char *const *)c->id,
                         has_name ? (const char *const *)c->name : NULL) ||
        (g->nsites && spec_services(run, &S->LS, S->popcols)))
        return -1;
    return 0;
}

/* The lspecs of S that --layers asks for (objective5, objective10, services). */
static size_t selected_specs(const struct sg_run *run, layer_set *S, const lspec **out, sg_style_key *keys) {
    unsigned want = run->opts ? run->opts->layers : SG_LAYER_ALL;
    const lspec *all[3] = {&S->L5, &S->L10, &S->LS};
    const unsigned bits[3] = {SG_LAYER_OBJECTIVE5, SG_LAYER_OBJECTIVE10, SG_LAYER_SERVICES};
    const sg_style_key k3[3] = {SG_STYLE_OBJ5, SG_STYLE_OBJ10, SG_STYLE_SERVICES};
    size_t n = 0;
    for (size_t k = 0; k < S->nl; k++)
        if (want & bits[k]) {
            if (keys) keys[n] = k3[k];
            out[n++] = all[k];
        }
    return n;
}

sg_status sg__write_geojson_all(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    const sg_city *c = &run->city;
    int threads = run->opts ? run->opts->threads : 0;
    unsigned want = run->opts ? run->opts->layers : SG_LAYER_ALL;
    double t0 = sg__now();
    sg_lonlat ll, pts;
    memset(&ll, 0, sizeof ll);
    memset(&pts, 0, sizeof pts);
    layer_set S;
    memset(&S, 0, sizeof S);
    const lspec *sel[3];
    size_t nsel = 0;
    sg_status st = SG_OK;
    if (run->gaps) {
        if (layer_set_build(run, &S) != 0) st = sg__nomem(ctx);
        else nsel = selected_specs(run, &S, sel, NULL);
    }
    int polygons = (want & SG_LAYER_DISTRICTS) != 0; /* a polygon layer is written: lon/lat needed */
    for (size_t k = 0; k < nsel; k++) polygons |= !sel[k]->px;
    if (st == SG_OK && polygons)
        st = sg__lonlat_polygons(ctx, (const GEOSGeometry *const *)c->geom_src, c->n, run->rd.crs.src_wkt, threads,
                                 run->districts_path ? run->districts_path : run->out_dir, &ll);
    sg_geojson_layer L[4];
    memset(L, 0, sizeof L);
    char *paths[3] = {NULL, NULL, NULL};
    sg_lfield *dfields = NULL;
    const char **dstatus = NULL;
    size_t nl = 0, first_obj = 0;
    if (st == SG_OK && (want & SG_LAYER_DISTRICTS)) {
        st = sg__districts_layer(ctx, run, run->districts_path, &ll, &L[nl++], &dfields, &dstatus);
        first_obj = 1;
    }
    for (size_t k = 0; st == SG_OK && k < nsel; k++) {
        const lspec *P = sel[k];
        paths[k] = sg__asprintf("%s/%s.geojson", run->out_dir, P->name);
        if (!paths[k]) {
            st = sg__nomem(ctx);
            break;
        }
        if (P->px) {
            const char *wkt = proj_as_wkt(sg__proj(ctx), run->rd.crs.work, PJ_WKT2_2019, NULL);
            st = sg__lonlat_points(ctx, P->px, P->py, P->n, wkt, paths[k], &pts);
        }
        L[nl++] = (sg_geojson_layer){P->name, paths[k], P->n, P->f, P->nf, P->px ? &pts : &ll,
                                     P->city ? (const char *const *)P->city->id : NULL, NULL, P->name};
    }
    sg__stage_add(ctx, "write.lonlat", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK && nl) st = sg__geojson_write_layers(ctx, L, nl, threads);
    for (size_t k = first_obj; st == SG_OK && k < nl; k++)
        if (sg__written_add(out, L[k].path) != 0) st = sg__nomem(ctx);
    sg__stage_add(ctx, "write.layers", sg__now() - t0);
    if (run->gaps) layer_set_free(&S, c->n);
    for (int k = 0; k < 3; k++) free(paths[k]);
    free(dfields);
    free(dstatus);
    sg__lonlat_free(&pts);
    sg__lonlat_free(&ll);
    return st;
}

/* --format gpkg or shp: the objective layers again, in the working CRS. */
sg_status sg__write_layers(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    if (!out->format || (strcmp(out->format, "gpkg") != 0 && strcmp(out->format, "shp") != 0)) return SG_OK;
    layer_set S;
    sg_status st = layer_set_build(run, &S) == 0 ? SG_OK : sg__nomem(ctx);
    const lspec *sel[3];
    sg_style_key keys[3];
    size_t nsel = st == SG_OK ? selected_specs(run, &S, sel, keys) : 0;
    if (st == SG_OK && nsel && strcmp(out->format, "gpkg") == 0) st = write_gpkg(ctx, run, out, sel, keys, nsel);
    if (st == SG_OK && nsel && strcmp(out->format, "shp") == 0) st = write_shp(ctx, run, out, sel, keys, nsel);
    layer_set_free(&S, run->city.n);
    return st;
}

sg_status sg__write_objectives(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    if (!run->gaps) return SG_OK;
    double t0 = sg__now();
    sg_status st = sg__write_layers(ctx, run, out);
    if (out->format && strcmp(out->format, "geojson") != 0)
        sg__stage_add(ctx, "write.format", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK) st = sg__write_qgis(ctx, run, out);
    sg__stage_add(ctx, "write.qgis", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK) {
        char *path = sg__asprintf("%s/report.html", run->out_dir);
        st = path ? sg__write_report(ctx, run, path, out) : sg__nomem(ctx);
        free(path);
    }
    sg__stage_add(ctx, "write.report", sg__now() - t0);
    return st;
}
