/* Temporary file trees for the tests of the file servers and their confinement (HTTP, FTP, fetch,
 * fs_root): a fresh directory under /tmp, files, directories and symbolic links in it, and its
 * removal. Each cmocka-fails on an error, saying which path. */
#ifndef TESTS_LIB_TMPTREE_H
#define TESTS_LIB_TMPTREE_H

#include <stddef.h>

/* A new empty directory /tmp/ts-NAME-XXXXXX (mkdtemp); its path in base (cap bytes). */
void tree_new(char *base, size_t cap, const char *name);

/* dir/name holding text (created or truncated). */
void tree_file(const char *dir, const char *name, const char *text);

/* dir/name holding the len bytes at data. */
void tree_data(const char *dir, const char *name, const void *data, size_t len);

/* The directory dir/name. */
void tree_dir(const char *dir, const char *name);

/* dir/name, a symbolic link to target. */
void tree_link(const char *dir, const char *name, const char *target);

/* Remove path and everything below it (links are removed, not followed). */
void tree_remove(const char *path);

#endif
