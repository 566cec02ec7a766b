/*
 * Out-of-order range tracking (see tcp_reass.h).
 */
#include "tcp/tcp_reass.h"

int ts_reass_add(struct ts_reass *re, uint32_t off, uint32_t len)
{
    if (len == 0) return 0;
    uint32_t s = off, e = off + len;
    struct ts_reass out = { 0 };
    unsigned i = 0;
    /* ranges entirely before the new one */
    while (i < re->n && re->r[i].end < s) out.r[out.n++] = re->r[i++];
    /* ranges that overlap or touch it merge into it */
    while (i < re->n && re->r[i].start <= e) {
        if (re->r[i].start < s) s = re->r[i].start;
        if (re->r[i].end > e) e = re->r[i].end;
        i++;
    }
    if (out.n >= TS_REASS_MAX) return -1;
    out.r[out.n].start = s;
    out.r[out.n].end = e;
    out.n++;
    while (i < re->n) {
        if (out.n >= TS_REASS_MAX) return -1;
        out.r[out.n++] = re->r[i++];
    }
    *re = out;
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
}

uint32_t ts_reass_bytes(const struct ts_reass *re)
{
    uint32_t b = 0;
    for (unsigned i = 0; i < re->n; i++) b += re->r[i].end - re->r[i].start;
    return b;
}
