/* Shared fuzz harness: see harness.h. */
#include <string.h>
#include "harness.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "../lib/peer_frames.h"

/* The application on our side: accept everything, read everything, answer a little. */
static void app_cb(void *arg, struct ts_sock *sock, unsigned ev, ts_time_t now)
{
    struct fz *z = arg;
    uint8_t buf[4096];
    if (sock == z->listener) {
        struct ts_sock *c;
        while ((c = ts_tcp_accept(sock, app_cb, z)) != NULL) {
            uint16_t rport;
            ts_sock_name(c, NULL, NULL, NULL, &rport);
            for (unsigned i = 0; i < z->nconns; i++)
                if (z->conns[i].peer_port == rport) z->conns[i].sock = c;
        }
        return;
    }
    if (ts_sock_proto(sock) == 17) {
        uint32_t ra;
        uint16_t rp;
        long n;
        while ((n = ts_udp_recvfrom(sock, buf, sizeof buf, &ra, &rp)) >= 0)
            ts_udp_sendto(sock, now, ra, rp, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf);
        return;
    }
    if (ev & TS_EV_READABLE) {
        long n;
        while ((n = ts_tcp_recv(sock, now, buf, sizeof buf)) > 0)
            ts_tcp_send(sock, now, buf, (size_t)n > 100 ? 100 : (size_t)n);
    }
}

static void track(struct fz *z, const uint8_t *f, size_t len)
{
    if (len < 54 || ts_get16(f + 12) != 0x0800 || f[23] != 6) return;
    size_t ihl = (size_t)(f[14] & 15) * 4;
    if (len < 14 + ihl + 20) return;
    const uint8_t *t = f + 14 + ihl;
    size_t total = ts_get16(f + 16);
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (total < ihl + doff) return;
    size_t dlen = total - ihl - doff;
    uint16_t sport = ts_get16(t), dport = ts_get16(t + 2);
    for (unsigned i = 0; i < z->nconns; i++) {
        struct fz_conn *c = &z->conns[i];
        if (c->peer_port != dport) continue;
        if (!c->our_port) c->our_port = sport;
        if (c->our_port != sport) continue;
        uint8_t fl = t[13];
        uint32_t end = ts_get32(t + 4) + (uint32_t)dlen + ((fl & 0x02) ? 1 : 0) + ((fl & 0x01) ? 1 : 0);
        if (!c->seen || (int32_t)(end - c->our_nxt) > 0) c->our_nxt = end;
        if (fl & 0x10) c->our_ack = ts_get32(t + 8);
        c->seen = true;
    }
}

void fz_drain(struct fz *z)
{
    size_t n;
    struct ts_frame_info info;
    for (int i = 0; i < 100000 && (n = ts_stack_transmit_info(z->s, z->now, z->out, sizeof z->out, &info)) > 0; i++) {
        ts_frame_finish_csum(z->out, n, &info);
        track(z, z->out, n);
    }
}

void fz_deliver(struct fz *z, const uint8_t *frame, size_t len)
{
    ts_stack_receive_info(z->s, z->now, frame, len, z->rx_info.flags ? &z->rx_info : NULL);
    ts_stack_dispatch(z->s, z->now);
    fz_drain(z);
}

void fz_advance(struct fz *z, ts_time_t dt)
{
    ts_time_t end = z->now + dt;
    for (int i = 0; i < 1000; i++) {
        ts_time_t t = ts_stack_poll_at(z->s);
        if (t > end) break;
        if (t > z->now) z->now = t;
        ts_stack_poll(z->s, z->now);
        ts_stack_dispatch(z->s, z->now);
        fz_drain(z);
    }
    z->now = end;
}

/* Ethernet and IPv4 headers from the peer to the stack (tests/lib/peer_frames.h); returns 34. */
static size_t put_eth_ip(struct fz *z, uint8_t proto, uint16_t id, uint16_t frag, size_t l4len)
{
    size_t o = put_eth(z->frame, OUR_MAC, 0x0800);
    return o + put_ip(z->frame + o, proto, FZ_PEER_IP, FZ_OUR_IP, l4len, id, frag);
}

size_t fz_ip(struct fz *z, uint8_t proto, uint16_t id, uint16_t frag, const uint8_t *data, size_t len)
{
    if (len > sizeof z->frame - 34) len = sizeof z->frame - 34;
    size_t o = put_eth_ip(z, proto, id, frag, len);
    memcpy(z->frame + o, data, len);
    return o + len;
}

size_t fz_tcp(struct fz *z, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
              uint16_t win, const uint8_t *opts, size_t optlen, const uint8_t *data, size_t len)
{
    if (optlen > 40) optlen = 40;
    size_t olen = (optlen + 3) & ~(size_t)3;
    if (len > z->tcp_max) len = z->tcp_max;
    size_t tl = 20 + olen + len;
    size_t o = put_eth_ip(z, 6, 1, 0x4000, tl);
    uint8_t *t = z->frame + o;
    ts_put16(t, sport);
    ts_put16(t + 2, dport);
    ts_put32(t + 4, seq);
    ts_put32(t + 8, ack);
    t[12] = (uint8_t)(((20 + olen) / 4) << 4);
    t[13] = flags;
    ts_put16(t + 14, win);
    ts_put16(t + 16, 0);
    ts_put16(t + 18, 0);
    memset(t + 20, 0, olen);
    if (optlen) memcpy(t + 20, opts, optlen);
    if (len) memcpy(t + 20 + olen, data, len);
    uint32_t sum = ts_csum_pseudo(FZ_PEER_IP, FZ_OUR_IP, 6, (uint16_t)tl);
    ts_put16(t + 16, ts_csum_finish(ts_csum_add(sum, t, tl)));
    return o + tl;
}

size_t fz_udp(struct fz *z, uint16_t sport, uint16_t dport, const uint8_t *data, size_t len)
{
    if (len > 1472) len = 1472;
    size_t o = put_eth_ip(z, 17, 2, 0, 8 + len);
    uint8_t *u = z->frame + o;
    ts_put16(u, sport);
    ts_put16(u + 2, dport);
    ts_put16(u + 4, (uint16_t)(8 + len));
    ts_put16(u + 6, 0);
    memcpy(u + 8, data, len);
    uint32_t sum = ts_csum_pseudo(FZ_PEER_IP, FZ_OUR_IP, 17, (uint16_t)(8 + len));
    uint16_t c = ts_csum_finish(ts_csum_add(sum, u, 8 + len));
    ts_put16(u + 6, c ? c : 0xffff);
    return o + 8 + len;
}

/* Passive open from the peer: SYN, read the SYN-ACK, ACK. */
static void open_passive(struct fz *z, uint16_t pport)
{
    struct fz_conn *c = &z->conns[z->nconns++];
    memset(c, 0, sizeof *c);
    c->peer_port = pport;
    c->peer_nxt = 1000;
    static const uint8_t mss[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
    size_t n = fz_tcp(z, pport, FZ_LISTEN_PORT, c->peer_nxt, 0, 0x02, 65535, mss, sizeof mss, NULL, 0);
    c->peer_nxt++;
    fz_deliver(z, z->frame, n);
    if (!c->seen) return;
    n = fz_tcp(z, pport, FZ_LISTEN_PORT, c->peer_nxt, c->our_nxt, 0x10, 65535, NULL, 0, NULL, 0);
    fz_deliver(z, z->frame, n);
}

/* Active open from our side to the peer's port 5000, answered by the harness. */
static void open_active(struct fz *z)
{
    struct ts_sock *sock;
    if (ts_tcp_connect(z->s, z->now, 0, 0, FZ_PEER_IP, 5000, app_cb, z, &sock) != 0) return;
    struct fz_conn *c = &z->conns[z->nconns++];
    memset(c, 0, sizeof *c);
    c->sock = sock;
    ts_sock_name(sock, NULL, &c->our_port, NULL, NULL);
    c->peer_port = 5000;
    c->peer_nxt = 0xfffffff0u;      /* near the wrap, on purpose */
    fz_drain(z);
    if (!c->seen) return;
    static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 14 };
    size_t n = fz_tcp(z, 5000, c->our_port, c->peer_nxt, c->our_nxt, 0x12, 65535, opts, sizeof opts, NULL, 0);
    c->peer_nxt++;
    fz_deliver(z, z->frame, n);
}

void fz_init(struct fz *z) { fz_init_offload(z, 0); }

void fz_init_offload(struct fz *z, unsigned offload)
{
    memset(z, 0, sizeof *z);
    z->tcp_max = 1460;
    struct ts_config cfg;
    ts_config_default(&cfg);
    cfg.seed = 1;
    cfg.offload = offload;
    cfg.tcp_msl = TS_SEC(1);
    z->s = ts_stack_new(&cfg, NULL);
    z->now = TS_SEC(1);
    ts_stack_arp_add(z->s, z->now, FZ_PEER_IP, PEER_MAC, true);
    ts_tcp_listen(z->s, 0, FZ_LISTEN_PORT, 4, app_cb, z, &z->listener);
    ts_udp_open(z->s, 0, FZ_UDP_PORT, app_cb, z, &z->udp);
    open_passive(z, 40000);
    open_active(z);
}

void fz_wind_down(struct fz *z)
{
    fz_advance(z, TS_SEC(5));
    for (unsigned i = 0; i < z->nconns; i++)
        if (z->conns[i].sock) ts_tcp_close(z->conns[i].sock, z->now);
    fz_advance(z, TS_SEC(120));
}

void fz_fini(struct fz *z)
{
    ts_stack_free(z->s);
}
