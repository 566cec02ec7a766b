/*
 * The FTP server (RFC 959, with RFC 2428 EPSV/EPRT and RFC 3659 SIZE/MDTM/REST), an application
 * on the stack's socket API. One control connection per session on port 21; for each transfer a
 * data connection, either to a fresh ephemeral port we listen on (PASV/EPSV) or from port 20 to
 * the client's address (PORT/EPRT; only to the control connection's peer and a port >= 1024,
 * RFC 2577).
 */
#ifndef TS_APPS_FTP_SERVER_H
#define TS_APPS_FTP_SERVER_H

#include "tapstack/app.h"
#include "tapstack/socket.h"

struct ts_ftp_opts {
    uint16_t port;               /* control port; 0 means 21 */
    const char *root;            /* directory served; NULL: a sample tree in a temporary directory */
    const char *user;            /* the one account (with password); NULL: anonymous logins */
    const char *password;
    bool writable;               /* allow STOR, DELE, MKD, RMD */
    /* At max_sessions a newcomer evicts the session idle longest that has not logged in (then an
     * idle logged-in one; never one with a transfer): stack/apps/conn_guard.h. 0 means sized
     * from memory and the stack's TCP limit. */
    unsigned max_sessions;
    unsigned max_per_peer;       /* sessions one client address may hold; 0 means max_sessions / 4 */
    unsigned max_login_failures; /* failed PASS before the session is closed; 0 means 3 */
    ts_time_t login_timeout;     /* from connecting to logged in: 421 after; 0 means 10 s */
    ts_time_t idle_timeout;      /* no command and no data progress for this long: 421; 0 means 300 s */
    /* login_timeout and idle_timeout drop to a quarter (at least 1 s) at 3/4 of max_sessions. */
    ts_time_t data_timeout;      /* wait for a data connection; 0 means 30 s */
    /* Optional: one line of text per notable event (start, sessions, refusals). */
    void (*log)(void *arg, const char *line);
    void *log_arg;
    /* Optional: on failure, set to what went wrong. */
    const char **why;
};

/* Start the FTP server: open the root (or make the sample tree) and listen on the port.
 * Fills *out (name "ftp"; poll_at/poll run the idle and data-connection timeouts; stop closes
 * every session and socket, removes the sample tree and frees everything).
 * Returns 0, or a negative TS_E* code (-TS_EADDRINUSE for a taken port, -TS_EINVAL for a root
 * that cannot be served, -TS_ENOMEM). */
int ts_ftp_start(struct ts_stack *s, ts_time_t now, const struct ts_ftp_opts *o, struct ts_app *out);

#endif
