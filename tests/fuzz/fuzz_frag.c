/*
 * Fuzz target: IPv4 fragment reassembly. The input is a list of fragments:
 *   flags(1) id(1) offset(2) len(2) data
 * flags bit 0 = more fragments, bit 1 = ICMP instead of UDP, bits 2-3 = clock step (0, 1 ms, 1 s,
 * 40 s: past the reassembly timeout). Headers and checksums are made right, so every fragment
 * reaches the reassembler; the fuzzer controls offsets, lengths, overlap, order and timing.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "wire/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = malloc(sizeof *z);
    fz_init(z);
    static const ts_time_t steps[4] = { 0, TS_MS(1), TS_SEC(1), TS_SEC(40) };
    size_t i = 0;
    for (int k = 0; k < 2048 && i + 6 <= size; k++) {
        uint8_t fl = data[i], id = data[i + 1];
        uint16_t off = ts_get16(data + i + 2) & 0x1fff;
        size_t len = ts_get16(data + i + 4) % 1481;
        i += 6;
        if (len > size - i) len = size - i;
        uint16_t frag = (uint16_t)(off | ((fl & 1) ? 0x2000 : 0));
        size_t n = fz_ip(z, (fl & 2) ? 1 : 17, id, frag, data + i, len);
        i += len;
        fz_deliver(z, z->frame, n);
        if (steps[(fl >> 2) & 3]) fz_advance(z, steps[(fl >> 2) & 3]);
    }
    fz_advance(z, TS_SEC(60));
    fz_fini(z);
    free(z);
    return 0;
}
