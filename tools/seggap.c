/* seggap: the command-line front end. A thin layer over libseggap: it parses
 * the subcommand, calls one library entry and maps the status to an exit code.
 * Exit codes: 0 success, 1 bad input data, 2 usage, 4 output not written,
 * 5 internal error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seggap.h"

#define MAX_WARNINGS_SHOWN 20

static void usage(FILE *out) {
    fprintf(out,
            "usage: seggap <command> [options]\n"
            "\n"
            "commands:\n"
            "  analyze   segregation indices and district layer from districts + census data\n"
            "  compare   change of every index between two runs, tested and decomposed\n"
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
    else if (!quiet) {
        fputs(sg_run_summary_text(run), stdout);
        if (sg_run_compare_text(run)) fputs(sg_run_compare_text(run), stdout);
    }
    sg_run_destroy(run);
    sg_options_free(opts);
    return 0;
}

static const char compare_usage[] =
    "usage: seggap compare BASELINE CURRENT [--out DIR] [--permutations N] [--seed S] [--json] [--quiet]\n"
    "\n"
    "BASELINE and CURRENT are output directories of `seggap analyze` (or their summary.json).\n"
    "Writes compare.json (to --out, default CURRENT's directory): every index's baseline, current\n"
    "value and change; with the district layers present, a two-value permutation p-value for\n"
    "each aspatial index's change, the districts that appeared or vanished, and the Shapley\n"
    "decomposition of the change in dissimilarity and entropy into group sizes, district sizes\n"
    "and redistribution.\n";

static int cmd_compare(sg_ctx *ctx, int argc, char **argv) {
    sg_compare_options co = {NULL, NULL, NULL, 0, 12345};
    int json = 0, quiet = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            fputs(compare_usage, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) json = 1;
        else if (strcmp(a, "--quiet") == 0) quiet = 1;
        else if ((strcmp(a, "--out") == 0 || strcmp(a, "--permutations") == 0 || strcmp(a, "--seed") == 0) &&
                 i + 1 < argc) {
            const char *v = argv[++i];
            char *end = NULL;
            if (strcmp(a, "--out") == 0) co.out_dir = v;
            else {
                long long n = strtoll(v, &end, 10);
                if (!*v || *end || n < 0 || n > 1000000000LL) {
                    fprintf(stderr, "seggap: %s: '%s' is not a non-negative integer\n", a, v);
                    return 2;
                }
                if (strcmp(a, "--seed") == 0) co.seed = (unsigned long long)n;
                else co.permutations = (int)n;
            }
        } else if (strncmp(a, "--", 2) == 0) {
            fprintf(stderr, "seggap: unknown or incomplete option '%s'\n\n%s", a, compare_usage);
            return 2;
        } else if (!co.baseline) co.baseline = a;
        else if (!co.current) co.current = a;
        else {
            fprintf(stderr, "seggap: unexpected argument '%s'\n\n%s", a, compare_usage);
            return 2;
        }
    }
    if (!co.baseline || !co.current) {
        fprintf(stderr, "seggap: compare needs BASELINE and CURRENT\n\n%s", compare_usage);
        return 2;
    }
    sg_compare *c = NULL;
    sg_status st = sg_compare_run(ctx, &co, &c);
    print_diags(ctx, quiet);
    if (st != SG_OK) {
        if (sg_ctx_count(ctx, SG_SEV_ERROR) == 0) fprintf(stderr, "seggap: error: %s\n", sg_ctx_last_error(ctx));
        return sg_status_exit_code(st);
    }
    if (json) fputs(sg_compare_json(c), stdout);
    else if (!quiet) fputs(sg_compare_text(c), stdout);
    sg_compare_destroy(c);
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
    } else if (strcmp(argv[1], "compare") == 0) {
        rc = cmd_compare(ctx, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "seggap: unknown command '%s'\n", argv[1]);
        usage(stderr);
        rc = 2;
    }
    sg_ctx_destroy(ctx);
    return rc;
}
