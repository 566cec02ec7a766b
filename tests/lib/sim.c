/*
 * sim: two stacks, one imperfect link, a virtual clock (see sim.h).
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_APPS 8
#define SIM_FRAME_CAP 9216

/* A frame on the wire, due at `at`; `order` keeps FIFO among equal times. */
struct flight {
    ts_time_t at;
    uint64_t order;
    int to;
    size_t len;
    uint8_t *buf;
};

struct sim {
    struct ts_stack *st[2];
    ts_time_t now;
    struct sim_link link;
    struct sim_stats stats;
    uint64_t rng;
    struct flight *heap;
    size_t n, cap;
    uint64_t order;
    ts_time_t busy_until[2];       /* per direction: when the transmitter is free again */
    unsigned queued[2];            /* per direction: frames on the wire */
    struct sim_endpoint ep;        /* in place of stack B when ep.receive is set */
    const struct ts_app *apps[SIM_MAX_APPS];
    unsigned napps;
    uint64_t max_steps;
    uint8_t txbuf[SIM_FRAME_CAP];
};

static const uint8_t mac_of[2][6] = {{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}};
static const uint32_t ip_of[2] = {SIM_IP_A, SIM_IP_B};

/* splitmix64: small, good enough, reproducible. */
static uint64_t rnd(struct sim *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool chance(struct sim *s, double p)
{
    if (p <= 0) return false;
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* ---- the in-flight heap (min on at, then order) ---- */

static bool before(const struct flight *a, const struct flight *b)
{
    return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static bool heap_push(struct sim *s, struct flight f)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        struct flight *nh = realloc(s->heap, ncap * sizeof *nh);
        if (!nh) return false;
        s->heap = nh;
        s->cap = ncap;
    }
    size_t i = s->n++;
    while (i > 0 && before(&f, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = f;
    return true;
}

static struct flight heap_pop(struct sim *s)
{
    struct flight top = s->heap[0], last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n) break;
        if (c + 1 < s->n && before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n) s->heap[i] = last;
    return top;
}

/* ---- the link ---- */

static void link_put(struct sim *s, int from, const uint8_t *frame, size_t len, bool dup)
{
    if (s->queued[from] >= s->link.queue_frames) { s->stats.overflowed++; return; }
    ts_time_t start = s->now > s->busy_until[from] ? s->now : s->busy_until[from];
    ts_time_t ser = s->link.rate_bps ? (ts_time_t)((len + 24) * 8ull * 1000000ull / s->link.rate_bps) : 0;
    s->busy_until[from] = start + ser;
    struct flight f = {.at = start + ser + s->link.delay, .order = s->order++, .to = 1 - from,
                       .len = len, .buf = malloc(len)};
    if (!f.buf) { s->stats.overflowed++; return; }
    memcpy(f.buf, frame, len);
    if (chance(s, s->link.reorder)) { f.at += s->link.reorder_delay; s->stats.reordered++; }
    if (dup) s->stats.duplicated++;
    if (!heap_push(s, f)) { free(f.buf); s->stats.overflowed++; return; }
    s->queued[from]++;
}

static void link_send(struct sim *s, int from, const uint8_t *frame, size_t len)
{
    s->stats.sent[from]++;
    if (chance(s, s->link.loss)) { s->stats.dropped++; return; }
    link_put(s, from, frame, len, false);
    if (chance(s, s->link.dup)) link_put(s, from, frame, len, true);
}

/* The next frame side i (0 = A, 1 = B or the endpoint in its place) sends now, into txbuf. */
static size_t side_transmit(struct sim *s, int i)
{
    if (i == 1 && s->ep.transmit) return s->ep.transmit(s->ep.ctx, s->now, s->txbuf, sizeof s->txbuf);
    return ts_stack_transmit(s->st[i], s->now, s->txbuf, sizeof s->txbuf);
}

/* Everything that can happen at the current time, until nothing more does. */
static void settle(struct sim *s)
{
    for (unsigned round = 0; round < 100000; round++) {
        bool did = false;
        for (int i = 0; i < 2; i++) did |= ts_stack_dispatch(s->st[i], s->now) > 0;
        for (int i = 0; i < 2; i++) {
            size_t len;
            while ((len = side_transmit(s, i)) > 0) {
                link_send(s, i, s->txbuf, len);
                did = true;
            }
        }
        while (s->n && s->heap[0].at <= s->now) {
            struct flight f = heap_pop(s);
            s->queued[1 - f.to]--;
            s->stats.delivered++;
            if (f.to == 1 && s->ep.receive)
                s->ep.receive(s->ep.ctx, s->now, f.buf, f.len);
            else
                ts_stack_receive(s->st[f.to], s->now, f.buf, f.len);
            free(f.buf);
            did = true;
        }
        if (!did) return;
    }
    fprintf(stderr, "sim: no quiescence at t=%llu us\n", (unsigned long long)s->now);
}

static ts_time_t next_deadline(const struct sim *s)
{
    ts_time_t next = TS_TIME_NEVER;
    for (int i = 0; i < 2; i++) {
        ts_time_t d = ts_stack_poll_at(s->st[i]);
        if (d < next) next = d;
    }
    if (s->n && s->heap[0].at < next) next = s->heap[0].at;
    if (s->ep.poll_at) {
        ts_time_t d = s->ep.poll_at(s->ep.ctx);
        if (d < next) next = d;
    }
    for (unsigned i = 0; i < s->napps; i++) {
        ts_time_t d = s->apps[i]->poll_at ? s->apps[i]->poll_at(s->apps[i]->ctx) : TS_TIME_NEVER;
        if (d < next) next = d;
    }
    return next;
}

static void fire_timers(struct sim *s)
{
    for (int i = 0; i < 2; i++)
        if (ts_stack_poll_at(s->st[i]) <= s->now) ts_stack_poll(s->st[i], s->now);
    if (s->ep.poll && s->ep.poll_at && s->ep.poll_at(s->ep.ctx) <= s->now) s->ep.poll(s->ep.ctx, s->now);
    for (unsigned i = 0; i < s->napps; i++) {
        const struct ts_app *a = s->apps[i];
        if (a->poll && a->poll_at && a->poll_at(a->ctx) <= s->now) a->poll(a->ctx, s->now);
    }
}

/* The loop: stop when pred holds, at end, or (if stop_idle) when nothing is scheduled. */
static bool run(struct sim *s, bool (*pred)(void *), void *arg, ts_time_t end, bool stop_idle)
{
    unsigned stuck = 0;
    for (uint64_t step = 0; step < s->max_steps; step++) {
        settle(s);
        if (pred && pred(arg)) return true;
        ts_time_t next = next_deadline(s);
        if (next == TS_TIME_NEVER && stop_idle) {
            if (pred)
                fprintf(stderr, "sim: stalled at t=%llu us: no timer pending, nothing in flight, "
                                "predicate still false\n", (unsigned long long)s->now);
            return pred == NULL;
        }
        if (next == TS_TIME_NEVER || next > end) {
            if (end != TS_TIME_NEVER && end > s->now) s->now = end;
            settle(s);
            return pred ? pred(arg) : false;
        }
        if (next > s->now) {
            s->now = next;
            s->stats.steps++;
            stuck = 0;
        } else if (++stuck > 100000) {
            fprintf(stderr, "sim: a deadline stays at %llu us <= now\n", (unsigned long long)next);
            return false;
        }
        fire_timers(s);
    }
    fprintf(stderr, "sim: step bound reached\n");
    return false;
}

bool sim_run_until(struct sim *s, bool (*pred)(void *arg), void *arg, ts_time_t max_virtual)
{
    ts_time_t end = max_virtual >= TS_TIME_NEVER - s->now ? TS_TIME_NEVER : s->now + max_virtual;
    return run(s, pred, arg, end, true);
}

void sim_run_for(struct sim *s, ts_time_t dt)
{
    run(s, NULL, NULL, s->now + dt, false);
}

/* ---- setup ---- */

struct sim *sim_new_ex(uint64_t seed, const struct sim_link *link,
                       void (*cfg_hook)(void *arg, int side, struct ts_config *cfg), void *arg)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->link = *link;
    s->rng = seed ^ 0x5851f42d4c957f2dull;
    s->now = TS_SEC(1);
    s->max_steps = 200000000ull;
    for (int i = 0; i < 2; i++) {
        struct ts_config cfg;
        ts_config_default(&cfg);
        memcpy(cfg.mac, mac_of[i], 6);
        cfg.ip = ip_of[i];
        cfg.prefix_len = 24;
        cfg.seed = seed * 2 + (uint64_t)i + 1;
        if (cfg_hook) cfg_hook(arg, i, &cfg);
        s->st[i] = ts_stack_new(&cfg, NULL);
        if (!s->st[i]) { sim_free(s); return NULL; }
    }
    for (int i = 0; i < 2; i++) ts_stack_arp_add(s->st[i], s->now, ip_of[1 - i], mac_of[1 - i], true);
    return s;
}

struct sim *sim_new(uint64_t seed, double loss, double dup, double reorder)
{
    struct sim_link l = {.loss = loss, .dup = dup, .reorder = reorder, .delay = TS_MS(1),
                         .reorder_delay = TS_MS(3), .rate_bps = 100000000ull,
                         .queue_frames = 1000};
    return sim_new_ex(seed, &l, NULL, NULL);
}

void sim_free(struct sim *s)
{
    if (!s) return;
    for (unsigned i = 0; i < s->napps; i++)
        if (s->apps[i]->stop) s->apps[i]->stop(s->apps[i]->ctx, s->now);
    for (size_t i = 0; i < s->n; i++) free(s->heap[i].buf);
    free(s->heap);
    for (int i = 0; i < 2; i++) ts_stack_free(s->st[i]);
    free(s);
}

int sim_add_app(struct sim *s, const struct ts_app *app)
{
    if (s->napps == SIM_MAX_APPS) return -1;
    s->apps[s->napps++] = app;
    return 0;
}

void sim_set_endpoint_b(struct sim *s, const struct sim_endpoint *ep)
{
    s->ep = *ep;
}

struct ts_stack *sim_a(struct sim *s) { return s->st[0]; }
struct ts_stack *sim_b(struct sim *s) { return s->st[1]; }
ts_time_t sim_now(const struct sim *s) { return s->now; }
const struct sim_stats *sim_stats(const struct sim *s) { return &s->stats; }
struct sim_link *sim_link(struct sim *s) { return &s->link; }
