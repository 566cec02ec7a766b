/*
 * Frame decoder for the trace (contract in trace_decode.h). Reads only through wire/bytes.h after
 * a length check; never casts onto the bytes.
 */
#include "trace/trace_decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/bytes.h"

/* ---- string builder ---- */

void ts_sb_init(struct ts_sb *sb, char *buf, size_t cap)
{
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    if (cap) buf[0] = '\0';
}

void ts_sb_printf(struct ts_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
    int n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) sb->len += (size_t)n;
}

void ts_sb_json_str(struct ts_sb *sb, const char *s)
{
    ts_sb_printf(sb, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') ts_sb_printf(sb, "\\%c", c);
        else if (c == '\n') ts_sb_printf(sb, "\\n");
        else if (c == '\t') ts_sb_printf(sb, "\\t");
        else if (c < 0x20 || c == 0x7f) ts_sb_printf(sb, "\\u%04x", c);
        else ts_sb_printf(sb, "%c", c);
    }
    ts_sb_printf(sb, "\"");
}

static void sb_ip(struct ts_sb *sb, uint32_t ip)
{
    ts_sb_printf(sb, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void sb_mac(struct ts_sb *sb, const uint8_t *m)
{
    ts_sb_printf(sb, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- decoding ---- */

/*
 * ARP for Ethernet/IPv4 (RFC 826)
 * OFFSET SIZE DESCRIPTION
 * 0      2    hardware type (1)        2  2  protocol type (0x0800)
 * 4      1    hardware length (6)      5  1  protocol length (4)
 * 6      2    operation (1 request, 2 reply)
 * 8      6    sender MAC   14 4 sender IP   18 6 target MAC   24 4 target IP
 */
static void dec_arp(struct ts_dec *d, const uint8_t *p, size_t len)
{
    d->l3 = TS_DEC_L3_ARP;
    d->arp.len = len;
    if (len < 8) {
        d->malformed = "ARP shorter than 8 bytes";
        return;
    }
    d->arp.htype = ts_get16(p);
    d->arp.ptype = ts_get16(p + 2);
    d->arp.oper = ts_get16(p + 6);
    if (p[4] != 6 || p[5] != 4 || d->arp.htype != 1 || d->arp.ptype != 0x0800) {
        d->malformed = "ARP not for Ethernet/IPv4";
        return;
    }
    if (len < 28) {
        d->malformed = "ARP shorter than 28 bytes";
        return;
    }
    memcpy(d->arp.sha, p + 8, 6);
    d->arp.spa = ts_get32(p + 14);
    memcpy(d->arp.tha, p + 18, 6);
    d->arp.tpa = ts_get32(p + 24);
}

/* TCP options (RFC 9293 §3.1, RFC 7323, RFC 2018): kind, length, value. */
static void dec_tcp_opts(struct ts_dec *d, const uint8_t *o, size_t olen)
{
    size_t i = 0;
    while (i < olen && d->tcp.nopts < TS_DEC_MAX_OPTS) {
        struct ts_dec_tcpopt *op = &d->tcp.opts[d->tcp.nopts];
        memset(op, 0, sizeof *op);
        op->kind = o[i];
        if (op->kind == 0 || op->kind == 1) {
            d->tcp.nopts++;
            i++;
            if (op->kind == 0) return;
            continue;
        }
        if (i + 1 >= olen || o[i + 1] < 2 || i + o[i + 1] > olen) {
            d->tcp.opts_bad = true;
            return;
        }
        op->len = o[i + 1];
        const uint8_t *v = o + i + 2;
        bool ok = true;
        switch (op->kind) {
        case 2: ok = op->len == 4; if (ok) op->v[0] = ts_get16(v); break;
        case 3: ok = op->len == 3; if (ok) op->v[0] = v[0]; break;
        case 4: ok = op->len == 2; break;
        case 5:
            ok = op->len >= 10 && (op->len - 2) % 8 == 0 && op->len <= 34;
            for (unsigned b = 0; ok && b < (op->len - 2u) / 4u; b++) op->v[b] = ts_get32(v + 4 * b);
            break;
        case 8:
            ok = op->len == 10;
            if (ok) {
                op->v[0] = ts_get32(v);
                op->v[1] = ts_get32(v + 4);
            }
            break;
        default: break;
        }
        if (!ok) {
            d->tcp.opts_bad = true;
            return;
        }
        d->tcp.nopts++;
        i += op->len;
    }
}

/*
 * TCP header (RFC 9293 §3.1)
 * OFFSET SIZE DESCRIPTION
 * 0 2 source port   2 2 destination port   4 4 sequence number   8 4 acknowledgment number
 * 12 1 data offset (high 4 bits, in 32-bit words)   13 1 flags (CWR ECE URG ACK PSH RST SYN FIN)
 * 14 2 window   16 2 checksum   18 2 urgent pointer   20.. options
 */
static void dec_tcp(struct ts_dec *d, const uint8_t *p, size_t len)
{
    d->l4 = TS_DEC_L4_TCP;
    if (len < 20) {
        d->malformed = "TCP header truncated";
        return;
    }
    d->tcp.sport = ts_get16(p);
    d->tcp.dport = ts_get16(p + 2);
    d->tcp.seq = ts_get32(p + 4);
    d->tcp.ack = ts_get32(p + 8);
    d->tcp.doff = (uint8_t)((p[12] >> 4) * 4);
    d->tcp.flags = p[13];
    d->tcp.win = ts_get16(p + 14);
    d->tcp.urp = ts_get16(p + 18);
    if (d->tcp.doff < 20 || d->tcp.doff > len) {
        d->malformed = "TCP data offset out of range";
        return;
    }
    d->tcp.payload = len - d->tcp.doff;
    dec_tcp_opts(d, p + 20, d->tcp.doff - 20u);
}

/* UDP (RFC 768): 0 2 source port, 2 2 destination port, 4 2 length, 6 2 checksum. */
static void dec_udp(struct ts_dec *d, const uint8_t *p, size_t len)
{
    d->l4 = TS_DEC_L4_UDP;
    if (len < 8) {
        d->malformed = "UDP header truncated";
        return;
    }
    d->udp.sport = ts_get16(p);
    d->udp.dport = ts_get16(p + 2);
    d->udp.ulen = ts_get16(p + 4);
    if (d->udp.ulen < 8 || d->udp.ulen > len) d->malformed = "UDP length out of range";
}

/* ICMP (RFC 792): 0 1 type, 1 1 code, 2 2 checksum, 4 2 identifier, 6 2 sequence (echo). */
static void dec_icmp(struct ts_dec *d, const uint8_t *p, size_t len)
{
    d->l4 = TS_DEC_L4_ICMP;
    if (len < 8) {
        d->malformed = "ICMP message truncated";
        return;
    }
    d->icmp.type = p[0];
    d->icmp.code = p[1];
    d->icmp.id = ts_get16(p + 4);
    d->icmp.seq = ts_get16(p + 6);
}

/*
 * IPv4 header (RFC 791 §3.1)
 * OFFSET SIZE DESCRIPTION
 * 0 1 version (4) and IHL (words)   1 1 TOS   2 2 total length   4 2 identification
 * 6 2 flags (DF 0x4000, MF 0x2000) and fragment offset (8-byte units)   8 1 TTL   9 1 protocol
 * 10 2 header checksum   12 4 source   16 4 destination   20.. options
 */
static void dec_ipv4(struct ts_dec *d, const uint8_t *p, size_t len)
{
    d->l3 = TS_DEC_L3_IPV4;
    if (len < 20) {
        d->malformed = "IPv4 header truncated";
        return;
    }
    d->ip.ihl = (uint8_t)((p[0] & 0x0f) * 4);
    d->ip.tos = p[1];
    d->ip.tot_len = ts_get16(p + 2);
    d->ip.id = ts_get16(p + 4);
    uint16_t ff = ts_get16(p + 6);
    d->ip.df = ff & 0x4000;
    d->ip.mf = ff & 0x2000;
    d->ip.frag_off = (uint16_t)((ff & 0x1fff) * 8);
    d->ip.ttl = p[8];
    d->ip.proto = p[9];
    d->ip.src = ts_get32(p + 12);
    d->ip.dst = ts_get32(p + 16);
    if ((p[0] >> 4) != 4) {
        d->malformed = "IP version is not 4";
        return;
    }
    if (d->ip.ihl < 20 || d->ip.ihl > len) {
        d->malformed = "IPv4 header length out of range";
        return;
    }
    if (d->ip.tot_len < d->ip.ihl || d->ip.tot_len > len) {
        d->malformed = "IPv4 total length out of range";
        return;
    }
    const uint8_t *l4 = p + d->ip.ihl;
    d->l4_len = d->ip.tot_len - d->ip.ihl;
    if (d->ip.frag_off) {
        d->l4 = TS_DEC_L4_FRAGMENT;
        return;
    }
    switch (d->ip.proto) {
    case 1: dec_icmp(d, l4, d->l4_len); break;
    case 6: dec_tcp(d, l4, d->l4_len); break;
    case 17: dec_udp(d, l4, d->l4_len); break;
    default: d->l4 = TS_DEC_L4_OTHER; break;
    }
}

/*
 * Ethernet II: 0 6 destination MAC, 6 6 source MAC, 12 2 EtherType (0x0800 IPv4, 0x0806 ARP).
 */
void ts_dec_frame(struct ts_dec *d, const uint8_t *frame, size_t len)
{
    memset(d, 0, sizeof *d);
    d->len = len;
    if (!frame || len < 14) {
        d->malformed = "frame shorter than an Ethernet header";
        return;
    }
    memcpy(d->eth_dst, frame, 6);
    memcpy(d->eth_src, frame + 6, 6);
    d->ethertype = ts_get16(frame + 12);
    if (d->ethertype == 0x0806) dec_arp(d, frame + 14, len - 14);
    else if (d->ethertype == 0x0800) dec_ipv4(d, frame + 14, len - 14);
    else d->l3 = TS_DEC_L3_OTHER;
}

/* ---- text ---- */

const char *ts_dec_tcp_flags(uint8_t f, char *buf)
{
    static const struct { uint8_t bit; char c; } order[] = {
        { 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' }, { 0x20, 'U' }, { 0x40, 'E' },
        { 0x80, 'W' }, { 0x10, '.' },
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (f & order[i].bit) buf[n++] = order[i].c;
    if (n == 0) {
        memcpy(buf, "none", 5);
        return buf;
    }
    buf[n] = '\0';
    return buf;
}

static void text_tcp_opts(const struct ts_dec *d, struct ts_sb *sb)
{
    if (d->tcp.nopts == 0 && !d->tcp.opts_bad) return;
    ts_sb_printf(sb, ", options [");
    for (unsigned i = 0; i < d->tcp.nopts; i++) {
        const struct ts_dec_tcpopt *o = &d->tcp.opts[i];
        if (i) ts_sb_printf(sb, ",");
        switch (o->kind) {
        case 0: ts_sb_printf(sb, "eol"); break;
        case 1: ts_sb_printf(sb, "nop"); break;
        case 2: ts_sb_printf(sb, "mss %u", o->v[0]); break;
        case 3: ts_sb_printf(sb, "wscale %u", o->v[0]); break;
        case 4: ts_sb_printf(sb, "sackOK"); break;
        case 5:
            ts_sb_printf(sb, "sack %u", (o->len - 2u) / 8u);
            for (unsigned b = 0; b < (o->len - 2u) / 8u; b++)
                ts_sb_printf(sb, " {%u:%u}", o->v[2 * b], o->v[2 * b + 1]);
            break;
        case 8: ts_sb_printf(sb, "TS val %u ecr %u", o->v[0], o->v[1]); break;
        default: ts_sb_printf(sb, "unknown-%u", o->kind); break;
        }
    }
    if (d->tcp.opts_bad) ts_sb_printf(sb, "%sbad opts", d->tcp.nopts ? "," : "");
    ts_sb_printf(sb, "]");
}

static void text_tcp(const struct ts_dec *d, struct ts_sb *sb)
{
    char fl[12];
    ts_sb_printf(sb, "Flags [%s], seq %u", ts_dec_tcp_flags(d->tcp.flags, fl), d->tcp.seq);
    if (d->tcp.payload) ts_sb_printf(sb, ":%u", (uint32_t)(d->tcp.seq + d->tcp.payload));
    if (d->tcp.flags & 0x10) ts_sb_printf(sb, ", ack %u", d->tcp.ack);
    ts_sb_printf(sb, ", win %u", d->tcp.win);
    if (d->tcp.flags & 0x20) ts_sb_printf(sb, ", urg %u", d->tcp.urp);
    text_tcp_opts(d, sb);
    ts_sb_printf(sb, ", length %zu", d->tcp.payload);
}

static const char *icmp_unreach_code(uint8_t code)
{
    static const char *const names[] = { "net", "host", "protocol", "port", "need-frag",
                                         "source-route" };
    return code < sizeof names / sizeof names[0] ? names[code] : "code";
}

static void text_icmp(const struct ts_dec *d, struct ts_sb *sb)
{
    switch (d->icmp.type) {
    case 0:
    case 8:
        ts_sb_printf(sb, "ICMP echo %s, id %u, seq %u", d->icmp.type ? "request" : "reply", d->icmp.id,
                     d->icmp.seq);
        break;
    case 3:
        ts_sb_printf(sb, "ICMP %s unreachable (code %u)", icmp_unreach_code(d->icmp.code), d->icmp.code);
        break;
    case 11: ts_sb_printf(sb, "ICMP time exceeded (code %u)", d->icmp.code); break;
    default: ts_sb_printf(sb, "ICMP type %u, code %u", d->icmp.type, d->icmp.code); break;
    }
    ts_sb_printf(sb, ", length %zu", d->l4_len);
}

static void text_ipv4(const struct ts_dec *d, struct ts_sb *sb)
{
    bool ports = (d->l4 == TS_DEC_L4_TCP && d->l4_len >= 20) || (d->l4 == TS_DEC_L4_UDP && d->l4_len >= 8);
    uint16_t sp = d->l4 == TS_DEC_L4_TCP ? d->tcp.sport : d->udp.sport;
    uint16_t dp = d->l4 == TS_DEC_L4_TCP ? d->tcp.dport : d->udp.dport;
    ts_sb_printf(sb, "IP ");
    sb_ip(sb, d->ip.src);
    if (ports) ts_sb_printf(sb, ".%u", sp);
    ts_sb_printf(sb, " > ");
    sb_ip(sb, d->ip.dst);
    if (ports) ts_sb_printf(sb, ".%u", dp);
    ts_sb_printf(sb, ": ");
    if (d->malformed) {
        ts_sb_printf(sb, "[malformed: %s], length %zu", d->malformed, d->len);
        return;
    }
    switch (d->l4) {
    case TS_DEC_L4_TCP: text_tcp(d, sb); break;
    case TS_DEC_L4_UDP: ts_sb_printf(sb, "UDP, length %u", d->udp.ulen - 8u); break;
    case TS_DEC_L4_ICMP: text_icmp(d, sb); break;
    case TS_DEC_L4_FRAGMENT:
        ts_sb_printf(sb, "ip-proto-%u fragment (id %u, offset %u%s), length %zu", d->ip.proto, d->ip.id,
                     d->ip.frag_off, d->ip.mf ? ", more" : "", d->l4_len);
        return;
    default: ts_sb_printf(sb, "ip-proto-%u, length %zu", d->ip.proto, d->l4_len); break;
    }
    if (d->ip.mf) ts_sb_printf(sb, " (first fragment, id %u)", d->ip.id);
}

static void text_arp(const struct ts_dec *d, struct ts_sb *sb)
{
    if (d->malformed) {
        ts_sb_printf(sb, "ARP, [malformed: %s], length %zu", d->malformed, d->arp.len);
        return;
    }
    if (d->arp.oper == 1) {
        ts_sb_printf(sb, "ARP, Request who-has ");
        sb_ip(sb, d->arp.tpa);
        ts_sb_printf(sb, " tell ");
        sb_ip(sb, d->arp.spa);
    } else if (d->arp.oper == 2) {
        ts_sb_printf(sb, "ARP, Reply ");
        sb_ip(sb, d->arp.spa);
        ts_sb_printf(sb, " is-at ");
        sb_mac(sb, d->arp.sha);
    } else {
        ts_sb_printf(sb, "ARP, operation %u", d->arp.oper);
    }
    ts_sb_printf(sb, ", length %zu", d->arp.len);
}

size_t ts_dec_text(const struct ts_dec *d, char *buf, size_t cap)
{
    struct ts_sb sb;
    ts_sb_init(&sb, buf, cap);
    switch (d->l3) {
    case TS_DEC_L3_ARP: text_arp(d, &sb); break;
    case TS_DEC_L3_IPV4: text_ipv4(d, &sb); break;
    case TS_DEC_L3_OTHER:
        if (d->ethertype == 0x86dd) ts_sb_printf(&sb, "IP6 (not decoded), length %zu", d->len);
        else ts_sb_printf(&sb, "ethertype 0x%04x, length %zu", d->ethertype, d->len);
        break;
    default: ts_sb_printf(&sb, "[malformed: %s], length %zu", d->malformed ? d->malformed : "?", d->len); break;
    }
    return sb.len;
}
