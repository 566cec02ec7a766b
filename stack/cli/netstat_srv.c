/* The server half of `tapstack netstat` (see netstat_srv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tapstack/ports.h"
#include "apps/http/http_server.h"
#include "cli/netstat_srv.h"
#include "driver/ctl.h"
#include "netstat/netstat_http.h"
#include "netstat/netstat_view.h"

struct ts_netstat_srv {
    struct ts_netstat_ctx ctx;
    struct ts_services *services;
    char ifname[32];
};

/* The control socket's command (argv as the client sent it: "netstat", "-a", ...). The client
 * checked the flags already; they are parsed again here because the server trusts no client. */
static int ctl_view(const struct ts_netstat_ctx *c, ts_time_t now, int argc, char **argv, FILE *out)
{
    struct ts_netstat_opts o;
    char err[256];
    if (ts_netstat_parse(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(out, "%s\n", err);
        return 2;
    }
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 0);
    int r = ts_netstat_render(c, now, &o, &b);
    if (b.data) fwrite(b.data, 1, b.len, out);
    if (r < 0) fprintf(out, "\n(truncated: the answer reached its size bound)\n");
    ts_nsbuf_free(&b);
    return r < 0 ? 1 : 0;
}

int ts_netstat_srv_command(struct ts_netstat_srv *srv, ts_time_t now, int argc, char **argv, FILE *out)
{
    return ctl_view(&srv->ctx, now, argc, argv, out);
}

/* Registered with ts_ctl_add_command: the server's context, with /etc/services. */
static int ctl_cmd(void *arg, struct ts_stack *s, ts_time_t now, int argc, char **argv, FILE *out)
{
    (void)s;
    return ts_netstat_srv_command(arg, now, argc, argv, out);
}

/* The control commands this server adds to the control socket ("status" is the socket's own). */
static const char *const ctl_commands[] = { "netstat", "arp" };

struct ts_netstat_srv *ts_netstat_srv_start(struct ts_stack *s, const char *ifname, struct ts_app *apps,
                                            unsigned napps, struct ts_ctl *ctl)
{
    struct ts_netstat_srv *srv = calloc(1, sizeof *srv);
    if (!srv) return NULL;
    srv->services = ts_services_load(NULL);   /* NULL without the file: built-in names only */
    if (ifname) snprintf(srv->ifname, sizeof srv->ifname, "%s", ifname);
    srv->ctx = (struct ts_netstat_ctx){ .stack = s, .services = srv->services,
                                        .ifname = ifname ? srv->ifname : NULL, .pid = (int)getpid(),
                                        .apps = apps, .napps = napps };
    for (unsigned i = 0; i < napps; i++) {
        struct ts_http_server *http = ts_http_server_of(&apps[i]);
        if (http && ts_netstat_http_routes(http, &srv->ctx) < 0)
            fprintf(stderr, "tapstack: could not add /netstat to the HTTP server (its route table is full)\n");
    }
    for (size_t i = 0; ctl && i < sizeof ctl_commands / sizeof ctl_commands[0]; i++)
        if (ts_ctl_add_command(ctl, ctl_commands[i], ctl_cmd, srv) < 0)
            fprintf(stderr, "tapstack: the control socket's command table is full: '%s' is not served\n",
                    ctl_commands[i]);
    return srv;
}

void ts_netstat_srv_set_clock_record(struct ts_netstat_srv *srv, const struct ts_plot_rec *rec, int64_t wall_offset,
                                     int32_t tz_offset)
{
    if (!srv) return;
    srv->ctx.rec = rec;
    srv->ctx.wall_offset = wall_offset;
    srv->ctx.tz_offset = tz_offset;
}

void ts_netstat_srv_stop(struct ts_netstat_srv *srv)
{
    if (!srv) return;
    ts_services_free(srv->services);
    free(srv);
}
