/* The frame pool and the transmit FIFO. */
#include "core/frame.h"
#include "core/stack_impl.h"

struct ts_frame *ts_frame_alloc(struct ts_stack *s)
{
    struct ts_frame *f = s->free_list;
    if (!f) return NULL;
    s->free_list = f->next;
    s->frames_free--;
    f->next = NULL;
    f->len = 0;
    return f;
}

void ts_frame_free(struct ts_stack *s, struct ts_frame *f)
{
    if (!f) return;
    f->next = s->free_list;
    s->free_list = f;
    s->frames_free++;
}

size_t ts_frame_cap(const struct ts_stack *s) { return s->frame_cap; }

unsigned ts_frame_pool_free(const struct ts_stack *s) { return s->frames_free; }

void ts_txq_push(struct ts_stack *s, struct ts_frame *f)
{
    f->next = NULL;
    if (s->txq_tail) s->txq_tail->next = f;
    else s->txq_head = f;
    s->txq_tail = f;
    s->txq_len++;
}
