/* seggap private declarations: shared by geo/ only, never installed. */
#ifndef SEGGAP_INTERNAL_H
#define SEGGAP_INTERNAL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <geos_c.h>
#include <proj.h>

#include "seggap.h"

#define SG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- context (context.c) ---- */
struct sg_ctx {
    GEOSContextHandle_t geos;
    PJ_CONTEXT *proj;
    sg_status last_status;
    char *last_error;
    sg_diag *diags;
    size_t ndiags, capdiags;
    size_t nerrors, nwarnings;
    char geos_msg[512];   /* last message from GEOS */
    char proj_msg[512];   /* last message from PROJ */
    char gdal_msg[1024];  /* last error message from GDAL */
    volatile sig_atomic_t cancel; /* set by sg_ctx_cancel (signal handlers too) */
    struct sg_stage { char name[48]; double seconds; } stages[48]; /* sg_ctx_stage */
    size_t nstages;
};

/* Stage timing (sg_ctx_stage): t0 = sg__now(); ...; sg__stage_add(ctx, "read", sg__now() - t0).
 * Monotonic wall clock in seconds. */
double sg__now(void);
/* Appends src's diagnostics to dst's, in order, and its last error if any
 * (a worker thread's context into its caller's). */
void sg__ctx_absorb(sg_ctx *dst, const sg_ctx *src);
/* Threads to use: --threads when > 0, else the online cores (at most 256). */
int sg__thread_count(int threads);
void sg__stage_add(sg_ctx *ctx, const char *name, double seconds);

/* Cancellation: long loops and stage boundaries call sg__check_cancel, which
 * records "interrupted" and returns SG_ERR_CANCELLED once sg_ctx_cancel was
 * called, else SG_OK. */
static inline int sg__cancelled(const sg_ctx *ctx) { return ctx && ctx->cancel; }
sg_status sg__check_cancel(sg_ctx *ctx);

/* Where a diagnostic applies. Any member may be NULL / -1. */
typedef struct sg_where {
    const char *file;
    const char *layer;
    long long fid;
    const char *id;
    const char *field;
} sg_where;

#define SG_WHERE_NONE ((sg_where){NULL, NULL, -1, NULL, NULL})

/* Records an error (sets last error and appends a diagnostic). Returns st. */
sg_status sg__error(sg_ctx *ctx, sg_status st, const char *code, sg_where w,
                    const char *fmt, ...) SG_PRINTF(5, 6);
/* Records a diagnostic of an error that does not stop the stage yet: the
 * stage reports all of them, then fails with sg__fail_if_errors(). */
void sg__report(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...)
    SG_PRINTF(4, 5);
/* Records a warning. */
void sg__warn(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...)
    SG_PRINTF(4, 5);
/* Number of errors recorded so far. */
size_t sg__nerrors(const sg_ctx *ctx);
/* Forgets the most recent diagnostic (for work whose warnings would repeat). */
void sg__drop_last_diag(sg_ctx *ctx);
/* Sets the last error to a summary when errors were reported since `before`. */
sg_status sg__fail_if_errors(sg_ctx *ctx, size_t before, sg_status st, const char *stage);
sg_status sg__nomem(sg_ctx *ctx);

/* GDAL calls run between these two so that GDAL's messages reach ctx. */
void sg__gdal_push(sg_ctx *ctx);
void sg__gdal_pop(void);

/* ---- small utilities (util.c) ---- */
char *sg__strdup(const char *s);
char *sg__strndup(const char *s, size_t n);
char *sg__asprintf(const char *fmt, ...) SG_PRINTF(1, 2);
/* Copy of s without leading/trailing ASCII white space. */
char *sg__trim_dup(const char *s);
void *sg__reallocarray(void *p, size_t n, size_t size);
/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF); else 0 and *bad (may be NULL) = offset of the first bad byte. */
int sg__utf8_valid(const char *s, size_t *bad);
/* Why an input file that GDAL cannot open is unusable, when its first bytes
 * tell (0 bytes, UTF-16 text), else NULL. A static string. */
const char *sg__file_hint(const char *path);

/* Compensated sum (Neumaier): the rounding error of every addition is kept
 * in c. The error comes from Knuth's branch-free TwoSum, the same exact
 * value as Neumaier's |s| >= |v| test picks (so the same bits), without a
 * branch that mispredicts on sums of a few terms of either size. */
typedef struct sg_ksum { double s, c; } sg_ksum;
static inline void sg__ksum_add(sg_ksum *k, double v) {
    double t = k->s + v, z = t - k->s;
    k->c += (k->s - (t - z)) + (v - z);
    k->s = t;
}
static inline double sg__ksum_get(const sg_ksum *k) { return k->s + k->c; }

/* ---- strict number parsing (parse_number.c) ---- */
typedef enum sg_numparse {
    SG_NUM_OK = 0,
    SG_NUM_MISSING,   /* empty, NA, N/A, NULL, "." or "-": a missing value */
    SG_NUM_INVALID,   /* not a number: "1 234", "12,5", "abc" */
    SG_NUM_NONFINITE  /* NaN or Inf */
} sg_numparse;
/* Parses text as a number: optional surrounding white space, C locale,
 * decimal point only, no thousands separators. *why gets a hint on failure. */
sg_numparse sg__parse_number(const char *text, double *out, const char **why);

/* ---- string -> index hash map (strmap.c) ---- */
typedef struct sg_strmap sg_strmap;
sg_strmap *sg__strmap_create(size_t expected);
void sg__strmap_destroy(sg_strmap *m);
/* Inserts key -> value. Returns 1 if inserted, 0 if the key was present (then
 * *existing gets the stored value), -1 when out of memory. Key is copied. */
int sg__strmap_put(sg_strmap *m, const char *key, size_t value, size_t *existing);
/* Returns 1 and sets *value when found. */
int sg__strmap_get(const sg_strmap *m, const char *key, size_t *value);
/* Key index (strmap.c): the same contract as sg_strmap, but while keys come
 * in strictly increasing strcmp order (sorted ids, the usual case) it is a
 * sorted list of the caller's key pointers (kept alive by the caller) with
 * no hashing; the first key out of order turns it into a sg_strmap.
 * Zero-initialise; `expected` may be set first as a size hint. */
typedef struct sg_keyindex {
    sg_strmap *map;
    const char **keys;
    size_t *vals;
    size_t n, cap, expected, hint;
} sg_keyindex;
int sg__keyindex_put(sg_keyindex *ix, const char *key, size_t value, size_t *existing);
int sg__keyindex_get(sg_keyindex *ix, const char *key, size_t *value);
void sg__keyindex_free(sg_keyindex *ix);
/* String arena (strmap.c): copies live until sg__arena_free; {NULL} is empty. */
typedef struct sg_arena { struct sg_arena_block *head; } sg_arena;
char *sg__arena_strndup(sg_arena *a, const char *s, size_t n); /* NULL when out of memory */
char *sg__arena_strdup(sg_arena *a, const char *s);            /* NULL for NULL s too */
void sg__arena_free(sg_arena *a);

/* ---- random numbers (rng.c) ---- */
typedef struct sg_rng { uint64_t s[4]; } sg_rng;
/* Seeds stream `stream` of `seed`: streams are independent of each other. */
void sg__rng_seed(sg_rng *r, uint64_t seed, uint64_t stream);
uint64_t sg__rng_next(sg_rng *r);
/* The same step inlined (xoshiro256**), for hot loops; sg__rng_next calls it. */
static inline uint64_t sg__rng_next_inline(sg_rng *r) {
    uint64_t *q = r->s;
    uint64_t result = ((q[1] * 5) << 7 | (q[1] * 5) >> 57) * 9, t = q[1] << 17;
    q[2] ^= q[0];
    q[3] ^= q[1];
    q[1] ^= q[2];
    q[0] ^= q[3];
    q[2] ^= t;
    q[3] = q[3] << 45 | q[3] >> 19;
    return result;
}
double sg__rng_uniform(sg_rng *r);          /* [0, 1) */
uint64_t sg__rng_below(sg_rng *r, uint64_t n); /* [0, n) */
/* Marked items among `draws` drawn without replacement from `total` items of
 * which `marked` are marked (all non-negative integers as doubles). */
double sg__rng_hypergeometric(sg_rng *r, double total, double marked, double draws);

/* The person-level permutation null in O(n) table look-ups (psampler.c):
 * create from the totals and group counts (rounded to whole persons); each
 * draw redistributes the group at random among the residents keeping every
 * total. Counts come in draw order (districts by total: order[k] is the
 * caller's index of the k-th) when in_order, else in the caller's order.
 * create returns SG_ERR_DATA, without a diagnostic, when the counts do not
 * suit it (then use sg__rng_hypergeometric district by district). The
 * sampler is read-only after create: threads share it, each with its own
 * scratch (zero-initialised). draw returns -1 when out of memory. */
typedef struct sg_psampler sg_psampler;
typedef struct sg_psampler_scratch {
    uint32_t *y;
    uint64_t *gsum, *pos;
    size_t ncap, gcap, poscap;
} sg_psampler_scratch;
sg_status sg__psampler_create(sg_ctx *ctx, const double *t, const double *x, size_t n, sg_psampler **out);
size_t sg__psampler_n(const sg_psampler *s);
const uint32_t *sg__psampler_order(const sg_psampler *s);
int sg__psampler_draw(const sg_psampler *s, sg_rng *rng, double *out, int in_order, sg_psampler_scratch *sc);
/* The same draw (the same rng use, the same counts) reduced on the fly to
 * the replicate's dissimilarity D and isolation xPx (xPy = 1 - xPx), without
 * writing the counts out: two-group replicates that need nothing else.
 * Returns 0, -1 when out of memory, 1 when the indices are undefined (a
 * district of total 0, or nobody / everybody in the group). */
int sg__psampler_draw_basic(const sg_psampler *s, sg_rng *rng, sg_psampler_scratch *sc, double *dissimilarity,
                            double *isolation);
void sg__psampler_scratch_free(sg_psampler_scratch *sc);
void sg__psampler_free(sg_psampler *s);

/* ---- SHA-256 of a file (sha256.c) ---- */
/* Writes 64 hex digits + NUL into hex. Returns 0 on success, -1 on error. */
int sg__sha256_file(const char *path, char hex[65]);


/* ---- options (options.c) ---- */
typedef struct sg_table_spec {
    char *path;
    char *key;   /* key field in the table; default: the --id field name */
    char *layer; /* layer in the table source; default: the only/first layer */
} sg_table_spec;

/* A comma-separated list option, e.g. --groups A,B,C. */
typedef struct sg_strlist {
    char **items;
    size_t n;
} sg_strlist;

struct sg_options {
    char *districts, *layer;
    char *sql;            /* --sql: districts from a query on the source instead of a layer */
    char *out_pg, *out_pg_prefix; /* --out-pg CONN: layers also written as PostGIS tables */
    char *id_field, *total_field, *group_field, *share_field;
    char *share_scale_text;
    double share_scale; /* 0 unset, 1 fraction, 100 percent */
    sg_table_spec *tables;
    size_t ntables;
    char *input_crs, *work_crs;
    char *out_dir;
    char *name_field;     /* --name: a label written to the layers */
    sg_strlist groups;    /* --groups: several group fields (multigroup) */
    int no_remainder;     /* --no-remainder: no "rest" group in the multigroup frame */
    int permutations;     /* --permutations N: randomisation test of every global index */
    int bootstrap;        /* --bootstrap N: percentile confidence intervals */
    double seed;          /* --seed: makes inference reproducible (default 12345) */
    int threads;          /* --threads: 0 = all cores */
    char *baseline;       /* --baseline DIR: compare this run with an earlier one */
    char *by_field;       /* --by FIELD: every index within each region too */
    sg_strlist indices;   /* --indices: families to compute (default all) */
    char *weights;        /* --weights queen|rook|knn:K|distance:M for local statistics */
    int local_permutations; /* --local-permutations N for LISA p-values (default 999) */
    double alpha;         /* --alpha: significance level of the local classes (default 0.05) */
    char *centre_text;    /* --centre X,Y in the input CRS (parsed into centre_x/y) */
    int has_centre;
    double centre_x, centre_y;
    char *centre_district; /* --centre-district ID */
    char *decay_bandwidth_text; /* --decay-bandwidth M */
    double decay_bandwidth;     /* metres; 1000 when not given */
    char *distance_kernel_text; /* --distance-kernel exp|exp-exact|pysal */
    int distance_kernel_pysal;
    int distance_kernel_exact;  /* exp-exact: exp(-d/h) over every pair, no cut-off (O(N²)) */
    /* objectives 5 and 10 (gaps.h) */
    char *housing, *housing_layer, *housing_units; /* --housing SRC [--housing-layer] --housing-units F */
    char *social_housing_field, *overcrowding_field; /* district fields (layer or --table) */
    char *overcrowding_scale_text; /* --overcrowding-scale fraction|percent|ratio */
    int overcrowding_kind;         /* SG_OVERCROWD_* */
    double lq_threshold;           /* --lq-threshold: concentrated when lq >= this (default 1.5) */
    char *format;                  /* --format gpkg|shp: the layers also in that format */
    sg_strlist layers_list;        /* --layers: the GeoJSON layers to write (default all) ... */
    unsigned layers;               /* ... as SG_LAYER_* bits (check()) */
    /* service access (access.c, access.h): --service, --service-layer, --service-where, --capacity
     * and --radius are repeatable and positional, kept in command-line order as "NAME=VALUE" */
    sg_strlist access_args;
    char *catchment_text, *decay_text, *access_bandwidth_text, *network_max_snap_text;
    int service_point, geodesic;
    char *population_points, *population_layer, *population_field;
    char *network, *network_layer, *network_speed, *network_oneway;
    struct sg_access_opts *access; /* checked access options (check()), NULL without --service */
    int strict, quiet, json, timings;
};

/* The map layers of a run (--layers). */
enum {
    SG_LAYER_DISTRICTS = 1u,   /* districts.geojson */
    SG_LAYER_OBJECTIVE5 = 2u,  /* objective5.geojson */
    SG_LAYER_OBJECTIVE10 = 4u, /* objective10.geojson */
    SG_LAYER_SERVICES = 8u,    /* services.geojson (with --service) */
    SG_LAYER_ALL = 15u
};

/* 1 when --layers asks for layer `bit` (no options: every layer). */
static inline int sg__layer_on(const sg_options *o, unsigned bit) { return !o || (o->layers & bit) != 0; }

/* One entry of the option table (options.c). New options are one line there
 * plus a member of struct sg_options. */
typedef enum sg_opt_kind { SG_OPT_STR, SG_OPT_FLAG, SG_OPT_DOUBLE, SG_OPT_INT, SG_OPT_LIST } sg_opt_kind;
/* Kind of an option by its name ("--total"); 0 when there is no such option. */
int sg__option_kind(const char *name, sg_opt_kind *kind);
/* sg_options_parse where argv[0, nbase) come from a config file (config.c)
 * and the rest from the command line: a command-line option replaces the
 * config's value, and a --table there replaces the config's tables. */
sg_status sg__options_parse_layered(sg_ctx *ctx, int argc, char *const *argv, int nbase, sg_options **out,
                                    int *help);

/* ---- attribute cells (cell.c) ---- */
typedef enum sg_cell_kind { SG_CELL_NULL = 0, SG_CELL_NUM, SG_CELL_TEXT } sg_cell_kind;
typedef struct sg_cell {
    sg_cell_kind kind;
    double num;
    char *text; /* owned, SG_CELL_TEXT only */
} sg_cell;

/* Reads field idx of an OGR feature: numbers stay numbers, text stays text,
 * unset/null fields are SG_CELL_NULL. Returns -1 when out of memory. */
int sg__cell_from_feature(void *ogr_feature, int idx, sg_cell *c);
/* The same without a copy: the kind, *num, and *text borrowed from the
 * feature (valid until it changes or is destroyed). */
sg_cell_kind sg__feature_field(void *ogr_feature, int idx, double *num, const char **text);
/* sg__cell_text of field idx (caller frees), without the intermediate copy. */
char *sg__feature_text(void *ogr_feature, int idx);
void sg__cell_clear(sg_cell *c);
/* Converts a cell to a number. Missing values give SG_NUM_MISSING. */
sg_numparse sg__cell_number(const sg_cell *c, double *out, const char **why);
/* Text of a cell (for ids and keys), trimmed; NULL for a null cell. Caller frees. */
char *sg__cell_text(const sg_cell *c);

/* ---- census tables (read_table.c) ---- */
typedef struct sg_table {
    const sg_table_spec *spec;
    char *key;           /* key field actually used */
    char *layer_name;
    char **fields;       /* every field name of the table */
    int nfields;
    int key_idx;
    int *cols;           /* requested field indices, ncols of them */
    int ncols;
    size_t nrows;
    char **keys;         /* trimmed key per row */
    long long *fids;
    sg_cell *cells;      /* nrows x ncols */
    unsigned char *matched;
    sg_keyindex index;   /* key -> row (keys borrowed from `keys`) */
    sg_arena text;       /* keys and cell texts */
    void *ds, *lyr;      /* GDALDatasetH, OGRLayerH while open */
    char sha256[65];
    char driver[32];
} sg_table;

/* Opens a table and reads its field names. */
sg_status sg__table_open(sg_ctx *ctx, const sg_table_spec *spec, const char *default_key,
                         sg_table *t);
/* Index of a field by name (exact, then case-insensitive), or -1. */
int sg__table_field(const sg_table *t, const char *name);
/* Asks for a column to be kept when the rows are loaded; returns its slot. */
int sg__table_want(sg_table *t, int field_idx);
/* Reads every row: key and the requested columns. Duplicate or empty keys
 * are reported as errors. */
sg_status sg__table_load(sg_ctx *ctx, sg_table *t);
/* After the join: frees the rows (keys, cells, index) and closes the source;
 * nrows, the names and sha256 stay. */
void sg__table_drop_rows(sg_table *t);
void sg__table_free(sg_table *t);
/* Joined field list "a, b, c" (caller frees). */
char *sg__join_names(char *const *names, int n);

/* ---- opening OGR sources (read_common.c) ---- */
#define SG_OPEN_HINT 1    /* say why an unreadable file is unusable (sg__file_hint) */
#define SG_OPEN_STAT_PG 2 /* "no such file" for PG: connection strings too */
/* GDALOpenEx of a vector source, or NULL with an E_OPEN error at w: "PREFIXno
 * such file" or "PREFIXcannot open as a vector data source: REASON". */
void *sg__open_vector(sg_ctx *ctx, const char *path, sg_where w, const char *prefix, int flags, sg_status *st);
/* The layer `layer` (by name), else the one named `prefer` when there are
 * several, else the only one; NULL with E_NO_LAYER / E_CHOOSE_LAYER (naming
 * the option layer_opt) at w. */
void *sg__choose_layer(sg_ctx *ctx, void *ds, sg_where w, const char *layer, const char *prefer,
                       const char *layer_opt, sg_status *st);
/* "a, b, c": the layers of a GDALDatasetH, the fields of an OGRFeatureDefnH
 * (caller frees; NULL when out of memory). */
char *sg__layer_names(void *ds);
char *sg__layer_field_list(void *feature_defn);

/* ---- districts (read_districts.c, validate.c) ---- */
typedef enum sg_dstatus {
    SG_DS_OK = 0,
    SG_DS_NO_DATA,
    SG_DS_ZERO_TOTAL,
    SG_DS_REPAIRED
} sg_dstatus;
const char *sg__dstatus_name(sg_dstatus s);

typedef struct sg_city {
    size_t n, cap;
    char **id;
    long long *fid;
    double *total, *group;   /* NaN when missing */
    unsigned char *status;   /* sg_dstatus */
    char **note;             /* why excluded or repaired, or NULL */
    GEOSGeometry **geom_src; /* valid geometry in the input CRS */
    GEOSGeometry **geom;     /* the same in the working CRS (the same pointer when not reprojected) */
    char **name;             /* --name label, or NULL */
    char **region;           /* --by value, or NULL */
    size_t ngroups;          /* --groups fields */
    double *groups;          /* n x ngroups counts, NaN when missing */
    double *social_units;    /* --social-housing-field, NaN when missing or not given */
    double *overcrowding;    /* --overcrowding-field as read, NaN when missing or not given */
} sg_city;

void sg__city_free(sg_ctx *ctx, sg_city *c);

/* What the reader learned about its inputs, for the summary. */
typedef struct sg_input_info {
    char *path, *layer, *driver;
    long long features;      /* features read */
    char **files;            /* files of the source (GDALGetFileList) */
    char (*sha256)[65];
    int nfiles;
} sg_input_info;
void sg__input_info_free(sg_input_info *in);

typedef struct sg_join_info {
    size_t rows, matched_rows;
    size_t unmatched_rows;       /* rows without a district */
    char **unmatched_ids;        /* first few */
    size_t n_unmatched_ids;
    size_t districts_without_row;
    char **missing_ids;          /* first few */
    size_t n_missing_ids;
} sg_join_info;

/* ---- CRS (crs.c) ---- */
typedef struct sg_crs_info {
    PJ *src;               /* input CRS */
    PJ *work;              /* working CRS */
    char *src_name, *src_id;   /* e.g. "WGS 84", "EPSG:4326" */
    char *work_name, *work_id;
    char *work_how;        /* how the working CRS was chosen */
    char *src_wkt;         /* WKT of the input CRS, for the output layer */
    int reprojected;       /* 0 when work == src */
} sg_crs_info;
void sg__crs_info_free(sg_crs_info *c);
/* Input CRS from the layer's SRS (an OGRSpatialReferenceH, may be NULL) or
 * from --input-crs. */
sg_status sg__crs_input(sg_ctx *ctx, void *ogr_srs, const char *user_crs, sg_where w,
                        sg_crs_info *info);
/* Chooses the working CRS (user's, the source's when projected in metres, or
 * the UTM zone / a local equal-area projection of the extent's centre) and
 * transforms every geometry of the city into it. */
/* GEOSGeom_transformXY_r callback through the PROJ operation op: stops at
 * the first point PROJ cannot transform, kept in bad_x, bad_y (crs.c). */
typedef struct sg_xform {
    PJ *op;
    double bad_x, bad_y;
} sg_xform;
int sg__xform_xy(double *x, double *y, void *userdata);
sg_status sg__crs_project(sg_ctx *ctx, const char *user_work, sg_city *city, sg_crs_info *info);

/* ---- geometry validation (validate.c) ---- */
/* Takes an OGR geometry (OGRGeometryH), checks it and returns a valid GEOS
 * (Multi)Polygon in *out. *repaired is set when MakeValid changed it (only
 * without strict). Errors are reported with w; returns SG_OK or an error. */
sg_status sg__geom_from_ogr(sg_ctx *ctx, void *ogr_geom, int strict, sg_where w,
                            GEOSGeometry **out, int *repaired, char **note);
/* The same in three steps, so that the GEOS work can run on another thread:
 * sg__geom_prepare (OGR; the reading thread) exports the WKB into buf or
 * records an error; sg__geom_build (GEOS; any thread, with its own handle h
 * whose last error message is geos_msg) makes the valid geometry or records
 * an error; sg__geom_emit (the context's thread, in feature order) reports
 * it exactly as sg__geom_from_ogr would and hands the results over. */
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
void sg__geom_prepare(void *ogr_geom, sg_geom_job *j, sg_bytes *buf);
void sg__geom_build(GEOSContextHandle_t h, const char *geos_msg, int strict, sg_geom_job *j,
                    const unsigned char *buf);
sg_status sg__geom_emit(sg_ctx *ctx, sg_geom_job *j, sg_where w, GEOSGeometry **out, int *repaired, char **note);
/* Frees what a job holds (when it will not be emitted). */
void sg__geom_job_clear(GEOSContextHandle_t h, sg_geom_job *j);

/* ---- reading the districts with their joined tables (read_districts.c) ---- */
/* Fields read per district. Roles from SG_ROLE_COUNT on are the --groups
 * fields, in order. SG_ROLE_NAME and SG_ROLE_BY are text; the others numbers. */
typedef enum sg_role {
    SG_ROLE_TOTAL = 0, SG_ROLE_GROUP, SG_ROLE_SHARE, SG_ROLE_NAME, SG_ROLE_BY,
    SG_ROLE_SOCIAL, SG_ROLE_OVERCROWD, /* optional numbers: missing is not no_data */
    SG_ROLE_COUNT
} sg_role;
typedef struct sg_field_src {
    const char *option; /* "--total", ... */
    char *name;         /* field name as found in its source */
    int table;          /* -1: the district layer; else index into tables */
    int idx;            /* field index in the layer, or column slot in the table */
} sg_field_src;

typedef struct sg_reader {
    sg_input_info districts;
    sg_table *tables;
    size_t ntables;
    sg_join_info *joins; /* one per table */
    sg_field_src *fields; /* SG_ROLE_COUNT + ngroups; name NULL when unused */
    size_t ngroups;
    char *id_field;
    sg_crs_info crs;
} sg_reader;

/* Reads and validates the districts and joins the tables. On error the
 * diagnostics name every bad feature; the city holds what was read. */
sg_status sg__read_city(sg_ctx *ctx, const sg_options *o, sg_reader *rd, sg_city *city);
void sg__reader_free(sg_reader *rd);

/* ---- results: named global values and per-district columns (result.c) ---- */
typedef struct sg_global {
    char *name;        /* key in summary.json -> indices */
    char *description; /* one line, plain language */
    char *detail;      /* convention used (centre, kernel, ...), or NULL */
    double value;
    double p_value, null_mean, null_sd, ci_low, ci_high; /* NaN when not computed */
} sg_global;

typedef struct sg_column {
    char *name;    /* field name in districts.geojson */
    double *num;   /* city->n values, NaN = null; NULL for a text column */
    char **text;   /* city->n strings (owned), NULL = null; NULL for a number column */
} sg_column;

typedef struct sg_result {
    sg_global *g;
    size_t ng, capg;
    sg_column *cols;
    size_t ncols, capcols;
    size_t n; /* rows per column: districts read */
} sg_result;

/* Adds (or replaces) a global value; returns it for p-values etc., or NULL
 * when out of memory. Strings are copied. */
sg_global *sg__result_set(sg_result *r, const char *name, double value, const char *description);
const sg_global *sg__result_get(const sg_result *r, const char *name);
/* A new number column of r->n NaNs, or the existing one with that name. */
double *sg__result_column(sg_result *r, const char *name);
/* A new text column of r->n NULLs (caller stores malloc'd strings). */
char **sg__result_text_column(sg_result *r, const char *name);
/* Moves from's columns into r (same rows; a column r already has is
 * overwritten). Returns 0, or -1 when out of memory or the kinds differ. */
int sg__result_move_columns(sg_result *r, sg_result *from);
void sg__result_free(sg_result *r);

/* ---- what the index families compute on (analyze.c) ---- */
typedef struct sg_data {
    size_t n;                  /* districts used in the indices */
    const size_t *index;       /* used district -> city index */
    const double *x, *t;       /* group and total counts of the used districts */
    size_t k;                  /* multigroup frame width: --groups (+ rest), or 0 */
    const double *m;           /* n x k counts of the multigroup frame */
    char *const *mnames;       /* k group names */
    const GEOSGeometry *const *geom; /* used districts in the working CRS */
    const sg_city *city;
    const sg_options *opts;
    const sg_crs_info *crs;    /* input and working CRS */
    struct sg_spatial *sp;     /* geometry-derived data built once (areas, centroids,
                                  weights), or NULL; see index_spatial.h */
    int replicate;             /* 1 in a permutation/bootstrap replicate: only the globals
                                  are read, families may skip their per-district columns */
    const struct sg_prec *by_share; /* two-group districts as (x/t, t, x) by share, or NULL:
                                  built once for evenness and multigroup (families.c) */
} sg_data;

/* An index family: computes globals and columns into res. Columns are
 * indexed by city index (d->index[i]). */
typedef sg_status (*sg_family_fn)(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Family flags. Default 0: re-run under --permutations and --bootstrap. */
enum {
    SG_FAM_SPATIAL = 1u << 0,    /* uses geometry: not re-run on bootstrap resamples */
    SG_FAM_NO_PERMUTE = 1u << 1, /* too costly to re-run per permutation */
};
typedef struct sg_family {
    const char *name;
    sg_family_fn fn;
    unsigned flags;
} sg_family;

/* ---- inference (permute.c) ---- */
/* After the families ran on d: p-values under a randomisation null
 * (--permutations) and percentile intervals (--bootstrap) for every global
 * in res, re-running the families on permuted / resampled counts. */
sg_status sg__infer(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* The families run by sg_analyze, in order (families.c). */
extern const sg_family sg__families[];
extern const size_t sg__nfamilies;
/* 1 when family `name` is selected by --indices (all by default; basic always). */
int sg__family_on(const sg_options *o, const char *name);
/* Runs every selected family on d into res, in registry order; the aspatial
 * ones at the same time on up to --threads threads (each into its own result
 * and context, merged in registry order: the same output as one thread). */
sg_status sg__run_families(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* 1 when `item` is a family name or an alias (all, aspatial, spatial, local). */
int sg__family_name_valid(const char *item);

sg_status sg__family_basic(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* The basic family's globals on a permutation replicate, drawn and reduced
 * in one pass by sg__psampler_draw_basic (permute.c, when nothing else is
 * re-run): the counts of sg__psampler_draw with the same rng, never stored. */
sg_status sg__family_basic_permuted(sg_ctx *ctx, const sg_psampler *ps, sg_rng *rng, sg_psampler_scratch *sc,
                                    sg_result *res);
/* Aspatial families (index_evenness.c, index_exposure.c, index_multigroup.c). */
sg_status sg__family_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_exposure(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_multigroup(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Checks the two-group counts of d (0 <= x <= t, t > 0, 0 < X < T); sets X, T. */
sg_status sg__two_group_totals(sg_ctx *ctx, const sg_data *d, double *X, double *T);
/* Σ_{i<j} w_i w_j |p_i − p_j| in O(n log n) with compensated sums (the Gini
 * numerator). Returns 0, or -1 when out of memory. */
int sg__pair_abs_diff_sum(const double *p, const double *w, size_t n, double *out);
/* A share and two weights; sg__sort_prec sorts by p ascending in O(n)
 * (radix) and returns 0, or -1 when out of memory. */
typedef struct sg_prec { double p, w1, w2; } sg_prec;
/* (num/den, den, num) for every i, sorted by the ratio like sg__sort_prec,
 * in a new array (caller frees); NULL when out of memory. The two-group
 * districts by share: sg__prec_by_ratio(x, t, n). */
sg_prec *sg__prec_by_ratio(const double *num, const double *den, size_t n);
int sg__sort_prec(sg_prec *a, size_t n);
/* Bounding box {x0, y0, x1, y1} of n points (infinite when n = 0). */
void sg__bbox_xy(const double *x, const double *y, size_t n, double box[4]);
/* Sorts a[0..n) on bits first_bit..63 (LSD radix, 11-bit digits, stable; a
 * digit every key shares is skipped), using tmp[0..n); returns a or tmp,
 * whichever holds the result. */
uint64_t *sg__radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n, int first_bit);
/* Σ_{i<j} w1_i w1_j |p_i − p_j| over records sorted by p. */
double sg__pair_abs_diff_sum_sorted(const sg_prec *a, size_t n);
/* θ* of the density-corrected D (Allen et al. 2015): the root z > 0 of
 * z = θ tanh(θ z), 0 when θ <= 1. */
double sg__dcd_theta_star(double theta);
/* Spatial families (index_concentration.c, ...). */
sg_status sg__family_local_spatial(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Builds d->sp once per run (spatial.c, see index_spatial.h); frees it. */
sg_status sg__spatial_build(sg_ctx *ctx, const sg_data *d, struct sg_spatial **out);
void sg__spatial_free(sg_ctx *ctx, struct sg_spatial *sp);
sg_status sg__family_concentration(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_centralization(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_clustering(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_spatial_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_spatial_proximity_profile(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_distortion(sg_ctx *ctx, const sg_data *d, sg_result *res);

/* ---- the run: everything the writers need (analyze.c) ---- */
struct sg_run {
    sg_reader rd;
    sg_city city;
    sg_basic_indices idx;
    sg_result res;
    size_t used, excluded;
    char *out_dir, *districts_path, *summary_path;
    char *summary_json, *summary_text;
    char *compare_text;   /* with --baseline: the comparison table */
    struct sg_regions *regions; /* with --by (regions.c) */
    struct sg_gaps *gaps;       /* objectives 5 and 10 (gaps.h) */
    struct sg_access *access;   /* with --service: service access (access.h) */
    const sg_options *opts;
};

/* ---- regions (regions.c) ---- */
typedef struct sg_region {
    char *name;
    size_t n;          /* districts used in the region */
    double total, group;
    sg_result res;     /* the indices within the region */
    char *error;       /* why the indices could not be computed, or NULL */
} sg_region;
struct sg_regions {
    char *field;
    sg_region *r;
    size_t nr;
    size_t unassigned; /* used districts without a region value */
    /* Theil's H = between + sum_r weight_r * H_r, weight_r = T_r E_r / (T E) */
    double h_total, h_between, h_within;
    int have_h;
};
/* Every index family (aspatial ones only: a region has no spatial cache) on
 * the districts of each region, and the decomposition of Theil's H. */
sg_status sg__regions(sg_ctx *ctx, const sg_data *d, struct sg_regions **out);
void sg__regions_free(struct sg_regions *r);
/* summary.json -> regions (write_summary.c uses it). */
void *sg__regions_json(const struct sg_regions *r);

/* ---- service access (access.c, read_services.c, access_nearest.c, access_fca.c, network.c; access.h) ---- */
struct sg_access_opts;
struct sg_access;
/* --service, --service-layer, --service-where, --capacity, --radius: kept in order (options.c). */
int sg__access_is_arg(const char *name);
sg_status sg__access_add_arg(sg_ctx *ctx, sg_options *o, const char *name, const char *val);
/* Checks the access options and builds o->access (check() calls it). */
sg_status sg__access_options(sg_ctx *ctx, sg_options *o);
void sg__access_opts_free(struct sg_access_opts *a);
/* The access stage (compute() in analyze.c, after the families and inference):
 * per-district columns into res by city index, city-level results into *out. */
sg_status sg__access(sg_ctx *ctx, const sg_data *d, sg_result *res, struct sg_access **out);
void sg__access_free(struct sg_access *a);
/* summary.json -> access (a json_object), and the text summary's table (caller frees). */
void *sg__access_json(const struct sg_access *a);
char *sg__access_text(const struct sg_access *a);

/* ---- atomic output (output.c) ---- */
/* Creates dir (and parents) if missing. */
sg_status sg__ensure_dir(sg_ctx *ctx, const char *dir);
/* Temporary name beside final: "DIR/.NAME.tmp-PID". Caller frees. */
char *sg__tmp_path(const char *final_path);
/* Renames tmp onto final (atomic on one file system); removes tmp on failure. */
sg_status sg__commit(sg_ctx *ctx, const char *tmp, const char *final_path);
/* Every writer: sg__output_begin names the temporary file (o->tmp) beside
 * path; the writer fills it; sg__output_finish(ctx, o, st) then checks the
 * file (a GeoJSON layer's end, expect_size when >= 0: disk full), flushes it
 * to disk and renames it into place when st is SG_OK, else removes it, and
 * returns the final status. sg__output_write does all three for a buffer. */
typedef struct sg_output {
    char *path, *tmp;
    long long expect_size; /* -1: unknown */
} sg_output;
sg_status sg__output_begin(sg_ctx *ctx, const char *path, sg_output *o);
sg_status sg__output_finish(sg_ctx *ctx, sg_output *o, sg_status st);
sg_status sg__output_write(sg_ctx *ctx, const char *path, const void *buf, size_t len);
/* Removes temporary files ".NAME.tmp-PID" in dir left by a run that was
 * killed (PID no longer running). Best effort: errors are ignored. */
void sg__clean_stale_tmp(const char *dir);

/* ---- GeoJSON layers (write_geojson.c) ---- */
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

/* ---- writers ---- */
/* districts.geojson and, with the objectives, objective5/10.geojson and
 * services.geojson: reprojected once, written on up to 2 threads
 * (write_layers.c; stages write.lonlat and write.layers). */
sg_status sg__write_geojson_all(sg_ctx *ctx, struct sg_run *run);
sg_status sg__write_summary(sg_ctx *ctx, struct sg_run *run, const char *path);

/* ---- objectives 5 and 10 (gap_objective5.c, gaps.h) ---- */
enum { SG_OVERCROWD_FRACTION = 1, SG_OVERCROWD_PERCENT, SG_OVERCROWD_RATIO };
/* After compute: housing inputs, objective 5 and 10 classes into run->gaps. */
sg_status sg__objectives(sg_ctx *ctx, struct sg_run *run);
/* Objective layers (+ --format), QGIS styles and project, report.html. */
sg_status sg__write_objectives(sg_ctx *ctx, struct sg_run *run);
void sg__gaps_free(struct sg_gaps *g);
/* summary.json -> objective5, objective10, housing and outputs (json-c objects). */
void sg__gaps_json(const struct sg_run *run, void *root, void *outputs);
/* A few lines for the text summary. */
void sg__gaps_text(const struct sg_run *run, void *file);

/* ---- PostGIS and connection strings (pg.c) ---- */
/* Copy of s with the value of every password=... (libpq keyword) and the
 * secret of scheme://user:secret@host replaced by "***". NULL when out of
 * memory (or s NULL). */
char *sg__redact(const char *s);
/* --out-pg: the run's layers (summary.json -> outputs, *.geojson) written as
 * tables PREFIX+KEY of the data source conn, all replaced in one transaction. */
sg_status sg__write_pg(sg_ctx *ctx, struct sg_run *run, const char *conn, const char *prefix);
#endif
