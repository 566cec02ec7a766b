/*
 * Packet scripts: unit tests of the pktscript parser and frame helpers, then every script under
 * tests/scripts/tcp/ as its own test, reported by name. Scripts listed in tests/scripts/tcp/XFAIL
 * ("name.pkt: reason") are expected to fail; one that passes is reported as XPASS.
 *
 * Run one script verbosely:  build/asan/tests/test_pktscript tests/scripts/tcp/passive_open.pkt
 * Directory override:        PKTSCRIPT_DIR=... build/asan/tests/test_pktscript
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/frames.h"
#include "lib/pktscript.h"
#include "tapstack/socket.h"

/* ---- parser ---- */

static struct pks_script *parse_ok(const char *text)
{
    char err[256] = "";
    struct pks_script *sc = pks_parse("t", text, err, sizeof err);
    if (!sc) fail_msg("parse failed: %s", err);
    return sc;
}

static void parse_bad(const char *text, const char *needle)
{
    char err[256] = "";
    struct pks_script *sc = pks_parse("t", text, err, sizeof err);
    if (sc) { pks_free(sc); fail_msg("parsed but should not: %s", text); }
    if (!strstr(err, needle)) fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_parse_segments(void **state)
{
    struct pks_script *sc = parse_ok(
        "// header comment\n"
        "isn 4294967000\n"
        "0.100 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>\n"
        "+0.010 > S. 0:0(0) ack 1 win * <mss 1460,sackOK,...>\n"
        "+0 < P. 1:11(10) ack 1 win 1000 urg 3 <TS val 1 ecr 2,raw 02 00, eol> badsum\n"
        "+0.2~+0.4 > . 1:1(0) ack 11\n");
    assert_int_equal(sc->isn, 4294967000u);
    assert_int_equal(sc->n_ev, 4);
    const struct pks_event *e = &sc->ev[0];
    assert_int_equal(e->line, 3);
    assert_int_equal(e->kind, PKS_IN);
    assert_false(e->rel);
    assert_int_equal(e->t_us, 100000);
    assert_int_equal(e->seg.flags, FRM_SYN);
    assert_int_equal(e->seg.win, 65535);
    assert_int_equal(e->seg.n_opts, 3);
    assert_int_equal(e->seg.opts[0].kind, PKS_O_MSS);
    assert_int_equal(e->seg.opts[0].v[0], 1460);
    assert_int_equal(e->seg.opts[1].kind, PKS_O_NOP);
    assert_int_equal(e->seg.opts[2].kind, PKS_O_WS);
    assert_int_equal(e->seg.opts[2].v[0], 7);
    e = &sc->ev[1];
    assert_int_equal(e->kind, PKS_OUT);
    assert_true(e->rel);
    assert_int_equal(e->t_us, 10000);
    assert_int_equal(e->seg.flags, FRM_SYN | FRM_ACK);
    assert_true(e->seg.has_ack);
    assert_int_equal(e->seg.ack, 1);
    assert_true(e->seg.win == PKS_ANY);
    assert_int_equal(e->seg.n_opts, 3);
    assert_int_equal(e->seg.opts[2].kind, PKS_O_REST);
    e = &sc->ev[2];
    assert_int_equal(e->seg.flags, FRM_PSH | FRM_ACK);
    assert_int_equal(e->seg.seq, 1);
    assert_int_equal(e->seg.len, 10);
    assert_int_equal(e->seg.urg, 3);
    assert_true(e->seg.bad_csum);
    assert_int_equal(e->seg.opts[0].kind, PKS_O_TS);
    assert_int_equal(e->seg.opts[0].v[1], 2);
    assert_int_equal(e->seg.opts[1].kind, PKS_O_RAW);
    assert_int_equal(e->seg.opts[1].raw_len, 2);
    assert_int_equal(e->seg.opts[1].raw[0], 2);
    assert_int_equal(e->seg.opts[2].kind, PKS_O_EOL);
    e = &sc->ev[3];
    assert_true(e->has_hi && e->rel_hi);
    assert_int_equal(e->t_us, 200000);
    assert_int_equal(e->t_hi_us, 400000);
    assert_string_equal(e->src, "+0.2~+0.4 > . 1:1(0) ack 11");
    pks_free(sc);
}

static void test_parse_calls(void **state)
{
    struct pks_script *sc = parse_ok(
        "--ip_version=ipv4\n"
        "--tolerance_usecs=2000\n"
        "config tcp_msl 0.5\n"
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
        "+0 listen(3, 5) = 0\n"
        "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
        "+0 write(4, \"hi\\n\", 3) = 3\n"
        "+0 recv(4, ..., 1024, MSG_PEEK) = 0\n"
        "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n"
        "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, [{onoff=1, linger=0}], 8) = 0\n"
        "+0 %{ assert tcpi_state == TCPI_SYN_RECEIVED }%\n"
        "+0 `sysctl -w net.inet.tcp.insecure_rst=1`\n"
        "+0 `sockstat -4 -P tcp -s | grep packetdril | grep -c TIME_WAIT | grep 1`\n"
        "+0 expect_counter tcp.rx_segments = 4\n"
        "+0 close(4) = 0\n"
        "+1 > nothing\n");
    assert_int_equal(sc->cfg_msl_us, 500000);
    assert_int_equal(sc->tolerance_us, 2000);
    assert_null(sc->skip);
    assert_int_equal(sc->n_ev, 14);
    assert_int_equal(sc->ev[0].call.op, PKS_OP_SOCKET);
    assert_int_equal(sc->ev[0].call.res_num, 3);
    assert_int_equal(sc->ev[1].call.opt, PKS_F_SETFL);
    assert_int_equal(sc->ev[1].call.flags, 2 | PKS_O_NONBLOCK);
    assert_int_equal(sc->ev[2].call.op, PKS_OP_LISTEN);
    assert_int_equal(sc->ev[2].call.backlog, 5);
    assert_int_equal(sc->ev[3].call.res, PKS_RES_ERR);
    assert_int_equal(sc->ev[3].call.res_num, PKS_E_INPROGRESS);
    assert_int_equal(sc->ev[4].call.op, PKS_OP_SEND);
    assert_int_equal(sc->ev[4].call.text_len, 3);
    assert_memory_equal(sc->ev[4].call.text, "hi\n", 3);
    assert_int_equal(sc->ev[5].call.op, PKS_OP_RECV);
    assert_int_equal(sc->ev[5].call.flags, PKS_MSG_PEEK);
    assert_int_equal(sc->ev[5].call.n[0], 1024);
    assert_int_equal(sc->ev[6].call.opt, PKS_SO_ERROR);
    assert_int_equal(sc->ev[6].call.val, TS_ECONNRESET);
    assert_int_equal(sc->ev[7].call.opt, PKS_SO_LINGER);
    assert_int_equal(sc->ev[7].call.flags, 1);
    assert_int_equal(sc->ev[7].call.val, 0);
    assert_int_equal(sc->ev[8].call.op, PKS_OP_ASSERT_STATE);
    assert_string_equal(sc->ev[8].call.text, "SYN_RECEIVED");
    assert_int_equal(sc->ev[9].call.op, PKS_OP_KNOB);
    assert_string_equal(sc->ev[9].call.text, "insecure_rst");
    assert_int_equal(sc->ev[9].call.val, 1);
    assert_int_equal(sc->ev[10].call.op, PKS_OP_COUNT_STATE);
    assert_string_equal(sc->ev[10].call.text, "TIME_WAIT");
    assert_int_equal(sc->ev[10].call.val, 1);
    assert_string_equal(sc->ev[11].call.text, "tcp.rx_segments");
    assert_int_equal(sc->ev[11].call.res_num, 4);
    assert_int_equal(sc->ev[12].call.op, PKS_OP_CLOSE);
    assert_int_equal(sc->ev[12].call.fd, 4);
    assert_int_equal(sc->ev[13].kind, PKS_NOTHING);
    pks_free(sc);
}

/* #ifdef STANDARD keeps its block and drops the #else one; a knob we lack makes the script SKIP;
 * sysctls that set what we do anyway are accepted. */
static void test_parse_packetdrill_rules(void **state)
{
    struct pks_script *sc = parse_ok(
        "0 `sysctl -w net.inet.tcp.sack.enable=1`\n"
        "#ifdef STANDARD\n"
        "+0 < S 0:0(0) win 1000\n"
        "#else\n"
        "+0 < F 0:0(0) win 1000\n"
        "#endif\n"
        "#ifdef FreeBSD\n"
        "+0 this is not parsed at all\n"
        "#endif\n");
    assert_null(sc->skip);
    assert_int_equal(sc->n_ev, 2);
    assert_int_equal(sc->ev[1].seg.flags, FRM_SYN);
    pks_free(sc);
    sc = parse_ok("0 `sysctl -w net.inet.tcp.tso=0`\n");
    assert_non_null(sc->skip);
    assert_non_null(strstr(sc->skip, "net.inet.tcp.tso=0"));
    pks_free(sc);
    sc = parse_ok("--ip_version=ipv6\n");
    assert_non_null(sc->skip);
    pks_free(sc);
    parse_bad("#ifdef STANDARD\n0 < S 0:0(0) win 1\n", "#ifdef without #endif");
    parse_bad("0 recv(4, ..., 10, MSG_WAITALL) = 1\n", "unknown recv/send flags");
    parse_bad("0 getsockopt(4, SOL_SOCKET, SO_ERROR, [EWHAT], [4]) = 0\n", "unknown value");
    parse_bad("0 %{ print(tcpi_rtt) }%\n", "only 'assert tcpi_state");
}

static void test_parse_errors(void **state)
{
    parse_bad("0 < S 0:5(0) win 1\n", "does not match length");
    parse_bad("0 < X 0:0(0)\n", "unknown flag");
    parse_bad("\n\n0 frobnicate()\n", "t:3: unknown call");
    parse_bad("0 < . 1:1(0)\n", "needs 'ack N'");
    parse_bad("0 < S 0:0(0) win *\n", "expected a number");
    parse_bad("0 < S 0:0(0) <mss *>\n", "'*' only in expected");
    parse_bad("0 > S 0:0(0) <bogus 1>\n", "unknown option");
    parse_bad("isn\n", "expected a number");
    parse_bad("0 new_peer()\n", "needs a port");
    parse_bad("0 write(4, ..., 1) = -1 EWHAT\n", "unknown errno name");
    parse_bad("0 > S 0:0(0) win 70000\n", "too large");
}

/* ---- frame helpers ---- */

static void test_frames_roundtrip(void **state)
{
    struct frm_addr a = {{2, 0, 0, 0, 0, 1}, 0x0a000001, 40000};
    struct frm_addr b = {{2, 0, 0, 0, 0, 2}, 0x0a000002, 80};
    struct frm_tcp t = {.seq = 0xfffffff0u, .ack = 7, .flags = FRM_SYN | FRM_ACK, .win = 1234};
    frm_opt_mss(&t, 1460);
    frm_opt_nop(&t);
    frm_opt_ws(&t, 7);
    uint8_t data[5] = "hello";
    t.data = data;
    t.data_len = 5;
    uint8_t buf[256];
    size_t len = frm_build_tcp(buf, sizeof buf, &a, &b, 9, &t);
    assert_int_equal(len, 14 + 20 + 20 + 8 + 5);
    struct frm_pkt p;
    assert_true(frm_parse(buf, len, &p));
    assert_true(p.is_tcp && p.ip_csum_ok && p.l4_csum_ok);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.tcp.seq, 0xfffffff0u);
    assert_int_equal(p.tcp.data_len, 5);
    struct frm_tcp_opts o;
    frm_tcp_opts_parse(p.tcp.opt, p.tcp.opt_len, &o);
    assert_true(o.has_mss && o.has_ws && !o.malformed);
    assert_int_equal(o.mss, 1460);
    assert_int_equal(o.ws, 7);
    char d[256];
    frm_describe(&p, 0xfffffff0u, 0, d, sizeof d);
    assert_string_equal(d, "10.0.0.1.40000 > 10.0.0.2.80: S. 0:5(5) ack 7 win 1234 <mss 1460,nop,wscale 7>");
    buf[len - 1] ^= 1; /* corrupt a data byte */
    assert_true(frm_parse(buf, len, &p));
    assert_false(p.l4_csum_ok);
    t.bad_csum = true;
    len = frm_build_tcp(buf, sizeof buf, &a, &b, 9, &t);
    frm_parse(buf, len, &p);
    assert_false(p.l4_csum_ok);
    len = frm_build_udp(buf, sizeof buf, &a, &b, 1, data, 5);
    assert_true(frm_parse(buf, len, &p));
    assert_true(p.is_udp && p.l4_csum_ok);
    assert_int_equal(p.udp_len, 5);
}

/* ---- the runner must catch differences (against the real stack) ---- */

static const char handshake[] =
    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
    "+0    bind(3, ..., ...) = 0\n"
    "+0    listen(3, 5) = 0\n"
    "0.100 < S 0:0(0) win 65535 <mss 1460>\n"
    "+0    > S. 0:0(0) ack 1 <mss 1460,...>\n"
    "+0.1  < . 1:1(0) ack 1 win 65535\n"
    "+0    accept(3, ..., ...) = 4\n"
    "+0    fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n";

/* Run handshake + tail; it must fail with a message containing needle (or pass if needle NULL). */
static void run_tail(const char *tail, const char *needle)
{
    char text[2048], err[256], msg[4096];
    snprintf(text, sizeof text, "%s%s", handshake, tail);
    struct pks_script *sc = pks_parse("inline", text, err, sizeof err);
    if (!sc) fail_msg("parse: %s", err);
    bool ok = pks_run(sc, msg, sizeof msg, NULL);
    pks_free(sc);
    if (!needle && !ok) fail_msg("should pass: %s", msg);
    if (needle && ok) fail_msg("should fail (%s):\n%s", needle, tail);
    if (needle && !strstr(msg, needle)) fail_msg("message lacks \"%s\": %s", needle, msg);
}

static void test_runner_catches(void **state)
{
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > P. 1:6(5) ack 1\n+0.05 < . 1:1(0) ack 6 win 65535\n", NULL);
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > P. 1:6(5) ack 2\n", "ack differs");
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > P. 1:7(6) ack 1\n", "sequence numbers or length differ");
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > . 1:6(5) ack 1\n", "flags differ");
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > P. 1:6(5) ack 1 win 1\n", "window differs");
    run_tail("+0.1 write(4, ..., 5) = 5\n+0.05 > P. 1:6(5) ack 1\n", "sent at 0.300 s, expected between");
    /* the retransmission comes after one RTO (0.3 s here), not before 0.2 */
    run_tail("+0.1 write(4, ..., 5) = 5\n+0 > P. 1:6(5) ack 1\n+0.2 > P. 1:6(5) ack 1\n",
             "the stack sent nothing");
    /* strict: an unexpected segment before an inbound line, at a "> nothing", at the end */
    run_tail("+0.1 write(4, ..., 5) = 5\n+0.1 < . 1:1(0) ack 6 win 65535\n", "unexpected outbound segment");
    run_tail("+0.1 write(4, ..., 5) = 5\n+0.1 > nothing\n", "expected nothing by");
    run_tail("+0.1 write(4, ..., 5) = 5\n", "at the end of the script");
    /* calls */
    run_tail("+0 read(4, ..., 5) = 5\n", "recv returned -1");
    run_tail("+0.1 < P. 1:6(5) ack 1 win 65535\n+0 recv(4, ..., 9, MSG_PEEK) = 5\n+0 read(4, ..., 9) = 5\n", NULL);
    run_tail("+0.1 < P. 1:6(5) ack 1 win 65535\n+0 recv(4, ..., 9, MSG_PEEK) = 4\n", "returned 5");
    run_tail("+0 %{ assert tcpi_state == TCPI_CLOSE_WAIT }%\n", "tcpi_state is ESTABLISHED, expected CLOSE_WAIT");
    run_tail("+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n", "getsockopt returned [0]");
    run_tail("+0 `sockstat -4 -P tcp -s | grep -c ESTABLISHED | grep 2`\n", "1 connections in ESTABLISHED, expected 2");
    run_tail("+0 read(9, ..., 5) = 5\n", "descriptor 9 is not open");
    run_tail("+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED}, [104]) = 0\n", NULL);
    run_tail("+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_CLOSE_WAIT}, [104]) = 0\n",
             "tcpi_state is ESTABLISHED, expected CLOSE_WAIT");
    /* poll, readv/writev */
    run_tail("+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
             "+0.1 < P. 1:6(5) ack 1 win 65535\n"
             "+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n"
             "+0 readv(4, [{..., 2}, {..., 3}], 2) = 5\n", NULL);
    run_tail("+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n", "poll revents 0x0, expected 0x1");
    run_tail("+0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0\n"
             "+0.1 new_peer(40001)\n+0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 1460,...>\n"
             "+0.1 < . 1:1(0) ack 1 win 65535\n"
             "+0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n+0 accept(3, ..., ...) = 5\n", NULL);
    run_tail("+0.1 writev(4, [{..., 2}, {..., 3}], 2) = 5\n+0 > P. 1:6(5) ack 1\n"
             "+0.05 < . 1:1(0) ack 6 win 65535\n", NULL);
    run_tail("+0 expect_counter tcp.drop_bad_checksum = 1\n", "is 0, expected 1");
    run_tail("+0 expect_counter tcp.no_such_thing = 1\n", "no counter named");
    /* options */
    run_tail("+0.1 new_peer(40001)\n+0 < S 0:0(0) win 65535 <mss 1000>\n"
             "+0 > S. 0:0(0) ack 1 <mss 1400,...>\n", "options differ");
    run_tail("+0.1 new_peer(40001)\n+0 < S 0:0(0) win 65535 <mss 1000>\n"
             "+0 > S. 0:0(0) ack 1 <mss 1460,wscale *>\n", "options differ");
}

/* ---- the scripts ---- */

struct script_case {
    char path[512];
    char name[128];
    char *xfail;     /* reason, or NULL */
};

static void print_tail(const char *log, size_t len, unsigned lines)
{
    size_t i = len;
    unsigned n = 0;
    while (i > 0 && n <= lines) if (log[--i] == '\n') n++;
    if (i > 0) i++;
    print_message("---- last events ----\n%.*s", (int)(len - i), log + i);
}

static void test_script(void **state)
{
    struct script_case *c = *state;
    char msg[4096];
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    bool ok = pks_run_file(c->path, msg, sizeof msg, log);
    if (log) fclose(log);
    if (ok && c->xfail) print_message("XPASS %s: passes now; remove it from XFAIL\n", c->name);
    if (!ok && c->xfail) print_message("XFAIL %s (%s)\n      %s\n", c->name, c->xfail, msg);
    if (!ok && !c->xfail) {
        if (logbuf) print_tail(logbuf, loglen, 25);
        free(logbuf);
        fail_msg("%s", msg);
    }
    free(logbuf);
}

static char *xfail_reason(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/XFAIL", dir);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char line[512];
    char *reason = NULL;
    size_t n = strlen(name);
    while (!reason && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            const char *r = line + n + 1;
            while (*r == ' ') r++;
            reason = strdup(*r ? r : "no reason given");
        }
    }
    fclose(f);
    return reason;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const struct script_case *)a)->name, ((const struct script_case *)b)->name);
}

static size_t find_scripts(const char *dir, struct script_case *cases, size_t max)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        size_t l = strlen(de->d_name);
        if (l < 5 || l >= sizeof cases[0].name || strcmp(de->d_name + l - 4, ".pkt") != 0) continue;
        memcpy(cases[n].name, de->d_name, l + 1);
        if (strlen(dir) + l + 2 > sizeof cases[n].path) continue;
        strcpy(cases[n].path, dir);
        strcat(cases[n].path, "/");
        strcat(cases[n].path, de->d_name);
        n++;
    }
    closedir(d);
    qsort(cases, n, sizeof cases[0], cmp_names);
    for (size_t i = 0; i < n; i++) cases[i].xfail = xfail_reason(dir, cases[i].name);
    return n;
}

static void test_scripts_found(void **state)
{
    size_t *n = *state;
    if (*n < 20) fail_msg("only %zu scripts found under the script directory", *n);
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* one script, verbose */
        char msg[4096];
        bool ok = pks_run_file(argv[1], msg, sizeof msg, stdout);
        printf("%s %s\n", ok ? "PASS" : "FAIL", ok ? argv[1] : msg);
        return ok ? 0 : 1;
    }
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_parse_segments),
        cmocka_unit_test(test_parse_calls),
        cmocka_unit_test(test_parse_packetdrill_rules),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_frames_roundtrip),
        cmocka_unit_test(test_runner_catches),
    };
    int failed = cmocka_run_group_tests_name("pktscript_parser", unit, NULL, NULL);

    const char *dir = getenv("PKTSCRIPT_DIR") ? getenv("PKTSCRIPT_DIR") : "tests/scripts/tcp";
    enum { MAX = 256 };
    struct script_case *cases = calloc(MAX, sizeof *cases);
    struct CMUnitTest *tests = calloc(MAX + 1, sizeof *tests);
    if (!cases || !tests) return 1;
    size_t n = find_scripts(dir, cases, MAX);
    tests[0] = (struct CMUnitTest){"scripts_found", test_scripts_found, NULL, NULL, &n};
    size_t nx = 0;
    for (size_t i = 0; i < n; i++) {
        tests[i + 1] = (struct CMUnitTest){cases[i].name, test_script, NULL, NULL, &cases[i]};
        nx += cases[i].xfail != NULL;
    }
    failed += _cmocka_run_group_tests("pktscript", tests, n + 1, NULL, NULL);
    print_message("pktscript: %zu scripts, %zu expected to fail (XFAIL)\n", n, nx);
    for (size_t i = 0; i < n; i++) free(cases[i].xfail);
    free(cases);
    free(tests);
    return failed ? 1 : 0;
}
