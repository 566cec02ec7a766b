/*
 * TIME_WAIT as a compact record (as Linux's timewait sockets): once a connection in TIME_WAIT
 * has no application handle, its TCB (about 1 KB) is replaced by a struct tcp_tw holding only
 * what TIME_WAIT still needs: the socket pair (in the demultiplexer, so the pair stays taken and
 * segments find it), the sequence and timestamp state, and the 2*MSL deadline.
 *
 * The RFC 9293 TIME-WAIT rules are not written twice: a segment that meets a record thaws it
 * back into a TCB (tcp_tw_thaw), the ordinary input code handles it, and the connection, if
 * still in TIME_WAIT at the end of the call, is frozen again (tcp_reap). Records expire in
 * deadline order from a list: every one waits the same 2*MSL, so a new one goes at the tail.
 */
#include <stdlib.h>
#include <string.h>
#include "tcp/tcp_impl.h"
#include "core/demux.h"

struct tcp_tw {
    struct ts_demux_node node;      /* first: the demultiplexer finds it (kind TS_DEMUX_TCP_TW) */
    struct tcp_tw *prev, *next;     /* in deadline order */
    ts_time_t expires;              /* end of 2*MSL */
    ts_time_t ts_recent_age, chal_start;
    uint32_t flags;                 /* the TCB's TF_* (SACK, window scaling, FIN received ...) */
    uint32_t snd_nxt;               /* = SND.UNA = SND.MAX: our FIN is acknowledged */
    uint32_t rcv_nxt, rcv_wnd, max_snd_wnd;   /* Last.ACK.sent is RCV.NXT: nothing was owed */
    uint32_t rcv_cap;               /* the receive buffer's size (any size) */
    uint32_t ts_recent, ts_offset;
    uint16_t mss;
    uint8_t snd_wscale, rcv_wscale, chal_count;
    bool ts_ok;
};

size_t tcp_tw_size(void) { return sizeof(struct tcp_tw); }

/* Into the deadline-ordered list: from the tail back (a fresh record is the latest). */
static void tw_link(struct ts_tcp *tcp, struct tcp_tw *w)
{
    struct tcp_tw *p = tcp->tw_tail;
    while (p && p->expires > w->expires) p = p->prev;
    w->prev = p;
    w->next = p ? p->next : tcp->tw_head;
    if (w->next) w->next->prev = w; else tcp->tw_tail = w;
    if (p) p->next = w; else tcp->tw_head = w;
    tcp->ntw++;
}

static void tw_unlink(struct ts_tcp *tcp, struct tcp_tw *w)
{
    if (w->prev) w->prev->next = w->next; else tcp->tw_head = w->next;
    if (w->next) w->next->prev = w->prev; else tcp->tw_tail = w->prev;
    tcp->ntw--;
}

/* Remove and free a record (the pair is free again). */
static void tw_free(struct ts_stack *s, struct tcp_tw *w)
{
    tw_unlink(s->tcp, w);
    ts_demux_remove(s->demux, &w->node);
    s->tcp->nconns--;
    free(w);
}

void tcp_tw_freeze_later(struct ts_stack *s, struct ts_tcb *t)
{
    if (t->flags & (TF_DEAD | TF_FREEZE)) return;
    t->flags |= TF_FREEZE;
    t->reap_next = s->tcp->reap;
    s->tcp->reap = t;
}

/* Only a TCB that TIME_WAIT alone keeps: no handle, nothing owed, no timer but 2*MSL. */
static bool freezable(const struct ts_tcb *t)
{
    if (t->state != TS_TCP_TIME_WAIT || !tcp_app_gone(t) || t->listener || t->rcv.len || t->reass.n ||
        (t->flags & (TF_ACKNOW | TF_BLOCKED)) || t->snd_una != t->snd_max || t->snd_nxt != t->snd_max ||
        (t->ts_ok && t->last_ack_sent != t->rcv_nxt))
        return false;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++)
        if (i != TS_TCP_T_2MSL && t->timer[i] != TS_TIME_NEVER) return false;
    return t->timer[TS_TCP_T_2MSL] != TS_TIME_NEVER;
}

bool tcp_tw_freeze(struct ts_stack *s, struct ts_tcb *t)
{
    if (!freezable(t)) return false;
    struct tcp_tw *w = calloc(1, sizeof *w);
    if (!w) return false;                     /* it stays a TCB: correct, only larger */
    w->expires = t->timer[TS_TCP_T_2MSL];
    w->ts_recent_age = t->ts_recent_age;
    w->chal_start = t->chal_start;
    w->flags = t->flags & ~(TF_FREEZE | TF_DEAD);
    w->snd_nxt = t->snd_nxt;
    w->rcv_nxt = t->rcv_nxt;
    w->rcv_wnd = t->rcv_adv - t->rcv_nxt;
    w->rcv_cap = t->rcv.cap;        /* exactly: rings are of any size (tcp_round_rcvbuf) */
    w->max_snd_wnd = t->max_snd_wnd;
    w->ts_recent = t->ts_recent;
    w->ts_offset = t->ts_offset;
    w->mss = t->mss;
    w->snd_wscale = t->snd_wscale;
    w->rcv_wscale = t->rcv_wscale;
    w->chal_count = t->chal_count;
    w->ts_ok = t->ts_ok;
    w->node.laddr = t->sock.node.laddr;
    w->node.lport = t->sock.node.lport;
    w->node.raddr = t->sock.node.raddr;
    w->node.rport = t->sock.node.rport;
    w->node.proto = TS_IPPROTO_TCP;
    w->node.kind = TS_DEMUX_TCP_TW;
    if (t->sock.node.in_table) ts_demux_remove(s->demux, &t->sock.node);
    if (ts_demux_insert(s->demux, &w->node) < 0) {   /* cannot happen: the pair was just freed */
        ts_demux_insert(s->demux, &t->sock.node);
        free(w);
        return false;
    }
    tw_link(s->tcp, w);
    tcp_tcb_free(s, t);
    s->tcp->nconns++;                          /* the record holds the connection's place */
    TS_COUNT(s, tcp, timewait_compacted);
    return true;
}

struct ts_tcb *tcp_tw_thaw(struct ts_stack *s, struct ts_demux_node *n)
{
    struct ts_tcp *tcp = s->tcp;
    struct tcp_tw *w = (struct tcp_tw *)(void *)n;
    tcp->nconns--;                             /* the TCB takes the record's place */
    struct ts_tcb *t = tcp_tcb_new(s, n->laddr, n->lport, n->raddr, n->rport, NULL);
    tcp->nconns++;
    if (!t) return NULL;                       /* the record stays: the segment is dropped */
    t->state = TS_TCP_TIME_WAIT;
    t->sock.flags |= TS_SOCK_F_APP_GONE;
    t->flags = w->flags;
    t->iss = t->snd_una = t->snd_nxt = t->snd_max = w->snd_nxt;
    t->snd_buf_seq = w->snd_nxt - 1;           /* the FIN: fin_acked() holds as it did */
    t->snd_wnd = t->max_snd_wnd = w->max_snd_wnd;
    t->snd_wl1 = w->rcv_nxt - 1;
    t->snd_wl2 = w->snd_nxt;
    t->irs = w->rcv_nxt - 1;
    t->rcv_nxt = w->rcv_nxt;
    t->rcv_adv = w->rcv_nxt + w->rcv_wnd;
    ts_ring_init(&t->rcv, w->rcv_cap);
    t->mss = w->mss;
    t->snd_wscale = w->snd_wscale;
    t->rcv_wscale = w->rcv_wscale;
    t->ts_ok = w->ts_ok;
    t->ts_recent = w->ts_recent;
    t->ts_recent_age = w->ts_recent_age;
    t->ts_offset = w->ts_offset;
    t->last_ack_sent = w->rcv_nxt;
    t->chal_start = w->chal_start;
    t->chal_count = w->chal_count;
    t->cwnd = t->mss;
    ts_time_t expires = w->expires;
    tw_free(s, w);                             /* the pair is free for the TCB */
    ts_demux_insert(s->demux, &t->sock.node);
    tcp_timer_set(s, t, TS_TCP_T_2MSL, expires);
    tcp_tw_freeze_later(s, t);                 /* frozen again at the end of the call if still TIME_WAIT */
    return t;
}

ts_time_t tcp_tw_poll_at(const struct ts_tcp *tcp)
{
    return tcp->tw_head ? tcp->tw_head->expires : TS_TIME_NEVER;
}

/* A view of a record as a socket, for trace and netstat (valid while the record is). */
static void tw_view(const struct tcp_tw *w, struct ts_sock *v)
{
    memset(v, 0, sizeof *v);
    v->node = w->node;
    v->proto = TS_IPPROTO_TCP;
    v->flags = TS_SOCK_F_APP_GONE;
}

void tcp_tw_poll(struct ts_stack *s, ts_time_t now)
{
    struct ts_tcp *tcp = s->tcp;
    while (tcp->tw_head && tcp->tw_head->expires <= now) {
        struct tcp_tw *w = tcp->tw_head;
        struct ts_sock v;
        tw_view(w, &v);
        struct ts_trace_event ev = { .kind = TS_TRACE_STATE, .now = now, .sock = &v,
                                     .old_state = TS_TCP_TIME_WAIT, .new_state = TS_TCP_CLOSED,
                                     .why = "timer 2MSL" };
        ts_trace(s, &ev);
        tw_free(s, w);
    }
}

void tcp_tw_info(const struct ts_stack *s, const struct tcp_tw *w, struct ts_tcp_info *in)
{
    memset(in, 0, sizeof *in);
    in->state = TS_TCP_TIME_WAIT;
    in->laddr = w->node.laddr; in->lport = w->node.lport;
    in->raddr = w->node.raddr; in->rport = w->node.rport;
    in->snd_una = in->snd_nxt = in->snd_max = w->snd_nxt;
    in->rcv_nxt = w->rcv_nxt;
    in->rcv_wnd = w->rcv_wnd;
    in->mss = w->mss;
    in->snd_wscale = w->snd_wscale; in->rcv_wscale = w->rcv_wscale;
    in->cc = s->tcp->cc_default->name;
    in->cc_state = "closed";
    in->ts_on = w->ts_ok;
    in->ts_recent = w->ts_recent;
    in->ts_recent_at = w->ts_recent_age;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) in->timer[i] = TS_TIME_NEVER;
    in->timer[TS_TCP_T_2MSL] = w->expires;
}

bool tcp_tw_foreach(const struct ts_stack *s,
                    bool (*fn)(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info), void *arg)
{
    struct ts_tcp_info info;
    struct ts_sock v;
    for (const struct tcp_tw *w = s->tcp->tw_head; w; w = w->next) {
        tcp_tw_info(s, w, &info);
        tw_view(w, &v);
        if (!fn(arg, &v, &info)) return false;
    }
    return true;
}

/* The stack stops (ts_tcp_reset_all): a RST from every record at SND.NXT (our FIN + 1, the
 * peer's RCV.NXT if it waits for our last ACK), then the records go. */
void tcp_tw_reset_all(struct ts_stack *s, ts_time_t now)
{
    while (s->tcp->tw_head) {
        struct tcp_tw *w = s->tcp->tw_head;
        TS_COUNT(s, tcp, resets_on_shutdown);
        tcp_send_rst(s, now, w->node.laddr, w->node.lport, w->node.raddr, w->node.rport, w->snd_nxt, w->rcv_nxt,
                     true);
        tw_free(s, w);
    }
}

void tcp_tw_free_all(struct ts_stack *s)
{
    while (s->tcp->tw_head) tw_free(s, s->tcp->tw_head);
}
