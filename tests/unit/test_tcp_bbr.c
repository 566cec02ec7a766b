/* BBR (stack/tcp/tcp_cc_bbr.c): its windowed max filter, and its state machine driven by rate
 * samples from a model path (a bottleneck of fixed rate and a fixed propagation delay) on a
 * virtual clock: Startup finds the bandwidth, Drain, ProbeBW's cwnd = 2 BDP, a recovery that does
 * not cut the window, ProbeRTT after 10 s, and choosing "bbr" per stack and per socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp/tcp_impl.h"
#include "tapstack/socket.h"

/* The window's maximum; a new maximum replaces everything; older samples leave the window. */
static void max_filter(void **st)
{
    (void)st;
    struct bbr_max_filter f;
    memset(&f, 0, sizeof f);
    assert_int_equal(tcp_bbr_max_filter(&f, 10, 1, 100), 100);
    assert_int_equal(tcp_bbr_max_filter(&f, 10, 2, 50), 100);
    assert_int_equal(tcp_bbr_max_filter(&f, 10, 3, 200), 200);
    for (uint32_t r = 4; r <= 13; r++) assert_int_equal(tcp_bbr_max_filter(&f, 10, r, 150 - r), 200);
    /* round 14: the 200 of round 3 is 11 rounds old; the best of the rest (146 from round 4,
     * or a later second best) takes over, never more than was seen since */
    uint64_t m = tcp_bbr_max_filter(&f, 10, 14, 10);
    assert_true(m < 200 && m >= 137 && m <= 146);
    /* a long silence: everything expired, the new sample is the maximum */
    assert_int_equal(tcp_bbr_max_filter(&f, 10, 40, 7), 7);
}

/* The model path: bw bytes/s, propagation RTT rtt; the sender keeps cwnd in flight. */
struct path {
    struct ts_tcb t;
    ts_time_t now;
    uint64_t bw;
    ts_time_t rtt;
    ts_time_t rtt_extra;        /* added to every RTT sample (a path whose delay grew) */
};

static void path_init(struct path *p, uint64_t bw, ts_time_t rtt)
{
    memset(p, 0, sizeof *p);
    p->t.mss = 1000;
    p->t.flags = TF_SACK;
    p->t.cc = &tcp_cc_bbr;
    p->t.iss = 12345;
    p->t.cwnd = 10000;
    p->t.ssthresh = UINT32_MAX / 2;
    p->now = TS_SEC(1);
    p->bw = bw;
    p->rtt = rtt;
    tcp_cc_bbr.init(&p->t);
}

/* One round trip: the flight (cwnd) is delivered in ACKs of two segments, spread over
 * max(RTT, flight / bw); each ACK carries the rate sample of its segment. */
static void path_round(struct path *p)
{
    struct ts_tcb *t = &p->t;
    uint32_t flight = t->cwnd;
    ts_time_t span = (ts_time_t)((uint64_t)flight * TS_SEC(1) / p->bw);
    if (span < p->rtt) span = p->rtt;
    uint64_t start = t->rate.delivered;
    for (uint32_t done = 0; done < flight; done += 2 * t->mss) {
        p->now += span * 2 * t->mss / flight;
        t->rate.delivered += 2 * t->mss;
        t->snd_una = 0;
        t->snd_max = flight;                          /* pipe: the flight stays full */
        struct tcp_rate_sample rs = {
            .delivered = flight, .interval = span, .delivery_rate = (uint64_t)flight * TS_SEC(1) / span,
            .prior_delivered = start, .newly_acked = 2 * t->mss, .rtt = span + p->rtt_extra,
            .is_app_limited = t->rate.app_limited != 0,  /* as the sampler marks it (ProbeRTT) */
        };
        if (t->rate.app_limited && t->rate.delivered > t->rate.app_limited) t->rate.app_limited = 0;
        tcp_cc_bbr.cong_control(t, &rs, p->now);
    }
}

static const char *mode(struct path *p)
{
    struct ts_tcp_info in;
    memset(&in, 0, sizeof in);
    tcp_cc_bbr.get_info(&p->t, &in);
    return in.bbr_mode;
}

/* 100 Mbit/s, 10 ms: BDP 125,000 bytes. */
#define BW 12500000u
#define RTT TS_MS(10)
#define BDP 125000u

static void reach_probe_bw(struct path *p)
{
    unsigned rounds = 0;
    bool drained = false;
    while (strcmp(mode(p), "probe_bw") != 0 && rounds < 40) {
        path_round(p);
        if (strcmp(mode(p), "drain") == 0) drained = true;
        rounds++;
    }
    assert_string_equal(mode(p), "probe_bw");
    assert_true(drained || rounds < 40);
    assert_true(rounds >= 6);            /* doubling from 10 segments to 125 takes 4 rounds, +3 to see the plateau */
}

/* Startup to ProbeBW; the model matches the path; cwnd = 2 BDP + 3 segments. */
static void startup_to_probe_bw(void **st)
{
    (void)st;
    struct path p;
    path_init(&p, BW, RTT);
    assert_string_equal(mode(&p), "startup");
    reach_probe_bw(&p);
    struct ts_tcp_info in;
    tcp_cc_bbr.get_info(&p.t, &in);
    assert_true(in.bbr_max_bw >= BW * 9 / 10 && in.bbr_max_bw <= BW * 11 / 10);
    assert_int_equal(in.bbr_min_rtt, RTT);
    assert_int_equal(in.bbr_cwnd_gain, 200);
    for (int i = 0; i < 20; i++) path_round(&p);     /* a few gain cycles */
    assert_string_equal(mode(&p), "probe_bw");
    /* plus three send quanta: 1 ms at the pacing rate (gain 3/4 to 5/4) */
    assert_true(p.t.cwnd >= 2 * BDP * 9 / 10 + 3 * (BW / 1000) * 3 / 4);
    assert_true(p.t.cwnd <= 2 * BDP * 11 / 10 + 3 * (BW / 1000) * 5 / 4);
}

/* A loss: the first round of recovery conserves packets (cwnd = pipe + delivered), cwnd is not
 * halved, and after recovery it is back where it was. */
static void recovery_keeps_cwnd(void **st)
{
    (void)st;
    struct path p;
    path_init(&p, BW, RTT);
    reach_probe_bw(&p);
    for (int i = 0; i < 5; i++) path_round(&p);
    uint32_t before = p.t.cwnd;
    tcp_cc_bbr.on_congestion(&p.t, p.now);
    assert_int_equal(p.t.ssthresh, before);           /* no reduction: ssthresh is BBR's cwnd */
    p.t.flags |= TF_IN_RECOVERY;
    p.t.cwnd = before / 3;                            /* what PRR would leave: BBR overrides it */
    p.t.snd_una = 0;
    p.t.snd_max = before;
    p.t.segs.lost_bytes = 1000;                       /* pipe = before - 1000 */
    struct tcp_rate_sample rs = { .newly_acked = 2000, .rtt = RTT };
    tcp_cc_bbr.cong_control(&p.t, &rs, p.now += 100);
    assert_int_equal(p.t.cwnd, before - 1000 + 2000);
    p.t.segs.lost_bytes = 0;
    p.t.flags &= ~TF_IN_RECOVERY;
    rs.newly_acked = 0;
    tcp_cc_bbr.cong_control(&p.t, &rs, p.now += 100);
    assert_true(p.t.cwnd >= before);
    path_round(&p);
    assert_string_equal(mode(&p), "probe_bw");
}

/* A timeout: cwnd starts again from one segment (BBR's minimum of four), the model is kept, and
 * the end of the loss episode gives the old cwnd back. */
static void timeout_and_back(void **st)
{
    (void)st;
    struct path p;
    path_init(&p, BW, RTT);
    reach_probe_bw(&p);
    uint32_t before = p.t.cwnd;
    p.t.flags |= TF_RTO_LOSS;
    p.t.cwnd = p.t.mss;
    struct tcp_rate_sample rs = { 0 };
    tcp_cc_bbr.cong_control(&p.t, &rs, p.now += 100);
    assert_int_equal(p.t.cwnd, 4 * p.t.mss);
    p.t.flags &= ~TF_RTO_LOSS;
    tcp_cc_bbr.cong_control(&p.t, &rs, p.now += 100);
    assert_int_equal(p.t.cwnd, before);
}

/* min_rtt not seen again for 10 s: ProbeRTT holds cwnd at 4 segments for 200 ms and a round,
 * then ProbeBW with the cwnd of before. */
static void probe_rtt(void **st)
{
    (void)st;
    struct path p;
    path_init(&p, BW, RTT);
    reach_probe_bw(&p);
    p.rtt_extra = TS_MS(1);                           /* from now on every sample is higher */
    uint32_t before = p.t.cwnd;
    ts_time_t t0 = p.now;
    while (strcmp(mode(&p), "probe_rtt") != 0 && p.now - t0 < TS_SEC(12)) path_round(&p);
    assert_string_equal(mode(&p), "probe_rtt");
    /* the last sample at min_rtt was in Startup, before t0: within 10 s of it */
    assert_true(p.now - t0 <= TS_SEC(10));
    assert_true(p.now - t0 >= TS_SEC(9));
    assert_int_equal(p.t.cwnd, 4 * p.t.mss);
    ts_time_t t1 = p.now;
    while (strcmp(mode(&p), "probe_rtt") == 0 && p.now - t1 < TS_SEC(1)) path_round(&p);
    assert_string_equal(mode(&p), "probe_bw");
    assert_true(p.now - t1 >= TS_MS(200));
    assert_true(p.t.cwnd >= before * 9 / 10);
}

/* "bbr" per stack and per socket; netstat's view shows its model. */
static void choose(void **st)
{
    (void)st;
    assert_true(ts_tcp_cc_known("bbr"));
    assert_non_null(strstr(ts_tcp_cc_names(), "bbr"));
    struct ts_config cfg;
    ts_config_default(&cfg);
    const char *why = NULL;
    cfg.tcp_cc = "bbr";
    struct ts_stack *s = ts_stack_new(&cfg, &why);
    assert_non_null(s);
    struct ts_sock *l = NULL;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    assert_string_equal(ts_tcp_get_cc(l), "bbr");
    struct ts_tcp_info in;
    ts_tcp_get_info(l, &in);
    assert_string_equal(in.bbr_mode, "startup");
    assert_int_equal(ts_tcp_set_cc(l, "cubic"), 0);
    ts_tcp_get_info(l, &in);
    assert_null(in.bbr_mode);
    assert_int_equal(ts_tcp_set_cc(l, "bbr"), 0);
    assert_string_equal(ts_tcp_get_cc(l), "bbr");
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(max_filter),
        cmocka_unit_test(startup_to_probe_bw),
        cmocka_unit_test(recovery_keeps_cwnd),
        cmocka_unit_test(timeout_and_back),
        cmocka_unit_test(probe_rtt),
        cmocka_unit_test(choose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
