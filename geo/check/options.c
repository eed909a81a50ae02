/* Command-line arguments of `seggap check`: argv -> sg_check_options, and
 * the usage text. The check's own options are taken here; every other
 * argument is kept for sg_check_run, which parses it as an option of
 * analyze on top of the config's. Nothing is printed here. */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

static const char usage_text[] =
    "usage: seggap check --config FILE [--baseline DIR] [--update-baseline] [--quiet] [--json]\n"
    "                    [--progress [json]] [analyze options that override the config's]\n"
    "\n"
    "Validates a new release (fields, numbers, ids, group <= total, geometry, CRS and districts\n"
    "against the baseline, per-district total changes), then recomputes the indices, compares\n"
    "them with the baseline run and judges the thresholds of the config's check: section.\n"
    "Writes check.json and check.xml (JUnit) to the output directory, and a summary on stdout.\n"
    "  --config FILE       YAML config: the options of analyze as keys, plus check: (see README)\n"
    "  --baseline DIR      the baseline run (default: the config's check: baseline)\n"
    "  --update-baseline   copy this run into the baseline when the check passed\n"
    "  --quiet             nothing on stdout;  --json: check.json on stdout\n"
    "  --progress [json]   progress on stderr, one line per stage: 'seggap: progress FRACTION STAGE'\n"
    "                      (validate, the stages of analyze, compare, write, then 1.00 done);\n"
    "                      with json: one JSON object per line, diagnostics too (README \"Progress\")\n"
    "\n"
    "Exit codes: 0 pass, 1 a threshold breached, 3 data validation failed, 2 usage or config\n"
    "error, 4 output not written, 5 internal error.\n";

const char *sg_check_usage(void) { return usage_text; }

/* Copies s to *p (moved past it); NULL stays NULL. */
static char *pack(char **p, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *r = memcpy(*p, s, n);
    *p += n;
    return r;
}

sg_status sg_check_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_check_options **out, int *help) {
    *out = NULL;
    if (help) *help = 0;
    sg_check_options co;
    memset(&co, 0, sizeof co);
    int nrest = 0;
    size_t bytes = 0; /* of the strings kept */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            if (help) *help = 1;
            return SG_OK;
        } else if (strcmp(a, "--json") == 0) co.json = 1;
        else if (strcmp(a, "--quiet") == 0) co.quiet = 1;
        else if (strcmp(a, "--progress") == 0 || strncmp(a, "--progress=", 11) == 0) {
            const char *mode = a[10] ? a + 11 : i + 1 < argc && sg__progress_mode(argv[i + 1]) > 0 ? argv[++i] : "plain";
            if ((co.progress = sg__progress_mode(mode)) < 0)
                return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                                 "option --progress: '%s' is not a mode (plain or json)", mode);
        }
        else if (strcmp(a, "--update-baseline") == 0) co.update_baseline = 1;
        else if (strcmp(a, "--config") == 0 || strcmp(a, "--baseline") == 0) {
            const char **dst = strcmp(a, "--config") == 0 ? &co.config : &co.baseline;
            if (i + 1 >= argc || *dst)
                return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "option %s %s", a,
                                 *dst ? "given twice" : "needs a value");
            *dst = argv[++i];
            bytes += strlen(*dst) + 1;
        } else {
            nrest++;
            bytes += strlen(a) + 1;
        }
    }
    if (!co.config) {
        static const char *const names[] = {"--config"};
        for (int i = 0; i < argc; i++) /* "--confg FILE": say so rather than "needs --config" alone */
            if (strncmp(argv[i], "--", 2) == 0 && sg__suggest(argv[i], names, 1))
                return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                                 "check needs --config FILE (unknown option '%s': did you mean --config?)", argv[i]);
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "check needs --config FILE");
    }
    /* One block: the options, the kept arguments (NULL-terminated), then
     * copies of every string. */
    sg_check_options *o = malloc(sizeof *o + ((size_t)nrest + 1) * sizeof(char *) + bytes);
    if (!o) return sg__nomem(ctx);
    *o = co;
    char **rest = (char **)(void *)(o + 1);
    char *p = (char *)(rest + nrest + 1);
    o->config = pack(&p, co.config);
    o->baseline = pack(&p, co.baseline);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0 || strcmp(a, "--baseline") == 0) i++;
        else if (strcmp(a, "--progress") == 0) i += i + 1 < argc && sg__progress_mode(argv[i + 1]) > 0;
        else if (strcmp(a, "--json") != 0 && strcmp(a, "--quiet") != 0 && strncmp(a, "--progress=", 11) != 0 &&
                 strcmp(a, "--update-baseline") != 0)
            rest[o->argc++] = pack(&p, a);
    }
    rest[o->argc] = NULL;
    o->argv = rest;
    *out = o;
    return SG_OK;
}

void sg_check_options_free(sg_check_options *opts) { free(opts); }
