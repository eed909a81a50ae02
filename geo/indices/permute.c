/* Inference for the global indices.
 *
 * Permutation test (--permutations N): the null hypothesis is that group
 * membership is unrelated to place. Each replicate redistributes the city's X
 * group members at random among its T residents, keeping every district's
 * total, i.e. PySAL's `person_permutation`: x'_i is drawn district by district
 * from the hypergeometric law of the residents not yet assigned. With
 * --groups the whole multigroup composition is redistributed the same way.
 * Two-group replicates come from psampler.c (the same law, in O(n) table
 * look-ups; when no spatial family is re-run, the replicate's districts are
 * in the sampler's order, so that nothing is scattered back); multigroup
 * replicates, and counts psampler.c declines, use the district-by-district
 * draws below. Every family is re-run on the replicate (except those flagged too costly);
 * when that is the basic family alone (D, xPx, xPy), the replicate is drawn
 * and reduced to them in one pass, the counts never written out;
 * p is two-sided: p = (1 + #{|null_r - mean| >= |observed - mean|}) / (N + 1).
 *
 * Bootstrap (--bootstrap N): districts resampled with replacement, aspatial
 * families only (a resample of districts has no geometry), percentile 95 %
 * interval (type 7 quantiles).
 *
 * Replicate r always uses random stream r of --seed and results are stored by
 * r, so any number of threads gives the same numbers. Counts are rounded to
 * whole persons for the null (shares times totals can be fractional). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indices/indices.h"

typedef struct infer_job {
    const sg_data *d;
    const sg_result *obs;
    int boot;           /* 0 permutations, 1 bootstrap */
    size_t reps;
    uint64_t seed;
    double *vals;       /* reps x obs->ng, NaN when a replicate failed */
    size_t next;        /* next replicate to take */
    size_t failed;
    pthread_mutex_t lock;
    sg_status status;   /* out of memory or similar */
    sg_ctx *parent;     /* the caller's context: sg_ctx_cancel stops the workers */
    const sg_psampler *ps;          /* fast two-group sampler, or NULL */
    const double *ps_t;             /* when not NULL: totals in the sampler's order ... */
    const size_t *ps_index;         /* ... and city indices: replicates keep that order */
    int basic_only;                 /* 1: only the basic family is re-run: drawn and reduced in one pass */
    size_t step, before, total;     /* progress: every step (2 %) of the total replicates; before: done */
    int null_model;                 /* SG_NULL_* of the permutations (nulls.c draws all but person) */
} infer_job;

static void permute_counts(sg_rng *rng, const sg_data *d, double *x, double *m) {
    double T = 0, X = 0;
    for (size_t i = 0; i < d->n; i++) {
        T += round(d->t[i]);
        X += round(d->x[i]);
    }
    for (size_t i = 0; i < d->n; i++) {
        double ti = round(d->t[i]);
        double xi = sg__rng_hypergeometric(rng, T, X, ti);
        x[i] = xi;
        X -= xi;
        T -= ti;
    }
    if (!d->k) return;
    /* Multigroup: group by group, each among the residents still unassigned. */
    double *left = malloc(d->n * sizeof *left);
    if (!left) return;
    double Tm = 0;
    for (size_t i = 0; i < d->n; i++) {
        left[i] = 0;
        for (size_t g = 0; g < d->k; g++) left[i] += round(d->m[i * d->k + g]);
        Tm += left[i];
    }
    for (size_t g = 0; g < d->k; g++) {
        double G = 0;
        for (size_t i = 0; i < d->n; i++) G += round(d->m[i * d->k + g]);
        double Trem = Tm;
        for (size_t i = 0; i < d->n; i++) {
            double v = g + 1 == d->k ? left[i] : sg__rng_hypergeometric(rng, Trem, G, left[i]);
            Trem -= left[i];
            G -= v;
            m[i * d->k + g] = v;
        }
        for (size_t i = 0; i < d->n; i++) left[i] -= m[i * d->k + g];
        Tm = 0;
        for (size_t i = 0; i < d->n; i++) Tm += left[i];
    }
    free(left);
}

/* One replicate into row r of job->vals, the families' results into scratch
 * (kept from replicate to replicate so that its columns are allocated once).
 * Returns 0, or -1 when out of memory. */
/* Scratch of a replicate under nulls.c's nulls: work (n), and the districts
 * left with somebody (systematic: totals drawn) for the aspatial families. */
typedef struct null_scratch {
    double *work, *cx, *ct, *cm;
    size_t *cindex;
} null_scratch;

static int replicate(sg_ctx *ctx, infer_job *job, size_t r, double *x, double *t, double *m, size_t *index,
                     sg_result *scratch, sg_psampler_scratch *psc, null_scratch *ns) {
    const sg_data *d = job->d;
    int other_null = !job->boot && job->null_model != SG_NULL_PERSON;
    sg_rng rng;
    sg__rng_seed(&rng, job->seed, (uint64_t)r + (job->boot ? 0x8000000000000000ULL : 0));
    sg_data rd = *d;
    if (job->boot) {
        for (size_t i = 0; i < d->n; i++) {
            size_t j = (size_t)sg__rng_below(&rng, d->n);
            x[i] = d->x[j];
            t[i] = d->t[j];
            index[i] = d->index[j];
            for (size_t g = 0; g < d->k; g++) m[i * d->k + g] = d->m[j * d->k + g];
        }
        rd.t = t;
        rd.index = index;
        rd.geom = NULL;
        rd.sp = NULL;
    } else if (other_null) {
        if (sg__null_draw(job->null_model, &rng, d, job->ps, psc, x, t, m, ns->work) != 0) return -1;
        rd.t = t;
    } else if (job->basic_only) {
        /* no counts: sg__family_basic_permuted draws and reduces below */
    } else if (job->ps) {
        if (sg__psampler_draw(job->ps, &rng, x, job->ps_t != NULL, psc) != 0) return -1;
        if (job->ps_t) {
            rd.t = job->ps_t;
            rd.index = job->ps_index;
        }
    } else {
        permute_counts(&rng, d, x, m);
    }
    rd.x = x;
    rd.m = d->k ? m : NULL;
    rd.replicate = 1;
    sg_data rc = rd; /* the aspatial families' view: the districts with somebody */
    if (other_null && job->null_model == SG_NULL_SYSTEMATIC) {
        rc.n = sg__null_compact(&rd, x, t, rd.m, ns->cx, ns->ct, ns->cm, ns->cindex);
        rc.x = ns->cx;
        rc.t = ns->ct;
        rc.m = d->k ? ns->cm : NULL;
        rc.index = ns->cindex;
    }
    for (size_t j = 0; j < scratch->ng; j++) scratch->g[j].value = NAN; /* nothing left from the last one */
    double *row = &job->vals[r * job->obs->ng];
    for (size_t j = 0; j < job->obs->ng; j++) row[j] = NAN;
    int ok = 1;
    if (job->basic_only) {
        sg_status st = sg__family_basic_permuted(ctx, job->ps, &rng, psc, scratch);
        if (st == SG_ERR_NOMEM) return -1;
        ok = st == SG_OK;
    }
    for (size_t f = 0; f < sg__nfamilies && !job->basic_only; f++) {
        const sg_family *fam = &sg__families[f];
        if (fam->flags & SG_FAM_NO_PERMUTE) continue;
        if (!sg__family_on(d->opts, fam->name)) continue;
        int spatial = (fam->flags & SG_FAM_SPATIAL) != 0;
        if (job->boot && spatial) continue;
        if (!job->boot && job->null_model == SG_NULL_GEOGRAPHIC && !spatial) continue; /* invariant */
        sg_status st = fam->fn(ctx, spatial ? &rd : &rc, scratch);
        if (st == SG_ERR_NOMEM) return -1;
        if (st != SG_OK) ok = 0; /* e.g. a resample without any group member */
    }
    for (size_t j = 0; j < job->obs->ng; j++) {
        const sg_global *g = sg__result_get(scratch, job->obs->g[j].name);
        if (g) row[j] = g->value;
    }
    if (!ok) {
        pthread_mutex_lock(&job->lock);
        job->failed++;
        pthread_mutex_unlock(&job->lock);
    }
    return 0;
}

static void *worker(void *arg) {
    infer_job *job = arg;
    const sg_data *d = job->d;
    sg_ctx *ctx = sg_ctx_create(); /* GEOS and PROJ handles are per thread */
    int counts = !job->basic_only; /* the fused replicate keeps no counts of its own */
    double *x = counts ? malloc(d->n * sizeof *x) : NULL, *t = counts ? malloc(d->n * sizeof *t) : NULL;
    double *m = counts && d->k ? malloc(d->n * d->k * sizeof *m) : NULL;
    size_t *index = counts ? malloc(d->n * sizeof *index) : NULL;
    int oom = !ctx || (counts && (!x || !t || !index || (d->k && !m)));
    null_scratch ns = {0};
    if (!job->boot && job->null_model != SG_NULL_PERSON) {
        int sys = job->null_model == SG_NULL_SYSTEMATIC;
        ns.work = malloc(d->n * sizeof *ns.work + 1);
        if (sys) {
            ns.cx = malloc(d->n * sizeof *ns.cx);
            ns.ct = malloc(d->n * sizeof *ns.ct);
            ns.cm = d->k ? malloc(d->n * d->k * sizeof *ns.cm) : NULL;
            ns.cindex = malloc(d->n * sizeof *ns.cindex);
        }
        oom |= !ns.work || (sys && (!ns.cx || !ns.ct || !ns.cindex || (d->k && !ns.cm)));
    }
    sg_result scratch = {0};
    scratch.n = d->city->n;
    sg_psampler_scratch psc = {0};
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t r = job->next++;
        if (oom) job->status = SG_ERR_NOMEM;
        int stop = r >= job->reps || job->status != SG_OK || sg__cancelled(job->parent);
        /* Progress every few percent, under the lock: one call at a time, in
         * order; a callback that asks to stop cancels the parent context. */
        if (!stop && r > 0 && r % job->step == 0 &&
            !sg__progress_part(job->parent, NULL, (double)(job->before + r) / (double)job->total))
            stop = 1;
        pthread_mutex_unlock(&job->lock);
        if (stop) break;
        if (replicate(ctx, job, r, x, t, m, index, &scratch, &psc, &ns) != 0) oom = 1;
    }
    free(ns.work);
    free(ns.cx);
    free(ns.ct);
    free(ns.cm);
    free(ns.cindex);
    sg__result_free(&scratch);
    sg__psampler_scratch_free(&psc);
    free(x);
    free(t);
    free(m);
    free(index);
    sg_ctx_destroy(ctx);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Type-7 quantile of sorted v[0..n-1]. */
static double quantile(const double *v, size_t n, double q) {
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static sg_status run_job(sg_ctx *ctx, infer_job *job) {
    int nt = sg__thread_count(job->d->opts->threads);
    if ((size_t)nt > job->reps) nt = (int)job->reps;
    pthread_mutex_init(&job->lock, NULL);
    sg__threads_run(nt, worker, job);
    pthread_mutex_destroy(&job->lock);
    if (sg__cancelled(ctx)) return sg__check_cancel(ctx);
    if (job->status != SG_OK) return sg__nomem(ctx);
    return SG_OK;
}

/* Under the geographic null: marks the globals of the aspatial families (run
 * once more on d to learn their names) invariant, with no p-value. */
static sg_status mark_invariant(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_result tmp = {0};
    tmp.n = res->n;
    sg_data rd = *d;
    rd.replicate = 1;
    sg_status st = SG_OK;
    for (size_t f = 0; f < sg__nfamilies && st != SG_ERR_NOMEM; f++) {
        const sg_family *fam = &sg__families[f];
        if ((fam->flags & SG_FAM_SPATIAL) || !sg__family_on(d->opts, fam->name)) continue;
        st = fam->fn(ctx, &rd, &tmp);
    }
    for (size_t j = 0; j < res->ng && st != SG_ERR_NOMEM; j++) {
        sg_global *g = &res->g[j];
        if (!sg__result_get(&tmp, g->name)) continue;
        g->invariant = 1;
        g->p_value = g->null_mean = g->null_sd = NAN;
    }
    sg__result_free(&tmp);
    return st == SG_ERR_NOMEM ? st : SG_OK;
}

static sg_status infer_tests(sg_ctx *ctx, const sg_data *d, sg_result *res);

sg_status sg__infer(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = infer_tests(ctx, d, res);
    if (st == SG_OK && d->opts->permutations > 0 && d->opts->null_model == SG_NULL_GEOGRAPHIC)
        st = mark_invariant(ctx, d, res);
    if (st == SG_OK) st = sg__small_unit_bias(ctx, d, res);
    return st;
}

static sg_status infer_tests(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    const sg_options *o = d->opts;
    if (o->permutations <= 0 && o->bootstrap <= 0) return SG_OK;
    size_t ng = res->ng;
    double *sorted = malloc(((size_t)(o->permutations > o->bootstrap ? o->permutations : o->bootstrap) + 1) *
                            sizeof *sorted);
    if (!sorted) return sg__nomem(ctx);
    for (int boot = 0; boot < 2; boot++) {
        size_t reps = (size_t)(boot ? o->bootstrap : o->permutations);
        if (!reps) continue;
        infer_job job = {d, res, boot, reps, (uint64_t)o->seed, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER, SG_OK, ctx,
                         NULL, NULL, NULL, 0, ((size_t)o->permutations + (size_t)o->bootstrap + 49) / 50,
                         boot ? (size_t)o->permutations : 0, (size_t)o->permutations + (size_t)o->bootstrap,
                         SG_NULL_PERSON};
        job.null_model = boot ? SG_NULL_PERSON : o->null_model;
        int person = job.null_model == SG_NULL_PERSON;
        sg_psampler *ps = NULL;
        double *ps_t = NULL;
        size_t *ps_index = NULL;
        int want_ps = !boot && (person ? !d->k : job.null_model == SG_NULL_EVENNESS); /* evenness: binomials */
        sg_status st = want_ps ? sg__psampler_create(ctx, d->t, d->x, d->n, &ps) : SG_ERR_DATA;
        if (st == SG_ERR_NOMEM) {
            free(sorted);
            return st;
        }
        job.ps = ps;
        int spatial = 0, others = 0; /* a spatial family re-run needs the districts in their own order */
        for (size_t f = 0; f < sg__nfamilies; f++) {
            const sg_family *fam = &sg__families[f];
            if ((fam->flags & SG_FAM_NO_PERMUTE) || !sg__family_on(o, fam->name)) continue;
            spatial |= (fam->flags & SG_FAM_SPATIAL) != 0;
            others |= fam->fn != sg__family_basic;
        }
        if (job.null_model == SG_NULL_GEOGRAPHIC && !spatial) { /* no index the null can move */
            sg__psampler_free(ps);
            continue;
        }
        job.basic_only = person && ps && !others;
        if (person && ps && !spatial && !job.basic_only) {
            ps_t = malloc(d->n * sizeof *ps_t);
            ps_index = malloc(d->n * sizeof *ps_index);
            if (ps_t && ps_index) {
                const uint32_t *ord = sg__psampler_order(ps);
                for (size_t i = 0; i < d->n; i++) {
                    ps_t[i] = d->t[ord[i]];
                    ps_index[i] = d->index[ord[i]];
                }
                job.ps_t = ps_t;
                job.ps_index = ps_index;
            }
        }
        job.vals = malloc(reps * ng * sizeof *job.vals);
        st = job.vals ? run_job(ctx, &job) : sg__nomem(ctx);
        sg__psampler_free(ps);
        free(ps_t);
        free(ps_index);
        if (st != SG_OK) {
            free(job.vals);
            free(sorted);
            return st;
        }
        if (job.failed)
            sg__warn(ctx, boot ? "W_BOOTSTRAP_FAILED" : "W_PERMUTATION_FAILED", SG_WHERE_NONE,
                     "%zu of %zu %s replicates could not compute every index and were left out of its "
                     "distribution", job.failed, reps, boot ? "bootstrap" : "permutation");
        for (size_t j = 0; j < ng; j++) {
            sg_global *g = &res->g[j];
            size_t k = 0;
            for (size_t r = 0; r < reps; r++) {
                double v = job.vals[r * ng + j];
                if (isfinite(v)) sorted[k++] = v;
            }
            if (k < 2) continue; /* not re-run (spatial family under bootstrap, or too costly) */
            if (boot) {
                qsort(sorted, k, sizeof *sorted, cmp_double);
                g->ci_low = quantile(sorted, k, 0.025);
                g->ci_high = quantile(sorted, k, 0.975);
            } else {
                double p;
                sg__null_test(g->value, sorted, k, 1, &g->null_mean, &g->null_sd, &p);
                /* A null without spread means the value does not depend on where
                 * people live (multi_diversity, simpsons_*: the city's composition):
                 * no test of segregation, so no p-value. */
                g->p_value = g->null_sd > 0 ? p : NAN;
            }
        }
        free(job.vals);
    }
    free(sorted);
    return SG_OK;
}

size_t sg__null_test(double observed, const double *null, size_t nnull, size_t stride, double *mean, double *sd,
                     double *p) {
    sg_ksum s = {0, 0};
    size_t k = 0;
    for (size_t r = 0; r < nnull; r++) {
        double v = null[r * stride];
        if (isfinite(v)) {
            sg__ksum_add(&s, v);
            k++;
        }
    }
    *mean = *sd = *p = NAN;
    if (k < 2) return k;
    double m = sg__ksum_get(&s) / (double)k, dev = fabs(observed - m);
    sg_ksum ss = {0, 0};
    size_t extreme = 0;
    for (size_t r = 0; r < nnull; r++) {
        double v = null[r * stride];
        if (!isfinite(v)) continue;
        sg__ksum_add(&ss, (v - m) * (v - m));
        /* a relative slack so that ties in exact arithmetic count as ties */
        if (fabs(v - m) >= dev * (1 - 1e-12)) extreme++;
    }
    *mean = m;
    *sd = sqrt(sg__ksum_get(&ss) / (double)(k - 1));
    *p = (double)(1 + extreme) / (double)(k + 1);
    return k;
}
