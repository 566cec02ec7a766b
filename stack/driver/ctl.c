/* The control socket server (see ctl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "driver/ctl.h"

/* One client being served: reading its request until EOF, then writing the answer. Nothing
 * waits: each step does what the socket allows now and returns. */
struct ctl_client {
    int fd;                     /* -1: free slot */
    ts_time_t since;            /* accepted at */
    size_t len;                 /* request bytes so far */
    char *out;                  /* the answer ("status N\n" + text) once the request is complete */
    size_t out_len, out_off;
    char req[TS_CTL_MAX_REQUEST];
};

struct ctl_command {
    const char *name;
    ts_ctl_cmd_fn fn;
    void *arg;
};

struct ts_ctl {
    int fd;                     /* the listening socket */
    int epoll_fd;               /* it and every client: the one fd the loop watches */
    struct ts_stack *stack;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    void (*status)(void *arg, FILE *out);
    void *status_arg;
    struct ctl_command cmds[TS_CTL_MAX_COMMANDS];
    unsigned ncmds;
    struct ctl_client cl[TS_CTL_CLIENTS];
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
    c->epoll_fd = -1;
    for (unsigned i = 0; i < TS_CTL_CLIENTS; i++) c->cl[i].fd = -1;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || ctl_bind(c->fd, &sa, err, errlen) < 0) {
        if (c->fd < 0) snprintf(err, errlen, "cannot create control socket: %s", strerror(errno));
        if (c->fd >= 0) close(c->fd);
        free(c);
        return NULL;
    }
    memcpy(c->path, path, strlen(path) + 1);
    chmod(path, 0600);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TS_CTL_CLIENTS };
    if (listen(c->fd, 16) < 0 || (c->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        snprintf(err, errlen, "cannot listen on control socket %s: %s", path, strerror(errno));
        ts_ctl_close(c);
        return NULL;
    }
    return c;
}

int ts_ctl_fd(const struct ts_ctl *c) { return c->epoll_fd; }

int ts_ctl_add_command(struct ts_ctl *c, const char *name, ts_ctl_cmd_fn fn, void *arg)
{
    if (!c || !name || !fn || c->ncmds == TS_CTL_MAX_COMMANDS) return -1;
    c->cmds[c->ncmds++] = (struct ctl_command){ .name = name, .fn = fn, .arg = arg };
    return 0;
}

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
    if (argc < 1) {
        fprintf(out, "empty request\n");
        return 2;
    }
    if (strcmp(argv[0], "status") == 0) return ctl_status(c, out);
    for (unsigned i = 0; i < c->ncmds; i++)
        if (strcmp(argv[0], c->cmds[i].name) == 0) return c->cmds[i].fn(c->cmds[i].arg, c->stack, now, argc, argv, out);
    fprintf(out, "this tapstack does not serve '%s'\n", argv[0]);
    return 2;
}

/* Split a complete request (NUL-ended arguments) into argv. Returns argc. */
static int ctl_split(char *buf, size_t len, char **argv)
{
    int argc = 0;
    for (size_t i = 0; i < len && argc < TS_CTL_MAX_ARGS; argc++) {
        argv[argc] = buf + i;
        while (i < len && buf[i]) i++;
        buf[i++] = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

static void client_drop(struct ts_ctl *c, struct ctl_client *k)
{
    if (k->fd < 0) return;
    epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, k->fd, NULL);
    close(k->fd);
    k->fd = -1;
    free(k->out);
    k->out = NULL;
}

/* Write what the socket takes now; the client is done when all is written (or it left). */
static void client_write(struct ts_ctl *c, struct ctl_client *k)
{
    while (k->out_off < k->out_len) {
        ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) break;
        k->out_off += (size_t)n;
    }
    client_drop(c, k);
}

/* The request is complete: run it, queue "status N\n" and the output, start writing. */
static void client_answer(struct ts_ctl *c, struct ctl_client *k, ts_time_t now)
{
    char *argv[TS_CTL_MAX_ARGS + 1];
    int argc = ctl_split(k->req, k->len, argv);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        client_drop(c, k);
        return;
    }
    int status = ctl_dispatch(c, now, argc, argv, out);
    fclose(out);
    char head[32];
    size_t hl = (size_t)snprintf(head, sizeof head, "status %d\n", status);
    k->out = malloc(hl + len + 1);
    if (!k->out) {
        free(text);
        client_drop(c, k);
        return;
    }
    memcpy(k->out, head, hl);
    memcpy(k->out + hl, text, len);
    k->out_len = hl + len;
    k->out_off = 0;
    free(text);
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)(k - c->cl) };
    epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, k->fd, &ev);
    client_write(c, k);
}

/* Read what has arrived; at EOF the request is complete. Too long a request is dropped. */
static void client_read(struct ts_ctl *c, struct ctl_client *k, ts_time_t now)
{
    for (;;) {
        ssize_t n = recv(k->fd, k->req + k->len, sizeof k->req - 1 - k->len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) break;
        if (n == 0) {
            client_answer(c, k, now);
            return;
        }
        k->len += (size_t)n;
        if (k->len >= sizeof k->req - 1) break;
    }
    client_drop(c, k);
}

/* A free slot, else the oldest client past its time limit (dropped), else NULL. */
static struct ctl_client *client_slot(struct ts_ctl *c, ts_time_t now)
{
    struct ctl_client *old = NULL;
    for (unsigned i = 0; i < TS_CTL_CLIENTS; i++) {
        struct ctl_client *k = &c->cl[i];
        if (k->fd < 0) return k;
        if (now - k->since >= TS_CTL_CLIENT_TIMEOUT && (!old || k->since < old->since)) old = k;
    }
    if (old) client_drop(c, old);
    return old;
}

static void accept_all(struct ts_ctl *c, ts_time_t now)
{
    for (;;) {
        struct ctl_client *k = client_slot(c, now);
        if (!k) return;   /* all busy: the rest wait in the backlog */
        int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(k - c->cl) };
        if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            return;
        }
        k->fd = fd;
        k->since = now;
        k->len = 0;
        client_read(c, k, now);   /* the request is often there already */
    }
}

void ts_ctl_ready(void *ctl, ts_time_t now)
{
    struct ts_ctl *c = ctl;
    struct epoll_event evs[TS_CTL_CLIENTS + 1];
    int n = epoll_wait(c->epoll_fd, evs, TS_CTL_CLIENTS + 1, 0);
    for (int i = 0; i < n; i++) {
        uint32_t id = evs[i].data.u32;
        if (id == TS_CTL_CLIENTS) {
            accept_all(c, now);
            continue;
        }
        struct ctl_client *k = &c->cl[id];
        if (k->fd < 0) continue;
        if (k->out) client_write(c, k);
        else client_read(c, k, now);
    }
    for (unsigned i = 0; i < TS_CTL_CLIENTS; i++)   /* too slow: gone (checked whenever anything happens) */
        if (c->cl[i].fd >= 0 && now - c->cl[i].since >= TS_CTL_CLIENT_TIMEOUT) client_drop(c, &c->cl[i]);
}

void ts_ctl_close(struct ts_ctl *c)
{
    if (!c) return;
    for (unsigned i = 0; i < TS_CTL_CLIENTS; i++) client_drop(c, &c->cl[i]);
    if (c->fd >= 0) close(c->fd);
    if (c->epoll_fd >= 0) close(c->epoll_fd);
    if (c->path[0]) unlink(c->path);
    free(c);
}
