/* services.geojson: every service location of every --service type with its
 * capacity and its supply ratios, as the access stage measured them
 * (sg_access_type: the locations as read, step 1 of its floating
 * catchments; planar, geodesic or network distances):
 *   fca2_per1000  R_j = 1000 S_j / sum of the residents within the catchment
 *                 d0 (two-step floating catchment, Luo & Wang 2003: capacity
 *                 per 1,000 residents who can reach it; 0 when nobody can)
 *   e2sfca_per1000 the same with the access stage's distance decay
 *   pop_catchment residents within d0 of the location
 *   pop_within_R  residents within each --radius R
 * Residents are the access stage's origins (a point on surface per district,
 * or --population-points), each carrying its share of the district total.
 * Nothing here opens a source or measures a distance: the layer is a copy of
 * the access stage's per-location results, type after type, in reading
 * order. */
#include <stdlib.h>
#include <string.h>

#include "gaps/gaps.h"

void sg__sites_free(sg_sites *s) {
    for (size_t k = 0; k < s->n; k++) {
        if (s->type) free(s->type[k]);
        if (s->name) free(s->name[k]);
    }
    for (size_t r = 0; s->pop_r_names && r < s->nradius; r++) free(s->pop_r_names[r]);
    free(s->type);
    free(s->name);
    free(s->fid);
    free(s->capacity);
    free(s->fca2);
    free(s->e2sfca);
    free(s->pop_catchment);
    free(s->pop_r);
    free(s->x);
    free(s->y);
    free(s->radius);
    free(s->pop_r_names);
    memset(s, 0, sizeof *s);
}

sg_status sg__sites_build(sg_ctx *ctx, const sg_gaps_in *in, sg_sites *out) {
    const struct sg_access *A = in->access;
    memset(out, 0, sizeof *out);
    if (!A || !A->nt) return SG_OK;
    out->catchment = A->catchment;
    out->mode = A->mode;
    size_t nr = A->nradius, n = 0;
    for (size_t t = 0; t < A->nt; t++) n += A->t[t].locations;
    size_t nn = n ? n : 1;
    out->nradius = nr;
    out->radius = malloc((nr ? nr : 1) * sizeof *out->radius);
    out->pop_r_names = calloc(nr ? nr : 1, sizeof *out->pop_r_names);
    out->type = calloc(nn, sizeof *out->type);
    out->name = calloc(nn, sizeof *out->name);
    out->fid = malloc(nn * sizeof *out->fid);
    out->capacity = malloc(nn * sizeof *out->capacity);
    out->fca2 = malloc(nn * sizeof *out->fca2);
    out->e2sfca = malloc(nn * sizeof *out->e2sfca);
    out->pop_catchment = malloc(nn * sizeof *out->pop_catchment);
    out->pop_r = malloc(nn * (nr ? nr : 1) * sizeof *out->pop_r);
    out->x = malloc(nn * sizeof *out->x);
    out->y = malloc(nn * sizeof *out->y);
    if (!out->radius || !out->pop_r_names || !out->type || !out->name || !out->fid || !out->capacity || !out->fca2 ||
        !out->e2sfca || !out->pop_catchment || !out->pop_r || !out->x || !out->y)
        return sg__nomem(ctx); /* the caller frees out */
    out->n = n; /* type and name are NULL until set: freed whatever happens below */
    for (size_t r = 0; r < nr; r++) {
        out->radius[r] = A->radius[r];
        if (!(out->pop_r_names[r] = sg__asprintf("pop_within_%.0f", A->radius[r]))) return sg__nomem(ctx);
    }
    size_t k = 0;
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        const sg_supply *S = &T->supply;
        for (size_t j = 0; j < T->locations; j++, k++) {
            if (!(out->type[k] = sg__strdup(T->type))) return sg__nomem(ctx);
            if (T->name[j] && !(out->name[k] = sg__strdup(T->name[j]))) return sg__nomem(ctx);
            out->fid[k] = (double)T->fid[j];
            out->capacity[k] = T->cap[j];
            out->fca2[k] = S->fca2[j];
            out->e2sfca[k] = S->e2sfca[j];
            out->pop_catchment[k] = S->pop_catchment[j];
            for (size_t r = 0; r < nr; r++) out->pop_r[k * nr + r] = S->pop_r[j * nr + r];
            out->x[k] = T->x[j];
            out->y[k] = T->y[j];
        }
    }
    return SG_OK;
}
