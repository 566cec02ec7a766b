/*
 * sim_peer: a Linux-like TCP receiver that takes the place of stack B on the simulated link
 * (sim.h), so that tapstack's sender can be measured against the receiver it meets in practice
 * rather than against itself. Written from RFC 9293, RFC 1122 §4.2.3.2, RFC 5681 §4.2, RFC 2018,
 * RFC 2883 and RFC 7323, with the ACK policy of Linux's tcp_input.c as documented behaviour:
 *
 *   - active open from 10.0.0.3 to A: SYN <mss 1460,sackOK,TS,nop,wscale 7>; SYN retransmitted
 *     after 1 s, doubling; timestamps and window scaling used only if the SYN,ACK agrees;
 *   - in-order data: an ACK as soon as more than one full-sized segment is unacknowledged (so every
 *     2nd full segment), otherwise the delayed-ACK timer (40 ms);
 *   - quick-ACK mode (every segment acknowledged at once) for the first 16 ACKs of a connection,
 *     after a gap in the data longer than 200 ms, and after a duplicate segment;
 *   - out-of-order data: the first 3 ACKs (SACKs) for each rcv_nxt at once, later ones held back
 *     by up to comp_sack_delay (Linux's SACK compression: min(1 ms, RTT/20)), at most 44 in a row;
 *     an immediate ACK when the last hole is filled (or more than one full segment comes in order)
 *     and for a duplicate (with a D-SACK block, RFC 2883); SACK blocks most recent first (RFC 2018);
 *   - a constant advertised window (the application reads everything at once);
 *   - on the sender's FIN (once all data is in): FIN,ACK at once (the application closes), and the
 *     FIN retransmitted until acknowledged.
 * It never sends data. Every in-order byte goes to cfg.on_data, exactly once and in order.
 */
#ifndef TESTS_LIB_SIM_PEER_H
#define TESTS_LIB_SIM_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct sim_peer;

struct sim_peer_cfg {
    uint32_t dst_ip;            /* whom to connect to: SIM_IP_A */
    uint16_t dst_port, src_port;
    uint16_t mss;               /* announced: 1460 */
    uint32_t rcv_wnd;           /* advertised window in bytes, constant: 4 MiB */
    ts_time_t delack;           /* delayed-ACK timer: 40 ms */
    unsigned quickacks;         /* ACKs sent at once on entering quick-ACK mode: 16 */
    ts_time_t comp_sack_delay;  /* longest a SACK is held back: 1 ms (set min(1 ms, RTT/20)) */
    bool sack, timestamps, wscale; /* offered in the SYN: all true */
    /* In-order data, each byte once; off counts from 0. May be NULL. */
    void (*on_data)(void *arg, uint64_t off, const uint8_t *p, size_t n);
    void *arg;
};

struct sim_peer_stats {
    uint64_t bytes;             /* delivered in order */
    uint64_t segments;          /* data segments received (any order, duplicates included) */
    uint64_t acks;              /* ACKs sent */
    uint64_t delayed_acks;      /* ... of them, sent by the delayed-ACK timer */
    uint64_t ooo_segments, dup_segments, dsacks;
    uint64_t compressed_acks;   /* SACKs held back (SACK compression) */
    uint64_t syn_retransmits, fin_retransmits;
    uint64_t dropped;           /* segments not usable: outside the window, bad checksum, RST... */
    ts_time_t t_connect, t_established, t_fin;  /* virtual times; t_fin = sender's FIN delivered */
    bool established, fin, closed, reset;
};

/* Defaults for the fields above (port 5001 -> A, 40000 on our side). */
void sim_peer_cfg_default(struct sim_peer_cfg *cfg);

/* A peer that owns side B of sim from now on (stack B gets no more frames) and connects at once.
 * Returns NULL on allocation failure. Freed with sim_peer_free after the sim run. */
struct sim_peer *sim_peer_start(struct sim *sim, const struct sim_peer_cfg *cfg);
void sim_peer_free(struct sim_peer *p);

const struct sim_peer_stats *sim_peer_stats(const struct sim_peer *p);

#endif
