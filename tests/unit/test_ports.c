/* Unit tests for the RFC 6056 ephemeral port allocator (stack/core/ports.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/demux.h"
#include "core/ports.h"
#include "core/rand.h"
#include "lib/demux_node.h"

static const uint32_t ME = IP(10, 0, 0, 2);
static const uint32_t PEER = IP(10, 0, 0, 1);
static const uint32_t PEER2 = IP(198, 51, 100, 7);

static const enum ts_port_alg all_algs[] = {
    TS_PORT_ALG_DOUBLE_HASH, TS_PORT_ALG_SEQUENTIAL, TS_PORT_ALG_RANDOM, TS_PORT_ALG_SIMPLE_HASH,
};
#define NALGS (sizeof all_algs / sizeof all_algs[0])

static struct ts_ports *mk_ports(uint16_t low, uint16_t high, enum ts_port_alg alg, uint64_t seed)
{
    struct ts_rng r;
    ts_rng_seed(&r, seed);
    struct ts_ports *p = ts_ports_new(low, high, alg, &r);
    assert_non_null(p);
    return p;
}

static void test_names(void **state)
{
    (void)state;
    const char *names[] = { "double-hash", "sequential", "random", "simple-hash" };
    for (unsigned i = 0; i < NALGS; i++) {
        enum ts_port_alg a;
        assert_string_equal(ts_port_alg_name(all_algs[i]), names[i]);
        assert_true(ts_port_alg_parse(names[i], &a));
        assert_int_equal(a, all_algs[i]);
    }
    enum ts_port_alg a = TS_PORT_ALG_RANDOM;
    assert_false(ts_port_alg_parse("double_hash", &a));
    assert_false(ts_port_alg_parse("", &a));
    assert_false(ts_port_alg_parse(NULL, &a));
    assert_int_equal(a, TS_PORT_ALG_RANDOM);
    assert_int_equal(TS_PORT_ALG_DOUBLE_HASH, 0);   /* the default is the zero value */
}

static void test_bad_ranges(void **state)
{
    (void)state;
    struct ts_rng r;
    ts_rng_seed(&r, 1);
    assert_null(ts_ports_new(0, 100, TS_PORT_ALG_SEQUENTIAL, &r));
    assert_null(ts_ports_new(2000, 1999, TS_PORT_ALG_SEQUENTIAL, &r));
    assert_null(ts_ports_new(1, 2, (enum ts_port_alg)42, &r));
    struct ts_ports *p = ts_ports_new(49152, 65535, TS_PORT_ALG_DOUBLE_HASH, NULL);
    assert_non_null(p);
    uint16_t lo, hi;
    ts_ports_range(p, &lo, &hi);
    assert_int_equal(lo, 49152);
    assert_int_equal(hi, 65535);
    assert_int_equal(ts_ports_alg(p), TS_PORT_ALG_DOUBLE_HASH);
    ts_ports_free(p);
}

/* Fill [low, high] with connections from every algorithm: all distinct, all in range, then 0
 * (promptly, several times over), then a freed port is found again. */
static void fill_range(enum ts_port_alg alg, uint16_t low, uint16_t high, uint32_t raddr, uint16_t rport)
{
    unsigned num = (unsigned)high - low + 1;
    struct ts_demux *d = ts_demux_new(5, 6);
    struct ts_ports *p = mk_ports(low, high, alg, 99);
    struct ts_demux_node *nodes = calloc(num, sizeof *nodes);
    uint8_t *seen = calloc(65536, 1);
    assert_non_null(d);
    assert_non_null(nodes);
    assert_non_null(seen);
    for (unsigned i = 0; i < num; i++) {
        uint16_t port = ts_ports_pick(p, d, TCP, ME, raddr, rport);
        assert_in_range(port, low, high);
        assert_int_equal(seen[port], 0);
        seen[port] = 1;
        nodes[i] = demux_node(TCP, ME, port, raddr, rport);
        assert_int_equal(ts_demux_insert(d, &nodes[i]), 0);
    }
    for (int k = 0; k < 50; k++)
        assert_int_equal(ts_ports_pick(p, d, TCP, ME, raddr, rport), 0);
    /* the other protocol is unaffected */
    assert_int_not_equal(ts_ports_pick(p, d, UDP, ME, raddr, rport), 0);
    unsigned k = num / 3;
    uint16_t freed = nodes[k].lport;
    ts_demux_remove(d, &nodes[k]);
    assert_int_equal(ts_ports_pick(p, d, TCP, ME, raddr, rport), freed);
    for (unsigned i = 0; i < num; i++)
        ts_demux_remove(d, &nodes[i]);
    free(seen);
    free(nodes);
    ts_ports_free(p);
    ts_demux_free(d);
}

static void test_fill_and_exhaust(void **state)
{
    (void)state;
    for (unsigned a = 0; a < NALGS; a++) {
        fill_range(all_algs[a], 49152, 65535, PEER, 80);   /* the whole IANA dynamic range */
        fill_range(all_algs[a], 1000, 1099, PEER, 21);
        fill_range(all_algs[a], 65530, 65535, PEER, 21);   /* the top edge: no 16-bit overflow */
        fill_range(all_algs[a], 5000, 5000, PEER, 21);     /* a range of one port */
        fill_range(all_algs[a], 2000, 2049, 0, 0);         /* bound sockets with no peer */
    }
}

/* Every port but one is taken in one of the ways that blocks it: the allocator finds that one,
 * wherever it is, with every algorithm. */
static void test_finds_the_last_free_port(void **state)
{
    (void)state;
    enum { LOW = 3000, NUM = 64 };
    for (unsigned a = 0; a < NALGS; a++) {
        for (unsigned hole = 0; hole < NUM; hole += 7) {
            struct ts_demux *d = ts_demux_new(7, 8);
            struct ts_ports *p = mk_ports(LOW, LOW + NUM - 1, all_algs[a], hole);
            struct ts_demux_node n[NUM];
            for (unsigned i = 0; i < NUM; i++) {
                uint16_t port = (uint16_t)(LOW + i);
                switch (i % 3) {
                case 0: n[i] = demux_node(TCP, 0, port, 0, 0); break;         /* wildcard listener */
                case 1: n[i] = demux_node(TCP, ME, port, 0, 0); break;        /* bound to our address */
                default: n[i] = demux_node(TCP, ME, port, PEER, 443); break;  /* the same socket pair */
                }
                if (i != hole)
                    assert_int_equal(ts_demux_insert(d, &n[i]), 0);
            }
            for (int k = 0; k < 3; k++)
                assert_int_equal(ts_ports_pick(p, d, TCP, ME, PEER, 443), LOW + hole);
            for (unsigned i = 0; i < NUM; i++)
                ts_demux_remove(d, &n[i]);
            ts_ports_free(p);
            ts_demux_free(d);
        }
    }
}

/* A connection to another destination does not block a port; a bound socket does. And a socket
 * with no peer needs a port that nobody uses at all. */
static void test_what_blocks(void **state)
{
    (void)state;
    struct ts_demux *d = ts_demux_new(1, 1);
    struct ts_ports *p = mk_ports(4000, 4001, TS_PORT_ALG_SEQUENTIAL, 1);
    struct ts_demux_node other = demux_node(TCP, ME, 4000, PEER2, 80);
    assert_int_equal(ts_demux_insert(d, &other), 0);
    assert_int_equal(ts_ports_pick(p, d, TCP, ME, PEER, 80), 4000);   /* reuse towards PEER */
    assert_int_equal(ts_ports_pick(p, d, TCP, ME, 0, 0), 4001);       /* no peer: untouched only */
    assert_int_equal(ts_ports_pick(p, d, TCP, 0, PEER, 80), 4001);    /* no local address either */
    struct ts_demux_node b = demux_node(TCP, ME, 4001, 0, 0);
    assert_int_equal(ts_demux_insert(d, &b), 0);
    assert_int_equal(ts_ports_pick(p, d, TCP, ME, 0, 0), 0);
    assert_int_equal(ts_ports_pick(p, d, TCP, ME, PEER, 80), 4000);
    ts_demux_remove(d, &other);
    ts_demux_remove(d, &b);
    ts_ports_free(p);
    ts_demux_free(d);
}

static void test_sequential(void **state)
{
    (void)state;
    struct ts_demux *d = ts_demux_new(1, 2);
    struct ts_ports *p = mk_ports(49152, 49161, TS_PORT_ALG_SEQUENTIAL, 3);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(ts_ports_pick(p, d, UDP, ME, PEER, 53), 49152 + i);
    /* wraps, and the same counter serves every destination */
    assert_int_equal(ts_ports_pick(p, d, UDP, ME, PEER2, 53), 49152);
    assert_int_equal(ts_ports_pick(p, d, UDP, ME, PEER, 53), 49153);
    /* a port in use is skipped */
    struct ts_demux_node n = demux_node(UDP, 0, 49154, 0, 0);
    assert_int_equal(ts_demux_insert(d, &n), 0);
    assert_int_equal(ts_ports_pick(p, d, UDP, ME, PEER, 53), 49155);
    ts_demux_remove(d, &n);
    ts_ports_free(p);
    ts_demux_free(d);
}

static void picks(struct ts_ports *p, const struct ts_demux *d, uint32_t raddr, uint16_t rport,
                  uint16_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        out[i] = ts_ports_pick(p, d, TCP, ME, raddr, rport);
        assert_in_range(out[i], 49152, 65535);
    }
}

/* Algorithms 3 and 4: towards one destination the ports follow each other (offset + counter);
 * another destination, or other secrets, give another sequence. */
static void test_hash_sequences(void **state)
{
    (void)state;
    const enum ts_port_alg algs[] = { TS_PORT_ALG_DOUBLE_HASH, TS_PORT_ALG_SIMPLE_HASH };
    struct ts_demux *d = ts_demux_new(1, 2);
    for (unsigned a = 0; a < 2; a++) {
        uint16_t s1[8], s2[8], s3[8], s4[8];
        struct ts_ports *p = mk_ports(49152, 65535, algs[a], 1234);
        struct ts_ports *q = mk_ports(49152, 65535, algs[a], 1234);
        struct ts_ports *r = mk_ports(49152, 65535, algs[a], 4321);
        picks(p, d, PEER, 80, s1, 8);
        for (unsigned i = 1; i < 8; i++)
            assert_int_equal(s1[i], s1[0] + i < 65536 ? s1[0] + i : s1[0] + i - 16384);
        picks(q, d, PEER2, 80, s2, 8);     /* same secrets, other destination */
        picks(q, d, PEER, 8080, s3, 8);    /* same secrets, other port at the same host */
        picks(r, d, PEER, 80, s4, 8);      /* other secrets, same destination */
        assert_memory_not_equal(s1, s2, sizeof s1);
        assert_memory_not_equal(s1, s3, sizeof s1);
        assert_memory_not_equal(s1, s4, sizeof s1);
        /* same secrets and destination: the same sequence (the stack's seed makes runs repeat) */
        struct ts_ports *p2 = mk_ports(49152, 65535, algs[a], 1234);
        uint16_t s5[8];
        picks(p2, d, PEER, 80, s5, 8);
        assert_memory_equal(s1, s5, sizeof s1);
        ts_ports_free(p);
        ts_ports_free(q);
        ts_ports_free(r);
        ts_ports_free(p2);
    }
    /* double-hash keeps a counter per destination bucket: connections to PEER2 in between do not
     * move PEER's sequence (they would with simple-hash's single counter) */
    struct ts_ports *p = mk_ports(49152, 65535, TS_PORT_ALG_DOUBLE_HASH, 77);
    uint16_t x[2], y[3];
    picks(p, d, PEER, 80, x, 1);
    picks(p, d, PEER2, 80, y, 3);
    picks(p, d, PEER, 80, x + 1, 1);
    assert_int_equal(x[1], x[0] == 65535 ? 49152 : x[0] + 1);
    ts_ports_free(p);
    ts_demux_free(d);
}

static void test_random(void **state)
{
    (void)state;
    struct ts_demux *d = ts_demux_new(1, 2);
    struct ts_ports *p = mk_ports(49152, 65535, TS_PORT_ALG_RANDOM, 5);
    struct ts_ports *q = mk_ports(49152, 65535, TS_PORT_ALG_RANDOM, 5);
    struct ts_ports *r = mk_ports(49152, 65535, TS_PORT_ALG_RANDOM, 6);
    uint16_t a[64], b[64], c[64];
    picks(p, d, PEER, 80, a, 64);
    picks(q, d, PEER, 80, b, 64);
    picks(r, d, PEER, 80, c, 64);
    assert_memory_equal(a, b, sizeof a);      /* reproducible from the seed */
    assert_memory_not_equal(a, c, sizeof a);
    unsigned consecutive = 0, lowhalf = 0;
    for (unsigned i = 0; i < 64; i++) {
        consecutive += i && a[i] == a[i - 1] + 1;
        lowhalf += a[i] < 49152 + 8192;
    }
    assert_true(consecutive < 4);              /* not a counter */
    assert_in_range(lowhalf, 12, 52);          /* spread over the range (p ~ 1e-6 to fail) */
    ts_ports_free(p);
    ts_ports_free(q);
    ts_ports_free(r);
    ts_demux_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_ranges),
        cmocka_unit_test(test_fill_and_exhaust),
        cmocka_unit_test(test_finds_the_last_free_port),
        cmocka_unit_test(test_what_blocks),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_hash_sequences),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests_name("ports", tests, NULL, NULL);
}
