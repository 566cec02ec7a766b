/*
 * FTP control-connection text: command parsing, argument and reply formats (lines are
 * assembled by apps/line.c).
 * Pure: no I/O, no allocation, bounded by the caller's buffers.
 */
#include "apps/ftp/ftp_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const verb_names[FTP_V_COUNT] = {
    [FTP_V_UNKNOWN] = "?",
    [FTP_V_USER] = "USER", [FTP_V_PASS] = "PASS", [FTP_V_ACCT] = "ACCT", [FTP_V_SYST] = "SYST",
    [FTP_V_FEAT] = "FEAT", [FTP_V_OPTS] = "OPTS", [FTP_V_PWD] = "PWD",   [FTP_V_CWD] = "CWD",
    [FTP_V_CDUP] = "CDUP", [FTP_V_TYPE] = "TYPE", [FTP_V_MODE] = "MODE", [FTP_V_STRU] = "STRU",
    [FTP_V_PASV] = "PASV", [FTP_V_EPSV] = "EPSV", [FTP_V_PORT] = "PORT", [FTP_V_EPRT] = "EPRT",
    [FTP_V_LIST] = "LIST", [FTP_V_NLST] = "NLST", [FTP_V_RETR] = "RETR", [FTP_V_SIZE] = "SIZE",
    [FTP_V_MDTM] = "MDTM", [FTP_V_REST] = "REST", [FTP_V_NOOP] = "NOOP", [FTP_V_QUIT] = "QUIT",
    [FTP_V_ABOR] = "ABOR", [FTP_V_STOR] = "STOR", [FTP_V_DELE] = "DELE", [FTP_V_MKD] = "MKD",
    [FTP_V_RMD] = "RMD",   [FTP_V_HELP] = "HELP", [FTP_V_ALLO] = "ALLO", [FTP_V_STAT] = "STAT",
};

const char *ftp_verb_name(enum ftp_verb v)
{
    return (v > FTP_V_UNKNOWN && v < FTP_V_COUNT) ? verb_names[v] : "?";
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static enum ftp_verb verb_lookup(const char *name)
{
    /* XPWD, XCWD ... (RFC 775) are aliases some old clients still send */
    static const struct { const char *x; enum ftp_verb v; } aliases[] = {
        {"XPWD", FTP_V_PWD}, {"XCWD", FTP_V_CWD}, {"XCUP", FTP_V_CDUP},
        {"XMKD", FTP_V_MKD}, {"XRMD", FTP_V_RMD},
    };
    for (int v = FTP_V_UNKNOWN + 1; v < FTP_V_COUNT; v++)
        if (strcmp(name, verb_names[v]) == 0) return (enum ftp_verb)v;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].x) == 0) return aliases[i].v;
    return FTP_V_UNKNOWN;
}

enum ftp_parse_status ftp_cmd_parse(const char *line, size_t len, struct ftp_cmd *out)
{
    memset(out, 0, sizeof *out);
    out->arg = "";
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\r' || line[i] == '\n' || line[i] == '\0') return FTP_PARSE_BAD_CHAR;
    size_t i = 0;
    while (i < len && line[i] == ' ') i++;
    if (i == len) return FTP_PARSE_EMPTY;
    if (i > 0) return FTP_PARSE_BAD_VERB;
    while (i < len && is_alpha(line[i])) {
        if (i >= 4) return FTP_PARSE_BAD_VERB;
        out->name[i] = upper(line[i]);
        i++;
    }
    if (i < 3 || (i < len && line[i] != ' ')) return FTP_PARSE_BAD_VERB;
    out->name[i] = '\0';
    out->verb = verb_lookup(out->name);
    while (i < len && line[i] == ' ') i++;
    out->arg = line + i;
    out->arg_len = len - i;
    return FTP_PARSE_OK;
}

/* Parse a decimal number of 1..maxdigits digits at *p, advancing it; false if none. */
static bool parse_dec(const char **p, unsigned maxdigits, uint64_t *val)
{
    const char *s = *p;
    uint64_t v = 0;
    unsigned n = 0;
    while (is_digit(*s)) {
        if (++n > maxdigits) return false;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
    }
    if (n == 0) return false;
    *p = s;
    *val = v;
    return true;
}

bool ftp_parse_port(const char *arg, uint32_t *addr, uint16_t *port)
{
    const char *p = arg;
    uint64_t f[6];
    for (int i = 0; i < 6; i++) {
        if (i > 0 && *p++ != ',') return false;
        if (!parse_dec(&p, 3, &f[i]) || f[i] > 255) return false;
    }
    if (*p != '\0') return false;
    *addr = (uint32_t)(f[0] << 24 | f[1] << 16 | f[2] << 8 | f[3]);
    *port = (uint16_t)(f[4] << 8 | f[5]);
    return true;
}

/* Exactly a.b.c.d, each 0..255 in 1..3 digits. */
static bool parse_quad(const char *text, uint32_t *addr)
{
    const char *p = text;
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t b;
        if (i > 0 && *p++ != '.') return false;
        if (!parse_dec(&p, 3, &b) || b > 255) return false;
        a = a << 8 | (uint32_t)b;
    }
    if (*p != '\0') return false;
    *addr = a;
    return true;
}

enum ftp_eprt_status ftp_parse_eprt(const char *arg, uint32_t *addr, uint16_t *port)
{
    char d = arg[0];
    if (d < 33 || d > 126 || is_digit(d) || d == '.') return FTP_EPRT_BAD;
    const char *p = arg + 1;
    uint64_t proto;
    if (!parse_dec(&p, 5, &proto) || *p++ != d) return FTP_EPRT_BAD;
    if (proto != 1) {
        /* check the rest is at least shaped like d addr d port d before blaming the protocol */
        const char *a = strchr(p, d);
        if (!a || !strchr(a + 1, d)) return FTP_EPRT_BAD;
        return FTP_EPRT_AF;
    }
    char text[16];
    const char *end = strchr(p, d);
    if (!end || (size_t)(end - p) >= sizeof text) return FTP_EPRT_BAD;
    memcpy(text, p, (size_t)(end - p));
    text[end - p] = '\0';
    uint32_t a;
    if (!parse_quad(text, &a)) return FTP_EPRT_BAD;
    p = end + 1;
    uint64_t pt;
    if (!parse_dec(&p, 5, &pt) || pt == 0 || pt > 65535) return FTP_EPRT_BAD;
    if (*p++ != d || *p != '\0') return FTP_EPRT_BAD;
    *addr = a;
    *port = (uint16_t)pt;
    return FTP_EPRT_OK;
}

enum ftp_epsv_arg ftp_parse_epsv(const char *arg)
{
    if (arg[0] == '\0') return FTP_EPSV_PLAIN;
    if (strcasecmp(arg, "ALL") == 0) return FTP_EPSV_ALL;
    const char *p = arg;
    uint64_t proto;
    if (!parse_dec(&p, 5, &proto) || *p != '\0') return FTP_EPSV_BAD;
    return proto == 1 ? FTP_EPSV_PLAIN : FTP_EPSV_AF;
}

enum ftp_type ftp_parse_type(const char *arg)
{
    char t = upper(arg[0]);
    const char *rest = arg[0] ? arg + 1 : arg;
    switch (t) {
    case 'I':
        return rest[0] == '\0' ? FTP_TYPE_IMAGE : FTP_TYPE_BAD;
    case 'A':
    case 'E':
        if (rest[0] == '\0' || (rest[0] == ' ' && upper(rest[1]) == 'N' && rest[2] == '\0'))
            return t == 'A' ? FTP_TYPE_ASCII : FTP_TYPE_UNSUPPORTED;
        if (rest[0] == ' ' && (upper(rest[1]) == 'T' || upper(rest[1]) == 'C') && rest[2] == '\0')
            return FTP_TYPE_UNSUPPORTED;
        return FTP_TYPE_BAD;
    case 'L': {
        if (rest[0] != ' ') return FTP_TYPE_BAD;
        const char *p = rest + 1;
        uint64_t bits;
        if (!parse_dec(&p, 3, &bits) || *p != '\0') return FTP_TYPE_BAD;
        return bits == 8 ? FTP_TYPE_IMAGE : FTP_TYPE_UNSUPPORTED;
    }
    default:
        return FTP_TYPE_BAD;
    }
}

bool ftp_parse_rest(const char *arg, uint64_t *offset)
{
    const char *p = arg;
    uint64_t v;
    if (!parse_dec(&p, 18, &v) || *p != '\0') return false;  /* 18 digits < 2^63 */
    *offset = v;
    return true;
}

/* snprintf that reports 0 when the text did not fit. */
static size_t fmt_fit(int n, size_t cap)
{
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

size_t ftp_fmt_pasv(char *buf, size_t cap, uint32_t addr, uint16_t port)
{
    int n = snprintf(buf, cap, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n",
                     addr >> 24, (addr >> 16) & 255u, (addr >> 8) & 255u, addr & 255u,
                     (unsigned)port >> 8, (unsigned)port & 255u);
    return fmt_fit(n, cap);
}

size_t ftp_fmt_epsv(char *buf, size_t cap, uint16_t port)
{
    int n = snprintf(buf, cap, "229 Entering Extended Passive Mode (|||%u|)\r\n", (unsigned)port);
    return fmt_fit(n, cap);
}

size_t ftp_fmt_mdtm(char *buf, size_t cap, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return 0;
    int n = snprintf(buf, cap, "213 %04d%02d%02d%02d%02d%02d\r\n", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return fmt_fit(n, cap);
}

/* Append n bytes to buf at *pos if they fit (one byte is kept for the NUL). */
static bool put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (*pos + n + 1 > cap) return false;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return true;
}

size_t ftp_fmt_reply(char *buf, size_t cap, int code, const char *text)
{
    if (code < 100 || code > 599 || cap == 0) return 0;
    char head[8];
    size_t pos = 0;
    const char *line = text;
    bool first = true;
    for (;;) {
        size_t n = strcspn(line, "\r\n");
        bool last = line[n] == '\0';
        if (first || last) {
            snprintf(head, sizeof head, "%d%c", code, last ? ' ' : '-');
            if (!put(buf, cap, &pos, head, 4)) return 0;
        } else if (is_digit(line[0]) && !put(buf, cap, &pos, " ", 1)) {
            return 0;
        }
        if (!put(buf, cap, &pos, line, n) || !put(buf, cap, &pos, "\r\n", 2)) return 0;
        if (last) return pos;
        first = false;
        line += n + 1;
        if (line[-1] == '\r' && line[0] == '\n') line++;
    }
}

size_t ftp_fmt_quoted(char *buf, size_t cap, const char *path)
{
    size_t pos = 0;
    if (!put(buf, cap, &pos, "\"", 1)) return 0;
    for (const char *p = path; *p; p++) {
        if (*p == '\r' || *p == '\n') return 0;
        if (*p == '"' && !put(buf, cap, &pos, "\"", 1)) return 0;
        if (!put(buf, cap, &pos, p, 1)) return 0;
    }
    return put(buf, cap, &pos, "\"", 1) ? pos : 0;
}
