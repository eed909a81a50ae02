/* Options of the multiscalar segregation profile (issue 20 item 2), apart
 * from options.c (the house's size limit): --scales D1,D2,... in metres (the
 * bandwidths, in the order given; 0 is the aspatial index), --scale-kernel
 * NAME (PySAL's kernels, case-insensitive as libpysal; default triangular)
 * and --scale-unrounded. An error is SG_ERR_USAGE. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/analyze.h"

#define SG_MAX_SCALES 64

static sg_status usage(sg_ctx *ctx, const char *fmt, const char *arg) {
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, fmt, arg);
}

sg_status sg__options_profile(sg_ctx *ctx, sg_options *o) {
    static const char *const kernels[] = {"triangular", "uniform", "quadratic", "quartic", "gaussian"};
    o->scale_kernel = SG_SCALE_KERNEL_TRIANGULAR;
    free(o->scales);
    o->scales = NULL;
    o->nscales = 0;
    if (!o->scales_text) {
        if (o->scale_kernel_text || o->scale_unrounded)
            return usage(ctx, "%s", "--scale-kernel and --scale-unrounded apply only with --scales D1,D2,...");
        return SG_OK;
    }
    if (o->scale_kernel_text) {
        size_t k = 0;
        while (k < 5 && strcasecmp(o->scale_kernel_text, kernels[k]) != 0) k++;
        if (k == 5)
            return usage(ctx, "--scale-kernel must be triangular (the default), uniform, quadratic, quartic or "
                              "gaussian (PySAL's kernels), not '%s'", o->scale_kernel_text);
        o->scale_kernel = (int)k;
    }
    o->scales = malloc(SG_MAX_SCALES * sizeof *o->scales);
    if (!o->scales) return sg__nomem(ctx);
    const char *p = o->scales_text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *item = sg__strndup(p, len);
        if (!item) return sg__nomem(ctx);
        double v = 0;
        const char *why = "not a number";
        int ok = sg__parse_number(item, &v, &why) == SG_NUM_OK && v >= 0 && v <= 1e7;
        free(item);
        if (!ok)
            return usage(ctx, "--scales must be distances in metres separated by commas, each >= 0 (0: the "
                              "aspatial index) and <= 1e7, e.g. 500,1000,2000, not '%s'", o->scales_text);
        if (o->nscales == SG_MAX_SCALES)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, "--scales takes at most %d distances",
                             SG_MAX_SCALES);
        o->scales[o->nscales++] = v;
        if (!comma) break;
        p = comma + 1;
    }
    return SG_OK;
}
