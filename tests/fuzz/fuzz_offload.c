/*
 * Fuzz target: offloads (issue 19). Frames arrive led by a virtio-net header, as the TAP gives
 * them with IFF_VNET_HDR: the header goes through the driver's translation (driver/vnet.c) and
 * the description into the core, so checksums marked valid or partial are trusted and TCP
 * segments may be super-segments up to 64 KB. Half the runs (first byte odd) the stack itself has
 * TSO and checksum offload on, so the peer's ACKs drive 64 KB segments out and the loss paths
 * retransmit pieces of them; with bit 1 set too, its super-segments carry their payload by
 * reference to the send buffer (ts_stack_set_tx_gather), made whole by ts_stack_transmit_info.
 *
 * After the first byte, records; each starts with an op byte (low 2 bits = kind):
 *   0  time:   1 byte d; advance the clock by (d+1) ms, or (d+1)*100 ms when op bit 2 is set
 *   1  vnet:   10 bytes virtio-net header, 2 bytes length, that many bytes: a raw frame
 *   2  tcp:    on connection (op>>2)%conns: flags(1) seq_delta(1, signed, x 1460) ack_delta(2, signed,
 *              x 64) win(2) len(2) info(1) gso(2) then data (tiled to len bytes, up to 65000): a
 *              segment from the peer with right lengths and checksum, described by info (bit 0
 *              valid, bit 1 partial, bit 2 GSO with gso_size gso) — bit 3 spoils the checksum
 *   3  app:    action(1) arg(2): write arg*16 bytes / read / shutdown on a connection
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "driver/vnet.h"
#include "wire/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void do_vnet(struct fz *z, struct fz_rd *r)
{
    const uint8_t *hdr, *f;
    int len = fz_word(r);
    if (!fz_take(r, TS_VNET_HLEN, &hdr) || len < 0) return;
    if (!fz_take(r, (size_t)len, &f)) { f = r->p; len = (int)r->n; r->p += r->n; r->n = 0; }
    if (ts_vnet_to_info(hdr, f, (size_t)len, &z->rx_info) == 0) fz_deliver(z, f, (size_t)len);
    z->rx_info = (struct ts_frame_info){ 0 };
}

static void do_tcp(struct fz *z, struct fz_rd *r, uint8_t op)
{
    if (!z->nconns) return;
    struct fz_conn *c = &z->conns[(op >> 2) % z->nconns];
    int flags = fz_byte(r), sd = fz_byte(r), ad = fz_word(r), win = fz_word(r), len = fz_word(r), info = fz_byte(r), gso = fz_word(r);
    if (gso < 0) return;
    len %= 65001;
    static uint8_t d[65000];
    size_t have = r->n < 4096 ? r->n : 4096;
    for (size_t i = 0; i < (size_t)len; i++) d[i] = have ? r->p[i % have] : (uint8_t)i;
    r->p += have;
    r->n -= have;
    uint32_t seq = c->peer_nxt + (uint32_t)(int8_t)sd * 1460u;
    uint32_t ack = c->our_nxt + (uint32_t)(int16_t)ad * 64u;
    uint16_t dport = c->our_port ? c->our_port : FZ_LISTEN_PORT;
    z->tcp_max = 65000;
    size_t n = fz_tcp(z, c->peer_port, dport, seq, ack, (uint8_t)flags, (uint16_t)win, NULL, 0, d, (size_t)len);
    z->tcp_max = 1460;
    if (info & 8) z->frame[34 + 16] ^= 0x5a;
    z->rx_info.flags = (uint16_t)(((info & 1) ? TS_FRAME_CSUM_VALID : 0) | ((info & 2) ? TS_FRAME_CSUM_PARTIAL : 0) |
                                  ((info & 4) ? TS_FRAME_GSO_TCP : 0));
    z->rx_info.gso_size = (uint16_t)gso;
    z->rx_info.csum_start = 34;
    z->rx_info.csum_offset = 16;
    if (seq == c->peer_nxt) c->peer_nxt += (uint32_t)len + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
    fz_deliver(z, z->frame, n);
    z->rx_info = (struct ts_frame_info){ 0 };
}

static void do_app(struct fz *z, struct fz_rd *r, uint8_t op)
{
    int act = fz_byte(r), arg = fz_word(r);
    if (arg < 0 || !z->nconns) return;
    struct ts_sock *sk = z->conns[(op >> 2) % z->nconns].sock;
    static const uint8_t junk[1 << 20];
    static uint8_t buf[65536];
    if (!sk) return;
    switch (act % 3) {
    case 0: ts_tcp_send(sk, z->now, junk, (size_t)arg * 16u); break;
    case 1: ts_tcp_recv(sk, z->now, buf, sizeof buf); break;
    default: ts_tcp_shutdown(sk, z->now); break;
    }
    ts_stack_dispatch(z->s, z->now);
    fz_drain(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct fz *z = malloc(sizeof *z);
    if (!z) return 0;
    fz_init_offload(z, (data[0] & 1) ? TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO : 0);
    ts_stack_set_tx_gather(z->s, (data[0] & 3) == 3);
    struct fz_rd r = { data + 1, size - 1 };
    for (unsigned steps = 0; r.n > 0 && steps < 256; steps++) {
        uint8_t op = (uint8_t)fz_byte(&r);
        switch (op & 3) {
        case 0: {
            int d = fz_byte(&r);
            if (d < 0) break;
            fz_advance(z, (op & 4) ? TS_MS(100) * (ts_time_t)(d + 1) : TS_MS(d + 1));
            break;
        }
        case 1: do_vnet(z, &r); break;
        case 2: do_tcp(z, &r, op); break;
        default: do_app(z, &r, op); break;
        }
    }
    fz_wind_down(z);
    fz_fini(z);
    free(z);
    return 0;
}
