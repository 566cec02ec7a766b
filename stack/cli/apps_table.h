/*
 * The applications `tapstack up` can start, each described by one struct ts_cli_app.
 *
 * How to add an application:
 *   1. Write stack/cli/app_<name>.c defining
 *          const struct ts_cli_app ts_cli_app_<name> = { .name = "<name>", ... };
 *      with its flags and a start function that calls your ts_<name>_start() from
 *      stack/apps/<name>.h. Every app gets --<name> and --no-<name> for free.
 *   2. Declare it below and add one line to the table in apps_table.c.
 * Nothing else: parsing, --help, starting and stopping come from the descriptor.
 */
#ifndef TS_CLI_APPS_TABLE_H
#define TS_CLI_APPS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

/* One flag of an app, e.g. --http-root DIR. */
struct ts_cli_flag {
    const char *name;     /* without the leading "--": "http-root" */
    const char *arg;      /* what the value looks like ("DIR"), or NULL for a switch */
    const char *help;     /* one line for --help */
    /* Store value (NULL for a switch) into the app's options. Return 0, or -1 after writing
     * into err what is wrong and what to do ("--http-root /nope: no such directory"). */
    int (*set)(void *opts, const char *value, char *err, size_t errlen);
};

struct ts_cli_app {
    const char *name;         /* "http": gives --http and --no-http */
    const char *summary;      /* "HTTP/1.1 server on port 80", for --help */
    bool default_on;          /* started unless --no-<name> */
    const char *hint;         /* what to try, printf format with one %s for the stack's address
                               * ("curl http://%s/"); NULL if none */
    size_t opts_size;         /* size of the app's options struct (0 if it has none) */
    void (*defaults)(void *opts);           /* fill the defaults; NULL leaves them zero */
    const struct ts_cli_flag *flags;        /* ends with an entry whose name is NULL; may be NULL */
    /* Start the app on s: open its sockets and fill *out (see app.h). Return 0, or -1 after
     * writing into err why it could not start. */
    int (*start)(struct ts_stack *s, ts_time_t now, const void *opts, struct ts_app *out,
                 char *err, size_t errlen);
};

/* The applications, each defined in stack/cli/app_<name>.c. */
extern const struct ts_cli_app ts_cli_app_http;      /* app_http.c */
extern const struct ts_cli_app ts_cli_app_ftp;       /* app_ftp.c */
extern const struct ts_cli_app ts_cli_app_echo;      /* app_services.c */
extern const struct ts_cli_app ts_cli_app_discard;   /* app_services.c */
extern const struct ts_cli_app ts_cli_app_daytime;   /* app_services.c */

/* Most apps the table may hold (the size of per-app arrays such as ts_up_opts.app_on). */
#define TS_CLI_APPS_MAX 16

/* The app in slot i of the table, or NULL past its end (slots 0.. are filled in order). */
const struct ts_cli_app *ts_cli_app_at(unsigned i);

#endif
