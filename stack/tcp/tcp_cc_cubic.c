/*
 * CUBIC (RFC 9438), read beside the RFC. Windows are kept in bytes, time in microseconds; the
 * cubic function itself is computed in segments and seconds as the RFC writes it.
 *   W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)     (§4.2)
 *   W_est grows by alpha_cubic = 3 (1 - beta) / (1 + beta) segments per cwnd acked, by 1 once
 *   it has reached cwnd_prior, the window before the last reduction (§4.3)
 *   target = clamp(W_cubic(t + RTT), cwnd, 1.5 cwnd); cwnd += (target - cwnd) / cwnd per
 *   segment acked (§4.4, §4.5); the Reno-friendly region when W_cubic < W_est.
 *   On loss: ssthresh = cwnd * beta (0.7), W_max with fast convergence (§4.6, §4.7).
 * Slow start is HyStart++ (RFC 9406, tcp_hystart.c) until the first loss.
 */
#include <string.h>
#include "tcp/tcp_impl.h"
#include "tcp/tcp_hystart.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

struct cubic {
    double w_max, w_last_max;    /* segments */
    double cwnd_prior;           /* segments: cwnd when ssthresh was last set (§4.3) */
    double k;                    /* seconds */
    double cwnd_epoch, w_est;    /* segments */
    ts_time_t t_epoch;           /* TS_TIME_NEVER: no congestion avoidance epoch yet */
    struct tcp_hystart hs;
};

_Static_assert(sizeof(struct cubic) <= TCP_CC_PRIV_BYTES, "CUBIC's variables fit in cc_priv");

static struct cubic *cub(struct ts_tcb *t) { return (struct cubic *)(void *)t->cc_priv; }

static void cubic_init(struct ts_tcb *t)
{
    struct cubic *c = cub(t);
    memset(c, 0, sizeof *c);
    c->t_epoch = TS_TIME_NEVER;
}

/* Cube root of x >= 0 by Newton's method (no libm in the core). */
static double cube_root(double x)
{
    if (x <= 0.0) return 0.0;
    double y = x > 1.0 ? x / 3.0 : 1.0;
    for (int i = 0; i < 200; i++) {
        double next = y - (y * y * y - x) / (3.0 * y * y);
        if (next == y || (next > y ? next - y : y - next) < 1e-12 * y) return next;
        y = next;
    }
    return y;
}

double tcp_cubic_k(double w_max, double cwnd_epoch)
{
    return w_max > cwnd_epoch ? cube_root((w_max - cwnd_epoch) / CUBIC_C) : 0.0;
}

double tcp_cubic_w(double t_sec, double k, double w_max)
{
    double d = t_sec - k;
    return CUBIC_C * d * d * d + w_max;
}

/* Congestion avoidance, one ACK of `acked` bytes (RFC 9438 §4.2-§4.5). */
static void cubic_avoid(struct ts_tcb *t, struct cubic *c, uint32_t acked, ts_time_t now)
{
    double mss = t->mss, cwnd = t->cwnd / mss, segs = acked / mss;
    if (c->t_epoch == TS_TIME_NEVER) {
        /* a new epoch: after a loss, or the first CA after slow start (W_max = cwnd then) */
        c->t_epoch = now;
        c->cwnd_epoch = cwnd;
        c->w_est = cwnd;
        if (c->w_max < cwnd) c->w_max = cwnd;
        c->k = tcp_cubic_k(c->w_max, cwnd);
    }
    double rtt = (t->rtt.valid ? (double)t->rtt.srtt : 100000.0) / 1e6;
    double elapsed = (double)(now - c->t_epoch) / 1e6;
    double target = tcp_cubic_w(elapsed + rtt, c->k, c->w_max);
    if (target < cwnd) target = cwnd;
    if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    /* §4.3: alpha_cubic until W_est reaches cwnd_prior, then 1 (Reno's own rate); on a
     * sub-millisecond path this is the region the window regrows in after every loss */
    double alpha = c->w_est >= c->cwnd_prior ? 1.0 : 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
    c->w_est += alpha * segs / cwnd;
    double next;
    if (tcp_cubic_w(elapsed, c->k, c->w_max) < c->w_est) next = c->w_est > cwnd ? c->w_est : cwnd;  /* Reno-friendly */
    else next = cwnd + (target - cwnd) * segs / cwnd;
    double bytes = next * mss;
    if (bytes > (double)(UINT32_MAX / 2)) bytes = (double)(UINT32_MAX / 2);
    if ((uint32_t)bytes > t->cwnd) t->cwnd = (uint32_t)bytes;
}

static void cubic_ack(struct ts_tcb *t, uint32_t acked, ts_time_t rtt, ts_time_t now)
{
    struct cubic *c = cub(t);
    if (t->cwnd < t->ssthresh) {
        if (!c->hs.done) tcp_hystart_ack(t, &c->hs, acked, rtt);
        else t->cwnd += acked < 8u * t->mss ? acked : 8u * t->mss;
        return;
    }
    cubic_avoid(t, c, acked, now);
}

/* RFC 9438 §4.6-§4.7: multiplicative decrease with fast convergence. */
static void cubic_congestion(struct ts_tcb *t, ts_time_t now)
{
    (void)now;
    struct cubic *c = cub(t);
    double cwnd = (double)t->cwnd / t->mss;
    tcp_hystart_loss(&c->hs);
    c->w_max = cwnd < c->w_last_max ? cwnd * (1.0 + CUBIC_BETA) / 2.0 : cwnd;
    c->w_last_max = cwnd;
    c->cwnd_prior = cwnd;
    c->t_epoch = TS_TIME_NEVER;
    uint32_t ss = (uint32_t)(t->cwnd * CUBIC_BETA), min = 2u * t->mss;
    t->ssthresh = ss > min ? ss : min;
}

/* Leaving recovery: the next epoch starts from cwnd = ssthresh (§4.6 cwnd_epoch). */
static void cubic_exit(struct ts_tcb *t, ts_time_t now)
{
    (void)now;
    cub(t)->t_epoch = TS_TIME_NEVER;
}

static void cubic_undo(struct ts_tcb *t, ts_time_t now)
{
    (void)now;
    cub(t)->t_epoch = TS_TIME_NEVER;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_ack,
    .on_congestion = cubic_congestion,
    .on_exit_recovery = cubic_exit,
    .on_rto = cubic_congestion,
    .undo = cubic_undo,
};
