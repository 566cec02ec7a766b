/*
 * `tapstack netstat` and `tapstack arp`: the client. It checks its flags, finds the control
 * socket of a running `tapstack up` (--ctl PATH, --netns NAME, --tap NAME, or the only one in
 * /run/tapstack), sends the flags (driver/ctl.h protocol), prints the answer. -c asks again every
 * second (N times, or until Ctrl-C).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctl_client.h"
#include "driver/ctl.h"
#include "netstat/netstat_opts.h"

/* With no --ctl/--netns/--tap: the only *.sock in /run/tapstack, or tapstack.sock (what
 * `make run` starts) when there are several. */
static int find_ctl(char *path, size_t cap, const char *cmd)
{
    DIR *d = opendir(TS_CTL_DIR);
    char found[8][64];
    unsigned n = 0;
    bool have_default = false;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len >= sizeof found[0] || strcmp(e->d_name + len - 5, ".sock") != 0) continue;
        if (strcmp(e->d_name, "tapstack.sock") == 0) have_default = true;
        if (n < 8) memcpy(found[n], e->d_name, len + 1);
        n++;
    }
    if (d) closedir(d);
    if (n == 1 || have_default) {
        snprintf(path, cap, "%s/%s", TS_CTL_DIR, have_default ? "tapstack.sock" : found[0]);
        return 0;
    }
    if (n == 0) {
        fprintf(stderr, "tapstack %s: is tapstack up running? (looked for %s/*.sock; or give --ctl PATH)\n", cmd,
                TS_CTL_DIR);
        return -1;
    }
    fprintf(stderr, "tapstack %s: %u stacks are running; pick one:\n", cmd, n);
    for (unsigned i = 0; i < n && i < 8; i++) fprintf(stderr, "  --ctl %s/%s\n", TS_CTL_DIR, found[i]);
    return -1;
}

/* Split argv into the target flags (--ctl/--netns/--tap, into t) and the view's flags (into
 * rest, rest[0] = argv[0]). Returns the count in rest, or -1 after a message. */
static int split_args(int argc, char **argv, struct ts_ctl_target *t, char **rest)
{
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int r = ts_ctl_target_flag(argv[0], argc, argv, &i, t);
        if (r < 0) return -1;
        if (r == 0) rest[n++] = argv[i];
    }
    rest[n] = NULL;
    return n;
}

/* Ask once; print the answer (clearing the screen first for -c on a terminal). */
static int ask_once(const char *cmd, const char *path, char *req, bool clear, bool sep)
{
    char *words[TS_CTL_MAX_ARGS + 1];
    int nw = 0;
    for (char *w = strtok(req, " \n"); w && nw < TS_CTL_MAX_ARGS; w = strtok(NULL, " \n")) words[nw++] = w;
    words[nw] = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) return TS_EXIT_FAIL;
    int st = ts_ctl_request(cmd, path, nw, words, mem);
    fclose(mem);
    int rc = st < 0 ? TS_EXIT_FAIL : st;
    if (st == 0) {
        if (clear) fputs("\033[H\033[2J", stdout);
        else if (sep) fputs("\n", stdout);
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    } else if (st > 0) {
        fprintf(stderr, "tapstack %s: the stack says: %s", cmd, text ? text : "\n");
    }
    free(text);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct ts_ctl_target t = { 0 };
    char *rest[argc + 1];
    int nrest = split_args(argc, argv, &t, rest);
    if (nrest < 0) return TS_EXIT_USAGE;
    struct ts_netstat_opts o;
    char err[256], path[128], req[TS_NETSTAT_REQ_MAX], line[TS_NETSTAT_REQ_MAX];
    if (ts_netstat_parse(nrest, rest, &o, err, sizeof err) < 0) {
        fprintf(stderr, "tapstack %s: %s\n", cmd, err);
        return TS_EXIT_USAGE;
    }
    if (o.help) {
        fputs(ts_netstat_usage(strcmp(cmd, "arp") == 0), stdout);
        return TS_EXIT_OK;
    }
    if (o.ctl) t.ctl = o.ctl;
    if (t.ctl || t.netns || t.tap) ts_ctl_target_path(&t, path, sizeof path);
    else if (find_ctl(path, sizeof path, cmd) < 0) return TS_EXIT_FAIL;
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "tapstack %s: is tapstack up running? (looked for %s)\n", cmd, path);
        return TS_EXIT_FAIL;
    }
    if (ts_netstat_request(&o, req, sizeof req) == 0) return TS_EXIT_USAGE;
    bool tty = isatty(STDOUT_FILENO);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int rc = TS_EXIT_OK;
    for (unsigned k = 0; rc == TS_EXIT_OK; k++) {
        if (k > 0) {
            struct timespec next = { .tv_sec = start.tv_sec + (time_t)k, .tv_nsec = start.tv_nsec };
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0) {}
        }
        memcpy(line, req, sizeof line);
        rc = ask_once(cmd, path, line, o.continuous && tty, k > 0);
        if (!o.continuous || (o.count && k + 1 >= o.count)) break;
    }
    return rc;
}

int ts_cmd_netstat(int argc, char **argv) { return run(argc, argv); }

int ts_cmd_arp(int argc, char **argv) { return run(argc, argv); }
