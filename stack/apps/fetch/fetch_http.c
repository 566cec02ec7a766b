/*
 * The HTTP/1.1 client of fetch (RFC 9112): one GET per connection with Connection: close.
 * The body ends at Content-Length, at the end of the chunked coding, or at EOF when neither
 * is given (RFC 9112 §6.3). Only 2xx is a success; any other status fails the transfer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apps/fetch/fetch_internal.h"

enum { H_CONNECTING = 0, H_EXCHANGE };

/* ---- the response head ---- */

/* Value of a header line "name: value" with optional whitespace trimmed, or NULL if name differs. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0) return NULL;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    *vlen = (size_t)(end - v);
    return v;
}

static int parse_status_line(const char *line, size_t len, struct fetch_http_head *h)
{
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) || line[8] != ' ')
        return -1;
    for (int i = 9; i < 12; i++)
        if (!isdigit((unsigned char)line[i])) return -1;
    h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (h->status < 100 || (len > 12 && line[12] != ' ')) return -1;
    size_t rl = len > 13 ? len - 13 : 0;
    if (rl >= sizeof h->reason) rl = sizeof h->reason - 1;
    if (rl) memcpy(h->reason, line + 13, rl);
    h->reason[rl] = '\0';
    return 0;
}

static int parse_content_length(const char *v, size_t vlen, struct fetch_http_head *h)
{
    if (vlen == 0 || vlen > 18) return -1;
    int64_t n = 0;
    for (size_t i = 0; i < vlen; i++) {
        if (!isdigit((unsigned char)v[i])) return -1;
        n = n * 10 + (v[i] - '0');
    }
    if (h->content_length >= 0 && h->content_length != n) return -1;
    h->content_length = n;
    return 0;
}

/* Transfer-Encoding: the last coding must be chunked for us to read the body. */
static void parse_transfer_encoding(const char *v, size_t vlen, struct fetch_http_head *h)
{
    size_t end = vlen;
    while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t' || v[end - 1] == ',')) end--;
    size_t start = end;
    while (start > 0 && v[start - 1] != ',' && v[start - 1] != ' ') start--;
    h->chunked = end - start == 7 && strncasecmp(v + start, "chunked", 7) == 0;
    h->other_coding = !h->chunked;
}

long fetch_http_parse_head(const char *buf, size_t len, struct fetch_http_head *h, const char **why)
{
    size_t end = 0;
    for (size_t i = 0; i + 1 < len && !end; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n') end = i + 2;
        else if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') end = i + 3;
    }
    if (!end) return 0;
    memset(h, 0, sizeof *h);
    h->content_length = -1;
    const char *line = buf;
    const char *nl = memchr(line, '\n', end);
    if (parse_status_line(line, (size_t)(nl - line), h) < 0) {
        *why = "the status line is not HTTP/1.x NNN";
        return -1;
    }
    bool have_te = false;
    for (line = nl + 1; line < buf + end; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(buf + end - line));
        size_t ll = (size_t)(nl - line);
        if (ll > 0 && line[ll - 1] == '\r') ll--;
        if (ll == 0) break;
        if (line[0] == ' ' || line[0] == '\t') continue;   /* obsolete line folding: ignored */
        if (!memchr(line, ':', ll)) {
            *why = "a header line has no ':'";
            return -1;
        }
        size_t vlen;
        const char *v;
        if ((v = header_value(line, ll, "Content-Length", &vlen)) && parse_content_length(v, vlen, h) < 0) {
            *why = "bad or conflicting Content-Length";
            return -1;
        }
        if ((v = header_value(line, ll, "Transfer-Encoding", &vlen))) {
            have_te = true;
            parse_transfer_encoding(v, vlen, h);
        }
    }
    if (have_te) h->content_length = -1;   /* RFC 9112 §6.3: Transfer-Encoding overrides */
    return (long)end;
}

/* ---- chunked coding ---- */

enum { C_SIZE = 0, C_EXT, C_DATA, C_DATA_END, C_TRAILER_START, C_TRAILER_LINE };

long fetch_chunked_feed(struct fetch_chunked *c, uint8_t *in, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && !c->done;) {
        if (c->state == C_DATA) {
            size_t n = len - i < c->left ? len - i : (size_t)c->left;
            memmove(in + o, in + i, n);
            o += n;
            i += n;
            c->left -= n;
            if (c->left == 0) c->state = C_DATA_END;
            continue;
        }
        int ch = in[i++];
        switch (c->state) {
        case C_SIZE:
            if (isxdigit(ch)) {
                if (++c->digits > 15) return -1;
                c->left = c->left * 16 + (uint64_t)(isdigit(ch) ? ch - '0' : (ch | 0x20) - 'a' + 10);
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                c->state = C_EXT;
            } else if (ch == '\n') {
                if (c->digits == 0) return -1;
                c->state = c->left ? C_DATA : C_TRAILER_START;
            } else if (ch != '\r') {
                return -1;
            }
            break;
        case C_EXT:
            if (ch == '\n') {
                if (c->digits == 0) return -1;
                c->state = c->left ? C_DATA : C_TRAILER_START;
            }
            break;
        case C_DATA_END:
            if (ch == '\n') {
                c->state = C_SIZE;
                c->digits = 0;
                c->left = 0;
            } else if (ch != '\r') {
                return -1;
            }
            break;
        case C_TRAILER_START:
            if (ch == '\n') c->done = true;
            else if (ch != '\r') c->state = C_TRAILER_LINE;
            break;
        case C_TRAILER_LINE:
            if (ch == '\n') c->state = C_TRAILER_START;
            break;
        default: return -1;
        }
    }
    return (long)o;
}

/* ---- the exchange ---- */

/* Body bytes (possibly still chunk-framed): into the sink. 1 when the body is complete,
 * 0 for more, -1 when the transfer failed. */
static int http_body_bytes(struct fetch_xfer *x, ts_time_t now, uint8_t *data, size_t len)
{
    if (x->hh.chunked) {
        long n = fetch_chunked_feed(&x->ch, data, len);
        if (n < 0) {
            fetch_fail(x, now, "bad chunked framing after %llu body bytes", (unsigned long long)x->res.bytes);
            return -1;
        }
        if (fetch_body(x, now, data, (size_t)n) < 0) return -1;
        return x->ch.done ? 1 : 0;
    }
    if (x->hh.content_length >= 0) {
        uint64_t want = (uint64_t)x->hh.content_length - x->res.bytes;
        if (len > want) len = (size_t)want;
        if (fetch_body(x, now, data, len) < 0) return -1;
        return x->res.bytes == (uint64_t)x->hh.content_length ? 1 : 0;
    }
    return fetch_body(x, now, data, len) < 0 ? -1 : 0;
}

/* The head is complete (hl bytes of x->head): check it, pass on the body bytes behind it. */
static int http_head_done(struct fetch_xfer *x, ts_time_t now, size_t hl)
{
    x->head_done = true;
    x->res.status = x->hh.status;
    if (x->hh.status < 200 || x->hh.status > 299) {
        fetch_fail(x, now, "HTTP %d %s", x->hh.status, x->hh.reason);
        return -1;
    }
    if (x->hh.other_coding) {
        fetch_fail(x, now, "HTTP %d with a Transfer-Encoding other than chunked (not supported)", x->hh.status);
        return -1;
    }
    if (x->hh.status == 204 || x->hh.status == 205) x->hh.content_length = 0;
    if (x->hh.content_length == 0) return 1;
    return http_body_bytes(x, now, (uint8_t *)x->head + hl, x->head_len - hl);
}

static void http_eof(struct fetch_xfer *x, ts_time_t now)
{
    if (!x->head_done)
        fetch_fail(x, now, "the server closed the connection before a complete response (%zu bytes)", x->head_len);
    else if (x->hh.chunked)
        fetch_fail(x, now, "the server closed the connection inside the chunked body, after %llu bytes",
                   (unsigned long long)x->res.bytes);
    else if (x->hh.content_length >= 0)
        fetch_fail(x, now, "the server closed the connection after %llu of %lld bytes",
                   (unsigned long long)x->res.bytes, (long long)x->hh.content_length);
    else
        fetch_complete(x, now);
}

/* Read what is there. Returns 1 when the body is complete, 0 to wait, -1 when failed. */
static int http_read(struct fetch_xfer *x, ts_time_t now)
{
    uint8_t buf[16384];
    for (;;) {
        long r;
        int done = 0;
        if (!x->head_done) {
            size_t room = sizeof x->head - x->head_len;
            if (room == 0) {
                fetch_fail(x, now, "the response head is longer than %u bytes", FETCH_HEAD_MAX);
                return -1;
            }
            r = ts_tcp_recv(x->ctl, now, x->head + x->head_len, room);
            if (r > 0) {
                x->head_len += (size_t)r;
                fetch_progress(x, now);
                const char *why = "";
                long hl = fetch_http_parse_head(x->head, x->head_len, &x->hh, &why);
                if (hl < 0) {
                    fetch_fail(x, now, "bad HTTP response: %s", why);
                    return -1;
                }
                if (hl > 0) done = http_head_done(x, now, (size_t)hl);
            }
        } else {
            r = ts_tcp_recv(x->ctl, now, buf, sizeof buf);
            if (r > 0) done = http_body_bytes(x, now, buf, (size_t)r);
        }
        if (done != 0) return done;
        if (r == 0) {
            http_eof(x, now);
            return -1;
        }
        if (r < 0) return 0;   /* EAGAIN, or an error the event reports */
    }
}

static void http_send(struct fetch_xfer *x, ts_time_t now)
{
    while (x->req_off < x->req_len) {
        long r = ts_tcp_send(x->ctl, now, x->req + x->req_off, x->req_len - x->req_off);
        if (r == -TS_EAGAIN) return;
        if (r <= 0) {
            fetch_fail(x, now, "cannot send the request: %s", ts_strerror((int)r));
            return;
        }
        x->req_off += (size_t)r;
    }
}

static void http_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now)
{
    struct fetch_xfer *x = arg;
    if (!fetch_ctl_event(x, k, ev, now, x->phase == H_CONNECTING ? "connecting" : "during the HTTP exchange"))
        return;
    if (ev & TS_EV_CONNECTED) {
        x->phase = H_EXCHANGE;
        fetch_progress(x, now);
    }
    if (x->phase != H_EXCHANGE) return;
    http_send(x, now);
    if (x->stage == FETCH_RUNNING && http_read(x, now) == 1) fetch_complete(x, now);
}

int fetch_http_start(struct fetch_xfer *x, ts_time_t now)
{
    char a[16], host[32];
    ts_ip_str(x->url.addr, a);
    if (x->url.port == 80) snprintf(host, sizeof host, "%s", a);
    else snprintf(host, sizeof host, "%s:%u", a, x->url.port);
    int n = snprintf(x->req, sizeof x->req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tapstack-fetch\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n", x->url.path, host);
    if (n < 0 || (size_t)n >= sizeof x->req) return -TS_EINVAL;
    x->req_len = (size_t)n;
    int e = ts_tcp_connect(x->s, now, 0, 0, x->url.addr, x->url.port, http_cb, x, &x->ctl);
    if (e < 0) {
        x->ctl = NULL;
        return e;
    }
    ts_sock_name(x->ctl, &x->res.laddr, &x->res.lport, &x->res.raddr, &x->res.rport);
    return 0;
}
