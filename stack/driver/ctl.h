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
 * A command is a function named ts_ctl_<argv[0]>. Commands other modules provide are declared
 * weak below: defining the function in their own file is all it takes. "status" is built in.
 */
#ifndef TS_DRIVER_CTL_H
#define TS_DRIVER_CTL_H

#include <stdio.h>

#include "tapstack/stack.h"

#define TS_CTL_DIR "/run/tapstack"
#define TS_CTL_MAX_REQUEST 4096
#define TS_CTL_MAX_ARGS 32

/* A control command: argv[0] is its name. Write the output to out, return the exit status. */
typedef int (*ts_ctl_fn)(struct ts_stack *s, ts_time_t now, int argc, char **argv, FILE *out);

int ts_ctl_netstat(struct ts_stack *s, ts_time_t now, int argc, char **argv, FILE *out) __attribute__((weak));
int ts_ctl_arp(struct ts_stack *s, ts_time_t now, int argc, char **argv, FILE *out) __attribute__((weak));

/* The default control socket path for a stack in namespace netns (may be NULL) on TAP tap. */
void ts_ctl_default_path(const char *netns, const char *tap, char *buf, size_t cap);

struct ts_ctl;

/* Listen on path (replacing a stale socket left by a dead tapstack). Returns NULL with a message
 * in err if it cannot (another tapstack serving it, no permission ...). */
struct ts_ctl *ts_ctl_open(const char *path, struct ts_stack *s, char *err, size_t errlen);

/* The listening fd, for ts_loop_watch. */
int ts_ctl_fd(const struct ts_ctl *c);

/* What "status" prints besides the stack's address: a callback of the driver (loop counters). */
void ts_ctl_set_status(struct ts_ctl *c, void (*status)(void *arg, FILE *out), void *arg);

/* The listening socket is readable: serve the connections waiting (ts_loop_watch callback). */
void ts_ctl_ready(void *ctl, ts_time_t now);

/* Close the socket and remove its path. Safe on NULL. */
void ts_ctl_close(struct ts_ctl *c);

#endif
