/* seggap.qgs (qgis.c): the print layouts and the labels of the districts.
 *
 * One layout per objective map (the migrant share, objective 5, objective 10
 * when assessed), so that Project > Layouts > Export as PDF gives the
 * council's map: A3 landscape, the map of that one layer on the city's extent
 * in the project CRS, the title, the legend of the layer, a scale bar in km,
 * a north arrow pointing to true north, the source note (--source-note) and
 * the print date (a QGIS expression, evaluated when the layout is exported).
 * The XML is the minimal equivalent of what QGIS 3.22 writes for such a
 * layout (QgsPrintLayout with QgsLayoutItemMap, -Label, -Legend, -ScaleBar,
 * -Picture); QGIS fills every attribute left out with its default.
 *
 * Labels: the district names (the id without --name), with a white halo,
 * shown only from a scale at which the median district is about 2 cm across
 * (scale-dependent visibility), so the whole-city map stays readable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_internal.h"

const double sg__lq_bounds[4] = {0.5, 0.8, 1.25, 2};
const unsigned sg__lq_rgb[5] = {0x5E3C99, 0xB2ABD2, 0xF7F7F7, 0xFDB863, 0xE66101};
const char *const sg__lq_label[5] = {"below 0.50: under half the city share", "0.50 \xE2\x80\x93 0.80",
                                     "0.80 \xE2\x80\x93 1.25: about the city share", "1.25 \xE2\x80\x93 2.00",
                                     "2.00 and above: twice the city share or more"};

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double sg__label_scale(sg_ctx *ctx, const struct sg_run *run) {
    const sg_city *c = &run->city;
    double *w = malloc((c->n ? c->n : 1) * sizeof *w);
    size_t m = 0;
    for (size_t i = 0; w && i < c->n; i++) {
        double a = 0;
        if (c->geom[i] && GEOSArea_r(sg__geos(ctx), c->geom[i], &a) && a > 0) w[m++] = sqrt(a);
    }
    double med = 1000;
    if (m) {
        qsort(w, m, sizeof *w, cmp_d);
        med = w[m / 2];
    }
    free(w);
    /* 2 cm on paper = med metres: 1:(med / 0.02), rounded down to 1, 2 or 5 x 10^k */
    double s = med / 0.02, p10 = pow(10, floor(log10(s)));
    return s >= 5 * p10 ? 5 * p10 : s >= 2 * p10 ? 2 * p10 : p10;
}

void sg__x_labeling(sg_xw *x, const char *field, double max_scale) {
    sg__x_start(x, "labeling");
    sg__x_attr(x, "type", "simple");
    sg__x_start(x, "settings");
    sg__x_attr(x, "calloutType", "simple");
    sg__x_start(x, "text-style");
    sg__x_attr(x, "fieldName", field);
    sg__x_attr(x, "isExpression", "0");
    sg__x_attr(x, "fontSize", "9");
    sg__x_attr(x, "fontSizeUnit", "Point");
    sg__x_attr(x, "textColor", "0,0,0,255");
    sg__x_attr(x, "fontFamily", "Sans Serif");
    sg__x_attr(x, "fontWeight", "50");
    sg__x_attr(x, "textOpacity", "1");
    sg__x_start(x, "text-buffer");
    sg__x_attr(x, "bufferDraw", "1");
    sg__x_attr(x, "bufferSize", "0.6");
    sg__x_attr(x, "bufferNoFill", "1");
    sg__x_attr(x, "bufferJoinStyle", "128");
    sg__x_attr(x, "bufferSizeUnits", "MM");
    sg__x_attr(x, "bufferColor", "255,255,255,255");
    sg__x_attr(x, "bufferOpacity", "1");
    sg__x_end(x);
    sg__x_end(x); /* text-style */
    sg__x_start(x, "text-format");
    sg__x_attr(x, "wrapChar", "");
    sg__x_attr(x, "autoWrapLength", "16");
    sg__x_attr(x, "multilineAlign", "3");
    sg__x_end(x);
    sg__x_start(x, "placement");
    sg__x_attr(x, "placement", "1"); /* over the centroid ... */
    sg__x_attr(x, "centroidInside", "1"); /* ... inside the polygon */
    sg__x_attr(x, "fitInPolygonOnly", "0");
    sg__x_attr(x, "priority", "5");
    sg__x_end(x);
    sg__x_start(x, "rendering");
    sg__x_attr(x, "drawLabels", "1");
    sg__x_attr(x, "scaleVisibility", "1");
    sg__x_attr(x, "scaleMin", "0");
    sg__x_attrf(x, "scaleMax", "%.0f", max_scale);
    sg__x_attr(x, "obstacle", "1");
    sg__x_attr(x, "displayAll", "0");
    sg__x_end(x);
    sg__x_end(x); /* settings */
    sg__x_end(x); /* labeling */
}

/* ---- print layouts ---- */

#define PAGE_W 420.0 /* A3 landscape, mm */
#define PAGE_H 297.0
#define MAP_X 10.0
#define MAP_Y 26.0
#define MAP_W 255.0
#define MAP_H 250.0

/* The attributes every layout item has. */
static void item(sg_xw *x, int type, const char *uuid, const char *id, double px, double py, double w, double h,
                 int z, int frame) {
    sg__x_start(x, "LayoutItem");
    sg__x_attrf(x, "type", "%d", type);
    sg__x_attr(x, "uuid", uuid);
    sg__x_attr(x, "templateUuid", uuid);
    sg__x_attr(x, "id", id);
    sg__x_attrf(x, "position", "%g,%g,mm", px, py);
    sg__x_attrf(x, "positionOnPage", "%g,%g,mm", px, py);
    sg__x_attrf(x, "size", "%g,%g,mm", w, h);
    sg__x_attrf(x, "zValue", "%d", z);
    sg__x_attr(x, "referencePoint", "0");
    sg__x_attr(x, "visibility", "1");
    sg__x_attr(x, "positionLock", "false");
    sg__x_attr(x, "frame", frame ? "true" : "false");
    sg__x_attr(x, "background", type == 65638 || type == 65639 ? "true" : "false");
    sg__x_attr(x, "outlineWidthM", "0.3,mm");
    sg__x_attr(x, "frameJoinStyle", "miter");
    sg__x_attr(x, "opacity", "1");
    sg__x_attr(x, "blendMode", "0");
    sg__x_attr(x, "excludeFromExports", "0");
    sg__x_attr(x, "itemRotation", "0");
}

static void colour(sg_xw *x, const char *name, unsigned r, unsigned g, unsigned b) {
    sg__x_start(x, name);
    sg__x_attrf(x, "red", "%u", r);
    sg__x_attrf(x, "green", "%u", g);
    sg__x_attrf(x, "blue", "%u", b);
    sg__x_attr(x, "alpha", "255");
    sg__x_end(x);
}

static void label(sg_xw *x, const char *uuid, const char *id, const char *text, double py, double h, int size,
                  int bold) {
    item(x, 65641, uuid, id, MAP_X, py, PAGE_W - 2 * MAP_X, h, 2, 0);
    sg__x_attr(x, "labelText", text);
    sg__x_attr(x, "htmlState", "0");
    sg__x_attr(x, "halign", "1");   /* Qt::AlignLeft */
    sg__x_attr(x, "valign", "128"); /* Qt::AlignVCenter */
    sg__x_attr(x, "marginX", "0");
    sg__x_attr(x, "marginY", "0");
    sg__x_start(x, "LabelFont");
    sg__x_attrf(x, "description", "Sans Serif,%d,-1,5,%d,0,0,0,0,0", size, bold ? 75 : 50);
    sg__x_attr(x, "style", "");
    sg__x_end(x);
    colour(x, "FontColor", 0, 0, 0);
    sg__x_end(x);
}

/* Legend labels: QGIS 3.22's layout legend does not wrap by width, and the
 * longest class labels (objective 5's concentrated classes name the rule and
 * the p adjustment: up to 160 characters) ran past the A3 page's right edge.
 * The layout's legend gets the labels of the layer's style broken at spaces
 * into lines of at most LEGEND_WRAP characters, joined by the legend's wrap
 * character, as custom labels of its legend nodes (legend/label-K, K the
 * category's index); the layer's own labels (the Layers panel, the .qml) stay
 * whole. */
#define LEGEND_WRAP 52
#define LEGEND_WRAP_CHAR "|"

/* text broken at spaces into lines of at most width characters (UTF-8
 * sequences counted once), joined by LEGEND_WRAP_CHAR; a word longer than
 * width stays whole (caller frees). */
char *sg__legend_wrap(const char *text, size_t width) {
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, text, n + 1);
    size_t line = 0, last_space = (size_t)-1, since_space = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)out[i] & 0xC0) == 0x80) continue; /* a continuation byte: not a character */
        if (out[i] == ' ') {
            last_space = i;
            since_space = 0;
        } else {
            since_space++;
        }
        line++;
        if (line > width && last_space != (size_t)-1) {
            out[last_space] = LEGEND_WRAP_CHAR[0];
            line = since_space;
            last_space = (size_t)-1;
        }
    }
    return out;
}

static void legend_labels(sg_xw *x, const struct sg_run *run, sg_style_key key) {
    sg_style s;
    if (sg__style_build(run, key, &s) != 0) {
        sg__style_free(&s);
        return;
    }
    int open = 0;
    for (size_t k = 0; k < s.n; k++) {
        if (!s.labels[k] || strlen(s.labels[k]) <= LEGEND_WRAP) continue;
        char *w = sg__legend_wrap(s.labels[k], LEGEND_WRAP);
        if (!w) {
            x->err = 1;
            break;
        }
        if (!open++) sg__x_start(x, "customproperties");
        sg__x_start(x, "property");
        sg__x_attrf(x, "key", "legend/label-%zu", k);
        sg__x_attr(x, "value", w);
        sg__x_end(x);
        free(w);
    }
    if (open) sg__x_end(x);
    sg__style_free(&s);
}

static void layout(sg_xw *x, const struct sg_run *run, const sg_layout *L, size_t k, const double e[4],
                   const char *note) {
    char u[6][48];
    for (int i = 0; i < 6; i++) snprintf(u[i], sizeof u[i], "{5e66a900-0000-4000-8000-%06zx%06x}", k, i);
    sg__x_start(x, "Layout");
    sg__x_attr(x, "name", L->name);
    sg__x_attr(x, "units", "mm");
    sg__x_attr(x, "printResolution", "300");
    sg__x_attr(x, "worldFileMap", "");
    sg__x_start(x, "PageCollection");
    item(x, 65638, u[0], "", 0, 0, PAGE_W, PAGE_H, 0, 0);
    colour(x, "BackgroundColor", 255, 255, 255);
    sg__x_end(x);
    sg__x_end(x); /* PageCollection */
    /* the map: the city's extent widened to the item's proportions, 4 % margin */
    double cx = 0.5 * (e[0] + e[2]), cy = 0.5 * (e[1] + e[3]);
    double w = 1.08 * (e[2] - e[0]), h = 1.08 * (e[3] - e[1]);
    if (w / h < MAP_W / MAP_H) w = h * MAP_W / MAP_H;
    else h = w * MAP_H / MAP_W;
    item(x, 65639, u[1], "map", MAP_X, MAP_Y, MAP_W, MAP_H, 1, 1);
    sg__x_attr(x, "keepLayerSet", "true");
    sg__x_attr(x, "drawCanvasItems", "true");
    sg__x_attr(x, "mapRotation", "0");
    sg__x_attr(x, "followPreset", "false");
    sg__x_attr(x, "followPresetName", "");
    colour(x, "FrameColor", 110, 110, 110);
    colour(x, "BackgroundColor", 255, 255, 255);
    sg__x_start(x, "Extent");
    sg__x_attrf(x, "xmin", "%.3f", cx - w / 2);
    sg__x_attrf(x, "ymin", "%.3f", cy - h / 2);
    sg__x_attrf(x, "xmax", "%.3f", cx + w / 2);
    sg__x_attrf(x, "ymax", "%.3f", cy + h / 2);
    sg__x_end(x);
    sg__x_start(x, "LayerSet");
    sg__x_start(x, "Layer");
    sg__x_attr(x, "source", L->layer_file);
    sg__x_attr(x, "provider", "ogr");
    sg__x_attr(x, "name", L->layer_name);
    if (xmlTextWriterWriteString(x->w, BAD_CAST L->layer_id) < 0) x->err = 1;
    sg__x_end(x);
    sg__x_end(x); /* LayerSet */
    sg__x_end(x); /* map */
    /* title and, at the foot, the source and the print date */
    char *title = run->opts->title ? sg__asprintf("%s \xE2\x80\x94 %s", run->opts->title, L->title) : sg__strdup(L->title);
    label(x, u[2], "title", title ? title : L->title, 8, 14, 22, 1);
    free(title);
    label(x, u[3], "source", note, MAP_Y + MAP_H + 4, 8, 10, 0);
    /* the legend of the map's layer alone */
    double lx = MAP_X + MAP_W + 10;
    item(x, 65642, u[4], "legend", lx, MAP_Y, PAGE_W - lx - MAP_X, 150, 3, 0);
    sg__x_attr(x, "map_uuid", u[1]);
    sg__x_attr(x, "title", "");
    sg__x_attr(x, "resizeToContents", "1");
    sg__x_attr(x, "columnCount", "1");
    sg__x_attr(x, "symbolWidth", "9");
    sg__x_attr(x, "symbolHeight", "5");
    sg__x_attr(x, "wrapChar", LEGEND_WRAP_CHAR);
    sg__x_start(x, "styles");
    static const char *const st[][2] = {{"title", "14"}, {"group", "12"}, {"subgroup", "11"}, {"symbol", "10"},
                                        {"symbolLabel", "10"}};
    for (size_t s = 0; s < sizeof st / sizeof st[0]; s++) {
        sg__x_start(x, "style");
        sg__x_attr(x, "name", st[s][0]);
        sg__x_attr(x, "marginTop", s == 3 ? "2.5" : s == 4 ? "2" : "3");
        sg__x_attr(x, "alignment", "1");
        sg__x_start(x, "styleFont");
        sg__x_attrf(x, "description", "Sans Serif,%s,-1,5,%d,0,0,0,0,0", st[s][1], s == 2 ? 75 : 50);
        sg__x_attr(x, "style", "");
        sg__x_end(x);
        sg__x_end(x);
    }
    sg__x_end(x); /* styles */
    sg__x_start(x, "layer-tree-group");
    sg__x_start(x, "layer-tree-layer");
    sg__x_attr(x, "id", L->layer_id);
    sg__x_attr(x, "name", L->layer_name);
    sg__x_attr(x, "source", L->layer_file);
    sg__x_attr(x, "providerKey", "ogr");
    sg__x_attr(x, "checked", "Qt::Checked");
    sg__x_attr(x, "expanded", "1");
    legend_labels(x, run, L->style);
    sg__x_end(x);
    sg__x_end(x);
    sg__x_end(x); /* legend */
    /* scale bar in km: two segments of a round length near a ninth of the map's width */
    double seg = w / 9, p10 = pow(10, floor(log10(seg)));
    seg = seg >= 5 * p10 ? 5 * p10 : seg >= 2 * p10 ? 2 * p10 : p10;
    item(x, 65646, u[5], "scale bar", lx, MAP_Y + MAP_H - 16, 100, 14, 4, 0);
    sg__x_attr(x, "mapUuid", u[1]);
    sg__x_attr(x, "style", "Single Box");
    sg__x_attr(x, "unitType", "km");
    sg__x_attr(x, "unitLabel", "km");
    sg__x_attr(x, "numMapUnitsPerScaleBarUnit", "1"); /* the label multiplier: labels in km */
    sg__x_attr(x, "segmentSizeMode", "0");
    sg__x_attrf(x, "numUnitsPerSegment", "%g", seg / 1000); /* in the bar's unit */
    sg__x_attr(x, "numSegments", "2");
    sg__x_attr(x, "numSegmentsLeft", "0");
    sg__x_attr(x, "numSubdivisions", "1");
    sg__x_attr(x, "height", "3");
    sg__x_attr(x, "labelBarSpace", "3");
    sg__x_attr(x, "boxContentSpace", "1");
    sg__x_attr(x, "alignment", "0");
    sg__x_end(x);
    /* north arrow: QGIS's own, turned to true north at the map's centre */
    char na[48];
    snprintf(na, sizeof na, "{5e66a900-0000-4000-8000-%06zx%06x}", k, 6);
    item(x, 65640, na, "north arrow", PAGE_W - MAP_X - 14, MAP_Y + MAP_H - 60, 14, 20, 5, 0);
    sg__x_attr(x, "file", ":/images/north_arrows/layout_default_north_arrow.svg");
    sg__x_attr(x, "mode", "0");
    sg__x_attr(x, "resizeMode", "0");
    sg__x_attr(x, "anchorPoint", "4");
    sg__x_attr(x, "mapUuid", u[1]);
    sg__x_attr(x, "northMode", "1");
    sg__x_attr(x, "northOffset", "0");
    sg__x_attr(x, "pictureRotation", "0");
    sg__x_attr(x, "svgFillColor", "0,0,0,255");
    sg__x_attr(x, "svgBorderColor", "0,0,0,255");
    sg__x_attr(x, "svgBorderWidth", "0.2");
    sg__x_end(x);
    sg__x_end(x); /* Layout */
}

void sg__x_layouts(sg_xw *x, const struct sg_run *run, const sg_layout *L, size_t n, const double ext[4]) {
    const char *src = run->opts->source_note;
    char *note = src && *src ? sg__asprintf("Source: %s. Map: seggap, [%% format_date(now(), 'yyyy-MM-dd') %%].", src)
                             : sg__strdup("Map: seggap, [% format_date(now(), 'yyyy-MM-dd') %].");
    if (!note) {
        x->err = 1;
        return;
    }
    sg__x_start(x, "Layouts");
    for (size_t k = 0; k < n; k++) layout(x, run, &L[k], k, ext, note);
    sg__x_end(x);
    free(note);
}
