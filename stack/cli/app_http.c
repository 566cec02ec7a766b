/*
 * `tapstack up`'s HTTP block: --http PORT, --no-http, --http-root DIR (see apps_table.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apps/http/http_server.h"
#include "cli/apps_table.h"
#include "cli/parse.h"
#include "tapstack/socket.h"

static void http_defaults(void *opts)
{
    struct ts_http_opts *o = opts;
    memset(o, 0, sizeof *o);
    o->port = 80;
}

static int http_set_port(void *opts, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 65535, &x)) {
        snprintf(err, n, "--http '%s': expected a TCP port from 1 to 65535 (80 by default)", v);
        return -1;
    }
    ((struct ts_http_opts *)opts)->port = (uint16_t)x;
    return 0;
}

static int http_set_root(void *opts, const char *v, char *err, size_t n)
{
    struct stat st;
    if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, n, "--http-root %s: no such directory (give a directory to serve, or leave it "
                         "out for the built-in pages)", v);
        return -1;
    }
    ((struct ts_http_opts *)opts)->root = v;
    return 0;
}

static int http_set_max_conns(void *opts, const char *v, char *err, size_t n)
{
    return ts_parse_conn_limit("http-max-conns", v, &((struct ts_http_opts *)opts)->max_conns, err, n)
               ? 0 : -1;
}

static int http_set_max_per_peer(void *opts, const char *v, char *err, size_t n)
{
    return ts_parse_conn_limit("http-max-per-peer", v, &((struct ts_http_opts *)opts)->max_per_peer,
                               err, n) ? 0 : -1;
}

static int http_start(struct ts_stack *s, ts_time_t now, const void *opts, struct ts_app *out,
                      char *err, size_t n)
{
    const struct ts_http_opts *o = opts;
    int rc = ts_http_start(s, now, o, out);
    if (rc < 0) {
        if (rc == -TS_EINVAL && o->root)
            snprintf(err, n, "cannot open --http-root %s as a directory", o->root);
        else
            snprintf(err, n, "cannot listen on TCP port %u: %s", o->port, ts_strerror(rc));
        return -1;
    }
    return 0;
}

static const struct ts_cli_flag http_flags[] = {
    { "http", "PORT", "serve HTTP on PORT instead of 80", http_set_port },
    { "http-root", "DIR", "serve the files in DIR (default: built-in pages about tapstack)",
      http_set_root },
    { "http-max-conns", "N", "connections at once; at the limit the one idle longest is evicted "
      "(default: sized from memory)", http_set_max_conns },
    { "http-max-per-peer", "N", "connections one client address may hold (default: a quarter of "
      "the limit)", http_set_max_per_peer },
    { NULL, NULL, NULL, NULL },
};

const struct ts_cli_app ts_cli_app_http = {
    .name = "http",
    .summary = "HTTP/1.1 server (GET, HEAD, ranges, keep-alive; /bytes/N)",
    .default_on = true,
    .hint = "curl http://%s/",
    .opts_size = sizeof(struct ts_http_opts),
    .defaults = http_defaults,
    .flags = http_flags,
    .start = http_start,
};
