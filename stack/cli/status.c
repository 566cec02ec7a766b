/* `tapstack status`: ask a running `tapstack up` how it is doing, over the control socket. */
#include <string.h>

#include "cli/cli.h"
#include "cli/ctl_client.h"

static void status_usage(FILE *out)
{
    fprintf(out, "usage: tapstack status [--netns NAME | --tap NAME | --ctl PATH]\n\n"
                 "Print the address, frame counts and loop counters of a running `tapstack up`, found\n"
                 "through its control socket (default /run/tapstack/NAME.sock, NAME being its --netns,\n"
                 "else its --tap).\n");
}

int ts_cmd_status(int argc, char **argv)
{
    struct ts_ctl_target t = { 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            status_usage(stdout);
            return TS_EXIT_OK;
        }
        int r = ts_ctl_target_flag("status", argc, argv, &i, &t);
        if (r < 0) return TS_EXIT_USAGE;
        if (r == 0) {
            fprintf(stderr, "tapstack status: unknown argument '%s' (see tapstack status --help)\n", argv[i]);
            return TS_EXIT_USAGE;
        }
    }
    char path[128];
    ts_ctl_target_path(&t, path, sizeof path);
    char *req[] = { (char *)"status", NULL };
    int st = ts_ctl_request("status", path, 1, req, stdout);
    return st < 0 ? TS_EXIT_FAIL : st;
}
