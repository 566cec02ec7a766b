/*
 * TCP over a wire with offloads (ts_config.offload, DESIGN.md "Offloads without breaking the
 * rule"): how large a segment may be, and who computes its checksum. With TS_OFFLOAD_TSO a data
 * segment may hold many MSS-sized pieces (a super-segment, up to 64 KB) that the wire splits,
 * each piece getting a copy of the header with its own sequence number; with TS_OFFLOAD_CSUM
 * the checksum field holds only the pseudo-header sum and the wire completes it. Everything
 * else in TCP (windows, RTT, SACK, loss recovery) is unchanged: it works on sequence ranges.
 */
#include "tcp/tcp_impl.h"
#include "core/frame.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

/* The largest TCP header we could send (data offset 15). */
#define TCP_HLEN_MAX 60u

uint32_t tcp_tso_max(const struct ts_stack *s, const struct ts_tcb *t)
{
    /* Retransmissions stay MSS-sized: loss is repaired a segment at a time. */
    if (!(s->cfg.offload & TS_OFFLOAD_TSO) || t->mss == 0 || SEQ_LT(t->snd_nxt, t->snd_max)) return t->mss;
    uint32_t room = 65535u - TS_IPV4_HLEN - TCP_HLEN_MAX;
    return room - room % t->mss;
}

/* A payload shorter than this is copied: a second iovec and a reference cost more than the copy. */
#define TCP_GATHER_MIN 512u

bool tcp_tso_gather(struct ts_stack *s, struct ts_tcb *t, struct ts_frame *f, uint32_t seq, uint32_t len)
{
    /* New data only. A retransmission may be acknowledged (its original arrived) while its frame
     * still waits in the queue; the send buffer then hands its place to new bytes, and a frame
     * that carried them by reference would go out with bytes its checksum was not computed on
     * (a super-segment is always new data: retransmissions are MSS-sized, tcp_tso_max). */
    if (!s->tx_gather || len < TCP_GATHER_MIN || SEQ_LT(seq, t->snd_max)) return false;
    const uint8_t *p = ts_ring_span(&t->snd, seq - t->snd_buf_seq, len);
    if (!p) return false;                                   /* wraps: copied as before */
    f->ext = ts_ring_ext(&t->snd);
    ts_ext_get(f->ext);
    f->ext_data = p;
    f->ext_len = len;
    TS_COUNT(s, tcp, tx_gathered);
    return true;
}

void tcp_offload_csum(struct ts_stack *s, struct ts_frame *f, size_t len, uint16_t gso_size,
                      uint32_t src, uint32_t dst)
{
    uint8_t *seg = f->data + TS_L4_OFFSET;
    if (!(s->cfg.offload & TS_OFFLOAD_CSUM)) {
        /* A gathered payload is summed where it lies, in the send buffer: one pass, no copy. */
        ts_tcp_fill_csum_gather(seg, len - f->ext_len, f->ext_data, f->ext_len, src, dst);
        return;
    }
    /* The field holds the folded pseudo-header sum, not complemented (as the wire expects). */
    uint32_t sum = ts_csum_pseudo(src, dst, TS_IPPROTO_TCP, (uint16_t)len);
    ts_put16(seg + 16, (uint16_t)~ts_csum_finish(sum));
    f->info.flags = TS_FRAME_CSUM_PARTIAL;
    f->info.csum_start = TS_L4_OFFSET;
    f->info.csum_offset = 16;
    TS_COUNT(s, eth, tx_csum_partial);
    if (gso_size) {
        f->info.flags |= TS_FRAME_GSO_TCP;
        f->info.gso_size = gso_size;
        TS_COUNT(s, eth, tx_gso);
    }
}
