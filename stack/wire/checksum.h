/*
 * The Internet checksum (RFC 1071): ones' complement sum of 16-bit words.
 */
#ifndef TS_WIRE_CHECKSUM_H
#define TS_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at p to a running 32-bit partial sum (len may be odd; the odd byte is padded
 * with zero as the RFC says). Chain calls only with even lengths except the last. */
uint32_t ts_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* The same without the CPU's vector unit (ts_csum_add uses AVX2 for long buffers where the CPU
 * has it); the same result for every input. For tests and for CPUs without it. */
uint32_t ts_csum_add_portable(uint32_t sum, const uint8_t *p, size_t len);

/* Partial sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): src, dst, zero, proto, length. */
uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Fold a partial sum to 16 bits and complement it: the value to put in a checksum field.
 * Verifying: ts_csum_finish(sum over data including its checksum field) == 0. */
uint16_t ts_csum_finish(uint32_t sum);

/* Checksum of a whole buffer (IPv4 header, ICMP message). */
static inline uint16_t ts_csum(const uint8_t *p, size_t len) { return ts_csum_finish(ts_csum_add(0, p, len)); }

#endif
