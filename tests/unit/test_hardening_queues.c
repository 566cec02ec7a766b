/*
 * Hardening, root cause 5: per-peer queues with no bound (SYN floods, neighbour-cache floods,
 * INFRA:HALT's resource exhaustion, out-of-order and receive queues that grow with the attacker).
 *
 * A SYN flood of 10,000 spoofed SYNs to a listener with backlog 16 (SYN cookies once the SYN
 * queue is full, a real client still connects); 10,000 forged cookie ACKs; an ARP flood from
 * 100,000 addresses (the cache stays at its bound, a real neighbour still resolves); our own
 * traffic to 10,000 neighbours that never answer; 10,000 one-byte TCP segments leaving holes; a
 * UDP socket nobody reads. Each time: the bound holds at every step, the counter named for the
 * reason moves, heap growth does not depend on the size of the flood, legitimate traffic flows.
 */
#include "lib/harden.h"
#include "lib/udp_frames.h"
#include "core/rand.h"
#include "udp/udp.h"
#include "tcp/tcp_reass.h"

#define T0 H_T0
#define GW_IP 0x0a0000feu
static const uint8_t GW_MAC[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x01 };

/* A stack on 10.0.0.0/prefix with a gateway at .254 (static ARP) and the peer (static ARP
 * unless dynamic_peer). */
static struct ts_stack *mk_stack(uint64_t seed, uint8_t prefix, bool dynamic_peer)
{
    struct ts_config c;
    ts_config_default(&c);
    c.seed = seed;
    c.prefix_len = prefix;
    c.gateway = GW_IP;
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    assert_int_equal(ts_stack_arp_add(s, T0, GW_IP, GW_MAC, true), 0);
    if (!dynamic_peer) assert_int_equal(ts_stack_arp_add(s, T0, PEER_IP, PEER_MAC, true), 0);
    return s;
}

/* 10,000 SYNs from spoofed off-link addresses (through the gateway) to a listener with backlog
 * 16: the first 16 fill the SYN queue, every other one gets a SYN cookie SYN,ACK and leaves no
 * state. The number of connections and the heap stay flat; a real client then completes a
 * handshake (by cookie) and exchanges data; once the half-open ones time out, a client gets a
 * normal handshake again. */
static void syn_flood_cookies(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(41, 24, false);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 16, NULL, NULL, &l), 0);
    h_legit_exchange(s, T0, l, PEER_IP, 39000, 1);          /* warm up the frame pool */
    size_t heap0 = heap_now(), heap1k = 0;
    uint64_t cookies0 = ctr(s, TS_CTR_tcp_syncookies_sent), opens0 = ctr(s, TS_CTR_tcp_passive_opens);
    struct ts_rng r;
    ts_rng_seed(&r, 4242);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    unsigned synacks = 0, max_conns = 0;
    for (unsigned i = 0; i < 10000; i++) {
        uint32_t src = 0x64400000u | (uint32_t)ts_rng_below(&r, 1u << 22);   /* 100.64.0.0/10 */
        struct frm_tcp t = { .seq = (uint32_t)ts_rng_next(&r), .flags = FRM_SYN, .win = 65535 };
        frm_opt_mss(&t, 1460);
        h_tcp_from(s, T0, src, (uint16_t)(1024 + ts_rng_below(&r, 60000)), 80, &t);
        if (i % 64 == 63 || i == 9999) {
            while (h_next_tcp(s, T0, buf, sizeof buf, &p)) {
                assert_memory_equal(p.eth_dst, GW_MAC, 6);
                if (p.tcp.flags == (FRM_SYN | FRM_ACK)) synacks++;
            }
            unsigned n = h_tcp_conns(s);
            if (n > max_conns) max_conns = n;
        }
        if (i == 999) heap1k = heap_now();
    }
    struct ts_tcp_info in;
    ts_tcp_get_info(l, &in);
    assert_int_equal(in.syn_queue, 16);
    assert_int_equal(synacks, 10000);                       /* every SYN answered */
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_sent) - cookies0, 10000 - 16);
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens) - opens0, 16);
    assert_true(max_conns <= 17);                           /* the listener + 16 half-open */
    assert_true(heap_growth(heap0) < 256 * 1024);
    assert_true(heap_now() <= heap1k + 4096);               /* 9,000 more SYNs cost nothing */
    /* a real client gets in, by cookie, and exchanges data */
    uint64_t ok0 = ctr(s, TS_CTR_tcp_syncookies_ok);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 777);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_ok), ok0 + 1);
    /* the half-open ones give up after their SYN,ACK retransmissions */
    ts_time_t now = T0;
    while (now < T0 + TS_SEC(300)) {
        ts_time_t next = ts_stack_poll_at(s);
        if (next == TS_TIME_NEVER || next > T0 + TS_SEC(300)) break;
        now = next;
        ts_stack_poll(s, now);
        drain(s, now);
    }
    now = T0 + TS_SEC(300);
    ts_tcp_get_info(l, &in);
    assert_int_equal(in.syn_queue, 0);
    assert_int_equal(h_tcp_conns(s), 1);
    uint64_t cookies1 = ctr(s, TS_CTR_tcp_syncookies_sent);
    h_legit_exchange(s, now, l, PEER_IP, 40001, 778);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_sent), cookies1);   /* a normal handshake */
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* 10,000 ACKs to a listener carrying guessed cookies: none makes a connection; each is answered
 * with a RST and counted as a failed cookie; a real client still connects. */
static void forged_cookie_acks(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(42, 24, false);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 16, NULL, NULL, &l), 0);
    struct ts_rng r;
    ts_rng_seed(&r, 99);
    unsigned rsts = 0;
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    for (unsigned i = 0; i < 10000; i++) {
        struct frm_tcp t = { .seq = (uint32_t)ts_rng_next(&r), .ack = (uint32_t)ts_rng_next(&r),
                             .flags = FRM_ACK, .win = 65535 };
        h_tcp_from(s, T0, 0x64400000u | (i & 0x3fffff), (uint16_t)(1024 + i), 80, &t);
        if (i % 64 == 63 || i == 9999)
            while (h_next_tcp(s, T0, buf, sizeof buf, &p)) if (p.tcp.flags & FRM_RST) rsts++;
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_failed), 10000);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_listen_ack), 10000);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_ok), 0);
    assert_int_equal(rsts, 10000);
    assert_int_equal(h_tcp_conns(s), 1);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* Answer the stack's ARP request for ip (if it sent one) as the neighbour at mac; true if a
 * request for ip was seen. Other frames are returned through *other (the last one). */
static bool answer_arp(struct ts_stack *s, ts_time_t now, uint32_t ip, const uint8_t *mac,
                       uint8_t *other, size_t *other_len)
{
    uint8_t f[FRM_MAX_FRAME];
    size_t n;
    bool asked = false;
    while ((n = ts_stack_transmit(s, now, f, sizeof f)) > 0) {
        if (ts_get16(f + 12) == 0x0806 && ts_get16(f + 20) == 1 && ts_get32(f + 38) == ip) {
            asked = true;
            continue;
        }
        memcpy(other, f, n);
        *other_len = n;
    }
    if (asked) {
        uint8_t a[64];
        size_t m = build_arp(a, 2, mac, ip, OUR_IP);
        memcpy(a, OUR_MAC, 6);
        memcpy(a + 6, mac, 6);
        ts_stack_receive(s, now, a, m);
    }
    return asked;
}

/* 100,000 ARP requests for our address from 100,000 senders on our (/8) subnet, then 100,000
 * replies addressed to others: the cache never holds more than its 256 entries (checked every
 * 1,000 frames), old entries are evicted and counted, replies not for us teach nothing, the heap
 * does not grow; and the real neighbour, evicted by the flood, resolves again when we talk to it. */
static void arp_flood(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(43, 8, true);
    struct ts_sock *u;
    assert_int_equal(ts_udp_open(s, 0, 5353, NULL, NULL, &u), 0);
    /* the real neighbour introduces itself */
    uint8_t f[128];
    size_t n = build_arp(f, 1, PEER_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, T0, f, n);
    assert_int_equal(drain(s, T0), 1);
    assert_true(h_arp_lookup(s, PEER_IP, NULL));
    size_t heap0 = 0;
    unsigned max_entries = 0;
    uint8_t mac[6] = { 0x02, 0xaa, 0, 0, 0, 0 };
    for (uint32_t i = 0; i < 100000; i++) {
        ts_put32(mac + 2, i);
        n = build_arp(f, 1, mac, 0x0a100000u + i, OUR_IP);
        ts_stack_receive(s, T0 + TS_SEC(1) + i, f, n);
        if (i % 1000 == 999) {
            assert_int_equal(drain(s, T0 + TS_SEC(1) + i), 1000);   /* each request answered */
            unsigned e = h_arp_entries(s);
            if (e > max_entries) max_entries = e;
            if (i == 999) heap0 = heap_now();    /* after the frame pool has grown for 1,000 replies */
        }
    }
    assert_int_equal(max_entries, 256);
    assert_int_equal(ctr(s, TS_CTR_arp_cache_evictions), 100000 - 256 + 1 + 1);   /* + peer, - gateway */
    assert_false(h_arp_lookup(s, PEER_IP, NULL));            /* the flood pushed it out */
    assert_true(h_arp_lookup(s, GW_IP, NULL));               /* static entries stay */
    uint64_t nfu = ctr(s, TS_CTR_arp_drop_not_for_us);
    for (uint32_t i = 0; i < 100000; i++) {
        ts_put32(mac + 2, i | 0x80000000u);
        n = build_arp(f, 2, mac, 0x0a200000u + i, 0x0a300000u + i);
        ts_stack_receive(s, T0 + TS_SEC(2), f, n);
    }
    assert_int_equal(ctr(s, TS_CTR_arp_drop_not_for_us), nfu + 100000);
    assert_int_equal(drain(s, T0 + TS_SEC(2)), 0);
    assert_int_equal(h_arp_entries(s), 256);
    assert_true(heap_growth(heap0) < 4096);                  /* 199,000 more frames cost nothing */
    /* a real neighbour still resolves: we send it a datagram, it answers our request */
    ts_time_t now = T0 + TS_SEC(3);
    assert_int_equal(ts_udp_sendto(u, now, PEER_IP, 9, "hi", 2), 2);
    uint8_t out[FRM_MAX_FRAME];
    size_t out_len = 0;
    assert_true(answer_arp(s, now, PEER_IP, PEER_MAC, out, &out_len));
    assert_int_equal(out_len, 0);                            /* nothing went out before the answer */
    out_len = ts_stack_transmit(s, now, out, sizeof out);    /* the datagram that waited */
    struct frm_pkt p;
    assert_true(frm_parse(out, out_len, &p));
    assert_true(p.is_udp);
    assert_memory_equal(p.eth_dst, PEER_MAC, 6);
    assert_int_equal(p.ip_dst, PEER_IP);
    assert_int_equal(p.udp_len, 2);
    assert_int_equal(drain(s, now), 0);
    struct ts_arp_view v;
    assert_true(h_arp_lookup(s, PEER_IP, &v));
    assert_int_equal(v.state, TS_ARP_REACHABLE);
    assert_memory_equal(v.mac, PEER_MAC, 6);
    /* the datagram waited for the answer and went out with it */
    assert_int_equal(ctr(s, TS_CTR_udp_tx_datagrams), 1);
    assert_true(h_ping_answered(s, now, 4));
    ts_udp_close(u);
    ts_stack_free(s);
}

/* We send to 10,000 neighbours that never answer: ARP requests stay within their rate limit, the
 * packets waiting for an answer stay within the pending bounds (the rest dropped and counted),
 * the frame pool is never exhausted; when the tries run out everything is given back. */
static void unresolved_neighbours(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(44, 16, false);
    struct ts_sock *u;
    assert_int_equal(ts_udp_open(s, 0, 5353, NULL, NULL, &u), 0);
    unsigned pool = ts_frame_pool_free(s), min_pool = pool;
    for (uint32_t i = 0; i < 10000; i++) {
        ts_udp_sendto(u, T0, 0x0a000100u + i, 9, "x", 1);
        unsigned fr = ts_frame_pool_free(s);
        if (fr < min_pool) min_pool = fr;
    }
    assert_true(ctr(s, TS_CTR_arp_tx_requests) <= TS_ARP_REQUESTS_PER_SEC);
    assert_true(ctr(s, TS_CTR_arp_drop_pending_full) >= 10000 - 256);
    assert_true(pool - min_pool <= TS_ARP_PENDING_TOTAL + TS_ARP_REQUESTS_PER_SEC);
    drain(s, T0);
    ts_time_t now = T0;
    for (int i = 0; i < 100000 && ts_stack_poll_at(s) != TS_TIME_NEVER; i++) {
        now = ts_stack_poll_at(s) > now ? ts_stack_poll_at(s) : now + 1;
        ts_stack_poll(s, now);
        drain(s, now);
    }
    assert_int_equal(ts_stack_poll_at(s), TS_TIME_NEVER);
    assert_true(ctr(s, TS_CTR_arp_drop_unresolved) > 0);
    assert_int_equal(ts_frame_pool_free(s), pool);
    assert_int_equal(h_arp_entries(s), 2);                   /* the gateway and the peer */
    assert_true(h_ping_answered(s, now, 5));
    ts_udp_close(u);
    ts_stack_free(s);
}

/* 10,000 one-byte TCP segments, each leaving a hole before it: the out-of-order ranges stay
 * within TS_REASS_MAX, the rest is dropped as drop_reass_full (and ACKed at once); when the holes
 * are filled the stream arrives whole and in order. */
static void tcp_one_byte_holes(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(45, 24, false);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 7000, 0xfffff000u);
    size_t heap0 = heap_now();
    static uint8_t stream[20001];
    for (size_t i = 0; i < sizeof stream; i++) stream[i] = (uint8_t)(i * 13 + 1);
    unsigned acks = 0;
    for (unsigned i = 0; i < 10000; i++) {
        size_t off = 2 * (size_t)i + 1;
        h_send(s, T0, &k, k.peer_nxt + (uint32_t)off, FRM_ACK, 0, stream + off, 1);
        struct ts_tcp_info in;
        ts_tcp_get_info(k.c, &in);
        assert_true(in.ooo_bytes <= TS_REASS_MAX);
        acks += drain(s, T0);
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_reass_full), 10000 - TS_REASS_MAX);
    assert_int_equal(ctr(s, TS_CTR_tcp_rx_out_of_order), TS_REASS_MAX);
    assert_int_equal(acks, 10000);                           /* each answered with an ACK at once */
    assert_true(heap_growth(heap0) < 128 * 1024);            /* the receive ring, once */
    /* fill everything in order, 1000 bytes at a time */
    for (size_t off = 0; off < sizeof stream; off += 1000) {
        size_t n = sizeof stream - off < 1000 ? sizeof stream - off : 1000;
        h_send(s, T0, &k, k.peer_nxt + (uint32_t)off, FRM_ACK, 0, stream + off, n);
    }
    static uint8_t got[sizeof stream];
    size_t have = 0;
    long r;
    while ((r = ts_tcp_recv(k.c, T0, got + have, sizeof got - have)) > 0) have += (size_t)r;
    assert_int_equal(have, sizeof stream);
    assert_memory_equal(got, stream, sizeof stream);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* 5,000 datagrams of 1,000 bytes to a socket nobody reads: the queue stops at its bound
 * (drop_rcvbuf_full), the heap holds at most that much; once read, datagrams flow again. */
static void udp_unread_socket(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(46, 24, false);
    struct ts_sock *u;
    assert_int_equal(ts_udp_open(s, 0, 7000, NULL, NULL, &u), 0);
    size_t heap0 = heap_now();
    uint8_t f[2048];
    for (unsigned i = 0; i < 5000; i++) {
        size_t n = build_udp(f, OUR_IP, 4000, 7000, 1000, CSUM_GOOD, 0, 0);
        ts_stack_receive(s, T0, f, n);
    }
    unsigned kept = 5000 - (unsigned)ctr(s, TS_CTR_udp_drop_rcvbuf_full);
    assert_true(kept * 1000 <= TS_UDP_RCVQ_BYTES);
    assert_true(kept >= 100);
    assert_true(heap_growth(heap0) < TS_UDP_RCVQ_BYTES + 128 * 1024);
    uint8_t got[2048];
    unsigned read = 0;
    while (ts_udp_recvfrom(u, got, sizeof got, NULL, NULL) == 1000) read++;
    assert_int_equal(read, kept);
    size_t n = build_udp(f, OUR_IP, 4000, 7000, 10, CSUM_GOOD, 0, 0);
    ts_stack_receive(s, T0, f, n);
    assert_int_equal(ts_udp_recvfrom(u, got, sizeof got, NULL, NULL), 10);
    ts_udp_close(u);
    assert_true(h_ping_answered(s, T0, 6));
    ts_stack_free(s);
}

/* 10,000 datagrams to a closed UDP port at one instant: ICMP port unreachable goes out at most
 * for the burst (RFC 1812 §4.3.2.8 rate limit), the rest counted as held back; a second later the
 * bucket has refilled and a ping is still answered. */
static void icmp_errors_rate_limited(void **st)
{
    (void)st;
    struct ts_stack *s = mk_stack(47, 24, false);
    uint8_t f[256];
    unsigned sent = 0;
    for (unsigned i = 0; i < 10000; i++) {
        size_t n = build_udp(f, OUR_IP, (uint16_t)(1000 + i), 9999, 16, CSUM_GOOD, 0, 0);
        ts_stack_receive(s, T0, f, n);
        sent += drain(s, T0);
    }
    assert_int_equal(ctr(s, TS_CTR_udp_drop_no_port), 10000);
    assert_int_equal(sent, ctr(s, TS_CTR_icmp_tx_port_unreach));
    assert_true(sent <= 50);
    assert_int_equal(ctr(s, TS_CTR_icmp_port_unreach_rate_limited), 10000 - sent);
    assert_true(h_ping_answered(s, T0 + TS_SEC(1), 7));
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syn_flood_cookies),
        cmocka_unit_test(forged_cookie_acks),
        cmocka_unit_test(arp_flood),
        cmocka_unit_test(unresolved_neighbours),
        cmocka_unit_test(tcp_one_byte_holes),
        cmocka_unit_test(udp_unread_socket),
        cmocka_unit_test(icmp_errors_rate_limited),
    };
    return cmocka_run_group_tests_name("hardening: unbounded queues", tests, NULL, NULL);
}
