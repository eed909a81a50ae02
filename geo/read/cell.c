/* Attribute values as read from OGR, before any interpretation. */
#include <math.h>
#include <stdlib.h>

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
