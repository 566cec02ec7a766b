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
 * Fixing both thresholds (glibc then stops moving them) keeps every ring and big frame in a
 * mapping of its own, returned whole when it is freed. The cost is an mmap and a munmap per ring
 * and a page fault per page of it touched.
 *
 * What stays in the heap is small (TCBs, segment records, HTTP and FTP sessions of a few KiB to
 * 16 KiB), but a burst of connections still leaves the pages of its freed sessions resident behind
 * any that outlive it. So once a second the trimmer compares the heap's bytes in use with their
 * peak since it last trimmed; when they have halved (and fallen by 1 MiB at least), the load that
 * made the peak is gone, and malloc_trim(0) gives back every free page inside the heap. It runs
 * at most once a second and only after such a fall, so steady load costs one mallinfo2 a second.
 */
#include <malloc.h>

#include "cli/malloc_policy.h"

int ts_malloc_policy(void)
{
    int ok = mallopt(M_MMAP_THRESHOLD, (int)TS_MALLOC_MMAP_MIN);
    ok &= mallopt(M_TRIM_THRESHOLD, (int)TS_MALLOC_TRIM_MIN);
    return ok ? 0 : -1;
}

bool ts_malloc_trim_due(struct ts_malloc_trimmer *t, size_t in_use)
{
    if (in_use > t->peak) t->peak = in_use;
    if (in_use > t->peak / 2 || t->peak - in_use < TS_MALLOC_TRIM_FALL) return false;
    t->peak = in_use;
    return true;
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
    if (ts_malloc_trim_due(t, mi.uordblks)) {
        malloc_trim(0);
        t->trims++;
    }
}

void ts_malloc_trimmer_app(struct ts_malloc_trimmer *t, ts_time_t now, struct ts_app *app)
{
    t->peak = 0;
    t->trims = 0;
    t->next = now + TS_MALLOC_TRIM_EVERY;
    *app = (struct ts_app){ .name = "malloc-trim", .ctx = t, .poll_at = trimmer_poll_at, .poll = trimmer_poll };
}
