/*
 * /netstat as an HTML page: the socket table (every socket, as `netstat -a -e`), the ARP cache
 * and the counters that moved. It refreshes itself (a meta refresh: no script needed) and reads
 * on a phone as on a desktop: the tables scroll sideways inside their box, the text stays
 * monospace so the columns mean what they mean in a terminal.
 */
#include <string.h>

#include "tapstack/stats.h"
#include "net/arp.h"
#include "netstat/view_impl.h"

static const char style[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:80em;padding:.5em;color:#222}"
    "h1{font-size:1.3em;margin:.3em 0}h2{font-size:1.1em;margin:1em 0 .3em}"
    ".box{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #ddd;border-radius:4px}"
    "table{border-collapse:collapse;font:13px/1.35 ui-monospace,Menlo,Consolas,monospace;min-width:100%}"
    "th,td{padding:3px 8px;text-align:left;white-space:nowrap;vertical-align:top}"
    "th{background:#f3f3f3;position:sticky;top:0}tr:nth-child(even) td{background:#fafafa}"
    "td.n{text-align:right}td.d{white-space:pre;color:#555;font-size:12px;padding-left:2em}"
    ".ESTABLISHED{color:#070;font-weight:600}.LISTEN{color:#05a}.TIME_WAIT,.CLOSED{color:#888}"
    ".SYN_SENT,.SYN_RECEIVED,.FIN_WAIT_1,.FIN_WAIT_2,.CLOSE_WAIT,.CLOSING,.LAST_ACK{color:#a60}"
    ".meta{color:#666;font-size:.9em}a{color:#05a}"
    /* A phone: each row becomes a block whose cells flow and wrap, the header row goes. */
    "@media (max-width:640px){.box{overflow-x:visible}table,tbody,tr,td,th{display:block;min-width:0}"
    "tr:first-child{display:none}tr{border-bottom:1px solid #e4e4e4;padding:3px 4px}"
    "td{display:inline-block;padding:1px 8px 1px 0}td.d{display:block;white-space:pre-wrap;padding-left:1em}}";

struct html_ctx {
    const struct ts_netstat_ctx *c;
    const struct ts_netstat_opts *o;
    ts_time_t now;
    struct ts_nsbuf *b;
    struct ts_nsbuf detail;
    unsigned n;
};

static bool html_row(void *arg, const struct ns_row *r)
{
    struct html_ctx *h = arg;
    struct ts_nsbuf *b = h->b;
    char la[48], ra[48];
    const char *st = r->state_name ? r->state_name : "";
    ts_nsbuf_printf(b, "<tr><td>%s</td><td class=n>%llu</td><td class=n>%llu</td><td>", ns_proto_name(r->proto),
                    (unsigned long long)r->recv_q, (unsigned long long)r->send_q);
    ts_nsbuf_html(b, ns_endpoint(h->c, h->o, r->proto, r->laddr, r->lport, la));
    ts_nsbuf_puts(b, "</td><td>");
    ts_nsbuf_html(b, ns_endpoint(h->c, h->o, r->proto, r->raddr, r->rport, ra));
    ts_nsbuf_printf(b, "</td><td class=\"%s\">%s</td></tr>\n", st, st);
    {
        ts_nsbuf_reset(&h->detail);
        ns_text_ports(h->c, r, "", &h->detail);
        if (NS_HAVE_TCP && r->tcp) ns_text_tcp_detail(h->c, r->tcp, h->now, !r->listening, "", &h->detail);
        ts_nsbuf_rtrim(&h->detail);
        if (h->detail.len && h->detail.data[h->detail.len - 1] == '\n') h->detail.data[--h->detail.len] = '\0';
        ts_nsbuf_puts(b, "<tr><td class=d colspan=6>");
        if (h->detail.data) ts_nsbuf_html(b, h->detail.data);
        ts_nsbuf_puts(b, "</td></tr>\n");
    }
    ns_html_conn_links(h->c, r, b);
    h->n++;
    return !b->failed;
}

static bool html_arp(void *arg, const struct ts_arp_view *e)
{
    struct html_ctx *h = arg;
    char ip[16], mac[18], age[24];
    bool known = e->state != TS_ARP_INCOMPLETE;
    ts_nsbuf_printf(h->b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=n>%s</td><td class=n>%u</td></tr>\n",
                    ts_ip_str(e->ip, ip), known ? ns_mac(e->mac, mac) : "(incomplete)",
                    ts_arp_state_name(e->state), ns_dur(h->now > e->updated ? h->now - e->updated : 0, age),
                    e->pending);
    return !h->b->failed;
}

static void html_counters(const struct ts_netstat_ctx *c, struct ts_nsbuf *b)
{
    const struct ts_stats *st = ts_stack_stats(c->stack);
    ts_nsbuf_puts(b, "<h2>Counters that moved</h2><div class=box><table><tr><th>proto</th><th>count</th>"
                     "<th>what</th><th>name</th></tr>\n");
    for (unsigned id = 0; id < TS_CTR__COUNT; id++) {
        if (!st->v[id]) continue;
        ts_nsbuf_printf(b, "<tr><td>%s</td><td class=n>%llu</td><td>", ts_counter_proto((enum ts_counter_id)id),
                        (unsigned long long)st->v[id]);
        ts_nsbuf_html(b, ts_counter_desc((enum ts_counter_id)id));
        ts_nsbuf_printf(b, "</td><td>%s</td></tr>\n", ts_counter_name((enum ts_counter_id)id));
    }
    ts_nsbuf_puts(b, "</table></div>\n");
}

int ts_netstat_render_html(const struct ts_netstat_ctx *c, ts_time_t now, unsigned refresh_s, struct ts_nsbuf *out)
{
    const struct ts_config *cfg = ts_stack_config(c->stack);
    struct ts_netstat_opts o = { .all = true, .extend = true, .history = true };
    char ip[16], clock[24];
    ts_nsbuf_puts(out, "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
                       "<meta name=viewport content=\"width=device-width,initial-scale=1\">");
    if (refresh_s) ts_nsbuf_printf(out, "<meta http-equiv=refresh content=%u>", refresh_s);
    ts_nsbuf_printf(out, "<title>tapstack netstat</title><style>%s</style></head><body>\n", style);
    ts_nsbuf_printf(out, "<h1>tapstack netstat</h1><p class=meta>%s/%u", ts_ip_str(cfg->ip, ip),
                    (unsigned)cfg->prefix_len);
    if (c->ifname) {
        ts_nsbuf_puts(out, " on ");
        ts_nsbuf_html(out, c->ifname);
    }
    ts_nsbuf_printf(out, " &middot; at %s", ns_clock(c, now, clock));
    if (c->wall_offset) ts_nsbuf_printf(out, " local time (stack clock t+%.3fs)", (double)now / 1e6);
    if (refresh_s) ts_nsbuf_printf(out, " &middot; refreshes every %u s", refresh_s);
    ts_nsbuf_puts(out, " &middot; <a href=/netstat.json>netstat.json</a> &middot; <a href=/stats.json>stats.json</a>"
                       "</p>\n<h2>Active Internet connections (servers and established)</h2><div class=box><table>"
                       "<tr><th>Proto</th><th>Recv-Q</th><th>Send-Q</th><th>Local Address</th>"
                       "<th>Foreign Address</th><th>State</th></tr>\n");
    struct html_ctx h = { .c = c, .o = &o, .now = now, .b = out };
    ts_nsbuf_init(&h.detail, 1u << 16);
    ns_foreach_row(c->stack, &o, html_row, &h);
    ts_nsbuf_free(&h.detail);
    ts_nsbuf_printf(out, "</table></div><p class=meta>%u sockets</p>\n", h.n);
    ns_html_recorded(c, now, out);
    ts_nsbuf_puts(out, "<h2>ARP cache</h2><div class=box><table><tr><th>Address</th><th>HWaddress</th>"
                       "<th>State</th><th>Age</th><th>Pending</th></tr>\n");
    ts_arp_foreach(c->stack, html_arp, &h);
    ts_nsbuf_puts(out, "</table></div>\n");
    html_counters(c, out);
    ts_nsbuf_puts(out, "</body></html>\n");
    return out->failed ? -1 : 0;
}
