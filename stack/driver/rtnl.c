/* Minimal rtnetlink client (see rtnl.h). One request at a time, each acknowledged. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <net/if.h>

#include "driver/rtnl.h"

struct rtnl_req {
    struct nlmsghdr nh;
    union {
        struct ifinfomsg ifi;
        struct ifaddrmsg ifa;
    } u;
    char attrs[64];
};

int ts_rtnl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Append attribute type with len bytes of data to the request. */
static void rtnl_attr(struct rtnl_req *req, unsigned short type, const void *data, unsigned short len)
{
    struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send the request and wait for its acknowledgement. Returns 0 or -errno. */
static int rtnl_talk(int fd, struct rtnl_req *req)
{
    static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    req->nh.nlmsg_seq = 1;
    if (sendto(fd, req, req->nh.nlmsg_len, 0, (const struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -errno;
    char buf[4096] __attribute__((aligned(4)));
    for (int tries = 0; tries < 16; tries++) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        size_t left = (size_t)n;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
            if (nh->nlmsg_type != NLMSG_ERROR) continue;
            const struct nlmsgerr *e = NLMSG_DATA(nh);
            return e->error;   /* 0 is the acknowledgement */
        }
    }
    return -EPROTO;
}

int ts_rtnl_link_set(int fd, unsigned ifindex, bool up, unsigned mtu, unsigned txqlen)
{
    struct rtnl_req req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifi);
    req.nh.nlmsg_type = RTM_NEWLINK;
    req.u.ifi.ifi_family = AF_UNSPEC;
    req.u.ifi.ifi_index = (int)ifindex;
    req.u.ifi.ifi_flags = up ? IFF_UP : 0;
    req.u.ifi.ifi_change = IFF_UP;
    if (mtu) {
        uint32_t m = mtu;
        rtnl_attr(&req, IFLA_MTU, &m, sizeof m);
    }
    if (txqlen) {
        uint32_t q = txqlen;
        rtnl_attr(&req, IFLA_TXQLEN, &q, sizeof q);
    }
    return rtnl_talk(fd, &req);
}

int ts_rtnl_link_del(int fd, unsigned ifindex)
{
    struct rtnl_req req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifi);
    req.nh.nlmsg_type = RTM_DELLINK;
    req.u.ifi.ifi_family = AF_UNSPEC;
    req.u.ifi.ifi_index = (int)ifindex;
    return rtnl_talk(fd, &req);
}

int ts_rtnl_addr_add(int fd, unsigned ifindex, uint32_t ip, uint8_t prefix_len)
{
    struct rtnl_req req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifa);
    req.nh.nlmsg_type = RTM_NEWADDR;
    req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    req.u.ifa.ifa_family = AF_INET;
    req.u.ifa.ifa_prefixlen = prefix_len;
    req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    req.u.ifa.ifa_index = ifindex;
    uint32_t be = htonl(ip);
    rtnl_attr(&req, IFA_LOCAL, &be, sizeof be);
    rtnl_attr(&req, IFA_ADDRESS, &be, sizeof be);
    if (prefix_len < 31) {
        uint32_t mask = prefix_len ? ~0u << (32 - prefix_len) : 0;
        uint32_t bcast = htonl(ip | ~mask);
        rtnl_attr(&req, IFA_BROADCAST, &bcast, sizeof bcast);
    }
    return rtnl_talk(fd, &req);
}
