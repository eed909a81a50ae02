/* geo/read/: everything that comes from an OGR source, validated and in the
 * working CRS. Later folders never open a data source.
 *   source.c        opening sources and choosing layers (one place for both)
 *   parse_number.c  strict numbers; cell.c: attribute cells; table.c: census tables
 *   districts.c     districts -> sg_city (sg__read_city), read in batches
 *   join.c          the tables joined to them; each district's values checked
 *   input_info.c    the input files and their SHA-256; first_ids.c: id lists
 *   validate.c      OGR geometry -> valid GEOS (Multi)Polygons (districts)
 *   geometry.c      the one OGR -> GEOS conversion (sg__ogr_to_work)
 *   crs.c           input and working CRS, reprojection
 *   services.c      services and origins (where people live); travel_times.c (.h): tables of minutes
 *   housing.c       social housing sites and district housing fields
 * read_internal.h: what only files of read/ share (no other folder includes it). */
#ifndef SEGGAP_GEO_READ_H
#define SEGGAP_GEO_READ_H

#include "internal.h"

#define SG_FIRST_IDS 10 /* ids quoted in a message or a summary list */

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

/* ---- attribute cells (cell.c) ---- */
typedef enum sg_cell_kind { SG_CELL_NULL = 0, SG_CELL_NUM, SG_CELL_TEXT } sg_cell_kind;
typedef struct sg_cell { sg_cell_kind kind; double num; char *text; /* owned, SG_CELL_TEXT only */ } sg_cell;
/* Reads field idx of an OGR feature: numbers stay numbers, text stays text,
 * unset/null fields are SG_CELL_NULL. Returns -1 when out of memory. */
int sg__cell_from_feature(void *ogr_feature, int idx, sg_cell *c);
void sg__cell_clear(sg_cell *c);
sg_numparse sg__cell_number(const sg_cell *c, double *out, const char **why);
/* Text of a cell (for ids and keys), trimmed; NULL for a null cell. Caller frees. */
char *sg__cell_text(const sg_cell *c);

/* ---- census tables (table.c) ---- */
typedef struct sg_table {
    const sg_table_spec *spec;
    char *key, *layer_name; /* key: the key field actually used */
    char **fields;       /* every field name of the table */
    int nfields, key_idx, join_idx; /* join_idx: --table-join, the district field the keys match; -1: the id */
    int *cols, ncols;    /* requested field indices, ncols of them */
    size_t nrows;
    char **keys;         /* trimmed key per row */
    long long *fids;
    sg_cell *cells;      /* nrows x ncols */
    unsigned char *matched;
    sg_keyindex index;   /* key -> row (keys borrowed from `keys`) */
    sg_arena text;       /* keys and cell texts */
    void *ds, *lyr;      /* GDALDatasetH, OGRLayerH while open */
    char sha256[65], driver[32];
    const char *encoding; /* --encoding: keys that are not UTF-8 are recoded from it (NULL: none) */
} sg_table;

/* ---- districts (districts.c, join.c, validate.c) ---- */
typedef enum sg_dstatus { SG_DS_OK = 0, SG_DS_NO_DATA, SG_DS_ZERO_TOTAL, SG_DS_REPAIRED } sg_dstatus;
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
    char **name, **region;   /* --name label, --by value, or NULL */
    size_t ngroups;          /* --groups fields */
    double *groups;          /* n x ngroups counts, NaN when missing */
    double *social_units;    /* --social-housing-field, NaN when missing or not given */
    double *overcrowding;    /* --overcrowding-field as read, NaN when missing or not given */
    size_t nhind; double *hind; /* n x nhind --housing-indicator values as read, NaN when missing */
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

typedef struct sg_join_info {
    size_t rows, matched_rows, unmatched_rows; /* unmatched: rows without a district */
    char **unmatched_ids, **missing_ids; /* first few rows without a district, districts without a row */
    size_t n_unmatched_ids, districts_without_row;
    size_t n_missing_ids, zero_matches; /* zero_matches: unmatched keys matching an id without leading zeros */
    const char *join_field;      /* --table-join FIELD (a coarser level), NULL: joined on the id */
    size_t matched_districts, n_district_keys; /* districts that got a row (children); district_keys */
    char **district_keys;        /* first few distinct district-side keys (join_field's values) */
    double *child_total;         /* --apportion: per row, its districts' summed totals; NULL: not apportioned */
} sg_join_info;

/* ---- CRS (crs.c) ---- */
typedef struct sg_crs_info {
    PJ *src, *work;        /* input and working CRS */
    char *src_name, *src_id;   /* e.g. "WGS 84", "EPSG:4326" */
    char *work_name, *work_id;
    char *work_how;        /* how the working CRS was chosen */
    char *src_wkt;         /* WKT of the input CRS, for the output layer */
    int reprojected;       /* 0 when work == src */
    char *file, *layer;    /* the districts' source, for messages that name a district */
} sg_crs_info;
/* Chooses the working CRS (user's, the source's when projected in metres, or the UTM zone / a
 * local equal-area projection of the extent's centre); transforms the city's geometries into it. */
sg_status sg__crs_project(sg_ctx *ctx, const char *user_work, sg_city *city, sg_crs_info *info);

/* ---- reading the districts with their joined tables (districts.c, join.c) ----
 * Fields read per district. Roles from SG_ROLE_COUNT on are the --groups
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
    size_t ntables;      int apportion; /* --apportion population (join_level.c) */
    sg_join_info *joins; /* one per table */
    sg_field_src *fields; /* SG_ROLE_COUNT + ngroups + nhind; name NULL when unused */
    size_t ngroups, nhind; /* --housing-indicator k: role SG_ROLE_COUNT + ngroups + k */
    char *id_field;
    sg_crs_info crs;
} sg_reader;

/* Reads and validates the districts and joins the tables. On error the
 * diagnostics name every bad feature; the city holds what was read. */
sg_status sg__read_city(sg_ctx *ctx, const sg_options *o, sg_reader *rd, sg_city *city);
void sg__reader_free(sg_reader *rd);

/* The first SG_FIRST_IDS ids of city districts idx[0..n), "a, b, c, ... (N in
 * all)" (caller frees; NULL when out of memory). */
char *sg__first_ids(const sg_city *c, const size_t *idx, size_t n);

/* ---- services, origins and housing (services.c, housing.c) ---- */
/* One --service TYPE=SRC with the options that followed it. */
typedef struct sg_service_spec {
    char *type;     /* output field names: dist_TYPE_m, ... */
    char *path;
    char *layer;    /* --service-layer, or NULL: the layer named TYPE, or the only one */
    char *where;    /* --service-where (OGR attribute filter), or NULL */
    char *capacity; /* --capacity field, or NULL: every service supplies 1 */
    char *id_field; /* --service-id: names each service in --travel-times (NULL: the feature id) */
    char *tt_path, *tt_layer, *tt_origin, *tt_dest, *tt_minutes; /* --travel-times, --tt-* (travel_times.h) */
} sg_service_spec;

/* What a reader learned about an OGR source, for the summary. */
typedef struct sg_src_info {
    char *path, *layer, *driver, *where;
    char *crs_name, *crs_id;
    char sha256[65];  /* of the file, "" when not a regular file */
    long long features; /* features read (after --service-where) */
} sg_src_info;
void sg__src_info_free(sg_src_info *s); /* (source.c) */

/* ---- services (services.c) ---- */
typedef struct sg_services {
    sg_src_info src;
    const sg_service_spec *spec;
    size_t n;               /* locations */
    double *x, *y;          /* working CRS; point on surface for polygons */
    GEOSGeometry **poly;    /* NULL, or n entries: the polygon to measure to, else NULL */
    double *cap;            /* supply of each location (1 without --capacity) */
    long long *fid;         /* feature each location comes from */
    char **name, **sid;     /* name: the 'name' field when the layer has one, set and not null, else NULL (for
                             * the services layer); sid: the --service-id of each (sid NULL without it) */
    size_t npoly;           /* locations measured to a polygon */
    size_t nsplit;          /* multipoint features split into several locations */
    size_t nskipped;        /* features without geometry (skipped, warned) */
    double total_capacity;
} sg_services;

/* Reads one service type, reprojected into the working CRS. Errors name file,
 * layer, feature id and field; features without geometry are skipped with a
 * warning (errors with --strict). Checks the extent against the districts'. */
sg_status sg__services_read(sg_ctx *ctx, const sg_service_spec *spec, const sg_options *o,
                            const sg_crs_info *crs, const sg_city *city, int points_only, sg_services *out);
void sg__services_free(sg_ctx *ctx, sg_services *s);

/* ---- origins: where people live (services.c) ---- */
typedef struct sg_origins {
    size_t n;
    double *x, *y;
    size_t *district;  /* city index */
    double *w;         /* share of the district's population at this origin */
    double *demand;    /* residents: total_i * w (0 when the total is unknown) */
    size_t *off;       /* city->n + 1: the origins of district i are off[i] .. off[i+1]-1 */
    int from_points;   /* --population-points */
    sg_src_info src;   /* the population points */
    long long points_read;
    size_t points_outside;   /* points in no district */
    size_t fallback;         /* districts without population: their point on surface */
} sg_origins;

sg_status sg__origins_build(sg_ctx *ctx, const sg_options *o, const sg_city *city, const sg_crs_info *crs,
                            sg_origins *out);
void sg__origins_free(sg_origins *og);

/* Opens an OGR layer: `layer` by name, else the layer named `prefer`, else the
 * only one; the error for several names `layer_opt`. (services.c) */
sg_status sg__open_layer(sg_ctx *ctx, const char *path, const char *layer, const char *prefer,
                         const char *layer_opt, void **ds, void **lyr, sg_src_info *info);
/* A transformation from the layer's CRS to the working CRS (NULL *op when
 * they are the same). Fills info->crs_name / crs_id. */
sg_status sg__layer_transform(sg_ctx *ctx, void *ogr_srs, const sg_crs_info *crs, sg_where w, sg_src_info *info,
                              PJ **op);
/* OGR geometry -> GEOS in the working CRS (linearised, transformed with op
 * when not NULL). NULL with *why set on failure. */
GEOSGeometry *sg__ogr_to_work(sg_ctx *ctx, void *ogr_geom, PJ *op, const char **why);

/* ---- housing inputs (housing.c) ---- */
typedef struct sg_housing {
    int have_sites;          /* --housing given */
    int have_units;          /* units per district known (layer or --social-housing-field) */
    int have_overcrowding;   /* --overcrowding-field */
    char *units_from;        /* how the units were obtained, for the summary */
    char *path, *layer, *driver, *units_field, *crs_name; /* the housing layer */
    char sha256[65];
    long long sites_read, sites_assigned, sites_outside, sites_no_units, sites_no_geom;
    double units_read;
    double *units;           /* n per district (NaN unknown), or NULL */
    double *dist_m;          /* n nearest site from the district's point on surface, or NULL */
    double *overcrowding;    /* n in the unit of --overcrowding-scale (fraction for shares), or NULL */
    const char *overcrowding_unit; /* "fraction" or "persons per room" */
} sg_housing;

/* Reads the housing layer (--housing) and the district housing fields
 * (already read with the districts) into h. Needs the city in the working CRS. */
sg_status sg__housing_read(sg_ctx *ctx, const sg_options *o, const struct sg_reader *rd, const sg_city *city,
                           sg_housing *h);
void sg__housing_free(sg_housing *h);
#endif
