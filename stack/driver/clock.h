/*
 * The driver's clock. The core never reads a clock; the driver reads CLOCK_MONOTONIC here and
 * hands the value in as ts_time_t (microseconds).
 */
#ifndef TS_DRIVER_CLOCK_H
#define TS_DRIVER_CLOCK_H

#include "tapstack/stack.h"

/* Microseconds on CLOCK_MONOTONIC (never jumps, never goes back). */
ts_time_t ts_clock_now(void);

/* What to add to ts_clock_now() to get Unix time in microseconds (read now: the wall clock may be
 * set later; the views use it to print times people read). */
int64_t ts_clock_wall_offset(void);

/* The local time zone's offset east of UTC in seconds, now. */
int32_t ts_clock_tz_offset(void);

#endif
