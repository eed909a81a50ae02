/* `seggap check`: validate a new release, recompute, compare with the
 * baseline run and judge the thresholds of the config.
 *
 * 1. Validation, before any computation: the reader's own diagnostics
 *    (fields, numbers, ids, group <= total, geometry, CRS, joins) become
 *    findings, plus the comparisons with the baseline: CRS, districts by id
 *    (missing / new unless listed), per-district total change beyond
 *    max_total_change, the city total change. An error finding fails the
 *    check with verdict 3 (nothing is computed).
 * 2. sg_analyze on the release, sg_compare_run against the baseline (with
 *    check: permutations, p-values of the changes).
 * 3. Thresholds on summary.json values (an index name, or a dotted path such
 *    as access.library.gap_ratio) and their changes. A breach is verdict 1;
 *    a metric the run did not compute is a breach too (T_NOT_COMPUTED).
 * check.json and check.xml are written in every case; --update-baseline
 * copies the run into the baseline only when the check passed.
 * The rules of 1 and 3 are in rules.c; this file runs them and writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <json-c/json.h>
#include <ogr_api.h>

#include "check/check.h"

#define SG_TEXT_ERRORS 30   /* errors listed on stdout (all are in check.json) */
#define SG_TEXT_WARNINGS 15 /* warnings listed on stdout */

/* ---- outputs ---- */
static sg_status write_text(sg_ctx *ctx, const char *path, const char *text) {
    return sg__output_write(ctx, path, text, strlen(text));
}

static sg_status copy_file(sg_ctx *ctx, const char *from, const char *to) {
    FILE *f = fopen(from, "rb");
    if (!f)
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL}, "cannot read: %s",
                         strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    size_t r;
    while (m && (r = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, r, m);
    int bad = ferror(f);
    fclose(f);
    if (!m) return sg__nomem(ctx);
    fclose(m);
    sg_status st = bad || !buf ? sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL},
                                           "read error")
                               : SG_OK;
    if (st == SG_OK && strlen(buf) != len)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){from, NULL, -1, NULL, NULL}, "not a text file");
    if (st == SG_OK) st = write_text(ctx, to, buf);
    free(buf);
    return st;
}

/* The baseline folder, published whole like --out (base/outset.h): the
 * run's summary.json and districts.geojson replace the previous baseline's
 * files together or not at all; foreign files stay. */
static sg_status update_baseline(sg_ctx *ctx, const char *out_dir, const char *dir) {
    sg_outset bo;
    sg_status st = sg__outset_open(ctx, dir, "baseline", &bo);
    if (st != SG_OK) return st;
    static const char *const files[] = {"summary.json", "districts.geojson"};
    for (int k = 0; st == SG_OK && k < 2; k++) {
        char *from = sg__asprintf("%s/%s", out_dir, files[k]), *to = sg__asprintf("%s/%s", bo.stage, files[k]);
        st = from && to ? copy_file(ctx, from, to) : sg__nomem(ctx);
        free(from);
        free(to);
    }
    if (st == SG_OK) st = sg__outset_publish(ctx, &bo);
    sg__outset_close(&bo);
    return st;
}

static char *text_report(const sg_check *c, const char *config, const char *bdir, int first, const char *out_dir) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "seggap %s check: %s\n", SG_VERSION_STRING, config);
    fprintf(m, "  baseline    %s%s\n", bdir, first ? " (none yet: this run becomes the first)" : "");
    json_object *val, *rl;
    json_object_object_get_ex(c->root, "validation", &val);
    json_object_object_get_ex(val, "rules", &rl);
    size_t nerr = 0, nwarn = 0, nfail = 0;
    for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->findings, i), "severity", &s);
        if (strcmp(json_object_get_string(s), "error") == 0) nerr++;
        else if (strcmp(json_object_get_string(s), "warning") == 0) nwarn++;
    }
    for (size_t i = 0; i < json_object_array_length(rl); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(rl, i), "status", &s);
        if (strcmp(json_object_get_string(s), "fail") == 0) nfail++;
    }
    fprintf(m, "  validation  %s: %zu rules, %zu failed; %zu errors, %zu warnings\n", nerr ? "FAIL" : "pass",
            json_object_array_length(rl), nfail, nerr, nwarn);
    size_t shown_e = 0, shown_w = 0;
    static const char *const order[] = {"error", "warning", "info"}; /* what to act on first */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
            json_object *f = json_object_array_get_idx(c->findings, i), *code, *sev, *msg;
            json_object_object_get_ex(f, "code", &code);
            json_object_object_get_ex(f, "severity", &sev);
            json_object_object_get_ex(f, "message", &msg);
            const char *s = json_object_get_string(sev);
            if (strcmp(s, order[pass]) != 0) continue;
            int is_e = pass == 0, is_w = pass == 1;
            if ((is_e && shown_e++ >= SG_TEXT_ERRORS) || (is_w && shown_w++ >= SG_TEXT_WARNINGS)) continue;
            fprintf(m, "    %-7s %-26s ", s, json_object_get_string(code));
            sg__check_finding_text(m, f);
            fputc('\n', m);
        }
    if (shown_e > SG_TEXT_ERRORS || shown_w > SG_TEXT_WARNINGS)
        fprintf(m, "    ... %zu more (every finding is in check.json)\n",
                (shown_e > SG_TEXT_ERRORS ? shown_e - SG_TEXT_ERRORS : 0) +
                    (shown_w > SG_TEXT_WARNINGS ? shown_w - SG_TEXT_WARNINGS : 0));
    size_t np = 0, nf = 0, ns = 0, nt = json_object_array_length(c->thresholds);
    for (size_t i = 0; i < nt; i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->thresholds, i), "status", &s);
        const char *st = json_object_get_string(s);
        if (strcmp(st, "pass") == 0) np++;
        else if (strcmp(st, "fail") == 0) nf++;
        else ns++;
    }
    fprintf(m, "  thresholds  %zu: %zu pass, %zu fail, %zu skipped\n", nt, np, nf, ns);
    for (size_t i = 0; i < nt; i++) {
        json_object *r = json_object_array_get_idx(c->thresholds, i), *s, *name, *msg, *code;
        json_object_object_get_ex(r, "status", &s);
        json_object_object_get_ex(r, "name", &name);
        json_object_object_get_ex(r, "message", &msg);
        const char *st = json_object_get_string(s);
        fprintf(m, "    %-7s %-34s %s", strcmp(st, "fail") == 0 ? "FAIL" : st, json_object_get_string(name),
                json_object_get_string(msg));
        if (json_object_object_get_ex(r, "code", &code)) fprintf(m, " [%s]", json_object_get_string(code));
        fputc('\n', m);
    }
    static const char *const verdicts[] = {"PASS", "THRESHOLD BREACHED", "", "DATA VALIDATION FAILED"};
    fprintf(m, "  result      %s (exit %d)\n", verdicts[c->verdict], c->verdict);
    fprintf(m, "  wrote       %s/check.json\n              %s/check.xml\n", out_dir, out_dir);
    fclose(m);
    return buf;
}

void sg__check_finding_text(FILE *m, json_object *f) {
    json_object *idv = NULL, *msg = NULL;
    json_object_object_get_ex(f, "message", &msg);
    const char *text = msg ? json_object_get_string(msg) : "";
    const char *id = json_object_object_get_ex(f, "district_id", &idv) && idv ? json_object_get_string(idv) : NULL;
    if (id && *id) { /* the district, unless the message names it already */
        char *quoted = sg__asprintf("'%s'", id);
        if (quoted && !strstr(text, quoted)) fprintf(m, "district '%s': ", id);
        free(quoted);
    }
    fputs(text, m);
}

/* ---- progress (sg_check_options.progress_fn) ---- */
/* The analysis' share of the check's progress; validation comes before it,
 * the comparison and the check's own files after it. */
#define SG_CHECK_ANALYZE_LO 0.05
#define SG_CHECK_ANALYZE_HI 0.85

typedef struct check_progress {
    sg_progress_fn fn;
    void *user;
} check_progress;

/* sg_analyze's progress, scaled into the check's; its "done" is not the
 * check's. */
static int analyze_progress(double fraction, const char *message, void *user) {
    const check_progress *p = user;
    if (strcmp(message, "done") == 0) return 1;
    return p->fn(SG_CHECK_ANALYZE_LO + fraction * (SG_CHECK_ANALYZE_HI - SG_CHECK_ANALYZE_LO), message, p->user);
}

/* A stage of the check itself: SG_ERR_CANCELLED (reported) when the
 * callback asks to stop; the context is then cancelled as by sg_ctx_cancel. */
static sg_status check_stage(sg_ctx *ctx, const check_progress *p, double fraction, const char *name) {
    if (!p->fn || p->fn(fraction, name, p->user)) return SG_OK;
    sg_ctx_cancel(ctx);
    return sg__check_cancel(ctx);
}

/* ---- the run ---- */
sg_status sg_check_run(sg_ctx *ctx, const sg_check_options *co, sg_check **out) {
    *out = NULL;
    GDALAllRegister();
    if (!co->config)
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "seggap check needs --config FILE");
    sg_config cfg;
    sg_status st = sg__config_load(ctx, co->config, &cfg);
    if (st != SG_OK) return st;
    sg_options *opts = NULL;
    sg_check *c = NULL;
    sg_run *run = NULL;
    sg_compare *cmp = NULL;
    json_object *summary = NULL;
    sg_check_baseline b;
    memset(&b, 0, sizeof b);
    int first = 0;
    sg_outset oset; /* out: locked, every file staged, published at the end */
    memset(&oset, 0, sizeof oset);
    oset.fd = -1;
    char *json_file = NULL, *junit_file = NULL;
    char **all = calloc((size_t)cfg.argc + (size_t)co->argc + 1, sizeof *all);
    if (!all) {
        st = sg__nomem(ctx);
        goto done;
    }
    for (int i = 0; i < cfg.argc; i++) all[i] = cfg.argv[i];
    for (int i = 0; i < co->argc; i++) all[cfg.argc + i] = co->argv[i];
    st = sg__options_parse_layered(ctx, cfg.argc + co->argc, all, cfg.argc, &opts, NULL);
    free(all);
    if (st != SG_OK) goto done;
    if (!opts) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--help is not an option of check here");
        goto done;
    }
    if (!(opts->layers & SG_LAYER_DISTRICTS)) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){cfg.path, NULL, -1, NULL, NULL},
                       "seggap check compares districts.geojson with the baseline's: 'layers' must include districts");
        goto done;
    }
    /* The baseline: --baseline, else check: baseline, else the analyze key. */
    const char *bdir = co->baseline ? co->baseline : cfg.baseline ? cfg.baseline : opts->baseline;
    if (!bdir) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_CONFIG", (sg_where){cfg.path, NULL, -1, NULL, NULL},
                       "no baseline: give check: baseline: DIR in the config or --baseline DIR");
        goto done;
    }
    b.dir = sg__strdup(bdir);
    free(opts->baseline); /* the check compares itself, after validating */
    opts->baseline = NULL;
    if (!b.dir) {
        st = sg__nomem(ctx);
        goto done;
    }
    { /* issue 16 item 4: the run must not overwrite the baseline it is judged against */
        struct stat ob, bb;
        if (opts->out_dir && stat(opts->out_dir, &ob) == 0 && stat(b.dir, &bb) == 0 && ob.st_dev == bb.st_dev &&
            ob.st_ino == bb.st_ino) {
            st = sg__error(ctx, SG_ERR_USAGE, "E_OUT_IS_BASELINE", (sg_where){opts->out_dir, NULL, -1, NULL, NULL},
                           "out is the baseline folder %s: the run would overwrite the run it is compared with "
                           "(choose another out)", b.dir);
            goto done;
        }
    }
    {
        struct stat sb;
        char *sp = sg__asprintf("%s/summary.json", b.dir);
        first = sp && stat(sp, &sb) != 0;
        free(sp);
    }
    if (first && !co->update_baseline) {
        st = sg__error(ctx, SG_ERR_USAGE, "E_BASELINE", (sg_where){b.dir, NULL, -1, NULL, NULL},
                       "no baseline run here (summary.json): run once with --update-baseline to make this "
                       "release the first baseline");
        goto done;
    }
    if (!first && (st = sg__check_baseline_load(ctx, b.dir, &b)) != SG_OK) goto done;
    if ((st = sg__check_metrics(ctx, &cfg, b.summary)) != SG_OK) goto done; /* a misspelled metric: before any work */
    if ((st = sg__outset_open(ctx, opts->out_dir, "out", &oset)) != SG_OK) goto done;
    opts->outset = &oset; /* sg_analyze writes into its staging folder and leaves the publishing here */

    c = calloc(1, sizeof *c);
    if (!c) {
        st = sg__nomem(ctx);
        goto done;
    }
    c->root = json_object_new_object();
    c->findings = json_object_new_array();
    c->thresholds = json_object_new_array();
    c->json_path = sg__asprintf("%s/check.json", opts->out_dir);
    c->junit_path = sg__asprintf("%s/check.xml", opts->out_dir);
    json_file = c->json_path ? sg__outset_path(&oset, opts->out_dir, c->json_path) : NULL;
    junit_file = c->junit_path ? sg__outset_path(&oset, opts->out_dir, c->junit_path) : NULL;
    if (!c->root || !c->findings || !c->thresholds || !c->json_path || !c->junit_path || !json_file || !junit_file) {
        st = sg__nomem(ctx);
        goto done;
    }
    sg_check_state S = {c, &cfg, &b, NULL, 0, 0, 0, 0};
    check_progress prog = {co->progress_fn, co->progress_user};
    if (prog.fn) sg_options_set_progress(opts, analyze_progress, &prog);
    json_object *tool = json_object_new_object();
    json_object_object_add(tool, "name", sg__check_jstr("seggap"));
    json_object_object_add(tool, "version", sg__check_jstr(SG_VERSION_STRING));
    json_object_object_add(c->root, "tool", tool);
    json_object_object_add(c->root, "command", sg__check_jstr("check"));
    json_object_object_add(c->root, "config", sg__check_jstr(cfg.path));
    /* The order of check.json's members; filled in below. */
    static const char *const order[] = {"baseline", "verdict", "exit_code", "validation", "population",
                                        "thresholds", "outputs", "baseline_updated"};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) json_object_object_add(c->root, order[k], NULL);

    /* 1. Validation. */
    if ((st = check_stage(ctx, &prog, 0, "validate")) != SG_OK) goto done;
    if ((st = sg__check_validate(ctx, &S, opts)) != SG_OK) goto done;
    sg_ctx_clear(ctx); /* now findings; the analysis reports its own */
    int invalid = 0;
    for (size_t i = 0; i < json_object_array_length(c->findings); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->findings, i), "severity", &s);
        const char *sv = json_object_get_string(s);
        if (strcmp(sv, "error") == 0 || (cfg.fail_on_warnings && strcmp(sv, "warning") == 0)) invalid = 1;
    }
    /* 2. The analysis and the comparison. */
    const char *skip = invalid ? "not evaluated: the data validation failed" : NULL;
    if (!invalid) {
        st = sg_analyze(ctx, opts, &run);
        if (st != SG_OK && !sg__check_data_status(st)) goto done;
        S.analyzed = 1;
        if (st != SG_OK) {
            sg__check_findings_from_diags(c, ctx, 0, "indices", NULL, NULL, 1);
            invalid = 1;
            skip = "not evaluated: the indices could not be computed";
            st = SG_OK;
        }
    }
    if (!invalid) {
        summary = json_tokener_parse(sg_run_summary_json(run));
        if (!summary) {
            st = sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "the run's summary.json does not parse");
            goto done;
        }
        if (!first) {
            sg_compare_options cmo;
            memset(&cmo, 0, sizeof cmo);
            cmo.baseline = b.dir;
            cmo.current = oset.stage; /* the run, staged; named as out */
            cmo.out_dir = oset.stage;
            cmo.permutations = cfg.permutations;
            cmo.seed = (unsigned long long)opts->seed;
            if ((st = check_stage(ctx, &prog, SG_CHECK_ANALYZE_HI, "compare")) != SG_OK) goto done;
            if ((st = sg__compare_run_as(ctx, &cmo, opts->out_dir, &cmp)) != SG_OK) goto done;
        }
    }
    sg__check_evaluate(&S, summary, cmp, skip);

    /* Verdict. */
    c->verdict = invalid ? SG_CHECK_INVALID : SG_CHECK_PASS;
    for (size_t i = 0; !invalid && i < json_object_array_length(c->thresholds); i++) {
        json_object *s;
        json_object_object_get_ex(json_object_array_get_idx(c->thresholds, i), "status", &s);
        if (strcmp(json_object_get_string(s), "fail") == 0) c->verdict = SG_CHECK_BREACH;
    }

    /* check.json */
    json_object *jb = json_object_new_object();
    json_object_object_add(jb, "dir", sg__check_jstr(b.dir));
    json_object_object_add(jb, "exists", json_object_new_boolean(!first));
    const char *created = b.summary ? sg__check_json_str(b.summary, "created", NULL, NULL) : NULL;
    json_object_object_add(jb, "created", sg__check_jstr(created));
    json_object_object_add(c->root, "baseline", jb);
    static const char *const vnames[] = {"pass", "threshold_breached", "", "validation_failed"};
    json_object_object_add(c->root, "verdict", sg__check_jstr(vnames[c->verdict]));
    json_object_object_add(c->root, "exit_code", json_object_new_int(c->verdict));
    json_object *val = json_object_new_object();
    size_t nerr_total = 0;
    json_object *rl = sg__check_rules_json(&S, first, &nerr_total);
    json_object_object_add(val, "passed", json_object_new_boolean(!invalid));
    json_object_object_add(val, "errors", json_object_new_int64((int64_t)nerr_total));
    json_object_object_add(val, "max_total_change", sg__check_jnum(cfg.max_total_change));
    json_object_object_add(val, "max_group_change", sg__check_jnum(cfg.max_group_change));
    json_object_object_add(val, "max_share_change", sg__check_jnum(cfg.max_share_change));
    json_object_object_add(val, "min_residents", sg__check_jnum(cfg.min_residents));
    json_object_object_add(val, "rules", rl);
    json_object_object_add(val, "findings", json_object_get(c->findings));
    json_object_object_add(c->root, "validation", val);
    if (!S.population) json_object_object_add(c->root, "population", NULL);
    json_object *th = json_object_new_object();
    json_object_object_add(th, "alpha", sg__check_jnum(cfg.alpha));
    json_object_object_add(th, "permutations", json_object_new_int(cfg.permutations));
    json_object_object_add(th, "results", json_object_get(c->thresholds));
    json_object_object_add(c->root, "thresholds", th);
    json_object *outs = json_object_new_object();
    json_object_object_add(outs, "check", sg__check_jstr(c->json_path));
    json_object_object_add(outs, "junit", sg__check_jstr(c->junit_path));
    if (run) {
        json_object_object_add(outs, "summary", sg__check_jstr(sg_run_summary_path(run)));
        json_object_object_add(outs, "districts", sg__check_jstr(sg_run_districts_path(run)));
    }
    if (run && opts->out_pg) {
        json_object *pg = json_object_new_object();
        json_object_object_add(pg, "connection", sg__check_jstr(opts->out_pg)); /* redacted with the whole text */
        json_object_object_add(pg, "table_prefix", sg__check_jstr(opts->out_pg_prefix ? opts->out_pg_prefix : "seggap_"));
        json_object_object_add(outs, "postgis", pg);
    }
    if (cmp) {
        char *cp = sg__asprintf("%s/compare.json", opts->out_dir);
        json_object_object_add(outs, "compare", sg__check_jstr(cp));
        free(cp);
    }
    json_object_object_add(c->root, "outputs", outs);
    int will_update = co->update_baseline && c->verdict == SG_CHECK_PASS;
    json_object_object_add(c->root, "baseline_updated", json_object_new_boolean(will_update));
    if (co->update_baseline && !will_update)
        json_object_object_add(c->root, "baseline_update_note", sg__check_jstr("the check did not pass: the baseline is kept"));

    const char *txt = json_object_to_json_string_ext(c->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
    c->json = txt ? sg__asprintf("%s\n", txt) : NULL;
    char *safe = sg__redact(c->json);
    free(c->json);
    c->json = safe;
    c->text = text_report(c, cfg.path, b.dir, first, opts->out_dir);
    safe = sg__redact(c->text);
    free(c->text);
    c->text = sg__escape_controls(safe, 1); /* printed on a terminal: ids, paths */
    free(safe);
    if (!c->json || !c->text) {
        st = sg__nomem(ctx);
        goto done;
    }
    if ((st = check_stage(ctx, &prog, 0.95, "write")) != SG_OK) goto done;
    if (will_update && (st = update_baseline(ctx, oset.stage, b.dir)) != SG_OK) goto done;
    if ((st = write_text(ctx, json_file, c->json)) != SG_OK) goto done;
    if ((st = sg__junit_write(ctx, c->root, junit_file)) != SG_OK) goto done;
    if ((st = sg__check_cancel(ctx)) != SG_OK) goto done; /* a signal: the set is discarded */
    st = sg__outset_publish(ctx, &oset); /* the whole set, or (failed, cancelled) nothing */

done:
    sg__outset_close(&oset);
    free(json_file);
    free(junit_file);
    if (summary) json_object_put(summary);
    sg_compare_destroy(cmp);
    sg_run_destroy(run);
    sg_options_free(opts);
    sg__check_baseline_free(&b);
    sg__config_free(&cfg);
    if (st != SG_OK) {
        sg_check_destroy(c);
        return st;
    }
    if (co->progress_fn) (void)co->progress_fn(1, "done", co->progress_user); /* complete: a 0 cancels nothing */
    *out = c;
    return SG_OK;
}

void sg_check_destroy(sg_check *c) {
    if (!c) return;
    if (c->root) json_object_put(c->root);
    if (c->findings) json_object_put(c->findings);
    if (c->thresholds) json_object_put(c->thresholds);
    free(c->json);
    free(c->text);
    free(c->json_path);
    free(c->junit_path);
    free(c);
}

int sg_check_verdict(const sg_check *c) { return c->verdict; }
int sg_check_exit_code(const sg_check *c, sg_status st) {
    switch (st) {
    case SG_OK:
        return c ? c->verdict : 0;
    case SG_ERR_OUTPUT:
        return 4;
    case SG_ERR_NOMEM:
    case SG_ERR_INTERNAL:
        return 5;
    case SG_ERR_USAGE:
    case SG_ERR_INPUT:
    case SG_ERR_DATA:
    case SG_ERR_CRS:
    case SG_ERR_GEOMETRY:
        return 2;
    default:
        return sg_status_exit_code(st); /* e.g. interrupted */
    }
}
const char *sg_check_json(const sg_check *c) { return c->json; }
const char *sg_check_text(const sg_check *c) { return c->text; }
const char *sg_check_json_path(const sg_check *c) { return c->json_path; }
const char *sg_check_junit_path(const sg_check *c) { return c->junit_path; }
size_t sg_check_finding_count(const sg_check *c) { return c && c->findings ? json_object_array_length(c->findings) : 0; }

int sg_check_finding(const sg_check *c, size_t i, const char **code, const char **severity, const char **id,
                     const char **message) {
    if (i >= sg_check_finding_count(c)) return 0; /* c may be NULL: no finding */
    json_object *f = json_object_array_get_idx(c->findings, i), *v;
    if (code) *code = json_object_object_get_ex(f, "code", &v) ? json_object_get_string(v) : "";
    if (severity) *severity = json_object_object_get_ex(f, "severity", &v) ? json_object_get_string(v) : "";
    if (id) *id = json_object_object_get_ex(f, "district_id", &v) && v ? json_object_get_string(v) : "";
    if (message) *message = json_object_object_get_ex(f, "message", &v) ? json_object_get_string(v) : "";
    return 1;
}

const char *sg_check_threshold_status(const sg_check *c, const char *name) {
    if (!c || !c->thresholds || !name) return NULL;
    for (size_t i = 0; i < json_object_array_length(c->thresholds); i++) {
        json_object *r = json_object_array_get_idx(c->thresholds, i), *n, *s;
        if (json_object_object_get_ex(r, "name", &n) && strcmp(json_object_get_string(n), name) == 0 &&
            json_object_object_get_ex(r, "status", &s))
            return json_object_get_string(s);
    }
    return NULL;
}
