/*
 * The TCP half of the socket API (include/tapstack/socket.h): RFC 9293 §3.10 user calls
 * OPEN (listen/connect), SEND, RECEIVE, CLOSE (shutdown/close), ABORT, STATUS.
 */
#include "tcp/tcp_impl.h"
#include "core/demux.h"
#include "core/ports.h"

#define KEEP_IDLE_DEFAULT TS_SEC(7200)
#define KEEP_INTVL_DEFAULT TS_SEC(75)
#define KEEP_COUNT_DEFAULT 9

/* A new control block for the pair, entered in the demultiplexer. NULL with *rc set if there is no
 * memory for it or for its port's count (-TS_ENOMEM). */
static struct ts_tcb *tcb_entered(struct ts_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                                  uint16_t rport, int *rc)
{
    struct ts_tcb *t = tcp_tcb_new(s, laddr, lport, raddr, rport, NULL);
    if (!t) {
        *rc = -TS_ENOMEM;
        return NULL;
    }
    *rc = ts_demux_insert(s->demux, &t->sock.node);
    if (*rc < 0) {
        t->sock.flags |= TS_SOCK_F_APP_GONE;
        tcp_maybe_reap(s, t);
        tcp_reap(s);
        return NULL;
    }
    return t;
}

int ts_tcp_listen(struct ts_stack *s, uint32_t laddr, uint16_t lport, unsigned backlog,
                  ts_sock_cb cb, void *arg, struct ts_sock **out)
{
    if (backlog == 0 || (laddr && !ts_is_our_ip(s, laddr))) return -TS_EINVAL;
    if (backlog > 4096) backlog = 4096;
    if (lport == 0) {                        /* an ephemeral port (FTP passive data) */
        lport = ts_ports_pick(s->ports, s->demux, TS_IPPROTO_TCP, laddr, 0, 0);
        if (lport == 0) return -TS_EADDRNOTAVAIL;
    } else if (ts_demux_in_use(s->demux, TS_IPPROTO_TCP, laddr, lport, 0, 0)) {
        return -TS_EADDRINUSE;
    }
    int rc;
    struct ts_tcb *l = tcb_entered(s, laddr, lport, 0, 0, &rc);
    if (!l) return rc;
    l->backlog = (uint16_t)backlog;
    l->sock.cb = cb;
    l->sock.cb_arg = arg;
    tcp_set_state(s, l, TS_TCP_LISTEN, "listen", 0);
    *out = &l->sock;
    return 0;
}

int ts_tcp_connect(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport,
                   uint32_t raddr, uint16_t rport, ts_sock_cb cb, void *arg,
                   struct ts_sock **out)
{
    if (laddr == 0) laddr = s->cfg.ip;
    if (!ts_is_our_ip(s, laddr) || raddr == 0 || rport == 0 || raddr == laddr) return -TS_EINVAL;
    if (lport == 0) {
        lport = ts_ports_pick(s->ports, s->demux, TS_IPPROTO_TCP, laddr, raddr, rport);
        if (lport == 0) return -TS_EADDRNOTAVAIL;
    } else if (ts_demux_in_use(s->demux, TS_IPPROTO_TCP, laddr, lport, raddr, rport)) {
        return -TS_EADDRINUSE;
    }
    int rc;
    struct ts_tcb *t = tcb_entered(s, laddr, lport, raddr, rport, &rc);
    if (!t) return rc;
    t->sock.cb = cb;
    t->sock.cb_arg = arg;
    t->iss = tcp_isn(s->tcp, now, laddr, lport, raddr, rport);
    t->snd_una = t->snd_nxt = t->snd_max = t->iss;
    t->snd_buf_seq = t->iss + 1;
    t->recover = t->iss;
    t->rcv_wscale = tcp_wscale_for(t);
    t->mss = tcp_our_mss(s);
    t->last_rcv = now;
    tcp_cc_init(t);
    TS_COUNT(s, tcp, active_opens);
    tcp_set_state(s, t, TS_TCP_SYN_SENT, "connect", now);
    tcp_output(s, t, now);
    *out = &t->sock;
    return 0;
}

long ts_tcp_send(struct ts_sock *sock, ts_time_t now, const void *buf, size_t len)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (t->state == TS_TCP_CLOSED) return sock->error ? -sock->error : -TS_ENOTCONN;
    if (t->state == TS_TCP_LISTEN) return -TS_EINVAL;
    if (t->flags & TF_SHUT_WR) return -TS_EPIPE;
    if (t->state != TS_TCP_SYN_SENT && t->state != TS_TCP_SYN_RECEIVED &&
        t->state != TS_TCP_ESTABLISHED && t->state != TS_TCP_CLOSE_WAIT) return -TS_EPIPE;
    if (len == 0) return 0;
    uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    if (ts_ring_space(&t->snd) < want && t->snd.buf) tcp_grow_snd(t->stack, t);
    if (ts_ring_space(&t->snd) == 0) { t->flags |= TF_SND_FULL; return -TS_EAGAIN; }
    tcp_ring_take(t->stack, &t->snd);
    uint32_t n = ts_ring_write(&t->snd, buf, want);
    if (n == 0) return -TS_ENOMEM;
    if (n < want) t->flags |= TF_SND_FULL;
    if (tcp_synchronized(t->state)) tcp_output(t->stack, t, now);
    return (long)n;
}

/* May the application queue data now? 0, or the error ts_tcp_send returns. */
static int send_allowed(const struct ts_tcb *t)
{
    if (t->state == TS_TCP_CLOSED) return t->sock.error ? -t->sock.error : -TS_ENOTCONN;
    if (t->state == TS_TCP_LISTEN) return -TS_EINVAL;
    if (t->flags & TF_SHUT_WR) return -TS_EPIPE;
    if (t->state != TS_TCP_SYN_SENT && t->state != TS_TCP_SYN_RECEIVED &&
        t->state != TS_TCP_ESTABLISHED && t->state != TS_TCP_CLOSE_WAIT) return -TS_EPIPE;
    return 0;
}

unsigned ts_tcp_send_buf(struct ts_sock *sock, struct ts_iov v[2])
{
    struct ts_tcb *t = ts_tcb_of(sock);
    v[0] = v[1] = (struct ts_iov){ NULL, 0 };
    if (send_allowed(t) < 0) return 0;
    if (ts_ring_space(&t->snd) < t->snd.cap / 2 && t->snd.buf) tcp_grow_snd(t->stack, t);
    uint32_t contig;
    tcp_ring_take(t->stack, &t->snd);
    uint8_t *p = ts_ring_tail(&t->snd, &contig);
    if (!p || contig == 0) return 0;
    v[0] = (struct ts_iov){ p, contig };
    uint32_t rest = ts_ring_space(&t->snd) - contig;    /* past the wrap, from the ring's start */
    if (rest == 0) return 1;
    v[1] = (struct ts_iov){ t->snd.buf, rest };
    return 2;
}

bool ts_tcp_send_store(struct ts_sock *sock, struct ts_send_store *st)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    struct ts_ext *e = ts_ring_ext(&t->snd);
    *st = (struct ts_send_store){ NULL, 0, 0 };
    if (!e) return false;
    if (e->id == 0) e->id = ++t->stack->tcp->store_ids;
    *st = (struct ts_send_store){ t->snd.buf, t->snd.cap, e->id };
    return true;
}

long ts_tcp_send_commit(struct ts_sock *sock, ts_time_t now, size_t n)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    int e = send_allowed(t);
    if (e < 0) return e;
    if (n == 0 || !t->snd.buf) return 0;
    if (n > ts_ring_space(&t->snd)) return -TS_EINVAL;
    ts_ring_commit(&t->snd, (uint32_t)n);
    if (ts_ring_space(&t->snd) == 0) t->flags |= TF_SND_FULL;
    if (tcp_synchronized(t->state)) tcp_output(t->stack, t, now);
    return (long)n;
}

long ts_tcp_recv(struct ts_sock *sock, ts_time_t now, void *buf, size_t len)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (t->state == TS_TCP_LISTEN) return -TS_EINVAL;
    if (t->rcv.len) {
        uint32_t n = ts_ring_read(&t->rcv, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
        tcp_grow_rcv(t->stack, t, now, n);
        tcp_rings_trim(t);
        /* One window update for a run of reads, sent when the driver next takes frames. */
        if (tcp_window_update_due(t)) tcp_output_later(t->stack, t);
        return (long)n;
    }
    if (t->flags & TF_FIN_RCVD) return 0;
    if (sock->error) return -sock->error;
    if (t->state == TS_TCP_CLOSED) return 0;
    return -TS_EAGAIN;
}

long ts_tcp_peek(const struct ts_sock *sock, void *buf, size_t len)
{
    const struct ts_tcb *t = ts_tcb_of_c(sock);
    if (t->state == TS_TCP_LISTEN) return -TS_EINVAL;
    if (t->rcv.len) {
        uint32_t n = len > t->rcv.len ? t->rcv.len : (uint32_t)len;
        ts_ring_peek(&t->rcv, 0, buf, n);
        return (long)n;
    }
    if (t->flags & TF_FIN_RCVD) return 0;
    if (sock->error) return -sock->error;
    if (t->state == TS_TCP_CLOSED) return 0;
    return -TS_EAGAIN;
}

size_t ts_tcp_send_space(const struct ts_sock *sock)
{
    const struct ts_tcb *t = ts_tcb_of_c(sock);
    if (t->flags & TF_SHUT_WR) return 0;
    if (t->state != TS_TCP_SYN_SENT && t->state != TS_TCP_SYN_RECEIVED &&
        t->state != TS_TCP_ESTABLISHED && t->state != TS_TCP_CLOSE_WAIT) return 0;
    return ts_ring_space(&t->snd);
}

size_t ts_tcp_recv_avail(const struct ts_sock *sock) { return ts_tcb_of_c(sock)->rcv.len; }

size_t ts_tcp_send_queued(const struct ts_sock *sock) { return ts_tcb_of_c(sock)->snd.len; }

/* Half close: FIN after the queued data (RFC 9293 §3.10.4 for our direction only). */
int ts_tcp_shutdown(struct ts_sock *sock, ts_time_t now)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    struct ts_stack *s = t->stack;
    if (t->flags & TF_SHUT_WR) return 0;
    switch (t->state) {
    case TS_TCP_SYN_SENT: case TS_TCP_SYN_RECEIVED:
        t->flags |= TF_SHUT_WR;            /* FIN once established */
        return 0;
    case TS_TCP_ESTABLISHED:
        t->flags |= TF_SHUT_WR;
        tcp_set_state(s, t, TS_TCP_FIN_WAIT_1, "shutdown", now);
        break;
    case TS_TCP_CLOSE_WAIT:
        t->flags |= TF_SHUT_WR;
        tcp_set_state(s, t, TS_TCP_LAST_ACK, "shutdown", now);
        break;
    default:
        return -TS_ENOTCONN;
    }
    tcp_output(s, t, now);
    tcp_reap(s);
    return 0;
}

static void reset_now(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const char *why)
{
    if (t->state == TS_TCP_SYN_RECEIVED || (tcp_synchronized(t->state) && t->state != TS_TCP_TIME_WAIT))
        tcp_send_rst_own(s, now, t);
    tcp_set_state(s, t, TS_TCP_CLOSED, why, now);
}

void ts_tcp_close(struct ts_sock *sock, ts_time_t now)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    struct ts_stack *s = t->stack;
    sock->flags |= TS_SOCK_F_APP_GONE;
    ts_sock_unqueue(s, sock);
    switch (t->state) {
    case TS_TCP_LISTEN:
        tcp_listener_close(s, t, now);
        break;
    case TS_TCP_CLOSED:
        tcp_maybe_reap(s, t);
        break;
    case TS_TCP_SYN_SENT:
        tcp_set_state(s, t, TS_TCP_CLOSED, "close in SYN_SENT", now);
        break;
    default:
        if (t->rcv.len || t->reass.n) {        /* unread data: RST (RFC 9293 §3.10.4, RFC 2525) */
            TS_COUNT(s, tcp, resets_on_close);
            reset_now(s, t, now, "close with unread data");
            break;
        }
        if (!(t->flags & TF_SHUT_WR)) ts_tcp_shutdown(sock, now);
        if (t->state == TS_TCP_FIN_WAIT_2)
            tcp_timer_set(s, t, TS_TCP_T_2MSL, now + TS_TCP_FIN_WAIT_2_ORPHAN);
        if (t->state == TS_TCP_TIME_WAIT) tcp_tw_freeze_later(s, t);   /* a compact record now */
        tcp_orphan_add(s, t, now);
        break;
    }
    tcp_reap(s);
}

void ts_tcp_abort(struct ts_sock *sock, ts_time_t now)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    struct ts_stack *s = t->stack;
    sock->flags |= TS_SOCK_F_APP_GONE;
    ts_sock_unqueue(s, sock);
    if (t->state == TS_TCP_LISTEN) tcp_listener_close(s, t, now);
    else if (t->state == TS_TCP_CLOSED) tcp_maybe_reap(s, t);
    else reset_now(s, t, now, "abort");
    tcp_reap(s);
}

/* The stack is going away (ts_stack_shutdown): reset every connection a peer may still be
 * waiting on. A peer in LAST_ACK or CLOSING whose FIN our last ACK did not reach would otherwise
 * retransmit it, for minutes, to a host that no longer answers (not even with the RST a host
 * that forgot the connection sends): so TIME_WAIT and the closing states get a RST too. A peer
 * takes a RST only at exactly its RCV.NXT (RFC 5961 §3.2; one merely in the window earns a
 * challenge ACK, and nobody will answer that): SND.MAX when everything we sent arrived (our FIN
 * included), SND.UNA when nothing unacknowledged did (our FIN lost: the peer sits in FIN_WAIT_2,
 * its application waiting for an EOF). When the two differ both go, SND.UNA first; the wrong one
 * is dropped or challenged. A peer that has closed already ignores them (RFC 9293 §3.10.7.1).
 * SYN_SENT sends nothing (the peer knows no sequence number of ours yet); listeners stay
 * (ts_stack_free ends them). */
void ts_tcp_reset_all(struct ts_stack *s, ts_time_t now)
{
    if (!s->tcp) return;
    for (struct ts_tcb *t = s->tcp->all; t; t = t->all_next) {
        if (t->state == TS_TCP_LISTEN || t->state == TS_TCP_CLOSED) continue;
        if (t->state != TS_TCP_SYN_SENT) {
            TS_COUNT(s, tcp, resets_on_shutdown);
            if (t->snd_una != t->snd_max)
                tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                             t->sock.node.rport, t->snd_una, t->rcv_nxt, true);
            tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                         t->sock.node.rport, t->snd_max, t->rcv_nxt, true);
        }
        tcp_drop_conn(s, t, now, TS_ECONNABORTED, "stack shutdown");
    }
    tcp_reap(s);
    tcp_tw_reset_all(s, now);     /* TIME_WAIT without a handle: the compact records */
}

enum ts_tcp_state ts_tcp_get_state(const struct ts_sock *sock) { return ts_tcb_of_c(sock)->state; }

int ts_tcp_set_nodelay(struct ts_sock *sock, bool on)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (on) t->flags |= TF_NODELAY; else t->flags &= ~TF_NODELAY;
    return 0;
}

int ts_tcp_set_reader(struct ts_sock *sock, ts_tcp_reader fn, void *arg)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (t->state == TS_TCP_LISTEN) return -TS_EINVAL;
    t->reader = fn;
    t->reader_arg = arg;
    return 0;
}

int ts_tcp_set_keepalive(struct ts_sock *sock, bool on, ts_time_t idle, ts_time_t interval,
                         unsigned count)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (!on) {
        t->flags &= ~TF_KEEPALIVE;
        if (t->state != TS_TCP_LISTEN) tcp_timer_stop(t->stack, t, TS_TCP_T_KEEP);
        return 0;
    }
    t->flags |= TF_KEEPALIVE;
    t->keep_idle = idle ? idle : KEEP_IDLE_DEFAULT;
    t->keep_intvl = interval ? interval : KEEP_INTVL_DEFAULT;
    t->keep_count = (uint8_t)(count ? (count > 255 ? 255 : count) : KEEP_COUNT_DEFAULT);
    t->keep_probes = 0;
    if (tcp_synchronized(t->state) && t->state != TS_TCP_TIME_WAIT)
        tcp_timer_set(t->stack, t, TS_TCP_T_KEEP, t->last_rcv + t->keep_idle);
    return 0;
}

int ts_tcp_set_buffers(struct ts_sock *sock, size_t sndbuf, size_t rcvbuf)
{
    struct ts_tcb *t = ts_tcb_of(sock);
    if (tcp_synchronized(t->state) || t->snd.buf || t->rcv.buf) return -TS_EINVAL;
    t->flags |= TF_BUF_FIXED;
    if (sndbuf) {
        t->buf_snd = ts_ring_size(sndbuf > TS_TCP_BUF_MAX ? TS_TCP_BUF_MAX : (uint32_t)sndbuf,
                                  TS_TCP_BUF_MIN, TS_TCP_BUF_MAX);
        ts_ring_init(&t->snd, t->buf_snd);
    }
    if (rcvbuf) {
        uint32_t want = ts_ring_size(rcvbuf > TS_TCP_BUF_MAX ? TS_TCP_BUF_MAX : (uint32_t)rcvbuf,
                                     TS_TCP_BUF_MIN, TS_TCP_BUF_MAX);
        /* after our SYN went out the window scale is fixed: the buffer cannot outgrow it */
        if (t->state == TS_TCP_SYN_SENT && want > (65535u << t->rcv_wscale)) want = 65536u << t->rcv_wscale;
        t->buf_rcv = want;
        ts_ring_init(&t->rcv, t->buf_rcv);
    }
    return 0;
}

void ts_tcp_get_buffers(const struct ts_sock *sock, size_t *sndbuf, size_t *rcvbuf)
{
    const struct ts_tcb *t = ts_tcb_of_c(sock);
    if (sndbuf) *sndbuf = t->snd.cap;
    if (rcvbuf) *rcvbuf = t->rcv.cap;
}
