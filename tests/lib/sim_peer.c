/*
 * sim_peer: a Linux-like TCP receiver on the simulated link (see sim_peer.h).
 */
#include "sim_peer.h"

#include <stdlib.h>
#include <string.h>

#include "frames.h"

#define PEER_MAX_RANGES 64         /* out-of-order ranges held; more are dropped (counted) */
#define PEER_TXQ 64                /* frames waiting for the link */
#define PEER_GAP_QUICKACK TS_MS(200)   /* a pause in the data this long re-enters quick-ACK mode */
#define PEER_RTO TS_MS(200)        /* retransmission of our FIN (Linux's minimum RTO) */
#define PEER_SYN_RTO TS_SEC(1)
#define PEER_RETRIES 12
#define PEER_WSCALE 7
#define PEER_ISS 0x10000000u
#define PEER_COMP_SACK_NR 44       /* Linux's tcp_comp_sack_nr: most SACKs held back in a row */
#define PEER_DUPACK_NOW 3          /* SACKs sent at once per rcv_nxt before compression starts */

enum peer_state { P_SYN_SENT, P_ESTABLISHED, P_LAST_ACK, P_CLOSED };

/* Out-of-order data held, [start, end) as stream offsets; stamp orders them by recency for SACK. */
struct range {
    uint64_t start, end, stamp;
};

struct txframe {
    size_t len;
    uint8_t buf[FRM_ETH_HLEN + FRM_IP_HLEN + FRM_TCP_HLEN + 40];
};

struct sim_peer {
    struct sim_peer_cfg cfg;
    struct sim_peer_stats st;
    enum peer_state state;
    struct frm_addr me, them;
    uint16_t ip_id;
    /* send side: we only send SYN and FIN */
    uint32_t iss, snd_nxt, snd_una;
    ts_time_t rexmt_at;            /* SYN or FIN retransmission deadline */
    ts_time_t rto;
    unsigned retries;
    /* receive side, as stream offsets from the first data byte (64 bits: no wrap) */
    uint32_t irs;                  /* the sender's ISN */
    uint64_t rcv_nxt, rcv_wup;     /* next expected; rcv_nxt when we last sent an ACK */
    uint64_t fin_off;              /* offset of the sender's FIN, UINT64_MAX until seen */
    uint32_t rcv_mss;              /* largest segment seen (Linux's rcv_mss estimate) */
    uint8_t snd_wscale;            /* the sender's shift, unused: we send no data */
    bool ws_ok, ts_ok, sack_ok;
    uint32_t ts_recent;
    uint64_t last_ack_sent;        /* rcv_nxt in our last ACK (RFC 7323 TS.Recent rule) */
    unsigned quick_left;
    ts_time_t delack_at, last_data;
    ts_time_t comp_at;             /* a held-back (compressed) SACK goes out then */
    uint64_t comp_rcv_nxt;         /* rcv_nxt the immediate-SACK count is for */
    unsigned comp_dupacks, compressed;
    struct range r[PEER_MAX_RANGES];
    unsigned nr;
    uint64_t stamp;
    bool dsack;                    /* the next ACK carries this D-SACK block */
    uint64_t dsack_start, dsack_end;
    uint8_t *ring;                 /* rcv_wnd bytes, indexed by offset mod rcv_wnd */
    struct txframe txq[PEER_TXQ];
    unsigned tx_head, tx_n;
};

void sim_peer_cfg_default(struct sim_peer_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->dst_ip = SIM_IP_A;
    c->dst_port = 5001;
    c->src_port = 40000;
    c->mss = 1460;
    c->rcv_wnd = 4u << 20;
    c->delack = TS_MS(40);
    c->quickacks = 16;
    c->comp_sack_delay = TS_MS(1);
    c->sack = c->timestamps = c->wscale = true;
}

/* ---- output ---- */

static uint32_t seq_of(const struct sim_peer *p, uint64_t off) { return p->irs + 1u + (uint32_t)off; }

static uint32_t ts_val(ts_time_t now) { return (uint32_t)(now / 1000u) + 12345u; }

static void put_frame(struct sim_peer *p, struct frm_tcp *t)
{
    if (p->tx_n == PEER_TXQ) { p->st.dropped++; return; }
    struct txframe *f = &p->txq[(p->tx_head + p->tx_n) % PEER_TXQ];
    f->len = frm_build_tcp(f->buf, sizeof f->buf, &p->me, &p->them, p->ip_id++, t);
    if (f->len) p->tx_n++;
}

static uint16_t wnd_field(const struct sim_peer *p)
{
    uint32_t w = p->ws_ok ? p->cfg.rcv_wnd >> PEER_WSCALE : p->cfg.rcv_wnd;
    return (uint16_t)(w > 65535u ? 65535u : w);
}

/* SACK blocks into t: the D-SACK block first, then held ranges, most recent first (RFC 2018). */
static void add_sack(struct sim_peer *p, struct frm_tcp *t)
{
    unsigned max = p->ts_ok ? 3 : 4, n = 0;
    uint8_t b[2 + 8 * 4];
    if (!p->sack_ok) return;
    bool used[PEER_MAX_RANGES] = {false};
    if (p->dsack) {
        uint32_t s = seq_of(p, p->dsack_start), e = seq_of(p, p->dsack_end);
        for (int k = 0; k < 4; k++) { b[2 + k] = (uint8_t)(s >> (24 - 8 * k)); b[6 + k] = (uint8_t)(e >> (24 - 8 * k)); }
        n++;
        p->st.dsacks++;
    }
    while (n < max) {
        int best = -1;
        for (unsigned i = 0; i < p->nr; i++)
            if (!used[i] && (best < 0 || p->r[i].stamp > p->r[best].stamp)) best = (int)i;
        if (best < 0) break;
        used[best] = true;
        uint32_t s = seq_of(p, p->r[best].start), e = seq_of(p, p->r[best].end);
        for (int k = 0; k < 4; k++) {
            b[2 + 8 * n + k] = (uint8_t)(s >> (24 - 8 * k));
            b[6 + 8 * n + k] = (uint8_t)(e >> (24 - 8 * k));
        }
        n++;
    }
    if (!n) return;
    b[0] = 5;
    b[1] = (uint8_t)(2 + 8 * n);
    frm_opt_nop(t);
    frm_opt_nop(t);
    frm_opt_raw(t, b, 2 + 8 * n);
}

/* A segment with no data: flags (ACK and/or FIN), current window, options as negotiated. */
static void send_ctl(struct sim_peer *p, ts_time_t now, uint8_t flags, uint32_t seq)
{
    struct frm_tcp t = {.seq = seq, .flags = flags, .win = wnd_field(p)};
    if (flags & FRM_ACK) t.ack = seq_of(p, p->rcv_nxt);   /* rcv_nxt counts their FIN once in */
    if (p->ts_ok) {
        frm_opt_nop(&t);
        frm_opt_nop(&t);
        frm_opt_ts(&t, ts_val(now), p->ts_recent);
    }
    if (flags & FRM_ACK) add_sack(p, &t);
    put_frame(p, &t);
}

static void send_syn(struct sim_peer *p, ts_time_t now)
{
    struct frm_tcp t = {.seq = p->iss, .flags = FRM_SYN, .win = 65535};
    frm_opt_mss(&t, p->cfg.mss);
    if (p->cfg.sack) frm_opt_sackok(&t);
    if (p->cfg.timestamps) frm_opt_ts(&t, ts_val(now), 0);
    if (p->cfg.wscale) { frm_opt_nop(&t); frm_opt_ws(&t, PEER_WSCALE); }
    put_frame(p, &t);
}

/* An ACK now: everything acknowledged so far, the delayed-ACK timer off. */
static void send_ack(struct sim_peer *p, ts_time_t now)
{
    uint8_t fl = FRM_ACK;
    uint32_t seq = p->snd_nxt;
    if (p->state == P_LAST_ACK && p->snd_una != p->snd_nxt) { fl |= FRM_FIN; seq = p->snd_nxt - 1; }
    send_ctl(p, now, fl, seq);
    p->dsack = false;
    p->rcv_wup = p->rcv_nxt;
    p->last_ack_sent = p->rcv_nxt;
    p->delack_at = TS_TIME_NEVER;
    p->comp_at = TS_TIME_NEVER;
    p->compressed = 0;
    p->st.acks++;
    if (p->quick_left) p->quick_left--;
}

/* ---- input ---- */

/* Hold [s, e) as out-of-order data, merging with what is held: 1, or 0 if it was all held already
 * (a duplicate), or -1 if there was no room (counted as dropped). */
static int hold_range(struct sim_peer *p, uint64_t s, uint64_t e)
{
    unsigned touching = 0;
    for (unsigned i = 0; i < p->nr; i++) {
        if (p->r[i].start <= s && e <= p->r[i].end) return 0;
        if (!(p->r[i].end < s || p->r[i].start > e)) touching++;
    }
    if (!touching && p->nr == PEER_MAX_RANGES) { p->st.dropped++; return -1; }
    uint64_t ns = s, ne = e;
    unsigned j = 0;
    for (unsigned i = 0; i < p->nr; i++) {      /* fold overlapping or adjacent ranges into [ns, ne) */
        if (p->r[i].end < ns || p->r[i].start > ne) { p->r[j++] = p->r[i]; continue; }
        if (p->r[i].start < ns) ns = p->r[i].start;
        if (p->r[i].end > ne) ne = p->r[i].end;
    }
    p->nr = j;
    p->r[p->nr++] = (struct range){ns, ne, ++p->stamp};
    return 1;
}

/* Deliver in-order bytes up to `to` to the application, then fold in held ranges that now join. */
static void advance(struct sim_peer *p, uint64_t to)
{
    for (;;) {
        while (p->rcv_nxt < to) {
            uint64_t at = p->rcv_nxt % p->cfg.rcv_wnd;
            uint64_t n = to - p->rcv_nxt;
            if (n > p->cfg.rcv_wnd - at) n = p->cfg.rcv_wnd - at;
            if (p->cfg.on_data) p->cfg.on_data(p->cfg.arg, p->rcv_nxt, p->ring + at, (size_t)n);
            p->rcv_nxt += n;
            p->st.bytes += n;
        }
        bool more = false;
        for (unsigned i = 0; i < p->nr; i++) {
            if (p->r[i].start > p->rcv_nxt) continue;
            if (p->r[i].end > to) to = p->r[i].end;
            p->r[i--] = p->r[--p->nr];
            more = true;
        }
        if (!more) return;
    }
}

static void store(struct sim_peer *p, uint64_t off, const uint8_t *d, size_t n)
{
    while (n) {
        uint64_t at = off % p->cfg.rcv_wnd;
        size_t k = n < p->cfg.rcv_wnd - at ? n : (size_t)(p->cfg.rcv_wnd - at);
        memcpy(p->ring + at, d, k);
        off += k; d += k; n -= k;
    }
}

/* How to acknowledge when out-of-order data is held and nothing forces an ACK (Linux's SACK
 * compression): the first PEER_DUPACK_NOW per rcv_nxt at once, then one after comp_sack_delay, or
 * at once every PEER_COMP_SACK_NR. */
static void ack_ooo(struct sim_peer *p, ts_time_t now)
{
    if (!p->sack_ok || p->compressed >= PEER_COMP_SACK_NR) { send_ack(p, now); return; }
    if (p->comp_rcv_nxt != p->rcv_nxt) { p->comp_rcv_nxt = p->rcv_nxt; p->comp_dupacks = 0; }
    if (p->comp_dupacks < PEER_DUPACK_NOW) { p->comp_dupacks++; send_ack(p, now); return; }
    p->compressed++;
    p->st.compressed_acks++;
    if (p->comp_at == TS_TIME_NEVER) p->comp_at = now + p->cfg.comp_sack_delay;
}

/* The data (and FIN) of an acceptable segment; decides how to acknowledge it (Linux's
 * tcp_data_queue and __tcp_ack_snd_check). */
static void on_data(struct sim_peer *p, ts_time_t now, uint64_t off, const uint8_t *d, size_t n, bool fin)
{
    bool now_ack = false;
    if (n) {
        p->st.segments++;
        if (n > p->rcv_mss) p->rcv_mss = n > p->cfg.mss ? p->cfg.mss : (uint32_t)n;
        if (p->last_data != TS_TIME_NEVER && now - p->last_data > PEER_GAP_QUICKACK) p->quick_left = p->cfg.quickacks;
        p->last_data = now;
    }
    uint64_t end = off + n;
    if (n && end <= p->rcv_nxt) {                /* all old: a duplicate, D-SACK it, quick-ACK mode */
        p->st.dup_segments++;
        p->dsack = true; p->dsack_start = off; p->dsack_end = end;
        p->quick_left = p->cfg.quickacks;
        now_ack = true;
    } else if (n) {
        if (off < p->rcv_nxt) { d += p->rcv_nxt - off; n -= (size_t)(p->rcv_nxt - off); off = p->rcv_nxt; }
        if (end > p->rcv_nxt + p->cfg.rcv_wnd) { p->st.dropped++; end = p->rcv_nxt + p->cfg.rcv_wnd; }
        if (end > off) store(p, off, d, (size_t)(end - off));
        if (off > p->rcv_nxt) {
            p->st.ooo_segments++;
            if (hold_range(p, off, end) == 0) {  /* all held already: D-SACK it */
                p->dsack = true; p->dsack_start = off; p->dsack_end = end;
                now_ack = true;
            }
        } else {
            bool had_holes = p->nr > 0;
            advance(p, end);
            now_ack = had_holes && p->nr == 0;   /* the last hole filled (RFC 5681 4.2) */
        }
    }
    if (fin && p->fin_off == UINT64_MAX) p->fin_off = off + n;
    if (p->fin_off != UINT64_MAX && p->rcv_nxt == p->fin_off && p->state == P_ESTABLISHED) {
        p->rcv_nxt++;                            /* the FIN takes one sequence number */
        p->st.fin = true;
        p->st.t_fin = now;
        p->state = P_LAST_ACK;                   /* the application closes at once */
        p->snd_nxt++;
        p->rto = PEER_RTO;
        p->retries = 0;
        p->rexmt_at = now + p->rto;
        now_ack = true;
    } else if (fin && p->state == P_LAST_ACK) {
        now_ack = true;                          /* their FIN again: our FIN,ACK was lost */
    }
    if (!n && !fin) return;
    if (now_ack || p->quick_left || p->rcv_nxt - p->rcv_wup > p->rcv_mss) send_ack(p, now);
    else if (p->nr) ack_ooo(p, now);             /* out-of-order data held */
    else if (p->delack_at == TS_TIME_NEVER) p->delack_at = now + p->cfg.delack;
}

static void on_syn_ack(struct sim_peer *p, ts_time_t now, const struct frm_pkt *k, const struct frm_tcp_opts *o)
{
    if (!(k->tcp.flags & FRM_ACK) || k->tcp.ack != p->iss + 1u) { p->st.dropped++; return; }
    p->irs = k->tcp.seq;
    p->snd_una = p->snd_nxt = p->iss + 1u;
    p->sack_ok = p->cfg.sack && o->has_sackok;
    p->ts_ok = p->cfg.timestamps && o->has_ts;
    p->ws_ok = p->cfg.wscale && o->has_ws;
    p->snd_wscale = p->ws_ok ? o->ws : 0;
    if (p->ts_ok) p->ts_recent = o->ts_val;
    p->state = P_ESTABLISHED;
    p->st.established = true;
    p->st.t_established = now;
    p->rexmt_at = TS_TIME_NEVER;
    p->quick_left = p->cfg.quickacks;
    send_ack(p, now);
    p->quick_left = p->cfg.quickacks;
}

static void receive(void *ctx, ts_time_t now, const uint8_t *frame, size_t len)
{
    struct sim_peer *p = ctx;
    struct frm_pkt k;
    if (!frm_parse(frame, len, &k) || !k.is_tcp || !k.l4_csum_ok || k.ip_dst != p->me.ip ||
        k.dport != p->me.port || k.sport != p->them.port) { p->st.dropped++; return; }
    struct frm_tcp_opts o;
    frm_tcp_opts_parse(k.tcp.opt, k.tcp.opt_len, &o);
    if (k.tcp.flags & FRM_RST) { p->st.reset = true; p->state = P_CLOSED; return; }
    if (p->state == P_SYN_SENT) {
        if (k.tcp.flags & FRM_SYN) on_syn_ack(p, now, &k, &o);
        else p->st.dropped++;
        return;
    }
    if (p->state == P_CLOSED) { p->st.dropped++; return; }
    if (k.tcp.flags & FRM_SYN) { send_ack(p, now); return; }   /* SYN,ACK again: our ACK was lost */
    if (p->ts_ok && o.has_ts && (int32_t)(k.tcp.seq - seq_of(p, p->last_ack_sent)) <= 0)
        p->ts_recent = o.ts_val;                 /* RFC 7323 §4.3 */
    if ((k.tcp.flags & FRM_ACK) && p->state == P_LAST_ACK && k.tcp.ack == p->snd_nxt) {
        p->snd_una = p->snd_nxt;
        p->state = P_CLOSED;
        p->st.closed = true;
        p->rexmt_at = TS_TIME_NEVER;
    }
    /* the segment's place in the stream, relative to rcv_nxt (32-bit sequence space) */
    int32_t rel = (int32_t)(k.tcp.seq - seq_of(p, p->rcv_nxt));
    if (rel < 0 && (uint64_t)-(int64_t)rel > p->rcv_nxt) { p->st.dropped++; return; }
    uint64_t off = (uint64_t)((int64_t)p->rcv_nxt + rel);
    if (p->fin_off != UINT64_MAX && p->rcv_nxt > p->fin_off && off >= p->fin_off) off = p->fin_off; /* FIN again */
    if (off > p->rcv_nxt + p->cfg.rcv_wnd) { p->st.dropped++; send_ack(p, now); return; }
    on_data(p, now, off, k.tcp.data, k.tcp.data_len, (k.tcp.flags & FRM_FIN) != 0);
}

static size_t transmit(void *ctx, ts_time_t now, uint8_t *buf, size_t cap)
{
    struct sim_peer *p = ctx;
    if (!p->tx_n) return 0;
    struct txframe *f = &p->txq[p->tx_head];
    size_t n = f->len <= cap ? f->len : 0;
    memcpy(buf, f->buf, n);
    p->tx_head = (p->tx_head + 1) % PEER_TXQ;
    p->tx_n--;
    return n;
}

static ts_time_t poll_at(void *ctx)
{
    struct sim_peer *p = ctx;
    ts_time_t t = p->delack_at < p->rexmt_at ? p->delack_at : p->rexmt_at;
    return p->comp_at < t ? p->comp_at : t;
}

static void poll(void *ctx, ts_time_t now)
{
    struct sim_peer *p = ctx;
    if (p->delack_at <= now) {
        p->st.delayed_acks++;
        send_ack(p, now);
    }
    if (p->comp_at <= now) send_ack(p, now);
    if (p->rexmt_at <= now) {
        if (++p->retries > PEER_RETRIES) { p->state = P_CLOSED; p->rexmt_at = TS_TIME_NEVER; return; }
        p->rto *= 2;
        p->rexmt_at = now + p->rto;
        if (p->state == P_SYN_SENT) { p->st.syn_retransmits++; send_syn(p, now); }
        else if (p->state == P_LAST_ACK) { p->st.fin_retransmits++; send_ack(p, now); }
    }
}

struct sim_peer *sim_peer_start(struct sim *sim, const struct sim_peer_cfg *cfg)
{
    struct sim_peer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cfg = *cfg;
    p->ring = malloc(cfg->rcv_wnd);
    if (!p->ring) { free(p); return NULL; }
    p->me = (struct frm_addr){{2, 0, 0, 0, 0, 3}, SIM_IP_B, cfg->src_port};
    p->them = (struct frm_addr){{2, 0, 0, 0, 0, 2}, cfg->dst_ip, cfg->dst_port};
    p->iss = PEER_ISS;
    p->snd_nxt = p->iss + 1u;
    p->fin_off = UINT64_MAX;
    p->rcv_mss = 536;
    p->delack_at = TS_TIME_NEVER;
    p->comp_at = TS_TIME_NEVER;
    p->comp_rcv_nxt = UINT64_MAX;
    p->last_data = TS_TIME_NEVER;
    p->state = P_SYN_SENT;
    p->rto = PEER_SYN_RTO;
    p->rexmt_at = sim_now(sim) + p->rto;
    p->st.t_connect = sim_now(sim);
    send_syn(p, sim_now(sim));
    struct sim_endpoint ep = {p, receive, transmit, poll_at, poll};
    sim_set_endpoint_b(sim, &ep);
    return p;
}

void sim_peer_free(struct sim_peer *p)
{
    if (!p) return;
    free(p->ring);
    free(p);
}

const struct sim_peer_stats *sim_peer_stats(const struct sim_peer *p) { return &p->st; }
