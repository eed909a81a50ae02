/* The default clustering kernel c_ij = exp(-d_ij/h) between district
 * centroids, over the pairs within the cut-off d_ij <= h ln(1/SG_KERNEL_CUTOFF)
 * (c_ij >= 1e-6; CONVENTIONS A2, README).
 *
 * The clustering family needs only the products C x, C y, C t and the sum
 * of c, so the pairs need not be kept: a run streams over them. At a million
 * districts and h = 1000 m there are 1.2e9 pairs (2,400 neighbours per
 * district), which would take 14 GB to store.
 *
 * Pairs are found with a uniform grid over the centroids (cells of about an
 * eighth of the cut-off; a point set with a fixed search radius needs no
 * tree): the centroids are sorted by cell, column by column along the longer
 * side of the city ("grid order"), so that the cells of one column that a
 * disc meets are one contiguous run. Each pair is visited once, from the
 * district that comes first in grid order, and adds to both districts
 * (c is symmetric), so a run costs N k / 2 exponentials.
 *
 * Threads: columns are grouped in strips at least as wide as the cut-off, so
 * a row of strip s only touches strips s and s + 1. The even strips run in
 * parallel, then the odd ones; within a strip the rows run in order. Every
 * sum therefore receives its terms in one fixed order whatever the number of
 * threads, and the result is bit-identical for any --threads.
 *
 * Small cities (at most SG_KERNEL_STORE_BYTES of pairs, 12 bytes each) keep
 * the pairs from the build, in the same order, so that repeated runs
 * (permutations) skip the exponentials; the sums are the same, bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SG_KERNEL_AVX 1 /* a 4-wide path, chosen at run time when the CPU has AVX */
#else
#define SG_KERNEL_AVX 0
#endif

#define KG_CELLS_PER_CUT 8.0 /* cell side = reach / 8 */

struct sg_kgrid {
    size_t n;
    int swap;               /* 1: columns run along y (the longer side) */
    double u0, v0, s;       /* grid origin and cell side, in (major, minor) coordinates */
    size_t nmaj, nmin;      /* columns, rows */
    uint32_t *start;        /* nmaj * nmin + 1: first grid position of each cell */
    uint32_t *order;        /* grid position -> district */
    double *u, *v;          /* centroid coordinates by grid position */
    size_t W, nstrips;      /* strip width (columns), strips */
    double dmax, reach, h;  /* cut-off, search radius (cut-off + margin), bandwidth */
    double d2max;           /* the largest d² whose square root is at most dmax */
    double ninv;            /* -1 / h */
    int avx;                /* the AVX path of the weights */
    double est_pairs;       /* an upper bound of the pairs within the cut-off */
    /* pairs kept from the build (upper, grid positions), or off == NULL */
    size_t *off;
    uint32_t *nb;
    double *w;
    size_t npairs;
};

void sg__kgrid_free(struct sg_kgrid *K) {
    if (!K) return;
    free(K->start);
    free(K->order);
    free(K->u);
    free(K->v);
    free(K->off);
    free(K->nb);
    free(K->w);
    free(K);
}

static size_t cell_of(double c, double c0, double s, size_t nc) {
    double f = floor((c - c0) / s);
    if (!(f > 0)) return 0;
    if (f >= (double)(nc - 1)) return nc - 1;
    return (size_t)f;
}

/* The runs of grid positions that row g must visit: columns ci..ci+W, the
 * rows of each that the disc of radius `reach` around the point meets. In the
 * point's own column the run starts after g. Returns the number of runs. */
typedef struct krun {
    uint32_t a, b;
} krun;

static size_t row_runs(const struct sg_kgrid *K, size_t g, krun *runs) {
    double ui = K->u[g], vi = K->v[g], R = K->reach;
    size_t ci = cell_of(ui, K->u0, K->s, K->nmaj), last = cell_of(ui + R, K->u0, K->s, K->nmaj), nr = 0;
    if (last > ci + K->W) last = ci + K->W;
    for (size_t c = ci; c <= last; c++) {
        double du = c == ci ? 0 : K->u0 + (double)c * K->s - ui;
        if (du > R) break;
        double hh = sqrt(R * R - du * du);
        size_t lo = cell_of(vi - hh, K->v0, K->s, K->nmin), hi = cell_of(vi + hh, K->v0, K->s, K->nmin);
        uint32_t a = K->start[c * K->nmin + lo], b = K->start[c * K->nmin + hi + 1];
        if (c == ci && a < g + 1) a = (uint32_t)(g + 1);
        if (a < b) runs[nr++] = (krun){a, b};
    }
    return nr;
}

/* The pairs of row g within the cut-off: partners (grid positions, ascending)
 * and distances. Buffers grow as needed; returns the count or (size_t)-1
 * when out of memory. */
typedef struct kbuf {
    krun *runs;
    uint32_t *nb;
    double *d, *w;
    size_t cap;
} kbuf;

static void kbuf_free(kbuf *b) {
    free(b->runs);
    free(b->nb);
    free(b->d);
    free(b->w);
}

static size_t row_pairs(const struct sg_kgrid *K, size_t g, kbuf *B) {
    size_t nr = row_runs(K, g, B->runs), need = 0;
    for (size_t r = 0; r < nr; r++) need += B->runs[r].b - B->runs[r].a;
    if (need > B->cap) {
        size_t cap = need + need / 2 + 4;
        uint32_t *nb = sg__reallocarray(B->nb, cap, sizeof *nb);
        if (nb) B->nb = nb;
        double *d = nb ? sg__reallocarray(B->d, cap, sizeof *d) : NULL;
        if (d) B->d = d;
        double *w = d ? sg__reallocarray(B->w, cap, sizeof *w) : NULL;
        if (w) B->w = w;
        if (!w) return (size_t)-1;
        B->cap = cap;
    }
    double ui = K->u[g], vi = K->v[g], d2max = K->d2max;
    const double *u = K->u, *v = K->v;
    uint32_t *nb = B->nb;
    double *dd = B->d;
    size_t m = 0;
    for (size_t r = 0; r < nr; r++)
        for (uint32_t p = B->runs[r].a; p < B->runs[r].b; p++) {
            /* sqrt(du² + dv²) <= dmax exactly when du² + dv² <= d2max */
            double du = ui - u[p], dv = vi - v[p], d2 = du * du + dv * dv;
            nb[m] = p;
            dd[m] = d2;
            m += d2 <= d2max;
        }
    return m;
}

/* ---- w = exp(-sqrt(d2) / h) for d <= h ln(1e6), several at a time ----
 * exp(x) for x in [-13.9, 0]: x = k ln 2 + r (Cody-Waite, |r| <= ln 2 / 2),
 * exp(r) by its Taylor polynomial of degree 13 (truncation below 1e-17;
 * the high terms by Estrin's scheme, which shortens the dependency chain),
 * times 2^k built in the exponent bits; within 1.2 ulp of the exact value
 * (glibc's exp is within 0.5 ulp; measured over 4 million arguments). The
 * same operations lane by lane on 2 (SSE2) or 4 (AVX) doubles, without FMA,
 * so both give the same bits. */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2i __attribute__((vector_size(16)));
#define VEXP_BODY(VD, VI)                                                                                           \
    VD t = x * 1.4426950408889634 + 6755399441055744.0; /* + 1.5 * 2^52: rounds x / ln 2 to an integer k */   \
    VD k = t - 6755399441055744.0;                                                                              \
    VD r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;                               \
    /* the terms r^4 .. r^13 (below 6e-4 of the sum) by Estrin's scheme, the first four by Horner's */          \
    VD r2 = r * r, r4 = r2 * r2;                                                                                \
    VD a45 = r * (1.0 / 120) + 1.0 / 24, a67 = r * (1.0 / 5040) + 1.0 / 720;                                    \
    VD a89 = r * (1.0 / 362880) + 1.0 / 40320, aab = r * (1.0 / 39916800) + 1.0 / 3628800;                      \
    VD acd = r * (1.0 / 6227020800.0) + 1.0 / 479001600;                                                        \
    VD hi = ((acd * r4 + (aab * r2 + a89)) * r4 + (a67 * r2 + a45));                                            \
    VD p = hi * r + 1.0 / 6;                                                                                    \
    p = p * r + 0.5;                                                                                            \
    p = p * r + 1.0;                                                                                            \
    p = p * r + 1.0;                                                                                            \
    VI e = ((VI)t + 1023) << 52; /* the low bits of t hold k */                                                 \
    return p * (VD)e;

static inline v2d vexp2(v2d x) { VEXP_BODY(v2d, v2i) }

static inline v2d vsqrt2(v2d a) {
#if defined(__SSE2__)
    return (v2d)_mm_sqrt_pd((__m128d)a);
#else
    v2d s = {sqrt(a[0]), sqrt(a[1])};
    return s;
#endif
}

static void weights_v2(const double *d2, double *w, size_t m, double ninv) {
    size_t k = 0;
    for (; k + 2 <= m; k += 2) {
        v2d a;
        memcpy(&a, d2 + k, sizeof a);
        v2d o = vexp2(vsqrt2(a) * ninv);
        memcpy(w + k, &o, sizeof o);
    }
    if (k < m) {
        v2d a = {d2[k], 0};
        w[k] = vexp2(vsqrt2(a) * ninv)[0];
    }
}

#if SG_KERNEL_AVX
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));
__attribute__((target("avx"))) static inline v4d vexp4(v4d x) { VEXP_BODY(v4d, v4i) }

__attribute__((target("avx"))) static void weights_v4(const double *d2, double *w, size_t m, double ninv) {
    size_t k = 0;
    for (; k + 4 <= m; k += 4) {
        v4d a;
        memcpy(&a, d2 + k, sizeof a);
        v4d o = vexp4((v4d)_mm256_sqrt_pd((__m256d)a) * ninv);
        memcpy(w + k, &o, sizeof o);
    }
    for (; k < m; k++) {
        v4d a = {d2[k], 0, 0, 0};
        w[k] = vexp4((v4d)_mm256_sqrt_pd((__m256d)a) * ninv)[0];
    }
}
#endif

int sg__kernel_weights(const double *d2, double *w, size_t m, double h, int path) {
    double ninv = -1.0 / h;
#if SG_KERNEL_AVX
    if (path != 1 && __builtin_cpu_supports("avx")) {
        weights_v4(d2, w, m, ninv);
        return 2;
    }
#endif
    if (path == 2) return 0;
    weights_v2(d2, w, m, ninv);
    return 1;
}

static void row_weights(const struct sg_kgrid *K, const double *d2, double *w, size_t m) {
#if SG_KERNEL_AVX
    if (K->avx) {
        weights_v4(d2, w, m, K->ninv);
        return;
    }
#endif
    weights_v2(d2, w, m, K->ninv);
}

/* ---- the grid ---- */
typedef struct store_job {
    struct sg_kgrid *K;
    size_t *cnt; /* pairs per grid position (count pass), NULL in the fill pass */
} store_job;

static int store_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    store_job *J = user;
    struct sg_kgrid *K = J->K;
    kbuf B = {0};
    B.runs = malloc((K->W + 1) * sizeof *B.runs);
    int rc = B.runs ? 0 : -1;
    for (size_t g = b; g < e && rc == 0; g++) {
        size_t m = row_pairs(K, g, &B);
        if (m == (size_t)-1) {
            rc = -1;
            break;
        }
        if (J->cnt) {
            J->cnt[g] = m;
            continue;
        }
        if (!m) continue;
        memcpy(K->nb + K->off[g], B.nb, m * sizeof *B.nb);
        row_weights(K, B.d, K->w + K->off[g], m);
    }
    kbuf_free(&B);
    return rc;
}

/* Grid order, strips, the estimate of pairs, and the stored pairs when they
 * are few enough. */
sg_status sg__kgrid_build(sg_ctx *ctx, const sg_spatial *sp, double h, double dmax, int threads,
                          size_t store_bytes, struct sg_kgrid **out) {
    *out = NULL;
    size_t n = sp->n;
    struct sg_kgrid *K = calloc(1, sizeof *K);
    if (!K) return sg__nomem(ctx);
    K->n = n;
    K->h = h;
    K->dmax = dmax;
    K->reach = dmax * (1 + 1e-6) + 1e-6; /* rounding of cell bounds is far below this margin */
    K->ninv = -1.0 / h;
    /* sqrt is correctly rounded and monotone: sqrt(x) <= dmax iff x <= d2max. */
    double q2 = dmax * dmax;
    while (sqrt(q2) > dmax) q2 = nextafter(q2, 0);
    while (sqrt(nextafter(q2, INFINITY)) <= dmax) q2 = nextafter(q2, INFINITY);
    K->d2max = q2;
#if SG_KERNEL_AVX
    K->avx = __builtin_cpu_supports("avx") != 0;
#endif
    double b[4];
    sg__bbox_xy(sp->cx, sp->cy, n, b);
    double x0 = n ? b[0] : 0, y0 = n ? b[1] : 0, x1 = n ? b[2] : 0, y1 = n ? b[3] : 0;
    K->swap = (y1 - y0) > (x1 - x0);
    K->u0 = K->swap ? y0 : x0;
    K->v0 = K->swap ? x0 : y0;
    double eu = (K->swap ? y1 - y0 : x1 - x0), ev = (K->swap ? x1 - x0 : y1 - y0);
    /* Cells of reach/8, but at most about 2 N + 64 of them. */
    double s = K->reach / KG_CELLS_PER_CUT, cap = 2.0 * (double)n + 64;
    if ((eu / s + 1) * (ev / s + 1) > cap) s = fmax(s, sqrt(eu * ev / cap) + fmax(eu, ev) / cap);
    if (!(s > 0) || !isfinite(s)) s = 1;
    K->s = s;
    K->nmaj = (size_t)fmin(floor(eu / s) + 1, 1e8);
    K->nmin = (size_t)fmin(floor(ev / s) + 1, 1e8);
    K->W = (size_t)ceil(K->reach / s) + 1;
    K->nstrips = (K->nmaj + K->W - 1) / K->W;
    size_t ncell = K->nmaj * K->nmin;
    K->start = calloc(ncell + 1, sizeof *K->start);
    K->order = malloc((n ? n : 1) * sizeof *K->order);
    K->u = malloc((n ? n : 1) * sizeof *K->u);
    K->v = malloc((n ? n : 1) * sizeof *K->v);
    uint32_t *cell = malloc((n ? n : 1) * sizeof *cell);
    if (!K->start || !K->order || !K->u || !K->v || !cell) {
        free(cell);
        sg__kgrid_free(K);
        return sg__nomem(ctx);
    }
    /* counting sort by cell; within a cell by district index */
    for (size_t i = 0; i < n; i++) {
        double pu = K->swap ? sp->cy[i] : sp->cx[i], pv = K->swap ? sp->cx[i] : sp->cy[i];
        size_t c = cell_of(pu, K->u0, s, K->nmaj) * K->nmin + cell_of(pv, K->v0, s, K->nmin);
        cell[i] = (uint32_t)c;
        K->start[c + 1]++;
    }
    for (size_t c = 0; c < ncell; c++) K->start[c + 1] += K->start[c];
    for (size_t i = 0; i < n; i++) {
        uint32_t g = K->start[cell[i]]++;
        K->order[g] = (uint32_t)i;
        K->u[g] = K->swap ? sp->cy[i] : sp->cx[i];
        K->v[g] = K->swap ? sp->cx[i] : sp->cy[i];
    }
    for (size_t c = ncell; c > 0; c--) K->start[c] = K->start[c - 1];
    K->start[0] = 0;
    free(cell);

    /* Upper bound of the pairs: for each cell, the points of the cells a disc
     * from anywhere in it can reach, halved. */
    double est = 0;
    size_t rr = (size_t)ceil(K->reach / s) + 1;
    for (size_t c = 0; c < K->nmaj; c++)
        for (size_t r = 0; r < K->nmin; r++) {
            size_t k = K->start[c * K->nmin + r + 1] - K->start[c * K->nmin + r];
            if (!k) continue;
            size_t c0 = c > rr ? c - rr : 0, c1 = c + rr < K->nmaj ? c + rr : K->nmaj - 1;
            double reach_pts = 0;
            for (size_t q = c0; q <= c1; q++) {
                size_t dc = q > c ? q - c : c - q;
                double du = dc > 1 ? (double)(dc - 1) * s : 0;
                if (du > K->reach) continue;
                size_t dr = (size_t)ceil(sqrt(K->reach * K->reach - du * du) / s) + 1;
                size_t lo = r > dr ? r - dr : 0, hi = r + dr < K->nmin ? r + dr : K->nmin - 1;
                reach_pts += (double)(K->start[q * K->nmin + hi + 1] - K->start[q * K->nmin + lo]);
            }
            est += (double)k * reach_pts;
        }
    K->est_pairs = est / 2;

    /* Keep the pairs when they are few. */
    if (K->est_pairs * (sizeof(uint32_t) + sizeof(double)) <= (double)store_bytes && n) {
        size_t *cnt = malloc(n * sizeof *cnt);
        K->off = malloc((n + 1) * sizeof *K->off);
        if (!cnt || !K->off) {
            free(cnt);
            sg__kgrid_free(K);
            return sg__nomem(ctx);
        }
        store_job J = {K, cnt};
        sg_status st = sg__parallel(ctx, n, threads, 1024, store_range, &J);
        if (st == SG_OK) {
            K->off[0] = 0;
            for (size_t g = 0; g < n; g++) K->off[g + 1] = K->off[g] + cnt[g];
            K->npairs = K->off[n];
            K->nb = malloc((K->npairs ? K->npairs : 1) * sizeof *K->nb);
            K->w = malloc((K->npairs ? K->npairs : 1) * sizeof *K->w);
            if (!K->nb || !K->w) st = sg__nomem(ctx);
        }
        free(cnt);
        J.cnt = NULL;
        if (st == SG_OK) st = sg__parallel(ctx, n, threads, 1024, store_range, &J);
        if (st != SG_OK) {
            sg__kgrid_free(K);
            return st;
        }
    }
    *out = K;
    return SG_OK;
}

double sg__kgrid_est_pairs(const struct sg_kgrid *K) { return K ? K->est_pairs : 0; }
int sg__kgrid_stored(const struct sg_kgrid *K) { return K && K->off; }

/* ---- a run ---- */
typedef struct pass_job {
    const struct sg_kgrid *K;
    const double *xg, *yg, *tg; /* counts by grid position */
    double *ax, *ay, *at;       /* products by grid position */
    sg_ksum *strip_w;           /* per strip: sum of the weights of its rows */
    size_t *strip_n;            /* per strip: pairs */
    size_t parity;
} pass_job;

static int pass_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    pass_job *J = user;
    const struct sg_kgrid *K = J->K;
    const double *xg = J->xg, *yg = J->yg, *tg = J->tg;
    double *ax = J->ax, *ay = J->ay, *at = J->at;
    kbuf B = {0};
    if (!K->off && !(B.runs = malloc((K->W + 1) * sizeof *B.runs))) return -1;
    int rc = 0;
    for (size_t q = b; q < e && rc == 0; q++) {
        size_t S = 2 * q + J->parity;
        size_t cb = S * K->W, ce = cb + K->W < K->nmaj ? cb + K->W : K->nmaj;
        sg_ksum sws = {0, 0};
        size_t np = 0;
        for (size_t g = K->start[cb * K->nmin]; g < K->start[ce * K->nmin]; g++) {
            const uint32_t *nb;
            const double *w;
            size_t m;
            if (K->off) {
                nb = K->nb + K->off[g];
                w = K->w + K->off[g];
                m = K->off[g + 1] - K->off[g];
            } else {
                m = row_pairs(K, g, &B);
                if (m == (size_t)-1) {
                    rc = -1;
                    break;
                }
                row_weights(K, B.d, B.w, m);
                nb = B.nb;
                w = B.w;
            }
            /* two partial sums of each kind, so that the additions overlap */
            double xi = xg[g], yi = yg[g], ti = tg[g];
            double sx0 = 0, sy0 = 0, st0 = 0, sw0 = 0, sx1 = 0, sy1 = 0, st1 = 0, sw1 = 0;
            size_t k = 0;
            for (; k + 2 <= m; k += 2) {
                uint32_t j0 = nb[k], j1 = nb[k + 1];
                double w0 = w[k], w1 = w[k + 1];
                sx0 += w0 * xg[j0];
                sx1 += w1 * xg[j1];
                sy0 += w0 * yg[j0];
                sy1 += w1 * yg[j1];
                st0 += w0 * tg[j0];
                st1 += w1 * tg[j1];
                sw0 += w0;
                sw1 += w1;
                ax[j0] += w0 * xi;
                ay[j0] += w0 * yi;
                at[j0] += w0 * ti;
                ax[j1] += w1 * xi;
                ay[j1] += w1 * yi;
                at[j1] += w1 * ti;
            }
            if (k < m) {
                uint32_t j0 = nb[k];
                double w0 = w[k];
                sx0 += w0 * xg[j0];
                sy0 += w0 * yg[j0];
                st0 += w0 * tg[j0];
                sw0 += w0;
                ax[j0] += w0 * xi;
                ay[j0] += w0 * yi;
                at[j0] += w0 * ti;
            }
            double sw = sw0 + sw1;
            ax[g] += sx0 + sx1;
            ay[g] += sy0 + sy1;
            at[g] += st0 + st1;
            sg__ksum_add(&sws, sw);
            np += m;
        }
        J->strip_w[S] = sws;
        J->strip_n[S] = np;
    }
    kbuf_free(&B);
    return rc;
}

sg_status sg__kernel_exp_products(sg_ctx *ctx, const sg_spatial *sp, const double *x, const double *t,
                                  int threads, double *cx, double *cy, double *ct, double *ksum, size_t *npairs) {
    const struct sg_kgrid *K = sp->kgrid;
    if (sp->kernel == SG_KERNEL_EXP && !sp->kernel_skipped && sp->klat)
        return sg__klat_products(ctx, sp->klat, sp->kdiag, x, t, threads, cx, cy, ct, ksum, npairs);
    if (sp->kernel != SG_KERNEL_EXP || sp->kernel_skipped || !K)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                         "the exp kernel was not built for this run");
    size_t n = sp->n;
    double *buf = malloc((6 * n + 1) * sizeof *buf);
    sg_ksum *sw = calloc(K->nstrips + 1, sizeof *sw);
    size_t *sn = calloc(K->nstrips + 1, sizeof *sn);
    if (!buf || !sw || !sn) {
        free(buf);
        free(sw);
        free(sn);
        return sg__nomem(ctx);
    }
    double *xg = buf, *yg = xg + n, *tg = yg + n, *ax = tg + n, *ay = ax + n, *at = ay + n;
    for (size_t g = 0; g < n; g++) {
        size_t i = K->order[g];
        double kd = sp->kdiag[i];
        xg[g] = x[i];
        tg[g] = t[i];
        yg[g] = t[i] - x[i];
        ax[g] = kd * xg[g];
        ay[g] = kd * yg[g];
        at[g] = kd * tg[g];
    }
    pass_job J = {K, xg, yg, tg, ax, ay, at, sw, sn, 0};
    sg_status st = SG_OK;
    for (size_t p = 0; p < 2 && st == SG_OK; p++) {
        J.parity = p;
        size_t ns = K->nstrips > p ? (K->nstrips - p + 1) / 2 : 0;
        st = sg__parallel(ctx, ns, threads, 1, pass_range, &J);
    }
    if (st == SG_OK) {
        for (size_t g = 0; g < n; g++) {
            size_t i = K->order[g];
            cx[i] = ax[g];
            cy[i] = ay[g];
            ct[i] = at[g];
        }
        sg_ksum tot = {0, 0}, ws = {0, 0};
        for (size_t i = 0; i < n; i++) sg__ksum_add(&tot, sp->kdiag[i]);
        size_t np = 0;
        for (size_t S = 0; S < K->nstrips; S++) {
            sg__ksum_add(&ws, sg__ksum_get(&sw[S]));
            np += sn[S];
        }
        sg__ksum_add(&tot, 2 * sg__ksum_get(&ws));
        *ksum = sg__ksum_get(&tot);
        *npairs = np;
    }
    free(buf);
    free(sw);
    free(sn);
    return st;
}
