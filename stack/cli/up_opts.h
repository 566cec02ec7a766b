/*
 * The options of `tapstack up`, parsed without side effects (no I/O but the --help text), so
 * that tests/unit/test_cli_up.c can check every flag.
 */
#ifndef TS_CLI_UP_OPTS_H
#define TS_CLI_UP_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "tapstack/stack.h"
#include "cli/apps_table.h"
#include "driver/obs.h"

struct ts_up_opts {
    const char *tap;          /* TAP name; default "tap0" */
    const char *netns;        /* namespace to create or join; NULL: attach here, configure nothing */
    const char *ctl;          /* control socket path; NULL: none */
    struct ts_config cfg;     /* the stack's configuration */
    bool seed_set;            /* --seed given (else the caller picks a random seed) */
    bool hints;               /* print what to try once up */
    bool no_offload;          /* --no-offload: plain frames on the TAP (no virtio-net header) */
    bool no_tso;              /* --no-tso: partial checksums on the TAP, no segment past the MSS */
    unsigned busy_poll_us;    /* --busy-poll: µs to wait awake for the next frame (driver/rx_spin.h) */
    bool app_on[TS_CLI_APPS_MAX];
    void *app_opts[TS_CLI_APPS_MAX];   /* each app's options (opts_size bytes), or NULL */
    struct ts_obs_opts obs;   /* --pcap, --trace, --loss ... (cli/obs_opts.h) */
};

/* Parse the arguments of `tapstack up` (argv[0] is "up"; flags as "--flag VALUE" or
 * "--flag=VALUE") into *o, starting from the defaults. Returns 0, 1 if --help was asked, or -1
 * with a message in err saying what is wrong and what to do. Free with ts_up_opts_free even on
 * failure. */
int ts_up_parse(int argc, char **argv, struct ts_up_opts *o, char *err, size_t errlen);

/* Should the stack use the TAP's offloads? Yes unless --no-offload or a fault is asked for
 * (faults act on wire-sized frames). `tapstack replay` makes the same choice. */
bool ts_up_offload_wanted(const struct ts_up_opts *o);

/* Free what ts_up_parse allocated. */
void ts_up_opts_free(struct ts_up_opts *o);

/* The seed of cfg unless --seed gave it: random (getrandom, else the clock and the pid). */
void ts_up_pick_seed(const struct ts_up_opts *o, struct ts_config *cfg);

/* The help text of `tapstack up`. */
void ts_up_usage(FILE *out);

/* The address the kernel side of the TAP gets with --netns: the first host address of the
 * prefix, or the second if the first is the stack's own. Host order. */
uint32_t ts_up_peer_ip(const struct ts_config *cfg);

#endif
