/* base/outset.c: an output folder published whole or not at all (issues 15
 * and 16). The swap, the lock, foreign files kept, seggap's old files gone,
 * the stale staging folder of a killed run, the fallback without
 * RENAME_EXCHANGE, and a deep path that costs nothing. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"
#include "base/outset.h"

static char *text_of(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1, 4096);
    size_t n = fread(s, 1, 4095, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void assert_text(const char *dir, const char *name, const char *want) {
    char *p = sg_test_path(dir, name), *t = text_of(p);
    if (!want) assert_null(t);
    else {
        assert_non_null(t);
        assert_string_equal(t, want);
    }
    free(t);
    free(p);
}

static void put(const char *dir, const char *name, const char *text) {
    char *p = sg_test_path(dir, name);
    sg_test_write_file(p, text);
    free(p);
}

/* An earlier run's set: summary.json lists extra.geojson (a name seggap may
 * write one day), beside a user's notes.txt and folder. */
static char *old_run(const char *root) {
    char *out = sg_test_path(root, "out");
    assert_int_equal(mkdir(out, 0755), 0);
    char summary[512];
    snprintf(summary, sizeof summary, "{\"outputs\": {\"summary\": \"%s/summary.json\", \"x\": \"%s/extra.geojson\", "
             "\"shapefiles\": [\"%s/shp/a.shp\"]}}", out, out, out);
    put(out, "summary.json", summary);
    put(out, "districts.geojson", "old districts");
    put(out, "services.geojson", "old services");
    put(out, "extra.geojson", "old extra");
    put(out, "notes.txt", "mine");
    char *sub = sg_test_path(out, "photos");
    assert_int_equal(mkdir(sub, 0755), 0);
    put(sub, "a.txt", "photo");
    free(sub);
    sub = sg_test_path(out, "shp");
    assert_int_equal(mkdir(sub, 0755), 0);
    put(sub, "a.shp", "old shp");
    free(sub);
    return out;
}

static void new_run(sg_ctx *ctx, const char *out) {
    sg_outset o;
    assert_int_equal(sg__outset_open(ctx, out, "--out", &o), SG_OK);
    assert_non_null(o.stage);
    put(o.stage, "summary.json", "{}");
    put(o.stage, "districts.geojson", "new districts");
    assert_int_equal(sg__outset_publish(ctx, &o), SG_OK);
    sg__outset_close(&o);
}

static void check_new_set(const char *root, const char *out) {
    assert_text(out, "summary.json", "{}");
    assert_text(out, "districts.geojson", "new districts");
    assert_text(out, "services.geojson", NULL); /* seggap's name: the new run has none */
    assert_text(out, "extra.geojson", NULL);     /* listed by the old summary.json */
    assert_text(out, "notes.txt", "mine");       /* foreign: kept */
    assert_text(out, "photos/a.txt", "photo");
    char *shp = sg_test_path(out, "shp");
    assert_false(sg_test_exists(shp));
    free(shp);
    /* nothing left beside --out */
    char *real = realpath(root, NULL), stage[600];
    snprintf(stage, sizeof stage, "%s/.out.seggap-tmp-%ld", real, (long)getpid());
    assert_false(sg_test_exists(stage));
    free(real);
}

static void the_set_is_swapped_in_whole(void **state) {
    sg_test_fixture *f = *state;
    char *out = old_run(f->dir);
    char *notes = sg_test_path(out, "notes.txt");
    struct stat a, b;
    assert_int_equal(stat(notes, &a), 0);
    new_run(f->ctx, out);
    check_new_set(f->dir, out);
    assert_int_equal(stat(notes, &b), 0);
    assert_true(a.st_ino == b.st_ino); /* the user's file itself, not a copy */
    assert_int_equal(sg_ctx_diag_count(f->ctx), 0);
    free(notes);
    free(out);
}

static void without_exchange_files_move_one_by_one(void **state) {
    sg_test_fixture *f = *state;
    char *out = old_run(f->dir);
    setenv("SEGGAP_TEST_NO_EXCHANGE", "1", 1);
    new_run(f->ctx, out);
    unsetenv("SEGGAP_TEST_NO_EXCHANGE");
    check_new_set(f->dir, out);
    assert_diag(f->ctx, "W_OUT_NOT_ATOMIC", "one by one");
    free(out);
}

static void an_unpublished_set_leaves_the_folder_as_it_was(void **state) {
    sg_test_fixture *f = *state;
    char *out = old_run(f->dir);
    sg_outset o;
    assert_int_equal(sg__outset_open(f->ctx, out, "--out", &o), SG_OK);
    put(o.stage, "summary.json", "{}");
    char *stage = sg__strdup(o.stage);
    sg__outset_close(&o); /* a failure: never published */
    assert_false(sg_test_exists(stage));
    assert_text(out, "districts.geojson", "old districts");
    assert_text(out, "services.geojson", "old services");
    assert_text(out, "notes.txt", "mine");
    free(stage);
    free(out);
}

static void a_second_run_is_refused_while_one_writes(void **state) {
    sg_test_fixture *f = *state;
    char *out = old_run(f->dir);
    sg_outset a, b;
    assert_int_equal(sg__outset_open(f->ctx, out, "--out", &a), SG_OK);
    assert_int_equal(sg__outset_open(f->ctx, out, "--out", &b), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUT_BUSY", "another seggap run", "is writing to this --out folder");
    assert_null(b.stage);
    sg__outset_close(&a);
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg__outset_open(f->ctx, out, "--out", &b), SG_OK); /* free again */
    sg__outset_close(&b);
    free(out);
}

static void a_killed_runs_staging_folder_is_removed(void **state) {
    sg_test_fixture *f = *state;
    char *out = old_run(f->dir);
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0) _exit(0);
    int status;
    assert_int_equal(waitpid(dead, &status, 0), dead);
    char name[128];
    snprintf(name, sizeof name, ".out.seggap-tmp-%ld", (long)dead);
    char *stale = sg_test_path(f->dir, name);
    assert_int_equal(mkdir(stale, 0755), 0);
    char listed[600]; /* killed after the swap: the previous run, whose summary lists old.geojson */
    snprintf(listed, sizeof listed, "{\"outputs\": {\"x\": \"%s/old.geojson\"}}", out);
    put(stale, "summary.json", listed);
    put(stale, "old.geojson", "a previous run's layer");
    char *from = sg_test_path(out, "notes.txt"), *to = sg_test_path(stale, "notes.txt");
    assert_int_equal(link(from, to), 0); /* carried before the kill */
    put(stale, "late.txt", "arrived while the killed run wrote"); /* foreign, not in --out: moved back */
    snprintf(name, sizeof name, ".other.seggap-tmp-%ld", (long)dead); /* another folder's: not ours to judge */
    char *other = sg_test_path(f->dir, name);
    assert_int_equal(mkdir(other, 0755), 0);
    new_run(f->ctx, out);
    assert_false(sg_test_exists(stale));
    assert_true(sg_test_exists(other));
    assert_text(out, "notes.txt", "mine");
    assert_text(out, "late.txt", "arrived while the killed run wrote");
    assert_text(out, "old.geojson", NULL); /* seggap's, by the stale folder's own summary.json */
    free(from), free(to), free(other), free(stale), free(out);
}

/* A path deeper than PATH_MAX allows fails at once and removes the levels it
 * made (1,361 empty folders were left before). */
static void a_deep_path_fails_leaving_nothing(void **state) {
    sg_test_fixture *f = *state;
    size_t n = strlen(f->dir) + 2000 * 3 + 8;
    char *deep = malloc(n), *p = deep + sprintf(deep, "%s", f->dir);
    for (int k = 0; k < 2000; k++) p += sprintf(p, "/dd"); /* beyond PATH_MAX */
    sg_outset o;
    assert_int_equal(sg__outset_open(f->ctx, deep, "--out", &o), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "cannot create output directory");
    char *first = sg_test_path(f->dir, "dd");
    assert_false(sg_test_exists(first));
    free(first);
    free(deep);
    /* a regular file as --out */
    char *file = sg_test_path(f->dir, "file");
    sg_test_write_file(file, "x");
    assert_int_equal(sg__outset_open(f->ctx, file, "--out", &o), SG_ERR_OUTPUT);
    assert_diag(f->ctx, "E_OUTPUT", "is not a directory");
    free(file);
    /* a new folder: made, and kept once published */
    char *fresh = sg_test_path(f->dir, "a/b/c");
    new_run(f->ctx, fresh);
    assert_text(fresh, "districts.geojson", "new districts");
    free(fresh);
    /* staging paths */
    assert_int_equal(sg__outset_open(f->ctx, f->dir, "--out", &o), SG_OK);
    char *sp = sg__outset_path(&o, "rel/", "rel//x.json"), *other = sg__outset_path(&o, "rel", "elsewhere/x");
    char want[600];
    snprintf(want, sizeof want, "%s//x.json", o.stage);
    assert_string_equal(sp, want);
    assert_string_equal(other, "elsewhere/x");
    free(sp), free(other);
    sg__outset_close(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_set_is_swapped_in_whole, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(without_exchange_files_move_one_by_one, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(an_unpublished_set_leaves_the_folder_as_it_was, sg_test_setup,
                                        sg_test_teardown),
        cmocka_unit_test_setup_teardown(a_second_run_is_refused_while_one_writes, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(a_killed_runs_staging_folder_is_removed, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(a_deep_path_fails_leaving_nothing, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
