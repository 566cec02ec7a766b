/*
 * Helpers for the hardening tests (tests/unit/test_hardening_*.c): a stack with a known peer,
 * raw frames from any source address, what the stack answers, how much memory it holds, and a
 * "legitimate traffic still flows" check (a ping answered; a handshake plus data both ways).
 *
 * Frames are built with tests/lib/frames.h (independent of the stack's own wire code) or by hand
 * with tests/lib/core_util.h, so that the tests can lie in any field they like.
 */
#ifndef TESTS_LIB_HARDEN_H
#define TESTS_LIB_HARDEN_H

#include <malloc.h>
#include "core_util.h"
#include "lib/frames.h"
#include "tapstack/socket.h"
#include "tcp/tcp_info.h"
#include "net/arp.h"
#include "net/ip_frag.h"
#include "core/frame.h"

#define H_T0 TS_SEC(10)

#ifdef __SANITIZE_ADDRESS__
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* Bytes the process holds on the heap now (ASan's own count under ASan, else mallinfo2). */
static inline size_t heap_now(void)
{
#ifdef __SANITIZE_ADDRESS__
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

/* Heap growth since base, 0 if it shrank. */
static inline size_t heap_growth(size_t base)
{
    size_t n = heap_now();
    return n > base ? n - base : 0;
}

/* Sum of every drop counter (every counter whose name starts with "drop_" or holds "_drop_"). */
static inline uint64_t h_drops_total(const struct ts_stack *s)
{
    uint64_t n = 0;
    for (int i = 0; i < TS_CTR__COUNT; i++) {
        const char *name = ts_counter_name((enum ts_counter_id)i);
        if (name && (strncmp(name, "drop_", 5) == 0 || strstr(name, "_drop_"))) n += ts_stack_stats(s)->v[i];
    }
    return n;
}

/* A stack (seed given) that knows the peer's MAC (static ARP entry). */
static inline struct ts_stack *h_stack(uint64_t seed)
{
    struct ts_config c;
    ts_config_default(&c);
    c.seed = seed;
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    assert_int_equal(ts_stack_arp_add(s, H_T0, PEER_IP, PEER_MAC, true), 0);
    return s;
}

static inline struct frm_addr h_addr(const uint8_t *mac, uint32_t ip, uint16_t port)
{
    struct frm_addr a = { .ip = ip, .port = port };
    memcpy(a.mac, mac, 6);
    return a;
}

/* Send a TCP segment from src_ip:sport (Ethernet from the peer's MAC) to us at dport. */
static inline void h_tcp_from(struct ts_stack *s, ts_time_t now, uint32_t src_ip, uint16_t sport,
                              uint16_t dport, const struct frm_tcp *t)
{
    uint8_t f[FRM_MAX_FRAME];
    struct frm_addr src = h_addr(PEER_MAC, src_ip, sport), dst = h_addr(OUR_MAC, OUR_IP, dport);
    size_t n = frm_build_tcp(f, sizeof f, &src, &dst, 1, t);
    assert_true(n > 0);
    ts_stack_receive(s, now, f, n);
}

/* The next TCP segment the stack sends (other frames are skipped); false when none. buf must
 * outlive *p (its data points into it). */
static inline bool h_next_tcp(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap,
                              struct frm_pkt *p)
{
    size_t n;
    while ((n = ts_stack_transmit(s, now, buf, cap)) > 0) {
        if (frm_parse(buf, n, p) && p->is_tcp) {
            assert_true(p->ip_csum_ok);
            assert_true(p->l4_csum_ok);
            return true;
        }
    }
    return false;
}

/* Did the stack answer an echo request from the peer (with n data bytes) with a correct reply? */
static inline bool h_ping_answered(struct ts_stack *s, ts_time_t now, uint16_t seq)
{
    uint8_t f[1600], out[FRM_MAX_FRAME];
    size_t n = build_ping(f, 56, 0x7777, seq);
    ts_stack_receive(s, now, f, n);
    bool ok = false;
    size_t m;
    while ((m = ts_stack_transmit(s, now, out, sizeof out)) > 0) {
        if (m < 14 + 20 + 8 || ts_get16(out + 12) != 0x0800 || out[14 + 9] != 1) continue;
        const uint8_t *ic = out + 14 + (size_t)(out[14] & 15) * 4;
        if (ts_get32(out + 14 + 16) == PEER_IP && ic[0] == 0 && ts_get16(ic + 4) == 0x7777 &&
            ts_get16(ic + 6) == seq && ts_csum(ic, ts_get16(out + 16) - (size_t)(out[14] & 15) * 4) == 0)
            ok = true;
    }
    return ok;
}

/* Count the stack's TCP connections and listeners. */
static inline bool h_count_cb(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info)
{
    (void)sock; (void)info;
    ++*(unsigned *)arg;
    return true;
}
static inline unsigned h_tcp_conns(const struct ts_stack *s)
{
    unsigned n = 0;
    ts_tcp_foreach(s, h_count_cb, &n);
    return n;
}

/* Count ARP cache entries in use. */
static inline bool h_arp_cb(void *arg, const struct ts_arp_view *e)
{
    (void)e;
    ++*(unsigned *)arg;
    return true;
}
static inline unsigned h_arp_entries(const struct ts_stack *s)
{
    unsigned n = 0;
    ts_arp_foreach(s, h_arp_cb, &n);
    return n;
}

/* Look up one ARP entry; true if found (then *out holds it). */
struct h_arp_find { uint32_t ip; struct ts_arp_view v; bool found; };
static inline bool h_arp_find_cb(void *arg, const struct ts_arp_view *e)
{
    struct h_arp_find *f = arg;
    if (e->ip != f->ip) return true;
    f->v = *e;
    f->found = true;
    return false;
}
static inline bool h_arp_lookup(const struct ts_stack *s, uint32_t ip, struct ts_arp_view *out)
{
    struct h_arp_find f = { .ip = ip };
    ts_arp_foreach(s, h_arp_find_cb, &f);
    if (f.found && out) *out = f.v;
    return f.found;
}

/*
 * Legitimate traffic still flows: a client at src_ip:sport opens a connection to listener l
 * (SYN with MSS 1460), sends "hello" with its handshake ACK, the server accepts, reads it and
 * answers "world", which the client sees in a data segment. The connection is then aborted.
 * Works whether the stack answers from its SYN queue or with a SYN cookie.
 */
static inline void h_legit_exchange(struct ts_stack *s, ts_time_t now, struct ts_sock *l,
                                    uint32_t src_ip, uint16_t sport, uint32_t isn)
{
    uint16_t lport;
    ts_sock_name(l, NULL, &lport, NULL, NULL);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    struct frm_tcp t = { .seq = isn, .flags = FRM_SYN, .win = 65535 };
    frm_opt_mss(&t, 1460);
    h_tcp_from(s, now, src_ip, sport, lport, &t);
    bool got = false;
    while (h_next_tcp(s, now, buf, sizeof buf, &p))
        if (p.ip_dst == src_ip && p.dport == sport && p.tcp.flags == (FRM_SYN | FRM_ACK)) { got = true; break; }
    assert_true(got);
    assert_int_equal(p.tcp.ack, isn + 1);
    uint32_t our_isn = p.tcp.seq;
    struct frm_tcp a = { .seq = isn + 1, .ack = our_isn + 1, .flags = FRM_ACK | FRM_PSH, .win = 65535,
                         .data = (const uint8_t *)"hello", .data_len = 5 };
    h_tcp_from(s, now, src_ip, sport, lport, &a);
    ts_stack_dispatch(s, now);
    struct ts_sock *c = NULL, *x;
    while ((x = ts_tcp_accept(l, NULL, NULL)) != NULL) {
        uint32_t ra;
        uint16_t rp;
        ts_sock_name(x, NULL, NULL, &ra, &rp);
        if (ra == src_ip && rp == sport) c = x;
        else ts_tcp_abort(x, now);
    }
    assert_non_null(c);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
    char in[16];
    assert_int_equal(ts_tcp_recv(c, now, in, sizeof in), 5);
    assert_memory_equal(in, "hello", 5);
    assert_int_equal(ts_tcp_send(c, now, "world", 5), 5);
    got = false;
    while (h_next_tcp(s, now, buf, sizeof buf, &p)) {
        if (p.ip_dst != src_ip || p.dport != sport || p.tcp.data_len == 0) continue;
        assert_int_equal(p.tcp.seq, our_isn + 1);
        assert_int_equal(p.tcp.ack, isn + 6);
        assert_int_equal(p.tcp.data_len, 5);
        assert_memory_equal(p.tcp.data, "world", 5);
        got = true;
    }
    assert_true(got);
    ts_tcp_abort(c, now);
    drain(s, now);
}

/* One connection from the peer, accepted by the stack. nxt: the peer's next sequence number;
 * una: the next byte the stack will send. */
struct h_conn {
    struct ts_sock *c;
    uint32_t src_ip;
    uint16_t sport, dport;
    uint32_t peer_nxt, our_nxt;
};

/* Open a connection from src_ip:sport to listener l (SYN with MSS 1460 plus opt), accept it. */
static inline struct h_conn h_open(struct ts_stack *s, ts_time_t now, struct ts_sock *l, uint32_t src_ip,
                                   uint16_t sport, uint32_t isn)
{
    struct h_conn k = { .src_ip = src_ip, .sport = sport };
    ts_sock_name(l, NULL, &k.dport, NULL, NULL);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    struct frm_tcp t = { .seq = isn, .flags = FRM_SYN, .win = 65535 };
    frm_opt_mss(&t, 1460);
    h_tcp_from(s, now, src_ip, sport, k.dport, &t);
    assert_true(h_next_tcp(s, now, buf, sizeof buf, &p));
    assert_int_equal(p.tcp.flags, FRM_SYN | FRM_ACK);
    k.peer_nxt = isn + 1;
    k.our_nxt = p.tcp.seq + 1;
    struct frm_tcp a = { .seq = k.peer_nxt, .ack = k.our_nxt, .flags = FRM_ACK, .win = 65535 };
    h_tcp_from(s, now, src_ip, sport, k.dport, &a);
    k.c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(k.c);
    assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    return k;
}

/* Send a segment on k from the peer: flags, seq (absolute), data; ACKs what the stack sent. */
static inline void h_send(struct ts_stack *s, ts_time_t now, const struct h_conn *k, uint32_t seq,
                          uint8_t flags, uint16_t urg, const void *data, size_t len)
{
    struct frm_tcp t = { .seq = seq, .ack = k->our_nxt, .flags = flags, .win = 65535, .urg = urg,
                         .data = data, .data_len = len };
    h_tcp_from(s, now, k->src_ip, k->sport, k->dport, &t);
}

/* The last ACK number the stack sent on k (draining everything); false if it sent nothing. */
static inline bool h_last_ack(struct ts_stack *s, ts_time_t now, const struct h_conn *k, uint32_t *ack)
{
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    bool any = false;
    while (h_next_tcp(s, now, buf, sizeof buf, &p)) {
        if (p.dport != k->sport || p.ip_dst != k->src_ip || !(p.tcp.flags & FRM_ACK)) continue;
        *ack = p.tcp.ack;
        any = true;
    }
    return any;
}

#endif
