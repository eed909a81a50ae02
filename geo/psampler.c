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
 * for 999 replicates). A draw is one 64-bit random number (its 128-bit product
 * with the table width gives the column and, in the low 64 bits, the coin),
 * one 8-byte load and no data-dependent branch.
 *
 * Districts are drawn in order of their total so that consecutive draws use
 * the same table, and the next total's table is prefetched while the current
 * one is drawn from (the tables of a city do not fit in cache); the counts are returned in that order
 * (sg__psampler_order) or scattered back to the caller's order. The result is
 * a deterministic function of the rng state, whatever the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SG_PS_LOW 8192u             /* totals below this have their own table */
#define SG_PS_MAX_WIDTH 65536u      /* a wider table (sd > ~3800) is refused */

/* A column: the top 48 bits of the keep threshold (its own value is drawn
 * when the coin's top 48 bits are below them) and the alias (offset from lo). */
typedef uint64_t ps_cell;
#define CELL(keep48, alias) (((uint64_t)(keep48) << 16) | (uint64_t)(alias))

typedef struct ps_table {
    uint64_t lo;       /* smallest value in the table */
    uint64_t w;        /* number of values (columns) */
    ps_cell *cell;
} ps_table;

struct sg_psampler {
    size_t n;
    uint32_t *order;        /* draw order: districts by total */
    uint64_t *t;            /* totals in draw order */
    double *td;             /* the same as doubles */
    uint64_t L;             /* totals below L have their own table (8192 or 512) */
    unsigned Lbits;         /* log2(L) */
    size_t ngroups;         /* runs of equal totals below L, in draw order: */
    size_t *gend;           /* end (exclusive) of each run; districts after the last
                               run (totals >= L) are drawn one by one */
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
    uint32_t w = (uint32_t)(hi - lo + 1);
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
    f[mode - lo] = 1;
    for (uint64_t k = mode; k < hi; k++)
        f[k + 1 - lo] = f[k - lo] * (long double)(m - k) / (long double)(k + 1) * (long double)r;
    for (uint64_t k = mode; k > lo; k--)
        f[k - 1 - lo] = f[k - lo] * (long double)k / (long double)(m - k + 1) / (long double)r;
    long double sum = 0;
    for (uint32_t k = 0; k < w; k++) sum += f[k];
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
        tb->cell[a] = CELL(all, a);
    }
    tb->lo = lo;
    tb->w = w;
    free(f);
    free(stack);
    return 0;
}

static inline uint64_t draw(const ps_table *tb, sg_rng *rng) {
    unsigned __int128 prod = (unsigned __int128)sg__rng_next_inline(rng) * tb->w;
    uint64_t col = (uint64_t)(prod >> 64), coin = (uint64_t)prod;
    ps_cell c = tb->cell[col];
    uint64_t keep = -(uint64_t)((coin >> 16) < (c >> 16)); /* all ones or zero: no branch */
    return tb->lo + ((col & keep) | ((c & 0xFFFF) & ~keep));
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
    free(s->gend);
    free(s->td);
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
        if (!(ti >= 0 && ti < 0x1p52 && xi >= 0 && xi <= ti)) {
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
    s->gend = malloc((n + 1) * sizeof *s->gend);
    s->td = malloc(n * sizeof *s->td);
    if (!s->gend || !s->td) {
        sg__psampler_free(s);
        return sg__nomem(ctx);
    }
    size_t distinct = 0;
    for (size_t k = 0; k < n && s->t[k] < SG_PS_LOW; k++) distinct += k == 0 || s->t[k] != s->t[k - 1];
    s->L = n >= 64 * distinct ? SG_PS_LOW : 512;
    s->Lbits = s->L == SG_PS_LOW ? 13 : 9;
    for (size_t k = 0; k < n && s->t[k] < s->L; k++)
        if (k + 1 == n || s->t[k + 1] != s->t[k]) s->gend[s->ngroups++] = k + 1;
    for (size_t k = 0; k < n; k++) s->td[k] = (double)(int64_t)s->t[k];
    int bad = 0;
    if (s->G > 0)
        for (size_t k = 0; k < n && !bad; k++) {
            uint64_t v = s->t[k];
            bad |= build_table(&s->low[v & (s->L - 1)], v & (s->L - 1), s->p);
            v >>= s->Lbits;
            for (unsigned j = 0; v && !bad; j++, v >>= 1)
                if (v & 1) bad |= build_table(&s->block[j], s->L << j, s->p);
        }
    if (bad) {
        sg__psampler_free(s);
        return SG_ERR_DATA; /* a table too wide (huge districts): the reference sampler is used */
    }
    *out = s;
    return SG_OK;
}

size_t sg__psampler_n(const sg_psampler *s) { return s->n; }
const uint32_t *sg__psampler_order(const sg_psampler *s) { return s->order; }

/* LSD radix sort, 11-bit digits; digits equal in every key are skipped. */
static void radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n) {
    uint64_t all = 0, same = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) {
        all |= a[i];
        same &= a[i];
    }
    for (int shift = 0; shift < 64; shift += 11) {
        if ((((all ^ same) >> shift) & 0x7FF) == 0) continue;
        size_t count[2049] = {0};
        for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0x7FF) + 1]++;
        for (size_t v = 0; v < 2048; v++) count[v + 1] += count[v];
        for (size_t i = 0; i < n; i++) tmp[count[(a[i] >> shift) & 0x7FF]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

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
        radix_sort_u64(a, tmp, k);
        size_t u = 0;
        for (size_t i = 0; i < k; i++)
            if (u == 0 || a[i] != a[u - 1]) a[u++] = a[i];
        have = u;
    }
    return 0;
}

int sg__psampler_draw(const sg_psampler *s, sg_rng *rng, double *out, int in_order, sg_psampler_scratch *sc) {
    size_t n = s->n;
    if (!in_order && sc->ncap < n) {
        double *ny = realloc(sc->y, n * sizeof *ny);
        if (!ny) return -1;
        sc->y = ny;
        sc->ncap = n;
    }
    /* counts of the drawn side as doubles (whole numbers, exact: T < 2^53),
     * straight into out when it is wanted in draw order */
    double *y = in_order ? out : sc->y;
    uint64_t S = 0;
    if (s->G > 0) {
        sg_rng st = *rng; /* a local copy stays in registers through the loop */
        size_t k = 0;
        for (size_t g = 0; g < s->ngroups; g++) {
            const ps_table *tb = &s->low[s->t[k]];
            /* the next run's table comes into cache while this one is drawn
             * from, one line (8 cells) per draw so as not to flood the
             * memory system */
            const ps_cell *nx = g + 1 < s->ngroups ? s->low[s->t[s->gend[g]]].cell : NULL;
            size_t nlines = g + 1 < s->ngroups ? (s->low[s->t[s->gend[g]]].w + 7) / 8 : 0;
            for (size_t end = s->gend[g], i = 0; k < end; k++, i++) {
                if (i < nlines) __builtin_prefetch(nx + 8 * i);
                uint64_t v = draw(tb, &st);
                S += v;
                y[k] = (double)(int64_t)v;
            }
            for (size_t i = s->gend[g] - (g ? s->gend[g - 1] : 0); i < nlines; i++)
                __builtin_prefetch(nx + 8 * i); /* a run shorter than the next table */
        }
        for (; k < n; k++) {
            uint64_t v = binom(s, s->t[k], &st);
            S += v;
            y[k] = (double)(int64_t)v;
        }
        *rng = st;
    } else {
        memset(y, 0, n * sizeof *y);
    }
    if (S != s->G) {
        int remove = S > s->G;
        uint64_t kk = remove ? S - s->G : s->G - S, m = remove ? S : s->T - S;
        if (distinct_positions(rng, m, kk, &sc->pos, &sc->poscap) != 0) return -1;
        /* positions index the members (remove) or the others (add), counted
         * in draw order: for each position, skip the districts before it */
        double cum = 0;
        size_t k = 0;
        for (size_t j = 0; j < kk;) {
            double pj = (double)(int64_t)sc->pos[j];
            if (k + 8 <= n) { /* skip 8 districts at a time (sums of whole numbers: exact) */
                const double *a = &y[k], *tk = &s->td[k];
                double c8 = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
                if (!remove) c8 = (((tk[0] + tk[1]) + (tk[2] + tk[3])) + ((tk[4] + tk[5]) + (tk[6] + tk[7]))) - c8;
                if (cum + c8 <= pj) {
                    cum += c8;
                    k += 8;
                    continue;
                }
            }
            double c = remove ? y[k] : s->td[k] - y[k];
            if (cum + c <= pj) {
                cum += c;
                k++;
                continue;
            }
            double moved = 0; /* positions in [cum, cum + c): district k */
            while (j < kk && (double)(int64_t)sc->pos[j] < cum + c) {
                moved++;
                j++;
            }
            y[k] = remove ? y[k] - moved : y[k] + moved;
            cum += c;
            k++;
        }
    }
    if (in_order) {
        if (s->flip)
            for (size_t k = 0; k < n; k++) out[k] = s->td[k] - out[k];
    } else {
        for (size_t k = 0; k < n; k++) out[s->order[k]] = s->flip ? s->td[k] - y[k] : y[k];
    }
    return 0;
}

void sg__psampler_scratch_free(sg_psampler_scratch *sc) {
    free(sc->y);
    free(sc->pos);
    memset(sc, 0, sizeof *sc);
}
