/*
 * Passive open (RFC 9293 §3.10.7.2, LISTEN). A listener keeps a SYN queue (its children in
 * SYN_RECEIVED, counted in syn_qlen) and an accept queue (children that reached ESTABLISHED,
 * waiting for ts_tcp_accept), both bounded by the backlog. When the SYN queue is full the
 * listener answers with a SYN cookie instead of keeping state, so a SYN flood does not lock
 * out real clients; a valid cookie in the returning ACK makes the connection then.
 */
#include "tcp/tcp_impl.h"
#include "core/demux.h"

/* Sequence variables of a new passive connection. */
static void child_init(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t iss,
                       uint32_t peer_isn)
{
    t->flags |= TF_PASSIVE;
    t->iss = iss;
    t->snd_una = t->snd_nxt = t->snd_max = iss;
    t->snd_buf_seq = iss + 1;
    t->recover = iss;
    t->irs = peer_isn;
    t->rcv_nxt = peer_isn + 1;
    t->rcv_adv = t->rcv_nxt;
    t->last_rcv = now;
    (void)s;
}

/* A SYN to a listener with room in its SYN queue: a child in SYN_RECEIVED, SYN,ACK out. */
static struct ts_tcb *new_child(struct ts_stack *s, struct ts_tcb *l, ts_time_t now,
                                const struct ts_ipv4_info *ip, const struct ts_tcp_hdr *h,
                                const struct ts_tcp_opts *o)
{
    struct ts_tcb *t = tcp_tcb_new(s, ip->dst, h->dport, ip->src, h->sport, l);
    if (!t) return NULL;
    if (ts_demux_insert(s->demux, &t->sock.node) < 0) {
        t->sock.flags |= TS_SOCK_F_APP_GONE;
        tcp_maybe_reap(s, t);
        return NULL;
    }
    t->listener = l;
    l->syn_qlen++;
    child_init(s, t, now, tcp_isn(s->tcp, now, ip->dst, h->dport, ip->src, h->sport), h->seq);
    tcp_apply_syn_opts(s, t, o);
    tcp_ts_syn(s, t, now, o);
    t->snd_wnd = h->wnd;
    t->max_snd_wnd = h->wnd;
    t->snd_wl1 = h->seq;
    tcp_cc_init(t);
    t->state = TS_TCP_LISTEN;
    tcp_set_state(s, t, TS_TCP_SYN_RECEIVED, "rcv SYN (passive open)", now);
    TS_COUNT(s, tcp, passive_opens);
    tcp_output(s, t, now);
    return t;
}

/* An ACK to a listener: perhaps the end of a handshake we answered with a cookie. */
static bool cookie_ack(struct ts_stack *s, struct ts_tcb *l, ts_time_t now,
                       const struct ts_ipv4_info *ip, const struct ts_tcp_hdr *h,
                       const uint8_t *opt, size_t optlen, const uint8_t *data, uint32_t dlen,
                       const uint8_t *raw, size_t raw_len)
{
    uint32_t iss = h->ack - 1, peer_isn = h->seq - 1;
    uint16_t mss = tcp_cookie_check(s->tcp, now, ip->dst, h->dport, ip->src, h->sport, peer_isn, iss);
    if (!mss || (h->flags & (TS_TCP_SYN | TS_TCP_RST))) { TS_COUNT(s, tcp, syncookies_failed); return false; }
    if (l->acc_qlen >= l->backlog) { TS_DROP(s, now, tcp, drop_accept_queue_full, raw, raw_len); return true; }
    struct ts_tcb *t = tcp_tcb_new(s, ip->dst, h->dport, ip->src, h->sport, l);
    if (!t) { TS_DROP(s, now, tcp, drop_conn_limit, raw, raw_len); return true; }
    if (ts_demux_insert(s->demux, &t->sock.node) < 0) {
        t->sock.flags |= TS_SOCK_F_APP_GONE;
        tcp_maybe_reap(s, t);
        return true;
    }
    t->listener = l;
    l->syn_qlen++;
    child_init(s, t, now, iss, peer_isn);
    t->snd_una = t->snd_nxt = t->snd_max = h->ack;
    uint16_t ours = tcp_our_mss(s);
    t->mss = mss < ours ? mss : ours;
    tcp_round_rcvbuf(t);
    struct ts_tcp_opts o;
    ts_tcp_parse_opts(opt, optlen, &o);
    if (o.has_ts && !s->cfg.tcp_no_timestamps) {   /* our SYN,ACK offered timestamps: taken */
        tcp_ts_syn(s, t, now, &o);
        t->last_ack_sent = t->rcv_nxt;
        tcp_ts_cookie_opts(t, o.ts_ecr);          /* SACK and window scale, from our TSval */
    }
    t->rcv_adv = t->rcv_nxt + (t->rcv.cap < 65535 ? t->rcv.cap : 65535);  /* as the SYN,ACK offered */
    t->snd_wnd = (uint32_t)h->wnd << t->snd_wscale;
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = h->seq;
    t->snd_wl2 = h->ack;
    tcp_cc_init(t);
    TS_COUNT(s, tcp, syncookies_ok);
    TS_COUNT(s, tcp, passive_opens);
    TS_COUNT(s, tcp, established);
    t->state = TS_TCP_LISTEN;
    tcp_set_state(s, t, TS_TCP_ESTABLISHED, "rcv ACK with valid SYN cookie", now);
    tcp_child_established(s, t, now);
    if (dlen || (h->flags & TS_TCP_FIN))
        tcp_conn_input(s, t, now, h, opt, optlen, data, dlen, raw, raw_len);
    return true;
}

void tcp_listen_input(struct ts_stack *s, struct ts_tcb *l, ts_time_t now,
                      const struct ts_ipv4_info *ip, const struct ts_tcp_hdr *h, const uint8_t *opt,
                      size_t optlen, const uint8_t *data, uint32_t dlen, const uint8_t *raw,
                      size_t raw_len)
{
    /* first: check for a RST */
    if (h->flags & TS_TCP_RST) { TS_DROP(s, now, tcp, drop_listen_rst, raw, raw_len); return; }
    /* second: check for an ACK */
    if (h->flags & TS_TCP_ACK) {
        if (cookie_ack(s, l, now, ip, h, opt, optlen, data, dlen, raw, raw_len)) return;
        TS_DROP(s, now, tcp, drop_listen_ack, raw, raw_len);
        tcp_send_rst(s, now, ip->dst, h->dport, ip->src, h->sport, h->ack, 0, false);
        return;
    }
    /* third: check for a SYN */
    if (!(h->flags & TS_TCP_SYN)) { TS_DROP(s, now, tcp, drop_listen_other, raw, raw_len); return; }
    if (l->acc_qlen >= l->backlog) { TS_DROP(s, now, tcp, drop_accept_queue_full, raw, raw_len); return; }
    struct ts_tcp_opts o;
    ts_tcp_parse_opts(opt, optlen, &o);
    if (l->syn_qlen < l->backlog && new_child(s, l, now, ip, h, &o)) return;
    /* SYN queue full (or no memory): answer with a cookie, keep nothing */
    uint16_t peer_mss = o.has_mss ? o.mss : TS_TCP_MSS_DEFAULT;
    uint32_t cookie = tcp_cookie_make(s->tcp, now, ip->dst, h->dport, ip->src, h->sport, h->seq, peer_mss);
    TS_COUNT(s, tcp, syncookies_sent);
    tcp_send_synack_cookie(s, now, ip, h, cookie, (uint16_t)(l->buf_rcv < 65535 ? l->buf_rcv : 65535), &o, l);
}

/* A child reached ESTABLISHED: from the SYN queue to the accept queue; tell the listener. */
void tcp_child_established(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct ts_tcb *l = t->listener;
    (void)now;
    l->syn_qlen--;
    t->q_next = NULL;
    if (l->acc_tail) l->acc_tail->q_next = t; else l->acc_head = t;
    l->acc_tail = t;
    l->acc_qlen++;
    ts_sock_notify(s, &l->sock, TS_EV_READABLE);
}

/* Take a child off its listener's queues (it closed before being accepted). */
void tcp_child_unlink(struct ts_tcb *t)
{
    struct ts_tcb *l = t->listener, *prev = NULL;
    for (struct ts_tcb *c = l->acc_head; c; prev = c, c = c->q_next) {
        if (c != t) continue;
        if (prev) prev->q_next = c->q_next; else l->acc_head = c->q_next;
        if (l->acc_tail == c) l->acc_tail = prev;
        l->acc_qlen--;
        t->listener = NULL;
        return;
    }
    l->syn_qlen--;
    t->listener = NULL;
}

/* The application closed a listener: reset every child it has not accepted, then close. */
void tcp_listener_close(struct ts_stack *s, struct ts_tcb *l, ts_time_t now)
{
    for (struct ts_tcb *t = s->tcp->all; t; t = t->all_next) {
        if (t->listener != l || t->state == TS_TCP_CLOSED) continue;
        tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                     t->sock.node.rport, t->snd_max, t->rcv_nxt, true);
        tcp_set_state(s, t, TS_TCP_CLOSED, "listener closed", now);
    }
    tcp_set_state(s, l, TS_TCP_CLOSED, "close listener", now);
}

struct ts_sock *ts_tcp_accept(struct ts_sock *listener, ts_sock_cb cb, void *arg)
{
    struct ts_tcb *l = ts_tcb_of(listener);
    if (l->state != TS_TCP_LISTEN || !l->acc_head) return NULL;
    struct ts_tcb *t = l->acc_head;
    l->acc_head = t->q_next;
    if (!l->acc_head) l->acc_tail = NULL;
    l->acc_qlen--;
    t->q_next = NULL;
    t->listener = NULL;
    t->sock.cb = cb;
    t->sock.cb_arg = arg;
    unsigned ev = TS_EV_WRITABLE;
    if (t->rcv.len || (t->flags & TF_FIN_RCVD)) ev |= TS_EV_READABLE;
    tcp_notify(l->stack, t, ev);
    return &t->sock;
}
