/*
 * Inside the small services: the shared context of services.c (UDP) and services_tcp.c (TCP).
 */
#ifndef TS_APPS_SERVICES_IMPL_H
#define TS_APPS_SERVICES_IMPL_H

#include <stddef.h>
#include "apps/conn_guard.h"
#include "apps/services/services.h"
#include "tapstack/socket.h"

enum svc_kind { SVC_ECHO = 0, SVC_DISCARD, SVC_DAYTIME, SVC_KINDS };

struct svc_ctx;

/* One UDP service: its socket and the one reply held back for want of a frame. */
struct svc_udp {
    struct svc_ctx *ctx;
    enum svc_kind kind;
    struct ts_sock *sock;
    bool pend;
    uint32_t pend_addr;
    uint16_t pend_port;
    size_t pend_len;
    uint8_t *pend_buf;        /* 64 KiB for echo, small_buf for daytime */
    ts_time_t retry_at;
    unsigned retries;         /* attempts for the held reply */
    uint8_t small_buf[128];
};

struct svc_conn;

/* A TCP connection's class in its service's guard (conn_guard.h). */
enum svc_class {
    SC_FIRST = 0,             /* nothing received yet: first_byte_timeout, evicted first */
    SC_IDLE,                  /* has spoken, owes nothing: tcp_idle since the last byte */
    SC_BUSY,                  /* echo bytes held for a peer that does not read: tcp_idle, kept */
    SC_ANSWERED,              /* daytime sent, not yet acknowledged: checked every 200 ms */
    SC_CLASSES,
};

/* One TCP service: its listener, its connections and their guard (echo and discard). */
struct svc_tcp {
    struct svc_ctx *ctx;
    enum svc_kind kind;
    struct ts_sock *listener;
    struct svc_conn *conns;
    unsigned nconns;
    bool guarded;             /* guard initialised */
    struct ts_guard guard;
};

struct svc_ctx {
    struct ts_stack *s;
    struct ts_services_opts o;
    struct ts_services_stats st;
    ts_time_t now;            /* the latest time we were told */
    struct svc_udp udp[SVC_KINDS];
    struct svc_tcp tcp[SVC_KINDS];
    uint8_t buf[65536];       /* one datagram being answered */
};

/* The daytime text (RFC 867) for now, with CRLF; returns its length (0 on failure). */
size_t ts_services_daytime_text(char *buf, size_t cap);

/* TCP halves (services_tcp.c). */
int ts_services_tcp_start(struct svc_ctx *c, enum svc_kind kind, uint16_t port);
ts_time_t ts_services_tcp_poll_at(struct svc_ctx *c);
void ts_services_tcp_poll(struct svc_ctx *c, ts_time_t now);
void ts_services_tcp_stop(struct svc_ctx *c, ts_time_t now);

#endif
