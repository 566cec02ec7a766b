/*
 * Inside the fetch client: one struct fetch_xfer per transfer, shared by fetch.c (lifetime,
 * timeouts, closing), fetch_http.c and fetch_ftp.c (the protocols), and the pure parsers the
 * protocols use (exposed here for the unit tests).
 */
#ifndef TS_APPS_FETCH_INTERNAL_H
#define TS_APPS_FETCH_INTERNAL_H

#include "apps/fetch/fetch.h"
#include "apps/ftp/ftp_parse.h"
#include "apps/line.h"

#define FETCH_HEAD_MAX 8192          /* an HTTP response head longer than this fails the transfer */
#define FETCH_REQ_MAX (TS_FETCH_PATH_MAX + 512)

/* ---- HTTP response head (RFC 9112 §4, §6) ---- */

struct fetch_http_head {
    int status;                      /* 100..599 */
    char reason[64];
    int64_t content_length;          /* -1 when absent */
    bool chunked;                    /* Transfer-Encoding ends in chunked */
    bool other_coding;               /* Transfer-Encoding names something else (unsupported) */
};

/* Look for a complete head ("...\r\n\r\n", a bare "\n\n" also ends it) in buf[0..len).
 * Returns its length (the body starts there), 0 if more bytes are needed, or -1 with a reason in
 * *why when it is malformed (bad status line, two different Content-Lengths ...). */
long fetch_http_parse_head(const char *buf, size_t len, struct fetch_http_head *h, const char **why);

/* ---- chunked transfer coding (RFC 9112 §7.1) ---- */

struct fetch_chunked {
    int state;                       /* where in the framing we are (fetch_http.c) */
    uint64_t left;                   /* bytes left in the current chunk */
    unsigned digits;
    bool done;                       /* the last chunk and trailers were read */
};

/* Decode in[0..len) in place: the body bytes move to the front of in. Returns how many body
 * bytes there are, or -1 on a framing error. Bytes after the end of the body are ignored. */
long fetch_chunked_feed(struct fetch_chunked *c, uint8_t *in, size_t len);

/* ---- FTP replies (RFC 959 §4.2) ---- */

struct fetch_ftp_reply {
    int code;                        /* while in a multi-line reply: its code; else 0 */
    bool in_multi;
    char text[FTP_LINE_MAX + 1];     /* the last line's text after the code */
};

/* Feed one reply line (no CRLF). Returns the code when the line completes a reply, 0 when the
 * reply goes on, -1 when the line is not a reply line where one must be. */
int fetch_ftp_reply_line(struct fetch_ftp_reply *r, const char *line);

/* The port of "229 Entering Extended Passive Mode (|||port|)". */
bool fetch_ftp_parse_229(const char *text, uint16_t *port);

/* The address and port of "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)" (parentheses optional). */
bool fetch_ftp_parse_227(const char *text, uint32_t *addr, uint16_t *port);

/* ---- URLs ---- */

/* %-decode in[0..len) into out (cap bytes, NUL-terminated). A '%' not followed by two hex digits
 * stays as it is. Returns the decoded length, or -1 if it does not fit or decodes to a NUL. */
long fetch_pct_decode(const char *in, size_t len, char *out, size_t cap);

/* ---- a transfer ---- */

enum fetch_stage { FETCH_RUNNING = 0, FETCH_CLOSING, FETCH_DONE };

struct fetch_xfer {
    struct ts_fetch *f;
    struct ts_stack *s;
    unsigned idx;
    struct ts_fetch_url url;
    struct ts_fetch_sink sink;
    struct ts_fetch_result res;
    enum fetch_stage stage;
    ts_time_t deadline;              /* no progress by then: timeout; while closing: give up waiting */
    struct ts_sock *ctl;             /* HTTP: the connection; FTP: the control connection */
    struct ts_sock *data;            /* FTP data connection */
    struct ts_sock *listener;        /* FTP active mode: where the server connects to */
    bool ctl_eof, data_eof;          /* we saw the peer's FIN (and sent ours) */
    int phase;                       /* the protocol's own step */
    /* HTTP */
    char req[FETCH_REQ_MAX];
    size_t req_len, req_off;
    char head[FETCH_HEAD_MAX];
    size_t head_len;
    bool head_done;
    struct fetch_http_head hh;
    struct fetch_chunked ch;
    /* FTP */
    struct ts_line line;
    struct fetch_ftp_reply reply;
    bool got_226;                    /* the transfer-complete reply arrived */
};

/* fetch.c, for the protocols. */
const struct ts_fetch_opts *fetch_opts(const struct fetch_xfer *x);
/* Progress: push the timeout back. */
void fetch_progress(struct fetch_xfer *x, ts_time_t now);
/* Hand body bytes to the sink and count them. Returns 0, or -1 after failing the transfer. */
int fetch_body(struct fetch_xfer *x, ts_time_t now, const void *data, size_t len);
/* End the transfer with a reason (printf-style); aborts its sockets. */
void fetch_fail(struct fetch_xfer *x, ts_time_t now, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The body is complete and good: close the sockets cleanly, then report. */
void fetch_complete(struct fetch_xfer *x, ts_time_t now);
/* A socket event while closing (or on a socket whose job is over): drain, answer FIN, release. */
void fetch_closing_event(struct fetch_xfer *x, struct ts_sock **sp, unsigned events, ts_time_t now);
/* Fail for a socket error, with what we were doing. */
void fetch_sock_failed(struct fetch_xfer *x, struct ts_sock *sock, ts_time_t now, const char *doing);
/* The start of the control connection's callback: an event while closing is handled, one for a
 * transfer that is over or for another socket is ignored, an error fails the transfer (doing:
 * what we were doing). True when the callback goes on with the event. */
bool fetch_ctl_event(struct fetch_xfer *x, struct ts_sock *k, unsigned events, ts_time_t now, const char *doing);

/* fetch_http.c / fetch_ftp.c: start the transfer (connect); 0 or -TS_E*. */
int fetch_http_start(struct fetch_xfer *x, ts_time_t now);
int fetch_ftp_start(struct fetch_xfer *x, ts_time_t now);

#endif
