/*
 * The socket-pair demultiplexer shared by UDP and TCP.
 *
 * Two chained hash tables of intrusive nodes, both keyed with SipHash-2-4 under a per-stack key
 * (so a peer cannot aim its socket pairs at one chain):
 *   exact - connected sockets, keyed by (proto, laddr, lport, raddr, rport);
 *   bound - bound and listening sockets, keyed by (proto, laddr, lport), laddr 0 = any address.
 * An arriving segment is matched to the exact pair first, then to (laddr, lport), then to
 * (0, lport): a connection beats the listener that spawned it, and a listener on one address
 * beats a wildcard listener on the same port.
 *
 * Each table doubles when it holds more nodes than buckets (load factor <= 1), up to
 * TS_DEMUX_MAX_BUCKETS, so lookups stay O(1) on average from ten sockets to hundreds of
 * thousands. Each node keeps its 32-bit hash: a rehash never recomputes SipHash, and chain walks
 * compare the hash before the fields. A per-protocol array counts the sockets on each local
 * port, and a second how many of those are bound, which answers ts_demux_port_used in O(1) and
 * lets a lookup for a port nobody uses return at once without hashing (a port scan costs one
 * array read per probe), and a bound-table probe be skipped on a port with no bound socket.
 *
 * The connected node a lookup found last is remembered and compared first (a bulk transfer's
 * every segment belongs to one connection: one SipHash per run instead of one per segment, which
 * was 1-2 % of the CPU); removing the node forgets it.
 *
 * No allocation happens on lookup or removal; insertion allocates only when a table grows.
 */
#include <stdlib.h>
#include <string.h>
#include "core/demux.h"
#include "core/rand.h"
#include "tapstack/socket.h"

#define TS_DEMUX_MIN_BUCKETS 16u
#define TS_DEMUX_MAX_BUCKETS (1u << 20)   /* 8 MiB of chain heads per table at most */
#define TS_DEMUX_PORT_BLOCK 256u   /* port counts live in blocks of 256 ports, made on first use */
#define TS_DEMUX_PORT_BLOCKS (65536u / TS_DEMUX_PORT_BLOCK)

struct ts_port_count {
    uint32_t users;                /* sockets on the local port */
    uint16_t bound;                /* of which bound/listening (one per local address at most) */
};

struct ts_demux_table {
    struct ts_demux_node **bucket;
    uint32_t mask;                 /* buckets - 1 (a power of two) */
    unsigned count;
};

struct ts_demux {
    struct ts_siphash_key key;
    struct ts_demux_table exact, bound;
    struct ts_demux_node *last;    /* the connected node the last lookup found (in exact), or NULL */
    /* [0] TCP, [1] UDP: per-port counts, two levels so a new stack allocates none of them */
    struct ts_port_count *ports[2][TS_DEMUX_PORT_BLOCKS];
};

static const struct ts_port_count no_users;

/* The counts for a port (all zero when its block was never made). */
static const struct ts_port_count *port_count(const struct ts_demux *d, int slot, uint16_t port)
{
    const struct ts_port_count *b = d->ports[slot][port / TS_DEMUX_PORT_BLOCK];
    return b ? &b[port % TS_DEMUX_PORT_BLOCK] : &no_users;
}

/* The counts for a port, making its block if needed (NULL when out of memory). */
static struct ts_port_count *port_count_mut(struct ts_demux *d, int slot, uint16_t port)
{
    struct ts_port_count **b = &d->ports[slot][port / TS_DEMUX_PORT_BLOCK];
    if (!*b) *b = calloc(TS_DEMUX_PORT_BLOCK, sizeof **b);
    return *b ? &(*b)[port % TS_DEMUX_PORT_BLOCK] : NULL;
}

/* 0 for TCP, 1 for UDP, -1 for anything else. */
static int proto_slot(uint8_t proto)
{
    return proto == 6 ? 0 : proto == 17 ? 1 : -1;
}

static bool is_connected(const struct ts_demux_node *n)
{
    return n->raddr != 0 || n->rport != 0;
}

/* The keyed hash of a five-tuple. The key bytes are laid out explicitly (no struct padding). */
static uint32_t key_hash(const struct ts_demux *d, uint8_t proto, uint32_t laddr, uint16_t lport,
                         uint32_t raddr, uint16_t rport)
{
    uint8_t k[13];
    memcpy(k, &laddr, 4);
    memcpy(k + 4, &raddr, 4);
    memcpy(k + 8, &lport, 2);
    memcpy(k + 10, &rport, 2);
    k[12] = proto;
    return (uint32_t)ts_siphash(&d->key, k, sizeof k);
}

static bool node_is(const struct ts_demux_node *n, uint32_t h, uint8_t proto, uint32_t laddr,
                    uint16_t lport, uint32_t raddr, uint16_t rport)
{
    return n->hash == h && n->lport == lport && n->laddr == laddr && n->rport == rport &&
           n->raddr == raddr && n->proto == proto;
}

static int table_init(struct ts_demux_table *t)
{
    t->bucket = calloc(TS_DEMUX_MIN_BUCKETS, sizeof *t->bucket);
    t->mask = TS_DEMUX_MIN_BUCKETS - 1;
    t->count = 0;
    return t->bucket ? 0 : -1;
}

static struct ts_demux_node *table_find(const struct ts_demux_table *t, uint32_t h, uint8_t proto,
                                        uint32_t laddr, uint16_t lport, uint32_t raddr,
                                        uint16_t rport)
{
    for (struct ts_demux_node *n = t->bucket[h & t->mask]; n; n = n->next)
        if (node_is(n, h, proto, laddr, lport, raddr, rport))
            return n;
    return NULL;
}

/* Double the bucket array and move every node (by its stored hash). If memory is short the
 * table keeps its size: still correct, only the chains get longer. */
static void table_grow(struct ts_demux_table *t)
{
    uint32_t old_n = t->mask + 1, new_n = old_n * 2;
    if (new_n > TS_DEMUX_MAX_BUCKETS)
        return;
    struct ts_demux_node **nb = calloc(new_n, sizeof *nb);
    if (!nb)
        return;
    for (uint32_t i = 0; i < old_n; i++) {
        struct ts_demux_node *n = t->bucket[i], *next;
        for (; n; n = next) {
            next = n->next;
            struct ts_demux_node **head = &nb[n->hash & (new_n - 1)];
            n->next = *head;
            *head = n;
        }
    }
    free(t->bucket);
    t->bucket = nb;
    t->mask = new_n - 1;
}

struct ts_demux *ts_demux_new(uint64_t hash_key0, uint64_t hash_key1)
{
    struct ts_demux *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->key.k0 = hash_key0;
    d->key.k1 = hash_key1;
    if (table_init(&d->exact) || table_init(&d->bound)) {
        ts_demux_free(d);
        return NULL;
    }
    return d;
}

void ts_demux_free(struct ts_demux *d)
{
    if (!d)
        return;
    free(d->exact.bucket);
    free(d->bound.bucket);
    for (int slot = 0; slot < 2; slot++)
        for (unsigned i = 0; i < TS_DEMUX_PORT_BLOCKS; i++)
            free(d->ports[slot][i]);
    free(d);
}

int ts_demux_insert(struct ts_demux *d, struct ts_demux_node *n)
{
    int slot = proto_slot(n->proto);
    if (slot < 0 || n->in_table)
        return -TS_EINVAL;
    bool conn = is_connected(n);
    struct ts_demux_table *t = conn ? &d->exact : &d->bound;
    struct ts_port_count *pc = port_count_mut(d, slot, n->lport);
    if (!pc || (!conn && pc->bound == UINT16_MAX))
        return -TS_ENOMEM;   /* 65535 local addresses bound to one port: not reachable in practice */
    uint32_t h = key_hash(d, n->proto, n->laddr, n->lport, n->raddr, n->rport);
    if (pc->users &&
        table_find(t, h, n->proto, n->laddr, n->lport, n->raddr, n->rport))
        return -TS_EADDRINUSE;
    if (t->count >= t->mask + 1)
        table_grow(t);
    n->hash = h;
    struct ts_demux_node **head = &t->bucket[h & t->mask];
    n->next = *head;
    *head = n;
    n->in_table = 1;
    t->count++;
    pc->users++;
    if (!conn)
        pc->bound++;
    return 0;
}

void ts_demux_remove(struct ts_demux *d, struct ts_demux_node *n)
{
    if (!n->in_table)
        return;
    if (d->last == n)
        d->last = NULL;
    bool conn = is_connected(n);
    struct ts_demux_table *t = conn ? &d->exact : &d->bound;
    for (struct ts_demux_node **pp = &t->bucket[n->hash & t->mask]; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            n->in_table = 0;
            t->count--;
            struct ts_port_count *pc = port_count_mut(d, proto_slot(n->proto), n->lport);
            pc->users--;     /* the block exists: insert made it */
            if (!conn)
                pc->bound--;
            return;
        }
    }
}

struct ts_demux_node *ts_demux_lookup(struct ts_demux *d, uint8_t proto, uint32_t laddr,
                                      uint16_t lport, uint32_t raddr, uint16_t rport)
{
    int slot = proto_slot(proto);
    if (slot < 0)
        return NULL;
    const struct ts_port_count *pc = port_count(d, slot, lport);
    if (pc->users == 0)
        return NULL;
    struct ts_demux_node *n;
    if (d->exact.count && (raddr || rport)) {
        n = d->last;
        if (n && n->lport == lport && n->rport == rport && n->laddr == laddr && n->raddr == raddr &&
            n->proto == proto)
            return n;
        n = table_find(&d->exact, key_hash(d, proto, laddr, lport, raddr, rport), proto, laddr,
                       lport, raddr, rport);
        if (n) {
            d->last = n;
            return n;
        }
    }
    if (pc->bound == 0)
        return NULL;
    n = table_find(&d->bound, key_hash(d, proto, laddr, lport, 0, 0), proto, laddr, lport, 0, 0);
    if (n || laddr == 0)
        return n;
    return table_find(&d->bound, key_hash(d, proto, 0, lport, 0, 0), proto, 0, lport, 0, 0);
}

bool ts_demux_in_use(const struct ts_demux *d, uint8_t proto, uint32_t laddr, uint16_t lport,
                     uint32_t raddr, uint16_t rport)
{
    int slot = proto_slot(proto);
    if (slot < 0)
        return false;
    const struct ts_port_count *pc = port_count(d, slot, lport);
    if (pc->users == 0)
        return false;
    bool conn = raddr || rport;
    const struct ts_demux_table *t = conn ? &d->exact : &d->bound;
    if (!t->count || (!conn && pc->bound == 0))
        return false;
    return table_find(t, key_hash(d, proto, laddr, lport, raddr, rport), proto, laddr, lport,
                      raddr, rport) != NULL;
}

bool ts_demux_port_used(const struct ts_demux *d, uint8_t proto, uint16_t lport)
{
    int slot = proto_slot(proto);
    return slot >= 0 && port_count(d, slot, lport)->users != 0;
}

unsigned ts_demux_port_users(const struct ts_demux *d, uint8_t proto, uint16_t lport)
{
    int slot = proto_slot(proto);
    return slot < 0 ? 0 : port_count(d, slot, lport)->users;
}

unsigned ts_demux_count(const struct ts_demux *d)
{
    return d->exact.count + d->bound.count;
}

static bool table_foreach(const struct ts_demux_table *t,
                          bool (*fn)(void *arg, struct ts_demux_node *n), void *arg)
{
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct ts_demux_node *n = t->bucket[i], *next;
        for (; n; n = next) {
            next = n->next;
            if (!fn(arg, n))
                return false;
        }
    }
    return true;
}

void ts_demux_foreach(const struct ts_demux *d, bool (*fn)(void *arg, struct ts_demux_node *n),
                      void *arg)
{
    if (table_foreach(&d->bound, fn, arg))
        table_foreach(&d->exact, fn, arg);
}

static void table_shape(const struct ts_demux_table *t, unsigned *buckets, unsigned *longest)
{
    *buckets = t->mask + 1;
    *longest = 0;
    for (uint32_t i = 0; i <= t->mask; i++) {
        unsigned len = 0;
        for (const struct ts_demux_node *n = t->bucket[i]; n; n = n->next)
            len++;
        if (len > *longest)
            *longest = len;
    }
}

void ts_demux_shape(const struct ts_demux *d, struct ts_demux_shape *out)
{
    out->exact_count = d->exact.count;
    out->bound_count = d->bound.count;
    table_shape(&d->exact, &out->exact_buckets, &out->exact_longest_chain);
    table_shape(&d->bound, &out->bound_buckets, &out->bound_longest_chain);
}
