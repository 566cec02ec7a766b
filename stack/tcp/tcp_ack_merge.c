/*
 * Pure ACKs that a later ACK makes redundant before either has left (ACK frequency).
 *
 * The receiver ACKs each out-of-order segment and each hole filled at once (RFC 5681 §4.2, done
 * in tcp_input.c). The driver hands the stack a batch of frames (everything the TAP queued since
 * it last looked) and only then takes what the stack queued to send, so a batch of N data
 * segments queues N ACKs back to back. When the earlier of two such ACKs says nothing the later
 * one does not (its cumulative ACK is at or below the later one's, each of its SACK blocks is
 * covered by the later ACK or one of its blocks, it carries no D-SACK, and the window edge never
 * moves back, RFC 9293 §3.8.6.2.1), and its first block (the range its segment went into) is the
 * later ACK's first block grown or is acknowledged by it, it is withdrawn from the transmit FIFO
 * when that later ACK is the second after it:
 * the peer learns the same, a moment earlier than it would have behind the others, and processes
 * one ACK where it would have processed N. Linux gets the same effect from GRO (one ACK per merged
 * segment) and from its SACK compression.
 *
 * The first-block rule keeps each out-of-order range reported first in an ACK that goes, and then
 * in the next ACKs (RFC 2018 §4), as without merging; and the ACK just before the newest always
 * goes too. Without these (one ACK per batch) a lost ACK took the news of several ranges with it:
 * receiving 20 MB at 10 % loss the kernel's sender then resent 15-140 % more than was lost (RACK
 * marking what it never heard of), and at the end of a transfer, with nothing left to send, it
 * waited for its retransmission timeout (6 timeouts in 12 transfers at 5-10 %, 0 now).
 *
 * In-order ACKs (no blocks on either) merge the same way, SACK or not, when the later one
 * acknowledges more: RFC 5681 §4.2's ACK of every second segment is for the peer's ACK clock,
 * and ACKs that leave in one write burst clock nothing apart (the driver sends a batch's frames
 * together after the batch). Receiving an upload with offloads, a batch under load holds about
 * ten 64 KB super-segments, and every ACK written to the TAP runs the kernel sender's whole ACK
 * processing inside our write: 1 ACK per super-segment became 0.11 (issue 19). An ACK equal to
 * the one before is a duplicate ACK, which a peer without SACK counts (RFC 5681 §3.2): it
 * always goes, and so does every ACK that carries SACK blocks unless the rules above say
 * otherwise. A batch is what arrived while the stack was busy: short when it keeps up (a lone
 * segment's ACK goes as before), long when it is short of CPU, which is when sending fewer frames
 * helps most.
 */
#include "tcp/tcp_impl.h"
#include "core/frame.h"

static bool covered(const struct ts_tcp_opts *o, uint32_t ack, uint32_t l, uint32_t r)
{
    if (SEQ_LEQ(r, ack)) return true;
    for (unsigned i = 0; i < o->nsack; i++)
        if (SEQ_LEQ(o->sack[i][0], l) && SEQ_LEQ(r, o->sack[i][1])) return true;
    return false;
}

/* May the queued ACK q go, now that an ACK for ack with the blocks in o is queued after it? */
static bool redundant(const struct ts_stack *s, const struct ts_tcb *t, const struct tcp_ackq_slot *q,
                      uint32_t ack, const struct ts_tcp_opts *o)
{
    if (!q->frame || !ts_txq_queued(s, q->pos) || q->dsack || SEQ_LT(ack, q->ack)) return false;
    /* In order (no blocks on either): a cumulative ACK that a higher one follows in the same
     * batch, with or without SACK. Never an equal one: that is a duplicate ACK, which counts. */
    if (!q->nsack && !o->nsack) return SEQ_GT(ack, q->ack);
    if (!(t->flags & TF_SACK)) return false;
    /* Only an ACK with SACK blocks: one without (all in order) is RFC 5681's ACK of every second
     * segment, and at the start of a connection or the end of a transfer it may be all the peer
     * hears. Its first block (the range the segment that asked for it went into) is the new ACK's
     * first block grown, or acknowledged: a new range always gets an ACK of its own. */
    bool same = q->nsack && (SEQ_LEQ(q->sack[0][1], ack) ||
                             (o->nsack && SEQ_LEQ(o->sack[0][0], q->sack[0][0]) &&
                              SEQ_LEQ(q->sack[0][1], o->sack[0][1])));
    for (unsigned i = 0; i < q->nsack && same; i++) same = covered(o, ack, q->sack[i][0], q->sack[i][1]);
    return same;
}

/* A pure ACK for ack with the SACK blocks in o (dsack: its first block is a D-SACK) has just
 * been queued in frame f. If the connection's pure ACK two before it is still queued and says
 * nothing this one does not, withdraw it; the one between stays, so what the last ACK says also
 * goes twice and one lost ACK does not take it (at the end of a transfer, with nothing more to
 * send, the sender would wait for its retransmission timeout). Then remember this one. */
void tcp_ack_merge(struct ts_stack *s, struct ts_tcb *t, struct ts_frame *f, uint32_t ack,
                   const struct ts_tcp_opts *o, bool dsack)
{
    struct tcp_ackq_slot *q = t->ackq;
    if (redundant(s, t, &q[0], ack, o)) {
        ts_txq_withdraw(q[0].frame);
        TS_COUNT(s, tcp, acks_merged);
    }
    q[0] = q[1];
    q[1].frame = NULL;
    if (!f || !ts_txq_queued(s, ts_txq_last_pos(s)) || s->txq_tail != f) return;   /* parked for ARP */
    q[1].frame = f;
    q[1].pos = ts_txq_last_pos(s);
    q[1].ack = ack;
    q[1].dsack = dsack;
    q[1].nsack = o->nsack;
    for (unsigned i = 0; i < o->nsack; i++) {
        q[1].sack[i][0] = o->sack[i][0];
        q[1].sack[i][1] = o->sack[i][1];
    }
}

/* Anything else sent on the connection (data, SYN, FIN, RST): the ACKs before it stay. */
void tcp_ack_merge_break(struct ts_tcb *t) { t->ackq[0].frame = t->ackq[1].frame = NULL; }
