/*
 * The live per-conversation record (contract in plot_rec.h). A fixed table of slots, each with
 * the opening segments in a small array and the latest ones in a ring that grows by doubling up
 * to its bound, so a short conversation costs little.
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
    ts_time_t last;
};

struct ts_plot_rec {
    unsigned max_convs, tail;
    struct rec_conv *convs;
    unsigned hint;                 /* the slot the last frame went to */
    struct ts_plot_rec_stats st;
};

struct ts_plot_rec *ts_plot_rec_new(unsigned max_convs, unsigned tail)
{
    struct ts_plot_rec *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->max_convs = max_convs ? max_convs : TS_PLOT_REC_CONVS_DEFAULT;
    r->tail = tail ? tail : TS_PLOT_REC_TAIL_DEFAULT;
    r->convs = calloc(r->max_convs, sizeof *r->convs);
    if (!r->convs) {
        free(r);
        return NULL;
    }
    r->st.bytes = sizeof *r + r->max_convs * sizeof *r->convs;
    r->st.bytes_bound = r->st.bytes + (size_t)r->max_convs * r->tail * sizeof(struct ts_plot_seg);
    return r;
}

void ts_plot_rec_free(struct ts_plot_rec *r)
{
    if (!r) return;
    for (unsigned i = 0; i < r->max_convs; i++) free(r->convs[i].ring);
    free(r->convs);
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

/* The slot of the conversation of p, made (evicting the least recently seen) when new. */
static struct rec_conv *slot_of(struct ts_plot_rec *r, const struct ts_plot_pair *p, uint8_t flags, uint8_t *dir)
{
    if (is_pair(&r->convs[r->hint], p->sip, p->sport, p->dip, p->dport, dir)) return &r->convs[r->hint];
    unsigned victim = 0;
    for (unsigned i = 0; i < r->max_convs; i++) {
        struct rec_conv *c = &r->convs[i];
        if (is_pair(c, p->sip, p->sport, p->dip, p->dport, dir)) {
            r->hint = i;
            return c;
        }
        if (!c->used) victim = i;
        else if (r->convs[victim].used && c->last < r->convs[victim].last) victim = i;
    }
    struct rec_conv *c = &r->convs[victim];
    if (c->used) {
        r->st.evicted++;
        r->st.convs--;
    }
    free(c->ring);
    r->st.bytes -= (size_t)c->cap * sizeof *c->ring;
    memset(c, 0, sizeof *c);
    c->used = true;
    bool src0 = ts_plot_side0_is_src(p, flags);
    c->ip[0] = src0 ? p->sip : p->dip;
    c->ip[1] = src0 ? p->dip : p->sip;
    c->port[0] = src0 ? p->sport : p->dport;
    c->port[1] = src0 ? p->dport : p->sport;
    *dir = src0 ? 0 : 1;
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

void ts_plot_rec_frame(struct ts_plot_rec *r, ts_time_t t, const uint8_t *frame, size_t len)
{
    struct ts_plot_seg s;
    struct ts_plot_pair p;
    if (!r || ts_plot_frame_seg(TS_PLOT_LINK_ETHERNET, frame, len, &s, &p) != TS_PLOT_TCP) return;
    s.t = t;
    struct rec_conv *c = slot_of(r, &p, s.flags, &s.dir);
    c->last = t;
    r->st.segments++;
    if (c->nhead < TS_PLOT_REC_HEAD) c->head[c->nhead++] = s;
    else ring_push(r, c, &s);
}

static const struct rec_conv *find(const struct ts_plot_rec *r, const uint32_t ip[2], const uint16_t port[2])
{
    uint8_t dir;
    for (unsigned i = 0; i < r->max_convs; i++)
        if (is_pair(&r->convs[i], ip[0], port[0], ip[1], port[1], &dir)) return &r->convs[i];
    return NULL;
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
    /* the i-th most recent: count the slots seen later than each candidate (the table is small) */
    for (unsigned k = 0; r && k < r->max_convs; k++) {
        const struct rec_conv *c = &r->convs[k];
        if (!c->used) continue;
        unsigned newer = 0;
        for (unsigned j = 0; j < r->max_convs; j++) {
            const struct rec_conv *o = &r->convs[j];
            if (o->used && (o->last > c->last || (o->last == c->last && j < k))) newer++;
        }
        if (newer != i) continue;
        stem_of(c, stem, cap);
        *segs = c->nhead + c->n;
        *last = c->last;
        return true;
    }
    return false;
}

void ts_plot_rec_stats(const struct ts_plot_rec *r, struct ts_plot_rec_stats *st)
{
    if (r) *st = r->st;
    else memset(st, 0, sizeof *st);
}
