/* Helpers for the UDP and reassembly unit tests: UDP datagrams and IPv4 fragments by hand, and
 * a look at what the stack sends. Built on tests/lib/core_util.h. */
#ifndef TESTS_LIB_UDP_FRAMES_H
#define TESTS_LIB_UDP_FRAMES_H

#include "core_util.h"

#define CSUM_GOOD 0    /* right checksum */
#define CSUM_NONE 1    /* 0: none */
#define CSUM_BAD 2     /* right checksum + 1 */

/* Pattern byte i of test payloads. */
static inline uint8_t pat(size_t i) { return (uint8_t)(i * 13 + 5); }

/* A UDP header + n pattern bytes at u (ulen = 8 + n unless ulen_override), checksum per mode. */
static inline size_t put_udp(uint8_t *u, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                             size_t n, int mode, uint16_t ulen_override)
{
    uint16_t ulen = (uint16_t)(8 + n);
    ts_put16(u, sport);
    ts_put16(u + 2, dport);
    ts_put16(u + 4, ulen_override ? ulen_override : ulen);
    ts_put16(u + 6, 0);
    for (size_t i = 0; i < n; i++) u[8 + i] = pat(i);
    if (mode != CSUM_NONE) {
        uint16_t c = ts_csum_finish(ts_csum_add(ts_csum_pseudo(src, dst, 17, ulen), u, ulen));
        if (c == 0) c = 0xffff;
        if (mode == CSUM_BAD) c = (uint16_t)(c + 1);
        ts_put16(u + 6, c);
    }
    return 8 + n;
}

/* A whole frame: peer sport -> dst:dport with n pattern bytes, IP payload ip_extra bytes longer
 * than the UDP datagram (trailing zeros). */
static inline size_t build_udp(uint8_t *f, uint32_t dst, uint16_t sport, uint16_t dport, size_t n,
                               int mode, uint16_t ulen_override, size_t ip_extra)
{
    static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    size_t o = put_eth(f, dst == OUR_IP ? OUR_MAC : bc, 0x0800);
    size_t u = put_udp(f + o + 20, PEER_IP, sport, dst, dport, n, mode, ulen_override);
    memset(f + o + 20 + u, 0, ip_extra);
    o += put_ip(f + o, 17, PEER_IP, dst, u + ip_extra, 0x4242, 0);
    return o + u + ip_extra;
}

/* One IPv4 fragment from the peer: data bytes [off, off+n) of payload, MF as given. */
static inline size_t build_frag(uint8_t *f, uint8_t proto, uint16_t id, const uint8_t *payload,
                                size_t off, size_t n, int mf)
{
    size_t o = put_eth(f, OUR_MAC, 0x0800);
    memcpy(f + o + 20, payload + off, n);
    o += put_ip(f + o, proto, PEER_IP, OUR_IP, n, id, (uint16_t)((off / 8) | (mf ? 0x2000 : 0)));
    return o + n;
}

/* The next frame the stack sends (into buf), or 0. */
static inline size_t next_out(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap)
{
    return ts_stack_transmit(s, now, buf, cap);
}

#endif
