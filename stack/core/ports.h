/*
 * RFC 6056 ephemeral port allocation (owner: ports.c).
 */
#ifndef TS_CORE_PORTS_H
#define TS_CORE_PORTS_H

#include <stdint.h>
#include "tapstack/stack.h"
#include "core/rand.h"

struct ts_demux;
struct ts_ports;

/* An allocator for ports low..high (inclusive, 1 <= low <= high) using alg, keyed from rng. */
struct ts_ports *ts_ports_new(uint16_t low, uint16_t high, enum ts_port_alg alg, struct ts_rng *rng);
void ts_ports_free(struct ts_ports *p);

/* Pick a local port for a conversation laddr:? -> raddr:rport (raddr=rport=0 for a bound
 * socket with no peer yet) that the demultiplexer shows free. Returns the port, or 0 when every
 * port of the range is taken for that destination (never loops past the range). */
uint16_t ts_ports_pick(struct ts_ports *p, const struct ts_demux *d, uint8_t proto, uint32_t laddr,
                       uint32_t raddr, uint16_t rport);

/* "double-hash", "sequential", "random", "simple-hash"; and back (false if unknown). */
const char *ts_port_alg_name(enum ts_port_alg alg);
bool ts_port_alg_parse(const char *name, enum ts_port_alg *alg);

#endif
