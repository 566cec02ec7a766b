/* FTP control text: line assembly, command parsing, PORT/EPRT/EPSV/TYPE/REST, reply formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "apps/ftp/ftp_parse.h"

/* Feed a whole string; return the status of the first complete line and how much was used. */
static enum ts_line_status feed_str(struct ts_line *l, const char *s, size_t *used)
{
    return ts_line_feed(l, (const uint8_t *)s, strlen(s), used);
}

static void test_line_crlf_and_lf(void **state)
{
    (void)state;
    struct ts_line l;
    ts_line_init(&l);
    size_t used;
    const char *in = "USER bob\r\nPASS x\nNOOP";
    assert_int_equal(feed_str(&l, in, &used), TS_LINE_READY);
    assert_int_equal(used, 10);
    assert_string_equal(l.buf, "USER bob");
    assert_int_equal(l.len, 8);
    size_t used2;
    assert_int_equal(feed_str(&l, in + used, &used2), TS_LINE_READY);
    assert_int_equal(used2, 7);
    assert_string_equal(l.buf, "PASS x");
    size_t used3;
    assert_int_equal(feed_str(&l, in + used + used2, &used3), TS_LINE_MORE);
    assert_int_equal(used3, 4);
    assert_int_equal(feed_str(&l, "\r\n", &used), TS_LINE_READY);
    assert_string_equal(l.buf, "NOOP");
}

static void test_line_byte_at_a_time(void **state)
{
    (void)state;
    struct ts_line l;
    ts_line_init(&l);
    const char *in = "RETR a b\r\n";
    size_t used;
    for (size_t i = 0; i + 1 < strlen(in); i++) {
        assert_int_equal(ts_line_feed(&l, (const uint8_t *)in + i, 1, &used), TS_LINE_MORE);
        assert_int_equal(used, 1);
    }
    assert_int_equal(ts_line_feed(&l, (const uint8_t *)"\n", 1, &used), TS_LINE_READY);
    assert_string_equal(l.buf, "RETR a b");
}

static void test_line_limit(void **state)
{
    (void)state;
    struct ts_line l;
    ts_line_init(&l);
    char big[2000];
    size_t used;
    /* exactly 512 bytes with CRLF: accepted */
    memset(big, 'A', 510);
    memcpy(big + 510, "\r\n", 3);
    assert_int_equal(feed_str(&l, big, &used), TS_LINE_READY);
    assert_int_equal(l.len, 510);
    assert_int_equal(used, 512);
    /* 513 bytes: refused, and the whole line is gone */
    memset(big, 'B', 511);
    memcpy(big + 511, "\r\nNOOP\r\n", 9);
    assert_int_equal(feed_str(&l, big, &used), TS_LINE_TOO_LONG);
    assert_int_equal(used, 513);
    assert_int_equal(feed_str(&l, big + used, &used), TS_LINE_READY);
    assert_string_equal(l.buf, "NOOP");
    /* a very long line in pieces: still one TOO_LONG, then a good line */
    memset(big, 'C', sizeof big);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ts_line_feed(&l, (const uint8_t *)big, sizeof big, &used), TS_LINE_MORE);
        assert_int_equal(used, sizeof big);
    }
    assert_int_equal(feed_str(&l, "C\nPWD\r\n", &used), TS_LINE_TOO_LONG);
    assert_int_equal(used, 2);
    assert_int_equal(feed_str(&l, "PWD\r\n", &used), TS_LINE_READY);
    assert_string_equal(l.buf, "PWD");
}

static void test_line_telnet(void **state)
{
    (void)state;
    struct ts_line l;
    ts_line_init(&l);
    size_t used;
    /* IAC IP IAC DM ABOR: what clients send to abort */
    const uint8_t abor[] = {255, 244, 255, 242, 'A', 'B', 'O', 'R', '\r', '\n'};
    assert_int_equal(ts_line_feed(&l, abor, sizeof abor, &used), TS_LINE_READY);
    assert_string_equal(l.buf, "ABOR");
    /* IAC WILL x is dropped with its option; IAC IAC is a literal 0xFF */
    const uint8_t opt[] = {255, 251, 'Z', 'N', 'O', 255, 255, 'P', '\n'};
    assert_int_equal(ts_line_feed(&l, opt, sizeof opt, &used), TS_LINE_READY);
    assert_int_equal(l.len, 4);
    assert_memory_equal(l.buf, "NO\xffP", 4);
}

static void test_line_lone_cr_kept(void **state)
{
    (void)state;
    struct ts_line l;
    ts_line_init(&l);
    size_t used;
    assert_int_equal(feed_str(&l, "RETR a\rb\r\n", &used), TS_LINE_READY);
    assert_int_equal(l.len, 8);
    struct ftp_cmd c;
    assert_int_equal(ftp_cmd_parse(l.buf, l.len, &c), FTP_PARSE_BAD_CHAR);
}

static void test_cmd_parse_good(void **state)
{
    (void)state;
    struct ftp_cmd c;
    assert_int_equal(ftp_cmd_parse("user anonymous", 14, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_USER);
    assert_string_equal(c.name, "USER");
    assert_string_equal(c.arg, "anonymous");
    assert_int_equal(c.arg_len, 9);

    assert_int_equal(ftp_cmd_parse("PWD", 3, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_PWD);
    assert_string_equal(c.arg, "");
    assert_int_equal(c.arg_len, 0);

    const char *l = "RETR  my file .txt";
    assert_int_equal(ftp_cmd_parse(l, strlen(l), &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_RETR);
    assert_string_equal(c.arg, "my file .txt");

    assert_int_equal(ftp_cmd_parse("XPWD", 4, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_PWD);
    assert_int_equal(ftp_cmd_parse("Mkd d", 5, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_MKD);
    assert_int_equal(ftp_cmd_parse("SITE CHMOD", 10, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_UNKNOWN);
    assert_string_equal(c.name, "SITE");
    assert_string_equal(ftp_verb_name(FTP_V_EPSV), "EPSV");
    assert_string_equal(ftp_verb_name(FTP_V_COUNT), "?");
}

static void test_cmd_parse_bad(void **state)
{
    (void)state;
    struct ftp_cmd c;
    assert_int_equal(ftp_cmd_parse("", 0, &c), FTP_PARSE_EMPTY);
    assert_int_equal(ftp_cmd_parse("   ", 3, &c), FTP_PARSE_EMPTY);
    assert_int_equal(ftp_cmd_parse(" PWD", 4, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("PW", 2, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("RETRX a", 7, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("RETR\ta", 6, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("RE1R a", 6, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("\x80\x81\x82", 3, &c), FTP_PARSE_BAD_VERB);
    assert_int_equal(ftp_cmd_parse("RETR a\nb", 8, &c), FTP_PARSE_BAD_CHAR);
    assert_int_equal(ftp_cmd_parse("RETR a\rb", 8, &c), FTP_PARSE_BAD_CHAR);
    assert_int_equal(ftp_cmd_parse("RETR a\0b", 8, &c), FTP_PARSE_BAD_CHAR);
}

static void test_port_good(void **state)
{
    (void)state;
    uint32_t a;
    uint16_t p;
    assert_true(ftp_parse_port("10,0,0,1,4,1", &a, &p));
    assert_int_equal(a, 0x0a000001u);
    assert_int_equal(p, 1025);
    assert_true(ftp_parse_port("255,255,255,255,255,255", &a, &p));
    assert_int_equal(a, 0xffffffffu);
    assert_int_equal(p, 65535);
    assert_true(ftp_parse_port("192,168,001,002,0,21", &a, &p));
    assert_int_equal(a, 0xc0a80102u);
    assert_int_equal(p, 21);
}

static void test_port_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "10,0,0,1,4", "10,0,0,1,4,1,7", "10,0,0,1,4,256", "256,0,0,1,4,1", "10,0,0,1,4,",
        "10,0,0,1,,1", ",10,0,0,1,4,1", "10,0,0,1,4,1,", "10.0.0.1,4,1", "10,0,0,1,4,1 ",
        " 10,0,0,1,4,1", "10,0,0,-1,4,1", "10,0,0,1,0004,1", "a,b,c,d,e,f", "10,0,0,1,4,99999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t a = 7;
        uint16_t p = 7;
        if (ftp_parse_port(bad[i], &a, &p)) fail_msg("PORT \"%s\" accepted", bad[i]);
        assert_int_equal(a, 7);
        assert_int_equal(p, 7);
    }
}

static void test_eprt(void **state)
{
    (void)state;
    uint32_t a;
    uint16_t p;
    assert_int_equal(ftp_parse_eprt("|1|10.0.0.1|6275|", &a, &p), FTP_EPRT_OK);
    assert_int_equal(a, 0x0a000001u);
    assert_int_equal(p, 6275);
    assert_int_equal(ftp_parse_eprt("!1!132.235.1.2!65535!", &a, &p), FTP_EPRT_OK);
    assert_int_equal(a, 0x84eb0102u);
    assert_int_equal(p, 65535);
    assert_int_equal(ftp_parse_eprt("|2|1080::8:800:200C:417A|5282|", &a, &p), FTP_EPRT_AF);
    static const char *const bad[] = {
        "", "|", "|1|10.0.0.1|6275", "|1|10.0.0.1|6275|x", "|1|10.0.0|6275|", "|1|10.0.0.1.2|6275|",
        "|1|10.0.0.256|6275|", "|1|10.0.0.1|0|", "|1|10.0.0.1|65536|", "|1||6275|", "||10.0.0.1|6275|",
        "1|1|10.0.0.1|6275|", ".1.10.0.0.1.6275.", "|1|10.0.0.1|62a5|", "|1|10.0.0.1!6275!",
        " |1|10.0.0.1|6275|", "|1|10.0.0.1 |6275|", "|1|1000.0.0.1|6275|", "|2|junk",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ftp_parse_eprt(bad[i], &a, &p) != FTP_EPRT_BAD) fail_msg("EPRT \"%s\" not refused", bad[i]);
}

static void test_epsv_type_rest(void **state)
{
    (void)state;
    assert_int_equal(ftp_parse_epsv(""), FTP_EPSV_PLAIN);
    assert_int_equal(ftp_parse_epsv("1"), FTP_EPSV_PLAIN);
    assert_int_equal(ftp_parse_epsv("all"), FTP_EPSV_ALL);
    assert_int_equal(ftp_parse_epsv("2"), FTP_EPSV_AF);
    assert_int_equal(ftp_parse_epsv("1x"), FTP_EPSV_BAD);
    assert_int_equal(ftp_parse_epsv("ALLX"), FTP_EPSV_BAD);

    assert_int_equal(ftp_parse_type("I"), FTP_TYPE_IMAGE);
    assert_int_equal(ftp_parse_type("i"), FTP_TYPE_IMAGE);
    assert_int_equal(ftp_parse_type("L 8"), FTP_TYPE_IMAGE);
    assert_int_equal(ftp_parse_type("A"), FTP_TYPE_ASCII);
    assert_int_equal(ftp_parse_type("A N"), FTP_TYPE_ASCII);
    assert_int_equal(ftp_parse_type("E"), FTP_TYPE_UNSUPPORTED);
    assert_int_equal(ftp_parse_type("A T"), FTP_TYPE_UNSUPPORTED);
    assert_int_equal(ftp_parse_type("L 7"), FTP_TYPE_UNSUPPORTED);
    assert_int_equal(ftp_parse_type(""), FTP_TYPE_BAD);
    assert_int_equal(ftp_parse_type("X"), FTP_TYPE_BAD);
    assert_int_equal(ftp_parse_type("IX"), FTP_TYPE_BAD);
    assert_int_equal(ftp_parse_type("A X"), FTP_TYPE_BAD);
    assert_int_equal(ftp_parse_type("L"), FTP_TYPE_BAD);
    assert_int_equal(ftp_parse_type("L 8x"), FTP_TYPE_BAD);

    uint64_t off = 1;
    assert_true(ftp_parse_rest("0", &off));
    assert_int_equal(off, 0);
    assert_true(ftp_parse_rest("20971520", &off));
    assert_int_equal(off, 20971520u);
    assert_true(ftp_parse_rest("999999999999999999", &off));
    assert_false(ftp_parse_rest("", &off));
    assert_false(ftp_parse_rest("-1", &off));
    assert_false(ftp_parse_rest("12 ", &off));
    assert_false(ftp_parse_rest("1000000000000000000", &off));
}

static void test_fmt_pasv_epsv_mdtm(void **state)
{
    (void)state;
    char b[128];
    size_t n = ftp_fmt_pasv(b, sizeof b, 0x0a000002u, 49153);
    assert_string_equal(b, "227 Entering Passive Mode (10,0,0,2,192,1).\r\n");
    assert_int_equal(n, strlen(b));
    /* round trip through the PORT parser */
    uint32_t a;
    uint16_t p;
    char *open = strchr(b, '('), *close = strchr(b, ')');
    *close = '\0';
    assert_true(ftp_parse_port(open + 1, &a, &p));
    assert_int_equal(a, 0x0a000002u);
    assert_int_equal(p, 49153);
    assert_int_equal(ftp_fmt_pasv(b, 20, 0x0a000002u, 49153), 0);

    n = ftp_fmt_epsv(b, sizeof b, 65535);
    assert_string_equal(b, "229 Entering Extended Passive Mode (|||65535|)\r\n");
    assert_int_equal(n, strlen(b));
    assert_int_equal(ftp_fmt_epsv(b, 10, 1), 0);

    n = ftp_fmt_mdtm(b, sizeof b, (time_t)1795941840); /* 2026-11-29 08:44:00 UTC */
    assert_string_equal(b, "213 20261129084400\r\n");
    assert_int_equal(n, 20);
}

static void test_fmt_reply(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(ftp_fmt_reply(b, sizeof b, 200, "OK"), 8);
    assert_string_equal(b, "200 OK\r\n");
    size_t n = ftp_fmt_reply(b, sizeof b, 211, "Features:\n EPSV\n SIZE\nEnd");
    assert_string_equal(b, "211-Features:\r\n EPSV\r\n SIZE\r\n211 End\r\n");
    assert_int_equal(n, strlen(b));
    /* a middle line that looks like an end line is indented */
    ftp_fmt_reply(b, sizeof b, 214, "Help\n214 fake\nend");
    assert_string_equal(b, "214-Help\r\n 214 fake\r\n214 end\r\n");
    /* CRLF in the text is one line break; a lone CR is one too: it never reaches the wire bare */
    ftp_fmt_reply(b, sizeof b, 550, "a\r\nb\rc");
    assert_string_equal(b, "550-a\r\nb\r\n550 c\r\n");
    assert_int_equal(ftp_fmt_reply(b, 8, 200, "OK"), 0);
    assert_int_equal(ftp_fmt_reply(b, 9, 200, "OK"), 8);
    assert_int_equal(ftp_fmt_reply(b, sizeof b, 99, "x"), 0);
    assert_int_equal(ftp_fmt_reply(b, sizeof b, 600, "x"), 0);
}

static void test_fmt_quoted(void **state)
{
    (void)state;
    char b[32];
    assert_int_equal(ftp_fmt_quoted(b, sizeof b, "/pub"), 6);
    assert_string_equal(b, "\"/pub\"");
    ftp_fmt_quoted(b, sizeof b, "/a\"b");
    assert_string_equal(b, "\"/a\"\"b\"");
    assert_int_equal(ftp_fmt_quoted(b, 6, "/pub"), 0);
    assert_int_equal(ftp_fmt_quoted(b, sizeof b, "/a\nb"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_crlf_and_lf),
        cmocka_unit_test(test_line_byte_at_a_time),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_line_telnet),
        cmocka_unit_test(test_line_lone_cr_kept),
        cmocka_unit_test(test_cmd_parse_good),
        cmocka_unit_test(test_cmd_parse_bad),
        cmocka_unit_test(test_port_good),
        cmocka_unit_test(test_port_bad),
        cmocka_unit_test(test_eprt),
        cmocka_unit_test(test_epsv_type_rest),
        cmocka_unit_test(test_fmt_pasv_epsv_mdtm),
        cmocka_unit_test(test_fmt_reply),
        cmocka_unit_test(test_fmt_quoted),
    };
    return cmocka_run_group_tests_name("ftp_parse", tests, NULL, NULL);
}
