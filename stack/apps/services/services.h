/*
 * The small services: echo (RFC 862), discard (RFC 863) and daytime (RFC 867), each on UDP and
 * TCP. They run on the stack through the socket API only; daytime reads the wall clock (time()),
 * which an application may do and the core never does.
 */
#ifndef TS_APPS_SERVICES_H
#define TS_APPS_SERVICES_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/app.h"
#include "tapstack/stack.h"

struct ts_services_opts {
    uint16_t echo_port;      /* 0 = off; default 7 */
    uint16_t discard_port;   /* 0 = off; default 9 */
    uint16_t daytime_port;   /* 0 = off; default 13 */
    bool udp, tcp;           /* which transports to serve on (default both) */
    /* TCP connections per service (echo, discard); at the limit a newcomer evicts the one idle
     * longest, first those that never sent a byte (stack/apps/conn_guard.h). 0 = sized from
     * memory and the stack's TCP limit. */
    unsigned max_tcp_conns;
    unsigned max_per_peer;   /* per service and client address; 0 = max_tcp_conns / 4 */
    ts_time_t first_byte_timeout;   /* a TCP connection must send within: 0 = 10 s */
    ts_time_t tcp_idle;      /* close a TCP connection idle this long; 0 = 5 minutes */
    /* Both timeouts drop to a quarter (at least 1 s) at 3/4 of max_tcp_conns. */
    void (*log)(void *arg, const char *line);   /* evictions, once a second at most; NULL: none */
    void *log_arg;
};

/* Fill *o with the defaults above. */
void ts_services_opts_default(struct ts_services_opts *o);

/* Open every enabled service's sockets on s (any local address) and describe the whole set as
 * one application in *out (poll_at/poll for retries and idle timeouts, stop to close them all).
 * Returns 0, or -TS_E* (then nothing is left open). */
int ts_services_start(struct ts_stack *s, ts_time_t now, const struct ts_services_opts *opts,
                      struct ts_app *out);

/* Counters of one services instance (ctx of the ts_app), for tests and the CLI. */
struct ts_services_stats {
    uint64_t udp_echoed, udp_discarded, udp_daytime;  /* datagrams answered / swallowed */
    uint64_t udp_send_retry;                          /* echo replies held back (no frame) */
    uint64_t tcp_accepted, tcp_echo_bytes, tcp_discard_bytes, tcp_daytime;
    uint64_t tcp_evicted;                             /* idle connections closed for newcomers */
    uint64_t tcp_refused;                             /* newcomers refused (limit, per address) */
};
const struct ts_services_stats *ts_services_stats(const void *ctx);

#endif
