/*
 * UDP (RFC 768): internal view for netstat and tests. The application API is in
 * include/tapstack/socket.h (ts_udp_open/connect/sendto/recvfrom/close).
 */
#ifndef TS_UDP_UDP_H
#define TS_UDP_UDP_H

#include <stddef.h>
#include <stdint.h>

struct ts_stack;
struct ts_sock;

#define TS_UDP_HLEN 8
#define TS_UDP_MAX_PAYLOAD 65507u       /* 65535 - 20 (IPv4) - 8 (UDP) */
#define TS_UDP_RCVQ_BYTES (256u * 1024u)  /* per-socket receive queue: payload bytes ... */
#define TS_UDP_RCVQ_COUNT 1024u           /* ... and datagrams */
#define TS_UDP_MEM_CAP (16u * 1024u * 1024u) /* all receive queues together, bytes */
#define TS_UDP_MAX_SOCKETS 4096u          /* UDP sockets open at once, per stack */

/* What a UDP socket's receive queue holds now. Either pointer may be NULL. */
void ts_udp_queue_info(const struct ts_sock *sock, size_t *bytes, unsigned *count);

/* Change one socket's receive queue bounds (0 keeps the current value). For tests and tuning;
 * datagrams already queued stay. */
void ts_udp_set_rcvq(struct ts_sock *sock, size_t max_bytes, unsigned max_count);

/* Number of UDP sockets open. */
unsigned ts_udp_socket_count(const struct ts_stack *s);

#endif
