/*
 * Out-of-order range tracking (see tcp_reass.h).
 */
#include "tcp/tcp_reass.h"
#include <stdlib.h>
#include <string.h>

int ts_reass_add(struct ts_reass *re, uint32_t off, uint32_t len)
{
    if (len == 0) return 0;
    uint32_t s = off, e = off + len;
    unsigned i = 0, j;
    while (i < re->n && re->r[i].end < s) i++;          /* ranges entirely before the new one */
    for (j = i; j < re->n && re->r[j].start <= e; j++) {  /* ranges that overlap or touch it merge */
        if (re->r[j].start < s) s = re->r[j].start;
        if (re->r[j].end > e) e = re->r[j].end;
    }
    unsigned n = re->n - (j - i) + 1;
    if (n > TS_REASS_MAX) return -1;
    if (!re->r && !(re->r = malloc(TS_REASS_MAX * sizeof *re->r))) return -1;
    memmove(&re->r[i + 1], &re->r[j], (re->n - j) * sizeof *re->r);
    re->r[i].start = s;
    re->r[i].end = e;
    re->n = (uint8_t)n;
    return 0;
}

uint32_t ts_reass_front(const struct ts_reass *re)
{
    return (re->n && re->r[0].start == 0) ? re->r[0].end : 0;
}

void ts_reass_advance(struct ts_reass *re, uint32_t n)
{
    unsigned j = 0;
    for (unsigned i = 0; i < re->n; i++) {
        if (re->r[i].end <= n) continue;
        re->r[j].start = re->r[i].start > n ? re->r[i].start - n : 0;
        re->r[j].end = re->r[i].end - n;
        j++;
    }
    re->n = (uint8_t)j;
    if (j == 0) ts_reass_free(re);
}

void ts_reass_free(struct ts_reass *re)
{
    free(re->r);
    re->r = NULL;
    re->n = 0;
}

uint32_t ts_reass_bytes(const struct ts_reass *re)
{
    uint32_t b = 0;
    for (unsigned i = 0; i < re->n; i++) b += re->r[i].end - re->r[i].start;
    return b;
}

size_t ts_reass_memory(const struct ts_reass *re)
{
    return re->r ? TS_REASS_MAX * sizeof *re->r : 0;
}
