/* The connection guard (stack/apps/conn_guard.c) on its own: admission, eviction order, per-peer
 * counts under churn, timeouts and their tightening, the once-a-second log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/conn_guard.h"

#define MAXN 20000

struct conn {
    struct ts_guard_node node;
    bool open;
    bool input;                   /* has_input says yes */
    int expired_cls;
};

struct world {
    struct ts_guard g;
    struct conn c[MAXN];
    unsigned evicted, expired, logs;
    char last_log[256];
};

static struct conn *conn_of(struct ts_guard_node *n)
{
    return (struct conn *)(void *)((char *)n - offsetof(struct conn, node));
}

enum { FIRST, REQ, IDLE, BUSY };

static void on_evict(void *arg, struct ts_guard_node *n, ts_time_t now)
{
    struct world *w = arg;
    (void)now;
    struct conn *c = conn_of(n);
    assert_true(c->open);
    c->open = false;
    w->evicted++;
    ts_guard_leave(&w->g, n);
}

static void on_expire(void *arg, struct ts_guard_node *n, int cls, ts_time_t now)
{
    struct world *w = arg;
    struct conn *c = conn_of(n);
    assert_true(c->open);
    assert_int_equal(n->cls, TS_GUARD_NONE);
    if (c->input && cls == REQ) {         /* a periodic check (as daytime's): back in its class */
        ts_guard_move(&w->g, n, REQ, now);
        return;
    }
    c->open = false;
    c->expired_cls = cls;
    w->expired++;
    ts_guard_leave(&w->g, n);
}

static bool on_has_input(void *arg, struct ts_guard_node *n)
{
    (void)arg;
    return conn_of(n)->input;
}

static void on_log(void *arg, const char *line)
{
    struct world *w = arg;
    w->logs++;
    snprintf(w->last_log, sizeof w->last_log, "%s", line);
}


static struct world *world_new(unsigned max, unsigned per_peer)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    const struct ts_guard_class cls[4] = {
        [FIRST] = { "first", TS_SEC(4), 1, true },
        [REQ] = { "request", TS_SEC(10), 3, true },
        [IDLE] = { "idle", TS_SEC(20), 2, false },
        [BUSY] = { "busy", TS_TIME_NEVER, 0, false },
    };
    const struct ts_guard_cfg cfg = { .name = "test", .max_conns = max, .max_per_peer = per_peer,
                                      .classes = cls, .nclasses = 4, .evict = on_evict,
                                      .expire = on_expire, .has_input = on_has_input, .arg = w, .log = on_log, .log_arg = w };
    assert_int_equal(ts_guard_init(&w->g, NULL, 1000, &cfg), 0);
    return w;
}

static void world_free(struct world *w)
{
    ts_guard_fini(&w->g);
    free(w);
}

static enum ts_guard_verdict open_conn(struct world *w, unsigned i, uint32_t addr, int cls, ts_time_t now)
{
    enum ts_guard_verdict v = ts_guard_admit(&w->g, &w->c[i].node, addr, cls, now);
    if (v == TS_GUARD_ADMITTED) w->c[i].open = true;
    return v;
}

static void close_conn(struct world *w, unsigned i)
{
    assert_true(w->c[i].open);
    w->c[i].open = false;
    ts_guard_leave(&w->g, &w->c[i].node);
}

/* Lowest rank first, oldest first within a rank; rank 0 never; nothing evictable: refused. */
static void eviction_order(void **st)
{
    (void)st;
    struct world *w = world_new(4, 4);
    assert_int_equal(open_conn(w, 0, 1, BUSY, 10), TS_GUARD_ADMITTED);
    assert_int_equal(open_conn(w, 1, 2, REQ, 20), TS_GUARD_ADMITTED);
    assert_int_equal(open_conn(w, 2, 3, IDLE, 30), TS_GUARD_ADMITTED);
    assert_int_equal(open_conn(w, 3, 4, FIRST, 40), TS_GUARD_ADMITTED);
    assert_int_equal(open_conn(w, 4, 5, FIRST, 50), TS_GUARD_ADMITTED);   /* 3 (first) goes */
    assert_false(w->c[3].open);
    assert_int_equal(open_conn(w, 5, 6, FIRST, 60), TS_GUARD_ADMITTED);   /* 4 (first) goes */
    assert_false(w->c[4].open);
    ts_guard_move(&w->g, &w->c[5].node, BUSY, 61);
    assert_int_equal(open_conn(w, 6, 7, FIRST, 70), TS_GUARD_ADMITTED);   /* 2 (idle) goes */
    assert_false(w->c[2].open);
    ts_guard_move(&w->g, &w->c[6].node, BUSY, 71);
    assert_int_equal(open_conn(w, 7, 8, FIRST, 80), TS_GUARD_ADMITTED);   /* 1 (request) goes */
    assert_false(w->c[1].open);
    ts_guard_move(&w->g, &w->c[7].node, BUSY, 81);
    assert_int_equal(open_conn(w, 8, 9, FIRST, 90), TS_GUARD_REFUSED_FULL);
    assert_true(w->c[0].open && w->c[5].open && w->c[6].open && w->c[7].open);
    struct ts_guard_stats s;
    ts_guard_stats(&w->g, &s);
    assert_int_equal(s.evicted, 4);
    assert_int_equal(s.refused_full, 1);
    assert_int_equal(s.conns, 4);
    /* touching moves a connection behind its class: the other one goes first */
    for (unsigned i = 0; i < 8; i++)
        if (w->c[i].open) close_conn(w, i);
    open_conn(w, 10, 1, FIRST, 100);
    open_conn(w, 11, 1, FIRST, 101);
    open_conn(w, 12, 1, FIRST, 102);
    open_conn(w, 13, 1, FIRST, 103);
    ts_guard_touch(&w->g, &w->c[10].node, 104);
    open_conn(w, 14, 1, FIRST, 105);
    assert_true(w->c[10].open);
    assert_false(w->c[11].open);
    world_free(w);
}

/* A peer at its limit evicts its own oldest idle connection, not another peer's; with none idle it
 * is refused. */
static void per_peer(void **st)
{
    (void)st;
    struct world *w = world_new(100, 2);
    open_conn(w, 0, 7, FIRST, 1);
    open_conn(w, 1, 8, FIRST, 2);
    open_conn(w, 2, 7, FIRST, 3);
    assert_int_equal(ts_guard_peer_count(&w->g, 7), 2);
    assert_int_equal(open_conn(w, 3, 7, FIRST, 4), TS_GUARD_ADMITTED);
    assert_false(w->c[0].open);
    assert_true(w->c[1].open);
    ts_guard_move(&w->g, &w->c[2].node, BUSY, 5);
    ts_guard_move(&w->g, &w->c[3].node, BUSY, 5);
    assert_int_equal(open_conn(w, 4, 7, FIRST, 6), TS_GUARD_REFUSED_PEER);
    assert_int_equal(open_conn(w, 5, 9, FIRST, 6), TS_GUARD_ADMITTED);
    struct ts_guard_stats s;
    ts_guard_stats(&w->g, &s);
    assert_int_equal(s.refused_peer, 1);
    assert_int_equal(s.peers, 3);
    world_free(w);
}

/* 20,000 connections from 5,000 addresses opened and closed in a shuffled order: every count is
 * right at every step and the table is empty at the end (deletion in the open-addressing table). */
static void peers_under_churn(void **st)
{
    (void)st;
    struct world *w = world_new(MAXN, MAXN);
    static unsigned want[5000];
    memset(want, 0, sizeof want);
    uint32_t x = 12345;
    for (unsigned i = 0; i < MAXN; i++) {
        uint32_t a = 0x0a000000u + (i * 7919u) % 5000u;
        assert_int_equal(open_conn(w, i, a, i % 3 ? FIRST : IDLE, i), TS_GUARD_ADMITTED);
        want[a - 0x0a000000u]++;
    }
    for (unsigned k = 0; k < 3 * MAXN; k++) {
        x = x * 1103515245u + 12345u;
        unsigned i = (x >> 8) % MAXN;
        uint32_t a = w->c[i].node.raddr;
        if (!w->c[i].open) continue;
        close_conn(w, i);
        want[a - 0x0a000000u]--;
        if (k % 97 == 0)
            for (unsigned j = 0; j < 5000; j++)
                assert_int_equal(ts_guard_peer_count(&w->g, 0x0a000000u + j), want[j]);
    }
    for (unsigned i = 0; i < MAXN; i++)
        if (w->c[i].open) close_conn(w, i);
    struct ts_guard_stats s;
    ts_guard_stats(&w->g, &s);
    assert_int_equal(s.conns, 0);
    assert_int_equal(s.peers, 0);
    for (unsigned j = 0; j < 5000; j++) assert_int_equal(ts_guard_peer_count(&w->g, 0x0a000000u + j), 0);
    world_free(w);
}

/* Deadlines from the heads of the classes; a quarter at 3/4 of the limit (tighten classes only). */
static void timeouts_and_tightening(void **st)
{
    (void)st;
    struct world *w = world_new(8, 8);
    assert_int_equal(ts_guard_next(&w->g), TS_TIME_NEVER);
    open_conn(w, 0, 1, FIRST, TS_SEC(1));
    open_conn(w, 1, 1, IDLE, TS_SEC(1));
    open_conn(w, 2, 1, BUSY, TS_SEC(1));
    assert_int_equal(ts_guard_next(&w->g), TS_SEC(5));
    ts_guard_poll(&w->g, TS_SEC(5) - 1);
    assert_int_equal(w->expired, 0);
    ts_guard_poll(&w->g, TS_SEC(5));
    assert_int_equal(w->expired, 1);
    assert_int_equal(w->c[0].expired_cls, FIRST);
    assert_int_equal(ts_guard_next(&w->g), TS_SEC(21));
    for (unsigned i = 3; i < 7; i++) open_conn(w, i, 2, FIRST, TS_SEC(6));   /* 6 of 8 */
    assert_int_equal(ts_guard_timeout(&w->g, FIRST), TS_SEC(1));
    assert_int_equal(ts_guard_timeout(&w->g, IDLE), TS_SEC(20));          /* not a tighten class */
    assert_int_equal(ts_guard_next(&w->g), TS_SEC(7));
    ts_guard_poll(&w->g, TS_SEC(7));
    assert_int_equal(w->expired, 2);                                      /* then 5 of 8: 4 s */
    assert_int_equal(ts_guard_next(&w->g), TS_SEC(10));
    struct ts_guard_stats gs;
    ts_guard_stats(&w->g, &gs);
    assert_int_equal(gs.expired, 2);
    world_free(w);
}

/* The expired counter (netstat -s "timed out") counts connections a timeout ended, not the
 * periodic checks an app answers by putting the connection back into the same class. */
static void expired_counts_timeouts_not_checks(void **st)
{
    (void)st;
    struct world *w = world_new(8, 8);
    open_conn(w, 0, 1, REQ, TS_SEC(1));
    w->c[0].input = true;                 /* on_expire puts it back: a check */
    open_conn(w, 1, 1, REQ, TS_SEC(1));
    ts_time_t now = TS_SEC(1);
    for (int i = 0; i < 5; i++) {
        now = ts_guard_next(&w->g);
        ts_guard_poll(&w->g, now);
    }
    struct ts_guard_stats gs;
    ts_guard_stats(&w->g, &gs);
    assert_int_equal(w->expired, 1);      /* conn 1 closed at 11 s; conn 0 checked 5 times */
    assert_int_equal(gs.expired, 1);
    assert_true(w->c[0].open);
    struct ts_app_conn_stats as;
    ts_guard_app_stats(&w->g, &as);
    assert_string_equal(as.name, "test");
    assert_int_equal(as.expired, 1);
    assert_int_equal(as.conns, 1);
    assert_int_equal(as.admitted, 2);
    close_conn(w, 0);
    world_free(w);
}

/* Evictions are logged at most once a second; the held-back count comes with the next line. */
static void log_once_a_second(void **st)
{
    (void)st;
    struct world *w = world_new(1, 1);
    for (unsigned i = 0; i < 50; i++) open_conn(w, i, 1, FIRST, TS_MS(100) + i);
    assert_int_equal(w->evicted, 49);
    assert_int_equal(w->logs, 1);
    assert_non_null(strstr(w->last_log, "1 idle evicted"));
    assert_int_equal(ts_guard_next(&w->g), TS_MS(1100) + 1);   /* a second after the first */
    ts_guard_poll(&w->g, TS_MS(1100) + 1);
    assert_int_equal(w->logs, 2);
    assert_non_null(strstr(w->last_log, "48 idle evicted"));
    assert_int_equal(ts_guard_next(&w->g), TS_MS(100) + 49 + TS_SEC(1));  /* the (tight) timeout */
    world_free(w);
}

/* Among the oldest of a class, one from the address holding the most connections goes first, and
 * never one whose input is waiting. */
static void victim_by_address_and_input(void **st)
{
    (void)st;
    struct world *w = world_new(4, 4);
    open_conn(w, 0, 1, FIRST, 1);               /* a client with one connection, the oldest */
    open_conn(w, 1, 2, FIRST, 2);
    open_conn(w, 2, 2, FIRST, 3);
    open_conn(w, 3, 3, FIRST, 4);
    assert_int_equal(open_conn(w, 4, 9, FIRST, 5), TS_GUARD_ADMITTED);
    assert_true(w->c[0].open);
    assert_false(w->c[1].open);                  /* the oldest of the address with two */
    w->c[0].input = w->c[2].input = true;         /* requests arrived, not yet read */
    assert_int_equal(open_conn(w, 5, 9, FIRST, 6), TS_GUARD_ADMITTED);
    assert_true(w->c[0].open && w->c[2].open);
    assert_false(w->c[3].open);
    w->c[4].input = w->c[5].input = true;         /* every one has input: refused */
    assert_int_equal(open_conn(w, 6, 9, FIRST, 7), TS_GUARD_REFUSED_FULL);
    world_free(w);
}

/* Held alike, the address that opened the most (re-opening while it still held one, as an
 * attacker re-opens what is evicted) goes before a client that opened one, even when the client's
 * connection is the oldest: under such churn every connection is young, and the client's first
 * byte may not have come yet. Among equals the oldest goes. */
static void victim_by_churn(void **st)
{
    (void)st;
    struct world *w = world_new(8, 8);
    unsigned next = 1;
    ts_time_t t = 1;
    open_conn(w, 0, 1, FIRST, t++);             /* the client, oldest */
    for (uint32_t a = 2; a <= 4; a++) {          /* three churners: held 1, opened 6 */
        unsigned cur = next++;
        open_conn(w, cur, a, FIRST, t++);
        for (int k = 0; k < 5; k++) {
            unsigned nw = next++;
            open_conn(w, nw, a, FIRST, t++);
            close_conn(w, cur);
            cur = nw;
        }
        assert_int_equal(ts_guard_peer_count(&w->g, a), 1);
    }
    for (uint32_t a = 9; a <= 12; a++) open_conn(w, next++, a, FIRST, t++);   /* full: 8 */
    for (uint32_t a = 13; a <= 15; a++) {
        assert_int_equal(open_conn(w, next++, a, FIRST, t++), TS_GUARD_ADMITTED);
        assert_true(w->c[0].open);              /* a churner went, not the client */
        assert_int_equal(ts_guard_peer_count(&w->g, a - 11), 0);
    }
    assert_int_equal(w->evicted, 3);
    assert_int_equal(open_conn(w, next++, 16, FIRST, t++), TS_GUARD_ADMITTED);
    assert_false(w->c[0].open);                 /* now all alike: the oldest */
    world_free(w);
}

/* What ts_guard_next should say, found by looking at every class head as it did before it kept
 * the value (issue 19: the driver asks several times per wakeup). */
static ts_time_t next_by_scan(const struct ts_guard *g)
{
    ts_time_t t = TS_TIME_NEVER;
    for (int c = 0; c < TS_GUARD_CLASSES; c++) {
        const struct ts_guard_node *h = g->list[c].head;
        ts_time_t to = ts_guard_timeout(g, c);
        if (h && to != TS_TIME_NEVER && h->since + to < t) t = h->since + to;
    }
    if ((g->unlogged_evicted || g->unlogged_refused) && g->last_log + TS_SEC(1) < t) t = g->last_log + TS_SEC(1);
    return t;
}

/* The kept deadline is the scanned one after every kind of change: admissions (with evictions
 * and refusals, near the limit where timeouts tighten), moves, touches, closes and polls. */
static void next_kept_up_to_date(void **st)
{
    (void)st;
    struct world *w = world_new(12, 5);
    uint64_t x = 88172645463325252ull;
    ts_time_t now = TS_SEC(1);
    assert_int_equal(ts_guard_next(&w->g), next_by_scan(&w->g));
    for (unsigned step = 0; step < 20000; step++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        unsigned i = (unsigned)(x % 64), op = (unsigned)((x >> 8) % 8);
        int cls = (int)((x >> 16) % 4);
        now += (ts_time_t)((x >> 24) % TS_MS(900));
        struct conn *c = &w->c[i];
        if (!c->open) {
            c->input = (x >> 40) % 4 == 0;
            open_conn(w, i, 1 + (uint32_t)((x >> 32) % 4), cls, now);
        } else if (op == 0) {
            close_conn(w, i);
        } else if (op <= 2) {
            ts_guard_move(&w->g, &c->node, cls, now);
        } else if (op <= 4) {
            ts_guard_touch(&w->g, &c->node, now);
        } else {
            ts_time_t d = ts_guard_next(&w->g);
            if (d != TS_TIME_NEVER && d > now) now = d;
            ts_guard_poll(&w->g, now);
        }
        assert_int_equal(ts_guard_next(&w->g), next_by_scan(&w->g));
    }
    assert_true(w->evicted > 0 && w->expired > 0 && w->logs > 1);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eviction_order),     cmocka_unit_test(per_peer),
        cmocka_unit_test(peers_under_churn),  cmocka_unit_test(timeouts_and_tightening),
        cmocka_unit_test(log_once_a_second),  cmocka_unit_test(victim_by_address_and_input),
        cmocka_unit_test(victim_by_churn),    cmocka_unit_test(expired_counts_timeouts_not_checks),
        cmocka_unit_test(next_kept_up_to_date),
    };
    return cmocka_run_group_tests_name("conn_guard", tests, NULL, NULL);
}
