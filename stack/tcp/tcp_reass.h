/*
 * Out-of-order bookkeeping for the receive side: which byte ranges past RCV.NXT are held.
 * The bytes themselves sit in the receive ring beyond its readable end, so this only tracks
 * ranges, bounded to TS_REASS_MAX of them (holes); the bytes are bounded by the receive window,
 * which never exceeds the ring's free space. Offsets are relative to RCV.NXT.
 */
#ifndef TS_TCP_REASS_H
#define TS_TCP_REASS_H

#include <stdint.h>

#define TS_REASS_MAX 16

struct ts_reass {
    uint8_t n;
    struct { uint32_t start, end; } r[TS_REASS_MAX];   /* sorted, disjoint, not touching */
};

/* Record [off, off+len) as held, merging with overlapping or adjacent ranges. Returns 0, or
 * -1 (nothing changed) when it would take more than TS_REASS_MAX ranges. */
int ts_reass_add(struct ts_reass *re, uint32_t off, uint32_t len);

/* Bytes held contiguously from offset 0 (0 when there is a hole at RCV.NXT). */
uint32_t ts_reass_front(const struct ts_reass *re);

/* RCV.NXT moved forward by n: forget what lies before it and shift the rest. */
void ts_reass_advance(struct ts_reass *re, uint32_t n);

/* Bytes held in total (for netstat and counters). */
uint32_t ts_reass_bytes(const struct ts_reass *re);

#endif
