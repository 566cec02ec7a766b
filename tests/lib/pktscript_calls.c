/*
 * pktscript: the calls of a script, played against tapstack's socket API: packetdrill's
 * (socket(), fcntl(), recv(fd, ..., N, MSG_PEEK) ..., on descriptors: see pktscript_pd.c), the
 * shell and %{ }% lines it understands, and our two extensions, expect_counter and new_peer.
 */
#include "pktscript_run.h"

#include <stdlib.h>
#include <string.h>

#include "tapstack/stats.h"
#include "tcp/tcp_info.h"

/* ---- calls ---- (pktscript_calls.c would be overkill: they are short) */

static void check_ret(struct run *r, const struct pks_call *k, long got, long dflt, const char *what)
{
    long want = k->res == PKS_RES_NONE ? dflt : k->res == PKS_RES_ERR ? -k->res_num : k->res_num;
    if (got != want) {
        pkr_fail(r, "%s returned %ld (%s), expected %ld (%s)", what, got,
             got < 0 ? ts_strerror((int)-got) : "ok", want, want < 0 ? ts_strerror((int)-want) : "ok");
    }
}

static struct ts_sock *need_conn(struct run *r)
{
    if (!r->conn) pkr_fail(r, "no connection (connect() or accept() first)");
    return r->conn;
}

static void stack_stream_append(struct run *r, const uint8_t *b, size_t n)
{
    if (r->wlen + n > r->wcap) {
        size_t ncap = r->wcap ? r->wcap : 4096;
        while (ncap < r->wlen + n) ncap *= 2;
        uint8_t *nb = ncap <= STREAM_MAX ? realloc(r->wstream, ncap) : NULL;
        if (!nb) { pkr_fail(r, "write stream too large"); return; }
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
    if (!b) { pkr_fail(r, "out of memory"); return; }
    if (k->text) memcpy(b, k->text, n);
    else for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(((r->wlen + i) * 2246822519u) >> 24);
    long got = ts_tcp_send(c, r->now, b, n);
    if (got > 0) stack_stream_append(r, b, (size_t)got);
    free(b);
    check_ret(r, k, got, (long)n, "write");
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

/* expect_counter NAME = N (our extension): a stack counter by its "proto.name". */
static void call_counter(struct run *r, const struct pks_call *k)
{
    for (int id = 0; id < TS_CTR__COUNT; id++) {
        char nm[96];
        snprintf(nm, sizeof nm, "%s.%s", ts_counter_proto((enum ts_counter_id)id),
                 ts_counter_name((enum ts_counter_id)id));
        if (strcmp(nm, k->text) != 0) continue;
        uint64_t v = ts_stack_stats(r->st)->v[id];
        if (v != (uint64_t)k->res_num) pkr_fail(r, "counter %s is %llu, expected %ld", nm, (unsigned long long)v, k->res_num);
        return;
    }
    pkr_fail(r, "no counter named %s", k->text);
}


/* ---- packetdrill's calls, on descriptors ---- */

static struct pkr_fd *fd_of(struct run *r, const struct pks_call *k)
{
    if (k->fd < 0 || k->fd >= PKS_FD_MAX || !r->fd[k->fd].used) {
        pkr_fail(r, "descriptor %d is not open", k->fd);
        return NULL;
    }
    r->last_fd = k->fd;
    struct pkr_fd *f = &r->fd[k->fd];
    if (f->sock && !f->listener) { r->conn = f->sock; r->last_conn = f->sock; }
    return f;
}

/* The options a script set before the socket existed. */
static void apply_opts(struct run *r, struct pkr_fd *f)
{
    if (f->sndbuf || f->rcvbuf) ts_tcp_set_buffers(f->sock, f->sndbuf, f->rcvbuf);
    if (f->nodelay) ts_tcp_set_nodelay(f->sock, true);
    if (f->cc[0] && ts_tcp_set_cc(f->sock, f->cc) < 0) pkr_fail(r, "TCP_CONGESTION: no controller \"%s\"", f->cc);
    if (f->keepalive && !f->listener)
        ts_tcp_set_keepalive(f->sock, true, TS_SEC(f->keep_idle ? f->keep_idle : 7200),
                             TS_SEC(f->keep_intvl ? f->keep_intvl : 75), (unsigned)(f->keep_cnt ? f->keep_cnt : 8));
}

static void pd_open(struct run *r, const struct pks_call *k, struct pkr_fd *f)
{
    if (k->op == PKS_OP_LISTEN) {
        unsigned backlog = k->backlog > 0 ? (unsigned)k->backlog : 1;
        int rc = ts_tcp_listen(r->st, 0, r->sc->stack_port, backlog, pkr_on_event, r, &f->sock);
        check_ret(r, k, rc, 0, "listen");
        if (rc != 0) return;
        f->listener = true;
        r->listener = f->sock;
        r->me.port = r->sc->stack_port;
        r->port_known = true;
        apply_opts(r, f);
    } else if (k->op == PKS_OP_ACCEPT) {
        struct ts_sock *s = f->listener ? ts_tcp_accept(f->sock, pkr_on_event, r) : NULL;
        if (!s && !f->nonblock) { pkr_fail(r, "accept() would block: no connection is ready"); return; }
        long nfd = k->res == PKS_RES_NUM ? k->res_num : -1;
        check_ret(r, k, s ? nfd : -TS_EAGAIN, 0, "accept");
        if (!s || nfd < 0 || nfd >= PKS_FD_MAX) return;
        struct pkr_fd *nf = &r->fd[nfd];
        memset(nf, 0, sizeof *nf);
        nf->used = true;
        nf->sock = s;
        r->conn = s;
        r->last_conn = s;
        r->last_fd = (int)nfd;
    } else {
        r->peer.port = r->sc->peer_port;
        int rc = ts_tcp_connect(r->st, r->now, 0, 0, r->peer.ip, r->peer.port, pkr_on_event, r, &f->sock);
        if (rc == 0) {
            uint16_t lp = 0;
            ts_sock_name(f->sock, NULL, &lp, NULL, NULL);
            r->port_known = lp != 0;
            r->me.port = lp;
            r->conn = f->sock;
            r->last_conn = f->sock;
            apply_opts(r, f);
            if (!f->nonblock) { pkr_fail(r, "a blocking connect() would wait: not supported"); return; }
            rc = -PKS_E_INPROGRESS;
        }
        check_ret(r, k, rc, 0, "connect");
    }
}

static void pd_assert_state(struct run *r, const struct pks_call *k);

static void pd_sockopt(struct run *r, const struct pks_call *k, struct pkr_fd *f)
{
    long got = 0;
    bool set = k->op == PKS_OP_SETSOCKOPT;
    if (k->opt == PKS_SO_NONE) {
        if (!r->skip) r->skip = strdup(k->text ? k->text : "socket option");
        return;
    }
    if (k->opt == PKS_TCP_INFO) {                  /* tcpi_state, as %{ assert tcpi_state }% */
        if (k->text) pd_assert_state(r, k);
        check_ret(r, k, 0, 0, "getsockopt(TCP_INFO)");
        return;
    }
    switch (k->opt) {
    case PKS_SO_ERROR: got = f->sock && !f->listener ? ts_sock_error(f->sock) : 0; break;
    case PKS_SO_RCVBUF: case PKS_SO_SNDBUF: {
        size_t *b = k->opt == PKS_SO_RCVBUF ? &f->rcvbuf : &f->sndbuf;
        if (set) { *b = (size_t)k->val; if (f->sock) apply_opts(r, f); break; }
        size_t snd = f->sndbuf, rcv = f->rcvbuf;
        if (f->sock) ts_tcp_get_buffers(f->sock, &snd, &rcv);
        got = (long)(k->opt == PKS_SO_RCVBUF ? rcv : snd);
        /* lenient: buffer sizes are the implementation's choice, like windows */
        if (r->sc->lenient || (!f->sock && !*b)) got = k->val;
        break;
    }
    case PKS_TCP_NODELAY:
        if (set) { f->nodelay = k->val != 0; if (f->sock && !f->listener) ts_tcp_set_nodelay(f->sock, f->nodelay); }
        got = f->nodelay;
        break;
    case PKS_TCP_CONGESTION: {
        int rc = ts_tcp_cc_known(k->text) ? 0 : -TS_EINVAL;   /* as ts_tcp_set_cc (Linux: ENOENT) */
        if (rc == 0) snprintf(f->cc, sizeof f->cc, "%s", k->text);
        if (rc == 0 && f->sock) apply_opts(r, f);
        check_ret(r, k, rc, 0, "setsockopt(TCP_CONGESTION)");
        return;
    }
    case PKS_SO_LINGER: if (set) f->linger0 = k->flags && k->val == 0; got = k->val; break;
    case PKS_SO_KEEPALIVE: case PKS_TCP_KEEPIDLE: case PKS_TCP_KEEPINTVL: case PKS_TCP_KEEPCNT: {
        long *v = k->opt == PKS_TCP_KEEPIDLE ? &f->keep_idle : k->opt == PKS_TCP_KEEPINTVL ? &f->keep_intvl
                : k->opt == PKS_TCP_KEEPCNT ? &f->keep_cnt : NULL;
        if (set && v) *v = k->val;
        else if (set) f->keepalive = k->val != 0;
        if (set && f->sock) apply_opts(r, f);
        if (set && f->sock && !v && !f->keepalive && !f->listener)   /* SO_KEEPALIVE 0: off again */
            ts_tcp_set_keepalive(f->sock, false, 0, 0, 0);
        got = v ? *v : f->keepalive;
        break;
    }
    default: got = k->val; break;     /* SO_REUSEADDR: ports are always reusable here */
    }
    if (!set && !k->val_any && got != k->val)
        pkr_fail(r, "getsockopt returned [%ld], expected [%ld]", got, k->val);
    check_ret(r, k, 0, 0, set ? "setsockopt" : "getsockopt");
}

static void pd_recv(struct run *r, const struct pks_call *k, struct pkr_fd *f)
{
    if (!f->sock || f->listener) { check_ret(r, k, -TS_ENOTCONN, 0, "recv"); return; }
    size_t n = (size_t)k->n[0];
    uint8_t *b = malloc(n ? n : 1);
    if (!b) { pkr_fail(r, "out of memory"); return; }
    long got = (k->flags & PKS_MSG_PEEK) ? ts_tcp_peek(f->sock, b, n) : ts_tcp_recv(f->sock, r->now, b, n);
    if (got == -TS_EAGAIN && !f->nonblock) pkr_fail(r, "recv() on a blocking socket would wait: nothing to read");
    else check_ret(r, k, got, (long)n, (k->flags & PKS_MSG_PEEK) ? "recv(MSG_PEEK)" : "recv");
    for (long i = 0; i < got && !r->failed; i++) {
        uint8_t want = pks_peer_byte(r->rpos + (uint32_t)i);
        if (b[i] != want)
            pkr_fail(r, "byte %ld of the stream is 0x%02x, the peer sent 0x%02x", (long)(r->rpos + (uint32_t)i), b[i], want);
    }
    if (got > 0 && !(k->flags & PKS_MSG_PEEK)) r->rpos += (uint32_t)got;
    free(b);
}

static void pd_poll(struct run *r, const struct pks_call *k, struct pkr_fd *f)
{
    long ev = 0;
    if (f->sock && f->listener) {
        struct ts_tcp_info in;
        ts_tcp_get_info(f->sock, &in);
        if (in.accept_queue) ev |= PKS_POLLIN;     /* a connection to accept */
    } else if (f->sock) {
        uint8_t b;
        long pk = ts_tcp_peek(f->sock, &b, 1);
        if (pk >= 0) ev |= PKS_POLLIN;
        if (ts_tcp_send_space(f->sock) > 0) ev |= PKS_POLLOUT;
        if (ts_sock_error(f->sock)) ev |= PKS_POLLERR;
        if (ts_tcp_get_state(f->sock) == TS_TCP_CLOSED) ev |= PKS_POLLHUP;
    }
    long rev = ev & (k->flags | PKS_POLLERR | PKS_POLLHUP);
    if (rev != k->val) pkr_fail(r, "poll revents 0x%lx, expected 0x%lx", rev, k->val);
    check_ret(r, k, rev ? 1 : 0, 0, "poll");
}

static void pd_close(struct run *r, const struct pks_call *k, struct pkr_fd *f)
{
    if (f->sock) {
        if (f->linger0 && !f->listener) ts_tcp_abort(f->sock, r->now);
        else ts_tcp_close(f->sock, r->now);
        if (f->sock == r->listener) r->listener = NULL;
        if (f->sock == r->conn) r->conn = NULL;
    }
    memset(f, 0, sizeof *f);
    check_ret(r, k, 0, 0, "close");
}

/* `sockstat | grep -c STATE`: connections in STATE, as the trace last saw them. CLOSED counts
 * only sockets the script still holds (packetdrill's own, "grep packetdril"). */
static void pd_count(struct run *r, const struct pks_call *k)
{
    long n = 0;
    if (strcmp(k->text, "CLOSED") == 0) {
        for (int i = 0; i < PKS_FD_MAX; i++)
            if (r->fd[i].sock && !r->fd[i].listener && ts_tcp_get_state(r->fd[i].sock) == TS_TCP_CLOSED) n++;
    } else {
        for (unsigned i = 0; i < TRACED_MAX; i++)
            if (r->tr[i].sock && strcmp(pkr_st_name(r->tr[i].state), k->text) == 0) n++;
    }
    if (n != k->val) pkr_fail(r, "%ld connections in %s, expected %ld", n, k->text, k->val);
}

static void pd_assert_state(struct run *r, const struct pks_call *k)
{
    const struct pkr_fd *f = r->last_fd >= 0 ? &r->fd[r->last_fd] : NULL;
    const char *want = strcmp(k->text, "SYN_RECV") == 0 ? "SYN_RECEIVED" : k->text;
    enum ts_tcp_state st;
    if (f && f->sock && !f->listener) st = ts_tcp_get_state(f->sock);
    else if (!conn_state(r, &st)) { pkr_fail(r, "tcpi_state: no connection known"); return; }
    /* after close() the connection lives on in the stack: its state is the trace's; on a
     * listener, the state of its newest connection (not yet accepted) */
    const char *got = pkr_st_name(st);
    if (strcmp(got, want) != 0) pkr_fail(r, "tcpi_state is %s, expected %s", got, want);
}

static void pd_call(struct run *r, const struct pks_call *k)
{
    if (k->op == PKS_OP_SOCKET) {
        long nfd = k->res == PKS_RES_NUM ? k->res_num : -1;
        if (nfd < 0 || nfd >= PKS_FD_MAX) { pkr_fail(r, "socket() must return a descriptor 0..63"); return; }
        memset(&r->fd[nfd], 0, sizeof r->fd[nfd]);
        r->fd[nfd].used = true;
        r->last_fd = (int)nfd;
        return;
    }
    if (k->op == PKS_OP_KNOB) {
        if (k->text && ts_stack_set_knob(r->st, k->text, k->val != 0) != 0) pkr_fail(r, "no knob %s", k->text);
        return;
    }
    if (k->op == PKS_OP_COUNT_STATE) { pd_count(r, k); return; }
    if (k->op == PKS_OP_ASSERT_STATE) { pd_assert_state(r, k); return; }
    struct pkr_fd *f = fd_of(r, k);
    if (!f) return;
    switch (k->op) {
    case PKS_OP_BIND: check_ret(r, k, 0, 0, "bind"); break;
    case PKS_OP_LISTEN: case PKS_OP_ACCEPT: case PKS_OP_CONNECT: pd_open(r, k, f); break;
    case PKS_OP_FCNTL:
        if (k->opt == PKS_F_SETFL) { f->nonblock = k->flags & PKS_O_NONBLOCK; check_ret(r, k, 0, 0, "fcntl"); }
        else check_ret(r, k, 2 | (f->nonblock ? PKS_O_NONBLOCK : 0), 0, "fcntl(F_GETFL)");
        break;
    case PKS_OP_SETSOCKOPT: case PKS_OP_GETSOCKOPT: pd_sockopt(r, k, f); break;
    case PKS_OP_RECV: pd_recv(r, k, f); break;
    case PKS_OP_SEND: call_write(r, k); break;
    case PKS_OP_POLL: pd_poll(r, k, f); break;
    case PKS_OP_CLOSE: pd_close(r, k, f); break;
    case PKS_OP_SHUTDOWN:
        if (!f->sock || f->listener) check_ret(r, k, -TS_ENOTCONN, 0, "shutdown");
        else check_ret(r, k, k->flags ? ts_tcp_shutdown(f->sock, r->now) : 0, 0, "shutdown");
        break;
    default: pkr_fail(r, "call not supported in packetdrill form"); break;
    }
}

void pkr_do_call(struct run *r, const struct pks_call *k)
{
    pkr_logf_(r, "%8.3f   %s\n", pkr_secs(r->now), r->ev->src);
    if (k->op == PKS_OP_EXPECT_COUNTER) call_counter(r, k);
    else if (k->op == PKS_OP_NEW_PEER) {
        r->peer.port = (uint16_t)k->n[0];
        if (k->isn >= 0) r->peer_isn = (uint32_t)k->isn;
        r->isn_known = false;
        r->ts_known = false;
        r->conn = NULL;
        r->last_conn = NULL;
        r->wlen = 0;
        r->rpos = 0;
    } else pd_call(r, k);
    pkr_settle(r);
}
