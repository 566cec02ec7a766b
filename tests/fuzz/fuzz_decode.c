/*
 * Fuzz target: what the observability code reads from outside — the trace's frame decoder (text
 * and JSON) over any bytes as one Ethernet frame, and the pcap reader over any bytes as a file.
 * The decoder must never read past the frame and must always produce a terminated line; its JSON
 * must have no raw control characters and balanced braces and brackets outside strings. The
 * reader must stop with a clean end or an error, never crash, and each record must lie within
 * the snap length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_decode.h"
#include "driver/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const char *s)
{
    int depth = 0;
    int in_str = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) abort();
        if (in_str) {
            if (c == '\\') p++;
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (--depth < 0) abort();
        }
    }
    if (depth != 0 || in_str) abort();
}

static void decode(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);     /* exact size: ASan sees any overread */
    if (!copy) return;
    memcpy(copy, data, size);
    struct ts_dec d;
    ts_dec_frame(&d, copy, size);
    char text[2048], json[8192];
    size_t tn = ts_dec_text(&d, text, sizeof text);
    size_t jn = ts_dec_json(&d, json, sizeof json);
    if (strlen(text) != (tn < sizeof text ? tn : sizeof text - 1)) abort();
    if (jn < sizeof json) check_json(json);
    free(copy);
}

static void read_pcap(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return;
    char err[256];
    struct ts_pcap_reader *r = ts_pcap_reader_stream(f, true, err, sizeof err);
    if (!r) return;
    struct ts_pcap_rec rec;
    unsigned n = 0;
    while (n++ < 10000 && ts_pcap_read(r, &rec, err, sizeof err) == 1) {
        if (rec.incl_len > ts_pcap_reader_snaplen(r) || rec.incl_len > rec.orig_len) abort();
        decode(rec.data, rec.incl_len);
    }
    ts_pcap_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    if (size) read_pcap(data, size);
    return 0;
}
