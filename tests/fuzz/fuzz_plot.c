/*
 * Fuzz target: the pictures of a connection (stack/plot) over any frames. The input is
 *   byte 0           which link type (Ethernet, Linux cooked v1/v2, raw IP, BSD loopback)
 *   then records     2 bytes length, 2 bytes time step in microseconds (big-endian), the frame
 * Every frame goes to the capture's conversation table and to a small live record; then both
 * pictures of each conversation (and of each recorded one) are drawn into a bounded buffer. The
 * drawing must never crash or read past anything, must end cut short or as a whole document, and
 * a whole document must be well-formed: tags nested and closed in order, attribute values quoted
 * without '<', every '&' an entity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "plot/plot_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CONVS_DRAWN 4u

static const uint32_t LINKS[] = { TS_PLOT_LINK_ETHERNET, TS_PLOT_LINK_SLL, TS_PLOT_LINK_SLL2, TS_PLOT_LINK_RAW,
                                  TS_PLOT_LINK_NULL, TS_PLOT_LINK_RAW_ALT };

static bool entity_ok(const char *p)
{
    static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    for (size_t i = 0; i < 5; i++)
        if (strncmp(p, ents[i], strlen(ents[i])) == 0) return true;
    return false;
}

static void check_xml(const char *s)
{
    char stack[64][32];
    int depth = 0;
    if (strncmp(s, "<?xml", 5) != 0) abort();
    s = strstr(s, "?>") + 2;
    while (*s) {
        if (*s == '&' && !entity_ok(s)) abort();
        if (*s != '<') {
            s++;
            continue;
        }
        if (s[1] == '/') {
            size_t n = strcspn(s + 2, ">");
            if (depth == 0 || n != strlen(stack[depth - 1]) || strncmp(s + 2, stack[depth - 1], n) != 0) abort();
            depth--;
            s += 3 + n;
            continue;
        }
        size_t n = strcspn(s + 1, " />\n");
        if (n == 0 || n >= 32 || depth == 64) abort();
        const char *p = s + 1 + n;
        while (*p && *p != '>' && !(p[0] == '/' && p[1] == '>')) {
            if (*p == '"') {
                for (p++; *p && *p != '"'; p++)
                    if (*p == '<' || (*p == '&' && !entity_ok(p))) abort();
                if (!*p) abort();
            }
            p++;
        }
        if (!*p) abort();
        if (*p == '/') {
            p += 2;
        } else {
            memcpy(stack[depth], s + 1, n);
            stack[depth++][n] = '\0';
            p++;
        }
        s = p;
    }
    if (depth != 0) abort();
}

static void draw_both(const struct ts_plot_conv *cv)
{
    int (*const fns[2])(const struct ts_plot_conv *, struct ts_nsbuf *) = { ts_plot_seq_svg, ts_plot_ladder_svg };
    for (int i = 0; i < 2; i++) {
        struct ts_nsbuf b;
        ts_nsbuf_init(&b, 4u << 20);
        int r = fns[i](cv, &b);
        if (r == 0) {
            if (!b.data || b.failed) abort();
            check_xml(b.data);
        }
        ts_nsbuf_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint32_t link = LINKS[data[0] % (sizeof LINKS / sizeof LINKS[0])];
    struct ts_plot_convs convs;
    ts_plot_convs_init(&convs, 20000);
    struct ts_plot_rec *rec = ts_plot_rec_new(3, 64);
    if (!rec) return 0;
    ts_time_t t = 1000;
    size_t off = 1;
    while (off + 4 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        t += (ts_time_t)data[off + 2] << 8 | data[off + 3];
        off += 4;
        if (len > size - off) len = size - off;
        uint8_t *frame = malloc(len ? len : 1);        /* exact size: ASan sees any overread */
        if (!frame) break;
        memcpy(frame, data + off, len);
        ts_plot_convs_add(&convs, link, t, frame, len);
        if (link == TS_PLOT_LINK_ETHERNET) ts_plot_rec_frame(rec, t, frame, len);
        free(frame);
        off += len;
    }
    for (size_t i = 0; i < convs.n && i < MAX_CONVS_DRAWN; i++) {
        draw_both(&convs.v[i]);
        char stem[64];
        ts_plot_conv_stem(&convs.v[i], stem, sizeof stem);
        struct ts_plot_conv live;
        if (ts_plot_rec_get(rec, stem, &live) == 0) {
            draw_both(&live);
            free(live.segs);
        }
    }
    ts_plot_rec_free(rec);
    ts_plot_convs_free(&convs);
    return 0;
}
