/*
 * Malloc thresholds for a server that runs for hours (issue 23).
 *
 * What tapstack allocates in bulk are TCP rings (64 KiB + a 64-byte header by default, receive
 * rings rounded to the MSS, grown by doubling up to 4 MiB, released whenever they are empty) and
 * the 64 KiB frames that carry TSO/GRO segments: large, of varying sizes and lifetimes. glibc
 * puts a block of M_MMAP_THRESHOLD bytes or more (128 KiB at start) in a mapping of its own and
 * unmaps it when freed; smaller ones come from the heap, which gives memory back only from its
 * top (M_TRIM_THRESHOLD) and keeps every page of a hole in its middle resident once touched.
 * Left alone the threshold is dynamic: freeing one mapped block raises it to that block's size
 * (up to 32 MiB) and the trim threshold to twice that, so after the first grown ring closes
 * (a 4 MiB one lifts both to 4 and 8 MiB) every later ring lands in the heap. The heap then
 * holds as much as was ever in use at once, and its resident pages creep up to that high-water
 * mark: in the 60-minute soak RSS climbed 6.8 % while the bytes in use stayed flat.
 *
 * Fixing both thresholds (glibc then stops moving them) keeps every ring and big frame in a
 * mapping of its own, returned whole when it is freed, so RSS follows what is in use; the heap
 * keeps only small objects (TCBs, timers, app state). The cost is an mmap and a munmap per ring
 * (a few microseconds, a fraction of what the bytes in the ring cost to send).
 */
#include <malloc.h>

#include "cli/malloc_policy.h"

int ts_malloc_policy(void)
{
    int ok = mallopt(M_MMAP_THRESHOLD, (int)TS_MALLOC_MMAP_MIN);
    ok &= mallopt(M_TRIM_THRESHOLD, (int)TS_MALLOC_TRIM_MIN);
    return ok ? 0 : -1;
}
