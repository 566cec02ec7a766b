/*
 * How `tapstack up` asks glibc's malloc to place its memory (see malloc_policy.c for why).
 */
#ifndef TS_CLI_MALLOC_POLICY_H
#define TS_CLI_MALLOC_POLICY_H

#include <stddef.h>

/* Blocks of this size and more get a mapping of their own, given back to the kernel when freed. */
#define TS_MALLOC_MMAP_MIN (64u * 1024)
/* The free end of the heap past this size is given back. */
#define TS_MALLOC_TRIM_MIN (128u * 1024)

/* Fix malloc's thresholds for a long-running server (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) before
 * anything large is allocated. Process-wide, so it is the program's choice, never the library's.
 * Returns 0, or -1 when the allocator refused (not glibc's, or a sanitizer's that ignores them:
 * nothing changes then, and nothing breaks). */
int ts_malloc_policy(void);

#endif
