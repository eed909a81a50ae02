/* The index families sg_analyze runs, in order. A new family is one file
 * (geo/index_<family>.c) and one line here: {name, function, flags}, flags
 * from internal.h: 0, SG_FAM_SPATIAL (uses geometry or d->sp), and/or
 * SG_FAM_NO_PERMUTE (too costly to re-run for each permutation). */
#include "internal.h"

const sg_family sg__families[] = {
    {"basic", sg__family_basic, 0},
    /* aspatial evenness, exposure, multigroup (index_evenness.c, index_multigroup.c) */
    {"evenness", sg__family_evenness, 0},
    {"exposure", sg__family_exposure, 0},
    {"multigroup", sg__family_multigroup, 0},
    /* spatial: concentration, centralization, clustering, spatial evenness (index_*.c) */
};
const size_t sg__nfamilies = sizeof sg__families / sizeof sg__families[0];
