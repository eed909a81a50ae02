/* --by: the mutual information index M (multi_divergence, Theil's
 * information index on the multigroup frame: --groups plus the rest, or
 * [group, everyone else]) split exactly into a between-region part (regions
 * taken as units) and a within-region part (issue 20 item 3):
 *   M = Σ_r (T_r/T) KL(p_r || P) + Σ_r (T_r/T) M_r,
 *   M_r = Σ_{i in r} (t_i/T_r) KL(p_i || p_r),  KL(a || b) = Σ_k a_k ln(a_k/b_k)
 * (0 ln 0 = 0). Unlike H, M needs no entropy weights: it is the mean of the
 * districts' local_segregation. A district without a region is its own
 * region (between). With two groups each part is E times H's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "indices/indices.h"

static double cnt(const sg_data *d, size_t i, size_t g) {
    if (d->k) return d->m[i * d->k + g];
    return g == 0 ? d->x[i] : d->t[i] - d->x[i];
}

/* KL divergence of the row v (total tv) from the composition q (total tq). */
static double kl(const double *v, double tv, const double *q, double tq, size_t K) {
    sg_ksum s = {0, 0};
    for (size_t g = 0; g < K; g++)
        if (v[g] > 0) sg__ksum_add(&s, (v[g] / tv) * log((v[g] / tv) / (q[g] / tq)));
    return sg__ksum_get(&s);
}

int sg__regions_mutual(const sg_data *d, const size_t *of, size_t nr, double *total, double *between,
                       double *within) {
    size_t K = d->k ? d->k : 2, n = d->n;
    double *R = calloc((nr + 1) * K, sizeof *R), *row = malloc(K * sizeof *row); /* R[nr]: the city */
    double *RT = calloc(nr + 1, sizeof *RT);
    if (!R || !row || !RT) {
        free(R);
        free(row);
        free(RT);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < K; g++) {
            double v = cnt(d, i, g);
            R[nr * K + g] += v;
            RT[nr] += v;
            if (of[i] < nr) {
                R[of[i] * K + g] += v;
                RT[of[i]] += v;
            }
        }
    int ok = RT[nr] > 0;
    for (size_t g = 0; g < K; g++) ok &= R[nr * K + g] > 0;
    sg_ksum M = {0, 0}, B = {0, 0}, W = {0, 0};
    const double *P = R + nr * K;
    double T = RT[nr];
    for (size_t i = 0; ok && i < n; i++) {
        double ti = 0;
        for (size_t g = 0; g < K; g++) ti += row[g] = cnt(d, i, g);
        if (!(ti > 0)) continue;
        double li = kl(row, ti, P, T, K);
        sg__ksum_add(&M, ti / T * li);
        if (of[i] < nr) sg__ksum_add(&W, ti / T * kl(row, ti, R + of[i] * K, RT[of[i]], K));
        else sg__ksum_add(&B, ti / T * li);
    }
    for (size_t r = 0; ok && r < nr; r++)
        if (RT[r] > 0) sg__ksum_add(&B, RT[r] / T * kl(R + r * K, RT[r], P, T, K));
    *total = ok ? sg__ksum_get(&M) : NAN;
    *between = ok ? sg__ksum_get(&B) : NAN;
    *within = ok ? sg__ksum_get(&W) : NAN;
    free(R);
    free(row);
    free(RT);
    return ok;
}

static json_object *jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

void sg__regions_mutual_json(const struct sg_regions *R, void *o) {
    if (!R->have_m) return;
    json_object *m = json_object_new_object();
    json_object_object_add(m, "total", jnum(R->m_total));
    json_object_object_add(m, "between", jnum(R->m_between));
    json_object_object_add(m, "within", jnum(R->m_within));
    json_object_object_add(m, "between_share", jnum(R->m_total > 0 ? R->m_between / R->m_total : NAN));
    json_object_object_add(m, "note", json_object_new_string(
        "the mutual information index M (multi_divergence, natural log) = between (regions as units) + within "
        "(sum over regions of T_r/T times the region's own M); the districts' mean local_segregation"));
    json_object_object_add(o, "mutual_information_decomposition", m);
}
