/*
 * tapstack apps: the Range request header for one byte range (RFC 9110 §14.1.2, §14.2).
 */
#ifndef TS_APPS_HTTP_RANGE_H
#define TS_APPS_HTTP_RANGE_H

#include <stdint.h>

enum ts_http_range_result {
    TS_RANGE_IGNORE = 0,       /* absent, malformed, another unit or several ranges: send it all */
    TS_RANGE_OK = 1,           /* answer 206 with [*first, *last] */
    TS_RANGE_UNSATISFIABLE = -1,   /* answer 416 with Content-Range: bytes * / size */
};

/* Interpret value (the Range field, "" if absent) for a representation of size bytes. */
enum ts_http_range_result ts_http_range_parse(const char *value, uint64_t size, uint64_t *first,
                                              uint64_t *last);

#endif
