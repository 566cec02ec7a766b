/* TCP end to end: two stacks joined by an in-process wire (optionally lossy), 1 MB each way
 * byte-exact, then an orderly close on both sides; plus RST to a closed port, connection
 * refused, and abort. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include "tapstack/stack.h"
#include "tapstack/socket.h"
#include "tapstack/stats.h"
#include "core/rand.h"
#include "tcp/tcp_info.h"

#define IP_A 0x0a000002u
#define IP_B 0x0a000001u
#define MB (1u << 20)

struct wire {
    struct ts_stack *a, *b;
    ts_time_t now;
    struct ts_rng rng;
    unsigned loss_pct;     /* frames dropped, percent */
    uint64_t moved, lost;
};

static struct ts_stack *mk(uint32_t ip, uint8_t last, uint64_t seed)
{
    struct ts_config c;
    ts_config_default(&c);
    c.ip = ip;
    c.mac[5] = last;
    c.seed = seed;
    c.tcp_msl = TS_SEC(1);
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    return s;
}

static void wire_init(struct wire *w, unsigned loss)
{
    memset(w, 0, sizeof *w);
    w->a = mk(IP_A, 2, 1);
    w->b = mk(IP_B, 1, 2);
    w->now = TS_SEC(1);
    w->loss_pct = loss;
    ts_rng_seed(&w->rng, 7);
}

static void wire_free(struct wire *w)
{
    ts_stack_free(w->a);
    ts_stack_free(w->b);
}

/* Move every queued frame across (each direction), run due timers, dispatch. Returns frames moved. */
static unsigned wire_step(struct wire *w)
{
    static uint8_t buf[16384];
    unsigned n = 0;
    for (int dir = 0; dir < 2; dir++) {
        struct ts_stack *from = dir ? w->b : w->a, *to = dir ? w->a : w->b;
        size_t len;
        while ((len = ts_stack_transmit(from, w->now, buf, sizeof buf)) > 0) {
            n++;
            if (w->loss_pct && ts_rng_below(&w->rng, 100) < w->loss_pct) { w->lost++; continue; }
            ts_stack_receive(to, w->now, buf, len);
        }
    }
    w->moved += n;
    if (ts_stack_poll_at(w->a) <= w->now) ts_stack_poll(w->a, w->now);
    if (ts_stack_poll_at(w->b) <= w->now) ts_stack_poll(w->b, w->now);
    ts_stack_dispatch(w->a, w->now);
    ts_stack_dispatch(w->b, w->now);
    return n;
}

/* Nothing moved: jump the clock to the next deadline (false if there is none). */
static bool wire_idle(struct wire *w)
{
    ts_time_t da = ts_stack_poll_at(w->a), db = ts_stack_poll_at(w->b);
    ts_time_t d = da < db ? da : db;
    if (d == TS_TIME_NEVER) return false;
    w->now = d > w->now ? d : w->now + 1;
    return true;
}

struct pipe_end {
    struct ts_sock *sock;
    const uint8_t *out;    /* what to send */
    size_t out_len, sent;
    uint8_t *in;           /* what arrived */
    size_t in_len, in_cap;
    bool eof, shut;
    unsigned events;
    size_t reader_max, taken;   /* with a reader (ts_tcp_set_reader): at most this per call; bytes it took */
};

/* A reader that appends what it takes to in, at most reader_max bytes a call (the rest is left
 * in the receive buffer for ts_tcp_recv). */
static size_t take_cb(void *arg, const void *data, size_t len)
{
    struct pipe_end *p = arg;
    size_t n = len < p->reader_max ? len : p->reader_max;
    if (n > p->in_cap - p->in_len) n = p->in_cap - p->in_len;
    memcpy(p->in + p->in_len, data, n);
    p->in_len += n;
    p->taken += n;
    return n;
}

static void ev_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)sock; (void)now;
    struct pipe_end *p = arg;
    p->events |= events;
}

struct acceptor { struct ts_sock *l; struct pipe_end *p; };

static void accept_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)now;
    struct acceptor *a = arg;
    if (!(events & TS_EV_READABLE)) return;
    struct ts_sock *c = ts_tcp_accept(sock, ev_cb, a->p);
    if (c) a->p->sock = c;
    if (c && a->p->reader_max) assert_int_equal(ts_tcp_set_reader(c, take_cb, a->p), 0);
}

/* Push and pull as much as the sockets take. Returns true if anything moved. */
static bool pump(struct pipe_end *p, ts_time_t now)
{
    bool moved = false;
    if (!p->sock) return false;
    while (p->sent < p->out_len) {
        long r = ts_tcp_send(p->sock, now, p->out + p->sent, p->out_len - p->sent);
        if (r <= 0) break;
        p->sent += (size_t)r;
        moved = true;
    }
    if (p->sent == p->out_len && !p->shut) {
        if (ts_tcp_shutdown(p->sock, now) == 0) { p->shut = true; moved = true; }
    }
    for (;;) {
        long r = ts_tcp_recv(p->sock, now, p->in + p->in_len, p->in_cap - p->in_len);
        if (r > 0) { p->in_len += (size_t)r; moved = true; continue; }
        if (r == 0 && !p->eof) { p->eof = true; moved = true; }
        break;
    }
    return moved;
}

static bool count_one(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info)
{
    (void)sock; (void)info;
    (*(unsigned *)arg)++;
    return true;
}

static unsigned count_tcp(const struct ts_stack *s)
{
    unsigned n = 0;
    ts_tcp_foreach(s, count_one, &n);
    return n;
}

static bool done(const struct ts_sock *so)
{
    enum ts_tcp_state st = ts_tcp_get_state(so);
    return st == TS_TCP_TIME_WAIT || st == TS_TCP_CLOSED;
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) { x = x * 1103515245u + 12345u; b[i] = (uint8_t)(x >> 16); }
    return b;
}

/* 1 MB each way over a link losing loss % of frames; b's side reads through a reader taking at
 * most reader_max bytes a call when reader_max is not 0. */
static void transfer_with(unsigned loss, size_t reader_max)
{
    struct wire w;
    wire_init(&w, loss);
    uint8_t *da = pattern(MB, 1), *db = pattern(MB, 2);
    struct pipe_end pa = { .out = da, .out_len = MB, .in = malloc(MB + 1), .in_cap = MB + 1 };
    struct pipe_end pb = { .out = db, .out_len = MB, .in = malloc(MB + 1), .in_cap = MB + 1,
                           .reader_max = reader_max };
    struct acceptor acc = { .p = &pb };
    assert_int_equal(ts_tcp_listen(w.b, 0, 7000, 16, accept_cb, &acc, &acc.l), 0);
    assert_int_equal(ts_tcp_connect(w.a, w.now, 0, 0, IP_B, 7000, ev_cb, &pa, &pa.sock), 0);
    for (long it = 0; it < 5000000; it++) {
        unsigned n = wire_step(&w);
        bool m = pump(&pa, w.now);    /* both pump every step: no short circuit */
        m = pump(&pb, w.now) || m;
        if (pa.eof && pb.eof && done(pa.sock) && done(pb.sock)) break;
        if (n == 0 && !m && !wire_idle(&w)) break;
        if (n) w.now += 20;    /* a little link delay */
        if (w.now > TS_SEC(600)) break;
    }
    assert_true(pa.eof);
    assert_true(pb.eof);
    assert_int_equal(pa.in_len, MB);
    assert_int_equal(pb.in_len, MB);
    assert_memory_equal(pa.in, db, MB);
    assert_memory_equal(pb.in, da, MB);
    /* what came before the accept waited in the ring; everything after went to the reader */
    if (reader_max >= MB && loss == 0) assert_true(pb.taken > MB - 65536);
    else if (reader_max) assert_true(pb.taken > 0 && pb.taken < MB);
    /* both sent FIN when done sending: a in TIME_WAIT; b through LAST_ACK to CLOSED, or in
     * TIME_WAIT too when the FINs crossed (simultaneous close) */
    /* Both send FIN when done sending: one ends in TIME_WAIT (CLOSED once 2 MSL passed), the
     * other through LAST_ACK to CLOSED, or both in TIME_WAIT when the FINs crossed. */
    enum ts_tcp_state sa = ts_tcp_get_state(pa.sock), sb = ts_tcp_get_state(pb.sock);
    assert_true(sa == TS_TCP_TIME_WAIT || sa == TS_TCP_CLOSED);
    assert_true(sb == TS_TCP_TIME_WAIT || sb == TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(pa.sock), 0);
    assert_int_equal(ts_sock_error(pb.sock), 0);
    struct ts_tcp_info ia, ib;
    ts_tcp_get_info(pa.sock, &ia);
    ts_tcp_get_info(pb.sock, &ib);
    assert_true(ia.hist_len >= 4);
    assert_int_equal(ia.hist[0].new_state, TS_TCP_SYN_SENT);
    assert_int_equal(ib.hist[0].new_state, TS_TCP_SYN_RECEIVED);
    assert_true(ia.hist[ia.hist_len - 1].new_state == TS_TCP_TIME_WAIT ||
                ib.hist[ib.hist_len - 1].new_state == TS_TCP_TIME_WAIT ||
                ia.hist[ia.hist_len - 2].new_state == TS_TCP_TIME_WAIT ||
                ib.hist[ib.hist_len - 2].new_state == TS_TCP_TIME_WAIT);
    ts_tcp_close(pa.sock, w.now);
    ts_tcp_close(pb.sock, w.now);
    /* without a handle, TIME_WAIT is a compact record: still a connection to netstat */
    for (int side = 0; side < 2; side++) {
        struct ts_stack *st = side ? w.b : w.a;
        if ((side ? sb : sa) != TS_TCP_TIME_WAIT) continue;
        struct ts_mem_usage m;
        ts_stack_memory(st, &m);
        assert_int_equal(m.tcp_time_wait, 1);
        assert_true(m.tcp_time_wait_bytes > 0 && m.tcp_time_wait_bytes <= 128);
        assert_int_equal(count_tcp(st), 1 + side);          /* b has its listener too */
        assert_int_equal(m.tcp_conns, (unsigned)side);
        assert_int_equal(ts_stack_stats(st)->v[TS_CTR_tcp_timewait_compacted], 1);
    }
    if (loss == 0) assert_true(sa == TS_TCP_TIME_WAIT || sb == TS_TCP_TIME_WAIT);
    /* 2 MSL later the TIME_WAITs are gone: only the listener is left */
    for (int i = 0; i < 100; i++) if (wire_step(&w) == 0 && !wire_idle(&w)) break;
    assert_int_equal(count_tcp(w.a), 0);
    assert_int_equal(count_tcp(w.b), 1);
    assert_int_equal(ts_tcp_get_state(acc.l), TS_TCP_LISTEN);
    ts_tcp_close(acc.l, w.now);
    if (getenv("TCP_E2E_VERBOSE"))
        fprintf(stderr, "loss %u%%: done at %.3f s virtual, %llu frames, %llu lost, rexmit %llu+%llu, sack %llu, rto %llu\n", loss,
                (double)(w.now - TS_SEC(1)) / 1e6, (unsigned long long)w.moved, (unsigned long long)w.lost,
                (unsigned long long)ts_stack_stats(w.a)->v[TS_CTR_tcp_retransmits], (unsigned long long)ts_stack_stats(w.b)->v[TS_CTR_tcp_retransmits],
                (unsigned long long)(ts_stack_stats(w.a)->v[TS_CTR_tcp_sack_retransmits] + ts_stack_stats(w.b)->v[TS_CTR_tcp_sack_retransmits]),
                (unsigned long long)(ts_stack_stats(w.a)->v[TS_CTR_tcp_timeouts] + ts_stack_stats(w.b)->v[TS_CTR_tcp_timeouts]));
    if (loss) assert_true(ts_stack_stats(w.a)->v[TS_CTR_tcp_retransmits] + ts_stack_stats(w.b)->v[TS_CTR_tcp_retransmits] > 0);
    free(da); free(db); free(pa.in); free(pb.in);
    wire_free(&w);
}

static void transfer(unsigned loss) { transfer_with(loss, 0); }
static void one_mb_each_way(void **st) { (void)st; transfer(0); }
static void one_mb_through_reader(void **st) { (void)st; transfer_with(0, MB); }
static void one_mb_through_partial_reader_lossy(void **st) { (void)st; transfer_with(3, 1000); }
static void one_mb_each_way_lossy(void **st) { (void)st; transfer(3); }
static void one_mb_each_way_very_lossy(void **st) { (void)st; transfer(15); }

static void refused_by_closed_port(void **st)
{
    (void)st;
    struct wire w;
    wire_init(&w, 0);
    struct pipe_end pa = { 0 };
    assert_int_equal(ts_tcp_connect(w.a, w.now, 0, 0, IP_B, 9, ev_cb, &pa, &pa.sock), 0);
    for (int i = 0; i < 100; i++) if (wire_step(&w) == 0 && (pa.events || !wire_idle(&w))) break;
    assert_true(pa.events & TS_EV_ERROR);
    assert_int_equal(ts_sock_error(pa.sock), TS_ECONNREFUSED);
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_CLOSED);
    assert_int_equal(ts_stack_stats(w.b)->v[TS_CTR_tcp_drop_no_socket], 1);
    assert_int_equal(ts_tcp_recv(pa.sock, w.now, NULL, 0), -TS_ECONNREFUSED);
    ts_tcp_close(pa.sock, w.now);
    wire_free(&w);
}

static void abort_resets_peer(void **st)
{
    (void)st;
    struct wire w;
    wire_init(&w, 0);
    struct pipe_end pa = { 0 }, pb = { 0 };
    struct acceptor acc = { .p = &pb };
    assert_int_equal(ts_tcp_listen(w.b, 0, 80, 4, accept_cb, &acc, &acc.l), 0);
    assert_int_equal(ts_tcp_connect(w.a, w.now, 0, 0, IP_B, 80, ev_cb, &pa, &pa.sock), 0);
    for (int i = 0; i < 100 && !pb.sock; i++) if (wire_step(&w) == 0 && !wire_idle(&w)) break;
    assert_non_null(pb.sock);
    assert_true(pa.events & TS_EV_CONNECTED);
    assert_int_equal(ts_tcp_get_state(pb.sock), TS_TCP_ESTABLISHED);
    ts_tcp_abort(pa.sock, w.now);
    for (int i = 0; i < 10; i++) wire_step(&w);
    assert_true(pb.events & TS_EV_ERROR);
    assert_int_equal(ts_sock_error(pb.sock), TS_ECONNRESET);
    assert_int_equal(ts_tcp_send(pb.sock, w.now, "x", 1), -TS_ECONNRESET);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(acc.l, w.now);
    wire_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_mb_each_way), cmocka_unit_test(one_mb_each_way_lossy),
        cmocka_unit_test(one_mb_each_way_very_lossy), cmocka_unit_test(one_mb_through_reader),
        cmocka_unit_test(one_mb_through_partial_reader_lossy),
        cmocka_unit_test(refused_by_closed_port), cmocka_unit_test(abort_resets_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
