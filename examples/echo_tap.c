/*
 * echo_tap: an echo server (TCP and UDP port 7) on the tapstack core, driven by a loop of our own
 * over a Linux TAP device. This is everything `tapstack up` does, minus its options: open the TAP,
 * then forever: read frames into the stack, run its timers, let the applications run, write the
 * frames it has to send, and sleep until the next frame or deadline.
 *
 * Usage: echo_tap [TAP [SECONDS]]   (TAP defaults to tap0; SECONDS bounds the run, 0 = forever)
 * The stack is 10.0.0.2/24. Give the kernel side an address and try it, as root:
 *     ip addr add 10.0.0.1/24 dev tap0; ip link set tap0 up; echo hi | nc -q1 10.0.0.2 7
 *
 * Build: cc echo_tap.c $(pkg-config --cflags --libs tapstack)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <tapstack/stack.h>
#include <tapstack/socket.h>

/* Microseconds on the monotonic clock: the stack accepts any clock that never goes back. */
static ts_time_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (ts_time_t)t.tv_sec * 1000000u + (ts_time_t)t.tv_nsec / 1000u;
}

/* Open TAP device name (created if missing), non-blocking, frames without a packet-info header. */
static int tap_open(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void on_tcp(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    char buf[2048];
    long n = -1;
    /* Take only what fits in the send buffer; the rest waits for TS_EV_WRITABLE. */
    for (size_t room; (room = ts_tcp_send_space(sock)) > 0;) {
        n = ts_tcp_recv(sock, now, buf, room < sizeof buf ? room : sizeof buf);
        if (n <= 0) break;
        ts_tcp_send(sock, now, buf, (size_t)n);
    }
    if (n == 0 || (events & (TS_EV_ERROR | TS_EV_CLOSED))) ts_tcp_close(sock, now);  /* EOF: close our half */
}

static void on_listen(void *arg, struct ts_sock *listener, unsigned events, ts_time_t now)
{
    struct ts_sock *c;
    while ((c = ts_tcp_accept(listener, on_tcp, NULL)) != NULL) on_tcp(NULL, c, TS_EV_READABLE, now);
}

static void on_udp(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    char buf[2048];
    uint32_t ip;
    uint16_t port;
    long n;
    while ((n = ts_udp_recvfrom(sock, buf, sizeof buf, &ip, &port)) >= 0)
        ts_udp_sendto(sock, now, ip, port, buf, (size_t)n);
}

int main(int argc, char **argv)
{
    const char *tap = argc > 1 ? argv[1] : "tap0";
    long seconds = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    int fd = tap_open(tap);
    if (fd < 0) {
        fprintf(stderr, "echo_tap: cannot open TAP %s: %s (run as root, or give a TAP you own)\n",
                tap, strerror(errno));
        return 1;
    }
    struct ts_config cfg;
    ts_config_default(&cfg);
    const char *why = NULL;
    struct ts_stack *s = ts_stack_new(&cfg, &why);
    struct ts_sock *tl = NULL, *ul = NULL;
    if (!s || ts_tcp_listen(s, 0, 7, 64, on_listen, NULL, &tl) != 0 ||
        ts_udp_open(s, 0, 7, on_udp, NULL, &ul) != 0) {
        fprintf(stderr, "echo_tap: cannot start the stack: %s\n", why ? why : "listen failed");
        return 1;
    }
    printf("echo_tap: 10.0.0.2 port 7 (TCP, UDP) on %s\n", tap);
    fflush(stdout);
    ts_time_t end = seconds > 0 ? now_us() + TS_SEC(seconds) : TS_TIME_NEVER;
    uint8_t *frame = malloc(ts_stack_frame_max(s));
    for (ts_time_t now = now_us(); frame && now < end; now = now_us()) {
        ssize_t n;
        while ((n = read(fd, frame, ts_stack_frame_max(s))) > 0) ts_stack_receive(s, now, frame, (size_t)n);
        ts_stack_poll(s, now);
        ts_stack_dispatch(s, now);
        size_t len;
        while ((len = ts_stack_transmit(s, now, frame, ts_stack_frame_max(s))) > 0)
            if (write(fd, frame, len) < 0 && errno != EAGAIN) perror("echo_tap: write");
        /* Sleep until a frame arrives or the stack's next deadline, at most 100 ms. */
        ts_time_t due = ts_stack_poll_at(s);
        int ms = due == TS_TIME_NEVER || due > now + TS_MS(100) ? 100 : (int)((due - now + 999) / 1000);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        poll(&p, 1, ms);
    }
    ts_udp_close(ul);
    ts_tcp_close(tl, now_us());
    ts_stack_free(s);
    free(frame);
    close(fd);
    return 0;
}
