/* Command-line arguments of `seggap compare`: argv -> sg_compare_options,
 * and the usage text. Errors go through the context like analyze's
 * (options.c there); nothing is printed here. */
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"

static const char usage_text[] =
    "usage: seggap compare BASELINE CURRENT [--out DIR] [--permutations N] [--seed S]\n"
    "                      [--null person|random_label] [--json] [--quiet]\n"
    "\n"
    "BASELINE and CURRENT are output directories of `seggap analyze` (or their summary.json).\n"
    "Writes compare.json (to --out, default CURRENT's directory): every index's baseline, current\n"
    "value and change; with the district layers present, a two-value permutation p-value for\n"
    "each aspatial index's change, the districts that appeared or vanished, and the Shapley\n"
    "decomposition of the change in dissimilarity and entropy into group sizes, district sizes\n"
    "and redistribution.\n"
    "--null person (default): residents of both periods pooled per matched district, period labels\n"
    "reshuffled. --null random_label: the districts of both periods pooled and relabelled at random,\n"
    "each period keeping its number of districts; ids need not match, so two cities, or a city\n"
    "before and after redistricting, can be compared.\n";

const char *sg_compare_usage(void) { return usage_text; }

static sg_status usage(sg_ctx *ctx, const char *fmt, const char *arg) {
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, fmt, arg);
}

/* Copies s to *p (moved past it); NULL stays NULL. */
static const char *pack(char **p, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *r = memcpy(*p, s, n);
    *p += n;
    return r;
}

sg_status sg_compare_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_compare_options **out,
                                   int *help) {
    *out = NULL;
    if (help) *help = 0;
    sg_compare_options co;
    memset(&co, 0, sizeof co);
    co.seed = 12345;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            if (help) *help = 1;
            return SG_OK;
        } else if (strcmp(a, "--json") == 0) co.json = 1;
        else if (strcmp(a, "--quiet") == 0) co.quiet = 1;
        else if (strcmp(a, "--null") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "person") == 0) co.null_model = SG_COMPARE_NULL_PERSON;
            else if (strcmp(v, "random_label") == 0) co.null_model = SG_COMPARE_NULL_RANDOM_LABEL;
            else
                return sg__error(ctx, SG_ERR_USAGE, "E_OPTION_VALUE", SG_WHERE_NONE,
                                 "--null: '%s' is not a null of compare (person, random_label; the nulls of "
                                 "analyze's --null test one city, not a change)", v);
        }
        else if ((strcmp(a, "--out") == 0 || strcmp(a, "--permutations") == 0 || strcmp(a, "--seed") == 0) &&
                 i + 1 < argc) {
            const char *v = argv[++i];
            char *end = NULL;
            if (strcmp(a, "--out") == 0) co.out_dir = v;
            else {
                long long n = strtoll(v, &end, 10);
                if (!*v || *end || n < 0 || n > 1000000000LL) /* the message says all: no usage text after it */
                    return sg__error(ctx, SG_ERR_USAGE, "E_OPTION_VALUE", SG_WHERE_NONE,
                                     "%s: '%s' is not a non-negative integer", a, v);
                if (strcmp(a, "--seed") == 0) co.seed = (unsigned long long)n;
                else co.permutations = (int)n;
            }
        } else if (strncmp(a, "--", 2) == 0) {
            static const char *const names[] = {"--help", "--json", "--quiet", "--out", "--permutations", "--seed",
                                                "--null"};
            const char *near = sg__suggest(a, names, sizeof names / sizeof names[0]);
            if (near)
                return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                                 "unknown or incomplete option '%s' (did you mean %s?)", a, near);
            return usage(ctx, "unknown or incomplete option '%s'", a);
        } else if (!co.baseline) co.baseline = a;
        else if (!co.current) co.current = a;
        else return usage(ctx, "unexpected argument '%s'", a);
    }
    if (!co.baseline || !co.current) return usage(ctx, "%s", "compare needs BASELINE and CURRENT");
    /* One block: the options, then copies of their strings. */
    size_t len = sizeof co + strlen(co.baseline) + strlen(co.current) + 2 + (co.out_dir ? strlen(co.out_dir) + 1 : 0);
    sg_compare_options *o = malloc(len);
    if (!o) return sg__nomem(ctx);
    *o = co;
    char *p = (char *)(o + 1);
    o->baseline = pack(&p, co.baseline);
    o->current = pack(&p, co.current);
    o->out_dir = pack(&p, co.out_dir);
    *out = o;
    return SG_OK;
}

void sg_compare_options_free(sg_compare_options *opts) { free(opts); }
