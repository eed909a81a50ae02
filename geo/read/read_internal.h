/* geo/read/ internals: what files of read/ share with each other and no later
 * folder needs. Included only by files of read/ (read.h says it exists). */
#ifndef SEGGAP_GEO_READ_INTERNAL_H
#define SEGGAP_GEO_READ_INTERNAL_H

#include <pthread.h>

#include <gdal.h>
#include <ogr_api.h>

#include "read/read.h"

/* Largest count accepted (people in a district or at a population point, the
 * capacity of a service): far above any population (the world has 8e9
 * people), so a larger one is a wrong field, unit or format; it also keeps
 * every sum of counts and capacities far from overflowing (2^53 of them sum
 * to less than 1e28). Larger values are E_TOO_LARGE. */
#define SG_MAX_COUNT 1e12

/* ---- census tables (table.c) ---- */
/* Opens a table and reads its field names. */
sg_status sg__table_open(sg_ctx *ctx, const sg_table_spec *spec, const char *default_key,
                         sg_table *t);
/* Asks for a column to be kept when the rows are loaded; returns its slot. */
int sg__table_want(sg_table *t, int field_idx);
/* Reads every row: key and the requested columns. Duplicate or empty keys
 * are reported as errors. */
sg_status sg__table_load(sg_ctx *ctx, sg_table *t);
void sg__table_free(sg_table *t);
/* Joined field list "a, b, c" (caller frees). */
char *sg__join_names(char *const *names, int n);

/* ---- opening OGR sources (source.c) ---- */
#define SG_OPEN_HINT 1    /* say why an unreadable file is unusable (sg__file_hint) */
#define SG_OPEN_STAT_PG 2 /* "no such file" for PG: connection strings too */
/* The one GDALOpenEx of a vector input (read-only, GDAL's messages into ctx),
 * counted in the context (sg__ogr_opens); NULL when GDAL cannot open it, with
 * no diagnostic: the caller says why. */
void *sg__ogr_open(sg_ctx *ctx, const char *path);
/* sg__ogr_open of a vector source, or NULL with an E_OPEN error at w: "PREFIXno
 * such file" or "PREFIXcannot open as a vector data source: REASON". */
void *sg__open_vector(sg_ctx *ctx, const char *path, sg_where w, const char *prefix, int flags, sg_status *st);
/* After GDAL failed to open a /vsi... path (/vsizip/, /vsicurl/, ...) that
 * VSIStatL does not find: 1 with the reason in buf (GDAL's own message, its
 * warning, such as /vsicurl/'s HTTP failure, or which part of an archive path
 * is missing); else 0 (not such a path, or it exists). Call it before
 * sg__gdal_push clears GDAL's messages. */
int sg__vsi_why(sg_ctx *ctx, const char *path, char *buf, size_t size);
/* The layer `layer` (by name), else the one named `prefer` when there are
 * several, else the only one; NULL with E_NO_LAYER / E_CHOOSE_LAYER (naming
 * the option layer_opt) at w. */
void *sg__choose_layer(sg_ctx *ctx, void *ds, sg_where w, const char *layer, const char *prefer,
                       const char *layer_opt, sg_status *st);
/* "a, b, c": the layers of a GDALDatasetH, the fields of an OGRFeatureDefnH
 * (caller frees; NULL when out of memory). */
char *sg__layer_names(void *ds);
char *sg__layer_field_list(void *feature_defn);
/* "; did you mean 'X'?" for a field `name` that is not there, from the
 * fields of an OGRFeatureDefnH (may be NULL) and the names[0, n); with a
 * word on Shapefile's 10-character names when X is name cut to 10. "" when
 * none is close; NULL when out of memory (caller frees). */
/* --encoding (issue 15 item 9): text that is not valid UTF-8, read from a
 * source that does not declare its encoding, recoded from `encoding` to
 * UTF-8 (iconv); NULL when it cannot be (caller frees). */
char *sg__recode(const char *text, const char *encoding);
/* While a source is opened: GDAL's SHAPE_ENCODING (this thread only) set to
 * `encoding`, so that a Shapefile/.dbf without .cpg or code page is read in
 * it (names and values); sg__encoding_end restores it. Both do nothing for
 * a NULL encoding. */
char *sg__encoding_begin(const char *encoding);
void sg__encoding_end(const char *encoding, char *saved);
char *sg__field_suggestion(void *feature_defn, char *const *names, int n, const char *name);

/* ---- reprojection (crs.c) ---- */
/* GEOSGeom_transformXY_r callback through the PROJ operation op: stops at
 * the first point PROJ cannot transform, kept in bad_x, bad_y. */
typedef struct sg_xform { PJ *op; double bad_x, bad_y; } sg_xform;
int sg__xform_xy(double *x, double *y, void *userdata);

/* ---- geometry validation (validate.c) ---- */
/* Takes an OGR geometry (OGRGeometryH), checks it and returns a valid GEOS
 * (Multi)Polygon in *out. *repaired is set when MakeValid changed it (only
 * without strict). Errors are reported with w; returns SG_OK or an error. */
sg_status sg__geom_from_ogr(sg_ctx *ctx, void *ogr_geom, int strict, sg_where w,
                            GEOSGeometry **out, int *repaired, char **note);

/* ---- attribute cells without a copy (cell.c) ---- */
/* The kind, *num, and *text borrowed from the feature (valid until it
 * changes or is destroyed). */
sg_cell_kind sg__feature_field(void *ogr_feature, int idx, double *num, const char **text);
/* sg__cell_text of field idx (caller frees), without the intermediate copy. */
char *sg__feature_text(void *ogr_feature, int idx);
/* A source that GDAL's CSV driver opened (a GDALDatasetH; other drivers:
 * SG_OK at once) is refused when one of its files holds a NUL byte, which
 * that driver takes for the end of the line: E_NUL_BYTE naming the file,
 * layer, fid, field and line. w gives the layer for a message without one. */
sg_status sg__csv_nul_check(sg_ctx *ctx, void *ds, sg_where w);

/* ---- census tables, for the join (table.c) ---- */
/* Index of a field by name (exact, then case-insensitive), or -1. */
int sg__table_field(const sg_table *t, const char *name);
/* After the join: frees the rows (keys, cells, index) and closes the source;
 * nrows, the names and sha256 stay. */
void sg__table_drop_rows(sg_table *t);

/* ---- OGR -> GEOS (geometry.c; sg__ogr_to_work in read.h) ---- */
/* 1 when every coordinate of an OGR geometry is finite. */
int sg__ogr_coords_finite(void *ogr_geom);
/* 1 when an OGR point is empty only because one coordinate is NaN: GDAL
 * turns a point with a NaN coordinate (GeoJSON [NaN, 52]) into an empty one,
 * which would read as "no geometry"; *x, *y are its coordinates. (NaN, NaN)
 * is how WKB stores POINT EMPTY, so that point stays empty. */
int sg__ogr_point_nan(void *ogr_geom, double *x, double *y);
/* GEOS from WKB bytes, or NULL (the handle's message says why). */
GEOSGeometry *sg__wkb_to_geos(GEOSContextHandle_t h, const unsigned char *wkb, size_t size);

/* ---- CRS (crs.c) ---- */
/* The horizontal CRS of a bound or compound CRS (a new reference). */
PJ *sg__horizontal_crs(PJ_CONTEXT *pc, const PJ *crs);
/* The input CRS, from the layer's SRS (an OGRSpatialReferenceH, may be NULL) or from
 * --input-crs. */
sg_status sg__crs_input(sg_ctx *ctx, void *ogr_srs, const char *user_crs, sg_where w,
                        sg_crs_info *info);
void sg__crs_info_free(sg_crs_info *c);

/* ---- geometry validation in three steps (validate.c) ----
 * sg__geom_from_ogr in three steps, so that the GEOS work can run on another
 * thread: sg__geom_prepare (OGR; the reading thread) exports the WKB into buf
 * or records an error; sg__geom_build (GEOS; any thread, with its own handle h
 * whose last error message is geos_msg) makes the valid geometry or records
 * an error; sg__geom_emit (the context's thread, in feature order) reports it
 * exactly as sg__geom_from_ogr would and hands the results over. */
typedef struct sg_bytes { unsigned char *p; size_t len, cap; } sg_bytes;
typedef struct sg_geom_job {
    size_t wkb_off, wkb_size; /* the WKB in buf */
    int state;                /* 0: to build, 1: done */
    int scanned;              /* WKB structure checked: build scans the coordinates */
    sg_status st;             /* SG_OK, SG_ERR_GEOMETRY or SG_ERR_NOMEM */
    const char *code;         /* E_... of an SG_ERR_GEOMETRY */
    char *msg;                /* its message (NULL when out of memory) */
    GEOSGeometry *geom;
    int repaired;
    char *note;
} sg_geom_job;
void sg__geom_prepare(void *ogr_geom, size_t max_vertices, sg_geom_job *j, sg_bytes *buf); /* 0: no limit */
void sg__geom_build(GEOSContextHandle_t h, const char *geos_msg, int strict, sg_geom_job *j,
                    const unsigned char *buf);
sg_status sg__geom_emit(sg_ctx *ctx, sg_geom_job *j, sg_where w, GEOSGeometry **out, int *repaired, char **note);
/* Frees what a job holds (when it will not be emitted). */
void sg__geom_job_clear(GEOSContextHandle_t h, sg_geom_job *j);

/* ---- the district source's files and hashes (input_info.c) ---- */
/* SHA-256 of the input files, computed on a second thread while the
 * features are read: the files behind the district source (regular files
 * only, GDALGetFileList order) and each table. */
typedef struct sg_hash_job {
    char **list;          /* files of the district source (CSL) */
    int nlist;
    const char **tables;  /* table paths */
    size_t ntables;
    char (*hex)[65];      /* nlist + ntables results */
    int *ok;
    sg_thread th;         /* th.started 1: runs; 0: run synchronously at the join */
} sg_hash_job;
sg_status sg__hash_start(sg_ctx *ctx, GDALDatasetH ds, const sg_options *o, sg_hash_job *j);
/* Waits for the hashes; fills in->files / in->sha256. */
sg_status sg__hash_finish(sg_ctx *ctx, sg_hash_job *j, sg_input_info *in);
void sg__hash_free(sg_hash_job *j);
void sg__input_info_free(sg_input_info *in);

/* ---- the districts and the join (districts.c, join.c) ---- */
/* Room for one more district (want = 0), or for `want` districts. */
int sg__city_grow(sg_city *c, size_t want);

/* The reading loop's state (sg__read_city). */
typedef struct sg_dloop {
    sg_ctx *ctx;
    const sg_options *o;
    sg_reader *rd;
    sg_city *city;
    sg_input_info *din;
    int id_idx;
    sg_keyindex seen;       /* ids so far */
    size_t *rows;           /* per table: the row of the current district */
    int *has;               /* per table: it has one */
    unsigned char **hasrow; /* per table and district */
    size_t hcap;
    sg_role grole;
    size_t nshares, shares_above; /* --group-share: shares read, and above the scale */
    double share_max;             /* largest share read */
} sg_dloop;

/* Finds the source of each value field: the district layer first, then the
 * tables in the order given. */
sg_status sg__resolve_field(sg_ctx *ctx, sg_reader *rd, OGRFeatureDefnH defn, size_t role,
                            const char *option, const char *name);
/* Only the fields read are converted (OGR_L_SetIgnoredFields): the id and the
 * value fields found in the district layer. */
void sg__ignore_other_fields(sg_ctx *ctx, const sg_reader *rd, OGRLayerH lyr, int id_idx);
/* One district from feature f, whose geometry was prepared and built into
 * job: id, geometry, join, values, each checked, in this order (the order of
 * the diagnostics). The caller destroys f. */
sg_status sg__one_district(sg_dloop *L, OGRFeatureH f, sg_geom_job *job);
/* After the join: report rows without a district, districts without a row,
 * and the likely cause when keys match once leading zeros are ignored; a
 * table that matches nothing is E_JOIN_NONE (lyr, the districts, rewound to
 * guess the --table-join field its keys belong to). */
void sg__report_joins(sg_ctx *ctx, sg_reader *rd, const sg_city *city, unsigned char **hasrow, void *lyr);
void sg__join_info_free(sg_join_info *j);
/* --table-join: each table's join_idx, the district field its keys match
 * (-1: the id); a field that is not there is E_MISSING_FIELD (join.c). */
sg_status sg__resolve_joins(sg_ctx *ctx, sg_reader *rd, void *feature_defn, sg_where w);
/* 1 for the roles that are counts of people or units (total, group, --groups, social units);
 * not the --housing-indicator roles (rates). */
int sg__role_is_count(const sg_reader *rd, size_t role);
/* E_COARSE_COUNT (SG_ERR_USAGE) when a count role comes from a --table-join table (with
 * --apportion population: when that count is the --total). */
sg_status sg__coarse_count(sg_ctx *ctx, const sg_reader *rd, size_t role);
/* 1 when the role's values are a coarse table's counts split by --apportion population. */
int sg__role_apportioned(const sg_reader *rd, size_t role);
/* --apportion population, before the reading loop: per row of each apportioned table the sum of
 * its districts' totals (a pass over lyr reading the join field, the id and the total);
 * E_APPORTION_ZERO for a row with a count to split whose districts' totals sum to 0. */
sg_status sg__apportion_sums(sg_ctx *ctx, const sg_options *o, sg_reader *rd, void *lyr, int id_idx);
/* The share of row `row` of table t that goes to a district whose total is child_total:
 * child_total / the row's sum; 0 when both are 0; NaN when the sum is 0 (E_APPORTION_ZERO). */
double sg__apportion_weight(const sg_reader *rd, int t, size_t row, double child_total);
/* The trimmed text of a district's join field, NULL when empty (caller frees). */
char *sg__join_key(void *feature, int idx);
/* Keeps the first SG_FIRST_IDS distinct district-side keys of a join. */
void sg__join_note_key(sg_join_info *j, const char *key);
/* E_JOIN_NONE: no row of the table matches a district (first keys of both sides, a did-you-mean). */
void sg__join_none(sg_ctx *ctx, sg_table *tb, const sg_join_info *j, const sg_city *city, void *lyr);

/* ---- plausibility guards (plausible.c), after the districts are read ----
 * Shares on the wrong scale (E_SHARE_SCALE; the hint of E_SHARE_RANGE),
 * counts that are not whole numbers (W_NOT_INTEGER) or that are thousands
 * separators read as decimal points (E_THOUSANDS_SEPARATOR), and too few
 * districts with data (--min-joined: E_FEW_WITH_DATA, with the leading-zero
 * hint). Errors are reported (sg__report); the caller fails the stage. */
void sg__plausible(sg_ctx *ctx, const sg_dloop *L);

#endif
