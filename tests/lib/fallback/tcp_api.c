/*
 * Weak stand-ins for the TCP socket API (socket.h), linked after libtapstack.a: a test binary
 * takes them only while the TCP module does not define these functions yet. They fail every
 * call, so packet scripts fail (and are listed in tests/scripts/tcp/XFAIL) instead of the whole
 * unit build failing to link. Once stack/tcp defines the API, nothing here is used.
 */
#include "tapstack/socket.h"

#define WEAK __attribute__((weak))

WEAK int ts_tcp_listen(struct ts_stack *s, uint32_t laddr, uint16_t lport, unsigned backlog,
                       ts_sock_cb cb, void *arg, struct ts_sock **out)
{
    return -TS_EINVAL;
}
WEAK struct ts_sock *ts_tcp_accept(struct ts_sock *listener, ts_sock_cb cb, void *arg) { return NULL; }
WEAK int ts_tcp_connect(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport,
                        uint32_t raddr, uint16_t rport, ts_sock_cb cb, void *arg,
                        struct ts_sock **out)
{
    return -TS_EINVAL;
}
WEAK long ts_tcp_send(struct ts_sock *sock, ts_time_t now, const void *buf, size_t len) { return -TS_ENOTCONN; }
WEAK long ts_tcp_recv(struct ts_sock *sock, ts_time_t now, void *buf, size_t len) { return -TS_ENOTCONN; }
WEAK size_t ts_tcp_send_space(const struct ts_sock *sock) { return 0; }
WEAK size_t ts_tcp_recv_avail(const struct ts_sock *sock) { return 0; }
WEAK size_t ts_tcp_send_queued(const struct ts_sock *sock) { return 0; }
WEAK int ts_tcp_shutdown(struct ts_sock *sock, ts_time_t now) { return -TS_ENOTCONN; }
WEAK void ts_tcp_close(struct ts_sock *sock, ts_time_t now) {}
WEAK void ts_tcp_abort(struct ts_sock *sock, ts_time_t now) {}
WEAK enum ts_tcp_state ts_tcp_get_state(const struct ts_sock *sock) { return TS_TCP_CLOSED; }
WEAK const char *ts_tcp_state_name(enum ts_tcp_state st) { return "?"; }
WEAK int ts_tcp_set_nodelay(struct ts_sock *sock, bool on) { return -TS_EINVAL; }
WEAK int ts_tcp_set_keepalive(struct ts_sock *sock, bool on, ts_time_t idle, ts_time_t interval,
                              unsigned count)
{
    return -TS_EINVAL;
}
WEAK int ts_tcp_set_buffers(struct ts_sock *sock, size_t sndbuf, size_t rcvbuf) { return -TS_EINVAL; }
