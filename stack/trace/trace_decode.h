/*
 * Decode an Ethernet frame (Ethernet, ARP, IPv4, ICMP, UDP, TCP) from its bytes, for the trace:
 * once into a host-order description, then printed as a tcpdump-like line or as JSON.
 * Every read is bounds-checked; a malformed frame is described as such, never read past its end.
 */
#ifndef TS_TRACE_TRACE_DECODE_H
#define TS_TRACE_TRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_dec_l3 { TS_DEC_L3_NONE, TS_DEC_L3_ARP, TS_DEC_L3_IPV4, TS_DEC_L3_OTHER };
enum ts_dec_l4 { TS_DEC_L4_NONE, TS_DEC_L4_ICMP, TS_DEC_L4_UDP, TS_DEC_L4_TCP, TS_DEC_L4_OTHER,
                 TS_DEC_L4_FRAGMENT };

#define TS_DEC_MAX_OPTS 12

struct ts_dec_tcpopt {
    uint8_t kind, len;          /* len as on the wire (0 for EOL and NOP) */
    uint32_t v[8];              /* mss | wscale | TS val, ecr | SACK left,right pairs */
};

struct ts_dec {
    size_t len;                 /* frame length */
    const char *malformed;      /* NULL, or why the frame (at the layer below) is malformed */
    uint8_t eth_dst[6], eth_src[6];
    uint16_t ethertype;
    enum ts_dec_l3 l3;
    struct {
        uint16_t oper, htype, ptype;
        uint8_t sha[6], tha[6];
        uint32_t spa, tpa;
        size_t len;
    } arp;
    struct {
        uint32_t src, dst;
        uint8_t proto, ttl, tos, ihl;
        uint16_t id, tot_len, frag_off;    /* frag_off in bytes */
        bool df, mf;
    } ip;
    enum ts_dec_l4 l4;
    size_t l4_len;              /* bytes of the transport message (header + payload) */
    struct {
        uint8_t type, code;
        uint16_t id, seq;
    } icmp;
    struct {
        uint16_t sport, dport, ulen;
    } udp;
    struct {
        uint16_t sport, dport, win, urp;
        uint32_t seq, ack;
        uint8_t flags, doff;    /* doff in bytes */
        size_t payload;
        unsigned nopts;
        bool opts_bad;
        struct ts_dec_tcpopt opts[TS_DEC_MAX_OPTS];
    } tcp;
};

/* Decode frame (len bytes) into *d. Never fails; d->malformed says when it could not go on. */
void ts_dec_frame(struct ts_dec *d, const uint8_t *frame, size_t len);

/* "IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460], length 0",
 * "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28" ... into buf (always terminated).
 * Returns the length it wanted to write (like snprintf). */
size_t ts_dec_text(const struct ts_dec *d, char *buf, size_t cap);

/* The same as a JSON object (no newline): {"eth":{...},"ip":{...},"tcp":{...}} (schema in
 * docs/trace-json.md). Returns the length it wanted to write. */
size_t ts_dec_json(const struct ts_dec *d, char *buf, size_t cap);

/* TCP flags the tcpdump way: "S.", "FP.", "R", "none". buf >= 12 bytes. */
const char *ts_dec_tcp_flags(uint8_t flags, char *buf);

/* A string builder that never overflows: appends while there is room, counts what it wanted. */
struct ts_sb {
    char *buf;
    size_t cap, len;
};
void ts_sb_init(struct ts_sb *sb, char *buf, size_t cap);
void ts_sb_printf(struct ts_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included, escaping as RFC 8259 asks. */
void ts_sb_json_str(struct ts_sb *sb, const char *s);

#endif
