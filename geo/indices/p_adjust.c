/* Multiple-testing adjustment of the local p-values (--p-adjust).
 *
 *  - fdr (default): Benjamini & Hochberg (1995) step-up adjusted p-values,
 *    as R's p.adjust(method = "BH"): with the m finite p sorted ascending,
 *    q_(k) = min over j >= k of min(1, m p_(j) / j). Flagging q <= alpha
 *    controls the false-discovery rate at alpha.
 *  - bonferroni: q = min(1, m p) (the family-wise error rate at alpha).
 *  - none: q = p.
 * m counts the finite p only; a NaN p (an island, a district without data)
 * keeps a NaN q and does not enter m. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

static const char *const padj_names[] = {"fdr", "bonferroni", "none"};

const char *sg__p_adjust_name(int method) {
    return method >= 0 && method <= SG_PADJ_NONE ? padj_names[method] : "unknown";
}

const char *sg__p_adjust_words(int method) {
    return method == SG_PADJ_NONE         ? "unadjusted p"
           : method == SG_PADJ_BONFERRONI ? "Bonferroni-adjusted p"
                                          : "false-discovery-rate adjusted p (Benjamini-Hochberg)";
}

int sg__p_adjust_parse(const char *text) {
    for (int k = 0; k <= SG_PADJ_NONE; k++)
        if (strcmp(text, padj_names[k]) == 0) return k;
    if (strcmp(text, "bh") == 0 || strcmp(text, "BH") == 0) return SG_PADJ_FDR;
    return -1;
}

typedef struct pidx {
    double p;
    size_t i;
} pidx;

static int cmp_pidx(const void *a, const void *b) {
    const pidx *x = a, *y = b;
    if (x->p < y->p) return -1;
    if (x->p > y->p) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int sg__p_adjust(int method, const double *p, size_t n, double *q) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = NAN;
        if (isfinite(p[i])) m++;
    }
    if (method == SG_PADJ_NONE || method == SG_PADJ_BONFERRONI) {
        for (size_t i = 0; i < n; i++)
            if (isfinite(p[i])) q[i] = method == SG_PADJ_NONE ? p[i] : fmin(1.0, (double)m * p[i]);
        return 0;
    }
    if (method != SG_PADJ_FDR) return -1;
    pidx *s = malloc((m ? m : 1) * sizeof *s);
    if (!s) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(p[i])) s[k++] = (pidx){p[i], i};
    qsort(s, m, sizeof *s, cmp_pidx);
    double run = 1.0;
    for (size_t j = m; j-- > 0;) {
        double v = (double)m * s[j].p / (double)(j + 1);
        if (v < run) run = v;
        q[s[j].i] = run;
    }
    free(s);
    return 0;
}
