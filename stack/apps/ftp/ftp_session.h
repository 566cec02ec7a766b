/*
 * The FTP server's insides, shared by ftp_server.c (sessions, control connection), ftp_cmds.c
 * (the commands) and ftp_data.c (data connections and transfers).
 */
#ifndef TS_APPS_FTP_SESSION_H
#define TS_APPS_FTP_SESSION_H

#include "apps/conn_guard.h"
#include "apps/ftp/ftp_fs.h"
#include "apps/ftp/ftp_parse.h"
#include "apps/ftp/ftp_server.h"

#define FTP_OUT_MAX 4096         /* pending control output per session */
#define FTP_OUT_RESERVE 1536     /* room kept free before another command is read */
#define FTP_IN_MAX 1024          /* control input read ahead */
#define FTP_XFER_BUF 16384       /* data staged for the data connection */
#define FTP_LIST_LIMIT (4u << 20)
#define FTP_CTRL_TCP_BUF 8192    /* TCP send and receive buffer of a control connection */

/* A session's class in the server's guard (conn_guard.h): its timeout and eviction rank. */
enum ftp_class {
    FC_LOGIN = 0,                /* not logged in: login_timeout from the connection, evicted first */
    FC_IDLE,                     /* logged in, no transfer: idle_timeout since the last command */
    FC_XFER,                     /* a transfer moves: idle_timeout since the last progress, kept */
    FC_DATA_WAIT,                /* a transfer waits for its data connection: data_timeout, kept */
    FC_LOGGING_IN,               /* not logged in but has spoken (USER ...): login_timeout from its
                                  * first byte, evicted with the idle ones, after the silent ones: a
                                  * flood of silent sessions turns FC_LOGIN over in tens of ms */
    FC_CLASSES,
};

struct ftp_server {
    struct ts_stack *s;
    struct ts_ftp_opts o;        /* with defaults filled in; strings point into the fields below */
    char user[64];
    char password[128];
    struct ftp_fs fs;
    struct ts_sock *listener;
    struct ftp_session *sessions;
    unsigned nsessions;
    struct ts_guard guard;       /* admission, timeouts, eviction of control connections */
    unsigned long next_id;
};

enum ftp_xfer {
    FTP_XFER_NONE = 0,
    FTP_XFER_LIST,               /* send the listing in xfer_list */
    FTP_XFER_RETR,               /* send the file xfer_fd */
    FTP_XFER_STOR,               /* receive into xfer_fd */
};

enum ftp_data_mode {
    FTP_DATA_NONE = 0,
    FTP_DATA_PASV,               /* we listen (pasv) or have accepted (data) */
    FTP_DATA_PORT,               /* we connect to port_addr:port_port when a transfer starts */
};

struct ftp_session {
    struct ftp_session *next, **pprev;   /* srv->sessions: unlinked in O(1) (10,000s under attack) */
    struct ftp_server *srv;
    unsigned long id;
    struct ts_sock *ctrl;
    uint32_t laddr, raddr;       /* the control connection's addresses */
    uint16_t rport;
    bool dead;                   /* to be freed when the current callback returns */
    bool quitting;               /* close once the output is out */
    bool reset;                  /* close the control connection with a reset (evicted) */
    bool spoke;                  /* the client sent something on the control connection */
    struct ts_guard_node node;   /* class and timer in srv->guard */

    /* control input and output */
    struct ts_line line;
    bool line_deferred;          /* line holds a command that waits for the transfer to end */
    uint8_t in[FTP_IN_MAX];
    size_t in_off, in_len;
    char out[FTP_OUT_MAX];
    size_t out_len;

    /* login and state */
    bool user_given, logged_in;
    unsigned failures;
    char user[64];
    char cwd[FTP_PATH_MAX];
    enum ftp_type type;
    uint64_t rest;
    bool epsv_all;

    /* data connection */
    enum ftp_data_mode mode;
    struct ts_sock *pasv;        /* our listener for the data connection */
    struct ts_sock *data;        /* the data connection */
    bool data_up;                /* established */
    uint32_t port_addr;
    uint16_t port_port;
    ts_time_t data_deadline;     /* a transfer waits for its connection until then */

    /* transfer */
    enum ftp_xfer xfer;
    int xfer_fd;
    struct ftp_buf xfer_list;
    size_t list_off;
    bool xfer_eof;               /* the source is exhausted (send) */
    bool cr_pending;             /* ASCII upload: a CR waits to see whether LF follows */
    uint64_t xfer_bytes;
    uint8_t buf[FTP_XFER_BUF];
    size_t buf_off, buf_len;
};

/* ---- ftp_server.c ---- */

/* Queue a reply (text may hold '\n' for a multi-line reply) and try to send it. */
void ftp_reply(struct ftp_session *se, ts_time_t now, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Queue reply text already formatted (len 0: nothing) and try to send it. */
void ftp_reply_raw(struct ftp_session *se, ts_time_t now, const char *text, size_t len);

/* Send what is pending on the control connection. */
void ftp_flush(struct ftp_session *se, ts_time_t now);

/* One line to the log, if there is one. */
void ftp_log(struct ftp_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress: restart the idle timeout (not the login timeout). */
void ftp_touch(struct ftp_session *se, ts_time_t now);

/* Put the session into the guard class its state calls for (login, idle, transfer ...). */
void ftp_session_settle(struct ftp_session *se, ts_time_t now);

/* Free the session if it was marked dead (call last, at the end of a top-level entry). */
void ftp_session_reap(struct ftp_session *se, ts_time_t now);

/* Process buffered control input while there is room for replies (called when a transfer ends). */
void ftp_process_input(struct ftp_session *se, ts_time_t now);

/* ---- ftp_cmds.c ---- */

/* Handle one parsed command. */
void ftp_command(struct ftp_session *se, ts_time_t now, const struct ftp_cmd *c);

/* May this command run while a transfer is in progress? (ABOR, QUIT, NOOP, STAT) */
bool ftp_cmd_during_transfer(enum ftp_verb v);

/* ---- ftp_data.c ---- */

/* PASV/EPSV: (re)open the data listener; returns its port, or a negative TS_E*. */
int ftp_data_pasv(struct ftp_session *se, ts_time_t now);

/* PORT/EPRT: check the target (the control peer, a port >= 1024) and remember it. */
bool ftp_data_port(struct ftp_session *se, uint32_t addr, uint16_t port);

/* Start a transfer whose source/sink is already set up (xfer, xfer_fd / xfer_list): sends 150
 * with text, then connects or waits for the connection. */
void ftp_data_start(struct ftp_session *se, ts_time_t now, const char *text150);

/* ABOR: stop the transfer; returns true if one was running. */
bool ftp_data_abort(struct ftp_session *se, ts_time_t now);

/* Close every data socket and drop the transfer state (session end, new PASV/PORT). */
void ftp_data_reset(struct ftp_session *se, ts_time_t now);

/* Run the data-connection timeout. */
void ftp_data_poll(struct ftp_session *se, ts_time_t now);

#endif
