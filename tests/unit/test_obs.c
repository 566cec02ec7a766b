/* Unit tests: the observability flags (cli/obs_opts.c), the driver-edge bundle (driver/obs.c) on a
 * real stack, and `tapstack replay` (cli/replay.c) on a small capture. */
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

#include "cli/cli.h"
#include "cli/obs_opts.h"
#include "cli/up_opts.h"
#include "driver/obs.h"
#include "driver/pcap.h"
#include "lib/obs_frames.h"
#include "tapstack/stats.h"


#define PEER OBSF_IP(10, 0, 0, 1)
#define US OBSF_IP(10, 0, 0, 2)

static int parse(struct ts_up_opts *o, char *err, size_t n, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, n);
    argv[argc++] = "up";
    for (char *a; argc < 31 && (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return ts_up_parse(argc, argv, o, err, n);
}

static void test_flags(void **state)
{
    struct ts_up_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--pcap", "x.pcap", "--trace=json", "--loss", "0.1", "--dup-in=0.2",
                           "--delay-out", "20+5", "--rate", "10M", "--reorder-out", "5%", "--seed", "7", NULL), 0);
    assert_string_equal(o.obs.pcap, "x.pcap");
    assert_true(o.obs.trace);
    assert_int_equal(o.obs.trace_fmt, TS_TRACE_FMT_JSON);
    for (int d = 0; d < 2; d++) {
        assert_true(o.obs.fault[d].loss > 0.0999 && o.obs.fault[d].loss < 0.1001);
        assert_int_equal(o.obs.fault[d].rate, 10000000);
    }
    assert_true(o.obs.fault[TS_FAULT_IN].dup > 0.19 && o.obs.fault[TS_FAULT_OUT].dup == 0);
    assert_int_equal(o.obs.fault[TS_FAULT_OUT].delay, 20000);
    assert_int_equal(o.obs.fault[TS_FAULT_OUT].jitter, 5000);
    assert_int_equal(o.obs.fault[TS_FAULT_IN].delay, 0);
    assert_true(o.obs.fault[TS_FAULT_OUT].reorder > 0.049 && o.obs.fault[TS_FAULT_IN].reorder == 0);
    assert_true(o.seed_set);
    assert_true(ts_obs_opts_active(&o.obs));
    ts_up_opts_free(&o);

    assert_int_equal(parse(&o, err, sizeof err, "--trace", NULL), 0);
    assert_true(o.obs.trace);
    assert_int_equal(o.obs.trace_fmt, TS_TRACE_FMT_TEXT);
    ts_up_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, NULL), 0);
    assert_false(ts_obs_opts_active(&o.obs));
    ts_up_opts_free(&o);

    static const struct { const char *a, *b, *want; } bad[] = {
        { "--loss", "2", "fraction" },       { "--trace=xml", NULL, "--trace=json" },
        { "--delay", "x", "milliseconds" },  { "--rate", "10", "bits per second" },
        { "--pcap", NULL, "needs a value" }, { "--loss-sideways", "0.1", "unknown flag" },
        { "--corrupt-in", "-1", "fraction" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(parse(&o, err, sizeof err, bad[i].a, bad[i].b, NULL), -1);
        if (!strstr(err, bad[i].want)) fail_msg("%s %s: '%s' lacks '%s'", bad[i].a, bad[i].b, err, bad[i].want);
        ts_up_opts_free(&o);
    }
}

static void test_pcap_dir_flag(void **state)
{
    char dir[64] = "/tmp/ts-obs-dir-XXXXXX", sub[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/conns", dir);
    struct ts_up_opts o;
    assert_int_equal(parse(&o, err, sizeof err, "--pcap-per-conn", sub, NULL), 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    ts_up_opts_free(&o);
    rmdir(sub);
    rmdir(dir);
}

static struct ts_stack *stack_for(struct ts_config *cfg)
{
    cfg->ip = US;
    obsf_mac(US, cfg->mac);
    cfg->seed = 1;
    struct ts_stack *s = ts_stack_new(cfg, NULL);
    assert_non_null(s);
    uint8_t peer_mac[6];
    obsf_mac(PEER, peer_mac);
    assert_int_equal(ts_stack_arp_add(s, 0, PEER, peer_mac, true), 0);
    return s;
}

static void test_passthrough(void **state)
{
    struct ts_obs_opts none = { 0 };
    struct ts_config cfg;
    char err[128] = "x";
    ts_config_default(&cfg);
    assert_null(ts_obs_new(&none, &cfg, err, sizeof err));
    assert_string_equal(err, "");
    assert_null(cfg.trace);
    struct ts_stack *s = stack_for(&cfg);
    uint8_t f[200], out[2000];
    size_t n = obsf_icmp_echo(f, PEER, US, 8, 1, 1, 32);
    ts_obs_receive(NULL, s, 10, f, n);
    assert_int_equal(ts_stack_stats(s)->v[TS_CTR_eth_rx_frames], 1);
    assert_int_equal(ts_obs_transmit(NULL, s, 10, out, sizeof out), n);   /* the echo reply */
    assert_int_equal(ts_obs_poll_at(NULL), TS_TIME_NEVER);
    assert_false(ts_obs_poll(NULL, s, 10));
    assert_int_equal(ts_obs_free(NULL, NULL), 0);
    ts_stack_free(s);
}

static void test_faults_and_capture(void **state)
{
    char path[64] = "/tmp/ts-obs-cap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ts_obs_opts o = { .pcap = path };
    o.fault[TS_FAULT_IN].loss = 0.5;
    o.fault[TS_FAULT_OUT].delay = TS_MS(5);
    struct ts_config cfg;
    char err[128];
    ts_config_default(&cfg);
    struct ts_obs *obs = ts_obs_new(&o, &cfg, err, sizeof err);
    assert_non_null(obs);
    struct ts_stack *s = stack_for(&cfg);
    assert_int_equal(ts_obs_attach(obs, s, err, sizeof err), 0);

    uint8_t f[200], out[2000];
    ts_time_t now = TS_SEC(100);
    unsigned replies = 0;
    for (uint16_t i = 0; i < 100; i++, now += TS_MS(10)) {
        size_t n = obsf_icmp_echo(f, PEER, US, 8, 1, i, 32);
        ts_obs_receive(obs, s, now, f, n);
        ts_stack_dispatch(s, now);
        assert_int_equal(ts_obs_transmit(obs, s, now, out, sizeof out), 0);     /* held 5 ms */
        ts_time_t due = ts_obs_poll_at(obs);
        if (due == TS_TIME_NEVER) continue;                                   /* the request was lost */
        assert_int_equal(due, now + TS_MS(5));
        assert_int_equal(ts_obs_transmit(obs, s, due, out, sizeof out), n);
        replies++;
    }
    const struct ts_stats *st = ts_stack_stats(s);
    assert_int_equal(st->v[TS_CTR_fault_loss_in] + replies, 100);
    assert_in_range(replies, 30, 70);
    assert_int_equal(st->v[TS_CTR_eth_rx_frames], replies);
    assert_int_equal(st->v[TS_CTR_fault_delayed_out], replies);
    ts_stack_free(s);
    assert_int_equal(ts_obs_free(obs, NULL), 0);

    /* the capture holds what the stack received and sent: request, reply, request, reply ... */
    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    assert_non_null(r);
    struct ts_pcap_rec rec;
    unsigned k = 0;
    while (ts_pcap_read(r, &rec, err, sizeof err) == 1) {
        assert_int_equal(rec.data[14 + 20], k % 2 ? 0 : 8);   /* ICMP type */
        assert_true(rec.t >= TS_SEC(100));
        k++;
    }
    assert_int_equal(k, 2 * replies);
    ts_pcap_reader_close(r);
    unlink(path);
}

/* A capture: ARP request and 3 pings from the peer, with the stack's live replies in between. */
static void write_capture(const char *path)
{
    struct ts_pcap_writer *w = ts_pcap_open(path);
    assert_non_null(w);
    uint8_t f[200], mac[6], zero[6] = { 0 };
    obsf_mac(PEER, mac);
    size_t n = obsf_arp(f, 1, mac, PEER, zero, US);
    ts_pcap_write(w, TS_SEC(1000), f, n);
    for (uint16_t i = 1; i <= 3; i++) {
        n = obsf_icmp_echo(f, PEER, US, 8, 9, i, 16);
        ts_pcap_write(w, TS_SEC(1000) + TS_MS(100) * i, f, n);
        n = obsf_icmp_echo(f, US, PEER, 0, 9, i, 16);                        /* from our MAC: not fed */
        ts_pcap_write(w, TS_SEC(1000) + TS_MS(100) * i + 50, f, n);
    }
    assert_int_equal(ts_pcap_close(w), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_replay(void **state)
{
    char cap[64] = "/tmp/ts-obs-rep-XXXXXX", trace[64] = "/tmp/ts-obs-trc-XXXXXX";
    close(mkstemp(cap));
    close(mkstemp(trace));
    write_capture(cap);
    char *argv[] = { "replay", cap, "--seed", "1", "--mac", "02:00:0a:00:00:02", "--trace-file", trace, NULL };
    assert_int_equal(ts_cmd_replay(8, argv), TS_EXIT_OK);
    const char *t = slurp(trace);
    assert_non_null(strstr(t, "1000.000000 in  ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"));
    assert_non_null(strstr(t, "1000.100000 in  IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 9, seq 1, length 24"));
    assert_non_null(strstr(t, "1000.100000 out IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 9, seq 1, length 24"));
    assert_non_null(strstr(t, "1000.300000 out IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 9, seq 3, length 24"));
    int ins = 0;
    for (const char *p = t; (p = strstr(p, " in  ")); p++) ins++;
    assert_int_equal(ins, 4);                            /* our own live replies were not fed back */

    /* a bad file is an error with a message, not a crash */
    FILE *f = fopen(cap, "wb");
    fputs("not a capture at all, sorry", f);
    fclose(f);
    char *argv2[] = { "replay", cap, "--quiet", NULL };
    assert_int_equal(ts_cmd_replay(3, argv2), TS_EXIT_FAIL);
    char *argv3[] = { "replay", NULL };
    assert_int_equal(ts_cmd_replay(1, argv3), TS_EXIT_USAGE);
    unlink(cap);
    unlink(trace);
}

/* Frames with one timestamp are one batch of the live loop: all received before anything is sent
 * (ACK merging and segment sizes depend on it); frames at other times each get their own. */
static void test_replay_batch(void **state)
{
    (void)state;
    char cap[64] = "/tmp/ts-obs-bat-XXXXXX", trace[64] = "/tmp/ts-obs-btr-XXXXXX";
    close(mkstemp(cap));
    close(mkstemp(trace));
    struct ts_pcap_writer *w = ts_pcap_open(cap);
    assert_non_null(w);
    uint8_t f[200], mac[6], zero[6] = { 0 };
    obsf_mac(PEER, mac);
    size_t n = obsf_arp(f, 1, mac, PEER, zero, US);
    ts_pcap_write(w, TS_SEC(1000), f, n);
    for (uint16_t i = 1; i <= 4; i++) {              /* 1 and 2 in one batch, 3 and 4 apart */
        n = obsf_icmp_echo(f, PEER, US, 8, 9, i, 16);
        ts_pcap_write(w, TS_SEC(1001) + (i <= 2 ? 0 : TS_MS(100) * i), f, n);
    }
    assert_int_equal(ts_pcap_close(w), 0);
    char *argv[] = { "replay", cap, "--seed", "1", "--mac", "02:00:0a:00:00:02", "--trace-file", trace, NULL };
    assert_int_equal(ts_cmd_replay(8, argv), TS_EXIT_OK);
    const char *t = slurp(trace);
    char seq[16] = "";
    size_t k = 0;
    for (const char *p = t; *p && k < sizeof seq - 1; p++) {
        if (strncmp(p, " in  IP", 7) == 0) seq[k++] = 'i';
        else if (strncmp(p, " out IP", 7) == 0) seq[k++] = 'o';
    }
    assert_string_equal(seq, "iiooioio");
    unlink(cap);
    unlink(trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_pcap_dir_flag),
        cmocka_unit_test(test_passthrough),
        cmocka_unit_test(test_faults_and_capture),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_replay_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
