/* seggap: the command-line front end. A thin layer over libseggap: it parses
 * the subcommand, calls one library entry and maps the status to an exit code.
 * Exit codes: 0 success, 1 bad input data, 2 usage, 4 output not written,
 * 5 internal error. */
#include <stdio.h>
#include <string.h>

#include "seggap.h"

#define MAX_WARNINGS_SHOWN 20

static void usage(FILE *out) {
    fprintf(out,
            "usage: seggap <command> [options]\n"
            "\n"
            "commands:\n"
            "  analyze   segregation indices and district layer from districts + census data\n"
            "\n"
            "  seggap analyze --help    options of analyze\n"
            "  seggap --version\n");
}

/* Errors always go to stderr; warnings too unless --quiet. */
static void print_diags(const sg_ctx *ctx, int quiet) {
    size_t shown = 0, nw = 0;
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++) {
        const sg_diag *d = sg_ctx_diag(ctx, i);
        if (d->severity == SG_SEV_ERROR) {
            fprintf(stderr, "seggap: error: %s [%s]\n", d->message, d->code);
        } else if (!quiet) {
            nw++;
            if (shown++ < MAX_WARNINGS_SHOWN) fprintf(stderr, "seggap: warning: %s [%s]\n", d->message, d->code);
        }
    }
    if (nw > MAX_WARNINGS_SHOWN)
        fprintf(stderr, "seggap: ... and %zu more warnings (all of them are in summary.json)\n",
                nw - MAX_WARNINGS_SHOWN);
}

static int cmd_analyze(sg_ctx *ctx, int argc, char **argv) {
    sg_options *opts = NULL;
    int help = 0;
    sg_status st = sg_options_parse(ctx, argc, argv, &opts, &help);
    if (help) {
        fputs(sg_options_usage(), stdout);
        return 0;
    }
    if (st != SG_OK) {
        fprintf(stderr, "seggap: %s\n\n%s", sg_ctx_last_error(ctx), sg_options_usage());
        return sg_status_exit_code(st);
    }
    sg_run *run = NULL;
    st = sg_analyze(ctx, opts, &run);
    int quiet = sg_options_quiet(opts), json = sg_options_json(opts);
    print_diags(ctx, quiet);
    if (st != SG_OK) {
        size_t ne = sg_ctx_count(ctx, SG_SEV_ERROR);
        if (ne > 1) fprintf(stderr, "seggap: %zu errors; nothing written\n", ne);
        else if (ne == 0) fprintf(stderr, "seggap: error: %s\n", sg_ctx_last_error(ctx));
        sg_options_free(opts);
        return sg_status_exit_code(st);
    }
    if (json) fputs(sg_run_summary_json(run), stdout);
    else if (!quiet) fputs(sg_run_summary_text(run), stdout);
    sg_run_destroy(run);
    sg_options_free(opts);
    return 0;
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
    int rc;
    if (strcmp(argv[1], "analyze") == 0) {
        rc = cmd_analyze(ctx, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "seggap: unknown command '%s'\n", argv[1]);
        usage(stderr);
        rc = 2;
    }
    sg_ctx_destroy(ctx);
    return rc;
}
