/* Options of issue 17 checked apart from options.c (the house's size limit):
 *  - --p-adjust fdr|bonferroni|none: how gi_star_q, which decides the
 *    objective 5 hot spot, adjusts gi_star_p for multiple testing (default
 *    fdr, Benjamini-Hochberg); an unknown method is SG_ERR_USAGE;
 *  - --apportion population: counts from --table-join tables are split over
 *    the districts of each key by their totals (read/join_level.c); it needs
 *    such a table, and "population" is the only method. */
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
    if (o->apportion_text) {
        if (strcmp(o->apportion_text, "population") != 0)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--apportion must be population (a count of a coarser table split over its districts "
                             "in proportion to their totals), not '%s'", o->apportion_text);
        int coarse = 0;
        for (size_t t = 0; t < o->ntables; t++) coarse |= o->tables[t].join != NULL;
        if (!coarse)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--apportion population splits the counts of a table joined at a coarser level, but no "
                             "--table has --table-join");
        o->apportion = 1;
    }
    return SG_OK;
}
