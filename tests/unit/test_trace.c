/* Unit tests: the frame decoder and the tracer (stack/trace/trace_decode.c, trace_json.c, trace_fmt.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_decode.h"
#include "trace/trace_fmt.h"
#include "driver/fault.h"
#include "lib/obs_frames.h"
#include "tapstack/socket.h"

#define A OBSF_IP(10, 0, 0, 1)
#define B OBSF_IP(10, 0, 0, 2)

static const uint8_t MAC_A[6] = { 2, 0, 10, 0, 0, 1 };
static const uint8_t ZERO_MAC[6] = { 0 };
/* mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7: what Linux puts in a SYN */
static const uint8_t SYN_OPTS[20] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };

static void expect_text(const uint8_t *f, size_t len, const char *want)
{
    struct ts_dec d;
    char buf[1024];
    ts_dec_frame(&d, f, len);
    size_t n = ts_dec_text(&d, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_arp(void **state)
{
    uint8_t f[64];
    size_t n = obsf_arp(f, 1, MAC_A, A, ZERO_MAC, B);
    expect_text(f, n, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
    static const uint8_t mac_b[6] = { 2, 0, 10, 0, 0, 2 };
    n = obsf_arp(f, 2, mac_b, B, MAC_A, A);
    expect_text(f, n, "ARP, Reply 10.0.0.2 is-at 02:00:0a:00:00:02, length 28");
    expect_text(f, 30, "ARP, [malformed: ARP shorter than 28 bytes], length 16");
}

static void test_icmp_udp(void **state)
{
    uint8_t f[200];
    size_t n = obsf_icmp_echo(f, A, B, 8, 7, 1, 56);
    expect_text(f, n, "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64");
    n = obsf_icmp_echo(f, B, A, 0, 7, 2, 0);
    expect_text(f, n, "IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 7, seq 2, length 8");
    n = obsf_udp(f, A, 5000, B, 7, (const uint8_t *)"hello", 5);
    expect_text(f, n, "IP 10.0.0.1.5000 > 10.0.0.2.7: UDP, length 5");
}

static void test_tcp(void **state)
{
    uint8_t f[2000];
    size_t n = obsf_tcp(f, A, 43210, B, 80, 1, 0, OBSF_SYN, 64240, SYN_OPTS, 20, NULL, 0);
    expect_text(f, n, "IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [S], seq 1, win 64240, "
                      "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
    n = obsf_tcp(f, B, 80, A, 43210, 4000000000u, 2, OBSF_SYN | OBSF_ACK, 65535, SYN_OPTS, 4, NULL, 0);
    expect_text(f, n, "IP 10.0.0.2.80 > 10.0.0.1.43210: Flags [S.], seq 4000000000, ack 2, win 65535, "
                      "options [mss 1460], length 0");
    n = obsf_tcp(f, A, 43210, B, 80, 4294967200u, 5, OBSF_PSH | OBSF_ACK, 502, NULL, 0, NULL, 100);
    expect_text(f, n, "IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [P.], seq 4294967200:4, ack 5, win 502, length 100");
    n = obsf_tcp(f, A, 43210, B, 80, 9, 5, OBSF_FIN | OBSF_PSH | OBSF_ACK, 502, NULL, 0, NULL, 0);
    expect_text(f, n, "IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [FP.], seq 9, ack 5, win 502, length 0");
    n = obsf_tcp(f, A, 43210, B, 80, 9, 0, OBSF_RST, 0, NULL, 0, NULL, 0);
    expect_text(f, n, "IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [R], seq 9, win 0, length 0");
    /* SACK blocks, then a bad option length */
    static const uint8_t sack[20] = { 1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40 };
    n = obsf_tcp(f, A, 1, B, 2, 1, 1, OBSF_ACK, 10, sack, 20, NULL, 0);
    expect_text(f, n, "IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], seq 1, ack 1, win 10, "
                      "options [nop,nop,sack 2 {10:20} {30:40}], length 0");
    static const uint8_t bad[4] = { 2, 9, 5, 0xb4 };
    n = obsf_tcp(f, A, 1, B, 2, 1, 1, OBSF_ACK, 10, bad, 4, NULL, 0);
    expect_text(f, n, "IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], seq 1, ack 1, win 10, options [bad opts], length 0");
}

static void test_malformed(void **state)
{
    uint8_t f[200] = {0};
    expect_text(f, 10, "[malformed: frame shorter than an Ethernet header], length 10");
    size_t n = obsf_tcp(f, A, 43210, B, 80, 1, 0, OBSF_SYN, 64240, NULL, 0, NULL, 0);
    expect_text(f, 40, "IP 10.0.0.1 > 10.0.0.2: [malformed: IPv4 total length out of range], length 40");
    f[14 + 20 + 12] = 0x30;                           /* data offset 3 words */
    expect_text(f, n, "IP 10.0.0.1.43210 > 10.0.0.2.80: [malformed: TCP data offset out of range], length 54");
    f[14] = 0x65;                                     /* version 6 */
    expect_text(f, n, "IP 10.0.0.1 > 10.0.0.2: [malformed: IP version is not 4], length 54");
    f[12] = 0x86;
    f[13] = 0xdd;
    expect_text(f, n, "IP6 (not decoded), length 54");
    f[13] = 0x99;
    expect_text(f, n, "ethertype 0x8699, length 54");
    /* every prefix of a valid frame decodes without reading past its end (ASan watches) */
    uint8_t *heap = NULL;
    n = obsf_tcp(f, A, 43210, B, 80, 1, 0, OBSF_SYN, 64240, SYN_OPTS, 20, NULL, 0);
    char buf[1024];
    for (size_t len = 0; len <= n; len++) {
        heap = malloc(len ? len : 1);
        memcpy(heap, f, len);
        struct ts_dec d;
        ts_dec_frame(&d, heap, len);
        ts_dec_text(&d, buf, sizeof buf);
        ts_dec_json(&d, buf, sizeof buf);
        free(heap);
    }
}

static void test_json_frame(void **state)
{
    uint8_t f[200];
    size_t n = obsf_tcp(f, A, 43210, B, 80, 1, 0, OBSF_SYN, 64240, SYN_OPTS, 20, NULL, 0);
    struct ts_trace_event ev = { .kind = TS_TRACE_FRAME_IN, .now = 1700000000123456ull, .frame = f, .len = n };
    char buf[2048];
    ts_trace_format(TS_TRACE_FMT_JSON, &ev, buf, sizeof buf);
    assert_string_equal(buf,
        "{\"t_us\":1700000000123456,\"ev\":\"frame\",\"dir\":\"in\",\"frame\":{\"len\":74,"
        "\"eth\":{\"src\":\"02:00:0a:00:00:01\",\"dst\":\"02:00:0a:00:00:02\",\"type\":2048},"
        "\"ip\":{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"proto\":6,\"ttl\":64,\"tos\":0,\"id\":4660,"
        "\"len\":60,\"df\":true,\"mf\":false,\"frag_off\":0},"
        "\"tcp\":{\"sport\":43210,\"dport\":80,\"seq\":1,\"ack\":0,\"flags\":\"S\",\"win\":64240,\"urg\":0,"
        "\"hlen\":40,\"payload\":0,\"options\":[{\"kind\":\"mss\",\"value\":1460},{\"kind\":\"sackOK\"},"
        "{\"kind\":\"ts\",\"val\":1,\"ecr\":0},{\"kind\":\"nop\"},{\"kind\":\"wscale\",\"value\":7}]},"
        "\"summary\":\"IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460,"
        "sackOK,TS val 1 ecr 0,nop,wscale 7], length 0\"}}");
    /* a truncated buffer still ends in a terminated string and reports the full length */
    char small[40];
    size_t want = ts_trace_format(TS_TRACE_FMT_JSON, &ev, small, sizeof small);
    assert_int_equal(want, strlen(buf));
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_text_events(void **state)
{
    uint8_t f[64];
    size_t n = obsf_arp(f, 1, MAC_A, A, ZERO_MAC, B);
    char buf[1024];
    struct ts_trace_event ev = { .kind = TS_TRACE_FRAME_OUT, .now = 1000001, .frame = f, .len = n };
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "1.000001 out ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
    ev.kind = TS_TRACE_FRAME_IN;
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "1.000001 in  ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");

    ev = (struct ts_trace_event){ .kind = TS_TRACE_DROP, .now = 2500000, .frame = f, .len = 42,
                                  .counter = TS_CTR_eth_drop_not_for_us };
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "2.500000 drop eth.drop_not_for_us (dropped: destination MAC neither ours nor "
                             "broadcast), length 42");
    ts_trace_format(TS_TRACE_FMT_JSON, &ev, buf, sizeof buf);
    assert_string_equal(buf, "{\"t_us\":2500000,\"ev\":\"drop\",\"proto\":\"eth\",\"reason\":\"drop_not_for_us\","
                             "\"desc\":\"dropped: destination MAC neither ours nor broadcast\",\"len\":42}");
}

static void noop_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now) {}

static void test_sock_events(void **state)
{
    /* a real socket gives the connection's names; UDP will do for formatting */
    struct ts_config cfg;
    ts_config_default(&cfg);
    struct ts_stack *s = ts_stack_new(&cfg, NULL);
    assert_non_null(s);
    struct ts_sock *sock;
    assert_int_equal(ts_udp_open(s, B, 80, noop_cb, NULL, &sock), 0);
    assert_int_equal(ts_udp_connect(sock, A, 43210), 0);
    char buf[1024];
    struct ts_trace_event ev = { .kind = TS_TRACE_STATE, .now = 3000000, .sock = sock,
                                 .old_state = TS_TCP_SYN_RECEIVED, .new_state = TS_TCP_ESTABLISHED,
                                 .why = "ACK of our SYN" };
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "3.000000 state 10.0.0.2:80 10.0.0.1:43210 SYN_RECEIVED -> ESTABLISHED (ACK of our SYN)");
    ts_trace_format(TS_TRACE_FMT_JSON, &ev, buf, sizeof buf);
    assert_string_equal(buf, "{\"t_us\":3000000,\"ev\":\"state\",\"local\":\"10.0.0.2:80\",\"remote\":\"10.0.0.1:43210\","
                             "\"from\":\"SYN_RECEIVED\",\"to\":\"ESTABLISHED\",\"why\":\"ACK of our SYN\"}");
    ev = (struct ts_trace_event){ .kind = TS_TRACE_TIMER, .now = 3200000, .sock = sock, .why = "retransmit" };
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "3.200000 timer 10.0.0.2:80 10.0.0.1:43210 retransmit");
    ev = (struct ts_trace_event){ .kind = TS_TRACE_CWND, .now = 3200000, .sock = sock, .cwnd = 2920,
                                  .ssthresh = 5840, .rto = 400500, .why = "timeout" };
    ts_trace_format(TS_TRACE_FMT_TEXT, &ev, buf, sizeof buf);
    assert_string_equal(buf, "3.200000 cwnd 10.0.0.2:80 10.0.0.1:43210 cwnd 2920 ssthresh 5840 rto 400.500ms (timeout)");
    ts_trace_format(TS_TRACE_FMT_JSON, &ev, buf, sizeof buf);
    assert_string_equal(buf, "{\"t_us\":3200000,\"ev\":\"cwnd\",\"local\":\"10.0.0.2:80\",\"remote\":\"10.0.0.1:43210\","
                             "\"cwnd\":2920,\"ssthresh\":5840,\"rto_us\":400500,\"why\":\"timeout\"}");
    /* quotes and control characters in a reason are escaped */
    ev = (struct ts_trace_event){ .kind = TS_TRACE_STATE, .now = 1, .sock = sock, .why = "a \"b\"\n" };
    ts_trace_format(TS_TRACE_FMT_JSON, &ev, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"why\":\"a \\\"b\\\"\\n\"}"));
    ts_udp_close(sock);
    ts_stack_free(s);
}

static void test_tracer(void **state)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *out = open_memstream(&mem, &memlen);
    struct ts_tracer t;
    ts_tracer_init(&t, out, TS_TRACE_FMT_TEXT);
    uint8_t f[200];
    size_t n = obsf_icmp_echo(f, A, B, 8, 1, 1, 0);
    struct ts_trace_event ev = { .kind = TS_TRACE_FRAME_IN, .now = 5, .frame = f, .len = n };
    ts_tracer_event(&t, &ev);
    ev.kind = TS_TRACE_FRAME_OUT;
    ts_tracer_event(&t, &ev);
    ev = (struct ts_trace_event){ .kind = TS_TRACE_DROP, .now = 6, .counter = TS_CTR_eth_drop_short };
    ts_tracer_event(&t, &ev);
    ts_tracer_event(&t, &ev);
    char names[32];
    ts_tracer_fault(&t, 7, TS_FAULT_IN, ts_fault_names(TS_FAULT_LOST, names, sizeof names), f, n);
    ts_tracer_fault(&t, 8, TS_FAULT_OUT, ts_fault_names(TS_FAULT_CORRUPT | TS_FAULT_DUP, names, sizeof names), f, n);
    fclose(out);
    assert_int_equal(t.frames_in, 1);
    assert_int_equal(t.frames_out, 1);
    assert_int_equal(t.drops, 2);
    assert_int_equal(t.drop_by[TS_CTR_eth_drop_short], 2);
    assert_int_equal(t.faults, 2);
    assert_string_equal(mem,
        "0.000005 in  IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 8\n"
        "0.000005 out IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 8\n"
        "0.000006 drop eth.drop_short (dropped: shorter than an Ethernet header)\n"
        "0.000006 drop eth.drop_short (dropped: shorter than an Ethernet header)\n"
        "0.000007 fault in loss: IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 8\n"
        "0.000008 fault out corrupt,dup: IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 8\n");
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_icmp_udp),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_json_frame),
        cmocka_unit_test(test_text_events),
        cmocka_unit_test(test_sock_events),
        cmocka_unit_test(test_tracer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
