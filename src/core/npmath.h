/* Natural log and 1-exp(-x) without libm's lookup tables, for the collector's sampling path:
 * a sample comes every few hundred allocations, by which time libm's tables have left the
 * cache, and their misses cost more than these few multiplications. Accurate to ~1e-15. */
#ifndef NP_NPMATH_H
#define NP_NPMATH_H

#include <stdint.h>
#include <string.h>

/* ln 2 split so that k * NP_LN2_HI is exact for |k| < 2^11 (Cody and Waite). */
#define NP_LN2_HI 6.93147180369123816490e-01
#define NP_LN2_LO 1.90821492927058770002e-10

/* log(x) for finite x > 0 (subnormals lose precision; 0 and negatives are not handled). */
static inline double np_log(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* m in [1, 2) */
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356237309504880) { /* m in [sqrt(1/2), sqrt(2)): |s| below 0.172 */
        m *= 0.5;
        e++;
    }
    /* log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1). */
    double s = (m - 1) / (m + 1), z = s * s;
    double p = 1.0 / 19;
    p = p * z + 1.0 / 17;
    p = p * z + 1.0 / 15;
    p = p * z + 1.0 / 13;
    p = p * z + 1.0 / 11;
    p = p * z + 1.0 / 9;
    p = p * z + 1.0 / 7;
    p = p * z + 1.0 / 5;
    p = p * z + 1.0 / 3;
    return e * NP_LN2_LO + 2 * s * p * z + 2 * s + e * NP_LN2_HI;
}

/* expm1(r) for |r| <= 0.5, by its Taylor series. */
static inline double np_expm1_small(double r)
{
    double p = 1.0 / 1307674368000; /* 1/15! */
    p = p * r + 1.0 / 87178291200;
    p = p * r + 1.0 / 6227020800;
    p = p * r + 1.0 / 479001600;
    p = p * r + 1.0 / 39916800;
    p = p * r + 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    return r + r * r * p;
}

/* 1 - exp(-x) for x >= 0, without cancellation for small x. */
static inline double np_one_minus_exp_neg(double x)
{
    if (x <= 0.5)
        return -np_expm1_small(-x);
    if (x > 40) /* exp(-40) is below half an ulp of 1 */
        return 1;
    /* exp(-x) = 2^-k exp(r), r = k ln2 - x in [-ln2/2, ln2/2]. */
    int k = (int)(x / (NP_LN2_HI + NP_LN2_LO) + 0.5);
    double r = (k * NP_LN2_HI - x) + k * NP_LN2_LO;
    uint64_t bits = (uint64_t)(1023 - k) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return 1 - (1 + np_expm1_small(r)) * scale;
}

#endif
