/* Service access (issue 5): the access stage of the pipeline, the
 * city-level gap between migrants and the rest and its permutation test
 * (the options are checked in options.c, the summary written in summary.c).
 *
 * The stage runs after the index families and inference (analyze.c). For
 * every service type it writes per-district columns (by city index; every
 * district with a geometry gets its values, also those left out of the
 * indices: they are real places):
 *   dist_TYPE_m      nearest service location (planar, geodesic or network)
 *   count_TYPE_R     service locations within R metres, one per --radius
 *   count_TYPE_Nmin  with --reach: services within N minutes by --travel-times
 *                    (with --time-catchment the floating catchments below are
 *                    by the table's minutes too: standards.c)
 *   fca2_TYPE_per1000    two-step floating catchment ratio (Luo & Wang 2003),
 *                        supply per 1,000 residents
 *   e2sfca_TYPE_per1000  the same with a distance decay (Luo & Qi 2009)
 *   time_TYPE_min    with --network-speed: travel time to the nearest; with
 *                    --travel-times the table's least minutes (standards.c)
 *   beyond_TYPE      with --standard: 1 beyond it, 0 within (standards.c)
 * With --population-points every value is computed at each point and the
 * district gets the population-weighted mean of its points.
 *
 * It also keeps every service location of every type as read, with its
 * step 1 of the floating catchment (sg_access_type.supply): the services
 * layer (gaps/sites.c) is made of these, so nothing is read or measured twice.
 *
 * City level, over the districts used in the indices: each group's
 * population-weighted mean and median nearest distance (x_i for migrants,
 * t_i - x_i for the rest, times the point shares w_k), gap_ratio = migrant
 * mean / rest mean, gap_m = their difference, the share of each group beyond
 * every radius, Pearson's r of the migrant share with the distance and with
 * E2SFCA, and with --permutations a p-value for gap_m under the null of
 * --null, drawn as the index test draws it (stream r of --seed: replicate r
 * is the same city there and here), two-sided around the null mean:
 * person (default) the group redistributed among the residents, every
 * district total kept (permute.c's hypergeometric draw district by
 * district); geographic the districts' (group, total) rows shuffled over
 * the map while the distances stay with the places; evenness each
 * district's group count Binomial(t_i, P); systematic both groups spread
 * over the districts in proportion to their sizes (nulls.c): the gap then
 * uses each replicate's own totals. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access_internal.h"

void sg__access_free(struct sg_access *A) {
    if (!A) return;
    for (size_t t = 0; t < A->nt; t++) {
        sg_access_type *T = &A->t[t];
        free(T->type);
        sg__src_info_free(&T->src);
        free(T->capacity);
        for (int g = 0; g < 2; g++) free(T->g[g].beyond);
        for (size_t i = 0; i < T->n_unreachable_ids; i++) free(T->unreachable_ids[i]);
        free(T->unreachable_ids);
        free(T->a);
        free(T->r);
        for (size_t j = 0; T->name && j < T->locations; j++) free(T->name[j]);
        free(T->name);
        free(T->fid);
        free(T->cap);
        free(T->x);
        free(T->y);
        sg__supply_free(&T->supply);
        sg__tt_info_free(&T->tt);
        free(T->beyond);
        free(T->bu);
    }
    free(A->t);
    sg__src_info_free(&A->pop);
    free(A->pop_field);
    free(A->radius);
    sg__src_info_free(&A->net.src);
    free(A->net.speed_field);
    free(A->net.oneway_field);
    free(A);
}

/* Population-weighted mean of v over the origins of district i with a finite
 * value; NaN when none. */
static double district_mean(const sg_origins *og, size_t i, const double *v) {
    double s = 0, w = 0;
    for (size_t k = og->off[i]; k < og->off[i + 1]; k++)
        if (isfinite(v[k])) {
            s += og->w[k] * v[k];
            w += og->w[k];
        }
    return w > 0 ? s / w : NAN;
}

static sg_status column(sg_ctx *ctx, sg_result *res, const sg_origins *og, const sg_city *c, const char *name,
                        const double *v) {
    double *col = sg__result_column(res, name);
    if (!col) return sg__nomem(ctx);
    for (size_t i = 0; i < c->n; i++) col[i] = district_mean(og, i, v);
    return SG_OK;
}

static double pearson(const double *x, const double *y, size_t n) {
    double mx = 0, my = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            mx += x[i];
            my += y[i];
            k++;
        }
    if (k < 3) return NAN;
    mx /= (double)k;
    my /= (double)k;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

typedef struct dist_entry {
    double d;
    size_t u; /* used district */
    double w; /* origin share */
} dist_entry;

static int cmp_entry(const void *a, const void *b) {
    const dist_entry *x = a, *y = b;
    if (x->d < y->d) return -1;
    if (x->d > y->d) return 1;
    return (x->u > y->u) - (x->u < y->u);
}

/* The group statistics of one type from the origin-level distances. */
static sg_status group_stats(sg_ctx *ctx, const sg_data *d, const sg_origins *og, const struct sg_access_opts *ao,
                             const double *dist, const double *time, const double *fca2, const double *e2,
                             sg_access_type *T) {
    const sg_city *c = d->city;
    size_t n = d->n;
    T->a = calloc(n ? n : 1, sizeof *T->a);
    T->r = calloc(n ? n : 1, sizeof *T->r);
    double *share = malloc((n ? n : 1) * sizeof *share), *dd = malloc((n ? n : 1) * sizeof *dd);
    double *de = malloc((n ? n : 1) * sizeof *de);
    size_t ne = 0;
    for (size_t u = 0; u < n; u++) {
        size_t i = d->index[u];
        ne += og->off[i + 1] - og->off[i];
    }
    dist_entry *en = malloc((ne ? ne : 1) * sizeof *en);
    for (int g = 0; g < 2; g++) T->g[g].beyond = calloc(ao->nradius, sizeof *T->g[g].beyond);
    if (!T->a || !T->r || !share || !dd || !de || !en || !T->g[0].beyond || !T->g[1].beyond) {
        free(share);
        free(dd);
        free(de);
        free(en);
        return sg__nomem(ctx);
    }
    sg_ksum sd[2] = {{0, 0}, {0, 0}}, sw[2] = {{0, 0}, {0, 0}}, pop[2] = {{0, 0}, {0, 0}};
    sg_ksum unr[2] = {{0, 0}, {0, 0}};
    sg_ksum ef[2][2] = {{{0, 0}, {0, 0}}, {{0, 0}, {0, 0}}}, eff[2][2] = {{{0, 0}, {0, 0}}, {{0, 0}, {0, 0}}};
    sg_ksum tm[2][2] = {{{0, 0}, {0, 0}}, {{0, 0}, {0, 0}}};
    size_t k = 0;
    for (size_t u = 0; u < n; u++) {
        size_t i = d->index[u];
        double G[2] = {d->x[u], d->t[u] - d->x[u]};
        if (G[1] < 0) G[1] = 0;
        double a = 0, r = 0;
        for (size_t o = og->off[i]; o < og->off[i + 1]; o++) {
            en[k].d = isfinite(dist[o]) ? dist[o] : INFINITY;
            en[k].u = u;
            en[k].w = og->w[o];
            k++;
            if (isfinite(dist[o])) {
                a += og->w[o] * dist[o];
                r += og->w[o];
            }
        }
        T->a[u] = a;
        T->r[u] = r;
        double e2i = district_mean(og, i, e2), f2i = district_mean(og, i, fca2);
        double ti = time ? district_mean(og, i, time) : NAN;
        for (int g = 0; g < 2; g++) {
            sg__ksum_add(&pop[g], G[g]);
            sg__ksum_add(&unr[g], G[g] * (1 - (r > 1 ? 1 : r)));
            sg__ksum_add(&sd[g], G[g] * a);
            sg__ksum_add(&sw[g], G[g] * r);
            if (isfinite(e2i)) {
                sg__ksum_add(&ef[g][0], G[g] * e2i);
                sg__ksum_add(&ef[g][1], G[g]);
            }
            if (isfinite(f2i)) {
                sg__ksum_add(&eff[g][0], G[g] * f2i);
                sg__ksum_add(&eff[g][1], G[g]);
            }
            if (isfinite(ti)) {
                sg__ksum_add(&tm[g][0], G[g] * ti);
                sg__ksum_add(&tm[g][1], G[g]);
            }
        }
        share[u] = d->t[u] > 0 ? d->x[u] / d->t[u] : NAN;
        dd[u] = r > 0 ? a / r : NAN;
        de[u] = e2i;
    }
    qsort(en, ne, sizeof *en, cmp_entry);
    for (int g = 0; g < 2; g++) {
        sg_access_group *A = &T->g[g];
        A->pop = sg__ksum_get(&pop[g]);
        A->unreachable = sg__ksum_get(&unr[g]);
        double W = sg__ksum_get(&sw[g]);
        A->mean = W > 0 ? sg__ksum_get(&sd[g]) / W : NAN;
        A->e2sfca = sg__ksum_get(&ef[g][1]) > 0 ? sg__ksum_get(&ef[g][0]) / sg__ksum_get(&ef[g][1]) : NAN;
        A->fca2 = sg__ksum_get(&eff[g][1]) > 0 ? sg__ksum_get(&eff[g][0]) / sg__ksum_get(&eff[g][1]) : NAN;
        A->time_mean = sg__ksum_get(&tm[g][1]) > 0 ? sg__ksum_get(&tm[g][0]) / sg__ksum_get(&tm[g][1]) : NAN;
        /* lower weighted median of the reachable residents; shares beyond each radius */
        A->median = NAN;
        double cum = 0, half = W / 2;
        for (size_t e = 0; e < ne && isnan(A->median) && W > 0; e++) {
            double gw = (g == 0 ? d->x[en[e].u] : fmax(0, d->t[en[e].u] - d->x[en[e].u])) * en[e].w;
            if (!isfinite(en[e].d)) break;
            cum += gw;
            if (gw > 0 && cum >= half * (1 - 1e-12)) A->median = en[e].d;
        }
        /* beyond[r]: the share of the group farther than radius[r] (unreachable included) */
        double *beyond = A->beyond;
        for (size_t r = 0; r < ao->nradius; r++) {
            sg_ksum b = {0, 0};
            for (size_t e = 0; e < ne; e++) {
                if (!(en[e].d > ao->radius[r])) continue;
                double gw = (g == 0 ? d->x[en[e].u] : fmax(0, d->t[en[e].u] - d->x[en[e].u])) * en[e].w;
                sg__ksum_add(&b, gw);
            }
            beyond[r] = A->pop > 0 ? sg__ksum_get(&b) / A->pop : NAN;
        }
    }
    T->gap_m = T->g[0].mean - T->g[1].mean;
    T->gap_ratio = T->g[1].mean > 0 ? T->g[0].mean / T->g[1].mean : NAN;
    T->corr_dist = pearson(share, dd, n);
    T->corr_e2sfca = pearson(share, de, n);
    T->p_value = T->null_mean = T->null_sd = NAN;
    (void)c;
    free(share);
    free(dd);
    free(de);
    free(en);
    return SG_OK;
}

/* Copies what the summary needs from a reader's info (moves the strings). */
static void take_src(sg_src_info *dst, sg_src_info *src) {
    *dst = *src;
    memset(src, 0, sizeof *src);
}

/* Moves every location of s into T (s keeps its count and the polygons). */
static void take_locations(sg_access_type *T, sg_services *s) {
    T->fid = s->fid;
    T->name = s->name;
    T->cap = s->cap;
    T->x = s->x;
    T->y = s->y;
    s->fid = NULL;
    s->name = NULL;
    s->cap = NULL;
    s->x = s->y = NULL;
}

/* One service type: read, measure, write the columns, the group statistics,
 * and keep every location with its supply (step 1 of the floating catchment). */
static sg_status one_type(sg_ctx *ctx, const sg_data *d, sg_result *res, const sg_origins *og, const sg_network *net,
                          const sg_service_spec *spec, struct sg_access *A, sg_access_type *T) {
    const sg_options *o = d->opts;
    const struct sg_access_opts *ao = o->access;
    const sg_city *c = d->city;
    T->type = sg__strdup(spec->type);
    T->capacity = spec->capacity ? sg__strdup(spec->capacity) : NULL;
    if (!T->type || (spec->capacity && !T->capacity)) return sg__nomem(ctx);
    sg_services s;
    sg_status st = sg__services_read(ctx, spec, o, d->crs, c, net != NULL, &s);
    take_src(&T->src, &s.src);
    if (st != SG_OK) {
        sg__services_free(ctx, &s);
        return st;
    }
    T->locations = s.n;
    T->npoly = s.npoly;
    T->nsplit = s.nsplit;
    T->nskipped = s.nskipped;
    T->total_capacity = s.total_capacity;
    size_t n = og->n ? og->n : 1;
    double *dist = malloc(n * sizeof *dist), *time = NULL;
    double *count = malloc(n * ao->nradius * sizeof *count), *fca2 = malloc(n * sizeof *fca2),
           *e2 = malloc(n * sizeof *e2);
    if (!dist || !count || !fca2 || !e2) st = sg__nomem(ctx);
    /* the pairs reach the catchment and the largest radius (radius is ascending):
     * what the counts and step 1's residents within each radius need */
    double dmax = fmax(ao->catchment, ao->radius[ao->nradius - 1]);
    sg_pairs pairs;
    memset(&pairs, 0, sizeof pairs);
    if (st == SG_OK && net) {
        sg_net_services *ns = NULL;
        st = sg__network_services(ctx, net, &s, &ns, &T->off_network);
        if (st == SG_OK) st = sg__network_nearest(ctx, net, ns, 0, dist);
        if (st == SG_OK && sg__network_has_speed(net)) {
            time = malloc(n * sizeof *time);
            st = time ? sg__network_nearest(ctx, net, ns, 1, time) : sg__nomem(ctx);
        }
        if (st == SG_OK) st = sg__network_pairs(ctx, net, ns, dmax, o->threads, &pairs);
        sg__network_services_free(ns);
    } else if (st == SG_OK) {
        sg_euclid *e = NULL;
        st = sg__euclid_create(ctx, og, &s, d->crs, o->geodesic, &e);
        if (st == SG_OK) st = sg__euclid_nearest(ctx, e, o->threads, dist);
        if (st == SG_OK) st = sg__euclid_pairs(ctx, e, dmax, o->threads, &pairs);
        sg__euclid_destroy(ctx, e);
    }
    size_t ti = (size_t)(spec - ao->svc);
    const sg_time_opts *to = ao->time && (ao->time[ti].nreach || ao->time[ti].catchment > 0) ? &ao->time[ti] : NULL;
    sg_tt_rows rows;
    memset(&rows, 0, sizeof rows);
    double *tcount = NULL; /* --reach: counts by minutes */
    if (st == SG_OK && spec->tt_path) { /* --travel-times: the table's minutes replace the network's */
        double *tt = NULL;
        st = sg__access_tt(ctx, d, spec, og, &s, T, &tt, to ? &rows : NULL);
        free(time);
        time = tt;
    }
    /* step 1 once: the district values below and the services layer's per-location values */
    if (st == SG_OK) st = sg__fca_supply(ctx, &pairs, og->demand, &s, ao, &T->supply);
    if (st == SG_OK) {
        sg__fca_access(&pairs, &T->supply, ao, count, fca2, e2);
        T->idle = T->supply.idle;
    }
    sg__pairs_free(&pairs);
    if (st == SG_OK && to) { /* --reach, --time-catchment: by the table's minutes */
        tcount = malloc(n * (to->nreach ? to->nreach : 1) * sizeof *tcount);
        st = tcount ? sg__access_tt_fca(ctx, c, og, &s, ao, to, &rows, T, tcount, fca2, e2) : sg__nomem(ctx);
    }
    sg__tt_rows_free(&rows);
    char name[96];
    if (st == SG_OK) {
        snprintf(name, sizeof name, "dist_%s_m", spec->type);
        st = column(ctx, res, og, c, name, dist);
    }
    for (size_t r = 0; st == SG_OK && r < ao->nradius; r++) {
        snprintf(name, sizeof name, "count_%s_%.0f", spec->type, ao->radius[r]);
        st = column(ctx, res, og, c, name, count + r * og->n);
    }
    for (size_t r = 0; st == SG_OK && r < T->nreach; r++) {
        snprintf(name, sizeof name, "count_%s_%.0fmin", spec->type, T->reach[r]);
        st = column(ctx, res, og, c, name, tcount + r * og->n);
    }
    if (st == SG_OK) {
        snprintf(name, sizeof name, "fca2_%s_per1000", spec->type);
        st = column(ctx, res, og, c, name, fca2);
    }
    if (st == SG_OK) {
        snprintf(name, sizeof name, "e2sfca_%s_per1000", spec->type);
        st = column(ctx, res, og, c, name, e2);
    }
    if (st == SG_OK && time) {
        snprintf(name, sizeof name, "time_%s_min", spec->type);
        st = column(ctx, res, og, c, name, time);
    }
    T->has_time = time != NULL;
    if (st == SG_OK) st = group_stats(ctx, d, og, ao, dist, time, fca2, e2, T);
    if (st == SG_OK && ao->std && ao->std[ti].set) st = sg__access_beyond(ctx, d, res, &ao->std[ti], T);
    /* Districts with a place but no reachable service. */
    if (st == SG_OK) {
        size_t *un = malloc((c->n ? c->n : 1) * sizeof *un), nu = 0;
        if (!un) st = sg__nomem(ctx);
        for (size_t i = 0; un && i < c->n; i++) {
            if (og->off[i + 1] == og->off[i]) continue; /* no geometry */
            if (isfinite(district_mean(og, i, dist))) T->districts_with_value++;
            else un[nu++] = i;
        }
        T->unreachable = nu;
        if (nu) {
            T->unreachable_ids = calloc(nu < SG_FIRST_IDS ? nu : SG_FIRST_IDS, sizeof *T->unreachable_ids);
            for (size_t k = 0; T->unreachable_ids && k < nu && k < SG_FIRST_IDS; k++) {
                T->unreachable_ids[k] = sg__strdup(c->id[un[k]] ? c->id[un[k]] : "");
                if (T->unreachable_ids[k]) T->n_unreachable_ids++;
            }
            char *ids = sg__first_ids(c, un, nu);
            sg__warn(ctx, "W_UNREACHABLE", (sg_where){spec->path, T->src.layer, -1, NULL, NULL},
                     "%zu of %zu districts cannot reach any '%s' on the network (their part of the network has "
                     "none, or they are more than %g m from any edge): no distance, not infinity: %s",
                     nu, c->n, spec->type, ao->max_snap, ids ? ids : "");
            free(ids);
        }
        free(un);
    }
    if (st == SG_OK && T->idle)
        sg__warn(ctx, "W_SERVICE_IDLE", (sg_where){spec->path, T->src.layer, -1, NULL, NULL},
                 "%zu of %zu '%s' locations have no resident within the %g %s catchment%s: their supply counts for "
                 "nobody in fca2_%s_per1000 / e2sfca_%s_per1000", T->idle, s.n, spec->type,
                 T->time_catchment > 0 ? T->time_catchment : ao->catchment, T->time_catchment > 0 ? "min" : "m",
                 T->time_catchment > 0 ? " (no row within it in the travel-time table)" : "", spec->type, spec->type);
    (void)A;
    free(dist);
    free(time);
    free(count);
    free(tcount);
    free(fca2);
    free(e2);
    if (st == SG_OK) take_locations(T, &s);
    sg__services_free(ctx, &s);
    return st;
}

/* ---- permutation test of the gap ---- */
typedef struct perm_job {
    const sg_data *d;
    const struct sg_access *A;
    size_t reps;
    uint64_t seed;
    double *vals; /* reps x nt */
    size_t next;
    pthread_mutex_t lock;
    int oom;
    const sg_psampler *ps; /* the permutation null as permute.c draws it, or NULL */
    int null_model;        /* SG_NULL_* (--null) */
} perm_job;

static void perm_reference(const sg_data *d, sg_rng *rngp, double *x);
static void gaps_of(perm_job *job, size_t r, const double *x, const double *t);

/* x: n doubles; for a null other than person, t (n), m (n x k) and work (n). */
static void perm_one(perm_job *job, size_t r, double *x, double *t, double *m, double *work,
                     sg_psampler_scratch *psc) {
    const sg_data *d = job->d;
    sg_rng rng;
    sg__rng_seed(&rng, job->seed, (uint64_t)r); /* the stream of replicate r in permute.c */
    if (job->null_model != SG_NULL_PERSON) {
        if (sg__null_draw(job->null_model, &rng, d, job->ps, psc, x, t, m, work) != 0) {
            pthread_mutex_lock(&job->lock);
            job->oom = 1;
            pthread_mutex_unlock(&job->lock);
            return;
        }
        gaps_of(job, r, x, t);
        return;
    }
    if (job->ps) {
        if (sg__psampler_draw(job->ps, &rng, x, 0, psc) != 0) {
            pthread_mutex_lock(&job->lock);
            job->oom = 1;
            pthread_mutex_unlock(&job->lock);
            return;
        }
    } else {
        perm_reference(d, &rng, x);
    }
    gaps_of(job, r, x, NULL);
}

/* District by district from the hypergeometric law (when psampler.c declines). */
static void perm_reference(const sg_data *d, sg_rng *rngp, double *x) {
    sg_rng rng = *rngp;
    double T = 0, X = 0;
    for (size_t i = 0; i < d->n; i++) {
        T += round(d->t[i]);
        X += round(d->x[i]);
    }
    for (size_t i = 0; i < d->n; i++) {
        double ti = round(d->t[i]);
        double xi = sg__rng_hypergeometric(&rng, T, X, ti);
        x[i] = xi;
        X -= xi;
        T -= ti;
    }
    *rngp = rng;
}

/* tot: the replicate's district totals, NULL: d's (rounded). */
static void gaps_of(perm_job *job, size_t r, const double *x, const double *tot) {
    const sg_data *d = job->d;
    size_t nt = job->A->nt;
    for (size_t t = 0; t < nt; t++) /* the second half: the shares beyond the standards */
        job->vals[r * 2 * nt + nt + t] = job->A->t[t].bu ? sg__std_gap_of(d, &job->A->t[t], x, tot) : NAN;
    for (size_t t = 0; t < job->A->nt; t++) {
        const sg_access_type *ty = &job->A->t[t];
        double s[2] = {0, 0}, w[2] = {0, 0};
        for (size_t i = 0; i < d->n; i++) {
            double g0 = x[i], g1 = (tot ? tot[i] : round(d->t[i])) - x[i];
            s[0] += g0 * ty->a[i];
            w[0] += g0 * ty->r[i];
            s[1] += g1 * ty->a[i];
            w[1] += g1 * ty->r[i];
        }
        job->vals[r * 2 * nt + t] = (w[0] > 0 && w[1] > 0) ? s[0] / w[0] - s[1] / w[1] : NAN;
    }
}

static void *perm_worker(void *arg) {
    perm_job *job = arg;
    size_t n = job->d->n ? job->d->n : 1, other = job->null_model != SG_NULL_PERSON;
    double *x = malloc((other ? 3 * n + n * job->d->k : n) * sizeof *x); /* x, t, work, m */
    sg_psampler_scratch psc = {0};
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t r = job->next++;
        if (!x) job->oom = 1;
        int stop = r >= job->reps || job->oom;
        pthread_mutex_unlock(&job->lock);
        if (stop) break;
        perm_one(job, r, x, x + n, x + 3 * n, x + 2 * n, &psc);
    }
    sg__psampler_scratch_free(&psc);
    free(x);
    return NULL;
}

static sg_status permute_gaps(sg_ctx *ctx, const sg_data *d, struct sg_access *A) {
    size_t reps = (size_t)d->opts->permutations;
    perm_job job;
    memset(&job, 0, sizeof job);
    job.d = d;
    job.A = A;
    job.reps = reps;
    job.seed = (uint64_t)d->opts->seed;
    job.null_model = d->opts->null_model;
    job.vals = malloc(reps * 2 * (A->nt ? A->nt : 1) * sizeof *job.vals);
    if (!job.vals) return sg__nomem(ctx);
    sg_psampler *ps = NULL; /* person and evenness draw with it, as permute.c (when it can be made) */
    int want_ps = job.null_model == SG_NULL_PERSON || job.null_model == SG_NULL_EVENNESS;
    if (want_ps && sg__psampler_create(ctx, d->t, d->x, d->n, &ps) == SG_ERR_NOMEM) {
        free(job.vals);
        return SG_ERR_NOMEM;
    }
    job.ps = ps;
    pthread_mutex_init(&job.lock, NULL);
    int nt = sg__thread_count(d->opts->threads);
    if ((size_t)nt > reps) nt = (int)reps;
    sg__threads_run(nt, perm_worker, &job);
    pthread_mutex_destroy(&job.lock);
    sg__psampler_free(ps);
    if (job.oom) {
        free(job.vals);
        return sg__nomem(ctx);
    }
    for (size_t t = 0; t < A->nt; t++) {
        sg_access_type *T = &A->t[t];
        double p;
        if (T->bu && isfinite(T->std_gap) &&
            sg__null_test(T->std_gap, job.vals + A->nt + t, reps, 2 * A->nt, &T->std_null_mean, &T->std_null_sd,
                          &p) >= 2)
            T->std_p = T->std_null_sd > 0 ? p : NAN;
        if (!isfinite(T->gap_m)) continue;
        if (sg__null_test(T->gap_m, job.vals + t, reps, 2 * A->nt, &T->null_mean, &T->null_sd, &p) < 2) continue;
        T->p_value = T->null_sd > 0 ? p : NAN;
    }
    free(job.vals);
    return SG_OK;
}

sg_status sg__access(sg_ctx *ctx, const sg_data *d, sg_result *res, struct sg_access **out) {
    *out = NULL;
    const sg_options *o = d->opts;
    const struct sg_access_opts *ao = o->access;
    if (!ao) return SG_OK;
    struct sg_access *A = calloc(1, sizeof *A);
    if (!A) return sg__nomem(ctx);
    A->mode = o->network ? "network" : o->geodesic ? "geodesic" : "planar";
    A->catchment = ao->catchment;
    A->max_snap = ao->max_snap;
    A->bandwidth = ao->bandwidth;
    A->decay = ao->decay;
    A->permutations = o->permutations;
    A->null_model = o->null_model;
    A->radius = malloc(ao->nradius * sizeof *A->radius);
    A->t = calloc(ao->nsvc, sizeof *A->t);
    if (!A->radius || !A->t) {
        sg__access_free(A);
        return sg__nomem(ctx);
    }
    memcpy(A->radius, ao->radius, ao->nradius * sizeof *A->radius);
    A->nradius = ao->nradius;
    sg_origins og;
    sg_status st = sg__origins_build(ctx, o, d->city, d->crs, &og);
    if (st == SG_OK) {
        A->from_points = og.from_points;
        A->origins = og.n;
        A->points_read = og.points_read;
        A->points_outside = og.points_outside;
        A->fallback = og.fallback;
        if (og.from_points) {
            take_src(&A->pop, &og.src);
            A->pop_field = sg__strdup(o->population_field);
        }
    }
    sg_network *net = NULL;
    if (st == SG_OK && o->network) {
        st = sg__network_build(ctx, o, d->crs, d->city, &og, &net);
        if (st == SG_OK) {
            const sg_net_info *ni = sg__network_info(net);
            A->net = *ni;
            A->net.src.path = sg__strdup(ni->src.path);
            A->net.src.layer = sg__strdup(ni->src.layer);
            A->net.src.driver = sg__strdup(ni->src.driver);
            A->net.src.where = NULL;
            A->net.src.crs_name = sg__strdup(ni->src.crs_name);
            A->net.src.crs_id = sg__strdup(ni->src.crs_id);
            A->net.speed_field = sg__strdup(ni->speed_field);
            A->net.oneway_field = sg__strdup(ni->oneway_field);
            A->has_network = 1;
            A->has_time = sg__network_has_speed(net);
        }
    }
    for (size_t t = 0; st == SG_OK && t < ao->nsvc; t++) {
        if ((st = sg__check_cancel(ctx)) != SG_OK) break;
        A->nt++;
        st = one_type(ctx, d, res, &og, net, &ao->svc[t], A, &A->t[t]);
    }
    if (st == SG_OK && o->permutations > 0 && d->n && (st = sg__check_cancel(ctx)) == SG_OK)
        st = permute_gaps(ctx, d, A);
    sg__network_free(ctx, net);
    sg__origins_free(&og);
    if (st != SG_OK) {
        sg__access_free(A);
        return st;
    }
    *out = A;
    return SG_OK;
}
