/*
 * struct ts_stack: everything the core knows hangs off it. No global mutable state anywhere.
 * Each protocol module keeps its own state behind a pointer it allocates in its init function.
 */
#ifndef TS_CORE_STACK_IMPL_H
#define TS_CORE_STACK_IMPL_H

#include "tapstack/stack.h"
#include "tapstack/stats.h"
#include "tapstack/trace.h"
#include "core/frame.h"
#include "core/rand.h"

struct ts_arp;
struct ts_frag;
struct ts_udp;
struct ts_tcp;
struct ts_demux;
struct ts_ports;
struct ts_sock;

#define TS_SCRATCH_LEN 65536
#define TS_FRAME_POOL 2048    /* frames at most; ~3.3 MB at MTU 1500 when all are in use */
#define TS_FRAME_CHUNK 64     /* the pool grows by this many frames at a time */
#define TS_FRAME_BIG_MAX 48   /* large frames at most (~3.1 MB when all are in use) */

#define TS_IP_ID_TABLE 1024            /* counters for IPv4 IDs (power of two) */

struct ts_stack {
    struct ts_config cfg;          /* defaults filled in */
    uint32_t netmask;              /* from prefix_len */
    uint32_t bcast;                /* directed broadcast of our subnet */
    struct ts_stats stats;
    struct ts_rng rng;

    /* frame pool and transmit FIFO */
    size_t frame_cap;
    size_t frame_stride;
    unsigned frames_total, frames_free, frames_carved;
    struct ts_frame *free_list;
    struct ts_frame *txq_head, *txq_tail;
    unsigned txq_len;
    uint64_t txq_pushed, txq_popped;   /* frames ever put on / taken off the FIFO (ts_txq_queued) */
    void *frame_chunks[TS_FRAME_POOL / TS_FRAME_CHUNK];
    struct ts_frame *big_free;     /* large frames (TSO super-segments), made on demand */
    unsigned big_made, big_out;
    struct ts_frame *big_all[TS_FRAME_BIG_MAX];   /* every one made, for teardown */
    uint64_t pool_uses;            /* frames and spare ring storage taken or returned (ts_stack_shrink) */
    uint64_t pool_uses_seen;       /* pool_uses at the last ts_stack_shrink */
    const struct ts_frame_info *rx_info;  /* the description of the frame being received, or NULL */
    bool tx_gather;                /* the driver writes a large frame's payload from the send buffer */
    bool tx_pull;                  /* TCP data is built when the driver takes (ts_stack_set_tx_pull) */

    /* event queue for applications */
    struct ts_sock *ev_head, *ev_tail;

    uint8_t *scratch;              /* TS_SCRATCH_LEN bytes, made on first use: see ts_stack_scratch */

    uint16_t ip_id_next;           /* the first draw of the generator (kept for its order) */
    /* RFC 7739 §5.3.2: IPv4 IDs from a table of counters indexed by a keyed hash of (source,
     * destination, protocol), plus a per-destination offset from the same hash: each
     * destination sees its own sequence, no one learns another's traffic from the IDs */
    struct ts_siphash_key ip_id_key;
    uint16_t ip_id_table[TS_IP_ID_TABLE];
    uint64_t ip_id_last_addrs;     /* the last (source, destination, protocol) hashed, and its */
    uint64_t ip_id_last_hash;      /* hash: a flow's frames go in runs, one hash per run */
    uint8_t ip_id_last_proto;
    bool ip_id_last_ok;
    ts_time_t icmp_rl_last;        /* ICMP error rate limit: token bucket */
    double icmp_rl_tokens;

    struct ts_arp *arp;
    struct ts_frag *frag;
    struct ts_demux *demux;        /* both protocols */
    struct ts_ports *ports;
    struct ts_udp *udp;
    struct ts_tcp *tcp;
};

/* Count one event: TS_COUNT(s, tcp, drop_bad_checksum). */
#define TS_COUNT(s, proto, name) ((s)->stats.v[TS_CTR_##proto##_##name]++)
#define TS_COUNT_ADD(s, proto, name, n) ((s)->stats.v[TS_CTR_##proto##_##name] += (n))

/* Count a drop and tell the tracer. frame/len may be NULL/0. */
void ts_drop(struct ts_stack *s, ts_time_t now, enum ts_counter_id id, const uint8_t *frame, size_t len);
#define TS_DROP(s, now, proto, name, frame, len) ts_drop((s), (now), TS_CTR_##proto##_##name, (frame), (len))

/* Emit a trace event if tracing is on (cheap when off). */
static inline void ts_trace(struct ts_stack *s, const struct ts_trace_event *ev)
{
    if (s->cfg.trace) s->cfg.trace(s->cfg.trace_arg, ev);
}

/* A TS_SCRATCH_LEN buffer for building one datagram that exceeds a frame (a large UDP
 * datagram, the echo of a reassembled ping), made on first use; NULL when out of memory. Its
 * contents last only until the next call into the stack. */
uint8_t *ts_stack_scratch(struct ts_stack *s);

/* Did the wire vouch for the L4 checksum of the packet being received (offloads)? Then it is
 * not recomputed. Never true for a reassembled datagram (ipv4 clears rx_info first). */
static inline bool ts_rx_csum_trusted(const struct ts_stack *s)
{
    return s->rx_info && (s->rx_info->flags & (TS_FRAME_CSUM_VALID | TS_FRAME_CSUM_PARTIAL));
}

/* Is addr one of ours (our unicast address)? */
static inline int ts_is_our_ip(const struct ts_stack *s, uint32_t addr) { return addr == s->cfg.ip; }

#endif
