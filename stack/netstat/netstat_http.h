/*
 * The netstat views on the stack's own HTTP server:
 *   /netstat        the HTML page (every socket with its TCP variables, the ARP cache, the
 *                   counters that moved), refreshing itself; ?refresh=N seconds (0 = never, default 2)
 *   /netstat.json   `tapstack netstat -a -e --history --json`
 *   /stats.json     `tapstack netstat -s --json`
 *   /conn/PAIR/seq.svg, /conn/PAIR/ladder.svg
 *                   the pictures of one TCP conversation (stack/plot) from the live record
 *                   (ctx->rec), PAIR as --pcap-per-conn names files: 10.0.0.1_43210-10.0.0.2_80
 * The pages are made inside the HTTP server's socket callback, from the live stack.
 */
#ifndef TS_NETSTAT_HTTP_H
#define TS_NETSTAT_HTTP_H

#include "netstat/netstat_view.h"

struct ts_http_server;

/* Register the three routes on srv. ctx must outlive the server. Returns 0 or -TS_E*. */
int ts_netstat_http_routes(struct ts_http_server *srv, const struct ts_netstat_ctx *ctx);

#endif
