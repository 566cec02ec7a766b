/*
 * UDP (RFC 768, RFC 1122 §4.1): datagram input with checksum and length checks, bound and
 * connected sockets found through the shared demultiplexer, a bounded receive queue per socket,
 * ICMP port unreachable for closed ports, and ICMP errors turned into TS_ECONNREFUSED for
 * connected sockets.
 *
 * Memory: each queued datagram is one allocation of its own size. A socket's queue is bounded in
 * bytes and datagrams; all queues together are bounded by TS_UDP_MEM_CAP; the number of sockets
 * by TS_UDP_MAX_SOCKETS. Sending uses one 64 KiB scratch buffer made at init for datagrams that
 * do not fit one frame (those go out through ts_ipv4_send_buf, which fragments).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "core/modules.h"
#include "core/sock.h"
#include "core/demux.h"
#include "core/ports.h"
#include "udp/udp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

struct udp_dgram {
    struct udp_dgram *next;
    uint32_t raddr;
    uint16_t rport;
    uint16_t len;
    uint8_t data[];
};

struct udp_sock {
    struct ts_sock base;           /* first: the demux node and the event state */
    struct ts_stack *s;
    struct udp_sock *prev, *next;  /* every UDP socket of the stack */
    uint32_t bound_laddr;          /* laddr as bound (0 = any); connect may narrow node.laddr */
    int pending_err;               /* TS_E* to report once, 0 if none */
    struct udp_dgram *q_head, *q_tail;
    size_t q_bytes, q_max_bytes;
    unsigned q_count, q_max_count;
};

struct ts_udp {
    struct udp_sock *socks;
    unsigned nsocks;
    size_t mem;                    /* payload bytes queued over all sockets */
};

static struct udp_sock *us_of(struct ts_sock *sock) { return (struct udp_sock *)sock; }

int ts_udp_init(struct ts_stack *s)
{
    s->udp = calloc(1, sizeof *s->udp);
    return s->udp ? 0 : -TS_ENOMEM;
}

static void queue_clear(struct ts_stack *s, struct udp_sock *us)
{
    struct udp_dgram *d = us->q_head;
    while (d) {
        struct udp_dgram *nx = d->next;
        free(d);
        d = nx;
    }
    if (s->udp) s->udp->mem -= us->q_bytes;
    us->q_head = us->q_tail = NULL;
    us->q_bytes = 0;
    us->q_count = 0;
}

static void sock_destroy(struct ts_stack *s, struct udp_sock *us)
{
    struct ts_udp *u = s->udp;
    if (us->base.node.in_table) ts_demux_remove(s->demux, &us->base.node);
    ts_sock_unqueue(s, &us->base);
    queue_clear(s, us);
    if (us->prev) us->prev->next = us->next;
    else u->socks = us->next;
    if (us->next) us->next->prev = us->prev;
    u->nsocks--;
    free(us);
}

void ts_udp_free(struct ts_stack *s)
{
    if (!s->udp) return;
    while (s->udp->socks) sock_destroy(s, s->udp->socks);
    free(s->udp);
    s->udp = NULL;
}

/* ---- input ---- */

/*
 * UDP header (RFC 768):
 *   OFFSET SIZE DESCRIPTION
 *   0      2    source port
 *   2      2    destination port
 *   4      2    length: header + data, in bytes (>= 8)
 *   6      2    checksum over pseudo-header, header and data; 0 = none sent
 */

/* Checksum check over the pseudo-header and ulen bytes; true when good or absent. */
static bool udp_csum_ok(const struct ts_ipv4_info *ip, const uint8_t *seg, size_t ulen)
{
    if (ts_get16(seg + 6) == 0) return true;
    uint32_t sum = ts_csum_pseudo(ip->src, ip->dst, TS_IPPROTO_UDP, (uint16_t)ulen);
    return ts_csum_finish(ts_csum_add(sum, seg, ulen)) == 0;
}

/* Queue one datagram on us; false (and counted) when a bound is hit or memory fails. */
static bool enqueue(struct ts_stack *s, ts_time_t now, struct udp_sock *us, uint32_t raddr,
                    uint16_t rport, const uint8_t *data, size_t n, const uint8_t *seg)
{
    struct ts_udp *u = s->udp;
    if (us->q_count >= us->q_max_count || us->q_bytes + n > us->q_max_bytes) {
        TS_DROP(s, now, udp, drop_rcvbuf_full, seg, n + TS_UDP_HLEN);
        return false;
    }
    if (u->mem + n > TS_UDP_MEM_CAP) {
        TS_DROP(s, now, udp, drop_memory, seg, n + TS_UDP_HLEN);
        return false;
    }
    struct udp_dgram *d = malloc(sizeof *d + n);
    if (!d) {
        TS_DROP(s, now, udp, drop_memory, seg, n + TS_UDP_HLEN);
        return false;
    }
    d->next = NULL;
    d->raddr = raddr;
    d->rport = rport;
    d->len = (uint16_t)n;
    if (n) memcpy(d->data, data, n);
    if (us->q_tail) us->q_tail->next = d;
    else us->q_head = d;
    us->q_tail = d;
    us->q_count++;
    us->q_bytes += n;
    u->mem += n;
    return true;
}

void ts_udp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len)
{
    TS_COUNT(s, udp, rx_datagrams);
    if (len < TS_UDP_HLEN) {
        TS_DROP(s, now, udp, drop_short, seg, len);
        return;
    }
    size_t ulen = ts_get16(seg + 4);
    if (ulen < TS_UDP_HLEN || ulen > len) {   /* bytes past ulen (IP padding) are ignored */
        TS_DROP(s, now, udp, drop_bad_len, seg, len);
        return;
    }
    if (ts_rx_csum_trusted(s)) {
        TS_COUNT(s, eth, rx_csum_offloaded);
    } else if (!udp_csum_ok(ip, seg, ulen)) {
        TS_DROP(s, now, udp, drop_bad_checksum, seg, ulen);
        return;
    }
    if (ts_get16(seg + 6) == 0) TS_COUNT(s, udp, rx_no_checksum);
    uint16_t sport = ts_get16(seg), dport = ts_get16(seg + 2);
    struct ts_demux_node *n = dport ? ts_demux_lookup(s->demux, TS_IPPROTO_UDP, ip->dst, dport,
                                                      ip->src, sport)
                                    : NULL;
    if (!n) {
        TS_DROP(s, now, udp, drop_no_port, seg, ulen);
        if (!ip->to_broadcast) ts_icmp_send_unreach(s, now, 3, ip, seg, len);
        return;
    }
    struct udp_sock *us = (struct udp_sock *)n;
    if (enqueue(s, now, us, ip->src, sport, seg + TS_UDP_HLEN, ulen - TS_UDP_HLEN, seg))
        ts_sock_notify(s, &us->base, TS_EV_READABLE);
}

/* The IPv4 header and first 8 bytes of a datagram we sent came back in an ICMP destination
 * unreachable. The caller (stack/net/icmp.c, dest_unreach) has checked what this relies on: type 3,
 * an IPv4 header of IHL >= 20 bytes from our address, protocol UDP, and 8 bytes after it. */
void ts_udp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code,
                       const uint8_t *orig, size_t len)
{
    (void)now; (void)type; (void)len;
    TS_COUNT(s, udp, rx_icmp_errors);
    size_t ihl = (size_t)(orig[0] & 0x0f) * 4;
    uint32_t src = ts_get32(orig + 12), dst = ts_get32(orig + 16);
    uint16_t sport = ts_get16(orig + ihl), dport = ts_get16(orig + ihl + 2);
    int err;
    if (code == 3) err = TS_ECONNREFUSED;                       /* port unreachable */
    else if (code == 0 || code == 1) err = TS_EHOSTUNREACH;     /* net, host unreachable */
    else return;
    struct ts_demux_node *n = ts_demux_lookup(s->demux, TS_IPPROTO_UDP, src, sport, dst, dport);
    /* RFC 1122 §4.1.3.3 passes errors up; like BSD we report them only to a connected socket,
     * since an unconnected one cannot tell which of its peers the error was about. */
    if (!n || n->raddr != dst || n->rport != dport) return;
    struct udp_sock *us = (struct udp_sock *)n;
    us->pending_err = err;
    us->base.error = err;
    TS_COUNT(s, udp, icmp_errors_reported);
    ts_sock_notify(s, &us->base, TS_EV_ERROR);
}

/* ---- the socket API ---- */

/* Return the pending error once, or 0. */
static int take_error(struct udp_sock *us)
{
    int e = us->pending_err;
    us->pending_err = 0;
    us->base.error = 0;
    return e;
}

int ts_udp_open(struct ts_stack *s, uint32_t laddr, uint16_t lport, ts_sock_cb cb, void *arg,
                struct ts_sock **out)
{
    struct ts_udp *u = s->udp;
    if (!out || (laddr != 0 && !ts_is_our_ip(s, laddr))) return -TS_EINVAL;
    if (u->nsocks >= TS_UDP_MAX_SOCKETS) return -TS_ENOMEM;
    if (lport == 0) {
        lport = ts_ports_pick(s->ports, s->demux, TS_IPPROTO_UDP, laddr, 0, 0);
        if (lport == 0) return -TS_EADDRNOTAVAIL;
    } else if (ts_demux_port_used(s->demux, TS_IPPROTO_UDP, lport)) {
        return -TS_EADDRINUSE;
    }
    struct udp_sock *us = calloc(1, sizeof *us);
    if (!us) return -TS_ENOMEM;
    us->s = s;
    us->base.proto = TS_IPPROTO_UDP;
    us->base.cb = cb;
    us->base.cb_arg = arg;
    us->base.node.proto = TS_IPPROTO_UDP;
    us->base.node.laddr = laddr;
    us->base.node.lport = lport;
    us->bound_laddr = laddr;
    us->q_max_bytes = TS_UDP_RCVQ_BYTES;
    us->q_max_count = TS_UDP_RCVQ_COUNT;
    int rc = ts_demux_insert(s->demux, &us->base.node);
    if (rc < 0) {
        free(us);
        return rc;
    }
    us->next = u->socks;
    if (u->socks) u->socks->prev = us;
    u->socks = us;
    u->nsocks++;
    *out = &us->base;
    return 0;
}

int ts_udp_connect(struct ts_sock *sock, uint32_t raddr, uint16_t rport)
{
    if (!sock || sock->proto != TS_IPPROTO_UDP) return -TS_EINVAL;
    struct udp_sock *us = us_of(sock);
    struct ts_stack *s = us->s;
    if ((raddr == 0) != (rport == 0)) return -TS_EINVAL;
    struct ts_demux_node old = sock->node;
    ts_demux_remove(s->demux, &sock->node);
    if (raddr == 0) {   /* 0:0 dissolves the association, back to the bound address */
        sock->node.laddr = us->bound_laddr;
    } else if (sock->node.laddr == 0) {
        sock->node.laddr = s->cfg.ip;   /* our only address is the source we will use */
    }
    sock->node.raddr = raddr;
    sock->node.rport = rport;
    int rc = ts_demux_insert(s->demux, &sock->node);
    if (rc < 0) {
        sock->node.laddr = old.laddr;
        sock->node.raddr = old.raddr;
        sock->node.rport = old.rport;
        (void)ts_demux_insert(s->demux, &sock->node);
        return rc;
    }
    us->pending_err = 0;
    sock->error = 0;
    return 0;
}

/* Write the UDP header at h for a payload of n bytes already at h + 8, with its checksum. */
static void udp_emit(uint8_t *h, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     size_t n)
{
    uint16_t ulen = (uint16_t)(TS_UDP_HLEN + n);
    ts_put16(h, sport);
    ts_put16(h + 2, dport);
    ts_put16(h + 4, ulen);
    ts_put16(h + 6, 0);
    uint32_t sum = ts_csum_pseudo(src, dst, TS_IPPROTO_UDP, ulen);
    uint16_t c = ts_csum_finish(ts_csum_add(sum, h, ulen));
    ts_put16(h + 6, c ? c : 0xffff);   /* RFC 768: a computed 0 is sent as all ones */
}

long ts_udp_sendto(struct ts_sock *sock, ts_time_t now, uint32_t raddr, uint16_t rport,
                   const void *buf, size_t len)
{
    if (!sock || sock->proto != TS_IPPROTO_UDP || (len && !buf)) return -TS_EINVAL;
    struct udp_sock *us = us_of(sock);
    struct ts_stack *s = us->s;
    if (us->pending_err) return -take_error(us);
    if (raddr == 0 && rport == 0) {
        raddr = sock->node.raddr;
        rport = sock->node.rport;
        if (raddr == 0) return -TS_ENOTCONN;
    }
    if (raddr == 0 || rport == 0) return -TS_EINVAL;
    if (len > TS_UDP_MAX_PAYLOAD) return -TS_EMSGSIZE;
    uint32_t src = sock->node.laddr ? sock->node.laddr : s->cfg.ip;
    size_t l4 = TS_UDP_HLEN + len;
    int rc;
    if (l4 <= ts_ipv4_l4_cap(s)) {
        struct ts_frame *f = ts_ipv4_frame_alloc(s, now);
        if (!f) {
            TS_COUNT(s, udp, tx_no_buffer);
            return -TS_ENOMEM;
        }
        uint8_t *h = f->data + TS_L4_OFFSET;
        if (len) memcpy(h + TS_UDP_HLEN, buf, len);
        udp_emit(h, src, sock->node.lport, raddr, rport, len);
        rc = ts_ipv4_send(s, now, f, TS_IPPROTO_UDP, src, raddr, l4);
    } else {
        uint8_t *h = ts_stack_scratch(s);   /* TS_SCRATCH_LEN >= TS_UDP_HLEN + TS_UDP_MAX_PAYLOAD */
        if (!h) {
            TS_COUNT(s, udp, tx_no_buffer);
            return -TS_ENOMEM;
        }
        memcpy(h + TS_UDP_HLEN, buf, len);
        udp_emit(h, src, sock->node.lport, raddr, rport, len);
        rc = ts_ipv4_send_buf(s, now, TS_IPPROTO_UDP, src, raddr, h, l4);
    }
    if (rc < 0) {
        TS_COUNT(s, udp, tx_no_buffer);
        return rc;
    }
    TS_COUNT(s, udp, tx_datagrams);
    return (long)len;
}

long ts_udp_recvfrom(struct ts_sock *sock, void *buf, size_t cap, uint32_t *raddr,
                     uint16_t *rport)
{
    if (!sock || sock->proto != TS_IPPROTO_UDP || (cap && !buf)) return -TS_EINVAL;
    struct udp_sock *us = us_of(sock);
    if (us->pending_err) return -take_error(us);
    struct udp_dgram *d = us->q_head;
    if (!d) return -TS_EAGAIN;
    us->q_head = d->next;
    if (!us->q_head) us->q_tail = NULL;
    us->q_count--;
    us->q_bytes -= d->len;
    us->s->udp->mem -= d->len;
    size_t n = d->len < cap ? d->len : cap;
    if (n) memcpy(buf, d->data, n);
    if (raddr) *raddr = d->raddr;
    if (rport) *rport = d->rport;
    long full = d->len;
    free(d);
    return full;
}

void ts_udp_close(struct ts_sock *sock)
{
    if (!sock || sock->proto != TS_IPPROTO_UDP) return;
    struct udp_sock *us = us_of(sock);
    sock_destroy(us->s, us);
}

/* ---- internal views ---- */

void ts_udp_queue_info(const struct ts_sock *sock, size_t *bytes, unsigned *count)
{
    const struct udp_sock *us = (const struct udp_sock *)sock;
    if (bytes) *bytes = us->q_bytes;
    if (count) *count = us->q_count;
}

void ts_udp_set_rcvq(struct ts_sock *sock, size_t max_bytes, unsigned max_count)
{
    struct udp_sock *us = us_of(sock);
    if (max_bytes) us->q_max_bytes = max_bytes;
    if (max_count) us->q_max_count = max_count;
}

unsigned ts_udp_socket_count(const struct ts_stack *s) { return s->udp ? s->udp->nsocks : 0; }
