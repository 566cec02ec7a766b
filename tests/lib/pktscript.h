/*
 * pktscript: packet scripts in packetdrill's syntax, played against one tapstack core with a
 * virtual clock. The script is the peer; the stack under test is driven through its socket API.
 * One language for our own scripts (tests/scripts/tcp) and external ones (tcp-testsuite).
 *
 * Lines ('//' starts a comment; blank lines are ignored):
 *   --ip_version=ipv4  --tolerance_usecs=N     packetdrill's flags (others: the script SKIPs)
 *   #ifdef NAME / #ifndef / #else / #endif      only STANDARD is defined
 *   Our directives (no time): isn N (the peer's ISN, default 1000), peer_port N (40000),
 *     stack_port N (8080, where listen() listens), tolerance S, strict on|off,
 *     config KEY VALUE (tcp_msl S, tcp_rto_min S, mtu N, seed N, timestamps on|off)
 *
 *   Timed events: a time, then the event. Seconds, absolute ("0.100") or relative to the
 *   previous event ("+0.010"); "A~B" is a window (no tolerance added), e.g. "+0~+0.2".
 *     0.100 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>     a segment into the stack
 *     0.100 > S. 0:0(0) ack 1 win 65535 <mss 1460,...>        a segment the stack must send
 *     +1.0  > nothing                                         ours: nothing is sent until then
 *     +0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3         a call (pktscript_pd.c lists them)
 *     +0    `sysctl -w net.inet.tcp.insecure_rst=1`          a knob (pktscript_pd.c)
 *     +0    %{ assert tcpi_state == TCPI_ESTABLISHED }%
 *     +0    expect_counter tcp.drop_bad_checksum = 3         ours: a stack counter
 *     +0    new_peer(40001[, isn=N])                          ours: a new peer port; the stack's
 *                                                             ISN is learned afresh
 *
 *   Segments: flags (S F P R . U E W; "." is ACK; outbound, a flag followed by "?" may be set
 *   or not, and "p" means "P?"), seq:end(len), then optional "ack N", "win N", "urg N",
 *   "<options>" and (inbound only) "badsum". Inbound seq is relative to the peer's ISN and inbound
 *   ack to the stack's ISN; outbound the other way round. The stack's ISN and (after connect) its
 *   port are learned from its first SYN. Outbound fields that are omitted, or written "*", match
 *   anything; "*" in place of seq:end(len) matches any sequence, length and payload; "<...>" or
 *   omitted options match any options; an option list ending in "..." matches any further
 *   options (and the listed ones may then come in any order). Options: mss N, wscale N, sackOK,
 *   TS val N ecr N, sack A:B ..., nop, eol, raw HH HH ... (hex bytes, for malformed options).
 *   The stack's TSval is learned from its first segment with a timestamp, like its ISN: outbound
 *   "TS val N" and inbound "ecr N" are relative to it (so at +0.2 s it reads "val 200"); inbound
 *   "TS val N" and outbound "ecr N" are the script's own clock, absolute.
 *   Inbound payload bytes come from a fixed pattern indexed by stream offset (reads check it);
 *   outbound payload is checked against the bytes the script wrote (write(fd, "text", n) or the
 *   runner's own pattern for write(fd, ..., n)).
 *
 *   Our scripts are strict: any outbound segment no line expects fails them, at the end too.
 *   External scripts (pks_script.lenient) follow packetdrill's rule (what is sent is checked at
 *   '>' lines only, nothing after the last line) and the lenient comparison of pktscript.c.
 */
#ifndef TESTS_LIB_PKTSCRIPT_H
#define TESTS_LIB_PKTSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "frames.h"

enum pks_kind { PKS_IN, PKS_OUT, PKS_NOTHING, PKS_CALL };

enum pks_op {
    PKS_OP_EXPECT_COUNTER, PKS_OP_NEW_PEER,          /* ours */
    /* packetdrill's calls (pktscript_pd.c); they name a file descriptor (pks_call.fd) */
    PKS_OP_LISTEN, PKS_OP_ACCEPT, PKS_OP_CONNECT, PKS_OP_SHUTDOWN, PKS_OP_CLOSE, PKS_OP_SOCKET, PKS_OP_BIND, PKS_OP_FCNTL, PKS_OP_SETSOCKOPT, PKS_OP_GETSOCKOPT, PKS_OP_RECV,
    PKS_OP_SEND, PKS_OP_POLL,
    PKS_OP_KNOB,           /* `sysctl -w net.inet.tcp.NAME=V` for a knob the stack has */
    PKS_OP_COUNT_STATE,    /* `sockstat ... | grep -c STATE | grep N`: N connections in STATE */
    PKS_OP_ASSERT_STATE,   /* %{ assert tcpi_state == TCPI_STATE }% */
};

/* Socket options and fcntl commands a packetdrill call may name. */
enum pks_sockopt { PKS_SO_NONE, PKS_SO_ERROR, PKS_SO_RCVBUF, PKS_SO_SNDBUF, PKS_SO_REUSEADDR,
                   PKS_SO_LINGER, PKS_SO_KEEPALIVE, PKS_TCP_NODELAY, PKS_TCP_INFO,
                   PKS_TCP_KEEPIDLE, PKS_TCP_KEEPINTVL, PKS_TCP_KEEPCNT, PKS_TCP_CONGESTION,
                   PKS_F_GETFL, PKS_F_SETFL };

#define PKS_MSG_PEEK 1
#define PKS_O_NONBLOCK 0x4         /* FreeBSD's value, as the scripts print it */
#define PKS_POLLIN 0x1
#define PKS_POLLOUT 0x4
#define PKS_POLLERR 0x8
#define PKS_POLLHUP 0x10
#define PKS_E_INPROGRESS 100       /* EINPROGRESS: a runner-only code (the stack's connect is async) */

enum pks_res_kind { PKS_RES_NONE, PKS_RES_NUM, PKS_RES_ERR, PKS_RES_TEXT };

enum pks_opt_kind { PKS_O_MSS, PKS_O_WS, PKS_O_SACKOK, PKS_O_TS, PKS_O_SACK, PKS_O_NOP,
                    PKS_O_EOL, PKS_O_RAW, PKS_O_REST };

#define PKS_ANY UINT64_MAX   /* a field written "*" */

struct pks_opt {
    enum pks_opt_kind kind;
    uint64_t v[8];            /* mss/ws: v[0]; TS: val v[0], ecr v[1]; sack: pairs; PKS_ANY = "*" */
    unsigned nv;
    uint8_t raw[40];
    uint8_t raw_len;
};

struct pks_seg {
    uint8_t flags;
    uint8_t flags_opt;            /* bits that may or may not be set ("p": PSH optional) */
    uint32_t seq, len;
    bool seq_any;
    bool has_ack; uint64_t ack;   /* PKS_ANY allowed outbound */
    bool has_win; uint64_t win;
    bool has_urg; uint64_t urg;
    bool has_opts;                /* false, or "<...>": any options */
    struct pks_opt opts[16];
    unsigned n_opts;
    bool bad_csum;
};

struct pks_call {
    enum pks_op op;
    long n[3];                    /* numeric arguments in order */
    unsigned nn;
    long backlog, isn;            /* listen's backlog; new_peer's isn= (-1 when absent) */
    int fd;                       /* packetdrill calls: the descriptor (-1: none) */
    enum pks_sockopt opt;         /* getsockopt/setsockopt option, fcntl command */
    long flags;                   /* recv: PKS_MSG_PEEK; fcntl F_SETFL / shutdown how; poll events */
    long val;                     /* [value] of get/setsockopt; poll revents; linger seconds */
    bool val_any;                 /* getsockopt's value written "..." */
    char *text;                   /* write("...") / expect_state(NAME) / counter name / knob */
    size_t text_len;
    enum pks_res_kind res;
    long res_num;                 /* NUM: the value; ERR: the TS_E* code */
    char *res_text;
    size_t res_text_len;
};

struct pks_event {
    int line;
    char *src;                    /* the line as written, for messages */
    enum pks_kind kind;
    bool rel, rel_hi, has_hi;
    int64_t t_us, t_hi_us;        /* offset or absolute time */
    struct pks_seg seg;
    struct pks_call call;
};

struct pks_script {
    char *name;
    uint32_t isn;
    uint16_t peer_port, stack_port;
    int64_t tolerance_us;
    bool strict;
    int64_t cfg_msl_us, cfg_rto_min_us;   /* -1: stack default */
    long cfg_mtu;
    uint64_t cfg_seed;
    bool cfg_no_ts;               /* config timestamps off */
    bool lenient;                 /* compare as for external scripts (see pks_lenient in pktscript.c) */
    char *skip;                   /* why this script cannot run here (a knob we lack), or NULL */
    struct pks_event *ev;
    size_t n_ev, cap_ev;
};

/* Parse script text. Returns NULL on a syntax error, with "line N: why" in err. name is kept for
 * messages. Free with pks_free. */
struct pks_script *pks_parse(const char *name, const char *text, char *err, size_t errcap);
void pks_free(struct pks_script *sc);

/* Play a parsed script against a fresh stack. Returns true if every line held; otherwise false
 * with "line N: ..." (expected vs got, decoded) in msg. If log is not NULL every event is
 * written to it as it happens. */
bool pks_run(const struct pks_script *sc, char *msg, size_t cap, FILE *log);

/* Read, parse and run one file. */
bool pks_run_file(const char *path, char *msg, size_t cap, FILE *log);

enum pks_verdict { PKS_PASS, PKS_FAIL, PKS_SKIP };

/* Read, parse and run one file; lenient as for an external suite. SKIP (with the reason in msg)
 * when the script needs something the stack does not have (a FreeBSD knob). */
enum pks_verdict pks_run_file_verdict(const char *path, bool lenient, char *msg, size_t cap, FILE *log);

/* Read a whole file into a malloc'd NUL-terminated string; NULL with a message on failure. */
char *pks_read_text(const char *path, char *msg, size_t cap);

/* pktscript_pd.c, for the parser: is this name one of packetdrill's calls; parse the rest of a
 * packetdrill call (after its name) into k; parse a backquoted shell command (after the '`') or
 * a %{ }% block into k. They return an error text or NULL. Knobs we lack set *skip. */
bool pks_pd_is_call(const char *name);
const char *pks_pd_call(const char *name, const char **p, struct pks_call *k);
const char *pks_pd_shell(const char **p, struct pks_call *k, char **skip);
const char *pks_pd_python(const char **p, struct pks_call *k);
int pks_err_code(const char *name);

/* The byte a peer's stream carries at offset i (the pattern inbound payloads are made of). */
static inline uint8_t pks_peer_byte(uint32_t i) { return (uint8_t)((i * 2654435761u) >> 24); }

#endif
