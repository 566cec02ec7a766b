/* Unit tests for the socket-pair demultiplexer (stack/core/demux.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/demux.h"
#include "tapstack/socket.h"
#include "lib/demux_node.h"

static const uint32_t ME = IP(10, 0, 0, 2);
static const uint32_t ME2 = IP(10, 0, 0, 3);
static const uint32_t PEER = IP(10, 0, 0, 1);

static int setup(void **state)
{
    *state = ts_demux_new(0x0123456789abcdefull, 0xfedcba9876543210ull);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    ts_demux_free(*state);
    return 0;
}

/* Exact pair beats (laddr, lport) beats (0, lport); removing each falls back to the next. */
static void test_lookup_order(void **state)
{
    struct ts_demux *d = *state;
    struct ts_demux_node any = demux_node(TCP, 0, 80, 0, 0);
    struct ts_demux_node bound = demux_node(TCP, ME, 80, 0, 0);
    struct ts_demux_node conn = demux_node(TCP, ME, 80, PEER, 40000);

    assert_null(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000));
    assert_int_equal(ts_demux_insert(d, &any), 0);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &any);
    assert_int_equal(ts_demux_insert(d, &bound), 0);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &bound);
    /* a segment to our other address still reaches the wildcard listener */
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME2, 80, PEER, 40000), &any);
    assert_int_equal(ts_demux_insert(d, &conn), 0);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &conn);
    /* another peer port goes to the listener, not the connection */
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40001), &bound);
    /* other protocol, other port: nothing */
    assert_null(ts_demux_lookup(d, UDP, ME, 80, PEER, 40000));
    assert_null(ts_demux_lookup(d, TCP, ME, 81, PEER, 40000));
    assert_int_equal(ts_demux_count(d), 3);

    ts_demux_remove(d, &conn);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &bound);
    ts_demux_remove(d, &bound);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &any);
    ts_demux_remove(d, &any);
    assert_null(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000));
    assert_int_equal(ts_demux_count(d), 0);
}

/* The connection found last is remembered: a lookup of another pair still finds its own node,
 * and once the remembered one is removed it is never returned (a node of the same pair inserted
 * after it is). */
static void test_last_found_remembered(void **state)
{
    struct ts_demux *d = *state;
    struct ts_demux_node bound = demux_node(TCP, ME, 80, 0, 0);
    struct ts_demux_node a = demux_node(TCP, ME, 80, PEER, 40000);
    struct ts_demux_node b = demux_node(TCP, ME, 80, PEER, 40001);
    struct ts_demux_node a2 = demux_node(TCP, ME, 80, PEER, 40000);
    struct ts_demux_node u = demux_node(UDP, ME, 80, PEER, 40000);
    assert_int_equal(ts_demux_insert(d, &bound), 0);
    assert_int_equal(ts_demux_insert(d, &a), 0);
    assert_int_equal(ts_demux_insert(d, &b), 0);
    assert_int_equal(ts_demux_insert(d, &u), 0);
    for (int i = 0; i < 3; i++) assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &a);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40001), &b);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &a);
    assert_ptr_equal(ts_demux_lookup(d, UDP, ME, 80, PEER, 40000), &u);   /* same pair, other protocol */
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &a);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40002), &bound);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &a);
    ts_demux_remove(d, &a);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &bound);
    assert_int_equal(ts_demux_insert(d, &a2), 0);
    assert_ptr_equal(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000), &a2);
    ts_demux_remove(d, &b);
    ts_demux_remove(d, &a2);
    ts_demux_remove(d, &u);
    ts_demux_remove(d, &bound);
    assert_null(ts_demux_lookup(d, TCP, ME, 80, PEER, 40000));
}

static void test_duplicates_refused(void **state)
{
    struct ts_demux *d = *state;
    struct ts_demux_node a = demux_node(UDP, 0, 53, 0, 0), a2 = demux_node(UDP, 0, 53, 0, 0);
    struct ts_demux_node c = demux_node(TCP, ME, 1234, PEER, 80), c2 = demux_node(TCP, ME, 1234, PEER, 80);
    struct ts_demux_node t = demux_node(TCP, 0, 53, 0, 0);   /* same port, other protocol: fine */
    struct ts_demux_node bad = demux_node(1, 0, 7, 0, 0);    /* ICMP is not demultiplexed here */

    assert_int_equal(ts_demux_insert(d, &a), 0);
    assert_int_equal(ts_demux_insert(d, &a2), -TS_EADDRINUSE);
    assert_int_equal(a2.in_table, 0);
    assert_int_equal(ts_demux_insert(d, &c), 0);
    assert_int_equal(ts_demux_insert(d, &c2), -TS_EADDRINUSE);
    assert_int_equal(ts_demux_insert(d, &t), 0);
    assert_int_equal(ts_demux_insert(d, &bad), -TS_EINVAL);
    assert_int_equal(ts_demux_insert(d, &a), -TS_EINVAL);   /* already in */
    assert_int_equal(ts_demux_count(d), 3);

    /* once the first is gone the second may take its place */
    ts_demux_remove(d, &a);
    ts_demux_remove(d, &a);   /* twice is harmless */
    assert_int_equal(ts_demux_insert(d, &a2), 0);
    assert_ptr_equal(ts_demux_lookup(d, UDP, ME, 53, PEER, 9999), &a2);
    ts_demux_remove(d, &a2);
    ts_demux_remove(d, &c);
    ts_demux_remove(d, &t);
    assert_int_equal(ts_demux_count(d), 0);
}

static void test_in_use_and_port_used(void **state)
{
    struct ts_demux *d = *state;
    struct ts_demux_node l = demux_node(TCP, ME, 21, 0, 0);
    struct ts_demux_node c1 = demux_node(TCP, ME, 21, PEER, 5000);
    struct ts_demux_node c2 = demux_node(TCP, ME, 21, PEER, 5001);

    assert_false(ts_demux_port_used(d, TCP, 21));
    assert_int_equal(ts_demux_insert(d, &l), 0);
    assert_int_equal(ts_demux_insert(d, &c1), 0);
    assert_int_equal(ts_demux_insert(d, &c2), 0);
    assert_true(ts_demux_port_used(d, TCP, 21));
    assert_false(ts_demux_port_used(d, UDP, 21));
    assert_false(ts_demux_port_used(d, TCP, 20));
    assert_int_equal(ts_demux_port_users(d, TCP, 21), 3);
    assert_true(ts_demux_in_use(d, TCP, ME, 21, 0, 0));
    assert_false(ts_demux_in_use(d, TCP, 0, 21, 0, 0));
    assert_true(ts_demux_in_use(d, TCP, ME, 21, PEER, 5001));
    assert_false(ts_demux_in_use(d, TCP, ME, 21, PEER, 5002));
    ts_demux_remove(d, &c1);
    assert_false(ts_demux_in_use(d, TCP, ME, 21, PEER, 5000));
    assert_int_equal(ts_demux_port_users(d, TCP, 21), 2);
    ts_demux_remove(d, &l);
    ts_demux_remove(d, &c2);
    assert_false(ts_demux_port_used(d, TCP, 21));
}

static bool count_cb(void *arg, struct ts_demux_node *n)
{
    (void)n;
    (*(unsigned *)arg)++;
    return true;
}

struct rm_ctx { struct ts_demux *d; unsigned seen; };

static bool remove_cb(void *arg, struct ts_demux_node *n)
{
    struct rm_ctx *c = arg;
    ts_demux_remove(c->d, n);
    return ++c->seen < 1000000;
}

static bool stop_cb(void *arg, struct ts_demux_node *n)
{
    (void)n;
    return ++(*(unsigned *)arg) < 5;
}

/* 100,000 sockets: all found, chains stay short, every removal works, foreach sees all. */
static void test_100k(void **state)
{
    struct ts_demux *d = *state;
    enum { N = 100000 };
    struct ts_demux_node *nodes = calloc(N, sizeof *nodes);
    assert_non_null(nodes);
    for (unsigned i = 0; i < N; i++) {
        /* 1/10 bound UDP sockets, the rest TCP connections to many peers on port 80 */
        if (i % 10 == 0)
            nodes[i] = demux_node(UDP, ME, (uint16_t)(1 + i / 10), 0, 0);
        else
            nodes[i] = demux_node(TCP, ME, 80, IP(192, 168, i >> 16, (i >> 8) & 0xff), (uint16_t)(1024 + i));
        assert_int_equal(ts_demux_insert(d, &nodes[i]), 0);
    }
    assert_int_equal(ts_demux_count(d), N);
    assert_int_equal(ts_demux_port_users(d, TCP, 80), N - N / 10);

    struct ts_demux_shape sh;
    ts_demux_shape(d, &sh);
    assert_int_equal(sh.exact_count, N - N / 10);
    assert_int_equal(sh.bound_count, N / 10);
    assert_true(sh.exact_buckets >= sh.exact_count);
    assert_true(sh.bound_buckets >= sh.bound_count);
    assert_true(sh.exact_longest_chain <= 12);
    assert_true(sh.bound_longest_chain <= 12);

    for (unsigned i = 0; i < N; i++) {
        const struct ts_demux_node *n = &nodes[i];
        bool conn = n->raddr != 0;
        assert_ptr_equal(ts_demux_lookup(d, n->proto, n->laddr, n->lport, conn ? n->raddr : PEER,
                                         conn ? n->rport : 7),
                         n);
    }
    unsigned seen = 0;
    ts_demux_foreach(d, count_cb, &seen);
    assert_int_equal(seen, N);
    seen = 0;
    ts_demux_foreach(d, stop_cb, &seen);
    assert_int_equal(seen, 5);

    /* remove the odd ones, check the even ones are still found and the odd ones are not */
    for (unsigned i = 1; i < N; i += 2)
        ts_demux_remove(d, &nodes[i]);
    assert_int_equal(ts_demux_count(d), N / 2);
    for (unsigned i = 0; i < N; i++) {
        const struct ts_demux_node *n = &nodes[i];
        bool there = ts_demux_in_use(d, n->proto, n->laddr, n->lport, n->raddr, n->rport);
        assert_int_equal(there, i % 2 == 0);
    }
    /* foreach may remove the node it is given: empty the table that way */
    struct rm_ctx c = { d, 0 };
    ts_demux_foreach(d, remove_cb, &c);
    assert_int_equal(c.seen, N / 2);
    assert_int_equal(ts_demux_count(d), 0);
    assert_false(ts_demux_port_used(d, TCP, 80));
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(nodes[i].in_table, 0);
    free(nodes);
}

/* Different keys spread the same sockets differently, and both still work. */
static void test_keys(void **state)
{
    (void)state;
    struct ts_demux *d1 = ts_demux_new(1, 2), *d2 = ts_demux_new(3, 4);
    assert_non_null(d1);
    assert_non_null(d2);
    struct ts_demux_node a = demux_node(TCP, ME, 1, PEER, 2), b = a;
    assert_int_equal(ts_demux_insert(d1, &a), 0);
    assert_int_equal(ts_demux_insert(d2, &b), 0);
    assert_int_not_equal(a.hash, b.hash);
    assert_ptr_equal(ts_demux_lookup(d1, TCP, ME, 1, PEER, 2), &a);
    assert_ptr_equal(ts_demux_lookup(d2, TCP, ME, 1, PEER, 2), &b);
    ts_demux_free(d1);
    ts_demux_free(d2);
    ts_demux_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_found_remembered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_use_and_port_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_100k, setup, teardown),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests_name("demux", tests, NULL, NULL);
}
