/* The indices of parts of the city and of its scales: every aspatial index
 * within each region of --by with the between/within splits of H and M
 * (regions.c, regions_mutual.c), and the multiscalar segregation profile of
 * --scales (profile.c). Included at the end of indices/indices.h. */
#ifndef SEGGAP_GEO_INDICES_REGIONS_H
#define SEGGAP_GEO_INDICES_REGIONS_H

#include "indices/indices.h"

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
    /* the mutual information index M (multi_divergence, on the multigroup
     * frame) = between + sum_r (T_r / T) M_r (regions_mutual.c) */
    double m_total, m_between, m_within;
    int have_m;
};
/* Every index family (aspatial ones only: a region has no spatial cache) on
 * the districts of each region, and the decomposition of Theil's H. */
sg_status sg__regions(sg_ctx *ctx, const sg_data *d, struct sg_regions **out);
void sg__regions_free(struct sg_regions *r);
/* M and its split over the regions of[i] (0..nr-1, SIZE_MAX: a district
 * that is its own region) on the frame of d (d->m, or [x, t - x]); 0 when M
 * is undefined (an empty group). regions_mutual.c. */
int sg__regions_mutual(const sg_data *d, const size_t *of, size_t nr, double *total, double *between,
                       double *within);
/* summary.json -> regions -> mutual_information_decomposition into o (a json_object). */
void sg__regions_mutual_json(const struct sg_regions *r, void *o);
/* summary.json -> regions (a json_object; write/summary.c uses it). */
void *sg__regions_json(const struct sg_regions *r);

/* ---- the multiscalar segregation profile (profile.c; issue 20 item 2) ---- */
/* Dissimilarity, Theil's H, isolation and the information theory index on
 * the districts' kernel local environments, one value per --scales distance,
 * as PySAL segregation 2.5 builds them (../shared/reference/PROFILES.md). */
enum { SG_PROFILE_D = 0, SG_PROFILE_H, SG_PROFILE_XPX, SG_PROFILE_MIT, SG_PROFILE_NIDX };
extern const char *const sg__profile_index_names[SG_PROFILE_NIDX]; /* summary.json keys */
typedef struct sg_profile {
    int kernel;                        /* SG_SCALE_KERNEL_* */
    int rounded;                       /* 0 with --scale-unrounded */
    size_t nd;
    double *dist;                      /* the distances (m), in the order given */
    double *val[SG_PROFILE_NIDX];      /* nd values each (NaN: undefined) */
    double aspatial[SG_PROFILE_NIDX];  /* the indices without a kernel (d = 0) */
    size_t pairs;                      /* pairs of districts within the largest distance */
} sg_profile;
const char *sg__scale_kernel_name(int kernel);
/* The profile of the counts x, t (n = sp->n) and, when m is not NULL, the
 * n x k frame (the information theory index on it instead of [x, t - x]),
 * over the centroids of sp (its centroid tree is needed) at distances
 * dist[0..nd) (0: the aspatial index), rounding the sums when `rounded`, on
 * `threads` threads (the result does not depend on them). */
sg_status sg__profile_compute(sg_ctx *ctx, const sg_spatial *sp, const double *x, const double *t, const double *m,
                              size_t k, const double *dist, size_t nd, int kernel, int rounded, int threads,
                              sg_profile **out);
/* The profile of d under its options (--scales ...); *out NULL without --scales. */
sg_status sg__profile(sg_ctx *ctx, const sg_data *d, sg_profile **out);
void sg__profile_free(sg_profile *p);
/* summary.json -> profile (a json_object). */
void *sg__profile_json(const sg_profile *p);

#endif
