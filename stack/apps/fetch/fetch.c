/* The fetch client: URLs, transfers' lifetime, timeouts and clean closes (see fetch.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apps/fetch/fetch_internal.h"

struct ts_fetch {
    struct ts_stack *s;
    struct ts_fetch_opts o;
    struct fetch_xfer **x;
    unsigned n, cap;
    unsigned pending;
};

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* ---- URLs ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long fetch_pct_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%' && i + 2 < len && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            c = hexval(in[i + 1]) * 16 + hexval(in[i + 2]);
            i += 2;
        }
        if (c == 0 || o + 1 >= cap) return -1;
        out[o++] = (char)c;
    }
    if (cap == 0) return -1;
    out[o] = '\0';
    return (long)o;
}

/* The file name for a path: its last segment (query dropped), decoded, made harmless. */
static void url_name(const char *path, char *name, size_t cap)
{
    size_t end = strcspn(path, "?");
    size_t start = end;
    while (start > 0 && path[start - 1] != '/') start--;
    if (start == end || fetch_pct_decode(path + start, end - start, name, cap) < 0 || !strcmp(name, ".") ||
        !strcmp(name, "..")) {
        snprintf(name, cap, "index.html");
        return;
    }
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
}

/* "user[:pass]" of ftp://user:pass@host/, decoded. */
static int url_userinfo(const char *ui, size_t len, struct ts_fetch_url *u, char *err, size_t errlen)
{
    const char *colon = memchr(ui, ':', len);
    size_t ulen = colon ? (size_t)(colon - ui) : len;
    if (fetch_pct_decode(ui, ulen, u->user, sizeof u->user) < 0) return BAD("the user name is too long");
    if (colon && fetch_pct_decode(colon + 1, len - ulen - 1, u->pass, sizeof u->pass) < 0)
        return BAD("the password is too long");
    return 0;
}

/* host[:port] (the part after any userinfo). */
static int url_hostport(const char *hp, size_t len, struct ts_fetch_url *u, char *err, size_t errlen)
{
    char host[64];
    const char *colon = memchr(hp, ':', len);
    size_t hlen = colon ? (size_t)(colon - hp) : len;
    if (hlen == 0) return BAD("no host: write the server's IPv4 address, e.g. http://192.168.1.7/");
    if (hlen >= sizeof host) return BAD("the host '%.*s' is too long", (int)hlen, hp);
    memcpy(host, hp, hlen);
    host[hlen] = '\0';
    if (!ts_ip_parse(host, &u->addr))
        return BAD("'%s' is not an IPv4 address: tapstack has no DNS, write the address (e.g. %s://192.168.1.7/)",
                   host, u->scheme == TS_FETCH_FTP ? "ftp" : "http");
    if (!colon) return 0;
    unsigned long port = 0;
    size_t plen = len - hlen - 1;
    if (plen == 0 || plen > 5) return BAD("bad port '%.*s': expected 1-65535", (int)plen, colon + 1);
    for (size_t i = 0; i < plen; i++) {
        if (!isdigit((unsigned char)colon[1 + i])) return BAD("bad port '%.*s': expected 1-65535", (int)plen, colon + 1);
        port = port * 10 + (unsigned long)(colon[1 + i] - '0');
    }
    if (port == 0 || port > 65535) return BAD("bad port '%.*s': expected 1-65535", (int)plen, colon + 1);
    u->port = (uint16_t)port;
    return 0;
}

int ts_fetch_url_parse(const char *text, struct ts_fetch_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    const char *p;
    if (strncasecmp(text, "http://", 7) == 0) {
        u->scheme = TS_FETCH_HTTP;
        u->port = 80;
        p = text + 7;
    } else if (strncasecmp(text, "ftp://", 6) == 0) {
        u->scheme = TS_FETCH_FTP;
        u->port = 21;
        p = text + 6;
    } else {
        return BAD("'%s': only http:// and ftp:// URLs are supported", text);
    }
    for (const char *c = text; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return BAD("'%s': spaces and control characters must be %%-encoded", text);
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@') at = p + i;
    if (at && url_userinfo(p, (size_t)(at - p), u, err, errlen) < 0) return -1;
    const char *hp = at ? at + 1 : p;
    if (url_hostport(hp, (size_t)(p + alen - hp), u, err, errlen) < 0) return -1;
    const char *path = p + alen;
    size_t plen = strcspn(path, "#");
    if (plen == 0 || path[0] != '/') {
        if (plen + 2 > sizeof u->path) return BAD("the path is too long (at most %u bytes)", TS_FETCH_PATH_MAX - 2);
        u->path[0] = '/';
        memcpy(u->path + 1, path, plen);
        u->path[plen + 1] = '\0';
    } else {
        if (plen + 1 > sizeof u->path) return BAD("the path is too long (at most %u bytes)", TS_FETCH_PATH_MAX - 1);
        memcpy(u->path, path, plen);
        u->path[plen] = '\0';
    }
    if (u->scheme == TS_FETCH_FTP && (strchr(u->path, '?') || u->path[strlen(u->path) - 1] == '/'))
        return BAD("'%s': an ftp:// URL must name a file (no '?', no trailing '/')", text);
    url_name(u->path, u->name, sizeof u->name);
    return 0;
}

char *ts_fetch_fmt_rate(uint64_t bytes, ts_time_t dt, char *buf, size_t cap)
{
    if (dt == 0) dt = 1;
    double r = (double)bytes * 1e6 / (double)dt;
    if (r >= 1e9) snprintf(buf, cap, "%.2f GB/s", r / 1e9);
    else if (r >= 1e6) snprintf(buf, cap, "%.2f MB/s", r / 1e6);
    else if (r >= 1e3) snprintf(buf, cap, "%.1f kB/s", r / 1e3);
    else snprintf(buf, cap, "%.0f B/s", r);
    return buf;
}

/* ---- transfers ---- */

const struct ts_fetch_opts *fetch_opts(const struct fetch_xfer *x) { return &x->f->o; }

static ts_time_t opt_timeout(const struct ts_fetch *f) { return f->o.timeout ? f->o.timeout : TS_SEC(30); }

void fetch_progress(struct fetch_xfer *x, ts_time_t now)
{
    if (x->stage == FETCH_RUNNING) x->deadline = now + opt_timeout(x->f);
}

int fetch_body(struct fetch_xfer *x, ts_time_t now, const void *data, size_t len)
{
    if (len == 0) return 0;
    if (x->sink.write) {
        int e = x->sink.write(x->sink.arg, data, len);
        if (e < 0) {
            fetch_fail(x, now, "cannot save the body: %s", strerror(-e));
            return -1;
        }
    }
    x->res.bytes += len;
    fetch_progress(x, now);
    return 0;
}

static void finish(struct fetch_xfer *x)
{
    x->stage = FETCH_DONE;
    x->f->pending--;
    if (x->f->o.done) x->f->o.done(x->f->o.done_arg, &x->res);
}

static void release(struct ts_sock **sp, ts_time_t now, bool abort)
{
    if (!*sp) return;
    if (abort) ts_tcp_abort(*sp, now);
    else ts_tcp_close(*sp, now);
    *sp = NULL;
}

/* Closing took too long (or we stop): hand the sockets to the core, which finishes the closes
 * on its own; the transfer stays a success. */
static void give_up_closing(struct fetch_xfer *x, ts_time_t now)
{
    release(&x->ctl, now, false);
    release(&x->data, now, false);
    release(&x->listener, now, false);
    finish(x);
}

void fetch_fail(struct fetch_xfer *x, ts_time_t now, const char *fmt, ...)
{
    if (x->stage == FETCH_DONE) return;
    if (x->stage == FETCH_CLOSING) {   /* the body was complete: nothing can fail it now */
        give_up_closing(x, now);
        return;
    }
    release(&x->ctl, now, true);
    release(&x->data, now, true);
    release(&x->listener, now, false);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->res.why, sizeof x->res.why, fmt, ap);
    va_end(ap);
    x->res.ok = false;
    x->res.ended = now;
    finish(x);
}

static void maybe_finish(struct fetch_xfer *x)
{
    if (x->stage == FETCH_CLOSING && !x->ctl && !x->data && !x->listener) finish(x);
}

void fetch_closing_event(struct fetch_xfer *x, struct ts_sock **sp, unsigned events, ts_time_t now)
{
    struct ts_sock *k = *sp;
    if (!k) return;
    if (!(events & TS_EV_ERROR)) {
        uint8_t junk[2048];
        long r;
        while ((r = ts_tcp_recv(k, now, junk, sizeof junk)) > 0) {}
        if (ts_tcp_get_state(k) == TS_TCP_CLOSE_WAIT) ts_tcp_shutdown(k, now);
    }
    enum ts_tcp_state st = ts_tcp_get_state(k);
    if ((events & (TS_EV_ERROR | TS_EV_CLOSED)) || st == TS_TCP_CLOSED || st == TS_TCP_TIME_WAIT)
        release(sp, now, false);
    maybe_finish(x);
}

void fetch_complete(struct fetch_xfer *x, ts_time_t now)
{
    if (x->stage != FETCH_RUNNING) return;
    x->res.ok = true;
    x->res.ended = now;
    x->stage = FETCH_CLOSING;
    x->deadline = now + (x->f->o.linger ? x->f->o.linger : TS_SEC(2));
    release(&x->listener, now, false);
    fetch_closing_event(x, &x->data, 0, now);
    if (x->stage == FETCH_CLOSING) fetch_closing_event(x, &x->ctl, 0, now);
    maybe_finish(x);
}

bool fetch_ctl_event(struct fetch_xfer *x, struct ts_sock *k, unsigned events, ts_time_t now, const char *doing)
{
    if (x->stage == FETCH_CLOSING) {
        fetch_closing_event(x, &x->ctl, events, now);
        return false;
    }
    if (x->stage != FETCH_RUNNING || k != x->ctl) return false;
    if (events & TS_EV_ERROR) {
        fetch_sock_failed(x, k, now, doing);
        return false;
    }
    return true;
}

void fetch_sock_failed(struct fetch_xfer *x, struct ts_sock *sock, ts_time_t now, const char *doing)
{
    int e = ts_sock_error(sock);
    char a[16];
    uint32_t raddr = 0;
    uint16_t rport = 0;
    ts_sock_name(sock, NULL, NULL, &raddr, &rport);
    if (e == TS_ECONNREFUSED)
        fetch_fail(x, now, "connection refused by %s:%u (%s)", ts_ip_str(raddr, a), rport, doing);
    else if (e == TS_ETIMEDOUT)
        fetch_fail(x, now, "timed out: %s:%u stopped answering (%s)", ts_ip_str(raddr, a), rport, doing);
    else
        fetch_fail(x, now, "%s (%s:%u, %s)", ts_strerror(e ? e : TS_ECONNRESET), ts_ip_str(raddr, a), rport, doing);
}

struct ts_fetch *ts_fetch_new(struct ts_stack *s, const struct ts_fetch_opts *o)
{
    struct ts_fetch *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->s = s;
    if (o) f->o = *o;
    return f;
}

int ts_fetch_add(struct ts_fetch *f, ts_time_t now, const char *url_text, const struct ts_fetch_url *u,
                 const struct ts_fetch_sink *sink)
{
    if (f->n == f->cap) {
        unsigned cap = f->cap ? f->cap * 2 : 16;
        struct fetch_xfer **nx = realloc(f->x, cap * sizeof *nx);
        if (!nx) return -TS_ENOMEM;
        f->x = nx;
        f->cap = cap;
    }
    struct fetch_xfer *x = calloc(1, sizeof *x);
    if (!x) return -TS_ENOMEM;
    x->f = f;
    x->s = f->s;
    x->idx = f->n;
    x->url = *u;
    if (sink) x->sink = *sink;
    x->res.index = x->idx;
    x->res.url = url_text;
    x->res.scheme = u->scheme;
    x->res.raddr = u->addr;
    x->res.rport = u->port;
    x->res.started = now;
    x->deadline = now + opt_timeout(f);
    f->x[f->n++] = x;
    f->pending++;
    int e = u->scheme == TS_FETCH_FTP ? fetch_ftp_start(x, now) : fetch_http_start(x, now);
    if (e < 0) {
        char a[16];
        fetch_fail(x, now, "cannot connect to %s:%u: %s", ts_ip_str(u->addr, a), u->port, ts_strerror(e));
        return e;
    }
    return (int)x->idx;
}

unsigned ts_fetch_count(const struct ts_fetch *f) { return f->n; }
unsigned ts_fetch_pending(const struct ts_fetch *f) { return f->pending; }

const struct ts_fetch_result *ts_fetch_result(const struct ts_fetch *f, unsigned i)
{
    return i < f->n ? &f->x[i]->res : NULL;
}

static ts_time_t fetch_poll_at(void *ctx)
{
    const struct ts_fetch *f = ctx;
    ts_time_t d = TS_TIME_NEVER;
    for (unsigned i = 0; i < f->n; i++)
        if (f->x[i]->stage != FETCH_DONE && f->x[i]->deadline < d) d = f->x[i]->deadline;
    return d;
}

static const char *phase_text(const struct fetch_xfer *x)
{
    if (x->phase == 0) return "while connecting";
    if (x->url.scheme == TS_FETCH_HTTP) return x->head_done ? "while reading the body" : "waiting for the response";
    return x->data ? "during the data transfer" : "waiting for an FTP reply";
}

static void fetch_poll(void *ctx, ts_time_t now)
{
    struct ts_fetch *f = ctx;
    for (unsigned i = 0; i < f->n; i++) {
        struct fetch_xfer *x = f->x[i];
        if (x->stage == FETCH_DONE || x->deadline > now) continue;
        if (x->stage == FETCH_RUNNING)
            fetch_fail(x, now, "timed out: no progress for %llu s %s",
                       (unsigned long long)(opt_timeout(f) / 1000000u), phase_text(x));
        else
            give_up_closing(x, now);
    }
}

void ts_fetch_free(struct ts_fetch *f, ts_time_t now)
{
    if (!f) return;
    for (unsigned i = 0; i < f->n; i++) {
        fetch_fail(f->x[i], now, "stopped before the transfer was complete");
        free(f->x[i]);
    }
    free(f->x);
    free(f);
}

static void fetch_stop(void *ctx, ts_time_t now) { ts_fetch_free(ctx, now); }

void ts_fetch_app(struct ts_fetch *f, struct ts_app *out)
{
    memset(out, 0, sizeof *out);
    out->name = "fetch";
    out->ctx = f;
    out->poll_at = fetch_poll_at;
    out->poll = fetch_poll;
    out->stop = fetch_stop;
}
