/* Overlapping districts (issue 16 item 16). A district layer is meant to be
 * a partition: when two districts overlap (the same polygon under two ids, a
 * district drawn inside another, a digitising error), the people in the
 * overlap count in both, and every index counts them twice without a word.
 *
 * The pairs come from contiguity (contiguity.c): every candidate pair of
 * the district STRtree that the shared-vertex path cannot settle is
 * intersected by GEOS anyway for its shared boundary, and that
 * intersection's area is the overlap (pairs the shared-vertex path settles
 * have interiors apart: it checks that). When the run's selected indices
 * do not need contiguity, the same pass runs here for the overlaps alone.
 *
 * A pair is reported when its overlap is more than SG_OVERLAP_SHARE of the
 * smaller district and more than SG_OVERLAP_MIN_M2 (spatial.h): slivers of
 * rounding between neighbours that share edges stay silent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial_internal.h"

#define SHOW_PAIRS 20 /* pairs named one by one; the rest in one summary */

static const char *id_of(const sg_data *d, size_t i) {
    return d->city && d->city->id ? d->city->id[d->index[i]] : "";
}

static void no_item(void *item, void *userdata) {
    (void)item;
    (void)userdata;
}

/* The overlapping pairs when sp has no contiguity: a district STRtree and the
 * contiguity pass for the overlaps alone (sg__overlap_pairs). */
static sg_status find_pairs(sg_ctx *ctx, const sg_data *d, sg_overlap **ov, size_t *nov) {
    GEOSContextHandle_t h = sg__geos(ctx);
    sg_spatial tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.n = d->n;
    tmp.item = malloc((d->n ? d->n : 1) * sizeof *tmp.item);
    tmp.tree = GEOSSTRtree_create_r(h, 10);
    sg_status st = tmp.item && tmp.tree ? SG_OK : sg__nomem(ctx);
    for (size_t i = 0; st == SG_OK && i < d->n; i++) {
        tmp.item[i] = i;
        GEOSSTRtree_insert_r(h, tmp.tree, d->geom[i], &tmp.item[i]);
    }
    if (st == SG_OK && d->n) { /* GEOS builds the tree on its first query: before the threads */
        double x0, y0, x1, y1;
        GEOSGeometry *r = GEOSGeom_getExtent_r(h, d->geom[0], &x0, &y0, &x1, &y1)
                              ? GEOSGeom_createRectangle_r(h, x0, y0, x0, y0)
                              : NULL;
        if (r) {
            GEOSSTRtree_query_r(h, tmp.tree, r, no_item, NULL);
            GEOSGeom_destroy_r(h, r);
        }
    }
    if (st == SG_OK) st = sg__overlap_pairs(ctx, d, &tmp, ov, nov);
    if (tmp.tree) GEOSSTRtree_destroy_r(h, tmp.tree);
    free(tmp.item);
    return st;
}

static double area_of(GEOSContextHandle_t h, const sg_data *d, const sg_spatial *sp, size_t i) {
    double a = NAN;
    if (sp && sp->area) return sp->area[i];
    if (!GEOSArea_r(h, d->geom[i], &a)) a = NAN;
    return a;
}

sg_status sg__overlaps(sg_ctx *ctx, const sg_data *d, const sg_spatial *sp) {
    if (!d->geom || d->n < 2) return SG_OK;
    GEOSContextHandle_t h = sg__geos(ctx);
    double t0 = sg__now();
    sg_overlap *own = NULL;
    const sg_overlap *ov = NULL;
    size_t nov = 0;
    sg_status st = SG_OK;
    if (sp && sp->queen.off) {
        ov = sp->overlap;
        nov = sp->noverlap;
    } else {
        st = find_pairs(ctx, d, &own, &nov);
        ov = own;
        sg__stage_add(ctx, "spatial.overlaps", sg__now() - t0);
    }
    int strict = d->opts && d->opts->strict;
    const char *code = strict ? "E_OVERLAP" : "W_OVERLAP";
    sg_where w = {d->opts ? d->opts->districts : NULL, NULL, -1, NULL, NULL};
    size_t before = sg__nerrors(ctx), shown = 0, more = 0;
    double more_area = 0;
    for (size_t k = 0; st == SG_OK && k < nov; k++) {
        size_t i = ov[k].i, j = ov[k].j;
        double ai = area_of(h, d, sp, i), aj = area_of(h, d, sp, j), a = ov[k].area;
        double small = fmin(ai, aj);
        if (!(a > SG_OVERLAP_MIN_M2) || !(a > SG_OVERLAP_SHARE * small)) continue;
        if (shown == SHOW_PAIRS) {
            more++;
            more_area += a;
            continue;
        }
        shown++;
        double si = ai > 0 ? a / ai : NAN, sj = aj > 0 ? a / aj : NAN;
        double pi = si * d->t[i], pj = sj * d->t[j];
        const char *fmt = "districts '%s' and '%s' overlap: %.6g m² in common, %.4g %% of '%s' and %.4g %% of '%s'; "
                          "the people there count in both: about %.6g of '%s' and %.6g of '%s' (each district's "
                          "total times the overlap's share of its area, as if its people were spread evenly)%s";
        const char *tail = strict ? " (--strict: overlapping districts are an error)"
                                  : ": fix the layer (a duplicate? a district drawn inside another?)";
        if (strict)
            sg__report(ctx, code, w, fmt, id_of(d, i), id_of(d, j), a, 100 * si, id_of(d, i), 100 * sj, id_of(d, j),
                       pi, id_of(d, i), pj, id_of(d, j), tail);
        else
            sg__warn(ctx, code, w, fmt, id_of(d, i), id_of(d, j), a, 100 * si, id_of(d, i), 100 * sj, id_of(d, j),
                     pi, id_of(d, i), pj, id_of(d, j), tail);
    }
    if (more) {
        if (strict)
            sg__report(ctx, code, w, "and %zu more pairs of overlapping districts (%.6g m² in all)", more, more_area);
        else
            sg__warn(ctx, code, w, "and %zu more pairs of overlapping districts (%.6g m² in all)", more, more_area);
    }
    free(own);
    if (st != SG_OK) return st;
    return strict ? sg__fail_if_errors(ctx, before, SG_ERR_DATA, "overlap") : SG_OK;
}
