/*
 * bench_client: the load side of `make bench`, run against tapstack and against the kernel alike.
 *   bench_client upload   HOST PORT SECONDS MAXBYTES   bulk send into a discard service -> MB/s
 *   bench_client rr       HOST PORT COUNT              1-byte request/response on one connection -> p50/p99 us
 *   bench_client connrate HOST PORT SECONDS CONC       connect, 1 byte, wait for the echo, close -> conn/s
 *   bench_client hold     HOST PORT N SECONDS          open N idle connections (one byte sent on each), print "held N", hold them
 * Prints one line of key=value figures on stdout. This is a benchmark tool, not part of the stack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "bench_client: '%s' is not an IPv4 address\n", host);
        exit(2);
    }
    return a;
}

static int connect_blocking(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)a, sizeof *a) < 0) {
        perror("bench_client: connect");
        exit(1);
    }
    return fd;
}

static int do_upload(struct sockaddr_in *a, double secs, double maxbytes)
{
    int fd = connect_blocking(a);
    static char buf[256 * 1024];
    memset(buf, 'x', sizeof buf);
    double t0 = now_s(), sent = 0;
    while (sent < maxbytes && now_s() - t0 < secs) {
        ssize_t n = send(fd, buf, sizeof buf, 0);
        if (n <= 0) { perror("bench_client: send"); return 1; }
        sent += (double)n;
    }
    shutdown(fd, SHUT_WR);
    char c;
    while (read(fd, &c, 1) > 0) {}   /* wait for the peer to finish, so every byte counted arrived */
    double dt = now_s() - t0;
    close(fd);
    printf("bytes=%.0f seconds=%.3f MBps=%.1f\n", sent, dt, sent / dt / 1e6);
    return 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int do_rr(struct sockaddr_in *a, int count)
{
    int fd = connect_blocking(a);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    double *lat = calloc((size_t)count, sizeof *lat);
    char c = 'p';
    for (int i = 0; i < count; i++) {
        double t0 = now_s();
        if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) { perror("bench_client: rr"); return 1; }
        lat[i] = (now_s() - t0) * 1e6;
    }
    qsort(lat, (size_t)count, sizeof *lat, cmp_double);
    printf("count=%d p50_us=%.1f p99_us=%.1f\n", count, lat[count / 2], lat[count * 99 / 100]);
    close(fd);
    free(lat);
    return 0;
}

static int start_conn(int ep, struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct linger lg = { 1, 0 };    /* close with RST: no TIME_WAIT pile-up on the client */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(fd, (struct sockaddr *)a, sizeof *a) < 0 && errno != EINPROGRESS) { close(fd); return -1; }
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return fd;
}

static int do_connrate(struct sockaddr_in *a, double secs, int conc)
{
    int ep = epoll_create1(0);
    char *sent = calloc(65536, 1);
    for (int i = 0; i < conc; i++) start_conn(ep, a);
    double t0 = now_s();
    long done = 0, errors = 0;
    struct epoll_event evs[256];
    while (now_s() - t0 < secs) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            char c = 'c';
            if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
                errors++;
            } else if (!sent[fd] && (evs[i].events & EPOLLOUT)) {
                if (write(fd, &c, 1) == 1) {
                    sent[fd] = 1;
                    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                    continue;
                }
                errors++;
            } else if (evs[i].events & EPOLLIN) {
                if (read(fd, &c, 1) == 1) done++;
                else errors++;
            } else {
                continue;
            }
            sent[fd] = 0;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            close(fd);
            start_conn(ep, a);
        }
    }
    double dt = now_s() - t0;
    printf("conns=%ld errors=%ld seconds=%.3f conn_per_s=%.0f\n", done, errors, dt, (double)done / dt);
    return 0;
}

static int do_hold(struct sockaddr_in *a, int n, double secs)
{
    int ep = epoll_create1(0);
    int ok = 0, failed = 0, started = 0;
    double t0 = now_s();
    struct epoll_event evs[256];
    while (ok + failed < n && now_s() - t0 < 60) {
        while (started < n && started - ok - failed < 256) {
            if (start_conn(ep, a) < 0) failed++;
            started++;
        }
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            int fd = evs[i].data.fd;
            if (evs[i].events & (EPOLLERR | EPOLLHUP)) failed++;
            else if (write(fd, "x", 1) == 1) ok++;   /* one byte: idle, not a silent ghost (issue 25) */
            else failed++;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        }
    }
    printf("held=%d failed=%d seconds=%.3f\n", ok, failed, now_s() - t0);
    fflush(stdout);
    double t1 = now_s();
    char c;
    while (now_s() - t1 < secs && read(0, &c, 1) > 0) {}
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_client upload|rr|connrate|hold HOST PORT ARGS...\n");
        return 2;
    }
    struct sockaddr_in a = addr_of(argv[2], argv[3]);
    if (!strcmp(argv[1], "upload") && argc == 6) return do_upload(&a, atof(argv[4]), atof(argv[5]));
    if (!strcmp(argv[1], "rr")) return do_rr(&a, atoi(argv[4]));
    if (!strcmp(argv[1], "connrate") && argc == 6) return do_connrate(&a, atof(argv[4]), atoi(argv[5]));
    if (!strcmp(argv[1], "hold") && argc == 6) return do_hold(&a, atoi(argv[4]), atof(argv[5]));
    fprintf(stderr, "bench_client: unknown mode or wrong arguments: %s\n", argv[1]);
    return 2;
}
