/*
 * Command-line forms of the fault options (contract in fault.h).
 */
#include "driver/fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ts_fault_parse_prob(const char *text, double *p)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno) return false;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end != '\0' || !(v >= 0.0 && v <= 1.0)) return false;
    *p = v;
    return true;
}

/* Milliseconds (fractions allowed) to microseconds; false unless 0..60000 ms. */
static bool parse_ms(const char *text, char **end, ts_time_t *us)
{
    errno = 0;
    double v = strtod(text, end);
    if (*end == text || errno || !(v >= 0.0 && v <= 60000.0)) return false;
    *us = (ts_time_t)(v * 1000.0 + 0.5);
    return true;
}

bool ts_fault_parse_delay(const char *text, ts_time_t *delay, ts_time_t *jitter)
{
    char *end;
    ts_time_t d, j = 0;
    if (!parse_ms(text, &end, &d)) return false;
    if (end[0] == 'm' && end[1] == 's') end += 2;
    if (*end == '+') {
        const char *js = end + 1;
        if (!parse_ms(js, &end, &j)) return false;
        if (end[0] == 'm' && end[1] == 's') end += 2;
    }
    if (*end != '\0') return false;
    *delay = d;
    *jitter = j;
    return true;
}

bool ts_fault_parse_rate(const char *text, uint64_t *bps)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !(v > 0.0)) return false;
    switch (*end) {
    case 'k': case 'K': v *= 1e3; end++; break;
    case 'm': case 'M': v *= 1e6; end++; break;
    case 'g': case 'G': v *= 1e9; end++; break;
    default: break;
    }
    if (strcmp(end, "") != 0 && strcmp(end, "bit") != 0 && strcmp(end, "bps") != 0 &&
        strcmp(end, "bit/s") != 0)
        return false;
    if (v < 8000.0 || v > 1e12) return false;      /* 1 kB/s .. 1 Tbit/s */
    *bps = (uint64_t)(v + 0.5);
    return true;
}

const char *ts_fault_names(unsigned what, char *buf, size_t cap)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { TS_FAULT_LOST, "loss" },         { TS_FAULT_CORRUPT, "corrupt" }, { TS_FAULT_DUP, "dup" },
        { TS_FAULT_RATE, "rate" },         { TS_FAULT_DELAYED, "delay" },   { TS_FAULT_REORDERED, "reorder" },
        { TS_FAULT_OVERFLOW, "overflow" },
    };
    size_t len = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(what & names[i].bit) || len >= cap) continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", names[i].name);
        len = n < 0 ? cap : len + (size_t)n;
    }
    return buf;
}
