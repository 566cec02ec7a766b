/*
 * tapstack apps: the HTTP server's internal types, shared by http_server.c (connections, sending,
 * timers, logging) and http_handler.c (from a parsed request to a response).
 */
#ifndef TS_APPS_HTTP_INTERNAL_H
#define TS_APPS_HTTP_INTERNAL_H

#include "apps/conn_guard.h"
#include "apps/fs_root.h"
#include "apps/http/http_parse.h"
#include "apps/http/http_path.h"
#include "apps/http/http_server.h"
#include "tapstack/socket.h"

#define HTTP_MAX_ROUTES 32
#define HTTP_SCRATCH (64u * 1024)
#define HTTP_INBUF 4096
#define HTTP_HEAD_MAX 2048
#define HTTP_LINGER TS_SEC(5)
#define HTTP_BYTES_MAX (1ull << 40)    /* /bytes/N up to 1 TiB */

struct http_route {
    char path[128];
    char title[96];
    ts_http_route_fn fn;
    void *arg;
};

enum http_src {
    SRC_NONE = 0,
    SRC_FILE,      /* pread from fd */
    SRC_MEM,       /* a malloc'ed buffer */
    SRC_GEN,       /* the /bytes/N pattern */
};

/* One response on its way out: head first, then body bytes [off, off + left) of the source. */
struct http_resp {
    int status;
    char head[HTTP_HEAD_MAX];
    size_t head_len, head_sent;
    enum http_src src;
    int fd;
    char *mem;
    uint64_t off, left;
    uint64_t body_sent;
    bool close;           /* close the connection after this response */
};

/* The connection's class in the server's guard (conn_guard.h): its timeout and eviction rank. */
enum http_class {
    HC_FIRST = 0,  /* accepted or kept alive, no byte of a request yet: first_byte_timeout, evicted first */
    HC_REQUEST,    /* a request is arriving: request_timeout from its first byte (then 408), evicted last */
    HC_IDLE,       /* kept alive after a response: idle_timeout, evicted after HC_FIRST */
    HC_SEND,       /* a response is being sent: send_timeout since the last progress, never evicted */
    HC_LINGER,     /* FIN sent, draining: HTTP_LINGER, evicted first */
    HC_CLASSES,
};

enum http_conn_state {
    C_READ = 0,    /* waiting for (the rest of) a request */
    C_SEND,        /* sending a response */
    C_LINGER,      /* FIN sent; reading and discarding until the peer closes */
};

/* Which bytes of a connection's send-buffer storage (ts_tcp_send_store) hold the /bytes pattern
 * as the application last wrote it: storage index i, for i in [start, start + len) around the
 * storage, holds pattern byte (i + phase) % 64. A download of /bytes/N writes the same bytes at
 * the same places on every lap of the ring (its size a multiple of 64), so they need writing once. */
struct http_gen_held {
    uint64_t id;                   /* the storage's identity; 0: nothing held */
    uint32_t start, len;
    uint8_t phase;
};

struct http_conn {
    struct ts_http_server *srv;
    struct ts_sock *sock;
    struct http_conn *prev, *next;
    enum http_conn_state st;
    struct ts_guard_node node;     /* class and timer in srv->guard */
    ts_time_t request_start;
    unsigned requests;             /* answered on this connection */
    uint32_t raddr, laddr;
    uint16_t rport, lport;
    char logreq[300];              /* "GET /x HTTP/1.1" as logged, escaped */
    struct http_resp resp;
    struct http_gen_held gen;      /* the /bytes pattern already in the send buffer (conn_gen_fill) */
    size_t in_off, in_len;
    uint8_t in[HTTP_INBUF];
    struct ts_http_parser parser;
};

struct ts_http_server {
    struct ts_stack *stack;
    struct ts_sock *listener;
    struct ts_http_opts opts;
    struct ts_fs_root root;        /* the served directory; root.fd is -1 without one */
    struct http_conn *conns;
    struct ts_guard guard;         /* admission, timeouts, eviction */
    unsigned nroutes;
    struct http_route routes[HTTP_MAX_ROUTES];
    struct ts_http_server_stats stats;
    uint8_t scratch[HTTP_SCRATCH];
};

/* http_handler.c: fill c->resp for the complete request c->parser.req (never fails: errors
 * become 4xx/5xx responses). */
void http_handle_request(struct ts_http_server *srv, struct http_conn *c, ts_time_t now);

/* http_handler.c: fill c->resp with an error response (short text body, Connection: close). */
void http_error_response(struct ts_http_server *srv, struct http_conn *c, int status, bool head);

/* http_handler.c: release what c->resp holds (fd, memory) and clear it. */
void http_resp_release(struct http_resp *r);

/* http_handler.c: the /bytes/N pattern for offset off, len bytes, into buf. */
void http_gen_fill(uint8_t *buf, uint64_t off, size_t len);

#endif
