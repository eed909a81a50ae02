/* Opening OGR sources, choosing a layer and listing what a source holds,
 * shared by the readers (districts, tables, services, population points,
 * housing, road network) so that a missing file, layer or field is reported
 * the same way everywhere. */
#define _LARGEFILE64_SOURCE 1 /* VSIStatBufL is a struct stat64 */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

#include "read/read_internal.h"

void sg__src_info_free(sg_src_info *s) {
    if (!s) return;
    free(s->path);
    free(s->layer);
    free(s->driver);
    free(s->where);
    free(s->crs_name);
    free(s->crs_id);
    memset(s, 0, sizeof *s);
}

char *sg__layer_names(void *dataset) {
    GDALDatasetH ds = dataset;
    int n = GDALDatasetGetLayerCount(ds);
    char **names = calloc((size_t)n + 1, sizeof *names);
    if (!names) return NULL;
    for (int i = 0; i < n; i++) names[i] = (char *)OGR_L_GetName(GDALDatasetGetLayer(ds, i));
    char *s = sg__join_names(names, n);
    free(names);
    return s;
}

char *sg__layer_field_list(void *feature_defn) {
    OGRFeatureDefnH defn = feature_defn;
    int n = OGR_FD_GetFieldCount(defn);
    char **names = calloc((size_t)n + 1, sizeof *names);
    if (!names) return NULL;
    for (int i = 0; i < n; i++) names[i] = (char *)OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
    char *s = sg__join_names(names, n);
    free(names);
    return s;
}

char *sg__recode(const char *text, const char *encoding) {
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1) return NULL;
    size_t in_left = strlen(text), cap = 4 * in_left + 1, out_left = cap - 1;
    char *out = malloc(cap), *in = (char *)text, *o = out;
    if (out && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    iconv_close(cd);
    if (out) *o = '\0';
    if (out && !sg__utf8_valid(out, NULL)) {
        free(out);
        out = NULL;
    }
    return out;
}

char *sg__encoding_begin(const char *encoding) {
    if (!encoding) return NULL;
    const char *prev = CPLGetThreadLocalConfigOption("SHAPE_ENCODING", NULL);
    char *saved = prev ? sg__strdup(prev) : NULL;
    CPLSetThreadLocalConfigOption("SHAPE_ENCODING", encoding);
    return saved;
}

void sg__encoding_end(const char *encoding, char *saved) {
    if (!encoding) return;
    CPLSetThreadLocalConfigOption("SHAPE_ENCODING", saved);
    free(saved);
}

char *sg__field_suggestion(void *feature_defn, char *const *names, int n, const char *name) {
    OGRFeatureDefnH defn = feature_defn;
    int nd = defn ? OGR_FD_GetFieldCount(defn) : 0;
    const char **all = calloc((size_t)nd + (size_t)(n > 0 ? n : 0) + 1, sizeof *all);
    if (!all) return NULL;
    size_t k = 0;
    for (int i = 0; i < nd; i++) all[k++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
    for (int i = 0; i < n; i++) all[k++] = names[i];
    const char *near = name ? sg__suggest(name, all, k) : NULL;
    char *r = !near ? sg__strdup("")
              : strlen(near) == 10 && strlen(name) > 10 && strncasecmp(near, name, 10) == 0
                  ? sg__asprintf("; did you mean '%s'? (a Shapefile keeps only the first 10 characters of a field "
                                 "name)", near)
                  : sg__asprintf("; did you mean '%s'?", near);
    free(all);
    return r;
}

void *sg__ogr_open(sg_ctx *ctx, const char *path) {
    sg__ogr_open_counted(ctx);
    struct stat sb; /* a device or FIFO (/dev/zero) would be read for ever: never opened */
    if (path && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) return NULL;
    sg__gdal_push(ctx);
    /* Inputs are never written to: GML reads without its .xsd/.gfs would
     * write a .gfs beside the input (WRITE_GFS=NO; '@': not validated by the
     * drivers that do not know it, so no warning), and PAM would write a
     * .aux.xml (GDAL_PAM_ENABLED=NO on this thread while the source opens). */
    static const char *const open_opts[] = {"@WRITE_GFS=NO", NULL};
    char *pam = CPLStrdup(CPLGetThreadLocalConfigOption("GDAL_PAM_ENABLED", NULL) ? CPLGetThreadLocalConfigOption("GDAL_PAM_ENABLED", NULL) : "");
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, open_opts, NULL);
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", *pam ? pam : NULL);
    CPLFree(pam);
    /* PostGIS: every later transaction of this session (layer reads, --sql)
     * is read-only, so a data-modifying --sql fails instead of running. */
    if (ds && strncmp(path, "PG:", 3) == 0) {
        OGRLayerH r = GDALDatasetExecuteSQL(ds, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", NULL, NULL);
        if (r) GDALDatasetReleaseResultSet(ds, r);
    }
    sg__gdal_pop();
    return ds;
}

/* Why GDAL's virtual file system has nothing at a /vsizip/, /vsitar/ ...
 * path: the archive is missing, or has no such member (with its members).
 * 0 when path is not in an archive or the archive is not found at all. */
static int archive_why(const char *path, char *buf, size_t size) {
    static const char *const pre[] = {"/vsizip/", "/vsitar/", "/vsi7z/", "/vsirar/"};
    const char *p = NULL;
    size_t plen = 0;
    for (size_t k = 0; k < sizeof pre / sizeof pre[0] && !p; k++)
        if (strncmp(path, pre[k], strlen(pre[k])) == 0) p = pre[k], plen = strlen(pre[k]);
    if (!p) return 0;
    const char *rest = path + plen;
    if (*rest == '{') return 0; /* /vsizip/{archive}/member: rare, GDAL's own words */
    char *arch = sg__strdup(rest);
    if (!arch) return 0;
    /* the longest prefix that is a file (the archive), the rest its member */
    size_t len = strlen(arch);
    const char *member = NULL;
    for (;;) {
        VSIStatBufL sb;
        if (VSIStatL(arch, &sb) == 0 && !VSI_ISDIR(sb.st_mode)) {
            member = rest + len + (rest[len] == '/');
            break;
        }
        char *slash = strrchr(arch, '/');
        if (!slash || slash == arch) break;
        *slash = '\0';
        len = (size_t)(slash - arch);
    }
    if (!member) {
        snprintf(buf, size, "no such file: no archive along '%s'", rest);
        free(arch);
        return 1;
    }
    char *dir = sg__asprintf("%s%s", p, arch);
    char **names = dir ? VSIReadDir(dir) : NULL;
    char list[256] = "";
    size_t k = 0, used = 0;
    for (; names && names[k] && used + strlen(names[k]) + 3 < sizeof list - 8 && k < 10; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", names[k]);
    if (names && names[k]) snprintf(list + used, sizeof list - used, ", ...");
    snprintf(buf, size, "the archive %s has no member '%s' (its top level: %s)", arch, member,
             list[0] ? list : "nothing");
    CSLDestroy(names);
    free(dir);
    free(arch);
    return 1;
}

int sg__vsi_why(sg_ctx *ctx, const char *path, char *buf, size_t size) {
    if (!path || strncmp(path, "/vsi", 4) != 0) return 0;
    VSIStatBufL sb;
    if (VSIStatL(path, &sb) == 0) return 0; /* it is there: the caller says why it is no vector source */
    if (sg__gdal_msg(ctx)[0]) snprintf(buf, size, "%s", sg__gdal_msg(ctx));
    else if (sg__gdal_warn(ctx)[0]) {
        const char *m = sg__gdal_warn(ctx);
        size_t n = strlen(m);
        snprintf(buf, size, "%s%s", m, /* curl's code 0: no HTTP answer at all */
                 strstr(m, "HTTP response code") && n > 3 && strcmp(m + n - 3, ": 0") == 0
                     ? " (no answer: the server cannot be reached)" : "");
    }
    else if (!archive_why(path, buf, size))
        snprintf(buf, size, "GDAL's virtual file system has no file at this path");
    return 1;
}

void *sg__open_vector(sg_ctx *ctx, const char *path, sg_where w, const char *prefix, int flags, sg_status *st) {
    *st = SG_OK;
    GDALDatasetH ds = sg__ogr_open(ctx, path);
    if (ds && (*st = sg__csv_nul_check(ctx, ds, w)) != SG_OK) {
        GDALClose(ds);
        return NULL;
    }
    if (ds) return ds;
    char why[SG_GDAL_MSG_MAX + 64];
    if (sg__vsi_why(ctx, path, why, sizeof why)) { /* not stat's "no such file" for a /vsizip/ or /vsicurl/ path */
        *st = sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "%scannot open: %s", prefix, why);
        return NULL;
    }
    struct stat sb;
    int have = 0;
    if (((flags & SG_OPEN_STAT_PG) || strncmp(path, "PG:", 3) != 0) && !(have = stat(path, &sb) == 0)) {
        *st = sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "%sno such file", prefix);
        return NULL;
    }
    int special = have && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode); /* never opened: sg__ogr_open */
    const char *hint = (flags & SG_OPEN_HINT) || special ? sg__file_hint(path) : NULL;
    *st = sg__error(ctx, SG_ERR_INPUT, "E_OPEN", w, "%scannot open as a vector data source: %s", prefix,
                    hint ? hint : sg__gdal_msg(ctx)[0] ? sg__gdal_msg(ctx) : "unsupported or damaged file");
    return NULL;
}

void *sg__choose_layer(sg_ctx *ctx, void *dataset, sg_where w, const char *layer, const char *prefer,
                       const char *layer_opt, sg_status *st) {
    GDALDatasetH ds = dataset;
    OGRLayerH lyr = NULL;
    int nl = GDALDatasetGetLayerCount(ds);
    *st = SG_OK;
    if (layer) {
        lyr = GDALDatasetGetLayerByName(ds, layer);
        if (!lyr) {
            char *names = sg__layer_names(ds);
            *st = sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w, "no such layer (layers: %s)", names ? names : "");
            free(names);
        }
    } else if (prefer && nl > 1 && (lyr = GDALDatasetGetLayerByName(ds, prefer)) != NULL) {
        /* the layer named like the service type */
    } else if (nl == 1) {
        lyr = GDALDatasetGetLayer(ds, 0);
    } else if (nl == 0) {
        *st = sg__error(ctx, SG_ERR_INPUT, "E_NO_LAYER", w, "has no layer");
    } else {
        char *names = sg__layer_names(ds);
        *st = sg__error(ctx, SG_ERR_USAGE, "E_CHOOSE_LAYER", w, "has %d layers (%s): choose one with %s", nl,
                        names ? names : "", layer_opt);
        free(names);
    }
    return lyr;
}

sg_status sg__open_layer(sg_ctx *ctx, const char *path, const char *layer, const char *prefer,
                         const char *layer_opt, void **ds_out, void **lyr_out, sg_src_info *info) {
    *ds_out = *lyr_out = NULL;
    sg_where w = {path, layer, -1, NULL, NULL};
    info->path = sg__strdup(path);
    if (!info->path) return sg__nomem(ctx);
    sg_status st;
    GDALDatasetH ds = sg__open_vector(ctx, path, w, "", 0, &st);
    if (!ds) return st;
    OGRLayerH lyr = sg__choose_layer(ctx, ds, w, layer, prefer, layer_opt, &st);
    if (st != SG_OK) {
        GDALClose(ds);
        return st;
    }
    info->layer = sg__strdup(OGR_L_GetName(lyr));
    info->driver = sg__strdup(GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    if (!info->layer || !info->driver) {
        GDALClose(ds);
        return sg__nomem(ctx);
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sg__sha256_file(path, info->sha256) != 0)
        info->sha256[0] = '\0';
    *ds_out = ds;
    *lyr_out = lyr;
    return SG_OK;
}
