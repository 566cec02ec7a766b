/*
 * tapstack apps: request-target -> confined file path. See http_path.h.
 */
#include "apps/http/http_path.h"
#include "apps/fs_root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *ts_http_target_query(const char *target)
{
    const char *q = strchr(target, '?');
    return q ? q + 1 : "";
}

/* Skip "http://authority" of an absolute-form target; returns the path part ("" if none). */
static const char *skip_absolute(const char *t)
{
    size_t n = 0;
    if (strncasecmp(t, "http://", 7) == 0)
        n = 7;
    else if (strncasecmp(t, "https://", 8) == 0)
        n = 8;
    else
        return t;
    t += n;
    while (*t && *t != '/' && *t != '?' && *t != '#')
        t++;
    return t;
}

/* One decoded segment [seg, seg+len), encoded says whether it held a percent-encoding. Appends it
 * to out (or pops for "..") by the shared rules (fs_root.h), keeping a byte for a final '/'.
 * Returns 0 or a status. */
static int push_segment(char *out, size_t cap, size_t *olen, const char *seg, size_t len,
                        bool encoded)
{
    bool dot = len == 1 && seg[0] == '.';
    bool dotdot = len == 2 && seg[0] == '.' && seg[1] == '.';
    if ((dot || dotdot) && encoded)
        return 400;                       /* "%2e%2e": only an attacker writes that */
    int r = ts_fs_path_push(out, cap - 1, olen, seg, len);
    if (r == TS_FS_TOOLONG)
        return 414;
    return r ? 400 : 0;                   /* above the root, or a NUL */
}

int ts_http_target_path(const char *target, char *out, size_t cap, bool *had_query)
{
    char seg[256];
    size_t slen = 0, olen = 0;
    bool encoded = false, trailing = false;
    const char *p = skip_absolute(target);
    if (had_query)
        *had_query = strchr(p, '?') != NULL;
    if (cap < 2)
        return 414;
    if (p != target && *p != '/' && *p != '\0' && *p != '?')
        return 400;
    if (p == target && *p != '/')
        return 400;                       /* asterisk-form, authority-form, garbage */
    for (;; p++) {
        char c = *p;
        if (c == '\0' || c == '?' || c == '#' || c == '/') {
            int st = push_segment(out, cap, &olen, seg, slen, encoded);
            if (st)
                return st;
            /* A directory is named explicitly by a final '/', ".", or "..". */
            trailing = slen == 0 || (slen == 1 && seg[0] == '.') ||
                       (slen == 2 && seg[0] == '.' && seg[1] == '.');
            slen = 0;
            encoded = false;
            if (c != '/')
                break;
            continue;
        }
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0)
                return 400;
            c = (char)(hi * 16 + lo);
            if (c == '\0' || c == '/')
                return 400;               /* encoded NUL or slash */
            p += 2;
            encoded = true;
        }
        if (slen == sizeof seg - 1)
            return 414;                   /* longer than any file name (NAME_MAX) */
        seg[slen++] = c;
    }
    if (trailing || olen == 0)
        out[olen++] = '/';
    out[olen] = '\0';
    return 0;
}

static size_t append(char *out, size_t cap, size_t len, const char *s, size_t n)
{
    if (len >= cap)
        return cap;
    if (len + n + 1 > cap) {
        out[len] = '\0';
        return cap;
    }
    memcpy(out + len, s, n);
    out[len + n] = '\0';
    return len + n;
}

size_t ts_http_html_escape(char *out, size_t cap, size_t len, const char *s)
{
    for (; *s && len < cap; s++) {
        switch (*s) {
        case '&': len = append(out, cap, len, "&amp;", 5); break;
        case '<': len = append(out, cap, len, "&lt;", 4); break;
        case '>': len = append(out, cap, len, "&gt;", 4); break;
        case '"': len = append(out, cap, len, "&quot;", 6); break;
        case '\'': len = append(out, cap, len, "&#39;", 5); break;
        default: len = append(out, cap, len, s, 1); break;
        }
    }
    return len;
}

size_t ts_http_url_encode(char *out, size_t cap, size_t len, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s && len < cap; s++) {
        uint8_t c = (uint8_t)*s;
        bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        if (keep) {
            len = append(out, cap, len, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            len = append(out, cap, len, e, 3);
        }
    }
    return len;
}
