/* --travel-times TYPE=FILE (issue 17): an origin-destination table of
 * travel times, as routing engines write them (r5r's travel_time_matrix:
 * from_id, to_id, travel_time_p50; OSRM's table service converted to rows;
 * Valhalla, OpenTripPlanner), from a CSV or any OGR table. Each row names a
 * district (by the --id value), a service (by --service-id, else its feature
 * id) and the minutes between them; a district's time is the least minutes of
 * its rows. Nothing is guessed: unknown ids, missing, non-numeric and negative
 * minutes are errors naming the file, the row and the field; a district
 * without any row gets no time (a warning lists them), never 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "read/read_internal.h"
#include "read/travel_times.h"

void sg__tt_info_free(sg_tt_info *t) {
    if (!t) return;
    sg__src_info_free(&t->src);
    free(t->origin);
    free(t->dest);
    free(t->minutes);
    memset(t, 0, sizeof *t);
}

void sg__tt_rows_free(sg_tt_rows *r) {
    if (!r) return;
    free(r->off);
    free(r->loc);
    free(r->min);
    memset(r, 0, sizeof *r);
}

/* One row's pair while reading: district, location, minutes. */
typedef struct tt_trip {
    size_t i;
    uint32_t j;
    double m;
} tt_trip;

typedef struct tt_trips {
    tt_trip *v;
    size_t n, cap;
} tt_trips;

static int trips_add(tt_trips *t, size_t i, uint32_t j, double m) {
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 1024;
        tt_trip *nv = sg__reallocarray(t->v, nc, sizeof *nv);
        if (!nv) return -1;
        t->v = nv;
        t->cap = nc;
    }
    t->v[t->n++] = (tt_trip){i, j, m};
    return 0;
}

static int cmp_trip(const void *a, const void *b) {
    const tt_trip *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return (x->m > y->m) - (x->m < y->m);
}

/* The trips as CSR rows by district, a pair given twice kept once with its least minutes. */
static int trips_rows(tt_trips *t, size_t n, sg_tt_rows *r) {
    qsort(t->v, t->n, sizeof *t->v, cmp_trip);
    r->n = n;
    r->off = calloc(n + 1, sizeof *r->off);
    r->loc = malloc((t->n ? t->n : 1) * sizeof *r->loc);
    r->min = malloc((t->n ? t->n : 1) * sizeof *r->min);
    if (!r->off || !r->loc || !r->min) return -1;
    size_t k = 0;
    for (size_t q = 0; q < t->n; q++) {
        if (q > 0 && t->v[q].i == t->v[q - 1].i && t->v[q].j == t->v[q - 1].j) continue; /* sorted: the least first */
        r->loc[k] = t->v[q].j;
        r->min[k] = t->v[q].m;
        r->off[t->v[q].i + 1]++;
        k++;
    }
    for (size_t i = 0; i < n; i++) r->off[i + 1] += r->off[i];
    return 0;
}

/* The column `given`, else the first of the defaults the table has; -1 with
 * an E_MISSING_FIELD error naming the fields when none is there. */
static int find_column(sg_ctx *ctx, OGRFeatureDefnH fd, const char *given, const char *const *defaults,
                       const char *opt, const char *what, sg_where w, char **used) {
    int idx = -1;
    if (given) {
        idx = OGR_FD_GetFieldIndex(fd, given);
        if (idx >= 0) *used = sg__strdup(given);
    } else {
        for (size_t k = 0; defaults[k] && idx < 0; k++)
            if ((idx = OGR_FD_GetFieldIndex(fd, defaults[k])) >= 0) *used = sg__strdup(defaults[k]);
    }
    if (idx >= 0) return *used ? idx : (sg__nomem(ctx), -1);
    char *fl = sg__layer_field_list(fd), *dl = NULL;
    for (size_t k = 0; !given && defaults[k]; k++) {
        char *n = sg__asprintf("%s%s%s", dl ? dl : "", dl ? ", " : "", defaults[k]);
        free(dl);
        dl = n;
    }
    w.field = given;
    if (given)
        sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "the %s column '%s' (%s) is not in the table (fields: %s)",
                  what, given, opt, fl ? fl : "");
    else
        sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w,
                  "no %s column: none of %s is in the table (fields: %s); name it with %s FIELD", what, dl ? dl : "",
                  fl ? fl : "", opt);
    free(fl);
    free(dl);
    return -1;
}

/* Unknown ids of one kind, the first few kept for one message. */
typedef struct unknown_ids {
    size_t n;
    char *list;
    long long first_row;
} unknown_ids;

static void unknown_add(unknown_ids *u, const char *id, long long row) {
    if (u->n == 0) u->first_row = row;
    if (u->n < SG_FIRST_IDS) {
        char *n = sg__asprintf("%s%s'%s'", u->list ? u->list : "", u->list ? ", " : "", id);
        if (n) {
            free(u->list);
            u->list = n;
        }
    }
    u->n++;
}

sg_status sg__travel_times_read(sg_ctx *ctx, const sg_service_spec *spec, const sg_city *city, char *const *sid,
                                size_t nsid, double *minutes, sg_tt_info *info) {
    return sg__travel_times_read_rows(ctx, spec, city, sid, nsid, minutes, info, NULL);
}

sg_status sg__travel_times_read_rows(sg_ctx *ctx, const sg_service_spec *spec, const sg_city *city,
                                     char *const *sid, size_t nsid, double *minutes, sg_tt_info *info,
                                     sg_tt_rows *rows) {
    memset(info, 0, sizeof *info);
    if (rows) memset(rows, 0, sizeof *rows);
    tt_trips trips = {NULL, 0, 0};
    size_t *nxt = NULL; /* the next location with the same id (SIZE_MAX: none) */
    for (size_t i = 0; i < city->n; i++) minutes[i] = NAN;
    void *dsv = NULL, *lyrv = NULL;
    sg_status st = sg__open_layer(ctx, spec->tt_path, spec->tt_layer, NULL, "--tt-layer", &dsv, &lyrv, &info->src);
    if (st != SG_OK) return st;
    GDALDatasetH ds = dsv;
    OGRLayerH lyr = lyrv;
    sg_where w = {spec->tt_path, info->src.layer, -1, NULL, NULL};
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    static const char *const d_origin[] = {"origin", "from_id", "fromId", "origin_id", "from", NULL};
    static const char *const d_dest[] = {"destination", "to_id", "toId", "destination_id", "to", NULL};
    static const char *const d_min[] = {"minutes", "travel_time_p50", "travel_time", "duration_min", "duration",
                                        NULL};
    int io = find_column(ctx, fd, spec->tt_origin, d_origin, "--tt-origin", "district (origin)", w, &info->origin);
    int id = io < 0 ? -1 : find_column(ctx, fd, spec->tt_dest, d_dest, "--tt-destination", "service (destination)",
                                       w, &info->dest);
    int im = id < 0 ? -1 : find_column(ctx, fd, spec->tt_minutes, d_min, "--tt-minutes", "minutes", w,
                                       &info->minutes);
    sg_strmap *dm = NULL, *sm = NULL;
    if (im < 0) {
        st = SG_ERR_DATA;
        goto done;
    }
    dm = sg__strmap_create(city->n);
    sm = sg__strmap_create(nsid);
    if (!dm || !sm) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (size_t i = 0; i < city->n; i++)
        if (city->id[i] && sg__strmap_put(dm, city->id[i], i, NULL) < 0) st = sg__nomem(ctx);
    if (rows && !(nxt = malloc((nsid ? nsid : 1) * sizeof *nxt))) st = sg__nomem(ctx);
    for (size_t j = 0; st == SG_OK && j < nsid; j++) {
        size_t e = 0;
        int r = sg__strmap_put(sm, sid[j], j, &e);
        if (r < 0) st = sg__nomem(ctx);
        if (!nxt) continue;
        nxt[j] = SIZE_MAX;
        if (r == 0) { /* a multipoint's parts share its id: every one is a location */
            while (nxt[e] != SIZE_MAX) e = nxt[e];
            nxt[e] = j;
        }
    }
    if (st != SG_OK) goto done;
    size_t before = sg__nerrors(ctx);
    unknown_ids ud = {0, NULL, 0}, us = {0, NULL, 0};
    int csv = strcmp(info->src.driver, "CSV") == 0;
    OGR_L_ResetReading(lyr);
    sg__gdal_push(ctx);
    OGRFeatureH f;
    while ((st = sg__check_cancel(ctx)) == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        long long row = ++info->rows;
        /* "row 3 (line 4)": a CSV's header is line 1 */
        char at[64];
        if (csv) snprintf(at, sizeof at, "row %lld (line %lld)", row, row + 1);
        else snprintf(at, sizeof at, "row %lld", row);
        sg_where fw = {spec->tt_path, info->src.layer, OGR_F_GetFID(f), NULL, NULL};
        const char *o = OGR_F_IsFieldSetAndNotNull(f, io) ? OGR_F_GetFieldAsString(f, io) : "";
        const char *s = OGR_F_IsFieldSetAndNotNull(f, id) ? OGR_F_GetFieldAsString(f, id) : "";
        size_t di = 0, sj = 0;
        int dok = *o && sg__strmap_get(dm, o, &di), sok = *s && sg__strmap_get(sm, s, &sj);
        if (!dok) unknown_add(&ud, o, row);
        if (!sok) unknown_add(&us, s, row);
        fw.field = info->minutes;
        double v = NAN;
        const char *why = NULL;
        const char *text = OGR_F_IsFieldSetAndNotNull(f, im) ? OGR_F_GetFieldAsString(f, im) : "";
        sg_numparse r = OGR_F_IsFieldSetAndNotNull(f, im) ? sg__parse_number(text, &v, &why) : SG_NUM_MISSING;
        if (r == SG_NUM_MISSING)
            sg__report(ctx, "E_MISSING_VALUE", fw, "%s: the travel time is missing (a pair no route reaches is "
                       "left out of the table, as r5r does)", at);
        else if (r != SG_NUM_OK)
            sg__report(ctx, "E_NOT_NUMBER", fw, "%s: the travel time '%s' is %s", at, text,
                       why ? why : "not a number");
        else if (v < 0)
            sg__report(ctx, "E_NEGATIVE", fw, "%s: negative travel time %g minutes", at, v);
        else if (dok && sok) {
            if (!(minutes[di] <= v)) minutes[di] = v;
            for (size_t j = sj; nxt && j != SIZE_MAX; j = nxt[j])
                if (trips_add(&trips, di, (uint32_t)j, v) != 0) {
                    OGR_F_Destroy(f);
                    sg__gdal_pop();
                    st = sg__nomem(ctx);
                    goto done;
                }
        }
        OGR_F_Destroy(f);
    }
    sg__gdal_pop();
    if (ud.n)
        sg__report(ctx, "E_TT_UNKNOWN_DISTRICT", (sg_where){spec->tt_path, info->src.layer, -1, NULL, info->origin},
                   "%zu rows name a district that is not among the districts' --id values (first on row %lld): %s%s",
                   ud.n, ud.first_row, ud.list ? ud.list : "", ud.n > SG_FIRST_IDS ? ", ..." : "");
    if (us.n)
        sg__report(ctx, "E_TT_UNKNOWN_SERVICE", (sg_where){spec->tt_path, info->src.layer, -1, NULL, info->dest},
                   "%zu rows name a '%s' service that was not read (first on row %lld): %s%s; services are named by "
                   "%s%s", us.n, spec->type, us.first_row, us.list ? us.list : "", us.n > SG_FIRST_IDS ? ", ..." : "",
                   spec->id_field ? "--service-id " : "their feature id (source_fid in services.geojson; or name a "
                                                      "field with --service-id)",
                   spec->id_field ? spec->id_field : "");
    free(ud.list);
    free(us.list);
    if (st == SG_OK) st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "travel-time");
    if (st == SG_OK && info->rows == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_TT_EMPTY", w, "the travel-time table has no rows");
    if (st == SG_OK) {
        size_t *none = malloc((city->n ? city->n : 1) * sizeof *none), nn = 0;
        if (!none) {
            st = sg__nomem(ctx);
            goto done;
        }
        for (size_t i = 0; i < city->n; i++) {
            if (isfinite(minutes[i])) info->districts_with_time++;
            else if (city->geom && city->geom[i]) none[nn++] = i;
        }
        info->districts_without = nn;
        if (nn) {
            char *ids = sg__first_ids(city, none, nn);
            sg__warn(ctx, "W_TT_NO_ROW", w,
                     "%zu of %zu districts have no row in the travel-time table: no time_%s_min (null, not 0; a "
                     "routing engine leaves out what it cannot reach within its limit): %s",
                     nn, city->n, spec->type, ids ? ids : "");
            free(ids);
        }
        free(none);
    }
    if (st == SG_OK && rows && trips_rows(&trips, city->n, rows) != 0) st = sg__nomem(ctx);
done:
    if (st != SG_OK && rows) sg__tt_rows_free(rows);
    free(trips.v);
    free(nxt);
    sg__strmap_destroy(dm);
    sg__strmap_destroy(sm);
    GDALClose(ds);
    return st;
}
