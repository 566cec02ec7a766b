/*
 * A directory served to network clients (the HTTP and the FTP root), and nothing outside it.
 * HTTP and FTP both go through this module, so the rules are written once:
 *
 *  1. The text. ts_fs_path_push and ts_fs_path_join build a clean absolute path ("/a/b", "/"
 *     for the root) from '/'-separated segments: empty and "." segments vanish, ".." removes the
 *     segment before it, and a ".." that would climb above the root, a NUL in a segment, or a
 *     segment longer than NAME_MAX is refused. The kernel therefore never sees a "..". Decoding
 *     a protocol's own escapes (HTTP's percent-encoding, and its refusal of an encoded "/" or
 *     dot-segment) happens before, in the protocol's code.
 *  2. The kernel. Every open is openat2(2) on the root's descriptor with RESOLVE_BENEATH |
 *     RESOLVE_NO_MAGICLINKS: no absolute symbolic link, no link whose target climbs out, no
 *     /proc magic link leads outside, even one made or renamed after the text was checked. Where
 *     the kernel has no openat2 (before Linux 5.6), an open that creates nothing falls back to
 *     openat(2) followed by a check of the opened file's real path; one that may create is
 *     refused (-ENOSYS) rather than risk creating a file outside.
 */
#ifndef TS_APPS_FS_ROOT_H
#define TS_APPS_FS_ROOT_H

#include <stddef.h>
#include <sys/stat.h>

#define TS_FS_PATH_MAX 4096

/* Why a path's text was refused (the functions return 0 or one of these). */
enum {
    TS_FS_ESCAPE = -1,    /* a ".." above the root */
    TS_FS_TOOLONG = -2,   /* a segment past NAME_MAX, or the path past the buffer */
    TS_FS_BADNAME = -3,   /* a NUL inside a segment */
};

struct ts_fs_root {
    int fd;                        /* O_PATH | O_DIRECTORY descriptor of the root; -1 if closed */
    char real[TS_FS_PATH_MAX];     /* its real path (symlinks resolved), for the openat2 fallback */
};

/* Open directory dir as a root. Returns 0, or -errno (r->fd is then -1). */
int ts_fs_root_open(struct ts_fs_root *r, const char *dir);

/* Close the root's descriptor. Safe to call twice, and on a root whose open failed. */
void ts_fs_root_close(struct ts_fs_root *r);

/* Append segment seg (n bytes, not NUL-terminated; may be empty) to the clean path out (*len
 * bytes, cap the buffer), folding "." and "..". out stays NUL-terminated, without a trailing
 * '/' ("" meaning the root). Returns 0, TS_FS_ESCAPE, TS_FS_TOOLONG or TS_FS_BADNAME; on an
 * error out is unchanged. */
int ts_fs_path_push(char *out, size_t cap, size_t *len, const char *seg, size_t n);

/* Join base (a clean absolute path such as a working directory; ignored when arg starts with
 * '/') and arg into out (cap bytes): "/" for the root, else "/a/b" with no ".", "..", empty
 * segment or trailing '/'. Returns 0 or one of the TS_FS_ errors. */
int ts_fs_path_join(const char *base, const char *arg, char *out, size_t cap);

/* Open path (from ts_fs_path_join; a leading '/' means the root) beneath the root with open(2)
 * flags (O_CLOEXEC is added; O_CREAT uses mode). Returns the fd, or -errno: -ENOENT, -ENOTDIR
 * ... as open(2) would, -EXDEV or -ELOOP when resolution would leave the root. */
int ts_fs_root_openat(const struct ts_fs_root *r, const char *path, int flags, unsigned mode);

/* The fallback of ts_fs_root_openat where openat2 is missing: openat(2) without O_CREAT, then
 * -EXDEV unless the opened file's real path (/proc/self/fd) lies beneath r->real. Exposed so
 * that the tests attack it too. */
int ts_fs_root_open_checked(const struct ts_fs_root *r, const char *path, int flags);

/* stat(2) of path beneath the root (symbolic links followed while they stay inside). 0 or -errno. */
int ts_fs_root_stat(const struct ts_fs_root *r, const char *path, struct stat *st);

/* Open the directory that holds path's last segment (O_PATH) and point *name at that segment,
 * for mkdirat/unlinkat/fstatat on it. The root itself, or a last segment "." or "..", is refused
 * with -EPERM. Returns the directory's fd or -errno. */
int ts_fs_root_open_parent(const struct ts_fs_root *r, const char *path, const char **name);

#endif
