/*
 * The receiver's SACK option (RFC 2018 §4, RFC 2883): which blocks an ACK reports, in which order.
 *
 * RFC 2018 §4: the first block MUST hold the segment that triggered the ACK; the others SHOULD be
 * the most recently reported blocks, so that a block is repeated in several ACKs and survives
 * their loss. With more holes than fit in one option, that means the newest, not the lowest.
 * We keep, newest first, the start of the latest out-of-order segment stored in each held range
 * (t->sack_recent); the blocks are the held ranges in that order.
 *
 * RFC 2883 (D-SACK): a segment that carries bytes already received is reported once, in the
 * first block of the next ACK, followed by the block that holds it if that is still held
 * (its §4: "the second SACK block ... SHOULD specify the block of data containing the
 * duplicate"), then the others by recency.
 */
#include "tcp/tcp_impl.h"
#include <string.h>

/* The index of the held range holding seq, or -1 (the ranges are sorted: a binary search). */
static int range_of(const struct ts_tcb *t, uint32_t seq)
{
    if (SEQ_LT(seq, t->rcv_nxt)) return -1;
    uint32_t off = seq - t->rcv_nxt;
    unsigned lo = 0, hi = t->reass.n;                   /* the first range ending past off */
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (t->reass.r[mid].end <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->reass.n && off >= t->reass.r[lo].start ? (int)lo : -1;
}

/* An out-of-order segment starting at seq has just been stored in t->reass. Its range becomes
 * the most recent; older entries that now fall in the same range, or in none, are forgotten. */
void tcp_sack_rcv_note(struct ts_tcb *t, uint32_t seq)
{
    int mine = range_of(t, seq);
    /* The usual case after a loss: the segment grew the newest range and no range came or went
     * since the last call (each new range passes here; one taken by RCV.NXT lowers the count),
     * so the other entries stand. */
    if (t->sack_nrecent && t->reass.n == t->sack_recent_n && mine >= 0 && range_of(t, t->sack_recent[0]) == mine) {
        t->sack_recent[0] = seq;
        return;
    }
    unsigned n = 0;
    uint32_t keep[TS_SACK_RECENT];
    keep[n++] = seq;
    for (unsigned i = 0; i < t->sack_nrecent && n < TS_SACK_RECENT; i++) {
        int r = range_of(t, t->sack_recent[i]);
        if (r >= 0 && r != mine) keep[n++] = t->sack_recent[i];
    }
    memcpy(t->sack_recent, keep, n * sizeof keep[0]);
    t->sack_nrecent = (uint8_t)n;
    t->sack_recent_n = t->reass.n;
}

/* A data segment [seq, seq+len) arrives (before it is trimmed or stored): if part of it was
 * received already, remember the first such part as the D-SACK block of the next ACK. */
void tcp_dsack_note(struct ts_tcb *t, uint32_t seq, uint32_t len)
{
    if (!(t->flags & TF_SACK) || len == 0) return;
    uint32_t end = seq + len;
    if (SEQ_LT(seq, t->rcv_nxt)) {                      /* below RCV.NXT: delivered already */
        t->dsack_l = seq;
        t->dsack_r = SEQ_LT(end, t->rcv_nxt) ? end : t->rcv_nxt;
        t->dsack_pending = true;
        return;
    }
    for (unsigned i = 0; i < t->reass.n; i++) {         /* over a range held out of order */
        uint32_t rs = t->rcv_nxt + t->reass.r[i].start, re = t->rcv_nxt + t->reass.r[i].end;
        if (SEQ_LT(rs, end) && SEQ_LT(seq, re)) {
            t->dsack_l = ts_seq_max(seq, rs);
            t->dsack_r = ts_seq_min(end, re);
            t->dsack_pending = true;
            return;
        }
    }
}

static bool add_block(struct ts_tcp_opts *o, unsigned max, uint32_t l, uint32_t r)
{
    if (o->nsack >= max) return false;
    o->sack[o->nsack][0] = l;
    o->sack[o->nsack][1] = r;
    o->nsack++;
    return true;
}

/* Fill o's SACK blocks for an ACK, at most max of them (fewer fit beside timestamps). */
void tcp_sack_rcv_blocks(const struct ts_tcb *t, struct ts_tcp_opts *o, unsigned max)
{
    bool used[TS_REASS_MAX] = { false };
    o->nsack = 0;
    if (t->dsack_pending) {
        add_block(o, max, t->dsack_l, t->dsack_r);
        int r = range_of(t, t->dsack_l);                 /* the range holding the duplicate */
        if (r >= 0) {
            used[r] = true;
            add_block(o, max, t->rcv_nxt + t->reass.r[r].start, t->rcv_nxt + t->reass.r[r].end);
        }
    }
    for (unsigned k = 0; k < t->sack_nrecent; k++) {
        int r = range_of(t, t->sack_recent[k]);
        if (r < 0 || used[r]) continue;
        used[r] = true;
        if (!add_block(o, max, t->rcv_nxt + t->reass.r[r].start, t->rcv_nxt + t->reass.r[r].end))
            return;
    }
    for (unsigned i = t->reass.n; i-- > 0;)             /* never reported yet: highest first */
        if (!used[i] && !add_block(o, max, t->rcv_nxt + t->reass.r[i].start, t->rcv_nxt + t->reass.r[i].end))
            return;
}
