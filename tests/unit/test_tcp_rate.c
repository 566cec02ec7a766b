/* Delivery rate estimation (stack/tcp/tcp_rate.c, draft-cheng-iccrg-delivery-rate-estimation):
 * segments stamped when sent through the segment record (tcp_segs.c), delivered by cumulative
 * ACK or SACK, one sample per ACK on a virtual clock; the longer of the send and ACK phases;
 * app-limited marking and its end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp/tcp_impl.h"

#define T0 TS_SEC(1)

static void tcb_init(struct ts_tcb *t)
{
    memset(t, 0, sizeof *t);
    t->mss = 1000;
    t->cwnd = 10000;
    t->flags = TF_SACK;
}

/* Send [una..end) as new data at now (as tcp_output does: the record, then SND.MAX). */
static void send_new(struct ts_tcb *t, uint32_t len, ts_time_t now)
{
    assert_int_equal(tcp_segs_sent(t, t->snd_max, len, now), 0);
    t->snd_max += len;
}

static void ack(struct ts_tcb *t, uint32_t a, ts_time_t now, struct tcp_rate_sample *rs)
{
    uint32_t n = a - t->snd_una;
    tcp_segs_acked(t, a, now);
    t->snd_una = a;
    tcp_rate_sample(t, n, 0, 0, now, rs);
}

/* Ten segments at once; ACKs 10 ms later: the ACK phase is the interval. Segments sent later
 * carry the delivered count of their send time. */
static void ack_phase(void **st)
{
    (void)st;
    struct ts_tcb t;
    tcb_init(&t);
    struct tcp_rate_sample rs;
    send_new(&t, 10000, T0);
    ack(&t, 2000, T0 + TS_MS(10), &rs);
    assert_int_equal(rs.delivered, 2000);
    assert_int_equal(rs.interval, TS_MS(10));
    assert_int_equal(rs.delivery_rate, 200000);          /* 2000 bytes in 10 ms */
    assert_false(rs.is_app_limited);
    send_new(&t, 2000, T0 + TS_MS(10));
    ack(&t, 4000, T0 + TS_MS(11), &rs);                  /* sent at T0 with delivered 0 */
    assert_int_equal(rs.prior_delivered, 0);
    assert_int_equal(rs.delivered, 4000);
    assert_int_equal(rs.interval, TS_MS(11));
    ack(&t, 12000, T0 + TS_MS(20), &rs);                 /* the newest: sent at T0 + 10 ms */
    assert_int_equal(rs.prior_delivered, 2000);
    assert_int_equal(rs.delivered, 10000);
    assert_int_equal(rs.interval, TS_MS(10));            /* since the ACK at T0 + 10 ms */
    assert_int_equal(rs.delivery_rate, 1000000);
    tcp_segs_free(&t.segs);
}

/* Eight segments sent over 7 ms after the ACK of the first, whose ACKs all come at once: the send
 * phase (from the transmission of the segment last delivered before them, 17 ms) is the interval,
 * not the ACK phase (8 ms), so the ACK compression does not inflate the rate. A sample shorter
 * than min_rtt is dropped. */
static void send_phase(void **st)
{
    (void)st;
    struct ts_tcb t;
    tcb_init(&t);
    struct tcp_rate_sample rs;
    send_new(&t, 2000, T0);
    ack(&t, 1000, T0 + TS_MS(10), &rs);                 /* one segment stays in flight */
    for (int i = 0; i < 8; i++) send_new(&t, 1000, T0 + TS_MS(10) + TS_MS(i));
    ack(&t, 10000, T0 + TS_MS(18), &rs);
    assert_int_equal(rs.delivered, 9000);
    assert_int_equal(rs.interval, TS_MS(17));
    assert_int_equal(rs.delivery_rate, 9000ull * TS_SEC(1) / TS_MS(17));
    send_new(&t, 1000, T0 + TS_MS(30));
    tcp_segs_acked(&t, 11000, T0 + TS_MS(31));
    t.snd_una = 11000;
    tcp_rate_sample(&t, 1000, 0, TS_MS(5), T0 + TS_MS(31), &rs);
    assert_int_equal(rs.interval, 0);                    /* 1 ms < min_rtt 5 ms: no rate */
    assert_int_equal(rs.delivery_rate, 0);
    tcp_segs_free(&t.segs);
}

/* SACKed segments are delivered too; an ACK that delivers nothing gives no sample. */
static void sack_delivers(void **st)
{
    (void)st;
    struct ts_tcb t;
    tcb_init(&t);
    struct tcp_rate_sample rs;
    send_new(&t, 5000, T0);
    tcp_segs_sacked(&t, 2000, 5000, T0 + TS_MS(10));
    tcp_rate_sample(&t, 3000, 0, 0, T0 + TS_MS(10), &rs);
    assert_int_equal(rs.delivered, 3000);
    assert_int_equal(rs.delivery_rate, 300000);
    tcp_rate_sample(&t, 0, 0, 0, T0 + TS_MS(11), &rs);
    assert_int_equal(rs.delivered, 0);
    assert_int_equal(rs.interval, 0);
    tcp_segs_free(&t.segs);
}

/* Nothing left to send with room in cwnd: app-limited until what is in flight is delivered. */
static void app_limited(void **st)
{
    (void)st;
    struct ts_tcb t;
    tcb_init(&t);
    struct tcp_rate_sample rs;
    send_new(&t, 3000, T0);
    tcp_rate_check_app_limited(&t);                      /* the send ring is empty: 3000 < cwnd */
    assert_int_equal(t.rate.app_limited, 3000);
    send_new(&t, 1000, T0 + TS_MS(1));                   /* stamped app-limited */
    ack(&t, 3000, T0 + TS_MS(10), &rs);
    assert_false(rs.is_app_limited);                     /* sent before the mark */
    ack(&t, 4000, T0 + TS_MS(11), &rs);
    assert_true(rs.is_app_limited);
    assert_int_equal(t.rate.app_limited, 0);             /* delivered passed the mark */
    t.snd.len = 5000;                                    /* data waiting: not app-limited */
    t.snd_buf_seq = t.snd_una;
    tcp_rate_check_app_limited(&t);
    assert_int_equal(t.rate.app_limited, 0);
    tcp_segs_free(&t.segs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ack_phase),
        cmocka_unit_test(send_phase),
        cmocka_unit_test(sack_delivers),
        cmocka_unit_test(app_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
