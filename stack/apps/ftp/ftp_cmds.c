/*
 * The FTP commands (RFC 959 §4.1, RFC 2389 FEAT/OPTS, RFC 2428 EPRT/EPSV, RFC 3659 SIZE/MDTM/REST)
 * with the replies of RFC 959 §4.2 and §5.4.
 */
#include "apps/ftp/ftp_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef void (*ftp_handler)(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c);

/* Flags of a command in the table below. */
enum {
    NEED_LOGIN = 1u << 0,        /* 530 before login */
    NEED_ARG   = 1u << 1,        /* 501 without an argument */
    WRITE      = 1u << 2,        /* 550 unless the server is writable */
};

static void reply_errno(struct ftp_session *se, ts_time_t now, int err, const char *what)
{
    const char *why = err == -ENOENT ? "No such file or directory"
                    : err == -EXDEV || err == -EACCES || err == -EPERM ? "Permission denied"
                    : err == -ENOTDIR ? "Not a directory"
                    : err == -EISDIR ? "Is a directory"
                    : err == -EEXIST ? "File exists"
                    : err == -ENOTEMPTY ? "Directory not empty"
                    : err == -ENOMEM ? "Too large"
                    : "Failed";
    ftp_reply(se, now, 550, "%s: %s.", what, why);
}

/* Resolve the argument against the working directory; 550 and false if it leaves the root. */
static bool resolve(struct ftp_session *se, ts_time_t now, const char *arg, char *out)
{
    if (ftp_path_resolve(se->cwd, arg, out, FTP_PATH_MAX) == 0) return true;
    ftp_reply(se, now, 550, "Permission denied.");
    ftp_log(se->srv, "ftp: session %lu: path refused", se->id);
    return false;
}

/* ---- login ---- */

/* Compare without leaking where the first difference is. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++) d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return d == 0;
}

static void cmd_user(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    if (se->logged_in) {
        ftp_reply(se, now, 530, "Already logged in; cannot change to another user.");
        return;
    }
    se->user_given = true;
    snprintf(se->user, sizeof se->user, "%s", c->arg);
    bool anon = !se->srv->o.user && (strcasecmp(c->arg, "anonymous") == 0 || strcasecmp(c->arg, "ftp") == 0);
    if (anon) ftp_reply(se, now, 331, "Anonymous login ok, send your e-mail address as password.");
    else ftp_reply(se, now, 331, "Please specify the password.");
}

static void cmd_pass(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    if (se->logged_in) {
        ftp_reply(se, now, 230, "Already logged in.");
        return;
    }
    if (!se->user_given) {
        ftp_reply(se, now, 503, "Login with USER first.");
        return;
    }
    const struct ts_ftp_opts *o = &se->srv->o;
    bool ok = o->user ? (strcmp(se->user, o->user) == 0) & same_secret(c->arg, o->password)
                      : (strcasecmp(se->user, "anonymous") == 0 || strcasecmp(se->user, "ftp") == 0);
    se->user_given = false;
    if (ok) {
        se->logged_in = true;
        ftp_reply(se, now, 230, "Login successful.");
        ftp_log(se->srv, "ftp: session %lu: %s logged in", se->id, o->user ? o->user : "anonymous");
        return;
    }
    se->failures++;
    ftp_log(se->srv, "ftp: session %lu: failed login %u", se->id, se->failures);
    if (se->failures >= o->max_login_failures) {
        ftp_reply(se, now, 421, "Too many failed logins, closing the control connection.");
        se->quitting = true;
        ftp_flush(se, now);
        return;
    }
    ftp_reply(se, now, 530, "Login incorrect.");
}

/* ---- information ---- */

static void cmd_syst(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_reply(se, now, 215, "UNIX Type: L8");
}

static void cmd_feat(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_reply(se, now, 211, "Features:\n EPRT\n EPSV\n MDTM\n PASV\n REST STREAM\n SIZE\n TVFS\n UTF8\nEnd");
}

static void cmd_opts(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    if (strcasecmp(c->arg, "UTF8 ON") == 0 || strcasecmp(c->arg, "UTF8") == 0)
        ftp_reply(se, now, 200, "Always in UTF8 mode.");
    else
        ftp_reply(se, now, 501, "Option not understood.");
}

static void cmd_help(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_reply(se, now, 214, "The following commands are recognized.\n"
              " ABOR ALLO CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD  MODE NLST NOOP OPTS\n"
              " PASS PASV PORT PWD  QUIT REST RETR RMD  SIZE STAT STOR STRU SYST TYPE USER\n"
              "Help OK.");
}

static void cmd_stat(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    if (c->arg_len) {
        ftp_reply(se, now, 504, "STAT with an argument is not implemented.");
        return;
    }
    char ip[16];
    ftp_reply(se, now, 211, "tapstack FTP server status:\n Connected to %s\n Logged in: %s\n"
              " TYPE: %s\n Transfer: %s (%llu bytes)\nEnd of status",
              ts_ip_str(se->raddr, ip), se->logged_in ? "yes" : "no",
              se->type == FTP_TYPE_IMAGE ? "BINARY" : "ASCII",
              se->xfer == FTP_XFER_NONE ? "none" : "in progress", (unsigned long long)se->xfer_bytes);
}

static void cmd_noop(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_reply(se, now, 200, "NOOP ok.");
}

static void cmd_allo(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_reply(se, now, 202, "%s not needed.", c->name);
}

static void cmd_quit(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    ftp_data_reset(se, now);
    ftp_reply(se, now, 221, "Goodbye.");
    se->quitting = true;
    ftp_flush(se, now);
}

/* ---- directories ---- */

static void cmd_pwd(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    char q[FTP_PATH_MAX * 2 + 3];
    if (!ftp_fmt_quoted(q, sizeof q, se->cwd)) q[0] = '\0';
    ftp_reply(se, now, 257, "%s is the current directory.", q);
}

static void change_dir(struct ftp_session *se, ts_time_t now, const char *arg)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, arg, p)) return;
    int fd = ftp_fs_openat(&se->srv->fs, p, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) {
        reply_errno(se, now, fd, "Failed to change directory");
        return;
    }
    close(fd);
    strcpy(se->cwd, p);
    ftp_reply(se, now, 250, "Directory successfully changed.");
}

static void cmd_cwd(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    change_dir(se, now, c->arg);
}

static void cmd_cdup(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    change_dir(se, now, "..");          /* at the root: 550, like CWD .. (nothing above "/") */
}

static void cmd_mkd(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p)) return;
    int r = ftp_fs_mkdir(&se->srv->fs, p);
    if (r < 0) {
        reply_errno(se, now, r, "Create directory operation failed");
        return;
    }
    char q[FTP_PATH_MAX * 2 + 3];
    if (!ftp_fmt_quoted(q, sizeof q, p)) q[0] = '\0';
    ftp_reply(se, now, 257, "%s created.", q);
}

static void cmd_rmd(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p)) return;
    int r = ftp_fs_rmdir(&se->srv->fs, p);
    if (r < 0) reply_errno(se, now, r, "Remove directory operation failed");
    else ftp_reply(se, now, 250, "Remove directory operation successful.");
}

static void cmd_dele(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p)) return;
    int r = ftp_fs_unlink(&se->srv->fs, p);
    if (r < 0) reply_errno(se, now, r, "Delete operation failed");
    else ftp_reply(se, now, 250, "Delete operation successful.");
}

/* ---- transfer parameters ---- */

static void cmd_type(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    enum ftp_type t = ftp_parse_type(c->arg);
    if (t == FTP_TYPE_BAD) {
        ftp_reply(se, now, 501, "Unrecognised TYPE command.");
    } else if (t == FTP_TYPE_UNSUPPORTED) {
        ftp_reply(se, now, 504, "TYPE not implemented for that parameter.");
    } else {
        se->type = t;
        ftp_reply(se, now, 200, "Switching to %s mode.", t == FTP_TYPE_IMAGE ? "Binary" : "ASCII");
    }
}

/* MODE S and STRU F are the only ones; the other RFC 959 letters are 504, anything else 501. */
static void cmd_mode_stru(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    bool mode = c->verb == FTP_V_MODE;
    const char *known = mode ? "SBC" : "FRP";
    char want = mode ? 'S' : 'F';
    char a = (char)(c->arg[0] & ~0x20);
    if (c->arg_len != 1 || !strchr(known, a) || a == '\0') ftp_reply(se, now, 501, "Bad %s parameter.", c->name);
    else if (a != want) ftp_reply(se, now, 504, "%s %c not implemented.", c->name, a);
    else ftp_reply(se, now, 200, "%s set to %c.", mode ? "Mode" : "Structure", a);
}

static void cmd_rest(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    uint64_t off;
    if (!ftp_parse_rest(c->arg, &off)) {
        ftp_reply(se, now, 501, "REST requires a byte offset.");
        return;
    }
    se->rest = off;
    ftp_reply(se, now, 350, "Restart position accepted (%llu).", (unsigned long long)off);
}

/* ---- data connection set-up ---- */

static void cmd_pasv(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    bool epsv = c->verb == FTP_V_EPSV;
    if (epsv) {
        enum ftp_epsv_arg a = ftp_parse_epsv(c->arg);
        if (a == FTP_EPSV_BAD) { ftp_reply(se, now, 501, "Bad EPSV argument."); return; }
        if (a == FTP_EPSV_AF) { ftp_reply(se, now, 522, "Network protocol not supported, use (1)."); return; }
        if (a == FTP_EPSV_ALL) {
            se->epsv_all = true;
            ftp_reply(se, now, 200, "EPSV ALL ok.");
            return;
        }
    } else if (se->epsv_all) {
        ftp_reply(se, now, 501, "Only EPSV after EPSV ALL.");
        return;
    }
    int port = ftp_data_pasv(se, now);
    if (port < 0) {
        ftp_reply(se, now, 425, "Cannot open a passive data port: %s.", ts_strerror(port));
        return;
    }
    char line[80];
    size_t n = epsv ? ftp_fmt_epsv(line, sizeof line, (uint16_t)port)
                    : ftp_fmt_pasv(line, sizeof line, se->laddr, (uint16_t)port);
    ftp_reply_raw(se, now, line, n);
}

static void cmd_port(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    uint32_t addr;
    uint16_t port;
    if (se->epsv_all) {
        ftp_reply(se, now, 501, "Only EPSV after EPSV ALL.");
        return;
    }
    if (c->verb == FTP_V_PORT) {
        if (!ftp_parse_port(c->arg, &addr, &port)) {
            ftp_reply(se, now, 501, "Bad PORT argument.");
            return;
        }
    } else {
        enum ftp_eprt_status st = ftp_parse_eprt(c->arg, &addr, &port);
        if (st == FTP_EPRT_AF) { ftp_reply(se, now, 522, "Network protocol not supported, use (1)."); return; }
        if (st != FTP_EPRT_OK) { ftp_reply(se, now, 501, "Bad EPRT argument."); return; }
    }
    ftp_data_reset(se, now);
    if (!ftp_data_port(se, addr, port)) {
        char ip[16];
        ftp_log(se->srv, "ftp: session %lu: %s to %s:%u refused (RFC 2577)", se->id, c->name,
                ts_ip_str(addr, ip), port);
        ftp_reply(se, now, 500, "Illegal %s command: only to your own address and a port >= 1024.", c->name);
        return;
    }
    ftp_reply(se, now, 200, "%s command successful. Consider using PASV.", c->name);
}

/* ---- transfers ---- */

/* 425 and false when no PORT/PASV came first. */
static bool have_data(struct ftp_session *se, ts_time_t now)
{
    if (se->mode != FTP_DATA_NONE) return true;
    ftp_reply(se, now, 425, "Use PORT or PASV first.");
    return false;
}

static void cmd_list(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    const char *arg = c->arg;
    while (arg[0] == '-') {             /* "LIST -la dir": ls options are ignored */
        arg += strcspn(arg, " ");
        while (*arg == ' ') arg++;
    }
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, arg, p) || !have_data(se, now)) return;
    se->xfer_list.len = 0;
    se->list_off = 0;
    int r = ftp_fs_list(&se->srv->fs, p, c->verb == FTP_V_NLST, time(NULL), &se->xfer_list);
    if (r < 0) {
        reply_errno(se, now, r, "Cannot list");
        return;
    }
    se->xfer = FTP_XFER_LIST;
    ftp_data_start(se, now, "Here comes the directory listing.");
}

static void cmd_retr(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p) || !have_data(se, now)) return;
    int fd = ftp_fs_openat(&se->srv->fs, p, O_RDONLY, 0);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        fd = -EISDIR;
    }
    if (fd < 0) {
        reply_errno(se, now, fd, "Failed to open file");
        return;
    }
    uint64_t from = se->rest < (uint64_t)st.st_size ? se->rest : (uint64_t)st.st_size;
    se->rest = 0;
    if (from && lseek(fd, (off_t)from, SEEK_SET) < 0) {
        close(fd);
        reply_errno(se, now, -errno, "Failed to seek");
        return;
    }
    se->xfer = FTP_XFER_RETR;
    se->xfer_fd = fd;
    char text[FTP_PATH_MAX + 100];
    snprintf(text, sizeof text, "Opening %s mode data connection for %s (%llu bytes).",
             se->type == FTP_TYPE_IMAGE ? "BINARY" : "ASCII", c->arg,
             (unsigned long long)((uint64_t)st.st_size - from));
    ftp_data_start(se, now, text);
}

static void cmd_stor(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p) || !have_data(se, now)) return;
    uint64_t from = se->rest;
    se->rest = 0;
    int fd = ftp_fs_openat(&se->srv->fs, p, O_WRONLY | O_CREAT | (from ? 0 : O_TRUNC), 0644);
    if (fd >= 0 && from && lseek(fd, (off_t)from, SEEK_SET) < 0) {
        int e = -errno;
        close(fd);
        fd = e;
    }
    if (fd < 0) {
        reply_errno(se, now, fd, "Could not create file");
        return;
    }
    se->xfer = FTP_XFER_STOR;
    se->xfer_fd = fd;
    ftp_log(se->srv, "ftp: session %lu: STOR %s", se->id, p);
    ftp_data_start(se, now, "Ok to send data.");
}

static void cmd_size_mdtm(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    char p[FTP_PATH_MAX];
    if (!resolve(se, now, c->arg, p)) return;
    struct stat st;
    int r = ftp_fs_stat(&se->srv->fs, p, &st);
    if (r == 0 && !S_ISREG(st.st_mode)) r = -EISDIR;
    if (r < 0) {
        reply_errno(se, now, r, c->verb == FTP_V_SIZE ? "Could not get file size" : "Could not get file time");
        return;
    }
    if (c->verb == FTP_V_SIZE) {
        ftp_reply(se, now, 213, "%llu", (unsigned long long)st.st_size);
        return;
    }
    char line[40];
    ftp_reply_raw(se, now, line, ftp_fmt_mdtm(line, sizeof line, st.st_mtime));
}

static void cmd_abor(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    (void)c;
    if (ftp_data_abort(se, now)) {
        ftp_reply(se, now, 426, "Transfer aborted, data connection closed.");
        ftp_reply(se, now, 226, "Abort successful.");
    } else {
        ftp_reply(se, now, 225, "No transfer to abort.");
    }
}

/* ---- dispatch ---- */

static const struct {
    ftp_handler fn;
    unsigned flags;
} commands[FTP_V_COUNT] = {
    [FTP_V_USER] = {cmd_user, NEED_ARG},
    [FTP_V_PASS] = {cmd_pass, 0},
    [FTP_V_ACCT] = {cmd_allo, NEED_LOGIN},
    [FTP_V_SYST] = {cmd_syst, 0},
    [FTP_V_FEAT] = {cmd_feat, 0},
    [FTP_V_OPTS] = {cmd_opts, NEED_ARG},
    [FTP_V_HELP] = {cmd_help, 0},
    [FTP_V_NOOP] = {cmd_noop, 0},
    [FTP_V_QUIT] = {cmd_quit, 0},
    [FTP_V_PWD]  = {cmd_pwd, NEED_LOGIN},
    [FTP_V_CWD]  = {cmd_cwd, NEED_LOGIN | NEED_ARG},
    [FTP_V_CDUP] = {cmd_cdup, NEED_LOGIN},
    [FTP_V_TYPE] = {cmd_type, NEED_LOGIN | NEED_ARG},
    [FTP_V_MODE] = {cmd_mode_stru, NEED_LOGIN | NEED_ARG},
    [FTP_V_STRU] = {cmd_mode_stru, NEED_LOGIN | NEED_ARG},
    [FTP_V_PASV] = {cmd_pasv, NEED_LOGIN},
    [FTP_V_EPSV] = {cmd_pasv, NEED_LOGIN},
    [FTP_V_PORT] = {cmd_port, NEED_LOGIN | NEED_ARG},
    [FTP_V_EPRT] = {cmd_port, NEED_LOGIN | NEED_ARG},
    [FTP_V_LIST] = {cmd_list, NEED_LOGIN},
    [FTP_V_NLST] = {cmd_list, NEED_LOGIN},
    [FTP_V_RETR] = {cmd_retr, NEED_LOGIN | NEED_ARG},
    [FTP_V_SIZE] = {cmd_size_mdtm, NEED_LOGIN | NEED_ARG},
    [FTP_V_MDTM] = {cmd_size_mdtm, NEED_LOGIN | NEED_ARG},
    [FTP_V_REST] = {cmd_rest, NEED_LOGIN | NEED_ARG},
    [FTP_V_ABOR] = {cmd_abor, NEED_LOGIN},
    [FTP_V_STAT] = {cmd_stat, NEED_LOGIN},
    [FTP_V_ALLO] = {cmd_allo, NEED_LOGIN},
    [FTP_V_STOR] = {cmd_stor, NEED_LOGIN | NEED_ARG | WRITE},
    [FTP_V_DELE] = {cmd_dele, NEED_LOGIN | NEED_ARG | WRITE},
    [FTP_V_MKD]  = {cmd_mkd, NEED_LOGIN | NEED_ARG | WRITE},
    [FTP_V_RMD]  = {cmd_rmd, NEED_LOGIN | NEED_ARG | WRITE},
};

bool ftp_cmd_during_transfer(enum ftp_verb v)
{
    return v == FTP_V_ABOR || v == FTP_V_QUIT || v == FTP_V_NOOP || v == FTP_V_STAT;
}

void ftp_command(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c)
{
    unsigned flags = commands[c->verb].flags;
    if (!commands[c->verb].fn) {
        ftp_reply(se, now, 502, "Command not implemented.");
    } else if ((flags & NEED_LOGIN) && !se->logged_in) {
        ftp_reply(se, now, 530, "Please login with USER and PASS.");
    } else if ((flags & NEED_ARG) && c->arg_len == 0) {
        ftp_reply(se, now, 501, "Syntax error in parameters or arguments.");
    } else if ((flags & WRITE) && !se->srv->o.writable) {
        ftp_reply(se, now, 550, "Permission denied.");
    } else {
        commands[c->verb].fn(se, now, c);
    }
}
