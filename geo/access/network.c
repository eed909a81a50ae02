/* Shortest paths on a road network (--network): a line layer in any CRS,
 * reprojected into the working CRS, noded with GEOS (GEOSNode_r: lines are
 * split where they cross or touch, so a hand-drawn network needs no shared
 * vertices; bridges and tunnels are joined to what they cross, see README),
 * turned into a graph (a node per distinct end point, an edge per noded
 * piece, its length in metres; with --network-speed also its travel time;
 * with --network-oneway the allowed directions).
 *
 * Origins and service locations are snapped to the nearest point of the
 * nearest edge (GEOS STRtree over the edges); the snap distance counts as
 * walking (metres, or minutes at 5 km/h). Farther than --network-max-snap
 * (default 500 m) from every edge, a place is off the network: unreachable,
 * reported, never given infinity silently.
 *
 * Nearest: one multi-source Dijkstra per service type, from all its
 * locations at once on the reversed graph (cost from a node to its nearest
 * location, respecting one-way edges in the direction of travel origin ->
 * service), then every origin takes the better end of its edge (or a location
 * on the same edge). Pairs within d for 2SFCA and counts: one Dijkstra per
 * location bounded at d, run in parallel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gdal.h>
#include <ogr_api.h>

#include "access/access.h"

#define NONE UINT32_MAX
#define DIR_FWD 1u
#define DIR_BWD 2u

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
    uint32_t *oe;       /* edge, NONE when off the network */
    double *ot, *os;    /* position along the edge (0..1), snap distance */
    size_t *ooff;       /* origins by edge */
    uint32_t *oby;
    double max_snap;
};

struct sg_net_services {
    size_t n;
    uint32_t *e;
    double *t, *snap;
    size_t *soff; /* locations by edge */
    uint32_t *sby;
};

const sg_net_info *sg__network_info(const sg_network *net) { return &net->info; }
int sg__network_has_speed(const sg_network *net) { return net && net->tf != NULL; }

void sg__network_free(sg_ctx *ctx, sg_network *net) {
    if (!net) return;
    if (net->tree) GEOSSTRtree_destroy_r(sg__geos(ctx), net->tree);
    if (net->noded) GEOSGeom_destroy_r(sg__geos(ctx), net->noded);
    sg__src_info_free(&net->info.src);
    free(net->info.speed_field);
    free(net->info.oneway_field);
    free(net->eu);
    free(net->ev);
    free(net->len);
    free(net->cf);
    free(net->cb);
    free(net->tf);
    free(net->tb);
    free(net->coff);
    free(net->cx);
    free(net->cy);
    free(net->aoff);
    free(net->aedge);
    free(net->item);
    free(net->oe);
    free(net->ot);
    free(net->os);
    free(net->ooff);
    free(net->oby);
    free(net);
}

/* ---- a hash map from coordinates to node ids ---- */
typedef struct node_map {
    size_t cap;
    double *x, *y;
    uint32_t *id; /* NONE: empty */
} node_map;

static uint64_t hash_xy(double x, double y) {
    uint64_t a, b;
    if (x == 0) x = 0; /* -0 and 0 are the same point */
    if (y == 0) y = 0;
    memcpy(&a, &x, sizeof a);
    memcpy(&b, &y, sizeof b);
    uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 29);
}

static int map_init(node_map *m, size_t expected) {
    m->cap = 64;
    while (m->cap < expected * 2) m->cap *= 2;
    m->x = malloc(m->cap * sizeof *m->x);
    m->y = malloc(m->cap * sizeof *m->y);
    m->id = malloc(m->cap * sizeof *m->id);
    if (!m->x || !m->y || !m->id) return 0;
    for (size_t i = 0; i < m->cap; i++) m->id[i] = NONE;
    return 1;
}

static void map_free(node_map *m) {
    free(m->x);
    free(m->y);
    free(m->id);
}

/* Node id of (x, y), a new one (*n) when absent. The table never fills: it
 * holds at most two ends per edge and was sized for that. */
static uint32_t map_get(node_map *m, double x, double y, size_t *n) {
    size_t i = (size_t)(hash_xy(x, y) & (m->cap - 1));
    while (m->id[i] != NONE) {
        if (m->x[i] == x && m->y[i] == y) return m->id[i];
        i = (i + 1) & (m->cap - 1);
    }
    m->x[i] = x;
    m->y[i] = y;
    m->id[i] = (uint32_t)(*n)++;
    return m->id[i];
}

/* ---- a binary heap of (cost, node) ---- */
typedef struct heap {
    double *k;
    uint32_t *v;
    size_t n, cap;
} heap;

static int heap_push(heap *h, double k, uint32_t v) {
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 1024;
        double *nk = sg__reallocarray(h->k, nc, sizeof *nk);
        if (!nk) return -1;
        h->k = nk;
        uint32_t *nv = sg__reallocarray(h->v, nc, sizeof *nv);
        if (!nv) return -1;
        h->v = nv;
        h->cap = nc;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->k[p] <= k) break;
        h->k[i] = h->k[p];
        h->v[i] = h->v[p];
        i = p;
    }
    h->k[i] = k;
    h->v[i] = v;
    return 0;
}

static void heap_pop(heap *h, double *k, uint32_t *v) {
    *k = h->k[0];
    *v = h->v[0];
    double lk = h->k[--h->n];
    uint32_t lv = h->v[h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->k[c + 1] < h->k[c]) c++;
        if (h->k[c] >= lk) break;
        h->k[i] = h->k[c];
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) {
        h->k[i] = lk;
        h->v[i] = lv;
    }
}

static void heap_free(heap *h) {
    free(h->k);
    free(h->v);
    memset(h, 0, sizeof *h);
}

/* ---- snapping ---- */
/* Distance from (px, py) to edge e; *along = length along the edge to the closest point. */
static double edge_dist(const sg_network *net, uint32_t e, double px, double py, double *along) {
    double best = INFINITY, acc = 0, at = 0;
    for (size_t v = net->coff[e]; v + 1 < net->coff[e + 1]; v++) {
        double ax = net->cx[v], ay = net->cy[v], dx = net->cx[v + 1] - ax, dy = net->cy[v + 1] - ay;
        double l2 = dx * dx + dy * dy, t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
        if (t < 0) t = 0;
        if (t > 1) t = 1;
        double d = hypot(px - (ax + t * dx), py - (ay + t * dy)), sl = sqrt(l2);
        if (d < best) {
            best = d;
            at = acc + t * sl;
        }
        acc += sl;
    }
    if (along) *along = at;
    return best;
}

typedef struct snap_q {
    const sg_network *net;
    double x, y;
} snap_q;

static int snap_cb(const void *a, const void *b, double *d, void *userdata) {
    snap_q *q = userdata;
    const size_t *it = (a == (const void *)q) ? b : a;
    *d = edge_dist(q->net, (uint32_t)*it, q->x, q->y, NULL);
    return 1;
}

/* Snaps (x, y): edge, position 0..1 and distance; NONE when beyond max_snap. */
static int snap_point(GEOSContextHandle_t h, const sg_network *net, double x, double y, uint32_t *e, double *t,
                      double *d) {
    snap_q q = {net, x, y};
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    if (!pt) return -1;
    const size_t *best = GEOSSTRtree_nearest_generic_r(h, net->tree, &q, pt, snap_cb, &q);
    GEOSGeom_destroy_r(h, pt);
    *e = NONE;
    *t = 0;
    *d = INFINITY;
    if (!best) return -2;
    double along;
    double dist = edge_dist(net, (uint32_t)*best, x, y, &along);
    *d = dist;
    if (dist > net->max_snap) return 0;
    *e = (uint32_t)*best;
    *t = net->len[*e] > 0 ? along / net->len[*e] : 0;
    if (*t > 1) *t = 1;
    return 0;
}

typedef struct snap_job {
    sg_network *net;
    const double *x, *y;
    uint32_t *e;
    double *t, *d;
} snap_job;

static int snap_range(void *user, GEOSContextHandle_t h, size_t b, size_t end) {
    snap_job *J = user;
    for (size_t k = b; k < end; k++) {
        int r = snap_point(h, J->net, J->x[k], J->y[k], &J->e[k], &J->t[k], &J->d[k]);
        if (r != 0) return r;
    }
    return 0;
}

/* Items by edge (CSR), in item order. */
static int by_edge(size_t ne, size_t n, const uint32_t *e, size_t **off_out, uint32_t **by_out) {
    size_t *off = calloc(ne + 2, sizeof *off);
    uint32_t *by = malloc((n ? n : 1) * sizeof *by);
    if (!off || !by) {
        free(off);
        free(by);
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        if (e[k] != NONE) off[e[k] + 2]++;
    for (size_t x = 0; x < ne; x++) off[x + 2] += off[x + 1];
    for (size_t k = 0; k < n; k++)
        if (e[k] != NONE) by[off[e[k] + 1]++] = (uint32_t)k;
    *off_out = off; /* off[x] .. off[x+1]: items of edge x */
    *by_out = by;
    return 1;
}

/* ---- reading and building ---- */
typedef struct src_line {
    GEOSGeometry *g; /* a LineString in the working CRS */
    double speed;    /* km/h; NaN unknown; <= 0 closed */
    unsigned dir;    /* DIR_FWD | DIR_BWD allowed along its vertex order */
} src_line;

static unsigned parse_oneway(const char *s, int *bad) {
    *bad = 0;
    if (!s) return DIR_FWD | DIR_BWD;
    char *t = sg__trim_dup(s);
    if (!t) return DIR_FWD | DIR_BWD;
    unsigned r = DIR_FWD | DIR_BWD;
    if (!strcasecmp(t, "yes") || !strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "y") ||
        !strcasecmp(t, "t") || !strcasecmp(t, "fwd") || !strcasecmp(t, "forward"))
        r = DIR_FWD;
    else if (!strcmp(t, "-1") || !strcasecmp(t, "reverse") || !strcasecmp(t, "backward"))
        r = DIR_BWD;
    else if (!(!*t || !strcasecmp(t, "no") || !strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "n") ||
               !strcasecmp(t, "f")))
        *bad = 1;
    free(t);
    return r;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Along-line position of (x, y) on a source line. */
static double line_pos(GEOSContextHandle_t h, const GEOSGeometry *g, double x, double y) {
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n)) return 0;
    double best = INFINITY, acc = 0, at = 0, ax, ay, bx, by;
    GEOSCoordSeq_getXY_r(h, cs, 0, &ax, &ay);
    for (unsigned int i = 1; i < n; i++) {
        GEOSCoordSeq_getXY_r(h, cs, i, &bx, &by);
        double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
        if (t < 0) t = 0;
        if (t > 1) t = 1;
        double d = hypot(x - (ax + t * dx), y - (ay + t * dy)), sl = sqrt(l2);
        if (d < best) {
            best = d;
            at = acc + t * sl;
        }
        acc += sl;
        ax = bx;
        ay = by;
    }
    return at;
}

typedef struct match_q {
    GEOSContextHandle_t h;
    const src_line *L;
    double x, y, tol;
    size_t best;
} match_q;

static void match_cb(void *item, void *userdata) {
    match_q *q = userdata;
    size_t i = *(const size_t *)item;
    if (i >= q->best) return;
    /* distance of the probe to the source line */
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(q->h, q->L[i].g);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(q->h, cs, &n)) return;
    double ax, ay, bx, by, best = INFINITY;
    GEOSCoordSeq_getXY_r(q->h, cs, 0, &ax, &ay);
    for (unsigned int k = 1; k < n; k++) {
        GEOSCoordSeq_getXY_r(q->h, cs, k, &bx, &by);
        double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((q->x - ax) * dx + (q->y - ay) * dy) / l2 : 0;
        if (t < 0) t = 0;
        if (t > 1) t = 1;
        best = fmin(best, hypot(q->x - (ax + t * dx), q->y - (ay + t * dy)));
        ax = bx;
        ay = by;
    }
    if (best <= q->tol) q->best = i;
}

static void noop_cb(void *item, void *userdata) {
    (void)item;
    (void)userdata;
}

/* Reads the line features into src lines (working CRS, attributes). */
static sg_status read_lines(sg_ctx *ctx, const sg_options *o, const sg_crs_info *crs, sg_network *net,
                            src_line **out, size_t *nout) {
    GEOSContextHandle_t h = sg__geos(ctx);
    sg_net_info *ni = &net->info;
    void *dsv = NULL, *lyrv = NULL;
    *out = NULL;
    *nout = 0;
    sg_status st = sg__open_layer(ctx, o->network, o->network_layer, NULL, "--network-layer", &dsv, &lyrv, &ni->src);
    if (st != SG_OK) return st;
    GDALDatasetH ds = dsv;
    OGRLayerH lyr = lyrv;
    sg_where w = {o->network, ni->src.layer, -1, NULL, NULL};
    PJ *op = NULL;
    st = sg__layer_transform(ctx, OGR_L_GetSpatialRef(lyr), crs, w, &ni->src, &op);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int sidx = -1, oidx = -1;
    if (st == SG_OK && o->network_speed) {
        sidx = OGR_FD_GetFieldIndex(defn, o->network_speed);
        w.field = o->network_speed;
        if (sidx < 0) st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--network-speed field not found");
        ni->speed_field = sg__strdup(o->network_speed);
    }
    if (st == SG_OK && o->network_oneway) {
        oidx = OGR_FD_GetFieldIndex(defn, o->network_oneway);
        w.field = o->network_oneway;
        if (oidx < 0) st = sg__error(ctx, SG_ERR_DATA, "E_MISSING_FIELD", w, "--network-oneway field not found");
        ni->oneway_field = sg__strdup(o->network_oneway);
    }
    w.field = NULL;
    src_line *L = NULL;
    size_t n = 0, cap = 0, other = 0, before = sg__nerrors(ctx);
    if (st == SG_OK) {
        OGR_L_ResetReading(lyr);
        sg__gdal_push(ctx);
        OGRFeatureH f;
        while (st == SG_OK && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
            ni->lines++;
            ni->src.features++;
            long long fid = OGR_F_GetFID(f);
            sg_where fw = {o->network, ni->src.layer, fid, NULL, NULL};
            OGRGeometryH og = OGR_F_GetGeometryRef(f);
            OGRwkbGeometryType gt = og ? wkbFlatten(OGR_G_GetGeometryType(og)) : wkbNone;
            if (!og || OGR_G_IsEmpty(og) ||
                !(gt == wkbLineString || gt == wkbMultiLineString || gt == wkbCircularString ||
                  gt == wkbCompoundCurve || gt == wkbMultiCurve)) {
                other++;
                OGR_F_Destroy(f);
                continue;
            }
            double speed = NAN;
            unsigned dir = DIR_FWD | DIR_BWD;
            if (sidx >= 0) {
                sg_cell c;
                if (sg__cell_from_feature(f, sidx, &c) == 0) {
                    double v;
                    const char *why;
                    if (sg__cell_number(&c, &v, &why) == SG_NUM_OK) speed = v;
                    else ni->missing_speed++;
                    sg__cell_clear(&c);
                }
            }
            if (oidx >= 0) {
                int bad = 0;
                dir = parse_oneway(OGR_F_IsFieldSetAndNotNull(f, oidx) ? OGR_F_GetFieldAsString(f, oidx) : NULL, &bad);
                ni->bad_oneway += bad;
            }
            const char *why = NULL;
            GEOSGeometry *g = sg__ogr_to_work(ctx, og, op, &why);
            OGR_F_Destroy(f);
            if (!g) {
                sg__report(ctx, "E_TRANSFORM", fw, "%s", why ? why : "unusable geometry");
                continue;
            }
            int np = GEOSGetNumGeometries_r(h, g);
            for (int k = 0; k < np && st == SG_OK; k++) {
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 1024;
                    src_line *nl = sg__reallocarray(L, nc, sizeof *nl);
                    if (!nl) {
                        st = sg__nomem(ctx);
                        break;
                    }
                    L = nl;
                    cap = nc;
                }
                L[n].g = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, g, k));
                L[n].speed = speed;
                L[n].dir = dir;
                if (!L[n].g) st = sg__nomem(ctx);
                else n++;
            }
            GEOSGeom_destroy_r(h, g);
        }
        sg__gdal_pop();
    }
    if (st == SG_OK) st = sg__fail_if_errors(ctx, before, SG_ERR_DATA, "network");
    if (st == SG_OK && other)
        sg__warn(ctx, "W_NETWORK_NOT_LINE", w, "%zu of %lld features are not lines (or have no geometry) and are "
                 "left out", other, ni->lines);
    if (st == SG_OK && n == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_NETWORK_EMPTY", w, "no line to route on (%lld features read)", ni->lines);
    if (st == SG_OK && ni->bad_oneway)
        sg__warn(ctx, "W_NETWORK_ONEWAY", (sg_where){o->network, ni->src.layer, -1, NULL, o->network_oneway},
                 "%zu lines have a one-way value that is neither yes/true/1, -1/reverse nor no/false/0: they are "
                 "taken as two-way", ni->bad_oneway);
    if (st == SG_OK && sidx >= 0) {
        /* unknown speeds: the median of the known ones */
        double *v = malloc((n ? n : 1) * sizeof *v);
        size_t k = 0;
        if (!v) st = sg__nomem(ctx);
        for (size_t i = 0; v && i < n; i++)
            if (isfinite(L[i].speed) && L[i].speed > 0) v[k++] = L[i].speed;
        if (v && k == 0)
            st = sg__error(ctx, SG_ERR_DATA, "E_NETWORK_SPEED", (sg_where){o->network, ni->src.layer, -1, NULL,
                                                                          o->network_speed},
                           "no line has a usable speed (km/h, a number > 0)");
        if (st == SG_OK && v) {
            qsort(v, k, sizeof *v, cmp_double);
            double med = v[k / 2];
            size_t filled = 0;
            for (size_t i = 0; i < n; i++)
                if (isnan(L[i].speed)) {
                    L[i].speed = med;
                    filled++;
                } else if (L[i].speed <= 0) {
                    ni->closed_edges++;
                }
            ni->missing_speed = filled;
            if (filled)
                sg__warn(ctx, "W_NETWORK_SPEED", (sg_where){o->network, ni->src.layer, -1, NULL, o->network_speed},
                         "%zu lines have no usable speed: they get the median speed, %g km/h", filled, med);
            if (ni->closed_edges)
                sg__warn(ctx, "W_NETWORK_CLOSED", (sg_where){o->network, ni->src.layer, -1, NULL, o->network_speed},
                         "%zu lines have speed <= 0: closed for travel times", ni->closed_edges);
        }
        free(v);
    }
    proj_destroy(op);
    GDALClose(ds);
    if (st != SG_OK) {
        for (size_t i = 0; i < n; i++) GEOSGeom_destroy_r(h, L[i].g);
        free(L);
        return st;
    }
    *out = L;
    *nout = n;
    return SG_OK;
}

static size_t uf_find(size_t *p, size_t x) {
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

sg_status sg__network_build(sg_ctx *ctx, const sg_options *o, const sg_crs_info *crs, const sg_city *city,
                            const sg_origins *og, sg_network **out) {
    *out = NULL;
    GEOSContextHandle_t h = sg__geos(ctx);
    sg_network *net = calloc(1, sizeof *net);
    if (!net) return sg__nomem(ctx);
    net->max_snap = o->access->max_snap;
    src_line *L = NULL;
    size_t nl = 0;
    sg_status st = read_lines(ctx, o, crs, net, &L, &nl);
    sg_where w = {o->network, net->info.src.layer, -1, NULL, NULL};
    int need_attr = o->network_speed || o->network_oneway;

    /* Source lines in a tree (to give the noded pieces their attributes). */
    GEOSSTRtree *stree = NULL;
    size_t *sitem = NULL;
    if (st == SG_OK && need_attr) {
        stree = GEOSSTRtree_create_r(h, 10);
        sitem = malloc(nl * sizeof *sitem);
        if (!stree || !sitem) st = sg__nomem(ctx);
        for (size_t i = 0; st == SG_OK && i < nl; i++) {
            sitem[i] = i;
            GEOSSTRtree_insert_r(h, stree, L[i].g, &sitem[i]);
        }
    }
    /* Node every line against every other. */
    if (st == SG_OK) {
        GEOSGeometry **parts = malloc(nl * sizeof *parts);
        if (!parts) st = sg__nomem(ctx);
        for (size_t i = 0; parts && i < nl; i++) parts[i] = GEOSGeom_clone_r(h, L[i].g);
        GEOSGeometry *coll = parts ? GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, parts, (unsigned)nl) : NULL;
        free(parts);
        if (st == SG_OK && !coll) st = sg__nomem(ctx);
        if (st == SG_OK) {
            net->noded = GEOSNode_r(h, coll);
            if (!net->noded)
                st = sg__error(ctx, SG_ERR_GEOMETRY, "E_NETWORK_NODE", w, "GEOS cannot node the lines: %s",
                               sg__geos_msg(ctx));
        }
        if (coll) GEOSGeom_destroy_r(h, coll);
    }
    size_t np = st == SG_OK ? (size_t)GEOSGetNumGeometries_r(h, net->noded) : 0;
    unsigned char *edir = NULL;
    double *espeed = NULL;
    node_map map;
    memset(&map, 0, sizeof map);
    if (st == SG_OK) {
        net->eu = malloc((np + 1) * sizeof *net->eu);
        net->ev = malloc((np + 1) * sizeof *net->ev);
        net->len = malloc((np + 1) * sizeof *net->len);
        net->coff = calloc(np + 2, sizeof *net->coff);
        net->item = malloc((np + 1) * sizeof *net->item);
        edir = malloc(np + 1);
        espeed = malloc((np + 1) * sizeof *espeed);
        net->tree = GEOSSTRtree_create_r(h, 10);
        if (!net->eu || !net->ev || !net->len || !net->coff || !net->item || !edir || !espeed || !net->tree ||
            !map_init(&map, 2 * np + 2))
            st = sg__nomem(ctx);
    }
    /* Vertices of the pieces. */
    size_t nv = 0;
    for (size_t p = 0; st == SG_OK && p < np; p++) {
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, GEOSGetGeometryN_r(h, net->noded, (int)p));
        unsigned int m = 0;
        if (cs) GEOSCoordSeq_getSize_r(h, cs, &m);
        nv += m;
    }
    if (st == SG_OK) {
        net->cx = malloc((nv + 1) * sizeof *net->cx);
        net->cy = malloc((nv + 1) * sizeof *net->cy);
        if (!net->cx || !net->cy) st = sg__nomem(ctx);
    }
    size_t ne = 0, vk = 0, nn = 0;
    double xmin = INFINITY, ymin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    for (size_t p = 0; st == SG_OK && p < np; p++) {
        const GEOSGeometry *piece = GEOSGetGeometryN_r(h, net->noded, (int)p);
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, piece);
        unsigned int m = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &m) || m < 2) continue;
        size_t v0 = vk;
        double len = 0;
        for (unsigned int i = 0; i < m; i++) {
            GEOSCoordSeq_getXY_r(h, cs, i, &net->cx[vk], &net->cy[vk]);
            if (i) len += hypot(net->cx[vk] - net->cx[vk - 1], net->cy[vk] - net->cy[vk - 1]);
            xmin = fmin(xmin, net->cx[vk]);
            ymin = fmin(ymin, net->cy[vk]);
            xmax = fmax(xmax, net->cx[vk]);
            ymax = fmax(ymax, net->cy[vk]);
            vk++;
        }
        if (!(len > 0)) {
            vk = v0;
            continue;
        }
        uint32_t u = map_get(&map, net->cx[v0], net->cy[v0], &nn);
        uint32_t v = map_get(&map, net->cx[vk - 1], net->cy[vk - 1], &nn);
        /* attributes from the source line the piece lies on */
        unsigned dir = DIR_FWD | DIR_BWD;
        double speed = NAN;
        if (need_attr) {
            double mx = 0.5 * (net->cx[v0] + net->cx[v0 + 1]), my = 0.5 * (net->cy[v0] + net->cy[v0 + 1]);
            match_q q = {h, L, mx, my, 1e-9 * (fabs(mx) + fabs(my)) + 1e-7, (size_t)-1};
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, mx, my);
            if (pt) {
                GEOSGeometry *box = GEOSGeom_createRectangle_r(h, mx - q.tol, my - q.tol, mx + q.tol, my + q.tol);
                if (box) {
                    GEOSSTRtree_query_r(h, stree, box, match_cb, &q);
                    GEOSGeom_destroy_r(h, box);
                }
                GEOSGeom_destroy_r(h, pt);
            }
            if (q.best != (size_t)-1) {
                const src_line *sl = &L[q.best];
                speed = sl->speed;
                dir = sl->dir;
                if (dir != (DIR_FWD | DIR_BWD)) {
                    double a = line_pos(h, sl->g, net->cx[v0], net->cy[v0]);
                    double b = line_pos(h, sl->g, net->cx[vk - 1], net->cy[vk - 1]);
                    if (a > b) dir = dir == DIR_FWD ? DIR_BWD : DIR_FWD; /* the piece runs against its line */
                }
            }
        }
        net->eu[ne] = u;
        net->ev[ne] = v;
        net->len[ne] = len;
        net->coff[ne + 1] = vk;
        edir[ne] = (unsigned char)dir;
        espeed[ne] = speed;
        net->item[ne] = ne;
        GEOSSTRtree_insert_r(h, net->tree, piece, &net->item[ne]);
        ne++;
    }
    map_free(&map);
    if (stree) GEOSSTRtree_destroy_r(h, stree);
    free(sitem);
    for (size_t i = 0; i < nl; i++) GEOSGeom_destroy_r(h, L[i].g);
    free(L);
    net->ne = ne;
    net->nn = nn;
    if (st == SG_OK && ne == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_NETWORK_EMPTY", w, "the lines have no length: no edge to route on");
    /* Costs. */
    if (st == SG_OK) {
        net->cf = malloc(ne * sizeof *net->cf);
        net->cb = malloc(ne * sizeof *net->cb);
        if (o->network_speed) {
            net->tf = malloc(ne * sizeof *net->tf);
            net->tb = malloc(ne * sizeof *net->tb);
        }
        if (!net->cf || !net->cb || (o->network_speed && (!net->tf || !net->tb))) st = sg__nomem(ctx);
    }
    double total_len = 0;
    for (size_t e = 0; st == SG_OK && e < ne; e++) {
        net->cf[e] = edir[e] & DIR_FWD ? net->len[e] : INFINITY;
        net->cb[e] = edir[e] & DIR_BWD ? net->len[e] : INFINITY;
        net->info.oneway_edges += edir[e] != (DIR_FWD | DIR_BWD);
        total_len += net->len[e];
        if (net->tf) {
            double mpm = espeed[e] > 0 ? espeed[e] * 1000.0 / 60.0 : 0; /* metres per minute */
            net->tf[e] = mpm > 0 && (edir[e] & DIR_FWD) ? net->len[e] / mpm : INFINITY;
            net->tb[e] = mpm > 0 && (edir[e] & DIR_BWD) ? net->len[e] / mpm : INFINITY;
        }
    }
    free(edir);
    free(espeed);
    /* Adjacency. */
    if (st == SG_OK) {
        net->aoff = calloc(nn + 2, sizeof *net->aoff);
        net->aedge = malloc((2 * ne + 1) * sizeof *net->aedge);
        if (!net->aoff || !net->aedge) st = sg__nomem(ctx);
    }
    if (st == SG_OK) {
        for (size_t e = 0; e < ne; e++) {
            net->aoff[net->eu[e] + 2]++;
            if (net->ev[e] != net->eu[e]) net->aoff[net->ev[e] + 2]++;
        }
        for (size_t x = 0; x < nn; x++) net->aoff[x + 2] += net->aoff[x + 1];
        for (size_t e = 0; e < ne; e++) {
            net->aedge[net->aoff[net->eu[e] + 1]++] = (uint32_t)e;
            if (net->ev[e] != net->eu[e]) net->aedge[net->aoff[net->ev[e] + 1]++] = (uint32_t)e;
        }
    }
    /* Connected components (ignoring directions) and their lengths. */
    if (st == SG_OK) {
        size_t *par = malloc((nn + 1) * sizeof *par);
        double *clen = calloc(nn + 1, sizeof *clen);
        if (!par || !clen) st = sg__nomem(ctx);
        for (size_t x = 0; par && x < nn; x++) par[x] = x;
        for (size_t e = 0; st == SG_OK && e < ne; e++) {
            size_t a = uf_find(par, net->eu[e]), b = uf_find(par, net->ev[e]);
            if (a != b) par[a] = b;
        }
        size_t nc = 0;
        double big = 0;
        for (size_t x = 0; st == SG_OK && x < nn; x++) nc += uf_find(par, x) == x;
        for (size_t e = 0; st == SG_OK && e < ne; e++) clen[uf_find(par, net->eu[e])] += net->len[e];
        for (size_t x = 0; st == SG_OK && x < nn; x++) big = fmax(big, clen[x]);
        net->info.components = nc;
        net->info.largest_share = total_len > 0 ? big / total_len : NAN;
        free(par);
        free(clen);
    }
    net->info.edges = ne;
    net->info.nodes = nn;
    net->info.length_km = total_len / 1000;
    if (st == SG_OK && net->info.components > 1)
        sg__warn(ctx, "W_NETWORK_COMPONENTS", w,
                 "the network falls into %zu disconnected parts (the largest holds %.1f %% of its length): places "
                 "in a part without a service cannot reach it and are reported", net->info.components,
                 100 * net->info.largest_share);
    /* The edge tree, built now (threads only read it). */
    if (st == SG_OK && ne) {
        GEOSGeometry *q = GEOSGeom_createPointFromXY_r(h, net->cx[0], net->cy[0]);
        if (q) {
            GEOSSTRtree_query_r(h, net->tree, q, noop_cb, NULL);
            GEOSGeom_destroy_r(h, q);
        }
    }
    /* The network against the districts. */
    if (st == SG_OK) {
        double ex0 = INFINITY, ey0 = INFINITY, ex1 = -INFINITY, ey1 = -INFINITY;
        for (size_t k = 0; k < og->n; k++) {
            ex0 = fmin(ex0, og->x[k]);
            ey0 = fmin(ey0, og->y[k]);
            ex1 = fmax(ex1, og->x[k]);
            ey1 = fmax(ey1, og->y[k]);
        }
        if (og->n && (xmax < ex0 || xmin > ex1 || ymax < ey0 || ymin > ey1))
            sg__warn(ctx, "W_NETWORK_EXTENT", w,
                     "the network (%.0f %.0f .. %.0f %.0f) does not overlap the districts (%.0f %.0f .. %.0f %.0f) "
                     "in the working CRS: the layer's CRS (%s) is likely wrong",
                     xmin, ymin, xmax, ymax, ex0, ey0, ex1, ey1,
                     net->info.src.crs_name ? net->info.src.crs_name : "none");
    }
    /* Snap the origins. */
    if (st == SG_OK) {
        net->no = og->n;
        size_t m = og->n ? og->n : 1;
        net->oe = malloc(m * sizeof *net->oe);
        net->ot = malloc(m * sizeof *net->ot);
        net->os = malloc(m * sizeof *net->os);
        if (!net->oe || !net->ot || !net->os) st = sg__nomem(ctx);
    }
    if (st == SG_OK) {
        snap_job J = {net, og->x, og->y, net->oe, net->ot, net->os};
        st = sg__parallel(ctx, og->n, o->threads, 1024, snap_range, &J);
    }
    if (st == SG_OK && !by_edge(ne, og->n, net->oe, &net->ooff, &net->oby)) st = sg__nomem(ctx);
    if (st == SG_OK) {
        /* districts with an origin off the network */
        size_t *far = malloc((city->n + 1) * sizeof *far), nfar = 0;
        double worst = 0;
        if (!far) st = sg__nomem(ctx);
        for (size_t i = 0; far && i < city->n; i++) {
            int any = 0;
            for (size_t k = og->off[i]; k < og->off[i + 1]; k++)
                if (net->oe[k] == NONE) {
                    any = 1;
                    net->info.origins_far++;
                    if (isfinite(net->os[k])) worst = fmax(worst, net->os[k]);
                }
            if (any) far[nfar++] = i;
        }
        if (nfar) {
            char *ids = sg__first_ids(city, far, nfar);
            sg__warn(ctx, "W_NETWORK_FAR", w,
                     "%zu districts have no network edge within %g m of where their residents live (up to %.0f m "
                     "away): no road near them? They get no network distance: %s",
                     nfar, net->max_snap, worst, ids ? ids : "");
            free(ids);
        }
        free(far);
    }
    if (st != SG_OK) {
        sg__network_free(ctx, net);
        return st;
    }
    *out = net;
    return SG_OK;
}

/* ---- services on the network ---- */
void sg__network_services_free(sg_net_services *ns) {
    if (!ns) return;
    free(ns->e);
    free(ns->t);
    free(ns->snap);
    free(ns->soff);
    free(ns->sby);
    free(ns);
}

sg_status sg__network_services(sg_ctx *ctx, const sg_network *net, const sg_services *s, sg_net_services **out,
                               size_t *far) {
    *out = NULL;
    *far = 0;
    sg_net_services *ns = calloc(1, sizeof *ns);
    if (!ns) return sg__nomem(ctx);
    ns->n = s->n;
    size_t m = s->n ? s->n : 1;
    ns->e = malloc(m * sizeof *ns->e);
    ns->t = malloc(m * sizeof *ns->t);
    ns->snap = malloc(m * sizeof *ns->snap);
    sg_status st = (!ns->e || !ns->t || !ns->snap) ? sg__nomem(ctx) : SG_OK;
    if (st == SG_OK) {
        snap_job J = {(sg_network *)net, s->x, s->y, ns->e, ns->t, ns->snap};
        st = sg__parallel(ctx, s->n, 1, 1024, snap_range, &J);
    }
    if (st == SG_OK && !by_edge(net->ne, s->n, ns->e, &ns->soff, &ns->sby)) st = sg__nomem(ctx);
    long long first = -1;
    for (size_t j = 0; st == SG_OK && j < s->n; j++)
        if (ns->e[j] == NONE) {
            if (first < 0) first = s->fid[j];
            (*far)++;
        }
    if (st == SG_OK && *far)
        sg__warn(ctx, "W_NETWORK_FAR_SERVICE", (sg_where){s->src.path, s->src.layer, first, NULL, NULL},
                 "%zu of %zu '%s' locations are more than %g m from the network (this one first): left out of the "
                 "network distances", *far, s->n, s->spec->type, net->max_snap);
    if (st == SG_OK && *far == s->n)
        st = sg__error(ctx, SG_ERR_DATA, "E_NETWORK_FAR", (sg_where){s->src.path, s->src.layer, -1, NULL, NULL},
                       "no '%s' location is within %g m of the network: wrong network, or wrong CRS?", s->spec->type,
                       net->max_snap);
    if (st != SG_OK) {
        sg__network_services_free(ns);
        return st;
    }
    *out = ns;
    return SG_OK;
}

/* Edge costs of a search: distances, or minutes (snap legs at walking speed). */
typedef struct costs {
    const double *cf, *cb;
    double leg; /* cost per metre of a snap leg */
} costs;

static costs costs_of(const sg_network *net, int time) {
    costs c = {net->cf, net->cb, 1.0};
    if (time) {
        c.cf = net->tf;
        c.cb = net->tb;
        c.leg = 1.0 / (SG_WALK_SPEED_KMH * 1000.0 / 60.0);
    }
    return c;
}

/* Relaxes the reversed graph from node x with cost dx: a node y can reach x
 * along an edge in an allowed direction. */
static int relax_from(const sg_network *net, const costs *c, heap *hp, double *dist, uint32_t x, double dx,
                      double bound, uint32_t *touched, size_t *ntouched) {
    for (size_t a = net->aoff[x]; a < net->aoff[x + 1]; a++) {
        uint32_t e = net->aedge[a];
        uint32_t y[2];
        double cy[2];
        int k = 0;
        if (net->ev[e] == x && isfinite(c->cf[e])) { /* u -> x along the edge */
            y[k] = net->eu[e];
            cy[k++] = dx + c->cf[e];
        }
        if (net->eu[e] == x && isfinite(c->cb[e])) { /* v -> x against it */
            y[k] = net->ev[e];
            cy[k++] = dx + c->cb[e];
        }
        for (int i = 0; i < k; i++) {
            if (cy[i] > bound || cy[i] >= dist[y[i]]) continue;
            if (touched && !isfinite(dist[y[i]])) touched[(*ntouched)++] = y[i];
            dist[y[i]] = cy[i];
            if (heap_push(hp, cy[i], y[i]) != 0) return -1;
        }
    }
    return 0;
}

/* Seeds location j: the cost to reach it from each end of its edge. */
static int seed(const sg_network *net, const costs *c, const sg_net_services *ns, size_t j, heap *hp, double *dist,
                double bound, uint32_t *touched, size_t *ntouched) {
    uint32_t e = ns->e[j];
    double s0 = ns->snap[j] * c->leg, t = ns->t[j];
    uint32_t node[2] = {net->eu[e], net->ev[e]};
    double cost[2] = {isfinite(c->cf[e]) ? s0 + t * c->cf[e] : INFINITY,
                      isfinite(c->cb[e]) ? s0 + (1 - t) * c->cb[e] : INFINITY};
    for (int i = 0; i < 2; i++) {
        if (!(cost[i] <= bound) || cost[i] >= dist[node[i]]) continue;
        if (touched && !isfinite(dist[node[i]])) touched[(*ntouched)++] = node[i];
        dist[node[i]] = cost[i];
        if (heap_push(hp, cost[i], node[i]) != 0) return -1;
    }
    return 0;
}

/* Cost from origin k to the locations whose node costs are in dist, and to
 * the locations on its own edge (only location j when only_j != NONE). */
static double origin_cost(const sg_network *net, const costs *c, const sg_net_services *ns, const double *dist,
                          size_t k, uint32_t only_j) {
    uint32_t e = net->oe[k];
    if (e == NONE) return INFINITY;
    double s = net->ot[k], best = INFINITY;
    if (isfinite(c->cb[e])) best = fmin(best, s * c->cb[e] + dist[net->eu[e]]);
    if (isfinite(c->cf[e])) best = fmin(best, (1 - s) * c->cf[e] + dist[net->ev[e]]);
    for (size_t q = ns->soff[e]; q < ns->soff[e + 1]; q++) {
        uint32_t j = ns->sby[q];
        if (only_j != NONE && j != only_j) continue;
        double tj = ns->t[j], leg = ns->snap[j] * c->leg;
        if (tj >= s && isfinite(c->cf[e])) best = fmin(best, (tj - s) * c->cf[e] + leg);
        if (tj <= s && isfinite(c->cb[e])) best = fmin(best, (s - tj) * c->cb[e] + leg);
    }
    return best + net->os[k] * c->leg;
}

sg_status sg__network_nearest(sg_ctx *ctx, const sg_network *net, const sg_net_services *ns, int time,
                              double *cost) {
    costs c = costs_of(net, time);
    double *dist = malloc((net->nn ? net->nn : 1) * sizeof *dist);
    heap hp;
    memset(&hp, 0, sizeof hp);
    if (!dist) return sg__nomem(ctx);
    for (size_t x = 0; x < net->nn; x++) dist[x] = INFINITY;
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < ns->n; j++)
        if (ns->e[j] != NONE) rc = seed(net, &c, ns, j, &hp, dist, INFINITY, NULL, NULL);
    while (rc == 0 && hp.n) {
        double d;
        uint32_t x;
        heap_pop(&hp, &d, &x);
        if (d > dist[x]) continue;
        rc = relax_from(net, &c, &hp, dist, x, d, INFINITY, NULL, NULL);
    }
    for (size_t k = 0; rc == 0 && k < net->no; k++) cost[k] = origin_cost(net, &c, ns, dist, k, NONE);
    heap_free(&hp);
    free(dist);
    return rc == 0 ? SG_OK : sg__nomem(ctx);
}

/* ---- pairs: one bounded search per location ---- */
typedef struct loc_pairs {
    uint32_t *o;
    double *d;
    size_t n;
} loc_pairs;

typedef struct npairs_job {
    const sg_network *net;
    const sg_net_services *ns;
    double dmax;
    loc_pairs *out; /* per location */
} npairs_job;

static int npairs_range(void *user, GEOSContextHandle_t h, size_t b, size_t end) {
    (void)h;
    npairs_job *J = user;
    const sg_network *net = J->net;
    costs c = costs_of(net, 0);
    double *dist = malloc((net->nn ? net->nn : 1) * sizeof *dist);
    uint32_t *touched = malloc((net->nn ? net->nn : 1) * sizeof *touched);
    double *best = malloc((net->no ? net->no : 1) * sizeof *best);
    uint32_t *seen = malloc((net->no ? net->no : 1) * sizeof *seen);
    heap hp;
    memset(&hp, 0, sizeof hp);
    int rc = (!dist || !touched || !best || !seen) ? -1 : 0;
    for (size_t x = 0; rc == 0 && x < net->nn; x++) dist[x] = INFINITY;
    for (size_t k = 0; rc == 0 && k < net->no; k++) best[k] = INFINITY;
    for (size_t j = b; rc == 0 && j < end; j++) {
        loc_pairs *lp = &J->out[j];
        if (J->ns->e[j] == NONE) continue;
        size_t nt = 0, nseen = 0;
        hp.n = 0;
        rc = seed(net, &c, J->ns, j, &hp, dist, J->dmax, touched, &nt);
        while (rc == 0 && hp.n) {
            double d;
            uint32_t x;
            heap_pop(&hp, &d, &x);
            if (d > dist[x]) continue;
            rc = relax_from(net, &c, &hp, dist, x, d, J->dmax, touched, &nt);
        }
        /* origins on the edges of the reached nodes, and on the location's own edge */
        for (size_t i = 0; rc == 0 && i <= nt; i++) {
            size_t a0 = i < nt ? net->aoff[touched[i]] : 0, a1 = i < nt ? net->aoff[touched[i] + 1] : 1;
            for (size_t a = a0; a < a1; a++) {
                uint32_t e = i < nt ? net->aedge[a] : J->ns->e[j];
                for (size_t q = net->ooff[e]; q < net->ooff[e + 1]; q++) {
                    uint32_t k = net->oby[q];
                    if (isfinite(best[k]) || best[k] < 0) continue;
                    double v = origin_cost(net, &c, J->ns, dist, k, (uint32_t)j);
                    best[k] = isfinite(v) ? v : -1; /* -1: seen, not reachable */
                    seen[nseen++] = k;
                }
            }
        }
        size_t m = 0;
        for (size_t i = 0; i < nseen; i++) m += best[seen[i]] >= 0 && best[seen[i]] <= J->dmax;
        if (rc == 0 && m) {
            lp->o = malloc(m * sizeof *lp->o);
            lp->d = malloc(m * sizeof *lp->d);
            if (!lp->o || !lp->d) rc = -1;
        }
        for (size_t i = 0; rc == 0 && i < nseen; i++)
            if (best[seen[i]] >= 0 && best[seen[i]] <= J->dmax) {
                lp->o[lp->n] = seen[i];
                lp->d[lp->n++] = best[seen[i]];
            }
        for (size_t i = 0; i < nseen; i++) best[seen[i]] = INFINITY;
        for (size_t i = 0; i < nt; i++) dist[touched[i]] = INFINITY;
    }
    heap_free(&hp);
    free(dist);
    free(touched);
    free(best);
    free(seen);
    return rc;
}

sg_status sg__network_pairs(sg_ctx *ctx, const sg_network *net, const sg_net_services *ns, double dmax,
                            int threads, sg_pairs *out) {
    memset(out, 0, sizeof *out);
    npairs_job J = {net, ns, dmax, calloc(ns->n ? ns->n : 1, sizeof(loc_pairs))};
    sg_status st = J.out ? SG_OK : sg__nomem(ctx);
    if (st == SG_OK) st = sg__parallel(ctx, ns->n, threads, 64, npairs_range, &J);
    size_t total = 0;
    for (size_t j = 0; st == SG_OK && j < ns->n; j++) total += J.out[j].n;
    if (st == SG_OK && total > SG_ACCESS_MAX_PAIRS)
        st = sg__error(ctx, SG_ERR_DATA, "E_TOO_MANY_PAIRS", SG_WHERE_NONE,
                       "%zu origin-service pairs within %g m: too many; lower --catchment or --radius", total, dmax);
    if (st == SG_OK) {
        out->n = net->no;
        out->off = calloc(net->no + 2, sizeof *out->off);
        out->svc = malloc((total ? total : 1) * sizeof *out->svc);
        out->d = malloc((total ? total : 1) * sizeof *out->d);
        if (!out->off || !out->svc || !out->d) st = sg__nomem(ctx);
    }
    if (st == SG_OK) {
        /* transpose: by origin, locations ascending */
        for (size_t j = 0; j < ns->n; j++)
            for (size_t i = 0; i < J.out[j].n; i++) out->off[J.out[j].o[i] + 2]++;
        for (size_t k = 0; k < net->no; k++) out->off[k + 2] += out->off[k + 1];
        for (size_t j = 0; j < ns->n; j++)
            for (size_t i = 0; i < J.out[j].n; i++) {
                size_t p = out->off[J.out[j].o[i] + 1]++;
                out->svc[p] = (uint32_t)j;
                out->d[p] = J.out[j].d[i];
            }
    }
    for (size_t j = 0; J.out && j < ns->n; j++) {
        free(J.out[j].o);
        free(J.out[j].d);
    }
    free(J.out);
    if (st != SG_OK) sg__pairs_free(out);
    return st;
}
