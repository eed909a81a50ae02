/* Random numbers for the randomisation tests: splitmix64 to seed, xoshiro256**
 * to draw. Every permutation has its own stream, derived from (seed, index),
 * so results do not depend on the number of threads or their scheduling. */
#include <math.h>

#include "indices/indices.h"

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void sg__rng_seed(sg_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t s = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&s);
}

uint64_t sg__rng_next(sg_rng *r) { return sg__rng_next_inline(r); }

double sg__rng_uniform(sg_rng *r) { return (double)(sg__rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t sg__rng_below(sg_rng *r, uint64_t n) {
    /* Lemire's nearly divisionless method would do; rejection keeps it exact. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, v;
    do v = sg__rng_next(r);
    while (v >= lim);
    return v % n;
}

static double log_choose(double n, double k) { return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1); }

/* Above this variance (sd 10^4) the hypergeometric is drawn from its normal
 * approximation: the mode walk would take O(sd) steps per draw (a city of
 * totals near 10^10 never finished), and the law is then normal to within
 * ~1/sd (Feller's local limit theorem), below the resolution of any p-value. */
#define SG_HYPER_NORMAL_VAR 1e8

/* Number of marked items in a sample of `draws` from a population of `total`
 * with `marked` marked, without replacement. Exact inversion searching
 * outwards from the mode with the pmf recurrence: expected O(sd) steps, while
 * the variance is at most SG_HYPER_NORMAL_VAR; above it, O(1): the mean plus
 * sd times a standard normal (Box-Muller), rounded and clamped to the support. */
double sg__rng_hypergeometric(sg_rng *r, double total, double marked, double draws) {
    if (draws <= 0 || marked <= 0) return 0;
    if (marked >= total) return draws;
    if (draws >= total) return marked;
    double lo = fmax(0, draws - (total - marked)), hi = fmin(draws, marked);
    if (lo == hi) return lo;
    double pm = marked / total;
    double var = draws * pm * (1 - pm) * ((total - draws) / (total - 1));
    if (var > SG_HYPER_NORMAL_VAR) {
        double u1 = 1 - sg__rng_uniform(r), u2 = sg__rng_uniform(r); /* u1 in (0, 1] */
        double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        double v = floor(draws * pm + sqrt(var) * z + 0.5);
        return fmin(hi, fmax(lo, v));
    }
    double mode = floor((draws + 1) * (marked + 1) / (total + 2));
    if (mode < lo) mode = lo;
    if (mode > hi) mode = hi;
    double pmode = exp(log_choose(marked, mode) + log_choose(total - marked, draws - mode) - log_choose(total, draws));
    double u = sg__rng_uniform(r);
    /* Alternate: mode, mode+1, mode-1, mode+2, ... until u is used up. */
    double up = mode, dn = mode, pu = pmode, pd = pmode;
    u -= pmode;
    if (u <= 0) return mode;
    for (;;) {
        int moved = 0;
        if (up < hi) {
            pu *= (marked - up) * (draws - up) / ((up + 1) * (total - marked - draws + up + 1));
            up += 1;
            u -= pu;
            if (u <= 0) return up;
            moved = 1;
        }
        if (dn > lo) {
            pd *= dn * (total - marked - draws + dn) / ((marked - dn + 1) * (draws - dn + 1));
            dn -= 1;
            u -= pd;
            if (u <= 0) return dn;
            moved = 1;
        }
        /* rounding left a sliver of u (all values reached, or what is left of
         * the law is below 1e-30 of the mode's mass): the mode is as good as any */
        if (!moved || (pu < pmode * 1e-30 && pd < pmode * 1e-30)) return mode;
    }
}
