/*
 * The command-line flags of observability, shared by `tapstack up`, `fetch` and `replay`:
 *   --pcap FILE  --pcap-per-conn DIR  --trace[=text|json]  --trace-file FILE
 *   --loss P  --dup P  --reorder P  --corrupt P  --delay MS[+JITTER]  --rate BITS/S
 *   and each fault with -in or -out (--loss-in 0.1): one direction only.
 * A command's parser asks ts_obs_flag_find for a name it does not know, then ts_obs_flag_set.
 */
#ifndef TS_CLI_OBS_OPTS_H
#define TS_CLI_OBS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "driver/obs.h"

struct ts_obs_flag {
    const char *name;        /* without "--" */
    const char *arg;         /* what the value looks like, NULL for a switch */
    bool optional;           /* the value may be left out; it is then given only as --name=VALUE */
};

/* The flag called name (no leading "--"), or NULL if it is not an observability flag. */
const struct ts_obs_flag *ts_obs_flag_find(const char *name);

/* Apply flag f with value (NULL when left out) to o. Returns 0, or -1 with a message in err
 * saying what is wrong and what is expected. */
int ts_obs_flag_set(struct ts_obs_opts *o, const struct ts_obs_flag *f, const char *value, char *err,
                    size_t errlen);

/* For a command's flag loop: if name (from "--name" or "--name=VALUE"; eq_value is what follows
 * '=', or NULL) is an observability flag, apply it, taking its value from argv[*i + 1] when
 * needed (and moving *i past it). Returns 0 when applied, -1 with a message in err when the
 * value is bad or missing, 1 when name is not an observability flag. */
int ts_obs_flag_apply(struct ts_obs_opts *o, const char *name, const char *eq_value, int argc, char **argv,
                      int *i, char *err, size_t errlen);

/* A command's stack, observed: ts_stack_new(cfg), then ts_obs_attach(obs, ...) (obs may be NULL).
 * Returns 0 with *stack set, or -1 with a message in err saying why; after a failed attach
 * *stack is set too, for the caller's teardown to free. */
int ts_obs_stack_new(const struct ts_config *cfg, struct ts_obs *obs, struct ts_stack **stack, char *err,
                     size_t errlen);

/* The flags' help, in the style of `tapstack up --help`. */
void ts_obs_usage(FILE *out);

#endif
