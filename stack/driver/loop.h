/*
 * The driver loop: one io_uring that carries every read from and write to the TAP, the stop
 * signal, and the wait for the stack's next deadline.
 *
 *   - Receiving: one multishot read (Linux 6.7+) into a ring of rx_depth provided buffers, one
 *     completion per frame; on older kernels rx_depth plain reads, each into its own buffer.
 *     Each frame goes to ts_stack_receive(now) and then ts_stack_dispatch, and its buffer back
 *     to the kernel.
 *   - After a batch of completions: ts_stack_poll and each app's poll if due, ts_stack_dispatch,
 *     then ts_stack_transmit is drained into free write buffers, one write SQE per frame.
 *   - One io_uring_enter both submits everything queued and waits until the writes in flight
 *     have completed and one more completion came (or only the next completion while a write
 *     slot or the frames a write holds are awaited), bounded by the earliest deadline of the
 *     stack and the apps (no timer fd, no tick).
 * No syscalls per frame beyond the ring.
 */
#ifndef TS_DRIVER_LOOP_H
#define TS_DRIVER_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

struct ts_obs;

struct ts_loop_cfg {
    int tap_fd;
    int sig_fd;            /* a signalfd (see signals.h), or -1 */
    size_t frame_cap;      /* bytes per buffer: at least the MTU + 14 */
    unsigned rx_depth;     /* receive buffers (rounded up to a power of two); 0: 32, or 4 with vnet (loop.c) */
    bool rx_plain;         /* rx_depth plain reads even if the kernel has multishot read */
    unsigned tx_depth;     /* write buffers; 0 means 256 */
    struct ts_obs *obs;    /* capture, trace, fault injection (driver/obs.h), or NULL */
    bool vnet;             /* the TAP leads each frame with a virtio-net header (vnet.h); frame_cap
                            * is then the largest frame without it */
    unsigned busy_poll_us; /* after frames other than super-segments arrive, wait awake this long for
                            * the next before sleeping (rx_spin.h); 0: sleep at once */
    /* Called each time the loop is about to wait for the kernel (asleep, or awake with busy
     * polling), after the batch's frames were queued and before they are submitted; or NULL.
     * `tapstack up` writes its buffered log lines here: one write per batch, not per line. */
    void (*before_wait)(void *arg);
    void *before_wait_arg;
};

/* The most busy_poll_us may be. */
#define TS_LOOP_BUSY_POLL_MAX_US 1000u

struct ts_loop_stats {
    bool rx_multishot;     /* receiving with one multishot read (else rx_depth plain reads) */
    unsigned rx_buffers;   /* receive buffers (frames taken per wakeup at most) */
    uint64_t rx_frames, rx_bytes, rx_errors;
    uint64_t rx_rearms;    /* times the multishot read ended (no free buffer) and was queued again */
    uint64_t rx_gso, tx_gso; /* super-segments read from / written to the TAP */
    uint64_t rx_bad_vnet;  /* frames dropped: a virtio-net header the core cannot take (UDP/IPv6 GSO) */
    uint64_t tx_frames, tx_bytes, tx_errors, tx_short;
    uint64_t tx_full;      /* times the transmit drain stopped for want of a free write buffer */
    uint64_t rx_spin_hits, rx_spin_misses;   /* waits awake for the next frame (rx_spin.h): ended by one / not */
    uint64_t waits;        /* io_uring_enter calls that waited */
};

struct ts_loop;

/* Set up the ring and the buffers. Returns NULL with a message in err on failure. */
struct ts_loop *ts_loop_new(const struct ts_loop_cfg *cfg, char *err, size_t errlen);

/* Run s and its apps until a stop signal arrives. Returns the signal's number, or -errno after
 * a fatal error of the ring or the TAP (logged to stderr). */
int ts_loop_run(struct ts_loop *l, struct ts_stack *s, struct ts_app *apps, unsigned napps);

/* Ask ts_loop_run to return code (e.g. 0) once the completions in hand are handled: for an app
 * that is done (tapstack fetch). Call it from a callback or poll that the loop runs. */
void ts_loop_stop(struct ts_loop *l, int code);

/* Write every frame the stack has queued now and wait, at most timeout, until the writes are
 * done. For shutdown: after the apps are stopped and before the stack is freed. */
void ts_loop_flush(struct ts_loop *l, struct ts_stack *s, ts_time_t now, ts_time_t timeout);

/* Another fd the loop should watch (the control socket ...): when it is readable, ready() runs
 * in the loop's thread, between frames, with the current time; it may use the stack freely.
 * It is watched again after each call. At most TS_LOOP_WATCH_MAX. Returns 0 or -1 if full. */
#define TS_LOOP_WATCH_MAX 4
struct ts_loop_watch {
    int fd;
    void (*ready)(void *arg, ts_time_t now);
    void *arg;
};
int ts_loop_watch(struct ts_loop *l, const struct ts_loop_watch *w);

/* Counters of the loop itself. */
const struct ts_loop_stats *ts_loop_stats(const struct ts_loop *l);

/* Cancel what is in flight and free everything. Safe on NULL. Does not close the fds. */
void ts_loop_free(struct ts_loop *l);

#endif
