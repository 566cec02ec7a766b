/*
 * -s: every counter of include/tapstack/counters/<protocol>.def, grouped by protocol as net-tools groups
 * its Ip:/Icmp:/Tcp:/Udp: sections. -t or -u keeps only that protocol; -e adds each counter's
 * name, which is how it is spelled in the code (TS_DROP(s, now, tcp, drop_bad_checksum ...)).
 */
#include <string.h>

#include "tapstack/stats.h"
#include "netstat/view_impl.h"

struct group { const char *proto, *title; };
static const struct group groups[] = {
    { "eth", "Ethernet" }, { "arp", "Arp" }, { "ipv4", "Ip" }, { "icmp", "Icmp" },
    { "udp", "Udp" }, { "tcp", "Tcp" }, { "fault", "Fault injection" },
};
#define N_GROUPS (sizeof groups / sizeof groups[0])

static bool group_wanted(const struct ts_netstat_opts *o, const char *proto)
{
    if (o->tcp || o->udp) return (o->tcp && strcmp(proto, "tcp") == 0) || (o->udp && strcmp(proto, "udp") == 0);
    return true;
}

/* Is any counter of proto non-zero? (The fault section shows only when faults were injected.) */
static bool group_moved(const struct ts_stats *st, const char *proto)
{
    for (unsigned id = 0; id < TS_CTR__COUNT; id++)
        if (st->v[id] && strcmp(ts_counter_proto((enum ts_counter_id)id), proto) == 0) return true;
    return false;
}

static bool count_established(void *arg, const struct ns_row *r)
{
    if (r->state == TS_TCP_ESTABLISHED || r->state == TS_TCP_CLOSE_WAIT) ++*(unsigned *)arg;
    return true;
}

/* Memory by kind (issue 19), after the counters. */
static void text_memory(const struct ts_netstat_ctx *c, struct ts_nsbuf *b)
{
    struct ts_mem_usage m;
    ts_stack_memory(c->stack, &m);
    ts_nsbuf_printf(b, "Memory:\n");
    ts_nsbuf_printf(b, "    %zu bytes in %u TCP control blocks\n", m.tcp_tcbs, m.tcp_conns);
    ts_nsbuf_printf(b, "    %u of them orphans (closed by the application, still in TCP)\n", m.tcp_orphans);
    ts_nsbuf_printf(b, "    %zu bytes in %u TIME_WAIT records\n", m.tcp_time_wait_bytes, m.tcp_time_wait);
    ts_nsbuf_printf(b, "    %zu bytes of TCP send and receive buffers\n", m.tcp_buffers);
    ts_nsbuf_printf(b, "    %zu bytes of frame buffers\n", m.frames);
    ts_nsbuf_printf(b, "    %zu bytes other (stack, scratch, ARP cache)\n", m.other);
    ts_nsbuf_printf(b, "    %zu bytes in all\n", m.tcp_tcbs + m.tcp_time_wait_bytes + m.tcp_buffers + m.frames + m.other);
    ts_nsbuf_printf(b, "    %u frames of the pool in use\n", m.frames_in_use);
    ts_nsbuf_printf(b, "    %zu bytes in %u IPv4 datagrams in reassembly\n", m.frag_bytes, m.frag_dgrams);
}

#define NS_SERVERS_MAX 16

/* Every server's connection-limit figures (struct ts_app_conn_stats), up to NS_SERVERS_MAX. */
static unsigned servers(const struct ts_netstat_ctx *c, struct ts_app_conn_stats *out)
{
    unsigned n = 0;
    for (unsigned i = 0; c->apps && i < c->napps && n < NS_SERVERS_MAX; i++)
        if (c->apps[i].conn_stats) n += c->apps[i].conn_stats(c->apps[i].ctx, out + n, NS_SERVERS_MAX - n);
    return n;
}

/* Servers (issue 25): what each one's connection limits have done, after the TCP counters. */
static void text_servers(const struct ts_netstat_ctx *c, struct ts_nsbuf *b)
{
    struct ts_app_conn_stats sv[NS_SERVERS_MAX];
    unsigned n = servers(c, sv);
    if (n == 0) return;
    ts_nsbuf_printf(b, "Servers (connection limits):\n");
    for (unsigned i = 0; i < n; i++) {
        ts_nsbuf_printf(b, "    %s: %u connections of %u (at most %u per address)\n", sv[i].name, sv[i].conns,
                        sv[i].max_conns, sv[i].max_per_peer);
        ts_nsbuf_printf(b, "        %llu admitted, %llu idle evicted for a newcomer, %llu timed out\n",
                        (unsigned long long)sv[i].admitted, (unsigned long long)sv[i].evicted,
                        (unsigned long long)sv[i].expired);
        ts_nsbuf_printf(b, "        %llu refused: nothing evictable, %llu refused: address at its limit\n",
                        (unsigned long long)sv[i].refused_full, (unsigned long long)sv[i].refused_peer);
    }
}

static void json_servers(const struct ts_netstat_ctx *c, struct ts_nsbuf *b)
{
    struct ts_app_conn_stats sv[NS_SERVERS_MAX];
    unsigned n = servers(c, sv);
    ts_nsbuf_puts(b, ",\"servers\":{");
    for (unsigned i = 0; i < n; i++) {
        ts_nsbuf_printf(b, "%s", i ? "," : "");
        ts_nsbuf_json_str(b, sv[i].name);
        ts_nsbuf_printf(b, ":{\"conns\":%u,\"max_conns\":%u,\"max_per_peer\":%u,\"admitted\":%llu,\"evicted\":%llu,"
                           "\"expired\":%llu,\"refused_full\":%llu,\"refused_peer\":%llu}",
                        sv[i].conns, sv[i].max_conns, sv[i].max_per_peer, (unsigned long long)sv[i].admitted,
                        (unsigned long long)sv[i].evicted, (unsigned long long)sv[i].expired,
                        (unsigned long long)sv[i].refused_full, (unsigned long long)sv[i].refused_peer);
    }
    ts_nsbuf_puts(b, "}");
}

void ns_text_stats(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, struct ts_nsbuf *b)
{
    const struct ts_stats *st = ts_stack_stats(c->stack);
    for (size_t g = 0; g < N_GROUPS; g++) {
        if (!group_wanted(o, groups[g].proto)) continue;
        if (strcmp(groups[g].proto, "fault") == 0 && !group_moved(st, "fault")) continue;
        ts_nsbuf_printf(b, "%s:\n", groups[g].title);
        if (NS_HAVE_TCP && strcmp(groups[g].proto, "tcp") == 0) {
            unsigned est = 0;
            struct ts_netstat_opts all = { .all = true, .tcp = true };
            ns_foreach_row(c->stack, &all, count_established, &est);
            ts_nsbuf_printf(b, "    %u connections currently established\n", est);
        }
        for (unsigned id = 0; id < TS_CTR__COUNT; id++) {
            if (strcmp(ts_counter_proto((enum ts_counter_id)id), groups[g].proto) != 0) continue;
            ts_nsbuf_printf(b, "    %llu %s", (unsigned long long)st->v[id], ts_counter_desc((enum ts_counter_id)id));
            if (o->extend) ts_nsbuf_printf(b, " [%s]", ts_counter_name((enum ts_counter_id)id));
            ts_nsbuf_puts(b, "\n");
        }
    }
    if (!o->udp) text_servers(c, b);
    if (!o->tcp && !o->udp) text_memory(c, b);
}

void ns_json_stats(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, struct ts_nsbuf *b)
{
    const struct ts_stats *st = ts_stack_stats(c->stack);
    ts_nsbuf_puts(b, "\"stats\":{");
    bool first_group = true;
    for (size_t g = 0; g < N_GROUPS; g++) {
        if (!group_wanted(o, groups[g].proto)) continue;
        ts_nsbuf_printf(b, "%s\n  \"%s\":{", first_group ? "" : ",", groups[g].proto);
        first_group = false;
        bool first = true;
        for (unsigned id = 0; id < TS_CTR__COUNT; id++) {
            if (strcmp(ts_counter_proto((enum ts_counter_id)id), groups[g].proto) != 0) continue;
            ts_nsbuf_printf(b, "%s\"%s\":%llu", first ? "" : ",", ts_counter_name((enum ts_counter_id)id),
                            (unsigned long long)st->v[id]);
            first = false;
        }
        ts_nsbuf_puts(b, "}");
    }
    ts_nsbuf_puts(b, "\n}");
    struct ts_mem_usage m;
    ts_stack_memory(c->stack, &m);
    ts_nsbuf_printf(b, ",\"memory\":{\"tcp_conns\":%u,\"tcp_orphans\":%u,\"tcp_tcbs\":%zu,\"tcp_buffers\":%zu,\"frames\":%zu,\"other\":%zu,"
                       "\"frames_in_use\":%u,\"frag_dgrams\":%u,\"frag_bytes\":%zu}",
                    m.tcp_conns, m.tcp_orphans, m.tcp_tcbs, m.tcp_buffers, m.frames, m.other, m.frames_in_use, m.frag_dgrams,
                    m.frag_bytes);
    json_servers(c, b);
    if (o->extend) {
        ts_nsbuf_puts(b, ",\"counter_descriptions\":{");
        for (unsigned id = 0; id < TS_CTR__COUNT; id++) {
            ts_nsbuf_printf(b, "%s\"%s.%s\":", id ? "," : "", ts_counter_proto((enum ts_counter_id)id),
                            ts_counter_name((enum ts_counter_id)id));
            ts_nsbuf_json_str(b, ts_counter_desc((enum ts_counter_id)id));
        }
        ts_nsbuf_puts(b, "}");
    }
}
