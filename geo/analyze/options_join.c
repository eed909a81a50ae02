/* Options of issue 17 checked apart from options.c (the house's size limit):
 *  - --p-adjust fdr|bonferroni|none: how gi_star_q, which decides the
 *    objective 5 hot spot, adjusts gi_star_p for multiple testing (default
 *    fdr, Benjamini-Hochberg); an unknown method is SG_ERR_USAGE. */
#include <string.h>

#include "analyze/analyze.h"

sg_status sg__options_join(sg_ctx *ctx, sg_options *o) {
    o->p_adjust = SG_PADJ_FDR;
    if (o->p_adjust_text) {
        int m = sg__p_adjust_parse(o->p_adjust_text);
        if (m < 0)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--p-adjust must be fdr (Benjamini-Hochberg, the default), bonferroni or none, not '%s'",
                             o->p_adjust_text);
        o->p_adjust = m;
    }
    return SG_OK;
}
