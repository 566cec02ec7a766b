/*
 * Proportional Rate Reduction (RFC 6937, RFC 9937), with the slow-start reduction bound (PRR-SSRB).
 * During loss recovery cwnd is recomputed on every ACK so that, while the pipe is above
 * ssthresh, data leaves in proportion to the data delivered (ssthresh / RecoverFS of it), and
 * once the pipe has fallen below ssthresh it is rebuilt towards ssthresh no faster than slow
 * start. The recovery thus ends with about ssthresh in flight, not one segment.
 * prr_out is counted by the output path (tcp_prr_sent) for every data byte sent in recovery.
 */
#include "tcp/tcp_impl.h"

/* Recovery begins (RFC 9937 §5 "Initialization on entering recovery"). RecoverFS is the pipe
 * before this recovery's loss marks: the data that can still be delivered. RFC 6937's
 * snd.nxt - snd.una counted the bytes already SACKed too, which are never delivered again, so
 * with many SACKed bytes only a fraction of ssthresh went out and recovery ended with a flight
 * far under ssthresh (the "one recovery per 1.7 losses" of issue 18). */
void tcp_prr_start(struct ts_tcb *t)
{
    t->prr_delivered = 0;
    t->prr_out = 0;
    uint32_t flight = t->snd_max - t->snd_una;
    t->recover_fs = flight > t->segs.sacked_bytes ? flight - t->segs.sacked_bytes : 0;
    if (t->recover_fs == 0) t->recover_fs = 1;
}

/* On every ACK in recovery: delivered is DeliveredData (RFC 6937 §3: the change in snd.una
 * plus the change in SACKed bytes), pipe the RFC 6675 pipe after the ACK was processed. Sets
 * cwnd = pipe + sndcnt. */
void tcp_prr_ack(struct ts_tcb *t, uint32_t delivered, uint32_t pipe)
{
    uint64_t sndcnt;
    t->prr_delivered += delivered;
    if (pipe > t->ssthresh) {
        /* proportional: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
        uint64_t want = ((uint64_t)t->prr_delivered * t->ssthresh + t->recover_fs - 1) / t->recover_fs;
        sndcnt = want > t->prr_out ? want - t->prr_out : 0;
    } else {
        /* PRR-SSRB: limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS */
        uint64_t owed = t->prr_delivered > t->prr_out ? t->prr_delivered - t->prr_out : 0;
        uint64_t limit = (owed > delivered ? owed : delivered) + t->mss;
        /* the room below ssthresh in whole segments, as a sender that counts packets has it:
         * with a window of 4 segments, ssthresh - pipe is often a fraction of one, which let
         * nothing go although the pipe was under ssthresh, and the flight starved */
        uint64_t room = ((uint64_t)t->ssthresh - pipe + t->mss - 1) / t->mss * t->mss;
        sndcnt = room < limit ? room : limit;
    }
    /* The fast retransmit itself always goes, a whole segment (nothing sent yet in this
     * recovery; RFC 6937bis does the same). */
    if (t->prr_out == 0 && sndcnt < t->mss) sndcnt = t->mss;
    uint64_t cwnd = (uint64_t)pipe + sndcnt;
    t->cwnd = cwnd > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)cwnd;
}
