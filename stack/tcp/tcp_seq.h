/*
 * Sequence number arithmetic modulo 2^32 (RFC 9293 §3.4). Every comparison of sequence or
 * acknowledgment numbers goes through these: a plain `<` is wrong once the space wraps.
 * a < b means "a comes before b" when the two are less than 2^31 apart.
 */
#ifndef TS_TCP_SEQ_H
#define TS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool ts_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool ts_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool ts_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool ts_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t ts_seq_max(uint32_t a, uint32_t b) { return ts_seq_gt(a, b) ? a : b; }
static inline uint32_t ts_seq_min(uint32_t a, uint32_t b) { return ts_seq_lt(a, b) ? a : b; }
/* lo <= x < hi, modulo 2^32 (empty when lo == hi). */
static inline bool ts_seq_in(uint32_t x, uint32_t lo, uint32_t hi) { return x - lo < hi - lo; }

#define SEQ_LT(a, b) ts_seq_lt((a), (b))
#define SEQ_LEQ(a, b) ts_seq_leq((a), (b))
#define SEQ_GT(a, b) ts_seq_gt((a), (b))
#define SEQ_GEQ(a, b) ts_seq_geq((a), (b))

#endif
