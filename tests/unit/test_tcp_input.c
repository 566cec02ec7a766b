/* TCP input rules with hand-built segments (stack/tcp/tcp_input.c, tcp_listen.c): RSTs for
 * closed ports, listener queues and SYN cookies, RFC 5961 challenge ACKs and ACK checks,
 * SYN+FIN and land drops, MSS floor, zero window probes. */
#include <stdlib.h>
#include "lib/tcp_frames.h"
#include "tapstack/socket.h"
#include "tcp/tcp_info.h"
#include "tcp/tcp_reass.h"
#include "tcp/tcp_seq.h"

#define T0 TS_SEC(10)

static struct ts_stack *stack_with_peer(void)
{
    struct ts_stack *s = new_stack();
    assert_int_equal(ts_stack_arp_add(s, T0, PEER_IP, PEER_MAC, true), 0);
    return s;
}

/* Handshake from the peer: returns our ISS; the connection is on the accept queue. */
static uint32_t handshake(struct ts_stack *s, uint16_t sport, uint16_t dport, uint32_t peer_isn)
{
    struct tseg g;
    tcp_in(s, T0, sport, dport, peer_isn, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_SYN | TS_TCP_ACK);
    assert_int_equal(g.h.ack, peer_isn + 1);
    tcp_in(s, T0, sport, dport, peer_isn + 1, g.h.seq + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    return g.h.seq;
}

static void rst_for_closed_port(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct tseg g;
    /* no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, the SYN counting one */
    tcp_in(s, T0, 4000, 81, 1000, 0, TS_TCP_SYN, 1000, NULL, 0, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_RST | TS_TCP_ACK);
    assert_int_equal(g.h.seq, 0);
    assert_int_equal(g.h.ack, 1001);
    tcp_in(s, T0, 4000, 81, 1000, 0, TS_TCP_PSH, 1000, NULL, 0, "abcde", 5);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1005);
    /* with ACK: <SEQ=SEG.ACK><CTL=RST> */
    tcp_in(s, T0, 4000, 81, 1000, 777, TS_TCP_ACK, 1000, NULL, 0, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_RST);
    assert_int_equal(g.h.seq, 777);
    /* never a RST for a RST */
    tcp_in(s, T0, 4000, 81, 1000, 777, TS_TCP_RST | TS_TCP_ACK, 0, NULL, 0, NULL, 0);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_no_socket), 3);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_rst_closed), 1);
    ts_stack_free(s);
}

static void syn_fin_and_land_dropped(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    struct ts_sock *accepted = NULL;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, tcp_accept_into, &accepted, &l), 0);
    /* by default SYN+FIN is a SYN (RFC 9293 §3.10.7.2); the drop_synfin knob drops it */
    assert_int_equal(ts_stack_set_knob(s, "drop_synfin", true), 0);
    assert_int_equal(ts_stack_set_knob(s, "no_such_knob", true), -1);
    tcp_in(s, T0, 4000, 80, 1, 0, TS_TCP_SYN | TS_TCP_FIN, 1000, NULL, 0, NULL, 0);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_syn_fin), 1);
    /* land: source address = destination address */
    uint8_t f[128];
    size_t n = put_eth(f, OUR_MAC, 0x0800);
    n += put_ip(f + n, 6, OUR_IP, OUR_IP, 20, 1, 0);
    struct ts_tcp_hdr h = { .sport = 80, .dport = 80, .seq = 5, .flags = TS_TCP_SYN, .wnd = 100 };
    ts_tcp_emit(f + n, &h, NULL);
    ts_tcp_fill_csum(f + n, 20, OUR_IP, OUR_IP);
    ts_stack_receive(s, T0, f, n + 20);
    assert_false(tcp_out(s, T0, &g));
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

static void syn_flood_gets_cookies_and_real_client_gets_in(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    struct ts_sock *accepted = NULL;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, tcp_accept_into, &accepted, &l), 0);
    uint32_t cookie_isn[20] = { 0 };
    for (uint16_t i = 0; i < 20; i++) {
        tcp_in(s, T0, (uint16_t)(1000 + i), 80, 5000u * i, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
        assert_true(tcp_out(s, T0, &g));
        assert_int_equal(g.h.flags, TS_TCP_SYN | TS_TCP_ACK);
        assert_int_equal(g.h.ack, 5000u * i + 1);
        assert_true(g.o.has_mss);
        cookie_isn[i] = g.h.seq;
    }
    struct ts_tcp_info in;
    ts_tcp_get_info(l, &in);
    assert_int_equal(in.syn_queue, 4);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_sent), 16);
    /* a real client answers its cookie SYN,ACK: the connection is made from the cookie */
    tcp_in(s, T0, 1010, 80, 50001, cookie_isn[10] + 1, TS_TCP_ACK, 65535, NULL, 0, "hi", 2);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_ok), 1);
    ts_stack_dispatch(s, T0);
    assert_non_null(accepted);
    assert_int_equal(ts_tcp_get_state(accepted), TS_TCP_ESTABLISHED);
    char buf[8];
    assert_int_equal(ts_tcp_recv(accepted, T0, buf, sizeof buf), 2);
    assert_memory_equal(buf, "hi", 2);
    ts_tcp_get_info(accepted, &in);
    assert_int_equal(in.mss, 1460);
    /* a forged ACK (wrong cookie) gets a RST */
    tcp_in(s, T0, 1011, 80, 55001, cookie_isn[11] + 2, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_syncookies_failed), 1);
    while (tcp_out(s, T0, &g) && !(g.h.flags & TS_TCP_RST)) {}
    assert_true(g.h.flags & TS_TCP_RST);
    assert_int_equal(g.h.seq, cookie_isn[11] + 2);
    ts_tcp_close(accepted, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

static void accept_queue_bounded(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 2, NULL, NULL, &l), 0);
    handshake(s, 2000, 80, 100);
    handshake(s, 2001, 80, 200);
    struct ts_tcp_info in;
    ts_tcp_get_info(l, &in);
    assert_int_equal(in.accept_queue, 2);
    tcp_in(s, T0, 2002, 80, 300, 0, TS_TCP_SYN, 65535, NULL, 0, NULL, 0);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_accept_queue_full), 1);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    uint16_t rport;
    ts_sock_name(c, NULL, NULL, NULL, &rport);
    assert_int_equal(rport, 2000);
    ts_tcp_close(c, T0);
    ts_tcp_close(l, T0);          /* resets the one never accepted */
    bool rst = false;
    while (tcp_out(s, T0, &g)) if ((g.h.flags & TS_TCP_RST) && g.h.dport == 2001) rst = true;
    assert_true(rst);
    ts_stack_free(s);
}

/* An established connection with the peer at 3000 -> 80; *iss is ours. */
static struct ts_sock *established(struct ts_stack *s, struct ts_sock **l, uint32_t peer_isn, uint32_t *iss)
{
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, l), 0);
    *iss = handshake(s, 3000, 80, peer_isn);
    struct ts_sock *c = ts_tcp_accept(*l, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
    return c;
}

/* The peer (3000 -> 80, ISN 1000) connects offering MSS 1460 and SACK-permitted: the SYN,ACK in
 * *synack, our ISS in *iss; returns the accepted connection. */
static struct ts_sock *established_sack(struct ts_stack *s, struct ts_sock *l, struct tseg *synack, uint32_t *iss)
{
    static const uint8_t opt[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };   /* MSS, sackOK */
    tcp_in(s, T0, 3000, 80, 1000, 0, TS_TCP_SYN, 65535, opt, 8, NULL, 0);
    assert_true(tcp_out(s, T0, synack));
    *iss = synack->h.seq;
    tcp_in(s, T0, 3000, 80, 1001, *iss + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    return c;
}

static void rfc5961_rst_and_syn(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    struct ts_sock *c = established(s, &l, 1000, &iss);
    /* RST in window but not at RCV.NXT: challenge ACK, connection stays */
    tcp_in(s, T0, 3000, 80, 1001 + 100, 0, TS_TCP_RST, 0, NULL, 0, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_ACK);
    assert_int_equal(g.h.ack, 1001);
    assert_int_equal(g.h.seq, iss + 1);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
    /* RST out of window: silently dropped */
    tcp_in(s, T0, 3000, 80, 1001 + 10000000, 0, TS_TCP_RST, 0, NULL, 0, NULL, 0);
    assert_false(tcp_out(s, T0, &g));
    /* SYN on an established connection: challenge ACK */
    tcp_in(s, T0, 3000, 80, 1001 + 50, 0, TS_TCP_SYN, 1000, NULL, 0, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_ACK);
    assert_int_equal(g.h.ack, 1001);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
    assert_int_equal(ctr(s, TS_CTR_tcp_challenge_acks), 2);
    /* ACK for data never sent: dropped and answered with an ACK */
    tcp_in(s, T0, 3000, 80, 1001, iss + 5000, TS_TCP_ACK, 1000, NULL, 0, "zz", 2);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1001);                    /* the data was not taken */
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_ack_unsent), 1);
    /* the challenge ACK rate limit */
    for (int i = 0; i < 20; i++) tcp_in(s, T0, 3000, 80, 1001 + 7, 0, TS_TCP_RST, 0, NULL, 0, NULL, 0);
    int acks = 0;
    while (tcp_out(s, T0, &g)) acks++;
    assert_true(acks < 20);
    assert_true(ctr(s, TS_CTR_tcp_challenge_acks_limited) > 0);
    /* RST exactly at RCV.NXT: reset */
    tcp_in(s, T0, 3000, 80, 1001, 0, TS_TCP_RST, 0, NULL, 0, NULL, 0);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(c), TS_ECONNRESET);
    assert_false(tcp_out(s, T0, &g));
    ts_tcp_close(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

static void mss_floor_and_malformed_options(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    const uint8_t opt[8] = { 2, 4, 0, 10, 3, 3, 30, 0 };       /* MSS 10, wscale 30 */
    tcp_in(s, T0, 3001, 80, 9, 0, TS_TCP_SYN, 65535, opt, 8, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.mss, 1460);                           /* ours: MTU - 40 */
    assert_true(g.o.has_wscale);
    tcp_in(s, T0, 3001, 80, 10, g.h.seq + 1, TS_TCP_ACK, 100, NULL, 0, NULL, 0);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    assert_int_equal(in.mss, 48);
    assert_int_equal(in.snd_wscale, 14);                       /* capped */
    assert_int_equal(in.snd_wnd, 100u << 14);
    /* option length 0 and 1 in a SYN: parsed safely, MSS defaults to 536 */
    const uint8_t bad[4] = { 2, 0, 1, 1 };
    tcp_in(s, T0, 3002, 80, 9, 0, TS_TCP_SYN, 65535, bad, 4, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_false(g.o.has_wscale);                              /* the peer did not offer it */
    tcp_in(s, T0, 3002, 80, 10, g.h.seq + 1, TS_TCP_ACK, 100, NULL, 0, NULL, 0);
    struct ts_sock *c2 = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c2);
    ts_tcp_get_info(c2, &in);
    assert_int_equal(in.mss, 536);
    assert_int_equal(in.snd_wscale, 0);
    assert_int_equal(in.rcv_wscale, 0);
    ts_tcp_close(c, T0);
    ts_tcp_close(c2, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* An ICMP Destination Unreachable, code 4 (Packet Too Big) with next-hop mtu, quoting our segment
 * (OUR_IP:80 -> PEER_IP:3000, seq, a datagram of qlen bytes). */
static void icmp_ptb(struct ts_stack *s, ts_time_t now, uint16_t mtu, uint32_t seq, uint16_t qlen)
{
    uint8_t f[128];
    size_t n = put_eth(f, OUR_MAC, 0x0800);
    n += put_ip(f + n, 1, PEER_IP, OUR_IP, 8 + 28, 7, 0);
    uint8_t *m = f + n;
    memset(m, 0, 36);
    m[0] = 3;
    m[1] = 4;
    ts_put16(m + 6, mtu);
    put_ip(m + 8, 6, OUR_IP, PEER_IP, qlen - 20, 1, 0x4000);
    ts_put16(m + 28, 80);
    ts_put16(m + 30, 3000);
    ts_put32(m + 32, seq);
    ts_put16(m + 2, ts_csum(m, 36));
    ts_stack_receive(s, now, f, n + 36);
}

/* Path MTU discovery (RFC 1191) with RFC 5927's checks: a Packet Too Big about a segment in
 * flight lowers the MSS and resends at once; one about another sequence, one claiming less than
 * 576 bytes, or an MTU not below the quoted datagram, changes nothing. */
static void pmtu_packet_too_big(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    uint32_t iss = handshake(s, 3000, 80, 1000);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    static uint8_t data[3000];
    assert_int_equal(ts_tcp_send(c, T0, data, sizeof data), (long)sizeof data);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.dlen, 1460);
    while (tcp_out(s, T0, &g)) {}
    icmp_ptb(s, T0, 1000, iss + 5000, 1500);                   /* not in flight */
    icmp_ptb(s, T0, 300, iss + 1, 1500);                       /* too small */
    icmp_ptb(s, T0, 1500, iss + 1, 1500);                      /* not below the datagram */
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_icmp_ptb_too_small), 1);
    assert_int_equal(ctr(s, TS_CTR_tcp_icmp_ptb_bogus), 1);
    assert_int_equal(ctr(s, TS_CTR_tcp_pmtu_reductions), 0);
    icmp_ptb(s, T0, 1000, iss + 1, 1500);
    assert_int_equal(ctr(s, TS_CTR_tcp_pmtu_reductions), 1);
    assert_true(tcp_out(s, T0, &g));                           /* SND.UNA again, smaller */
    assert_int_equal(g.h.seq, iss + 1);
    assert_int_equal(g.dlen, 960);
    icmp_ptb(s, T0, 0, iss + 1, 1000);                         /* no MTU: plateau 508 < 576 */
    assert_int_equal(ctr(s, TS_CTR_tcp_icmp_ptb_too_small), 2);
    assert_int_equal(ctr(s, TS_CTR_tcp_pmtu_reductions), 1);
    ts_tcp_abort(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

static void zero_window_persist(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    tcp_in(s, T0, 3000, 80, 1000, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    iss = g.h.seq;
    tcp_in(s, T0, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 0, NULL, 0, NULL, 0);   /* window 0 */
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(ts_tcp_send(c, T0, "hello", 5), 5);
    assert_false(tcp_out(s, T0, &g));                           /* nothing fits */
    ts_time_t t = ts_stack_poll_at(s);
    assert_true(t > T0 && t < T0 + TS_SEC(2));
    ts_stack_poll(s, t);
    assert_true(tcp_out(s, t, &g));                             /* a probe */
    assert_int_equal(g.h.seq, iss);                             /* SND.UNA - 1 */
    assert_int_equal(g.dlen, 0);
    ts_time_t t2 = ts_stack_poll_at(s);
    assert_true(t2 - t > t - T0);                               /* backed off */
    /* window opens: the data goes */
    tcp_in(s, t2, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 1000, NULL, 0, NULL, 0);
    assert_true(tcp_out(s, t2, &g));
    assert_int_equal(g.dlen, 5);
    assert_memory_equal(g.data, "hello", 5);
    ts_tcp_abort(c, t2);
    ts_tcp_close(l, t2);
    ts_stack_free(s);
}

/* An active open to a pair already in use is refused; the same local port to another peer port
 * is a new pair and is allowed. */
static void connect_pair_in_use(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *a, *b, *c;
    assert_int_equal(ts_tcp_connect(s, T0, 0, 5555, PEER_IP, 80, NULL, NULL, &a), 0);
    assert_int_equal(ts_tcp_connect(s, T0, 0, 5555, PEER_IP, 80, NULL, NULL, &b), -TS_EADDRINUSE);
    assert_int_equal(ts_tcp_connect(s, T0, 0, 5555, PEER_IP, 81, NULL, NULL, &c), 0);
    ts_stack_free(s);
}

static void retransmit_then_give_up(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *c;
    struct tseg g;
    assert_int_equal(ts_tcp_connect(s, T0, 0, 5555, PEER_IP, 80, NULL, NULL, &c), 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_SYN);
    uint32_t iss = g.h.seq;
    ts_time_t now = T0, prev_gap = 0;
    int syns = 1;
    for (int i = 0; i < 20 && ts_tcp_get_state(c) != TS_TCP_CLOSED; i++) {
        ts_time_t t = ts_stack_poll_at(s);
        assert_true(t != TS_TIME_NEVER);
        assert_true(t - now >= prev_gap);                       /* exponential back-off */
        prev_gap = t - now;
        now = t;
        ts_stack_poll(s, now);
        while (tcp_out(s, now, &g)) { assert_int_equal(g.h.seq, iss); syns++; }
    }
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(c), TS_ETIMEDOUT);
    assert_int_equal(syns, 8);                                  /* 1 + 7 retries: R2 >= 3 min */
    ts_tcp_close(c, now);
    ts_stack_free(s);
}

/* More holes than the reassembly keeps: the farthest range is forgotten, and in-order data is
 * always taken. */
static void many_holes_in_order_still_taken(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    struct ts_sock *c = established(s, &l, 1000, &iss);
    char d[10];
    memset(d, 'x', sizeof d);
    for (uint32_t i = 1; i <= TS_REASS_MAX + 24; i++) {        /* more islands than kept, 10 bytes each */
        tcp_in(s, T0, 3000, 80, 1001 + 20 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 10);
        assert_true(tcp_out(s, T0, &g));
        assert_int_equal(g.h.ack, 1001);                       /* duplicate ACK each time */
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_reass_full), 24);   /* the farthest refused */
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    assert_int_equal(in.ooo_bytes, 10 * TS_REASS_MAX);
    /* a nearer island: the farthest range is forgotten to keep it */
    tcp_in(s, T0, 3000, 80, 1006, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 5);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_reass_pruned), 1);
    ts_tcp_get_info(c, &in);
    assert_int_equal(in.ooo_bytes, 10 * (TS_REASS_MAX - 1) + 5);
    /* in order, with every range slot used: taken, and joins the island after it */
    tcp_in(s, T0, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 5);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1001 + 10);
    tcp_in(s, T0, 3000, 80, 1011, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 10);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1001 + 30);                      /* 10 + 10 + the island at 20 */
    assert_int_equal(ts_tcp_recv_avail(c), 30);
    ts_tcp_abort(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* SACK (RFC 2018): offered in the SYN,ACK when the peer offers it; out-of-order data is reported
 * in SACK blocks, the latest first. */
static void sack_blocks_reported(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct ts_sock *c = established_sack(s, l, &g, &iss);
    assert_true(g.o.sack_ok);
    char d[100];
    memset(d, 'y', sizeof d);
    tcp_in(s, T0, 3000, 80, 1201, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.nsack, 1);
    assert_int_equal(g.o.sack[0][0], 1201);
    assert_int_equal(g.o.sack[0][1], 1301);
    tcp_in(s, T0, 3000, 80, 1401, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.nsack, 2);
    assert_int_equal(g.o.sack[0][0], 1401);                    /* the latest first */
    assert_int_equal(g.o.sack[1][0], 1201);
    tcp_in(s, T0, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1101);
    assert_int_equal(g.o.nsack, 2);
    ts_tcp_abort(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* ACK frequency (tcp_ack_merge.c): of the ACKs for a batch of segments taken before the driver
 * sends anything, a pure ACK that the ACK two after it says all of is withdrawn (the last two
 * always go); one carrying a D-SACK stays, and so does the first ACK of each new range; in-order
 * ACKs merge the same way, with SACK or without; every duplicate ACK goes (the peer counts them). */
static void acks_merged_in_a_batch(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct ts_sock *c = established_sack(s, l, &g, &iss);
    char d[200];
    memset(d, 'y', sizeof d);
    for (uint32_t i = 0; i < 4; i++)                           /* one island growing: the last two ACKs */
        tcp_in(s, T0, 3000, 80, 1201 + 100 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.ack, 1001);
    assert_int_equal(g.o.nsack, 1);
    assert_int_equal(g.o.sack[0][0], 1201);
    assert_int_equal(g.o.sack[0][1], 1501);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][1], 1601);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), 2);
    /* a new island, a duplicate (D-SACK), the island growing twice: the D-SACK is said once */
    tcp_in(s, T0, 3000, 80, 1801, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 1201, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 1901, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 2001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.nsack, 3);
    assert_int_equal(g.o.sack[0][0], 1201);                    /* the D-SACK */
    assert_int_equal(g.o.sack[0][1], 1301);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][0], 1801);
    assert_int_equal(g.o.sack[0][1], 2001);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][1], 2101);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), 3);
    /* two new islands: the first one's ACK stays */
    tcp_in(s, T0, 3000, 80, 2201, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 2401, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 2501, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][0], 2201);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][0], 2401);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.o.sack[0][1], 2601);
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), 3);
    /* in order (the holes filled, then more): RFC 5681's ACK of every second segment; of a batch
     * of them only the last two go (each later one acknowledges more, and they leave together) */
    tcp_in(s, T0, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 200);
    tcp_in(s, T0, 3000, 80, 1601, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 200);
    tcp_in(s, T0, 3000, 80, 2101, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    tcp_in(s, T0, 3000, 80, 2301, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    while (tcp_out(s, T0, &g)) {}
    assert_int_equal(g.h.ack, 2601);
    uint64_t merged = ctr(s, TS_CTR_tcp_acks_merged);
    for (uint32_t i = 0; i < 6; i++)
        tcp_in(s, T0, 3000, 80, 2601 + 100 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    for (uint32_t i = 1; i < 3; i++) {
        assert_true(tcp_out(s, T0, &g));
        assert_int_equal(g.h.ack, 2801 + 200 * i);
        assert_int_equal(g.o.nsack, 0);
    }
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), merged + 1);
    merged++;
    /* one segment at a time (the driver sends after each): every ACK goes */
    for (uint32_t i = 0; i < 4; i++) {
        tcp_in(s, T0, 3000, 80, 3201 + 100 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
        if (i % 2) {
            assert_true(tcp_out(s, T0, &g));
            assert_int_equal(g.h.ack, 3301 + 100 * i);
        }
        assert_false(tcp_out(s, T0, &g));
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), merged);
    ts_tcp_abort(c, T0);
    (void)tcp_out(s, T0, &g);
    /* without SACK: in-order ACKs of a batch merge as with it; each duplicate ACK goes */
    iss = handshake(s, 3001, 80, 5000);
    c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    for (uint32_t i = 0; i < 8; i++)
        tcp_in(s, T0, 3001, 80, 5001 + 25 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 25);
    for (uint32_t i = 0; i < 2; i++) {
        assert_true(tcp_out(s, T0, &g));
        assert_int_equal(g.h.ack, 5151 + 50 * i);
    }
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), merged + 2);
    merged += 2;
    for (uint32_t i = 0; i < 3; i++)
        tcp_in(s, T0, 3001, 80, 5401 + 100 * i, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, 100);
    for (int i = 0; i < 3; i++) {
        assert_true(tcp_out(s, T0, &g));
        assert_int_equal(g.h.ack, 5201);
    }
    assert_false(tcp_out(s, T0, &g));
    assert_int_equal(ctr(s, TS_CTR_tcp_acks_merged), merged);
    ts_tcp_abort(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* RFC 2018 §4 on random arrivals (a fixed seed), beside a model: the blocks are the held ranges
 * in the order of their latest arrival, newest first (so the first holds the segment that asked
 * for the ACK). Checks the recency bookkeeping of tcp_sack_rcv.c, its quick path included. 30
 * slots of 100 bytes: at most 15 ranges, within the 16 entries it keeps. */
enum { SLOT = 100, SLOTS = 30, SEQ_SPAN = 4000 * SLOT };
static bool held_at(const bool *got, uint32_t ack, uint32_t seq)
{
    return SEQ_GEQ(seq, ack) && seq - 1001 < SEQ_SPAN && got[(seq - 1001) / SLOT];
}

static void sack_order_random(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    const uint8_t opt[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };   /* MSS, sackOK */
    tcp_in(s, T0, 3000, 80, 1000, 0, TS_TCP_SYN, 65535, opt, 8, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    uint32_t iss = g.h.seq;
    tcp_in(s, T0, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    char d[SLOT];
    memset(d, 'z', sizeof d);
    bool *got = calloc(SEQ_SPAN / SLOT, 1);
    uint32_t *hist = calloc(4000, sizeof *hist);
    assert_non_null(got);
    assert_non_null(hist);
    uint32_t x = 12345, ack = 1001, nhist = 0, checked = 0;
    for (int i = 0; i < 4000 && ack + SLOTS * SLOT - 1001 < SEQ_SPAN; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t seq = ack + ((x >> 8) % SLOTS) * SLOT;
        bool dup = got[(seq - 1001) / SLOT];
        tcp_in(s, T0, 3000, 80, seq, iss + 1, TS_TCP_ACK, 65535, NULL, 0, d, SLOT);
        got[(seq - 1001) / SLOT] = true;
        if (seq != ack) hist[nhist++] = seq;
        if (!tcp_out(s, T0, &g)) continue;                      /* in order, no hole: ACK delayed */
        while (tcp_out(s, T0, &(struct tseg){ 0 })) {}
        ack = g.h.ack;
        char sink[4096];
        while (ts_tcp_recv(c, T0, sink, sizeof sink) > 0) {}
        if (dup) continue;                                      /* a D-SACK leads: not modelled */
        uint32_t want[TS_TCP_SACK_MAX][2];
        unsigned nw = 0;
        for (uint32_t h = nhist; h-- > 0 && nw < g.o.nsack;) {
            if (!held_at(got, ack, hist[h])) continue;
            uint32_t lo = hist[h], hi = hist[h] + SLOT;
            while (held_at(got, ack, lo - SLOT)) lo -= SLOT;
            while (held_at(got, ack, hi)) hi += SLOT;
            bool seen = false;
            for (unsigned k = 0; k < nw; k++) seen |= want[k][0] == lo;
            if (!seen) { want[nw][0] = lo; want[nw][1] = hi; nw++; }
        }
        assert_int_equal(g.o.nsack, nw);
        for (unsigned k = 0; k < nw; k++) {
            assert_int_equal(g.o.sack[k][0], want[k][0]);
            assert_int_equal(g.o.sack[k][1], want[k][1]);
        }
        checked += nw;
    }
    assert_true(checked > 1000);
    free(got);
    free(hist);
    ts_tcp_abort(c, T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* A short hole at SND.UNA with SACKed data after it: the timeout resends the hole (never held back
 * by Nagle), and a SACK block claiming SND.UNA itself is not believed. */
static void rto_resends_short_hole(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *l;
    struct tseg g;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    const uint8_t opt[8] = { 2, 4, 0x03, 0xe8, 1, 1, 4, 2 };   /* MSS 1000, sackOK */
    tcp_in(s, T0, 3000, 80, 1000, 0, TS_TCP_SYN, 65535, opt, 8, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    uint32_t iss = g.h.seq;
    tcp_in(s, T0 + TS_MS(10), 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    static uint8_t d[3500];
    memset(d, 'z', sizeof d);
    ts_time_t now = T0 + TS_MS(20);
    assert_int_equal(ts_tcp_send(c, now, d, 500), 500);          /* alone: nothing in flight */
    assert_true(tcp_out(s, now, &g));
    assert_int_equal(g.dlen, 500);
    assert_int_equal(ts_tcp_send(c, now, d, 3000), 3000);
    int segs = 0;
    while (tcp_out(s, now, &g)) segs++;
    assert_int_equal(segs, 3);
    /* the 500 are lost; the rest is SACKed; one block lies about SND.UNA */
    uint8_t sack[20] = { 1, 1, 5, 18 };
    uint32_t bl[4] = { iss + 501, iss + 3501, iss + 1, iss + 300 };
    for (int i = 0; i < 4; i++) { sack[4 + 4 * i] = (uint8_t)(bl[i] >> 24); sack[5 + 4 * i] = (uint8_t)(bl[i] >> 16);
                                  sack[6 + 4 * i] = (uint8_t)(bl[i] >> 8); sack[7 + 4 * i] = (uint8_t)bl[i]; }
    tcp_in(s, now, 3000, 80, 1001, iss + 1, TS_TCP_ACK, 65535, sack, 20, NULL, 0);
    while (tcp_out(s, now, &g)) {}
    for (int round = 0; round < 3; round++) {
        ts_time_t t = ts_stack_poll_at(s);
        assert_true(t != TS_TIME_NEVER);                        /* a timer always runs */
        now = t;
        ts_stack_poll(s, now);
        bool hole = false;
        while (tcp_out(s, now, &g)) if (g.h.seq == iss + 1 && g.dlen == 500) hole = true;
        if (hole) break;
        assert_true(round < 2);
    }
    tcp_in(s, now, 3000, 80, 1001, iss + 3501, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
    assert_int_equal(ts_tcp_send_queued(c), 0);
    ts_tcp_abort(c, now);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rst_for_closed_port),
        cmocka_unit_test(syn_fin_and_land_dropped),
        cmocka_unit_test(syn_flood_gets_cookies_and_real_client_gets_in),
        cmocka_unit_test(accept_queue_bounded),
        cmocka_unit_test(rfc5961_rst_and_syn),
        cmocka_unit_test(mss_floor_and_malformed_options),
        cmocka_unit_test(zero_window_persist),
        cmocka_unit_test(pmtu_packet_too_big),
        cmocka_unit_test(retransmit_then_give_up),
        cmocka_unit_test(connect_pair_in_use),
        cmocka_unit_test(many_holes_in_order_still_taken),
        cmocka_unit_test(sack_blocks_reported),
        cmocka_unit_test(acks_merged_in_a_batch),
        cmocka_unit_test(sack_order_random),
        cmocka_unit_test(rto_resends_short_hole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
