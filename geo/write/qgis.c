/* QGIS styles and project, written with libxml2's xmlTextWriter.
 *
 *  - LAYER.qml beside each layer (QGIS applies a same-named .qml when the
 *    layer is opened): districts.qml graduated on the migrant share,
 *    objective5.qml / objective10.qml categorised on the gap classes with
 *    plain-language legend labels, services.qml categorised on the type.
 *    Palettes: viridis (graduated), Okabe-Ito (categories); both read by
 *    colour-blind people.
 *  - seggap.qgs, a project in the working CRS with every layer, styled,
 *    relative paths, top to bottom: services, migrant share, objective 5
 *    classes, objective 5 priority score, objective 10 classes, and with
 *    several groups each group's location quotient. Services (up to 400),
 *    the share and the objective 5 classes are visible. The renderer is the
 *    same as in the .qml (QGIS 3.22 format: see
 *    ../shared/check/tests/data/minimal_graduated.qml). Labels and the print
 *    layouts: qgis_layout.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_internal.h"

/* ---- colours of the classes ---- */
/* Okabe-Ito hues; 'nothing to act on' (ok, not_concentrated) a pale bluish
 * green (a 30 % tint of Okabe-Ito's 0x009E73), so it does not read as the
 * grey of 'no data'. */
#define SG_OK_COLOUR 0xB2E2D5
static const unsigned gap5_colours[SG_GAP5_COUNT] = {0xD55E00, 0xCC79A7, 0xF0E442, SG_OK_COLOUR,
                                                     0xCC79A7, SG_OK_COLOUR, 0x999999};
const unsigned sg__viridis5[5] = {0x440154, 0x3B528B, 0x21918C, 0x5EC962, 0xFDE725};
static const unsigned gap10_colours[SG_GAP10_COUNT] = {0xD55E00, 0xCC79A7, 0x0072B2, SG_OK_COLOUR, 0x999999};

/* Class k of nb: the palette spread over the classes used, light (low) to
 * dark (high), as a choropleth reads: darker is more. */
unsigned sg__graduated_colour(int k, int nb) {
    int c = nb <= 1 ? 2 : (int)lround(4.0 * k / (nb - 1));
    return sg__viridis5[4 - (c < 0 ? 0 : c > 4 ? 4 : c)];
}
unsigned sg__gap5_colour(sg_gap5 c) { return c < SG_GAP5_COUNT ? gap5_colours[c] : 0x999999; }
unsigned sg__gap10_colour(sg_gap10 c) { return c < SG_GAP10_COUNT ? gap10_colours[c] : 0x999999; }

/* ---- styles ---- */

void sg__style_free(sg_style *s) {
    for (size_t k = 0; k < s->n; k++) {
        free(s->values[k]);
        free(s->labels[k]);
    }
    memset(s, 0, sizeof *s);
}

static int add_cat(sg_style *s, const char *value, const char *label, unsigned rgb) {
    if (s->n >= SG_STYLE_MAX) return -1;
    s->values[s->n] = sg__strdup(value);
    s->labels[s->n] = sg__strdup(label);
    s->rgb[s->n] = rgb;
    s->n++;
    return s->values[s->n - 1] && s->labels[s->n - 1] ? 0 : -1;
}

static int add_graduated(sg_style *s, const double *v, const unsigned char *mask, size_t n, int percent) {
    double lo[5], hi[5];
    int nb = 0;
    if (sg__graduated_breaks(v, mask, n, lo, hi, &nb) != 0) {
        lo[0] = 0;
        hi[0] = 1;
        nb = 1;
    }
    char labels[5][SG_LABEL_MAX];
    sg__range_labels(lo, hi, nb, percent ? SG_UNIT_PCT : SG_UNIT_NONE, labels);
    for (int k = 0; k < nb; k++) {
        if (add_cat(s, "", labels[k], sg__graduated_colour(k, nb)) != 0) return -1;
        s->lo[k] = lo[k];
        s->hi[k] = hi[k];
    }
    return 0;
}

/* Service points: a shape per type, dark Okabe-Ito fills with a white outline,
 * so they stand out on the class colours of the areas below them. */
static const unsigned point_fill[8] = {0x000000, 0x0072B2, 0x009E73, 0x56B4E9, 0x000000, 0x0072B2, 0x009E73, 0x56B4E9};
static const char *const point_shape[8] = {"circle", "square", "triangle", "diamond",
                                           "pentagon", "star", "hexagon", "cross_fill"};

int sg__style_build(const struct sg_run *run, sg_style_key key, sg_style *s) {
    const struct sg_gaps *g = run->gaps;
    memset(s, 0, sizeof *s);
    s->key = key;
    s->geom = SG_STYLE_POLYGON;
    switch (key) {
    case SG_STYLE_DISTRICTS: {
        const sg_column *share = sg__res_col(&run->res, "share");
        s->graduated = 1;
        s->attr = "share";
        s->title = "Migrant share";
        return add_graduated(s, share ? share->num : NULL, g->usable, share ? run->city.n : 0, 1);
    }
    case SG_STYLE_LOCAL_SEG: { /* local mutual information (indices/index_multigroup.c) */
        const sg_column *ls = sg__res_col(&run->res, "local_segregation");
        s->graduated = 1;
        s->attr = "local_segregation";
        s->title = "Local segregation (mutual information)";
        return add_graduated(s, ls ? ls->num : NULL, g->usable, ls ? run->city.n : 0, 0);
    }
    case SG_STYLE_OBJ5_SCORE:
        s->graduated = 1;
        s->attr = "gap5_score";
        s->title = "Objective 5: priority score (1 = act first)";
        return add_graduated(s, g->g5.score, g->usable, run->city.n, 0);
    case SG_STYLE_OBJ5: {
        s->attr = "gap5_class";
        s->title = "Objective 5: spatial gap";
        static const sg_gap5 with[] = {SG_GAP5_CONC_UNDERSERVED, SG_GAP5_CONC_SERVED, SG_GAP5_UNDERSERVED,
                                       SG_GAP5_OK, SG_GAP5_NO_DATA};
        static const sg_gap5 without[] = {SG_GAP5_CONCENTRATED, SG_GAP5_NOT_CONCENTRATED, SG_GAP5_NO_DATA};
        const sg_gap5 *list = g->ntypes ? with : without;
        size_t nl = g->ntypes ? 5 : 3;
        char rule[160], lab[320]; /* concentrated classes: which rule (and p adjustment) made the flag */
        sg__gap5_conc_rule(g, rule, sizeof rule);
        for (size_t k = 0; k < nl; k++) {
            int conc = list[k] == SG_GAP5_CONC_UNDERSERVED || list[k] == SG_GAP5_CONC_SERVED ||
                       list[k] == SG_GAP5_CONCENTRATED;
            snprintf(lab, sizeof lab, "%s%s%s%s", sg__gap5_label_std(list[k], g->g5.by_standards), conc ? " (" : "",
                     conc ? rule : "", conc ? ")" : "");
            if (add_cat(s, sg__gap5_name(list[k]), lab, sg__gap5_colour(list[k])) != 0) return -1;
        }
        return 0;
    }
    case SG_STYLE_OBJ10:
        s->attr = "gap10_class";
        s->title = "Objective 10: housing gap";
        if (!g->assessed10)
            return add_cat(s, sg__gap10_name(SG_GAP10_NO_DATA),
                           "No housing data given: objective 10 not assessed", sg__gap10_colour(SG_GAP10_NO_DATA));
        for (int k = 0; k < SG_GAP10_COUNT; k++)
            if (add_cat(s, sg__gap10_name((sg_gap10)k), sg__gap10_label((sg_gap10)k), sg__gap10_colour((sg_gap10)k)) !=
                0)
                return -1;
        return 0;
    case SG_STYLE_SERVICES:
        s->attr = "type";
        s->title = "Public services";
        s->geom = SG_STYLE_POINT;
        for (size_t t = 0; t < g->ntypes && t < SG_STYLE_MAX; t++)
            if (add_cat(s, g->types[t], g->types[t], point_fill[t % 8]) != 0) return -1;
        return 0;
    }
    return -1;
}

/* ---- XML with error latching (write_internal.h) ---- */

void sg__x_start(sg_xw *x, const char *name) {
    if (xmlTextWriterStartElement(x->w, BAD_CAST name) < 0) x->err = 1;
}
void sg__x_end(sg_xw *x) {
    if (xmlTextWriterEndElement(x->w) < 0) x->err = 1;
}
void sg__x_attr(sg_xw *x, const char *name, const char *value) {
    if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST(value ? value : "")) < 0) x->err = 1;
}
void sg__x_attrf(sg_xw *x, const char *name, const char *fmt, ...) SG_PRINTF(3, 4);
void sg__x_attrf(sg_xw *x, const char *name, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sg__x_attr(x, name, buf);
}
void sg__x_elem(sg_xw *x, const char *name, const char *text) {
    if (xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST(text ? text : "")) < 0) x->err = 1;
}
void sg__x_option(sg_xw *x, const char *name, const char *value) {
    sg__x_start(x, "Option");
    sg__x_attr(x, "type", "QString");
    sg__x_attr(x, "name", name);
    sg__x_attr(x, "value", value);
    sg__x_end(x);
}
static void rgb_text(unsigned rgb, char *buf, size_t size) {
    snprintf(buf, size, "%u,%u,%u,255", (rgb >> 16) & 255u, (rgb >> 8) & 255u, rgb & 255u);
}

static void x_symbol(sg_xw *x, const sg_style *s, size_t k) {
    char col[32], name[24];
    rgb_text(s->rgb[k], col, sizeof col);
    snprintf(name, sizeof name, "%zu", k);
    sg__x_start(x, "symbol");
    sg__x_attr(x, "type", s->geom == SG_STYLE_POINT ? "marker" : "fill");
    sg__x_attr(x, "name", name);
    sg__x_attr(x, "alpha", "1");
    sg__x_attr(x, "clip_to_extent", "1");
    sg__x_attr(x, "force_rhr", "0");
    sg__x_start(x, "layer");
    sg__x_attr(x, "class", s->geom == SG_STYLE_POINT ? "SimpleMarker" : "SimpleFill");
    sg__x_attr(x, "enabled", "1");
    sg__x_attr(x, "locked", "0");
    sg__x_attr(x, "pass", "0");
    sg__x_start(x, "Option");
    sg__x_attr(x, "type", "Map");
    sg__x_option(x, "color", col);
    if (s->geom == SG_STYLE_POINT) {
        sg__x_option(x, "name", point_shape[k % 8]);
        sg__x_option(x, "size", "2.4");
        sg__x_option(x, "size_unit", "MM");
        sg__x_option(x, "outline_color", "255,255,255,255");
        sg__x_option(x, "outline_style", "solid");
        sg__x_option(x, "outline_width", "0.4");
        sg__x_option(x, "outline_width_unit", "MM");
    } else {
        sg__x_option(x, "style", "solid");
        sg__x_option(x, "outline_color", "110,110,110,255");
        sg__x_option(x, "outline_style", "solid");
        sg__x_option(x, "outline_width", "0.15");
        sg__x_option(x, "outline_width_unit", "MM");
    }
    sg__x_end(x); /* Option */
    sg__x_end(x); /* layer */
    sg__x_end(x); /* symbol */
}

/* <renderer-v2>: attr names the field (the style's, or a Shapefile's short name). */
static void x_renderer(sg_xw *x, const sg_style *s, const char *attr) {
    sg__x_start(x, "renderer-v2");
    sg__x_attr(x, "type", s->graduated ? "graduatedSymbol" : "categorizedSymbol");
    sg__x_attr(x, "attr", attr ? attr : s->attr);
    if (s->graduated) sg__x_attr(x, "graduatedMethod", "GraduatedColor");
    sg__x_attr(x, "symbollevels", "0");
    sg__x_attr(x, "enableorderby", "0");
    sg__x_attr(x, "forceraster", "0");
    sg__x_start(x, s->graduated ? "ranges" : "categories");
    for (size_t k = 0; k < s->n; k++) {
        char sym[24];
        snprintf(sym, sizeof sym, "%zu", k);
        sg__x_start(x, s->graduated ? "range" : "category");
        if (s->graduated) {
            sg__x_attrf(x, "lower", "%.15g", s->lo[k]);
            sg__x_attrf(x, "upper", "%.15g", s->hi[k]);
        } else {
            sg__x_attr(x, "value", s->values[k]);
        }
        sg__x_attr(x, "symbol", sym);
        sg__x_attr(x, "label", s->labels[k]);
        sg__x_attr(x, "render", "true");
        sg__x_end(x);
    }
    sg__x_end(x);
    sg__x_start(x, "symbols");
    for (size_t k = 0; k < s->n; k++) x_symbol(x, s, k);
    sg__x_end(x);
    sg__x_end(x); /* renderer-v2 */
}

static void x_doctype(sg_xw *x) {
    if (xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL) < 0) x->err = 1;
    if (xmlTextWriterWriteDTD(x->w, BAD_CAST "qgis", BAD_CAST "http://mrcc.com/qgis.dtd", BAD_CAST "SYSTEM", NULL) <
        0)
        x->err = 1;
}

static void x_qml(sg_xw *x, const sg_style *s, const char *attr) {
    x_doctype(x);
    sg__x_start(x, "qgis");
    sg__x_attr(x, "version", "3.22.0");
    sg__x_attr(x, "styleCategories", "Symbology");
    x_renderer(x, s, attr);
    sg__x_elem(x, "layerGeometryType", s->geom == SG_STYLE_POINT ? "0" : "2");
    sg__x_end(x);
    if (xmlTextWriterEndDocument(x->w) < 0) x->err = 1;
}

char *sg__qml_text(const sg_style *s, const char *attr) {
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf) return NULL;
    sg_xw x = {xmlNewTextWriterMemory(buf, 0), 0};
    char *out = NULL;
    if (x.w) {
        xmlTextWriterSetIndent(x.w, 1);
        xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
        x_qml(&x, s, attr);
        xmlFreeTextWriter(x.w); /* flushes into buf */
        if (!x.err) out = sg__strdup((const char *)xmlBufferContent(buf));
    }
    xmlBufferFree(buf);
    return out;
}

/* Writes text to path atomically. */
static sg_status write_text(sg_ctx *ctx, const char *path, const char *text) {
    return sg__output_write(ctx, path, text, strlen(text));
}

sg_status sg__write_qml(sg_ctx *ctx, sg_written *out, const sg_style *s, const char *attr, const char *path) {
    char *text = sg__qml_text(s, attr);
    if (!text) return sg__error(ctx, SG_ERR_INTERNAL, "E_XML", (sg_where){path, NULL, -1, NULL, NULL},
                                "libxml2 could not build the style");
    sg_status st = write_text(ctx, path, text);
    free(text);
    if (st == SG_OK && sg__written_add(out, path) != 0) st = sg__nomem(ctx);
    return st;
}

/* ---- the project ---- */

typedef struct proj_layer {
    const char *id, *name, *file;
    sg_style_key key;
    int visible;
    const char *lq; /* a group's location quotient column (districts.geojson), or NULL */
} proj_layer;

/* The style of a group's location quotient: the report's fixed classes. */
static int lq_style(const char *col, sg_style *s) {
    memset(s, 0, sizeof *s);
    s->key = SG_STYLE_DISTRICTS;
    s->graduated = 1;
    s->attr = col;
    s->title = col;
    s->geom = SG_STYLE_POLYGON;
    for (int k = 0; k < 5; k++) {
        if (add_cat(s, "", sg__lq_label[k], sg__lq_rgb[k]) != 0) return -1;
        s->lo[k] = k ? sg__lq_bounds[k - 1] : 0;
        s->hi[k] = k < 4 ? sg__lq_bounds[k] : 1e9;
    }
    return 0;
}

static void x_srs(sg_xw *x, const char *authid, const char *wkt) {
    sg__x_start(x, "srs");
    sg__x_start(x, "spatialrefsys");
    if (wkt) sg__x_elem(x, "wkt", wkt);
    if (authid) sg__x_elem(x, "authid", authid);
    sg__x_end(x);
    sg__x_end(x);
}

/* 1 when the layer a style belongs to was written (--layers; services only with services). */
static int layer_written(const struct sg_run *run, sg_style_key key) {
    unsigned want = run->opts ? run->opts->layers : SG_LAYER_ALL;
    switch (key) {
    case SG_STYLE_DISTRICTS: return (want & SG_LAYER_DISTRICTS) != 0;
    case SG_STYLE_OBJ5:
    case SG_STYLE_OBJ5_SCORE: return (want & SG_LAYER_OBJECTIVE5) != 0;
    case SG_STYLE_OBJ10: return (want & SG_LAYER_OBJECTIVE10) != 0;
    case SG_STYLE_SERVICES: return (want & SG_LAYER_SERVICES) && run->gaps->nsites;
    case SG_STYLE_LOCAL_SEG: return (want & SG_LAYER_DISTRICTS) && sg__res_col(&run->res, "local_segregation");
    }
    return 0;
}

static sg_status write_project(sg_ctx *ctx, const struct sg_run *run, const char *path, sg_written *out) {
    struct sg_gaps *g = run->gaps;
    const sg_city *c = &run->city;
    proj_layer fixed[] = {
        /* thousands of points hide the areas: then the layer starts unchecked */
        {"seggap_services", "Public services", "./services.geojson", SG_STYLE_SERVICES, g->nsites <= 400, NULL},
        /* the OECD map, the report's first: on top, visible */
        {"seggap_districts", "Migrant share", "./districts.geojson", SG_STYLE_DISTRICTS, 1, NULL},
        {"seggap_objective5", "Objective 5: spatial gap (classes)", "./objective5.geojson", SG_STYLE_OBJ5, 1, NULL},
        {"seggap_objective5_score", "Objective 5: priority score", "./objective5.geojson", SG_STYLE_OBJ5_SCORE, 0,
         NULL},
        {"seggap_objective10", g->assessed10 ? "Objective 10: housing gap (classes)"
                                             : "Objective 10: housing gap (no housing data)",
         "./objective10.geojson", SG_STYLE_OBJ10, 0, NULL},
        {"seggap_local_segregation", "Local segregation (mutual information)", "./districts.geojson",
         SG_STYLE_LOCAL_SEG, 0, NULL},
    };
    size_t nl = 0, nfixed = sizeof fixed / sizeof fixed[0];
    /* then, with several groups, each group's location quotient (unchecked) */
    proj_layer *layers = malloc((nfixed + run->res.ncols) * sizeof *layers);
    char **lq_ids = calloc(run->res.ncols ? run->res.ncols : 1, sizeof *lq_ids);
    char **lq_names = calloc(run->res.ncols ? run->res.ncols : 1, sizeof *lq_names);
    if (!layers || !lq_ids || !lq_names) {
        free(layers);
        free(lq_ids);
        free(lq_names);
        return sg__nomem(ctx);
    }
    for (size_t k = 0; k < nfixed; k++) layers[nl++] = fixed[k];
    size_t ngroups = 0;
    for (size_t k = 0; k < run->res.ncols; k++) ngroups += strncmp(run->res.cols[k].name, "lq_", 3) == 0;
    for (size_t k = 0; ngroups >= 2 && layer_written(run, SG_STYLE_DISTRICTS) && k < run->res.ncols; k++) {
        const char *col = run->res.cols[k].name;
        if (strncmp(col, "lq_", 3) != 0 || !run->res.cols[k].num) continue;
        lq_ids[k] = sg__asprintf("seggap_%s", col);
        lq_names[k] = sg__asprintf("Location quotient: %s", col + 3);
        if (!lq_ids[k] || !lq_names[k]) continue;
        layers[nl++] = (proj_layer){lq_ids[k], lq_names[k], "./districts.geojson", SG_STYLE_DISTRICTS, 0, col};
    }
    /* district names as labels on the maps of the layouts */
    const char *label_field = c->name && run->rd.fields && run->rd.fields[SG_ROLE_NAME].name ? "name" : "id";
    double label_scale = sg__label_scale(ctx, run);
    /* extent in the working CRS */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        double a, b, cc, d;
        if (!c->geom[i]) continue;
        if (GEOSGeom_getXMin_r(sg__geos(ctx), c->geom[i], &a) && GEOSGeom_getYMin_r(sg__geos(ctx), c->geom[i], &b) &&
            GEOSGeom_getXMax_r(sg__geos(ctx), c->geom[i], &cc) && GEOSGeom_getYMax_r(sg__geos(ctx), c->geom[i], &d)) {
            x0 = fmin(x0, a);
            y0 = fmin(y0, b);
            x1 = fmax(x1, cc);
            y1 = fmax(y1, d);
        }
    }
    double mx = 0.05 * (x1 - x0), my = 0.05 * (y1 - y0);
    const char *work_wkt = proj_as_wkt(sg__proj(ctx), run->rd.crs.work, PJ_WKT2_2019, NULL);
    const char *work_id = run->rd.crs.work_id;
    /* every layer is RFC 7946 GeoJSON: WGS 84 lon/lat. QGIS 3.22 needs the
     * WKT to make a valid CRS of a layer's <srs> (the authid alone is not read). */
    PJ *wgs = proj_create(sg__proj(ctx), "EPSG:4326");
    const char *wgs_wkt = wgs ? proj_as_wkt(sg__proj(ctx), wgs, PJ_WKT2_2019, NULL) : NULL;

    /* built in memory, then written atomically (sg__output_write checks its size) */
    xmlBufferPtr xbuf = xmlBufferCreate();
    sg_xw x = {xbuf ? xmlNewTextWriterMemory(xbuf, 0) : NULL, 0};
    if (!x.w) {
        if (xbuf) xmlBufferFree(xbuf);
        proj_destroy(wgs);
        for (size_t k = 0; k < run->res.ncols; k++) {
            free(lq_ids[k]);
            free(lq_names[k]);
        }
        free(lq_ids);
        free(lq_names);
        free(layers);
        return sg__nomem(ctx);
    }
    xmlTextWriterSetIndent(x.w, 1);
    xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
    x_doctype(&x);
    sg__x_start(&x, "qgis");
    sg__x_attr(&x, "projectname", "seggap: objectives 5 and 10");
    sg__x_attr(&x, "version", "3.22.0-Białowieża");
    sg__x_start(&x, "homePath");
    sg__x_attr(&x, "path", "");
    sg__x_end(&x);
    sg__x_elem(&x, "title", "seggap: objectives 5 and 10");
    sg__x_start(&x, "projectCrs");
    sg__x_start(&x, "spatialrefsys");
    if (work_wkt) sg__x_elem(&x, "wkt", work_wkt);
    if (work_id) sg__x_elem(&x, "authid", work_id);
    sg__x_elem(&x, "description", run->rd.crs.work_name);
    sg__x_end(&x);
    sg__x_end(&x);
    /* layer tree, top first */
    sg__x_start(&x, "layer-tree-group");
    for (size_t k = 0; k < nl; k++) {
        if (!layer_written(run, layers[k].key)) continue;
        sg__x_start(&x, "layer-tree-layer");
        sg__x_attr(&x, "id", layers[k].id);
        sg__x_attr(&x, "name", layers[k].name);
        sg__x_attr(&x, "source", layers[k].file);
        sg__x_attr(&x, "providerKey", "ogr");
        sg__x_attr(&x, "checked", layers[k].visible ? "Qt::Checked" : "Qt::Unchecked");
        sg__x_attr(&x, "expanded", layers[k].visible ? "1" : "0");
        sg__x_end(&x);
    }
    sg__x_end(&x);
    /* the map canvas opens on the city */
    if (x0 <= x1) {
        sg__x_start(&x, "mapcanvas");
        sg__x_attr(&x, "name", "theMapCanvas");
        sg__x_attr(&x, "annotationsVisible", "1");
        sg__x_elem(&x, "units", "meters");
        sg__x_start(&x, "extent");
        char v[64];
        snprintf(v, sizeof v, "%.3f", x0 - mx);
        sg__x_elem(&x, "xmin", v);
        snprintf(v, sizeof v, "%.3f", y0 - my);
        sg__x_elem(&x, "ymin", v);
        snprintf(v, sizeof v, "%.3f", x1 + mx);
        sg__x_elem(&x, "xmax", v);
        snprintf(v, sizeof v, "%.3f", y1 + my);
        sg__x_elem(&x, "ymax", v);
        sg__x_end(&x);
        sg__x_elem(&x, "rotation", "0");
        sg__x_start(&x, "destinationsrs");
        sg__x_start(&x, "spatialrefsys");
        if (work_wkt) sg__x_elem(&x, "wkt", work_wkt);
        if (work_id) sg__x_elem(&x, "authid", work_id);
        sg__x_end(&x);
        sg__x_end(&x);
        sg__x_end(&x);
    }
    sg__x_start(&x, "projectlayers");
    sg_status st = SG_OK;
    for (size_t k = 0; k < nl && st == SG_OK; k++) {
        if (!layer_written(run, layers[k].key)) continue;
        sg_style s;
        if ((layers[k].lq ? lq_style(layers[k].lq, &s) : sg__style_build(run, layers[k].key, &s)) != 0) {
            sg__style_free(&s);
            st = sg__nomem(ctx);
            break;
        }
        int pts = s.geom == SG_STYLE_POINT;
        sg__x_start(&x, "maplayer");
        sg__x_attr(&x, "labelsEnabled", !pts && !layers[k].lq && layers[k].key != SG_STYLE_OBJ5_SCORE ? "1" : "0");
        sg__x_attr(&x, "type", "vector");
        sg__x_attr(&x, "geometry", pts ? "Point" : "Polygon");
        sg__x_attr(&x, "wkbType", pts ? "Point" : "MultiPolygon");
        sg__x_attr(&x, "hasScaleBasedVisibilityFlag", "0");
        sg__x_attr(&x, "styleCategories", "AllStyleCategories");
        sg__x_elem(&x, "id", layers[k].id);
        sg__x_elem(&x, "datasource", layers[k].file);
        sg__x_elem(&x, "layername", layers[k].name);
        x_srs(&x, "EPSG:4326", wgs_wkt);
        sg__x_start(&x, "provider");
        sg__x_attr(&x, "encoding", "UTF-8");
        if (xmlTextWriterWriteString(x.w, BAD_CAST "ogr") < 0) x.err = 1;
        sg__x_end(&x);
        x_renderer(&x, &s, NULL);
        if (!pts && !layers[k].lq && layers[k].key != SG_STYLE_OBJ5_SCORE)
            sg__x_labeling(&x, label_field, label_scale);
        sg__x_elem(&x, "blendMode", "0");
        sg__x_elem(&x, "featureBlendMode", "0");
        sg__x_elem(&x, "layerOpacity", "1");
        sg__x_end(&x); /* maplayer */
        sg__style_free(&s);
    }
    sg__x_end(&x); /* projectlayers */
    /* a print layout per objective map */
    sg_layout lay[3];
    size_t nlay = 0;
    for (size_t k = 0; k < nfixed; k++) {
        const proj_layer *p = &fixed[k];
        if (!layer_written(run, p->key)) continue;
        if (p->key == SG_STYLE_DISTRICTS)
            lay[nlay++] = (sg_layout){"Migrant share", "Share of residents with a migration background", p->id, p->name,
                                      p->file, p->key};
        else if (p->key == SG_STYLE_OBJ5)
            lay[nlay++] = (sg_layout){"Objective 5", g->ntypes ? "Objective 5: migrant concentration and access to services"
                                                               : "Objective 5: migrant concentration",
                                      p->id, p->name, p->file, p->key};
        else if (p->key == SG_STYLE_OBJ10 && g->assessed10)
            lay[nlay++] = (sg_layout){"Objective 10", "Objective 10: migrant concentration and housing", p->id, p->name,
                                      p->file, p->key};
    }
    double ext[4] = {x0, y0, x1, y1};
    if (x0 <= x1 && nlay) sg__x_layouts(&x, run, lay, nlay, ext);
    sg__x_start(&x, "properties");
    /* QGIS reads <projectCrs> only when ProjectionsEnabled is set */
    sg__x_start(&x, "SpatialRefSys");
    sg__x_start(&x, "ProjectionsEnabled");
    sg__x_attr(&x, "type", "int");
    if (xmlTextWriterWriteString(x.w, BAD_CAST "1") < 0) x.err = 1;
    sg__x_end(&x);
    if (work_id) {
        sg__x_start(&x, "ProjectCrs");
        sg__x_attr(&x, "type", "QString");
        if (xmlTextWriterWriteString(x.w, BAD_CAST work_id) < 0) x.err = 1;
        sg__x_end(&x);
    }
    sg__x_end(&x);
    sg__x_start(&x, "Paths");
    sg__x_start(&x, "Absolute");
    sg__x_attr(&x, "type", "bool");
    if (xmlTextWriterWriteString(x.w, BAD_CAST "false") < 0) x.err = 1;
    sg__x_end(&x);
    sg__x_end(&x);
    sg__x_end(&x); /* properties */
    sg__x_end(&x); /* qgis */
    if (xmlTextWriterEndDocument(x.w) < 0) x.err = 1;
    xmlFreeTextWriter(x.w); /* flushes into xbuf */
    proj_destroy(wgs);
    for (size_t k = 0; k < run->res.ncols; k++) {
        free(lq_ids[k]);
        free(lq_names[k]);
    }
    free(lq_ids);
    free(lq_names);
    free(layers);
    if (st == SG_OK && x.err)
        st = sg__error(ctx, SG_ERR_INTERNAL, "E_XML", (sg_where){path, NULL, -1, NULL, NULL},
                       "libxml2 could not build the project");
    if (st == SG_OK)
        st = sg__output_write(ctx, path, xmlBufferContent(xbuf), (size_t)xmlBufferLength(xbuf));
    xmlBufferFree(xbuf);
    if (st == SG_OK && sg__written_add(out, path) != 0) st = sg__nomem(ctx);
    return st;
}

sg_status sg__write_qgis(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    static const struct {
        sg_style_key key;
        const char *file;
    } sidecars[] = {
        {SG_STYLE_DISTRICTS, "districts.qml"},
        {SG_STYLE_OBJ5, "objective5.qml"},
        {SG_STYLE_OBJ10, "objective10.qml"},
        {SG_STYLE_SERVICES, "services.qml"},
    };
    sg_status st = SG_OK;
    for (size_t k = 0; k < sizeof sidecars / sizeof sidecars[0] && st == SG_OK; k++) {
        if (!layer_written(run, sidecars[k].key)) continue;
        sg_style s;
        memset(&s, 0, sizeof s);
        char *path = sg__asprintf("%s/%s", run->dir, sidecars[k].file);
        if (!path || sg__style_build(run, sidecars[k].key, &s) != 0) st = sg__nomem(ctx);
        else st = sg__write_qml(ctx, out, &s, NULL, path);
        sg__style_free(&s);
        free(path);
    }
    int any = 0; /* --layers none: no project of nothing */
    for (size_t k = 0; k < sizeof sidecars / sizeof sidecars[0]; k++) any |= layer_written(run, sidecars[k].key);
    if (st == SG_OK && any) {
        char *path = sg__asprintf("%s/seggap.qgs", run->dir);
        st = path ? write_project(ctx, run, path, out) : sg__nomem(ctx);
        free(path);
    }
    return st;
}
