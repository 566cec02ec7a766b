/* Flags of `tapstack netstat` / `tapstack arp` (see netstat_opts.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstat/netstat_opts.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* One short flag letter; -1 with a message if it is not ours. */
static int short_flag(struct ts_netstat_opts *o, char c, char *err, size_t errlen)
{
    switch (c) {
    case 'a': o->all = true; return 0;
    case 'l': o->listening = true; return 0;
    case 't': o->tcp = true; return 0;
    case 'u': o->udp = true; return 0;
    case 'n': o->numeric = true; return 0;
    case 's': o->stats = true; return 0;
    case 'e': o->extend = true; return 0;
    case 'p': o->programs = true; return 0;
    case 'c': o->continuous = true; return 0;
    case 'h': o->help = true; return 0;
    case '4': return 0;   /* IPv4 is all there is */
    case '6': return BAD("-6: tapstack speaks IPv4 only");
    case 'r': case 'i': case 'g': case 'M':
        return BAD("-%c: not provided by tapstack netstat (it shows sockets, -s counters, --arp the ARP cache)", c);
    default:
        return BAD("-%c: unknown flag (see tapstack netstat --help)", c);
    }
}

struct long_flag {
    const char *name;
    size_t off;   /* offset of the bool in struct ts_netstat_opts */
};

#define LF(n, field) { n, offsetof(struct ts_netstat_opts, field) }
static const struct long_flag long_flags[] = {
    LF("all", all), LF("listening", listening), LF("tcp", tcp), LF("udp", udp),
    LF("numeric", numeric), LF("statistics", stats), LF("extend", extend),
    LF("programs", programs), LF("continuous", continuous), LF("json", json), LF("arp", arp),
    LF("history", history), LF("help", help),
};
#undef LF

/* Is s a count for -c (1..1000000)? */
static bool is_count(const char *s, unsigned *out)
{
    if (!*s || strlen(s) > 7) return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return false;
    unsigned long v = strtoul(s, NULL, 10);
    if (v < 1 || v > 1000000) return false;
    *out = (unsigned)v;
    return true;
}

/* One argument at argv[*i]; may consume the next one (--ctl PATH, -c N). */
static int one_arg(int argc, char *const *argv, int *i, struct ts_netstat_opts *o, char *err, size_t errlen)
{
    const char *a = argv[*i];
    if (a[0] != '-' || a[1] == '\0')
        return BAD("'%s': unexpected argument (flags start with -; see tapstack netstat --help)", a);
    if (a[1] != '-') {
        for (const char *p = a + 1; *p; p++)
            if (short_flag(o, *p, err, errlen) < 0) return -1;
        /* -c N (N alone after a flag group ending in c) */
        if (a[strlen(a) - 1] == 'c' && *i + 1 < argc && is_count(argv[*i + 1], &o->count)) (*i)++;
        return 0;
    }
    const char *name = a + 2;
    if (strncmp(name, "ctl", 3) == 0 && (name[3] == '\0' || name[3] == '=')) {
        const char *v = name[3] == '=' ? name + 4 : (*i + 1 < argc ? argv[++(*i)] : NULL);
        if (!v || !*v) return BAD("--ctl needs a path (the control socket of tapstack up)");
        if (strlen(v) > 107) return BAD("--ctl '%s': a Unix socket path has at most 107 characters", v);
        o->ctl = v;
        return 0;
    }
    if (strncmp(name, "continuous=", 11) == 0) {
        if (!is_count(name + 11, &o->count)) return BAD("%s: expected a count from 1 to 1000000", a);
        o->continuous = true;
        return 0;
    }
    for (size_t k = 0; k < sizeof long_flags / sizeof long_flags[0]; k++) {
        if (strcmp(name, long_flags[k].name) != 0) continue;
        *(bool *)((char *)o + long_flags[k].off) = true;
        if (strcmp(name, "continuous") == 0 && *i + 1 < argc && is_count(argv[*i + 1], &o->count)) (*i)++;
        return 0;
    }
    return BAD("%s: unknown flag (see tapstack netstat --help)", a);
}

int ts_netstat_parse(int argc, char *const *argv, struct ts_netstat_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (argc > 0 && strcmp(argv[0], "arp") == 0) o->arp = true;
    for (int i = 1; i < argc; i++)
        if (one_arg(argc, argv, &i, o, err, errlen) < 0) return -1;
    if (o->history) o->extend = true;
    if (o->arp && (o->stats || o->listening || o->all || o->tcp || o->udp || o->extend || o->programs))
        return BAD("--arp shows the ARP cache: it combines only with -n, -c and --json");
    if (o->stats && (o->listening || o->all || o->programs || o->history))
        return BAD("-s shows counters: it combines only with -t, -u, -e (counter names), -c and --json");
    return 0;
}

int ts_netstat_parse_line(const char *line, struct ts_netstat_opts *o, char *err, size_t errlen)
{
    char copy[TS_NETSTAT_REQ_MAX];
    char *argv[32];
    int argc = 0;
    size_t n = strlen(line);
    if (n >= sizeof copy) return BAD("request longer than %d bytes", TS_NETSTAT_REQ_MAX - 1);
    memcpy(copy, line, n + 1);
    for (char *tok = strtok(copy, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        if (argc == (int)(sizeof argv / sizeof argv[0])) return BAD("too many words in the request");
        argv[argc++] = tok;
    }
    if (argc == 0 || (strcmp(argv[0], "netstat") != 0 && strcmp(argv[0], "arp") != 0))
        return BAD("unknown request (expected a line starting with netstat or arp)");
    int r = ts_netstat_parse(argc, argv, o, err, errlen);
    o->ctl = NULL;   /* points into copy; the server has no use for it */
    return r;
}

size_t ts_netstat_request(const struct ts_netstat_opts *o, char *buf, size_t cap)
{
    const struct { bool on; const char *flag; } f[] = {
        { o->all, " -a" }, { o->listening, " -l" }, { o->tcp, " -t" }, { o->udp, " -u" },
        { o->numeric, " -n" }, { o->stats, " -s" }, { o->extend, " -e" }, { o->programs, " -p" },
        { o->history, " --history" }, { o->json, " --json" },
    };
    int n = snprintf(buf, cap, "%s", o->arp ? "arp" : "netstat");
    for (size_t k = 0; k < sizeof f / sizeof f[0] && n >= 0 && (size_t)n < cap; k++)
        if (f[k].on) n += snprintf(buf + n, cap - (size_t)n, "%s", f[k].flag);
    if (n < 0 || (size_t)n + 2 > cap) return 0;
    buf[n++] = '\n';
    buf[n] = '\0';
    return (size_t)n;
}

const char *ts_netstat_usage(bool arp)
{
    if (arp)
        return "usage: tapstack arp [-n] [-c [N]] [--json] [--ctl PATH]\n"
               "The ARP cache of a running stack: address, hardware address, state, age, packets\n"
               "waiting for an answer. Same as tapstack netstat --arp.\n";
    return "usage: tapstack netstat [--ctl PATH] [-a] [-l] [-t] [-u] [-n] [-s] [-e] [-p] [-c [N]]\n"
           "                        [--history] [--arp] [--json]\n"
           "The sockets of a running stack, laid out as net-tools netstat does.\n"
           "  -a, --all          listening sockets too (default: conversations only)\n"
           "  -l, --listening    listening sockets only\n"
           "  -t, --tcp / -u, --udp   only TCP / only UDP\n"
           "  -n, --numeric      port numbers instead of service names (80, not http)\n"
           "  -s, --statistics   per-protocol counters: packets, drops by reason, retransmissions ...\n"
           "  -e, --extend       each TCP connection's RFC 9293 variables, cwnd, RTT, timers, port groups\n"
           "      --history      each TCP connection's last state changes and what caused them (-e)\n"
           "  -p, --programs     the PID/Program name column\n"
           "  -c, --continuous [N]  again every second (N times; Ctrl-C stops)\n"
           "      --arp          the ARP cache (also: tapstack arp)\n"
           "      --json         the same data as JSON (schema: docs/netstat-json.md)\n"
           "      --ctl PATH     the control socket of tapstack up (default: /run/tapstack/*.sock)\n"
           "Short flags combine: tapstack netstat -tlnp\n";
}
