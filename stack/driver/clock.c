/* The driver's monotonic clock (see clock.h). */
#include <time.h>

#include "driver/clock.h"

int64_t ts_clock_wall_offset(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    return wall - (int64_t)ts_clock_now();
}

int32_t ts_clock_tz_offset(void)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm)) return 0;
    return (int32_t)tm.tm_gmtoff;
}

ts_time_t ts_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts_time_t)ts.tv_sec * 1000000u + (ts_time_t)ts.tv_nsec / 1000u;
}
