/* Faults: what happens to the outputs when the world misbehaves. The CLI is
 * run without a shell (fork + exec) on the bundled sample and on a synthetic
 * city of 2000 districts (seggap-gencity):
 *   - output directory not writable: a read-only tmpfs (root ignores file
 *     modes, so chmod would prove nothing) and a path under a regular file;
 *   - disk full: a 16 KiB tmpfs;
 *   - SIGKILL while districts.geojson is being written;
 *   - SIGINT while writing and while computing: exit 130, temporary files
 *     removed, nothing under a final name (while computing, the signal is
 *     sent once --progress says the permutations run: deterministic);
 * and after each, the previous outputs are intact, no temporary file is left
 * (a killed run's is removed by the next run), a rerun succeeds, and the
 * inputs are unchanged. Mounting needs root (CAP_SYS_ADMIN): without it those
 * two tests are skipped with a message (under CI they fail). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "test_support.h"

#define SAMPLE SG_SAMPLES_DIR "/city"

static char root[64];    /* per-run scratch directory */
static char city[128];   /* a 2000-district city */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ULL;
    int c;
    while ((c = getc(f)) != EOF) h = (h ^ (unsigned char)c) * 1099511628211ULL;
    fclose(f);
    return h;
}

/* Hash of every file of a flat directory (names included). */
static uint64_t dir_hash(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    uint64_t h = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char *p = sg_test_path(dir, de->d_name);
        uint64_t fh = file_hash(p);
        for (const char *c = de->d_name; *c; c++) fh = (fh ^ (unsigned char)*c) * 1099511628211ULL;
        h += fh; /* order-free */
        free(p);
    }
    closedir(d);
    return h;
}

/* Names in dir starting with '.' (temporary files), as one string. */
static int count_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, "tmp-")) n++; /* ours (.seggap-tmp-) and GDAL copies */
    closedir(d);
    return n;
}

/* Starts the CLI: argv ends with NULL; stdout/stderr go to root/stdout|stderr. */
static pid_t spawn(const char *const *args) {
    char so[128], se[128];
    snprintf(so, sizeof so, "%s/stdout", root);
    snprintf(se, sizeof se, "%s/stderr", root);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(so, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(se, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    return pid;
}

/* Waits for pid; returns the exit code, 128 + signal when killed. */
static int wait_for(pid_t pid, double timeout_s) {
    double t0 = now_s();
    int status = 0;
    struct timespec nap = {0, 5 * 1000 * 1000};
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (now_s() - t0 > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the CLI did not finish within %.0f s", timeout_s);
        }
        nanosleep(&nap, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *stderr_text(void) {
    char p[128];
    snprintf(p, sizeof p, "%s/stderr", root);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int run_sample(const char *out) {
    const char *args[] = {SG_CLI, "analyze", "--districts", SAMPLE "/districts.shp", "--id", "code", "--table",
                          SAMPLE "/census.csv", "--table-key", "code", "--total", "total", "--group", "migrants",
                          "--out", out, "--quiet", NULL};
    return wait_for(spawn(args), 300);
}

/* The city into out; extra (may be NULL) adds one option and its value,
 * flag (may be NULL) one more option. */
static pid_t start_city(const char *out, const char *extra, const char *value, const char *flag) {
    static char d[160], c[160];
    snprintf(d, sizeof d, "%s/districts.gpkg", city);
    snprintf(c, sizeof c, "%s/census.csv", city);
    const char *args[] = {SG_CLI, "analyze", "--districts", d, "--id", "code", "--table", c, "--table-key", "code",
                          "--total", "total", "--group", "migrants", "--out", out, "--quiet",
                          "--local-permutations", "0", extra ? extra : flag, extra ? value : NULL, extra ? flag : NULL,
                          NULL};
    return spawn(args);
}

/* Mounts a tmpfs; returns 0, or skips (fails under CI) when not permitted. */
static int mount_tmpfs(const char *dir, const char *opts) {
    assert_int_equal(mkdir(dir, 0755), 0);
    if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0) {
        int e = errno;
        if (getenv("CI")) fail_msg("cannot mount a tmpfs (%s): run the fault tests as root", strerror(e));
        print_message("cannot mount a tmpfs (%s): needs root; skipped\n", strerror(e));
        return -1;
    }
    return 0;
}

static int group_setup(void **state) {
    (void)state;
    GDALAllRegister();
    snprintf(root, sizeof root, "/tmp/seggap-faults-XXXXXX");
    if (!mkdtemp(root)) return -1;
    snprintf(city, sizeof city, "%s/city", root);
    const char *args[] = {SG_GENCITY, "--out", city, "--n", "2000", "--format", "gpkg", NULL};
    return wait_for(spawn(args), 300) == 0 ? 0 : -1;
}
static int group_teardown(void **state) {
    (void)state;
    nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    return 0;
}

static void out_dir_read_only(void **state) {
    (void)state;
    char ro[128], out[160];
    snprintf(ro, sizeof ro, "%s/ro", root);
    snprintf(out, sizeof out, "%s/out", ro);
    if (mount_tmpfs(ro, "size=64k") != 0) skip();
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(mount("tmpfs", ro, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64k"), 0);
    int rc = run_sample(out);
    char *err = stderr_text();
    umount(ro);
    rmdir(ro);
    if (rc != 4) print_error("%s", err);
    assert_int_equal(rc, 4);
    assert_non_null(strstr(err, "not writable"));
    free(err);
    /* A parent that is a regular file: no directory can be made there. */
    char file[128], under[160];
    snprintf(file, sizeof file, "%s/plainfile", root);
    sg_test_write_file(file, "x");
    snprintf(under, sizeof under, "%s/out", file);
    assert_int_equal(run_sample(under), 4);
    err = stderr_text();
    assert_non_null(strstr(err, "cannot create output directory"));
    free(err);
    remove(file);
}

static void disk_full(void **state) {
    (void)state;
    char full[128], out[160];
    snprintf(full, sizeof full, "%s/full", root);
    snprintf(out, sizeof out, "%s/out", full);
    if (mount_tmpfs(full, "size=16k") != 0) skip();
    int rc = run_sample(out);
    char *err = stderr_text();
    char layer[200], summary[200];
    snprintf(layer, sizeof layer, "%s/districts.geojson", out);
    snprintf(summary, sizeof summary, "%s/summary.json", out);
    int has_layer = sg_test_exists(layer), has_summary = sg_test_exists(summary), ntmp = count_tmp(out);
    umount(full);
    rmdir(full);
    if (rc != 4) print_error("%s", err);
    assert_int_equal(rc, 4);
    assert_non_null(strstr(err, "E_OUTPUT"));
    assert_false(has_layer); /* nothing half-written under a final name */
    assert_false(has_summary);
    assert_int_equal(ntmp, 0);
    free(err);
    /* With space again, the same run succeeds. */
    snprintf(out, sizeof out, "%s/after-full", root);
    assert_int_equal(run_sample(out), 0);
}

/* Starts the city into root/NAME (which holds an earlier run's outputs),
 * waits until districts.geojson's temporary file in the run's staging folder
 * (root/.NAME.seggap-tmp-PID) has content, then sends sig. */
static int signal_mid_write(const char *out, const char *name, int sig) {
    pid_t pid = start_city(out, NULL, NULL, NULL);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/.%s.seggap-tmp-%ld/.districts.geojson.seggap-tmp-%ld", root, name, (long)pid,
             (long)pid);
    double t0 = now_s();
    struct stat sb;
    struct timespec nap = {0, 200 * 1000};
    while (!(stat(tmp, &sb) == 0 && sb.st_size > 0)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) fail_msg("the run ended before it was caught writing");
        if (now_s() - t0 > 600) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("no temporary layer appeared within 600 s");
        }
        nanosleep(&nap, NULL);
    }
    kill(pid, sig);
    return wait_for(pid, 300);
}

static void killed_mid_write(void **state) {
    (void)state;
    char out[128], layer[200];
    snprintf(out, sizeof out, "%s/killed", root);
    snprintf(layer, sizeof layer, "%s/districts.geojson", out);
    assert_int_equal(run_sample(out), 0);
    uint64_t before = dir_hash(out), inputs = dir_hash(city);
    assert_int_equal(signal_mid_write(out, "killed", SIGKILL), 128 + SIGKILL);
    assert_true(dir_hash(out) == before); /* the previous outputs are intact */
    assert_int_equal(count_tmp(out), 0);
    assert_int_equal(count_tmp(root), 1); /* the killed run's staging folder, beside --out */
    /* A rerun succeeds, replaces both outputs and removes the stale folder. */
    assert_int_equal(wait_for(start_city(out, NULL, NULL, NULL), 600), 0);
    assert_int_equal(count_tmp(out), 0);
    assert_int_equal(count_tmp(root), 0);
    assert_true(dir_hash(out) != before);
    GDALDatasetH ds = GDALOpenEx(layer, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), 1), 2000);
    GDALClose(ds);
    assert_true(dir_hash(city) == inputs);
}

/* SIGINT while the layer is written stops the run (130) with the previous
 * outputs intact and the staging folder removed. Only a signal that lands
 * after the set was swapped in lets the run end 0. */
static void sigint_mid_write(void **state) {
    (void)state;
    char out[128];
    snprintf(out, sizeof out, "%s/interrupted", root);
    assert_int_equal(run_sample(out), 0);
    uint64_t before = dir_hash(out);
    int rc = signal_mid_write(out, "interrupted", SIGINT);
    char *err = stderr_text();
    if (rc == 0) {
        print_message("the signal came after the layer was complete: the run finished the set\n");
        assert_true(dir_hash(out) != before);
    } else {
        if (rc != 130) print_error("%s", err);
        assert_int_equal(rc, 130);
        assert_non_null(strstr(err, "interrupted"));
        assert_true(dir_hash(out) == before);
    }
    free(err);
    assert_int_equal(count_tmp(out), 0); /* removed on the way out */
    assert_int_equal(count_tmp(root), 0);
}

/* SIGINT while the permutations run: the CLI's handler stops the run, which
 * exits 130 by itself (not killed by the signal), says so, and leaves
 * nothing. The signal is sent only once the CLI is inside the permutations,
 * which its --progress line says: the handler is installed before the run
 * starts, so it cannot land before it (it did, under load, with a fixed
 * 1 s wait: the default action killed the CLI with the same 130). */
static void sigint_while_computing(void **state) {
    (void)state;
    char out[128], err_path[128];
    snprintf(out, sizeof out, "%s/computing", root);
    snprintf(err_path, sizeof err_path, "%s/stderr", root);
    /* Permutations enough to keep it computing for minutes. */
    pid_t pid = start_city(out, "--permutations", "1000000", "--progress");
    double t0 = now_s();
    struct timespec nap = {0, 2 * 1000 * 1000};
    int status = 0;
    for (;;) {
        FILE *f = fopen(err_path, "rb");
        char line[256];
        int ready = 0;
        while (f && !ready && fgets(line, sizeof line, f))
            ready = strncmp(line, "seggap: progress ", 17) == 0 && strstr(line, " permutations\n") != NULL;
        if (f) fclose(f);
        if (ready) break;
        if (waitpid(pid, &status, WNOHANG) == pid) fail_msg("the run ended before its permutations started");
        if (now_s() - t0 > 600) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("no progress line of the permutations within 600 s");
        }
        nanosleep(&nap, NULL);
    }
    kill(pid, SIGINT);
    t0 = now_s();
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (now_s() - t0 > 300) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the CLI did not stop within 300 s of SIGINT");
        }
        nanosleep(&nap, NULL);
    }
    char *err = stderr_text();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 130) print_error("%s", err);
    assert_true(WIFEXITED(status)); /* handled: not killed by the signal */
    assert_int_equal(WEXITSTATUS(status), 130);
    print_message("stopped %.1f s after SIGINT\n", now_s() - t0);
    assert_non_null(strstr(err, "seggap: interrupted; nothing written\n"));
    assert_non_null(strstr(err, "[E_CANCELLED]"));
    free(err);
    char layer[200], summary[200];
    snprintf(layer, sizeof layer, "%s/districts.geojson", out);
    snprintf(summary, sizeof summary, "%s/summary.json", out);
    assert_false(sg_test_exists(layer));
    assert_false(sg_test_exists(summary));
    assert_int_equal(count_tmp(out), 0);
}

static void inputs_never_modified(void **state) {
    (void)state;
    uint64_t before = dir_hash(SAMPLE);
    char out[128];
    snprintf(out, sizeof out, "%s/inputs", root);
    assert_int_equal(run_sample(out), 0);
    assert_int_equal(run_sample(out), 0);
    assert_true(dir_hash(SAMPLE) == before);
}

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

/* Issue 16 items 3 and 4: --out = the folder of the inputs (districts.shp
 * would get a districts.qml that styles the input; a districts.geojson input
 * would be replaced) or = the baseline: refused before any computation, exit
 * 2, the error names the input and the output, and nothing changes. */
static void out_never_replaces_an_input(void **state) {
    (void)state;
    char dir[128], shp[160], csv[160], alias[160], base[128];
    snprintf(dir, sizeof dir, "%s/in", root);
    assert_int_equal(mkdir(dir, 0755), 0);
    const char *parts[] = {"districts.shp", "districts.shx", "districts.dbf", "districts.prj", "census.csv"};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        char from[200], to[200];
        snprintf(from, sizeof from, "%s/%s", SAMPLE, parts[k]);
        snprintf(to, sizeof to, "%s/%s", dir, parts[k]);
        copy_file(from, to);
    }
    snprintf(shp, sizeof shp, "%s/districts.shp", dir);
    snprintf(csv, sizeof csv, "%s/census.csv", dir);
    snprintf(alias, sizeof alias, "%s/../in/.", dir); /* another spelling of the same folder */
    uint64_t before = dir_hash(dir);
    const char *args[] = {SG_CLI, "analyze", "--districts", shp, "--id", "code", "--table", csv, "--table-key", "code",
                          "--total", "total", "--group", "migrants", "--out", alias, "--quiet", NULL};
    assert_int_equal(wait_for(spawn(args), 300), 2);
    char *err = stderr_text();
    assert_non_null(strstr(err, "[E_OUT_IS_INPUT]"));
    assert_non_null(strstr(err, "districts.shp"));
    assert_non_null(strstr(err, "districts.qml"));
    free(err);
    assert_true(dir_hash(dir) == before);

    /* a GeoJSON input named like seggap's layer, in --out: replaced before the fix */
    char gj[160];
    snprintf(base, sizeof base, "%s/gj", root);
    assert_int_equal(run_sample(base), 0);
    snprintf(gj, sizeof gj, "%s/districts.geojson", base);
    char *sp = sg_test_path(base, "summary.json");
    remove(sp);
    free(sp);
    before = dir_hash(base);
    const char *args2[] = {SG_CLI, "analyze", "--districts", gj, "--id", "code", "--total", "total", "--group",
                           "migrants", "--out", base, "--quiet", NULL};
    assert_int_equal(wait_for(spawn(args2), 300), 2);
    err = stderr_text();
    assert_non_null(strstr(err, "[E_OUT_IS_INPUT]"));
    free(err);
    assert_true(dir_hash(base) == before);

    /* --out = --baseline */
    snprintf(base, sizeof base, "%s/baseline", root);
    assert_int_equal(run_sample(base), 0);
    before = dir_hash(base);
    const char *args3[] = {SG_CLI, "analyze", "--districts", SAMPLE "/districts.shp", "--id", "code", "--table",
                           SAMPLE "/census.csv", "--table-key", "code", "--total", "total", "--group", "migrants",
                           "--baseline", base, "--out", base, "--quiet", NULL};
    assert_int_equal(wait_for(spawn(args3), 300), 2);
    err = stderr_text();
    assert_non_null(strstr(err, "[E_OUT_IS_BASELINE]"));
    free(err);
    assert_true(dir_hash(base) == before);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_dir_read_only),
        cmocka_unit_test(disk_full),
        cmocka_unit_test(killed_mid_write),
        cmocka_unit_test(sigint_mid_write),
        cmocka_unit_test(sigint_while_computing),
        cmocka_unit_test(inputs_never_modified),
        cmocka_unit_test(out_never_replaces_an_input),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
