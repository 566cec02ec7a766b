/*
 * Fuzz target: a sequence of frames with time steps, into a stack with a listener, an accepted
 * connection (peer port 40000 -> 80) and an active one (our ephemeral port -> peer 5000).
 *
 * The input is a list of records; each starts with an op byte (low 3 bits = kind):
 *   0  time:    1 byte d; advance the clock by (d+1) ms, or (d+1)*100 ms when op bit 3 is set
 *   1  raw:     2 bytes length, then that many bytes: an Ethernet frame as-is
 *   2  tcp:     a segment from the peer on connection (op>>3)%conns, fixed up so it gets in:
 *               flags(1) seq_delta(1, signed, x step) ack_delta(1, signed) win(2) optlen(1) opts
 *               len(2) data. seq is the peer's next sequence number + delta*step (step from op
 *               bits 6-7: 1, 64, 4096 or 65536); ack is the stack's next sequence number + delta.
 *   3  udp:     len(1) data; to port 7 (or a closed port when op bit 3 is set)
 *   4  icmp:    type(1) code(1) len(1) data; an ICMP message quoting our TCP connection 0
 *   5  frag:    id(1) offset(2) flags(1) len(2) data; an IPv4 fragment of a UDP datagram
 *   6  app:     action(1) arg(2): write / read / shutdown / close / abort / connect on a connection
 *   7  tcp-raw: like 2 but the checksum is left wrong when op bit 3 is set
 * The checksums and lengths are right unless a record asks otherwise, and sequence numbers
 * follow the connection, so mutations reach ESTABLISHED and the states beyond it.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void do_tcp(struct fz *z, struct fz_rd *r, uint8_t op, bool bad_csum)
{
    if (!z->nconns) return;
    struct fz_conn *c = &z->conns[(op >> 3) % z->nconns];
    int flags = fz_byte(r), sd = fz_byte(r), ad = fz_byte(r), win = fz_word(r), optlen = fz_byte(r);
    if (optlen < 0 || win < 0) return;
    const uint8_t *opts = NULL, *d = NULL;
    optlen %= 41;
    if (!fz_take(r, (size_t)optlen, &opts)) return;
    int len = fz_word(r);
    if (len < 0) return;
    len %= 1461;
    if (!fz_take(r, (size_t)len, &d)) { d = r->p; len = (int)r->n; r->p += r->n; r->n = 0; }
    static const uint32_t steps[4] = { 1, 64, 4096, 65536 };
    uint32_t seq = c->peer_nxt + (uint32_t)(int8_t)sd * steps[op >> 6];
    uint32_t ack = c->our_nxt + (uint32_t)(int8_t)ad;
    uint16_t dport = c->our_port ? c->our_port : FZ_LISTEN_PORT;
    size_t n = fz_tcp(z, c->peer_port, dport, seq, ack, (uint8_t)flags, (uint16_t)win, opts,
                      (size_t)optlen, d, (size_t)len);
    if (bad_csum) z->frame[34 + 16] ^= 0x5a;
    /* The peer moves on only when it sent in order. */
    if (seq == c->peer_nxt) c->peer_nxt += (uint32_t)len + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
    fz_deliver(z, z->frame, n);
}

static void do_icmp(struct fz *z, struct fz_rd *r)
{
    int type = fz_byte(r), code = fz_byte(r), len = fz_byte(r);
    const uint8_t *d;
    if (len < 0 || !fz_take(r, (size_t)len, &d)) return;
    uint8_t m[8 + 28 + 255];
    m[0] = (uint8_t)type; m[1] = (uint8_t)code;
    memset(m + 2, 0, 6);
    /* quote an IPv4 header + TCP ports of connection 0, as if we had sent it */
    uint8_t *q = m + 8;
    memset(q, 0, 28);
    q[0] = 0x45; q[9] = 6;
    ts_put16(q + 2, 40);
    ts_put32(q + 12, FZ_OUR_IP);
    ts_put32(q + 16, FZ_PEER_IP);
    if (z->nconns) {
        ts_put16(q + 20, z->conns[0].our_port ? z->conns[0].our_port : FZ_LISTEN_PORT);
        ts_put16(q + 22, z->conns[0].peer_port);
        ts_put32(q + 24, z->conns[0].our_nxt - 1);
    }
    memcpy(m + 36, d, (size_t)len);
    ts_put16(m + 2, ts_csum(m, 36 + (size_t)len));
    size_t n = fz_ip(z, 1, 3, 0, m, 36 + (size_t)len);
    fz_deliver(z, z->frame, n);
}

static void do_frag(struct fz *z, struct fz_rd *r)
{
    int id = fz_byte(r), off = fz_word(r), fl = fz_byte(r), len = fz_word(r);
    const uint8_t *d;
    if (len < 0) return;
    len %= 1481;
    if (!fz_take(r, (size_t)len, &d)) return;
    uint16_t frag = (uint16_t)((off & 0x1fff) | ((fl & 1) ? 0x2000 : 0));
    size_t n = fz_ip(z, 17, (uint16_t)id, frag, d, (size_t)len);
    fz_deliver(z, z->frame, n);
}

static void do_app(struct fz *z, struct fz_rd *r, uint8_t op)
{
    int act = fz_byte(r), arg = fz_word(r);
    if (arg < 0 || !z->nconns) return;
    struct fz_conn *c = &z->conns[(op >> 3) % z->nconns];
    static const uint8_t junk[8192];
    uint8_t buf[4096];
    struct ts_sock *sk = c->sock;
    switch (act % 6) {
    case 0: if (sk) ts_tcp_send(sk, z->now, junk, (size_t)arg % sizeof junk); break;
    case 1: if (sk) ts_tcp_recv(sk, z->now, buf, (size_t)arg % sizeof buf); break;
    case 2: if (sk) ts_tcp_shutdown(sk, z->now); break;
    case 3: if (sk) { ts_tcp_close(sk, z->now); c->sock = NULL; } break;
    case 4: if (sk) { ts_tcp_abort(sk, z->now); c->sock = NULL; } break;
    default: {
        struct ts_sock *ns;
        if (z->nconns < FZ_MAX_CONNS &&
            ts_tcp_connect(z->s, z->now, 0, 0, FZ_PEER_IP, (uint16_t)(arg | 1), NULL, NULL, &ns) == 0) {
            struct fz_conn *n = &z->conns[z->nconns++];
            memset(n, 0, sizeof *n);
            n->sock = ns;
            n->peer_port = (uint16_t)(arg | 1);
            n->peer_nxt = (uint32_t)arg << 16;
            ts_sock_name(ns, NULL, &n->our_port, NULL, NULL);
        }
        break;
    }
    }
    ts_stack_dispatch(z->s, z->now);
    fz_drain(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = malloc(sizeof *z);
    fz_init(z);
    struct fz_rd r = { data, size };
    for (int steps = 0; steps < 512 && r.n > 0; steps++) {
        uint8_t op = (uint8_t)fz_byte(&r);
        const uint8_t *d;
        int k;
        switch (op & 7) {
        case 0:
            k = fz_byte(&r);
            if (k >= 0) fz_advance(z, (ts_time_t)(k + 1) * ((op & 8) ? TS_MS(100) : TS_MS(1)));
            break;
        case 1:
            k = fz_word(&r);
            if (k < 0) break;
            k %= 9000;
            if (fz_take(&r, (size_t)k, &d)) fz_deliver(z, d, (size_t)k);
            break;
        case 2: do_tcp(z, &r, op, false); break;
        case 3:
            k = fz_byte(&r);
            if (k >= 0 && fz_take(&r, (size_t)k, &d))
                fz_deliver(z, z->frame, fz_udp(z, 40001, (op & 8) ? 4444 : FZ_UDP_PORT, d, (size_t)k));
            break;
        case 4: do_icmp(z, &r); break;
        case 5: do_frag(z, &r); break;
        case 6: do_app(z, &r, op); break;
        case 7: do_tcp(z, &r, op, (op & 8) != 0); break;
        }
    }
    fz_wind_down(z);
    fz_fini(z);
    free(z);
    return 0;
}
