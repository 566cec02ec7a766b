/* Allocation failure in the core: every malloc, calloc and realloc the core makes during one
 * conversation (a stack made, UDP in and out, a fragmented datagram, a TCP handshake, data both
 * ways, close, an active open) is made to fail in turn, one per run. Each run must end without a
 * crash, a sanitizer report or a leak (ASan checks at exit), and a failure the API can report must
 * be reported: ts_stack_new gives NULL and "out of memory"; ts_udp_open, ts_tcp_listen and
 * ts_tcp_connect give -TS_ENOMEM; a datagram that cannot be queued is counted (udp drop_memory),
 * and TCP data that cannot be buffered is counted (tcp drop_nomem). A first run with no failure
 * must complete the whole conversation.
 *
 * The allocator is the C library's, reached through the linker's --wrap (Makefile:
 * TEST_LDFLAGS_test_alloc_fail): calls from the core's objects come here first. */
#include <stdlib.h>
#include "lib/tcp_frames.h"
#include "lib/udp_frames.h"
#include "tapstack/socket.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

/* The one piece of global state, and it is the test's: which allocation of this run fails. */
static struct { long n, fail_at; bool on, failed; } A;

static bool fail_now(void)
{
    if (!A.on) return false;
    if (++A.n != A.fail_at) return false;
    A.failed = true;
    return true;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return fail_now() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

#define T0 TS_SEC(1)
#define PORT_UDP 5000
#define PORT_TCP 80

/* What one run did: how far it got, and whether the failure (if any) was reported. */
struct run { bool done, reported; };

static void udp_part(struct ts_stack *s, struct run *r)
{
    struct ts_sock *u;
    int rc = ts_udp_open(s, 0, PORT_UDP, NULL, NULL, &u);
    if (rc == -TS_ENOMEM) { r->reported = true; return; }
    assert_int_equal(rc, 0);
    uint8_t f[2048], buf[4096];
    uint64_t before = ctr(s, TS_CTR_udp_drop_memory);
    ts_stack_receive(s, T0, f, build_udp(f, OUR_IP, 4000, PORT_UDP, 100, CSUM_GOOD, 0, 0));
    long got = ts_udp_recvfrom(u, buf, sizeof buf, NULL, NULL);
    if (got == -TS_EAGAIN && ctr(s, TS_CTR_udp_drop_memory) == before + 1) r->reported = true;
    else assert_int_equal(got, 100);

    /* a 3,000-byte datagram in two fragments: reassembly allocates */
    uint8_t dg[3008];
    put_udp(dg, PEER_IP, 4000, OUR_IP, PORT_UDP, 3000, CSUM_GOOD, 0);
    ts_stack_receive(s, T0, f, build_frag(f, 17, 77, dg, 0, 1480, 1));
    ts_stack_receive(s, T0, f, build_frag(f, 17, 77, dg, 1480, sizeof dg - 1480, 0));
    (void)ts_udp_recvfrom(u, buf, sizeof buf, NULL, NULL);

    /* out: one frame, then one that needs fragmenting */
    memset(buf, 7, sizeof buf);
    (void)ts_udp_sendto(u, T0, PEER_IP, 4000, buf, 100);
    (void)ts_udp_sendto(u, T0, PEER_IP, 4000, buf, 3000);
    while (ts_stack_transmit(s, T0, f, sizeof f) > 0) {}
    ts_udp_close(u);
}

static void tcp_part(struct ts_stack *s, struct run *r)
{
    struct ts_sock *l;
    int rc = ts_tcp_listen(s, 0, PORT_TCP, 8, NULL, NULL, &l);
    if (rc == -TS_ENOMEM) { r->reported = true; return; }
    assert_int_equal(rc, 0);
    struct tseg g;
    uint64_t nomem = ctr(s, TS_CTR_tcp_drop_nomem);
    tcp_in(s, T0, 40000, PORT_TCP, 1000, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
    if (!tcp_out(s, T0, &g)) return;          /* no connection block: the SYN goes unanswered */
    uint32_t iss = g.h.seq;
    tcp_in(s, T0, 40000, PORT_TCP, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    tcp_in(s, T0, 40000, PORT_TCP, 1001, iss + 1, TS_TCP_ACK | TS_TCP_PSH, 65535, NULL, 0, "hello", 5);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    if (ctr(s, TS_CTR_tcp_drop_nomem) > nomem) r->reported = true;
    if (c) {
        char buf[16];
        (void)ts_tcp_recv(c, T0, buf, sizeof buf);
        (void)ts_tcp_send(c, T0, "world", 5);
        while (tcp_out(s, T0, &g)) {}
        ts_tcp_close(c, T0);
        while (tcp_out(s, T0, &g)) {}
    }
    ts_tcp_close(l, T0);

    /* an active open from a port nobody used yet: the demux counts the port anew */
    rc = ts_tcp_connect(s, T0, 0, 33333, PEER_IP, 9, NULL, NULL, &c);
    if (rc == -TS_ENOMEM) { r->reported = true; return; }
    assert_int_equal(rc, 0);
    while (tcp_out(s, T0, &g)) {}
    ts_tcp_abort(c, T0);
    while (tcp_out(s, T0, &g)) {}
}

/* One conversation; the stack is freed at the end whatever happened. */
static struct run conversation(void)
{
    struct run r = { 0 };
    struct ts_config c;
    ts_config_default(&c);
    c.seed = 42;
    const char *why = NULL;
    A.on = true;
    struct ts_stack *s = ts_stack_new(&c, &why);
    if (!s) {
        A.on = false;
        assert_non_null(why);
        assert_string_equal(why, "out of memory");
        r.reported = true;
        return r;
    }
    assert_int_equal(ts_stack_arp_add(s, T0, PEER_IP, PEER_MAC, true), 0);
    udp_part(s, &r);
    tcp_part(s, &r);
    ts_stack_poll(s, T0 + TS_SEC(120));       /* timers, reassembly timeout, TIME_WAIT */
    r.done = true;
    ts_stack_free(s);
    A.on = false;
    return r;
}

static void every_allocation_fails_once(void **st)
{
    (void)st;
    A = (typeof(A)){ .fail_at = 0 };
    struct run clean = conversation();
    assert_true(clean.done);
    assert_false(A.failed);
    long total = A.n;
    assert_true(total >= 15);                 /* the stack's tables, sockets, frames, buffers */
    long reported = 0;
    for (long k = 1; k <= total; k++) {
        A = (typeof(A)){ .fail_at = k };
        struct run r = conversation();
        assert_true(A.failed);
        if (r.reported) reported++;
    }
    /* the stack's own tables (at least its seven) and the calls that return an error */
    print_message("alloc_fail: %ld allocations, each failed once; %ld failures reported by the API or a counter\n",
                  total, reported);
    assert_true(reported >= 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_fails_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
