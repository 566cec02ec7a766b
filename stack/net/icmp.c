/*
 * ICMP (RFC 792, RFC 1122 §3.2.2): echo reply, destination unreachable in and out, time exceeded
 * (fragment reassembly) out.
 *
 * ICMP message:
 *   OFFSET SIZE DESCRIPTION
 *   0      1    type (0 echo reply, 3 destination unreachable, 8 echo request, ...)
 *   1      1    code
 *   2      2    checksum over the whole message
 *   4      4    echo: identifier (2) and sequence number (2); unreachable: unused (MTU for code 4)
 *   8      ...  echo: data, returned byte for byte; errors: the original IP header + its first bytes
 */
#include <string.h>
#include "core/modules.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define ICMP_HLEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_ERR_RATE 200.0       /* errors per second, steady state (like Linux's icmp_ratelimit) */
#define ICMP_ERR_BURST 50.0
#define ICMP_ERR_QUOTE 548        /* bytes of the offending datagram quoted: fits in 576 (RFC 1812) */

static void echo_reply(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                       const uint8_t *msg, size_t len)
{
    TS_COUNT(s, icmp, rx_echo_requests);
    if (ip->to_broadcast) { TS_DROP(s, now, icmp, drop_broadcast_echo, msg, len); return; }
    uint8_t *out;
    struct ts_frame *f = NULL;
    if (len <= ts_ipv4_l4_cap(s)) {
        f = ts_ipv4_frame_alloc(s, now);
        if (!f) return;
        out = f->data + TS_L4_OFFSET;
    } else {
        out = ts_stack_scratch(s);    /* a reassembled echo: sent back in fragments */
        if (!out) return;
    }
    memcpy(out, msg, len);
    out[0] = ICMP_ECHO_REPLY;
    out[1] = 0;
    ts_put16(out + 2, 0);
    ts_put16(out + 2, ts_csum(out, len));
    int rc = f ? ts_ipv4_send(s, now, f, TS_IPPROTO_ICMP, s->cfg.ip, ip->src, len)
               : ts_ipv4_send_buf(s, now, TS_IPPROTO_ICMP, s->cfg.ip, ip->src, out, len);
    if (rc == 0) {
        TS_COUNT(s, icmp, tx_echo_replies);
        TS_COUNT(s, icmp, tx_packets);
    }
}

/* Destination unreachable about something we sent: tell the transport that sent it. */
static void dest_unreach(struct ts_stack *s, ts_time_t now, const uint8_t *msg, size_t len)
{
    TS_COUNT(s, icmp, rx_dest_unreach);
    const uint8_t *orig = msg + ICMP_HLEN;
    size_t olen = len - ICMP_HLEN;
    if (olen < TS_IPV4_HLEN) { TS_DROP(s, now, icmp, drop_short, msg, len); return; }
    size_t ihl = (size_t)(orig[0] & 0x0f) * 4;
    if ((orig[0] >> 4) != 4 || ihl < TS_IPV4_HLEN || olen < ihl + 8) {
        TS_DROP(s, now, icmp, drop_short, msg, len);
        return;
    }
    if (ts_get32(orig + 12) != s->cfg.ip) { TS_COUNT(s, icmp, rx_other); return; }
    if (orig[9] == TS_IPPROTO_UDP) ts_udp_icmp_error(s, now, msg[0], msg[1], orig, olen);
    else if (orig[9] == TS_IPPROTO_TCP) ts_tcp_icmp_error(s, now, msg[0], msg[1], ts_get16(msg + 6), orig, olen);
}

void ts_icmp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                   const uint8_t *msg, size_t len)
{
    TS_COUNT(s, icmp, rx_packets);
    if (len < ICMP_HLEN) { TS_DROP(s, now, icmp, drop_short, msg, len); return; }
    if (ts_csum(msg, len) != 0) { TS_DROP(s, now, icmp, drop_bad_checksum, msg, len); return; }
    switch (msg[0]) {
    case ICMP_ECHO_REQUEST: echo_reply(s, now, ip, msg, len); break;
    case ICMP_DEST_UNREACH: dest_unreach(s, now, msg, len); break;
    default: TS_COUNT(s, icmp, rx_other); break;
    }
}

/* Token bucket: ICMP_ERR_RATE per second, bursts of ICMP_ERR_BURST (RFC 1812 §4.3.2.8). */
static bool error_allowed(struct ts_stack *s, ts_time_t now)
{
    if (s->icmp_rl_last == 0 || now < s->icmp_rl_last) {
        s->icmp_rl_tokens = ICMP_ERR_BURST;
    } else {
        s->icmp_rl_tokens += (double)(now - s->icmp_rl_last) * (ICMP_ERR_RATE / 1e6);
        if (s->icmp_rl_tokens > ICMP_ERR_BURST) s->icmp_rl_tokens = ICMP_ERR_BURST;
    }
    s->icmp_rl_last = now ? now : 1;
    if (s->icmp_rl_tokens < 1.0) return false;
    s->icmp_rl_tokens -= 1.0;
    return true;
}

static bool is_icmp_error(const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len)
{
    if (ip->proto != TS_IPPROTO_ICMP) return false;
    if (len < 1) return true;
    return l4[0] != ICMP_ECHO_REQUEST && l4[0] != ICMP_ECHO_REPLY && l4[0] != 13 && l4[0] != 14;
}

/* An ICMP error of type/code about the datagram whose header is ip->hdr and whose first bytes
 * are l4[0..len): quoted as far as ICMP_ERR_QUOTE. */
static void send_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code,
                       const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len)
{
    /* RFC 1122 §3.2.2: never about a broadcast, never about an ICMP error. */
    if (ip->to_broadcast || is_icmp_error(ip, l4, len)) return;
    if (!error_allowed(s, now)) { TS_COUNT(s, icmp, port_unreach_rate_limited); return; }
    struct ts_frame *f = ts_ipv4_frame_alloc(s, now);
    if (!f) return;
    uint8_t *m = f->data + TS_L4_OFFSET;
    size_t quote = ip->hdr_len + len;
    if (quote > ICMP_ERR_QUOTE) quote = ICMP_ERR_QUOTE;
    m[0] = type;
    m[1] = code;
    memset(m + 2, 0, 6);
    size_t hq = ip->hdr_len < quote ? ip->hdr_len : quote;
    memcpy(m + ICMP_HLEN, ip->hdr, hq);
    memcpy(m + ICMP_HLEN + hq, l4, quote - hq);
    ts_put16(m + 2, ts_csum(m, ICMP_HLEN + quote));
    if (ts_ipv4_send(s, now, f, TS_IPPROTO_ICMP, s->cfg.ip, ip->src, ICMP_HLEN + quote) == 0) {
        TS_COUNT(s, icmp, tx_packets);
        if (type == ICMP_DEST_UNREACH && code == 3) TS_COUNT(s, icmp, tx_port_unreach);
        if (type == ICMP_TIME_EXCEEDED) TS_COUNT(s, icmp, tx_time_exceeded);
    }
}

void ts_icmp_send_unreach(struct ts_stack *s, ts_time_t now, uint8_t code,
                          const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len)
{
    send_error(s, now, ICMP_DEST_UNREACH, code, ip, l4, len);
}

void ts_icmp_send_time_exceeded(struct ts_stack *s, ts_time_t now, uint8_t code,
                                const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len)
{
    send_error(s, now, ICMP_TIME_EXCEEDED, code, ip, l4, len);
}
