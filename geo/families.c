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
    {"concentration", sg__family_concentration, SG_FAM_SPATIAL},
    {"centralization", sg__family_centralization, SG_FAM_SPATIAL},
    {"clustering", sg__family_clustering, SG_FAM_SPATIAL},
    {"spatial_evenness", sg__family_spatial_evenness, SG_FAM_SPATIAL},
    /* O(N²) per run (BFS from every district; one sort per district): not permuted */
    {"spatial_proximity_profile", sg__family_spatial_proximity_profile, SG_FAM_SPATIAL | SG_FAM_NO_PERMUTE},
    {"distortion", sg__family_distortion, SG_FAM_SPATIAL | SG_FAM_NO_PERMUTE},
    /* local spatial statistics: Gi*, local Moran (index_local_spatial.c); its own
     * conditional permutations, so not re-run by the global test */
    {"local_spatial", sg__family_local_spatial, SG_FAM_SPATIAL | SG_FAM_NO_PERMUTE},
};
const size_t sg__nfamilies = sizeof sg__families / sizeof sg__families[0];
