/*
 * A decoded frame as a JSON object (schema in docs/trace-json.md; contract in trace_decode.h).
 */
#include "trace/trace_decode.h"

static void json_ip(struct ts_sb *sb, const char *key, uint32_t ip)
{
    ts_sb_printf(sb, "\"%s\":\"%u.%u.%u.%u\"", key, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void json_mac(struct ts_sb *sb, const char *key, const uint8_t *m)
{
    ts_sb_printf(sb, "\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key, m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void json_tcp_opts(const struct ts_dec *d, struct ts_sb *sb)
{
    ts_sb_printf(sb, ",\"options\":[");
    for (unsigned i = 0; i < d->tcp.nopts; i++) {
        const struct ts_dec_tcpopt *o = &d->tcp.opts[i];
        if (i) ts_sb_printf(sb, ",");
        switch (o->kind) {
        case 0: ts_sb_printf(sb, "{\"kind\":\"eol\"}"); break;
        case 1: ts_sb_printf(sb, "{\"kind\":\"nop\"}"); break;
        case 2: ts_sb_printf(sb, "{\"kind\":\"mss\",\"value\":%u}", o->v[0]); break;
        case 3: ts_sb_printf(sb, "{\"kind\":\"wscale\",\"value\":%u}", o->v[0]); break;
        case 4: ts_sb_printf(sb, "{\"kind\":\"sackOK\"}"); break;
        case 5:
            ts_sb_printf(sb, "{\"kind\":\"sack\",\"blocks\":[");
            for (unsigned b = 0; b < (o->len - 2u) / 8u; b++)
                ts_sb_printf(sb, "%s[%u,%u]", b ? "," : "", o->v[2 * b], o->v[2 * b + 1]);
            ts_sb_printf(sb, "]}");
            break;
        case 8: ts_sb_printf(sb, "{\"kind\":\"ts\",\"val\":%u,\"ecr\":%u}", o->v[0], o->v[1]); break;
        default: ts_sb_printf(sb, "{\"kind\":\"unknown\",\"code\":%u,\"len\":%u}", o->kind, o->len); break;
        }
    }
    ts_sb_printf(sb, "]");
    if (d->tcp.opts_bad) ts_sb_printf(sb, ",\"options_malformed\":true");
}

static void json_l4(const struct ts_dec *d, struct ts_sb *sb)
{
    char fl[12];
    switch (d->l4) {
    case TS_DEC_L4_TCP:
        if (d->l4_len < 20) return;
        ts_sb_printf(sb, ",\"tcp\":{\"sport\":%u,\"dport\":%u,\"seq\":%u,\"ack\":%u,\"flags\":\"%s\","
                         "\"win\":%u,\"urg\":%u,\"hlen\":%u,\"payload\":%zu",
                     d->tcp.sport, d->tcp.dport, d->tcp.seq, d->tcp.ack, ts_dec_tcp_flags(d->tcp.flags, fl),
                     d->tcp.win, d->tcp.urp, d->tcp.doff, d->tcp.payload);
        json_tcp_opts(d, sb);
        ts_sb_printf(sb, "}");
        break;
    case TS_DEC_L4_UDP:
        if (d->l4_len < 8) return;
        ts_sb_printf(sb, ",\"udp\":{\"sport\":%u,\"dport\":%u,\"len\":%u}", d->udp.sport, d->udp.dport,
                     d->udp.ulen);
        break;
    case TS_DEC_L4_ICMP:
        if (d->l4_len < 8) return;
        ts_sb_printf(sb, ",\"icmp\":{\"type\":%u,\"code\":%u,\"id\":%u,\"seq\":%u,\"len\":%zu}", d->icmp.type,
                     d->icmp.code, d->icmp.id, d->icmp.seq, d->l4_len);
        break;
    default: break;
    }
}

size_t ts_dec_json(const struct ts_dec *d, char *buf, size_t cap)
{
    struct ts_sb sb;
    ts_sb_init(&sb, buf, cap);
    ts_sb_printf(&sb, "{\"len\":%zu", d->len);
    if (d->len >= 14) {
        ts_sb_printf(&sb, ",\"eth\":{");
        json_mac(&sb, "src", d->eth_src);
        ts_sb_printf(&sb, ",");
        json_mac(&sb, "dst", d->eth_dst);
        ts_sb_printf(&sb, ",\"type\":%u}", d->ethertype);
    }
    if (d->l3 == TS_DEC_L3_ARP && d->arp.len >= 28 && !d->malformed) {
        ts_sb_printf(&sb, ",\"arp\":{\"op\":\"%s\",",
                     d->arp.oper == 1 ? "request" : d->arp.oper == 2 ? "reply" : "other");
        json_mac(&sb, "sha", d->arp.sha);
        ts_sb_printf(&sb, ",");
        json_ip(&sb, "spa", d->arp.spa);
        ts_sb_printf(&sb, ",");
        json_mac(&sb, "tha", d->arp.tha);
        ts_sb_printf(&sb, ",");
        json_ip(&sb, "tpa", d->arp.tpa);
        ts_sb_printf(&sb, "}");
    }
    if (d->l3 == TS_DEC_L3_IPV4 && d->len >= 14 + 20) {
        ts_sb_printf(&sb, ",\"ip\":{");
        json_ip(&sb, "src", d->ip.src);
        ts_sb_printf(&sb, ",");
        json_ip(&sb, "dst", d->ip.dst);
        ts_sb_printf(&sb, ",\"proto\":%u,\"ttl\":%u,\"tos\":%u,\"id\":%u,\"len\":%u,\"df\":%s,\"mf\":%s,"
                          "\"frag_off\":%u}",
                     d->ip.proto, d->ip.ttl, d->ip.tos, d->ip.id, d->ip.tot_len, d->ip.df ? "true" : "false",
                     d->ip.mf ? "true" : "false", d->ip.frag_off);
        if (!d->malformed || d->l4 != TS_DEC_L4_NONE) json_l4(d, &sb);
    }
    if (d->malformed) {
        ts_sb_printf(&sb, ",\"malformed\":");
        ts_sb_json_str(&sb, d->malformed);
    }
    char text[512];
    ts_dec_text(d, text, sizeof text);
    ts_sb_printf(&sb, ",\"summary\":");
    ts_sb_json_str(&sb, text);
    ts_sb_printf(&sb, "}");
    return sb.len;
}
