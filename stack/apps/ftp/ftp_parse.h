/*
 * FTP control-connection text (RFC 959, RFC 2428, RFC 3659): pure functions, no I/O, no
 * allocation. Bounded buffers everywhere: a command line is at most FTP_LINE_MAX bytes.
 *
 *   bytes from the control connection --> ts_line_feed() (apps/line.h) --> one line --> ftp_cmd_parse()
 *   PORT / EPRT / EPSV / TYPE / REST arguments --> ftp_parse_*()
 *   227 / 229 / 213 reply text <-- ftp_fmt_*()
 */
#ifndef TS_APPS_FTP_PARSE_H
#define TS_APPS_FTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "apps/line.h"

/* Longest command line accepted, CRLF included: the line assembler's limit (apps/line.h). */
#define FTP_LINE_MAX TS_LINE_MAX

/* ---- commands ---- */

enum ftp_verb {
    FTP_V_UNKNOWN = 0,
    FTP_V_USER, FTP_V_PASS, FTP_V_ACCT, FTP_V_SYST, FTP_V_FEAT, FTP_V_OPTS, FTP_V_PWD, FTP_V_CWD,
    FTP_V_CDUP, FTP_V_TYPE, FTP_V_MODE, FTP_V_STRU, FTP_V_PASV, FTP_V_EPSV, FTP_V_PORT,
    FTP_V_EPRT, FTP_V_LIST, FTP_V_NLST, FTP_V_RETR, FTP_V_SIZE, FTP_V_MDTM, FTP_V_REST,
    FTP_V_NOOP, FTP_V_QUIT, FTP_V_ABOR, FTP_V_STOR, FTP_V_DELE, FTP_V_MKD, FTP_V_RMD,
    FTP_V_HELP, FTP_V_ALLO, FTP_V_STAT,
    FTP_V_COUNT
};

struct ftp_cmd {
    enum ftp_verb verb;
    char name[5];                    /* the verb as sent, upper-cased (at most 4 letters) */
    const char *arg;                 /* points into the line; "" when there is none */
    size_t arg_len;
};

enum ftp_parse_status {
    FTP_PARSE_OK = 0,
    FTP_PARSE_EMPTY,         /* empty or blank line: answer 500 */
    FTP_PARSE_BAD_VERB,      /* not 3-4 letters: answer 500 */
    FTP_PARSE_BAD_CHAR,      /* CR, LF or NUL inside the line: answer 501 */
};

/* Split one line (as ts_line_feed returned it, NUL-terminated, len bytes) into verb and
 * argument. The verb is case-insensitive; one or more spaces separate it from the argument,
 * which keeps its inner spaces (file names may have them). An unknown verb of 3-4 letters
 * parses OK with FTP_V_UNKNOWN (answer 502). */
enum ftp_parse_status ftp_cmd_parse(const char *line, size_t len, struct ftp_cmd *out);

/* The verb's name ("RETR"), or "?" */
const char *ftp_verb_name(enum ftp_verb v);

/* ---- arguments ---- */

/* PORT h1,h2,h3,h4,p1,p2 (RFC 959 §4.1.2): six decimal numbers 0..255 (at most 3 digits each),
 * separated by commas, nothing else. Address and port in host order. */
bool ftp_parse_port(const char *arg, uint32_t *addr, uint16_t *port);

enum ftp_eprt_status {
    FTP_EPRT_OK = 0,
    FTP_EPRT_BAD,            /* syntax error: answer 501 */
    FTP_EPRT_AF,             /* a protocol other than 1 (IPv4): answer 522 */
};

/* EPRT <d>proto<d>addr<d>port<d> (RFC 2428 §2): d is any printable ASCII character (33..126)
 * that is not a digit and not '.'; proto 1 with a dotted quad; port 1..65535. */
enum ftp_eprt_status ftp_parse_eprt(const char *arg, uint32_t *addr, uint16_t *port);

enum ftp_epsv_arg {
    FTP_EPSV_PLAIN = 0,      /* no argument, or "1" */
    FTP_EPSV_ALL,            /* "ALL" (RFC 2428 §4): only EPSV from now on */
    FTP_EPSV_AF,             /* another protocol number: answer 522 */
    FTP_EPSV_BAD,            /* anything else: answer 501 */
};

/* The argument of EPSV. */
enum ftp_epsv_arg ftp_parse_epsv(const char *arg);

enum ftp_type {
    FTP_TYPE_BAD = 0,        /* syntax error: 501 */
    FTP_TYPE_UNSUPPORTED,    /* E, or A/E with format T or C: 504 */
    FTP_TYPE_ASCII,          /* A, A N */
    FTP_TYPE_IMAGE,          /* I, L 8 */
};

/* The argument of TYPE (RFC 959 §4.1.2), case-insensitive. */
enum ftp_type ftp_parse_type(const char *arg);

/* REST's argument: a decimal byte offset (RFC 3659 §5), no sign, no spaces, < 2^63. */
bool ftp_parse_rest(const char *arg, uint64_t *offset);

/* ---- replies ---- */

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).\r\n" into buf (cap bytes). Returns the length,
 * or 0 if it does not fit. */
size_t ftp_fmt_pasv(char *buf, size_t cap, uint32_t addr, uint16_t port);

/* "229 Entering Extended Passive Mode (|||port|)\r\n". Returns the length or 0. */
size_t ftp_fmt_epsv(char *buf, size_t cap, uint16_t port);

/* "213 YYYYMMDDHHMMSS\r\n" (RFC 3659 §2.3, UTC). Returns the length or 0. */
size_t ftp_fmt_mdtm(char *buf, size_t cap, time_t t);

/* One reply: "code text\r\n". With more than one line (text holds '\n' separators) the
 * RFC 959 §4.2 multi-line form: "code-first\r\n" ... " middle\r\n" ... "code last\r\n"; a middle
 * line that begins with a digit is indented by a space so that no client takes it for the end.
 * CR and LF never reach the output other than as line ends. Returns the length, or 0 if it
 * does not fit. */
size_t ftp_fmt_reply(char *buf, size_t cap, int code, const char *text);

/* Quote a path for a 257 reply (RFC 959 appendix II): wrap it in '"', double every inner '"'.
 * Returns the length, or 0 if it does not fit. */
size_t ftp_fmt_quoted(char *buf, size_t cap, const char *path);

#endif
