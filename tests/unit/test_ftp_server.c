/*
 * The FTP server against a scripted socket layer: this file defines every socket.h function
 * the server calls (so no part of the real core is linked in), lets a test play the client's
 * side, and checks replies, data connections and timeouts deterministically.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/ftp/ftp_fs.h"
#include "apps/ftp/ftp_server.h"
#include "lib/tmptree.h"

/* ---- the scripted socket layer ---- */

#define SERVER_IP 0x0a000002u   /* 10.0.0.2 */
#define CLIENT_IP 0x0a000001u   /* 10.0.0.1 */
#define OTHER_IP  0x0a000063u   /* 10.0.0.99 */

struct ts_sock {
    bool listener, released, aborted;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    ts_sock_cb cb;
    void *arg;
    char sent[1 << 19];          /* what the server sent */
    size_t sent_len, sent_read;
    size_t space;                /* how much ts_tcp_send takes per call (0 = unlimited) */
    bool blocked;                /* ts_tcp_send says EAGAIN */
    char in[4096];               /* what the client sent, not yet read by the server */
    size_t in_len, in_off;
    bool in_eof;
    bool unacked;                /* ts_tcp_send_queued: the peer has not acknowledged what was sent */
    struct ts_sock *queue[8];    /* listener: connections to accept */
    int nqueue;
};

static struct world {
    struct ts_sock *socks[64];
    int nsocks;
    uint16_t next_port;
    int connect_error;           /* what ts_tcp_connect returns */
    struct ts_sock *last_connect;
} W;

static struct ts_sock *new_sock(void)
{
    assert_true(W.nsocks < 64);
    struct ts_sock *k = calloc(1, sizeof *k);
    assert_non_null(k);
    W.socks[W.nsocks++] = k;
    return k;
}

int ts_tcp_listen(struct ts_stack *s, uint32_t laddr, uint16_t lport, unsigned backlog,
                  ts_sock_cb cb, void *arg, struct ts_sock **out)
{
    (void)s; (void)backlog;
    for (int i = 0; i < W.nsocks; i++)
        if (W.socks[i]->listener && !W.socks[i]->released && W.socks[i]->lport == lport && lport)
            return -TS_EADDRINUSE;
    struct ts_sock *k = new_sock();
    k->listener = true;
    k->laddr = laddr;
    k->lport = lport ? lport : W.next_port++;
    k->cb = cb;
    k->arg = arg;
    *out = k;
    return 0;
}

struct ts_sock *ts_tcp_accept(struct ts_sock *l, ts_sock_cb cb, void *arg)
{
    assert_false(l->released);
    if (l->nqueue == 0) return NULL;
    struct ts_sock *k = l->queue[0];
    memmove(l->queue, l->queue + 1, sizeof l->queue[0] * (size_t)--l->nqueue);
    k->cb = cb;
    k->arg = arg;
    return k;
}

int ts_tcp_connect(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport, uint32_t raddr,
                   uint16_t rport, ts_sock_cb cb, void *arg, struct ts_sock **out)
{
    (void)s; (void)now;
    if (W.connect_error) return W.connect_error;
    struct ts_sock *k = new_sock();
    k->laddr = laddr ? laddr : SERVER_IP;
    k->lport = lport;
    k->raddr = raddr;
    k->rport = rport;
    k->cb = cb;
    k->arg = arg;
    W.last_connect = k;
    *out = k;
    return 0;
}

long ts_tcp_send(struct ts_sock *k, ts_time_t now, const void *buf, size_t len)
{
    (void)now;
    assert_false(k->released);
    if (k->blocked) return -TS_EAGAIN;
    if (k->space && len > k->space) len = k->space;
    if (len > sizeof k->sent - k->sent_len) len = sizeof k->sent - k->sent_len;
    if (len == 0) return -TS_EAGAIN;
    memcpy(k->sent + k->sent_len, buf, len);
    k->sent_len += len;
    return (long)len;
}

long ts_tcp_recv(struct ts_sock *k, ts_time_t now, void *buf, size_t len)
{
    (void)now;
    assert_false(k->released);
    size_t n = k->in_len - k->in_off;
    if (n == 0) return k->in_eof ? 0 : -TS_EAGAIN;
    if (n > len) n = len;
    memcpy(buf, k->in + k->in_off, n);
    k->in_off += n;
    return (long)n;
}

int ts_tcp_set_buffers(struct ts_sock *k, size_t sndbuf, size_t rcvbuf)
{
    assert_true(k->listener);
    assert_true(sndbuf >= 4096 && rcvbuf >= 4096);
    return 0;
}

size_t ts_tcp_send_queued(const struct ts_sock *k)
{
    return k->unacked ? k->sent_len : 0;
}

size_t ts_tcp_recv_avail(const struct ts_sock *k)
{
    return k->in_len - k->in_off;
}

void ts_tcp_close(struct ts_sock *k, ts_time_t now)
{
    (void)now;
    assert_false(k->released);
    k->released = true;
}

void ts_tcp_abort(struct ts_sock *k, ts_time_t now)
{
    (void)now;
    assert_false(k->released);
    k->released = k->aborted = true;
}

void ts_sock_set_callback(struct ts_sock *k, ts_sock_cb cb, void *arg)
{
    k->cb = cb;
    k->arg = arg;
}

void ts_sock_name(const struct ts_sock *k, uint32_t *laddr, uint16_t *lport, uint32_t *raddr, uint16_t *rport)
{
    if (laddr) *laddr = k->laddr;
    if (lport) *lport = k->lport;
    if (raddr) *raddr = k->raddr;
    if (rport) *rport = k->rport;
}

char *ts_ip_str(uint32_t ip, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

const struct ts_config *ts_stack_config(const struct ts_stack *s)
{
    (void)s;
    return NULL;                /* the defaults */
}

const char *ts_strerror(int err)
{
    (void)err;
    return "error";
}

/* ---- the client's side ---- */

static ts_time_t NOW = 1000000;

static void event(struct ts_sock *k, unsigned ev)
{
    assert_false(k->released);
    k->cb(k->arg, k, ev, NOW);
}

/* A connection from raddr:rport arrives at a listener. */
static struct ts_sock *arrive(struct ts_sock *l, uint32_t raddr, uint16_t rport)
{
    struct ts_sock *k = new_sock();
    k->laddr = SERVER_IP;
    k->lport = l->lport;
    k->raddr = raddr;
    k->rport = rport;
    l->queue[l->nqueue++] = k;
    event(l, TS_EV_READABLE);
    return k;
}

static void say(struct ts_sock *k, const char *text)
{
    size_t n = strlen(text);
    assert_true(k->in_len + n <= sizeof k->in);
    memcpy(k->in + k->in_len, text, n);
    k->in_len += n;
    event(k, TS_EV_READABLE);
}

/* What the server sent since the last call, as a string. */
static const char *heard(struct ts_sock *k)
{
    static char buf[(1 << 19) + 1];
    size_t n = k->sent_len - k->sent_read;
    memcpy(buf, k->sent + k->sent_read, n);
    buf[n] = '\0';
    k->sent_read = k->sent_len;
    return buf;
}

static void expect_heard(struct ts_sock *k, const char *want)
{
    const char *got = heard(k);
    if (strcmp(got, want) != 0) fail_msg("heard \"%s\", want \"%s\"", got, want);
}

/* Expect a reply starting with the code (and checks it is a complete single line). */
static void expect_code(struct ts_sock *k, const char *code)
{
    const char *got = heard(k);
    size_t n = strlen(got);
    if (strncmp(got, code, 3) != 0 || got[3] != ' ' || n < 6 || strcmp(got + n - 2, "\r\n") != 0 ||
        strchr(got, '\n') != got + n - 1)
        fail_msg("heard \"%s\", want one %s line", got, code);
}

struct fixture {
    struct ts_app app;
    struct ts_sock *listener;
    struct ts_sock *ctrl;
    char root[64];
};

static struct ts_sock *find_listener(uint16_t port)
{
    for (int i = W.nsocks - 1; i >= 0; i--)
        if (W.socks[i]->listener && W.socks[i]->lport == port && !W.socks[i]->released) return W.socks[i];
    return NULL;
}

static void start(struct fixture *fx, struct ts_ftp_opts *o)
{
    memset(&W, 0, sizeof W);
    W.next_port = 50000;
    NOW = 1000000;
    o->root = fx->root;
    assert_int_equal(ts_ftp_start(NULL, NOW, o, &fx->app), 0);
    assert_string_equal(fx->app.name, "ftp");
    fx->listener = find_listener(o->port ? o->port : 21);
    assert_non_null(fx->listener);
    assert_int_equal(fx->app.poll_at(fx->app.ctx), TS_TIME_NEVER);
}

static struct ts_sock *connect_ctrl(struct fixture *fx)
{
    struct ts_sock *c = arrive(fx->listener, CLIENT_IP, 40000);
    expect_heard(c, "220 tapstack FTP server ready.\r\n");
    return c;
}

static void login(struct ts_sock *c)
{
    say(c, "USER anonymous\r\n");
    expect_code(c, "331");
    say(c, "PASS me@example.com\r\n");
    expect_heard(c, "230 Login successful.\r\n");
}

/* A server with the default options and an anonymous session on it: its control connection. */
static struct ts_sock *logged_in(struct fixture *fx)
{
    struct ts_ftp_opts o = {0};
    start(fx, &o);
    struct ts_sock *c = connect_ctrl(fx);
    login(c);
    return c;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    tree_new(fx->root, sizeof fx->root, "ftp-server");
    tree_file(fx->root, "hello.txt", "hello\nworld\n");
    tree_dir(fx->root, "sub");
    tree_file(fx->root, "sub/x.txt", "x");
    char p[200];
    FILE *f;
    snprintf(p, sizeof p, "%s/big.bin", fx->root);
    assert_non_null(f = fopen(p, "w"));
    for (uint64_t i = 0; i < 300000; i++) fputc(ftp_fs_sample_byte(i), f);
    fclose(f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (fx->app.stop) fx->app.stop(fx->app.ctx, NOW);
    for (int i = 0; i < W.nsocks; i++) {
        if (!W.socks[i]->released) fail_msg("socket %d still open after stop", i);
        free(W.socks[i]);
    }
    tree_remove(fx->root);
    free(fx);
    return 0;
}

/* ---- tests ---- */

static void test_login_and_basics(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {0};
    start(fx, &o);
    struct ts_sock *c = connect_ctrl(fx);
    say(c, "PWD\r\n");
    expect_heard(c, "530 Please login with USER and PASS.\r\n");
    say(c, "RETR hello.txt\r\n");
    expect_code(c, "530");
    say(c, "PASS x\r\n");
    expect_heard(c, "503 Login with USER first.\r\n");
    say(c, "FEAT\r\n");
    expect_heard(c, "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n");
    login(c);
    say(c, "SYST\r\n");
    expect_heard(c, "215 UNIX Type: L8\r\n");
    say(c, "PWD\r\n");
    expect_heard(c, "257 \"/\" is the current directory.\r\n");
    say(c, "CWD sub\r\nPWD\r\n");       /* two commands in one segment */
    expect_heard(c, "250 Directory successfully changed.\r\n257 \"/sub\" is the current directory.\r\n");
    say(c, "CDUP\r\n");
    expect_code(c, "250");
    say(c, "CDUP\r\n");                 /* nothing above the root */
    expect_heard(c, "550 Permission denied.\r\n");
    say(c, "SIZE hello.txt\r\n");
    expect_heard(c, "213 12\r\n");
    say(c, "SIZE sub\r\n");
    expect_code(c, "550");
    say(c, "MDTM hello.txt\r\n");
    const char *m = heard(c);
    assert_int_equal(strlen(m), 20);
    assert_memory_equal(m, "213 20", 6);
    say(c, "TYPE I\r\nTYPE X\r\nTYPE E\r\nMODE S\r\nMODE B\r\nSTRU F\r\nSTRU Q\r\n");
    expect_heard(c, "200 Switching to Binary mode.\r\n501 Unrecognised TYPE command.\r\n"
                    "504 TYPE not implemented for that parameter.\r\n200 Mode set to S.\r\n"
                    "504 MODE B not implemented.\r\n200 Structure set to F.\r\n501 Bad STRU parameter.\r\n");
    say(c, "OPTS UTF8 ON\r\nNOOP\r\nSITE CHMOD 777 x\r\nRETR\r\n");
    expect_heard(c, "200 Always in UTF8 mode.\r\n200 NOOP ok.\r\n502 Command not implemented.\r\n"
                    "501 Syntax error in parameters or arguments.\r\n");
    say(c, "STOR x\r\nDELE hello.txt\r\nMKD d\r\n");       /* not writable */
    expect_heard(c, "550 Permission denied.\r\n550 Permission denied.\r\n550 Permission denied.\r\n");
    say(c, "RETR hello.txt\r\n");       /* no PASV/PORT yet */
    expect_heard(c, "425 Use PORT or PASV first.\r\n");
    say(c, "QUIT\r\n");
    expect_heard(c, "221 Goodbye.\r\n");
    assert_true(c->released);
    assert_false(c->aborted);
}

static void test_hostile_lines(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {0};
    start(fx, &o);
    struct ts_sock *c = connect_ctrl(fx);
    char line[700];
    memset(line, 'A', 600);
    strcpy(line + 600, "\r\nNOOP\r\n");
    say(c, line);
    expect_heard(c, "500 Command line too long.\r\n200 NOOP ok.\r\n");
    say(c, "USER a\rb\r\n");
    expect_heard(c, "501 CR, LF or NUL inside the command line.\r\n");
    say(c, "\r\n \r\nRETRIEVE x\r\n");
    expect_heard(c, "500 Syntax error, command unrecognized.\r\n500 Syntax error, command unrecognized.\r\n"
                    "500 Syntax error, command unrecognized.\r\n");
    login(c);
    say(c, "CWD ..\r\nRETR ../../../../etc/passwd\r\nCWD /../..\r\nSIZE ../x\r\n");
    expect_heard(c, "550 Permission denied.\r\n550 Permission denied.\r\n550 Permission denied.\r\n"
                    "550 Permission denied.\r\n");
    say(c, "PWD\r\n");
    expect_code(c, "257");
}

static void test_failed_logins(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {.user = "bob", .password = "s3cret", .max_login_failures = 3};
    start(fx, &o);
    struct ts_sock *c = connect_ctrl(fx);
    say(c, "USER anonymous\r\nPASS x\r\n");        /* anonymous is off when there is an account */
    expect_heard(c, "331 Please specify the password.\r\n530 Login incorrect.\r\n");
    say(c, "USER bob\r\nPASS s3cre\r\n");
    expect_heard(c, "331 Please specify the password.\r\n530 Login incorrect.\r\n");
    say(c, "USER bob\r\nPASS wrong\r\nNOOP\r\n");
    expect_heard(c, "331 Please specify the password.\r\n421 Too many failed logins, closing the control connection.\r\n");
    assert_true(c->released);
    /* the right password works on a new session */
    struct ts_sock *c2 = arrive(fx->listener, CLIENT_IP, 40001);
    heard(c2);
    say(c2, "USER bob\r\nPASS s3cret\r\n");
    expect_heard(c2, "331 Please specify the password.\r\n230 Login successful.\r\n");
}

/* PASV, then a connection from the client; returns it. */
static struct ts_sock *pasv_connect(struct ts_sock *c, bool epsv)
{
    say(c, epsv ? "EPSV\r\n" : "PASV\r\n");
    const char *r = heard(c);
    unsigned port;
    if (epsv) {
        assert_int_equal(sscanf(r, "229 Entering Extended Passive Mode (|||%u|)", &port), 1);
    } else {
        unsigned a, b, cc, d, p1, p2;
        assert_int_equal(sscanf(r, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).", &a, &b, &cc, &d, &p1, &p2), 6);
        assert_int_equal(a << 24 | b << 16 | cc << 8 | d, SERVER_IP);
        port = p1 * 256 + p2;
    }
    struct ts_sock *l = find_listener((uint16_t)port);
    assert_non_null(l);
    assert_int_equal(l->laddr, SERVER_IP);
    /* a stranger first: refused */
    struct ts_sock *bad = arrive(l, OTHER_IP, 5555);
    assert_true(bad->aborted);
    assert_false(l->released);
    struct ts_sock *d = arrive(l, CLIENT_IP, 41000);
    assert_false(d->released);
    assert_true(l->released);           /* exactly one data connection */
    return d;
}

static void test_pasv_retr_list(void **state)
{
    struct fixture *fx = *state;
    struct ts_sock *c = logged_in(fx);
    struct ts_sock *d = pasv_connect(c, false);
    say(c, "RETR hello.txt\r\n");      /* TYPE A: LF goes out as CRLF */
    assert_string_equal(heard(d), "hello\r\nworld\r\n");
    assert_true(d->released);
    assert_false(d->aborted);
    expect_heard(c, "150 Opening ASCII mode data connection for hello.txt (12 bytes).\r\n226 Transfer complete.\r\n");

    d = pasv_connect(c, true);
    say(c, "NLST\r\n");
    assert_string_equal(heard(d), "big.bin\r\nhello.txt\r\nsub\r\n");
    expect_heard(c, "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n");

    d = pasv_connect(c, true);
    say(c, "LIST -la sub\r\n");
    const char *l = heard(d);
    assert_memory_equal(l, "-rw-r--r--   1 ftp      ftp                 1 ", 44);
    assert_string_equal(l + strlen(l) - 8, " x.txt\r\n");
    expect_heard(c, "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n");

    /* a binary file through a connection that takes a little at a time */
    say(c, "TYPE I\r\n");
    heard(c);
    d = pasv_connect(c, false);
    d->space = 1000;
    d->blocked = true;
    say(c, "REST 1000\r\nRETR big.bin\r\n");
    expect_heard(c, "350 Restart position accepted (1000).\r\n"
                    "150 Opening BINARY mode data connection for big.bin (299000 bytes).\r\n");
    for (int i = 0; i < 1000 && !d->released; i++) {
        d->blocked = false;
        event(d, TS_EV_WRITABLE);
    }
    assert_true(d->released);
    assert_int_equal(d->sent_len, 299000);
    for (size_t i = 0; i < d->sent_len; i++)
        if ((uint8_t)d->sent[i] != ftp_fs_sample_byte(i + 1000)) fail_msg("byte %zu differs", i);
    expect_heard(c, "226 Transfer complete.\r\n");
}

static void test_active_mode(void **state)
{
    struct fixture *fx = *state;
    struct ts_sock *c = logged_in(fx);
    say(c, "PORT 10,0,0,99,200,10\r\n");           /* another host: FTP bounce */
    expect_heard(c, "500 Illegal PORT command: only to your own address and a port >= 1024.\r\n");
    say(c, "EPRT |1|10.0.0.1|1023|\r\n");          /* a privileged port */
    expect_code(c, "500");
    say(c, "PORT 10,0,0,1,4\r\nEPRT |2|::1|5000|\r\nEPRT |1|10.0.0.1|x|\r\n");
    expect_heard(c, "501 Bad PORT argument.\r\n522 Network protocol not supported, use (1).\r\n501 Bad EPRT argument.\r\n");
    say(c, "RETR hello.txt\r\n");
    expect_code(c, "425");
    assert_null(W.last_connect);
    say(c, "PORT 10,0,0,1,200,10\r\n");
    expect_heard(c, "200 PORT command successful. Consider using PASV.\r\n");
    say(c, "TYPE I\r\nRETR hello.txt\r\n");
    struct ts_sock *d = W.last_connect;
    assert_non_null(d);
    assert_int_equal(d->lport, 20);
    assert_int_equal(d->laddr, SERVER_IP);
    assert_int_equal(d->raddr, CLIENT_IP);
    assert_int_equal(d->rport, 200 * 256 + 10);
    expect_heard(c, "200 Switching to Binary mode.\r\n"
                    "150 Opening BINARY mode data connection for hello.txt (12 bytes).\r\n");
    event(d, TS_EV_CONNECTED | TS_EV_WRITABLE);
    assert_string_equal(heard(d), "hello\nworld\n");
    assert_true(d->released);
    expect_heard(c, "226 Transfer complete.\r\n");
    /* a connection that fails */
    say(c, "EPRT |1|10.0.0.1|50001|\r\n");
    expect_code(c, "200");
    say(c, "RETR hello.txt\r\n");
    d = W.last_connect;
    heard(c);
    event(d, TS_EV_ERROR);
    assert_true(d->released);
    expect_heard(c, "425 Cannot open data connection.\r\n");
}

static void test_deferred_and_abort(void **state)
{
    struct fixture *fx = *state;
    struct ts_sock *c = logged_in(fx);
    say(c, "TYPE I\r\nPASV\r\n");
    const char *r = heard(c);
    unsigned a, b, cc, dd, p1, p2;
    assert_int_equal(sscanf(strchr(r, '\n') + 1, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).", &a, &b, &cc, &dd, &p1, &p2), 6);
    struct ts_sock *l = find_listener((uint16_t)(p1 * 256 + p2));
    /* RETR before the data connection, and a PWD pipelined behind it: PWD waits */
    say(c, "RETR hello.txt\r\nPWD\r\n");
    expect_code(c, "150");
    struct ts_sock *d = arrive(l, CLIENT_IP, 41001);
    assert_string_equal(heard(d), "hello\nworld\n");
    expect_heard(c, "226 Transfer complete.\r\n257 \"/\" is the current directory.\r\n");
    /* ABOR during a transfer that does not move */
    d = pasv_connect(c, false);
    d->blocked = true;
    say(c, "RETR big.bin\r\n");
    expect_code(c, "150");
    say(c, "STAT\r\n");
    assert_non_null(strstr(heard(c), "Transfer: in progress"));
    say(c, "ABOR\r\n");
    assert_true(d->aborted);
    expect_heard(c, "426 Transfer aborted, data connection closed.\r\n226 Abort successful.\r\n");
    say(c, "ABOR\r\n");
    expect_heard(c, "225 No transfer to abort.\r\n");
    /* the data connection never comes: 425 after the data timeout */
    say(c, "PASV\r\n");
    heard(c);
    say(c, "RETR hello.txt\r\n");
    expect_code(c, "150");
    ts_time_t t = fx->app.poll_at(fx->app.ctx);
    assert_int_equal(t, NOW + TS_SEC(30));
    NOW = t;
    fx->app.poll(fx->app.ctx, NOW);
    expect_heard(c, "425 Cannot open data connection.\r\n");
}

/* Full: a newcomer evicts the session idle longest that has not logged in, then an idle
 * logged-in one, never one with a transfer; with nothing evictable it gets 421. Timeouts: login
 * (10 s, a quarter at 3/4 of the limit) and idle (from the last command). */
static void test_timeouts_and_eviction(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {.max_sessions = 2, .idle_timeout = TS_SEC(60)};
    start(fx, &o);
    struct ts_sock *c1 = connect_ctrl(fx);                 /* never logs in */
    NOW += TS_SEC(1);
    struct ts_sock *c2 = arrive(fx->listener, CLIENT_IP, 40002);
    heard(c2);
    login(c2);
    NOW += TS_SEC(1);
    struct ts_sock *c3 = arrive(fx->listener, CLIENT_IP, 40003);
    expect_code(c3, "220");                                /* admitted: c1 made room */
    assert_true(c1->aborted);
    assert_false(c2->released);
    NOW += TS_SEC(1);
    struct ts_sock *c4 = arrive(fx->listener, CLIENT_IP, 40004);
    expect_code(c4, "220");                                /* c3 (no login) goes before c2 */
    assert_true(c3->aborted);
    assert_false(c2->released);
    /* 2 of 2: the login timeout is a quarter of 10 s */
    assert_int_equal(fx->app.poll_at(fx->app.ctx), NOW + TS_MS(2500));
    NOW += TS_MS(2500);
    fx->app.poll(fx->app.ctx, NOW);
    expect_heard(c4, "421 Timeout: closing the control connection.\r\n");
    assert_true(c4->released);
    /* 1 of 2: c2's idle timeout runs from its last command */
    say(c2, "NOOP\r\n");
    heard(c2);
    assert_int_equal(fx->app.poll_at(fx->app.ctx), NOW + TS_SEC(60));
    NOW += TS_SEC(60) - 1;
    fx->app.poll(fx->app.ctx, NOW);
    assert_false(c2->released);
    /* a transfer that does not move is never evicted */
    struct ts_sock *d = pasv_connect(c2, false);
    d->blocked = true;
    say(c2, "RETR big.bin\r\n");
    expect_code(c2, "150");
    struct ts_sock *c5 = arrive(fx->listener, CLIENT_IP, 40005);
    expect_code(c5, "220");
    login(c5);
    struct ts_sock *c6 = arrive(fx->listener, CLIENT_IP, 40006);
    expect_code(c6, "220");                                /* c5, idle, goes; c2 stays */
    assert_true(c5->aborted);
    assert_false(c2->released);
    login(c6);
    struct ts_sock *d6 = pasv_connect(c6, false);
    d6->blocked = true;
    say(c6, "RETR big.bin\r\n");
    expect_code(c6, "150");
    struct ts_sock *c7 = arrive(fx->listener, CLIENT_IP, 40007);   /* both transfer: 421 */
    expect_heard(c7, "421 Too many connections, try again later.\r\n");
    assert_true(c7->released);
    assert_false(c2->released || c6->released);
    c6->in_eof = true;                                     /* the client goes: its session ends */
    event(c6, TS_EV_READABLE);
    assert_true(c6->released);
    assert_false(c2->released);
}

/* A session that has begun its login (USER sent) is not a ghost: a silent newer one goes before
 * it. Under a flood the silent ones turn over in tens of milliseconds; a real client that has
 * spoken must not be reset as the oldest of them (t_exhaust's probe was). */
static void test_login_begun_outranks_silent(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {.max_sessions = 2};
    start(fx, &o);
    struct ts_sock *c1 = connect_ctrl(fx);
    say(c1, "USER anonymous\r\n");
    expect_code(c1, "331");
    NOW += TS_SEC(1);
    struct ts_sock *c2 = arrive(fx->listener, CLIENT_IP, 40002);   /* silent */
    expect_code(c2, "220");
    NOW += TS_SEC(1);
    struct ts_sock *c3 = arrive(fx->listener, CLIENT_IP, 40003);
    expect_code(c3, "220");
    assert_true(c2->aborted);                              /* the silent one, though younger */
    assert_false(c1->released || c1->aborted);
    say(c1, "PASS x@\r\n");
    expect_code(c1, "230");
}

/* Among silent sessions, one whose client never acknowledged the banner (gone: a real client's
 * kernel acknowledges it whatever its program does) goes before an older one that did. */
static void test_unanswered_banner_goes_first(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {.max_sessions = 2};
    start(fx, &o);
    struct ts_sock *c1 = connect_ctrl(fx);                 /* silent, banner acknowledged */
    NOW += TS_SEC(1);
    struct ts_sock *c2 = arrive(fx->listener, OTHER_IP, 40002);
    expect_code(c2, "220");
    c2->unacked = true;                                    /* a ghost */
    NOW += TS_SEC(1);
    struct ts_sock *c3 = arrive(fx->listener, CLIENT_IP, 40003);
    expect_code(c3, "220");
    assert_true(c2->aborted);
    assert_false(c1->released);
}

static void test_writable(void **state)
{
    struct fixture *fx = *state;
    struct ts_ftp_opts o = {.writable = true};
    start(fx, &o);
    struct ts_sock *c = connect_ctrl(fx);
    login(c);
    say(c, "MKD up\r\nCWD up\r\n");
    expect_heard(c, "257 \"/up\" created.\r\n250 Directory successfully changed.\r\n");
    struct ts_sock *d = pasv_connect(c, false);
    say(c, "STOR a.txt\r\n");
    expect_heard(c, "150 Ok to send data.\r\n");
    memcpy(d->in, "line1\r\nline2\r", 13);      /* ASCII: CRLF becomes LF */
    d->in_len = 13;
    event(d, TS_EV_READABLE);
    memcpy(d->in + 13, "\nend", 4);
    d->in_len = 17;
    d->in_eof = true;
    event(d, TS_EV_READABLE);
    expect_heard(c, "226 Transfer complete.\r\n");
    assert_true(d->released);
    char p[200], got[64] = {0};
    snprintf(p, sizeof p, "%s/up/a.txt", fx->root);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, sizeof got, f), 15);
    fclose(f);
    assert_string_equal(got, "line1\nline2\nend");
    say(c, "RMD /up\r\nDELE a.txt\r\nDELE a.txt\r\nCDUP\r\nRMD up\r\nSTOR ../../evil\r\nMKD /\r\n");
    expect_heard(c, "550 Remove directory operation failed: Directory not empty.\r\n"
                    "250 Delete operation successful.\r\n"
                    "550 Delete operation failed: No such file or directory.\r\n"
                    "250 Directory successfully changed.\r\n"
                    "250 Remove directory operation successful.\r\n"
                    "550 Permission denied.\r\n"
                    "550 Create directory operation failed: Permission denied.\r\n");
}

static void test_stop_closes_everything(void **state)
{
    struct fixture *fx = *state;
    struct ts_sock *c = logged_in(fx);
    struct ts_sock *d = pasv_connect(c, false);
    d->blocked = true;
    say(c, "RETR big.bin\r\n");
    say(c, "PASV\r\n");                 /* deferred behind the transfer */
    fx->app.stop(fx->app.ctx, NOW);
    fx->app.stop = NULL;
    assert_true(d->released && d->aborted);
    assert_true(c->released);
    assert_true(fx->listener->released);
    /* teardown checks that every socket was released */
}

static void test_sample_tree_served(void **state)
{
    (void)state;
    memset(&W, 0, sizeof W);
    W.next_port = 50000;
    struct ts_app app;
    struct ts_ftp_opts o = {.port = 2121};
    assert_int_equal(ts_ftp_start(NULL, NOW, &o, &app), 0);
    struct ts_sock *l = find_listener(2121);
    assert_non_null(l);
    struct ts_sock *c = arrive(l, CLIENT_IP, 40000);
    heard(c);
    login(c);
    say(c, "SIZE /pub/files/1m.bin\r\nCWD /pub/files\r\nSIZE 8m.bin\r\n");
    expect_heard(c, "213 1048576\r\n250 Directory successfully changed.\r\n213 8388608\r\n");
    app.stop(app.ctx, NOW);
    for (int i = 0; i < W.nsocks; i++) {
        assert_true(W.socks[i]->released);
        free(W.socks[i]);
    }
    W.nsocks = 0;
    /* a taken port is reported */
    struct ts_sock *busy;
    assert_int_equal(ts_tcp_listen(NULL, 0, 21, 1, NULL, NULL, &busy), 0);
    struct ts_ftp_opts o2 = {0};
    const char *why = NULL;
    o2.why = &why;
    assert_int_equal(ts_ftp_start(NULL, NOW, &o2, &app), -TS_EADDRINUSE);
    assert_non_null(why);
    o2.port = 2121;
    o2.root = "/nonexistent/dir";
    assert_int_equal(ts_ftp_start(NULL, NOW, &o2, &app), -TS_EINVAL);
    free(busy);
    W.nsocks = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_and_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_logins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pasv_retr_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_and_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_and_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_begun_outranks_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_banner_goes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_closes_everything, setup, teardown),
        cmocka_unit_test(test_sample_tree_served),
    };
    return cmocka_run_group_tests_name("ftp_server", tests, NULL, NULL);
}
