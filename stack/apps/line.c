/*
 * Control-connection lines (see line.h): bytes in, one CRLF-terminated line out, Telnet
 * commands stripped, overlong lines refused. Pure: no I/O, no allocation.
 */
#include "apps/line.h"

#include <string.h>

/* Telnet (RFC 854) bytes that can appear on a control connection (FTP's is Telnet's). */
enum { TELNET_IAC = 255, TELNET_WILL = 251, TELNET_DONT = 254 };

void ts_line_init(struct ts_line *l)
{
    memset(l, 0, sizeof *l);
}

/* Append one data byte to the line, or start discarding once it would pass the limit. The LF
 * that ends the line also counts, hence the -1. */
static void line_put(struct ts_line *l, uint8_t c)
{
    if (l->overflow) return;
    if (l->len >= TS_LINE_MAX - 1) {
        l->overflow = true;
        return;
    }
    l->buf[l->len++] = (char)c;
}

/* Handle one byte of the Telnet layer: returns true if c is data for the line. */
static bool telnet_filter(struct ts_line *l, uint8_t c)
{
    if (l->iac == 2) {                  /* option byte after WILL/WONT/DO/DONT */
        l->iac = 0;
        return false;
    }
    if (l->iac == 1) {
        if (c == TELNET_IAC) {          /* IAC IAC is a literal 0xFF */
            l->iac = 0;
            return true;
        }
        l->iac = (c >= TELNET_WILL && c <= TELNET_DONT) ? 2 : 0;
        return false;                   /* IP, DM, AYT ...: no data */
    }
    if (c == TELNET_IAC) {
        l->iac = 1;
        return false;
    }
    return true;
}

enum ts_line_status ts_line_feed(struct ts_line *l, const uint8_t *data, size_t len, size_t *used)
{
    size_t i = 0;
    if (l->ready) {                     /* the previous call handed out a line: start anew */
        l->len = 0;
        l->ready = false;
    }
    while (i < len) {
        uint8_t c = data[i++];
        if (!telnet_filter(l, c)) continue;
        if (c != '\n') {
            line_put(l, c);
            continue;
        }
        bool too_long = l->overflow;
        if (!too_long && l->len > 0 && l->buf[l->len - 1] == '\r') l->len--;
        *used = i;
        if (too_long) {
            l->len = 0;
            l->buf[0] = '\0';
            l->overflow = false;
            return TS_LINE_TOO_LONG;
        }
        l->buf[l->len] = '\0';
        l->ready = true;
        return TS_LINE_READY;
    }
    *used = i;
    return TS_LINE_MORE;
}
