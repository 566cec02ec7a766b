/*
 * Whether the driver waits awake for the next frame before it sleeps: busy polling (loop.c).
 *
 * A sleeping loop is woken by the kernel when a frame arrives; on a VM that is an interrupt to a
 * halted virtual CPU, and it lies on the way of every frame that answers one of ours. Two cases
 * gain from waiting awake instead:
 *   - a bulk upload with offloads: the kernel's sender is cwnd-limited toward us, each ACK goes
 *     only after tapstack has woken, and super-segments come every 15-30 µs. Always on: after a
 *     batch with a super-segment the loop watches for up to bulk_budget (TS_RX_SPIN_BULK_US);
 *   - request/response, when asked (--busy-poll US, off by default as Linux's own busy polling,
 *     net.core.busy_read, is): a client that answers within the budget finds tapstack awake.
 *     Across cores this takes a wakeup off every round trip; but a loop that stays runnable also
 *     keeps the scheduler from putting the client on its CPU, where a wakeup is cheapest, so
 *     unpinned it can be slower (docs/performance.md has the figures).
 * The loop watches the ring, yielding the CPU to anything else runnable between looks, and sleeps
 * only if nothing came. A watch that ends empty makes the policy cold (sleep at once) until a whole
 * wait, watch included, is again shorter than the budget; so a peer slower than the budget costs
 * one empty watch per slow spell, never one per frame. No I/O here: the loop says what happened,
 * this says what to do.
 */
#ifndef TS_DRIVER_RX_SPIN_H
#define TS_DRIVER_RX_SPIN_H

#include <stdbool.h>
#include "tapstack/stack.h"

/* At 30 µs every watch of a 4 GB upload ended with a super-segment (they come every 15-30 µs
 * here); 50 only spent more CPU (docs/performance.md). */
#define TS_RX_SPIN_BULK_US 30u

struct ts_rx_spin {
    ts_time_t bulk_budget;   /* µs to watch at most after super-segments; 0: never */
    ts_time_t budget;   /* µs to watch at most after other frames; 0: never */
    bool armed;         /* a batch has brought frames (writes and timers alone change nothing) */
    bool bulk;          /* the last batch with frames brought a super-segment */
    bool cold;          /* the last watch ended empty and no wait since was shorter than budget */
};

/* A policy with the given budgets (µs; 0 turns each off): sleep at once until frames arrive. */
void ts_rx_spin_init(struct ts_rx_spin *sp, ts_time_t bulk_budget, ts_time_t budget);

/* Until when to watch before sleeping, at now with the next timer at deadline; 0: sleep at once. */
ts_time_t ts_rx_spin_until(const struct ts_rx_spin *sp, ts_time_t now, ts_time_t deadline);

/* A batch was taken: frames received in it, supers of them super-segments (GSO). A batch of
 * other completions only (writes done, timers) changes nothing. */
void ts_rx_spin_batch(struct ts_rx_spin *sp, uint64_t frames, uint64_t supers);

/* A watch ended: hit, a completion came during it; else it ran out. */
void ts_rx_spin_watched(struct ts_rx_spin *sp, bool hit);

/* A wait that slept ended after waited µs, counted from its start: the watch before the sleep,
 * if there was one, included (it woke with a completion or at a timer). */
void ts_rx_spin_slept(struct ts_rx_spin *sp, ts_time_t waited);

#endif
