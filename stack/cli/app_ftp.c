/*
 * `tapstack up`'s FTP block: --ftp PORT, --no-ftp, --ftp-root DIR, --ftp-user NAME:PASSWORD,
 * --ftp-writable (see apps_table.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apps/ftp/ftp_server.h"
#include "cli/apps_table.h"
#include "cli/parse.h"
#include "tapstack/socket.h"

struct cli_ftp {
    struct ts_ftp_opts o;
    char user[64];
    char password[128];
};

static void ftp_defaults(void *opts)
{
    struct cli_ftp *c = opts;
    memset(c, 0, sizeof *c);
    c->o.port = 21;
}

static int ftp_set_port(void *opts, const char *v, char *err, size_t n)
{
    uint64_t x;
    if (!ts_parse_uint(v, 1, 65535, &x)) {
        snprintf(err, n, "--ftp '%s': expected a TCP port from 1 to 65535 (21 by default)", v);
        return -1;
    }
    ((struct cli_ftp *)opts)->o.port = (uint16_t)x;
    return 0;
}

static int ftp_set_root(void *opts, const char *v, char *err, size_t n)
{
    struct stat st;
    if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, n, "--ftp-root %s: no such directory (give a directory to serve, or leave it "
                         "out for a sample tree)", v);
        return -1;
    }
    ((struct cli_ftp *)opts)->o.root = v;
    return 0;
}

static int ftp_set_user(void *opts, const char *v, char *err, size_t n)
{
    struct cli_ftp *c = opts;
    const char *colon = strchr(v, ':');
    size_t ulen = colon ? (size_t)(colon - v) : 0;
    if (!colon || ulen == 0 || ulen >= sizeof c->user || strlen(colon + 1) >= sizeof c->password ||
        strpbrk(v, "\r\n")) {
        snprintf(err, n, "--ftp-user '%s': expected NAME:PASSWORD (a name of 1-63 bytes, a password "
                         "of up to 127), such as --ftp-user alice:secret", v);
        return -1;
    }
    memcpy(c->user, v, ulen);
    c->user[ulen] = '\0';
    strcpy(c->password, colon + 1);
    return 0;
}

static int ftp_set_writable(void *opts, const char *v, char *err, size_t n)
{
    (void)v; (void)err; (void)n;
    ((struct cli_ftp *)opts)->o.writable = true;
    return 0;
}

static int ftp_set_max_sessions(void *opts, const char *v, char *err, size_t n)
{
    return ts_parse_conn_limit("ftp-max-sessions", v, &((struct cli_ftp *)opts)->o.max_sessions, err, n)
               ? 0 : -1;
}

static int ftp_set_max_per_peer(void *opts, const char *v, char *err, size_t n)
{
    return ts_parse_conn_limit("ftp-max-per-peer", v, &((struct cli_ftp *)opts)->o.max_per_peer, err, n)
               ? 0 : -1;
}

static void ftp_log_line(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "tapstack: %s\n", line);
}

static int ftp_start(struct ts_stack *s, ts_time_t now, const void *opts, struct ts_app *out,
                     char *err, size_t n)
{
    const struct cli_ftp *c = opts;
    struct ts_ftp_opts o = c->o;
    const char *why = NULL;
    if (c->user[0]) {
        o.user = c->user;
        o.password = c->password;
    }
    o.log = ftp_log_line;
    o.why = &why;
    int rc = ts_ftp_start(s, now, &o, out);
    if (rc < 0) {
        if (rc == -TS_EINVAL)
            snprintf(err, n, "%s%s%s", why ? why : "bad options", o.root ? " " : "", o.root ? o.root : "");
        else
            snprintf(err, n, "cannot listen on TCP port %u: %s", o.port, ts_strerror(rc));
        return -1;
    }
    return 0;
}

static const struct ts_cli_flag ftp_flags[] = {
    { "ftp", "PORT", "serve FTP on PORT instead of 21", ftp_set_port },
    { "ftp-root", "DIR", "serve the files in DIR (default: a generated sample tree)", ftp_set_root },
    { "ftp-user", "NAME:PASSWORD", "one account instead of anonymous logins", ftp_set_user },
    { "ftp-writable", NULL, "allow STOR, DELE, MKD and RMD", ftp_set_writable },
    { "ftp-max-sessions", "N", "sessions at once; at the limit the one idle longest without a "
      "login is evicted (default: sized from memory)", ftp_set_max_sessions },
    { "ftp-max-per-peer", "N", "sessions one client address may hold (default: a quarter of the "
      "limit)", ftp_set_max_per_peer },
    { NULL, NULL, NULL, NULL },
};

const struct ts_cli_app ts_cli_app_ftp = {
    .name = "ftp",
    .summary = "FTP server (RFC 959; PASV/EPSV and active PORT/EPRT; SIZE, MDTM, REST)",
    .default_on = true,
    .hint = "curl ftp://%s/pub/",
    .opts_size = sizeof(struct cli_ftp),
    .defaults = ftp_defaults,
    .flags = ftp_flags,
    .start = ftp_start,
};
