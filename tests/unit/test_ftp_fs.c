/* FTP file system: confinement to the root, ls -l lines, listings, the sample tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/ftp/ftp_fs.h"
#include "lib/tmptree.h"

static void expect_resolve(const char *cwd, const char *arg, const char *want)
{
    char out[FTP_PATH_MAX];
    if (ftp_path_resolve(cwd, arg, out, sizeof out) != 0) fail_msg("resolve(%s, %s) refused", cwd, arg);
    if (strcmp(out, want) != 0) fail_msg("resolve(%s, %s) = %s, want %s", cwd, arg, out, want);
}

static void expect_refused(const char *cwd, const char *arg)
{
    char out[FTP_PATH_MAX];
    if (ftp_path_resolve(cwd, arg, out, sizeof out) == 0) fail_msg("resolve(%s, %s) = %s", cwd, arg, out);
}

static void test_resolve(void **state)
{
    (void)state;
    expect_resolve("/", "", "/");
    expect_resolve("/", ".", "/");
    expect_resolve("/", "pub", "/pub");
    expect_resolve("/pub", "files/1k.bin", "/pub/files/1k.bin");
    expect_resolve("/pub", "/README.txt", "/README.txt");
    expect_resolve("/pub/files", "..", "/pub");
    expect_resolve("/pub/files", "../..", "/");
    expect_resolve("/pub", "a//b/./c/", "/pub/a/b/c");
    expect_resolve("/pub", "a/../../x", "/x");
    expect_resolve("/", "...", "/...");
    expect_resolve("/", "..a", "/..a");
    expect_resolve("/", "a b/ c", "/a b/ c");
    expect_refused("/", "..");
    expect_refused("/", "../etc/passwd");
    expect_refused("/pub", "../../etc/passwd");
    expect_refused("/pub", "/../pub");
    expect_refused("/", "a/../../b");
    /* length bound */
    char big[FTP_PATH_MAX + 10];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_refused("/", big);
    char small[8];
    assert_int_equal(ftp_path_resolve("/", "abcdefgh", small, sizeof small), -1);
    assert_int_equal(ftp_path_resolve("/", "abcdef", small, sizeof small), 0);
    assert_string_equal(small, "/abcdef");
}

static void test_format_entry(void **state)
{
    (void)state;
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0644;
    st.st_nlink = 1;
    st.st_size = 1024;
    st.st_mtime = 1795941840;          /* 2026-11-29 08:44:00 UTC */
    char b[256];
    size_t n = ftp_fs_format_entry(b, sizeof b, "1k.bin", &st, NULL, 1795941840 + 3600);
    assert_string_equal(b, "-rw-r--r--   1 ftp      ftp              1024 Nov 29 08:44 1k.bin\r\n");
    assert_int_equal(n, strlen(b));
    /* more than six months old: the year instead of the time */
    st.st_mode = S_IFDIR | 0755;
    st.st_nlink = 3;
    st.st_size = 4096;
    st.st_mtime = 1700000000;          /* 2023-11-14 22:13:20 UTC */
    ftp_fs_format_entry(b, sizeof b, "pub", &st, NULL, 1795941840);
    assert_string_equal(b, "drwxr-xr-x   3 ftp      ftp              4096 Nov 14  2023 pub\r\n");
    st.st_mode = S_IFLNK | 0777;
    ftp_fs_format_entry(b, sizeof b, "l", &st, "/etc", 1795941840);
    assert_string_equal(b, "lrwxrwxrwx   3 ftp      ftp              4096 Nov 14  2023 l -> /etc\r\n");
    /* in the future by more than an hour: the year */
    st.st_mode = S_IFREG | 0600;
    st.st_mtime = 1795941840 + 86400;
    ftp_fs_format_entry(b, sizeof b, "f", &st, NULL, 1795941840);
    assert_string_equal(b, "-rw-------   3 ftp      ftp              4096 Nov 30  2026 f\r\n");
    assert_int_equal(ftp_fs_format_entry(b, 20, "f", &st, NULL, 0), 0);
}

struct fixture {
    char dir[64];       /* the test's root */
    char outside[96];   /* a file outside the root (dir/root) */
    struct ftp_fs fs;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    tree_new(fx->dir, sizeof fx->dir, "ftp-fs");
    snprintf(fx->outside, sizeof fx->outside, "%s/secret", fx->dir);
    tree_file(fx->dir, "secret", "secret\n");
    char root[128];
    snprintf(root, sizeof root, "%s/root", fx->dir);
    tree_dir(fx->dir, "root");
    tree_file(root, "b.txt", "bbb\n");
    tree_file(root, "a.txt", "a\n");
    tree_dir(root, "sub");
    tree_link(root, "escape", fx->outside);
    tree_link(root, "up", "../..");
    tree_link(root, "sub/link_a", "../a.txt");
    const char *why = NULL;
    if (ftp_fs_open(&fx->fs, root, &why) != 0) return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    ftp_fs_close(&fx->fs);
    tree_remove(fx->dir);
    free(fx);
    return 0;
}

static void test_confinement(void **state)
{
    struct fixture *fx = *state;
    int fd = ftp_fs_openat(&fx->fs, "/a.txt", O_RDONLY, 0);
    assert_true(fd >= 0);
    char b[16];
    assert_int_equal(read(fd, b, sizeof b), 2);
    close(fd);
    /* a symbolic link out of the root is refused by the kernel, whatever the text says */
    assert_true(ftp_fs_openat(&fx->fs, "/escape", O_RDONLY, 0) < 0);
    assert_true(ftp_fs_openat(&fx->fs, "/up/etc/passwd", O_RDONLY, 0) < 0);
    assert_true(ftp_fs_openat(&fx->fs, "/up", O_RDONLY | O_DIRECTORY, 0) < 0);
    struct stat st;
    assert_int_equal(ftp_fs_stat(&fx->fs, "/up", &st), -EXDEV);
    assert_int_equal(ftp_fs_stat(&fx->fs, "/escape", &st), -EXDEV);
    /* a link that stays inside is followed */
    fd = ftp_fs_openat(&fx->fs, "/sub/link_a", O_RDONLY, 0);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, b, sizeof b), 2);
    close(fd);
    assert_int_equal(ftp_fs_stat(&fx->fs, "/sub/link_a", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* even a path that escapes as text (resolve would have refused it) */
    assert_true(ftp_fs_openat(&fx->fs, "/../root/a.txt", O_RDONLY, 0) < 0);
    assert_int_equal(ftp_fs_stat(&fx->fs, "/", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(ftp_fs_stat(&fx->fs, "/nope", &st), -ENOENT);
}

static void test_list(void **state)
{
    struct fixture *fx = *state;
    struct ftp_buf b = {.limit = 1 << 20};
    assert_int_equal(ftp_fs_list(&fx->fs, "/", true, 0, &b), 0);
    assert_int_equal(b.len, strlen("a.txt\r\nb.txt\r\nescape\r\nsub\r\nup\r\n"));
    assert_memory_equal(b.data, "a.txt\r\nb.txt\r\nescape\r\nsub\r\nup\r\n", b.len);
    b.len = 0;
    assert_int_equal(ftp_fs_list(&fx->fs, "/", false, time(NULL), &b), 0);
    char *text = strndup(b.data, b.len);
    assert_non_null(strstr(text, "-rw-r--r--   1 ftp      ftp                 2 "));
    assert_non_null(strstr(text, " a.txt\r\n-rw-r--r--   1 ftp      ftp                 4 "));
    assert_non_null(strstr(text, " b.txt\r\nlrwxrwxrwx"));
    assert_non_null(strstr(text, " sub\r\nlrwxrwxrwx"));
    assert_non_null(strstr(text, " up -> ../..\r\n"));
    assert_non_null(strstr(text, "\r\ndrwxr-xr-x"));
    free(text);
    /* a file lists itself */
    b.len = 0;
    assert_int_equal(ftp_fs_list(&fx->fs, "/b.txt", true, 0, &b), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "b.txt\r\n", 7);
    assert_int_equal(ftp_fs_list(&fx->fs, "/missing", true, 0, &b), -ENOENT);
    /* the limit holds */
    struct ftp_buf small = {.limit = 10};
    assert_int_equal(ftp_fs_list(&fx->fs, "/", true, 0, &small), -ENOMEM);
    assert_true(small.len <= 10);
    ftp_buf_free(&small);
    ftp_buf_free(&b);
    assert_null(b.data);
}

static void test_write_ops(void **state)
{
    struct fixture *fx = *state;
    struct stat st;
    assert_int_equal(ftp_fs_mkdir(&fx->fs, "/sub/new"), 0);
    assert_int_equal(ftp_fs_stat(&fx->fs, "/sub/new", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(ftp_fs_mkdir(&fx->fs, "/sub/new"), -EEXIST);
    int fd = ftp_fs_openat(&fx->fs, "/sub/new/f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "xyz", 3), 3);
    close(fd);
    assert_int_equal(ftp_fs_rmdir(&fx->fs, "/sub/new"), -ENOTEMPTY);
    assert_int_equal(ftp_fs_unlink(&fx->fs, "/sub/new"), -EISDIR);
    assert_int_equal(ftp_fs_unlink(&fx->fs, "/sub/new/f"), 0);
    assert_int_equal(ftp_fs_rmdir(&fx->fs, "/sub/new"), 0);
    assert_int_equal(ftp_fs_stat(&fx->fs, "/sub/new", &st), -ENOENT);
    assert_int_equal(ftp_fs_rmdir(&fx->fs, "/"), -EPERM);
    assert_int_equal(ftp_fs_mkdir(&fx->fs, "/"), -EPERM);
    /* the link itself goes, not its target outside */
    assert_int_equal(ftp_fs_unlink(&fx->fs, "/escape"), 0);
    assert_int_equal(access(fx->outside, F_OK), 0);
    /* writing through a link out of the root is refused */
    assert_true(ftp_fs_openat(&fx->fs, "/up/x", O_WRONLY | O_CREAT, 0644) < 0);
    assert_true(ftp_fs_mkdir(&fx->fs, "/up/x") < 0);
}

static void test_sample_tree(void **state)
{
    (void)state;
    struct ftp_fs fs;
    const char *why = NULL;
    assert_int_equal(ftp_fs_open(&fs, NULL, &why), 0);
    char dir[64];
    strcpy(dir, fs.sample_dir);
    assert_true(dir[0] == '/');
    static const struct { const char *p; long long size; } want[] = {
        {"/pub/files/empty.bin", 0}, {"/pub/files/1k.bin", 1024}, {"/pub/files/64k.bin", 65536},
        {"/pub/files/1m.bin", 1 << 20}, {"/pub/files/8m.bin", 8 << 20},
    };
    struct stat st;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(ftp_fs_stat(&fs, want[i].p, &st), 0);
        assert_int_equal(st.st_size, want[i].size);
    }
    assert_int_equal(ftp_fs_stat(&fs, "/upload", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    int fd = ftp_fs_openat(&fs, "/pub/files/64k.bin", O_RDONLY, 0);
    assert_true(fd >= 0);
    uint8_t b[65536];
    assert_int_equal(read(fd, b, sizeof b), 65536);
    close(fd);
    unsigned counts[256] = {0};
    for (size_t i = 0; i < sizeof b; i++) {
        if (b[i] != ftp_fs_sample_byte(i)) fail_msg("byte %zu differs", i);
        counts[b[i]]++;
    }
    for (int v = 0; v < 256; v++) assert_true(counts[v] > 128 && counts[v] < 384);   /* spread */
    /* something a writable session uploaded is removed too */
    fd = ftp_fs_openat(&fs, "/upload/u.bin", O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    ftp_fs_close(&fs);
    assert_int_equal(access(dir, F_OK), -1);
    ftp_fs_close(&fs);   /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_format_entry),
        cmocka_unit_test_setup_teardown(test_confinement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_ops, setup, teardown),
        cmocka_unit_test(test_sample_tree),
    };
    return cmocka_run_group_tests_name("ftp_fs", tests, NULL, NULL);
}
