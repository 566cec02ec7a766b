/*
 * Fuzz target: the FTP control-connection parser. The input is the byte stream a client sends;
 * the first byte picks the chunk size it arrives in (1..256), so lines split at every point.
 * Each complete line is parsed, and its argument run through every argument parser and
 * formatter, as the server would.
 */
#include <string.h>
#include "apps/ftp/ftp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use_line(const char *line, size_t len)
{
    struct ftp_cmd c;
    if (ftp_cmd_parse(line, len, &c) != FTP_PARSE_OK) return;
    char arg[FTP_LINE_MAX + 1];
    size_t n = c.arg_len < FTP_LINE_MAX ? c.arg_len : FTP_LINE_MAX;
    memcpy(arg, c.arg, n);
    arg[n] = 0;
    uint32_t a;
    uint16_t p;
    uint64_t off;
    char out[2 * FTP_LINE_MAX + 64];
    ftp_parse_port(arg, &a, &p);
    ftp_parse_eprt(arg, &a, &p);
    ftp_parse_epsv(arg);
    ftp_parse_type(arg);
    ftp_parse_rest(arg, &off);
    ftp_fmt_quoted(out, sizeof out, arg);
    ftp_fmt_reply(out, sizeof out, 550, arg);
    (void)ftp_verb_name(c.verb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    struct ts_line l;
    ts_line_init(&l);
    size_t pos = 0;
    for (int guard = 0; pos < size && guard < 100000; guard++) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        size_t used = 0;
        enum ts_line_status st = ts_line_feed(&l, data + pos, n, &used);
        if (used == 0 && st == TS_LINE_MORE) break;   /* must never stall: libFuzzer would time out */
        pos += used;
        if (st == TS_LINE_READY) use_line(l.buf, l.len);
    }
    return 0;
}
