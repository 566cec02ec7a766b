/* The bounded growing buffer of the netstat views (see nsbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstat/nsbuf.h"

void ts_nsbuf_init(struct ts_nsbuf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : TS_NSBUF_MAX_DEFAULT;
}

void ts_nsbuf_free(struct ts_nsbuf *b)
{
    size_t max = b->max;
    free(b->data);
    ts_nsbuf_init(b, max);
}

void ts_nsbuf_reset(struct ts_nsbuf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data) b->data[0] = '\0';
}

/* Make room for need more bytes plus the NUL; false when the bound or memory says no. */
static bool reserve(struct ts_nsbuf *b, size_t need)
{
    if (!b->max) b->max = TS_NSBUF_MAX_DEFAULT;
    if (need > b->max - b->len) return false;
    if (b->len + need + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + need + 1) cap *= 2;
    if (cap > b->max + 1) cap = b->max + 1;
    char *d = realloc(b->data, cap);
    if (!d) return false;
    b->data = d;
    b->cap = cap;
    return true;
}

int ts_nsbuf_append(struct ts_nsbuf *b, const void *data, size_t len)
{
    if (b->failed) return -1;
    if (!reserve(b, len)) {
        b->failed = true;
        return -1;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ts_nsbuf_puts(struct ts_nsbuf *b, const char *s) { return ts_nsbuf_append(b, s, strlen(s)); }

int ts_nsbuf_printf(struct ts_nsbuf *b, const char *fmt, ...)
{
    if (b->failed) return -1;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return -1;
    }
    if ((size_t)n < sizeof small) return ts_nsbuf_append(b, small, (size_t)n);
    if (!reserve(b, (size_t)n)) {
        b->failed = true;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int ts_nsbuf_json_str(struct ts_nsbuf *b, const char *s)
{
    if (!s) return ts_nsbuf_puts(b, "null");
    int r = ts_nsbuf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            r |= ts_nsbuf_append(b, e, 2);
        } else if (*p < 0x20) {
            r |= ts_nsbuf_printf(b, "\\u%04x", *p);
        } else {
            r |= ts_nsbuf_append(b, p, 1);
        }
    }
    return r | ts_nsbuf_append(b, "\"", 1);
}

int ts_nsbuf_html(struct ts_nsbuf *b, const char *s)
{
    int r = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&': r |= ts_nsbuf_puts(b, "&amp;"); break;
        case '<': r |= ts_nsbuf_puts(b, "&lt;"); break;
        case '>': r |= ts_nsbuf_puts(b, "&gt;"); break;
        case '"': r |= ts_nsbuf_puts(b, "&quot;"); break;
        case '\'': r |= ts_nsbuf_puts(b, "&#39;"); break;
        default: r |= ts_nsbuf_append(b, s, 1); break;
        }
    }
    return r;
}

void ts_nsbuf_rtrim(struct ts_nsbuf *b)
{
    while (b->len > 0 && b->data[b->len - 1] == ' ') b->len--;
    if (b->data) b->data[b->len] = '\0';
}
