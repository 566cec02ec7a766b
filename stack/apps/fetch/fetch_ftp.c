/*
 * The FTP client of fetch (RFC 959, RFC 2428): one control connection per file.
 *
 *   220 -> USER -> 331 -> PASS -> 230 -> TYPE I -> 200 ->
 *     passive: EPSV -> 229 (or 5xx -> PASV -> 227) -> connect the data connection -> RETR
 *     active:  listen on an ephemeral port -> PORT -> 200 -> RETR -> the server connects (port 20)
 *   -> 150 -> data until EOF, and 226 -> QUIT.
 * The passive data connection goes to the control connection's peer, whatever address a 227
 * names (as curl does by default: safe behind NAT, and no third-party bounce).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apps/fetch/fetch_internal.h"

enum { P_CONNECT = 0, P_GREETING, P_USER, P_PASS, P_TYPE, P_EPSV, P_PASV, P_PORT, P_DATA_CONNECT, P_RETR,
       P_XFER };

/* ---- replies ---- */

static bool three_digits(const char *s)
{
    return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]);
}

static void reply_text(struct fetch_ftp_reply *r, const char *line)
{
    const char *t = line[3] ? line + 4 : line + 3;
    snprintf(r->text, sizeof r->text, "%s", t);
}

int fetch_ftp_reply_line(struct fetch_ftp_reply *r, const char *line)
{
    bool coded = strlen(line) >= 3 && three_digits(line);
    int code = coded ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
    if (r->in_multi) {
        if (coded && code == r->code && (line[3] == ' ' || line[3] == '\0')) {
            r->in_multi = false;
            r->code = 0;
            reply_text(r, line);
            return code;
        }
        return 0;
    }
    if (!coded || code < 100 || code > 599) return -1;
    if (line[3] == '-') {
        r->in_multi = true;
        r->code = code;
        reply_text(r, line);
        return 0;
    }
    if (line[3] != ' ' && line[3] != '\0') return -1;
    reply_text(r, line);
    return code;
}

bool fetch_ftp_parse_229(const char *text, uint16_t *port)
{
    const char *p = strchr(text, '(');
    if (!p || !p[1]) return false;
    char d = p[1];
    if (d < 33 || d > 126 || isdigit((unsigned char)d)) return false;
    if (p[2] != d || p[3] != d) return false;
    p += 4;
    unsigned long v = 0;
    int n = 0;
    for (; isdigit((unsigned char)*p) && n < 6; p++, n++) v = v * 10 + (unsigned long)(*p - '0');
    if (n == 0 || n > 5 || *p != d || v == 0 || v > 65535) return false;
    *port = (uint16_t)v;
    return true;
}

bool fetch_ftp_parse_227(const char *text, uint32_t *addr, uint16_t *port)
{
    const char *p = strchr(text, '(');
    if (!p) {
        p = text;
        while (*p && !isdigit((unsigned char)*p)) p++;
    } else {
        p++;
    }
    unsigned v[6];
    for (int i = 0; i < 6; i++) {
        if (!isdigit((unsigned char)*p)) return false;
        unsigned x = 0;
        int n = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (++n > 3) return false;
            x = x * 10 + (unsigned)(*p - '0');
        }
        if (x > 255) return false;
        v[i] = x;
        if (i < 5 && *p++ != ',') return false;
    }
    *addr = (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
    *port = (uint16_t)(v[4] << 8 | v[5]);
    return *port != 0;
}

/* ---- the session ---- */

static void ctl_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now);
static void data_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now);

/* Send one command; the command's verb is kept in x->req for error messages. */
static int ftp_cmd(struct fetch_xfer *x, ts_time_t now, int phase, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ftp_cmd(struct fetch_xfer *x, ts_time_t now, int phase, const char *fmt, ...)
{
    char line[FTP_LINE_MAX + 3];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 2) {
        fetch_fail(x, now, "FTP command too long");
        return -1;
    }
    snprintf(x->req, sizeof x->req, "%s", strncmp(line, "PASS ", 5) == 0 ? "PASS ****" : line);
    memcpy(line + n, "\r\n", 3);
    long r = ts_tcp_send(x->ctl, now, line, (size_t)n + 2);
    if (r != n + 2) {
        fetch_fail(x, now, "cannot send %s on the control connection: %s", x->req,
                   r < 0 ? ts_strerror((int)r) : "send buffer full");
        return -1;
    }
    x->phase = phase;
    return 0;
}

static void reply_fail(struct fetch_xfer *x, ts_time_t now, int code)
{
    fetch_fail(x, now, "FTP %d %s (after %s)", code, x->reply.text, x->req[0] ? x->req : "connecting");
}

/* The data connection is open (or, active, listening): ask for the file. */
static void ftp_retr(struct fetch_xfer *x, ts_time_t now)
{
    char path[TS_FETCH_PATH_MAX];
    if (fetch_pct_decode(x->url.path + 1, strlen(x->url.path + 1), path, sizeof path) < 0 ||
        strpbrk(path, "\r\n")) {
        fetch_fail(x, now, "the path cannot be sent in an FTP command");
        return;
    }
    ftp_cmd(x, now, P_RETR, "RETR %s", path);
}

static void ftp_connect_data(struct fetch_xfer *x, ts_time_t now, uint16_t port)
{
    int e = ts_tcp_connect(x->s, now, x->res.laddr, 0, x->res.raddr, port, data_cb, x, &x->data);
    if (e < 0) {
        x->data = NULL;
        fetch_fail(x, now, "cannot open the data connection: %s", ts_strerror(e));
        return;
    }
    x->res.has_data = true;
    ts_sock_name(x->data, &x->res.data_laddr, &x->res.data_lport, &x->res.data_raddr, &x->res.data_rport);
    x->phase = P_DATA_CONNECT;
}

static void ftp_port(struct fetch_xfer *x, ts_time_t now)
{
    int e = ts_tcp_listen(x->s, x->res.laddr, 0, 1, data_cb, x, &x->listener);
    if (e < 0) {
        x->listener = NULL;
        fetch_fail(x, now, "cannot listen for the active data connection: %s", ts_strerror(e));
        return;
    }
    uint16_t p = 0;
    ts_sock_name(x->listener, NULL, &p, NULL, NULL);
    uint32_t a = x->res.laddr;
    ftp_cmd(x, now, P_PORT, "PORT %u,%u,%u,%u,%u,%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
            p >> 8, p & 255);
}

/* Both the data (to its EOF) and the 226 are in: say goodbye and close. */
static void ftp_check_done(struct fetch_xfer *x, ts_time_t now)
{
    if (!x->got_226 || !x->data_eof || x->stage != FETCH_RUNNING) return;
    if (ftp_cmd(x, now, P_XFER, "QUIT") == 0) fetch_complete(x, now);
}

static void on_login_reply(struct fetch_xfer *x, ts_time_t now, int code)
{
    const char *user = x->url.user[0] ? x->url.user : "anonymous";
    const char *pass = x->url.pass[0] ? x->url.pass : fetch_opts(x)->ftp_password ? fetch_opts(x)->ftp_password
                                                                                  : "tapstack@";
    if (x->phase == P_GREETING && code == 220) ftp_cmd(x, now, P_USER, "USER %s", user);
    else if (x->phase == P_USER && code == 331) ftp_cmd(x, now, P_PASS, "PASS %s", pass);
    else if ((x->phase == P_USER || x->phase == P_PASS) && (code == 230 || code == 202))
        ftp_cmd(x, now, P_TYPE, "TYPE I");
    else reply_fail(x, now, code);
}

static void on_reply(struct fetch_xfer *x, ts_time_t now, int code)
{
    x->res.status = code;
    fetch_progress(x, now);
    if (code < 200 && x->phase != P_RETR) return;   /* 120 "ready in n minutes" ... */
    uint32_t a;
    uint16_t port;
    switch (x->phase) {
    case P_GREETING: case P_USER: case P_PASS: on_login_reply(x, now, code); return;
    case P_TYPE:
        if (code != 200) reply_fail(x, now, code);
        else if (fetch_opts(x)->active) ftp_port(x, now);
        else ftp_cmd(x, now, P_EPSV, "EPSV");
        return;
    case P_EPSV:
        if (code == 229 && fetch_ftp_parse_229(x->reply.text, &port)) ftp_connect_data(x, now, port);
        else if (code >= 500) ftp_cmd(x, now, P_PASV, "PASV");
        else fetch_fail(x, now, "cannot read the EPSV reply '%d %s'", code, x->reply.text);
        return;
    case P_PASV:
        if (code == 227 && fetch_ftp_parse_227(x->reply.text, &a, &port)) ftp_connect_data(x, now, port);
        else reply_fail(x, now, code);
        return;
    case P_PORT:
        if (code == 200) ftp_retr(x, now);
        else reply_fail(x, now, code);
        return;
    case P_RETR:
        if (code == 150 || code == 125) x->phase = P_XFER;
        else if (code == 226 || code == 250) x->got_226 = true, x->phase = P_XFER;
        else reply_fail(x, now, code);
        break;
    case P_XFER:
        if (code == 226 || code == 250) x->got_226 = true;
        else reply_fail(x, now, code);
        break;
    default: reply_fail(x, now, code); return;
    }
    ftp_check_done(x, now);
}

/* Read control bytes and handle every complete reply. */
static void ctl_read(struct fetch_xfer *x, ts_time_t now)
{
    uint8_t buf[1024];
    long r = -TS_EAGAIN;
    while (x->stage == FETCH_RUNNING && (r = ts_tcp_recv(x->ctl, now, buf, sizeof buf)) > 0) {
        size_t off = 0;
        while (off < (size_t)r && x->stage == FETCH_RUNNING) {
            size_t used = 0;
            enum ts_line_status st = ts_line_feed(&x->line, buf + off, (size_t)r - off, &used);
            off += used;
            if (st == TS_LINE_TOO_LONG) {
                fetch_fail(x, now, "the server sent a reply line longer than %d bytes", FTP_LINE_MAX);
                return;
            }
            if (st != TS_LINE_READY) continue;
            int code = fetch_ftp_reply_line(&x->reply, x->line.buf);
            if (code < 0) fetch_fail(x, now, "not an FTP server? It sent '%.60s'", x->line.buf);
            else if (code > 0) on_reply(x, now, code);
        }
    }
    if (x->stage == FETCH_RUNNING && r == 0)
        fetch_fail(x, now, "the server closed the control connection (last reply %d %s)", x->res.status,
                   x->reply.text);
}

static void ctl_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now)
{
    struct fetch_xfer *x = arg;
    if (!fetch_ctl_event(x, k, ev, now, x->phase == P_CONNECT ? "connecting" : "on the control connection")) return;
    if ((ev & TS_EV_CONNECTED) && x->phase == P_CONNECT) {
        x->phase = P_GREETING;
        fetch_progress(x, now);
    }
    if (x->phase != P_CONNECT) ctl_read(x, now);
}

/* Active mode: the server connected to our listener. */
static void data_accept(struct fetch_xfer *x, ts_time_t now)
{
    struct ts_sock *d;
    while ((d = ts_tcp_accept(x->listener, data_cb, x))) {
        uint32_t raddr;
        ts_sock_name(d, NULL, NULL, &raddr, NULL);
        if (x->data || raddr != x->res.raddr) {   /* only the server, only once (RFC 2577) */
            ts_tcp_abort(d, now);
            continue;
        }
        x->data = d;
        x->res.has_data = x->res.data_active = true;
        ts_sock_name(d, &x->res.data_laddr, &x->res.data_lport, &x->res.data_raddr, &x->res.data_rport);
        fetch_progress(x, now);
    }
    if (x->data) {
        ts_tcp_close(x->listener, now);
        x->listener = NULL;
    }
}

static void data_read(struct fetch_xfer *x, ts_time_t now)
{
    uint8_t buf[16384];
    long r;
    while ((r = ts_tcp_recv(x->data, now, buf, sizeof buf)) > 0)
        if (fetch_body(x, now, buf, (size_t)r) < 0) return;
    if (r == 0) {
        x->data_eof = true;
        fetch_closing_event(x, &x->data, 0, now);
        ftp_check_done(x, now);
    }
}

static void data_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now)
{
    struct fetch_xfer *x = arg;
    if (x->stage == FETCH_DONE) return;
    if (k == x->listener) {
        if (x->stage == FETCH_RUNNING && (ev & TS_EV_READABLE)) data_accept(x, now);
        return;
    }
    if (k != x->data) return;
    if (x->stage == FETCH_CLOSING || x->data_eof) {
        fetch_closing_event(x, &x->data, ev, now);
        return;
    }
    if (ev & TS_EV_ERROR) {
        fetch_sock_failed(x, k, now, x->phase == P_DATA_CONNECT ? "opening the data connection" : "on the data connection");
        return;
    }
    if ((ev & TS_EV_CONNECTED) && x->phase == P_DATA_CONNECT) ftp_retr(x, now);
    if (x->stage == FETCH_RUNNING) data_read(x, now);
}

int fetch_ftp_start(struct fetch_xfer *x, ts_time_t now)
{
    ts_line_init(&x->line);
    int e = ts_tcp_connect(x->s, now, 0, 0, x->url.addr, x->url.port, ctl_cb, x, &x->ctl);
    if (e < 0) {
        x->ctl = NULL;
        return e;
    }
    ts_sock_name(x->ctl, &x->res.laddr, &x->res.lport, &x->res.raddr, &x->res.rport);
    return 0;
}
