/* Shortest paths on the road network (--network; the graph is built in
 * network_build.c).
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

#include "access/access_internal.h"

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

/* Snaps (x, y): edge, position 0..1 and distance; SG_NET_NONE when beyond max_snap. */
static int snap_point(GEOSContextHandle_t h, const sg_network *net, double x, double y, uint32_t *e, double *t,
                      double *d) {
    snap_q q = {net, x, y};
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    if (!pt) return -1;
    const size_t *best = GEOSSTRtree_nearest_generic_r(h, net->tree, &q, pt, snap_cb, &q);
    GEOSGeom_destroy_r(h, pt);
    *e = SG_NET_NONE;
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

int sg__net_snap_range(void *user, GEOSContextHandle_t h, size_t b, size_t end) {
    sg_net_snap_job *J = user;
    for (size_t k = b; k < end; k++) {
        int r = snap_point(h, J->net, J->x[k], J->y[k], &J->e[k], &J->t[k], &J->d[k]);
        if (r != 0) return r;
    }
    return 0;
}

int sg__net_by_edge(size_t ne, size_t n, const uint32_t *e, size_t **off_out, uint32_t **by_out) {
    size_t *off = calloc(ne + 2, sizeof *off);
    uint32_t *by = malloc((n ? n : 1) * sizeof *by);
    if (!off || !by) {
        free(off);
        free(by);
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        if (e[k] != SG_NET_NONE) off[e[k] + 2]++;
    for (size_t x = 0; x < ne; x++) off[x + 2] += off[x + 1];
    for (size_t k = 0; k < n; k++)
        if (e[k] != SG_NET_NONE) by[off[e[k] + 1]++] = (uint32_t)k;
    *off_out = off; /* off[x] .. off[x+1]: items of edge x */
    *by_out = by;
    return 1;
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
        sg_net_snap_job J = {(sg_network *)net, s->x, s->y, ns->e, ns->t, ns->snap};
        st = sg__parallel(ctx, s->n, 1, 1024, sg__net_snap_range, &J);
    }
    if (st == SG_OK && !sg__net_by_edge(net->ne, s->n, ns->e, &ns->soff, &ns->sby)) st = sg__nomem(ctx);
    long long first = -1;
    for (size_t j = 0; st == SG_OK && j < s->n; j++)
        if (ns->e[j] == SG_NET_NONE) {
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
 * the locations on its own edge (only location j when only_j != SG_NET_NONE). */
static double origin_cost(const sg_network *net, const costs *c, const sg_net_services *ns, const double *dist,
                          size_t k, uint32_t only_j) {
    uint32_t e = net->oe[k];
    if (e == SG_NET_NONE) return INFINITY;
    double s = net->ot[k], best = INFINITY;
    if (isfinite(c->cb[e])) best = fmin(best, s * c->cb[e] + dist[net->eu[e]]);
    if (isfinite(c->cf[e])) best = fmin(best, (1 - s) * c->cf[e] + dist[net->ev[e]]);
    for (size_t q = ns->soff[e]; q < ns->soff[e + 1]; q++) {
        uint32_t j = ns->sby[q];
        if (only_j != SG_NET_NONE && j != only_j) continue;
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
        if (ns->e[j] != SG_NET_NONE) rc = seed(net, &c, ns, j, &hp, dist, INFINITY, NULL, NULL);
    while (rc == 0 && hp.n) {
        double d;
        uint32_t x;
        heap_pop(&hp, &d, &x);
        if (d > dist[x]) continue;
        rc = relax_from(net, &c, &hp, dist, x, d, INFINITY, NULL, NULL);
    }
    for (size_t k = 0; rc == 0 && k < net->no; k++) cost[k] = origin_cost(net, &c, ns, dist, k, SG_NET_NONE);
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
        if (J->ns->e[j] == SG_NET_NONE) continue;
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
