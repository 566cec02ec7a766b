/*
 * The live per-conversation record (contract in plot_rec.h). A fixed table of slots, each with
 * the opening segments in a small array and the latest ones in a ring that grows by doubling up
 * to its bound, so a short conversation costs little. The slots are found through a small
 * open-addressing index keyed by the unordered socket pair (linear probing, deletion by backward
 * shift), so a frame costs the same with one conversation or a hundred.
 */
#include "plot/plot_rec.h"

#include <stdlib.h>
#include <string.h>

struct rec_conv {
    bool used;
    uint32_t ip[2];
    uint16_t port[2];
    struct ts_plot_seg head[TS_PLOT_REC_HEAD];
    unsigned nhead;
    struct ts_plot_seg *ring;      /* cap entries, the oldest at start */
    unsigned cap, start, n;
    uint64_t overwritten;
};

struct ts_plot_rec {
    unsigned max_convs, tail;
    struct rec_conv *convs;
    uint32_t *index;               /* slot + 1, 0 empty; nindex a power of two >= 2 * max_convs */
    unsigned nindex;
    unsigned hint;                 /* the slot the last frame went to */
    ts_time_t *last;               /* when each slot was last seen */
    uint32_t *prev, *next;         /* the used slots, most recently seen first (max_convs: none) */
    uint32_t mru, lru;
    struct ts_plot_rec_stats st;
};

struct ts_plot_rec *ts_plot_rec_new(unsigned max_convs, unsigned tail)
{
    struct ts_plot_rec *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->max_convs = max_convs ? max_convs : TS_PLOT_REC_CONVS_DEFAULT;
    r->tail = tail ? tail : TS_PLOT_REC_TAIL_DEFAULT;
    for (r->nindex = 16; r->nindex < 2 * r->max_convs; r->nindex *= 2) {}
    r->convs = calloc(r->max_convs, sizeof *r->convs);
    r->index = calloc(r->nindex, sizeof *r->index);
    r->last = calloc(r->max_convs, sizeof *r->last);
    r->prev = calloc(r->max_convs, sizeof *r->prev);
    r->next = calloc(r->max_convs, sizeof *r->next);
    r->mru = r->lru = r->max_convs;
    if (!r->convs || !r->index || !r->last || !r->prev || !r->next) {
        ts_plot_rec_free(r);
        return NULL;
    }
    for (unsigned i = 0; i < r->max_convs; i++) r->prev[i] = r->next[i] = r->max_convs;
    r->st.bytes = sizeof *r + r->max_convs * (sizeof *r->convs + sizeof *r->last + 2 * sizeof *r->prev) +
                  r->nindex * sizeof *r->index;
    r->st.bytes_bound = r->st.bytes + (size_t)r->max_convs * r->tail * sizeof(struct ts_plot_seg);
    return r;
}

void ts_plot_rec_free(struct ts_plot_rec *r)
{
    if (!r) return;
    for (unsigned i = 0; r->convs && i < r->max_convs; i++) free(r->convs[i].ring);
    free(r->convs);
    free(r->index);
    free(r->last);
    free(r->prev);
    free(r->next);
    free(r);
}

static bool is_pair(const struct rec_conv *c, uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp, uint8_t *dir)
{
    if (!c->used) return false;
    if (c->ip[0] == sip && c->port[0] == sp && c->ip[1] == dip && c->port[1] == dp) {
        *dir = 0;
        return true;
    }
    if (c->ip[1] == sip && c->port[1] == sp && c->ip[0] == dip && c->port[0] == dp) {
        *dir = 1;
        return true;
    }
    return false;
}

/* Where a pair's probe starts: symmetric in the two ends, so either direction finds it. */
static unsigned home(const struct ts_plot_rec *r, uint32_t ip_a, uint16_t port_a, uint32_t ip_b, uint16_t port_b)
{
    uint32_t h = (ip_a * 2654435761u ^ port_a * 40503u) + (ip_b * 2654435761u ^ port_b * 40503u);
    return (h ^ (h >> 15)) & (r->nindex - 1);
}

/* The slot holding (sip, sp) <-> (dip, dp), or max_convs; *at gets its index position. */
static unsigned lookup(const struct ts_plot_rec *r, uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp,
                       uint8_t *dir, unsigned *at)
{
    for (unsigned i = home(r, sip, sp, dip, dp); r->index[i]; i = (i + 1) & (r->nindex - 1)) {
        if (is_pair(&r->convs[r->index[i] - 1], sip, sp, dip, dp, dir)) {
            *at = i;
            return r->index[i] - 1;
        }
    }
    return r->max_convs;
}

/* Take slot's entry out of the index, shifting back the entries probed past it. */
static void unindex(struct ts_plot_rec *r, unsigned slot)
{
    const struct rec_conv *c = &r->convs[slot];
    uint8_t dir;
    unsigned i, mask = r->nindex - 1;
    if (lookup(r, c->ip[0], c->port[0], c->ip[1], c->port[1], &dir, &i) != slot) return;
    r->index[i] = 0;
    for (unsigned j = (i + 1) & mask; r->index[j]; j = (j + 1) & mask) {
        const struct rec_conv *o = &r->convs[r->index[j] - 1];
        unsigned k = home(r, o->ip[0], o->port[0], o->ip[1], o->port[1]);
        /* the entry at j may move to the hole at i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
        if (stays) continue;
        r->index[i] = r->index[j];
        r->index[j] = 0;
        i = j;
    }
}

/* The slot of the conversation of p, made (evicting the least recently seen) when new. */
static struct rec_conv *slot_of(struct ts_plot_rec *r, const struct ts_plot_pair *p, uint8_t flags, uint8_t *dir)
{
    if (is_pair(&r->convs[r->hint], p->sip, p->sport, p->dip, p->dport, dir)) return &r->convs[r->hint];
    unsigned at, found = lookup(r, p->sip, p->sport, p->dip, p->dport, dir, &at);
    if (found < r->max_convs) {
        r->hint = found;
        return &r->convs[found];
    }
    /* slots are used in order and never freed: a free one is the next, else the least recently seen */
    unsigned victim = r->st.convs < r->max_convs ? r->st.convs : r->lru;
    struct rec_conv *c = &r->convs[victim];
    if (c->used) {
        r->st.evicted++;
        r->st.convs--;
        unindex(r, victim);
    }
    free(c->ring);
    r->st.bytes -= (size_t)c->cap * sizeof *c->ring;
    c->ring = NULL;                          /* the head array is overwritten as segments come */
    c->nhead = c->cap = c->start = c->n = 0;
    c->overwritten = 0;
    c->used = true;
    bool src0 = ts_plot_side0_is_src(p, flags);
    c->ip[0] = src0 ? p->sip : p->dip;
    c->ip[1] = src0 ? p->dip : p->sip;
    c->port[0] = src0 ? p->sport : p->dport;
    c->port[1] = src0 ? p->dport : p->sport;
    *dir = src0 ? 0 : 1;
    unsigned i = home(r, c->ip[0], c->port[0], c->ip[1], c->port[1]);
    while (r->index[i]) i = (i + 1) & (r->nindex - 1);
    r->index[i] = victim + 1;
    r->st.convs++;
    r->hint = victim;
    return c;
}

static void ring_push(struct ts_plot_rec *r, struct rec_conv *c, const struct ts_plot_seg *s)
{
    if (c->n == c->cap && c->cap < r->tail) {
        unsigned ncap = c->cap ? c->cap * 2 : 64;
        if (ncap > r->tail) ncap = r->tail;
        struct ts_plot_seg *v = malloc((size_t)ncap * sizeof *v);
        if (!v) {
            r->st.no_memory++;
            return;
        }
        for (unsigned i = 0; i < c->n; i++) v[i] = c->ring[(c->start + i) % c->cap];
        free(c->ring);
        r->st.bytes += (size_t)(ncap - c->cap) * sizeof *v;
        c->ring = v;
        c->cap = ncap;
        c->start = 0;
    }
    if (c->n < c->cap) {
        c->ring[(c->start + c->n++) % c->cap] = *s;
        return;
    }
    c->ring[c->start] = *s;                  /* full: the oldest makes room */
    c->start = (c->start + 1) % c->cap;
    c->overwritten++;
    r->st.overwritten++;
}

/* Slot k was seen at t: to the front of the recency list. */
static void touch(struct ts_plot_rec *r, uint32_t k, ts_time_t t)
{
    r->last[k] = t;
    if (r->mru == k) return;
    uint32_t none = r->max_convs;
    if (r->prev[k] != none) {               /* listed, not first: unlink (a new slot is not listed) */
        r->next[r->prev[k]] = r->next[k];
        if (r->next[k] != none) r->prev[r->next[k]] = r->prev[k];
        if (r->lru == k) r->lru = r->prev[k];
    }
    r->prev[k] = none;
    r->next[k] = r->mru;
    if (r->mru != none) r->prev[r->mru] = k;
    r->mru = k;
    if (r->lru == none) r->lru = k;
}

void ts_plot_rec_frame(struct ts_plot_rec *r, ts_time_t t, const uint8_t *frame, size_t len)
{
    struct ts_plot_seg s;
    struct ts_plot_pair p;
    if (!r || ts_plot_frame_seg(TS_PLOT_LINK_ETHERNET, frame, len, &s, &p) != TS_PLOT_TCP) return;
    s.t = t;
    struct rec_conv *c = slot_of(r, &p, s.flags, &s.dir);
    touch(r, (uint32_t)(c - r->convs), t);
    r->st.segments++;
    if (c->nhead < TS_PLOT_REC_HEAD) c->head[c->nhead++] = s;
    else ring_push(r, c, &s);
}

static const struct rec_conv *find(const struct ts_plot_rec *r, const uint32_t ip[2], const uint16_t port[2])
{
    uint8_t dir;
    unsigned at, slot = lookup(r, ip[0], port[0], ip[1], port[1], &dir, &at);
    return slot < r->max_convs ? &r->convs[slot] : NULL;
}

int ts_plot_rec_get(const struct ts_plot_rec *r, const char *pair, struct ts_plot_conv *out)
{
    uint32_t ip[2];
    uint16_t port[2];
    memset(out, 0, sizeof *out);
    if (!r || !ts_plot_parse_pair(pair, ip, port)) return -1;
    const struct rec_conv *c = find(r, ip, port);
    if (!c) return -1;
    size_t n = c->nhead + c->n;
    out->segs = malloc((n ? n : 1) * sizeof *out->segs);
    if (!out->segs) return -2;
    memcpy(out->segs, c->head, c->nhead * sizeof *out->segs);
    for (unsigned i = 0; i < c->n; i++) out->segs[c->nhead + i] = c->ring[(c->start + i) % c->cap];
    out->nsegs = out->cap = n;
    out->dropped = c->overwritten;
    memcpy(out->ip, c->ip, sizeof out->ip);
    memcpy(out->port, c->port, sizeof out->port);
    return 0;
}

static void stem_of(const struct rec_conv *c, char *buf, size_t cap)
{
    struct ts_plot_conv cv = { .ip = { c->ip[0], c->ip[1] }, .port = { c->port[0], c->port[1] } };
    ts_plot_conv_stem(&cv, buf, cap);
}

bool ts_plot_rec_stem(const struct ts_plot_rec *r, uint32_t a_ip, uint16_t a_port, uint32_t b_ip, uint16_t b_port,
                      char *buf, size_t cap)
{
    const uint32_t ip[2] = { a_ip, b_ip };
    const uint16_t port[2] = { a_port, b_port };
    const struct rec_conv *c = r ? find(r, ip, port) : NULL;
    if (c) stem_of(c, buf, cap);
    return c != NULL;
}

bool ts_plot_rec_at(const struct ts_plot_rec *r, unsigned i, char *stem, size_t cap, size_t *segs, ts_time_t *last)
{
    uint32_t k = r ? r->mru : 0;
    for (; r && k != r->max_convs && i > 0; i--) k = r->next[k];
    if (!r || k == r->max_convs) return false;
    stem_of(&r->convs[k], stem, cap);
    *segs = r->convs[k].nhead + r->convs[k].n;
    *last = r->last[k];
    return true;
}

void ts_plot_rec_stats(const struct ts_plot_rec *r, struct ts_plot_rec_stats *st)
{
    if (r) *st = r->st;
    else memset(st, 0, sizeof *st);
}
