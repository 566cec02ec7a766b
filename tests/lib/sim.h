/*
 * sim: two tapstack cores in one process joined by a seeded, imperfect Ethernet link, on a
 * virtual clock. For TCP tests (tests/unit/test_tcp_sim.c) and for testing servers in-process
 * (HTTP, FTP: run the server on sim_a, a client on sim_b).
 *
 *   struct sim *sim = sim_new(42, 0.05, 0.01, 0.02);   // 5% loss, 1% duplicated, 2% reordered
 *   ... ts_tcp_listen(sim_a(sim), ...); ts_tcp_connect(sim_b(sim), sim_now(sim), ...) ...
 *   bool ok = sim_run_until(sim, done, &ctx, TS_SEC(60));
 *   sim_free(sim);
 *
 * Stack A is 10.0.0.2 (MAC 02:00:00:00:00:02), B is 10.0.0.3 (MAC 02:00:00:00:00:03), both
 * /24, with each other's MAC pre-seeded in the ARP cache. Every frame either stack sends goes
 * through the link: dropped with probability loss, else delivered after the link's delay (one-way
 * base delay plus serialization at the link rate, FIFO per direction), duplicated with
 * probability dup, and held back by an extra delay with probability reorder (so later frames
 * overtake it). A bounded per-direction queue drops at the tail when full. All randomness comes
 * from the seed: a run is reproducible.
 *
 * The clock jumps to the earliest of: both stacks' ts_stack_poll_at, the next frame delivery,
 * and the poll_at of any application added with sim_add_app. Nothing reads the real clock.
 */
#ifndef TESTS_LIB_SIM_H
#define TESTS_LIB_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

#define SIM_IP_A 0x0a000002u   /* 10.0.0.2 */
#define SIM_IP_B 0x0a000003u   /* 10.0.0.3 */

struct sim;

/* Link parameters (sim_new sets the defaults shown). */
struct sim_link {
    double loss, dup, reorder;     /* probabilities 0..1 per frame */
    ts_time_t delay;               /* one-way base delay: 1 ms */
    ts_time_t reorder_delay;       /* extra delay of a reordered frame: 3 ms */
    uint64_t rate_bps;             /* link rate in bit/s, 0 = infinite: 100 Mbit/s */
    unsigned queue_frames;         /* per direction, frames waiting or in flight: 1000 */
};

/* Counters of what the link did. */
struct sim_stats {
    uint64_t sent[2];              /* frames sent by A (0) and B (1) */
    uint64_t delivered, dropped, duplicated, reordered, overflowed;
    uint64_t steps;                /* clock advances */
};

/* A new simulation: two fresh stacks and the link. Returns NULL if a stack cannot be created. */
struct sim *sim_new(uint64_t seed, double loss, double dup, double reorder);

/* Same, with full link parameters and an optional hook to adjust each stack's config before it
 * is created (side 0 = A, 1 = B); cfg_hook may be NULL. */
struct sim *sim_new_ex(uint64_t seed, const struct sim_link *link,
                       void (*cfg_hook)(void *arg, int side, struct ts_config *cfg), void *arg);

/* Free both stacks (stop applications first: sim_free calls each added app's stop). */
void sim_free(struct sim *sim);

struct ts_stack *sim_a(struct sim *sim);
struct ts_stack *sim_b(struct sim *sim);
ts_time_t sim_now(const struct sim *sim);
const struct sim_stats *sim_stats(const struct sim *sim);
struct sim_link *sim_link(struct sim *sim);   /* may be changed between runs */

/* Take part in the clock: app->poll_at/poll are called like the stacks' (app may be on either
 * side; the sim does not own it, but calls app->stop from sim_free). Up to 8 apps. */
int sim_add_app(struct sim *sim, const struct ts_app *app);

/* A model endpoint in the place of stack B (tests/lib/sim_peer.h is one): frames for B go to
 * receive() instead of stack B, transmit() is asked for frames like a stack (0 when none), and
 * poll_at()/poll() take part in the clock. Stack B stays allocated but idle. The sim copies *ep
 * and does not own ep->ctx. */
struct sim_endpoint {
    void *ctx;
    void (*receive)(void *ctx, ts_time_t now, const uint8_t *frame, size_t len);
    size_t (*transmit)(void *ctx, ts_time_t now, uint8_t *buf, size_t cap);
    ts_time_t (*poll_at)(void *ctx);
    void (*poll)(void *ctx, ts_time_t now);
};
void sim_set_endpoint_b(struct sim *sim, const struct sim_endpoint *ep);

/* Run until pred(arg) is true (checked after every step; pred may be NULL: run until idle) or
 * until the virtual clock would pass max_virtual (relative to the time of the call), or until
 * nothing is left to do. Returns whether pred held (or, with pred NULL, whether idle was
 * reached). Bounded: at most sim->max_steps steps (default 200 million). */
bool sim_run_until(struct sim *sim, bool (*pred)(void *arg), void *arg, ts_time_t max_virtual);

/* Run for exactly dt of virtual time (processing whatever happens). */
void sim_run_for(struct sim *sim, ts_time_t dt);

#endif
