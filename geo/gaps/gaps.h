/* geo/gaps/: objective 5 (spatial gap) and objective 10 (housing gap) of the
 * OECD checklist: the per-district classes and the service locations layer,
 * computed only from what the stages before produced (sg_gaps_in); nothing
 * here opens a data source.
 *
 *   objective5.c   concentration x access (sg__objectives runs both)
 *   objective10.c  concentration x housing
 *   sites.c        services.geojson: every service location and its supply
 *
 * The classification cores (sg__gap5_classify, sg__gap10_classify) work on
 * plain arrays so that tests can check every rule on districts whose class is
 * known by construction. */
#ifndef SEGGAP_GEO_GAPS_H
#define SEGGAP_GEO_GAPS_H

#include <stdio.h>

#include "access/access.h"

struct sg_gaps;

/* ---- objective 5: concentration x access ---- */
typedef enum sg_gap5 {
    SG_GAP5_CONC_UNDERSERVED = 0, /* concentrated, access worse than the city's median */
    SG_GAP5_CONC_SERVED,          /* concentrated, access at or better than the median */
    SG_GAP5_UNDERSERVED,          /* not concentrated, access worse than the median */
    SG_GAP5_OK,                   /* neither */
    SG_GAP5_CONCENTRATED,         /* no service data: concentrated, access not assessed */
    SG_GAP5_NOT_CONCENTRATED,     /* no service data: not concentrated, access not assessed */
    SG_GAP5_NO_DATA,              /* no residents or no counts (or no access value) */
    SG_GAP5_COUNT
} sg_gap5;
const char *sg__gap5_name(sg_gap5 c);
/* Plain-language legend label (of the median rule). */
const char *sg__gap5_label(sg_gap5 c);
/* The label of the rule that made the map: by_standards 1 (--standard) or 0 (the median). */
const char *sg__gap5_label_std(sg_gap5 c, int by_standards);

typedef struct sg_gap5_in {
    size_t n;                     /* districts read */
    const unsigned char *usable;  /* 1: counts known and total > 0 */
    const double *total, *group, *lq;
    const double *gi_z, *gi_p;    /* Getis-Ord Gi* of the share, or NULL (NaN = none); gi_p the adjusted p (gi_star_q) */
    size_t ntypes;                /* service types; 0: access not assessed */
    const double *const *dist;    /* ntypes arrays of n nearest distances (NaN = none) */
    double lq_threshold;          /* concentrated: lq >= this ... */
    double alpha;                 /* ... or a Gi* hot spot: z > 0 and adjusted p <= alpha */
    size_t nstd;                  /* types with an access standard; 0: the median rule */
    const double *const *beyond;  /* with nstd: ntypes entries, NULL for a type without a standard, else n
                                   * values 1 beyond / 0 within / NaN unknown */
} sg_gap5_in;

typedef struct sg_gap5_out {
    unsigned char *cls;           /* n sg_gap5 */
    unsigned char *concentrated;  /* n: 0/1 (0 when not usable) */
    unsigned char *hotspot;       /* n: 0/1, significant Gi* hot spot */
    double *access_score;         /* n, NaN when not assessed */
    double *score;                /* n gap5_score in [0, 1], NaN when not usable */
    double *rank;                 /* n 1 = act first, NaN when not usable */
    double access_median;         /* population-weighted median of access_score, NaN without access */
    int by_standards;             /* underserved = beyond at least one standard (else: above the median) */
    size_t count[SG_GAP5_COUNT];
} sg_gap5_out;

/* Arrays of out are allocated here (sg__gap5_out_free). */
sg_status sg__gap5_classify(sg_ctx *ctx, const sg_gap5_in *in, sg_gap5_out *out);
void sg__gap5_out_free(sg_gap5_out *out);
/* Mid-rank percentile ranks of v over the entries with mask set and v
 * finite: 0 for the smallest, 1 for the largest, ties share their mean
 * rank; NaN elsewhere. Returns -1 when out of memory. */
int sg__percentile_rank(const double *v, const unsigned char *mask, size_t n, double *out);

/* ---- objective 10: concentration x housing ---- */
typedef enum sg_gap10 {
    SG_GAP10_CONC_OVERCROWDED = 0, /* concentrated, overcrowding above the city rate, supply not above */
    SG_GAP10_CONC_LOW_SUPPLY,      /* concentrated, social housing per resident below the city rate, not overcrowded */
    SG_GAP10_SUPPLY_DEEPENS,       /* concentrated, social housing per resident above the city rate (goes first) */
    SG_GAP10_OK,
    SG_GAP10_NO_DATA,
    SG_GAP10_COUNT
} sg_gap10;
const char *sg__gap10_name(sg_gap10 c);
const char *sg__gap10_label(sg_gap10 c);

/* gap10_flags bits: every condition that holds, whatever the class. */
enum { SG_F10_OVERCROWDED = 1, SG_F10_LOW_SUPPLY = 2, SG_F10_HIGH_SUPPLY = 4 };

typedef struct sg_gap10_in {
    size_t n;
    const unsigned char *usable;
    const double *total, *group;
    const unsigned char *concentrated; /* from objective 5 */
    const double *units;          /* social housing units per district, NULL when no supply input (NaN = unknown) */
    const double *overcrowding;   /* NULL when no overcrowding input (NaN = unknown) */
    int indicators;               /* --housing-indicator given: assessed even without units or overcrowding */
} sg_gap10_in;

typedef struct sg_gap10_out {
    unsigned char *cls;           /* n sg_gap10 */
    unsigned char *flags;         /* n SG_F10_* */
    double *per_1000;             /* n units per 1,000 residents */
    double supply_rate;           /* city: units per 1,000 residents */
    double overcrowding_rate;     /* city: population-weighted mean overcrowding */
    double units_total, pop_with_units;
    /* city-level housing measures (NaN when not computable) */
    double housing_dissimilarity;      /* units vs total population */
    double corr_share_supply;          /* Pearson: migrant share vs units per 1,000 */
    double corr_share_overcrowding;    /* Pearson: migrant share vs overcrowding */
    double overcrowding_ratio;         /* migrant-weighted / rest-weighted mean overcrowding */
    double units_share_concentrated;   /* share of the units in concentrated districts */
    double pop_share_concentrated;     /* share of the population in them */
    size_t n_units, n_overcrowding;    /* usable districts with a value */
    size_t count[SG_GAP10_COUNT];
} sg_gap10_out;

sg_status sg__gap10_classify(sg_ctx *ctx, const sg_gap10_in *in, sg_gap10_out *out);
void sg__gap10_out_free(sg_gap10_out *out);
/* "overcrowded,high_supply" (static buffer of at least 64 bytes). */
void sg__gap10_flags_text(unsigned flags, char *buf, size_t size);

/* ---- objective 10: housing indicators with a direction (indicators10.c) ----
 * --housing-indicator NAME=FIELD[:lower]: per district NAME_worse = 1 when
 * worse than the city's population-weighted rate R = sum(t v) / sum(t) by
 * more than margin |R|: v > R + margin |R| (higher is worse), v < R -
 * margin |R| (lower is worse); 0 otherwise; NaN when v is unknown, the
 * district not usable or R not computable. The flags never change
 * gap10_class: they are in gap10_flags as NAME_worse. */
typedef struct sg_hind_out {
    double *value;            /* n as read (NaN unknown) */
    double *worse;            /* n 1, 0 or NaN */
    double rate;              /* population-weighted city rate over the usable districts with a value */
    double threshold;         /* R + margin |R| (higher is worse) or R - margin |R| */
    double corr_share;        /* Pearson (unweighted, per district): migrant share vs value */
    double migrant_rest_ratio; /* (sum x v / X) / (sum y v / Y), as overcrowding_ratio */
    double conc_other_ratio;  /* population-weighted mean in concentrated / in other usable districts */
    size_t n_known, n_missing, n_worse, n_worse_conc; /* usable districts */
} sg_hind_out;
/* v: n values (copied). Arrays of out allocated here (sg__hind_out_free). */
sg_status sg__hind_assess(sg_ctx *ctx, const sg_gap10_in *in, const double *v, int lower, double margin,
                          sg_hind_out *out);
void sg__hind_out_free(sg_hind_out *o);
/* Pearson correlation of a and b over mask with both finite; NaN when fewer
 * than 3 districts or a constant variable. */
double sg__pearson(const double *a, const double *b, const unsigned char *mask, size_t n);
/* gap10_flags of district i: the SG_F10_* names, then NAME_worse for each
 * indicator worse there ("overcrowded,low_supply,living_space_worse"). The
 * text is cut at size. */
void sg__gap10_flags_all(const struct sg_gaps *g, size_t i, char *buf, size_t size);
/* Bytes sg__gap10_flags_all may need for one district (with its NUL). */
size_t sg__gap10_flags_size(const struct sg_gaps *g);


/* ---- services.geojson: every service location (sites.c) ---- */
typedef struct sg_sites {
    size_t n;
    char **type, **name;     /* name: the source's 'name' field when it has one */
    double *fid, *capacity;
    double *fca2, *e2sfca;   /* supply ratios R_j of 2SFCA and E2SFCA (capacity per 1,000 residents reached) */
    double *pop_catchment;   /* residents within the catchment d0 */
    double *pop_r;           /* n x nradius: residents within each --radius */
    double *x, *y;           /* working CRS */
    double *radius;          /* nradius, metres */
    size_t nradius;
    char **pop_r_names;      /* "pop_within_R" */
    double catchment;
    const char *mode;        /* planar, geodesic, network */
} sg_sites;
struct sg_gaps_in;
/* With --service: the locations of every type and their supply ratios,
 * copied from the access stage's results (in->access); opens nothing. Out of
 * memory leaves a partial *out (sg__sites_free it). */
sg_status sg__sites_build(sg_ctx *ctx, const struct sg_gaps_in *in, sg_sites *out);
void sg__sites_free(sg_sites *s);

/* ---- everything the objective writers need ---- */
struct sg_gaps {
    /* objective 5 */
    char **types;            /* service types of the access stage (sg_access.t[].type), in its order */
    size_t ntypes;
    double *const *dist;     /* ntypes borrowed columns of run->res: dist_TYPE_m */
    const double **beyond;   /* ntypes: the access stage's beyond_TYPE (NULL: no standard for the type) */
    size_t nstd;             /* types with a standard */
    unsigned char *usable;
    sg_gap5_out g5;
    double lq_threshold, alpha;
    int p_adjust;            /* SG_PADJ_*: how gi_star_q (which decides the hot spot) was adjusted */
    int have_gi;
    /* objective 10 */
    sg_housing h;
    sg_gap10_out g10;
    int assessed10;          /* some housing input was given */
    const sg_hind *hind;     /* --housing-indicator (opts->hind), nind of them */
    sg_hind_out *ind;        /* nind */
    size_t nind;
    double housing_margin;
    /* services layer */
    sg_sites sites;
    size_t nsites;           /* = sites.n */
};

/* What the objectives read: the results of the stages before them. */
typedef struct sg_gaps_in {
    const sg_options *opts;
    const sg_city *city;
    const sg_result *res;           /* lq, gi_star_z/p, dist_TYPE_m, ... */
    const struct sg_access *access; /* with --service, else NULL */
    sg_housing *housing;            /* read by read/housing.c; objective 10 moves it into g->h */
} sg_gaps_in;
/* Objective 5 classes (and the services layer's sites) into a new *out
 * (set first: the caller frees it whatever the status). */
sg_status sg__objective5(sg_ctx *ctx, const sg_gaps_in *in, struct sg_gaps **out);
/* Objective 10 from the housing inputs, into g (objective10.c). */
sg_status sg__objective10(sg_ctx *ctx, const sg_gaps_in *in, struct sg_gaps *g);
void sg__gaps_free(struct sg_gaps *g);
/* The concentration rule in words, with the adjustment that made the hot
 * spots: "LQ ≥ 1.5 or a Gi* hot spot, FDR-adjusted p ≤ 0.05 (Benjamini-Hochberg)". */
void sg__gap5_conc_rule(const struct sg_gaps *g, char *buf, size_t size);



#endif
