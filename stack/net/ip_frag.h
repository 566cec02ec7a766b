/*
 * IPv4 reassembly (RFC 791 §3.2, RFC 815): limits and a read-only view for netstat and tests.
 * The entry points the stack calls are in core/modules.h (ts_frag_*).
 */
#ifndef TS_NET_IP_FRAG_H
#define TS_NET_IP_FRAG_H

#include <stddef.h>
#include "tapstack/stack.h"

struct ts_stack;

#define TS_FRAG_TIMEOUT TS_SEC(30)       /* from a datagram's first fragment to its drop */
#define TS_FRAG_MEM_CAP (256u * 1024u)   /* bytes over every datagram in progress */
#define TS_FRAG_MAX_DGRAMS 64u           /* datagrams in progress at once */
#define TS_FRAG_MAX_PIECES 256u          /* fragments held per datagram (so holes <= 257) */

/* Datagrams in reassembly now, and the memory they hold (bytes charged against the cap). */
unsigned ts_frag_in_progress(const struct ts_stack *s);
size_t ts_frag_mem_used(const struct ts_stack *s);

#endif
