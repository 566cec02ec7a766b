/* Hand-built TCP segments for unit tests: a peer at PEER_IP talking to the stack at OUR_IP
 * (see tests/lib/core_util.h), and a reader for what the stack sends back. */
#ifndef TESTS_LIB_TCP_FRAMES_H
#define TESTS_LIB_TCP_FRAMES_H

#include "core_util.h"
#include "wire/tcp.h"
#include "tapstack/socket.h"

struct tseg {
    struct ts_tcp_hdr h;
    struct ts_tcp_opts o;
    uint32_t dlen;
    uint8_t data[2048];
    uint32_t src, dst;
};

/* Send the stack one segment from PEER_IP:sport to OUR_IP:dport (opt: raw option bytes, a
 * multiple of 4). */
static inline void tcp_in(struct ts_stack *s, ts_time_t now, uint16_t sport, uint16_t dport, uint32_t seq,
                          uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt, size_t optlen,
                          const void *data, size_t dlen)
{
    uint8_t f[2048];
    size_t n = put_eth(f, OUR_MAC, 0x0800);
    size_t tl = 20 + optlen + dlen;
    n += put_ip(f + n, 6, PEER_IP, OUR_IP, tl, 1, 0x4000);
    uint8_t *t = f + n;
    struct ts_tcp_hdr h = { .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .wnd = wnd };
    ts_tcp_emit(t, &h, NULL);
    t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    if (optlen) memcpy(t + 20, opt, optlen);
    if (dlen) memcpy(t + 20 + optlen, data, dlen);
    ts_tcp_fill_csum(t, tl, PEER_IP, OUR_IP);
    ts_stack_receive(s, now, f, n + tl);
}

/* A listener's callback for ts_tcp_listen with arg = a struct ts_sock **: each connection that
 * becomes readable on the queue is accepted and stored there (the latest one wins). */
static inline void tcp_accept_into(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)now;
    if (events & TS_EV_READABLE) {
        struct ts_sock *c = ts_tcp_accept(sock, NULL, NULL);
        if (c) *(struct ts_sock **)arg = c;
    }
}

/* The next TCP segment the stack sends (skipping ARP and other frames); false if none. */
static inline bool tcp_out(struct ts_stack *s, ts_time_t now, struct tseg *g)
{
    uint8_t f[2048];
    size_t n;
    while ((n = ts_stack_transmit(s, now, f, sizeof f)) > 0) {
        if (n < 54 || ts_get16(f + 12) != 0x0800 || f[23] != 6) continue;
        size_t ihl = (size_t)(f[14] & 15) * 4, tl = ts_get16(f + 16);
        const uint8_t *t = f + 14 + ihl;
        size_t len = tl - ihl;
        assert_true(ts_tcp_csum_ok(t, len, ts_get32(f + 26), ts_get32(f + 30)));
        assert_int_equal(ts_tcp_parse(t, len, &g->h), 0);
        ts_tcp_parse_opts(t + 20, g->h.hlen - 20u, &g->o);
        g->dlen = (uint32_t)(len - g->h.hlen);
        if (g->dlen) memcpy(g->data, t + g->h.hlen, g->dlen < sizeof g->data ? g->dlen : sizeof g->data);
        g->src = ts_get32(f + 26);
        g->dst = ts_get32(f + 30);
        return true;
    }
    return false;
}

static const uint8_t OPT_MSS1460[4] = { 2, 4, 0x05, 0xb4 };

#endif
