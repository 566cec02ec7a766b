/*
 * The congestion controller behind struct tcp_cc_ops (tcp_cc.h): the table of controllers, the
 * initial window (RFC 6928), choosing a controller for a connection, and the save/undo of a
 * reduction for the spurious-retransmission detectors (RFC 5682, RFC 3522, RFC 2883).
 */
#include <stdlib.h>
#include <string.h>
#include "tcp/tcp_impl.h"

static const struct tcp_cc_ops *const controllers[] = { &tcp_cc_cubic, &tcp_cc_newreno, &tcp_cc_bbr };

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
        if (strcmp(controllers[i]->name, name) == 0) return controllers[i];
    return NULL;
}

const char *tcp_cc_names(void) { return "cubic, newreno, bbr"; }

uint32_t tcp_flight(const struct ts_tcb *t) { return t->snd_max - t->snd_una; }

/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)); the controller starts from it. */
void tcp_cc_init(struct ts_tcb *t)
{
    uint32_t a = 10u * t->mss, b = 2u * t->mss > 14600 ? 2u * t->mss : 14600;
    if (!t->cc) t->cc = t->stack->tcp->cc_default;
    t->cwnd = a < b ? a : b;
    t->ssthresh = UINT32_MAX / 2;
    t->dupacks = 0;
    t->bytes_acked = 0;
    if (t->cc_prior) t->cc_prior->valid = false;
    memset(t->cc_priv, 0, sizeof t->cc_priv);
    t->cc->init(t);
}

/* Another controller for this connection: it starts over from the current cwnd and ssthresh. */
void tcp_cc_select(struct ts_tcb *t, const struct tcp_cc_ops *cc)
{
    uint32_t cwnd = t->cwnd, ssthresh = t->ssthresh;
    t->cc = cc;
    if (t->cc_prior) t->cc_prior->valid = false;
    memset(t->cc_priv, 0, sizeof t->cc_priv);
    cc->init(t);
    if (cwnd) { t->cwnd = cwnd; t->ssthresh = ssthresh; }
}

/* The copy lives in a block of its own, made by the first reduction and kept until the TCB goes
 * (a connection that cut its window once will likely again). Without memory for it the reduction
 * simply cannot be undone (counted). */
void tcp_cc_save(struct ts_tcb *t)
{
    if (!t->cc_prior && !(t->cc_prior = malloc(sizeof *t->cc_prior))) {
        TS_COUNT(t->stack, tcp, cc_save_nomem);
        return;
    }
    struct tcp_cc_prior *p = t->cc_prior;
    p->valid = true;
    p->cwnd = t->cwnd;
    p->ssthresh = t->ssthresh;
    memcpy(p->priv, t->cc_priv, sizeof t->cc_priv);
}

bool tcp_cc_undo(struct ts_stack *s, struct ts_tcb *t, ts_time_t now)
{
    struct tcp_cc_prior *p = t->cc_prior;
    if (!p || !p->valid) return false;
    if (t->cwnd < p->cwnd) t->cwnd = p->cwnd;
    if (t->ssthresh < p->ssthresh) t->ssthresh = p->ssthresh;
    memcpy(t->cc_priv, p->priv, sizeof t->cc_priv);
    p->valid = false;
    t->flags &= ~TF_IN_RECOVERY;
    t->dupacks = 0;
    t->recover = t->snd_una;
    if (t->cc->undo) t->cc->undo(t, now);
    TS_COUNT(s, tcp, cc_undos);
    tcp_trace_cwnd(s, t, now);
    return true;
}

void tcp_cc_control(struct ts_stack *s, struct ts_tcb *t, uint32_t delivered, ts_time_t now)
{
    struct tcp_rate_sample rs;
    (void)s;
    tcp_rate_sample(t, delivered, t->rack.ack_rtt, t->rack.min_rtt, now, &rs);
    if (t->cc->cong_control) t->cc->cong_control(t, &rs, now);
}

bool ts_tcp_cc_known(const char *name) { return tcp_cc_find(name) != NULL; }

const char *ts_tcp_cc_names(void) { return tcp_cc_names(); }

int ts_tcp_set_cc(struct ts_sock *sock, const char *name)
{
    const struct tcp_cc_ops *cc = tcp_cc_find(name);
    if (!cc) return -TS_EINVAL;
    struct ts_tcb *t = ts_tcb_of(sock);
    if (t->cc != cc) tcp_cc_select(t, cc);
    return 0;
}

const char *ts_tcp_get_cc(const struct ts_sock *sock) { return ts_tcb_of_c(sock)->cc->name; }
