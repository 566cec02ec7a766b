/*
 * RFC 6056 ephemeral port selection.
 *
 * Every algorithm walks the range low..high as a circle: it picks a starting point, then steps
 * by one until it finds a port the demultiplexer shows free for the conversation, and gives up
 * after exactly num = high - low + 1 candidates. So a free port is always found if one exists,
 * and a full range costs num checks, never more. The algorithms differ only in the start:
 *
 *   sequential   one counter for everything (the traditional BSD way; predictable, for tests)
 *   random       §3.3.1 algorithm 1: a fresh random start for every pick
 *   simple-hash  §3.3.3 algorithm 3: F(laddr, raddr, rport, secret1) + one global counter
 *   double-hash  §3.3.4 algorithm 4 (the default): F(laddr, raddr, rport, secret1) + a counter
 *                chosen by G(laddr, raddr, rport, secret2) among TS_PORTS_TABLE_LEN
 *
 * With the hash algorithms the ports used towards one destination follow each other (few
 * collisions with our own earlier connections, slow reuse of a recent socket pair), while the
 * ports used towards different destinations start at unrelated, secret offsets (an off-path
 * attacker cannot guess them from one he observed). The counters are kept modulo num, so no
 * wrap of a 16-bit counter can break the walk.
 *
 * A candidate is suitable when no socket uses the port at all (one array read in the
 * demultiplexer); otherwise, for a connection with a known peer and local address, when no
 * socket is bound to (laddr, port) or (any, port) and the exact socket pair is free. A socket
 * with no peer yet (raddr = rport = 0), or no local address, needs a port nobody uses.
 */
#include <stdlib.h>
#include <string.h>
#include "core/ports.h"
#include "core/demux.h"

#define TS_PORTS_TABLE_LEN 1024u

struct ts_ports {
    uint16_t low, high;
    uint32_t num;                          /* high - low + 1 */
    enum ts_port_alg alg;
    struct ts_rng rng;                     /* our own stream, for algorithm 1 */
    struct ts_siphash_key secret1, secret2;
    uint32_t counter;                      /* sequential and algorithm 3; in [0, num) */
    uint32_t table[TS_PORTS_TABLE_LEN];    /* algorithm 4; each in [0, num) */
    uint8_t table_set[TS_PORTS_TABLE_LEN / 8];  /* entries given their random start yet */
};

struct ts_ports *ts_ports_new(uint16_t low, uint16_t high, enum ts_port_alg alg, struct ts_rng *rng)
{
    if (low == 0 || low > high || (unsigned)alg > TS_PORT_ALG_SIMPLE_HASH)
        return NULL;
    struct ts_ports *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    struct ts_rng fallback;
    if (!rng) {
        ts_rng_seed(&fallback, 0);
        rng = &fallback;
    }
    p->low = low;
    p->high = high;
    p->num = (uint32_t)high - low + 1;
    p->alg = alg;
    ts_rng_seed(&p->rng, ts_rng_next(rng));
    p->secret1 = ts_rng_key(rng);
    p->secret2 = ts_rng_key(rng);
    p->counter = 0;     /* sequential starts at low: the traditional, predictable order */
    if (alg == TS_PORT_ALG_SIMPLE_HASH)
        p->counter = ts_rng_below(rng, p->num);
    /* RFC 6056 starts every table entry at a random value; each is drawn from the allocator's
     * own stream when first used, so that making a stack costs 1024 fewer draws. */
    return p;
}

void ts_ports_free(struct ts_ports *p)
{
    free(p);
}

/* SipHash of (laddr, raddr, rport) under key: F with secret1, G with secret2. */
static uint32_t dest_hash(const struct ts_siphash_key *key, uint32_t laddr, uint32_t raddr,
                          uint16_t rport)
{
    uint8_t k[10];
    memcpy(k, &laddr, 4);
    memcpy(k + 4, &raddr, 4);
    memcpy(k + 8, &rport, 2);
    return (uint32_t)ts_siphash(key, k, sizeof k);
}

/* May the conversation laddr:port -> raddr:rport use port? (see the file comment) */
static bool port_suitable(const struct ts_demux *d, uint8_t proto, uint32_t laddr, uint16_t port,
                          uint32_t raddr, uint16_t rport)
{
    if (!ts_demux_port_used(d, proto, port))
        return true;
    if (laddr == 0 || (raddr == 0 && rport == 0))
        return false;
    if (ts_demux_in_use(d, proto, 0, port, 0, 0) || ts_demux_in_use(d, proto, laddr, port, 0, 0))
        return false;
    return !ts_demux_in_use(d, proto, laddr, port, raddr, rport);
}

/* Walk the circle from start (in [0, num)); return the first suitable port, or 0 after num
 * candidates. *steps gets the number of candidates consumed. */
static uint16_t walk(const struct ts_ports *p, const struct ts_demux *d, uint8_t proto,
                     uint32_t laddr, uint32_t raddr, uint16_t rport, uint32_t start,
                     uint32_t *steps)
{
    uint32_t pos = start;
    for (uint32_t i = 0; i < p->num; i++) {
        uint16_t port = (uint16_t)(p->low + pos);
        if (port_suitable(d, proto, laddr, port, raddr, rport)) {
            *steps = i + 1;
            return port;
        }
        if (++pos == p->num)
            pos = 0;
    }
    *steps = p->num;
    return 0;
}

uint16_t ts_ports_pick(struct ts_ports *p, const struct ts_demux *d, uint8_t proto, uint32_t laddr,
                       uint32_t raddr, uint16_t rport)
{
    uint32_t start, steps, *counter = &p->counter;
    switch (p->alg) {
    case TS_PORT_ALG_SEQUENTIAL:
        start = p->counter;
        break;
    case TS_PORT_ALG_RANDOM:
        start = ts_rng_below(&p->rng, p->num);
        counter = NULL;
        break;
    case TS_PORT_ALG_SIMPLE_HASH:
        start = (dest_hash(&p->secret1, laddr, raddr, rport) % p->num + p->counter) % p->num;
        break;
    case TS_PORT_ALG_DOUBLE_HASH:
    default:
    {
        uint32_t i = (uint32_t)(dest_hash(&p->secret2, laddr, raddr, rport) % TS_PORTS_TABLE_LEN);
        if (!(p->table_set[i / 8] & (1u << (i % 8)))) {
            p->table[i] = ts_rng_below(&p->rng, p->num);
            p->table_set[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        counter = &p->table[i];
    }
        start = (dest_hash(&p->secret1, laddr, raddr, rport) % p->num + *counter) % p->num;
        break;
    }
    uint16_t port = walk(p, d, proto, laddr, raddr, rport, start, &steps);
    if (counter)   /* RFC 6056: the counter moves once per candidate tried */
        *counter = (uint32_t)(((uint64_t)*counter + steps) % p->num);
    return port;
}

void ts_ports_range(const struct ts_ports *p, uint16_t *low, uint16_t *high)
{
    *low = p->low;
    *high = p->high;
}

enum ts_port_alg ts_ports_alg(const struct ts_ports *p)
{
    return p->alg;
}

static const char *const alg_names[] = {
    [TS_PORT_ALG_DOUBLE_HASH] = "double-hash",
    [TS_PORT_ALG_SEQUENTIAL] = "sequential",
    [TS_PORT_ALG_RANDOM] = "random",
    [TS_PORT_ALG_SIMPLE_HASH] = "simple-hash",
};

const char *ts_port_alg_name(enum ts_port_alg alg)
{
    if ((unsigned)alg >= sizeof alg_names / sizeof alg_names[0])
        return "unknown";
    return alg_names[alg];
}

bool ts_port_alg_parse(const char *name, enum ts_port_alg *alg)
{
    for (unsigned i = 0; name && i < sizeof alg_names / sizeof alg_names[0]; i++) {
        if (strcmp(name, alg_names[i]) == 0) {
            *alg = (enum ts_port_alg)i;
            return true;
        }
    }
    return false;
}
