/*
 * TCP timestamps (RFC 7323 §3-§5): the option negotiated on SYN and SYN,ACK, TS.Recent and its
 * update rule (§4.3), round-trip time measurement from every ACK of new data (RTTM, §4), and
 * protection against wrapped sequence numbers (PAWS, §5). Read it beside the RFC.
 *
 * Our TSval is a per-connection clock (§5.4, §7.1): milliseconds of the stack's time plus an
 * offset from a keyed hash of the 4-tuple, so that the value says nothing about the host's
 * uptime, while successive connections on one 4-tuple still see it increase (PAWS across
 * TIME_WAIT reuse). A SYN cookie's SYN,ACK can carry it without keeping state: the offset is
 * recomputed from the tuple, and the returning ACK's TSopt tells that the peer agreed.
 *
 * Segments without a timestamp on a connection that negotiated them are accepted, as Linux and
 * FreeBSD do, though §3.2 says SHOULD drop: they are used for nothing but what they carry.
 */
#include "tcp/tcp_impl.h"
#include "wire/bytes.h"

#define TS_PAWS_IDLE TS_SEC(24u * 24 * 3600)   /* §5.5: TS.Recent older than 24 days is invalid */

uint32_t tcp_ts_offset(const struct ts_tcp *tcp, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport)
{
    uint8_t b[13];
    ts_put32(b, laddr);
    ts_put32(b + 4, raddr);
    ts_put16(b + 8, lport);
    ts_put16(b + 10, rport);
    b[12] = 'T';                                 /* not an ISN: a different input to the key */
    return (uint32_t)ts_siphash(&tcp->isn_key, b, sizeof b);
}

uint32_t tcp_ts_now(const struct ts_tcb *t, ts_time_t now)
{
    return (uint32_t)(now / 1000u) + t->ts_offset;
}

/* A SYN or SYN,ACK from the peer (t in SYN_SENT, or a new child): are timestamps on? */
void tcp_ts_syn(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_opts *o)
{
    if (!o->has_ts || s->cfg.tcp_no_timestamps) { t->ts_ok = false; return; }
    if (!t->ts_ok && t->mss > TS_TCP_MSS_MIN + TS_TCP_TS_LEN) t->mss -= TS_TCP_TS_LEN;  /* §3: every segment */
    t->ts_ok = true;
    t->ts_recent = o->ts_val;
    t->ts_recent_age = now;
}

/* §5.3 R1: is this an old duplicate by its timestamp? The caller drops it and ACKs. */
bool tcp_ts_paws_reject(const struct ts_tcb *t, ts_time_t now, uint8_t flags, const struct ts_tcp_opts *o)
{
    if (!t->ts_ok || !o || !o->has_ts || (flags & TS_TCP_RST)) return false;
    if (now - t->ts_recent_age > TS_PAWS_IDLE) return false;   /* §5.5: TS.Recent no longer valid */
    return SEQ_LT(o->ts_val, t->ts_recent);                  /* timestamps compare modulo 2^32 too */
}

/* §4.3 (2): an acceptable segment's TSval becomes TS.Recent if it is not older and the
 * segment starts at or before the last ACK we sent (so delayed ACKs echo the earliest). */
void tcp_ts_update_recent(struct ts_tcb *t, ts_time_t now, uint32_t seq, const struct ts_tcp_opts *o)
{
    if (!t->ts_ok || !o || !o->has_ts) return;
    bool stale = now - t->ts_recent_age > TS_PAWS_IDLE;
    if ((SEQ_GEQ(o->ts_val, t->ts_recent) || stale) && SEQ_LEQ(seq, t->last_ack_sent)) {
        t->ts_recent = o->ts_val;
        t->ts_recent_age = now;
    }
}

/* §4.1/§4.2 RTTM: one RTT sample from the TSecr of an ACK that acknowledges new data, whether
 * or not it was retransmitted (no Karn ambiguity: the echo names the segment's send time).
 * flight: bytes outstanding before this ACK, for §4.2's per-sample gains. true: sampled. */
bool tcp_ts_rtt(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_opts *o,
                uint32_t flight)
{
    if (!t->ts_ok || !o || !o->has_ts || o->ts_ecr == 0) return false;
    uint32_t ms = tcp_ts_now(t, now) - o->ts_ecr;
    if (ms > TS_RTO_MAX / 1000u) return false;             /* an echo we never sent */
    ts_time_t m = TS_MS(ms);
    ts_time_t min = s->cfg.tcp_rto_min ? s->cfg.tcp_rto_min : TS_MS(200);
    uint32_t per_rtt = t->mss ? (flight + 2u * t->mss - 1) / (2u * t->mss) : 1;   /* ExpectedSamples */
    ts_rtt_sample_n(&t->rtt, m, ts_rtt_expected(&t->rtt, per_rtt, now), min, TS_RTO_MAX);
    TS_COUNT(s, tcp, ts_rtt_samples);
    return true;
}

/* SYN cookies keep no state, so what the SYN asked for besides the MSS (which the cookie itself
 * encodes) rides in the low 6 bits of our TSval, which the peer echoes in its TSecr (the idea is
 * Linux's): bit 5 SACK-permitted, bit 4 window scale present, bits 3..0 the peer's shift. The
 * value never exceeds our clock, so later TSvals do not go backwards (§5.3 at the peer). */
#define COOKIE_SACK 0x20u
#define COOKIE_WS 0x10u
uint32_t tcp_ts_cookie_val(uint32_t clock, const struct ts_tcp_opts *peer)
{
    uint32_t bits = (peer->sack_ok ? COOKIE_SACK : 0) |
                    (peer->has_wscale ? COOKIE_WS | (peer->wscale > TS_TCP_WSCALE_MAX ? TS_TCP_WSCALE_MAX : peer->wscale) : 0);
    uint32_t v = (clock & ~0x3fu) | bits;
    return SEQ_GT(v, clock) ? v - 64 : v;
}

/* A connection made from a cookie: the options its SYN had, from the TSecr of the ACK. */
void tcp_ts_cookie_opts(struct ts_tcb *t, uint32_t ecr)
{
    if (ecr & COOKIE_SACK) t->flags |= TF_SACK;
    if (ecr & COOKIE_WS) {
        t->flags |= TF_WSCALE;
        t->snd_wscale = (uint8_t)(ecr & 0xfu) > TS_TCP_WSCALE_MAX ? TS_TCP_WSCALE_MAX : (uint8_t)(ecr & 0xfu);
        t->rcv_wscale = tcp_wscale_for(t);
    }
}

/* The timestamp option for a segment we send now (none before the handshake agreed on it,
 * except in our own SYN). */
void tcp_ts_fill(const struct ts_stack *s, const struct ts_tcb *t, ts_time_t now, uint8_t flags,
                 struct ts_tcp_opts *o)
{
    bool our_syn = (flags & TS_TCP_SYN) && t->state == TS_TCP_SYN_SENT;
    if (our_syn ? s->cfg.tcp_no_timestamps : !t->ts_ok) return;
    o->has_ts = true;
    o->ts_val = tcp_ts_now(t, now);
    o->ts_ecr = our_syn ? 0 : t->ts_recent;                  /* §3.2: TSecr 0 unless ACK is set */
}
