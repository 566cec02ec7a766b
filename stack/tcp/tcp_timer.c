/*
 * TCP timers. Each TCB keeps its deadlines in one small array (timer[]); its earliest is
 * tcb->deadline, and the module keeps every TCB with a deadline in a binary min-heap on it, so
 * ts_tcp_poll_at is O(1) and changing a timer is O(log n) however many connections exist.
 * Here too: what each timer does when it fires (RFC 9293 §3.8, RFC 6298 §5, RFC 1122 §4.2.3).
 */
#include <limits.h>
#include <stdlib.h>
#include "tcp/tcp_impl.h"

#define NO_HEAP UINT_MAX

static void heap_swap(struct ts_tcp *tcp, unsigned a, unsigned b)
{
    struct ts_tcb *x = tcp->heap[a];
    tcp->heap[a] = tcp->heap[b];
    tcp->heap[b] = x;
    tcp->heap[a]->heap_idx = a;
    tcp->heap[b]->heap_idx = b;
}

static void heap_up(struct ts_tcp *tcp, unsigned i)
{
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (tcp->heap[p]->deadline <= tcp->heap[i]->deadline) break;
        heap_swap(tcp, i, p);
        i = p;
    }
}

static void heap_down(struct ts_tcp *tcp, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < tcp->heap_len && tcp->heap[l]->deadline < tcp->heap[m]->deadline) m = l;
        if (r < tcp->heap_len && tcp->heap[r]->deadline < tcp->heap[m]->deadline) m = r;
        if (m == i) return;
        heap_swap(tcp, i, m);
        i = m;
    }
}

void tcp_heap_remove(struct ts_tcp *tcp, struct ts_tcb *t)
{
    unsigned i = t->heap_idx;
    if (i == NO_HEAP || i >= tcp->heap_len || tcp->heap[i] != t) { t->heap_idx = NO_HEAP; return; }
    tcp->heap_len--;
    if (i != tcp->heap_len) {
        tcp->heap[i] = tcp->heap[tcp->heap_len];
        tcp->heap[i]->heap_idx = i;
        heap_down(tcp, i);
        heap_up(tcp, i);
    }
    t->heap_idx = NO_HEAP;
}

/* Put t where its (new) deadline belongs. On allocation failure the TCB stays out of the heap
 * until the next timer change; it cannot be lost from the all-list. */
static void heap_update(struct ts_tcp *tcp, struct ts_tcb *t)
{
    if (t->deadline == TS_TIME_NEVER) { tcp_heap_remove(tcp, t); return; }
    if (t->heap_idx == NO_HEAP) {
        if (tcp->heap_len == tcp->heap_cap) {
            unsigned cap = tcp->heap_cap ? tcp->heap_cap * 2 : 64;
            struct ts_tcb **h = realloc(tcp->heap, cap * sizeof *h);
            if (!h) return;
            tcp->heap = h;
            tcp->heap_cap = cap;
        }
        t->heap_idx = tcp->heap_len;
        tcp->heap[tcp->heap_len++] = t;
        heap_up(tcp, t->heap_idx);
        return;
    }
    heap_down(tcp, t->heap_idx);
    heap_up(tcp, t->heap_idx);
}

void tcp_timer_set(struct ts_stack *s, struct ts_tcb *t, unsigned which, ts_time_t when)
{
    if (t->timer[which] == when) return;
    t->timer[which] = when;
    ts_time_t d = TS_TIME_NEVER;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++)
        if (t->timer[i] < d) d = t->timer[i];
    if (d == t->deadline && t->heap_idx != NO_HEAP) return;
    t->deadline = d;
    heap_update(s->tcp, t);
}

void tcp_timers_clear(struct ts_stack *s, struct ts_tcb *t)
{
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) t->timer[i] = TS_TIME_NEVER;
    t->deadline = TS_TIME_NEVER;
    tcp_heap_remove(s->tcp, t);
}

/* The REXMT slot holds the earliest of: the RTO (or the tail loss probe timeout standing in for
 * it) and RACK's reordering timer; a flag says which one it is. */
static void rexmt_set(struct ts_stack *s, struct ts_tcb *t, ts_time_t when, uint32_t flag)
{
    t->flags &= ~(TF_TLP_ARMED | TF_RACK_REO);
    if (t->rack_reo_at < when) {
        when = t->rack_reo_at;
        flag = TF_RACK_REO;
    }
    t->flags |= flag;
    tcp_timer_set(s, t, TS_TCP_T_REXMT, when);
}

/* RACK asked for its reordering timer (tcp_rack_detect_loss): move the REXMT deadline earlier to
 * it if need be. */
void tcp_rack_timer_apply(struct ts_stack *s, struct ts_tcb *t)
{
    if (t->rack_reo_at >= t->timer[TS_TCP_T_REXMT]) return;
    rexmt_set(s, t, t->timer[TS_TCP_T_REXMT], 0);
}

/* (Re)start the retransmission timer at the backed-off RTO from now. */
void tcp_rexmt_restart(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    rexmt_set(s, t, now + ts_rtt_backoff(&t->rtt, t->rxt_shift, TS_RTO_MAX), 0);
}

/* Arm the retransmission timer for what is in flight now: a tail loss probe timeout (RFC 8985
 * §7.2) when a probe may help, never later than the RTO would be (the probe then goes in the
 * RTO's place, and the RTO follows it); else the RTO. */
void tcp_rexmt_arm(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    ts_time_t pto = t->rxt_shift == 0 ? tcp_tlp_pto(t) : 0;
    if (!pto) { tcp_rexmt_restart(s, t, now); return; }
    if (pto > t->rtt.rto) pto = t->rtt.rto;
    rexmt_set(s, t, now + pto, TF_TLP_ARMED);
}

static void trace_timer(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, unsigned which)
{
    struct ts_trace_event ev = { .kind = TS_TRACE_TIMER, .now = now, .sock = &t->sock,
                                 .why = ts_tcp_timer_name(which), .rto = t->rtt.rto };
    ts_trace(s, &ev);
}

/* RFC 6298 §5.4-5.7 and RFC 9293 §3.8.1: the retransmission timer ran out. */
static void on_rexmt(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    bool syn = t->state == TS_TCP_SYN_SENT || t->state == TS_TCP_SYN_RECEIVED;
    if (t->snd_una == t->snd_max && !syn) return;      /* nothing outstanding */
    if (t->flags & TF_RACK_REO) {                       /* RFC 8985 §6.2: time to judge */
        t->flags &= ~TF_RACK_REO;
        t->rack_reo_at = TS_TIME_NEVER;
        tcp_rack_timer(s, t, now);
        if (t->state != TS_TCP_CLOSED && t->snd_una != t->snd_max && t->timer[TS_TCP_T_REXMT] == TS_TIME_NEVER)
            tcp_rexmt_arm(s, t, now);
        return;
    }
    if (t->flags & TF_TLP_ARMED) {                      /* RFC 8985 §7.3: probe, then the RTO */
        t->flags &= ~TF_TLP_ARMED;
        tcp_tlp_fire(s, t, now);
        tcp_rexmt_restart(s, t, now);
        return;
    }
    TS_COUNT(s, tcp, timeouts);
    t->rxt_shift++;
    if (t->rxt_shift > (syn ? TS_TCP_SYN_RETRIES : t->orphan ? TS_TCP_ORPHAN_RETRIES : TS_TCP_DATA_RETRIES)) {
        TS_COUNT(s, tcp, conn_timeouts);
        if (t->orphan) TS_COUNT(s, tcp, orphan_timeouts);
        if (tcp_synchronized(t->state))
            tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                         t->sock.node.rport, t->snd_max, t->rcv_nxt, true);
        tcp_drop_conn(s, t, now, TS_ETIMEDOUT, "timer rexmt: retries exhausted");
        return;
    }
    t->flags &= ~TF_RTT_TIMING;                         /* Karn */
    /* with SACK, RACK marks what to resend and the first segment goes now (RFC 6298 §5.4,
     * RFC 8985 §6.3); without (or for a lone FIN), go back N */
    bool go_back = syn || !(t->flags & TF_SACK) || t->segs.n == 0;
    if (syn) {
        TS_COUNT(s, tcp, syn_retransmits);
        t->snd_nxt = t->iss;
    } else {
        tcp_cc_timeout(s, t, now);
        if (go_back) t->snd_nxt = t->snd_una;
    }
    if (go_back) {
        t->retransmits++;
        TS_COUNT(s, tcp, retransmits);
    } else {
        tcp_retransmit_first(s, t, now);                /* counts itself */
    }
    tcp_output(s, t, now);
    /* RFC 6298 §5.1: while data is outstanding the timer runs, whatever output decided */
    if (t->state != TS_TCP_CLOSED && t->snd_una != t->snd_max && t->timer[TS_TCP_T_REXMT] == TS_TIME_NEVER)
        tcp_rexmt_restart(s, t, now);
}

static void on_persist(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (t->snd_wnd == 0) {
        if (t->orphan && t->persist_shift >= TS_TCP_ORPHAN_RETRIES) {   /* nobody waits for it */
            TS_COUNT(s, tcp, orphan_timeouts);
            tcp_orphan_reset(s, t, now, "timer persist: orphan's window stayed shut");
            return;
        }
        TS_COUNT(s, tcp, window_probes);
        tcp_send_probe(s, t, now);
        if (t->persist_shift < 16) t->persist_shift++;
        ts_time_t iv = ts_rtt_backoff(&t->rtt, t->persist_shift, TS_TCP_PERSIST_MAX);
        if (iv < TS_TCP_PERSIST_MIN) iv = TS_TCP_PERSIST_MIN;
        tcp_timer_set(s, t, TS_TCP_T_PERSIST, now + iv);
    } else {
        t->flags |= TF_FORCE;                           /* small window: send what fits */
        tcp_output(s, t, now);
        t->flags &= ~TF_FORCE;
    }
}

static void on_keep(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (!(t->flags & TF_KEEPALIVE) || !tcp_synchronized(t->state) || t->state == TS_TCP_TIME_WAIT) return;
    if (now - t->last_rcv < t->keep_idle) {
        t->keep_probes = 0;
        tcp_timer_set(s, t, TS_TCP_T_KEEP, t->last_rcv + t->keep_idle);
        return;
    }
    if (t->keep_probes >= t->keep_count) {
        TS_COUNT(s, tcp, keepalive_timeouts);
        tcp_send_rst(s, now, t->sock.node.laddr, t->sock.node.lport, t->sock.node.raddr,
                     t->sock.node.rport, t->snd_max, t->rcv_nxt, true);
        tcp_drop_conn(s, t, now, TS_ETIMEDOUT, "timer keepalive: no answer");
        return;
    }
    t->keep_probes++;
    TS_COUNT(s, tcp, keepalive_probes);
    tcp_send_probe(s, t, now);
    tcp_timer_set(s, t, TS_TCP_T_KEEP, now + t->keep_intvl);
}

static void on_2msl(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    if (t->state == TS_TCP_TIME_WAIT)
        tcp_set_state(s, t, TS_TCP_CLOSED, "timer 2MSL", now);
    else if (t->state == TS_TCP_FIN_WAIT_2 && tcp_app_gone(t))
        tcp_set_state(s, t, TS_TCP_CLOSED, "timer FIN_WAIT_2 orphan", now);
}

static void fire(struct ts_stack *s, struct ts_tcb *t, unsigned which, ts_time_t now)
{
    trace_timer(s, t, now, which);
    switch (which) {
    case TS_TCP_T_REXMT: on_rexmt(s, t, now); break;
    case TS_TCP_T_PERSIST: on_persist(s, t, now); break;
    case TS_TCP_T_DELACK: t->flags |= TF_ACKNOW; tcp_output(s, t, now); break;
    case TS_TCP_T_KEEP: on_keep(s, t, now); break;
    case TS_TCP_T_2MSL: on_2msl(s, t, now); break;
    default: break;
    }
}

ts_time_t ts_tcp_poll_at(const struct ts_stack *s)
{
    const struct ts_tcp *tcp = s->tcp;
    if (!tcp) return TS_TIME_NEVER;
    ts_time_t tw = tcp_tw_poll_at(tcp);
    if (tcp->heap_len == 0) return tw;
    return tcp->heap[0]->deadline < tw ? tcp->heap[0]->deadline : tw;
}

void ts_tcp_poll(struct ts_stack *s, ts_time_t now)
{
    struct ts_tcp *tcp = s->tcp;
    /* Each round fires at least one timer, which either stops or moves it into the future;
     * the bound only guards against a bug turning this into a hang. */
    for (unsigned guard = 0; guard < 4 * tcp->heap_len + 64 && tcp->heap_len; guard++) {
        struct ts_tcb *t = tcp->heap[0];
        if (t->deadline > now) break;
        for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) {
            if (t->timer[i] > now || t->state == TS_TCP_CLOSED) continue;
            tcp_timer_stop(s, t, i);
            fire(s, t, i, now);
        }
        if (t->state == TS_TCP_CLOSED) tcp_timers_clear(s, t);
    }
    tcp_reap(s);
    tcp_tw_poll(s, now);
}

const char *ts_tcp_timer_name(unsigned t)
{
    static const char *const names[TS_TCP_NTIMERS] = { "rexmt", "persist", "delack", "keepalive", "2msl" };
    return t < TS_TCP_NTIMERS ? names[t] : "?";
}
