/*
 * Randomness for the core, all derived from ts_config.seed: SipHash-2-4 for keyed hashes
 * (RFC 6528 ISNs, RFC 6056 ports, SYN cookies) and a small PRNG (xoshiro256**) for the rest.
 * The driver seeds from getrandom(); tests and fuzzers use fixed seeds so runs repeat.
 */
#ifndef TS_CORE_RAND_H
#define TS_CORE_RAND_H

#include <stddef.h>
#include <stdint.h>

struct ts_rng { uint64_t s[4]; };

struct ts_siphash_key { uint64_t k0, k1; };

/* Seed a generator (any seed, 0 included, gives a good state). */
void ts_rng_seed(struct ts_rng *r, uint64_t seed);
/* The next 64 random bits. */
uint64_t ts_rng_next(struct ts_rng *r);
/* A uniform value in [0, bound) (bound > 0); no modulo bias. */
uint32_t ts_rng_below(struct ts_rng *r, uint32_t bound);
/* A fresh 128-bit key from the generator. */
struct ts_siphash_key ts_rng_key(struct ts_rng *r);

/* SipHash-2-4 of len bytes under key. */
uint64_t ts_siphash(const struct ts_siphash_key *key, const void *data, size_t len);

#endif
