/*
 * TCP header view (RFC 9293 §3.1): parse to a host-order struct and emit from it, options
 * (RFC 9293 §3.2, RFC 7323), checksum over the IPv4 pseudo-header. No state.
 */
#ifndef TS_WIRE_TCP_H
#define TS_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_TCP_HLEN 20            /* header without options */
#define TS_TCP_MAX_HLEN 60

/* Control bits (byte 13). */
#define TS_TCP_FIN 0x01
#define TS_TCP_SYN 0x02
#define TS_TCP_RST 0x04
#define TS_TCP_PSH 0x08
#define TS_TCP_ACK 0x10
#define TS_TCP_URG 0x20
#define TS_TCP_ECE 0x40
#define TS_TCP_CWR 0x80

/* Option kinds. */
#define TS_TCPOPT_EOL 0
#define TS_TCPOPT_NOP 1
#define TS_TCPOPT_MSS 2
#define TS_TCPOPT_WSCALE 3
#define TS_TCPOPT_SACK_PERM 4
#define TS_TCPOPT_SACK 5
#define TS_TCPOPT_TIMESTAMP 8

#define TS_TCP_WSCALE_MAX 14      /* RFC 7323 §2.3 */
#define TS_TCP_SACK_MAX 4         /* SACK blocks in one option (RFC 2018 §3) */
#define TS_TCP_SACK_MAX_TS 3      /* ... beside a timestamp option (12 bytes with its padding) */
#define TS_TCP_TS_LEN 12          /* bytes a timestamp option takes in every segment (RFC 7323 §3) */

struct ts_tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hlen;                 /* header length in bytes (data offset * 4), 20..60 */
    uint8_t flags;                /* TS_TCP_* */
    uint16_t wnd;                 /* as on the wire (unscaled) */
    uint16_t csum;
    uint16_t urp;
};

struct ts_tcp_opts {
    bool has_mss, has_wscale, sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale;               /* as received (the caller caps it at 14) */
    uint32_t ts_val, ts_ecr;
    uint8_t nsack;                /* SACK blocks (RFC 2018): [left, right) sequence numbers */
    uint32_t sack[TS_TCP_SACK_MAX][2];
};

/* Parse the fixed header of a segment of len bytes. Returns 0, -1 if len < 20, -2 if the data
 * offset is under 5 words or points past the end of the segment. */
int ts_tcp_parse(const uint8_t *seg, size_t len, struct ts_tcp_hdr *h);

/* Parse the options area (len bytes). Unknown kinds are skipped by their length; a length of 0
 * or 1, or one that runs past the area, ends parsing (what was read before stays). Never loops:
 * each step advances at least one byte. A known kind with a wrong length is ignored. */
void ts_tcp_parse_opts(const uint8_t *opt, size_t len, struct ts_tcp_opts *o);

/* Write a header with the options in o (MSS, window scale, SACK-permitted, timestamps, SACK
 * blocks) at p; checksum left 0. h->hlen is ignored: returns the header length written (a
 * multiple of 4, at most 60: MSS + window scale + SACK-permitted + timestamps take 24 bytes;
 * a timestamp 12, and then at most three SACK blocks 28; four SACK blocks alone 36). */
size_t ts_tcp_emit(uint8_t *p, const struct ts_tcp_hdr *h, const struct ts_tcp_opts *o);

/* Compute and store the checksum of the whole segment (header + data, len bytes) at seg. */
void ts_tcp_fill_csum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* The same for a segment whose header (hlen bytes at seg, a multiple of 4) and payload (plen
 * bytes at payload) lie apart: the checksum goes in the header. */
void ts_tcp_fill_csum_gather(uint8_t *seg, size_t hlen, const uint8_t *payload, size_t plen, uint32_t src,
                             uint32_t dst);

/* Is the checksum of the segment right? */
bool ts_tcp_csum_ok(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

#endif
