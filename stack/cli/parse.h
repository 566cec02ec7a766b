/*
 * Parsers for command-line values, shared by the subcommands. Each returns true and stores the
 * value, or returns false and leaves the output alone; the caller says what was expected.
 */
#ifndef TS_CLI_PARSE_H
#define TS_CLI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal integer in [min, max], nothing else (no sign, no spaces, no suffix). */
bool ts_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* A connection limit for --FLAG (1 .. 10,000,000) into *out; false after writing into err what
 * is wrong and what to do. */
bool ts_parse_conn_limit(const char *flag, const char *text, unsigned *out, char *err, size_t errlen);

/* "a.b.c.d/N" with N in 0..32. */
bool ts_parse_ip_prefix(const char *text, uint32_t *ip, uint8_t *prefix_len);

/* "xx:xx:xx:xx:xx:xx" (or with '-'), two hex digits each. */
bool ts_parse_mac(const char *text, uint8_t mac[6]);

/* "LOW-HIGH", 1 <= LOW <= HIGH <= 65535. */
bool ts_parse_port_range(const char *text, uint16_t *low, uint16_t *high);

/* "02:00:00:00:00:02" into buf (>= 18 bytes); returns buf. */
char *ts_format_mac(const uint8_t mac[6], char *buf);

/* The netmask of a prefix length (host order). */
uint32_t ts_prefix_mask(uint8_t prefix_len);

#endif
