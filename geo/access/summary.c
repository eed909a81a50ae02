/* The access stage's results for the summary: summary.json's "access"
 * object (the settings, then one object per service type) and the text
 * summary's table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "access/access.h"

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *src_json(const sg_src_info *s) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", jstr(s->path));
    json_object_object_add(o, "layer", jstr(s->layer));
    json_object_object_add(o, "driver", jstr(s->driver));
    if (s->where) json_object_object_add(o, "where", jstr(s->where));
    json_object_object_add(o, "crs", jstr(s->crs_id ? s->crs_id : s->crs_name));
    json_object_object_add(o, "features", json_object_new_int64(s->features));
    if (s->sha256[0]) json_object_object_add(o, "sha256", jstr(s->sha256));
    return o;
}

static json_object *group_json(const struct sg_access *A, const sg_access_type *T, const sg_access_group *g) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "population", jnum(g->pop));
    json_object_object_add(o, "mean_m", jnum(g->mean));
    json_object_object_add(o, "median_m", jnum(g->median));
    json_object *b = json_object_new_object();
    for (size_t r = 0; r < A->nradius; r++) {
        char key[32];
        snprintf(key, sizeof key, "%.0f", A->radius[r]);
        json_object_object_add(b, key, jnum(g->beyond[r]));
    }
    json_object_object_add(o, "share_beyond_m", b);
    json_object_object_add(o, "unreachable_residents", jnum(g->unreachable));
    json_object_object_add(o, "fca2_per1000_mean", jnum(g->fca2)); /* per 1,000 residents (issue 17) */
    json_object_object_add(o, "e2sfca_per1000_mean", jnum(g->e2sfca));
    if (A->has_time || T->has_tt) json_object_object_add(o, "time_mean_min", jnum(g->time_mean));
    if (T->std.set) json_object_object_add(o, "share_beyond_standard", jnum(T->std_share[g == &T->g[0] ? 0 : 1]));
    return o;
}

static json_object *tt_json(const sg_access_type *T) {
    const sg_tt_info *t = &T->tt;
    json_object *o = src_json(&t->src);
    json_object_object_add(o, "origin_field", jstr(t->origin));
    json_object_object_add(o, "destination_field", jstr(t->dest));
    json_object_object_add(o, "minutes_field", jstr(t->minutes));
    json_object_object_add(o, "rows", json_object_new_int64(t->rows));
    json_object_object_add(o, "districts_with_time", json_object_new_int64((int64_t)t->districts_with_time));
    json_object_object_add(o, "districts_without_row", json_object_new_int64((int64_t)t->districts_without));
    /* --reach and --time-catchment: what is by minutes (null catchment: fca2_/e2sfca_ by metres, settings) */
    json_object *ra = json_object_new_array();
    for (size_t r = 0; r < T->nreach; r++) json_object_array_add(ra, jnum(T->reach[r]));
    json_object_object_add(o, "reach_min", ra);
    json_object_object_add(o, "catchment_min", T->time_catchment > 0 ? jnum(T->time_catchment) : NULL);
    json_object_object_add(o, "bandwidth_min", T->time_catchment > 0 ? jnum(T->time_catchment / 2) : NULL);
    return o;
}

static const char *decay_formula(sg_decay k) {
    switch (k) {
    case SG_DECAY_GAUSSIAN: return "w(d) = exp(-d^2 / (2 h^2)) for d <= d0, else 0";
    case SG_DECAY_LINEAR: return "w(d) = 1 - d / d0 for d <= d0, else 0";
    case SG_DECAY_STEP: return "w(d) = 1 for d <= d0, else 0 (e2sfca = fca2)";
    case SG_DECAY_EXP: return "w(d) = exp(-d / h) for d <= d0, else 0";
    }
    return "";
}

void *sg__access_json(const struct sg_access *A) {
    json_object *root = json_object_new_object();
    json_object *s = json_object_new_object();
    json_object_object_add(s, "distance", jstr(A->mode));
    json_object_object_add(s, "origins", jstr(A->from_points ? "population points (district values: population-"
                                                               "weighted means over their points)"
                                                             : "GEOS point on surface of each district"));
    json_object_object_add(s, "origin_count", json_object_new_int64((int64_t)A->origins));
    if (A->from_points) {
        json_object *p = src_json(&A->pop);
        json_object_object_add(p, "field", jstr(A->pop_field));
        json_object_object_add(p, "points_outside_districts", json_object_new_int64((int64_t)A->points_outside));
        json_object_object_add(p, "districts_without_points", json_object_new_int64((int64_t)A->fallback));
        json_object_object_add(s, "population_points", p);
    }
    json_object *ra = json_object_new_array();
    for (size_t r = 0; r < A->nradius; r++) json_object_array_add(ra, jnum(A->radius[r]));
    json_object_object_add(s, "radius_m", ra);
    json_object_object_add(s, "catchment_m", jnum(A->catchment));
    json_object_object_add(s, "decay", jstr(sg__decay_name(A->decay)));
    json_object_object_add(s, "decay_formula", jstr(decay_formula(A->decay)));
    if (A->decay == SG_DECAY_GAUSSIAN || A->decay == SG_DECAY_EXP)
        json_object_object_add(s, "bandwidth_m", jnum(A->bandwidth));
    json_object_object_add(s, "gap_weights", jstr("nearest distance weighted by each group's residents "
                                                  "(x_i for migrants, t_i - x_i for the rest) over the districts "
                                                  "used in the indices"));
    json_object_object_add(s, "permutations", json_object_new_int(A->permutations));
    if (A->permutations > 0) /* the null of every p-value below (the gaps, the standards) */
        json_object_object_add(s, "null", jstr(sg__null_name(A->null_model)));
    if (A->has_network) {
        const sg_net_info *ni = &A->net;
        json_object *n = src_json(&ni->src);
        json_object_object_add(n, "speed_field", jstr(ni->speed_field));
        json_object_object_add(n, "oneway_field", jstr(ni->oneway_field));
        json_object_object_add(n, "lines", json_object_new_int64(ni->lines));
        json_object_object_add(n, "edges", json_object_new_int64((int64_t)ni->edges));
        json_object_object_add(n, "nodes", json_object_new_int64((int64_t)ni->nodes));
        json_object_object_add(n, "length_km", jnum(ni->length_km));
        json_object_object_add(n, "components", json_object_new_int64((int64_t)ni->components));
        json_object_object_add(n, "largest_component_length_share", jnum(ni->largest_share));
        json_object_object_add(n, "oneway_edges", json_object_new_int64((int64_t)ni->oneway_edges));
        json_object_object_add(n, "max_snap_m", jnum(A->max_snap));
        json_object_object_add(n, "origins_beyond_max_snap", json_object_new_int64((int64_t)ni->origins_far));
        if (A->has_time) json_object_object_add(n, "walk_speed_kmh", jnum(SG_WALK_SPEED_KMH));
        json_object_object_add(s, "network", n);
    }
    json_object_object_add(root, "settings", s);
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        json_object *o = json_object_new_object();
        json_object *in = src_json(&T->src);
        json_object_object_add(in, "capacity_field", jstr(T->capacity));
        json_object_object_add(in, "locations", json_object_new_int64((int64_t)T->locations));
        json_object_object_add(in, "total_capacity", jnum(T->total_capacity));
        json_object_object_add(in, "polygons", json_object_new_int64((int64_t)T->npoly));
        json_object_object_add(in, "multipoints_split", json_object_new_int64((int64_t)T->nsplit));
        json_object_object_add(in, "skipped_without_geometry", json_object_new_int64((int64_t)T->nskipped));
        json_object_object_add(in, "idle_locations", json_object_new_int64((int64_t)T->idle));
        if (A->has_network) json_object_object_add(in, "off_network", json_object_new_int64((int64_t)T->off_network));
        json_object_object_add(o, "input", in);
        if (T->has_tt) json_object_object_add(o, "travel_times", tt_json(T));
        if (T->std.set) {
            json_object *sd = json_object_new_object();
            json_object_object_add(sd, "value", jnum(T->std.value));
            json_object_object_add(sd, "unit", jstr(T->std.unit));
            json_object_object_add(o, "standard", sd);
        }
        json_object_object_add(o, "migrant", group_json(A, T, &T->g[0]));
        json_object_object_add(o, "rest", group_json(A, T, &T->g[1]));
        if (T->std.set) {
            json_object_object_add(o, "share_beyond_standard_gap", jnum(T->std_gap));
            if (isfinite(T->std_null_mean)) {
                json_object_object_add(o, "share_beyond_standard_p_value", jnum(T->std_p));
                json_object_object_add(o, "share_beyond_standard_null_mean", jnum(T->std_null_mean));
                json_object_object_add(o, "share_beyond_standard_null_sd", jnum(T->std_null_sd));
            }
        }
        json_object_object_add(o, "gap_ratio", jnum(T->gap_ratio));
        json_object_object_add(o, "gap_m", jnum(T->gap_m));
        json_object_object_add(o, "e2sfca_ratio",
                               jnum(T->g[1].e2sfca > 0 ? T->g[0].e2sfca / T->g[1].e2sfca : NAN));
        if (isfinite(T->null_mean)) {
            json_object_object_add(o, "p_value", jnum(T->p_value));
            json_object_object_add(o, "null_mean", jnum(T->null_mean));
            json_object_object_add(o, "null_sd", jnum(T->null_sd));
        }
        json_object_object_add(o, "correlation_share_distance", jnum(T->corr_dist));
        json_object_object_add(o, "correlation_share_e2sfca", jnum(T->corr_e2sfca));
        json_object *dd = json_object_new_object();
        json_object_object_add(dd, "with_distance", json_object_new_int64((int64_t)T->districts_with_value));
        json_object_object_add(dd, "unreachable", json_object_new_int64((int64_t)T->unreachable));
        if (T->std.set) {
            json_object_object_add(dd, "beyond_standard", json_object_new_int64((int64_t)T->n_beyond));
            json_object_object_add(dd, "within_standard", json_object_new_int64((int64_t)T->n_within));
        }
        json_object *ids = json_object_new_array();
        for (size_t i = 0; i < T->n_unreachable_ids; i++) json_object_array_add(ids, jstr(T->unreachable_ids[i]));
        json_object_object_add(dd, "unreachable_first_ids", ids);
        json_object_object_add(o, "districts", dd);
        json_object_object_add(root, T->type, o);
    }
    return root;
}

char *sg__access_text(const struct sg_access *A) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "  access      %s distances from %s; catchment %g m, %s decay\n", A->mode,
            A->from_points ? "population points" : "each district's point on surface", A->catchment,
            sg__decay_name(A->decay));
    int perm = A->permutations > 0;
    fprintf(m, "    %-20s %8s %11s %11s %9s %8s%s %11s\n", "service", "n", "migrants m", "rest m", "ratio",
            "gap m", perm ? "        p" : "", "e2sfca m/r");
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        fprintf(m, "    %-20s %8zu %11.0f %11.0f %9.3f %+8.0f", T->type, T->locations, T->g[0].mean, T->g[1].mean,
                T->gap_ratio, T->gap_m);
        if (perm) fprintf(m, " %8.3f", T->p_value);
        fprintf(m, " %11.3f", T->g[1].e2sfca > 0 ? T->g[0].e2sfca / T->g[1].e2sfca : NAN);
        if (T->unreachable) fprintf(m, "   (%zu districts unreachable)", T->unreachable);
        fputc('\n', m);
    }
    for (size_t t = 0; t < A->nt; t++) { /* --reach, --time-catchment */
        const sg_access_type *T = &A->t[t];
        if (!T->nreach && !(T->time_catchment > 0)) continue;
        fprintf(m, "    %-20s by the travel-time table:", T->type);
        for (size_t r = 0; r < T->nreach; r++) fprintf(m, "%s%g", r ? ", " : " counts within ", T->reach[r]);
        if (T->nreach) fprintf(m, " min%s", T->time_catchment > 0 ? ";" : "");
        if (T->time_catchment > 0) fprintf(m, " catchment %g min", T->time_catchment);
        fputc('\n', m);
    }
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        if (!T->std.set) continue;
        fprintf(m, "    %-20s beyond %g %s: migrants %.1f %%, rest %.1f %%, %zu districts", T->type, T->std.value,
                T->std.unit, 100 * T->std_share[0], 100 * T->std_share[1], T->n_beyond);
        if (perm) fprintf(m, " (p %.3f)", T->std_p);
        fputc('\n', m);
    }
    fclose(m);
    return buf;
}
