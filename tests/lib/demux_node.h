/* Demultiplexer entries for the unit tests of stack/core/demux.c and stack/core/ports.c. */
#ifndef TESTS_LIB_DEMUX_NODE_H
#define TESTS_LIB_DEMUX_NODE_H

#include <stdint.h>
#include "core/demux.h"

/* a.b.c.d in host order */
#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define TCP 6
#define UDP 17

/* A node for proto from (la, lp) to (ra, rp); zeros are wildcards. */
static inline struct ts_demux_node demux_node(uint8_t proto, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    struct ts_demux_node n = { 0 };
    n.proto = proto;
    n.laddr = la;
    n.lport = lp;
    n.raddr = ra;
    n.rport = rp;
    return n;
}

#endif
