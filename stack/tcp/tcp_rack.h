/*
 * The sender's record of what is in flight, and RACK-TLP (RFC 8985) over it.
 *
 * Every data segment sent is kept (tcp_segs.c) until cumulatively acknowledged: its sequence
 * range, when it was last (re)transmitted, and whether it is SACKed, deemed lost, or was
 * retransmitted. With SACK on, this record is the scoreboard: the pipe (RFC 6675 §4), the
 * segments to retransmit (those marked lost), and RACK's time-based loss detection all read it.
 */
#ifndef TS_TCP_RACK_H
#define TS_TCP_RACK_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"
#include "tcp/tcp_rate.h"

enum {
    SEG_SACKED  = 1u << 0,
    SEG_LOST    = 1u << 1,      /* deemed lost and not retransmitted since */
    SEG_RETRANS = 1u << 2,      /* retransmitted at least once */
    /* An ACK showed every copy sent so far missing (a SACK block's edge or the cumulative ACK at
     * it) while it or an earlier ACK showed a segment sent after the latest copy delivered. */
    SEG_GONE    = 1u << 3,
    SEG_EARLIER_GONE = 1u << 4, /* SEG_GONE was set when the latest copy went: all before it lost */
};

struct tcp_seg {
    uint32_t seq, end;          /* [seq, end) */
    ts_time_t xmit;             /* the latest (re)transmission */
    uint8_t flags;
    uint32_t xmit_n;            /* its place in the connection's order of transmissions */
    struct tcp_rate_stamp rate; /* delivery rate stamps of that transmission (tcp_rate.h) */
};

struct tcp_segs {
    struct tcp_seg *v;          /* ring, ordered by sequence; capacity a power of two */
    uint32_t head, n, cap;
    uint32_t xmit_n;            /* the number the next transmission gets (tcp_seg.xmit_n) */
    uint32_t sacked_bytes, lost_bytes;   /* over the records */
    uint64_t lost_total;        /* bytes ever marked lost (the rate sampler's losses per ACK) */
};

struct tcp_rack {
    ts_time_t xmit_ts;          /* RACK.xmit_ts: latest transmit time of a delivered segment */
    uint32_t xmit_n;            /* its xmit_n, in place of RACK.end_seq (tcp_rack.c sent_after) */
    ts_time_t rtt;              /* RACK.rtt: the RTT of that segment */
    ts_time_t min_rtt;          /* 0: no sample yet */
    uint32_t fack;              /* highest sequence delivered (RACK.fack) */
    bool reord;                 /* reordering seen (RACK.reord) */
    uint8_t reo_wnd_mult;       /* RACK.reo_wnd_mult, grown by D-SACKs */
    uint8_t reo_wnd_persist;    /* recoveries left before the multiplier resets */
    bool dsack_round;           /* a D-SACK grew the multiplier in this round trip */
    uint32_t rtt_seq;           /* that round trip ends when this is delivered */
    uint32_t segs_sacked;       /* segments SACKed (RFC 8985 §6.2 step 4) */
    ts_time_t ack_rtt;          /* RTT of the newest never-retransmitted segment this ACK
                                 * delivered (0: none), for the controller (HyStart++) */
    /* TLP (RFC 8985 §7) */
    bool tlp_out;               /* TLP.end_seq valid: a probe episode is open */
    bool tlp_is_retrans;
    bool ack_has_tsecr;         /* the ACK being taken in echoes a timestamp: */
    uint32_t ack_tsecr;         /* its TSecr (RFC 8985 §6.2 step 2) */
    uint32_t tlp_end_seq;
};

struct ts_tcb;
struct ts_tcp_opts;
struct ts_stack;

/* tcp_segs.c */
/* [seq, seq+len) was just sent at now: new (seq at SND.MAX) or a retransmission. -1: no memory
 * for the record (nothing changed; the caller must not send). */
int tcp_segs_sent(struct ts_tcb *t, uint32_t seq, uint32_t len, ts_time_t now);
/* SND.UNA moved to ack: forget what lies below it; delivered segments feed RACK. */
void tcp_segs_acked(struct ts_tcb *t, uint32_t ack, ts_time_t now);
/* A SACK block [l, r): the segments wholly inside it are delivered. */
void tcp_segs_sacked(struct ts_tcb *t, uint32_t l, uint32_t r, ts_time_t now);
/* A D-SACK block [l, r) above SND.UNA: RACK hears of the retransmissions wholly inside it. */
void tcp_segs_dsacked(struct ts_tcb *t, uint32_t l, uint32_t r, ts_time_t now);
/* The record that starts at seq / ends at end, NULL if none. */
struct tcp_seg *tcp_segs_starting(const struct tcp_segs *q, uint32_t seq);
struct tcp_seg *tcp_segs_ending(const struct tcp_segs *q, uint32_t end);
/* Mark a segment lost / not lost, keeping the byte counts. */
void tcp_seg_set_lost(struct tcp_segs *q, struct tcp_seg *g);
/* The i-th record from SND.UNA. */
static inline struct tcp_seg *tcp_seg_at(const struct tcp_segs *q, uint32_t i)
{
    return &q->v[(q->head + i) & (q->cap - 1)];
}
/* The first record marked lost, NULL if none. */
struct tcp_seg *tcp_segs_first_lost(const struct tcp_segs *q);
/* Forget every SACK mark (after a second timeout: the peer may have reneged). */
void tcp_segs_unsack(struct ts_tcb *t);
void tcp_segs_free(struct tcp_segs *q);

/* tcp_rack.c */
/* A segment was delivered (cumulatively or by SACK): RFC 8985 §6.2 steps 2 and 3. */
void tcp_rack_delivered(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t now);
/* An ACK's SACK blocks were taken in (SND.UNA already at ack; dsack: its first block is a
 * D-SACK): the records at the edges of its blocks and at ack are missing at the peer; those sent
 * before a segment RACK knows delivered are marked SEG_GONE. */
void tcp_rack_holes(struct ts_tcb *t, const struct ts_tcp_opts *o, uint32_t ack, bool dsack);
/* A D-SACK reported g (a record inside it) again: if g was retransmitted, its retransmission
 * arrived, and RACK takes it as delivered (no TSecr test; the min_RTT one stays). */
void tcp_rack_dsack_delivered(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t now);
/* A D-SACK arrived (RFC 8985 §6.2 step 4: widen the reordering window). */
void tcp_rack_dsack(struct ts_tcb *t);
/* RACK.reo_wnd now (RFC 8985 §6.2 step 4). */
ts_time_t tcp_rack_reo_wnd(const struct ts_tcb *t);
/* RFC 8985 §6.2 step 5: mark what is lost by time; returns the segments newly marked and arms
 * the reordering timer for those that may still arrive. */
unsigned tcp_rack_detect_loss(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* The retransmission timer ran out: RFC 8985 §6.3, mark what it shows lost. */
void tcp_rack_mark_on_rto(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* A recovery begins: count down the reordering window's persistence (§6.2 step 4). */
void tcp_rack_recovery_started(struct ts_tcb *t);
/* TLP: the probe timeout for what is in flight now (RFC 8985 §7.2), 0 when no probe applies. */
ts_time_t tcp_tlp_pto(const struct ts_tcb *t);
/* TLP: the probe timer ran out; send new data or the last segment (§7.3). */
void tcp_tlp_fire(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* TLP: an ACK arrived (§7.4); dsack: it carried a D-SACK. */
void tcp_tlp_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t ack, bool dsack, ts_time_t now);

#endif
