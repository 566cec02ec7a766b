/* Waiting awake for the next frame (see rx_spin.h). */
#include "driver/rx_spin.h"

void ts_rx_spin_init(struct ts_rx_spin *sp, ts_time_t bulk_budget, ts_time_t budget)
{
    sp->bulk_budget = bulk_budget;
    sp->budget = budget;
    sp->armed = false;
    sp->bulk = false;
    sp->cold = false;
}

/* The budget now: the bulk one while super-segments arrive. */
static ts_time_t budget_now(const struct ts_rx_spin *sp)
{
    return sp->bulk ? sp->bulk_budget : sp->budget;
}

ts_time_t ts_rx_spin_until(const struct ts_rx_spin *sp, ts_time_t now, ts_time_t deadline)
{
    ts_time_t b = budget_now(sp);
    if (!b || !sp->armed || sp->cold || deadline <= now) return 0;
    ts_time_t end = now + b;
    return end < deadline ? end : deadline;
}

void ts_rx_spin_batch(struct ts_rx_spin *sp, uint64_t frames, uint64_t supers)
{
    if (!frames) return;
    sp->armed = true;
    sp->bulk = supers > 0;
}

void ts_rx_spin_watched(struct ts_rx_spin *sp, bool hit)
{
    if (!hit) sp->cold = true;
}

void ts_rx_spin_slept(struct ts_rx_spin *sp, ts_time_t waited)
{
    if (waited < budget_now(sp)) sp->cold = false;
}
