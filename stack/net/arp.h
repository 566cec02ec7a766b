/*
 * ARP (RFC 826) for IPv4 over Ethernet: a bounded neighbour cache with timeouts, a pending
 * queue per neighbour so the first packets to a new neighbour are not lost, and rate-limited
 * requests. The module's entry points for the stack are in core/modules.h; this header is the
 * read-only view for netstat.
 */
#ifndef TS_NET_ARP_H
#define TS_NET_ARP_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"

#define TS_ARP_REACHABLE_TIME TS_SEC(60)   /* an answer is trusted this long */
#define TS_ARP_STALE_TIME TS_SEC(120)      /* then used while re-asked, and forgotten after this */
#define TS_ARP_RETRY_TIME TS_SEC(1)        /* one request per neighbour per second */
#define TS_ARP_MAX_TRIES 3                 /* then the pending packets are dropped */
#define TS_ARP_PENDING_PER_NEIGH 64        /* a 64 KB UDP datagram is 45 fragments */
#define TS_ARP_PENDING_TOTAL 512
#define TS_ARP_REQUESTS_PER_SEC 50         /* global cap on requests sent */

enum ts_arp_state {
    TS_ARP_FREE = 0,
    TS_ARP_INCOMPLETE,   /* asked, no answer yet; packets wait in the pending queue */
    TS_ARP_REACHABLE,    /* answered recently */
    TS_ARP_STALE,        /* answer older than REACHABLE_TIME: still used, asked again on use */
    TS_ARP_STATIC,       /* put there by hand; never expires */
};

struct ts_arp_view {
    uint32_t ip;
    uint8_t mac[6];
    enum ts_arp_state state;
    ts_time_t updated;   /* when the entry was last confirmed (or created) */
    unsigned pending;    /* packets waiting for resolution */
    unsigned tries;      /* requests sent since the last answer */
};

/* "incomplete", "reachable", "stale", "static". */
const char *ts_arp_state_name(enum ts_arp_state st);

/* Visit every cache entry in use; stop when fn returns false. */
void ts_arp_foreach(const struct ts_stack *s, bool (*fn)(void *arg, const struct ts_arp_view *e),
                    void *arg);

#endif
