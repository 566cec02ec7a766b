/* Helpers for the core's unit tests: a stack, its counters, what it sends; the frames from the
 * peer are in peer_frames.h. */
#ifndef TESTS_LIB_CORE_UTIL_H
#define TESTS_LIB_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tapstack/stack.h"
#include "tapstack/stats.h"
#include "peer_frames.h"

static inline struct ts_stack *new_stack(void)
{
    struct ts_config c;
    ts_config_default(&c);
    c.seed = 42;
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    return s;
}

static inline uint64_t ctr(struct ts_stack *s, enum ts_counter_id id) { return ts_stack_stats(s)->v[id]; }

/* Count frames the stack sends now (discarding them). */
static inline unsigned drain(struct ts_stack *s, ts_time_t now)
{
    uint8_t buf[9100];
    unsigned n = 0;
    while (ts_stack_transmit(s, now, buf, sizeof buf) > 0) n++;
    return n;
}

#endif
