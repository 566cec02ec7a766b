/*
 * The socket table: which sockets, in what order, and how each row reads in text (net-tools
 * layout) and in JSON.
 *
 *   Proto Recv-Q Send-Q Local Address           Foreign Address         State
 *   tcp        0      0 10.0.0.2:http           10.0.0.1:51234          ESTABLISHED
 */
#include <stdio.h>
#include <string.h>

#include "core/demux.h"
#include "core/sock.h"
#include "core/stack_impl.h"
#include "netstat/view_impl.h"
#include "udp/udp.h"

/* ---- which rows ---- */

struct row_filter {
    const struct ts_netstat_opts *o;
    ns_row_fn fn;
    void *arg;
    bool stopped;
};

/* Without -a only conversations, with -a everything, with -l listening sockets only. */
static bool selected(const struct ts_netstat_opts *o, const struct ns_row *r)
{
    if (o->listening) return r->listening;
    return o->all || !r->listening;
}

static bool filter_row(void *arg, const struct ns_row *r)
{
    struct row_filter *f = arg;
    if (!selected(f->o, r)) return true;
    if (!f->fn(f->arg, r)) f->stopped = true;
    return !f->stopped;
}

static bool udp_node(void *arg, struct ts_demux_node *n)
{
    if (n->proto != 17) return true;
    const struct ts_sock *sock = (const struct ts_sock *)n;   /* the node is the socket's first member */
    size_t bytes = 0;
    ts_udp_queue_info(sock, &bytes, NULL);
    struct ns_row r = {
        .proto = 17, .listening = n->raddr == 0 && n->rport == 0, .state = -1,
        .laddr = n->laddr, .raddr = n->raddr, .lport = n->lport, .rport = n->rport,
        .recv_q = bytes, .send_q = 0,
    };
    return filter_row(arg, &r);
}

void ns_foreach_row(const struct ts_stack *s, const struct ts_netstat_opts *o, ns_row_fn fn, void *arg)
{
    struct row_filter f = { .o = o, .fn = fn, .arg = arg };
    bool want_tcp = o->tcp || !o->udp, want_udp = o->udp || !o->tcp;
    if (NS_HAVE_TCP && want_tcp) {
        ns_tcp_rows(s, true, filter_row, &f);
        if (!f.stopped) ns_tcp_rows(s, false, filter_row, &f);
    }
    if (want_udp && !f.stopped && s->demux) ts_demux_foreach(s->demux, udp_node, &f);
}

/* ---- formatting helpers ---- */

const char *ns_service(const struct ts_netstat_ctx *c, uint8_t proto, uint16_t port)
{
    return ts_services_name(c->services, port, proto);
}

const char *ns_endpoint(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, uint8_t proto,
                        uint32_t addr, uint16_t port, char *buf)
{
    char ip[16];
    ts_ip_str(addr, ip);
    const char *name = (port && !o->numeric) ? ns_service(c, proto, port) : NULL;
    if (port == 0) snprintf(buf, 48, "%s:*", ip);
    else if (name) snprintf(buf, 48, "%s:%.24s", ip, name);
    else snprintf(buf, 48, "%s:%u", ip, (unsigned)port);
    return buf;
}

const char *ns_dur(uint64_t us, char *buf)
{
    if (us < 10000) snprintf(buf, 24, "%.2fms", (double)us / 1000.0);
    else if (us < 10000000) snprintf(buf, 24, "%.0fms", (double)us / 1000.0);
    else snprintf(buf, 24, "%.1fs", (double)us / 1e6);
    return buf;
}

const char *ns_clock(const struct ts_netstat_ctx *c, ts_time_t t, char *buf)
{
    if (c && c->wall_offset) {
        int64_t local = (int64_t)t + c->wall_offset + (int64_t)c->tz_offset * 1000000;
        uint64_t us = local > 0 ? (uint64_t)local : 0, day = us / 1000000u % 86400u;
        snprintf(buf, 24, "%02u:%02u:%02u.%03u", (unsigned)(day / 3600), (unsigned)(day / 60 % 60),
                 (unsigned)(day % 60), (unsigned)(us / 1000u % 1000u));
        return buf;
    }
    /* After 2001-09-09 as Unix time: the driver's clock reads as wall time (see driver/clock.h). */
    if (t >= 1000000000ull * 1000000ull) {
        uint64_t s = t / 1000000u, day = s % 86400u;
        snprintf(buf, 24, "%02u:%02u:%02u.%03u", (unsigned)(day / 3600), (unsigned)(day / 60 % 60),
                 (unsigned)(day % 60), (unsigned)(t / 1000u % 1000u));
    } else {
        snprintf(buf, 24, "t+%.3fs", (double)t / 1e6);
    }
    return buf;
}

const char *ns_mac(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

/* ---- text ---- */

struct text_ctx {
    const struct ts_netstat_ctx *c;
    const struct ts_netstat_opts *o;
    ts_time_t now;
    struct ts_nsbuf *b;
};

void ns_text_ports(const struct ts_netstat_ctx *c, const struct ns_row *r, const char *indent, struct ts_nsbuf *b)
{
    const char *ln = ns_service(c, r->proto, r->lport), *rn = ns_service(c, r->proto, r->rport);
    ts_nsbuf_printf(b, "%sports: local %u %s%s%s%s", indent, (unsigned)r->lport,
                    ts_port_group_name(ts_port_group(r->lport)), ln ? " (" : "", ln ? ln : "", ln ? ")" : "");
    if (r->rport)
        ts_nsbuf_printf(b, ", foreign %u %s%s%s%s", (unsigned)r->rport,
                        ts_port_group_name(ts_port_group(r->rport)), rn ? " (" : "", rn ? rn : "", rn ? ")" : "");
    ts_nsbuf_puts(b, "\n");
}

static bool text_row(void *arg, const struct ns_row *r)
{
    const struct text_ctx *t = arg;
    char la[48], ra[48];
    ns_endpoint(t->c, t->o, r->proto, r->laddr, r->lport, la);
    ns_endpoint(t->c, t->o, r->proto, r->raddr, r->rport, ra);
    const char *st = r->state_name ? r->state_name : "";
    ts_nsbuf_printf(t->b, "%-4s  %6llu %6llu %-23s %-23s %-11s", ns_proto_name(r->proto),
                    (unsigned long long)r->recv_q, (unsigned long long)r->send_q, la, ra, st);
    if (t->o->programs) {
        if (t->c->pid > 0) ts_nsbuf_printf(t->b, " %d/tapstack", t->c->pid);
        else ts_nsbuf_puts(t->b, " -");
    }
    ts_nsbuf_rtrim(t->b);
    ts_nsbuf_puts(t->b, "\n");
    if (t->o->extend) {
        ns_text_ports(t->c, r, "        ", t->b);
        if (NS_HAVE_TCP && r->tcp) ns_text_tcp_detail(t->c, r->tcp, t->now, t->o->history, "        ", t->b);
    }
    return !t->b->failed;
}

void ns_text_sockets(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                     struct ts_nsbuf *b)
{
    const char *which = o->listening ? "only servers" : o->all ? "servers and established" : "w/o servers";
    ts_nsbuf_printf(b, "Active Internet connections (%s)\n", which);
    ts_nsbuf_puts(b, "Proto Recv-Q Send-Q Local Address           Foreign Address         State");
    ts_nsbuf_puts(b, o->programs ? "       PID/Program name\n" : "\n");
    struct text_ctx t = { .c = c, .o = o, .now = now, .b = b };
    ns_foreach_row(c->stack, o, text_row, &t);
}

/* ---- JSON ---- */

struct json_ctx {
    const struct ts_netstat_ctx *c;
    const struct ts_netstat_opts *o;
    ts_time_t now;
    struct ts_nsbuf *b;
    unsigned n;
};

static void json_endpoint(const struct json_ctx *j, uint8_t proto, uint32_t addr, uint16_t port)
{
    char ip[16], text[48];
    ts_nsbuf_printf(j->b, "{\"addr\":\"%s\",\"port\":%u,\"text\":", ts_ip_str(addr, ip), (unsigned)port);
    ts_nsbuf_json_str(j->b, ns_endpoint(j->c, j->o, proto, addr, port, text));
    ts_nsbuf_puts(j->b, ",\"service\":");
    ts_nsbuf_json_str(j->b, port ? ns_service(j->c, proto, port) : NULL);
    ts_nsbuf_puts(j->b, ",\"group\":");
    ts_nsbuf_json_str(j->b, port ? ts_port_group_name(ts_port_group(port)) : NULL);
    ts_nsbuf_puts(j->b, "}");
}

static bool json_row(void *arg, const struct ns_row *r)
{
    struct json_ctx *j = arg;
    struct ts_nsbuf *b = j->b;
    ts_nsbuf_printf(b, "%s\n  {\"proto\":\"%s\",\"recv_q\":%llu,\"send_q\":%llu,\"local\":", j->n++ ? "," : "",
                    ns_proto_name(r->proto), (unsigned long long)r->recv_q, (unsigned long long)r->send_q);
    json_endpoint(j, r->proto, r->laddr, r->lport);
    ts_nsbuf_puts(b, ",\"foreign\":");
    json_endpoint(j, r->proto, r->raddr, r->rport);
    ts_nsbuf_puts(b, ",\"state\":");
    ts_nsbuf_json_str(b, r->state_name);
    ts_nsbuf_printf(b, ",\"listening\":%s", r->listening ? "true" : "false");
    if (j->o->programs) {
        if (j->c->pid > 0) ts_nsbuf_printf(b, ",\"program\":\"%d/tapstack\"", j->c->pid);
        else ts_nsbuf_puts(b, ",\"program\":null");
    }
    if (NS_HAVE_TCP && j->o->extend && r->tcp) {
        ts_nsbuf_puts(b, ",\"tcp\":");
        ns_json_tcp_detail(r->tcp, j->now, j->o->history, b);
    }
    ts_nsbuf_puts(b, "}");
    return !b->failed;
}

void ns_json_sockets(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                     struct ts_nsbuf *b)
{
    const char *which = o->listening ? "listening" : o->all ? "all" : "connected";
    ts_nsbuf_printf(b, "\"select\":\"%s\",\"sockets\":[", which);
    struct json_ctx j = { .c = c, .o = o, .now = now, .b = b };
    ns_foreach_row(c->stack, o, json_row, &j);
    ts_nsbuf_puts(b, j.n ? "\n]" : "]");
}
