/*
 * FTP data connections (RFC 959 §3.2, §3.3; RFC 2428; RFC 2577) and the transfers over them.
 *
 * Passive: a listener on an ephemeral port (ts_tcp_listen with port 0) for exactly one
 * connection, from the control connection's peer address only; the listener is closed once it
 * has it. Active: a connection from port 20 to the address PORT/EPRT named, which must be the
 * control connection's peer and a port >= 1024 (no FTP bounce). Each PASV/PORT serves one
 * transfer; the connection is closed when the transfer ends (end of file = end of stream in
 * stream mode) or the session ends.
 */
#include "apps/ftp/ftp_session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void data_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);

static void xfer_clear(struct ftp_session *se)
{
    if (se->xfer_fd >= 0) close(se->xfer_fd);
    se->xfer_fd = -1;
    ftp_buf_free(&se->xfer_list);
    se->list_off = 0;
    se->buf_off = se->buf_len = 0;
    se->xfer = FTP_XFER_NONE;
    se->xfer_eof = false;
    se->cr_pending = false;
    se->xfer_bytes = 0;
    se->data_deadline = 0;
}

/* Read what the peer sent on a connection we only write to, so that close is a FIN, not a RST. */
static void drain(struct ts_sock *sock, ts_time_t now)
{
    uint8_t junk[512];
    for (int i = 0; i < 64 && ts_tcp_recv(sock, now, junk, sizeof junk) > 0; i++) {}
}

void ftp_data_reset(struct ftp_session *se, ts_time_t now)
{
    if (se->pasv) ts_tcp_close(se->pasv, now);
    if (se->data) ts_tcp_abort(se->data, now);
    se->pasv = se->data = NULL;
    se->data_up = false;
    se->mode = FTP_DATA_NONE;
    xfer_clear(se);
}

/* End the transfer: close the data connection (gracefully on success) and send the reply. */
static void finish(struct ftp_session *se, ts_time_t now, int code, const char *text)
{
    if (se->data) {
        if (code == 226) {
            drain(se->data, now);
            ts_tcp_close(se->data, now);
        } else {
            ts_tcp_abort(se->data, now);
        }
        se->data = NULL;
    }
    unsigned long long bytes = (unsigned long long)se->xfer_bytes;
    ftp_data_reset(se, now);
    ftp_log(se->srv, "ftp: session %lu: transfer ended %d after %llu bytes", se->id, code, bytes);
    ftp_reply(se, now, code, "%s", text);
}

int ftp_data_pasv(struct ftp_session *se, ts_time_t now)
{
    ftp_data_reset(se, now);
    int r = ts_tcp_listen(se->srv->s, se->laddr, 0, 1, data_event, se, &se->pasv);
    if (r < 0) {
        se->pasv = NULL;
        return r;
    }
    uint16_t port = 0;
    ts_sock_name(se->pasv, NULL, &port, NULL, NULL);
    se->mode = FTP_DATA_PASV;
    return port;
}

bool ftp_data_port(struct ftp_session *se, uint32_t addr, uint16_t port)
{
    if (addr != se->raddr || port < 1024) return false;
    se->mode = FTP_DATA_PORT;
    se->port_addr = addr;
    se->port_port = port;
    return true;
}

/* Refill buf from the file; in ASCII mode each LF goes out as CRLF. Returns the bytes staged,
 * 0 at end of file, -1 on a read error. */
static long refill_file(struct ftp_session *se)
{
    size_t want = se->type == FTP_TYPE_IMAGE ? sizeof se->buf : sizeof se->buf / 2;
    uint8_t *dst = se->buf + sizeof se->buf - want;  /* read into the tail, expand to the front */
    ssize_t n;
    do n = read(se->xfer_fd, dst, want); while (n < 0 && errno == EINTR);
    if (n <= 0) return n < 0 ? -1 : 0;
    if (se->type == FTP_TYPE_IMAGE) {
        se->buf_off = 0;                            /* want == sizeof buf: dst is buf */
        se->buf_len = (size_t)n;
        return n;
    }
    size_t out = 0;
    for (ssize_t i = 0; i < n; i++) {               /* out <= 2*i+2 <= tail start + i: safe */
        uint8_t c = dst[i];
        if (c == '\n') se->buf[out++] = '\r';
        se->buf[out++] = c;
    }
    se->buf_off = 0;
    se->buf_len = out;
    return (long)out;
}

/* Refill buf for a send; returns the bytes staged, 0 at the end, -1 on error. */
static long refill(struct ftp_session *se)
{
    se->buf_off = se->buf_len = 0;
    if (se->xfer == FTP_XFER_RETR) return refill_file(se);
    size_t n = se->xfer_list.len - se->list_off;
    if (n > sizeof se->buf) n = sizeof se->buf;
    if (n) memcpy(se->buf, se->xfer_list.data + se->list_off, n);
    se->list_off += n;
    se->buf_len = n;
    return (long)n;
}

/* Send as much as the data connection takes. */
static void pump_send(struct ftp_session *se, ts_time_t now)
{
    for (int round = 0; round < 1024 && se->data && se->data_up; round++) {
        if (se->buf_off == se->buf_len) {
            long r = refill(se);
            if (r < 0) { finish(se, now, 451, "Read error; transfer aborted."); return; }
            if (r == 0) {
                finish(se, now, 226, se->xfer == FTP_XFER_LIST ? "Directory send OK." : "Transfer complete.");
                return;
            }
        }
        long n = ts_tcp_send(se->data, now, se->buf + se->buf_off, se->buf_len - se->buf_off);
        if (n == -TS_EAGAIN || n == 0) return;
        if (n < 0) { finish(se, now, 426, "Connection closed; transfer aborted."); return; }
        se->buf_off += (size_t)n;
        se->xfer_bytes += (uint64_t)n;
        ftp_touch(se, now);
    }
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* ASCII upload: CRLF becomes LF (a CR not followed by LF stays). Converts in place. */
static size_t ascii_in(struct ftp_session *se, uint8_t *p, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (se->cr_pending) {
            se->cr_pending = false;
            if (p[i] != '\n') out[o++] = '\r';
        }
        if (p[i] == '\r') se->cr_pending = true;
        else out[o++] = p[i];
    }
    return o;
}

/* Receive what the data connection has and write it to the file. */
static void pump_recv(struct ftp_session *se, ts_time_t now)
{
    for (int round = 0; round < 1024 && se->data && se->data_up; round++) {
        long n = ts_tcp_recv(se->data, now, se->buf, sizeof se->buf);
        if (n == -TS_EAGAIN) return;
        if (n < 0) { finish(se, now, 426, "Connection closed; transfer aborted."); return; }
        if (n == 0) {
            bool ok = !se->cr_pending || write_all(se->xfer_fd, (const uint8_t *)"\r", 1);
            ok = close(se->xfer_fd) == 0 && ok;
            se->xfer_fd = -1;
            finish(se, now, ok ? 226 : 451, ok ? "Transfer complete." : "Failure writing to local storage.");
            return;
        }
        size_t len = (size_t)n;
        if (se->type != FTP_TYPE_IMAGE) len = ascii_in(se, se->buf, len, se->buf);
        if (!write_all(se->xfer_fd, se->buf, len)) {
            finish(se, now, 451, "Failure writing to local storage.");
            return;
        }
        se->xfer_bytes += (uint64_t)n;
        ftp_touch(se, now);
    }
}

/* Move the transfer along in whichever direction it goes. */
static void kick(struct ftp_session *se, ts_time_t now)
{
    if (!se->data_up || se->xfer == FTP_XFER_NONE) return;
    se->data_deadline = 0;
    if (se->xfer == FTP_XFER_STOR) pump_recv(se, now);
    else pump_send(se, now);
}

void ftp_data_start(struct ftp_session *se, ts_time_t now, const char *text150)
{
    ftp_reply(se, now, 150, "%s", text150);
    se->data_deadline = now + se->srv->o.data_timeout;
    if (se->mode == FTP_DATA_PORT && !se->data) {
        int r = ts_tcp_connect(se->srv->s, now, se->laddr, 20, se->port_addr, se->port_port,
                               data_event, se, &se->data);
        if (r < 0) {
            se->data = NULL;
            finish(se, now, 425, "Cannot open data connection.");
        }
        return;
    }
    kick(se, now);
}

bool ftp_data_abort(struct ftp_session *se, ts_time_t now)
{
    bool running = se->xfer != FTP_XFER_NONE;
    ftp_data_reset(se, now);
    return running;
}

void ftp_data_poll(struct ftp_session *se, ts_time_t now)
{
    if (se->data_deadline && now >= se->data_deadline && se->xfer != FTP_XFER_NONE && !se->data_up)
        finish(se, now, 425, "Cannot open data connection.");
    if (!se->dead && se->xfer == FTP_XFER_NONE) ftp_process_input(se, now);
}

/* The passive listener has connections: keep the first from the client, refuse the others. */
static void accept_data(struct ftp_session *se, ts_time_t now)
{
    struct ts_sock *conn;
    for (int i = 0; i < 16 && se->pasv && (conn = ts_tcp_accept(se->pasv, data_event, se)) != NULL; i++) {
        uint32_t raddr;
        ts_sock_name(conn, NULL, NULL, &raddr, NULL);
        if (raddr != se->raddr || se->data) {
            char ip[16];
            ftp_log(se->srv, "ftp: session %lu: data connection from %s refused", se->id, ts_ip_str(raddr, ip));
            ts_tcp_abort(conn, now);
            continue;
        }
        se->data = conn;
        se->data_up = true;
    }
    if (se->data && se->pasv) {          /* exactly one data connection per PASV */
        ts_tcp_close(se->pasv, now);
        se->pasv = NULL;
    }
}

static void data_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct ftp_session *se = arg;
    if (sock == se->pasv) {
        if (events & TS_EV_READABLE) accept_data(se, now);
        kick(se, now);
    } else if (sock == se->data) {
        if (events & TS_EV_CONNECTED) se->data_up = true;
        if (events & (TS_EV_ERROR | TS_EV_CLOSED)) {
            if (se->xfer == FTP_XFER_STOR && !(events & TS_EV_ERROR) && se->data_up) {
                pump_recv(se, now);     /* FIN and CLOSED together: the data is still to read */
            } else if (se->xfer != FTP_XFER_NONE) {
                finish(se, now, se->data_up ? 426 : 425, se->data_up ? "Connection closed; transfer aborted."
                                                                    : "Cannot open data connection.");
            } else {
                ftp_data_reset(se, now);
            }
        } else if (se->xfer == FTP_XFER_NONE || se->xfer == FTP_XFER_STOR) {
            kick(se, now);
        } else {
            if (se->data && (events & TS_EV_READABLE)) drain(se->data, now);
            kick(se, now);
        }
    }
    if (!se->dead && se->xfer == FTP_XFER_NONE) ftp_process_input(se, now);
    ftp_session_reap(se, now);
}
