/* Coordinate reference systems: the input CRS, the choice of a projected
 * working CRS in metres, and the transformation of the districts into it.
 * All CRS work goes through PROJ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "read/read_internal.h"

void sg__crs_info_free(sg_crs_info *c) {
    if (!c) return;
    proj_destroy(c->src);
    proj_destroy(c->work);
    free(c->src_name);
    free(c->src_id);
    free(c->work_name);
    free(c->work_id);
    free(c->work_how);
    free(c->src_wkt);
    free(c->file);
    free(c->layer);
    memset(c, 0, sizeof *c);
}

/* "AUTH:CODE" of a CRS: its own identifier, else the EPSG code PROJ
 * identifies with confidence >= 90, else NULL. */
static char *crs_id(PJ_CONTEXT *pc, const PJ *crs) {
    const char *auth = proj_get_id_auth_name(crs, 0);
    const char *code = proj_get_id_code(crs, 0);
    if (auth && code) return sg__asprintf("%s:%s", auth, code);
    int *conf = NULL;
    PJ_OBJ_LIST *list = proj_identify(pc, crs, "EPSG", NULL, &conf);
    char *out = NULL;
    if (list && proj_list_get_count(list) > 0 && conf && conf[0] >= 90) {
        PJ *best = proj_list_get(pc, list, 0);
        const char *a = best ? proj_get_id_auth_name(best, 0) : NULL;
        const char *c = best ? proj_get_id_code(best, 0) : NULL;
        if (a && c) out = sg__asprintf("%s:%s", a, c);
        proj_destroy(best);
    }
    proj_int_list_destroy(conf);
    proj_list_destroy(list);
    return out;
}

/* The horizontal CRS of a bound or compound CRS; a new reference. */
PJ *sg__horizontal_crs(PJ_CONTEXT *pc, const PJ *crs) {
    PJ_TYPE t = proj_get_type(crs);
    if (t == PJ_TYPE_BOUND_CRS) {
        PJ *base = proj_get_source_crs(pc, crs);
        PJ *h = base ? sg__horizontal_crs(pc, base) : NULL;
        proj_destroy(base);
        return h;
    }
    if (t == PJ_TYPE_COMPOUND_CRS) return proj_crs_get_sub_crs(pc, crs, 0);
    return proj_clone(pc, crs);
}

static int is_geographic(const PJ *crs) {
    PJ_TYPE t = proj_get_type(crs);
    return t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
           t == PJ_TYPE_GEOGRAPHIC_CRS;
}

/* 1 when a projected CRS has both horizontal axes in metres. */
static int in_metres(PJ_CONTEXT *pc, const PJ *crs) {
    PJ *cs = proj_crs_get_coordinate_system(pc, crs);
    if (!cs) return 0;
    int n = proj_cs_get_axis_count(pc, cs), ok = n >= 2;
    for (int i = 0; ok && i < 2; i++) {
        double conv = 0;
        if (!proj_cs_get_axis_info(pc, cs, i, NULL, NULL, NULL, &conv, NULL, NULL, NULL) ||
            fabs(conv - 1.0) > 1e-12)
            ok = 0;
    }
    proj_destroy(cs);
    return ok;
}

/* 1 for Mercator-family projections, whose scale grows fast with latitude:
 * areas and distances in them are wrong by a factor, so they are never kept as
 * the working CRS (Web Mercator, EPSG:3857, is a common input). */
static int is_mercator(PJ_CONTEXT *pc, const PJ *crs) {
    PJ *op = proj_crs_get_coordoperation(pc, crs);
    if (!op) return 0;
    const char *method = NULL;
    int merc = 0;
    if (proj_coordoperation_get_method_info(pc, op, &method, NULL, NULL) && method)
        merc = strstr(method, "Mercator") != NULL && strstr(method, "Transverse") == NULL &&
               strstr(method, "Oblique") == NULL;
    proj_destroy(op);
    return merc;
}

/* A CRS given on the command line (EPSG:n, WKT, PROJJSON or a PROJ string).
 * PROJ reads "+proj=lcc ... +no_defs" as a coordinate operation, not a CRS,
 * unless it says +type=crs: a PROJ string without it gets it, as cs2cs and
 * GDAL do. NULL when it is no CRS (PROJ's message in the context). */
static PJ *user_crs_create(PJ_CONTEXT *pc, const char *def) {
    PJ *p = proj_create(pc, def);
    if (p && proj_is_crs(p)) return p;
    const char *s = def;
    while (*s == ' ' || *s == '\t') s++;
    if (*s != '+' || strstr(def, "+type=crs")) return p;
    char *withtype = sg__asprintf("%s +type=crs", def);
    PJ *q = withtype ? proj_create(pc, withtype) : NULL;
    free(withtype);
    if (q && proj_is_crs(q)) {
        proj_destroy(p);
        return q;
    }
    proj_destroy(q);
    return p;
}

sg_status sg__crs_input(sg_ctx *ctx, void *ogr_srs, const char *user_crs, sg_where w,
                        sg_crs_info *info) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    PJ *layer_crs = NULL;
    if (ogr_srs) {
        char *wkt = NULL;
        const char *opts[] = {"FORMAT=WKT2_2019", NULL};
        if (OSRExportToWktEx(ogr_srs, &wkt, opts) == OGRERR_NONE && wkt)
            layer_crs = proj_create(pc, wkt);
        CPLFree(wkt);
        if (!layer_crs && !user_crs)
            return sg__error(ctx, SG_ERR_CRS, "E_CRS", w,
                             "the layer's CRS cannot be read by PROJ (%s); give --input-crs",
                             sg__proj_msg(ctx));
    }
    if (user_crs) {
        sg__clear_proj_msg(ctx);
        info->src = user_crs_create(pc, user_crs);
        if (!info->src || !proj_is_crs(info->src)) {
            proj_destroy(layer_crs);
            return sg__error(ctx, SG_ERR_USAGE, "E_CRS", SG_WHERE_NONE,
                             "--input-crs '%s' is not a CRS PROJ knows%s%s", user_crs,
                             sg__proj_msg(ctx)[0] ? ": " : "", sg__proj_msg(ctx));
        }
        if (layer_crs &&
            !proj_is_equivalent_to(info->src, layer_crs, PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS))
            sg__warn(ctx, "W_CRS_OVERRIDE", w, "--input-crs %s overrides the layer's own CRS (%s)",
                     user_crs, proj_get_name(layer_crs));
        proj_destroy(layer_crs);
    } else if (layer_crs) {
        info->src = layer_crs;
    } else {
        return sg__error(ctx, SG_ERR_CRS, "E_NO_CRS", w,
                         "the layer has no CRS (no .prj?); give it with --input-crs EPSG:n");
    }
    PJ *h = sg__horizontal_crs(pc, info->src);
    if (h) {
        proj_destroy(info->src);
        info->src = h;
    }
    info->src_name = sg__strdup(proj_get_name(info->src));
    info->src_id = crs_id(pc, info->src);
    info->src_wkt = sg__strdup(proj_as_wkt(pc, info->src, PJ_WKT2_2019, NULL));
    if (!info->src_name || !info->src_wkt) return sg__nomem(ctx);
    free(info->file);
    free(info->layer);
    info->file = w.file ? sg__strdup(w.file) : NULL;
    info->layer = w.layer ? sg__strdup(w.layer) : NULL;
    return SG_OK;
}

int sg__xform_xy(double *x, double *y, void *userdata) {
    sg_xform *ts = userdata;
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    PJ_COORD r = proj_trans(ts->op, PJ_FWD, c);
    if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL) {
        ts->bad_x = *x;
        ts->bad_y = *y;
        return 0;
    }
    *x = r.xy.x;
    *y = r.xy.y;
    return 1;
}

/* Creates a normalised (x = easting/longitude) transformation. */
static PJ *make_op(PJ_CONTEXT *pc, const PJ *from, const PJ *to) {
    PJ *op = proj_create_crs_to_crs_from_pj(pc, from, to, NULL, NULL);
    if (!op) return NULL;
    PJ *norm = proj_normalize_for_visualization(pc, op);
    proj_destroy(op);
    return norm;
}

/* The output is in WGS 84 lon/lat (RFC 7946), so the extent's corners must
 * be valid positions there, whichever CRS the work is done in. */
static int valid_box(PJ *op, double x0, double y0, double x1, double y1) {
    double px[5] = {0.5 * (x0 + x1), x0, x1, x0, x1}, py[5] = {0.5 * (y0 + y1), y0, y0, y1, y1};
    for (int i = 0; i < 5; i++) {
        PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(px[i], py[i], 0, 0));
        if (!isfinite(r.lp.lam) || !isfinite(r.lp.phi) || fabs(r.lp.lam) > 180 || fabs(r.lp.phi) > 90) return 0;
    }
    return 1;
}

/* Issue 15 item 9: the extent is no valid position: name the first district
 * whose own extent is not (file, layer, fid, id) and how many are not. */
static sg_status extent_error(sg_ctx *ctx, const sg_crs_info *info, const sg_city *city, PJ *op, double x0,
                              double y0, double x1, double y1) {
    GEOSContextHandle_t h = sg__geos(ctx);
    size_t bad = 0, first = 0, with_geom = 0;
    double b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < city->n; i++) {
        double a, c, d, e;
        if (!city->geom_src[i] || !GEOSGeom_getExtent_r(h, city->geom_src[i], &a, &c, &d, &e)) continue;
        with_geom++;
        if (valid_box(op, a, c, d, e)) continue;
        if (!bad++) {
            first = i;
            b[0] = a, b[1] = c, b[2] = d, b[3] = e;
        }
    }
    if (!bad)
        return sg__error(ctx, SG_ERR_CRS, "E_CRS_EXTENT", SG_WHERE_NONE,
                         "the districts' extent (%g %g, %g %g) is not a valid position in %s: "
                         "wrong CRS?", x0, y0, x1, y1, info->src_name);
    sg_where w = {info->file, info->layer, city->fid ? city->fid[first] : -1, city->id ? city->id[first] : NULL, NULL};
    return sg__error(ctx, SG_ERR_CRS, "E_CRS_EXTENT", w,
                     "this district's extent (%g %g, %g %g) is not a valid position in %s (%zu of %zu districts "
                     "are not): a wrong coordinate%s, or a wrong CRS?",
                     b[0], b[1], b[2], b[3], info->src_name, bad, with_geom,
                     bad < with_geom ? " in the district" : "");
}

static sg_status check_extent(sg_ctx *ctx, const sg_crs_info *info, const sg_city *city, double x0, double y0,
                              double x1, double y1) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    PJ *wgs = proj_create(pc, "EPSG:4326");
    PJ *op = wgs ? make_op(pc, info->src, wgs) : NULL;
    proj_destroy(wgs);
    if (!op)
        return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE, "no transformation from %s to WGS 84: %s",
                         info->src_name, sg__proj_msg(ctx));
    sg_status st = valid_box(op, x0, y0, x1, y1) ? SG_OK : extent_error(ctx, info, city, op, x0, y0, x1, y1);
    proj_destroy(op);
    return st;
}

/* ---- plausibility of the extent (issue 15) ----
 * The districts' extent in WGS 84 lon/lat {w, s, e, n} (a 3 x 3 grid of
 * points of the extent in the input CRS); 0 when it cannot be had. */
static int extent_lonlat(sg_ctx *ctx, const PJ *src, double x0, double y0, double x1, double y1, double ll[4]) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    PJ *wgs = proj_create(pc, "EPSG:4326");
    PJ *op = wgs ? make_op(pc, src, wgs) : NULL;
    proj_destroy(wgs);
    if (!op) return 0;
    ll[0] = ll[1] = INFINITY;
    ll[2] = ll[3] = -INFINITY;
    int ok = 1;
    for (int i = 0; i < 3 && ok; i++)
        for (int j = 0; j < 3 && ok; j++) {
            PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(x0 + 0.5 * i * (x1 - x0), y0 + 0.5 * j * (y1 - y0), 0, 0));
            if (!isfinite(r.lp.lam) || !isfinite(r.lp.phi)) ok = 0;
            ll[0] = fmin(ll[0], r.lp.lam);
            ll[1] = fmin(ll[1], r.lp.phi);
            ll[2] = fmax(ll[2], r.lp.lam);
            ll[3] = fmax(ll[3], r.lp.phi);
        }
    proj_destroy(op);
    return ok;
}

/* Degrees the districts may lie beyond a CRS's area of use: a projection
 * serves a little beyond it (Berlin in UTM zone 32, EPSG:25832, is 1.8
 * degrees east of the zone: common and fine); one zone's width beyond it is
 * another part of the world. */
#define SG_AREA_MARGIN 6.0

/* 1 when the lon/lat box ll lies outside the CRS's area of use (more than
 * SG_AREA_MARGIN beyond it); a[4] gets the area {w, s, e, n}. 0 when inside or
 * when PROJ knows no area of use. */
static int outside_area(PJ_CONTEXT *pc, const PJ *crs, const double ll[4], double a[4]) {
    if (!proj_get_area_of_use(pc, crs, &a[0], &a[1], &a[2], &a[3], NULL) || a[0] < -1000) return 0;
    double m = SG_AREA_MARGIN;
    if (ll[1] < a[1] - m || ll[3] > a[3] + m) return 1;
    if (a[0] <= a[2]) return ll[0] < a[0] - m || ll[2] > a[2] + m;
    /* across the antimeridian: [w, 180] and [-180, e] */
    for (int k = 0; k < 3; k += 2)
        if (!(ll[k] >= a[0] - m || ll[k] <= a[2] + m)) return 1;
    return 0;
}

/* Coordinates that look like longitude/latitude in a projected CRS. */
static int looks_lonlat(const PJ *crs, double x0, double y0, double x1, double y1) {
    return proj_get_type(crs) == PJ_TYPE_PROJECTED_CRS && fabs(x0) <= 180 && fabs(x1) <= 180 && fabs(y0) <= 90 &&
           fabs(y1) <= 90;
}

static sg_status check_input_area(sg_ctx *ctx, const sg_crs_info *info, const double ll[4], double x0, double y0,
                                  double x1, double y1) {
    double a[4];
    if (!outside_area(sg__proj(ctx), info->src, ll, a)) return SG_OK;
    int lonlat = looks_lonlat(info->src, x0, y0, x1, y1);
    sg__error(ctx, SG_ERR_CRS, "E_CRS_AREA", SG_WHERE_NONE,
              "the districts (lon %.4f .. %.4f, lat %.4f .. %.4f) lie outside the area of use of their CRS %s "
              "(lon %g .. %g, lat %g .. %g)%s", ll[0], ll[2], ll[1], ll[3], info->src_name, a[0], a[2], a[1], a[3],
              lonlat ? ": their coordinates look like longitude/latitude" : ": the wrong CRS?");
    sg__hint(ctx, "%s", lonlat ? "a lon/lat file without .prj: give --input-crs EPSG:4326 (or the file's geographic CRS)"
                               : "check the .prj or --input-crs: the CRS the coordinates were made in");
    return SG_ERR_CRS;
}

/* --work-crs must serve where the districts are. */
static sg_status check_work_area(sg_ctx *ctx, const sg_crs_info *info, const char *user_work, const double ll[4]) {
    double a[4];
    if (!outside_area(sg__proj(ctx), info->work, ll, a)) return SG_OK;
    sg__error(ctx, SG_ERR_CRS, "E_WORK_CRS_AREA", SG_WHERE_NONE,
              "the districts (lon %.4f .. %.4f, lat %.4f .. %.4f) lie outside the area of use of --work-crs %s (%s: "
              "lon %g .. %g, lat %g .. %g): its distances and areas there are distorted", ll[0], ll[2], ll[1],
              ll[3], user_work, proj_get_name(info->work), a[0], a[2], a[1], a[3]);
    sg__hint(ctx, "choose a projected CRS of the city's region, or leave --work-crs out (the UTM zone of the "
                  "districts is then chosen)");
    return SG_ERR_CRS;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A city whose median district covers less than 1 m² is no city: degrees
 * read as metres (a lon/lat file given a projected --input-crs). */
static sg_status check_sizes(sg_ctx *ctx, const sg_city *city, const sg_crs_info *info, double x0, double y0,
                             double x1, double y1) {
    GEOSContextHandle_t h = sg__geos(ctx);
    double *area = malloc((city->n ? city->n : 1) * sizeof *area);
    if (!area) return sg__nomem(ctx);
    size_t n = 0;
    for (size_t i = 0; i < city->n; i++) {
        double a;
        if (city->geom[i] && GEOSArea_r(h, city->geom[i], &a) && isfinite(a)) area[n++] = a;
    }
    sg_status st = SG_OK;
    if (n) {
        qsort(area, n, sizeof *area, cmp_double);
        double median = area[n / 2];
        if (median < 1.0) {
            int lonlat = looks_lonlat(info->src, x0, y0, x1, y1);
            st = sg__error(ctx, SG_ERR_CRS, "E_CRS_TINY", SG_WHERE_NONE,
                           "the median district covers %.3g m² in %s (the districts span %.3g x %.3g in %s): no city "
                           "has districts this small%s", median, info->work_name, x1 - x0, y1 - y0, info->src_name,
                           lonlat ? ": the coordinates look like longitude/latitude read as metres" : ": the wrong CRS?");
            sg__hint(ctx, "%s", lonlat ? "a lon/lat file without .prj: give --input-crs EPSG:4326"
                                       : "check the .prj or --input-crs: the CRS and unit the coordinates were made in");
        }
    }
    free(area);
    return st;
}

/* ---- the districts' longitudes on the circle (issue 16 item 15) ---- */
typedef struct lon_arc {
    double lo, len; /* from lo eastwards over len degrees */
} lon_arc;

static int cmp_arc(const void *a, const void *b) {
    const lon_arc *p = a, *q = b;
    return (p->lo > q->lo) - (p->lo < q->lo);
}

/* lon in [-180, 180). */
static double lon_norm(double lon) {
    double l = fmod(lon + 180.0, 360.0);
    if (l < 0) l += 360.0;
    return l - 180.0;
}

/* The shortest arc that covers the m longitudes v (sorted here): the
 * complement of the widest gap between neighbours on the circle. */
static lon_arc points_arc(double *v, size_t m) {
    for (size_t a = 1; a < m; a++) { /* a handful of points */
        double x = v[a];
        size_t b = a;
        for (; b > 0 && v[b - 1] > x; b--) v[b] = v[b - 1];
        v[b] = x;
    }
    double gap = v[0] + 360.0 - v[m - 1];
    size_t after = 0; /* the gap ends at v[after] */
    for (size_t k = 1; k < m; k++)
        if (v[k] - v[k - 1] > gap) {
            gap = v[k] - v[k - 1];
            after = k;
        }
    return (lon_arc){v[after], 360.0 - gap};
}

/* The centre longitude and span of the districts on the circle when their
 * longitudes cross the antimeridian: the districts' own longitude arcs
 * (each from its extent: as given in a geographic CRS, else the shortest
 * arc over its corners and centre in WGS 84) are joined and the widest
 * stretch of longitude no district covers is left out. *wraps = 1 when that
 * stretch is not the one around the antimeridian (the district city crosses
 * it), else 0 and the plain extent's centre stands. */
static sg_status circle_centre(sg_ctx *ctx, const sg_crs_info *info, PJ *op, const sg_city *city, int *wraps,
                               double *clon, double *span, double *clat) {
    GEOSContextHandle_t h = sg__geos(ctx);
    *wraps = 0;
    int geo = is_geographic(info->src);
    lon_arc *arc = malloc(2 * (city->n ? city->n : 1) * sizeof *arc);
    if (!arc) return sg__nomem(ctx);
    size_t na = 0;
    double la0 = INFINITY, la1 = -INFINITY;
    for (size_t i = 0; i < city->n; i++) {
        double a, b, c, d;
        if (!city->geom_src[i] || !GEOSGeom_getExtent_r(h, city->geom_src[i], &a, &b, &c, &d)) continue;
        double px[5] = {a, c, a, c, 0.5 * (a + c)}, py[5] = {b, b, d, d, 0.5 * (b + d)}, raw[5], lon[5];
        size_t m = 0;
        for (int k = 0; k < 5; k++) {
            PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(px[k], py[k], 0, 0));
            if (!isfinite(r.lp.lam) || !isfinite(r.lp.phi)) continue;
            raw[m] = r.lp.lam;
            lon[m++] = lon_norm(r.lp.lam);
            la0 = fmin(la0, r.lp.phi);
            la1 = fmax(la1, r.lp.phi);
        }
        if (!m) continue;
        lon_arc A;
        if (geo && m == 5) { /* the coordinates are longitudes: the district spans them as given */
            double lo = fmin(raw[0], raw[2]);
            A = (lon_arc){lon_norm(lo), fmax(raw[1], raw[3]) - lo};
        } else {
            A = points_arc(lon, m);
        }
        if (!(A.len >= 0)) A.len = 0;
        if (A.lo + A.len > 180.0) { /* split at the antimeridian */
            arc[na++] = (lon_arc){-180.0, A.lo + A.len - 360.0};
            A.len = 180.0 - A.lo;
        }
        arc[na++] = A;
    }
    if (na) {
        qsort(arc, na, sizeof *arc, cmp_arc);
        double end = arc[0].lo + arc[0].len, gap = 0, gap_end = 0;
        for (size_t k = 1; k < na; k++) {
            if (arc[k].lo - end > gap) {
                gap = arc[k].lo - end;
                gap_end = arc[k].lo;
            }
            end = fmax(end, arc[k].lo + arc[k].len);
        }
        double wrap_gap = arc[0].lo + 360.0 - end;
        if (gap > wrap_gap) {
            *wraps = 1;
            *span = 360.0 - gap;
            *clon = lon_norm(gap_end + 0.5 * *span);
            *clat = 0.5 * (la0 + la1);
        }
    }
    free(arc);
    return SG_OK;
}

/* Chooses the working CRS when the user did not. */
static sg_status auto_work(sg_ctx *ctx, sg_crs_info *info, const sg_city *city, double x0, double y0, double x1,
                           double y1) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    if (!is_geographic(info->src) && proj_get_type(info->src) == PJ_TYPE_PROJECTED_CRS &&
        in_metres(pc, info->src) && !is_mercator(pc, info->src)) {
        info->work = proj_clone(pc, info->src);
        info->work_how = sg__strdup("the input CRS: it is projected, in metres");
        return info->work ? SG_OK : sg__nomem(ctx);
    }
    /* Centre and longitude span of the extent, in WGS 84 lon/lat. */
    PJ *wgs = proj_create(pc, "EPSG:4326");
    PJ *op = wgs ? make_op(pc, info->src, wgs) : NULL;
    proj_destroy(wgs);
    if (!op)
        return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE,
                         "no transformation from %s to WGS 84: %s", info->src_name, sg__proj_msg(ctx));
    double lon[5], lat[5];
    double px[5] = {0.5 * (x0 + x1), x0, x1, x0, x1}, py[5] = {0.5 * (y0 + y1), y0, y0, y1, y1};
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(px[i], py[i], 0, 0));
        lon[i] = r.lp.lam;
        lat[i] = r.lp.phi;
        if (!isfinite(lon[i]) || !isfinite(lat[i]) || fabs(lon[i]) > 180 || fabs(lat[i]) > 90) ok = 0;
    }
    if (!ok) {
        proj_destroy(op);
        return sg__error(ctx, SG_ERR_CRS, "E_CRS_EXTENT", SG_WHERE_NONE,
                         "the districts' extent (%g %g, %g %g) is not a valid position in %s: "
                         "wrong CRS?", x0, y0, x1, y1, info->src_name);
    }
    double lmin = lon[1], lmax = lon[1];
    for (int i = 1; i < 5; i++) {
        lmin = fmin(lmin, lon[i]);
        lmax = fmax(lmax, lon[i]);
    }
    double clon = lon[0], clat = lat[0];
    /* An extent wider than half the globe: a city across the antimeridian
     * (lon 179.9 and -179.9) looks like one around the globe, centred on
     * its antipode. Its centre is found on the circle instead. */
    int wraps = 0;
    sg_status st = SG_OK;
    if (lmax - lmin > 180.0) {
        double span = lmax - lmin;
        st = circle_centre(ctx, info, op, city, &wraps, &clon, &span, &clat);
        if (wraps) {
            lmin = clon - 0.5 * span;
            lmax = clon + 0.5 * span;
        }
    }
    proj_destroy(op);
    if (st != SG_OK) return st;
    char def[256];
    if (lmax - lmin <= 12.0 && fabs(clat) <= 80.0) {
        int zone = (int)floor((clon + 180.0) / 6.0) + 1;
        if (zone < 1) zone = 1;
        if (zone > 60) zone = 60;
        snprintf(def, sizeof def, "EPSG:%d", (clat >= 0 ? 32600 : 32700) + zone);
        info->work_how = sg__asprintf("automatic: the UTM zone of the districts' centre "
                                      "(lon %.4f, lat %.4f)%s", clon, clat,
                                      wraps ? ", found on the circle: the districts cross the antimeridian" : "");
    } else {
        snprintf(def, sizeof def,
                 "+proj=laea +lat_0=%.6f +lon_0=%.6f +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs",
                 clat, clon);
        info->work_how = sg__asprintf("automatic: a Lambert azimuthal equal-area projection "
                                      "centred on the districts (lon %.4f, lat %.4f), since the "
                                      "extent is too wide or too polar for one UTM zone%s",
                                      clon, clat,
                                      wraps ? "; the centre found on the circle: the districts cross the antimeridian" : "");
    }
    info->work = proj_create(pc, def);
    if (!info->work || !info->work_how) return sg__nomem(ctx);
    return SG_OK;
}

sg_status sg__crs_project(sg_ctx *ctx, const char *user_work, sg_city *city, sg_crs_info *info) {
    PJ_CONTEXT *pc = sg__proj(ctx);
    GEOSContextHandle_t h = sg__geos(ctx);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < city->n; i++) {
        double a, b, c, d;
        if (!city->geom_src[i]) continue;
        if (GEOSGeom_getExtent_r(h, city->geom_src[i], &a, &b, &c, &d)) {
            x0 = fmin(x0, a);
            y0 = fmin(y0, b);
            x1 = fmax(x1, c);
            y1 = fmax(y1, d);
        }
    }
    if (!(x0 <= x1))
        return sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", SG_WHERE_NONE, "no district geometry to project");
    sg_status st = check_extent(ctx, info, city, x0, y0, x1, y1);
    if (st != SG_OK) return st;
    double ll[4];
    int have_ll = extent_lonlat(ctx, info->src, x0, y0, x1, y1, ll);
    if (have_ll && (st = check_input_area(ctx, info, ll, x0, y0, x1, y1)) != SG_OK) return st;
    if (user_work) {
        info->work = user_crs_create(pc, user_work);
        if (!info->work || !proj_is_crs(info->work))
            return sg__error(ctx, SG_ERR_USAGE, "E_CRS", SG_WHERE_NONE,
                             "--work-crs '%s' is not a CRS PROJ knows", user_work);
        PJ *hw = sg__horizontal_crs(pc, info->work);
        if (hw) {
            proj_destroy(info->work);
            info->work = hw;
        }
        if (proj_get_type(info->work) != PJ_TYPE_PROJECTED_CRS || !in_metres(pc, info->work))
            return sg__error(ctx, SG_ERR_USAGE, "E_CRS", SG_WHERE_NONE,
                             "--work-crs '%s' (%s) must be a projected CRS in metres", user_work,
                             proj_get_name(info->work));
        if (have_ll && (st = check_work_area(ctx, info, user_work, ll)) != SG_OK) return st;
        info->work_how = sg__strdup("given with --work-crs");
        if (is_mercator(pc, info->work))
            sg__warn(ctx, "W_MERCATOR", SG_WHERE_NONE, "--work-crs %s is a Mercator projection: "
                     "its areas and distances are inflated away from the equator", user_work);
    } else if ((st = auto_work(ctx, info, city, x0, y0, x1, y1)) != SG_OK) {
        return st;
    }
    info->work_name = sg__strdup(proj_get_name(info->work));
    info->work_id = crs_id(pc, info->work);
    if (!info->work_name || !info->work_how) return sg__nomem(ctx);

    info->reprojected = !proj_is_equivalent_to(info->src, info->work, PJ_COMP_EQUIVALENT);
    sg_xform ts = {NULL, 0, 0};
    if (info->reprojected) {
        ts.op = make_op(pc, info->src, info->work);
        if (!ts.op)
            return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE,
                             "no transformation from %s to %s: %s", info->src_name, info->work_name,
                             sg__proj_msg(ctx));
    }
    size_t before = sg__nerrors(ctx);
    for (size_t i = 0; i < city->n; i++) {
        if (!city->geom_src[i]) continue;
        /* Same CRS: the working geometry is the input one, shared, not a copy
         * (geometries are never changed once read; sg__city_free frees it once). */
        GEOSGeometry *g = ts.op ? GEOSGeom_transformXY_r(h, city->geom_src[i], sg__xform_xy, &ts)
                                : city->geom_src[i];
        if (!g) {
            sg__report(ctx, "E_TRANSFORM", (sg_where){NULL, NULL, city->fid[i], city->id[i], NULL},
                       "coordinate (%.10g, %.10g) cannot be transformed from %s to %s: "
                       "outside the CRS's area of use, or the wrong input CRS?",
                       ts.bad_x, ts.bad_y, info->src_name, info->work_name);
            continue;
        }
        city->geom[i] = g;
    }
    proj_destroy(ts.op);
    st = sg__fail_if_errors(ctx, before, SG_ERR_CRS, "projection");
    if (st == SG_OK) st = check_sizes(ctx, city, info, x0, y0, x1, y1);
    return st;
}
