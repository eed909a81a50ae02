/* The access options (issue 5): --service TYPE=SRC and the options that
 * follow it (--service-layer, --service-where, --capacity), --radius,
 * --catchment, --decay, --access-bandwidth, and the population-point and
 * road-network options, checked into struct sg_access_opts
 * (analyze/options.c keeps the arguments in order and calls
 * sg__access_options from its check()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access_internal.h"

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
        free(a->svc[i].id_field);
        free(a->svc[i].tt_path);
        free(a->svc[i].tt_layer);
        free(a->svc[i].tt_origin);
        free(a->svc[i].tt_dest);
        free(a->svc[i].tt_minutes);
    }
    free(a->svc);
    free(a->std);
    for (size_t i = 0; a->time && i < a->nsvc; i++) free(a->time[i].reach);
    free(a->time);
    free(a->radius);
    free(a);
}

static const char *const seq_names[] = {"--service", "--service-layer", "--service-where", "--capacity",
                                        "--radius", "--service-id", "--standard", "--travel-times", "--tt-layer",
                                        "--tt-origin", "--tt-destination", "--tt-minutes", "--reach",
                                        "--time-catchment"};
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
    size_t cur = (size_t)-1, seen = 0, tt_cur = (size_t)-1;
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
        } else if (sg__access_std_arg(ctx, a, it, cur, &tt_cur, &st)) {
            continue; /* --standard, --service-id, --travel-times and the --tt-* options (standards.c) */
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
    if (st == SG_OK) st = sg__access_std_check(ctx, o, a);
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
