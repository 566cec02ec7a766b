/*
 * IPv4 input and output (RFC 791, RFC 1122).
 */
#ifndef TS_NET_IPV4_H
#define TS_NET_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "tapstack/stack.h"
#include "core/frame.h"

#define TS_ETH_HLEN 14
#define TS_IPV4_HLEN 20            /* we send no options */
#define TS_L4_OFFSET (TS_ETH_HLEN + TS_IPV4_HLEN)

#define TS_IPPROTO_ICMP 1
#define TS_IPPROTO_TCP 6
#define TS_IPPROTO_UDP 17

/* What transport input learns about the packet that carried its segment. */
struct ts_ipv4_info {
    uint32_t src, dst;          /* host order */
    uint8_t proto, ttl, tos;
    uint16_t id;
    bool to_broadcast;          /* sent to a broadcast address (no ICMP errors, no TCP) */
    const uint8_t *hdr;         /* the IPv4 header as received (for ICMP errors) */
    size_t hdr_len;
};

/* Hand a validated IPv4 packet (header at pkt, total length len, already checked) to the
 * fragment reassembler or the transport. Called by ethernet input. */
void ts_ipv4_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len);

/* Deliver one whole datagram (after reassembly if needed) to ICMP/UDP/TCP. */
void ts_ipv4_deliver(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                     const uint8_t *payload, size_t len);

/* Room for a transport segment in one frame: MTU - 20. */
size_t ts_ipv4_l4_cap(const struct ts_stack *s);

/* A frame with room for an L4 segment at f->data + TS_L4_OFFSET, or NULL if the pool is empty
 * (counted as eth drop_tx_queue_full). */
struct ts_frame *ts_ipv4_frame_alloc(struct ts_stack *s, ts_time_t now);

/* Finish and send a frame whose L4 segment (l4_len <= ts_ipv4_l4_cap) is already written at
 * TS_L4_OFFSET: writes the IPv4 header (ttl 64, DF set for TCP) and the Ethernet header, then
 * queues it or parks it until ARP resolves the next hop. Always consumes f. Returns 0, or
 * -TS_EHOSTUNREACH (no route), -TS_ENOMEM (pending queue full). */
int ts_ipv4_send(struct ts_stack *s, ts_time_t now, struct ts_frame *f, uint8_t proto,
                 uint32_t src, uint32_t dst, size_t l4_len);

/* Send an L4 payload of up to 65515 bytes from a flat buffer, in fragments if it exceeds the
 * MTU (RFC 791 §3.2). Returns 0 or -TS_E*. */
int ts_ipv4_send_buf(struct ts_stack *s, ts_time_t now, uint8_t proto, uint32_t src, uint32_t dst,
                     const uint8_t *l4, size_t l4_len);

/* The next hop for dst: dst itself on-link, else the gateway; 0 if unreachable. */
uint32_t ts_ipv4_next_hop(const struct ts_stack *s, uint32_t dst);

#endif
