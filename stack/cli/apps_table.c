/*
 * The table of applications (see apps_table.h). Each entry is a weak reference, so an app that
 * is not built yet simply leaves its slot empty: adding stack/cli/app_<name>.c is enough.
 */
#include "cli/apps_table.h"

#define TS_CLI_APP(name) extern const struct ts_cli_app ts_cli_app_##name __attribute__((weak))
TS_CLI_APP(http);
TS_CLI_APP(ftp);
TS_CLI_APP(echo);
TS_CLI_APP(discard);
TS_CLI_APP(daytime);
TS_CLI_APP(chargen);
TS_CLI_APP(time);
TS_CLI_APP(qotd);
#undef TS_CLI_APP

/* One line per app, in the order they start and appear in --help. */
static const struct ts_cli_app *const ts_cli_apps[] = {
    &ts_cli_app_http,
    &ts_cli_app_ftp,
    &ts_cli_app_echo,
    &ts_cli_app_discard,
    &ts_cli_app_daytime,
    &ts_cli_app_chargen,
    &ts_cli_app_time,
    &ts_cli_app_qotd,
};

_Static_assert(sizeof ts_cli_apps / sizeof ts_cli_apps[0] <= TS_CLI_APPS_MAX, "raise TS_CLI_APPS_MAX");

const struct ts_cli_app *ts_cli_app_at(unsigned i)
{
    if (i >= sizeof ts_cli_apps / sizeof ts_cli_apps[0]) return NULL;
    return ts_cli_apps[i];
}
