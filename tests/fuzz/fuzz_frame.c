/*
 * Fuzz target: one frame into a stack that listens on TCP 80 and UDP 7 and has a connection
 * open. The first byte picks how the rest is used:
 *   0 (mod 4): the rest is a raw Ethernet frame;
 *   1: the rest is a TCP header + payload from the peer, to port 80: IPv4 header and checksums fixed;
 *   2: the rest is a UDP payload to port 7 or (second byte odd) a closed port, fixed up;
 *   3: the rest is an IPv4 payload of protocol byte 2, id/fragment fields from bytes 3-6.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct fz *z = malloc(sizeof *z);
    fz_init(z);
    uint8_t mode = data[0] & 3;
    data++;
    size--;
    size_t n = 0;
    if (mode == 0) {
        if (size > sizeof z->frame) size = sizeof z->frame;
        memcpy(z->frame, data, size);
        n = size;
    } else if (mode == 1 && size >= 20) {
        /* keep the fuzzer's TCP header, but fix the checksum so the segment gets in */
        size_t len = size > 1480 ? 1480 : size;
        n = fz_ip(z, 6, 9, 0x4000, data, len);
        uint8_t *t = z->frame + 34;
        ts_put16(t + 16, 0);
        uint32_t sum = ts_csum_pseudo(FZ_PEER_IP, FZ_OUR_IP, 6, (uint16_t)len);
        ts_put16(t + 16, ts_csum_finish(ts_csum_add(sum, t, len)));
    } else if (mode == 2 && size >= 1) {
        n = fz_udp(z, 33333, (data[0] & 1) ? 9999 : FZ_UDP_PORT, data + 1, size - 1);
    } else if (mode == 3 && size >= 5) {
        n = fz_ip(z, data[0], ts_get16(data + 1), ts_get16(data + 3), data + 5, size - 5);
    }
    if (n) fz_deliver(z, z->frame, n);
    fz_advance(z, TS_SEC(2));
    fz_fini(z);
    free(z);
    return 0;
}
