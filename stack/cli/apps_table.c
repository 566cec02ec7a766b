/*
 * The table of applications (see apps_table.h): every app `tapstack up` has, in the order they
 * start and appear in --help. Each descriptor is defined in stack/cli/app_<name>.c.
 */
#include "cli/apps_table.h"

static const struct ts_cli_app *const ts_cli_apps[] = {
    &ts_cli_app_http,
    &ts_cli_app_ftp,
    &ts_cli_app_echo,
    &ts_cli_app_discard,
    &ts_cli_app_daytime,
};

_Static_assert(sizeof ts_cli_apps / sizeof ts_cli_apps[0] <= TS_CLI_APPS_MAX, "raise TS_CLI_APPS_MAX");

const struct ts_cli_app *ts_cli_app_at(unsigned i)
{
    if (i >= sizeof ts_cli_apps / sizeof ts_cli_apps[0]) return NULL;
    return ts_cli_apps[i];
}
