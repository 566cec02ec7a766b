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

#define BASE_US TS_SEC(1)       /* script time 0 is this virtual time */
#define OUTQ_MAX 256
#define TRACED_MAX 16
#define STREAM_MAX (16u << 20)
#define PEER_IP 0x0a000001u     /* 10.0.0.1: the script */
#define STACK_IP 0x0a000002u    /* 10.0.0.2: the stack (ts_config_default) */

struct outseg {
    uint8_t *buf;
    size_t len;
    ts_time_t at;
};

struct traced {
    const struct ts_sock *sock;
    enum ts_tcp_state state;
    unsigned seq;              /* order of the last change */
};

struct run {
    const struct pks_script *sc;
    struct ts_stack *st;
    ts_time_t now;
    int64_t prev_us;               /* script time of the previous event */
    const struct pks_event *ev;    /* the event being played */
    char *msg;
    size_t cap;
    bool failed;
    FILE *log;
    struct frm_addr peer, me;      /* me = the stack under test */
    bool port_known, isn_known, ts_known;
    uint32_t stack_isn, peer_isn;
    uint32_t stack_ts;             /* the stack's first TSval: TS val/ecr in scripts are relative to it */
    uint16_t ip_id;
    struct ts_sock *listener, *conn;
    const struct ts_sock *last_conn;
    struct traced tr[TRACED_MAX];
    unsigned tr_seq;
    struct outseg q[OUTQ_MAX];
    size_t qh, qn;
    uint8_t *wstream;              /* bytes the script wrote into the stack */
    size_t wlen, wcap;
    uint32_t rpos;                 /* bytes the script read from the stack */
    uint8_t frame[FRM_MAX_FRAME];
    uint8_t data[65536];
};

static const char *const state_names[] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

static const char *st_name(enum ts_tcp_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

static double secs(ts_time_t at) { return ((double)at - (double)BASE_US) / 1e6; }

static void logf_(struct run *r, const char *fmt, ...)
{
    if (!r->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->log, fmt, ap);
    va_end(ap);
}

/* Record the first failure: "name:line: text". */
static void fail(struct run *r, const char *fmt, ...)
{
    if (r->failed) return;
    r->failed = true;
    int n = snprintf(r->msg, r->cap, "%s:%d: ", r->sc->name, r->ev ? r->ev->line : 0);
    if (n < 0 || (size_t)n >= r->cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, r->cap - (size_t)n, fmt, ap);
    va_end(ap);
    logf_(r, "FAIL %s\n", r->msg);
}

/* ---- what the stack tells us ---- */

static void on_trace(void *arg, const struct ts_trace_event *ev)
{
    struct run *r = arg;
    if (ev->kind == TS_TRACE_STATE) {
        struct traced *slot = NULL;
        for (unsigned i = 0; i < TRACED_MAX && !slot; i++)
            if (r->tr[i].sock == ev->sock) slot = &r->tr[i];
        for (unsigned i = 0; i < TRACED_MAX && !slot; i++)
            if (!r->tr[i].sock) slot = &r->tr[i];
        if (!slot) { /* evict the oldest */
            slot = &r->tr[0];
            for (unsigned i = 1; i < TRACED_MAX; i++)
                if (r->tr[i].seq < slot->seq) slot = &r->tr[i];
        }
        slot->sock = ev->sock;
        slot->state = ev->new_state;
        slot->seq = ++r->tr_seq;
        logf_(r, "         state %s -> %s%s%s\n", st_name(ev->old_state), st_name(ev->new_state),
              ev->why ? " " : "", ev->why ? ev->why : "");
    } else if (ev->kind == TS_TRACE_DROP) {
        logf_(r, "         drop %s.%s\n", ts_counter_proto(ev->counter) ? ts_counter_proto(ev->counter) : "?",
              ts_counter_name(ev->counter) ? ts_counter_name(ev->counter) : "?");
    }
}

static void on_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct run *r = arg;
    logf_(r, "         event %s%s%s%s%s on %s\n", events & TS_EV_READABLE ? "readable " : "",
          events & TS_EV_WRITABLE ? "writable " : "", events & TS_EV_CONNECTED ? "connected " : "",
          events & TS_EV_ERROR ? "error " : "", events & TS_EV_CLOSED ? "closed " : "",
          sock == r->listener ? "listener" : "connection");
}

/* ---- the clock and the outbound queue ---- */

static void describe_out(struct run *r, const struct outseg *o, char *buf, size_t cap)
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
        if (r->qn == OUTQ_MAX) { fail(r, "the stack sent more than %d unexpected frames", OUTQ_MAX); return; }
        struct outseg *o = &r->q[(r->qh + r->qn) % OUTQ_MAX];
        o->buf = malloc(len);
        if (!o->buf) { fail(r, "out of memory"); return; }
        memcpy(o->buf, r->frame, len);
        o->len = len;
        o->at = r->now;
        r->qn++;
    }
}

static void settle(struct run *r)
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
            fail(r, "timer loop: poll_at() keeps returning %.6f s <= now %.6f s after poll()",
                 secs(d), secs(r->now));
            return false;
        }
    } else {
        *stuck = 0;
        r->now = d;
    }
    ts_stack_poll(r->st, r->now);
    settle(r);
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
    if (!r->sc->strict || r->failed || r->qn == 0) return;
    const struct outseg *o = &r->q[r->qh];
    if (o->at >= before) return;
    char d[512];
    describe_out(r, o, d, sizeof d);
    fail(r, "unexpected outbound segment %s:\n    got: %.3f > %s", where, secs(o->at), d);
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
    if (!r->port_known) { fail(r, "the stack's port is not known yet (no SYN from it seen)"); return; }
    t.flags = s->flags;
    t.seq = r->peer_isn + s->seq;
    t.ack = s->has_ack ? (uint32_t)s->ack + (r->isn_known ? r->stack_isn : 0) : 0;
    t.win = s->has_win ? (uint16_t)s->win : 65535;
    t.urg = s->has_urg ? (uint16_t)s->urg : 0;
    t.bad_csum = s->bad_csum;
    for (unsigned i = 0; i < s->n_opts; i++)
        if (!add_opt(r, &t, &s->opts[i])) { fail(r, "options longer than 40 bytes"); return; }
    uint32_t base = s->seq + ((s->flags & FRM_SYN) ? 1u : 0u) - 1u;
    for (uint32_t i = 0; i < s->len; i++) r->data[i] = pks_peer_byte(base + i);
    t.data = r->data;
    t.data_len = s->len;
    size_t len = frm_build_tcp(r->frame, sizeof r->frame, &r->peer, &r->me, r->ip_id++, &t);
    if (len == 0) { fail(r, "segment does not fit in a frame"); return; }
    struct frm_pkt p;
    char d[512];
    frm_parse(r->frame, len, &p);
    frm_describe(&p, r->peer_isn, r->isn_known ? r->stack_isn : 0, d, sizeof d);
    logf_(r, "%8.3f < %s\n", secs(r->now), d);
    ts_stack_receive(r->st, r->now, r->frame, len);
    settle(r);
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
    if (s->has_win && s->win != PKS_ANY && t->win != s->win) return "window differs";
    if (s->has_urg && s->urg != PKS_ANY && t->urg != s->urg) return "urgent pointer differs";
    if (!r->ts_known) learn_ts(r, t->opt, t->opt_len);
    if (s->has_opts && !opts_match(s, t->opt, t->opt_len, r->peer_isn, r->stack_ts)) return "options differ";
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
            if (nd != TS_TIME_NEVER) snprintf(next, sizeof next, "%.3f s", secs(nd));
            fail(r, "expected a segment by %.3f s, the stack sent nothing (next timer: %s)\n"
                    "    expected: %s", secs(hi), next, e->src);
            return;
        }
        const struct outseg *o = &r->q[r->qh];
        struct frm_pkt p;
        frm_parse(o->buf, o->len, &p);
        const char *why = seg_diff(r, &e->seg, &p);
        describe_out(r, o, d, sizeof d);
        if (why && !r->sc->strict) {
            logf_(r, "%8.3f > %s (skipped)\n", secs(o->at), d);
            pop(r);
            continue;
        }
        logf_(r, "%8.3f > %s\n", secs(o->at), d);
        if (why) {
            fail(r, "%s\n    expected: %s\n    got:      %.3f > %s", why, e->src, secs(o->at), d);
            return;
        }
        if (o->at < lo || o->at > hi) {
            fail(r, "sent at %.3f s, expected between %.3f and %.3f s\n    expected: %s\n    got:      %.3f > %s",
                 secs(o->at), secs(lo), secs(hi), e->src, secs(o->at), d);
            return;
        }
        r->prev_us = (int64_t)(o->at - BASE_US);
        pop(r);
        return;
    }
}

/* ---- calls ---- (pktscript_calls.c would be overkill: they are short) */

static void check_ret(struct run *r, const struct pks_call *k, long got, long dflt, const char *what)
{
    long want = k->res == PKS_RES_NONE ? dflt : k->res == PKS_RES_ERR ? -k->res_num : k->res_num;
    if (got != want) {
        fail(r, "%s returned %ld (%s), expected %ld (%s)", what, got,
             got < 0 ? ts_strerror((int)-got) : "ok", want, want < 0 ? ts_strerror((int)-want) : "ok");
    }
}

static struct ts_sock *need_conn(struct run *r)
{
    if (!r->conn) fail(r, "no connection (connect() or accept() first)");
    return r->conn;
}

static void stack_stream_append(struct run *r, const uint8_t *b, size_t n)
{
    if (r->wlen + n > r->wcap) {
        size_t ncap = r->wcap ? r->wcap : 4096;
        while (ncap < r->wlen + n) ncap *= 2;
        uint8_t *nb = ncap <= STREAM_MAX ? realloc(r->wstream, ncap) : NULL;
        if (!nb) { fail(r, "write stream too large"); return; }
        r->wstream = nb;
        r->wcap = ncap;
    }
    memcpy(r->wstream + r->wlen, b, n);
    r->wlen += n;
}

static void call_write(struct run *r, const struct pks_call *k)
{
    struct ts_sock *c = need_conn(r);
    if (!c) return;
    size_t n = k->text ? k->text_len : (size_t)k->n[0];
    uint8_t *b = malloc(n ? n : 1);
    if (!b) { fail(r, "out of memory"); return; }
    if (k->text) memcpy(b, k->text, n);
    else for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(((r->wlen + i) * 2246822519u) >> 24);
    long got = ts_tcp_send(c, r->now, b, n);
    if (got > 0) stack_stream_append(r, b, (size_t)got);
    free(b);
    check_ret(r, k, got, (long)n, "write");
}

static void call_read(struct run *r, const struct pks_call *k)
{
    struct ts_sock *c = need_conn(r);
    if (!c) return;
    size_t n = (size_t)k->n[0];
    uint8_t *b = malloc(n ? n : 1);
    if (!b) { fail(r, "out of memory"); return; }
    long got = ts_tcp_recv(c, r->now, b, n);
    if (k->res == PKS_RES_TEXT) {
        if (got != (long)k->res_text_len || memcmp(b, k->res_text, k->res_text_len) != 0)
            fail(r, "read returned %ld bytes \"%.*s\", expected \"%s\"", got,
                 (int)(got > 0 ? got : 0), (const char *)b, k->res_text);
    } else {
        check_ret(r, k, got, (long)n, "read");
    }
    for (long i = 0; i < got && !r->failed; i++) {
        uint8_t want = pks_peer_byte(r->rpos + (uint32_t)i);
        if (k->res != PKS_RES_TEXT && b[i] != want)
            fail(r, "read byte %ld of the stream is 0x%02x, the peer sent 0x%02x",
                 (long)(r->rpos + (uint32_t)i), b[i], want);
    }
    if (got > 0) r->rpos += (uint32_t)got;
    free(b);
}

static void call_open(struct run *r, const struct pks_call *k)
{
    if (k->op == PKS_OP_LISTEN) {
        unsigned backlog = k->backlog > 0 ? (unsigned)k->backlog : 16;
        int rc = ts_tcp_listen(r->st, 0, (uint16_t)k->n[0], backlog, on_event, r, &r->listener);
        check_ret(r, k, rc, 0, "listen");
        if (rc == 0) { r->me.port = (uint16_t)k->n[0]; r->port_known = true; }
    } else if (k->op == PKS_OP_ACCEPT) {
        struct ts_sock *s = r->listener ? ts_tcp_accept(r->listener, on_event, r) : NULL;
        check_ret(r, k, s ? 0 : -TS_EAGAIN, 0, "accept");
        if (s) { r->conn = s; r->last_conn = s; }
    } else {
        uint16_t lport = k->lport > 0 ? (uint16_t)k->lport : 0;
        r->peer.port = (uint16_t)k->n[0];
        int rc = ts_tcp_connect(r->st, r->now, 0, lport, r->peer.ip, r->peer.port, on_event, r,
                                &r->conn);
        check_ret(r, k, rc, 0, "connect");
        if (rc == 0) {
            uint16_t lp = 0;
            ts_sock_name(r->conn, NULL, &lp, NULL, NULL);
            r->port_known = lp != 0;
            r->me.port = lp;
            r->last_conn = r->conn;
        } else r->conn = NULL;
    }
}

/* The connection's state: from the handle while it is open, from the trace after close. */
static bool conn_state(struct run *r, enum ts_tcp_state *st)
{
    if (r->conn) { *st = ts_tcp_get_state(r->conn); return true; }
    const struct traced *best = NULL;
    for (unsigned i = 0; i < TRACED_MAX; i++) {
        const struct traced *t = &r->tr[i];
        if (!t->sock || t->sock == (const struct ts_sock *)r->listener) continue;
        if (r->last_conn && t->sock == r->last_conn) { best = t; break; }
        if (!r->last_conn && (!best || t->seq > best->seq)) best = t;
    }
    if (!best) return false;
    *st = best->state;
    return true;
}

static void call_expect(struct run *r, const struct pks_call *k)
{
    if (k->op == PKS_OP_EXPECT_STATE) {
        enum ts_tcp_state st;
        if (!conn_state(r, &st)) { fail(r, "expect_state: no connection state known (no trace events?)"); return; }
        if (strcmp(st_name(st), k->text) != 0) fail(r, "state is %s, expected %s", st_name(st), k->text);
    } else if (k->op == PKS_OP_EXPECT_ERROR) {
        const struct ts_sock *c = r->conn;
        if (!c) { fail(r, "expect_error: no open connection handle"); return; }
        int got = ts_sock_error(c);
        int want = (int)k->n[0];
        if (got != want)
            fail(r, "socket error is %d (%s), expected %d (%s)", got, ts_strerror(got), want,
                 ts_strerror(want));
    } else {
        for (int id = 0; id < TS_CTR__COUNT; id++) {
            char nm[96];
            snprintf(nm, sizeof nm, "%s.%s", ts_counter_proto((enum ts_counter_id)id),
                     ts_counter_name((enum ts_counter_id)id));
            if (strcmp(nm, k->text) != 0) continue;
            uint64_t v = ts_stack_stats(r->st)->v[id];
            if (v != (uint64_t)k->res_num) fail(r, "counter %s is %llu, expected %ld", nm, (unsigned long long)v, k->res_num);
            return;
        }
        fail(r, "no counter named %s", k->text);
    }
}

static void do_call(struct run *r, const struct pks_call *k)
{
    logf_(r, "%8.3f   %s\n", secs(r->now), r->ev->src);
    struct ts_sock *c;
    switch (k->op) {
    case PKS_OP_LISTEN: case PKS_OP_ACCEPT: case PKS_OP_CONNECT: call_open(r, k); break;
    case PKS_OP_WRITE: call_write(r, k); break;
    case PKS_OP_READ: call_read(r, k); break;
    case PKS_OP_SHUTDOWN:
        if ((c = need_conn(r))) check_ret(r, k, ts_tcp_shutdown(c, r->now), 0, "shutdown");
        break;
    case PKS_OP_CLOSE: case PKS_OP_ABORT:
        if (k->text && strcmp(k->text, "listener") == 0) {
            if (r->listener) ts_tcp_close(r->listener, r->now);
            r->listener = NULL;
        } else if ((c = need_conn(r))) {
            if (k->op == PKS_OP_CLOSE) ts_tcp_close(c, r->now);
            else ts_tcp_abort(c, r->now);
            r->conn = NULL;
        }
        break;
    case PKS_OP_SET_BUFFERS:
        c = r->conn ? r->conn : r->listener;
        if (!c) fail(r, "set_buffers: no socket");
        else check_ret(r, k, ts_tcp_set_buffers(c, (size_t)k->n[0], (size_t)k->n[1]), 0, "set_buffers");
        break;
    case PKS_OP_NEW_PEER:
        r->peer.port = (uint16_t)k->n[0];
        if (k->isn >= 0) r->peer_isn = (uint32_t)k->isn;
        r->isn_known = false;
        r->ts_known = false;
        r->conn = NULL;
        r->last_conn = NULL;
        r->wlen = 0;
        r->rpos = 0;
        break;
    case PKS_OP_KEEPALIVE:
        if ((c = need_conn(r)))
            check_ret(r, k, ts_tcp_set_keepalive(c, true, TS_SEC(k->n[0]), TS_SEC(k->n[1]), (unsigned)k->n[2]),
                      0, "keepalive");
        break;
    case PKS_OP_NODELAY:
        if ((c = need_conn(r))) check_ret(r, k, ts_tcp_set_nodelay(c, true), 0, "nodelay");
        break;
    default: call_expect(r, k); break;
    }
    settle(r);
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
        if (hi < lo) { fail(r, "time window ends before it starts"); return; }
    }
    if (t < r->prev_us && !e->rel) { fail(r, "time %.3f goes backwards", t / 1e6); return; }
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
            describe_out(r, &r->q[r->qh], d, sizeof d);
            fail(r, "expected nothing by %.3f s, got: %.3f > %s", secs(at), secs(r->q[r->qh].at), d);
        }
        logf_(r, "%8.3f > nothing\n", secs(r->now));
        break;
    case PKS_IN:
        advance(r, at);
        check_unexpected(r, BASE_US + (ts_time_t)(lo > 0 ? lo : 0), "before this inbound segment");
        if (!r->failed) do_in(r, &e->seg);
        break;
    case PKS_CALL:
        advance(r, at);
        check_unexpected(r, BASE_US + (ts_time_t)(lo > 0 ? lo : 0), "before this call");
        if (!r->failed) do_call(r, &e->call);
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
    if (!st) { fail(r, "ts_stack_new failed: %s", why ? why : "?"); return NULL; }
    memcpy(r->me.mac, cfg.mac, 6);
    r->me.ip = cfg.ip;
    static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(r->peer.mac, peer_mac, 6);
    r->peer.ip = (cfg.ip & 0xffffff00u) | ((cfg.ip & 0xff) == 1 ? 2u : 1u);
    if (ts_stack_arp_add(st, BASE_US, r->peer.ip, r->peer.mac, true) != 0)
        fail(r, "ts_stack_arp_add failed");
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
    msg[0] = 0;
    r->st = make_stack(r);
    r->peer.port = sc->peer_port;
    r->me.port = sc->stack_port;
    r->port_known = true;
    for (size_t i = 0; r->st && !r->failed && i < sc->n_ev; i++) {
        r->ev = &sc->ev[i];
        play(r, r->ev);
    }
    if (r->st && !r->failed) {
        settle(r);
        r->ev = NULL;
        check_unexpected(r, TS_TIME_NEVER, "at the end of the script");
    }
    bool ok = !r->failed;
    while (r->qn) pop(r);
    ts_stack_free(r->st);
    free(r->wstream);
    free(r);
    return ok;
}

bool pks_run_file(const char *path, char *msg, size_t cap, FILE *log)
{
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(msg, cap, "%s: cannot open", path); return false; }
    char *text = NULL;
    size_t n = 0, tcap = 0;
    for (;;) {
        if (n + 4096 + 1 > tcap) {
            tcap = tcap ? tcap * 2 : 8192;
            char *nt = realloc(text, tcap);
            if (!nt) { free(text); fclose(f); snprintf(msg, cap, "out of memory"); return false; }
            text = nt;
        }
        size_t got = fread(text + n, 1, 4096, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    text[n] = 0;
    const char *name = strrchr(path, '/');
    struct pks_script *sc = pks_parse(name ? name + 1 : path, text, msg, cap);
    free(text);
    if (!sc) return false;
    bool ok = pks_run(sc, msg, cap, log);
    pks_free(sc);
    return ok;
}
