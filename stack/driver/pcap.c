/*
 * Classic pcap writer and reader (format table in pcap.h).
 */
#include "driver/pcap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_MAGIC 0x0a0d0d0au
#define WBUF_SIZE 65536u

/* Little-endian helpers: we write little-endian, whatever the host. */
static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ------------------------------------------------------------------------------------------ */
/* writer                                                                                     */

struct ts_pcap_writer {
    FILE *f;
    bool own;
    bool failed;
    uint64_t count;
    size_t used;
    uint8_t buf[WBUF_SIZE];
};

static int wflush(struct ts_pcap_writer *w)
{
    if (w->used && !w->failed) {
        if (fwrite(w->buf, 1, w->used, w->f) != w->used) w->failed = true;
    }
    w->used = 0;
    return w->failed ? -1 : 0;
}

/* Append n bytes to the buffer, spilling to the file when it fills. */
static void wput(struct ts_pcap_writer *w, const uint8_t *p, size_t n)
{
    if (w->failed) return;
    if (w->used + n > sizeof w->buf) {
        wflush(w);
        if (n > sizeof w->buf) {
            if (!w->failed && fwrite(p, 1, n, w->f) != n) w->failed = true;
            return;
        }
    }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
}

struct ts_pcap_writer *ts_pcap_open_stream(FILE *f, bool own, bool write_header)
{
    struct ts_pcap_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->f = f;
    w->own = own;
    if (write_header) {
        uint8_t h[TS_PCAP_GLOBAL_HLEN] = {0};
        put_le32(h, PCAP_MAGIC_US);
        put_le16(h + 4, 2);
        put_le16(h + 6, 4);
        put_le32(h + 16, TS_PCAP_SNAPLEN);
        put_le32(h + 20, TS_PCAP_LINKTYPE_ETHERNET);
        wput(w, h, sizeof h);
    }
    return w;
}

struct ts_pcap_writer *ts_pcap_open(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    struct ts_pcap_writer *w = ts_pcap_open_stream(f, true, true);
    if (!w) {
        fclose(f);
        errno = ENOMEM;
    }
    return w;
}

int ts_pcap_write(struct ts_pcap_writer *w, ts_time_t t, const uint8_t *frame, size_t len)
{
    uint8_t h[TS_PCAP_REC_HLEN];
    size_t incl = len > TS_PCAP_SNAPLEN ? TS_PCAP_SNAPLEN : len;
    put_le32(h, (uint32_t)(t / 1000000u));
    put_le32(h + 4, (uint32_t)(t % 1000000u));
    put_le32(h + 8, (uint32_t)incl);
    put_le32(h + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    wput(w, h, sizeof h);
    wput(w, frame, incl);
    w->count++;
    return w->failed ? -1 : 0;
}

int ts_pcap_flush(struct ts_pcap_writer *w)
{
    if (wflush(w) < 0) return -1;
    if (fflush(w->f) != 0) w->failed = true;
    return w->failed ? -1 : 0;
}

int ts_pcap_close(struct ts_pcap_writer *w)
{
    if (!w) return 0;
    int rc = ts_pcap_flush(w);
    if (w->own && fclose(w->f) != 0) rc = -1;
    free(w);
    return rc;
}

uint64_t ts_pcap_count(const struct ts_pcap_writer *w) { return w->count; }

/* ------------------------------------------------------------------------------------------ */
/* reader                                                                                     */

struct ts_pcap_reader {
    FILE *f;
    bool own;
    bool swapped;          /* file is big-endian */
    bool nanos;
    uint32_t snaplen, linktype;
    uint64_t offset;       /* byte offset of the next record */
    uint8_t *buf;
};

static void seterr(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static uint32_t rd32(const struct ts_pcap_reader *r, const uint8_t *p)
{
    return r->swapped ? ts_get32(p) : get_le32(p);
}

/* Check the global header h; fills r or writes why not into err. */
static bool parse_global(struct ts_pcap_reader *r, const uint8_t *h, char *err, size_t cap)
{
    uint32_t m = get_le32(h);
    if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS) {
        r->swapped = false;
    } else if (ts_get32(h) == PCAP_MAGIC_US || ts_get32(h) == PCAP_MAGIC_NS) {
        r->swapped = true;
        m = ts_get32(h);
    } else if (m == PCAPNG_MAGIC) {
        seterr(err, cap, "pcapng file: only classic pcap is read (convert: editcap -F pcap IN OUT)");
        return false;
    } else {
        seterr(err, cap, "not a pcap file (magic 0x%08x)", m);
        return false;
    }
    r->nanos = m == PCAP_MAGIC_NS;
    uint16_t major = r->swapped ? ts_get16(h + 4) : (uint16_t)(h[4] | (h[5] << 8));
    if (major != 2) {
        seterr(err, cap, "unsupported pcap version %u", major);
        return false;
    }
    r->snaplen = rd32(r, h + 16);
    r->linktype = rd32(r, h + 20) & 0xffffu;
    if (r->snaplen == 0) {
        seterr(err, cap, "bad snaplen 0 in the pcap header");
        return false;
    }
    return true;
}

struct ts_pcap_reader *ts_pcap_reader_stream(FILE *f, bool own, char *err, size_t errcap)
{
    struct ts_pcap_reader *r = calloc(1, sizeof *r);
    uint8_t h[TS_PCAP_GLOBAL_HLEN];
    if (!r) {
        seterr(err, errcap, "out of memory");
        goto fail;
    }
    r->f = f;
    r->own = own;
    size_t n = fread(h, 1, sizeof h, f);
    if (n != sizeof h) {
        seterr(err, errcap, n == 0 ? "empty file: no pcap header" : "truncated pcap header (%zu of 24 bytes)", n);
        goto fail;
    }
    if (!parse_global(r, h, err, errcap)) goto fail;
    uint32_t cap = r->snaplen < TS_PCAP_SNAPLEN ? r->snaplen : TS_PCAP_SNAPLEN;
    r->buf = malloc(cap ? cap : 1);
    if (!r->buf) {
        seterr(err, errcap, "out of memory");
        goto fail;
    }
    r->offset = TS_PCAP_GLOBAL_HLEN;
    return r;
fail:
    if (own) fclose(f);
    free(r);
    return NULL;
}

struct ts_pcap_reader *ts_pcap_reader_open(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    return ts_pcap_reader_stream(f, true, err, errcap);
}

uint32_t ts_pcap_reader_linktype(const struct ts_pcap_reader *r) { return r->linktype; }
uint32_t ts_pcap_reader_snaplen(const struct ts_pcap_reader *r) { return r->snaplen; }

int ts_pcap_read(struct ts_pcap_reader *r, struct ts_pcap_rec *rec, char *err, size_t errcap)
{
    uint8_t h[TS_PCAP_REC_HLEN];
    size_t n = fread(h, 1, sizeof h, r->f);
    if (n == 0 && feof(r->f)) return 0;
    if (n != sizeof h) {
        seterr(err, errcap, "truncated record header at byte %llu (%zu of 16 bytes)",
               (unsigned long long)r->offset, n);
        return -1;
    }
    uint32_t sec = rd32(r, h), frac = rd32(r, h + 4);
    uint32_t incl = rd32(r, h + 8), orig = rd32(r, h + 12);
    uint32_t limit = r->snaplen < TS_PCAP_SNAPLEN ? r->snaplen : TS_PCAP_SNAPLEN;
    if (frac >= (r->nanos ? 1000000000u : 1000000u)) {
        seterr(err, errcap, "record at byte %llu: bad sub-second timestamp %u",
               (unsigned long long)r->offset, frac);
        return -1;
    }
    if (incl > limit) {
        seterr(err, errcap, "record at byte %llu: length %u exceeds the snaplen %u",
               (unsigned long long)r->offset, incl, limit);
        return -1;
    }
    if (orig < incl) {
        seterr(err, errcap, "record at byte %llu: stored length %u exceeds original length %u",
               (unsigned long long)r->offset, incl, orig);
        return -1;
    }
    n = fread(r->buf, 1, incl, r->f);
    if (n != incl) {
        seterr(err, errcap, "truncated record at byte %llu (%zu of %u bytes)",
               (unsigned long long)r->offset, n, incl);
        return -1;
    }
    rec->t = (ts_time_t)sec * 1000000u + (r->nanos ? frac / 1000u : frac);
    rec->incl_len = incl;
    rec->orig_len = orig;
    rec->data = r->buf;
    r->offset += TS_PCAP_REC_HLEN + incl;
    return 1;
}

void ts_pcap_reader_close(struct ts_pcap_reader *r)
{
    if (!r) return;
    if (r->own) fclose(r->f);
    free(r->buf);
    free(r);
}
