/*
 * Micro-benchmark of the live per-conversation record (stack/plot/plot_rec.c) that `tapstack up`
 * feeds with every frame: ns per frame for 1, 10 and 60 conversations (all held) and 100 and 1,000
 * (more than the 64 slots: every frame evicts the least recently seen). Prints figures; never
 * asserts a time.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plot/plot_rec.h"
#include "wire/bytes.h"

#define FRAMES 2000000u

/* Ethernet + IPv4 + TCP (ACK, 1448 bytes of data) from 10.0.0.2:80 to 10.0.0.1:port. Checksums are
 * not filled: the record does not check them. */
static size_t frame(uint8_t *f, uint16_t port, uint32_t seq)
{
    memset(f, 0, 14 + 40);
    ts_put16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    ts_put16(ip + 2, 20 + 20 + 1448);
    ip[8] = 64;
    ip[9] = 6;
    ts_put32(ip + 12, 0x0a000002u);
    ts_put32(ip + 16, 0x0a000001u);
    ts_put16(tcp, 80);
    ts_put16(tcp + 2, port);
    ts_put32(tcp + 4, seq);
    ts_put32(tcp + 8, 1);
    tcp[12] = 5 << 4;
    tcp[13] = 0x10;
    ts_put16(tcp + 14, 512);
    return 14 + 40 + 1448;
}

int main(void)
{
    static uint8_t f[1000][1600];
    static size_t n[1000];
    const unsigned convs[] = { 1, 10, 60, 100, 1000 };
    for (unsigned c = 0; c < sizeof convs / sizeof convs[0]; c++) {
        struct ts_plot_rec *r = ts_plot_rec_new(0, 0);
        if (!r) return 1;
        for (unsigned i = 0; i < convs[c]; i++) n[i] = frame(f[i], (uint16_t)(40000 + i), 1);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned k = 0; k < FRAMES; k++) ts_plot_rec_frame(r, k, f[k % convs[c]], n[k % convs[c]]);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / FRAMES;
        struct ts_plot_rec_stats st;
        ts_plot_rec_stats(r, &st);
        printf("plot_rec: %4u conversations: %6.1f ns per frame; %llu evicted, %zu KiB in use of %zu\n", convs[c], ns,
               (unsigned long long)st.evicted, st.bytes >> 10, st.bytes_bound >> 10);
        ts_plot_rec_free(r);
    }
    return 0;
}
