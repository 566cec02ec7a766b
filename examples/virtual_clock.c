/*
 * virtual_clock: drive the tapstack core with hand-built frames and a clock of our own, the way a
 * unit test or a fuzzer does. No TAP, no sockets of the host, no real time: every frame is built
 * here, every microsecond is chosen here.
 *
 * The stack (10.0.0.2) runs an echo server on TCP port 7. We play a peer at 10.0.0.1: send a SYN,
 * check the SYN-ACK, send "hello", check it comes back, then stay silent and move the clock to the
 * stack's next deadline to see the echo retransmitted. Exit 0 when every check holds.
 *
 * Build: cc virtual_clock.c $(pkg-config --cflags --libs tapstack)
 */
#include <stdio.h>
#include <string.h>
#include <tapstack/stack.h>
#include <tapstack/socket.h>

#define PEER_IP 0x0a000001u  /* 10.0.0.1 */
#define OUR_IP  0x0a000002u  /* 10.0.0.2 */
#define PEER_PORT 40000
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0, 2 };
static int passes, failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (ok) passes++;
    else failures++;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* The Internet checksum (RFC 1071) of len bytes, starting from sum. */
static uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) sum += get16(p + i);
    if (len & 1) sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Ethernet + IPv4 + TCP (no options) from the peer to the stack; returns the frame's length. */
static size_t build_tcp(uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
    size_t dlen = data ? strlen(data) : 0, tcp_len = 20 + dlen;
    memset(f, 0, 54);
    memcpy(f, our_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + tcp_len));
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, PEER_IP);
    put32(ip + 16, OUR_IP);
    put16(ip + 10, csum(0, ip, 20));
    put16(tcp, PEER_PORT);
    put16(tcp + 2, 7);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (dlen) memcpy(tcp + 20, data, dlen);
    uint8_t pseudo[12];
    put32(pseudo, PEER_IP);
    put32(pseudo + 4, OUR_IP);
    put16(pseudo + 8, 6);
    put16(pseudo + 10, (uint16_t)tcp_len);
    uint32_t sum = 0;
    for (int i = 0; i < 12; i += 2) sum += get16(pseudo + i);
    put16(tcp + 16, csum(sum, tcp, tcp_len));
    return 14 + 20 + tcp_len;
}

/* What we read back from a frame the stack sent. */
struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    char data[64];
};

/* Take the next TCP frame the stack sends to us (skipping anything else); 0 when none. */
static int next_seg(struct ts_stack *s, ts_time_t now, struct seg *out)
{
    uint8_t f[2048];
    size_t len;
    while ((len = ts_stack_transmit(s, now, f, sizeof f)) > 0) {
        if (len < 54 || get16(f + 12) != 0x0800 || f[14 + 9] != 6) continue;
        const uint8_t *tcp = f + 14 + (f[14] & 15) * 4;
        size_t hl = (size_t)(tcp[12] >> 4) * 4, total = get16(f + 16) - (size_t)(f[14] & 15) * 4;
        out->flags = tcp[13];
        out->seq = get32(tcp + 4);
        out->ack = get32(tcp + 8);
        size_t dlen = total - hl < sizeof out->data - 1 ? total - hl : sizeof out->data - 1;
        memcpy(out->data, tcp + hl, dlen);
        out->data[dlen] = 0;
        return 1;
    }
    return 0;
}

/* The echo service: what arrives goes back. */
static void on_conn(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    char buf[512];
    long n;
    while ((n = ts_tcp_recv(sock, now, buf, sizeof buf)) > 0) ts_tcp_send(sock, now, buf, (size_t)n);
    if (n == 0 || (events & (TS_EV_ERROR | TS_EV_CLOSED))) ts_tcp_close(sock, now);
}

static void on_listen(void *arg, struct ts_sock *listener, unsigned events, ts_time_t now)
{
    struct ts_sock *c;
    while ((c = ts_tcp_accept(listener, on_conn, NULL)) != NULL) on_conn(NULL, c, TS_EV_READABLE, now);
}

int main(void)
{
    struct ts_config cfg;
    ts_config_default(&cfg);               /* 10.0.0.2/24, MAC 02:00:00:00:00:02 */
    cfg.seed = 42;
    const char *why = NULL;
    struct ts_stack *s = ts_stack_new(&cfg, &why);
    if (!s) {
        fprintf(stderr, "virtual_clock: ts_stack_new: %s\n", why ? why : "out of memory");
        return 1;
    }
    ts_time_t now = TS_SEC(1);             /* our clock: it moves only when we say so */
    ts_stack_arp_add(s, now, PEER_IP, peer_mac, true);
    struct ts_sock *listener;
    check(ts_tcp_listen(s, 0, 7, 8, on_listen, NULL, &listener) == 0, "listen on port 7");

    uint8_t f[128];
    struct seg g;
    ts_stack_receive(s, now, f, build_tcp(f, 1000, 0, TCP_SYN, NULL));
    check(next_seg(s, now, &g) && g.flags == (TCP_SYN | TCP_ACK) && g.ack == 1001, "SYN gets a SYN-ACK acking 1001");
    uint32_t isn = g.seq;

    now += TS_MS(1);
    ts_stack_receive(s, now, f, build_tcp(f, 1001, isn + 1, TCP_ACK | TCP_PSH, "hello"));
    ts_stack_dispatch(s, now);             /* run the echo callback */
    int got = 0;
    while (next_seg(s, now, &g)) got |= strcmp(g.data, "hello") == 0 && g.seq == isn + 1;
    check(got, "\"hello\" comes back at ISN+1");

    /* We never ACK the echo: at the stack's next deadline it must send it again. */
    ts_time_t sent = now;
    ts_time_t due = ts_stack_poll_at(s);
    check(due != TS_TIME_NEVER && due > now, "a retransmission timer is armed");
    now = due;
    ts_stack_poll(s, now);
    got = 0;
    while (next_seg(s, now, &g)) got |= strcmp(g.data, "hello") == 0;
    check(got, "the echo is retransmitted when the timer fires");
    printf("retransmitted after %llu ms of virtual time\n", (unsigned long long)((now - sent) / 1000));

    ts_stack_receive(s, now, f, build_tcp(f, 1006, 0, TCP_RST, NULL));
    ts_stack_dispatch(s, now);
    ts_tcp_close(listener, now);
    ts_stack_free(s);
    printf("%d passed, %d failed\n", passes, failures);
    return failures ? 1 : 0;
}
