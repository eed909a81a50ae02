/* The road network (--network): a line layer in any CRS, reprojected into the
 * working CRS, noded with GEOS (GEOSNode_r: lines are split where they cross
 * or touch, so a hand-drawn network needs no shared vertices; bridges and
 * tunnels are joined to what they cross, see README), turned into a graph (a
 * node per distinct end point, an edge per noded piece, its length in metres;
 * with --network-speed also its travel time; with --network-oneway the
 * allowed directions); the origins snapped to it. The searches are in
 * network.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gdal.h>
#include <ogr_api.h>

#include "access/access_internal.h"

#define DIR_FWD 1u
#define DIR_BWD 2u

/* ---- a hash map from coordinates to node ids ---- */
typedef struct node_map {
    size_t cap;
    double *x, *y;
    uint32_t *id; /* SG_NET_NONE: empty */
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
    for (size_t i = 0; i < m->cap; i++) m->id[i] = SG_NET_NONE;
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
    while (m->id[i] != SG_NET_NONE) {
        if (m->x[i] == x && m->y[i] == y) return m->id[i];
        i = (i + 1) & (m->cap - 1);
    }
    m->x[i] = x;
    m->y[i] = y;
    m->id[i] = (uint32_t)(*n)++;
    return m->id[i];
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
        sg_net_snap_job J = {net, og->x, og->y, net->oe, net->ot, net->os};
        st = sg__parallel(ctx, og->n, o->threads, 1024, sg__net_snap_range, &J);
    }
    if (st == SG_OK && !sg__net_by_edge(ne, og->n, net->oe, &net->ooff, &net->oby)) st = sg__nomem(ctx);
    if (st == SG_OK) {
        /* districts with an origin off the network */
        size_t *far = malloc((city->n + 1) * sizeof *far), nfar = 0;
        double worst = 0;
        if (!far) st = sg__nomem(ctx);
        for (size_t i = 0; far && i < city->n; i++) {
            int any = 0;
            for (size_t k = og->off[i]; k < og->off[i + 1]; k++)
                if (net->oe[k] == SG_NET_NONE) {
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
