/*
 * `tapstack fetch`: a stack of its own, as a client. Every URL starts at once, each on its own
 * connection from an ephemeral source port; one line per transfer says its socket pair, size,
 * time and rate; the loop ends when the last transfer does. Exit 1 if any failed.
 *
 * The stack's flags (--tap, --netns, --ip, --gateway, --mac, --mtu, --seed, --ports ...) and the
 * observability flags (--pcap, --trace, --loss ...) are those of `tapstack up` (up_opts.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <net/if.h>

#include "apps/fetch/fetch.h"
#include "cli/cli.h"
#include "cli/netstat_srv.h"
#include "cli/obs_opts.h"
#include "cli/parse.h"
#include "cli/up_opts.h"
#include "driver/clock.h"
#include "driver/ctl.h"
#include "driver/loop.h"
#include "driver/netns.h"
#include "driver/obs.h"
#include "driver/rtnl.h"
#include "driver/signals.h"
#include "driver/tap.h"

#define FETCH_MAX_URLS 4096

/* One URL on the command line and where its body goes. */
struct fetch_item {
    const char *text;
    struct ts_fetch_url url;
    char path[4096];             /* the file under -o DIR; "" when bodies are not saved */
    int fd;
};

struct fetch_cli {
    struct ts_up_opts up;        /* the stack's flags, parsed by up_opts.c */
    const char *outdir;
    struct ts_fetch_opts fo;
    bool quiet;
    struct fetch_item *items;
    unsigned nitems;
};

struct fetch_run {
    struct fetch_cli *c;
    int sig_fd;
    struct ts_netns ns;
    struct ts_tap tap;
    struct ts_stack *stack;
    struct ts_loop *loop;
    struct ts_ctl *ctl;
    struct ts_netstat_srv *netstat;   /* serves netstat and arp on ctl */
    struct ts_obs *obs;
    struct ts_fetch *fetch;
    struct ts_app app;
    unsigned failed;
    char err[256];
};

static void fetch_usage(FILE *out)
{
    fprintf(out,
            "usage: tapstack fetch [FLAGS] URL...\n\n"
            "Fetch every URL at once through a stack of its own: each transfer is its own TCP\n"
            "connection from its own ephemeral source port. URLs are http://ADDR[:PORT]/PATH or\n"
            "ftp://[USER[:PASS]@]ADDR[:PORT]/PATH, with IPv4 addresses (there is no DNS).\n"
            "One line per transfer on stdout: socket pair, URL, bytes, time, rate.\n"
            "Exit status 0 when every transfer succeeded, 1 if any failed (each is said why).\n\n"
            "Fetch's own flags:\n"
            "  -o DIR, --output DIR    save each body as DIR/<last segment of its URL> (default: not saved)\n"
            "  --active                FTP: active mode (PORT); the default is passive (EPSV, else PASV)\n"
            "  --timeout SEC           fail a transfer after SEC seconds without progress (default 30)\n"
            "  --quiet                 no per-transfer lines (failures are still reported)\n\n"
            "The stack's flags are those of tapstack up (defaults here: --tap tap1\n"
            "--ip 10.0.0.3/24 --mac 02:00:00:00:00:03):\n"
            "  --tap NAME --netns NAME --ip ADDR/PREFIX --gateway ADDR --mac MAC --mtu N --ctl PATH\n"
            "  --seed N --ports LOW-HIGH --port-alg NAME --rto-min MS --msl MS, and --pcap FILE,\n"
            "  --trace, --loss P ... (see tapstack up --help)\n\n"
            "Example:\n"
            "  tapstack fetch --tap tapP --ip 192.168.1.5/24 -o /tmp/got http://192.168.1.7/ ftp://192.168.1.7/pub/a.bin\n");
}

/* An app's switch or flag (--http, --no-ftp, --ftp-root ...) makes no sense for fetch. */
static bool is_app_flag(const char *name)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a) continue;
        if (!strcmp(name, a->name) || (!strncmp(name, "no-", 3) && !strcmp(name + 3, a->name))) return true;
        for (const struct ts_cli_flag *f = a->flags; f && f->name; f++)
            if (!strcmp(name, f->name)) return true;
    }
    return false;
}

/* Does the stack's or observability flag --name (written without '=') take the next argument? */
static bool takes_value(const char *name)
{
    static const char *const up_valued[] = { "tap", "ip", "mac", "gateway", "mtu", "netns", "ctl", "seed", "ports",
                                             "port-alg", "msl", "rto-min", "max-conns", "arp-cache" };
    for (size_t i = 0; i < sizeof up_valued / sizeof up_valued[0]; i++)
        if (!strcmp(name, up_valued[i])) return true;
    const struct ts_obs_flag *f = ts_obs_flag_find(name);
    return f && f->arg && !f->optional;
}

/* Fetch's own flag at argv[*i]: 1 taken, 0 not ours, -1 bad (message in err). */
static int own_flag(struct fetch_cli *c, int argc, char **argv, int *i, char *err, size_t n)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    bool is_o = (len == 2 && !strncmp(a, "-o", 2)) || (len == 8 && !strncmp(a, "--output", 8));
    bool is_t = len == 9 && !strncmp(a, "--timeout", 9);
    if (!strcmp(a, "--active")) return c->fo.active = true, 1;
    if (!strcmp(a, "--quiet")) return c->quiet = true, 1;
    if (!is_o && !is_t) return 0;
    const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v || !*v) return snprintf(err, n, "%.*s needs a value", (int)len, a), -1;
    if (is_o) {
        c->outdir = v;
        return 1;
    }
    uint64_t sec;
    if (!ts_parse_uint(v, 1, 86400, &sec))
        return snprintf(err, n, "--timeout '%s': expected seconds from 1 to 86400", v), -1;
    c->fo.timeout = TS_SEC(sec);
    return 1;
}

/* Split argv: fetch's flags, URLs, and the rest for ts_up_parse (after fetch's defaults). */
static int fetch_parse(int argc, char **argv, struct fetch_cli *c, char *err, size_t n)
{
    char **rest = calloc((size_t)argc + 8, sizeof *rest);
    c->items = calloc((size_t)argc, sizeof *c->items);
    if (!rest || !c->items) {
        free(rest);
        return snprintf(err, n, "out of memory"), -1;
    }
    int nr = 0;
    rest[nr++] = argv[0];
    rest[nr++] = "--tap";
    rest[nr++] = "tap1";
    rest[nr++] = "--ip";
    rest[nr++] = "10.0.0.3/24";
    rest[nr++] = "--mac";
    rest[nr++] = "02:00:00:00:00:03";
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a[0] == '-' && a[1] == '-' ? a + 2 : a);
        int own = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) rc = 1;
        else if (a[0] != '-') c->items[c->nitems++].text = a;
        else if ((own = own_flag(c, argc, argv, &i, err, n)) != 0) rc = own < 0 ? -1 : 0;
        else if (is_app_flag(name)) rc = (snprintf(err, n, "--%s belongs to tapstack up: fetch runs no server", name), -1);
        else {
            rest[nr++] = argv[i];
            if (!strchr(a, '=') && takes_value(name) && i + 1 < argc) rest[nr++] = argv[++i];
        }
    }
    if (rc == 0) rc = ts_up_parse(nr, rest, &c->up, err, n);
    free(rest);
    if (rc != 0) return rc;
    if (c->nitems == 0) return snprintf(err, n, "no URL given: tapstack fetch [FLAGS] URL..."), -1;
    if (c->nitems > FETCH_MAX_URLS) return snprintf(err, n, "at most %d URLs at once", FETCH_MAX_URLS), -1;
    for (unsigned i = 0; i < c->nitems; i++)
        if (ts_fetch_url_parse(c->items[i].text, &c->items[i].url, err, n) < 0) return -1;
    return 0;
}

/* ---- saving bodies ---- */

static int sink_write(void *arg, const void *data, size_t len)
{
    struct fetch_item *it = arg;
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(it->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? -errno : -EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Name each body's file (DIR/name, DIR/name.1 ... when names repeat) and create it. */
static int open_outputs(struct fetch_cli *c, char *err, size_t n)
{
    for (unsigned i = 0; i < c->nitems; i++) c->items[i].fd = -1;
    if (!c->outdir) return 0;
    if (mkdir(c->outdir, 0755) < 0 && errno != EEXIST)
        return snprintf(err, n, "cannot create %s: %s", c->outdir, strerror(errno)), -1;
    for (unsigned i = 0; i < c->nitems; i++) {
        struct fetch_item *it = &c->items[i];
        for (unsigned k = 0;; k++) {
            if (k == 0) snprintf(it->path, sizeof it->path, "%s/%s", c->outdir, it->url.name);
            else snprintf(it->path, sizeof it->path, "%s/%s.%u", c->outdir, it->url.name, k);
            bool taken = false;
            for (unsigned j = 0; j < i && !taken; j++) taken = !strcmp(c->items[j].path, it->path);
            if (!taken) break;
        }
        it->fd = open(it->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (it->fd < 0) return snprintf(err, n, "cannot create %.300s: %s", it->path, strerror(errno)), -1;
    }
    return 0;
}

/* ---- reporting ---- */

static void fmt_pair(char *buf, size_t cap, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    char a[16], b[16];
    snprintf(buf, cap, "%s:%u -> %s:%u", ts_ip_str(la, a), lp, ts_ip_str(ra, b), rp);
}

static void on_done(void *arg, const struct ts_fetch_result *r)
{
    struct fetch_run *run = arg;
    struct fetch_item *it = &run->c->items[r->index];
    if (it->fd >= 0) {
        if (close(it->fd) < 0 && r->ok) fprintf(stderr, "tapstack fetch: %s: %s\n", it->path, strerror(errno));
        it->fd = -1;
        if (!r->ok) unlink(it->path);
    }
    char pair[64], data[96] = "", rate[32];
    fmt_pair(pair, sizeof pair, r->laddr, r->lport, r->raddr, r->rport);
    if (r->has_data && r->data_active) {
        char d[64];
        fmt_pair(d, sizeof d, r->data_raddr, r->data_rport, r->data_laddr, r->data_lport);
        snprintf(data, sizeof data, "  (data %s, active)", d);
    } else if (r->has_data) {
        char d[64];
        fmt_pair(d, sizeof d, r->data_laddr, r->data_lport, r->data_raddr, r->data_rport);
        snprintf(data, sizeof data, "  (data %s)", d);
    }
    ts_time_t dt = r->ended - r->started;
    if (!r->ok) run->failed++;
    if (run->c->quiet && r->ok) goto out;
    if (r->ok)
        printf("%-44s %s  %llu bytes  %.3f s  %s%s\n", pair, r->url, (unsigned long long)r->bytes, (double)dt / 1e6,
               ts_fetch_fmt_rate(r->bytes, dt, rate, sizeof rate), data);
    else
        printf("%-44s %s  FAILED after %.3f s: %s\n", pair, r->url, (double)dt / 1e6, r->why);
    if (!r->ok) fprintf(stderr, "tapstack fetch: %s failed: %s\n", r->url, r->why);
    fflush(stdout);
out:
    if (run->fetch && run->loop && ts_fetch_pending(run->fetch) == 0) ts_loop_stop(run->loop, 0);
}

/* ---- the stack ---- */

/* --netns: lo and the TAP up, the kernel side's address (as tapstack up does). */
static int kernel_side(struct fetch_run *r)
{
    const struct ts_config *c = &r->c->up.cfg;
    int fd = ts_rtnl_open();
    if (fd < 0) return snprintf(r->err, sizeof r->err, "cannot open rtnetlink: %s", strerror(-fd)), -1;
    unsigned lo = if_nametoindex("lo");
    int e = lo ? ts_rtnl_link_set(fd, lo, true, 0, 0) : 0;
    if (e == 0) e = ts_rtnl_link_set(fd, r->tap.ifindex, true, c->mtu ? c->mtu : 1500, 0);
    if (e == 0) {
        e = ts_rtnl_addr_add(fd, r->tap.ifindex, ts_up_peer_ip(c), c->prefix_len);
        if (e == -EEXIST) e = 0;
    }
    close(fd);
    if (e < 0) return snprintf(r->err, sizeof r->err, "cannot configure %s: %s", r->tap.name, strerror(-e)), -1;
    return 0;
}

static int make_stack(struct fetch_run *r)
{
    struct ts_config cfg = r->c->up.cfg;
    ts_up_pick_seed(&r->c->up, &cfg);
    r->obs = ts_obs_new(&r->c->up.obs, &cfg, r->err, sizeof r->err);
    if (!r->obs && r->err[0]) return -1;
    if (ts_obs_stack_new(&cfg, r->obs, &r->stack, r->err, sizeof r->err) < 0) return -1;
    struct ts_loop_cfg lc = { .tap_fd = r->tap.fd, .sig_fd = r->sig_fd,
                              .frame_cap = ts_stack_config(r->stack)->mtu + 18u, .obs = r->obs,
                              .busy_poll_us = r->c->up.busy_poll_us };
    r->loop = ts_loop_new(&lc, r->err, sizeof r->err);
    return r->loop ? 0 : -1;
}

/* The control socket, so that `tapstack netstat` sees the transfers: --ctl must work, the
 * default (/run/tapstack/<tap>.sock) is best effort and silent. */
static int open_ctl(struct fetch_run *r)
{
    char path[128], why[256];
    if (r->c->up.ctl) snprintf(path, sizeof path, "%s", r->c->up.ctl);
    else ts_ctl_default_path(NULL, r->tap.name, path, sizeof path);
    r->ctl = ts_ctl_open(path, r->stack, why, sizeof why);
    if (!r->ctl) {
        if (r->c->up.ctl) return snprintf(r->err, sizeof r->err, "%s", why), -1;
        return 0;
    }
    r->netstat = ts_netstat_srv_start(r->stack, r->tap.name, NULL, 0, r->ctl);
    struct ts_loop_watch w = { .fd = ts_ctl_fd(r->ctl), .ready = ts_ctl_ready, .arg = r->ctl };
    ts_loop_watch(r->loop, &w);
    return 0;
}

static int setup(struct fetch_run *r)
{
    const struct ts_up_opts *o = &r->c->up;
    if (o->netns && ts_netns_enter(&r->ns, o->netns, r->err, sizeof r->err) < 0) return -1;
    if (ts_tap_open(&r->tap, o->tap, r->err, sizeof r->err) < 0) return -1;
    if (o->netns && kernel_side(r) < 0) return -1;
    if (!o->netns && r->tap.created)
        fprintf(stderr, "tapstack fetch: created %s, which nothing configures: use --netns, or a TAP that is "
                        "up and bridged (ip tuntap add ... mode tap)\n", r->tap.name);
    if (make_stack(r) < 0 || open_ctl(r) < 0) return -1;
    r->c->fo.done = on_done;
    r->c->fo.done_arg = r;
    r->fetch = ts_fetch_new(r->stack, &r->c->fo);
    if (!r->fetch) return snprintf(r->err, sizeof r->err, "out of memory"), -1;
    ts_fetch_app(r->fetch, &r->app);
    return 0;
}

/* Start every transfer and run until the last one ends (or a signal). */
static int run_transfers(struct fetch_run *r)
{
    ts_time_t now = ts_clock_now();
    for (unsigned i = 0; i < r->c->nitems; i++) {
        struct fetch_item *it = &r->c->items[i];
        struct ts_fetch_sink sink = { it->fd >= 0 ? sink_write : NULL, it };
        if (ts_fetch_add(r->fetch, now, it->text, &it->url, &sink) < 0) continue;
        if (!r->c->quiet) {
            const struct ts_fetch_result *res = ts_fetch_result(r->fetch, i);
            char pair[64];
            fmt_pair(pair, sizeof pair, res->laddr, res->lport, res->raddr, res->rport);
            fprintf(stderr, "tapstack fetch: %-44s %s  SYN_SENT\n", pair, it->text);
        }
    }
    if (ts_fetch_pending(r->fetch) == 0) return 0;
    ts_stack_dispatch(r->stack, now);
    int how = ts_loop_run(r->loop, r->stack, &r->app, 1);
    if (how > 0) fprintf(stderr, "tapstack fetch: stopped (%s)\n", strsignal(how));
    return how;
}

static void teardown(struct fetch_run *r)
{
    ts_time_t now = ts_clock_now();
    if (r->fetch) ts_fetch_free(r->fetch, now);   /* reports what is unfinished as failed */
    r->fetch = NULL;
    if (r->stack && r->loop) {
        /* the process ends: the servers must not wait for us (a FIN of theirs our last ACK
         * missed would be sent again, for minutes, to a TAP nobody reads) */
        ts_stack_shutdown(r->stack, now);
        ts_stack_dispatch(r->stack, now);
        ts_loop_flush(r->loop, r->stack, now, TS_MS(200));
    }
    ts_ctl_close(r->ctl);
    ts_netstat_srv_stop(r->netstat);   /* after the control socket: its commands point into it */
    ts_loop_free(r->loop);
    ts_stack_free(r->stack);
    ts_obs_free(r->obs, stderr);
    ts_tap_close(&r->tap);
    ts_netns_leave(&r->ns);
    if (r->sig_fd >= 0) close(r->sig_fd);
}

int ts_cmd_fetch(int argc, char **argv)
{
    struct fetch_cli c;
    memset(&c, 0, sizeof c);
    char err[512] = "";
    int p = fetch_parse(argc, argv, &c, err, sizeof err);
    if (p == 0 && open_outputs(&c, err, sizeof err) < 0) p = -2;
    if (p != 0) {
        if (p == 1) fetch_usage(stdout);
        else fprintf(stderr, "tapstack fetch: %s\n%s", err, p == -1 ? "(see tapstack fetch --help)\n" : "");
        for (unsigned i = 0; c.items && i < c.nitems; i++)
            if (c.items[i].fd > 0) close(c.items[i].fd);
        ts_up_opts_free(&c.up);
        free(c.items);
        return p == 1 ? TS_EXIT_OK : p == -1 ? TS_EXIT_USAGE : TS_EXIT_FAIL;
    }
    struct fetch_run r;
    memset(&r, 0, sizeof r);
    r.c = &c;
    r.tap.fd = -1;
    r.sig_fd = ts_signals_open();
    int rc = TS_EXIT_OK;
    if (r.sig_fd < 0) {
        snprintf(r.err, sizeof r.err, "cannot set up signal handling: %s", strerror(-r.sig_fd));
        rc = TS_EXIT_FAIL;
    } else if (setup(&r) < 0 || run_transfers(&r) < 0) {
        rc = TS_EXIT_FAIL;
    }
    if (rc != TS_EXIT_OK && r.err[0]) fprintf(stderr, "tapstack fetch: %s\n", r.err);
    struct ts_fetch *f = r.fetch;
    unsigned total = f ? ts_fetch_count(f) : 0;
    teardown(&r);
    if (r.failed) {
        fprintf(stderr, "tapstack fetch: %u of %u transfers failed\n", r.failed, total);
        rc = TS_EXIT_FAIL;
    }
    for (unsigned i = 0; i < c.nitems; i++)
        if (c.items[i].fd >= 0) close(c.items[i].fd);
    ts_up_opts_free(&c.up);
    free(c.items);
    return rc;
}
