/* An output folder published whole or not at all: see outset.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/outset.h"

void sg__test_point(const char *name) {
    const char *at = getenv("SEGGAP_TEST_KILL_AT");
    if (at && name && strcmp(at, name) == 0) raise(SIGKILL);
}

static sg_status out_error(sg_ctx *ctx, const char *code, const char *path, const char *fmt, const char *a,
                           const char *b) {
    return sg__error(ctx, SG_ERR_OUTPUT, code, (sg_where){path, NULL, -1, NULL, NULL}, fmt, a, b);
}

/* ---- names seggap writes in a folder ---- */
static const char *const own_names[] = {
    "summary.json", "report.html", "seggap.gpkg", "seggap.qgs", "compare.json", "fields.csv", "check.json",
    "check.xml", "districts.geojson", "districts.qml", "objective5.geojson", "objective5.qml",
    "objective10.geojson", "objective10.qml", "services.geojson", "services.qml", "shp"};

typedef struct owned {
    char **names;
    size_t n;
} owned;

static int is_stale_temp(const char *n) {
    /* sg__tmp_path's ".NAME.seggap-tmp-PID"; format.c's ".seggap.tmp-PID.gpkg", ".shp.tmp-PID" */
    return n[0] == '.' && (strstr(n, ".seggap-tmp-") || strncmp(n, ".seggap.tmp-", 12) == 0 ||
                           strncmp(n, ".shp.tmp-", 9) == 0);
}

static int is_owned(const owned *ow, const char *n) {
    for (size_t k = 0; k < sizeof own_names / sizeof own_names[0]; k++)
        if (strcmp(n, own_names[k]) == 0) return 1;
    for (size_t k = 0; k < ow->n; k++)
        if (strcmp(n, ow->names[k]) == 0) return 1;
    return is_stale_temp(n);
}

static void owned_add_path(owned *ow, const char *p) {
    const char *b = strrchr(p, '/');
    b = b ? b + 1 : p;
    const char *s = strstr(p, "/shp/");
    char *name = s && strchr(s + 5, '/') == NULL ? sg__strdup("shp") : sg__strdup(b);
    char **nn = name && *name ? sg__reallocarray(ow->names, ow->n + 1, sizeof *nn) : NULL;
    if (!nn) {
        free(name);
        return;
    }
    ow->names = nn;
    ow->names[ow->n++] = name;
}

/* Adds the files the run in dir lists in DIR/summary.json -> outputs. */
static void owned_load(owned *ow, const char *dir) {
    char *p = sg__asprintf("%s/summary.json", dir);
    struct stat sb;
    json_object *root = p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size < (64 << 20)
                            ? json_object_from_file(p)
                            : NULL;
    free(p);
    json_object *outs;
    if (root && json_object_object_get_ex(root, "outputs", &outs) && json_object_is_type(outs, json_type_object)) {
        json_object_object_foreach(outs, key, val) {
            (void)key;
            if (json_object_is_type(val, json_type_string)) owned_add_path(ow, json_object_get_string(val));
            else if (json_object_is_type(val, json_type_array))
                for (size_t i = 0; i < json_object_array_length(val); i++) {
                    json_object *e = json_object_array_get_idx(val, i);
                    if (json_object_is_type(e, json_type_string)) owned_add_path(ow, json_object_get_string(e));
                }
        }
    }
    if (root) json_object_put(root);
}

static void owned_free(owned *ow) {
    for (size_t k = 0; k < ow->n; k++) free(ow->names[k]);
    free(ow->names);
}

/* ---- file-tree helpers ---- */
static void rm_rf(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            char *c = sg__asprintf("%s/%s", path, de->d_name);
            if (c) rm_rf(c);
            free(c);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int sync_fd_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return (e == EINVAL || e == EROFS) ? 0 : e;
}

/* A copy of a regular file (mode and times kept), when it cannot be linked. */
static int copy_file(const char *from, const char *to, const struct stat *sb) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb->st_mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char buf[65536];
    ssize_t r;
    int e = 0;
    while ((r = read(in, buf, sizeof buf)) > 0)
        for (ssize_t w = 0; w < r;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0) {
                if (errno == EINTR) continue;
                e = errno;
                break;
            }
            w += k;
        }
    if (r < 0 && !e) e = errno;
    struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
    if (!e && futimens(out, ts) != 0) e = errno;
    if (!e && fsync(out) != 0 && errno != EINVAL) e = errno;
    if (close(out) != 0 && !e) e = errno;
    close(in);
    if (e) unlink(to);
    return e;
}

/* Carries the entry from/name into to/name: a hard link, a copy across
 * devices, a new symlink, a folder recursively. */
static sg_status carry(sg_ctx *ctx, const char *from, const char *to) {
    struct stat sb;
    if (lstat(from, &sb) != 0) return SG_OK; /* gone meanwhile */
    int e = 0;
    if (S_ISREG(sb.st_mode)) {
        if (link(from, to) != 0) {
            e = errno;
            if (e == EXDEV || e == EPERM || e == EMLINK || e == EACCES) e = copy_file(from, to, &sb);
        }
    } else if (S_ISLNK(sb.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(from, target, sizeof target - 1);
        if (n < 0) e = errno;
        else {
            target[n] = '\0';
            if (symlink(target, to) != 0) e = errno;
        }
    } else if (S_ISDIR(sb.st_mode)) {
        if (mkdir(to, sb.st_mode & 07777) != 0 || chmod(to, sb.st_mode & 07777) != 0) e = errno;
        DIR *d = e ? NULL : opendir(from);
        if (!e && !d) e = errno;
        struct dirent *de;
        sg_status st = SG_OK;
        while (d && st == SG_OK && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            char *a = sg__asprintf("%s/%s", from, de->d_name), *b = sg__asprintf("%s/%s", to, de->d_name);
            st = a && b ? carry(ctx, a, b) : sg__nomem(ctx);
            free(a);
            free(b);
        }
        if (d) closedir(d);
        if (st != SG_OK) return st;
    } else {
        return out_error(ctx, "E_OUTPUT", from, "%s%s: a device, FIFO or socket in the output folder cannot be kept "
                         "beside a new run (move it elsewhere)", "", "");
    }
    if (e) return out_error(ctx, "E_OUTPUT", from, "cannot keep this file in the new output set: %s%s",
                            strerror(e), "");
    return SG_OK;
}

/* Removes old (the previous set, or a stale staging directory) against cur,
 * the folder now published: seggap's own entries go (top level: owned); a
 * foreign entry goes when cur holds it (the same inode, or an identical copy
 * or symlink), else it arrived while the run wrote and is moved into cur.
 * Returns 1 when old is gone. */
static int clean_against(const char *old, const char *cur, const owned *ow) {
    DIR *d = opendir(old);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        char *a = sg__asprintf("%s/%s", old, n), *b = sg__asprintf("%s/%s", cur, n);
        struct stat sa, sb;
        if (!a || !b || lstat(a, &sa) != 0) {
        } else if (ow && is_owned(ow, n)) {
            rm_rf(a);
        } else if (lstat(b, &sb) != 0) {
            if (errno == ENOENT) rename(a, b);
        } else if (S_ISDIR(sa.st_mode) && S_ISDIR(sb.st_mode)) {
            clean_against(a, b, NULL);
        } else if (S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode) &&
                   ((sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) ||
                    (sa.st_size == sb.st_size && sa.st_mtim.tv_sec == sb.st_mtim.tv_sec &&
                     sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec))) {
            unlink(a);
        } else if (S_ISLNK(sa.st_mode) && S_ISLNK(sb.st_mode)) {
            char ta[PATH_MAX], tb[PATH_MAX];
            ssize_t x = readlink(a, ta, sizeof ta), y = readlink(b, tb, sizeof tb);
            if (x >= 0 && x == y && memcmp(ta, tb, (size_t)x) == 0) unlink(a);
        }
        free(a);
        free(b);
    }
    if (d) closedir(d);
    return rmdir(old) == 0 || errno == ENOENT;
}

/* ---- open ---- */
static char *parent_of(const char *p) {
    const char *s = strrchr(p, '/');
    return !s ? sg__strdup(".") : s == p ? sg__strdup("/") : sg__strndup(p, (size_t)(s - p));
}

/* Creates dir and its missing parents, recording the levels made. */
static sg_status make_levels(sg_ctx *ctx, const char *dir, sg_outset *o) {
    char *p = sg__strdup(dir);
    if (!p) return sg__nomem(ctx);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    sg_status st = SG_OK;
    for (char *s = p + 1; st == SG_OK; s++) {
        char c = *s;
        if (c == '/' || c == '\0') {
            *s = '\0';
            if (mkdir(p, 0777) == 0) {
                char **nc = sg__reallocarray(o->created, o->ncreated + 1, sizeof *nc);
                char *q = sg__strdup(p);
                if (!nc || !q) {
                    free(q);
                    rmdir(p);
                    if (nc) o->created = nc;
                    st = sg__nomem(ctx);
                } else {
                    o->created = nc;
                    o->created[o->ncreated++] = q;
                }
            } else if (errno != EEXIST) {
                st = out_error(ctx, "E_OUTPUT", dir, "cannot create output directory: %s%s", strerror(errno), "");
            }
            *s = c;
        }
        if (c == '\0') break;
    }
    free(p);
    return st;
}

/* The pid holding a flock on st's inode (from /proc/locks), or 0. */
static long lock_holder(const struct stat *st) {
    FILE *f = fopen("/proc/locks", "r");
    if (!f) return 0;
    char line[256], kind[16];
    long pid = 0, found = 0;
    unsigned ma, mi;
    unsigned long ino;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &pid, &ma, &mi, &ino) == 5 &&
            strcmp(kind, "FLOCK") == 0 && ma == major(st->st_dev) && mi == minor(st->st_dev) &&
            ino == (unsigned long)st->st_ino && pid != (long)getpid())
            found = pid;
    fclose(f);
    return found;
}

/* Removes ".NAME.seggap-tmp-PID" folders in parent of runs no longer alive. */
static void clean_stale_stages(const char *parent, const char *name, const char *dir) {
    DIR *d = opendir(parent);
    if (!d) return;
    size_t nl = strlen(name);
    owned ow = {NULL, 0};
    owned_load(&ow, dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] != '.' || strncmp(n + 1, name, nl) != 0 || strncmp(n + 1 + nl, ".seggap-tmp-", 12) != 0) continue;
        const char *num = n + 1 + nl + 12;
        char *end = NULL;
        errno = 0;
        long pid = strtol(num, &end, 10);
        if (errno || !end || *end || !(*num >= '0' && *num <= '9') || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char *p = sg__asprintf("%s/%s", parent, n);
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            size_t had = ow.n;
            owned_load(&ow, p); /* after the swap it holds the previous run: its own list too */
            clean_against(p, dir, &ow);
            while (ow.n > had) free(ow.names[--ow.n]);
        }
        free(p);
    }
    owned_free(&ow);
    closedir(d);
}

sg_status sg__outset_open(sg_ctx *ctx, const char *dir, const char *what, sg_outset *o) {
    memset(o, 0, sizeof *o);
    o->fd = -1;
    sg_status st = make_levels(ctx, dir, o);
    struct stat sb;
    char *parent = NULL;
    if (st == SG_OK && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = out_error(ctx, "E_OUTPUT", dir, "the %s path exists and is not a directory%s", what, "");
    if (st == SG_OK && !(o->dir = realpath(dir, NULL)))
        st = out_error(ctx, "E_OUTPUT", dir, "cannot resolve the %s folder: %s", what, strerror(errno));
    if (st == SG_OK && strcmp(o->dir, "/") == 0)
        st = out_error(ctx, "E_OUTPUT", dir, "%s%s cannot be the root folder", what, "");
    if (st == SG_OK && !(parent = parent_of(o->dir))) st = sg__nomem(ctx);
    if (st == SG_OK && (access(o->dir, W_OK | X_OK) != 0 || access(parent, W_OK | X_OK) != 0))
        st = out_error(ctx, "E_OUTPUT", dir, "the %s folder or its parent is not writable (seggap writes the new set "
                       "beside it, in %s, and swaps it in)", what, parent);
    for (int tries = 0; st == SG_OK && o->fd < 0; tries++) {
        int fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat a, b;
        if (fd < 0 || fstat(fd, &a) != 0) {
            st = out_error(ctx, "E_OUTPUT", dir, "cannot open the %s folder: %s", what, strerror(errno));
        } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = e == EWOULDBLOCK ? lock_holder(&a) : 0;
            if (e != EWOULDBLOCK)
                st = out_error(ctx, "E_OUTPUT", dir, "cannot lock the %s folder: %s", what, strerror(e));
            else if (pid > 0)
                st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUT_BUSY", (sg_where){dir, NULL, -1, NULL, NULL},
                               "another seggap run (pid %ld) is writing to this %s folder: wait for it to end or "
                               "choose another folder", pid, what);
            else
                st = sg__error(ctx, SG_ERR_OUTPUT, "E_OUT_BUSY", (sg_where){dir, NULL, -1, NULL, NULL},
                               "another seggap run is writing to this %s folder: wait for it to end or choose "
                               "another folder", what);
        } else if (stat(o->dir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            o->fd = fd; /* still the folder under that name (a run may have swapped it meanwhile) */
            fd = -1;
        } else if (tries >= 20) {
            st = out_error(ctx, "E_OUT_BUSY", dir, "the %s folder keeps being replaced while seggap locks it%s", what, "");
        }
        if (fd >= 0) close(fd);
    }
    if (st == SG_OK) {
        const char *name = strrchr(o->dir, '/') + 1;
        clean_stale_stages(parent, name, o->dir); /* left by a run that was killed */
        o->stage = sg__asprintf("%s/.%s.seggap-tmp-%ld", parent, name, (long)getpid());
        if (!o->stage) st = sg__nomem(ctx);
        else {
            rm_rf(o->stage); /* an earlier attempt of this process */
            if (stat(o->dir, &sb) != 0 || mkdir(o->stage, 0700) != 0 || chmod(o->stage, sb.st_mode & 07777) != 0) {
                st = out_error(ctx, "E_OUTPUT", o->stage, "cannot create the staging folder beside %s: %s", dir,
                               strerror(errno));
                rmdir(o->stage);
                free(o->stage);
                o->stage = NULL;
            }
        }
    }
    free(parent);
    if (st != SG_OK) sg__outset_close(o);
    return st;
}

char *sg__outset_path(const sg_outset *o, const char *out_dir, const char *final_path) {
    size_t n = strlen(out_dir);
    while (n > 1 && out_dir[n - 1] == '/') n--;
    if (!o->stage || strncmp(final_path, out_dir, n) != 0) return sg__strdup(final_path);
    return sg__asprintf("%s%s", o->stage, final_path + n);
}

/* ---- publish ---- */
/* Without RENAME_EXCHANGE: the new files renamed one by one (a folder
 * replaced whole), then seggap's old files the new run did not write. */
static sg_status publish_by_file(sg_ctx *ctx, sg_outset *o, const owned *ow, char **carried, size_t ncarried) {
    sg__warn(ctx, "W_OUT_NOT_ATOMIC", (sg_where){o->dir, NULL, -1, NULL, NULL},
             "this file system cannot swap folders (renameat2 RENAME_EXCHANGE): the new files replace the old ones "
             "one by one, so a crash now could leave a mixed set");
    DIR *d = opendir(o->stage);
    if (!d) return out_error(ctx, "E_OUTPUT", o->stage, "cannot read the staging folder: %s%s", strerror(errno), "");
    struct dirent *de;
    sg_status st = SG_OK;
    owned moved = {NULL, 0}; /* the new run's names, now in place */
    while (st == SG_OK && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        int was_carried = 0;
        for (size_t k = 0; k < ncarried; k++) was_carried |= strcmp(carried[k], n) == 0;
        char *a = sg__asprintf("%s/%s", o->stage, n), *b = sg__asprintf("%s/%s", o->dir, n);
        struct stat sb;
        if (!a || !b) st = sg__nomem(ctx);
        else if (was_carried) rm_rf(a); /* the original is in place */
        else {
            if (lstat(b, &sb) == 0 && S_ISDIR(sb.st_mode)) rm_rf(b);
            if (rename(a, b) != 0)
                st = out_error(ctx, "E_OUTPUT", b, "cannot move the finished file into place: %s%s", strerror(errno), "");
            else owned_add_path(&moved, n);
        }
        free(a);
        free(b);
    }
    closedir(d);
    if (st != SG_OK) {
        owned_free(&moved);
        return st;
    }
    d = opendir(o->dir);
    while (d && (de = readdir(d)) != NULL) { /* seggap's old files the new run did not write */
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || !is_owned(ow, n)) continue;
        int is_new = 0;
        for (size_t k = 0; k < moved.n; k++) is_new |= strcmp(moved.names[k], n) == 0;
        char *b = is_new ? NULL : sg__asprintf("%s/%s", o->dir, n);
        if (b) rm_rf(b);
        free(b);
    }
    if (d) closedir(d);
    owned_free(&moved);
    return SG_OK;
}

sg_status sg__outset_publish(sg_ctx *ctx, sg_outset *o) {
    if (!o->stage) return SG_OK;
    double t_all = sg__now(); /* times: write.publish (all of it), write.swap (the rename) */
    owned ow = {NULL, 0};
    owned_load(&ow, o->dir);
    char **carried = NULL;
    size_t ncarried = 0;
    sg_status st = SG_OK;
    DIR *d = opendir(o->dir);
    if (!d) st = out_error(ctx, "E_OUTPUT", o->dir, "cannot read the output folder: %s%s", strerror(errno), "");
    struct dirent *de;
    while (st == SG_OK && (de = readdir(d)) != NULL) { /* foreign files go into the new set */
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || is_owned(&ow, n)) continue;
        char *a = sg__asprintf("%s/%s", o->dir, n), *b = sg__asprintf("%s/%s", o->stage, n);
        struct stat sb;
        char **nc = sg__reallocarray(carried, ncarried + 1, sizeof *nc);
        if (nc) carried = nc;
        if (!a || !b || !nc || !(carried[ncarried] = sg__strdup(n))) st = sg__nomem(ctx);
        else if (ncarried++, lstat(b, &sb) == 0) {
        } /* the new run wrote that name: never happens for a foreign name */
        else st = carry(ctx, a, b);
        free(a);
        free(b);
    }
    if (d) closedir(d);
    int e = 0;
    if (st == SG_OK && (e = sync_fd_path(o->stage)) != 0)
        st = out_error(ctx, "E_OUTPUT", o->stage, "writing failed: %s%s", strerror(e), "");
    if (st == SG_OK) {
        sg__test_point("publish");
        double t0 = sg__now();
        int r = getenv("SEGGAP_TEST_NO_EXCHANGE") ? (errno = EINVAL, -1)
                                                   : renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->dir, RENAME_EXCHANGE);
        if (r == 0) {
            char *parent = parent_of(o->dir);
            if (parent) sync_fd_path(parent);
            free(parent);
            sg__stage_add(ctx, "write.swap", sg__now() - t0);
            sg__test_point("publish.clean");
            if (!clean_against(o->stage, o->dir, &ow))
                sg__warn(ctx, "W_OUT_LEFTOVER", (sg_where){o->stage, NULL, -1, NULL, NULL},
                         "files that changed in the output folder while the run wrote are kept here");
        } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
            st = publish_by_file(ctx, o, &ow, carried, ncarried);
            if (st == SG_OK) rm_rf(o->stage);
            sg__stage_add(ctx, "write.swap", sg__now() - t0);
        } else {
            st = out_error(ctx, "E_OUTPUT", o->dir, "cannot swap the new output set into place: %s%s",
                           strerror(errno), "");
        }
    }
    for (size_t k = 0; k < ncarried; k++) free(carried[k]);
    free(carried);
    owned_free(&ow);
    sg__stage_add(ctx, "write.publish", sg__now() - t_all);
    if (st == SG_OK) {
        o->published = 1;
        free(o->stage);
        o->stage = NULL;
    }
    return st;
}

void sg__outset_close(sg_outset *o) {
    if (o->stage) rm_rf(o->stage); /* unpublished: nothing of the run stays */
    free(o->stage);
    o->stage = NULL;
    if (!o->published) /* the levels open made, deepest first, only while empty */
        for (size_t k = o->ncreated; k-- > 0;) rmdir(o->created[k]);
    for (size_t k = 0; k < o->ncreated; k++) free(o->created[k]);
    free(o->created);
    o->created = NULL;
    o->ncreated = 0;
    if (o->fd >= 0) close(o->fd); /* releases the lock */
    o->fd = -1;
    free(o->dir);
    o->dir = NULL;
}
