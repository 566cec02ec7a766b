/*
 * tapstack: how an application that runs on the stack (HTTP, FTP, echo ...) plugs into a driver
 * loop. The application uses only socket.h; for its own timeouts it reports a deadline.
 */
#ifndef TAPSTACK_APP_H
#define TAPSTACK_APP_H

#include "tapstack/stack.h"

struct ts_app {
    const char *name;                               /* "http", "ftp", "echo-tcp" ... */
    void *ctx;
    /* Earliest time the app needs poll() called (idle timeouts ...), or TS_TIME_NEVER. May be NULL. */
    ts_time_t (*poll_at)(void *ctx);
    /* Run the app's timers due at now. May be NULL. */
    void (*poll)(void *ctx, ts_time_t now);
    /* Close every socket and free everything. Called once, before the stack is freed. */
    void (*stop)(void *ctx, ts_time_t now);
};

#endif
