/* UDP (stack/udp/udp.c): checksum and length checks, bind/connect/demux, the receive queue,
 * port unreachable, ICMP errors as ECONNREFUSED, and datagrams up to 65,507 bytes. */
#include <stdlib.h>
#include "lib/twostack.h"
#include "lib/udp_frames.h"
#include "tapstack/socket.h"
#include "udp/udp.h"

#define T0 TS_SEC(1)

struct evlog { unsigned events, calls; };

static void log_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    (void)sock; (void)now;
    struct evlog *l = arg;
    l->events |= events;
    l->calls++;
}

static struct ts_stack *stack_with_peer(void)
{
    struct ts_stack *s = new_stack();
    assert_int_equal(ts_stack_arp_add(s, T0, PEER_IP, PEER_MAC, true), 0);
    return s;
}

static void feed(struct ts_stack *s, const uint8_t *f, size_t n) { ts_stack_receive(s, T0, f, n); }

/* A good datagram is queued with its sender; a bad checksum is dropped and counted. */
static void checksum_checked(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct evlog lg = {0};
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, log_cb, &lg, &so), 0);
    uint8_t f[2048], buf[2048];
    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 100, CSUM_BAD, 0, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_checksum), 1);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ts_stack_dispatch(s, T0), 0);

    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 100, CSUM_GOOD, 0, 0));
    assert_int_equal(ts_stack_dispatch(s, T0), 1);
    assert_true(lg.events & TS_EV_READABLE);
    uint32_t ra = 0;
    uint16_t rp = 0;
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, &ra, &rp), 100);
    assert_int_equal(ra, PEER_IP);
    assert_int_equal(rp, 4000);
    for (size_t i = 0; i < 100; i++) assert_int_equal(buf[i], pat(i));
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ctr(s, TS_CTR_udp_rx_datagrams), 2);
    ts_udp_close(so);
    ts_stack_free(s);
}

/* Checksum 0 means "none" (RFC 768) and is accepted. */
static void zero_checksum_accepted(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &so), 0);
    uint8_t f[2048], buf[64];
    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 7, CSUM_NONE, 0, 0));
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), 7);
    assert_int_equal(ctr(s, TS_CTR_udp_rx_no_checksum), 1);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_checksum), 0);
    ts_stack_free(s);   /* frees the socket too */
}

/* Length field against the IP payload: longer or under 8 dropped; shorter wins (padding). */
static void length_checked(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &so), 0);
    uint8_t f[2048], buf[2048];
    /* UDP length 60 but only 8 + 40 bytes in the IP payload */
    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 40, CSUM_NONE, 60, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_len), 1);
    /* UDP length 7 */
    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 40, CSUM_NONE, 7, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_len), 2);
    /* IP payload 4 bytes: shorter than a UDP header */
    size_t n = put_eth(f, OUR_MAC, 0x0800);
    n += put_ip(f + n, 17, PEER_IP, OUR_IP, 4, 1, 0);
    memset(f + n, 0, 4);
    feed(s, f, n + 4);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_short), 1);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    /* IP payload 30 bytes longer than the datagram: the UDP length rules, checksum still good */
    feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 20, CSUM_GOOD, 0, 30));
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), 20);
    assert_int_equal(buf[19], pat(19));
    ts_stack_free(s);
}

/* Parse the one frame the stack sends; return the UDP segment's offset in it and its length. */
static size_t take_udp(struct ts_stack *s, uint8_t *f, size_t cap, size_t *ulen)
{
    size_t n = next_out(s, T0, f, cap);
    assert_true(n >= 42);
    assert_int_equal(ts_get16(f + 12), 0x0800);
    assert_int_equal(f[14 + 9], 17);
    *ulen = ts_get16(f + 34 + 4);
    assert_true(34 + *ulen <= n);
    return 34;
}

/* What we send carries a checksum that verifies; a computed 0 goes out as 0xFFFF. */
static void send_checksum(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &so), 0);
    uint8_t f[2048];
    const char msg[] = "hello, udp";
    assert_int_equal(ts_udp_sendto(so, T0, PEER_IP, 4000, msg, 10), 10);
    size_t ulen, o = take_udp(s, f, sizeof f, &ulen);
    assert_int_equal(ulen, 18);
    assert_int_equal(ts_get16(f + o), 5000);
    assert_int_equal(ts_get16(f + o + 2), 4000);
    assert_int_not_equal(ts_get16(f + o + 6), 0);
    assert_int_equal(ts_csum_finish(ts_csum_add(ts_csum_pseudo(OUR_IP, PEER_IP, 17, 18), f + o, 18)), 0);
    assert_memory_equal(f + o + 8, msg, 10);
    assert_int_equal(ctr(s, TS_CTR_udp_tx_datagrams), 1);

    /* choose a 2-byte payload that makes the ones' complement sum 0xffff: the checksum is 0 */
    uint8_t h[10] = {0};
    ts_put16(h, 5000); ts_put16(h + 2, 4000); ts_put16(h + 4, 10);
    uint32_t sum = ts_csum_add(ts_csum_pseudo(OUR_IP, PEER_IP, 17, 10), h, 10);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint8_t pay[2];
    ts_put16(pay, (uint16_t)(0xffff - sum));
    assert_int_equal(ts_udp_sendto(so, T0, PEER_IP, 4000, pay, 2), 2);
    o = take_udp(s, f, sizeof f, &ulen);
    assert_int_equal(ts_get16(f + o + 6), 0xffff);
    ts_stack_free(s);
}

/* Binding, ephemeral ports, connect, and which socket a datagram reaches. */
static void bind_connect_demux(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *a, *b, *c, *x;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &a), 0);
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &x), -TS_EADDRINUSE);
    assert_int_equal(ts_udp_open(s, OUR_IP, 5000, NULL, NULL, &x), -TS_EADDRINUSE);
    assert_int_equal(ts_udp_open(s, PEER_IP, 5002, NULL, NULL, &x), -TS_EINVAL);
    assert_int_equal(ts_udp_open(s, OUR_IP, 5001, NULL, NULL, &b), 0);
    assert_int_equal(ts_udp_open(s, 0, 0, NULL, NULL, &c), 0);
    uint16_t cport;
    ts_sock_name(c, NULL, &cport, NULL, NULL);
    assert_true(cport >= 49152);
    assert_int_equal(ts_sock_proto(c), 17);
    assert_int_equal(ts_udp_socket_count(s), 3);

    assert_int_equal(ts_udp_connect(b, PEER_IP, 6000), 0);
    uint32_t ra;
    uint16_t rp;
    ts_sock_name(b, NULL, NULL, &ra, &rp);
    assert_int_equal(ra, PEER_IP);
    assert_int_equal(rp, 6000);
    /* sendto 0:0 goes to the connected peer; an unconnected socket has none */
    assert_int_equal(ts_udp_sendto(b, T0, 0, 0, "x", 1), 1);
    assert_int_equal(ts_udp_sendto(a, T0, 0, 0, "x", 1), -TS_ENOTCONN);
    assert_int_equal(ts_udp_sendto(a, T0, PEER_IP, 1, NULL, TS_UDP_MAX_PAYLOAD + 1), -TS_EINVAL);
    drain(s, T0);

    uint8_t f[2048], buf[64];
    feed(s, f, build_udp(f, OUR_IP, 6000, 5001, 3, CSUM_GOOD, 0, 0));   /* the peer: delivered */
    feed(s, f, build_udp(f, OUR_IP, 6001, 5001, 4, CSUM_GOOD, 0, 0));   /* another port: refused */
    feed(s, f, build_udp(f, OUR_IP, 6001, 5000, 5, CSUM_GOOD, 0, 0));   /* bound to any: delivered */
    feed(s, f, build_udp(f, OUR_IP, 6001, cport, 6, CSUM_GOOD, 0, 0));
    assert_int_equal(ts_udp_recvfrom(b, buf, sizeof buf, NULL, NULL), 3);
    assert_int_equal(ts_udp_recvfrom(b, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ts_udp_recvfrom(a, buf, sizeof buf, NULL, NULL), 5);
    assert_int_equal(ts_udp_recvfrom(c, buf, sizeof buf, NULL, NULL), 6);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_no_port), 1);

    /* disconnecting (0:0) takes any sender again */
    assert_int_equal(ts_udp_connect(b, 0, 0), 0);
    feed(s, f, build_udp(f, OUR_IP, 6001, 5001, 4, CSUM_GOOD, 0, 0));
    assert_int_equal(ts_udp_recvfrom(b, buf, sizeof buf, NULL, NULL), 4);
    assert_int_equal(ts_udp_connect(b, PEER_IP, 0), -TS_EINVAL);

    /* a closed port is free again */
    ts_udp_close(a);
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &a), 0);
    ts_stack_free(s);
}

/* The queue is bounded by count and by bytes; overflow is counted and nothing blocks. */
static void queue_overflow(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &so), 0);
    ts_udp_set_rcvq(so, 0, 3);
    uint8_t f[2048], buf[2048];
    for (int i = 0; i < 5; i++) feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 10, CSUM_GOOD, 0, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_rcvbuf_full), 2);
    size_t bytes;
    unsigned count;
    ts_udp_queue_info(so, &bytes, &count);
    assert_int_equal(count, 3);
    assert_int_equal(bytes, 30);
    for (int i = 0; i < 3; i++) assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), 10);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);

    ts_udp_set_rcvq(so, 2500, 100);   /* now bytes bind first: two 1000-byte datagrams fit */
    for (int i = 0; i < 3; i++) feed(s, f, build_udp(f, OUR_IP, 4000, 5000, 1000, CSUM_GOOD, 0, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_rcvbuf_full), 3);
    ts_udp_queue_info(so, &bytes, &count);
    assert_int_equal(count, 2);
    assert_int_equal(bytes, 2000);
    /* truncated read: returns the full length, copies what fits */
    memset(buf, 0, sizeof buf);
    assert_int_equal(ts_udp_recvfrom(so, buf, 10, NULL, NULL), 1000);
    assert_int_equal(buf[9], pat(9));
    assert_int_equal(buf[10], 0);
    ts_stack_free(s);   /* the queued datagram is freed too (ASan checks) */
}

/* A datagram to a closed port gets ICMP port unreachable, unless it went to broadcast. */
static void port_unreachable(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    uint8_t f[2048], o[2048];
    size_t n = build_udp(f, OUR_IP, 4000, 9999, 12, CSUM_GOOD, 0, 0);
    feed(s, f, n);
    size_t m = next_out(s, T0, o, sizeof o);
    assert_true(m >= 14 + 20 + 8 + 28);
    assert_int_equal(o[14 + 9], 1);                  /* ICMP */
    assert_int_equal(ts_get32(o + 14 + 16), PEER_IP);
    assert_int_equal(o[34], 3);                      /* destination unreachable */
    assert_int_equal(o[35], 3);                      /* port */
    assert_memory_equal(o + 42, f + 14, 28);         /* quotes the IP header and UDP header */
    assert_int_equal(next_out(s, T0, o, sizeof o), 0);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_no_port), 1);

    feed(s, f, build_udp(f, 0x0a0000ffu, 4000, 9999, 12, CSUM_GOOD, 0, 0));   /* subnet broadcast */
    feed(s, f, build_udp(f, 0xffffffffu, 4000, 9999, 12, CSUM_GOOD, 0, 0));   /* limited broadcast */
    assert_int_equal(ctr(s, TS_CTR_udp_drop_no_port), 3);
    assert_int_equal(next_out(s, T0, o, sizeof o), 0);

    /* a socket bound to any address gets the broadcast */
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 9999, NULL, NULL, &so), 0);
    feed(s, f, build_udp(f, 0xffffffffu, 4000, 9999, 12, CSUM_GOOD, 0, 0));
    assert_int_equal(ts_udp_recvfrom(so, o, sizeof o, NULL, NULL), 12);
    ts_stack_free(s);
}

/* An ICMP port unreachable quoting what a connected socket sent: ECONNREFUSED once. */
static void icmp_error_refused(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct evlog lg = {0}, lg2 = {0};
    struct ts_sock *so, *un;
    assert_int_equal(ts_udp_open(s, 0, 0, log_cb, &lg, &so), 0);
    assert_int_equal(ts_udp_open(s, 0, 0, log_cb, &lg2, &un), 0);
    assert_int_equal(ts_udp_connect(so, PEER_IP, 7777), 0);
    uint8_t out[2][2048], f[2048], buf[64];
    assert_int_equal(ts_udp_sendto(so, T0, 0, 0, "ping", 4), 4);
    assert_true(next_out(s, T0, out[0], sizeof out[0]) > 0);
    assert_int_equal(ts_udp_sendto(un, T0, PEER_IP, 7777, "ping", 4), 4);
    assert_true(next_out(s, T0, out[1], sizeof out[1]) > 0);

    for (int k = 1; k >= 0; k--) {   /* first about the unconnected socket: ignored */
        size_t o = put_eth(f, OUR_MAC, 0x0800);
        uint8_t *m = f + o + 20;
        m[0] = 3; m[1] = 3;
        memset(m + 2, 0, 6);
        memcpy(m + 8, out[k] + 14, 28);
        ts_put16(m + 2, ts_csum(m, 36));
        o += put_ip(f + o, 1, PEER_IP, OUR_IP, 36, 99, 0);
        feed(s, f, o + 36);
        ts_stack_dispatch(s, T0);
    }
    assert_int_equal(lg2.events, 0);
    assert_true(lg.events & TS_EV_ERROR);
    assert_int_equal(ts_sock_error(so), TS_ECONNREFUSED);
    assert_int_equal(ctr(s, TS_CTR_udp_icmp_errors_reported), 1);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_ECONNREFUSED);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ts_udp_sendto(so, T0, 0, 0, "again", 5), 5);
    assert_int_equal(ts_udp_recvfrom(un, buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    ts_stack_free(s);
}

/* Feed an ICMP error (type, code) quoting qlen bytes of q (an IPv4 header and UDP header we sent). */
static void feed_icmp_err(struct ts_stack *s, uint8_t type, uint8_t code, const uint8_t *q, size_t qlen)
{
    uint8_t f[2048];
    size_t o = put_eth(f, OUR_MAC, 0x0800);
    uint8_t *m = f + o + 20;
    m[0] = type; m[1] = code;
    memset(m + 2, 0, 6);
    memcpy(m + 8, q, qlen);
    ts_put16(m + 2, ts_csum(m, 8 + qlen));
    o += put_ip(f + o, 1, PEER_IP, OUR_IP, 8 + qlen, 98, 0);
    feed(s, f, o + 8 + qlen);
    ts_stack_dispatch(s, T0);
}

/* Net and host unreachable (type 3 codes 0, 1) report EHOSTUNREACH; other codes are counted and
 * ignored, and ICMP (stack/net/icmp.c) keeps other types and short or foreign quotes from UDP. */
static void icmp_error_kinds(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct evlog lg = {0};
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 0, log_cb, &lg, &so), 0);
    assert_int_equal(ts_udp_connect(so, PEER_IP, 7777), 0);
    uint8_t out[2048], q[64], buf[64];
    assert_int_equal(ts_udp_sendto(so, T0, 0, 0, "ping", 4), 4);
    assert_true(next_out(s, T0, out, sizeof out) > 0);
    memcpy(q, out + 14, 28);

    feed_icmp_err(s, 11, 0, q, 28);                 /* time exceeded: not for the application */
    feed_icmp_err(s, 3, 1, q, 12);                  /* quote shorter than an IPv4 header */
    uint8_t bad[64];
    memcpy(bad, q, 28);
    bad[0] = 0x44;                                  /* IHL 16 bytes */
    feed_icmp_err(s, 3, 1, bad, 28);
    assert_int_equal(ctr(s, TS_CTR_icmp_drop_short), 2);
    assert_int_equal(ctr(s, TS_CTR_udp_rx_icmp_errors), 0);
    feed_icmp_err(s, 3, 4, q, 28);                  /* fragmentation needed: nothing for UDP to do */
    assert_int_equal(ctr(s, TS_CTR_udp_rx_icmp_errors), 1);
    assert_int_equal(lg.events & TS_EV_ERROR, 0);
    assert_int_equal(ctr(s, TS_CTR_udp_icmp_errors_reported), 0);

    feed_icmp_err(s, 3, 1, q, 28);                  /* host unreachable */
    assert_true(lg.events & TS_EV_ERROR);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EHOSTUNREACH);
    feed_icmp_err(s, 3, 0, q, 28);                  /* net unreachable */
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), -TS_EHOSTUNREACH);
    assert_int_equal(ctr(s, TS_CTR_udp_icmp_errors_reported), 2);
    ts_stack_free(s);
}

/* A port belongs to one socket: a second open of it is refused, by any local address, before
 * and after the first socket connects; closing frees it. */
static void address_in_use(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *a, *b;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &a), 0);
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &b), -TS_EADDRINUSE);
    assert_int_equal(ts_udp_open(s, OUR_IP, 5000, NULL, NULL, &b), -TS_EADDRINUSE);
    assert_int_equal(ts_udp_connect(a, PEER_IP, 7), 0);
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &b), -TS_EADDRINUSE);
    ts_udp_close(a);
    assert_int_equal(ts_udp_open(s, OUR_IP, 5000, NULL, NULL, &b), 0);
    ts_stack_free(s);
}

/* 255.255.255.255 goes out to the broadcast MAC without ARP; an off-link address with no gateway
 * is refused with EHOSTUNREACH and counted. */
static void broadcast_and_no_route(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();          /* no ARP entry, no gateway */
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 68, NULL, NULL, &so), 0);
    assert_int_equal(ts_udp_sendto(so, T0, 0xffffffffu, 67, "dhcp", 4), 4);
    uint8_t out[2048];
    size_t n = next_out(s, T0, out, sizeof out);
    assert_int_equal(n, 60);                    /* 14 + 20 + 8 + 4, padded to the minimum */
    for (int i = 0; i < 6; i++) assert_int_equal(out[i], 0xff);
    assert_int_equal(ts_get32(out + 14 + 16), 0xffffffffu);
    assert_int_equal(ts_udp_sendto(so, T0, 0xc0a80101u, 53, "q", 1), -TS_EHOSTUNREACH);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_no_route), 1);
    assert_int_equal(next_out(s, T0, out, sizeof out), 0);
    ts_stack_free(s);
}

/* A checksum the driver says the wire verified is not checked again (and counted so). */
static void offloaded_checksum_trusted(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(s, 0, 5000, NULL, NULL, &so), 0);
    uint8_t f[2048], buf[64];
    struct ts_frame_info info = { .flags = TS_FRAME_CSUM_VALID };
    ts_stack_receive_info(s, T0, f, build_udp(f, OUR_IP, 4000, 5000, 10, CSUM_BAD, 0, 0), &info);
    assert_int_equal(ts_udp_recvfrom(so, buf, sizeof buf, NULL, NULL), 10);
    assert_int_equal(ctr(s, TS_CTR_eth_rx_csum_offloaded), 1);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_checksum), 0);
    ts_stack_free(s);
}

/* All receive queues together stop at TS_UDP_MEM_CAP: 64 full queues of 256 KB hold 16 MB, and
 * the 65th socket's first datagram is dropped as drop_memory (not drop_rcvbuf_full); reading one
 * queue makes room again. */
static void memory_cap_over_all_sockets(void **st)
{
    (void)st;
    struct ts_stack *s = stack_with_peer();
    enum { N = TS_UDP_MEM_CAP / TS_UDP_RCVQ_BYTES };
    struct ts_sock *so[N + 1];
    uint8_t f[2048], buf[2048];
    for (unsigned i = 0; i <= N; i++) assert_int_equal(ts_udp_open(s, 0, (uint16_t)(6000 + i), NULL, NULL, &so[i]), 0);
    size_t len = 1024;
    for (unsigned i = 0; i < N; i++)
        for (unsigned k = 0; k < TS_UDP_RCVQ_BYTES / len; k++)
            feed(s, f, build_udp(f, OUR_IP, 4000, (uint16_t)(6000 + i), len, CSUM_GOOD, 0, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_rcvbuf_full), 0);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_memory), 0);
    feed(s, f, build_udp(f, OUR_IP, 4000, (uint16_t)(6000 + N), len, CSUM_GOOD, 0, 0));
    assert_int_equal(ctr(s, TS_CTR_udp_drop_memory), 1);
    assert_int_equal(ts_udp_recvfrom(so[N], buf, sizeof buf, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ts_udp_recvfrom(so[0], buf, sizeof buf, NULL, NULL), (long)len);
    feed(s, f, build_udp(f, OUR_IP, 4000, (uint16_t)(6000 + N), len, CSUM_GOOD, 0, 0));
    assert_int_equal(ts_udp_recvfrom(so[N], buf, sizeof buf, NULL, NULL), (long)len);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_memory), 1);
    ts_stack_free(s);
}

/* Two stacks (tests/lib/twostack): a datagram of every size up to 65,507 bytes crosses
 * (fragmented and reassembled) and arrives exactly. */
static void big_datagrams_between_stacks(void **st)
{
    (void)st;
    struct ts_config ca, cb;
    ts_config_default(&ca);
    ts_config_default(&cb);
    ca.seed = 1;
    cb.seed = 2;
    cb.ip = PEER_IP;
    memcpy(cb.mac, PEER_MAC, 6);
    struct twostack t;
    twostack_init_with(&t, &ca, &cb, true);
    struct ts_stack *a = t.c, *b = t.s;
    struct ts_sock *sa, *sb;
    assert_int_equal(ts_udp_open(a, 0, 1111, NULL, NULL, &sa), 0);
    assert_int_equal(ts_udp_open(b, 0, 2222, NULL, NULL, &sb), 0);
    uint8_t *msg = malloc(65507), *got = malloc(65536);
    for (size_t i = 0; i < 65507; i++) msg[i] = pat(i * 7);
    const size_t sizes[] = { 0, 1, 512, 1472, 1473, 8000, 65507 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        assert_int_equal(ts_udp_sendto(sa, t.now, PEER_IP, 2222, msg, n), (long)n);
        uint64_t before = t.moved;
        twostack_settle(&t);
        size_t frames = t.moved - before;
        assert_int_equal(frames, n + 8 <= 1480 ? 1 : (n + 8 + 1479) / 1480);
        uint32_t ra;
        uint16_t rp;
        memset(got, 0xee, 65536);
        assert_int_equal(ts_udp_recvfrom(sb, got, 65536, &ra, &rp), (long)n);
        assert_int_equal(ra, OUR_IP);
        assert_int_equal(rp, 1111);
        assert_memory_equal(got, msg, n);
    }
    assert_int_equal(ts_udp_sendto(sa, t.now, PEER_IP, 2222, msg, 65508), -TS_EMSGSIZE);
    assert_int_equal(ctr(b, TS_CTR_ipv4_frag_reassembled), 3);
    free(msg);
    free(got);
    twostack_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_checked),
        cmocka_unit_test(zero_checksum_accepted),
        cmocka_unit_test(length_checked),
        cmocka_unit_test(send_checksum),
        cmocka_unit_test(bind_connect_demux),
        cmocka_unit_test(queue_overflow),
        cmocka_unit_test(port_unreachable),
        cmocka_unit_test(icmp_error_refused),
        cmocka_unit_test(icmp_error_kinds),
        cmocka_unit_test(address_in_use),
        cmocka_unit_test(broadcast_and_no_route),
        cmocka_unit_test(offloaded_checksum_trusted),
        cmocka_unit_test(memory_cap_over_all_sockets),
        cmocka_unit_test(big_datagrams_between_stacks),
    };
    return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
