/* Contiguity of the used districts: queen and rook pairs and the shared
 * boundary length b_ij, the build's most expensive geometric step.
 *
 * The definitions are GEOS's (CONVENTIONS A6): queen = GEOS intersects,
 * b_ij = the length of the GEOS intersection of the two polygons, rook =
 * b_ij > 0. Asking GEOS for each candidate pair of the district STRtree costs
 * a polygon overlay per touching pair (about 60 µs each). Most district
 * layers are coverages whose neighbours share vertices and edges exactly, and
 * for those the answer can be read off the coordinates, exactly: the fast
 * path of contiguity_fast.c, which hands every pair it cannot settle to
 * GEOS here.
 *
 * Districts are processed in fixed chunks on several threads (each with its
 * own GEOS handle; the tree is built before they start); chunks keep their
 * own pair lists, concatenated in order, so the result does not depend on the
 * number of threads. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial_internal.h"

#define CONTIG_CHUNK 2048        /* districts per task: fixed, so results do not depend on threads */

/* ---- the GEOS path ---- */
/* Length of the shared boundary of two intersecting polygons: the length of
 * the GEOS intersection (PySAL's definition); *area (may be NULL) gets the
 * intersection's area, > 0 when the two overlap (overlap.c). Falls back to
 * the intersection of the two boundaries when the polygon overlay fails
 * (area 0 then). Returns -1 on error. */
static double shared_length(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b, double *area) {
    GEOSGeometry *x = GEOSIntersection_r(h, a, b);
    if (area) *area = 0;
    if (!x) {
        GEOSGeometry *ba = GEOSBoundary_r(h, a), *bb = GEOSBoundary_r(h, b);
        if (ba && bb) x = GEOSIntersection_r(h, ba, bb);
        if (ba) GEOSGeom_destroy_r(h, ba);
        if (bb) GEOSGeom_destroy_r(h, bb);
        if (!x) return -1;
    } else if (area && !GEOSArea_r(h, x, area)) {
        *area = 0;
    }
    double len = 0;
    int ok = GEOSLength_r(h, x, &len);
    GEOSGeom_destroy_r(h, x);
    return ok ? len : -1;
}

/* The shared boundary within the snap tolerance eps: b snapped to a's
 * vertices and edges (GEOSSnap), then intersected. Used when the exact
 * intersection has no length although the two touch within eps (edges one
 * ulp apart: a gap, a crossing, or a sliver of overlap). Returns the length
 * when the snapped intersection has no area (the contact is a boundary),
 * else -1 (a real overlap: the exact answer stands), -2 on error. */
static double snapped_length(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b, double eps) {
    GEOSGeometry *sb = GEOSSnap_r(h, b, a, eps);
    if (!sb) return -2;
    double area = 0, len = shared_length(h, a, sb, &area);
    GEOSGeom_destroy_r(h, sb);
    if (len < 0) return -2;
    return area > 0 ? -1 : len;
}

/* ---- the pass over the districts ---- */
typedef struct pair {
    uint32_t i, j;
    double len;  /* shared boundary length; 0 for a point contact */
    double area; /* area of the intersection: > 0 when they overlap */
} pair;

typedef struct pairvec {
    pair *p;
    size_t n, cap;
} pairvec;

enum { FAIL_NONE = 0, FAIL_PREPARE, FAIL_INTERSECTS, FAIL_LENGTH };

typedef struct contig_job {
    const sg_data *d;
    const sg_spatial *sp;
    const sg_cgeo *G; /* NULL: GEOS for every pair */
    double eps;       /* snap tolerance (m), 0: exact */
    int overlap_only; /* sg__overlap_pairs: keep only the pairs that overlap (no lengths, no snapping) */
    pairvec *chunk; /* one per CONTIG_CHUNK districts */
    size_t *nfast, *nslow; /* per chunk */
    pthread_mutex_t lock;
    size_t fail_i, fail_j; /* the first failure (lowest i), for the message */
    int fail;
} contig_job;

typedef struct cand_vec {
    size_t *v;
    size_t n, cap;
    int failed;
} cand_vec;

static void cand_cb(void *item, void *userdata) {
    cand_vec *c = userdata;
    if (c->failed) return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        size_t *nv = sg__reallocarray(c->v, cap, sizeof *nv);
        if (!nv) {
            c->failed = 1;
            return;
        }
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n++] = *(const size_t *)item;
}

static int cmp_sz(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void record_fail(contig_job *J, int kind, size_t i, size_t j) {
    pthread_mutex_lock(&J->lock);
    if (!J->fail || i < J->fail_i) {
        J->fail = kind;
        J->fail_i = i;
        J->fail_j = j;
    }
    pthread_mutex_unlock(&J->lock);
}

static int contig_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    contig_job *J = user;
    const sg_data *d = J->d;
    size_t c = b / CONTIG_CHUNK;
    pairvec *out = &J->chunk[c];
    cand_vec cand = {0};
    size_t nfast = 0, nslow = 0;
    int rc = 0;
    for (size_t i = b; i < e && rc == 0; i++) {
        cand.n = 0;
        if (J->eps > 0) { /* the envelope grown by the tolerance: a gap of an ulp is a contact */
            double x0, y0, x1, y1;
            GEOSGeometry *r = GEOSGeom_getExtent_r(h, d->geom[i], &x0, &y0, &x1, &y1)
                                  ? GEOSGeom_createRectangle_r(h, x0 - J->eps, y0 - J->eps, x1 + J->eps, y1 + J->eps)
                                  : NULL;
            if (!r) {
                rc = -1;
                break;
            }
            GEOSSTRtree_query_r(h, J->sp->tree, r, cand_cb, &cand);
            GEOSGeom_destroy_r(h, r);
        } else {
            GEOSSTRtree_query_r(h, J->sp->tree, d->geom[i], cand_cb, &cand);
        }
        if (cand.failed) {
            rc = -1;
            break;
        }
        if (cand.n > 32) qsort(cand.v, cand.n, sizeof *cand.v, cmp_sz);
        else
            for (size_t a = 1; a < cand.n; a++) { /* insertion sort: a handful of candidates */
                size_t v = cand.v[a], b2 = a;
                for (; b2 > 0 && cand.v[b2 - 1] > v; b2--) cand.v[b2] = cand.v[b2 - 1];
                cand.v[b2] = v;
            }
        const GEOSPreparedGeometry *prep = NULL;
        for (size_t q = 0; q < cand.n; q++) {
            size_t j = cand.v[q];
            if (j <= i) continue;
            double len = 0, area = 0;
            int r = J->G ? sg__pair_fast(h, J->G, i, j, &len) : SG_PAIR_UNSURE;
            if (r == SG_PAIR_UNSURE) {
                nslow++;
                if (!prep && !(prep = GEOSPrepare_r(h, d->geom[i]))) {
                    record_fail(J, FAIL_PREPARE, i, j);
                    break;
                }
                char x = GEOSPreparedIntersects_r(h, prep, d->geom[j]);
                if (x == 0 && J->eps > 0) {
                    char near = GEOSPreparedDistanceWithin_r(h, prep, d->geom[j], J->eps);
                    x = near == 1 ? 3 : near == 0 ? 0 : 2;
                }
                if (x == 2) {
                    record_fail(J, FAIL_INTERSECTS, i, j);
                    break;
                }
                if (!x) continue;
                if (J->overlap_only) { /* GEOS relate first: the overlay only for pairs with a 2-D overlap */
                    char o = GEOSRelatePattern_r(h, d->geom[i], d->geom[j], "2********");
                    if (o == 2) {
                        record_fail(J, FAIL_INTERSECTS, i, j);
                        break;
                    }
                    if (!o) continue;
                }
                /* x 3: apart, but within the tolerance */
                len = x == 3 ? 0 : shared_length(h, d->geom[i], d->geom[j], &area);
                if (len >= 0 && J->eps > 0 && (x == 3 || len == 0 || area > 0)) {
                    /* no length, or an overlap: was it a boundary within the tolerance? */
                    double ls = snapped_length(h, d->geom[i], d->geom[j], J->eps);
                    if (ls >= 0) {
                        len = ls;
                        area = 0;
                    } else if (ls < -1) {
                        len = -1;
                    }
                }
                if (len < 0) {
                    record_fail(J, FAIL_LENGTH, i, j);
                    break;
                }
            } else {
                nfast++;
                if (r == SG_PAIR_NONE || J->overlap_only) continue; /* the fast path proves them apart */
            }
            if (out->n == out->cap) {
                size_t cap = out->cap ? 2 * out->cap : 1024;
                pair *np = sg__reallocarray(out->p, cap, sizeof *np);
                if (!np) {
                    rc = -1;
                    break;
                }
                out->p = np;
                out->cap = cap;
            }
            out->p[out->n++] = (pair){(uint32_t)i, (uint32_t)j, len, area};
        }
        if (prep) GEOSPreparedGeom_destroy_r(h, prep);
    }
    free(cand.v);
    J->nfast[c] += nfast;
    J->nslow[c] += nslow;
    return rc;
}

/* Symmetric CSR from the chunks' pair lists (i < j, in order of i then j):
 * rows come out ascending. rook_only keeps the pairs with len > 0; weighted
 * stores len. */
static int pairs_to_csr(const pairvec *ch, size_t nch, size_t n, int rook_only, int weighted, sg_weights *out) {
    memset(out, 0, sizeof *out);
    size_t *deg = calloc(n + 1, sizeof *deg);
    if (!deg) return 0;
    for (size_t c = 0; c < nch; c++)
        for (size_t k = 0; k < ch[c].n; k++) {
            const pair *p = &ch[c].p[k];
            if (rook_only && !(p->len > 0)) continue;
            deg[p->i]++;
            deg[p->j]++;
        }
    out->n = n;
    out->off = malloc((n + 1) * sizeof *out->off);
    if (!out->off) {
        free(deg);
        return 0;
    }
    out->off[0] = 0;
    for (size_t i = 0; i < n; i++) out->off[i + 1] = out->off[i] + deg[i];
    size_t nnz = out->off[n];
    out->nb = malloc((nnz ? nnz : 1) * sizeof *out->nb);
    out->w = weighted ? malloc((nnz ? nnz : 1) * sizeof *out->w) : NULL;
    if (!out->nb || (weighted && !out->w)) {
        free(deg);
        sg__weights_free(out);
        return 0;
    }
    for (size_t i = 0; i < n; i++) deg[i] = out->off[i]; /* fill cursor */
    for (size_t c = 0; c < nch; c++)
        for (size_t k = 0; k < ch[c].n; k++) {
            const pair *p = &ch[c].p[k];
            if (rook_only && !(p->len > 0)) continue;
            size_t a = deg[p->i]++, b = deg[p->j]++;
            out->nb[a] = p->j;
            out->nb[b] = p->i;
            if (weighted) out->w[a] = out->w[b] = p->len;
        }
    free(deg);
    return 1;
}

static const char *id_of(const sg_data *d, size_t i) { return d->city->id[d->index[i]]; }

sg_status sg__contiguity(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, sg_weights *queen,
                         sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow) {
    return sg__contiguity_ov(ctx, d, sp, geos_only, queen, rook, blen, fast, slow, NULL, NULL);
}

/* The pairs with an area, in the chunks' order (i, then j). */
static int collect_overlaps(const pairvec *ch, size_t nch, sg_overlap **ov, size_t *nov) {
    size_t m = 0;
    for (size_t c = 0; c < nch; c++)
        for (size_t k = 0; k < ch[c].n; k++) m += ch[c].p[k].area > 0;
    *ov = m ? malloc(m * sizeof **ov) : NULL;
    *nov = 0;
    if (m && !*ov) return 0;
    for (size_t c = 0; c < nch; c++)
        for (size_t k = 0; k < ch[c].n; k++)
            if (ch[c].p[k].area > 0) (*ov)[(*nov)++] = (sg_overlap){ch[c].p[k].i, ch[c].p[k].j, ch[c].p[k].area};
    return 1;
}

static sg_status contig_pass(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, int overlap_only,
                             sg_weights *queen, sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow,
                             sg_overlap **ov, size_t *nov);

sg_status sg__contiguity_ov(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, sg_weights *queen,
                            sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow, sg_overlap **ov,
                            size_t *nov) {
    return contig_pass(ctx, d, sp, geos_only, 0, queen, rook, blen, fast, slow, ov, nov);
}

sg_status sg__overlap_pairs(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, sg_overlap **ov, size_t *nov) {
    sg_weights q, r, b;
    return contig_pass(ctx, d, sp, 0, 1, &q, &r, &b, NULL, NULL, ov, nov);
}

static sg_status contig_pass(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp, int geos_only, int overlap_only,
                             sg_weights *queen, sg_weights *rook, sg_weights *blen, size_t *fast, size_t *slow,
                             sg_overlap **ov, size_t *nov) {
    size_t n = d->n;
    if (ov) *ov = NULL;
    if (nov) *nov = 0;
    memset(queen, 0, sizeof *queen);
    memset(rook, 0, sizeof *rook);
    memset(blen, 0, sizeof *blen);
    if (!sp->tree)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                         "contiguity needs the district STRtree of the spatial build");
    int threads = d->opts ? d->opts->threads : 0;
    sg_cgeo G;
    memset(&G, 0, sizeof G);
    sg_status st = geos_only ? SG_OK : sg__cgeo_build(ctx, d, threads, &G);
    size_t nch = (n + CONTIG_CHUNK - 1) / CONTIG_CHUNK;
    contig_job J;
    memset(&J, 0, sizeof J);
    J.d = d;
    J.sp = sp;
    J.G = geos_only ? NULL : &G;
    J.eps = overlap_only ? 0 : sg__snap_tolerance(d->opts);
    J.overlap_only = overlap_only;
    J.chunk = calloc(nch ? nch : 1, sizeof *J.chunk);
    J.nfast = calloc(nch ? nch : 1, sizeof *J.nfast);
    J.nslow = calloc(nch ? nch : 1, sizeof *J.nslow);
    pthread_mutex_init(&J.lock, NULL);
    if (st == SG_OK && (!J.chunk || !J.nfast || !J.nslow)) st = sg__nomem(ctx);
    if (st == SG_OK) st = sg__parallel(ctx, n, threads, CONTIG_CHUNK, contig_range, &J);
    pthread_mutex_destroy(&J.lock);
    sg__cgeo_free(&G);
    if (st == SG_OK && J.fail && sg__cancelled(ctx)) st = sg__check_cancel(ctx); /* GEOS was interrupted */
    if (st == SG_OK && J.fail) {
        /* Again in this thread, for GEOS's message. */
        size_t i = J.fail_i, j = J.fail_j;
        GEOSContextHandle_t h = sg__geos(ctx);
        if (J.fail == FAIL_PREPARE) {
            const GEOSPreparedGeometry *p = GEOSPrepare_r(h, d->geom[i]);
            if (p) GEOSPreparedGeom_destroy_r(h, p);
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE,
                           "district '%s': GEOS could not prepare the geometry: %s", id_of(d, i), sg__geos_msg(ctx));
        } else if (J.fail == FAIL_INTERSECTS) {
            (void)GEOSIntersects_r(h, d->geom[i], d->geom[j]);
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE,
                           "districts '%s' and '%s': GEOS intersects failed: %s", id_of(d, i), id_of(d, j),
                           sg__geos_msg(ctx));
        } else {
            (void)shared_length(h, d->geom[i], d->geom[j], NULL);
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE,
                           "districts '%s' and '%s': GEOS could not intersect their boundaries: %s", id_of(d, i),
                           id_of(d, j), sg__geos_msg(ctx));
        }
    }
    if (st == SG_OK && !overlap_only && (!pairs_to_csr(J.chunk, nch, n, 0, 0, queen) || !pairs_to_csr(J.chunk, nch, n, 1, 0, rook) ||
                        !pairs_to_csr(J.chunk, nch, n, 1, 1, blen)))
        st = sg__nomem(ctx);
    if (st == SG_OK && ov && nov && !collect_overlaps(J.chunk, nch, ov, nov)) st = sg__nomem(ctx);
    size_t nf = 0, ns = 0;
    for (size_t c = 0; J.chunk && c < nch; c++) free(J.chunk[c].p);
    for (size_t c = 0; J.nfast && J.nslow && c < nch; c++) {
        nf += J.nfast[c];
        ns += J.nslow[c];
    }
    free(J.chunk);
    free(J.nfast);
    free(J.nslow);
    if (fast) *fast = nf;
    if (slow) *slow = ns;
    if (st != SG_OK) {
        if (ov) {
            free(*ov);
            *ov = NULL;
            *nov = 0;
        }
        sg__weights_free(queen);
        sg__weights_free(rook);
        sg__weights_free(blen);
    }
    return st;
}
