/* The small services over UDP (stack/apps/services/services.c): echo answers exactly, discard is silent,
 * daytime answers with a line, and echo holds a reply back (never loses it) when frames run out. */
#include <stdlib.h>
#include "lib/udp_frames.h"
#include "apps/services/services.h"
#include "tapstack/socket.h"

#define T0 TS_SEC(1)

struct fx {
    struct ts_stack *s;
    struct ts_app app;
    uint8_t f[9100];
};

static int setup(void **st)
{
    struct fx *x = calloc(1, sizeof *x);
    x->s = new_stack();
    assert_int_equal(ts_stack_arp_add(x->s, T0, PEER_IP, PEER_MAC, true), 0);
    struct ts_services_opts o;
    ts_services_opts_default(&o);
    o.tcp = false;
    assert_int_equal(ts_services_start(x->s, T0, &o, &x->app), 0);
    assert_string_equal(x->app.name, "services");
    *st = x;
    return 0;
}

static int teardown(void **st)
{
    struct fx *x = *st;
    x->app.stop(x->app.ctx, T0);
    ts_stack_free(x->s);
    free(x);
    return 0;
}

/* Feed one datagram of n pattern bytes to port, dispatch, return the reply's UDP payload length
 * (payload at x->f + 42), or -1 if nothing was sent. */
static long ask(struct fx *x, uint16_t port, size_t n)
{
    size_t len = build_udp(x->f, OUR_IP, 40000, port, n, CSUM_GOOD, 0, 0);
    ts_stack_receive(x->s, T0, x->f, len);
    ts_stack_dispatch(x->s, T0);
    size_t m = ts_stack_transmit(x->s, T0, x->f, sizeof x->f);
    if (m == 0) return -1;
    assert_int_equal(x->f[23], 17);
    assert_int_equal(ts_get16(x->f + 34), port);
    assert_int_equal(ts_get16(x->f + 36), 40000);
    return (long)ts_get16(x->f + 38) - 8;
}

static void echo_exact(void **st)
{
    struct fx *x = *st;
    const size_t sizes[] = { 0, 1, 512, 1472 };
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(ask(x, 7, sizes[k]), (long)sizes[k]);
        for (size_t i = 0; i < sizes[k]; i++) assert_int_equal(x->f[42 + i], pat(i));
    }
    assert_int_equal(ts_services_stats(x->app.ctx)->udp_echoed, 4);
}

static void discard_silent(void **st)
{
    struct fx *x = *st;
    assert_int_equal(ask(x, 9, 100), -1);
    assert_int_equal(ts_services_stats(x->app.ctx)->udp_discarded, 1);
}

static void daytime_line(void **st)
{
    struct fx *x = *st;
    long n = ask(x, 13, 0);
    assert_true(n > 20 && n < 100);
    assert_int_equal(x->f[42 + n - 2], '\r');
    assert_int_equal(x->f[42 + n - 1], '\n');
    assert_non_null(memchr(x->f + 42, ':', (size_t)n));
}

/* Echo 8000-byte datagrams without ever draining the transmit queue: the frame pool runs dry,
 * a reply is held and retried from the app's poll, and once frames are back every datagram
 * has been answered. */
static void echo_holds_reply_when_frames_run_out(void **st)
{
    struct fx *x = *st;
    uint8_t dg[8008], fr[2048];
    put_udp(dg, PEER_IP, 40000, OUR_IP, 7, 8000, CSUM_GOOD, 0);
    const struct ts_services_stats *stt = ts_services_stats(x->app.ctx);
    unsigned sent = 0;
    for (unsigned round = 0; round < 20 && stt->udp_send_retry == 0; round++) {
        for (unsigned k = 0; k < 25; k++, sent++) {   /* 25 x 8000 fits the socket's queue */
            for (size_t off = 0; off < sizeof dg; off += 1480) {
                size_t n = sizeof dg - off < 1480 ? sizeof dg - off : 1480;
                size_t len = build_frag(fr, 17, (uint16_t)sent, dg, off, n, off + n < sizeof dg);
                ts_stack_receive(x->s, T0, fr, len);
            }
        }
        ts_stack_dispatch(x->s, T0);
    }
    assert_true(stt->udp_send_retry >= 1);
    assert_true(stt->udp_echoed < sent);
    ts_time_t t = T0;
    unsigned frames = 0;
    for (int i = 0; i < 1000 && stt->udp_echoed < sent; i++) {
        frames += drain(x->s, t);
        ts_time_t due = x->app.poll_at(x->app.ctx);
        assert_true(due != TS_TIME_NEVER);
        assert_true(due <= t + TS_MS(1));
        t = due;
        x->app.poll(x->app.ctx, t);
        ts_stack_dispatch(x->s, t);
    }
    frames += drain(x->s, t);
    assert_int_equal(stt->udp_echoed, sent);
    assert_int_equal(frames, sent * 6);
    assert_int_equal(x->app.poll_at(x->app.ctx), TS_TIME_NEVER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(echo_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(discard_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(daytime_line, setup, teardown),
        cmocka_unit_test_setup_teardown(echo_holds_reply_when_frames_run_out, setup, teardown),
    };
    return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
