/*
 * The TAP's virtio-net header (IFF_VNET_HDR), translated to and from the core's own description
 * of a frame (struct ts_frame_info, stack.h). Only the driver knows virtio.
 *
 * struct virtio_net_hdr, 10 bytes before each frame, in the host's byte order (legacy TAP):
 *   OFFSET SIZE DESCRIPTION
 *   0      1    flags: 1 NEEDS_CSUM (csum_start/offset valid), 2 DATA_VALID (checksum verified)
 *   1      1    gso_type: 0 none, 1 TCPv4, 3 UDP, 4 TCPv6, 5 UDP_L4; | 0x80 ECN
 *   2      2    hdr_len: bytes of headers (Ethernet + IP + TCP) repeated in each piece
 *   4      2    gso_size: payload bytes per piece
 *   6      2    csum_start: where the checksummed bytes begin, from the frame's first byte
 *   8      2    csum_offset: where the checksum goes, from csum_start
 */
#ifndef TS_DRIVER_VNET_H
#define TS_DRIVER_VNET_H

#include <stddef.h>
#include <stdint.h>
#include "tapstack/stack.h"

#define TS_VNET_HLEN 10u

/* The header at hdr (before a frame of len bytes at frame) as a description. Returns 0, or -1
 * for a frame the core cannot take (a GSO type other than TCPv4: UDP or IPv6). */
int ts_vnet_to_info(const uint8_t *hdr, const uint8_t *frame, size_t len, struct ts_frame_info *info);

/* Write the header for a frame of len bytes at frame, described by info (NULL or flags 0: plain). */
void ts_vnet_from_info(uint8_t *hdr, const struct ts_frame_info *info, const uint8_t *frame, size_t len);

#endif
