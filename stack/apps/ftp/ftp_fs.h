/*
 * The FTP server's view of the file system: one root directory and nothing outside it.
 *
 * Two walls keep every path inside the root, both from apps/fs_root.h (shared with HTTP):
 *  1. ftp_path_resolve() works on the text alone: it joins the working directory and the
 *     client's argument, folds "." and "..", and refuses a ".." that would climb above "/".
 *  2. Every open goes through openat2(2) on the root's descriptor with RESOLVE_BENEATH, so the
 *     kernel refuses a symbolic link (or anything else) that leads out of the tree.
 *
 * Paths the client sees ("virtual paths") are absolute, "/" being the root.
 */
#ifndef TS_APPS_FTP_FS_H
#define TS_APPS_FTP_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "apps/fs_root.h"

/* Longest virtual path kept (cwd and resolved paths). */
#define FTP_PATH_MAX 1024

struct ftp_fs {
    struct ts_fs_root root;      /* the served directory */
    char sample_dir[64];         /* the temporary sample tree we made, "" if we serve --ftp-root */
};

/* Open root (a directory) to serve, or, when root is NULL, make a sample tree in a fresh
 * temporary directory (README.txt, pub/hello.txt, pub/files/{empty,1k,64k,1m,8m}.bin with
 * deterministic contents, upload/). Returns 0, or -errno with *why naming the step. */
int ftp_fs_open(struct ftp_fs *fs, const char *root, const char **why);

/* Close the root; remove the sample tree if we made one. Safe to call twice. */
void ftp_fs_close(struct ftp_fs *fs);

/* The byte at offset i of a sample file (a fixed pseudo-random sequence, the same for all). */
uint8_t ftp_fs_sample_byte(uint64_t i);

/* Join cwd (a virtual path) and arg (absolute or relative, may be "") into out (cap bytes) as a
 * clean absolute virtual path: no "." or ".." components, no doubled or trailing '/'.
 * Returns 0, or -1 if the result would climb above "/" or not fit. */
int ftp_path_resolve(const char *cwd, const char *arg, char *out, size_t cap);

/* Open a virtual path relative to the root with open(2) flags (O_RDONLY, O_DIRECTORY,
 * O_WRONLY|O_CREAT|O_TRUNC ...; O_CLOEXEC is added). Symbolic links are followed only while
 * they stay inside the root. Returns a descriptor, or -errno (-EXDEV when the path would
 * leave the root). */
int ftp_fs_openat(const struct ftp_fs *fs, const char *vpath, int flags, unsigned mode);

/* stat(2) of a virtual path (links followed inside the root only). Returns 0 or -errno. */
int ftp_fs_stat(const struct ftp_fs *fs, const char *vpath, struct stat *st);

/* mkdir / rmdir / unlink of a virtual path; the root itself is refused (-EPERM). unlink
 * removes a symbolic link itself, and refuses a directory (-EISDIR). 0 or -errno. */
int ftp_fs_mkdir(const struct ftp_fs *fs, const char *vpath);
int ftp_fs_rmdir(const struct ftp_fs *fs, const char *vpath);
int ftp_fs_unlink(const struct ftp_fs *fs, const char *vpath);

/* One line of `ls -l` output for an entry, as FTP clients parse it, CRLF included:
 *   "-rw-r--r--   1 ftp      ftp          1024 Nov 24 08:44 name\r\n"
 * The date shows the time of day when mtime is within six months of now, else the year.
 * link is the target of a symbolic link (shown as "name -> link") or NULL. Returns the
 * length, or 0 if it does not fit. */
size_t ftp_fs_format_entry(char *buf, size_t cap, const char *name, const struct stat *st,
                           const char *link, time_t now);

/* A growable byte buffer with a hard limit, for listings. */
struct ftp_buf {
    char *data;
    size_t len, cap, limit;
};

void ftp_buf_free(struct ftp_buf *b);

/* The listing of a virtual path into out (appended; out->limit bounds it): LIST form
 * (names_only false) or NLST form (one name per line). A directory lists its entries sorted by
 * name, without "." and ".."; a file lists itself. Names containing CR or LF are left out.
 * Returns 0 or -errno (-ENOMEM when the limit is reached). */
int ftp_fs_list(const struct ftp_fs *fs, const char *vpath, bool names_only, time_t now,
                struct ftp_buf *out);

#endif
