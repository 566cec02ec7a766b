/*
 * tapstack: the socket API for applications that run on the stack (HTTP, FTP, echo, fetch ...).
 *
 * Non-blocking and event-driven. Every call returns at once; a negative return is -TS_E*.
 * A socket's callback runs from ts_stack_dispatch(), never from inside frame processing, so a
 * callback may call any function here. After ts_tcp_close/ts_udp_close the handle is gone: the
 * core finishes the connection (FIN, TIME_WAIT ...) on its own and frees it.
 */
#ifndef TAPSTACK_SOCKET_H
#define TAPSTACK_SOCKET_H

#include "tapstack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ts_err {
    TS_OK = 0,
    TS_EAGAIN = 1,      /* nothing to read / no room to write now; wait for the event */
    TS_EINVAL,          /* bad argument or wrong state for the call */
    TS_ENOMEM,          /* a bound was reached (connections, buffers) */
    TS_EADDRINUSE,      /* the port (or socket pair) is taken */
    TS_EADDRNOTAVAIL,   /* no ephemeral port left in the range for that destination */
    TS_ECONNREFUSED,    /* the peer answered RST to our SYN, or ICMP port unreachable */
    TS_ECONNRESET,      /* the peer reset an established connection */
    TS_ETIMEDOUT,       /* retransmissions (or keepalives) ran out */
    TS_ENOTCONN,        /* not connected */
    TS_EPIPE,           /* sending after shutdown */
    TS_EMSGSIZE,        /* datagram too large */
    TS_EHOSTUNREACH,    /* no route, or ARP got no answer */
    TS_ECONNABORTED,    /* aborted locally */
};

/* Short English text for an error code (positive or negative). */
const char *ts_strerror(int err);

/* RFC 9293 connection states, in the RFC's order. */
enum ts_tcp_state {
    TS_TCP_CLOSED = 0,
    TS_TCP_LISTEN,
    TS_TCP_SYN_SENT,
    TS_TCP_SYN_RECEIVED,
    TS_TCP_ESTABLISHED,
    TS_TCP_FIN_WAIT_1,
    TS_TCP_FIN_WAIT_2,
    TS_TCP_CLOSE_WAIT,
    TS_TCP_CLOSING,
    TS_TCP_LAST_ACK,
    TS_TCP_TIME_WAIT,
};

/* "ESTABLISHED", "TIME_WAIT" ... as netstat prints them. */
const char *ts_tcp_state_name(enum ts_tcp_state st);

/* Events, as a bit mask passed to the callback. */
enum {
    TS_EV_READABLE  = 1u << 0,  /* data to read, EOF (recv returns 0), or a connection to accept */
    TS_EV_WRITABLE  = 1u << 1,  /* send space opened */
    TS_EV_CONNECTED = 1u << 2,  /* active open completed */
    TS_EV_ERROR     = 1u << 3,  /* connection failed or was reset: ts_sock_error() says why */
    TS_EV_CLOSED    = 1u << 4,  /* the connection is fully closed; the handle is still valid until closed */
};

struct ts_sock;
typedef void (*ts_sock_cb)(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);

/* ---- common ---- */

/* Replace a socket's callback and its argument. */
void ts_sock_set_callback(struct ts_sock *sock, ts_sock_cb cb, void *arg);

/* The socket pair (host order); remote is 0:0 for an unconnected socket. Any pointer may be NULL. */
void ts_sock_name(const struct ts_sock *sock, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
                  uint16_t *rport);

/* The error that ended the connection (TS_ECONNRESET ...), or 0. */
int ts_sock_error(const struct ts_sock *sock);

/* 6 for TCP, 17 for UDP. */
int ts_sock_proto(const struct ts_sock *sock);

/* ---- TCP ---- */

/* Open a listening socket on laddr:lport (laddr 0 = any of ours). backlog bounds both the SYN
 * queue and the accept queue (1..4096). Errors: TS_EADDRINUSE, TS_EINVAL, TS_ENOMEM. */
int ts_tcp_listen(struct ts_stack *s, uint32_t laddr, uint16_t lport, unsigned backlog,
                  ts_sock_cb cb, void *arg, struct ts_sock **out);

/* Take the next established connection from a listener's accept queue, or NULL if none.
 * The new socket gets callback cb/arg. */
struct ts_sock *ts_tcp_accept(struct ts_sock *listener, ts_sock_cb cb, void *arg);

/* Active open to raddr:rport. lport 0 takes an ephemeral port (RFC 6056). Completion is
 * signalled by TS_EV_CONNECTED or TS_EV_ERROR. Errors now: TS_EADDRINUSE, TS_EADDRNOTAVAIL,
 * TS_ENOMEM, TS_EINVAL. */
int ts_tcp_connect(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport,
                   uint32_t raddr, uint16_t rport, ts_sock_cb cb, void *arg,
                   struct ts_sock **out);

/* Queue up to len bytes for sending; returns the count queued (may be less than len), or
 * -TS_EAGAIN when the send buffer is full, -TS_EPIPE after shutdown, -TS_ENOTCONN ... */
long ts_tcp_send(struct ts_sock *sock, ts_time_t now, const void *buf, size_t len);

/* Zero-copy send: the application writes straight into the send buffer instead of handing
 * ts_tcp_send a copy. ts_tcp_send_buf fills v with where the next bytes go: one piece, or two
 * when the buffer (a ring) wraps, v[0] first; it returns how many (0 when nothing may be written
 * now: ts_tcp_send then says why, -TS_EAGAIN, -TS_EPIPE ...). ts_tcp_send_commit(n) sends the
 * first n bytes written there (v[0] then v[1], n <= their total) as ts_tcp_send would have; it
 * returns n or -error. Nothing else may be called between the two. */
struct ts_iov { void *base; size_t len; };
unsigned ts_tcp_send_buf(struct ts_sock *sock, struct ts_iov v[2]);
long ts_tcp_send_commit(struct ts_sock *sock, ts_time_t now, size_t n);

/* The send buffer's storage, for an application that writes through ts_tcp_send_buf and would
 * rather not write again what is already there (a body made of a repeating pattern): its first
 * byte, its size, and an identity that names this storage and no other, ever (storage allocated
 * anew, grown or given back gets a new one). While the identity stays the same, every byte of the
 * storage holds what the application last wrote there (ts_tcp_send_buf or ts_tcp_send): TCP only
 * reads it. Returns false (st zeroed) when the connection has no storage now. */
struct ts_send_store { const uint8_t *base; size_t cap; uint64_t id; };
bool ts_tcp_send_store(struct ts_sock *sock, struct ts_send_store *st);

/* Read up to len bytes; returns the count, 0 at end of stream (peer's FIN), -TS_EAGAIN when
 * nothing is there yet, or -error once the connection failed. buf NULL: the bytes are consumed
 * without being copied (a discard server). */
long ts_tcp_recv(struct ts_sock *sock, ts_time_t now, void *buf, size_t len);

/* A reader takes in-order bytes straight from an arriving segment instead of their being copied
 * into the receive buffer first (zero-copy receive, in the spirit of the kernel's read actors
 * behind splice). It runs INSIDE frame processing, so it must call nothing of this API; data is
 * valid only during the call. It returns how many of the len bytes it took: those count as read
 * (the window stays open) and still raise TS_EV_READABLE; the rest wait in the receive buffer
 * for ts_tcp_recv, and the reader is called again only once that buffer is empty, so bytes keep
 * their order. Out-of-order data goes through the buffer. fn NULL removes the reader. */
typedef size_t (*ts_tcp_reader)(void *arg, const void *data, size_t len);
int ts_tcp_set_reader(struct ts_sock *sock, ts_tcp_reader fn, void *arg);

/* Like ts_tcp_recv, but the bytes stay in the receive buffer (MSG_PEEK): the next recv or peek
 * returns them again, and the window does not move. */
long ts_tcp_peek(const struct ts_sock *sock, void *buf, size_t len);

/* Bytes that ts_tcp_send would accept now / bytes ts_tcp_recv would return now. */
size_t ts_tcp_send_space(const struct ts_sock *sock);
size_t ts_tcp_recv_avail(const struct ts_sock *sock);
/* Bytes queued but not yet acknowledged by the peer. */
size_t ts_tcp_send_queued(const struct ts_sock *sock);

/* Send FIN once the queued data is out (half close). */
int ts_tcp_shutdown(struct ts_sock *sock, ts_time_t now);

/* Release the handle and close gracefully (FIN after queued data); if received data is unread,
 * reset instead (RFC 9293 §3.10.4 and RFC 2525). */
void ts_tcp_close(struct ts_sock *sock, ts_time_t now);

/* Release the handle and reset the connection at once. */
void ts_tcp_abort(struct ts_sock *sock, ts_time_t now);

/* The connection state. */
enum ts_tcp_state ts_tcp_get_state(const struct ts_sock *sock);

/* Options. Buffer sizes apply before the connection is established (0 keeps the default). */
int ts_tcp_set_nodelay(struct ts_sock *sock, bool on);
int ts_tcp_set_keepalive(struct ts_sock *sock, bool on, ts_time_t idle, ts_time_t interval,
                         unsigned count);
int ts_tcp_set_buffers(struct ts_sock *sock, size_t sndbuf, size_t rcvbuf);

/* The congestion controller of this connection (or of the connections a listener accepts from
 * now on): "cubic" (RFC 9438 with HyStart++, the default), "newreno" (RFC 5681) or "bbr" (BBR v1,
 * draft-cardwell-iccrg-bbr-congestion-control; needs SACK). Any time; an
 * open connection keeps its cwnd and ssthresh and the new controller goes on from them.
 * Errors: TS_EINVAL for a name not in ts_tcp_cc_names(). */
int ts_tcp_set_cc(struct ts_sock *sock, const char *name);
/* The name of the connection's congestion controller. */
const char *ts_tcp_get_cc(const struct ts_sock *sock);
/* Is name a congestion controller this stack has? ts_tcp_cc_names(): "cubic, newreno, bbr". */
bool ts_tcp_cc_known(const char *name);
const char *ts_tcp_cc_names(void);
/* The send and receive buffer sizes now (either pointer may be NULL). */
void ts_tcp_get_buffers(const struct ts_sock *sock, size_t *sndbuf, size_t *rcvbuf);

/* ---- UDP ---- */

/* Bind a UDP socket to laddr:lport (laddr 0 = any; lport 0 = an ephemeral port). */
int ts_udp_open(struct ts_stack *s, uint32_t laddr, uint16_t lport, ts_sock_cb cb, void *arg,
                struct ts_sock **out);

/* Fix the remote half of the socket pair: only datagrams from raddr:rport are delivered, and
 * ICMP port unreachable for them is reported as TS_ECONNREFUSED. */
int ts_udp_connect(struct ts_sock *sock, uint32_t raddr, uint16_t rport);

/* Send one datagram (0..65507 bytes) to raddr:rport (0:0 = the connected peer). Returns len,
 * or -TS_EMSGSIZE, -TS_ENOMEM (queue full), -TS_ENOTCONN, -TS_ECONNREFUSED (a pending error). */
long ts_udp_sendto(struct ts_sock *sock, ts_time_t now, uint32_t raddr, uint16_t rport,
                   const void *buf, size_t len);

/* Take the next datagram: copies up to cap bytes, returns the datagram's full length (a
 * longer one is truncated), sets the sender. -TS_EAGAIN if none, -TS_ECONNREFUSED if an ICMP
 * error arrived for a connected socket. */
long ts_udp_recvfrom(struct ts_sock *sock, void *buf, size_t cap, uint32_t *raddr,
                     uint16_t *rport);

/* Release a UDP socket. */
void ts_udp_close(struct ts_sock *sock);

#ifdef __cplusplus
}
#endif
#endif
