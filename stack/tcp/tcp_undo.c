/*
 * Spurious retransmission detection and undo. A timeout or a fast retransmit that was not needed
 * (the segment was delayed or reordered, not lost) halves or collapses cwnd for nothing; three
 * detectors find such episodes and undo the reduction through the controller's undo hook
 * (tcp_cc_undo, which restores the state tcp_cc_save kept):
 *
 * - Eifel detection (RFC 3522), with timestamps: the TSval of the first retransmission is kept;
 *   if the first ACK that acknowledges the retransmitted segment echoes an older TSval, the ACK
 *   was for the original transmission, so the retransmission was spurious (§3.2).
 * - F-RTO (RFC 5682, SACK-enhanced §3 / basic §2), after a timeout, with or without timestamps:
 *   when the first ACK after the retransmission advances SND.UNA, two new segments are sent
 *   instead of retransmitting more; if the next ACK advances SND.UNA again, segments that were
 *   never retransmitted arrived: the timeout was spurious. A duplicate ACK at either step
 *   means real loss, and the conventional recovery goes on.
 * - D-SACK (RFC 2883 §5, RFC 3708): when every retransmission of the episode is reported back
 *   as a duplicate, none was needed.
 *
 * The response (RFC 4015's spirit): cwnd and ssthresh back to what they were, loss marks of the
 * timeout forgotten and, after a go-back-N timeout, transmission resumes with new data.
 */
#include "tcp/tcp_impl.h"

enum { FRTO_OFF, FRTO_FIRST_ACK, FRTO_SECOND_ACK };

/* A reduction was just made and saved (tcp_cc_save): a new episode that may be undone. */
void tcp_undo_start(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, bool rto)
{
    (void)s;
    struct tcp_undo *u = &t->undo;
    u->active = true;
    u->rto = rto;
    u->marker = t->snd_una;
    u->high = t->snd_max;
    u->rxt_base = t->retransmits;
    /* a tail loss probe still out was a retransmission of this flight: its D-SACK counts too
     * (the peer reports each duplicate it got) */
    if (t->rack.tlp_out && t->rack.tlp_is_retrans && u->rxt_base) u->rxt_base--;
    u->dsacked = 0;
    u->eifel = t->ts_ok;
    u->rxt_tsval = tcp_ts_now(t, now);          /* the retransmission goes out at this instant */
    /* F-RTO needs new data to send at its second step (RFC 5682 §2.1 2b) */
    u->frto = rto && SEQ_LT(t->snd_max, t->snd_buf_seq + t->snd.len) ? FRTO_FIRST_ACK : FRTO_OFF;
}

/* Forget the loss marks a timeout put on the flight (RACK, RFC 8985 §6.3). */
static void clear_lost(struct ts_tcb *t)
{
    struct tcp_segs *q = &t->segs;
    for (uint32_t i = 0; i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (g->flags & SEG_LOST) {
            g->flags &= (uint8_t)~SEG_LOST;
            q->lost_bytes -= g->end - g->seq;
        }
    }
}

static void undo(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, bool counted_rto)
{
    struct tcp_undo *u = &t->undo;
    u->active = false;
    u->frto = FRTO_OFF;
    if (!tcp_cc_undo(s, t, now)) return;
    if (counted_rto) {
        clear_lost(t);
        t->flags &= ~TF_RTO_LOSS;
        if (SEQ_LT(t->snd_nxt, t->snd_max)) t->snd_nxt = t->snd_max;   /* no go-back-N */
        TS_COUNT(s, tcp, spurious_rtos);
    } else {
        TS_COUNT(s, tcp, spurious_fast_retransmits);
    }
    t->undos++;
}

/* Does this ACK's first SACK block report a duplicate (RFC 2883 §4)? */
static bool is_dsack(const struct ts_tcp_opts *o, uint32_t ack)
{
    if (!o || !o->nsack || !SEQ_LT(o->sack[0][0], o->sack[0][1])) return false;
    if (SEQ_LEQ(o->sack[0][1], ack)) return true;
    return o->nsack > 1 && SEQ_GEQ(o->sack[0][0], o->sack[1][0]) && SEQ_LEQ(o->sack[0][1], o->sack[1][1]);
}

/* F-RTO's two steps (RFC 5682 §2.1 2 and 3, §3 for SACK). */
static void frto_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, bool advanced)
{
    struct tcp_undo *u = &t->undo;
    if (!advanced || SEQ_GEQ(t->snd_una, u->high)) {
        /* 2a/3a: a duplicate ACK, or everything up to recover acknowledged: no verdict, or
         * real loss; the conventional recovery (already set up by the timeout) goes on */
        if (u->frto == FRTO_SECOND_ACK && !advanced) {
            tcp_rack_mark_on_rto(s, t, now);    /* what the probes' detour skipped is lost */
            if (!(t->flags & TF_SACK)) t->snd_nxt = t->snd_una;
            if (t->cwnd > 3u * t->mss) t->cwnd = 3u * t->mss;   /* 3a: at most 3 SMSS */
        }
        u->frto = FRTO_OFF;
        return;
    }
    if (u->frto == FRTO_FIRST_ACK) {
        /* 2b: send two new segments instead of retransmitting (not counted as probes of loss) */
        clear_lost(t);
        t->snd_nxt = t->snd_max;
        uint32_t out = (t->flags & TF_SACK) ? tcp_sack_pipe(t) : t->snd_max - t->snd_una;
        if (t->cwnd < out + 2u * t->mss) t->cwnd = out + 2u * t->mss;
        u->frto = FRTO_SECOND_ACK;
        return;
    }
    undo(s, t, now, true);                      /* 3b: never-retransmitted data acknowledged */
}

/* An ACK was processed (SND.UNA moved from una0 to t->snd_una, or not): the detectors. */
void tcp_undo_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t una0,
                  const struct ts_tcp_opts *o)
{
    struct tcp_undo *u = &t->undo;
    bool advanced = SEQ_GT(t->snd_una, una0);
    bool dsack = is_dsack(o, t->snd_una);
    if (dsack) TS_COUNT(s, tcp, dsacks_received);
    if (!u->active) return;
    /* Eifel: the first ACK for the retransmitted segment (RFC 3522 §3.2) */
    if (u->eifel && advanced && o && o->has_ts && o->ts_ecr) {
        u->eifel = false;
        if (SEQ_LT(o->ts_ecr, u->rxt_tsval)) {
            undo(s, t, now, u->rto);
            return;
        }
        u->frto = FRTO_OFF;     /* the ACK is for the retransmission: the loss was real */
    }
    /* D-SACK: each retransmission of the episode reported as a duplicate */
    if (dsack && SEQ_GEQ(o->sack[0][0], u->marker) && SEQ_LEQ(o->sack[0][1], u->high)) {
        u->dsacked++;
        uint32_t rxt = t->retransmits - u->rxt_base;
        if (rxt && u->dsacked >= rxt) { undo(s, t, now, u->rto); return; }
    }
    if (u->frto != FRTO_OFF) frto_ack(s, t, now, advanced);
    /* the episode is over once all it covered is acknowledged and no D-SACK can still come */
    if (u->active && u->frto == FRTO_OFF && !u->eifel && SEQ_GEQ(t->snd_una, u->high) &&
        (!(t->flags & TF_SACK) || u->dsacked >= t->retransmits - u->rxt_base))
        u->active = false;
}
