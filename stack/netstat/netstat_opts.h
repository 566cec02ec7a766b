/*
 * The flags of `tapstack netstat` and `tapstack arp`, parsed without side effects.
 *
 * The client parses its command line with ts_netstat_parse (so a bad flag is reported before any
 * connection), then sends ts_netstat_request's canonical line over the control socket; the
 * server parses that line again with ts_netstat_parse_line. The HTTP routes use the same
 * options, filled from the query string.
 */
#ifndef TS_NETSTAT_OPTS_H
#define TS_NETSTAT_OPTS_H

#include <stdbool.h>
#include <stddef.h>

struct ts_netstat_opts {
    bool all;          /* -a: listening sockets too */
    bool listening;    /* -l: listening sockets only */
    bool tcp, udp;     /* -t, -u: only these protocols (neither: both) */
    bool numeric;      /* -n: port numbers, not service names */
    bool stats;        /* -s: per-protocol counters instead of the socket table */
    bool extend;       /* -e: each TCP connection's variables, timers and port groups */
    bool history;      /* --history: each TCP connection's last state changes (implies -e) */
    bool programs;     /* -p: the PID/Program name column */
    bool arp;          /* --arp (and `tapstack arp`): the ARP cache instead */
    bool json;         /* --json: the same data as JSON (docs/netstat-json.md) */
    bool continuous;   /* -c: again every second */
    unsigned count;    /* -c N: that many times (0: until interrupted) */
    bool help;         /* -h, --help */
    const char *ctl;   /* --ctl PATH (client only; NULL: the default) */
};

/* Request lines are at most this long (including the newline). */
#define TS_NETSTAT_REQ_MAX 256

/* Parse argv[1..argc-1] (argv[0] is "netstat" or "arp": "arp" sets .arp) into *o. Short flags
 * combine (-tlnp); long ones are --all --listening --tcp --udp --numeric --statistics --extend
 * --programs --continuous --json --arp --history --ctl PATH --help. Returns 0, or -1 with a
 * message in err naming the bad flag and what to do. */
int ts_netstat_parse(int argc, char *const *argv, struct ts_netstat_opts *o, char *err, size_t errlen);

/* Parse a request line ("netstat -a -t --json", words separated by spaces, optional newline). */
int ts_netstat_parse_line(const char *line, struct ts_netstat_opts *o, char *err, size_t errlen);

/* Write the canonical request line for o (flags that change the answer only, newline-terminated)
 * into buf. Returns its length, or 0 if cap is too small. */
size_t ts_netstat_request(const struct ts_netstat_opts *o, char *buf, size_t cap);

/* The help text of `tapstack netstat` (arp: of `tapstack arp`). */
const char *ts_netstat_usage(bool arp);

#endif
