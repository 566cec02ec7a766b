/* TCP end to end: two stacks joined by an in-process wire (optionally lossy), 1 MB each way
 * byte-exact, then an orderly close on both sides; plus RST to a closed port, connection
 * refused, abort, and a stack that stops (ts_stack_shutdown) releasing a peer left in CLOSING. */
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
#include "tcp/tcp_info.h"
#include "tcp/tcp_impl.h"
#include "lib/twostack.h"

#define IP_A 0x0a000002u   /* the client (twostack's c) */
#define IP_B 0x0a000001u   /* the server (twostack's s) */
#define MB (1u << 20)

/* A (10.0.0.2, seed 1) and B (10.0.0.1, seed 2), 2 MSL = 2 s, learning each other by ARP over a
 * link that drops loss percent of the frames. */
static void wire_init(struct twostack *w, unsigned loss)
{
    struct ts_config ca, cb;
    twostack_config(&ca, IP_A, 2, 1);
    twostack_config(&cb, IP_B, 1, 2);
    ca.tcp_msl = cb.tcp_msl = TS_SEC(1);
    twostack_init_with(w, &ca, &cb, false);
    w->loss_pct = loss;
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

static bool closed_or_waiting(const struct ts_sock *so)
{
    enum ts_tcp_state st = ts_tcp_get_state(so);
    return st == TS_TCP_TIME_WAIT || st == TS_TCP_CLOSED;
}

/* Both ends read the peer's FIN and are past their own close. */
static bool both_done(void *arg)
{
    struct twostack_end *e = arg;
    return e[0].eof && e[1].eof && closed_or_waiting(e[0].sock) && closed_or_waiting(e[1].sock);
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) { x = x * 1103515245u + 12345u; b[i] = (uint8_t)(x >> 16); }
    return b;
}

/* A reader for a twostack_end (ts_tcp_set_reader): appends what it takes to in, at most
 * reader_max bytes a call, leaving the rest in the receive buffer for ts_tcp_recv. */
struct reader_end { struct twostack_end *e; size_t max, taken; };

static size_t take_cb(void *arg, const void *data, size_t len)
{
    struct reader_end *r = arg;
    size_t n = len < r->max ? len : r->max;
    if (n > r->e->in_cap - r->e->in_len) n = r->e->in_cap - r->e->in_len;
    memcpy(r->e->in + r->e->in_len, data, n);
    r->e->in_len += n;
    r->taken += n;
    return n;
}

static void accept_with_reader(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct reader_end *r = arg;
    twostack_end_accept(r->e, sock, events, now);
    if (r->e->sock && r->max) assert_int_equal(ts_tcp_set_reader(r->e->sock, take_cb, r), 0);
}

/* 1 MB each way over a link losing loss % of the frames; the server's end reads through a
 * reader taking at most reader_max bytes a call when reader_max is not 0. */
static void transfer_with(unsigned loss, size_t reader_max)
{
    struct twostack w;
    wire_init(&w, loss);
    uint8_t *da = pattern(MB, 1), *db = pattern(MB, 2);
    struct twostack_end e[2] = {
        { .out = da, .out_len = MB, .in = malloc(MB + 1), .in_cap = MB + 1 },
        { .out = db, .out_len = MB, .in = malloc(MB + 1), .in_cap = MB + 1 },
    };
    struct twostack_end *pa = &e[0], *pb = &e[1];
    struct reader_end rd = { .e = pb, .max = reader_max };
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(w.s, 0, 7000, 16, accept_with_reader, &rd, &l), 0);
    assert_int_equal(ts_tcp_connect(w.c, w.now, 0, 0, IP_B, 7000, twostack_end_event, pa, &pa->sock), 0);
    w.done = both_done;
    w.done_arg = e;
    twostack_exchange(&w, pa, pb, 20, TS_SEC(600) + 1);    /* 20 us link delay */
    w.done = NULL;
    assert_true(pa->eof);
    assert_true(pb->eof);
    assert_int_equal(pa->in_len, MB);
    assert_int_equal(pb->in_len, MB);
    assert_memory_equal(pa->in, db, MB);
    assert_memory_equal(pb->in, da, MB);
    /* what came before the accept waited in the ring; everything after went to the reader */
    if (reader_max >= MB && loss == 0) assert_true(rd.taken > MB - 65536);
    else if (reader_max) assert_true(rd.taken > 0 && rd.taken < MB);
    /* Both send FIN when done sending: one ends in TIME_WAIT (CLOSED once 2 MSL passed), the
     * other through LAST_ACK to CLOSED, or both in TIME_WAIT when the FINs crossed. */
    enum ts_tcp_state sa = ts_tcp_get_state(pa->sock), sb = ts_tcp_get_state(pb->sock);
    assert_true(sa == TS_TCP_TIME_WAIT || sa == TS_TCP_CLOSED);
    assert_true(sb == TS_TCP_TIME_WAIT || sb == TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(pa->sock), 0);
    assert_int_equal(ts_sock_error(pb->sock), 0);
    struct ts_tcp_info ia, ib;
    ts_tcp_get_info(pa->sock, &ia);
    ts_tcp_get_info(pb->sock, &ib);
    assert_true(ia.hist_len >= 4);
    assert_int_equal(ia.hist[0].new_state, TS_TCP_SYN_SENT);
    assert_int_equal(ib.hist[0].new_state, TS_TCP_SYN_RECEIVED);
    assert_true(ia.hist[ia.hist_len - 1].new_state == TS_TCP_TIME_WAIT ||
                ib.hist[ib.hist_len - 1].new_state == TS_TCP_TIME_WAIT ||
                ia.hist[ia.hist_len - 2].new_state == TS_TCP_TIME_WAIT ||
                ib.hist[ib.hist_len - 2].new_state == TS_TCP_TIME_WAIT);
    ts_tcp_close(pa->sock, w.now);
    ts_tcp_close(pb->sock, w.now);
    /* without a handle, TIME_WAIT is a compact record (tcp_tw.c): still a connection to netstat */
    for (int side = 0; side < 2; side++) {
        struct ts_stack *st = side ? w.s : w.c;
        if ((side ? sb : sa) != TS_TCP_TIME_WAIT) continue;
        struct ts_mem_usage m;
        ts_stack_memory(st, &m);
        assert_int_equal(m.tcp_time_wait, 1);
        assert_true(m.tcp_time_wait_bytes > 0 && m.tcp_time_wait_bytes <= 128);
        assert_int_equal(count_tcp(st), 1 + side);          /* the server has its listener too */
        assert_int_equal(m.tcp_conns, (unsigned)side);
        assert_int_equal(ts_stack_stats(st)->v[TS_CTR_tcp_timewait_compacted], 1);
    }
    if (loss == 0) assert_true(sa == TS_TCP_TIME_WAIT || sb == TS_TCP_TIME_WAIT);
    /* 2 MSL later the TIME_WAITs are gone: only the listener is left */
    for (int i = 0; i < 100; i++) if (twostack_step(&w) == 0 && !twostack_idle(&w)) break;
    assert_int_equal(count_tcp(w.c), 0);
    assert_int_equal(count_tcp(w.s), 1);
    assert_int_equal(ts_tcp_get_state(l), TS_TCP_LISTEN);
    ts_tcp_close(l, w.now);
    if (getenv("TCP_E2E_VERBOSE"))
        fprintf(stderr, "loss %u%%: done at %.3f s virtual, %llu frames, %llu lost, rexmit %llu+%llu, sack %llu, rto %llu\n", loss,
                (double)(w.now - TS_SEC(1)) / 1e6, (unsigned long long)w.moved, (unsigned long long)w.lost,
                (unsigned long long)ts_stack_stats(w.c)->v[TS_CTR_tcp_retransmits], (unsigned long long)ts_stack_stats(w.s)->v[TS_CTR_tcp_retransmits],
                (unsigned long long)(ts_stack_stats(w.c)->v[TS_CTR_tcp_sack_retransmits] + ts_stack_stats(w.s)->v[TS_CTR_tcp_sack_retransmits]),
                (unsigned long long)(ts_stack_stats(w.c)->v[TS_CTR_tcp_timeouts] + ts_stack_stats(w.s)->v[TS_CTR_tcp_timeouts]));
    if (loss) assert_true(ts_stack_stats(w.c)->v[TS_CTR_tcp_retransmits] + ts_stack_stats(w.s)->v[TS_CTR_tcp_retransmits] > 0);
    free(da); free(db); free(pa->in); free(pb->in);
    twostack_free(&w);
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
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 };
    assert_int_equal(ts_tcp_connect(w.c, w.now, 0, 0, IP_B, 9, twostack_end_event, &pa, &pa.sock), 0);
    for (int i = 0; i < 100; i++) if (twostack_step(&w) == 0 && (pa.events || !twostack_idle(&w))) break;
    assert_true(pa.events & TS_EV_ERROR);
    assert_int_equal(ts_sock_error(pa.sock), TS_ECONNREFUSED);
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_CLOSED);
    assert_int_equal(ts_stack_stats(w.s)->v[TS_CTR_tcp_drop_no_socket], 1);
    assert_int_equal(ts_tcp_recv(pa.sock, w.now, NULL, 0), -TS_ECONNREFUSED);
    ts_tcp_close(pa.sock, w.now);
    twostack_free(&w);
}

static void abort_resets_peer(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    twostack_connect(&w, 80, &pa, &pb, &l);
    assert_true(pa.events & TS_EV_CONNECTED);
    assert_int_equal(ts_tcp_get_state(pb.sock), TS_TCP_ESTABLISHED);
    ts_tcp_abort(pa.sock, w.now);
    for (int i = 0; i < 10; i++) twostack_step(&w);
    assert_true(pb.events & TS_EV_ERROR);
    assert_int_equal(ts_sock_error(pb.sock), TS_ECONNRESET);
    assert_int_equal(ts_tcp_send(pb.sock, w.now, "x", 1), -TS_ECONNRESET);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

/* Issue 19's memory contract: an idle ESTABLISHED connection costs at most 2,048 bytes in all
 * (measured by make bench: tapstack's RSS over 10,000 held connections). The stack's share is its
 * control block (socket and demultiplexer node inside), with no buffer storage while nothing waits
 * in them and no copy of the congestion controller's state before a reduction it never made:
 * held at 1,408 bytes here, so that the application's record and the allocator's overhead keep
 * 640 bytes. After 1 KB each way and every byte read, both ends hold exactly that. */
#define IDLE_TCB_MAX 1408u
static void idle_connection_memory(void **st)
{
    (void)st;
    assert_true(sizeof(struct ts_tcb) <= IDLE_TCB_MAX);
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    twostack_connect(&w, 80, &pa, &pb, &l);
    uint8_t buf[1024] = { 0 }, in[1024];
    assert_int_equal(ts_tcp_send(pa.sock, w.now, buf, sizeof buf), (long)sizeof buf);
    assert_int_equal(ts_tcp_send(pb.sock, w.now, buf, sizeof buf), (long)sizeof buf);
    twostack_run(&w, TS_MS(50));
    assert_int_equal(ts_tcp_recv(pa.sock, w.now, in, sizeof in), (long)sizeof in);
    assert_int_equal(ts_tcp_recv(pb.sock, w.now, in, sizeof in), (long)sizeof in);
    twostack_run(&w, TS_MS(500));                   /* window updates and delayed ACKs done */
    for (int side = 0; side < 2; side++) {
        struct ts_mem_usage m;
        ts_stack_memory(side ? w.s : w.c, &m);
        assert_int_equal(m.tcp_conns, 1u + (unsigned)side);   /* the server's listener too */
        assert_int_equal(m.tcp_buffers, 0);
        assert_int_equal(m.tcp_tcbs, m.tcp_conns * sizeof(struct ts_tcb));
        assert_true(m.tcp_tcbs / m.tcp_conns <= IDLE_TCB_MAX);
    }
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_ESTABLISHED);
    ts_tcp_abort(pa.sock, w.now);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

/* An empty ring's storage is kept for the next ring of its size (tcp_ring_spare.c): the second
 * connection's send buffer is the first one's storage, under a new identity, and the spare is
 * counted in the stack's memory. */
static void ring_storage_recycled(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 }, pb = { 0 }, qa = { 0 }, qb = { 0 };
    struct ts_sock *l, *l2;
    twostack_connect(&w, 80, &pa, &pb, &l);
    uint8_t buf[1024] = { 0 }, in[1024];
    struct ts_mem_usage m0, m1;
    ts_stack_memory(w.c, &m0);
    assert_int_equal(ts_tcp_send(pa.sock, w.now, buf, sizeof buf), (long)sizeof buf);
    struct ts_send_store s1, s2;
    assert_true(ts_tcp_send_store(pa.sock, &s1));
    twostack_run(&w, TS_MS(50));
    assert_int_equal(ts_tcp_recv(pb.sock, w.now, in, sizeof in), (long)sizeof in);
    twostack_run(&w, TS_MS(500));
    assert_false(ts_tcp_send_store(pa.sock, &s2));          /* acknowledged: given back */
    ts_stack_memory(w.c, &m1);
    assert_int_equal(m1.other - m0.other, s1.cap);          /* kept as a spare, counted */
    twostack_connect(&w, 81, &qa, &qb, &l2);
    assert_int_equal(ts_tcp_send(qa.sock, w.now, buf, sizeof buf), (long)sizeof buf);
    assert_true(ts_tcp_send_store(qa.sock, &s2));
    assert_ptr_equal(s2.base, s1.base);                     /* the same storage ... */
    assert_int_not_equal(s2.id, s1.id);                     /* ... under a new identity */
    ts_stack_memory(w.c, &m1);
    assert_int_equal(m1.other, m0.other);
    ts_tcp_abort(pa.sock, w.now);
    ts_tcp_abort(qa.sock, w.now);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(qb.sock, w.now);
    ts_tcp_close(l, w.now);
    ts_tcp_close(l2, w.now);
    twostack_free(&w);
}

/* What the stack keeps only for reuse goes back once the load stops (issue 23: every pool back to
 * its idle size): ts_stack_shrink frees nothing while frames or spares were used since its last
 * call, and then the frame pool's chunks and the spare ring storage, which come back on demand. */
static void shrink_gives_back_when_quiet(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    twostack_connect(&w, 80, &pa, &pb, &l);
    uint8_t buf[1024] = { 0 }, in[1024];
    assert_int_equal(ts_tcp_send(pa.sock, w.now, buf, sizeof buf), (long)sizeof buf);
    twostack_run(&w, TS_MS(50));
    assert_int_equal(ts_tcp_recv(pb.sock, w.now, in, sizeof in), (long)sizeof in);
    twostack_run(&w, TS_MS(500));                          /* acknowledged: the ring is a spare */
    struct ts_mem_usage m0, m1;
    ts_stack_memory(w.c, &m0);
    assert_true(m0.frames > 0);
    assert_int_equal(m0.frames_in_use, 0);
    assert_int_equal(ts_stack_shrink(w.c), 0);              /* used since start: kept */
    ts_stack_memory(w.c, &m1);
    assert_int_equal(m1.frames, m0.frames);
    size_t freed = ts_stack_shrink(w.c);                     /* quiet since the last call */
    ts_stack_memory(w.c, &m1);
    assert_int_equal(m1.frames, 0);
    assert_true(freed >= m0.frames + (m0.other - m1.other));  /* whole chunks, carved or not */
    assert_true(m0.other - m1.other >= 64 * 1024);          /* the spare ring went too */
    assert_int_equal(ts_stack_shrink(w.c), 0);              /* nothing left to give */
    assert_int_equal(ts_tcp_send(pa.sock, w.now, buf, sizeof buf), (long)sizeof buf);   /* on demand */
    twostack_run(&w, TS_MS(50));
    assert_int_equal(ts_tcp_recv(pb.sock, w.now, in, sizeof in), (long)sizeof in);
    assert_memory_equal(in, buf, sizeof buf);
    ts_stack_memory(w.c, &m1);
    assert_true(m1.frames > 0);
    ts_tcp_abort(pa.sock, w.now);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

/* A link that drops, while cut[0] is set, the client's TCP segments (once its FIN is through:
 * its ACKs, the one entering CLOSING too, which repeats the FIN), and while cut[1] is set every
 * frame to the client. */
static void cut_link(struct twostack *t, struct ts_stack *from, struct ts_stack *to, uint8_t *frame, size_t len,
                     const struct ts_frame_info *info)
{
    const bool *cut = t->link_arg;
    bool ip_tcp = len >= 54 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 6;
    if (from == t->c ? cut[0] && ip_tcp : cut[1]) { t->lost++; return; }
    twostack_deliver(t, to, frame, len, info);
}

/* The soak's CLOSING left over (issue 23): a simultaneous close, and the ACKs of the client
 * (say a `tapstack fetch`) are lost; the client reaches TIME_WAIT, the server stays in CLOSING
 * and resends its FIN. Then the client's process ends. Before ts_stack_shutdown the server went
 * on resending its FIN, for minutes, to a host that no longer answered; now the client's stack
 * resets the connection as it stops, and the server is done at once. */
static void shutdown_releases_waiting_peer(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    bool cut[2] = { false, false };
    w.link = cut_link;
    w.link_arg = cut;
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    twostack_connect(&w, 80, &pa, &pb, &l);
    assert_int_equal(ts_tcp_shutdown(pa.sock, w.now), 0);   /* both FINs cross */
    assert_int_equal(ts_tcp_shutdown(pb.sock, w.now), 0);
    twostack_step(&w);                                        /* the client's FIN reaches the server */
    cut[0] = true;                                            /* the client's ACKs are lost */
    for (int i = 0; i < 100 && ts_tcp_get_state(pa.sock) != TS_TCP_TIME_WAIT; i++)
        if (twostack_step(&w) == 0 && !twostack_idle(&w)) break;
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_TIME_WAIT);
    assert_int_equal(ts_tcp_get_state(pb.sock), TS_TCP_CLOSING);
    ts_tcp_close(pb.sock, w.now);                             /* the server is done with it */
    ts_time_t end = w.now + TS_SEC(5);                        /* it resends its FIN, in vain */
    while (w.now < end && twostack_idle(&w)) twostack_step(&w);
    assert_true(ts_stack_stats(w.s)->v[TS_CTR_tcp_retransmits] > 0);
    assert_int_equal(count_tcp(w.s), 2);                      /* the listener and the CLOSING one */
    ts_tcp_close(pa.sock, w.now);                             /* the client's TIME_WAIT: a record */
    /* the client's process ends: its stack stops; nothing reaches it any more */
    cut[0] = false;
    cut[1] = true;
    ts_stack_shutdown(w.c, w.now);
    twostack_step(&w);
    assert_int_equal(count_tcp(w.s), 1);                      /* the listener alone */
    assert_int_equal(count_tcp(w.c), 0);
    assert_int_equal(ts_stack_stats(w.c)->v[TS_CTR_tcp_resets_on_shutdown], 1);
    assert_int_equal(ts_stack_stats(w.s)->v[TS_CTR_tcp_rsts_received], 1);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

/* A link that drops every segment of the server's that carries a FIN, and while *arg is set every
 * TCP segment of the client's. */
static void fin_cut_link(struct twostack *t, struct ts_stack *from, struct ts_stack *to, uint8_t *frame, size_t len,
                         const struct ts_frame_info *info)
{
    const bool *client_gone = t->link_arg;
    bool ip_tcp = len >= 54 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 6;
    size_t flags = 14u + 4u * (frame[14] & 0x0fu) + 13u;
    bool fin = ip_tcp && flags < len && (frame[flags] & 0x01u);
    if (from == t->c ? *client_gone && ip_tcp : fin) { t->lost++; return; }
    twostack_deliver(t, to, frame, len, info);
}

/* `tapstack up` stopping (issue 23) after its FIN was lost: the client sits in FIN_WAIT_2, its
 * RCV.NXT at our FIN, which is our SND.UNA; a RST at SND.MAX alone is one past it and earns only
 * a challenge ACK (RFC 5961 §3.2) that a stack still running would answer with the right RST, but
 * a process that has ended does not; so the stack sends one at SND.UNA too, and the client is done. */
static void shutdown_resets_peer_missing_fin(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    bool client_gone = false;
    w.link = fin_cut_link;                                    /* the server's FINs are lost */
    w.link_arg = &client_gone;
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    twostack_connect(&w, 80, &pa, &pb, &l);
    assert_int_equal(ts_tcp_shutdown(pa.sock, w.now), 0);     /* the client closes first */
    for (int i = 0; i < 100 && ts_tcp_get_state(pa.sock) != TS_TCP_FIN_WAIT_2; i++)
        if (twostack_step(&w) == 0 && !twostack_idle(&w)) break;
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_FIN_WAIT_2);
    ts_tcp_close(pb.sock, w.now);                             /* LAST_ACK: its FIN goes, in vain */
    ts_time_t end = w.now + TS_SEC(2);
    while (w.now < end && twostack_idle(&w)) twostack_step(&w);
    assert_true(ts_stack_stats(w.s)->v[TS_CTR_tcp_retransmits] > 0);
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_FIN_WAIT_2);
    client_gone = true;       /* the process is gone: nobody answers the client's challenge ACK */
    ts_stack_shutdown(w.s, w.now);                            /* the server's process ends */
    twostack_step(&w);
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_CLOSED);
    assert_int_equal(ts_stack_stats(w.c)->v[TS_CTR_tcp_rsts_received], 1);
    assert_int_equal(ts_stack_stats(w.s)->v[TS_CTR_tcp_resets_on_shutdown], 1);
    ts_tcp_close(pa.sock, w.now);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

/* A simultaneous close between two tapstacks: each enters CLOSING with an ACK that repeats its
 * FIN (tcp_output.c, plan_data), and each takes the other's ACK of its FIN from that repeated FIN
 * (tcp_input.c: the peer's FIN again, trimmed, begins at RCV.NXT): both reach TIME_WAIT in one
 * exchange, with no retransmission timeout. */
static void simultaneous_close_no_timeout(void **st)
{
    (void)st;
    struct twostack w;
    wire_init(&w, 0);
    struct twostack_end pa = { 0 }, pb = { 0 };
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(w.s, 0, 80, 4, twostack_end_accept, &pb, &l), 0);
    assert_int_equal(ts_tcp_connect(w.c, w.now, 0, 0, IP_B, 80, twostack_end_event, &pa, &pa.sock), 0);
    for (int i = 0; i < 100 && !pb.sock; i++) if (twostack_step(&w) == 0 && !twostack_idle(&w)) break;
    assert_non_null(pb.sock);
    ts_time_t start = w.now;
    assert_int_equal(ts_tcp_shutdown(pa.sock, w.now), 0);   /* both FINs cross */
    assert_int_equal(ts_tcp_shutdown(pb.sock, w.now), 0);
    for (int i = 0; i < 100 && (ts_tcp_get_state(pa.sock) != TS_TCP_TIME_WAIT ||
                                ts_tcp_get_state(pb.sock) != TS_TCP_TIME_WAIT); i++)
        if (twostack_step(&w) == 0 && !twostack_idle(&w)) break;
    assert_int_equal(ts_tcp_get_state(pa.sock), TS_TCP_TIME_WAIT);
    assert_int_equal(ts_tcp_get_state(pb.sock), TS_TCP_TIME_WAIT);
    assert_true(w.now - start < TS_MS(100));                  /* no RTO: 200 ms at the least */
    assert_int_equal(ts_stack_stats(w.c)->v[TS_CTR_tcp_timeouts], 0);
    assert_int_equal(ts_stack_stats(w.s)->v[TS_CTR_tcp_timeouts], 0);
    ts_tcp_close(pa.sock, w.now);
    ts_tcp_close(pb.sock, w.now);
    ts_tcp_close(l, w.now);
    twostack_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_mb_each_way), cmocka_unit_test(one_mb_each_way_lossy),
        cmocka_unit_test(one_mb_each_way_very_lossy), cmocka_unit_test(one_mb_through_reader),
        cmocka_unit_test(one_mb_through_partial_reader_lossy),
        cmocka_unit_test(refused_by_closed_port), cmocka_unit_test(abort_resets_peer),
        cmocka_unit_test(idle_connection_memory), cmocka_unit_test(ring_storage_recycled),
        cmocka_unit_test(shrink_gives_back_when_quiet),
        cmocka_unit_test(shutdown_releases_waiting_peer),
        cmocka_unit_test(shutdown_resets_peer_missing_fin), cmocka_unit_test(simultaneous_close_no_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
