/* An output folder published whole or not at all (issues 15 and 16).
 *
 * sg__outset_open validates the folder before any computation (creates it
 * with its missing parents, remembering which levels it made; it must be a
 * writable directory in a writable parent), takes an exclusive flock on it
 * (E_OUT_BUSY when another run holds it) and makes the private staging
 * directory PARENT/.NAME.seggap-tmp-PID beside it (one file system). Every
 * file of the run is written into o->stage. sg__outset_publish carries the
 * folder's foreign files into the staging directory (hard links, a copy
 * across devices), then swaps the two directories with one
 * renameat2(RENAME_EXCHANGE) and removes the previous set. On a file system
 * without RENAME_EXCHANGE the files are renamed one by one (W_OUT_NOT_ATOMIC).
 * sg__outset_close removes an unpublished staging directory and the levels
 * open created, then unlocks: a failed or cancelled run leaves the folder as
 * it was. A run killed outright leaves a stale staging directory, which the
 * next sg__outset_open for that folder removes.
 *
 * Seggap's files in the old folder (every name seggap writes, and every file
 * listed in its summary.json's outputs) are replaced or removed; any other
 * file is foreign and stays, never overwritten. */
#ifndef SG_BASE_OUTSET_H
#define SG_BASE_OUTSET_H

#include "base/base.h"

/* ---- atomic output (output.c) ---- */
/* Creates dir (and parents) if missing. */
sg_status sg__ensure_dir(sg_ctx *ctx, const char *dir);
/* Temporary name beside final: "DIR/.NAME.seggap-tmp-PID". Caller frees. */
char *sg__tmp_path(const char *final_path);
/* Renames tmp onto final (atomic on one file system); removes tmp on failure. */
sg_status sg__commit(sg_ctx *ctx, const char *tmp, const char *final_path);
/* Every writer: sg__output_begin names the temporary file (o->tmp) beside
 * path; the writer fills it; sg__output_finish(ctx, o, st) then checks the
 * file (a GeoJSON layer's end, expect_size when >= 0: disk full), flushes it
 * to disk and renames it into place when st is SG_OK, else removes it, and
 * returns the final status. sg__output_write does all three for a buffer. */
typedef struct sg_output { char *path, *tmp; long long expect_size; /* -1: unknown */ } sg_output;
sg_status sg__output_begin(sg_ctx *ctx, const char *path, sg_output *o);
sg_status sg__output_finish(sg_ctx *ctx, sg_output *o, sg_status st);
sg_status sg__output_write(sg_ctx *ctx, const char *path, const void *buf, size_t len);

typedef struct sg_outset {
    char *dir;       /* the folder, resolved (realpath) */
    char *stage;     /* PARENT/.NAME.seggap-tmp-PID while unpublished, else NULL */
    char **created;  /* levels open made, outermost first */
    size_t ncreated;
    int fd;          /* the locked folder, -1 when closed */
    int published;
} sg_outset;

/* what names the folder in messages ("--out", "baseline"). On error
 * nothing is left: no staging directory, no created levels, no lock. */
sg_status sg__outset_open(sg_ctx *ctx, const char *dir, const char *what, sg_outset *o);
sg_status sg__outset_publish(sg_ctx *ctx, sg_outset *o);
void sg__outset_close(sg_outset *o);
/* The staging path of final (a path under the folder, as the caller spells
 * it, out_dir its folder as spelled): caller frees; NULL when out of memory. */
char *sg__outset_path(const sg_outset *o, const char *out_dir, const char *final_path);
/* Test hook: when SEGGAP_TEST_KILL_AT names this point, the process ends
 * with SIGKILL there (fault tests of a run killed at a stage). */
void sg__test_point(const char *name);

#endif
