/*
 * The client side of the control socket (see driver/ctl.h for the protocol), for the
 * subcommands that talk to a running `tapstack up`: status, netstat, arp.
 */
#ifndef TS_CLI_CTL_CLIENT_H
#define TS_CLI_CTL_CLIENT_H

#include <stdio.h>

/* Where to find the running stack: --ctl PATH, or the default path for --netns NAME / --tap
 * NAME (tap0 when neither is given). */
struct ts_ctl_target {
    const char *ctl, *netns, *tap;
};

/* If argv[*i] is --ctl, --netns or --tap (with its value, "--flag V" or "--flag=V"), store it in
 * t, advance *i past what it used and return 1; return 0 if argv[*i] is not one of them; return
 * -1 (message printed to stderr, prefixed with cmd) if its value is missing. */
int ts_ctl_target_flag(const char *cmd, int argc, char **argv, int *i, struct ts_ctl_target *t);

/* The socket path the target names, into buf. */
void ts_ctl_target_path(const struct ts_ctl_target *t, char *buf, size_t cap);

/* Send argv to the stack at path and copy its output to out. Returns the command's exit
 * status, or -1 after printing (prefixed with cmd) why it could not ask. */
int ts_ctl_request(const char *cmd, const char *path, int argc, char **argv, FILE *out);

#endif
