/* Counter names and descriptions, generated from the counters/<protocol>.def lists. */
#include "core/stack_impl.h"

struct counter_meta { const char *proto, *name, *desc; };

static const struct counter_meta counter_meta[TS_CTR__COUNT] = {
#define X(proto, name, desc) { #proto, #name, desc },
#include "tapstack/counters/eth.def"
#include "tapstack/counters/arp.def"
#include "tapstack/counters/ipv4.def"
#include "tapstack/counters/icmp.def"
#include "tapstack/counters/udp.def"
#include "tapstack/counters/tcp.def"
#include "tapstack/counters/fault.def"
#undef X
};

const struct ts_stats *ts_stack_stats(const struct ts_stack *s) { return &s->stats; }
struct ts_stats *ts_stack_stats_mut(struct ts_stack *s) { return &s->stats; }

const char *ts_counter_proto(enum ts_counter_id id)
{
    return (unsigned)id < TS_CTR__COUNT ? counter_meta[id].proto : NULL;
}
const char *ts_counter_name(enum ts_counter_id id)
{
    return (unsigned)id < TS_CTR__COUNT ? counter_meta[id].name : NULL;
}
const char *ts_counter_desc(enum ts_counter_id id)
{
    return (unsigned)id < TS_CTR__COUNT ? counter_meta[id].desc : NULL;
}

void ts_drop(struct ts_stack *s, ts_time_t now, enum ts_counter_id id, const uint8_t *frame, size_t len)
{
    s->stats.v[id]++;
    if (s->cfg.trace) {
        struct ts_trace_event ev = { .kind = TS_TRACE_DROP, .now = now, .frame = frame, .len = len,
                                     .counter = id, .why = counter_meta[id].desc };
        s->cfg.trace(s->cfg.trace_arg, &ev);
    }
}
