/* Congestion control (stack/tcp/tcp_cc*.c): CUBIC's window function (RFC 9438 §4.2) by hand,
 * PRR's arithmetic (RFC 6937), and choosing a controller per stack and per socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp/tcp_impl.h"
#include "tapstack/socket.h"

static double absd(double x) { return x < 0 ? -x : x; }

/* K = cbrt((W_max - cwnd_epoch) / C), C = 0.4: W_max 100, cwnd_epoch 70 (beta 0.7) gives
 * cbrt(75) = 4.2172; no reduction gives K = 0. */
static void cubic_k(void **st)
{
    (void)st;
    assert_true(absd(tcp_cubic_k(100.0, 70.0) - 4.21716) < 1e-4);
    assert_true(absd(tcp_cubic_k(1000.0, 700.0) - 9.08560) < 1e-4);
    assert_true(tcp_cubic_k(50.0, 70.0) == 0.0);
    assert_true(tcp_cubic_k(70.0, 70.0) == 0.0);
}

/* W_cubic(0) = cwnd_epoch, W_cubic(K) = W_max (the plateau), concave before K, convex after,
 * and symmetric about K. */
static void cubic_window(void **st)
{
    (void)st;
    double k = tcp_cubic_k(100.0, 70.0);
    assert_true(absd(tcp_cubic_w(0.0, k, 100.0) - 70.0) < 1e-6);
    assert_true(absd(tcp_cubic_w(k, k, 100.0) - 100.0) < 1e-9);
    double a = tcp_cubic_w(k - 1.0, k, 100.0), b = tcp_cubic_w(k + 1.0, k, 100.0);
    assert_true(absd((100.0 - a) - (b - 100.0)) < 1e-9);
    assert_true(absd(b - 100.4) < 1e-9);               /* C * 1^3 above W_max */
    /* growth slows towards the plateau, then speeds up past it */
    double g1 = tcp_cubic_w(1.0, k, 100.0) - tcp_cubic_w(0.0, k, 100.0);
    double g2 = tcp_cubic_w(k, k, 100.0) - tcp_cubic_w(k - 1.0, k, 100.0);
    double g3 = tcp_cubic_w(k + 2.0, k, 100.0) - tcp_cubic_w(k + 1.0, k, 100.0);
    assert_true(g1 > g2 && g3 > g2);
}

/* RFC 6937: proportional part while pipe > ssthresh, slow-start bound (SSRB) below it, and the
 * fast retransmit always allowed. */
static void prr(void **st)
{
    (void)st;
    struct ts_tcb t;
    memset(&t, 0, sizeof t);
    t.mss = 1000;
    t.snd_una = 1000;
    t.snd_max = 21000;                 /* RecoverFS = 20000 */
    t.ssthresh = 14000;                /* beta 0.7 */
    t.flags = TF_IN_RECOVERY;
    tcp_prr_start(&t);
    assert_int_equal(t.recover_fs, 20000);
    tcp_prr_ack(&t, 0, 20000);         /* nothing delivered yet: the retransmission goes */
    assert_int_equal(t.cwnd, 21000);
    tcp_prr_sent(&t, 1000);
    tcp_prr_ack(&t, 2000, 18000);      /* ceil(2000*14000/20000) - 1000 = 400 */
    assert_int_equal(t.cwnd, 18400);
    tcp_prr_sent(&t, 400);
    tcp_prr_ack(&t, 10000, 8000);      /* below ssthresh: min(14000-8000, max(12000-1400, 10000)+1000) */
    assert_int_equal(t.cwnd, 14000);
    tcp_prr_ack(&t, 1000, 13500);      /* room 500, rounded up to a whole segment */
    assert_int_equal(t.cwnd, 14500);
}

/* RFC 9937 §5: RecoverFS is the pipe before recovery, the SACKed bytes left out (they are never
 * delivered again). With 8000 of the 20000 in flight SACKed, RecoverFS = 12000 and two segments
 * delivered let ceil(2000 * 7000 / 12000) - 1000 = 167 bytes go; RFC 6937's RecoverFS = 20000 let
 * nothing go (700 - 1000 < 0), and the flight shrank far under ssthresh before recovery ended. */
static void prr_recover_fs(void **st)
{
    (void)st;
    struct ts_tcb t;
    memset(&t, 0, sizeof t);
    t.mss = 1000;
    t.snd_una = 1000;
    t.snd_max = 21000;
    t.segs.sacked_bytes = 8000;
    t.ssthresh = 7000;
    t.flags = TF_IN_RECOVERY;
    tcp_prr_start(&t);
    assert_int_equal(t.recover_fs, 12000);
    tcp_prr_ack(&t, 0, 10000);
    tcp_prr_sent(&t, 1000);                 /* the fast retransmit */
    tcp_prr_ack(&t, 2000, 9000);
    assert_int_equal(t.cwnd, 9167);
}

/* RFC 9438 §4.3: in the Reno-friendly region W_est grows by alpha_cubic (0.53) segments per
 * window acknowledged until it reaches cwnd_prior, the window before the reduction, then by 1.
 * On a 100 us path (W_cubic barely moves in a few ms) a window of 10 cut to 7 is back past 10
 * after 6 rounds and at 16 after 12; with 0.53 throughout it would be at about 13. */
static void cubic_reno_friendly(void **st)
{
    (void)st;
    struct ts_tcb t;
    memset(&t, 0, sizeof t);
    t.mss = 1000;
    t.cwnd = 10000;
    t.ssthresh = UINT32_MAX / 2;
    t.rtt.valid = true;
    t.rtt.srtt = 100;
    tcp_cc_cubic.init(&t);
    ts_time_t now = TS_SEC(1);
    tcp_cc_cubic.on_congestion(&t, now);
    assert_int_equal(t.ssthresh, 7000);
    t.cwnd = t.ssthresh;                    /* recovery ends with cwnd = ssthresh */
    for (int round = 0; round < 12; round++) {
        for (uint32_t n = t.cwnd / t.mss; n > 0; n--) tcp_cc_cubic.on_ack(&t, t.mss, 100, now);
        now += 100;
    }
    assert_true(t.cwnd >= 15000);
    assert_true(t.cwnd <= 18000);
}

/* The stack's default is CUBIC; --cc newreno; an unknown name refused with a reason; a socket
 * may change its controller. */
static void choose(void **st)
{
    (void)st;
    assert_true(ts_tcp_cc_known("cubic"));
    assert_true(ts_tcp_cc_known("newreno"));
    assert_false(ts_tcp_cc_known("vegas"));
    assert_false(ts_tcp_cc_known(""));
    struct ts_config cfg;
    ts_config_default(&cfg);
    const char *why = NULL;
    cfg.tcp_cc = "vegas";
    assert_null(ts_stack_new(&cfg, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, "congestion controller"));
    cfg.tcp_cc = "newreno";
    struct ts_stack *s = ts_stack_new(&cfg, &why);
    assert_non_null(s);
    struct ts_sock *l = NULL;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    assert_string_equal(ts_tcp_get_cc(l), "newreno");
    assert_int_equal(ts_tcp_set_cc(l, "reno2"), -TS_EINVAL);
    assert_string_equal(ts_tcp_get_cc(l), "newreno");
    assert_int_equal(ts_tcp_set_cc(l, "cubic"), 0);
    assert_string_equal(ts_tcp_get_cc(l), "cubic");
    ts_stack_free(s);
    cfg.tcp_cc = NULL;
    s = ts_stack_new(&cfg, &why);
    assert_non_null(s);
    assert_int_equal(ts_tcp_listen(s, 0, 81, 4, NULL, NULL, &l), 0);
    assert_string_equal(ts_tcp_get_cc(l), "cubic");
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cubic_k),
        cmocka_unit_test(cubic_window),
        cmocka_unit_test(prr),
        cmocka_unit_test(prr_recover_fs),
        cmocka_unit_test(cubic_reno_friendly),
        cmocka_unit_test(choose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
