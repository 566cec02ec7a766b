/* The frame pool and the transmit FIFO. */
#include <stdlib.h>
#include "core/frame.h"
#include "core/stack_impl.h"

struct ts_frame *ts_frame_alloc(struct ts_stack *s)
{
    struct ts_frame *f = s->free_list;
    if (f) {
        s->free_list = f->next;
    } else if (s->frames_carved < s->frames_total) {
        /* The pool grows a chunk at a time on first use, up to its bound, so a new stack costs
         * almost nothing and an idle one holds only the frames it ever needed at once. */
        unsigned chunk = s->frames_carved / TS_FRAME_CHUNK, idx = s->frames_carved % TS_FRAME_CHUNK;
        if (!s->frame_chunks[chunk]) {
            s->frame_chunks[chunk] = malloc(TS_FRAME_CHUNK * s->frame_stride);
            if (!s->frame_chunks[chunk]) return NULL;
        }
        f = (struct ts_frame *)((uint8_t *)s->frame_chunks[chunk] + (size_t)idx * s->frame_stride);
        s->frames_carved++;
    } else {
        return NULL;
    }
    s->frames_free--;
    s->pool_uses++;
    f->next = NULL;
    f->len = 0;
    f->info = (struct ts_frame_info){ 0 };
    f->big = false;
    f->dead = false;
    f->ext = NULL;                        /* a payload by reference: set by tcp_tso_gather */
    f->ext_data = NULL;
    f->ext_len = 0;
    return f;
}

struct ts_frame *ts_frame_alloc_big(struct ts_stack *s)
{
    struct ts_frame *f = s->big_free;
    if (f) {
        s->big_free = f->next;
    } else if (s->big_made < TS_FRAME_BIG_MAX) {
        f = malloc(sizeof *f + TS_FRAME_MAX_GSO);
        if (!f) return NULL;
        f->ext = NULL;
        f->ext_data = NULL;
        f->ext_len = 0;
        s->big_all[s->big_made++] = f;
    } else {
        return NULL;
    }
    s->big_out++;
    s->pool_uses++;
    f->next = NULL;
    f->len = 0;
    f->info = (struct ts_frame_info){ 0 };
    f->big = true;
    f->dead = false;
    return f;
}

void ts_ext_put(struct ts_ext *e)
{
    if (e && --e->refs == 0) free(e);
}

/* Drop a frame's payload reference. */
static void ext_drop(struct ts_frame *f)
{
    ts_ext_put(f->ext);
    f->ext = NULL;
    f->ext_data = NULL;
    f->ext_len = 0;
}

void ts_frame_big_release(struct ts_stack *s)
{
    for (unsigned i = 0; i < s->big_made; i++) {
        ext_drop(s->big_all[i]);
        free(s->big_all[i]);
    }
    s->big_made = s->big_out = 0;
    s->big_free = NULL;
}

void ts_frame_free(struct ts_stack *s, struct ts_frame *f)
{
    if (!f) return;
    if (f->ext) ext_drop(f);
    if (f->big) {
        f->next = s->big_free;
        s->big_free = f;
        s->big_out--;
        return;
    }
    f->next = s->free_list;
    s->free_list = f;
    s->frames_free++;
}

unsigned ts_frame_pool_free(const struct ts_stack *s) { return s->frames_free; }

size_t ts_frame_pool_shrink(struct ts_stack *s)
{
    size_t freed = 0;
    if (s->frames_free == s->frames_total && s->frames_carved) {   /* no frame out: every chunk */
        for (unsigned i = 0; i < TS_FRAME_POOL / TS_FRAME_CHUNK; i++) {
            if (!s->frame_chunks[i]) continue;
            free(s->frame_chunks[i]);
            s->frame_chunks[i] = NULL;
            freed += TS_FRAME_CHUNK * s->frame_stride;
        }
        s->frames_carved = 0;
        s->free_list = NULL;
    }
    if (s->big_out == 0 && s->big_made) {
        freed += (size_t)s->big_made * (sizeof(struct ts_frame) + TS_FRAME_MAX_GSO);
        ts_frame_big_release(s);
    }
    return freed;
}

void ts_txq_push(struct ts_stack *s, struct ts_frame *f)
{
    f->next = NULL;
    if (s->txq_tail) s->txq_tail->next = f;
    else s->txq_head = f;
    s->txq_tail = f;
    s->txq_len++;
    s->txq_pushed++;
}

uint64_t ts_txq_last_pos(const struct ts_stack *s) { return s->txq_pushed - 1; }

bool ts_txq_queued(const struct ts_stack *s, uint64_t pos) { return pos >= s->txq_popped && pos < s->txq_pushed; }
