/*
 * echo (RFC 862), discard (RFC 863) and daytime (RFC 867) over TCP.
 *
 * echo: read into a small buffer, send it back; when the send buffer is full, stop reading until
 * TS_EV_WRITABLE (so a client that never reads is held back by TCP flow control, not by our
 * memory). discard: read and forget. daytime: send the text on accept and close. A peer's FIN
 * ends the conversation once everything owed is sent. Connections per service are admitted,
 * timed out and evicted by a guard (conn_guard.h, enum svc_class): one that sends nothing within
 * first_byte_timeout, or is idle for tcp_idle, is aborted, and at the limit a newcomer evicts the
 * one idle longest (never one that still owes echo bytes).
 *
 * daytime closes only once its line is acknowledged (checked every 200 ms): a peer that never
 * acknowledges within DAYTIME_ACK_WAIT is a ghost (a spoofed or vanished client) and is reset, so
 * that a flood of abandoned daytime connections does not leave TCP's table full of orphans
 * retransmitting FIN into the void.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "apps/services/services_impl.h"

#define DAYTIME_ACK_CHECK TS_MS(200)
#define DAYTIME_ACK_WAIT TS_SEC(3)

struct svc_conn {
    struct svc_conn *prev, *next;
    struct svc_tcp *svc;
    struct ts_sock *sock;
    struct ts_guard_node node;   /* class and timer in svc->guard */
    ts_time_t born;           /* accepted at */
    bool spoke;               /* something was received */
    bool eof;                 /* the peer sent FIN */
    size_t off, len;          /* echo bytes still to send: owed[off, len) */
    uint64_t taken, seen;     /* discard: bytes its reader took straight from segments; as of the last look */
    uint8_t *owed;            /* only while TCP's send buffer is full (idle connections hold none) */
};

#define SVC_ECHO_READ 16384u  /* echo reads at most this much at a time (what may be owed) */

static void conn_free(struct svc_conn *cn)
{
    struct svc_tcp *t = cn->svc;
    if (cn->prev) cn->prev->next = cn->next;
    else t->conns = cn->next;
    if (cn->next) cn->next->prev = cn->prev;
    t->nconns--;
    ts_guard_leave(&t->guard, &cn->node);
    free(cn->owed);
    free(cn);
}

/* Push held echo bytes; true when none are left. */
static bool echo_flush(struct svc_conn *cn, ts_time_t now)
{
    while (cn->off < cn->len) {
        long r = ts_tcp_send(cn->sock, now, cn->owed + cn->off, cn->len - cn->off);
        if (r <= 0) return false;   /* -TS_EAGAIN: wait for TS_EV_WRITABLE; others end below */
        cn->off += (size_t)r;
        cn->svc->ctx->st.tcp_echo_bytes += (uint64_t)r;
    }
    free(cn->owed);
    cn->owed = NULL;
    cn->off = cn->len = 0;
    return true;
}

/* Echo n bytes read into the shared buffer: send what TCP takes now, keep the rest (owed). Returns
 * false when memory for the rest is short (the connection is then aborted by the caller). */
static bool echo_bytes(struct svc_conn *cn, const uint8_t *buf, size_t n, ts_time_t now)
{
    long r = ts_tcp_send(cn->sock, now, buf, n);
    size_t sent = r > 0 ? (size_t)r : 0;
    cn->svc->ctx->st.tcp_echo_bytes += (uint64_t)sent;
    if (sent == n) return true;
    cn->owed = malloc(n - sent);
    if (!cn->owed) return false;
    memcpy(cn->owed, buf + sent, n - sent);
    cn->off = 0;
    cn->len = n - sent;
    return true;
}

/* Put cn into the class its state calls for; progress restarts its timeout. */
static void conn_settle(struct svc_conn *cn, bool progress, ts_time_t now)
{
    int c = cn->off < cn->len ? SC_BUSY : cn->spoke ? SC_IDLE : SC_FIRST;
    if (progress || cn->node.cls != c) ts_guard_move(&cn->svc->guard, &cn->node, c, now);
}

/* Read what is there and act on it. Returns false once the connection is finished (freed). */
static bool conn_service(struct svc_conn *cn, ts_time_t now)
{
    struct svc_tcp *t = cn->svc;
    size_t owed = cn->len - cn->off;
    bool progress = cn->taken != cn->seen;   /* discard's reader took bytes since the last look */
    cn->seen = cn->taken;
    if (progress) cn->spoke = true;
    for (unsigned rounds = 0; rounds < 1024; rounds++) {
        if (t->kind == SVC_ECHO && !echo_flush(cn, now)) {
            conn_settle(cn, progress || cn->len - cn->off != owed, now);
            return true;
        }
        if (cn->eof) break;
        uint8_t *buf = t->ctx->buf;   /* shared: nothing is kept in it between calls */
        long n = t->kind == SVC_ECHO ? ts_tcp_recv(cn->sock, now, buf, SVC_ECHO_READ)
                                     : ts_tcp_recv(cn->sock, now, NULL, SIZE_MAX);   /* discard: no copy */
        if (n == -TS_EAGAIN) {
            conn_settle(cn, progress, now);
            return true;
        }
        if (n < 0) {
            ts_tcp_abort(cn->sock, now);
            conn_free(cn);
            return false;
        }
        progress = cn->spoke = true;
        if (n == 0) {
            cn->eof = true;
            continue;   /* flush what echo still owes, then close */
        }
        if (t->kind == SVC_ECHO) {
            if (!echo_bytes(cn, buf, (size_t)n, now)) {
                ts_tcp_abort(cn->sock, now);
                conn_free(cn);
                return false;
            }
        } else {
            t->ctx->st.tcp_discard_bytes += (uint64_t)n;
        }
    }
    if (!cn->eof) {              /* more to read: the next event continues */
        conn_settle(cn, progress, now);
        return true;
    }
    ts_tcp_close(cn->sock, now);
    conn_free(cn);
    return false;
}

/* discard's reader: every byte is taken (and forgotten) straight from the arriving segment,
 * never copied into TCP's receive buffer. It runs inside frame processing: it only counts. */
static size_t discard_reader(void *arg, const void *data, size_t len)
{
    struct svc_conn *cn = arg;
    (void)data;
    cn->taken += len;
    cn->svc->ctx->st.tcp_discard_bytes += (uint64_t)len;
    return len;
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
    if (cn->svc->kind == SVC_DAYTIME) {   /* RFC 867: what the client sends is ignored */
        for (int i = 0; i < 64 && ts_tcp_recv(cn->sock, now, cn->svc->ctx->buf, sizeof cn->svc->ctx->buf) > 0; i++) {}
        return;
    }
    if (events & (TS_EV_READABLE | TS_EV_WRITABLE)) conn_service(cn, now);
}

static struct svc_conn *conn_of(struct ts_guard_node *n)
{
    return (struct svc_conn *)(void *)((char *)n - offsetof(struct svc_conn, node));
}

/* The guard's callbacks: a timeout ran out, or the service is full and this one idled longest.
 * Either way the peer is silent or gone: a reset frees the TCB at once. */
static void conn_expire(void *arg, struct ts_guard_node *n, int cls, ts_time_t now)
{
    struct svc_conn *cn = conn_of(n);
    struct svc_tcp *t = arg;
    if (cls == SC_ANSWERED && ts_tcp_send_queued(cn->sock) == 0) {
        for (int i = 0; i < 64 && ts_tcp_recv(cn->sock, now, cn->svc->ctx->buf, sizeof cn->svc->ctx->buf) > 0; i++) {}
        ts_tcp_close(cn->sock, now);       /* acknowledged: a real peer, a graceful FIN */
        conn_free(cn);
        return;
    }
    if (cls == SC_ANSWERED && now - cn->born < DAYTIME_ACK_WAIT) {
        ts_guard_move(&t->guard, n, SC_ANSWERED, now);
        return;
    }
    ts_tcp_abort(cn->sock, now);
    conn_free(cn);
}

static bool conn_has_input(void *arg, struct ts_guard_node *n)
{
    const struct svc_tcp *t = arg;
    return t->kind != SVC_DAYTIME && ts_tcp_recv_avail(conn_of(n)->sock) > 0;
}

static void conn_evict(void *arg, struct ts_guard_node *n, ts_time_t now)
{
    struct svc_tcp *t = arg;
    t->ctx->st.tcp_evicted++;
    conn_expire(arg, n, TS_GUARD_NONE, now);
}

/* Accept one connection; false when the accept queue is empty. */
static bool accept_one(struct svc_tcp *t, struct ts_sock *lsock, ts_time_t now)
{
    struct svc_ctx *c = t->ctx;
    struct svc_conn *cn = calloc(1, sizeof *cn);
    struct ts_sock *cs = ts_tcp_accept(lsock, conn_cb, cn);
    if (!cs) {
        free(cn);
        return false;
    }
    uint32_t raddr = 0;
    ts_sock_name(cs, NULL, NULL, &raddr, NULL);
    int cls = t->kind == SVC_DAYTIME ? SC_ANSWERED : SC_FIRST;
    if (!cn || ts_guard_admit(&t->guard, &cn->node, raddr, cls, now) != TS_GUARD_ADMITTED) {
        c->st.tcp_refused++;
        ts_tcp_abort(cs, now);
        free(cn);
        return true;
    }
    cn->svc = t;
    cn->sock = cs;
    cn->born = now;
    cn->next = t->conns;
    if (t->conns) t->conns->prev = cn;
    t->conns = cn;
    t->nconns++;
    c->st.tcp_accepted++;
    if (t->kind == SVC_DISCARD) ts_tcp_set_reader(cs, discard_reader, cn);
    if (t->kind == SVC_DAYTIME) {
        char text[128];
        size_t n = ts_services_daytime_text(text, sizeof text);
        (void)ts_tcp_send(cs, now, text, n);
        c->st.tcp_daytime++;
        return true;
    }
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

static const char *const svc_names[SVC_KINDS] = { "echo", "discard", "daytime" };

int ts_services_tcp_start(struct svc_ctx *c, enum svc_kind kind, uint16_t port)
{
    struct svc_tcp *t = &c->tcp[kind];
    t->ctx = c;
    t->kind = kind;
    const struct ts_guard_class classes[SC_CLASSES] = {
        [SC_FIRST] = { "first byte", c->o.first_byte_timeout, 1, true },
        [SC_IDLE] = { "idle", c->o.tcp_idle, 2, true },
        [SC_BUSY] = { "echo owed", c->o.tcp_idle, 0, false },
        [SC_ANSWERED] = { "daytime unacknowledged", DAYTIME_ACK_CHECK, 1, false },
    };
    const struct ts_guard_cfg cfg = {
        .name = svc_names[kind], .max_conns = c->o.max_tcp_conns, .max_per_peer = c->o.max_per_peer,
        .classes = classes, .nclasses = SC_CLASSES, .evict = conn_evict, .expire = conn_expire,
        .has_input = conn_has_input, .arg = t, .log = c->o.log, .log_arg = c->o.log_arg,
    };
    int rc = ts_guard_init(&t->guard, ts_stack_config(c->s), sizeof(struct svc_conn), &cfg);
    if (rc < 0) {
        ts_guard_fini(&t->guard);
        return rc;
    }
    t->guarded = true;
    return ts_tcp_listen(c->s, 0, port, 128, listen_cb, t, &t->listener);
}

ts_time_t ts_services_tcp_poll_at(struct svc_ctx *c)
{
    ts_time_t t = TS_TIME_NEVER;
    for (int k = 0; k < SVC_KINDS; k++) {
        if (!c->tcp[k].guarded) continue;
        ts_time_t g = ts_guard_next(&c->tcp[k].guard);
        if (g < t) t = g;
    }
    return t;
}

void ts_services_tcp_poll(struct svc_ctx *c, ts_time_t now)
{
    for (int k = 0; k < SVC_KINDS; k++)
        if (c->tcp[k].guarded) ts_guard_poll(&c->tcp[k].guard, now);
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
        if (c->tcp[k].guarded) ts_guard_fini(&c->tcp[k].guard);
        c->tcp[k].guarded = false;
    }
}
