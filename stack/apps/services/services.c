/*
 * echo (RFC 862), discard (RFC 863) and daytime (RFC 867) over UDP; the TCP halves are in
 * services_tcp.c. One ts_app carries them all.
 *
 * UDP echo never loses a datagram to a momentary lack of transmit frames: the reply that could
 * not be sent is held (one per service), reading stops, and the app's poll retries it a
 * millisecond later; meanwhile the socket's bounded queue holds what arrives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "apps/services/services.h"
#include "apps/services/services_impl.h"
#include "tapstack/socket.h"

#define RETRY_DELAY TS_MS(1)
#define RETRY_MAX 200   /* then the held reply is dropped (ARP may never answer) */

void ts_services_opts_default(struct ts_services_opts *o)
{
    memset(o, 0, sizeof *o);
    o->echo_port = 7;
    o->discard_port = 9;
    o->daytime_port = 13;
    o->udp = true;
    o->tcp = true;
    o->first_byte_timeout = TS_SEC(10);
    o->tcp_idle = TS_SEC(300);
}

size_t ts_services_daytime_text(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return 0;
    /* RFC 867 leaves the syntax open; this is its first suggestion, in UTC. */
    return strftime(buf, cap, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm);
}

/* Answer one datagram of svc (n bytes in c->buf from a:p). Returns false if the reply must wait
 * for a frame (then it is held in svc). */
static bool udp_answer(struct svc_ctx *c, struct svc_udp *u, ts_time_t now, uint32_t a,
                       uint16_t p, size_t n)
{
    const uint8_t *reply = c->buf;
    switch (u->kind) {
    case SVC_DISCARD:
        c->st.udp_discarded++;
        return true;
    case SVC_DAYTIME:
        n = ts_services_daytime_text((char *)c->buf, sizeof c->buf);
        break;
    default:
        break;
    }
    long r = ts_udp_sendto(u->sock, now, a, p, reply, n);
    if (r == -TS_ENOMEM) {
        u->pend = true;
        u->pend_addr = a;
        u->pend_port = p;
        u->pend_len = n;
        memcpy(u->pend_buf, reply, n);
        c->st.udp_send_retry++;
        return false;
    }
    if (r >= 0) {
        if (u->kind == SVC_ECHO) c->st.udp_echoed++;
        else c->st.udp_daytime++;
    }
    return true;   /* sent, or failed for good (no route): UDP may lose it */
}

/* Send what is held, then read and answer until the queue is empty or frames run out. */
static void udp_drain(struct svc_ctx *c, struct svc_udp *u, ts_time_t now)
{
    c->now = now;
    if (u->pend) {
        long r = ts_udp_sendto(u->sock, now, u->pend_addr, u->pend_port, u->pend_buf, u->pend_len);
        if (r == -TS_ENOMEM && ++u->retries < RETRY_MAX) {
            u->retry_at = now + RETRY_DELAY;
            return;
        }
        u->pend = false;
        u->retries = 0;
        if (r >= 0) {
            if (u->kind == SVC_ECHO) c->st.udp_echoed++;
            else c->st.udp_daytime++;
        }
    }
    for (;;) {
        uint32_t a;
        uint16_t p;
        long n = ts_udp_recvfrom(u->sock, c->buf, sizeof c->buf, &a, &p);
        if (n < 0) break;   /* -TS_EAGAIN: empty */
        if (!udp_answer(c, u, now, a, p, (size_t)n)) {
            u->retry_at = now + RETRY_DELAY;
            return;
        }
    }
}

static void udp_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct svc_udp *u = arg;
    (void)sock;
    if (events & TS_EV_READABLE) udp_drain(u->ctx, u, now);
}

static int udp_start(struct svc_ctx *c, enum svc_kind kind, uint16_t port)
{
    struct svc_udp *u = &c->udp[kind];
    u->ctx = c;
    u->kind = kind;
    if (kind == SVC_ECHO) {
        u->pend_buf = malloc(65536);
        if (!u->pend_buf) return -TS_ENOMEM;
    } else {
        u->pend_buf = u->small_buf;
    }
    return ts_udp_open(c->s, 0, port, udp_cb, u, &u->sock);
}

static ts_time_t svc_poll_at(void *ctx)
{
    struct svc_ctx *c = ctx;
    ts_time_t t = ts_services_tcp_poll_at(c);
    for (int k = 0; k < SVC_KINDS; k++)
        if (c->udp[k].pend && c->udp[k].retry_at < t) t = c->udp[k].retry_at;
    return t;
}

static void svc_poll(void *ctx, ts_time_t now)
{
    struct svc_ctx *c = ctx;
    c->now = now;
    for (int k = 0; k < SVC_KINDS; k++)
        if (c->udp[k].sock && c->udp[k].pend && c->udp[k].retry_at <= now) udp_drain(c, &c->udp[k], now);
    ts_services_tcp_poll(c, now);
}

static unsigned svc_conn_stats(void *ctx, struct ts_app_conn_stats *out, unsigned cap)
{
    const struct svc_ctx *c = ctx;
    unsigned n = 0;
    for (int k = 0; k < SVC_KINDS && n < cap; k++)
        if (c->tcp[k].guarded) ts_guard_app_stats(&c->tcp[k].guard, &out[n++]);
    return n;
}

static void svc_stop(void *ctx, ts_time_t now)
{
    struct svc_ctx *c = ctx;
    ts_services_tcp_stop(c, now);
    for (int k = 0; k < SVC_KINDS; k++) {
        if (c->udp[k].sock) ts_udp_close(c->udp[k].sock);
        if (c->udp[k].pend_buf != c->udp[k].small_buf) free(c->udp[k].pend_buf);
    }
    free(c);
}

int ts_services_start(struct ts_stack *s, ts_time_t now, const struct ts_services_opts *opts,
                      struct ts_app *out)
{
    struct ts_services_opts o;
    if (opts) o = *opts;
    else ts_services_opts_default(&o);
    if (!o.first_byte_timeout) o.first_byte_timeout = TS_SEC(10);
    if (!o.tcp_idle) o.tcp_idle = TS_SEC(300);
    struct svc_ctx *c = calloc(1, sizeof *c);
    if (!c) return -TS_ENOMEM;
    c->s = s;
    c->o = o;
    c->now = now;
    const uint16_t ports[SVC_KINDS] = { o.echo_port, o.discard_port, o.daytime_port };
    int rc = 0;
    for (int k = 0; k < SVC_KINDS && rc == 0; k++) {
        if (o.udp && ports[k]) rc = udp_start(c, (enum svc_kind)k, ports[k]);
        if (rc == 0 && o.tcp && ports[k]) rc = ts_services_tcp_start(c, (enum svc_kind)k, ports[k]);
    }
    if (rc < 0) {
        svc_stop(c, now);
        return rc;
    }
    *out = (struct ts_app){ .name = "services", .ctx = c, .poll_at = svc_poll_at,
                            .poll = svc_poll, .stop = svc_stop, .conn_stats = svc_conn_stats };
    return 0;
}

const struct ts_services_stats *ts_services_stats(const void *ctx)
{
    return &((const struct svc_ctx *)ctx)->st;
}
