/*
 * tapstack apps: HTTP-date formatting and parsing, in UTC, independent of the C locale.
 */
#include "apps/http/http_date.h"

#include <stdio.h>
#include <string.h>

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wdays_long[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

char *ts_http_date_format(time_t t, char *out)
{
    struct tm tm;
    char buf[96];
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], year < 0 ? 0 : year > 9999 ? 9999 : year,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, buf, TS_HTTP_DATE_LEN);
    out[TS_HTTP_DATE_LEN] = '\0';
    return out;
}

/* n digits exactly at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int month_of(const char *s)
{
    for (int i = 0; i < 12; i++)
        if (memcmp(s, months[i], 3) == 0)
            return i;
    return -1;
}

/* "HH:MM:SS" */
static bool parse_time(const char *s, struct tm *tm)
{
    if (s[2] != ':' || s[5] != ':')
        return false;
    tm->tm_hour = digits(s, 2);
    tm->tm_min = digits(s + 3, 2);
    tm->tm_sec = digits(s + 6, 2);
    return tm->tm_hour >= 0 && tm->tm_hour < 24 && tm->tm_min >= 0 && tm->tm_min < 60 &&
           tm->tm_sec >= 0 && tm->tm_sec < 61;
}

static bool finish(struct tm *tm, time_t *out)
{
    if (tm->tm_mday < 1 || tm->tm_mday > 31 || tm->tm_mon < 0 || tm->tm_year < 0)
        return false;
    time_t t = timegm(tm);
    if (t == (time_t)-1)
        return false;
    *out = t;
    return true;
}

bool ts_http_date_parse(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    size_t n = strlen(s);
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (n == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' && s[16] == ' ' &&
        s[25] == ' ' && memcmp(s + 26, "GMT", 3) == 0) {
        tm.tm_mday = digits(s + 5, 2);
        tm.tm_mon = month_of(s + 8);
        int y = digits(s + 12, 4);
        if (y < 1900 || !parse_time(s + 17, &tm))
            return false;
        tm.tm_year = y - 1900;
        return finish(&tm, out);
    }
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    if (n == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
        tm.tm_mon = month_of(s + 4);
        tm.tm_mday = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
        int y = digits(s + 20, 4);
        if (y < 1900 || !parse_time(s + 11, &tm))
            return false;
        tm.tm_year = y - 1900;
        return finish(&tm, out);
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
    for (int d = 0; d < 7; d++) {
        size_t w = strlen(wdays_long[d]);
        if (n != w + 24 || memcmp(s, wdays_long[d], w) != 0)
            continue;
        const char *r = s + w;
        if (r[0] != ',' || r[1] != ' ' || r[4] != '-' || r[8] != '-' || r[11] != ' ' ||
            memcmp(r + 21, "GMT", 3) != 0 || r[20] != ' ')
            return false;
        tm.tm_mday = digits(r + 2, 2);
        tm.tm_mon = month_of(r + 5);
        int y = digits(r + 9, 2);
        if (y < 0 || !parse_time(r + 12, &tm))
            return false;
        tm.tm_year = y < 70 ? y + 100 : y;   /* RFC 9110: 50 years ahead is read as the past */
        return finish(&tm, out);
    }
    return false;
}
