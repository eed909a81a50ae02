/* Outputs are written to a temporary file beside the final one and renamed
 * into place, so a reader never sees a half-written layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

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
    return sg__asprintf("%.*s.%s.tmp-%ld", dirlen, final_path, base, (long)getpid());
}

sg_status sg__commit(sg_ctx *ctx, const char *tmp, const char *final_path) {
    if (rename(tmp, final_path) != 0) {
        int e = errno;
        remove(tmp);
        return sg__error(ctx, SG_ERR_OUTPUT, "E_OUTPUT", (sg_where){final_path, NULL, -1, NULL, NULL},
                         "cannot move the finished file into place: %s", strerror(e));
    }
    return SG_OK;
}
