/*
 * NewReno's window (RFC 5681 §3.1): slow start below ssthresh, one SMSS per window of ACKed
 * data above it (byte counting, RFC 3465 with L = 1 SMSS), ssthresh = FlightSize / 2 on loss
 * (RFC 5681 eq. (4)). Its fast recovery (RFC 6582) is the generic one in tcp_recovery.c.
 */
#include "tcp/tcp_impl.h"

static void reno_init(struct ts_tcb *t) { (void)t; }

static void reno_ack(struct ts_tcb *t, uint32_t acked, ts_time_t rtt, ts_time_t now)
{
    (void)rtt; (void)now;
    if (t->cwnd < t->ssthresh) {
        t->cwnd += acked < t->mss ? acked : t->mss;          /* slow start, L = 1 SMSS */
        return;
    }
    t->bytes_acked += acked;                                  /* congestion avoidance */
    if (t->bytes_acked >= t->cwnd) {
        t->bytes_acked -= t->cwnd;
        t->cwnd += t->mss;
    }
}

/* RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
static void reno_half(struct ts_tcb *t, ts_time_t now)
{
    (void)now;
    uint32_t f = tcp_flight(t) / 2, min = 2u * t->mss;
    t->ssthresh = f > min ? f : min;
    t->bytes_acked = 0;
}

const struct tcp_cc_ops tcp_cc_newreno = {
    .name = "newreno",
    .init = reno_init,
    .on_ack = reno_ack,
    .on_congestion = reno_half,
    .on_rto = reno_half,
};
