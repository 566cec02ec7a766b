/* Parsing the flags of `tapstack up` (see up_opts.h). */
#include "tapstack/socket.h"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli/obs_opts.h"
#include "cli/parse.h"
#include "cli/up_opts.h"
#include "driver/clock.h"
#include "driver/loop.h"
#include "driver/netns.h"

/* ---- the stack's own flags ---- */

struct up_flag {
    const char *name;     /* without "--" */
    const char *arg;      /* NULL for a switch */
    const char *help;
    int (*set)(struct ts_up_opts *o, const char *v, char *err, size_t n);
};

#define BAD(...) (snprintf(err, n, __VA_ARGS__), -1)

static int set_tap(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    size_t len = strlen(v);
    if (len == 0 || len > 15 || strchr(v, '/') || strchr(v, ' ') || strchr(v, ':'))
        return BAD("--tap '%s': an interface name is 1-15 characters without '/', ':' or spaces", v);
    o->tap = v;
    return 0;
}

static int set_ip(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!ts_parse_ip_prefix(v, &o->cfg.ip, &o->cfg.prefix_len))
        return BAD("--ip '%s': expected ADDRESS/PREFIX such as 10.0.0.2/24", v);
    return 0;
}

static int set_mac(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint8_t m[6];
    if (!ts_parse_mac(v, m)) return BAD("--mac '%s': expected six hex pairs such as 02:00:00:00:00:02", v);
    if (m[0] & 1) return BAD("--mac %s is a multicast address: clear the lowest bit of the first byte (e.g. 02:...)", v);
    if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) return BAD("--mac 00:00:00:00:00:00 is not usable: pick e.g. 02:00:00:00:00:02");
    memcpy(o->cfg.mac, m, 6);
    return 0;
}

static int set_gateway(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!ts_ip_parse(v, &o->cfg.gateway)) return BAD("--gateway '%s': expected an IPv4 address such as 10.0.0.1", v);
    return 0;
}

static int set_mtu(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 576, 9000, &x)) return BAD("--mtu '%s': expected a number from 576 to 9000", v);
    o->cfg.mtu = (uint16_t)x;
    return 0;
}

static int set_ctl(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!*v || strlen(v) > 100) return BAD("--ctl '%s': expected a socket path of 1-100 characters", v);
    o->ctl = v;
    return 0;
}

static int set_netns(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!ts_netns_name_ok(v)) return BAD("--netns '%s': a name is 1-64 letters, digits, '.', '_' or '-'", v);
    o->netns = v;
    return 0;
}

static int set_seed(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 0, UINT64_MAX, &x)) return BAD("--seed '%s': expected a decimal number (0 to 2^64-1)", v);
    o->cfg.seed = x;
    o->seed_set = true;
    return 0;
}

static int set_ports(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!ts_parse_port_range(v, &o->cfg.port_low, &o->cfg.port_high))
        return BAD("--ports '%s': expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535, such as 49152-65535", v);
    return 0;
}

static const struct { const char *name; enum ts_port_alg alg; } port_algs[] = {
    { "double-hash", TS_PORT_ALG_DOUBLE_HASH },
    { "simple-hash", TS_PORT_ALG_SIMPLE_HASH },
    { "random", TS_PORT_ALG_RANDOM },
    { "sequential", TS_PORT_ALG_SEQUENTIAL },
};

static int set_port_alg(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    for (size_t i = 0; i < sizeof port_algs / sizeof port_algs[0]; i++) {
        if (strcmp(v, port_algs[i].name) == 0) {
            o->cfg.port_alg = port_algs[i].alg;
            return 0;
        }
    }
    return BAD("--port-alg '%s': expected double-hash, simple-hash, random or sequential", v);
}

static int set_msl(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 600000, &x)) return BAD("--msl '%s': expected milliseconds from 1 to 600000", v);
    o->cfg.tcp_msl = TS_MS(x);
    return 0;
}

static int set_rto_min(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 60000, &x)) return BAD("--rto-min '%s': expected milliseconds from 1 to 60000", v);
    o->cfg.tcp_rto_min = TS_MS(x);
    return 0;
}

static int set_cc(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    if (!ts_tcp_cc_known(v)) return BAD("--cc '%s': expected one of %s", v, ts_tcp_cc_names());
    o->cfg.tcp_cc = v;
    return 0;
}

static int set_max_conns(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 1000000, &x)) return BAD("--max-conns '%s': expected a number from 1 to 1000000", v);
    o->cfg.tcp_max_conns = (unsigned)x;
    return 0;
}

static int set_arp_cache(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 65536, &x)) return BAD("--arp-cache '%s': expected a number of entries from 1 to 65536", v);
    o->cfg.arp_cache_size = (unsigned)x;
    return 0;
}

static int set_no_timestamps(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    (void)v; (void)err; (void)n;
    o->cfg.tcp_no_timestamps = true;
    return 0;
}

static int set_hints(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->hints = true;
    return 0;
}

static int set_no_offload(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->no_offload = true;
    return 0;
}

static int set_busy_poll(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 0, TS_LOOP_BUSY_POLL_MAX_US, &x))
        return BAD("--busy-poll '%s': expected microseconds from 0 (sleep at once) to %u", v, TS_LOOP_BUSY_POLL_MAX_US);
    o->busy_poll_us = (unsigned)x;
    return 0;
}

static int set_no_tso(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->no_tso = true;
    return 0;
}

bool ts_up_offload_wanted(const struct ts_up_opts *o)
{
    return !o->no_offload && !ts_fault_cfg_active(&o->obs.fault[0]) && !ts_fault_cfg_active(&o->obs.fault[1]);
}

/* RFC 793's behaviour beside RFC 5961's (and FreeBSD's drop_synfin): see struct ts_config. */
static int set_insecure_rst(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->cfg.tcp_insecure_rst = true;
    return 0;
}

static int set_insecure_syn(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->cfg.tcp_insecure_syn = true;
    return 0;
}

static int set_drop_synfin(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->cfg.tcp_drop_synfin = true;
    return 0;
}

static int set_rfc1337(struct ts_up_opts *o, const char *v, char *err, size_t n)
{
    o->cfg.tcp_rfc1337 = true;
    return 0;
}

static const struct up_flag up_flags[] = {
    { "tap", "NAME", "TAP interface to attach to or create (default tap0)", set_tap },
    { "ip", "ADDR/PREFIX", "the stack's address and prefix (default 10.0.0.2/24)", set_ip },
    { "mac", "MAC", "the stack's Ethernet address (default 02:00:00:00:00:02)", set_mac },
    { "gateway", "ADDR", "next hop for off-link destinations (default none)", set_gateway },
    { "mtu", "N", "IP MTU, 576-9000 (default 1500); with --netns also the kernel side's", set_mtu },
    { "netns", "NAME", "create (or join) network namespace NAME, make the TAP inside it and give the\n"
      "                          kernel side the first host address of the prefix (10.0.0.1/24)", set_netns },
    { "ctl", "PATH", "control socket for `tapstack netstat` and `tapstack arp`", set_ctl },
    { "seed", "N", "seed for all randomness: ISNs, ports, IP IDs (default random)", set_seed },
    { "ports", "LOW-HIGH", "ephemeral port range (default 49152-65535)", set_ports },
    { "port-alg", "NAME", "RFC 6056 port selection: double-hash (default), simple-hash, random, sequential", set_port_alg },
    { "msl", "MS", "TCP maximum segment lifetime; TIME_WAIT lasts 2*MSL (default 30000)", set_msl },
    { "rto-min", "MS", "TCP minimum retransmission timeout (default 200)", set_rto_min },
    { "cc", "NAME", "TCP congestion controller: cubic (RFC 9438 with HyStart++, default), newreno or bbr", set_cc },
    { "max-conns", "N", "most TCP connections at once (default 65536)", set_max_conns },
    { "no-timestamps", NULL, "TCP without RFC 7323 timestamps (default: offered and accepted)", set_no_timestamps },
    { "arp-cache", "N", "ARP cache entries (default 256)", set_arp_cache },
    { "insecure-rst", NULL, "RFC 793's RST check: any RST in the window resets (default: RFC 5961 §3)", set_insecure_rst },
    { "insecure-syn", NULL, "RFC 793's SYN check: an in-window SYN resets (default: RFC 5961 §4 challenge ACK)", set_insecure_syn },
    { "drop-synfin", NULL, "drop SYN+FIN segments that would open a connection (default: process the SYN)", set_drop_synfin },
    { "rfc1337", NULL, "ignore a RST in TIME_WAIT, RFC 1337's protection (default: it closes, RFC 9293)", set_rfc1337 },
    { "hints", NULL, "once up, print what to try (ping, curl ...) to stderr", set_hints },
    { "no-offload", NULL, "plain frames on the TAP: no checksum offload, no 64 KB segments (TSO)\n"
      "                          (default: on when the kernel has them; off with --loss and other faults)", set_no_offload },
    { "no-tso", NULL, "checksum offload on the TAP but no 64 KB segments: every frame one MSS at most,\n"
      "                          as a link with TSO off and checksumming on (default: TSO with the offloads)", set_no_tso },
    { "busy-poll", "US", "after a frame arrives, wait awake up to US µs for the next before sleeping, yielding\n"
      "                          the CPU between looks, as Linux's busy_read; 50 is typical (default 0: sleep at\n"
      "                          once; super-segments are always watched for 30 µs)", set_busy_poll },
};
#define N_UP_FLAGS (sizeof up_flags / sizeof up_flags[0])

/* ---- usage ---- */

static void print_flag(FILE *out, const char *name, const char *arg, const char *help)
{
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
    if (strlen(left) < 24) fprintf(out, "  %-24s%s\n", left, help);
    else fprintf(out, "  %s\n  %-24s%s\n", left, "", help);   /* too long for the column */
}

void ts_up_usage(FILE *out)
{
    fprintf(out, "usage: tapstack up [FLAGS]\n\n"
                 "Run the stack on a TAP until SIGINT or SIGTERM. Prints one line to stdout once it\n"
                 "is up; logs go to stderr. Flags take their value as --flag VALUE or --flag=VALUE.\n\n");
    for (size_t i = 0; i < N_UP_FLAGS; i++) print_flag(out, up_flags[i].name, up_flags[i].arg, up_flags[i].help);
    print_flag(out, "help", NULL, "this text");
    bool any = false;
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a) continue;
        if (!any) fprintf(out, "\nApplications (each has --NAME and --no-NAME):\n");
        any = true;
        char line[160];
        snprintf(line, sizeof line, "%s (default %s)", a->summary ? a->summary : "", a->default_on ? "on" : "off");
        char onoff[48];
        snprintf(onoff, sizeof onoff, "%s, --no-%s", a->name, a->name);
        print_flag(out, onoff, NULL, line);
        for (const struct ts_cli_flag *f = a->flags; f && f->name; f++) print_flag(out, f->name, f->arg, f->help);
    }
    ts_obs_usage(out);
    fprintf(out, "\nExamples:\n"
                 "  tapstack up --netns tapstack          # then: ip netns exec tapstack ping 10.0.0.2\n"
                 "  tapstack up --tap tap1 --ip 192.168.7.2/24 --gateway 192.168.7.1\n");
}

/* ---- parsing ---- */

static void opts_defaults(struct ts_up_opts *o)
{
    memset(o, 0, sizeof *o);
    ts_config_default(&o->cfg);
    o->tap = "tap0";
}

/* Allocate and fill each app's options with its defaults. */
static int apps_defaults(struct ts_up_opts *o, char *err, size_t n)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a) continue;
        o->app_on[i] = a->default_on;
        if (!a->opts_size) continue;
        o->app_opts[i] = calloc(1, a->opts_size);
        if (!o->app_opts[i]) return BAD("out of memory");
        if (a->defaults) a->defaults(o->app_opts[i]);
    }
    return 0;
}

/* What a flag name refers to. */
struct flag_ref {
    const struct up_flag *core;         /* one of up_flags */
    const struct ts_cli_flag *app_flag; /* an app's flag */
    int app;                            /* its app's slot, or for --NAME/--no-NAME */
    int app_switch;                     /* 1: --NAME, 0: --no-NAME, -1: neither */
};

static bool find_flag(const char *name, struct flag_ref *r)
{
    memset(r, 0, sizeof *r);
    r->app = -1;
    r->app_switch = -1;
    for (size_t i = 0; i < N_UP_FLAGS; i++) {
        if (strcmp(name, up_flags[i].name) == 0) {
            r->core = &up_flags[i];
            return true;
        }
    }
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a) continue;
        r->app = (int)i;
        /* An app's own flag may take its name (--http PORT): it also switches the app on. */
        for (const struct ts_cli_flag *f = a->flags; f && f->name; f++) {
            if (strcmp(name, f->name) == 0) { r->app_flag = f; return true; }
        }
        if (strcmp(name, a->name) == 0) { r->app_switch = 1; return true; }
        if (strncmp(name, "no-", 3) == 0 && strcmp(name + 3, a->name) == 0) { r->app_switch = 0; return true; }
    }
    return false;
}

/* Apply one flag; *i is moved past a value taken from the next argument. */
static int apply_flag(int argc, char **argv, int *i, struct ts_up_opts *o, char *err, size_t n)
{
    const char *arg = argv[*i];
    char name[64];
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) - 2 : strlen(arg) - 2;
    if (len == 0 || len >= sizeof name) return BAD("unknown flag '%s'", arg);
    memcpy(name, arg + 2, len);
    name[len] = '\0';
    struct flag_ref r;
    if (!find_flag(name, &r)) {
        int rc = ts_obs_flag_apply(&o->obs, name, eq ? eq + 1 : NULL, argc, argv, i, err, n);
        return rc <= 0 ? rc : BAD("unknown flag --%s", name);
    }
    const char *want = r.core ? r.core->arg : r.app_flag ? r.app_flag->arg : NULL;
    const char *value = NULL;
    /* --http alone (end of the line, or another flag next) is the switch, not --http PORT. */
    bool named_like_app = r.app_flag && strcmp(r.app_flag->name, ts_cli_app_at((unsigned)r.app)->name) == 0;
    if (named_like_app && !eq && (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)) {
        o->app_on[r.app] = true;
        return 0;
    }
    if (want) {
        if (eq) value = eq + 1;
        else if (*i + 1 < argc) value = argv[++*i];
        else return BAD("--%s needs a value (%s)", name, want);
    } else if (eq) {
        return BAD("--%s takes no value; write just --%s", name, name);
    }
    if (r.core) return r.core->set(o, value, err, n);
    if (r.app_switch >= 0) {
        o->app_on[r.app] = r.app_switch == 1;
        return 0;
    }
    if (named_like_app) o->app_on[r.app] = true;
    return r.app_flag->set(o->app_opts[r.app], value, err, n);
}

/* Checks across flags, once all are read. */
static int check_opts(const struct ts_up_opts *o, char *err, size_t n)
{
    const struct ts_config *c = &o->cfg;
    uint32_t mask = ts_prefix_mask(c->prefix_len);
    char a[16], b[16];
    if (c->prefix_len <= 30 && ((c->ip & ~mask) == 0 || (c->ip & ~mask) == ~mask))
        return BAD("--ip %s/%u is the network or broadcast address of its prefix: pick a host address",
                   ts_ip_str(c->ip, a), c->prefix_len);
    if (o->netns && c->prefix_len > 30)
        return BAD("--netns needs room for the kernel side's address: use a prefix of /30 or shorter in --ip");
    if (c->gateway && ((c->gateway ^ c->ip) & mask))
        return BAD("--gateway %s is not on %s/%u: pick an address inside the --ip prefix",
                   ts_ip_str(c->gateway, a), ts_ip_str(c->ip, b), c->prefix_len);
    if (c->gateway && c->gateway == c->ip)
        return BAD("--gateway %s is the stack's own address: pick another host", ts_ip_str(c->gateway, a));
    return 0;
}

int ts_up_parse(int argc, char **argv, struct ts_up_opts *o, char *err, size_t n)
{
    opts_defaults(o);
    if (apps_defaults(o, err, n) < 0) return -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return 1;
        if (strncmp(arg, "--", 2) != 0) return BAD("unexpected argument '%s': every setting is a --flag", arg);
        if (apply_flag(argc, argv, &i, o, err, n) < 0) return -1;
    }
    return check_opts(o, err, n);
}

void ts_up_opts_free(struct ts_up_opts *o)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        free(o->app_opts[i]);
        o->app_opts[i] = NULL;
    }
}

void ts_up_pick_seed(const struct ts_up_opts *o, struct ts_config *cfg)
{
    if (!o->seed_set && getrandom(&cfg->seed, sizeof cfg->seed, 0) != (ssize_t)sizeof cfg->seed)
        cfg->seed = ts_clock_now() ^ ((uint64_t)getpid() << 32);
}

uint32_t ts_up_peer_ip(const struct ts_config *cfg)
{
    uint32_t net = cfg->ip & ts_prefix_mask(cfg->prefix_len);
    return net + 1 == cfg->ip ? net + 2 : net + 1;
}
