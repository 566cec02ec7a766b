/*
 * Malloc thresholds and heap trimming for a server that runs for hours (issue 23).
 *
 * What tapstack allocates in bulk are TCP rings (64 KiB + a 64-byte header by default, receive
 * rings rounded to the MSS, grown by doubling up to 4 MiB, released whenever they are empty) and
 * the 64 KiB frames that carry TSO/GRO segments: large, of varying sizes and lifetimes. glibc
 * puts a block of M_MMAP_THRESHOLD bytes or more (128 KiB at start) in a mapping of its own and
 * unmaps it when freed; smaller ones come from the heap, which gives memory back only from its
 * top (past M_TRIM_THRESHOLD) and keeps every page of a hole in its middle resident once touched.
 * Left alone the threshold is dynamic: freeing one mapped block raises it to that block's size
 * (up to 32 MiB) and the trim threshold to twice that, so after the first grown ring closes
 * (a 4 MiB one lifts them to 4 and 8 MiB) every later ring lands in the heap. The heap then
 * holds as much as was ever in use at once, and its resident pages creep up to that high-water
 * mark: in the 60-minute soak RSS climbed 6.8 % while the bytes in use stayed flat.
 *
 * Fixing both thresholds (glibc then stops moving them) keeps every grown ring in a mapping of its
 * own, returned whole when it is freed; those are few (a ring grows when it limits a transfer) and
 * long-lived, so a mapping each costs nothing that shows. The default rings stay under the
 * threshold on purpose: a keep-alive connection releases its rings whenever they are empty
 * (tcp_rings_trim) and takes them again for the next request, and a mapping each would cost an
 * mmap, a munmap and the page faults of the pages it touches, per request: with the threshold at
 * 64 KiB tapstack's CPU time per keep-alive request of 1 KiB went from about 7 to 18 us. In the
 * heap they are all of one size and reuse each other's holes at no cost.
 *
 * What the heap frees inside itself stays resident, though, so RSS would follow the most that was
 * ever in use at once (a burst of connections, then the pages of its freed rings and sessions kept
 * behind any that outlive it). So once a second the trimmer asks glibc how many bytes are free in
 * the heap (mallinfo2), and when it is 256 KiB or more, malloc_trim(0) gives every free page inside
 * back to the kernel: RSS follows what is in use within a second, give or take 256 KiB. The cost is
 * one mallinfo2 a second and, when it trims, a walk of the free chunks with an madvise for each
 * free page run, and the page faults when those pages are used again: well under a millisecond of
 * CPU a second.
 */
#include <malloc.h>

#include "cli/malloc_policy.h"

int ts_malloc_policy(void)
{
    int ok = mallopt(M_MMAP_THRESHOLD, (int)TS_MALLOC_MMAP_MIN);
    ok &= mallopt(M_TRIM_THRESHOLD, (int)TS_MALLOC_TRIM_MIN);
    return ok ? 0 : -1;
}

bool ts_malloc_trim_due(const struct ts_malloc_trimmer *t, size_t free_bytes)
{
    (void)t;
    return free_bytes >= TS_MALLOC_TRIM_FREE;
}

static ts_time_t trimmer_poll_at(void *ctx)
{
    return ((struct ts_malloc_trimmer *)ctx)->next;
}

static void trimmer_poll(void *ctx, ts_time_t now)
{
    struct ts_malloc_trimmer *t = ctx;
    if (now < t->next) return;
    t->next = now + TS_MALLOC_TRIM_EVERY;
    struct mallinfo2 mi = mallinfo2();
    if (ts_malloc_trim_due(t, mi.fordblks > mi.keepcost ? mi.fordblks - mi.keepcost : 0)) {
        malloc_trim(0);
        t->trims++;
    }
}

void ts_malloc_trimmer_app(struct ts_malloc_trimmer *t, ts_time_t now, struct ts_app *app)
{
    t->trims = 0;
    t->next = now + TS_MALLOC_TRIM_EVERY;
    *app = (struct ts_app){ .name = "malloc-trim", .ctx = t, .poll_at = trimmer_poll_at, .poll = trimmer_poll };
}
