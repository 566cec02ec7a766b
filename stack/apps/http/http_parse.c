/*
 * tapstack apps: incremental HTTP/1.x request parser. See http_parse.h for the grammar and limits.
 *
 * One byte at a time through a state machine: nothing depends on how the bytes were split, and
 * the only buffers are the bounded ones in struct ts_http_parser.
 */
#include "apps/http/http_parse.h"

#include <string.h>
#include <strings.h>

enum pstate {
    S_START = 0,    /* before the request line; CRLFs tolerated */
    S_START_LF,     /* CR seen before the request line */
    S_METHOD,
    S_TARGET_START,
    S_TARGET,
    S_VERSION,
    S_RL_LF,        /* CR after the version */
    S_FIELD_START,
    S_NAME,
    S_VALUE_OWS,
    S_VALUE,
    S_FIELD_LF,
    S_END_LF,       /* CR of the blank line seen */
    S_DONE,
    S_ERROR,
};

enum field {
    F_OTHER = 0,
    F_HOST,
    F_CONNECTION,
    F_CONTENT_LENGTH,
    F_TRANSFER_ENCODING,
    F_IF_MODIFIED_SINCE,
    F_RANGE,
    F_IF_RANGE,
};

/* Per-request facts gathered from fields that only matter at the end of the header section. */
#define TE_SEEN 1u
#define TE_LAST_CHUNKED 2u
#define TE_OTHER 4u
#define TE_BAD 8u
#define CONN_CLOSE 16u
#define CONN_KEEP 32u
#define RANGE_DUP 64u
#define RANGE_SEEN 128u

static const struct {
    const char *name;
    enum ts_http_method m;
} methods[] = {
    {"GET", TS_HTTP_GET},         {"HEAD", TS_HTTP_HEAD},       {"POST", TS_HTTP_POST},
    {"PUT", TS_HTTP_PUT},         {"DELETE", TS_HTTP_DELETE},   {"CONNECT", TS_HTTP_CONNECT},
    {"OPTIONS", TS_HTTP_OPTIONS}, {"TRACE", TS_HTTP_TRACE},     {"PATCH", TS_HTTP_PATCH},
};

static const struct {
    const char *name;
    enum field f;
} fields[] = {
    {"host", F_HOST},
    {"connection", F_CONNECTION},
    {"content-length", F_CONTENT_LENGTH},
    {"transfer-encoding", F_TRANSFER_ENCODING},
    {"if-modified-since", F_IF_MODIFIED_SINCE},
    {"range", F_RANGE},
    {"if-range", F_IF_RANGE},
};

const char *ts_http_method_name(enum ts_http_method m)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].m == m)
            return methods[i].name;
    return "OTHER";
}

const char *ts_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
 * / "`" / "|" / "~" / DIGIT / ALPHA */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_vchar(uint8_t c) { return c > 0x20 && c < 0x7f; }

/* field-vchar plus SP and HTAB (RFC 9110 §5.5); obs-text is allowed in values. */
static bool is_value_char(uint8_t c) { return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f); }

static bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

static enum ts_http_parse_result fail(struct ts_http_parser *p, int status, const char *why)
{
    p->state = S_ERROR;
    p->status = status;
    p->reason = why;
    return TS_HTTP_ERROR;
}

void ts_http_parser_init(struct ts_http_parser *p)
{
    memset(p, 0, sizeof *p);
    p->state = S_START;
}

bool ts_http_parser_in_request(const struct ts_http_parser *p)
{
    return p->started > 0 && p->state != S_DONE;
}

static void classify_method(struct ts_http_parser *p)
{
    p->req.method = TS_HTTP_OTHER;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(p->req.method_text, methods[i].name) == 0)
            p->req.method = methods[i].m;
}

static enum field classify_field(const struct ts_http_parser *p)
{
    if (p->len > TS_HTTP_MAX_NAME)
        return F_OTHER;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcasecmp(p->name, fields[i].name) == 0)
            return fields[i].f;
    return F_OTHER;
}

/* Next comma-separated list element of s (RFC 9110 §5.6.1), trimmed of OWS; empty elements are
 * returned as length 0. Returns false at the end. */
static bool next_elem(const char **s, const char **e, size_t *elen)
{
    const char *c = *s;
    if (*c == '\0')
        return false;
    while (is_ows((uint8_t)*c))
        c++;
    const char *start = c;
    while (*c && *c != ',')
        c++;
    const char *end = c;
    while (end > start && is_ows((uint8_t)end[-1]))
        end--;
    *e = start;
    *elen = (size_t)(end - start);
    *s = *c == ',' ? c + 1 : c;
    return true;
}

/* Content-Length = 1*DIGIT, possibly repeated as a list of equal values (RFC 9110 §8.6). */
static enum ts_http_parse_result field_content_length(struct ts_http_parser *p)
{
    const char *s = p->value, *e;
    size_t n;
    bool any = false;
    while (next_elem(&s, &e, &n)) {
        if (n == 0 || n > 18)
            return fail(p, 400, "bad Content-Length");
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
            if (e[i] < '0' || e[i] > '9')
                return fail(p, 400, "bad Content-Length");
            v = v * 10 + (uint64_t)(e[i] - '0');
        }
        if (p->cl_seen && v != p->req.content_length)
            return fail(p, 400, "conflicting Content-Length");
        p->cl_seen = true;
        p->req.content_length = v;
        any = true;
    }
    if (!any)
        return fail(p, 400, "empty Content-Length");
    p->req.has_content_length = true;
    return TS_HTTP_NEED_MORE;
}

/* Transfer-Encoding = #transfer-coding; only a final "chunked" is understood (RFC 9112 §6.1). */
static void field_transfer_encoding(struct ts_http_parser *p, unsigned *flags)
{
    const char *s = p->value, *e;
    size_t n;
    *flags |= TE_SEEN;
    while (next_elem(&s, &e, &n)) {
        if (n == 0)
            continue;
        size_t tok = 0;
        while (tok < n && e[tok] != ';' && !is_ows((uint8_t)e[tok]))
            tok++;
        bool chunked = tok == 7 && strncasecmp(e, "chunked", 7) == 0;
        if (chunked && (*flags & TE_LAST_CHUNKED))
            *flags |= TE_BAD;            /* chunked applied twice */
        if (chunked && tok != n)
            *flags |= TE_BAD;            /* chunked takes no parameters */
        if (!chunked)
            *flags |= TE_OTHER;
        *flags = chunked ? (*flags | TE_LAST_CHUNKED) : (*flags & ~TE_LAST_CHUNKED);
    }
}

static void field_connection(struct ts_http_parser *p, unsigned *flags)
{
    const char *s = p->value, *e;
    size_t n;
    while (next_elem(&s, &e, &n)) {
        if (n == 5 && strncasecmp(e, "close", 5) == 0)
            *flags |= CONN_CLOSE;
        else if (n == 10 && strncasecmp(e, "keep-alive", 10) == 0)
            *flags |= CONN_KEEP;
    }
}

/* Host = uri-host [ ":" port ] (RFC 9110 §7.2): letters, digits and the URI characters. */
static bool host_ok(const char *h)
{
    for (; *h; h++) {
        uint8_t c = (uint8_t)*h;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !strchr("-._~!$&'()*+,;=:[]%", c))
            return false;
    }
    return true;
}

static void copy_value(char *dst, const struct ts_http_parser *p)
{
    if (p->value_overflow)
        dst[0] = '\0';
    else
        memcpy(dst, p->value, p->len + 1);
}

/* A complete field line: act on the fields the server uses; facts needed at the end of the
 * header section go into *flags. */
static enum ts_http_parse_result end_of_field(struct ts_http_parser *p, unsigned *flags)
{
    while (p->len > 0 && is_ows((uint8_t)p->value[p->len - 1]))
        p->len--;
    p->value[p->len] = '\0';
    struct ts_http_request *r = &p->req;
    switch ((enum field)p->field) {
    case F_HOST:
        if (r->has_host)
            return fail(p, 400, "duplicate Host");
        if (p->value_overflow || !host_ok(p->value))
            return fail(p, 400, "bad Host");
        r->has_host = true;
        copy_value(r->host, p);
        break;
    case F_CONTENT_LENGTH:
        if (p->value_overflow)
            return fail(p, 400, "bad Content-Length");
        return field_content_length(p);
    case F_TRANSFER_ENCODING:
        if (p->value_overflow)
            return fail(p, 400, "bad Transfer-Encoding");
        field_transfer_encoding(p, flags);
        break;
    case F_CONNECTION:
        field_connection(p, flags);
        break;
    case F_IF_MODIFIED_SINCE:
        copy_value(r->if_modified_since, p);
        break;
    case F_RANGE:
        if (*flags & RANGE_SEEN)
            *flags |= RANGE_DUP;
        *flags |= RANGE_SEEN;
        copy_value(r->range, p);
        break;
    case F_IF_RANGE:
        r->has_if_range = true;
        copy_value(r->if_range, p);
        break;
    case F_OTHER:
        break;
    }
    return TS_HTTP_NEED_MORE;
}

/* The blank line ending the header section: whole-message checks (RFC 9112 §3.2, §6). */
static enum ts_http_parse_result end_of_headers(struct ts_http_parser *p, unsigned flags)
{
    struct ts_http_request *r = &p->req;
    if (r->version_minor >= 1 && !r->has_host)
        return fail(p, 400, "missing Host");
    if (flags & TE_SEEN) {
        if (r->version_minor == 0)
            return fail(p, 400, "Transfer-Encoding in HTTP/1.0");
        if (r->has_content_length)
            return fail(p, 400, "Content-Length with Transfer-Encoding");
        if ((flags & TE_BAD) || !(flags & TE_LAST_CHUNKED))
            return fail(p, 400, "chunked is not the final transfer coding");
        if (flags & TE_OTHER)
            return fail(p, 501, "unknown transfer coding");
        r->chunked = true;
    }
    if (flags & RANGE_DUP)
        r->range[0] = '\0';
    r->has_body = r->chunked || r->content_length > 0;
    if (r->version_minor >= 1)
        r->keep_alive = !(flags & CONN_CLOSE);
    else
        r->keep_alive = (flags & CONN_KEEP) && !(flags & CONN_CLOSE);
    if (r->method == TS_HTTP_OTHER)
        return fail(p, 501, "unknown method");
    if (r->method != TS_HTTP_GET && r->method != TS_HTTP_HEAD)
        return fail(p, 405, "method not allowed");
    p->state = S_DONE;
    return TS_HTTP_COMPLETE;
}

/* "HTTP/" DIGIT "." DIGIT, collected in p->value. */
static enum ts_http_parse_result end_of_version(struct ts_http_parser *p)
{
    const char *v = p->value;
    if (p->len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(p, 400, "malformed HTTP-version");
    if (v[5] != '1')
        return fail(p, 505, "unsupported HTTP major version");
    p->req.version_major = 1;
    p->req.version_minor = v[7] == '0' ? 0 : 1;
    return TS_HTTP_NEED_MORE;
}

static enum ts_http_parse_result request_line_byte(struct ts_http_parser *p, uint8_t c)
{
    struct ts_http_request *r = &p->req;
    switch (p->state) {
    case S_START:
        if (c == '\r') {
            p->state = S_START_LF;
            return TS_HTTP_NEED_MORE;
        }
        if (!is_tchar(c))
            return fail(p, 400, c == '\n' ? "bare LF" : "request line does not start with a method");
        p->state = S_METHOD;
        /* fall through */
    case S_METHOD:
        if (c == ' ') {
            if (p->len == 0)
                return fail(p, 400, "empty method");
            r->method_text[p->len] = '\0';
            classify_method(p);
            p->state = S_TARGET_START;
            return TS_HTTP_NEED_MORE;
        }
        if (!is_tchar(c))
            return fail(p, 400, "malformed method");
        if (p->len == TS_HTTP_MAX_METHOD)
            return fail(p, 501, "method too long");
        r->method_text[p->len++] = (char)c;
        return TS_HTTP_NEED_MORE;
    case S_START_LF:
        if (c != '\n')
            return fail(p, 400, "bare CR");
        if (++p->empty_lines > TS_HTTP_MAX_EMPTY_LINES)
            return fail(p, 400, "too many empty lines");
        p->state = S_START;
        return TS_HTTP_NEED_MORE;
    case S_TARGET_START:
    case S_TARGET:
        if (c == ' ' && p->state == S_TARGET) {
            r->target[r->target_len] = '\0';
            p->state = S_VERSION;
            p->len = 0;
            return TS_HTTP_NEED_MORE;
        }
        if (!is_vchar(c))
            return fail(p, 400, "malformed request-target");
        if (r->target_len == TS_HTTP_MAX_TARGET)
            return fail(p, 414, "request-target too long");
        r->target[r->target_len++] = (char)c;
        p->state = S_TARGET;
        return TS_HTTP_NEED_MORE;
    case S_VERSION:
        if (c == '\r') {
            p->value[p->len] = '\0';
            p->state = S_RL_LF;
            return end_of_version(p);
        }
        if (p->len == 8 || !is_vchar(c))
            return fail(p, 400, c == '\n' ? "bare LF" : "malformed HTTP-version");
        p->value[p->len++] = (char)c;
        return TS_HTTP_NEED_MORE;
    case S_RL_LF:
        if (c != '\n')
            return fail(p, 400, "bare CR");
        p->state = S_FIELD_START;
        return TS_HTTP_NEED_MORE;
    default:
        return fail(p, 500, "parser state");
    }
}

static enum ts_http_parse_result field_byte(struct ts_http_parser *p, uint8_t c, unsigned *flags)
{
    if (++p->header_bytes > TS_HTTP_MAX_HEADER_BYTES)
        return fail(p, 431, "header section too large");
    switch (p->state) {
    case S_FIELD_START:
        if (c == '\r') {
            p->state = S_END_LF;
            return TS_HTTP_NEED_MORE;
        }
        if (is_ows(c))
            return fail(p, 400, "obsolete line folding");
        if (!is_tchar(c))
            return fail(p, 400, c == '\n' ? "bare LF" : "malformed field name");
        if (++p->req.nfields > TS_HTTP_MAX_FIELDS)
            return fail(p, 431, "too many header fields");
        p->len = 0;
        p->state = S_NAME;
        /* fall through */
    case S_NAME:
        if (c == ':') {
            p->name[p->len > TS_HTTP_MAX_NAME ? 0 : p->len] = '\0';
            p->field = (int)classify_field(p);
            p->len = 0;
            p->value_overflow = false;
            p->state = S_VALUE_OWS;
            return TS_HTTP_NEED_MORE;
        }
        if (!is_tchar(c))
            return fail(p, 400, is_ows(c) ? "whitespace before colon" : "malformed field name");
        if (p->len < TS_HTTP_MAX_NAME)
            p->name[p->len] = (char)c;
        if (p->len <= TS_HTTP_MAX_NAME)
            p->len++;
        return TS_HTTP_NEED_MORE;
    case S_VALUE_OWS:
        if (is_ows(c))
            return TS_HTTP_NEED_MORE;
        p->state = S_VALUE;
        /* fall through */
    case S_VALUE:
        if (c == '\r') {
            p->state = S_FIELD_LF;
            return end_of_field(p, flags);
        }
        if (!is_value_char(c))
            return fail(p, 400, c == '\n' ? "bare LF" : "control character in field value");
        if (p->len == TS_HTTP_MAX_VALUE)
            p->value_overflow = true;
        else
            p->value[p->len++] = (char)c;
        return TS_HTTP_NEED_MORE;
    case S_FIELD_LF:
        if (c != '\n')
            return fail(p, 400, "bare CR");
        p->state = S_FIELD_START;
        return TS_HTTP_NEED_MORE;
    case S_END_LF:
        if (c != '\n')
            return fail(p, 400, "bare CR");
        return end_of_headers(p, *flags);
    default:
        return fail(p, 500, "parser state");
    }
}

enum ts_http_parse_result ts_http_parse(struct ts_http_parser *p, const void *buf, size_t len,
                                        size_t *used)
{
    const uint8_t *b = buf;
    size_t i = 0;
    enum ts_http_parse_result res = TS_HTTP_NEED_MORE;
    if (p->state == S_DONE || p->state == S_ERROR) {
        *used = 0;
        return p->state == S_DONE ? TS_HTTP_COMPLETE : TS_HTTP_ERROR;
    }
    while (i < len && res == TS_HTTP_NEED_MORE) {
        uint8_t c = b[i++];
        p->started++;
        if (c == '\0')
            res = fail(p, 400, "NUL byte");
        else if (p->state < S_FIELD_START)
            res = request_line_byte(p, c);
        else
            res = field_byte(p, c, &p->flags);
    }
    *used = i;
    return res;
}
