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
    unsigned max_tcp_conns;  /* per service; 0 = 16384 (500 echo clients at once, 10,000 idle in the benchmark) */
    ts_time_t tcp_idle;      /* close a TCP connection idle this long; 0 = 5 minutes */
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
};
const struct ts_services_stats *ts_services_stats(const void *ctx);

#endif
