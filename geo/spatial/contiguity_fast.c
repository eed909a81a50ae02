/* The exact fast path of contiguity (contiguity.c). Most district layers are
 * coverages whose neighbours share vertices and edges exactly, and for those
 * the answer can be read off the coordinates:
 *
 *   if the two boundaries meet only in common vertices and in identical
 *   edges (the same two vertices), and the interiors do not overlap, then
 *   the intersection is the union of the identical edges and the common
 *   vertices: the districts touch iff they have a common vertex, and b_ij is
 *   the sum of the lengths of the identical edges.
 *
 * The fast path checks exactly that, pair by pair, and hands the pair to GEOS
 * whenever the check is not conclusive: any other contact between two edges
 * (crossing, a vertex on the other's edge, collinear overlap, the same edge
 * in the same direction), an edge leaving a common vertex into the other's
 * interior (wedge test), a ring of one without contact inside the other's
 * envelope (possible nesting), a polygon with a repeated vertex, too many
 * vertices or a ring too thin to orient. Orientation signs are exact: a
 * floating-point filter (Shewchuk's bound), exact arithmetic when the
 * differences and products are exact, else GEOS's own robust
 * GEOSOrientationIndex. So the fast path never guesses; on the test cities
 * (grid, hex, Voronoi, Sacramento) it gives the pairs and lengths of the
 * all-GEOS path (lengths to rounding: the edges are summed in another order). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial_internal.h"

#define FAST_MAX_WORK 16384      /* fast path when (vertices of i) x (vertices of j) is at most this */
#define FAST_MAX_COORDS 256      /* larger polygons always go to GEOS (and are not copied) */
#define FAST_MAX_RINGS 64

/* fmin/fmax are library calls (NaN rules); coordinates here are finite */
#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))

/* ---- the districts' coordinates ---- */
void sg__cgeo_free(sg_cgeo *g) {
    free(g->poly);
    free(g->ring);
    free(g->xy);
    free(g->ncoord);
    free(g->nring);
    memset(g, 0, sizeof *g);
}

/* Number of rings of a polygon or multipolygon, 0 for anything else. */
static size_t rings_of(GEOSContextHandle_t h, const GEOSGeometry *g) {
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        int k = GEOSGetNumInteriorRings_r(h, g);
        return k >= 0 ? (size_t)k + 1 : 0;
    }
    if (type == GEOS_MULTIPOLYGON) {
        int np = GEOSGetNumGeometries_r(h, g);
        size_t r = 0;
        for (int p = 0; p < np; p++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, p);
            size_t k = part ? rings_of(h, part) : 0;
            if (!k) return 0;
            r += k;
        }
        return r;
    }
    return 0;
}

typedef struct count_job {
    const sg_data *d;
    sg_cgeo *G;
} count_job;

static int count_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    count_job *J = user;
    for (size_t i = b; i < e; i++) {
        const GEOSGeometry *g = J->d->geom[i];
        size_t r = rings_of(h, g);
        int nc = r ? GEOSGetNumCoordinates_r(h, g) : 0;
        if (nc <= 0 || nc > FAST_MAX_COORDS) r = 0;
        J->G->nring[i] = r;
        J->G->ncoord[i] = r ? (size_t)nc : 0;
    }
    return 0;
}

/* Twice the signed area of a closed ring, about its first point. */
static double ring_area2(const double *p, uint32_t n) {
    double s = 0, ox = p[0], oy = p[1];
    for (uint32_t k = 1; k + 1 < n; k++)
        s += (p[2 * k] - ox) * (p[2 * k + 3] - oy) - (p[2 * k + 1] - oy) * (p[2 * k + 2] - ox);
    return s;
}

static void ring_reverse(double *p, uint32_t n) {
    for (uint32_t a = 0, b = n - 1; a < b; a++, b--) {
        double tx = p[2 * a], ty = p[2 * a + 1];
        p[2 * a] = p[2 * b];
        p[2 * a + 1] = p[2 * b + 1];
        p[2 * b] = tx;
        p[2 * b + 1] = ty;
    }
}

typedef struct xyk {
    double x, y;
} xyk;

static int cmp_xy(const void *a, const void *b) {
    const xyk *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return 0;
}

typedef struct fill_job {
    const sg_data *d;
    sg_cgeo *G;
} fill_job;

/* Copies ring r (a GEOS linear ring) to the coordinate array and orients it
 * with the polygon's interior on the left: shells counter-clockwise, holes
 * clockwise. Returns 0 when the ring cannot be used by the fast path. */
static int fill_ring(GEOSContextHandle_t h, const GEOSGeometry *lr, int hole, sg_cgeo *G, size_t ri, size_t *c) {
    const GEOSCoordSequence *s = lr ? GEOSGeom_getCoordSeq_r(h, lr) : NULL;
    unsigned int m = 0;
    if (!s || !GEOSCoordSeq_getSize_r(h, s, &m) || m < 4) return 0;
    double *p = G->xy + 2 * *c;
    if (!GEOSCoordSeq_copyToBuffer_r(h, s, p, 0, 0)) return 0;
    G->ring[ri].c0 = *c;
    G->ring[ri].n = m;
    *c += m;
    if (p[0] != p[2 * (m - 1)] || p[1] != p[2 * (m - 1) + 1]) return 0; /* not closed */
    double minx = p[0], maxx = p[0], miny = p[1], maxy = p[1];
    for (unsigned k = 0; k < m; k++) {
        if (!isfinite(p[2 * k]) || !isfinite(p[2 * k + 1])) return 0;
        minx = MIN2(minx, p[2 * k]);
        maxx = MAX2(maxx, p[2 * k]);
        miny = MIN2(miny, p[2 * k + 1]);
        maxy = MAX2(maxy, p[2 * k + 1]);
    }
    double a2 = ring_area2(p, m), w = maxx - minx, hh = maxy - miny;
    /* The shoelace sum's rounding is below m * 4 eps * (w + h)^2: a ring with
     * less area than that cannot be oriented reliably. */
    if (!(fabs(a2) > 8.0 * (double)m * 2.220446049250313e-16 * (w + hh) * (w + hh))) return 0;
    if ((a2 < 0) != (hole != 0)) ring_reverse(p, m);
    return 1;
}

static int fill_polygon(GEOSContextHandle_t h, const GEOSGeometry *g, sg_cgeo *G, size_t *ri, size_t *c) {
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(h, g);
    int ok = fill_ring(h, ext, 0, G, (*ri)++, c);
    int k = GEOSGetNumInteriorRings_r(h, g);
    for (int q = 0; q < k; q++) ok &= fill_ring(h, GEOSGetInteriorRingN_r(h, g, q), 1, G, (*ri)++, c);
    return ok;
}

static int fill_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    fill_job *J = user;
    sg_cgeo *G = J->G;
    xyk *tmp = NULL;
    size_t tcap = 0;
    for (size_t i = b; i < e; i++) {
        sg_cpoly *P = &G->poly[i];
        P->r0 = G->nring[i];
        P->nr = (uint32_t)(G->nring[i + 1] - G->nring[i]);
        P->complex = 1;
        P->nv = 0;
        if (!P->nr || P->nr > FAST_MAX_RINGS) continue;
        const GEOSGeometry *g = J->d->geom[i];
        size_t ri = P->r0, c = G->ncoord[i];
        int ok = 1;
        if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON) ok = fill_polygon(h, g, G, &ri, &c);
        else {
            int np = GEOSGetNumGeometries_r(h, g);
            for (int q = 0; q < np && ok; q++) ok = fill_polygon(h, GEOSGetGeometryN_r(h, g, q), G, &ri, &c);
        }
        if (!ok || ri != P->r0 + P->nr || c != G->ncoord[i + 1]) continue;
        /* envelope, vertex count, and no vertex twice (the wedge test needs
         * one pass of the boundary through each vertex) */
        size_t nv = 0;
        for (uint32_t r = 0; r < P->nr; r++) nv += G->ring[P->r0 + r].n - 1;
        if (nv > FAST_MAX_WORK) continue;
        if (nv > tcap) {
            xyk *nt = sg__reallocarray(tmp, nv, sizeof *nt);
            if (!nt) {
                free(tmp);
                return -1;
            }
            tmp = nt;
            tcap = nv;
        }
        size_t q = 0;
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (uint32_t r = 0; r < P->nr; r++) {
            const sg_cring *R = &G->ring[P->r0 + r];
            const double *p = G->xy + 2 * R->c0;
            for (uint32_t k = 0; k + 1 < R->n; k++) {
                tmp[q++] = (xyk){p[2 * k], p[2 * k + 1]};
                x0 = MIN2(x0, p[2 * k]);
                x1 = MAX2(x1, p[2 * k]);
                y0 = MIN2(y0, p[2 * k + 1]);
                y1 = MAX2(y1, p[2 * k + 1]);
            }
        }
        int dup = 0;
        if (nv <= 16) { /* the usual district: compare every two */
            for (size_t a = 0; a < nv && !dup; a++)
                for (size_t b2 = a + 1; b2 < nv && !dup; b2++) dup = tmp[a].x == tmp[b2].x && tmp[a].y == tmp[b2].y;
        } else {
            qsort(tmp, nv, sizeof *tmp, cmp_xy);
            for (size_t k = 1; k < nv && !dup; k++) dup = tmp[k].x == tmp[k - 1].x && tmp[k].y == tmp[k - 1].y;
        }
        if (dup) continue;
        P->x0 = x0;
        P->y0 = y0;
        P->x1 = x1;
        P->y1 = y1;
        P->nv = (uint32_t)nv;
        P->complex = 0;
    }
    free(tmp);
    return 0;
}

sg_status sg__cgeo_build(sg_ctx *ctx, const sg_data *d, int threads, sg_cgeo *G) {
    size_t n = d->n;
    memset(G, 0, sizeof *G);
    G->n = n;
    G->eps = sg__snap_tolerance(d->opts);
    G->ncoord = malloc((n + 1) * sizeof *G->ncoord);
    G->nring = malloc((n + 1) * sizeof *G->nring);
    G->poly = malloc((n ? n : 1) * sizeof *G->poly);
    if (!G->ncoord || !G->nring || !G->poly) return sg__nomem(ctx);
    count_job cj = {d, G};
    sg_status st = sg__parallel(ctx, n, threads, 4096, count_range, &cj);
    if (st != SG_OK) return st;
    size_t nc = 0, nr = 0; /* counts -> offsets */
    for (size_t i = 0; i < n; i++) {
        size_t a = G->ncoord[i], b = G->nring[i];
        G->ncoord[i] = nc;
        G->nring[i] = nr;
        nc += a;
        nr += b;
    }
    G->ncoord[n] = nc;
    G->nring[n] = nr;
    G->xy = malloc((nc ? 2 * nc : 1) * sizeof *G->xy);
    G->ring = malloc((nr ? nr : 1) * sizeof *G->ring);
    if (!G->xy || !G->ring) return sg__nomem(ctx);
    fill_job fj = {d, G};
    return sg__parallel(ctx, n, threads, 4096, fill_range, &fj);
}

/* ---- exact orientation ---- */
/* Shewchuk's error-free transformations: the exact error of a - b and of a * b. */
static double diff_tail(double a, double b, double x) {
    double bv = a - x, av = x + bv, br = bv - b, ar = a - av;
    return ar + br;
}

static double prod_tail(double a, double b, double x) {
    const double splitter = 134217729.0; /* 2^27 + 1 */
    double c = splitter * a, abig = c - a, ahi = c - abig, alo = a - ahi;
    c = splitter * b;
    double bbig = c - b, bhi = c - bbig, blo = b - bhi;
    double e1 = x - ahi * bhi, e2 = e1 - alo * bhi, e3 = e2 - ahi * blo;
    return alo * blo - e3;
}

/* Orientation of c relative to the line a -> b: 1 left (counter-clockwise),
 * -1 right, 0 collinear, 2 when not even GEOS could tell. */
static int orient(GEOSContextHandle_t h, double ax, double ay, double bx, double by, double cx, double cy) {
    double acx = ax - cx, bcx = bx - cx, acy = ay - cy, bcy = by - cy;
    double l = acx * bcy, r = acy * bcx, det = l - r;
    double bound = 3.3306690738754716e-16 * (fabs(l) + fabs(r)); /* (3 + 16 eps) eps */
    if (det > bound) return 1;
    if (-det > bound) return -1;
    if (fabs(acx) < 1e150 && fabs(bcx) < 1e150 && fabs(acy) < 1e150 && fabs(bcy) < 1e150 &&
        diff_tail(ax, cx, acx) == 0 && diff_tail(bx, cx, bcx) == 0 && diff_tail(ay, cy, acy) == 0 &&
        diff_tail(by, cy, bcy) == 0 && prod_tail(acx, bcy, l) == 0 && prod_tail(acy, bcx, r) == 0)
        return (l > r) - (l < r); /* l and r are exact: the sign of l - r is */
    int o = GEOSOrientationIndex_r(h, ax, ay, bx, by, cx, cy);
    return o == 1 || o == -1 || o == 0 ? o : 2;
}

/* Is direction q - p strictly inside the interior wedge at vertex p of a
 * ring that runs prev -> p -> next with the interior on its left (the sweep
 * counter-clockwise from next - p to prev - p)? 1 yes, 0 no, 2 unsure. */
static int in_wedge(GEOSContextHandle_t h, const double *p, const double *prev, const double *next, const double *q) {
    int uv = orient(h, p[0], p[1], next[0], next[1], prev[0], prev[1]);
    int uq = orient(h, p[0], p[1], next[0], next[1], q[0], q[1]);
    int qv = orient(h, p[0], p[1], q[0], q[1], prev[0], prev[1]);
    if (uv == 2 || uq == 2 || qv == 2) return 2;
    if (uv > 0) return uq > 0 && qv > 0;
    if (uv < 0) return uq > 0 || qv > 0;
    /* next and prev collinear with p: a straight angle when opposite */
    double dot = (next[0] - p[0]) * (prev[0] - p[0]) + (next[1] - p[1]) * (prev[1] - p[1]);
    if (dot < 0) return uq > 0;
    return 2;
}

static int box_meet(double ax0, double ay0, double ax1, double ay1, double bx0, double by0, double bx1, double by1) {
    return ax0 <= bx1 && bx0 <= ax1 && ay0 <= by1 && by0 <= ay1;
}

/* The same point: exactly, or within the snap tolerance eps (a vertex one
 * ulp away from its neighbour's copy is the same vertex). */
static inline int same_pt(const double *a, const double *b, double eps) {
    if (a[0] == b[0] && a[1] == b[1]) return 1;
    if (eps <= 0) return 0;
    double dx = a[0] - b[0], dy = a[1] - b[1];
    return dx * dx + dy * dy <= eps * eps;
}

/* Squared distance from p to the segment a-b. */
static double pt_seg_d2(const double *p, const double *a, const double *b) {
    double vx = b[0] - a[0], vy = b[1] - a[1], wx = p[0] - a[0], wy = p[1] - a[1];
    double l2 = vx * vx + vy * vy, t = l2 > 0 ? (wx * vx + wy * vy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double dx = wx - t * vx, dy = wy - t * vy;
    return dx * dx + dy * dy;
}

/* Two segments that do not meet lie within eps of each other (the distance
 * of two disjoint segments is that of an endpoint to the other segment). */
static int seg_near(const double *s0, const double *s1, const double *t0, const double *t1, double eps) {
    double e2 = eps * eps;
    return pt_seg_d2(s0, t0, t1) <= e2 || pt_seg_d2(s1, t0, t1) <= e2 || pt_seg_d2(t0, s0, s1) <= e2 ||
           pt_seg_d2(t1, s0, s1) <= e2;
}

/* Two edges s = (s0, s1) of A and t = (t0, t1) of B whose envelopes meet:
 * 0 they do not meet, 1 they meet only in a common endpoint, 3 identical in
 * opposite directions, 2 anything else (or unsure). */
static int edge_pair(GEOSContextHandle_t h, const double *s0, const double *s1, const double *t0, const double *t1,
                     double eps) {
    int e00 = same_pt(s0, t0, eps), e01 = same_pt(s0, t1, eps);
    int e10 = same_pt(s1, t0, eps), e11 = same_pt(s1, t1, eps);
    if (e01 && e10) return 3;
    if (e00 && e11) return 2; /* the same edge in the same direction: the interiors overlap */
    int e = e00 + e01 + e10 + e11;
    if (e == 1) {
        const double *p = e00 || e01 ? s0 : s1, *a = e00 || e01 ? s1 : s0, *b = e00 || e10 ? t1 : t0;
        int o = orient(h, p[0], p[1], a[0], a[1], b[0], b[1]);
        if (o == 2) return 2;
        if (o != 0) return 1;
        double dot = (a[0] - p[0]) * (b[0] - p[0]) + (a[1] - p[1]) * (b[1] - p[1]);
        return dot < 0 ? 1 : 2; /* collinear: opposite rays meet only in p */
    }
    if (e) return 2;
    int o1 = orient(h, s0[0], s0[1], s1[0], s1[1], t0[0], t0[1]);
    int o2 = orient(h, s0[0], s0[1], s1[0], s1[1], t1[0], t1[1]);
    if (o1 == 2 || o2 == 2) return 2;
    if (o1 * o2 > 0) return eps > 0 && seg_near(s0, s1, t0, t1, eps) ? 2 : 0;
    int o3 = orient(h, t0[0], t0[1], t1[0], t1[1], s0[0], s0[1]);
    int o4 = orient(h, t0[0], t0[1], t1[0], t1[1], s1[0], s1[1]);
    if (o3 == 2 || o4 == 2) return 2;
    if (o3 * o4 > 0) return eps > 0 && seg_near(s0, s1, t0, t1, eps) ? 2 : 0;
    return 2; /* they cross or touch away from a common vertex */
}

/* Envelope of ring R. */
static void ring_box(const sg_cgeo *G, const sg_cring *R, double *b) {
    const double *p = G->xy + 2 * R->c0;
    b[0] = b[2] = p[0];
    b[1] = b[3] = p[1];
    for (uint32_t k = 1; k < R->n; k++) {
        b[0] = MIN2(b[0], p[2 * k]);
        b[2] = MAX2(b[2], p[2 * k]);
        b[1] = MIN2(b[1], p[2 * k + 1]);
        b[3] = MAX2(b[3], p[2 * k + 1]);
    }
}

/* Rings of P without contact must not lie within the envelope of Q: else Q
 * could contain them. */
static int nesting_possible(const sg_cgeo *G, const sg_cpoly *P, const unsigned char *contact, const sg_cpoly *Q) {
    for (uint32_t r = 0; r < P->nr; r++) {
        if (contact[r]) continue;
        double b[4];
        ring_box(G, &G->ring[P->r0 + r], b);
        if (b[0] >= Q->x0 && b[2] <= Q->x1 && b[1] >= Q->y0 && b[3] <= Q->y1) return 1;
    }
    return 0;
}

int sg__pair_fast(GEOSContextHandle_t h, const sg_cgeo *G, size_t a, size_t b, double *len) {
    const sg_cpoly *A = &G->poly[a], *B = &G->poly[b];
    const double eps = G->eps; /* boxes grow by it: contacts within the tolerance are contacts */
    *len = 0;
    if (A->complex || B->complex || (size_t)A->nv * B->nv > FAST_MAX_WORK) return SG_PAIR_UNSURE;
    if (!box_meet(A->x0 - eps, A->y0 - eps, A->x1 + eps, A->y1 + eps, B->x0, B->y0, B->x1, B->y1))
        return SG_PAIR_NONE;
    double L = 0;
    /* 1. every pair of edges: identical (opposite), a common endpoint only, or apart */
    for (uint32_t ra = 0; ra < A->nr; ra++) {
        const sg_cring *R = &G->ring[A->r0 + ra];
        const double *p = G->xy + 2 * R->c0;
        for (uint32_t k = 0; k + 1 < R->n; k++) {
            const double *s0 = p + 2 * k, *s1 = s0 + 2;
            double sx0 = MIN2(s0[0], s1[0]) - eps, sx1 = MAX2(s0[0], s1[0]) + eps,
                   sy0 = MIN2(s0[1], s1[1]) - eps, sy1 = MAX2(s0[1], s1[1]) + eps;
            if (!box_meet(sx0, sy0, sx1, sy1, B->x0, B->y0, B->x1, B->y1)) continue;
            for (uint32_t rb = 0; rb < B->nr; rb++) {
                const sg_cring *S = &G->ring[B->r0 + rb];
                const double *q = G->xy + 2 * S->c0;
                for (uint32_t l = 0; l + 1 < S->n; l++) {
                    const double *t0 = q + 2 * l, *t1 = t0 + 2;
                    if (!box_meet(sx0, sy0, sx1, sy1, MIN2(t0[0], t1[0]), MIN2(t0[1], t1[1]), MAX2(t0[0], t1[0]),
                                  MAX2(t0[1], t1[1])))
                        continue;
                    int c = edge_pair(h, s0, s1, t0, t1, eps);
                    if (c == 2) return SG_PAIR_UNSURE;
                    if (c == 3) {
                        double dx = s1[0] - s0[0], dy = s1[1] - s0[1];
                        L += sqrt(dx * dx + dy * dy);
                    }
                }
            }
        }
    }
    /* 2. common vertices: no edge of one may leave it into the other's interior */
    unsigned char ca[FAST_MAX_RINGS], cb[FAST_MAX_RINGS];
    memset(ca, 0, A->nr);
    memset(cb, 0, B->nr);
    int touch = 0;
    for (uint32_t ra = 0; ra < A->nr; ra++) {
        const sg_cring *R = &G->ring[A->r0 + ra];
        const double *p = G->xy + 2 * R->c0;
        uint32_t na = R->n - 1;
        for (uint32_t k = 0; k < na; k++) {
            const double *v = p + 2 * k;
            if (v[0] < B->x0 - eps || v[0] > B->x1 + eps || v[1] < B->y0 - eps || v[1] > B->y1 + eps) continue;
            for (uint32_t rb = 0; rb < B->nr; rb++) {
                const sg_cring *S = &G->ring[B->r0 + rb];
                const double *q = G->xy + 2 * S->c0;
                uint32_t nb = S->n - 1;
                for (uint32_t l = 0; l < nb; l++) {
                    const double *w = q + 2 * l;
                    if (!same_pt(w, v, eps)) continue;
                    touch = 1;
                    ca[ra] = cb[rb] = 1;
                    const double *aprev = p + 2 * (k ? k - 1 : na - 1), *anext = p + 2 * (k + 1);
                    const double *bprev = q + 2 * (l ? l - 1 : nb - 1), *bnext = q + 2 * (l + 1);
                    if (in_wedge(h, v, aprev, anext, bprev) || in_wedge(h, v, aprev, anext, bnext) ||
                        in_wedge(h, v, bprev, bnext, aprev) || in_wedge(h, v, bprev, bnext, anext))
                        return SG_PAIR_UNSURE; /* 1 (overlap) or 2 (unsure) */
                }
            }
        }
    }
    /* 3. a ring without contact could lie inside the other district */
    if (nesting_possible(G, A, ca, B) || nesting_possible(G, B, cb, A)) return SG_PAIR_UNSURE;
    *len = L;
    return touch ? SG_PAIR_TOUCH : SG_PAIR_NONE;
}
