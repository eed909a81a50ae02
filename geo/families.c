/* The index families sg_analyze runs, in order. A new family is one file
 * (geo/index_<family>.c) and one line here. */
#include "internal.h"

const sg_family sg__families[] = {
    {"basic", sg__family_basic},
    /* aspatial evenness, exposure, multigroup (index_evenness.c, index_multigroup.c) */
    /* spatial: concentration, centralization, clustering, spatial evenness (index_*.c) */
};
const size_t sg__nfamilies = sizeof sg__families / sizeof sg__families[0];
