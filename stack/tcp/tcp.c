/*
 * TCP module: init and teardown, the life of a TCB (birth, state changes through one function
 * that records them, death), and the read-only views for netstat.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "tcp/tcp_impl.h"
#include "core/demux.h"

int ts_tcp_init(struct ts_stack *s)
{
    struct ts_tcp *tcp = calloc(1, sizeof *tcp);
    if (!tcp) return -TS_ENOMEM;
    tcp->isn_key = ts_rng_key(&s->rng);
    tcp->cookie_key = ts_rng_key(&s->rng);
    tcp->cc_default = tcp_cc_find(s->cfg.tcp_cc);
    if (!tcp->cc_default) tcp->cc_default = &tcp_cc_cubic;
    s->cfg.tcp_cc = tcp->cc_default->name;      /* never a pointer into the caller's memory */
    s->tcp = tcp;
    return 0;
}

static void tcb_free(struct ts_stack *s, struct ts_tcb *t)
{
    struct ts_tcp *tcp = s->tcp;
    ts_sock_unqueue(s, &t->sock);
    if (t->sock.node.in_table) ts_demux_remove(s->demux, &t->sock.node);
    tcp_heap_remove(tcp, t);
    if (t->flags & TF_BLOCKED) {
        struct ts_tcb *prev = NULL;
        for (struct ts_tcb *b = tcp->blk_head; b; prev = b, b = b->blk_next) {
            if (b != t) continue;
            if (prev) prev->blk_next = b->blk_next; else tcp->blk_head = b->blk_next;
            if (tcp->blk_tail == b) tcp->blk_tail = prev;
            break;
        }
    }
    if (t->all_prev) t->all_prev->all_next = t->all_next; else tcp->all = t->all_next;
    if (t->all_next) t->all_next->all_prev = t->all_prev;
    tcp_ring_put(s, &t->snd);
    tcp_ring_put(s, &t->rcv);
    tcp_segs_free(&t->segs);
    ts_reass_free(&t->reass);
    ts_reass_free(&t->sacked);
    free(t->cc_prior);
    tcp->grown_total -= t->grown;
    tcp->nconns--;
    free(t);
}

void tcp_tcb_free(struct ts_stack *s, struct ts_tcb *t) { tcb_free(s, t); }

void ts_tcp_free(struct ts_stack *s)
{
    struct ts_tcp *tcp = s->tcp;
    if (!tcp) return;
    tcp_tw_free_all(s);
    while (tcp->all) tcb_free(s, tcp->all);
    tcp_ring_spare_free(s);
    free(tcp->heap);
    free(tcp);
    s->tcp = NULL;
}

void ts_tcp_memory(const struct ts_stack *s, unsigned *n, size_t *tcbs, size_t *buffers)
{
    *n = 0;
    *tcbs = *buffers = 0;
    if (!s->tcp) return;
    for (const struct ts_tcb *t = s->tcp->all; t; t = t->all_next) {
        ++*n;
        *tcbs += sizeof *t + (t->cc_prior ? sizeof *t->cc_prior : 0);
        if (t->snd.buf) *buffers += t->snd.cap;
        if (t->rcv.buf) *buffers += t->rcv.cap;
        *buffers += ts_reass_memory(&t->reass) + ts_reass_memory(&t->sacked);
    }
}

uint16_t tcp_our_mss(const struct ts_stack *s)
{
    size_t cap = ts_ipv4_l4_cap(s);
    return (uint16_t)(cap > TS_TCP_HLEN + TS_TCP_MSS_MIN ? cap - TS_TCP_HLEN : TS_TCP_MSS_MIN);
}

void tcp_rings_trim(struct ts_tcb *t)
{
    if (t->rcv.buf && t->rcv.len == 0 && t->reass.n == 0 && t->rcv.cap <= t->buf_rcv) tcp_ring_put(t->stack, &t->rcv);
    if (t->snd.buf && t->snd.len == 0 && t->snd.cap <= t->buf_snd) tcp_ring_put(t->stack, &t->snd);
}

/* The window shift to offer: room for the buffer, or for the largest it may grow to. */
uint8_t tcp_wscale_for(const struct ts_tcb *t)
{
    uint32_t buf = (t->flags & TF_BUF_FIXED) ? t->rcv.cap : TS_TCP_BUF_AUTO_MAX;
    uint8_t ws = 0;
    while (ws < TS_TCP_WSCALE_MAX && (65535u << ws) < buf) ws++;
    return ws;
}

void tcp_round_rcvbuf(struct ts_tcb *t)
{
    uint32_t cap = t->rcv.cap, mss = t->mss;
    if (t->rcv.len || t->reass.n || mss == 0 || cap <= mss || cap % mss == 0) return;
    uint32_t want = cap + (mss - cap % mss);
    if (want > TS_TCP_BUF_MAX || ts_ring_resize(&t->rcv, want) < 0) return;
    t->buf_rcv = want;     /* the base size: tcp_rings_trim releases it when idle */
}

static bool grow(struct ts_stack *s, struct ts_tcb *t, struct ts_ring *r)
{
    uint32_t add = r->cap;
    if ((t->flags & TF_BUF_FIXED) || r->cap >= TS_TCP_BUF_AUTO_MAX ||
        s->tcp->grown_total + add > TS_TCP_BUF_GROWN_BUDGET)
        return false;
    if (ts_ring_resize(r, r->cap * 2) < 0) return false;
    t->grown += add;
    s->tcp->grown_total += add;
    return true;
}

/* Receive-buffer growth: the application read n bytes. When it reads more than half the
 * buffer within one round trip, the window (the buffer) is what limits the peer: double it
 * (up to TS_TCP_BUF_AUTO_MAX; the window scale offered in the SYN leaves room for that). */
void tcp_grow_rcv(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t n)
{
    ts_time_t period = t->rtt.valid && t->rtt.srtt > TS_MS(1) ? t->rtt.srtt : TS_MS(1);
    t->tune_bytes += n;
    if (now - t->tune_start < period) return;
    if (t->tune_bytes >= t->rcv.cap / 2 && (65535u << t->rcv_wscale) >= t->rcv.cap * 2) grow(s, t, &t->rcv);
    t->tune_start = now;
    t->tune_bytes = 0;
}

/* Receive-buffer growth during a loss repair: out-of-order data reaches past half the buffer, so
 * the window, pinned at the hole, is about to stop the sender's recovery (and the new data that
 * keeps its ACK clock going) at RCV.NXT + buffer. Double the buffer, within the same limits as
 * tcp_grow_rcv. held <= buffer - readable, so a reader that does not keep up never gets here. */
void tcp_grow_rcv_ooo(struct ts_stack *s, struct ts_tcb *t)
{
    uint32_t held = t->reass.n ? t->reass.r[t->reass.n - 1].end : 0;
    if (held > t->rcv.cap / 2 && (65535u << t->rcv_wscale) >= t->rcv.cap * 2 && grow(s, t, &t->rcv))
        TS_COUNT(s, tcp, rcv_grown_ooo);
}

/* Send-buffer growth: the application filled the buffer while the peer's window and cwnd
 * would let more be in flight. Returns true if it grew. */
bool tcp_grow_snd(struct ts_stack *s, struct ts_tcb *t)
{
    if (t->snd_wnd < t->snd.cap || t->cwnd < t->snd.cap) return false;
    return grow(s, t, &t->snd);
}

struct ts_tcb *tcp_tcb_new(struct ts_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                           uint16_t rport, const struct ts_tcb *parent)
{
    struct ts_tcp *tcp = s->tcp;
    unsigned max = s->cfg.tcp_max_conns ? s->cfg.tcp_max_conns : 65536;
    if (tcp->nconns >= max) return NULL;
    struct ts_tcb *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->sock.node.laddr = laddr;
    t->sock.node.lport = lport;
    t->sock.node.raddr = raddr;
    t->sock.node.rport = rport;
    t->sock.node.proto = TS_IPPROTO_TCP;
    t->sock.proto = TS_IPPROTO_TCP;
    t->stack = s;
    t->state = TS_TCP_CLOSED;
    t->heap_idx = UINT_MAX;
    t->deadline = TS_TIME_NEVER;
    t->rack_reo_at = TS_TIME_NEVER;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) t->timer[i] = TS_TIME_NEVER;
    t->buf_snd = parent ? parent->buf_snd : TS_TCP_BUF_DEFAULT;
    t->buf_rcv = parent ? parent->buf_rcv : TS_TCP_BUF_DEFAULT;
    if (parent) t->flags |= parent->flags & (TF_NODELAY | TF_KEEPALIVE | TF_BUF_FIXED);
    t->cc = parent ? parent->cc : tcp->cc_default;
    if (parent) { t->keep_idle = parent->keep_idle; t->keep_intvl = parent->keep_intvl; t->keep_count = parent->keep_count; }
    ts_ring_init(&t->snd, t->buf_snd);
    ts_ring_init(&t->rcv, t->buf_rcv);
    ts_rtt_init(&t->rtt, s->cfg.tcp_rto_min ? s->cfg.tcp_rto_min : TS_MS(200), TS_RTO_MAX);
    t->mss = TS_TCP_MSS_DEFAULT;
    t->ts_offset = tcp_ts_offset(tcp, laddr, lport, raddr, rport);
    t->all_next = tcp->all;
    if (tcp->all) tcp->all->all_prev = t;
    tcp->all = t;
    tcp->nconns++;
    return t;
}

void tcp_notify(struct ts_stack *s, struct ts_tcb *t, unsigned events)
{
    if (t->listener) return;         /* not accepted yet: the application has no handle */
    if (t->state == TS_TCP_LISTEN && !(events & TS_EV_READABLE)) return;
    ts_sock_notify(s, &t->sock, events);
}

void tcp_maybe_reap(struct ts_stack *s, struct ts_tcb *t)
{
    if (t->state != TS_TCP_CLOSED || !tcp_app_gone(t) || (t->flags & TF_DEAD)) return;
    bool listed = t->flags & TF_FREEZE;      /* already on the list, to be frozen */
    t->flags |= TF_DEAD;
    if (listed) return;
    t->reap_next = s->tcp->reap;
    s->tcp->reap = t;
}

void tcp_reap(struct ts_stack *s)
{
    struct ts_tcp *tcp = s->tcp;
    while (tcp->reap) {
        struct ts_tcb *t = tcp->reap;
        tcp->reap = t->reap_next;
        if (!(t->flags & TF_FREEZE) || t->state == TS_TCP_CLOSED) tcb_free(s, t);
        else if (!tcp_tw_freeze(s, t)) t->flags &= ~TF_FREEZE;   /* it stays a TCB */
    }
}

static void record(struct ts_stack *s, struct ts_tcb *t, enum ts_tcp_state old, const char *why,
                   ts_time_t now)
{
    struct ts_tcp_hist *h = &t->hist[t->hist_pos];
    h->when = now;
    h->old_state = (uint8_t)old;
    h->new_state = (uint8_t)t->state;
    h->why = why;
    t->hist_pos = (uint8_t)((t->hist_pos + 1) % TS_TCP_HIST);
    if (t->hist_len < TS_TCP_HIST) t->hist_len++;
    struct ts_trace_event ev = { .kind = TS_TRACE_STATE, .now = now, .sock = &t->sock,
                                 .old_state = old, .new_state = t->state, .why = why };
    ts_trace(s, &ev);
}

/*
 * The one place a connection changes state. Besides recording the change it does what every
 * entry into a state implies: CLOSED leaves the demultiplexer, its timers and (when nobody owns
 * it any more) memory; TIME_WAIT starts the 2*MSL timer and gives back the send buffer.
 */
void tcp_set_state(struct ts_stack *s, struct ts_tcb *t, enum ts_tcp_state st, const char *why,
                   ts_time_t now)
{
    enum ts_tcp_state old = t->state;
    if (old == st) return;
    t->state = st;
    record(s, t, old, why, now);
    if (st == TS_TCP_CLOSED || st == TS_TCP_TIME_WAIT) tcp_orphan_gone(s, t);
    if (st == TS_TCP_CLOSED) {
        bool orphan = tcp_app_gone(t) || t->listener;
        if (t->listener) {
            tcp_child_unlink(t);
            t->sock.flags |= TS_SOCK_F_APP_GONE;
        }
        if (t->sock.node.in_table) ts_demux_remove(s->demux, &t->sock.node);
        tcp_timers_clear(s, t);
        tcp_ring_put(s, &t->snd);
        if (orphan) tcp_maybe_reap(s, t);
        else if (old != TS_TCP_LISTEN) tcp_notify(s, t, TS_EV_CLOSED | TS_EV_READABLE);
    } else if (st == TS_TCP_TIME_WAIT) {
        for (unsigned i = 0; i < TS_TCP_NTIMERS; i++)
            if (i != TS_TCP_T_DELACK) tcp_timer_stop(s, t, i);
        ts_time_t msl = s->cfg.tcp_msl ? s->cfg.tcp_msl : TS_SEC(30);
        tcp_timer_set(s, t, TS_TCP_T_2MSL, now + 2 * msl);
        tcp_ring_put(s, &t->snd);
        if (t->rcv.len == 0) tcp_ring_put(s, &t->rcv);
        if (tcp_app_gone(t)) tcp_tw_freeze_later(s, t);
    } else if (st == TS_TCP_FIN_WAIT_2 && tcp_app_gone(t)) {
        tcp_timer_set(s, t, TS_TCP_T_2MSL, now + TS_TCP_FIN_WAIT_2_ORPHAN);
    }
}

/* End a connection at once: the application learns err (0: a normal end) and the TCB closes.
 * Sends nothing: the caller sends a RST first when one is due. */
void tcp_drop_conn(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, int err, const char *why)
{
    if (err) {
        t->sock.error = err;
        tcp_notify(s, t, TS_EV_ERROR);
    }
    tcp_set_state(s, t, TS_TCP_CLOSED, why, now);
}

void tcp_trace_cwnd(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct ts_trace_event ev = { .kind = TS_TRACE_CWND, .now = now, .sock = &t->sock,
                                 .cwnd = t->cwnd, .ssthresh = t->ssthresh, .rto = t->rtt.rto };
    ts_trace(s, &ev);
}

const char *ts_tcp_state_name(enum ts_tcp_state st)
{
    static const char *const names[] = {
        "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
    };
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

void ts_tcp_get_info(const struct ts_sock *sock, struct ts_tcp_info *in)
{
    const struct ts_tcb *t = ts_tcb_of_c(sock);
    memset(in, 0, sizeof *in);
    in->state = t->state;
    in->laddr = sock->node.laddr; in->lport = sock->node.lport;
    in->raddr = sock->node.raddr; in->rport = sock->node.rport;
    in->iss = t->iss; in->irs = t->irs;
    in->snd_una = t->snd_una; in->snd_nxt = t->snd_nxt; in->snd_max = t->snd_max;
    in->snd_wnd = t->snd_wnd;
    in->rcv_nxt = t->rcv_nxt;
    in->rcv_wnd = t->rcv_adv - t->rcv_nxt;
    in->cwnd = t->cwnd; in->ssthresh = t->ssthresh;
    in->srtt = t->rtt.srtt; in->rttvar = t->rtt.rttvar; in->rto = t->rtt.rto;
    in->retransmits = t->retransmits;
    in->rxt_shift = t->rxt_shift;
    in->mss = t->mss;
    in->snd_wscale = t->snd_wscale; in->rcv_wscale = t->rcv_wscale;
    in->snd_queued = t->snd.len;
    in->rcv_queued = t->rcv.len;
    in->ooo_bytes = ts_reass_bytes(&t->reass);
    in->cc = t->cc ? t->cc->name : t->stack->tcp->cc_default->name;
    in->cc_state = (t->flags & TF_IN_RECOVERY) ? "recovery" : (t->flags & TF_RTO_LOSS) ? "loss" :
                   t->cwnd < t->ssthresh ? "slow-start" : "avoidance";
    if (t->cc && t->cc->get_info) t->cc->get_info(t, in);
    in->rack_min_rtt = t->rack.min_rtt;
    in->rack_reo_wnd = tcp_rack_reo_wnd(t);
    in->pipe = tcp_sack_pipe(t);
    in->sacked_bytes = t->segs.sacked_bytes;
    in->lost_bytes = t->segs.lost_bytes;
    in->ts_on = t->ts_ok;
    in->ts_recent = t->ts_recent;
    in->ts_recent_at = t->ts_recent_age;
    in->undos = t->undos;
    for (unsigned i = 0; i < TS_TCP_NTIMERS; i++) in->timer[i] = t->timer[i];
    in->backlog = t->backlog; in->syn_queue = t->syn_qlen; in->accept_queue = t->acc_qlen;
    in->hist_len = t->hist_len;
    unsigned start = (unsigned)(t->hist_pos + TS_TCP_HIST - t->hist_len) % TS_TCP_HIST;
    for (unsigned i = 0; i < t->hist_len; i++) in->hist[i] = t->hist[(start + i) % TS_TCP_HIST];
}

void ts_tcp_foreach(const struct ts_stack *s,
                    bool (*fn)(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info),
                    void *arg)
{
    if (!s->tcp) return;
    struct ts_tcp_info info;
    for (const struct ts_tcb *t = s->tcp->all; t; t = t->all_next) {
        if (t->flags & TF_DEAD) continue;
        ts_tcp_get_info(&t->sock, &info);
        if (!fn(arg, &t->sock, &info)) return;
    }
    tcp_tw_foreach(s, fn, arg);
}

void ts_tcp_tw_memory(const struct ts_stack *s, unsigned *n, size_t *bytes)
{
    *n = s->tcp ? s->tcp->ntw : 0;
    *bytes = (size_t)*n * tcp_tw_size();
}
