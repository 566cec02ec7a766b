/*
 * The two-stack harness of the end-to-end unit tests: a client stack (10.0.0.1, MAC
 * 02:00:00:00:00:01, seed 1) and a server stack (10.0.0.2, the defaults, seed 2) joined by a
 * perfect in-memory link, a virtual clock that jumps from deadline to deadline, and the
 * applications (struct ts_app) run on either stack polled when they are due.
 */
#ifndef TS_TESTS_TWOSTACK_H
#define TS_TESTS_TWOSTACK_H

#include <stdbool.h>
#include "tapstack/app.h"
#include "tapstack/stack.h"

#define TWOSTACK_CLIENT_IP 0x0a000001u
#define TWOSTACK_SERVER_IP 0x0a000002u
#define TWOSTACK_MAX_APPS 4

struct twostack {
    struct ts_stack *c, *s;
    ts_time_t now;                          /* starts at 1 s */
    struct ts_app *apps[TWOSTACK_MAX_APPS];
    unsigned napps;
    int s2c_budget;                         /* frames still delivered server -> client; -1: all */
    bool (*done)(void *arg);                /* optional: twostack_run stops once it returns true */
    void *done_arg;
};

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

/* Free both stacks (stop the apps first). */
void twostack_free(struct twostack *t);

#endif
