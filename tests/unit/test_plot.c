/*
 * Unit tests: the pictures of a connection (stack/plot). Known conversations are built frame by
 * frame, written as pcap bytes, read back and drawn; the tests count the SVG's elements by class
 * (data, retransmit, rto, sack, zwp, segment, state ...) and check the text is well-formed XML.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "driver/pcap.h"
#include "lib/frames.h"
#include "plot/plot.h"
#include "plot/plot_rec.h"

#define CLIENT_IP 0x0a000001u
#define SERVER_IP 0x0a000002u

/* ---- a capture built in memory ---- */

struct cap {
    char *mem;
    size_t len;
    FILE *f;
    struct ts_pcap_writer *w;
    struct frm_addr c, s;
    uint16_t id;
};

static void cap_open(struct cap *k)
{
    memset(k, 0, sizeof *k);
    k->f = open_memstream(&k->mem, &k->len);
    assert_non_null(k->f);
    k->w = ts_pcap_open_stream(k->f, false, true);
    assert_non_null(k->w);
    k->c = (struct frm_addr){ { 2, 0, 0, 0, 0, 1 }, CLIENT_IP, 43210 };
    k->s = (struct frm_addr){ { 2, 0, 0, 0, 0, 2 }, SERVER_IP, 80 };
}

/* One segment; from_client says which way. */
static void seg(struct cap *k, ts_time_t t, bool from_client, struct frm_tcp *tcp)
{
    static uint8_t payload[1500];
    uint8_t frame[FRM_MAX_FRAME];
    if (tcp->data_len && !tcp->data) tcp->data = payload;
    size_t n = frm_build_tcp(frame, sizeof frame, from_client ? &k->c : &k->s, from_client ? &k->s : &k->c, k->id++, tcp);
    assert_true(n > 0);
    assert_int_equal(ts_pcap_write(k->w, t, frame, n), 0);
}

static void simple(struct cap *k, ts_time_t t, bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                   uint16_t win, size_t len)
{
    struct frm_tcp tcp = { .seq = seq, .ack = ack, .flags = flags, .win = win, .data_len = len };
    seg(k, t, from_client, &tcp);
}

static void sack_ack(struct cap *k, ts_time_t t, uint32_t seq, uint32_t ack, uint16_t win, uint32_t l, uint32_t r)
{
    struct frm_tcp tcp = { .seq = seq, .ack = ack, .flags = FRM_ACK, .win = win };
    uint8_t o[12] = { 1, 1, 5, 10 };
    o[4] = (uint8_t)(l >> 24), o[5] = (uint8_t)(l >> 16), o[6] = (uint8_t)(l >> 8), o[7] = (uint8_t)l;
    o[8] = (uint8_t)(r >> 24), o[9] = (uint8_t)(r >> 16), o[10] = (uint8_t)(r >> 8), o[11] = (uint8_t)r;
    frm_opt_raw(&tcp, o, sizeof o);
    seg(k, t, true, &tcp);
}

/* The handshake: client ISN 1000, server ISN 5000; window scale 7 both ways when ws. */
static void handshake(struct cap *k, bool ws)
{
    struct frm_tcp syn = { .seq = 1000, .flags = FRM_SYN, .win = 65535 };
    frm_opt_mss(&syn, 1460);
    frm_opt_sackok(&syn);
    if (ws) frm_opt_ws(&syn, 7);
    seg(k, 0, true, &syn);
    struct frm_tcp synack = { .seq = 5000, .ack = 1001, .flags = FRM_SYN | FRM_ACK, .win = 65535 };
    frm_opt_mss(&synack, 1460);
    frm_opt_sackok(&synack);
    if (ws) frm_opt_ws(&synack, 7);
    seg(k, 100, false, &synack);
    simple(k, 200, true, 1001, 5001, FRM_ACK, ws ? 512 : 65535, 0);
}

/* Close the capture and read its bytes back into convs, as `tapstack plot` does. */
static void cap_read(struct cap *k, struct ts_plot_convs *convs)
{
    char err[256];
    assert_int_equal(ts_pcap_close(k->w), 0);
    fclose(k->f);
    FILE *in = fmemopen(k->mem, k->len, "rb");
    assert_non_null(in);
    struct ts_pcap_reader *r = ts_pcap_reader_stream(in, true, err, sizeof err);
    assert_non_null(r);
    ts_plot_convs_init(convs, 0);
    struct ts_pcap_rec rec;
    int n;
    while ((n = ts_pcap_read(r, &rec, err, sizeof err)) == 1)
        ts_plot_convs_add(convs, ts_pcap_reader_linktype(r), rec.t, rec.data, rec.incl_len);
    assert_int_equal(n, 0);
    ts_pcap_reader_close(r);
    free(k->mem);
}

/* ---- reading the SVG ---- */

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static bool entity_ok(const char *p)
{
    static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    for (size_t i = 0; i < 5; i++)
        if (strncmp(p, ents[i], strlen(ents[i])) == 0) return true;
    return false;
}

/* A small well-formedness check: one root, tags nest and close in order, attribute values quoted
 * without '<', every '&' an entity. (The integration test parses with xmllint and Python too.) */
static bool xml_ok(const char *s)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    if (strncmp(s, "<?xml", 5) == 0) s = strstr(s, "?>") + 2;
    while (*s) {
        if (*s == '&' && !entity_ok(s)) return false;
        if (*s != '<') {
            s++;
            continue;
        }
        if (s[1] == '/') {
            size_t n = strcspn(s + 2, ">");
            if (depth == 0 || n != strlen(stack[depth - 1]) || strncmp(s + 2, stack[depth - 1], n) != 0) return false;
            depth--;
            s += 3 + n;
            continue;
        }
        size_t n = strcspn(s + 1, " />\n");
        if (n == 0 || n >= 32 || depth == 64) return false;
        const char *p = s + 1 + n;
        while (*p && *p != '>' && !(p[0] == '/' && p[1] == '>')) {
            if (*p == '"') {
                for (p++; *p && *p != '"'; p++)
                    if (*p == '<' || (*p == '&' && !entity_ok(p))) return false;
                if (!*p) return false;
            }
            p++;
        }
        if (!*p) return false;
        if (*p == '/') {
            p += 2;
        } else {
            if (depth == 0) roots++;
            memcpy(stack[depth], s + 1, n);
            stack[depth++][n] = '\0';
            p++;
        }
        s = p;
    }
    return depth == 0 && roots == 1;
}

static char *draw(const struct ts_plot_conv *cv, int (*fn)(const struct ts_plot_conv *, struct ts_nsbuf *))
{
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 16u << 20);
    assert_int_equal(fn(cv, &b), 0);
    assert_non_null(b.data);
    assert_true(xml_ok(b.data));
    const char *dump = getenv("PLOT_DUMP");      /* a directory: keep the pictures to look at */
    if (dump) {
        static int seqno;
        char path[512];
        snprintf(path, sizeof path, "%s/test_plot_%02d.svg", dump, seqno++);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(b.data, 1, b.len, f);
            fclose(f);
        }
    }
    return b.data;
}

/* ---- tests ---- */

/* A handshake and an orderly close: one conversation named as --pcap-per-conn names it, every
 * segment an arrow, RFC 9293's states on both timelines. */
static void test_handshake_and_close(void **state)
{
    struct cap k;
    cap_open(&k);
    handshake(&k, true);
    simple(&k, 1000, true, 1001, 5001, FRM_FIN | FRM_ACK, 512, 0);
    simple(&k, 1100, false, 5001, 1002, FRM_ACK, 512, 0);
    simple(&k, 1200, false, 5001, 1002, FRM_FIN | FRM_ACK, 512, 0);
    simple(&k, 1300, true, 1002, 5002, FRM_ACK, 512, 0);
    struct ts_plot_convs convs;
    cap_read(&k, &convs);
    assert_int_equal(convs.n, 1);
    char stem[64];
    ts_plot_conv_stem(&convs.v[0], stem, sizeof stem);
    assert_string_equal(stem, "10.0.0.1_43210-10.0.0.2_80");
    char *ladder = draw(&convs.v[0], ts_plot_ladder_svg);
    assert_int_equal(count(ladder, "<g class=\"segment"), 7);
    assert_int_equal(count(ladder, "marker-end=\"url(#arrow)\""), 7);
    assert_non_null(strstr(ladder, "Flags [S], seq 0, win 65535, length 0, options [mss 1460,sackOK,wscale 7]"));
    assert_non_null(strstr(ladder, "Flags [S.], seq 0, ack 1, win 65535"));
    assert_non_null(strstr(ladder, "Flags [F.], seq 1, ack 1, win 512"));
    static const char *const states[] = { ">CLOSED<", ">LISTEN<", ">SYN_SENT<", ">SYN_RECEIVED<", ">FIN_WAIT_1<",
                                          ">CLOSE_WAIT<", ">FIN_WAIT_2<", ">LAST_ACK<", ">TIME_WAIT<" };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) assert_non_null(strstr(ladder, states[i]));
    assert_int_equal(count(ladder, ">ESTABLISHED<"), 2);
    assert_int_equal(count(ladder, "class=\"state\""), 12);  /* 2 initial + 10 changes */
    assert_null(strstr(ladder, "class=\"summary\""));
    char *seq = draw(&convs.v[0], ts_plot_seq_svg);
    assert_int_equal(count(seq, "<path class=\"retransmit\""), 0);
    assert_int_equal(count(seq, "<g class=\"direction\""), 2);    /* both sent SYN and FIN */
    free(ladder);
    free(seq);
    ts_plot_convs_free(&convs);
}

/* The server sends 11 segments; the third is lost and fast-retransmitted after SACKed dupacks;
 * the eleventh is lost and retransmitted after an RTO. */
static void loss_capture(struct ts_plot_convs *convs)
{
    struct cap k;
    cap_open(&k);
    handshake(&k, true);
    simple(&k, 300, true, 1001, 5001, FRM_ACK | FRM_PSH, 512, 100);
    for (uint32_t i = 0; i < 10; i++) simple(&k, 1000 + i * 10, false, 5001 + 1000 * i, 1101, FRM_ACK, 512, 1000);
    simple(&k, 1200, true, 1101, 6001, FRM_ACK, 512, 0);
    simple(&k, 1210, true, 1101, 7001, FRM_ACK, 512, 0);
    for (uint32_t i = 3; i < 10; i++) sack_ack(&k, 1200 + i * 10, 1101, 7001, 512, 8001, 9001 + 1000 * (i - 3));
    simple(&k, 2000, false, 7001, 1101, FRM_ACK, 512, 1000);        /* fast retransmit */
    simple(&k, 2100, true, 1101, 15001, FRM_ACK, 512, 0);
    simple(&k, 3000, false, 15001, 1101, FRM_ACK, 512, 1000);       /* lost */
    simple(&k, 303000, false, 15001, 1101, FRM_ACK, 512, 1000);     /* after an RTO */
    simple(&k, 303100, true, 1101, 16001, FRM_ACK, 512, 0);
    simple(&k, 303200, false, 16001, 1101, FRM_FIN | FRM_ACK, 512, 0);
    simple(&k, 303300, true, 1101, 16002, FRM_FIN | FRM_ACK, 512, 0);
    simple(&k, 303400, false, 16002, 1102, FRM_ACK, 512, 0);
    cap_read(&k, convs);
}

static void test_loss_and_retransmission(void **state)
{
    struct ts_plot_convs convs;
    loss_capture(&convs);
    assert_int_equal(convs.n, 1);
    char *seq = draw(&convs.v[0], ts_plot_seq_svg);
    assert_int_equal(count(seq, "<path class=\"retransmit\""), 2);
    assert_int_equal(count(seq, "<path class=\"rto\""), 1);
    assert_int_equal(count(seq, "<path class=\"sack\""), 7);
    /* client panel: SYN, request, FIN; server panel: SYN-ACK, 11 new segments, FIN */
    assert_int_equal(count(seq, "<path class=\"data\""), 3 + 13);
    assert_int_equal(count(seq, "<polyline class=\"ack\""), 2);
    assert_int_equal(count(seq, "<polyline class=\"window\""), 2);
    assert_non_null(strstr(seq, "data-retransmits=\"2\" data-rto=\"1\""));
    assert_non_null(strstr(seq, "13,000 bytes sent in 15 segments; 2,000 bytes retransmitted in 2 segments (1 after an RTO)"));
    assert_non_null(strstr(seq, "time since the first segment (ms)"));
    assert_non_null(strstr(seq, "sequence offset from the ISN (bytes)"));
    assert_int_equal(count(seq, "<g class=\"legend\">"), 2);
    static const char *const classes[] = { "data", "retransmit", "ack", "window", "sack", "rto", "zwp", "zerowin" };
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        char sw[64];
        snprintf(sw, sizeof sw, "class=\"swatch %s\"", classes[i]);
        assert_int_equal(count(seq, sw), 2);
    }
    char *ladder = draw(&convs.v[0], ts_plot_ladder_svg);
    assert_int_equal(count(ladder, "<g class=\"segment retransmit\""), 2);
    assert_int_equal(count(ladder, "(retransmission after RTO)"), 1);
    assert_int_equal(count(ladder, "(retransmission)"), 1);
    assert_non_null(strstr(ladder, "options [sack 3001:4001]"));
    free(seq);
    free(ladder);
    ts_plot_convs_free(&convs);
}

/* Window scale: with wscale 7 on both SYNs a window of 512 reaches 65,536 bytes past the ACK. */
static void test_window_scaled(void **state)
{
    struct ts_plot_convs convs;
    loss_capture(&convs);
    char *seq = draw(&convs.v[0], ts_plot_seq_svg);
    /* the data ends at 11,002: without scaling the window edge would be 512 bytes above the ACK
     * and the axis would stop at 10K; scaled, the edge is 65,536 above and the axis runs to a
     * third above the data (14,669), so it has a 14K tick */
    assert_non_null(strstr(seq, ">14K</text>"));
    assert_null(strstr(seq, "window scale unknown"));
    free(seq);
    ts_plot_convs_free(&convs);
}

/* The receiver closes its window; the sender probes twice, then the window opens. */
static void test_zero_window(void **state)
{
    struct cap k;
    cap_open(&k);
    handshake(&k, false);
    for (uint32_t i = 0; i < 3; i++) simple(&k, 1000 + i * 10, false, 5001 + 1000 * i, 1001, FRM_ACK, 65535, 1000);
    simple(&k, 1100, true, 1001, 8001, FRM_ACK, 0, 0);
    simple(&k, 201100, false, 8001, 1001, FRM_ACK, 65535, 1);          /* probe */
    simple(&k, 201200, true, 1001, 8001, FRM_ACK, 0, 0);
    simple(&k, 601200, false, 8001, 1001, FRM_ACK, 65535, 1);          /* probe again */
    simple(&k, 601300, true, 1001, 8002, FRM_ACK, 4000, 0);            /* opens */
    simple(&k, 601400, false, 8002, 1001, FRM_ACK, 65535, 1000);
    struct ts_plot_convs convs;
    cap_read(&k, &convs);
    char *seq = draw(&convs.v[0], ts_plot_seq_svg);
    assert_int_equal(count(seq, "<path class=\"zwp\""), 2);
    assert_int_equal(count(seq, "<path class=\"zerowin\""), 2);
    assert_int_equal(count(seq, "<path class=\"retransmit\""), 0);
    assert_int_equal(count(seq, "<path class=\"rto\""), 0);
    assert_non_null(strstr(seq, "data-zwp=\"2\""));
    char *ladder = draw(&convs.v[0], ts_plot_ladder_svg);
    assert_int_equal(count(ladder, "(zero-window probe)"), 2);
    assert_non_null(strstr(ladder, "ack 3001, win 0, length 0"));
    free(seq);
    free(ladder);
    ts_plot_convs_free(&convs);
}

/* 100,000 segments: the graph aggregates per pixel column and stays small; the diagram shows the
 * first and last 30 segments and sums up the middle. */
static void test_hundred_thousand_segments(void **state)
{
    struct ts_plot_conv cv = { .ip = { CLIENT_IP, SERVER_IP }, .port = { 43210, 80 } };
    struct ts_plot_seg s = { .flags = 0x02, .seq = 1, .win = 65535, .wscale = 0xff, .dir = 0 };
    assert_int_equal(ts_plot_conv_push(&cv, &s), 0);
    s = (struct ts_plot_seg){ .t = 50, .flags = 0x12, .seq = 7, .ack = 2, .win = 65535, .wscale = 0xff, .dir = 1 };
    assert_int_equal(ts_plot_conv_push(&cv, &s), 0);
    uint32_t next = 8, acked = 8;
    for (unsigned i = 0; i < 99998; i++) {
        bool data = i % 2 == 0;
        s = (struct ts_plot_seg){ .t = 100 + i * 10u, .flags = 0x10, .wscale = 0xff, .win = 65535 };
        if (data) {
            s.dir = 1, s.seq = next, s.ack = 2, s.len = 1000;
            if (i % 1000 == 500) s.seq = next - 2000;     /* 100 retransmissions */
            else next += 1000;
        } else {
            s.dir = 0, s.seq = 2, s.ack = acked = next, s.len = 0;
        }
        assert_int_equal(ts_plot_conv_push(&cv, &s), 0);
    }
    (void)acked;
    char *seq = draw(&cv, ts_plot_seq_svg);
    size_t len = strlen(seq);
    assert_true(len < 400000);
    /* one bar per pixel column (860) for the server's 49,900, and the client's SYN */
    assert_true(count(seq, "<path class=\"data\"") <= 861);
    assert_true(count(seq, "<path class=\"data\"") >= 800);
    assert_non_null(strstr(seq, "<desc>49900 segments, one bar per pixel column"));
    assert_int_equal(count(seq, "<path class=\"retransmit\""), 100);
    char *ladder = draw(&cv, ts_plot_ladder_svg);
    assert_int_equal(count(ladder, "<g class=\"segment"), 2 * TS_PLOT_LADDER_KEEP);
    assert_non_null(strstr(ladder, "data-segments=\"99940\""));
    assert_non_null(strstr(ladder, "99,940 segments over"));
    free(seq);
    free(ladder);
    free(cv.segs);
}

/* tcpdump's other link types (Linux cooked for -i any, raw IP), VLAN tags, and what is not TCP. */
static void test_link_types(void **state)
{
    uint8_t f[200], g[220];
    struct frm_addr a = { { 2, 0, 0, 0, 0, 1 }, CLIENT_IP, 5000 }, b = { { 2, 0, 0, 0, 0, 2 }, SERVER_IP, 22 };
    struct frm_tcp syn = { .seq = 9, .flags = FRM_SYN, .win = 100 };
    size_t n = frm_build_tcp(f, sizeof f, &a, &b, 1, &syn);
    struct ts_plot_convs c;
    ts_plot_convs_init(&c, 0);
    assert_int_equal(ts_plot_convs_add(&c, TS_PLOT_LINK_RAW, 1, f + 14, n - 14), 1);
    memset(g, 0, 16);
    g[14] = 0x08;
    memcpy(g + 16, f + 14, n - 14);
    assert_int_equal(ts_plot_convs_add(&c, TS_PLOT_LINK_SLL, 2, g, n - 14 + 16), 1);
    memcpy(g, f, 12);
    g[12] = 0x81, g[13] = 0x00, g[14] = 0, g[15] = 5;
    memcpy(g + 16, f + 12, n - 12);
    assert_int_equal(ts_plot_convs_add(&c, TS_PLOT_LINK_ETHERNET, 3, g, n + 4), 1);
    uint8_t u[100];
    size_t un = frm_build_udp(u, sizeof u, &a, &b, 2, (const uint8_t *)"x", 1);
    assert_int_equal(ts_plot_convs_add(&c, TS_PLOT_LINK_ETHERNET, 4, u, un), 0);
    assert_int_equal(ts_plot_convs_add(&c, TS_PLOT_LINK_ETHERNET, 5, f, 20), 0);   /* cut short */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].nsegs, 3);
    assert_int_equal(c.not_tcp, 1);
    assert_int_equal(c.bad + c.not_ipv4, 1);
    assert_true(ts_plot_link_ok(TS_PLOT_LINK_SLL2));
    assert_false(ts_plot_link_ok(127));
    ts_plot_convs_free(&c);
}

static void test_pairs(void **state)
{
    uint32_t ip[2];
    uint16_t port[2];
    assert_true(ts_plot_parse_pair("10.0.0.1_43210-10.0.0.2_80", ip, port));
    assert_int_equal(ip[0], CLIENT_IP);
    assert_int_equal(port[1], 80);
    assert_true(ts_plot_parse_pair("10.0.0.1:43210-10.0.0.2:80", ip, port));
    assert_true(ts_plot_parse_pair("10.0.0.1_43210-10.0.0.2_80.pcap", ip, port));
    static const char *const bad[] = { "", "10.0.0.1_80", "10.0.0.1_80-10.0.0.2", "10.0.0.256_1-10.0.0.2_80",
                                       "10.0.0.1_70000-10.0.0.2_80", "10.0.0.1_1-10.0.0.2_80x", "x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(ts_plot_parse_pair(bad[i], ip, port));
    struct ts_plot_convs convs;
    loss_capture(&convs);
    assert_non_null(ts_plot_convs_find(&convs, "10.0.0.2_80-10.0.0.1_43210"));
    assert_non_null(ts_plot_convs_find(&convs, "10.0.0.1_43210-10.0.0.2_80"));
    assert_null(ts_plot_convs_find(&convs, "10.0.0.1_43211-10.0.0.2_80"));
    ts_plot_convs_free(&convs);
}

/* A bound too small for the picture: -1 and failed, never a cut document passed off as whole. */
static void test_bounded_output(void **state)
{
    struct ts_plot_convs convs;
    loss_capture(&convs);
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 2000);
    assert_int_equal(ts_plot_seq_svg(&convs.v[0], &b), -1);
    assert_true(b.failed);
    ts_nsbuf_free(&b);
    ts_nsbuf_init(&b, 2000);
    assert_int_equal(ts_plot_ladder_svg(&convs.v[0], &b), -1);
    ts_nsbuf_free(&b);
    ts_plot_convs_free(&convs);
}

/* An Ethernet frame of the conversation (client port cport) into the record. */
static void rec_seg(struct ts_plot_rec *r, ts_time_t t, uint16_t cport, bool from_client, uint32_t seq, uint8_t flags,
                    size_t len)
{
    static uint8_t payload[1000];
    uint8_t f[FRM_MAX_FRAME];
    struct frm_addr c = { { 2, 0, 0, 0, 0, 1 }, CLIENT_IP, cport }, sv = { { 2, 0, 0, 0, 0, 2 }, SERVER_IP, 80 };
    struct frm_tcp tcp = { .seq = seq, .ack = 1, .flags = flags, .win = 1000, .data = payload, .data_len = len };
    size_t n = frm_build_tcp(f, sizeof f, from_client ? &c : &sv, from_client ? &sv : &c, 1, &tcp);
    ts_plot_rec_frame(r, t, f, n);
}

/* The live record: the opening and the latest segments of each conversation, the least recently
 * seen conversation evicted, memory within its bound, copies that draw. */
static void test_live_record(void **state)
{
    struct ts_plot_rec *r = ts_plot_rec_new(2, 64);
    assert_non_null(r);
    rec_seg(r, 1, 40001, true, 100, FRM_SYN, 0);
    rec_seg(r, 2, 40001, false, 900, FRM_SYN | FRM_ACK, 0);
    for (uint32_t i = 0; i < 500; i++) rec_seg(r, 10 + i, 40001, false, 901 + 1000 * i, FRM_ACK, 1000);
    rec_seg(r, 1000, 40002, true, 5, FRM_SYN, 0);
    struct ts_plot_rec_stats st;
    ts_plot_rec_stats(r, &st);
    assert_int_equal(st.segments, 503);
    assert_int_equal(st.convs, 2);
    assert_int_equal(st.overwritten, 502 - TS_PLOT_REC_HEAD - 64);
    assert_true(st.bytes <= st.bytes_bound);
    struct ts_plot_conv cv;
    assert_int_equal(ts_plot_rec_get(r, "10.0.0.2_80-10.0.0.1_40001", &cv), 0);
    assert_int_equal(cv.nsegs, TS_PLOT_REC_HEAD + 64);
    assert_int_equal(cv.dropped, 502 - TS_PLOT_REC_HEAD - 64);
    assert_int_equal(cv.segs[0].flags, FRM_SYN);                  /* the opening is kept */
    assert_int_equal(cv.segs[cv.nsegs - 1].seq, 901 + 1000 * 499); /* and the latest */
    char *seq = draw(&cv, ts_plot_seq_svg);
    assert_true(count(seq, "<path class=\"data\"") > 64);
    free(seq);
    free(cv.segs);
    char stem[64], stem2[64];
    size_t n;
    ts_time_t last;
    assert_true(ts_plot_rec_stem(r, SERVER_IP, 80, CLIENT_IP, 40001, stem, sizeof stem));
    assert_string_equal(stem, "10.0.0.1_40001-10.0.0.2_80");
    assert_true(ts_plot_rec_at(r, 0, stem2, sizeof stem2, &n, &last));
    assert_string_equal(stem2, "10.0.0.1_40002-10.0.0.2_80");     /* the most recent first */
    assert_int_equal(last, 1000);
    assert_false(ts_plot_rec_at(r, 2, stem2, sizeof stem2, &n, &last));
    rec_seg(r, 2000, 40003, true, 7, FRM_SYN, 0);                 /* a third: 40001 was seen least recently */
    ts_plot_rec_stats(r, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(ts_plot_rec_get(r, "10.0.0.1_40001-10.0.0.2_80", &cv), -1);
    assert_int_equal(ts_plot_rec_get(r, "10.0.0.1_40003-10.0.0.2_80", &cv), 0);
    assert_int_equal(cv.nsegs, 1);
    free(cv.segs);
    assert_int_equal(ts_plot_rec_get(r, "not a pair", &cv), -1);
    ts_plot_rec_free(r);
}

/* Churn: 5,000 frames of 40 conversations in a pseudo-random order through a record of 8. After
 * each frame the record holds the 8 conversations seen most recently, finds each of them by its
 * pair, lists them newest first, and finds none of the others. */
static void test_live_record_churn(void **state)
{
    struct ts_plot_rec *r = ts_plot_rec_new(8, 16);
    assert_non_null(r);
    ts_time_t seen[40] = { 0 };
    uint32_t x = 12345;
    for (ts_time_t t = 1; t <= 5000; t++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 16) % 40;
        rec_seg(r, t, (uint16_t)(41000 + k), (x >> 8) & 1, 1 + (uint32_t)t, FRM_ACK, 10);
        seen[k] = t;
        if (t % 97 != 0 && t < 4990) continue;
        /* the 8 most recent by the test's own bookkeeping */
        bool held[40] = { false };
        ts_time_t prev = ~(ts_time_t)0;
        for (unsigned i = 0; i < 8; i++) {
            char stem[64];
            size_t n;
            ts_time_t last;
            assert_true(ts_plot_rec_at(r, i, stem, sizeof stem, &n, &last));
            assert_true(last < prev);
            prev = last;
            unsigned port = (unsigned)atoi(strchr(stem, '_') + 1);
            assert_true(port >= 41000 && port < 41040);
            assert_int_equal(seen[port - 41000], last);
            held[port - 41000] = true;
        }
        assert_false(ts_plot_rec_at(r, 8, (char[64]){ 0 }, 64, &(size_t){ 0 }, &(ts_time_t){ 0 }));
        for (unsigned j = 0; j < 40; j++) {
            char stem[64];
            bool in = ts_plot_rec_stem(r, CLIENT_IP, (uint16_t)(41000 + j), SERVER_IP, 80, stem, sizeof stem);
            assert_int_equal(in, held[j]);
            if (!held[j]) assert_true(seen[j] < prev);     /* older than the oldest held */
        }
    }
    struct ts_plot_rec_stats st;
    ts_plot_rec_stats(r, &st);
    assert_int_equal(st.convs, 8);
    assert_true(st.evicted > 1000);
    assert_true(st.bytes <= st.bytes_bound);
    ts_plot_rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_close),
        cmocka_unit_test(test_loss_and_retransmission),
        cmocka_unit_test(test_window_scaled),
        cmocka_unit_test(test_zero_window),
        cmocka_unit_test(test_hundred_thousand_segments),
        cmocka_unit_test(test_link_types),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_bounded_output),
        cmocka_unit_test(test_live_record),
        cmocka_unit_test(test_live_record_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
