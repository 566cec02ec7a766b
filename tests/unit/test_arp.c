/* The ARP cache: answer, learn, pending queue, retries and expiry, bound, rate limit. */
#include "lib/core_util.h"
#include "net/arp.h"

static size_t next_frame(struct ts_stack *s, ts_time_t now, uint8_t *buf)
{
    return ts_stack_transmit(s, now, buf, 1600);
}

static void answers_request_and_learns(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[64], out[1600];
    size_t n = build_arp(in, 1, PEER_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, 5, in, n);
    size_t m = next_frame(s, 5, out);
    assert_int_equal(m, 60);
    assert_memory_equal(out, PEER_MAC, 6);             /* unicast reply */
    assert_int_equal(ts_get16(out + 12), 0x0806);
    assert_int_equal(ts_get16(out + 14 + 6), 2);       /* reply */
    assert_memory_equal(out + 14 + 8, OUR_MAC, 6);
    assert_int_equal(ts_get32(out + 14 + 14), OUR_IP);
    assert_memory_equal(out + 14 + 18, PEER_MAC, 6);
    assert_int_equal(ts_get32(out + 14 + 24), PEER_IP);
    /* the sender was learned: a ping is answered at once, with no ARP request */
    n = build_ping(in, 0, 1, 1);
    ts_stack_receive(s, 6, in, n);
    m = next_frame(s, 6, out);
    assert_int_equal(ts_get16(out + 12), 0x0800);
    assert_int_equal(ctr(s, TS_CTR_arp_tx_requests), 0);
    ts_stack_free(s);
}

static void request_for_other_not_learned(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[64];
    size_t n = build_arp(in, 1, PEER_MAC, PEER_IP, 0x0a000063);
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_not_for_us), 1);
    assert_int_equal(drain(s, 0), 0);
    ts_stack_free(s);
}

static void pending_queue_released_on_reply(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[1600], out[1600];
    /* Three pings from an unknown neighbour: the replies wait for ARP. */
    for (int i = 0; i < 3; i++) {
        size_t n = build_ping(in, 100, 7, (uint16_t)i);
        ts_stack_receive(s, 10, in, n);
    }
    size_t m = next_frame(s, 10, out);
    assert_int_equal(ts_get16(out + 12), 0x0806);
    assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff", 6);
    assert_int_equal(ts_get32(out + 14 + 24), PEER_IP);
    assert_int_equal(next_frame(s, 10, out), 0);            /* only one request, not three */
    assert_int_equal(ctr(s, TS_CTR_arp_pending_queued), 3);
    assert_true(ts_stack_poll_at(s) <= 10 + TS_SEC(1));
    /* the answer releases all three, in order */
    size_t n = build_arp(in, 2, PEER_MAC, PEER_IP, OUR_IP);
    memcpy(in, OUR_MAC, 6);
    ts_stack_receive(s, 20, in, n);
    for (int i = 0; i < 3; i++) {
        m = next_frame(s, 20, out);
        assert_true(m > 0);
        assert_memory_equal(out, PEER_MAC, 6);
        assert_int_equal(ts_get16(out + 34 + 6), i);
    }
    assert_int_equal(next_frame(s, 20, out), 0);
    assert_int_equal(ts_stack_poll_at(s), TS_TIME_NEVER);
    ts_stack_free(s);
}

static void unanswered_gives_up(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[1600];
    size_t n = build_ping(in, 10, 7, 1);
    ts_stack_receive(s, 0, in, n);
    unsigned requests = drain(s, 0);
    for (int i = 0; i < 10 && ts_stack_poll_at(s) != TS_TIME_NEVER; i++) {
        ts_time_t t = ts_stack_poll_at(s);
        ts_stack_poll(s, t);
        requests += drain(s, t);
    }
    assert_int_equal(requests, 3);                              /* TS_ARP_MAX_TRIES */
    assert_int_equal(ctr(s, TS_CTR_arp_drop_unresolved), 1);
    assert_int_equal(ts_stack_poll_at(s), TS_TIME_NEVER);
    ts_stack_free(s);
}

static bool count_one(void *arg, const struct ts_arp_view *e)
{
    (void)e;
    ++*(unsigned *)arg;
    return true;
}

static unsigned count_entries(struct ts_stack *s)
{
    unsigned n = 0;
    ts_arp_foreach(s, count_one, &n);
    return n;
}

static void cache_is_bounded(void **st)
{
    (void)st;
    struct ts_config c;
    ts_config_default(&c);
    c.prefix_len = 8;                  /* 10/8: room for many neighbours */
    struct ts_stack *s = ts_stack_new(&c, NULL);
    uint8_t in[64];
    for (uint32_t i = 0; i < 100000; i++) {
        uint8_t mac[6] = { 0x02, 0xaa, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 1 };
        size_t n = build_arp(in, 1, mac, 0x0a100000 + i, OUR_IP);
        ts_stack_receive(s, i, in, n);
        drain(s, i);
    }
    assert_int_equal(count_entries(s), 256);
    assert_true(ctr(s, TS_CTR_arp_cache_evictions) >= 100000 - 256);
    ts_stack_free(s);
}

static void requests_rate_limited(void **st)
{
    (void)st;
    struct ts_config c;
    ts_config_default(&c);
    c.prefix_len = 16;
    struct ts_stack *s = ts_stack_new(&c, NULL);
    uint8_t in[200];
    /* 200 pings from 200 unknown neighbours within one second */
    for (uint32_t i = 0; i < 200; i++) {
        size_t n = build_ping(in, 0, 1, 1);
        ts_put32(in + 26, 0x0a000100 + i);
        ts_put16(in + 24, 0);
        ts_put16(in + 24, ts_csum(in + 14, 20));
        ts_stack_receive(s, 1000 + i, in, n);
    }
    unsigned sent = drain(s, 2000);
    assert_int_equal(sent, TS_ARP_REQUESTS_PER_SEC);
    assert_true(ctr(s, TS_CTR_arp_request_rate_limited) > 0);
    ts_stack_free(s);
}

static void malformed_dropped(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[64];
    size_t n = build_arp(in, 1, PEER_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, 0, in, 14 + 27);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_short), 1);
    in[14 + 4] = 8;
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_bad_format), 1);
    n = build_arp(in, 9, PEER_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_bad_op), 1);
    static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
    n = build_arp(in, 1, mcast, PEER_IP, OUR_IP);
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_sender_mac_group), 1);
    assert_int_equal(drain(s, 0), 0);
    assert_int_equal(count_entries(s), 0);
    ts_stack_free(s);
}

static bool cached_visit(void *arg, const struct ts_arp_view *e)
{
    struct ts_arp_view *want = arg;
    if (e->ip != want->ip) return true;
    *want = *e;
    return false;
}

/* The MAC cached for ip, or NULL. */
static const uint8_t *cached_mac(struct ts_stack *s, uint32_t ip)
{
    static struct ts_arp_view found;
    memset(&found, 0, sizeof found);
    found.ip = ip;
    ts_arp_foreach(s, cached_visit, &found);
    return found.state != TS_ARP_FREE ? found.mac : NULL;
}

/* No crafted request or reply makes the all-zero MAC, our own MAC or a group MAC a neighbour's:
 * not as a new entry, not as an update of one we have (merge), not by hand. */
static void neighbour_mac_rules(void **st)
{
    (void)st;
    static const uint8_t zero[6] = { 0 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const uint8_t *bad[3] = { zero, OUR_MAC, bcast };
    const unsigned ctrs[3] = { TS_CTR_arp_drop_sender_mac_zero, TS_CTR_arp_drop_sender_mac_ours,
                               TS_CTR_arp_drop_sender_mac_group };
    for (int k = 0; k < 3; k++) {
        struct ts_stack *s = new_stack();
        uint8_t in[64];
        /* new entry: a request and a reply to us */
        for (uint16_t op = 1; op <= 2; op++) {
            size_t n = build_arp(in, op, bad[k], PEER_IP, OUR_IP);
            ts_stack_receive(s, 1, in, n);
        }
        assert_int_equal(ctr(s, ctrs[k]), 2);
        assert_null(cached_mac(s, PEER_IP));
        assert_int_equal(drain(s, 1), 0);               /* and no reply to such a sender */
        /* an existing entry is not overwritten, by a request to us or a gratuitous reply */
        size_t n = build_arp(in, 1, PEER_MAC, PEER_IP, OUR_IP);
        ts_stack_receive(s, 2, in, n);
        drain(s, 2);
        n = build_arp(in, 1, bad[k], PEER_IP, OUR_IP);
        ts_stack_receive(s, 3, in, n);
        n = build_arp(in, 2, bad[k], PEER_IP, PEER_IP);
        ts_stack_receive(s, 3, in, n);
        assert_int_equal(ctr(s, ctrs[k]), 4);
        assert_memory_equal(cached_mac(s, PEER_IP), PEER_MAC, 6);
        /* nor by hand */
        assert_int_equal(ts_stack_arp_add(s, 4, PEER_IP + 1, bad[k], false), -1);
        assert_int_equal(ts_stack_arp_add(s, 4, PEER_IP, bad[k], true), -1);
        assert_memory_equal(cached_mac(s, PEER_IP), PEER_MAC, 6);
        assert_null(cached_mac(s, PEER_IP + 1));
        ts_stack_free(s);
    }
}

/* Another MAC claiming our IP is a conflict (RFC 5227 §2.4): counted, the cache unchanged, and we
 * defend with one announcement per 10 s. Gratuitous ARP refreshes only entries that exist, never
 * a static one. */
static void conflict_and_gratuitous(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[64], out[1600];
    size_t n = build_arp(in, 1, PEER_MAC, OUR_IP, OUR_IP);    /* "I am 10.0.0.2" */
    ts_stack_receive(s, 1, in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_addr_conflict), 1);
    assert_int_equal(count_entries(s), 0);
    size_t m = next_frame(s, 1, out);                           /* the defence: broadcast */
    assert_int_equal(m, 60);
    assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff", 6);
    assert_memory_equal(out + 14 + 8, OUR_MAC, 6);
    assert_int_equal(ts_get32(out + 14 + 14), OUR_IP);
    assert_int_equal(ts_get32(out + 14 + 24), OUR_IP);
    n = build_arp(in, 2, PEER_MAC, OUR_IP, OUR_IP);
    ts_stack_receive(s, TS_SEC(5), in, n);                     /* again within 10 s: no defence */
    assert_int_equal(ctr(s, TS_CTR_arp_drop_addr_conflict), 2);
    assert_int_equal(next_frame(s, TS_SEC(5), out), 0);
    ts_stack_receive(s, TS_SEC(12), in, n);
    assert_int_equal(ctr(s, TS_CTR_arp_tx_defend), 2);
    drain(s, TS_SEC(12));
    /* gratuitous ARP (spa == tpa) for a host we do not know: not learned */
    static const uint8_t NEW_MAC[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
    n = build_arp(in, 1, NEW_MAC, PEER_IP, PEER_IP);
    ts_stack_receive(s, TS_SEC(13), in, n);
    assert_null(cached_mac(s, PEER_IP));
    /* for one we know: refreshed (RFC 826 merge) */
    assert_int_equal(ts_stack_arp_add(s, TS_SEC(13), PEER_IP, PEER_MAC, false), 0);
    ts_stack_receive(s, TS_SEC(14), in, n);
    assert_memory_equal(cached_mac(s, PEER_IP), NEW_MAC, 6);
    /* a static entry: never */
    assert_int_equal(ts_stack_arp_add(s, TS_SEC(15), PEER_IP, PEER_MAC, true), 0);
    ts_stack_receive(s, TS_SEC(16), in, n);
    n = build_arp(in, 2, NEW_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, TS_SEC(16), in, n);
    assert_memory_equal(cached_mac(s, PEER_IP), PEER_MAC, 6);
    ts_stack_free(s);
}

static void stale_entry_reasked(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[200], out[1600];
    size_t n = build_arp(in, 1, PEER_MAC, PEER_IP, OUR_IP);
    ts_stack_receive(s, 0, in, n);
    drain(s, 0);
    /* 70 s later the entry is stale: the reply still goes out, and a unicast request too */
    ts_time_t t = TS_SEC(70);
    n = build_ping(in, 0, 1, 1);
    ts_stack_receive(s, t, in, n);
    size_t m = next_frame(s, t, out);
    assert_int_equal(ts_get16(out + 12), 0x0806);
    assert_memory_equal(out, PEER_MAC, 6);
    m = next_frame(s, t, out);
    assert_true(m > 0);
    assert_int_equal(ts_get16(out + 12), 0x0800);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_request_and_learns), cmocka_unit_test(request_for_other_not_learned),
        cmocka_unit_test(pending_queue_released_on_reply), cmocka_unit_test(unanswered_gives_up),
        cmocka_unit_test(cache_is_bounded), cmocka_unit_test(requests_rate_limited),
        cmocka_unit_test(malformed_dropped), cmocka_unit_test(stale_entry_reasked),
        cmocka_unit_test(neighbour_mac_rules), cmocka_unit_test(conflict_and_gratuitous),
    };
    return cmocka_run_group_tests_name("arp", tests, NULL, NULL);
}
