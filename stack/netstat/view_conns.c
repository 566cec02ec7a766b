/*
 * The pictures on /netstat: links from each TCP connection to its time-sequence graph and
 * sequence diagram (/conn/PAIR/seq.svg, /conn/PAIR/ladder.svg), and the table of every
 * conversation the live record holds, open or recently closed, with what the record costs.
 */
#include "netstat/view_impl.h"
#include "plot/plot_rec.h"

static void links(struct ts_nsbuf *b, const char *stem)
{
    ts_nsbuf_printf(b, "<a href=\"/conn/%s/seq.svg\">time-sequence graph</a> &middot; "
                       "<a href=\"/conn/%s/ladder.svg\">sequence diagram</a>", stem, stem);
}

void ns_html_conn_links(const struct ts_netstat_ctx *c, const struct ns_row *r, struct ts_nsbuf *b)
{
    char stem[64];
    if (!c->rec || r->proto != 6 || r->listening) return;
    if (!ts_plot_rec_stem(c->rec, r->laddr, r->lport, r->raddr, r->rport, stem, sizeof stem)) return;
    ts_nsbuf_puts(b, "<tr><td class=d colspan=6>pictures: ");
    links(b, stem);
    ts_nsbuf_puts(b, "</td></tr>\n");
}

void ns_html_recorded(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b)
{
    if (!c->rec) return;
    struct ts_plot_rec_stats st;
    ts_plot_rec_stats(c->rec, &st);
    ts_nsbuf_puts(b, "<h2>Pictures of the recent TCP conversations</h2><div class=box><table>"
                     "<tr><th>Conversation</th><th>Segments held</th><th>Last seen</th><th>Pictures</th></tr>\n");
    char stem[64], when[24], ago[24];
    size_t segs;
    ts_time_t last;
    for (unsigned i = 0; ts_plot_rec_at(c->rec, i, stem, sizeof stem, &segs, &last); i++) {
        ts_nsbuf_printf(b, "<tr><td>%s</td><td class=n>%zu</td><td>%s (%s ago)</td><td>", stem, segs,
                        ns_clock(c, last, when), ns_dur(now > last ? now - last : 0, ago));
        links(b, stem);
        ts_nsbuf_puts(b, "</td></tr>\n");
    }
    ts_nsbuf_printf(b, "</table></div><p class=meta>record: %u conversations, %llu segments recorded, %llu older "
                       "ones overwritten, %llu conversations evicted; %zu KiB in use of a %zu KiB bound</p>\n",
                    st.convs, (unsigned long long)st.segments, (unsigned long long)st.overwritten,
                    (unsigned long long)st.evicted, st.bytes >> 10, st.bytes_bound >> 10);
}
