/* The YAML config file (libyaml): every option of `seggap analyze` as a key
 * (the option name without "--", '_' for '-'), `tables:` as a list, and the
 * `check:` section of `seggap check`. The analyze keys become command-line
 * arguments for the one option parser (options.c); options given on the
 * command line override them. Relative paths are relative to the file.
 * Unknown keys, duplicate keys and values of the wrong type are errors that
 * name the line. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "analyze/config_internal.h"


int sg__cfg_line(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

sg_status sg__cfg_error(loader *L, const yaml_node_t *at, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sg__error(L->ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){L->cfg->path, NULL, -1, NULL, NULL},
                     "line %d: %s", sg__cfg_line(at), msg);
}

yaml_node_t *sg__cfg_node(loader *L, int id) { return yaml_document_get_node(&L->doc, id); }

/* Bounds on the file (issue 16, items 2 and 12): its size, its nesting
 * depth (libyaml's scanner is quadratic in the depth of flow nesting, so the
 * depth is counted on the events before the document is loaded), no alias
 * to one of its own ancestors (a cycle), and the number of nodes and the
 * depth once aliases are expanded ("billion laughs"). */
enum { CFG_MAX_BYTES = 1 << 20, CFG_MAX_DEPTH = 64, CFG_MAX_NODES = 100000 };

/* Events only: SG_OK when the nesting stays within CFG_MAX_DEPTH (or the
 * YAML is broken: yaml_parser_load reports that with its line). */
static sg_status depth_scan(sg_ctx *ctx, const char *path, const unsigned char *buf, size_t n) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return sg__nomem(ctx);
    yaml_parser_set_input_string(&parser, buf, n);
    sg_status st = SG_OK;
    int depth = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) break;
        yaml_event_type_t t = ev.type;
        int line = (int)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > CFG_MAX_DEPTH) {
                st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                               "line %d: nested more than %d levels deep", line, CFG_MAX_DEPTH);
                break;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) depth--;
        else if (t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&parser);
    return st;
}

typedef struct bound_walk {
    loader *L;
    unsigned char *state; /* per node: 0 unseen, 1 on the path, 2 done */
    size_t *count;        /* per node: nodes below and itself, aliases expanded, capped */
    int *height;          /* per node: levels below it, aliases expanded */
} bound_walk;

static sg_status bound_node(bound_walk *W, int id, int depth) {
    loader *L = W->L;
    yaml_node_t *n = sg__cfg_node(L, id);
    if (!n) return SG_OK;
    size_t i = (size_t)(id - 1);
    if (W->state[i] == 1) return sg__cfg_error(L, n, "an alias refers to a node that contains it (a cycle)");
    if (W->state[i] == 0) {
        if (depth > CFG_MAX_DEPTH)
            return sg__cfg_error(L, n, "nested more than %d levels deep once aliases are expanded", CFG_MAX_DEPTH);
        W->state[i] = 1;
        size_t count = 1;
        int height = 0;
        int kids[2];
        if (n->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
                sg_status st = bound_node(W, *it, depth + 1);
                if (st != SG_OK) return st;
                size_t c = W->count[*it - 1];
                count = count + c > CFG_MAX_NODES + 1 ? CFG_MAX_NODES + 1 : count + c;
                if (W->height[*it - 1] + 1 > height) height = W->height[*it - 1] + 1;
            }
        } else if (n->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                kids[0] = p->key;
                kids[1] = p->value;
                for (int k = 0; k < 2; k++) {
                    sg_status st = bound_node(W, kids[k], depth + 1);
                    if (st != SG_OK) return st;
                    if (!sg__cfg_node(L, kids[k])) continue;
                    size_t c = W->count[kids[k] - 1];
                    count = count + c > CFG_MAX_NODES + 1 ? CFG_MAX_NODES + 1 : count + c;
                    if (W->height[kids[k] - 1] + 1 > height) height = W->height[kids[k] - 1] + 1;
                }
            }
        }
        W->count[i] = count;
        W->height[i] = height;
        W->state[i] = 2;
    }
    if (depth + W->height[i] > CFG_MAX_DEPTH)
        return sg__cfg_error(L, n, "nested more than %d levels deep once aliases are expanded", CFG_MAX_DEPTH);
    if (W->count[i] > CFG_MAX_NODES)
        return sg__cfg_error(L, n, "more than %d values once aliases are expanded", CFG_MAX_NODES);
    return SG_OK;
}

static sg_status check_bounds(loader *L) {
    size_t n = (size_t)(L->doc.nodes.top - L->doc.nodes.start);
    if (n == 0) return SG_OK;
    bound_walk W = {L, calloc(n, 1), calloc(n, sizeof(size_t)), calloc(n, sizeof(int))};
    sg_status st = W.state && W.count && W.height ? bound_node(&W, 1, 0) : sg__nomem(L->ctx);
    free(W.state);
    free(W.count);
    free(W.height);
    return st;
}

/* The whole file, when it is a regular file of at most CFG_MAX_BYTES. */
static sg_status read_config(sg_ctx *ctx, const char *path, FILE *f, unsigned char **buf, size_t *n) {
    struct stat sb;
    *buf = NULL;
    *n = 0;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                         "the config file is not a regular file");
    if (sb.st_size > CFG_MAX_BYTES)
        return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                         "the config file is larger than %d bytes", CFG_MAX_BYTES);
    *buf = malloc((size_t)sb.st_size + 1);
    if (!*buf) return sg__nomem(ctx);
    *n = fread(*buf, 1, (size_t)sb.st_size + 1, f);
    if (ferror(f) || *n > (size_t)sb.st_size) {
        free(*buf);
        *buf = NULL;
        return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                         "cannot read the config file (or it grew while being read)");
    }
    return SG_OK;
}

const char *sg__cfg_scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *sg__cfg_type_name(const yaml_node_t *n) {
    return !n ? "nothing" : n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a value";
}

/* A scalar that is there and not empty/null. */
sg_status sg__cfg_need_scalar(loader *L, const char *key, const yaml_node_t *v, const char **out) {
    const char *s = sg__cfg_scalar(v);
    if (!s) return sg__cfg_error(L, v, "'%s' needs a single value, not %s", key, sg__cfg_type_name(v));
    int plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!*s || (plain && (strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0)))
        return sg__cfg_error(L, v, "'%s' has no value (give one, or remove the key)", key);
    *out = s;
    return SG_OK;
}

sg_status sg__cfg_need_bool(loader *L, const char *key, const yaml_node_t *v, int *out) {
    const char *s = NULL;
    sg_status st = sg__cfg_need_scalar(L, key, v, &s);
    if (st != SG_OK) return st;
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (int k = 0; k < 3; k++) {
        if (strcasecmp(s, yes[k]) == 0) return *out = 1, SG_OK;
        if (strcasecmp(s, no[k]) == 0) return *out = 0, SG_OK;
    }
    return sg__cfg_error(L, v, "'%s' must be true or false, not '%s'", key, s);
}

sg_status sg__cfg_need_number(loader *L, const char *key, const yaml_node_t *v, double *out) {
    const char *s = NULL, *why = "not a number";
    sg_status st = sg__cfg_need_scalar(L, key, v, &s);
    if (st != SG_OK) return st;
    if (sg__parse_number(s, out, &why) != SG_NUM_OK)
        return sg__cfg_error(L, v, "'%s' must be a number, not '%s' (%s)", key, s, why ? why : "not a number");
    return SG_OK;
}

sg_status sg__cfg_need_int(loader *L, const char *key, const yaml_node_t *v, long long lo, long long hi,
                          long long *out) {
    const char *s = NULL;
    sg_status st = sg__cfg_need_scalar(L, key, v, &s);
    if (st != SG_OK) return st;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (end == s || *end || errno || n < lo || n > hi)
        return sg__cfg_error(L, v, "'%s' must be an integer between %lld and %lld, not '%s'", key, lo, hi, s);
    *out = n;
    return SG_OK;
}

/* A GDAL connection string or URL ("PG:dbname=x", "https://...") is no path. */
static int has_scheme(const char *s) {
    size_t k = 0;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return 0;
    while (s[k] && s[k] != ':' && s[k] != '/') k++;
    return s[k] == ':' && k >= 2;
}

char *sg__cfg_resolve(const sg_config *cfg, const char *p) {
    if (p[0] == '/' || has_scheme(p) || strcmp(cfg->dir, ".") == 0) return sg__strdup(p);
    return sg__asprintf("%s/%s", cfg->dir, p);
}

static sg_status push(loader *L, const char *a) {
    if (L->argc + 1 >= L->cap) {
        int cap = L->cap ? L->cap * 2 : 32;
        char **nv = sg__reallocarray(L->argv, (size_t)cap, sizeof *nv);
        if (!nv) return sg__nomem(L->ctx);
        L->argv = nv;
        L->cap = cap;
    }
    L->argv[L->argc] = sg__strdup(a);
    if (!L->argv[L->argc]) return sg__nomem(L->ctx);
    L->argc++;
    L->argv[L->argc] = NULL;
    return SG_OK;
}

/* Keys of a mapping, each once. */
sg_status sg__cfg_check_duplicates(loader *L, const yaml_node_t *map, const char *where) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = sg__cfg_node(L, p->key);
        if (!sg__cfg_scalar(k)) return sg__cfg_error(L, k, "a key %s must be a plain name, not %s", where, sg__cfg_type_name(k));
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
            if (strcmp(sg__cfg_scalar(sg__cfg_node(L, q->key)), sg__cfg_scalar(k)) == 0)
                return sg__cfg_error(L, k, "key '%s' given twice %s (first on line %d)", sg__cfg_scalar(k), where,
                                 sg__cfg_line(sg__cfg_node(L, q->key)));
    }
    return SG_OK;
}

/* Options whose value is a path, resolved against the config's directory. */
static int is_path_option(const char *key) {
    static const char *const keys[] = {"districts", "out", "baseline", "housing", "population_points", "network"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(key, keys[k]) == 0) return 1;
    return 0;
}

static sg_status add_tables(loader *L, const yaml_node_t *v) {
    if (!v || v->type != YAML_SEQUENCE_NODE)
        return sg__cfg_error(L, v, "'tables' must be a list of tables (- path: FILE, key: FIELD, layer: NAME), not %s",
                         sg__cfg_type_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const yaml_node_t *t = sg__cfg_node(L, *it);
        const char *path = NULL, *key = NULL, *layer = NULL, *join = NULL;
        sg_status st = SG_OK;
        if (t->type == YAML_SCALAR_NODE) {
            st = sg__cfg_need_scalar(L, "tables", t, &path);
        } else if (t->type == YAML_MAPPING_NODE) {
            if ((st = sg__cfg_check_duplicates(L, t, "in a table")) != SG_OK) return st;
            for (yaml_node_pair_t *p = t->data.mapping.pairs.start; st == SG_OK && p < t->data.mapping.pairs.top; p++) {
                const char *k = sg__cfg_scalar(sg__cfg_node(L, p->key));
                const yaml_node_t *tv = sg__cfg_node(L, p->value);
                if (strcmp(k, "path") == 0) st = sg__cfg_need_scalar(L, "tables: path", tv, &path);
                else if (strcmp(k, "key") == 0) st = sg__cfg_need_scalar(L, "tables: key", tv, &key);
                else if (strcmp(k, "layer") == 0) st = sg__cfg_need_scalar(L, "tables: layer", tv, &layer);
                else if (strcmp(k, "join") == 0) st = sg__cfg_need_scalar(L, "tables: join", tv, &join);
                else st = sg__cfg_error(L, sg__cfg_node(L, p->key), "unknown key '%s' in a table (known: path, key, layer, join)", k);
            }
            if (st == SG_OK && !path) st = sg__cfg_error(L, t, "a table needs 'path'");
        } else {
            st = sg__cfg_error(L, t, "a table must be a path or a mapping (path, key, layer), not %s", sg__cfg_type_name(t));
        }
        if (st != SG_OK) return st;
        char *rp = sg__cfg_resolve(L->cfg, path);
        if (!rp) return sg__nomem(L->ctx);
        st = push(L, "--table");
        if (st == SG_OK) st = push(L, rp);
        free(rp);
        if (st == SG_OK && key && (st = push(L, "--table-key")) == SG_OK) st = push(L, key);
        if (st == SG_OK && layer && (st = push(L, "--table-layer")) == SG_OK) st = push(L, layer);
        if (st == SG_OK && join && (st = push(L, "--table-join")) == SG_OK) st = push(L, join);
        if (st != SG_OK) return st;
    }
    return SG_OK;
}

/* services: a list of {type, path, layer, where, capacity} -> --service
 * TYPE=PATH [--service-layer L] [--service-where W] [--capacity F]. */
static sg_status add_services(loader *L, const yaml_node_t *v) {
    if (!v || v->type != YAML_SEQUENCE_NODE)
        return sg__cfg_error(L, v, "'services' must be a list (- type: library, path: FILE, layer:, where:, capacity:), "
                               "not %s", sg__cfg_type_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const yaml_node_t *t = sg__cfg_node(L, *it);
        if (t->type != YAML_MAPPING_NODE)
            return sg__cfg_error(L, t, "a service must be a mapping (type, path, layer, where, capacity), not %s",
                             sg__cfg_type_name(t));
        sg_status st = sg__cfg_check_duplicates(L, t, "in a service");
        const char *f[5] = {NULL, NULL, NULL, NULL, NULL};
        static const char *const keys[5] = {"type", "path", "layer", "where", "capacity"};
        static const char *const opts[5] = {NULL, "--service", "--service-layer", "--service-where", "--capacity"};
        for (yaml_node_pair_t *p = t->data.mapping.pairs.start; st == SG_OK && p < t->data.mapping.pairs.top; p++) {
            const char *k = sg__cfg_scalar(sg__cfg_node(L, p->key));
            int which = -1;
            for (int j = 0; j < 5; j++)
                if (strcmp(k, keys[j]) == 0) which = j;
            if (which < 0)
                st = sg__cfg_error(L, sg__cfg_node(L, p->key), "unknown key '%s' in a service (known: type, path, layer, where, "
                                                   "capacity)", k);
            else
                st = sg__cfg_need_scalar(L, keys[which], sg__cfg_node(L, p->value), &f[which]);
        }
        if (st == SG_OK && (!f[0] || !f[1])) st = sg__cfg_error(L, t, "a service needs 'type' and 'path'");
        if (st != SG_OK) return st;
        char *rp = sg__cfg_resolve(L->cfg, f[1]), *arg = rp ? sg__asprintf("%s=%s", f[0], rp) : NULL;
        free(rp);
        if (!arg) return sg__nomem(L->ctx);
        st = push(L, "--service");
        if (st == SG_OK) st = push(L, arg);
        free(arg);
        for (int j = 2; st == SG_OK && j < 5; j++)
            if (f[j] && (st = push(L, opts[j])) == SG_OK) st = push(L, f[j]);
        if (st != SG_OK) return st;
    }
    return SG_OK;
}

/* A repeatable option (radius: [500, 1000] -> --radius 500 --radius 1000). */
static sg_status add_repeated(loader *L, const char *key, const char *name, const yaml_node_t *v) {
    if (v && v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            const char *s = NULL;
            sg_status st = sg__cfg_need_scalar(L, key, sg__cfg_node(L, *it), &s);
            if (st == SG_OK) st = push(L, name);
            if (st == SG_OK) st = push(L, s);
            if (st != SG_OK) return st;
        }
        return SG_OK;
    }
    const char *s = NULL;
    sg_status st = sg__cfg_need_scalar(L, key, v, &s);
    if (st == SG_OK) st = push(L, name);
    return st == SG_OK ? push(L, s) : st;
}

/* One analyze option: key -> "--key" value. */
static sg_status add_option(loader *L, const char *key, const yaml_node_t *k, const yaml_node_t *v) {
    char name[80];
    if (strlen(key) + 3 > sizeof name) return sg__cfg_error(L, k, "unknown key '%s'", key);
    snprintf(name, sizeof name, "--%s", key);
    for (char *c = name + 2; *c; c++)
        if (*c == '_') *c = '-';
    sg_opt_kind kind;
    if (!strchr(key, '-') && sg__access_is_arg(name)) { /* the repeatable options of service access */
        if (strcmp(key, "radius") == 0) return add_repeated(L, key, name, v);
        return sg__cfg_error(L, k, "'%s': services go in 'services:', a list of type, path, layer, where, capacity",
                         key);
    }
    if (strchr(key, '-') || !sg__option_kind(name, &kind) || strcmp(key, "table_key") == 0 ||
        strcmp(key, "table_layer") == 0 || strcmp(key, "table_join") == 0) {
        if (strchr(key, '-') && sg__option_kind(name, &kind)) {
            char *u = sg__strdup(key);
            for (char *c = u; c && *c; c++)
                if (*c == '-') *c = '_';
            sg_status st = sg__cfg_error(L, k, "unknown key '%s' (did you mean '%s'?)", key, u ? u : key);
            free(u);
            return st;
        }
        if (strcmp(key, "table") == 0 || strcmp(key, "table_key") == 0 || strcmp(key, "table_layer") == 0 ||
            strcmp(key, "table_join") == 0)
            return sg__cfg_error(L, k, "unknown key '%s' (census tables go in 'tables:', a list of path/key/layer/join)", key);
        static const char *const sections[] = {"tables", "services", "check"};
        const char *sec = sg__suggest(key, sections, 3), *near = sec ? NULL : sg__option_suggest(name);
        if (near && (!strncmp(near, "--table", 7) || !strcmp(near, "--config") || !strcmp(near, "--help") ||
                     (sg__access_is_arg(near) && strcmp(near, "--radius") != 0))) { /* no keys: they live in tables:, services:, or nowhere */
            sec = !strncmp(near, "--table", 7) ? "tables" : sg__access_is_arg(near) ? "services" : NULL;
            near = NULL;
        }
        if (near || sec) {
            char *u = sg__strdup(near ? near + 2 : sec);
            for (char *c = u; c && *c; c++)
                if (*c == '-') *c = '_';
            sg_status st = sg__cfg_error(L, k, "unknown key '%s' (did you mean '%s'?)", key, u ? u : "?");
            free(u);
            return st;
        }
        return sg__cfg_error(L, k, "unknown key '%s' (keys are the options of `seggap analyze --help` without '--', "
                               "with '_' for '-', plus 'tables', 'services' and 'check')", key);
    }
    sg_status st = SG_OK;
    const char *s = NULL;
    switch (kind) {
    case SG_OPT_MULTI: /* a list, or one value */
        return add_repeated(L, key, name, v);
    case SG_OPT_FLAG: {
        int on = 0;
        s = strcmp(name, "--progress") == 0 ? sg__cfg_scalar(v) : NULL; /* progress: json (or plain) */
        if (s && (strcmp(s, "json") == 0 || strcmp(s, "plain") == 0))
            return push(L, strcmp(s, "json") == 0 ? "--progress=json" : "--progress=plain");
        if ((st = sg__cfg_need_bool(L, key, v, &on)) != SG_OK) return st;
        return on ? push(L, name) : SG_OK;
    }
    case SG_OPT_INT: {
        long long n;
        if ((st = sg__cfg_need_int(L, key, v, INT_MIN, INT_MAX, &n)) != SG_OK) return st;
        s = sg__cfg_scalar(v);
        break;
    }
    case SG_OPT_DOUBLE: {
        double d;
        if ((st = sg__cfg_need_number(L, key, v, &d)) != SG_OK) return st;
        s = sg__cfg_scalar(v);
        break;
    }
    case SG_OPT_LIST:
        if (v && v->type == YAML_SEQUENCE_NODE) {
            char *joined = sg__strdup("");
            for (yaml_node_item_t *it = v->data.sequence.items.start; joined && it < v->data.sequence.items.top; it++) {
                const char *item;
                if ((st = sg__cfg_need_scalar(L, key, sg__cfg_node(L, *it), &item)) != SG_OK) break;
                if (strchr(item, ',')) {
                    st = sg__cfg_error(L, sg__cfg_node(L, *it), "an item of '%s' cannot contain a comma: '%s'", key, item);
                    break;
                }
                char *j2 = sg__asprintf("%s%s%s", joined, *joined ? "," : "", item);
                free(joined);
                joined = j2;
            }
            if (st == SG_OK && !joined) st = sg__nomem(L->ctx);
            if (st == SG_OK && !*joined) st = sg__cfg_error(L, v, "'%s' is an empty list", key);
            if (st == SG_OK && (st = push(L, name)) == SG_OK) st = push(L, joined);
            free(joined);
            return st;
        }
        /* else a comma-separated string, as on the command line */
        /* fall through */
    case SG_OPT_STR:
        if ((st = sg__cfg_need_scalar(L, key, v, &s)) != SG_OK) return st;
        break;
    }
    if ((st = push(L, name)) != SG_OK) return st;
    if (is_path_option(key)) {
        char *rp = sg__cfg_resolve(L->cfg, s);
        if (!rp) return sg__nomem(L->ctx);
        st = push(L, rp);
        free(rp);
        return st;
    }
    return push(L, s);
}

void sg__config_free(sg_config *c) {
    free(c->path);
    free(c->dir);
    for (int i = 0; i < c->argc; i++) free(c->argv[i]);
    free(c->argv);
    free(c->baseline);
    for (size_t i = 0; i < c->expected_new.n; i++) free(c->expected_new.items[i]);
    free(c->expected_new.items);
    for (size_t i = 0; i < c->expected_missing.n; i++) free(c->expected_missing.items[i]);
    free(c->expected_missing.items);
    for (size_t i = 0; i < c->nthresholds; i++) free(c->thresholds[i].metric);
    free(c->thresholds);
    memset(c, 0, sizeof *c);
}

sg_status sg__config_load(sg_ctx *ctx, const char *path, sg_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->max_total_change = 0.5;
    cfg->max_group_change = 0.5;
    cfg->max_share_change = 0.2;
    cfg->min_residents = 50;
    cfg->alpha = 0.05;
    cfg->path = sg__strdup(path);
    const char *slash = strrchr(path, '/');
    cfg->dir = slash ? (slash == path ? sg__strdup("/") : sg__strndup(path, (size_t)(slash - path))) : sg__strdup(".");
    if (!cfg->path || !cfg->dir) {
        sg__config_free(cfg);
        return sg__nomem(ctx);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        sg__config_free(cfg);
        return sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                         "cannot open the config file: %s", strerror(e));
    }
    loader L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    L.cfg = cfg;
    unsigned char *buf;
    size_t nbuf;
    sg_status st = read_config(ctx, path, f, &buf, &nbuf);
    fclose(f);
    if (st == SG_OK) st = depth_scan(ctx, path, buf, nbuf);
    if (st != SG_OK) {
        free(buf);
        sg__config_free(cfg);
        return st;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(buf);
        sg__config_free(cfg);
        return sg__nomem(ctx);
    }
    yaml_parser_set_input_string(&parser, buf, nbuf);
    int loaded = yaml_parser_load(&parser, &L.doc);
    if (!loaded) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){path, NULL, -1, NULL, NULL},
                       "line %d: not valid YAML: %s%s%s", (int)parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                       parser.context ? parser.context : "");
    }
    yaml_parser_delete(&parser);
    free(buf);
    if (!loaded) {
        sg__config_free(cfg);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&L.doc);
    if (!root) st = sg__cfg_error(&L, NULL, "the config file is empty");
    else if (root->type != YAML_MAPPING_NODE)
        st = sg__cfg_error(&L, root, "the config must be a mapping of keys (districts: FILE, id: FIELD, ...), not %s",
                       sg__cfg_type_name(root));
    if (st == SG_OK) st = check_bounds(&L);
    if (st == SG_OK) st = sg__cfg_check_duplicates(&L, root, "at the top level");
    for (yaml_node_pair_t *p = st == SG_OK ? root->data.mapping.pairs.start : NULL;
         st == SG_OK && p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = sg__cfg_node(&L, p->key), *v = sg__cfg_node(&L, p->value);
        const char *key = sg__cfg_scalar(k);
        if (strcmp(key, "tables") == 0) st = add_tables(&L, v);
        else if (strcmp(key, "services") == 0) st = add_services(&L, v);
        else if (strcmp(key, "check") == 0) st = sg__cfg_load_check(&L, v);
        else if (strcmp(key, "config") == 0) st = sg__cfg_error(&L, k, "a config file cannot name another one");
        else st = add_option(&L, key, k, v);
    }
    yaml_document_delete(&L.doc);
    cfg->argv = L.argv;
    cfg->argc = L.argc;
    if (st != SG_OK) sg__config_free(cfg);
    return st;
}

/* Public: analyze options from --config FILE and the command line. */
sg_status sg_options_parse_config(sg_ctx *ctx, int argc, char *const *argv, sg_options **out, int *help) {
    *out = NULL;
    const char *config = NULL;
    int at = -1, width = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int w = strcmp(a, "--config") == 0 ? 2 : strncmp(a, "--config=", 9) == 0 ? 1 : 0;
        if (!w) continue;
        if (config) return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option --config given twice");
        if (w == 2 && i + 1 >= argc)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option --config needs a value");
        config = w == 2 ? argv[i + 1] : a + 9;
        at = i;
        width = w;
        i += w - 1;
    }
    if (!config) return sg_options_parse(ctx, argc, argv, out, help);
    sg_config cfg;
    sg_status st = sg__config_load(ctx, config, &cfg);
    if (st != SG_OK) return st;
    int n = cfg.argc + argc - width;
    char **all = calloc((size_t)n + 1, sizeof *all);
    if (!all) {
        sg__config_free(&cfg);
        return sg__nomem(ctx);
    }
    int k = 0;
    for (int i = 0; i < cfg.argc; i++) all[k++] = cfg.argv[i];
    for (int i = 0; i < argc; i++)
        if (i < at || i >= at + width) all[k++] = argv[i];
    st = sg__options_parse_layered(ctx, n, all, cfg.argc, out, help);
    free(all);
    sg__config_free(&cfg);
    return st;
}
