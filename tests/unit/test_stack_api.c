/* The stack object's own API (stack/core/stack.c, sock.c; stack/net/arp.c): every bad ts_config
 * is refused with its own message, defaults fill the zero fields, every error code and ARP state
 * has a name, dotted-quad addresses parse strictly, and zero-copy transmit hands out each frame
 * once and takes it back. */
#include <stdlib.h>
#include "lib/core_util.h"
#include "net/arp.h"
#include "tapstack/socket.h"

static struct ts_config good(void)
{
    struct ts_config c;
    ts_config_default(&c);
    c.seed = 1;
    return c;
}

/* Each bad field is named in the message; the stack is not made. */
static void bad_config_refused(void **st)
{
    (void)st;
    static const struct { const char *field; const char *words; } cases[] = {
        { "mtu low", "mtu must be 576..9000" },
        { "mtu high", "mtu must be 576..9000" },
        { "prefix", "prefix length must be 0..32" },
        { "ip", "an IPv4 address is required" },
        { "mac", "the MAC address must be unicast" },
        { "port low 0", "ephemeral port range" },
        { "port low > high", "ephemeral port range" },
        { "offload bits", "unknown offload flags" },
        { "tso alone", "TSO needs checksum offload" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ts_config c = good();
        switch (i) {
        case 0: c.mtu = 575; break;
        case 1: c.mtu = 9001; break;
        case 2: c.prefix_len = 33; break;
        case 3: c.ip = 0; break;
        case 4: c.mac[0] = 0x03; break;
        case 5: c.port_low = 0; c.port_high = 5000; break;
        case 6: c.port_low = 6000; c.port_high = 5000; break;
        case 7: c.offload = 0x80; break;
        case 8: c.offload = TS_OFFLOAD_TSO; break;
        }
        const char *why = NULL;
        struct ts_stack *s = ts_stack_new(&c, &why);
        if (s || !why || !strstr(why, cases[i].words))
            fail_msg("%s: got %s", cases[i].field, why ? why : "(a stack)");
    }
    struct ts_config c = good();
    c.mtu = 1;
    assert_null(ts_stack_new(&c, NULL));          /* no place for the reason: still refused */
}

/* Zero fields take their documented defaults; a full config is kept as given. */
static void defaults_filled(void **st)
{
    (void)st;
    struct ts_config c = good();
    c.mtu = 0; c.port_low = 0; c.port_high = 0; c.tcp_msl = 0; c.tcp_rto_min = 0;
    c.tcp_max_conns = 0; c.arp_cache_size = 0; c.prefix_len = 0;
    const char *why = "x";
    struct ts_stack *s = ts_stack_new(&c, &why);
    assert_non_null(s);
    assert_null(why);
    assert_int_equal(ts_stack_frame_max(s), 1514);
    ts_stack_free(s);

    c = good();
    c.mtu = 9000; c.offload = TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO; c.prefix_len = 32;
    c.tcp_msl = TS_SEC(1); c.tcp_rto_min = TS_MS(10); c.tcp_max_conns = 4; c.arp_cache_size = 8;
    s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    assert_true(ts_stack_frame_max(s) > 9014);     /* TSO: segments up to 64 KB */
    ts_stack_free(s);
}

/* Every error code, as returned (negative) or stored (positive), has its own words. */
static void every_error_named(void **st)
{
    (void)st;
    const char *seen[TS_ECONNABORTED + 1];
    for (int e = TS_OK; e <= TS_ECONNABORTED; e++) {
        const char *m = ts_strerror(-e);
        assert_non_null(m);
        assert_string_equal(m, ts_strerror(e));
        assert_string_not_equal(m, "unknown error");
        for (int k = 0; k < e; k++) assert_string_not_equal(m, seen[k]);
        seen[e] = m;
    }
    assert_string_equal(ts_strerror(TS_ECONNABORTED + 1), "unknown error");
    assert_string_equal(ts_strerror(-1000), "unknown error");
}

static void arp_states_named(void **st)
{
    (void)st;
    assert_string_equal(ts_arp_state_name(TS_ARP_FREE), "free");
    assert_string_equal(ts_arp_state_name(TS_ARP_INCOMPLETE), "incomplete");
    assert_string_equal(ts_arp_state_name(TS_ARP_REACHABLE), "reachable");
    assert_string_equal(ts_arp_state_name(TS_ARP_STALE), "stale");
    assert_string_equal(ts_arp_state_name(TS_ARP_STATIC), "static");
}

/* Four decimal octets of at most 3 digits and 255, three dots, nothing after. */
static void ip_parse_strict(void **st)
{
    (void)st;
    uint32_t ip = 7;
    char buf[16];
    assert_true(ts_ip_parse("10.0.0.1", &ip));
    assert_int_equal(ip, 0x0a000001u);
    assert_string_equal(ts_ip_str(ip, buf), "10.0.0.1");
    assert_true(ts_ip_parse("255.255.255.255", &ip));
    assert_int_equal(ip, 0xffffffffu);
    static const char *bad[] = { "", "256.0.0.1", "1.2.3", "1.2.3.4.", "1..2.3", "0001.2.3.4",
                                 "a.b.c.d", "1.2.3.4 ", "-1.2.3.4", "1,2.3.4", "1.2.3.999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ip = 7;
        if (ts_ip_parse(bad[i], &ip) || ip != 7) fail_msg("accepted \"%s\"", bad[i]);
    }
}

/* ts_stack_tx_take gives the queued frames in order without copying; a taken frame counts
 * against the pool until ts_stack_tx_done; an empty queue gives NULL. */
static void zero_copy_transmit(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    assert_int_equal(ts_stack_arp_add(s, 0, PEER_IP, PEER_MAC, true), 0);
    uint8_t f[128];
    const uint8_t *frame;
    size_t len;
    struct ts_frame_info info;
    assert_null(ts_stack_tx_take(s, 0, &frame, &len, &info));
    ts_stack_receive(s, 0, f, build_ping(f, 8, 1, 1));
    ts_stack_receive(s, 0, f, build_ping(f, 8, 1, 2));
    const struct ts_tx *a = ts_stack_tx_take(s, 0, &frame, &len, &info);
    assert_non_null(a);
    assert_int_equal(len, 60);                                /* 14 + 20 + 8 + 8, padded */
    assert_int_equal(ts_get16(frame + 14 + 20 + 6), 1);       /* echo reply, sequence 1 */
    assert_int_equal(info.flags, 0);
    const uint8_t *frame2;
    const struct ts_tx *b = ts_stack_tx_take(s, 0, &frame2, &len, &info);
    assert_non_null(b);
    assert_ptr_not_equal(frame, frame2);
    assert_int_equal(ts_get16(frame2 + 14 + 20 + 6), 2);
    assert_null(ts_stack_tx_take(s, 0, &frame, &len, &info));
    ts_stack_tx_done(s, a);
    ts_stack_tx_done(s, b);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_config_refused),
        cmocka_unit_test(defaults_filled),
        cmocka_unit_test(every_error_named),
        cmocka_unit_test(arp_states_named),
        cmocka_unit_test(ip_parse_strict),
        cmocka_unit_test(zero_copy_transmit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
