/*
 * TCP over the simulated link (tests/lib/sim.c):
 * - test_bulk_table: two tapstacks, bulk transfers both ways at once, byte-exact, over a clean link
 *   and over links that lose 1, 5 and 20 % of the frames (and duplicate and reorder some); prints
 *   virtual time, goodput and retransmissions per loss rate.
 * - test_linux_peer_table: tapstack sends to a Linux-like receiver (tests/lib/sim_peer.h: 40 ms
 *   delayed ACK, quick ACK on out-of-order data) over links of 1 and 50 ms RTT at 100 Mbit/s, at
 *   0, 1, 5, 10, 20 % loss and 1 % reordering; prints goodput, retransmissions and timeouts beside
 *   a model rate (Mathis; Padhye past 10 %), and checks goodput >= half the model's (rows listed
 *   as known gaps in linux_cases excepted, loudly) and byte-exactness.
 *
 * SIM_BYTES=N overrides the bytes sent each way in test_bulk_table (default 10 MB; see SIZE below),
 * SIM_LINUX_BYTES=N those of test_linux_peer_table (default 4 MiB), SIM_LINUX_ROW=I runs only its row I
 * (from 0), SIM_SEED=N adds N to its rows' seeds (other loss patterns, to compare changes over many),
 * SIM_CWND=MS prints the sender's cwnd every MS of virtual time; SIM_TRACE=1 prints state
 * changes, timers and drops; SIM_FILTER=test_bulk* runs only matching tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/frames.h"
#include "lib/sim.h"
#include "lib/sim_peer.h"
#include "tapstack/socket.h"
#include "tapstack/stats.h"
#include "tapstack/trace.h"
#include "tcp/tcp_info.h"

#define PORT 5001
#define SIZE (10u << 20)

/* The byte at offset i of the stream in direction dir. */
static inline uint8_t pat(uint64_t i, unsigned dir)
{
    return (uint8_t)(i + (i >> 8) * 31u + (i >> 16) * 17u + dir * 101u);
}

struct end {
    struct sim *sim;
    struct ts_sock *sock;
    unsigned dir;          /* direction of what this end sends: 0 = A->B, 1 = B->A */
    uint64_t total, sent, recvd;
    bool shut, eof, bad, err;
    bool no_fin;           /* do not shut down once everything is sent */
    char why[160];
};

struct xfer {
    struct end e[2];        /* e[0] on A (the server), e[1] on B (the client) */
    struct ts_sock *listener;
};

static void pump(struct end *e, ts_time_t now)
{
    uint8_t buf[16384];
    if (!e->sock) return;
    while (e->sent < e->total) {
        size_t n = e->total - e->sent < sizeof buf ? (size_t)(e->total - e->sent) : sizeof buf;
        for (size_t i = 0; i < n; i++) buf[i] = pat(e->sent + i, e->dir);
        long r = ts_tcp_send(e->sock, now, buf, n);
        if (r <= 0) {
            if (r != -TS_EAGAIN && !e->err) { e->err = true; snprintf(e->why, sizeof e->why, "send: %s", ts_strerror((int)-r)); }
            break;
        }
        e->sent += (uint64_t)r;
    }
    if (e->sent == e->total && !e->shut && !e->no_fin) {
        int rc = ts_tcp_shutdown(e->sock, now);
        if (rc != 0 && !e->err) { e->err = true; snprintf(e->why, sizeof e->why, "shutdown: %s", ts_strerror(-rc)); }
        e->shut = true;
    }
    for (;;) {
        long r = ts_tcp_recv(e->sock, now, buf, sizeof buf);
        if (r == 0) { e->eof = true; break; }
        if (r < 0) {
            if (r != -TS_EAGAIN && !e->err) { e->err = true; snprintf(e->why, sizeof e->why, "recv: %s", ts_strerror((int)-r)); }
            break;
        }
        for (long i = 0; i < r && !e->bad; i++) {
            if (buf[i] != pat(e->recvd + (uint64_t)i, 1 - e->dir)) {
                e->bad = true;
                snprintf(e->why, sizeof e->why, "byte %llu differs", (unsigned long long)(e->recvd + (uint64_t)i));
            }
        }
        e->recvd += (uint64_t)r;
    }
}

static void end_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    pump(arg, now);
}

static void listen_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct xfer *x = arg;
    struct ts_sock *c;
    while (!x->e[0].sock && (c = ts_tcp_accept(sock, end_cb, &x->e[0]))) {
        x->e[0].sock = c;
        pump(&x->e[0], now);
    }
}

static bool done(void *arg)
{
    struct xfer *x = arg;
    for (int i = 0; i < 2; i++) {
        struct end *e = &x->e[i];
        if (e->err || e->bad) return true;         /* stop early: the test fails below */
        pump(e, sim_now(e->sim));
        if (!e->sock || !e->eof || e->recvd != x->e[1 - i].total || e->sent != e->total) return false;
        if (ts_tcp_send_queued(e->sock) != 0) return false;
    }
    return true;
}

struct row {
    double loss, dup, reorder;
    double vsecs, goodput_mbps, real_secs;
    uint64_t retransmits, timeouts, fast;
    uint64_t dropped, overflowed, frames;
    bool ok;
    char why[256];
};

/* SIM_TRACE=1: print state changes, timers and drops of both stacks (2: and every frame in and out). */
static void trace_cb(void *arg, const struct ts_trace_event *ev)
{
    const char *side = arg;
    if (ev->kind == TS_TRACE_STATE)
        fprintf(stderr, "%12.6f %s state %s -> %s (%s)\n", (double)ev->now / 1e6, side,
                ts_tcp_state_name(ev->old_state), ts_tcp_state_name(ev->new_state), ev->why ? ev->why : "");
    else if (ev->kind == TS_TRACE_DROP)
        fprintf(stderr, "%12.6f %s drop %s.%s\n", (double)ev->now / 1e6, side,
                ts_counter_proto(ev->counter), ts_counter_name(ev->counter));
    else if ((ev->kind == TS_TRACE_FRAME_OUT || ev->kind == TS_TRACE_FRAME_IN) && getenv("SIM_TRACE")[0] == '2') {
        struct frm_pkt p;
        char d[300];
        frm_parse(ev->frame, ev->len, &p);
        frm_describe(&p, 0, 0, d, sizeof d);
        fprintf(stderr, "%12.6f %s %s %s\n", (double)ev->now / 1e6, side, ev->kind == TS_TRACE_FRAME_IN ? "in " : "out", d);
    } else if (ev->kind == TS_TRACE_CWND)
        fprintf(stderr, "%12.6f %s cwnd %u ssthresh %u rto %.1f ms\n", (double)ev->now / 1e6, side, ev->cwnd,
                ev->ssthresh, (double)ev->rto / 1000.0);
    else if (ev->kind == TS_TRACE_TIMER)
        fprintf(stderr, "%12.6f %s timer %s\n", (double)ev->now / 1e6, side, ev->why ? ev->why : "");
}

/* arg: the congestion controller's name for both stacks, NULL for the default */
static void cfg_hook(void *arg, int side, struct ts_config *cfg)
{
    if (arg) cfg->tcp_cc = arg;
    if (getenv("SIM_TRACE")) {
        cfg->trace = trace_cb;
        cfg->trace_arg = side ? (void *)"B" : (void *)"A";
    }
}

static struct sim *make_sim(uint64_t seed, double loss, double dup, double reorder)
{
    struct sim_link l = {.loss = loss, .dup = dup, .reorder = reorder, .delay = TS_MS(1),
                         .reorder_delay = TS_MS(3), .rate_bps = 100000000ull, .queue_frames = 1000};
    return sim_new_ex(seed, &l, cfg_hook, NULL);
}

static uint64_t ctr(struct sim *sim, enum ts_counter_id id)
{
    return ts_stack_stats(sim_a(sim))->v[id] + ts_stack_stats(sim_b(sim))->v[id];
}

/* Check the transfer's outcome into row->ok / row->why. */
static void judge(struct xfer *x, struct sim *sim, bool finished, uint64_t bytes, struct row *row)
{
    row->ok = false;
    for (int i = 0; i < 2; i++) {
        const struct end *e = &x->e[i];
        if (e->err || e->bad || !finished || e->recvd != bytes) {
            snprintf(row->why, sizeof row->why,
                     "%s at %.3f virtual s: %s sent %llu, received %llu of %llu%s%s",
                     finished ? "failed" : row->vsecs < 3600 ? "stalled (no timer, nothing in flight)" : "unfinished",
                     row->vsecs, i ? "B" : "A",
                     (unsigned long long)e->sent, (unsigned long long)e->recvd,
                     (unsigned long long)bytes, e->why[0] ? ": " : "", e->why);
            if (e->err || e->bad || i == 1) return;
        }
    }
    if (row->loss > 0 && row->retransmits == 0) { snprintf(row->why, sizeof row->why, "no retransmits despite loss"); return; }
    if (row->reorder > 0 && ctr(sim, TS_CTR_tcp_rx_out_of_order) == 0) {
        snprintf(row->why, sizeof row->why, "no out-of-order segment seen despite reordering");
        return;
    }
    row->ok = true;
}

static void transfer(double loss, double dup, double reorder, uint64_t bytes, uint64_t seed,
                     struct row *row)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(row, 0, sizeof *row);
    struct sim *sim = make_sim(seed, loss, dup, reorder);
    assert_non_null(sim);
    struct xfer *x = calloc(1, sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < 2; i++) {
        x->e[i].sim = sim;
        x->e[i].dir = (unsigned)i;
        x->e[i].total = bytes;
    }
    assert_int_equal(ts_tcp_listen(sim_a(sim), 0, PORT, 8, listen_cb, x, &x->listener), 0);
    ts_time_t start = sim_now(sim);
    assert_int_equal(ts_tcp_connect(sim_b(sim), start, 0, 0, SIM_IP_A, PORT, end_cb, &x->e[1],
                                    &x->e[1].sock), 0);
    bool finished = sim_run_until(sim, done, x, TS_SEC(3600));
    row->loss = loss;
    row->dup = dup;
    row->reorder = reorder;
    row->vsecs = (double)(sim_now(sim) - start) / 1e6;
    row->goodput_mbps = (double)bytes * 8.0 / row->vsecs / 1e6;
    row->retransmits = ctr(sim, TS_CTR_tcp_retransmits);
    row->timeouts = ctr(sim, TS_CTR_tcp_timeouts);
    row->fast = ctr(sim, TS_CTR_tcp_fast_retransmits);
    row->dropped = sim_stats(sim)->dropped;
    row->overflowed = sim_stats(sim)->overflowed;
    row->frames = sim_stats(sim)->sent[0] + sim_stats(sim)->sent[1];
    judge(x, sim, finished, bytes, row);

    /* close both ends: the connections wind down to nothing, sim_free checks no leak */
    for (int i = 0; i < 2; i++) if (x->e[i].sock) ts_tcp_close(x->e[i].sock, sim_now(sim));
    ts_tcp_close(x->listener, sim_now(sim));
    sim_run_for(sim, TS_SEC(300));
    sim_free(sim);
    free(x);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    row->real_secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static uint64_t size_each_way(void)
{
    const char *e = getenv("SIM_BYTES");
    return e ? strtoull(e, NULL, 0) : SIZE;
}

/* Rows known to fail because of a known TCP bug (reported to the TCP owners): reported as XFAIL,
 * not failed. Empty this list as they are fixed. */
static const char *const known_failing[4] = {
    NULL, NULL, NULL, NULL,
};

static void test_bulk_table(void **state)
{
    static const double cases[][3] = {
        {0.00, 0.00, 0.00}, {0.01, 0.01, 0.01}, {0.05, 0.01, 0.02}, {0.20, 0.01, 0.02},
    };
    uint64_t bytes = size_each_way();
    struct row rows[4];
    for (size_t i = 0; i < 4; i++)
        transfer(cases[i][0], cases[i][1], cases[i][2], bytes, 1000 + i, &rows[i]);
    print_message("TCP over the sim link: %llu bytes each way at once; 100 Mbit/s, 1 ms one way, "
                  "1000-frame drop-tail queue\n", (unsigned long long)bytes);
    print_message("  loss  dup reord | virtual s | goodput Mbit/s each way | retransmits (RTO, fast) | frames lost+tail-dropped/sent | real s\n");
    unsigned bad = 0;
    for (size_t i = 0; i < 4; i++) {
        const struct row *r = &rows[i];
        print_message("  %3.0f%% %3.0f%% %4.0f%% | %9.3f | %23.2f | %11llu (%llu, %llu) | %10llu+%llu/%llu | %.1f\n",
                      r->loss * 100, r->dup * 100, r->reorder * 100, r->vsecs, r->goodput_mbps,
                      (unsigned long long)r->retransmits, (unsigned long long)r->timeouts,
                      (unsigned long long)r->fast, (unsigned long long)r->dropped,
                      (unsigned long long)r->overflowed, (unsigned long long)r->frames, r->real_secs);
        if (r->ok && known_failing[i]) print_message("  XPASS row %zu: remove it from known_failing\n", i);
        if (!r->ok && known_failing[i]) print_message("  XFAIL row %zu (%s): %s\n", i, known_failing[i], r->why);
        if (!r->ok && !known_failing[i]) { print_message("  FAILED row %zu: %s\n", i, r->why); bad++; }
    }
    if (bad) fail_msg("%u of 4 transfers failed", bad);
}

/* ---- tapstack sending to a Linux-like receiver (tests/lib/sim_peer.h), beside the Mathis model ---- */

struct one_way {
    struct sim *sim;
    struct end snd;             /* on A: sends `total` bytes, then FIN */
    struct ts_sock *listener;
    struct sim_peer *peer;
    uint64_t got;               /* bytes the peer delivered, each checked */
    ts_time_t next_cwnd;        /* SIM_CWND=MS: when to print the sender's cwnd next */
    bool bad;
    char why[120];
};

static void peer_data(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct one_way *w = arg;
    for (size_t i = 0; i < n && !w->bad; i++)
        if (p[i] != pat(off + i, 0)) {
            w->bad = true;
            snprintf(w->why, sizeof w->why, "byte %llu differs", (unsigned long long)(off + i));
        }
    w->got = off + n;
}

static void ow_listen_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct one_way *w = arg;
    struct ts_sock *c;
    while (!w->snd.sock && (c = ts_tcp_accept(sock, end_cb, &w->snd))) {
        w->snd.sock = c;
        pump(&w->snd, now);
    }
}

/* SIM_CWND=MS: every MS of virtual time, the sender's congestion state (to see why a row is slow). */
static void print_cwnd(struct one_way *w)
{
    const char *e = getenv("SIM_CWND");
    ts_time_t now = sim_now(w->sim);
    if (!e || !w->snd.sock || now < w->next_cwnd) return;
    struct ts_tcp_info ti;
    ts_tcp_get_info(w->snd.sock, &ti);
    print_message("    %10.3f s  cwnd %u  ssthresh %u  %s  flight %u  pipe %u  sacked %u  lost %u  queued %u  "
                  "delivered %llu\n", (double)now / 1e6, ti.cwnd, ti.ssthresh, ti.cc_state ? ti.cc_state : "?",
                  ti.snd_max - ti.snd_una, ti.pipe, ti.sacked_bytes, ti.lost_bytes, ti.snd_queued,
                  (unsigned long long)w->got);
    if (ti.bbr_mode)
        print_message("               bbr %s  max_bw %.2f Mbit/s  min_rtt %.3f ms  gains %u%%/%u%%\n", ti.bbr_mode,
                      (double)ti.bbr_max_bw * 8 / 1e6, (double)ti.bbr_min_rtt / 1e3, (unsigned)ti.bbr_pacing_gain,
                      (unsigned)ti.bbr_cwnd_gain);
    w->next_cwnd = now + TS_MS(strtoul(e, NULL, 10) ? strtoul(e, NULL, 10) : 50);
}

static bool ow_done(void *arg)
{
    struct one_way *w = arg;
    print_cwnd(w);
    if (w->snd.sock) pump(&w->snd, sim_now(w->sim));
    return w->bad || w->snd.err || sim_peer_stats(w->peer)->fin || sim_peer_stats(w->peer)->reset;
}

struct lrow {
    const char *cc;
    double rtt_ms, loss, reorder;
    double vsecs, mbps, bound, model;
    const char *model_name;
    uint64_t retransmits, timeouts, acks, delayed_acks, dsacks;
    bool complete, below;
    char why[480];
};

/* The model rate in Mbit/s, capped by the link's goodput (payload share of each frame on the wire,
 * as sim.c counts it). Up to 10 % loss: Mathis et al. (1997), MSS/RTT x 1.22/sqrt(p). Past that
 * the Mathis model no longer holds (retransmission timeouts dominate): Padhye et al. (1998), which
 * adds them, with b = 1 and T0 = 200 ms (Linux's minimum RTO). */
static double model_mbps(double rtt_s, double p, uint64_t rate_bps, const char **name)
{
    double link = (double)rate_bps * 1460.0 / (1514.0 + 24.0) / 1e6, m;
    *name = "link";
    if (p <= 0) return link;
    if (p <= 0.10) {
        m = 1460.0 * 8.0 / rtt_s * 1.22 / sqrt(p) / 1e6;
        *name = "Mathis";
    } else {
        double q = 3.0 * sqrt(3.0 * p / 8.0);
        m = 1460.0 * 8.0 / (rtt_s * sqrt(2.0 * p / 3.0) + 0.2 * (q < 1 ? q : 1) * p * (1 + 32 * p * p)) / 1e6;
        *name = "Padhye";
    }
    if (m < link) return m;
    *name = "link";
    return link;
}

/* The bound a row must meet: half the goodput of a transfer that spends one RTT on the handshake,
 * log2(BDP / 10 segments) RTTs in slow start, then moves the rest at the model's rate. */
static double bound_mbps(double rtt_s, double rate_mbps, uint64_t bytes)
{
    double bdp_segs = rate_mbps * 1e6 * rtt_s / 8.0 / 1460.0;
    double ss = bdp_segs > 10 ? log2(bdp_segs / 10.0) : 0;
    double t = rtt_s * (1.0 + ss) + (double)bytes * 8.0 / (rate_mbps * 1e6);
    return 0.5 * (double)bytes * 8.0 / t / 1e6;
}

/* A listens on PORT on sim; the Linux-like peer (sim_peer.h; comp_sack_delay when not 0) connects
 * and reads total bytes, which A sends when it accepts. */
static struct one_way *one_way_start(struct sim *sim, uint64_t total, ts_time_t comp_sack_delay)
{
    struct one_way *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->sim = w->snd.sim = sim;
    w->snd.total = total;
    assert_int_equal(ts_tcp_listen(sim_a(sim), 0, PORT, 8, ow_listen_cb, w, &w->listener), 0);
    struct sim_peer_cfg pc;
    sim_peer_cfg_default(&pc);
    pc.dst_port = PORT;
    pc.on_data = peer_data;
    pc.arg = w;
    if (comp_sack_delay) pc.comp_sack_delay = comp_sack_delay;
    w->peer = sim_peer_start(sim, &pc);
    assert_non_null(w->peer);
    return w;
}

static void linux_transfer(const char *cc, double rtt_ms, double loss, double reorder, uint64_t bytes,
                           uint64_t seed, struct lrow *row)
{
    memset(row, 0, sizeof *row);
    row->cc = cc ? cc : "cubic";
    row->rtt_ms = rtt_ms;
    row->loss = loss;
    row->reorder = reorder;
    ts_time_t rtt = (ts_time_t)(rtt_ms * 1000.0);
    uint64_t rate = 100000000ull;
    unsigned bdp = (unsigned)((double)rate * rtt_ms / 1000.0 / 8.0 / 1538.0);
    struct sim_link l = {.loss = loss, .reorder = reorder, .delay = rtt / 2, .reorder_delay = rtt / 8,
                         .rate_bps = rate, .queue_frames = bdp > 64 ? bdp : 64};
    struct sim *sim = sim_new_ex(seed, &l, cfg_hook, (void *)cc);
    assert_non_null(sim);
    ts_time_t start = sim_now(sim);
    struct one_way *w = one_way_start(sim, bytes, rtt / 20 < TS_MS(1) ? rtt / 20 : TS_MS(1));
    bool finished = sim_run_until(sim, ow_done, w, TS_SEC(1800));
    const struct sim_peer_stats *ps = sim_peer_stats(w->peer);
    row->vsecs = (double)((ps->fin ? ps->t_fin : sim_now(sim)) - start) / 1e6;
    row->mbps = (double)w->got * 8.0 / row->vsecs / 1e6;
    row->model = model_mbps(rtt_ms / 1000.0, loss, rate, &row->model_name);
    row->bound = bound_mbps(rtt_ms / 1000.0, row->model, bytes);
    row->retransmits = ts_stack_stats(sim_a(sim))->v[TS_CTR_tcp_retransmits];
    row->timeouts = ts_stack_stats(sim_a(sim))->v[TS_CTR_tcp_timeouts];
    row->acks = ps->acks;
    row->delayed_acks = ps->delayed_acks;
    row->dsacks = ps->dsacks;
    row->complete = finished && ps->fin && !w->bad && !w->snd.err && w->got == bytes;
    if (!row->complete)
        snprintf(row->why, sizeof row->why, "%s: %llu of %llu bytes in order by %.1f virtual s%s%s%s",
                 w->bad ? "corrupt" : ps->reset ? "reset" : "incomplete", (unsigned long long)w->got,
                 (unsigned long long)bytes, row->vsecs, w->why[0] || w->snd.why[0] ? ": " : "", w->why,
                 w->snd.why);
    row->below = row->mbps < row->bound;
    /* both ends close; A's side winds down (TIME_WAIT included) and sim_free checks for leaks */
    if (w->snd.sock) ts_tcp_close(w->snd.sock, sim_now(sim));
    ts_tcp_close(w->listener, sim_now(sim));
    sim_run_for(sim, TS_SEC(300));
    sim_free(sim);
    sim_peer_free(w->peer);
    free(w);
}

static bool peer_has_all(void *arg)
{
    struct one_way *w = arg;
    pump(&w->snd, sim_now(w->sim));
    return w->bad || w->got == w->snd.total;
}

static bool peer_delayed_once(void *arg)
{
    struct one_way *w = arg;
    return sim_peer_stats(w->peer)->delayed_acks > 0;
}

/* The Linux-like receiver itself, on a clean 1 ms link: quick ACKs first, then one ACK per two full
 * segments; a lone small segment is acknowledged by the 40 ms timer. */
static void test_sim_peer_acks(void **state)
{
    struct sim_link l = {.delay = 500, .rate_bps = 100000000ull, .queue_frames = 100};
    struct sim *sim = sim_new_ex(5, &l, cfg_hook, NULL);
    assert_non_null(sim);
    struct one_way *w = one_way_start(sim, 60 * 1448, 0);   /* 60 full segments: 1460 less 12 for the timestamps */
    w->snd.no_fin = true;
    assert_true(sim_run_until(sim, peer_has_all, w, TS_SEC(5)));
    assert_false(w->bad);
    const struct sim_peer_stats *ps = sim_peer_stats(w->peer);
    assert_true(ps->established);
    assert_int_equal(ps->delayed_acks, 0);
    /* 1 for the handshake, 16 quick ACKs, then one for every two of the remaining full segments */
    uint64_t full = ps->segments;
    print_message("peer: %llu segments, %llu ACKs\n", (unsigned long long)full, (unsigned long long)ps->acks);
    assert_true(full >= 42 && full <= 60);
    assert_true(ps->acks >= 1 + 16 + (full - 16) / 2 - 2 && ps->acks <= 1 + 16 + (full - 16) / 2 + 2);
    sim_run_for(sim, TS_MS(100));
    /* one small segment: no second one comes, so the delayed-ACK timer answers it */
    w->snd.total += 100;
    ts_time_t t0 = sim_now(sim);
    pump(&w->snd, t0);
    assert_true(sim_run_until(sim, peer_delayed_once, w, TS_SEC(1)));
    ts_time_t dt = sim_now(sim) - t0;
    print_message("peer: lone segment acknowledged %.1f ms after the write\n", (double)dt / 1000.0);
    assert_true(dt >= TS_MS(40) && dt <= TS_MS(42));
    assert_int_equal(w->got, w->snd.total);
    w->snd.no_fin = false;
    pump(&w->snd, sim_now(sim));
    assert_true(sim_run_until(sim, ow_done, w, TS_SEC(5)));
    assert_true(sim_peer_stats(w->peer)->fin);
    ts_tcp_close(w->snd.sock, sim_now(sim));
    ts_tcp_close(w->listener, sim_now(sim));
    sim_run_for(sim, TS_SEC(300));
    assert_true(sim_peer_stats(w->peer)->closed);
    sim_free(sim);
    sim_peer_free(w->peer);
    free(w);
}

/* The rows of the Linux-peer table. `known` names why a row is known to be under its bound (a
 * gap of issue 18 still open): such a row is printed loudly as KNOWN-FAILING instead of failing the
 * test, and as XPASS once it meets the bound (then take it off). Every other row must meet it. */
struct lcase {
    double rtt_ms, loss, reorder;
    const char *known;
    const char *cc;             /* NULL: the default (CUBIC) */
};

static const struct lcase linux_cases[] = {
    {1, 0, 0, NULL, NULL},
    {1, 0.01, 0, NULL, NULL},
    {1, 0.05, 0, NULL, NULL},
    {1, 0.10, 0, NULL, NULL},
    {1, 0.20, 0, NULL, NULL},
    {1, 0, 0.01, NULL, NULL},
    {50, 0, 0, NULL, NULL},
    {50, 0.01, 0, NULL, NULL},
    {50, 0.05, 0, NULL, NULL},
    {50, 0.10, 0, NULL, NULL},
    {50, 0.20, 0, NULL, NULL},
    {50, 0, 0.01, NULL, NULL},
    {1, 0.01, 0, NULL, "bbr"},
    {1, 0.10, 0, NULL, "bbr"},
    {50, 0, 0, NULL, "bbr"},
    {50, 0.01, 0, NULL, "bbr"},
    {50, 0.05, 0, NULL, "bbr"},
    {50, 0.10, 0, NULL, "bbr"},
};

static void test_linux_peer_table(void **state)
{
    enum { N = sizeof linux_cases / sizeof linux_cases[0] };
    const char *e = getenv("SIM_LINUX_BYTES");
    uint64_t bytes = e ? strtoull(e, NULL, 0) : (4u << 20);
    struct lrow rows[N];
    unsigned incomplete = 0, below = 0, known = 0, xpass = 0;
    print_message("tapstack (A) sends %llu bytes to a Linux-like receiver (40 ms delayed ACK, ACK every 2nd "
                  "full segment, quick ACK on out-of-order data (then SACK compression) and hole fills, SACK, "
                  "D-SACK, timestamps); "
                  "100 Mbit/s, queue of one BDP (64 frames at least), loss and reordering each way\n",
                  (unsigned long long)bytes);
    print_message("  cc      RTT ms  loss reord | virtual s | goodput Mbit/s |   model Mbit/s | bound | retransmits (RTO) | "
                  "peer ACKs (delayed, D-SACK) | verdict\n");
    const char *only = getenv("SIM_LINUX_ROW");    /* one row, by its index from 0 (for tracing) */
    uint64_t seed0 = getenv("SIM_SEED") ? strtoull(getenv("SIM_SEED"), NULL, 0) : 0;
    for (size_t i = 0; i < N; i++) {
        struct lrow *r = &rows[i];
        const struct lcase *c = &linux_cases[i];
        if (only && strtoul(only, NULL, 10) != i) continue;
        linux_transfer(c->cc, c->rtt_ms, c->loss, c->reorder, bytes, 2000 + i + seed0, r);
        const char *verdict = !r->complete ? "FAILED" : !r->below ? (c->known ? "XPASS" : "ok")
                              : c->known ? "KNOWN-FAILING: under the bound" : "FAILED: under the bound";
        print_message("  %-7s %6.0f %4.0f%% %4.0f%% | %9.3f | %14.2f | %6.2f %-6s | %5.2f | %11llu (%llu) | %12llu (%llu, %llu) | %s\n",
                      r->cc, r->rtt_ms, r->loss * 100, r->reorder * 100, r->vsecs, r->mbps, r->model, r->model_name, r->bound,
                      (unsigned long long)r->retransmits, (unsigned long long)r->timeouts,
                      (unsigned long long)r->acks, (unsigned long long)r->delayed_acks,
                      (unsigned long long)r->dsacks, verdict);
        if (!r->complete) { print_message("    %s\n", r->why); incomplete++; }
        else if (r->below && c->known) { print_message("    !!! KNOWN-FAILING row %zu (%s)\n", i, c->known); known++; }
        else if (r->below) below++;
        else if (c->known) { print_message("    !!! XPASS row %zu: it meets its bound now; take it off linux_cases' known list\n", i); xpass++; }
    }
    if (known || xpass)
        print_message("  !!! %u row(s) KNOWN-FAILING under the model bound, %u XPASS (tests/unit/test_tcp_sim.c, "
                      "linux_cases) !!!\n", known, xpass);
    if (incomplete) fail_msg("%u of %d transfers did not arrive complete and byte-exact", incomplete, N);
    if (below) fail_msg("%u of %d rows under the goodput bound", below, N);
}

/* ---- the sim itself ---- */

static bool never(void *arg) { return false; }

static void test_sim_link_model(void **state)
{
    /* idle: with nothing to do it returns once the stacks' own timers are done */
    struct sim *sim = sim_new(7, 0.2, 0.1, 0.1);
    assert_non_null(sim);
    assert_true(sim_run_until(sim, NULL, NULL, TS_SEC(10)));
    ts_time_t t0 = sim_now(sim);
    assert_true(sim_run_until(sim, NULL, NULL, TS_SEC(10)));
    assert_int_equal(sim_now(sim), t0);
    /* a predicate that never holds: false as soon as nothing is left to do */
    assert_false(sim_run_until(sim, never, NULL, TS_SEC(2)));
    assert_int_equal(sim_now(sim), t0);
    sim_run_for(sim, TS_SEC(2));
    assert_int_equal(sim_now(sim), t0 + TS_SEC(2));
    /* SYNs to a closed port: each answered with RST, over a lossy link: counts add up */
    struct ts_sock *c[200];
    for (int i = 0; i < 200; i++)
        assert_int_equal(ts_tcp_connect(sim_b(sim), sim_now(sim), 0, 0, SIM_IP_A, 9, NULL, NULL, &c[i]), 0);
    sim_run_for(sim, TS_SEC(200));
    const struct sim_stats *st = sim_stats(sim);
    assert_true(st->sent[0] > 0 && st->sent[1] >= 200);
    uint64_t sent = st->sent[0] + st->sent[1];
    assert_int_equal(st->delivered, sent - st->dropped + st->duplicated - st->overflowed);
    double lossr = (double)st->dropped / (double)sent;
    assert_true(lossr > 0.12 && lossr < 0.28);
    assert_true(st->duplicated > 0 && st->reordered > 0);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(ts_tcp_get_state(c[i]), TS_TCP_CLOSED);
        int e = ts_sock_error(c[i]);
        assert_true(e == TS_ECONNREFUSED || e == TS_ETIMEDOUT);
        ts_tcp_close(c[i], sim_now(sim));
    }
    sim_free(sim);
}

static void test_sim_reproducible(void **state)
{
    struct row a, b;
    transfer(0.05, 0.01, 0.02, 200000, 99, &a);
    transfer(0.05, 0.01, 0.02, 200000, 99, &b);
    if (!a.ok) fail_msg("%s", a.why);
    assert_true(a.vsecs == b.vsecs);
    assert_int_equal(a.retransmits, b.retransmits);
    assert_int_equal(a.frames, b.frames);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_link_model),
        cmocka_unit_test(test_sim_reproducible),
        cmocka_unit_test(test_sim_peer_acks),
        cmocka_unit_test(test_bulk_table),
        cmocka_unit_test(test_linux_peer_table),
    };
    if (getenv("SIM_FILTER")) cmocka_set_test_filter(getenv("SIM_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
