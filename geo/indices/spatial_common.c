/* Helpers the spatial index families share: storing a global with its
 * detail, the two-group totals, and the check that the spatial data exist. */
#include <math.h>
#include <stdlib.h>

#include "indices/indices.h"

sg_status sg__spatial_set(sg_ctx *ctx, sg_result *res, const char *name, double value, const char *description,
                          const char *detail, const char *why_undefined) {
    if (!isfinite(value)) {
        sg__warn(ctx, "W_UNDEFINED", SG_WHERE_NONE, "%s is undefined for this city (%s): not reported", name,
                 why_undefined ? why_undefined : "a zero denominator");
        return SG_OK;
    }
    sg_global *g = sg__result_set(res, name, value, description);
    if (!g) return sg__nomem(ctx);
    free(g->detail);
    g->detail = detail ? sg__strdup(detail) : NULL;
    if (detail && !g->detail) return sg__nomem(ctx);
    return SG_OK;
}

sg_status sg__spatial_totals(sg_ctx *ctx, const sg_data *d, double *X, double *Y, double *T) {
    sg_basic_indices b;
    sg_status st = sg_basic_indices_compute(ctx, d->x, d->t, d->n, &b);
    if (st != SG_OK) return st;
    *X = b.group;
    *T = b.total;
    *Y = b.total - b.group;
    return SG_OK;
}

sg_status sg__spatial_need(sg_ctx *ctx, const sg_data *d, const char *family) {
    if (d->sp && d->sp->n == d->n) return SG_OK;
    return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE,
                     "the %s family needs the spatial data of the run (sg_data.sp), which was not built", family);
}
