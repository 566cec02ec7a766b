/*
 * Internals shared by the netstat view files: one row of the socket table, the order rows come
 * in, and the small formatters. Not for use outside stack/netstat/.
 */
#ifndef TS_NETSTAT_VIEW_IMPL_H
#define TS_NETSTAT_VIEW_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "tapstack/socket.h"
#include "netstat/netstat_view.h"

struct ts_tcp_info;

/* TCP appears in the views once the TCP module's read-only view (tcp/tcp_info.h) is built. */
#if __has_include("tcp/tcp_info.h")
#define NS_HAVE_TCP 1
#else
#define NS_HAVE_TCP 0
#endif

/* One socket as netstat shows it. */
struct ns_row {
    uint8_t proto;                    /* 6 or 17 */
    bool listening;                   /* TCP LISTEN, or UDP not connected */
    int state;                        /* enum ts_tcp_state, or -1 for UDP */
    const char *state_name;           /* "ESTABLISHED" ..., NULL for UDP */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint64_t recv_q, send_q;          /* listeners: accept queue, backlog (as Linux shows them) */
    const struct ts_tcp_info *tcp;    /* TCP only, else NULL */
};

typedef bool (*ns_row_fn)(void *arg, const struct ns_row *r);

/* Visit the sockets o selects (-a/-l/-t/-u), in netstat's order: TCP listeners, TCP
 * conversations, UDP. Stops when fn returns false. */
void ns_foreach_row(const struct ts_stack *s, const struct ts_netstat_opts *o, ns_row_fn fn, void *arg);

/* TCP rows in two passes (listeners, then the rest). view_tcp.c. */
void ns_tcp_rows(const struct ts_stack *s, bool listeners, ns_row_fn fn, void *arg);

/* "10.0.0.2:http" (or :80 with numeric), "0.0.0.0:*" for port 0. buf >= 48 bytes. */
const char *ns_endpoint(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, uint8_t proto,
                        uint32_t addr, uint16_t port, char *buf);

/* "ports: local 80 well-known (http), foreign 51234 dynamic/private" and a newline. */
void ns_text_ports(const struct ts_netstat_ctx *c, const struct ns_row *r, const char *indent, struct ts_nsbuf *b);

/* The service name of a port (built-in table, then /etc/services), or NULL. */
const char *ns_service(const struct ts_netstat_ctx *c, uint8_t proto, uint16_t port);

/* A duration in friendly units ("0.35ms", "198ms", "59.8s"). buf >= 24 bytes. */
const char *ns_dur(uint64_t us, char *buf);

/* A time of the stack's clock for people: local wall-clock time "09:12:01.123" when c knows the
 * wall clock (c->wall_offset), else "09:12:01.123" (UTC) if t looks like Unix time, else
 * "t+12.345s". c may be NULL. buf >= 24 bytes. */
const char *ns_clock(const struct ts_netstat_ctx *c, ts_time_t t, char *buf);

/* "02:00:00:00:00:02". buf >= 18 bytes. */
const char *ns_mac(const uint8_t mac[6], char *buf);

/* "tcp"/"udp" */
static inline const char *ns_proto_name(uint8_t proto) { return proto == 6 ? "tcp" : "udp"; }

/* The pieces each file provides. */
void ns_text_sockets(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                     struct ts_nsbuf *b);
void ns_json_sockets(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                     struct ts_nsbuf *b);
void ns_text_stats(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, struct ts_nsbuf *b);
void ns_json_stats(const struct ts_netstat_ctx *c, const struct ts_netstat_opts *o, struct ts_nsbuf *b);
void ns_text_arp(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b);
void ns_json_arp(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b);

/* /netstat's pictures (view_conns.c): the links under one TCP row (nothing when the record does not
 * hold it), and the table of the conversations the record holds. */
void ns_html_conn_links(const struct ts_netstat_ctx *c, const struct ns_row *r, struct ts_nsbuf *b);
void ns_html_recorded(const struct ts_netstat_ctx *c, ts_time_t now, struct ts_nsbuf *b);

/* -e / --history for one TCP row (view_tcp.c). indent: text prefix. */
void ns_text_tcp_detail(const struct ts_netstat_ctx *c, const struct ts_tcp_info *t, ts_time_t now, bool history,
                        const char *indent, struct ts_nsbuf *b);
void ns_json_tcp_detail(const struct ts_tcp_info *t, ts_time_t now, bool history, struct ts_nsbuf *b);

#endif
