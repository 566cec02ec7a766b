/*
 * The driver's clock. The core never reads a clock; the driver reads CLOCK_MONOTONIC here and
 * hands the value in as ts_time_t (microseconds).
 */
#ifndef TS_DRIVER_CLOCK_H
#define TS_DRIVER_CLOCK_H

#include "tapstack/stack.h"

/* Microseconds on CLOCK_MONOTONIC (never jumps, never goes back). */
ts_time_t ts_clock_now(void);

#endif
