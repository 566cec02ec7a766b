/*
 * The sender's SACK scoreboard (RFC 2018, RFC 6675, simplified): which ranges above SND.UNA the
 * peer holds, as offsets from SND.UNA in a bounded range set. During recovery the "pipe" (bytes
 * thought to be in the network) decides how much may be sent, holes first; after a timeout the
 * go-back-N resend skips what the peer already holds.
 */
#include "tcp/tcp_impl.h"

/* Record the SACK blocks of an arriving ACK (after SND.UNA moved for it). */
void tcp_sack_update(struct ts_tcb *t, const struct ts_tcp_opts *o)
{
    for (unsigned i = 0; i < o->nsack; i++) {
        uint32_t l = o->sack[i][0], r = o->sack[i][1];
        /* A block at or over SND.UNA is a D-SACK, stale, or a lie (the peer would have ACKed it):
         * never let it mark the left edge, which must always be resent (RFC 2018 §8). */
        if (SEQ_LEQ(l, t->snd_una)) continue;
        if (SEQ_GT(r, t->snd_max)) r = t->snd_max;
        if (!SEQ_LT(l, r)) continue;
        (void)ts_reass_add(&t->sacked, l - t->snd_una, r - l);   /* full: keep what we have */
    }
}

/* SND.UNA moved forward by n. */
void tcp_sack_advance(struct ts_tcb *t, uint32_t n)
{
    if (t->sacked.n) ts_reass_advance(&t->sacked, n);
}

void tcp_sack_clear(struct ts_tcb *t) { t->sacked.n = 0; }

/* RFC 6675 §4 pipe: outstanding bytes, less those SACKed, less the holes below the highest
 * SACK not yet retransmitted in this recovery (deemed lost). */
uint32_t tcp_sack_pipe(const struct ts_tcb *t)
{
    const struct ts_reass *sb = &t->sacked;
    uint32_t flight = t->snd_max - t->snd_una;
    if (!sb->n) return flight;
    uint32_t from = SEQ_GT(t->rxt_nxt, t->snd_una) ? t->rxt_nxt - t->snd_una : 0;
    uint32_t high = sb->r[sb->n - 1].end, lost = 0;
    if (from < high) {
        lost = high - from;
        for (unsigned i = 0; i < sb->n; i++) {
            uint32_t a = sb->r[i].start > from ? sb->r[i].start : from;
            if (sb->r[i].end > a) lost -= sb->r[i].end - a;
        }
    }
    uint32_t out = ts_reass_bytes(sb) + lost;
    return flight > out ? flight - out : 0;
}

/* The first hole at or after sequence `from` and below the highest SACKed byte. */
bool tcp_sack_next_hole(const struct ts_tcb *t, uint32_t from, uint32_t *seq, uint32_t *len)
{
    const struct ts_reass *sb = &t->sacked;
    uint32_t off = SEQ_GT(from, t->snd_una) ? from - t->snd_una : 0;
    for (unsigned i = 0; i < sb->n; i++) {
        if (off < sb->r[i].start) {
            *seq = t->snd_una + off;
            *len = sb->r[i].start - off;
            return true;
        }
        if (off < sb->r[i].end) off = sb->r[i].end;
    }
    return false;
}

/* Resending from SND.NXT after a timeout: step over what the peer holds; returns how many bytes
 * may be sent from there before the next SACKed range (UINT32_MAX if none). */
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
