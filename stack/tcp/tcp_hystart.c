/*
 * HyStart++ (RFC 9406 §4.2), read beside the RFC. Rounds are delimited by SND.MAX: a round
 * ends when the ACK passes what had been sent when it began. In each round the minimum RTT is
 * kept; once N_RTT_SAMPLE samples are in and the round's minimum exceeds the last round's by
 * RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms), slow start turns into Conservative Slow
 * Start (growth / 4); after CSS_ROUNDS rounds of it, ssthresh = cwnd and congestion avoidance
 * takes over. If the RTT falls back below the baseline during CSS, slow start resumes.
 */
#include "tcp/tcp_impl.h"
#include "tcp/tcp_hystart.h"

static ts_time_t rtt_thresh(ts_time_t last)
{
    ts_time_t th = last / HYSTART_MIN_RTT_DIVISOR;
    if (th < HYSTART_MIN_RTT_THRESH) th = HYSTART_MIN_RTT_THRESH;
    if (th > HYSTART_MAX_RTT_THRESH) th = HYSTART_MAX_RTT_THRESH;
    return th;
}

static void round_start(struct ts_tcb *t, struct tcp_hystart *h)
{
    h->window_end = t->snd_max;
    h->last_round_min_rtt = h->current_round_min_rtt;
    h->current_round_min_rtt = TS_TIME_NEVER;
    h->rtt_sample_count = 0;
}

/* A round ended: in CSS, count it, and end slow start after CSS_ROUNDS. */
static void round_end(struct ts_tcb *t, struct tcp_hystart *h)
{
    if (h->in_css && ++h->css_rounds >= HYSTART_CSS_ROUNDS) {
        t->ssthresh = t->cwnd;
        h->in_css = false;
        h->done = true;
        TS_COUNT(t->stack, tcp, hystart_exits);
    }
    round_start(t, h);
}

void tcp_hystart_ack(struct ts_tcb *t, struct tcp_hystart *h, uint32_t acked, ts_time_t rtt)
{
    if (!h->started) {
        h->started = true;
        h->current_round_min_rtt = TS_TIME_NEVER;
        h->css_baseline_min_rtt = TS_TIME_NEVER;
        round_start(t, h);
    }
    uint32_t inc = acked, cap = HYSTART_L * (uint32_t)t->mss;
    if (!h->done) {
        if (rtt) {
            if (rtt < h->current_round_min_rtt) h->current_round_min_rtt = rtt;
            h->rtt_sample_count++;
        }
        if (!h->in_css && h->rtt_sample_count >= HYSTART_N_RTT_SAMPLE &&
            h->current_round_min_rtt != TS_TIME_NEVER && h->last_round_min_rtt != TS_TIME_NEVER &&
            h->current_round_min_rtt >= h->last_round_min_rtt + rtt_thresh(h->last_round_min_rtt)) {
            h->css_baseline_min_rtt = h->current_round_min_rtt;     /* enter CSS */
            h->in_css = true;
            h->css_rounds = 0;
            TS_COUNT(t->stack, tcp, hystart_css);
        } else if (h->in_css && h->rtt_sample_count >= HYSTART_N_RTT_SAMPLE &&
                   h->current_round_min_rtt < h->css_baseline_min_rtt) {
            h->css_baseline_min_rtt = TS_TIME_NEVER;                /* a false alarm: slow start again */
            h->in_css = false;
        }
        if (h->in_css) inc = acked / HYSTART_CSS_GROWTH_DIVISOR;
        if (SEQ_GEQ(t->snd_una, h->window_end)) round_end(t, h);
    }
    t->cwnd += inc < cap ? inc : cap;
}
