/* The `tapstack` command: dispatch to a subcommand (see cli.h). The table below is every
 * subcommand there is, in the order --help lists them. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    { "up", ts_cmd_up, "run the stack on a TAP (see tapstack up --help)" },
    { "status", ts_cmd_status, "show the address and frame counts of a running stack" },
    { "netstat", ts_cmd_netstat, "show the sockets and counters of a running stack" },
    { "arp", ts_cmd_arp, "show or change the ARP cache of a running stack" },
    { "fetch", ts_cmd_fetch, "fetch a URL through a stack of its own" },
    { "replay", ts_cmd_replay, "play a pcap file through the stack" },
    { "plot", ts_cmd_plot, "draw a capture's TCP conversations as SVG (time-sequence graph, sequence diagram)" },
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: tapstack COMMAND [FLAGS]   (tapstack COMMAND --help for its flags)\n\n"
                 "A user-space TCP/UDP/IPv4 stack on a Linux TAP device.\n\nCommands:\n");
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-10s%s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\nExample: sudo tapstack up --netns tapstack, then ip netns exec tapstack ping 10.0.0.2\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return TS_EXIT_OK;
    }
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
        if (strcmp(cmd, subcommands[i].name) == 0) return subcommands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "tapstack: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return TS_EXIT_USAGE;
}
