/* STUB (to be replaced by the reassembly module): drops every fragment. */
#include "core/modules.h"
int ts_frag_init(struct ts_stack *s) { (void)s; return 0; }
void ts_frag_free(struct ts_stack *s) { (void)s; }
void ts_frag_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len) { TS_DROP(s, now, ipv4, frag_drop_bad, pkt, len); }
ts_time_t ts_frag_poll_at(const struct ts_stack *s) { (void)s; return TS_TIME_NEVER; }
void ts_frag_poll(struct ts_stack *s, ts_time_t now) { (void)s; (void)now; }
