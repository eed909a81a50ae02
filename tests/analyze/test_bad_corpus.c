/* The bad-input corpus (tests/bad/): the seggap CLI on every case of
 * tests/bad/cases.tsv, each in a fresh copy of the inputs, run without a
 * shell and under a time limit. Per case it checks the exit code and a
 * substring of stderr, and that
 *   - it neither crashed nor hung, and no sanitizer spoke;
 *   - no input file was changed, added or removed (inputs are never modified);
 *   - a failed run left nothing under a final name and no temporary file;
 *   - a successful run wrote every district read: the ids of the input layer
 *     and of districts.geojson are the same multiset (no silent drop);
 *   - a forbidden string (e.g. a password) appears nowhere in the output.
 * Binary-ish inputs (truncated shapefiles, a 0-byte file, Latin-1 and UTF-16
 * text, BOM and CR-only CSVs) are made here at test time from the text ones. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <cpl_conv.h>
#include <gdal_utils.h>

#include "test_support.h"

#ifndef SG_BAD_DIR
#define SG_BAD_DIR SG_SAMPLES_DIR "/../tests/bad"
#endif
#define CASE_TIMEOUT_S 120

typedef struct bad_case {
    char *name, *expect, *args, *forbid;
    int exit_code;
} bad_case;

static char master[256]; /* the inputs, copied and generated once */

/* ---- small file helpers ---- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}
static void rm_tree(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t k;
    while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) s = realloc(s, cap *= 2);
    }
    fclose(f);
    if (!s) return NULL;
    s[n] = '\0';
    if (len) *len = n;
    return s;
}

static void write_bytes(const char *dir, const char *name, const char *bytes, size_t n) {
    char *p = sg_test_path(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    free(p);
}

static void copy_file(const char *from, const char *to) {
    size_t n = 0;
    char *s = read_all(from, &n);
    assert_non_null(s);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    free(s);
}

/* Copies the regular files of a flat directory. */
static void copy_dir(const char *from, const char *to) {
    DIR *d = opendir(from);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]))) continue;
        char *a = sg_test_path(from, de->d_name), *b = sg_test_path(to, de->d_name);
        struct stat sb;
        if (stat(a, &sb) == 0 && S_ISREG(sb.st_mode)) copy_file(a, b);
        free(a);
        free(b);
    }
    closedir(d);
}

/* "name size mtime hash\n" of every entry of a flat directory, sorted: an
 * input written to, touched, or a file added beside it (a GML driver's .gfs,
 * a .aux.xml) changes it. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char *snapshot(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char **lines = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = sg_test_path(dir, de->d_name);
        struct stat sb;
        memset(&sb, 0, sizeof sb);
        stat(p, &sb);
        size_t len = 0;
        char *s = read_all(p, &len);
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (size_t i = 0; s && i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
        free(s);
        free(p);
        lines = realloc(lines, (n + 1) * sizeof *lines);
        size_t m = strlen(de->d_name) + 96;
        lines[n] = malloc(m);
        snprintf(lines[n], m, "%s %zu %lld.%09ld %016llx\n", de->d_name, len, (long long)sb.st_mtim.tv_sec,
                 sb.st_mtim.tv_nsec, (unsigned long long)h);
        n++;
    }
    closedir(d);
    qsort(lines, n, sizeof *lines, cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < n; i++) total += strlen(lines[i]);
    char *out = malloc(total);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

/* ---- generated inputs ---- */

static void translate(const char *src, const char *dst, const char *driver) {
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(in);
    char *opts[] = {"-f", (char *)driver, NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(opts, NULL);
    int err = 0;
    GDALDatasetH out = GDALVectorTranslate(dst, NULL, 1, &in, o, &err);
    assert_non_null(out);
    GDALClose(out);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(in);
}

/* A shapefile set NAME.* from four.geojson, then one part removed or cut. */
static void shapefile_variant(const char *name, const char *remove_ext, const char *cut_ext, off_t cut_to) {
    char src[512], dst[512], p[512];
    snprintf(src, sizeof src, "%s/four.geojson", master);
    snprintf(dst, sizeof dst, "%s/%s.shp", master, name);
    translate(src, dst, "ESRI Shapefile");
    if (remove_ext) {
        snprintf(p, sizeof p, "%s/%s.%s", master, name, remove_ext);
        assert_int_equal(remove(p), 0);
    }
    if (cut_ext) {
        snprintf(p, sizeof p, "%s/%s.%s", master, name, cut_ext);
        assert_int_equal(truncate(p, cut_to), 0);
    }
}

static void generate(void) {
    static const char census[] = "id,total,group\n0001,100,10\n0002,200,80\n0003,150,30\n0004,50,5\n";
    write_bytes(master, "empty.geojson", "", 0);
    /* A UTF-8 BOM, CR-only line ends. */
    char buf[512];
    int n = snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", census);
    write_bytes(master, "bom.csv", buf, (size_t)n);
    snprintf(buf, sizeof buf, "%s", census);
    for (char *c = buf; *c; c++)
        if (*c == '\n') *c = '\r';
    write_bytes(master, "cr_only.csv", buf, strlen(buf));
    /* Latin-1 text: a key and an id with an u-umlaut as the single byte 0xFC. */
    static const char latin1[] = "id,total,group\n0001,100,10\nM\xFCnchen,200,80\n0003,150,30\n0004,50,5\n";
    write_bytes(master, "latin1.csv", latin1, sizeof latin1 - 1);
    size_t len = 0;
    char *four = sg_test_path(master, "four.geojson");
    char *gj = read_all(four, &len);
    assert_non_null(gj);
    char *at = strstr(gj, "\"0002\"");
    assert_non_null(at);
    memcpy(at + 1, "M\xFC" "02", 4);
    write_bytes(master, "latin1.geojson", gj, len);
    free(gj);
    /* UTF-16LE with a byte order mark. */
    char u16[2 * sizeof census + 2];
    u16[0] = '\xFF';
    u16[1] = '\xFE';
    for (size_t i = 0; i + 1 < sizeof census; i++) {
        u16[2 + 2 * i] = census[i];
        u16[3 + 2 * i] = 0;
    }
    write_bytes(master, "utf16.csv", u16, 2 * (sizeof census - 1) + 2);
    /* Shapefiles with a part missing or cut short. */
    shapefile_variant("shp_ok", NULL, NULL, 0);
    shapefile_variant("nodbf", "dbf", NULL, 0);
    shapefile_variant("dbfonly", "shp", NULL, 0);
    shapefile_variant("noshx", "shx", NULL, 0);
    shapefile_variant("noprj", "prj", NULL, 0);
    shapefile_variant("trunc", NULL, "shp", 300);
    shapefile_variant("truncdbf", NULL, "dbf", 200);
    /* A GML file without its .xsd and .gfs: reading it must not write a .gfs beside it. */
    char *gml = sg_test_path(master, "four.gml");
    translate(four, gml, "GML");
    free(gml);
    static const char *const gml_side[] = {"four.xsd", "four.gfs"};
    for (int k = 0; k < 2; k++) {
        char *side = sg_test_path(master, gml_side[k]);
        remove(side);
        assert_false(sg_test_exists(side));
        free(side);
    }
    /* Issue 15 item 9: a field name longer than 10 characters, cut to 10 in
     * the .dbf (spatial_name -> spatial_na). */
    gj = read_all(four, &len);
    assert_non_null(gj);
    char *longer = malloc(len * 2 + 1), *o = longer;
    for (const char *c = gj; *c;) /* "id": -> "spatial_name": */
        if (strncmp(c, "\"id\":", 5) == 0) {
            o += sprintf(o, "\"spatial_name\":");
            c += 5;
        } else *o++ = *c++;
    *o = '\0';
    write_bytes(master, "long_names.geojson", longer, strlen(longer));
    free(longer);
    free(gj);
    char lsrc[512], ldst[512];
    snprintf(lsrc, sizeof lsrc, "%s/long_names.geojson", master);
    snprintf(ldst, sizeof ldst, "%s/long_names.shp", master);
    translate(lsrc, ldst, "ESRI Shapefile");
    /* Issue 15 item 9: a Latin-1 .dbf that declares no encoding (no .cpg,
     * code page byte 0): the id of district 2 is "M\xFC02" (u-umlaut as one byte). */
    gj = read_all(four, &len);
    at = strstr(gj, "\"0002\"");
    memcpy(at + 1, "MX02", 4);
    write_bytes(master, "latin1_dbf.geojson", gj, len);
    free(gj);
    snprintf(lsrc, sizeof lsrc, "%s/latin1_dbf.geojson", master);
    snprintf(ldst, sizeof ldst, "%s/latin1_dbf.shp", master);
    translate(lsrc, ldst, "ESRI Shapefile");
    remove(lsrc);
    snprintf(ldst, sizeof ldst, "%s/latin1_dbf.cpg", master);
    remove(ldst);
    snprintf(ldst, sizeof ldst, "%s/latin1_dbf.dbf", master);
    char *dbf = read_all(ldst, &len);
    assert_non_null(dbf);
    dbf[29] = 0; /* no language driver id: no encoding declared */
    char *mx = NULL;
    for (size_t k = 0; k + 4 <= len && !mx; k++)
        if (memcmp(dbf + k, "MX02", 4) == 0) mx = dbf + k;
    assert_non_null(mx);
    mx[1] = '\xFC';
    write_bytes(master, "latin1_dbf.dbf", dbf, len);
    free(dbf);
    /* An empty polygon survives in a GeoPackage. */
    char *gpkg = sg_test_path(master, "empty_polygon.gpkg");
    char *sq[3] = {fx_square(0, 0), fx_square(1, 0), fx_square(0, 1)};
    fx_row rows[] = {{sq[0], "0001", "100", "10"}, {sq[1], "0002", "200", "80"}, {sq[2], "0003", "150", "30"},
                     {"POLYGON EMPTY", "0004", "50", "5"}};
    fx_write(gpkg, "GPKG", 4326, rows, 4, 1);
    for (int i = 0; i < 3; i++) free(sq[i]);
    free(gpkg);
    /* Issue 16 item 13: a polygon of 50,004 vertices (a zig-zag ring), one more than
     * --max-vertices allows by default: refused before GEOS validates it. */
    char *many = sg_test_path(master, "many_vertices.geojson");
    FILE *mf = fopen(many, "w");
    assert_non_null(mf);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":\"zigzag\","
          "\"total\":100,\"group\":10},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[",
          mf);
    for (int i = 0; i < 50001; i++) fprintf(mf, "[%.7f,%.4f],", 13.0 + 0.01 * i / 50001.0, 52.0 + (i % 2 ? 0.001 : 0));
    fputs("[13.01,51.999],[13.0,51.999],[13.0,52.0]]]}},{\"type\":\"Feature\",\"properties\":{\"id\":\"sq\",\"total\":100,"
          "\"group\":50},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[13.02,52],[13.03,52],[13.03,52.01],"
          "[13.02,52.01],[13.02,52]]]}}]}",
          mf);
    assert_int_equal(fclose(mf), 0);
    free(many);
    /* A file name that would run commands if it ever reached a shell. */
    char *evil = sg_test_path(master, "evil;touch pwned;$(touch pwned2)`touch pwned3`.geojson");
    copy_file(four, evil);
    free(evil);
    free(four);
}

/* ---- the manifest ---- */

static bad_case *cases;
static size_t ncases;

static void load_manifest(void) {
    char *text = read_all(SG_BAD_DIR "/cases.tsv", NULL);
    if (!text) fail_msg("cannot read %s", SG_BAD_DIR "/cases.tsv");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!*line || *line == '#') continue;
        char *f[5] = {NULL, NULL, NULL, NULL, NULL};
        int k = 0;
        for (char *p = line; k < 5;) {
            f[k++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (k < 4) fail_msg("cases.tsv: a line needs name, exit code, message and arguments: %s", line);
        cases = realloc(cases, (ncases + 1) * sizeof *cases);
        bad_case *c = &cases[ncases++];
        c->name = strdup(f[0]);
        c->exit_code = atoi(f[1]);
        c->expect = strdup(f[2]);
        c->args = strdup(f[3]);
        c->forbid = f[4] && *f[4] ? strdup(f[4]) : NULL;
    }
    free(text);
}

/* ---- running one case ---- */

static char *subst(const char *s, const char *in, const char *out) {
    char buf[4096];
    size_t k = 0;
    while (*s && k < sizeof buf - 512) {
        if (!strncmp(s, "@IN@", 4)) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", in), s += 4;
        else if (!strncmp(s, "@OUT@", 5)) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", out), s += 5;
        else if (!strncmp(s, "{SP}", 4)) buf[k++] = ' ', s += 4;
        else if (!strncmp(s, "{TAB}", 5)) buf[k++] = '\t', s += 5;
        else buf[k++] = *s++;
    }
    buf[k] = '\0';
    return strdup(buf);
}

/* Trimmed ids of a layer (or of an SQL query's result), sorted; NULL when it
 * cannot be opened. */
static char **layer_ids(const char *path, const char *layer, const char *sql, const char *field, size_t *n) {
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) return NULL;
    OGRLayerH l = sql ? GDALDatasetExecuteSQL(ds, sql, NULL, NULL)
                      : layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    assert_non_null(l);
    int idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), field);
    assert_true(idx >= 0);
    char **ids = NULL;
    *n = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *v = OGR_F_IsFieldSetAndNotNull(f, idx) ? OGR_F_GetFieldAsString(f, idx) : "";
        while (*v == ' ' || *v == '\t') v++;
        char *s = strdup(v);
        size_t m = strlen(s);
        while (m && (s[m - 1] == ' ' || s[m - 1] == '\t')) s[--m] = '\0';
        ids = realloc(ids, (*n + 1) * sizeof *ids);
        ids[(*n)++] = s;
        OGR_F_Destroy(f);
    }
    if (sql) GDALDatasetReleaseResultSet(ds, l);
    GDALClose(ds);
    qsort(ids, *n, sizeof *ids, cmp_str);
    return ids;
}

static void free_ids(char **ids, size_t n) {
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

static const char *arg_after(char **argv, const char *opt) {
    for (int i = 0; argv[i]; i++)
        if (!strcmp(argv[i], opt) && argv[i + 1]) return argv[i + 1];
    return NULL;
}

static void run_case(void **state) {
    const bad_case *c = *state;
    char root[] = "/tmp/seggap-bad-XXXXXX";
    assert_non_null(mkdtemp(root));
    char *in = sg_test_path(root, "in"), *out = sg_test_path(root, "out");
    char *so = sg_test_path(root, "stdout"), *se = sg_test_path(root, "stderr");
    assert_int_equal(mkdir(in, 0755), 0);
    copy_dir(master, in);
    char *before = snapshot(in);

    /* argv without a shell: split at spaces, then substitute. */
    char *argv[128];
    int argc = 0;
    argv[argc++] = SG_CLI;
    char *args = strdup(c->args);
    for (char *tok = strtok(args, " "); tok && argc < 126; tok = strtok(NULL, " ")) argv[argc++] = subst(tok, in, out);
    argv[argc] = NULL;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(in) != 0) _exit(126);
        int fo = open(so, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(se, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(SG_CLI, argv);
        _exit(127);
    }
    int status = 0, hung = 0;
    struct timespec t0, now, nap = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > CASE_TIMEOUT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung = 1;
            break;
        }
        nanosleep(&nap, NULL);
    }
    char *err = read_all(se, NULL), *outtext = read_all(so, NULL);
    if (!err) err = strdup("");
    if (!outtext) outtext = strdup("");
    int problems = 0;
#define BAD(...)                          \
    do {                                  \
        print_error("%s: ", c->name);     \
        print_error(__VA_ARGS__);         \
        print_error("\n");                \
        problems++;                       \
    } while (0)
    if (hung) BAD("hung: killed after %d s", CASE_TIMEOUT_S);
    else if (WIFSIGNALED(status)) BAD("crashed: signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) != c->exit_code)
        BAD("exit code %d, want %d", WEXITSTATUS(status), c->exit_code);
    if (!strstr(err, c->expect)) BAD("stderr lacks \"%s\"", c->expect);
    if (strstr(err, "Sanitizer") || strstr(err, "runtime error:")) BAD("a sanitizer reported a problem");
    char *after = snapshot(in);
    if (strcmp(before, after) != 0) BAD("the inputs changed:\nbefore:\n%safter:\n%s", before, after);
    char *layer = sg_test_path(out, "districts.geojson"), *summary = sg_test_path(out, "summary.json");
    if (sg_test_exists(out)) {
        DIR *d = opendir(out);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL)
            if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                BAD("temporary file left behind: %s", de->d_name);
        if (d) closedir(d);
    }
    if (!hung && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (!sg_test_exists(layer) || !sg_test_exists(summary)) BAD("success without both outputs");
        else {
            size_t nin = 0, nout = 0;
            const char *enc = arg_after(argv, "--encoding"); /* the input's ids, read in its encoding */
            if (enc) CPLSetThreadLocalConfigOption("SHAPE_ENCODING", enc);
            char **a = layer_ids(arg_after(argv, "--districts"), arg_after(argv, "--layer"),
                                 arg_after(argv, "--sql"), arg_after(argv, "--id"), &nin);
            if (enc) CPLSetThreadLocalConfigOption("SHAPE_ENCODING", NULL);
            char **b = layer_ids(layer, NULL, NULL, "id", &nout);
            if (!a || !b) BAD("cannot read the ids back");
            else if (nin != nout) BAD("%zu districts read, %zu written", nin, nout);
            else
                for (size_t i = 0; i < nin; i++)
                    if (strcmp(a[i], b[i]) != 0) {
                        BAD("district '%s' read but '%s' written", a[i], b[i]);
                        break;
                    }
            if (a) free_ids(a, nin);
            if (b) free_ids(b, nout);
        }
    } else if (sg_test_exists(layer) || sg_test_exists(summary)) {
        BAD("a failed run left an output under its final name");
    }
    if (c->forbid) {
        char *l = read_all(layer, NULL), *s = read_all(summary, NULL);
        if (strstr(err, c->forbid) || strstr(outtext, c->forbid) || (l && strstr(l, c->forbid)) ||
            (s && strstr(s, c->forbid)))
            BAD("\"%s\" appears in the output", c->forbid);
        free(l);
        free(s);
    }
    if (problems) print_error("%s: command:%s%s\n--- stderr ---\n%s--------------\n", c->name, "", c->args, err);
#undef BAD
    free(layer);
    free(summary);
    free(after);
    free(before);
    free(err);
    free(outtext);
    for (int i = 1; i < argc; i++) free(argv[i]);
    free(args);
    rm_tree(root);
    free(in);
    free(out);
    free(so);
    free(se);
    if (problems) fail_msg("%s: %d problem(s)", c->name, problems);
}

static int group_setup(void **state) {
    (void)state;
    GDALAllRegister();
    snprintf(master, sizeof master, "/tmp/seggap-bad-master-XXXXXX");
    if (!mkdtemp(master)) return -1;
    copy_dir(SG_BAD_DIR "/input", master);
    generate();
    return 0;
}
static int group_teardown(void **state) {
    (void)state;
    rm_tree(master);
    return 0;
}

int main(void) {
    load_manifest();
    struct CMUnitTest *tests = calloc(ncases, sizeof *tests);
    for (size_t i = 0; i < ncases; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = run_case;
        tests[i].initial_state = &cases[i];
    }
    print_message("%zu bad-input cases from %s\n", ncases, SG_BAD_DIR "/cases.tsv");
    int rc = _cmocka_run_group_tests("bad_corpus", tests, ncases, group_setup, group_teardown);
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].name);
        free(cases[i].expect);
        free(cases[i].args);
        free(cases[i].forbid);
    }
    free(cases);
    free(tests);
    return rc;
}
