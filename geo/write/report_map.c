/* The maps of report.html (report.c): the objective 5 and 10 choropleths as
 * inline SVG drawn from the working-CRS geometry (metres: legend, north arrow
 * pointing to true north, scale bar).
 *
 * Above SG_REPORT_MAP_MAX districts a map of one path per district is too
 * big for a browser (10^6 districts: about 90 MB of SVG per map, and it
 * cannot be drawn smaller than a pixel anyway): the map is drawn on a grid of
 * square cells of a round size in metres, each coloured by the class most of
 * its districts (by their bounding-box centre) have, ties going to the class
 * listed first in the legend (the more urgent). The caption says so; the
 * layers keep every district. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "write/write_internal.h"

#define SG_MAP_SIMPLIFY_MAX 10000 /* vertices of a district the map simplifies (see below) */

/* ---- SVG map ---- */

typedef struct frame {
    double x0, y0, x1, y1; /* working CRS extent */
    double s, ox, oy;      /* px = ox + s (x - x0), py = oy + s (y1 - y) */
    double w, h;           /* map area in px */
} frame;

static void ring_path(sg_ctx *ctx, FILE *m, const GEOSGeometry *ring, const frame *f) {
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(sg__geos(ctx), ring);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(sg__geos(ctx), cs, &n) || n < 3) return;
    long px = 0, py = 0;
    unsigned kept = 0;
    for (unsigned k = 0; k < n; k++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(sg__geos(ctx), cs, k, &x, &y)) continue;
        long qx = lround(10 * (f->ox + f->s * (x - f->x0))), qy = lround(10 * (f->oy + f->s * (f->y1 - y)));
        if (kept && qx == px && qy == py) continue;
        fprintf(m, "%c%ld.%ld %ld.%ld", kept ? 'L' : 'M', qx / 10, labs(qx % 10), qy / 10, labs(qy % 10));
        px = qx;
        py = qy;
        kept++;
    }
    if (kept) fputc('Z', m);
}

static void geom_path(sg_ctx *ctx, FILE *m, const GEOSGeometry *g, const frame *f) {
    int t = GEOSGeomTypeId_r(sg__geos(ctx), g);
    if (t == GEOS_POLYGON) {
        const GEOSGeometry *ext = GEOSGetExteriorRing_r(sg__geos(ctx), g);
        if (ext) ring_path(ctx, m, ext, f);
        int nh = GEOSGetNumInteriorRings_r(sg__geos(ctx), g);
        for (int k = 0; k < nh; k++) ring_path(ctx, m, GEOSGetInteriorRingN_r(sg__geos(ctx), g, k), f);
    } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int ng = GEOSGetNumGeometries_r(sg__geos(ctx), g);
        for (int k = 0; k < ng; k++) geom_path(ctx, m, GEOSGetGeometryN_r(sg__geos(ctx), g, k), f);
    }
}

/* Angle of true north at the map centre, clockwise from grid up (radians). */
static double north_angle(sg_ctx *ctx, const struct sg_run *run, double cx, double cy) {
    PJ *wgs = proj_create(sg__proj(ctx), "EPSG:4326");
    PJ *op = wgs ? proj_create_crs_to_crs_from_pj(sg__proj(ctx), run->rd.crs.work, wgs, NULL, NULL) : NULL;
    PJ *norm = op ? proj_normalize_for_visualization(sg__proj(ctx), op) : NULL;
    double a = 0;
    if (norm) {
        PJ_COORD ll = proj_trans(norm, PJ_FWD, proj_coord(cx, cy, 0, 0));
        PJ_COORD up = proj_trans(norm, PJ_INV, proj_coord(ll.xy.x, ll.xy.y + 0.01, 0, 0));
        if (isfinite(up.xy.x) && isfinite(up.xy.y) && up.xy.x != HUGE_VAL) a = atan2(up.xy.x - cx, up.xy.y - cy);
    }
    proj_destroy(norm);
    proj_destroy(op);
    proj_destroy(wgs);
    return isfinite(a) ? a : 0;
}

/* "1 km", "250 m" */
static void fmt_len(double m, char *buf, size_t size) {
    if (m >= 1000) snprintf(buf, size, "%g km", m / 1000);
    else snprintf(buf, size, "%g m", m);
}

/* The grid map (above SG_REPORT_MAP_MAX districts): cells of a round size
 * of at least 4 px; bx, by: bounding-box centres (NaN: no geometry). */
static void grid_cells(FILE *m, const struct sg_run *run, const sg_map_in *mi, const frame *f, const double *bx,
                       const double *by, double *cell_out) {
    const sg_city *c = &run->city;
    *cell_out = NAN;
    double want = 4 / f->s, p10 = pow(10, floor(log10(want))), cell = p10;
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
        if (steps[k] * p10 >= want) {
            cell = steps[k] * p10;
            break;
        }
    size_t nx = (size_t)ceil((f->x1 - f->x0) / cell), ny = (size_t)ceil((f->y1 - f->y0) / cell);
    if (!nx) nx = 1;
    if (!ny) ny = 1;
    size_t K = mi->nleg;
    uint32_t *cnt = calloc(nx * ny * (K ? K : 1), sizeof *cnt);
    if (!cnt || !K) {
        free(cnt);
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (!isfinite(bx[i])) continue;
        size_t k = 0;
        while (k < K && (mi->leg_rgb[k] & 0xFFFFFFu) != (mi->fill[i] & 0xFFFFFFu)) k++;
        if (k == K) continue;
        double gx = floor((bx[i] - f->x0) / cell), gy = floor((f->y1 - by[i]) / cell);
        size_t ix = gx < 0 ? 0 : gx >= (double)nx ? nx - 1 : (size_t)gx;
        size_t iy = gy < 0 ? 0 : gy >= (double)ny ? ny - 1 : (size_t)gy;
        cnt[(iy * nx + ix) * K + k]++;
    }
    double cp = cell * f->s; /* rects overlap the next by 0.4 px: no seams where a viewer anti-aliases */
    fputs("<g shape-rendering=\"crispEdges\">\n", m);
    for (size_t iy = 0; iy < ny; iy++) {
        int run_k = -1;
        size_t run_x = 0;
        for (size_t ix = 0; ix <= nx; ix++) {
            int best = -1;
            if (ix < nx) {
                const uint32_t *q = cnt + (iy * nx + ix) * K;
                uint32_t bc = 0;
                for (size_t k = 0; k < K; k++)
                    if (q[k] > bc) {
                        bc = q[k];
                        best = (int)k;
                    }
            }
            if (best == run_k) continue;
            if (run_k >= 0)
                fprintf(m, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%06X\"/>\n",
                        f->ox + cp * (double)run_x, f->oy + cp * (double)iy, cp * (double)(ix - run_x) + 0.4, cp + 0.4,
                        mi->leg_rgb[run_k] & 0xFFFFFFu);
            run_k = best;
            run_x = ix;
        }
    }
    fputs("</g>\n", m);
    free(cnt);
    *cell_out = cell;
}

/* The frame of every map of the report (the same for all, so the districts'
 * shapes are drawn once, sg__svg_shapes): the city's extent in a 760 px wide
 * area; cx, cy (or NULL): the districts' bounding-box centres. -1: nothing to draw. */
static int map_frame(sg_ctx *ctx, const struct sg_run *run, frame *fr, double *cx, double *cy) {
    const sg_city *c = &run->city;
    frame f = {INFINITY, INFINITY, -INFINITY, -INFINITY, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < c->n; i++) {
        double a, b, cc, d;
        if (cx) cx[i] = cy[i] = NAN;
        if (!c->geom[i]) continue;
        if (GEOSGeom_getXMin_r(sg__geos(ctx), c->geom[i], &a) && GEOSGeom_getYMin_r(sg__geos(ctx), c->geom[i], &b) &&
            GEOSGeom_getXMax_r(sg__geos(ctx), c->geom[i], &cc) && GEOSGeom_getYMax_r(sg__geos(ctx), c->geom[i], &d)) {
            f.x0 = fmin(f.x0, a);
            f.y0 = fmin(f.y0, b);
            f.x1 = fmax(f.x1, cc);
            f.y1 = fmax(f.y1, d);
            if (cx) {
                cx[i] = 0.5 * (a + cc);
                cy[i] = 0.5 * (b + d);
            }
        }
    }
    if (!(f.x0 < f.x1 && f.y0 < f.y1)) return -1;
    const double W = 760, maxH = 600, pad = 20;
    double dx = f.x1 - f.x0, dy = f.y1 - f.y0;
    f.s = fmin((W - 2 * pad) / dx, (maxH - 2 * pad) / dy);
    f.w = W;
    f.h = dy * f.s + 2 * pad;
    f.ox = (W - dx * f.s) / 2;
    f.oy = pad;
    *fr = f;
    return 0;
}

void sg__svg_shapes(sg_ctx *ctx, FILE *m, const struct sg_run *run) {
    const sg_city *c = &run->city;
    frame f;
    if (c->n > SG_REPORT_MAP_MAX || map_frame(ctx, run, &f, NULL, NULL) != 0) return;
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\" style=\"position:absolute\" "
          "aria-hidden=\"true\"><defs>\n",
          m);
    double tol = 0.5 / f.s; /* simplified to half a pixel */
    for (size_t i = 0; i < c->n; i++) {
        if (!c->geom[i]) continue;
        /* GEOS's topology-preserving simplifier recurses once per vertex on a zig-zag
         * and takes time that grows with the square of the vertices (a 50,000-vertex
         * zig-zag overflowed the stack; --max-vertices may allow more): such a
         * polygon is drawn as it is. */
        int nc = GEOSGetNumCoordinates_r(sg__geos(ctx), c->geom[i]);
        GEOSGeometry *sg = nc >= 0 && nc <= SG_MAP_SIMPLIFY_MAX
                               ? GEOSTopologyPreserveSimplify_r(sg__geos(ctx), c->geom[i], tol)
                               : NULL;
        fprintf(m, "<path id=\"sgd%zu\" d=\"", i);
        geom_path(ctx, m, sg ? sg : c->geom[i], &f);
        fputs("\"/>\n", m);
        if (sg) GEOSGeom_destroy_r(sg__geos(ctx), sg);
    }
    fputs("</defs></svg>\n", m);
}

void sg__svg_map(sg_ctx *ctx, FILE *m, const struct sg_run *run, const sg_map_in *mi) {
    const sg_city *c = &run->city;
    frame f;
    int grid = c->n > SG_REPORT_MAP_MAX;
    double *cx = grid ? malloc((c->n ? c->n : 1) * sizeof *cx) : NULL;
    double *cy = grid ? malloc((c->n ? c->n : 1) * sizeof *cy) : NULL;
    if ((grid && (!cx || !cy)) || map_frame(ctx, run, &f, cx, cy) != 0) {
        free(cx);
        free(cy);
        return;
    }
    const double W = f.w;
    double dx = f.x1 - f.x0;
    double legend_h = mi->compact ? 0 : 16 + 22.0 * (double)mi->nleg, H = f.h + (mi->compact ? 40 : 54) + legend_h;
    fprintf(m, "<figure class=\"map\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"",
            W, H);
    sg__html_esc(m, mi->title);
    fputs("\" font-family=\"sans-serif\">\n", m);
    fprintf(m, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    double cell = NAN;
    if (grid) grid_cells(m, run, mi, &f, cx, cy, &cell);
    free(cx);
    free(cy);
    /* districts: the shapes drawn once (sg__svg_shapes), here filled */
    if (!grid)
        fputs("<g stroke=\"#6e6e6e\" stroke-width=\"0.4\" stroke-linejoin=\"round\" fill-rule=\"evenodd\">\n", m);
    for (size_t i = 0; !grid && i < c->n; i++) {
        if (!c->geom[i]) continue;
        fprintf(m, "<use href=\"#sgd%zu\" fill=\"#%06X\"><title>", i, mi->fill[i] & 0xFFFFFFu);
        sg__html_esc(m, mi->tip[i]);
        fputs("</title></use>\n", m);
    }
    if (!grid) fputs("</g>\n", m);
    /* north arrow, top right */
    double ax = W - 40, ay = 50, ang = north_angle(ctx, run, 0.5 * (f.x0 + f.x1), 0.5 * (f.y0 + f.y1));
    fprintf(m, "<g transform=\"translate(%.1f %.1f) rotate(%.2f)\" aria-label=\"north arrow\">"
               "<circle r=\"19\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#333\" stroke-width=\"0.8\"/>"
               "<path d=\"M0 -15 L7 9 L0 4 L-7 9 Z\" fill=\"#222\"/>"
               "<text y=\"-22\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">N</text>"
               "</g>\n",
            ax, ay + 8, ang * 180 / 3.14159265358979323846);
    /* scale bar: a round length near a fifth of the map width */
    double target = dx / 5, p10 = pow(10, floor(log10(target))), len = p10;
    if (target >= 5 * p10) len = 5 * p10;
    else if (target >= 2 * p10) len = 2 * p10;
    double bl = len * f.s, bx = 20, by = f.h + 12;
    char lab[32];
    if (len >= 1000) snprintf(lab, sizeof lab, "%g km", len / 1000);
    else snprintf(lab, sizeof lab, "%g m", len);
    fprintf(m, "<g aria-label=\"scale bar\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"#222\"/>"
               "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"#fff\" stroke=\"#222\" "
               "stroke-width=\"0.8\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">0</text>"
               "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%s</text></g>\n",
            bx, by, bl / 2, bx + bl / 2, by, bl / 2, bx, by + 20, bx + bl, by + 20, lab);
    fprintf(m, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">",
            W - 10, by + 20);
    sg__html_esc(m, run->rd.crs.work_name);
    fputs("</text>\n", m);
    /* legend */
    double ly = f.h + 48;
    if (mi->compact) goto caption;
    fprintf(m, "<g font-size=\"13\" aria-label=\"legend\"><text x=\"20\" y=\"%.1f\" font-weight=\"bold\">", ly + 4);
    sg__html_esc(m, mi->title);
    fputs("</text>\n", m);
    for (size_t k = 0; k < mi->nleg; k++) {
        double y = ly + 14 + 22.0 * (double)k;
        fprintf(m, "<rect x=\"20\" y=\"%.1f\" width=\"26\" height=\"16\" fill=\"#%06X\" stroke=\"#6e6e6e\" "
                   "stroke-width=\"0.6\"/><text x=\"54\" y=\"%.1f\">",
                y, mi->leg_rgb[k] & 0xFFFFFFu, y + 13);
        sg__html_esc(m, mi->leg_label[k]);
        if (mi->leg_count) fprintf(m, " (%zu)", mi->leg_count[k]);
        fputs("</text>\n", m);
    }
    fputs("</g>\n", m);
caption:
    fputs("</svg>\n<figcaption>", m);
    sg__html_esc(m, mi->title);
    if (mi->compact) {
        if (grid) fputs(" (a grid of squares, as above)", m);
        fputs(".</figcaption>\n</figure>\n", m);
        return;
    }
    if (grid) {
        char cl[32];
        fmt_len(cell, cl, sizeof cl);
        fprintf(m, ". The city has %zu districts, too many to draw one by one (seggap draws them one by one up to "
                   "%d): each square of %s shows the class most of the districts whose centre lies in it have (a tie "
                   "goes to the class listed first); blank squares have no district. Every district, with its class, "
                   "is in the layer. Drawn by seggap in the working CRS; the arrow points to true north.",
                c->n, SG_REPORT_MAP_MAX, cl);
    } else {
        fputs(". Hover over a district for its name and class. Drawn by seggap from the district polygons in the "
              "working CRS; the arrow points to true north.", m);
    }
    if (mi->note) {
        fputs("<br>", m);
        sg__html_esc(m, mi->note);
    }
    fputs("</figcaption>\n</figure>\n", m);
}

/* ---- graduated maps ---- */

static void fmt_value(double v, sg_unit unit, char *buf, size_t size) {
    if (!isfinite(v)) snprintf(buf, size, "no data");
    else if (unit == SG_UNIT_PCT) sg__fmt_pct(v, 1, buf, size);
    else if (unit == SG_UNIT_M) sg__fmt_dist(v, buf, size);
    else if (unit == SG_UNIT_MIN) snprintf(buf, size, "%.0f min", v);
    else sg__fmt_num(v, 2, buf, size);
}

void sg__svg_graduated(sg_ctx *ctx, FILE *m, const struct sg_run *run, const char *title, const double *v,
                       sg_unit unit, const char *note) {
    const sg_city *c = &run->city;
    size_t n = c->n;
    const unsigned char *usable = run->gaps ? run->gaps->usable : NULL;
    double lo[5], hi[5];
    int nb = 0;
    if (sg__graduated_breaks(v, usable, n, lo, hi, &nb) != 0) nb = 0;
    char labels[6][SG_LABEL_MAX];
    sg__range_labels(lo, hi, nb, unit, labels);
    snprintf(labels[nb], SG_LABEL_MAX, "No data");
    const char *lab[6];
    unsigned rgb[6];
    size_t cnt[6] = {0};
    for (int k = 0; k <= nb; k++) {
        lab[k] = labels[k];
        rgb[k] = k < nb ? sg__graduated_colour(k, nb) : sg__gap5_colour(SG_GAP5_NO_DATA);
    }
    unsigned *fill = malloc((n ? n : 1) * sizeof *fill);
    char **tips = calloc(n ? n : 1, sizeof *tips);
    if (!fill || !tips) goto out;
    for (size_t i = 0; i < n; i++) {
        int k = nb; /* no data */
        if ((!usable || usable[i]) && isfinite(v[i]))
            for (k = 0; k < nb - 1 && v[i] > hi[k]; k++) {}
        fill[i] = rgb[k];
        cnt[k]++;
        if (n <= SG_REPORT_MAP_MAX) {
            char val[48];
            fmt_value(k < nb ? v[i] : NAN, unit, val, sizeof val);
            tips[i] = sg__asprintf("%s (%s): %s", sg__district_label(c, i), c->id[i], val);
        }
    }
    sg_map_in mi = {title, fill, (const char *const *)tips, (size_t)nb + (cnt[nb] ? 1 : 0), lab, rgb, cnt, note, 0};
    sg__svg_map(ctx, m, run, &mi);
out:
    for (size_t i = 0; tips && i < n; i++) free(tips[i]);
    free(tips);
    free(fill);
}
