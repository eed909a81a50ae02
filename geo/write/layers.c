/* The planner-facing layers: objective5.geojson, objective10.geojson and
 * services.geojson, RFC 7946 through OGR's GeoJSON driver (EPSG:4326, right-
 * hand winding, 7 decimals), each written to a temporary name and renamed;
 * they are written with districts.geojson, sharing its lon/lat geometries,
 * on up to two threads (sg__write_geojson_all, geojson.c). --format gpkg and
 * shp write them again in the working CRS (format.c).
 * sg__write_objectives runs the other writers of the objective stage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write_internal.h"

/* ---- map helpers shared with the styles and the report ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int sg__graduated_breaks(const double *v, const unsigned char *mask, size_t n, double lo[5], double hi[5], int *nb) {
    *nb = 0;
    if (!v) return -1;
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && isfinite(v[i])) s[m++] = v[i];
    if (!m) {
        free(s);
        return -1;
    }
    qsort(s, m, sizeof *s, cmp_double);
    double vmin = s[0], vmax = s[m - 1], span = vmax - vmin;
    double step = span > 0 ? pow(10, floor(log10(span)) - 1) : (vmax != 0 ? pow(10, floor(log10(fabs(vmax))) - 2) : 0.01);
    double b[6];
    b[0] = floor(vmin / step) * step;
    b[5] = ceil(vmax / step) * step;
    if (b[5] <= b[0]) b[5] = b[0] + step;
    int k = 1;
    for (int q = 1; q < 5; q++) {
        double x = s[(size_t)floor((double)q / 5.0 * (double)(m - 1) + 0.5)];
        double r = round(x / step) * step;
        if (r > b[k - 1] + 0.5 * step && r < b[5] - 0.5 * step) b[k++] = r;
    }
    b[k] = b[5];
    for (int c = 0; c < k; c++) {
        lo[c] = b[c];
        hi[c] = b[c + 1];
    }
    *nb = k;
    free(s);
    return 0;
}

/* Decimals for a legend: the fewest (0 to 3) that print every bound exactly,
 * the same for every class of the legend. */
static int legend_decimals(const double *b, size_t nb) {
    int dec = 0;
    for (size_t k = 0; k < nb; k++) {
        if (!isfinite(b[k])) continue;
        int d = 0;
        while (d < 3 && fabs(b[k] * pow(10, d) - round(b[k] * pow(10, d))) > 1e-6 * fmax(1, fabs(b[k]) * pow(10, d)))
            d++;
        if (d > dec) dec = d;
    }
    return dec;
}

void sg__range_labels(const double *lo, const double *hi, int nb, sg_unit unit, char (*labels)[SG_LABEL_MAX]) {
    double b[12];
    size_t m = 0;
    int km = 0;
    for (int k = 0; k < nb && k < 5; k++) km |= unit == SG_UNIT_M && hi[k] >= 2000;
    double f = unit == SG_UNIT_PCT ? 100 : km ? 0.001 : 1;
    for (int k = 0; k < nb && k < 5; k++) {
        b[m++] = f * lo[k];
        b[m++] = f * hi[k];
    }
    int dec = legend_decimals(b, m);
    const char *u = unit == SG_UNIT_PCT ? " %" : unit == SG_UNIT_M ? (km ? " km" : " m") : unit == SG_UNIT_MIN ? " min" : "";
    for (int k = 0; k < nb && k < 5; k++)
        snprintf(labels[k], SG_LABEL_MAX, "%.*f \xE2\x80\x93 %.*f%s", dec, f * lo[k], dec, f * hi[k], u);
}

/* ---- layer descriptions ---- */

sg_lf_kind sg__count_kind(const double *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i]) && (v[i] != floor(v[i]) || fabs(v[i]) >= 9007199254740992.0)) return SG_LF_REAL;
    return SG_LF_INT;
}

typedef sg_lfield lfield;

static int add_field(sg_lspec *L, size_t cap, const char *name, sg_lf_kind kind, const double *num,
                     const char *const *text) {
    if (L->nf >= cap) return -1;
    L->f[L->nf++] = (lfield){name, kind, num, text, NULL};
    return 0;
}

static int add_res(sg_lspec *L, size_t cap, const sg_result *r, const char *name) {
    const sg_column *c = sg__res_col(r, name);
    if (!c) return 0;
    return add_field(L, cap, c->name, c->num ? SG_LF_REAL : SG_LF_TEXT, c->num, (const char *const *)c->text);
}

/* Access columns of one service type, by name. */
static int add_access(sg_lspec *L, size_t cap, const sg_result *r, const char *type) {
    size_t tl = strlen(type);
    static const char *const exact[] = {"dist_%s_m", "fca2_%s_per1000", "e2sfca_%s_per1000", "time_%s_min", "beyond_%s"};
    for (int pass = 0; pass < 6; pass++)
        for (size_t k = 0; k < r->ncols; k++) {
            const char *nm = r->cols[k].name;
            int match = 0;
            if (pass == 1) {
                match = strncmp(nm, "count_", 6) == 0 && strncmp(nm + 6, type, tl) == 0 && nm[6 + tl] == '_' &&
                        !strchr(nm + 7 + tl, '_');
            } else {
                char want[256];
                snprintf(want, sizeof want, exact[pass == 0 ? 0 : pass - 1], type);
                match = strcmp(nm, want) == 0;
            }
            sg_lf_kind kind = !r->cols[k].num ? SG_LF_TEXT
                              : pass == 1      ? sg__count_kind(r->cols[k].num, L->n) /* count_TYPE_R */
                              : pass == 5      ? SG_LF_INT                            /* beyond_TYPE: 0/1 */
                                               : SG_LF_REAL;
            if (match && add_field(L, cap, nm, kind, r->cols[k].num,
                                   (const char *const *)r->cols[k].text) != 0)
                return -1;
        }
    return 0;
}

/* Per-layer text and number arrays built for writing. */
typedef struct layer_data {
    const char **cls5, **cls10, **status, **flags10;
    char **note5, **note10, *flagbuf;
    double *conc, *hot, *dist_h, *units, *per1000, *over;
    char **worse_names; /* NAME_worse of each --housing-indicator */
    size_t nind;
} layer_data;

/* The notes most districts share: pointed to, not copied for each district
 * (issue 18: at 10^7 districts the copies were two allocations per district,
 * about 1.3 GB). */
static const char NOTE5_NO_SERVICE[] = "access not assessed: no service data was given";
static const char NOTE10_NO_HOUSING[] = "no housing data was given (--housing, --social-housing-field, "
                                        "--overcrowding-field)";
static const char NOTE5_NO_DISTANCE[] = "no distance to any service";
static const char NOTE5_PARTIAL[] = "within the access standards it has a value for, unknown for another";
static const char NOTE10_CONCENTRATED_WORSE[] = "concentrated, with a housing indicator worse than the city (in "
                                                "gap10_flags): a condition, not a class";

static int note_shared(const char *s) {
    return s == NOTE5_NO_SERVICE || s == NOTE10_NO_HOUSING || s == NOTE5_NO_DISTANCE || s == NOTE5_PARTIAL ||
           s == NOTE10_CONCENTRATED_WORSE;
}

static void layer_data_free(layer_data *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (d->note5 && !note_shared(d->note5[i])) free(d->note5[i]);
        if (d->note10 && !note_shared(d->note10[i])) free(d->note10[i]);
    }
    free(d->cls5);
    free(d->cls10);
    free(d->status);
    free(d->flags10);
    free(d->note5);
    free(d->note10);
    free(d->flagbuf);
    free(d->conc);
    free(d->hot);
    free(d->dist_h);
    free(d->units);
    free(d->per1000);
    free(d->over);
    for (size_t k = 0; d->worse_names && k < d->nind; k++) free(d->worse_names[k]);
    free(d->worse_names);
    memset(d, 0, sizeof *d);
}

static double *nan_array(size_t n) {
    double *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; a && i < n; i++) a[i] = NAN;
    return a;
}

static int build_data(const struct sg_run *run, layer_data *d) {
    const sg_city *c = &run->city;
    const struct sg_gaps *g = run->gaps;
    size_t n = c->n, nn = n ? n : 1;
    memset(d, 0, sizeof *d);
    d->cls5 = calloc(nn, sizeof *d->cls5);
    d->cls10 = calloc(nn, sizeof *d->cls10);
    d->status = calloc(nn, sizeof *d->status);
    d->flags10 = calloc(nn, sizeof *d->flags10);
    d->note5 = calloc(nn, sizeof *d->note5);
    d->note10 = calloc(nn, sizeof *d->note10);
    /* gap10_flags: text only with housing input (else every flag is 0 and
     * the field null; 64 bytes a district touched for nothing, issue 18) */
    size_t fsz = g->assessed10 ? sg__gap10_flags_size(g) : 0;
    d->flagbuf = fsz ? calloc(nn, fsz) : NULL;
    d->conc = nan_array(n);
    d->hot = nan_array(n);
    d->dist_h = nan_array(n);
    d->units = nan_array(n);
    d->per1000 = nan_array(n);
    d->over = nan_array(n);
    d->worse_names = calloc(g->nind ? g->nind : 1, sizeof *d->worse_names);
    if (!d->worse_names) return -1;
    for (size_t k = 0; k < g->nind; k++) {
        if (!(d->worse_names[k] = sg__asprintf("%s_worse", g->hind[k].name))) return -1;
        d->nind = k + 1;
    }
    if (!d->cls5 || !d->cls10 || !d->status || !d->flags10 || !d->note5 || !d->note10 || (fsz && !d->flagbuf) || !d->conc ||
        !d->hot || !d->dist_h || !d->units || !d->per1000 || !d->over)
        return -1;
    for (size_t i = 0; i < n; i++) {
        d->cls5[i] = sg__gap5_name((sg_gap5)g->g5.cls[i]);
        d->cls10[i] = sg__gap10_name((sg_gap10)g->g10.cls[i]);
        d->status[i] = sg__dstatus_name((sg_dstatus)c->status[i]);
        if (fsz) {
            char *fb = d->flagbuf + fsz * i;
            sg__gap10_flags_all(g, i, fb, fsz);
            d->flags10[i] = *fb ? fb : NULL;
        }
        if (g->usable[i]) {
            d->conc[i] = g->g5.concentrated[i];
            d->hot[i] = g->g5.hotspot[i];
        }
        if (g->h.dist_m) d->dist_h[i] = g->h.dist_m[i];
        if (g->h.units) d->units[i] = g->h.units[i];
        if (g->h.overcrowding) d->over[i] = g->h.overcrowding[i];
        d->per1000[i] = g->g10.per_1000[i];
        const char *why = !g->usable[i] ? (c->note[i] ? c->note[i] : "no residents") : NULL;
        if (why) {
            d->note5[i] = sg__asprintf("not assessed: %s", why);
            d->note10[i] = sg__asprintf("not assessed: %s", why);
        } else {
            if (!g->ntypes)
                d->note5[i] = (char *)NOTE5_NO_SERVICE;
            else if (g->g5.cls[i] == SG_GAP5_NO_DATA)
                d->note5[i] = (char *)(g->g5.by_standards && isfinite(g->g5.access_score[i]) ? NOTE5_PARTIAL
                                                                                            : NOTE5_NO_DISTANCE);
            if (!g->assessed10)
                d->note10[i] = (char *)NOTE10_NO_HOUSING;
            else if (g->g10.cls[i] == SG_GAP10_NO_DATA)
                d->note10[i] = sg__asprintf("%s%s%s", g->h.overcrowding && !isfinite(g->h.overcrowding[i]) ?
                                                          "overcrowding unknown" : "",
                                            g->h.overcrowding && !isfinite(g->h.overcrowding[i]) &&
                                                    g->h.units && !isfinite(g->h.units[i]) ? "; " : "",
                                            g->h.units && !isfinite(g->h.units[i]) ? "social housing units unknown"
                                                                                    : "");
            else if (g->g5.concentrated[i] && d->flags10[i] && strstr(d->flags10[i], "_worse"))
                d->note10[i] = (char *)NOTE10_CONCENTRATED_WORSE;
        }
    }
    return 0;
}

static int spec_objective5(const struct sg_run *run, const layer_data *d, sg_lspec *L, const char *const *ids,
                           const char *const *names) {
    const struct sg_gaps *g = run->gaps;
    const sg_result *r = &run->res;
    int rc = 0;
    L->name = "objective5";
    L->n = run->city.n;
    L->city = &run->city;
    rc |= add_field(L, L->cap, "id", SG_LF_TEXT, NULL, ids);
    if (names) rc |= add_field(L, L->cap, "name", SG_LF_TEXT, NULL, names);
    rc |= add_field(L, L->cap, "total", sg__count_kind(run->city.total, run->city.n), run->city.total, NULL);
    rc |= add_field(L, L->cap, "group", sg__count_kind(run->city.group, run->city.n), run->city.group, NULL);
    rc |= add_res(L, L->cap, r, "share");
    rc |= add_res(L, L->cap, r, "lq");
    rc |= add_res(L, L->cap, r, "d_contrib");
    rc |= add_res(L, L->cap, r, "gi_star_z");
    rc |= add_res(L, L->cap, r, "gi_star_p");
    rc |= add_res(L, L->cap, r, "gi_star_q");
    rc |= add_res(L, L->cap, r, "lisa_class");
    for (size_t t = 0; t < g->ntypes; t++) rc |= add_access(L, L->cap, r, g->types[t]);
    rc |= add_field(L, L->cap, "access_score", SG_LF_REAL, g->g5.access_score, NULL);
    rc |= add_field(L, L->cap, "concentrated", SG_LF_INT, d->conc, NULL);
    rc |= add_field(L, L->cap, "hotspot", SG_LF_INT, d->hot, NULL);
    rc |= add_field(L, L->cap, "gap5_class", SG_LF_TEXT, NULL, d->cls5);
    rc |= add_field(L, L->cap, "gap5_score", SG_LF_REAL, g->g5.score, NULL);
    rc |= add_field(L, L->cap, "gap5_rank", SG_LF_INT, g->g5.rank, NULL);
    rc |= add_field(L, L->cap, "gap5_note", SG_LF_TEXT, NULL, (const char *const *)d->note5);
    rc |= add_field(L, L->cap, "status", SG_LF_TEXT, NULL, d->status);
    return rc;
}

static int spec_objective10(const struct sg_run *run, const layer_data *d, sg_lspec *L, const char *const *ids,
                            const char *const *names) {
    const sg_result *r = &run->res;
    int rc = 0;
    L->name = "objective10";
    L->n = run->city.n;
    L->city = &run->city;
    rc |= add_field(L, L->cap, "id", SG_LF_TEXT, NULL, ids);
    if (names) rc |= add_field(L, L->cap, "name", SG_LF_TEXT, NULL, names);
    rc |= add_field(L, L->cap, "total", sg__count_kind(run->city.total, run->city.n), run->city.total, NULL);
    rc |= add_field(L, L->cap, "group", sg__count_kind(run->city.group, run->city.n), run->city.group, NULL);
    rc |= add_res(L, L->cap, r, "share");
    rc |= add_res(L, L->cap, r, "lq");
    rc |= add_field(L, L->cap, "concentrated", SG_LF_INT, d->conc, NULL);
    rc |= add_field(L, L->cap, "social_units", sg__count_kind(d->units, run->city.n), d->units, NULL);
    rc |= add_field(L, L->cap, "social_units_per_1000", SG_LF_REAL, d->per1000, NULL);
    rc |= add_field(L, L->cap, "dist_housing_m", SG_LF_REAL, d->dist_h, NULL);
    rc |= add_field(L, L->cap, "overcrowding", SG_LF_REAL, d->over, NULL);
    const struct sg_gaps *g = run->gaps;
    for (size_t k = 0; k < g->nind; k++) { /* --housing-indicator: NAME (overcrowding is above), NAME_worse */
        if (!g->hind[k].overcrowding) rc |= add_field(L, L->cap, g->hind[k].name, SG_LF_REAL, g->ind[k].value, NULL);
        rc |= add_field(L, L->cap, d->worse_names[k], SG_LF_INT, g->ind[k].worse, NULL);
    }
    rc |= add_field(L, L->cap, "gap10_class", SG_LF_TEXT, NULL, d->cls10);
    rc |= add_field(L, L->cap, "gap10_flags", SG_LF_TEXT, NULL, d->flags10);
    rc |= add_field(L, L->cap, "gap10_note", SG_LF_TEXT, NULL, (const char *const *)d->note10);
    rc |= add_field(L, L->cap, "status", SG_LF_TEXT, NULL, d->status);
    return rc;
}

/* One column of a row-major n x k matrix, copied out (owned by the caller). */
static double *matrix_col(const double *m, size_t n, size_t k, size_t c) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = m[i * k + c];
    return v;
}

static int spec_services(const struct sg_run *run, sg_lspec *L, double **cols) {
    const sg_sites *S = &run->gaps->sites;
    int rc = 0;
    L->name = "services";
    L->n = S->n;
    L->px = S->x;
    L->py = S->y;
    rc |= add_field(L, L->cap, "type", SG_LF_TEXT, NULL, (const char *const *)S->type);
    rc |= add_field(L, L->cap, "name", SG_LF_TEXT, NULL, (const char *const *)S->name);
    rc |= add_field(L, L->cap, "source_fid", SG_LF_INT, S->fid, NULL);
    rc |= add_field(L, L->cap, "capacity", sg__count_kind(S->capacity, S->n), S->capacity, NULL);
    rc |= add_field(L, L->cap, "fca2_per1000", SG_LF_REAL, S->fca2, NULL); /* R_j per 1,000 residents */
    rc |= add_field(L, L->cap, "e2sfca_per1000", SG_LF_REAL, S->e2sfca, NULL);
    rc |= add_field(L, L->cap, "pop_catchment", sg__count_kind(S->pop_catchment, S->n), S->pop_catchment, NULL);
    for (size_t r = 0; r < S->nradius; r++) {
        cols[r] = matrix_col(S->pop_r, S->n, S->nradius, r);
        rc |= cols[r] ? add_field(L, L->cap, S->pop_r_names[r], sg__count_kind(cols[r], S->n), cols[r], NULL) : -1;
    }
    return rc;
}

/* The specs of the objective layers (and services), with what they point to. */
typedef struct layer_set {
    layer_data d;
    double **popcols; /* the services layer's pop_within_R columns */
    lfield *f5, *f10, *fs;
    sg_lspec L5, L10, LS;
    size_t nl; /* 2, or 3 with services */
    size_t npop;
} layer_set;

static void layer_set_free(layer_set *S, size_t n) {
    layer_data_free(&S->d, n);
    for (size_t r = 0; S->popcols && r < S->npop; r++) free(S->popcols[r]);
    free(S->popcols);
    free(S->f5);
    free(S->f10);
    free(S->fs);
    memset(S, 0, sizeof *S);
}

static int layer_set_build(const struct sg_run *run, layer_set *S) {
    const sg_city *c = &run->city;
    const struct sg_gaps *g = run->gaps;
    memset(S, 0, sizeof *S);
    /* room for the fields, from the run: every result column at most once,
     * every --radius (a fixed 256 made 500 --radius values "out of memory"
     * after the whole computation) */
    size_t cap = 32 + run->res.ncols + g->sites.nradius + 2 * g->nind;
    S->f5 = calloc(cap, sizeof *S->f5);
    S->f10 = calloc(cap, sizeof *S->f10);
    S->fs = calloc(cap, sizeof *S->fs);
    S->npop = g->sites.nradius;
    S->popcols = calloc(S->npop ? S->npop : 1, sizeof *S->popcols);
    S->L5.f = S->f5;
    S->L10.f = S->f10;
    S->LS.f = S->fs;
    S->L5.cap = S->L10.cap = S->LS.cap = cap;
    S->nl = g->nsites ? 3 : 2;
    int has_name = c->name && run->rd.fields && run->rd.fields[SG_ROLE_NAME].name;
    if (!S->f5 || !S->f10 || !S->fs || !S->popcols || build_data(run, &S->d) != 0 ||
        spec_objective5(run, &S->d, &S->L5, (const char *const *)c->id, has_name ? (const char *const *)c->name : NULL) ||
        spec_objective10(run, &S->d, &S->L10, (const char *const *)c->id,
                         has_name ? (const char *const *)c->name : NULL) ||
        (g->nsites && spec_services(run, &S->LS, S->popcols)))
        return -1;
    return 0;
}

/* The lspecs of S that --layers asks for (objective5, objective10, services). */
static size_t selected_specs(const struct sg_run *run, layer_set *S, const sg_lspec **out, sg_style_key *keys) {
    unsigned want = run->opts ? run->opts->layers : SG_LAYER_ALL;
    const sg_lspec *all[3] = {&S->L5, &S->L10, &S->LS};
    const unsigned bits[3] = {SG_LAYER_OBJECTIVE5, SG_LAYER_OBJECTIVE10, SG_LAYER_SERVICES};
    const sg_style_key k3[3] = {SG_STYLE_OBJ5, SG_STYLE_OBJ10, SG_STYLE_SERVICES};
    size_t n = 0;
    for (size_t k = 0; k < S->nl; k++)
        if (want & bits[k]) {
            if (keys) keys[n] = k3[k];
            out[n++] = all[k];
        }
    return n;
}

sg_status sg__write_geojson_all(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    const sg_city *c = &run->city;
    int threads = run->opts ? run->opts->threads : 0;
    unsigned want = run->opts ? run->opts->layers : SG_LAYER_ALL;
    double t0 = sg__now();
    sg_lonlat ll, pts;
    memset(&ll, 0, sizeof ll);
    memset(&pts, 0, sizeof pts);
    layer_set S;
    memset(&S, 0, sizeof S);
    const sg_lspec *sel[3];
    size_t nsel = 0;
    sg_status st = SG_OK;
    if (run->gaps) {
        if (layer_set_build(run, &S) != 0) st = sg__nomem(ctx);
        else nsel = selected_specs(run, &S, sel, NULL);
    }
    int polygons = (want & SG_LAYER_DISTRICTS) != 0; /* a polygon layer is written: lon/lat needed */
    for (size_t k = 0; k < nsel; k++) polygons |= !sel[k]->px;
    if (st == SG_OK && polygons)
        st = sg__lonlat_polygons(ctx, (const GEOSGeometry *const *)c->geom_src, c->n, run->rd.crs.src_wkt, threads,
                                 run->districts_path ? run->districts_path : run->out_dir, &ll);
    sg_geojson_layer L[4];
    memset(L, 0, sizeof L);
    char *paths[3] = {NULL, NULL, NULL};
    sg_lfield *dfields = NULL;
    const char **dstatus = NULL;
    size_t nl = 0, first_obj = 0;
    if (st == SG_OK && (want & SG_LAYER_DISTRICTS)) {
        st = sg__districts_layer(ctx, run, run->districts_file, &ll, &L[nl++], &dfields, &dstatus);
        first_obj = 1;
    }
    for (size_t k = 0; st == SG_OK && k < nsel; k++) {
        const sg_lspec *P = sel[k];
        paths[k] = sg__asprintf("%s/%s.geojson", run->dir, P->name);
        if (!paths[k]) {
            st = sg__nomem(ctx);
            break;
        }
        if (P->px) {
            const char *wkt = proj_as_wkt(sg__proj(ctx), run->rd.crs.work, PJ_WKT2_2019, NULL);
            st = sg__lonlat_points(ctx, P->px, P->py, P->n, wkt, paths[k], &pts);
        }
        L[nl++] = (sg_geojson_layer){P->name, paths[k], P->n, P->f, P->nf, P->px ? &pts : &ll,
                                     P->city ? (const char *const *)P->city->id : NULL, NULL, P->name};
    }
    sg__stage_add(ctx, "write.lonlat", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK && nl) st = sg__geojson_write_layers(ctx, L, nl, threads);
    for (size_t k = first_obj; st == SG_OK && k < nl; k++)
        if (sg__written_add(out, L[k].path) != 0) st = sg__nomem(ctx);
    sg__stage_add(ctx, "write.layers", sg__now() - t0);
    if (run->gaps) layer_set_free(&S, c->n);
    for (int k = 0; k < 3; k++) free(paths[k]);
    free(dfields);
    free(dstatus);
    sg__lonlat_free(&pts);
    sg__lonlat_free(&ll);
    return st;
}

/* --format gpkg or shp: the objective layers again, in the working CRS. */
sg_status sg__write_layers(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    if (!out->format || (strcmp(out->format, "gpkg") != 0 && strcmp(out->format, "shp") != 0)) return SG_OK;
    layer_set S;
    sg_status st = layer_set_build(run, &S) == 0 ? SG_OK : sg__nomem(ctx);
    const sg_lspec *sel[3];
    sg_style_key keys[3];
    size_t nsel = st == SG_OK ? selected_specs(run, &S, sel, keys) : 0;
    if (st == SG_OK && nsel && strcmp(out->format, "gpkg") == 0) st = sg__write_gpkg(ctx, run, out, sel, keys, nsel);
    if (st == SG_OK && nsel && strcmp(out->format, "shp") == 0) st = sg__write_shp(ctx, run, out, sel, keys, nsel);
    layer_set_free(&S, run->city.n);
    return st;
}

sg_status sg__write_objectives(sg_ctx *ctx, const struct sg_run *run, sg_written *out) {
    if (!run->gaps) return SG_OK;
    double t0 = sg__now();
    sg_status st = sg__write_layers(ctx, run, out);
    if (out->format && strcmp(out->format, "geojson") != 0)
        sg__stage_add(ctx, "write.format", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK) st = sg__write_qgis(ctx, run, out);
    sg__stage_add(ctx, "write.qgis", sg__now() - t0);
    t0 = sg__now();
    if (st == SG_OK) {
        char *path = sg__asprintf("%s/report.html", run->dir);
        st = path ? sg__write_report(ctx, run, path, out) : sg__nomem(ctx);
        free(path);
    }
    sg__stage_add(ctx, "write.report", sg__now() - t0);
    return st;
}
