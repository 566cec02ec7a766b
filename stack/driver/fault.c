/*
 * Fault injector (contract in fault.h).
 *
 * Held frames sit in a binary min-heap ordered by (release time, arrival number), so frames due
 * at the same moment leave in the order they came. One frame at most is set aside for
 * reordering; it re-enters the heap behind the next frame.
 */
#include "driver/fault.h"

#include <stdlib.h>
#include <string.h>

#include "core/rand.h"

#define NDRAWS 7                 /* random draws per frame, whatever is enabled */
#define MIN_BURST_BITS (1514u * 8u)

struct held {
    ts_time_t release;
    uint64_t seq;
    uint32_t len;
    uint8_t *data;
};

struct ts_fault {
    struct ts_fault_cfg cfg;
    enum ts_fault_dir dir;
    struct ts_rng rng;
    struct ts_stats *stats;
    struct ts_fault_counts counts;
    uint64_t seq;

    struct held *heap;
    unsigned n;

    bool aside_used;             /* the frame set aside for reordering */
    struct held aside;
    ts_time_t aside_deadline;

    double tokens;               /* token bucket, in bits; negative = debt */
    ts_time_t tokens_at;
    double burst;
};

/* Counter ids per direction. */
static const enum ts_counter_id ctr_loss[2] = { TS_CTR_fault_loss_in, TS_CTR_fault_loss_out };
static const enum ts_counter_id ctr_dup[2] = { TS_CTR_fault_dup_in, TS_CTR_fault_dup_out };
static const enum ts_counter_id ctr_reorder[2] = { TS_CTR_fault_reorder_in, TS_CTR_fault_reorder_out };
static const enum ts_counter_id ctr_corrupt[2] = { TS_CTR_fault_corrupt_in, TS_CTR_fault_corrupt_out };
static const enum ts_counter_id ctr_delayed[2] = { TS_CTR_fault_delayed_in, TS_CTR_fault_delayed_out };
static const enum ts_counter_id ctr_rate[2] = { TS_CTR_fault_rate_limited_in,
                                                 TS_CTR_fault_rate_limited_out };
static const enum ts_counter_id ctr_overflow[2] = { TS_CTR_fault_overflow_in, TS_CTR_fault_overflow_out };

static void count(struct ts_fault *f, const enum ts_counter_id ids[2], uint64_t *mine)
{
    (*mine)++;
    if (f->stats) f->stats->v[ids[f->dir]]++;
}

bool ts_fault_cfg_active(const struct ts_fault_cfg *c)
{
    return c->loss > 0 || c->dup > 0 || c->reorder > 0 || c->corrupt > 0 || c->delay > 0 ||
           c->jitter > 0 || c->rate > 0;
}

const char *ts_fault_cfg_check(const struct ts_fault_cfg *c)
{
    if (!(c->loss >= 0 && c->loss <= 1)) return "loss must be a fraction from 0 to 1";
    if (!(c->dup >= 0 && c->dup <= 1)) return "dup must be a fraction from 0 to 1";
    if (!(c->reorder >= 0 && c->reorder <= 1)) return "reorder must be a fraction from 0 to 1";
    if (!(c->corrupt >= 0 && c->corrupt <= 1)) return "corrupt must be a fraction from 0 to 1";
    if (c->delay > TS_SEC(60) || c->jitter > TS_SEC(60)) return "delay and jitter must be at most 60 s";
    return NULL;
}

struct ts_fault *ts_fault_new(const struct ts_fault_cfg *cfg, enum ts_fault_dir dir, uint64_t seed,
                              struct ts_stats *stats)
{
    if (ts_fault_cfg_check(cfg) || (dir != TS_FAULT_IN && dir != TS_FAULT_OUT)) return NULL;
    struct ts_fault *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->heap = calloc(TS_FAULT_QMAX, sizeof *f->heap);
    if (!f->heap) {
        free(f);
        return NULL;
    }
    f->cfg = *cfg;
    f->dir = dir;
    f->stats = stats;
    /* Mix the direction in so that in and out make different decisions from one seed. */
    ts_rng_seed(&f->rng, seed ^ (dir == TS_FAULT_IN ? 0x696e696e696e696eull : 0x6f75746f75746f75ull));
    if (cfg->rate) {
        double b = (double)cfg->rate / 100.0;        /* 10 ms worth */
        f->burst = b < MIN_BURST_BITS ? MIN_BURST_BITS : b;
        f->tokens = f->burst;
    }
    return f;
}

void ts_fault_free(struct ts_fault *f)
{
    if (!f) return;
    for (unsigned i = 0; i < f->n; i++) free(f->heap[i].data);
    if (f->aside_used) free(f->aside.data);
    free(f->heap);
    free(f);
}

/* ---- the heap ---- */

static bool before(const struct held *a, const struct held *b)
{
    return a->release < b->release || (a->release == b->release && a->seq < b->seq);
}

static void heap_push(struct ts_fault *f, struct held h)
{
    unsigned i = f->n++;
    f->heap[i] = h;
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!before(&f->heap[i], &f->heap[p])) break;
        struct held t = f->heap[i];
        f->heap[i] = f->heap[p];
        f->heap[p] = t;
        i = p;
    }
}

static struct held heap_pop(struct ts_fault *f)
{
    struct held top = f->heap[0];
    f->heap[0] = f->heap[--f->n];
    unsigned i = 0;
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < f->n && before(&f->heap[l], &f->heap[m])) m = l;
        if (r < f->n && before(&f->heap[r], &f->heap[m])) m = r;
        if (m == i) break;
        struct held t = f->heap[i];
        f->heap[i] = f->heap[m];
        f->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- decisions ---- */

static bool chance(uint64_t u, double p)
{
    return p > 0 && (double)(u >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* Release time after the token bucket; *waited set when the frame has to wait. */
static ts_time_t rate_release(struct ts_fault *f, ts_time_t now, size_t len, bool *waited)
{
    *waited = false;
    if (!f->cfg.rate) return now;
    double rate = (double)f->cfg.rate;
    if (now > f->tokens_at) {
        f->tokens += (double)(now - f->tokens_at) * rate / 1e6;
        if (f->tokens > f->burst) f->tokens = f->burst;
        f->tokens_at = now;
    }
    double left = f->tokens - (double)len * 8.0;
    if (left >= 0) {
        f->tokens = left;
        return now;
    }
    ts_time_t t = now + (ts_time_t)(-left * 1e6 / rate + 0.999);
    if (t > now + TS_FAULT_RATE_QUEUE) return t;     /* overflow: the caller drops it, no debt */
    f->tokens = left;
    *waited = true;
    return t;
}

static ts_time_t jitter_of(const struct ts_fault *f, uint64_t u)
{
    return f->cfg.jitter ? (ts_time_t)(u % (f->cfg.jitter + 1)) : 0;
}

/* Queue a copy of frame for release at t; false when no room (counted as overflow). */
static bool enqueue(struct ts_fault *f, ts_time_t t, const uint8_t *frame, size_t len)
{
    if (f->n + (f->aside_used ? 1u : 0u) >= TS_FAULT_QMAX) return false;
    uint8_t *d = malloc(len ? len : 1);
    if (!d) return false;
    memcpy(d, frame, len);
    heap_push(f, (struct held){ t, f->seq++, (uint32_t)len, d });
    return true;
}

/* Put the frame set aside back in the heap, due no earlier than t. */
static void release_aside(struct ts_fault *f, ts_time_t t)
{
    if (!f->aside_used) return;
    f->aside_used = false;
    if (f->aside.release < t) f->aside.release = t;
    f->aside.seq = f->seq++;
    heap_push(f, f->aside);
}

unsigned ts_fault_push(struct ts_fault *f, ts_time_t now, const uint8_t *frame, size_t len)
{
    uint64_t u[NDRAWS];
    for (int i = 0; i < NDRAWS; i++) u[i] = ts_rng_next(&f->rng);
    unsigned what = 0;
    ts_time_t last = now;                       /* release time of the last copy queued */

    if (chance(u[0], f->cfg.loss)) {
        count(f, ctr_loss, &f->counts.loss);
        release_aside(f, now);
        return TS_FAULT_LOST;
    }
    uint8_t tmp[len ? len : 1];
    const uint8_t *src = frame;
    if (chance(u[2], f->cfg.corrupt) && len > 14) {
        memcpy(tmp, frame, len);
        size_t pos = 14 + (size_t)((u[3] >> 8) % (len - 14));
        tmp[pos] ^= (uint8_t)(1 + (u[3] & 0xff) % 255);
        src = tmp;
        what |= TS_FAULT_CORRUPT;
        count(f, ctr_corrupt, &f->counts.corrupt);
    }
    int copies = chance(u[1], f->cfg.dup) ? 2 : 1;
    bool hold = chance(u[4], f->cfg.reorder) && !f->aside_used;
    for (int c = 0; c < copies; c++) {
        bool waited;
        ts_time_t t = rate_release(f, now, len, &waited);
        if (t > now + TS_FAULT_RATE_QUEUE) {
            count(f, ctr_overflow, &f->counts.overflow);
            what |= TS_FAULT_OVERFLOW;
            continue;
        }
        if (waited) {
            count(f, ctr_rate, &f->counts.rate_limited);
            what |= TS_FAULT_RATE;
        }
        ts_time_t d = f->cfg.delay + jitter_of(f, u[5 + c]);
        if (d) {
            t += d;
            count(f, ctr_delayed, &f->counts.delayed);
            what |= TS_FAULT_DELAYED;
        }
        if (c == 0 && hold) {
            uint8_t *data = malloc(len ? len : 1);
            if (data) {
                memcpy(data, src, len);
                f->aside = (struct held){ t, 0, (uint32_t)len, data };
                f->aside_used = true;
                f->aside_deadline = t + TS_FAULT_REORDER_HOLD;
                count(f, ctr_reorder, &f->counts.reorder);
                what |= TS_FAULT_REORDERED;
                continue;
            }
        }
        if (!enqueue(f, t, src, len)) {
            count(f, ctr_overflow, &f->counts.overflow);
            what |= TS_FAULT_OVERFLOW;
            continue;
        }
        if (c == 1) {
            count(f, ctr_dup, &f->counts.dup);
            what |= TS_FAULT_DUP;
        }
        last = t;
    }
    if (!(what & TS_FAULT_REORDERED)) release_aside(f, last);
    return what;
}

size_t ts_fault_pop(struct ts_fault *f, ts_time_t now, uint8_t *buf, size_t cap)
{
    if (f->aside_used && f->aside_deadline <= now) release_aside(f, f->aside_deadline);
    if (f->n == 0 || f->heap[0].release > now) return 0;
    struct held h = heap_pop(f);
    size_t n = h.len < cap ? h.len : cap;
    memcpy(buf, h.data, n);
    free(h.data);
    return n;
}

ts_time_t ts_fault_poll_at(const struct ts_fault *f)
{
    ts_time_t t = f->n ? f->heap[0].release : TS_TIME_NEVER;
    if (f->aside_used && f->aside_deadline < t) t = f->aside_deadline;
    return t;
}

const struct ts_fault_counts *ts_fault_counts(const struct ts_fault *f) { return &f->counts; }

unsigned ts_fault_held(const struct ts_fault *f) { return f->n + (f->aside_used ? 1u : 0u); }
