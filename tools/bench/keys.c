/*
 * keys.c: PRNG, uniform and zipf key indices, key formatting.
 */
#include "keys.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double rng_double(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* log1p(x)/x, accurate near 0 */
static double helper1(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/* expm1(x)/x, accurate near 0 */
static double helper2(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

/* H(x) = integral of h(t) = t^-s, shifted so that H is smooth at s = 1 */
static double h_integral(const struct zipf *z, double x)
{
    double log_x = log(x);
    return helper2((1.0 - z->s) * log_x) * log_x;
}

static double h(const struct zipf *z, double x)
{
    return exp(-z->s * log(x));
}

static double h_integral_inverse(const struct zipf *z, double x)
{
    double t = x * (1.0 - z->s);
    if (t < -1.0)
        t = -1.0; /* numerical safety: the inverse is only used inside the domain */
    return exp(helper1(t) * x);
}

void zipf_init(struct zipf *z, uint64_t n, double s)
{
    z->n = n;
    z->s = s;
    z->h_integral_x1 = h_integral(z, 1.5) - 1.0;
    z->h_integral_n = h_integral(z, (double)n + 0.5);
    z->threshold = 2.0 - h_integral_inverse(z, h_integral(z, 2.5) - h(z, 2.0));
}

uint64_t zipf_sample(const struct zipf *z, struct rng *r)
{
    for (;;) {
        double u = z->h_integral_n + rng_double(r) * (z->h_integral_x1 - z->h_integral_n);
        double x = h_integral_inverse(z, u);
        double kd = floor(x + 0.5);
        uint64_t k;
        if (kd < 1.0)
            k = 1;
        else if (kd > (double)z->n)
            k = z->n;
        else
            k = (uint64_t)kd;
        if ((double)k - x <= z->threshold || u >= h_integral(z, (double)k + 0.5) - h(z, (double)k))
            return k;
    }
}

void keygen_init(struct keygen *g, enum key_pattern pattern, uint64_t count, double s,
                 uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    rng_seed(&g->rng, seed);
    g->pattern = pattern;
    g->count = count ? count : 1;
    if (pattern == KEY_ZIPF)
        zipf_init(&g->zipf, g->count, s);
}

uint64_t keygen_next(struct keygen *g)
{
    if (g->pattern == KEY_ZIPF)
        return zipf_sample(&g->zipf, &g->rng) - 1;
    return rng_below(&g->rng, g->count);
}

size_t key_format(char *buf, size_t cap, const char *prefix, size_t prefix_len, uint64_t index)
{
    char digits[20];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    size_t len = prefix_len + nd;
    if (len > cap)
        return 0;
    memcpy(buf, prefix, prefix_len);
    for (size_t i = 0; i < nd; i++)
        buf[prefix_len + i] = digits[nd - 1 - i];
    if (len < cap)
        buf[len] = '\0';
    return len;
}
