/*
 * The TAP device: the stack's wire. Opening /dev/net/tun with IFF_TAP | IFF_NO_PI gives a file
 * descriptor on which each read() returns one Ethernet frame sent by the kernel side and each
 * write() injects one frame into it. The fd stays blocking: io_uring polls it for us.
 */
#ifndef TS_DRIVER_TAP_H
#define TS_DRIVER_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>

struct ts_tap {
    int fd;                   /* -1 when closed */
    char name[IF_NAMESIZE];
    unsigned ifindex;
    bool created;             /* we made it: no interface of that name existed, and it is not persistent */
    bool vnet;                /* each frame read or written is led by a virtio-net header (vnet.h) */
    unsigned rx_offload;      /* TUN_F_* the kernel may use towards us (TUNSETOFFLOAD accepted) */
};

/* Attach to the TAP called name in the current network namespace, creating it if there is
 * none. A TAP that we create is deleted by ts_tap_close(); one that existed before (persistent,
 * `ip tuntap add`) is left as it was. Returns 0, or -1 with a message in err (what went wrong
 * and what to do). */
int ts_tap_open(struct ts_tap *tap, const char *name, char *err, size_t errlen);

/* ts_tap_open asking for offloads: IFF_VNET_HDR, and TUNSETOFFLOAD with checksum and TSO4 (so
 * that the kernel may hand us partial checksums and 64 KB TCP segments). A kernel or TAP that
 * refuses gives a plain TAP (tap->vnet false) or a header without receive offloads
 * (rx_offload 0), never an error of its own. */
int ts_tap_open_offload(struct ts_tap *tap, const char *name, char *err, size_t errlen);

/* Delete the TAP if we created it, then close the fd. The deletion is an rtnetlink request
 * whose acknowledgement we wait for, so the TAP is gone when this returns, even while another
 * reference to the fd (an io_uring still being torn down by the kernel) keeps the file open;
 * closing alone would leave the TAP until the last reference went. Call it from the network
 * namespace the TAP was opened in. A failed deletion is reported to stderr. Safe to call twice. */
void ts_tap_close(struct ts_tap *tap);

#endif
