/* STUB (to be replaced by the demultiplexer module): a linear list. */
#include <stdlib.h>
#include "core/demux.h"
#include "tapstack/socket.h"
struct ts_demux { struct ts_demux_node *head; unsigned n; };
struct ts_demux *ts_demux_new(uint64_t k0, uint64_t k1) { (void)k0; (void)k1; return calloc(1, sizeof(struct ts_demux)); }
void ts_demux_free(struct ts_demux *d) { free(d); }
static int same(const struct ts_demux_node *a, uint8_t proto, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{ return a->proto == proto && a->laddr == la && a->lport == lp && a->raddr == ra && a->rport == rp; }
int ts_demux_insert(struct ts_demux *d, struct ts_demux_node *n)
{
    if (ts_demux_in_use(d, n->proto, n->laddr, n->lport, n->raddr, n->rport)) return -TS_EADDRINUSE;
    n->next = d->head; d->head = n; n->in_table = 1; d->n++; return 0;
}
void ts_demux_remove(struct ts_demux *d, struct ts_demux_node *n)
{
    for (struct ts_demux_node **pp = &d->head; *pp; pp = &(*pp)->next)
        if (*pp == n) { *pp = n->next; n->in_table = 0; d->n--; return; }
}
static struct ts_demux_node *find(const struct ts_demux *d, uint8_t proto, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    for (struct ts_demux_node *n = d->head; n; n = n->next) if (same(n, proto, la, lp, ra, rp)) return n;
    return NULL;
}
struct ts_demux_node *ts_demux_lookup(const struct ts_demux *d, uint8_t proto, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    struct ts_demux_node *n = find(d, proto, la, lp, ra, rp);
    if (!n) n = find(d, proto, la, lp, 0, 0);
    if (!n) n = find(d, proto, 0, lp, 0, 0);
    return n;
}
bool ts_demux_in_use(const struct ts_demux *d, uint8_t proto, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{ return find(d, proto, la, lp, ra, rp) != NULL; }
bool ts_demux_port_used(const struct ts_demux *d, uint8_t proto, uint16_t lport)
{ for (struct ts_demux_node *n = d->head; n; n = n->next) if (n->proto == proto && n->lport == lport) return true; return false; }
unsigned ts_demux_count(const struct ts_demux *d) { return d->n; }
void ts_demux_foreach(const struct ts_demux *d, bool (*fn)(void *, struct ts_demux_node *), void *arg)
{ for (struct ts_demux_node *n = d->head, *nx; n; n = nx) { nx = n->next; if (!fn(arg, n)) return; } }
