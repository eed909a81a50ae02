/* Census tables joined to the districts on a key (CSV or any OGR source).
 * GDAL's CSV driver detects comma/semicolon/tab separators, a UTF-8 BOM and
 * CR-only line endings, and reads every column as text: numbers are parsed
 * strictly later (parse_number.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gdal.h>
#include <ogr_api.h>

#include "read/read_internal.h"

char *sg__join_names(char *const *names, int n) {
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(names[i]) + 2;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, ", ");
        strcat(s, names[i]);
    }
    return s;
}

int sg__table_field(const sg_table *t, const char *name) {
    for (int i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i], name) == 0) return i;
    for (int i = 0; i < t->nfields; i++)
        if (strcasecmp(t->fields[i], name) == 0) return i;
    return -1;
}

int sg__table_want(sg_table *t, int field_idx) {
    for (int k = 0; k < t->ncols; k++)
        if (t->cols[k] == field_idx) return k;
    int *nc = sg__reallocarray(t->cols, (size_t)t->ncols + 1, sizeof *nc);
    if (!nc) return -1;
    t->cols = nc;
    t->cols[t->ncols] = field_idx;
    return t->ncols++;
}

sg_status sg__table_open(sg_ctx *ctx, const sg_table_spec *spec, const char *default_key,
                         sg_table *t) {
    memset(t, 0, sizeof *t);
    t->spec = spec;
    t->key_idx = -1;
    t->join_idx = -1; /* the id, until sg__resolve_joins */
    sg_where w = {spec->path, spec->layer, -1, NULL, NULL};
    GDALDatasetH ds = sg__ogr_open(ctx, spec->path);
    char why[SG_GDAL_MSG_MAX + 64];
    struct stat sb;
    if (!ds && sg__vsi_why(ctx, spec->path, why, sizeof why))
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "cannot open census table: %s", why);
    if (!ds && strncmp(spec->path, "/vsi", 4) != 0 && strncmp(spec->path, "PG:", 3) != 0 && stat(spec->path, &sb) != 0)
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "cannot open census table: no such file");
    if (!ds) {
        const char *hint = sg__file_hint(spec->path);
        return sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "cannot open census table: %s",
                         hint ? hint : sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx)
                                                        : "not a readable table (a CSV needs a header line and "
                                                          "comma, semicolon or tab separators)");
    }
    t->ds = ds;
    sg_status nul = sg__csv_nul_check(ctx, ds, w);
    if (nul != SG_OK) return nul;
    snprintf(t->driver, sizeof t->driver, "%s", GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    OGRLayerH lyr = NULL;
    int nl = GDALDatasetGetLayerCount(ds);
    if (spec->layer) {
        lyr = GDALDatasetGetLayerByName(ds, spec->layer);
        if (!lyr) {
            char *list = sg__layer_names(ds);
            sg_status st = sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w,
                                     "no such layer (layers: %s)", list ? list : "?");
            free(list);
            return st;
        }
    } else if (nl >= 1) {
        lyr = GDALDatasetGetLayer(ds, 0);
        if (nl > 1)
            sg__warn(ctx, "W_TABLE_FIRST_LAYER", w, "has %d layers; using the first, '%s' "
                     "(choose with --table-layer)", nl, OGR_L_GetName(lyr));
    }
    if (!lyr) return sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w, "has no layer");
    t->lyr = lyr;
    t->layer_name = sg__strdup(OGR_L_GetName(lyr));
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    t->nfields = OGR_FD_GetFieldCount(defn);
    t->fields = calloc((size_t)t->nfields + 1, sizeof *t->fields);
    if (!t->fields || !t->layer_name) return sg__nomem(ctx);
    for (int i = 0; i < t->nfields; i++) {
        t->fields[i] = sg__strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (!t->fields[i]) return sg__nomem(ctx);
    }
    const char *key = spec->key ? spec->key : default_key;
    t->key_idx = sg__table_field(t, key);
    w.layer = t->layer_name;
    w.field = key;
    if (t->key_idx < 0) {
        char *list = sg__join_names(t->fields, t->nfields), *near = sg__field_suggestion(NULL, t->fields, t->nfields, key);
        sg_status st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w,
                                 "key field not found (fields: %s)%s%s", list ? list : "?",
                                 near ? near : "", spec->key ? "" : "; name it with --table-key");
        free(list);
        free(near);
        return st;
    }
    t->key = sg__strdup(t->fields[t->key_idx]);
    return t->key ? SG_OK : sg__nomem(ctx);
}

/* The white space sg__trim_dup removes. */
static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* sg__cell_text of field idx, copied into the table's arena; NULL for a null
 * field. Sets *nomem when out of memory. */
static char *key_text(sg_table *t, OGRFeatureH f, int idx, int *nomem) {
    double num;
    const char *text;
    sg_cell_kind k = sg__feature_field(f, idx, &num, &text);
    if (k == SG_CELL_NULL) return NULL;
    char *key;
    if (k == SG_CELL_TEXT) {
        while (is_space((unsigned char)*text)) text++;
        size_t n = strlen(text);
        while (n > 0 && is_space((unsigned char)text[n - 1])) n--;
        key = sg__arena_strndup(&t->text, text, n);
    } else {
        sg_cell c = {SG_CELL_NUM, num, NULL};
        char *tmp = sg__cell_text(&c);
        key = tmp ? sg__arena_strdup(&t->text, tmp) : NULL;
        free(tmp);
    }
    if (!key) *nomem = 1;
    return key;
}

/* Only the key and the requested columns are read (OGR_L_SetIgnoredFields):
 * a wide table's other columns are not even converted. */
static void ignore_other_fields(sg_ctx *ctx, sg_table *t) {
    char **ign = calloc((size_t)t->nfields + 1, sizeof *ign);
    if (!ign) return;
    int n = 0;
    for (int i = 0; i < t->nfields; i++) {
        int used = i == t->key_idx;
        for (int k = 0; !used && k < t->ncols; k++) used = t->cols[k] == i;
        if (!used) ign[n++] = t->fields[i];
    }
    if (n) {
        sg__gdal_push(ctx);
        OGR_L_SetIgnoredFields(t->lyr, (const char **)ign);
        sg__gdal_pop();
    }
    free(ign);
}

sg_status sg__table_load(sg_ctx *ctx, sg_table *t) {
    OGRLayerH lyr = t->lyr;
    size_t before = sg__nerrors(ctx);
    ignore_other_fields(ctx, t);
    /* The row count when the driver knows it cheaply (not CSV: it would
     * parse the whole file once more); else the arrays grow. */
    GIntBig fc = OGR_L_GetFeatureCount(lyr, 0);
    size_t cap = fc > 0 ? (size_t)fc : 1024;
    t->keys = calloc(cap, sizeof *t->keys);
    t->fids = calloc(cap, sizeof *t->fids);
    t->cells = calloc(cap * (size_t)(t->ncols ? t->ncols : 1), sizeof *t->cells);
    t->index.expected = cap;
    if (!t->keys || !t->fids || !t->cells) return sg__nomem(ctx);
    sg_where w = {t->spec->path, t->layer_name, -1, NULL, t->key};
    OGR_L_ResetReading(lyr);
    sg__gdal_push(ctx);
    OGRFeatureH f;
    sg_status st = SG_OK;
    size_t nbad = 0, badoff = 0; /* keys that are not UTF-8: one error for all */
    size_t ndup = 0, nkeys = 0;   /* rows that repeat a key, distinct keys */
    long long badfid = -1;
    while ((st = sg__check_cancel(ctx)) == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        if (t->nrows == cap) {
            size_t ncap = cap * 2;
            char **nk = sg__reallocarray(t->keys, ncap, sizeof *nk);
            if (nk) t->keys = nk;
            long long *nf = sg__reallocarray(t->fids, ncap, sizeof *nf);
            if (nf) t->fids = nf;
            sg_cell *ncl = sg__reallocarray(t->cells, ncap * (size_t)(t->ncols ? t->ncols : 1),
                                            sizeof *ncl);
            if (ncl) t->cells = ncl;
            if (!nk || !nf || !ncl) {
                OGR_F_Destroy(f);
                st = sg__nomem(ctx);
                break;
            }
            cap = ncap;
        }
        size_t r = t->nrows;
        w.fid = OGR_F_GetFID(f);
        int nomem = 0;
        char *key = key_text(t, f, t->key_idx, &nomem);
        for (int k = 0; k < t->ncols; k++) {
            sg_cell *c = &t->cells[r * (size_t)t->ncols + (size_t)k];
            const char *text;
            c->kind = sg__feature_field(f, t->cols[k], &c->num, &text);
            c->text = NULL;
            if (c->kind == SG_CELL_TEXT && !(c->text = sg__arena_strdup(&t->text, text))) {
                c->kind = SG_CELL_NULL;
                nomem = 1;
            }
        }
        t->keys[r] = key;
        t->fids[r] = w.fid;
        t->nrows++;
        OGR_F_Destroy(f);
        if (nomem) {
            st = sg__nomem(ctx);
            break;
        }
        if (!key || !*key) {
            sg__report(ctx, "E_EMPTY_KEY", w, "empty key: this row cannot be joined");
            continue;
        }
        size_t badbyte = 0;
        if (t->encoding && !sg__utf8_valid(key, NULL)) { /* --encoding */
            char *u = sg__recode(key, t->encoding);
            char *k2 = u ? sg__arena_strdup(&t->text, u) : NULL;
            free(u);
            if (k2) t->keys[r] = key = k2;
        }
        if (!sg__utf8_valid(key, &badbyte)) {
            if (nbad++ == 0) {
                badfid = w.fid;
                badoff = badbyte;
            }
            continue;
        }
        size_t prev = 0;
        int rc = sg__keyindex_put(&t->index, key, r, &prev);
        if (rc < 0) {
            st = sg__nomem(ctx);
            break;
        }
        if (rc == 0)
            sg__report(ctx, "E_DUPLICATE_KEY", w, "key '%s' also on row with fid %lld: "
                       "a key must identify one row", key, t->fids[prev]);
        if (rc == 0) ndup++;
        else nkeys++;
    }
    sg__gdal_pop();
    if (st != SG_OK) return st;
    if (nbad) {
        w.fid = badfid;
        if (t->encoding)
            sg__report(ctx, "E_ENCODING", w, "the key is not valid UTF-8, nor text in --encoding %s (byte %zu)%s",
                       t->encoding, badoff, nbad > 1 ? " and so are the keys of other rows" : "");
        else
            sg__report(ctx, "E_ENCODING", w, "the key is not valid UTF-8 (byte %zu)%s: the table is probably Latin-1 "
                       "or Windows-1252 without a declared encoding: give --encoding WINDOWS-1252 (or ISO-8859-1), "
                       "or convert it to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)", badoff,
                       nbad > 1 ? " and so are the keys of other rows" : "");
        w.fid = -1;
    }
    if (ndup && 2 * ndup >= nkeys && nkeys >= 2) { /* issue 15 item 9: most keys repeat: a long-format table */
        char *fl = sg__join_names(t->fields, t->nfields);
        w.fid = -1;
        sg__report(ctx, "E_LONG_FORMAT", w, "%zu of %zu rows repeat a key (%zu keys, %.1f rows each): this table has "
                   "one row per district and group (long format); pivot it to one row per district with one column "
                   "per group (a spreadsheet's pivot table, tidyr::pivot_wider, pandas.pivot) and name the columns "
                   "with --total and --group (fields now: %s)", ndup, ndup + nkeys, nkeys,
                   (double)(ndup + nkeys) / (double)nkeys, fl ? fl : "?");
        free(fl);
    }
    if (sg__gdal_msg(ctx)[0])
        return sg__error(ctx, SG_ERR_INPUT, "E_READ", w, "read error: %s", sg__gdal_msg(ctx));
    t->matched = calloc(t->nrows ? t->nrows : 1, 1);
    if (!t->matched) return sg__nomem(ctx);
    return sg__fail_if_errors(ctx, before, SG_ERR_DATA, "table");
}

void sg__table_drop_rows(sg_table *t) {
    if (!t) return;
    if (t->ds) GDALClose(t->ds);
    t->ds = t->lyr = NULL;
    free(t->keys);
    free(t->fids);
    free(t->cells);
    free(t->matched);
    t->keys = NULL;
    t->fids = NULL;
    t->cells = NULL;
    t->matched = NULL;
    sg__arena_free(&t->text);
    sg__keyindex_free(&t->index);
}

void sg__table_free(sg_table *t) {
    if (!t) return;
    sg__table_drop_rows(t); /* keys and cell texts live in t->text */
    for (int i = 0; t->fields && i < t->nfields; i++) free(t->fields[i]);
    free(t->fields);
    free(t->cols);
    free(t->key);
    free(t->layer_name);
    memset(t, 0, sizeof *t);
}
