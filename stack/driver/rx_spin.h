/*
 * Whether the driver waits awake for the next super-segment before it sleeps (loop.c).
 *
 * Receiving a bulk upload with offloads, the kernel's sender (BBR here) is cwnd-limited toward
 * us: each ACK it waits for goes only after tapstack has been woken, has copied the frame in and
 * has written the ACK. When tapstack sleeps between super-segments that arrive every 15-30 µs, the
 * wakeup (on a VM, an interrupt to a halted virtual CPU) is on every ACK's way and costs CPU of
 * its own. So while super-segments arrive, the loop first watches the ring for up to a budget of
 * microseconds, yielding the CPU to anything else runnable between looks, and sleeps only if
 * nothing came. Never for anything else (a lone frame, requests,
 * plain frames): those wait asleep as before. A watch that ends empty makes the policy cold (sleep
 * at once) until a sleep again ends sooner than the budget, so a slow sender costs at most one
 * empty watch per slow spell. No I/O here: the loop says what happened, this says what to do.
 */
#ifndef TS_DRIVER_RX_SPIN_H
#define TS_DRIVER_RX_SPIN_H

#include <stdbool.h>
#include "tapstack/stack.h"

struct ts_rx_spin {
    ts_time_t budget;   /* µs to watch at most; 0: never */
    bool bulk;          /* the last batch brought a super-segment */
    bool cold;          /* the last watch ended empty and no sleep since was shorter than budget */
};

/* A policy with the given budget (µs; 0 turns it off), neither bulk nor cold. */
void ts_rx_spin_init(struct ts_rx_spin *sp, ts_time_t budget);

/* Until when to watch before sleeping, at now with the next timer at deadline; 0: sleep at once. */
ts_time_t ts_rx_spin_until(const struct ts_rx_spin *sp, ts_time_t now, ts_time_t deadline);

/* A batch was taken: frames received in it, supers of them super-segments (GSO). A batch of
 * other completions only (writes done, timers) changes nothing. */
void ts_rx_spin_batch(struct ts_rx_spin *sp, uint64_t frames, uint64_t supers);

/* A watch ended: hit, a completion came during it; else it ran out. */
void ts_rx_spin_watched(struct ts_rx_spin *sp, bool hit);

/* The loop slept for slept µs (it woke with a completion or at a timer). */
void ts_rx_spin_slept(struct ts_rx_spin *sp, ts_time_t slept);

#endif
