/*
 * The sender's record of the data segments in flight (see tcp_rack.h): a ring ordered by
 * sequence, one entry per segment as first sent, from SND.UNA to SND.MAX. Retransmissions
 * update the entries they cover; cumulative ACKs pop entries; SACK blocks mark them. Bounded by
 * what the send ring holds (one entry per segment sent, each at least one byte).
 */
#include <stdlib.h>
#include "tcp/tcp_impl.h"

#define SEGS_MIN_CAP 64u

static int grow(struct tcp_segs *q)
{
    uint32_t cap = q->cap ? q->cap * 2 : SEGS_MIN_CAP;
    struct tcp_seg *v = malloc((size_t)cap * sizeof *v);
    if (!v) return -1;
    for (uint32_t i = 0; i < q->n; i++) v[i] = *tcp_seg_at(q, i);
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

void tcp_segs_free(struct tcp_segs *q)
{
    free(q->v);
    *q = (struct tcp_segs){ 0 };
}

static uint32_t seg_len(const struct tcp_seg *g) { return g->end - g->seq; }

/* g reached the peer: the delivery rate sampler and RACK hear of it. */
static void delivered(struct ts_tcb *t, const struct tcp_seg *g, ts_time_t now)
{
    tcp_rate_delivered(t, &g->rate, g->xmit);
    tcp_rack_delivered(t, g, now);
}

void tcp_seg_set_lost(struct tcp_segs *q, struct tcp_seg *g)
{
    if (g->flags & (SEG_LOST | SEG_SACKED)) return;
    g->flags |= SEG_LOST;
    q->lost_bytes += seg_len(g);
    q->lost_total += seg_len(g);
}

static void clear_lost(struct tcp_segs *q, struct tcp_seg *g)
{
    if (!(g->flags & SEG_LOST)) return;
    g->flags &= (uint8_t)~SEG_LOST;
    q->lost_bytes -= seg_len(g);
}

/* Index of the first record whose end is past seq (q->n if none). */
static uint32_t find(const struct tcp_segs *q, uint32_t seq)
{
    uint32_t lo = 0, hi = q->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (SEQ_LEQ(tcp_seg_at(q, mid)->end, seq)) lo = mid + 1; else hi = mid;
    }
    return lo;
}

int tcp_segs_sent(struct ts_tcb *t, uint32_t seq, uint32_t len, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    uint32_t end = seq + len;
    tcp_rate_on_send(t, q->n == 0, now);
    struct tcp_rate_stamp st = tcp_rate_stamp(t);
    if (q->n == 0 || SEQ_GEQ(seq, tcp_seg_at(q, q->n - 1)->end)) {
        /* new data; a super-segment (TSO) is recorded as the MSS-sized pieces the wire makes */
        uint32_t piece = t->mss ? t->mss : len, need = (len + piece - 1) / piece;
        while (q->cap - q->n < need)
            if (grow(q) < 0) return -1;
        for (uint32_t at = seq; SEQ_LT(at, end); at += piece) {
            uint32_t e = end - at > piece ? at + piece : end;
            *tcp_seg_at(q, q->n) = (struct tcp_seg){ .seq = at, .end = e, .xmit = now, .rate = st,
                                                     .xmit_n = q->xmit_n++ };
            q->n++;
        }
        return 0;
    }
    /* a retransmission: every record it overlaps was sent again now; the copies before it are
     * all known lost if the one before it was (SEG_GONE, tcp_rack_holes) */
    for (uint32_t i = find(q, seq); i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (!SEQ_LT(g->seq, end)) break;
        clear_lost(q, g);
        g->xmit = now;
        g->xmit_n = q->xmit_n++;
        g->rate = st;
        uint8_t earlier = (g->flags & SEG_GONE) ? SEG_EARLIER_GONE : 0;
        g->flags = (uint8_t)((g->flags & ~(SEG_GONE | SEG_EARLIER_GONE)) | SEG_RETRANS | earlier);
    }
    return 0;
}

void tcp_segs_acked(struct ts_tcb *t, uint32_t ack, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    while (q->n) {
        struct tcp_seg *g = tcp_seg_at(q, 0);
        if (SEQ_LEQ(g->end, ack)) {
            if (!(g->flags & SEG_SACKED)) delivered(t, g, now);
            else { q->sacked_bytes -= seg_len(g); if (t->rack.segs_sacked) t->rack.segs_sacked--; }
            clear_lost(q, g);
            q->head = (q->head + 1) & (q->cap - 1);
            q->n--;
            continue;
        }
        if (SEQ_GT(ack, g->seq)) {                       /* partly acknowledged */
            uint32_t cut = ack - g->seq;
            if (g->flags & SEG_SACKED) q->sacked_bytes -= cut;
            if (g->flags & SEG_LOST) q->lost_bytes -= cut;
            if (!(g->flags & SEG_SACKED)) delivered(t, g, now);
            g->seq = ack;
        }
        break;
    }
}

void tcp_segs_sacked(struct ts_tcb *t, uint32_t l, uint32_t r, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    for (uint32_t i = find(q, l); i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (!SEQ_LEQ(g->end, r)) break;
        if (SEQ_LT(g->seq, l) || (g->flags & SEG_SACKED)) continue;
        clear_lost(q, g);
        g->flags |= SEG_SACKED;
        q->sacked_bytes += seg_len(g);
        t->rack.segs_sacked++;
        delivered(t, g, now);
    }
}

void tcp_segs_dsacked(struct ts_tcb *t, uint32_t l, uint32_t r, ts_time_t now)
{
    struct tcp_segs *q = &t->segs;
    for (uint32_t i = find(q, l); i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (!SEQ_LEQ(g->end, r)) break;
        if (!SEQ_LT(g->seq, l)) tcp_rack_dsack_delivered(t, g, now);
    }
}

struct tcp_seg *tcp_segs_starting(const struct tcp_segs *q, uint32_t seq)
{
    uint32_t i = find(q, seq);
    return i < q->n && tcp_seg_at(q, i)->seq == seq ? tcp_seg_at(q, i) : NULL;
}

struct tcp_seg *tcp_segs_ending(const struct tcp_segs *q, uint32_t end)
{
    uint32_t i = find(q, end - 1);
    return i < q->n && tcp_seg_at(q, i)->end == end ? tcp_seg_at(q, i) : NULL;
}

struct tcp_seg *tcp_segs_first_lost(const struct tcp_segs *q)
{
    if (!q->lost_bytes) return NULL;
    for (uint32_t i = 0; i < q->n; i++) {
        struct tcp_seg *g = tcp_seg_at(q, i);
        if (g->flags & SEG_LOST) return g;
    }
    return NULL;
}

void tcp_segs_unsack(struct ts_tcb *t)
{
    struct tcp_segs *q = &t->segs;
    for (uint32_t i = 0; i < q->n; i++) tcp_seg_at(q, i)->flags &= (uint8_t)~SEG_SACKED;
    q->sacked_bytes = 0;
    t->rack.segs_sacked = 0;
}
