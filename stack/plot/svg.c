/*
 * The SVG writer (contract in svg.h).
 */
#include "plot/svg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Colours readable on white and on a dark background; the dark theme lightens text and axes. */
static const char THEME[] =
    "<style>\n"
    "svg{color-scheme:light dark}\n"
    ".bg{fill:#ffffff}\n"
    "text{fill:#1d1f24;font-family:sans-serif;font-size:12px}\n"
    "text.small{font-size:10px}\n"
    "text.title{font-size:15px;font-weight:bold}\n"
    ".axis line,.axis path{stroke:#444;stroke-width:1;fill:none}\n"
    ".axis line.grid{stroke:#e3e3e3;stroke-width:1}\n"
    ".data{stroke:#1f5fbf;fill:#1f5fbf;stroke-width:1.5}\n"
    ".retransmit{stroke:#d62728;fill:#d62728;stroke-width:2}\n"
    ".ack{stroke:#2ca02c;fill:none;stroke-width:1.2}\n"
    ".window{stroke:#c08000;fill:none;stroke-width:1.2}\n"
    ".sack{stroke:#9467bd;fill:#9467bd;stroke-width:3}\n"
    ".zwp{fill:#ff7f0e;stroke:none}\n"
    ".rto{fill:#d62728;stroke:none}\n"
    ".zerowin{fill:#c08000;stroke:none}\n"
    ".timeline{stroke:#555;stroke-width:2}\n"
    ".segment line{stroke:#1f5fbf;stroke-width:1.2}\n"
    ".segment.retransmit line{stroke:#d62728}\n"
    ".segment.retransmit text{fill:#d62728}\n"
    ".segment.rst line{stroke:#9467bd}\n"
    ".state{fill:#2a7d2a;font-weight:bold}\n"
    ".summary rect{fill:#f4f4f4;stroke:#999}\n"
    ".legend rect.box{fill:#ffffff;stroke:#bbb;fill-opacity:0.9}\n"
    ".arrowhead{fill:#1f5fbf}\n"
    "@media (prefers-color-scheme:dark){\n"
    ".bg{fill:#16181d}\n"
    "text{fill:#e2e4e8}\n"
    ".axis line,.axis path{stroke:#aaa}\n"
    ".axis line.grid{stroke:#2c2f36}\n"
    ".data{stroke:#6ea8ff;fill:#6ea8ff}\n"
    ".segment line{stroke:#6ea8ff}\n"
    ".arrowhead{fill:#6ea8ff}\n"
    ".retransmit{stroke:#ff6b6b;fill:#ff6b6b}\n"
    ".segment.retransmit line{stroke:#ff6b6b}\n"
    ".segment.retransmit text{fill:#ff6b6b}\n"
    ".ack{stroke:#5fd35f}\n"
    ".window{stroke:#f0b030}\n"
    ".sack{stroke:#c39bf0;fill:#c39bf0}\n"
    ".timeline{stroke:#aaa}\n"
    ".state{fill:#7fdc7f}\n"
    ".summary rect{fill:#23262d;stroke:#666}\n"
    ".legend rect.box{fill:#16181d;stroke:#555}\n"
    "}\n"
    "</style>\n";

void ts_svg_esc(struct ts_nsbuf *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': ts_nsbuf_puts(out, "&amp;"); break;
        case '<': ts_nsbuf_puts(out, "&lt;"); break;
        case '>': ts_nsbuf_puts(out, "&gt;"); break;
        case '"': ts_nsbuf_puts(out, "&quot;"); break;
        case '\'': ts_nsbuf_puts(out, "&apos;"); break;
        default: {
            char ch = c < 0x20 || c == 0x7f ? '?' : (char)c;
            ts_nsbuf_append(out, &ch, 1);
        }
        }
    }
}

void ts_svg_begin(struct ts_nsbuf *out, unsigned w, unsigned h, const char *title)
{
    ts_nsbuf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n"
                         "<title>", w, h, w, h);
    ts_svg_esc(out, title);
    ts_nsbuf_puts(out, "</title>\n");
    ts_nsbuf_puts(out, THEME);
    ts_nsbuf_puts(out, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                       "markerHeight=\"7\" orient=\"auto-start-reverse\"><path class=\"arrowhead\" "
                       "d=\"M0,0L10,5L0,10z\"/></marker></defs>\n");
    ts_nsbuf_printf(out, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" height=\"%u\"/>\n", w, h);
}

void ts_svg_end(struct ts_nsbuf *out)
{
    ts_nsbuf_puts(out, "</svg>\n");
}

void ts_svg_text(struct ts_nsbuf *out, double x, double y, const char *cls, const char *anchor, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ts_nsbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (cls) ts_nsbuf_printf(out, " class=\"%s\"", cls);
    if (anchor) ts_nsbuf_printf(out, " text-anchor=\"%s\"", anchor);
    ts_nsbuf_puts(out, ">");
    ts_svg_esc(out, buf);
    ts_nsbuf_puts(out, "</text>\n");
}

void ts_svg_ticks(double lo, double hi, unsigned max_ticks, double *first, double *step)
{
    double span = hi - lo;
    if (!(span > 0)) span = 1;
    if (max_ticks < 2) max_ticks = 2;
    double raw = span / (max_ticks - 1), p = 1;
    while (p * 10 <= raw) p *= 10;
    while (p > raw) p /= 10;
    double s = p;
    if (raw > 5 * p) s = 10 * p;
    else if (raw > 2 * p) s = 5 * p;
    else if (raw > p) s = 2 * p;
    *step = s;
    double q = lo / s;
    long long c = (long long)q;
    if ((double)c < q) c++;                 /* ceil without libm */
    *first = (double)c * s;
}

const char *ts_svg_bytes(double v, char *buf, unsigned cap)
{
    static const char *const units[] = { "", "K", "M", "G", "T" };
    double a = v < 0 ? -v : v;
    unsigned u = 0;
    while (a >= 1000 && u < 4) {
        a /= 1000;
        v /= 1000;
        u++;
    }
    double frac = a - (double)(long long)(a + 0.5);
    bool whole = frac < 0.05 && frac > -0.05;
    if (u == 0 || a >= 100 || whole) snprintf(buf, cap, "%.0f%s", v, units[u]);
    else snprintf(buf, cap, "%.1f%s", v, units[u]);
    return buf;
}

const char *ts_svg_count(uint64_t v, char *buf, unsigned cap)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
    unsigned o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}
