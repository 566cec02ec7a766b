/*
 * tapstack apps: admission, per-class timeouts and eviction of a server's connections (see
 * conn_guard.h for the rules). Everything is O(1) per event except the eviction choice and the
 * next deadline, which look at the head of each of the (at most 6) classes.
 */
#include "apps/conn_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapstack/socket.h"

#define GUARD_TCP_CONN_BYTES (2u * 64 * 1024 + 2048)   /* both rings full, and the TCB */
#define GUARD_LOG_EVERY TS_SEC(1)
#define GUARD_PEER_SCAN 256
#define GUARD_VICTIM_SCAN 32

unsigned ts_guard_default_max(const struct ts_config *stack_cfg, size_t conn_bytes)
{
    unsigned tcp_max = stack_cfg && stack_cfg->tcp_max_conns ? stack_cfg->tcp_max_conns : 65536;
    uint64_t max = tcp_max / 8;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psize > 0) {
        uint64_t budget = (uint64_t)pages * (uint64_t)psize / 8;
        uint64_t by_mem = budget / (conn_bytes + GUARD_TCP_CONN_BYTES);
        if (by_mem < max) max = by_mem;
    }
    return max < 16 ? 16 : (unsigned)max;
}

/* ---- peers: address -> connections held ---- */

static uint32_t peer_hash(uint32_t a)
{
    a ^= a >> 16;
    a *= 0x7feb352dU;
    a ^= a >> 15;
    a *= 0x846ca68bU;
    return a ^ (a >> 16);
}

static struct ts_guard_peer *peer_find(const struct ts_guard *g, uint32_t addr)
{
    if (!g->peer_cap) return NULL;
    unsigned mask = g->peer_cap - 1;
    for (unsigned i = peer_hash(addr) & mask;; i = (i + 1) & mask) {
        struct ts_guard_peer *p = &g->peers[i];
        if (p->n == 0) return NULL;
        if (p->addr == addr) return p;
    }
}

static void peer_put(struct ts_guard_peer *tab, unsigned cap, struct ts_guard_peer p)
{
    unsigned mask = cap - 1, i = peer_hash(p.addr) & mask;
    while (tab[i].n) i = (i + 1) & mask;
    tab[i] = p;
}

/* Room for one more peer: the table stays at most half full. */
static int peer_reserve(struct ts_guard *g)
{
    if ((g->npeers + 1) * 2 <= g->peer_cap) return 0;
    unsigned cap = g->peer_cap ? g->peer_cap * 2 : 64;
    struct ts_guard_peer *tab = calloc(cap, sizeof *tab);
    if (!tab) return -1;
    for (unsigned i = 0; i < g->peer_cap; i++)
        if (g->peers[i].n) peer_put(tab, cap, g->peers[i]);
    free(g->peers);
    g->peers = tab;
    g->peer_cap = cap;
    return 0;
}

/* One connection fewer for p: at 0 its slot is freed by shifting later entries back (linear
 * probing without tombstones). */
static void peer_release(struct ts_guard *g, struct ts_guard_peer *p)
{
    if (--p->n) return;
    g->npeers--;
    unsigned mask = g->peer_cap - 1, i = (unsigned)(p - g->peers);
    for (unsigned j = (i + 1) & mask; g->peers[j].n; j = (j + 1) & mask) {
        unsigned home = peer_hash(g->peers[j].addr) & mask;
        /* j may move to i if its home is not in the cyclic range (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        g->peers[i] = g->peers[j];
        g->peers[j].n = 0;
        i = j;
    }
}

unsigned ts_guard_peer_count(const struct ts_guard *g, uint32_t raddr)
{
    const struct ts_guard_peer *p = peer_find(g, raddr);
    return p ? p->n : 0;
}

/* ---- classes ---- */

static bool log_pending(const struct ts_guard *g);

/* Find the earliest deadline again (g->next): after anything that may move it (a class head, the
 * connection count that tightens timeouts, a pending log line). */
static void renew(struct ts_guard *g)
{
    ts_time_t t = TS_TIME_NEVER;
    for (int c = 0; c < TS_GUARD_CLASSES; c++) {
        const struct ts_guard_node *h = g->list[c].head;
        ts_time_t to = h ? ts_guard_timeout(g, c) : TS_TIME_NEVER;
        if (to != TS_TIME_NEVER && h->since + to < t) t = h->since + to;
    }
    if (log_pending(g) && g->last_log + GUARD_LOG_EVERY < t) t = g->last_log + GUARD_LOG_EVERY;
    g->next = t;
}

static void unlink_node(struct ts_guard *g, struct ts_guard_node *n)
{
    if (n->cls == TS_GUARD_NONE) return;
    if (n->prev) n->prev->next = n->next;
    else g->list[n->cls].head = n->next;
    if (n->next) n->next->prev = n->prev;
    else g->list[n->cls].tail = n->prev;
    n->prev = n->next = NULL;
    n->cls = TS_GUARD_NONE;
}

static void append(struct ts_guard *g, struct ts_guard_node *n, int cls, ts_time_t now)
{
    n->cls = cls;
    n->since = now;
    n->next = NULL;
    n->prev = g->list[cls].tail;
    if (n->prev) n->prev->next = n;
    else g->list[cls].head = n;
    g->list[cls].tail = n;
}

void ts_guard_move(struct ts_guard *g, struct ts_guard_node *n, int cls, ts_time_t now)
{
    unlink_node(g, n);
    append(g, n, cls, now);
    renew(g);
}

void ts_guard_touch(struct ts_guard *g, struct ts_guard_node *n, ts_time_t now)
{
    if (n->cls == TS_GUARD_NONE) return;
    if (g->list[n->cls].tail == n) {
        n->since = now;
        renew(g);
        return;
    }
    ts_guard_move(g, n, n->cls, now);
}

ts_time_t ts_guard_timeout(const struct ts_guard *g, int cls)
{
    ts_time_t t = g->cls[cls].timeout;
    if (t == TS_TIME_NEVER || !g->cls[cls].tighten) return t;
    if ((uint64_t)g->nconns * 4 < (uint64_t)g->max_conns * 3) return t;
    ts_time_t q = t / 4;
    ts_time_t floor = t < TS_SEC(1) ? t : TS_SEC(1);
    return q < floor ? floor : q;
}

/* ---- log ---- */

static void guard_log(struct ts_guard *g, ts_time_t now)
{
    g->last_log = now;
    g->logged = true;
    if (g->log) {
        char line[256], ip[16];
        snprintf(line, sizeof line,
                 "%s: at %u of %u connections: %llu idle evicted, %llu refused in the last second "
                 "(%llu evicted in all; the last from %s, idle %lld ms)",
                 g->name, g->nconns, g->max_conns, (unsigned long long)g->unlogged_evicted,
                 (unsigned long long)g->unlogged_refused, (unsigned long long)g->st.evicted,
                 ts_ip_str(g->last_evicted_addr, ip), (long long)(g->last_evicted_idle / TS_MS(1)));
        g->log(g->log_arg, line);
    }
    g->unlogged_evicted = g->unlogged_refused = 0;
}

static bool log_pending(const struct ts_guard *g)
{
    return g->unlogged_evicted || g->unlogged_refused;
}

static void note_event(struct ts_guard *g, ts_time_t now)
{
    if (!g->logged || now >= g->last_log + GUARD_LOG_EVERY) guard_log(g, now);
}

/* ---- admission ---- */

/* The node to evict: the oldest head among the non-empty classes of the lowest rank > 0. */
/* Within class c: among its GUARD_VICTIM_SCAN oldest that have no input waiting, the one whose
 * address holds the most connections, then whose address opened the most (the oldest of those):
 * an address that opened many goes before a client with one connection. Under an attack that
 * re-opens as fast as it is evicted, the whole class turns over in tens of milliseconds, so a
 * real client's connection reaches the head before its first byte arrives; ranking by age alone
 * would reset it. NULL if all of them have input. */
static struct ts_guard_node *victim_in(const struct ts_guard *g, int c)
{
    struct ts_guard_node *best = NULL;
    uint64_t best_score = 0;
    unsigned k = 0;
    for (struct ts_guard_node *n = g->list[c].head; n && k < GUARD_VICTIM_SCAN; n = n->next, k++) {
        if (g->has_input && g->has_input(g->arg, n)) continue;   /* a request is arriving */
        const struct ts_guard_peer *p = peer_find(g, n->raddr);
        uint64_t score = p ? (uint64_t)(p->n & 0x7fffffffu) << 32 | p->opened : 0;
        if (g->unanswered && g->unanswered(g->arg, n)) score |= 1ull << 63;   /* likely gone */
        if (!best || score > best_score) {
            best = n;
            best_score = score;
        }
    }
    return best;
}

/* The node to evict: from the evictable classes (rank > 0) in order of rank, and within a rank
 * of their oldest head, the first that victim_in finds. */
static struct ts_guard_node *victim(const struct ts_guard *g)
{
    bool tried[TS_GUARD_CLASSES] = { false };
    for (int round = 0; round < TS_GUARD_CLASSES; round++) {
        int pick = -1;
        for (int c = 0; c < TS_GUARD_CLASSES; c++) {
            const struct ts_guard_node *h = g->list[c].head;
            unsigned r = g->cls[c].evict_rank;
            if (tried[c] || !h || r == 0) continue;
            if (pick < 0 || r < g->cls[pick].evict_rank ||
                (r == g->cls[pick].evict_rank && h->since < g->list[pick].head->since))
                pick = c;
        }
        if (pick < 0) return NULL;
        tried[pick] = true;
        struct ts_guard_node *v = victim_in(g, pick);
        if (v) return v;
    }
    return NULL;
}

/* The peer's own connection to evict when it is at its limit: like victim(), among the first
 * GUARD_PEER_SCAN of each class (bounded work per newcomer; a peer at its limit with all its
 * idle connections deeper than that is refused). */
static struct ts_guard_node *peer_victim(const struct ts_guard *g, uint32_t raddr)
{
    struct ts_guard_node *best = NULL;
    unsigned best_rank = 0;
    for (int c = 0; c < TS_GUARD_CLASSES; c++) {
        unsigned r = g->cls[c].evict_rank;
        if (r == 0 || (best && r > best_rank)) continue;
        struct ts_guard_node *h = g->list[c].head;
        for (unsigned k = 0; h && k < GUARD_PEER_SCAN; k++, h = h->next)
            if (h->raddr == raddr && !(g->has_input && g->has_input(g->arg, h))) break;
        if (!h) continue;
        if (!best || r < best_rank || h->since < best->since) {
            best = h;
            best_rank = r;
        }
    }
    return best;
}

static void evict(struct ts_guard *g, struct ts_guard_node *v, ts_time_t now)
{
    unsigned before = g->nconns;
    g->st.evicted++;
    g->unlogged_evicted++;
    g->last_evicted_addr = v->raddr;
    g->last_evicted_idle = now - v->since;
    g->evict(g->arg, v, now);
    if (g->nconns >= before) unlink_node(g, v);   /* the app did not leave: never pick it again */
    note_event(g, now);
}

enum ts_guard_verdict ts_guard_admit(struct ts_guard *g, struct ts_guard_node *n, uint32_t raddr,
                                     int cls, ts_time_t now)
{
    struct ts_guard_peer *p = peer_find(g, raddr);
    if (p && p->n >= g->max_per_peer) {
        struct ts_guard_node *v = peer_victim(g, raddr);
        if (!v) {
            g->st.refused_peer++;
            g->unlogged_refused++;
            note_event(g, now);
            renew(g);
            return TS_GUARD_REFUSED_PEER;
        }
        evict(g, v, now);
    }
    /* Bounded: each round frees one connection (the app's evict calls ts_guard_leave). */
    for (unsigned guard = 0; g->nconns >= g->max_conns && guard < 64; guard++) {
        struct ts_guard_node *v = victim(g);
        if (!v) break;
        evict(g, v, now);
    }
    p = peer_find(g, raddr);   /* an eviction may have freed or moved its slot */
    if (g->nconns >= g->max_conns || (!p && peer_reserve(g) < 0)) {
        g->st.refused_full++;
        g->unlogged_refused++;
        note_event(g, now);
        renew(g);
        return TS_GUARD_REFUSED_FULL;
    }
    if (p) {
        p->n++;
        if (p->opened < UINT32_MAX) p->opened++;
    } else {
        peer_put(g->peers, g->peer_cap, (struct ts_guard_peer){ .addr = raddr, .n = 1, .opened = 1 });
        g->npeers++;
    }
    n->raddr = raddr;
    n->prev = n->next = NULL;
    append(g, n, cls, now);
    g->nconns++;
    g->st.admitted++;
    renew(g);
    return TS_GUARD_ADMITTED;
}

void ts_guard_leave(struct ts_guard *g, struct ts_guard_node *n)
{
    unlink_node(g, n);
    struct ts_guard_peer *p = peer_find(g, n->raddr);
    if (p) peer_release(g, p);
    g->nconns--;
    renew(g);
}

/* ---- timers ---- */

ts_time_t ts_guard_next(const struct ts_guard *g) { return g->next; }

void ts_guard_poll(struct ts_guard *g, ts_time_t now)
{
    for (int c = 0; c < TS_GUARD_CLASSES; c++) {
        /* Bounded by the connections there are: each round takes the head out of class c, and
         * one that goes back in does so with since = now, behind the due ones. */
        for (unsigned k = g->nconns + 1; k > 0; k--) {
            struct ts_guard_node *h = g->list[c].head;
            ts_time_t to = ts_guard_timeout(g, c);
            if (!h || to == TS_TIME_NEVER || h->since + to > now) break;
            unlink_node(g, h);
            unsigned before = g->nconns;
            g->expire(g->arg, h, c, now);
            /* put back in c: a periodic check (daytime's), not a timeout; h is alive unless it left */
            if (g->nconns < before || h->cls != c) g->st.expired++;
        }
    }
    if (log_pending(g) && now >= g->last_log + GUARD_LOG_EVERY) guard_log(g, now);
    renew(g);
}

/* ---- set-up ---- */

int ts_guard_init(struct ts_guard *g, const struct ts_config *stack_cfg, size_t conn_bytes,
                  const struct ts_guard_cfg *cfg)
{
    memset(g, 0, sizeof *g);
    g->next = TS_TIME_NEVER;
    if (cfg->nclasses < 1 || cfg->nclasses > TS_GUARD_CLASSES || !cfg->evict || !cfg->expire)
        return -TS_EINVAL;
    g->name = cfg->name ? cfg->name : "server";
    g->max_conns = cfg->max_conns ? cfg->max_conns : ts_guard_default_max(stack_cfg, conn_bytes);
    g->max_per_peer = cfg->max_per_peer ? cfg->max_per_peer
                      : g->max_conns >= 64 ? g->max_conns / 4 : g->max_conns;
    for (int c = 0; c < TS_GUARD_CLASSES; c++) {
        if (c < cfg->nclasses) g->cls[c] = cfg->classes[c];
        else g->cls[c] = (struct ts_guard_class){ "unused", TS_TIME_NEVER, 0, false };
        if (g->cls[c].timeout == 0) return -TS_EINVAL;
    }
    g->evict = cfg->evict;
    g->expire = cfg->expire;
    g->has_input = cfg->has_input;
    g->unanswered = cfg->unanswered;
    g->arg = cfg->arg;
    g->log = cfg->log;
    g->log_arg = cfg->log_arg;
    return peer_reserve(g) < 0 ? -TS_ENOMEM : 0;
}

void ts_guard_fini(struct ts_guard *g)
{
    free(g->peers);
    g->peers = NULL;
    g->peer_cap = g->npeers = 0;
}

void ts_guard_stats(const struct ts_guard *g, struct ts_guard_stats *out)
{
    *out = g->st;
    out->conns = g->nconns;
    out->peers = g->npeers;
    out->max_conns = g->max_conns;
    out->max_per_peer = g->max_per_peer;
}

void ts_guard_app_stats(const struct ts_guard *g, struct ts_app_conn_stats *out)
{
    *out = (struct ts_app_conn_stats){
        .name = g->name, .conns = g->nconns, .max_conns = g->max_conns, .max_per_peer = g->max_per_peer,
        .admitted = g->st.admitted, .evicted = g->st.evicted, .refused_full = g->st.refused_full,
        .refused_peer = g->st.refused_peer, .expired = g->st.expired,
    };
}
