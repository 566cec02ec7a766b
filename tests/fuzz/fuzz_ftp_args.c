/*
 * Fuzz target: FTP arguments with invariants (fuzz_ftp_parse.c checks only that nothing crashes).
 * Bytes go through the line assembler in pieces whose size the first byte picks; for each
 * command line: the line stays bounded and NUL-terminated, the verb is 3-4 letters, a PORT
 * argument survives the round trip through the 227 formatter, EPRT never yields port 0, a path
 * resolved against a working directory stays absolute with no ".." and no "//" (the text wall
 * of root confinement, stack/apps/ftp/ftp_fs.c), and a reply made from the argument has CR and LF
 * only as CRLF line ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apps/ftp/ftp_fs.h"
#include "apps/ftp/ftp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_args(const struct ftp_cmd *c)
{
    uint32_t a;
    uint16_t p;
    if (ftp_parse_port(c->arg, &a, &p)) {
        char buf[80], back[80];
        size_t n = ftp_fmt_pasv(buf, sizeof buf, a, p);
        if (n == 0) abort();
        const char *open = strchr(buf, '('), *close = strchr(buf, ')');
        memcpy(back, open + 1, (size_t)(close - open - 1));
        back[close - open - 1] = '\0';
        uint32_t a2;
        uint16_t p2;
        if (!ftp_parse_port(back, &a2, &p2) || a2 != a || p2 != p) abort();
    }
    if (ftp_parse_eprt(c->arg, &a, &p) == FTP_EPRT_OK && p == 0) abort();
    (void)ftp_parse_epsv(c->arg);
    (void)ftp_parse_type(c->arg);
    uint64_t off;
    (void)ftp_parse_rest(c->arg, &off);
    char path[FTP_PATH_MAX];
    if (ftp_path_resolve("/pub/x", c->arg, path, sizeof path) == 0) {
        if (path[0] != '/' || strstr(path, "/../") || strstr(path, "//")) abort();
        size_t n = strlen(path);
        if (n >= 3 && strcmp(path + n - 3, "/..") == 0) abort();
    }
    char reply[1200];
    size_t n = ftp_fmt_reply(reply, sizeof reply, 550, c->arg);
    for (size_t i = 0; i < n; i++)              /* CR and LF only as CRLF line ends */
        if ((reply[i] == '\r' && reply[i + 1] != '\n') || (reply[i] == '\n' && (i == 0 || reply[i - 1] != '\r')))
            abort();
    (void)ftp_fmt_quoted(reply, sizeof reply, c->arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ts_line l;
    ts_line_init(&l);
    size_t pos = 0;
    uint8_t step = size ? (uint8_t)(data[0] | 1) : 1;
    while (pos < size) {
        size_t chunk = size - pos < step ? size - pos : step;
        size_t used = 0;
        enum ts_line_status st = ts_line_feed(&l, data + pos, chunk, &used);
        if (used == 0 || used > chunk) abort();
        pos += used;
        if (st != TS_LINE_READY) continue;
        if (l.len >= FTP_LINE_MAX || l.buf[l.len] != '\0') abort();
        struct ftp_cmd c;
        if (ftp_cmd_parse(l.buf, l.len, &c) == FTP_PARSE_OK) {
            if (strlen(c.name) < 3 || strlen(c.name) > 4) abort();
            check_args(&c);
        }
    }
    return 0;
}
