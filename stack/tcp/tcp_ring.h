/*
 * Byte rings for TCP send and receive buffers. The size is fixed at init (any size: a power of
 * two by default, a whole number of segments once a receive buffer is rounded to the MSS); the
 * storage is allocated only when the first byte needs it (ts_ring_alloc), so thousands of idle
 * connections cost no buffer memory. Bytes are addressed by offset from the oldest byte.
 * The receive side also writes out-of-order data past the readable end (ts_ring_write_beyond)
 * and makes it readable later (ts_ring_commit).
 */
#ifndef TS_TCP_RING_H
#define TS_TCP_RING_H

#include <stdbool.h>
#include <stdint.h>

struct ts_ext;

struct ts_ring {
    uint8_t *buf;     /* NULL until allocated */
    uint32_t cap;     /* bytes (any size) */
    uint32_t head;    /* index of the oldest byte */
    uint32_t len;     /* bytes held */
};

/* Round n up to a power of two within [lo, hi]. */
uint32_t ts_ring_size(uint32_t n, uint32_t lo, uint32_t hi);

/* Set up an empty ring of cap bytes; allocates nothing. */
void ts_ring_init(struct ts_ring *r, uint32_t cap);

/* Make sure storage exists. Returns 0, or -1 when memory is exhausted. */
int ts_ring_alloc(struct ts_ring *r);

/* Grow to cap bytes (more than now), keeping every byte where its offset says, out-of-order
 * bytes past the readable end included. Returns 0, or -1 when memory is exhausted (unchanged). */
int ts_ring_resize(struct ts_ring *r, uint32_t cap);

/* The storage as a shared block (NULL when none), for a frame to hold by reference. */
struct ts_ext *ts_ring_ext(const struct ts_ring *r);

/* Give the storage up (the ring becomes empty; cap stays): freed unless frames still hold it. */
void ts_ring_release(struct ts_ring *r);

/* Take the storage away from an empty ring (as ts_ring_release), for reuse by another ring of
 * the same size: returned only when nothing else (a frame) holds it, else NULL and the ring keeps
 * it. ts_ring_adopt gives such storage to a ring without any (same size), under a new identity
 * (ts_tcp_send_store: what was there is no longer what its application wrote). ts_ring_store_free
 * frees one. */
uint8_t *ts_ring_detach(struct ts_ring *r);
void ts_ring_adopt(struct ts_ring *r, uint8_t *buf);
void ts_ring_store_free(uint8_t *buf);

static inline uint32_t ts_ring_space(const struct ts_ring *r) { return r->cap - r->len; }

/* Append up to n bytes (allocating if needed); returns how many were stored. */
uint32_t ts_ring_write(struct ts_ring *r, const void *src, uint32_t n);

/* Store n bytes at offset len+off without making them readable; off + n <= space.
 * The ring must be allocated. */
void ts_ring_write_beyond(struct ts_ring *r, uint32_t off, const void *src, uint32_t n);

/* The n bytes at offset off (off + n <= len) when they lie in one piece, else NULL (they wrap). */
const uint8_t *ts_ring_span(const struct ts_ring *r, uint32_t off, uint32_t n);

/* Where the next byte appended would go (allocating if needed), and in *contig how many may be
 * written there in one piece (up to the wrap or the space left); NULL when out of memory. */
uint8_t *ts_ring_tail(struct ts_ring *r, uint32_t *contig);

/* Make n bytes past the readable end readable (after ts_ring_write_beyond). */
void ts_ring_commit(struct ts_ring *r, uint32_t n);

/* Copy n bytes starting at offset off (off + n <= len) to dst without consuming them. */
void ts_ring_peek(const struct ts_ring *r, uint32_t off, void *dst, uint32_t n);

/* Drop the n oldest bytes (n <= len). */
void ts_ring_consume(struct ts_ring *r, uint32_t n);

/* Copy out (unless dst is NULL) and consume up to n bytes; returns the count. */
uint32_t ts_ring_read(struct ts_ring *r, void *dst, uint32_t n);

#endif
