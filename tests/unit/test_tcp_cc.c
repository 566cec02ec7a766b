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
    tcp_prr_ack(&t, 1000, 13500);      /* room 500 < limit */
    assert_int_equal(t.cwnd, 14000);
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
        cmocka_unit_test(choose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
