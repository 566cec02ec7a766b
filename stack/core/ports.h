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

/* An allocator for ports low..high (inclusive, 1 <= low <= high) using alg. Its secrets (and,
 * for "random", its own generator) are drawn from rng now; rng is not kept (NULL = seed 0).
 * NULL when out of memory or the range or alg is invalid. */
struct ts_ports *ts_ports_new(uint16_t low, uint16_t high, enum ts_port_alg alg, struct ts_rng *rng);
void ts_ports_free(struct ts_ports *p);

/* Pick a local port for a conversation laddr:? -> raddr:rport (raddr=rport=0 for a bound
 * socket with no peer yet) that the demultiplexer shows free. Returns the port, or 0 when every
 * port of the range is taken for that destination (never loops past the range): callers turn 0
 * into TS_EADDRNOTAVAIL. A port is taken when a socket is bound to (laddr, port) or (any, port),
 * or the exact socket pair is in use; with no peer (raddr = rport = 0) or laddr 0, when any
 * socket uses the port. At most high - low + 1 candidates are checked, each in O(1). */
uint16_t ts_ports_pick(struct ts_ports *p, const struct ts_demux *d, uint8_t proto, uint32_t laddr,
                       uint32_t raddr, uint16_t rport);

/* The range and algorithm it was made with. */
void ts_ports_range(const struct ts_ports *p, uint16_t *low, uint16_t *high);
enum ts_port_alg ts_ports_alg(const struct ts_ports *p);

/* "double-hash", "sequential", "random", "simple-hash"; and back (false if unknown). */
const char *ts_port_alg_name(enum ts_port_alg alg);
bool ts_port_alg_parse(const char *name, enum ts_port_alg *alg);

#endif
