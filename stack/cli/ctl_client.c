/* Control socket client (see ctl_client.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "cli/ctl_client.h"
#include "driver/ctl.h"

int ts_ctl_target_flag(const char *cmd, int argc, char **argv, int *i, struct ts_ctl_target *t)
{
    static const char *const names[] = { "--ctl", "--netns", "--tap" };
    const char *arg = argv[*i];
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(names[k]);
        if (strncmp(arg, names[k], n) != 0 || (arg[n] != '\0' && arg[n] != '=')) continue;
        const char *v = arg[n] == '=' ? arg + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        if (!v || !*v) {
            fprintf(stderr, "tapstack %s: %s needs a value (see tapstack %s --help)\n", cmd, names[k], cmd);
            return -1;
        }
        if (k == 0) t->ctl = v;
        else if (k == 1) t->netns = v;
        else t->tap = v;
        return 1;
    }
    return 0;
}

void ts_ctl_target_path(const struct ts_ctl_target *t, char *buf, size_t cap)
{
    if (t->ctl) snprintf(buf, cap, "%s", t->ctl);
    else ts_ctl_default_path(t->netns, t->tap ? t->tap : "tap0", buf, cap);
}

static int ctl_connect(const char *cmd, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "tapstack %s: control socket path %s is too long\n", cmd, path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "tapstack %s: no tapstack is serving %s (%s): is `tapstack up` running? "
                        "name it with --netns NAME, --tap NAME or --ctl PATH\n", cmd, path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Copy the reply to out after its "status N" line; returns N or -1. */
static int ctl_reply(int fd, FILE *out)
{
    char buf[4096];
    int status = -1;
    size_t have = 0;
    bool head = true;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!head) {
            fwrite(buf, 1, (size_t)n, out);
            continue;
        }
        have += (size_t)n;
        buf[have] = '\0';
        char *nl = strchr(buf, '\n');
        if (!nl) {
            if (have >= sizeof buf - 1) break;
            continue;
        }
        if (sscanf(buf, "status %d", &status) != 1) return -1;
        head = false;
        fwrite(nl + 1, 1, have - (size_t)(nl + 1 - buf), out);
        have = 0;
    }
    return head ? -1 : status;
}

int ts_ctl_request(const char *cmd, const char *path, int argc, char **argv, FILE *out)
{
    char req[TS_CTL_MAX_REQUEST];
    size_t len = 0;
    if (argc > TS_CTL_MAX_ARGS) {
        fprintf(stderr, "tapstack %s: too many arguments (at most %d)\n", cmd, TS_CTL_MAX_ARGS);
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (len + n >= sizeof req) {
            fprintf(stderr, "tapstack %s: the request is too long\n", cmd);
            return -1;
        }
        memcpy(req + len, argv[i], n);
        len += n;
    }
    int fd = ctl_connect(cmd, path);
    if (fd < 0) return -1;
    ssize_t w = write(fd, req, len);
    shutdown(fd, SHUT_WR);
    int status = w == (ssize_t)len ? ctl_reply(fd, out) : -1;
    close(fd);
    if (status < 0) fprintf(stderr, "tapstack %s: no answer from %s\n", cmd, path);
    return status;
}
