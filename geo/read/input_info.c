/* What the reader records about its inputs for the summary: the files behind
 * the district source and each table, with their SHA-256, computed on a second
 * thread while the features are read. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>
#include <cpl_string.h>

#include "read/read_internal.h"

void sg__input_info_free(sg_input_info *in) {
    free(in->path);
    free(in->layer);
    free(in->driver);
    for (int i = 0; i < in->nfiles; i++) free(in->files[i]);
    free(in->files);
    free(in->sha256);
    memset(in, 0, sizeof *in);
}

static void *hash_run(void *arg) {
    sg_hash_job *j = arg;
    for (size_t i = 0; i < (size_t)j->nlist + j->ntables; i++) {
        const char *path = i < (size_t)j->nlist ? j->list[i] : j->tables[i - (size_t)j->nlist];
        struct stat sb; /* only regular files are hashed (a table may be anything GDAL opens) */
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        j->ok[i] = sg__sha256_file(path, j->hex[i]) == 0;
    }
    return NULL;
}

sg_status sg__hash_start(sg_ctx *ctx, GDALDatasetH ds, const sg_options *o, sg_hash_job *j) {
    memset(j, 0, sizeof *j);
    j->list = GDALGetFileList(ds);
    j->nlist = j->list ? CSLCount(j->list) : 0;
    j->ntables = o->ntables;
    j->tables = calloc(o->ntables + 1, sizeof *j->tables);
    j->hex = calloc((size_t)j->nlist + o->ntables + 1, sizeof *j->hex);
    j->ok = calloc((size_t)j->nlist + o->ntables + 1, sizeof *j->ok);
    if (!j->tables || !j->hex || !j->ok) return sg__nomem(ctx);
    for (size_t t = 0; t < o->ntables; t++) j->tables[t] = o->tables[t].path;
    /* with --threads 1 the hashes are computed at the end, on this thread */
    if (sg__thread_count(o->threads) > 1) sg__thread_start(&j->th, hash_run, j);
    return SG_OK;
}

sg_status sg__hash_finish(sg_ctx *ctx, sg_hash_job *j, sg_input_info *in) {
    if (j->th.started) sg__thread_join(&j->th);
    else if (j->ok) hash_run(j);
    sg_status st = SG_OK;
    in->files = calloc((size_t)j->nlist + 1, sizeof *in->files);
    in->sha256 = calloc((size_t)j->nlist + 1, sizeof *in->sha256);
    if (!in->files || !in->sha256 || !j->ok) st = sg__nomem(ctx);
    for (int i = 0; st == SG_OK && i < j->nlist; i++) {
        if (!j->ok[i]) continue;
        memcpy(in->sha256[in->nfiles], j->hex[i], 65);
        in->files[in->nfiles++] = sg__strdup(j->list[i]);
    }
    return st;
}

void sg__hash_free(sg_hash_job *j) {
    sg__thread_join(&j->th);
    CSLDestroy(j->list);
    free(j->tables);
    free(j->hex);
    free(j->ok);
    memset(j, 0, sizeof *j);
}
