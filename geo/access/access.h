/* geo/access/: service access per district and the migrant-versus-rest gap.
 *
 *   options.c  the access options (--service ..., --radius, --catchment, --decay)
 *   access.c   the stage: per type, the district columns, the city-level
 *              statistics, the permutation test of the gap, and every service
 *              location with its supply (what the services layer shows)
 *   summary.c  summary.json's access object and the text summary's table
 *   standards.c  --standard (beyond_TYPE, shares beyond) and --travel-times
 *   nearest.c  planar/geodesic distances through a GEOS STRtree
 *   fca.c      counts within radii, 2SFCA, E2SFCA (step 1 once per type)
 *   network.c  shortest paths on a road network
 *   network_build.c  the network: lines read, noded, made a graph
 * (services and origins are read in read/services.c; access_internal.h: the
 * network's graph, shared only by files of access/).
 *
 * Vocabulary:
 * - an *origin* is a place where people live: by default one per district, the
 *   GEOS point on surface of its polygon (always inside it, unlike a centroid);
 *   with --population-points, the points of that layer, each carrying a share
 *   w of its district's population (shares of a district sum to 1);
 * - a *service location* is a point of one service type in the working CRS
 *   (a multipoint feature gives one location per part, its capacity split
 *   equally); a polygon service is measured to the polygon itself (0 inside)
 *   unless --service-point or --network, which use its point on surface;
 * - a *pair* is an origin and a service location within some distance.
 * All distances are metres in the working CRS (or on the ellipsoid with
 * --geodesic, or along the network with --network). */
#ifndef SEGGAP_GEO_ACCESS_H
#define SEGGAP_GEO_ACCESS_H

#include <stdint.h>

#include "indices/indices.h"
#include "read/travel_times.h"

#define SG_ACCESS_MAX_TYPES 64
#define SG_ACCESS_MAX_PAIRS ((size_t)400000000) /* origin-service pairs kept at once */
#define SG_WALK_SPEED_KMH 5.0       /* speed of the snap legs in --network-speed mode */

typedef enum sg_decay { SG_DECAY_GAUSSIAN = 0, SG_DECAY_LINEAR, SG_DECAY_STEP, SG_DECAY_EXP } sg_decay;
const char *sg__decay_name(sg_decay k);


/* An access standard (--standard TYPE=VALUE, issue 17): a district is beyond
 * it when its nearest service of the type is farther than limit (metres for
 * m and km, minutes of time_TYPE_min for min). */
typedef struct sg_standard {
    int set;
    double value;  /* as given, in unit */
    char unit[4];  /* "m", "km" or "min" */
    double limit;  /* metres, or minutes when minutes */
    int minutes;
} sg_standard;

typedef struct sg_time_opts sg_time_opts; /* --reach, --time-catchment (access_internal.h) */
/* The access options, checked, from sg_options (analyze/options.c calls
 * sg__access_options, access/options.c, from check()). */
struct sg_access_opts {
    sg_service_spec *svc;
    size_t nsvc;
    double *radius;   /* ascending, distinct, metres */
    size_t nradius;
    double catchment; /* d0 of 2SFCA / E2SFCA */
    sg_decay decay;
    double bandwidth; /* h of the gaussian and exp decay */
    double max_snap;  /* network: farther from every edge than this is unreachable */
    sg_standard *std; /* nsvc: the --standard of each type (set 0: none) */
    size_t nstd;      /* types with a standard */
    sg_time_opts *time; /* nsvc (NULL: none given): --reach, --time-catchment */
};



/* ---- pairs and distances (nearest.c) ---- */
typedef struct sg_pairs {
    size_t n;       /* origins */
    size_t *off;    /* n + 1 */
    uint32_t *svc;  /* service location, ascending within an origin */
    double *d;      /* distance */
} sg_pairs;
void sg__pairs_free(sg_pairs *p);


/* Planar or geodesic distances from origins to one service type. */
typedef struct sg_euclid sg_euclid;
sg_status sg__euclid_create(sg_ctx *ctx, const sg_origins *og, const sg_services *s, const sg_crs_info *crs,
                            int geodesic, sg_euclid **out);
void sg__euclid_destroy(sg_ctx *ctx, sg_euclid *e);
/* Distance from every origin to its nearest service location (GEOS STRtree). */
sg_status sg__euclid_nearest(sg_ctx *ctx, sg_euclid *e, int threads, double *dist);
/* Every origin-location pair within dmax. */
sg_status sg__euclid_pairs(sg_ctx *ctx, sg_euclid *e, double dmax, int threads, sg_pairs *out);
/* Geodesic distance between two points of the working CRS (for tests). */

/* ---- floating catchments (fca.c) ---- */
/* Weight of a service at distance d: 0 beyond the catchment d0; within it
 * 1 (step), 1 - d/d0 (linear), exp(-d²/2h²) (gaussian), exp(-d/h) (exp). */
double sg__decay_weight(sg_decay k, double d, double d0, double h);
/* Step 1 of the floating catchments, per service location of one type: what
 * the district values (step 2) and the services layer are made of. */
/* The floating-catchment ratios are per 1,000 residents (fields *_per1000). */
#define SG_FCA_PER 1000.0
typedef struct sg_supply {
    size_t n, nradius;       /* locations; radii */
    double *fca2, *e2sfca;   /* R_j of 2SFCA and of E2SFCA (with the decay): capacity per 1,000 residents reached,
                              * 0 when nobody is within the catchment */
    double *pop_catchment;   /* residents within the catchment d0 */
    double *pop_r;           /* n x nradius: residents within each --radius */
    size_t idle;             /* locations with nobody within d0 */
} sg_supply;
/* Step 1 from the pairs of one type (which must reach max(d0, largest
 * radius): the stage's dmax), demand[k] = residents at origin k. Arrays of
 * out are allocated here (sg__supply_free, also after an error). */
sg_status sg__fca_supply(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                         const struct sg_access_opts *ao, sg_supply *out);
void sg__supply_free(sg_supply *s);
/* Step 2 from step 1: count[r * n + k] = locations within radius[r] of
 * origin k; fca2[k] (Luo & Wang 2003) and e2sfca[k] with the decay. */
void sg__fca_access(const sg_pairs *p, const sg_supply *sup, const struct sg_access_opts *ao, double *count,
                    double *fca2, double *e2sfca);
/* Both steps, keeping nothing per location (tools/bench_access.c). Locations
 * with no demand within reach supply nobody; their number goes to *idle. */
sg_status sg__access_fca(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                         const struct sg_access_opts *ao, double *count, double *fca2, double *e2sfca,
                         size_t *idle);

/* ---- road network (network.c) ---- */
typedef struct sg_network sg_network;
typedef struct sg_net_info {
    sg_src_info src;
    char *speed_field, *oneway_field;
    long long lines;       /* line features read */
    size_t edges, nodes, components;
    double length_km, largest_share; /* share of the length in the largest component */
    size_t oneway_edges, missing_speed, bad_oneway, closed_edges;
    size_t origins_far;    /* origins beyond --network-max-snap */
} sg_net_info;
/* Reads the lines, nodes them (GEOS), builds the graph and snaps the origins. */
sg_status sg__network_build(sg_ctx *ctx, const sg_options *o, const sg_crs_info *crs, const sg_city *city,
                            const sg_origins *og, sg_network **out);
void sg__network_free(sg_ctx *ctx, sg_network *net);
const sg_net_info *sg__network_info(const sg_network *net);
/* One service type on the network: snapped locations (far ones left out, with
 * a warning). */
typedef struct sg_net_services sg_net_services;
sg_status sg__network_services(sg_ctx *ctx, const sg_network *net, const sg_services *s, sg_net_services **out,
                               size_t *far);
void sg__network_services_free(sg_net_services *ns);
/* Multi-source Dijkstra from every location at once: the cost from every
 * origin to its nearest location (metres; minutes with time = 1), INFINITY
 * when unreachable. */
sg_status sg__network_nearest(sg_ctx *ctx, const sg_network *net, const sg_net_services *ns, int time,
                              double *cost);
/* Every origin-location pair within dmax metres along the network (one
 * bounded Dijkstra per location). */
sg_status sg__network_pairs(sg_ctx *ctx, const sg_network *net, const sg_net_services *ns, double dmax,
                            int threads, sg_pairs *out);
int sg__network_has_speed(const sg_network *net);

/* ---- city-level results (access.c) ---- */
typedef struct sg_access_group {
    double pop;          /* residents of the group in the districts used */
    double unreachable;  /* of them, without a reachable service */
    double mean, median; /* nearest distance, population-weighted */
    double *beyond;      /* nradius: share farther than each radius (unreachable included) */
    double e2sfca, fca2; /* population-weighted mean access ratios */
    double time_mean;    /* --network-speed: minutes */
} sg_access_group;

typedef struct sg_access_type {
    char *type;
    sg_src_info src;
    char *capacity;
    size_t locations, npoly, nsplit, nskipped, idle, off_network;
    double total_capacity;
    sg_access_group g[2]; /* 0: migrants (the --group), 1: the rest */
    double gap_ratio, gap_m;
    double p_value, null_mean, null_sd; /* of gap_m; NaN without --permutations */
    double corr_dist, corr_e2sfca;      /* Pearson r of the migrant share with them */
    size_t districts_with_value, unreachable;
    char **unreachable_ids;
    size_t n_unreachable_ids;
    double *a, *r; /* per used district: Σ w d and Σ w over reachable origins (permutations) */
    /* Every location, in reading order (locations entries; the services
     * layer is made of these, sg_sites in gaps/sites.c). */
    long long *fid;  /* the feature it comes from */
    char **name;     /* the feature's 'name' field, NULL when the layer has none or it is null */
    double *cap;     /* capacity (a multipoint's share), 1 without --capacity */
    double *x, *y;   /* working CRS; point on surface for polygons */
    sg_supply supply; /* step 1 of the floating catchments (fca.c) */
    /* --standard and --travel-times (standards.c) */
    int has_time;          /* a time_TYPE_min column: --network-speed or --travel-times */
    int has_tt;            /* --travel-times: time_TYPE_min from the table, tt says what was read */
    sg_tt_info tt;
    double time_catchment; /* --time-catchment: minutes (0: fca2_/e2sfca_ by metres) */
    double *reach;         /* --reach: minutes (the options' array, not owned) */
    size_t nreach;
    sg_standard std;       /* std.set 0: no standard for this type */
    double *beyond;        /* with a standard, city->n: 1 beyond it, 0 within, NaN without a value */
    double *bu;            /* the same per used district (the permutations) */
    size_t n_beyond, n_within; /* districts with a geometry */
    double std_share[2];   /* resident-weighted share beyond the standard over the used districts with a
                            * value: 0 migrants, 1 the rest */
    double std_gap;        /* std_share[0] - std_share[1] */
    double std_p, std_null_mean, std_null_sd; /* its permutation test; NaN without --permutations */
} sg_access_type;

struct sg_access {
    const char *mode;     /* "planar", "geodesic", "network" */
    int from_points;
    sg_src_info pop;
    char *pop_field;
    long long points_read;
    size_t points_outside, fallback, origins;
    double *radius;
    size_t nradius;
    double catchment, bandwidth, max_snap;
    sg_decay decay;
    int permutations;
    int null_model; /* SG_NULL_* of the gap tests (--null) */
    int has_network, has_time;
    sg_net_info net;
    sg_access_type *t;
    size_t nt;
};

/* ---- the options (options.c) ---- */
/* --service, --service-layer, --service-where, --capacity, --radius: kept in order (analyze/options.c). */
int sg__access_is_arg(const char *name);
sg_status sg__access_add_arg(sg_ctx *ctx, sg_options *o, const char *name, const char *val);
/* Checks the access options and builds o->access (check() calls it). */
sg_status sg__access_options(sg_ctx *ctx, sg_options *o);
void sg__access_opts_free(struct sg_access_opts *a);

/* ---- the stage (access.c) ---- */
/* The access stage (compute() in analyze.c, after the families and inference):
 * per-district columns into res by city index, city-level results into *out. */
sg_status sg__access(sg_ctx *ctx, const sg_data *d, sg_result *res, struct sg_access **out);
void sg__access_free(struct sg_access *a);
/* ---- the summary (summary.c) ---- */
/* summary.json -> access (a json_object), and the text summary's table (caller frees). */
void *sg__access_json(const struct sg_access *a);
char *sg__access_text(const struct sg_access *a);


#endif
