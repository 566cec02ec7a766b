/*
 * The tracer: turns the core's trace events (include/tapstack/trace.h), plus the driver's own
 * fault events, into one line each on a FILE*: tcpdump-like text, or JSON lines whose schema is
 * in docs/trace-json.md. It also counts what it saw, for summaries (tapstack replay).
 *
 * Text lines look like
 *   1700000000.000123 in  IP 10.0.0.1.43210 > 10.0.0.2.80: Flags [S], seq 1, win 64240, ..., length 0
 *   1700000000.000130 state 10.0.0.2:80 10.0.0.1:43210 LISTEN -> SYN_RECEIVED (SYN received)
 *   1700000000.000150 out IP 10.0.0.2.80 > 10.0.0.1.43210: Flags [S.], seq 7, ack 2, ...
 *   1700000000.200000 timer 10.0.0.2:80 10.0.0.1:43210 retransmit
 *   1700000000.300000 drop tcp.drop_bad_checksum (segments with a bad checksum), length 54
 *   1700000000.300000 fault in loss: IP 10.0.0.1.43210 > ...
 */
#ifndef TS_TRACE_TRACE_FMT_H
#define TS_TRACE_TRACE_FMT_H

#include <stdio.h>
#include "tapstack/trace.h"

enum ts_trace_format { TS_TRACE_FMT_TEXT = 0, TS_TRACE_FMT_JSON };

struct ts_tracer {
    FILE *out;                 /* NULL: count only, print nothing */
    enum ts_trace_format fmt;
    /* what was seen */
    uint64_t frames_in, frames_out, states, timers, cwnds, drops, faults;
    uint64_t drop_by[TS_CTR__COUNT];
};

/* Start a tracer writing to out (may be NULL to only count) in the given format. */
void ts_tracer_init(struct ts_tracer *t, FILE *out, enum ts_trace_format fmt);

/* The ts_trace_fn to put in ts_config.trace, with the tracer as trace_arg. Handles every kind. */
void ts_tracer_event(void *tracer, const struct ts_trace_event *ev);

/* Report a fault the driver injected on frame: dir 0 = in, 1 = out; names says what was done,
 * comma-separated ("loss", "corrupt,dup": ts_fault_names in driver/fault.h). */
void ts_tracer_fault(struct ts_tracer *t, ts_time_t now, int dir, const char *names, const uint8_t *frame,
                     size_t len);

/* Format one event as a line (no newline) into buf; returns the length it wanted (like snprintf).
 * Used by ts_tracer_event; exposed for tests. */
size_t ts_trace_format(enum ts_trace_format fmt, const struct ts_trace_event *ev, char *buf, size_t cap);

/* Print the counts as a summary (text) to f. */
void ts_tracer_summary(const struct ts_tracer *t, FILE *f);

#endif
