/*
 * The server half of `tapstack netstat` inside `tapstack up` and `tapstack fetch`:
 *   - the control socket's commands "netstat" and "arp" (its table ctl_commands), which parse the
 *     client's flags again and answer with the views of stack/netstat, port names from the
 *     services table;
 *   - /netstat, /netstat.json and /stats.json on every HTTP app that runs (netstat/netstat_http.h),
 *     with /etc/services read once, at start.
 */
#ifndef TS_CLI_NETSTAT_SRV_H
#define TS_CLI_NETSTAT_SRV_H

#include <stddef.h>
#include <stdio.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

struct ts_netstat_srv;
struct ts_plot_rec;
struct ts_ctl;

/* Add the routes to every HTTP app in apps and the commands to ctl (may be NULL); ifname names
 * the TAP in the views. NULL only when memory is short. Stop it after the apps are stopped and
 * the control socket is closed (both point into it). */
struct ts_netstat_srv *ts_netstat_srv_start(struct ts_stack *s, const char *ifname, struct ts_app *apps,
                                            unsigned napps, struct ts_ctl *ctl);

/* Answer one control command (argv[0] "netstat" or "arp", then the client's flags) into out, as
 * the control socket does; returns its exit status (2 for bad flags). */
int ts_netstat_srv_command(struct ts_netstat_srv *srv, ts_time_t now, int argc, char **argv, FILE *out);

/* Give the views the live per-conversation record (for /conn/PAIR/seq.svg and ladder.svg, the links on
 * /netstat; NULL: none) and the wall clock (stack time + wall_offset = Unix time in us; local time
 * tz_offset seconds east of UTC). Safe on NULL srv. */
void ts_netstat_srv_set_clock_record(struct ts_netstat_srv *srv, const struct ts_plot_rec *rec, int64_t wall_offset,
                                     int32_t tz_offset);

/* Free it (and the services table). Safe on NULL. */
void ts_netstat_srv_stop(struct ts_netstat_srv *srv);

#endif
