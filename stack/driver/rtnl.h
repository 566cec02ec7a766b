/*
 * A few rtnetlink requests, sent directly (no shelling out to `ip`): bring a link up, set its
 * MTU, give it an IPv4 address, delete it. Each call talks to the network namespace the socket was
 * opened in.
 */
#ifndef TS_DRIVER_RTNL_H
#define TS_DRIVER_RTNL_H

#include <stdbool.h>
#include <stdint.h>

/* Open a NETLINK_ROUTE socket in the current network namespace. Returns the fd or -errno. */
int ts_rtnl_open(void);

/* Set the link up (or down) and, if mtu is not 0, its MTU; if txqlen is not 0, its transmit queue
 * length (for a TAP: the frames the kernel queues towards the reader before it drops). Returns 0
 * or -errno. */
int ts_rtnl_link_set(int fd, unsigned ifindex, bool up, unsigned mtu, unsigned txqlen);

/* Add IPv4 address ip/prefix_len (host order) to the link. Returns 0, -EEXIST if it is already
 * there, or another -errno. */
int ts_rtnl_addr_add(int fd, unsigned ifindex, uint32_t ip, uint8_t prefix_len);

/* Delete the link with index ifindex and wait for the kernel's acknowledgement: when this
 * returns 0 the link is gone from the namespace (whoever still holds a file on it, such as an
 * io_uring being torn down). Returns 0, -ENODEV if there is no such link, or another -errno. */
int ts_rtnl_link_del(int fd, unsigned ifindex);

#endif
