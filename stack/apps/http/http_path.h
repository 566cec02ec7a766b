/*
 * tapstack apps: from a request-target to a file beneath the document root, and nothing else.
 *
 * Two steps, both refusing anything that could leave the root:
 *  1. ts_http_target_path: origin-form or absolute-form target (RFC 9112 §3.2) -> percent-decoded,
 *     normalized path ("/a/b", "/dir/"). A dot-segment written with percent-encoding, an encoded
 *     "/" and an encoded NUL are refused (400) here; the decoded segments then go through the
 *     confinement rules shared with FTP (apps/fs_root.h: dot-segments removed as in RFC 3986
 *     §5.2.4, a ".." above the root refused).
 *  2. The handler opens that path with ts_fs_root_openat (openat2 RESOLVE_BENEATH, fs_root.h).
 */
#ifndef TS_APPS_HTTP_PATH_H
#define TS_APPS_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define TS_HTTP_MAX_PATH 4096

/* Decode and normalize target into out (cap bytes). Returns 0, or the HTTP status to answer
 * (400 malformed or refused, 414 longer than cap). The query, if any, is dropped; *had_query
 * (may be NULL) says whether there was one. out always starts with "/" and ends with "/" when the
 * target named a directory explicitly. */
int ts_http_target_path(const char *target, char *out, size_t cap, bool *had_query);

/* The query of target after '?', or "" (points into target). */
const char *ts_http_target_query(const char *target);

/* Append s to out (cap bytes, NUL-terminated) with &, <, >, ", ' escaped for HTML. Returns the
 * new length, or cap if it did not fit (out is then truncated but terminated). */
size_t ts_http_html_escape(char *out, size_t cap, size_t len, const char *s);

/* Append s percent-encoded for use as a path segment in a URL (unreserved characters kept).
 * Same return convention as ts_http_html_escape. */
size_t ts_http_url_encode(char *out, size_t cap, size_t len, const char *s);

#endif
