/*
 * pktscript: the runner's state, shared by pktscript.c (clock, segments) and pktscript_calls.c
 * (socket calls). Internal to tests/lib.
 */
#ifndef TESTS_LIB_PKTSCRIPT_RUN_H
#define TESTS_LIB_PKTSCRIPT_RUN_H

#include "pktscript.h"
#include "tapstack/socket.h"
#include "tapstack/stack.h"

#define FRM_BIG_FRAME (65535 + 14)   /* inbound segments may be larger than the MTU (GSO) */
#define PKS_FD_MAX 64
#define BASE_US TS_SEC(1)       /* script time 0 is this virtual time */
#define OUTQ_MAX 256
#define TRACED_MAX 16
#define STREAM_MAX (16u << 20)
#define PEER_IP 0x0a000001u     /* 10.0.0.1: the script */
#define STACK_IP 0x0a000002u    /* 10.0.0.2: the stack (ts_config_default) */

struct outseg {
    uint8_t *buf;
    size_t len;
    ts_time_t at;
};

struct traced {
    const struct ts_sock *sock;
    uint32_t laddr, raddr;     /* the socket pair: a TIME_WAIT connection that became a compact */
    uint16_t lport, rport;     /* record (tcp_tw.c) reports under another pointer */
    enum ts_tcp_state state;
    unsigned seq;              /* order of the last change */
};

/* A packetdrill descriptor: options wait here until the socket exists (listen/connect). */
struct pkr_fd {
    bool used, nonblock, nodelay, linger0, keepalive;
    long keep_idle, keep_intvl, keep_cnt;   /* seconds, count; 0: the stack's default */
    size_t sndbuf, rcvbuf;
    char cc[16];                  /* TCP_CONGESTION, "" for the stack's */
    struct ts_sock *sock;         /* NULL until listen/connect/accept */
    bool listener;
};

struct run {
    const struct pks_script *sc;
    struct ts_stack *st;
    ts_time_t now;
    int64_t prev_us;               /* script time of the previous event */
    const struct pks_event *ev;    /* the event being played */
    char *msg;
    size_t cap;
    bool failed;
    FILE *log;
    struct frm_addr peer, me;      /* me = the stack under test */
    bool port_known, isn_known, ts_known;
    uint32_t stack_isn, peer_isn;
    uint32_t stack_ts;             /* the stack's first TSval: TS val/ecr in scripts are relative to it */
    uint16_t ip_id;
    struct ts_sock *listener, *conn;
    const struct ts_sock *last_conn;
    struct traced tr[TRACED_MAX];
    unsigned tr_seq;
    struct outseg q[OUTQ_MAX];
    size_t qh, qn;
    uint8_t *wstream;              /* bytes the script wrote into the stack */
    size_t wlen, wcap;
    uint32_t rpos;                 /* bytes the script read from the stack */
    struct pkr_fd fd[PKS_FD_MAX];
    int last_fd;                   /* the descriptor of the latest call (for %{ tcpi_state }%) */
    char *skip;                    /* the script needs something we lack: SKIP, not FAIL */
    uint8_t frame[FRM_BIG_FRAME];
    uint8_t data[FRM_BIG_FRAME];
};


const char *pkr_st_name(enum ts_tcp_state s);
double pkr_secs(ts_time_t at);
void pkr_logf_(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the first failure: "name:line: text". */
void pkr_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Deliver socket events and collect what the stack sends now. */
void pkr_settle(struct run *r);
void pkr_on_event(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now);
void pkr_describe_out(struct run *r, const struct outseg *o, char *buf, size_t cap);
/* Play one call (pktscript_calls.c). */
void pkr_do_call(struct run *r, const struct pks_call *k);

#endif
