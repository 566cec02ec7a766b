/* STUB (to be replaced by the TCP module): drops every segment. */
#include "core/modules.h"
int ts_tcp_init(struct ts_stack *s) { (void)s; return 0; }
void ts_tcp_free(struct ts_stack *s) { (void)s; }
void ts_tcp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len) { (void)ip; TS_DROP(s, now, tcp, drop_no_socket, seg, len); }
void ts_tcp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code,
                       const uint8_t *orig, size_t len) { (void)s; (void)now; (void)type; (void)code; (void)orig; (void)len; }
ts_time_t ts_tcp_poll_at(const struct ts_stack *s) { (void)s; return TS_TIME_NEVER; }
void ts_tcp_poll(struct ts_stack *s, ts_time_t now) { (void)s; (void)now; }
void ts_tcp_output_resume(struct ts_stack *s, ts_time_t now) { (void)s; (void)now; }
