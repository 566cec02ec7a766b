/*
 * The control socket: how `tapstack netstat`, `tapstack arp` and `tapstack status` talk to a
 * running `tapstack up`. A Unix stream socket at a path (--ctl, default /run/tapstack/NAME.sock
 * where NAME is the --netns name, else the TAP's).
 *
 * Protocol, one command per connection:
 *   client -> server: the arguments, each ended by a NUL byte ("netstat\0-t\0"), then EOF
 *                     (shutdown(SHUT_WR)); at most 4096 bytes and 32 arguments.
 *   server -> client: "status N\n" (the command's exit status), then the command's output
 *                     text until EOF.
 * The command runs inside the loop's thread, between frames, so it may read and change the
 * stack freely (ARP entries ...), and must be quick.
 *
 * Nothing blocks: the listening socket and every client sit in one epoll instance (ts_ctl_fd),
 * which the loop watches; ts_ctl_ready does what each socket allows now and returns. At most
 * TS_CTL_CLIENTS are served at once (more wait in the backlog); a client that has not sent its
 * request and read the answer within TS_CTL_CLIENT_TIMEOUT is dropped.
 *
 * "status" is built in; every other command is registered by whoever opens the socket, with
 * ts_ctl_add_command (`tapstack up` and `tapstack fetch`: the table in stack/cli/netstat_srv.c,
 * "netstat" and "arp"). Any other name is answered with status 2 and "does not serve".
 */
#ifndef TS_DRIVER_CTL_H
#define TS_DRIVER_CTL_H

#include <stdio.h>

#include "tapstack/stack.h"

#define TS_CTL_DIR "/run/tapstack"
#define TS_CTL_MAX_REQUEST 4096
#define TS_CTL_MAX_ARGS 32
#define TS_CTL_CLIENTS 16
#define TS_CTL_CLIENT_TIMEOUT TS_SEC(5)
#define TS_CTL_MAX_COMMANDS 8

/* The default control socket path for a stack in namespace netns (may be NULL) on TAP tap. */
void ts_ctl_default_path(const char *netns, const char *tap, char *buf, size_t cap);

struct ts_ctl;

/* Listen on path (replacing a stale socket left by a dead tapstack). Returns NULL with a message
 * in err if it cannot (another tapstack serving it, no permission ...). */
struct ts_ctl *ts_ctl_open(const char *path, struct ts_stack *s, char *err, size_t errlen);

/* Serve command name (argv[0]) with fn(arg, ...): fn writes its output to out and returns the
 * exit status. name must outlive c. Returns 0 or -1 (TS_CTL_MAX_COMMANDS reached). */
typedef int (*ts_ctl_cmd_fn)(void *arg, struct ts_stack *s, ts_time_t now, int argc, char **argv, FILE *out);
int ts_ctl_add_command(struct ts_ctl *c, const char *name, ts_ctl_cmd_fn fn, void *arg);

/* The fd to watch for readability (an epoll fd: the listening socket and the clients), for
 * ts_loop_watch. */
int ts_ctl_fd(const struct ts_ctl *c);

/* What "status" prints besides the stack's address: a callback of the driver (loop counters). */
void ts_ctl_set_status(struct ts_ctl *c, void (*status)(void *arg, FILE *out), void *arg);

/* The fd is readable: accept, read, answer and write what is ready, without blocking
 * (ts_loop_watch callback). */
void ts_ctl_ready(void *ctl, ts_time_t now);

/* Close the socket and remove its path. Safe on NULL. */
void ts_ctl_close(struct ts_ctl *c);

#endif
