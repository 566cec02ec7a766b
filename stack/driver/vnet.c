/* The virtio-net header (see vnet.h). */
#include <string.h>
#include <linux/virtio_net.h>

#include "driver/vnet.h"

_Static_assert(sizeof(struct virtio_net_hdr) == TS_VNET_HLEN, "virtio_net_hdr is 10 bytes");

int ts_vnet_to_info(const uint8_t *hdr, const uint8_t *frame, size_t len, struct ts_frame_info *info)
{
    struct virtio_net_hdr h;
    memcpy(&h, hdr, sizeof h);
    memset(info, 0, sizeof *info);
    (void)frame;
    if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if ((size_t)h.csum_start + h.csum_offset + 2 > len) return -1;
        info->flags |= TS_FRAME_CSUM_PARTIAL;
        info->csum_start = h.csum_start;
        info->csum_offset = h.csum_offset;
    }
    if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) info->flags |= TS_FRAME_CSUM_VALID;
    switch (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_NONE: break;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        info->flags |= TS_FRAME_GSO_TCP;
        info->gso_size = h.gso_size;
        break;
    default: return -1;
    }
    return 0;
}

/* Bytes of Ethernet + IPv4 + TCP headers at the front of frame, or 0 if it is not that. */
static uint16_t tcp_headers_len(const uint8_t *frame, size_t len)
{
    if (len < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00) return 0;
    size_t ihl = (size_t)(frame[14] & 15) * 4;
    if (ihl < 20 || len < 14 + ihl + 20) return 0;
    size_t doff = (size_t)(frame[14 + ihl + 12] >> 4) * 4;
    if (doff < 20 || 14 + ihl + doff > len) return 0;
    return (uint16_t)(14 + ihl + doff);
}

void ts_vnet_from_info(uint8_t *hdr, const struct ts_frame_info *info, const uint8_t *frame, size_t len)
{
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    if (info && (info->flags & TS_FRAME_CSUM_PARTIAL)) {
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = info->csum_start;
        h.csum_offset = info->csum_offset;
    }
    if (info && (info->flags & TS_FRAME_GSO_TCP)) {
        h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
        h.gso_size = info->gso_size;
        h.hdr_len = tcp_headers_len(frame, len);
    }
    memcpy(hdr, &h, sizeof h);
}
