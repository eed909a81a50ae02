/* Reading the districts: the polygon layer, the census tables joined to it,
 * ids, counts and geometry, each checked. Every district read ends up in the
 * city (and so in the output layer) or in an error diagnostic. Here: the city,
 * and the reading in batches with the GEOS validation on a second thread;
 * each district's values and the join in join.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "read/read_internal.h"

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
    free(c->hind);
    memset(c, 0, sizeof *c);
}

int sg__city_grow(sg_city *c, size_t want) {
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
    if (c->nhind) {
        double *h = sg__reallocarray(c->hind, cap * c->nhind, sizeof *h);
        if (!h) return -1;
        c->hind = h;
    }
    c->cap = cap;
    return 0;
}

void sg__reader_free(sg_reader *rd) {
    sg__input_info_free(&rd->districts);
    for (size_t t = 0; t < rd->ntables; t++) {
        sg__table_free(&rd->tables[t]);
        if (rd->joins) sg__join_info_free(&rd->joins[t]);
    }
    free(rd->tables);
    free(rd->joins);
    for (size_t r = 0; rd->fields && r < SG_ROLE_COUNT + rd->ngroups + rd->nhind; r++) free(rd->fields[r].name);
    free(rd->fields);
    free(rd->id_field);
    sg__crs_info_free(&rd->crs);
    memset(rd, 0, sizeof *rd);
}

/* ---- the reading loop: OGR on this thread, GEOS on a second one ----
 *
 * Features are read in batches. For each feature this thread exports the
 * geometry's WKB (sg__geom_prepare); a second thread, with its own GEOS
 * handle, makes the GEOS geometries of a whole batch and checks their
 * validity (sg__geom_build) while this thread reads the next batch and then
 * handles the districts of the built one in feature order (sg__one_district, which
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
    sg_thread th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dbatch *todo;       /* the batch to build, NULL when idle */
    int quit;
    GEOSContextHandle_t h;
    char msg[SG_GEOS_MSG_MAX]; /* the handle's last error message */
    int strict;
    double busy;        /* seconds spent building */
    const sg_ctx *ctx;  /* the run: its cancellation interrupts GEOS here too */
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
    sg__geos_interruptible(w->ctx);
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
    sg__geos_interruptible(NULL);
    return NULL;
}

/* Starts the worker; 0 when it cannot (then the batches are built here). */
static int worker_start(sg_ctx *ctx, gworker *w, int strict) {
    memset(w, 0, sizeof *w);
    w->strict = strict;
    w->ctx = ctx;
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
    if (sg__thread_start(&w->th, worker_run, w) != 0) {
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
    sg__thread_join(&w->th);
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
static void batch_fill(sg_ctx *ctx, OGRLayerH lyr, size_t max_vertices, dbatch *b) {
    b->n = 0;
    b->wkb.len = 0;
    OGRFeatureH f;
    while (b->n < SG_READ_BATCH && !sg__cancelled(ctx) && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
        b->f[b->n] = f;
        sg__geom_prepare(OGR_F_GetGeometryRef(f), max_vertices, &b->job[b->n], &b->wkb);
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
static sg_status read_loop(sg_dloop *L, OGRLayerH lyr, int threaded, double *t_validate, double *t_wait) {
    sg_ctx *ctx = L->ctx;
    int strict = L->o->strict;
    dbatch *bb = calloc(2, sizeof *bb);
    if (!bb) return sg__nomem(ctx);
    gworker wk;
    gworker *w = threaded && worker_start(ctx, &wk, strict) ? &wk : NULL;
    double busy = 0;
    sg_status st = SG_OK;
    dbatch *cur = &bb[0], *next = &bb[1];
    batch_fill(ctx, lyr, L->o->max_vertices, cur);
    if (cur->n) batch_submit(ctx, w, cur, strict, &busy);
    while (cur->n) {
        batch_fill(ctx, lyr, L->o->max_vertices, next); /* while the worker builds cur */
        batch_wait(w, cur, t_wait);
        if (next->n) batch_submit(ctx, w, next, strict, &busy);
        size_t k = 0;
        for (; st == SG_OK && k < cur->n; k++) {
            st = sg__one_district(L, cur->f[k], &cur->job[k]);
            OGR_F_Destroy(cur->f[k]);
            /* cancelled: GEOS stops on the next polygons too; one message is enough */
            if (st == SG_OK && sg__cancelled(ctx)) st = sg__check_cancel(ctx);
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
    char *enc_saved = sg__encoding_begin(o->encoding);
    GDALDatasetH ds = sg__open_vector(ctx, o->districts, w, "", SG_OPEN_HINT, &st);
    sg__encoding_end(o->encoding, enc_saved);
    if (!ds) return st;
    OGRLayerH lyr = NULL, sql_lyr = NULL;
    sg_hash_job hj;
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
    if ((st = sg__hash_start(ctx, ds, o, &hj)) != SG_OK) goto done;
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
    sg_status missing = SG_OK; /* a field not found: the others are still looked for, all reported at once */
    if (id_idx < 0) {
        char *lf = sg__layer_field_list(defn), *near = sg__field_suggestion(defn, NULL, 0, o->id_field);
        sg_where wf = w;
        wf.field = o->id_field;
        if (OGR_L_GetFeatureCount(lyr, 1) == 0)
            st = sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", wf, "the layer has no features");
        else
            missing = st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", wf, "--id field not found (fields: %s)%s",
                                     OGR_FD_GetFieldCount(defn) ? (lf ? lf : "")
                                     : strcmp(din->driver, "ESRI Shapefile") == 0
                                         ? "none: the layer has no attributes (a .shp without its .dbf?)"
                                         : "none: the layer has no attributes",
                                     near ? near : "");
        free(lf);
        free(near);
        if (!missing || !OGR_FD_GetFieldCount(defn)) goto done;
        st = SG_OK;
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
    for (size_t t = 0; t < o->ntables; t++) {
        enc_saved = sg__encoding_begin(o->encoding);
        st = sg__table_open(ctx, &o->tables[t], o->id_field, &rd->tables[t]);
        sg__encoding_end(o->encoding, enc_saved);
        rd->tables[t].encoding = o->encoding; /* keys read by sg__table_load */
        if (st != SG_OK) goto done;
    }
    t_table = sg__now() - t_table;
    if (sg__resolve_joins(ctx, rd, defn, w) != SG_OK) missing = SG_ERR_DATA; /* --table-join fields */
    rd->apportion = o->apportion;
    rd->ngroups = o->groups.n;
    city->ngroups = o->groups.n;
    rd->nhind = city->nhind = o->nhind;
    rd->fields = calloc(SG_ROLE_COUNT + rd->ngroups + rd->nhind, sizeof *rd->fields);
    if (!rd->fields) {
        st = sg__nomem(ctx);
        goto done;
    }
    /* Every field is looked for: the missing ones are reported together. */
    struct {
        size_t role;
        const char *option, *name;
    } want[] = {{SG_ROLE_TOTAL, "--total", o->total_field},
                {SG_ROLE_NAME, "--name", o->name_field},
                {SG_ROLE_BY, "--by", o->by_field},
                {SG_ROLE_SOCIAL, "--social-housing-field", o->social_housing_field},
                {SG_ROLE_OVERCROWD, "--overcrowding-field", o->overcrowding_field}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (want[k].name && (st = sg__resolve_field(ctx, rd, defn, want[k].role, want[k].option, want[k].name)) != SG_OK) {
            if (st != SG_ERR_DATA) goto done;
            missing = st;
        }
    for (size_t g = 0; g < rd->ngroups; g++)
        if ((st = sg__resolve_field(ctx, rd, defn, SG_ROLE_COUNT + g, "--groups", o->groups.items[g])) != SG_OK) {
            if (st != SG_ERR_DATA) goto done;
            missing = st;
        }
    for (size_t k = 0; k < rd->nhind; k++) /* the overcrowding one is read as --overcrowding-field */
        if (!o->hind[k].overcrowding &&
            (st = sg__resolve_field(ctx, rd, defn, SG_ROLE_COUNT + rd->ngroups + k, "--housing-indicator",
                                    o->hind[k].field)) != SG_OK) {
            if (st != SG_ERR_DATA) goto done;
            missing = st;
        }
    if (o->group_field) st = sg__resolve_field(ctx, rd, defn, SG_ROLE_GROUP, "--group", o->group_field);
    else st = sg__resolve_field(ctx, rd, defn, SG_ROLE_SHARE, "--group-share", o->share_field);
    if (st == SG_OK && missing != SG_OK) st = missing;
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

    sg__ignore_other_fields(ctx, rd, lyr, id_idx);
    double t_ap = sg__now();
    if ((st = sg__apportion_sums(ctx, o, rd, lyr, id_idx)) == SG_ERR_DATA) st = SG_OK; /* reported: fails below */
    t_ap = sg__now() - t_ap;
    t_loop += t_ap; /* its own stage, not a part of the loop's */
    if (o->apportion) sg__stage_add(ctx, "read.apportion", t_ap);
    if (st != SG_OK) goto done;
    GIntBig fc = OGR_L_GetFeatureCount(lyr, 1);
    if (fc > 0 && sg__city_grow(city, (size_t)fc) != 0) {
        st = sg__nomem(ctx);
        goto done;
    }
    size_t *rows = calloc(o->ntables + 1, sizeof *rows);
    int *has = calloc(o->ntables + 1, sizeof *has);
    unsigned char **hasrow = calloc(o->ntables + 1, sizeof *hasrow);
    sg_dloop L;
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
    if (st == SG_OK) sg__report_joins(ctx, rd, city, hasrow, lyr);
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
    sg__plausible(ctx, &L); /* shares, whole counts, --min-joined */
    st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "input");
done:
    if (hashing) {
        double th = sg__now();
        sg_status hs = sg__hash_finish(ctx, &hj, din);
        if (st == SG_OK) st = hs;
        for (size_t t = 0; table_sha && t < o->ntables; t++)
            if (table_sha[t] && hj.ok[hj.nlist + (int)t]) memcpy(rd->tables[t].sha256, hj.hex[hj.nlist + (int)t], 65);
        sg__stage_add(ctx, "read.hash", sg__now() - th);
    }
    sg__hash_free(&hj);
    free(table_sha);
    if (sql_lyr) GDALDatasetReleaseResultSet(ds, sql_lyr);
    GDALClose(ds);
    return st;
}
