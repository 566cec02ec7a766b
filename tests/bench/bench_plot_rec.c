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
#include "lib/frames.h"

#define FRAMES 2000000u

/* Ethernet + IPv4 + TCP (ACK, 1448 bytes of data) from 10.0.0.2:80 to 10.0.0.1:port, by
 * tests/lib/frames.h. */
static size_t frame(uint8_t *f, size_t cap, uint16_t port, uint32_t seq)
{
    static const uint8_t data[1448];
    struct frm_addr src = { .ip = 0x0a000002u, .port = 80 }, dst = { .ip = 0x0a000001u, .port = port };
    struct frm_tcp t = { .seq = seq, .ack = 1, .flags = FRM_ACK, .win = 512, .data = data, .data_len = sizeof data };
    return frm_build_tcp(f, cap, &src, &dst, 0, &t);
}

int main(void)
{
    static uint8_t f[1000][1600];
    static size_t n[1000];
    const unsigned convs[] = { 1, 10, 60, 100, 1000 };
    for (unsigned c = 0; c < sizeof convs / sizeof convs[0]; c++) {
        struct ts_plot_rec *r = ts_plot_rec_new(0, 0);
        if (!r) return 1;
        for (unsigned i = 0; i < convs[c]; i++) n[i] = frame(f[i], sizeof f[i], (uint16_t)(40000 + i), 1);
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
