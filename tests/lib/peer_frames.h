/* Frames from the peer (10.0.0.1, 02:11:22:33:44:55) to the stack under test (10.0.0.2, the
 * default MAC 02:00:00:00:00:02), built by hand: Ethernet, IPv4, ICMP echo, ARP. No cmocka, so
 * that the fuzz harness (tests/fuzz/harness.c) builds its frames with them too. */
#ifndef TESTS_LIB_PEER_FRAMES_H
#define TESTS_LIB_PEER_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "wire/bytes.h"
#include "wire/checksum.h"

static const uint8_t PEER_MAC[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t OUR_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
#define OUR_IP 0x0a000002u   /* 10.0.0.2 */
#define PEER_IP 0x0a000001u  /* 10.0.0.1 */

/* Ethernet header to dst from the peer, type t; returns 14. */
static inline size_t put_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, PEER_MAC, 6);
    ts_put16(f + 12, type);
    return 14;
}

/* IPv4 header (20 bytes) at p with a correct checksum; returns 20. */
static inline size_t put_ip(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, size_t payload,
                            uint16_t id, uint16_t frag)
{
    p[0] = 0x45; p[1] = 0;
    ts_put16(p + 2, (uint16_t)(20 + payload));
    ts_put16(p + 4, id);
    ts_put16(p + 6, frag);
    p[8] = 64; p[9] = proto;
    ts_put16(p + 10, 0);
    ts_put32(p + 12, src);
    ts_put32(p + 16, dst);
    ts_put16(p + 10, ts_csum(p, 20));
    return 20;
}

/* An ICMP echo request frame from the peer to us with n payload bytes (pattern i*7+3). */
static inline size_t build_ping(uint8_t *f, size_t n, uint16_t id, uint16_t seq)
{
    size_t o = put_eth(f, OUR_MAC, 0x0800);
    o += put_ip(f + o, 1, PEER_IP, OUR_IP, 8 + n, 0x1234, 0);
    uint8_t *m = f + o;
    m[0] = 8; m[1] = 0;
    ts_put16(m + 2, 0);
    ts_put16(m + 4, id);
    ts_put16(m + 6, seq);
    for (size_t i = 0; i < n; i++) m[8 + i] = (uint8_t)(i * 7 + 3);
    ts_put16(m + 2, ts_csum(m, 8 + n));
    return o + 8 + n;
}

/* An ARP packet from the peer. */
static inline size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
    static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    size_t o = put_eth(f, bc, 0x0806);
    uint8_t *a = f + o;
    ts_put16(a, 1); ts_put16(a + 2, 0x0800); a[4] = 6; a[5] = 4;
    ts_put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    ts_put32(a + 14, spa);
    memset(a + 18, 0, 6);
    ts_put32(a + 24, tpa);
    return o + 28;
}

#endif
