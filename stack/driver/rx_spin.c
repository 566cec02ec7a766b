/* Waiting awake for the next super-segment (see rx_spin.h). */
#include "driver/rx_spin.h"

void ts_rx_spin_init(struct ts_rx_spin *sp, ts_time_t budget)
{
    sp->budget = budget;
    sp->bulk = false;
    sp->cold = false;
}

ts_time_t ts_rx_spin_until(const struct ts_rx_spin *sp, ts_time_t now, ts_time_t deadline)
{
    if (!sp->budget || !sp->bulk || sp->cold || deadline <= now) return 0;
    ts_time_t end = now + sp->budget;
    return end < deadline ? end : deadline;
}

void ts_rx_spin_batch(struct ts_rx_spin *sp, uint64_t frames, uint64_t supers)
{
    if (frames) sp->bulk = supers > 0;
}

void ts_rx_spin_watched(struct ts_rx_spin *sp, bool hit)
{
    if (!hit) sp->cold = true;
}

void ts_rx_spin_slept(struct ts_rx_spin *sp, ts_time_t slept)
{
    if (slept < sp->budget) sp->cold = false;
}
