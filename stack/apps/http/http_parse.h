/*
 * tapstack apps: an incremental HTTP/1.x request parser (RFC 9112 §2-§7, RFC 9110 field rules).
 *
 * Pure: no I/O, no allocation. Bytes may arrive in any split (one byte at a time parses the same
 * as the whole request). Every buffer is bounded; a request that exceeds a bound is refused with
 * the status the RFCs name for it. The parser stops at the end of the header section: a request
 * body (Content-Length > 0 or chunked) is reported in has_body and left unread, and the server
 * closes the connection after answering such a request.
 *
 * Request syntax accepted (RFC 9112 §3, §5):
 *
 *     *( CRLF )                               up to 8 empty lines before the request line
 *     method SP request-target SP HTTP-version CRLF
 *     *( field-name ":" OWS field-value OWS CRLF )
 *     CRLF
 *
 * FIELD           LIMIT              WHEN EXCEEDED / MALFORMED
 * method          32 tchar           501 (too long or unknown), 400 (not a token)
 * request-target  8192 VCHAR         414 (too long), 400 (CTL, SP doubled, obs-text)
 * HTTP-version    "HTTP/" DIGIT "." DIGIT   400 (malformed), 505 (major != 1)
 * line ends       CRLF               400 (bare LF, bare CR)
 * header section  16384 bytes, 100 fields   431
 * field line      token ":" value    400 (no colon, space before colon, obs-fold, CTL or NUL)
 * Host            exactly one in 1.1 400 (missing or duplicate)
 * Content-Length  1*DIGIT, all equal 400 (bad digits, differing values, with Transfer-Encoding)
 * Transfer-Enc.   ends with chunked  400 (chunked not last, in HTTP/1.0), 501 (other codings)
 * method served   GET, HEAD          405 (known method, not served), 501 (unknown)
 */
#ifndef TS_APPS_HTTP_PARSE_H
#define TS_APPS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_HTTP_MAX_METHOD 32
#define TS_HTTP_MAX_TARGET 8192
#define TS_HTTP_MAX_HEADER_BYTES 16384
#define TS_HTTP_MAX_FIELDS 100
#define TS_HTTP_MAX_VALUE 255      /* longest kept value of a field the server uses */
#define TS_HTTP_MAX_NAME 32        /* longest field name the parser keeps for matching */
#define TS_HTTP_MAX_EMPTY_LINES 8  /* CRLFs tolerated before a request line (RFC 9112 §2.2) */

enum ts_http_method {
    TS_HTTP_GET = 0,
    TS_HTTP_HEAD,
    TS_HTTP_POST,
    TS_HTTP_PUT,
    TS_HTTP_DELETE,
    TS_HTTP_CONNECT,
    TS_HTTP_OPTIONS,
    TS_HTTP_TRACE,
    TS_HTTP_PATCH,
    TS_HTTP_OTHER,        /* a valid token the server does not know */
};

/* What the parser kept of one request. Strings are NUL-terminated. */
struct ts_http_request {
    enum ts_http_method method;
    char method_text[TS_HTTP_MAX_METHOD + 1];
    char target[TS_HTTP_MAX_TARGET + 1];
    size_t target_len;
    uint8_t version_major, version_minor;   /* 1.0 or 1.1 (1.x with x > 1 is reported as 1.1) */
    bool keep_alive;                         /* after Connection and version defaults */
    bool has_body;                           /* Content-Length > 0 or chunked */
    bool has_host;
    bool has_content_length;
    bool chunked;
    uint64_t content_length;
    unsigned nfields;
    char host[TS_HTTP_MAX_VALUE + 1];
    char if_modified_since[TS_HTTP_MAX_VALUE + 1];   /* "" when absent or too long */
    char range[TS_HTTP_MAX_VALUE + 1];               /* "" when absent or too long */
    char if_range[TS_HTTP_MAX_VALUE + 1];            /* "" when absent */
    bool has_if_range;
};

enum ts_http_parse_result {
    TS_HTTP_NEED_MORE = 0,   /* every byte given was used; feed more */
    TS_HTTP_COMPLETE = 1,    /* a request is in p->req; *used says where the next one starts */
    TS_HTTP_ERROR = -1,      /* p->status holds the 4xx/5xx answer; the connection must close */
};

struct ts_http_parser {
    int state;                 /* internal (enum in http_parse.c) */
    int status;                /* after TS_HTTP_ERROR: 400, 405, 414, 431, 501, 505 */
    const char *reason;        /* after TS_HTTP_ERROR: short English text for logs and tests */
    size_t started;            /* bytes of the current request seen (0 = idle between requests) */
    unsigned empty_lines;
    size_t header_bytes;
    size_t len;                /* bytes in the current token (method, name, value) */
    int field;                 /* which known field the current line is (internal) */
    unsigned flags;            /* facts from fields needed at the end of the header section */
    bool value_overflow;
    bool cl_seen;
    char name[TS_HTTP_MAX_NAME + 1];
    char value[TS_HTTP_MAX_VALUE + 1];
    struct ts_http_request req;
};

/* Prepare p for the first request (also used between requests by ts_http_parse itself). */
void ts_http_parser_init(struct ts_http_parser *p);

/* Feed len bytes. Sets *used to how many were consumed: all of them for NEED_MORE, up to and
 * including the blank line ending the header section for COMPLETE (the rest belongs to the next
 * request: call ts_http_parser_init and feed it again), and up to the offending byte for ERROR.
 * After COMPLETE or ERROR, further calls return the same result and consume nothing until
 * ts_http_parser_init. */
enum ts_http_parse_result ts_http_parse(struct ts_http_parser *p, const void *buf, size_t len,
                                        size_t *used);

/* True while a request has begun but is not complete (for the 408 timeout). */
bool ts_http_parser_in_request(const struct ts_http_parser *p);

/* "GET", "HEAD" ... for a method. */
const char *ts_http_method_name(enum ts_http_method m);

/* The reason phrase for a status code ("Not Found"), "Unknown" for codes it does not know. */
const char *ts_http_reason(int status);

#endif
