/* The Internet checksum, RFC 1071. */
#include "wire/checksum.h"
#include <string.h>

uint32_t ts_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    /* 8 bytes at a time: the carries pile up in the top half and are folded at the end. */
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc += (w & 0xffffffffu) + (w >> 32);
        p += 8;
        len -= 8;
    }
    /* The loads above were host order; bring the sum to network order before mixing in bytes
     * read big-endian below. The ones' complement sum is byte-order independent (RFC 1071
     * §2(B)) as long as it is swapped back once at the end. */
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    uint32_t s = (uint32_t)acc;
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint32_t)(((s & 0xffu) << 8) | ((s >> 8) & 0xffu));
#endif
    uint64_t t = (uint64_t)s + sum;
    while (len >= 2) {
        t += (uint32_t)((p[0] << 8) | p[1]);
        p += 2;
        len -= 2;
    }
    if (len) t += (uint32_t)(p[0] << 8);
    /* keep the result small enough that callers may keep adding to it */
    while (t >> 16) t = (t & 0xffffu) + (t >> 16);
    return (uint32_t)t;
}

uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint32_t s = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
    s += proto;
    s += len;
    return s;
}

uint16_t ts_csum_finish(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
