/*
 * netstat views: read a stack's tables and counters and write them as text (the layout of
 * net-tools netstat), JSON (docs/netstat-json.md) or an HTML page. Pure: no I/O, no clock; the
 * caller passes the time and the buffer. The same functions serve the control socket
 * (`tapstack netstat`) and the HTTP routes (/netstat, /netstat.json, /stats.json).
 */
#ifndef TS_NETSTAT_VIEW_H
#define TS_NETSTAT_VIEW_H

#include <stdbool.h>

#include "tapstack/app.h"
#include "tapstack/ports.h"
#include "tapstack/stack.h"
#include "netstat/netstat_opts.h"
#include "netstat/nsbuf.h"

struct ts_plot_rec;

/* What a view needs besides the flags. */
struct ts_netstat_ctx {
    const struct ts_stack *stack;
    const struct ts_services *services;   /* /etc/services, or NULL: the built-in names only */
    const char *ifname;                   /* the TAP's name (ARP table's Iface), or NULL */
    int pid;                              /* the server's PID for -p, or 0 */
    const struct ts_plot_rec *rec;        /* the live per-conversation record (pictures), or NULL */
    int64_t wall_offset;                  /* stack clock + this = Unix time in us; 0: unknown */
    int32_t tz_offset;                    /* seconds east of UTC, for local wall-clock times */
    const struct ts_app *apps;            /* the running apps: -s shows their servers' connection */
    unsigned napps;                       /* limits and evictions (conn_stats); NULL: none */
};

/* The JSON schema this code writes ("schema" member). */
#define TS_NETSTAT_SCHEMA "tapstack-netstat/1"

/* Write the view o asks for (sockets, -s counters, or --arp; text or --json) at time now,
 * appending to out. Returns 0, or -1 if out hit its bound (the text so far stays). */
int ts_netstat_render(const struct ts_netstat_ctx *c, ts_time_t now, const struct ts_netstat_opts *o,
                      struct ts_nsbuf *out);

/* The /netstat HTML page: every socket (with -e details), the ARP cache and the counters that
 * moved, refreshing itself every refresh_s seconds (0: never). Readable on a phone. */
int ts_netstat_render_html(const struct ts_netstat_ctx *c, ts_time_t now, unsigned refresh_s,
                           struct ts_nsbuf *out);

#endif
