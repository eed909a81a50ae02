/* report.html: the multiscalar segregation profile (--scales; issue 20 item
 * 2) as an inline SVG line chart, index against distance, one line per index
 * (Okabe-Ito colours, the information theory index dashed: it is often on
 * Theil's H), the aspatial value at d = 0, and the values in a table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "write/write_internal.h"

static const unsigned line_rgb[SG_PROFILE_NIDX] = {0xE69F00, 0x0072B2, 0x009E73, 0xD55E00};
static const char *const line_label[SG_PROFILE_NIDX] = {"Dissimilarity D", "Entropy (Theil's H)", "Isolation xPx",
                                                         "Information theory (multigroup H)"};

static int cmp_dist(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sg__report_profile(FILE *m, const struct sg_run *run) {
    const sg_profile *p = run->profile;
    if (!p || !p->nd) return;
    /* points sorted by distance, d = 0 first (the aspatial values) */
    size_t np = p->nd + 1;
    double *pt = malloc(np * 2 * sizeof *pt); /* (distance, slot in p: -1 aspatial) */
    if (!pt) return;
    pt[0] = 0;
    pt[1] = -1;
    for (size_t s = 0; s < p->nd; s++) {
        pt[2 * (s + 1)] = p->dist[s];
        pt[2 * (s + 1) + 1] = (double)s;
    }
    qsort(pt, np, 2 * sizeof *pt, cmp_dist);
    double xmax = pt[2 * (np - 1)], ymax = 0;
    for (int q = 0; q < SG_PROFILE_NIDX; q++) {
        if (isfinite(p->aspatial[q])) ymax = fmax(ymax, p->aspatial[q]);
        for (size_t s = 0; s < p->nd; s++)
            if (isfinite(p->val[q][s])) ymax = fmax(ymax, p->val[q][s]);
    }
    if (!(xmax > 0)) xmax = 1;
    ymax = ymax > 0 ? ceil(ymax * 10.5) / 10 : 1;
    const double W = 640, H = 320, L = 56, R = 16, T = 16, B = 44;
    fputs("<section id=\"profile\">\n<h2>Segregation at every scale</h2>\n", m);
    fprintf(m, "<p>Each index computed on the districts' <i>local environments</i>: the residents within the distance "
               "of each district, weighted by the %s kernel (Reardon et al. 2008; computed as PySAL segregation "
               "2.5, kernel sums %s). A curve that falls fast means segregation at the scale of blocks; "
               "one that stays high means whole quarters differ. At 0 m: the indices of the districts "
               "themselves.</p>\n",
            sg__scale_kernel_name(p->kernel), p->rounded ? "rounded to whole persons" : "not rounded");
    fprintf(m, "<figure><svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
               "aria-label=\"segregation profile\" font-size=\"11\">\n", W, H, W, H);
    double pw = W - L - R, ph = H - T - B;
    for (int k = 0; k <= 4; k++) { /* horizontal grid and y labels */
        double v = ymax * k / 4, y = T + ph - ph * k / 4;
        fprintf(m, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
                L, y, L + pw, y, L - 6, y + 4, v);
    }
    for (size_t k = 0; k < np; k++) { /* x ticks at the distances */
        double x = L + pw * pt[2 * k] / xmax;
        if (k > 0 && pt[2 * k] == pt[2 * (k - 1)]) continue;
        fprintf(m, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                x, T + ph, x, T + ph + 4, x, T + ph + 16, pt[2 * k]);
    }
    fprintf(m, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">distance (m)</text>\n", L + pw / 2, H - 8);
    for (int q = 0; q < SG_PROFILE_NIDX; q++) {
        fprintf(m, "<polyline fill=\"none\" stroke=\"#%06X\" stroke-width=\"2\"%s points=\"", line_rgb[q],
                q == SG_PROFILE_MIT ? " stroke-dasharray=\"6 4\"" : "");
        for (size_t k = 0; k < np; k++) {
            double v = pt[2 * k + 1] < 0 ? p->aspatial[q] : p->val[q][(size_t)pt[2 * k + 1]];
            if (isfinite(v)) fprintf(m, "%.1f,%.1f ", L + pw * pt[2 * k] / xmax, T + ph - ph * v / ymax);
        }
        fputs("\"/>\n", m);
        fprintf(m, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"3\" fill=\"#%06X\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                L + pw - 230, T + 8 + 16.0 * q, line_rgb[q], L + pw - 212, T + 12 + 16.0 * q, line_label[q]);
    }
    fputs("</svg><figcaption>Segregation profile: each index against the bandwidth of the local "
          "environment.</figcaption></figure>\n<table>\n<tr><th>Distance (m)</th>", m);
    for (int q = 0; q < SG_PROFILE_NIDX; q++) fprintf(m, "<th>%s</th>", line_label[q]);
    fputs("</tr>\n", m);
    for (size_t k = 0; k < np; k++) {
        fprintf(m, "<tr><td>%g</td>", pt[2 * k]);
        for (int q = 0; q < SG_PROFILE_NIDX; q++) {
            double v = pt[2 * k + 1] < 0 ? p->aspatial[q] : p->val[q][(size_t)pt[2 * k + 1]];
            if (isfinite(v)) fprintf(m, "<td>%.4f</td>", v);
            else fputs("<td>undefined</td>", m);
        }
        fputs("</tr>\n", m);
    }
    fputs("</table>\n</section>\n", m);
    free(pt);
}
