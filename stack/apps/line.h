/*
 * Line assembly for a Telnet-style control connection (RFC 854 text, as FTP's control
 * connection is: RFC 959 §4.1): shared by the FTP server (apps/ftp/) and the FTP client of
 * fetch (apps/fetch/), which read the same kind of lines from the two ends.
 *
 *   bytes --> ts_line_feed() --> one line (CRLF removed, Telnet IAC sequences stripped)
 */
#ifndef TS_APPS_LINE_H
#define TS_APPS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted, CRLF included (RFC 959 leaves an FTP command's length open; we take 512). */
#define TS_LINE_MAX 512

/* The line assembler: collects bytes until LF, strips Telnet commands (IAC ...), and throws
 * away the rest of a line that grew past TS_LINE_MAX. */
struct ts_line {
    char buf[TS_LINE_MAX + 1];  /* the line so far, CRLF not included; NUL-terminated when ready */
    size_t len;
    bool overflow;               /* the current line is too long: discarding up to its LF */
    bool ready;                  /* buf holds a line handed out: the next feed starts a new one */
    uint8_t iac;                 /* Telnet state: 0 none, 1 after IAC, 2 after IAC WILL/WONT/DO/DONT */
};

enum ts_line_status {
    TS_LINE_MORE = 0,   /* all input consumed, no complete line yet */
    TS_LINE_READY,      /* buf holds one complete line (without CRLF); len is its length */
    TS_LINE_TOO_LONG,   /* a line longer than TS_LINE_MAX ended (answer 500); it is gone */
};

/* Start an empty line (no Telnet state, nothing discarded). */
void ts_line_init(struct ts_line *l);

/* Feed up to len bytes; *used says how many were consumed. Stops after one complete line
 * (READY or TOO_LONG) so that the caller handles lines one at a time; call again with the rest.
 * After READY, the next call starts a new line. A lone CR stays in the line (the parser refuses
 * it); the CR of the final CRLF is removed. */
enum ts_line_status ts_line_feed(struct ts_line *l, const uint8_t *data, size_t len, size_t *used);

#endif
