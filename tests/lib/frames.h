/*
 * Test-side frame helpers: build and parse Ethernet + IPv4 + TCP/UDP frames with correct
 * checksums, and print them like tcpdump. Written independently of the stack's own wire code so
 * that a bug there cannot hide itself in the tests.
 */
#ifndef TESTS_LIB_FRAMES_H
#define TESTS_LIB_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRM_ETH_HLEN 14
#define FRM_IP_HLEN 20
#define FRM_TCP_HLEN 20
#define FRM_UDP_HLEN 8
#define FRM_MAX_FRAME 9216

/* TCP flag bits as on the wire (byte 13). */
enum {
    FRM_FIN = 0x01, FRM_SYN = 0x02, FRM_RST = 0x04, FRM_PSH = 0x08,
    FRM_ACK = 0x10, FRM_URG = 0x20, FRM_ECE = 0x40, FRM_CWR = 0x80,
};

/* Addresses of one side of a conversation (IPv4 host order). */
struct frm_addr {
    uint8_t mac[6];
    uint32_t ip;
    uint16_t port;
};

/* A TCP segment, host order. opt/opt_len are raw option bytes (already padded or not: the
 * builder pads with EOL/zero to a multiple of 4). */
struct frm_tcp {
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win, urg;
    uint8_t opt[40];
    uint8_t opt_len;
    const uint8_t *data;
    size_t data_len;
    bool bad_csum;       /* builder: corrupt the TCP checksum on purpose */
};

/* Options of a parsed segment. */
struct frm_tcp_opts {
    bool has_mss, has_ws, has_sackok, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t ts_val, ts_ecr;
    unsigned n_sack;
    uint32_t sack[4][2];
    bool malformed;      /* a length of 0/1 or past the header */
};

/* What frm_parse found. Pointers point into the parsed buffer. */
struct frm_pkt {
    uint8_t eth_dst[6], eth_src[6];
    uint16_t ethertype;
    bool is_ipv4;
    uint32_t ip_src, ip_dst;
    uint8_t ip_proto, ip_ttl;
    uint16_t ip_id, ip_total, ip_frag;       /* ip_frag: flags+offset field as on the wire */
    bool ip_csum_ok;
    bool is_tcp, is_udp;
    uint16_t sport, dport;
    bool l4_csum_ok;
    /* TCP */
    struct frm_tcp tcp;                      /* opt/opt_len hold the raw options; data points in */
    /* UDP */
    const uint8_t *udp_data;
    size_t udp_len;
};

/* The Internet checksum over a buffer, with a starting partial sum. */
uint32_t frm_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t frm_csum_fold(uint32_t sum);
/* The sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768) for an L4 message of len bytes. */
uint32_t frm_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Ethernet (src->mac to dst->mac) and IPv4 headers (TTL 64, DF for TCP, checksum) at buf for an L4
 * message of l4_len bytes at buf + 34. */
void frm_put_eth_ip(uint8_t *buf, const struct frm_addr *src, const struct frm_addr *dst, uint16_t ip_id,
                    uint8_t proto, size_t l4_len);

/* Build a whole Ethernet/IPv4/TCP frame from src to dst into buf (cap bytes). Returns the
 * frame length, or 0 if it does not fit. ip_id is the IPv4 identification to use. */
size_t frm_build_tcp(uint8_t *buf, size_t cap, const struct frm_addr *src,
                     const struct frm_addr *dst, uint16_t ip_id, const struct frm_tcp *t);

/* Build an Ethernet/IPv4/UDP frame. Returns the length or 0. */
size_t frm_build_udp(uint8_t *buf, size_t cap, const struct frm_addr *src,
                     const struct frm_addr *dst, uint16_t ip_id, const uint8_t *data,
                     size_t len);

/* Parse a frame. Returns false only if it is not even an Ethernet header; otherwise fills *p as
 * far as the layers go (is_ipv4, is_tcp ... say how far), checksums verified. */
bool frm_parse(const uint8_t *buf, size_t len, struct frm_pkt *p);

/* Decode raw TCP options. */
void frm_tcp_opts_parse(const uint8_t *opt, size_t len, struct frm_tcp_opts *o);

/* Option builders: append to t->opt; return false if there is no room. */
bool frm_opt_mss(struct frm_tcp *t, uint16_t mss);
bool frm_opt_ws(struct frm_tcp *t, uint8_t shift);
bool frm_opt_sackok(struct frm_tcp *t);
bool frm_opt_ts(struct frm_tcp *t, uint32_t val, uint32_t ecr);
bool frm_opt_nop(struct frm_tcp *t);
bool frm_opt_raw(struct frm_tcp *t, const uint8_t *b, size_t n);

/* "S.", "F.", "P.", "R", "." ... as packetdrill writes flags. buf >= 10 bytes. */
char *frm_flags_str(uint8_t flags, char *buf);

/* Options as "<mss 1460,nop,wscale 7>" (empty string when none). */
void frm_opts_str(const uint8_t *opt, size_t len, char *buf, size_t cap);

/* One line like tcpdump: "10.0.0.2.80 > 10.0.0.1.40000: S. 0:0(0) ack 1 win 65535 <mss 1460>".
 * seq_base/ack_base are subtracted from seq/ack (0 for raw numbers). */
void frm_describe(const struct frm_pkt *p, uint32_t seq_base, uint32_t ack_base, char *buf,
                  size_t cap);

#endif
