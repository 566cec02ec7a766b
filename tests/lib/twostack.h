/*
 * The two-stack harness of the end-to-end unit tests: a client stack (10.0.0.1, MAC
 * 02:00:00:00:00:01, seed 1) and a server stack (10.0.0.2, the defaults, seed 2), or any two
 * configurations, joined by an in-memory link, a virtual clock, and the applications (struct
 * ts_app) run on either stack polled when they are due.
 *
 * Two ways to drive it:
 *   - settle/run: the link is instant; twostack_run jumps the clock from deadline to deadline.
 *   - step/exchange: one round of frames each way per step, timers polled when due, the clock
 *     moved by the test (a link delay) or to the next deadline when nothing moves; the link may
 *     drop loss_pct percent of the frames (seeded, reproducible) or hand every frame to a test's
 *     link function (to inspect, split or drop it). twostack_exchange pumps two bulk ends
 *     (struct twostack_end) between steps.
 */
#ifndef TS_TESTS_TWOSTACK_H
#define TS_TESTS_TWOSTACK_H

#include <stdbool.h>
#include "tapstack/app.h"
#include "tapstack/socket.h"
#include "tapstack/stack.h"
#include "core/rand.h"

#define TWOSTACK_CLIENT_IP 0x0a000001u
#define TWOSTACK_SERVER_IP 0x0a000002u
#define TWOSTACK_MAX_APPS 4

struct twostack;

/* A test's link: gets every frame from -> to with what the sender left for the wire (info), in
 * place of the perfect link; hands on what should arrive with twostack_deliver. */
typedef void twostack_link_fn(struct twostack *t, struct ts_stack *from, struct ts_stack *to, uint8_t *frame,
                              size_t len, const struct ts_frame_info *info);

struct twostack {
    struct ts_stack *c, *s;
    ts_time_t now;                          /* starts at 1 s */
    struct ts_app *apps[TWOSTACK_MAX_APPS];
    unsigned napps;
    int s2c_budget;                         /* frames still delivered server -> client; -1: all */
    bool (*done)(void *arg);                /* optional: run and exchange stop once it returns true */
    void *done_arg;
    unsigned loss_pct;                      /* frames twostack_deliver drops, percent */
    struct ts_rng rng;                      /* draws the losses; seeded with 7 */
    uint64_t moved, lost;                   /* frames taken from the stacks; dropped by loss_pct */
    twostack_link_fn *link;                 /* optional: see twostack_link_fn */
    void *link_arg;
    uint8_t *buf;                           /* one frame: TS_FRAME_MAX_GSO bytes */
};

/* ts_config_default with ip, the last byte of the MAC and the seed set. */
void twostack_config(struct ts_config *c, uint32_t ip, uint8_t mac_last, uint64_t seed);

/* Make both stacks (cmocka-fails if it cannot). static_arp: each knows the other's MAC, so no
 * ARP frame crosses the link. */
void twostack_init(struct twostack *t, bool static_arp);

/* The same with stacks made from cc (client) and sc (server). */
void twostack_init_with(struct twostack *t, const struct ts_config *cc, const struct ts_config *sc,
                        bool static_arp);

/* Poll app (on either stack) whenever it is due, from now on. At most TWOSTACK_MAX_APPS. */
void twostack_add_app(struct twostack *t, struct ts_app *app);

/* Move frames both ways, deliver events and run due apps until nothing moves (cmocka-fails
 * after a million rounds). */
void twostack_settle(struct twostack *t);

/* Settle, then jump from deadline to deadline up to now + dt (or until done() says so), running
 * timers and settling at each. now ends at now + dt unless done() stopped it earlier. */
void twostack_run(struct twostack *t, ts_time_t dt);

/* One step: every frame queued now crosses once (through link, or twostack_deliver), each
 * stack's timers run if due, events are delivered and due apps run. Returns the frames taken. */
unsigned twostack_step(struct twostack *t);

/* Nothing moved: jump the clock to the next deadline (at least 1 us on). False if there is none. */
bool twostack_idle(struct twostack *t);

/* Hand frame to `to` unless loss_pct says drop it (counted in lost). For link functions. */
void twostack_deliver(struct twostack *t, struct ts_stack *to, const uint8_t *frame, size_t len,
                      const struct ts_frame_info *info);

/* One end of a bulk exchange: sends out[0, out_len) then shuts down its side (unless shut is
 * already true), reads into in[0, in_cap) until the peer's FIN (eof). */
struct twostack_end {
    struct ts_sock *sock;
    const uint8_t *out;
    size_t out_len, sent;
    uint8_t *in;
    size_t in_len, in_cap;
    bool eof, shut;
    unsigned events;                        /* every TS_EV_* the socket reported */
};

/* Socket callbacks for an end (arg: the struct twostack_end): twostack_end_event notes the
 * events; twostack_end_accept, a listener's callback, makes the accepted socket the end's. */
void twostack_end_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);
void twostack_end_accept(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);

/* Send and receive as much as the socket takes now. True if anything moved. */
bool twostack_pump(struct twostack_end *e, ts_time_t now);

/* A connection from the client's end a to a listener on the server's port (into *l) whose
 * accepted socket is b's, stepped until it is accepted (cmocka-fails if it never is). */
void twostack_connect(struct twostack *t, uint16_t port, struct twostack_end *a, struct twostack_end *b,
                      struct ts_sock **l);

/* Step, pump a and b (either may have no socket yet), and repeat until done() says so, nothing
 * is left to do, or the clock reaches until; after a step that moved frames the clock moves on
 * by delay (the link's latency). */
void twostack_exchange(struct twostack *t, struct twostack_end *a, struct twostack_end *b, ts_time_t delay,
                       ts_time_t until);

/* Free both stacks (stop the apps first). */
void twostack_free(struct twostack *t);

#endif
