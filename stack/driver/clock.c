/* The driver's monotonic clock (see clock.h). */
#include <time.h>

#include "driver/clock.h"

ts_time_t ts_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts_time_t)ts.tv_sec * 1000000u + (ts_time_t)ts.tv_nsec / 1000u;
}
