/*
 * tapstack apps: HTTP-date (RFC 9110 §5.6.7).
 */
#ifndef TS_APPS_HTTP_DATE_H
#define TS_APPS_HTTP_DATE_H

#include <stdbool.h>
#include <time.h>

#define TS_HTTP_DATE_LEN 29   /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Format t as IMF-fixdate into out (at least TS_HTTP_DATE_LEN + 1 bytes). Returns out. */
char *ts_http_date_format(time_t t, char *out);

/* Parse any of the three HTTP-date forms a recipient must accept: IMF-fixdate, the obsolete
 * RFC 850 form ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
 * Returns false for anything else (the caller then ignores the field). */
bool ts_http_date_parse(const char *s, time_t *out);

#endif
