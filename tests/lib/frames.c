/*
 * Test-side frame builder and parser (see frames.h). Independent of the stack's wire code except
 * for the byte helpers of wire/bytes.h.
 */
#include "frames.h"

#include <stdio.h>
#include <string.h>

#include "wire/bytes.h"

uint32_t frm_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;
    for (i = 0; i + 1 < len; i += 2) sum += ts_get16(p + i);
    if (len & 1) sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t frm_csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t frm_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint8_t ph[12];
    ts_put32(ph, src);
    ts_put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    ts_put16(ph + 10, len);
    return frm_csum_add(0, ph, sizeof ph);
}

void frm_put_eth_ip(uint8_t *buf, const struct frm_addr *src, const struct frm_addr *dst,
                       uint16_t ip_id, uint8_t proto, size_t l4_len)
{
    uint8_t *ip = buf + FRM_ETH_HLEN;
    memcpy(buf, dst->mac, 6);
    memcpy(buf + 6, src->mac, 6);
    ts_put16(buf + 12, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    ts_put16(ip + 2, (uint16_t)(FRM_IP_HLEN + l4_len));
    ts_put16(ip + 4, ip_id);
    ts_put16(ip + 6, proto == 6 ? 0x4000 : 0); /* DF for TCP */
    ip[8] = 64;
    ip[9] = proto;
    ts_put16(ip + 10, 0);
    ts_put32(ip + 12, src->ip);
    ts_put32(ip + 16, dst->ip);
    ts_put16(ip + 10, frm_csum_fold(frm_csum_add(0, ip, FRM_IP_HLEN)));
}

size_t frm_build_tcp(uint8_t *buf, size_t cap, const struct frm_addr *src,
                     const struct frm_addr *dst, uint16_t ip_id, const struct frm_tcp *t)
{
    size_t olen = ((size_t)t->opt_len + 3u) & ~3u;
    size_t tcp_len = FRM_TCP_HLEN + olen + t->data_len;
    size_t total = FRM_ETH_HLEN + FRM_IP_HLEN + tcp_len;
    if (olen > 40 || total > cap || FRM_IP_HLEN + tcp_len > 65535) return 0;
    frm_put_eth_ip(buf, src, dst, ip_id, 6, tcp_len);
    uint8_t *h = buf + FRM_ETH_HLEN + FRM_IP_HLEN;
    ts_put16(h, src->port);
    ts_put16(h + 2, dst->port);
    ts_put32(h + 4, t->seq);
    ts_put32(h + 8, t->ack);
    h[12] = (uint8_t)(((FRM_TCP_HLEN + olen) / 4) << 4);
    h[13] = t->flags;
    ts_put16(h + 14, t->win);
    ts_put16(h + 16, 0);
    ts_put16(h + 18, t->urg);
    memset(h + FRM_TCP_HLEN, 0, olen);
    memcpy(h + FRM_TCP_HLEN, t->opt, t->opt_len);
    if (t->data_len) memcpy(h + FRM_TCP_HLEN + olen, t->data, t->data_len);
    uint32_t sum = frm_pseudo_sum(src->ip, dst->ip, 6, (uint16_t)tcp_len);
    uint16_t c = frm_csum_fold(frm_csum_add(sum, h, tcp_len));
    if (t->bad_csum) c ^= 0x5a5a;
    ts_put16(h + 16, c);
    return total;
}

size_t frm_build_udp(uint8_t *buf, size_t cap, const struct frm_addr *src,
                     const struct frm_addr *dst, uint16_t ip_id, const uint8_t *data,
                     size_t len)
{
    size_t udp_len = FRM_UDP_HLEN + len;
    size_t total = FRM_ETH_HLEN + FRM_IP_HLEN + udp_len;
    if (total > cap || FRM_IP_HLEN + udp_len > 65535) return 0;
    frm_put_eth_ip(buf, src, dst, ip_id, 17, udp_len);
    uint8_t *h = buf + FRM_ETH_HLEN + FRM_IP_HLEN;
    ts_put16(h, src->port);
    ts_put16(h + 2, dst->port);
    ts_put16(h + 4, (uint16_t)udp_len);
    ts_put16(h + 6, 0);
    if (len) memcpy(h + FRM_UDP_HLEN, data, len);
    uint16_t c = frm_csum_fold(frm_csum_add(frm_pseudo_sum(src->ip, dst->ip, 17, (uint16_t)udp_len),
                                            h, udp_len));
    ts_put16(h + 6, c ? c : 0xffff);
    return total;
}

/*
 * TCP header (RFC 9293 §3.1)
 * OFFSET SIZE DESCRIPTION
 *  0     2    source port
 *  2     2    destination port
 *  4     4    sequence number
 *  8     4    acknowledgment number
 * 12     1    data offset (high 4 bits, in 32-bit words)
 * 13     1    flags CWR ECE URG ACK PSH RST SYN FIN
 * 14     2    window
 * 16     2    checksum (over pseudo-header + segment)
 * 18     2    urgent pointer
 * 20     -    options (data offset*4 - 20 bytes), then data
 */
static void parse_tcp(const uint8_t *h, size_t len, struct frm_pkt *p)
{
    if (len < FRM_TCP_HLEN) return;
    size_t off = (size_t)(h[12] >> 4) * 4;
    if (off < FRM_TCP_HLEN || off > len) return;
    p->is_tcp = true;
    p->sport = ts_get16(h);
    p->dport = ts_get16(h + 2);
    p->tcp.seq = ts_get32(h + 4);
    p->tcp.ack = ts_get32(h + 8);
    p->tcp.flags = h[13];
    p->tcp.win = ts_get16(h + 14);
    p->tcp.urg = ts_get16(h + 18);
    p->tcp.opt_len = (uint8_t)(off - FRM_TCP_HLEN);
    memcpy(p->tcp.opt, h + FRM_TCP_HLEN, p->tcp.opt_len);
    p->tcp.data = h + off;
    p->tcp.data_len = len - off;
    uint32_t sum = frm_pseudo_sum(p->ip_src, p->ip_dst, 6, (uint16_t)len);
    p->l4_csum_ok = frm_csum_fold(frm_csum_add(sum, h, len)) == 0;
}

/*
 * UDP header (RFC 768)
 * OFFSET SIZE DESCRIPTION
 *  0     2    source port
 *  2     2    destination port
 *  4     2    length (header + data)
 *  6     2    checksum (0 = none)
 */
static void parse_udp(const uint8_t *h, size_t len, struct frm_pkt *p)
{
    if (len < FRM_UDP_HLEN) return;
    size_t ulen = ts_get16(h + 4);
    if (ulen < FRM_UDP_HLEN || ulen > len) return;
    p->is_udp = true;
    p->sport = ts_get16(h);
    p->dport = ts_get16(h + 2);
    p->udp_data = h + FRM_UDP_HLEN;
    p->udp_len = ulen - FRM_UDP_HLEN;
    uint32_t sum = frm_pseudo_sum(p->ip_src, p->ip_dst, 17, (uint16_t)ulen);
    p->l4_csum_ok = ts_get16(h + 6) == 0 || frm_csum_fold(frm_csum_add(sum, h, ulen)) == 0;
}

/*
 * Ethernet II (14 bytes): 0 dst MAC (6), 6 src MAC (6), 12 ethertype (2).
 * IPv4 header (RFC 791 §3.1)
 * OFFSET SIZE DESCRIPTION
 *  0     1    version (4) and IHL (header length in 32-bit words)
 *  1     1    DSCP/ECN
 *  2     2    total length
 *  4     2    identification
 *  6     2    flags (DF 0x4000, MF 0x2000) and fragment offset (8-byte units)
 *  8     1    TTL
 *  9     1    protocol
 * 10     2    header checksum
 * 12     4    source address
 * 16     4    destination address
 */
bool frm_parse(const uint8_t *buf, size_t len, struct frm_pkt *p)
{
    memset(p, 0, sizeof *p);
    if (len < FRM_ETH_HLEN) return false;
    memcpy(p->eth_dst, buf, 6);
    memcpy(p->eth_src, buf + 6, 6);
    p->ethertype = ts_get16(buf + 12);
    if (p->ethertype != 0x0800) return true;
    const uint8_t *ip = buf + FRM_ETH_HLEN;
    size_t iplen = len - FRM_ETH_HLEN;
    if (iplen < FRM_IP_HLEN || (ip[0] >> 4) != 4) return true;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = ts_get16(ip + 2);
    if (ihl < FRM_IP_HLEN || total < ihl || total > iplen) return true;
    p->is_ipv4 = true;
    p->ip_total = (uint16_t)total;
    p->ip_id = ts_get16(ip + 4);
    p->ip_frag = ts_get16(ip + 6);
    p->ip_ttl = ip[8];
    p->ip_proto = ip[9];
    p->ip_src = ts_get32(ip + 12);
    p->ip_dst = ts_get32(ip + 16);
    p->ip_csum_ok = frm_csum_fold(frm_csum_add(0, ip, ihl)) == 0;
    if ((p->ip_frag & 0x3fff) != 0) return true; /* a fragment: leave L4 alone */
    if (p->ip_proto == 6) parse_tcp(ip + ihl, total - ihl, p);
    else if (p->ip_proto == 17) parse_udp(ip + ihl, total - ihl, p);
    return true;
}

void frm_tcp_opts_parse(const uint8_t *opt, size_t len, struct frm_tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == 0) break;
        if (kind == 1) { i++; continue; }
        if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) { o->malformed = true; break; }
        uint8_t olen = opt[i + 1];
        const uint8_t *v = opt + i + 2;
        if (kind == 2 && olen == 4) { o->has_mss = true; o->mss = ts_get16(v); }
        else if (kind == 3 && olen == 3) { o->has_ws = true; o->ws = v[0]; }
        else if (kind == 4 && olen == 2) o->has_sackok = true;
        else if (kind == 8 && olen == 10) {
            o->has_ts = true; o->ts_val = ts_get32(v); o->ts_ecr = ts_get32(v + 4);
        } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
            for (unsigned k = 0; k < (unsigned)(olen - 2) / 8 && o->n_sack < 4; k++, o->n_sack++) {
                o->sack[o->n_sack][0] = ts_get32(v + 8 * k);
                o->sack[o->n_sack][1] = ts_get32(v + 8 * k + 4);
            }
        }
        i += olen;
    }
}

bool frm_opt_raw(struct frm_tcp *t, const uint8_t *b, size_t n)
{
    if ((size_t)t->opt_len + n > sizeof t->opt) return false;
    memcpy(t->opt + t->opt_len, b, n);
    t->opt_len = (uint8_t)(t->opt_len + n);
    return true;
}

bool frm_opt_mss(struct frm_tcp *t, uint16_t mss)
{
    uint8_t b[4] = {2, 4, (uint8_t)(mss >> 8), (uint8_t)mss};
    return frm_opt_raw(t, b, 4);
}

bool frm_opt_ws(struct frm_tcp *t, uint8_t shift)
{
    uint8_t b[3] = {3, 3, shift};
    return frm_opt_raw(t, b, 3);
}

bool frm_opt_sackok(struct frm_tcp *t)
{
    uint8_t b[2] = {4, 2};
    return frm_opt_raw(t, b, 2);
}

bool frm_opt_ts(struct frm_tcp *t, uint32_t val, uint32_t ecr)
{
    uint8_t b[10] = {8, 10};
    ts_put32(b + 2, val);
    ts_put32(b + 6, ecr);
    return frm_opt_raw(t, b, 10);
}

bool frm_opt_nop(struct frm_tcp *t)
{
    uint8_t b = 1;
    return frm_opt_raw(t, &b, 1);
}

char *frm_flags_str(uint8_t flags, char *buf)
{
    static const struct { uint8_t bit; char c; } map[] = {
        {FRM_SYN, 'S'}, {FRM_FIN, 'F'}, {FRM_PSH, 'P'}, {FRM_RST, 'R'},
        {FRM_URG, 'U'}, {FRM_ECE, 'E'}, {FRM_CWR, 'W'}, {FRM_ACK, '.'},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (flags & map[i].bit) buf[n++] = map[i].c;
    if (n == 0) buf[n++] = '-';
    buf[n] = 0;
    return buf;
}

/* Append formatted text at *n in buf (cap), never overrunning. */
static void cat(char *buf, size_t cap, size_t *n, const char *fmt, unsigned long a,
                unsigned long b)
{
    char piece[64];      /* the longest piece, "TS val %lu ecr %lu", takes 30 */
    int w = snprintf(piece, sizeof piece, fmt, a, b);
    if (*n + 1 >= cap || w <= 0) return;
    size_t k = (size_t)w < cap - *n - 1 ? (size_t)w : cap - *n - 1;
    memcpy(buf + *n, piece, k);
    *n += k;
    buf[*n] = 0;
}

void frm_opts_str(const uint8_t *opt, size_t len, char *buf, size_t cap)
{
    size_t n = 0, i = 0;
    buf[0] = 0;
    if (len == 0 || cap < 4) return;
    cat(buf, cap, &n, "<", 0, 0);
    while (i < len) {
        uint8_t kind = opt[i];
        if (i) cat(buf, cap, &n, ",", 0, 0);
        if (kind == 0) {
            /* EOL: the rest is padding */
            cat(buf, cap, &n, "eol", 0, 0);
            break;
        }
        if (kind == 1) { cat(buf, cap, &n, "nop", 0, 0); i++; continue; }
        if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) {
            cat(buf, cap, &n, "raw", 0, 0);
            for (; i < len; i++) cat(buf, cap, &n, " %02lx", opt[i], 0);
            break;
        }
        uint8_t olen = opt[i + 1];
        const uint8_t *v = opt + i + 2;
        if (kind == 2 && olen == 4) cat(buf, cap, &n, "mss %lu", ts_get16(v), 0);
        else if (kind == 3 && olen == 3) cat(buf, cap, &n, "wscale %lu", v[0], 0);
        else if (kind == 4 && olen == 2) cat(buf, cap, &n, "sackOK", 0, 0);
        else if (kind == 8 && olen == 10)
            cat(buf, cap, &n, "TS val %lu ecr %lu", ts_get32(v), ts_get32(v + 4));
        else if (kind == 5 && olen >= 2) {
            cat(buf, cap, &n, "sack", 0, 0);
            for (size_t k = 0; k + 8 <= (size_t)olen - 2; k += 8)
                cat(buf, cap, &n, " %lu:%lu", ts_get32(v + k), ts_get32(v + k + 4));
        } else {
            cat(buf, cap, &n, "raw", 0, 0);
            for (size_t k = 0; k < olen; k++) cat(buf, cap, &n, " %02lx", opt[i + k], 0);
        }
        i += olen;
    }
    cat(buf, cap, &n, ">", 0, 0);
}

static void ip_str(uint32_t ip, char *b)
{
    snprintf(b, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void frm_describe(const struct frm_pkt *p, uint32_t seq_base, uint32_t ack_base, char *buf,
                  size_t cap)
{
    char s[16], d[16], fl[12], opts[256];
    if (!p->is_ipv4) {
        snprintf(buf, cap, "ethertype 0x%04x (not IPv4)", p->ethertype);
        return;
    }
    ip_str(p->ip_src, s);
    ip_str(p->ip_dst, d);
    if (p->is_udp) {
        snprintf(buf, cap, "%s.%u > %s.%u: UDP, length %zu%s", s, p->sport, d, p->dport,
                 p->udp_len, p->l4_csum_ok ? "" : " [bad udp cksum]");
        return;
    }
    if (!p->is_tcp) {
        snprintf(buf, cap, "%s > %s: IP proto %u, length %u%s", s, d, p->ip_proto, p->ip_total,
                 (p->ip_frag & 0x3fff) ? " (fragment)" : "");
        return;
    }
    const struct frm_tcp *t = &p->tcp;
    frm_opts_str(t->opt, t->opt_len, opts, sizeof opts);
    uint32_t seq = t->seq - seq_base;
    size_t n = (size_t)snprintf(buf, cap, "%s.%u > %s.%u: %s %u:%u(%zu)", s, p->sport, d,
                                p->dport, frm_flags_str(t->flags, fl), seq,
                                (uint32_t)(seq + t->data_len), t->data_len);
    if (n < cap && (t->flags & FRM_ACK))
        n += (size_t)snprintf(buf + n, cap - n, " ack %u", t->ack - ack_base);
    if (n < cap) n += (size_t)snprintf(buf + n, cap - n, " win %u", t->win);
    if (n < cap && (t->flags & FRM_URG))
        n += (size_t)snprintf(buf + n, cap - n, " urg %u", t->urg);
    if (n < cap && opts[0]) n += (size_t)snprintf(buf + n, cap - n, " %s", opts);
    if (n < cap && !p->l4_csum_ok) n += (size_t)snprintf(buf + n, cap - n, " [bad tcp cksum]");
    if (n < cap && !p->ip_csum_ok) snprintf(buf + n, cap - n, " [bad ip cksum]");
}
