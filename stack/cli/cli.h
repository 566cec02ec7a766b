/*
 * The subcommands of the `tapstack` command. Each takes the arguments after "tapstack"
 * (argv[0] is the subcommand's name) and returns the process exit code: 0 success, 1 failure at
 * run time, 2 bad usage.
 *
 * The table that names them is in main.c: adding a subcommand is a function in its own file
 * (stack/cli/<name>.c), its declaration here and one line in that table.
 */
#ifndef TS_CLI_CLI_H
#define TS_CLI_CLI_H

#define TS_EXIT_OK 0
#define TS_EXIT_FAIL 1
#define TS_EXIT_USAGE 2

int ts_cmd_up(int argc, char **argv);
int ts_cmd_status(int argc, char **argv);
int ts_cmd_netstat(int argc, char **argv);
int ts_cmd_arp(int argc, char **argv);
int ts_cmd_fetch(int argc, char **argv);
int ts_cmd_replay(int argc, char **argv);
int ts_cmd_plot(int argc, char **argv);

#endif
