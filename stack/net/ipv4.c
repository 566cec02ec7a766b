/*
 * IPv4 (RFC 791, with the host requirements of RFC 1122 §3.2): validation on input,
 * no forwarding, header and fragments on output.
 *
 * IPv4 header:
 *   OFFSET SIZE DESCRIPTION
 *   0      1    version (high 4 bits, = 4) and IHL (low 4 bits, header length in 32-bit words)
 *   1      1    DSCP / ECN (type of service)
 *   2      2    total length (header + data), bytes
 *   4      2    identification
 *   6      2    flags (bit 14 DF, bit 13 MF) and fragment offset (low 13 bits, 8-byte units)
 *   8      1    time to live
 *   9      1    protocol (1 ICMP, 6 TCP, 17 UDP)
 *   10     2    header checksum
 *   12     4    source address
 *   16     4    destination address
 *   20     ...  options (IHL > 5), skipped
 */
#include <string.h>
#include "core/modules.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "tapstack/socket.h"

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

static bool is_broadcast(const struct ts_stack *s, uint32_t a)
{
    return a == 0xffffffffu || (a == s->bcast && s->cfg.prefix_len < 31);
}

static bool bad_source(const struct ts_stack *s, uint32_t src)
{
    return src == 0 || src == s->cfg.ip || is_broadcast(s, src) || (src >> 28) >= 0xe ||
           (src >> 24) == 127;
}

void ts_ipv4_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len)
{
    TS_COUNT(s, ipv4, rx_packets);
    if (len < TS_IPV4_HLEN) { TS_DROP(s, now, ipv4, drop_short, pkt, len); return; }
    if ((pkt[0] >> 4) != 4) { TS_DROP(s, now, ipv4, drop_bad_version, pkt, len); return; }
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < TS_IPV4_HLEN || ihl > len) { TS_DROP(s, now, ipv4, drop_bad_ihl, pkt, len); return; }
    size_t total = ts_get16(pkt + 2);
    /* Trust the bytes received, not the length field: it may only shrink the packet
     * (Ethernet pads short frames), never grow it. */
    if (total < ihl || total > len) { TS_DROP(s, now, ipv4, drop_bad_total_len, pkt, len); return; }
    if (ts_csum(pkt, ihl) != 0) { TS_DROP(s, now, ipv4, drop_bad_checksum, pkt, len); return; }
    uint32_t src = ts_get32(pkt + 12), dst = ts_get32(pkt + 16);
    bool bcast = is_broadcast(s, dst);
    if (dst != s->cfg.ip && !bcast) { TS_DROP(s, now, ipv4, drop_not_for_us, pkt, total); return; }
    if (bad_source(s, src)) { TS_DROP(s, now, ipv4, drop_bad_source, pkt, total); return; }
    if (ihl > TS_IPV4_HLEN) TS_COUNT(s, ipv4, options_skipped);

    uint16_t frag = ts_get16(pkt + 6);
    if ((frag & IP_MF) || (frag & IP_OFFMASK)) {
        TS_COUNT(s, ipv4, frag_received);
        s->rx_info = NULL;          /* a checksum the wire vouched for covers no reassembled datagram */
        ts_frag_input(s, now, pkt, total);
        return;
    }
    struct ts_ipv4_info ip = {
        .src = src, .dst = dst, .proto = pkt[9], .ttl = pkt[8], .tos = pkt[1],
        .id = ts_get16(pkt + 4), .to_broadcast = bcast, .hdr = pkt, .hdr_len = ihl,
    };
    ts_ipv4_deliver(s, now, &ip, pkt + ihl, total - ihl);
}

void ts_ipv4_deliver(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                     const uint8_t *payload, size_t len)
{
    switch (ip->proto) {
    case TS_IPPROTO_ICMP: ts_icmp_input(s, now, ip, payload, len); break;
    case TS_IPPROTO_UDP: ts_udp_input(s, now, ip, payload, len); break;
    case TS_IPPROTO_TCP: ts_tcp_input(s, now, ip, payload, len); break;
    default:
        TS_DROP(s, now, ipv4, drop_unknown_proto, ip->hdr, ip->hdr_len + len);
        ts_icmp_send_unreach(s, now, 2 /* protocol unreachable */, ip, payload, len);
        break;
    }
}

size_t ts_ipv4_l4_cap(const struct ts_stack *s) { return (size_t)s->cfg.mtu - TS_IPV4_HLEN; }

struct ts_frame *ts_ipv4_frame_alloc(struct ts_stack *s, ts_time_t now)
{
    struct ts_frame *f = ts_frame_alloc(s);
    if (!f) TS_DROP(s, now, eth, drop_tx_queue_full, NULL, 0);
    return f;
}

uint32_t ts_ipv4_next_hop(const struct ts_stack *s, uint32_t dst)
{
    if ((dst & s->netmask) == (s->cfg.ip & s->netmask)) return dst;
    return s->cfg.gateway;
}

/* Write the Ethernet and IPv4 headers in front of a payload already at TS_L4_OFFSET. */
static void put_headers(struct ts_stack *s, struct ts_frame *f, uint8_t proto, uint32_t src,
                        uint32_t dst, size_t l4_len, uint16_t id, uint16_t frag)
{
    uint8_t *e = f->data;
    memcpy(e + 6, s->cfg.mac, 6);
    ts_put16(e + 12, 0x0800);
    uint8_t *h = e + TS_ETH_HLEN;
    h[0] = 0x45;
    h[1] = 0;
    ts_put16(h + 2, (uint16_t)(TS_IPV4_HLEN + l4_len));
    ts_put16(h + 4, id);
    ts_put16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    ts_put16(h + 10, 0);
    ts_put32(h + 12, src);
    ts_put32(h + 16, dst);
    ts_put16(h + 10, ts_csum(h, TS_IPV4_HLEN));
    f->len = (uint32_t)(TS_L4_OFFSET + l4_len - f->ext_len);   /* ext: the payload held by reference */
    if (f->len + f->ext_len < 60) {         /* pad to the Ethernet minimum (never between headers and ext) */
        memset(f->data + f->len, 0, 60 - f->len);
        f->len = 60;
    }
}

/* Address the frame and hand it to ARP (or straight to the wire for broadcast). */
static int route_out(struct ts_stack *s, ts_time_t now, struct ts_frame *f, uint32_t dst)
{
    TS_COUNT(s, ipv4, tx_packets);
    if (is_broadcast(s, dst)) {
        memset(f->data, 0xff, 6);
        ts_txq_push(s, f);
        return 0;
    }
    uint32_t nh = ts_ipv4_next_hop(s, dst);
    if (!nh) {
        TS_DROP(s, now, arp, drop_no_route, f->data, f->len);
        ts_frame_free(s, f);
        return -TS_EHOSTUNREACH;
    }
    return ts_arp_output(s, now, f, nh);
}

/* RFC 7739 §5.3.2: the next Identification for (src, dst, proto): a per-destination offset plus
 * one of TS_IP_ID_TABLE counters, both from one keyed hash. IDs are unique per destination for
 * 65,536 datagrams (what reassembly needs) and tell an observer nothing of other destinations. */
static uint16_t next_ip_id(struct ts_stack *s, uint8_t proto, uint32_t src, uint32_t dst)
{
    /* The same triple as the last datagram's (a bulk transfer's every frame): the same hash, kept
     * rather than computed again (a SipHash per frame was 1-2 % of a transfer's CPU). */
    uint64_t addrs = (uint64_t)src << 32 | dst;
    uint64_t h;
    if (s->ip_id_last_ok && s->ip_id_last_addrs == addrs && s->ip_id_last_proto == proto) {
        h = s->ip_id_last_hash;
    } else {
        uint8_t k[9];
        ts_put32(k, src);
        ts_put32(k + 4, dst);
        k[8] = proto;
        h = ts_siphash(&s->ip_id_key, k, sizeof k);
        s->ip_id_last_addrs = addrs;
        s->ip_id_last_proto = proto;
        s->ip_id_last_hash = h;
        s->ip_id_last_ok = true;
    }
    uint16_t *ctr = &s->ip_id_table[h & (TS_IP_ID_TABLE - 1)];
    return (uint16_t)((uint16_t)(h >> 48) + (*ctr)++);
}

int ts_ipv4_send(struct ts_stack *s, ts_time_t now, struct ts_frame *f, uint8_t proto,
                 uint32_t src, uint32_t dst, size_t l4_len)
{
    uint16_t id = next_ip_id(s, proto, src, dst);
    put_headers(s, f, proto, src, dst, l4_len, id, proto == TS_IPPROTO_TCP ? IP_DF : 0);
    return route_out(s, now, f, dst);
}

int ts_ipv4_send_buf(struct ts_stack *s, ts_time_t now, uint8_t proto, uint32_t src, uint32_t dst,
                     const uint8_t *l4, size_t l4_len)
{
    if (l4_len > 65535 - TS_IPV4_HLEN) {
        TS_DROP(s, now, ipv4, drop_tx_too_big, NULL, 0);
        return -TS_EMSGSIZE;
    }
    size_t cap = ts_ipv4_l4_cap(s);
    if (l4_len <= cap) {
        struct ts_frame *f = ts_ipv4_frame_alloc(s, now);
        if (!f) return -TS_ENOMEM;
        memcpy(f->data + TS_L4_OFFSET, l4, l4_len);
        return ts_ipv4_send(s, now, f, proto, src, dst, l4_len);
    }
    /* RFC 791 §3.2 fragmentation: every fragment but the last carries a multiple of 8 bytes. */
    size_t step = cap & ~(size_t)7;
    size_t nfrag = (l4_len + step - 1) / step;
    if (ts_frame_pool_free(s) < nfrag + 8) {   /* all or nothing: a partial datagram is waste */
        TS_DROP(s, now, eth, drop_tx_queue_full, NULL, 0);
        return -TS_ENOMEM;
    }
    uint16_t id = next_ip_id(s, proto, src, dst);
    int rc = 0;
    for (size_t off = 0; off < l4_len; off += step) {
        size_t n = l4_len - off < step ? l4_len - off : step;
        struct ts_frame *f = ts_frame_alloc(s);
        memcpy(f->data + TS_L4_OFFSET, l4 + off, n);
        uint16_t frag = (uint16_t)((off / 8) | (off + n < l4_len ? IP_MF : 0));
        put_headers(s, f, proto, src, dst, n, id, frag);
        TS_COUNT(s, ipv4, frag_created);
        int r = route_out(s, now, f, dst);
        if (r && !rc) rc = r;
    }
    return rc;
}
