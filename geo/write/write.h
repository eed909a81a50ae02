/* geo/write/: every file a run writes, from the results alone (nothing here
 * computes an index or opens an input).
 *
 *   write.c         the write stage: every output in order (sg__write_run)
 *   geojson.c       RFC 7946 layers through OGR, lon/lat shared by all layers
 *   layers.c        districts/objective/services layers
 *   format.c        --format gpkg|shp: the objective layers in the working CRS
 *   qgis.c          .qml styles and seggap.qgs; qgis_layout.c: its print
 *                   layouts and labels
 *   report.c        report.html; report_gaps.c: its objective sections;
 *                   report_figures.c: the share, group and distance maps;
 *                   report_map.c: its SVG maps
 *   summary.c, summary_gaps.c   summary.json and the text summary
 *   pg.c            --out-pg: the layers as PostGIS tables
 * write_internal.h: what only files of write/ share (no other folder includes it).
 *
 * A new layer: its fields in layers.c (a sg_geojson_layer), its style in
 * qgis.c, its key in summary_gaps.c's outputs. */
#ifndef SEGGAP_GEO_WRITE_H
#define SEGGAP_GEO_WRITE_H

#include "base/outset.h"
#include "gaps/gaps.h"

/* Files written by a run (for summary.json -> outputs and the report). */
typedef struct sg_written {
    char **files;
    size_t nfiles;
    char *format; /* --format: "geojson", "gpkg", "shp" */
    const char *from, *to; /* a path under from (the staging folder) is recorded under to (--out) */
} sg_written;
/* Records a written file (path copied, its staging folder named as --out).
 * Returns -1 when out of memory. */
int sg__written_add(sg_written *w, const char *path);
void sg__written_free(sg_written *w);

/* ---- the run: everything the writers need (filled in by analyze/analyze.c) ---- */
struct sg_run {
    sg_reader rd;
    sg_city city;
    sg_basic_indices idx;
    sg_result res;
    size_t used, excluded;
    char *out_dir, *districts_path, *summary_path; /* final names, as --out spells them */
    char *dir, *districts_file, *summary_file;     /* where they are written: the staging folder */
    sg_outset *outset;    /* the --out folder (base/outset.h); its own unless check lends one */
    sg_outset own_outset;
    char *summary_json, *summary_text;
    char *compare_text;   /* with --baseline: the comparison table */
    struct sg_regions *regions; /* with --by (regions.c) */
    struct sg_profile *profile; /* with --scales (indices/profile.c) */
    struct sg_gaps *gaps;       /* objectives 5 and 10 (gaps.h) */
    struct sg_access *access;   /* with --service: service access (access.h) */
    const sg_options *opts;
    sg_written written;         /* what the write stage wrote (write.c) */
};


/* ---- GeoJSON layers (geojson.c) ---- */
/* Geometries in WGS 84 lon/lat (EPSG:4326, traditional GIS order), in flat
 * arrays shared by every GeoJSON layer: feature i has polygons [feat[i],
 * feat[i+1]), polygon p rings [poly[p], poly[p+1]), ring r coordinates
 * [ring[r], ring[r+1]) of x (lon) and y (lat). Points: x[i], y[i]. */
enum { SG_LL_NULL = 0, SG_LL_POLYGON, SG_LL_MULTI, SG_LL_POINT, SG_LL_FAILED /* not transformable */ };
typedef struct sg_lonlat {
    size_t n;
    unsigned char *type; /* SG_LL_* per feature */
    size_t *feat, *poly, *ring;
    double *x, *y;
} sg_lonlat;
/* The (Multi)Polygons geom[0..n) (NULL: no geometry), in the CRS of src_wkt,
 * transformed as OGR's GeoJSON driver would (same transformation, same
 * doubles), on up to `threads` threads. */
sg_status sg__lonlat_polygons(sg_ctx *ctx, const GEOSGeometry *const *geom, size_t n, const char *src_wkt,
                              int threads, const char *path, sg_lonlat *ll);
sg_status sg__lonlat_points(sg_ctx *ctx, const double *x, const double *y, size_t n, const char *src_wkt,
                            const char *path, sg_lonlat *ll);
void sg__lonlat_free(sg_lonlat *ll);

/* A field of an output layer: one value per feature. */
typedef enum sg_lf_kind { SG_LF_REAL, SG_LF_INT, SG_LF_TEXT, SG_LF_INT64 } sg_lf_kind;
typedef struct sg_lfield {
    const char *name;
    sg_lf_kind kind;
    const double *num;       /* REAL, INT (rounded); NaN = null */
    const char *const *text; /* TEXT; NULL entries = null */
    const long long *i64;    /* INT64 */
} sg_lfield;
/* The kind of a count field (total, group, units, counts of services,
 * residents within a radius): SG_LF_INT when every finite value is a whole
 * number below 2^53, else SG_LF_REAL (fractional counts, e.g. estimates). */
sg_lf_kind sg__count_kind(const double *v, size_t n);
typedef struct sg_geojson_layer {
    const char *name, *path;
    size_t n;
    const sg_lfield *f;
    size_t nf;
    const sg_lonlat *geom;   /* n geometries, or NULL */
    const char *const *ids;  /* for messages: ids (or NULL) ... */
    const long long *fids;   /* ... and source fids (NULL: the feature index) */
    const char *where_layer; /* layer named in messages, or NULL */
} sg_geojson_layer;
/* Writes the layers (RFC 7946, atomically), on up to 2 threads; each file
 * is the same whatever the threads. Diagnostics come in layer order. */
sg_status sg__geojson_write_layers(sg_ctx *ctx, const sg_geojson_layer *L, size_t nl, int threads);
/* The districts.geojson layer of a run (fields and status names allocated
 * into *fields and *status, caller frees both). */
sg_status sg__districts_layer(sg_ctx *ctx, const struct sg_run *run, const char *path, const sg_lonlat *ll,
                              sg_geojson_layer *L, sg_lfield **fields, const char ***status);


/* ---- the write stage (write.c) ---- */
/* Every output of a run, in order: the GeoJSON layers (districts and the
 * objective/services layers together, on up to 2 threads), --format copies,
 * styles, project, report, summary.json, and --out-pg tables. What was
 * written is recorded in run->written, which summary.json lists. Reports
 * its parts to the progress callback (write.layers, write.qgis,
 * write.summary, write.postgis). Every file goes into run->dir, the staging
 * folder that sg_analyze publishes whole (base/outset.h). */
sg_status sg__write_run(sg_ctx *ctx, struct sg_run *run);
/* districts.geojson and, with the objectives, objective5/10.geojson and
 * services.geojson: reprojected once, written on up to 2 threads
 * (layers.c; stages write.lonlat and write.layers). */
sg_status sg__write_geojson_all(sg_ctx *ctx, const struct sg_run *run, sg_written *out);
/* Objective layers' --format copies, QGIS styles and project, report.html. */
sg_status sg__write_objectives(sg_ctx *ctx, const struct sg_run *run, sg_written *out);
sg_status sg__write_summary(sg_ctx *ctx, struct sg_run *run, const char *path);
/* summary.json -> objective5, objective10, housing and outputs (json-c
 * objects; summary_gaps.c), and a few lines for the text summary. */
void sg__gaps_json(const struct sg_run *run, void *root, void *outputs);
void sg__gaps_text(const struct sg_run *run, void *file);

/* A colour as 0xRRGGBB. Palettes: Okabe-Ito for the classes, viridis for
 * graduated values; both colour-blind safe. */
unsigned sg__gap5_colour(sg_gap5 c);
unsigned sg__gap10_colour(sg_gap10 c);
extern const unsigned sg__viridis5[5];
/* Colour of graduated class k of nb: viridis from light yellow (lowest) to
 * dark purple (highest). */
unsigned sg__graduated_colour(int k, int nb);

/* ---- QGIS styles (write_qgis.c) ---- */
typedef enum sg_style_key {
    SG_STYLE_DISTRICTS = 0, /* districts.geojson: graduated on share */
    SG_STYLE_OBJ5,          /* objective5.geojson: categorised on gap5_class */
    SG_STYLE_OBJ5_SCORE,    /* objective5.geojson: graduated on gap5_score (project only) */
    SG_STYLE_OBJ10,         /* objective10.geojson: categorised on gap10_class */
    SG_STYLE_SERVICES,      /* services.geojson: categorised on type */
    SG_STYLE_LOCAL_SEG      /* districts.geojson: graduated on local_segregation (project only) */
} sg_style_key;
enum { SG_STYLE_POINT = 0, SG_STYLE_POLYGON = 2 };
#define SG_STYLE_MAX 16
typedef struct sg_style {
    sg_style_key key;
    int graduated;           /* else categorised */
    const char *attr, *title;
    int geom;                /* SG_STYLE_POINT or SG_STYLE_POLYGON */
    size_t n;                /* categories or ranges */
    char *values[SG_STYLE_MAX], *labels[SG_STYLE_MAX];
    unsigned rgb[SG_STYLE_MAX];
    double lo[SG_STYLE_MAX], hi[SG_STYLE_MAX];
} sg_style;
/* Builds the style of a layer from the run. Returns 0, or -1 when out of memory. */
int sg__style_build(const struct sg_run *run, sg_style_key key, sg_style *s);
void sg__style_free(sg_style *s);
/* The .qml text of a style (malloc'd), attr overriding the field name (for
 * Shapefiles) when not NULL; NULL on failure. */
char *sg__qml_text(const sg_style *s, const char *attr);
/* Writes a .qml atomically and records it in *out. */
sg_status sg__write_qml(sg_ctx *ctx, sg_written *out, const sg_style *s, const char *attr, const char *path);

/* Writers (layers.c, qgis.c, report.c): each records what it wrote in *out. */
sg_status sg__write_layers(sg_ctx *ctx, const struct sg_run *run, sg_written *out);
sg_status sg__write_qgis(sg_ctx *ctx, const struct sg_run *run, sg_written *out);
sg_status sg__write_report(sg_ctx *ctx, const struct sg_run *run, const char *path, sg_written *out);

/* Graduated classes of a numeric column for maps: up to 5 quantile breaks of
 * v over mask, rounded; *nb gets the number of classes (>= 1), lo/hi their
 * bounds. Returns 0, or -1 when there is no finite value. */
int sg__graduated_breaks(const double *v, const unsigned char *mask, size_t n, double lo[5], double hi[5],
                         int *nb);
/* Labels of the nb (<= 5) graduated classes [lo[k], hi[k]] of one legend,
 * all with the same number of decimals (the fewest that print every bound
 * exactly, at most 3): "3 – 17 %", "17 – 25 %"; shares (fractions) in %,
 * metres in km when a bound reaches 2 km. */
typedef enum sg_unit { SG_UNIT_NONE = 0, SG_UNIT_PCT, SG_UNIT_M, SG_UNIT_MIN } sg_unit;
#define SG_LABEL_MAX 64
void sg__range_labels(const double *lo, const double *hi, int nb, sg_unit unit, char (*labels)[SG_LABEL_MAX]);

/* ---- PostGIS and connection strings (pg.c) ---- */
/* --out-pg: the run's layers (summary.json -> outputs, *.geojson) written as
 * tables PREFIX+KEY of the data source conn, all replaced in one transaction. */
sg_status sg__write_pg(sg_ctx *ctx, struct sg_run *run, const char *conn, const char *prefix);


#endif
