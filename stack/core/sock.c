/* What all sockets share: the event queue to the applications, names and errors. */
#include "core/sock.h"
#include "core/stack_impl.h"

void ts_sock_notify(struct ts_stack *s, struct ts_sock *sock, unsigned events)
{
    if (sock->flags & TS_SOCK_F_APP_GONE) return;
    sock->pending |= events;
    if (sock->flags & TS_SOCK_F_QUEUED) return;
    sock->flags |= TS_SOCK_F_QUEUED;
    sock->ev_next = NULL;
    if (s->ev_tail) s->ev_tail->ev_next = sock;
    else s->ev_head = sock;
    s->ev_tail = sock;
}

void ts_sock_unqueue(struct ts_stack *s, struct ts_sock *sock)
{
    if (!(sock->flags & TS_SOCK_F_QUEUED)) return;
    struct ts_sock *prev = NULL;
    for (struct ts_sock *q = s->ev_head; q; prev = q, q = q->ev_next) {
        if (q != sock) continue;
        if (prev) prev->ev_next = q->ev_next;
        else s->ev_head = q->ev_next;
        if (s->ev_tail == q) s->ev_tail = prev;
        break;
    }
    sock->flags &= (uint8_t)~TS_SOCK_F_QUEUED;
    sock->pending = 0;
}

unsigned ts_stack_dispatch(struct ts_stack *s, ts_time_t now)
{
    unsigned n = 0;
    /* Bounded: a callback may queue its own socket again; those wait for the next round. */
    struct ts_sock *last = s->ev_tail;
    while (s->ev_head) {
        struct ts_sock *sock = s->ev_head;
        s->ev_head = sock->ev_next;
        if (!s->ev_head) s->ev_tail = NULL;
        sock->flags &= (uint8_t)~TS_SOCK_F_QUEUED;
        unsigned ev = sock->pending;
        sock->pending = 0;
        if (ev && sock->cb && !(sock->flags & TS_SOCK_F_APP_GONE)) {
            sock->cb(sock->cb_arg, sock, ev, now);
            n++;
        }
        if (sock == last) break;
    }
    return n;
}

void ts_sock_set_callback(struct ts_sock *sock, ts_sock_cb cb, void *arg)
{
    sock->cb = cb;
    sock->cb_arg = arg;
}

void ts_sock_name(const struct ts_sock *sock, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
                  uint16_t *rport)
{
    if (laddr) *laddr = sock->node.laddr;
    if (lport) *lport = sock->node.lport;
    if (raddr) *raddr = sock->node.raddr;
    if (rport) *rport = sock->node.rport;
}

int ts_sock_error(const struct ts_sock *sock) { return sock->error; }

int ts_sock_proto(const struct ts_sock *sock) { return sock->proto; }

const char *ts_strerror(int err)
{
    if (err < 0) err = -err;
    switch (err) {
    case TS_OK: return "success";
    case TS_EAGAIN: return "try again (would block)";
    case TS_EINVAL: return "invalid argument or state";
    case TS_ENOMEM: return "out of memory or a limit reached";
    case TS_EADDRINUSE: return "address already in use";
    case TS_EADDRNOTAVAIL: return "no ephemeral port available";
    case TS_ECONNREFUSED: return "connection refused";
    case TS_ECONNRESET: return "connection reset by peer";
    case TS_ETIMEDOUT: return "connection timed out";
    case TS_ENOTCONN: return "not connected";
    case TS_EPIPE: return "broken pipe (sending after shutdown)";
    case TS_EMSGSIZE: return "message too long";
    case TS_EHOSTUNREACH: return "no route to host";
    case TS_ECONNABORTED: return "connection aborted";
    default: return "unknown error";
    }
}
