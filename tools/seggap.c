/* seggap: the command-line front end. A thin layer over libseggap: it picks
 * the subcommand, and for each runs the library's trio (options from argv,
 * run, free), prints what it returns and maps the status to an exit code.
 * Exit codes: 0 success, 1 bad input data, 2 usage, 4 output not written,
 * 5 internal error, 128 + N when stopped by signal N (SIGINT: 130). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seggap.h"

#define MAX_WARNINGS_SHOWN 20
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

/* Exit code of a failed run: 128 + signal when interrupted. */
static int fail_code(sg_status st) {
    if (st == SG_ERR_CANCELLED) {
        fprintf(stderr, "seggap: interrupted; nothing written\n");
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
    char *text = sg_ctx_diags_text(ctx, quiet ? SG_SEV_ERROR : SG_SEV_ERROR | SG_SEV_WARNING, GROUP_SHOWN,
                                   MAX_WARNINGS_SHOWN);
    if (!text) {
        fprintf(stderr, "seggap: error: out of memory\n");
        return;
    }
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) nl = line + strlen(line) - 1;
        fprintf(stderr, "seggap: %.*s\n", (int)(nl - line + (*nl != '\n')), line);
    }
    free(text);
}

/* --progress: one line per call, on stderr (format in the usage texts and
 * README; the QGIS plugin reads it). Never cancels: SIGINT does that. */
static int print_progress(double fraction, const char *message, void *user) {
    (void)user;
    fprintf(stderr, "seggap: progress %.2f %s\n", fraction, message);
    return 1;
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
        fprintf(stderr, "seggap: %s\n", sg_ctx_last_error(ctx));
        if (last_is_usage(ctx)) fputs("seggap: see 'seggap analyze --help' for the options\n", stderr);
        return sg_status_exit_code(st);
    }
    if (sg_options_progress(opts)) sg_options_set_progress(opts, print_progress, NULL);
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
            fprintf(stderr, "seggap: timing %s %.6f\n", name, secs); /* sub-stages nest: do not add up */
        fprintf(stderr, "seggap: timing total %.6f\n",
                (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec));
    }
    if (st != SG_OK) {
        size_t ne = sg_ctx_count(ctx, SG_SEV_ERROR);
        if (ne > 1) fprintf(stderr, "seggap: %zu errors; nothing written\n", ne);
        else if (ne == 0) fprintf(stderr, "seggap: error: %s\n", sg_ctx_last_error(ctx));
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
    fprintf(stderr, "seggap: %s\n", sg_ctx_last_error(ctx));
    if (last_is_usage(ctx)) fprintf(stderr, "seggap: see 'seggap %s --help' for the options\n", command);
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
    if (co->progress) co->progress_fn = print_progress;
    sg_check *c = NULL;
    st = sg_check_run(ctx, co, &c);
    int rc = sg_check_exit_code(c, st);
    if (st != SG_OK) {
        print_diags(ctx, 1);
        if (sg_ctx_count(ctx, SG_SEV_ERROR) == 0) fprintf(stderr, "seggap: error: %s\n", sg_ctx_last_error(ctx));
    } else {
        if (co->json) fputs(sg_check_json(c), stdout);
        else if (!co->quiet) fputs(sg_check_text(c), stdout);
        if (rc == SG_CHECK_INVALID)
            fprintf(stderr, "seggap: check failed: the data validation found errors (see %s)\n",
                    sg_check_json_path(c));
        else if (rc == SG_CHECK_BREACH)
            fprintf(stderr, "seggap: check failed: a threshold was breached (see %s)\n", sg_check_json_path(c));
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
    return rc;
}
