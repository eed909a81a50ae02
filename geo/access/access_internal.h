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
                        const sg_services *s, sg_access_type *T, double **time);
/* With a standard: beyond_TYPE into res (from dist_TYPE_m or time_TYPE_min),
 * T->beyond, T->bu and the shares beyond. */
sg_status sg__access_beyond(sg_ctx *ctx, const sg_data *d, sg_result *res, const sg_standard *std,
                            sg_access_type *T);
/* The difference of the shares beyond the standard with group counts x per
 * used district (a permutation replicate; t rounded as there). */
double sg__std_gap_of(const sg_data *d, const sg_access_type *T, const double *x, const double *t);

#endif
