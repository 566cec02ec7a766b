/*
 * HyStart++ (RFC 9406): leave slow start before it overshoots, when the RTT of a round has grown
 * by a clear margin over the previous round's, through a short Conservative Slow Start (CSS).
 * A controller embeds struct tcp_hystart in its variables and calls these from its on_ack.
 */
#ifndef TS_TCP_HYSTART_H
#define TS_TCP_HYSTART_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"

#define HYSTART_MIN_RTT_THRESH 4000u     /* us (RFC 9406 §4.3) */
#define HYSTART_MAX_RTT_THRESH 16000u
#define HYSTART_MIN_RTT_DIVISOR 8
#define HYSTART_N_RTT_SAMPLE 8
#define HYSTART_CSS_GROWTH_DIVISOR 4
#define HYSTART_CSS_ROUNDS 5
#define HYSTART_L 8                      /* segments per ACK at most: we do not pace */

struct tcp_hystart {
    uint32_t window_end;                 /* the round ends when this is acknowledged */
    ts_time_t last_round_min_rtt, current_round_min_rtt, css_baseline_min_rtt;
    uint32_t rtt_sample_count;
    uint8_t css_rounds;
    bool started, in_css, done;
};

struct ts_tcb;

/* Slow start, one ACK: acked bytes newly acknowledged, rtt a sample in us (0: none). Grows cwnd
 * (by acked, or acked / CSS_GROWTH_DIVISOR in CSS, at most L*SMSS) and, at the end of CSS, sets
 * ssthresh = cwnd so that congestion avoidance begins. Counts HyStart++ exits in the stats. */
void tcp_hystart_ack(struct ts_tcb *t, struct tcp_hystart *h, uint32_t acked, ts_time_t rtt);

/* A loss ends slow start for good (RFC 9406 §4.2: no HyStart++ after the first). */
static inline void tcp_hystart_loss(struct tcp_hystart *h) { h->done = true; h->in_css = false; }

#endif
