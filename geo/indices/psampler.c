/* The person-level permutation null, fast: a uniformly random redistribution
 * of the city's G group members among its T residents, keeping every
 * district's total t_i. The counts x_i it gives follow the multivariate
 * hypergeometric law, the same law as drawing x_i district by district from
 * the hypergeometric law of the residents not yet assigned (permute.c's
 * reference sampler), but in O(n) table look-ups instead of O(n) calls to a
 * general hypergeometric sampler.
 *
 * Method (exact, by symmetry):
 *  1. every resident joins the group independently with probability
 *     p = G/T (the smaller side is drawn, p <= 1/2), i.e. x_i ~ Binomial(t_i, p);
 *     this labelling is invariant under any permutation of the residents;
 *  2. S = sum x_i differs from G by about sqrt(T p (1-p)) residents; if S > G,
 *     S - G of the S members, chosen uniformly without replacement, leave the
 *     group; if S < G, G - S of the T - S others, chosen the same way, join.
 *  Step 2 is also invariant under permutations of the residents, so the final
 *  set of members is invariant too; having exactly G members, it is a uniform
 *  G-subset of the residents: the person-level permutation null, exactly.
 *
 * Binomial draws come from alias tables (Walker 1977, Vose 1991) built once
 * per run: for each total t < L that occurs, and for L * 2^j (totals above L
 * are split into their low part and binary blocks: a sum of independent
 * binomials with the same p is binomial). L is 8192 when each such total has
 * on average at least 64 districts (a city of 10^6: one table per total, one
 * draw per district); else 512, so that the tables stay in cache (a city of
 * 10^4 or 10^5 districts with thousands of distinct totals: two or three
 * draws per district from tables that fit in 1 MB). A table covers
 * the values whose probability relative to the mode is above 1e-16 (the rest,
 * < 1e-15 of the mass, is never drawn), and each column's keep probability is
 * held to 48 bits (2^-48 = 3.6e-15): the law is the binomial's to about
 * 1e-14 in total variation, far below the resolution of any p-value (1/1000
 * for 999 replicates). Tables are padded to a power-of-two width with
 * columns of probability 0, so that a draw is one 64-bit random number (its
 * top bits the column, its low 48 bits the coin), one 8-byte load, and no
 * multiplication or data-dependent branch. Counts are held in 32 bits (the
 * sampler declines totals of 2^32 or more).
 *
 * Districts are drawn in order of their total so that consecutive draws use
 * the same table, and the next total's table is prefetched while the current
 * one is drawn from (the tables of a city do not fit in cache); the counts are returned in that order
 * (sg__psampler_order) or scattered back to the caller's order. The result is
 * a deterministic function of the rng state, whatever the thread count.
 *
 * Step 1 alone (sg__psampler_draw_binomial) is the evenness null: every
 * district's count drawn from Binomial(t_i, G/T), the city total left free.
 *
 * A permutation test of D, xPx and xPy alone needs no counts: the draw sums
 * the districts' terms as it goes (sg__psampler_draw_basic) and the
 * correction step adjusts the sums of the districts it changes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices.h"

#define SG_PS_LOW 8192u             /* totals below this have their own table */
#define SG_PS_MAX_WIDTH 65536u      /* a wider table (sd > ~3800) is refused */

/* A column: the top 48 bits of the keep threshold (its own value is drawn
 * when the coin's top 48 bits are below them) and the alias (offset from lo). */
typedef uint64_t ps_cell;
#define CELL(keep48, alias) (((uint64_t)(keep48) << 16) | (uint64_t)(alias))

typedef struct ps_table {
    uint64_t lo;       /* smallest value in the table */
    uint64_t w;        /* number of columns: a power of two, 2 to 2^16 */
    unsigned bits;     /* log2(w) */
    ps_cell *cell;
} ps_table;

/* A run of districts with the same total below L, in draw order. */
typedef struct ps_group {
    const ps_table *tb; /* its table */
    uint64_t t;         /* the total */
    size_t end;         /* end (exclusive) of the run */
} ps_group;

struct sg_psampler {
    size_t n;
    uint32_t *order;        /* draw order: districts by total */
    uint64_t *t;            /* totals in draw order (all below 2^32) */
    uint64_t L;             /* totals below L have their own table (8192 or 512) */
    unsigned Lbits;         /* log2(L) */
    size_t ngroups;         /* runs of equal totals below L, in draw order; districts
                               after the last run (totals >= L) are drawn one by one */
    ps_group *grp;
    uint64_t T, G;          /* residents, group members (the side that is drawn) */
    int flip;               /* 1: the drawn side is the complement of the group */
    double p;
    ps_table *low;          /* [SG_PS_LOW], tables for the totals below L that occur */
    ps_table block[48];     /* Binomial(L << j) for the bits that occur */
};

/* pmf of Binomial(m, p) relative to its mode, recurrence outwards, into a table. */
static int build_table(ps_table *tb, uint64_t m, double p) {
    if (tb->cell) return 0;
    double q = 1 - p, r = p / q;
    uint64_t mode = (uint64_t)floor((double)(m + 1) * p);
    if (mode > m) mode = m;
    const double cut = 1e-16;
    /* extent first */
    uint64_t hi = mode, lo = mode;
    for (double f = 1; hi < m;) {
        double nf = f * (double)(m - hi) / (double)(hi + 1) * r;
        if (nf < cut) break;
        f = nf;
        hi++;
    }
    for (double f = 1; lo > 0;) {
        double nf = f * (double)lo / (double)(m - lo + 1) / r;
        if (nf < cut) break;
        f = nf;
        lo--;
    }
    if (hi - lo + 1 > SG_PS_MAX_WIDTH) return -1;
    /* the values, then columns of probability 0 up to a power of two, so
     * that a draw picks its column with a shift (their alias is a value) */
    uint32_t nv = (uint32_t)(hi - lo + 1), w = 2;
    unsigned bits = 1;
    while (w < nv) w *= 2, bits++;
    long double *f = malloc((size_t)w * sizeof *f);
    uint32_t *stack = malloc(2 * (size_t)w * sizeof *stack);
    tb->cell = malloc((size_t)w * sizeof *tb->cell);
    if (!f || !stack || !tb->cell) {
        free(f);
        free(stack);
        free(tb->cell);
        tb->cell = NULL;
        return -1;
    }
    for (uint32_t k = nv; k < w; k++) f[k] = 0;
    f[mode - lo] = 1;
    for (uint64_t k = mode; k < hi; k++)
        f[k + 1 - lo] = f[k - lo] * (long double)(m - k) / (long double)(k + 1) * (long double)r;
    for (uint64_t k = mode; k > lo; k--)
        f[k - 1 - lo] = f[k - lo] * (long double)k / (long double)(m - k + 1) / (long double)r;
    long double sum = 0;
    for (uint32_t k = 0; k < nv; k++) sum += f[k];
    /* Vose: f[k] becomes w * P(k), columns below 1 are topped up from ones above. */
    uint32_t *small = stack, *large = stack + w, ns = 0, nl = 0;
    for (uint32_t k = 0; k < w; k++) {
        f[k] = f[k] / sum * (long double)w;
        if (f[k] < 1) small[ns++] = k;
        else large[nl++] = k;
    }
    const long double two48 = 281474976710656.0L, all = two48 - 1;
    while (ns && nl) {
        uint32_t a = small[--ns], b = large[nl - 1];
        long double keep = roundl(f[a] * two48);
        tb->cell[a] = CELL(keep >= all ? all : keep, b);
        f[b] -= 1 - f[a];
        if (f[b] < 1) {
            nl--;
            small[ns++] = b;
        }
    }
    /* what is left has probability 1 up to rounding: always kept (a keep of
     * 2^48 - 1 loses 2^-48 of the column to itself, the same value) */
    while (nl) {
        uint32_t b = large[--nl];
        tb->cell[b] = CELL(all, b);
    }
    while (ns) {
        uint32_t a = small[--ns];
        tb->cell[a] = a < nv ? CELL(all, a) : CELL(0, mode - lo); /* a padding column: never its own */
    }
    tb->lo = lo;
    tb->w = w;
    tb->bits = bits;
    free(f);
    free(stack);
    return 0;
}

/* One 64-bit random number: its top `bits` bits pick the column, its low 48
 * bits are the coin (bits <= 16: the two never overlap). */
static inline uint64_t draw(const ps_table *tb, sg_rng *rng) {
    uint64_t r = sg__rng_next_inline(rng), col = r >> (64 - tb->bits), coin = r & 0xFFFFFFFFFFFFu;
    ps_cell c = tb->cell[col];
    return tb->lo + (coin < (c >> 16) ? col : (c & 0xFFFF));
}

static inline uint64_t binom(const sg_psampler *s, uint64_t t, sg_rng *rng) {
    uint64_t v = draw(&s->low[t & (s->L - 1)], rng);
    t >>= s->Lbits;
    for (; t; t &= t - 1) /* the set bits only: one hard-to-predict branch per district */
        v += draw(&s->block[__builtin_ctzll(t)], rng);
    return v;
}

void sg__psampler_free(sg_psampler *s) {
    if (!s) return;
    if (s->low)
        for (size_t i = 0; i < SG_PS_LOW; i++) free(s->low[i].cell);
    for (size_t j = 0; j < sizeof s->block / sizeof s->block[0]; j++) free(s->block[j].cell);
    free(s->low);
    free(s->grp);
    free(s->order);
    free(s->t);
    free(s);
}

static const uint64_t *big_key;
static int cmp_big(const void *a, const void *b) {
    uint64_t x = big_key[*(const uint32_t *)a], y = big_key[*(const uint32_t *)b];
    if (x != y) return x < y ? -1 : 1;
    return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* Counting sort of the districts by total (stable): totals below SG_PS_LOW
 * by their value, larger ones after them sorted by total (qsort: few). */
static int order_by_total(const uint64_t *t, size_t n, uint32_t *order) {
    size_t *count = calloc(SG_PS_LOW + 1, sizeof *count);
    if (!count) return -1;
    for (size_t i = 0; i < n; i++) count[t[i] < SG_PS_LOW ? t[i] : SG_PS_LOW]++;
    size_t pos = 0;
    for (size_t v = 0; v <= SG_PS_LOW; v++) {
        size_t c = count[v];
        count[v] = pos;
        pos += c;
    }
    for (size_t i = 0; i < n; i++) order[count[t[i] < SG_PS_LOW ? t[i] : SG_PS_LOW]++] = (uint32_t)i;
    size_t first_big = count[SG_PS_LOW - 1];
    free(count);
    big_key = t; /* not thread-safe, but creation runs on one thread */
    qsort(order + first_big, n - first_big, sizeof *order, cmp_big);
    return 0;
}

/* The tables the districts need, built on two threads (every table is
 * independent: a city of 10^6 has thousands, 0.15 s on one core). */
typedef struct ps_build {
    ps_table *tb;
    uint64_t m;
} ps_build;
typedef struct ps_build_job {
    const ps_build *list;
    size_t n, start;
    double p;
    int bad;
} ps_build_job;

static void *build_some(void *arg) {
    ps_build_job *j = arg;
    for (size_t i = j->start; i < j->n && !j->bad; i += 2) j->bad |= build_table(j->list[i].tb, j->list[i].m, j->p);
    return NULL;
}

static int build_tables(sg_psampler *s) {
    ps_build *list = malloc((SG_PS_LOW + 48) * sizeof *list);
    unsigned char *seen = calloc(SG_PS_LOW + 48, 1);
    if (!list || !seen) {
        free(list);
        free(seen);
        return -1;
    }
    size_t nl = 0;
    for (size_t k = 0; k < s->n; k++) {
        uint64_t v = s->t[k], low = v & (s->L - 1);
        if (!seen[low]) {
            seen[low] = 1;
            list[nl++] = (ps_build){&s->low[low], low};
        }
        v >>= s->Lbits;
        for (unsigned j = 0; v; j++, v >>= 1)
            if ((v & 1) && !seen[SG_PS_LOW + j]) {
                seen[SG_PS_LOW + j] = 1;
                list[nl++] = (ps_build){&s->block[j], s->L << j};
            }
    }
    ps_build_job jobs[2] = {{list, nl, 0, s->p, 0}, {list, nl, 1, s->p, 0}};
    sg_thread th = {0};
    int two = nl >= 64 && sg__thread_start(&th, build_some, &jobs[1]) == 0;
    if (!two) jobs[0].start = 0;
    build_some(&jobs[0]);
    if (two) sg__thread_join(&th);
    else if (!jobs[0].bad) { /* one thread: the odd tables too */
        jobs[1].bad = 0;
        build_some(&jobs[1]);
    }
    free(list);
    free(seen);
    return jobs[0].bad | jobs[1].bad;
}

sg_status sg__psampler_create(sg_ctx *ctx, const double *t, const double *x, size_t n, sg_psampler **out) {
    *out = NULL;
    if (n == 0 || n > UINT32_MAX) return SG_ERR_DATA; /* callers fall back to the reference sampler */
    sg_psampler *s = calloc(1, sizeof *s);
    if (!s) return sg__nomem(ctx);
    s->n = n;
    s->order = malloc(n * sizeof *s->order);
    s->t = malloc(n * sizeof *s->t);
    uint64_t *tt = malloc(n * sizeof *tt);
    s->low = calloc(SG_PS_LOW, sizeof *s->low);
    if (!s->order || !s->t || !tt || !s->low) {
        free(tt);
        sg__psampler_free(s);
        return sg__nomem(ctx);
    }
    uint64_t T = 0, G = 0;
    for (size_t i = 0; i < n; i++) {
        double ti = round(t[i]), xi = round(x[i]);
        if (!(ti >= 0 && ti < 0x1p32 && xi >= 0 && xi <= ti)) { /* counts are held in 32 bits */
            free(tt);
            sg__psampler_free(s);
            return SG_ERR_DATA;
        }
        tt[i] = (uint64_t)ti;
        T += tt[i];
        G += (uint64_t)xi;
    }
    if (T == 0 || T >= (1ULL << 53)) {
        free(tt);
        sg__psampler_free(s);
        return SG_ERR_DATA;
    }
    s->flip = 2 * G > T;
    s->T = T;
    s->G = s->flip ? T - G : G;
    s->p = (double)s->G / (double)T;
    if (order_by_total(tt, n, s->order) != 0) {
        free(tt);
        sg__psampler_free(s);
        return sg__nomem(ctx);
    }
    for (size_t k = 0; k < n; k++) s->t[k] = tt[s->order[k]];
    free(tt);
    s->grp = malloc((n + 1) * sizeof *s->grp);
    if (!s->grp) {
        sg__psampler_free(s);
        return sg__nomem(ctx);
    }
    size_t distinct = 0;
    for (size_t k = 0; k < n && s->t[k] < SG_PS_LOW; k++) distinct += k == 0 || s->t[k] != s->t[k - 1];
    s->L = n >= 64 * distinct ? SG_PS_LOW : 512;
    s->Lbits = s->L == SG_PS_LOW ? 13 : 9;
    for (size_t k = 0; k < n && s->t[k] < s->L; k++)
        if (k + 1 == n || s->t[k + 1] != s->t[k])
            s->grp[s->ngroups++] = (ps_group){&s->low[s->t[k]], s->t[k], k + 1};
    int bad = s->G > 0 ? build_tables(s) : 0;
    if (bad) {
        sg__psampler_free(s);
        return SG_ERR_DATA; /* a table too wide (huge districts): the reference sampler is used */
    }
    *out = s;
    return SG_OK;
}

size_t sg__psampler_n(const sg_psampler *s) { return s->n; }
const uint32_t *sg__psampler_order(const sg_psampler *s) { return s->order; }

/* k distinct positions in [0, m), uniformly, sorted: draw, sort, drop
 * repeats, draw the shortfall again. The distinct values of a sequence of
 * independent uniform draws, taken until there are k of them, are a uniform
 * k-subset (by symmetry), and each round draws exactly the shortfall. */
static int distinct_positions(sg_rng *rng, uint64_t m, uint64_t k, uint64_t **buf, size_t *cap) {
    if (*cap < 2 * k) {
        uint64_t *nb = realloc(*buf, 2 * k * sizeof *nb);
        if (!nb) return -1;
        *buf = nb;
        *cap = 2 * k;
    }
    uint64_t *a = *buf, *tmp = *buf + k;
    size_t have = 0;
    while (have < k) {
        for (size_t i = have; i < k; i++) a[i] = sg__rng_below(rng, m);
        if (sg__radix_sort_u64(a, tmp, k, 0) != a) memcpy(a, tmp, k * sizeof *a);
        size_t u = 0;
        for (size_t i = 0; i < k; i++)
            if (u == 0 || a[i] != a[u - 1]) a[u++] = a[i];
        have = u;
    }
    return 0;
}

/* What the fused replicate (sg__psampler_draw_basic) sums while it draws:
 * D = 1/2 sum |x/X - (t - x)/Y| and xPx * X = sum x^2 / t, with x the group
 * count. For the drawn count v (x = v, or x = t - v when the complement is
 * drawn) the D term is |v a - t c| with a = 1/X + 1/Y and c = 1/Y (1/X when
 * flipped), so no division per district; the x^2 are summed per run of equal
 * totals and divided by t once per run. */
typedef struct ps_sums {
    double a, c; /* see above */
    int flip;
    double D, I; /* sum of the D terms, sum of x^2 / t */
} ps_sums;

static inline double d_term(const ps_sums *m, double v, double t) { return fabs(v * m->a - t * m->c); }
static inline double x_sq(const ps_sums *m, double v, double t) {
    double x = v - (m->flip ? t : 0); /* the group count, up to its sign */
    return x * x;
}

/* Step 1: a binomial count for every district, into y (draw order), the sum
 * of each run into gsum; returns their total S. With m, the D and x^2 sums
 * too (two lanes each, in a fixed order: the same bits on any thread). */
static inline __attribute__((always_inline)) uint64_t draw_counts(const sg_psampler *s, sg_rng *rng, uint32_t *y,
                                                                  uint64_t *gsum, ps_sums *m) {
    uint64_t S = 0;
    size_t k = 0;
    sg_rng st = *rng; /* a local copy stays in registers through the loop */
    for (size_t g = 0; g < s->ngroups; g++) {
        const ps_table tb = *s->grp[g].tb;
        const uint64_t t = s->grp[g].t;
        const double td = (double)t;
        /* the next run's table comes into cache while this one is drawn
         * from, one line (8 cells) per draw so as not to flood the memory
         * system */
        const ps_cell *nx = g + 1 < s->ngroups ? s->grp[g + 1].tb->cell : NULL;
        size_t nlines = g + 1 < s->ngroups ? (s->grp[g + 1].tb->w + 7) / 8 : 0;
        uint64_t gs = 0;
        double d0 = 0, d1 = 0, q0 = 0, q1 = 0;
        /* per run: D term |v a - tc|, squared group count (v - x0)^2 */
        const double a = m ? m->a : 0, tc = m ? td * m->c : 0, x0 = m && m->flip ? td : 0;
        size_t end = s->grp[g].end, i = 0;
        for (; k + 2 <= end; k += 2, i += 2) {
            if (i < nlines) __builtin_prefetch(nx + 8 * i);
            if (i + 1 < nlines) __builtin_prefetch(nx + 8 * (i + 1));
            uint64_t v0 = draw(&tb, &st), v1 = draw(&tb, &st);
            gs += v0 + v1;
            y[k] = (uint32_t)v0;
            y[k + 1] = (uint32_t)v1;
            if (m) {
                double f0 = (double)(int64_t)v0, f1 = (double)(int64_t)v1;
                d0 += fabs(f0 * a - tc);
                d1 += fabs(f1 * a - tc);
                q0 += (f0 - x0) * (f0 - x0);
                q1 += (f1 - x0) * (f1 - x0);
            }
        }
        if (k < end) {
            if (i < nlines) __builtin_prefetch(nx + 8 * i);
            uint64_t v = draw(&tb, &st);
            gs += v;
            y[k] = (uint32_t)v;
            if (m) {
                double f = (double)(int64_t)v;
                d0 += fabs(f * a - tc);
                q0 += (f - x0) * (f - x0);
            }
            k++, i++;
        }
        for (; i < nlines; i++) __builtin_prefetch(nx + 8 * i); /* a run shorter than the next table */
        gsum[g] = gs;
        S += gs;
        if (m) {
            m->D += d0 + d1;
            m->I += (q0 + q1) / td;
        }
    }
    for (; k < s->n; k++) { /* totals >= L: a draw per set bit */
        uint64_t v = binom(s, s->t[k], &st);
        S += v;
        y[k] = (uint32_t)v;
        if (m) {
            double td = (double)s->t[k];
            m->D += d_term(m, (double)v, td);
            m->I += x_sq(m, (double)v, td) / td;
        }
    }
    *rng = st;
    return S;
}

/* Step 2 within districts [k, end) of total t (tk == NULL) or of totals tk:
 * positions pos[*j..kk) that fall in them move to or from their district. */
static inline void correct_span(uint32_t *y, size_t k, size_t end, uint64_t t,
                                const uint64_t *tk, int remove, const uint64_t *pos, size_t *j, size_t kk,
                                uint64_t *cum, ps_sums *m) {
    uint64_t c_sum = *cum;
    size_t jj = *j;
    while (k < end && jj < kk) {
        uint64_t pj = pos[jj];
        if (!tk && k + 8 <= end) { /* skip 8 districts at a time while the position lies beyond */
            uint64_t c = 0;
            for (size_t q = 0; q < 8; q++) c += y[k + q];
            if (!remove) c = 8 * t - c;
            if (c_sum + c <= pj) {
                c_sum += c;
                k += 8;
                continue;
            }
        }
        uint64_t tt = tk ? tk[k] : t, c = remove ? y[k] : tt - y[k];
        if (c_sum + c > pj) { /* positions in [c_sum, c_sum + c): district k */
            uint64_t moved = 0;
            while (jj < kk && pos[jj] < c_sum + c) {
                moved++;
                jj++;
            }
            uint64_t old = y[k], now = remove ? old - moved : old + moved;
            y[k] = (uint32_t)now;
            if (m) {
                double td = (double)tt;
                m->D += d_term(m, (double)now, td) - d_term(m, (double)old, td);
                m->I += (x_sq(m, (double)now, td) - x_sq(m, (double)old, td)) / td;
            }
        }
        c_sum += c;
        k++;
    }
    *cum = c_sum;
    *j = jj;
}

/* Step 2: S - G of the S members leave (S > G), or G - S of the T - S others
 * join, chosen uniformly; positions count the members (or others) in draw
 * order, whole runs skipped by their sums. */
static int correct_counts(const sg_psampler *s, sg_rng *rng, uint32_t *y, const uint64_t *gsum, uint64_t S,
                          sg_psampler_scratch *sc, ps_sums *m) {
    if (S == s->G) return 0;
    int remove = S > s->G;
    uint64_t kk = remove ? S - s->G : s->G - S, mm = remove ? S : s->T - S;
    if (distinct_positions(rng, mm, kk, &sc->pos, &sc->poscap) != 0) return -1;
    const uint64_t *pos = sc->pos;
    uint64_t cum = 0;
    size_t j = 0, start = 0;
    for (size_t g = 0; g < s->ngroups && j < kk; g++) {
        size_t end = s->grp[g].end;
        uint64_t t = s->grp[g].t, c = remove ? gsum[g] : (uint64_t)(end - start) * t - gsum[g];
        if (cum + c <= pos[j]) cum += c;
        else correct_span(y, start, end, t, NULL, remove, pos, &j, kk, &cum, m);
        start = end;
    }
    if (j < kk) correct_span(y, start, s->n, 0, s->t, remove, pos, &j, kk, &cum, m);
    return 0;
}

static int scratch_reserve(const sg_psampler *s, sg_psampler_scratch *sc) {
    if (sc->ncap < s->n) {
        uint32_t *ny = realloc(sc->y, s->n * sizeof *ny);
        if (!ny) return -1;
        sc->y = ny;
        sc->ncap = s->n;
    }
    if (sc->gcap < s->ngroups + 1) {
        uint64_t *ng = realloc(sc->gsum, (s->ngroups + 1) * sizeof *ng);
        if (!ng) return -1;
        sc->gsum = ng;
        sc->gcap = s->ngroups + 1;
    }
    return 0;
}

int sg__psampler_draw(const sg_psampler *s, sg_rng *rng, double *out, int in_order, sg_psampler_scratch *sc) {
    size_t n = s->n;
    if (scratch_reserve(s, sc) != 0) return -1;
    uint32_t *y = sc->y;
    uint64_t S = 0;
    if (s->G > 0) S = draw_counts(s, rng, y, sc->gsum, NULL);
    else memset(y, 0, n * sizeof *y);
    if (correct_counts(s, rng, y, sc->gsum, S, sc, NULL) != 0) return -1;
    for (size_t k = 0; k < n; k++) {
        double v = (double)(s->flip ? s->t[k] - y[k] : y[k]);
        out[in_order ? k : s->order[k]] = v;
    }
    return 0;
}

int sg__psampler_draw_binomial(const sg_psampler *s, sg_rng *rng, double *out, sg_psampler_scratch *sc) {
    size_t n = s->n;
    if (scratch_reserve(s, sc) != 0) return -1;
    uint32_t *y = sc->y;
    if (s->G > 0) draw_counts(s, rng, y, sc->gsum, NULL); /* step 1 alone: no correction to G */
    else memset(y, 0, n * sizeof *y);
    for (size_t k = 0; k < n; k++) out[s->order[k]] = (double)(s->flip ? s->t[k] - y[k] : y[k]);
    return 0;
}

int sg__psampler_draw_basic(const sg_psampler *s, sg_rng *rng, sg_psampler_scratch *sc, double *dissimilarity,
                            double *isolation) {
    if (s->n == 0 || s->t[0] == 0 || s->G == 0) return 1; /* a district of nobody, or a one-sided city */
    if (scratch_reserve(s, sc) != 0) return -1;
    double X = (double)(s->flip ? s->T - s->G : s->G), Y = (double)s->T - X;
    ps_sums m = {1 / X + 1 / Y, s->flip ? 1 / X : 1 / Y, s->flip, 0, 0};
    uint64_t S = draw_counts(s, rng, sc->y, sc->gsum, &m);
    if (correct_counts(s, rng, sc->y, sc->gsum, S, sc, &m) != 0) return -1;
    *dissimilarity = 0.5 * m.D;
    *isolation = m.I / X;
    return 0;
}

void sg__psampler_scratch_free(sg_psampler_scratch *sc) {
    free(sc->y);
    free(sc->gsum);
    free(sc->pos);
    memset(sc, 0, sizeof *sc);
}
