/*
 * Read-only views of TCP connections and listeners, for netstat and trace.
 */
#ifndef TS_TCP_INFO_H
#define TS_TCP_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"
#include "tapstack/socket.h"

/* Per-connection timers, as deadlines (TS_TIME_NEVER when not running). */
enum ts_tcp_timer {
    TS_TCP_T_REXMT = 0,   /* retransmission (SYN, data, FIN) */
    TS_TCP_T_PERSIST,     /* zero-window probe */
    TS_TCP_T_DELACK,      /* delayed ACK */
    TS_TCP_T_KEEP,        /* keepalive */
    TS_TCP_T_2MSL,        /* TIME_WAIT, or the orphaned FIN_WAIT_2 limit */
    TS_TCP_NTIMERS
};

/* "rexmt", "persist", "delack", "keepalive", "2msl". */
const char *ts_tcp_timer_name(unsigned t);

#define TS_TCP_HIST 8

/* One state transition: when, from, to, and why ("rcv SYN,ACK", "timer 2MSL" ...). */
struct ts_tcp_hist {
    ts_time_t when;
    uint8_t old_state, new_state;   /* enum ts_tcp_state */
    const char *why;                /* static text */
};

struct ts_tcp_info {
    enum ts_tcp_state state;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t iss, irs;
    uint32_t snd_una, snd_nxt, snd_max, snd_wnd;
    uint32_t rcv_nxt, rcv_wnd;      /* rcv_wnd: the window last advertised, unscaled bytes */
    uint32_t cwnd, ssthresh;
    ts_time_t srtt, rttvar, rto;
    uint32_t retransmits;           /* segments retransmitted over the connection's life */
    uint32_t rxt_shift;             /* consecutive back-offs now */
    uint16_t mss;                   /* send MSS */
    uint8_t snd_wscale, rcv_wscale;
    uint32_t snd_queued, rcv_queued;   /* Send-Q (unacked + unsent), Recv-Q (unread) */
    uint32_t ooo_bytes;             /* out-of-order bytes held */
    const char *cc;                 /* congestion controller: "cubic", "newreno" */
    const char *cc_state;           /* "slow-start", "avoidance", "recovery" (RFC 6675/6937),
                                     * "loss" (after a timeout, until SND.UNA passes recover) */
    /* BBR's model (cc "bbr"; bbr_mode NULL otherwise): "startup", "drain", "probe_bw",
     * "probe_rtt"; BBR.max_bw and the pacing rate in bytes/s, BBR.min_rtt; gains in % */
    const char *bbr_mode;
    uint64_t bbr_max_bw, bbr_pacing_rate;
    ts_time_t bbr_min_rtt;
    uint16_t bbr_pacing_gain, bbr_cwnd_gain;
    ts_time_t rack_min_rtt;         /* RACK's minimum RTT (RFC 8985), 0 before a sample */
    ts_time_t rack_reo_wnd;         /* RACK's reordering window now */
    uint32_t pipe;                  /* RFC 6675 pipe: bytes thought in the network */
    uint32_t sacked_bytes, lost_bytes;  /* the scoreboard: SACKed, deemed lost (not resent) */
    bool ts_on;                     /* RFC 7323 timestamps negotiated */
    uint32_t ts_recent;             /* TS.Recent: the peer's TSval we echo (§4.3) */
    uint32_t undos;                 /* reductions undone: the retransmission was spurious */
    ts_time_t ts_recent_at;         /* when it was set (our own TSval is not shown: its offset
                                     * is a per-connection secret, §7.1) */
    ts_time_t timer[TS_TCP_NTIMERS];
    unsigned backlog, syn_queue, accept_queue;   /* listeners */
    unsigned hist_len;              /* valid entries in hist, oldest first */
    struct ts_tcp_hist hist[TS_TCP_HIST];
};

struct ts_stack;
struct ts_sock;

/* Fill *info for a TCP socket (connection or listener). */
void ts_tcp_get_info(const struct ts_sock *sock, struct ts_tcp_info *info);

/* Visit every TCP connection and listener (including ones whose application is gone, such as
 * TIME_WAIT). fn must not change the stack; return false to stop. */
void ts_tcp_foreach(const struct ts_stack *s,
                    bool (*fn)(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info),
                    void *arg);

#endif
