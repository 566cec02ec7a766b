/*
 * Orphans: connections the application has closed (ts_tcp_close) that TCP still carries to their
 * end: FIN_WAIT_1, CLOSING and LAST_ACK while data or the FIN is unacknowledged, FIN_WAIT_2 while
 * the peer's FIN is awaited. Nobody will read from them or close them again, so a peer that keeps
 * them alive (acknowledging slowly, answering window probes with a zero window, sending data)
 * could pin their memory for as long as it likes (issue 25). The bounds, after Linux's
 * (tcp_max_orphans, tcp_orphan_retries, tcp_fin_timeout) with one difference:
 *  - at most cfg.tcp_max_orphans orphans (default a quarter of the TCP connection limit); past it
 *    the OLDEST orphan is reset (Linux resets the one being closed, which cuts the tail of a real
 *    client's last response while the attacker's long-lived orphans stay; the oldest is the one a
 *    live attacker has kept longest);
 *  - 8 retransmissions, or 8 window probes in a row answered with a zero window, instead of 15
 *    and forever (TS_TCP_ORPHAN_RETRIES, tcp_timer.c), then a reset;
 *  - FIN_WAIT_2: TS_TCP_FIN_WAIT_2_ORPHAN (60 s) from entry, not restarted by anything the peer
 *    sends (tcp.c, tcp_timer.c);
 *  - data arriving after the close is acknowledged and discarded (tcp_input.c): the receive ring
 *    is given back at the close and never allocated again.
 * TIME_WAIT is not an orphan: it holds no buffer and ends by its own timer.
 */
#include "tcp/tcp_impl.h"

#include "core/stack_impl.h"

static unsigned max_orphans(const struct ts_stack *s)
{
    if (s->cfg.tcp_max_orphans) return s->cfg.tcp_max_orphans;
    unsigned conns = s->cfg.tcp_max_conns ? s->cfg.tcp_max_conns : 65536;
    return conns / 4 ? conns / 4 : 1;
}

static void unlink_orphan(struct ts_tcp *tcp, struct ts_tcb *t)
{
    if (t->orph_prev) t->orph_prev->orph_next = t->orph_next;
    else tcp->orph_head = t->orph_next;
    if (t->orph_next) t->orph_next->orph_prev = t->orph_prev;
    else tcp->orph_tail = t->orph_prev;
    t->orph_prev = t->orph_next = NULL;
    t->orphan = false;
    tcp->norphans--;
}

void tcp_orphan_reset(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const char *why)
{
    if (t->state == TS_TCP_SYN_RECEIVED || (tcp_synchronized(t->state) && t->state != TS_TCP_TIME_WAIT))
        tcp_send_rst_own(s, now, t);
    tcp_set_state(s, t, TS_TCP_CLOSED, why, now);
}

void tcp_orphan_add(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct ts_tcp *tcp = s->tcp;
    if (t->orphan || t->state == TS_TCP_CLOSED || t->state == TS_TCP_TIME_WAIT) return;
    if (t->rcv.len == 0 && t->reass.n == 0) tcp_ring_put(s, &t->rcv);   /* nobody will read it */
    t->orphan = true;
    t->orph_next = NULL;
    t->orph_prev = tcp->orph_tail;
    if (tcp->orph_tail) tcp->orph_tail->orph_next = t;
    else tcp->orph_head = t;
    tcp->orph_tail = t;
    tcp->norphans++;
    /* Bounded: each round closes the head (which leaves the list through tcp_set_state). */
    for (unsigned k = 0; tcp->norphans > max_orphans(s) && tcp->orph_head && k < 64; k++) {
        TS_COUNT(s, tcp, orphans_reset_limit);
        tcp_orphan_reset(s, tcp->orph_head, now, "too many orphans: the oldest reset");
    }
}

void tcp_orphan_gone(struct ts_stack *s, struct ts_tcb *t)
{
    if (t->orphan) unlink_orphan(s->tcp, t);
}

unsigned ts_tcp_orphans(const struct ts_stack *s)
{
    return s->tcp ? s->tcp->norphans : 0;
}
