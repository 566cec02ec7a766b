/*
 * The time-sequence graph (contract in plot.h): for each direction that sent data (or SYN/FIN),
 * a panel with x time since the conversation's first segment and y the sequence offset from the
 * direction's ISN, in bytes.
 *
 *   data        a vertical bar from seq to seq+len at the time the segment was seen (tcptrace's I-beam)
 *   retransmit  the same in its own colour
 *   ack         the cumulative ACK the other side sent, as a step line
 *   window      the right edge of the window the other side advertised (ack + scaled window)
 *   sack        the SACK blocks the other side sent, short thick bars
 *   zwp, rto    triangles above the segment: zero-window probe, retransmission timeout
 *   zerowin     a diamond on the window line where the other side advertised a zero window
 *
 * When a class has more marks than the plot has pixel columns times TS_SEQ_AGG_FACTOR, its marks
 * are aggregated: one bar per pixel column from the lowest to the highest sequence in it (and the
 * first, lowest, highest, last points of the lines), so 100,000 segments draw as about a thousand
 * elements and the picture stays the same at screen resolution.
 */
#include "plot/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_an.h"
#include "plot/svg.h"
#include "wire/tcp.h"

#define SVG_W 1000u
#define PANEL_H 540u
#define TOP_H 36u
#define PLOT_X 90.0
#define PLOT_W 860.0
#define PLOT_TOP 46.0      /* within a panel */
#define PLOT_H 380.0
#define NCOLS 860u
#define TS_SEQ_AGG_FACTOR 2u
#define MARKS_MAX 400u     /* zwp, rto, zerowin drawn one by one up to this many */

struct panel {
    const struct ts_plot_conv *conv;
    const struct ts_plot_an *an;
    int dir;
    double top;                 /* y of the panel's top in the document */
    ts_time_t t0, t1;
    int64_t vmin, vmax;
    bool ms;                    /* time axis in milliseconds */
};

struct col {
    int64_t lo, hi;
    uint32_t n;
};

static double px(const struct panel *p, ts_time_t t)
{
    double span = (double)(p->t1 - p->t0);
    return PLOT_X + (t <= p->t0 ? 0.0 : (double)(t - p->t0) / span * PLOT_W);
}

static double py(const struct panel *p, int64_t v)
{
    double y = p->top + PLOT_TOP + PLOT_H - (double)(v - p->vmin) / (double)(p->vmax - p->vmin) * PLOT_H;
    /* the window line may run above the plot (clipped); keep coordinates sane */
    if (y < p->top + PLOT_TOP - 20) y = p->top + PLOT_TOP - 20;
    if (y > p->top + PLOT_TOP + PLOT_H + 20) y = p->top + PLOT_TOP + PLOT_H + 20;
    return y;
}

static unsigned col_of(const struct panel *p, ts_time_t t)
{
    double c = (px(p, t) - PLOT_X) / PLOT_W * NCOLS;
    return c < 0 ? 0 : c >= NCOLS ? NCOLS - 1 : (unsigned)c;
}

static unsigned decimals_for(double step)
{
    unsigned d = 0;
    for (double s = step; s < 0.999 && d < 6; s *= 10) d++;
    return d;
}

static void draw_axes(const struct panel *p, struct ts_nsbuf *out)
{
    double x0 = PLOT_X, x1 = PLOT_X + PLOT_W, y0 = p->top + PLOT_TOP, y1 = y0 + PLOT_H;
    double span_s = (double)(p->t1 - p->t0) / 1e6, scale = p->ms ? 1000.0 : 1.0, first, step;
    ts_nsbuf_puts(out, "<g class=\"axis\">\n");
    ts_nsbuf_printf(out, "<path d=\"M%.1f,%.1fV%.1fH%.1f\"/>\n", x0, y0, y1, x1);
    ts_svg_ticks(0, span_s * scale, 10, &first, &step);
    unsigned dec = decimals_for(step);
    for (double v = first; v <= span_s * scale + step * 1e-9; v += step) {
        double x = x0 + v / (span_s * scale) * PLOT_W;
        ts_nsbuf_printf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y0, x, y1);
        ts_nsbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, y1, x, y1 + 5);
        ts_svg_text(out, x, y1 + 18, NULL, "middle", "%.*f", (int)dec, v);
    }
    ts_svg_text(out, x0 + PLOT_W / 2, y1 + 36, NULL, "middle", "time since the first segment (%s)",
                p->ms ? "ms" : "s");
    ts_svg_ticks((double)p->vmin, (double)p->vmax, 9, &first, &step);
    if (step < 1) {                          /* sequence numbers are whole bytes */
        step = 1;
        first = (double)p->vmin;
    }
    for (double v = first; v <= (double)p->vmax; v += step) {
        double y = py(p, (int64_t)v);
        char b[16];
        ts_nsbuf_printf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0, y, x1, y);
        ts_nsbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0 - 5, y, x0, y);
        ts_svg_text(out, x0 - 8, y + 4, NULL, "end", "%s", ts_svg_bytes(v, b, sizeof b));
    }
    ts_nsbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">"
                         "sequence offset from the ISN (bytes)</text>\n",
                    24.0, y0 + PLOT_H / 2, 24.0, y0 + PLOT_H / 2);
    ts_nsbuf_puts(out, "</g>\n");
}

/* One I-beam: a vertical bar from lo to hi with short ends. */
static void ibeam(struct ts_nsbuf *out, double x, double ylo, double yhi)
{
    if (ylo - yhi < 1) yhi = ylo - 1;
    ts_nsbuf_printf(out, "M%.1f,%.1fV%.1fM%.1f,%.1fh4M%.1f,%.1fh4", x, ylo, yhi, x - 2, ylo, x - 2, yhi);
}

static bool is_data_of(const struct panel *p, size_t i, uint8_t want)
{
    const struct ts_plot_mark *m = &p->an->m[i];
    if (p->conv->segs[i].dir != p->dir || !(m->kind & TS_PA_DATA)) return false;
    bool retx = (m->kind & TS_PA_RETX) != 0;
    return want == TS_PA_RETX ? retx : !retx;
}

/* The data or retransmit class: each segment, or one bar per pixel column. */
static int draw_segments(const struct panel *p, struct ts_nsbuf *out, uint8_t want, const char *cls)
{
    size_t count = 0;
    for (size_t i = 0; i < p->conv->nsegs; i++) count += is_data_of(p, i, want);
    if (count == 0) return 0;
    if (count <= NCOLS * TS_SEQ_AGG_FACTOR) {
        for (size_t i = 0; i < p->conv->nsegs; i++) {
            if (!is_data_of(p, i, want)) continue;
            const struct ts_plot_mark *m = &p->an->m[i];
            ts_nsbuf_printf(out, "<path class=\"%s\" d=\"", cls);
            ibeam(out, px(p, p->conv->segs[i].t), py(p, m->seq), py(p, m->end));
            ts_nsbuf_puts(out, "\"/>\n");
        }
        return 0;
    }
    struct col *c = calloc(NCOLS, sizeof *c);
    if (!c) return -1;
    for (size_t i = 0; i < p->conv->nsegs; i++) {
        if (!is_data_of(p, i, want)) continue;
        const struct ts_plot_mark *m = &p->an->m[i];
        struct col *k = &c[col_of(p, p->conv->segs[i].t)];
        if (k->n == 0 || m->seq < k->lo) k->lo = m->seq;
        if (k->n == 0 || m->end > k->hi) k->hi = m->end;
        k->n++;
    }
    ts_nsbuf_printf(out, "<g class=\"aggregated\"><desc>%zu segments, one bar per pixel column</desc>\n", count);
    for (unsigned j = 0; j < NCOLS; j++) {
        if (!c[j].n) continue;
        double x = PLOT_X + (j + 0.5) * PLOT_W / NCOLS, ylo = py(p, c[j].lo), yhi = py(p, c[j].hi);
        if (ylo - yhi < 1) yhi = ylo - 1;
        ts_nsbuf_printf(out, "<path class=\"%s\" d=\"M%.1f,%.1fV%.1f\"/>\n", cls, x, ylo, yhi);
    }
    ts_nsbuf_puts(out, "</g>\n");
    free(c);
    return 0;
}

static bool is_ack_for(const struct panel *p, size_t i)
{
    return p->conv->segs[i].dir != p->dir && (p->an->m[i].kind & TS_PA_ACK);
}

/* The ACK and window lines: every step, or first/lowest/highest/last per pixel column. */
static int draw_lines(const struct panel *p, struct ts_nsbuf *out)
{
    size_t count = 0;
    for (size_t i = 0; i < p->conv->nsegs; i++) count += is_ack_for(p, i);
    if (count == 0) return 0;
    bool agg = count > NCOLS * TS_SEQ_AGG_FACTOR;
    for (int line = 0; line < 2; line++) {
        ts_nsbuf_printf(out, "<polyline class=\"%s\" clip-path=\"url(#clip%d)\" points=\"", line ? "window" : "ack",
                        p->dir);
        bool first = true;
        double prev_y = 0;
        unsigned cur = NCOLS;
        int64_t lo = 0, hi = 0, last = 0;
        for (size_t i = 0; i < p->conv->nsegs; i++) {
            if (!is_ack_for(p, i)) continue;
            const struct ts_plot_mark *m = &p->an->m[i];
            int64_t v = line ? m->edge : m->ack;
            double x = px(p, p->conv->segs[i].t), y = py(p, v);
            if (!agg) {
                if (!first) ts_nsbuf_printf(out, "%.1f,%.1f ", x, prev_y);
                ts_nsbuf_printf(out, "%.1f,%.1f ", x, y);
                first = false;
                prev_y = y;
                continue;
            }
            unsigned k = col_of(p, p->conv->segs[i].t);
            if (k != cur) {
                if (cur != NCOLS) {
                    double cx = PLOT_X + (cur + 0.5) * PLOT_W / NCOLS;
                    ts_nsbuf_printf(out, "%.1f,%.1f %.1f,%.1f %.1f,%.1f ", cx, py(p, lo), cx, py(p, hi), cx, py(p, last));
                }
                double cx = PLOT_X + (k + 0.5) * PLOT_W / NCOLS;
                ts_nsbuf_printf(out, "%.1f,%.1f ", cx, y);
                cur = k;
                lo = hi = v;
            }
            if (v < lo) lo = v;
            if (v > hi) hi = v;
            last = v;
        }
        if (agg && cur != NCOLS) {
            double cx = PLOT_X + (cur + 0.5) * PLOT_W / NCOLS;
            ts_nsbuf_printf(out, "%.1f,%.1f %.1f,%.1f %.1f,%.1f", cx, py(p, lo), cx, py(p, hi), cx, py(p, last));
        }
        ts_nsbuf_puts(out, "\"/>\n");
    }
    return 0;
}

/* The SACK blocks the other side reported about this direction's data. */
static int draw_sacks(const struct panel *p, struct ts_nsbuf *out)
{
    size_t count = 0;
    for (size_t i = 0; i < p->conv->nsegs; i++)
        if (is_ack_for(p, i)) count += p->conv->segs[i].nsack;
    if (count == 0) return 0;
    bool agg = count > NCOLS * TS_SEQ_AGG_FACTOR;
    struct col *c = agg ? calloc(NCOLS, sizeof *c) : NULL;
    if (agg && !c) return -1;
    for (size_t i = 0; i < p->conv->nsegs; i++) {
        if (!is_ack_for(p, i)) continue;
        const struct ts_plot_seg *s = &p->conv->segs[i];
        for (unsigned b = 0; b < s->nsack; b++) {
            int64_t l = ts_plot_rel_near(p->an->m[i].ack, s->ack, s->sack[b][0]);
            int64_t r = ts_plot_rel_near(p->an->m[i].ack, s->ack, s->sack[b][1]);
            if (r < l) continue;
            if (!agg) {
                double x = px(p, s->t) + 2, ylo = py(p, l), yhi = py(p, r);
                if (ylo - yhi < 1) yhi = ylo - 1;
                ts_nsbuf_printf(out, "<path class=\"sack\" d=\"M%.1f,%.1fV%.1f\"/>\n", x, ylo, yhi);
                continue;
            }
            struct col *k = &c[col_of(p, s->t)];
            if (k->n == 0 || l < k->lo) k->lo = l;
            if (k->n == 0 || r > k->hi) k->hi = r;
            k->n++;
        }
    }
    if (agg) {
        ts_nsbuf_printf(out, "<g class=\"aggregated\"><desc>%zu SACK blocks, one bar per pixel column</desc>\n", count);
        for (unsigned j = 0; j < NCOLS; j++) {
            if (!c[j].n) continue;
            double x = PLOT_X + (j + 0.5) * PLOT_W / NCOLS;
            ts_nsbuf_printf(out, "<path class=\"sack\" d=\"M%.1f,%.1fV%.1f\"/>\n", x, py(p, c[j].lo), py(p, c[j].hi) - 1);
        }
        ts_nsbuf_puts(out, "</g>\n");
    }
    free(c);
    return 0;
}

/* A marker (triangle or diamond) per segment with kind bit `bit` in direction `from`, at most
 * MARKS_MAX one by one, else one per pixel column. */
static void draw_marks(const struct panel *p, struct ts_nsbuf *out, uint8_t bit, bool own, const char *cls,
                       const char *what)
{
    size_t count = 0;
    for (size_t i = 0; i < p->conv->nsegs; i++)
        if ((p->conv->segs[i].dir == p->dir) == own && (p->an->m[i].kind & bit)) count++;
    if (count == 0) return;
    bool agg = count > MARKS_MAX;
    unsigned last_col = NCOLS;
    for (size_t i = 0; i < p->conv->nsegs; i++) {
        const struct ts_plot_mark *m = &p->an->m[i];
        if ((p->conv->segs[i].dir == p->dir) != own || !(m->kind & bit)) continue;
        if (agg) {
            unsigned k = col_of(p, p->conv->segs[i].t);
            if (k == last_col) continue;
            last_col = k;
        }
        double x = px(p, p->conv->segs[i].t);
        if (own) {
            double y = py(p, m->end) - 4;
            ts_nsbuf_printf(out, "<path class=\"%s\" d=\"M%.1f,%.1fl-4,-7h8z\"><title>%s</title></path>\n", cls, x, y,
                            what);
        } else {
            double y = py(p, m->edge);
            ts_nsbuf_printf(out, "<path class=\"%s\" d=\"M%.1f,%.1fl4,4l-4,4l-4,-4z\"><title>%s</title></path>\n", cls,
                            x, y - 4, what);
        }
    }
}

static void legend_item(struct ts_nsbuf *out, double x, double y, const char *cls, const char *shape,
                        const char *label)
{
    /* "swatch" first: counting class="data" elements finds the marks, not the legend */
    ts_nsbuf_printf(out, "<g class=\"item\"><path class=\"swatch %s\" d=\"M%.1f,%.1f%s\"/>", cls, x, y, shape);
    ts_svg_text(out, x + 16, y + 4, "small", NULL, "%s", label);
    ts_nsbuf_puts(out, "</g>\n");
}

static void draw_legend(const struct panel *p, struct ts_nsbuf *out)
{
    double y = p->top + PLOT_TOP + PLOT_H + 62, x = PLOT_X;
    ts_nsbuf_printf(out, "<g class=\"legend\"><rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"24\"/>\n",
                    x - 6, y - 12, PLOT_W + 12);
    static const struct { const char *cls, *shape, *label; double w; } items[] = {
        { "data", "m4,-6v12", "data segment", 110 },
        { "retransmit", "m4,-6v12", "retransmission", 115 },
        { "ack", "h12", "cumulative ACK", 120 },
        { "window", "h12", "window right edge", 135 },
        { "sack", "m4,-6v12", "SACK block", 95 },
        { "rto", "m4,4l-4,-7h8z", "RTO", 55 },
        { "zwp", "m4,4l-4,-7h8z", "zero-window probe", 135 },
        { "zerowin", "m4,-4l4,4l-4,4l-4,-4z", "zero window", 100 },
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        legend_item(out, x, y, items[i].cls, items[i].shape, items[i].label);
        x += items[i].w;
    }
    ts_nsbuf_puts(out, "</g>\n");
}

static void panel_title(const struct panel *p, struct ts_nsbuf *out)
{
    const struct ts_plot_conv *cv = p->conv;
    const struct ts_plot_dirsum *d = &p->an->d[p->dir];
    char a[48], b[48], n1[32], n2[32], n3[32], n4[32];
    snprintf(a, sizeof a, "%u.%u.%u.%u:%u", cv->ip[p->dir] >> 24, (cv->ip[p->dir] >> 16) & 255,
             (cv->ip[p->dir] >> 8) & 255, cv->ip[p->dir] & 255, cv->port[p->dir]);
    snprintf(b, sizeof b, "%u.%u.%u.%u:%u", cv->ip[!p->dir] >> 24, (cv->ip[!p->dir] >> 16) & 255,
             (cv->ip[!p->dir] >> 8) & 255, cv->ip[!p->dir] & 255, cv->port[!p->dir]);
    ts_nsbuf_printf(out, "<g class=\"summary\" data-dir=\"%d\" data-bytes=\"%llu\" data-segments=\"%llu\" "
                         "data-retransmits=\"%llu\" data-rto=\"%llu\" data-zwp=\"%llu\">\n",
                    p->dir, (unsigned long long)d->bytes, (unsigned long long)d->data_segs,
                    (unsigned long long)d->retx, (unsigned long long)d->rto, (unsigned long long)d->zwp);
    ts_svg_text(out, PLOT_X, p->top + 18, "title", NULL, "%s \u2192 %s", a, b);
    ts_svg_text(out, PLOT_X, p->top + 34, "small", NULL,
                "%s bytes sent in %s segments; %s bytes retransmitted in %s segments (%llu after an RTO); "
                "%llu zero-window probes; %llu SACK blocks from the receiver%s",
                ts_svg_count(d->bytes, n1, sizeof n1), ts_svg_count(d->data_segs, n2, sizeof n2),
                ts_svg_count(d->retx_bytes, n3, sizeof n3), ts_svg_count(d->retx, n4, sizeof n4),
                (unsigned long long)d->rto, (unsigned long long)d->zwp,
                (unsigned long long)p->an->d[!p->dir].sack_blocks,
                p->an->wscale_known ? "" : "; window scale unknown (opening not captured)");
    ts_nsbuf_puts(out, "</g>\n");
}

static int draw_panel(struct panel *p, struct ts_nsbuf *out)
{
    const struct ts_plot_dirsum *d = &p->an->d[p->dir], *o = &p->an->d[!p->dir];
    p->vmin = d->data_segs && d->seq_min < 0 ? d->seq_min : 0;
    p->vmax = d->data_segs ? d->seq_max : 1;
    if (o->acks && o->ack_max > p->vmax) p->vmax = o->ack_max;
    int64_t span = p->vmax - p->vmin;
    if (span < 1) span = 1;
    if (o->acks && o->edge_max > p->vmax) /* the window edge, but not so far that the data is squeezed */
        p->vmax = o->edge_max < p->vmax + span / 3 + 1 ? o->edge_max : p->vmax + span / 3 + 1;
    if (p->vmax <= p->vmin) p->vmax = p->vmin + 1;
    ts_nsbuf_printf(out, "<g class=\"direction\" data-dir=\"%d\">\n", p->dir);
    ts_nsbuf_printf(out, "<clipPath id=\"clip%d\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath>\n",
                    p->dir, PLOT_X, p->top + PLOT_TOP, PLOT_W, PLOT_H);
    panel_title(p, out);
    draw_axes(p, out);
    int r = draw_lines(p, out);
    if (r == 0) r = draw_sacks(p, out);
    if (r == 0) r = draw_segments(p, out, 0, "data");
    if (r == 0) r = draw_segments(p, out, TS_PA_RETX, "retransmit");
    draw_marks(p, out, TS_PA_RTO, true, "rto", "retransmission timeout");
    draw_marks(p, out, TS_PA_ZWP, true, "zwp", "zero-window probe");
    draw_marks(p, out, TS_PA_ZEROWIN, false, "zerowin", "zero window advertised");
    draw_legend(p, out);
    ts_nsbuf_puts(out, "</g>\n");
    return r;
}

int ts_plot_seq_svg(const struct ts_plot_conv *conv, struct ts_nsbuf *out)
{
    struct ts_plot_an an;
    if (ts_plot_analyse(conv, &an) < 0) return -1;
    int dirs[2], nd = 0;
    /* the directions that sent data; else those that sent SYN or FIN; else side 0's */
    for (int k = 0; k < 2; k++)
        if (an.d[k].bytes) dirs[nd++] = k;
    if (nd == 0)
        for (int k = 0; k < 2; k++)
            if (an.d[k].data_segs) dirs[nd++] = k;
    if (nd == 0) dirs[nd++] = 0;
    char stem[64];
    ts_plot_conv_stem(conv, stem, sizeof stem);
    char title[128];
    snprintf(title, sizeof title, "time-sequence graph of %s", stem);
    ts_svg_begin(out, SVG_W, TOP_H + PANEL_H * (unsigned)nd, title);
    ts_svg_text(out, PLOT_X, 22, "title", NULL, "Time-sequence graph: %s", stem);
    int r = 0;
    for (int i = 0; i < nd && r == 0; i++) {
        struct panel p = { .conv = conv, .an = &an, .dir = dirs[i], .top = TOP_H + PANEL_H * (double)i,
                           .t0 = an.t0, .t1 = an.t1 > an.t0 ? an.t1 : an.t0 + 1000 };
        p.ms = p.t1 - p.t0 < TS_SEC(2);
        r = draw_panel(&p, out);
    }
    ts_svg_end(out);
    ts_plot_an_free(&an);
    return r == 0 && !out->failed ? 0 : -1;
}
