/*
 * The part every socket shares (TCP connection blocks and UDP sockets embed it first), and the
 * event queue that carries readiness to the applications through ts_stack_dispatch().
 */
#ifndef TS_CORE_SOCK_H
#define TS_CORE_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/socket.h"
#include "core/demux.h"

enum {
    TS_SOCK_F_QUEUED   = 1u << 0,  /* on the event queue */
    TS_SOCK_F_APP_GONE = 1u << 1,  /* the application closed its handle: deliver nothing more */
};

struct ts_sock {
    struct ts_demux_node node;  /* the socket pair, as the demultiplexer knows it (first!) */
    uint8_t proto;              /* 6 = TCP, 17 = UDP */
    uint8_t flags;
    unsigned pending;           /* TS_EV_* bits waiting for dispatch */
    int error;                  /* TS_E* that ended it, 0 if none */
    ts_sock_cb cb;
    void *cb_arg;
    struct ts_sock *ev_next;    /* event queue link */
};

/* Record events for a socket and queue it for the next ts_stack_dispatch(). Does nothing once
 * the application has closed its handle. */
void ts_sock_notify(struct ts_stack *s, struct ts_sock *sock, unsigned events);

/* Take a socket off the event queue (call before freeing it). */
void ts_sock_unqueue(struct ts_stack *s, struct ts_sock *sock);

#endif
