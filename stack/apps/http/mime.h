/*
 * tapstack apps: media type (RFC 6838) of a file from its name's extension.
 */
#ifndef TS_APPS_MIME_H
#define TS_APPS_MIME_H

/* The Content-Type for a file name: "text/html; charset=utf-8" for ".html" ...,
 * "application/octet-stream" when the extension is unknown or missing. Case-insensitive. */
const char *ts_mime_type(const char *name);

#endif
