/* geo/base/: what every other folder stands on, tested on its own. The
 * status table, diagnostics and their message format, stage timings,
 * cancellation, moving diagnostics between contexts, the GEOS/PROJ/GDAL
 * message hooks (context.c); string helpers, UTF-8, file hints and the
 * compensated sum and bounding boxes (util.c); the string map, key index and
 * arena (strmap.c); atomic outputs
 * (output.c); the worker pool and threads
 * (parallel.c); named results and columns (result.c); SHA-256 against the
 * FIPS 180-2 vectors (sha256.c); and passwords out of connection strings
 * (redact.c). Every expected value is worked out by hand in a comment or is
 * a published constant. */
#include <pthread.h>
#include <sys/wait.h>

#include "test_support.h"
#include "base/base.h"
#include "base/outset.h"

#include <cpl_error.h>

/* ---- did you mean (util.c) ---- */
static void did_you_mean(void **state) {
    (void)state;
    assert_int_equal(sg__edit_distance("", ""), 0);
    assert_int_equal(sg__edit_distance("kitten", "sitting"), 3); /* k->s, e->i, +g */
    assert_int_equal(sg__edit_distance("dissimilarty", "dissimilarity"), 1);
    assert_int_equal(sg__edit_distance("migrnats", "migrants"), 1); /* a swap of neighbours is one edit */
    assert_int_equal(sg__edit_distance("TOTAL", "total"), 0);
    const char *const fields[] = {"code", "name", "spatial_na", "E_E", "MH_E"};
    assert_string_equal(sg__suggest("spatial_name", fields, 5), "spatial_na"); /* Shapefile's 10 characters */
    assert_string_equal(sg__suggest("Code", fields, 5), "code");
    assert_string_equal(sg__suggest("nmae", fields, 5), "name");
    assert_null(sg__suggest("nope", fields, 5)); /* 3 edits from name/code: too far for 4 letters */
    assert_null(sg__suggest("population", fields, 5));
    const char *const idx[] = {"dissimilarity", "isolation", "exposure"};
    assert_string_equal(sg__suggest("dissimilarty", idx, 3), "dissimilarity");
    assert_string_equal(sg__suggest("isolaton", idx, 3), "isolation");
    assert_null(sg__suggest("gini", idx, 3));
}

/* ---- context.c ---- */

static void status_table(void **state) {
    (void)state;
    assert_string_equal(sg_status_name(SG_OK), "ok");
    assert_string_equal(sg_status_name(SG_ERR_DATA), "data");
    assert_string_equal(sg_status_name(SG_ERR_CANCELLED), "cancelled");
    assert_string_equal(sg_strerror(SG_ERR_NOMEM), "out of memory");
    assert_string_equal(sg_strerror(SG_ERR_USAGE), "invalid command-line usage or option");
    /* the CLI's exit codes (README, status.h) */
    const struct { sg_status st; int code; } codes[] = {
        {SG_OK, 0},         {SG_ERR_USAGE, 2},  {SG_ERR_INPUT, 1},    {SG_ERR_DATA, 1},
        {SG_ERR_CRS, 1},    {SG_ERR_GEOMETRY, 1}, {SG_ERR_OUTPUT, 4}, {SG_ERR_NOMEM, 5},
        {SG_ERR_INTERNAL, 5}, {SG_ERR_CANCELLED, 130},
    };
    assert_int_equal(sizeof codes / sizeof codes[0], SG_STATUS_COUNT);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_int_equal(sg_status_exit_code(codes[i].st), codes[i].code);
    /* outside the table: named, described, and an internal error's exit code */
    assert_string_equal(sg_status_name(SG_STATUS_COUNT), "unknown");
    assert_string_equal(sg_strerror((sg_status)-1), "unknown status");
    assert_int_equal(sg_status_exit_code((sg_status)99), 5);
    assert_string_equal(sg_version(), SG_VERSION_STRING);
    assert_string_equal(sg_version(), "0.1.0");
}

static void diagnostics_name_where_they_apply(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    assert_non_null(ctx);
    assert_string_equal(sg_ctx_last_error(ctx), "");
    assert_int_equal(sg_ctx_last_status(ctx), SG_OK);
    assert_int_equal(sg_ctx_diag_count(ctx), 0);
    assert_null(sg_ctx_diag(ctx, 0));

    sg_status st = sg__error(ctx, SG_ERR_DATA, "E_NEG", (sg_where){"a.gpkg", "d", 3, "x7", "total"},
                             "negative count: %d", -4);
    assert_int_equal(st, SG_ERR_DATA);
    const char *full = "a.gpkg: layer 'd': fid 3 (id 'x7'): field 'total': negative count: -4";
    assert_string_equal(sg_ctx_last_error(ctx), full);
    assert_int_equal(sg_ctx_last_status(ctx), SG_ERR_DATA);
    const sg_diag *d = sg_ctx_diag(ctx, 0);
    assert_non_null(d);
    assert_int_equal(d->severity, SG_SEV_ERROR);
    assert_string_equal(d->code, "E_NEG");
    assert_string_equal(d->file, "a.gpkg");
    assert_string_equal(d->layer, "d");
    assert_int_equal(d->fid, 3);
    assert_string_equal(d->id, "x7");
    assert_string_equal(d->field, "total");
    assert_string_equal(d->message, full);

    /* the absent parts are left out, whichever they are */
    sg__warn(ctx, "W_A", SG_WHERE_NONE, "plain");
    sg__warn(ctx, "W_B", (sg_where){NULL, NULL, 5, NULL, NULL}, "fid only");
    sg__warn(ctx, "W_C", (sg_where){NULL, NULL, -1, "k", NULL}, "id only");
    sg__warn(ctx, "W_D", (sg_where){"", "", -1, "", "f"}, "empty strings are absent");
    assert_string_equal(sg_ctx_diag(ctx, 1)->message, "plain");
    assert_string_equal(sg_ctx_diag(ctx, 1)->file, "");
    assert_int_equal(sg_ctx_diag(ctx, 1)->fid, -1);
    assert_string_equal(sg_ctx_diag(ctx, 2)->message, "fid 5: fid only");
    assert_string_equal(sg_ctx_diag(ctx, 3)->message, "id 'k': id only");
    assert_string_equal(sg_ctx_diag(ctx, 4)->message, "field 'f': empty strings are absent");
    assert_int_equal(sg_ctx_diag(ctx, 4)->severity, SG_SEV_WARNING);
    /* a warning is no error: the last error stays */
    assert_string_equal(sg_ctx_last_error(ctx), full);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), 1);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_WARNING), 4);
    assert_int_equal(sg__nerrors(ctx), 1);
    assert_int_equal(sg__ndiags(ctx), 5);

    /* a password in a data source name reaches no diagnostic */
    sg__warn(ctx, "W_PG", (sg_where){"PG:dbname=c password=hunter2", NULL, -1, NULL, NULL}, "slow");
    d = sg_ctx_diag(ctx, 5);
    assert_string_equal(d->file, "PG:dbname=c password=***");
    /* the message is redacted as a whole: the value runs to the next space,
     * so the ':' after the file name goes with the secret (a password may
     * hold a ':') */
    assert_string_equal(d->message, "PG:dbname=c password=*** slow");
    assert_null(strstr(d->message, "hunter2"));

    /* forgetting the last diagnostic keeps the counts right */
    sg__drop_last_diag(ctx);
    sg__drop_last_diag(ctx);
    assert_int_equal(sg_ctx_diag_count(ctx), 4);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_WARNING), 3);

    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), 1);
    sg__report(ctx, "E_MORE", SG_WHERE_NONE, "reported");
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), 2);
    assert_string_equal(sg_ctx_last_error(ctx), full); /* sg__report leaves the last error */

    sg_ctx_clear(ctx);
    assert_int_equal(sg_ctx_diag_count(ctx), 0);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), 0);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_WARNING), 0);
    assert_string_equal(sg_ctx_last_error(ctx), "");
    assert_int_equal(sg_ctx_last_status(ctx), SG_OK);
    sg__drop_last_diag(ctx); /* nothing to drop: no effect */
    assert_int_equal(sg_ctx_diag_count(ctx), 0);
    sg_ctx_destroy(ctx);
    sg_ctx_destroy(NULL); /* accepted */
}

static void a_stage_reports_its_first_error_and_the_count(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    sg__report(ctx, "E_OLD", SG_WHERE_NONE, "before the stage");
    size_t before = sg__nerrors(ctx);
    assert_int_equal(sg__fail_if_errors(ctx, before, SG_ERR_DATA, "read"), SG_OK);
    assert_string_equal(sg_ctx_last_error(ctx), ""); /* sg__report sets no last error */
    sg__report(ctx, "E_ONE", (sg_where){"d.csv", NULL, -1, NULL, NULL}, "first");
    assert_int_equal(sg__fail_if_errors(ctx, before, SG_ERR_DATA, "read"), SG_ERR_DATA);
    assert_string_equal(sg_ctx_last_error(ctx), "d.csv: first");
    sg__warn(ctx, "W_X", SG_WHERE_NONE, "a warning between errors");
    sg__report(ctx, "E_TWO", SG_WHERE_NONE, "second");
    assert_int_equal(sg__fail_if_errors(ctx, before, SG_ERR_DATA, "read"), SG_ERR_DATA);
    assert_string_equal(sg_ctx_last_error(ctx), "d.csv: first (and 1 more read error)");
    sg__report(ctx, "E_THREE", SG_WHERE_NONE, "third");
    assert_int_equal(sg__fail_if_errors(ctx, before, SG_ERR_GEOMETRY, "geometry"), SG_ERR_GEOMETRY);
    assert_string_equal(sg_ctx_last_error(ctx), "d.csv: first (and 2 more geometry errors)");
    assert_int_equal(sg_ctx_last_status(ctx), SG_ERR_GEOMETRY);

    assert_int_equal(sg__nomem(ctx), SG_ERR_NOMEM);
    assert_string_equal(sg_ctx_last_error(ctx), "out of memory");
    assert_string_equal(sg_ctx_diag(ctx, sg_ctx_diag_count(ctx) - 1)->code, "E_NOMEM");
    sg_ctx_destroy(ctx);
}

/* Issue 15 item 9: identical diagnostics are grouped in the text (the first 5
 * of a kind, then "and N more like it"), each kind's hint said once; kinds
 * are code, file and field; the warnings' line cap still holds. */
static void diagnostics_are_grouped_with_their_hint_once(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    for (int i = 0; i < 447; i++) {
        char id[16];
        snprintf(id, sizeof id, "%04d", i + 1);
        sg__report(ctx, "E_SHARE_RANGE", (sg_where){"d.geojson", NULL, i, id, "share"}, "share %d is outside [0, 1]",
                   i + 2);
        if (i == 446) sg__hint(ctx, "use --share-scale percent");
    }
    sg__report(ctx, "E_SHARE_RANGE", (sg_where){"other.csv", NULL, 1, "x", "share"}, "another file");
    sg__hint_code(ctx, "E_SHARE_RANGE", "a hint of its own");
    sg__warn(ctx, "W_NO_DATA", SG_WHERE_NONE, "left out 1");
    sg__warn(ctx, "W_NO_DATA", SG_WHERE_NONE, "left out 2");
    char *t = sg_ctx_diags_text(ctx, SG_SEV_ERROR | SG_SEV_WARNING, 5, 20);
    assert_non_null(t);
    const char *want =
        "error: d.geojson: fid 0 (id '0001'): field 'share': share 2 is outside [0, 1] [E_SHARE_RANGE]\n"
        "error: d.geojson: fid 1 (id '0002'): field 'share': share 3 is outside [0, 1] [E_SHARE_RANGE]\n"
        "error: d.geojson: fid 2 (id '0003'): field 'share': share 4 is outside [0, 1] [E_SHARE_RANGE]\n"
        "error: d.geojson: fid 3 (id '0004'): field 'share': share 5 is outside [0, 1] [E_SHARE_RANGE]\n"
        "error: d.geojson: fid 4 (id '0005'): field 'share': share 6 is outside [0, 1] [E_SHARE_RANGE]\n"
        "error: ... and 442 more like it [E_SHARE_RANGE]\n"
        "hint: use --share-scale percent\n"
        "error: other.csv: fid 1 (id 'x'): field 'share': another file [E_SHARE_RANGE]\n"
        "hint: a hint of its own\n"
        "warning: left out 1 [W_NO_DATA]\n"
        "warning: left out 2 [W_NO_DATA]\n";
    assert_string_equal(t, want);
    free(t);
    /* errors only; no grouping (0); a cap of 1 warning line */
    t = sg_ctx_diags_text(ctx, SG_SEV_ERROR, 0, 0);
    assert_int_equal(strstr(t, "more like it") == NULL, 1);
    assert_null(strstr(t, "warning"));
    free(t);
    t = sg_ctx_diags_text(ctx, SG_SEV_WARNING, 5, 1);
    assert_string_equal(t, "warning: left out 1 [W_NO_DATA]\n"
                           "warning: ... and 1 more warnings (all of them are in summary.json)\n");
    free(t);
    /* --strict: a warning is an error with its W_ code, except the notes of an objective not assessed */
    size_t e0 = sg_ctx_count(ctx, SG_SEV_ERROR);
    sg__ctx_set_strict(ctx, 1);
    sg__warn(ctx, "W_NOT_INTEGER", SG_WHERE_NONE, "3 counts are not whole");
    sg__warn(ctx, "W_NO_HOUSING", SG_WHERE_NONE, "objective 10 not assessed");
    sg__ctx_set_strict(ctx, 0);
    sg__warn(ctx, "W_NOT_INTEGER", SG_WHERE_NONE, "after the run");
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), e0 + 1);
    const sg_diag *d = sg_ctx_diag(ctx, sg_ctx_diag_count(ctx) - 3);
    assert_int_equal(d->severity, SG_SEV_ERROR);
    assert_string_equal(d->code, "W_NOT_INTEGER");
    assert_string_equal(d->message, "3 counts are not whole (--strict: warnings are errors)");
    assert_int_equal(sg_ctx_diag(ctx, sg_ctx_diag_count(ctx) - 2)->severity, SG_SEV_WARNING);
    assert_int_equal(sg_ctx_diag(ctx, sg_ctx_diag_count(ctx) - 1)->severity, SG_SEV_WARNING);
    sg_ctx_destroy(ctx);
}

static void stages_add_up_in_first_run_order(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    assert_int_equal(sg_ctx_stage_count(ctx), 0);
    assert_int_equal(sg_ctx_stage_count(NULL), 0);
    sg__stage_add(ctx, "read", 1.5);
    sg__stage_add(ctx, "project", 0.25);
    sg__stage_add(ctx, "read", 0.5);
    sg__stage_add(ctx, NULL, 9); /* ignored */
    assert_int_equal(sg_ctx_stage_count(ctx), 2);
    const char *name = NULL;
    double s = -1;
    assert_int_equal(sg_ctx_stage(ctx, 0, &name, &s), 1);
    assert_string_equal(name, "read");
    sg_assert_near(s, 2.0, 0);
    assert_int_equal(sg_ctx_stage(ctx, 1, &name, &s), 1);
    assert_string_equal(name, "project");
    sg_assert_near(s, 0.25, 0);
    assert_int_equal(sg_ctx_stage(ctx, 2, &name, &s), 0);
    assert_string_equal(name, "project"); /* untouched */
    /* 48 slots: the 49th stage name is not timed */
    for (int i = 0; i < 60; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "s%d", i);
        sg__stage_add(ctx, nm, 1);
    }
    assert_int_equal(sg_ctx_stage_count(ctx), 48);
    assert_int_equal(sg_ctx_stage(ctx, 47, &name, NULL), 1);
    assert_string_equal(name, "s45");
    double t0 = sg__now(), t1 = sg__now();
    assert_true(t1 >= t0 && t0 > 0);
    sg_ctx_clear(ctx);
    assert_int_equal(sg_ctx_stage_count(ctx), 0);
    sg_ctx_destroy(ctx);
}

static void cancellation_is_reported_once(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    assert_int_equal(sg__cancelled(ctx), 0);
    assert_int_equal(sg__check_cancel(ctx), SG_OK);
    sg_ctx_cancel(ctx);
    sg_ctx_cancel(NULL);
    assert_int_equal(sg__cancelled(ctx), 1);
    assert_int_equal(sg__check_cancel(ctx), SG_ERR_CANCELLED);
    assert_int_equal(sg__check_cancel(ctx), SG_ERR_CANCELLED);
    assert_int_equal(sg_ctx_diag_count(ctx), 1);
    assert_string_equal(sg_ctx_diag(ctx, 0)->code, "E_CANCELLED");
    assert_string_equal(sg_ctx_last_error(ctx), "interrupted: stopped before finishing");
    assert_int_equal(sg_status_exit_code(sg_ctx_last_status(ctx)), 130);
    sg_ctx_uncancel(ctx);
    sg_ctx_uncancel(NULL);
    assert_int_equal(sg__check_cancel(ctx), SG_OK);
    assert_int_equal(sg__cancelled(NULL), 0);
    sg_ctx_destroy(ctx);
}

static void worker_diagnostics_reach_the_caller(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create(), *w = sg__ctx_create_bare();
    assert_non_null(w);
    sg__warn(ctx, "W_0", SG_WHERE_NONE, "caller's own");
    sg__warn(w, "W_1", (sg_where){"f", "l", 2, "i", "x"}, "one");
    sg__error(w, SG_ERR_GEOMETRY, "E_2", SG_WHERE_NONE, "two");
    /* copied: the worker keeps its own */
    sg__ctx_absorb(ctx, w);
    assert_int_equal(sg_ctx_diag_count(ctx), 3);
    assert_int_equal(sg_ctx_diag_count(w), 2);
    assert_string_equal(sg_ctx_diag(ctx, 1)->message, "f: layer 'l': fid 2 (id 'i'): field 'x': one");
    assert_string_equal(sg_ctx_diag(ctx, 1)->field, "x");
    assert_string_equal(sg_ctx_diag(ctx, 2)->code, "E_2");
    assert_string_equal(sg_ctx_last_error(ctx), "two");
    assert_int_equal(sg_ctx_last_status(ctx), SG_ERR_GEOMETRY);
    /* moved: the worker keeps none; the last error only when asked */
    sg_ctx *dst = sg_ctx_create();
    sg__ctx_absorb_move(dst, w, 0);
    assert_int_equal(sg_ctx_diag_count(w), 0);
    assert_int_equal(sg_ctx_diag_count(dst), 2);
    assert_int_equal(sg_ctx_count(dst, SG_SEV_ERROR), 1);
    assert_int_equal(sg_ctx_count(dst, SG_SEV_WARNING), 1);
    assert_string_equal(sg_ctx_last_error(dst), "");
    sg__ctx_absorb_move(dst, w, 1);
    assert_string_equal(sg_ctx_last_error(dst), "two");
    assert_int_equal(sg_ctx_last_status(dst), SG_ERR_GEOMETRY);
    assert_string_equal(sg_ctx_last_error(w), "");
    sg_ctx_destroy(w);
    sg_ctx_destroy(dst);
    sg_ctx_destroy(ctx);
}

/* sg_ctx_set_diag_fn (issue 18: warnings shown when they arise): each
 * diagnostic reaches the callback once, as it is recorded, in the order of
 * sg_ctx_diag; a worker's when it is absorbed; held ones (sg__diag_hold)
 * only when released, and those dropped meanwhile never. */
typedef struct diag_log {
    char codes[32][16];
    size_t n;
} diag_log;

static void log_diag(const sg_diag *d, void *user) {
    diag_log *l = user;
    if (l->n < 32) snprintf(l->codes[l->n++], sizeof l->codes[0], "%s", d->code);
}

static void diag_callback_sees_each_once_in_order(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create(), *w = sg__ctx_create_bare();
    diag_log log = {.n = 0};
    sg__warn(ctx, "W_BEFORE", SG_WHERE_NONE, "before the callback: not passed");
    sg_ctx_set_diag_fn(ctx, log_diag, &log);
    sg__warn(ctx, "W_A", SG_WHERE_NONE, "a");
    assert_int_equal(log.n, 1); /* at once, not at the end */
    assert_string_equal(log.codes[0], "W_A");
    sg__report(ctx, "E_B", SG_WHERE_NONE, "b");
    sg__error(w, SG_ERR_GEOMETRY, "E_W1", SG_WHERE_NONE, "worker's");
    sg__warn(w, "W_W2", SG_WHERE_NONE, "worker's");
    assert_int_equal(log.n, 2);
    sg__ctx_absorb(ctx, w); /* a worker's diagnostics: when they join */
    assert_int_equal(log.n, 4);
    sg__diag_hold(ctx, 1);
    sg__warn(ctx, "W_HELD", SG_WHERE_NONE, "kept");
    sg__error(ctx, SG_ERR_GEOMETRY, "E_DROPPED", SG_WHERE_NONE, "dropped");
    sg__warn(ctx, "W_DROPPED", SG_WHERE_NONE, "dropped");
    sg__drop_last_diag(ctx);
    sg__drop_errors_since(ctx, sg_ctx_diag_count(ctx) - 2);
    assert_int_equal(log.n, 4); /* held */
    sg__diag_hold(ctx, 0);
    sg__ctx_absorb_move(ctx, w, 0);
    const char *want[] = {"W_A", "E_B", "E_W1", "W_W2", "W_HELD", "E_W1", "W_W2"};
    assert_int_equal(log.n, 7);
    assert_int_equal(sg_ctx_diag_count(ctx), 8);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(log.codes[i], want[i]);
        assert_string_equal(sg_ctx_diag(ctx, i + 1)->code, want[i]); /* the order of sg_ctx_diag */
    }
    sg_ctx_clear(ctx); /* a new start: passed from the first one on */
    sg__warn(ctx, "W_AFTER_CLEAR", SG_WHERE_NONE, "c");
    assert_int_equal(log.n, 8);
    sg_ctx_set_diag_fn(ctx, NULL, NULL);
    sg__warn(ctx, "W_OFF", SG_WHERE_NONE, "d");
    assert_int_equal(log.n, 8);
    sg_ctx_destroy(w);
    sg_ctx_destroy(ctx);
}

static void library_messages_reach_the_context(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    assert_non_null(sg__geos(ctx));
    assert_non_null(sg__proj(ctx));
    assert_string_equal(sg__geos_msg(ctx), "");
    assert_string_equal(sg__proj_msg(ctx), "");
    assert_string_equal(sg__gdal_msg(ctx), "");
    /* GEOS: a parse error through this context's handle */
    GEOSWKTReader *rd = GEOSWKTReader_create_r(sg__geos(ctx));
    assert_null(GEOSWKTReader_read_r(sg__geos(ctx), rd, "POLYGON((0 0, 1"));
    GEOSWKTReader_destroy_r(sg__geos(ctx), rd);
    assert_non_null(strstr(sg__geos_msg(ctx), "ParseException"));
    sg__set_geos_msg(ctx, "from a worker");
    assert_string_equal(sg__geos_msg(ctx), "from a worker");
    /* PROJ: a string that is no CRS */
    assert_null(proj_create(sg__proj(ctx), "+proj=no_such_projection"));
    assert_true(strlen(sg__proj_msg(ctx)) > 0);
    sg__clear_proj_msg(ctx);
    assert_string_equal(sg__proj_msg(ctx), "");
    /* GDAL: failures between push and pop, not warnings */
    sg__gdal_push(ctx);
    CPLError(CE_Warning, CPLE_AppDefined, "only a warning");
    assert_string_equal(sg__gdal_msg(ctx), "");
    CPLError(CE_Failure, CPLE_AppDefined, "boom %d", 1);
    sg__gdal_pop();
    assert_string_equal(sg__gdal_msg(ctx), "boom 1");
    sg__clear_gdal_msg(ctx);
    assert_string_equal(sg__gdal_msg(ctx), "");
    CPLErrorReset();
    sg_ctx_destroy(ctx);
}

/* ---- util.c ---- */

static void string_helpers(void **state) {
    (void)state;
    char *s;
    assert_null(sg__strdup(NULL));
    s = sg__strdup("abc");
    assert_string_equal(s, "abc");
    free(s);
    s = sg__strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = sg__asprintf("%s-%03d-%.2f", "a", 7, 0.125);
    assert_string_equal(s, "a-007-0.12"); /* 0.125 rounds to even */
    free(s);
    s = sg__trim_dup(" \t x y \r\n\v\f");
    assert_string_equal(s, "x y");
    free(s);
    s = sg__trim_dup("   ");
    assert_string_equal(s, "");
    free(s);
    assert_null(sg__trim_dup(NULL));
    /* an overflowing size is refused, not wrapped */
    assert_null(sg__reallocarray(NULL, SIZE_MAX / 2, 4));
    int *p = sg__reallocarray(NULL, 4, sizeof *p);
    assert_non_null(p);
    free(p);
}

static void utf8_validity(void **state) {
    (void)state;
    const struct { const char *s; int ok; size_t bad; } cases[] = {
        {"", 1, 0},
        {"plain ascii", 1, 0},
        {"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80", 1, 0}, /* é, €, U+1F600 */
        {"\xF4\x8F\xBF\xBF", 1, 0},                          /* U+10FFFF, the last */
        {"\xC0\xAF", 0, 0},                                  /* overlong '/' */
        {"ab\xE0\x80\xAF", 0, 2},                            /* overlong in 3 bytes */
        {"ab\xED\xA0\x80", 0, 2},                            /* a surrogate, U+D800 */
        {"\xF4\x90\x80\x80", 0, 0},                          /* U+110000 */
        {"abc\xE2\x82", 0, 3},                               /* cut short by the end */
        {"x\x80", 0, 1},                                     /* a lone continuation byte */
        {"xy\xF8\x88\x80\x80\x80", 0, 2},                    /* 5-byte form */
        {"Stra\xDF" "e", 0, 4},                              /* Latin-1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 999;
        assert_int_equal(sg__utf8_valid(cases[i].s, &bad), cases[i].ok);
        assert_int_equal(bad, cases[i].ok ? 999 : cases[i].bad);
    }
    assert_int_equal(sg__utf8_valid("\xC3", NULL), 0);
}

/* sg__escape_controls: what a terminal would act on is shown as text. */
static void control_bytes_escaped(void **state) {
    (void)state;
    const struct { const char *in, *keep, *flat; } cases[] = {
        {"plain ä text", "plain ä text", "plain ä text"},
        {"\033[31mred\a", "\\x1B[31mred\\x07", "\\x1B[31mred\\x07"},
        {"a\nb\tc\rd\x7f", "a\nb\tc\\rd\\x7F", "a\\nb\\tc\\rd\\x7F"},
        {"csi \xC2\x9B 31m", "csi \\u009B 31m", "csi \\u009B 31m"}, /* U+009B, a C1 control */
        {"nbsp \xC2\xA0 ok", "nbsp \xC2\xA0 ok", "nbsp \xC2\xA0 ok"},
        {"latin1 \x9B\xE9 x", "latin1 \\x9B\\xE9 x", "latin1 \\x9B\\xE9 x"}, /* not UTF-8 */
        {"cut \xE2\x82", "cut \\xE2\\x82", "cut \\xE2\\x82"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *a = sg__escape_controls(cases[k].in, 1), *b = sg__escape_controls(cases[k].in, 0);
        assert_string_equal(a, cases[k].keep);
        assert_string_equal(b, cases[k].flat);
        free(a), free(b);
    }
    assert_null(sg__escape_controls(NULL, 0));
    /* every diagnostic: the message and the last error */
    sg_ctx *ctx = sg_ctx_create();
    sg__error(ctx, SG_ERR_DATA, "E_X", (sg_where){"f.csv", NULL, 3, "\033]0;pwned\a", "k\x1b"}, "key '%s'",
              "\033[2J");
    const char *m = sg_ctx_last_error(ctx);
    for (const char *p = m; *p; p++) assert_true((unsigned char)*p >= 0x20);
    assert_non_null(strstr(m, "(id '\\x1B]0;pwned\\x07')"));
    assert_non_null(strstr(m, "key '\\x1B[2J'"));
    assert_string_equal(sg_ctx_diag(ctx, 0)->message, m);
    sg_ctx_destroy(ctx);
}

static void file_hints(void **state) {
    (void)state;
    char *dir = sg_test_tmpdir();
    char *empty = sg_test_path(dir, "empty.csv"), *bom = sg_test_path(dir, "bom.csv"),
         *le = sg_test_path(dir, "le.csv"), *be = sg_test_path(dir, "be.csv"), *ok = sg_test_path(dir, "ok.csv"),
         *missing = sg_test_path(dir, "missing.csv");
    sg_test_write_file(empty, "");
    sg_test_write_file(ok, "id,total\n");
    FILE *f = fopen(bom, "wb");
    fwrite("\xFF\xFEi\0d\0", 1, 6, f);
    fclose(f);
    f = fopen(le, "wb");
    fwrite("i\0d\0", 1, 4, f);
    fclose(f);
    f = fopen(be, "wb");
    fwrite("\0i\0d", 1, 4, f);
    fclose(f);
    assert_string_equal(sg__file_hint(empty), "the file is empty (0 bytes)");
    assert_string_equal(sg__file_hint(bom), "the file is UTF-16 text: save it as UTF-8");
    const char *nobom = "the file looks like UTF-16 text without a byte order mark: save it as UTF-8";
    assert_string_equal(sg__file_hint(le), nobom);
    assert_string_equal(sg__file_hint(be), nobom);
    assert_null(sg__file_hint(ok));
    assert_null(sg__file_hint(missing));
    assert_null(sg__file_hint(dir)); /* a directory: no hint */
    assert_null(sg__file_hint(NULL));
    free(empty), free(bom), free(le), free(be), free(ok), free(missing);
    sg_test_rmdir(dir);
}

static void compensated_sum_keeps_what_rounding_drops(void **state) {
    (void)state;
    /* 1e16 + 1 rounds to 1e16 (doubles near 1e16 are 2 apart); the lost 1
     * is kept in c and survives the subtraction of 1e16: exactly 1. */
    sg_ksum k = {0, 0};
    sg__ksum_add(&k, 1e16);
    sg__ksum_add(&k, 1);
    sg__ksum_add(&k, -1e16);
    assert_true(sg__ksum_get(&k) == 1.0);
    volatile double naive = 1e16;
    naive += 1;
    naive -= 1e16;
    assert_true(naive == 0.0); /* what the plain sum gives */
    /* 0.1 ten times: the compensated sum is the double nearest to 1 */
    sg_ksum t = {0, 0};
    for (int i = 0; i < 10; i++) sg__ksum_add(&t, 0.1);
    assert_true(sg__ksum_get(&t) == 1.0);
}

static void bounding_boxes(void **state) {
    (void)state;
    double x[] = {3, -1, 2}, y[] = {5, 4, -2}, box[4];
    sg__bbox_xy(x, y, 3, box);
    sg_assert_near(box[0], -1, 0);
    sg_assert_near(box[1], -2, 0);
    sg_assert_near(box[2], 3, 0);
    sg_assert_near(box[3], 5, 0);
    sg__bbox_xy(x, y, 0, box); /* no points: an empty (inverted, infinite) box */
    assert_true(isinf(box[0]) && box[0] > 0 && isinf(box[1]) && box[1] > 0);
    assert_true(isinf(box[2]) && box[2] < 0 && isinf(box[3]) && box[3] < 0);
}

/* ---- strmap.c ---- */

/* The one id list of messages, in its three shapes. */
static void id_lists(void **state) {
    (void)state;
    const char *ids[] = {"001", NULL, "003", "004"};
    char *s = sg__format_ids(ids, 4, 2, 4, 0);
    assert_string_equal(s, "001, , ...");
    free(s);
    s = sg__format_ids(ids, 4, 10, 4, SG_IDS_QUOTE);
    assert_string_equal(s, "'001', '', '003', '004'");
    free(s);
    s = sg__format_ids(ids, 3, 3, 42, SG_IDS_IN_ALL);
    assert_string_equal(s, "001, , 003, ... (42 in all)");
    free(s);
    s = sg__format_ids(ids, 0, 0, 0, SG_IDS_IN_ALL);
    assert_string_equal(s, "");
    free(s);
}

static void string_map_key_index_and_arena(void **state) {
    (void)state;
    sg_strmap *m = sg__strmap_create(0);
    assert_non_null(m);
    size_t v = 0, prev = 0;
    assert_int_equal(sg__strmap_put(m, "b", 7, NULL), 1);
    assert_int_equal(sg__strmap_put(m, "a", 3, NULL), 1);
    assert_int_equal(sg__strmap_put(m, "b", 9, &prev), 0); /* present: the first value stays */
    assert_int_equal(prev, 7);
    assert_int_equal(sg__strmap_get(m, "b", &v), 1);
    assert_int_equal(v, 7);
    assert_int_equal(sg__strmap_get(m, "a", NULL), 1);
    assert_int_equal(sg__strmap_get(m, "c", &v), 0);
    /* the key is copied */
    char key[8] = "tmp";
    assert_int_equal(sg__strmap_put(m, key, 11, NULL), 1);
    strcpy(key, "zzz");
    assert_int_equal(sg__strmap_get(m, "tmp", &v), 1);
    assert_int_equal(v, 11);
    assert_int_equal(sg__strmap_get(m, "zzz", NULL), 0);
    /* 16 slots at first: 100 keys make it grow */
    for (size_t i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%zu", i);
        assert_int_equal(sg__strmap_put(m, k, 1000 + i, NULL), 1);
    }
    assert_int_equal(sg__strmap_get(m, "k57", &v), 1);
    assert_int_equal(v, 1057);
    assert_int_equal(sg__strmap_get(m, "b", &v), 1);
    assert_int_equal(v, 7);
    sg__strmap_destroy(m);
    sg__strmap_destroy(NULL);

    /* key index: a sorted list while keys increase, a map after "b" < "c" */
    sg_keyindex ix;
    memset(&ix, 0, sizeof ix);
    const char *keys[] = {"a", "c", "d", "b", "c"};
    assert_int_equal(sg__keyindex_put(&ix, keys[0], 0, NULL), 1);
    assert_int_equal(sg__keyindex_put(&ix, keys[1], 1, NULL), 1);
    assert_int_equal(sg__keyindex_put(&ix, keys[2], 2, NULL), 1);
    assert_null(ix.map);
    assert_int_equal(sg__keyindex_get(&ix, "c", &v), 1);
    assert_int_equal(v, 1);
    assert_int_equal(sg__keyindex_get(&ix, "d", &v), 1); /* the hint: next after c */
    assert_int_equal(v, 2);
    assert_int_equal(sg__keyindex_get(&ix, "bb", &v), 0);
    assert_int_equal(sg__keyindex_get(&ix, "e", &v), 0);
    assert_int_equal(sg__keyindex_put(&ix, keys[3], 3, NULL), 1);
    assert_non_null(ix.map);
    assert_int_equal(sg__keyindex_put(&ix, keys[4], 4, &prev), 0);
    assert_int_equal(prev, 1);
    assert_int_equal(sg__keyindex_get(&ix, "a", &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(sg__keyindex_get(&ix, "b", &v), 1);
    assert_int_equal(v, 3);
    sg__keyindex_free(&ix);
    assert_null(ix.map);
    assert_int_equal(ix.n, 0);

    sg_arena a = {NULL};
    char *s1 = sg__arena_strdup(&a, "abc"), *s2 = sg__arena_strndup(&a, "defgh", 2);
    assert_string_equal(s1, "abc");
    assert_string_equal(s2, "de");
    assert_ptr_equal(s2, s1 + 4); /* packed in one block */
    assert_null(sg__arena_strdup(&a, NULL));
    sg__arena_free(&a);
    assert_null(a.head);
}

/* ---- output.c ---- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_entries(const char *dir) {
    size_t n = 0;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

static void outputs_are_atomic(void **state) {
    sg_test_fixture *f = *state;
    /* temporary names: beside the final one, hidden, with the pid */
    char want[128], *t = sg__tmp_path("/x/y/z.json");
    snprintf(want, sizeof want, "/x/y/.z.json.seggap-tmp-%ld", (long)getpid());
    assert_string_equal(t, want);
    free(t);
    t = sg__tmp_path("z.json");
    snprintf(want, sizeof want, ".z.json.seggap-tmp-%ld", (long)getpid());
    assert_string_equal(t, want);
    free(t);

    /* directories, parents included; a trailing slash is fine */
    char *deep = sg_test_path(f->dir, "a/b/c/");
    assert_int_equal(sg__ensure_dir(f->ctx, deep), SG_OK);
    char *abc = sg_test_path(f->dir, "a/b/c");
    struct stat sb;
    assert_int_equal(stat(abc, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sg__ensure_dir(f->ctx, abc), SG_OK); /* again: nothing to do */

    /* a buffer, written whole; nothing else left in the directory */
    char *out = sg_test_path(abc, "s.json");
    assert_int_equal(sg__output_write(f->ctx, out, "{\"a\": 1}\n", 9), SG_OK);
    char *got = slurp(out);
    assert_string_equal(got, "{\"a\": 1}\n");
    free(got);
    assert_int_equal(count_entries(abc), 1);
    assert_int_equal(sg_ctx_diag_count(f->ctx), 0);

    /* a path that is a file cannot be a directory */
    assert_int_equal(sg__ensure_dir(f->ctx, out), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "s.json", "output path exists and is not a directory");
    char *under = sg_test_path(out, "sub");
    assert_int_equal(sg__ensure_dir(f->ctx, under), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "cannot create output directory", "Not a directory");
    assert_int_equal(sg__output_write(f->ctx, under, "x", 1), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "cannot create file");

    /* a GeoJSON layer must end like a whole FeatureCollection */
    char *layer = sg_test_path(abc, "l.geojson");
    sg_output o;
    assert_int_equal(sg__output_begin(f->ctx, layer, &o), SG_OK);
    assert_int_equal(o.expect_size, -1);
    sg_test_write_file(o.tmp, "{\"type\": \"FeatureCollection\", \"features\": [\n{}");
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_OK), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "l.geojson", "the layer is incomplete (disk full?)");
    assert_false(sg_test_exists(layer));
    assert_int_equal(count_entries(abc), 1);
    assert_int_equal(sg__output_begin(f->ctx, layer, &o), SG_OK);
    sg_test_write_file(o.tmp, "{\"type\": \"FeatureCollection\", \"features\": [\n{}\n]\n}\n");
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_OK), SG_OK);
    assert_true(sg_test_exists(layer));
    assert_null(o.tmp);

    /* a size other than the one expected: incomplete */
    char *sized = sg_test_path(abc, "sized.txt");
    assert_int_equal(sg__output_begin(f->ctx, sized, &o), SG_OK);
    sg_test_write_file(o.tmp, "12345");
    o.expect_size = 6;
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_OK), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "sized.txt", "the file is incomplete (disk full?)");
    assert_false(sg_test_exists(sized));
    /* a writer that failed: the temporary file goes, the status stays */
    assert_int_equal(sg__output_begin(f->ctx, sized, &o), SG_OK);
    sg_test_write_file(o.tmp, "12345");
    char *tmp = sg__strdup(o.tmp);
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_ERR_DATA), SG_ERR_DATA);
    assert_false(sg_test_exists(tmp));
    assert_false(sg_test_exists(sized));
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_ERR_CANCELLED), SG_ERR_CANCELLED); /* finished: no-op */
    /* commit renames; a missing temporary file is an error */
    sg_test_write_file(tmp, "abc");
    assert_int_equal(sg__commit(f->ctx, tmp, sized), SG_OK);
    assert_false(sg_test_exists(tmp));
    got = slurp(sized);
    assert_string_equal(got, "abc");
    free(got);
    assert_int_equal(sg__commit(f->ctx, tmp, sized), SG_ERR_OUTPUT);
    assert_int_equal(count_entries(abc), 3); /* s.json, l.geojson, sized.txt */
    free(tmp);
    free(deep), free(abc), free(out), free(under), free(layer), free(sized);
}

/* ---- parallel.c ---- */

typedef struct squares {
    size_t *out;
    int fail_at; /* the chunk beginning here returns `code` */
    int code;
} squares;

static int square_chunk(void *user, GEOSContextHandle_t h, size_t begin, size_t end) {
    squares *s = user;
    if (!h) return -1;
    if (s->fail_at >= 0 && begin == (size_t)s->fail_at) return s->code;
    for (size_t i = begin; i < end; i++) s->out[i] += i * i;
    return 0;
}

typedef struct team {
    pthread_mutex_t lock;
    int ran;
} team;
static void *team_member(void *arg) {
    team *t = arg;
    pthread_mutex_lock(&t->lock);
    t->ran++;
    pthread_mutex_unlock(&t->lock);
    return NULL;
}
static void *set_answer(void *arg) {
    *(int *)arg = 42;
    return NULL;
}

static void worker_pool(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    assert_int_equal(sg__thread_count(3), 3);
    assert_int_equal(sg__thread_count(1000), 256);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(sg__thread_count(0), cores > 256 ? 256 : cores);

    /* every item once, on 1 and 4 threads, chunks of 7 (the last one short) */
    const size_t n = 1000;
    for (int threads = 1; threads <= 4; threads += 3) {
        squares s = {calloc(n, sizeof(size_t)), -1, 0};
        assert_int_equal(sg__parallel(ctx, n, threads, 7, square_chunk, &s), SG_OK);
        for (size_t i = 0; i < n; i++) assert_int_equal(s.out[i], i * i);
        /* chunk 0 means 1 */
        assert_int_equal(sg__parallel(ctx, 5, threads, 0, square_chunk, &s), SG_OK);
        assert_int_equal(s.out[4], 2 * 16);
        free(s.out);
    }
    assert_int_equal(sg__parallel(ctx, 0, 4, 7, square_chunk, NULL), SG_OK); /* nothing to do */
    assert_int_equal(sg_ctx_diag_count(ctx), 0);

    /* a failing chunk: -1 is out of memory, anything else a GEOS failure */
    for (int threads = 1; threads <= 2; threads++) {
        squares s = {calloc(n, sizeof(size_t)), 70, -1};
        assert_int_equal(sg__parallel(ctx, n, threads, 7, square_chunk, &s), SG_ERR_NOMEM);
        assert_string_equal(sg_ctx_last_error(ctx), "out of memory");
        s.code = 3;
        assert_int_equal(sg__parallel(ctx, n, threads, 7, square_chunk, &s), SG_ERR_INTERNAL);
        assert_string_equal(sg_ctx_last_error(ctx), "a distance computation failed in GEOS");
        assert_string_equal(sg_ctx_diag(ctx, sg_ctx_diag_count(ctx) - 1)->code, "E_GEOS");
        free(s.out);
    }

    /* a team of 3 runs the job 3 times; a thread started and joined */
    team t = {PTHREAD_MUTEX_INITIALIZER, 0};
    assert_int_equal(sg__threads_run(3, team_member, &t), 3);
    assert_int_equal(t.ran, 3);
    int answer = 0;
    sg_thread th;
    assert_int_equal(sg__thread_start(&th, set_answer, &answer), 0);
    sg__thread_join(&th);
    assert_int_equal(answer, 42);
    assert_int_equal(th.started, 0);
    sg__thread_join(&th); /* joined already: nothing */
    sg_ctx_destroy(ctx);
}

/* ---- result.c ---- */

static void named_results_and_columns(void **state) {
    (void)state;
    sg_result r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    sg_global *g = sg__result_set(&r, "dissimilarity", 0.375, "share that would have to move");
    assert_non_null(g);
    assert_true(isnan(g->p_value) && isnan(g->null_mean) && isnan(g->null_sd) && isnan(g->ci_low) &&
                isnan(g->ci_high));
    g->p_value = 0.01;
    /* set again: the same entry, the new value, the statistics forgotten */
    g = sg__result_set(&r, "dissimilarity", 0.5, NULL);
    assert_int_equal(r.ng, 1);
    assert_null(g->description);
    assert_true(isnan(g->p_value));
    for (int i = 0; i < 40; i++) { /* past the first 32 slots */
        char nm[16];
        snprintf(nm, sizeof nm, "g%d", i);
        assert_non_null(sg__result_set(&r, nm, i, "x"));
    }
    assert_int_equal(r.ng, 41);
    const sg_global *c = sg__result_get(&r, "dissimilarity");
    assert_non_null(c);
    sg_assert_near(c->value, 0.5, 0);
    sg_assert_near(sg__result_get(&r, "g39")->value, 39, 0);
    assert_string_equal(sg__result_get(&r, "g39")->description, "x");
    assert_null(sg__result_get(&r, "nope"));

    double *num = sg__result_column(&r, "share");
    assert_non_null(num);
    for (size_t i = 0; i < r.n; i++) assert_true(isnan(num[i]));
    num[1] = 0.5;
    assert_ptr_equal(sg__result_column(&r, "share"), num);
    assert_null(sg__result_text_column(&r, "share")); /* a number column is no text column */
    char **txt = sg__result_text_column(&r, "class");
    assert_non_null(txt);
    assert_null(txt[0]);
    txt[2] = strdup("high");
    assert_null(sg__result_column(&r, "class"));
    assert_ptr_equal(sg__res_col(&r, "share")->num, num);
    assert_null(sg__res_col(&r, "nope"));

    /* moving columns: a new one by pointer, an existing one by value, text by pointer */
    sg_result from;
    memset(&from, 0, sizeof from);
    from.n = 3;
    double *fresh = sg__result_column(&from, "fresh");
    fresh[0] = 1;
    double *share = sg__result_column(&from, "share");
    share[0] = 0.25;
    char **fc = sg__result_text_column(&from, "class");
    fc[0] = strdup("low");
    assert_int_equal(sg__result_move_columns(&r, &from), 0);
    assert_ptr_equal(sg__res_col(&r, "fresh")->num, fresh);
    assert_null(sg__res_col(&from, "fresh")->num);
    assert_ptr_equal(sg__res_col(&r, "share")->num, num);
    sg_assert_near(num[0], 0.25, 0);
    assert_true(isnan(num[1])); /* copied whole: from's NaN too */
    assert_string_equal(txt[0], "low");
    assert_null(txt[2]); /* from's NULL too */
    assert_null(fc[0]);
    sg__result_free(&from);
    /* kinds that differ: refused */
    memset(&from, 0, sizeof from);
    from.n = 3;
    assert_non_null(sg__result_column(&from, "class"));
    assert_int_equal(sg__result_move_columns(&r, &from), -1);
    sg__result_free(&from);
    sg__result_free(&r);
    assert_int_equal(r.ng, 0);
    assert_int_equal(r.ncols, 0);
    assert_null(r.g);
}

/* ---- sha256.c ---- */

static void sha256_of_files(void **state) {
    sg_test_fixture *f = *state;
    char *abc = sg_test_path(f->dir, "abc"), *empty = sg_test_path(f->dir, "empty"),
         *two = sg_test_path(f->dir, "two"), *big = sg_test_path(f->dir, "big");
    sg_test_write_file(abc, "abc");
    sg_test_write_file(empty, "");
    sg_test_write_file(two, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    /* a million 'a': more than one 64 KiB read */
    FILE *fp = fopen(big, "wb");
    for (int i = 0; i < 1000; i++) {
        char k[1000];
        memset(k, 'a', sizeof k);
        fwrite(k, 1, sizeof k, fp);
    }
    fclose(fp);
    char hex[65];
    /* FIPS 180-2, appendix B */
    assert_int_equal(sg__sha256_file(abc, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(sg__sha256_file(two, hex), 0);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_int_equal(sg__sha256_file(big, hex), 0);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_int_equal(sg__sha256_file(empty, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char *missing = sg_test_path(f->dir, "missing");
    assert_int_equal(sg__sha256_file(missing, hex), -1);
    free(abc), free(empty), free(two), free(big), free(missing);
}

/* ---- redact.c ---- */

static void passwords_are_redacted(void **state) {
    (void)state;
    const struct { const char *in, *out; } cases[] = {
        {"host=db password=hunter2 user=x", "host=db password=*** user=x"},
        {"PG:dbname=c PASSWORD = s3cret", "PG:dbname=c PASSWORD = ***"},
        {"password='a b\\'c' port=5", "password=*** port=5"},
        {"password=x,password=y;z", "password=***,password=***;z"},
        {"postgresql://bob:secret@host:5432/db", "postgresql://bob:***@host:5432/db"},
        {"postgresql://bob@host/db", "postgresql://bob@host/db"}, /* no secret */
        {"http://host:80/path", "http://host:80/path"},           /* a port, no user */
        {"mypassword=abc", "mypassword=abc"},                     /* another key */
        {"password", "password"},                                 /* no value */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = sg__redact(cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].out) != 0) print_error("redact(\"%s\") = \"%s\"\n", cases[i].in, got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    assert_null(sg__redact(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_table),
        cmocka_unit_test(id_lists),
        cmocka_unit_test(diagnostics_name_where_they_apply),
        cmocka_unit_test(a_stage_reports_its_first_error_and_the_count),
        cmocka_unit_test(diagnostics_are_grouped_with_their_hint_once),
        cmocka_unit_test(stages_add_up_in_first_run_order),
        cmocka_unit_test(cancellation_is_reported_once),
        cmocka_unit_test(worker_diagnostics_reach_the_caller),
        cmocka_unit_test(diag_callback_sees_each_once_in_order),
        cmocka_unit_test(library_messages_reach_the_context),
        cmocka_unit_test(string_helpers),
        cmocka_unit_test(utf8_validity),
        cmocka_unit_test(did_you_mean),
        cmocka_unit_test(file_hints),
        cmocka_unit_test(control_bytes_escaped),
        cmocka_unit_test(compensated_sum_keeps_what_rounding_drops),
        cmocka_unit_test(bounding_boxes),
        cmocka_unit_test(string_map_key_index_and_arena),
        cmocka_unit_test_setup_teardown(outputs_are_atomic, sg_test_setup, sg_test_teardown),
        cmocka_unit_test(worker_pool),
        cmocka_unit_test(named_results_and_columns),
        cmocka_unit_test_setup_teardown(sha256_of_files, sg_test_setup, sg_test_teardown),
        cmocka_unit_test(passwords_are_redacted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
