/*
 * Out-of-order bookkeeping for the receive side: which byte ranges past RCV.NXT are held.
 * The bytes themselves sit in the receive ring beyond its readable end, so this only tracks
 * ranges, bounded to TS_REASS_MAX of them (holes); the bytes are bounded by the receive window,
 * which never exceeds the ring's free space. Offsets are relative to RCV.NXT.
 * The range array is allocated when the first range is added and freed when the last goes, so
 * a connection without out-of-order data carries none of it (an idle TCB stays small).
 */
#ifndef TS_TCP_REASS_H
#define TS_TCP_REASS_H

#include <stddef.h>
#include <stdint.h>

/* 255 (what n counts to): at 10 % loss a window of a few hundred segments has dozens of holes;
 * with 16, out-of-order data past the 16th was dropped and resent (8 MB uploads at --loss 0.1:
 * 4-7 MB/s with 16, 25-150 MB/s with 64). With 64, the kernel sending 20 MB at 10 % each way
 * (t_tcp_loss; BBR's flight of 250-350 segments) still overran them in 3 of 18 transfers: 120-170
 * segments dropped (drop_reass_full), and with them the farthest range, already SACKed (RFC 2018
 * §8 reneging, which the sender repairs only at its RTO). 2 KB, allocated only while ranges are
 * held. */
#define TS_REASS_MAX 255

struct ts_reass_range { uint32_t start, end; };

struct ts_reass {
    uint8_t n;
    struct ts_reass_range *r;   /* TS_REASS_MAX entries or NULL; sorted, disjoint, not touching */
};

/* Record [off, off+len) as held, merging with overlapping or adjacent ranges. Returns 0, or
 * -1 (nothing changed) when it would take more than TS_REASS_MAX ranges or the array cannot be
 * allocated. */
int ts_reass_add(struct ts_reass *re, uint32_t off, uint32_t len);

/* Bytes held contiguously from offset 0 (0 when there is a hole at RCV.NXT). */
uint32_t ts_reass_front(const struct ts_reass *re);

/* RCV.NXT moved forward by n: forget what lies before it and shift the rest (the array is freed
 * when nothing is left). */
void ts_reass_advance(struct ts_reass *re, uint32_t n);

/* Forget every range and free the array. */
void ts_reass_free(struct ts_reass *re);

/* Bytes held in total (for netstat and counters). */
uint32_t ts_reass_bytes(const struct ts_reass *re);

/* Heap bytes the ranges take now (for memory accounting). */
size_t ts_reass_memory(const struct ts_reass *re);

#endif
