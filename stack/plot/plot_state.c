/*
 * The state changes of both sides of a conversation, inferred from the segments each sent and
 * received (contract in plot_an.h). The capture sees segments, not the endpoints' variables, so
 * this follows RFC 9293's diagram (§3.3.2) on what crossed the wire: a SYN sent opens, a SYN-ACK
 * received establishes, a FIN sent or received and the ACK of a FIN close.
 */
#include "plot/plot_an.h"

#include <string.h>

#include "wire/tcp.h"

enum st { CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
          LAST_ACK, TIME_WAIT };

static const char *const NAMES[] = { "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
                                     "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" };

struct side {
    enum st st;
    bool fin_sent;
    uint32_t fin_end;      /* the sequence number just after its FIN */
    bool syn_sent;
    uint32_t iss;
};

struct states {
    struct side s[2];
    struct ts_plot_state_ev *ev;
    size_t cap, n;
};

static void set_state(struct states *x, size_t seg, int side, enum st to)
{
    if (x->s[side].st == to) return;
    x->s[side].st = to;
    if (x->n < x->cap) x->ev[x->n] = (struct ts_plot_state_ev){ .seg = seg, .side = (uint8_t)side, .state = NAMES[to] };
    x->n++;
}

static bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* What the receiver r makes of segment g. */
static void on_receive(struct states *x, size_t i, int r, const struct ts_plot_seg *g)
{
    struct side *me = &x->s[r];
    if (g->flags & TS_TCP_RST) {
        if (me->st != LISTEN) set_state(x, i, r, CLOSED);
        return;
    }
    bool acks_syn = (g->flags & TS_TCP_ACK) && me->syn_sent && seq_geq(g->ack, me->iss + 1);
    bool acks_fin = (g->flags & TS_TCP_ACK) && me->fin_sent && seq_geq(g->ack, me->fin_end);
    if (me->st == SYN_SENT && (g->flags & TS_TCP_SYN) && acks_syn) set_state(x, i, r, ESTABLISHED);
    else if (me->st == SYN_RECEIVED && acks_syn) set_state(x, i, r, ESTABLISHED);
    if (acks_fin) {
        if (me->st == FIN_WAIT_1) set_state(x, i, r, FIN_WAIT_2);
        else if (me->st == CLOSING) set_state(x, i, r, TIME_WAIT);
        else if (me->st == LAST_ACK) set_state(x, i, r, CLOSED);
    }
    if (g->flags & TS_TCP_FIN) {
        if (me->st == ESTABLISHED || me->st == SYN_RECEIVED) set_state(x, i, r, CLOSE_WAIT);
        else if (me->st == FIN_WAIT_1) set_state(x, i, r, CLOSING);
        else if (me->st == FIN_WAIT_2) set_state(x, i, r, TIME_WAIT);
    }
}

/* What the sender s does by sending segment g. */
static void on_send(struct states *x, size_t i, int s, const struct ts_plot_seg *g)
{
    struct side *me = &x->s[s];
    if (g->flags & TS_TCP_RST) {
        set_state(x, i, s, CLOSED);
        return;
    }
    if (g->flags & TS_TCP_SYN) {
        if (!me->syn_sent) {
            me->syn_sent = true;
            me->iss = g->seq;
        }
        if (!(g->flags & TS_TCP_ACK)) set_state(x, i, s, SYN_SENT);
        else if (me->st == LISTEN || me->st == CLOSED || me->st == SYN_SENT) set_state(x, i, s, SYN_RECEIVED);
    }
    if (g->flags & TS_TCP_FIN) {
        me->fin_sent = true;
        me->fin_end = g->seq + g->len + ((g->flags & TS_TCP_SYN) ? 1u : 0u) + 1u;
        if (me->st == ESTABLISHED || me->st == SYN_RECEIVED) set_state(x, i, s, FIN_WAIT_1);
        else if (me->st == CLOSE_WAIT) set_state(x, i, s, LAST_ACK);
    }
}

size_t ts_plot_states(const struct ts_plot_conv *conv, const char *initial[2], struct ts_plot_state_ev *ev, size_t cap)
{
    struct states x;
    memset(&x, 0, sizeof x);
    x.ev = ev;
    x.cap = cap;
    bool opening = conv->nsegs && (conv->segs[0].flags & TS_TCP_SYN);
    if (opening) {
        int client = (conv->segs[0].flags & TS_TCP_ACK) ? !conv->segs[0].dir : conv->segs[0].dir;
        x.s[client].st = CLOSED;
        x.s[!client].st = LISTEN;
    } else {
        x.s[0].st = x.s[1].st = ESTABLISHED;
    }
    initial[0] = NAMES[x.s[0].st];
    initial[1] = NAMES[x.s[1].st];
    for (size_t i = 0; i < conv->nsegs; i++) {
        const struct ts_plot_seg *g = &conv->segs[i];
        on_send(&x, i, g->dir, g);
        on_receive(&x, i, !g->dir, g);
    }
    return x.n;
}
