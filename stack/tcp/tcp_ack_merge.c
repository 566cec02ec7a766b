/*
 * Pure ACKs that a later ACK makes redundant before either has left (ACK frequency).
 *
 * The receiver ACKs each out-of-order segment and each hole filled at once (RFC 5681 §4.2, done
 * in tcp_input.c). The driver hands the stack a batch of frames (everything the TAP queued since
 * it last looked) and only then takes what the stack queued to send, so a batch of N data
 * segments queues N ACKs back to back. When the earlier of two such ACKs says nothing the later
 * one does not (its cumulative ACK is at or below the later one's, each of its SACK blocks is
 * covered by the later ACK or one of its blocks, it carries no D-SACK, and the window edge never
 * moves back, RFC 9293 §3.8.6.2.1), it is withdrawn from the transmit FIFO: the peer learns the
 * same, a moment earlier than it would have had to wait behind the others, and processes one ACK
 * where it would have processed N. Linux gets the same effect from GRO (one ACK per merged
 * segment) and from its SACK compression.
 *
 * Only with SACK: a peer without it counts duplicate ACKs to find a loss (RFC 5681 §3.2), and
 * every one of them matters. An idle stack sees batches of one frame, so nothing changes there;
 * the batches grow when the stack is short of CPU, which is when sending fewer frames helps.
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

/* A pure ACK for ack with the SACK blocks in o (dsack: its first block is a D-SACK) has just
 * been queued in frame f. If the connection's previous pure ACK is still queued and says
 * nothing this one does not, withdraw it. Then remember this one. */
void tcp_ack_merge(struct ts_stack *s, struct ts_tcb *t, struct ts_frame *f, uint32_t ack,
                   const struct ts_tcp_opts *o, bool dsack)
{
    struct tcp_ackq *q = &t->ackq;
    if (q->frame && ts_txq_queued(s, q->pos) && (t->flags & TF_SACK) && !q->dsack && SEQ_GEQ(ack, q->ack)) {
        bool same = true;
        for (unsigned i = 0; i < q->nsack && same; i++) same = covered(o, ack, q->sack[i][0], q->sack[i][1]);
        if (same) {
            ts_txq_withdraw(q->frame);
            TS_COUNT(s, tcp, acks_merged);
        }
    }
    q->frame = NULL;
    if (!f || !ts_txq_queued(s, ts_txq_last_pos(s)) || s->txq_tail != f) return;   /* parked for ARP */
    q->frame = f;
    q->pos = ts_txq_last_pos(s);
    q->ack = ack;
    q->dsack = dsack;
    q->nsack = o->nsack;
    for (unsigned i = 0; i < o->nsack; i++) {
        q->sack[i][0] = o->sack[i][0];
        q->sack[i][1] = o->sack[i][1];
    }
}

/* Anything else sent on the connection (data, SYN, FIN, RST): the ACK before it stays. */
void tcp_ack_merge_break(struct ts_tcb *t) { t->ackq.frame = NULL; }
