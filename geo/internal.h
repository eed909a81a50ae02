/* What every stage of the pipeline shares: the options of a run (struct
 * sg_options, parsed in analyze/options.c) and the map layers it may write.
 * Every folder after base/ reads them; only analyze/ fills them in.
 *
 * Folders in flow order (a header includes only the headers of folders before
 * its own; tools/check_layers.sh checks it in CI):
 *   base/ -> read/ -> spatial/ -> indices/ -> access/ -> gaps/ -> write/
 *   -> compare/ -> analyze/ -> check/
 * Each folder has one header, FOLDER/FOLDER.h, that states what it offers. */
#ifndef SEGGAP_GEO_INTERNAL_H
#define SEGGAP_GEO_INTERNAL_H

#include "base/base.h"

/* ---- options (options.c) ---- */
typedef struct sg_table_spec {
    char *path;
    char *key;   /* key field in the table; default: the --id field name */
    char *layer; /* layer in the table source; default: the only/first layer */
    char *join;  /* --table-join: the district field the key matches (a coarser level), NULL: the --id */
} sg_table_spec;

/* The null of --permutations (permute.c, nulls.c). */
enum { SG_NULL_PERSON = 0, SG_NULL_GEOGRAPHIC, SG_NULL_EVENNESS, SG_NULL_SYSTEMATIC };

struct sg_options {
    char *districts, *layer;
    char *encoding;       /* --encoding: of text in sources that declare none (NULL: UTF-8) */
    char *sql;            /* --sql: districts from a query on the source instead of a layer */
    char *out_pg, *out_pg_prefix; /* --out-pg CONN: layers also written as PostGIS tables */
    char *title;          /* --title: report.html's title (NULL: from the districts layer's name) */
    char *source_note;    /* --source-note: source/date line under the report's and layouts' maps (NULL: none) */
    char *id_field, *total_field, *group_field, *share_field;
    char *share_scale_text;
    double share_scale; /* 0 unset, 1 fraction, 100 percent */
    sg_table_spec *tables;
    size_t ntables;
    char *input_crs, *work_crs;
    char *out_dir;
    struct sg_outset *outset; /* not an option: seggap check's locked --out, lent to sg_analyze (no publish) */
    char *name_field;     /* --name: a label written to the layers */
    sg_strlist groups;    /* --groups: several group fields (multigroup) */
    int no_remainder;     /* --no-remainder: no "rest" group in the multigroup frame */
    double min_joined;    /* --min-joined: least share of districts with data (default 0.8) */
    int permutations;     /* --permutations N: randomisation test of every global index */
    char *null_text;      /* --null person|geographic|evenness|systematic (parsed into null_model) */
    int null_model;       /* SG_NULL_*: the null of --permutations (default person) */
    int bootstrap;        /* --bootstrap N: percentile confidence intervals */
    double seed;          /* --seed: makes inference reproducible (default 12345) */
    int threads;          /* --threads: 0 = all cores */
    char *baseline;       /* --baseline DIR: compare this run with an earlier one */
    char *by_field;       /* --by FIELD: every index within each region too */
    sg_strlist indices;   /* --indices: families to compute (default all) */
    char *weights;        /* --weights queen|rook|knn:K|distance:M for local statistics */
    int local_permutations; /* --local-permutations N for LISA p-values (default 999) */
    double alpha;         /* --alpha: significance level of the local classes (default 0.05) */
    char *p_adjust_text;  /* --p-adjust fdr|bonferroni|none ... */
    int p_adjust;         /* ... as SG_PADJ_* (default fdr): the Gi* hot-spot flag uses gi_star_q */
    char *apportion_text; /* --apportion population ... */
    int apportion;        /* ... 1: counts of --table-join tables split over the districts by their totals */
    char *centre_text;    /* --centre X,Y in the input CRS (parsed into centre_x/y) */
    int has_centre;
    double centre_x, centre_y;
    char *centre_district; /* --centre-district ID */
    char *decay_bandwidth_text; /* --decay-bandwidth M */
    double decay_bandwidth;     /* metres; 1000 when not given */
    char *distance_kernel_text; /* --distance-kernel exp|exp-exact|pysal */
    int distance_kernel_pysal;
    int distance_kernel_exact;  /* exp-exact: exp(-d/h) over every pair, no cut-off (O(N²)) */
    /* the multiscalar segregation profile (indices/profile.c) */
    char *scales_text;          /* --scales D1,D2,... (metres) */
    char *scale_kernel_text;    /* --scale-kernel NAME (PySAL's kernels; default triangular) */
    int scale_unrounded;        /* --scale-unrounded: the indices on the unrounded kernel sums */
    double *scales;             /* parsed --scales, in the order given (owned) */
    size_t nscales;             /* 0: no profile */
    int scale_kernel;           /* SG_SCALE_KERNEL_* */
    /* objectives 5 and 10 (gaps.h) */
    char *housing, *housing_layer, *housing_units; /* --housing SRC [--housing-layer] --housing-units F */
    char *social_housing_field, *overcrowding_field; /* district fields (layer or --table) */
    char *overcrowding_scale_text; /* --overcrowding-scale fraction|percent|ratio */
    int overcrowding_kind;         /* SG_OVERCROWD_* */
    sg_strlist housing_indicator_args; /* --housing-indicator NAME=FIELD[:lower|:higher], one per use */
    char *housing_margin_text;     /* --housing-margin M */
    struct sg_hind *hind;          /* the indicators, checked (analyze/options_housing.c) */
    size_t nhind;
    double housing_margin;         /* relative margin of NAME_worse (default SG_HOUSING_MARGIN) */
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
    char *snap_tolerance_text;     /* --snap-tolerance M */
    double snap_tolerance;         /* metres; contiguity's tolerance (SG_SNAP_TOLERANCE when not given) */
    char *max_vertices_text;       /* --max-vertices N */
    size_t max_vertices;           /* vertices per district polygon (SG_MAX_VERTICES when not given); 0: none */
    int strict, quiet, json, timings;
    int progress;                  /* --progress: the caller wants progress reports */
    sg_progress_fn progress_fn;    /* sg_options_set_progress: called by sg_analyze (NULL: none) */
    void *progress_user;
};

/* Defaults of --snap-tolerance (metres: far below any survey's precision,
 * far above the rounding of coordinates, 1e-9 m near 1e6 m) and
 * --max-vertices (GEOS's validity check of an adversarial polygon of 50,000
 * vertices takes about a second and grows with the square of the count). */
#define SG_SNAP_TOLERANCE 1e-4
#define SG_MAX_VERTICES 50000

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


/* One --housing-indicator NAME=FIELD[:lower|:higher] (objective 10): a
 * district rate or share read like --total (district layer or --table).
 * NAME_worse is 1 when the district is worse than the city's
 * population-weighted rate by more than housing_margin of it. */
typedef struct sg_hind {
    char *name, *field;
    int lower;              /* 1: lower values are worse (living space per person) */
    int direction_given;    /* 0: the name's default direction */
    int overcrowding;       /* NAME is overcrowding: the input of the overcrowded rule (--overcrowding-field) */
    const char *definition; /* plain text (static) */
    const char *unit;       /* "m² per person", "share", ... (static) */
} sg_hind;
#define SG_HOUSING_MARGIN 0.10
/* --p-adjust (sg_options.p_adjust; indices/p_adjust.c). */
enum { SG_PADJ_FDR = 0, SG_PADJ_BONFERRONI, SG_PADJ_NONE };
/* The kernels of --scale-kernel, as PySAL (libpysal 4.7 Kernel) names them. */
enum { SG_SCALE_KERNEL_TRIANGULAR = 0, SG_SCALE_KERNEL_UNIFORM, SG_SCALE_KERNEL_QUADRATIC, SG_SCALE_KERNEL_QUARTIC,
       SG_SCALE_KERNEL_GAUSSIAN };

/* Overcrowding scale of --overcrowding-scale (sg_options.overcrowding_kind). */
enum { SG_OVERCROWD_FRACTION = 1, SG_OVERCROWD_PERCENT, SG_OVERCROWD_RATIO };

#endif
