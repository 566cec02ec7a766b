/* STUB (to be replaced by the RFC 6056 allocator): sequential. */
#include <stdlib.h>
#include <string.h>
#include "core/ports.h"
#include "core/demux.h"
struct ts_ports { uint16_t low, high, next; enum ts_port_alg alg; };
struct ts_ports *ts_ports_new(uint16_t low, uint16_t high, enum ts_port_alg alg, struct ts_rng *rng)
{ (void)rng; struct ts_ports *p = calloc(1, sizeof *p); if (p) { p->low = low; p->high = high; p->next = low; p->alg = alg; } return p; }
void ts_ports_free(struct ts_ports *p) { free(p); }
uint16_t ts_ports_pick(struct ts_ports *p, const struct ts_demux *d, uint8_t proto, uint32_t laddr, uint32_t raddr, uint16_t rport)
{
    uint32_t n = (uint32_t)p->high - p->low + 1;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t port = p->next; p->next = (p->next == p->high) ? p->low : (uint16_t)(p->next + 1);
        if (!ts_demux_in_use(d, proto, laddr, port, raddr, rport) && !ts_demux_in_use(d, proto, laddr, port, 0, 0) && !ts_demux_in_use(d, proto, 0, port, 0, 0)) return port;
    }
    return 0;
}
const char *ts_port_alg_name(enum ts_port_alg alg) { (void)alg; return "sequential"; }
bool ts_port_alg_parse(const char *name, enum ts_port_alg *alg) { if (strcmp(name, "sequential")) return false; *alg = TS_PORT_ALG_SEQUENTIAL; return true; }
