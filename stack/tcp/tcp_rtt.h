/*
 * Retransmission timer computation (RFC 6298): SRTT, RTTVAR, RTO from round-trip samples.
 * Karn's rule (no samples from retransmitted segments) is the caller's job.
 */
#ifndef TS_TCP_RTT_H
#define TS_TCP_RTT_H

#include <stdbool.h>
#include "tapstack/stack.h"

#define TS_RTO_INITIAL TS_SEC(1)       /* RFC 6298 §2.1 */
#define TS_RTO_MAX TS_SEC(60)          /* §2.5 */
#define TS_RTT_G TS_MS(1)              /* clock granularity G */

struct ts_rtt {
    ts_time_t srtt, rttvar, rto;
    bool valid;                        /* a sample has been taken */
};

/* Before any sample: RTO = 1 s (clamped to [min, max]). */
void ts_rtt_init(struct ts_rtt *r, ts_time_t rto_min, ts_time_t rto_max);

/* Take one measurement m (§2.2, §2.3) and recompute RTO = SRTT + max(G, 4*RTTVAR),
 * clamped to [min, max] (§2.4, §2.5). */
void ts_rtt_sample(struct ts_rtt *r, ts_time_t m, ts_time_t rto_min, ts_time_t rto_max);

/* One of n measurements expected in a round trip (RFC 7323 §4.2, timestamps on every ACK):
 * the same as ts_rtt_sample with the gains alpha and beta divided by n. */
void ts_rtt_sample_n(struct ts_rtt *r, ts_time_t m, uint32_t n, ts_time_t rto_min, ts_time_t rto_max);

/* RTO after `shift` back-offs (§5.5: doubled each time), at most max. */
ts_time_t ts_rtt_backoff(const struct ts_rtt *r, unsigned shift, ts_time_t max);

#endif
