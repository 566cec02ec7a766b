/* Offloads (stack.h TS_OFFLOAD_*, driver/vnet.h): the virtio-net header both ways; TCP
 * super-segments (TSO) and partial checksums from a stack through a wire that either hands them
 * on whole (as a TAP does to a GSO-capable peer) or splits them at gso_size and finishes the
 * checksums (as the kernel does before a plain device); checksums the wire vouches for are not
 * recomputed; with loss, retransmissions stay MSS-sized; and a stack without offloads (and
 * plain ts_stack_transmit) still gets only plain, valid frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include <linux/virtio_net.h>
#include "tapstack/stack.h"
#include "tapstack/socket.h"
#include "tapstack/stats.h"
#include "driver/vnet.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "lib/frames.h"
#include "lib/twostack.h"

#define IP_A 0x0a000002u
#define IP_B 0x0a000001u
#define XFER (1u << 20)
#define MSS 1448u     /* data per segment: 1460 less the 12-byte timestamp option (RFC 7323) */
#define HDRS 66u      /* Ethernet 14 + IPv4 20 + TCP 20 + timestamp option 12 */

enum wire_mode { PASS_WHOLE, SPLIT };

/* A twostack link like the kernel's (see kernel_link), and what it saw. A is the client. */
struct wire {
    struct twostack t;
    enum wire_mode mode;
    uint64_t gso_frames, big_frames, pieces;
    uint32_t a_seq_max;               /* highest sequence end A sent so far */
    bool a_seq_set;
    uint64_t rexmit_frames, rexmit_too_big;
    uint64_t a_data_frames;           /* frames with data that A sent */
};

static void mk_config(struct ts_config *c, uint32_t ip, uint8_t last, uint64_t seed, unsigned offload)
{
    twostack_config(c, ip, last, seed);
    c->tcp_msl = TS_SEC(1);
    c->offload = offload;
}

static struct ts_stack *mk(uint32_t ip, uint8_t last, uint64_t seed, unsigned offload)
{
    struct ts_config c;
    mk_config(&c, ip, last, seed, offload);
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    return s;
}

static uint64_t ctr(const struct ts_stack *s, enum ts_counter_id id) { return ts_stack_stats(s)->v[id]; }

/* ---- the virtio-net header ---- */

static void test_vnet_header_both_ways(void **state)
{
    (void)state;
    uint8_t frame[14 + 20 + 32 + 100];
    memset(frame, 0, sizeof frame);
    frame[12] = 0x08;
    frame[14] = 0x45;
    frame[14 + 20 + 12] = 8 << 4;     /* TCP data offset: 32 bytes */
    struct ts_frame_info in = { .flags = TS_FRAME_CSUM_PARTIAL | TS_FRAME_GSO_TCP, .gso_size = 1448,
                                .csum_start = 34, .csum_offset = 16 };
    uint8_t hdr[TS_VNET_HLEN];
    ts_vnet_from_info(hdr, &in, frame, sizeof frame);
    struct virtio_net_hdr h;
    memcpy(&h, hdr, sizeof h);
    assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(h.gso_size, 1448);
    assert_int_equal(h.hdr_len, 14 + 20 + 32);
    assert_int_equal(h.csum_start, 34);
    assert_int_equal(h.csum_offset, 16);
    struct ts_frame_info out;
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), 0);
    assert_int_equal(out.flags, in.flags);
    assert_int_equal(out.gso_size, 1448);
    assert_int_equal(out.csum_start, 34);
    assert_int_equal(out.csum_offset, 16);

    /* a plain frame: all zero */
    ts_vnet_from_info(hdr, NULL, frame, sizeof frame);
    for (unsigned i = 0; i < TS_VNET_HLEN; i++) assert_int_equal(hdr[i], 0);
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), 0);
    assert_int_equal(out.flags, 0);

    /* DATA_VALID, ECN on a TSO frame */
    memset(&h, 0, sizeof h);
    h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
    h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
    h.gso_size = 1460;
    memcpy(hdr, &h, sizeof h);
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), 0);
    assert_int_equal(out.flags, TS_FRAME_CSUM_VALID | TS_FRAME_GSO_TCP);

    /* what the core cannot take: UDP or IPv6 GSO, a checksum offset past the frame */
    h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
    memcpy(hdr, &h, sizeof h);
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), -1);
    h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
    memcpy(hdr, &h, sizeof h);
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), -1);
    memset(&h, 0, sizeof h);
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = (uint16_t)(sizeof frame - 10);
    h.csum_offset = 16;
    memcpy(hdr, &h, sizeof h);
    assert_int_equal(ts_vnet_to_info(hdr, frame, sizeof frame, &out), -1);
}

/* ---- a wire like the kernel's ---- */

static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
    size_t ihl = (size_t)(f[14] & 15) * 4, l4 = ts_get16(f + 16) - ihl;
    assert_true(14 + ihl + l4 <= len);
    uint32_t sum = ts_csum_pseudo(ts_get32(f + 26), ts_get32(f + 30), 6, (uint16_t)l4);
    return ts_csum_finish(ts_csum_add(sum, f + 14 + ihl, l4)) == 0;
}

/* Note what A sent: a frame whose data starts below the highest sequence sent is a
 * retransmission, and must be at most an MSS. */
static void watch_a(struct wire *w, const uint8_t *f, size_t len)
{
    if (len < 54 || f[23] != 6) return;
    size_t ihl = (size_t)(f[14] & 15) * 4;
    const uint8_t *t = f + 14 + ihl;
    uint32_t seq = ts_get32(t + 4), dlen = (uint32_t)(ts_get16(f + 16) - ihl - (size_t)(t[12] >> 4) * 4);
    if (dlen == 0) return;
    w->a_data_frames++;
    if (w->a_seq_set && (int32_t)(seq - w->a_seq_max) < 0) {
        w->rexmit_frames++;
        if (dlen > MSS) w->rexmit_too_big++;
    }
    if (!w->a_seq_set || (int32_t)(seq + dlen - w->a_seq_max) > 0) w->a_seq_max = seq + dlen;
    w->a_seq_set = true;
}

/* What the kernel does with a GSO frame before a device without TSO: cut the payload into
 * gso_size pieces, each with the headers (sequence, IP length and ID adjusted; FIN and PSH only on
 * the last) and its own checksums. */
static void split(struct wire *w, struct ts_stack *to, const uint8_t *f, size_t len, const struct ts_frame_info *info)
{
    size_t ihl = (size_t)(f[14] & 15) * 4, thl = (size_t)(f[14 + ihl + 12] >> 4) * 4, hl = 14 + ihl + thl;
    size_t total = 14 + ts_get16(f + 16), data = total - hl;
    static uint8_t p[2048];
    for (size_t off = 0, i = 0; off < data; off += info->gso_size, i++) {
        size_t n = data - off < info->gso_size ? data - off : info->gso_size;
        assert_true(hl + n <= sizeof p);
        memcpy(p, f, hl);
        memcpy(p + hl, f + hl + off, n);
        ts_put16(p + 16, (uint16_t)(ihl + thl + n));
        ts_put16(p + 18, (uint16_t)(ts_get16(f + 18) + i));
        ts_put16(p + 24, 0);
        ts_put16(p + 24, ts_csum(p + 14, ihl));
        uint8_t *t = p + 14 + ihl;
        ts_put32(t + 4, ts_get32(f + 14 + ihl + 4) + (uint32_t)off);
        if (off + n < data) t[13] &= (uint8_t)~0x09;   /* FIN, PSH: the last piece only */
        struct ts_frame_info pi = { .flags = TS_FRAME_CSUM_PARTIAL, .csum_start = info->csum_start,
                                    .csum_offset = info->csum_offset };
        uint32_t sum = ts_csum_pseudo(ts_get32(p + 26), ts_get32(p + 30), 6, (uint16_t)(thl + n));
        ts_put16(t + 16, (uint16_t)~ts_csum_finish(sum));
        ts_frame_finish_csum(p, hl + n, &pi);
        assert_true(tcp_csum_ok(p, hl + n));
        w->pieces++;
        twostack_deliver(&w->t, to, p, hl + n, NULL);
    }
}

/* Every frame checked as the kernel would take it (GSO only in whole MSS pieces, nothing past
 * the MTU without GSO, partial checksums right once completed), then handed on whole or split. */
static void kernel_link(struct twostack *t, struct ts_stack *from, struct ts_stack *to, uint8_t *buf, size_t len,
                        const struct ts_frame_info *info)
{
    struct wire *w = t->link_arg;
    static uint8_t copy[TS_FRAME_MAX_GSO];
    if (from == t->c) watch_a(w, buf, len);
    if (len > 1514) w->big_frames++;
    if (info->flags & TS_FRAME_GSO_TCP) {
        w->gso_frames++;
        assert_true(info->flags & TS_FRAME_CSUM_PARTIAL);
        assert_int_equal(info->gso_size, MSS);
        assert_true(len <= TS_FRAME_MAX_GSO);
        assert_true(len - HDRS > MSS);
        assert_int_equal((len - HDRS) % MSS, 0);   /* whole MSS pieces */
    } else {
        assert_true(len <= 1514);                 /* never beyond the MTU without GSO */
    }
    if (info->flags & TS_FRAME_CSUM_PARTIAL) {
        /* completed as the wire would, the checksum is right */
        memcpy(copy, buf, len);
        ts_frame_finish_csum(copy, len, info);
        assert_true(tcp_csum_ok(copy, len));
    }
    if (w->mode == SPLIT && (info->flags & TS_FRAME_GSO_TCP)) split(w, to, buf, len, info);
    else if (w->mode == SPLIT && info->flags) { ts_frame_finish_csum(buf, len, info); twostack_deliver(t, to, buf, len, NULL); }
    else twostack_deliver(t, to, buf, len, info);
}

/* A (10.0.0.2, seed 1, with a_offload) and B (10.0.0.1, seed 2, no offloads) on the kernel's link. */
static void wire_init(struct wire *w, unsigned a_offload, enum wire_mode mode, unsigned loss)
{
    memset(w, 0, sizeof *w);
    struct ts_config ca, cb;
    mk_config(&ca, IP_A, 2, 1, a_offload);
    mk_config(&cb, IP_B, 1, 2, 0);
    twostack_init_with(&w->t, &ca, &cb, false);
    w->t.link = kernel_link;
    w->t.link_arg = w;
    w->t.loss_pct = loss;
    w->mode = mode;
}

static bool both_eof(void *arg)
{
    struct twostack_end *e = arg;
    return e[0].eof && e[1].eof;
}

/* A sends XFER bytes to B (which sends nothing) through the wire; returns when both saw EOF.
 * gather: A's super-segments carry their payload by reference (ts_stack_set_tx_gather), made
 * whole again by ts_stack_transmit_info on the way out. */
static void transfer_opts(struct wire *w, unsigned a_offload, enum wire_mode mode, unsigned loss, bool gather,
                          size_t sndbuf)
{
    wire_init(w, a_offload, mode, loss);
    ts_stack_set_tx_gather(w->t.c, gather);
    uint8_t *data = malloc(XFER);
    assert_non_null(data);
    for (size_t i = 0; i < XFER; i++) data[i] = (uint8_t)(i * 7 + (i >> 11));
    struct twostack_end e[2] = {
        { .out = data, .out_len = XFER, .in = malloc(16), .in_cap = 16 },
        { .in = malloc(XFER + 1), .in_cap = XFER + 1 },
    };
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(w->t.s, 0, 7000, 4, twostack_end_accept, &e[1], &l), 0);
    assert_int_equal(ts_tcp_connect(w->t.c, w->t.now, 0, 0, IP_B, 7000, twostack_end_event, &e[0], &e[0].sock), 0);
    if (sndbuf) assert_int_equal(ts_tcp_set_buffers(e[0].sock, sndbuf, 0), 0);
    w->t.done = both_eof;
    w->t.done_arg = e;
    twostack_exchange(&w->t, &e[0], &e[1], 50, TS_SEC(600));    /* 50 us link delay */
    w->t.done = NULL;
    assert_true(e[1].eof);
    assert_int_equal(e[1].in_len, XFER);
    assert_memory_equal(e[1].in, data, XFER);
    assert_int_equal(ctr(w->t.s, TS_CTR_tcp_drop_bad_checksum), 0);
    free(data);
    free(e[0].in);
    free(e[1].in);
}

static void transfer(struct wire *w, unsigned a_offload, enum wire_mode mode, unsigned loss)
{
    transfer_opts(w, a_offload, mode, loss, false, 0);
}

/* Super-segments handed on whole, with partial checksums: B takes each as one TCP segment
 * without recomputing its checksum. */
static void test_tso_whole_to_receiver(void **state)
{
    (void)state;
    struct wire w;
    transfer(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, PASS_WHOLE, 0);
    assert_true(w.gso_frames > 10);
    assert_true(ctr(w.t.c, TS_CTR_eth_tx_gso) == w.gso_frames);
    assert_true(ctr(w.t.s, TS_CTR_eth_rx_gso) >= w.gso_frames);
    assert_true(ctr(w.t.s, TS_CTR_eth_rx_csum_offloaded) > 0);
    /* far fewer frames than MSS-sized segments would need */
    assert_true(ctr(w.t.c, TS_CTR_eth_tx_frames) < (XFER / MSS) / 2);
    twostack_free(&w.t);
}

/* Split by the wire as the kernel would: every piece is a valid segment (B checks each sum). */
static void test_tso_split_by_wire(void **state)
{
    (void)state;
    struct wire w;
    transfer(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, SPLIT, 0);
    assert_true(w.gso_frames > 10);
    assert_true(w.pieces >= XFER / MSS - 2 * w.gso_frames);
    assert_int_equal(ctr(w.t.s, TS_CTR_eth_rx_csum_offloaded), 0);
    twostack_free(&w.t);
}

/* 3 % of the pieces lost: loss recovery at segment granularity; no retransmission past the MSS. */
static void test_tso_loss_rexmit_mss(void **state)
{
    (void)state;
    struct wire w;
    transfer(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, SPLIT, 3);
    assert_true(w.rexmit_frames > 0);
    assert_int_equal(w.rexmit_too_big, 0);
    twostack_free(&w.t);
}

/* Checksum offload without TSO: MSS-sized segments with partial checksums. */
static void test_csum_only(void **state)
{
    (void)state;
    struct wire w;
    transfer(&w, TS_OFFLOAD_CSUM, PASS_WHOLE, 0);
    assert_int_equal(w.gso_frames, 0);
    assert_int_equal(w.big_frames, 0);
    assert_true(ctr(w.t.c, TS_CTR_eth_tx_csum_partial) > XFER / MSS);
    twostack_free(&w.t);
}

/* No offloads: plain frames, no description, as before. */
static void test_no_offload_plain(void **state)
{
    (void)state;
    struct wire w;
    transfer(&w, 0, PASS_WHOLE, 0);
    assert_int_equal(w.gso_frames, 0);
    assert_int_equal(w.big_frames, 0);
    assert_int_equal(ctr(w.t.c, TS_CTR_eth_tx_csum_partial), 0);
    twostack_free(&w.t);
}

/* A wrong checksum is dropped unless the wire vouched for it (VALID or PARTIAL); a reassembled or
 * plain frame never skips the check. */
static void test_rx_csum_trust(void **state)
{
    (void)state;
    struct ts_stack *s = mk(IP_A, 2, 3, 0);
    struct frm_addr peer = { .mac = { 2, 0, 0, 0, 0, 1 }, .ip = IP_B, .port = 40000 };
    struct frm_addr us = { .ip = IP_A, .port = 9 };
    memcpy(us.mac, ts_stack_config(s)->mac, 6);
    /* a SYN to a closed port (answered with RST if accepted) with a wrong checksum */
    struct frm_tcp syn = { .seq = 1000, .flags = FRM_SYN, .bad_csum = true };
    uint8_t f[64];
    size_t n = frm_build_tcp(f, sizeof f, &peer, &us, 0, &syn);
    assert_int_equal(n, 54);
    ts_stack_receive(s, TS_SEC(1), f, n);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_bad_checksum), 1);
    struct ts_frame_info valid = { .flags = TS_FRAME_CSUM_VALID };
    ts_stack_receive_info(s, TS_SEC(1), f, n, &valid);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_bad_checksum), 1);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_no_socket), 1);
    struct ts_frame_info partial = { .flags = TS_FRAME_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 16 };
    ts_stack_receive_info(s, TS_SEC(1), f, n, &partial);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_no_socket), 2);
    assert_int_equal(ctr(s, TS_CTR_eth_rx_csum_offloaded), 2);
    struct ts_frame_info none = { 0 };
    ts_stack_receive_info(s, TS_SEC(1), f, n, &none);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_bad_checksum), 2);
    ts_stack_free(s);
}

/* A stack with TSO driven through plain ts_stack_transmit gets valid checksums (completed). */
static void test_plain_transmit_completes_csum(void **state)
{
    (void)state;
    struct ts_config c;
    ts_config_default(&c);
    c.offload = TS_OFFLOAD_TSO;
    assert_null(ts_stack_new(&c, NULL));            /* TSO needs checksum offload */
    c.offload = 0x80;
    assert_null(ts_stack_new(&c, NULL));
    struct ts_stack *s = mk(IP_A, 2, 4, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO);
    assert_int_equal(ts_stack_frame_max(s), TS_FRAME_MAX_GSO);
    uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
    ts_stack_arp_add(s, TS_SEC(1), IP_B, mac, true);
    struct ts_sock *so;
    struct twostack_end e = { 0 };
    assert_int_equal(ts_tcp_connect(s, TS_SEC(1), 0, 0, IP_B, 80, twostack_end_event, &e, &so), 0);
    uint8_t buf[TS_FRAME_MAX_GSO];
    size_t len = ts_stack_transmit(s, TS_SEC(1), buf, sizeof buf);
    assert_true(len >= 54);
    assert_true(tcp_csum_ok(buf, len));
    ts_stack_free(s);
}

/* An idle connection holds no buffer: after one byte each way is read and acknowledged, neither
 * stack has ring storage; ts_stack_memory counts the control blocks (issue 19). */
static void test_idle_connection_memory(void **state)
{
    (void)state;
    struct wire w;
    wire_init(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, PASS_WHOLE, 0);
    uint8_t in_a[8], in_b[8];
    struct twostack_end ea = { .out = (const uint8_t *)"x", .out_len = 1, .in = in_a, .in_cap = sizeof in_a, .shut = true };
    struct twostack_end eb = { .out = (const uint8_t *)"y", .out_len = 1, .in = in_b, .in_cap = sizeof in_b, .shut = true };
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(w.t.s, 0, 7000, 4, twostack_end_accept, &eb, &l), 0);
    assert_int_equal(ts_tcp_connect(w.t.c, w.t.now, 0, 0, IP_B, 7000, twostack_end_event, &ea, &ea.sock), 0);
    /* run 3 s of virtual time: the data, its delayed ACKs, nothing more to do */
    twostack_exchange(&w.t, &ea, &eb, 50, TS_SEC(4));
    assert_int_equal(ea.in_len, 1);
    assert_int_equal(eb.in_len, 1);
    assert_int_equal(ts_tcp_get_state(ea.sock), TS_TCP_ESTABLISHED);
    struct ts_mem_usage ma, mb;
    ts_stack_memory(w.t.c, &ma);
    ts_stack_memory(w.t.s, &mb);
    assert_int_equal(ma.tcp_conns, 1);
    assert_int_equal(mb.tcp_conns, 2);              /* the listener and the connection */
    assert_int_equal(ma.tcp_buffers, 0);
    assert_int_equal(mb.tcp_buffers, 0);
    assert_true(ma.tcp_tcbs > 0 && ma.tcp_tcbs <= 1536);   /* well inside the 2 KB an idle connection may cost */
    assert_true(ma.frames > 0 && ma.other > 0);
    /* more data brings the ring back */
    assert_int_equal(ts_tcp_send(ea.sock, w.t.now, "zz", 2), 2);
    ts_stack_memory(w.t.c, &ma);
    assert_true(ma.tcp_buffers > 0);
    twostack_free(&w.t);
}

/* Gathered super-segments, split by the wire with 3 % of the pieces lost: byte-exact, and the
 * payload of every one came from the send buffer by reference. */
static void test_tso_gathered(void **state)
{
    (void)state;
    struct wire w;
    transfer_opts(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, SPLIT, 3, true, 0);
    assert_true(w.gso_frames > 10);
    assert_true(ctr(w.t.c, TS_CTR_tcp_tx_gathered) > 0);
    assert_true(ctr(w.t.c, TS_CTR_tcp_tx_gathered) <= w.a_data_frames);
    twostack_free(&w.t);
    /* a send buffer the application chose (no automatic growth) */
    transfer_opts(&w, TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO, PASS_WHOLE, 0, true, 100000);
    assert_true(ctr(w.t.c, TS_CTR_tcp_tx_gathered) > 10);
    twostack_free(&w.t);
}

/* No offloads (the TAP's plain frames): MSS-sized segments carry their payload by reference, their
 * checksum complete over the headers and the send buffer's bytes (B verifies every one: no bad
 * checksum), byte-exact with 3 % lost, and never a frame past the MTU. */
static void test_no_offload_gathered(void **state)
{
    (void)state;
    struct wire w;
    transfer_opts(&w, 0, PASS_WHOLE, 3, true, 0);
    assert_int_equal(w.gso_frames, 0);
    assert_int_equal(w.big_frames, 0);
    assert_true(w.rexmit_frames > 0);
    assert_int_equal(ctr(w.t.c, TS_CTR_eth_tx_csum_partial), 0);
    assert_true(ctr(w.t.c, TS_CTR_tcp_tx_gathered) > XFER / MSS / 2);
    assert_true(ctr(w.t.c, TS_CTR_tcp_tx_gathered) <= w.a_data_frames);
    twostack_free(&w.t);
}

/* A gathered frame the driver still holds keeps the send buffer's bytes alive after the
 * connection is gone (reset, its TCB and rings freed): they are what was sent (ASan checks the
 * memory), and tx_done frees them. Without offloads the frame is a plain MSS-sized one whose
 * checksum covers the headers and the payload where it lies. */
static void gather_held(bool timestamps, unsigned offload)
{
    struct wire w;
    memset(&w, 0, sizeof w);
    struct ts_config ca, cb;
    mk_config(&ca, IP_A, 2, 1, offload);
    mk_config(&cb, IP_B, 1, 2, 0);
    ca.tcp_no_timestamps = cb.tcp_no_timestamps = !timestamps;
    twostack_init_with(&w.t, &ca, &cb, false);
    ts_stack_set_tx_gather(w.t.c, true);
    uint8_t in_a[8], in_b[8];
    struct twostack_end ea = { .in = in_a, .in_cap = sizeof in_a, .shut = true };
    struct twostack_end eb = { .in = in_b, .in_cap = sizeof in_b, .shut = true };
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(w.t.s, 0, 7000, 4, twostack_end_accept, &eb, &l), 0);
    assert_int_equal(ts_tcp_connect(w.t.c, w.t.now, 0, 0, IP_B, 7000, twostack_end_event, &ea, &ea.sock), 0);
    twostack_run(&w.t, TS_MS(100));                  /* ARP, the handshake */
    assert_int_equal(ts_tcp_get_state(ea.sock), TS_TCP_ESTABLISHED);
    static uint8_t data[8 * 1460];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 13 + 5);
    assert_int_equal(ts_tcp_send(ea.sock, w.t.now, data, sizeof data), (long)sizeof data);
    const struct ts_tx *held = NULL, *tx;
    const uint8_t *f, *ext = NULL;
    size_t len, ext_len = 0;
    struct ts_frame_info info;
    while ((tx = ts_stack_tx_take(w.t.c, w.t.now, &f, &len, &info)) != NULL) {
        ts_stack_tx_ext(tx, &ext, &ext_len);
        if (ext_len && !held) { held = tx; break; }
        ts_stack_tx_done(w.t.c, tx);
    }
    assert_non_null(held);
    if (offload) {
        assert_true(info.flags & TS_FRAME_GSO_TCP);
        assert_true(ext_len > 1460 && ext_len <= sizeof data);
    } else {
        assert_int_equal(info.flags, 0);
        assert_true(ext_len >= 512 && len + ext_len <= 1514);
        static uint8_t whole[1514];             /* as the TAP's writev puts it together */
        memcpy(whole, f, len);
        memcpy(whole + len, ext, ext_len);
        assert_true(tcp_csum_ok(whole, len + ext_len));
    }
    /* the headers alone, never padded (54 bytes without options: the Ethernet minimum is the
     * whole frame's), and the IP length counts the payload that follows them */
    assert_int_equal(len, timestamps ? HDRS : 54u);
    assert_int_equal(ts_get16(f + 16), len - 14 + ext_len);
    ts_tcp_abort(ea.sock, w.t.now);                  /* the TCB and its rings go */
    assert_memory_equal(ext, data, ext_len);
    ts_stack_tx_done(w.t.c, held);
    twostack_free(&w.t);
}

#define TSO_CSUM (TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO)
static void test_gather_outlives_connection(void **state) { (void)state; gather_held(true, TSO_CSUM); }
static void test_gather_no_options(void **state) { (void)state; gather_held(false, TSO_CSUM); }
static void test_gather_plain(void **state) { (void)state; gather_held(true, 0); }
static void test_gather_plain_no_options(void **state) { (void)state; gather_held(false, 0); }

/* ts_stack_tx_starved: while a driver holds the large frames it took (its writes not completed),
 * a TSO sender runs out of them and waits, and says so; given back, they let it go on, and the
 * transfer completes with nobody waiting. (The driver then waits for its writes' completions
 * alone, not for them and one more: loop.c, wait_nr.) */
static void test_tx_starved(void **state)
{
    (void)state;
    struct twostack t;
    struct ts_config ca, cb;
    mk_config(&ca, IP_A, 2, 1, TSO_CSUM);
    mk_config(&cb, IP_B, 1, 2, 0);
    twostack_init_with(&t, &ca, &cb, false);
    const size_t total = 6u << 20;
    uint8_t *data = malloc(total), in_a[16];
    assert_non_null(data);
    for (size_t i = 0; i < total; i++) data[i] = (uint8_t)(i * 7 + (i >> 13));
    struct twostack_end ea = { .out = data, .out_len = total, .in = in_a, .in_cap = sizeof in_a };
    struct twostack_end eb = { .in = malloc(total + 1), .in_cap = total + 1 };
    assert_non_null(eb.in);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(t.s, 0, 7000, 4, twostack_end_accept, &eb, &l), 0);
    assert_int_equal(ts_tcp_connect(t.c, t.now, 0, 0, IP_B, 7000, twostack_end_event, &ea, &ea.sock), 0);
    assert_int_equal(ts_tcp_set_buffers(ea.sock, 4u << 20, 0), 0);   /* room for every large frame */
    twostack_run(&t, TS_MS(100));                                   /* ARP, the handshake */
    assert_non_null(eb.sock);
    assert_false(ts_stack_tx_starved(t.c));
    static const struct ts_tx *held[8192];
    unsigned nheld = 0;
    bool starved = false;
    for (unsigned round = 0; round < 5000 && !starved; round++) {
        twostack_pump(&ea, t.now);
        twostack_pump(&eb, t.now);
        const struct ts_tx *tx;
        const uint8_t *f;
        size_t len;
        struct ts_frame_info info;
        while ((tx = ts_stack_tx_take(t.c, t.now, &f, &len, &info)) != NULL) {
            twostack_deliver(&t, t.s, f, len, &info);       /* B has it; A's frame stays held */
            if (len > 1514 && nheld < 8192) held[nheld++] = tx;
            else ts_stack_tx_done(t.c, tx);
        }
        starved = ts_stack_tx_starved(t.c);
        static uint8_t buf[TS_FRAME_MAX_GSO];
        size_t n;
        while ((n = ts_stack_transmit_info(t.s, t.now, buf, sizeof buf, &info)) > 0)
            twostack_deliver(&t, t.c, buf, n, &info);
        ts_stack_dispatch(t.c, t.now);
        ts_stack_dispatch(t.s, t.now);
        t.now += 50;
        if (ts_stack_poll_at(t.c) <= t.now) ts_stack_poll(t.c, t.now);
        if (ts_stack_poll_at(t.s) <= t.now) ts_stack_poll(t.s, t.now);
    }
    assert_true(starved);
    assert_true(nheld > 0 && nheld < 8192);
    assert_true(ctr(t.c, TS_CTR_tcp_output_blocked) > 0);
    while (nheld) ts_stack_tx_done(t.c, held[--nheld]);
    twostack_exchange(&t, &ea, &eb, 50, t.now + TS_SEC(120));
    assert_true(eb.eof);
    assert_int_equal(eb.in_len, total);
    assert_memory_equal(eb.in, data, total);
    assert_false(ts_stack_tx_starved(t.c));
    free(data);
    free(eb.in);
    twostack_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnet_header_both_ways),
        cmocka_unit_test(test_tso_whole_to_receiver),
        cmocka_unit_test(test_tso_split_by_wire),
        cmocka_unit_test(test_tso_loss_rexmit_mss),
        cmocka_unit_test(test_csum_only),
        cmocka_unit_test(test_no_offload_plain),
        cmocka_unit_test(test_rx_csum_trust),
        cmocka_unit_test(test_plain_transmit_completes_csum),
        cmocka_unit_test(test_idle_connection_memory),
        cmocka_unit_test(test_tso_gathered),
        cmocka_unit_test(test_gather_outlives_connection),
        cmocka_unit_test(test_gather_no_options),
        cmocka_unit_test(test_no_offload_gathered),
        cmocka_unit_test(test_gather_plain),
        cmocka_unit_test(test_gather_plain_no_options),
        cmocka_unit_test(test_tx_starved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
