/*
 * Loss recovery around the congestion controller (tcp_cc.h):
 * - with SACK, RACK-TLP (RFC 8985, tcp_rack.c) decides what is lost, from the time each segment
 *   was sent; the first loss starts a recovery (RFC 6675 §5) in which the pipe says how much is
 *   out, PRR (RFC 6937, tcp_prr.c) sets cwnd on every ACK, the segments marked lost go first;
 *   recovery ends at RecoveryPoint with cwnd = ssthresh. Duplicate ACKs are not counted.
 * - without SACK, NewReno (RFC 6582): three duplicate ACKs (fewer for a small flight, RFC 5827),
 *   partial ACKs retransmit the next hole; full ACK: cwnd = ssthresh (§3.2 step 3, option 2);
 * - the retransmission timeout (RFC 5681 §3.1): ssthresh from the controller, cwnd = 1 SMSS,
 *   and with SACK, RACK marks what the timeout shows lost (RFC 8985 §6.3).
 * Every reduction saves the state before it (tcp_cc_save) so that a spurious one can be undone.
 */
#include "tcp/tcp_impl.h"

static void cap_cwnd(struct ts_tcb *t)
{
    if (t->cwnd > TS_TCP_BUF_MAX * 2u) t->cwnd = TS_TCP_BUF_MAX * 2u;
}

/* RecoveryPoint reached (RFC 6675 §5, RFC 6937 §3, RFC 6582 §3.2 step 3). */
static void exit_recovery(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    t->flags &= ~TF_IN_RECOVERY;
    t->dupacks = 0;
    t->cwnd = t->ssthresh;
    if (t->cc->on_exit_recovery) t->cc->on_exit_recovery(t, now);
    TS_COUNT(s, tcp, recoveries_done);
    tcp_trace_cwnd(s, t, now);
}

/* Loss detected: enter fast recovery (RFC 6675 §5 steps 4.1-4.3, RFC 6582 §3.2 steps 2-3). */
static void enter_recovery(struct ts_stack *s, struct ts_tcb *t, uint32_t delivered, ts_time_t now)
{
    tcp_cc_save(t);
    tcp_undo_start(s, t, now, false);
    t->cc->on_congestion(t, now);
    t->recover = t->snd_max;
    /* Pull mode (tcp_output.c): the batch's new data is built after the ACKs that showed the loss,
     * in the same instant; per ACK, what the ACKs before them released went before. RecoveryPoint
     * takes it in (set after the pull), or each recovery ended a batch early and a loss in that
     * data began another: at 1 % loss 70 recoveries per 20 MB instead of 40, each with BBR's
     * round of packet conservation, and twice the RACK timer's waits (issue 18). */
    if (s->tx_pull && !s->tcp->pulling) t->flags |= TF_RECOVER_PULL;
    t->flags |= TF_IN_RECOVERY;
    TS_COUNT(s, tcp, fast_retransmits);
    TS_COUNT(s, tcp, recoveries);
    if (t->flags & TF_SACK) {
        tcp_rack_recovery_started(t);
        tcp_prr_start(t);
        tcp_prr_ack(t, delivered, tcp_sack_pipe(t));
    } else {
        tcp_retransmit_first(s, t, now);
        t->cwnd = t->ssthresh + 3u * t->mss;
    }
    tcp_trace_cwnd(s, t, now);
}

/* SACK: one ACK (new or duplicate) after the scoreboard took it in. */
static void sack_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t acked, uint32_t delivered,
                     ts_time_t rtt, ts_time_t now)
{
    if ((t->flags & TF_RTO_LOSS) && SEQ_GEQ(t->snd_una, t->recover)) t->flags &= ~TF_RTO_LOSS;
    if ((t->flags & TF_IN_RECOVERY) && SEQ_GEQ(t->snd_una, t->recover)) exit_recovery(s, t, now);
    tcp_rack_detect_loss(s, t, now);
    if (t->flags & TF_IN_RECOVERY) {
        if (acked) TS_COUNT(s, tcp, partial_acks);
        tcp_prr_ack(t, delivered, tcp_sack_pipe(t));
        TS_COUNT(s, tcp, prr_acks);
        return;
    }
    if (t->segs.lost_bytes && !(t->flags & TF_RTO_LOSS)) {
        enter_recovery(s, t, delivered, now);
        return;
    }
    if (acked) {
        t->cc->on_ack(t, acked, rtt, now);
        cap_cwnd(t);
    }
}

void tcp_cc_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t acked, uint32_t delivered,
                ts_time_t rtt, ts_time_t now)
{
    if (t->flags & TF_SACK) {
        sack_ack(s, t, acked, delivered, rtt, now);
        tcp_cc_control(s, t, delivered, now);
        return;
    }
    if (t->flags & TF_IN_RECOVERY) {
        if (SEQ_GEQ(t->snd_una, t->recover)) {
            exit_recovery(s, t, now);
            return;
        }
        /* partial acknowledgment: retransmit the next hole, deflate (RFC 6582 step 4) */
        TS_COUNT(s, tcp, partial_acks);
        tcp_retransmit_first(s, t, now);
        t->cwnd = t->cwnd > acked ? t->cwnd - acked : t->mss;
        if (acked >= t->mss) t->cwnd += t->mss;
        tcp_rexmt_restart(s, t, now);
        tcp_trace_cwnd(s, t, now);
        return;
    }
    t->dupacks = 0;
    t->cc->on_ack(t, acked, rtt, now);
    cap_cwnd(t);
}

/* A duplicate ACK (RFC 5681 §2 definition, checked by the caller); delivered: bytes it newly
 * SACKed. */
void tcp_cc_dupack(struct ts_stack *s, struct ts_tcb *t, uint32_t delivered, ts_time_t now)
{
    TS_COUNT(s, tcp, dup_acks);
    if (t->flags & TF_SACK) {
        sack_ack(s, t, 0, delivered, 0, now);
        tcp_cc_control(s, t, delivered, now);
        tcp_output(s, t, now);
        return;
    }
    if (t->flags & TF_IN_RECOVERY) {
        t->cwnd += t->mss;                                    /* inflate (NewReno) */
        tcp_output(s, t, now);
        return;
    }
    /* RFC 5827 early retransmit: with fewer than 4 segments out and nothing new to send, three
     * duplicates can never come; oseg - 1 of them is the signal. */
    uint32_t thresh = 3, oseg = (tcp_flight(t) + t->mss - 1) / t->mss;
    if (oseg < 4 && !SEQ_LT(t->snd_max, t->snd_buf_seq + t->snd.len)) thresh = oseg > 1 ? oseg - 1 : 1;
    t->dupacks++;
    if (t->dupacks < thresh) {
        tcp_output(s, t, now);                 /* RFC 3042 limited transmit (see plan_data) */
        return;
    }
    if (t->dupacks > thresh) return;
    /* RFC 6582 §3.2 step 1: only if this loss is newer than the last recovery */
    if (SEQ_LEQ(t->snd_una - 1, t->recover) && t->recover != t->iss) return;
    enter_recovery(s, t, 0, now);
    tcp_output(s, t, now);
}

/* RACK's reordering timer ran out (RFC 8985 §6.2 step 5, §6.3 RACK_reo_timeout). */
void tcp_rack_timer(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    TS_COUNT(s, tcp, rack_timeouts);
    sack_ack(s, t, 0, 0, 0, now);
    tcp_cc_control(s, t, 0, now);
    tcp_output(s, t, now);
}

/* The retransmission timer ran out (RFC 5681 §3.1 eq. (4), loss window = 1 SMSS). */
void tcp_cc_timeout(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    /* The first expiry reduces ssthresh, unless recovery already did for this loss; undo would
     * then go back to the state before that recovery. */
    if (t->rxt_shift == 1 && !(t->flags & TF_IN_RECOVERY)) {
        tcp_cc_save(t);
        tcp_undo_start(s, t, now, true);
        t->cc->on_rto(t, now);
    }
    if (t->rxt_shift >= 2) tcp_sack_clear(t);                /* the peer may have reneged */
    t->cwnd = t->mss;
    t->bytes_acked = 0;
    t->dupacks = 0;
    t->recover = t->snd_max;
    t->flags &= ~TF_IN_RECOVERY;
    t->rack.tlp_out = false;
    if (t->flags & TF_SACK) {
        t->flags |= TF_RTO_LOSS;
        tcp_rack_mark_on_rto(s, t, now);
    }
    tcp_trace_cwnd(s, t, now);
}
