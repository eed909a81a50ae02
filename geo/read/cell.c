/* Attribute values as read from OGR, before any interpretation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <ogr_api.h>

#include "read/read_internal.h"

sg_cell_kind sg__feature_field(void *feature, int idx, double *num, const char **text) {
    OGRFeatureH f = feature;
    *num = NAN;
    *text = NULL;
    if (!OGR_F_IsFieldSetAndNotNull(f, idx)) return SG_CELL_NULL;
    OGRFieldDefnH fd = OGR_F_GetFieldDefnRef(f, idx);
    switch (OGR_Fld_GetType(fd)) {
    case OFTInteger:
        *num = OGR_F_GetFieldAsInteger(f, idx);
        return SG_CELL_NUM;
    case OFTInteger64:
        *num = (double)OGR_F_GetFieldAsInteger64(f, idx);
        return SG_CELL_NUM;
    case OFTReal:
        *num = OGR_F_GetFieldAsDouble(f, idx);
        return SG_CELL_NUM;
    default:
        *text = OGR_F_GetFieldAsString(f, idx);
        return SG_CELL_TEXT;
    }
}

int sg__cell_from_feature(void *feature, int idx, sg_cell *c) {
    const char *text;
    c->kind = sg__feature_field(feature, idx, &c->num, &text);
    c->text = NULL;
    if (c->kind != SG_CELL_TEXT) return 0;
    c->text = sg__strdup(text);
    return c->text ? 0 : -1;
}

char *sg__feature_text(void *feature, int idx) {
    sg_cell c;
    const char *text;
    c.kind = sg__feature_field(feature, idx, &c.num, &text);
    c.text = (char *)text;
    return sg__cell_text(&c);
}

void sg__cell_clear(sg_cell *c) {
    if (c->kind == SG_CELL_TEXT) free(c->text);
    c->text = NULL;
    c->kind = SG_CELL_NULL;
}

sg_numparse sg__cell_number(const sg_cell *c, double *out, const char **why) {
    switch (c->kind) {
    case SG_CELL_NUM:
        if (!isfinite(c->num)) {
            if (why) *why = "not a finite number";
            return SG_NUM_NONFINITE;
        }
        *out = c->num;
        return SG_NUM_OK;
    case SG_CELL_TEXT:
        return sg__parse_number(c->text, out, why);
    default:
        if (why) *why = "null value";
        return SG_NUM_MISSING;
    }
}

char *sg__cell_text(const sg_cell *c) {
    switch (c->kind) {
    case SG_CELL_TEXT:
        return sg__trim_dup(c->text);
    case SG_CELL_NUM:
        /* Integral values print without a decimal part, as OGR does. */
        if (c->num == floor(c->num) && fabs(c->num) < 1e15) return sg__asprintf("%.0f", c->num);
        return sg__asprintf("%.17g", c->num);
    default:
        return NULL;
    }
}

/* ---- NUL bytes in a CSV source ----
 * GDAL's CSV reader hands a line over as a C string: a NUL byte ends it, and
 * the rest of the cell and of the row is lost without a word ("2\0 08" reads
 * as 2; a NUL inside quotes even joins the next line to the row). OGR keeps
 * no length for a string field (OGR_F_GetFieldAsBinary of a string is its
 * strlen), so the raw bytes are checked instead: a memchr pass over the file,
 * and only when it finds a NUL, a second pass that parses the bytes before it
 * the way the CSV driver does (separator, quotes, blank lines) to name the
 * line, the row (the feature id: data rows count from 1, blank lines do not
 * count) and the field. */

/* The separator GDAL's CSV driver picks from the header line: .tsv is tab;
 * else the first of , ; TAB outside quotes (',' when they are mixed), else
 * a space when there is one, else ','. */
static char csv_separator(VSILFILE *fp, const char *file) {
    if (EQUAL(CPLGetExtension(file), "tsv")) return '\t';
    char sep = 0;
    int inq = 0, space = 0, c;
    unsigned char b;
    while (VSIFReadL(&b, 1, 1, fp) == 1 && (c = b) != '\n' && c != '\r' && c != 0) {
        if (c == '"') inq = !inq;
        else if (inq) continue;
        else if (c == ',' || c == ';' || c == '\t') {
            if (!sep) sep = (char)c;
            else if (sep != c) return ',';
        } else if (c == ' ') space = 1;
    }
    return sep ? sep : space ? ' ' : ',';
}

/* Where the NUL at byte `at` of fp is: its line, record (0 = the header) and
 * column (from 0). */
static void csv_locate(VSILFILE *fp, char sep, vsi_l_offset at, long long *line, long long *rec, int *col) {
    unsigned char buf[65536];
    int inq = 0, empty = 1, prev = 0;
    *line = 1;
    *rec = 0;
    *col = 0;
    VSIFSeekL(fp, 0, SEEK_SET);
    for (vsi_l_offset pos = 0; pos < at;) {
        size_t want = at - pos < sizeof buf ? (size_t)(at - pos) : sizeof buf;
        size_t n = VSIFReadL(buf, 1, want, fp);
        if (n == 0) return;
        for (size_t i = 0; i < n; i++) {
            int c = buf[i];
            if (c == '\r' || (c == '\n' && prev != '\r')) (*line)++;
            prev = c;
            if (inq) {
                if (c == '"') inq = 0;
                continue;
            }
            if (c == '"') inq = 1;
            else if (c == '\n' || c == '\r') {
                if (!empty) (*rec)++;
                *col = 0;
                empty = 1;
                continue;
            } else if (c == sep) (*col)++;
            empty = 0;
        }
        pos += n;
    }
}

/* The first NUL byte of file, or -1 (also when it cannot be read: GDAL says
 * why when it reads it). */
static long long first_nul(VSILFILE *fp) {
    enum { CHUNK = 1 << 20 };
    unsigned char *b = malloc(CHUNK);
    if (!b) return -1;
    long long off = 0, found = -1;
    size_t n;
    while (found < 0 && (n = VSIFReadL(b, 1, CHUNK, fp)) > 0) {
        const unsigned char *z = memchr(b, 0, n);
        if (z) found = off + (z - b);
        off += (long long)n;
    }
    free(b);
    return found;
}

sg_status sg__csv_nul_check(sg_ctx *ctx, void *dataset, sg_where w) {
    GDALDatasetH ds = dataset;
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    if (!drv || strcmp(GDALGetDriverShortName(drv), "CSV") != 0) return SG_OK;
    char **files = GDALGetFileList(ds);
    sg_status st = SG_OK;
    for (int i = 0; st == SG_OK && files && files[i]; i++) {
        const char *ext = CPLGetExtension(files[i]);
        if (EQUAL(ext, "csvt") || EQUAL(ext, "prj")) continue;
        VSILFILE *fp = VSIFOpenL(files[i], "rb");
        if (!fp) continue;
        long long at = first_nul(fp);
        if (at >= 0) {
            VSIFSeekL(fp, 0, SEEK_SET);
            char sep = csv_separator(fp, files[i]);
            long long line, rec;
            int col;
            csv_locate(fp, sep, (vsi_l_offset)at, &line, &rec, &col);
            OGRLayerH lyr = GDALDatasetGetLayerCount(ds) == 1 ? GDALDatasetGetLayer(ds, 0)
                                                               : GDALDatasetGetLayerByName(ds, CPLGetBasename(files[i]));
            OGRFeatureDefnH defn = lyr ? OGR_L_GetLayerDefn(lyr) : NULL;
            sg_where at_w = w;
            at_w.file = files[i];
            if (lyr) at_w.layer = OGR_L_GetName(lyr);
            at_w.fid = rec > 0 ? rec : -1;
            at_w.field = rec > 0 && defn && col < OGR_FD_GetFieldCount(defn)
                             ? OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, col)) : NULL;
            const char *hint = sg__file_hint(files[i]);
            char colname[32] = "";
            if (rec > 0 && !at_w.field) snprintf(colname, sizeof colname, "column %d, ", col + 1);
            st = sg__error(ctx, SG_ERR_DATA, "E_NUL_BYTE", at_w,
                           "a NUL byte (0x00) in %s%sline %lld, byte %lld: the CSV reader ends the row there and "
                           "drops the rest of it without a word; %s", rec > 0 ? "" : "the header, ", colname, line,
                           at + 1, hint ? hint : "remove the NUL bytes (e.g. tr -d '\\000')");
        }
        VSIFCloseL(fp);
    }
    CSLDestroy(files);
    return st;
}
