/* Service access (issue 5): the options, the access stage of the pipeline,
 * the city-level gap between migrants and the rest, its permutation test,
 * and the summary (json and text).
 *
 * The stage runs after the index families and inference (analyze.c). For
 * every service type it writes per-district columns (by city index; every
 * district with a geometry gets its values, also those left out of the
 * indices: they are real places):
 *   dist_TYPE_m      nearest service location (planar, geodesic or network)
 *   count_TYPE_R     service locations within R metres, one per --radius
 *   fca2_TYPE        two-step floating catchment ratio (Luo & Wang 2003)
 *   e2sfca_TYPE      the same with a distance decay (Luo & Qi 2009)
 *   time_TYPE_min    with --network-speed: travel time to the nearest
 * With --population-points every value is computed at each point and the
 * district gets the population-weighted mean of its points.
 *
 * City level, over the districts used in the indices: each group's
 * population-weighted mean and median nearest distance (x_i for migrants,
 * t_i - x_i for the rest, times the point shares w_k), gap_ratio = migrant
 * mean / rest mean, gap_m = their difference, the share of each group beyond
 * every radius, Pearson's r of the migrant share with the distance and with
 * E2SFCA, and with --permutations a p-value for gap_m: the same person-level
 * redistribution as the index test (permute.c: stream r of --seed, the
 * hypergeometric draw district by district, so replicate r is the same
 * city there and here), two-sided around the null mean. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "access/access.h"

/* ------------------------------------------------------------------ */
/* options                                                              */

static const char *const decay_names[] = {"gaussian", "linear", "step", "exp"};
const char *sg__decay_name(sg_decay k) {
    return (k >= SG_DECAY_GAUSSIAN && k <= SG_DECAY_EXP) ? decay_names[k] : "?";
}

void sg__access_opts_free(struct sg_access_opts *a) {
    if (!a) return;
    for (size_t i = 0; i < a->nsvc; i++) {
        free(a->svc[i].type);
        free(a->svc[i].path);
        free(a->svc[i].layer);
        free(a->svc[i].where);
        free(a->svc[i].capacity);
    }
    free(a->svc);
    free(a->radius);
    free(a);
}

static const char *const seq_names[] = {"--service", "--service-layer", "--service-where", "--capacity",
                                        "--radius"};
#define N_SEQ (sizeof seq_names / sizeof seq_names[0])

int sg__access_is_arg(const char *name) {
    for (size_t k = 0; k < N_SEQ; k++)
        if (strcmp(name, seq_names[k]) == 0) return 1;
    return 0;
}

sg_status sg__access_add_arg(sg_ctx *ctx, sg_options *o, const char *name, const char *val) {
    if (!*val)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s needs a non-empty value", name);
    char *item = sg__asprintf("%s=%s", name, val);
    char **ni = item ? sg__reallocarray(o->access_args.items, o->access_args.n + 1, sizeof *ni) : NULL;
    if (!ni) {
        free(item);
        return sg__nomem(ctx);
    }
    o->access_args.items = ni;
    ni[o->access_args.n++] = item;
    return SG_OK;
}

static sg_status usage(sg_ctx *ctx, const char *fmt, ...) SG_PRINTF(2, 3);
static sg_status usage(sg_ctx *ctx, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "%s", msg);
}

/* "--capacity=VALUE" -> "VALUE" when item is that option. */
static const char *arg_value(const char *item, const char *name) {
    size_t n = strlen(name);
    return strncmp(item, name, n) == 0 && item[n] == '=' ? item + n + 1 : NULL;
}

static int valid_type(const char *t) {
    if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))) return 0;
    size_t n = 0;
    for (const char *c = t; *c; c++, n++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return 0;
    return n <= 32 && strcmp(t, "settings") != 0;
}

/* A length in metres for an access option: strict, > 0, <= max. */
static sg_status metres(sg_ctx *ctx, const char *opt, const char *text, double max, double *out) {
    const char *why = "not a number";
    if (sg__parse_number(text, out, &why) != SG_NUM_OK)
        return usage(ctx, "option %s: '%s' is %s", opt, text, why ? why : "not a number");
    if (!(*out > 0) || *out > max)
        return usage(ctx, "option %s must be a distance in metres, > 0 and <= %g, not '%s'", opt, max, text);
    return SG_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static sg_status parse_radii(sg_ctx *ctx, const char *val, struct sg_access_opts *a) {
    const char *p = val;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char *raw = sg__strndup(p, len);
        if (!raw) return sg__nomem(ctx);
        double r;
        sg_status st = metres(ctx, "--radius", raw, 100000, &r);
        if (st == SG_OK && r != floor(r))
            st = usage(ctx, "option --radius takes whole metres (it names the field count_TYPE_R), not '%s'", raw);
        free(raw);
        if (st != SG_OK) return st;
        double *nr = sg__reallocarray(a->radius, a->nradius + 1, sizeof *nr);
        if (!nr) return sg__nomem(ctx);
        a->radius = nr;
        a->radius[a->nradius++] = r;
        if (!c) break;
        p = c + 1;
    }
    return SG_OK;
}

/* Sets *dst of the service the option applies to; twice is an error. */
static sg_status set_svc(sg_ctx *ctx, char **dst, const char *opt, const char *type, const char *val) {
    if (*dst) return usage(ctx, "option %s given twice for --service %s", opt, type);
    *dst = sg__strdup(val);
    return *dst ? SG_OK : sg__nomem(ctx);
}

sg_status sg__access_options(sg_ctx *ctx, sg_options *o) {
    sg__access_opts_free(o->access);
    o->access = NULL;
    size_t nsvc = 0;
    for (size_t i = 0; i < o->access_args.n; i++) nsvc += arg_value(o->access_args.items[i], "--service") != NULL;
    if (nsvc == 0) {
        const char *given = NULL;
        for (size_t i = 0; !given && i < o->access_args.n; i++) {
            const char *it = o->access_args.items[i];
            for (size_t k = 0; k < N_SEQ; k++)
                if (arg_value(it, seq_names[k])) given = seq_names[k];
        }
        if (!given && o->catchment_text) given = "--catchment";
        if (!given && o->decay_text) given = "--decay";
        if (!given && o->access_bandwidth_text) given = "--access-bandwidth";
        if (!given && o->service_point) given = "--service-point";
        if (!given && o->geodesic) given = "--geodesic";
        if (!given && o->population_points) given = "--population-points";
        if (!given && o->population_field) given = "--population-field";
        if (!given && o->population_layer) given = "--population-layer";
        if (!given && o->network) given = "--network";
        if (!given && o->network_layer) given = "--network-layer";
        if (!given && o->network_speed) given = "--network-speed";
        if (!given && o->network_oneway) given = "--network-oneway";
        if (!given && o->network_max_snap_text) given = "--network-max-snap";
        if (given) {
            if (strcmp(given, "--service") != 0 && strcmp(given, "--radius") != 0 &&
                strncmp(given, "--service", 9) == 0)
                return usage(ctx, "option %s must follow the --service it applies to", given);
            if (strcmp(given, "--capacity") == 0)
                return usage(ctx, "%s", "option --capacity must follow the --service it applies to (or name it: "
                                        "--capacity TYPE=FIELD)");
            return usage(ctx, "option %s applies only with --service TYPE=FILE", given);
        }
        return SG_OK;
    }
    if (nsvc > SG_ACCESS_MAX_TYPES) return usage(ctx, "at most %d --service types", SG_ACCESS_MAX_TYPES);
    struct sg_access_opts *a = calloc(1, sizeof *a);
    if (!a) return sg__nomem(ctx);
    a->svc = calloc(nsvc, sizeof *a->svc);
    if (!a->svc) {
        free(a);
        return sg__nomem(ctx);
    }
    sg_status st = SG_OK;
    /* Pass 1: the services, so that --capacity TYPE=FIELD may name any of them. */
    for (size_t i = 0; st == SG_OK && i < o->access_args.n; i++) {
        const char *v = arg_value(o->access_args.items[i], "--service");
        if (!v) continue;
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1]) {
            st = usage(ctx, "--service needs TYPE=FILE (e.g. --service school=schools.gpkg), not '%s'", v);
            break;
        }
        sg_service_spec *s = &a->svc[a->nsvc];
        s->type = sg__strndup(v, (size_t)(eq - v));
        s->path = sg__strdup(eq + 1);
        if (!s->type || !s->path) {
            free(s->type);
            free(s->path);
            st = sg__nomem(ctx);
            break;
        }
        a->nsvc++;
        if (!valid_type(s->type)) {
            st = usage(ctx, "--service type '%s' must start with a letter and hold only letters, digits and '_' "
                            "(at most 32; it names the output fields, e.g. dist_%s_m; 'settings' is reserved)",
                       s->type, "TYPE");
            break;
        }
        for (size_t j = 0; j + 1 < a->nsvc; j++)
            if (strcmp(a->svc[j].type, s->type) == 0) {
                st = usage(ctx, "--service type '%s' given twice", s->type);
                break;
            }
    }
    /* Pass 2: the options that follow a service, and the radii. */
    size_t cur = (size_t)-1, seen = 0;
    for (size_t i = 0; st == SG_OK && i < o->access_args.n; i++) {
        const char *it = o->access_args.items[i], *v;
        if ((v = arg_value(it, "--service"))) {
            cur = seen++;
        } else if ((v = arg_value(it, "--radius"))) {
            st = parse_radii(ctx, v, a);
        } else if ((v = arg_value(it, "--capacity"))) {
            const char *eq = strchr(v, '=');
            size_t target = cur;
            const char *field = v;
            if (eq) {
                for (size_t j = 0; j < a->nsvc; j++)
                    if (strlen(a->svc[j].type) == (size_t)(eq - v) && strncmp(a->svc[j].type, v, (size_t)(eq - v)) == 0) {
                        target = j;
                        field = eq + 1;
                    }
            }
            if (target == (size_t)-1) {
                char *tn = eq ? sg__strndup(v, (size_t)(eq - v)) : NULL;
                st = eq ? usage(ctx, "--capacity %s: no --service %s (types: see --service)", v, tn ? tn : "")
                        : usage(ctx, "%s", "option --capacity must follow the --service it applies to (or name "
                                           "it: --capacity TYPE=FIELD)");
                free(tn);
            } else if (!*field) {
                st = usage(ctx, "--capacity %s: empty field name", v);
            } else {
                st = set_svc(ctx, &a->svc[target].capacity, "--capacity", a->svc[target].type, field);
            }
        } else {
            int layer = arg_value(it, "--service-layer") != NULL;
            const char *name = layer ? "--service-layer" : "--service-where";
            v = arg_value(it, name);
            if (!v) continue;
            if (cur == (size_t)-1) st = usage(ctx, "option %s must follow the --service it applies to", name);
            else st = set_svc(ctx, layer ? &a->svc[cur].layer : &a->svc[cur].where, name, a->svc[cur].type, v);
        }
    }
    if (st == SG_OK && a->nradius == 0) {
        a->radius = malloc(sizeof *a->radius);
        if (!a->radius) st = sg__nomem(ctx);
        else a->radius[a->nradius++] = 1000;
    }
    if (st == SG_OK) { /* ascending, distinct */
        qsort(a->radius, a->nradius, sizeof *a->radius, cmp_double);
        size_t k = 0;
        for (size_t i = 0; i < a->nradius; i++)
            if (k == 0 || a->radius[i] != a->radius[k - 1]) a->radius[k++] = a->radius[i];
        a->nradius = k;
    }
    a->catchment = 2000;
    if (st == SG_OK && o->catchment_text) st = metres(ctx, "--catchment", o->catchment_text, 1e6, &a->catchment);
    a->decay = SG_DECAY_GAUSSIAN;
    if (st == SG_OK && o->decay_text) {
        size_t k;
        for (k = 0; k < 4; k++)
            if (strcmp(o->decay_text, decay_names[k]) == 0) break;
        if (k == 4) st = usage(ctx, "--decay must be gaussian, linear, step or exp, not '%s'", o->decay_text);
        else a->decay = (sg_decay)k;
    }
    a->bandwidth = a->catchment / 2;
    if (st == SG_OK && o->access_bandwidth_text) {
        if (a->decay != SG_DECAY_GAUSSIAN && a->decay != SG_DECAY_EXP)
            st = usage(ctx, "--access-bandwidth applies only to --decay gaussian or exp (%s has none)",
                       sg__decay_name(a->decay));
        else st = metres(ctx, "--access-bandwidth", o->access_bandwidth_text, 1e6, &a->bandwidth);
    }
    a->max_snap = 500;
    if (st == SG_OK && o->network_max_snap_text)
        st = metres(ctx, "--network-max-snap", o->network_max_snap_text, 1e5, &a->max_snap);
    if (st == SG_OK && (o->population_points != NULL) != (o->population_field != NULL))
        st = usage(ctx, "%s", "--population-points SRC and --population-field FIELD go together (the residents "
                              "of each point)");
    if (st == SG_OK && o->population_layer && !o->population_points)
        st = usage(ctx, "%s", "--population-layer applies only with --population-points");
    if (st == SG_OK && !o->network) {
        const char *n = o->network_layer ? "--network-layer" : o->network_speed ? "--network-speed"
                        : o->network_oneway ? "--network-oneway" : o->network_max_snap_text ? "--network-max-snap"
                        : NULL;
        if (n) st = usage(ctx, "option %s applies only with --network FILE", n);
    }
    if (st == SG_OK && o->network && o->geodesic)
        st = usage(ctx, "%s", "--geodesic and --network exclude each other: network lengths are measured in the "
                              "working CRS");
    if (st != SG_OK) {
        sg__access_opts_free(a);
        return st;
    }
    o->access = a;
    return SG_OK;
}

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

void sg__src_info_free(sg_src_info *s) {
    if (!s) return;
    free(s->path);
    free(s->layer);
    free(s->driver);
    free(s->where);
    free(s->crs_name);
    free(s->crs_id);
    memset(s, 0, sizeof *s);
}

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

/* One service type: read, measure, write the columns, the group statistics. */
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
    if (st == SG_OK) st = sg__access_fca(ctx, &pairs, og->demand, &s, ao, count, fca2, e2, &T->idle);
    sg__pairs_free(&pairs);
    char name[96];
    if (st == SG_OK) {
        snprintf(name, sizeof name, "dist_%s_m", spec->type);
        st = column(ctx, res, og, c, name, dist);
    }
    for (size_t r = 0; st == SG_OK && r < ao->nradius; r++) {
        snprintf(name, sizeof name, "count_%s_%.0f", spec->type, ao->radius[r]);
        st = column(ctx, res, og, c, name, count + r * og->n);
    }
    if (st == SG_OK) {
        snprintf(name, sizeof name, "fca2_%s", spec->type);
        st = column(ctx, res, og, c, name, fca2);
    }
    if (st == SG_OK) {
        snprintf(name, sizeof name, "e2sfca_%s", spec->type);
        st = column(ctx, res, og, c, name, e2);
    }
    if (st == SG_OK && time) {
        snprintf(name, sizeof name, "time_%s_min", spec->type);
        st = column(ctx, res, og, c, name, time);
    }
    if (st == SG_OK) st = group_stats(ctx, d, og, ao, dist, time, fca2, e2, T);
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
                 "%zu of %zu '%s' locations have no resident within the %g m catchment: their supply counts for "
                 "nobody in fca2_%s / e2sfca_%s", T->idle, s.n, spec->type, ao->catchment, spec->type, spec->type);
    (void)A;
    free(dist);
    free(time);
    free(count);
    free(fca2);
    free(e2);
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
} perm_job;

static void perm_reference(const sg_data *d, sg_rng *rngp, double *x);
static void gaps_of(perm_job *job, size_t r, const double *x);

static void perm_one(perm_job *job, size_t r, double *x, sg_psampler_scratch *psc) {
    const sg_data *d = job->d;
    sg_rng rng;
    sg__rng_seed(&rng, job->seed, (uint64_t)r); /* the stream of replicate r in permute.c */
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
    gaps_of(job, r, x);
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

static void gaps_of(perm_job *job, size_t r, const double *x) {
    const sg_data *d = job->d;
    for (size_t t = 0; t < job->A->nt; t++) {
        const sg_access_type *ty = &job->A->t[t];
        double s[2] = {0, 0}, w[2] = {0, 0};
        for (size_t i = 0; i < d->n; i++) {
            double g0 = x[i], g1 = round(d->t[i]) - x[i];
            s[0] += g0 * ty->a[i];
            w[0] += g0 * ty->r[i];
            s[1] += g1 * ty->a[i];
            w[1] += g1 * ty->r[i];
        }
        job->vals[r * job->A->nt + t] = (w[0] > 0 && w[1] > 0) ? s[0] / w[0] - s[1] / w[1] : NAN;
    }
}

static void *perm_worker(void *arg) {
    perm_job *job = arg;
    double *x = malloc((job->d->n ? job->d->n : 1) * sizeof *x);
    sg_psampler_scratch psc = {0};
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t r = job->next++;
        if (!x) job->oom = 1;
        int stop = r >= job->reps || job->oom;
        pthread_mutex_unlock(&job->lock);
        if (stop) break;
        perm_one(job, r, x, &psc);
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
    job.vals = malloc(reps * (A->nt ? A->nt : 1) * sizeof *job.vals);
    double *sorted = malloc(reps * sizeof *sorted);
    if (!job.vals || !sorted) {
        free(job.vals);
        free(sorted);
        return sg__nomem(ctx);
    }
    sg_psampler *ps = NULL;
    if (sg__psampler_create(ctx, d->t, d->x, d->n, &ps) == SG_ERR_NOMEM) {
        free(job.vals);
        free(sorted);
        return SG_ERR_NOMEM;
    }
    job.ps = ps;
    pthread_mutex_init(&job.lock, NULL);
    int nt = sg__thread_count(d->opts->threads);
    if ((size_t)nt > reps) nt = (int)reps;
    pthread_t th[256];
    int started = 0;
    for (int i = 0; i < nt && i < 256; i++)
        if (pthread_create(&th[i], NULL, perm_worker, &job) == 0) started++;
        else break;
    if (started == 0) perm_worker(&job);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&job.lock);
    sg__psampler_free(ps);
    if (job.oom) {
        free(job.vals);
        free(sorted);
        return sg__nomem(ctx);
    }
    for (size_t t = 0; t < A->nt; t++) {
        sg_access_type *T = &A->t[t];
        size_t k = 0;
        sg_ksum s = {0, 0};
        for (size_t r = 0; r < reps; r++) {
            double v = job.vals[r * A->nt + t];
            if (isfinite(v)) {
                sorted[k++] = v;
                sg__ksum_add(&s, v);
            }
        }
        if (k < 2 || !isfinite(T->gap_m)) continue;
        double mean = sg__ksum_get(&s) / (double)k, dev = fabs(T->gap_m - mean);
        sg_ksum ss = {0, 0};
        size_t extreme = 0;
        for (size_t r = 0; r < k; r++) {
            sg__ksum_add(&ss, (sorted[r] - mean) * (sorted[r] - mean));
            if (fabs(sorted[r] - mean) >= dev * (1 - 1e-12)) extreme++;
        }
        T->null_mean = mean;
        T->null_sd = sqrt(sg__ksum_get(&ss) / (double)(k - 1));
        T->p_value = T->null_sd > 0 ? (double)(1 + extreme) / (double)(k + 1) : NAN;
    }
    free(job.vals);
    free(sorted);
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

/* ------------------------------------------------------------------ */
/* summary                                                              */

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *src_json(const sg_src_info *s) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", jstr(s->path));
    json_object_object_add(o, "layer", jstr(s->layer));
    json_object_object_add(o, "driver", jstr(s->driver));
    if (s->where) json_object_object_add(o, "where", jstr(s->where));
    json_object_object_add(o, "crs", jstr(s->crs_id ? s->crs_id : s->crs_name));
    json_object_object_add(o, "features", json_object_new_int64(s->features));
    if (s->sha256[0]) json_object_object_add(o, "sha256", jstr(s->sha256));
    return o;
}

static json_object *group_json(const struct sg_access *A, const sg_access_group *g) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "population", jnum(g->pop));
    json_object_object_add(o, "mean_m", jnum(g->mean));
    json_object_object_add(o, "median_m", jnum(g->median));
    json_object *b = json_object_new_object();
    for (size_t r = 0; r < A->nradius; r++) {
        char key[32];
        snprintf(key, sizeof key, "%.0f", A->radius[r]);
        json_object_object_add(b, key, jnum(g->beyond[r]));
    }
    json_object_object_add(o, "share_beyond_m", b);
    json_object_object_add(o, "unreachable_residents", jnum(g->unreachable));
    json_object_object_add(o, "fca2_mean", jnum(g->fca2));
    json_object_object_add(o, "e2sfca_mean", jnum(g->e2sfca));
    if (A->has_time) json_object_object_add(o, "time_mean_min", jnum(g->time_mean));
    return o;
}

static const char *decay_formula(sg_decay k) {
    switch (k) {
    case SG_DECAY_GAUSSIAN: return "w(d) = exp(-d^2 / (2 h^2)) for d <= d0, else 0";
    case SG_DECAY_LINEAR: return "w(d) = 1 - d / d0 for d <= d0, else 0";
    case SG_DECAY_STEP: return "w(d) = 1 for d <= d0, else 0 (e2sfca = fca2)";
    case SG_DECAY_EXP: return "w(d) = exp(-d / h) for d <= d0, else 0";
    }
    return "";
}

void *sg__access_json(const struct sg_access *A) {
    json_object *root = json_object_new_object();
    json_object *s = json_object_new_object();
    json_object_object_add(s, "distance", jstr(A->mode));
    json_object_object_add(s, "origins", jstr(A->from_points ? "population points (district values: population-"
                                                               "weighted means over their points)"
                                                             : "GEOS point on surface of each district"));
    json_object_object_add(s, "origin_count", json_object_new_int64((int64_t)A->origins));
    if (A->from_points) {
        json_object *p = src_json(&A->pop);
        json_object_object_add(p, "field", jstr(A->pop_field));
        json_object_object_add(p, "points_outside_districts", json_object_new_int64((int64_t)A->points_outside));
        json_object_object_add(p, "districts_without_points", json_object_new_int64((int64_t)A->fallback));
        json_object_object_add(s, "population_points", p);
    }
    json_object *ra = json_object_new_array();
    for (size_t r = 0; r < A->nradius; r++) json_object_array_add(ra, jnum(A->radius[r]));
    json_object_object_add(s, "radius_m", ra);
    json_object_object_add(s, "catchment_m", jnum(A->catchment));
    json_object_object_add(s, "decay", jstr(sg__decay_name(A->decay)));
    json_object_object_add(s, "decay_formula", jstr(decay_formula(A->decay)));
    if (A->decay == SG_DECAY_GAUSSIAN || A->decay == SG_DECAY_EXP)
        json_object_object_add(s, "bandwidth_m", jnum(A->bandwidth));
    json_object_object_add(s, "gap_weights", jstr("nearest distance weighted by each group's residents "
                                                  "(x_i for migrants, t_i - x_i for the rest) over the districts "
                                                  "used in the indices"));
    json_object_object_add(s, "permutations", json_object_new_int(A->permutations));
    if (A->has_network) {
        const sg_net_info *ni = &A->net;
        json_object *n = src_json(&ni->src);
        json_object_object_add(n, "speed_field", jstr(ni->speed_field));
        json_object_object_add(n, "oneway_field", jstr(ni->oneway_field));
        json_object_object_add(n, "lines", json_object_new_int64(ni->lines));
        json_object_object_add(n, "edges", json_object_new_int64((int64_t)ni->edges));
        json_object_object_add(n, "nodes", json_object_new_int64((int64_t)ni->nodes));
        json_object_object_add(n, "length_km", jnum(ni->length_km));
        json_object_object_add(n, "components", json_object_new_int64((int64_t)ni->components));
        json_object_object_add(n, "largest_component_length_share", jnum(ni->largest_share));
        json_object_object_add(n, "oneway_edges", json_object_new_int64((int64_t)ni->oneway_edges));
        json_object_object_add(n, "max_snap_m", jnum(A->max_snap));
        json_object_object_add(n, "origins_beyond_max_snap", json_object_new_int64((int64_t)ni->origins_far));
        if (A->has_time) json_object_object_add(n, "walk_speed_kmh", jnum(SG_WALK_SPEED_KMH));
        json_object_object_add(s, "network", n);
    }
    json_object_object_add(root, "settings", s);
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        json_object *o = json_object_new_object();
        json_object *in = src_json(&T->src);
        json_object_object_add(in, "capacity_field", jstr(T->capacity));
        json_object_object_add(in, "locations", json_object_new_int64((int64_t)T->locations));
        json_object_object_add(in, "total_capacity", jnum(T->total_capacity));
        json_object_object_add(in, "polygons", json_object_new_int64((int64_t)T->npoly));
        json_object_object_add(in, "multipoints_split", json_object_new_int64((int64_t)T->nsplit));
        json_object_object_add(in, "skipped_without_geometry", json_object_new_int64((int64_t)T->nskipped));
        json_object_object_add(in, "idle_locations", json_object_new_int64((int64_t)T->idle));
        if (A->has_network) json_object_object_add(in, "off_network", json_object_new_int64((int64_t)T->off_network));
        json_object_object_add(o, "input", in);
        json_object_object_add(o, "migrant", group_json(A, &T->g[0]));
        json_object_object_add(o, "rest", group_json(A, &T->g[1]));
        json_object_object_add(o, "gap_ratio", jnum(T->gap_ratio));
        json_object_object_add(o, "gap_m", jnum(T->gap_m));
        json_object_object_add(o, "e2sfca_ratio",
                               jnum(T->g[1].e2sfca > 0 ? T->g[0].e2sfca / T->g[1].e2sfca : NAN));
        if (isfinite(T->null_mean)) {
            json_object_object_add(o, "p_value", jnum(T->p_value));
            json_object_object_add(o, "null_mean", jnum(T->null_mean));
            json_object_object_add(o, "null_sd", jnum(T->null_sd));
        }
        json_object_object_add(o, "correlation_share_distance", jnum(T->corr_dist));
        json_object_object_add(o, "correlation_share_e2sfca", jnum(T->corr_e2sfca));
        json_object *dd = json_object_new_object();
        json_object_object_add(dd, "with_distance", json_object_new_int64((int64_t)T->districts_with_value));
        json_object_object_add(dd, "unreachable", json_object_new_int64((int64_t)T->unreachable));
        json_object *ids = json_object_new_array();
        for (size_t i = 0; i < T->n_unreachable_ids; i++) json_object_array_add(ids, jstr(T->unreachable_ids[i]));
        json_object_object_add(dd, "unreachable_first_ids", ids);
        json_object_object_add(o, "districts", dd);
        json_object_object_add(root, T->type, o);
    }
    return root;
}

char *sg__access_text(const struct sg_access *A) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "  access      %s distances from %s; catchment %g m, %s decay\n", A->mode,
            A->from_points ? "population points" : "each district's point on surface", A->catchment,
            sg__decay_name(A->decay));
    int perm = A->permutations > 0;
    fprintf(m, "    %-20s %8s %11s %11s %9s %8s%s %11s\n", "service", "n", "migrants m", "rest m", "ratio",
            "gap m", perm ? "        p" : "", "e2sfca m/r");
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        fprintf(m, "    %-20s %8zu %11.0f %11.0f %9.3f %+8.0f", T->type, T->locations, T->g[0].mean, T->g[1].mean,
                T->gap_ratio, T->gap_m);
        if (perm) fprintf(m, " %8.3f", T->p_value);
        fprintf(m, " %11.3f", T->g[1].e2sfca > 0 ? T->g[0].e2sfca / T->g[1].e2sfca : NAN);
        if (T->unreachable) fprintf(m, "   (%zu districts unreachable)", T->unreachable);
        fputc('\n', m);
    }
    fclose(m);
    return buf;
}
