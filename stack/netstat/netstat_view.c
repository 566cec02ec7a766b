/* The netstat views' entry points (see netstat_view.h): pick the view, wrap JSON in its envelope. */
#include "netstat/view_impl.h"

static void json_host(const struct ts_netstat_ctx *c, struct ts_nsbuf *b)
{
    const struct ts_config *cfg = ts_stack_config(c->stack);
    char ip[16], mac[18];
    ts_nsbuf_printf(b, "\"host\":{\"addr\":\"%s\",\"prefix_len\":%u,\"mac\":\"%s\",\"mtu\":%u,\"ifname\":",
                    ts_ip_str(cfg->ip, ip), (unsigned)cfg->prefix_len, ns_mac(cfg->mac, mac), (unsigned)cfg->mtu);
    ts_nsbuf_json_str(b, c->ifname);
    if (c->pid > 0) ts_nsbuf_printf(b, ",\"pid\":%d}", c->pid);
    else ts_nsbuf_puts(b, ",\"pid\":null}");
}

int ts_netstat_render(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                      struct ts_nsbuf *out)
{
    const char *view = o->arp ? "arp" : o->stats ? "stats" : "sockets";
    if (o->json) {
        ts_nsbuf_printf(out, "{\"schema\":\"%s\",\"view\":\"%s\",\"now_us\":%llu,", TS_NETSTAT_SCHEMA, view,
                        (unsigned long long)now);
        json_host(c, out);
        ts_nsbuf_puts(out, ",\n");
        if (o->arp) ns_json_arp(c, now, out);
        else if (o->stats) ns_json_stats(c, o, out);
        else ns_json_sockets(c, now, o, out);
        ts_nsbuf_puts(out, "}\n");
    } else if (o->arp) {
        ns_text_arp(c, now, out);
    } else if (o->stats) {
        ns_text_stats(c, o, out);
    } else {
        ns_text_sockets(c, now, o, out);
    }
    return out->failed ? -1 : 0;
}
