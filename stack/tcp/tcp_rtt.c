/*
 * RFC 6298 estimator (see tcp_rtt.h).
 */
#include "tcp/tcp_rtt.h"

static ts_time_t clamp(ts_time_t v, ts_time_t lo, ts_time_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ts_rtt_init(struct ts_rtt *r, ts_time_t rto_min, ts_time_t rto_max)
{
    r->srtt = 0;
    r->rttvar = 0;
    r->valid = false;
    r->rto = clamp(TS_RTO_INITIAL, rto_min, rto_max);
    r->round_n = r->last_round_n = 0;
    r->round_at = 0;
}

void ts_rtt_sample(struct ts_rtt *r, ts_time_t m, ts_time_t rto_min, ts_time_t rto_max)
{
    if (!r->valid) {
        /* §2.2: the first measurement R */
        r->srtt = m;
        r->rttvar = m / 2;
        r->valid = true;
    } else {
        /* §2.3: RTTVAR first, with the old SRTT; beta = 1/4, alpha = 1/8 */
        ts_time_t delta = r->srtt > m ? r->srtt - m : m - r->srtt;
        r->rttvar = (3 * r->rttvar + delta) / 4;
        r->srtt = (7 * r->srtt + m) / 8;
    }
    ts_time_t k = 4 * r->rttvar;
    r->rto = clamp(r->srtt + (k > TS_RTT_G ? k : TS_RTT_G), rto_min, rto_max);
}

void ts_rtt_sample_n(struct ts_rtt *r, ts_time_t m, uint32_t n, ts_time_t rto_min, ts_time_t rto_max)
{
    if (!r->valid || n <= 1) { ts_rtt_sample(r, m, rto_min, rto_max); return; }
    /* RFC 7323 §4.2: alpha' = alpha / n, beta' = beta / n, computed in signed 64-bit steps */
    int64_t delta = r->srtt > m ? (int64_t)(r->srtt - m) : (int64_t)(m - r->srtt);
    int64_t var = (int64_t)r->rttvar + (delta - (int64_t)r->rttvar) / (int64_t)(4u * n);
    int64_t srtt = (int64_t)r->srtt + ((int64_t)m - (int64_t)r->srtt) / (int64_t)(8u * n);
    r->rttvar = var > 0 ? (ts_time_t)var : 0;
    r->srtt = srtt > 0 ? (ts_time_t)srtt : 0;
    ts_time_t k = 4 * r->rttvar;
    r->rto = clamp(r->srtt + (k > TS_RTT_G ? k : TS_RTT_G), rto_min, rto_max);
}

uint32_t ts_rtt_expected(struct ts_rtt *r, uint32_t by_flight, ts_time_t now)
{
    if (!r->valid || now - r->round_at >= r->srtt) {     /* a round trip has passed: a new count */
        r->last_round_n = r->valid ? r->round_n : 0;
        r->round_n = 0;
        r->round_at = now;
    }
    r->round_n++;
    uint32_t seen = r->last_round_n ? r->last_round_n : 1;
    uint32_t n = by_flight < seen ? by_flight : seen;
    return n ? n : 1;
}

ts_time_t ts_rtt_backoff(const struct ts_rtt *r, unsigned shift, ts_time_t max)
{
    ts_time_t v = r->rto;
    for (unsigned i = 0; i < shift && v < max; i++) v *= 2;
    return v > max ? max : v;
}
