/*
 * TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", in the RFC's order, with the RFC 5961
 * hardening (challenge ACKs, ACK range checks). Read it beside the RFC:
 *   §3.10.7.1 CLOSED          -> closed_port()
 *   §3.10.7.2 LISTEN          -> tcp_listen_input() in tcp_listen.c
 *   §3.10.7.3 SYN-SENT        -> syn_sent()
 *   §3.10.7.4 other states    -> tcp_conn_input(): first check sequence number, second RST,
 *                                fourth SYN, fifth ACK, sixth URG, seventh text, eighth FIN
 * Input never sends data itself: it sets TF_ACKNOW and the like and calls tcp_output().
 */
#include "tcp/tcp_impl.h"
#include "core/demux.h"
#include "wire/bytes.h"

/* The segment being processed, trimmed to the window as we go. */
struct seg {
    uint32_t seq, ack, len;     /* len: data bytes */
    uint32_t seq_orig;          /* SEG.SEQ as it arrived, before trimming */
    uint8_t flags;
    uint32_t wnd;               /* unscaled */
    const uint8_t *data;
    const struct ts_tcp_opts *opts;   /* parsed only when SACK is on */
    const uint8_t *raw;         /* for drop tracing */
    size_t raw_len;
};

#define DROP(s, now, name, sg) TS_DROP((s), (now), tcp, name, (sg)->raw, (sg)->raw_len)

static uint32_t seg_len(const struct seg *sg)      /* SEG.LEN: data + SYN + FIN */
{
    return sg->len + ((sg->flags & TS_TCP_SYN) ? 1 : 0) + ((sg->flags & TS_TCP_FIN) ? 1 : 0);
}

/* MSS and window scale from a SYN (RFC 9293 §3.7.1, RFC 7323 §2). */
void tcp_apply_syn_opts(struct ts_stack *s, struct ts_tcb *t, const struct ts_tcp_opts *o)
{
    uint16_t ours = tcp_our_mss(s);
    uint16_t peer = o->has_mss ? o->mss : TS_TCP_MSS_DEFAULT;
    if (peer < TS_TCP_MSS_MIN) peer = TS_TCP_MSS_MIN;
    t->mss = peer < ours ? peer : ours;
    if (o->sack_ok) t->flags |= TF_SACK; else t->flags &= ~TF_SACK;
    if (o->has_wscale) {
        t->flags |= TF_WSCALE;
        t->snd_wscale = o->wscale > TS_TCP_WSCALE_MAX ? TS_TCP_WSCALE_MAX : o->wscale;
        t->rcv_wscale = tcp_wscale_for(t);
    } else {
        t->flags &= ~TF_WSCALE;
        t->snd_wscale = 0;
        t->rcv_wscale = 0;
    }
}

/* RFC 5961 §7: a challenge ACK, at most TS_TCP_CHALLENGE_PER_SEC a second per connection. */
static void challenge_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (now - t->chal_start >= TS_SEC(1)) { t->chal_start = now; t->chal_count = 0; }
    if (t->chal_count >= TS_TCP_CHALLENGE_PER_SEC) { TS_COUNT(s, tcp, challenge_acks_limited); return; }
    t->chal_count++;
    TS_COUNT(s, tcp, challenge_acks);
    t->flags |= TF_ACKNOW;
    tcp_output(s, t, now);
}

static void step_data_fin(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg);
static void trim(const struct ts_tcb *t, struct seg *sg);

/* Simultaneous open: text in the SYN is queued "for processing after the ESTABLISHED state has
 * been reached" (RFC 9293 §3.10.7.3): held in the ring as if out of order at RCV.NXT, made
 * readable by syn_rcvd_ack(). Other controls (a FIN) are not kept. */
static void hold_syn_data(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    uint32_t len = sg->len, space = ts_ring_space(&t->rcv);
    if (!len) return;
    tcp_ring_take(s, &t->rcv);
    if (ts_ring_alloc(&t->rcv) < 0) { DROP(s, now, drop_nomem, sg); return; }
    if (len > space) len = space;
    if (len > 65535) len = 65535;                   /* the window our SYN,ACK offers at most */
    if (ts_reass_add(&t->reass, 0, len) < 0) { DROP(s, now, drop_reass_full, sg); return; }
    ts_ring_write_beyond(&t->rcv, 0, sg->data, len);
}

/* ---- §3.10.7.3 SYN-SENT ---- */
static void syn_sent(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg,
                     const struct ts_tcp_opts *o)
{
    bool ack = sg->flags & TS_TCP_ACK;
    /* first: check the ACK bit */
    if (ack && (SEQ_LEQ(sg->ack, t->iss) || SEQ_GT(sg->ack, t->snd_max))) {
        DROP(s, now, drop_bad_ack, sg);
        if (!(sg->flags & TS_TCP_RST))
            tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                         t->sock.node.rport, sg->ack, 0, false);
        return;
    }
    /* second: the RST bit */
    if (sg->flags & TS_TCP_RST) {
        if (!ack) { DROP(s, now, drop_syn_sent_other, sg); return; }
        TS_COUNT(s, tcp, rsts_received);
        tcp_drop_conn(s, t, now, TS_ECONNREFUSED, "rcv RST in SYN_SENT");
        return;
    }
    /* fourth: the SYN bit */
    if (!(sg->flags & TS_TCP_SYN)) { DROP(s, now, drop_syn_sent_other, sg); return; }
    tcp_apply_syn_opts(s, t, o);
    tcp_round_rcvbuf(t);        /* the MSS is known (a passive open: when established) */
    tcp_ts_syn(s, t, now, o);
    t->irs = sg->seq;
    t->rcv_nxt = sg->seq + 1;
    t->rcv_adv = t->rcv_nxt;
    t->snd_wnd = sg->wnd;                   /* a SYN's window is never scaled */
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = sg->seq;
    t->snd_wl2 = sg->ack;
    tcp_cc_init(t);
    if (!ack) {                             /* simultaneous open: answer SYN,ACK */
        t->snd_nxt = t->iss;
        tcp_set_state(s, t, TS_TCP_SYN_RECEIVED, "rcv SYN (simultaneous open)", now);
        hold_syn_data(s, t, now, sg);
        tcp_output(s, t, now);
        return;
    }
    if (tcp_ts_rtt(s, t, now, o, 1)) {
        t->flags &= ~TF_RTT_TIMING;
    } else if ((t->flags & TF_RTT_TIMING) && SEQ_GT(sg->ack, t->rtt_seq)) {
        ts_rtt_sample(&t->rtt, now - t->rtt_start, t->stack->cfg.tcp_rto_min ? t->stack->cfg.tcp_rto_min : TS_MS(200), TS_RTO_MAX);
        t->flags &= ~TF_RTT_TIMING;
    }
    t->snd_una = sg->ack;
    t->rxt_shift = 0;
    tcp_timer_stop(s, t, TS_TCP_T_REXMT);
    TS_COUNT(s, tcp, established);
    tcp_set_state(s, t, TS_TCP_ESTABLISHED, "rcv SYN,ACK", now);
    if (t->flags & TF_KEEPALIVE) tcp_timer_set(s, t, TS_TCP_T_KEEP, now + t->keep_idle);
    tcp_notify(s, t, TS_EV_CONNECTED | TS_EV_WRITABLE);
    if (t->flags & TF_SHUT_WR) tcp_set_state(s, t, TS_TCP_FIN_WAIT_1, "shutdown before connected", now);
    t->flags |= TF_ACKNOW;
    if (sg->len || (sg->flags & TS_TCP_FIN)) {
        /* "If there are other controls or text in the segment, then continue processing at the
         * sixth step below where the URG bit is checked" (RFC 9293 §3.10.7.3) */
        struct seg rest = *sg;
        rest.seq++;                             /* past the SYN */
        rest.flags &= (uint8_t)~TS_TCP_SYN;
        uint32_t offered = t->rcv.cap < 65535 ? t->rcv.cap : 65535;   /* as our SYN offered */
        if (SEQ_LT(t->rcv_adv, t->rcv_nxt + offered)) t->rcv_adv = t->rcv_nxt + offered;
        trim(t, &rest);
        step_data_fin(s, t, now, &rest);
    }
    tcp_output(s, t, now);
}

/* ---- §3.10.7.4 first: sequence number check, then trim to the window ---- */

/* RCV.WND for the acceptability test: the receive buffer space we really have (RCV.BUFF -
 * RCV.USER, RFC 9293 §3.8.6.2.2), never less than the window already offered. The two differ
 * when the buffer is larger than the window field can say (65,700 bytes and no window scale:
 * 65,535 is advertised, SEG.WND = RCV.WND >> Rcv.Wind.Shift in RFC 7323 §2.3 cut to 16 bits)
 * and while receiver SWS avoidance holds the right edge back: data that fits is taken, as BSD
 * does (rcv_wnd = max(sbspace, rcv_adv - rcv_nxt)). Linux tests against the advertised window
 * alone. */
static uint32_t rcv_wnd(const struct ts_tcb *t)
{
    uint32_t adv = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    /* TIME_WAIT receives nothing more, and a passive open in SYN_RECEIVED is a SYN queue entry:
     * neither has a buffer to speak of, the window is the one advertised */
    if (t->state == TS_TCP_TIME_WAIT || (t->state == TS_TCP_SYN_RECEIVED && (t->flags & TF_PASSIVE)))
        return adv;
    uint32_t space = ts_ring_space(&t->rcv);
    return space > adv ? space : adv;
}

static bool acceptable(const struct ts_tcb *t, const struct seg *sg)
{
    uint32_t wnd = rcv_wnd(t);
    uint32_t len = seg_len(sg);
    if (len == 0) return wnd == 0 ? sg->seq == t->rcv_nxt : ts_seq_in(sg->seq, t->rcv_nxt, t->rcv_nxt + wnd);
    if (wnd == 0) return false;
    return ts_seq_in(sg->seq, t->rcv_nxt, t->rcv_nxt + wnd) ||
           ts_seq_in(sg->seq + len - 1, t->rcv_nxt, t->rcv_nxt + wnd);
}

static void trim(const struct ts_tcb *t, struct seg *sg)
{
    if (SEQ_LT(sg->seq, t->rcv_nxt)) {
        uint32_t d = t->rcv_nxt - sg->seq;
        if (sg->flags & TS_TCP_SYN) { d--; sg->seq++; }  /* the SYN is old; keep the bit for step 4 */
        uint32_t cut = d < sg->len ? d : sg->len;
        sg->data += cut;
        sg->len -= cut;
        sg->seq += cut;
        if (d > cut) sg->flags &= (uint8_t)~TS_TCP_FIN;    /* an old FIN */
    }
    uint32_t end = t->rcv_nxt + rcv_wnd(t);
    if (SEQ_GT(sg->seq + sg->len, end)) {
        sg->len = SEQ_GT(sg->seq, end) ? 0 : end - sg->seq;
        sg->flags &= (uint8_t)~TS_TCP_FIN;                 /* the FIN lies past the window */
    }
}

/* ---- second: the RST bit (RFC 5961 §3.2) ---- */
static void step_rst(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    /* the rfc1337 knob: RFC 1337 §4 (fix F1), "ignore RST segments in TIME-WAIT state", so an old
     * duplicate RST cannot end TIME-WAIT early ("assassination"); RFC 9293 closes it (below) */
    if (t->state == TS_TCP_TIME_WAIT && s->cfg.tcp_rfc1337) { DROP(s, now, drop_rst_time_wait, sg); return; }
    /* RFC 5961 §3.2: only a RST at exactly RCV.NXT resets; insecure_rst is RFC 793's rule
     * (any RST in the window resets: acceptable() has already checked the window). */
    if (sg->seq != t->rcv_nxt && !s->cfg.tcp_insecure_rst) {
        DROP(s, now, drop_rst_in_window, sg);
        challenge_ack(s, t, now);
        return;
    }
    TS_COUNT(s, tcp, rsts_received);
    switch (t->state) {
    case TS_TCP_SYN_RECEIVED:
        if (t->flags & TF_PASSIVE) tcp_set_state(s, t, TS_TCP_CLOSED, "rcv RST in SYN_RECEIVED", now);
        else tcp_drop_conn(s, t, now, TS_ECONNREFUSED, "rcv RST in SYN_RECEIVED");
        break;
    case TS_TCP_ESTABLISHED: case TS_TCP_FIN_WAIT_1: case TS_TCP_FIN_WAIT_2: case TS_TCP_CLOSE_WAIT:
    /* CLOSING, LAST_ACK: RFC 9293 only says "enter the CLOSED state"; our FIN is still
     * unacknowledged, so the peer may not have had all we sent: an application still holding
     * the socket learns of the reset (as on Linux and FreeBSD) rather than seeing a clean end */
    case TS_TCP_CLOSING: case TS_TCP_LAST_ACK:
        tcp_drop_conn(s, t, now, TS_ECONNRESET, "rcv RST");
        break;
    default:  /* TIME_WAIT */
        tcp_set_state(s, t, TS_TCP_CLOSED, "rcv RST", now);
        break;
    }
}

/* ---- fourth: the SYN bit (RFC 5961 §4.2) ---- */
static void step_syn(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    if (t->state == TS_TCP_SYN_RECEIVED && (t->flags & TF_PASSIVE)) {
        DROP(s, now, drop_syn_in_window, sg);           /* back to LISTEN: forget this one */
        tcp_set_state(s, t, TS_TCP_CLOSED, "rcv new SYN in SYN_RECEIVED", now);
        return;
    }
    DROP(s, now, drop_syn_in_window, sg);
    if (s->cfg.tcp_insecure_syn && SEQ_GEQ(sg->seq_orig, t->rcv_nxt)) {
        /* RFC 793 §3.9 (insecure_syn): an in-window SYN is an error: reset, enter CLOSED */
        tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                     t->sock.node.rport, t->snd_nxt, t->rcv_nxt, true);
        tcp_drop_conn(s, t, now, TS_ECONNRESET, "rcv SYN in window (insecure_syn)");
        return;
    }
    challenge_ack(s, t, now);                        /* RFC 5961 §4.2 */
}

/* SND.UNA plus the bytes SACKed above it: how far delivery has got (RFC 6937 DeliveredData is
 * its change over one ACK). */
static uint32_t delivered_mark(const struct ts_tcb *t) { return t->snd_una + t->segs.sacked_bytes; }

static uint32_t delivered_since(const struct ts_tcb *t, uint32_t mark)
{
    int32_t d = (int32_t)(delivered_mark(t) - mark);
    return d > 0 ? (uint32_t)d : 0;              /* the scoreboard was cleared: nothing new */
}

/* New data acknowledged: RTT, send buffer, congestion window, timers, WRITABLE. */
static void ack_new(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t ack,
                    const struct ts_tcp_opts *o, uint32_t mark)
{
    uint32_t acked = ack - t->snd_una;
    ts_time_t rtt = 0;
    if (tcp_ts_rtt(s, t, now, o, t->snd_max - t->snd_una)) {
        t->flags &= ~TF_RTT_TIMING;                      /* RTTM replaces the one timed segment */
    } else if ((t->flags & TF_RTT_TIMING) && SEQ_GT(ack, t->rtt_seq)) {
        ts_time_t min = s->cfg.tcp_rto_min ? s->cfg.tcp_rto_min : TS_MS(200);
        rtt = now - t->rtt_start;
        if (rtt == 0) rtt = 1;
        ts_rtt_sample(&t->rtt, rtt, min, TS_RTO_MAX);
        t->flags &= ~TF_RTT_TIMING;
    }
    uint32_t data_end = t->snd_buf_seq + t->snd.len;
    uint32_t lo = ts_seq_max(t->snd_una, t->snd_buf_seq), hi = ts_seq_min(ack, data_end);
    if (SEQ_GT(hi, lo)) {
        ts_ring_consume(&t->snd, hi - lo);
        t->snd_buf_seq = hi;
        tcp_rings_trim(t);
    }
    tcp_sack_advance(t, acked);
    tcp_segs_acked(t, ack, now);
    t->snd_una = ack;
    if (SEQ_LT(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    bool dsack = o && o->nsack && tcp_sack_update(t, o, ack, now);   /* before cc: RACK reads it */
    if (dsack) tcp_rack_dsack(t);
    tcp_tlp_ack(s, t, ack, dsack, now);
    t->rxt_shift = 0;
    if (t->rack.ack_rtt) rtt = t->rack.ack_rtt;         /* one sample per ACK (RACK's record) */
    tcp_cc_ack(s, t, acked, delivered_since(t, mark), rtt, now);
    if (t->snd_una == t->snd_max) {
        tcp_timer_stop(s, t, TS_TCP_T_REXMT);
        t->flags &= ~(TF_TLP_ARMED | TF_RACK_REO);
        t->rack_reo_at = TS_TIME_NEVER;
    } else {
        tcp_rexmt_arm(s, t, now);                       /* RFC 6298 §5.3, RFC 8985 §7.2 */
    }
    if ((t->flags & TF_SND_FULL) && (ts_ring_space(&t->snd) >= t->snd.cap / 4 || t->snd.len == 0)) {
        t->flags &= ~TF_SND_FULL;
        tcp_notify(s, t, TS_EV_WRITABLE);
    }
}

static bool fin_acked(const struct ts_tcb *t)
{
    return (t->flags & TF_SHUT_WR) && SEQ_GT(t->snd_max, t->snd_buf_seq + t->snd.len) &&
           t->snd_una == t->snd_buf_seq + t->snd.len + 1;
}

/* SYN_RECEIVED and an acceptable ACK: the handshake is complete. false: drop the segment. */
static bool syn_rcvd_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    if (!(SEQ_LT(t->snd_una, sg->ack) && SEQ_LEQ(sg->ack, t->snd_max))) {
        DROP(s, now, drop_bad_ack, sg);
        tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                     t->sock.node.rport, sg->ack, 0, false);
        return false;
    }
    if (t->listener && t->listener->acc_qlen >= t->listener->backlog) {
        DROP(s, now, drop_accept_queue_full, sg);        /* the peer will send the ACK again */
        return false;
    }
    t->snd_wnd = sg->wnd << t->snd_wscale;
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = sg->seq;
    t->snd_wl2 = sg->ack;
    TS_COUNT(s, tcp, established);
    /* a passive open sizes its buffer now, as BSD makes the socket of a SYN cache entry: in
     * SYN_RECEIVED the window is the SYN,ACK's */
    if (t->flags & TF_PASSIVE) tcp_round_rcvbuf(t);
    tcp_set_state(s, t, TS_TCP_ESTABLISHED, "rcv ACK of SYN,ACK", now);
    if (t->flags & TF_KEEPALIVE) tcp_timer_set(s, t, TS_TCP_T_KEEP, now + t->keep_idle);
    if (t->listener) tcp_child_established(s, t, now);
    else tcp_notify(s, t, TS_EV_CONNECTED | TS_EV_WRITABLE);
    uint32_t held = ts_reass_front(&t->reass);      /* text queued from a SYN (hold_syn_data) */
    if (held) {
        ts_reass_advance(&t->reass, held);
        ts_ring_commit(&t->rcv, held);
        t->rcv_nxt += held;
        t->rcv_unacked += held;
        if (t->timer[TS_TCP_T_DELACK] == TS_TIME_NEVER) tcp_timer_set(s, t, TS_TCP_T_DELACK, now + TS_TCP_DELACK);
        tcp_notify(s, t, TS_EV_READABLE);
    }
    if (t->flags & TF_SHUT_WR) tcp_set_state(s, t, TS_TCP_FIN_WAIT_1, "shutdown before established", now);
    return true;
}

/* ---- fifth: the ACK field. false: stop processing the segment. ---- */
static bool step_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    if (t->state == TS_TCP_SYN_RECEIVED && !syn_rcvd_ack(s, t, now, sg)) return false;
    if (SEQ_GT(sg->ack, t->snd_max)) {                  /* RFC 5961 §5.2 */
        DROP(s, now, drop_ack_unsent, sg);
        t->flags |= TF_ACKNOW;
        tcp_output(s, t, now);
        return false;
    }
    if (SEQ_LT(sg->ack, t->snd_una - t->max_snd_wnd)) {
        DROP(s, now, drop_ack_too_old, sg);
        t->flags |= TF_ACKNOW;
        tcp_output(s, t, now);
        return false;
    }
    uint32_t wnd = sg->wnd << t->snd_wscale;
    /* RFC 5681 §2 duplicate ACK; one that SACKs data counts even if the window moved (RFC 6675) */
    bool dup = sg->ack == t->snd_una && sg->len == 0 && !(sg->flags & TS_TCP_FIN) &&
               t->snd_max != t->snd_una && (wnd == t->snd_wnd || (sg->opts && sg->opts->nsack));
    uint32_t mark = delivered_mark(t), una0 = t->snd_una;
    t->rack.ack_rtt = 0;
    t->rack.ack_has_tsecr = t->ts_ok && sg->opts && sg->opts->has_ts && sg->opts->ts_ecr;
    t->rack.ack_tsecr = t->rack.ack_has_tsecr ? sg->opts->ts_ecr : 0;
    if (sg->opts && sg->opts->nsack && !SEQ_GT(sg->ack, t->snd_una)) {
        bool dsack = tcp_sack_update(t, sg->opts, sg->ack, now);
        if (dsack) tcp_rack_dsack(t);
        tcp_tlp_ack(s, t, sg->ack, dsack, now);
    }
    if (SEQ_GT(sg->ack, t->snd_una)) {
        ack_new(s, t, now, sg->ack, sg->opts, mark);
        tcp_undo_ack(s, t, now, una0, sg->opts);        /* spurious retransmission? (tcp_undo.c) */
    } else if (dup || ((t->flags & TF_SACK) && sg->opts && sg->opts->nsack && t->snd_una != t->snd_max)) {
        /* with SACK, RACK reads every ACK that SACKs, data-bearing ones too (RFC 8985 §6.2) */
        tcp_undo_ack(s, t, now, una0, sg->opts);        /* F-RTO's verdict before limited transmit */
        uint32_t delivered = delivered_since(t, mark);
        tcp_cc_dupack(s, t, delivered, now);
        /* a SACK that delivered something: the probe timer starts over from it (tcp_tlp_pto) */
        if (delivered && (t->flags & TF_SACK) && t->snd_una != t->snd_max && !(t->flags & TF_RACK_REO))
            tcp_rexmt_arm(s, t, now);
        tcp_rack_timer_apply(s, t);
    }
    /* window update (RFC 9293 §3.10.7.4, fifth, ESTABLISHED) */
    if (SEQ_LT(t->snd_wl1, sg->seq) || (t->snd_wl1 == sg->seq && SEQ_LEQ(t->snd_wl2, sg->ack))) {
        t->snd_wnd = wnd;
        t->snd_wl1 = sg->seq;
        t->snd_wl2 = sg->ack;
        if (wnd > t->max_snd_wnd) t->max_snd_wnd = wnd;
        if (wnd > 0) { tcp_timer_stop(s, t, TS_TCP_T_PERSIST); t->persist_shift = 0; }
    }
    switch (t->state) {
    case TS_TCP_FIN_WAIT_1:
        if (fin_acked(t)) tcp_set_state(s, t, TS_TCP_FIN_WAIT_2, "rcv ACK of FIN", now);
        break;
    case TS_TCP_CLOSING:
        if (fin_acked(t)) tcp_set_state(s, t, TS_TCP_TIME_WAIT, "rcv ACK of FIN", now);
        break;
    case TS_TCP_LAST_ACK:
        if (fin_acked(t)) { tcp_set_state(s, t, TS_TCP_CLOSED, "rcv ACK of FIN", now); return false; }
        break;
    default:
        break;
    }
    return true;
}

static void restart_2msl(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    ts_time_t msl = s->cfg.tcp_msl ? s->cfg.tcp_msl : TS_SEC(30);
    tcp_timer_set(s, t, TS_TCP_T_2MSL, now + 2 * msl);
}

/* The peer's FIN has been reached in sequence (eighth step). */
static void do_fin(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    t->flags &= ~TF_FIN_OOO;
    if (t->flags & TF_FIN_RCVD) { t->flags |= TF_ACKNOW; return; }
    t->rcv_nxt++;
    t->flags |= TF_FIN_RCVD | TF_ACKNOW;
    tcp_notify(s, t, TS_EV_READABLE);
    switch (t->state) {
    case TS_TCP_SYN_RECEIVED: case TS_TCP_ESTABLISHED:
        tcp_set_state(s, t, TS_TCP_CLOSE_WAIT, "rcv FIN", now);
        break;
    case TS_TCP_FIN_WAIT_1:
        if (fin_acked(t)) tcp_set_state(s, t, TS_TCP_TIME_WAIT, "rcv FIN", now);
        else {
            tcp_set_state(s, t, TS_TCP_CLOSING, "rcv FIN (simultaneous close)", now);
            t->flags |= TF_FIN_AGAIN;                   /* tcp_output.c: plan_data */
        }
        break;
    case TS_TCP_FIN_WAIT_2:
        tcp_set_state(s, t, TS_TCP_TIME_WAIT, "rcv FIN", now);
        break;
    default:
        break;
    }
}

/* In-order bytes to the application's reader, if it has one and nothing is waiting before them
 * in the ring; returns how many it took (read at once: they never enter the ring). */
static uint32_t reader_take(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const uint8_t *data,
                            uint32_t len)
{
    if (!t->reader || t->rcv.len || tcp_app_gone(t)) return 0;
    size_t n = t->reader(t->reader_arg, data, len);
    uint32_t took = n < len ? (uint32_t)n : len;
    tcp_grow_rcv(s, t, now, took);   /* the window the reader keeps open may limit the peer */
    return took;
}

/* Data at offset off from RCV.NXT into the ring (or the reader); out of order into the
 * reassembly ranges. */
static void take_data(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    uint32_t off = sg->seq - t->rcv_nxt, len = sg->len, space = ts_ring_space(&t->rcv);
    if (t->orphan) {                   /* nobody will read it (tcp_orphan.c): acknowledge, forget */
        TS_COUNT(s, tcp, orphan_data_discarded);
        if (off == 0) t->rcv_nxt += len < space ? len : space;
        t->flags |= TF_ACKNOW;
        return;
    }
    if (off >= space) { DROP(s, now, drop_out_of_window, sg); return; }   /* never past the ring */
    if (len > space - off) len = space - off;
    /* taken although the window offered was zero (room kept back by receiver SWS avoidance, see
     * rcv_wnd): the sender is probing, and hears "its next expected sequence number and current
     * window" at once (RFC 9293 §3.8.6.1), not after the delayed-ACK timer */
    if (!SEQ_GT(t->rcv_adv, sg->seq)) t->flags |= TF_ACKNOW;
    uint32_t got, took = off == 0 && t->reass.n == 0 ? reader_take(s, t, now, sg->data, len) : 0;
    if (took < len) tcp_ring_take(s, &t->rcv);
    if (took < len && ts_ring_alloc(&t->rcv) < 0) {
        if (!took) { DROP(s, now, drop_nomem, sg); return; }
        len = took;
    }
    if (off == 0 && t->reass.n == 0) {
        got = took + ts_ring_write(&t->rcv, sg->data + took, len - took);
        t->rcv_unacked += got;
        /* RFC 9293 §3.8.6.3 / RFC 5681 §4.2: an ACK for at least every second full-sized
         * segment; we ACK every second segment whatever its size (as FreeBSD and Linux do),
         * so small writes are not held for the delayed-ACK timer */
        if (got && ++t->rcv_unacked_segs >= 2) t->flags |= TF_ACKNOW;
        if (t->rcv_unacked > t->mss) t->flags |= TF_ACKNOW;
        else if (t->timer[TS_TCP_T_DELACK] == TS_TIME_NEVER)
            tcp_timer_set(s, t, TS_TCP_T_DELACK, now + TS_TCP_DELACK);
    } else if (off == 0) {
        /* in order, with out-of-order data held: never refused, whatever the range count */
        ts_ring_write_beyond(&t->rcv, 0, sg->data, len);
        ts_reass_advance(&t->reass, len);
        got = len + ts_reass_front(&t->reass);
        ts_reass_advance(&t->reass, got - len);
        ts_ring_commit(&t->rcv, got);
        t->flags |= TF_ACKNOW;                 /* a hole filled: ACK at once */
    } else {
        if (ts_reass_add(&t->reass, off, len) < 0) {
            /* too many holes: keep what is nearest RCV.NXT, forget the farthest range */
            if (off < t->reass.r[t->reass.n - 1].start) t->reass.n--;
            if (ts_reass_add(&t->reass, off, len) < 0) {
                DROP(s, now, drop_reass_full, sg);
                t->flags |= TF_ACKNOW;
                return;
            }
            TS_COUNT(s, tcp, reass_pruned);
        }
        ts_ring_write_beyond(&t->rcv, off, sg->data, len);
        got = 0;
        TS_COUNT(s, tcp, rx_out_of_order);
        tcp_sack_rcv_note(t, sg->seq);
        tcp_grow_rcv_ooo(s, t);
        t->flags |= TF_ACKNOW;                 /* out of order: a duplicate ACK at once */
    }
    t->rcv_nxt += got;
    if (got) tcp_notify(s, t, TS_EV_READABLE);
}

/* ---- seventh: segment text; eighth: FIN ---- */
static void step_data_fin(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct seg *sg)
{
    bool open = t->state == TS_TCP_ESTABLISHED || t->state == TS_TCP_FIN_WAIT_1 ||
                t->state == TS_TCP_FIN_WAIT_2;
    if (sg->len) {
        if (open && !(t->flags & TF_FIN_RCVD)) take_data(s, t, now, sg);
        else DROP(s, now, drop_data_after_fin, sg);
    }
    if (sg->flags & TS_TCP_FIN) {
        uint32_t fseq = sg->seq + sg->len;
        if (fseq == t->rcv_nxt || (t->flags & TF_FIN_RCVD)) {
            do_fin(s, t, now);
            if (t->state == TS_TCP_TIME_WAIT) restart_2msl(s, t, now);
        } else {
            if (open) {
                t->flags |= TF_FIN_OOO;
                t->fin_seq = fseq;
            }
            t->flags |= TF_ACKNOW;       /* out of order: a duplicate ACK at once (RFC 5681 §4.2) */
        }
    } else if ((t->flags & TF_FIN_OOO) && t->rcv_nxt == t->fin_seq) {
        do_fin(s, t, now);
    }
}

void tcp_conn_input(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_hdr *h,
                    const uint8_t *opt, size_t optlen, const uint8_t *data, uint32_t dlen,
                    const uint8_t *raw, size_t raw_len)
{
    struct seg sg = { .seq = h->seq, .seq_orig = h->seq, .ack = h->ack, .len = dlen, .flags = h->flags, .wnd = h->wnd,
                      .data = data, .raw = raw, .raw_len = raw_len };
    t->last_rcv = now;
    if (t->state == TS_TCP_SYN_SENT) {
        struct ts_tcp_opts o;
        ts_tcp_parse_opts(opt, optlen, &o);
        syn_sent(s, t, now, &sg, &o);
        return;
    }
    if (t->state == TS_TCP_SYN_RECEIVED && (sg.flags & TS_TCP_SYN) && !(sg.flags & TS_TCP_RST) &&
        sg.seq == t->irs) {
        t->snd_nxt = t->iss;                    /* the SYN again: so is our SYN,ACK */
        tcp_output(s, t, now);
        return;
    }
    /* first: check sequence number */
    if (!(sg.flags & TS_TCP_SYN)) tcp_dsack_note(t, sg.seq, sg.len);   /* RFC 2883 */
    struct ts_tcp_opts o;
    if (optlen && ((t->flags & TF_SACK) || t->ts_ok)) {
        ts_tcp_parse_opts(opt, optlen, &o);
        sg.opts = &o;
    }
    if (tcp_ts_paws_reject(t, now, sg.flags, sg.opts)) {      /* RFC 7323 §5.3 R1 */
        DROP(s, now, drop_paws, &sg);
        t->flags |= TF_ACKNOW;
        tcp_output(s, t, now);
        return;
    }
    if (!acceptable(t, &sg)) {
        bool zero_wnd_ack = t->rcv_adv == t->rcv_nxt && sg.seq == t->rcv_nxt && (sg.flags & TS_TCP_ACK);
        /* the peer's FIN again (it ends at RCV.NXT): trimmed of its old FIN "and only processing
         * further if the segment then begins at RCV.NXT" (§3.10.7.4 first), which it does, so its
         * ACK counts: the ACK that enters CLOSING repeats the FIN (plan_data) and may be the one
         * that acknowledges ours */
        bool fin_again = (t->flags & TF_FIN_RCVD) && (sg.flags & TS_TCP_FIN) && sg.seq + sg.len + 1 == t->rcv_nxt &&
                         !(sg.flags & (TS_TCP_RST | TS_TCP_SYN));
        if (fin_again && t->state == TS_TCP_TIME_WAIT)
            restart_2msl(s, t, now);            /* the peer's FIN again: ACK it, restart 2 MSL */
        if (!zero_wnd_ack && !(fin_again && (sg.flags & TS_TCP_ACK))) {
            DROP(s, now, drop_out_of_window, &sg);
            if (!(sg.flags & TS_TCP_RST)) { t->flags |= TF_ACKNOW; tcp_output(s, t, now); }
            return;
        }
        t->flags |= TF_ACKNOW;                  /* zero window, or the FIN again: the ACK, not the rest */
        sg.seq = t->rcv_nxt;
        sg.len = 0;
        sg.flags &= (uint8_t)~(TS_TCP_FIN | TS_TCP_SYN);
    }
    tcp_ts_update_recent(t, now, sg.seq, sg.opts);           /* §4.3, after R2 */
    uint32_t orig_len = sg.len;
    trim(t, &sg);
    if (sg.len < orig_len) t->flags |= TF_ACKNOW;
    if (sg.flags & TS_TCP_RST) { step_rst(s, t, now, &sg); return; }   /* second */
    if (sg.flags & TS_TCP_SYN) { step_syn(s, t, now, &sg); return; }   /* fourth */
    if (!(sg.flags & TS_TCP_ACK)) { DROP(s, now, drop_no_ack, &sg); return; }  /* fifth */
    if (!step_ack(s, t, now, &sg)) return;
    /* sixth: URG. The urgent pointer is never used (RFC 6093): the data is ordinary data. */
    step_data_fin(s, t, now, &sg);
    tcp_output(s, t, now);
}

/* §3.10.7.1: a segment for no connection gets a RST, unless it is one. */
static void closed_port(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                        const struct ts_tcp_hdr *h, uint32_t dlen, const uint8_t *seg, size_t len)
{
    if (h->flags & TS_TCP_RST) { TS_DROP(s, now, tcp, drop_rst_closed, seg, len); return; }
    TS_DROP(s, now, tcp, drop_no_socket, seg, len);
    if (h->flags & TS_TCP_ACK) {
        tcp_send_rst(s, now, ip->dst, h->dport, ip->src, h->sport, h->ack, 0, false);
    } else {
        uint32_t sl = dlen + ((h->flags & TS_TCP_SYN) ? 1 : 0) + ((h->flags & TS_TCP_FIN) ? 1 : 0);
        tcp_send_rst(s, now, ip->dst, h->dport, ip->src, h->sport, 0, h->seq + sl, true);
    }
}

void ts_tcp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len)
{
    struct ts_tcp_hdr h;
    TS_COUNT(s, tcp, rx_segments);
    if (ip->to_broadcast) { TS_DROP(s, now, tcp, drop_broadcast, seg, len); return; }
    int r = ts_tcp_parse(seg, len, &h);
    if (r == -1) { TS_DROP(s, now, tcp, drop_short, seg, len); return; }
    if (r < 0) { TS_DROP(s, now, tcp, drop_bad_offset, seg, len); return; }
    if (ts_rx_csum_trusted(s)) TS_COUNT(s, eth, rx_csum_offloaded);
    else if (!ts_tcp_csum_ok(seg, len, ip->src, ip->dst)) { TS_DROP(s, now, tcp, drop_bad_checksum, seg, len); return; }
    if (len > ts_ipv4_l4_cap(s)) TS_COUNT(s, eth, rx_gso);
    /* No land check (source = destination): ts_ipv4_input already dropped a source that is ours. */
    if (h.sport == 0 || h.dport == 0) { TS_DROP(s, now, tcp, drop_bad_port, seg, len); return; }
    const uint8_t *opt = seg + TS_TCP_HLEN, *data = seg + h.hlen;
    size_t optlen = h.hlen - TS_TCP_HLEN;
    uint32_t dlen = (uint32_t)(len - h.hlen);
    struct ts_demux_node *n = ts_demux_lookup(s->demux, TS_IPPROTO_TCP, ip->dst, h.dport, ip->src, h.sport);
    if (n && n->kind == TS_DEMUX_TCP_TW && !(n = (struct ts_demux_node *)tcp_tw_thaw(s, n))) {
        TS_DROP(s, now, tcp, drop_nomem, seg, len);   /* TIME_WAIT's record stays */
        return;
    }
    struct ts_tcb *t = (struct ts_tcb *)n;
    /* RFC 9293 §3.10.7.4 note / RFC 6191: a new SYN beyond a TIME_WAIT may start afresh. */
    /* Only once the application has let go (RFC 1122 §4.2.2.13: a closed connection lingering);
     * a socket still held is a connection, and a SYN in it gets RFC 5961 §4's challenge ACK. */
    if (t && t->state == TS_TCP_TIME_WAIT && (h.flags & TS_TCP_SYN) && (t->sock.flags & TS_SOCK_F_APP_GONE) &&
        !(h.flags & (TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) &&
        SEQ_GT(h.seq, t->rcv_nxt)) {
        TS_COUNT(s, tcp, timewait_reuse);
        tcp_set_state(s, t, TS_TCP_CLOSED, "rcv SYN in TIME_WAIT (reuse)", now);
        n = ts_demux_lookup(s->demux, TS_IPPROTO_TCP, ip->dst, h.dport, ip->src, h.sport);
        t = (struct ts_tcb *)n;
    }
    /* the drop_synfin knob: SYN+FIN (a scan probe) opens nothing; a synchronized connection
     * still answers it as any SYN (RFC 5961 §4) */
    if ((h.flags & TS_TCP_SYN) && (h.flags & TS_TCP_FIN) && s->cfg.tcp_drop_synfin &&
        (!t || t->state == TS_TCP_LISTEN || t->state == TS_TCP_SYN_SENT)) {
        TS_DROP(s, now, tcp, drop_syn_fin, seg, len);
        return;
    }
    if (!t) closed_port(s, now, ip, &h, dlen, seg, len);
    else if (t->state == TS_TCP_LISTEN) tcp_listen_input(s, t, now, ip, &h, opt, optlen, data, dlen, seg, len);
    else tcp_conn_input(s, t, now, &h, opt, optlen, data, dlen, seg, len);
    tcp_reap(s);
}

/* An ICMP error quoting one of our segments (RFC 5927: check the quoted sequence number). */
void ts_tcp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code, uint16_t mtu,
                       const uint8_t *orig, size_t len)
{
    if (len < 20) return;
    size_t ihl = (size_t)(orig[0] & 15) * 4;
    if (ihl < 20 || len < ihl + 8) return;
    uint32_t src = ts_get32(orig + 12), dst = ts_get32(orig + 16);
    const uint8_t *th = orig + ihl;
    struct ts_demux_node *n = ts_demux_lookup(s->demux, TS_IPPROTO_TCP, src, ts_get16(th), dst, ts_get16(th + 2));
    struct ts_tcb *t = (struct ts_tcb *)n;
    /* a TIME_WAIT record has nothing in flight for an error to be about */
    if (!t || n->kind == TS_DEMUX_TCP_TW || t->state == TS_TCP_LISTEN || n->raddr != dst) return;
    uint32_t seq = ts_get32(th + 4);
    if (!(SEQ_GEQ(seq, t->snd_una) && SEQ_LT(seq, t->snd_max))) return;
    TS_COUNT(s, tcp, icmp_errors);
    if (type == 3 && code == 4) { tcp_pmtu_ptb(s, t, now, mtu, ts_get16(orig + 2)); return; }
    /* Hard errors end a connection that is still opening; on others TCP keeps trying (RFC 5461). */
    if (type == 3 && (code == 2 || code == 3) && t->state == TS_TCP_SYN_SENT)
        tcp_drop_conn(s, t, now, TS_ECONNREFUSED, "ICMP unreachable in SYN_SENT");
    tcp_reap(s);
}
