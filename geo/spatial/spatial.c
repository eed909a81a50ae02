/* The spatial data of a run, built once from the used districts: areas,
 * perimeters, centroids, STRtrees, contiguity and boundary-length weights,
 * the centre for centralization and the clustering kernel. The index families
 * only read it (see spatial.h). Only what the selected families need is
 * built; each part adds its time to a stage (spatial.areas, .adjacency,
 * .centre, .kernel: --timings).
 *
 * Why the choices:
 * - Queen contiguity is GEOS intersects on valid geometry (CONVENTIONS A6),
 *   and the shared boundary length b_ij the length of the GEOS intersection
 *   of the two polygons, as PySAL's _return_length_weighted_w; rook = b_ij >
 *   0. Candidates from the STRtree; pairs that share vertices and edges
 *   exactly are settled from the coordinates, the rest by GEOS
 *   (contiguity.c, contiguity_fast.c), on several threads.
 * - The default kernel exp(-d/h) is sparse: pairs with c_ij < 1e-6
 *   (d > h ln 1e6) are left out. They are found with a grid over the
 *   centroids and visited by each run, not stored (kernel.c).
 * - The PySAL kernel is dense by definition (S_j sums the distances to every
 *   unit); it is allowed up to SG_PYSAL_KERNEL_MAX_N districts.
 * - Areas, perimeters and centroids are computed on several threads; sorts
 *   by area and by distance to the centre are radix sorts (O(N)).
 * The centre and the kernel's setup are in centre_kernel.c. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial_internal.h"

/* Refuse to store distance weights with more entries than this (12 bytes
 * each, 2.4 GB): the clustering family is then skipped with a warning. */
#define SG_KERNEL_MAX_NNZ ((size_t)200000000)

void sg__weights_free(sg_weights *w) {
    if (!w) return;
    free(w->off);
    free(w->nb);
    free(w->w);
    memset(w, 0, sizeof *w);
}

/* ---- growable arrays ---- */
typedef struct idxvec {
    size_t *v;
    size_t n, cap;
    int failed; /* a push ran out of memory */
} idxvec;

static int idxvec_push(idxvec *a, size_t x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        size_t *nv = sg__reallocarray(a->v, cap, sizeof *nv);
        if (!nv) return 0;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 1;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* A CSR under construction, row by row. */
typedef struct csr_builder {
    size_t n, row;
    size_t *off;
    uint32_t *nb;
    double *w;
    size_t nnz, cap;
    int weighted;
} csr_builder;

static int csr_init(csr_builder *b, size_t n, int weighted) {
    memset(b, 0, sizeof *b);
    b->n = n;
    b->weighted = weighted;
    b->off = calloc(n + 1, sizeof *b->off);
    return b->off != NULL;
}

static int csr_add(csr_builder *b, size_t j, double w) {
    if (b->nnz == b->cap) {
        size_t cap = b->cap ? b->cap + b->cap / 2 : 1024;
        uint32_t *nnb = sg__reallocarray(b->nb, cap, sizeof *nnb);
        if (!nnb) return 0;
        b->nb = nnb;
        if (b->weighted) {
            double *nw = sg__reallocarray(b->w, cap, sizeof *nw);
            if (!nw) return 0;
            b->w = nw;
        }
        b->cap = cap;
    }
    b->nb[b->nnz] = (uint32_t)j;
    if (b->weighted) b->w[b->nnz] = w;
    b->nnz++;
    return 1;
}

static void csr_end_row(csr_builder *b) { b->off[++b->row] = b->nnz; }

static void csr_finish(csr_builder *b, sg_weights *out, int upper) {
    out->n = b->n;
    out->off = b->off;
    out->nb = b->nb;
    out->w = b->w;
    out->upper = upper;
    if (b->nnz && b->nnz < b->cap) { /* give back the slack */
        uint32_t *nnb = sg__reallocarray(out->nb, b->nnz, sizeof *nnb);
        if (nnb) out->nb = nnb;
        if (out->w) {
            double *nw = sg__reallocarray(out->w, b->nnz, sizeof *nw);
            if (nw) out->w = nw;
        }
    }
    memset(b, 0, sizeof *b);
}

static void csr_abort(csr_builder *b) {
    free(b->off);
    free(b->nb);
    free(b->w);
    memset(b, 0, sizeof *b);
}

/* ---- sorting indices by a key (ties by index, so the order is deterministic) ---- */
typedef struct keyed {
    double key;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key < y->key) return -1;
    if (x->key > y->key) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

int sg__sort_by_key(const double *key, size_t n, int descending, size_t *order) {
    uint64_t *k = malloc((n ? n : 1) * 2 * sizeof *k);
    size_t *tmp = malloc((n ? n : 1) * sizeof *tmp), *cnt = malloc((65536 + 1) * sizeof *cnt);
    if (!k || !tmp || !cnt) {
        free(k);
        free(tmp);
        free(cnt);
        return 0;
    }
    uint64_t *k2 = k + n;
    for (size_t i = 0; i < n; i++) {
        double v = (descending ? -key[i] : key[i]) + 0.0;
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        k[i] = (b >> 63) ? ~b : b | ((uint64_t)1 << 63);
        order[i] = i;
    }
    uint64_t *ks = k, *kd = k2;
    size_t *os = order, *od = tmp;
    for (unsigned shift = 0; n && shift < 64; shift += 16) {
        memset(cnt, 0, (65536 + 1) * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[((ks[i] >> shift) & 65535) + 1]++;
        if (cnt[((ks[0] >> shift) & 65535) + 1] == n) continue; /* one digit value: nothing to do */
        for (size_t d = 0; d < 65536; d++) cnt[d + 1] += cnt[d];
        for (size_t i = 0; i < n; i++) {
            size_t q = cnt[(ks[i] >> shift) & 65535]++;
            kd[q] = ks[i];
            od[q] = os[i];
        }
        uint64_t *sk = ks;
        ks = kd;
        kd = sk;
        size_t *so = os;
        os = od;
        od = so;
    }
    if (os != order) memcpy(order, os, n * sizeof *order);
    free(k);
    free(tmp);
    free(cnt);
    return 1;
}

/* ---- STRtree queries ---- */
static void collect_cb(void *item, void *userdata) {
    idxvec *v = userdata;
    if (!v->failed && !idxvec_push(v, *(const size_t *)item)) v->failed = 1;
}

/* Items of tree whose envelope meets the rectangle; sorted ascending. */
static int query_rect(GEOSContextHandle_t h, GEOSSTRtree *tree, double x0, double y0, double x1, double y1,
                      idxvec *out) {
    out->n = 0;
    GEOSGeometry *r = GEOSGeom_createRectangle_r(h, x0, y0, x1, y1);
    if (!r) return 0;
    GEOSSTRtree_query_r(h, tree, r, collect_cb, out);
    GEOSGeom_destroy_r(h, r);
    if (out->failed) return 0;
    qsort(out->v, out->n, sizeof *out->v, cmp_size);
    return 1;
}

static const char *id_of(const sg_data *d, size_t i) { return d->city->id[d->index[i]]; }

/* ---- contiguity (contiguity.c) ---- */
static sg_status build_contiguity(sg_ctx *ctx, const sg_data *d, sg_spatial *sp) {
    return sg__contiguity_ov(ctx, d, sp, 0, &sp->queen, &sp->rook, &sp->blen, NULL, NULL, &sp->overlap,
                             &sp->noverlap);
}

/* Lists the districts of `which` (n of them) in a warning: the first 20 ids. */
static void warn_ids(sg_ctx *ctx, const sg_data *d, const size_t *which, size_t n, const char *what) {
    size_t show = n < 20 ? n : 20;
    const char **idv = calloc(show ? show : 1, sizeof *idv);
    if (!idv) return;
    for (size_t k = 0; k < show; k++) idv[k] = d->city->id ? id_of(d, which[k]) : NULL;
    char *ids = sg__format_ids(idv, show, show, n, SG_IDS_QUOTE);
    free(idv);
    if (!ids) return;
    sg__warn(ctx, "W_ISLAND", (sg_where){d->opts ? d->opts->districts : NULL, NULL, -1, NULL, NULL},
             "%zu district%s %s: %s", n, n == 1 ? "" : "s", what, ids);
    free(ids);
}

static sg_status find_islands(sg_ctx *ctx, const sg_data *d, sg_spatial *sp) {
    size_t n = sp->n;
    sp->islands = malloc((n ? n : 1) * sizeof *sp->islands);
    size_t *rk = malloc((n ? n : 1) * sizeof *rk);
    if (!sp->islands || !rk) {
        free(rk);
        return sg__nomem(ctx);
    }
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (sp->queen.off[i + 1] == sp->queen.off[i]) sp->islands[sp->nislands++] = i;
        if (sp->rook.off[i + 1] == sp->rook.off[i]) rk[nr++] = i;
    }
    sp->nrook_islands = nr;
    if (n > 1 && sp->nislands)
        warn_ids(ctx, d, sp->islands, sp->nislands,
                 "touch no other district (islands): they have no neighbour in the contiguity indices "
                 "(spatial_dissimilarity, boundary and perimeter-area spatial dissimilarity, spatial "
                 "proximity profile)");
    if (n > 1 && nr > sp->nislands) {
        /* Only those that touch others at points only: not already listed. */
        size_t m = 0;
        for (size_t k = 0, q = 0; k < nr; k++) {
            while (q < sp->nislands && sp->islands[q] < rk[k]) q++;
            if (q < sp->nislands && sp->islands[q] == rk[k]) continue;
            rk[m++] = rk[k];
        }
        warn_ids(ctx, d, rk, m,
                 "share no boundary of positive length with any other district (they touch others at "
                 "points only): they have no neighbour in the boundary-length indices");
    }
    free(rk);
    return SG_OK;
}

/* Sorts a[0..n-1] ascending: LSD radix sort on 11-bit digits (the kernel
 * rows hold thousands of neighbours, and qsort dominated the build). */
static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n) {
    if (n < 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++) mx = a[i] > mx ? a[i] : mx;
    uint32_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 32 && (mx >> shift); shift += 11) {
        size_t cnt[2048] = {0};
        for (size_t i = 0; i < n; i++) cnt[(src[i] >> shift) & 2047]++;
        for (size_t k = 0, sum = 0; k < 2048; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 2047]++] = src[i];
        uint32_t *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* ---- distance weights on centroids ---- */
/* The distance band; *too_many is set (and nothing recorded) when more than
 * SG_KERNEL_MAX_NNZ entries would be stored. */
static sg_status distance_band(sg_ctx *ctx, const sg_spatial *sp, double dmax, double decay_h, int upper,
                               sg_weights *out, int *too_many) {
    GEOSContextHandle_t h = sg__geos(ctx);
    *too_many = 0;
    memset(out, 0, sizeof *out);
    if (!sp->ctree)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                         "distance weights need the centroid tree of the spatial build (local_spatial)");
    csr_builder b;
    if (!csr_init(&b, sp->n, decay_h > 0)) return sg__nomem(ctx);
    idxvec cand = {0};
    uint32_t *keep = NULL, *tmp = NULL;
    size_t kcap = 0;
    sg_status st = SG_OK;
    for (size_t i = 0; i < sp->n && st == SG_OK; i++) {
        /* Candidates from the tree (unordered), kept when within dmax, then
         * sorted so that rows are ascending. */
        cand.n = 0;
        GEOSGeometry *r = GEOSGeom_createRectangle_r(h, sp->cx[i] - dmax, sp->cy[i] - dmax, sp->cx[i] + dmax,
                                                     sp->cy[i] + dmax);
        if (r) GEOSSTRtree_query_r(h, sp->ctree, r, collect_cb, &cand);
        if (r) GEOSGeom_destroy_r(h, r);
        if (!r || cand.failed) {
            st = sg__nomem(ctx);
            break;
        }
        if (cand.n > kcap) {
            uint32_t *nk = sg__reallocarray(keep, cand.n, sizeof *nk), *nt = nk ? sg__reallocarray(tmp, cand.n, sizeof *nt) : NULL;
            if (nk) keep = nk;
            if (nt) tmp = nt;
            if (!nk || !nt) {
                st = sg__nomem(ctx);
                break;
            }
            kcap = cand.n;
        }
        size_t m = 0;
        for (size_t c = 0; c < cand.n; c++) {
            size_t j = cand.v[c];
            if (j == i || (upper && j < i)) continue;
            if (sg__centroid_dist(sp, i, j) <= dmax) keep[m++] = (uint32_t)j;
        }
        sort_u32(keep, tmp, m);
        for (size_t c = 0; c < m; c++) {
            size_t j = keep[c];
            double dij = sg__centroid_dist(sp, i, j);
            if (b.nnz >= SG_KERNEL_MAX_NNZ) {
                *too_many = 1;
                st = SG_ERR_DATA;
                break;
            }
            if (!csr_add(&b, j, decay_h > 0 ? exp(-dij / decay_h) : 1.0)) {
                st = sg__nomem(ctx);
                break;
            }
        }
        csr_end_row(&b);
    }
    free(cand.v);
    free(keep);
    free(tmp);
    if (st != SG_OK) {
        csr_abort(&b);
        return st;
    }
    csr_finish(&b, out, upper);
    return SG_OK;
}

sg_status sg__weights_distance(sg_ctx *ctx, const sg_spatial *sp, double dmax, double decay_h, int upper,
                               sg_weights *out) {
    int too_many;
    sg_status st = distance_band(ctx, sp, dmax, decay_h, upper, out, &too_many);
    if (too_many)
        return sg__error(ctx, SG_ERR_DATA, "E_TOO_MANY_PAIRS", SG_WHERE_NONE,
                         "more than %zu pairs of districts lie within %.0f m of each other: the distance weights "
                         "would not fit in memory",
                         SG_KERNEL_MAX_NNZ, dmax);
    return st;
}

/* Distance of two tree items (centroids); self is pushed out of reach so that
 * the nearest item is another district. */
typedef struct knn_ud {
    const sg_spatial *sp;
    size_t self;
} knn_ud;

static int knn_dist_cb(const void *a, const void *b, double *dist, void *ud) {
    const knn_ud *u = ud;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    *dist = (i == u->self && j == u->self) ? DBL_MAX : sg__centroid_dist(u->sp, i, j);
    return 1;
}

static int cmp_keyed_idx(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    return (x->i > y->i) - (x->i < y->i);
}

sg_status sg__weights_knn(sg_ctx *ctx, const sg_spatial *sp, size_t k, sg_weights *out) {
    GEOSContextHandle_t h = sg__geos(ctx);
    memset(out, 0, sizeof *out);
    size_t n = sp->n;
    if (!sp->ctree)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                         "kNN weights need the centroid tree of the spatial build (local_spatial)");
    if (k == 0 || k >= n)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "k nearest neighbours: k = %zu must be between 1 and the number of districts - 1 (%zu)", k,
                         n ? n - 1 : 0);
    csr_builder b;
    if (!csr_init(&b, n, 0)) return sg__nomem(ctx);
    idxvec cand = {0};
    keyed *kk = NULL;
    size_t kcap = 0;
    sg_status st = SG_OK;
    for (size_t i = 0; i < n && st == SG_OK; i++) {
        knn_ud ud = {sp, i};
        const void *nn = GEOSSTRtree_nearest_generic_r(h, sp->ctree, &sp->item[i], sp->centroid[i], knn_dist_cb, &ud);
        if (!nn) {
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE, "GEOS nearest neighbour search failed: %s",
                           sg__geos_msg(ctx));
            break;
        }
        double r = sg__centroid_dist(sp, i, *(const size_t *)nn);
        if (!(r > 0)) r = 1.0;
        for (;;) { /* widen the disc until it holds k other centroids */
            if (!query_rect(h, sp->ctree, sp->cx[i] - r, sp->cy[i] - r, sp->cx[i] + r, sp->cy[i] + r, &cand)) {
                st = sg__nomem(ctx);
                break;
            }
            if (cand.n > kcap) {
                keyed *nk = sg__reallocarray(kk, cand.n, sizeof *nk);
                if (!nk) {
                    st = sg__nomem(ctx);
                    break;
                }
                kk = nk;
                kcap = cand.n;
            }
            size_t m = 0;
            for (size_t c = 0; c < cand.n; c++) {
                size_t j = cand.v[c];
                double dij = sg__centroid_dist(sp, i, j);
                if (j != i && dij <= r) kk[m++] = (keyed){dij, j};
            }
            if (m >= k || cand.n >= n) {
                qsort(kk, m, sizeof *kk, cmp_keyed);
                qsort(kk, k, sizeof *kk, cmp_keyed_idx);
                for (size_t q = 0; q < k && st == SG_OK; q++)
                    if (!csr_add(&b, kk[q].i, 1.0)) st = sg__nomem(ctx);
                break;
            }
            r *= 2;
        }
        csr_end_row(&b);
    }
    free(cand.v);
    free(kk);
    if (st != SG_OK) {
        csr_abort(&b);
        return st;
    }
    csr_finish(&b, out, 0);
    return SG_OK;
}

/* ---- the whole build ---- */
void sg__spatial_free(sg_ctx *ctx, sg_spatial *sp) {
    if (!sp) return;
    GEOSContextHandle_t h = sg__geos(ctx);
    if (sp->tree) GEOSSTRtree_destroy_r(h, sp->tree);
    if (sp->ctree) GEOSSTRtree_destroy_r(h, sp->ctree);
    if (sp->centroid)
        for (size_t i = 0; i < sp->n; i++)
            if (sp->centroid[i]) GEOSGeom_destroy_r(h, sp->centroid[i]);
    free(sp->centroid);
    free(sp->item);
    free(sp->area);
    free(sp->perim);
    free(sp->cx);
    free(sp->cy);
    sg__weights_free(&sp->queen);
    sg__weights_free(&sp->rook);
    sg__weights_free(&sp->blen);
    free(sp->islands);
    free(sp->overlap);
    free(sp->centre_detail);
    free(sp->centre_order);
    free(sp->area_asc);
    free(sp->area_desc);
    free(sp->kernel_detail);
    sg__kgrid_free(sp->kgrid);
    sg__klat_free(sp->klat);
    free(sp->kdiag);
    free(sp->colsum);
    free(sp->dense);
    free(sp);
}

/* Area, perimeter and centroid of each district, on several threads (each
 * with its own GEOS handle; every district writes only its own slots). */
typedef struct geom_job {
    const sg_data *d;
    sg_spatial *sp;
    int points;            /* keep the centroids as GEOS points */
    pthread_mutex_t lock;
    size_t bad;            /* the lowest district GEOS failed on, or SIZE_MAX */
} geom_job;

static int geom_range(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    geom_job *J = user;
    sg_spatial *sp = J->sp;
    for (size_t i = b; i < e; i++) {
        const GEOSGeometry *g = J->d->geom[i];
        GEOSGeometry *c = GEOSGetCentroid_r(h, g);
        int ok = c && GEOSArea_r(h, g, &sp->area[i]) && GEOSLength_r(h, g, &sp->perim[i]) &&
                 GEOSGeomGetX_r(h, c, &sp->cx[i]) && GEOSGeomGetY_r(h, c, &sp->cy[i]);
        if (J->points) sp->centroid[i] = c;
        else if (c) GEOSGeom_destroy_r(h, c);
        if (!ok) {
            pthread_mutex_lock(&J->lock);
            if (i < J->bad) J->bad = i;
            pthread_mutex_unlock(&J->lock);
        }
    }
    return 0;
}

sg_status sg__spatial_build(sg_ctx *ctx, const sg_data *d, sg_spatial **out) {
    *out = NULL;
    GEOSContextHandle_t h = sg__geos(ctx);
    size_t n = d->n, m = n ? n : 1;
    if (n > UINT32_MAX - 1)
        return sg__error(ctx, SG_ERR_DATA, "E_TOO_MANY_DISTRICTS", SG_WHERE_NONE, "too many districts (%zu)", n);
    if (d->opts && d->opts->distance_kernel_pysal && n > SG_PYSAL_KERNEL_MAX_N) /* before any work */
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "--distance-kernel pysal uses a dense %zu x %zu matrix (every pair of districts): "
                         "it is allowed up to %d districts; use the default kernel (exp) for this city",
                         n, n, SG_PYSAL_KERNEL_MAX_N);
    /* Only what the selected families (--indices) need. */
    const sg_options *o = d->opts;
    int threads = o ? o->threads : 0;
    int contig = !(d->spatial_skip & SG_SP_SKIP_CONTIG);
    int points = !(d->spatial_skip & SG_SP_SKIP_POINTS); /* kNN and distance-band weights */
    sg_spatial *sp = calloc(1, sizeof *sp);
    if (!sp) return sg__nomem(ctx);
    sp->n = n;
    sp->area = malloc(m * sizeof *sp->area);
    sp->perim = malloc(m * sizeof *sp->perim);
    sp->cx = malloc(m * sizeof *sp->cx);
    sp->cy = malloc(m * sizeof *sp->cy);
    sp->centroid = points ? calloc(m, sizeof *sp->centroid) : NULL;
    sp->item = malloc(m * sizeof *sp->item);
    sp->area_asc = malloc(m * sizeof *sp->area_asc);
    sp->area_desc = malloc(m * sizeof *sp->area_desc);
    sp->tree = contig ? GEOSSTRtree_create_r(h, 10) : NULL;
    sp->ctree = points ? GEOSSTRtree_create_r(h, 10) : NULL;
    sg_status st = SG_OK;
    if (!sp->area || !sp->perim || !sp->cx || !sp->cy || (points && (!sp->centroid || !sp->ctree)) || !sp->item ||
        !sp->area_asc || !sp->area_desc || (contig && !sp->tree))
        st = sg__nomem(ctx);
    double t0 = sg__now();
    geom_job J;
    memset(&J, 0, sizeof J);
    J.d = d;
    J.sp = sp;
    J.points = points;
    J.bad = SIZE_MAX;
    pthread_mutex_init(&J.lock, NULL);
    if (st == SG_OK) st = sg__parallel(ctx, n, threads, 1024, geom_range, &J);
    pthread_mutex_destroy(&J.lock);
    if (st == SG_OK && J.bad != SIZE_MAX) {
        size_t i = J.bad; /* again in this thread, for GEOS's message */
        GEOSGeometry *c = GEOSGetCentroid_r(h, d->geom[i]);
        double a;
        if (c && GEOSArea_r(h, d->geom[i], &a)) (void)GEOSLength_r(h, d->geom[i], &a);
        if (c) GEOSGeom_destroy_r(h, c);
        st = sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE,
                       "district '%s': GEOS could not compute area, perimeter or centroid: %s", id_of(d, i),
                       sg__geos_msg(ctx));
    }
    sg_ksum atot = {0, 0};
    for (size_t i = 0; i < n && st == SG_OK; i++) {
        sg__ksum_add(&atot, sp->area[i]);
        sp->item[i] = i;
        if (contig) GEOSSTRtree_insert_r(h, sp->tree, d->geom[i], &sp->item[i]);
        if (points) GEOSSTRtree_insert_r(h, sp->ctree, sp->centroid[i], &sp->item[i]);
    }
    sp->area_total = sg__ksum_get(&atot);
    if (st == SG_OK && n) {
        /* GEOS builds an STRtree on its first query: query both trees here so
         * that later users (contiguity, kNN, distance bands), possibly in
         * several threads, only read them. */
        idxvec probe = {0};
        if ((contig && !query_rect(h, sp->tree, sp->cx[0], sp->cy[0], sp->cx[0], sp->cy[0], &probe)) ||
            (points && !query_rect(h, sp->ctree, sp->cx[0], sp->cy[0], sp->cx[0], sp->cy[0], &probe)))
            st = sg__nomem(ctx);
        free(probe.v);
    }
    if (st == SG_OK && (!sg__sort_by_key(sp->area, n, 0, sp->area_asc) || !sg__sort_by_key(sp->area, n, 1, sp->area_desc)))
        st = sg__nomem(ctx);
    sg__stage_add(ctx, "spatial.areas", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK && contig) st = build_contiguity(ctx, d, sp);
    if (st == SG_OK && contig) st = find_islands(ctx, d, sp);
    if (contig) sg__stage_add(ctx, "spatial.adjacency", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK && !(d->spatial_skip & SG_SP_SKIP_CENTRE)) {
        st = sg__spatial_centre(ctx, d, sp);
        sg__stage_add(ctx, "spatial.centre", sg__now() - t0);
    }
    t0 = sg__now();
    if (st == SG_OK && !(d->spatial_skip & SG_SP_SKIP_KERNEL)) {
        st = sg__spatial_kernel(ctx, d, sp);
        sg__stage_add(ctx, "spatial.kernel", sg__now() - t0);
    }
    if (st != SG_OK) {
        sg__spatial_free(ctx, sp);
        return st;
    }
    *out = sp;
    return SG_OK;
}
