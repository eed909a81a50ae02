/* report.html: the access standards (issue 17). With --standard the
 * objective 5 section leads with one sentence per standard ("9 % of migrants
 * and 4 % of other residents live more than 1 km from a school"), the test of
 * their difference, and the rule that made the map. Without a standard it
 * writes nothing and report.c explains the median rule. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "write/write_internal.h"

/* "a school", "an office", "a health centre" (health_centre): the type in words. */
static void type_words(FILE *m, const char *type, int article) {
    char buf[40];
    snprintf(buf, sizeof buf, "%s", type);
    for (char *p = buf; *p; p++)
        if (*p == '_') *p = ' ';
    int vowel = strchr("aeiouAEIOU", buf[0]) != NULL && strncmp(buf, "uni", 3) != 0;
    if (article) fputs(vowel ? "an " : "a ", m);
    sg__html_esc(m, buf);
}

/* "1 km", "500 m", "10 minutes" */
static void standard_words(FILE *m, const sg_standard *s) {
    if (s->minutes) fprintf(m, "%g minute%s", s->value, s->value == 1 ? "" : "s");
    else if (s->limit >= 1000) fprintf(m, "%g km", s->limit / 1000);
    else fprintf(m, "%g m", s->limit);
}

static void pct(FILE *m, double v) {
    if (!isfinite(v)) fputs("–", m);
    else if (v > 0 && v < 0.01) fputs("under 1 %", m);
    else fprintf(m, "%.0f %%", 100 * v);
}

int sg__report_standards(FILE *m, const struct sg_run *run) {
    const struct sg_access *A = run->access;
    if (!A || !run->gaps || !run->gaps->g5.by_standards) return 0;
    fputs("<div class=\"lead\">\n", m);
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        if (!T->std.set) continue;
        fputs("<p><b>", m);
        pct(m, T->std_share[0]);
        fputs(" of migrants and ", m);
        pct(m, T->std_share[1]);
        fputs(" of other residents live more than ", m);
        standard_words(m, &T->std);
        fputs(" from ", m);
        type_words(m, T->type, 1);
        fputs("</b>", m);
        if (T->std.minutes) fputs(" (by travel time)", m);
        fprintf(m, " — %zu district%s beyond this standard.", T->n_beyond, T->n_beyond == 1 ? "" : "s");
        if (isfinite(T->std_p))
            fprintf(m, " The permutation test of the difference gives p = %.3f: %s", T->std_p,
                    T->std_p <= 0.05 ? "a difference this large would be unlikely if where people live did not "
                                       "depend on migration background."
                                     : "a difference like this could well arise by chance alone.");
        fputs("</p>\n", m);
    }
    fputs("</div>\n", m);
    return 1;
}

int sg__report_standards_rule(FILE *m, const struct sg_run *run) {
    const struct sg_access *A = run->access;
    if (!A || !run->gaps || !run->gaps->g5.by_standards) return 0;
    fputs("It is <b>underserved</b> when ", m);
    int first = 1;
    size_t left = 0;
    for (size_t t = 0; t < A->nt; t++) left += A->t[t].std.set;
    for (size_t t = 0; t < A->nt; t++) {
        const sg_access_type *T = &A->t[t];
        if (!T->std.set) continue;
        left--;
        if (!first) fputs(left ? ", " : " or ", m);
        first = 0;
        fputs("its nearest ", m);
        type_words(m, T->type, 0);
        fputs(" is more than ", m);
        standard_words(m, &T->std);
        fputs(" away", m);
    }
    fputs(" (the access standards); within all of them it is served. Service types without a standard count in the "
          "priority score only.</p>\n",
          m);
    return 1;
}
