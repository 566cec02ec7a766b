/* The Internet checksum, RFC 1071. */
#include "wire/checksum.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Finish a sum of host-order 8-byte loads (acc, any 64-bit value: its carries wrap around) with
 * the tail of fewer than 8 bytes at p, and add the caller's running sum. The loads were host
 * order; the sum is brought to network order before the tail's bytes, read big-endian, are mixed
 * in. The ones' complement sum is byte-order independent (RFC 1071 §2(B)) as long as it is
 * swapped back once at the end. */
static uint32_t csum_finish_words(uint64_t acc, uint32_t sum, const uint8_t *p, size_t len)
{
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    uint32_t s = (uint32_t)acc;
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint32_t)(((s & 0xffu) << 8) | ((s >> 8) & 0xffu));
#endif
    uint64_t t = (uint64_t)s + sum;
    while (len >= 2) {
        t += (uint32_t)((p[0] << 8) | p[1]);
        p += 2;
        len -= 2;
    }
    if (len) t += (uint32_t)(p[0] << 8);
    /* keep the result small enough that callers may keep adding to it */
    while (t >> 16) t = (t & 0xffffu) + (t >> 16);
    return (uint32_t)t;
}

/* Add two 64-bit values with the carry wrapped around (2^64 = 1 modulo 2^16 - 1). */
static uint64_t add_wrap(uint64_t a, uint64_t b)
{
    uint64_t r = a + b;
    return r + (r < b);
}

/* The whole 8-byte words left after a vector or unrolled loop, then the bytes after them. */
static uint32_t csum_finish_tail(uint64_t acc, uint32_t sum, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc = add_wrap(acc, w);
        p += 8;
        len -= 8;
    }
    return csum_finish_words(acc, sum, p, len);
}

uint32_t ts_csum_add_portable(uint32_t sum, const uint8_t *p, size_t len)
{
    /* Whole 64-bit words on two independent chains, the carries counted apart: about twice the
     * speed of adding 32-bit halves on one chain. */
    uint64_t a = 0, b = 0, ca = 0, cb = 0;
    while (len >= 16) {
        uint64_t w[2];
        memcpy(w, p, 16);
        a += w[0];
        ca += a < w[0];
        b += w[1];
        cb += b < w[1];
        p += 16;
        len -= 16;
    }
    uint64_t acc = add_wrap(add_wrap(a, b), ca + cb);
    return csum_finish_tail(acc, sum, p, len);
}

#if defined(__x86_64__)
/* 32 bytes a step: each 32-bit word widened into a 64-bit lane, so no lane can carry out before
 * 2^32 steps (128 GB). About three times the portable loop. */
__attribute__((target("avx2"))) static uint32_t csum_add_avx2(uint32_t sum, const uint8_t *p, size_t len)
{
    __m256i acc = _mm256_setzero_si256();
    const __m256i zero = _mm256_setzero_si256();
    while (len >= 32) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)p);
        acc = _mm256_add_epi64(acc, _mm256_unpacklo_epi32(w, zero));
        acc = _mm256_add_epi64(acc, _mm256_unpackhi_epi32(w, zero));
        p += 32;
        len -= 32;
    }
    uint64_t lane[4];
    _mm256_storeu_si256((__m256i *)(void *)lane, acc);
    /* Leave the vector unit clean: with its upper halves dirty every SSE instruction after this
     * one (the caller's, libc's) pays a transition (the compiler does not add this before the
     * tail call below; tcp_output ran 6x slower without it). */
    _mm256_zeroupper();
    uint64_t s = add_wrap(add_wrap(lane[0], lane[1]), add_wrap(lane[2], lane[3]));
    return csum_finish_tail(s, sum, p, len);
}
#endif

uint32_t ts_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
#if defined(__x86_64__)
    /* A payload is worth the vector unit; a header is not. The CPU's features are read from the
     * compiler runtime's table (set before main), not from state of ours. */
    if (len >= 128 && __builtin_cpu_supports("avx2")) return csum_add_avx2(sum, p, len);
#endif
    return ts_csum_add_portable(sum, p, len);
}

uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint32_t s = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
    s += proto;
    s += len;
    return s;
}

uint16_t ts_csum_finish(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
