/* geo/spatial/ internals: what files of spatial/ share with each other and no
 * later folder needs. Included only by files of spatial/ (spatial.h says it
 * exists). */
#ifndef SEGGAP_GEO_SPATIAL_INTERNAL_H
#define SEGGAP_GEO_SPATIAL_INTERNAL_H

#include "spatial/spatial.h"

/* ---- the build's parts (spatial.c, centre_kernel.c) ---- */
/* order[0..n-1] = indices sorted by key ascending (descending: by -key),
 * ties by index: a stable LSD radix sort on the keys' bits mapped to
 * unsigned integers in the order of the values (-0 taken as +0), as qsort
 * with cmp_keyed gives, in O(n) (qsort of a million keys took 0.3 s).
 * Returns 0 when out of memory. */
int sg__sort_by_key(const double *key, size_t n, int descending, size_t *order);
/* The centre for centralization and sp->centre_order (spatial.centre). */
sg_status sg__spatial_centre(sg_ctx *ctx, const sg_data *d, sg_spatial *sp);
/* The clustering kernel: exp (bandwidth, cut-off, grid) or PySAL's (spatial.kernel). */
sg_status sg__spatial_kernel(sg_ctx *ctx, const sg_data *d, sg_spatial *sp);

/* ---- contiguity's exact fast path (contiguity_fast.c, for contiguity.c) ---- */
enum { SG_PAIR_NONE = 0, SG_PAIR_TOUCH = 1, SG_PAIR_UNSURE = 2 };

/* The districts' coordinates. */
typedef struct sg_cring {
    size_t c0;  /* first point in the coordinate array */
    uint32_t n; /* points, the closing one included: edges k = (p[k], p[k+1]), k < n - 1 */
} sg_cring;

typedef struct sg_cpoly {
    size_t r0;          /* first ring */
    uint32_t nr;        /* rings */
    uint32_t nv;        /* vertices (closing points excluded) */
    double x0, y0, x1, y1; /* envelope */
    int complex;        /* always asks GEOS */
} sg_cpoly;

typedef struct sg_cgeo {
    size_t n;
    sg_cpoly *poly;
    sg_cring *ring;
    double *xy; /* x, y pairs */
    size_t *ncoord, *nring; /* counts, then prefix offsets (pass 1) */
    double eps;             /* snap tolerance (m): vertices this close are one (sg__snap_tolerance) */
} sg_cgeo;

/* The coordinates of every used district (fast path input). */
sg_status sg__cgeo_build(sg_ctx *ctx, const sg_data *d, int threads, sg_cgeo *G);
void sg__cgeo_free(sg_cgeo *g);
/* The fast test of districts a and b: SG_PAIR_NONE, SG_PAIR_TOUCH with *len,
 * or SG_PAIR_UNSURE (ask GEOS). */
int sg__pair_fast(GEOSContextHandle_t h, const sg_cgeo *G, size_t a, size_t b, double *len);

#endif
