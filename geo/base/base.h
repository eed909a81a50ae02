/* geo/base/: what every folder of the library stands on. Nothing here knows
 * a district, an index or a file format.
 *
 *   context.c   the context handle (GEOS and PROJ handles, diagnostics, stage
 *               timings, cancellation, progress) and the status table
 *   util.c      strings, UTF-8, file hints, bounding boxes
 *   strmap.c    string -> index maps, sorted key indices, string arenas
 *   parallel.c  the only place threads start (sg__parallel, sg__threads_run,
 *               sg__thread_start) and sg__thread_count
 *   result.c    named global values and per-district columns
 *   output.c    atomic output files and directories, and outset.c: a --out
 *               folder published whole; both declared in outset.h
 *   sha256.c    file digests; redact.c: secrets out of connection strings
 *
 * Included by every other folder's header; includes none of them. */
#ifndef SEGGAP_GEO_BASE_H
#define SEGGAP_GEO_BASE_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <geos_c.h>
#include <proj.h>

#include "seggap.h"

#define SG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- context (context.c) ---- */
/* struct sg_ctx is private to base/context.c: the other folders reach its
 * handles and messages through these calls, and record diagnostics only
 * through sg__error / sg__report / sg__warn. */
GEOSContextHandle_t sg__geos(const sg_ctx *ctx);
PJ_CONTEXT *sg__proj(const sg_ctx *ctx);
/* Last messages GEOS, PROJ and GDAL (and GDAL's last warning) sent to this context ("" when
 * none). sg__set_geos_msg replaces the GEOS one (a worker's message, reported here). */
const char *sg__geos_msg(const sg_ctx *ctx);
const char *sg__proj_msg(const sg_ctx *ctx);
const char *sg__gdal_msg(const sg_ctx *ctx);
const char *sg__gdal_warn(const sg_ctx *ctx);
void sg__set_geos_msg(sg_ctx *ctx, const char *msg);
void sg__clear_gdal_msg(sg_ctx *ctx);
void sg__clear_proj_msg(sg_ctx *ctx);
#define SG_GDAL_MSG_MAX 1024
#define SG_GEOS_MSG_MAX 512
/* Diagnostics recorded so far (errors and warnings). */
size_t sg__ndiags(const sg_ctx *ctx);
/* OGR data sources opened: read/source.c's sg__ogr_open counts each attempt (tests hold runs to one per source). */
void sg__ogr_open_counted(sg_ctx *ctx);
size_t sg__ogr_opens(const sg_ctx *ctx);

/* Stage timing (sg_ctx_stage): t0 = sg__now(); ...; sg__stage_add(ctx, "read", sg__now() - t0).
 * Monotonic wall clock in seconds. */
double sg__now(void);
/* Appends src's diagnostics to dst's, in order, and its last error if any
 * (a worker thread's context into its caller's). */
void sg__ctx_absorb(sg_ctx *dst, const sg_ctx *src);
/* The same, moving src's diagnostics (src keeps none); its last error
 * becomes dst's only when take_last. */
void sg__ctx_absorb_move(sg_ctx *dst, sg_ctx *src, int take_last);
/* A context without GEOS or PROJ handles, for a worker that only records
 * diagnostics (sg_ctx_destroy frees it); NULL when out of memory. */
sg_ctx *sg__ctx_create_bare(void);
/* Threads to use: --threads when > 0, else the online cores (at most 256). */
int sg__thread_count(int threads);
void sg__stage_add(sg_ctx *ctx, const char *name, double seconds);

/* Cancellation: long loops and stage boundaries call sg__check_cancel: once
 * sg_ctx_cancel was called it records "interrupted", returns SG_ERR_CANCELLED. */
int sg__cancelled(const sg_ctx *ctx);
sg_status sg__check_cancel(sg_ctx *ctx);
/* Cancellation inside GEOS (issue 16 item 13): sg_ctx_create registers GEOS's interrupt callback once
 * per process; it stops a long GEOS call once the run the calling thread works for (named with
 * sg__geos_interruptible, NULL: none; sg__geos and sg__parallel's workers do it) is cancelled. */
void sg__geos_interruptible(const sg_ctx *ctx);
/* Progress (sg_options_set_progress; context.c says how): enter a stage's span of the run, report parts of it. */
void sg__progress_set(sg_ctx *ctx, sg_progress_fn fn, void *user);
sg_status sg__progress_stage(sg_ctx *ctx, const char *name, double lo, double hi);
int sg__progress_part(sg_ctx *ctx, const char *name, double part);

/* Where a diagnostic applies. Any member may be NULL / -1. */
typedef struct sg_where {
    const char *file, *layer;
    long long fid;
    const char *id, *field;
} sg_where;
#define SG_WHERE_NONE ((sg_where){NULL, NULL, -1, NULL, NULL})

/* Records an error (sets last error and appends a diagnostic). Returns st. */
sg_status sg__error(sg_ctx *ctx, sg_status st, const char *code, sg_where w, const char *fmt, ...) SG_PRINTF(5, 6);
/* Records a diagnostic of an error that does not stop the stage yet: the
 * stage reports all of them, then fails with sg__fail_if_errors(). */
void sg__report(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...) SG_PRINTF(4, 5);
void sg__warn(sg_ctx *ctx, const char *code, sg_where w, const char *fmt, ...) SG_PRINTF(4, 5);
size_t sg__nerrors(const sg_ctx *ctx);
/* The hint of the most recent diagnostic (what to do; shown once per kind by sg_ctx_diags_text). */
void sg__hint(sg_ctx *ctx, const char *fmt, ...) SG_PRINTF(2, 3);
/* The same on the most recent diagnostic with this code (none: nothing). */
void sg__hint_code(sg_ctx *ctx, const char *code, const char *fmt, ...) SG_PRINTF(3, 4);
/* --strict (sg_analyze sets it for the run): from now on sg__warn records an error (the W_ code
 * kept, "(--strict)" added), except the notes that an objective was not assessed (W_NO_ACCESS, W_NO_HOUSING). */
void sg__ctx_set_strict(sg_ctx *ctx, int on);
/* Forgets the most recent diagnostic (work whose warnings would repeat), or the errors since
 * diagnostic `from`, warnings kept (a region's, reported once by the caller; returns how many).
 * Such work runs between sg__diag_hold(ctx, 1) and (ctx, 0): sg_ctx_set_diag_fn sees what stays. */
void sg__drop_last_diag(sg_ctx *ctx);
size_t sg__drop_errors_since(sg_ctx *ctx, size_t from);
void sg__diag_hold(sg_ctx *ctx, int on);
/* Sets the last error to a summary when errors were reported since `before`. */
sg_status sg__fail_if_errors(sg_ctx *ctx, size_t before, sg_status st, const char *stage);
sg_status sg__nomem(sg_ctx *ctx);

/* GDAL calls run between these two so that GDAL's messages reach ctx. */
void sg__gdal_push(sg_ctx *ctx);
void sg__gdal_pop(void);

/* ---- small utilities (util.c, redact.c, sha256.c) ---- */
char *sg__strdup(const char *s);
char *sg__strndup(const char *s, size_t n);
char *sg__asprintf(const char *fmt, ...) SG_PRINTF(1, 2);
char *sg__trim_dup(const char *s); /* without leading/trailing ASCII white space */
void *sg__reallocarray(void *p, size_t n, size_t size);
/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF); else 0 and *bad (may be NULL) = offset of the first bad byte. */
int sg__utf8_valid(const char *s, size_t *bad);
/* Why an input file that GDAL cannot open is unusable, when its first bytes
 * tell (0 bytes, UTF-16 text, not a file), else NULL. A static string. */
const char *sg__file_hint(const char *path);
/* "Did you mean": edit distance (insertions, deletions, substitutions, swaps of neighbours, ASCII
 * case ignored) between a and b, at most 255. */
unsigned sg__edit_distance(const char *a, const char *b);
/* The candidate closest to word, or NULL: equal but for case, the 10 characters a .dbf keeps of a
 * longer name, else edit distance <= 1 (words up to 4), 2 (up to 8), 3 beyond; ties: the first. */
const char *sg__suggest(const char *word, const char *const *cands, size_t n);
/* Copy of str (caller frees) a terminal shows as text: controls as \n \t \r \xHH (keep_lines keeps
 * \n \t), C1 controls as \u00HH, bytes that are not UTF-8 as \xHH. For every message and text. */
char *sg__escape_controls(const char *str, int keep_lines);

/* Compensated sum (Neumaier): c keeps the rounding error of every addition, from Knuth's branch-free
 * TwoSum (the same bits as Neumaier's |s| >= |v| test, without its mispredicted branch). */
typedef struct sg_ksum { double s, c; } sg_ksum;
static inline void sg__ksum_add(sg_ksum *k, double v) {
    double t = k->s + v, z = t - k->s;
    k->c += (k->s - (t - z)) + (v - z);
    k->s = t;
}
static inline double sg__ksum_get(const sg_ksum *k) { return k->s + k->c; }

typedef struct sg_strlist { char **items; size_t n; } sg_strlist; /* --groups A,B,C */

/* ---- string -> index hash map (strmap.c) ---- */
typedef struct sg_strmap sg_strmap;
sg_strmap *sg__strmap_create(size_t expected);
void sg__strmap_destroy(sg_strmap *m);
/* Inserts key -> value. Returns 1 if inserted, 0 if the key was present (then
 * *existing gets the stored value), -1 when out of memory. Key is copied. */
int sg__strmap_put(sg_strmap *m, const char *key, size_t value, size_t *existing);
int sg__strmap_get(const sg_strmap *m, const char *key, size_t *value);
/* Key index (strmap.c): the same contract as sg_strmap, but while keys come
 * in strictly increasing strcmp order (sorted ids, the usual case) it is a
 * sorted list of the caller's key pointers (kept alive by the caller) with
 * no hashing; the first key out of order turns it into a sg_strmap.
 * Zero-initialise; `expected` may be set first as a size hint. */
typedef struct sg_keyindex {
    sg_strmap *map;
    const char **keys;
    size_t *vals;
    size_t n, cap, expected, hint;
} sg_keyindex;
int sg__keyindex_put(sg_keyindex *ix, const char *key, size_t value, size_t *existing);
int sg__keyindex_get(sg_keyindex *ix, const char *key, size_t *value);
void sg__keyindex_free(sg_keyindex *ix);
/* String arena (strmap.c): copies live until sg__arena_free; {NULL} is empty. */
typedef struct sg_arena { struct sg_arena_block *head; } sg_arena;
char *sg__arena_strndup(sg_arena *a, const char *s, size_t n); /* NULL when out of memory */
char *sg__arena_strdup(sg_arena *a, const char *s);            /* NULL for NULL s too */
void sg__arena_free(sg_arena *a);

/* The one id list of messages: the first min(n, show) of ids joined by ", "
 * ('a' with SG_IDS_QUOTE; NULL as ""), then ", ..." when total is more, and
 * " (total in all)" with SG_IDS_IN_ALL. Caller frees; NULL when out of memory. */
enum { SG_IDS_QUOTE = 1u, SG_IDS_IN_ALL = 2u };
char *sg__format_ids(const char *const *ids, size_t n, size_t show, size_t total, unsigned flags);
/* Bounding box {x0, y0, x1, y1} of n points (infinite when n = 0). */
void sg__bbox_xy(const double *x, const double *y, size_t n, double box[4]);
/* SHA-256 of a file (sha256.c): 64 hex digits + NUL into hex; 0, or -1 on error. */
int sg__sha256_file(const char *path, char hex[65]);
/* Copy of s with the value of every password=... (libpq keyword) and the secret of
 * scheme://user:secret@host replaced by "***". NULL when out of memory (or s NULL). */
char *sg__redact(const char *s);

/* ---- the worker pool (parallel.c) ---- */
/* Runs fn on [begin, end) chunks of 0..n-1 on `threads` threads (0: all
 * cores), each with its own GEOS handle. Every item must write only its own
 * outputs, so the result does not depend on the number of threads. */
typedef int (*sg_par_fn)(void *user, GEOSContextHandle_t h, size_t begin, size_t end);
sg_status sg__parallel(sg_ctx *ctx, size_t n, int threads, size_t chunk, sg_par_fn fn, void *user);
/* A team: fn(arg) on nt threads at once (at most 256; the workers share arg
 * and take their work from it under their own lock), joined before it
 * returns; when no thread can start, fn(arg) runs once in the caller.
 * Returns the number of threads that ran. */
int sg__threads_run(int nt, void *(*fn)(void *), void *arg);
/* One thread started now and joined later: 0 when it started, -1 when not (the caller then does
 * the work itself); joining one that did not start does nothing. */
typedef struct sg_thread { pthread_t th; int started; } sg_thread;
int sg__thread_start(sg_thread *t, void *(*fn)(void *), void *arg);
void sg__thread_join(sg_thread *t);

/* ---- results: named global values and per-district columns (result.c) ---- */
typedef struct sg_global {
    char *name;        /* key in summary.json -> indices */
    char *description; /* one line, plain language */
    char *detail;      /* convention used (centre, kernel, ...), or NULL */
    double value; int invariant; /* invariant: 1 when the run's null cannot move it (no p-value) */
    double p_value, null_mean, null_sd, ci_low, ci_high; /* NaN when not computed */
} sg_global;

typedef struct sg_column {
    char *name;    /* field name in districts.geojson */
    double *num;   /* city->n values, NaN = null; NULL for a text column */
    char **text;   /* city->n strings (owned), NULL = null; NULL for a number column */
} sg_column;

typedef struct sg_result {
    sg_global *g;
    size_t ng, capg;
    sg_column *cols;
    size_t ncols, capcols;
    size_t n; /* rows per column: districts read */
} sg_result;

/* Adds (or replaces) a global value; returns it for p-values etc., or NULL
 * when out of memory. Strings are copied. */
sg_global *sg__result_set(sg_result *r, const char *name, double value, const char *description);
const sg_global *sg__result_get(const sg_result *r, const char *name);
/* Column by name, or NULL. */
const sg_column *sg__res_col(const sg_result *r, const char *name);
/* A new number column of r->n NaNs, or the existing one with that name. */
double *sg__result_column(sg_result *r, const char *name);
/* A new text column of r->n NULLs (caller stores malloc'd strings). */
char **sg__result_text_column(sg_result *r, const char *name);
/* Moves from's columns into r (same rows; a column r already has is
 * overwritten). Returns 0, or -1 when out of memory or the kinds differ. */
int sg__result_move_columns(sg_result *r, sg_result *from);
void sg__result_free(sg_result *r);

#endif
