/*
 * IPv4 reassembly (RFC 791 §3.2, with RFC 815's view of holes).
 *
 * A datagram in progress is keyed by (source, destination, protocol, identification). Its
 * fragments are kept as a list of pieces sorted by offset, never overlapping: RFC 815's holes
 * are exactly the gaps between consecutive pieces (plus the gap before the first and after the
 * last, up to the total length once the last fragment, MF clear, has told it). The datagram is
 * complete when the last fragment is known and the pieces hold total-length bytes.
 *
 * Policy:
 * - a fragment that overlaps one already held drops the whole datagram (RFC 5722 does the same
 *   for IPv6; overlaps are an attack, not an accident) unless it is an exact duplicate, which is
 *   ignored;
 * - a fragment whose end lies past 65535 (offset*8 + total length) drops the whole datagram;
 * - a non-last fragment whose data is not a multiple of 8 bytes, or is empty, is dropped alone;
 * - pieces per datagram are bounded (TS_FRAG_MAX_PIECES), so 10,000 one-byte holes cost nothing;
 * - memory over all datagrams is bounded (TS_FRAG_MEM_CAP) and so is their number
 *   (TS_FRAG_MAX_DGRAMS): to make room the oldest datagram is dropped (it is the nearest to
 *   timing out anyway);
 * - each datagram lives at most TS_FRAG_TIMEOUT from its first fragment.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "core/modules.h"
#include "net/ip_frag.h"
#include "wire/bytes.h"

struct frag_piece {
    struct frag_piece *next;
    uint16_t off, len;        /* payload bytes [off, off + len) */
    uint8_t data[];
};

struct frag_dgram {
    struct frag_dgram *next;  /* creation order: the head is the oldest */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    bool have_last;
    uint32_t total;           /* payload length, known once have_last */
    uint32_t received;        /* payload bytes held */
    unsigned npieces;
    size_t mem;               /* bytes charged */
    ts_time_t deadline;
    struct frag_piece *pieces, *tail;
    uint8_t hdr[60];          /* IPv4 header of the fragment at offset 0, for ICMP errors */
    uint8_t hdr_len;          /* 0 until that fragment arrived */
};

struct ts_frag {
    struct frag_dgram *head, *tail;
    unsigned count;
    size_t mem;
    uint8_t *buf;             /* 65535 bytes, made on the first reassembly: handed to ts_ipv4_deliver */
};

#define PIECE_COST(n) (sizeof(struct frag_piece) + (n) + 16u)   /* 16: allocator overhead */
#define DGRAM_COST (sizeof(struct frag_dgram) + 16u)

int ts_frag_init(struct ts_stack *s)
{
    s->frag = calloc(1, sizeof *s->frag);
    return s->frag ? 0 : -TS_ENOMEM;
}

/* Unlink d (prev is the node before it, NULL if d is the head) and free it. */
static void dgram_drop(struct ts_frag *fr, struct frag_dgram *prev, struct frag_dgram *d)
{
    if (prev) prev->next = d->next;
    else fr->head = d->next;
    if (fr->tail == d) fr->tail = prev;
    for (struct frag_piece *p = d->pieces, *nx; p; p = nx) {
        nx = p->next;
        free(p);
    }
    fr->mem -= d->mem;
    fr->count--;
    free(d);
}

void ts_frag_free(struct ts_stack *s)
{
    if (!s->frag) return;
    while (s->frag->head) dgram_drop(s->frag, NULL, s->frag->head);
    free(s->frag->buf);
    free(s->frag);
    s->frag = NULL;
}

unsigned ts_frag_in_progress(const struct ts_stack *s) { return s->frag ? s->frag->count : 0; }
size_t ts_frag_mem_used(const struct ts_stack *s) { return s->frag ? s->frag->mem : 0; }

ts_time_t ts_frag_poll_at(const struct ts_stack *s)
{
    /* deadlines grow with creation order, so the head's is the earliest */
    return (s->frag && s->frag->head) ? s->frag->head->deadline : TS_TIME_NEVER;
}

void ts_frag_poll(struct ts_stack *s, ts_time_t now)
{
    struct ts_frag *fr = s->frag;
    while (fr->head && fr->head->deadline <= now) {
        struct frag_dgram *d = fr->head;
        TS_DROP(s, now, ipv4, frag_drop_timeout, NULL, 0);
        /* RFC 792 / RFC 1122 §3.3.2: Time Exceeded, code 1, if fragment zero arrived (it holds
         * the header and the first bytes to quote); never about a broadcast */
        if (d->hdr_len && d->pieces && d->pieces->off == 0) {
            struct ts_ipv4_info ip = { .src = d->src, .dst = d->dst, .proto = d->proto, .id = d->id,
                                       .ttl = d->hdr[8], .tos = d->hdr[1], .to_broadcast = d->dst != s->cfg.ip,
                                       .hdr = d->hdr, .hdr_len = d->hdr_len };
            size_t q = d->pieces->len < 8 ? d->pieces->len : 8;
            ts_icmp_send_time_exceeded(s, now, 1, &ip, d->pieces->data, q);
        }
        dgram_drop(fr, NULL, d);
    }
}

/* Drop the oldest datagrams other than keep until need more bytes fit under the cap and the
 * table has room for one more if want_slot. */
static void make_room(struct ts_stack *s, ts_time_t now, const struct frag_dgram *keep,
                      size_t need, bool want_slot)
{
    struct ts_frag *fr = s->frag;
    struct frag_dgram *prev = NULL, *d = fr->head;
    while (d && (fr->mem + need > TS_FRAG_MEM_CAP || (want_slot && fr->count >= TS_FRAG_MAX_DGRAMS))) {
        struct frag_dgram *nx = d->next;
        if (d == keep) {
            prev = d;
        } else {
            if (want_slot && fr->count >= TS_FRAG_MAX_DGRAMS)
                TS_DROP(s, now, ipv4, frag_drop_table_full, NULL, 0);
            else
                TS_DROP(s, now, ipv4, frag_drop_memory, NULL, 0);
            dgram_drop(fr, prev, d);
        }
        d = nx;
    }
}

/* Find the datagram for a key, with the one before it in the list. */
static struct frag_dgram *dgram_find(struct ts_frag *fr, uint32_t src, uint32_t dst, uint8_t proto,
                                     uint16_t id, struct frag_dgram **prevp)
{
    struct frag_dgram *prev = NULL;
    for (struct frag_dgram *d = fr->head; d; prev = d, d = d->next) {
        if (d->src == src && d->dst == dst && d->proto == proto && d->id == id) {
            *prevp = prev;
            return d;
        }
    }
    *prevp = prev;   /* the tail */
    return NULL;
}

static struct frag_dgram *dgram_new(struct ts_stack *s, ts_time_t now, uint32_t src, uint32_t dst,
                                    uint8_t proto, uint16_t id, struct frag_dgram **prevp)
{
    struct ts_frag *fr = s->frag;
    make_room(s, now, NULL, DGRAM_COST, true);
    struct frag_dgram *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->src = src;
    d->dst = dst;
    d->proto = proto;
    d->id = id;
    d->deadline = now + TS_FRAG_TIMEOUT;
    d->mem = DGRAM_COST;
    fr->mem += d->mem;
    *prevp = fr->tail;
    if (fr->tail) fr->tail->next = d;
    else fr->head = d;
    fr->tail = d;
    fr->count++;
    return d;
}

enum ins_result { INS_OK, INS_DUP, INS_OVERLAP, INS_TOO_MANY, INS_NOMEM };

/* Put [off, off+len) into d's sorted piece list. */
static enum ins_result piece_insert(struct ts_stack *s, ts_time_t now, struct frag_dgram *d,
                                    uint16_t off, const uint8_t *data, uint16_t len)
{
    struct frag_piece *prev = NULL, *next = d->pieces;
    if (d->tail && d->tail->off <= off) {         /* in-order arrival: the common case */
        prev = d->tail;
        next = NULL;
    } else {
        while (next && next->off <= off) {
            prev = next;
            next = next->next;
        }
    }
    if (prev && prev->off == off && prev->len == len && !memcmp(prev->data, data, len))
        return INS_DUP;
    if (prev && (uint32_t)prev->off + prev->len > off) return INS_OVERLAP;
    if (next && (uint32_t)off + len > next->off) return INS_OVERLAP;
    if (d->npieces >= TS_FRAG_MAX_PIECES) return INS_TOO_MANY;
    size_t cost = PIECE_COST(len);
    make_room(s, now, d, cost, false);
    if (s->frag->mem + cost > TS_FRAG_MEM_CAP) return INS_NOMEM;
    struct frag_piece *p = malloc(sizeof *p + len);
    if (!p) return INS_NOMEM;
    p->off = off;
    p->len = len;
    memcpy(p->data, data, len);
    p->next = next;
    if (prev) prev->next = p;
    else d->pieces = p;
    if (!next) d->tail = p;
    d->npieces++;
    d->received += len;
    d->mem += cost;
    s->frag->mem += cost;
    return INS_OK;
}

/* d is complete: copy it out, free it, and hand it to the transport. */
static void dgram_deliver(struct ts_stack *s, ts_time_t now, struct frag_dgram *prev,
                          struct frag_dgram *d)
{
    struct ts_frag *fr = s->frag;
    if (!fr->buf && !(fr->buf = malloc(65535))) {
        dgram_drop(fr, prev, d);
        TS_DROP(s, now, ipv4, frag_drop_memory, NULL, 0);
        return;
    }
    for (const struct frag_piece *p = d->pieces; p; p = p->next) memcpy(fr->buf + p->off, p->data, p->len);
    uint8_t hdr[60];
    struct ts_ipv4_info ip = {
        .src = d->src, .dst = d->dst, .proto = d->proto, .id = d->id,
        .ttl = d->hdr[8], .tos = d->hdr[1],
        .to_broadcast = d->dst == 0xffffffffu || d->dst == s->bcast,
        .hdr = hdr, .hdr_len = d->hdr_len,
    };
    memcpy(hdr, d->hdr, d->hdr_len);
    size_t total = d->total;
    dgram_drop(fr, prev, d);
    TS_COUNT(s, ipv4, frag_reassembled);
    ts_ipv4_deliver(s, now, &ip, fr->buf, total);
}

/*
 * IPv4 header fields used here (RFC 791 §3.1):
 *   OFFSET SIZE DESCRIPTION
 *   0      1    version (4 bits) | IHL in 32-bit words (4 bits)
 *   4      2    identification
 *   6      2    flags (bit 13 = MF, bit 14 = DF) | fragment offset in 8-byte units (13 bits)
 *   9      1    protocol
 *   12     4    source address
 *   16     4    destination address
 */
void ts_frag_input(struct ts_stack *s, ts_time_t now, const uint8_t *pkt, size_t len)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    uint16_t fo = ts_get16(pkt + 6);
    bool mf = (fo & 0x2000) != 0;
    uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
    size_t dlen = len - ihl;
    if (mf && (dlen == 0 || dlen % 8 != 0)) {
        TS_DROP(s, now, ipv4, frag_drop_bad, pkt, len);
        return;
    }
    uint32_t src = ts_get32(pkt + 12), dst = ts_get32(pkt + 16);
    uint8_t proto = pkt[9];
    uint16_t id = ts_get16(pkt + 4);
    struct frag_dgram *prev, *d = dgram_find(s->frag, src, dst, proto, id, &prev);
    if (off + len > 65535) {
        TS_DROP(s, now, ipv4, frag_drop_too_big, pkt, len);
        if (d) dgram_drop(s->frag, prev, d);
        return;
    }
    if (!d && !(d = dgram_new(s, now, src, dst, proto, id, &prev))) {
        TS_DROP(s, now, ipv4, frag_drop_memory, pkt, len);
        return;
    }
    uint32_t end = off + (uint32_t)dlen;
    if ((!mf && ((d->have_last && d->total != end) || (d->tail && d->tail->off + d->tail->len > end)))
        || (mf && d->have_last && end > d->total)) {
        TS_DROP(s, now, ipv4, frag_drop_inconsistent, pkt, len);
        dgram_drop(s->frag, prev, d);
        return;
    }
    enum ins_result r = dlen ? piece_insert(s, now, d, (uint16_t)off, pkt + ihl, (uint16_t)dlen) : INS_OK;
    if (r == INS_DUP) {
        TS_COUNT(s, ipv4, frag_duplicate);
        return;
    }
    if (r != INS_OK) {
        if (r == INS_OVERLAP) TS_DROP(s, now, ipv4, frag_drop_overlap, pkt, len);
        else if (r == INS_TOO_MANY) TS_DROP(s, now, ipv4, frag_drop_too_many, pkt, len);
        else TS_DROP(s, now, ipv4, frag_drop_memory, pkt, len);
        /* make_room may have dropped datagrams before d: find it again */
        d = dgram_find(s->frag, src, dst, proto, id, &prev);
        if (d) dgram_drop(s->frag, prev, d);
        return;
    }
    if (!mf) {
        d->have_last = true;
        d->total = end;
    }
    if (off == 0 && d->hdr_len == 0) {
        d->hdr_len = (uint8_t)ihl;
        memcpy(d->hdr, pkt, ihl);
    }
    if (d->have_last && d->received == d->total) {
        d = dgram_find(s->frag, src, dst, proto, id, &prev);   /* prev may have moved */
        dgram_deliver(s, now, prev, d);
    }
}
