/* The exp kernel on a regular lattice of centroids (a 100 m population grid,
 * with cells possibly missing): C v is then a discrete 2-D convolution of v,
 * placed on the lattice, with the kernel table
 *
 *     T(a, b) = exp(-sqrt((a dx)² + (b dy)²) / h)  when that distance is within
 *               the cut-off (the same rule and the same exp as kernel.c),
 *               0 beyond it and at (0, 0) (the diagonal c_ii is added apart),
 *
 * computed by a zero-padded FFT in O(M log M), M = the padded lattice, whatever
 * the ratio of bandwidth to spacing (kernel.c is O(N k), k ~ 3 (13.8 h)² /
 * (dx dy) partners: hopeless at h = 40 dx).
 *
 * Detection: per axis, the smallest gap between the sorted centroid
 * coordinates gives the spacing, each coordinate is rounded to a lattice
 * index, and the origin and spacing are fitted by least squares; the path is
 * taken only when every centroid lies within dev of its lattice point with
 * 2 sqrt(2) dev / h <= SG_KLAT_DEV (each weight then within that relative
 * error of the one between the true centroids), no two districts share a
 * lattice point, the padded lattice is at most SG_KLAT_MAX_CELLS and the FFT
 * is cheaper than the pair pass. The diagonal c_ii may differ from district
 * to district (it is added apart).
 *
 * Error bound (stated in README): for every district i and vector v,
 *   |computed (C v)_i - (C v)_i| <= 10 log2(M) u ||T||_1 ||v||_2 + SG_KLAT_DEV (C |v|)_i,
 * u = 2^-53 (the first term is the classical bound of FFT convolution,
 * Higham, Accuracy and Stability, sec. 24.1, with a margin: each of the log2 M
 * butterfly levels of the forward and inverse transform adds at most about
 * 2.5 u of the 2-norm, the twiddles are correctly rounded cos/sin). The pair
 * count and the sum of c are exact (from the lattice autocorrelation of the
 * occupied cells, integers rounded after the FFT; the sum of c then by
 * compensated summation).
 *
 * The FFT is a compact iterative radix-2 complex transform written here: none
 * of the project's libraries (GDAL, PROJ, GEOS) provides one and no other
 * library is used. Two real vectors go through one complex transform (x + i y;
 * T is real and even, so its spectrum is real), and C t = C x + C y (its
 * bound is then the sum of theirs: ||x||_2 + ||y||_2 in place of ||v||_2). Lines (rows, then blocks of
 * columns) are transformed in parallel, each line by itself in a fixed order,
 * so the result is bit-identical for any number of threads; sg__parallel
 * checks cancellation between chunks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial.h"

#define KLAT_PI 3.14159265358979323846
#define KLAT_SQRT2 1.41421356237309504880

struct sg_klat {
    size_t n;
    size_t nx, ny, px, py; /* lattice extent, padded (powers of two) */
    double x0, y0, dx, dy, dev;
    size_t *cell;          /* district -> iy * px + ix */
    double *spec;          /* px * py: real spectrum of T, divided by px py */
    double *tw;            /* twiddles cos, sin(-2 pi k / tn), k < tn / 2 */
    size_t tn;
    double ksum_off;       /* sum of c_ij over ordered pairs i != j */
    size_t npairs;         /* pairs i < j within the cut-off */
    double tnorm1;         /* ||T||_1 */
};

void sg__klat_free(struct sg_klat *L) {
    if (!L) return;
    free(L->cell);
    free(L->spec);
    free(L->tw);
    free(L);
}

/* ---- the FFT ---- */
static void fft1(double *a, size_t n, const double *tw, size_t tn, int inv) {
    for (size_t i = 1, j = 0; i < n; i++) { /* bit reversal */
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j |= bit;
        if (i < j) {
            double r = a[2 * i], m = a[2 * i + 1];
            a[2 * i] = a[2 * j];
            a[2 * i + 1] = a[2 * j + 1];
            a[2 * j] = r;
            a[2 * j + 1] = m;
        }
    }
    double sg = inv ? -1.0 : 1.0;
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len >> 1, step = tn / len;
        for (size_t i = 0; i < n; i += len)
            for (size_t k = 0; k < half; k++) {
                double wr = tw[2 * k * step], wi = sg * tw[2 * k * step + 1];
                double *p = a + 2 * (i + k), *q = p + 2 * half;
                double qr = q[0] * wr - q[1] * wi, qi = q[0] * wi + q[1] * wr;
                q[0] = p[0] - qr;
                q[1] = p[1] - qi;
                p[0] += qr;
                p[1] += qi;
            }
    }
}

enum { FFT_FWD = 0, FFT_INV = 1, FFT_CONV = 2, FFT_AUTO = 3 };
#define KLAT_COLS 8 /* columns transformed together (one cache line of each row) */

typedef struct fft_job {
    const sg_ctx *ctx;
    const struct sg_klat *L;
    double *z;
    int mode; /* rows: FFT_FWD/FFT_INV; columns: any */
    size_t head, tail; /* rows: the first head rows and the last tail ones */
} fft_job;

static int rows_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    fft_job *J = user;
    if (sg__cancelled(J->ctx)) return 1;
    for (size_t q = b; q < e; q++) {
        size_t r = q < J->head ? q : J->L->py - J->tail + (q - J->head);
        fft1(J->z + 2 * r * J->L->px, J->L->px, J->L->tw, J->L->tn, J->mode == FFT_INV);
    }
    return 0;
}

/* Blocks of KLAT_COLS columns: forward, or inverse, or forward, times the
 * spectrum of T (FFT_CONV) or the squared modulus (FFT_AUTO), inverse. */
static int cols_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    fft_job *J = user;
    const struct sg_klat *L = J->L;
    size_t px = L->px, py = L->py;
    if (sg__cancelled(J->ctx)) return 1;
    double *buf = malloc(KLAT_COLS * 2 * py * sizeof *buf);
    if (!buf) return -1;
    for (size_t blk = b; blk < e; blk++) {
        size_t c0 = blk * KLAT_COLS, nc = px - c0 < KLAT_COLS ? px - c0 : KLAT_COLS;
        for (size_t r = 0; r < py; r++)
            for (size_t c = 0; c < nc; c++) {
                buf[2 * (c * py + r)] = J->z[2 * (r * px + c0 + c)];
                buf[2 * (c * py + r) + 1] = J->z[2 * (r * px + c0 + c) + 1];
            }
        for (size_t c = 0; c < nc; c++) {
            double *a = buf + 2 * c * py;
            fft1(a, py, L->tw, L->tn, J->mode == FFT_INV);
            if (J->mode == FFT_CONV || J->mode == FFT_AUTO) {
                for (size_t r = 0; r < py; r++) {
                    if (J->mode == FFT_CONV) {
                        double s = L->spec[r * px + c0 + c];
                        a[2 * r] *= s;
                        a[2 * r + 1] *= s;
                    } else {
                        a[2 * r] = a[2 * r] * a[2 * r] + a[2 * r + 1] * a[2 * r + 1];
                        a[2 * r + 1] = 0;
                    }
                }
                fft1(a, py, L->tw, L->tn, 1);
            }
        }
        for (size_t r = 0; r < py; r++)
            for (size_t c = 0; c < nc; c++) {
                J->z[2 * (r * px + c0 + c)] = buf[2 * (c * py + r)];
                J->z[2 * (r * px + c0 + c) + 1] = buf[2 * (c * py + r) + 1];
            }
    }
    free(buf);
    return 0;
}

/* z (px * py complex, nonzero only in the first in_h and last in_t rows) ->
 * the circular convolution with T (FFT_CONV; the self-convolution when
 * FFT_AUTO, not normalised), valid in the first out_h and last out_t rows,
 * or the full forward transform (FFT_FWD). */
static sg_status fft2(sg_ctx *ctx, const struct sg_klat *L, double *z, size_t in_h, size_t in_t, size_t out_h,
                      size_t out_t, int mode, int threads) {
    fft_job J = {ctx, L, z, FFT_FWD, in_h, in_t};
    sg_status st = sg__check_cancel(ctx);
    if (st == SG_OK) st = sg__parallel(ctx, in_h + in_t, threads, 16, rows_range, &J);
    J.mode = mode;
    if (st == SG_OK) st = sg__parallel(ctx, (L->px + KLAT_COLS - 1) / KLAT_COLS, threads, 4, cols_range, &J);
    J.mode = FFT_INV;
    J.head = out_h;
    J.tail = out_t;
    if (st == SG_OK && mode != FFT_FWD) st = sg__parallel(ctx, out_h + out_t, threads, 16, rows_range, &J);
    return st;
}

/* ---- detection ---- */
static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One axis: spacing, origin, index of each coordinate, largest deviation.
 * Returns 0 when the coordinates are not on a lattice. */
static int lattice_axis(const double *c, size_t n, double tol, double *o0, double *od, size_t *onc, size_t *idx,
                        double *odev) {
    double *s = malloc(n * sizeof *s);
    if (!s) return -1;
    memcpy(s, c, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_dbl);
    double lo = s[0], g = INFINITY;
    for (size_t i = 1; i < n; i++)
        if (s[i] - s[i - 1] > tol && s[i] - s[i - 1] < g) g = s[i] - s[i - 1];
    double ext = s[n - 1] - lo;
    free(s);
    if (!isfinite(g)) { /* one line: every coordinate the same */
        if (ext > tol) return 0;
        for (size_t i = 0; i < n; i++) idx[i] = 0;
        *o0 = lo;
        *od = 0;
        *onc = 1;
        *odev = ext;
        return 1;
    }
    if (ext / g > 1e6) return 0;
    /* indices, then origin and spacing by least squares (compensated sums:
     * a naive sum of 10^6 coordinates would be off by micrometres) */
    sg_ksum si = {0, 0}, sc = {0, 0}, kxy = {0, 0}, kxx = {0, 0};
    size_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        idx[i] = (size_t)llround((c[i] - lo) / g);
        if (idx[i] > mx) mx = idx[i];
        sg__ksum_add(&si, (double)idx[i]);
        sg__ksum_add(&sc, c[i] - lo);
    }
    double mi = sg__ksum_get(&si) / (double)n, mc = sg__ksum_get(&sc) / (double)n;
    for (size_t i = 0; i < n; i++) {
        double di = (double)idx[i] - mi;
        sg__ksum_add(&kxy, di * (c[i] - lo - mc));
        sg__ksum_add(&kxx, di * di);
    }
    double sxy = sg__ksum_get(&kxy), sxx = sg__ksum_get(&kxx);
    double d = sxx > 0 ? sxy / sxx : g, a0 = lo + mc - d * mi, dev = 0;
    for (size_t i = 0; i < n; i++) {
        double r = fabs(c[i] - (a0 + d * (double)idx[i]));
        if (!(r <= dev)) dev = r;
    }
    if (!(dev <= 1e-3 * g)) return 0;
    *o0 = a0;
    *od = d;
    *onc = mx + 1;
    *odev = dev;
    return 1;
}

static size_t pow2_at_least(size_t m) {
    size_t p = 1;
    while (p < m) p <<= 1;
    return p;
}

/* The table T at lattice offset (a, b) (|a| < px, |b| < py) by the rule of
 * kernel.c: the pair is kept when (a dx)² + (b dy)² <= d2max. */
static double offset_d2(const struct sg_klat *L, long a, long b) {
    double u = (double)a * L->dx, v = (double)b * L->dy;
    return u * u + v * v;
}

sg_status sg__klat_build(sg_ctx *ctx, const sg_spatial *sp, double h, double dmax, int threads, int force,
                         struct sg_klat **out) {
    *out = NULL;
    size_t n = sp->n;
    if (n < 2) return SG_OK;
    double b[4];
    sg__bbox_xy(sp->cx, sp->cy, n, b);
    double tol = 1e-6 * fmax(fmax(b[2] - b[0], b[3] - b[1]), 1e-3);
    struct sg_klat *L = calloc(1, sizeof *L);
    size_t *ix = malloc(n * sizeof *ix), *iy = malloc(n * sizeof *iy);
    if (!L || !ix || !iy) {
        free(L);
        free(ix);
        free(iy);
        return sg__nomem(ctx);
    }
    L->n = n;
    double devx = 0, devy = 0;
    int okx = lattice_axis(sp->cx, n, tol, &L->x0, &L->dx, &L->nx, ix, &devx);
    int oky = okx == 1 ? lattice_axis(sp->cy, n, tol, &L->y0, &L->dy, &L->ny, iy, &devy) : okx;
    int ok = okx == 1 && oky == 1;
    if (okx < 0 || oky < 0) goto nomem;
    if (L->dx == 0) L->dx = L->dy > 0 ? L->dy : 1;
    if (L->dy == 0) L->dy = L->dx;
    L->dev = fmax(devx, devy);
    ok = ok && 2 * KLAT_SQRT2 * L->dev / h <= SG_KLAT_DEV;
    /* the padded lattice: T reaches rx, ry cells */
    size_t rx = 0, ry = 0;
    if (ok) {
        rx = (size_t)fmin(floor(dmax / L->dx), (double)(L->nx - 1));
        ry = (size_t)fmin(floor(dmax / L->dy), (double)(L->ny - 1));
        L->px = pow2_at_least(L->nx + rx);
        L->py = pow2_at_least(L->ny + ry);
        double M = (double)L->px * (double)L->py;
        ok = M <= SG_KLAT_MAX_CELLS;
        /* the pair pass visits about n k / 2 pairs; the FFT costs ~ 4 M log2 M per run */
        double k = fmin((double)n, KLAT_PI * dmax * dmax / (L->dx * L->dy));
        if (ok && !force) ok = (double)n * k / 2 > 4 * M * log2(M);
    }
    if (!ok) {
        free(ix);
        free(iy);
        sg__klat_free(L);
        return SG_OK;
    }
    size_t px = L->px, py = L->py, M = px * py;
    L->cell = malloc(n * sizeof *L->cell);
    L->spec = calloc(M, sizeof *L->spec);
    L->tn = px > py ? px : py;
    L->tw = malloc((L->tn ? L->tn : 1) * sizeof *L->tw);
    double *z = calloc(2 * M, sizeof *z);
    if (!L->cell || !L->spec || !L->tw || !z) {
        free(z);
        goto nomem;
    }
    for (size_t k = 0; k < L->tn / 2; k++) {
        double ang = -2.0 * KLAT_PI * (double)k / (double)L->tn;
        L->tw[2 * k] = cos(ang);
        L->tw[2 * k + 1] = sin(ang);
    }
    /* the occupied cells; two districts on one lattice point: not this path */
    for (size_t i = 0; i < n && ok; i++) {
        L->cell[i] = iy[i] * px + ix[i];
        if (z[2 * L->cell[i]] != 0) ok = 0;
        z[2 * L->cell[i]] = 1;
    }
    free(ix);
    free(iy);
    ix = iy = NULL;
    /* the table T (into spec, as real numbers) and the disc of kept offsets */
    double d2max = dmax * dmax;
    while (sqrt(d2max) > dmax) d2max = nextafter(d2max, 0);
    while (sqrt(nextafter(d2max, INFINITY)) <= dmax) d2max = nextafter(d2max, INFINITY);
    double *d2 = malloc((2 * rx + 1) * sizeof *d2), *w = malloc((2 * rx + 1) * sizeof *w);
    double *tz = calloc(2 * M, sizeof *tz);
    if (!ok || !d2 || !w || !tz) {
        free(d2);
        free(w);
        free(tz);
        free(z);
        if (!ok) {
            sg__klat_free(L);
            return SG_OK;
        }
        goto nomem;
    }
    sg_status st = SG_OK;
    for (long bb = -(long)ry; bb <= (long)ry; bb++) {
        size_t m = 0;
        for (long a = -(long)rx; a <= (long)rx; a++) d2[m++] = offset_d2(L, a, bb);
        sg__kernel_weights(d2, w, m, h, 0);
        for (long a = -(long)rx; a <= (long)rx; a++) {
            double wt = d2[a + (long)rx] <= d2max && (a || bb) ? w[a + (long)rx] : 0;
            size_t c = (size_t)((bb + (long)py) % (long)py) * px + (size_t)((a + (long)px) % (long)px);
            tz[2 * c] = wt;
            L->tnorm1 += wt;
        }
    }
    /* autocorrelation of the occupied cells: A(a, b) = pairs at offset (a, b) */
    st = fft2(ctx, L, z, L->ny, 0, ry + 1, ry, FFT_AUTO, threads); /* offsets |b| <= ry */
    sg_ksum ks = {0, 0};
    size_t np2 = 0;
    if (st == SG_OK) {
        double inv = 1.0 / (double)M;
        for (long bb = -(long)ry; bb <= (long)ry; bb++)
            for (long a = -(long)rx; a <= (long)rx; a++) {
                size_t c = (size_t)((bb + (long)py) % (long)py) * px + (size_t)((a + (long)px) % (long)px);
                double cnt = floor(z[2 * c] * inv + 0.5);
                if ((a || bb) && offset_d2(L, a, bb) <= d2max) np2 += (size_t)cnt;
                if (tz[2 * c] != 0) sg__ksum_add(&ks, tz[2 * c] * cnt);
            }
        L->ksum_off = sg__ksum_get(&ks);
        L->npairs = np2 / 2;
        st = fft2(ctx, L, tz, ry + 1, ry, 0, 0, FFT_FWD, threads); /* T is zero beyond ry */
    }
    if (st == SG_OK) {
        double inv = 1.0 / (double)M;
        for (size_t c = 0; c < M; c++) L->spec[c] = tz[2 * c] * inv;
    }
    free(d2);
    free(w);
    free(tz);
    free(z);
    if (st != SG_OK) {
        sg__klat_free(L);
        return st;
    }
    *out = L;
    return SG_OK;
nomem:
    free(ix);
    free(iy);
    sg__klat_free(L);
    return sg__nomem(ctx);
}

void sg__klat_info(const struct sg_klat *L, double *dx, double *dy, size_t *px, size_t *py, double *dev,
                   double *bound) {
    *dx = L->dx;
    *dy = L->dy;
    *px = L->px;
    *py = L->py;
    *dev = L->dev;
    /* the FFT term of the bound, per unit of ||v||_2 */
    *bound = 10 * log2((double)L->px * (double)L->py) * 0x1p-53 * L->tnorm1;
}

sg_status sg__klat_products(sg_ctx *ctx, const struct sg_klat *L, const double *kdiag, const double *x,
                            const double *t, int threads, double *cx, double *cy, double *ct, double *ksum,
                            size_t *npairs) {
    size_t n = L->n, M = L->px * L->py;
    double *z = calloc(2 * M, sizeof *z);
    if (!z) return sg__nomem(ctx);
    for (size_t i = 0; i < n; i++) {
        z[2 * L->cell[i]] = x[i];
        z[2 * L->cell[i] + 1] = t[i] - x[i];
    }
    sg_status st = fft2(ctx, L, z, L->ny, 0, L->ny, 0, FFT_CONV, threads);
    if (st == SG_OK) st = sg__check_cancel(ctx);
    if (st == SG_OK) {
        /* C t = C x + C y: one complex convolution gives all three */
        for (size_t i = 0; i < n; i++) {
            double ox = z[2 * L->cell[i]], oy = z[2 * L->cell[i] + 1];
            cx[i] = kdiag[i] * x[i] + ox;
            cy[i] = kdiag[i] * (t[i] - x[i]) + oy;
            ct[i] = kdiag[i] * t[i] + (ox + oy);
        }
        sg_ksum tot = {0, 0};
        for (size_t i = 0; i < n; i++) sg__ksum_add(&tot, kdiag[i]);
        sg__ksum_add(&tot, L->ksum_off);
        *ksum = sg__ksum_get(&tot);
        *npairs = L->npairs;
    }
    free(z);
    return st;
}
