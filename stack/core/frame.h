/*
 * Frame buffers: a fixed pool made when the stack is born, a transmit FIFO, and the parking used
 * by ARP's pending queues. No allocation happens per frame.
 */
#ifndef TS_CORE_FRAME_H
#define TS_CORE_FRAME_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"

/* A block of memory shared by reference (a TCP send buffer's storage): freed by whoever drops
 * the last reference. The bytes follow the header at TS_EXT_HDR. */
struct ts_ext { uint32_t refs; uint64_t id; };   /* id: 0 until ts_tcp_send_store names it */
#define TS_EXT_HDR 64u
static inline void ts_ext_get(struct ts_ext *e) { e->refs++; }
void ts_ext_put(struct ts_ext *e);

struct ts_frame {
    struct ts_frame *next;
    uint32_t len;        /* bytes of data[] in use: a whole Ethernet frame once queued */
    uint32_t nexthop;    /* next-hop IPv4 address, while parked on an ARP pending queue */
    ts_time_t parked_at; /* when it was parked */
    struct ts_frame_info info; /* offloads the wire must finish (flags 0: a plain frame) */
    bool big;            /* from the large pool: room for TS_FRAME_MAX_GSO bytes */
    bool dead;           /* withdrawn while queued (ts_txq_withdraw): freed, never sent */
    struct ts_ext *ext;  /* a large frame's payload, held by reference instead of copied (the */
    const uint8_t *ext_data;   /* send buffer's bytes, ts_stack_set_tx_gather): ext_len bytes */
    uint32_t ext_len;    /* at ext_data follow data[0, len) on the wire */
    uint8_t data[];      /* s->frame_cap bytes (MTU + 14) */
};

/* A free frame from the pool, or NULL when every frame is in use (the caller counts the drop).
 * len is 0. */
struct ts_frame *ts_frame_alloc(struct ts_stack *s);

/* A frame with room for TS_FRAME_MAX_GSO bytes (a TSO super-segment), or NULL when
 * TS_FRAME_BIG_MAX are in use or memory is short. Made on demand, kept for reuse. */
struct ts_frame *ts_frame_alloc_big(struct ts_stack *s);

/* Free every large frame, queued, idle or still held by the driver (at teardown). */
void ts_frame_big_release(struct ts_stack *s);

/* Give a frame back to its pool. Safe on NULL. */
void ts_frame_free(struct ts_stack *s, struct ts_frame *f);

/* Frames left in the pool (for TCP: stop producing segments when this runs low). */
unsigned ts_frame_pool_free(const struct ts_stack *s);

/* Free the pool's chunks if no frame of it is out, and the large frames if none of them is out;
 * both are made again on demand. Returns the bytes freed. */
size_t ts_frame_pool_shrink(struct ts_stack *s);

/* Append a complete Ethernet frame (f->len bytes) to the transmit FIFO; the stack owns it. */
void ts_txq_push(struct ts_stack *s, struct ts_frame *f);

/* The FIFO position of the frame pushed last (valid right after ts_txq_push), for
 * ts_txq_queued. */
uint64_t ts_txq_last_pos(const struct ts_stack *s);

/* Is the frame pushed at position pos still on the FIFO (not yet taken by the driver)? Only
 * then may its pointer be used. */
bool ts_txq_queued(const struct ts_stack *s, uint64_t pos);

/* Withdraw a frame that is still queued (ts_txq_queued): it is freed when it reaches the head
 * of the FIFO instead of being sent. */
static inline void ts_txq_withdraw(struct ts_frame *f) { f->dead = true; }

#endif
