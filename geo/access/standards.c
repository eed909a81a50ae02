/* Access standards and travel times (issue 17).
 *
 * --standard TYPE=VALUE (m, km or min): a district is beyond the standard when
 * its nearest service of the type is farther than VALUE (dist_TYPE_m for m
 * and km; time_TYPE_min for min). The column beyond_TYPE is 1 beyond, 0 within,
 * null without a value. City level, over the districts used in the indices
 * with a value: the resident-weighted share of migrants and of the rest
 * beyond (Σ g_i b_i / Σ g_i), their difference, and with --permutations its
 * p-value from the same replicate cities as the distance gap (access.c).
 *
 * --travel-times TYPE=FILE: time_TYPE_min from an origin-destination table
 * (read/travel_times.c), the district's least minutes, at every origin of the
 * district. --service-id names the field the table's service ids are in
 * (default: the feature id), --tt-layer, --tt-origin, --tt-destination and
 * --tt-minutes the table's layer and columns. A minute standard needs a time:
 * the table or --network with --network-speed.
 *
 * --reach TYPE=15min[,30min] and --time-catchment TYPE=30min: counts
 * (count_TYPE_15min) and the floating catchments (fca2_/e2sfca_TYPE_per1000)
 * of a type by the minutes of its --travel-times table, its rows being the
 * pairs; a district and a service with no row are outside every reach and
 * catchment (sg__access_tt_fca). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access_internal.h"

static const char *arg_value(const char *item, const char *name) {
    size_t n = strlen(name);
    return strncmp(item, name, n) == 0 && item[n] == '=' ? item + n + 1 : NULL;
}

/* The type named by the text before '=' in v, or a usage error with a did-you-mean. */
static sg_status find_type(sg_ctx *ctx, const struct sg_access_opts *a, const char *opt, const char *v,
                           const char *form, size_t *out) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "%s needs %s, not '%s'", opt, form, v);
    size_t len = (size_t)(eq - v);
    for (size_t j = 0; j < a->nsvc; j++)
        if (strlen(a->svc[j].type) == len && strncmp(a->svc[j].type, v, len) == 0) {
            *out = j;
            return SG_OK;
        }
    char *tn = sg__strndup(v, len);
    const char *names[SG_ACCESS_MAX_TYPES];
    for (size_t j = 0; j < a->nsvc && j < SG_ACCESS_MAX_TYPES; j++) names[j] = a->svc[j].type;
    const char *near = tn ? sg__suggest(tn, names, a->nsvc) : NULL;
    sg_status st;
    if (near)
        st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "%s %s: '%s' is not a --service type (did you "
                       "mean %s?)", opt, v, tn, near);
    else
        st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "%s %s: '%s' is not a --service type",
                       opt, v, tn ? tn : "");
    free(tn);
    return st;
}

/* "1000m", "1 km", "10min" -> the standard. */
static sg_status parse_standard(sg_ctx *ctx, const char *v, const char *text, sg_standard *s) {
    size_t len = strlen(text), u = len;
    while (u > 0 && ((text[u - 1] >= 'a' && text[u - 1] <= 'z') || (text[u - 1] >= 'A' && text[u - 1] <= 'Z'))) u--;
    const char *unit = text + u;
    if (strcmp(unit, "m") != 0 && strcmp(unit, "km") != 0 && strcmp(unit, "min") != 0)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "--standard %s: the value needs a unit, m, km or min (e.g. school=1000m, kita=0.5km, "
                         "gp=10min), not '%s'", v, unit);
    char *num = sg__strndup(text, u);
    if (!num) return sg__nomem(ctx);
    const char *why = NULL;
    double x;
    sg_numparse r = sg__parse_number(num, &x, &why);
    free(num);
    int minutes = strcmp(unit, "min") == 0;
    double max = minutes ? 1440 : strcmp(unit, "km") == 0 ? 1000 : 1e6;
    if (r != SG_NUM_OK || !(x > 0) || x > max)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "--standard %s: the value must be a number > 0 and <= %g %s", v, max, unit);
    s->set = 1;
    s->value = x;
    snprintf(s->unit, sizeof s->unit, "%s", unit);
    s->minutes = minutes;
    s->limit = strcmp(unit, "km") == 0 ? x * 1000 : x;
    return SG_OK;
}

/* "15min" -> 15 for --reach and --time-catchment: the unit must be min. */
static sg_status parse_minutes(sg_ctx *ctx, const char *opt, const char *v, const char *text, int whole,
                               double *out) {
    size_t len = strlen(text), u = len;
    while (u > 0 && ((text[u - 1] >= 'a' && text[u - 1] <= 'z') || (text[u - 1] >= 'A' && text[u - 1] <= 'Z'))) u--;
    const char *unit = text + u;
    if (strcmp(unit, "m") == 0 || strcmp(unit, "km") == 0)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "%s %s: %s is in minutes of --travel-times (e.g. %s); in metres it is %s for every type",
                         opt, v, opt, strcmp(opt, "--reach") == 0 ? "gp=15min" : "gp=30min",
                         strcmp(opt, "--reach") == 0 ? "--radius M" : "--catchment M");
    if (strcmp(unit, "min") != 0)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "%s %s: the value needs its unit min (e.g. %s), not '%s'", opt, v,
                         strcmp(opt, "--reach") == 0 ? "gp=15min or gp=10min,20min" : "gp=30min", unit);
    char *num = sg__strndup(text, u);
    if (!num) return sg__nomem(ctx);
    const char *why = NULL;
    sg_numparse r = sg__parse_number(num, out, &why);
    free(num);
    if (r != SG_NUM_OK || !(*out > 0) || *out > 1440)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "%s %s: the value must be a number of minutes > 0 and <= 1440", opt, v);
    if (whole && *out != floor(*out))
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "%s %s: whole minutes (they name the field count_TYPE_Nmin), not '%s'", opt, v, text);
    return SG_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* --reach TYPE=15min[,30min] or --time-catchment TYPE=30min into a->time[j]. */
static sg_status time_arg(sg_ctx *ctx, struct sg_access_opts *a, const char *opt, const char *v) {
    size_t j;
    sg_status st = find_type(ctx, a, opt, v, strcmp(opt, "--reach") == 0 ? "TYPE=MINUTES (e.g. gp=15min)"
                                                                           : "TYPE=MINUTES (e.g. gp=30min)", &j);
    if (st != SG_OK) return st;
    if (!a->time && !(a->time = calloc(a->nsvc, sizeof *a->time))) return sg__nomem(ctx);
    sg_time_opts *t = &a->time[j];
    const char *p = strchr(v, '=') + 1;
    if (strcmp(opt, "--time-catchment") == 0) {
        if (t->catchment > 0)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--time-catchment for '%s' given twice",
                             a->svc[j].type);
        return parse_minutes(ctx, opt, v, p, 0, &t->catchment);
    }
    for (;;) {
        const char *c = strchr(p, ',');
        char *raw = sg__strndup(p, c ? (size_t)(c - p) : strlen(p));
        if (!raw) return sg__nomem(ctx);
        double m = 0;
        st = parse_minutes(ctx, opt, v, raw, 1, &m);
        free(raw);
        if (st != SG_OK) return st;
        double *nr = sg__reallocarray(t->reach, t->nreach + 1, sizeof *nr);
        if (!nr) return sg__nomem(ctx);
        t->reach = nr;
        t->reach[t->nreach++] = m;
        if (!c) break;
        p = c + 1;
    }
    qsort(t->reach, t->nreach, sizeof *t->reach, cmp_double); /* ascending, distinct */
    size_t k = 0;
    for (size_t i = 0; i < t->nreach; i++)
        if (k == 0 || t->reach[i] != t->reach[k - 1]) t->reach[k++] = t->reach[i];
    t->nreach = k;
    return SG_OK;
}

static sg_status set_once(sg_ctx *ctx, char **dst, const char *opt, const char *type, const char *val) {
    if (*dst)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s given twice for '%s'", opt, type);
    if (!*val) return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s: empty value", opt);
    *dst = sg__strdup(val);
    return *dst ? SG_OK : sg__nomem(ctx);
}

int sg__access_std_arg(sg_ctx *ctx, struct sg_access_opts *a, const char *it, size_t cur, size_t *tt_cur,
                       sg_status *st) {
    const char *v;
    size_t j;
    if ((v = arg_value(it, "--standard"))) {
        *st = find_type(ctx, a, "--standard", v, "TYPE=VALUE with a unit (e.g. school=1000m, gp=10min)", &j);
        if (*st != SG_OK) return 1;
        if (!a->std && !(a->std = calloc(a->nsvc, sizeof *a->std))) {
            *st = sg__nomem(ctx);
            return 1;
        }
        if (a->std[j].set) {
            *st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--standard for '%s' given twice",
                            a->svc[j].type);
            return 1;
        }
        *st = parse_standard(ctx, v, strchr(v, '=') + 1, &a->std[j]);
        if (*st == SG_OK) a->nstd++;
        return 1;
    }
    if ((v = arg_value(it, "--reach")) || (v = arg_value(it, "--time-catchment"))) {
        *st = time_arg(ctx, a, arg_value(it, "--reach") ? "--reach" : "--time-catchment", v);
        return 1;
    }
    if ((v = arg_value(it, "--service-id"))) {
        *st = cur == (size_t)-1 ? sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                                            "option --service-id must follow the --service it applies to")
                                : set_once(ctx, &a->svc[cur].id_field, "--service-id", a->svc[cur].type, v);
        return 1;
    }
    if ((v = arg_value(it, "--travel-times"))) {
        *st = find_type(ctx, a, "--travel-times", v, "TYPE=FILE (e.g. gp=travel_times.csv)", &j);
        if (*st == SG_OK) *st = set_once(ctx, &a->svc[j].tt_path, "--travel-times", a->svc[j].type, strchr(v, '=') + 1);
        if (*st == SG_OK) *tt_cur = j;
        return 1;
    }
    static const char *const tt_opts[] = {"--tt-layer", "--tt-origin", "--tt-destination", "--tt-minutes"};
    for (int k = 0; k < 4; k++) {
        if (!(v = arg_value(it, tt_opts[k]))) continue;
        if (*tt_cur == (size_t)-1) {
            *st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                            "option %s must follow the --travel-times it applies to", tt_opts[k]);
            return 1;
        }
        sg_service_spec *s = &a->svc[*tt_cur];
        char **dst = k == 0 ? &s->tt_layer : k == 1 ? &s->tt_origin : k == 2 ? &s->tt_dest : &s->tt_minutes;
        *st = set_once(ctx, dst, tt_opts[k], s->type, v);
        return 1;
    }
    return 0;
}

sg_status sg__access_std_check(sg_ctx *ctx, const sg_options *o, const struct sg_access_opts *a) {
    for (size_t j = 0; a->time && j < a->nsvc; j++) {
        const sg_time_opts *t = &a->time[j];
        if ((t->nreach || t->catchment > 0) && !a->svc[j].tt_path)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "%s for '%s' counts by minutes, but there is no travel-time table for '%s': give "
                             "--travel-times %s=FILE (by metres: %s)",
                             t->nreach ? "--reach" : "--time-catchment", a->svc[j].type, a->svc[j].type,
                             a->svc[j].type, t->nreach ? "--radius M" : "--catchment M");
    }
    for (size_t j = 0; a->std && j < a->nsvc; j++) {
        if (!a->std[j].set || !a->std[j].minutes || a->svc[j].tt_path) continue;
        if (o->network && o->network_speed) continue;
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "--standard %s=%g%s is in minutes, but there is no travel time for '%s': give --travel-times "
                         "%s=FILE, or --network with --network-speed (or a standard in m or km)",
                         a->svc[j].type, a->std[j].value, a->std[j].unit, a->svc[j].type, a->svc[j].type);
    }
    return SG_OK;
}

sg_status sg__access_tt(sg_ctx *ctx, const sg_data *d, const sg_service_spec *spec, const sg_origins *og,
                        const sg_services *s, sg_access_type *T, double **time, sg_tt_rows *rows) {
    *time = NULL;
    const sg_city *c = d->city;
    char **ids = calloc(s->n ? s->n : 1, sizeof *ids);
    double *dm = malloc((c->n ? c->n : 1) * sizeof *dm);
    sg_status st = ids && dm ? SG_OK : sg__nomem(ctx);
    for (size_t j = 0; st == SG_OK && j < s->n; j++) {
        ids[j] = s->sid ? sg__strdup(s->sid[j]) : sg__asprintf("%lld", s->fid[j]);
        if (!ids[j]) st = sg__nomem(ctx);
    }
    if (st == SG_OK) st = sg__travel_times_read_rows(ctx, spec, c, ids, s->n, dm, &T->tt, rows);
    T->has_tt = st == SG_OK;
    if (st == SG_OK) {
        double *t = malloc((og->n ? og->n : 1) * sizeof *t);
        if (!t) st = sg__nomem(ctx);
        for (size_t i = 0; t && i < c->n; i++)
            for (size_t k = og->off[i]; k < og->off[i + 1]; k++) t[k] = dm[i];
        *time = t;
    }
    for (size_t j = 0; ids && j < s->n; j++) free(ids[j]);
    free(ids);
    free(dm);
    return st;
}

sg_status sg__access_tt_fca(sg_ctx *ctx, const sg_city *c, const sg_origins *og, const sg_services *s,
                            const struct sg_access_opts *ao, const sg_time_opts *to, const sg_tt_rows *rows,
                            sg_access_type *T, double *count, double *fca2, double *e2) {
    /* The table is per district: every origin of a district has its rows, so
     * the catchments are computed over districts (the district's residents
     * as its demand) and each origin gets its district's values. */
    size_t n = c->n, nn = n ? n : 1, nr = to->nreach;
    sg_pairs p = {n, rows->off, rows->loc, rows->min};
    double *dem = calloc(nn, sizeof *dem), *cd = malloc(nn * (nr ? nr : 1) * sizeof *cd);
    double *f = malloc(nn * sizeof *f), *e = malloc(nn * sizeof *e);
    sg_supply sup;
    memset(&sup, 0, sizeof sup);
    sg_status st = dem && cd && f && e ? SG_OK : sg__nomem(ctx);
    for (size_t i = 0; st == SG_OK && i < n; i++)
        for (size_t k = og->off[i]; k < og->off[i + 1]; k++) dem[i] += og->demand[k];
    double d0 = to->catchment > 0 ? to->catchment : 0; /* no minute catchment: only the counts are used */
    sg_fca_params fp = {d0, d0 / 2, ao->decay, to->reach, nr};
    if (st == SG_OK) st = sg__fca_supply_p(ctx, &p, dem, s, &fp, &sup);
    if (st == SG_OK) {
        sg__fca_access_p(&p, &sup, &fp, cd, f, e);
        for (size_t i = 0; i < n; i++)
            for (size_t k = og->off[i]; k < og->off[i + 1]; k++) {
                for (size_t r = 0; r < nr; r++) count[r * og->n + k] = cd[r * n + i];
                if (d0 > 0) {
                    fca2[k] = f[i];
                    e2[k] = e[i];
                }
            }
        T->time_catchment = d0;
        T->reach = to->reach;
        T->nreach = nr;
        if (d0 > 0) { /* the services layer's R_j and residents within the catchment: by minutes */
            free(T->supply.fca2);
            free(T->supply.e2sfca);
            free(T->supply.pop_catchment);
            T->supply.fca2 = sup.fca2;
            T->supply.e2sfca = sup.e2sfca;
            T->supply.pop_catchment = sup.pop_catchment;
            T->supply.idle = T->idle = sup.idle;
            sup.fca2 = sup.e2sfca = sup.pop_catchment = NULL;
        }
    }
    sg__supply_free(&sup);
    free(dem);
    free(cd);
    free(f);
    free(e);
    return st;
}

sg_status sg__access_beyond(sg_ctx *ctx, const sg_data *d, sg_result *res, const sg_standard *std,
                            sg_access_type *T) {
    const sg_city *c = d->city;
    T->std = *std;
    T->std_p = T->std_null_mean = T->std_null_sd = NAN;
    char name[96];
    snprintf(name, sizeof name, std->minutes ? "time_%s_min" : "dist_%s_m", T->type);
    const sg_column *vc = sg__res_col(res, name);
    if (!vc || !vc->num)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "standard: no %s column", name);
    const double *v = vc->num;
    snprintf(name, sizeof name, "beyond_%s", T->type);
    double *col = sg__result_column(res, name);
    T->beyond = malloc((c->n ? c->n : 1) * sizeof *T->beyond);
    T->bu = malloc((d->n ? d->n : 1) * sizeof *T->bu);
    if (!col || !T->beyond || !T->bu) return sg__nomem(ctx);
    for (size_t i = 0; i < c->n; i++) {
        col[i] = T->beyond[i] = isfinite(v[i]) ? (v[i] > std->limit ? 1.0 : 0.0) : NAN;
        T->n_beyond += col[i] == 1;
        T->n_within += col[i] == 0;
    }
    sg_ksum b[2] = {{0, 0}, {0, 0}}, w[2] = {{0, 0}, {0, 0}};
    for (size_t u = 0; u < d->n; u++) {
        T->bu[u] = T->beyond[d->index[u]];
        if (!isfinite(T->bu[u])) continue;
        double G[2] = {d->x[u], fmax(0, d->t[u] - d->x[u])};
        for (int g = 0; g < 2; g++) {
            sg__ksum_add(&b[g], G[g] * T->bu[u]);
            sg__ksum_add(&w[g], G[g]);
        }
    }
    for (int g = 0; g < 2; g++)
        T->std_share[g] = sg__ksum_get(&w[g]) > 0 ? sg__ksum_get(&b[g]) / sg__ksum_get(&w[g]) : NAN;
    T->std_gap = T->std_share[0] - T->std_share[1];
    return SG_OK;
}

double sg__std_gap_of(const sg_data *d, const sg_access_type *T, const double *x, const double *t) {
    double s[2] = {0, 0}, w[2] = {0, 0};
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(T->bu[i])) continue;
        double g0 = x[i], g1 = (t ? t[i] : round(d->t[i])) - x[i];
        s[0] += g0 * T->bu[i];
        w[0] += g0;
        s[1] += g1 * T->bu[i];
        w[1] += g1;
    }
    return w[0] > 0 && w[1] > 0 ? s[0] / w[0] - s[1] / w[1] : NAN;
}
