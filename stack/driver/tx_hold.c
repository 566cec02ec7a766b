/* Holding the transmit drain for the next batch while super-segments wait (see tx_hold.h). */
#include "driver/tx_hold.h"

void ts_tx_hold_init(struct ts_tx_hold *h, unsigned max)
{
    h->max = max;
    h->held = 0;
}

bool ts_tx_hold_drain(struct ts_tx_hold *h, bool waiting, uint64_t supers)
{
    if (h->max && waiting && supers > 0 && h->held < h->max) {
        h->held++;
        return true;
    }
    h->held = 0;
    return false;
}
