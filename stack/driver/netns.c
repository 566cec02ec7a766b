/* Create, join and remove named network namespaces (see netns.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "driver/netns.h"

bool ts_netns_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* Make /run/netns exist and be a shared mount point, as `ip netns add` does, so that the bind
 * mounts under it are seen by every mount namespace that shares it. */
static int netns_dir_ready(char *err, size_t errlen)
{
    if (mkdir(TS_NETNS_DIR, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", TS_NETNS_DIR, strerror(errno));
        return -1;
    }
    for (int tries = 0; tries < 2; tries++) {
        if (mount("", TS_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
        if (errno != EINVAL) break;
        /* Not a mount point yet: bind it onto itself, then try again. */
        if (mount(TS_NETNS_DIR, TS_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0) break;
    }
    snprintf(err, errlen, "cannot make %s a shared mount: %s%s", TS_NETNS_DIR, strerror(errno),
             errno == EPERM ? ": run as root" : "");
    return -1;
}

/* Create a new namespace, move into it and pin it at ns->path. Returns 0, 1 if ns->path
 * appeared meanwhile, or -1 with a message in err. */
static int netns_create(struct ts_netns *ns, const char *name, char *err, size_t errlen)
{
    int fd = open(ns->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EEXIST) return 1;   /* someone made it meanwhile */
        snprintf(err, errlen, "cannot create %s: %s", ns->path, strerror(errno));
        return -1;
    }
    close(fd);
    if (unshare(CLONE_NEWNET) < 0) {
        snprintf(err, errlen, "cannot create network namespace %s: %s%s", name, strerror(errno),
                 errno == EPERM ? ": run as root" : "");
        unlink(ns->path);
        return -1;
    }
    if (mount("/proc/self/ns/net", ns->path, "none", MS_BIND, NULL) < 0) {
        snprintf(err, errlen, "cannot bind the namespace at %s: %s", ns->path, strerror(errno));
        unlink(ns->path);
        return -1;
    }
    ns->created = true;
    ns->entered = true;
    return 0;
}

static int netns_join(struct ts_netns *ns, const char *name, char *err, size_t errlen)
{
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", ns->path, strerror(errno));
        return -1;
    }
    if (setns(fd, CLONE_NEWNET) < 0) {
        int e = errno;
        close(fd);
        if (e == EINVAL)
            snprintf(err, errlen, "%s is not a network namespace (a stale file?): remove it with `ip netns del %s`",
                     ns->path, name);
        else
            snprintf(err, errlen, "cannot enter network namespace %s: %s", name, strerror(e));
        return -1;
    }
    close(fd);
    ns->entered = true;
    return 0;
}

int ts_netns_enter(struct ts_netns *ns, const char *name, char *err, size_t errlen)
{
    memset(ns, 0, sizeof *ns);
    if (!ts_netns_name_ok(name)) {
        snprintf(err, errlen, "bad namespace name '%s': use 1-64 letters, digits, '.', '_' or '-'", name);
        return -1;
    }
    if (netns_dir_ready(err, errlen) < 0) return -1;
    snprintf(ns->path, sizeof ns->path, "%s/%s", TS_NETNS_DIR, name);
    if (access(ns->path, F_OK) == 0) return netns_join(ns, name, err, errlen);
    int r = netns_create(ns, name, err, errlen);
    if (r == 1) return netns_join(ns, name, err, errlen);   /* lost a race: join it */
    return r;
}

void ts_netns_leave(struct ts_netns *ns)
{
    if (!ns->created) return;
    umount2(ns->path, MNT_DETACH);
    unlink(ns->path);
    ns->created = false;
}
