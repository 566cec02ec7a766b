/*
 * TCP in the netstat views: the rows (listeners first, as net-tools shows them), and what -e and
 * --history add under each connection: the RFC 9293 send and receive variables, congestion
 * control, the RTT estimator (RFC 6298), the running timers and the last state changes.
 *
 *   tcp        0      0 10.0.0.2:http           10.0.0.1:51234          ESTABLISHED
 *           ports: local 80 well-known (http), foreign 51234 dynamic/private
 *           snd_una 2818436524  snd_nxt 2818436524  snd_wnd 64256  iss 2818436523  mss 1460
 *           rcv_nxt 1059482190  rcv_wnd 65535  irs 1059482111  wscale 7/7
 *           cwnd 14600  ssthresh 1073725440  srtt 0.35ms  rttvar 0.18ms  rto 200ms  retransmits 0
 *           cc cubic slow-start  pipe 0  sacked 0  lost 0  rack min_rtt 0.30ms  reo_wnd 0us
 *           timers: delack in 38ms
 *           history: 09:12:01.123 (3.2s ago) LISTEN -> SYN_RECEIVED: rcv SYN
 */
#include "netstat/view_impl.h"

#if NS_HAVE_TCP
#include "tcp/tcp_info.h"

struct tcp_pass {
    bool listeners;
    ns_row_fn fn;
    void *arg;
};

static bool tcp_one(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *in)
{
    (void)sock;
    const struct tcp_pass *p = arg;
    bool listening = in->state == TS_TCP_LISTEN;
    if (listening != p->listeners) return true;
    struct ns_row r = {
        .proto = 6, .listening = listening, .state = (int)in->state, .state_name = ts_tcp_state_name(in->state),
        .laddr = in->laddr, .raddr = in->raddr, .lport = in->lport, .rport = in->rport,
        .recv_q = listening ? in->accept_queue : in->rcv_queued,
        .send_q = listening ? in->backlog : in->snd_queued,
        .tcp = in,
    };
    return p->fn(p->arg, &r);
}

void ns_tcp_rows(const struct ts_stack *s, bool listeners, ns_row_fn fn, void *arg)
{
    struct tcp_pass p = { .listeners = listeners, .fn = fn, .arg = arg };
    ts_tcp_foreach(s, tcp_one, &p);
}

/* ---- text ---- */

static void text_timers(const struct ts_tcp_info *t, ts_time_t now, const char *indent, struct ts_nsbuf *b)
{
    ts_nsbuf_printf(b, "%stimers:", indent);
    bool any = false;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) {
        if (t->timer[i] == TS_TIME_NEVER) continue;
        char d[24];
        ts_nsbuf_printf(b, "%s %s in %s", any ? "," : "", ts_tcp_timer_name(i),
                        ns_dur(t->timer[i] > now ? t->timer[i] - now : 0, d));
        any = true;
    }
    ts_nsbuf_puts(b, any ? "\n" : " none\n");
}

static void text_history(const struct ts_netstat_ctx *c, const struct ts_tcp_info *t, ts_time_t now,
                         const char *indent, struct ts_nsbuf *b)
{
    ts_nsbuf_printf(b, "%shistory (oldest first):\n", indent);
    for (unsigned i = 0; i < t->hist_len && i < TS_TCP_HIST; i++) {
        const struct ts_tcp_hist *h = &t->hist[i];
        char at[24], ago[24];
        if (h->when) ts_nsbuf_printf(b, "%s  %s (%s ago) ", indent, ns_clock(c, h->when, at),
                                     ns_dur(now > h->when ? now - h->when : 0, ago));
        else ts_nsbuf_printf(b, "%s  (time unknown) ", indent);   /* a listen() is not given the time */
        ts_nsbuf_printf(b, "%s -> %s: %s\n",
                        ts_tcp_state_name((enum ts_tcp_state)h->old_state),
                        ts_tcp_state_name((enum ts_tcp_state)h->new_state), h->why ? h->why : "");
    }
}

void ns_text_tcp_detail(const struct ts_netstat_ctx *c, const struct ts_tcp_info *t, ts_time_t now, bool history,
                        const char *indent, struct ts_nsbuf *b)
{
    if (t->state == TS_TCP_LISTEN) {
        ts_nsbuf_printf(b, "%sbacklog %u  syn_queue %u  accept_queue %u\n", indent, t->backlog, t->syn_queue,
                        t->accept_queue);
    } else {
        char srtt[24], rttvar[24], rto[24];
        ts_nsbuf_printf(b, "%ssnd_una %u  snd_nxt %u  snd_max %u  snd_wnd %u  iss %u  mss %u\n", indent,
                        t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd, t->iss, (unsigned)t->mss);
        ts_nsbuf_printf(b, "%srcv_nxt %u  rcv_wnd %u  irs %u  wscale %u/%u  out-of-order %u\n", indent,
                        t->rcv_nxt, t->rcv_wnd, t->irs, (unsigned)t->snd_wscale, (unsigned)t->rcv_wscale,
                        t->ooo_bytes);
        ts_nsbuf_printf(b, "%scwnd %u  ssthresh %u  srtt %s  rttvar %s  rto %s  retransmits %u  backoff %u\n",
                        indent, t->cwnd, t->ssthresh, ns_dur(t->srtt, srtt), ns_dur(t->rttvar, rttvar),
                        ns_dur(t->rto, rto), t->retransmits, t->rxt_shift);
        char mrtt[24], reo[24];
        ts_nsbuf_printf(b, "%scc %s %s  pipe %u  sacked %u  lost %u  rack min_rtt %s  reo_wnd %s\n", indent,
                        t->cc ? t->cc : "-", t->cc_state ? t->cc_state : "-", t->pipe, t->sacked_bytes,
                        t->lost_bytes, ns_dur(t->rack_min_rtt, mrtt), ns_dur(t->rack_reo_wnd, reo));
        if (t->bbr_mode) {
            char mr[24];
            ts_nsbuf_printf(b, "%sbbr %s  max_bw %llu B/s  min_rtt %s  pacing_gain %u%%  cwnd_gain %u%%"
                               "  pacing_rate %llu B/s (not applied)\n", indent, t->bbr_mode,
                            (unsigned long long)t->bbr_max_bw, ns_dur(t->bbr_min_rtt, mr),
                            (unsigned)t->bbr_pacing_gain, (unsigned)t->bbr_cwnd_gain,
                            (unsigned long long)t->bbr_pacing_rate);
        }
        if (t->ts_on) {
            char age[24];
            ts_nsbuf_printf(b, "%stimestamps on  ts_recent %u (%s ago)  undos %u\n", indent, t->ts_recent,
                            ns_dur(now > t->ts_recent_at ? now - t->ts_recent_at : 0, age), t->undos);
        } else {
            ts_nsbuf_printf(b, "%stimestamps off  undos %u\n", indent, t->undos);
        }
    }
    if (t->state != TS_TCP_LISTEN) text_timers(t, now, indent, b);   /* a listener runs none */
    if (history) text_history(c, t, now, indent, b);
}

/* ---- JSON ---- */

static void json_timers(const struct ts_tcp_info *t, ts_time_t now, struct ts_nsbuf *b)
{
    ts_nsbuf_puts(b, ",\"timers\":{");
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) {
        ts_nsbuf_printf(b, "%s\"%s\":", i ? "," : "", ts_tcp_timer_name(i));
        if (t->timer[i] == TS_TIME_NEVER) ts_nsbuf_puts(b, "null");
        else ts_nsbuf_printf(b, "{\"deadline_us\":%llu,\"in_us\":%llu}", (unsigned long long)t->timer[i],
                             (unsigned long long)(t->timer[i] > now ? t->timer[i] - now : 0));
    }
    ts_nsbuf_puts(b, "}");
}

static void json_history(const struct ts_tcp_info *t, ts_time_t now, struct ts_nsbuf *b)
{
    ts_nsbuf_puts(b, ",\"history\":[");
    for (unsigned i = 0; i < t->hist_len && i < TS_TCP_HIST; i++) {
        const struct ts_tcp_hist *h = &t->hist[i];
        if (h->when)
            ts_nsbuf_printf(b, "%s{\"at_us\":%llu,\"ago_us\":%llu,", i ? "," : "", (unsigned long long)h->when,
                            (unsigned long long)(now > h->when ? now - h->when : 0));
        else
            ts_nsbuf_printf(b, "%s{\"at_us\":null,\"ago_us\":null,", i ? "," : "");
        ts_nsbuf_printf(b, "\"from\":\"%s\",\"to\":\"%s\",\"why\":",
                        ts_tcp_state_name((enum ts_tcp_state)h->old_state),
                        ts_tcp_state_name((enum ts_tcp_state)h->new_state));
        ts_nsbuf_json_str(b, h->why);
        ts_nsbuf_puts(b, "}");
    }
    ts_nsbuf_puts(b, "]");
}

void ns_json_tcp_detail(const struct ts_tcp_info *t, ts_time_t now, bool history, struct ts_nsbuf *b)
{
    ts_nsbuf_printf(b, "{\"iss\":%u,\"irs\":%u,\"snd_una\":%u,\"snd_nxt\":%u,\"snd_max\":%u,\"snd_wnd\":%u,"
                       "\"rcv_nxt\":%u,\"rcv_wnd\":%u,\"snd_wscale\":%u,\"rcv_wscale\":%u,\"mss\":%u,",
                    t->iss, t->irs, t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd, t->rcv_nxt, t->rcv_wnd,
                    (unsigned)t->snd_wscale, (unsigned)t->rcv_wscale, (unsigned)t->mss);
    ts_nsbuf_printf(b, "\"cwnd\":%u,\"ssthresh\":%u,\"srtt_us\":%llu,\"rttvar_us\":%llu,\"rto_us\":%llu,"
                       "\"retransmits\":%u,\"backoff\":%u,\"snd_queued\":%u,\"rcv_queued\":%u,\"ooo_bytes\":%u,"
                       "\"backlog\":%u,\"syn_queue\":%u,\"accept_queue\":%u",
                    t->cwnd, t->ssthresh, (unsigned long long)t->srtt, (unsigned long long)t->rttvar,
                    (unsigned long long)t->rto, t->retransmits, t->rxt_shift, t->snd_queued, t->rcv_queued,
                    t->ooo_bytes, t->backlog, t->syn_queue, t->accept_queue);
    ts_nsbuf_printf(b, ",\"cc\":\"%s\",\"cc_state\":\"%s\",\"pipe\":%u,\"sacked_bytes\":%u,\"lost_bytes\":%u,"
                       "\"rack_min_rtt_us\":%llu,\"rack_reo_wnd_us\":%llu",
                    t->cc ? t->cc : "", t->cc_state ? t->cc_state : "", t->pipe, t->sacked_bytes, t->lost_bytes,
                    (unsigned long long)t->rack_min_rtt, (unsigned long long)t->rack_reo_wnd);
    if (t->bbr_mode)
        ts_nsbuf_printf(b, ",\"bbr\":{\"mode\":\"%s\",\"max_bw_Bps\":%llu,\"min_rtt_us\":%llu,"
                           "\"pacing_gain_pct\":%u,\"cwnd_gain_pct\":%u,\"pacing_rate_Bps\":%llu}",
                        t->bbr_mode, (unsigned long long)t->bbr_max_bw, (unsigned long long)t->bbr_min_rtt,
                        (unsigned)t->bbr_pacing_gain, (unsigned)t->bbr_cwnd_gain,
                        (unsigned long long)t->bbr_pacing_rate);
    if (t->ts_on)
        ts_nsbuf_printf(b, ",\"timestamps\":true,\"ts_recent\":%u,\"ts_recent_age_us\":%llu", t->ts_recent,
                        (unsigned long long)(now > t->ts_recent_at ? now - t->ts_recent_at : 0));
    else
        ts_nsbuf_puts(b, ",\"timestamps\":false,\"ts_recent\":null,\"ts_recent_age_us\":null");
    ts_nsbuf_printf(b, ",\"undos\":%u", t->undos);
    json_timers(t, now, b);
    if (history) json_history(t, now, b);
    ts_nsbuf_puts(b, "}");
}

#endif /* NS_HAVE_TCP */
