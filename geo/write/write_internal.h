/* geo/write/ internals: what files of write/ share with each other and no
 * later folder needs. Included only by files of write/ (write.h says it
 * exists). */
#ifndef SEGGAP_GEO_WRITE_INTERNAL_H
#define SEGGAP_GEO_WRITE_INTERNAL_H

#include <stdio.h>

#include <libxml/xmlwriter.h>

#include "write/write.h"

/* ---- the objective layers (layers.c, format.c) ---- */
typedef struct sg_lspec {
    const char *name;       /* layer and file name */
    sg_lfield *f;
    size_t nf, cap;         /* fields, room for them */
    size_t n;
    const sg_city *city;    /* polygons: the districts */
    const double *px, *py;  /* points (the services), working CRS */
} sg_lspec;
/* GeoPackage: the layers plus layer_styles (QGIS applies the default style). */
sg_status sg__write_gpkg(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L,
                         const sg_style_key *keys, size_t nl);
/* Shapefiles in DIR/shp/: each written into a temporary directory and its
 * files renamed into place; fields.csv maps the short names back. */
sg_status sg__write_shp(sg_ctx *ctx, const struct sg_run *run, sg_written *out, const sg_lspec *const *L,
                        const sg_style_key *keys, size_t nl);

/* ---- report.html (report.c, report_gaps.c, report_map.c) ---- */
#define SG_REPORT_MAP_MAX 20000 /* above: maps on a grid of cells (README, report.html) */
/* s with &, <, >, " and ' escaped for HTML. */
void sg__html_esc(FILE *m, const char *s);
/* With --standard (report_access.c): the lead sentences of the objective 5
 * section, and the rule's sentence (ending its paragraph). Each returns 0 and
 * writes nothing without standards. */
int sg__report_standards(FILE *m, const struct sg_run *run);
int sg__report_standards_rule(FILE *m, const struct sg_run *run);
/* Numbers for the report's text ("–" for NaN): 1234567 -> "1,234,567"; dec
 * decimals; a fraction as "12.5 %"; metres as "850 m" or "1.2 km". */
void sg__fmt_int(double v, char *buf, size_t size);
void sg__fmt_num(double v, int dec, char *buf, size_t size);
void sg__fmt_pct(double v, int dec, char *buf, size_t size);
void sg__fmt_dist(double m, char *buf, size_t size);
/* A district's name (--name), else its id. */
const char *sg__district_label(const sg_city *c, size_t i);
/* The objective 5 and 10 sections, each with its map (report_gaps.c). */
void sg__report_objective5(sg_ctx *ctx, FILE *m, const struct sg_run *run);
void sg__report_objective10(sg_ctx *ctx, FILE *m, const struct sg_run *run);
/* A map: the districts coloured, with a legend of nleg classes. */
typedef struct sg_map_in {
    const char *title;
    const unsigned *fill;      /* n colours */
    const char *const *tip;    /* n tooltip texts */
    size_t nleg;
    const char *const *leg_label;
    const unsigned *leg_rgb;
    const size_t *leg_count;
    const char *note;          /* the caption's last line (source and date), or NULL */
    int compact;               /* a small multiple: no legend (the section draws one), short caption */
} sg_map_in;
/* The map as an inline SVG <figure> of the working-CRS geometry (a grid of
 * cells above SG_REPORT_MAP_MAX districts). */
void sg__svg_map(sg_ctx *ctx, FILE *m, const struct sg_run *run, const sg_map_in *mi);
/* The districts' shapes, once per report, in a hidden SVG before the first
 * map: every map fills them (<use>), so a map costs a few bytes a district. */
void sg__svg_shapes(sg_ctx *ctx, FILE *m, const struct sg_run *run);
/* A graduated map of v (quantile classes, sg__graduated_breaks; light to
 * dark), districts without a value in the grey of no data; tooltips give
 * the value in unit. */
void sg__svg_graduated(sg_ctx *ctx, FILE *m, const struct sg_run *run, const char *title, const double *v,
                       sg_unit unit, const char *note);
/* The caption line of every map: "Source: NOTE. Map: seggap, DATE." */
char *sg__map_note(const struct sg_run *run);
/* The maps after objective 10 (report_figures.c): the migrant share (the
 * report's first map, drawn before the indices), the location quotient of
 * each group (with several groups) and the distance or time to the nearest
 * service of each type. */
void sg__report_share(sg_ctx *ctx, FILE *m, const struct sg_run *run);
void sg__report_groups(sg_ctx *ctx, FILE *m, const struct sg_run *run);
void sg__report_distances(sg_ctx *ctx, FILE *m, const struct sg_run *run);

/* ---- QGIS XML (qgis.c, qgis_layout.c) ---- */
/* An XML writer whose first failure is latched in err. */
typedef struct sg_xw {
    xmlTextWriterPtr w;
    int err;
} sg_xw;
void sg__x_start(sg_xw *x, const char *name);
void sg__x_end(sg_xw *x);
void sg__x_attr(sg_xw *x, const char *name, const char *value);
void sg__x_attrf(sg_xw *x, const char *name, const char *fmt, ...) SG_PRINTF(3, 4);
void sg__x_elem(sg_xw *x, const char *name, const char *text);
void sg__x_option(sg_xw *x, const char *name, const char *value);
/* A print layout of seggap.qgs: A3 landscape, the map of one layer (its
 * extent: the city's in the project CRS, x0 y0 x1 y1), title, legend, scale
 * bar, north arrow (true north), the source note and the print date. */
typedef struct sg_layout {
    const char *name, *title;            /* the layout's name in QGIS, its title on the page */
    const char *layer_id, *layer_name, *layer_file;
    sg_style_key style;                  /* the layer's style: its labels, wrapped in the legend */
} sg_layout;
void sg__x_layouts(sg_xw *x, const struct sg_run *run, const sg_layout *L, size_t n, const double ext[4]);
/* text broken at spaces into lines of at most width characters, joined by
 * the layout legend's wrap character '|' (caller frees; NULL: no memory). */
char *sg__legend_wrap(const char *text, size_t width);
/* <labeling>: the districts' names (field), shown at scales larger than
 * 1:max_scale. */
void sg__x_labeling(sg_xw *x, const char *field, double max_scale);
/* The scale (a 1-2-5 denominator) below which the median district is about
 * 2 cm across: labels show from there in. */
double sg__label_scale(sg_ctx *ctx, const struct sg_run *run);
/* Location quotient classes of every group, the report's and the project's
 * (fixed, so the maps of the groups compare): below 0.5, 0.5-0.8, 0.8-1.25,
 * 1.25-2, 2 and above; a diverging palette (PuOr). */
extern const double sg__lq_bounds[4];
extern const unsigned sg__lq_rgb[5];
extern const char *const sg__lq_label[5];
/* Objective 10 (report_housing.c): the lists of concentrated districts by
 * condition (flag), sorted by key ascending, a district in every list whose
 * condition it meets; the rows of the housing indicators; the concentrated
 * districts with an SG_F10_* flag. */
void sg__report_housing_lists(FILE *m, const struct sg_run *run, const double *key);
void sg__report_housing_indicators(FILE *m, const struct sg_run *run);
/* The sentences of "How the classes are made" on the lists and indicators. */
void sg__report_housing_method(FILE *m, const struct sg_run *run);
size_t sg__gap10_conc_flag_count(const struct sg_gaps *g, unsigned flag, size_t n);
/* The segregation profile section (--scales): an SVG line chart and a table (report_profile.c). */
void sg__report_profile(FILE *m, const struct sg_run *run);

#endif
