/* summary.json (json-c) and the one-screen text summary. Both are built
 * from the run; nothing is recomputed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "write/write.h"

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
/* Non-finite numbers become null: JSON has no NaN. */
static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *str_array(char **items, size_t n) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) json_object_array_add(a, jstr(items[i]));
    return a;
}

static json_object *field_obj(const sg_reader *rd, size_t r) {
    const sg_field_src *fs = &rd->fields[r];
    if (!fs->name) return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", jstr(fs->name));
    json_object_object_add(o, "source", jstr(fs->table < 0 ? rd->districts.path : rd->tables[fs->table].spec->path));
    return o;
}

static json_object *index_obj(double value, const char *desc) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "value", jnum(value));
    json_object_object_add(o, "description", jstr(desc));
    return o;
}

/* An index the run's null cannot move (the aspatial ones under the geographic
 * null): p_value null and why. */
static void index_null_note(json_object *io, const sg_global *g, const sg_options *o) {
    if (!g->invariant) return;
    json_object_object_add(io, "p_value", NULL);
    char note[80];
    snprintf(note, sizeof note, "invariant under the %s null", sg__null_name(o->null_model));
    json_object_object_add(io, "note", jstr(note));
}

/* summary.json -> inference: the null of the permutation test. */
static void inference_json(json_object *root, const sg_options *o) {
    if (o->permutations <= 0) return;
    json_object *inf = json_object_new_object();
    json_object_object_add(inf, "permutations", json_object_new_int(o->permutations));
    json_object_object_add(inf, "null", jstr(sg__null_name(o->null_model)));
    json_object_object_add(inf, "description", jstr(sg__null_describe(o->null_model)));
    /* a whole number below 2^53 (checked by the options): written as one, 3 not 3.0 */
    json_object_object_add(inf, "seed", json_object_new_int64((int64_t)o->seed));
    json_object_object_add(root, "inference", inf);
}

static json_object *build(sg_ctx *ctx, const struct sg_run *run) {
    const sg_reader *rd = &run->rd;
    const sg_city *city = &run->city;
    json_object *root = json_object_new_object();

    json_object *tool = json_object_new_object();
    json_object_object_add(tool, "name", jstr("seggap"));
    json_object_object_add(tool, "version", jstr(SG_VERSION_STRING));
    json_object_object_add(root, "tool", tool);
    json_object_object_add(root, "command", jstr("analyze"));
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        json_object_object_add(root, "created", jstr(when));

    /* inputs */
    json_object *inputs = json_object_new_object();
    json_object *d = json_object_new_object();
    json_object_object_add(d, "path", jstr(rd->districts.path));
    json_object_object_add(d, "layer", jstr(rd->districts.layer));
    json_object_object_add(d, "driver", jstr(rd->districts.driver));
    json_object_object_add(d, "features", json_object_new_int64(rd->districts.features));
    json_object *flds = json_object_new_object();
    json_object_object_add(flds, "id", jstr(rd->id_field));
    json_object_object_add(flds, "total", field_obj(rd, SG_ROLE_TOTAL));
    if (rd->fields[SG_ROLE_GROUP].name) json_object_object_add(flds, "group", field_obj(rd, SG_ROLE_GROUP));
    if (rd->fields[SG_ROLE_NAME].name) json_object_object_add(flds, "name", field_obj(rd, SG_ROLE_NAME));
    if (rd->ngroups) {
        json_object *ga = json_object_new_array();
        for (size_t g = 0; g < rd->ngroups; g++) json_object_array_add(ga, field_obj(rd, SG_ROLE_COUNT + g));
        json_object_object_add(flds, "groups", ga);
        json_object_object_add(flds, "remainder_group", json_object_new_boolean(!run->opts->no_remainder));
    }
    if (rd->fields[SG_ROLE_SHARE].name) {
        json_object *so = field_obj(rd, SG_ROLE_SHARE);
        json_object_object_add(so, "scale", jstr(run->opts->share_scale == 1.0 ? "fraction" : "percent"));
        json_object_object_add(flds, "group_share", so);
    }
    json_object_object_add(d, "fields", flds);
    json_object *files = json_object_new_array();
    for (int i = 0; i < rd->districts.nfiles; i++) {
        json_object *fo = json_object_new_object();
        json_object_object_add(fo, "path", jstr(rd->districts.files[i]));
        json_object_object_add(fo, "sha256", jstr(rd->districts.sha256[i]));
        json_object_array_add(files, fo);
    }
    json_object_object_add(d, "files", files);
    json_object_object_add(inputs, "districts", d);
    json_object *tables = json_object_new_array();
    for (size_t t = 0; t < rd->ntables; t++) {
        const sg_table *tb = &rd->tables[t];
        const sg_join_info *j = &rd->joins[t];
        json_object *to = json_object_new_object();
        json_object_object_add(to, "path", jstr(tb->spec->path));
        json_object_object_add(to, "layer", jstr(tb->layer_name));
        json_object_object_add(to, "driver", jstr(tb->driver));
        json_object_object_add(to, "key", jstr(tb->key));
        json_object_object_add(to, "join_field", jstr(j->join_field)); /* --table-join: a coarser level; null: the id */
        if (j->child_total) /* --apportion population: its counts split by the districts' totals */
            json_object_object_add(to, "apportioned", jstr("population"));
        json_object_object_add(to, "sha256", tb->sha256[0] ? jstr(tb->sha256) : NULL);
        json_object_object_add(to, "rows", json_object_new_int64((int64_t)j->rows));
        json_object_object_add(to, "matched_rows", json_object_new_int64((int64_t)j->matched_rows));
        json_object_object_add(to, "rows_without_district", json_object_new_int64((int64_t)j->unmatched_rows));
        json_object_object_add(to, "rows_without_district_first_ids", str_array(j->unmatched_ids, j->n_unmatched_ids));
        json_object_object_add(to, "matched_districts", json_object_new_int64((int64_t)j->matched_districts));
        json_object_object_add(to, "districts_without_row", json_object_new_int64((int64_t)j->districts_without_row));
        json_object_object_add(to, "districts_without_row_first_ids", str_array(j->missing_ids, j->n_missing_ids));
        json_object_array_add(tables, to);
    }
    json_object_object_add(inputs, "tables", tables);
    json_object_object_add(root, "inputs", inputs);

    /* crs */
    json_object *crs = json_object_new_object();
    json_object *ci = json_object_new_object();
    json_object_object_add(ci, "name", jstr(rd->crs.src_name));
    json_object_object_add(ci, "id", jstr(rd->crs.src_id));
    json_object_object_add(crs, "input", ci);
    json_object *cw = json_object_new_object();
    json_object_object_add(cw, "name", jstr(rd->crs.work_name));
    json_object_object_add(cw, "id", jstr(rd->crs.work_id));
    json_object_object_add(cw, "how", jstr(rd->crs.work_how));
    json_object_object_add(cw, "reprojected", json_object_new_boolean(rd->crs.reprojected));
    json_object_object_add(crs, "working", cw);
    json_object_object_add(crs, "output", jstr("EPSG:4326 longitude/latitude (RFC 7946)"));
    json_object_object_add(root, "crs", crs);

    /* districts */
    json_object *dist = json_object_new_object();
    json_object_object_add(dist, "read", json_object_new_int64((int64_t)city->n));
    json_object_object_add(dist, "used", json_object_new_int64((int64_t)run->used));
    size_t by[4] = {0, 0, 0, 0};
    json_object *excl = json_object_new_array(), *rep = json_object_new_array();
    for (size_t i = 0; i < city->n; i++) {
        by[city->status[i]]++;
        if (city->status[i] == SG_DS_OK) continue;
        json_object *e = json_object_new_object();
        json_object_object_add(e, "id", jstr(city->id[i]));
        json_object_object_add(e, "fid", json_object_new_int64(city->fid[i]));
        json_object_object_add(e, "status", jstr(sg__dstatus_name(city->status[i])));
        json_object_object_add(e, "reason", jstr(city->note[i]));
        json_object_array_add(city->status[i] == SG_DS_REPAIRED ? rep : excl, e);
    }
    json_object_object_add(dist, "excluded_count", json_object_new_int64((int64_t)run->excluded));
    json_object_object_add(dist, "excluded", excl);
    json_object_object_add(dist, "repaired", rep);
    json_object *bs = json_object_new_object();
    for (int s = 0; s < 4; s++) json_object_object_add(bs, sg__dstatus_name((sg_dstatus)s), json_object_new_int64((int64_t)by[s]));
    json_object_object_add(dist, "by_status", bs);
    json_object_object_add(root, "districts", dist);

    json_object *pop = json_object_new_object();
    json_object_object_add(pop, "total", jnum(run->idx.total));
    json_object_object_add(pop, "group", jnum(run->idx.group));
    json_object_object_add(pop, "group_share", jnum(run->idx.share));
    json_object_object_add(pop, "note", jstr("over the districts used in the indices"));
    json_object_object_add(root, "population", pop);

    json_object *ind = json_object_new_object();
    for (size_t i = 0; i < run->res.ng; i++) {
        const sg_global *g = &run->res.g[i];
        json_object *io = index_obj(g->value, g->description);
        if (g->detail) json_object_object_add(io, "detail", jstr(g->detail));
        if (isfinite(g->null_mean)) {
            json_object_object_add(io, "p_value", jnum(g->p_value));
            if (!isfinite(g->p_value))
                json_object_object_add(io, "p_value_note",
                                       jstr("the null has no spread: this value does not depend on where people live"));
            json_object_object_add(io, "null_mean", jnum(g->null_mean));
            json_object_object_add(io, "null_sd", jnum(g->null_sd));
        }
        index_null_note(io, g, run->opts);
        if (isfinite(g->ci_low)) {
            json_object *cia = json_object_new_array();
            json_object_array_add(cia, jnum(g->ci_low));
            json_object_array_add(cia, jnum(g->ci_high));
            json_object_object_add(io, "ci", cia);
        }
        json_object_object_add(ind, g->name, io);
    }
    json_object_object_add(root, "indices", ind);
    inference_json(root, run->opts);
    if (run->regions) json_object_object_add(root, "regions", sg__regions_json(run->regions));
    if (run->profile) json_object_object_add(root, "profile", sg__profile_json(run->profile));
    if (run->access) json_object_object_add(root, "access", sg__access_json(run->access));

    json_object *outs = json_object_new_object();
    if (run->districts_path) json_object_object_add(outs, "districts", jstr(run->districts_path)); /* --layers */
    json_object_object_add(outs, "summary", jstr(run->summary_path));
    json_object_object_add(root, "outputs", outs);
    if (run->gaps) sg__gaps_json(run, root, outs); /* objective5, objective10, housing; their files */

    json_object *warns = json_object_new_array();
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++) {
        const sg_diag *dg = sg_ctx_diag(ctx, i);
        if (dg->severity != SG_SEV_WARNING) continue;
        json_object *wo = json_object_new_object();
        json_object_object_add(wo, "code", jstr(dg->code));
        json_object_object_add(wo, "message", jstr(dg->message));
        if (*dg->file) json_object_object_add(wo, "file", jstr(dg->file));
        if (*dg->layer) json_object_object_add(wo, "layer", jstr(dg->layer));
        if (dg->fid >= 0) json_object_object_add(wo, "fid", json_object_new_int64(dg->fid));
        if (*dg->id) json_object_object_add(wo, "id", jstr(dg->id));
        if (*dg->field) json_object_object_add(wo, "field", jstr(dg->field));
        json_object_array_add(warns, wo);
    }
    json_object_object_add(root, "warnings", warns);
    return root;
}

/* "wrote": the --out folder once, then every file the run wrote
 * (districts.geojson, its written list, summary.json) by its name under the
 * folder, wrapped. */
static void wrote_line(FILE *m, const struct sg_run *run) {
    const char *dir = run->out_dir;
    size_t dl = dir ? strlen(dir) : 0;
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    fprintf(m, "  wrote       %.*s/\n", (int)dl, dir ? dir : "");
    size_t col = 0;
    size_t nw = run->written.nfiles;
    for (size_t f = 0; f < nw + 2; f++) { /* districts.geojson, the written list, summary.json */
        const char *p = f == 0 ? run->districts_path : f <= nw ? run->written.files[f - 1] : run->summary_path;
        if (!p) continue;
        if (f == 0)
            for (size_t k = 0; k < nw && p; k++)
                if (strcmp(run->written.files[k], p) == 0) p = NULL; /* listed in its place */
        if (!p) continue;
        if (dl && strncmp(p, dir, dl) == 0 && p[dl] == '/') p += dl + 1; /* else: the whole path */
        size_t len = strlen(p);
        if (col && col + 2 + len > 100) {
            fputs(",\n", m);
            col = 0;
        }
        if (col) {
            fputs(", ", m);
            col += 2;
        } else {
            fputs("              ", m);
            col = 14;
        }
        fputs(p, m);
        col += len;
    }
    if (col) fputc('\n', m);
}

static char *text_summary(sg_ctx *ctx, const struct sg_run *run) {
    const sg_reader *rd = &run->rd;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "seggap %s analyze\n", SG_VERSION_STRING);
    fprintf(m, "  districts   %s (layer %s, %s): %zu read, %zu used, %zu excluded\n", rd->districts.path,
            rd->districts.layer, rd->districts.driver, run->city.n, run->used, run->excluded);
    for (size_t t = 0; t < rd->ntables; t++) {
        const sg_join_info *j = &rd->joins[t];
        if (j->join_field) /* a coarser level: parents and children */
            fprintf(m, "  table       %s: %zu of %zu %s rows matched %zu districts (on their %s), %zu districts "
                    "without row%s\n", rd->tables[t].spec->path, j->matched_rows, j->rows, rd->tables[t].key,
                    j->matched_districts, j->join_field, j->districts_without_row,
                    j->child_total ? ", counts apportioned by population (by the districts' totals)" : "");
        else
            fprintf(m, "  table       %s: %zu rows on key %s, %zu joined, %zu without district, "
                    "%zu districts without row\n", rd->tables[t].spec->path, j->rows,
                    rd->tables[t].key, j->matched_rows, j->unmatched_rows, j->districts_without_row);
    }
    fprintf(m, "  input CRS   %s%s%s%s\n", rd->crs.src_name, rd->crs.src_id ? " (" : "",
            rd->crs.src_id ? rd->crs.src_id : "", rd->crs.src_id ? ")" : "");
    fprintf(m, "  working CRS %s%s%s%s: %s\n", rd->crs.work_name, rd->crs.work_id ? " (" : "",
            rd->crs.work_id ? rd->crs.work_id : "", rd->crs.work_id ? ")" : "", rd->crs.work_how);
    fprintf(m, "  population  %.0f, group %.0f (%.1f %%)\n", run->idx.total, run->idx.group, 100 * run->idx.share);
    fprintf(m, "  indices\n");
    for (size_t i = 0; i < run->res.ng; i++) {
        const sg_global *g = &run->res.g[i];
        fprintf(m, "    %-40s %10.4f", g->name, g->value);
        if (isfinite(g->p_value)) fprintf(m, "   p = %.3f", g->p_value);
        fputc('\n', m);
    }
    if (run->access) {
        char *at = sg__access_text(run->access);
        if (at) fputs(at, m);
        free(at);
    }
    if (run->gaps) sg__gaps_text(run, m);
    size_t nw = sg_ctx_count(ctx, SG_SEV_WARNING);
    if (nw) fprintf(m, "  warnings    %zu (on stderr and in summary.json)\n", nw);
    wrote_line(m, run);
    fclose(m);
    return buf;
}

sg_status sg__write_summary(sg_ctx *ctx, struct sg_run *run, const char *path) {
    json_object *root = build(ctx, run);
    if (!root) return sg__nomem(ctx);
    const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE |
                                                               JSON_C_TO_STRING_SPACED);
    run->summary_json = txt ? sg__asprintf("%s\n", txt) : NULL;
    json_object_put(root);
    run->summary_text = text_summary(ctx, run);
    /* A connection string as an input path keeps no password (pg.c). */
    char *safe_json = sg__redact(run->summary_json), *red_text = sg__redact(run->summary_text);
    char *safe_text = sg__escape_controls(red_text, 1); /* printed on a terminal: ids, names, paths */
    free(red_text);
    free(run->summary_json);
    free(run->summary_text);
    run->summary_json = safe_json;
    run->summary_text = safe_text;
    if (!run->summary_json || !run->summary_text) return sg__nomem(ctx);
    return sg__output_write(ctx, path, run->summary_json, strlen(run->summary_json));
}
