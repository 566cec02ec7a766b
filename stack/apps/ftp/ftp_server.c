/*
 * The FTP server: the control listener, sessions and their control connections, timeouts.
 * Commands are in ftp_cmds.c, data connections and transfers in ftp_data.c.
 *
 * A session is freed only at the end of a top-level entry (a socket callback or poll), after
 * everything it owns is closed: handlers just mark it dead.
 */
#include "apps/ftp/ftp_session.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ftp_log(struct ftp_server *srv, const char *fmt, ...)
{
    if (!srv->o.log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    srv->o.log(srv->o.log_arg, line);
}

void ftp_touch(struct ftp_session *se, ts_time_t now)
{
    if (se->node.cls == FC_IDLE || se->node.cls == FC_XFER) ts_guard_touch(&se->srv->guard, &se->node, now);
}

void ftp_session_settle(struct ftp_session *se, ts_time_t now)
{
    enum ftp_class c = !se->logged_in ? (se->spoke ? FC_LOGGING_IN : FC_LOGIN)
                       : se->xfer == FTP_XFER_NONE ? FC_IDLE
                       : se->data_up ? FC_XFER : FC_DATA_WAIT;
    if (se->node.cls != (int)c) ts_guard_move(&se->srv->guard, &se->node, c, now);
}

void ftp_flush(struct ftp_session *se, ts_time_t now)
{
    while (se->out_len > 0 && se->ctrl) {
        long n = ts_tcp_send(se->ctrl, now, se->out, se->out_len);
        if (n == -TS_EAGAIN || n == 0) break;
        if (n < 0) {
            se->dead = true;
            se->out_len = 0;
            return;
        }
        memmove(se->out, se->out + n, se->out_len - (size_t)n);
        se->out_len -= (size_t)n;
    }
    if (se->quitting && se->out_len == 0) se->dead = true;
}

void ftp_reply_raw(struct ftp_session *se, ts_time_t now, const char *text, size_t len)
{
    if (len == 0) return;
    if (len > sizeof se->out - se->out_len) {
        se->dead = true;
        return;
    }
    memcpy(se->out + se->out_len, text, len);
    se->out_len += len;
    ftp_flush(se, now);
}

void ftp_reply(struct ftp_session *se, ts_time_t now, int code, const char *fmt, ...)
{
    char text[FTP_PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t n = ftp_fmt_reply(se->out + se->out_len, sizeof se->out - se->out_len, code, text);
    if (n == 0) {                       /* the client does not read its replies: give up on it */
        ftp_log(se->srv, "ftp: session %lu: control output full, closing", se->id);
        se->dead = true;
        return;
    }
    se->out_len += n;
    ftp_flush(se, now);
}

/* Handle one complete input line; returns false if processing must pause (deferred line). */
static bool handle_line(struct ftp_session *se, ts_time_t now)
{
    struct ftp_cmd c;
    enum ftp_parse_status ps = ftp_cmd_parse(se->line.buf, se->line.len, &c);
    if (ps == FTP_PARSE_OK && se->xfer != FTP_XFER_NONE && !ftp_cmd_during_transfer(c.verb)) {
        se->line_deferred = true;       /* runs when the transfer ends */
        return false;
    }
    se->line_deferred = false;
    switch (ps) {
    case FTP_PARSE_OK:
        ftp_command(se, now, &c);
        break;
    case FTP_PARSE_BAD_CHAR:
        ftp_reply(se, now, 501, "CR, LF or NUL inside the command line.");
        break;
    default:
        ftp_reply(se, now, 500, "Syntax error, command unrecognized.");
        break;
    }
    return true;
}

void ftp_process_input(struct ftp_session *se, ts_time_t now)
{
    if (se->line_deferred) {
        if (se->xfer != FTP_XFER_NONE) return;
        if (!handle_line(se, now)) return;
    }
    for (;;) {
        if (se->dead || se->quitting || sizeof se->out - se->out_len < FTP_OUT_RESERVE) return;
        if (se->in_off == se->in_len) {
            long n = ts_tcp_recv(se->ctrl, now, se->in, sizeof se->in);
            if (n == -TS_EAGAIN) return;
            if (n <= 0) {               /* end of stream or error: the client is gone */
                se->dead = true;
                return;
            }
            se->in_off = 0;
            se->in_len = (size_t)n;
            if (!se->spoke) {           /* logged from its first byte: a flood of ghosts is not */
                char ip[16];
                ftp_log(se->srv, "ftp: session %lu from %s:%u", se->id, ts_ip_str(se->raddr, ip), se->rport);
            }
            se->spoke = true;
            ftp_touch(se, now);
        }
        size_t used;
        enum ts_line_status ls = ts_line_feed(&se->line, se->in + se->in_off, se->in_len - se->in_off, &used);
        se->in_off += used;
        if (ls == TS_LINE_TOO_LONG) {
            ftp_reply(se, now, 500, "Command line too long.");
        } else if (ls == TS_LINE_READY) {
            if (!handle_line(se, now)) return;
        }
    }
}

/* Close everything a session owns and free it. */
static void session_free(struct ftp_session *se, ts_time_t now)
{
    if (se->quitting && se->out_len > 0) ftp_flush(se, now);   /* last words, if they fit */
    struct ftp_server *srv = se->srv;
    ftp_data_reset(se, now);
    if (se->ctrl && se->reset) ts_tcp_abort(se->ctrl, now);
    else if (se->ctrl) ts_tcp_close(se->ctrl, now);
    ts_guard_leave(&srv->guard, &se->node);
    *se->pprev = se->next;
    if (se->next) se->next->pprev = se->pprev;
    srv->nsessions--;
    /* evictions and ghosts (never a byte) are counted by the guard and logged once a second */
    if (!se->reset && se->spoke) ftp_log(srv, "ftp: session %lu closed", se->id);
    free(se);
}

void ftp_session_reap(struct ftp_session *se, ts_time_t now)
{
    if (se->dead) session_free(se, now);
    else ftp_session_settle(se, now);
}

static void ctrl_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct ftp_session *se = arg;
    (void)sock;
    if (events & (TS_EV_ERROR | TS_EV_CLOSED)) se->dead = true;
    if (!se->dead && (events & TS_EV_WRITABLE)) ftp_flush(se, now);
    if (!se->dead && (events & (TS_EV_READABLE | TS_EV_WRITABLE))) ftp_process_input(se, now);
    ftp_session_reap(se, now);
}

/* A new control connection: a session (evicting the one idle longest without a login if the
 * server is full), or a 421 when nothing can make room. */
static void accept_one(struct ftp_server *srv, struct ts_sock *conn, ts_time_t now)
{
    uint32_t laddr, raddr;
    uint16_t rport;
    ts_sock_name(conn, &laddr, NULL, &raddr, &rport);
    struct ftp_session *se = calloc(1, sizeof *se);
    enum ts_guard_verdict v = se ? ts_guard_admit(&srv->guard, &se->node, raddr, FC_LOGIN, now)
                                 : TS_GUARD_REFUSED_FULL;
    if (v != TS_GUARD_ADMITTED) {
        static const char busy[] = "421 Too many connections, try again later.\r\n";
        ts_tcp_send(conn, now, busy, sizeof busy - 1);
        ts_tcp_close(conn, now);
        free(se);
        return;                         /* counted and logged (once a second) by the guard */
    }
    se->srv = srv;
    se->id = ++srv->next_id;
    se->ctrl = conn;
    se->laddr = laddr;
    se->raddr = raddr;
    se->rport = rport;
    se->xfer_fd = -1;
    se->type = FTP_TYPE_ASCII;
    se->xfer_list.limit = FTP_LIST_LIMIT;
    strcpy(se->cwd, "/");
    ts_line_init(&se->line);
    se->next = srv->sessions;
    if (se->next) se->next->pprev = &se->next;
    se->pprev = &srv->sessions;
    srv->sessions = se;
    srv->nsessions++;
    ts_sock_set_callback(conn, ctrl_event, se);
    ftp_reply(se, now, 220, "tapstack FTP server ready.");
    ftp_session_reap(se, now);
}

static void listener_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct ftp_server *srv = arg;
    if (!(events & TS_EV_READABLE)) return;
    struct ts_sock *conn;
    for (int i = 0; i < 64 && (conn = ts_tcp_accept(sock, NULL, NULL)) != NULL; i++)
        accept_one(srv, conn, now);
}

static ts_time_t ftp_poll_at(void *ctx)
{
    struct ftp_server *srv = ctx;
    return ts_guard_next(&srv->guard);
}

static struct ftp_session *session_of(struct ts_guard_node *n)
{
    return (struct ftp_session *)(void *)((char *)n - offsetof(struct ftp_session, node));
}

/* The guard's expire callback: the timeout of class cls ran out. */
static void session_timeout(void *arg, struct ts_guard_node *n, int cls, ts_time_t now)
{
    struct ftp_session *se = session_of(n);
    (void)arg;
    if (cls == FC_DATA_WAIT) {
        se->data_deadline = now;        /* ftp_data_poll answers 425 */
        ftp_data_poll(se, now);
    } else {
        if (se->spoke)
            ftp_log(se->srv, "ftp: session %lu %s, closing", se->id,
                    cls == FC_LOGIN || cls == FC_LOGGING_IN ? "did not log in in time" : "idle");
        ftp_reply(se, now, 421, "Timeout: closing the control connection.");
        se->dead = true;
        se->reset = !se->spoke;         /* never a byte: likely a ghost, free its TCB at once */
    }
    ftp_session_reap(se, now);
}

/* The guard's has_input callback: a command is waiting to be read. */
static bool session_has_input(void *arg, struct ts_guard_node *n)
{
    const struct ftp_session *se = session_of(n);
    (void)arg;
    return se->in_off < se->in_len || (se->ctrl && ts_tcp_recv_avail(se->ctrl) > 0);
}

/* The guard's unanswered callback: the client's TCP has not acknowledged our banner (or a reply). */
static bool session_unanswered(void *arg, struct ts_guard_node *n)
{
    const struct ftp_session *se = session_of(n);
    (void)arg;
    return se->ctrl && ts_tcp_send_queued(se->ctrl) > 0;
}

/* The guard's evict callback: the server is full and se is the one idle longest. */
static void session_evict(void *arg, struct ts_guard_node *n, ts_time_t now)
{
    struct ftp_session *se = session_of(n);
    (void)arg;
    se->reset = true;                   /* likely a ghost: no FIN to retransmit into the void */
    se->dead = true;
    session_free(se, now);
}

static void ftp_poll(void *ctx, ts_time_t now)
{
    struct ftp_server *srv = ctx;
    ts_guard_poll(&srv->guard, now);
}

static void guard_log(void *arg, const char *line)
{
    ftp_log(arg, "%s", line);
}

static int guard_start(struct ftp_server *srv, struct ts_stack *s)
{
    const struct ts_ftp_opts *o = &srv->o;
    const struct ts_guard_class classes[FC_CLASSES] = {
        [FC_LOGIN] = { "login", o->login_timeout, 1, true },
        [FC_IDLE] = { "idle", o->idle_timeout, 2, true },
        [FC_XFER] = { "transfer", o->idle_timeout, 0, false },
        [FC_DATA_WAIT] = { "data connection", o->data_timeout, 0, false },
        [FC_LOGGING_IN] = { "login begun", o->login_timeout, 2, true },
    };
    const struct ts_guard_cfg cfg = {
        .name = "ftp", .max_conns = o->max_sessions, .max_per_peer = o->max_per_peer,
        .classes = classes, .nclasses = FC_CLASSES, .evict = session_evict,
        .expire = session_timeout, .has_input = session_has_input,
        .unanswered = session_unanswered, .arg = srv, .log = guard_log, .log_arg = srv,
    };
    int r = ts_guard_init(&srv->guard, ts_stack_config(s), sizeof(struct ftp_session), &cfg);
    srv->o.max_sessions = srv->guard.max_conns;
    srv->o.max_per_peer = srv->guard.max_per_peer;
    return r;
}

static unsigned ftp_conn_stats(void *ctx, struct ts_app_conn_stats *out, unsigned cap)
{
    const struct ftp_server *srv = ctx;
    if (cap == 0) return 0;
    ts_guard_app_stats(&srv->guard, out);
    return 1;
}

static void ftp_stop(void *ctx, ts_time_t now)
{
    struct ftp_server *srv = ctx;
    while (srv->sessions) session_free(srv->sessions, now);
    if (srv->listener) ts_tcp_close(srv->listener, now);
    ftp_fs_close(&srv->fs);
    ts_guard_fini(&srv->guard);
    free(srv);
}

/* Copy the options, fill in defaults; false if a string is too long. */
static bool set_opts(struct ftp_server *srv, const struct ts_ftp_opts *o)
{
    srv->o = *o;
    if (!srv->o.port) srv->o.port = 21;
    if (!srv->o.login_timeout) srv->o.login_timeout = TS_SEC(10);
    if (!srv->o.max_login_failures) srv->o.max_login_failures = 3;
    if (!srv->o.idle_timeout) srv->o.idle_timeout = TS_SEC(300);
    if (!srv->o.data_timeout) srv->o.data_timeout = TS_SEC(30);
    if (o->user) {
        const char *pw = o->password ? o->password : "";
        if (!o->user[0] || strlen(o->user) >= sizeof srv->user || strlen(pw) >= sizeof srv->password)
            return false;
        strcpy(srv->user, o->user);
        strcpy(srv->password, pw);
        srv->o.user = srv->user;
        srv->o.password = srv->password;
    }
    srv->o.root = NULL;                 /* only used at start */
    return true;
}

int ts_ftp_start(struct ts_stack *s, ts_time_t now, const struct ts_ftp_opts *o, struct ts_app *out)
{
    (void)now;
    struct ftp_server *srv = calloc(1, sizeof *srv);
    if (!srv) return -TS_ENOMEM;
    srv->s = s;
    srv->fs.root.fd = -1;
    if (!set_opts(srv, o)) {
        if (o->why) *o->why = "--ftp-user NAME:PASSWORD too long or empty";
        free(srv);
        return -TS_EINVAL;
    }
    if (guard_start(srv, s) < 0) {
        ts_guard_fini(&srv->guard);
        free(srv);
        return -TS_ENOMEM;
    }
    const char *why = NULL;
    if (ftp_fs_open(&srv->fs, o->root, &why) < 0) {
        if (o->why) *o->why = why;
        ts_guard_fini(&srv->guard);
        free(srv);
        return -TS_EINVAL;
    }
    int r = ts_tcp_listen(s, 0, srv->o.port, 64, listener_event, srv, &srv->listener);
    /* Control connections carry replies and commands only (FTP_OUT_MAX, FTP_IN_MAX): small TCP
     * buffers, inherited by every accepted connection, keep thousands of idle sessions cheap. */
    if (r == 0) (void)ts_tcp_set_buffers(srv->listener, FTP_CTRL_TCP_BUF, FTP_CTRL_TCP_BUF);
    if (r < 0) {
        if (o->why) *o->why = "cannot listen on the FTP port";
        ftp_fs_close(&srv->fs);
        ts_guard_fini(&srv->guard);
        free(srv);
        return r;
    }
    ftp_log(srv, "ftp: listening on port %u, root %s%s%s, at most %u sessions (%u per address)",
            srv->o.port, o->root ? o->root : srv->fs.sample_dir, o->root ? "" : " (sample tree)",
            srv->o.writable ? ", writable" : "", srv->o.max_sessions, srv->o.max_per_peer);
    memset(out, 0, sizeof *out);
    out->name = "ftp";
    out->ctx = srv;
    out->poll_at = ftp_poll_at;
    out->poll = ftp_poll;
    out->stop = ftp_stop;
    out->conn_stats = ftp_conn_stats;
    return 0;
}
