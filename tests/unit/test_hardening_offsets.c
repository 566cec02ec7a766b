/*
 * Hardening, root cause 3: attacker-supplied offsets used as indexes (URGENT/11's urgent pointer,
 * Ripple20's fragment handling, SACK edges in several stacks).
 *
 * The urgent pointer 0 and 0xFFFF with URG set, with and without data; SACK blocks with wild
 * edges; TCP data placed at the very edge of and far beyond the receive window; ICMP errors
 * quoting a sequence number we never sent; IPv4 fragments that overlap, that end past 65535, and
 * 10,000 of them leaving holes. Each time: the counter named for the reason moves (or the RFC
 * answer comes out), the reassembly memory stays under its cap, and legitimate traffic flows.
 */
#include <stdlib.h>
#include "lib/harden.h"
#include "lib/udp_frames.h"

#define T0 H_T0

static struct ts_tcp_info info(const struct ts_sock *c)
{
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    return in;
}

/* Urgent pointer 0 and 0xFFFF, URG set, with and without data, and a pointer without URG: the
 * pointer is never used as an index (RFC 6093: urgent data is ordinary data); every byte is
 * delivered once, in order, and the connection stays up. */
static void urgent_pointer_ignored(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(21);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    /* a SYN with URG and a wild pointer is still a SYN */
    struct h_conn k = h_open(s, T0, l, PEER_IP, 5000, 1000);
    static const struct { uint8_t flags; uint16_t urg; size_t len; } cases[] = {
        { FRM_ACK | FRM_URG, 0, 0 }, { FRM_ACK | FRM_URG, 0xffff, 0 }, { FRM_ACK | FRM_URG, 0, 10 },
        { FRM_ACK | FRM_URG, 0xffff, 10 }, { FRM_ACK | FRM_URG | FRM_PSH, 1, 1 },
        { FRM_ACK | FRM_URG, 0xffff, 1400 }, { FRM_ACK, 0xffff, 7 }, { FRM_ACK | FRM_URG, 0x8000, 3 },
    };
    uint8_t data[1400], got[4096];
    size_t total = 0;
    uint64_t drops = h_drops_total(s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t j = 0; j < cases[i].len; j++) data[j] = (uint8_t)(i * 40 + j);
        h_send(s, T0, &k, k.peer_nxt, cases[i].flags, cases[i].urg, data, cases[i].len);
        k.peer_nxt += (uint32_t)cases[i].len;
        total += cases[i].len;
        assert_int_equal(ts_tcp_recv_avail(k.c), cases[i].len);
        if (cases[i].len) {
            assert_int_equal(ts_tcp_recv(k.c, T0, got, sizeof got), (long)cases[i].len);
            assert_memory_equal(got, data, cases[i].len);
        }
        assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    }
    assert_int_equal(h_drops_total(s), drops);              /* nothing was refused */
    assert_int_equal(info(k.c).rcv_nxt, k.peer_nxt);
    assert_int_equal(total, 1431);
    /* the listener also takes a SYN carrying URG with pointer 0xFFFF */
    struct frm_tcp syn = { .seq = 77, .flags = FRM_SYN | FRM_URG, .win = 1000, .urg = 0xffff };
    h_tcp_from(s, T0, PEER_IP, 5001, 80, &syn);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    bool synack = false;
    while (h_next_tcp(s, T0, buf, sizeof buf, &p))
        if (p.dport == 5001 && p.tcp.flags == (FRM_SYN | FRM_ACK) && p.tcp.ack == 78) synack = true;
    assert_true(synack);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* SACK blocks (kind 5) with edges anywhere in sequence space, and overrunning SACK lengths, on a
 * connection that did not negotiate SACK: they are not used; the ACK itself is taken. */
static void sack_edges_ignored(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(22);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 5000, 1000);
    static const uint8_t data[3000] = { 1 };
    assert_int_equal(ts_tcp_send(k.c, T0, data, sizeof data), (long)sizeof data);
    drain(s, T0);
    struct ts_tcp_info before = info(k.c);
    assert_true(before.snd_nxt - before.snd_una >= 1000);
    static const uint8_t sacks[][20] = {
        { 1, 1, 5, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 },            /* left edge 2^32-1, right 0 */
        { 1, 1, 5, 10, 0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff },         /* right before left */
        { 1, 1, 5, 18, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 1, 1, 5, 250, 0, 0, 0, 0 },                                   /* length past the header */
        { 1, 1, 5, 3, 0, 0, 0, 0 },                                     /* length not 2 + 8n */
    };
    static const uint8_t lens[] = { 12, 12, 20, 8, 8 };
    for (size_t i = 0; i < sizeof lens; i++) {
        struct frm_tcp a = { .seq = k.peer_nxt, .ack = k.our_nxt + 1000, .flags = FRM_ACK, .win = 65535 };
        if (i == 0) a.ack = k.our_nxt;
        frm_opt_raw(&a, sacks[i], lens[i]);
        h_tcp_from(s, T0, k.src_ip, k.sport, k.dport, &a);
        assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
        drain(s, T0);
    }
    assert_int_equal(info(k.c).snd_una, k.our_nxt + 1000);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* SACK negotiated (RFC 2018), then a peer that lies: while data is outstanding it sends duplicate
 * ACKs whose SACK blocks have edges anywhere (2^31 away, reversed, past SND.MAX, one claiming
 * everything outstanding), then turns honest, holding only what arrives in order. The scoreboard
 * clips every edge to SND.UNA..SND.MAX, the transfer still completes byte-exact (what was falsely
 * SACKed is resent after the timeouts: reneging), and the connection stays up throughout. */
static void sack_wild_edges_negotiated(void **st)
{
    (void)st;
    /* Found by this test: before c1ff0dd the first RTO's go-back-N skipped every "SACKed" byte,
     * sent nothing and left no timer running: the connection hung forever (to-tcp.md). */
    struct ts_stack *s = h_stack(28);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    struct frm_tcp syn = { .seq = 1000, .flags = FRM_SYN, .win = 65535 };
    frm_opt_mss(&syn, 1000);
    frm_opt_sackok(&syn);
    h_tcp_from(s, T0, PEER_IP, 5100, 80, &syn);
    assert_true(h_next_tcp(s, T0, buf, sizeof buf, &p));
    struct frm_tcp_opts so;
    frm_tcp_opts_parse(p.tcp.opt, p.tcp.opt_len, &so);
    assert_true(so.has_sackok);
    uint32_t iss = p.tcp.seq;
    struct frm_tcp a = { .seq = 1001, .ack = iss + 1, .flags = FRM_ACK, .win = 65535 };
    h_tcp_from(s, T0, PEER_IP, 5100, 80, &a);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    static uint8_t data[20000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 29 + 3);
    assert_int_equal(ts_tcp_send(c, T0, data, sizeof data), (long)sizeof data);
    drain(s, T0);                                            /* the first flight is "lost" */
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    uint32_t una = in.snd_una, max = in.snd_max;
    assert_true(max - una >= 2000);
    const uint32_t edges[][2] = {
        { una + 1000, max }, { max, una }, { una - 0x80000000u, una + 0x7fffffffu }, { max + 1, max + 100000 },
        { 0xffffffffu, 0 }, { una - 5000, una + 1000 }, { una + 1500, una + 1400 }, { una, una },
        { una + 0x80000000u, una + 0x80001000u }, { 0, 0xffffffffu },
    };
    ts_time_t now = T0 + TS_MS(1);
    for (unsigned rep = 0; rep < 30; rep++) {
        for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i += 2) {
            struct frm_tcp d = { .seq = 1001, .ack = una, .flags = FRM_ACK, .win = 65535 };
            uint8_t o[2 + 16 + 2] = { 1, 1, 5, 18 };
            for (int j = 0; j < 2; j++) {
                ts_put32(o + 4 + 8 * j, edges[i + (size_t)j][0]);
                ts_put32(o + 8 + 8 * j, edges[i + (size_t)j][1]);
            }
            frm_opt_raw(&d, o, sizeof o);
            h_tcp_from(s, now, PEER_IP, 5100, 80, &d);
            drain(s, now);                                   /* retransmissions: "lost" too */
            assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
        }
    }
    /* honest from now on: keep only in-order bytes, ACK them, let the timers run */
    size_t got = 0;
    for (int round = 0; round < 20000 && got < sizeof data; round++) {
        while (h_next_tcp(s, now, buf, sizeof buf, &p)) {
            if (p.tcp.data_len && p.tcp.seq == una + got) {
                assert_memory_equal(p.tcp.data, data + got, p.tcp.data_len);
                got += p.tcp.data_len;
            }
            struct frm_tcp d = { .seq = 1001, .ack = una + (uint32_t)got, .flags = FRM_ACK, .win = 65535 };
            h_tcp_from(s, now, PEER_IP, 5100, 80, &d);
        }
        ts_time_t next = ts_stack_poll_at(s);
        now = next != TS_TIME_NEVER && next > now ? next : now + TS_MS(10);
        ts_stack_poll(s, now);
    }
    assert_int_equal(got, sizeof data);
    ts_tcp_get_info(c, &in);
    assert_int_equal(in.snd_una, una + sizeof data);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_ESTABLISHED);
    ts_tcp_abort(c, now);
    h_legit_exchange(s, now, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* Data whose sequence number puts it at the edge of the receive window, across it, and 2^31
 * past it: only what fits the window (the buffer space, which may exceed what the window field
 * offered: tcp_input.c, rcv_wnd) is taken (never written past the ring), the rest is
 * answered with an ACK and counted as out of window. */
static void tcp_offsets_at_and_past_window(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(23);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 5000, 1000);
    /* RCV.WND: the buffer space free (nothing is queued), never less than the window offered */
    size_t rcvbuf = 0;
    ts_tcp_get_buffers(k.c, NULL, &rcvbuf);
    uint32_t wnd = info(k.c).rcv_wnd;
    if (rcvbuf > wnd) wnd = (uint32_t)rcvbuf;
    assert_true(wnd > 2000);
    static uint8_t data[1400];
    memset(data, 0x5a, sizeof data);
    static const uint32_t far[] = { 0x80000000u, 0x7fffffffu, 0xfffff000u, 65536u * 64 };
    uint32_t ack = 0;
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        uint64_t oow = ctr(s, TS_CTR_tcp_drop_out_of_window);
        h_send(s, T0, &k, k.peer_nxt + far[i], FRM_ACK, 0, data, sizeof data);
        assert_int_equal(ctr(s, TS_CTR_tcp_drop_out_of_window), oow + 1);
        assert_true(h_last_ack(s, T0, &k, &ack));
        assert_int_equal(ack, k.peer_nxt);                   /* RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT> */
    }
    /* 1400 bytes starting 100 bytes before the right edge: 100 kept out of order, the rest cut */
    h_send(s, T0, &k, k.peer_nxt + wnd - 100, FRM_ACK, 0, data, sizeof data);
    assert_int_equal(info(k.c).ooo_bytes, 100);
    assert_true(h_last_ack(s, T0, &k, &ack));
    assert_int_equal(ack, k.peer_nxt);
    /* the last byte of the window alone, and the first byte past it */
    h_send(s, T0, &k, k.peer_nxt + wnd - 1, FRM_ACK, 0, data, 1);
    assert_int_equal(info(k.c).ooo_bytes, 100);              /* already held */
    uint64_t oow = ctr(s, TS_CTR_tcp_drop_out_of_window);
    h_send(s, T0, &k, k.peer_nxt + wnd, FRM_ACK, 0, data, 1);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_out_of_window), oow + 1);
    drain(s, T0);
    assert_int_equal(info(k.c).rcv_queued, 0);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* ICMP errors quoting one of our connections with a sequence number outside SND.UNA..SND.MAX
 * (RFC 5927 §4.1, blind ICMP attacks) are ignored; one quoting the real one ends the SYN_SENT. */
static void icmp_quoted_sequence_checked(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(24);
    struct ts_sock *c;
    assert_int_equal(ts_tcp_connect(s, T0, 0, 0, PEER_IP, 9, NULL, NULL, &c), 0);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    assert_true(h_next_tcp(s, T0, buf, sizeof buf, &p));
    assert_int_equal(p.tcp.flags, FRM_SYN);
    uint8_t quote[28];
    memcpy(quote, buf + 14, 28);                             /* our IPv4 header + 8 bytes of TCP */
    uint32_t iss = p.tcp.seq;
    static const uint32_t wrong[] = { 1, 0x80000000u, 0xffffffffu, 12345 };
    for (size_t i = 0; i <= sizeof wrong / sizeof wrong[0]; i++) {
        uint32_t seq = i < sizeof wrong / sizeof wrong[0] ? iss + wrong[i] : iss;
        ts_put32(quote + 24, seq);
        uint8_t f[128];
        size_t o = put_eth(f, OUR_MAC, 0x0800);
        o += put_ip(f + o, 1, PEER_IP, OUR_IP, 8 + 28, 3, 0);
        uint8_t *m = f + o;
        memset(m, 0, 8);
        m[0] = 3; m[1] = 3;
        memcpy(m + 8, quote, 28);
        ts_put16(m + 2, ts_csum(m, 36));
        ts_stack_receive(s, T0, f, o + 36);
        if (seq != iss) {
            assert_int_equal(ctr(s, TS_CTR_tcp_icmp_errors), 0);
            assert_int_equal(ts_tcp_get_state(c), TS_TCP_SYN_SENT);
        }
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_icmp_errors), 1);
    assert_int_equal(ts_tcp_get_state(c), TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(c), TS_ECONNREFUSED);
    ts_tcp_close(c, T0);
    assert_true(h_ping_answered(s, T0, 3));
    ts_stack_free(s);
}

/* ---- IPv4 fragments ---- */

struct fx {
    struct ts_stack *s;
    struct ts_sock *u;
    uint8_t dgram[65536];
    size_t dlen;
    uint8_t got[65536];
};

static struct fx *fx_new(uint64_t seed)
{
    struct fx *x = calloc(1, sizeof *x);
    x->s = h_stack(seed);
    assert_int_equal(ts_udp_open(x->s, 0, 6000, NULL, NULL, &x->u), 0);
    x->dlen = put_udp(x->dgram, PEER_IP, 4000, OUR_IP, 6000, 2000, CSUM_GOOD, 0);
    return x;
}

static void fx_free(struct fx *x)
{
    ts_udp_close(x->u);
    ts_stack_free(x->s);
    free(x);
}

static void frag(struct fx *x, ts_time_t now, uint16_t id, size_t off, size_t n, int mf)
{
    uint8_t f[2048];
    size_t len = build_frag(f, 17, id, x->dgram, off, n, mf);
    ts_stack_receive(x->s, now, f, len);
}

/* Legitimate fragmented traffic still flows: the 2008-byte datagram in three fragments is
 * delivered whole; a fragmented 3000-byte ping is answered; the reassembly holds no more than
 * before (what an attacker left may stay until it times out, under the caps). */
static void frags_still_work(struct fx *x, ts_time_t now, uint16_t id)
{
    unsigned dg0 = ts_frag_in_progress(x->s);
    size_t mem0 = ts_frag_mem_used(x->s);
    frag(x, now, id, 1480, 528, 0);
    frag(x, now, id, 0, 744, 1);
    frag(x, now, id, 744, 736, 1);
    assert_int_equal(ts_udp_recvfrom(x->u, x->got, sizeof x->got, NULL, NULL), 2000);
    assert_memory_equal(x->got, x->dgram + 8, 2000);
    assert_true(ts_frag_in_progress(x->s) <= dg0);
    assert_true(ts_frag_mem_used(x->s) <= mem0);
    static uint8_t icmp[3008];
    memset(icmp, 0, sizeof icmp);
    icmp[0] = 8;
    ts_put16(icmp + 4, 0x4444);
    for (size_t i = 8; i < sizeof icmp; i++) icmp[i] = (uint8_t)i;
    ts_put16(icmp + 2, ts_csum(icmp, sizeof icmp));
    uint64_t replies = ctr(x->s, TS_CTR_icmp_tx_echo_replies);
    for (size_t off = 0; off < sizeof icmp; off += 1480) {
        uint8_t f[2048];
        size_t n = sizeof icmp - off < 1480 ? sizeof icmp - off : 1480;
        size_t len = build_frag(f, 1, (uint16_t)(id + 1), icmp, off, n, off + n < sizeof icmp);
        ts_stack_receive(x->s, now, f, len);
    }
    assert_int_equal(ctr(x->s, TS_CTR_icmp_tx_echo_replies), replies + 1);
    assert_true(drain(x->s, now) >= 3);                      /* the reply, in fragments */
    assert_true(h_ping_answered(x->s, now, 1));
}

/* Overlaps: the second fragment inside the first (teardrop), straddling its end, the same offset
 * with other data, a last fragment ending inside what is held. Each drops the whole datagram,
 * counted once; nothing of it is delivered; memory goes back to zero. An exact duplicate is
 * only ignored. */
static void overlapping_fragments(void **st)
{
    (void)st;
    struct fx *x = fx_new(25);
    static const struct { size_t off2, n2; int mf2; enum ts_counter_id id; } cases[] = {
        { 8, 16, 1, TS_CTR_ipv4_frag_drop_overlap },         /* inside [0,800) (teardrop) */
        { 792, 16, 1, TS_CTR_ipv4_frag_drop_overlap },       /* straddles the end */
        { 0, 800, 1, TS_CTR_ipv4_frag_drop_overlap },        /* same range, other bytes (below) */
        { 400, 8, 0, TS_CTR_ipv4_frag_drop_inconsistent },   /* a last fragment ending inside */
        { 0, 8, 1, TS_CTR_ipv4_frag_drop_overlap },          /* at offset 0, shorter */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t id = (uint16_t)(100 + i);
        ts_time_t now = T0 + TS_SEC(40) * i;
        frag(x, now, id, 0, 800, 1);
        assert_int_equal(ts_frag_in_progress(x->s), 1);
        assert_true(ts_frag_mem_used(x->s) > 800);
        uint64_t before = ctr(x->s, cases[i].id);
        if (i == 2) x->dgram[100] ^= 0xff;
        frag(x, now, id, cases[i].off2, cases[i].n2, cases[i].mf2);
        if (i == 2) x->dgram[100] ^= 0xff;
        assert_int_equal(ctr(x->s, cases[i].id), before + 1);
        assert_int_equal(ts_frag_in_progress(x->s), 0);
        assert_int_equal(ts_frag_mem_used(x->s), 0);
        frag(x, now, id, 800, x->dlen - 800, 0);             /* the rest alone is not a datagram */
        assert_int_equal(ts_udp_recvfrom(x->u, x->got, sizeof x->got, NULL, NULL), -TS_EAGAIN);
        ts_stack_poll(x->s, now + TS_SEC(31));               /* let that one time out */
    }
    uint64_t dup = ctr(x->s, TS_CTR_ipv4_frag_duplicate);
    ts_time_t now = T0 + TS_SEC(400);
    frag(x, now, 7, 0, 800, 1);
    frag(x, now, 7, 0, 800, 1);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_duplicate), dup + 1);
    frag(x, now, 7, 800, x->dlen - 800, 0);
    assert_int_equal(ts_udp_recvfrom(x->u, x->got, sizeof x->got, NULL, NULL), 2000);
    frags_still_work(x, now, 8);
    fx_free(x);
}

/* A fragment whose offset + length passes 65535 (ping of death): dropped, and the datagram it
 * belonged to with it; never reassembled into an oversized buffer. */
static void fragment_past_65535(void **st)
{
    (void)st;
    struct fx *x = fx_new(26);
    static const struct { uint16_t off8; size_t n; int mf; } cases[] = {
        { 8189, 40, 0 }, { 8191, 8, 1 }, { 8191, 1, 0 }, { 8187, 56, 0 }, { 8100, 1480, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t id = (uint16_t)(200 + i);
        frag(x, T0, id, 0, 800, 1);                           /* a real start held first */
        uint8_t f[2048];
        size_t o = put_eth(f, OUR_MAC, 0x0800);
        memset(f + o + 20, 0x41, cases[i].n);
        o += put_ip(f + o, 17, PEER_IP, OUR_IP, cases[i].n, id,
                    (uint16_t)(cases[i].off8 | (cases[i].mf ? 0x2000 : 0)));
        uint64_t before = ctr(x->s, TS_CTR_ipv4_frag_drop_too_big);
        ts_stack_receive(x->s, T0, f, o + cases[i].n);
        assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_too_big), before + 1);
        assert_int_equal(ts_frag_in_progress(x->s), 0);
        assert_int_equal(ts_frag_mem_used(x->s), 0);
    }
    /* the largest legal datagram still reassembles: its last fragment ends exactly at 65535 */
    x->dlen = put_udp(x->dgram, PEER_IP, 4000, OUR_IP, 6000, 65535 - 20 - 8, CSUM_GOOD, 0);
    for (size_t off = 0; off < x->dlen; off += 1480)
        frag(x, T0, 300, off, x->dlen - off < 1480 ? x->dlen - off : 1480, off + 1480 < x->dlen);
    assert_int_equal(ts_udp_recvfrom(x->u, x->got, sizeof x->got, NULL, NULL), 65535 - 28);
    assert_memory_equal(x->got, x->dgram + 8, 65535 - 28);
    x->dlen = put_udp(x->dgram, PEER_IP, 4000, OUR_IP, 6000, 2000, CSUM_GOOD, 0);
    frags_still_work(x, T0, 301);
    fx_free(x);
}

/* 10,000 fragments leaving a hole after each (8 data bytes every 16), then 10,000 one-fragment
 * datagrams with distinct IDs: the pieces per datagram, the datagrams in progress and the bytes
 * held never pass their caps (checked after every fragment), the drops are counted, and a real
 * fragmented datagram is then reassembled. */
static void ten_thousand_holes(void **st)
{
    (void)st;
    struct fx *x = fx_new(27);
    size_t heap0 = heap_now();
    static uint8_t junk[65536];
    memset(junk, 0x33, sizeof junk);
    unsigned max_dg = 0;
    size_t max_mem = 0;
    for (unsigned i = 0; i < 10000; i++) {
        uint16_t id = (uint16_t)(1000 + i / 4096);
        size_t off = (size_t)(i % 4096) * 16;
        uint8_t f[64];
        size_t len = build_frag(f, 17, id, junk, off, 8, 1);
        ts_stack_receive(x->s, T0, f, len);
        if (ts_frag_in_progress(x->s) > max_dg) max_dg = ts_frag_in_progress(x->s);
        if (ts_frag_mem_used(x->s) > max_mem) max_mem = ts_frag_mem_used(x->s);
    }
    /* each datagram is dropped at its (MAX_PIECES+1)th piece; 4096 + 4096 + 1808 fragments */
    unsigned want = 2 * (4096 / (TS_FRAG_MAX_PIECES + 1)) + 1808 / (TS_FRAG_MAX_PIECES + 1);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_too_many), want);
    assert_true(max_mem <= TS_FRAG_MEM_CAP);
    assert_true(max_dg <= 3);
    for (unsigned i = 0; i < 10000; i++) {
        uint8_t f[64];
        size_t len = build_frag(f, 17, (uint16_t)(20000 + i), junk, 8, 8, 1);
        ts_stack_receive(x->s, T0 + i, f, len);
        if (ts_frag_in_progress(x->s) > max_dg) max_dg = ts_frag_in_progress(x->s);
        if (ts_frag_mem_used(x->s) > max_mem) max_mem = ts_frag_mem_used(x->s);
    }
    assert_int_equal(max_dg, TS_FRAG_MAX_DGRAMS);
    assert_true(max_mem <= TS_FRAG_MEM_CAP);
    assert_true(ctr(x->s, TS_CTR_ipv4_frag_drop_table_full) >= 10000 - TS_FRAG_MAX_DGRAMS);
    assert_true(heap_growth(heap0) <= TS_FRAG_MEM_CAP + 65536);
    assert_int_equal(ctr(x->s, TS_CTR_udp_rx_datagrams), 0);
    /* a real datagram gets in even with the table full: the oldest attacker's datagram goes */
    frags_still_work(x, T0 + 20000, 9);
    ts_stack_poll(x->s, T0 + TS_SEC(60));
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    assert_int_equal(ts_frag_mem_used(x->s), 0);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urgent_pointer_ignored),
        cmocka_unit_test(sack_edges_ignored),
        cmocka_unit_test(sack_wild_edges_negotiated),
        cmocka_unit_test(tcp_offsets_at_and_past_window),
        cmocka_unit_test(icmp_quoted_sequence_checked),
        cmocka_unit_test(overlapping_fragments),
        cmocka_unit_test(fragment_past_65535),
        cmocka_unit_test(ten_thousand_holes),
    };
    return cmocka_run_group_tests_name("hardening: attacker-supplied offsets", tests, NULL, NULL);
}
