/*
 * Conversation tracking for the pictures (contract in plot.h): frames of several link types in,
 * IPv4 TCP segments out, grouped by socket pair in a hash table, bounded in number.
 */
#include "plot/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/tcp.h"

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88a8u
#define AF_INET_BSD 2u

void ts_plot_convs_init(struct ts_plot_convs *c, size_t max_segs)
{
    memset(c, 0, sizeof *c);
    c->max_segs = max_segs ? max_segs : TS_PLOT_MAX_SEGS_DEFAULT;
}

void ts_plot_convs_free(struct ts_plot_convs *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->v[i].segs);
    free(c->v);
    free(c->slots);
    ts_plot_convs_init(c, c->max_segs);
}

bool ts_plot_link_ok(uint32_t linktype)
{
    return linktype == TS_PLOT_LINK_NULL || linktype == TS_PLOT_LINK_ETHERNET || linktype == TS_PLOT_LINK_RAW ||
           linktype == TS_PLOT_LINK_RAW_ALT || linktype == TS_PLOT_LINK_SLL || linktype == TS_PLOT_LINK_SLL2;
}

/*
 * Where the IPv4 packet starts in a frame of each link type:
 *   Ethernet: OFFSET 12 SIZE 2 ethertype (0x8100/0x88a8: a 4-byte VLAN tag, then the ethertype)
 *   NULL:     OFFSET 0 SIZE 4 address family in the capturing host's order (2 = IPv4)
 *   RAW:      the IP header at 0
 *   SLL:      OFFSET 14 SIZE 2 protocol (ethertype); header 16 bytes
 *   SLL2:     OFFSET 0 SIZE 2 protocol (ethertype); header 20 bytes
 * Returns the offset, or -1 when the frame holds no IPv4.
 */
static long ipv4_offset(uint32_t linktype, const uint8_t *f, size_t len)
{
    switch (linktype) {
    case TS_PLOT_LINK_ETHERNET: {
        size_t off = 12;
        for (int tags = 0; tags < 2 && len >= off + 2; tags++) {
            uint16_t et = ts_get16(f + off);
            if (et != ETHERTYPE_VLAN && et != ETHERTYPE_QINQ) break;
            off += 4;
        }
        return len >= off + 2 && ts_get16(f + off) == ETHERTYPE_IPV4 ? (long)off + 2 : -1;
    }
    case TS_PLOT_LINK_NULL:
        if (len < 4) return -1;
        return (f[0] == AF_INET_BSD && f[3] == 0) || (f[3] == AF_INET_BSD && f[0] == 0) ? 4 : -1;
    case TS_PLOT_LINK_RAW:
    case TS_PLOT_LINK_RAW_ALT:
        return len >= 1 && (f[0] >> 4) == 4 ? 0 : -1;
    case TS_PLOT_LINK_SLL:
        return len >= 16 && ts_get16(f + 14) == ETHERTYPE_IPV4 ? 16 : -1;
    case TS_PLOT_LINK_SLL2:
        return len >= 20 && ts_get16(f) == ETHERTYPE_IPV4 ? 20 : -1;
    default:
        return -1;
    }
}

static size_t hash_pair(uint32_t a_ip, uint16_t a_port, uint32_t b_ip, uint16_t b_port)
{
    /* symmetric, so either direction finds the same slot */
    uint32_t ha = a_ip * 2654435761u ^ a_port * 40503u, hb = b_ip * 2654435761u ^ b_port * 40503u;
    uint32_t h = ha + hb;
    return h ^ (h >> 15);
}

static bool conv_is(const struct ts_plot_conv *cv, uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp, uint8_t *dir)
{
    if (cv->ip[0] == sip && cv->port[0] == sp && cv->ip[1] == dip && cv->port[1] == dp) {
        *dir = 0;
        return true;
    }
    if (cv->ip[1] == sip && cv->port[1] == sp && cv->ip[0] == dip && cv->port[0] == dp) {
        *dir = 1;
        return true;
    }
    return false;
}

static int grow_slots(struct ts_plot_convs *c)
{
    size_t n = c->nslots ? c->nslots * 2 : 64;
    size_t *s = calloc(n, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < c->n; i++) {
        const struct ts_plot_conv *cv = &c->v[i];
        size_t h = hash_pair(cv->ip[0], cv->port[0], cv->ip[1], cv->port[1]) & (n - 1);
        while (s[h]) h = (h + 1) & (n - 1);
        s[h] = i + 1;
    }
    free(c->slots);
    c->slots = s;
    c->nslots = n;
    return 0;
}

/* The conversation of (src -> dst), made when new (side 0 chosen from the flags); NULL on no memory. */
static struct ts_plot_conv *conv_of(struct ts_plot_convs *c, uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp,
                                    uint8_t flags, uint8_t *dir)
{
    if (c->nslots) {
        for (size_t h = hash_pair(sip, sp, dip, dp) & (c->nslots - 1); c->slots[h]; h = (h + 1) & (c->nslots - 1))
            if (conv_is(&c->v[c->slots[h] - 1], sip, sp, dip, dp, dir)) return &c->v[c->slots[h] - 1];
    }
    if ((c->n + 1) * 2 > c->nslots && grow_slots(c) < 0) return NULL;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct ts_plot_conv *v = realloc(c->v, ncap * sizeof *v);
        if (!v) return NULL;
        c->v = v;
        c->cap = ncap;
    }
    const struct ts_plot_pair pr = { sip, dip, sp, dp };
    bool src_first = ts_plot_side0_is_src(&pr, flags);
    struct ts_plot_conv *cv = &c->v[c->n];
    memset(cv, 0, sizeof *cv);
    cv->ip[0] = src_first ? sip : dip;
    cv->ip[1] = src_first ? dip : sip;
    cv->port[0] = src_first ? sp : dp;
    cv->port[1] = src_first ? dp : sp;
    *dir = src_first ? 0 : 1;
    size_t h = hash_pair(sip, sp, dip, dp) & (c->nslots - 1);
    while (c->slots[h]) h = (h + 1) & (c->nslots - 1);
    c->slots[h] = ++c->n;
    return cv;
}

int ts_plot_conv_push(struct ts_plot_conv *conv, const struct ts_plot_seg *s)
{
    if (conv->nsegs == conv->cap) {
        size_t ncap = conv->cap ? conv->cap * 2 : 64;
        struct ts_plot_seg *v = realloc(conv->segs, ncap * sizeof *v);
        if (!v) return -1;
        conv->segs = v;
        conv->cap = ncap;
    }
    conv->segs[conv->nsegs++] = *s;
    return 0;
}

/* Fill s from the TCP header at tcp (caplen bytes captured, seglen bytes on the wire). */
static bool seg_of(const uint8_t *tcp, size_t caplen, size_t seglen, struct ts_plot_seg *s)
{
    struct ts_tcp_hdr h;
    if (caplen < TS_TCP_HLEN || ts_tcp_parse(tcp, caplen, &h) != 0 || h.hlen > seglen) return false;
    struct ts_tcp_opts o;
    memset(&o, 0, sizeof o);
    ts_tcp_parse_opts(tcp + TS_TCP_HLEN, (size_t)h.hlen - TS_TCP_HLEN, &o);
    memset(s, 0, sizeof *s);
    s->seq = h.seq;
    s->ack = h.ack;
    s->len = (uint32_t)(seglen - h.hlen);
    s->win = h.wnd;
    s->flags = h.flags;
    s->mss = o.has_mss ? o.mss : 0;
    s->wscale = o.has_wscale ? (o.wscale > TS_TCP_WSCALE_MAX ? TS_TCP_WSCALE_MAX : o.wscale) : 0xff;
    s->sack_ok = o.sack_ok;
    s->has_ts = o.has_ts;
    s->ts_val = o.ts_val;
    s->ts_ecr = o.ts_ecr;
    s->nsack = o.nsack > 4 ? 4 : o.nsack;
    memcpy(s->sack, o.sack, sizeof s->sack);
    return true;
}

int ts_plot_frame_seg(uint32_t linktype, const uint8_t *frame, size_t len, struct ts_plot_seg *s,
                      struct ts_plot_pair *pair)
{
    long off = ipv4_offset(linktype, frame, len);
    if (off < 0) return TS_PLOT_NOT_IPV4;
    const uint8_t *ip = frame + off;
    size_t caplen = len - (size_t)off;
    if (caplen < 20 || (ip[0] >> 4) != 4 || (size_t)(ip[0] & 15) * 4 < 20) return TS_PLOT_BAD;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = ts_get16(ip + 2);
    if (ip[9] != 6) return TS_PLOT_NOT_TCP;
    if ((ts_get16(ip + 6) & 0x3fff) != 0) return TS_PLOT_FRAGMENT;   /* split by IP: not drawn */
    if (tot == 0) tot = caplen;     /* TSO captures on the sending host: take what was captured */
    if (tot < ihl || caplen < ihl || !seg_of(ip + ihl, caplen - ihl, tot - ihl, s)) return TS_PLOT_BAD;
    const uint8_t *tcp = ip + ihl;
    *pair = (struct ts_plot_pair){ ts_get32(ip + 12), ts_get32(ip + 16), ts_get16(tcp), ts_get16(tcp + 2) };
    return TS_PLOT_TCP;
}

int ts_plot_convs_add(struct ts_plot_convs *c, uint32_t linktype, ts_time_t t, const uint8_t *frame, size_t len)
{
    c->frames++;
    struct ts_plot_seg s;
    struct ts_plot_pair p;
    switch (ts_plot_frame_seg(linktype, frame, len, &s, &p)) {
    case TS_PLOT_NOT_IPV4: c->not_ipv4++; return 0;
    case TS_PLOT_NOT_TCP: c->not_tcp++; return 0;
    case TS_PLOT_FRAGMENT: c->fragments++; return 0;
    case TS_PLOT_BAD: c->bad++; return 0;
    default: break;
    }
    c->tcp++;
    s.t = t;
    if (c->total >= c->max_segs) {
        c->dropped++;
        return -1;
    }
    struct ts_plot_conv *cv = conv_of(c, p.sip, p.sport, p.dip, p.dport, s.flags, &s.dir);
    if (!cv || ts_plot_conv_push(cv, &s) < 0) {
        if (cv) cv->dropped++;
        c->dropped++;
        return -1;
    }
    c->total++;
    return 1;
}

bool ts_plot_side0_is_src(const struct ts_plot_pair *p, uint8_t flags)
{
    if ((flags & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_SYN) return true;
    if ((flags & (TS_TCP_SYN | TS_TCP_ACK)) == (TS_TCP_SYN | TS_TCP_ACK)) return false;
    if (p->sport != p->dport) return p->sport > p->dport;
    return p->sip > p->dip;
}

static void ipstr(uint32_t ip, char *b, size_t cap)
{
    snprintf(b, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void ts_plot_conv_stem(const struct ts_plot_conv *conv, char *buf, size_t cap)
{
    char a[16], b[16];
    ipstr(conv->ip[0], a, sizeof a);
    ipstr(conv->ip[1], b, sizeof b);
    snprintf(buf, cap, "%s_%u-%s_%u", a, conv->port[0], b, conv->port[1]);
}

/* "A.B.C.D" then '_' or ':' then the port; *p moves past it. */
static bool parse_end(const char **p, uint32_t *ip, uint16_t *port)
{
    unsigned v[4];
    unsigned long pt;
    int n = 0;
    if (sscanf(*p, "%3u.%3u.%3u.%3u%n", &v[0], &v[1], &v[2], &v[3], &n) != 4 || n == 0) return false;
    if (v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > 255) return false;
    const char *q = *p + n;
    if (*q != '_' && *q != ':') return false;
    q++;
    if (*q < '0' || *q > '9') return false;
    char *end;
    pt = strtoul(q, &end, 10);
    if (pt > 65535 || end - q > 5) return false;
    *ip = v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
    *port = (uint16_t)pt;
    *p = end;
    return true;
}

bool ts_plot_parse_pair(const char *s, uint32_t ip[2], uint16_t port[2])
{
    const char *p = s;
    if (!s || !parse_end(&p, &ip[0], &port[0]) || *p++ != '-') return false;
    if (!parse_end(&p, &ip[1], &port[1])) return false;
    return *p == '\0' || strcmp(p, ".pcap") == 0;
}

struct ts_plot_conv *ts_plot_convs_find(struct ts_plot_convs *c, const char *pair)
{
    uint32_t ip[2];
    uint16_t port[2];
    uint8_t dir;
    if (!ts_plot_parse_pair(pair, ip, port)) return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (conv_is(&c->v[i], ip[0], port[0], ip[1], port[1], &dir)) return &c->v[i];
    return NULL;
}
