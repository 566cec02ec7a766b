/*
 * The FTP server's file system: paths and opens confined to the root (apps/fs_root.c), `ls -l`
 * formatting, and the sample tree served when no root is given.
 */
#include "apps/ftp/ftp_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- paths and access, through the root (apps/fs_root.c) ---- */

int ftp_path_resolve(const char *cwd, const char *arg, char *out, size_t cap)
{
    return ts_fs_path_join(cwd, arg, out, cap) == 0 ? 0 : -1;
}

int ftp_fs_openat(const struct ftp_fs *fs, const char *vpath, int flags, unsigned mode)
{
    return ts_fs_root_openat(&fs->root, vpath, flags, mode);
}

int ftp_fs_stat(const struct ftp_fs *fs, const char *vpath, struct stat *st)
{
    return ts_fs_root_stat(&fs->root, vpath, st);
}

int ftp_fs_mkdir(const struct ftp_fs *fs, const char *vpath)
{
    const char *name;
    int dfd = ts_fs_root_open_parent(&fs->root, vpath, &name);
    if (dfd < 0) return dfd;
    int r = mkdirat(dfd, name, 0755) < 0 ? -errno : 0;
    close(dfd);
    return r;
}

static int unlink_in_parent(const struct ftp_fs *fs, const char *vpath, int flags)
{
    const char *name;
    int dfd = ts_fs_root_open_parent(&fs->root, vpath, &name);
    if (dfd < 0) return dfd;
    struct stat st;
    int r = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
    if (r == 0 && !(flags & AT_REMOVEDIR) && S_ISDIR(st.st_mode)) r = -EISDIR;
    if (r == 0 && unlinkat(dfd, name, flags) < 0) r = -errno;
    close(dfd);
    return r;
}

int ftp_fs_rmdir(const struct ftp_fs *fs, const char *vpath)
{
    return unlink_in_parent(fs, vpath, AT_REMOVEDIR);
}

int ftp_fs_unlink(const struct ftp_fs *fs, const char *vpath)
{
    return unlink_in_parent(fs, vpath, 0);
}

/* ---- ls -l ---- */

static char type_char(mode_t m)
{
    if (S_ISDIR(m)) return 'd';
    if (S_ISLNK(m)) return 'l';
    if (S_ISCHR(m)) return 'c';
    if (S_ISBLK(m)) return 'b';
    if (S_ISFIFO(m)) return 'p';
    if (S_ISSOCK(m)) return 's';
    return '-';
}

size_t ftp_fs_format_entry(char *buf, size_t cap, const char *name, const struct stat *st,
                           const char *link, time_t now)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char perm[11];
    static const char rwx[] = "rwxrwxrwx";
    perm[0] = type_char(st->st_mode);
    for (int i = 0; i < 9; i++) perm[i + 1] = (st->st_mode & (0400u >> i)) ? rwx[i] : '-';
    perm[10] = '\0';
    struct tm tm;
    time_t mt = st->st_mtime;
    if (!gmtime_r(&mt, &tm)) return 0;
    char when[40];
    const time_t half_year = 182 * 24 * 3600;
    bool recent = mt <= now + 3600 && now - mt < half_year;
    if (recent)
        snprintf(when, sizeof when, "%s %2d %02d:%02d", months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min);
    else
        snprintf(when, sizeof when, "%s %2d  %4d", months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
    int n = snprintf(buf, cap, "%s %3lu ftp      ftp      %12lld %s %s%s%s\r\n", perm,
                     (unsigned long)st->st_nlink, (long long)st->st_size, when, name,
                     link ? " -> " : "", link ? link : "");
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

void ftp_buf_free(struct ftp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int buf_append(struct ftp_buf *b, const char *s, size_t n)
{
    if (b->len + n > b->limit) return -ENOMEM;
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->len + n) ncap *= 2;
        if (ncap > b->limit) ncap = b->limit;
        char *d = realloc(b->data, ncap);
        if (!d) return -ENOMEM;
        b->data = d;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* Append one entry (dirfd/name) in LIST or NLST form. */
static int list_one(struct ftp_buf *out, int dirfd, const char *name, const char *shown,
                    bool names_only, time_t now)
{
    if (strpbrk(shown, "\r\n")) return 0;
    char line[FTP_PATH_MAX + 600];
    if (names_only) {
        int n = snprintf(line, sizeof line, "%s\r\n", shown);
        return (n > 0 && (size_t)n < sizeof line) ? buf_append(out, line, (size_t)n) : 0;
    }
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return 0;  /* vanished: skip */
    char target[256];
    const char *link = NULL;
    if (S_ISLNK(st.st_mode)) {
        ssize_t k = readlinkat(dirfd, name, target, sizeof target - 1);
        if (k >= 0 && !memchr(target, '\r', (size_t)k) && !memchr(target, '\n', (size_t)k)) {
            target[k] = '\0';
            link = target;
        }
    }
    size_t n = ftp_fs_format_entry(line, sizeof line, shown, &st, link, now);
    return n ? buf_append(out, line, n) : 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the names in a directory (without "." and ".."), sorted; at most max of them. */
static int read_names(int dfd, char ***names, size_t *count, size_t max)
{
    int fd = dup(dfd);
    if (fd < 0) return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    size_t n = 0, cap = 0;
    char **v = NULL;
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv) { r = -ENOMEM; break; }
            v = nv;
            cap = ncap;
        }
        if (!(v[n] = strdup(de->d_name))) { r = -ENOMEM; break; }
        n++;
    }
    closedir(d);
    if (n > 1) qsort(v, n, sizeof *v, cmp_names);
    *names = v;
    *count = n;
    return r;
}

int ftp_fs_list(const struct ftp_fs *fs, const char *vpath, bool names_only, time_t now,
                struct ftp_buf *out)
{
    struct stat st;
    int r = ftp_fs_stat(fs, vpath, &st);
    if (r < 0) return r;
    if (!S_ISDIR(st.st_mode)) {
        const char *name;
        int pfd = ts_fs_root_open_parent(&fs->root, vpath, &name);
        if (pfd < 0) return pfd;
        r = list_one(out, pfd, name, name, names_only, now);
        close(pfd);
        return r;
    }
    int dfd = ftp_fs_openat(fs, vpath, O_RDONLY | O_DIRECTORY, 0);
    if (dfd < 0) return dfd;
    char **names = NULL;
    size_t count = 0;
    r = read_names(dfd, &names, &count, 100000);
    for (size_t i = 0; i < count; i++) {
        if (r == 0) r = list_one(out, dfd, names[i], names[i], names_only, now);
        free(names[i]);
    }
    free(names);
    close(dfd);
    return r;
}

/* ---- the root, and the sample tree ---- */

/* The sample word w: splitmix64 of the 8-byte word index. */
static uint64_t sample_word(uint64_t w)
{
    uint64_t z = w + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint8_t ftp_fs_sample_byte(uint64_t i)
{
    return (uint8_t)(sample_word(i >> 3) >> ((i & 7) * 8));
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Create dir/name holding size sample bytes, or the text when text is not NULL. */
static int make_file(int dirfd, const char *name, uint64_t size, const char *text)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    int r = 0;
    if (text) {
        r = write_all(fd, text, strlen(text));
    } else {
        uint8_t chunk[65536];
        for (uint64_t off = 0; off < size && r == 0;) {
            size_t n = size - off < sizeof chunk ? (size_t)(size - off) : sizeof chunk;
            for (size_t i = 0; i < n; i += 8) {     /* off is a multiple of 8: whole words */
                uint64_t z = sample_word((off + i) >> 3);
                for (size_t k = 0; k < 8 && i + k < n; k++) chunk[i + k] = (uint8_t)(z >> (k * 8));
            }
            r = write_all(fd, chunk, n);
            off += n;
        }
    }
    if (close(fd) < 0 && r == 0) r = -errno;
    return r;
}

static const char sample_readme[] =
    "This is the sample tree of the tapstack FTP server (RFC 959 over a user-space TCP/IP stack).\n"
    "pub/files/*.bin hold a fixed pseudo-random byte sequence of the size in their names.\n"
    "Start `tapstack up --ftp-root DIR` to serve a directory of your own instead.\n";

static int make_sample_tree(int rootfd)
{
    static const struct { const char *name; uint64_t size; } files[] = {
        {"empty.bin", 0}, {"1k.bin", 1024}, {"64k.bin", 65536},
        {"1m.bin", 1u << 20}, {"8m.bin", 8u << 20},
    };
    int r = make_file(rootfd, "README.txt", 0, sample_readme);
    if (r == 0 && mkdirat(rootfd, "pub", 0755) < 0) r = -errno;
    if (r == 0 && mkdirat(rootfd, "pub/files", 0755) < 0) r = -errno;
    if (r == 0 && mkdirat(rootfd, "upload", 0755) < 0) r = -errno;
    if (r == 0) r = make_file(rootfd, "pub/hello.txt", 0, "Hello from tapstack.\nA second line.\n");
    int dfd = r == 0 ? openat(rootfd, "pub/files", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (r == 0 && dfd < 0) r = -errno;
    for (size_t i = 0; r == 0 && i < sizeof files / sizeof files[0]; i++)
        r = make_file(dfd, files[i].name, files[i].size, NULL);
    if (dfd >= 0) close(dfd);
    return r;
}

/* Remove dirfd/name and everything below it, to a bounded depth, never following links. */
static void rm_tree(int dirfd, const char *name, int depth)
{
    if (unlinkat(dirfd, name, 0) == 0) return;
    if (errno != EISDIR || depth <= 0) return;         /* Linux says EISDIR for a directory */
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    char **names = NULL;
    size_t count = 0;
    read_names(fd, &names, &count, 100000);
    for (size_t i = 0; i < count; i++) {
        rm_tree(fd, names[i], depth - 1);
        free(names[i]);
    }
    free(names);
    close(fd);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

int ftp_fs_open(struct ftp_fs *fs, const char *root, const char **why)
{
    memset(fs, 0, sizeof *fs);
    fs->root.fd = -1;
    const char *dir = root;
    if (!root) {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp || strlen(tmp) > 32) tmp = "/tmp";
        snprintf(fs->sample_dir, sizeof fs->sample_dir, "%s/tapstack-ftp-XXXXXX", tmp);
        if (!mkdtemp(fs->sample_dir)) {
            int e = errno;
            fs->sample_dir[0] = '\0';
            if (why) *why = "cannot make a temporary directory for the sample tree";
            return -e;
        }
        dir = fs->sample_dir;
    }
    int e = ts_fs_root_open(&fs->root, dir);
    if (e < 0) {
        if (why) *why = root ? "cannot open the FTP root directory" : "cannot open the sample tree";
        ftp_fs_close(fs);
        return e;
    }
    if (!root) {
        int wfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = wfd < 0 ? -errno : make_sample_tree(wfd);
        if (wfd >= 0) close(wfd);
        if (r < 0) {
            if (why) *why = "cannot write the sample tree";
            ftp_fs_close(fs);
            return r;
        }
    }
    return 0;
}

void ftp_fs_close(struct ftp_fs *fs)
{
    ts_fs_root_close(&fs->root);
    if (fs->sample_dir[0]) rm_tree(AT_FDCWD, fs->sample_dir, 16);
    fs->sample_dir[0] = '\0';
}
