/* Housing indicators of objective 10 (issue 17 item 4), apart from options.c
 * (the house's size limit): --housing-indicator NAME=FIELD[:lower|:higher],
 * repeatable, and --housing-margin M.
 *
 * NAME is an identifier (a letter or '_', then letters, digits, '_'; at most
 * 40 bytes): the names of the output fields NAME and NAME_worse. Known names
 * carry a definition and, where it is unambiguous, a direction:
 *   overcrowding        higher is worse; the input of the overcrowded rule
 *                       (the same as --overcrowding-field FIELD, scale
 *                       --overcrowding-scale, fraction when not given)
 *   cost_overburden     higher is worse
 *   severe_deprivation  higher is worse
 *   living_space        lower is worse (m² per person: less space is worse)
 *   social_rent_share, owner_share: either way can be "worse" (a high social
 *                       rent share concentrates; a low owner share too):
 *                       the direction must be given (:lower or :higher)
 * Unknown names are higher-is-worse unless :lower is given. An explicit
 * direction against the known one (living_space=F:higher) is taken as given.
 * --housing-margin: the relative margin of NAME_worse, 0 <= M < 1 (default
 * 0.10: a district is worse when 10 % of the city's rate beyond it). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"

static const struct known {
    const char *name;
    int dir; /* 1 lower is worse, 0 higher is worse, -1 must be given */
    const char *definition, *unit;
} known[] = {
    {"overcrowding", 0,
     "overcrowding rate (EU-SILC): the share of people living in a dwelling with fewer rooms than the household "
     "needs",
     "share"},
    {"cost_overburden", 0,
     "housing cost overburden rate: the share of people whose housing costs are above 40 % of their disposable "
     "income",
     "share"},
    {"social_rent_share", -1, "the share of dwellings rented at a social (below-market) rent", "share"},
    {"owner_share", -1, "the share of dwellings lived in by their owners", "share"},
    {"severe_deprivation", 0,
     "severe housing deprivation rate (EU-SILC): the share of people in an overcrowded dwelling with at least one "
     "housing deprivation (leaking roof, no bath or shower, no indoor toilet, too dark)",
     "share"},
    {"living_space", 1, "living space per person (m²): the floor area of dwellings over their residents",
     "m² per person"},
};

sg_status sg__strlist_push(sg_ctx *ctx, sg_strlist *l, const char *opt, const char *val) {
    if (!*val) return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s needs a non-empty value", opt);
    char **ni = sg__reallocarray(l->items, l->n + 1, sizeof *ni);
    if (!ni) return sg__nomem(ctx);
    l->items = ni;
    if (!(l->items[l->n] = sg__strdup(val))) return sg__nomem(ctx);
    l->n++;
    return SG_OK;
}

void sg__options_housing_free(sg_options *o) {
    for (size_t k = 0; o->hind && k < o->nhind; k++) {
        free(o->hind[k].name);
        free(o->hind[k].field);
    }
    free(o->hind);
    o->hind = NULL;
    o->nhind = 0;
}

static sg_status bad(sg_ctx *ctx, const char *arg, const char *why) {
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                     "--housing-indicator '%s': %s (NAME=FIELD, NAME=FIELD:lower or NAME=FIELD:higher, e.g. "
                     "living_space=wfl_pp:lower)",
                     arg, why);
}

static int identifier(const char *s, size_t len) {
    if (!len || len > 40 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (size_t k = 1; k < len; k++)
        if (!(isalnum((unsigned char)s[k]) || s[k] == '_')) return 0;
    return 1;
}

/* The fields of objective10.geojson that an indicator cannot take. */
static int reserved(const char *name) {
    static const char *const r[] = {"id", "name", "total", "group", "share", "lq", "concentrated", "social_units",
                                    "social_units_per_1000", "dist_housing_m", "gap10_class", "gap10_flags",
                                    "gap10_note", "status"};
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++)
        if (strcmp(r[k], name) == 0) return 1;
    size_t n = strlen(name);
    return n >= 6 && strcmp(name + n - 6, "_worse") == 0;
}

static sg_status one(sg_ctx *ctx, sg_options *o, const char *arg, sg_hind *h) {
    const char *eq = strchr(arg, '=');
    if (!eq) return bad(ctx, arg, "no '='");
    if (!identifier(arg, (size_t)(eq - arg)))
        return bad(ctx, arg, "NAME must be an identifier of at most 40 characters (letters, digits, '_'; not "
                             "starting with a digit)");
    const char *field = eq + 1, *colon = strrchr(field, ':');
    size_t flen = colon ? (size_t)(colon - field) : strlen(field);
    int dir = -2; /* not given */
    if (colon) {
        if (strcmp(colon + 1, "lower") == 0) dir = 1;
        else if (strcmp(colon + 1, "higher") == 0) dir = 0;
        else return bad(ctx, arg, "the direction after ':' must be 'lower' or 'higher'");
    }
    if (!flen) return bad(ctx, arg, "no FIELD");
    h->name = sg__strndup(arg, (size_t)(eq - arg));
    h->field = sg__strndup(field, flen);
    if (!h->name || !h->field) return sg__nomem(ctx);
    if (reserved(h->name))
        return bad(ctx, arg, "NAME is a field of objective10.geojson already (or ends in _worse): choose another");
    const struct known *kn = NULL;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strcmp(known[k].name, h->name) == 0) kn = &known[k];
    h->definition = kn ? kn->definition : "a housing indicator per district, as given";
    h->unit = kn ? kn->unit : "as given";
    h->direction_given = dir != -2;
    if (kn && kn->dir == -1 && dir == -2)
        return bad(ctx, arg, "which way is worse is a choice for this indicator: add :lower or :higher");
    h->lower = dir != -2 ? dir : kn ? kn->dir == 1 : 0;
    if (strcmp(h->name, "overcrowding") == 0) {
        if (h->lower) return bad(ctx, arg, "more overcrowding is worse: overcrowding cannot be :lower");
        if (o->overcrowding_field)
            return bad(ctx, arg, "--overcrowding-field gives the overcrowding already: give one of the two");
        h->overcrowding = 1;
        o->overcrowding_field = sg__strdup(h->field);
        if (!o->overcrowding_field) return sg__nomem(ctx);
        if (!o->overcrowding_scale_text && !(o->overcrowding_scale_text = sg__strdup("fraction")))
            return sg__nomem(ctx);
    }
    return SG_OK;
}

sg_status sg__options_housing(sg_ctx *ctx, sg_options *o) {
    sg__options_housing_free(o);
    o->housing_margin = SG_HOUSING_MARGIN;
    if (o->housing_margin_text) {
        const char *why = "not a number";
        if (sg__parse_number(o->housing_margin_text, &o->housing_margin, &why) != SG_NUM_OK ||
            !(o->housing_margin >= 0 && o->housing_margin < 1))
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--housing-margin must be a share of the city's rate, >= 0 and < 1 (0.1: 10 %%), not "
                             "'%s'",
                             o->housing_margin_text);
        if (!o->housing_indicator_args.n)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--housing-margin applies only with --housing-indicator");
    }
    size_t n = o->housing_indicator_args.n;
    if (!n) return SG_OK;
    o->hind = calloc(n, sizeof *o->hind);
    if (!o->hind) return sg__nomem(ctx);
    o->nhind = n;
    for (size_t k = 0; k < n; k++) {
        sg_status st = one(ctx, o, o->housing_indicator_args.items[k], &o->hind[k]);
        if (st != SG_OK) return st;
        for (size_t j = 0; j < k; j++)
            if (strcmp(o->hind[j].name, o->hind[k].name) == 0)
                return bad(ctx, o->housing_indicator_args.items[k], "this NAME is given twice");
    }
    return SG_OK;
}
