/*
 * ARP, RFC 826, with the cache behaviour of RFC 1122 §2.3.2.
 *
 * ARP packet for Ethernet/IPv4 (after the Ethernet header):
 *   OFFSET SIZE DESCRIPTION
 *   0      2    hardware type (1 = Ethernet)
 *   2      2    protocol type (0x0800 = IPv4)
 *   4      1    hardware address length (6)
 *   5      1    protocol address length (4)
 *   6      2    operation (1 = request, 2 = reply)
 *   8      6    sender hardware address (SHA)
 *   14     4    sender protocol address (SPA)
 *   18     6    target hardware address (THA)
 *   24     4    target protocol address (TPA)
 */
#include <stdlib.h>
#include <string.h>
#include "core/modules.h"
#include "net/arp.h"
#include "wire/bytes.h"
#include "tapstack/socket.h"

#define ARP_LEN 28

struct arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state;
    uint8_t tries;
    ts_time_t updated;       /* last answer (or creation) */
    ts_time_t next_request;  /* INCOMPLETE: when to ask again; STALE: earliest re-ask */
    struct ts_frame *pend_head, *pend_tail;
    unsigned pend_len;
};

struct ts_arp {
    unsigned size;
    unsigned incomplete;     /* entries in INCOMPLETE: only they need timers */
    unsigned pending_total;
    unsigned last_hit;       /* index of the last entry used: most traffic goes to one peer */
    ts_time_t rl_window;     /* global request rate limit: a count per one-second window */
    unsigned rl_count;
    ts_time_t last_defend;   /* RFC 5227 §2.4: one announcement per DEFEND_INTERVAL */
    bool defended;
    struct arp_entry e[];
};

const char *ts_arp_state_name(enum ts_arp_state st)
{
    switch (st) {
    case TS_ARP_INCOMPLETE: return "incomplete";
    case TS_ARP_REACHABLE: return "reachable";
    case TS_ARP_STALE: return "stale";
    case TS_ARP_STATIC: return "static";
    default: return "free";
    }
}

int ts_arp_init(struct ts_stack *s)
{
    unsigned n = s->cfg.arp_cache_size;
    s->arp = calloc(1, sizeof *s->arp + n * sizeof(struct arp_entry));
    if (!s->arp) return -1;
    s->arp->size = n;
    return 0;
}

static void drop_pending(struct ts_stack *s, ts_time_t now, struct arp_entry *e)
{
    struct ts_frame *f = e->pend_head;
    while (f) {
        struct ts_frame *next = f->next;
        TS_DROP(s, now, arp, drop_unresolved, f->data, f->len);
        ts_frame_free(s, f);
        f = next;
    }
    s->arp->pending_total -= e->pend_len;
    e->pend_head = e->pend_tail = NULL;
    e->pend_len = 0;
}

static void entry_clear(struct ts_stack *s, ts_time_t now, struct arp_entry *e)
{
    drop_pending(s, now, e);
    if (e->state == TS_ARP_INCOMPLETE) s->arp->incomplete--;
    memset(e, 0, sizeof *e);
}

void ts_arp_free(struct ts_stack *s)
{
    if (!s->arp) return;
    for (unsigned i = 0; i < s->arp->size; i++) {
        struct ts_frame *f = s->arp->e[i].pend_head;
        while (f) { struct ts_frame *n = f->next; ts_frame_free(s, f); f = n; }
    }
    free(s->arp);
    s->arp = NULL;
}

static struct arp_entry *arp_find(struct ts_arp *a, uint32_t ip)
{
    struct arp_entry *h = &a->e[a->last_hit];
    if (h->state != TS_ARP_FREE && h->ip == ip) return h;
    for (unsigned i = 0; i < a->size; i++) {
        if (a->e[i].state != TS_ARP_FREE && a->e[i].ip == ip) {
            a->last_hit = i;
            return &a->e[i];
        }
    }
    return NULL;
}

/* A free slot, else the least recently confirmed entry that is neither static nor pending. */
static struct arp_entry *arp_slot(struct ts_stack *s, ts_time_t now)
{
    struct ts_arp *a = s->arp;
    struct arp_entry *victim = NULL;
    for (unsigned i = 0; i < a->size; i++) {
        struct arp_entry *e = &a->e[i];
        if (e->state == TS_ARP_FREE) return e;
        if (e->state == TS_ARP_STATIC || e->pend_len) continue;
        if (!victim || e->updated < victim->updated) victim = e;
    }
    if (!victim) return NULL;
    TS_COUNT(s, arp, cache_evictions);
    entry_clear(s, now, victim);
    return victim;
}

static bool request_allowed(struct ts_stack *s, ts_time_t now)
{
    struct ts_arp *a = s->arp;
    if (now >= a->rl_window + TS_SEC(1) || now < a->rl_window) {
        a->rl_window = now;
        a->rl_count = 0;
    }
    if (a->rl_count >= TS_ARP_REQUESTS_PER_SEC) {
        TS_COUNT(s, arp, request_rate_limited);
        return false;
    }
    a->rl_count++;
    return true;
}

/* Build an ARP packet in a fresh frame and queue it. dst_mac NULL = broadcast. */
static void arp_send(struct ts_stack *s, uint16_t op, const uint8_t *dst_mac, uint32_t tip,
                     const uint8_t *tha)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[6] = { 0 };
    struct ts_frame *f = ts_frame_alloc(s);
    if (!f) { TS_COUNT(s, eth, drop_tx_queue_full); return; }
    uint8_t *p = f->data;
    memcpy(p, dst_mac ? dst_mac : bcast, 6);
    memcpy(p + 6, s->cfg.mac, 6);
    ts_put16(p + 12, 0x0806);
    uint8_t *a = p + TS_ETH_HLEN;
    ts_put16(a + 0, 1);
    ts_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    ts_put16(a + 6, op);
    memcpy(a + 8, s->cfg.mac, 6);
    ts_put32(a + 14, s->cfg.ip);
    memcpy(a + 18, tha ? tha : zero, 6);
    ts_put32(a + 24, tip);
    f->len = TS_ETH_HLEN + ARP_LEN;
    memset(p + f->len, 0, 60 - f->len);   /* pad to the Ethernet minimum */
    f->len = 60;
    ts_txq_push(s, f);
    if (op == 1) TS_COUNT(s, arp, tx_requests);
    else TS_COUNT(s, arp, tx_replies);
}

static void flush_pending(struct ts_stack *s, struct arp_entry *e)
{
    struct ts_frame *f = e->pend_head;
    while (f) {
        struct ts_frame *next = f->next;
        memcpy(f->data, e->mac, 6);
        ts_txq_push(s, f);
        f = next;
    }
    s->arp->pending_total -= e->pend_len;
    e->pend_head = e->pend_tail = NULL;
    e->pend_len = 0;
}

/* The neighbour ip is at mac: fill in or refresh its entry, releasing packets that waited. */
static void arp_learn(struct ts_stack *s, ts_time_t now, struct arp_entry *e, uint32_t ip,
                      const uint8_t *mac)
{
    if (e->state == TS_ARP_STATIC) return;
    if (e->state == TS_ARP_INCOMPLETE) s->arp->incomplete--;
    e->ip = ip;
    memcpy(e->mac, mac, 6);
    e->state = TS_ARP_REACHABLE;
    e->tries = 0;
    e->updated = now;
    flush_pending(s, e);
}

/* Why mac cannot be a neighbour's hardware address, as a counter index, or -1 if it can: a
 * group address, all zeros, or ours (with our own MAC cached for a peer, every frame to it would
 * come back to us and the peer would be black-holed). */
static int bad_neighbour_mac(const struct ts_stack *s, const uint8_t *mac)
{
    static const uint8_t zero[6] = { 0 };
    if (mac[0] & 1) return TS_CTR_arp_drop_sender_mac_group;   /* broadcast or multicast */
    if (memcmp(mac, zero, 6) == 0) return TS_CTR_arp_drop_sender_mac_zero;
    if (memcmp(mac, s->cfg.mac, 6) == 0) return TS_CTR_arp_drop_sender_mac_ours;
    return -1;
}

static bool bad_sender_ip(const struct ts_stack *s, uint32_t spa)
{
    if (spa == 0) return false;                        /* ARP probe (RFC 5227): answer, don't learn */
    return spa == s->cfg.ip || spa == 0xffffffffu || spa == s->bcast || (spa >> 28) == 0xe;
}

/* RFC 5227 §2.4: another host claims our address. Count it (the trace names the frame), keep
 * the cache as it is, and defend with one broadcast announcement per DEFEND_INTERVAL (10 s). */
static void addr_conflict(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len)
{
    TS_DROP(s, now, arp, drop_addr_conflict, pkt, len);
    struct ts_arp *a = s->arp;
    if (a->defended && now < a->last_defend + TS_SEC(10)) return;
    a->defended = true;
    a->last_defend = now;
    arp_send(s, 1, NULL, s->cfg.ip, NULL);
    TS_COUNT(s, arp, tx_defend);
}

void ts_arp_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len)
{
    TS_COUNT(s, arp, rx_packets);
    if (len < ARP_LEN) { TS_DROP(s, now, arp, drop_short, pkt, len); return; }
    if (ts_get16(pkt) != 1 || ts_get16(pkt + 2) != 0x0800 || pkt[4] != 6 || pkt[5] != 4) {
        TS_DROP(s, now, arp, drop_bad_format, pkt, len);
        return;
    }
    uint16_t op = ts_get16(pkt + 6);
    const uint8_t *sha = pkt + 8;
    uint32_t spa = ts_get32(pkt + 14);
    uint32_t tpa = ts_get32(pkt + 24);
    if (op != 1 && op != 2) { TS_DROP(s, now, arp, drop_bad_op, pkt, len); return; }
    if (op == 1) TS_COUNT(s, arp, rx_requests);
    else TS_COUNT(s, arp, rx_replies);
    int why = bad_neighbour_mac(s, sha);
    if (why == TS_CTR_arp_drop_sender_mac_ours && spa == s->cfg.ip) why = TS_CTR_arp_drop_bad_sender;
    if (why >= 0) {
        ts_drop(s, now, (enum ts_counter_id)why, pkt, len);
        return;
    }
    if (spa == s->cfg.ip) {                            /* another MAC says it is us */
        addr_conflict(s, now, pkt, len);
        return;
    }
    if (bad_sender_ip(s, spa)) { TS_DROP(s, now, arp, drop_bad_sender, pkt, len); return; }

    /* RFC 826 "merge": refresh an entry we already have, whoever the target is. */
    struct arp_entry *e = spa ? arp_find(s->arp, spa) : NULL;
    if (e) arp_learn(s, now, e, spa, sha);
    if (tpa != s->cfg.ip) {
        if (!e) TS_DROP(s, now, arp, drop_not_for_us, pkt, len);
        return;
    }
    /* Addressed to us: add the sender (only if it is on our subnet: a neighbour). */
    if (!e && spa && (spa & s->netmask) == (s->cfg.ip & s->netmask)) {
        e = arp_slot(s, now);
        if (e) arp_learn(s, now, e, spa, sha);
    }
    if (op == 1) arp_send(s, 2, sha, spa, sha);
}

static void send_request(struct ts_stack *s, ts_time_t now, struct arp_entry *e)
{
    if (!request_allowed(s, now)) {
        e->next_request = now + TS_MS(100);     /* try again soon, without counting a try */
        return;
    }
    /* A stale entry is re-asked by unicast first (RFC 1122 §2.3.2.1), a new one by broadcast. */
    arp_send(s, 1, e->state == TS_ARP_STALE ? e->mac : NULL, e->ip, NULL);
    e->tries++;
    e->next_request = now + TS_ARP_RETRY_TIME;
}

int ts_arp_output(struct ts_stack *s, ts_time_t now, struct ts_frame *f, uint32_t nh)
{
    struct ts_arp *a = s->arp;
    struct arp_entry *e = arp_find(a, nh);
    if (e && e->state != TS_ARP_INCOMPLETE) {
        if (e->state == TS_ARP_REACHABLE && now - e->updated >= TS_ARP_REACHABLE_TIME)
            e->state = TS_ARP_STALE;
        if (e->state == TS_ARP_STALE && now >= e->next_request) {
            if (now - e->updated >= TS_ARP_STALE_TIME) {
                /* too old to trust: forget it and resolve afresh below */
                entry_clear(s, now, e);
                e = NULL;
            } else {
                send_request(s, now, e);
            }
        }
        if (e) {
            memcpy(f->data, e->mac, 6);
            ts_txq_push(s, f);
            return 0;
        }
    }
    if (!e) {
        e = arp_slot(s, now);
        if (!e) { TS_DROP(s, now, arp, drop_pending_full, f->data, f->len); ts_frame_free(s, f); return -TS_ENOMEM; }
        e->ip = nh;
        e->state = TS_ARP_INCOMPLETE;
        e->updated = now;
        a->incomplete++;
        send_request(s, now, e);
    }
    if (e->pend_len >= TS_ARP_PENDING_PER_NEIGH || a->pending_total >= TS_ARP_PENDING_TOTAL) {
        TS_DROP(s, now, arp, drop_pending_full, f->data, f->len);
        ts_frame_free(s, f);
        return -TS_ENOMEM;
    }
    f->nexthop = nh;
    f->parked_at = now;
    f->next = NULL;
    if (e->pend_tail) e->pend_tail->next = f;
    else e->pend_head = f;
    e->pend_tail = f;
    e->pend_len++;
    a->pending_total++;
    TS_COUNT(s, arp, pending_queued);
    return 0;
}

ts_time_t ts_arp_poll_at(const struct ts_stack *s)
{
    const struct ts_arp *a = s->arp;
    ts_time_t t = TS_TIME_NEVER;
    if (!a->incomplete) return t;
    for (unsigned i = 0; i < a->size; i++)
        if (a->e[i].state == TS_ARP_INCOMPLETE && a->e[i].next_request < t) t = a->e[i].next_request;
    return t;
}

void ts_arp_poll(struct ts_stack *s, ts_time_t now)
{
    struct ts_arp *a = s->arp;
    if (!a->incomplete) return;
    for (unsigned i = 0; i < a->size; i++) {
        struct arp_entry *e = &a->e[i];
        if (e->state != TS_ARP_INCOMPLETE || now < e->next_request) continue;
        if (e->tries >= TS_ARP_MAX_TRIES) entry_clear(s, now, e);
        else send_request(s, now, e);
    }
}

int ts_stack_arp_add(struct ts_stack *s, ts_time_t now, uint32_t ip, const uint8_t mac[6], bool is_static)
{
    if ((ip & s->netmask) != (s->cfg.ip & s->netmask) || ip == s->cfg.ip) return -1;
    if (bad_neighbour_mac(s, mac) >= 0) return -1;
    struct arp_entry *e = arp_find(s->arp, ip);
    if (!e) e = arp_slot(s, now);
    if (!e) return -1;
    if (e->state == TS_ARP_STATIC) e->state = TS_ARP_REACHABLE;   /* allow replacing a static entry */
    arp_learn(s, now, e, ip, mac);
    if (is_static) e->state = TS_ARP_STATIC;
    return 0;
}

void ts_arp_foreach(const struct ts_stack *s, bool (*fn)(void *arg, const struct ts_arp_view *e), void *arg)
{
    const struct ts_arp *a = s->arp;
    for (unsigned i = 0; i < a->size; i++) {
        const struct arp_entry *e = &a->e[i];
        if (e->state == TS_ARP_FREE) continue;
        struct ts_arp_view v = { .ip = e->ip, .state = (enum ts_arp_state)e->state, .updated = e->updated,
                                 .pending = e->pend_len, .tries = e->tries };
        memcpy(v.mac, e->mac, 6);
        if (!fn(arg, &v)) return;
    }
}
