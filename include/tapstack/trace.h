/*
 * tapstack: trace events. If ts_config.trace is set, the core calls it for every frame in and
 * out, every TCP state change, every drop and timer, as it happens. The callback must not call
 * back into the stack; it may only read the event. Pointers in the event are valid only during
 * the call.
 */
#ifndef TAPSTACK_TRACE_H
#define TAPSTACK_TRACE_H

#include "tapstack/stack.h"
#include "tapstack/stats.h"
#include "tapstack/socket.h"

enum ts_trace_kind {
    TS_TRACE_FRAME_IN,   /* frame, len */
    TS_TRACE_FRAME_OUT,  /* frame, len */
    TS_TRACE_STATE,      /* sock, old_state -> new_state, why */
    TS_TRACE_DROP,       /* frame, len (may be NULL), counter */
    TS_TRACE_TIMER,      /* sock, why (the timer's name) */
    TS_TRACE_CWND,       /* sock, cwnd, ssthresh, rto */
};

struct ts_trace_event {
    enum ts_trace_kind kind;
    ts_time_t now;
    const uint8_t *frame;
    size_t len;
    const struct ts_frame_info *info;   /* frames: the offload description, or NULL when plain */
    enum ts_counter_id counter;
    const struct ts_sock *sock;
    enum ts_tcp_state old_state, new_state;
    const char *why;
    uint32_t cwnd, ssthresh;
    ts_time_t rto;
};

#endif
