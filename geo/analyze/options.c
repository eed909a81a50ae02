/* Command-line options of `seggap analyze`, parsed into sg_options by one table (no getopt: it keeps global state). */
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"


typedef struct opt_def {
    const char *name;
    sg_opt_kind kind;
    size_t offset; /* of the member in struct sg_options */
} opt_def;

#define O(name, kind, member) {name, kind, offsetof(struct sg_options, member)}
static const opt_def opt_table[] = {
    O("--districts", SG_OPT_STR, districts), O("--layer", SG_OPT_STR, layer),
    O("--sql", SG_OPT_STR, sql),
    O("--id", SG_OPT_STR, id_field), O("--name", SG_OPT_STR, name_field),
    O("--total", SG_OPT_STR, total_field), O("--group", SG_OPT_STR, group_field),
    O("--group-share", SG_OPT_STR, share_field),
    O("--share-scale", SG_OPT_STR, share_scale_text),
    O("--groups", SG_OPT_LIST, groups),
    O("--no-remainder", SG_OPT_FLAG, no_remainder),
    O("--min-joined", SG_OPT_DOUBLE, min_joined),
    O("--permutations", SG_OPT_INT, permutations),
    O("--null", SG_OPT_STR, null_text),
    O("--bootstrap", SG_OPT_INT, bootstrap),
    O("--seed", SG_OPT_DOUBLE, seed),
    O("--threads", SG_OPT_INT, threads),
    O("--baseline", SG_OPT_STR, baseline),
    O("--by", SG_OPT_STR, by_field),
    O("--indices", SG_OPT_LIST, indices),
    O("--weights", SG_OPT_STR, weights),
    O("--local-permutations", SG_OPT_INT, local_permutations),
    O("--alpha", SG_OPT_DOUBLE, alpha), O("--p-adjust", SG_OPT_STR, p_adjust_text),
    O("--apportion", SG_OPT_STR, apportion_text),
    O("--centre", SG_OPT_STR, centre_text),
    O("--centre-district", SG_OPT_STR, centre_district),
    O("--decay-bandwidth", SG_OPT_STR, decay_bandwidth_text),
    O("--distance-kernel", SG_OPT_STR, distance_kernel_text),
    O("--scales", SG_OPT_STR, scales_text),
    O("--scale-kernel", SG_OPT_STR, scale_kernel_text),
    O("--scale-unrounded", SG_OPT_FLAG, scale_unrounded),
    O("--input-crs", SG_OPT_STR, input_crs),
    O("--encoding", SG_OPT_STR, encoding),
    O("--work-crs", SG_OPT_STR, work_crs),
    O("--out", SG_OPT_STR, out_dir),
    O("--out-pg", SG_OPT_STR, out_pg),
    O("--out-pg-prefix", SG_OPT_STR, out_pg_prefix), O("--title", SG_OPT_STR, title),
    O("--source-note", SG_OPT_STR, source_note),
    O("--lq-threshold", SG_OPT_DOUBLE, lq_threshold),
    O("--housing", SG_OPT_STR, housing),
    O("--housing-layer", SG_OPT_STR, housing_layer),
    O("--housing-units", SG_OPT_STR, housing_units),
    O("--social-housing-field", SG_OPT_STR, social_housing_field),
    O("--overcrowding-field", SG_OPT_STR, overcrowding_field),
    O("--overcrowding-scale", SG_OPT_STR, overcrowding_scale_text),
    O("--housing-indicator", SG_OPT_MULTI, housing_indicator_args),
    O("--housing-margin", SG_OPT_STR, housing_margin_text),
    O("--format", SG_OPT_STR, format),
    O("--layers", SG_OPT_LIST, layers_list),
    O("--catchment", SG_OPT_STR, catchment_text),
    O("--decay", SG_OPT_STR, decay_text),
    O("--access-bandwidth", SG_OPT_STR, access_bandwidth_text),
    O("--service-point", SG_OPT_FLAG, service_point),
    O("--geodesic", SG_OPT_FLAG, geodesic),
    O("--population-points", SG_OPT_STR, population_points),
    O("--population-field", SG_OPT_STR, population_field),
    O("--population-layer", SG_OPT_STR, population_layer),
    O("--network", SG_OPT_STR, network),
    O("--network-layer", SG_OPT_STR, network_layer),
    O("--network-speed", SG_OPT_STR, network_speed),
    O("--network-oneway", SG_OPT_STR, network_oneway),
    O("--network-max-snap", SG_OPT_STR, network_max_snap_text),
    O("--snap-tolerance", SG_OPT_STR, snap_tolerance_text),
    O("--max-vertices", SG_OPT_STR, max_vertices_text),
    O("--strict", SG_OPT_FLAG, strict),
    O("--quiet", SG_OPT_FLAG, quiet),
    O("--json", SG_OPT_FLAG, json),
    O("--timings", SG_OPT_FLAG, timings),
    O("--progress", SG_OPT_FLAG, progress),
};
#undef O
#define N_OPTS (sizeof opt_table / sizeof opt_table[0])

int sg_options_quiet(const sg_options *o) { return o ? o->quiet : 0; }
int sg_options_json(const sg_options *o) { return o ? o->json : 0; }
int sg_options_timings(const sg_options *o) { return o ? o->timings : 0; }
int sg_options_progress(const sg_options *o) { return o ? o->progress : 0; }

int sg__progress_mode(const char *word) {
    if (strcmp(word, "plain") == 0) return SG_PROGRESS_PLAIN;
    if (strcmp(word, "json") == 0) return SG_PROGRESS_JSON;
    return -1;
}

void sg_options_set_progress(sg_options *o, sg_progress_fn fn, void *user) {
    if (!o) return;
    o->progress_fn = fn;
    o->progress_user = fn ? user : NULL;
}

static void list_free(sg_strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void sg_options_free(sg_options *o) {
    if (!o) return;
    for (size_t k = 0; k < N_OPTS; k++) {
        void *m = (char *)o + opt_table[k].offset;
        if (opt_table[k].kind == SG_OPT_STR) free(*(char **)m);
        else if (opt_table[k].kind == SG_OPT_LIST || opt_table[k].kind == SG_OPT_MULTI) list_free(m);
    }
    sg__options_housing_free(o);
    for (size_t i = 0; i < o->ntables; i++) {
        free(o->tables[i].path);
        free(o->tables[i].key);
        free(o->tables[i].layer);
        free(o->tables[i].join);
    }
    free(o->tables);
    free(o->scales);
    list_free(&o->access_args);
    sg__access_opts_free(o->access);
    free(o);
}

static sg_status usage(sg_ctx *ctx, const char *fmt, const char *arg) {
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, fmt, arg);
}

/* Sets *dst once; a repeated single-valued option is an error. */
static sg_status set_once(sg_ctx *ctx, char **dst, const char *opt, const char *val) {
    if (*dst) return usage(ctx, "option %s given twice", opt);
    if (!*val) return usage(ctx, "option %s needs a non-empty value", opt);
    *dst = sg__strdup(val);
    return *dst ? SG_OK : sg__nomem(ctx);
}

/* "A, B,C" -> {"A", "B", "C"}; empty items are an error. */
static sg_status parse_list(sg_ctx *ctx, sg_strlist *l, const char *opt, const char *val) {
    if (l->n) return usage(ctx, "option %s given twice", opt);
    const char *p = val;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char *raw = sg__strndup(p, len), *item = raw ? sg__trim_dup(raw) : NULL;
        free(raw);
        if (!item) return sg__nomem(ctx);
        if (!*item) {
            free(item);
            return usage(ctx, "option %s has an empty item in its list", opt);
        }
        char **ni = sg__reallocarray(l->items, l->n + 1, sizeof *ni);
        if (!ni) {
            free(item);
            return sg__nomem(ctx);
        }
        l->items = ni;
        l->items[l->n++] = item;
        if (!c) break;
        p = c + 1;
    }
    return SG_OK;
}

/* layer: 1 for arguments from a config file, 2 for the command line. A value
 * set by a lower layer is replaced; twice in one layer is an error. */
static sg_status set_value(sg_ctx *ctx, sg_options *o, const opt_def *d, unsigned char *seen, const char *val,
                           unsigned char layer) {
    void *m = (char *)o + d->offset;
    if (*seen && *seen < layer) {
        if (d->kind == SG_OPT_STR) {
            free(*(char **)m);
            *(char **)m = NULL;
        } else if (d->kind == SG_OPT_LIST || d->kind == SG_OPT_MULTI) {
            list_free(m);
        }
    } else if (*seen && d->kind != SG_OPT_STR && d->kind != SG_OPT_LIST && d->kind != SG_OPT_MULTI) {
        return usage(ctx, "option %s given twice", d->name);
    }
    *seen = layer;
    switch (d->kind) {
    case SG_OPT_STR:
        return set_once(ctx, (char **)m, d->name, val);
    case SG_OPT_LIST:
        return parse_list(ctx, m, d->name, val);
    case SG_OPT_MULTI:
        return sg__strlist_push(ctx, m, d->name, val);
    case SG_OPT_DOUBLE: {
        double v;
        const char *why;
        if (sg__parse_number(val, &v, &why) != SG_NUM_OK)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s: '%s' is %s", d->name, val,
                             why);
        *(double *)m = v;
        return SG_OK;
    }
    case SG_OPT_INT: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (end == val || *end || errno || v < INT_MIN || v > INT_MAX)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s: '%s' is not an integer",
                             d->name, val);
        *(int *)m = (int)v;
        return SG_OK;
    }
    case SG_OPT_FLAG:
        *(int *)m = 1;
        return SG_OK;
    }
    return SG_ERR_INTERNAL;
}

/* A number for a spatial option: strict, finite. */
static sg_status spatial_number(sg_ctx *ctx, const char *opt, const char *text, double *out) {
    const char *why = "not a number";
    if (sg__parse_number(text, out, &why) != SG_NUM_OK)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s: '%s' is %s", opt, text,
                         why ? why : "not a number");
    return SG_OK;
}

/* --centre, --centre-district, --decay-bandwidth, --distance-kernel. */
static sg_status check_spatial(sg_ctx *ctx, sg_options *o) {
    if (o->centre_text && o->centre_district)
        return usage(ctx, "%s", "--centre and --centre-district exclude each other");
    if (o->centre_text) {
        const char *comma = strchr(o->centre_text, ',');
        if (!comma || strchr(comma + 1, ','))
            return usage(ctx, "--centre needs two numbers X,Y (in the input CRS), not '%s'", o->centre_text);
        char *xs = sg__strndup(o->centre_text, (size_t)(comma - o->centre_text));
        if (!xs) return sg__nomem(ctx);
        sg_status st = spatial_number(ctx, "--centre", xs, &o->centre_x);
        free(xs);
        if (st == SG_OK) st = spatial_number(ctx, "--centre", comma + 1, &o->centre_y);
        if (st != SG_OK) return st;
        o->has_centre = 1;
    }
    if (sg__options_geometry(ctx, o) != SG_OK) return SG_ERR_USAGE; /* --snap-tolerance, --max-vertices */
    if (sg__options_join(ctx, o) != SG_OK) return SG_ERR_USAGE;     /* --p-adjust, --table-join */
    o->decay_bandwidth = 1000.0;
    if (o->decay_bandwidth_text) {
        sg_status st = spatial_number(ctx, "--decay-bandwidth", o->decay_bandwidth_text, &o->decay_bandwidth);
        if (st != SG_OK) return st;
        if (!(o->decay_bandwidth > 0) || o->decay_bandwidth > 1e7)
            return usage(ctx, "--decay-bandwidth must be a distance in metres, > 0 and <= 1e7, not '%s'",
                         o->decay_bandwidth_text);
    }
    if (o->distance_kernel_text) {
        if (strcmp(o->distance_kernel_text, "exp") == 0) o->distance_kernel_pysal = 0;
        else if (strcmp(o->distance_kernel_text, "exp-exact") == 0) o->distance_kernel_exact = 1;
        else if (strcmp(o->distance_kernel_text, "pysal") == 0) o->distance_kernel_pysal = 1;
        else
            return usage(ctx, "--distance-kernel must be 'exp', 'exp-exact' or 'pysal', not '%s'",
                         o->distance_kernel_text);
        if (o->distance_kernel_pysal && o->decay_bandwidth_text)
            return usage(ctx, "%s", "--decay-bandwidth applies only to --distance-kernel exp (PySAL's kernel "
                                    "has no bandwidth)");
    }
    return SG_OK;
}

/* --housing*, --overcrowding-*, --lq-threshold, --format. */
static sg_status check_objectives(sg_ctx *ctx, sg_options *o) {
    sg_status hst = sg__options_housing(ctx, o); /* --housing-indicator, --housing-margin */
    if (hst != SG_OK) return hst;
    if (o->housing && !o->housing_units)
        return usage(ctx, "%s", "--housing needs --housing-units FIELD (the dwellings of each site)");
    if (!o->housing && (o->housing_units || o->housing_layer))
        return usage(ctx, "%s", "--housing-units and --housing-layer apply only with --housing");
    if (o->overcrowding_field && !o->overcrowding_scale_text)
        return usage(ctx, "%s", "--overcrowding-field needs --overcrowding-scale fraction|percent|ratio");
    if (o->overcrowding_scale_text && !o->overcrowding_field)
        return usage(ctx, "%s", "--overcrowding-scale applies only with --overcrowding-field");
    if (o->overcrowding_scale_text) {
        if (strcmp(o->overcrowding_scale_text, "fraction") == 0) o->overcrowding_kind = SG_OVERCROWD_FRACTION;
        else if (strcmp(o->overcrowding_scale_text, "percent") == 0) o->overcrowding_kind = SG_OVERCROWD_PERCENT;
        else if (strcmp(o->overcrowding_scale_text, "ratio") == 0) o->overcrowding_kind = SG_OVERCROWD_RATIO;
        else
            return usage(ctx, "--overcrowding-scale must be 'fraction', 'percent' or 'ratio' (e.g. persons per "
                              "room), not '%s'", o->overcrowding_scale_text);
    }
    if (!(o->lq_threshold >= 1.0 && o->lq_threshold <= 1000.0))
        return usage(ctx, "%s", "--lq-threshold must be between 1 and 1000 (1.5: 50 % above the city share)");
    if (o->format && strcmp(o->format, "gpkg") != 0 && strcmp(o->format, "shp") != 0 &&
        strcmp(o->format, "geojson") != 0)
        return usage(ctx, "--format must be gpkg or shp (GeoJSON is always written), not '%s'", o->format);
    return SG_OK;
}

/* --layers: which map layers are written. */
static sg_status check_layers(sg_ctx *ctx, sg_options *o) {
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {{"districts", SG_LAYER_DISTRICTS},     {"objective5", SG_LAYER_OBJECTIVE5},
                 {"objective10", SG_LAYER_OBJECTIVE10}, {"services", SG_LAYER_SERVICES},
                 {"all", SG_LAYER_ALL},                 {"none", 0}};
    o->layers = o->layers_list.n ? 0 : SG_LAYER_ALL;
    for (size_t i = 0; i < o->layers_list.n; i++) {
        const char *it = o->layers_list.items[i];
        size_t k = 0;
        while (k < sizeof names / sizeof names[0] && strcmp(names[k].name, it) != 0) k++;
        if (k == sizeof names / sizeof names[0])
            return usage(ctx, "--layers: '%s' is not a layer (districts, objective5, objective10, services, all, "
                              "none)", it);
        if (!names[k].bits && o->layers_list.n > 1)
            return usage(ctx, "%s", "--layers none excludes every other layer");
        o->layers |= names[k].bits;
    }
    if (o->layers & SG_LAYER_SERVICES && o->layers != SG_LAYER_ALL && !o->access_args.n)
        return usage(ctx, "%s", "--layers services needs --service (services.geojson lists the services)");
    if (!(o->layers & SG_LAYER_DISTRICTS) && o->baseline)
        return usage(ctx, "%s", "--baseline compares districts.geojson: add districts to --layers");
    if (!(o->layers & SG_LAYER_DISTRICTS) && o->out_pg)
        return usage(ctx, "%s", "--out-pg copies the layers from districts.geojson on: add districts to --layers");
    /* No layer of nothing (issue 18): without housing input every district
     * of objective10.geojson is no_data, so the default leaves it out (and
     * with it its --format copy, style and project layer); --layers
     * objective10 (or all) still writes it. The summary and the report say
     * "not assessed" either way. */
    if (!o->layers_list.n && !o->housing && !o->social_housing_field && !o->overcrowding_field &&
        !o->housing_indicator_args.n)
        o->layers &= ~(unsigned)SG_LAYER_OBJECTIVE10;
    return SG_OK;
}

/* Cross-option rules. */
static sg_status check(sg_ctx *ctx, sg_options *o) {
    if (!o->districts) return usage(ctx, "%s is required", "--districts");
    if (!o->id_field) return usage(ctx, "%s is required", "--id");
    if (!o->total_field) return usage(ctx, "%s is required", "--total");
    if (!o->out_dir) return usage(ctx, "%s is required", "--out");
    if (o->encoding) { /* a name iconv knows, checked before anything is read */
        iconv_t cd = iconv_open("UTF-8", o->encoding);
        if (cd == (iconv_t)-1)
            return usage(ctx, "--encoding '%s' is not an encoding this system knows (e.g. WINDOWS-1252, ISO-8859-1, "
                              "ISO-8859-15; `iconv -l` lists them)", o->encoding);
        iconv_close(cd);
    }
    if (!o->group_field && !o->share_field)
        return usage(ctx, "%s", "one of --group or --group-share is required");
    if (o->group_field && o->share_field) return usage(ctx, "%s", "--group and --group-share exclude each other");
    if (o->share_field && !o->share_scale_text)
        return usage(ctx, "%s", "--group-share needs --share-scale fraction|percent");
    if (o->share_scale_text && !o->share_field)
        return usage(ctx, "%s", "--share-scale applies only with --group-share");
    if (o->share_scale_text) {
        if (strcmp(o->share_scale_text, "fraction") == 0) o->share_scale = 1.0;
        else if (strcmp(o->share_scale_text, "percent") == 0) o->share_scale = 100.0;
        else
            return usage(ctx, "--share-scale must be 'fraction' or 'percent', not '%s'", o->share_scale_text);
    }
    if (o->sql && o->layer) return usage(ctx, "%s", "--sql and --layer exclude each other");
    if (o->out_pg_prefix && !o->out_pg) return usage(ctx, "%s", "--out-pg-prefix applies only with --out-pg");
    if (o->no_remainder && !o->groups.n) return usage(ctx, "%s", "--no-remainder applies only with --groups");
    for (size_t i = 0; i < o->indices.n; i++)
        if (!sg__family_name_valid(o->indices.items[i]))
            return usage(ctx, "--indices: '%s' is not an index family (all, aspatial, spatial, local, basic, "
                         "evenness, exposure, multigroup, concentration, centralization, clustering, "
                         "spatial_evenness, spatial_proximity_profile, distortion, local_spatial)",
                         o->indices.items[i]);
    if (o->permutations < 0 || o->permutations > 1000000)
        return usage(ctx, "%s", "--permutations must be between 0 and 1000000");
    if (o->null_text) {
        static const char *const nulls[] = {"person", "geographic", "evenness", "systematic"};
        o->null_model = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(o->null_text, nulls[k]) == 0) o->null_model = k;
        if (o->null_model < 0)
            return usage(ctx, "--null must be person, geographic, evenness or systematic, not '%s'", o->null_text);
        if (o->permutations <= 0) return usage(ctx, "%s", "--null applies only with --permutations N");
    }
    if (o->bootstrap < 0 || o->bootstrap > 1000000)
        return usage(ctx, "%s", "--bootstrap must be between 0 and 1000000");
    if (o->threads < 0 || o->threads > 256) return usage(ctx, "%s", "--threads must be between 0 and 256");
    if (o->local_permutations < 0 || o->local_permutations > 100000)
        return usage(ctx, "%s", "--local-permutations must be between 0 and 100000");
    if (!(o->alpha > 0 && o->alpha < 1)) return usage(ctx, "%s", "--alpha must be between 0 and 1");
    if (!(o->min_joined >= 0 && o->min_joined <= 1))
        return usage(ctx, "%s", "--min-joined must be a share between 0 and 1 (0.8: 80 % of the districts)");
    if (o->weights) {
        const char *w = o->weights;
        char *end = NULL;
        int ok = strcmp(w, "queen") == 0 || strcmp(w, "rook") == 0;
        if (strncmp(w, "knn:", 4) == 0) {
            long k = strtol(w + 4, &end, 10);
            ok = end != w + 4 && !*end && k >= 1 && k <= 1000;
        } else if (strncmp(w, "distance:", 9) == 0) {
            double dm = strtod(w + 9, &end);
            ok = end != w + 9 && !*end && dm > 0 && isfinite(dm);
        }
        if (!ok)
            return usage(ctx, "--weights must be queen, rook, knn:K (1..1000) or distance:M (metres > 0), not '%s'",
                         w);
    }
    if (o->seed < 0 || o->seed != floor(o->seed) || o->seed > 9007199254740992.0)
        return usage(ctx, "%s", "--seed must be a non-negative integer");
    for (size_t i = 0; i < o->groups.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->groups.items[i], o->groups.items[j]) == 0)
                return usage(ctx, "--groups names '%s' twice", o->groups.items[i]);
    sg_status sst = check_objectives(ctx, o);
    if (sst != SG_OK) return sst;
    sst = check_layers(ctx, o);
    if (sst != SG_OK) return sst;
    sst = check_spatial(ctx, o);
    if (sst == SG_OK) sst = sg__options_profile(ctx, o); /* --scales, --scale-kernel, --scale-unrounded */
    if (sst != SG_OK) return sst;
    sst = sg__access_options(ctx, o);
    if (sst != SG_OK) return sst;
    return SG_OK;
}

const char *sg__option_suggest(const char *name) {
    static const char *const extra[] = {"--table", "--table-key", "--table-layer", "--table-join",
                                        "--service", "--service-layer",
                                        "--service-where", "--capacity", "--radius", "--config", "--help",
                                        "--standard", "--travel-times", "--service-id", "--tt-layer", "--tt-origin",
                                        "--tt-destination", "--tt-minutes"};
    const char *names[N_OPTS + sizeof extra / sizeof extra[0]];
    size_t n = 0;
    for (size_t k = 0; k < N_OPTS; k++) names[n++] = opt_table[k].name;
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) names[n++] = extra[k];
    const char *near = sg__suggest(name, names, n);
    if (near || strncmp(name, "--", 2) == 0) return near;
    char dashed[72]; /* "-total" or "total": the option with its two dashes */
    snprintf(dashed, sizeof dashed, "--%s", name + (name[0] == '-'));
    for (size_t k = 0; k < n; k++)
        if (strcmp(names[k], dashed) == 0) return names[k];
    return NULL;
}

/* "unknown option '--totl' (did you mean --total?)". */
static sg_status unknown_option(sg_ctx *ctx, const char *name) {
    const char *near = sg__option_suggest(name);
    if (near)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "unknown option '%s' (did you mean %s?)", name,
                         near);
    return usage(ctx, "unknown option '%s'", name);
}

int sg__option_kind(const char *name, sg_opt_kind *kind) {
    for (size_t k = 0; k < N_OPTS; k++)
        if (strcmp(opt_table[k].name, name) == 0) {
            *kind = opt_table[k].kind;
            return 1;
        }
    return 0;
}

static void tables_free(sg_options *o) {
    for (size_t i = 0; i < o->ntables; i++) {
        free(o->tables[i].path);
        free(o->tables[i].key);
        free(o->tables[i].layer);
        free(o->tables[i].join);
    }
    free(o->tables);
    o->tables = NULL;
    o->ntables = 0;
}

sg_status sg_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_options **out, int *help) {
    return sg__options_parse_layered(ctx, argc, argv, 0, out, help);
}

sg_status sg__options_parse_layered(sg_ctx *ctx, int argc, char *const *argv, int nbase, sg_options **out,
                                    int *help) {
    *out = NULL;
    if (help) *help = 0;
    sg_options *o = calloc(1, sizeof *o);
    if (!o) return sg__nomem(ctx);
    o->seed = 12345;
    o->local_permutations = 999;
    o->alpha = 0.05;
    o->lq_threshold = 1.5;
    o->min_joined = 0.8;
    unsigned char seen[N_OPTS] = {0};
    unsigned char tables_layer = 0; /* layer the current --table list came from */
    unsigned access_replaced = 0;   /* 1: services, 2: radii given on the command line */
    sg_status st = SG_OK;
    for (int i = 0; i < argc && st == SG_OK; i++) {
        const char *arg = argv[i];
        unsigned char layer = i < nbase ? 1 : 2;
        if (strncmp(arg, "--", 2) != 0 && strcmp(arg, "-h") != 0) {
            const char *near = sg__option_suggest(arg);
            if (near)
                st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                               "unexpected argument '%s' (options start with --: did you mean %s?)", arg, near);
            else st = usage(ctx, "unexpected argument '%s' (options start with --)", arg);
            break;
        }
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof name) {
            st = usage(ctx, "unknown option '%s'", arg);
            break;
        }
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (eq) val = eq + 1;
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            if (help) *help = 1;
            sg_options_free(o);
            return SG_OK;
        }
        const opt_def *d = NULL;
        size_t k;
        for (k = 0; k < N_OPTS; k++)
            if (strcmp(opt_table[k].name, name) == 0) {
                d = &opt_table[k];
                break;
            }
        int is_table = strcmp(name, "--table") == 0 || strcmp(name, "--table-key") == 0 ||
                       strcmp(name, "--table-layer") == 0 || strcmp(name, "--table-join") == 0;
        int is_access = !d && sg__access_is_arg(name); /* repeatable, positional (access.c) */
        if (!d && !is_table && !is_access) {
            st = unknown_option(ctx, name);
            break;
        }
        if (d && d->kind == SG_OPT_FLAG) {
            int progress = strcmp(name, "--progress") == 0, mode = SG_PROGRESS_PLAIN;
            /* --progress [plain|json]: the one flag with an optional value (no other argument is a bare word) */
            if (progress && !val && i + 1 < argc && sg__progress_mode(argv[i + 1]) > 0) val = argv[++i];
            if (val && !progress) st = usage(ctx, "option %s takes no value", name);
            else if (val && (mode = sg__progress_mode(val)) < 0)
                st = usage(ctx, "option --progress: '%s' is not a mode (plain or json)", val);
            else if ((st = set_value(ctx, o, d, &seen[k], NULL, layer)) == SG_OK && progress) o->progress = mode;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                st = usage(ctx, "option %s needs a value", name);
                break;
            }
            val = argv[++i];
        }
        if (d) {
            st = set_value(ctx, o, d, &seen[k], val, layer);
        } else if (is_access) {
            /* The command line's services (or radii) replace the config's. */
            unsigned fam = strcmp(name, "--radius") == 0 ? 2u : 1u;
            if (layer == 2 && nbase > 0 && !(access_replaced & fam)) {
                access_replaced |= fam;
                size_t kept = 0;
                for (size_t j = 0; j < o->access_args.n; j++) {
                    int radius = strncmp(o->access_args.items[j], "--radius=", 9) == 0;
                    if ((fam == 2u) == radius) free(o->access_args.items[j]);
                    else o->access_args.items[kept++] = o->access_args.items[j];
                }
                o->access_args.n = kept;
            }
            st = sg__access_add_arg(ctx, o, name, val);
        } else if (strcmp(name, "--table") == 0) {
            if (tables_layer && tables_layer < layer) tables_free(o); /* the command line's tables replace */
            tables_layer = layer;
            sg_table_spec *nt = sg__reallocarray(o->tables, o->ntables + 1, sizeof *nt);
            if (!nt) {
                st = sg__nomem(ctx);
                break;
            }
            o->tables = nt;
            memset(&nt[o->ntables], 0, sizeof *nt);
            o->ntables++;
            st = set_once(ctx, &nt[o->ntables - 1].path, name, val);
        } else if (o->ntables == 0) {
            st = usage(ctx, "option %s must follow the --table it applies to", name);
        } else if (tables_layer < layer) {
            st = usage(ctx, "option %s must follow a --table on the command line (a --table there replaces "
                            "the config file's tables)", name);
        } else {
            sg_table_spec *t = &o->tables[o->ntables - 1];
            st = set_once(ctx, strcmp(name, "--table-key") == 0 ? &t->key : strcmp(name, "--table-join") == 0 ? &t->join
                                                                                                      : &t->layer,
                          name, val);
        }
    }
    /* --layer and --sql choose the districts one way: the command line's
     * choice replaces the config's. */
    for (size_t k = 0; st == SG_OK && k < N_OPTS; k++) {
        if (seen[k] != 2 || (strcmp(opt_table[k].name, "--sql") != 0 && strcmp(opt_table[k].name, "--layer") != 0))
            continue;
        char **other = strcmp(opt_table[k].name, "--sql") == 0 ? &o->layer : &o->sql;
        for (size_t j = 0; j < N_OPTS; j++)
            if (seen[j] == 1 && (char **)(void *)((char *)o + opt_table[j].offset) == other) {
                free(*other);
                *other = NULL;
            }
    }
    if (st == SG_OK) st = check(ctx, o);
    if (st != SG_OK) {
        sg_options_free(o);
        return st;
    }
    *out = o;
    return SG_OK;
}
