/*
 * The server half of `tapstack netstat` inside `tapstack up`:
 *   - ts_ctl_netstat and ts_ctl_arp (declared in driver/ctl.h), the control socket's commands,
 *     which parse the client's flags again and answer with the views of stack/netstat;
 *   - /netstat, /netstat.json and /stats.json on every HTTP app that runs (netstat/netstat_http.h),
 *     with /etc/services read once, at start.
 */
#ifndef TS_CLI_NETSTAT_SRV_H
#define TS_CLI_NETSTAT_SRV_H

#include <stddef.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

struct ts_netstat_srv;

/* Add the routes to every HTTP app in apps; ifname names the TAP in the pages. NULL only when
 * memory is short. Stop it after the apps are stopped (their routes point into it). */
struct ts_netstat_srv *ts_netstat_srv_start(struct ts_stack *s, const char *ifname, struct ts_app *apps,
                                            unsigned napps);

/* Free it (and the services table). Safe on NULL. */
void ts_netstat_srv_stop(struct ts_netstat_srv *srv);

#endif
