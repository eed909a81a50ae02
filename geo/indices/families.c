/* The index families sg_analyze runs, in order. A new family is one file
 * (geo/index_<family>.c) and one line here: {name, function, flags}, flags
 * from internal.h: 0, SG_FAM_SPATIAL (uses geometry or d->sp), and/or
 * SG_FAM_NO_PERMUTE (too costly to re-run for each permutation). */
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

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

/* ---- running the families ---- */
typedef struct fam_task {
    const sg_family *fam;
    const sg_data *d;
    sg_ctx *ctx;       /* the task's own: GEOS/PROJ handles and diagnostics are per thread */
    sg_result res;
    sg_status st;
} fam_task;

static void *fam_run(void *arg) {
    fam_task *t = arg;
    t->st = t->fam->fn(t->ctx, t->d, &t->res);
    return NULL;
}

/* Moves task's globals and columns into res (after what is there). */
static sg_status merge(sg_ctx *ctx, sg_result *res, sg_result *from) {
    for (size_t i = 0; i < from->ng; i++) {
        const sg_global *g = &from->g[i];
        sg_global *to = sg__result_set(res, g->name, g->value, g->description);
        if (!to) return sg__nomem(ctx);
        if (g->detail && !(to->detail = sg__strdup(g->detail))) return sg__nomem(ctx);
    }
    if (sg__result_move_columns(res, from) != 0) return sg__nomem(ctx);
    return SG_OK;
}

sg_status sg__run_families(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    const sg_options *o = d->opts;
    fam_task tasks[32];
    size_t nt = 0;
    for (size_t f = 0; f < sg__nfamilies && nt < 32; f++)
        if (!(sg__families[f].flags & SG_FAM_SPATIAL) && sg__family_on(o, sg__families[f].name))
            tasks[nt++] = (fam_task){&sg__families[f], d, NULL, {0}, SG_OK};
    int threads = sg__thread_count(o ? o->threads : 0);
    sg_status st = SG_OK;
    double t0 = sg__now();
    if (threads > 1 && nt > 1 && d->n >= 20000) { /* below that, threads cost more than they save */
        sg_thread th[32] = {{0}};
        int uses[32] = {0}, users = 0;
        /* Two-group evenness and multigroup both sort the districts by share:
         * sorted once here (while the other families run), read by both. */
        for (size_t i = 0; i < nt; i++) {
            const char *nm = tasks[i].fam->name;
            uses[i] = !d->k && !d->by_share && (strcmp(nm, "evenness") == 0 || strcmp(nm, "multigroup") == 0);
            users += uses[i];
        }
        sg_data dd = *d;
        sg_prec *by_share = NULL;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1 && users == 2) {
                by_share = sg__prec_by_ratio(d->x, d->t, d->n); /* NULL: each sorts its own */
                dd.by_share = by_share;
            }
            for (size_t i = 0; i < nt; i++) {
                if ((users == 2 && uses[i]) != (pass == 1)) continue; /* pass 0: all but the sharers */
                tasks[i].d = uses[i] ? &dd : d;
                tasks[i].ctx = sg_ctx_create();
                tasks[i].res.n = res->n;
                if (!tasks[i].ctx) tasks[i].st = SG_ERR_NOMEM;
                else if (sg__thread_start(&th[i], fam_run, &tasks[i]) != 0) fam_run(&tasks[i]);
            }
        }
        for (size_t i = 0; i < nt; i++) sg__thread_join(&th[i]);
        free(by_share);
        for (size_t i = 0; i < nt; i++) {
            if (tasks[i].ctx) sg__ctx_absorb(ctx, tasks[i].ctx);
            if (st == SG_OK && tasks[i].st != SG_OK) st = tasks[i].st == SG_ERR_NOMEM ? sg__nomem(ctx) : tasks[i].st;
            if (st == SG_OK) st = merge(ctx, res, &tasks[i].res);
            sg__result_free(&tasks[i].res);
            sg_ctx_destroy(tasks[i].ctx);
        }
    } else {
        for (size_t i = 0; st == SG_OK && i < nt; i++)
            if ((st = sg__check_cancel(ctx)) == SG_OK) st = tasks[i].fam->fn(ctx, d, res);
    }
    sg__stage_add(ctx, "indices.aspatial", sg__now() - t0);
    for (size_t f = 0; st == SG_OK && f < sg__nfamilies; f++)
        if ((sg__families[f].flags & SG_FAM_SPATIAL) && sg__family_on(o, sg__families[f].name) &&
            (st = sg__check_cancel(ctx)) == SG_OK) {
            t0 = sg__now();
            st = sg__families[f].fn(ctx, d, res);
            sg__stage_add(ctx, "indices.spatial", sg__now() - t0);
        }
    return st;
}

unsigned sg__spatial_skip(const sg_options *o) {
    unsigned skip = 0;
    if (!sg__family_on(o, "spatial_evenness") && !sg__family_on(o, "spatial_proximity_profile") &&
        !sg__family_on(o, "local_spatial"))
        skip |= SG_SP_SKIP_CONTIG;
    if (!sg__family_on(o, "local_spatial") && !(o && o->nscales)) skip |= SG_SP_SKIP_POINTS; /* --scales: profile.c */
    if (!sg__family_on(o, "centralization")) skip |= SG_SP_SKIP_CENTRE;
    if (!sg__family_on(o, "clustering")) skip |= SG_SP_SKIP_KERNEL;
    return skip;
}
