/*
 * tapstack: the core's public interface.
 *
 * The core is a pure state machine with no I/O. It never reads a clock, never touches a file
 * descriptor and holds no global state. Everything comes in through these functions:
 *
 *     frame in  --> ts_stack_receive(stack, now, frame, len)
 *     time      --> ts_stack_poll(stack, now); ts_stack_poll_at(stack) says when to call it next
 *     frame out <-- ts_stack_transmit(stack, now, buf, cap) -> len, 0 when nothing is queued
 *
 * Time is a 64-bit count of microseconds on any monotonic clock the caller picks.
 */
#ifndef TAPSTACK_STACK_H
#define TAPSTACK_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t ts_time_t;              /* microseconds */
#define TS_TIME_NEVER UINT64_MAX
#define TS_MS(x) ((ts_time_t)(x) * 1000u)
#define TS_SEC(x) ((ts_time_t)(x) * 1000000u)

/* RFC 6056 ephemeral port selection algorithms. */
enum ts_port_alg {
    TS_PORT_ALG_DOUBLE_HASH = 0, /* RFC 6056 §3.3.4, algorithm 4 (the default) */
    TS_PORT_ALG_SEQUENTIAL,      /* a single global counter (§3.3.? "traditional BSD") */
    TS_PORT_ALG_RANDOM,          /* §3.3.1, algorithm 1: simple port randomization */
    TS_PORT_ALG_SIMPLE_HASH,     /* §3.3.3, algorithm 3: F(localaddr, remote) + counter */
};

struct ts_trace_event;
typedef void (*ts_trace_fn)(void *arg, const struct ts_trace_event *ev);

/* Everything the core is told at birth. Addresses are IPv4 in host byte order. */
struct ts_config {
    uint8_t mac[6];            /* our Ethernet address */
    uint32_t ip;               /* our IPv4 address */
    uint8_t prefix_len;        /* 0..32 */
    uint32_t gateway;          /* 0 = none: off-link destinations are unreachable */
    uint16_t mtu;              /* IP MTU, 576..9000; 0 means 1500 */
    uint64_t seed;             /* all randomness (ISN keys, port keys, IP IDs) derives from it */
    uint16_t port_low, port_high;   /* ephemeral range; 0,0 means IANA 49152-65535 */
    enum ts_port_alg port_alg;
    ts_time_t tcp_msl;         /* TIME_WAIT lasts 2*MSL; 0 means 30 s */
    ts_time_t tcp_rto_min;     /* 0 means 200 ms */
    const char *tcp_cc;        /* congestion controller, "cubic", "newreno" or "bbr"; NULL: cubic */
    unsigned tcp_max_conns;    /* 0 means 65536 */
    unsigned tcp_max_orphans;  /* connections closed by the application still in TCP; 0 means tcp_max_conns / 4 */
    bool tcp_no_timestamps;    /* true: never offer or accept RFC 7323 timestamps (default: on) */
    unsigned arp_cache_size;   /* 0 means 256 entries */
    /* Behaviours two RFCs describe, chosen per stack (FreeBSD's knobs of the same names):
     * insecure_rst: RFC 793's RST check (any RST in the window resets) instead of RFC 5961 §3's
     *               (only RST at RCV.NXT resets; others get a challenge ACK). Default off.
     * insecure_syn: RFC 793's SYN check (an in-window SYN resets the connection) instead of
     *               RFC 5961 §4's challenge ACK. Default off.
     * drop_synfin:  drop every segment with both SYN and FIN before the connection lookup (a
     *               scan probe) instead of processing its SYN as RFC 9293 §3.10.7 does. Default off.
     * rfc1337:      ignore a RST in TIME_WAIT (RFC 1337's fix for TIME-WAIT assassination, as
     *               FreeBSD always and Linux's tcp_rfc1337 do) instead of closing it as RFC 9293
     *               §3.10.7.4 says. Default off. */
    bool tcp_insecure_rst, tcp_insecure_syn, tcp_drop_synfin, tcp_rfc1337;
    ts_trace_fn trace;         /* optional: every frame, state change, drop (see trace.h) */
    void *trace_arg;
    unsigned offload;          /* TS_OFFLOAD_*: what the wire completes for us on transmit; 0 = plain frames */
};

/*
 * Offloads (DESIGN.md "Offloads without breaking the rule"). A driver whose wire can finish
 * checksums and split large TCP segments says so in ts_config.offload; the core then may emit
 * frames that need it, and describes each one in a struct ts_frame_info beside its bytes. On
 * receive, the driver may describe a frame the same way. The core knows nothing of virtio: a
 * core given no description (tests, fuzzers, replay) works on plain frames as always.
 */
#define TS_OFFLOAD_CSUM 0x1u   /* TCP checksums may be left partial (TS_FRAME_CSUM_PARTIAL) */
#define TS_OFFLOAD_TSO  0x2u   /* TCP segments up to 64 KB, split at gso_size by the wire (needs CSUM) */

#define TS_FRAME_CSUM_VALID   0x1u  /* rx: the L4 checksum is known good (verified, or made on this host) */
#define TS_FRAME_CSUM_PARTIAL 0x2u  /* rx/tx: the L4 checksum field holds only the pseudo-header sum; the
                                     * 16-bit sum over bytes [csum_start, end) goes at csum_start + csum_offset */
#define TS_FRAME_GSO_TCP      0x4u  /* rx: a TCP segment that may exceed the MTU (merged by the sender's host);
                                     * tx: split this TCP segment's payload into gso_size pieces */

struct ts_frame_info {
    uint16_t flags;            /* TS_FRAME_* */
    uint16_t gso_size;         /* TS_FRAME_GSO_TCP: payload bytes per wire segment (the MSS) */
    uint16_t csum_start;       /* TS_FRAME_CSUM_PARTIAL: offsets from the frame's first byte */
    uint16_t csum_offset;
};

/* The largest frame the core emits: mtu + 14, or 65535 + 14 with TS_OFFLOAD_TSO. */
#define TS_FRAME_MAX_GSO (65535u + 14u)

struct ts_stack;

/* Fill *cfg with the defaults (10.0.0.2/24, MAC 02:00:00:00:00:02, MTU 1500, IANA dynamic ports). */
void ts_config_default(struct ts_config *cfg);

/* Create a stack. Returns NULL only when memory is exhausted or cfg is invalid (then *why, if
 * given, names what is wrong). The stack owns all of its memory; free it with ts_stack_free. */
struct ts_stack *ts_stack_new(const struct ts_config *cfg, const char **why);

/* The stack is about to stop (before ts_stack_free, when a process ends): reset every TCP
 * connection that is not closed, TIME_WAIT and the closing states included, so that no peer
 * keeps retransmitting to a host that is gone (a FIN our last ACK missed, say). Queues a RST
 * per connection, two when data or a FIN of ours is unacknowledged (at SND.UNA and at SND.MAX,
 * since a peer takes only the one at its RCV.NXT; counted once, as tcp resets_on_shutdown):
 * take the frames out with
 * ts_stack_transmit before ts_stack_free. The applications see TS_ECONNABORTED. */
void ts_stack_shutdown(struct ts_stack *s, ts_time_t now);

/* Destroy a stack and every socket in it. Safe on NULL. */
void ts_stack_free(struct ts_stack *s);

/* One Ethernet frame (no preamble, no FCS) arrived at time now. Never fails: a frame that is not
 * for us, or is malformed, is dropped and counted under the reason. The stack does not keep the
 * pointer. */
void ts_stack_receive(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len);

/* ts_stack_receive with a description of the frame from the wire (NULL: a plain frame). A
 * checksum marked VALID or PARTIAL is not recomputed; a GSO frame may carry up to 64 KB. */
void ts_stack_receive_info(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len,
                           const struct ts_frame_info *info);

/* Copy the next frame to send into buf (cap bytes, at least ts_stack_frame_max) and return its
 * length, or 0 when nothing is waiting (or the next frame exceeds cap: it stays queued). Calling
 * it may let TCP produce more segments. With offloads on, a driver uses ts_stack_transmit_info;
 * this one completes a partial checksum itself, so that what it returns is a valid IPv4 packet
 * (a TSO super-segment stays one packet, larger than the MTU). */
size_t ts_stack_transmit(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap);

/* ts_stack_transmit that also fills *info (flags 0 for a plain frame): what the wire must
 * finish (checksum, segmentation) before the frame is on the wire. */
size_t ts_stack_transmit_info(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap,
                              struct ts_frame_info *info);

/* Zero-copy transmit: take the next frame without copying it. *frame and *len say where it is in
 * the stack's memory, *info what the wire must finish; the frame stays the driver's (and counts
 * against the stack's frame pool) until it gives it back with ts_stack_tx_done, after the write
 * completed. NULL when nothing is waiting. Give every frame back before ts_stack_free. */
struct ts_tx;
const struct ts_tx *ts_stack_tx_take(struct ts_stack *s, ts_time_t now, const uint8_t **frame, size_t *len,
                                     struct ts_frame_info *info);
void ts_stack_tx_done(struct ts_stack *s, const struct ts_tx *tx);

/* Asked after taking every frame there is: whether a sender still waits for frames to be given
 * back (ts_stack_tx_done) before it can send more (the frame pool is down to its reserve, or every
 * large frame is taken). A driver that would sleep until its writes complete and something more
 * happens must not then: the writes' completions alone let the stack go on. */
bool ts_stack_tx_starved(const struct ts_stack *s);

/* Gathered transmit: with on, a segment of 512 bytes or more of new data (a TSO super-segment or
 * a plain one; never a retransmission) taken by ts_stack_tx_take may carry its payload by
 * reference to the connection's send buffer instead of a copy: the wire gets frame[0, len) then
 * the ext_len bytes at ext (ts_stack_tx_ext), both valid until ts_stack_tx_done; without checksum
 * offload the checksum is already complete over both. Only for a driver that writes both (a
 * writev) and captures nothing (a capture would see the headers alone); ts_stack_transmit still
 * hands out whole frames. Off by default. */
void ts_stack_set_tx_gather(struct ts_stack *s, bool on);

/* Pull mode: with on, TCP builds its data segments, new or resent, when the driver takes from an
 * empty transmit queue (ts_stack_tx_take, ts_stack_transmit), not while frames are received or
 * timers run, as long as the connection has data in flight; ACKs, control segments and the data
 * of a connection with nothing in flight are queued at once, as with off (the default). A driver
 * that receives a batch of frames and then takes what is to be sent gets the segments built from
 * everything the batch said: the retransmissions first, then new data, and none that a later ACK
 * of the batch made needless. */
void ts_stack_set_tx_pull(struct ts_stack *s, bool on);
void ts_stack_tx_ext(const struct ts_tx *tx, const uint8_t **ext, size_t *ext_len);

/* Do what the wire would for a TS_FRAME_CSUM_PARTIAL frame: compute the checksum over
 * [csum_start, len) and store it, so that the frame is plain. A no-op for other frames. */
void ts_frame_finish_csum(uint8_t *frame, size_t len, const struct ts_frame_info *info);

/* The largest frame ts_stack_transmit may return: mtu + 14, or TS_FRAME_MAX_GSO with TSO. */
size_t ts_stack_frame_max(const struct ts_stack *s);

/* Run every timer whose deadline is at or before now (retransmission, delayed ACK, ARP, ...). */
void ts_stack_poll(struct ts_stack *s, ts_time_t now);

/* The earliest time at which ts_stack_poll must be called, or TS_TIME_NEVER. */
ts_time_t ts_stack_poll_at(const struct ts_stack *s);

/* Deliver pending socket events to the applications' callbacks (see socket.h). Call it after
 * receive/poll; callbacks may freely call the socket API. Returns how many were delivered. */
unsigned ts_stack_dispatch(struct ts_stack *s, ts_time_t now);

/* Put a neighbour into the ARP cache as if it had answered (static: never expires). For tests,
 * fuzzers and `tapstack arp -s`. Returns 0, or -1 if ip is not on our subnet. */
int ts_stack_arp_add(struct ts_stack *s, ts_time_t now, uint32_t ip, const uint8_t mac[6], bool is_static);

/* Switch one of the behaviour knobs of struct ts_config at run time by its name ("insecure_rst",
 * "insecure_syn", "drop_synfin", "rfc1337"). Returns 0, or -1 if there is no knob of that name. */
int ts_stack_set_knob(struct ts_stack *s, const char *name, bool on);

/* The configuration the stack runs with (defaults filled in). */
const struct ts_config *ts_stack_config(const struct ts_stack *s);

/* Format an IPv4 address (host order) into buf (>= 16 bytes); returns buf. */
char *ts_ip_str(uint32_t ip, char *buf);

/* Parse dotted-quad text into *ip (host order); false if it is not exactly a.b.c.d. */
bool ts_ip_parse(const char *text, uint32_t *ip);

#ifdef __cplusplus
}
#endif
#endif
