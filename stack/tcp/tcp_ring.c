/*
 * Byte rings (see tcp_ring.h).
 */
#include <stdlib.h>
#include <string.h>
#include "tcp/tcp_ring.h"
#include "core/frame.h"

uint32_t ts_ring_size(uint32_t n, uint32_t lo, uint32_t hi)
{
    uint32_t c = lo;
    while (c < n && c < hi) c <<= 1;
    return c;
}

void ts_ring_init(struct ts_ring *r, uint32_t cap)
{
    r->buf = NULL;
    r->cap = cap;
    r->head = 0;
    r->len = 0;
}

/* Storage is a shared block (core/frame.h struct ts_ext): frames that carry send-buffer bytes by
 * reference (ts_stack_set_tx_gather) keep it alive after the ring has let go of it. */
static uint8_t *store_new(uint32_t cap)
{
    struct ts_ext *e = malloc(TS_EXT_HDR + (size_t)cap);
    if (!e) return NULL;
    e->refs = 1;
    e->id = 0;
    return (uint8_t *)e + TS_EXT_HDR;
}

static void store_put(uint8_t *buf)
{
    if (buf) ts_ext_put((struct ts_ext *)(void *)(buf - TS_EXT_HDR));
}

struct ts_ext *ts_ring_ext(const struct ts_ring *r)
{
    return r->buf ? (struct ts_ext *)(void *)(r->buf - TS_EXT_HDR) : NULL;
}

int ts_ring_alloc(struct ts_ring *r)
{
    if (r->buf) return 0;
    r->buf = store_new(r->cap);
    return r->buf ? 0 : -1;
}

int ts_ring_resize(struct ts_ring *r, uint32_t cap)
{
    if (cap <= r->cap) return 0;
    if (!r->buf) { r->cap = cap; return 0; }
    uint8_t *nb = store_new(cap);
    if (!nb) return -1;
    uint32_t first = r->cap - r->head;
    memcpy(nb, r->buf + r->head, first);
    memcpy(nb + first, r->buf, r->head);
    store_put(r->buf);
    r->buf = nb;
    r->head = 0;
    r->cap = cap;
    return 0;
}

void ts_ring_release(struct ts_ring *r)
{
    store_put(r->buf);
    r->buf = NULL;
    r->head = 0;
    r->len = 0;
}

uint8_t *ts_ring_detach(struct ts_ring *r)
{
    struct ts_ext *e = ts_ring_ext(r);
    if (!e || e->refs != 1 || r->len) return NULL;
    uint8_t *buf = r->buf;
    r->buf = NULL;
    r->head = 0;
    return buf;
}

void ts_ring_adopt(struct ts_ring *r, uint8_t *buf)
{
    ((struct ts_ext *)(void *)(buf - TS_EXT_HDR))->id = 0;
    r->buf = buf;
    r->head = 0;
    r->len = 0;
}

void ts_ring_store_free(uint8_t *buf) { store_put(buf); }

/* The index of position pos: pos < 3 * cap (head < cap, offsets within the ring), so at most
 * two subtractions and no division; cap need not be a power of two. */
static uint32_t wrap(const struct ts_ring *r, uint32_t pos)
{
    while (pos >= r->cap) pos -= r->cap;
    return pos;
}

/* Copy n bytes into the ring starting at absolute position pos (wrapping). */
static void put_at(struct ts_ring *r, uint32_t pos, const uint8_t *src, uint32_t n)
{
    uint32_t i = wrap(r, pos);
    uint32_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(r->buf + i, src, first);
    if (n > first) memcpy(r->buf, src + first, n - first);
}

uint32_t ts_ring_write(struct ts_ring *r, const void *src, uint32_t n)
{
    if (n > ts_ring_space(r)) n = ts_ring_space(r);
    if (n == 0 || ts_ring_alloc(r) < 0) return 0;
    put_at(r, r->head + r->len, src, n);
    r->len += n;
    return n;
}

void ts_ring_write_beyond(struct ts_ring *r, uint32_t off, const void *src, uint32_t n)
{
    if (n) put_at(r, r->head + r->len + off, src, n);
}

void ts_ring_commit(struct ts_ring *r, uint32_t n) { r->len += n; }

const uint8_t *ts_ring_span(const struct ts_ring *r, uint32_t off, uint32_t n)
{
    if (!r->buf || n == 0) return NULL;
    uint32_t i = wrap(r, r->head + off);
    return r->cap - i >= n ? r->buf + i : NULL;
}

uint8_t *ts_ring_tail(struct ts_ring *r, uint32_t *contig)
{
    *contig = 0;
    if (ts_ring_alloc(r) < 0) return NULL;
    uint32_t i = wrap(r, r->head + r->len), space = ts_ring_space(r);
    *contig = r->cap - i < space ? r->cap - i : space;
    return r->buf + i;
}

void ts_ring_peek(const struct ts_ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return;
    uint32_t i = wrap(r, r->head + off);
    uint32_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(dst, r->buf + i, first);
    if (n > first) memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void ts_ring_consume(struct ts_ring *r, uint32_t n)
{
    r->head = wrap(r, r->head + n);
    r->len -= n;   /* head stays put even when empty: out-of-order bytes may sit beyond it */
}

uint32_t ts_ring_read(struct ts_ring *r, void *dst, uint32_t n)
{
    if (n > r->len) n = r->len;
    if (dst) ts_ring_peek(r, 0, dst, n);
    ts_ring_consume(r, n);
    return n;
}
