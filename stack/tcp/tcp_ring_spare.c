/*
 * Spare ring storage. A connection's rings get storage when the first byte needs it and give it
 * back as soon as they are empty (tcp_rings_trim), so an idle connection holds none. Under
 * request/response load that is an allocation and a free per ring per exchange. It was built
 * when ts_malloc_policy put every ring in a mapping of its own (an mmap threshold of 64 KiB):
 * each exchange then cost an mmap, a munmap with its TLB flush and a page fault per page touched,
 * 40-50 % more of tapstack's CPU per request. The policy's threshold is now 128 KiB, so the
 * default rings (64 KB) come from the heap again, but the heap trimmer gives freed pages back
 * once a second and the next ring would fault them in again; a spare keeps its pages. So a stack
 * keeps up to TCP_RING_SPARE_MAX storages of at most TCP_RING_SPARE_CAP bytes (the default
 * rings, 64 KB) that empty rings gave back, and a ring that needs storage of the same size takes
 * one. What is kept is bounded (2 MB at most) and counted in the stack's memory ("other");
 * everything else is freed at once, as before. Spares nobody took or gave back between two calls
 * of ts_stack_shrink (tapstack up: 10 s apart) are freed, so an idle stack keeps none.
 */
#include "tcp/tcp_impl.h"

void tcp_ring_take(struct ts_stack *s, struct ts_ring *r)
{
    struct ts_tcp *tcp = s->tcp;
    if (r->buf) return;
    for (unsigned i = tcp->nspare; i-- > 0;) {
        if (tcp->spare[i].cap != r->cap) continue;
        ts_ring_adopt(r, tcp->spare[i].buf);
        tcp->spare[i] = tcp->spare[--tcp->nspare];
        s->pool_uses++;
        return;
    }
}

void tcp_ring_put(struct ts_stack *s, struct ts_ring *r)
{
    struct ts_tcp *tcp = s->tcp;
    uint8_t *buf;
    if (r->buf && r->cap <= TCP_RING_SPARE_CAP && tcp->nspare < TCP_RING_SPARE_MAX && (buf = ts_ring_detach(r))) {
        tcp->spare[tcp->nspare].buf = buf;
        tcp->spare[tcp->nspare++].cap = r->cap;
        s->pool_uses++;
        return;
    }
    ts_ring_release(r);
}

size_t tcp_ring_spare_free(struct ts_stack *s)
{
    struct ts_tcp *tcp = s->tcp;
    size_t n = 0;
    while (tcp->nspare) {
        tcp->nspare--;
        n += tcp->spare[tcp->nspare].cap;
        ts_ring_store_free(tcp->spare[tcp->nspare].buf);
    }
    return n;
}

size_t ts_tcp_spare_shrink(struct ts_stack *s)
{
    return s->tcp ? tcp_ring_spare_free(s) : 0;
}

size_t ts_tcp_spare_memory(const struct ts_stack *s)
{
    size_t n = 0;
    if (!s->tcp) return 0;
    for (unsigned i = 0; i < s->tcp->nspare; i++) n += s->tcp->spare[i].cap;
    return n;
}
