/*
 * Congestion control: slow start and congestion avoidance (RFC 5681), NewReno fast
 * retransmit / fast recovery (RFC 6582), initial window (RFC 6928).
 */
#include "tcp/tcp_impl.h"

uint32_t tcp_flight(const struct ts_tcb *t) { return t->snd_max - t->snd_una; }

/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)). */
void tcp_cc_init(struct ts_tcb *t)
{
    uint32_t a = 10u * t->mss, b = 2u * t->mss > 14600 ? 2u * t->mss : 14600;
    t->cwnd = a < b ? a : b;
    t->ssthresh = UINT32_MAX / 2;
    t->dupacks = 0;
    t->bytes_acked = 0;
}

static uint32_t half_flight(const struct ts_tcb *t)
{
    uint32_t f = tcp_flight(t) / 2, min = 2u * t->mss;   /* RFC 5681 eq. (4) */
    return f > min ? f : min;
}

/* New data acknowledged (SND.UNA moved by acked bytes). */
void tcp_cc_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t acked, ts_time_t now)
{
    if (t->flags & TF_IN_RECOVERY) {
        if (SEQ_GEQ(t->snd_una, t->recover)) {
            /* full acknowledgment: leave recovery (RFC 6582 §3.2 step 3, option 1 deflation) */
            uint32_t f = tcp_flight(t) + t->mss;
            t->cwnd = f < t->ssthresh ? f : t->ssthresh;
            t->flags &= ~TF_IN_RECOVERY;
            t->dupacks = 0;
        } else if (t->flags & TF_SACK) {
            /* SACK recovery: the scoreboard picks the holes (tcp_output), cwnd stays */
            TS_COUNT(s, tcp, partial_acks);
            t->rxt_round_dups = 0;
            tcp_rexmt_restart(s, t, now);
        } else {
            /* partial acknowledgment: retransmit the next hole, deflate (step 4) */
            TS_COUNT(s, tcp, partial_acks);
            tcp_retransmit_first(s, t, now);
            t->cwnd = t->cwnd > acked ? t->cwnd - acked : t->mss;
            if (acked >= t->mss) t->cwnd += t->mss;
            tcp_rexmt_restart(s, t, now);
        }
        tcp_trace_cwnd(s, t, now);
        return;
    }
    t->dupacks = 0;
    if (t->cwnd < t->ssthresh) {
        t->cwnd += acked < t->mss ? acked : t->mss;          /* slow start, L = 1 SMSS */
    } else {
        t->bytes_acked += acked;                              /* congestion avoidance */
        if (t->bytes_acked >= t->cwnd) {
            t->bytes_acked -= t->cwnd;
            t->cwnd += t->mss;
        }
    }
    if (t->cwnd > TS_TCP_BUF_MAX * 2u) t->cwnd = TS_TCP_BUF_MAX * 2u;
}

/* A duplicate ACK (RFC 5681 §2 definition, checked by the caller). */
void tcp_cc_dupack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    TS_COUNT(s, tcp, dup_acks);
    if (t->flags & TF_IN_RECOVERY) {
        if (!(t->flags & TF_SACK)) {
            t->cwnd += t->mss;                                /* inflate (NewReno) */
        } else {
            /* Every hole resent, yet a whole window of ACKs later SND.UNA has not moved: a
             * retransmission was lost too. Resend the holes once more instead of waiting for the
             * RTO (a coarse form of RACK's lost-retransmission detection, RFC 8985). */
            uint32_t seq, len;
            if (!tcp_sack_next_hole(t, t->rxt_nxt, &seq, &len) &&
                ++t->rxt_round_dups > t->cwnd / t->mss + 3) {
                t->rxt_nxt = t->snd_una;
                t->rxt_round_dups = 0;
                TS_COUNT(s, tcp, sack_rounds);
            }
        }
        tcp_output(s, t, now);                                /* SACK: pipe decides */
        return;
    }
    /* RFC 5827 early retransmit: with fewer than 4 segments out and nothing new to send, three
     * duplicates can never come; oseg - 1 of them is the signal. */
    uint32_t thresh = 3, oseg = (tcp_flight(t) + t->mss - 1) / t->mss;
    if (oseg < 4 && !SEQ_LT(t->snd_max, t->snd_buf_seq + t->snd.len)) thresh = oseg > 1 ? oseg - 1 : 1;
    t->dupacks++;
    /* RFC 6675 IsLost(SND.UNA): more than (DupThresh - 1) * SMSS SACKed above it */
    if ((t->flags & TF_SACK) && ts_reass_bytes(&t->sacked) > (thresh - 1) * t->mss && t->dupacks < thresh)
        t->dupacks = (uint8_t)thresh;
    if (t->dupacks < thresh) {
        tcp_output(s, t, now);                 /* RFC 3042 limited transmit (see plan_data) */
        return;
    }
    if (t->dupacks > thresh) return;
    /* RFC 6582 §3.2 step 1: only if this loss is newer than the last recovery */
    if (SEQ_LEQ(t->snd_una - 1, t->recover) && t->recover != t->iss) return;
    t->ssthresh = half_flight(t);
    t->recover = t->snd_max;
    t->flags |= TF_IN_RECOVERY;
    TS_COUNT(s, tcp, fast_retransmits);
    tcp_retransmit_first(s, t, now);
    if (t->flags & TF_SACK) {
        uint32_t end = t->snd_buf_seq + t->snd.len, n = end - t->snd_una;
        t->rxt_round_dups = 0;
        t->rxt_nxt = t->snd_una + (SEQ_LT(t->snd_una, end) ? (n < t->mss ? n : t->mss) : 0);
        t->cwnd = t->ssthresh;                                /* RFC 6675 §5 */
    } else {
        t->cwnd = t->ssthresh + 3u * t->mss;
    }
    tcp_trace_cwnd(s, t, now);
    tcp_output(s, t, now);
}

/* The retransmission timer ran out (RFC 5681 §3.1 eq. (4), loss window = 1 SMSS). */
void tcp_cc_timeout(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (t->rxt_shift == 1) t->ssthresh = half_flight(t);
    if (t->rxt_shift >= 2) tcp_sack_clear(t);                /* the peer may have reneged */
    t->cwnd = t->mss;
    t->bytes_acked = 0;
    t->dupacks = 0;
    t->recover = t->snd_max;
    t->flags &= ~TF_IN_RECOVERY;
    tcp_trace_cwnd(s, t, now);
}
