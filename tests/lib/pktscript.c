/*
 * pktscript: the runner. Plays a parsed script (pktscript_parse.c) against a fresh stack with a
 * virtual clock: before each event the clock jumps from timer deadline to timer deadline
 * (ts_stack_poll_at) up to the event's time, collecting whatever the stack sends on the way.
 */
#include "pktscript.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tapstack/socket.h"
#include "tapstack/stack.h"
#include "tapstack/stats.h"
#include "tapstack/trace.h"
#include "wire/bytes.h"

#include "pktscript_run.h"

static const char *const state_names[] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *pkr_st_name(enum ts_tcp_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

double pkr_secs(ts_time_t at) { return ((double)at - (double)BASE_US) / 1e6; }

void pkr_logf_(struct run *r, const char *fmt, ...)
{
    if (!r->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->log, fmt, ap);
    va_end(ap);
}

/* Record the first failure: "name:line: text". */
void pkr_fail(struct run *r, const char *fmt, ...)
{
    if (r->failed) return;
    r->failed = true;
    int n = snprintf(r->msg, r->cap, "%s:%d: ", r->sc->name, r->ev ? r->ev->line : 0);
    if (n < 0 || (size_t)n >= r->cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, r->cap - (size_t)n, fmt, ap);
    va_end(ap);
    pkr_logf_(r, "FAIL %s\n", r->msg);
}

/* ---- what the stack tells us ---- */

static void on_trace(void *arg, const struct ts_trace_event *ev)
{
    struct run *r = arg;
    if (ev->kind == TS_TRACE_STATE) {
        struct traced *slot = NULL;
        uint32_t la = 0, ra = 0;
        uint16_t lp = 0, rp = 0;
        if (ev->sock) ts_sock_name(ev->sock, &la, &lp, &ra, &rp);
        for (unsigned i = 0; i < TRACED_MAX && !slot; i++)
            if (r->tr[i].sock == ev->sock) slot = &r->tr[i];
        for (unsigned i = 0; i < TRACED_MAX && !slot; i++)   /* the same connection, moved */
            if (r->tr[i].sock && rp && r->tr[i].laddr == la && r->tr[i].lport == lp && r->tr[i].raddr == ra &&
                r->tr[i].rport == rp)
                slot = &r->tr[i];
        if (slot && slot->sock != ev->sock) {        /* keep the first pointer: the script's handle */
            slot->state = ev->new_state;
            slot->seq = ++r->tr_seq;
            pkr_logf_(r, "         state %s -> %s%s%s\n", pkr_st_name(ev->old_state), pkr_st_name(ev->new_state),
                      ev->why ? " " : "", ev->why ? ev->why : "");
            return;
        }
        for (unsigned i = 0; i < TRACED_MAX && !slot; i++)
            if (!r->tr[i].sock) slot = &r->tr[i];
        if (!slot) { /* evict the oldest */
            slot = &r->tr[0];
            for (unsigned i = 1; i < TRACED_MAX; i++)
                if (r->tr[i].seq < slot->seq) slot = &r->tr[i];
        }
        slot->sock = ev->sock;
        slot->laddr = la; slot->lport = lp; slot->raddr = ra; slot->rport = rp;
        slot->state = ev->new_state;
        slot->seq = ++r->tr_seq;
        pkr_logf_(r, "         state %s -> %s%s%s\n", pkr_st_name(ev->old_state), pkr_st_name(ev->new_state),
              ev->why ? " " : "", ev->why ? ev->why : "");
    } else if (ev->kind == TS_TRACE_DROP) {
        pkr_logf_(r, "         drop %s.%s\n", ts_counter_proto(ev->counter) ? ts_counter_proto(ev->counter) : "?",
              ts_counter_name(ev->counter) ? ts_counter_name(ev->counter) : "?");
    }
}

void pkr_on_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct run *r = arg;
    pkr_logf_(r, "         event %s%s%s%s%s on %s\n", events & TS_EV_READABLE ? "readable " : "",
          events & TS_EV_WRITABLE ? "writable " : "", events & TS_EV_CONNECTED ? "connected " : "",
          events & TS_EV_ERROR ? "error " : "", events & TS_EV_CLOSED ? "closed " : "",
          sock == r->listener ? "listener" : "connection");
}

/* ---- the clock and the outbound queue ---- */

void pkr_describe_out(struct run *r, const struct outseg *o, char *buf, size_t cap)
{
    struct frm_pkt p;
    if (!frm_parse(o->buf, o->len, &p)) { snprintf(buf, cap, "runt frame of %zu bytes", o->len); return; }
    frm_describe(&p, r->isn_known ? r->stack_isn : 0, r->peer_isn, buf, cap);
}

static void drain(struct run *r)
{
    for (unsigned guard = 0; guard < 100000 && !r->failed; guard++) {
        size_t len = ts_stack_transmit(r->st, r->now, r->frame, sizeof r->frame);
        if (len == 0) return;
        if (r->qn == OUTQ_MAX) { pkr_fail(r, "the stack sent more than %d unexpected frames", OUTQ_MAX); return; }
        struct outseg *o = &r->q[(r->qh + r->qn) % OUTQ_MAX];
        o->buf = malloc(len);
        if (!o->buf) { pkr_fail(r, "out of memory"); return; }
        memcpy(o->buf, r->frame, len);
        o->len = len;
        o->at = r->now;
        r->qn++;
    }
}

void pkr_settle(struct run *r)
{
    ts_stack_dispatch(r->st, r->now);
    drain(r);
}

static void pop(struct run *r)
{
    free(r->q[r->qh].buf);
    r->q[r->qh].buf = NULL;
    r->qh = (r->qh + 1) % OUTQ_MAX;
    r->qn--;
}

/* Run the earliest timer if it is due at or before limit. Returns whether one ran. */
static bool step(struct run *r, ts_time_t limit, unsigned *stuck)
{
    ts_time_t d = ts_stack_poll_at(r->st);
    if (d == TS_TIME_NEVER || d > limit) return false;
    if (d <= r->now) {
        if (++*stuck > 1000) {
            pkr_fail(r, "timer loop: poll_at() keeps returning %.6f s <= now %.6f s after poll()",
                 pkr_secs(d), pkr_secs(r->now));
            return false;
        }
    } else {
        *stuck = 0;
        r->now = d;
    }
    ts_stack_poll(r->st, r->now);
    pkr_settle(r);
    return true;
}

static void advance(struct run *r, ts_time_t t)
{
    unsigned stuck = 0;
    while (!r->failed && step(r, t, &stuck)) {}
    if (t > r->now) r->now = t;
}

/* Strict mode: anything sent before the current event's time window that no line took. */
static void check_unexpected(struct run *r, ts_time_t before, const char *where)
{
    /* external scripts follow packetdrill's rule: what the stack sends is checked at '>' lines
     * only, in order, and nothing after the last event; our own scripts are stricter (any
     * segment no line expects fails them) */
    if (r->sc->lenient) return;
    if (!r->sc->strict || r->failed || r->qn == 0) return;
    const struct outseg *o = &r->q[r->qh];
    if (o->at >= before) return;
    char d[512];
    pkr_describe_out(r, o, d, sizeof d);
    pkr_fail(r, "unexpected outbound segment %s:\n    got: %.3f > %s", where, pkr_secs(o->at), d);
}

/* ---- inbound segments ---- */

static bool add_opt(struct run *r, struct frm_tcp *t, const struct pks_opt *o)
{
    uint8_t b[40];
    switch (o->kind) {
    case PKS_O_MSS: return frm_opt_mss(t, (uint16_t)o->v[0]);
    case PKS_O_WS: return frm_opt_ws(t, (uint8_t)o->v[0]);
    case PKS_O_SACKOK: return frm_opt_sackok(t);
    case PKS_O_TS: return frm_opt_ts(t, (uint32_t)o->v[0], (uint32_t)o->v[1] + (r->ts_known ? r->stack_ts : 0));
    case PKS_O_NOP: return frm_opt_nop(t);
    case PKS_O_EOL: b[0] = 0; return frm_opt_raw(t, b, 1);
    case PKS_O_RAW: return frm_opt_raw(t, o->raw, o->raw_len);
    case PKS_O_SACK:
        b[0] = 5;
        b[1] = (uint8_t)(2 + 4 * o->nv);
        for (unsigned k = 0; k < o->nv; k++)
            ts_put32(b + 2 + 4 * k, (uint32_t)o->v[k] + (r->isn_known ? r->stack_isn : 0));
        return frm_opt_raw(t, b, b[1]);
    case PKS_O_REST: return false;
    }
    return false;
}

static void do_in(struct run *r, const struct pks_seg *s)
{
    struct frm_tcp t;
    memset(&t, 0, sizeof t);
    if (!r->port_known) { pkr_fail(r, "the stack's port is not known yet (no SYN from it seen)"); return; }
    t.flags = s->flags;
    t.seq = r->peer_isn + s->seq;
    t.ack = s->has_ack ? (uint32_t)s->ack + (r->isn_known ? r->stack_isn : 0) : 0;
    t.win = s->has_win ? (uint16_t)s->win : 65535;
    t.urg = s->has_urg ? (uint16_t)s->urg : 0;
    t.bad_csum = s->bad_csum;
    for (unsigned i = 0; i < s->n_opts; i++)
        if (!add_opt(r, &t, &s->opts[i])) { pkr_fail(r, "options longer than 40 bytes"); return; }
    uint32_t base = s->seq + ((s->flags & FRM_SYN) ? 1u : 0u) - 1u;
    for (uint32_t i = 0; i < s->len; i++) r->data[i] = pks_peer_byte(base + i);
    t.data = r->data;
    t.data_len = s->len;
    size_t len = frm_build_tcp(r->frame, sizeof r->frame, &r->peer, &r->me, r->ip_id++, &t);
    if (len == 0) { pkr_fail(r, "segment does not fit in a frame"); return; }
    struct frm_pkt p;
    char d[512];
    frm_parse(r->frame, len, &p);
    frm_describe(&p, r->peer_isn, r->isn_known ? r->stack_isn : 0, d, sizeof d);
    pkr_logf_(r, "%8.3f < %s\n", pkr_secs(r->now), d);
    ts_stack_receive(r->st, r->now, r->frame, len);
    pkr_settle(r);
}

/* ---- outbound segments ---- */

/* Compare one expected option with the actual ones at *i; advances *i. */
static bool opt_match(const struct pks_opt *e, const uint8_t *opt, size_t len, size_t *i,
                      uint32_t peer_isn, uint32_t ts_base)
{
    if (*i >= len) return false;
    uint8_t kind = opt[*i];
    if (e->kind == PKS_O_NOP || e->kind == PKS_O_EOL) {
        bool ok = kind == (e->kind == PKS_O_NOP ? 1 : 0);
        (*i)++;
        return ok;
    }
    if (kind < 2 || *i + 1 >= len || opt[*i + 1] < 2 || *i + opt[*i + 1] > len) return false;
    const uint8_t *v = opt + *i + 2;
    uint8_t olen = opt[*i + 1];
    size_t at = *i;
    *i += olen;
#define FIELD_OK(ev, got) ((ev) == PKS_ANY || (ev) == (uint64_t)(got))
    switch (e->kind) {
    case PKS_O_MSS: return kind == 2 && olen == 4 && FIELD_OK(e->v[0], ts_get16(v));
    case PKS_O_WS: return kind == 3 && olen == 3 && FIELD_OK(e->v[0], v[0]);
    case PKS_O_SACKOK: return kind == 4 && olen == 2;
    case PKS_O_TS:
        return kind == 8 && olen == 10 && FIELD_OK(e->v[0], ts_get32(v) - ts_base) &&
               FIELD_OK(e->v[1], ts_get32(v + 4));
    case PKS_O_SACK:
        if (kind != 5 || olen != 2 + 4 * e->nv) return false;
        for (unsigned k = 0; k < e->nv; k++)
            if (!FIELD_OK(e->v[k], (uint32_t)(ts_get32(v + 4 * k) - peer_isn))) return false;
        return true;
    case PKS_O_RAW:
        *i = at + e->raw_len;
        return at + e->raw_len <= len && memcmp(opt + at, e->raw, e->raw_len) == 0;
    default: return false;
    }
#undef FIELD_OK
}

/* Is expected option e anywhere among the actual options? */
static bool opt_present(const struct pks_opt *e, const uint8_t *opt, size_t len, uint32_t peer_isn,
                        uint32_t ts_base)
{
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        if (opt_match(e, opt, len, &i, peer_isn, ts_base)) return true;
        if (opt[at] == 0) return false;
        if (opt[at] == 1) i = at + 1;
        else if (at + 1 < len && opt[at + 1] >= 2) i = at + opt[at + 1];
        else return false;
    }
    return false;
}

/* Without "...": the options in this order and nothing else but padding. With "...": each
 * listed option (but nop/eol) present in any order, anything else allowed. */
static bool opts_match(const struct pks_seg *s, const uint8_t *opt, size_t len, uint32_t peer_isn,
                       uint32_t ts_base)
{
    size_t i = 0;
    bool rest = false;
    for (unsigned k = 0; k < s->n_opts; k++) rest |= s->opts[k].kind == PKS_O_REST;
    if (rest) {
        for (unsigned k = 0; k < s->n_opts; k++) {
            enum pks_opt_kind kd = s->opts[k].kind;
            if (kd == PKS_O_REST || kd == PKS_O_NOP || kd == PKS_O_EOL) continue;
            if (!opt_present(&s->opts[k], opt, len, peer_isn, ts_base)) return false;
        }
        return true;
    }
    for (unsigned k = 0; k < s->n_opts; k++)
        if (!opt_match(&s->opts[k], opt, len, &i, peer_isn, ts_base)) return false;
    /* what is left may only be padding */
    for (; i < len; i++)
        if (opt[i] != 0) return false;
    return true;
}

/*
 * The lenient comparison, the one place that states it. It applies to external scripts (the
 * conformance runner sets pks_script.lenient), which were written against one system's choices:
 *   - window values are not checked (receive buffer sizes and their rounding are each stack's);
 *   - timestamp and window-scale options are neither required nor checked, nor nop/eol padding;
 *   - option order is not checked: MSS (with its value) and SACK-permitted must be there as
 *     expected, and nothing else but the above;
 *   - SACK blocks: the first block must be the one expected (RFC 2018 §4: it MUST hold the
 *     segment that triggered the ACK); the others are compared as a set (which blocks are
 *     reported is checked, their order -- a SHOULD -- is not);
 *   - getsockopt(SO_RCVBUF/SO_SNDBUF) values are not checked (buffer sizes, as windows).
 * A script whose file name says it is about one of these ("win", "timestamp", "option-order",
 * "sack-order") is checked strictly on that point. Flags, sequence and acknowledgment numbers,
 * lengths, payloads, which segments are sent and their timing are always checked.
 */
enum { LN_WIN = 1, LN_OPTS = 2, LN_SACK_ORDER = 4 };

static unsigned lenient_mask(const struct pks_script *sc)
{
    if (!sc->lenient) return 0;
    unsigned m = LN_WIN | LN_OPTS | LN_SACK_ORDER;
    if (strstr(sc->name, "win")) m &= ~(unsigned)LN_WIN;
    if (strstr(sc->name, "timestamp") || strstr(sc->name, "option-order")) m &= ~(unsigned)LN_OPTS;
    if (strstr(sc->name, "sack-order")) m &= ~(unsigned)LN_SACK_ORDER;
    return m;
}

struct lopts { int mss; bool sackok; unsigned nsack; uint32_t sack[8][2]; bool other; };

/* The options that count under the lenient rule, from the wire (peer_isn-relative SACK). */
static void lopts_wire(const uint8_t *opt, size_t len, uint32_t peer_isn, struct lopts *o)
{
    memset(o, 0, sizeof *o);
    o->mss = -1;
    for (size_t i = 0; i < len;) {
        uint8_t kind = opt[i];
        if (kind == 0) break;
        if (kind == 1) { i++; continue; }
        if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) { o->other = true; break; }
        uint8_t ol = opt[i + 1];
        const uint8_t *v = opt + i + 2;
        if (kind == 2 && ol == 4) o->mss = ts_get16(v);
        else if (kind == 4) o->sackok = true;
        else if (kind == 5)
            for (unsigned k = 0; k + 8 <= (unsigned)ol - 2 && o->nsack < 8; k += 8, o->nsack++) {
                o->sack[o->nsack][0] = ts_get32(v + k) - peer_isn;
                o->sack[o->nsack][1] = ts_get32(v + k + 4) - peer_isn;
            }
        else if (kind != 3 && kind != 8) o->other = true;
        i += ol;
    }
}

static bool sack_in(const struct lopts *o, uint32_t a, uint32_t b, unsigned from)
{
    for (unsigned k = from; k < o->nsack; k++)
        if (o->sack[k][0] == a && o->sack[k][1] == b) return true;
    return false;
}

static bool opts_match_lenient(const struct pks_seg *s, const uint8_t *opt, size_t len,
                               uint32_t peer_isn, bool sack_order)
{
    struct lopts got, want;
    lopts_wire(opt, len, peer_isn, &got);
    memset(&want, 0, sizeof want);
    want.mss = -1;
    for (unsigned k = 0; k < s->n_opts; k++) {
        const struct pks_opt *e = &s->opts[k];
        if (e->kind == PKS_O_REST) return true;        /* "..." : anything goes */
        if (e->kind == PKS_O_MSS) want.mss = e->v[0] == PKS_ANY ? -2 : (int)e->v[0];
        else if (e->kind == PKS_O_SACKOK) want.sackok = true;
        else if (e->kind == PKS_O_SACK)
            for (unsigned j = 0; j + 1 < e->nv && want.nsack < 8; j += 2, want.nsack++) {
                want.sack[want.nsack][0] = (uint32_t)e->v[j];
                want.sack[want.nsack][1] = (uint32_t)e->v[j + 1];
            }
        else if (e->kind == PKS_O_RAW) return opts_match(s, opt, len, peer_isn, 0);
    }
    if (got.other || got.sackok != want.sackok || got.nsack != want.nsack) return false;
    if (want.mss == -2 ? got.mss < 0 : got.mss != want.mss) return false;
    for (unsigned k = 0; k < want.nsack; k++) {
        bool first_or_ordered = k == 0 || sack_order;
        if (first_or_ordered ? (got.sack[k][0] != want.sack[k][0] || got.sack[k][1] != want.sack[k][1])
                             : !sack_in(&got, want.sack[k][0], want.sack[k][1], 1))
            return false;
    }
    return true;
}

/* The stack's first TSval becomes the base of the script's TS values (like its ISN). */
static void learn_ts(struct run *r, const uint8_t *opt, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (opt[i] == 0) return;
        if (opt[i] == 1) { i++; continue; }
        if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) return;
        if (opt[i] == 8 && opt[i + 1] == 10) { r->stack_ts = ts_get32(opt + i + 2); r->ts_known = true; return; }
        i += opt[i + 1];
    }
}

/* The first difference between expected s and actual p, or NULL if they match. */
static const char *seg_diff(struct run *r, const struct pks_seg *s, const struct frm_pkt *p)
{
    const struct frm_tcp *t = &p->tcp;
    if (!p->is_ipv4 || !p->is_tcp) return "not a TCP segment";
    if (!p->ip_csum_ok) return "IPv4 header checksum is wrong";
    if (!p->l4_csum_ok) return "TCP checksum is wrong";
    if (p->ip_src != r->me.ip || p->ip_dst != r->peer.ip) return "IP addresses differ";
    if (memcmp(p->eth_dst, r->peer.mac, 6) != 0 || memcmp(p->eth_src, r->me.mac, 6) != 0)
        return "Ethernet addresses differ";
    if (!r->port_known && (t->flags & FRM_SYN)) { r->me.port = p->sport; r->port_known = true; }
    if (p->sport != r->me.port || p->dport != r->peer.port) return "ports differ";
    if ((t->flags & FRM_SYN) && !r->isn_known) { r->stack_isn = t->seq; r->isn_known = true; }
    if ((t->flags & ~s->flags_opt) != (s->flags & ~s->flags_opt)) return "flags differ";
    uint32_t base = r->isn_known ? r->stack_isn : 0;
    if (!s->seq_any && (t->seq - base != s->seq || t->data_len != s->len))
        return "sequence numbers or length differ";
    if (s->has_ack && s->ack != PKS_ANY && t->ack - r->peer_isn != (uint32_t)s->ack)
        return "ack differs";
    if (!r->ts_known) learn_ts(r, t->opt, t->opt_len);
    unsigned ln = lenient_mask(r->sc);
    if (s->has_win && s->win != PKS_ANY && t->win != s->win && !(ln & LN_WIN)) return "window differs";
    if (s->has_urg && s->urg != PKS_ANY && t->urg != s->urg) return "urgent pointer differs";
    if (ln & LN_OPTS) {
        if (!opts_match_lenient(s, t->opt, t->opt_len, r->peer_isn, !(ln & LN_SACK_ORDER)))
            return "options differ";
    } else if (s->has_opts && !opts_match(s, t->opt, t->opt_len, r->peer_isn, r->stack_ts)) {
        return "options differ";
    }
    if (t->data_len && !s->seq_any) {
        uint32_t off = t->seq - base + ((t->flags & FRM_SYN) ? 1u : 0u) - 1u;
        if ((size_t)off + t->data_len > r->wlen) return "payload beyond what the script wrote";
        if (memcmp(t->data, r->wstream + off, t->data_len) != 0)
            return "payload bytes differ from what the script wrote";
    }
    return NULL;
}

static void do_out(struct run *r, const struct pks_event *e, ts_time_t lo, ts_time_t hi)
{
    unsigned stuck = 0;
    char d[512];
    for (;;) {
        while (r->qn == 0 && !r->failed && step(r, hi, &stuck)) {}
        if (r->failed) return;
        if (r->qn == 0) {
            ts_time_t nd = ts_stack_poll_at(r->st);
            char next[64] = "never";
            if (nd != TS_TIME_NEVER) snprintf(next, sizeof next, "%.3f s", pkr_secs(nd));
            pkr_fail(r, "expected a segment by %.3f s, the stack sent nothing (next timer: %s)\n"
                    "    expected: %s", pkr_secs(hi), next, e->src);
            return;
        }
        const struct outseg *o = &r->q[r->qh];
        struct frm_pkt p;
        frm_parse(o->buf, o->len, &p);
        const char *why = seg_diff(r, &e->seg, &p);
        pkr_describe_out(r, o, d, sizeof d);
        if (why && !r->sc->strict) {
            pkr_logf_(r, "%8.3f > %s (skipped)\n", pkr_secs(o->at), d);
            pop(r);
            continue;
        }
        pkr_logf_(r, "%8.3f > %s\n", pkr_secs(o->at), d);
        if (why) {
            pkr_fail(r, "%s\n    expected: %s\n    got:      %.3f > %s", why, e->src, pkr_secs(o->at), d);
            return;
        }
        if (o->at < lo || o->at > hi) {
            pkr_fail(r, "sent at %.3f s, expected between %.3f and %.3f s\n    expected: %s\n    got:      %.3f > %s",
                 pkr_secs(o->at), pkr_secs(lo), pkr_secs(hi), e->src, pkr_secs(o->at), d);
            return;
        }
        r->prev_us = (int64_t)(o->at - BASE_US);
        pop(r);
        return;
    }
}

/* ---- the script ---- */

static void play(struct run *r, const struct pks_event *e)
{
    int64_t tol = r->sc->tolerance_us;
    int64_t t = e->rel ? r->prev_us + e->t_us : e->t_us;
    int64_t lo = t - tol, hi = t + tol;
    if (e->has_hi) {
        lo = t;
        hi = e->rel_hi ? r->prev_us + e->t_hi_us : e->t_hi_us;
        if (hi < lo) { pkr_fail(r, "time window ends before it starts"); return; }
    }
    if (t < r->prev_us && !e->rel) { pkr_fail(r, "time %.3f goes backwards", t / 1e6); return; }
    if (lo < 0) lo = 0;
    ts_time_t at = BASE_US + (ts_time_t)t;
    switch (e->kind) {
    case PKS_OUT:
        do_out(r, e, BASE_US + (ts_time_t)lo, BASE_US + (ts_time_t)hi);
        return; /* do_out set prev_us to when the segment was sent */
    case PKS_NOTHING:
        advance(r, at);
        if (!r->failed && r->qn) {
            char d[512];
            pkr_describe_out(r, &r->q[r->qh], d, sizeof d);
            pkr_fail(r, "expected nothing by %.3f s, got: %.3f > %s", pkr_secs(at), pkr_secs(r->q[r->qh].at), d);
        }
        pkr_logf_(r, "%8.3f > nothing\n", pkr_secs(r->now));
        break;
    case PKS_IN:
        advance(r, at);
        check_unexpected(r, BASE_US + (ts_time_t)(lo > 0 ? lo : 0), "before this inbound segment");
        if (!r->failed) do_in(r, &e->seg);
        break;
    case PKS_CALL:
        advance(r, at);
        check_unexpected(r, BASE_US + (ts_time_t)(lo > 0 ? lo : 0), "before this call");
        if (!r->failed) pkr_do_call(r, &e->call);
        break;
    }
    r->prev_us = t;
}

static struct ts_stack *make_stack(struct run *r)
{
    struct ts_config cfg;
    ts_config_default(&cfg);
    cfg.seed = r->sc->cfg_seed;
    if (r->sc->cfg_msl_us >= 0) cfg.tcp_msl = (ts_time_t)r->sc->cfg_msl_us;
    if (r->sc->cfg_rto_min_us >= 0) cfg.tcp_rto_min = (ts_time_t)r->sc->cfg_rto_min_us;
    if (r->sc->cfg_mtu > 0) cfg.mtu = (uint16_t)r->sc->cfg_mtu;
    cfg.tcp_no_timestamps = r->sc->cfg_no_ts;
    cfg.trace = on_trace;
    cfg.trace_arg = r;
    const char *why = NULL;
    struct ts_stack *st = ts_stack_new(&cfg, &why);
    if (!st) { pkr_fail(r, "ts_stack_new failed: %s", why ? why : "?"); return NULL; }
    memcpy(r->me.mac, cfg.mac, 6);
    r->me.ip = cfg.ip;
    static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(r->peer.mac, peer_mac, 6);
    r->peer.ip = (cfg.ip & 0xffffff00u) | ((cfg.ip & 0xff) == 1 ? 2u : 1u);
    if (ts_stack_arp_add(st, BASE_US, r->peer.ip, r->peer.mac, true) != 0)
        pkr_fail(r, "ts_stack_arp_add failed");
    return st;
}

bool pks_run(const struct pks_script *sc, char *msg, size_t cap, FILE *log)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r) { snprintf(msg, cap, "out of memory"); return false; }
    r->sc = sc;
    r->msg = msg;
    r->cap = cap;
    r->log = log;
    r->now = BASE_US;
    r->ip_id = 1;
    r->peer_isn = sc->isn;
    r->last_fd = -1;
    msg[0] = 0;
    r->st = make_stack(r);
    r->peer.port = sc->peer_port;
    r->me.port = sc->stack_port;
    r->port_known = true;
    for (size_t i = 0; r->st && !r->failed && !r->skip && i < sc->n_ev; i++) {
        r->ev = &sc->ev[i];
        play(r, r->ev);
    }
    if (r->st && !r->failed && !r->skip) {
        pkr_settle(r);
        r->ev = NULL;
        check_unexpected(r, TS_TIME_NEVER, "at the end of the script");
    }
    bool ok = !r->failed;
    if (r->skip) {
        snprintf(msg, cap, "%s", r->skip);
        free(r->skip);
        ok = true;
    }
    while (r->qn) pop(r);
    ts_stack_free(r->st);
    free(r->wstream);
    free(r);
    return ok;
}

char *pks_read_text(const char *path, char *msg, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(msg, cap, "%s: cannot open", path); return NULL; }
    char *text = NULL;
    size_t n = 0, tcap = 0;
    for (;;) {
        if (n + 4096 + 1 > tcap) {
            tcap = tcap ? tcap * 2 : 8192;
            char *nt = realloc(text, tcap);
            if (!nt) { free(text); fclose(f); snprintf(msg, cap, "out of memory"); return NULL; }
            text = nt;
        }
        size_t got = fread(text + n, 1, 4096, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    text[n] = 0;
    return text;
}

enum pks_verdict pks_run_file_verdict(const char *path, bool lenient, char *msg, size_t cap, FILE *log)
{
    char *text = pks_read_text(path, msg, cap);
    if (!text) return PKS_FAIL;
    const char *name = strrchr(path, '/');
    struct pks_script *sc = pks_parse(name ? name + 1 : path, text, msg, cap);
    free(text);
    if (!sc) return PKS_FAIL;
    sc->lenient = lenient;
    enum pks_verdict v = PKS_SKIP;
    if (sc->skip) snprintf(msg, cap, "%s", sc->skip);
    else if (!pks_run(sc, msg, cap, log)) v = PKS_FAIL;
    else v = msg[0] ? PKS_SKIP : PKS_PASS;
    pks_free(sc);
    return v;
}

bool pks_run_file(const char *path, char *msg, size_t cap, FILE *log)
{
    char *text = pks_read_text(path, msg, cap);
    if (!text) return false;
    const char *name = strrchr(path, '/');
    struct pks_script *sc = pks_parse(name ? name + 1 : path, text, msg, cap);
    free(text);
    if (!sc) return false;
    bool ok = pks_run(sc, msg, cap, log);
    pks_free(sc);
    return ok;
}
