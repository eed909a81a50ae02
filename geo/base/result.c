/* Named results: global index values and per-district columns, filled by the
 * index families and read by the writers, which never recompute anything. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

sg_global *sg__result_set(sg_result *r, const char *name, double value, const char *description) {
    sg_global *g = NULL;
    for (size_t i = 0; i < r->ng; i++)
        if (strcmp(r->g[i].name, name) == 0) g = &r->g[i];
    if (!g) {
        if (r->ng == r->capg) {
            size_t cap = r->capg ? r->capg * 2 : 32;
            sg_global *ng = sg__reallocarray(r->g, cap, sizeof *ng);
            if (!ng) return NULL;
            r->g = ng;
            r->capg = cap;
        }
        g = &r->g[r->ng];
        memset(g, 0, sizeof *g);
        g->name = sg__strdup(name);
        if (!g->name) return NULL;
        r->ng++;
    }
    free(g->description);
    g->description = description ? sg__strdup(description) : NULL;
    g->value = value;
    g->p_value = g->null_mean = g->null_sd = g->ci_low = g->ci_high = NAN;
    return g;
}

const sg_global *sg__result_get(const sg_result *r, const char *name) {
    for (size_t i = 0; i < r->ng; i++)
        if (strcmp(r->g[i].name, name) == 0) return &r->g[i];
    return NULL;
}

static sg_column *column(sg_result *r, const char *name) {
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return &r->cols[i];
    if (r->ncols == r->capcols) {
        size_t cap = r->capcols ? r->capcols * 2 : 16;
        sg_column *nc = sg__reallocarray(r->cols, cap, sizeof *nc);
        if (!nc) return NULL;
        r->cols = nc;
        r->capcols = cap;
    }
    sg_column *c = &r->cols[r->ncols];
    memset(c, 0, sizeof *c);
    c->name = sg__strdup(name);
    if (!c->name) return NULL;
    r->ncols++;
    return c;
}

double *sg__result_column(sg_result *r, const char *name) {
    sg_column *c = column(r, name);
    if (!c || c->text) return NULL;
    if (!c->num) {
        c->num = malloc((r->n ? r->n : 1) * sizeof *c->num);
        if (!c->num) return NULL;
        for (size_t i = 0; i < r->n; i++) c->num[i] = NAN;
    }
    return c->num;
}

int sg__result_move_columns(sg_result *r, sg_result *from) {
    for (size_t i = 0; i < from->ncols; i++) {
        sg_column *f = &from->cols[i], *c = column(r, f->name);
        if (!c || (f->num && c->text) || (f->text && c->num)) return -1;
        if (f->num && !c->num) { /* the usual case: a column r does not have yet, moved */
            c->num = f->num;
            f->num = NULL;
        } else if (f->num) {
            memcpy(c->num, f->num, r->n * sizeof *c->num);
        } else if (f->text) {
            if (!c->text && !(c->text = calloc(r->n ? r->n : 1, sizeof *c->text))) return -1;
            for (size_t k = 0; k < r->n; k++) {
                free(c->text[k]);
                c->text[k] = f->text[k];
                f->text[k] = NULL;
            }
        }
    }
    return 0;
}

char **sg__result_text_column(sg_result *r, const char *name) {
    sg_column *c = column(r, name);
    if (!c || c->num) return NULL;
    if (!c->text) c->text = calloc(r->n ? r->n : 1, sizeof *c->text);
    return c->text;
}

void sg__result_free(sg_result *r) {
    for (size_t i = 0; i < r->ng; i++) {
        free(r->g[i].name);
        free(r->g[i].description);
        free(r->g[i].detail);
    }
    free(r->g);
    for (size_t i = 0; i < r->ncols; i++) {
        free(r->cols[i].name);
        free(r->cols[i].num);
        if (r->cols[i].text)
            for (size_t k = 0; k < r->n; k++) free(r->cols[i].text[k]);
        free(r->cols[i].text);
    }
    free(r->cols);
    memset(r, 0, sizeof *r);
}

const sg_column *sg__res_col(const sg_result *r, const char *name) {
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return &r->cols[i];
    return NULL;
}
