/*
 * pktscript: packetdrill's calls, shell commands and %{ }% blocks, as packetdrill writes them,
 * parsed into struct pks_call (the runner plays them in pktscript_calls.c).
 *
 *   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3        bind(3, ..., ...) = 0
 *   listen(3, 1) = 0      accept(3, ..., ...) = 4      connect(3, ..., ...) = -1 EINPROGRESS (...)
 *   fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)           fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
 *   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0   (SO_RCVBUF SO_SNDBUF TCP_NODELAY SO_KEEPALIVE
 *   setsockopt(3, SOL_TCP, TCP_CONGESTION, "bbr", 3) = 0   (the connection's or listener's controller)
 *   getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0      TCP_KEEPIDLE TCP_KEEPINTVL TCP_KEEPCNT (seconds)
 *                                                          SO_LINGER [{onoff=1, linger=0}])
 *   getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED}, [104]) = 0
 *   read(4, ..., 100)  recv(4, ..., 1024, MSG_PEEK)  write(4, ..., 10)  send(4, ..., 10, 0)
 *   write(4, "GET /", 5)     (ours: these bytes, not the pattern; outbound payloads are checked)
 *   readv(4, [{..., 50}, {..., 50}], 2)  writev(...)  close(4)  shutdown(4, SHUT_WR)
 *   poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
 *   `sysctl -w net.inet.tcp.NAME=VALUE`    `sockstat ... | grep -c STATE | grep N`
 *   %{ assert tcpi_state == TCPI_ESTABLISHED }%
 * "..." stands for an argument the script does not care about. Results: a number, or
 * "-1 ENAME (text)".
 */
#include "pktscript.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tapstack/socket.h"

#define MAX_ARGS 8

static const struct { const char *name; int code; } err_names[] = {
    {"EAGAIN", TS_EAGAIN}, {"EWOULDBLOCK", TS_EAGAIN}, {"EINVAL", TS_EINVAL},
    {"ENOMEM", TS_ENOMEM}, {"ENOBUFS", TS_ENOMEM}, {"EADDRINUSE", TS_EADDRINUSE},
    {"EADDRNOTAVAIL", TS_EADDRNOTAVAIL}, {"ECONNREFUSED", TS_ECONNREFUSED},
    {"ECONNRESET", TS_ECONNRESET}, {"ETIMEDOUT", TS_ETIMEDOUT}, {"ENOTCONN", TS_ENOTCONN},
    {"EPIPE", TS_EPIPE}, {"EMSGSIZE", TS_EMSGSIZE}, {"EHOSTUNREACH", TS_EHOSTUNREACH},
    {"ECONNABORTED", TS_ECONNABORTED}, {"EINPROGRESS", PKS_E_INPROGRESS},
};

int pks_err_code(const char *name)
{
    for (size_t i = 0; i < sizeof err_names / sizeof err_names[0]; i++)
        if (strcmp(name, err_names[i].name) == 0) return err_names[i].code;
    return -1;
}

static const char *const pd_calls[] = {
    "socket", "bind", "listen", "accept", "connect", "fcntl", "setsockopt", "getsockopt",
    "read", "recv", "readv", "write", "send", "writev", "close", "shutdown", "poll",
};

bool pks_pd_is_call(const char *name)
{
    for (size_t i = 0; i < sizeof pd_calls / sizeof pd_calls[0]; i++)
        if (strcmp(name, pd_calls[i]) == 0) return true;
    return false;
}

/* Split "(a, [b, c], d)" at top-level commas into trimmed copies. *p is at '('; on return it is
 * past ')'. Returns the count, or -1. */
static int split_args(const char **p, char args[MAX_ARGS][96])
{
    const char *s = *p;
    while (*s == ' ') s++;
    if (*s != '(') return -1;
    s++;
    int n = 0, depth = 0;
    bool in_str = false;
    const char *start = s;
    for (;; s++) {
        if (!*s) return -1;
        if (*s == '"' && (s == start || s[-1] != '\\')) in_str = !in_str;
        if (in_str) continue;
        if (*s == '(' || *s == '[' || *s == '{') depth++;
        else if ((*s == ']' || *s == '}') && depth > 0) depth--;
        else if (*s == ')' && depth > 0) depth--;
        else if ((*s == ',' || *s == ')') && depth == 0) {
            const char *a = start, *b = s;
            while (a < b && isspace((unsigned char)*a)) a++;
            while (b > a && isspace((unsigned char)b[-1])) b--;
            if (n == MAX_ARGS || (size_t)(b - a) >= 96) return -1;
            if (b > a || *s == ',' || n > 0) {
                memcpy(args[n], a, (size_t)(b - a));
                args[n][b - a] = 0;
                n++;
            }
            if (*s == ')') { *p = s + 1; return n; }
            start = s + 1;
        }
    }
}

/* A number (decimal or hex), or -1 on garbage. */
static bool num(const char *a, long *v)
{
    char *end;
    if (!isdigit((unsigned char)*a) && *a != '-') return false;
    *v = strtol(a, &end, 0);
    return *end == 0;
}

static const struct { const char *name; enum pks_sockopt opt; } opt_names[] = {
    {"SO_ERROR", PKS_SO_ERROR}, {"SO_RCVBUF", PKS_SO_RCVBUF}, {"SO_SNDBUF", PKS_SO_SNDBUF},
    {"SO_REUSEADDR", PKS_SO_REUSEADDR}, {"SO_LINGER", PKS_SO_LINGER},
    {"SO_KEEPALIVE", PKS_SO_KEEPALIVE}, {"TCP_NODELAY", PKS_TCP_NODELAY},
    {"TCP_INFO", PKS_TCP_INFO}, {"TCP_KEEPIDLE", PKS_TCP_KEEPIDLE},
    {"TCP_KEEPINTVL", PKS_TCP_KEEPINTVL}, {"TCP_KEEPCNT", PKS_TCP_KEEPCNT},
    {"TCP_CONGESTION", PKS_TCP_CONGESTION}, {"F_GETFL", PKS_F_GETFL}, {"F_SETFL", PKS_F_SETFL},
};

static enum pks_sockopt opt_code(const char *name)
{
    for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
        if (strcmp(name, opt_names[i].name) == 0) return opt_names[i].opt;
    return PKS_SO_NONE;
}

/* O_RDWR | O_NONBLOCK, POLLIN|POLLOUT, 0x4 ... */
static bool mask(const char *a, long *v)
{
    *v = 0;
    char tok[32];
    while (*a) {
        size_t n = 0;
        while (*a == ' ' || *a == '|') a++;
        while (*a && *a != ' ' && *a != '|' && n < sizeof tok - 1) tok[n++] = *a++;
        tok[n] = 0;
        if (!n) break;
        long x;
        if (num(tok, &x)) *v |= x;
        else if (strcmp(tok, "O_NONBLOCK") == 0) *v |= PKS_O_NONBLOCK;
        else if (strcmp(tok, "O_RDWR") == 0) *v |= 2;
        else if (strcmp(tok, "POLLIN") == 0) *v |= PKS_POLLIN;
        else if (strcmp(tok, "POLLOUT") == 0) *v |= PKS_POLLOUT;
        else if (strcmp(tok, "POLLERR") == 0) *v |= PKS_POLLERR;
        else if (strcmp(tok, "POLLHUP") == 0) *v |= PKS_POLLHUP;
        else if (strcmp(tok, "MSG_PEEK") == 0) *v |= PKS_MSG_PEEK;
        else return false;
    }
    return true;
}

/* "[65536]", "[ECONNRESET]", "[{onoff=1, linger=0}]" or "..." into k->val / k->val_any. */
static const char *bracket_value(const char *a, struct pks_call *k)
{
    if (strcmp(a, "...") == 0) { k->val_any = true; return NULL; }
    if (*a != '[') return "a socket option value is written [N]";
    char in[96];
    snprintf(in, sizeof in, "%s", a + 1);
    char *e = strrchr(in, ']');
    if (!e) return "missing ']'";
    *e = 0;
    if (in[0] == '{') {                    /* {onoff=1, linger=0} */
        const char *on = strstr(in, "onoff="), *lg = strstr(in, "linger=");
        if (!on || !lg) return "SO_LINGER needs {onoff=N, linger=N}";
        k->flags = atol(on + 6);
        k->val = atol(lg + 7);
        return NULL;
    }
    if (num(in, &k->val)) return NULL;
    int ec = pks_err_code(in);
    if (ec < 0) return "unknown value in [ ]";
    k->val = ec;
    return NULL;
}

/* "[{..., 50}, {..., 50}]": the total length. */
static long iov_len(const char *a)
{
    long total = 0;
    for (const char *q = strchr(a, '{'); q; q = strchr(q + 1, '{')) {
        const char *comma = strchr(q, ',');
        if (!comma) return -1;
        total += atol(comma + 1);
    }
    return total;
}

/* "= 3", "= -1 EINPROGRESS (Operation now in progress)", "= 0x02 (flags O_RDWR)". */
static const char *result(const char **p, struct pks_call *k)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (*s != '=') { if (*s) return "unexpected text after the call"; return NULL; }
    s++;
    while (*s == ' ') s++;
    char *end;
    long v = strtol(s, &end, 0);
    if (end == s) return "the result must be a number";
    s = end;
    while (*s == ' ') s++;
    k->res = PKS_RES_NUM;
    k->res_num = v;
    if (isupper((unsigned char)*s)) {
        char nm[32];
        size_t n = 0;
        while ((isalnum((unsigned char)*s) || *s == '_') && n < sizeof nm - 1) nm[n++] = *s++;
        nm[n] = 0;
        int ec = pks_err_code(nm);
        if (ec < 0) return "unknown errno name";
        k->res = PKS_RES_ERR;
        k->res_num = ec;
    }
    *p = s + strlen(s);                     /* "(text)" after the result is a comment */
    return NULL;
}

static const char *fd_arg(const char *a, struct pks_call *k)
{
    long v;
    if (!num(a, &v) || v < 0 || v > 63)
        return "the first argument must be a descriptor, as packetdrill writes it (listen(3, 1), read(4, ..., 10); see tests/lib/pktscript.h)";
    k->fd = (int)v;
    return NULL;
}

static const char *io_call(const char *name, char args[MAX_ARGS][96], int n, struct pks_call *k)
{
    bool vec = strcmp(name, "readv") == 0 || strcmp(name, "writev") == 0;
    bool in = name[0] == 'r';
    if (n < 3) return "read/write/recv/send need (fd, buf, count[, flags])";
    k->op = in ? PKS_OP_RECV : PKS_OP_SEND;
    k->n[0] = vec ? iov_len(args[1]) : atol(args[2]);
    k->nn = 1;
    if (!in && !vec && args[1][0] == '"') {     /* our extension: write(4, "text", 4) sends these bytes */
        size_t len = strlen(args[1]), m = 0;
        if (len < 2 || args[1][len - 1] != '"') return "unterminated string";
        k->text = malloc(len);
        if (!k->text) return "out of memory";
        for (size_t i = 1; i + 1 < len; i++) {
            char ch = args[1][i];
            if (ch == '\\' && i + 2 < len) {
                ch = args[1][++i];
                ch = ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 't' ? '\t' : ch == '0' ? '\0' : ch;
            }
            k->text[m++] = ch;
        }
        k->text[m] = 0;
        k->text_len = m;
        if ((long)k->text_len != k->n[0]) return "the count differs from the string's length";
    }
    if (k->n[0] < 0) return "bad iovec";
    if ((strcmp(name, "recv") == 0 || strcmp(name, "send") == 0) && n >= 4 && !mask(args[3], &k->flags))
        return "unknown recv/send flags";
    return NULL;
}

/* getsockopt(fd, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, ...}, ...): the state by
 * name (Linux's TCP_* or our TCPI_* names; numbers differ between systems and are refused). */
static const char *tcp_info_arg(const char *a, bool get, struct pks_call *k)
{
    static const struct { const char *name, *ours; } names[] = {
        {"TCP_ESTABLISHED", "ESTABLISHED"}, {"TCP_SYN_SENT", "SYN_SENT"}, {"TCP_SYN_RECV", "SYN_RECEIVED"},
        {"TCP_FIN_WAIT1", "FIN_WAIT_1"}, {"TCP_FIN_WAIT2", "FIN_WAIT_2"}, {"TCP_TIME_WAIT", "TIME_WAIT"},
        {"TCP_CLOSE", "CLOSED"}, {"TCP_CLOSE_WAIT", "CLOSE_WAIT"}, {"TCP_LAST_ACK", "LAST_ACK"},
        {"TCP_LISTEN", "LISTEN"}, {"TCP_CLOSING", "CLOSING"},
    };
    if (!get) return "TCP_INFO can only be read";
    const char *v = strstr(a, "tcpi_state=");
    if (!v) { k->val_any = true; return NULL; }                /* nothing asked of it */
    v += 11;
    char st[32];
    size_t n = 0;
    while ((isalnum((unsigned char)*v) || *v == '_') && n < sizeof st - 1) st[n++] = *v++;
    st[n] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(st, names[i].name) == 0) { k->text = strdup(names[i].ours); return NULL; }
    if (strncmp(st, "TCPI_", 5) == 0) { k->text = strdup(st + 5); return NULL; }
    return "tcpi_state: write the state's name (TCP_ESTABLISHED ...), numbers differ between systems";
}

static const char *sockopt_call(bool get, char args[MAX_ARGS][96], int n, struct pks_call *k)
{
    if (n < 5) return "get/setsockopt need (fd, level, name, value, length)";
    k->op = get ? PKS_OP_GETSOCKOPT : PKS_OP_SETSOCKOPT;
    k->opt = opt_code(args[2]);
    if (k->opt == PKS_SO_NONE) { k->text = strdup(args[2]); return NULL; }   /* runner: SKIP */
    if (k->opt == PKS_TCP_INFO) return tcp_info_arg(args[3], get, k);
    if (k->opt == PKS_TCP_CONGESTION) {                 /* "bbr": the controller's name (Linux) */
        size_t len = strlen(args[3]);
        if (get || len < 3 || args[3][0] != '"' || args[3][len - 1] != '"')
            return "TCP_CONGESTION: setsockopt with a quoted name, as in \"bbr\"";
        k->text = strndup(args[3] + 1, len - 2);
        return k->text ? NULL : "out of memory";
    }
    return bracket_value(args[3], k);
}

static const char *poll_call(char args[MAX_ARGS][96], struct pks_call *k)
{
    const char *a = args[0];
    const char *fd = strstr(a, "fd="), *ev = strstr(a, "events="), *rev = strstr(a, "revents=");
    if (!fd || !ev) return "poll needs [{fd=N, events=..., revents=...}]";
    k->op = PKS_OP_POLL;
    k->fd = atoi(fd + 3);
    char buf[64];
    size_t i = 0;
    for (const char *q = ev + 7; *q && *q != ',' && *q != '}' && i < sizeof buf - 1; q++) buf[i++] = *q;
    buf[i] = 0;
    if (!mask(buf, &k->flags)) return "unknown poll events";
    i = 0;
    if (rev)
        for (const char *q = rev + 8; *q && *q != ',' && *q != '}' && i < sizeof buf - 1; q++) buf[i++] = *q;
    buf[i] = 0;
    if (!mask(buf, &k->val)) return "unknown poll revents";
    return NULL;
}

const char *pks_pd_call(const char *name, const char **p, struct pks_call *k)
{
    char args[MAX_ARGS][96];
    int n = split_args(p, args);
    if (n < 0) return "bad argument list";
    const char *err = NULL;
    if (strcmp(name, "socket") == 0) k->op = PKS_OP_SOCKET;
    else if (strcmp(name, "poll") == 0) err = n < 1 ? "poll needs arguments" : poll_call(args, k);
    else if (n < 1 || (err = fd_arg(args[0], k))) return err ? err : "missing descriptor";
    else if (strcmp(name, "bind") == 0) k->op = PKS_OP_BIND;
    else if (strcmp(name, "listen") == 0) { k->op = PKS_OP_LISTEN; k->backlog = n > 1 ? atol(args[1]) : 1; }
    else if (strcmp(name, "accept") == 0) k->op = PKS_OP_ACCEPT;
    else if (strcmp(name, "connect") == 0) k->op = PKS_OP_CONNECT;
    else if (strcmp(name, "close") == 0) k->op = PKS_OP_CLOSE;
    else if (strcmp(name, "shutdown") == 0) {
        k->op = PKS_OP_SHUTDOWN;
        k->flags = n > 1 && strcmp(args[1], "SHUT_RD") == 0 ? 0 : n > 1 && strcmp(args[1], "SHUT_RDWR") == 0 ? 2 : 1;
    } else if (strcmp(name, "fcntl") == 0) {
        k->op = PKS_OP_FCNTL;
        k->opt = n > 1 ? opt_code(args[1]) : PKS_SO_NONE;
        if (k->opt != PKS_F_GETFL && k->opt != PKS_F_SETFL) return "fcntl: F_GETFL or F_SETFL";
        if (k->opt == PKS_F_SETFL && (n < 3 || !mask(args[2], &k->flags))) return "fcntl F_SETFL needs flags";
    } else if (strcmp(name, "getsockopt") == 0 || strcmp(name, "setsockopt") == 0) {
        err = sockopt_call(name[0] == 'g', args, n, k);
    } else err = io_call(name, args, n, k);
    if (err) return err;
    return result(p, k);
}

/* ---- shell commands ---- */

/* FreeBSD sysctls whose value in the scripts is what tapstack does anyway: accepted, ignored. */
static const struct { const char *name; long value; } same_as_ours[] = {
    {"net.inet.tcp.rfc1323", 1},          /* window scale and timestamps negotiated */
    {"net.inet.tcp.sack.enable", 1},      /* SACK negotiated */
    {"net.inet.tcp.blackhole", 0},        /* RST for closed ports */
    {"net.inet.tcp.ecn.enable", 2},       /* never ask for ECN (we do not do it) */
    {"kern.ipc.maxsockbuf", 2097152},     /* buffer limits: not compared (lenient) */
    {"net.inet.tcp.recvspace", 65536},
    {"net.inet.tcp.sendspace", 32768},
    {"net.inet.tcp.hostcache.purgenow", 1},   /* we keep no host cache */
    {"net.inet.tcp.rexmit_initial", 1000},    /* initial RTO 1 s (RFC 6298 §2.1) */
    {"net.inet.tcp.delacktime", 40},          /* TS_TCP_DELACK is 40 ms */
};

static const char *sysctl(const char *a, struct pks_call *k, char **skip)
{
    char name[96];
    const char *eq = strchr(a, '=');
    if (!eq || (size_t)(eq - a) >= sizeof name) return "sysctl -w NAME=VALUE";
    memcpy(name, a, (size_t)(eq - a));
    name[eq - a] = 0;
    long v = atol(eq + 1);
    for (size_t i = 0; i < sizeof same_as_ours / sizeof same_as_ours[0]; i++)
        if (strcmp(name, same_as_ours[i].name) == 0 && v == same_as_ours[i].value) {
            k->op = PKS_OP_KNOB;              /* nothing to switch: text stays NULL */
            return NULL;
        }
    static const char *const knobs[] = {"insecure_rst", "insecure_syn", "drop_synfin"};
    const char *base = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    if (strcmp(name, "net.ipv4.tcp_rfc1337") == 0) {   /* Linux's name for the rfc1337 knob */
        k->op = PKS_OP_KNOB;
        k->text = strdup("rfc1337");
        k->val = v;
        return NULL;
    }
    for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++)
        if (strncmp(name, "net.inet.tcp.", 13) == 0 && strcmp(base, knobs[i]) == 0) {
            k->op = PKS_OP_KNOB;
            k->text = strdup(knobs[i]);
            k->val = v;
            return NULL;
        }
    if (!*skip) {
        size_t n = strlen(name) + 64;
        *skip = malloc(n);
        if (*skip) snprintf(*skip, n, "sysctl %s=%ld (a FreeBSD knob tapstack does not have)", name, v);
    }
    k->op = PKS_OP_KNOB;
    return NULL;
}

/* `sockstat ... | grep -c STATE | grep N`: how many connections are in STATE. */
static const char *sockstat(const char *a, struct pks_call *k)
{
    const char *c = strstr(a, "grep -c ");
    if (!c) return "sockstat: only '| grep -c STATE | grep N' is understood";
    c += 8;
    char st[32];
    size_t n = 0;
    while ((isalnum((unsigned char)*c) || *c == '_') && n < sizeof st - 1) st[n++] = *c++;
    st[n] = 0;
    const char *g = strstr(c, "grep ");
    if (!g) return "sockstat: '| grep N' missing";
    k->op = PKS_OP_COUNT_STATE;
    k->text = strdup(strcmp(st, "SYN_RCVD") == 0 ? "SYN_RECEIVED" : st);
    k->val = atol(g + 5);
    return NULL;
}

const char *pks_pd_shell(const char **p, struct pks_call *k, char **skip)
{
    const char *s = *p, *e = strchr(s, '`');
    if (!e) return "unterminated `command`";
    char cmd[256];
    size_t n = (size_t)(e - s) < sizeof cmd - 1 ? (size_t)(e - s) : sizeof cmd - 1;
    memcpy(cmd, s, n);
    cmd[n] = 0;
    *p = e + 1;
    if (strncmp(cmd, "sysctl -w ", 10) == 0) return sysctl(cmd + 10, k, skip);
    if (strncmp(cmd, "sockstat ", 9) == 0) return sockstat(cmd, k);
    if (!*skip) {
        *skip = malloc(n + 32);
        if (*skip) snprintf(*skip, n + 32, "shell command `%s`", cmd);
    }
    k->op = PKS_OP_KNOB;
    return NULL;
}

/* %{ assert tcpi_state == TCPI_NAME }% (the only Python packetdrill scripts here use). */
const char *pks_pd_python(const char **p, struct pks_call *k)
{
    const char *s = *p, *e = strstr(s, "}%");
    if (!e) return "unterminated %{ }%";
    const char *a = strstr(s, "tcpi_state");
    const char *v = a ? strstr(a, "TCPI_") : NULL;
    if (!a || !v || v > e || !strstr(a, "==")) return "%{ }%: only 'assert tcpi_state == TCPI_X' is understood";
    v += 5;
    char st[32];
    size_t n = 0;
    while ((isalnum((unsigned char)*v) || *v == '_') && n < sizeof st - 1) st[n++] = *v++;
    st[n] = 0;
    k->op = PKS_OP_ASSERT_STATE;
    k->text = strdup(st);
    *p = e + 2;
    return NULL;
}
