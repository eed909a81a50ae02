/* Outputs are written to a temporary file beside the final one and renamed
 * into place, so a reader never sees a half-written layer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/outset.h"

sg_status sg__ensure_dir(sg_ctx *ctx, const char *dir) {
    char *p = sg__strdup(dir);
    if (!p) return sg__nomem(ctx);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    for (char *s = p + 1; ; s++) {
        char c = *s;
        if (c == '/' || c == '\0') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                sg_status st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){p, NULL, -1, NULL, NULL},
                                         "cannot create output directory: %s", strerror(errno));
                free(p);
                return st;
            }
            *s = c;
        }
        if (c == '\0') break;
    }
    struct stat sb;
    sg_status st = SG_OK;
    if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){dir, NULL, -1, NULL, NULL},
                       "output path exists and is not a directory");
    else if (access(p, W_OK) != 0)
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){dir, NULL, -1, NULL, NULL},
                       "output directory is not writable");
    free(p);
    return st;
}

char *sg__tmp_path(const char *final_path) {
    const char *slash = strrchr(final_path, '/');
    const char *base = slash ? slash + 1 : final_path;
    int dirlen = slash ? (int)(slash - final_path + 1) : 0;
    return sg__asprintf("%.*s.%s.seggap-tmp-%ld", dirlen, final_path, base, (long)getpid());
}

/* GDAL 3.6 does not report a write that failed for lack of space when it
 * closes a GeoJSON file, so a layer is checked by its end: GDAL's
 * FeatureCollection ends with "]", newline, "}" (raw newlines occur nowhere
 * else in that sequence), which a truncated file does not. */
static int geojson_complete(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[64];
    size_t n = 0;
    if (fseek(f, -(long)sizeof buf, SEEK_END) != 0) rewind(f);
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    if (!n || buf[--n] != '}') return 0;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    return n && buf[n - 1] == ']';
}

static int has_suffix(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Flushes a file's data to the disk (so that the rename never publishes an
 * empty file after a crash). Returns 0 or an errno. */
static int sync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return (e == EINVAL || e == EROFS) ? 0 : e; /* file systems without fsync */
}

sg_status sg__commit(sg_ctx *ctx, const char *tmp, const char *final_path) {
    int e = 0;
    if (has_suffix(final_path, ".geojson") && !geojson_complete(tmp)) {
        remove(tmp);
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){final_path, NULL, -1, NULL, NULL},
                         "writing failed: the layer is incomplete (disk full?)");
    }
    if ((e = sync_path(tmp, 0)) != 0) {
        remove(tmp);
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){final_path, NULL, -1, NULL, NULL},
                         "writing failed: %s", strerror(e));
    }
    const char *fail = getenv("SEGGAP_TEST_FAIL_COMMIT"); /* fault tests: this file's rename fails */
    const char *fb = strrchr(final_path, '/');
    if (fail && strcmp(fb ? fb + 1 : final_path, fail) == 0) {
        remove(tmp);
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){final_path, NULL, -1, NULL, NULL},
                         "cannot move the finished file into place: %s (SEGGAP_TEST_FAIL_COMMIT)", strerror(EIO));
    }
    if (rename(tmp, final_path) != 0) {
        e = errno;
        remove(tmp);
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){final_path, NULL, -1, NULL, NULL},
                         "cannot move the finished file into place: %s", strerror(e));
    }
    /* The rename itself, durably: best effort. */
    const char *slash = strrchr(final_path, '/');
    char *dir = slash ? sg__strndup(final_path, slash == final_path ? 1 : (size_t)(slash - final_path)) : sg__strdup(".");
    if (dir) sync_path(dir, 1);
    free(dir);
    return SG_OK;
}

sg_status sg__output_begin(sg_ctx *ctx, const char *path, sg_output *o) {
    memset(o, 0, sizeof *o);
    o->expect_size = -1;
    o->path = sg__strdup(path);
    o->tmp = o->path ? sg__tmp_path(path) : NULL;
    if (!o->tmp) {
        free(o->path);
        o->path = NULL;
        return sg__nomem(ctx);
    }
    remove(o->tmp); /* left by an earlier attempt of this process */
    return SG_OK;
}

sg_status sg__output_finish(sg_ctx *ctx, sg_output *o, sg_status st) {
    if (!o->tmp) return st;
    if (st == SG_OK && o->expect_size >= 0) {
        struct stat sb;
        if (stat(o->tmp, &sb) != 0 || (long long)sb.st_size != o->expect_size)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){o->path, NULL, -1, NULL, NULL},
                           "writing failed: the file is incomplete (disk full?)");
    }
    if (st == SG_OK) st = sg__commit(ctx, o->tmp, o->path);
    else remove(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
    return st;
}

sg_status sg__output_write(sg_ctx *ctx, const char *path, const void *buf, size_t len) {
    sg_output o;
    sg_status st = sg__output_begin(ctx, path, &o);
    if (st != SG_OK) return st;
    FILE *f = fopen(o.tmp, "wb");
    if (!f) {
        st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, NULL, -1, NULL, NULL}, "cannot create file: %s",
                       strerror(errno));
    } else {
        int bad = len && fwrite(buf, 1, len, f) != len;
        bad |= fclose(f) != 0;
        if (bad)
            st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){path, NULL, -1, NULL, NULL},
                           "writing failed (disk full?)");
    }
    o.expect_size = (long long)len;
    return sg__output_finish(ctx, &o, st);
}
