/* Command-line value parsers (see parse.h). */
#include <stdio.h>
#include <string.h>

#include "tapstack/stack.h"
#include "cli/parse.h"

bool ts_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!text || !*text || strlen(text) > 20) return false;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

bool ts_parse_conn_limit(const char *flag, const char *text, unsigned *out, char *err, size_t errlen)
{
    uint64_t v;
    if (!ts_parse_uint(text, 1, 10000000, &v)) {
        snprintf(err, errlen, "--%s '%s': expected a number of connections from 1 to 10000000 "
                              "(leave the flag out for a limit sized from memory)", flag, text);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

bool ts_parse_ip_prefix(const char *text, uint32_t *ip, uint8_t *prefix_len)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char addr[16];
    uint64_t n;
    if (!slash || (size_t)(slash - text) >= sizeof addr) return false;
    memcpy(addr, text, (size_t)(slash - text));
    addr[slash - text] = '\0';
    uint32_t a;
    if (!ts_ip_parse(addr, &a) || !ts_parse_uint(slash + 1, 0, 32, &n)) return false;
    *ip = a;
    *prefix_len = (uint8_t)n;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool ts_parse_mac(const char *text, uint8_t mac[6])
{
    uint8_t m[6];
    if (!text || strlen(text) != 17) return false;
    for (int i = 0; i < 6; i++) {
        const char *p = text + 3 * i;
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0) return false;
        if (i < 5 && p[2] != ':' && p[2] != '-') return false;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(mac, m, 6);
    return true;
}

bool ts_parse_port_range(const char *text, uint16_t *low, uint16_t *high)
{
    const char *dash = text ? strchr(text, '-') : NULL;
    char first[8];
    uint64_t lo, hi;
    if (!dash || (size_t)(dash - text) >= sizeof first) return false;
    memcpy(first, text, (size_t)(dash - text));
    first[dash - text] = '\0';
    if (!ts_parse_uint(first, 1, 65535, &lo) || !ts_parse_uint(dash + 1, 1, 65535, &hi) || lo > hi)
        return false;
    *low = (uint16_t)lo;
    *high = (uint16_t)hi;
    return true;
}

char *ts_format_mac(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

uint32_t ts_prefix_mask(uint8_t prefix_len)
{
    return prefix_len == 0 ? 0 : prefix_len >= 32 ? 0xffffffffu : ~0u << (32 - prefix_len);
}
