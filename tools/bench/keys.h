/*
 * keys.h: the key space of mnemo-bench: a small fast PRNG, uniform and
 * zipfian key indices, and key/value-size generation.  Pure computation,
 * deterministic for a given seed; one struct keygen per thread.
 *
 * Zipf uses rejection-inversion sampling (Hörmann and Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions",
 * 1996): O(1) memory and time per sample for any key count and any s > 0,
 * so a 100M-key zipf space costs nothing to set up.  Rank 1 (the hottest
 * key) is key index 0.
 */
#ifndef MNEMO_BENCH_KEYS_H
#define MNEMO_BENCH_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Seed the xoshiro256** generator (any seed, 0 included). */
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), n > 0 (Lemire's multiply-shift, unbiased). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rng_double(struct rng *r);

enum key_pattern {
    KEY_UNIFORM = 0,
    KEY_ZIPF = 1,
};

struct zipf {
    uint64_t n;
    double s;
    double h_integral_x1;
    double h_integral_n;
    double threshold;
};

/* Prepare a zipf sampler over ranks 1..n with exponent s > 0. */
void zipf_init(struct zipf *z, uint64_t n, double s);
/* A rank in 1..n. */
uint64_t zipf_sample(const struct zipf *z, struct rng *r);

struct keygen {
    struct rng rng;
    enum key_pattern pattern;
    uint64_t count;
    struct zipf zipf;
};

/* Keys 0..count-1 drawn by pattern (s is used by KEY_ZIPF only). */
void keygen_init(struct keygen *g, enum key_pattern pattern, uint64_t count, double s,
                 uint64_t seed);
/* The next key index. */
uint64_t keygen_next(struct keygen *g);

/*
 * Write prefix followed by the decimal index into buf (no NUL needed by
 * callers, but one is written when it fits).  Returns the key length, or 0
 * when it does not fit in cap.
 */
size_t key_format(char *buf, size_t cap, const char *prefix, size_t prefix_len, uint64_t index);

#endif
