/*
 * The analysis behind the pictures (contract and the rules it infers by in plot_an.h).
 */
#include "plot/plot_an.h"

#include <stdlib.h>
#include <string.h>

#include "wire/tcp.h"

/* Per-direction state while walking the segments. "peer" values come from the other direction. */
struct walk {
    int64_t last_rel;      /* unwrapping of its own sequence numbers */
    uint32_t last_raw;
    int64_t snd_max;       /* highest end sent so far */
    bool any_sent;
    ts_time_t last_sent;
    /* what the peer said about this direction's data */
    int64_t snd_una, ack_rel;
    uint32_t ack_raw;
    bool acked, peer_zero;
    uint32_t peer_last_win;
    unsigned dupacks;
    bool in_recovery, sacked;
    int64_t recover;
};

void ts_plot_an_free(struct ts_plot_an *an)
{
    free(an->m);
    memset(an, 0, sizeof *an);
}

static int64_t unwrap(int64_t *last_rel, uint32_t *last_raw, uint32_t v)
{
    *last_rel += (int32_t)(v - *last_raw);
    *last_raw = v;
    return *last_rel;
}

/* First pass: ISNs, window scale, time span. */
static void find_isns(const struct ts_plot_conv *conv, struct ts_plot_an *an)
{
    uint8_t ws[2] = { 0xff, 0xff };
    for (size_t i = 0; i < conv->nsegs; i++) {
        const struct ts_plot_seg *s = &conv->segs[i];
        struct ts_plot_dirsum *d = &an->d[s->dir];
        if (i == 0 || s->t < an->t0) an->t0 = s->t;
        if (s->t > an->t1) an->t1 = s->t;
        d->seen = true;
        if ((s->flags & TS_TCP_SYN) && !d->syn) {
            d->syn = true;
            d->isn = s->seq;
            d->isn_known = true;
            ws[s->dir] = s->wscale;
        } else if (!d->isn_known) {
            d->isn = s->seq;
            d->isn_known = true;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (an->d[k].isn_known) continue;
        /* never seen sending: its ISN is taken from the first ACK of it */
        for (size_t i = 0; i < conv->nsegs; i++) {
            const struct ts_plot_seg *s = &conv->segs[i];
            if (s->dir != k && (s->flags & TS_TCP_ACK)) {
                an->d[k].isn = s->ack - 1;
                an->d[k].isn_known = true;
                break;
            }
        }
    }
    an->wscale_known = an->d[0].syn && an->d[1].syn;
    if (an->wscale_known && ws[0] != 0xff && ws[1] != 0xff) {
        an->d[0].shift = ws[0];
        an->d[1].shift = ws[1];
    }
}

/* What segment s (sent by the other side) says about direction w's data: ACK, window, dupacks. */
static void note_ack(struct ts_plot_an *an, struct walk *w, const struct ts_plot_seg *s, struct ts_plot_mark *m)
{
    struct ts_plot_dirsum *sender = &an->d[s->dir];
    if (!(s->flags & TS_TCP_ACK)) return;
    if (!w->acked) {
        uint32_t isn = an->d[!s->dir].isn;
        w->ack_rel = (int32_t)(s->ack - isn);
        w->ack_raw = s->ack;
        w->snd_una = w->ack_rel;
        w->acked = true;
    }
    int64_t ack = unwrap(&w->ack_rel, &w->ack_raw, s->ack);
    uint64_t wnd = (uint64_t)s->win << ((s->flags & TS_TCP_SYN) ? 0 : sender->shift);
    m->ack = ack;
    m->edge = ack + (int64_t)wnd;
    m->kind |= TS_PA_ACK;
    if (wnd == 0) m->kind |= TS_PA_ZEROWIN;
    sender->acks++;
    if (sender->acks == 1 || ack > sender->ack_max) sender->ack_max = ack;
    if (sender->acks == 1 || m->edge > sender->edge_max) sender->edge_max = m->edge;
    sender->sack_blocks += s->nsack;
    bool pure = s->len == 0 && !(s->flags & (TS_TCP_SYN | TS_TCP_FIN));
    if (ack > w->snd_una) {
        w->snd_una = ack;
        w->dupacks = 0;
        w->sacked = false;
        if (w->in_recovery && ack >= w->recover) w->in_recovery = false;
    } else if (pure && ack == w->snd_una && w->snd_max > ack && s->win == w->peer_last_win) {
        w->dupacks++;
        m->kind |= TS_PA_DUPACK;
        sender->dupacks++;
        if (s->nsack) w->sacked = true;
        if (!w->in_recovery && (w->dupacks >= 3 || w->sacked)) {
            w->in_recovery = true;
            w->recover = w->snd_max;
        }
    }
    w->peer_last_win = s->win;
    w->peer_zero = wnd == 0;
}

/* Segment s as data of its own direction: retransmit, RTO, zero-window probe. */
static void note_data(struct ts_plot_an *an, struct walk *w, const struct ts_plot_seg *s, struct ts_plot_mark *m)
{
    struct ts_plot_dirsum *d = &an->d[s->dir];
    if (!w->any_sent && !d->syn) {
        w->last_raw = s->seq;
        w->last_rel = (int32_t)(s->seq - d->isn);
    }
    int64_t seq = unwrap(&w->last_rel, &w->last_raw, s->seq);
    int64_t end = seq + s->len + ((s->flags & TS_TCP_SYN) ? 1 : 0) + ((s->flags & TS_TCP_FIN) ? 1 : 0);
    m->seq = seq;
    m->end = end;
    d->segs++;
    bool carries = end > seq;
    if (carries) {
        m->kind |= TS_PA_DATA;
        d->data_segs++;
        d->bytes += s->len;
        if (d->data_segs == 1 || seq < d->seq_min) d->seq_min = seq;
        if (d->data_segs == 1 || end > d->seq_max) d->seq_max = end;
    }
    if (w->peer_zero && s->len <= 1 && !(s->flags & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST)) && w->any_sent) {
        m->kind |= TS_PA_ZWP;
        d->zwp++;
    } else if (carries && w->any_sent && seq < w->snd_max) {
        m->kind |= TS_PA_RETX;
        d->retx++;
        d->retx_bytes += s->len;
        bool at_una = !w->acked || seq == w->snd_una || (s->flags & TS_TCP_SYN);
        if (at_una && !w->in_recovery && w->dupacks < 3 && s->t - w->last_sent >= TS_PLOT_RTO_GAP) {
            m->kind |= TS_PA_RTO;
            d->rto++;
        }
    }
    if (!w->any_sent || end > w->snd_max) w->snd_max = end;
    w->any_sent = true;
    w->last_sent = s->t;
}

int ts_plot_analyse(const struct ts_plot_conv *conv, struct ts_plot_an *an)
{
    memset(an, 0, sizeof *an);
    an->n = conv->nsegs;
    an->m = calloc(conv->nsegs ? conv->nsegs : 1, sizeof *an->m);
    if (!an->m) return -1;
    find_isns(conv, an);
    struct walk w[2];
    memset(w, 0, sizeof w);
    for (int k = 0; k < 2; k++) {
        w[k].last_raw = an->d[k].isn;
        w[k].last_rel = 0;
    }
    for (size_t i = 0; i < conv->nsegs; i++) {
        const struct ts_plot_seg *s = &conv->segs[i];
        struct ts_plot_mark *m = &an->m[i];
        note_ack(an, &w[!s->dir], s, m);
        note_data(an, &w[s->dir], s, m);
    }
    return 0;
}
