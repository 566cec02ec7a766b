/*
 * echo (RFC 862), discard (RFC 863) and daytime (RFC 867) over TCP.
 *
 * echo: read into a small buffer, send it back; when the send buffer is full, stop reading until
 * TS_EV_WRITABLE (so a client that never reads is held back by TCP flow control, not by our
 * memory). discard: read and forget. daytime: send the text on accept and close. A peer's FIN
 * ends the conversation once everything owed is sent. Connections per service are bounded, and
 * one idle for opts.tcp_idle is aborted.
 */
#include <stdlib.h>
#include <string.h>
#include "apps/services_impl.h"

struct svc_conn {
    struct svc_conn *prev, *next;
    struct svc_tcp *svc;
    struct ts_sock *sock;
    ts_time_t last_active;
    bool eof;                 /* the peer sent FIN */
    size_t off, len;          /* echo bytes still to send: buf[off, len) */
    uint8_t buf[4096];
};

static void conn_free(struct svc_conn *cn)
{
    struct svc_tcp *t = cn->svc;
    if (cn->prev) cn->prev->next = cn->next;
    else t->conns = cn->next;
    if (cn->next) cn->next->prev = cn->prev;
    t->nconns--;
    free(cn);
}

/* Push held echo bytes; true when none are left. */
static bool echo_flush(struct svc_conn *cn, ts_time_t now)
{
    while (cn->off < cn->len) {
        long r = ts_tcp_send(cn->sock, now, cn->buf + cn->off, cn->len - cn->off);
        if (r <= 0) return false;   /* -TS_EAGAIN: wait for TS_EV_WRITABLE; others end below */
        cn->off += (size_t)r;
        cn->svc->ctx->st.tcp_echo_bytes += (uint64_t)r;
    }
    cn->off = cn->len = 0;
    return true;
}

/* Read what is there and act on it. Returns false once the connection is finished (freed). */
static bool conn_service(struct svc_conn *cn, ts_time_t now)
{
    struct svc_tcp *t = cn->svc;
    for (unsigned rounds = 0; rounds < 1024; rounds++) {
        if (t->kind == SVC_ECHO && !echo_flush(cn, now)) return true;
        if (cn->eof) break;
        long n = ts_tcp_recv(cn->sock, now, cn->buf, sizeof cn->buf);
        if (n == -TS_EAGAIN) return true;
        if (n < 0) {
            ts_tcp_abort(cn->sock, now);
            conn_free(cn);
            return false;
        }
        cn->last_active = now;
        if (n == 0) {
            cn->eof = true;
            continue;   /* flush what echo still owes, then close */
        }
        if (t->kind == SVC_ECHO) {
            cn->off = 0;
            cn->len = (size_t)n;
        } else {
            t->ctx->st.tcp_discard_bytes += (uint64_t)n;
        }
    }
    if (!cn->eof) return true;   /* more to read: the next event continues */
    ts_tcp_close(cn->sock, now);
    conn_free(cn);
    return false;
}

static void conn_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct svc_conn *cn = arg;
    (void)sock;
    cn->svc->ctx->now = now;
    if (events & (TS_EV_ERROR | TS_EV_CLOSED)) {
        ts_tcp_abort(cn->sock, now);
        conn_free(cn);
        return;
    }
    if (events & (TS_EV_READABLE | TS_EV_WRITABLE)) conn_service(cn, now);
}

/* Accept one connection; false when the accept queue is empty. */
static bool accept_one(struct svc_tcp *t, struct ts_sock *lsock, ts_time_t now)
{
    struct svc_ctx *c = t->ctx;
    if (t->kind == SVC_DAYTIME) {
        struct ts_sock *cs = ts_tcp_accept(lsock, NULL, NULL);
        if (!cs) return false;
        char text[128];
        size_t n = ts_services_daytime_text(text, sizeof text);
        (void)ts_tcp_send(cs, now, text, n);
        ts_tcp_close(cs, now);
        c->st.tcp_accepted++;
        c->st.tcp_daytime++;
        return true;
    }
    struct svc_conn *cn = calloc(1, sizeof *cn);
    struct ts_sock *cs = ts_tcp_accept(lsock, conn_cb, cn);
    if (!cs) {
        free(cn);
        return false;
    }
    if (!cn || t->nconns >= c->o.max_tcp_conns) {
        ts_tcp_abort(cs, now);
        free(cn);
        return true;
    }
    cn->svc = t;
    cn->sock = cs;
    cn->last_active = now;
    cn->next = t->conns;
    if (t->conns) t->conns->prev = cn;
    t->conns = cn;
    t->nconns++;
    c->st.tcp_accepted++;
    conn_service(cn, now);   /* data may have come with the handshake */
    return true;
}

static void listen_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct svc_tcp *t = arg;
    t->ctx->now = now;
    if (!(events & TS_EV_READABLE)) return;
    for (unsigned i = 0; i < 4096 && accept_one(t, sock, now); i++) {
        /* bounded: the backlog is at most 4096 */
    }
}

int ts_services_tcp_start(struct svc_ctx *c, enum svc_kind kind, uint16_t port)
{
    struct svc_tcp *t = &c->tcp[kind];
    t->ctx = c;
    t->kind = kind;
    return ts_tcp_listen(c->s, 0, port, 128, listen_cb, t, &t->listener);
}

ts_time_t ts_services_tcp_poll_at(struct svc_ctx *c)
{
    ts_time_t t = TS_TIME_NEVER;
    for (int k = 0; k < SVC_KINDS; k++)
        for (const struct svc_conn *cn = c->tcp[k].conns; cn; cn = cn->next)
            if (cn->last_active + c->o.tcp_idle < t) t = cn->last_active + c->o.tcp_idle;
    return t;
}

void ts_services_tcp_poll(struct svc_ctx *c, ts_time_t now)
{
    for (int k = 0; k < SVC_KINDS; k++) {
        for (struct svc_conn *cn = c->tcp[k].conns, *nx; cn; cn = nx) {
            nx = cn->next;
            if (cn->last_active + c->o.tcp_idle <= now) {
                ts_tcp_abort(cn->sock, now);
                conn_free(cn);
            }
        }
    }
}

void ts_services_tcp_stop(struct svc_ctx *c, ts_time_t now)
{
    for (int k = 0; k < SVC_KINDS; k++) {
        while (c->tcp[k].conns) {
            ts_tcp_abort(c->tcp[k].conns->sock, now);
            conn_free(c->tcp[k].conns);
        }
        if (c->tcp[k].listener) ts_tcp_close(c->tcp[k].listener, now);
        c->tcp[k].listener = NULL;
    }
}
