/*
 * tapstack apps: from a parsed request to a response (status, header block, body source).
 *
 * Order of lookup for a decoded path: registered routes, /bytes/N, then the document root (files,
 * index.html, directory listing) or, without a root, the built-in index page.
 */
#include "apps/http/http_date.h"
#include "apps/http/http_internal.h"
#include "apps/http/http_range.h"
#include "apps/http/mime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- response head ---- */

static void head_add(struct http_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void head_add(struct http_resp *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->head + r->head_len, sizeof r->head - r->head_len, fmt, ap);
    va_end(ap);
    if (n > 0 && r->head_len + (size_t)n < sizeof r->head)
        r->head_len += (size_t)n;
}

static void resp_begin(struct http_resp *r, int status)
{
    char date[TS_HTTP_DATE_LEN + 1];
    r->status = status;
    r->head_len = 0;
    head_add(r, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: tapstack\r\n", status,
             ts_http_reason(status), ts_http_date_format(time(NULL), date));
}

/* Content-Length (every response carries one), Connection, and the blank line. */
static void resp_end(struct http_resp *r, const struct ts_http_request *req, uint64_t length)
{
    head_add(r, "Content-Length: %llu\r\n", (unsigned long long)length);
    if (r->close)
        head_add(r, "Connection: close\r\n");
    else if (req && req->version_minor == 0)
        head_add(r, "Connection: keep-alive\r\n");
    head_add(r, "\r\n");
}

void http_resp_release(struct http_resp *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->mem);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* A short text body in the head buffer itself: "404 Not Found\n". */
static void resp_text(struct http_resp *r, const struct ts_http_request *req, int status, bool head,
                      const char *extra_headers)
{
    char body[96];
    int n = snprintf(body, sizeof body, "%d %s\n", status, ts_http_reason(status));
    resp_begin(r, status);
    head_add(r, "Content-Type: text/plain; charset=utf-8\r\n%s", extra_headers ? extra_headers : "");
    resp_end(r, req, (uint64_t)n);
    if (!head)
        head_add(r, "%s", body);
}

void http_error_response(struct ts_http_server *srv, struct http_conn *c, int status, bool head)
{
    (void)srv;
    http_resp_release(&c->resp);
    c->resp.close = true;
    resp_text(&c->resp, NULL, status, head, status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/* ---- bodies built in memory ---- */

int ts_http_body_append(struct ts_http_body *b, const void *data, size_t len)
{
    if (b->failed)
        return -1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *d = cap <= TS_HTTP_BODY_MAX ? realloc(b->data, cap) : NULL;
        if (!d) {
            b->failed = true;
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ts_http_body_printf(struct ts_http_body *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return ts_http_body_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = ts_http_body_append(b, big, (size_t)n);
    free(big);
    return rc;
}

int ts_http_body_html(struct ts_http_body *b, const char *s)
{
    char buf[256];
    while (*s) {
        /* escape in pieces small enough that the worst case (6 bytes each) fits */
        char piece[40];
        size_t k = 0;
        while (*s && k < sizeof piece - 1)
            piece[k++] = *s++;
        piece[k] = '\0';
        size_t n = ts_http_html_escape(buf, sizeof buf, 0, piece);
        if (ts_http_body_append(b, buf, n) < 0)
            return -1;
    }
    return 0;
}

/* Send a memory body (or for HEAD, only its length). Takes ownership of body->data. */
static void resp_mem(struct http_resp *r, const struct ts_http_request *req, int status,
                     struct ts_http_body *body, const char *extra)
{
    if (body->failed) {
        free(body->data);
        resp_text(r, req, 500, req->method == TS_HTTP_HEAD, NULL);
        return;
    }
    resp_begin(r, status);
    head_add(r, "Content-Type: %s\r\nCache-Control: no-store\r\n%s",
             body->content_type ? body->content_type : "text/html; charset=utf-8",
             extra ? extra : "");
    resp_end(r, req, body->len);
    if (req->method == TS_HTTP_HEAD || body->len == 0) {
        free(body->data);
        return;
    }
    r->src = SRC_MEM;
    r->mem = body->data;
    r->off = 0;
    r->left = body->len;
}

/* ---- representations with a length: files and /bytes/N (conditional and range) ---- */

/* Answer for a representation of size bytes: 304, 206, 416 or 200. The caller then sets the body
 * source from r->off/r->left (left = 0 means no body). */
static void resp_ranged(struct http_resp *r, const struct ts_http_request *req, uint64_t size,
                        const char *type, const time_t *mtime)
{
    char lm[TS_HTTP_DATE_LEN + 1] = "";
    time_t ims;
    bool head = req->method == TS_HTTP_HEAD;
    if (mtime) {
        /* A Last-Modified later than Date would be a promise from the future (RFC 9110 §8.8.2.1);
         * a client date later than ours is invalid and ignored (the file may change before it). */
        time_t now = time(NULL), lmt = *mtime < now ? *mtime : now;
        ts_http_date_format(lmt, lm);
        if (req->if_modified_since[0] && ts_http_date_parse(req->if_modified_since, &ims) &&
            ims <= now && lmt <= ims) {
            resp_begin(r, 304);
            head_add(r, "Last-Modified: %s\r\n", lm);
            resp_end(r, req, size);        /* the length a 200 would have had (RFC 9110 §8.6) */
            r->left = 0;
            return;
        }
    }
    uint64_t first = 0, last = 0;
    enum ts_http_range_result rr = TS_RANGE_IGNORE;
    bool if_range_ok = !req->has_if_range || (mtime && strcmp(req->if_range, lm) == 0);
    if (!head && req->range[0] && if_range_ok)
        rr = ts_http_range_parse(req->range, size, &first, &last);
    if (rr == TS_RANGE_UNSATISFIABLE) {
        char extra[64];
        snprintf(extra, sizeof extra, "Content-Range: bytes */%llu\r\n", (unsigned long long)size);
        resp_text(r, req, 416, head, extra);
        r->left = 0;
        return;
    }
    resp_begin(r, rr == TS_RANGE_OK ? 206 : 200);
    head_add(r, "Content-Type: %s\r\nAccept-Ranges: bytes\r\n", type);
    if (mtime)
        head_add(r, "Last-Modified: %s\r\n", lm);
    if (rr == TS_RANGE_OK) {
        head_add(r, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)first,
                 (unsigned long long)last, (unsigned long long)size);
        r->off = first;
        r->left = last - first + 1;
    } else {
        r->off = 0;
        r->left = size;
    }
    resp_end(r, req, r->left);
    if (head)
        r->left = 0;
}

void http_gen_fill(uint8_t *buf, uint64_t off, size_t len)
{
    static const char pat[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n";
    /* Byte i is pat[(off + i) % 64]: copy the tail of the pattern up to a 64-byte boundary, then
     * whole patterns (a download of /bytes/N is benchmarked: a byte loop cost 7 instructions
     * a byte, more than all of TCP/IP). */
    size_t start = (size_t)(off & 63), i = 64 - start < len ? 64 - start : len;
    memcpy(buf, pat + start, i);
    if (i == len)
        return;
    size_t base = i, n = len - i < 64 ? len - i : 64;   /* buf[base...] starts a pattern */
    memcpy(buf + i, pat, n);
    i += n;
    /* then double: what is written since base is whole patterns (a 64-byte memcpy a time was
     * 14 % of tapstack's time in a download, perf) */
    while (i < len) {
        size_t k = i - base < len - i ? i - base : len - i;
        memcpy(buf + i, buf + base, k);
        i += k;
    }
}

/* /bytes/N: N bytes of a fixed 64-byte pattern ("0123...XYZ-\n" repeated). */
static bool try_bytes(struct http_resp *r, const struct ts_http_request *req, const char *path)
{
    if (strncmp(path, "/bytes/", 7) != 0)
        return false;
    const char *d = path + 7;
    uint64_t n = 0;
    size_t k = 0;
    for (; d[k] >= '0' && d[k] <= '9' && k < 14; k++)
        n = n * 10 + (uint64_t)(d[k] - '0');
    if (k == 0 || d[k] != '\0' || n > HTTP_BYTES_MAX) {
        resp_text(r, req, 404, req->method == TS_HTTP_HEAD, NULL);
        return true;
    }
    resp_ranged(r, req, n, "application/octet-stream", NULL);
    if (r->left)
        r->src = SRC_GEN;
    return true;
}

/* ---- routes and built-in pages ---- */

int ts_http_add_route(struct ts_http_server *srv, const char *path, const char *title,
                      ts_http_route_fn fn, void *arg)
{
    if (!srv || !path || path[0] != '/' || !fn || strlen(path) >= sizeof srv->routes[0].path ||
        srv->nroutes == HTTP_MAX_ROUTES)
        return -TS_EINVAL;
    struct http_route *r = &srv->routes[srv->nroutes++];
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->title, sizeof r->title, "%s", title ? title : "");
    r->fn = fn;
    r->arg = arg;
    return 0;
}

static const struct http_route *find_route(const struct ts_http_server *srv, const char *path)
{
    for (unsigned i = 0; i < srv->nroutes; i++) {
        const struct http_route *rt = &srv->routes[i];
        size_t n = strlen(rt->path);
        if (rt->path[n - 1] == '/' ? strncmp(path, rt->path, n) == 0 : strcmp(path, rt->path) == 0)
            return rt;
    }
    return NULL;
}

static void run_route(struct ts_http_server *srv, struct http_conn *c, const struct http_route *rt,
                      const char *path, ts_time_t now)
{
    const struct ts_http_request *req = &c->parser.req;
    struct ts_http_route_req rq = {
        .path = path, .query = ts_http_target_query(req->target), .head = req->method == TS_HTTP_HEAD,
        .raddr = c->raddr, .laddr = c->laddr, .rport = c->rport, .lport = c->lport, .now = now,
    };
    struct ts_http_body body = {0};
    int status = rt->fn(rt->arg, &rq, &body);
    if (status < 200 || status > 599)
        status = 500;
    resp_mem(&c->resp, req, status, &body, NULL);
}

static void builtin_index(struct ts_http_server *srv, struct http_conn *c)
{
    struct ts_http_body b = {0};
    char ra[16], la[16];
    ts_http_body_printf(&b,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tapstack</title></head>\n"
        "<body>\n<h1>tapstack</h1>\n"
        "<p>A user-space TCP/IP stack (Ethernet, ARP, IPv4, ICMP, UDP, TCP) in C, running on a "
        "Linux TAP device. This page was parsed, built and sent by tapstack's own HTTP server over "
        "tapstack's own TCP: no kernel socket carried it.</p>\n"
        "<p>You are %s:%u, talking to %s:%u. Requests on this connection so far: %u.</p>\n",
        ts_ip_str(c->raddr, ra), c->rport, ts_ip_str(c->laddr, la), c->lport, c->requests + 1);
    ts_http_body_printf(&b, "<h2>Live views</h2>\n<ul>\n");
    for (unsigned i = 0; i < srv->nroutes; i++) {
        if (!srv->routes[i].title[0])
            continue;
        ts_http_body_printf(&b, "<li><a href=\"%s\">", srv->routes[i].path);
        ts_http_body_html(&b, srv->routes[i].title);
        ts_http_body_printf(&b, "</a> (%s)</li>\n", srv->routes[i].path);
    }
    ts_http_body_printf(&b,
        "<li><a href=\"/bytes/1048576\">/bytes/N</a>: N generated bytes, for benchmarks "
        "(Range works)</li>\n</ul>\n"
        "<h2>This server</h2>\n<p>HTTP/1.1: GET and HEAD, persistent connections, pipelining, "
        "If-Modified-Since, single byte ranges. Connections open: %u; accepted: %llu; requests: "
        "%llu.</p>\n<p>Serve a directory with <code>tapstack up --http-root DIR</code>.</p>\n"
        "</body></html>\n",
        srv->stats.open_conns, (unsigned long long)srv->stats.accepted,
        (unsigned long long)srv->stats.requests);
    resp_mem(&c->resp, &c->parser.req, 200, &b, NULL);
}

/* ---- the document root ---- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in directory dfd (without "." and ".."), sorted; directories get a trailing '/'. */
static char **list_dir(int dfd, size_t *count)
{
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        *count = 0;
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 100000) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        bool dir = fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(e->d_name);
        names[n] = malloc(len + 2);
        if (!names[n])
            break;
        memcpy(names[n], e->d_name, len);
        strcpy(names[n] + len, dir ? "/" : "");
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    *count = n;
    return names;
}

static void dir_listing(struct http_conn *c, int dfd, const char *path)
{
    struct ts_http_body b = {0};
    size_t n;
    char **names = list_dir(dfd, &n);
    ts_http_body_printf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
    ts_http_body_html(&b, path);
    ts_http_body_printf(&b, "</title></head>\n<body>\n<h1>Index of ");
    ts_http_body_html(&b, path);
    ts_http_body_printf(&b, "</h1>\n<ul>\n");
    if (strcmp(path, "/") != 0)
        ts_http_body_printf(&b, "<li><a href=\"../\">../</a></li>\n");
    for (size_t i = 0; i < n; i++) {
        char href[1024];
        size_t len = strlen(names[i]);
        bool dir = len > 0 && names[i][len - 1] == '/';
        if (dir)
            names[i][len - 1] = '\0';
        size_t h = ts_http_url_encode(href, sizeof href - 1, 0, names[i]);
        if (h < sizeof href - 1) {
            if (dir)
                strcpy(href + h, "/");
            ts_http_body_printf(&b, "<li><a href=\"%s\">", href);
            ts_http_body_html(&b, names[i]);
            ts_http_body_printf(&b, "%s</a></li>\n", dir ? "/" : "");
        }
        free(names[i]);
    }
    free(names);
    ts_http_body_printf(&b, "</ul>\n</body></html>\n");
    resp_mem(&c->resp, &c->parser.req, 200, &b, NULL);
}

/* A regular file: fd is handed over to the response. */
static void serve_file(struct http_conn *c, int fd, const struct stat *st, const char *name)
{
    struct http_resp *r = &c->resp;
    time_t mtime = st->st_mtime;
    resp_ranged(r, &c->parser.req, (uint64_t)st->st_size, ts_mime_type(name), &mtime);
    if (r->left) {
        r->src = SRC_FILE;
        r->fd = fd;
    } else {
        close(fd);
    }
}

static int errno_status(int err)
{
    if (err == -EACCES || err == -EPERM)
        return 403;
    if (err == -ENAMETOOLONG)
        return 414;
    return 404;    /* absent, or an escape attempt (EXDEV, ELOOP): do not say which */
}

static void serve_root(struct ts_http_server *srv, struct http_conn *c, const char *path)
{
    const struct ts_http_request *req = &c->parser.req;
    bool head = req->method == TS_HTTP_HEAD;
    int fd = ts_fs_root_openat(&srv->root, path, O_RDONLY | O_NONBLOCK, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        resp_text(&c->resp, req, fd < 0 ? errno_status(fd) : 500, head, NULL);
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t plen = strlen(path);
    if (S_ISREG(st.st_mode)) {
        if (path[plen - 1] == '/') {          /* "/file.txt/" names no directory */
            close(fd);
            resp_text(&c->resp, req, 404, head, NULL);
            return;
        }
        serve_file(c, fd, &st, path);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        close(fd);
        resp_text(&c->resp, req, 403, head, NULL);
        return;
    }
    if (path[plen - 1] != '/') {
        /* Relative links in the directory need the trailing slash (RFC 9110 §15.4.2). */
        char loc[TS_HTTP_MAX_PATH * 3 + 64] = "Location: ";
        size_t n = strlen(loc);
        const char *seg = path;
        while (*seg == '/' && n < sizeof loc - 8) {
            loc[n++] = '/';
            loc[n] = '\0';
            const char *end = strchr(seg + 1, '/');
            char part[256];
            size_t k = end ? (size_t)(end - seg - 1) : strlen(seg + 1);
            if (k >= sizeof part)
                break;
            memcpy(part, seg + 1, k);
            part[k] = '\0';
            n = ts_http_url_encode(loc, sizeof loc - 8, n, part);
            seg += 1 + k;
        }
        close(fd);
        if (n < sizeof loc - 8) {
            strcpy(loc + n, "/\r\n");
            resp_text(&c->resp, req, 301, head, loc);
        } else {
            resp_text(&c->resp, req, 414, head, NULL);
        }
        return;
    }
    int ifd = openat(fd, "index.html", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    struct stat ist;
    if (ifd >= 0 && fstat(ifd, &ist) == 0 && S_ISREG(ist.st_mode)) {
        close(fd);
        serve_file(c, ifd, &ist, "index.html");
        return;
    }
    if (ifd >= 0)
        close(ifd);
    dir_listing(c, fd, path);
    close(fd);
}

void http_handle_request(struct ts_http_server *srv, struct http_conn *c, ts_time_t now)
{
    const struct ts_http_request *req = &c->parser.req;
    bool head = req->method == TS_HTTP_HEAD;
    char path[TS_HTTP_MAX_PATH];
    http_resp_release(&c->resp);
    c->resp.close = !req->keep_alive || req->has_body;
    int st = ts_http_target_path(req->target, path, sizeof path, NULL);
    if (st != 0) {
        http_error_response(srv, c, st, head);
        return;
    }
    const struct http_route *rt = find_route(srv, path);
    if (rt) {
        run_route(srv, c, rt, path, now);
        return;
    }
    if (try_bytes(&c->resp, req, path))
        return;
    if (srv->root.fd >= 0) {
        serve_root(srv, c, path);
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        builtin_index(srv, c);
        return;
    }
    resp_text(&c->resp, req, 404, head, NULL);
}
