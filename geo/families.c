/* The index families sg_analyze runs, in order. A new family is one file
 * (geo/index_<family>.c) and one line here: {name, function, flags}, flags
 * from internal.h: 0, SG_FAM_SPATIAL (uses geometry or d->sp), and/or
 * SG_FAM_NO_PERMUTE (too costly to re-run for each permutation). */
#include <string.h>

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

/* --indices: family names or the aliases all, aspatial, spatial, local.
 * The basic family (D, xPx, xPy and the per-district share) always runs. */
static int alias_matches(const char *item, const sg_family *f) {
    if (strcmp(item, "all") == 0) return 1;
    if (strcmp(item, f->name) == 0) return 1;
    int spatial = (f->flags & SG_FAM_SPATIAL) != 0, local = strcmp(f->name, "local_spatial") == 0;
    if (strcmp(item, "aspatial") == 0) return !spatial;
    if (strcmp(item, "spatial") == 0) return spatial && !local;
    if (strcmp(item, "local") == 0) return local;
    return 0;
}

int sg__family_on(const sg_options *o, const char *name) {
    const sg_family *f = NULL;
    for (size_t k = 0; k < sg__nfamilies; k++)
        if (strcmp(sg__families[k].name, name) == 0) f = &sg__families[k];
    if (!f) return 0;
    if (!o || o->indices.n == 0 || strcmp(name, "basic") == 0) return 1;
    for (size_t i = 0; i < o->indices.n; i++)
        if (alias_matches(o->indices.items[i], f)) return 1;
    return 0;
}

int sg__family_name_valid(const char *item) {
    if (!strcmp(item, "all") || !strcmp(item, "aspatial") || !strcmp(item, "spatial") || !strcmp(item, "local"))
        return 1;
    for (size_t k = 0; k < sg__nfamilies; k++)
        if (strcmp(sg__families[k].name, item) == 0) return 1;
    return 0;
}
