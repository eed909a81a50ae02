/* seggap: the command-line front end. A thin layer over libseggap: it picks
 * the subcommand, and for each runs the library's trio (options from argv,
 * run, free), prints what it returns and maps the status to an exit code.
 * Exit codes: 0 success, 1 bad input data, 2 usage, 4 output not written,
 * 5 internal error, 128 + N when stopped by signal N (SIGINT: 130). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "seggap.h"

#define MAX_WARNINGS_SHOWN 20
#define SG_CLI_PRINTF __attribute__((format(printf, 2, 3)))
#define GROUP_SHOWN 5

/* SIGINT/SIGTERM ask the library to stop at a safe point (it removes its
 * temporary files and writes nothing); a second signal ends the process. */
static sg_ctx *g_ctx;
static volatile sig_atomic_t g_signal;

static void on_signal(int sig) {
    g_signal = sig;
    sg_ctx_cancel(g_ctx);
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- how the run talks to its front end (stderr) ----
 * g_mode: 0 the human report at the end (today's lines), SG_PROGRESS_PLAIN
 * ('seggap: progress F STAGE' lines), SG_PROGRESS_JSON (every stderr line a
 * JSON object: progress, each diagnostic as it arises, messages, and
 * {"type":"done","exit":N} last), or MODE_TTY: stderr is a terminal and
 * nothing else was asked: one updating line 'seggap: STAGE NN%', and the
 * diagnostics printed as they arise (the report at the end then adds only
 * the "... and N more" and hint lines). Progress may come from a worker
 * thread: every write holds stderr's lock. */
enum { MODE_TTY = 3 };
static int g_mode;
static struct {
    int shown;               /* the progress line is on screen */
    int pct;                 /* its percent; -1 none yet */
    char stage[48];          /* its stage */
    char *early;             /* MODE_TTY: the diagnostic lines printed as they arose */
    size_t early_len;
    FILE *early_f;
    size_t nkinds, wlines; /* grouping as sg_ctx_diags_text */
    struct kind { char code[48], file[256], field[128]; int sev; size_t n; } kinds[64];
} g_tty = {.pct = -1};

/* A JSON string (quotes included) of s. */
static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* Removes the progress line (before any other output). */
static void tty_clear(void) {
    if (!g_tty.shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    g_tty.shown = 0;
}

static void tty_draw(void) {
    if (g_tty.pct < 0) return;
    fprintf(stderr, "\r\033[Kseggap: %s  %3d%%", g_tty.stage, g_tty.pct);
    fflush(stderr);
    g_tty.shown = 1;
}

/* A message of the front end itself: 'seggap: TEXT', or in JSON mode
 * {"type":"message","level":LEVEL,"message":TEXT}. */
static void say(const char *level, const char *fmt, ...) SG_CLI_PRINTF;
static void say(const char *level, const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    flockfile(stderr);
    tty_clear();
    if (g_mode == SG_PROGRESS_JSON) {
        fprintf(stderr, "{\"type\":\"message\",\"level\":\"%s\",\"message\":", level);
        json_str(stderr, buf);
        fputs("}\n", stderr);
    } else fprintf(stderr, "seggap: %s\n", buf);
    funlockfile(stderr);
}

/* Exit code of a failed run: 128 + signal when interrupted. */
static int fail_code(sg_status st) {
    if (st == SG_ERR_CANCELLED) {
        say("error", "interrupted; nothing written");
        return g_signal ? 128 + (int)g_signal : sg_status_exit_code(st);
    }
    return sg_status_exit_code(st);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: seggap <command> [options]\n"
            "\n"
            "commands:\n"
            "  analyze   segregation indices and district layer from districts + census data\n"
            "  compare   change of every index between two runs, tested and decomposed\n"
            "  check     validate a new release, recompute, compare with the baseline, judge thresholds\n"
            "\n"
            "  seggap analyze --help    options of analyze\n"
            "  seggap --version\n");
}

/* Errors always go to stderr; warnings too unless --quiet (at most
 * MAX_WARNINGS_SHOWN lines). Diagnostics of one kind (code, file, field) are
 * grouped: the first GROUP_SHOWN, "... and N more like it", the hint once. */
static void print_diags(const sg_ctx *ctx, int quiet) {
    if (g_mode == SG_PROGRESS_JSON) { /* each was a line as it arose; the hints, known now, once per code */
        flockfile(stderr);
        for (size_t i = 0, n = sg_ctx_diag_count(ctx); i < n; i++) {
            const sg_diag *d = sg_ctx_diag(ctx, i), *e = NULL;
            if (!d->hint || !*d->hint) continue;
            for (size_t j = 0; j < i && !e; j++)
                if (sg_ctx_diag(ctx, j)->hint && *sg_ctx_diag(ctx, j)->hint &&
                    strcmp(sg_ctx_diag(ctx, j)->code, d->code) == 0)
                    e = sg_ctx_diag(ctx, j);
            if (e) continue;
            fputs("{\"type\":\"hint\",\"code\":", stderr);
            json_str(stderr, d->code);
            fputs(",\"hint\":", stderr);
            json_str(stderr, d->hint);
            fputs("}\n", stderr);
        }
        funlockfile(stderr);
        return;
    }
    flockfile(stderr);
    tty_clear();
    if (g_tty.early_f) fclose(g_tty.early_f);
    g_tty.early_f = NULL;
    const char *early = g_tty.early ? g_tty.early : ""; /* lines already printed, in order: not again */
    char *text = sg_ctx_diags_text(ctx, quiet ? SG_SEV_ERROR : SG_SEV_ERROR | SG_SEV_WARNING, GROUP_SHOWN,
                                   MAX_WARNINGS_SHOWN);
    if (!text) {
        fprintf(stderr, "seggap: error: out of memory\n");
        funlockfile(stderr);
        return;
    }
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) nl = line + strlen(line) - 1;
        int len = (int)(nl - line + (*nl != '\n'));
        const char *enl = strchr(early, '\n');
        if (enl && enl - early == len && strncmp(early, line, (size_t)len) == 0) {
            early = enl + 1;
            continue;
        }
        fprintf(stderr, "seggap: %.*s\n", len, line);
    }
    free(text);
    funlockfile(stderr);
}

/* The diagnostic callback (sg_ctx_set_diag_fn). JSON mode: one line each.
 * MODE_TTY: the line the report at the end would print for it, now (the
 * same choice: the first GROUP_SHOWN of a kind, at most MAX_WARNINGS_SHOWN
 * warning lines; errors always, warnings unless quiet, which MODE_TTY is not). */
static void on_diag(const sg_diag *d, void *user) {
    (void)user;
    int warn = d->severity == SG_SEV_WARNING;
    flockfile(stderr);
    if (g_mode == SG_PROGRESS_JSON) {
        fprintf(stderr, "{\"type\":\"%s\",\"code\":", warn ? "warning" : "error");
        json_str(stderr, d->code);
        fputs(",\"message\":", stderr);
        json_str(stderr, d->message);
        const char *keys[] = {"file", "layer", "id", "field"}, *vals[] = {d->file, d->layer, d->id, d->field};
        for (int k = 0; k < 4; k++) {
            if (!vals[k] || !*vals[k]) continue;
            fprintf(stderr, ",\"%s\":", keys[k]);
            json_str(stderr, vals[k]);
        }
        if (d->fid >= 0) fprintf(stderr, ",\"fid\":%lld", d->fid);
        fputs("}\n", stderr);
    } else if (g_mode == MODE_TTY && g_tty.early_f) {
        size_t k = 0;
        while (k < g_tty.nkinds &&
               !(g_tty.kinds[k].sev == (int)d->severity && strcmp(g_tty.kinds[k].code, d->code) == 0 &&
                 strcmp(g_tty.kinds[k].file, d->file) == 0 && strcmp(g_tty.kinds[k].field, d->field) == 0))
            k++;
        int known = k < g_tty.nkinds;
        if (!known && k < sizeof g_tty.kinds / sizeof g_tty.kinds[0] && strlen(d->code) < 48 &&
            strlen(d->file) < 256 && strlen(d->field) < 128) {
            struct kind *nk = &g_tty.kinds[g_tty.nkinds++];
            snprintf(nk->code, sizeof nk->code, "%s", d->code);
            snprintf(nk->file, sizeof nk->file, "%s", d->file);
            snprintf(nk->field, sizeof nk->field, "%s", d->field);
            nk->sev = (int)d->severity;
            known = 1;
        }
        /* a kind not tracked (too many, too long): left to the report at the end */
        if (known && ++g_tty.kinds[k].n <= GROUP_SHOWN && !(warn && g_tty.wlines >= MAX_WARNINGS_SHOWN)) {
            g_tty.wlines += warn;
            tty_clear();
            fprintf(stderr, "seggap: %s: %s [%s]\n", warn ? "warning" : "error", d->message, d->code);
            fprintf(g_tty.early_f, "%s: %s [%s]\n", warn ? "warning" : "error", d->message, d->code);
            tty_draw();
        } else if (!known) {
            fclose(g_tty.early_f); /* the rest as today, at the end (an untracked kind would upset the order) */
            g_tty.early_f = NULL;
        }
    }
    funlockfile(stderr);
}

/* --progress: one line per call, on stderr (format in the usage texts and
 * README; the QGIS plugin reads it). Never cancels: SIGINT does that. */
static int print_progress(double fraction, const char *message, void *user) {
    (void)user;
    flockfile(stderr);
    if (g_mode == SG_PROGRESS_JSON) {
        fprintf(stderr, "{\"type\":\"progress\",\"fraction\":%.4f,\"stage\":", fraction);
        json_str(stderr, message);
        fputs("}\n", stderr);
    } else if (g_mode == MODE_TTY) {
        int pct = (int)(fraction * 100 + 1e-9);
        if (strcmp(message, "done") == 0) tty_clear();
        else if (pct != g_tty.pct || strcmp(message, g_tty.stage) != 0) {
            g_tty.pct = pct;
            snprintf(g_tty.stage, sizeof g_tty.stage, "%s", message);
            tty_draw();
        }
    } else fprintf(stderr, "seggap: progress %.2f %s\n", fraction, message);
    funlockfile(stderr);
    return 1;
}

/* The mode of a run: --progress's, else MODE_TTY when stderr is a terminal
 * (not TERM=dumb) and not --quiet, else 0. */
static int front_mode(int progress, int quiet) {
    if (progress) return progress;
    const char *term = getenv("TERM");
    if (quiet || !isatty(STDERR_FILENO) || (term && strcmp(term, "dumb") == 0)) return 0;
    return MODE_TTY;
}

/* Sets up the mode's callbacks on ctx; returns the progress callback to use (NULL: none). */
static sg_progress_fn front_start(sg_ctx *ctx, int progress, int quiet, int early) {
    g_mode = front_mode(progress, quiet);
    if (g_mode == SG_PROGRESS_JSON || (g_mode == MODE_TTY && early)) {
        if (g_mode == MODE_TTY) g_tty.early_f = open_memstream(&g_tty.early, &g_tty.early_len);
        sg_ctx_set_diag_fn(ctx, on_diag, NULL);
    }
    return g_mode ? print_progress : NULL;
}

/* 1 when the last diagnostic is a usage error (E_USAGE): an option
 * mistyped, missing or given twice. */
static int last_is_usage(const sg_ctx *ctx) {
    size_t n = sg_ctx_diag_count(ctx);
    const sg_diag *d = n ? sg_ctx_diag(ctx, n - 1) : NULL;
    return d && strcmp(d->code, "E_USAGE") == 0;
}

static int cmd_analyze(sg_ctx *ctx, int argc, char **argv) {
    sg_options *opts = NULL;
    int help = 0;
    sg_status st = sg_options_parse_config(ctx, argc, argv, &opts, &help);
    if (help) {
        fputs(sg_options_usage(), stdout);
        return 0;
    }
    if (st != SG_OK) { /* the error and where the options are: not 125 lines of help that bury it */
        say("error", "%s", sg_ctx_last_error(ctx));
        if (last_is_usage(ctx)) say("info", "see 'seggap analyze --help' for the options");
        return sg_status_exit_code(st);
    }
    sg_options_set_progress(opts, front_start(ctx, sg_options_progress(opts), sg_options_quiet(opts), 1), NULL);
    sg_run *run = NULL;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    st = sg_analyze(ctx, opts, &run);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    int quiet = sg_options_quiet(opts), json = sg_options_json(opts);
    print_diags(ctx, quiet);
    if (sg_options_timings(opts)) {
        const char *name;
        double secs;
        for (size_t i = 0; sg_ctx_stage(ctx, i, &name, &secs); i++)
            say("info", "timing %s %.6f", name, secs); /* sub-stages nest: do not add up */
        say("info", "timing total %.6f", (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec));
    }
    if (st != SG_OK) {
        size_t ne = sg_ctx_count(ctx, SG_SEV_ERROR);
        if (ne > 1) say("error", "%zu errors; nothing written", ne);
        else if (ne == 0) say("error", "error: %s", sg_ctx_last_error(ctx));
        sg_options_free(opts);
        return fail_code(st);
    }
    if (json) fputs(sg_run_summary_json(run), stdout);
    else if (!quiet) {
        fputs(sg_run_summary_text(run), stdout);
        if (sg_run_compare_text(run)) fputs(sg_run_compare_text(run), stdout);
    }
    sg_run_destroy(run);
    sg_options_free(opts);
    return 0;
}

/* A usage error of compare or check: the message, then one line pointing
 * at the command's --help unless the message says all (a value that is no
 * number). */
static int usage_error(const sg_ctx *ctx, sg_status st, const char *command) {
    say("error", "%s", sg_ctx_last_error(ctx));
    if (last_is_usage(ctx)) say("info", "see 'seggap %s --help' for the options", command);
    return sg_status_exit_code(st);
}

static int cmd_compare(sg_ctx *ctx, int argc, char **argv) {
    sg_compare_options *co = NULL;
    int help = 0;
    sg_status st = sg_compare_options_parse(ctx, argc, argv, &co, &help);
    if (help) {
        fputs(sg_compare_usage(), stdout);
        return 0;
    }
    if (st != SG_OK) return usage_error(ctx, st, "compare");
    sg_compare *c = NULL;
    st = sg_compare_run(ctx, co, &c);
    print_diags(ctx, co->quiet);
    int rc = 0;
    if (st != SG_OK) {
        if (sg_ctx_count(ctx, SG_SEV_ERROR) == 0) fprintf(stderr, "seggap: error: %s\n", sg_ctx_last_error(ctx));
        rc = sg_status_exit_code(st);
    } else if (co->json) fputs(sg_compare_json(c), stdout);
    else if (!co->quiet) fputs(sg_compare_text(c), stdout);
    sg_compare_destroy(c);
    sg_compare_options_free(co);
    return rc;
}

static int cmd_check(sg_ctx *ctx, int argc, char **argv) {
    sg_check_options *co = NULL;
    int help = 0;
    sg_status st = sg_check_options_parse(ctx, argc, argv, &co, &help);
    if (help) {
        fputs(sg_check_usage(), stdout);
        return 0;
    }
    if (st != SG_OK) return usage_error(ctx, st, "check");
    co->progress_fn = front_start(ctx, co->progress, co->quiet, 0);
    sg_check *c = NULL;
    st = sg_check_run(ctx, co, &c);
    int rc = sg_check_exit_code(c, st);
    if (st != SG_OK) {
        print_diags(ctx, 1);
        if (sg_ctx_count(ctx, SG_SEV_ERROR) == 0) say("error", "error: %s", sg_ctx_last_error(ctx));
    } else {
        if (co->json) fputs(sg_check_json(c), stdout);
        else if (!co->quiet) fputs(sg_check_text(c), stdout);
        if (rc == SG_CHECK_INVALID)
            say("error", "check failed: the data validation found errors (see %s)", sg_check_json_path(c));
        else if (rc == SG_CHECK_BREACH)
            say("error", "check failed: a threshold was breached (see %s)", sg_check_json_path(c));
    }
    sg_check_destroy(c);
    sg_check_options_free(co);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("seggap %s\n", sg_version());
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    sg_ctx *ctx = sg_ctx_create();
    if (!ctx) {
        fprintf(stderr, "seggap: out of memory\n");
        return 5;
    }
    g_ctx = ctx;
    install_signals();
    for (int i = 2; i < argc; i++) /* --progress json: a usage error is a JSON line too */
        if (strcmp(argv[i], "--progress=json") == 0 ||
            (strcmp(argv[i], "--progress") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0))
            g_mode = SG_PROGRESS_JSON;
    int rc;
    if (strcmp(argv[1], "analyze") == 0) {
        rc = cmd_analyze(ctx, argc - 2, argv + 2);
    } else if (strcmp(argv[1], "compare") == 0) {
        rc = cmd_compare(ctx, argc - 2, argv + 2);
    } else if (strcmp(argv[1], "check") == 0) {
        rc = cmd_check(ctx, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "seggap: unknown command '%s'\n", argv[1]);
        usage(stderr);
        rc = 2;
    }
    g_ctx = NULL;
    sg_ctx_destroy(ctx);
    flockfile(stderr);
    tty_clear();
    if (g_mode == SG_PROGRESS_JSON) fprintf(stderr, "{\"type\":\"done\",\"exit\":%d}\n", rc);
    funlockfile(stderr);
    if (g_tty.early_f) fclose(g_tty.early_f);
    free(g_tty.early);
    return rc;
}
