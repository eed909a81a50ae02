/* Tables at a coarser level (--table-join FIELD, issue 17): the table's key
 * matches a field of the district layer (Berlin's BZRNAME: one row per
 * Bezirksregion) instead of the --id, and each row's values apply to every
 * district with that key. Only rates and shares may come from such a table:
 * a count copied to every child would count the same residents in each
 * (E_COARSE_COUNT, a usage error) unless --apportion population splits it:
 * a district gets the row's count times its own total over the sum of the
 * totals of the districts with that key (fractional counts kept, no
 * rounding). The totals must then come from a finer source (the district
 * layer or a table on the --id): a coarse --total stays E_COARSE_COUNT. The
 * sums are made in a pass over the districts before the reading loop
 * (sg__apportion_sums), so that the loop checks the apportioned values
 * (negatives, group <= total) as it checks any other. A table that matches
 * no district at all is an error (E_JOIN_NONE) whatever its level, with the
 * first keys of both sides. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_api.h>

#include "read/read_internal.h"

sg_status sg__resolve_joins(sg_ctx *ctx, sg_reader *rd, void *feature_defn, sg_where w) {
    OGRFeatureDefnH defn = feature_defn;
    sg_status st = SG_OK;
    for (size_t t = 0; t < rd->ntables; t++) {
        sg_table *tb = &rd->tables[t];
        const char *jf = tb->spec->join;
        tb->join_idx = -1;
        rd->joins[t].join_field = jf;
        if (!jf) continue;
        tb->join_idx = OGR_FD_GetFieldIndex(defn, jf);
        if (tb->join_idx >= 0) continue;
        char *lf = sg__layer_field_list(defn), *near = sg__field_suggestion(defn, NULL, 0, jf);
        sg_where wf = w;
        wf.field = jf;
        st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", wf,
                       "--table-join field of %s not found in the districts (fields: %s)%s", tb->spec->path,
                       lf ? lf : "?", near ? near : "");
        free(lf);
        free(near);
    }
    return st;
}

int sg__role_is_count(const sg_reader *rd, size_t role) { /* the --housing-indicator roles are rates */
    return role == SG_ROLE_TOTAL || role == SG_ROLE_GROUP || role == SG_ROLE_SOCIAL ||
           (role >= SG_ROLE_COUNT && role < SG_ROLE_COUNT + rd->ngroups);
}

sg_status sg__coarse_count(sg_ctx *ctx, const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    if (fs->table < 0 || !rd->tables[fs->table].spec->join || !sg__role_is_count(rd, role)) return SG_OK;
    const sg_table *tb = &rd->tables[fs->table];
    if (rd->apportion && role != SG_ROLE_TOTAL) return SG_OK;
    if (rd->apportion)
        return sg__error(ctx, SG_ERR_USAGE, "E_COARSE_COUNT",
                         (sg_where){tb->spec->path, tb->layer_name, -1, NULL, fs->name},
                         "--total field %s comes from a table joined at a coarser level (--table-join %s): "
                         "--apportion population splits a coarse count by the districts' own totals, so the total "
                         "must come from the district layer or a table on the --id",
                         fs->name, tb->spec->join);
    return sg__error(ctx, SG_ERR_USAGE, "E_COARSE_COUNT", (sg_where){tb->spec->path, tb->layer_name, -1, NULL, fs->name},
                     "%s field comes from a table joined at a coarser level (--table-join %s): one row's count would "
                     "be copied to every district with that key and count the same people in each; take counts per "
                     "district (the district layer or a table on the --id) and only rates or shares (--group-share, "
                     "--overcrowding-field, --housing-indicator) from this table, or split the counts by the "
                     "districts' totals with --apportion population",
                     fs->option, tb->spec->join);
}

int sg__role_apportioned(const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    return rd->apportion && fs->name && fs->table >= 0 && rd->joins && rd->joins[fs->table].child_total &&
           role != SG_ROLE_TOTAL && sg__role_is_count(rd, role);
}

double sg__apportion_weight(const sg_reader *rd, int t, size_t row, double child_total) {
    double sum = rd->joins[t].child_total[row];
    if (sum > 0) return child_total / sum;
    return child_total == 0 ? 0.0 : NAN;
}

/* The district's total (NaN when missing or not a number), from the layer or a table on the id. */
static double district_total(const sg_options *o, sg_reader *rd, OGRFeatureH f, int id_idx) {
    const sg_field_src *fs = &rd->fields[SG_ROLE_TOTAL];
    double v = NAN;
    const char *why = "";
    if (fs->table == -1) {
        const char *text;
        sg_cell c = {SG_CELL_NULL, NAN, NULL};
        c.kind = sg__feature_field(f, fs->idx, &c.num, &text);
        c.text = (char *)text;
        return sg__cell_number(&c, &v, &why) == SG_NUM_OK ? v : NAN;
    }
    sg_table *tb = &rd->tables[fs->table];
    char *id = sg__feature_text(f, id_idx);
    if (id && o->encoding && !sg__utf8_valid(id, NULL)) {
        char *u = sg__recode(id, o->encoding);
        if (u) {
            free(id);
            id = u;
        }
    }
    size_t row;
    int found = id && sg__keyindex_get(&tb->index, id, &row);
    free(id);
    if (!found) return NAN;
    return sg__cell_number(&tb->cells[row * (size_t)tb->ncols + (size_t)fs->idx], &v, &why) == SG_NUM_OK ? v : NAN;
}

/* Names of the roles apportioned from table t ("group, pop65"), in buf. */
static void apportioned_names(const sg_reader *rd, size_t t, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = 0;
    for (size_t r = 0; r < SG_ROLE_COUNT + rd->ngroups + rd->nhind && len < size; r++)
        if (rd->fields[r].table == (int)t && sg__role_apportioned(rd, r)) {
            int k = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", rd->fields[r].name);
            if (k > 0) len += (size_t)k;
        }
}

sg_status sg__apportion_sums(sg_ctx *ctx, const sg_options *o, sg_reader *rd, void *lyr, int id_idx) {
    if (!rd->apportion) return SG_OK;
    int any = 0;
    for (size_t t = 0; t < rd->ntables; t++) {
        if (!rd->tables[t].spec->join) continue;
        int uses = 0;
        for (size_t r = 0; r < SG_ROLE_COUNT + rd->ngroups + rd->nhind; r++)
            uses |= rd->fields[r].name && rd->fields[r].table == (int)t && r != SG_ROLE_TOTAL && sg__role_is_count(rd, r);
        if (!uses) continue;
        rd->joins[t].child_total = calloc(rd->tables[t].nrows + 1, sizeof(double));
        if (!rd->joins[t].child_total) return sg__nomem(ctx);
        any = 1;
    }
    if (!any) return SG_OK;
    size_t **nchild = calloc(rd->ntables, sizeof *nchild); /* per table and row: its districts */
    for (size_t t = 0; nchild && t < rd->ntables; t++)
        if (rd->joins[t].child_total && !(nchild[t] = calloc(rd->tables[t].nrows + 1, sizeof **nchild))) {
            for (size_t u = 0; u < t; u++) free(nchild[u]);
            free(nchild);
            nchild = NULL;
        }
    if (!nchild) return sg__nomem(ctx);
    OGRFeatureH f;
    sg__gdal_push(ctx);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr); /* the pass reads the id, join fields and total only */
    int nf = OGR_FD_GetFieldCount(defn), n = 0;
    const char **ign = calloc((size_t)nf + 2, sizeof *ign);
    for (int i = 0; ign && i < nf; i++) {
        int keep = i == id_idx || (rd->fields[SG_ROLE_TOTAL].table == -1 && i == rd->fields[SG_ROLE_TOTAL].idx);
        for (size_t t = 0; t < rd->ntables; t++) keep |= rd->joins[t].child_total && i == rd->tables[t].join_idx;
        if (!keep) ign[n++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
    }
    if (ign) {
        ign[n] = "OGR_GEOMETRY";
        OGR_L_SetIgnoredFields(lyr, ign);
    }
    OGR_L_ResetReading(lyr);
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        double tot = district_total(o, rd, f, id_idx);
        for (size_t t = 0; t < rd->ntables; t++) {
            if (!rd->joins[t].child_total) continue;
            char *key = sg__join_key(f, rd->tables[t].join_idx);
            size_t row;
            if (key && sg__keyindex_get(&rd->tables[t].index, key, &row)) {
                nchild[t][row]++;
                if (isfinite(tot) && tot >= 0) rd->joins[t].child_total[row] += tot;
            }
            free(key);
        }
        OGR_F_Destroy(f);
    }
    OGR_L_SetIgnoredFields(lyr, NULL); /* back to what the reading loop reads */
    sg__gdal_pop();
    free(ign);
    sg__ignore_other_fields(ctx, rd, lyr, id_idx);
    OGR_L_ResetReading(lyr);
    sg_status st = SG_OK;
    for (size_t t = 0; t < rd->ntables; t++) {
        sg_table *tb = &rd->tables[t];
        if (!rd->joins[t].child_total) continue;
        char names[256];
        apportioned_names(rd, t, names, sizeof names);
        for (size_t row = 0; row < tb->nrows; row++) {
            if (rd->joins[t].child_total[row] > 0 || !nchild[t][row]) continue; /* no districts: not used */
            int positive = 0; /* a row with nothing to split (all 0 or missing) is not an error */
            for (size_t r = 0; r < SG_ROLE_COUNT + rd->ngroups + rd->nhind; r++) {
                double v;
                const char *why;
                if (rd->fields[r].table == (int)t && sg__role_apportioned(rd, r) &&
                    sg__cell_number(&tb->cells[row * (size_t)tb->ncols + (size_t)rd->fields[r].idx], &v, &why) ==
                        SG_NUM_OK && v > 0)
                    positive = 1;
            }
            if (!positive) continue;
            sg__report(ctx, "E_APPORTION_ZERO", (sg_where){tb->spec->path, tb->layer_name, tb->fids[row],
                                                           tb->keys[row], tb->key},
                       "the %zu districts with %s '%s' have totals (%s) summing to 0, or none has a total: this "
                       "row's counts (%s) cannot be split in proportion to them (--apportion population)",
                       nchild[t][row], tb->spec->join, tb->keys[row] ? tb->keys[row] : "",
                       rd->fields[SG_ROLE_TOTAL].name, names);
            st = SG_ERR_DATA;
        }
    }
    for (size_t t = 0; t < rd->ntables; t++) free(nchild[t]);
    free(nchild);
    return st;
}

char *sg__join_key(void *feature, int idx) {
    char *raw = sg__feature_text(feature, idx);
    char *k = raw ? sg__trim_dup(raw) : NULL;
    free(raw);
    if (k && !*k) {
        free(k);
        k = NULL;
    }
    return k;
}

void sg__join_note_key(sg_join_info *j, const char *key) {
    if (!key || j->n_district_keys >= SG_FIRST_IDS) return;
    for (size_t k = 0; k < j->n_district_keys; k++)
        if (strcmp(j->district_keys[k], key) == 0) return;
    char **nl = sg__reallocarray(j->district_keys, j->n_district_keys + 1, sizeof *nl);
    if (!nl) return;
    j->district_keys = nl;
    if ((nl[j->n_district_keys] = sg__strdup(key))) j->n_district_keys++;
}

/* The district field whose values match the most keys of tb (over the first
 * 1000 features), for the did-you-mean of a join that matched nothing; NULL
 * when none matches any (caller frees). Rewinds lyr and lifts its ignored fields. */
static char *guess_join_field(sg_ctx *ctx, sg_table *tb, OGRLayerH lyr) {
    if (!lyr) return NULL;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(defn), best = -1;
    size_t *hits = calloc((size_t)nf + 1, sizeof *hits), bh = 0;
    if (!hits) return NULL;
    sg__gdal_push(ctx);
    OGR_L_SetIgnoredFields(lyr, NULL);
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    for (int k = 0; k < 1000 && (f = OGR_L_GetNextFeature(lyr)) != NULL; k++) {
        for (int i = 0; i < nf; i++) {
            char *key = sg__join_key(f, i);
            size_t row;
            if (key && sg__keyindex_get(&tb->index, key, &row)) hits[i]++;
            free(key);
        }
        OGR_F_Destroy(f);
    }
    sg__gdal_pop();
    for (int i = 0; i < nf; i++)
        if (hits[i] > bh) {
            bh = hits[i];
            best = i;
        }
    free(hits);
    return best >= 0 ? sg__strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, best))) : NULL;
}

void sg__join_none(sg_ctx *ctx, sg_table *tb, const sg_join_info *j, const sg_city *city, void *lyr) {
    const char *const *dk = j->join_field ? (const char *const *)j->district_keys : (const char *const *)city->id;
    size_t nd = j->join_field ? j->n_district_keys : city->n;
    size_t shown = nd < SG_FIRST_IDS ? nd : SG_FIRST_IDS;
    char *tk = sg__format_ids((const char *const *)j->unmatched_ids, j->n_unmatched_ids, j->n_unmatched_ids,
                              j->unmatched_rows, 0);
    char *dks = sg__format_ids(dk, shown, shown, j->join_field ? shown : nd, 0);
    char *field = guess_join_field(ctx, tb, lyr);
    const char *near = field || !j->n_unmatched_ids || !nd ? NULL : sg__suggest(j->unmatched_ids[0], dk, nd);
    sg__report(ctx, "E_JOIN_NONE", (sg_where){tb->spec->path, tb->layer_name, -1, NULL, tb->key},
               "none of the %zu rows matches a district: the table's %s is %s; the districts' %s is %s%s%s%s%s%s",
               tb->nrows, tb->key, tk ? tk : "?", j->join_field ? j->join_field : "id", dks ? dks : "?",
               near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "",
               field ? "; its keys are values of the districts' field " : "", field ? field : "");
    if (field) sg__hint(ctx, "did you mean --table-join %s (the table is at a coarser level: one row per %s)?", field, field);
    free(field);
    free(tk);
    free(dks);
    if (field) return;
    if (j->join_field)
        sg__hint(ctx, "--table-join names the district field whose values the table's --table-key holds (e.g. a "
                      "Bezirksregion name for a table with one row per Bezirksregion)");
    else
        sg__hint(ctx, "check that --id and --table-key hold the same codes; a table at a coarser level (one row "
                      "per larger area) joins with --table-join DISTRICT_FIELD");
}
