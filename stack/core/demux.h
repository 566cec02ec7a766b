/*
 * The socket-pair demultiplexer, shared by UDP and TCP (owner: demux.c).
 *
 * A conversation is found by its socket pair (local addr:port, remote addr:port); failing that a
 * socket bound to (local addr, port); failing that one bound to (any, port). Intrusive: the
 * node lives inside the socket. Lookups are O(1) on average.
 */
#ifndef TS_CORE_DEMUX_H
#define TS_CORE_DEMUX_H

#include <stdbool.h>
#include <stdint.h>

/* Set laddr, raddr, lport, rport and proto before ts_demux_insert; the rest belongs to the
 * demultiplexer. A node with raddr == 0 and rport == 0 is bound (or listening) and goes in the
 * bound table; any other is a connected socket pair and goes in the exact table. */
struct ts_demux_node {
    struct ts_demux_node *next;   /* hash chain */
    uint32_t laddr, raddr;        /* host order; raddr 0 = not connected (bound/listening) */
    uint16_t lport, rport;        /* rport 0 = not connected */
    uint8_t proto;                /* 6 or 17 */
    uint8_t in_table;             /* 1 while inserted */
    uint8_t kind;                 /* what holds it: 0 a socket, TS_DEMUX_TCP_TW a TCP TIME_WAIT record */
    uint32_t hash;                /* keyed hash of the five fields, set by insert */
};

enum { TS_DEMUX_TCP_TW = 1 };

struct ts_demux;

/* Make an empty table (NULL when out of memory); it grows as sockets are added. */
struct ts_demux *ts_demux_new(uint64_t hash_key0, uint64_t hash_key1);
void ts_demux_free(struct ts_demux *d);

/* Add a node with its fields set. Fails (-TS_EADDRINUSE) if the same key is already in, and
 * (-TS_EINVAL) if proto is neither 6 nor 17 or the node is already in a table. Never allocates
 * except to grow the table; if growing fails the node still goes in (chains get longer). */
int ts_demux_insert(struct ts_demux *d, struct ts_demux_node *n);

/* Remove a node that is in the table; safe to call on one that is not. O(1) on average. */
void ts_demux_remove(struct ts_demux *d, struct ts_demux_node *n);

/* Find the node for an arriving segment: exact pair, then (laddr,lport) bound, then (0,lport).
 * The last connected node found is remembered (until it is removed): a run of segments of one
 * connection costs one hash. */
struct ts_demux_node *ts_demux_lookup(struct ts_demux *d, uint8_t proto, uint32_t laddr,
                                      uint16_t lport, uint32_t raddr, uint16_t rport);

/* Is this exact socket pair (or, with raddr=rport=0, this bound local endpoint) taken? */
bool ts_demux_in_use(const struct ts_demux *d, uint8_t proto, uint32_t laddr, uint16_t lport,
                     uint32_t raddr, uint16_t rport);

/* Is any socket (connected or bound, any address) using local port lport? */
bool ts_demux_port_used(const struct ts_demux *d, uint8_t proto, uint16_t lport);

/* How many sockets (connected and bound) use local port lport. O(1). */
unsigned ts_demux_port_users(const struct ts_demux *d, uint8_t proto, uint16_t lport);

/* Number of nodes. */
unsigned ts_demux_count(const struct ts_demux *d);

/* The tables' shape, for tests and benchmarks: counts, bucket counts, longest chains. O(n). */
struct ts_demux_shape {
    unsigned exact_count, exact_buckets, exact_longest_chain;
    unsigned bound_count, bound_buckets, bound_longest_chain;
};
void ts_demux_shape(const struct ts_demux *d, struct ts_demux_shape *out);

/* Visit every node (for netstat); stop early when fn returns false. fn may remove the node it
 * is given (nothing else) and must not insert. */
void ts_demux_foreach(const struct ts_demux *d, bool (*fn)(void *arg, struct ts_demux_node *n),
                      void *arg);

#endif
