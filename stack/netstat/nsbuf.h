/*
 * A growing text buffer with a hard bound, for the netstat views (text, JSON, HTML).
 *
 * Appends never fail loudly: past the bound (or when memory runs out) the buffer stops growing,
 * keeps what it has and sets `failed`, so a view can be written as a plain sequence of appends
 * and checked once at the end.
 */
#ifndef TS_NETSTAT_NSBUF_H
#define TS_NETSTAT_NSBUF_H

#include <stdbool.h>
#include <stddef.h>

#define TS_NSBUF_MAX_DEFAULT (8u << 20)   /* 8 MiB: 100,000 sockets in text fit */

struct ts_nsbuf {
    char *data;       /* always NUL-terminated once anything was appended (or NULL) */
    size_t len, cap;
    size_t max;       /* bound on len; 0 means TS_NSBUF_MAX_DEFAULT */
    bool failed;      /* an append was cut short */
};

/* An empty buffer bounded by max bytes (0: the default). Allocates nothing yet. */
void ts_nsbuf_init(struct ts_nsbuf *b, size_t max);

/* Free the memory; the buffer is empty and usable again. */
void ts_nsbuf_free(struct ts_nsbuf *b);

/* Forget the contents but keep the memory (len = 0, failed = false). */
void ts_nsbuf_reset(struct ts_nsbuf *b);

/* Append len bytes / formatted text. Return 0, or -1 (and set failed) when cut short. */
int ts_nsbuf_append(struct ts_nsbuf *b, const void *data, size_t len);
int ts_nsbuf_puts(struct ts_nsbuf *b, const char *s);
int ts_nsbuf_printf(struct ts_nsbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append s as a JSON string: quoted, with ", \ and control characters escaped (NULL: null). */
int ts_nsbuf_json_str(struct ts_nsbuf *b, const char *s);

/* Append s with &, <, >, " and ' escaped for HTML. */
int ts_nsbuf_html(struct ts_nsbuf *b, const char *s);

/* Remove trailing spaces from the end of the buffer (net-tools pads the last column; we do not). */
void ts_nsbuf_rtrim(struct ts_nsbuf *b);

#endif
