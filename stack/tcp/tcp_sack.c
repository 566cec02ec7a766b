/*
 * The sender's side of SACK (RFC 2018, RFC 6675): reading the peer's SACK blocks into the record
 * of segments in flight (tcp_segs.c, which RACK reads) and into the SACKed ranges, telling
 * D-SACKs (RFC 2883 §4) from the rest, and the pipe: the bytes thought to be in the network
 * (RFC 6675 §4, with RACK's loss marks in place of IsLost, RFC 8985 §6).
 */
#include "tcp/tcp_impl.h"

/* Record the SACK blocks of an arriving ACK whose cumulative ACK is ack (SND.UNA already moved
 * for it). Returns true when the first block is a D-SACK (RFC 2883 §4): at or below the ACK, or
 * inside the second block. The blocks are taken in by sequence, not in the order the ACK lists
 * them (the most recent first, RFC 2018 §4): RACK takes a segment newly delivered below the
 * highest delivered one for reordering (RFC 8985 §6.2 step 3), and an ACK whose predecessor was
 * lost often reports two ranges that grew, the higher one first (rack_sack_order.pkt). */
bool tcp_sack_update(struct ts_tcb *t, const struct ts_tcp_opts *o, uint32_t ack, ts_time_t now)
{
    bool dsack = false;
    uint32_t dl = 0, dr = 0, b[TS_TCP_SACK_MAX][2];
    unsigned n = 0;
    for (unsigned i = 0; i < o->nsack && i < TS_TCP_SACK_MAX; i++) {
        uint32_t l = o->sack[i][0], r = o->sack[i][1];
        if (!SEQ_LT(l, r)) continue;
        if (i == 0 && (SEQ_LEQ(r, ack) ||
                       (o->nsack > 1 && SEQ_GEQ(l, o->sack[1][0]) && SEQ_LEQ(r, o->sack[1][1])))) {
            dsack = true;
            dl = l;
            dr = r;
            continue;
        }
        /* A block at or over SND.UNA is stale or a lie (the peer would have ACKed it): never let
         * it mark the left edge, which must always be resent (RFC 2018 §8). */
        if (SEQ_LEQ(l, t->snd_una)) continue;
        if (SEQ_GT(r, t->snd_max)) r = t->snd_max;
        if (!SEQ_LT(l, r)) continue;
        unsigned j = n++;
        for (; j > 0 && SEQ_LT(l, b[j - 1][0]); j--) {
            b[j][0] = b[j - 1][0];
            b[j][1] = b[j - 1][1];
        }
        b[j][0] = l;
        b[j][1] = r;
    }
    for (unsigned i = 0; i < n; i++) {
        (void)ts_reass_add(&t->sacked, b[i][0] - t->snd_una, b[i][1] - b[i][0]);   /* full: keep what we have */
        tcp_segs_sacked(t, b[i][0], b[i][1], now);
    }
    if (dsack && SEQ_GT(dr, t->snd_una)) tcp_segs_dsacked(t, ts_seq_max(dl, t->snd_una), dr, now);
    tcp_rack_holes(t, o, ack, dsack);                   /* after RACK heard of what it delivered */
    return dsack;
}

/* SND.UNA moved forward by n. */
void tcp_sack_advance(struct ts_tcb *t, uint32_t n)
{
    if (t->sacked.n) ts_reass_advance(&t->sacked, n);
}

/* After a second timeout the peer may have reneged: forget what it SACKed. */
void tcp_sack_clear(struct ts_tcb *t)
{
    ts_reass_free(&t->sacked);
    tcp_segs_unsack(t);
}

/* RFC 6675 §4 pipe: outstanding bytes less those SACKed and those deemed lost (and not sent
 * again since). */
uint32_t tcp_sack_pipe(const struct ts_tcb *t)
{
    uint32_t flight = t->snd_max - t->snd_una, out = t->segs.sacked_bytes + t->segs.lost_bytes;
    return flight > out ? flight - out : 0;
}

/* Resending from SND.NXT after a timeout (no SACK records): step over what the peer holds;
 * returns how many bytes may be sent from there before the next SACKed range (UINT32_MAX if
 * none). */
uint32_t tcp_sack_skip(struct ts_tcb *t)
{
    const struct ts_reass *sb = &t->sacked;
    if (!sb->n || !SEQ_LT(t->snd_nxt, t->snd_max) || SEQ_LT(t->snd_nxt, t->snd_una)) return UINT32_MAX;
    uint32_t off = t->snd_nxt - t->snd_una;
    for (unsigned i = 0; i < sb->n; i++) {
        if (off < sb->r[i].start) { t->snd_nxt = t->snd_una + off; return sb->r[i].start - off; }
        if (off < sb->r[i].end) off = sb->r[i].end;
    }
    t->snd_nxt = t->snd_una + off;
    return UINT32_MAX;
}
