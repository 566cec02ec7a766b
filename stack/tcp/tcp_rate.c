/*
 * Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation), read beside the draft:
 * the send-time stamps (§3.2), the per-ACK sample (§3.3) and app-limited marking (§3.4). See
 * tcp_rate.h for the idea. Bytes, not packets; time in microseconds.
 */
#include "tcp/tcp_impl.h"

void tcp_rate_on_send(struct ts_tcb *t, bool nothing_in_flight, ts_time_t now)
{
    struct tcp_rate *c = &t->rate;
    if (nothing_in_flight) {
        c->first_tx_time = now;
        c->delivered_time = now;
    }
}

struct tcp_rate_stamp tcp_rate_stamp(const struct ts_tcb *t)
{
    const struct tcp_rate *c = &t->rate;
    return (struct tcp_rate_stamp){ .delivered = c->delivered, .delivered_time = c->delivered_time,
                                    .first_tx_time = c->first_tx_time,
                                    .is_app_limited = c->app_limited != 0 };
}

void tcp_rate_delivered(struct ts_tcb *t, const struct tcp_rate_stamp *st, ts_time_t sent_time)
{
    struct tcp_rate *c = &t->rate;
    /* the newest: sent with the highest delivered count, ties to the latest sent */
    if (c->p_valid && (st->delivered < c->p_delivered ||
                       (st->delivered == c->p_delivered && sent_time <= c->p_sent_time)))
        return;
    c->p_valid = true;
    c->p_delivered = st->delivered;
    c->p_delivered_time = st->delivered_time;
    c->p_first_tx_time = st->first_tx_time;
    c->p_sent_time = sent_time;
    c->p_app_limited = st->is_app_limited;
    /* the next send phase starts from this segment's transmission */
    c->first_tx_time = sent_time;
}

void tcp_rate_sample(struct ts_tcb *t, uint32_t newly_acked, ts_time_t rtt, ts_time_t min_rtt,
                     ts_time_t now, struct tcp_rate_sample *rs)
{
    struct tcp_rate *c = &t->rate;
    *rs = (struct tcp_rate_sample){ .newly_acked = newly_acked, .rtt = rtt };
    uint64_t lost = t->segs.lost_total - c->lost_seen;
    rs->losses = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
    c->lost_seen = t->segs.lost_total;
    if (newly_acked) {
        c->delivered += newly_acked;
        c->delivered_time = now;
    }
    if (c->app_limited && c->delivered > c->app_limited) c->app_limited = 0;
    if (!c->p_valid) return;
    c->p_valid = false;
    rs->prior_delivered = c->p_delivered;
    rs->is_app_limited = c->p_app_limited;
    rs->delivered = c->delivered - c->p_delivered;
    ts_time_t send_elapsed = c->p_sent_time > c->p_first_tx_time ? c->p_sent_time - c->p_first_tx_time : 0;
    ts_time_t ack_elapsed = now > c->p_delivered_time ? now - c->p_delivered_time : 0;
    ts_time_t interval = send_elapsed > ack_elapsed ? send_elapsed : ack_elapsed;
    /* shorter than the minimum RTT: the ACKs of a burst came together; the rate would be too
     * high (§3.3); nothing delivered: no rate */
    if (interval == 0 || rs->delivered == 0 || (min_rtt && interval < min_rtt)) return;
    rs->interval = interval;
    rs->delivery_rate = rs->delivered * TS_SEC(1) / interval;
}

void tcp_rate_check_app_limited(struct ts_tcb *t)
{
    uint32_t data_end = t->snd_buf_seq + t->snd.len, pipe = tcp_sack_pipe(t);
    uint32_t unsent = SEQ_GT(data_end, t->snd_max) ? data_end - t->snd_max : 0;
    if (unsent >= t->mss || t->segs.lost_bytes || pipe >= t->cwnd) return;
    tcp_rate_set_app_limited(t);
}

void tcp_rate_set_app_limited(struct ts_tcb *t)
{
    uint64_t mark = t->rate.delivered + tcp_sack_pipe(t);
    t->rate.app_limited = mark ? mark : 1;
}
