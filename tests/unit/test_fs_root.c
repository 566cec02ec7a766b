/*
 * Attacks on the confinement shared by HTTP and FTP (stack/apps/fs_root.c).
 *  - The text: ".." at every depth from 0 to 40 (one too many must be refused, exactly enough
 *    must give "/"), 200,000 random paths of "a", ".", ".." and "/" checked against a model,
 *    names of 255 and 256 bytes, paths that just fit and just do not, a NUL in a segment.
 *  - The kernel, on a real tree with an "outside" directory holding SECRET: symbolic links that
 *    climb out, are absolute (even to a file inside), chain out, loop, or go through
 *    /proc/self/root; a directory link leading out, then a file or a new file under it; a
 *    dangling link to a file outside that O_CREAT would create. Each through openat2 and through
 *    the fallback (openat + real-path check). Nothing may be read or created outside.
 *  - Races: while one thread swaps a directory inside the root with a link to the outside
 *    (renameat2 RENAME_EXCHANGE), or moves a directory holding a "../x" link out of the root
 *    and back, another opens through it thousands of times: SECRET is never read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apps/fs_root.h"
#include "lib/tmptree.h"

/* ---- the text ---- */

static void joins(const char *base, const char *arg, const char *want)
{
    char out[TS_FS_PATH_MAX];
    int r = ts_fs_path_join(base, arg, out, sizeof out);
    if (r != 0 || strcmp(out, want) != 0) fail_msg("join(%s, %s) = %d '%s', wanted '%s'", base, arg, r, out, want);
}

static void refused(const char *base, const char *arg, int want)
{
    char out[TS_FS_PATH_MAX];
    int r = ts_fs_path_join(base, arg, out, sizeof out);
    if (r != want) fail_msg("join(%s, %s) = %d '%s', wanted error %d", base, arg, r, out, want);
}

static void test_text_plain(void **state)
{
    (void)state;
    joins("/", "a/b", "/a/b");
    joins("/a", "b", "/a/b");
    joins("/a", "/b", "/b");
    joins("/a/b", "..", "/a");
    joins("/a/b", "../..", "/");
    joins("/", "", "/");
    joins("/a", "", "/a");
    joins("/", "a//b/./c/", "/a/b/c");
    joins("/", "./././", "/");
    joins("/", "a/../b/../c", "/c");
    joins("/", "...", "/...");          /* three dots is a name */
    joins("/", "..a/a..", "/..a/a..");
    refused("/", "..", TS_FS_ESCAPE);
    refused("/", "/..", TS_FS_ESCAPE);
    refused("/a", "../..", TS_FS_ESCAPE);
    refused("/a", "/../a", TS_FS_ESCAPE);  /* absolute: the base does not count */
    refused("/", "a/../..", TS_FS_ESCAPE);
}

/* ".." at every depth: d segments deep, d ".." reach the root and d + 1 escape, whether the
 * segments come from the base, the argument, or both, and wherever the extra ".." sits. */
static void test_text_every_depth(void **state)
{
    (void)state;
    for (int d = 0; d <= 40; d++) {
        char base[512] = "", down[512] = "", up[512] = "", arg[2048];
        for (int i = 0; i < d; i++) {
            snprintf(base + strlen(base), sizeof base - strlen(base), "/s%d", i);
            snprintf(down + strlen(down), sizeof down - strlen(down), "s%d/", i);
            strcat(up, "../");
        }
        joins(d ? base : "/", up, "/");
        snprintf(arg, sizeof arg, "%s..", up);
        refused(d ? base : "/", arg, TS_FS_ESCAPE);
        snprintf(arg, sizeof arg, "/%s%s", down, up);
        joins("/", arg, "/");
        snprintf(arg, sizeof arg, "/%s%s../s0", down, up);
        refused("/", arg, TS_FS_ESCAPE);
        if (d) {   /* relative, on top of the base: down d, up d + 1 leaves the base's parent */
            char parent[512];
            snprintf(parent, sizeof parent, "%s", base);
            *strrchr(parent, '/') = '\0';
            snprintf(arg, sizeof arg, "%s%s..", down, up);
            joins(base, arg, parent[0] ? parent : "/");
        }
        snprintf(arg, sizeof arg, "%sx/../../", up);      /* climbs back after going down */
        refused(d ? base : "/", arg, TS_FS_ESCAPE);
    }
}

/* The model: walk the segments with a depth counter; an escape is the counter going below 0. */
static int model(const char *p, char *out, size_t cap)
{
    char segs[64][80];   /* up to 24 parts of at most 3 bytes each */
    int n = 0;
    while (*p) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            if (n == 0) return TS_FS_ESCAPE;
            n--;
        } else if (k && !(k == 1 && p[0] == '.')) {
            memcpy(segs[n], p, k);
            segs[n++][k] = '\0';
        }
        p += k;
        while (*p == '/') p++;
    }
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) len += (size_t)snprintf(out + len, cap - len, "/%s", segs[i]);
    if (n == 0) strcpy(out, "/");
    return 0;
}

static void test_text_random(void **state)
{
    (void)state;
    static const char *const parts[] = { "a", "b", ".", "..", "/", "/", "..." };
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned escapes = 0;
    for (int t = 0; t < 200000; t++) {
        char in[256] = "";
        int k = 1 + (int)(x % 24);
        for (int i = 0; i < k; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            strcat(in, parts[x % 7]);
        }
        char got[TS_FS_PATH_MAX], want[TS_FS_PATH_MAX];
        int r = ts_fs_path_join("/", in, got, sizeof got);
        int m = model(in, want, sizeof want);
        if (r != m || (r == 0 && strcmp(got, want) != 0))
            fail_msg("join(/, %s) = %d '%s'; the model says %d '%s'", in, r, got, m, want);
        if (r == 0 && (strstr(got, "/../") || strstr(got, "/./") || strstr(got, "//") ||
                       (strlen(got) > 1 && got[strlen(got) - 1] == '/') ||
                       (strlen(got) >= 3 && strcmp(got + strlen(got) - 3, "/..") == 0)))
            fail_msg("join(/, %s) = '%s' is not clean", in, got);
        escapes += r == TS_FS_ESCAPE;
    }
    assert_true(escapes > 10000);   /* the generator does reach the attack */
}

static void test_text_lengths(void **state)
{
    (void)state;
    char name[300], out[TS_FS_PATH_MAX];
    memset(name, 'n', sizeof name);
    name[NAME_MAX] = '\0';
    assert_int_equal(ts_fs_path_join("/", name, out, sizeof out), 0);
    assert_int_equal(strlen(out), NAME_MAX + 1);
    name[NAME_MAX] = 'n';
    name[NAME_MAX + 1] = '\0';
    refused("/", name, TS_FS_TOOLONG);
    /* "/abc/def" needs 9 bytes with its NUL: 9 fits, 8 does not, and 8 leaves "" behind. */
    char small[9];
    assert_int_equal(ts_fs_path_join("/", "abc/def", small, 9), 0);
    assert_string_equal(small, "/abc/def");
    assert_int_equal(ts_fs_path_join("/", "abc/def", small, 8), TS_FS_TOOLONG);
    assert_string_equal(small, "");
    assert_int_equal(ts_fs_path_join("/", "", small, 1), TS_FS_TOOLONG);
    /* a path of 2,000 segments: far past the buffer, refused, never written past it */
    char *many = malloc(8001);
    for (int i = 0; i < 2000; i++) memcpy(many + 4 * i, "abc/", 4);
    many[8000] = '\0';
    refused("/", many, TS_FS_TOOLONG);
    /* ... unless the ".." that follow fold it back in time */
    char *back = malloc(8000 + 3 * 2000 + 1);
    strcpy(back, "");
    for (int i = 0; i < 2000; i++) strcat(back, "abc/../");
    joins("/", back, "/");
    free(back);
    free(many);
}

static void test_text_nul(void **state)
{
    (void)state;
    char out[64] = "";
    size_t len = 0;
    assert_int_equal(ts_fs_path_push(out, sizeof out, &len, "ok", 2), 0);
    assert_int_equal(ts_fs_path_push(out, sizeof out, &len, "a\0b", 3), TS_FS_BADNAME);
    assert_int_equal(ts_fs_path_push(out, sizeof out, &len, "\0", 1), TS_FS_BADNAME);
    assert_int_equal(ts_fs_path_push(out, sizeof out, &len, ".\0", 2), TS_FS_BADNAME);
    assert_string_equal(out, "/ok");   /* unchanged by the refusals */
    assert_int_equal(len, 3);
}

/* ---- the kernel, on a real tree ---- */

struct tree {
    char base[64];           /* holds root/ and outside/ */
    char root[128], outside[128];
    struct ts_fs_root r;
};

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    tree_new(t->base, sizeof t->base, "fs-root");
    snprintf(t->root, sizeof t->root, "%s/root", t->base);
    snprintf(t->outside, sizeof t->outside, "%s/outside", t->base);
    tree_dir(t->base, "root");
    tree_dir(t->base, "outside");
    tree_file(t->outside, "secret.txt", "SECRET\n");
    tree_file(t->outside, "f", "SECRET\n");
    tree_file(t->outside, "x", "SECRET\n");
    tree_file(t->root, "hello.txt", "hello\n");
    tree_dir(t->root, "sub");
    tree_file(t->root, "sub/inner.txt", "inner\n");
    tree_dir(t->root, "sub/deep");
    tree_link(t->root, "alias.txt", "sub/inner.txt");                  /* relative, inside */
    tree_link(t->root, "sub/back", "../hello.txt");                     /* climbs, stays inside */
    tree_link(t->root, "up", "../outside/secret.txt");                  /* climbs out */
    tree_link(t->root, "abs", "/etc/passwd");                           /* absolute */
    char p[256];
    snprintf(p, sizeof p, "%s/hello.txt", t->root);
    tree_link(t->root, "absin", p);                                     /* absolute, to inside */
    tree_link(t->root, "updir", "../outside");                          /* a directory outside */
    tree_link(t->root, "c1", "c2");                                     /* a chain leading out */
    tree_link(t->root, "c2", "sub/deep/c3");
    tree_link(t->root, "sub/deep/c3", "../../../outside/secret.txt");
    tree_link(t->root, "loop1", "loop2");
    tree_link(t->root, "loop2", "loop1");
    tree_link(t->root, "proc", "/proc/self/root/etc/passwd");           /* through a magic link */
    tree_link(t->root, "dangling", "../outside/created.txt");           /* O_CREAT would make it */
    assert_int_equal(ts_fs_root_open(&t->r, t->root), 0);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    ts_fs_root_close(&t->r);
    tree_remove(t->base);
    free(t);
    return 0;
}

static void read_is(int fd, const char *want)
{
    char buf[64] = { 0 };
    if (fd < 0) fail_msg("open failed: %s (wanted '%s')", strerror(-fd), want);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(buf, want);
}

static bool exists(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return lstat(p, &st) == 0;
}

static void test_open_inside(void **state)
{
    struct tree *t = *state;
    for (int fb = 0; fb < 2; fb++) {   /* openat2, then the fallback */
#define OPEN(path) (fb ? ts_fs_root_open_checked(&t->r, path, O_RDONLY) : ts_fs_root_openat(&t->r, path, O_RDONLY, 0))
        read_is(OPEN("/hello.txt"), "hello\n");
        read_is(OPEN("/sub/inner.txt"), "inner\n");
        read_is(OPEN("/alias.txt"), "inner\n");
        read_is(OPEN("/sub/back"), "hello\n");
        read_is(OPEN("sub/inner.txt"), "inner\n");   /* relative means the same */
        int fd = OPEN("/");
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        close(fd);
        assert_int_equal(OPEN("/nope"), -ENOENT);
        assert_int_equal(OPEN("/hello.txt/x"), -ENOTDIR);
#undef OPEN
    }
    struct stat st;
    assert_int_equal(ts_fs_root_stat(&t->r, "/alias.txt", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(ts_fs_root_stat(&t->r, "/nope", &st), -ENOENT);
}

static void test_open_escapes(void **state)
{
    struct tree *t = *state;
    static const char *const bad[] = {
        "/up", "/abs", "/absin", "/updir/secret.txt", "/updir", "/updir/", "/c1", "/c2", "/sub/deep/c3",
        "/proc", "/dangling", "/../outside/secret.txt", "/sub/../../outside/secret.txt", "/loop1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = ts_fs_root_openat(&t->r, bad[i], O_RDONLY, 0);
        if (fd >= 0) fail_msg("openat2 opened %s", bad[i]);
        fd = ts_fs_root_openat(&t->r, bad[i], O_PATH, 0);
        if (fd >= 0) fail_msg("openat2 opened %s with O_PATH", bad[i]);
        struct stat st;
        if (ts_fs_root_stat(&t->r, bad[i], &st) == 0) fail_msg("stat reached %s", bad[i]);
        fd = ts_fs_root_open_checked(&t->r, bad[i], O_RDONLY);
        /* the fallback: refused, except "/absin", which is a file inside reached by an absolute
         * link (openat2 refuses any absolute link; the real-path check only cares where it lands) */
        if (strcmp(bad[i], "/absin") == 0) {
            read_is(fd, "hello\n");
            continue;
        }
        if (fd >= 0) fail_msg("the fallback opened %s", bad[i]);
    }
    assert_int_equal(ts_fs_root_openat(&t->r, "/loop1", O_RDONLY, 0), -ELOOP);
    assert_int_equal(ts_fs_root_open_checked(&t->r, "/up", O_RDONLY), -EXDEV);
}

static void test_create_escapes(void **state)
{
    struct tree *t = *state;
    int fd = ts_fs_root_openat(&t->r, "/updir/new.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd < 0);
    fd = ts_fs_root_openat(&t->r, "/dangling", O_WRONLY | O_CREAT, 0644);
    assert_true(fd < 0);
    fd = ts_fs_root_openat(&t->r, "/up", O_WRONLY | O_TRUNC, 0);
    assert_true(fd < 0);
    assert_false(exists(t->outside, "new.txt"));
    assert_false(exists(t->outside, "created.txt"));
}

static void test_parent(void **state)
{
    struct tree *t = *state;
    const char *name = NULL;
    int dfd = ts_fs_root_open_parent(&t->r, "/sub/inner.txt", &name);
    assert_true(dfd >= 0);
    assert_string_equal(name, "inner.txt");
    struct stat st;
    assert_int_equal(fstatat(dfd, name, &st, 0), 0);
    close(dfd);
    assert_int_equal(ts_fs_root_open_parent(&t->r, "/", &name), -EPERM);
    assert_int_equal(ts_fs_root_open_parent(&t->r, "/sub/..", &name), -EPERM);
    assert_true(ts_fs_root_open_parent(&t->r, "/updir/secret.txt", &name) < 0);
    assert_true(ts_fs_root_open_parent(&t->r, "/c1/x", &name) < 0);
    /* a new directory goes in, and nothing under a link out */
    dfd = ts_fs_root_open_parent(&t->r, "/sub/newdir", &name);
    assert_true(dfd >= 0);
    assert_int_equal(mkdirat(dfd, name, 0755), 0);
    close(dfd);
    assert_true(exists(t->root, "sub/newdir"));
}

static void test_root_open(void **state)
{
    struct tree *t = *state;
    struct ts_fs_root r;
    char p[256];
    snprintf(p, sizeof p, "%s/hello.txt", t->root);
    assert_int_equal(ts_fs_root_open(&r, p), -ENOTDIR);
    assert_int_equal(r.fd, -1);
    ts_fs_root_close(&r);
    assert_int_equal(ts_fs_root_open(&r, "/nonexistent-ts-fs-root"), -ENOENT);
    /* through a symbolic link: the real path is the directory's own */
    snprintf(p, sizeof p, "%s/rootlink", t->base);
    assert_int_equal(symlink(t->root, p), 0);
    assert_int_equal(ts_fs_root_open(&r, p), 0);
    char *real = realpath(t->root, NULL);
    assert_string_equal(r.real, real);
    free(real);
    read_is(ts_fs_root_open_checked(&r, "/hello.txt", O_RDONLY), "hello\n");
    assert_int_equal(ts_fs_root_open_checked(&r, "/up", O_RDONLY), -EXDEV);
    assert_int_equal(ts_fs_root_open_checked(&r, "/x", O_WRONLY | O_CREAT), -EINVAL);
    ts_fs_root_close(&r);
    ts_fs_root_close(&r);   /* twice is safe */
}

/* ---- races with renames ---- */

struct race {
    struct tree *t;
    atomic_bool stop;
    int mode;                /* 0: exchange sub2 with a link out; 1: move a/b out and back */
    unsigned swaps;
};

static void *swapper(void *arg)
{
    struct race *rc = arg;
    char a[256], b[256];
    if (rc->mode == 0) {
        snprintf(a, sizeof a, "%s/sub2", rc->t->root);
        snprintf(b, sizeof b, "%s/swap", rc->t->root);
    } else {
        snprintf(a, sizeof a, "%s/a/b", rc->t->root);
        snprintf(b, sizeof b, "%s/b", rc->t->outside);
    }
    while (!atomic_load(&rc->stop)) {
        if (rc->mode == 0) {
            if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) rc->swaps++;
        } else {
            if (rename(a, b) == 0 && rename(b, a) == 0) rc->swaps++;
        }
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void race(struct tree *t, int mode, const char *path)
{
    for (int fb = 0; fb < 2; fb++) {
        struct race rc = { .t = t, .mode = mode };
        atomic_init(&rc.stop, false);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, swapper, &rc), 0);
        unsigned inside = 0, refused_n = 0;
        double end = now_s() + 2.0;
        for (int i = 0; i < 20000 && now_s() < end; i++) {
            int fd = fb ? ts_fs_root_open_checked(&t->r, path, O_RDONLY) : ts_fs_root_openat(&t->r, path, O_RDONLY, 0);
            if (fd < 0) {
                refused_n++;
                continue;
            }
            char buf[16] = { 0 };
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0 && strstr(buf, "SECRET")) {
                atomic_store(&rc.stop, true);
                pthread_join(th, NULL);
                fail_msg("%s read the file outside through %s after %u swaps", fb ? "the fallback" : "openat2",
                         path, rc.swaps);
            }
            inside += n > 0;
        }
        atomic_store(&rc.stop, true);
        pthread_join(th, NULL);
        print_message("race %d via %s: %u reads inside, %u refused, %u swaps\n", mode,
                      fb ? "the fallback" : "openat2", inside, refused_n, rc.swaps);
        assert_true(inside + refused_n > 0);
    }
}

static void test_race_exchange(void **state)
{
    struct tree *t = *state;
    tree_dir(t->root, "sub2");
    tree_file(t->root, "sub2/f", "inside\n");
    tree_link(t->root, "swap", "../outside");
    race(t, 0, "/sub2/f");
}

static void test_race_move_out(void **state)
{
    struct tree *t = *state;
    tree_dir(t->root, "a");
    tree_dir(t->root, "a/b");
    tree_file(t->root, "a/x", "inside\n");
    tree_link(t->root, "a/b/l", "../x");
    race(t, 1, "/a/b/l");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_plain),
        cmocka_unit_test(test_text_every_depth),
        cmocka_unit_test(test_text_random),
        cmocka_unit_test(test_text_lengths),
        cmocka_unit_test(test_text_nul),
        cmocka_unit_test_setup_teardown(test_open_inside, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_open_escapes, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_create_escapes, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_parent, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_root_open, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_race_exchange, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_race_move_out, tree_setup, tree_teardown),
    };
    return cmocka_run_group_tests_name("fs_root", tests, NULL, NULL);
}
