/*
 * tapstack: how an application that runs on the stack (HTTP, FTP, echo ...) plugs into a driver
 * loop. The application uses only socket.h; for its own timeouts it reports a deadline.
 */
#ifndef TAPSTACK_APP_H
#define TAPSTACK_APP_H

#include "tapstack/stack.h"

/* What a server's connection limits have done (stack/apps/conn_guard.h), for netstat -s. */
struct ts_app_conn_stats {
    const char *name;                               /* "http", "ftp", "echo" ... */
    unsigned conns, max_conns, max_per_peer;        /* held now, and the limits */
    uint64_t admitted;                              /* connections let in */
    uint64_t evicted;                               /* idle ones closed to let a newcomer in */
    uint64_t refused_full, refused_peer;            /* newcomers refused: nothing evictable; address at its limit */
    uint64_t expired;                               /* timeouts that ran out (first byte, login, idle ...) */
};

struct ts_app {
    const char *name;                               /* "http", "ftp", "echo-tcp" ... */
    void *ctx;
    /* Earliest time the app needs poll() called (idle timeouts ...), or TS_TIME_NEVER. May be NULL. */
    ts_time_t (*poll_at)(void *ctx);
    /* Run the app's timers due at now. May be NULL. */
    void (*poll)(void *ctx, ts_time_t now);
    /* Close every socket and free everything. Called once, before the stack is freed. */
    void (*stop)(void *ctx, ts_time_t now);
    /* Fill up to cap entries, one per server that limits its connections; returns how many.
     * May be NULL (the app keeps no such limits). */
    unsigned (*conn_stats)(void *ctx, struct ts_app_conn_stats *out, unsigned cap);
};

#endif
