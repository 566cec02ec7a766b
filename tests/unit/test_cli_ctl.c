/*
 * Unit tests for the control socket: the server (stack/driver/ctl.c) and the client
 * (stack/cli/ctl_client.c) talking over a real Unix socket, the client in a forked child.
 * Neither is in the libraries the unit tests link, so their sources are compiled in here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "driver/ctl.c"
#include "cli/ctl_client.c"

struct fixture {
    char dir[64];
    char path[96];
    struct ts_stack *stack;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ts-ctl-test-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/ctl.sock", f->dir);
    struct ts_config cfg;
    ts_config_default(&cfg);
    f->stack = ts_stack_new(&cfg, NULL);
    *state = f;
    return f->stack ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ts_stack_free(f->stack);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void extra_status(void *arg, FILE *out) { fprintf(out, "extra %s\n", (const char *)arg); }

/* Run `argv` against the server from a child; the parent serves. Returns the child's exit
 * status (the command's status, or 255 when the client failed); its output lands in out. */
static int ask(struct ts_ctl *c, const char *path, int argc, char **argv, char *out, size_t cap)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int st = ts_ctl_request("test", path, argc, argv, tmp);
        fflush(tmp);
        _exit(st < 0 ? 255 : st);
    }
    /* Serve (without blocking: ts_ctl_ready does what is ready) until the child is done, 5 s at most. */
    struct pollfd p = { .fd = ts_ctl_fd(c), .events = POLLIN };
    int wst = 0;
    pid_t done = 0;
    for (int i = 0; i < 500 && done == 0; i++) {
        if (poll(&p, 1, 10) > 0) ts_ctl_ready(c, 0);
        done = waitpid(pid, &wst, WNOHANG);
    }
    if (done == 0) done = waitpid(pid, &wst, 0);
    assert_int_equal(done, pid);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    assert_true(WIFEXITED(wst));
    return WEXITSTATUS(wst);
}

static void test_status_round_trip(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct ts_ctl *c = ts_ctl_open(f->path, f->stack, err, sizeof err);
    assert_non_null(c);
    ts_ctl_set_status(c, extra_status, "counters");
    char out[1024];
    char *argv[] = { "status", NULL };
    assert_int_equal(ask(c, f->path, 1, argv, out, sizeof out), 0);
    assert_non_null(strstr(out, "address 10.0.0.2/24 mac 02:00:00:00:00:02 mtu 1500\n"));
    assert_non_null(strstr(out, "extra counters\n"));
    /* a command nobody serves (netstat is not linked here): status 2 and a reason */
    char *argv2[] = { "netstat", "-t", NULL };
    assert_int_equal(ask(c, f->path, 2, argv2, out, sizeof out), 2);
    assert_string_equal(out, "this tapstack does not serve 'netstat'\n");
    ts_ctl_close(c);
    assert_int_equal(access(f->path, F_OK), -1);   /* the path is removed */
}

static void test_second_server_refused_stale_replaced(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct ts_ctl *c = ts_ctl_open(f->path, f->stack, err, sizeof err);
    assert_non_null(c);
    assert_null(ts_ctl_open(f->path, f->stack, err, sizeof err));
    assert_non_null(strstr(err, "served by another tapstack"));
    ts_ctl_close(c);
    /* a socket file left by a dead server is replaced */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, f->path, strlen(f->path));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    assert_int_equal(access(f->path, F_OK), 0);
    c = ts_ctl_open(f->path, f->stack, err, sizeof err);
    assert_non_null(c);
    ts_ctl_close(c);
}

static void test_client_errors(void **state)
{
    struct fixture *f = *state;
    FILE *null = fopen("/dev/null", "w");
    char *argv[] = { "status", NULL };
    /* nobody listening */
    assert_int_equal(ts_ctl_request("test", f->path, 1, argv, null), -1);
    fclose(null);
    /* target flags and default paths */
    struct ts_ctl_target t = { 0 };
    char path[128];
    ts_ctl_target_path(&t, path, sizeof path);
    assert_string_equal(path, "/run/tapstack/tap0.sock");
    char *args[] = { "status", "--netns=blue", "--tap", "tap9", "--ctl" };
    int i = 1;
    assert_int_equal(ts_ctl_target_flag("test", 5, args, &i, &t), 1);
    ts_ctl_target_path(&t, path, sizeof path);
    assert_string_equal(path, "/run/tapstack/blue.sock");
    i = 2;
    assert_int_equal(ts_ctl_target_flag("test", 5, args, &i, &t), 1);
    assert_int_equal(i, 3);
    assert_string_equal(t.tap, "tap9");
    i = 4;
    assert_int_equal(ts_ctl_target_flag("test", 5, args, &i, &t), -1);   /* --ctl without a value */
    char *other[] = { "status", "--verbose" };
    i = 1;
    assert_int_equal(ts_ctl_target_flag("test", 2, other, &i, &t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_server_refused_stale_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
