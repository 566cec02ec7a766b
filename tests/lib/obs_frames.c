/* Test helper: frame builders (see obs_frames.h); the checksum is frames.c's. */
#include "obs_frames.h"

#include <string.h>

#include "frames.h"
#include "wire/bytes.h"

void obsf_mac(uint32_t ip, uint8_t mac[6])
{
    mac[0] = 2;
    mac[1] = 0;
    mac[2] = (uint8_t)(ip >> 24);
    mac[3] = (uint8_t)(ip >> 16);
    mac[4] = (uint8_t)(ip >> 8);
    mac[5] = (uint8_t)ip;
}

static size_t eth(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t type)
{
    obsf_mac(dst, buf);
    obsf_mac(src, buf + 6);
    ts_put16(buf + 12, type);
    return 14;
}

/* Ethernet and IPv4 headers for an L4 message of l4len bytes already at buf+34; L4 checksum at
 * csum_off (relative to L4, or -1 for none; pseudo-header used unless ICMP). */
static size_t ip(uint8_t *buf, uint8_t proto, uint32_t src, uint32_t dst, size_t l4len, int csum_off)
{
    struct frm_addr s = { .ip = src }, d = { .ip = dst };
    obsf_mac(src, s.mac);
    obsf_mac(dst, d.mac);
    frm_put_eth_ip(buf, &s, &d, 0x1234, proto, l4len);
    if (csum_off >= 0) {
        uint8_t *l4 = buf + 34;
        uint32_t sum = proto != 1 ? frm_pseudo_sum(src, dst, proto, (uint16_t)l4len) : 0;
        ts_put16(l4 + csum_off, 0);
        uint16_t c = frm_csum_fold(frm_csum_add(sum, l4, l4len));
        if (proto == 17 && c == 0) c = 0xffff;
        ts_put16(l4 + csum_off, c);
    }
    return 34 + l4len;
}

size_t obsf_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen,
                const uint8_t *data, size_t payload)
{
    uint8_t *t = buf + 34;
    memset(t, 0, 20);
    ts_put16(t, sport);
    ts_put16(t + 2, dport);
    ts_put32(t + 4, seq);
    ts_put32(t + 8, ack);
    t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    t[13] = flags;
    ts_put16(t + 14, win);
    if (optlen) memcpy(t + 20, opts, optlen);
    if (data) memcpy(t + 20 + optlen, data, payload);
    else memset(t + 20 + optlen, 'x', payload);
    return ip(buf, 6, src, dst, 20 + optlen + payload, 16);
}

size_t obsf_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                const uint8_t *data, size_t payload)
{
    uint8_t *u = buf + 34;
    ts_put16(u, sport);
    ts_put16(u + 2, dport);
    ts_put16(u + 4, (uint16_t)(8 + payload));
    if (data) memcpy(u + 8, data, payload);
    else memset(u + 8, 'u', payload);
    return ip(buf, 17, src, dst, 8 + payload, 6);
}

size_t obsf_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint16_t id, uint16_t seq,
                      size_t payload)
{
    uint8_t *m = buf + 34;
    m[0] = type;
    m[1] = 0;
    ts_put16(m + 4, id);
    ts_put16(m + 6, seq);
    for (size_t i = 0; i < payload; i++) m[8 + i] = (uint8_t)i;
    return ip(buf, 1, src, dst, 8 + payload, 2);
}

size_t obsf_arp(uint8_t *buf, uint16_t oper, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                uint32_t tpa)
{
    eth(buf, spa, tpa, 0x0806);
    memcpy(buf + 6, sha, 6);
    if (oper == 1) memset(buf, 0xff, 6);
    uint8_t *a = buf + 14;
    ts_put16(a, 1);
    ts_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    ts_put16(a + 6, oper);
    memcpy(a + 8, sha, 6);
    ts_put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    ts_put32(a + 24, tpa);
    return 42;
}
