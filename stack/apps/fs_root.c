/* A directory served to clients, and nothing outside it (see fs_root.h). */
#include "apps/fs_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The real path of an open fd, from /proc/self/fd. Returns its length or -errno. */
static ssize_t fd_real_path(int fd, char *out, size_t cap)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, cap - 1);
    if (n < 0) return -errno;
    if ((size_t)n >= cap - 1) return -ENAMETOOLONG;
    out[n] = '\0';
    return n;
}

int ts_fs_root_open(struct ts_fs_root *r, const char *dir)
{
    r->real[0] = '\0';
    r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0) return -errno;
    /* The real path of what was opened (not of dir's text, which may change meanwhile). */
    ssize_t n = fd_real_path(r->fd, r->real, sizeof r->real);
    if (n < 0) {
        ts_fs_root_close(r);
        return (int)n;
    }
    return 0;
}

void ts_fs_root_close(struct ts_fs_root *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}

/* ---- the text ---- */

int ts_fs_path_push(char *out, size_t cap, size_t *len, const char *seg, size_t n)
{
    if (n == 0 || (n == 1 && seg[0] == '.')) return 0;
    if (memchr(seg, '\0', n)) return TS_FS_BADNAME;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
        if (*len == 0) return TS_FS_ESCAPE;
        while (*len > 0 && out[*len - 1] != '/') (*len)--;
        (*len)--;                                   /* the '/' before the popped segment */
        out[*len] = '\0';
        return 0;
    }
    if (n > NAME_MAX || *len + 1 + n + 1 > cap) return TS_FS_TOOLONG;
    out[(*len)++] = '/';
    memcpy(out + *len, seg, n);
    *len += n;
    out[*len] = '\0';
    return 0;
}

/* Push every '/'-separated segment of p. */
static int push_all(char *out, size_t cap, size_t *len, const char *p)
{
    while (*p) {
        size_t n = strcspn(p, "/");
        int r = ts_fs_path_push(out, cap, len, p, n);
        if (r) return r;
        p += n;
        while (*p == '/') p++;
    }
    return 0;
}

int ts_fs_path_join(const char *base, const char *arg, char *out, size_t cap)
{
    if (cap < 2) return TS_FS_TOOLONG;
    size_t len = 0;
    out[0] = '\0';
    int r = arg[0] == '/' ? 0 : push_all(out, cap, &len, base);
    if (r == 0) r = push_all(out, cap, &len, arg);
    if (r) {
        out[0] = '\0';
        return r;
    }
    if (len == 0) {
        out[0] = '/';
        out[1] = '\0';
    }
    return 0;
}

/* ---- the kernel ---- */

/* The path relative to the root for the *at() calls: "/a/b" -> "a/b", "/" -> ".". */
static const char *rel(const char *path)
{
    while (*path == '/') path++;
    return *path ? path : ".";
}

int ts_fs_root_open_checked(const struct ts_fs_root *r, const char *path, int flags)
{
    if (flags & (O_CREAT | O_TMPFILE)) return -EINVAL;   /* could create outside before the check */
    int fd = openat(r->fd, rel(path), flags | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -errno;
    char real[TS_FS_PATH_MAX];
    ssize_t n = fd_real_path(fd, real, sizeof real);
    size_t rl = strlen(r->real);
    bool root_is_slash = strcmp(r->real, "/") == 0;
    if (n < 0 || (size_t)n < rl || memcmp(real, r->real, rl) != 0 ||
        ((size_t)n > rl && real[rl] != '/' && !root_is_slash)) {
        close(fd);
        return -EXDEV;
    }
    return fd;
}

int ts_fs_root_openat(const struct ts_fs_root *r, const char *path, int flags, unsigned mode)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    /* openat2 refuses flags that O_PATH ignores (O_NOCTTY) with EINVAL */
    how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY));
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, r->fd, rel(path), &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if (errno != ENOSYS) return -errno;
    if (flags & (O_CREAT | O_TMPFILE)) return -ENOSYS;
    return ts_fs_root_open_checked(r, path, flags);
}

int ts_fs_root_stat(const struct ts_fs_root *r, const char *path, struct stat *st)
{
    int fd = ts_fs_root_openat(r, path, O_PATH, 0);
    if (fd < 0) return fd;
    int e = fstat(fd, st) < 0 ? -errno : 0;
    close(fd);
    return e;
}

int ts_fs_root_open_parent(const struct ts_fs_root *r, const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    const char *last = slash ? slash + 1 : path;
    if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) return -EPERM;
    char parent[TS_FS_PATH_MAX];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof parent) return -ENAMETOOLONG;
    memcpy(parent, path, n);
    parent[n] = '\0';
    *name = last;
    return ts_fs_root_openat(r, parent, O_PATH | O_DIRECTORY, 0);
}
