/*
 * A small SVG writer over a bounded text buffer (ts_nsbuf): the document with its theme (light
 * and dark, by prefers-color-scheme), escaped text, axis ticks at round numbers. Internal to
 * stack/plot. Appends never fail loudly: check out->failed once at the end.
 */
#ifndef TS_PLOT_SVG_H
#define TS_PLOT_SVG_H

#include <stdint.h>

#include "netstat/nsbuf.h"

/* The XML declaration, <svg> of w x h pixels, <title>, the theme's <style>, the arrow marker
 * and a background rectangle (class bg). */
void ts_svg_begin(struct ts_nsbuf *out, unsigned w, unsigned h, const char *title);

/* </svg>. */
void ts_svg_end(struct ts_nsbuf *out);

/* Append s escaped for XML text and attribute values (&, <, >, ", '). Control bytes become '?'. */
void ts_svg_esc(struct ts_nsbuf *out, const char *s);

/* <text x y class [text-anchor]>escaped printf text</text>. anchor: NULL, "middle" or "end". */
void ts_svg_text(struct ts_nsbuf *out, double x, double y, const char *cls, const char *anchor, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Round tick positions covering [lo, hi] with at most max_ticks ticks: the first tick and the step
 * (1, 2 or 5 times a power of ten). hi > lo. */
void ts_svg_ticks(double lo, double hi, unsigned max_ticks, double *first, double *step);

/* A byte count or offset for an axis: "0", "512", "64K", "1.5M", "2G" (powers of 1000: the axis
 * label says bytes). buf >= 16. */
const char *ts_svg_bytes(double v, char *buf, unsigned cap);

/* A number with thousands separators: "100,000". buf >= 32. */
const char *ts_svg_count(uint64_t v, char *buf, unsigned cap);

#endif
