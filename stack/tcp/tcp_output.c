/*
 * TCP output. One idempotent function, tcp_output(), answers "what may this connection send
 * now?" from its state alone: SYN, data within min(SND.WND, cwnd) cut to the MSS with Nagle
 * (RFC 9293 §3.8.6.2.2) and sender SWS avoidance, FIN after the last byte, a pending ACK or a
 * window update. Input and timers only set flags (TF_ACKNOW ...) and call it.
 * Also the segments sent outside that logic: retransmission of the first unacknowledged
 * segment, window/keepalive probes, RSTs and SYN-cookie SYN,ACKs, which keep no state.
 */
#include "tcp/tcp_impl.h"
#include "core/frame.h"

struct plan {
    uint32_t seq, len;
    uint8_t flags;
    bool fin_again;     /* the ACK repeats a FIN already sent (CLOSING) */
};

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Frames kept back for ACKs, RSTs and ARP: data segments stop when the pool gets this low. */
static unsigned frame_reserve(const struct ts_stack *s)
{
    unsigned r = s->frames_total / 8;
    return r < 2 ? 2 : r;
}

/* The receive window to advertise now (bytes): the ring's free space, capped by what the
 * window field can say; never less than what was already offered (no shrinking, RFC 9293
 * §3.8.6.2.1), and held back until it can grow by min(MSS, buffer/2) (receiver SWS avoidance,
 * RFC 1122 §4.2.3.3). */
uint32_t tcp_rcv_window(const struct ts_tcb *t)
{
    uint32_t space = min32(t->rcv.cap - t->rcv.len, 65535u << t->rcv_wscale);
    uint32_t cur = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    if (space <= cur) return cur;
    if (space - cur < min32(t->rcv.cap / 2, t->mss)) return cur;
    return space;
}

/* Has the application read enough that the peer should hear of the larger window now? */
bool tcp_window_update_due(const struct ts_tcb *t)
{
    if (!tcp_synchronized(t->state) || (t->flags & TF_FIN_RCVD)) return false;
    uint32_t space = min32(t->rcv.cap - t->rcv.len, 65535u << t->rcv_wscale);
    uint32_t cur = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    if (space <= cur) return false;
    uint32_t inc = space - cur;
    return inc >= 2u * t->mss || inc >= t->rcv.cap / 2 || (cur < t->mss && inc >= t->mss);
}

/* Bytes of TCP options that n SACK blocks take (RFC 2018 §3, with two NOPs before). */
static uint32_t sack_optlen(unsigned n) { return n ? 2u + 2u + 8u * n : 0; }

/* Room to leave in a data segment for the SACK blocks we have to send (0: none, or the MSS is
 * too small to give any). */
static uint32_t sack_room(const struct ts_tcb *t)
{
    unsigned n = (t->flags & TF_SACK) ? t->reass.n + (t->dsack_pending ? 1u : 0u) : 0;
    unsigned max = t->ts_ok ? TS_TCP_SACK_MAX_TS : TS_TCP_SACK_MAX;
    if (n > max) n = max;
    uint32_t room = sack_optlen(n);
    return t->mss > room + 64 ? room : 0;
}

/* Build and send one segment. Returns 0, or -1 when no frame could be had (nothing sent). */
static int xmit(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct plan *p)
{
    struct ts_frame *f;
    if (p->len > t->mss) {
        f = ts_frame_alloc_big(s);          /* a super-segment: the wire splits it at the MSS */
        if (!f) return -1;
    } else {
        if (p->len > 0 && ts_frame_pool_free(s) <= frame_reserve(s)) return -1;
        f = ts_ipv4_frame_alloc(s, now);
        if (!f) return -1;
    }
    uint8_t *seg = f->data + TS_L4_OFFSET;
    struct ts_tcp_hdr h = { .sport = t->sock.node.lport, .dport = t->sock.node.rport,
                            .seq = p->seq, .flags = p->flags };
    struct ts_tcp_opts o = { 0 };
    uint32_t win = tcp_rcv_window(t);
    if (p->flags & TS_TCP_ACK) h.ack = t->rcv_nxt;
    if (p->flags & TS_TCP_SYN) {
        h.wnd = (uint16_t)min32(win, 65535);                 /* never scaled in a SYN */
        o.has_mss = true;
        o.mss = tcp_our_mss(s);
        if (t->state == TS_TCP_SYN_SENT || (t->flags & TF_WSCALE)) {
            o.has_wscale = true;
            o.wscale = t->rcv_wscale;
        }
        o.sack_ok = t->state == TS_TCP_SYN_SENT || (t->flags & TF_SACK);
        if (t->state != TS_TCP_SYN_SENT) t->rcv_adv = t->rcv_nxt + h.wnd;
    } else {
        uint32_t w = min32(win >> t->rcv_wscale, 65535);
        h.wnd = (uint16_t)w;
        uint32_t edge = t->rcv_nxt + (w << t->rcv_wscale);
        if (SEQ_GT(edge, t->rcv_adv)) t->rcv_adv = edge;
    }
    tcp_ts_fill(s, t, now, p->flags, &o);
    /* SACK blocks on every segment while data is held out of order, data ones included (a peer
     * sending data back would otherwise never hear of the holes); on a data segment only as many
     * as fit in the MSS (plan_data leaves room for them), never on a super-segment. */
    if (!(p->flags & TS_TCP_SYN) && (t->flags & TF_SACK) && (t->reass.n || t->dsack_pending)) {
        unsigned max = o.has_ts ? TS_TCP_SACK_MAX_TS : TS_TCP_SACK_MAX;
        while (max && p->len && p->len + sack_optlen(max) > t->mss) max--;
        if (max) tcp_sack_rcv_blocks(t, &o, max);
    }
    if (p->len && (t->flags & TF_SACK) && tcp_segs_sent(t, p->seq, p->len, now) < 0) {
        ts_frame_free(s, f);                          /* no record, no RACK: send later */
        return -1;
    }
    size_t hlen = ts_tcp_emit(seg, &h, (p->flags & TS_TCP_SYN) || o.nsack || o.has_ts ? &o : NULL);
    if (p->len && !tcp_tso_gather(s, t, f, p->seq, p->len))
        ts_ring_peek(&t->snd, p->seq - t->snd_buf_seq, seg + hlen, p->len);
    tcp_offload_csum(s, f, hlen + p->len, p->len > t->mss ? t->mss : 0, t->sock.node.laddr, t->sock.node.raddr);
    ts_ipv4_send(s, now, f, TS_IPPROTO_TCP, t->sock.node.laddr, t->sock.node.raddr, hlen + p->len);
    if (p->flags == TS_TCP_ACK && p->len == 0)           /* ACK frequency: tcp_ack_merge.c */
        tcp_ack_merge(s, t, f, h.ack, &o, o.nsack && t->dsack_pending);
    else
        tcp_ack_merge_break(t);
    TS_COUNT(s, tcp, tx_segments);
    tcp_prr_sent(t, p->len);
    if (o.nsack && t->dsack_pending) TS_COUNT(s, tcp, dsacks_sent);
    if (p->flags & TS_TCP_ACK) {
        t->dsack_pending = false;       /* reported once (RFC 2883 §4), or overtaken by data */
        t->last_ack_sent = h.ack;       /* RFC 7323 §4.3 Last.ACK.sent */
        t->flags &= ~(uint32_t)(TF_ACKNOW | TF_FIN_AGAIN);
        t->rcv_unacked = 0;
        t->rcv_unacked_segs = 0;
        tcp_timer_stop(s, t, TS_TCP_T_DELACK);
    }
    return 0;
}

/* SYN_SENT / SYN_RECEIVED: the SYN (or SYN,ACK), or an ACK asked for. */
static bool plan_syn(const struct ts_tcb *t, struct plan *p)
{
    p->len = 0;
    if (t->snd_nxt == t->iss) {
        p->seq = t->iss;
        p->flags = TS_TCP_SYN | (t->state == TS_TCP_SYN_RECEIVED ? TS_TCP_ACK : 0);
        return true;
    }
    if ((t->flags & TF_ACKNOW) && t->state == TS_TCP_SYN_RECEIVED) {
        p->seq = t->snd_nxt;
        p->flags = TS_TCP_ACK;
        return true;
    }
    return false;
}

static bool may_send_data(enum ts_tcp_state st)
{
    return st == TS_TCP_ESTABLISHED || st == TS_TCP_CLOSE_WAIT || st == TS_TCP_FIN_WAIT_1 ||
           st == TS_TCP_CLOSING || st == TS_TCP_LAST_ACK;
}

/* Synchronized states: data, FIN, ACK, window update. */
static bool plan_data(const struct ts_tcb *t, struct plan *p, uint32_t max_len, uint32_t seg_max)
{
    uint32_t data_end = t->snd_buf_seq + t->snd.len, len = 0, avail = 0;
    bool fin = false, send = false;
    p->fin_again = false;
    if (may_send_data(t->state)) {
        avail = SEQ_LT(t->snd_nxt, data_end) ? data_end - t->snd_nxt : 0;
        uint32_t cw = t->cwnd;
        if (!(t->flags & TF_IN_RECOVERY) && t->dupacks && t->dupacks < 3)
            cw += t->dupacks * t->mss;                     /* RFC 3042 limited transmit */
        uint32_t inflight = t->snd_nxt - t->snd_una;
        uint32_t in_net = (t->flags & TF_SACK) ? tcp_sack_pipe(t) : inflight;   /* RFC 6675 pipe */
        uint32_t cw_room = cw > in_net ? cw - in_net : 0;
        uint32_t rwnd_room = t->snd_wnd > inflight ? t->snd_wnd - inflight : 0;
        uint32_t usable = min32(cw_room, rwnd_room);
        uint32_t one = t->mss - sack_room(t);            /* a full segment, room for SACK kept */
        uint32_t full = sack_room(t) ? one : seg_max;    /* SACK blocks: no super-segment */
        len = min32(min32(min32(avail, usable), full), max_len);
        if (len > t->mss) len -= len % t->mss;   /* a super-segment: whole MSS pieces, the tail goes alone */
        fin = (t->flags & TF_SHUT_WR) && t->state != TS_TCP_ESTABLISHED && t->state != TS_TCP_CLOSE_WAIT &&
              SEQ_LEQ(t->snd_nxt, data_end) && len == avail;
        if (len > 0) {
            if (len >= one) send = true;                                  /* a full segment */
            else if (len == avail && ((t->flags & TF_NODELAY) || inflight == 0 || fin)) send = true; /* Nagle */
            else if (t->max_snd_wnd && len >= t->max_snd_wnd / 2) send = true;  /* sender SWS */
            else if (t->flags & TF_FORCE) send = true;                    /* persist */
            else if (SEQ_LT(t->snd_nxt, t->snd_max)) send = true;        /* a retransmission */
        }
        if (fin) send = true;
    }
    if (t->flags & TF_ACKNOW) send = true;
    if (!send && tcp_window_update_due(t)) send = true;
    if (!send) return false;
    if (len == 0 && !fin) {
        p->seq = t->snd_max;             /* a pure ACK carries the highest sequence sent */
        p->len = 0;
        p->flags = TS_TCP_ACK;
        /* Entering CLOSING: the peer's FIN came without acknowledging ours, so the peer had not
         * seen our FIN when it sent its own. The ACK of its FIN repeats ours (SEQ = SND.MAX - 1):
         * a lost FIN is resent at once instead of after an RTO, at the cost of no extra segment;
         * a FIN the peer already has is a duplicate it acknowledges. FreeBSD does this; Linux
         * sends the bare <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> of RFC 9293 §3.10.7.4. Later ACKs
         * (challenge ACKs ...) are bare. */
        if ((t->flags & TF_FIN_AGAIN) && t->state == TS_TCP_CLOSING && SEQ_LT(t->snd_una, t->snd_max) &&
            t->snd_nxt == t->snd_max) {
            p->seq = t->snd_max - 1;
            p->flags |= TS_TCP_FIN;
            p->fin_again = true;
        }
        return true;
    }
    p->seq = t->snd_nxt;
    p->len = len;
    p->flags = (uint8_t)(TS_TCP_ACK | (fin ? TS_TCP_FIN : 0) | (len && len == avail ? TS_TCP_PSH : 0));
    return true;
}

/* Put t on the list that ts_tcp_output_resume runs when the transmit queue is next empty. */
static bool enlist(struct ts_stack *s, struct ts_tcb *t)
{
    struct ts_tcp *tcp = s->tcp;
    if (t->flags & TF_BLOCKED) return false;
    t->flags |= TF_BLOCKED;
    t->blk_next = NULL;
    if (tcp->blk_tail) tcp->blk_tail->blk_next = t; else tcp->blk_head = t;
    tcp->blk_tail = t;
    return true;
}

static void block(struct ts_stack *s, struct ts_tcb *t)
{
    if (enlist(s, t)) TS_COUNT(s, tcp, output_blocked);
}

void tcp_output_later(struct ts_stack *s, struct ts_tcb *t)
{
    enlist(s, t);
}

/* After sending p: advance SND.NXT/SND.MAX, time it (one segment at a time, never a
 * retransmission: Karn), and make sure the retransmission timer runs. */
static void sent(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct plan *p)
{
    uint32_t used = p->len + ((p->flags & TS_TCP_SYN) ? 1 : 0) + ((p->flags & TS_TCP_FIN) ? 1 : 0);
    if (used == 0) return;
    if (!(t->flags & TF_RTT_TIMING) && p->seq == t->snd_max) {
        t->flags |= TF_RTT_TIMING;
        t->rtt_seq = p->seq;
        t->rtt_start = now;
    }
    bool new_data = SEQ_GEQ(p->seq, t->snd_max);
    t->snd_nxt = p->seq + used;
    if (SEQ_GT(t->snd_nxt, t->snd_max)) t->snd_max = t->snd_nxt;
    /* RFC 8985 §7.2: the probe timer restarts with every transmission of new data */
    if (t->timer[TS_TCP_T_REXMT] == TS_TIME_NEVER || (new_data && (t->flags & TF_TLP_ARMED))) {
        tcp_rexmt_arm(s, t, now);
        tcp_timer_stop(s, t, TS_TCP_T_PERSIST);
    }
}

/* SACK: retransmit the first segment RACK marked lost, if the pipe has room (RFC 6675 §5
 * NextSeg rule 1 with RACK's marks). 1 sent, 0 nothing, -1 no frame. */
static int sack_rexmit(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_seg *g = tcp_segs_first_lost(&t->segs);
    if (!g) return 0;
    uint32_t seq = g->seq, end = t->snd_buf_seq + t->snd.len;
    if (!SEQ_LT(seq, end)) return 0;
    uint32_t len = min32(min32(g->end - seq, t->mss), end - seq);
    if (tcp_sack_pipe(t) + len > t->cwnd) return 0;
    if (tcp_retransmit_range(s, t, seq, len, now) < 0) return -1;
    TS_COUNT(s, tcp, sack_retransmits);
    /* the probe timer too, not the RTO alone: when the RACK timer sent this, nothing else is
     * due, and a lost ACK for it would otherwise cost a whole RTO (rack_timer_probe.pkt) */
    if (t->timer[TS_TCP_T_REXMT] == TS_TIME_NEVER) tcp_rexmt_arm(s, t, now);
    return 1;
}

/* Pull mode (ts_stack_set_tx_pull): data segments, new or resent, are built when the driver
 * takes from an empty transmit queue (ts_tcp_output_resume, "pulling"), after every frame of the
 * batch it read has been taken in. Built per ACK instead, a retransmission that one ACK of a batch
 * asked for went behind the new data that the ACKs before it made room for, with the same send
 * time: RACK, which orders segments sent at one time by sequence, took the SACKs of that new data
 * for proof that the retransmission was lost too, and resent it again; and a retransmission that a
 * later ACK of the batch acknowledged went all the same (issue 18). ACKs, a FIN alone and a
 * probe's segments (TF_FORCE) go at once. */
static bool data_held(const struct ts_stack *s, const struct ts_tcb *t)
{
    if (!s->tx_pull || s->tcp->pulling || (t->flags & TF_FORCE) || !tcp_synchronized(t->state)) return false;
    /* nothing in flight: no ACK of the batch can change what goes (a request's answer goes at
     * once: a 1-byte echo round trip pays no pull, 146 instructions) */
    if (t->snd_una == t->snd_max) return false;
    return t->segs.lost_bytes || SEQ_LT(t->snd_nxt, t->snd_buf_seq + t->snd.len);
}

void tcp_output(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (t->state == TS_TCP_CLOSED || t->state == TS_TCP_LISTEN) return;
    if (data_held(s, t)) {                               /* the driver's next take builds it */
        if (enlist(s, t)) TS_COUNT(s, tcp, output_pulled);
        return;
    }
    if (!s->tcp->pulling) t->flags &= ~TF_RECOVER_PULL;     /* no data waits: RecoveryPoint stands */
    struct plan p = { 0 };
    for (unsigned guard = 0; guard < 100000; guard++) {
        if ((t->flags & TF_SACK) && t->segs.lost_bytes) {
            int r = sack_rexmit(s, t, now);
            if (r < 0) { block(s, t); return; }
            if (r > 0) continue;
        }
        uint32_t lim = tcp_synchronized(t->state) ? tcp_sack_skip(t) : UINT32_MAX;
        bool any = tcp_synchronized(t->state) ? plan_data(t, &p, lim, tcp_tso_max(s, t)) : plan_syn(t, &p);
        if (!any) break;
        if (xmit(s, t, now, &p) < 0) { block(s, t); return; }
        if (p.fin_again) {
            t->flags &= ~TF_RTT_TIMING;                    /* a FIN sent again: Karn */
            t->retransmits++;
            TS_COUNT(s, tcp, retransmits);
        }
        sent(s, t, now, &p);
        if (p.len == 0 && (!(p.flags & (TS_TCP_SYN | TS_TCP_FIN)) || p.fin_again)) break;   /* one ACK is enough */
    }
    if ((t->flags & TF_RECOVER_PULL) && s->tcp->pulling) {     /* tcp_recovery.c enter_recovery */
        t->flags &= ~TF_RECOVER_PULL;
        if (t->flags & TF_IN_RECOVERY) t->recover = t->snd_max;
    }
    if ((t->flags & TF_SACK) && may_send_data(t->state)) tcp_rate_check_app_limited(t);
    /* Unsent data and nothing in flight to bring an ACK: the persist timer takes over. */
    if (may_send_data(t->state) && t->snd_max == t->snd_una &&
        SEQ_LT(t->snd_nxt, t->snd_buf_seq + t->snd.len) &&
        t->timer[TS_TCP_T_REXMT] == TS_TIME_NEVER && t->timer[TS_TCP_T_PERSIST] == TS_TIME_NEVER) {
        ts_time_t iv = ts_rtt_backoff(&t->rtt, t->persist_shift, TS_TCP_PERSIST_MAX);
        tcp_timer_set(s, t, TS_TCP_T_PERSIST, now + (iv < TS_TCP_PERSIST_MIN ? TS_TCP_PERSIST_MIN : iv));
    }
}

/* The list also holds connections owing a window update (tcp_output_later), but only until the
 * driver next takes frames: once it has taken them all, whoever is listed could not get a frame. */
bool ts_tcp_output_blocked(const struct ts_stack *s) { return s->tcp && s->tcp->blk_head; }

void ts_tcp_output_resume(struct ts_stack *s, ts_time_t now)
{
    struct ts_tcp *tcp = s->tcp;
    if (!tcp) return;
    /* Take the list: connections that block again put themselves back at the tail. */
    struct ts_tcb *t = tcp->blk_head;
    tcp->blk_head = tcp->blk_tail = NULL;
    tcp->pulling = true;
    while (t) {
        struct ts_tcb *next = t->blk_next;
        t->flags &= ~TF_BLOCKED;
        t->blk_next = NULL;
        if (ts_frame_pool_free(s) > frame_reserve(s)) tcp_output(s, t, now);
        else block(s, t);
        t = next;
    }
    tcp->pulling = false;
    tcp_reap(s);
}

/* Resend [seq, seq+len) of the send ring (a FIN after it if it ends the data and the FIN was
 * sent) without moving SND.NXT. 0 sent, -1 not. */
int tcp_retransmit_range(struct ts_stack *s, struct ts_tcb *t, uint32_t seq, uint32_t len, ts_time_t now)
{
    uint32_t data_end = t->snd_buf_seq + t->snd.len;
    struct plan p = { .seq = seq, .len = len, .flags = TS_TCP_ACK };
    if ((t->flags & TF_SHUT_WR) && p.seq + p.len == data_end && SEQ_GT(t->snd_max, data_end))
        p.flags |= TS_TCP_FIN;
    if (p.len == 0 && !(p.flags & TS_TCP_FIN)) return -1;
    t->flags &= ~TF_RTT_TIMING;                          /* Karn */
    if (xmit(s, t, now, &p) < 0) return -1;
    t->retransmits++;
    TS_COUNT(s, tcp, retransmits);
    return 0;
}

/* Resend the segment at SND.UNA (fast retransmit, NewReno partial ACK) without moving SND.NXT. */
void tcp_retransmit_first(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    uint32_t data_end = t->snd_buf_seq + t->snd.len;
    uint32_t len = SEQ_LT(t->snd_una, data_end) ? min32(data_end - t->snd_una, t->mss) : 0;
    (void)tcp_retransmit_range(s, t, t->snd_una, len, now);
}

/* An ACK with SEQ = SND.UNA - 1: outside the peer's window, so it must answer with an ACK
 * telling its window (zero-window probe, keepalive). */
void tcp_send_probe(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct plan p = { .seq = t->snd_una - 1, .len = 0, .flags = TS_TCP_ACK };
    if (xmit(s, t, now, &p) < 0) block(s, t);
}

static void send_bare(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint32_t raddr,
                      const struct ts_tcp_hdr *h, const struct ts_tcp_opts *o)
{
    struct ts_frame *f = ts_ipv4_frame_alloc(s, now);
    if (!f) return;
    uint8_t *seg = f->data + TS_L4_OFFSET;
    size_t hlen = ts_tcp_emit(seg, h, o);
    ts_tcp_fill_csum(seg, hlen, laddr, raddr);
    ts_ipv4_send(s, now, f, TS_IPPROTO_TCP, laddr, raddr, hlen);
    TS_COUNT(s, tcp, tx_segments);
}

void tcp_send_rst_own(struct ts_stack *s, ts_time_t now, const struct ts_tcb *t)
{
    if (ts_frame_pool_free(s) <= frame_reserve(s)) {
        TS_COUNT(s, tcp, rst_own_not_sent);
        return;
    }
    tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr, t->sock.node.rport,
                 t->snd_max, t->rcv_nxt, true);
}

void tcp_send_rst(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport, uint32_t raddr,
                  uint16_t rport, uint32_t seq, uint32_t ack, bool with_ack)
{
    struct ts_tcp_hdr h = { .sport = lport, .dport = rport, .seq = seq, .ack = with_ack ? ack : 0,
                            .flags = (uint8_t)(TS_TCP_RST | (with_ack ? TS_TCP_ACK : 0)) };
    TS_COUNT(s, tcp, rsts_sent);
    send_bare(s, now, laddr, raddr, &h, NULL);
}

void tcp_send_synack_cookie(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                            const struct ts_tcp_hdr *in, uint32_t iss, uint16_t wnd,
                            const struct ts_tcp_opts *peer, const struct ts_tcb *l)
{
    struct ts_tcp_hdr h = { .sport = in->dport, .dport = in->sport, .seq = iss, .ack = in->seq + 1,
                            .flags = TS_TCP_SYN | TS_TCP_ACK, .wnd = wnd };
    struct ts_tcp_opts o = { .has_mss = true, .mss = tcp_our_mss(s) };
    if (peer->has_ts && !s->cfg.tcp_no_timestamps) {   /* RFC 7323 with no state: see tcp_ts.c */
        uint32_t clock = (uint32_t)(now / 1000u) + tcp_ts_offset(s->tcp, ip->dst, in->dport, ip->src, in->sport);
        o.has_ts = true;
        o.ts_val = tcp_ts_cookie_val(clock, peer);       /* carries SACK and window scale */
        o.ts_ecr = peer->ts_val;
        o.sack_ok = peer->sack_ok;
        if (peer->has_wscale) { o.has_wscale = true; o.wscale = tcp_wscale_for(l); }
    }
    send_bare(s, now, ip->dst, ip->src, &h, &o);
}
