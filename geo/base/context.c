/* Context handle: GEOS and PROJ contexts, error state, diagnostics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpl_error.h>

#include "base/outset.h"

/* The context: private to this file (base.h gives the accessors). */
struct sg_ctx {
    GEOSContextHandle_t geos;
    PJ_CONTEXT *proj;
    sg_status last_status;
    char *last_error;
    sg_diag *diags;
    size_t ndiags, capdiags;
    size_t nerrors, nwarnings;
    char geos_msg[SG_GEOS_MSG_MAX];   /* last message from GEOS */
    char proj_msg[512];   /* last message from PROJ */
    char gdal_msg[SG_GDAL_MSG_MAX];  /* last error message from GDAL */
    char gdal_warn[SG_GDAL_MSG_MAX]; /* last warning (a /vsicurl/ HTTP failure is only one) */
    volatile sig_atomic_t cancel; /* set by sg_ctx_cancel (signal handlers too) */
    struct sg_stage { char name[48]; double seconds; } stages[48]; /* sg_ctx_stage */
    size_t nstages;
    size_t ogr_opens; /* sg__ogr_open_counted */
    int strict;       /* sg__ctx_set_strict: warnings are recorded as errors */
    /* progress of the run (sg__progress_*): the caller's callback, the span
     * of the overall fraction the current stage covers, the last fraction
     * reported (calls never go back) and the stage's name */
    sg_progress_fn progress;
    void *progress_user;
    double progress_lo, progress_hi, progress_last;
    char progress_stage[48];
    /* sg_ctx_set_diag_fn: the callback, the diagnostics passed to it so far
     * (diags[0 .. diag_sent)) and the depth of sg__diag_hold */
    sg_diag_fn diag_fn;
    void *diag_user;
    size_t diag_sent;
    int diag_hold;
};


static const char *const status_names[] = {
#define SG__X(sym, name, desc, code) name,
    SG_STATUS_MAP(SG__X)
#undef SG__X
};
static const char *const status_descs[] = {
#define SG__X(sym, name, desc, code) desc,
    SG_STATUS_MAP(SG__X)
#undef SG__X
};
static const int status_codes[] = {
#define SG__X(sym, name, desc, code) code,
    SG_STATUS_MAP(SG__X)
#undef SG__X
};

const char *sg_status_name(sg_status s) {
    return (s >= 0 && s < SG_STATUS_COUNT) ? status_names[s] : "unknown";
}
const char *sg_strerror(sg_status s) {
    return (s >= 0 && s < SG_STATUS_COUNT) ? status_descs[s] : "unknown status";
}
int sg_status_exit_code(sg_status s) {
    return (s >= 0 && s < SG_STATUS_COUNT) ? status_codes[s] : 5;
}

const char *sg_version(void) { return SG_VERSION_STRING; }

/* ---- GEOS interruption (base.h: sg__geos_interruptible) ---- */
static _Thread_local const volatile sig_atomic_t *tl_cancel; /* the run this thread works for */
static GEOSInterruptCallback *prev_interrupt;
static pthread_once_t interrupt_once = PTHREAD_ONCE_INIT;

static void geos_interrupt(void) {
    if (tl_cancel && *tl_cancel) GEOS_interruptRequest();
    if (prev_interrupt) prev_interrupt();
}
static void interrupt_register(void) { prev_interrupt = GEOS_interruptRegisterCallback(geos_interrupt); }

void sg__geos_interruptible(const sg_ctx *ctx) { tl_cancel = ctx ? &ctx->cancel : NULL; }

static void geos_message(const char *msg, void *userdata) {
    sg_ctx *ctx = userdata;
    snprintf(ctx->geos_msg, sizeof ctx->geos_msg, "%s", msg ? msg : "");
}

static void proj_message(void *userdata, int level, const char *msg) {
    sg_ctx *ctx = userdata;
    if (level <= PJ_LOG_ERROR)
        snprintf(ctx->proj_msg, sizeof ctx->proj_msg, "%s", msg ? msg : "");
}

sg_ctx *sg_ctx_create(void) {
    sg_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->geos = GEOS_init_r();
    ctx->proj = proj_context_create();
    if (!ctx->geos || !ctx->proj) {
        sg_ctx_destroy(ctx);
        return NULL;
    }
    pthread_once(&interrupt_once, interrupt_register);
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
    proj_log_func(ctx->proj, ctx, proj_message);
    proj_log_level(ctx->proj, PJ_LOG_ERROR);
    return ctx;
}

/* The strings one diagnostic owns. */
static void diag_free(sg_diag *d) {
    free((char *)d->code);
    free((char *)d->file);
    free((char *)d->layer);
    free((char *)d->id);
    free((char *)d->field);
    free((char *)d->message);
    free((char *)d->hint);
}

static void free_diags(sg_ctx *ctx) {
    for (size_t i = 0; i < ctx->ndiags; i++) {
        diag_free(&ctx->diags[i]);
    }
    free(ctx->diags);
    ctx->diags = NULL;
    ctx->ndiags = ctx->capdiags = 0;
    ctx->nerrors = ctx->nwarnings = 0;
}

void sg_ctx_destroy(sg_ctx *ctx) {
    if (!ctx) return;
    if (tl_cancel == &ctx->cancel) tl_cancel = NULL;
    free_diags(ctx);
    free(ctx->last_error);
    if (ctx->geos) GEOS_finish_r(ctx->geos);
    if (ctx->proj) proj_context_destroy(ctx->proj);
    free(ctx);
}

/* Passes the diagnostics not passed yet to the callback, unless held. */
static void diag_deliver(sg_ctx *ctx) {
    if (ctx->diag_sent > ctx->ndiags) ctx->diag_sent = ctx->ndiags; /* dropped since */
    if (!ctx->diag_fn || ctx->diag_hold > 0) return;
    while (ctx->diag_sent < ctx->ndiags) ctx->diag_fn(&ctx->diags[ctx->diag_sent++], ctx->diag_user);
}

void sg_ctx_set_diag_fn(sg_ctx *ctx, sg_diag_fn fn, void *user) {
    if (!ctx) return;
    ctx->diag_fn = fn;
    ctx->diag_user = fn ? user : NULL;
    ctx->diag_sent = ctx->ndiags; /* from now on */
}

void sg__diag_hold(sg_ctx *ctx, int on) {
    if (!ctx) return;
    ctx->diag_hold += on ? 1 : -1;
    if (ctx->diag_hold < 0) ctx->diag_hold = 0;
    diag_deliver(ctx);
}

void sg_ctx_clear(sg_ctx *ctx) {
    free_diags(ctx);
    ctx->diag_sent = 0;
    free(ctx->last_error);
    ctx->last_error = NULL;
    ctx->last_status = SG_OK;
    ctx->nstages = 0;
}

double sg__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sg__stage_add(sg_ctx *ctx, const char *name, double seconds) {
    sg__test_point(name); /* SEGGAP_TEST_KILL_AT: a stage's end */
    if (!ctx || !name) return;
    for (size_t i = 0; i < ctx->nstages; i++)
        if (strcmp(ctx->stages[i].name, name) == 0) {
            ctx->stages[i].seconds += seconds;
            return;
        }
    size_t cap = sizeof ctx->stages / sizeof ctx->stages[0];
    if (ctx->nstages == cap) return; /* more stages than slots: the rest are not timed */
    snprintf(ctx->stages[ctx->nstages].name, sizeof ctx->stages[0].name, "%s", name);
    ctx->stages[ctx->nstages++].seconds = seconds;
}

size_t sg_ctx_stage_count(const sg_ctx *ctx) { return ctx ? ctx->nstages : 0; }

int sg_ctx_stage(const sg_ctx *ctx, size_t i, const char **name, double *seconds) {
    if (!ctx || i >= ctx->nstages) return 0;
    if (name) *name = ctx->stages[i].name;
    if (seconds) *seconds = ctx->stages[i].seconds;
    return 1;
}

const char *sg_ctx_last_error(const sg_ctx *ctx) {
    return (ctx && ctx->last_error) ? ctx->last_error : "";
}
sg_status sg_ctx_last_status(const sg_ctx *ctx) { return ctx ? ctx->last_status : SG_OK; }
size_t sg_ctx_diag_count(const sg_ctx *ctx) { return ctx->ndiags; }
const sg_diag *sg_ctx_diag(const sg_ctx *ctx, size_t i) {
    return i < ctx->ndiags ? &ctx->diags[i] : NULL;
}
size_t sg_ctx_count(const sg_ctx *ctx, sg_severity sev) {
    return sev == SG_SEV_ERROR ? ctx->nerrors : ctx->nwarnings;
}
size_t sg__nerrors(const sg_ctx *ctx) { return ctx->nerrors; }

void sg__drop_last_diag(sg_ctx *ctx) {
    if (!ctx->ndiags) return;
    sg_diag *d = &ctx->diags[--ctx->ndiags];
    if (d->severity == SG_SEV_ERROR) ctx->nerrors--;
    else ctx->nwarnings--;
    diag_free(d);
}

size_t sg__drop_errors_since(sg_ctx *ctx, size_t from) {
    size_t k = from, dropped = 0;
    for (size_t i = from; i < ctx->ndiags; i++) {
        sg_diag *d = &ctx->diags[i];
        if (d->severity != SG_SEV_ERROR) {
            ctx->diags[k++] = *d;
            continue;
        }
        dropped++;
        ctx->nerrors--;
        diag_free(d);
    }
    if (from < ctx->ndiags) ctx->ndiags = k;
    return dropped;
}

/* "file: layer: fid N (id X): field: reason" with absent parts left out. */
static char *format_where(sg_where w, const char *fmt, va_list ap) {
    char reason[2048];
    vsnprintf(reason, sizeof reason, fmt, ap);
    char head[2048];
    size_t k = 0;
    head[0] = '\0';
#define SG__APPEND(...)                                                          \
    do {                                                                         \
        int r_ = snprintf(head + k, sizeof head - k, __VA_ARGS__);               \
        if (r_ > 0) k = (size_t)r_ < sizeof head - k ? k + (size_t)r_ : sizeof head - 1; \
    } while (0)
    if (w.file && *w.file) SG__APPEND("%s: ", w.file);
    if (w.layer && *w.layer) SG__APPEND("layer '%s': ", w.layer);
    if (w.fid >= 0 && w.id && *w.id) SG__APPEND("fid %lld (id '%s'): ", w.fid, w.id);
    else if (w.fid >= 0) SG__APPEND("fid %lld: ", w.fid);
    else if (w.id && *w.id) SG__APPEND("id '%s': ", w.id);
    if (w.field && *w.field) SG__APPEND("field '%s': ", w.field);
#undef SG__APPEND
    char *msg = sg__asprintf("%s%s", head, reason);
    char *safe = sg__redact(msg); /* no password from a connection string in any message */
    free(msg);
    char *shown = sg__escape_controls(safe, 0); /* no raw ESC/BEL from the input to a terminal */
    free(safe);
    return shown;
}

static void add_diag(sg_ctx *ctx, sg_severity sev, const char *code, sg_where w, char *msg) {
    if (!msg) return;
    if (ctx->ndiags == ctx->capdiags) {
        size_t cap = ctx->capdiags ? ctx->capdiags * 2 : 16;
        sg_diag *nd = sg__reallocarray(ctx->diags, cap, sizeof *nd);
        if (!nd) {
            free(msg);
            return;
        }
        ctx->diags = nd;
        ctx->capdiags = cap;
    }
    sg_diag *d = &ctx->diags[ctx->ndiags++];
    d->severity = sev;
    d->code = sg__strdup(code ? code : "");
    d->file = sg__redact(w.file ? w.file : "");
    d->layer = sg__strdup(w.layer ? w.layer : "");
    d->fid = w.fid;
    d->id = sg__strdup(w.id ? w.id : "");
    d->field = sg__strdup(w.field ? w.field : "");
    d->message = msg;
    d->hint = NULL;
    if (sev == SG_SEV_ERROR) ctx->nerrors++;
    else ctx->nwarnings++;
    diag_deliver(ctx);
}

void sg__ctx_absorb(sg_ctx *dst, const sg_ctx *src) {
    for (size_t i = 0; i < src->ndiags; i++) {
        const sg_diag *d = &src->diags[i];
        add_diag(dst, d->severity, d->code,
                 (sg_where){d->file, d->layer, d->fid, d->id, d->field}, sg__strdup(d->message));
        if (d->hint && dst->ndiags) dst->diags[dst->ndiags - 1].hint = sg__strdup(d->hint);
    }
    if (src->last_status != SG_OK) {
        free(dst->last_error);
        dst->last_error = src->last_error ? sg__strdup(src->last_error) : NULL;
        dst->last_status = src->last_status;
    }
}

sg_status sg__error(sg_ctx *ctx, sg_status st, const char *code, sg_where w,
                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_where(w, fmt, ap);
    va_end(ap);
    free(ctx->last_error);
    ctx->last_error = msg ? sg__strdup(msg) : NULL;
    ctx->last_status = st;
    add_diag(ctx, SG_SEV_ERROR, code, w, msg);
    return st;
}

void sg__report(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_where(w, fmt, ap);
    va_end(ap);
    add_diag(ctx, SG_SEV_ERROR, code, w, msg);
}

void sg__warn(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_where(w, fmt, ap);
    va_end(ap);
    if (ctx->strict && msg && code && strcmp(code, "W_NO_ACCESS") != 0 && strcmp(code, "W_NO_HOUSING") != 0) {
        char *m2 = sg__asprintf("%s (--strict: warnings are errors)", msg);
        free(msg);
        add_diag(ctx, SG_SEV_ERROR, code, w, m2);
        return;
    }
    add_diag(ctx, SG_SEV_WARNING, code, w, msg);
}

void sg__ctx_set_strict(sg_ctx *ctx, int on) { ctx->strict = on; }

static void set_hint(sg_diag *d, const char *fmt, va_list ap) {
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    free((char *)d->hint);
    d->hint = sg__escape_controls(buf, 0); /* a hint may quote input too (a field name) */
}

void sg__hint(sg_ctx *ctx, const char *fmt, ...) {
    if (!ctx->ndiags) return;
    va_list ap;
    va_start(ap, fmt);
    set_hint(&ctx->diags[ctx->ndiags - 1], fmt, ap);
    va_end(ap);
}

void sg__hint_code(sg_ctx *ctx, const char *code, const char *fmt, ...) {
    for (size_t k = ctx->ndiags; k-- > 0;)
        if (strcmp(ctx->diags[k].code, code) == 0) {
            va_list ap;
            va_start(ap, fmt);
            set_hint(&ctx->diags[k], fmt, ap);
            va_end(ap);
            return;
        }
}

/* ---- grouped text of the diagnostics (sg_ctx_diags_text) ---- */
static int same_kind(const sg_diag *a, const sg_diag *b) {
    return a->severity == b->severity && strcmp(a->code, b->code) == 0 && strcmp(a->file, b->file) == 0 &&
           strcmp(a->field, b->field) == 0;
}

char *sg_ctx_diags_text(const sg_ctx *ctx, unsigned what, size_t per_group, size_t max_lines) {
    size_t n = ctx ? ctx->ndiags : 0;
    /* kind[i]: index of the first diagnostic of i's kind; count and last shown per kind */
    size_t *kind = n ? malloc(n * sizeof *kind) : NULL, *count = n ? calloc(n, sizeof *count) : NULL;
    size_t *seen = n ? calloc(n, sizeof *seen) : NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m || (n && (!kind || !count || !seen))) {
        if (m) fclose(m);
        free(buf);
        free(kind);
        free(count);
        free(seen);
        return NULL;
    }
    /* kinds: the first diagnostic of each kind stands for it (a hash on the
     * code would be faster; runs have few kinds, so this stays linear in n
     * times the number of kinds) */
    size_t *heads = n ? malloc(n * sizeof *heads) : NULL, nheads = 0;
    for (size_t i = 0; i < n && heads; i++) {
        const sg_diag *d = &ctx->diags[i];
        size_t k = 0;
        while (k < nheads && !same_kind(&ctx->diags[heads[k]], d)) k++;
        if (k == nheads) heads[nheads++] = i;
        kind[i] = heads[k];
        count[heads[k]]++;
    }
    size_t wlines = 0, wdropped = 0;
    for (size_t i = 0; i < n && heads; i++) {
        const sg_diag *d = &ctx->diags[i];
        if (!(what & (unsigned)d->severity)) continue;
        const char *sev = d->severity == SG_SEV_ERROR ? "error" : "warning";
        int warn = d->severity == SG_SEV_WARNING;
        size_t h = kind[i], total = count[h], nth = ++seen[h];
        if (per_group && nth > per_group) continue;
        if (warn && max_lines && wlines >= max_lines) {
            wdropped++;
            continue;
        }
        fprintf(m, "%s: %s [%s]\n", sev, d->message, d->code);
        wlines += warn;
        size_t last = per_group && total > per_group ? per_group : total;
        if (nth != last) continue;
        if (total > last) fprintf(m, "%s: ... and %zu more like it [%s]\n", sev, total - last, d->code);
        /* the kind's hint, once: the first any of its diagnostics has */
        for (size_t j = h; j < n; j++)
            if (kind[j] == h && ctx->diags[j].hint && *ctx->diags[j].hint) {
                fprintf(m, "hint: %s\n", ctx->diags[j].hint);
                break;
            }
    }
    if (wdropped) fprintf(m, "warning: ... and %zu more warnings (all of them are in summary.json)\n", wdropped);
    free(heads);
    free(kind);
    free(count);
    free(seen);
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

sg_status sg__fail_if_errors(sg_ctx *ctx, size_t before, sg_status st, const char *stage) {
    size_t n = ctx->nerrors - before;
    if (n == 0) return SG_OK;
    /* The first error of the stage leads; the count says how many follow. */
    const char *first = "";
    for (size_t i = 0; i < ctx->ndiags; i++)
        if (ctx->diags[i].severity == SG_SEV_ERROR) {
            if (before == 0) {
                first = ctx->diags[i].message;
                break;
            }
            before--;
        }
    free(ctx->last_error);
    if (n == 1) ctx->last_error = sg__strdup(first);
    else
        ctx->last_error = sg__asprintf("%s (and %zu more %s error%s)", first, n - 1, stage,
                                       n - 1 == 1 ? "" : "s");
    ctx->last_status = st;
    return st;
}

void sg_ctx_cancel(sg_ctx *ctx) {
    if (ctx) ctx->cancel = 1;
}
void sg_ctx_uncancel(sg_ctx *ctx) {
    if (ctx) ctx->cancel = 0;
}

sg_status sg__check_cancel(sg_ctx *ctx) {
    if (!sg__cancelled(ctx)) return SG_OK;
    if (ctx->last_status == SG_ERR_CANCELLED) return SG_ERR_CANCELLED; /* reported once */
    return sg__error(ctx, SG_ERR_CANCELLED, "E_CANCELLED", SG_WHERE_NONE, "interrupted: stopped before finishing");
}

/* Progress of a run (sg_options_set_progress). sg_analyze installs the
 * caller's callback with sg__progress_set (NULL: every call below is a no-op
 * that says "go on"). A stage covers the span [lo, hi] of the run's
 * fraction: sg__progress_stage enters it and reports (lo, name) (name NULL:
 * the span only, for a stage whose parts report themselves);
 * sg__progress_part reports part (0..1) of the current stage, with its own
 * message or the stage's name. Fractions never go back and stay in [0, 1].
 * When the callback returns 0 the context is cancelled as by sg_ctx_cancel,
 * so every worker stops at its next check: sg__progress_part returns 0 (else
 * 1), sg__progress_stage SG_ERR_CANCELLED, reported once. The run's last
 * call, (1, "done"), is sg_analyze's own. Not thread-safe: the permutation
 * workers call sg__progress_part under their job's lock. */
void sg__progress_set(sg_ctx *ctx, sg_progress_fn fn, void *user) {
    ctx->progress = fn;
    ctx->progress_user = user;
    ctx->progress_lo = ctx->progress_hi = ctx->progress_last = 0;
    ctx->progress_stage[0] = '\0';
}

int sg__progress_part(sg_ctx *ctx, const char *name, double part) {
    if (!ctx || !ctx->progress) return 1;
    double f = ctx->progress_lo + (part > 0 ? (part < 1 ? part : 1) : 0) * (ctx->progress_hi - ctx->progress_lo);
    if (!(f >= ctx->progress_last)) f = ctx->progress_last; /* monotonic; NaN too */
    if (f > 1) f = 1;
    ctx->progress_last = f;
    if (ctx->progress(f, name ? name : ctx->progress_stage, ctx->progress_user)) return 1;
    sg_ctx_cancel(ctx); /* as a signal would: every worker stops at its next check */
    return 0;
}

sg_status sg__progress_stage(sg_ctx *ctx, const char *name, double lo, double hi) {
    if (!ctx || !ctx->progress) return SG_OK;
    ctx->progress_lo = lo;
    ctx->progress_hi = hi > lo ? hi : lo;
    snprintf(ctx->progress_stage, sizeof ctx->progress_stage, "%s", name ? name : "");
    if (!name || sg__progress_part(ctx, NULL, 0)) return SG_OK;
    return sg__check_cancel(ctx);
}

sg_status sg__nomem(sg_ctx *ctx) {
    return sg__error(ctx, SG_ERR_NOMEM, "E_NOMEM", SG_WHERE_NONE, "out of memory");
}

static void CPL_STDCALL gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg) {
    (void)num;
    sg_ctx *ctx = CPLGetErrorHandlerUserData();
    if (ctx && cls >= CE_Failure)
        snprintf(ctx->gdal_msg, sizeof ctx->gdal_msg, "%s", msg ? msg : "");
    else if (ctx && cls == CE_Warning)
        snprintf(ctx->gdal_warn, sizeof ctx->gdal_warn, "%s", msg ? msg : "");
}

void sg__gdal_push(sg_ctx *ctx) {
    ctx->gdal_msg[0] = '\0';
    ctx->gdal_warn[0] = '\0';
    CPLPushErrorHandlerEx(gdal_handler, ctx);
}
void sg__gdal_pop(void) { CPLPopErrorHandler(); }

GEOSContextHandle_t sg__geos(const sg_ctx *ctx) {
    tl_cancel = &ctx->cancel; /* GEOS work of this thread is now ctx's: its cancel stops it */
    return ctx->geos;
}
PJ_CONTEXT *sg__proj(const sg_ctx *ctx) { return ctx->proj; }
const char *sg__geos_msg(const sg_ctx *ctx) { return ctx->geos_msg; }
const char *sg__proj_msg(const sg_ctx *ctx) { return ctx->proj_msg; }
const char *sg__gdal_msg(const sg_ctx *ctx) { return ctx->gdal_msg; }
const char *sg__gdal_warn(const sg_ctx *ctx) { return ctx->gdal_warn; }
void sg__set_geos_msg(sg_ctx *ctx, const char *msg) { snprintf(ctx->geos_msg, sizeof ctx->geos_msg, "%s", msg); }
void sg__clear_gdal_msg(sg_ctx *ctx) { ctx->gdal_msg[0] = '\0'; }
void sg__clear_proj_msg(sg_ctx *ctx) { ctx->proj_msg[0] = '\0'; }
size_t sg__ndiags(const sg_ctx *ctx) { return ctx->ndiags; }
void sg__ogr_open_counted(sg_ctx *ctx) { ctx->ogr_opens++; }
size_t sg__ogr_opens(const sg_ctx *ctx) { return ctx->ogr_opens; }
int sg__cancelled(const sg_ctx *ctx) { return ctx && ctx->cancel; }

void sg__ctx_absorb_move(sg_ctx *ctx, sg_ctx *from, int take_last) {
    for (size_t i = 0; i < from->ndiags; i++) {
        sg_diag *d = &from->diags[i];
        if (ctx->ndiags == ctx->capdiags) {
            size_t cap = ctx->capdiags ? 2 * ctx->capdiags : 16;
            sg_diag *nd = sg__reallocarray(ctx->diags, cap, sizeof *nd);
            if (!nd) return;
            ctx->diags = nd;
            ctx->capdiags = cap;
        }
        ctx->diags[ctx->ndiags++] = *d; /* the strings move over */
        if (d->severity == SG_SEV_ERROR) ctx->nerrors++;
        else ctx->nwarnings++;
    }
    from->ndiags = 0;
    diag_deliver(ctx);
    if (take_last && from->last_error) {
        free(ctx->last_error);
        ctx->last_error = from->last_error;
        ctx->last_status = from->last_status;
        from->last_error = NULL;
    }
}

sg_ctx *sg__ctx_create_bare(void) { return calloc(1, sizeof(sg_ctx)); }
