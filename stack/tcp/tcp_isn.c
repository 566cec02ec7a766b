/*
 * Initial sequence numbers (RFC 6528) and SYN cookies.
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4-microsecond clock
 * taken from `now`, F SipHash-2-4 under a key drawn from the stack's seed.
 *
 * A SYN cookie is the ISN of a SYN,ACK sent without keeping any state (the SYN queue is full).
 *   bits 31..27  time slot (64 s) modulo 32
 *   bits 26..24  index of the MSS in mss_table (the largest entry <= the peer's MSS)
 *   bits 23..0   SipHash(4-tuple, peer ISN, slot) truncated
 * The returning ACK acknowledges cookie+1; it is valid for the current and previous slot.
 */
#include "tcp/tcp_impl.h"
#include "wire/bytes.h"

#define COOKIE_SLOT TS_SEC(64)

static const uint16_t mss_table[8] = { 48, 536, 1200, 1360, 1400, 1440, 1460, 8960 };

static void put_tuple(uint8_t *b, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    ts_put32(b, laddr);
    ts_put32(b + 4, raddr);
    ts_put16(b + 8, lport);
    ts_put16(b + 10, rport);
}

uint32_t tcp_isn(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                 uint32_t raddr, uint16_t rport)
{
    uint8_t b[12];
    put_tuple(b, laddr, lport, raddr, rport);
    return (uint32_t)ts_siphash(&tcp->isn_key, b, sizeof b) + (uint32_t)(now / 4);
}

static uint32_t cookie_hash(const struct ts_tcp *tcp, uint32_t slot, uint32_t laddr, uint16_t lport,
                            uint32_t raddr, uint16_t rport, uint32_t peer_isn)
{
    uint8_t b[20];
    put_tuple(b, laddr, lport, raddr, rport);
    ts_put32(b + 12, peer_isn);
    ts_put32(b + 16, slot);
    return (uint32_t)ts_siphash(&tcp->cookie_key, b, sizeof b) & 0xffffffu;
}

uint32_t tcp_cookie_make(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                         uint32_t raddr, uint16_t rport, uint32_t peer_isn, uint16_t mss)
{
    uint32_t slot = (uint32_t)(now / COOKIE_SLOT);
    uint32_t idx = 0;
    for (uint32_t i = 0; i < 8; i++)
        if (mss_table[i] <= mss) idx = i;
    return ((slot & 31u) << 27) | (idx << 24) | cookie_hash(tcp, slot, laddr, lport, raddr, rport, peer_isn);
}

uint16_t tcp_cookie_check(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                          uint32_t raddr, uint16_t rport, uint32_t peer_isn, uint32_t cookie)
{
    uint32_t slot_now = (uint32_t)(now / COOKIE_SLOT);
    uint32_t age = (slot_now - (cookie >> 27)) & 31u;
    if (age > 1 || age > slot_now) return 0;
    uint32_t slot = slot_now - age;
    if (cookie_hash(tcp, slot, laddr, lport, raddr, rport, peer_isn) != (cookie & 0xffffffu)) return 0;
    return mss_table[(cookie >> 24) & 7u];
}
