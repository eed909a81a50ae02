/* The nulls of --permutations other than the person-level one (permute.c
 * draws that one), as PySAL's segregation/inference/randomization.py defines
 * them, and the small-unit bias of D.
 *
 *  geographic  the districts' rows (group, total, groups) permuted over the
 *              geometries (`simulate_geo_permutation`): the composition of
 *              every district is kept, its place is random. Aspatial indices
 *              do not change, so only the spatial families are re-run.
 *  evenness    x_i ~ Binomial(t_i, P), P = X/T, every district independently
 *              (`simulate_evenness`); with --groups each district's row of the
 *              multigroup frame ~ Multinomial(row total, P_1..P_K). Totals
 *              kept, the city's group total free.
 *  systematic  each group spread over the districts as a multinomial with
 *              probabilities t_j/T (`simulate_systematic_randomization`,
 *              Allen et al. 2015): x' ~ Multinomial(X, t/T), y' ~
 *              Multinomial(T − X, t/T), t' = x' + y'; with --groups each
 *              group k ~ Multinomial(N_k, r/R) where r_j is the row total of the
 *              frame. Group totals kept, district totals free (a district
 *              can be left with nobody: the aspatial families skip it, as
 *              PySAL's p_i := 0 does; a spatial family on such a replicate
 *              may fail, counted in W_PERMUTATION_FAILED).
 *
 * Counts are rounded to whole persons, as for the person null. Each replicate
 * draws from its own stream (permute.c), so the thread count changes nothing.
 *
 * Small-unit bias (with --permutations: the user who asks for inference pays
 * for the draws; a run without is as fast as before): dissimilarity_expected, the mean
 * D under the person-level null (the --permutations replicates when that is
 * the run's null, else SG_BIAS_DRAWS draws of their own, made in the same
 * parallel pass as the bias-corrected D's), and
 * dissimilarity_bias_corrected, PySAL's BiasCorrectedDissim (Allen et al.
 * 2015): D_bc = 2 D − mean_b D_b over B = SG_BIAS_DRAWS draws where x^b ~
 * Multinomial(X, x_i/X), y^b ~ Multinomial(Y, y_i/Y), D_b the D of (x^b,
 * x^b + y^b) (a district drawn empty adds nothing). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

/* Inversion from the mode with the pmf recurrence: expected O(sd) steps; from
 * 0 when the mean is small; the normal approximation above a variance of 1e8
 * (as sg__rng_hypergeometric). n a whole number, p in [0, 1]. */
double sg__rng_binomial(sg_rng *r, double n, double p) {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    int flip = p > 0.5;
    double q = flip ? p : 1 - p;
    if (flip) p = 1 - p;
    double v, var = n * p * q;
    if (var > 1e8) {
        double u1 = 1 - sg__rng_uniform(r), u2 = sg__rng_uniform(r);
        v = floor(n * p + sqrt(var) * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2) + 0.5);
        v = fmin(n, fmax(0, v));
    } else if (n * p < 16) {
        double f = exp(n * log1p(-p)), u = sg__rng_uniform(r), ratio = p / q;
        v = 0;
        while (u > f && v < n) {
            u -= f;
            f *= (n - v) / (v + 1) * ratio;
            v += 1;
            if (f < 1e-300 && f * 1e30 < u) { /* rounding left a sliver: the mean will do */
                v = floor(n * p);
                break;
            }
        }
    } else {
        double mode = floor((n + 1) * p), ratio = p / q;
        if (mode > n) mode = n;
        double pm = exp(lgamma(n + 1) - lgamma(mode + 1) - lgamma(n - mode + 1) + mode * log(p) + (n - mode) * log(q));
        double u = sg__rng_uniform(r) - pm, up = mode, dn = mode, pu = pm, pd = pm;
        v = mode;
        while (u > 0) {
            int moved = 0;
            if (up < n) {
                pu *= (n - up) / (up + 1) * ratio;
                up += 1;
                moved = 1;
                if ((u -= pu) <= 0) {
                    v = up;
                    break;
                }
            }
            if (dn > 0) {
                pd *= dn / (n - dn + 1) / ratio;
                dn -= 1;
                moved = 1;
                if ((u -= pd) <= 0) {
                    v = dn;
                    break;
                }
            }
            if (!moved || (pu < pm * 1e-30 && pd < pm * 1e-30)) break; /* v stays the mode */
        }
    }
    return flip ? n - v : v;
}

void sg__rng_multinomial(sg_rng *r, double N, const double *w, size_t n, size_t wstride, double *out,
                         size_t ostride) {
    double W = 0;
    for (size_t i = 0; i < n; i++) W += w[i * wstride];
    for (size_t i = 0; i < n; i++) {
        double wi = w[i * wstride], v = 0;
        if (N > 0 && wi > 0) v = wi >= W ? N : sg__rng_binomial(r, N, wi / W);
        out[i * ostride] = v;
        N -= v;
        W -= wi;
    }
}

const char *sg__null_name(int model) {
    static const char *const names[] = {"person", "geographic", "evenness", "systematic"};
    return model >= 0 && model < 4 ? names[model] : "person";
}

const char *sg__null_describe(int model) {
    switch (model) {
    case SG_NULL_GEOGRAPHIC:
        return "the districts keep their composition but are shuffled over the map (is the arrangement of "
               "migrant districts random?); indices that ignore the map cannot change under it and have no p-value";
    case SG_NULL_EVENNESS:
        return "each district's migrant count is drawn at the city's migrant share, district totals kept";
    case SG_NULL_SYSTEMATIC:
        return "each group's residents are placed in districts at random in proportion to district size (Allen et "
               "al. 2015)";
    default:
        return "migration background is shuffled among residents, district totals kept";
    }
}

/* Rounded group totals of d: X, T and (k > 0) the frame's column sums N[g]. */
static void totals(const sg_data *d, double *X, double *T, double *N) {
    *X = *T = 0;
    for (size_t i = 0; i < d->n; i++) {
        *X += round(d->x[i]);
        *T += round(d->t[i]);
    }
    for (size_t g = 0; g < d->k; g++) {
        N[g] = 0;
        for (size_t i = 0; i < d->n; i++) N[g] += round(d->m[i * d->k + g]);
    }
}

int sg__null_draw(int model, sg_rng *rng, const sg_data *d, const sg_psampler *ps, sg_psampler_scratch *sc,
                  double *x, double *t, double *m, double *work) {
    size_t n = d->n, k = d->k;
    if (model == SG_NULL_GEOGRAPHIC) { /* Fisher-Yates over the rows */
        size_t *perm = (size_t *)(void *)work;
        for (size_t i = 0; i < n; i++) perm[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)sg__rng_below(rng, i), tmp = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = tmp;
        }
        for (size_t i = 0; i < n; i++) {
            size_t j = perm[i];
            x[i] = d->x[j];
            t[i] = d->t[j];
            if (k) memcpy(&m[i * k], &d->m[j * k], k * sizeof *m);
        }
        return 0;
    }
    double X, T, N[k ? k : 1];
    totals(d, &X, &T, N);
    if (model == SG_NULL_EVENNESS) {
        memcpy(t, d->t, n * sizeof *t);
        if (ps) {
            if (sg__psampler_draw_binomial(ps, rng, x, sc) != 0) return -1;
        } else {
            for (size_t i = 0; i < n; i++) x[i] = sg__rng_binomial(rng, round(d->t[i]), X / T);
        }
        for (size_t i = 0; i < n && k; i++) {
            double row = 0;
            for (size_t g = 0; g < k; g++) row += round(d->m[i * k + g]);
            sg__rng_multinomial(rng, row, N, k, 1, &m[i * k], 1);
        }
        return 0;
    }
    /* systematic: work holds the rounded weights */
    for (size_t i = 0; i < n; i++) work[i] = round(d->t[i]);
    sg__rng_multinomial(rng, X, work, n, 1, x, 1);
    sg__rng_multinomial(rng, T - X, work, n, 1, t, 1);
    for (size_t i = 0; i < n; i++) t[i] += x[i];
    if (!k) return 0;
    for (size_t i = 0; i < n; i++) {
        work[i] = 0;
        for (size_t g = 0; g < k; g++) work[i] += round(d->m[i * k + g]);
    }
    for (size_t g = 0; g < k; g++) sg__rng_multinomial(rng, N[g], work, n, 1, &m[g], k);
    return 0;
}

size_t sg__null_compact(const sg_data *d, const double *x, const double *t, const double *m, double *cx,
                        double *ct, double *cm, size_t *cindex) {
    size_t c = 0, k = d->k;
    for (size_t i = 0; i < d->n; i++) {
        if (!(t[i] > 0)) continue;
        cx[c] = x[i];
        ct[c] = t[i];
        cindex[c] = d->index[i];
        if (k) memcpy(&cm[c * k], &m[i * k], k * sizeof *m);
        c++;
    }
    return c;
}

/* ---- small-unit bias ---- */

/* D of (x, t) where a district of total 0 adds nothing; NaN when undefined. */
static double dissim(const double *x, const double *t, size_t n) {
    sg_ksum X = {0, 0}, T = {0, 0}, s = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sg__ksum_add(&X, x[i]);
        sg__ksum_add(&T, t[i]);
    }
    double XX = sg__ksum_get(&X), TT = sg__ksum_get(&T), P = XX / TT;
    if (!(XX > 0 && XX < TT)) return NAN;
    for (size_t i = 0; i < n; i++)
        if (t[i] > 0) sg__ksum_add(&s, fabs(x[i] - t[i] * P));
    return sg__ksum_get(&s) / (2 * TT * P * (1 - P));
}

/* Multinomial(N, w / N) with whole weights w summing to N, in O(n) without a
 * transcendental function per district: c_i ~ Poisson(w_i) independently
 * (w_i >= 10: Hormann's transformed rejection PTRS, as numpy's
 * random_poisson_ptrs, whose constants are computed once per district and
 * whose quick acceptance takes ~90 % of draws with two uniforms and no
 * logarithm; below 10: inversion from the mode, whose mass is computed once
 * per district), then
 * the sum S corrected to N: given S the c are S independent draws of a
 * district with probabilities w/N, so removing S − N of them chosen
 * uniformly (S > N), or adding N − S new such draws (S < N), leaves N
 * independent draws: Multinomial(N, w/N) exactly. */
typedef struct pm_law {
    const double *w;
    double *fmode;  /* Poisson(w_i) mass at its mode w_i (w_i < 10), or PTRS's 6 constants (w_i >= 10) */
    double *cum;    /* cumulative weights, for the added draws */
    size_t n;
    double N;
} pm_law;

static double poisson_at(sg_rng *r, double lam, double fm) {
    if (lam <= 0) return 0;
    if (lam > 1e8) { /* the normal law to ~1/sd, as sg__rng_hypergeometric */
        double u1 = 1 - sg__rng_uniform(r), u2 = sg__rng_uniform(r);
        return fmax(0, floor(lam + sqrt(lam) * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2) + 0.5));
    }
    double u = sg__rng_uniform(r) - fm, up = lam, dn = lam, pu = fm, pd = fm;
    while (u > 0) {
        pu *= lam / (up + 1);
        up += 1;
        if ((u -= pu) <= 0) return up;
        if (dn > 0) {
            pd *= dn / lam;
            dn -= 1;
            if ((u -= pd) <= 0) return dn;
        }
        if (pu < fm * 1e-30 && pd < fm * 1e-30) break;
    }
    return lam;
}

/* PTRS (Hormann 1993) for lam >= 10; k: {b, a, log(1/alpha), vr, lam, log lam}. */
static void ptrs_init(double lam, double *k) {
    double b = 0.931 + 2.53 * sqrt(lam);
    k[0] = b;
    k[1] = -0.059 + 0.02483 * b;
    k[2] = log(1.1239 + 1.1328 / (b - 3.4));
    k[3] = 0.9277 - 3.6224 / (b - 2);
    k[4] = lam;
    k[5] = log(lam);
}

static double ptrs(sg_rng *r, const double *k) {
    double b = k[0], a = k[1], lia = k[2], vr = k[3], lam = k[4], loglam = k[5];
    for (;;) {
        double U = sg__rng_uniform(r) - 0.5, V = sg__rng_uniform(r), us = 0.5 - fabs(U);
        double c = floor((2 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return c;
        if (c < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + lia - log(a / (us * us) + b) <= -lam + c * loglam - lgamma(c + 1)) return c;
    }
}

static double pm_poisson(sg_rng *r, const pm_law *L, size_t i) {
    double lam = L->w[i];
    if (lam >= 10 && lam <= 1e8) return ptrs(r, &L->fmode[6 * i]);
    return poisson_at(r, lam, L->fmode[6 * i]);
}

/* fen: n + 1 doubles of scratch (a Fenwick tree of the counts). */
static void pm_draw(sg_rng *r, const pm_law *L, double *c, double *fen) {
    size_t n = L->n;
    double S = 0;
    for (size_t i = 0; i < n; i++) S += c[i] = pm_poisson(r, L, i);
    if (S < L->N && L->N - S > (double)n) { /* many to add (huge counts): a multinomial, district by district */
        double *add = fen;
        sg__rng_multinomial(r, L->N - S, L->w, n, 1, add, 1);
        for (size_t i = 0; i < n; i++) c[i] += add[i];
        return;
    }
    if (S > L->N && S - L->N > (double)n) { /* many to remove: a multivariate hypergeometric, the same way */
        double rem = S - L->N;
        for (size_t i = 0; i < n && rem > 0; i++) {
            double v = sg__rng_hypergeometric(r, S, c[i], rem);
            S -= c[i];
            c[i] -= v;
            rem -= v;
        }
        return;
    }
    for (; S < L->N; S += 1) { /* add: a district with probability w_i / N */
        double u = floor(sg__rng_uniform(r) * L->N);
        size_t lo = 0, hi = n - 1;
        while (lo < hi) { /* first i with cum[i] > u */
            size_t mid = lo + (hi - lo) / 2;
            if (L->cum[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        c[lo] += 1;
    }
    if (S <= L->N) return;
    for (size_t i = 1; i <= n; i++) fen[i] = c[i - 1];
    for (size_t i = 1; i <= n; i++) {
        size_t j = i + (i & (~i + 1));
        if (j <= n) fen[j] += fen[i];
    }
    size_t top = 1;
    while (top * 2 <= n) top *= 2;
    for (; S > L->N; S -= 1) { /* remove one of the S draws, uniformly */
        double u = (double)sg__rng_below(r, (uint64_t)S);
        size_t pos = 0;
        for (size_t step = top; step; step /= 2)
            if (pos + step <= n && fen[pos + step] <= u) {
                pos += step;
                u -= fen[pos];
            }
        c[pos] -= 1; /* district pos (0-based) holds the draw */
        for (size_t i = pos + 1; i <= n; i += i & (~i + 1)) fen[i] -= 1;
    }
}

static int pm_init(pm_law *L, const double *w, size_t n) {
    L->w = w;
    L->n = n;
    L->N = 0;
    L->fmode = malloc(6 * n * sizeof *L->fmode);
    L->cum = malloc(n * sizeof *L->cum);
    if (!L->fmode || !L->cum) return -1;
    for (size_t i = 0; i < n; i++) {
        double lam = w[i];
        if (lam >= 10 && lam <= 1e8) ptrs_init(lam, &L->fmode[6 * i]);
        else L->fmode[6 * i] = lam > 0 ? exp(-lam + lam * log(lam) - lgamma(lam + 1)) : 1;
        L->N += lam;
        L->cum[i] = L->N;
    }
    return 0;
}

/* PySAL's BiasCorrectedDissim's draws (see the head of the file): D_b of
 * draw b into Db[b], on the threads of sg__parallel (stream b of the seed
 * each: the same numbers for any thread count). */
typedef struct bias_job {
    pm_law lx, ly;
    size_t n;
    uint64_t seed;
    double *Db;
    const sg_data *d; /* with De: the person-level draws of expected D in the same pass */
    const sg_psampler *ps;
    double *De;
} bias_job;

/* D of person-level draw b (stream 2^62 + b, as the replicates of permute.c). */
static double person_draw(const bias_job *j, size_t b, sg_psampler_scratch *sc, double *x, double *t, int *oom) {
    sg_rng rng;
    sg__rng_seed(&rng, j->seed, 0x4000000000000000ULL + b);
    const sg_data *d = j->d;
    if (j->ps) {
        double D = NAN, iso;
        int r = sg__psampler_draw_basic(j->ps, &rng, sc, &D, &iso);
        if (r < 0) *oom = 1;
        return r == 0 ? D : NAN;
    }
    double X = 0, T = 0;
    for (size_t i = 0; i < d->n; i++) {
        t[i] = round(d->t[i]);
        X += round(d->x[i]);
        T += t[i];
    }
    for (size_t i = 0; i < d->n; i++) {
        x[i] = sg__rng_hypergeometric(&rng, T, X, t[i]);
        X -= x[i];
        T -= t[i];
    }
    return dissim(x, t, d->n);
}

static int bias_draws(void *user, GEOSContextHandle_t h, size_t begin, size_t end) {
    (void)h;
    bias_job *j = user;
    double *x = malloc((3 * j->n + 1) * sizeof *x);
    if (!x) return -1;
    double *t = x + j->n, *fen = t + j->n;
    sg_psampler_scratch sc = {0};
    int oom = 0;
    for (size_t b = begin; b < end && !oom; b++) {
        if (j->De) j->De[b] = person_draw(j, b, &sc, x, t, &oom);
        sg_rng rng;
        sg__rng_seed(&rng, j->seed, 0x2000000000000000ULL + b);
        pm_draw(&rng, &j->lx, x, fen);
        pm_draw(&rng, &j->ly, t, fen);
        for (size_t i = 0; i < j->n; i++) t[i] += x[i];
        j->Db[b] = dissim(x, t, j->n);
    }
    sg__psampler_scratch_free(&sc);
    free(x);
    return oom ? -1 : 0;
}

/* Mean of the finite values of v[0..n), NaN when none. */
static double finite_mean(const double *v, size_t n) {
    sg_ksum s = {0, 0};
    size_t k = 0;
    for (size_t b = 0; b < n; b++)
        if (isfinite(v[b])) {
            sg__ksum_add(&s, v[b]);
            k++;
        }
    return k ? sg__ksum_get(&s) / (double)k : NAN;
}

/* The bias-corrected D into *out and, when expected is not NULL, the mean D
 * of as many person-level draws (their own streams) in the same parallel
 * pass into *expected. */
static sg_status bias_corrected(sg_ctx *ctx, const sg_data *d, uint64_t seed, size_t draws, double D, double *out,
                                double *expected) {
    size_t n = d->n;
    double *w = malloc((2 * n + 2 * draws) * sizeof *w);
    bias_job j = {{0}, {0}, n, seed, w ? w + 2 * n : NULL, d, NULL, (w && expected) ? w + 2 * n + draws : NULL};
    sg_status st = SG_OK;
    sg_psampler *ps = NULL;
    if (w) {
        for (size_t i = 0; i < n; i++) {
            w[i] = round(d->x[i]);
            w[n + i] = fmax(0, round(d->t[i]) - w[i]);
        }
    }
    if (!w || pm_init(&j.lx, w, n) != 0 || pm_init(&j.ly, w + n, n) != 0) st = sg__nomem(ctx);
    if (st == SG_OK && expected) {
        sg_ctx *tmp = sg_ctx_create(); /* the sampler declining is no diagnostic of the run */
        sg_status ps_st = tmp ? sg__psampler_create(tmp, d->t, d->x, n, &ps) : SG_ERR_NOMEM;
        sg_ctx_destroy(tmp);
        if (ps_st == SG_ERR_NOMEM) st = sg__nomem(ctx);
        j.ps = ps;
    }
    if (st == SG_OK) st = sg__parallel(ctx, draws, d->opts->threads, 8, bias_draws, &j);
    if (st == SG_OK) {
        double m = finite_mean(j.Db, draws);
        *out = isfinite(m) ? 2 * D - m : NAN;
        if (expected) *expected = finite_mean(j.De, draws);
    }
    sg__psampler_free(ps);
    free(j.lx.fmode);
    free(j.lx.cum);
    free(j.ly.fmode);
    free(j.ly.cum);
    free(w);
    return st;
}

sg_status sg__small_unit_bias(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    const sg_global *g = sg__result_get(res, "dissimilarity");
    if (!g || !isfinite(g->value) || d->n == 0 || d->opts->permutations <= 0) return SG_OK; /* see the head */
    double t0 = sg__now(), D = g->value, expected = NAN, corrected = NAN;
    const sg_options *o = d->opts;
    uint64_t seed = (uint64_t)o->seed;
    char detail[200];
    int shared = o->permutations > 0 && o->null_model == SG_NULL_PERSON && isfinite(g->null_mean);
    if (shared) {
        expected = g->null_mean;
        snprintf(detail, sizeof detail, "mean of the %d person-level permutations", o->permutations);
    } else {
        snprintf(detail, sizeof detail, "mean of %d person-level permutations", SG_BIAS_DRAWS);
    }
    sg_status st = bias_corrected(ctx, d, seed, SG_BIAS_DRAWS, D, &corrected, shared ? NULL : &expected);
    if (st != SG_OK) return st;
    sg_global *e = isfinite(expected) ? sg__result_set(res, "dissimilarity_expected", expected,
                                                         "dissimilarity expected if group membership were "
                                                         "unrelated to place (small-unit bias)")
                                       : NULL;
    if (isfinite(expected) && (!e || !(e->detail = sg__strdup(detail)))) return sg__nomem(ctx);
    if (isfinite(corrected)) {
        sg_global *c = sg__result_set(res, "dissimilarity_bias_corrected", corrected,
                                      "dissimilarity corrected for the noise of small districts (Allen et al. "
                                      "2015)");
        snprintf(detail, sizeof detail, "2 D minus the mean D of %d multinomial resamples of each group "
                 "(PySAL BiasCorrectedDissim)", SG_BIAS_DRAWS);
        if (!c || !(c->detail = sg__strdup(detail))) return sg__nomem(ctx);
    }
    sg__stage_add(ctx, "indices.small_unit_bias", sg__now() - t0);
    return SG_OK;
}
