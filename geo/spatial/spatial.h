/* geo/spatial/: geometry-derived data of the spatial index families, built
 * once per run from sg_data and stored in sg_data.sp.
 *
 *   spatial.c          areas, perimeters, centroids, STRtrees, kNN and
 *                      distance-band weights, islands, the build
 *   centre_kernel.c    the centre for centralization, the clustering kernel's setup
 *   contiguity.c       queen, rook and boundary-length weights (CSR), GEOS pairs
 *   contiguity_fast.c  the exact shared-vertex/edge test of contiguity
 *   kernel.c           the exp kernel over a uniform grid of centroids
 *   kernel_lattice.c   the exp kernel on a regular lattice of centroids (FFT)
 * spatial_internal.h: what only files of spatial/ share (no other folder
 * includes it).
 *
 * Everything here depends only on the geometry of the used districts and the
 * options, never on the counts: the families read it and do count arithmetic
 * only, so that a permutation test can re-run them cheaply on shuffled
 * counts. Index i is the i-th used district (sg_data order); sg_data.index[i]
 * is its city index. All lengths are metres and areas m² of the working CRS. */
#ifndef SEGGAP_GEO_SPATIAL_H
#define SEGGAP_GEO_SPATIAL_H

#include <math.h>
#include <stdint.h>

#include "read/read.h"

/* ---- what the compute stages work on (filled in by analyze/analyze.c) ---- */
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
                                  weights), or NULL; see below */
    int replicate;             /* 1 in a permutation/bootstrap replicate: only the globals
                                  are read, families may skip their per-district columns */
    const struct sg_prec *by_share; /* two-group districts as (x/t, t, x) by share, or NULL:
                                  built once for evenness and multigroup (families.c) */
    unsigned spatial_skip;     /* SG_SP_SKIP_*: parts sg__spatial_build leaves out because
                                  no selected family reads them (0: build every part) */
} sg_data;
enum { SG_SP_SKIP_CONTIG = 1u, SG_SP_SKIP_POINTS = 2u, SG_SP_SKIP_CENTRE = 4u, SG_SP_SKIP_KERNEL = 8u };



/* Size limits of the O(N²) computations. Above them the index is skipped with
 * a warning (W_SKIPPED) or, for --distance-kernel pysal, refused with a usage
 * error: the dense matrix would not fit in memory or time. */
#define SG_SPP_MAX_N 20000       /* spatial proximity profile: BFS from every unit */
#define SG_DISTORTION_MAX_N 20000 /* local distortion: one sort per unit */
#define SG_PYSAL_KERNEL_MAX_N 20000
#define SG_PYSAL_DENSE_MAX_N 4096 /* the PySAL kernel is kept as a dense matrix up to
                                     this size (128 MB), computed row by row above */
/* Pairs whose exp kernel is below this are ignored: d > h ln(1e6) ≈ 13.8 h. */
#define SG_KERNEL_CUTOFF 1e-6
/* The exp kernel is computed pair by pair in each run of the clustering family
 * (a streaming pass over a grid of the centroids, O(N k) time, O(N) memory);
 * when its pairs take at most this many bytes (12 per pair) they are kept
 * from the build instead, which makes repeated runs (permutations) cheaper.
 * Both give bit-identical results. */
#define SG_KERNEL_STORE_BYTES ((size_t)256 << 20)
/* Above this many pairs within the cut-off (hours of work) the clustering
 * family is skipped with a warning (W_SKIPPED): use a smaller bandwidth. */
#define SG_KERNEL_MAX_PAIRS 20000000000.0
/* The lattice path of the exp kernel (kernel_lattice.c): centroids within
 * dev of a regular lattice with 2 sqrt(2) dev / h at most SG_KLAT_DEV (the
 * relative error of a weight it may cause), a padded lattice of at most
 * SG_KLAT_MAX_CELLS cells (16 bytes each, twice, plus 8). */
#define SG_KLAT_DEV 1e-11
#define SG_KLAT_MAX_CELLS 16777216.0

/* Sparse weights in CSR form: the neighbours of i are nb[off[i] .. off[i+1]-1],
 * ascending, with weights w[...] (w NULL: binary, every weight 1). When
 * `upper` is set only the pairs j > i of a symmetric matrix are stored. */
typedef struct sg_weights {
    size_t n;
    size_t *off;  /* n + 1 */
    uint32_t *nb; /* off[n] */
    double *w;    /* off[n], or NULL */
    int upper;
} sg_weights;

void sg__weights_free(sg_weights *w);
/* Number of stored entries. */
static inline size_t sg__weights_nnz(const sg_weights *w) { return w->off ? w->off[w->n] : 0; }

typedef enum sg_kernel_kind { SG_KERNEL_EXP = 0, SG_KERNEL_PYSAL = 1 } sg_kernel_kind;

struct sg_spatial {
    size_t n;
    double *area, *perim;       /* GEOS area and length (all rings) */
    double *cx, *cy;            /* GEOS centroids */
    GEOSGeometry **centroid;    /* the centroids as points (owned), or NULL */
    size_t *item;               /* item[i] = i: the payload of both trees */
    GEOSSTRtree *tree;          /* district envelopes (contiguity), or NULL */
    GEOSSTRtree *ctree;         /* centroids (kNN and distance bands of the local
                                   statistics), or NULL; see sg__spatial_build */

    sg_weights queen;           /* binary; GEOS intersects (CONVENTIONS A6) */
    sg_weights rook;            /* binary; shared boundary of positive length */
    sg_weights blen;            /* shared boundary length b_ij (m), rook pattern */
    size_t *islands;            /* used districts without a queen neighbour */
    size_t nislands;
    size_t nrook_islands;       /* districts without a shared boundary of positive length */
    struct sg_overlap *overlap; /* pairs whose intersection has an area (contiguity's GEOS path) */
    size_t noverlap;

    /* Centralization: the centre in the working CRS and the units sorted by
     * the distance of their centroid to it. */
    double centre_x, centre_y;
    char *centre_detail;
    size_t *centre_order;
    /* Concentration: units sorted by area, ascending and descending. */
    size_t *area_asc, *area_desc;
    double area_total;

    /* Clustering kernel c_ij. */
    sg_kernel_kind kernel;
    int kernel_skipped;         /* exp: too many pairs for one run (warned at the build) */
    double h;                   /* exp: bandwidth (m) */
    double kcut;                /* exp: the cut-off distance h ln(1/SG_KERNEL_CUTOFF) (m) */
    char *kernel_detail;
    struct sg_kgrid *kgrid;     /* exp: centroid grid for the pass over the pairs (spatial.c) */
    struct sg_klat *klat;       /* exp: the lattice FFT path (kernel_lattice.c), or NULL;
                                   used instead of kgrid when set */
    double *kdiag;              /* c_ii */
    double ksum;                /* pysal: sum of c_ij over all ordered pairs, diagonal included */
    double *colsum;             /* pysal: S_j = sum_k d_jk */
    double *dense;              /* pysal: n x n c_ij, or NULL when n > SG_PYSAL_DENSE_MAX_N */
};
typedef struct sg_spatial sg_spatial;

/* sg__spatial_build builds the spatial data of the
 * used districts of d: areas, perimeters, centroids, trees, queen/rook/
 * boundary-length weights, centre, kernel. Islands are reported as warnings
 * (W_ISLAND). On error *out is NULL. sg__spatial_free accepts NULL.
 * The families only read it, from several threads at once (permute.c): it
 * must never be modified after the build. */
sg_status sg__spatial_build(sg_ctx *ctx, const sg_data *d, struct sg_spatial **out);
void sg__spatial_free(sg_ctx *ctx, struct sg_spatial *sp);

/* The products of the exp kernel (sp->kernel == SG_KERNEL_EXP, not skipped)
 * with the counts: cx_i = sum_j c_ij x_j, cy with y = t - x, ct with t,
 * diagonal included; *ksum = sum of c_ij over all ordered pairs and the
 * diagonal; *npairs = pairs i < j within the cut-off. Runs on `threads`
 * threads (0: all cores); the result does not depend on their number. */
sg_status sg__kernel_exp_products(sg_ctx *ctx, const sg_spatial *sp, const double *x, const double *t,
                                  int threads, double *cx, double *cy, double *ct, double *ksum, size_t *npairs);

/* The centroid grid of the exp kernel (kernel.c): built from sp's
 * centroids for bandwidth h and cut-off dmax; keeps the pairs when they take
 * at most store_bytes (the build passes SG_KERNEL_STORE_BYTES). */
struct sg_kgrid;
sg_status sg__kgrid_build(sg_ctx *ctx, const sg_spatial *sp, double h, double dmax, int threads,
                          size_t store_bytes, struct sg_kgrid **out);
void sg__kgrid_free(struct sg_kgrid *K);
double sg__kgrid_est_pairs(const struct sg_kgrid *K); /* an upper bound of the pairs within dmax */
int sg__kgrid_stored(const struct sg_kgrid *K);
/* The lattice path (kernel_lattice.c): *out = NULL (and SG_OK) when the
 * centroids are not on a regular lattice within SG_KLAT_DEV, the padded
 * lattice is too large, or (unless force) the pair pass is cheaper. */
struct sg_klat;
sg_status sg__klat_build(sg_ctx *ctx, const sg_spatial *sp, double h, double dmax, int threads, int force,
                         struct sg_klat **out);
void sg__klat_free(struct sg_klat *L);
/* Spacing, padded size, largest deviation from the lattice, and the FFT
 * term of the error bound per unit of ||v||_2 (README). */
void sg__klat_info(const struct sg_klat *L, double *dx, double *dy, size_t *px, size_t *py, double *dev,
                   double *bound);
/* As sg__kernel_exp_products, by FFT convolution on the lattice. */
sg_status sg__klat_products(sg_ctx *ctx, const struct sg_klat *L, const double *kdiag, const double *x,
                            const double *t, int threads, double *cx, double *cy, double *ct, double *ksum,
                            size_t *npairs);
/* w[k] = exp(-sqrt(d2[k]) / h) as the kernel computes it (kernel.c):
 * path 0 = the one the CPU allows (AVX when present), 1 = SSE2, 2 = AVX.
 * Returns the path used (0 when AVX was asked for and is not available). */
int sg__kernel_weights(const double *d2, double *w, size_t m, double h, int path);

/* The snap tolerance of contiguity in metres (--snap-tolerance; options
 * without it: 0, exact): two districts closer than this touch, vertices
 * closer than this are one, so that neighbours whose common edges differ by
 * rounding (an ulp of a longitude, a reprojection) are still neighbours. */
static inline double sg__snap_tolerance(const sg_options *o) { return o && o->snap_tolerance > 0 ? o->snap_tolerance : 0; }

/* Contiguity of the used districts of d (sp from sg__spatial_build: areas and
 * the district STRtree): queen, rook and boundary-length weights. geos_only
 * = 0 is the build's method (shared vertices and edges compared exactly, GEOS
 * for the pairs where that is not conclusive); geos_only = 1 asks GEOS for
 * every pair (the reference the fast path is tested against). *fast and
 * *slow (may be NULL) count the candidate pairs decided each way. */
sg_status sg__contiguity(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, sg_weights *queen,
                         sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow);
/* Two used districts whose intersection has an area (i < j). */
typedef struct sg_overlap {
    uint32_t i, j;
    double area; /* m² */
} sg_overlap;
/* sg__contiguity that also returns the overlapping pairs (*ov, *nov; the
 * caller frees *ov): what GEOS's intersection of each pair it computes
 * anyway tells (pairs the shared-vertex path settles cannot overlap). */
sg_status sg__contiguity_ov(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, sg_weights *queen,
                            sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow, sg_overlap **ov,
                            size_t *nov);
/* The overlapping pairs alone (no weights), as sg__contiguity_ov finds them
 * but cheaper: GEOS relate ("2********") decides which of the pairs that
 * intersect overlap, and only those are intersected for their area. */
sg_status sg__overlap_pairs(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, sg_overlap **ov, size_t *nov);

/* Overlapping districts (issue 16 item 16, overlap.c): the people in an
 * overlap count in both districts. Pairs whose overlap is more than
 * SG_OVERLAP_SHARE of the smaller district and more than SG_OVERLAP_MIN_M2
 * are reported: W_OVERLAP with the ids, the area, its share of each and the
 * population counted twice (estimated as the share of area times the total,
 * as if people were spread evenly), E_OVERLAP under --strict (the run
 * fails). Uses the pairs of sp's contiguity when it was built (no extra
 * GEOS work), else runs the contiguity pass for them alone. Once per run,
 * on the whole city (analyze.c), never on the regions of --by. */
#define SG_OVERLAP_SHARE 1e-6
#define SG_OVERLAP_MIN_M2 1.0
sg_status sg__overlaps(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp);

/* k nearest neighbours by centroid distance (ties by index), self excluded;
 * binary weights. */
sg_status sg__weights_knn(sg_ctx *ctx, const sg_spatial *sp, size_t k, sg_weights *out);
/* Distance band on centroids: the j != i with d_ij <= dmax. Weight 1 when
 * decay_h <= 0, else exp(-d_ij / decay_h). `upper` stores only j > i. */
sg_status sg__weights_distance(sg_ctx *ctx, const sg_spatial *sp, double dmax, double decay_h, int upper,
                               sg_weights *out);

/* Row i of the PySAL kernel, c_ij = 1 - exp(-d_ij / S_j), c_ii = 1 - exp(-sqrt(0.6 a_i)),
 * into row[0..n-1] (or a pointer into the dense matrix). */
const double *sg__pysal_kernel_row(const sg_spatial *sp, size_t i, double *row);


/* Centroid distance. */
static inline double sg__centroid_dist(const sg_spatial *sp, size_t i, size_t j) {
    double dx = sp->cx[i] - sp->cx[j], dy = sp->cy[i] - sp->cy[j];
    return sqrt(dx * dx + dy * dy);
}

#endif
