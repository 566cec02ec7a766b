/*
 * tapstack apps: the HTTP server's connections: accept, read and parse, send, time out, log.
 *
 * Each connection is one small state machine driven by socket events; its timer and its place in
 * the eviction order are its class in the server's guard (conn_guard.h, enum http_class):
 *
 *     C_READ --complete request--> C_SEND --sent, keep-alive--> C_READ (next pipelined request)
 *        |  \--broken request / 408--> C_SEND --sent, close--> C_LINGER --peer FIN--> closed
 *        \--peer FIN, idle timeout, error--> closed
 *
 * Socket events are treated as hints: every event runs conn_pump, which reads, parses and sends
 * until the socket says EAGAIN. While a response is being sent nothing more is read, so a client
 * pipelining requests is held back by TCP's window, not by our memory. Closing after a response
 * first sends FIN and drains what the client still sends (lingering close), so that the close does
 * not turn into a reset that could destroy the response in flight (socket.h: close with unread
 * data resets).
 */
#include "apps/http/http_date.h"
#include "apps/http/http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void conn_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);

/* ---- logging ---- */

/* Copy s into out (cap bytes) for the log: printable ASCII kept, '"' and '\\' and the rest as
 * \xHH, cut at max source bytes. */
static void log_escape(char *out, size_t cap, const char *s, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s[i] && i < max && n + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            out[n++] = (char)ch;
        else
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", ch);
    }
    out[n] = '\0';
}

static void conn_note_request(struct http_conn *c)
{
    const struct ts_http_request *req = &c->parser.req;
    char target[240];
    log_escape(target, sizeof target, req->target, 200);
    snprintf(c->logreq, sizeof c->logreq, "%s %s%s HTTP/1.%u", req->method_text, target,
             req->target_len > 200 ? "..." : "", req->version_minor);
}

/* One line per response, like the common log format:
 *   10.0.0.1:41234 10.0.0.2:80 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1234 */
static void conn_log(struct http_conn *c)
{
    struct ts_http_server *srv = c->srv;
    struct ts_http_server_stats *s = &srv->stats;
    int st = c->resp.status;
    s->bytes_sent += c->resp.body_sent;
    s->responses_2xx += st >= 200 && st < 300;
    s->responses_3xx += st >= 300 && st < 400;
    s->responses_4xx += st >= 400 && st < 500;
    s->responses_5xx += st >= 500;
    if (srv->opts.quiet)
        return;
    char ra[16], la[16], when[40], line[512];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    snprintf(line, sizeof line, "%s:%u %s:%u - - [%s] \"%s\" %d %llu", ts_ip_str(c->raddr, ra),
             c->rport, ts_ip_str(c->laddr, la), c->lport, when, c->logreq[0] ? c->logreq : "-", st,
             (unsigned long long)c->resp.body_sent);
    if (srv->opts.log)
        srv->opts.log(srv->opts.log_arg, line);
    else
        fprintf(stderr, "%s\n", line);
}

/* ---- connection lifetime ---- */

static void conn_free(struct http_conn *c, ts_time_t now, bool abort)
{
    struct ts_http_server *srv = c->srv;
    if (c->sock) {
        if (abort)
            ts_tcp_abort(c->sock, now);
        else
            ts_tcp_close(c->sock, now);
    }
    http_resp_release(&c->resp);
    ts_guard_leave(&srv->guard, &c->node);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->stats.open_conns--;
    free(c);
}

/* Back to waiting for a request (after a kept-alive response, or at accept). */
static void conn_expect_request(struct http_conn *c, ts_time_t now)
{
    c->st = C_READ;
    c->logreq[0] = '\0';
    ts_http_parser_init(&c->parser);
    ts_guard_move(&c->srv->guard, &c->node, c->requests ? HC_IDLE : HC_FIRST, now);
}

/* The response in c->resp is ready: start sending it. */
static void conn_respond(struct http_conn *c, ts_time_t now)
{
    c->st = C_SEND;
    c->resp.head_sent = 0;
    c->resp.body_sent = 0;
    ts_guard_move(&c->srv->guard, &c->node, HC_SEND, now);
}

/* A parse error, or a request timeout: answer and close. */
static void conn_fail(struct http_conn *c, int status, ts_time_t now)
{
    if (c->parser.req.version_major != 0 && !c->logreq[0])
        conn_note_request(c);          /* the request line was complete (405, 501, 400 ...) */
    bool head = c->parser.req.version_major != 0 && c->parser.req.method == TS_HTTP_HEAD;
    http_error_response(c->srv, c, status, head);
    conn_respond(c, now);
}

/* ---- the pump ---- */

/* Feed buffered input to the parser. Returns true if a response was prepared. */
static bool conn_parse(struct http_conn *c, ts_time_t now)
{
    bool was_idle = !ts_http_parser_in_request(&c->parser);
    size_t used = 0;
    enum ts_http_parse_result r =
        ts_http_parse(&c->parser, c->in + c->in_off, c->in_len - c->in_off, &used);
    c->in_off += used;
    if (was_idle && ts_http_parser_in_request(&c->parser)) {
        c->request_start = now;
        ts_guard_move(&c->srv->guard, &c->node, HC_REQUEST, now);
    }
    if (r == TS_HTTP_NEED_MORE)
        return false;
    c->srv->stats.requests++;
    if (r == TS_HTTP_ERROR) {
        conn_fail(c, c->parser.status, now);
        return true;
    }
    conn_note_request(c);
    http_handle_request(c->srv, c, now);
    conn_respond(c, now);
    return true;
}

/* Fill buf with up to cap body bytes of the response's source. Returns the count, or -1 when a
 * file read fails (the file shrank: the Content-Length already sent would be a lie). */
static long body_fill(struct http_resp *r, uint8_t *buf, size_t cap)
{
    size_t n = cap < r->left ? cap : (size_t)r->left;
    if (n == 0)
        return 0;
    if (r->src == SRC_MEM) {
        memcpy(buf, r->mem + r->off, n);
    } else if (r->src == SRC_GEN) {
        http_gen_fill(buf, r->off, n);
    } else {
        ssize_t got = pread(r->fd, buf, n, (off_t)r->off);
        if (got <= 0)
            return -1;
        n = (size_t)got;
    }
    return (long)n;
}

/* Write n bytes of the /bytes pattern (body offset off) at p in the connection's send buffer,
 * skipping the ones the storage already holds (struct http_gen_held): after the first lap of the
 * ring a download writes nothing (the pattern copy was most of tapstack's own work in one). */
static void conn_gen_fill(struct http_conn *c, uint8_t *p, uint64_t off, size_t n)
{
    struct http_gen_held *g = &c->gen;
    struct ts_send_store st;
    if (!ts_tcp_send_store(c->sock, &st) || p < st.base || (size_t)(p - st.base) + n > st.cap ||
        st.cap > UINT32_MAX) {
        g->id = 0;
        http_gen_fill(p, off, n);
        return;
    }
    uint32_t cap = (uint32_t)st.cap, i = (uint32_t)(p - st.base);
    uint8_t phase = (uint8_t)((off - i) & 63);
    uint32_t rel = i >= g->start ? i - g->start : i + cap - g->start;   /* (i - start) around */
    bool same = g->id == st.id && g->phase == phase && g->len > 0;
    size_t skip = 0;
    if (same && g->len == cap)
        skip = n;
    else if (same && rel < g->len)
        skip = g->len - rel < n ? g->len - rel : n;
    if (skip < n)
        http_gen_fill(p + skip, off + skip, n - skip);
    c->srv->stats.gen_bytes_held += skip;
    if (same && rel <= g->len) {
        uint64_t end = (uint64_t)rel + n;
        if (end > g->len)
            g->len = end > cap ? cap : (uint32_t)end;
    } else {
        *g = (struct http_gen_held){ .id = st.id, .start = i, .len = (uint32_t)n, .phase = phase };
    }
}

/* Send what the socket takes: the rest of the head and body bytes, gathered into one send so
 * that a small response leaves as one segment. Returns 1 when the whole response is out, 0 to
 * wait for send space, -1 to abort. */
static int conn_send(struct http_conn *c, ts_time_t now)
{
    struct http_resp *r = &c->resp;
    uint8_t *buf = c->srv->scratch;
    for (int guard = 0; guard < 1 << 20; guard++) {
        size_t hl = r->head_len - r->head_sent;
        if (hl == 0 && r->left == 0)
            return 1;
        struct ts_iov v[2];
        unsigned nv = hl == 0 ? ts_tcp_send_buf(c->sock, v) : 0;
        if (nv) {   /* the body straight into TCP's send buffer (both pieces, one commit) */
            size_t n = 0;
            for (unsigned i = 0; i < nv && r->left > n; i++) {
                r->off += n;                  /* body_fill reads at r->off, at most r->left */
                r->left -= n;
                long b;
                if (r->src == SRC_GEN) {   /* the pattern, written only where it is not already */
                    b = (long)(v[i].len < r->left ? v[i].len : r->left);
                    conn_gen_fill(c, v[i].base, r->off, (size_t)b);
                } else {
                    c->gen.id = 0;         /* other bytes go where the pattern was */
                    b = body_fill(r, v[i].base, v[i].len);
                }
                r->off -= n;
                r->left += n;
                if (b < 0)
                    return -1;
                n += (size_t)b;
                if ((size_t)b < v[i].len)
                    break;
            }
            long sent = ts_tcp_send_commit(c->sock, now, n);
            if (sent < 0)
                return -1;
            r->off += (uint64_t)sent;
            r->left -= (uint64_t)sent;
            r->body_sent += (uint64_t)sent;
            ts_guard_touch(&c->srv->guard, &c->node, now);
            continue;
        }
        size_t space = ts_tcp_send_space(c->sock);
        size_t cap = space ? space : 1024;   /* 0: probe; the send answers EAGAIN if truly full */
        if (cap > HTTP_SCRATCH)
            cap = HTTP_SCRATCH;
        size_t h = hl < cap ? hl : cap;
        memcpy(buf, r->head + r->head_sent, h);
        long b = body_fill(r, buf + h, cap - h);
        if (b < 0)
            return -1;
        size_t n = h + (size_t)b;
        long sent = ts_tcp_send(c->sock, now, buf, n);
        if (sent == -TS_EAGAIN || sent == 0)
            return 0;
        if (sent < 0)
            return -1;
        c->gen.id = 0;                     /* these bytes went where the pattern may have been */
        size_t hs = (size_t)sent < h ? (size_t)sent : h;
        r->head_sent += hs;
        r->off += (uint64_t)sent - hs;
        r->left -= (uint64_t)sent - hs;
        r->body_sent += (uint64_t)sent - hs;
        ts_guard_touch(&c->srv->guard, &c->node, now);
        if ((size_t)sent < n)
            return 0;
    }
    return 0;
}

/* Response done: next request, or close gracefully. */
static void conn_sent(struct http_conn *c, ts_time_t now)
{
    conn_log(c);
    c->requests++;
    bool close = c->resp.close;
    http_resp_release(&c->resp);
    if (!close) {
        conn_expect_request(c, now);
        return;
    }
    c->st = C_LINGER;
    ts_guard_move(&c->srv->guard, &c->node, HC_LINGER, now);
    ts_tcp_shutdown(c->sock, now);
}

/* Read what the socket has into c->in (only when all buffered input is parsed). Returns bytes
 * read, 0 at EOF, -TS_EAGAIN, or another -error. */
static long conn_read(struct http_conn *c, ts_time_t now)
{
    long n = ts_tcp_recv(c->sock, now, c->in, sizeof c->in);
    if (n > 0) {
        c->in_off = 0;
        c->in_len = (size_t)n;
    }
    return n;
}

/* Make every step possible now. Returns false if the connection was freed. */
static bool conn_pump(struct http_conn *c, ts_time_t now)
{
    for (int guard = 0; guard < 100000; guard++) {
        if (c->st == C_SEND) {
            int r = conn_send(c, now);
            if (r < 0) {
                c->srv->stats.aborted++;
                conn_log(c);
                conn_free(c, now, true);
                return false;
            }
            if (r == 0)
                return true;
            conn_sent(c, now);
            continue;
        }
        if (c->st == C_READ && c->in_off < c->in_len) {
            conn_parse(c, now);
            continue;
        }
        long n = conn_read(c, now);
        if (n == -TS_EAGAIN)
            return true;
        if (n > 0) {
            if (c->st == C_LINGER)
                c->in_len = c->in_off = 0;       /* discard */
            continue;
        }
        /* EOF or error: nothing more will come. An unanswered partial request is dropped; all
         * input was read, so the close is graceful. */
        conn_free(c, now, false);
        return false;
    }
    return true;
}

static void conn_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct http_conn *c = arg;
    (void)sock;
    if (events & (TS_EV_ERROR | TS_EV_CLOSED)) {
        if (c->st == C_SEND)
            conn_log(c);
        conn_free(c, now, false);
        return;
    }
    conn_pump(c, now);
}

/* ---- accepting ---- */

/* A newcomer: admitted (evicting the connection idle longest if the server is full) or reset. */
static void accept_one(struct ts_http_server *srv, struct ts_sock *sock, ts_time_t now)
{
    struct http_conn *c = malloc(sizeof *c);
    enum ts_guard_verdict v = TS_GUARD_REFUSED_FULL;
    if (c) {
        memset(c, 0, offsetof(struct http_conn, in));
        ts_sock_name(sock, &c->laddr, &c->lport, &c->raddr, &c->rport);
        v = ts_guard_admit(&srv->guard, &c->node, c->raddr, HC_FIRST, now);
    }
    if (v != TS_GUARD_ADMITTED) {
        if (v == TS_GUARD_REFUSED_PEER) srv->stats.refused_peer++;
        else srv->stats.refused_full++;
        ts_tcp_abort(sock, now);           /* a reset frees the TCB at once: no FIN to a ghost */
        free(c);
        return;
    }
    c->resp.fd = -1;
    c->srv = srv;
    c->sock = sock;
    c->next = srv->conns;
    if (c->next)
        c->next->prev = c;
    srv->conns = c;
    srv->stats.open_conns++;
    srv->stats.accepted++;
    ts_sock_set_callback(sock, conn_cb, c);
    ts_tcp_set_nodelay(sock, true);       /* responses are written whole: no tinygrams to hold */
    conn_expect_request(c, now);
    conn_pump(c, now);
}

static void listener_cb(void *arg, struct ts_sock *listener, unsigned events, ts_time_t now)
{
    struct ts_http_server *srv = arg;
    for (int i = 0; i < 1024; i++) {
        struct ts_sock *s = ts_tcp_accept(listener, NULL, NULL);
        if (!s)
            break;
        accept_one(srv, s, now);
    }
}

/* ---- timers ---- */

static ts_time_t http_poll_at(void *ctx)
{
    struct ts_http_server *srv = ctx;
    return ts_guard_next(&srv->guard);
}

static struct http_conn *conn_of(struct ts_guard_node *n)
{
    return (struct http_conn *)(void *)((char *)n - offsetof(struct http_conn, node));
}

/* The guard's expire callback: the timeout of class cls ran out. */
static void conn_timeout(void *arg, struct ts_guard_node *n, int cls, ts_time_t now)
{
    struct ts_http_server *srv = arg;
    struct http_conn *c = conn_of(n);
    if (cls == HC_REQUEST) {
        srv->stats.timeouts_408++;
        c->in_len = c->in_off = 0;
        conn_fail(c, 408, now);               /* slowloris: answer 408 and close */
        conn_pump(c, now);
        return;
    }
    if (cls == HC_FIRST || cls == HC_IDLE)
        srv->stats.idle_closed++;
    else if (cls == HC_SEND) {
        srv->stats.aborted++;
        conn_log(c);
    } else if (cls == HC_LINGER)
        srv->stats.linger_closed++;
    /* Kept alive and idle: close quietly. Linger over: close quietly too, because the clock ran
     * from the last byte given to the socket, not from its delivery: under loss the answer may
     * still be in flight, and TCP carries it to the end as an orphan (tcp_orphan.c bounds those);
     * a reset here would destroy it. Never spoke (the peer may be a ghost) or a stalled send:
     * reset, which frees the TCB at once. */
    conn_free(c, now, cls != HC_IDLE && cls != HC_LINGER);
}

/* The guard's has_input callback: bytes of a request are waiting to be read. */
static bool conn_has_input(void *arg, struct ts_guard_node *n)
{
    const struct http_conn *c = conn_of(n);
    (void)arg;
    return c->in_off < c->in_len || ts_tcp_recv_avail(c->sock) > 0;
}

/* The guard's evict callback: the server is full and c is the one idle longest. */
static void conn_evict(void *arg, struct ts_guard_node *n, ts_time_t now)
{
    struct ts_http_server *srv = arg;
    srv->stats.evicted++;
    conn_free(conn_of(n), now, true);
}

static void http_poll(void *ctx, ts_time_t now)
{
    struct ts_http_server *srv = ctx;
    ts_guard_poll(&srv->guard, now);
}

static void guard_log(void *arg, const char *line)
{
    struct ts_http_server *srv = arg;
    if (srv->opts.quiet)
        return;
    if (srv->opts.log)
        srv->opts.log(srv->opts.log_arg, line);
    else
        fprintf(stderr, "%s\n", line);
}

static int guard_start(struct ts_http_server *srv)
{
    const struct ts_http_opts *o = &srv->opts;
    const struct ts_guard_class classes[HC_CLASSES] = {
        [HC_FIRST] = { "first byte", o->first_byte_timeout, 1, true },
        [HC_REQUEST] = { "request", o->request_timeout, 3, true },
        [HC_IDLE] = { "keep-alive", o->idle_timeout, 2, true },
        [HC_SEND] = { "response", o->send_timeout, 0, false },
        [HC_LINGER] = { "linger", HTTP_LINGER, 1, false },
    };
    const struct ts_guard_cfg cfg = {
        .name = "http", .max_conns = o->max_conns, .max_per_peer = o->max_per_peer,
        .classes = classes, .nclasses = HC_CLASSES, .evict = conn_evict, .expire = conn_timeout,
        .has_input = conn_has_input, .arg = srv, .log = guard_log, .log_arg = srv,
    };
    return ts_guard_init(&srv->guard, ts_stack_config(srv->stack), sizeof(struct http_conn), &cfg);
}

static unsigned http_conn_stats(void *ctx, struct ts_app_conn_stats *out, unsigned cap)
{
    const struct ts_http_server *srv = ctx;
    if (cap == 0) return 0;
    ts_guard_app_stats(&srv->guard, out);
    return 1;
}

static void http_stop(void *ctx, ts_time_t now)
{
    struct ts_http_server *srv = ctx;
    while (srv->conns)
        conn_free(srv->conns, now, true);
    if (srv->listener)
        ts_tcp_close(srv->listener, now);
    ts_fs_root_close(&srv->root);
    ts_guard_fini(&srv->guard);
    free(srv);
}

/* ---- public ---- */

static int open_root(struct ts_http_server *srv, const char *root)
{
    srv->root.fd = -1;
    if (!root)
        return 0;
    return ts_fs_root_open(&srv->root, root) < 0 ? -TS_EINVAL : 0;
}

int ts_http_start(struct ts_stack *s, ts_time_t now, const struct ts_http_opts *o, struct ts_app *out)
{
    struct ts_http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return -TS_ENOMEM;
    srv->stack = s;
    srv->opts = *o;
    struct ts_http_opts *d = &srv->opts;
    d->port = d->port ? d->port : 80;
    d->backlog = d->backlog ? d->backlog : 128;
    d->first_byte_timeout = d->first_byte_timeout ? d->first_byte_timeout : TS_SEC(20);
    d->request_timeout = d->request_timeout ? d->request_timeout : TS_SEC(10);
    d->idle_timeout = d->idle_timeout ? d->idle_timeout : TS_SEC(15);
    d->send_timeout = d->send_timeout ? d->send_timeout : TS_SEC(60);
    d->root = NULL;                       /* the caller's string is not kept */
    srv->root.fd = -1;
    int rc = guard_start(srv);
    if (rc == 0)
        rc = open_root(srv, o->root);
    if (rc == 0) {
        d->max_conns = srv->guard.max_conns;
        d->max_per_peer = srv->guard.max_per_peer;
    }
    if (rc == 0)
        rc = ts_tcp_listen(s, d->addr, d->port, d->backlog, listener_cb, srv, &srv->listener);
    if (rc != 0) {
        ts_fs_root_close(&srv->root);
        ts_guard_fini(&srv->guard);
        free(srv);
        return rc < 0 ? rc : -rc;
    }
    (void)now;
    memset(out, 0, sizeof *out);
    out->name = "http";
    out->ctx = srv;
    out->poll_at = http_poll_at;
    out->poll = http_poll;
    out->stop = http_stop;
    out->conn_stats = http_conn_stats;
    return 0;
}

struct ts_http_server *ts_http_server_of(const struct ts_app *app)
{
    if (!app || !app->name || strcmp(app->name, "http") != 0 || app->poll != http_poll)
        return NULL;
    return app->ctx;
}

void ts_http_server_stats(const struct ts_http_server *srv, struct ts_http_server_stats *out)
{
    *out = srv->stats;
    out->max_conns = srv->guard.max_conns;
    out->max_per_peer = srv->guard.max_per_peer;
}
