/* The control socket server (see ctl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "driver/ctl.h"

struct ts_ctl {
    int fd;
    struct ts_stack *stack;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    void (*status)(void *arg, FILE *out);
    void *status_arg;
};

void ts_ctl_default_path(const char *netns, const char *tap, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s.sock", TS_CTL_DIR, netns ? netns : tap);
}

/* Bind fd to path; if a dead tapstack left the socket file behind, remove it and retry. */
static int ctl_bind(int fd, const struct sockaddr_un *sa, char *err, size_t errlen)
{
    if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) return 0;
    if (errno == EADDRINUSE) {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int alive = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;
        if (probe >= 0) close(probe);
        if (alive) {
            snprintf(err, errlen, "control socket %s is served by another tapstack: stop it or pick another --ctl",
                     sa->sun_path);
            return -1;
        }
        unlink(sa->sun_path);
        if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) return 0;
    }
    snprintf(err, errlen, "cannot bind control socket %s: %s", sa->sun_path, strerror(errno));
    return -1;
}

struct ts_ctl *ts_ctl_open(const char *path, struct ts_stack *s, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "control socket path %s is too long (at most %zu bytes)", path, sizeof sa.sun_path - 1);
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path));
    if (strncmp(path, TS_CTL_DIR "/", sizeof TS_CTL_DIR) == 0) mkdir(TS_CTL_DIR, 0755);
    struct ts_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->stack = s;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || ctl_bind(c->fd, &sa, err, errlen) < 0) {
        if (c->fd < 0) snprintf(err, errlen, "cannot create control socket: %s", strerror(errno));
        if (c->fd >= 0) close(c->fd);
        free(c);
        return NULL;
    }
    memcpy(c->path, path, strlen(path) + 1);
    chmod(path, 0600);
    if (listen(c->fd, 8) < 0) {
        snprintf(err, errlen, "cannot listen on control socket %s: %s", path, strerror(errno));
        ts_ctl_close(c);
        return NULL;
    }
    return c;
}

int ts_ctl_fd(const struct ts_ctl *c) { return c->fd; }

void ts_ctl_set_status(struct ts_ctl *c, void (*status)(void *arg, FILE *out), void *arg)
{
    c->status = status;
    c->status_arg = arg;
}

static int ctl_status(struct ts_ctl *c, FILE *out)
{
    const struct ts_config *cfg = ts_stack_config(c->stack);
    char ip[16];
    fprintf(out, "address %s/%u mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u\n", ts_ip_str(cfg->ip, ip),
            cfg->prefix_len, cfg->mac[0], cfg->mac[1], cfg->mac[2], cfg->mac[3], cfg->mac[4], cfg->mac[5],
            cfg->mtu);
    if (c->status) c->status(c->status_arg, out);
    return 0;
}

/* Run the command in argv; its output goes to out. */
static int ctl_dispatch(struct ts_ctl *c, ts_time_t now, int argc, char **argv, FILE *out)
{
    static const struct { const char *name; ts_ctl_fn fn; } cmds[] = {
        { "netstat", ts_ctl_netstat },
        { "arp", ts_ctl_arp },
    };
    if (argc < 1) {
        fprintf(out, "empty request\n");
        return 2;
    }
    if (strcmp(argv[0], "status") == 0) return ctl_status(c, out);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[0], cmds[i].name) != 0) continue;
        if (!cmds[i].fn) break;
        return cmds[i].fn(c->stack, now, argc, argv, out);
    }
    fprintf(out, "this tapstack does not serve '%s'\n", argv[0]);
    return 2;
}

/* Read the request (until EOF), split it into arguments. Returns argc, or -1. */
static int ctl_read_request(int fd, char *buf, size_t cap, char **argv)
{
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        len += (size_t)n;
        if (len >= cap - 1) return -1;
    }
    int argc = 0;
    for (size_t i = 0; i < len && argc < TS_CTL_MAX_ARGS; argc++) {
        argv[argc] = buf + i;
        while (i < len && buf[i]) i++;
        buf[i++] = '\0';
    }
    return argc;
}

static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        len -= (size_t)n;
    }
}

/* Serve one connection, synchronously with short time limits (the loop waits meanwhile). */
static void ctl_serve(struct ts_ctl *c, int fd, ts_time_t now)
{
    struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tv.tv_sec = 1;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char req[TS_CTL_MAX_REQUEST];
    char *argv[TS_CTL_MAX_ARGS + 1];
    int argc = ctl_read_request(fd, req, sizeof req, argv);
    if (argc < 0) return;
    argv[argc] = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return;
    int status = ctl_dispatch(c, now, argc, argv, out);
    fclose(out);
    char head[32];
    int hl = snprintf(head, sizeof head, "status %d\n", status);
    write_all(fd, head, (size_t)hl);
    write_all(fd, text, len);
    free(text);
}

void ts_ctl_ready(void *ctl, ts_time_t now)
{
    struct ts_ctl *c = ctl;
    for (int i = 0; i < 8; i++) {
        int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) return;
        ctl_serve(c, fd, now);
        close(fd);
    }
}

void ts_ctl_close(struct ts_ctl *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    if (c->path[0]) unlink(c->path);
    free(c);
}
