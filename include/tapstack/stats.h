/*
 * tapstack: counters. Every drop has a reason and a counter named for it.
 * The lists live in include/tapstack/counters/<protocol>.def, one X(proto, name, desc) per line.
 */
#ifndef TAPSTACK_STATS_H
#define TAPSTACK_STATS_H

#include <stdint.h>
#include "tapstack/stack.h"


enum ts_counter_id {
#define X(proto, name, desc) TS_CTR_##proto##_##name,
#include "tapstack/counters/eth.def"
#include "tapstack/counters/arp.def"
#include "tapstack/counters/ipv4.def"
#include "tapstack/counters/icmp.def"
#include "tapstack/counters/udp.def"
#include "tapstack/counters/tcp.def"
#include "tapstack/counters/fault.def"
#undef X
    TS_CTR__COUNT
};

struct ts_stats {
    uint64_t v[TS_CTR__COUNT];
};

/* The stack's counters (read-only view; valid until the stack is freed). */
const struct ts_stats *ts_stack_stats(const struct ts_stack *s);

/* Writable counters, for the driver's own (fault injection) counters. */
struct ts_stats *ts_stack_stats_mut(struct ts_stack *s);

/* The memory the stack holds, by kind: bytes it asked for (allocator overhead not included). */
struct ts_mem_usage {
    unsigned tcp_conns;        /* TCBs, listeners included */
    size_t tcp_tcbs;           /* their control blocks */
    size_t tcp_buffers;        /* send and receive rings with storage (idle connections have none) */
    unsigned tcp_time_wait;    /* TIME_WAIT connections kept as compact records (not TCBs) */
    size_t tcp_time_wait_bytes;
    size_t frames;             /* frame pool carved so far, and large (TSO) frames */
    size_t other;              /* the stack object, scratch buffer, ARP cache, spare ring storage */
    unsigned frames_in_use;    /* frames of the pool taken now (queued, held by TCP or the driver) */
    unsigned frag_dgrams;      /* IPv4 datagrams in reassembly now */
    size_t frag_bytes;         /* the memory they hold (charged against the reassembly cap) */
    unsigned tcp_orphans;      /* of tcp_conns: closed by the application, still carried (cfg.tcp_max_orphans) */
};

/* Fill *m (walks every TCB: for netstat, not for a hot path). */
void ts_stack_memory(const struct ts_stack *s, struct ts_mem_usage *m);

/* Give back what the stack keeps only to reuse (the frame pool's chunks, its large frames, spare
 * TCP ring storage) if none of it was taken or returned since the previous call and no frame is in
 * use; each comes back on demand, as at start. Call it now and then (tapstack up: every 10 s), so
 * that memory returns to its idle size once the load stops. Returns the bytes freed. */
size_t ts_stack_shrink(struct ts_stack *s);

/* "tcp", "drop_bad_checksum", and the description, for counter id (NULL if out of range). */
const char *ts_counter_proto(enum ts_counter_id id);
const char *ts_counter_name(enum ts_counter_id id);
const char *ts_counter_desc(enum ts_counter_id id);

#endif
