/* The two-stack harness (see twostack.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "twostack.h"

void twostack_config(struct ts_config *c, uint32_t ip, uint8_t mac_last, uint64_t seed)
{
    ts_config_default(c);
    c->ip = ip;
    c->mac[5] = mac_last;
    c->seed = seed;
}

void twostack_init_with(struct twostack *t, const struct ts_config *cc, const struct ts_config *sc,
                        bool static_arp)
{
    memset(t, 0, sizeof *t);
    t->c = ts_stack_new(cc, NULL);
    t->s = ts_stack_new(sc, NULL);
    t->buf = malloc(TS_FRAME_MAX_GSO);
    assert_non_null(t->c);
    assert_non_null(t->s);
    assert_non_null(t->buf);
    t->now = TS_SEC(1);
    t->s2c_budget = -1;
    ts_rng_seed(&t->rng, 7);
    if (static_arp) {
        ts_stack_arp_add(t->c, t->now, sc->ip, sc->mac, true);
        ts_stack_arp_add(t->s, t->now, cc->ip, cc->mac, true);
    }
}

void twostack_init(struct twostack *t, bool static_arp)
{
    struct ts_config cc, sc;
    twostack_config(&cc, TWOSTACK_CLIENT_IP, 1, 1);
    ts_config_default(&sc);
    sc.seed = 2;
    twostack_init_with(t, &cc, &sc, static_arp);
}

void twostack_add_app(struct twostack *t, struct ts_app *app)
{
    assert_true(t->napps < TWOSTACK_MAX_APPS);
    t->apps[t->napps++] = app;
}

/* Run the apps whose deadline has come; true if any ran. */
static bool run_due_apps(struct twostack *t)
{
    bool any = false;
    for (unsigned i = 0; i < t->napps; i++) {
        struct ts_app *a = t->apps[i];
        if (a->poll_at && a->poll && a->poll_at(a->ctx) <= t->now) {
            a->poll(a->ctx, t->now);
            any = true;
        }
    }
    return any;
}

void twostack_deliver(struct twostack *t, struct ts_stack *to, const uint8_t *frame, size_t len,
                      const struct ts_frame_info *info)
{
    if (t->loss_pct && ts_rng_below(&t->rng, 100) < t->loss_pct) {
        t->lost++;
        return;
    }
    ts_stack_receive_info(to, t->now, frame, len, info);
}

/* Every frame from has queued now crosses to `to` (the server's to the client only while
 * s2c_budget allows). Returns the frames taken. */
static unsigned cross(struct twostack *t, struct ts_stack *from, struct ts_stack *to)
{
    unsigned n = 0;
    struct ts_frame_info info;
    size_t len;
    while ((len = ts_stack_transmit_info(from, t->now, t->buf, TS_FRAME_MAX_GSO, &info)) > 0) {
        n++;
        if (from == t->s && t->s2c_budget >= 0) {
            if (t->s2c_budget == 0) continue;      /* the link to the client is cut */
            t->s2c_budget--;
        }
        if (t->link) t->link(t, from, to, t->buf, len, &info);
        else twostack_deliver(t, to, t->buf, len, &info);
    }
    t->moved += n;
    return n;
}

void twostack_settle(struct twostack *t)
{
    for (int i = 0; i < 1000000; i++) {
        bool any = cross(t, t->c, t->s) > 0;
        any |= cross(t, t->s, t->c) > 0;
        any |= ts_stack_dispatch(t->c, t->now) > 0;
        any |= ts_stack_dispatch(t->s, t->now) > 0;
        any |= run_due_apps(t);
        if (!any) return;
    }
    fail_msg("the link never settled");
}

static ts_time_t next_deadline(const struct twostack *t)
{
    ts_time_t d = ts_stack_poll_at(t->c), d2 = ts_stack_poll_at(t->s);
    if (d2 < d) d = d2;
    for (unsigned i = 0; i < t->napps; i++) {
        struct ts_app *a = t->apps[i];
        ts_time_t da = a->poll_at ? a->poll_at(a->ctx) : TS_TIME_NEVER;
        if (da < d) d = da;
    }
    return d;
}

void twostack_run(struct twostack *t, ts_time_t dt)
{
    ts_time_t end = t->now + dt;
    twostack_settle(t);
    for (int i = 0; i < 200000; i++) {
        if (t->done && t->done(t->done_arg)) return;
        ts_time_t d = next_deadline(t);
        if (d > end) break;
        if (d > t->now) t->now = d;
        ts_stack_poll(t->c, t->now);
        ts_stack_poll(t->s, t->now);
        twostack_settle(t);
    }
    if (t->done && t->done(t->done_arg)) return;
    t->now = end;
    twostack_settle(t);
}

unsigned twostack_step(struct twostack *t)
{
    unsigned n = cross(t, t->c, t->s);
    n += cross(t, t->s, t->c);
    if (ts_stack_poll_at(t->c) <= t->now) ts_stack_poll(t->c, t->now);
    if (ts_stack_poll_at(t->s) <= t->now) ts_stack_poll(t->s, t->now);
    ts_stack_dispatch(t->c, t->now);
    ts_stack_dispatch(t->s, t->now);
    run_due_apps(t);
    return n;
}

bool twostack_idle(struct twostack *t)
{
    ts_time_t d = next_deadline(t);
    if (d == TS_TIME_NEVER) return false;
    t->now = d > t->now ? d : t->now + 1;
    return true;
}

void twostack_end_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)sock;
    (void)now;
    struct twostack_end *e = arg;
    e->events |= events;
}

void twostack_end_accept(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)now;
    struct twostack_end *e = arg;
    if (!(events & TS_EV_READABLE)) return;
    struct ts_sock *c = ts_tcp_accept(sock, twostack_end_event, e);
    if (c) e->sock = c;
}

bool twostack_pump(struct twostack_end *e, ts_time_t now)
{
    bool moved = false;
    if (!e->sock) return false;
    while (e->sent < e->out_len) {
        long r = ts_tcp_send(e->sock, now, e->out + e->sent, e->out_len - e->sent);
        if (r <= 0) break;
        e->sent += (size_t)r;
        moved = true;
    }
    if (e->sent == e->out_len && !e->shut && ts_tcp_shutdown(e->sock, now) == 0) {
        e->shut = true;
        moved = true;
    }
    for (;;) {
        long r = ts_tcp_recv(e->sock, now, e->in + e->in_len, e->in_cap - e->in_len);
        if (r > 0) {
            e->in_len += (size_t)r;
            moved = true;
            continue;
        }
        if (r == 0 && !e->eof) {
            e->eof = true;
            moved = true;
        }
        break;
    }
    return moved;
}

void twostack_connect(struct twostack *t, uint16_t port, struct twostack_end *a, struct twostack_end *b,
                      struct ts_sock **l)
{
    assert_int_equal(ts_tcp_listen(t->s, 0, port, 4, twostack_end_accept, b, l), 0);
    uint32_t sip = ts_stack_config(t->s)->ip;
    assert_int_equal(ts_tcp_connect(t->c, t->now, 0, 0, sip, port, twostack_end_event, a, &a->sock), 0);
    for (int i = 0; i < 100 && !b->sock; i++)
        if (twostack_step(t) == 0 && !twostack_idle(t)) break;
    assert_non_null(b->sock);
}

void twostack_exchange(struct twostack *t, struct twostack_end *a, struct twostack_end *b, ts_time_t delay,
                       ts_time_t until)
{
    for (long it = 0; it < 5000000 && t->now < until; it++) {
        unsigned n = twostack_step(t);
        bool m = twostack_pump(a, t->now);    /* both pump every step: no short circuit */
        m = twostack_pump(b, t->now) || m;
        if (t->done && t->done(t->done_arg)) return;
        if (n == 0 && !m && !twostack_idle(t)) return;
        if (n) t->now += delay;
    }
}

void twostack_free(struct twostack *t)
{
    ts_stack_free(t->c);
    ts_stack_free(t->s);
    free(t->buf);
    t->c = t->s = NULL;
    t->buf = NULL;
}
