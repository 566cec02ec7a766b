/*
 * Fuzz target: the HTTP request parser, path normalization and Range parsing.
 * The first byte picks the chunk size (1..256) the rest arrives in. The stream is parsed twice,
 * whole and in chunks, and the two must agree request for request: a request split into
 * segments parses the same as a whole one. Each complete request's target goes through path
 * normalization (the result must stay absolute and free of "..") and its Range through the
 * range parser (the range must lie inside the representation).
 */
#include <stdlib.h>
#include <string.h>
#include "apps/http/http_parse.h"
#include "apps/http/http_path.h"
#include "apps/http/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome { int result, status; size_t at; };

/* Parse the stream, chunk bytes at a time; record each COMPLETE/ERROR and where it ended. */
static unsigned run(struct ts_http_parser *p, const uint8_t *d, size_t n, size_t chunk,
                    struct outcome *out, unsigned max)
{
    unsigned k = 0;
    size_t pos = 0;
    ts_http_parser_init(p);
    while (pos < n && k < max) {
        size_t len = n - pos < chunk ? n - pos : chunk, used = 0;
        enum ts_http_parse_result r = ts_http_parse(p, d + pos, len, &used);
        if (used > len) abort();
        pos += used;
        if (r == TS_HTTP_NEED_MORE) {
            if (used != len) abort();
            continue;
        }
        out[k++] = (struct outcome){ r, p->status, pos };
        if (r == TS_HTTP_ERROR) break;
        if (p->req.target_len) {
            static const char *bad[] = { "/../", "/./" };
            char path[TS_HTTP_MAX_PATH];
            if (ts_http_target_path(p->req.target, path, sizeof path, NULL) == 0) {
                if (path[0] != '/') abort();
                for (unsigned i = 0; i < 2; i++) if (strstr(path, bad[i])) abort();
                size_t pl = strlen(path);
                if (pl >= 3 && !strcmp(path + pl - 3, "/..")) abort();
            }
        }
        uint64_t first, last, sz = 1000;
        if (ts_http_range_parse(p->req.range, sz, &first, &last) == TS_RANGE_OK && (first > last || last >= sz))
            abort();
        ts_http_parser_init(p);
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] + 1;
    struct ts_http_parser *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    struct outcome oa[64], ob[64];
    unsigned na = run(a, data + 1, size - 1, size, oa, 64);
    unsigned nb = run(b, data + 1, size - 1, chunk, ob, 64);
    if (na != nb) abort();
    for (unsigned i = 0; i < na; i++)
        if (oa[i].result != ob[i].result || oa[i].status != ob[i].status || oa[i].at != ob[i].at) abort();
    free(a);
    free(b);
    return 0;
}
