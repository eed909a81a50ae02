/* The check: section of the YAML config (seggap check): the baseline, the
 * per-district change limits of the validation (total, group, share), the
 * expected district changes and the thresholds on summary.json values.
 * Unknown keys and rules are errors with the line and, when one is close,
 * "did you mean". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/config_internal.h"

static int strlist_add(sg_strlist *l, const char *s) {
    char **ni = sg__reallocarray(l->items, l->n + 1, sizeof *ni);
    if (!ni) return -1;
    l->items = ni;
    l->items[l->n] = sg__strdup(s);
    return l->items[l->n] ? (int)(l->n++, 0) : -1;
}

static sg_status id_list(loader *L, const char *key, const yaml_node_t *v, sg_strlist *out) {
    if (v && v->type == YAML_SCALAR_NODE && !*sg__cfg_scalar(v)) return SG_OK; /* "expected_new_districts:" empty */
    if (!v || v->type != YAML_SEQUENCE_NODE) return sg__cfg_error(L, v, "'%s' must be a list of district ids", key);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const char *s = NULL;
        sg_status st = sg__cfg_need_scalar(L, key, sg__cfg_node(L, *it), &s);
        if (st != SG_OK) return st;
        if (strlist_add(out, s) != 0) return sg__nomem(L->ctx);
    }
    return SG_OK;
}

static sg_threshold *threshold_for(loader *L, const char *metric, int line) {
    sg_config *c = L->cfg;
    for (size_t i = 0; i < c->nthresholds; i++)
        if (strcmp(c->thresholds[i].metric, metric) == 0) return &c->thresholds[i];
    sg_threshold *nt = sg__reallocarray(c->thresholds, c->nthresholds + 1, sizeof *nt);
    if (!nt) return NULL;
    c->thresholds = nt;
    sg_threshold *t = &nt[c->nthresholds];
    t->metric = sg__strdup(metric);
    if (!t->metric) return NULL;
    c->nthresholds++;
    t->line = line;
    t->max = t->min = t->max_increase = t->max_decrease = t->alpha = NAN;
    t->max_increase_rel = t->max_decrease_rel = NAN;
    t->significant = 0;
    return t;
}

static const char *const rule_names[] = {"max", "min", "max_increase", "max_decrease", "max_increase_rel",
                                         "max_decrease_rel", "significant", "alpha"};
#define N_RULE_NAMES (sizeof rule_names / sizeof rule_names[0])
static const char threshold_rules[] =
    "max, min, max_increase, max_decrease, max_increase_rel, max_decrease_rel, significant, alpha";

/* thresholds: nested mappings and dotted keys alike: dissimilarity.max: 0.45
 * or dissimilarity: {max: 0.45}. The last part of a key path is the rule. */
static sg_status walk_thresholds(loader *L, const yaml_node_t *map, const char *prefix) {
    sg_status st = sg__cfg_check_duplicates(L, map, "in thresholds");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; st == SG_OK && p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = sg__cfg_node(L, p->key), *v = sg__cfg_node(L, p->value);
        char *full = prefix ? sg__asprintf("%s.%s", prefix, sg__cfg_scalar(k)) : sg__strdup(sg__cfg_scalar(k));
        if (!full) return sg__nomem(L->ctx);
        if (v->type == YAML_MAPPING_NODE) {
            st = walk_thresholds(L, v, full);
            free(full);
            continue;
        }
        char *dot = strrchr(full, '.');
        const char *rule = dot ? dot + 1 : full;
        int known = 0;
        for (size_t r = 0; r < N_RULE_NAMES; r++) known |= strcmp(rule, rule_names[r]) == 0;
        if (!dot || !known || dot == full) {
            const char *near = dot && dot > full ? sg__suggest(rule, rule_names, N_RULE_NAMES) : NULL;
            if (near)
                st = sg__cfg_error(L, k, "threshold '%s': unknown rule '%s' (did you mean '%s'?); the rules are %s",
                                   full, rule, near, threshold_rules);
            else
                st = sg__cfg_error(L, k,
                                   "threshold '%s': the key must end with a rule (%s), e.g. dissimilarity.max: 0.45",
                                   full, threshold_rules);
            free(full);
            break;
        }
        *dot = '\0';
        sg_threshold *t = threshold_for(L, full, sg__cfg_line(k));
        if (!t) {
            free(full);
            return sg__nomem(L->ctx);
        }
        double *slot = strcmp(rule, "max") == 0 ? &t->max : strcmp(rule, "min") == 0 ? &t->min
                     : strcmp(rule, "max_increase") == 0 ? &t->max_increase
                     : strcmp(rule, "max_decrease") == 0 ? &t->max_decrease
                     : strcmp(rule, "max_increase_rel") == 0 ? &t->max_increase_rel
                     : strcmp(rule, "max_decrease_rel") == 0 ? &t->max_decrease_rel
                     : strcmp(rule, "alpha") == 0 ? &t->alpha : NULL;
        char label[256];
        snprintf(label, sizeof label, "%s.%s", full, rule);
        if (slot) {
            if (!isnan(*slot)) st = sg__cfg_error(L, k, "threshold '%s' given twice", label);
            else st = sg__cfg_need_number(L, label, v, slot);
            if (st == SG_OK && slot == &t->alpha && !(t->alpha > 0 && t->alpha < 1))
                st = sg__cfg_error(L, v, "'%s' must be between 0 and 1", label);
            if (st == SG_OK && (slot == &t->max_increase || slot == &t->max_decrease || slot == &t->max_increase_rel ||
                                 slot == &t->max_decrease_rel) && *slot < 0)
                st = sg__cfg_error(L, v, "'%s' is a size of change and must be >= 0", label);
        } else {
            st = sg__cfg_need_bool(L, label, v, &t->significant);
        }
        free(full);
    }
    return st;
}

sg_status sg__cfg_load_check(loader *L, const yaml_node_t *map) {
    sg_config *c = L->cfg;
    if (map->type != YAML_MAPPING_NODE) return sg__cfg_error(L, map, "'check' must be a mapping, not %s", sg__cfg_type_name(map));
    sg_status st = sg__cfg_check_duplicates(L, map, "in check");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; st == SG_OK && p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = sg__cfg_node(L, p->key), *v = sg__cfg_node(L, p->value);
        const char *key = sg__cfg_scalar(k), *s = NULL;
        if (strcmp(key, "baseline") == 0) {
            if ((st = sg__cfg_need_scalar(L, "check: baseline", v, &s)) == SG_OK && !(c->baseline = sg__cfg_resolve(c, s)))
                st = sg__nomem(L->ctx);
        } else if (strcmp(key, "max_total_change") == 0) {
            if ((st = sg__cfg_need_number(L, "check: max_total_change", v, &c->max_total_change)) == SG_OK &&
                c->max_total_change < 0)
                st = sg__cfg_error(L, v, "'max_total_change' is a fraction (0.5 = 50 %%) and must be >= 0");
        } else if (strcmp(key, "max_group_change") == 0) {
            if ((st = sg__cfg_need_number(L, "check: max_group_change", v, &c->max_group_change)) == SG_OK &&
                c->max_group_change < 0)
                st = sg__cfg_error(L, v, "'max_group_change' is a fraction (0.5 = 50 %%) and must be >= 0");
        } else if (strcmp(key, "max_share_change") == 0) {
            if ((st = sg__cfg_need_number(L, "check: max_share_change", v, &c->max_share_change)) == SG_OK &&
                !(c->max_share_change >= 0 && c->max_share_change <= 1))
                st = sg__cfg_error(L, v, "'max_share_change' is a share of the total (0.2 = 20 percentage points) "
                                         "between 0 and 1");
        } else if (strcmp(key, "min_residents") == 0) {
            if ((st = sg__cfg_need_number(L, "check: min_residents", v, &c->min_residents)) == SG_OK &&
                c->min_residents < 0)
                st = sg__cfg_error(L, v, "'min_residents' is a number of persons and must be >= 0");
        } else if (strcmp(key, "alpha") == 0) {
            if ((st = sg__cfg_need_number(L, "check: alpha", v, &c->alpha)) == SG_OK && !(c->alpha > 0 && c->alpha < 1))
                st = sg__cfg_error(L, v, "'alpha' must be between 0 and 1");
        } else if (strcmp(key, "permutations") == 0) {
            long long n = 0;
            if ((st = sg__cfg_need_int(L, "check: permutations", v, 0, 1000000, &n)) == SG_OK) c->permutations = (int)n;
        } else if (strcmp(key, "fail_on_warnings") == 0) {
            st = sg__cfg_need_bool(L, "check: fail_on_warnings", v, &c->fail_on_warnings);
        } else if (strcmp(key, "expected_new_districts") == 0) {
            st = id_list(L, key, v, &c->expected_new);
        } else if (strcmp(key, "expected_missing_districts") == 0) {
            st = id_list(L, key, v, &c->expected_missing);
        } else if (strcmp(key, "thresholds") == 0) {
            if (v->type == YAML_SCALAR_NODE && !*sg__cfg_scalar(v)) continue; /* "thresholds:" with none */
            if (v->type != YAML_MAPPING_NODE)
                st = sg__cfg_error(L, v, "'thresholds' must be a mapping (e.g. dissimilarity.max: 0.45)");
            else st = walk_thresholds(L, v, NULL);
        } else {
            static const char *const keys[] = {"baseline", "max_total_change", "max_group_change", "max_share_change",
                                               "min_residents", "alpha", "permutations", "fail_on_warnings",
                                               "expected_new_districts", "expected_missing_districts", "thresholds"};
            const char *near = sg__suggest(key, keys, sizeof keys / sizeof keys[0]);
            char hint[80] = "";
            if (near) snprintf(hint, sizeof hint, "did you mean '%s'? ", near);
            st = sg__cfg_error(L, k, "unknown key '%s' in check (%sknown: baseline, max_total_change, max_group_change, "
                                     "max_share_change, min_residents, alpha, permutations, fail_on_warnings, "
                                     "expected_new_districts, expected_missing_districts, thresholds)",
                               key, hint);
        }
    }
    for (size_t i = 0; st == SG_OK && i < c->nthresholds; i++) {
        sg_threshold *t = &c->thresholds[i];
        if (isnan(t->max) && isnan(t->min) && isnan(t->max_increase) && isnan(t->max_decrease) &&
            isnan(t->max_increase_rel) && isnan(t->max_decrease_rel))
            st = sg__error(L->ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){c->path, NULL, -1, NULL, NULL},
                           "line %d: threshold '%s' has no limit (max, min, max_increase, max_decrease, max_increase_rel or max_decrease_rel)", t->line,
                           t->metric);
        else if (t->significant && c->permutations <= 0)
            st = sg__error(L->ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){c->path, NULL, -1, NULL, NULL},
                           "line %d: threshold '%s' asks for significant changes only: set check: permutations "
                           "(e.g. 199) so that changes get p-values", t->line, t->metric);
    }
    return st;
}

