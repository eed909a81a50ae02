/* Options of the geometry guards (issue 16 items 13 and 17), apart from
 * options.c (the house's size limit): --snap-tolerance M, the contiguity's
 * tolerance in metres, and --max-vertices N, the vertex budget of a district
 * polygon. Both get their defaults here (internal.h); an error is SG_ERR_USAGE. */
#include <math.h>

#include "analyze/analyze.h"

sg_status sg__options_geometry(sg_ctx *ctx, sg_options *o) {
    const char *why = "not a number";
    o->snap_tolerance = SG_SNAP_TOLERANCE;
    if (o->snap_tolerance_text &&
        (sg__parse_number(o->snap_tolerance_text, &o->snap_tolerance, &why) != SG_NUM_OK ||
         !(o->snap_tolerance >= 0) || o->snap_tolerance > 1.0))
        return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                         "--snap-tolerance must be a distance in metres, >= 0 (0: exact) and <= 1, not '%s'",
                         o->snap_tolerance_text);
    o->max_vertices = SG_MAX_VERTICES;
    if (o->max_vertices_text) {
        double v = -1;
        if (sg__parse_number(o->max_vertices_text, &v, &why) != SG_NUM_OK || !(v >= 0) || v != floor(v) || v > 1e12)
            return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                             "--max-vertices must be a whole number of vertices >= 0 (0: no limit), not '%s'",
                             o->max_vertices_text);
        o->max_vertices = (size_t)v;
    }
    return SG_OK;
}
