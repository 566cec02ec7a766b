/*
 * The sequence diagram (contract in plot.h): side 0 on the left, side 1 on the right, time down
 * the page one row per segment (the rows are evenly spaced; each carries its time since the first
 * segment), one arrow per segment from its sender to its receiver with a label like the trace's
 * (flags, relative seq and ack, window, length, options), the inferred state changes beside each
 * timeline. Long conversations show the first and last TS_PLOT_LADDER_KEEP segments and a box
 * summing up the middle.
 */
#include "plot/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_an.h"
#include "plot/svg.h"
#include "wire/tcp.h"

#define L_W 1000u
#define L_X0 250.0
#define L_X1 750.0
#define L_TOP 84.0
#define L_ROW 28.0
#define L_SLANT 14.0
#define L_SUMMARY_H 96.0
#define L_LABEL_MAX 96u

struct ladder {
    const struct ts_plot_conv *conv;
    const struct ts_plot_an *an;
    struct ts_plot_state_ev ev[TS_PLOT_STATES_MAX];
    size_t nev;
    struct ts_nsbuf *out;
};

/* tcpdump's flag letters: S F R P U E W, '.' for ACK, "none". buf >= 12. */
static const char *flag_str(uint8_t f, char *buf)
{
    static const struct { uint8_t bit; char c; } map[] = {
        { TS_TCP_SYN, 'S' }, { TS_TCP_FIN, 'F' }, { TS_TCP_RST, 'R' }, { TS_TCP_PSH, 'P' },
        { TS_TCP_URG, 'U' }, { TS_TCP_ECE, 'E' }, { TS_TCP_CWR, 'W' }, { TS_TCP_ACK, '.' },
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (f & map[i].bit) buf[n++] = map[i].c;
    if (n == 0) memcpy(buf, "none", 5);
    else buf[n] = '\0';
    return buf;
}

static void label_opts(char *b, size_t cap, const struct ts_plot_seg *s, const struct ts_plot_mark *m)
{
    size_t n = 0;
    b[0] = '\0';
#define ADD(...) do { if (n < cap) n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__); } while (0)
    if (s->mss) ADD("%smss %u", n ? "," : "", s->mss);
    if (s->sack_ok) ADD("%ssackOK", n ? "," : "");
    if (s->has_ts) ADD("%sTS val %u ecr %u", n ? "," : "", s->ts_val, s->ts_ecr);
    if (s->wscale != 0xff) ADD("%swscale %u", n ? "," : "", s->wscale);
    for (unsigned i = 0; i < s->nsack; i++) {
        int64_t l = ts_plot_rel_near(m->ack, s->ack, s->sack[i][0]), r = ts_plot_rel_near(m->ack, s->ack, s->sack[i][1]);
        ADD("%s%s %lld:%lld", n ? "," : "", i == 0 ? "sack" : "", (long long)l, (long long)r);
    }
#undef ADD
}

/* "Flags [P.], seq 1:1449, ack 1, win 502, length 1448, options [...]" (relative numbers). */
static void label_of(const struct ladder *L, size_t i, char *b, size_t cap)
{
    const struct ts_plot_seg *s = &L->conv->segs[i];
    const struct ts_plot_mark *m = &L->an->m[i];
    char fl[12], opts[256];
    size_t n = (size_t)snprintf(b, cap, "Flags [%s], seq %lld", flag_str(s->flags, fl), (long long)m->seq);
    if (s->len && n < cap) n += (size_t)snprintf(b + n, cap - n, ":%lld", (long long)(m->seq + s->len));
    if ((s->flags & TS_TCP_ACK) && n < cap) n += (size_t)snprintf(b + n, cap - n, ", ack %lld", (long long)m->ack);
    if (n < cap) n += (size_t)snprintf(b + n, cap - n, ", win %u, length %u", s->win, s->len);
    label_opts(opts, sizeof opts, s, m);
    if (opts[0] && n < cap) n += (size_t)snprintf(b + n, cap - n, ", options [%s]", opts);
    if ((m->kind & TS_PA_RETX) && n < cap) snprintf(b + n, cap - n, " (retransmission%s)", (m->kind & TS_PA_RTO) ? " after RTO" : "");
    else if ((m->kind & TS_PA_ZWP) && n < cap) snprintf(b + n, cap - n, " (zero-window probe)");
    if (strlen(b) > L_LABEL_MAX) memcpy(b + L_LABEL_MAX - 3, "...", 4);
}

static void draw_states_at(const struct ladder *L, size_t seg, double y)
{
    for (size_t k = 0; k < L->nev && k < TS_PLOT_STATES_MAX; k++) {
        if (L->ev[k].seg != seg) continue;
        int side = L->ev[k].side;
        /* the sender changes as it sends (top of the arrow), the receiver as it receives */
        bool sender = L->conv->segs[seg].dir == side;
        double yy = y + (sender ? 0 : L_SLANT) + 4;
        if (side == 0) ts_svg_text(L->out, L_X0 - 8, yy, "state", "end", "%s", L->ev[k].state);
        else ts_svg_text(L->out, L_X1 + 8, yy, "state", NULL, "%s", L->ev[k].state);
    }
}

static void draw_row(const struct ladder *L, size_t i, double y)
{
    const struct ts_plot_seg *s = &L->conv->segs[i];
    const struct ts_plot_mark *m = &L->an->m[i];
    double xs = s->dir == 0 ? L_X0 : L_X1, xr = s->dir == 0 ? L_X1 : L_X0;
    char label[512];
    label_of(L, i, label, sizeof label);
    const char *extra = (m->kind & TS_PA_RETX) ? " retransmit" : (s->flags & TS_TCP_RST) ? " rst" : "";
    ts_nsbuf_printf(L->out, "<g class=\"segment%s\" data-seg=\"%zu\">", extra, i);
    ts_nsbuf_printf(L->out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" marker-end=\"url(#arrow)\"/>", xs, y,
                    xr, y + L_SLANT);
    ts_svg_text(L->out, (L_X0 + L_X1) / 2, y + L_SLANT / 2 - 5, "small", "middle", "%s", label);
    ts_nsbuf_puts(L->out, "</g>\n");
    ts_svg_text(L->out, 10, y + 4, "small", NULL, "%.6f", (double)(s->t - L->an->t0) / 1e6);
    draw_states_at(L, i, y);
}

/* The box that stands for segments [from, to): what each direction sent, the state changes. */
static void draw_summary(const struct ladder *L, size_t from, size_t to, double y)
{
    uint64_t segs[2] = { 0, 0 }, data[2] = { 0, 0 }, bytes[2] = { 0, 0 }, retx[2] = { 0, 0 }, rto[2] = { 0, 0 };
    for (size_t i = from; i < to; i++) {
        const struct ts_plot_seg *s = &L->conv->segs[i];
        uint8_t k = L->an->m[i].kind;
        segs[s->dir]++;
        if (k & TS_PA_DATA) data[s->dir]++;
        bytes[s->dir] += s->len;
        if (k & TS_PA_RETX) retx[s->dir]++;
        if (k & TS_PA_RTO) rto[s->dir]++;
    }
    char n1[32];
    double secs = (double)(L->conv->segs[to - 1].t - L->conv->segs[from].t) / 1e6;
    ts_nsbuf_printf(L->out, "<g class=\"summary\" data-segments=\"%zu\">\n", to - from);
    ts_nsbuf_printf(L->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\"/>\n", L_X0 - 60, y,
                    L_X1 - L_X0 + 120, L_SUMMARY_H - 16);
    ts_svg_text(L->out, (L_X0 + L_X1) / 2, y + 20, NULL, "middle", "\u22ee %s segments over %.3f s not drawn \u22ee",
                ts_svg_count(to - from, n1, sizeof n1), secs);
    for (int d = 0; d < 2; d++) {
        char b1[32];
        ts_svg_text(L->out, (L_X0 + L_X1) / 2, y + 40 + 16 * d, "small", "middle",
                    "%s: %llu segments, %llu with data (%s bytes), %llu retransmitted (%llu after an RTO)",
                    d == 0 ? "left \u2192 right" : "right \u2192 left", (unsigned long long)segs[d],
                    (unsigned long long)data[d], ts_svg_count(bytes[d], b1, sizeof b1), (unsigned long long)retx[d],
                    (unsigned long long)rto[d]);
    }
    ts_nsbuf_puts(L->out, "</g>\n");
    /* the state changes of the middle, beside the box */
    double sy = y + 16;
    for (size_t k = 0; k < L->nev && k < TS_PLOT_STATES_MAX && sy < y + L_SUMMARY_H; k++) {
        if (L->ev[k].seg < from || L->ev[k].seg >= to) continue;
        if (L->ev[k].side == 0) ts_svg_text(L->out, L_X0 - 68, sy, "state", "end", "%s", L->ev[k].state);
        else ts_svg_text(L->out, L_X1 + 68, sy, "state", NULL, "%s", L->ev[k].state);
        sy += 14;
    }
}

static void draw_header(const struct ladder *L, const char *initial[2], double bottom)
{
    const struct ts_plot_conv *cv = L->conv;
    char stem[64];
    ts_plot_conv_stem(cv, stem, sizeof stem);
    ts_svg_text(L->out, 10, 22, "title", NULL, "Sequence diagram: %s", stem);
    ts_nsbuf_puts(L->out, "<g class=\"axis\">\n");
    for (int d = 0; d < 2; d++) {
        double x = d == 0 ? L_X0 : L_X1;
        ts_svg_text(L->out, x, 48, "title", "middle", "%u.%u.%u.%u:%u", cv->ip[d] >> 24, (cv->ip[d] >> 16) & 255,
                    (cv->ip[d] >> 8) & 255, cv->ip[d] & 255, cv->port[d]);
        ts_nsbuf_printf(L->out, "<line class=\"timeline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, 58.0,
                        x, bottom);
    }
    ts_svg_text(L->out, 10, 48, "small", NULL, "time (s)");
    ts_nsbuf_puts(L->out, "</g>\n");
    ts_svg_text(L->out, L_X0 - 8, 70, "state", "end", "%s", initial[0]);
    ts_svg_text(L->out, L_X1 + 8, 70, "state", NULL, "%s", initial[1]);
}

int ts_plot_ladder_svg(const struct ts_plot_conv *conv, struct ts_nsbuf *out)
{
    struct ladder *L = calloc(1, sizeof *L);
    if (!L) return -1;
    L->conv = conv;
    L->out = out;
    struct ts_plot_an an;
    if (ts_plot_analyse(conv, &an) < 0) {
        free(L);
        return -1;
    }
    L->an = &an;
    const char *initial[2];
    L->nev = ts_plot_states(conv, initial, L->ev, TS_PLOT_STATES_MAX);
    size_t n = conv->nsegs;
    bool cut = n > TS_PLOT_LADDER_FULL;
    size_t head = cut ? TS_PLOT_LADDER_KEEP : n, tail_from = cut ? n - TS_PLOT_LADDER_KEEP : n;
    size_t rows = cut ? 2 * TS_PLOT_LADDER_KEEP : n;
    double bottom = L_TOP + rows * L_ROW + (cut ? L_SUMMARY_H : 0) + 10;
    char stem[64], title[128];
    ts_plot_conv_stem(conv, stem, sizeof stem);
    snprintf(title, sizeof title, "sequence diagram of %s", stem);
    ts_svg_begin(out, L_W, (unsigned)bottom + 20, title);
    draw_header(L, initial, bottom);
    double y = L_TOP;
    for (size_t i = 0; i < head; i++, y += L_ROW) draw_row(L, i, y);
    if (cut) {
        draw_summary(L, head, tail_from, y);
        y += L_SUMMARY_H;
        for (size_t i = tail_from; i < n; i++, y += L_ROW) draw_row(L, i, y);
    }
    if (n == 0) ts_svg_text(out, (L_X0 + L_X1) / 2, L_TOP, NULL, "middle", "no segments");
    ts_svg_end(out);
    ts_plot_an_free(&an);
    free(L);
    return out->failed ? -1 : 0;
}
