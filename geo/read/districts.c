/* Reading the districts: the polygon layer, the census tables joined to it,
 * ids, counts and geometry, each checked. Every district read ends up in the
 * city (and so in the output layer) or in an error diagnostic. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <cpl_string.h>
#include <ogr_api.h>

#include "read/read.h"

#define SG_FIRST_IDS 10 /* ids quoted in a join report */
/* Largest count accepted: far above any population (the world has 8e9
 * people), so a larger one is a wrong field, unit or format; it also keeps
 * every sum of counts far from overflowing. */
#define SG_MAX_COUNT 1e12

static const char *const dstatus_names[] = {"ok", "no_data", "zero_total", "repaired_geometry"};
const char *sg__dstatus_name(sg_dstatus s) {
    return (s >= SG_DS_OK && s <= SG_DS_REPAIRED) ? dstatus_names[s] : "unknown";
}

void sg__city_free(sg_ctx *ctx, sg_city *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->id[i]);
        free(c->note[i]);
        if (c->name) free(c->name[i]);
        if (c->region) free(c->region[i]);
        if (c->geom && c->geom[i] && c->geom[i] != c->geom_src[i]) GEOSGeom_destroy_r(sg__geos(ctx), c->geom[i]);
        if (c->geom_src[i]) GEOSGeom_destroy_r(sg__geos(ctx), c->geom_src[i]);
    }
    free(c->id);
    free(c->fid);
    free(c->total);
    free(c->group);
    free(c->status);
    free(c->note);
    free(c->geom_src);
    free(c->geom);
    free(c->name);
    free(c->region);
    free(c->groups);
    free(c->social_units);
    free(c->overcrowding);
    memset(c, 0, sizeof *c);
}

/* Room for one more district (want = 0), or for `want` districts. */
static int city_grow(sg_city *c, size_t want) {
    if (want ? c->cap >= want : c->n < c->cap) return 0;
    size_t cap = want ? want : c->cap ? c->cap * 2 : 256;
#define SG__GROW(member)                                                  \
    do {                                                                  \
        void *p_ = sg__reallocarray(c->member, cap, sizeof *c->member);   \
        if (!p_) return -1;                                               \
        c->member = p_;                                                   \
    } while (0)
    SG__GROW(id);
    SG__GROW(fid);
    SG__GROW(total);
    SG__GROW(group);
    SG__GROW(status);
    SG__GROW(note);
    SG__GROW(geom_src);
    SG__GROW(geom);
    SG__GROW(name);
    SG__GROW(region);
    SG__GROW(social_units);
    SG__GROW(overcrowding);
#undef SG__GROW
    if (c->ngroups) {
        double *g = sg__reallocarray(c->groups, cap * c->ngroups, sizeof *g);
        if (!g) return -1;
        c->groups = g;
    }
    c->cap = cap;
    return 0;
}

void sg__input_info_free(sg_input_info *in) {
    free(in->path);
    free(in->layer);
    free(in->driver);
    for (int i = 0; i < in->nfiles; i++) free(in->files[i]);
    free(in->files);
    free(in->sha256);
    memset(in, 0, sizeof *in);
}

static void join_info_free(sg_join_info *j) {
    for (size_t i = 0; i < j->n_unmatched_ids; i++) free(j->unmatched_ids[i]);
    for (size_t i = 0; i < j->n_missing_ids; i++) free(j->missing_ids[i]);
    free(j->unmatched_ids);
    free(j->missing_ids);
}

void sg__reader_free(sg_reader *rd) {
    sg__input_info_free(&rd->districts);
    for (size_t t = 0; t < rd->ntables; t++) {
        sg__table_free(&rd->tables[t]);
        if (rd->joins) join_info_free(&rd->joins[t]);
    }
    free(rd->tables);
    free(rd->joins);
    for (size_t r = 0; rd->fields && r < SG_ROLE_COUNT + rd->ngroups; r++) free(rd->fields[r].name);
    free(rd->fields);
    free(rd->id_field);
    sg__crs_info_free(&rd->crs);
    memset(rd, 0, sizeof *rd);
}

/* SHA-256 of the input files, computed on a second thread while the
 * features are read: the files behind the district source (regular files
 * only, GDALGetFileList order) and each table. */
typedef struct hash_job {
    char **list;          /* files of the district source (CSL) */
    int nlist;
    const char **tables;  /* table paths */
    size_t ntables;
    char (*hex)[65];      /* nlist + ntables results */
    int *ok;
    pthread_t th;
    int started;          /* 1: th runs; 0: run synchronously at the join */
} hash_job;

static void *hash_run(void *arg) {
    hash_job *j = arg;
    for (size_t i = 0; i < (size_t)j->nlist + j->ntables; i++) {
        const char *path = i < (size_t)j->nlist ? j->list[i] : j->tables[i - (size_t)j->nlist];
        if (i < (size_t)j->nlist) {
            struct stat sb;
            if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        }
        j->ok[i] = sg__sha256_file(path, j->hex[i]) == 0;
    }
    return NULL;
}

static sg_status hash_start(sg_ctx *ctx, GDALDatasetH ds, const sg_options *o, hash_job *j) {
    memset(j, 0, sizeof *j);
    j->list = GDALGetFileList(ds);
    j->nlist = j->list ? CSLCount(j->list) : 0;
    j->ntables = o->ntables;
    j->tables = calloc(o->ntables + 1, sizeof *j->tables);
    j->hex = calloc((size_t)j->nlist + o->ntables + 1, sizeof *j->hex);
    j->ok = calloc((size_t)j->nlist + o->ntables + 1, sizeof *j->ok);
    if (!j->tables || !j->hex || !j->ok) return sg__nomem(ctx);
    for (size_t t = 0; t < o->ntables; t++) j->tables[t] = o->tables[t].path;
    /* with --threads 1 the hashes are computed at the end, on this thread */
    j->started = sg__thread_count(o->threads) > 1 && pthread_create(&j->th, NULL, hash_run, j) == 0;
    return SG_OK;
}

/* Waits for the hashes; fills in->files / in->sha256 as before. */
static sg_status hash_finish(sg_ctx *ctx, hash_job *j, sg_input_info *in) {
    if (j->started) pthread_join(j->th, NULL);
    else if (j->ok) hash_run(j);
    j->started = 0;
    sg_status st = SG_OK;
    in->files = calloc((size_t)j->nlist + 1, sizeof *in->files);
    in->sha256 = calloc((size_t)j->nlist + 1, sizeof *in->sha256);
    if (!in->files || !in->sha256 || !j->ok) st = sg__nomem(ctx);
    for (int i = 0; st == SG_OK && i < j->nlist; i++) {
        if (!j->ok[i]) continue;
        memcpy(in->sha256[in->nfiles], j->hex[i], 65);
        in->files[in->nfiles++] = sg__strdup(j->list[i]);
    }
    return st;
}

static void hash_free(hash_job *j) {
    if (j->started) pthread_join(j->th, NULL);
    CSLDestroy(j->list);
    free(j->tables);
    free(j->hex);
    free(j->ok);
    memset(j, 0, sizeof *j);
}

/* Only the fields read are converted (OGR_L_SetIgnoredFields): the id and the
 * value fields found in the district layer. */
static void ignore_other_fields(sg_ctx *ctx, const sg_reader *rd, OGRLayerH lyr, int id_idx) {
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(defn);
    unsigned char *used = calloc((size_t)nf + 1, 1);
    const char **ign = calloc((size_t)nf + 1, sizeof *ign);
    if (used && ign) {
        if (id_idx >= 0 && id_idx < nf) used[id_idx] = 1;
        for (size_t r = 0; r < SG_ROLE_COUNT + rd->ngroups; r++)
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

/* Finds the source of each value field: the district layer first, then the
 * tables in the order given. */
static sg_status resolve_field(sg_ctx *ctx, sg_reader *rd, OGRFeatureDefnH defn, size_t role,
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
    if (fs->table != -2) return fs->name ? SG_OK : sg__nomem(ctx);
    /* Not found: list what exists, source by source. */
    char *msg = NULL, *lf = sg__layer_field_list(defn);
    msg = sg__asprintf("%s field not found in the districts (fields: %s)", option, lf ? lf : "?");
    free(lf);
    for (size_t t = 0; msg && t < rd->ntables; t++) {
        char *tf = sg__join_names(rd->tables[t].fields, rd->tables[t].nfields);
        char *m2 = sg__asprintf("%s, nor in %s (fields: %s)", msg, rd->tables[t].spec->path, tf ? tf : "?");
        free(tf);
        free(msg);
        msg = m2;
    }
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
    return sg__cell_number(c, v, why);
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

static char *first_ids(char **ids, size_t n, size_t total) {
    char *s = sg__join_names(ids, (int)n);
    if (s && total > n) {
        char *s2 = sg__asprintf("%s, ...", s);
        free(s);
        s = s2;
    }
    return s;
}

static const char *skip_zeros(const char *s) {
    while (*s == '0' && s[1]) s++;
    return s;
}

/* After the join: report rows without a district, districts without a row,
 * and the likely cause when keys match once leading zeros are ignored. */
static void report_joins(sg_ctx *ctx, sg_reader *rd, const sg_city *city, unsigned char **hasrow) {
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
            if (tb->keys[r] && !loose_tried) {
                loose_tried = 1;
                loose = sg__strmap_create(city->n);
                for (size_t i = 0; loose && i < city->n; i++)
                    if (city->id[i]) sg__strmap_put(loose, skip_zeros(city->id[i]), i, NULL);
            }
            if (loose && tb->keys[r] && sg__strmap_get(loose, skip_zeros(tb->keys[r]), NULL)) loose_hits++;
        }
        sg__strmap_destroy(loose);
        for (size_t i = 0; i < city->n; i++) {
            if (hasrow[t][i]) continue;
            j->districts_without_row++;
            add_first(&j->missing_ids, &j->n_missing_ids, city->id[i] ? city->id[i] : "");
        }
        sg_where w = {tb->spec->path, tb->layer_name, -1, NULL, tb->key};
        if (j->unmatched_rows) {
            char *ids = first_ids(j->unmatched_ids, j->n_unmatched_ids, j->unmatched_rows);
            sg__warn(ctx, "W_ROW_WITHOUT_DISTRICT", w,
                     "%zu of %zu rows match no district and are not used: %s", j->unmatched_rows,
                     tb->nrows, ids ? ids : "");
            free(ids);
        }
        if (j->districts_without_row) {
            char *ids = first_ids(j->missing_ids, j->n_missing_ids, j->districts_without_row);
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

/* The reading loop's state (sg__read_city). */
typedef struct dloop {
    sg_ctx *ctx;
    const sg_options *o;
    sg_reader *rd;
    sg_city *city;
    sg_input_info *din;
    int id_idx;
    sg_keyindex seen;       /* ids so far */
    size_t *rows;           /* per table: the row of the current district */
    int *has;               /* per table: it has one */
    unsigned char **hasrow; /* per table and district */
    size_t hcap;
    sg_role grole;
} dloop;

/* One district from feature f, whose geometry was prepared and built into
 * job: id, geometry, join, values, each checked, in this order (the order of
 * the diagnostics). The caller destroys f. */
static sg_status one_district(dloop *L, OGRFeatureH f, sg_geom_job *job) {
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
    if (city_grow(city, 0) != 0) return sg__nomem(ctx);
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
    city->id[i] = sg__feature_text(f, id_idx);
    sg_where fw = {o->districts, din->layer, city->fid[i], city->id[i], NULL};
    size_t badbyte = 0;
    if (city->id[i] && !sg__utf8_valid(city->id[i], &badbyte)) {
        sg_where ew = {o->districts, din->layer, city->fid[i], NULL, o->id_field};
        sg__report(ctx, "E_ENCODING", ew, "the id is not valid UTF-8 (byte %zu): the file is probably Latin-1 "
                   "or Windows-1252; convert it to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)", badbyte);
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
    /* Join: the row of each table for this id. */
    for (size_t t = 0; t < o->ntables; t++) {
        has[t] = city->id[i] && sg__keyindex_get(&rd->tables[t].index, city->id[i], &rows[t]);
        hasrow[t][i] = (unsigned char)has[t];
        if (has[t]) rd->tables[t].matched[rows[t]] = 1;
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
        if (*dst && !sg__utf8_valid(*dst, &badbyte)) {
            sg__report(ctx, "E_ENCODING",
                       (sg_where){fs->table == -1 ? o->districts : rd->tables[fs->table].spec->path, NULL,
                                  city->fid[i], fw.id, fs->name},
                       "the text is not valid UTF-8 (byte %zu): convert the file to UTF-8", badbyte);
            free(*dst);
            *dst = NULL;
        }
    }
    /* Optional numbers for objective 10: a missing value stays NaN and
     * does not make the district no_data; a bad one is an error. */
    for (size_t r = SG_ROLE_SOCIAL; r <= SG_ROLE_OVERCROWD; r++) {
        if (!rd->fields[r].name) continue;
        double ov = NAN;
        const char *why = "";
        sg_cell tmp = {SG_CELL_NULL, NAN, NULL};
        sg_numparse pr = role_value(rd, r, f, rows, has, &ov, &why, &tmp);
        sg_where vw = fw;
        vw.file = role_file(rd, r);
        vw.field = rd->fields[r].name;
        if (pr == SG_NUM_OK && ov < 0) sg__report(ctx, "E_NEGATIVE", vw, "negative value %g", ov);
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
        if (pr == SG_NUM_OK && ov >= 0) *(r == SG_ROLE_SOCIAL ? &city->social_units[i] : &city->overcrowding[i]) = ov;
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
        if (all && sum > v[SG_ROLE_TOTAL] * (1 + 1e-12) + 1e-9)
            sg__report(ctx, "E_GROUPS_GT_TOTAL",
                       (sg_where){o->districts, din->layer, city->fid[i], city->id[i], rd->fields[SG_ROLE_TOTAL].name},
                       "the --groups fields sum to %.17g, more than the total %g", sum, v[SG_ROLE_TOTAL]);
    }
    if (city->status[i] != SG_DS_NO_DATA && v[SG_ROLE_TOTAL] == 0) {
        city->status[i] = SG_DS_ZERO_TOTAL;
        free(city->note[i]);
        city->note[i] = sg__asprintf("%s is 0", rd->fields[SG_ROLE_TOTAL].name);
    }
    return SG_OK;
}

/* ---- the reading loop: OGR on this thread, GEOS on a second one ----
 *
 * Features are read in batches. For each feature this thread exports the
 * geometry's WKB (sg__geom_prepare); a second thread, with its own GEOS
 * handle, makes the GEOS geometries of a whole batch and checks their
 * validity (sg__geom_build) while this thread reads the next batch and then
 * handles the districts of the built one in feature order (one_district, which
 * reports the geometry's result through sg__geom_emit). So every diagnostic
 * comes in the same order, with the same text, as when one thread does it all
 * (--threads 1), and the GEOS error message the context keeps is the one the
 * sequential run leaves: the worker's handle starts from the context's and
 * is copied back at the end. */

#define SG_READ_BATCH 1024

typedef struct dbatch {
    OGRFeatureH f[SG_READ_BATCH];
    sg_geom_job job[SG_READ_BATCH];
    size_t n;
    sg_bytes wkb;
    int built;          /* set by the worker (under its mutex) */
} dbatch;

typedef struct gworker {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dbatch *todo;       /* the batch to build, NULL when idle */
    int quit;
    GEOSContextHandle_t h;
    char msg[SG_GEOS_MSG_MAX]; /* the handle's last error message */
    int strict;
    double busy;        /* seconds spent building */
} gworker;

static void worker_message(const char *msg, void *userdata) {
    gworker *w = userdata;
    snprintf(w->msg, sizeof w->msg, "%s", msg ? msg : "");
}

static void build_batch(GEOSContextHandle_t h, const char *msg, int strict, dbatch *b, double *busy) {
    double t0 = sg__now();
    for (size_t k = 0; k < b->n; k++) sg__geom_build(h, msg, strict, &b->job[k], b->wkb.p);
    *busy += sg__now() - t0;
}

static void *worker_run(void *arg) {
    gworker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->todo && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
        if (!w->todo) break;
        dbatch *b = w->todo;
        pthread_mutex_unlock(&w->mu);
        build_batch(w->h, w->msg, w->strict, b, &w->busy);
        pthread_mutex_lock(&w->mu);
        b->built = 1;
        w->todo = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts the worker; 0 when it cannot (then the batches are built here). */
static int worker_start(sg_ctx *ctx, gworker *w, int strict) {
    memset(w, 0, sizeof *w);
    w->strict = strict;
    snprintf(w->msg, sizeof w->msg, "%s", sg__geos_msg(ctx));
    w->h = GEOS_init_r();
    if (!w->h) return 0;
    GEOSContext_setErrorMessageHandler_r(w->h, worker_message, w);
    GEOSContext_setNoticeMessageHandler_r(w->h, NULL, NULL);
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        GEOS_finish_r(w->h);
        return 0;
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        GEOS_finish_r(w->h);
        return 0;
    }
    if (pthread_create(&w->th, NULL, worker_run, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        GEOS_finish_r(w->h);
        return 0;
    }
    return 1;
}

static void worker_stop(sg_ctx *ctx, gworker *w) {
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    GEOS_finish_r(w->h);
    sg__set_geos_msg(ctx, w->msg);
}

/* Hands a batch to the worker, or builds it here without one. */
static void batch_submit(sg_ctx *ctx, gworker *w, dbatch *b, int strict, double *busy) {
    if (!w) {
        build_batch(sg__geos(ctx), sg__geos_msg(ctx), strict, b, busy);
        b->built = 1;
        return;
    }
    pthread_mutex_lock(&w->mu);
    while (w->todo) pthread_cond_wait(&w->cv, &w->mu);
    b->built = 0;
    w->todo = b;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void batch_wait(gworker *w, dbatch *b, double *waited) {
    if (!w) return;
    double t0 = sg__now();
    pthread_mutex_lock(&w->mu);
    while (!b->built) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    *waited += sg__now() - t0;
}

/* Reads up to SG_READ_BATCH features and prepares their geometries; stops
 * early when the run is cancelled (the caller then reports it). */
static void batch_fill(sg_ctx *ctx, OGRLayerH lyr, dbatch *b) {
    b->n = 0;
    b->wkb.len = 0;
    OGRFeatureH f;
    while (b->n < SG_READ_BATCH && !sg__cancelled(ctx) && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        b->f[b->n] = f;
        sg__geom_prepare(OGR_F_GetGeometryRef(f), &b->job[b->n], &b->wkb);
        b->n++;
    }
}

/* Frees the features and results of a batch from index k on. */
static void batch_discard(sg_ctx *ctx, dbatch *b, size_t k) {
    for (; k < b->n; k++) {
        sg__geom_job_clear(sg__geos(ctx), &b->job[k]);
        OGR_F_Destroy(b->f[k]);
    }
    b->n = 0;
}

/* Every feature of lyr into the city. Returns SG_OK or the status of the
 * first error that stops the reading (out of memory, cancelled). */
static sg_status read_loop(dloop *L, OGRLayerH lyr, int threaded, double *t_validate, double *t_wait) {
    sg_ctx *ctx = L->ctx;
    int strict = L->o->strict;
    dbatch *bb = calloc(2, sizeof *bb);
    if (!bb) return sg__nomem(ctx);
    gworker wk;
    gworker *w = threaded && worker_start(ctx, &wk, strict) ? &wk : NULL;
    double busy = 0;
    sg_status st = SG_OK;
    dbatch *cur = &bb[0], *next = &bb[1];
    batch_fill(ctx, lyr, cur);
    if (cur->n) batch_submit(ctx, w, cur, strict, &busy);
    while (cur->n) {
        batch_fill(ctx, lyr, next); /* while the worker builds cur */
        batch_wait(w, cur, t_wait);
        if (next->n) batch_submit(ctx, w, next, strict, &busy);
        size_t k = 0;
        for (; st == SG_OK && k < cur->n; k++) {
            st = one_district(L, cur->f[k], &cur->job[k]);
            OGR_F_Destroy(cur->f[k]);
        }
        if (st != SG_OK) {
            batch_discard(ctx, cur, k);
            if (next->n) batch_wait(w, next, t_wait);
            batch_discard(ctx, next, 0);
            break;
        }
        cur->n = 0;
        dbatch *t = cur;
        cur = next;
        next = t;
    }
    if (w) {
        worker_stop(ctx, w);
        busy += w->busy;
    }
    *t_validate += busy;
    free(bb[0].wkb.p);
    free(bb[1].wkb.p);
    free(bb);
    if (st == SG_OK) st = sg__check_cancel(ctx);
    return st;
}

sg_status sg__read_city(sg_ctx *ctx, const sg_options *o, sg_reader *rd, sg_city *city) {
    memset(city, 0, sizeof *city);
    sg_input_info *din = &rd->districts;
    din->path = sg__strdup(o->districts);
    rd->id_field = sg__strdup(o->id_field);
    if (!din->path || !rd->id_field) return sg__nomem(ctx);
    sg_where w = {o->districts, o->layer, -1, NULL, NULL};

    sg_status st = SG_OK;
    GDALDatasetH ds = sg__open_vector(ctx, o->districts, w, "", SG_OPEN_HINT, &st);
    if (!ds) return st;
    OGRLayerH lyr = NULL, sql_lyr = NULL;
    hash_job hj;
    memset(&hj, 0, sizeof hj);
    int hashing = 0;
    unsigned char *table_sha = NULL; /* tables whose hash is recorded */
    if (o->sql) {
        sg__gdal_push(ctx);
        lyr = sql_lyr = GDALDatasetExecuteSQL(ds, o->sql, NULL, NULL);
        sg__gdal_pop();
        if (!lyr)
            st = sg__error(ctx, SG_ERR_INPUT, "E_SQL", w, "the --sql query gave no layer: %s",
                           sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "no result set");
    } else {
        lyr = sg__choose_layer(ctx, ds, w, o->layer, NULL, "--layer", &st);
    }
    if (st != SG_OK) {
        GDALClose(ds);
        return st;
    }
    din->layer = sg__strdup(o->sql ? "SQL query" : OGR_L_GetName(lyr));
    din->driver = sg__strdup(GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    w.layer = din->layer;
    if (!din->layer || !din->driver) {
        st = sg__nomem(ctx);
        goto done;
    }
    if ((st = hash_start(ctx, ds, o, &hj)) != SG_OK) goto done;
    hashing = 1;
    if (OGR_FD_GetGeomFieldCount(OGR_L_GetLayerDefn(lyr)) == 0) {
        st = sg__error(ctx, SG_ERR_INPUT, "E_NO_GEOMETRY", w,
                       "the layer has no geometry: a table, not district polygons (a .dbf without its .shp?)");
        goto done;
    }

    st = sg__crs_input(ctx, OGR_L_GetSpatialRef(lyr), o->input_crs, w, &rd->crs);
    if (st != SG_OK) goto done;

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int id_idx = OGR_FD_GetFieldIndex(defn, o->id_field);
    if (id_idx < 0) {
        char *lf = sg__layer_field_list(defn);
        w.field = o->id_field;
        if (OGR_L_GetFeatureCount(lyr, 1) == 0)
            st = sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", w, "the layer has no features");
        else
            st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--id field not found (fields: %s)",
                           OGR_FD_GetFieldCount(defn) ? (lf ? lf : "")
                           : strcmp(din->driver, "ESRI Shapefile") == 0
                               ? "none: the layer has no attributes (a .shp without its .dbf?)"
                               : "none: the layer has no attributes");
        free(lf);
        goto done;
    }

    /* Tables: open, resolve the value fields, then load the rows needed. */
    rd->ntables = o->ntables;
    rd->tables = calloc(o->ntables + 1, sizeof *rd->tables);
    rd->joins = calloc(o->ntables + 1, sizeof *rd->joins);
    if (!rd->tables || !rd->joins) {
        st = sg__nomem(ctx);
        goto done;
    }
    double t_table = sg__now();
    for (size_t t = 0; t < o->ntables; t++)
        if ((st = sg__table_open(ctx, &o->tables[t], o->id_field, &rd->tables[t])) != SG_OK) goto done;
    t_table = sg__now() - t_table;
    rd->ngroups = o->groups.n;
    city->ngroups = o->groups.n;
    rd->fields = calloc(SG_ROLE_COUNT + rd->ngroups, sizeof *rd->fields);
    if (!rd->fields) {
        st = sg__nomem(ctx);
        goto done;
    }
    if ((st = resolve_field(ctx, rd, defn, SG_ROLE_TOTAL, "--total", o->total_field)) != SG_OK) goto done;
    if (o->name_field && (st = resolve_field(ctx, rd, defn, SG_ROLE_NAME, "--name", o->name_field)) != SG_OK)
        goto done;
    if (o->by_field && (st = resolve_field(ctx, rd, defn, SG_ROLE_BY, "--by", o->by_field)) != SG_OK) goto done;
    if (o->social_housing_field && (st = resolve_field(ctx, rd, defn, SG_ROLE_SOCIAL, "--social-housing-field",
                                                       o->social_housing_field)) != SG_OK)
        goto done;
    if (o->overcrowding_field && (st = resolve_field(ctx, rd, defn, SG_ROLE_OVERCROWD, "--overcrowding-field",
                                                     o->overcrowding_field)) != SG_OK)
        goto done;
    for (size_t g = 0; g < rd->ngroups; g++)
        if ((st = resolve_field(ctx, rd, defn, SG_ROLE_COUNT + g, "--groups", o->groups.items[g])) != SG_OK)
            goto done;
    if (o->group_field) st = resolve_field(ctx, rd, defn, SG_ROLE_GROUP, "--group", o->group_field);
    else st = resolve_field(ctx, rd, defn, SG_ROLE_SHARE, "--group-share", o->share_field);
    if (st != SG_OK) goto done;
    size_t before = sg__nerrors(ctx);
    double t0 = sg__now();
    table_sha = calloc(o->ntables + 1, 1);
    if (!table_sha) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t t = 0; t < o->ntables; t++) {
        sg_status ts = sg__table_load(ctx, &rd->tables[t]);
        if (ts != SG_OK && ts != SG_ERR_DATA) {
            st = ts;
            goto done;
        }
        table_sha[t] = 1;
    }
    if (o->ntables) sg__stage_add(ctx, "read.table", t_table + sg__now() - t0);
    double t_loop = sg__now(), t_validate = 0, t_join = 0;

    ignore_other_fields(ctx, rd, lyr, id_idx);
    GIntBig fc = OGR_L_GetFeatureCount(lyr, 1);
    if (fc > 0 && city_grow(city, (size_t)fc) != 0) {
        st = sg__nomem(ctx);
        goto done;
    }
    size_t *rows = calloc(o->ntables + 1, sizeof *rows);
    int *has = calloc(o->ntables + 1, sizeof *has);
    unsigned char **hasrow = calloc(o->ntables + 1, sizeof *hasrow);
    dloop L;
    memset(&L, 0, sizeof L);
    L.seen.expected = fc > 0 ? (size_t)fc : 256;
    double t_wait = 0;
    if (!rows || !has || !hasrow) st = sg__nomem(ctx);

    OGR_L_ResetReading(lyr);
    sg__gdal_push(ctx);
    if (st == SG_OK) {
        L.ctx = ctx;
        L.o = o;
        L.rd = rd;
        L.city = city;
        L.din = din;
        L.id_idx = id_idx;
        L.rows = rows;
        L.has = has;
        L.hasrow = hasrow;
        L.grole = o->group_field ? SG_ROLE_GROUP : SG_ROLE_SHARE;
        st = read_loop(&L, lyr, sg__thread_count(o->threads) > 1, &t_validate, &t_wait);
    }
    sg__gdal_pop();
    if (st == SG_OK && sg__gdal_msg(ctx)[0])
        st = sg__error(ctx, SG_ERR_INPUT, "E_READ", w, "read error: %s", sg__gdal_msg(ctx));
    t_loop = sg__now() - t_loop;
    double tj = sg__now();
    if (st == SG_OK) report_joins(ctx, rd, city, hasrow);
    for (size_t t = 0; t < o->ntables; t++) sg__table_drop_rows(&rd->tables[t]); /* joined: rows not needed */
    t_join += sg__now() - tj;
    /* the reading loop with the join look-ups; validate overlaps it on a second thread (validate.wait:
     * the time the loop waited for it), else it is a part of the loop */
    sg__stage_add(ctx, "read.districts", t_loop - t_wait);
    sg__stage_add(ctx, "validate", t_validate); /* on the second thread when there is one */
    if (t_wait > 0) sg__stage_add(ctx, "validate.wait", t_wait);
    if (o->ntables) sg__stage_add(ctx, "read.join", t_join);
    for (size_t t = 0; t < o->ntables; t++) free(hasrow ? hasrow[t] : NULL);
    free(hasrow);
    free(rows);
    free(has);
    sg__keyindex_free(&L.seen);
    if (st != SG_OK) goto done;
    if (city->n == 0) {
        st = sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", w, "the layer has no features");
        goto done;
    }
    /* Districts left out of the indices are listed, one warning each. */
    for (size_t i = 0; i < city->n; i++)
        if (city->status[i] == SG_DS_NO_DATA || city->status[i] == SG_DS_ZERO_TOTAL)
            sg__warn(ctx, city->status[i] == SG_DS_NO_DATA ? "W_NO_DATA" : "W_ZERO_TOTAL",
                     (sg_where){o->districts, din->layer, city->fid[i], city->id[i], NULL},
                     "excluded from the indices (%s): %s", sg__dstatus_name(city->status[i]),
                     city->note[i] ? city->note[i] : "");
    st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "input");
done:
    if (hashing) {
        double th = sg__now();
        sg_status hs = hash_finish(ctx, &hj, din);
        if (st == SG_OK) st = hs;
        for (size_t t = 0; table_sha && t < o->ntables; t++)
            if (table_sha[t] && hj.ok[hj.nlist + (int)t]) memcpy(rd->tables[t].sha256, hj.hex[hj.nlist + (int)t], 65);
        sg__stage_add(ctx, "read.hash", sg__now() - th);
    }
    hash_free(&hj);
    free(table_sha);
    if (sql_lyr) GDALDatasetReleaseResultSet(ds, sql_lyr);
    GDALClose(ds);
    return st;
}
