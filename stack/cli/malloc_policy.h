/*
 * How `tapstack up` asks glibc's malloc to place and give back its memory (malloc_policy.c says
 * why). Process-wide, so it is the program's choice, never the library's.
 */
#ifndef TS_CLI_MALLOC_POLICY_H
#define TS_CLI_MALLOC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <tapstack/app.h>

/* Blocks of this size and more get a mapping of their own, given back to the kernel when freed
 * (glibc's own starting value, held fixed). */
#define TS_MALLOC_MMAP_MIN (128u * 1024)
/* The free end of the heap past this size is given back. */
#define TS_MALLOC_TRIM_MIN (128u * 1024)
/* The trimmer looks this often (microseconds) ... */
#define TS_MALLOC_TRIM_EVERY 1000000u
/* ... and gives the heap's free pages back when it holds this many free bytes or more inside (its
 * free top, at most TS_MALLOC_TRIM_MIN, not counted). 256 KiB, not more: in a 12-minute soak with
 * 1 MiB the free bytes inside crept from 0.4 to 1.0 MB between trims, a climb of RSS the soak's
 * trend rule could not tell from a leak. */
#define TS_MALLOC_TRIM_FREE (256u * 1024)

/* Fix malloc's thresholds for a long-running server (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) before
 * anything large is allocated. Returns 0, or -1 when the allocator refused (not glibc's, or a
 * sanitizer's that ignores them: nothing changes then, and nothing breaks). */
int ts_malloc_policy(void);

/* The heap trimmer's state. */
struct ts_malloc_trimmer {
    unsigned long trims;       /* how many times it gave pages back */
    ts_time_t next;            /* its next look */
};

/* Fill *app with the trimmer as an app for the loop to poll (poll_at/poll only; no sockets).
 * The first look is at now + TS_MALLOC_TRIM_EVERY. */
void ts_malloc_trimmer_app(struct ts_malloc_trimmer *t, ts_time_t now, struct ts_app *app);

/* One look: true (the caller trims) when the heap holds TS_MALLOC_TRIM_FREE free bytes or more
 * inside (free_bytes: mallinfo2's fordblks less its keepcost, the free top).
 * The rule alone, without the allocator, for the tests. */
bool ts_malloc_trim_due(const struct ts_malloc_trimmer *t, size_t free_bytes);

#endif
