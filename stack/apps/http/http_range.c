/*
 * tapstack apps: one byte range. Grammar (RFC 9110 §14.1.1, §14.1.2):
 *   ranges-specifier = range-unit "=" range-set       range-unit is "bytes", case-insensitive
 *   range-spec       = int-range / suffix-range        only one is honoured
 *   int-range        = first-pos "-" [ last-pos ]
 *   suffix-range     = "-" suffix-length
 */
#include "apps/http/http_range.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* 1*DIGIT at *s, at most 18 digits (no overflow). */
static bool number(const char **s, uint64_t *v)
{
    const char *c = *s;
    uint64_t n = 0;
    int k = 0;
    while (*c >= '0' && *c <= '9') {
        if (++k > 18)
            return false;
        n = n * 10 + (uint64_t)(*c++ - '0');
    }
    if (k == 0)
        return false;
    *v = n;
    *s = c;
    return true;
}

enum ts_http_range_result ts_http_range_parse(const char *value, uint64_t size, uint64_t *first,
                                              uint64_t *last)
{
    if (strncasecmp(value, "bytes=", 6) != 0)
        return TS_RANGE_IGNORE;
    const char *s = value + 6;
    while (*s == ' ' || *s == '\t')
        s++;
    uint64_t a = 0, b = 0;
    bool suffix = *s == '-', has_last = false;
    if (suffix) {
        s++;
        if (!number(&s, &b))
            return TS_RANGE_IGNORE;
    } else {
        if (!number(&s, &a) || *s++ != '-')
            return TS_RANGE_IGNORE;
        has_last = number(&s, &b);
        if (has_last && b < a)
            return TS_RANGE_IGNORE;        /* invalid range-spec: the field is ignored */
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '\0')
        return TS_RANGE_IGNORE;            /* several ranges or trailing junk: send everything */
    if (suffix) {
        if (b == 0 || size == 0)
            return TS_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return TS_RANGE_OK;
    }
    if (a >= size)
        return TS_RANGE_UNSATISFIABLE;
    *first = a;
    *last = has_last && b < size ? b : size - 1;
    return TS_RANGE_OK;
}
