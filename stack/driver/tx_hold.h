/*
 * Whether the driver holds its transmit drain for the next batch of received frames (loop.c).
 *
 * Receiving a bulk upload with offloads, tapstack is given four 64 KB super-segments per batch
 * (rx_give in loop.c) and, when the sender keeps ahead, the multishot read ends for want of a
 * free buffer: more frames wait in the TAP at that moment, and the next batch is read at once.
 * Every pure ACK written to the TAP runs the kernel sender's ACK processing (tcp_ack, the
 * transmissions it releases, their pacing timers) in tapstack's thread, and ACKs queued but not
 * yet written merge (tcp_ack_merge.c: of a run of in-order ACKs the last two go). So while frames
 * wait in the TAP and the batch brought super-segments, the loop takes the next batch before it
 * drains what the stack queued, up to max batches in a row: about one ACK per 7 super-segments
 * instead of one per two, the kernel receiver's own rate (it ACKs when its reader frees window).
 * A held drain waits at most one batch's read: never for a lone frame, requests, plain frames,
 * or once the TAP is empty. No I/O here: the loop says what the batch was, this says what to do.
 */
#ifndef TS_DRIVER_TX_HOLD_H
#define TS_DRIVER_TX_HOLD_H

#include <stdbool.h>
#include <stdint.h>

struct ts_tx_hold {
    unsigned max;    /* batches in a row whose drain may be held; 0: never */
    unsigned held;   /* drains held since the last one that ran */
};

/* A policy that holds at most max drains in a row (0 turns it off). */
void ts_tx_hold_init(struct ts_tx_hold *h, unsigned max);

/* After a batch: waiting, its read ended with frames left in the TAP for want of a buffer;
 * supers, the super-segments it brought. Returns true to take the next batch before draining
 * (counted as held), false to drain now (which starts a new run). */
bool ts_tx_hold_drain(struct ts_tx_hold *h, bool waiting, uint64_t supers);

#endif
