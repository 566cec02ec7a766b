/*
 * bench_server: the kernel-side reference services for `make bench`: echo (RFC 862) and discard
 * (RFC 863) on TCP, one epoll loop, so tapstack's services have a fair kernel counterpart.
 *   bench_server ECHO_PORT DISCARD_PORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
        perror("bench_server: listen");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: bench_server ECHO_PORT DISCARD_PORT\n"); return 2; }
    int le = listen_on(atoi(argv[1])), ld = listen_on(atoi(argv[2]));
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = (uint64_t)le; epoll_ctl(ep, EPOLL_CTL_ADD, le, &ev);
    ev.data.u64 = (uint64_t)ld; epoll_ctl(ep, EPOLL_CTL_ADD, ld, &ev);
    static char buf[256 * 1024];
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = (int)(evs[i].data.u64 & 0xffffffff);
            int is_echo = (int)(evs[i].data.u64 >> 32);
            if (fd == le || fd == ld) {
                int c;
                while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event e = { .events = EPOLLIN };
                    e.data.u64 = (uint64_t)c | ((uint64_t)(fd == le) << 32);
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) { close(fd); continue; }
            if (is_echo && write(fd, buf, (size_t)r) < 0) close(fd);
        }
    }
}
