/*
 * tapstack apps: from a request-target to a file beneath the document root, and nothing else.
 *
 * Two steps, both refusing anything that could leave the root:
 *  1. ts_http_target_path: origin-form or absolute-form target (RFC 9112 §3.2) -> percent-decoded,
 *     normalized path ("/a/b", "/dir/"). Dot-segments are removed as in RFC 3986 §5.2.4; a ".."
 *     that would climb above the root, a dot-segment written with percent-encoding, an encoded
 *     "/" and an encoded NUL are refused (400).
 *  2. ts_http_open_beneath: open that path relative to the root directory with openat2(2)
 *     RESOLVE_BENEATH (no "..", absolute symlink or symlink leading out can escape); where the
 *     kernel lacks openat2, open with openat(2) and check the opened file's real path instead.
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

/* Open path (from ts_http_target_path) beneath the directory rootfd, read-only, non-blocking,
 * close-on-exec. root_real is the root's real path, used only when openat2 is unavailable.
 * Returns the fd, or -errno: -ENOENT/-ENOTDIR when absent, -EXDEV/-ELOOP when resolution would
 * leave the root, -EACCES ... */
int ts_http_open_beneath(int rootfd, const char *root_real, const char *path);

/* The fallback of ts_http_open_beneath for kernels without openat2: openat(2), then compare the
 * opened file's real path (/proc/self/fd) with root_real; -EXDEV if it lies outside. Exposed for
 * the unit tests. */
int ts_http_open_checked(int rootfd, const char *root_real, const char *path);

/* Append s to out (cap bytes, NUL-terminated) with &, <, >, ", ' escaped for HTML. Returns the
 * new length, or cap if it did not fit (out is then truncated but terminated). */
size_t ts_http_html_escape(char *out, size_t cap, size_t len, const char *s);

/* Append s percent-encoded for use as a path segment in a URL (unreserved characters kept).
 * Same return convention as ts_http_html_escape. */
size_t ts_http_url_encode(char *out, size_t cap, size_t len, const char *s);

#endif
