/*
 * What each protocol module gives the stack: init/free, input, timers.
 * stack.c calls these; each module owns its state struct behind the pointer in struct ts_stack.
 */
#ifndef TS_CORE_MODULES_H
#define TS_CORE_MODULES_H

#include "core/stack_impl.h"
#include "net/ipv4.h"

/* ARP (net/arp.c) */
int ts_arp_init(struct ts_stack *s);
void ts_arp_free(struct ts_stack *s);
void ts_arp_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len);
/* Queue f (a complete frame but for its destination MAC) for next hop nh: sent now if resolved,
 * else parked and a request sent (rate limited). Consumes f. Returns 0 or -TS_ENOMEM. */
int ts_arp_output(struct ts_stack *s, ts_time_t now, struct ts_frame *f, uint32_t nh);
ts_time_t ts_arp_poll_at(const struct ts_stack *s);
void ts_arp_poll(struct ts_stack *s, ts_time_t now);

/* ICMP (net/icmp.c) */
void ts_icmp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                   const uint8_t *msg, size_t len);
/* Send destination unreachable (type 3) with code about the datagram whose header is ip and
 * whose payload starts at l4 (len bytes): never for broadcast or ICMP errors; rate limited. */
void ts_icmp_send_unreach(struct ts_stack *s, ts_time_t now, uint8_t code,
                          const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len);
/* ICMP Time Exceeded (type 11) with code (1: fragment reassembly time exceeded, RFC 792) about
 * the datagram of header ip->hdr whose first bytes are l4[0..len). Same rules as unreachable. */
void ts_icmp_send_time_exceeded(struct ts_stack *s, ts_time_t now, uint8_t code,
                                const struct ts_ipv4_info *ip, const uint8_t *l4, size_t len);

/* IPv4 reassembly (net/ip_frag.c) */
int ts_frag_init(struct ts_stack *s);
void ts_frag_free(struct ts_stack *s);
/* One fragment (MF set or offset non-zero): the whole packet pkt/len, header already valid. */
void ts_frag_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len);
ts_time_t ts_frag_poll_at(const struct ts_stack *s);
void ts_frag_poll(struct ts_stack *s, ts_time_t now);

/* UDP (udp/udp.c) */
int ts_udp_init(struct ts_stack *s);
void ts_udp_free(struct ts_stack *s);
void ts_udp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len);
/* An ICMP error (type, code) quoting a datagram we sent (orig: its IP header + >= 8 bytes). */
void ts_udp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code,
                       const uint8_t *orig, size_t len);

/* TCP (tcp/) */
int ts_tcp_init(struct ts_stack *s);
void ts_tcp_free(struct ts_stack *s);
/* Reset every connection a peer may still wait on (ts_stack_shutdown). */
void ts_tcp_reset_all(struct ts_stack *s, ts_time_t now);
/* TCBs, the bytes of their control blocks and of their rings' storage. */
void ts_tcp_memory(const struct ts_stack *s, unsigned *n, size_t *tcbs, size_t *buffers);
unsigned ts_tcp_orphans(const struct ts_stack *s);   /* tcp_orphan.c */
/* Spare ring storage kept for the next ring that needs some (tcp_ring_spare.c), in bytes. */
size_t ts_tcp_spare_memory(const struct ts_stack *s);
/* Free the spare ring storage (tcp_ring_spare.c); returns the bytes freed. */
size_t ts_tcp_spare_shrink(struct ts_stack *s);
/* TIME_WAIT records (tcp_tw.c) and their bytes. */
void ts_tcp_tw_memory(const struct ts_stack *s, unsigned *n, size_t *bytes);
void ts_tcp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len);
void ts_tcp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code, uint16_t mtu,
                       const uint8_t *orig, size_t len);
ts_time_t ts_tcp_poll_at(const struct ts_stack *s);
void ts_tcp_poll(struct ts_stack *s, ts_time_t now);
/* Frames were freed: let connections that stopped for lack of frames send again. */
void ts_tcp_output_resume(struct ts_stack *s, ts_time_t now);
/* Some connection waits for ts_tcp_output_resume (after a full drain: it wanted a frame). */
bool ts_tcp_output_blocked(const struct ts_stack *s);

#endif
