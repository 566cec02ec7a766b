/*
 * Shared pieces of the fuzz targets: a stack with a listener, a UDP socket and connections a
 * peer can reach; frame builders that fix up lengths and checksums so mutations reach deep code;
 * and a parser of what the stack sends, to track each connection's sequence numbers.
 */
#ifndef TS_FUZZ_HARNESS_H
#define TS_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "tapstack/stack.h"
#include "tapstack/socket.h"

#define FZ_OUR_IP 0x0a000002u
#define FZ_PEER_IP 0x0a000001u
#define FZ_LISTEN_PORT 80
#define FZ_UDP_PORT 7
#define FZ_MAX_CONNS 4

/* A reader over the fuzz input: fz_take hands out the next k bytes (false when fewer are left);
 * fz_byte and fz_word read one byte or a big-endian 16-bit word, -1 at the end of the input. */
struct fz_rd { const uint8_t *p; size_t n; };
static inline bool fz_take(struct fz_rd *r, size_t k, const uint8_t **out)
{
    if (r->n < k) return false;
    *out = r->p;
    r->p += k;
    r->n -= k;
    return true;
}
static inline int fz_byte(struct fz_rd *r) { const uint8_t *b; return fz_take(r, 1, &b) ? b[0] : -1; }
static inline int fz_word(struct fz_rd *r)
{
    const uint8_t *b;
    return fz_take(r, 2, &b) ? (int)((unsigned)b[0] << 8 | b[1]) : -1;
}

/* One TCP conversation the peer side of the harness keeps track of. */
struct fz_conn {
    uint16_t peer_port, our_port;
    uint32_t peer_nxt;      /* next sequence number the peer will send */
    uint32_t our_nxt;       /* next sequence number the stack will send (from its segments) */
    uint32_t our_ack;       /* last ack the stack sent */
    bool seen;              /* the stack has sent something on it */
    struct ts_sock *sock;   /* our side's handle, once accepted/connected */
};

struct fz {
    struct ts_stack *s;
    ts_time_t now;
    struct ts_sock *listener, *udp;
    struct fz_conn conns[FZ_MAX_CONNS];
    unsigned nconns;
    unsigned tcp_max;       /* largest TCP payload fz_tcp builds: 1460, or up to 65000 (super-segments) */
    struct ts_frame_info rx_info;   /* the description fz_deliver passes (flags 0: plain frames) */
    uint8_t frame[65600];
    uint8_t out[TS_FRAME_MAX_GSO];
};

/* Make the stack (fixed seed), a TCP listener on 80, a UDP socket on 7, a static ARP entry for
 * the peer, and try to open one passive and one active connection by handshake. */
void fz_init(struct fz *z);
/* fz_init for a stack with the given TS_OFFLOAD_* flags (its frames may be super-segments with
 * partial checksums; fz_drain reads them with ts_stack_transmit_info). */
void fz_init_offload(struct fz *z, unsigned offload);
void fz_fini(struct fz *z);
/* The end of a run with connections: 5 s of timers, every connection closed, 120 s more (so
 * that TIME_WAIT, retransmission and close timers run out). */
void fz_wind_down(struct fz *z);

/* Receive a frame, run the app's callbacks, and read everything the stack sends. */
void fz_deliver(struct fz *z, const uint8_t *frame, size_t len);
/* Advance the clock by dt, polling every deadline on the way (bounded). */
void fz_advance(struct fz *z, ts_time_t dt);
/* Drain what the stack sends, tracking TCP sequence numbers. */
void fz_drain(struct fz *z);

/* Build a TCP segment from the peer into z->frame with correct lengths and checksums;
 * returns the frame length. opts: raw option bytes (padded to 4 by the builder). */
size_t fz_tcp(struct fz *z, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
              uint16_t win, const uint8_t *opts, size_t optlen, const uint8_t *data, size_t len);
/* Build a UDP datagram from the peer. */
size_t fz_udp(struct fz *z, uint16_t sport, uint16_t dport, const uint8_t *data, size_t len);
/* Build an IPv4 packet from the peer with the given protocol, id and fragment field. */
size_t fz_ip(struct fz *z, uint8_t proto, uint16_t id, uint16_t frag, const uint8_t *data, size_t len);

#endif
