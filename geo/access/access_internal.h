/* geo/access/ internals: what files of access/ share with each other and no
 * later folder needs. Included only by files of access/ (access.h says it
 * exists). The road network's graph: network_build.c builds it, network.c
 * snaps to it and searches it. */
#ifndef SEGGAP_GEO_ACCESS_INTERNAL_H
#define SEGGAP_GEO_ACCESS_INTERNAL_H

#include "access/access.h"

#define SG_NET_NONE UINT32_MAX /* no edge / no node */

struct sg_network {
    sg_net_info info;
    size_t nn, ne;
    uint32_t *eu, *ev;  /* end nodes of each edge, in the direction of its vertices */
    double *len;        /* metres */
    double *cf, *cb;    /* distance cost along / against the vertex order (INFINITY: not allowed) */
    double *tf, *tb;    /* the same in minutes, with --network-speed (else NULL) */
    size_t *coff;       /* vertices of edge e: coff[e] .. coff[e+1]-1 */
    double *cx, *cy;
    size_t *aoff;       /* incident edges of node x: aedge[aoff[x] .. aoff[x+1]-1] */
    uint32_t *aedge;
    GEOSGeometry *noded; /* owns the pieces inserted in the tree */
    GEOSSTRtree *tree;
    size_t *item;
    /* snapped origins */
    size_t no;
    uint32_t *oe;       /* edge, SG_NET_NONE when off the network */
    double *ot, *os;    /* position along the edge (0..1), snap distance */
    size_t *ooff;       /* origins by edge */
    uint32_t *oby;
    double max_snap;
};

/* Snapping points to the network (network.c): the sg__parallel range
 * function over points x[k], y[k] -> edge e[k] (SG_NET_NONE beyond max_snap),
 * position t[k] (0..1) and distance d[k]. */
typedef struct sg_net_snap_job {
    sg_network *net;
    const double *x, *y;
    uint32_t *e;
    double *t, *d;
} sg_net_snap_job;
int sg__net_snap_range(void *user, GEOSContextHandle_t h, size_t b, size_t end);
/* Items by edge (CSR), in item order: items of edge x are by[off[x] ..
 * off[x+1]-1]. Returns 0 when out of memory. */
int sg__net_by_edge(size_t ne, size_t n, const uint32_t *e, size_t **off_out, uint32_t **by_out);

/* Counts and floating catchments by the minutes of --travel-times TYPE=FILE
 * (issue 17): --reach TYPE=15min (count_TYPE_15min, whole minutes) and
 * --time-catchment TYPE=30min (fca2_/e2sfca_TYPE_per1000 by minutes, d0 in
 * minutes, h = d0 / 2). A pair with no row in the table is outside every
 * reach and catchment. */
struct sg_time_opts {
    double *reach;    /* ascending, distinct, whole minutes */
    size_t nreach;
    double catchment; /* minutes; 0: the catchment stays in metres */
};

/* ---- floating catchments with explicit parameters (fca.c) ---- */
/* What a floating catchment and its counts are measured with: the catchment
 * d0, the decay and its h, and the radii of the counts, all in the unit of
 * the pairs' d (metres, or minutes with --travel-times). */
typedef struct sg_fca_params {
    double d0, h;
    sg_decay decay;
    const double *radius; /* ascending */
    size_t nradius;
} sg_fca_params;
/* The metre parameters of the options (--catchment, --decay, --radius). */
sg_fca_params sg__fca_params(const struct sg_access_opts *ao);
/* sg__fca_supply and sg__fca_access with explicit parameters (minutes: standards.c). */
sg_status sg__fca_supply_p(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                           const sg_fca_params *fp, sg_supply *out);
void sg__fca_access_p(const sg_pairs *p, const sg_supply *sup, const sg_fca_params *fp, double *count,
                      double *fca2, double *e2sfca);

/* ---- standards and travel times (standards.c) ---- */
/* One access argument "--NAME=VALUE" of --standard, --service-id,
 * --travel-times or --tt-*: returns 1 when it is one (*st set), 0 else. cur
 * is the --service it follows ((size_t)-1: none), *tt_cur the --travel-times
 * the --tt-* options follow. */
int sg__access_std_arg(sg_ctx *ctx, struct sg_access_opts *a, const char *item, size_t cur, size_t *tt_cur,
                       sg_status *st);
/* The checks across options: a minute standard needs times. */
sg_status sg__access_std_check(sg_ctx *ctx, const sg_options *o, const struct sg_access_opts *a);
/* --travel-times of one type: the table read against the services s (their
 * ids) into *time (origins, the district's least minutes at each of its
 * origins; caller frees). */
sg_status sg__access_tt(sg_ctx *ctx, const sg_data *d, const sg_service_spec *spec, const sg_origins *og,
                        const sg_services *s, sg_access_type *T, double **time, sg_tt_rows *rows);
/* --reach and --time-catchment of one type from its table's rows: count
 * (to->nreach x og->n, services within each reach) and, with a minute
 * catchment, fca2 and e2 (og->n) and step 1 in T->supply (its fca2, e2sfca,
 * pop_catchment and idle; pop_r stays by --radius), replacing the metres'. */
sg_status sg__access_tt_fca(sg_ctx *ctx, const sg_city *c, const sg_origins *og, const sg_services *s,
                            const struct sg_access_opts *ao, const sg_time_opts *to, const sg_tt_rows *rows,
                            sg_access_type *T, double *count, double *fca2, double *e2);
/* With a standard: beyond_TYPE into res (from dist_TYPE_m or time_TYPE_min),
 * T->beyond, T->bu and the shares beyond. */
sg_status sg__access_beyond(sg_ctx *ctx, const sg_data *d, sg_result *res, const sg_standard *std,
                            sg_access_type *T);
/* The difference of the shares beyond the standard with group counts x per
 * used district (a permutation replicate; t rounded as there). */
double sg__std_gap_of(const sg_data *d, const sg_access_type *T, const double *x, const double *t);

#endif
