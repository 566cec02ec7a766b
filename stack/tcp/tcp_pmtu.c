/*
 * Path MTU discovery for TCP (RFC 1191), with RFC 5927's checks on the ICMP that drives it.
 *
 * Every TCP segment leaves with DF set (ipv4.c). A router that cannot forward one answers with
 * ICMP Destination Unreachable, code 4 ("fragmentation needed and DF set", a Packet Too Big),
 * carrying its next-hop MTU. ts_tcp_icmp_error has already checked that the quoted segment is
 * one of this connection's, in flight (RFC 5927 §4.1: SND.UNA <= SEG.SEQ < SND.MAX); here:
 *   - an MTU field of 0 (a router older than RFC 1191) is estimated from the plateau table of
 *     RFC 1191 §7, below the quoted datagram's length;
 *   - a claim that is not below the quoted datagram's length is inconsistent: ignored
 *     (tcp.icmp_ptb_bogus);
 *   - a claim below 576 bytes is ignored (tcp.icmp_ptb_too_small): RFC 5927 §7.3, a forged PTB
 *     must not shrink segments to a few bytes; every IPv4 path carries 576;
 *   - otherwise the send MSS drops to MTU - 40 (and the timestamp option's 12 bytes), never
 *     grows this way, and the segment at SND.UNA, lost, goes again at the new size at once.
 */
#include "tcp/tcp_impl.h"

#define PMTU_FLOOR 576

/* RFC 1191 §7's plateaus: the largest below len. */
static uint16_t plateau_below(uint16_t len)
{
    static const uint16_t plateaus[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };
    for (size_t i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
        if (plateaus[i] < len) return plateaus[i];
    return 68;
}

void tcp_pmtu_ptb(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint16_t mtu, uint16_t quoted_len)
{
    if (mtu == 0) mtu = plateau_below(quoted_len);
    if (mtu >= quoted_len) { TS_COUNT(s, tcp, icmp_ptb_bogus); return; }
    if (mtu < PMTU_FLOOR) { TS_COUNT(s, tcp, icmp_ptb_too_small); return; }
    uint32_t mss = (uint32_t)mtu - 40u - (t->ts_ok ? TS_TCP_TS_LEN : 0u);
    if (mss >= t->mss) return;                      /* already that small */
    t->mss = (uint16_t)mss;
    TS_COUNT(s, tcp, pmtu_reductions);
    if (SEQ_LT(t->snd_una, t->snd_max)) tcp_retransmit_first(s, t, now);
}
