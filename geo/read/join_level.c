/* Tables at a coarser level (--table-join FIELD, issue 17): the table's key
 * matches a field of the district layer (Berlin's BZRNAME: one row per
 * Bezirksregion) instead of the --id, and each row's values apply to every
 * district with that key. Only rates and shares may come from such a table:
 * a count copied to every child would count the same residents in each
 * (E_COARSE_COUNT, a usage error; splitting counts by population is not
 * done). A table that matches no district at all is an error (E_JOIN_NONE)
 * whatever its level, with the first keys of both sides. */
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

int sg__role_is_count(size_t role) {
    return role == SG_ROLE_TOTAL || role == SG_ROLE_GROUP || role == SG_ROLE_SOCIAL || role >= SG_ROLE_COUNT;
}

sg_status sg__coarse_count(sg_ctx *ctx, const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    if (fs->table < 0 || !rd->tables[fs->table].spec->join || !sg__role_is_count(role)) return SG_OK;
    const sg_table *tb = &rd->tables[fs->table];
    return sg__error(ctx, SG_ERR_USAGE, "E_COARSE_COUNT", (sg_where){tb->spec->path, tb->layer_name, -1, NULL, fs->name},
                     "%s field comes from a table joined at a coarser level (--table-join %s): one row's count would "
                     "be copied to every district with that key and count the same people in each; take counts per "
                     "district (the district layer or a table on the --id) and only rates or shares (--group-share, "
                     "--overcrowding-field) from this table",
                     fs->option, tb->spec->join);
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
