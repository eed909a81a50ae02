/* Plausibility guards on what was read (issue 15): numbers that parse and
 * pass every range check can still be the wrong answer. Each guard looks at
 * a whole field or the whole city after the reading loop:
 *   - shares on the wrong scale: every share <= 1 under --share-scale percent
 *     (E_SHARE_SCALE); shares above 1 under fraction already fail one by one
 *     (E_SHARE_RANGE): their hint says percent, once;
 *   - counts that are not whole numbers (W_NOT_INTEGER), or whose decimals
 *     are a thousands separator read as a decimal point (E_THOUSANDS_SEPARATOR:
 *     every non-whole count a multiple of 0.001 between 1 and 1000, one at
 *     least with 3 decimals, and no whole count of the field reaching 1000);
 *   - fewer than --min-joined of the districts with data (E_FEW_WITH_DATA),
 *     with the leading-zero hint when table keys match once zeros go. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/read_internal.h"

#define SG_PLAUSIBLE_SHOWN 5 /* districts named in a message, then "and N more" */

static const char *role_file(const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    return fs->table == -1 ? rd->districts.path : rd->tables[fs->table].spec->path;
}

static const char *role_layer(const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    return fs->table == -1 ? rd->districts.layer : rd->tables[fs->table].layer_name;
}

static void share_scale(sg_ctx *ctx, const sg_dloop *L) {
    const sg_options *o = L->o;
    const sg_reader *rd = L->rd;
    if (L->grole != SG_ROLE_SHARE || !L->nshares) return;
    sg_where w = {role_file(rd, SG_ROLE_SHARE), role_layer(rd, SG_ROLE_SHARE), -1, NULL,
                  rd->fields[SG_ROLE_SHARE].name};
    if (o->share_scale == 100.0 && L->nshares >= 2 && L->share_max > 0 && L->share_max <= 1) {
        sg__report(ctx, "E_SHARE_SCALE", w, "every share is at most 1 (largest %g): they look like fractions: "
                   "use --share-scale fraction", L->share_max);
        sg__hint(ctx, "if the group really is under 1 %% in every district, give its counts with --group instead");
    } else if (o->share_scale == 1.0 && L->shares_above) {
        /* each share above 1 is an E_SHARE_RANGE error of its own; the hint once */
        if (L->shares_above == L->nshares && L->share_max <= 100)
            sg__hint_code(ctx, "E_SHARE_RANGE",
                          "every share is above 1: they look like percentages: use --share-scale percent");
        else if (L->share_max <= 100)
            sg__hint_code(ctx, "E_SHARE_RANGE",
                          "%zu of %zu shares are above 1: if the field is in percent, use --share-scale percent",
                          L->shares_above, L->nshares);
    }
}

/* The value of count role r in district i (NaN when not a count read). */
static double count_of(const sg_city *c, size_t r, size_t i) {
    if (r == SG_ROLE_TOTAL) return c->total[i];
    if (r == SG_ROLE_GROUP) return c->group[i];
    return c->groups[i * c->ngroups + (r - SG_ROLE_COUNT)];
}

static int whole(double v) { return fabs(v - nearbyint(v)) <= 1e-9 * fmax(1.0, fabs(v)); }

static void count_field(sg_ctx *ctx, const sg_dloop *L, size_t r) {
    const sg_city *c = L->city;
    const sg_reader *rd = L->rd;
    if (sg__role_apportioned(rd, r)) return; /* split by the totals: fractions by construction */
    size_t nonwhole = 0, ncounts = 0;
    int thousands = 1, three = 0;
    double max_whole = 0;
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < c->n; i++) {
        double v = count_of(c, r, i);
        if (!isfinite(v) || v < 0) continue;
        ncounts++;
        if (whole(v)) {
            max_whole = fmax(max_whole, v);
            continue;
        }
        if (++nonwhole <= SG_PLAUSIBLE_SHOWN && len < sizeof list) {
            int k = snprintf(list + len, sizeof list - len, "%s%s: %.10g", len ? ", " : "", c->id[i] ? c->id[i] : "?", v);
            if (k > 0) len += (size_t)k;
        }
        /* a thousands separator read as a decimal point: v * 1000 whole, 1 <= v < 1000 */
        if (!(v >= 1 && v < 1000 && whole(v * 1000))) thousands = 0;
        else if (!whole(v * 100)) three = 1;
    }
    if (!nonwhole) return;
    if (len >= sizeof list) len = sizeof list - 1;
    char more[64] = "";
    if (nonwhole > SG_PLAUSIBLE_SHOWN) snprintf(more, sizeof more, ", and %zu more", nonwhole - SG_PLAUSIBLE_SHOWN);
    sg_where w = {role_file(rd, r), role_layer(rd, r), -1, NULL, rd->fields[r].name};
    if (thousands && three && max_whole < 1000) {
        sg__report(ctx, "E_THOUSANDS_SEPARATOR", w, "%zu of %zu counts are not whole numbers (%s%s), each with at "
                   "most 3 decimals, and no whole count reaches 1000: a thousands separator read as a decimal point "
                   "('3.114' for 3114)?", nonwhole, ncounts, list, more);
        sg__hint(ctx, "remove the thousands separators from the counts (or export the table again without them): "
                      "a count is a whole number");
    } else {
        sg__warn(ctx, "W_NOT_INTEGER", w, "%zu of %zu counts are not whole numbers (%s%s): estimates, or the wrong "
                 "field? They are used as given", nonwhole, ncounts, list, more);
    }
}

static void counts_whole(sg_ctx *ctx, const sg_dloop *L) {
    const sg_reader *rd = L->rd;
    count_field(ctx, L, SG_ROLE_TOTAL);
    if (L->grole == SG_ROLE_GROUP) count_field(ctx, L, SG_ROLE_GROUP);
    for (size_t g = 0; g < rd->ngroups; g++) {
        /* a --groups field that is also --group is checked once */
        if (L->grole == SG_ROLE_GROUP && rd->fields[SG_ROLE_COUNT + g].name && rd->fields[SG_ROLE_GROUP].name &&
            strcmp(rd->fields[SG_ROLE_COUNT + g].name, rd->fields[SG_ROLE_GROUP].name) == 0 &&
            rd->fields[SG_ROLE_COUNT + g].table == rd->fields[SG_ROLE_GROUP].table)
            continue;
        count_field(ctx, L, SG_ROLE_COUNT + g);
    }
}

static void min_joined(sg_ctx *ctx, const sg_dloop *L) {
    const sg_city *c = L->city;
    const sg_reader *rd = L->rd;
    const sg_options *o = L->o;
    size_t with = 0;
    for (size_t i = 0; i < c->n; i++) with += c->status[i] != SG_DS_NO_DATA;
    if (!c->n || (double)with >= o->min_joined * (double)c->n) return;
    char why[1024] = "";
    size_t len = 0;
    size_t zeros = 0;
    for (size_t t = 0; t < rd->ntables && len < sizeof why; t++) {
        const sg_join_info *j = &rd->joins[t];
        if (!j->districts_without_row) continue;
        int k = snprintf(why + len, sizeof why - len, "; %s: %zu districts have no row", rd->tables[t].spec->path,
                         j->districts_without_row);
        if (k > 0) len += (size_t)k;
        if (j->zero_matches && len < sizeof why) {
            k = snprintf(why + len, sizeof why - len, ", and %zu keys match a district id once leading zeros are "
                         "removed from both", j->zero_matches);
            if (k > 0) len += (size_t)k;
            zeros += j->zero_matches;
        }
    }
    sg__report(ctx, "E_FEW_WITH_DATA", (sg_where){rd->districts.path, rd->districts.layer, -1, NULL, NULL},
               "only %zu of %zu districts (%.0f %%) have data, fewer than --min-joined %g%s", with, c->n,
               100.0 * (double)with / (double)c->n, o->min_joined, why);
    if (zeros)
        sg__hint(ctx, "the table's keys lost their leading zeros (the key column was read as a number, e.g. in a "
                      "spreadsheet or a Shapefile): keep it as text, or pad the keys to the length of the ids");
    else if (len)
        sg__hint(ctx, "check that --id and --table-key hold the same codes (same year, same level); "
                      "--min-joined 0 accepts any share");
    else
        sg__hint(ctx, "counts are missing in many districts: the wrong field, or a table that belongs to another "
                      "level? --min-joined 0 accepts any share");
}

void sg__plausible(sg_ctx *ctx, const sg_dloop *L) {
    share_scale(ctx, L);
    counts_whole(ctx, L);
    min_joined(ctx, L);
}
