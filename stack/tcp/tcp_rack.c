/*
 * RACK-TLP loss detection (RFC 8985), read beside the RFC. A segment is deemed lost when a
 * segment sent after it has been delivered and more than RACK.rtt + RACK.reo_wnd has passed since
 * it was sent (§6.2); a retransmission is judged the same way, so lost retransmissions are found
 * without a timeout. The reordering window is min_RTT / 4, zero until reordering is seen, widened
 * by D-SACKs (§6.2 step 4). The tail loss probe (§7) makes the peer tell of a lost tail by SACK
 * within two RTTs instead of an RTO.
 */
#include "tcp/tcp_impl.h"

#define RACK_DUPTHRESH 3
#define RACK_WCDELACKT TS_MS(200)        /* worst-case delayed ACK (RFC 8985 §7.2) */
#define RACK_PTO_SLACK TS_MS(2)          /* timer slack added to 2*SRTT (as Linux does) */

/* Was (t1, n1) sent after (t2, n2)? (RFC 8985 §6.2 RACK_sent_after.) For equal times the RFC
 * compares the sequence numbers, as if segments sent at one instant went in sequence order; here
 * every segment sent while one batch of frames is taken in has the batch's time, and a
 * retransmission an ACK calls for goes after the new data an ACK before it sent. So the order of
 * transmission (tcp_seg.xmit_n) decides: taken by sequence, a SACK of that new data would have
 * marked the retransmission behind it lost at once, and shown it missing (tcp_rack_holes). */
static bool sent_after(ts_time_t t1, uint32_t n1, ts_time_t t2, uint32_t n2)
{
    return t1 > t2 || (t1 == t2 && (int32_t)(n1 - n2) > 0);
}

static void advance(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t rtt);

void tcp_rack_delivered(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t now)
{
    struct tcp_rack *r = &t->rack;
    ts_time_t rtt = now > g->xmit ? now - g->xmit : 1;
    /* step 2: a retransmitted segment's delivery may be the original's. As Linux
     * (tcp_rack_advance), one sooner than min_RTT after the retransmission is. */
    if (g->flags & SEG_RETRANS) {
        if (r->min_rtt && rtt < r->min_rtt) return;
        /* Unless every earlier copy was seen lost (SEG_EARLIER_GONE, tcp_rack_holes), the ACK
         * must also echo a timestamp no older than the retransmission (a receiver echoes the
         * TSval of the last segment that advanced its window, RFC 7323 §4.3). Taken as sent at
         * the retransmission's time, an original's SACK read late (behind a queue of ACKs) would
         * mark lost everything sent before that retransmission whose SACKs are still queued:
         * one spurious retransmission begetting hundreds (issue 18, rack_retrans_tsecr.pkt). */
        if (r->ack_has_tsecr && SEQ_LT(r->ack_tsecr, tcp_ts_now(t, g->xmit))) {
            if ((g->flags & (SEG_EARLIER_GONE | SEG_GONE)) != SEG_EARLIER_GONE) return;
            TS_COUNT(t->stack, tcp, rack_holes_taken);
        }
    }
    advance(t, g, rtt);
}

/* RFC 8985 §6.2 step 2, taking g's latest transmission as delivered with that RTT. */
static void advance(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t rtt)
{
    struct tcp_rack *r = &t->rack;
    r->rtt = rtt;
    if (!(g->flags & SEG_RETRANS)) {
        if (r->min_rtt == 0 || rtt < r->min_rtt) r->min_rtt = rtt;
        if (r->ack_rtt == 0 || rtt < r->ack_rtt) r->ack_rtt = rtt;
    }
    if (sent_after(g->xmit, g->xmit_n, r->xmit_ts, r->xmit_n)) {
        r->xmit_ts = g->xmit;
        r->xmit_n = g->xmit_n;
    }
    /* step 3: reordering, a never-retransmitted segment delivered below the forward-most one */
    if (SEQ_GT(g->end, r->fack) || r->fack == 0) r->fack = g->end;
    else if (SEQ_LT(g->end, r->fack) && !(g->flags & SEG_RETRANS)) {
        r->reord = true;
        TS_COUNT(t->stack, tcp, rack_reorderings);
    }
}

/* g is missing at the peer by the ACK being taken in. If that ACK, or one before it, reported a
 * segment sent after g's latest copy delivered (RACK.xmit_ts), the peer had had the time to get
 * that copy: it is lost, and with it every copy before (SEG_GONE). A copy that arrived cannot be
 * shown missing so: whatever the peer holds it reports in every block edge and cumulative ACK
 * after, and the ACKs from before it arrived report only segments sent before it (the path keeps
 * the order; one that reorders beyond the hole is one that RACK's reordering window is for). */
static void seen_missing(struct ts_tcb *t, struct tcp_seg *g)
{
    const struct tcp_rack *r = &t->rack;
    if (!g || (g->flags & SEG_SACKED)) return;
    if (sent_after(r->xmit_ts, r->xmit_n, g->xmit, g->xmit_n)) g->flags |= SEG_GONE;
}

/* The evidence the TSecr test lacks above a hole. A receiver echoes the TSval of the segment at
 * its left edge (RFC 7323 §4.3), so while the first hole stays, the SACK of a retransmission
 * that filled a hole above it echoes an old TSval, as the late SACK of an original does. But the
 * SACK blocks' edges (RFC 2018: each block is a whole range the peer holds, so the byte just
 * past each end is missing) and the cumulative ACK show which segments the peer still lacks;
 * when they showed every copy before the latest lost, the SACK can only be the latest's
 * (tcp_rack_delivered). Without this, when retransmissions alone were in flight (the send
 * buffer full behind the hole at SND.UNA) a lost retransmission among them was never marked
 * and the repair waited for the tail loss probe, or for the 200 ms RTO when the probe's ACK was
 * lost too (issue 18 at 10 % loss, rack_sack_retrans.pkt). */
void tcp_rack_holes(struct ts_tcb *t, const struct ts_tcp_opts *o, uint32_t ack, bool dsack)
{
    struct tcp_segs *q = &t->segs;
    if (t->rack.xmit_ts == 0 || q->n == 0) return;
    if (tcp_seg_at(q, 0)->seq == ack) seen_missing(t, tcp_seg_at(q, 0));
    for (unsigned i = dsack ? 1 : 0; i < o->nsack; i++) {
        uint32_t l = o->sack[i][0], r = o->sack[i][1];
        if (!SEQ_LT(l, r) || SEQ_LEQ(l, t->snd_una) || SEQ_GT(r, t->snd_max)) continue;
        seen_missing(t, tcp_segs_ending(q, l));
        seen_missing(t, tcp_segs_starting(q, r));
    }
}

/* The TSecr test of tcp_rack_delivered cannot clear a retransmission SACKed above a hole: a receiver takes TS.Recent
 * only from segments at its left edge (RFC 7323 §4.3), so while the hole stays its ACKs echo an old
 * TSval whichever copy they report. A D-SACK can: the copy it reports is a second one, so the
 * retransmission arrived (it or the copy after it). Without this, a flight of retransmissions
 * alone (the send buffer full behind a hole at SND.UNA, no new data to send) never moved RACK.xmit_ts, a lost
 * retransmission sent among them was not seen, and the repair waited for the tail loss probe or
 * the 200 ms RTO (issue 18, 10 % loss; rack_dsack_retrans.pkt). As Linux (tcp_rack_advance), a
 * delivery sooner than min_RTT after the retransmission is still taken as the original's. */
void tcp_rack_dsack_delivered(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t now)
{
    if (!(g->flags & SEG_RETRANS)) return;
    ts_time_t rtt = now > g->xmit ? now - g->xmit : 1;
    if (t->rack.min_rtt && rtt < t->rack.min_rtt) return;
    advance(t, g, rtt);
}

void tcp_rack_dsack(struct ts_tcb *t)
{
    struct tcp_rack *r = &t->rack;
    if (r->dsack_round && SEQ_GEQ(t->snd_una, r->rtt_seq)) r->dsack_round = false;
    if (r->dsack_round) return;
    r->dsack_round = true;
    r->rtt_seq = t->snd_max;
    if (r->reo_wnd_mult < 255) r->reo_wnd_mult++;
    r->reo_wnd_persist = 16;
}

void tcp_rack_recovery_started(struct ts_tcb *t)
{
    struct tcp_rack *r = &t->rack;
    if (r->reo_wnd_persist && --r->reo_wnd_persist == 0) r->reo_wnd_mult = 1;
}

ts_time_t tcp_rack_reo_wnd(const struct ts_tcb *t)
{
    const struct tcp_rack *r = &t->rack;
    if (!r->reord) {
        if (t->flags & (TF_IN_RECOVERY | TF_RTO_LOSS)) return 0;
        if (r->segs_sacked >= RACK_DUPTHRESH) return 0;
    }
    ts_time_t w = (r->reo_wnd_mult ? r->reo_wnd_mult : 1) * r->min_rtt / 4;
    if (t->rtt.valid && w > t->rtt.srtt) w = t->rtt.srtt;
    return w;
}

unsigned tcp_rack_detect_loss(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_rack *r = &t->rack;
    struct tcp_segs *q = &t->segs;
    ts_time_t reo = tcp_rack_reo_wnd(t), timeout = 0;
    unsigned marked = 0;
    t->rack_reo_at = TS_TIME_NEVER;
    if (r->xmit_ts == 0) return 0;                      /* nothing delivered yet */
    for (uint32_t i = 0; i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (g->flags & (SEG_SACKED | SEG_LOST)) continue;
        if (!sent_after(r->xmit_ts, r->xmit_n, g->xmit, g->xmit_n)) {
            if (!(g->flags & SEG_RETRANS)) break;       /* every later record was sent later */
            continue;
        }
        ts_time_t deadline = g->xmit + r->rtt + reo;
        if (deadline <= now) {
            tcp_seg_set_lost(q, g);
            marked++;
            TS_COUNT(s, tcp, rack_marks);
            if (g->flags & SEG_RETRANS) TS_COUNT(s, tcp, rack_lost_retransmits);
        } else if (deadline - now > timeout) {
            timeout = deadline - now;
        }
    }
    if (timeout) t->rack_reo_at = now + timeout;
    return marked;
}

void tcp_rack_mark_on_rto(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    ts_time_t reo = tcp_rack_reo_wnd(t);
    for (uint32_t i = 0; i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (g->flags & (SEG_SACKED | SEG_LOST)) continue;
        if (i == 0 || g->xmit + t->rack.rtt + reo <= now) tcp_seg_set_lost(q, g);
    }
    t->rack_reo_at = TS_TIME_NEVER;
    (void)s;
}

/* Unlike RFC 8985 §7.2, a probe is armed in fast recovery too. A receiver that compresses its
 * SACKs (Linux sends one ACK for up to 44 out-of-order segments) leaves a recovery hanging on
 * that one ACK; when the return path loses it, nothing else comes until the RTO. A probe after
 * 2*SRTT of silence costs one segment and brings a fresh SACK at once. */
ts_time_t tcp_tlp_pto(const struct ts_tcb *t)
{
    if (!(t->flags & TF_SACK) || (t->flags & TF_RTO_LOSS) || t->rack.tlp_out) return 0;
    /* any state with data or our FIN outstanding: a tail that ends with close() is a tail too */
    if (t->state != TS_TCP_ESTABLISHED && t->state != TS_TCP_CLOSE_WAIT && t->state != TS_TCP_FIN_WAIT_1 &&
        t->state != TS_TCP_CLOSING && t->state != TS_TCP_LAST_ACK) return 0;
    if (!t->rtt.valid) return TS_SEC(1);
    ts_time_t pto = 2 * t->rtt.srtt;
    pto += tcp_flight(t) <= t->mss ? RACK_WCDELACKT : RACK_PTO_SLACK;
    return pto;
}

/* Only our FIN is out: it is the highest-sequence segment sent, and it goes again. Without this a
 * lost FIN after the last data was acknowledged waited for the probe timeout, which sent nothing,
 * and then for the RTO: 400 ms in LAST-ACK, and a timeout counted (tlp_fin_alone.pkt). */
static bool probe_fin(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    uint32_t data_end = t->snd_buf_seq + t->snd.len;
    if (!(t->flags & TF_SHUT_WR) || t->snd_una != data_end || t->snd_max != data_end + 1) return false;
    return tcp_retransmit_range(s, t, data_end, 0, now) == 0;
}

/* Retransmit the highest-sequence segment sent (RFC 8985 §7.3). */
static bool probe_last(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    if (!q->n) return probe_fin(s, t, now);
    const struct tcp_seg *g = tcp_seg_at(q, q->n - 1);
    return tcp_retransmit_range(s, t, g->seq, g->end - g->seq, now) == 0;
}

/* The probe (RFC 8985 §7.3) resends the last segment sent rather than new data: a receiver
 * must answer a duplicate at once (RFC 5681 §4.2), with a SACK or D-SACK that tells RACK what
 * is missing, whereas new in-order data may sit behind its delayed-ACK timer (Linux holds ACKs
 * while the application lags and its window cannot advance, for up to 200 ms, which is as long
 * as the RTO the probe is there to avoid). New data goes only when nothing is recorded. */
/* Unlike RFC 8985 §7.3, the probe also resends the first segment when that is itself a
 * retransmission still out: with a flight of 1-4 segments (a 40 us path at 10 % loss) a lost
 * retransmission has no later segment but the probe to reveal it, so when the probe or its one
 * ACK is lost too (one time in five at 10 % each way) the hole waits for the 200 ms RTO. The
 * second segment repairs the hole by itself (tlp_head_rexmit.pkt). */
static void probe_head_rexmit(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    if (q->n < 2) return;
    const struct tcp_seg *g = tcp_seg_at(q, 0);
    if ((g->flags & (SEG_SACKED | SEG_LOST)) || !(g->flags & SEG_RETRANS) || g->seq != t->snd_una) return;
    uint32_t data_end = t->snd_buf_seq + t->snd.len;
    if (!SEQ_LT(g->seq, data_end)) return;
    uint32_t len = g->end - g->seq;
    if (len > t->mss) len = t->mss;
    if (len > data_end - g->seq) len = data_end - g->seq;
    if (tcp_retransmit_range(s, t, g->seq, len, now) == 0) TS_COUNT(s, tcp, sack_retransmits);
}

/* New data beyond cwnd for the probe (RFC 8985 §7.3: "a previously unsent segment ... if the
 * receive window allows"): two full segments when there are, because a receiver acknowledges at
 * least every second full-sized segment at once (RFC 1122 §4.2.3.2, RFC 5681 §4.2) while a lone
 * one may wait for its delayed-ACK timer (40 ms on Linux). true if anything went. */
static bool probe_new(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    uint32_t before = t->snd_max, cwnd = t->cwnd;
    t->cwnd = tcp_sack_pipe(t) + 2 * t->mss;           /* two segments beyond the pipe */
    t->flags |= TF_FORCE;
    tcp_output(s, t, now);
    t->flags &= ~TF_FORCE;
    t->cwnd = cwnd;
    return SEQ_GT(t->snd_max, before);
}

/* Unlike RFC 8985 §7.3, which sends one segment, the probe resends the last segment AND sends
 * new data (probe_new) when there is some and the peer's window takes it. A flight of a few
 * segments often brings back ONE ACK (Linux acknowledges a burst that arrives while the
 * application holds the socket with a single ACK); when that ACK is lost, the probe is all that is
 * left, and the one D-SACK it brings can be lost too: at 10 % each way, one probe in five failed
 * and each failure cost the 200 ms RTO (80 % of a download's time against the kernel, issue 18).
 * The duplicate is answered at once and puts the receiver into quick-ACK mode; the new segments
 * bring a second, independent ACK at once; they are also what the RFC prefers to send. */
void tcp_tlp_fire(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_rack *r = &t->rack;
    probe_head_rexmit(s, t, now);
    if (probe_last(s, t, now)) {
        r->tlp_is_retrans = true;
        (void)probe_new(s, t, now);
    } else {
        if (!probe_new(s, t, now)) return;
        r->tlp_is_retrans = false;
    }
    TS_COUNT(s, tcp, tail_loss_probes);
    r->tlp_out = true;
    r->tlp_end_seq = t->snd_max;
}

void tcp_tlp_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t ack, bool dsack, ts_time_t now)
{
    struct tcp_rack *r = &t->rack;
    if (!r->tlp_out) return;
    if (t->flags & TF_IN_RECOVERY) {                    /* answered: recovery goes on, no response */
        r->tlp_out = false;
        return;
    }
    if (r->tlp_is_retrans && dsack) {                   /* the probe was a duplicate: no loss */
        r->tlp_out = false;
        return;
    }
    if (!SEQ_GEQ(ack, r->tlp_end_seq)) return;
    r->tlp_out = false;
    if (!r->tlp_is_retrans || (t->flags & (TF_IN_RECOVERY | TF_RTO_LOSS))) return;
    /* The probe repaired a loss that nothing else saw: respond as to a fast recovery (§7.4.2). */
    TS_COUNT(s, tcp, tlp_recoveries);
    tcp_cc_save(t);
    t->cc->on_congestion(t, now);
    t->cwnd = t->ssthresh;
    tcp_trace_cwnd(s, t, now);
}
