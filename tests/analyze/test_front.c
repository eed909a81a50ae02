/* How a run talks to its front end (issues 18 and 19): `--progress json`
 * (one JSON object per stderr line: progress, each diagnostic as it arises,
 * the front end's own messages, {"type":"done","exit":N} last), and the
 * progress line on a terminal (a pseudo-terminal here: forkpty), which is
 * absent on a pipe and with --quiet. */
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test_support.h"

#define SAMPLE SG_SAMPLES_DIR "/city"

static const char *sample_args =
    "analyze --districts " SAMPLE "/districts.shp --id code --name name --table " SAMPLE "/census.csv --table-key code "
    "--total total --group migrants";

typedef struct fixture {
    char *dir, *out, *so, *se;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = sg_test_tmpdir();
    f->out = sg_test_path(f->dir, "out");
    f->so = sg_test_path(f->dir, "stdout");
    f->se = sg_test_path(f->dir, "stderr");
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_test_rmdir(f->dir);
    free(f->out);
    free(f->so);
    free(f->se);
    free(f);
    return 0;
}

/* The CLI with args (shell-safe, our own) and " --out DIR", stdout and
 * stderr into files; the exit code. */
static int run_cli(fixture *f, const char *args) {
    const char *fmt = "'%s' %s --out '%s' >'%s' 2>'%s'";
    int len = snprintf(NULL, 0, fmt, SG_CLI, args, f->out, f->so, f->se);
    char *cmd = malloc((size_t)len + 1);
    snprintf(cmd, (size_t)len + 1, fmt, SG_CLI, args, f->out, f->so, f->se);
    int rc = system(cmd);
    free(cmd);
    assert_true(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static const char *jstr(json_object *o, const char *key) {
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Every line of err is one JSON object of a known type; fractions never go
 * back; the last is {"type":"done","exit":rc}. Returns the objects (caller
 * frees with json_object_put). */
static json_object *json_lines(const char *err, int rc) {
    json_object *all = json_object_new_array();
    char *copy = strdup(err), *save = NULL;
    double last = -1;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object)) fail_msg("not a JSON object: '%s'", line);
        const char *type = jstr(o, "type");
        assert_non_null(type);
        if (strcmp(type, "progress") == 0) {
            json_object *fr;
            assert_true(json_object_object_get_ex(o, "fraction", &fr));
            double v = json_object_get_double(fr);
            assert_true(v >= last && v <= 1);
            last = v;
            assert_non_null(jstr(o, "stage"));
        } else if (strcmp(type, "warning") == 0 || strcmp(type, "error") == 0) {
            assert_non_null(jstr(o, "code"));
            assert_non_null(jstr(o, "message"));
        } else if (strcmp(type, "hint") == 0) {
            assert_non_null(jstr(o, "code"));
            assert_non_null(jstr(o, "hint"));
        } else if (strcmp(type, "message") == 0) {
            assert_non_null(jstr(o, "level"));
            assert_non_null(jstr(o, "message"));
        } else assert_string_equal(type, "done");
        json_object_array_add(all, o);
    }
    free(copy);
    size_t n = json_object_array_length(all);
    assert_true(n >= 1);
    json_object *done = json_object_array_get_idx(all, n - 1), *ex;
    assert_string_equal(jstr(done, "type"), "done");
    assert_true(json_object_object_get_ex(done, "exit", &ex));
    assert_int_equal(json_object_get_int(ex), rc);
    return all;
}

/* The index of the first object with this type and (when not NULL) code or
 * stage; -1 when none. */
static long find(json_object *all, const char *type, const char *key, const char *value) {
    for (size_t i = 0; i < json_object_array_length(all); i++) {
        json_object *o = json_object_array_get_idx(all, i);
        if (strcmp(jstr(o, "type"), type) == 0 && (!key || (jstr(o, key) && strcmp(jstr(o, key), value) == 0)))
            return (long)i;
    }
    return -1;
}

/* --progress json on the sample: JSON lines only; the zero-total warning
 * as it arises (while reading, before the indices start), not after the
 * run; the summary on stdout unchanged. */
static void progress_json_lines(void **state) {
    fixture *f = *state;
    char args[1024];
    snprintf(args, sizeof args, "%s --permutations 9 --progress json", sample_args);
    assert_int_equal(run_cli(f, args), 0);
    char *err = slurp(f->se), *with = slurp(f->so);
    json_object *all = json_lines(err, 0);
    long w = find(all, "warning", "code", "W_ZERO_TOTAL"), ind = find(all, "progress", "stage", "indices");
    assert_true(w >= 0 && ind >= 0);
    assert_true(w < ind);
    json_object *zw = json_object_array_get_idx(all, (size_t)w), *fid;
    assert_string_equal(jstr(zw, "id"), "00034");
    assert_string_equal(jstr(zw, "layer"), "districts");
    assert_true(json_object_object_get_ex(zw, "fid", &fid));
    assert_int_equal(json_object_get_int(fid), 33);
    assert_true(find(all, "progress", "stage", "done") >= 0);
    assert_true(find(all, "warning", "code", "W_NO_HOUSING") >= 0);
    json_object_put(all);
    /* plain: the same stderr lines as --progress alone */
    snprintf(args, sizeof args, "%s --permutations 9 --progress plain", sample_args);
    assert_int_equal(run_cli(f, args), 0);
    char *plain = slurp(f->se);
    assert_non_null(strstr(plain, "seggap: progress 0.00 read\n"));
    assert_non_null(strstr(plain, "seggap: progress 1.00 done\n"));
    assert_null(strstr(plain, "{\"type\""));
    snprintf(args, sizeof args, "%s --permutations 9", sample_args);
    assert_int_equal(run_cli(f, args), 0);
    char *without = slurp(f->so);
    assert_string_equal(with, without);
    free(err);
    free(with);
    free(plain);
    free(without);
}

/* Errors come as JSON too: a field that is not there (its code and name),
 * and a usage error, which the front end reports before any run. */
static void progress_json_errors(void **state) {
    fixture *f = *state;
    char args[1024];
    snprintf(args, sizeof args, "%s --progress=json", sample_args);
    char *p = strstr(args, "--group migrants");
    memcpy(p, "--group migrantz", 16);
    assert_int_equal(run_cli(f, args), 1);
    char *err = slurp(f->se);
    json_object *all = json_lines(err, 1);
    long e = find(all, "error", "code", "E_MISSING_FIELD");
    assert_true(e >= 0);
    assert_string_equal(jstr(json_object_array_get_idx(all, (size_t)e), "field"), "migrantz");
    json_object_put(all);
    free(err);
    /* an error with a hint: the hint once, after the run (it is known only then) */
    snprintf(args, sizeof args, "%s --progress json --work-crs EPSG:32610", sample_args); /* UTM 10N: far from the sample */
    assert_int_equal(run_cli(f, args), 1);
    err = slurp(f->se);
    all = json_lines(err, 1);
    long h = find(all, "hint", NULL, NULL), ce = find(all, "error", NULL, NULL);
    assert_true(h >= 0 && ce >= 0 && ce < h);
    assert_string_equal(jstr(json_object_array_get_idx(all, (size_t)h), "code"),
                        jstr(json_object_array_get_idx(all, (size_t)ce), "code"));
    json_object_put(all);
    free(err);
    snprintf(args, sizeof args, "%s --progress json --permutations many", sample_args);
    assert_int_equal(run_cli(f, args), 2);
    err = slurp(f->se);
    all = json_lines(err, 2);
    long m = find(all, "message", "level", "error");
    assert_true(m >= 0);
    assert_non_null(strstr(jstr(json_object_array_get_idx(all, (size_t)m), "message"), "--permutations"));
    json_object_put(all);
    free(err);
}

/* The option's forms: '--progress', '--progress plain|json', '--progress=MODE';
 * a word that is no mode after '--progress' is the next argument as before. */
static void progress_option_forms(void **state) {
    (void)state;
    struct {
        const char *argv[3];
        int argc, mode;
    } cases[] = {{{"--progress"}, 1, SG_PROGRESS_PLAIN},      {{"--progress", "plain"}, 2, SG_PROGRESS_PLAIN},
                 {{"--progress", "json"}, 2, SG_PROGRESS_JSON}, {{"--progress=json"}, 1, SG_PROGRESS_JSON},
                 {{"--progress=xml"}, 1, -1},                   {{"--progress", "xml"}, 2, -1},
                 {{"--quiet=json"}, 1, -1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sg_ctx *ctx = sg_ctx_create();
        sg_options *o = NULL;
        const char *argv[16] = {"--districts", SAMPLE "/districts.shp", "--id", "code", "--total", "total",
                                "--group", "migrants", "--out", "/nonexistent/out"};
        for (int a = 0; a < cases[k].argc; a++) argv[10 + a] = cases[k].argv[a];
        sg_status st = sg_options_parse_config(ctx, 10 + cases[k].argc, (char *const *)argv, &o, NULL);
        if (cases[k].mode < 0) {
            assert_int_equal(st, SG_ERR_USAGE);
        } else {
            if (st != SG_OK) fail_msg("case %zu: %s", k, sg_ctx_last_error(ctx));
            assert_int_equal(sg_options_progress(o), cases[k].mode);
        }
        sg_options_free(o);
        sg_ctx_destroy(ctx);
    }
}

/* Runs the CLI on a pseudo-terminal as stderr (stdout to a file); returns
 * what the terminal showed. */
static char *run_on_tty(fixture *f, const char *extra) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec '%s' %s --permutations 99 %s --out '%s' >'%s'", SG_CLI, sample_args, extra,
             f->out, f->so);
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("TERM", "xterm", 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    ssize_t r;
    while ((r = read(master, chunk, sizeof chunk)) > 0) fwrite(chunk, 1, (size_t)r, m); /* EIO at the end */
    fclose(m);
    close(master);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return buf;
}

static size_t count(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

/* On a terminal: one updating line 'seggap: STAGE NN%' (redrawn with CR and
 * erase-line, erased at the end), the warnings as they arise, each once;
 * with --quiet nothing of it; on a pipe (a file here) neither. */
static void progress_line_on_a_terminal(void **state) {
    fixture *f = *state;
    char *tty = run_on_tty(f, "");
    assert_non_null(strstr(tty, "\r\033[Kseggap: read "));
    assert_non_null(strstr(tty, "\r\033[Kseggap: permutations "));
    assert_non_null(strstr(tty, "%"));
    /* erased at the end: nothing after the last erase but the report's tail */
    const char *w = strstr(tty, "[W_ZERO_TOTAL]"), *project = strstr(tty, "seggap: project ");
    assert_non_null(w);
    assert_non_null(project);
    assert_true(w < project); /* as it arose, before the next stage */
    assert_int_equal(count(tty, "[W_ZERO_TOTAL]"), 1);
    assert_int_equal(count(tty, "[W_NO_HOUSING]"), 1);
    char *summary = slurp(f->so);
    assert_non_null(strstr(summary, "dissimilarity"));
    free(summary);
    free(tty);

    tty = run_on_tty(f, "--quiet");
    assert_null(strstr(tty, "seggap: read"));
    assert_null(strchr(tty, '\r'));
    assert_null(strstr(tty, "W_ZERO_TOTAL")); /* --quiet: no warnings */
    free(tty);

    char args[1024];
    snprintf(args, sizeof args, "%s --permutations 99", sample_args);
    assert_int_equal(run_cli(f, args), 0);
    char *err = slurp(f->se);
    assert_null(strchr(err, '\r'));
    assert_null(strchr(err, '%'));
    assert_non_null(strstr(err, "seggap: warning: "));
    free(err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(progress_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_json_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_option_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_line_on_a_terminal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
