/*
 * The client side: fetch http:// and ftp:// URLs over the stack's socket API, all at once, each
 * transfer on its own connection (and so its own ephemeral source port, RFC 6056).
 *
 *   URL text --> ts_fetch_url_parse --> ts_fetch_add (connects at once) --> socket events -->
 *   body bytes to the transfer's sink --> done callback with a ts_fetch_result per transfer.
 *
 * HTTP/1.1 (RFC 9112): one GET with Host and Connection: close; the body ends at Content-Length,
 * at the end of a chunked body, or at EOF. FTP (RFC 959, RFC 2428): USER, PASS, TYPE I, then EPSV
 * (PASV when EPSV is refused) or, in active mode, PORT to a port we listen on; RETR; QUIT.
 * No DNS: a URL names its host by IPv4 address. No I/O here besides the sink the caller gives.
 */
#ifndef TS_APPS_FETCH_H
#define TS_APPS_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapstack/app.h"
#include "tapstack/socket.h"

#define TS_FETCH_PATH_MAX 1024
#define TS_FETCH_NAME_MAX 256

enum ts_fetch_scheme { TS_FETCH_HTTP = 0, TS_FETCH_FTP };

/* A parsed URL: scheme://[user[:pass]@]a.b.c.d[:port][/path]. */
struct ts_fetch_url {
    enum ts_fetch_scheme scheme;
    uint32_t addr;                   /* host order */
    uint16_t port;                   /* 80 or 21 unless given */
    char path[TS_FETCH_PATH_MAX];    /* as written, from '/' (query kept for HTTP); "/" if none */
    char user[64], pass[64];         /* FTP login; "" means anonymous */
    char name[TS_FETCH_NAME_MAX];    /* last path segment, %-decoded, safe as a file name;
                                        "index.html" when the path ends in '/' */
};

/* Parse text into *u. Returns 0, or -1 with a message in err (no DNS: a host name is refused
 * with a hint to write the address). */
int ts_fetch_url_parse(const char *text, struct ts_fetch_url *u, char *err, size_t errlen);

/* Where a transfer's body goes: write() takes every byte in order and returns 0, or a negative
 * errno (the transfer then fails with that reason). NULL write discards (bytes still count). */
struct ts_fetch_sink {
    int (*write)(void *arg, const void *data, size_t len);
    void *arg;
};

/* What one transfer did. The socket pair is the (control) connection's, host order. */
struct ts_fetch_result {
    unsigned index;                  /* 0, 1 ... in the order of ts_fetch_add */
    const char *url;                 /* the text given to ts_fetch_add */
    enum ts_fetch_scheme scheme;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    bool has_data;                   /* FTP: the data connection's pair below */
    bool data_active;                /* it was opened by the server (PORT): data_r* is the server */
    uint32_t data_laddr, data_raddr;
    uint16_t data_lport, data_rport;
    uint64_t bytes;                  /* body bytes received */
    int status;                      /* last HTTP status or FTP reply code seen, 0 if none */
    ts_time_t started, ended;        /* connect issued; body complete (or failure) */
    bool ok;
    char why[200];                   /* when !ok: "connection refused", "HTTP 404 Not Found" ... */
};

struct ts_fetch_opts {
    bool active;                     /* FTP: PORT mode instead of EPSV/PASV */
    ts_time_t timeout;               /* a transfer with no progress for this long fails; 0 = 30 s */
    ts_time_t linger;                /* after the body: wait this long for clean closes; 0 = 2 s */
    const char *ftp_password;        /* anonymous password; NULL = "tapstack@" */
    /* Called once per transfer when it ends (ok or not), from a socket callback or poll. */
    void (*done)(void *arg, const struct ts_fetch_result *r);
    void *done_arg;
};

struct ts_fetch;

/* A client on stack s. Returns NULL when out of memory. */
struct ts_fetch *ts_fetch_new(struct ts_stack *s, const struct ts_fetch_opts *o);

/* Start one transfer now: connect to the URL's server from an ephemeral port. url_text is kept
 * (by pointer) for the result. Returns the transfer's index (0, 1, ...), or a negative TS_E*
 * when the connection cannot even be started (the transfer is then already reported done, with
 * the reason). */
int ts_fetch_add(struct ts_fetch *f, ts_time_t now, const char *url_text, const struct ts_fetch_url *u,
                 const struct ts_fetch_sink *sink);

/* Transfers added, and those not yet done. */
unsigned ts_fetch_count(const struct ts_fetch *f);
unsigned ts_fetch_pending(const struct ts_fetch *f);

/* Transfer i's result (final once it is done). */
const struct ts_fetch_result *ts_fetch_result(const struct ts_fetch *f, unsigned i);

/* The driver's view: name "fetch", poll_at/poll run the timeouts, stop aborts what is still
 * running and frees f (do not call ts_fetch_free after it). */
void ts_fetch_app(struct ts_fetch *f, struct ts_app *out);

/* Abort what is still running (reported as failed, "stopped") and free everything. Safe on NULL. */
void ts_fetch_free(struct ts_fetch *f, ts_time_t now);

/* "12.3 MB/s" style rate of bytes over dt into buf; returns buf. */
char *ts_fetch_fmt_rate(uint64_t bytes, ts_time_t dt, char *buf, size_t cap);

#endif
