/* PostGIS: the run's layers written back as tables (--out-pg). Passwords
 * never reach a message (sg__redact, base/redact.c).
 *
 * Credentials belong in the usual libpq environment (PGHOST, PGUSER,
 * PGPASSWORD, PGSERVICE and ~/.pg_service.conf, ~/.pgpass); a password
 * written into a connection string still never reaches a log. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_string.h>
#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "write/write.h"


/* The layers of a run: every output in summary.json -> outputs that is a
 * GeoJSON file ("districts", and the objective layers when they exist). */
typedef struct pg_layer {
    char *key, *path;
} pg_layer;

static size_t run_layers(const struct sg_run *run, pg_layer **out) {
    *out = NULL;
    json_object *root = run->summary_json ? json_tokener_parse(run->summary_json) : NULL, *outs;
    size_t n = 0;
    if (root && json_object_object_get_ex(root, "outputs", &outs) && json_object_is_type(outs, json_type_object)) {
        pg_layer *l = calloc((size_t)json_object_object_length(outs) + 1, sizeof *l);
        json_object_object_foreach(outs, key, val) {
            const char *p = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;
            size_t len = p ? strlen(p) : 0;
            if (!l || len < 8 || strcmp(p + len - 8, ".geojson") != 0) continue;
            l[n].key = sg__strdup(key);
            l[n].path = run->outset ? sg__outset_path(run->outset, run->out_dir, p) : sg__strdup(p); /* not yet published */
            if (l[n].key && l[n].path) n++;
        }
        *out = l;
    }
    if (root) json_object_put(root);
    /* summary.json lists the districts (--out-pg requires them in --layers); be safe if it did not. */
    if (n == 0 && run->districts_path) {
        pg_layer *l = realloc(*out, sizeof *l);
        if (l) {
            l[0].key = sg__strdup("districts");
            l[0].path = sg__strdup(run->districts_file);
            *out = l;
            n = l[0].key && l[0].path ? 1 : 0;
        }
    }
    return n;
}

/* The server's own words in a GDAL message that quotes the whole statement
 * ("CREATE TABLE ... \nERROR:  schema \"x\" does not exist\nLINE 1: ..."):
 * the ERROR line, else the message. */
static const char *pg_reason(const char *msg, char *buf, size_t size) {
    const char *e = strstr(msg, "ERROR:");
    if (!e) return msg;
    size_t n = strcspn(e, "\n");
    snprintf(buf, size, "%.*s", (int)n, e);
    return buf;
}

/* Copies one layer file into a new table of ds (an open transaction). */
static sg_status copy_layer(sg_ctx *ctx, GDALDatasetH dst, const char *table, const char *path, long long *rows) {
    sg_where w = {path, NULL, -1, NULL, NULL};
    sg__gdal_push(ctx);
    GDALDatasetH src = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    sg__gdal_pop();
    if (!src) return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", w, "cannot reopen the layer: %s", sg__gdal_msg(ctx));
    OGRLayerH sl = GDALDatasetGetLayer(src, 0);
    OGRFeatureDefnH sd = OGR_L_GetLayerDefn(sl);
    char **lco = NULL;
    lco = CSLSetNameValue(lco, "OVERWRITE", "YES");
    lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    lco = CSLSetNameValue(lco, "LAUNDER", "NO");
    lco = CSLSetNameValue(lco, "DESCRIPTION", "written by seggap " SG_VERSION_STRING);
    sg__gdal_push(ctx);
    /* Polygons go into one MultiPolygon column; other layers keep their type. */
    OGRwkbGeometryType gt = wkbFlatten(OGR_L_GetGeomType(sl));
    int multi = gt == wkbPolygon || gt == wkbMultiPolygon || gt == wkbUnknown;
    OGRLayerH dl = GDALDatasetCreateLayer(dst, table, OGR_L_GetSpatialRef(sl),
                                          multi ? wkbMultiPolygon : OGR_L_GetGeomType(sl), lco);
    CSLDestroy(lco);
    sg_status st = SG_OK;
    if (!dl) {
        sg__gdal_pop();
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", (sg_where){NULL, table, -1, NULL, NULL},
                       "cannot create the table: %s", sg__gdal_msg(ctx));
        GDALClose(src);
        return st;
    }
    for (int k = 0; st == SG_OK && k < OGR_FD_GetFieldCount(sd); k++)
        if (OGR_L_CreateField(dl, OGR_FD_GetFieldDefn(sd, k), 1) != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", (sg_where){NULL, table, -1, NULL,
                           OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(sd, k))}, "cannot create the column: %s",
                           sg__gdal_msg(ctx));
    /* GDAL's PostgreSQL driver defers CREATE TABLE to the first row: a table
     * that cannot be created (no such schema, no right) then read "cannot
     * insert the row". Flushing runs the deferred CREATE now. */
    char why[SG_GDAL_MSG_MAX];
    if (st == SG_OK) {
        sg__clear_gdal_msg(ctx);
        GDALFlushCache(dst);
        if (sg__gdal_msg(ctx)[0])
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", (sg_where){NULL, table, -1, NULL, NULL},
                           "cannot create the table: %s", pg_reason(sg__gdal_msg(ctx), why, sizeof why));
    }
    OGRFeatureH f;
    *rows = 0;
    OGR_L_ResetReading(sl);
    while (st == SG_OK && (f = OGR_L_GetNextFeature(sl)) != NULL) {
        OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(dl));
        OGRErr e = g ? OGR_F_SetFrom(g, f, 1) : OGRERR_NOT_ENOUGH_MEMORY;
        OGRGeometryH geom = g ? OGR_F_StealGeometry(g) : NULL;
        if (geom) OGR_F_SetGeometryDirectly(g, multi ? OGR_G_ForceToMultiPolygon(geom) : geom);
        if (e == OGRERR_NONE) e = OGR_L_CreateFeature(dl, g);
        if (e != OGRERR_NONE)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", (sg_where){NULL, table, OGR_F_GetFID(f), NULL, NULL},
                           "cannot insert the row: %s", sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "unknown error");
        else (*rows)++;
        if (g) OGR_F_Destroy(g);
        OGR_F_Destroy(f);
    }
    /* the rows go in by COPY, ended here: its failure is this table's */
    if (st == SG_OK) {
        sg__clear_gdal_msg(ctx);
        GDALFlushCache(dst);
        if (sg__gdal_msg(ctx)[0])
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", (sg_where){NULL, table, -1, NULL, NULL},
                           "cannot write the rows: %s", pg_reason(sg__gdal_msg(ctx), why, sizeof why));
    }
    sg__gdal_pop();
    GDALClose(src);
    return st;
}

/* A table name without quotes and without the default schema "public.",
 * for comparing an output table with an input layer. */
static int same_table(const char *a, const char *b) {
    char x[2][512];
    const char *in[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        for (const char *p = in[k]; *p && n + 1 < sizeof x[k]; p++)
            if (*p != '"') x[k][n++] = (char)tolower((unsigned char)*p);
        x[k][n] = '\0';
    }
    const char *u = strncmp(x[0], "public.", 7) == 0 ? x[0] + 7 : x[0];
    const char *v = strncmp(x[1], "public.", 7) == 0 ? x[1] + 7 : x[1];
    return strcmp(u, v) == 0;
}

/* The PostgreSQL input (summary.json -> inputs, at any depth) whose layer
 * is the table, or NULL. Any PostgreSQL input counts, whatever database:
 * one database has many spellings of its connection string. */
static const char *input_table(json_object *o, const char *table) {
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            const char *r = input_table(json_object_array_get_idx(o, i), table);
            if (r) return r;
        }
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) return NULL;
    json_object *drv, *lay;
    if (json_object_object_get_ex(o, "driver", &drv) && json_object_object_get_ex(o, "layer", &lay) &&
        strcmp(json_object_get_string(drv), "PostgreSQL") == 0 && json_object_is_type(lay, json_type_string) &&
        same_table(json_object_get_string(lay), table))
        return json_object_get_string(lay);
    json_object_object_foreach(o, key, val) {
        (void)key;
        const char *r = input_table(val, table);
        if (r) return r;
    }
    return NULL;
}

/* Refuses an output table that is an input table (it would be dropped and
 * recreated), before anything is written. */
static sg_status check_not_input(sg_ctx *ctx, const struct sg_run *run, pg_layer *layers, size_t nl,
                                 const char *prefix) {
    json_object *root = run->summary_json ? json_tokener_parse(run->summary_json) : NULL, *inputs;
    sg_status st = SG_OK;
    if (root && json_object_object_get_ex(root, "inputs", &inputs)) {
        for (size_t i = 0; st == SG_OK && i < nl; i++) {
            char *table = sg__asprintf("%s%s", prefix, layers[i].key);
            const char *hit = table ? input_table(inputs, table) : NULL;
            if (!table) st = sg__nomem(ctx);
            else if (hit)
                st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_IS_INPUT", (sg_where){NULL, table, -1, NULL, NULL},
                               "--out-pg would replace the input table '%s' (choose another --out-pg-prefix)", hit);
            free(table);
        }
    }
    if (root) json_object_put(root);
    return st;
}

sg_status sg__write_pg(sg_ctx *ctx, struct sg_run *run, const char *conn, const char *prefix) {
    if (!prefix) prefix = "seggap_";
    pg_layer *layers = NULL;
    size_t nl = run_layers(run, &layers);
    sg_where w = {conn, NULL, -1, NULL, NULL};
    sg_status st = check_not_input(ctx, run, layers, nl, prefix);
    char *report = NULL;
    GDALDatasetH ds = NULL;
    if (st != SG_OK) goto done;
    sg__gdal_push(ctx);
    ds = GDALOpenEx(conn, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    sg__gdal_pop();
    if (!ds) {
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", w, "cannot open for writing: %s",
                       sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "not a writable vector data source");
        goto done;
    }
    /* One transaction: the tables are all replaced, or none is. */
    sg__gdal_push(ctx);
    OGRErr te = GDALDatasetStartTransaction(ds, FALSE);
    sg__gdal_pop();
    if (te != OGRERR_NONE) {
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", w, "cannot start a transaction: %s",
                       sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "the data source has no transactions");
        goto done;
    }
    report = sg__strdup("");
    for (size_t i = 0; st == SG_OK && i < nl; i++) {
        char *table = sg__asprintf("%s%s", prefix, layers[i].key);
        long long rows = 0;
        st = table ? copy_layer(ctx, ds, table, layers[i].path, &rows) : sg__nomem(ctx);
        char *r2 = st == SG_OK && report ? sg__asprintf("%s%s%s (%lld rows)", report, *report ? ", " : "", table, rows)
                                         : NULL;
        free(report);
        report = r2;
        free(table);
    }
    sg__gdal_push(ctx);
    if (st == SG_OK && GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT_PG", w, "the transaction did not commit: %s", sg__gdal_msg(ctx));
    else if (st != SG_OK)
        GDALDatasetRollbackTransaction(ds);
    sg__gdal_pop();
    if (st == SG_OK && report && run->summary_text) {
        char *safe = sg__redact(conn);
        char *line = sg__asprintf("  wrote PG    %s: %s\n", safe ? safe : "", report);
        char *shown = sg__escape_controls(line, 1);
        char *t = shown ? sg__asprintf("%s%s", run->summary_text, shown) : NULL;
        free(safe);
        free(line);
        free(shown);
        if (t) {
            free(run->summary_text);
            run->summary_text = t;
        }
    }
done:
    if (ds) {
        sg__gdal_push(ctx);
        GDALClose(ds);
        sg__gdal_pop();
    }
    free(report);
    for (size_t i = 0; i < nl; i++) {
        free(layers[i].key);
        free(layers[i].path);
    }
    free(layers);
    return st;
}
