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
    uint32_t round_n, last_round_n;    /* samples in this round trip and in the last one */
    ts_time_t round_at;                /* when this round trip's count began */
};

/* Before any sample: RTO = 1 s (clamped to [min, max]). */
void ts_rtt_init(struct ts_rtt *r, ts_time_t rto_min, ts_time_t rto_max);

/* Take one measurement m (§2.2, §2.3) and recompute RTO = SRTT + max(G, 4*RTTVAR),
 * clamped to [min, max] (§2.4, §2.5). */
void ts_rtt_sample(struct ts_rtt *r, ts_time_t m, ts_time_t rto_min, ts_time_t rto_max);

/* One of n measurements expected in a round trip (RFC 7323 §4.2, timestamps on every ACK):
 * the same as ts_rtt_sample with the gains alpha and beta divided by n. */
void ts_rtt_sample_n(struct ts_rtt *r, ts_time_t m, uint32_t n, ts_time_t rto_min, ts_time_t rto_max);

/* The n for ts_rtt_sample_n at a sample taken now (call once per sample): RFC 7323 Appendix G's
 * ExpectedSamples, ceil(flight / 2 SMSS) (`by_flight`), but never more than the samples actually
 * taken in the last round trip (SRTT long; 1 before one has passed). RTTM takes a sample only from
 * an ACK that advances SND.UNA (§4.1), so in a loss recovery a round trip brings far fewer than the
 * flight suggests; divided by the flight's guess, each sample moved SRTT by 1/200 instead of 1/8
 * per round trip, and one outlier (a handshake ACK echoing a SYN,ACK sent 1 s before) held the RTO
 * at 3 s for hundreds of round trips of 1 ms. */
uint32_t ts_rtt_expected(struct ts_rtt *r, uint32_t by_flight, ts_time_t now);

/* RTO after `shift` back-offs (§5.5: doubled each time), at most max. */
ts_time_t ts_rtt_backoff(const struct ts_rtt *r, unsigned shift, ts_time_t max);

#endif
