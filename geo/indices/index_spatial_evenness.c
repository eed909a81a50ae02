/* Spatial evenness: the dissimilarity D corrected for the contrast between
 * neighbouring districts, and the spatial proximity profile.
 *
 *   spatial_dissimilarity  Morrill (1991) D(adj) = D - sum_ij |p_i - p_j| c_ij / sum c,
 *                          c = binary queen contiguity, not standardised (PySAL default)
 *   boundary_spatial_dissimilarity  Wong (1993) D(w): c_ij = b_ij / sum_k b_ik, the
 *                          shared boundary length standardised by row (PySAL's class default)
 *   perimeter_area_spatial_dissimilarity  Wong (1993) D(s): c_ij = b_ij / sum_kl b_kl
 *                          (global normalisation), weighted by ((P/A)_i + (P/A)_j) / (2 max P/A)
 *   spatial_proximity_profile  Hong & Sadahiro (2014), on hop distances of the queen graph
 *
 * Islands (districts without a neighbour, reported when the spatial data is
 * built): in D(adj) and D(s) they add no pair; in D(w) their row of c is zero
 * (instead of 0/0), so sum c counts only districts with a shared boundary; in
 * the proximity profile they are at infinite hop distance, which makes eta(theta)
 * = 0 for every threshold whose set holds an island and another district
 * (PySAL's rule for infinite distances). Lengths and areas are metres and m². */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "indices/indices.h"

sg_status sg__family_spatial_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "spatial evenness");
    if (st != SG_OK) return st;
    const sg_spatial *sp = d->sp;
    size_t n = d->n;
    sg_basic_indices b;
    if ((st = sg_basic_indices_compute(ctx, d->x, d->t, n, &b)) != SG_OK) return st;
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) return sg__nomem(ctx);
    for (size_t i = 0; i < n; i++) p[i] = d->x[i] / d->t[i];

    /* Morrill: binary queen, both orders of every pair. */
    const sg_weights *q = &sp->queen;
    sg_ksum num = {0, 0};
    for (size_t i = 0; i < n; i++)
        for (size_t e = q->off[i]; e < q->off[i + 1]; e++) sg__ksum_add(&num, fabs(p[i] - p[q->nb[e]]));
    double sd = b.dissimilarity - sg__ksum_get(&num) / (double)sg__weights_nnz(q);

    /* Wong D(w): boundary lengths standardised by row; D(s): globally. */
    const sg_weights *bl = &sp->blen;
    sg_ksum bnum = {0, 0}, bden = {0, 0}, btot = {0, 0}, pnum = {0, 0};
    double rmax = 0;
    for (size_t i = 0; i < n; i++) rmax = fmax(rmax, sp->perim[i] / sp->area[i]);
    for (size_t i = 0; i < n; i++) {
        sg_ksum row = {0, 0}, rnum = {0, 0};
        double ri = sp->perim[i] / sp->area[i];
        for (size_t e = bl->off[i]; e < bl->off[i + 1]; e++) {
            size_t j = bl->nb[e];
            double w = bl->w[e], dp = fabs(p[i] - p[j]);
            sg__ksum_add(&row, w);
            sg__ksum_add(&rnum, dp * w);
            sg__ksum_add(&pnum, dp * w * (ri + sp->perim[j] / sp->area[j]));
        }
        double bi = sg__ksum_get(&row);
        sg__ksum_add(&btot, bi);
        if (bi > 0) { /* a district without a shared boundary has a zero row */
            sg__ksum_add(&bnum, sg__ksum_get(&rnum) / bi);
            sg__ksum_add(&bden, 1.0);
        }
    }
    free(p);
    double bsd = b.dissimilarity - sg__ksum_get(&bnum) / sg__ksum_get(&bden);
    double pard = b.dissimilarity - (sg__ksum_get(&pnum) / sg__ksum_get(&btot)) / (2.0 * rmax);

    char *qdet = sg__asprintf("queen contiguity (GEOS intersects), binary, not standardised: %zu pairs, %zu "
                              "island(s)",
                              sg__weights_nnz(q) / 2, sp->nislands);
    char *bdet = sg__asprintf("shared boundary length b_ij (m, length of the GEOS intersection of the two "
                              "districts), standardised by row: %zu pairs, %zu district(s) without one",
                              sg__weights_nnz(bl) / 2, sp->nrook_islands);
    char *pdet = sg__asprintf("b_ij / sum b (global normalisation), perimeter/area ratios in 1/m, max %.6g",
                              rmax);
    if (!qdet || !bdet || !pdet) st = sg__nomem(ctx);
    if (st == SG_OK)
        st = sg__spatial_set(ctx, res, "spatial_dissimilarity", sd,
                             "Spatial dissimilarity D(adj) (Morrill 1991): D minus the mean contrast in group share "
                             "between contiguous districts",
                             qdet, "no two districts touch");
    if (st == SG_OK)
        st = sg__spatial_set(ctx, res, "boundary_spatial_dissimilarity", bsd,
                             "Boundary spatial dissimilarity D(w) (Wong 1993): D minus the contrast between "
                             "neighbours weighted by their shared boundary",
                             bdet, "no two districts share a boundary");
    if (st == SG_OK)
        st = sg__spatial_set(ctx, res, "perimeter_area_spatial_dissimilarity", pard,
                             "Perimeter/area spatial dissimilarity D(s) (Wong 1993): D(w) with global boundary "
                             "weights and the districts' perimeter/area ratios",
                             pdet, "no two districts share a boundary");
    free(qdet);
    free(bdet);
    free(pdet);
    return st;
}

/* ---- spatial proximity profile ---- */

typedef struct rank_key {
    double p;
    size_t i;
} rank_key;

static int cmp_p_desc(const void *a, const void *b) {
    const rank_key *x = a, *y = b;
    if (x->p > y->p) return -1;
    if (x->p < y->p) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Hop distances by breadth-first search from every district, O(N (N + E))
 * time and O(N) memory per thread (no N x N matrix, no Floyd-Warshall).
 * Districts are ranked by share p descending; pair[r] gets the sum of hops
 * from the r-th district to those ranked before it, and inf[r] is set when
 * one of them is unreachable. The set {p >= theta} is a prefix of the
 * ranking, so its sum of hops is a prefix sum of pair[]. Each search writes
 * only its own pair[r] and inf[r]: the searches run on --threads threads
 * (issue 18), the same integers whatever their number. */
typedef struct hop_job {
    const sg_ctx *ctx; /* its cancellation stops the searches */
    const sg_weights *q;
    const size_t *rank;
    size_t n;
    double *pair;
    unsigned char *inf;
} hop_job;

static int hop_chunk(void *user, GEOSContextHandle_t h, size_t b, size_t e) {
    (void)h;
    const hop_job *J = user;
    const sg_weights *q = J->q;
    size_t n = J->n;
    int32_t *dist = malloc(n * sizeof *dist);
    size_t *queue = malloc(n * sizeof *queue);
    if (!dist || !queue) {
        free(dist);
        free(queue);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) dist[i] = -1;
    for (size_t u = b; u < e; u++) {
        if ((u & 63) == 0 && sg__cancelled(J->ctx)) {
            rc = -2; /* sg__parallel reports the interruption */
            break;
        }
        size_t ru = J->rank[u], want = ru, found = 0, head = 0, tail = 0;
        double sum = 0;
        dist[u] = 0;
        queue[tail++] = u;
        while (head < tail && found < want) {
            size_t v = queue[head++];
            for (size_t e2 = q->off[v]; e2 < q->off[v + 1]; e2++) {
                size_t w = q->nb[e2];
                if (dist[w] >= 0) continue;
                dist[w] = dist[v] + 1;
                queue[tail++] = w;
                if (J->rank[w] < ru) {
                    sum += dist[w];
                    found++;
                }
            }
        }
        J->pair[ru] = sum; /* integers: exact */
        J->inf[ru] = found < want;
        for (size_t k = 0; k < tail; k++) dist[queue[k]] = -1;
    }
    free(dist);
    free(queue);
    return rc;
}

static sg_status hop_prefix_sums(sg_ctx *ctx, const sg_data *d, const size_t *rank, double *pair, unsigned char *inf) {
    hop_job J = {ctx, &d->sp->queen, rank, d->n, pair, inf};
    int nt = sg__thread_count(d->opts ? d->opts->threads : 0);
    return sg__parallel(ctx, d->n, nt, d->n / (size_t)(8 * nt) + 1, hop_chunk, &J);
}

sg_status sg__family_spatial_proximity_profile(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "spatial proximity profile");
    if (st != SG_OK) return st;
    size_t n = d->n;
    if (n > SG_SPP_MAX_N) {
        sg__warn(ctx, "W_SKIPPED", SG_WHERE_NONE,
                 "spatial_proximity_profile skipped: it takes a breadth-first search from every district "
                 "(O(N²) time) and is computed up to %d districts; this run has %zu",
                 SG_SPP_MAX_N, n);
        return SG_OK;
    }
    double X, Y, T;
    if ((st = sg__spatial_totals(ctx, d, &X, &Y, &T)) != SG_OK) return st;
    rank_key *rk = malloc(n * sizeof *rk);
    size_t *rank = malloc(n * sizeof *rank);
    double *pair = malloc(n * sizeof *pair);
    unsigned char *inf = malloc(n);
    if (!rk || !rank || !pair || !inf) st = sg__nomem(ctx);
    if (st == SG_OK) {
        for (size_t i = 0; i < n; i++) rk[i] = (rank_key){d->x[i] / d->t[i], i};
        qsort(rk, n, sizeof *rk, cmp_p_desc);
        for (size_t r = 0; r < n; r++) rank[rk[r].i] = r;
        st = hop_prefix_sums(ctx, d, rank, pair, inf);
    }
    if (st == SG_OK) {
        /* theta on numpy.linspace(0, 1, 1000): i * (1/999), the last exactly 1. */
        const size_t m = 1000;
        const double step = 1.0 / (double)(m - 1), P = X / T;
        sg_ksum below = {0, 0}, above = {0, 0};
        /* Prefix sums of hops and "some pair unreachable", by prefix length. */
        double *ps = malloc((n + 1) * sizeof *ps);
        unsigned char *pinf = malloc(n + 1);
        if (!ps || !pinf) st = sg__nomem(ctx);
        if (st == SG_OK) {
            ps[0] = 0;
            pinf[0] = 0;
            for (size_t r = 0; r < n; r++) {
                ps[r + 1] = ps[r] + pair[r];
                pinf[r + 1] = pinf[r] | inf[r];
            }
            size_t k = n; /* units with p >= theta: theta rises, k falls */
            for (size_t g = 0; g < m; g++) {
                double theta = g + 1 == m ? 1.0 : (double)g * step;
                while (k > 0 && !(rk[k - 1].p >= theta)) k--;
                double kk = (double)k, eta = 0;
                if (k > 1 && !pinf[k]) eta = (kk * kk - kk) / (2.0 * ps[k]);
                sg__ksum_add(theta < P ? &below : &above, eta);
            }
            double spp = (P - (sg__ksum_get(&below) / (double)m - sg__ksum_get(&above) / (double)m)) / (1.0 - P);
            char *det = sg__asprintf("hop distances on the queen contiguity graph (breadth-first search), "
                                     "1000 thresholds; %zu island(s): infinite distance, eta = 0",
                                     d->sp->nislands);
            st = det ? sg__spatial_set(ctx, res, "spatial_proximity_profile", spp,
                                       "Spatial proximity profile (Hong & Sadahiro 2014): how close, in steps "
                                       "between contiguous districts, the districts above each group-share "
                                       "threshold are; 0 = no segregation",
                                       det, NULL)
                     : sg__nomem(ctx);
            free(det);
        }
        free(ps);
        free(pinf);
    }
    free(rk);
    free(rank);
    free(pair);
    free(inf);
    return st;
}
