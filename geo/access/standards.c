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
 * the table or --network with --network-speed. */
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
                        const sg_services *s, sg_access_type *T, double **time) {
    *time = NULL;
    const sg_city *c = d->city;
    char **ids = calloc(s->n ? s->n : 1, sizeof *ids);
    double *dm = malloc((c->n ? c->n : 1) * sizeof *dm);
    sg_status st = ids && dm ? SG_OK : sg__nomem(ctx);
    for (size_t j = 0; st == SG_OK && j < s->n; j++) {
        ids[j] = s->sid ? sg__strdup(s->sid[j]) : sg__asprintf("%lld", s->fid[j]);
        if (!ids[j]) st = sg__nomem(ctx);
    }
    if (st == SG_OK) st = sg__travel_times_read(ctx, spec, c, ids, s->n, dm, &T->tt);
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
