/* The join of the districts with their census tables: which source each
 * value field comes from, each district's id, geometry and values read and
 * checked (sg__one_district), and the report of what did not match. */
#include <math.h>
#include <stdlib.h>

#include <ogr_api.h>

#include "read/read_internal.h"

void sg__join_info_free(sg_join_info *j) {
    for (size_t i = 0; i < j->n_unmatched_ids; i++) free(j->unmatched_ids[i]);
    for (size_t i = 0; i < j->n_missing_ids; i++) free(j->missing_ids[i]);
    for (size_t i = 0; i < j->n_district_keys; i++) free(j->district_keys[i]);
    free(j->unmatched_ids);
    free(j->missing_ids);
    free(j->district_keys);
    free(j->child_total);
}

void sg__ignore_other_fields(sg_ctx *ctx, const sg_reader *rd, OGRLayerH lyr, int id_idx) {
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(defn);
    unsigned char *used = calloc((size_t)nf + 1, 1);
    const char **ign = calloc((size_t)nf + 1, sizeof *ign);
    if (used && ign) {
        if (id_idx >= 0 && id_idx < nf) used[id_idx] = 1;
        for (size_t t = 0; t < rd->ntables; t++) /* --table-join fields */
            if (rd->tables[t].join_idx >= 0 && rd->tables[t].join_idx < nf) used[rd->tables[t].join_idx] = 1;
        for (size_t r = 0; r < SG_ROLE_COUNT + rd->ngroups + rd->nhind; r++)
            if (rd->fields[r].name && rd->fields[r].table == -1 && rd->fields[r].idx >= 0 && rd->fields[r].idx < nf)
                used[rd->fields[r].idx] = 1;
        int n = 0;
        for (int i = 0; i < nf; i++)
            if (!used[i]) ign[n++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        if (n) {
            sg__gdal_push(ctx);
            OGR_L_SetIgnoredFields(lyr, ign);
            sg__gdal_pop();
        }
    }
    free(used);
    free(ign);
}

sg_status sg__resolve_field(sg_ctx *ctx, sg_reader *rd, OGRFeatureDefnH defn, size_t role,
                               const char *option, const char *name) {
    sg_field_src *fs = &rd->fields[role];
    fs->option = option;
    fs->table = -2;
    int idx = OGR_FD_GetFieldIndex(defn, name);
    if (idx >= 0) {
        fs->table = -1;
        fs->idx = idx;
        fs->name = sg__strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, idx)));
    }
    for (size_t t = 0; t < rd->ntables; t++) {
        int ti = sg__table_field(&rd->tables[t], name);
        if (ti < 0 || ti == rd->tables[t].key_idx) continue;
        if (fs->table != -2) {
            sg__warn(ctx, "W_FIELD_AMBIGUOUS", (sg_where){rd->tables[t].spec->path, NULL, -1, NULL, name},
                     "%s field also exists here; the one in %s is used", option,
                     fs->table == -1 ? rd->districts.path : rd->tables[fs->table].spec->path);
            continue;
        }
        fs->table = (int)t;
        fs->idx = sg__table_want(&rd->tables[t], ti);
        fs->name = sg__strdup(rd->tables[t].fields[ti]);
        if (fs->idx < 0) return sg__nomem(ctx);
    }
    if (fs->table != -2) return fs->name ? sg__coarse_count(ctx, rd, role) : sg__nomem(ctx);
    /* Not found: list what exists, source by source. */
    char *msg = NULL, *lf = sg__layer_field_list(defn);
    msg = sg__asprintf("%s field not found in the districts (fields: %s)", option, lf ? lf : "?");
    free(lf);
    char *near = sg__field_suggestion(defn, NULL, 0, name);
    for (size_t t = 0; msg && t < rd->ntables; t++) {
        char *tf = sg__join_names(rd->tables[t].fields, rd->tables[t].nfields);
        char *m2 = sg__asprintf("%s, nor in %s (fields: %s)", msg, rd->tables[t].spec->path, tf ? tf : "?");
        free(tf);
        free(msg);
        msg = m2;
        if (near && !*near) { /* none close in the districts: one in this table? */
            free(near);
            near = sg__field_suggestion(NULL, rd->tables[t].fields, rd->tables[t].nfields, name);
        }
    }
    if (msg && near && *near) {
        char *m2 = sg__asprintf("%s%s", msg, near);
        free(msg);
        msg = m2;
    }
    free(near);
    sg_status st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD",
                             (sg_where){rd->districts.path, rd->districts.layer, -1, NULL, name},
                             "%s", msg ? msg : "field not found");
    free(msg);
    return st;
}

/* Value of one role for the current district. Returns the parse result; for
 * SG_NUM_MISSING, *missing_why says why. A text read from the layer is
 * borrowed into *tmp (valid while f is unchanged: never free it). */
static sg_numparse role_value(const sg_reader *rd, size_t role, OGRFeatureH f, const size_t *rows,
                              const int *has_row, double *v, const char **why, sg_cell *tmp) {
    const sg_field_src *fs = &rd->fields[role];
    if (fs->table == -1) {
        const char *text;
        tmp->kind = sg__feature_field(f, fs->idx, &tmp->num, &text);
        tmp->text = (char *)text;
        return sg__cell_number(tmp, v, why);
    }
    const sg_table *t = &rd->tables[fs->table];
    if (!has_row[fs->table]) {
        *why = "no row for this district in the table";
        return SG_NUM_MISSING;
    }
    const sg_cell *c = &t->cells[rows[fs->table] * (size_t)t->ncols + (size_t)fs->idx];
    sg_numparse pr = sg__cell_number(c, v, why);
    if (pr != SG_NUM_OK || !sg__role_apportioned(rd, role)) return pr;
    /* --apportion population: the row's count x this district's total / its row's sum of totals */
    double ct = NAN;
    sg_cell ctmp = {SG_CELL_NULL, NAN, NULL};
    const char *cwhy = "";
    if (role_value(rd, SG_ROLE_TOTAL, f, rows, has_row, &ct, &cwhy, &ctmp) != SG_NUM_OK || !(ct >= 0)) {
        *why = "no total to split the coarser table's count by (--apportion population)";
        return SG_NUM_MISSING;
    }
    double w = sg__apportion_weight(rd, fs->table, rows[fs->table], ct);
    if (!isfinite(w)) {
        *why = "the districts of this key have totals summing to 0 (--apportion population)";
        return SG_NUM_MISSING;
    }
    *v *= w;
    return SG_NUM_OK;
}

static const char *role_file(const sg_reader *rd, size_t role) {
    const sg_field_src *fs = &rd->fields[role];
    return fs->table == -1 ? rd->districts.path : rd->tables[fs->table].spec->path;
}

static void add_first(char ***list, size_t *n, const char *id) {
    if (*n >= SG_FIRST_IDS) return;
    char **nl = sg__reallocarray(*list, *n + 1, sizeof *nl);
    if (!nl) return;
    *list = nl;
    nl[*n] = sg__strdup(id);
    if (nl[*n]) (*n)++;
}


static const char *skip_zeros(const char *s) {
    while (*s == '0' && s[1]) s++;
    return s;
}

void sg__report_joins(sg_ctx *ctx, sg_reader *rd, const sg_city *city, unsigned char **hasrow, void *lyr) {
    for (size_t t = 0; t < rd->ntables; t++) {
        sg_table *tb = &rd->tables[t];
        sg_join_info *j = &rd->joins[t];
        j->rows = tb->nrows;
        /* ids without leading zeros: made only when some row is unmatched */
        sg_strmap *loose = NULL;
        int loose_tried = 0;
        size_t loose_hits = 0;
        for (size_t r = 0; r < tb->nrows; r++) {
            if (tb->matched[r]) {
                j->matched_rows++;
                continue;
            }
            j->unmatched_rows++;
            add_first(&j->unmatched_ids, &j->n_unmatched_ids, tb->keys[r] ? tb->keys[r] : "");
            if (tb->keys[r] && !loose_tried && tb->join_idx < 0) { /* ids, not a --table-join field */
                loose_tried = 1;
                loose = sg__strmap_create(city->n);
                for (size_t i = 0; loose && i < city->n; i++)
                    if (city->id[i]) sg__strmap_put(loose, skip_zeros(city->id[i]), i, NULL);
            }
            if (loose && tb->keys[r] && sg__strmap_get(loose, skip_zeros(tb->keys[r]), NULL)) loose_hits++;
        }
        sg__strmap_destroy(loose);
        j->zero_matches = loose_hits;
        for (size_t i = 0; i < city->n; i++) {
            j->matched_districts += hasrow[t][i];
            if (hasrow[t][i]) continue;
            j->districts_without_row++;
            add_first(&j->missing_ids, &j->n_missing_ids, city->id[i] ? city->id[i] : "");
        }
        sg_where w = {tb->spec->path, tb->layer_name, -1, NULL, tb->key};
        int none = tb->nrows && !j->matched_rows; /* nothing joined: an error, not a run of districts without data */
        if (none) sg__join_none(ctx, tb, j, city, lyr);
        if (j->unmatched_rows && !none) {
            char *ids = sg__format_ids((const char *const *)j->unmatched_ids, j->n_unmatched_ids, j->n_unmatched_ids, j->unmatched_rows, 0);
            sg__warn(ctx, "W_ROW_WITHOUT_DISTRICT", w,
                     "%zu of %zu rows match no district and are not used: %s", j->unmatched_rows,
                     tb->nrows, ids ? ids : "");
            free(ids);
        }
        if (j->districts_without_row && !none) {
            char *ids = sg__format_ids((const char *const *)j->missing_ids, j->n_missing_ids, j->n_missing_ids, j->districts_without_row, 0);
            sg__warn(ctx, "W_DISTRICT_WITHOUT_ROW", w,
                     "%zu of %zu districts have no row in this table (kept with status no_data): %s",
                     j->districts_without_row, city->n, ids ? ids : "");
            free(ids);
        }
        if (loose_hits)
            sg__warn(ctx, "W_KEY_LEADING_ZEROS", w,
                     "%zu unmatched keys would match a district id if leading zeros were ignored: "
                     "was a key column read as a number somewhere (e.g. a Shapefile or a spreadsheet)?",
                     loose_hits);
    }
}

sg_status sg__one_district(sg_dloop *L, OGRFeatureH f, sg_geom_job *job) {
    sg_ctx *ctx = L->ctx;
    const sg_options *o = L->o;
    sg_reader *rd = L->rd;
    sg_city *city = L->city;
    sg_input_info *din = L->din;
    size_t *rows = L->rows;
    int *has = L->has;
    unsigned char **hasrow = L->hasrow;
    sg_role grole = L->grole;
    int id_idx = L->id_idx;
    if (sg__city_grow(city, 0) != 0) return sg__nomem(ctx);
    if (city->cap > L->hcap) {
        int ok = 1;
        for (size_t t = 0; t < o->ntables; t++) {
            unsigned char *p = realloc(hasrow[t], city->cap);
            if (!p) ok = 0;
            else hasrow[t] = p;
        }
        L->hcap = city->cap;
        if (!ok) return sg__nomem(ctx);
    }
    size_t i = city->n++;
    din->features++;
    city->fid[i] = OGR_F_GetFID(f);
    city->total[i] = city->group[i] = NAN;
    city->status[i] = SG_DS_OK;
    city->note[i] = NULL;
    city->geom_src[i] = city->geom[i] = NULL;
    city->name[i] = NULL;
    city->region[i] = NULL;
    city->social_units[i] = city->overcrowding[i] = NAN;
    for (size_t k = 0; k < city->nhind; k++) city->hind[i * city->nhind + k] = NAN;
    city->id[i] = sg__feature_text(f, id_idx);
    sg_where fw = {o->districts, din->layer, city->fid[i], city->id[i], NULL};
    size_t badbyte = 0;
    if (o->encoding && city->id[i] && !sg__utf8_valid(city->id[i], NULL)) { /* --encoding */
        char *u = sg__recode(city->id[i], o->encoding);
        if (u) {
            free(city->id[i]);
            city->id[i] = u;
            fw.id = u;
        }
    }
    if (city->id[i] && !sg__utf8_valid(city->id[i], &badbyte)) {
        sg_where ew = {o->districts, din->layer, city->fid[i], NULL, o->id_field};
        if (o->encoding)
            sg__report(ctx, "E_ENCODING", ew, "the id is not valid UTF-8, nor text in --encoding %s (byte %zu)",
                       o->encoding, badbyte);
        else
            sg__report(ctx, "E_ENCODING", ew, "the id is not valid UTF-8 (byte %zu): the file is probably Latin-1 "
                       "or Windows-1252 without a declared encoding: give --encoding WINDOWS-1252 (or ISO-8859-1), "
                       "or convert it to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)", badbyte);
        fw.id = NULL;
    }
    if (!city->id[i] || !*city->id[i]) {
        fw.field = o->id_field;
        sg__report(ctx, "E_NO_ID", fw, "empty id: every district needs one");
    } else {
        size_t prev;
        int rc = sg__keyindex_put(&L->seen, city->id[i], i, &prev);
        if (rc == 0) {
            fw.field = o->id_field;
            sg__report(ctx, "E_DUPLICATE_ID", fw, "duplicate id: also on fid %lld", city->fid[prev]);
        }
    }
    fw.field = NULL;
    int repaired = 0;
    char *note = NULL;
    sg__geom_emit(ctx, job, fw, &city->geom_src[i], &repaired, &note);
    if (repaired) {
        city->status[i] = SG_DS_REPAIRED;
        city->note[i] = note;
        sg__warn(ctx, "W_GEOMETRY_REPAIRED", fw, "invalid geometry repaired with GEOS MakeValid: %s",
                 note ? note : "");
    }
    /* Join: the row of each table for this id (or, --table-join, for its join field's value). */
    for (size_t t = 0; t < o->ntables; t++) {
        char *jk = rd->tables[t].join_idx >= 0 ? sg__join_key(f, rd->tables[t].join_idx) : NULL;
        const char *key = rd->tables[t].join_idx >= 0 ? jk : city->id[i];
        has[t] = key && sg__keyindex_get(&rd->tables[t].index, key, &rows[t]);
        hasrow[t][i] = (unsigned char)has[t];
        if (has[t]) rd->tables[t].matched[rows[t]] = 1;
        if (jk) sg__join_note_key(&rd->joins[t], jk);
        free(jk);
    }
    /* Text fields: the name label and the region. */
    for (int tr = 0; tr < 2; tr++) {
        const sg_field_src *fs = &rd->fields[tr ? SG_ROLE_BY : SG_ROLE_NAME];
        char **dst = tr ? &city->region[i] : &city->name[i];
        *dst = NULL;
        if (!fs->name) continue;
        if (fs->table == -1) {
            *dst = sg__feature_text(f, fs->idx);
        } else if (has[fs->table]) {
            const sg_table *tb = &rd->tables[fs->table];
            *dst = sg__cell_text(&tb->cells[rows[fs->table] * (size_t)tb->ncols + (size_t)fs->idx]);
        }
        if (o->encoding && *dst && !sg__utf8_valid(*dst, NULL)) { /* --encoding */
            char *u = sg__recode(*dst, o->encoding);
            if (u) {
                free(*dst);
                *dst = u;
            }
        }
        if (*dst && !sg__utf8_valid(*dst, &badbyte)) {
            sg__report(ctx, "E_ENCODING",
                       (sg_where){fs->table == -1 ? o->districts : rd->tables[fs->table].spec->path, NULL,
                                  city->fid[i], fw.id, fs->name},
                       "the text is not valid UTF-8 (byte %zu): %s", badbyte,
                       o->encoding ? "nor text in --encoding" : "give the file's encoding with --encoding "
                                                                 "WINDOWS-1252 (or another), or convert it to UTF-8");
            free(*dst);
            *dst = NULL;
        }
    }
    /* Optional numbers for objective 10: a missing value stays NaN and
     * does not make the district no_data; a bad one is an error. The
     * --housing-indicator ones (roles after the --groups) may be negative. */
    size_t hrole = SG_ROLE_COUNT + rd->ngroups;
    for (size_t r = SG_ROLE_SOCIAL; r < hrole + rd->nhind; r = r == SG_ROLE_OVERCROWD ? hrole : r + 1) {
        if (!rd->fields[r].name) continue;
        double ov = NAN;
        const char *why = "";
        sg_cell tmp = {SG_CELL_NULL, NAN, NULL};
        sg_numparse pr = role_value(rd, r, f, rows, has, &ov, &why, &tmp);
        sg_where vw = fw;
        vw.file = role_file(rd, r);
        vw.field = rd->fields[r].name;
        if (pr == SG_NUM_OK && r >= hrole) city->hind[i * rd->nhind + (r - hrole)] = ov;
        else if (pr == SG_NUM_OK && ov < 0) sg__report(ctx, "E_NEGATIVE", vw, "negative value %g", ov);
        else if (pr != SG_NUM_OK && pr != SG_NUM_MISSING) {
            const char *shown = tmp.kind == SG_CELL_TEXT ? tmp.text : NULL;
            const sg_field_src *ofs = &rd->fields[r];
            if (!shown && ofs->table >= 0 && has[ofs->table]) {
                const sg_table *tb = &rd->tables[ofs->table];
                const sg_cell *oc = &tb->cells[rows[ofs->table] * (size_t)tb->ncols + (size_t)ofs->idx];
                if (oc->kind == SG_CELL_TEXT) shown = oc->text;
            }
            if (ofs->table >= 0) vw.layer = rd->tables[ofs->table].layer_name;
            sg__report(ctx, "E_NOT_NUMBER", vw, "'%s' is %s", shown ? shown : "?", why);
        }
        if (pr == SG_NUM_OK && ov >= 0 && r < hrole) *(r == SG_ROLE_SOCIAL ? &city->social_units[i] : &city->overcrowding[i]) = ov;
    }
    /* Values: total, group (or share), then the --groups fields. */
    double v[SG_ROLE_COUNT] = {NAN, NAN, NAN, NAN, NAN};
    int missing = 0;
    size_t nroles = 2 + rd->ngroups;
    for (size_t k = 0; k < nroles; k++) {
        size_t r = k == 0 ? SG_ROLE_TOTAL : k == 1 ? (size_t)grole : SG_ROLE_COUNT + (k - 2);
        double gv = NAN;
        double *slot = r < SG_ROLE_COUNT ? &v[r] : &gv;
        const char *why = "";
        sg_cell tmp = {SG_CELL_NULL, NAN, NULL};
        sg_numparse pr = role_value(rd, r, f, rows, has, slot, &why, &tmp);
        sg_where vw = fw;
        vw.file = role_file(rd, r);
        vw.field = rd->fields[r].name;
        if (rd->fields[r].table >= 0) vw.layer = rd->tables[rd->fields[r].table].layer_name;
        const char *shown = tmp.kind == SG_CELL_TEXT ? tmp.text : NULL;
        if (!shown && rd->fields[r].table >= 0 && has[rd->fields[r].table]) {
            const sg_table *tb = &rd->tables[rd->fields[r].table];
            const sg_cell *c = &tb->cells[rows[rd->fields[r].table] * (size_t)tb->ncols + (size_t)rd->fields[r].idx];
            if (c->kind == SG_CELL_TEXT) shown = c->text;
        }
        if (pr == SG_NUM_MISSING) {
            missing = 1;
            *slot = NAN;
            char *n2 = sg__asprintf("%s%s%s: %s", city->note[i] && city->status[i] == SG_DS_NO_DATA ? city->note[i] : "",
                                    city->note[i] && city->status[i] == SG_DS_NO_DATA ? "; " : "",
                                    rd->fields[r].name, why);
            free(city->note[i]); /* a repair note gives way to the missing value */
            city->note[i] = n2;
            if (o->strict)
                sg__report(ctx, "E_MISSING_VALUE", vw, "%s (--strict: missing values are errors)", why);
            else
                city->status[i] = SG_DS_NO_DATA;
        } else if (pr != SG_NUM_OK) {
            sg__report(ctx, "E_NOT_NUMBER", vw, "'%s' is %s", shown ? shown : "?", why);
            *slot = NAN;
        } else if (*slot < 0) {
            sg__report(ctx, "E_NEGATIVE", vw, "negative value %g", *slot);
        } else if (r != SG_ROLE_SHARE && *slot > SG_MAX_COUNT) {
            sg__report(ctx, "E_TOO_LARGE", vw, "%g people is more than seggap accepts (%g): "
                       "a wrong field, unit or number format?", *slot, SG_MAX_COUNT);
        }
        if (r >= SG_ROLE_COUNT) city->groups[i * rd->ngroups + (r - SG_ROLE_COUNT)] = *slot;
    }
    if (grole == SG_ROLE_SHARE && isfinite(v[SG_ROLE_SHARE])) {
        double s = v[SG_ROLE_SHARE];
        L->nshares++;
        if (L->nshares == 1 || s > L->share_max) L->share_max = s;
        if (s > o->share_scale) L->shares_above++;
        if (s < 0 || s > o->share_scale) {
            sg__report(ctx, "E_SHARE_RANGE", (sg_where){role_file(rd, SG_ROLE_SHARE), NULL, city->fid[i], city->id[i], rd->fields[SG_ROLE_SHARE].name},
                       "share %g is outside [0, %g] (--share-scale %s)", s, o->share_scale,
                       o->share_scale == 1.0 ? "fraction" : "percent");
        } else {
            v[SG_ROLE_GROUP] = s / o->share_scale * v[SG_ROLE_TOTAL];
        }
    }
    city->total[i] = v[SG_ROLE_TOTAL];
    city->group[i] = v[SG_ROLE_GROUP];
    if (!missing && isfinite(v[SG_ROLE_TOTAL]) && isfinite(v[SG_ROLE_GROUP]) && v[SG_ROLE_GROUP] > v[SG_ROLE_TOTAL])
        sg__report(ctx, "E_GROUP_GT_TOTAL",
                   (sg_where){role_file(rd, grole), NULL, city->fid[i], city->id[i], rd->fields[grole].name},
                   "group count %g is larger than the total %g (field %s)", v[SG_ROLE_GROUP],
                   v[SG_ROLE_TOTAL], rd->fields[SG_ROLE_TOTAL].name);
    if (rd->ngroups && !missing && isfinite(v[SG_ROLE_TOTAL])) {
        sg_ksum gs = {0, 0};
        int all = 1;
        for (size_t g = 0; g < rd->ngroups; g++) {
            double gv = city->groups[i * rd->ngroups + g];
            if (!isfinite(gv)) all = 0;
            else sg__ksum_add(&gs, gv);
        }
        double sum = sg__ksum_get(&gs);
        sg_where tw = {o->districts, din->layer, city->fid[i], city->id[i], rd->fields[SG_ROLE_TOTAL].name};
        if (all && sum > v[SG_ROLE_TOTAL] * (1 + 1e-12) + 1e-9) {
            sg__report(ctx, "E_GROUPS_GT_TOTAL", tw, "the --groups fields sum to %.17g, more than the total %g", sum,
                       v[SG_ROLE_TOTAL]);
            sg__hint(ctx, "groups that overlap (a person counted in two) or a total from another table or year: "
                          "the --groups must be disjoint parts of the --total");
        } else if (all && o->no_remainder && sum < v[SG_ROLE_TOTAL] * (1 - 1e-12) - 1e-9) {
            sg__report(ctx, "E_GROUPS_NE_TOTAL", tw, "the --groups fields sum to %.17g, not the total %g, but "
                       "--no-remainder says they partition it", sum, v[SG_ROLE_TOTAL]);
            sg__hint(ctx, "leave out --no-remainder to keep total - sum(groups) as the group 'rest', or give all "
                          "the groups that make up the total");
        }
    }
    if (city->status[i] != SG_DS_NO_DATA && v[SG_ROLE_TOTAL] == 0) {
        city->status[i] = SG_DS_ZERO_TOTAL;
        free(city->note[i]);
        city->note[i] = sg__asprintf("%s is 0", rd->fields[SG_ROLE_TOTAL].name);
    }
    return SG_OK;
}
