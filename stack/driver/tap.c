/* Attach to or create a TAP interface (see tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include "driver/rtnl.h"
#include "driver/tap.h"

static void tap_explain(const char *name, int e, char *err, size_t errlen)
{
    switch (e) {
    case EPERM:
    case EACCES:
        snprintf(err, errlen, "TAP %s: permission denied: run as root (or with CAP_NET_ADMIN)", name);
        break;
    case EBUSY:
        snprintf(err, errlen, "TAP %s is already in use by another process: stop it, or pick another name with --tap", name);
        break;
    case EINVAL:
        snprintf(err, errlen, "%s exists but is not a TAP (a TUN or another kind of link?): pick another name with --tap", name);
        break;
    default:
        snprintf(err, errlen, "TAP %s: TUNSETIFF failed: %s", name, strerror(e));
        break;
    }
}

/* TUNSETIFF with flags; -1 with errno when refused. */
static int set_iff(int fd, const char *name, short flags, struct ifreq *ifr)
{
    memset(ifr, 0, sizeof *ifr);
    ifr->ifr_flags = flags;
    memcpy(ifr->ifr_name, name, strlen(name));
    return ioctl(fd, TUNSETIFF, ifr);
}

/* Receive offloads: checksum and TSO4, else checksum alone, else none. */
static unsigned set_offload(int fd)
{
    static const unsigned tries[] = { TUN_F_CSUM | TUN_F_TSO4, TUN_F_CSUM };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) return tries[i];
    ioctl(fd, TUNSETOFFLOAD, 0ul);
    return 0;
}

static int tap_open(struct ts_tap *tap, const char *name, bool offload, char *err, size_t errlen)
{
    tap->fd = -1;
    tap->vnet = false;
    tap->rx_offload = 0;
    tap->ifindex = 0;
    if (strlen(name) >= sizeof tap->name) {
        snprintf(err, errlen, "TAP name '%s' is too long (at most %zu characters)", name, sizeof tap->name - 1);
        return -1;
    }
    tap->created = if_nametoindex(name) == 0;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV)
            snprintf(err, errlen, "no /dev/net/tun: load the tun module (modprobe tun)");
        else
            snprintf(err, errlen, "cannot open /dev/net/tun: %s%s", strerror(e),
                     e == EACCES || e == EPERM ? ": run as root" : "");
        return -1;
    }
    struct ifreq ifr;
    int hlen = 10;   /* sizeof(struct virtio_net_hdr) */
    if (offload && set_iff(fd, name, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, &ifr) == 0) {
        tap->vnet = true;
        (void)ioctl(fd, TUNSETVNETHDRSZ, &hlen);   /* 10 is the default: nothing to do if refused */
        tap->rx_offload = set_offload(fd);
    } else if (set_iff(fd, name, IFF_TAP | IFF_NO_PI, &ifr) < 0) {
        tap_explain(name, errno, err, errlen);
        close(fd);
        return -1;
    }
    tap->fd = fd;
    /* A persistent TAP (ip tuntap add) is someone else's even if it appeared after our check. */
    struct ifreq got;
    memset(&got, 0, sizeof got);
    if (tap->created && ioctl(fd, TUNGETIFF, &got) == 0 && (got.ifr_flags & IFF_PERSIST)) tap->created = false;
    snprintf(tap->name, sizeof tap->name, "%s", ifr.ifr_name);
    tap->ifindex = if_nametoindex(tap->name);
    if (tap->ifindex == 0) {
        snprintf(err, errlen, "TAP %s: cannot find its interface index: %s", tap->name, strerror(errno));
        ts_tap_close(tap);
        return -1;
    }
    return 0;
}

int ts_tap_open(struct ts_tap *tap, const char *name, char *err, size_t errlen)
{
    return tap_open(tap, name, false, err, errlen);
}

int ts_tap_open_offload(struct ts_tap *tap, const char *name, char *err, size_t errlen)
{
    return tap_open(tap, name, true, err, errlen);
}

/* Delete the link we created over rtnetlink and wait for the kernel's answer. */
static void tap_delete(const struct ts_tap *tap)
{
    int fd = ts_rtnl_open();
    int e = fd < 0 ? fd : ts_rtnl_link_del(fd, tap->ifindex);
    if (fd >= 0) close(fd);
    if (e < 0 && e != -ENODEV)
        fprintf(stderr, "tapstack: cannot delete TAP %s: %s; it goes when its last file is closed\n", tap->name,
                strerror(-e));
}

void ts_tap_close(struct ts_tap *tap)
{
    if (tap->fd < 0) return;
    if (tap->created && tap->ifindex) tap_delete(tap);
    close(tap->fd);
    tap->fd = -1;
}
