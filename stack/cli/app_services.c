/*
 * `tapstack up` entries for the small services: echo (RFC 862), discard (RFC 863) and daytime
 * (RFC 867), each on UDP and TCP. Each is its own app (--echo/--no-echo ...) with a port flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/services/services.h"
#include "cli/apps_table.h"
#include "cli/parse.h"
#include "tapstack/socket.h"

/* Options of one service app: the services' options with only that service's port set. */
static int parse_port(const char *v, uint16_t *port, const char *flag, char *err, size_t n)
{
    char *end;
    unsigned long p = strtoul(v, &end, 10);
    if (*v == '\0' || *end != '\0' || p == 0 || p > 65535) {
        snprintf(err, n, "--%s %s: give a port number 1..65535", flag, v);
        return -1;
    }
    *port = (uint16_t)p;
    return 0;
}

static int set_echo_port(void *o, const char *v, char *err, size_t n)
{
    return parse_port(v, &((struct ts_services_opts *)o)->echo_port, "echo-port", err, n);
}
static int set_discard_port(void *o, const char *v, char *err, size_t n)
{
    return parse_port(v, &((struct ts_services_opts *)o)->discard_port, "discard-port", err, n);
}
static int set_daytime_port(void *o, const char *v, char *err, size_t n)
{
    return parse_port(v, &((struct ts_services_opts *)o)->daytime_port, "daytime-port", err, n);
}

static int set_max_conns(void *o, const char *v, char *err, size_t n, const char *flag)
{
    return ts_parse_conn_limit(flag, v, &((struct ts_services_opts *)o)->max_tcp_conns, err, n) ? 0 : -1;
}
static int set_max_per_peer(void *o, const char *v, char *err, size_t n, const char *flag)
{
    return ts_parse_conn_limit(flag, v, &((struct ts_services_opts *)o)->max_per_peer, err, n) ? 0 : -1;
}
static int set_echo_max(void *o, const char *v, char *err, size_t n)
{
    return set_max_conns(o, v, err, n, "echo-max-conns");
}
static int set_echo_peer(void *o, const char *v, char *err, size_t n)
{
    return set_max_per_peer(o, v, err, n, "echo-max-per-peer");
}
static int set_discard_max(void *o, const char *v, char *err, size_t n)
{
    return set_max_conns(o, v, err, n, "discard-max-conns");
}
static int set_discard_peer(void *o, const char *v, char *err, size_t n)
{
    return set_max_per_peer(o, v, err, n, "discard-max-per-peer");
}

static void services_log(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "tapstack: %s\n", line);
}

static void only(void *opts, int which)
{
    struct ts_services_opts *o = opts;
    ts_services_opts_default(o);
    if (which != 0) o->echo_port = 0;
    if (which != 1) o->discard_port = 0;
    if (which != 2) o->daytime_port = 0;
    o->log = services_log;
}
static void echo_defaults(void *o) { only(o, 0); }
static void discard_defaults(void *o) { only(o, 1); }
static void daytime_defaults(void *o) { only(o, 2); }

static int services_start(struct ts_stack *s, ts_time_t now, const void *opts, struct ts_app *out,
                          char *err, size_t n)
{
    int rc = ts_services_start(s, now, opts, out);
    if (rc < 0) {
        snprintf(err, n, "%s (is the port taken by another app?)", ts_strerror(rc));
        return -1;
    }
    return 0;
}

static const struct ts_cli_flag echo_flags[] = {
    { "echo", "PORT", "serve echo on PORT, UDP and TCP, instead of 7", set_echo_port },
    { "echo-port", "PORT", "the same as --echo PORT", set_echo_port },
    { "echo-max-conns", "N", "TCP connections at once; at the limit the one idle longest is "
      "evicted (default: sized from memory)", set_echo_max },
    { "echo-max-per-peer", "N", "TCP connections one client address may hold (default: a quarter "
      "of the limit)", set_echo_peer },
    { NULL, NULL, NULL, NULL },
};
static const struct ts_cli_flag discard_flags[] = {
    { "discard", "PORT", "serve discard on PORT, UDP and TCP, instead of 9", set_discard_port },
    { "discard-port", "PORT", "the same as --discard PORT", set_discard_port },
    { "discard-max-conns", "N", "TCP connections at once, as --echo-max-conns", set_discard_max },
    { "discard-max-per-peer", "N", "as --echo-max-per-peer", set_discard_peer },
    { NULL, NULL, NULL, NULL },
};
static const struct ts_cli_flag daytime_flags[] = {
    { "daytime", "PORT", "serve daytime on PORT, UDP and TCP, instead of 13", set_daytime_port },
    { "daytime-port", "PORT", "the same as --daytime PORT", set_daytime_port },
    { NULL, NULL, NULL, NULL },
};

const struct ts_cli_app ts_cli_app_echo = {
    .name = "echo", .summary = "echo (RFC 862) on UDP and TCP port 7", .default_on = true,
    .hint = "echo hi | nc -u -w1 %s 7", .opts_size = sizeof(struct ts_services_opts),
    .defaults = echo_defaults, .flags = echo_flags, .start = services_start,
};
const struct ts_cli_app ts_cli_app_discard = {
    .name = "discard", .summary = "discard (RFC 863) on UDP and TCP port 9", .default_on = true,
    .hint = NULL, .opts_size = sizeof(struct ts_services_opts),
    .defaults = discard_defaults, .flags = discard_flags, .start = services_start,
};
const struct ts_cli_app ts_cli_app_daytime = {
    .name = "daytime", .summary = "daytime (RFC 867) on UDP and TCP port 13", .default_on = true,
    .hint = "nc %s 13", .opts_size = sizeof(struct ts_services_opts),
    .defaults = daytime_defaults, .flags = daytime_flags, .start = services_start,
};
