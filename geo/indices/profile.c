/* The multiscalar segregation profile (issue 20 item 2; Reardon et al. 2008,
 * Reardon & O'Sullivan 2004): dissimilarity, Theil's H, isolation and the
 * multigroup information theory index on each district's local environment
 * at every bandwidth of --scales, built exactly as PySAL segregation v2.5.2
 * with libpysal 4.7 Kernel weights (../shared/reference/PROFILES.md):
 *   - points: the GEOS centroids of the districts (sp->cx, sp->cy);
 *   - neighbours: every j with d_ij <= h (closed ball), the unit itself with
 *     weight 1 whatever the kernel (libpysal fill_diagonal), j != i with
 *     K(d_ij / h) (triangular 1 - z, uniform 1/2, quadratic 3/4 (1 - z²),
 *     quartic 15/16 (1 - z²)², gaussian exp(-z²/2) / sqrt(2π), cut off at h);
 *   - sums s_i = Σ_j w_ij v_j, not normalised, of each count column on its
 *     own (group x, total t, everyone else y = t - x, and the --groups frame),
 *     then rounded to whole persons half to even (pandas .round(0); rint in
 *     the default rounding mode), unless --scale-unrounded;
 *   - the aspatial formula on the rounded columns. A bandwidth of 0 is the
 *     aspatial index (PySAL's classes; not its profile's automatic bandwidth).
 * One pass over the pairs within the largest bandwidth serves every
 * bandwidth: the pairs come from the centroid STRtree of the spatial build
 * (sp->ctree), one query per block of districts, each district's row on its
 * own (sg__parallel: the result does not depend on the number of threads). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "indices/indices.h"

const char *const sg__profile_index_names[SG_PROFILE_NIDX] = {"dissimilarity", "entropy", "isolation",
                                                                 "information_theory"};

const char *sg__scale_kernel_name(int k) {
    static const char *const names[] = {"triangular", "uniform", "quadratic", "quartic", "gaussian"};
    return k >= 0 && k < 5 ? names[k] : "triangular";
}

/* libpysal's kernel at z = d / h, 0 <= z <= 1 (distance.py:689-700). */
static double kernel_weight(int kernel, double z) {
    switch (kernel) {
    case SG_SCALE_KERNEL_UNIFORM: return 0.5;
    case SG_SCALE_KERNEL_QUADRATIC: return (3.0 / 4) * (1 - z * z);
    case SG_SCALE_KERNEL_QUARTIC: {
        double u = 1 - z * z;
        return (15.0 / 16) * (u * u);
    }
    case SG_SCALE_KERNEL_GAUSSIAN: return pow(2 * 3.14159265358979323846, -0.5) * exp(-(z * z) / 2.0);
    default: return 1 - z;
    }
}

/* ---- the four indices on one set of (local) counts (PROFILES.md section 3) ---- */
/* x, t, y: n counts; m: n x k frame (k >= 2) for the information theory
 * index, or NULL for [x, y]. out: D, H, xPx, MIT (NaN when undefined). */
static void four_indices(const double *x, const double *t, const double *y, const double *m, size_t k, size_t n,
                         double out[SG_PROFILE_NIDX]) {
    sg_ksum Xs = {0, 0}, Ts = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sg__ksum_add(&Xs, x[i]);
        sg__ksum_add(&Ts, t[i]);
    }
    double X = sg__ksum_get(&Xs), T = sg__ksum_get(&Ts), P = X / T;
    double E = (P > 0 ? P * log(1 / P) : 0) + (P < 1 ? (1 - P) * log(1 / (1 - P)) : 0);
    sg_ksum D = {0, 0}, H = {0, 0}, I = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double p = t[i] > 0 ? x[i] / t[i] : 0;
        sg__ksum_add(&D, t[i] * fabs(p - P));
        double Ei = p > 0 && p < 1 ? p * log(1 / p) + (1 - p) * log(1 / (1 - p)) : 0;
        sg__ksum_add(&H, t[i] * (E - Ei));
        if (t[i] > 0) sg__ksum_add(&I, (x[i] / X) * (x[i] / t[i]));
    }
    int ok = T > 0 && X > 0 && X < T;
    out[SG_PROFILE_D] = ok ? sg__ksum_get(&D) / (2 * T * P * (1 - P)) : NAN;
    out[SG_PROFILE_H] = ok ? sg__ksum_get(&H) / (E * T) : NAN;
    out[SG_PROFILE_XPX] = X > 0 ? sg__ksum_get(&I) : NAN;
    /* information theory on the frame [x, y] or m */
    size_t K = m ? k : 2;
    double N[64];
    sg_ksum Ns[64], Ms = {0, 0};
    if (K > 64) {
        out[SG_PROFILE_MIT] = NAN;
        return;
    }
    memset(Ns, 0, sizeof Ns);
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < K; g++) sg__ksum_add(&Ns[g], m ? m[i * K + g] : g == 0 ? x[i] : y[i]);
    sg_ksum Nt = {0, 0}, Es = {0, 0};
    for (size_t g = 0; g < K; g++) {
        N[g] = sg__ksum_get(&Ns[g]);
        sg__ksum_add(&Nt, N[g]);
    }
    double NT = sg__ksum_get(&Nt);
    int mok = NT > 0;
    for (size_t g = 0; g < K; g++) {
        if (!(N[g] > 0)) mok = 0;
        else sg__ksum_add(&Es, (N[g] / NT) * log(NT / N[g]));
    }
    for (size_t i = 0; mok && i < n; i++) {
        double ti = 0;
        for (size_t g = 0; g < K; g++) ti += m ? m[i * K + g] : g == 0 ? x[i] : y[i];
        if (!(ti > 0)) continue;
        for (size_t g = 0; g < K; g++) {
            double v = m ? m[i * K + g] : g == 0 ? x[i] : y[i];
            if (v > 0) {
                double p = v / ti;
                sg__ksum_add(&Ms, ti * p * log(p / (N[g] / NT)));
            }
        }
    }
    double Ev = sg__ksum_get(&Es);
    out[SG_PROFILE_MIT] = mok && Ev > 0 ? sg__ksum_get(&Ms) / (NT * Ev) : NAN;
}

/* ---- the kernel pass ---- */
/* Districts are taken in blocks of SG_PROFILE_BLOCK, consecutive in the
 * centroid tree's own order (GEOS STR packing: spatially compact), and each
 * block asks the tree once for every centroid within the largest distance
 * of its bounding box; each district of the block then scans those
 * candidates. The blocks do not depend on the number of threads, so neither
 * does the order of any sum. */
#define SG_PROFILE_BLOCK 64
typedef struct prof_job {
    const sg_ctx *ctx;        /* its cancellation stops the pass between blocks */
    const sg_spatial *sp;
    const double *const *col; /* C input columns of n counts */
    size_t C, S, n;
    const double *h;          /* S bandwidths (> 0), ascending */
    const size_t *slot;       /* slot[s]: where h[s] goes in sm (the order of --scales) */
    double hmax;
    int kernel;
    const size_t *order;      /* the districts in tree order */
    double *sm;               /* S x C x n sums: sm[(s * C + c) * n + i] */
    size_t *pairs;            /* per district: neighbours within hmax (j != i) */
} prof_job;

typedef struct cand_vec {
    size_t *v, n, cap;
    int failed;
} cand_vec;

static void cand_cb(void *item, void *userdata) {
    cand_vec *c = userdata;
    if (c->failed) return;
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 1024;
        size_t *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv) {
            c->failed = 1;
            return;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = *(const size_t *)item;
}

static int prof_range(void *user, GEOSContextHandle_t h, size_t bbegin, size_t bend) {
    const prof_job *J = user;
    const sg_spatial *sp = J->sp;
    size_t S = J->S, C = J->C, n = J->n;
    double *acc = malloc(S * C * sizeof *acc), hmax = J->hmax, lim2 = hmax * hmax * (1 + 1e-9);
    double *buf = NULL; /* the block's candidates: x, y, then the C counts, contiguous */
    size_t bcap = 0;
    cand_vec cand = {0};
    int rc = acc ? 0 : -1;
    for (size_t b = bbegin; rc == 0 && b < bend; b++) {
        if (sg__cancelled(J->ctx)) { /* sg__parallel reports E_CANCELLED */
            rc = -2;
            break;
        }
        size_t k0 = b * SG_PROFILE_BLOCK, k1 = k0 + SG_PROFILE_BLOCK < n ? k0 + SG_PROFILE_BLOCK : n;
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (size_t k = k0; k < k1; k++) {
            size_t i = J->order[k];
            x0 = fmin(x0, sp->cx[i]);
            y0 = fmin(y0, sp->cy[i]);
            x1 = fmax(x1, sp->cx[i]);
            y1 = fmax(y1, sp->cy[i]);
        }
        GEOSGeometry *rect = GEOSGeom_createRectangle_r(h, x0 - hmax, y0 - hmax, x1 + hmax, y1 + hmax);
        cand.n = 0;
        if (rect) GEOSSTRtree_query_r(h, sp->ctree, rect, cand_cb, &cand);
        if (rect) GEOSGeom_destroy_r(h, rect);
        if (!rect || cand.failed) {
            rc = -1;
            break;
        }
        size_t stride = 2 + C;
        if (cand.n * stride > bcap) {
            double *nb = realloc(buf, cand.n * stride * sizeof *nb);
            if (!nb) {
                rc = -1;
                break;
            }
            buf = nb;
            bcap = cand.n * stride;
        }
        for (size_t c = 0; c < cand.n; c++) {
            size_t j = cand.v[c];
            double *e = buf + c * stride;
            e[0] = sp->cx[j];
            e[1] = sp->cy[j];
            for (size_t q = 0; q < C; q++) e[2 + q] = J->col[q][j];
        }
        for (size_t k = k0; k < k1; k++) {
            size_t i = J->order[k], np = 0;
            double xi = sp->cx[i], yi = sp->cy[i];
            for (size_t q = 0; q < S * C; q++) acc[q] = 0;
            for (size_t c = 0; c < cand.n; c++) {
                const double *e = buf + c * stride;
                double dx = xi - e[0], dy = yi - e[1], d2 = dx * dx + dy * dy;
                if (d2 > lim2 || cand.v[c] == i) continue;
                double dij = sqrt(d2);
                if (!(dij <= hmax)) continue;
                np++;
                /* the bandwidths ascending: every one from the first that reaches d */
                size_t s = 0;
                while (!(dij <= J->h[s])) s++;
                for (; s < S; s++) {
                    double w = kernel_weight(J->kernel, dij / J->h[s]);
                    double *a = acc + J->slot[s] * C;
                    for (size_t q = 0; q < C; q++) a[q] += w * e[2 + q];
                }
            }
            J->pairs[i] = np;
            for (size_t s = 0; s < S; s++)
                for (size_t q = 0; q < C; q++) J->sm[(s * C + q) * n + i] = J->col[q][i] + acc[s * C + q];
        }
    }
    free(acc);
    free(buf);
    free(cand.v);
    return rc;
}

/* The districts in the centroid tree's order (every one exactly once, else
 * the input order). */
static void order_cb(void *item, void *userdata) { cand_cb(item, userdata); }

static int tree_order(sg_ctx *ctx, const sg_spatial *sp, size_t *order) {
    cand_vec v = {0};
    GEOSSTRtree_iterate_r(sg__geos(ctx), sp->ctree, order_cb, &v);
    int ok = !v.failed && v.n == sp->n;
    unsigned char *seen = ok ? calloc(sp->n ? sp->n : 1, 1) : NULL;
    for (size_t k = 0; ok && k < v.n; k++) {
        if (!seen || v.v[k] >= sp->n || seen[v.v[k]]) ok = 0;
        else seen[v.v[k]] = 1;
    }
    for (size_t k = 0; k < sp->n; k++) order[k] = ok ? v.v[k] : k;
    free(seen);
    free(v.v);
    return ok;
}

void sg__profile_free(sg_profile *p) {
    if (!p) return;
    free(p->dist);
    for (int q = 0; q < SG_PROFILE_NIDX; q++) free(p->val[q]);
    free(p);
}

sg_status sg__profile_compute(sg_ctx *ctx, const sg_spatial *sp, const double *x, const double *t, const double *m,
                              size_t k, const double *dist, size_t nd, int kernel, int rounded, int threads,
                              sg_profile **out) {
    *out = NULL;
    size_t n = sp ? sp->n : 0;
    if (!sp || !sp->ctree || !sp->cx)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                         "the profile needs the centroid tree of the spatial build");
    if (nd > 64)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "the profile takes at most 64 distances, not %zu",
                         nd);
    if (m && (k < 2 || k > 64))
        return sg__error(ctx, SG_ERR_DATA, "E_USAGE", SG_WHERE_NONE,
                         "the profile's information theory index takes 2 to 64 groups, not %zu", k);
    sg_profile *P = calloc(1, sizeof *P);
    size_t C = 3 + (m ? k : 0), S = 0;
    double *h = malloc((nd ? nd : 1) * sizeof *h), *y = malloc((n ? n : 1) * sizeof *y);
    const double **col = malloc(C * sizeof *col);
    double *mcol = m ? malloc((n ? n : 1) * k * sizeof *mcol) : NULL; /* the frame by column */
    sg_status st = P && h && y && col && (!m || mcol) ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK) {
        P->kernel = kernel;
        P->rounded = rounded;
        P->nd = nd;
        P->dist = malloc((nd ? nd : 1) * sizeof *P->dist);
        for (int q = 0; q < SG_PROFILE_NIDX; q++) P->val[q] = malloc((nd ? nd : 1) * sizeof *P->val[q]);
        for (int q = 0; q < SG_PROFILE_NIDX; q++)
            if (!P->val[q]) st = sg__nomem(ctx);
        if (!P->dist) st = sg__nomem(ctx);
    }
    double hmax = 0;
    for (size_t s = 0; st == SG_OK && s < nd; s++) {
        P->dist[s] = dist[s];
        if (dist[s] > 0) {
            h[S++] = dist[s];
            if (dist[s] > hmax) hmax = dist[s];
        }
    }
    double *sm = NULL;
    size_t *pairs = NULL;
    if (st == SG_OK) {
        for (size_t i = 0; i < n; i++) y[i] = t[i] - x[i];
        col[0] = x;
        col[1] = t;
        col[2] = y;
        for (size_t g = 0; m && g < k; g++) {
            for (size_t i = 0; i < n; i++) mcol[g * n + i] = m[i * k + g];
            col[3 + g] = mcol + g * n;
        }
        four_indices(x, t, y, m, k, n, P->aspatial);
        sm = S ? malloc(S * C * n * sizeof *sm) : NULL;
        pairs = S ? malloc(n * sizeof *pairs) : NULL;
        if (S && (!sm || !pairs)) st = sg__nomem(ctx);
    }
    size_t *order = st == SG_OK && S ? malloc((n ? n : 1) * sizeof *order) : NULL;
    if (st == SG_OK && S && !order) st = sg__nomem(ctx);
    if (st == SG_OK && S) {
        (void)tree_order(ctx, sp, order);
        /* the bandwidths ascending, each with its slot (insertion sort: at most 64) */
        size_t slot[64];
        double hs[64];
        for (size_t s = 0; s < S; s++) {
            size_t r = s;
            while (r > 0 && hs[r - 1] > h[s]) {
                hs[r] = hs[r - 1];
                slot[r] = slot[r - 1];
                r--;
            }
            hs[r] = h[s];
            slot[r] = s;
        }
        prof_job J = {ctx, sp, col, C, S, n, hs, slot, hmax, kernel, order, sm, pairs};
        st = sg__parallel(ctx, (n + SG_PROFILE_BLOCK - 1) / SG_PROFILE_BLOCK, threads, 4, prof_range, &J);
        for (size_t i = 0; st == SG_OK && i < n; i++) P->pairs += pairs[i];
        P->pairs /= 2;
    }
    /* Round (half to even), then the indices per bandwidth. */
    double *fr = st == SG_OK && m ? malloc(n * k * sizeof *fr) : NULL;
    if (st == SG_OK && m && !fr) st = sg__nomem(ctx);
    for (size_t s = 0, si = 0; st == SG_OK && s < nd; s++) {
        double v[SG_PROFILE_NIDX];
        if (!(dist[s] > 0)) {
            memcpy(v, P->aspatial, sizeof v);
        } else {
            double *base = sm + si * C * n;
            si++;
            if (rounded)
                for (size_t q = 0; q < C * n; q++) base[q] = rint(base[q]);
            for (size_t g = 0; m && g < k; g++)
                for (size_t i = 0; i < n; i++) fr[i * k + g] = base[(3 + g) * n + i];
            four_indices(base, base + n, base + 2 * n, fr, k, n, v);
        }
        for (int q = 0; q < SG_PROFILE_NIDX; q++) P->val[q][s] = v[q];
    }
    free(fr);
    free(order);
    free(sm);
    free(pairs);
    free(h);
    free(y);
    free(col);
    free(mcol);
    if (st != SG_OK) {
        sg__profile_free(P);
        return st;
    }
    *out = P;
    return SG_OK;
}

sg_status sg__profile(sg_ctx *ctx, const sg_data *d, sg_profile **out) {
    *out = NULL;
    const sg_options *o = d->opts;
    if (!o || !o->nscales) return SG_OK;
    double t0 = sg__now();
    sg_status st = sg__profile_compute(ctx, d->sp, d->x, d->t, d->k ? d->m : NULL, d->k, o->scales, o->nscales,
                                       o->scale_kernel, !o->scale_unrounded, o->threads, out);
    sg__stage_add(ctx, "indices.profile", sg__now() - t0);
    return st;
}

static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

/* summary.json -> profile. */
void *sg__profile_json(const sg_profile *p) {
    json_object *o = json_object_new_object(), *ds = json_object_new_array(), *ind = json_object_new_object(),
                *asp = json_object_new_object();
    json_object_object_add(o, "kernel", json_object_new_string(sg__scale_kernel_name(p->kernel)));
    json_object_object_add(o, "rounded", json_object_new_boolean(p->rounded));
    for (size_t s = 0; s < p->nd; s++)
        json_object_array_add(ds, p->dist[s] == floor(p->dist[s]) && p->dist[s] < 9e15
                                      ? json_object_new_int64((int64_t)p->dist[s])
                                      : json_object_new_double(p->dist[s]));
    json_object_object_add(o, "distances_m", ds);
    for (int q = 0; q < SG_PROFILE_NIDX; q++) {
        json_object *a = json_object_new_array();
        for (size_t s = 0; s < p->nd; s++) json_object_array_add(a, jnum(p->val[q][s]));
        json_object_object_add(ind, sg__profile_index_names[q], a);
        json_object_object_add(asp, sg__profile_index_names[q], jnum(p->aspatial[q]));
    }
    json_object_object_add(o, "indices", ind);
    json_object_object_add(o, "aspatial", asp);
    json_object_object_add(o, "pairs", json_object_new_int64((int64_t)p->pairs));
    json_object_object_add(o, "note", json_object_new_string(
        "each index on the districts' local environments: counts summed over the districts whose centroid lies "
        "within the distance, weighted by the kernel (the district itself 1), as PySAL segregation 2.5 with "
        "libpysal Kernel weights; sums rounded to whole persons (half to even) unless rounded is false"));
    return o;
}
