/* STUB (to be replaced by the UDP module): drops every datagram. */
#include "core/modules.h"
#include "tapstack/socket.h"
int ts_udp_init(struct ts_stack *s) { (void)s; return 0; }
void ts_udp_free(struct ts_stack *s) { (void)s; }
void ts_udp_input(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                  const uint8_t *seg, size_t len) { (void)ip; TS_DROP(s, now, udp, drop_no_port, seg, len); }
void ts_udp_icmp_error(struct ts_stack *s, ts_time_t now, uint8_t type, uint8_t code,
                       const uint8_t *orig, size_t len) { (void)s; (void)now; (void)type; (void)code; (void)orig; (void)len; }
