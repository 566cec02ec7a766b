/*
 * `tapstack up`: set up the namespace, the TAP and the kernel side, create the stack, start the
 * applications, announce readiness, run the io_uring loop until a stop signal, tear it all down.
 *
 * The applications are not named here: they come from the table in apps_table.c (one file per
 * app, stack/cli/app_<name>.c), so adding one does not touch this file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "cli/cli.h"
#include "cli/malloc_policy.h"
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

/* --netns: the TAP's queue towards tapstack, in frames (the kernel's default for a TAP is 500).
 * The kernel drops a frame for the TAP when it is full: a flood of 2,000 SYNs at once (issue 25)
 * overflowed 500 while tapstack waited for a CPU on a loaded machine, and a real client's SYN
 * among them waited for its retransmission (1 s, then 3 s). A NIC's receive ring plus the
 * kernel's backlog is of this order; the frames are small, the memory is the kernel's. */
#define TS_UP_TAP_QUEUE 8192

/* Everything one run creates, so that teardown can undo exactly that. */
struct up_run {
    const struct ts_up_opts *o;
    int sig_fd;
    struct ts_netns ns;
    struct ts_tap tap;
    struct ts_stack *stack;
    struct ts_loop *loop;
    struct ts_ctl *ctl;
    ts_time_t started;
    struct ts_obs *obs;         /* --pcap, --trace, --loss ...; NULL when none */
    struct ts_app apps[TS_CLI_APPS_MAX + 1];   /* the apps, then the heap trimmer (not an app) */
    unsigned app_slot[TS_CLI_APPS_MAX];   /* apps[i] came from ts_cli_app_at(app_slot[i]) */
    unsigned napps;
    struct ts_netstat_srv *netstat;   /* /netstat on the HTTP app (cli/netstat_srv.h) */
    struct ts_malloc_trimmer trim;    /* gives the heap's free pages back after a burst */
    char err[256];
};

/* --netns: bring up lo and the TAP, set the TAP's MTU, give the kernel side its address. */
static int up_kernel_side(struct up_run *r)
{
    const struct ts_config *c = &r->o->cfg;
    int fd = ts_rtnl_open();
    if (fd < 0) {
        snprintf(r->err, sizeof r->err, "cannot open rtnetlink: %s", strerror(-fd));
        return -1;
    }
    unsigned lo = if_nametoindex("lo");
    int e = lo ? ts_rtnl_link_set(fd, lo, true, 0, 0) : 0;
    if (e == 0) e = ts_rtnl_link_set(fd, r->tap.ifindex, true, c->mtu ? c->mtu : 1500, TS_UP_TAP_QUEUE);
    uint32_t peer = ts_up_peer_ip(c);
    if (e == 0) {
        e = ts_rtnl_addr_add(fd, r->tap.ifindex, peer, c->prefix_len);
        if (e == -EEXIST) e = 0;
    }
    close(fd);
    if (e < 0) {
        char a[16];
        snprintf(r->err, sizeof r->err, "cannot configure %s (up, mtu, %s/%u) in namespace %s: %s",
                 r->tap.name, ts_ip_str(peer, a), c->prefix_len, r->o->netns, strerror(-e));
        return -1;
    }
    return 0;
}

/* The loop's before_wait: the log lines of the batch (one per HTTP request, FTP command ...) go
 * out in one write before its frames are submitted, instead of one write each. */
static void flush_log(void *arg)
{
    (void)arg;
    fflush(stderr);
}

static int up_stack(struct up_run *r)
{
    struct ts_config cfg = r->o->cfg;
    if (r->tap.vnet)                     /* the TAP finishes what we leave */
        cfg.offload = TS_OFFLOAD_CSUM | (r->o->no_tso ? 0 : TS_OFFLOAD_TSO);
    ts_up_pick_seed(r->o, &cfg);
    struct ts_obs_opts oo = r->o->obs;
    oo.record = true;      /* the pictures on /conn/PAIR/seq.svg: a bounded record, always kept */
    r->obs = ts_obs_new(&oo, &cfg, r->err, sizeof r->err);
    if (!r->obs && r->err[0]) return -1;
    if (ts_obs_opts_active(&r->o->obs) && !r->o->seed_set)
        fprintf(stderr, "tapstack: seed %llu (give --seed %llu to reproduce, e.g. to tapstack replay)\n",
                (unsigned long long)cfg.seed, (unsigned long long)cfg.seed);
    if (ts_obs_stack_new(&cfg, r->obs, &r->stack, r->err, sizeof r->err) < 0) return -1;
    size_t mtu = ts_stack_config(r->stack)->mtu;
    struct ts_loop_cfg lc = { .tap_fd = r->tap.fd, .sig_fd = r->sig_fd, .frame_cap = mtu + 18, .obs = r->obs,
                              .vnet = r->tap.vnet, .busy_poll_us = r->o->busy_poll_us, .before_wait = flush_log };
    if (r->tap.vnet) lc.frame_cap = TS_FRAME_MAX_GSO + 4;   /* 64 KB segments both ways */
    lc.rx_plain = getenv("TAPSTACK_RX_PLAIN") != NULL;   /* for comparing the two receive paths */
    r->loop = ts_loop_new(&lc, r->err, sizeof r->err);
    return r->loop ? 0 : -1;
}

/* What `tapstack status` prints besides the address. */
static void up_status(void *arg, FILE *out)
{
    const struct up_run *r = arg;
    const struct ts_loop_stats *st = ts_loop_stats(r->loop);
    fprintf(out, "tap %s%s%s, up %llu s, %u apps\n", r->tap.name, r->o->netns ? " netns " : "",
            r->o->netns ? r->o->netns : "", (unsigned long long)((ts_clock_now() - r->started) / 1000000u), r->napps);
    fprintf(out, "frames in %llu (%llu bytes), out %llu (%llu bytes)\n", (unsigned long long)st->rx_frames,
            (unsigned long long)st->rx_bytes, (unsigned long long)st->tx_frames, (unsigned long long)st->tx_bytes);
    fprintf(out, "receive: %s into %u buffers, re-armed %llu times; awake for the next frame %llu times, "
            "%llu of them in vain (--busy-poll %u)\n", st->rx_multishot ? "one multishot read" : "plain reads", st->rx_buffers,
            (unsigned long long)st->rx_rearms, (unsigned long long)(st->rx_spin_hits + st->rx_spin_misses),
            (unsigned long long)st->rx_spin_misses, r->o->busy_poll_us);
    if (r->tap.vnet)
        fprintf(out, "offloads: virtio-net header; the kernel may send us%s%s; super-segments in %llu, out %llu\n",
                (r->tap.rx_offload & 1) ? " partial checksums" : " nothing", (r->tap.rx_offload & 2) ? " and TSO4" : "",
                (unsigned long long)st->rx_gso, (unsigned long long)st->tx_gso);
    else
        fprintf(out, "offloads: off (plain frames)\n");
    fprintf(out, "read errors %llu, write errors %llu, write buffers exhausted %llu, ring waits %llu\n",
            (unsigned long long)st->rx_errors, (unsigned long long)st->tx_errors, (unsigned long long)st->tx_full,
            (unsigned long long)st->waits);
}

/* The control socket: --ctl PATH must work; the default path is best effort. */
static int up_ctl(struct up_run *r)
{
    char path[128], why[256];
    if (r->o->ctl) snprintf(path, sizeof path, "%s", r->o->ctl);
    else ts_ctl_default_path(r->o->netns, r->tap.name, path, sizeof path);
    r->ctl = ts_ctl_open(path, r->stack, why, sizeof why);
    if (!r->ctl) {
        if (r->o->ctl) {
            snprintf(r->err, sizeof r->err, "%s", why);
            return -1;
        }
        fprintf(stderr, "tapstack: no control socket (%s); status/netstat/arp will not reach this stack\n", why);
        return 0;
    }
    ts_ctl_set_status(r->ctl, up_status, r);
    struct ts_loop_watch w = { .fd = ts_ctl_fd(r->ctl), .ready = ts_ctl_ready, .arg = r->ctl };
    ts_loop_watch(r->loop, &w);
    return 0;
}

/* Start every app that is switched on, in table order. */
static int up_apps(struct up_run *r, ts_time_t now)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a || !r->o->app_on[i] || !a->start) continue;
        struct ts_app *out = &r->apps[r->napps];
        memset(out, 0, sizeof *out);
        char why[200] = "";
        if (a->start(r->stack, now, r->o->app_opts[i], out, why, sizeof why) < 0) {
            snprintf(r->err, sizeof r->err, "cannot start %s: %s (switch it off with --no-%s)", a->name,
                     why[0] ? why : "unknown error", a->name);
            return -1;
        }
        if (!out->name) out->name = a->name;
        r->app_slot[r->napps++] = i;
    }
    return 0;
}

static int up_setup(struct up_run *r)
{
    const struct ts_up_opts *o = r->o;
    if (o->netns && ts_netns_enter(&r->ns, o->netns, r->err, sizeof r->err) < 0) return -1;
    if ((ts_up_offload_wanted(o) ? ts_tap_open_offload : ts_tap_open)(&r->tap, o->tap, r->err, sizeof r->err) < 0) return -1;
    if (o->netns && up_kernel_side(r) < 0) return -1;
    if (!o->netns && r->tap.created)
        fprintf(stderr, "tapstack: created %s; it is not configured: bring it up and give it an address "
                        "yourself, or use --netns\n", r->tap.name);
    if (up_stack(r) < 0 || up_ctl(r) < 0) return -1;
    r->started = ts_clock_now();
    if (up_apps(r, r->started) < 0) return -1;
    r->netstat = ts_netstat_srv_start(r->stack, r->tap.name, r->apps, r->napps, r->ctl);
    ts_netstat_srv_set_clock_record(r->netstat, ts_obs_record(r->obs), ts_clock_wall_offset(), ts_clock_tz_offset());
    return 0;
}

static void up_ready(const struct up_run *r)
{
    const struct ts_config *c = ts_stack_config(r->stack);
    char ip[16], mac[18];
    printf("tapstack: up on %s %s/%u mac %s", r->tap.name, ts_ip_str(c->ip, ip), c->prefix_len,
           ts_format_mac(c->mac, mac));
    if (r->o->netns) printf(" (netns %s)", r->o->netns);
    printf("\n");
    fflush(stdout);
    if (!r->o->hints) return;
    const char *ns = r->o->netns;
    fprintf(stderr, "tapstack: try%s:\n", ns ? " (from another shell)" : "");
    fprintf(stderr, "  %s%s%sping %s\n", ns ? "ip netns exec " : "", ns ? ns : "", ns ? " " : "", ip);
    for (unsigned i = 0; i < r->napps; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(r->app_slot[i]);
        if (!a || !a->hint) continue;
        char cmd[200];
        snprintf(cmd, sizeof cmd, a->hint, ip);
        if (!ns) fprintf(stderr, "  %s\n", cmd);
        else if (strchr(cmd, '|')) fprintf(stderr, "  ip netns exec %s sh -c '%s'\n", ns, cmd);
        else fprintf(stderr, "  ip netns exec %s %s\n", ns, cmd);
    }
    if (r->ctl) {
        /* the command as this binary is found, so the line works when pasted */
        char exe[256];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        const char *me = "tapstack";
        if (n > 0) { exe[n] = '\0'; me = exe; }
        char path[128];
        if (r->o->ctl) snprintf(path, sizeof path, "%s", r->o->ctl);
        else ts_ctl_default_path(r->o->netns, r->tap.name, path, sizeof path);
        fprintf(stderr, "  %s netstat -a --ctl %s\n", me, path);
        fprintf(stderr, "  %s status%s%s\n", me, ns ? " --netns " : "", ns ? ns : "");
    }
    fprintf(stderr, "  (Ctrl-C stops it)\n");
}

/* Undo what up_setup did, in reverse: stop the apps, reset what is left, send the last frames,
 * free the stack. The apps abort the connections they hold; those they had closed already
 * (a response still draining, a FIN not yet acknowledged, TIME_WAIT) have no app: like a host
 * that forgets them, tapstack resets them (ts_stack_shutdown), so that no client waits on a
 * window that will never open and no peer resends its FIN for minutes to a TAP nobody reads. */
static void up_teardown(struct up_run *r)
{
    ts_time_t now = ts_clock_now();
    for (unsigned i = r->napps; i-- > 0;)
        if (r->apps[i].stop) r->apps[i].stop(r->apps[i].ctx, now);
    if (r->stack && r->loop) {
        ts_stack_shutdown(r->stack, now);
        ts_stack_dispatch(r->stack, now);
        ts_loop_flush(r->loop, r->stack, now, TS_MS(200));
    }
    ts_ctl_close(r->ctl);
    ts_netstat_srv_stop(r->netstat);   /* after the apps: their /netstat routes point into it */
    ts_loop_free(r->loop);
    ts_stack_free(r->stack);
    ts_obs_free(r->obs, stderr);    /* after the stack: it traces until freed */
    ts_tap_close(&r->tap);
    ts_netns_leave(&r->ns);
    if (r->sig_fd >= 0) close(r->sig_fd);
}

int ts_cmd_up(int argc, char **argv)
{
    struct ts_up_opts o;
    char err[256];
    int p = ts_up_parse(argc, argv, &o, err, sizeof err);
    if (p != 0) {
        if (p > 0) ts_up_usage(stdout);
        else fprintf(stderr, "tapstack up: %s\n(see tapstack up --help)\n", err);
        ts_up_opts_free(&o);
        return p > 0 ? TS_EXIT_OK : TS_EXIT_USAGE;
    }
    ts_malloc_policy();   /* before the first ring: rings go back to the kernel when freed */
    /* Log lines are buffered and written once per batch (flush_log): unbuffered, each HTTP request
     * cost a write of its own: 5-9 % of keep-alive's requests per second. */
    setvbuf(stderr, NULL, _IOFBF, 1 << 16);
    struct up_run r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    r.tap.fd = -1;
    r.sig_fd = ts_signals_open();
    int rc = TS_EXIT_OK;
    if (r.sig_fd < 0) {
        snprintf(r.err, sizeof r.err, "cannot set up signal handling: %s", strerror(-r.sig_fd));
        rc = TS_EXIT_FAIL;
    } else if (up_setup(&r) < 0) {
        rc = TS_EXIT_FAIL;
    } else {
        up_ready(&r);
        /* the trimmer rides with the apps in the loop, after them: nothing else lists it */
        ts_malloc_trimmer_app(&r.trim, ts_clock_now(), &r.apps[r.napps], r.stack);
        int how = ts_loop_run(r.loop, r.stack, r.apps, r.napps + 1);
        const struct ts_loop_stats *st = ts_loop_stats(r.loop);
        fprintf(stderr, "tapstack: stopping (%s); %llu frames in, %llu out, %llu write errors\n",
                how > 0 ? strsignal(how) : strerror(-how), (unsigned long long)st->rx_frames,
                (unsigned long long)st->tx_frames, (unsigned long long)st->tx_errors);
        if (how < 0) rc = TS_EXIT_FAIL;
    }
    if (rc != TS_EXIT_OK && r.err[0]) fprintf(stderr, "tapstack up: %s\n", r.err);
    up_teardown(&r);
    ts_up_opts_free(&o);
    return rc;
}
