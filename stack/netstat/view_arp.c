/*
 * --arp (tapstack arp): the neighbour cache, laid out like net-tools `arp -n` with the entry's
 * state (RFC 826 learned, or waiting for an answer), its age and the packets waiting for it.
 *
 *   Address          HWtype  HWaddress           State       Age     Pending  Iface
 *   10.0.0.1         ether   02:11:22:33:44:55   reachable   3.1s    0        tap0
 */
#include "net/arp.h"
#include "netstat/view_impl.h"

struct arp_ctx {
    const struct ts_netstat_ctx *c;
    ts_time_t now;
    struct ts_nsbuf *b;
    unsigned n;
};

static uint64_t age_of(const struct ts_arp_view *e, ts_time_t now) { return now > e->updated ? now - e->updated : 0; }

static bool text_entry(void *arg, const struct ts_arp_view *e)
{
    struct arp_ctx *a = arg;
    char ip[16], mac[18], age[24];
    bool known = e->state != TS_ARP_INCOMPLETE;
    ts_nsbuf_printf(a->b, "%-16s %-7s %-19s %-11s %-8s %-8u %s\n", ts_ip_str(e->ip, ip), known ? "ether" : "",
                    known ? ns_mac(e->mac, mac) : "(incomplete)", ts_arp_state_name(e->state),
                    ns_dur(age_of(e, a->now), age), e->pending, a->c->ifname ? a->c->ifname : "-");
    a->n++;
    return !a->b->failed;
}

void ns_text_arp(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b)
{
    ts_nsbuf_puts(b, "Address          HWtype  HWaddress           State       Age      Pending  Iface\n");
    struct arp_ctx a = { .c = c, .now = now, .b = b };
    ts_arp_foreach(c->stack, text_entry, &a);
    ts_nsbuf_printf(b, "Entries: %u\n", a.n);
}

static bool json_entry(void *arg, const struct ts_arp_view *e)
{
    struct arp_ctx *a = arg;
    char ip[16], mac[18];
    bool known = e->state != TS_ARP_INCOMPLETE;
    ts_nsbuf_printf(a->b, "%s\n  {\"addr\":\"%s\",\"mac\":", a->n++ ? "," : "", ts_ip_str(e->ip, ip));
    ts_nsbuf_json_str(a->b, known ? ns_mac(e->mac, mac) : NULL);
    ts_nsbuf_printf(a->b, ",\"state\":\"%s\",\"age_us\":%llu,\"pending\":%u,\"tries\":%u}",
                    ts_arp_state_name(e->state), (unsigned long long)age_of(e, a->now), e->pending, e->tries);
    return !a->b->failed;
}

void ns_json_arp(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b)
{
    ts_nsbuf_puts(b, "\"arp\":[");
    struct arp_ctx a = { .c = c, .now = now, .b = b };
    ts_arp_foreach(c->stack, json_entry, &a);
    ts_nsbuf_puts(b, a.n ? "\n]" : "]");
}
