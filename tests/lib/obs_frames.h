/*
 * Test helper: build complete Ethernet frames (IPv4 header and transport checksums valid) for
 * the observability tests (trace, pcap, replay). The MAC of address a.b.c.d is 02:00:a:b:c:d
 * (obsf_mac); an ARP request goes to the broadcast address.
 */
#ifndef TESTS_LIB_OBS_FRAMES_H
#define TESTS_LIB_OBS_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define OBSF_FIN 0x01
#define OBSF_SYN 0x02
#define OBSF_RST 0x04
#define OBSF_PSH 0x08
#define OBSF_ACK 0x10

/* The MAC the builders use for ip: 02:00 followed by the address bytes. */
void obsf_mac(uint32_t ip, uint8_t mac[6]);

/* TCP segment with options opts (optlen a multiple of 4) and payload bytes of 'x' (or data). */
size_t obsf_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen,
                const uint8_t *data, size_t payload);

/* UDP datagram with payload bytes of data (or 'u'). */
size_t obsf_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                const uint8_t *data, size_t payload);

/* ICMP echo (type 8 request, 0 reply) with payload bytes. */
size_t obsf_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint16_t id, uint16_t seq,
                      size_t payload);

/* ARP request (oper 1) or reply (oper 2), broadcast destination for a request. */
size_t obsf_arp(uint8_t *buf, uint16_t oper, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                uint32_t tpa);

/* a.b.c.d in host order */
#define OBSF_IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#endif
