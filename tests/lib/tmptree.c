/* Temporary file trees (see tmptree.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmptree.h"

void tree_new(char *base, size_t cap, const char *name)
{
    int n = snprintf(base, cap, "/tmp/ts-%s-XXXXXX", name);
    assert_true(n > 0 && (size_t)n < cap);
    if (!mkdtemp(base)) fail_msg("mkdtemp %s: %s", base, strerror(errno));
}

/* dir/name in p (cap bytes). */
static void join(char *p, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(p, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

void tree_data(const char *dir, const char *name, const void *data, size_t len)
{
    char p[4096];
    join(p, sizeof p, dir, name);
    FILE *f = fopen(p, "w");
    if (!f) fail_msg("cannot write %s: %s", p, strerror(errno));
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void tree_file(const char *dir, const char *name, const char *text)
{
    tree_data(dir, name, text, strlen(text));
}

void tree_dir(const char *dir, const char *name)
{
    char p[4096];
    join(p, sizeof p, dir, name);
    if (mkdir(p, 0755) != 0) fail_msg("mkdir %s: %s", p, strerror(errno));
}

void tree_link(const char *dir, const char *name, const char *target)
{
    char p[4096];
    join(p, sizeof p, dir, name);
    if (symlink(target, p) != 0) fail_msg("symlink %s -> %s: %s", p, target, strerror(errno));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0) fail_msg("cannot remove %s: %s", path, strerror(errno));
    return 0;
}

void tree_remove(const char *path)
{
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        fail_msg("cannot remove %s: %s", path, strerror(errno));
}
