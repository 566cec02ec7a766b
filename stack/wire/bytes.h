/*
 * Big-endian (network order) byte helpers. Every header field is read and written through these;
 * nothing is ever cast onto packet bytes, so alignment and byte order never matter.
 */
#ifndef TS_WIRE_BYTES_H
#define TS_WIRE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t ts_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t ts_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void ts_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void ts_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
