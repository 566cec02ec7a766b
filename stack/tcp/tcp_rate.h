/*
 * Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation): how fast the network
 * delivered this connection's data over the last round trip, measured on every ACK.
 *
 * Each segment is stamped when sent (tcp_rate_stamp) with the connection's delivered count and
 * times at that moment; when it is delivered (cumulatively or by SACK) its stamps give the
 * interval over which the data delivered since then arrived. A rate sample is
 * (delivered bytes) / max(send_elapsed, ack_elapsed), the longer of the two phases, so that
 * neither ACK compression nor a burst sent at once inflates it. Samples taken while the
 * application had nothing to send are marked app-limited: they show the application's rate,
 * not the network's, and a controller keeps them only when they are higher than what it knows.
 */
#ifndef TS_TCP_RATE_H
#define TS_TCP_RATE_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"

/* The connection's side ("C." in the draft). */
struct tcp_rate {
    uint64_t delivered;             /* C.delivered: bytes delivered over the connection's life */
    ts_time_t delivered_time;       /* C.delivered_time: when delivered last grew */
    ts_time_t first_tx_time;        /* C.first_tx_time: send time of the newest delivered segment */
    uint64_t app_limited;           /* C.app_limited: app-limited until delivered passes this; 0: not */
    /* the newest segment delivered by the ACK being processed (P of the draft), 0: none yet */
    uint64_t lost_seen;             /* segs.lost_total at the last sample */
    uint64_t p_delivered;           /* its P.delivered */
    ts_time_t p_delivered_time, p_first_tx_time, p_sent_time;
    bool p_app_limited, p_valid;
};

/* One ACK's rate sample ("rs." in the draft). */
struct tcp_rate_sample {
    uint64_t delivered;             /* rs.delivered: bytes delivered over the interval */
    ts_time_t interval;             /* rs.interval, microseconds; 0: no sample on this ACK */
    uint64_t delivery_rate;         /* rs.delivery_rate, bytes per second; 0 with no sample */
    uint64_t prior_delivered;       /* rs.prior_delivered: C.delivered when that segment was sent */
    uint32_t newly_acked;           /* bytes this ACK delivered (acknowledged or SACKed) */
    uint32_t losses;                /* bytes this ACK's loss detection marked lost (rs.losses) */
    ts_time_t rtt;                  /* the ACK's RTT sample, 0: none */
    bool is_app_limited;            /* rs.is_app_limited */
};

/* The per-segment stamps ("P." in the draft), kept in the sender's segment record. */
struct tcp_rate_stamp {
    uint64_t delivered;             /* P.delivered */
    ts_time_t delivered_time;       /* P.delivered_time */
    ts_time_t first_tx_time;        /* P.first_tx_time */
    bool is_app_limited;            /* P.is_app_limited */
};

struct ts_tcb;

/* A transmission starts at now; nothing_in_flight: no data segment is outstanding, so the
 * send and delivery clocks restart here (draft §3.2 "Transmitting a data packet"). */
void tcp_rate_on_send(struct ts_tcb *t, bool nothing_in_flight, ts_time_t now);
/* The stamps for a segment being (re)transmitted now. */
struct tcp_rate_stamp tcp_rate_stamp(const struct ts_tcb *t);
/* A segment sent at sent_time with stamps st was just delivered (draft §3.3 "Upon receiving
 * ACK", the per-packet part): remembers it when it is the newest delivered so far on this ACK. */
void tcp_rate_delivered(struct ts_tcb *t, const struct tcp_rate_stamp *st, ts_time_t sent_time);
/* The end of one ACK that delivered newly_acked bytes, rtt its RTT sample (0: none): counts
 * them, fills *rs (interval 0 when no sample) and makes ready for the next ACK. min_rtt: the
 * connection's minimum RTT (0: unknown); a sample over a shorter interval is dropped (§3.3). */
void tcp_rate_sample(struct ts_tcb *t, uint32_t newly_acked, ts_time_t rtt, ts_time_t min_rtt,
                     ts_time_t now, struct tcp_rate_sample *rs);
/* tcp_output is done: when less than a segment waits to be sent, nothing is to be retransmitted
 * and the window has room, the flight is limited by the application, not the network (draft
 * §3.4): samples are marked app-limited until what is in flight now has been delivered. */
void tcp_rate_check_app_limited(struct ts_tcb *t);
/* Mark the samples app-limited until what is in flight now has been delivered (a controller
 * that holds its flight down on purpose: BBR's ProbeRTT). */
void tcp_rate_set_app_limited(struct ts_tcb *t);

#endif
