/*
 * TCP internals shared by the files of stack/tcp: the connection block (TCB, RFC 9293 §3.3.1),
 * the module state, and the functions the files call on each other.
 */
#ifndef TS_TCP_IMPL_H
#define TS_TCP_IMPL_H

#include "core/modules.h"
#include "core/sock.h"
#include "core/rand.h"
#include "wire/tcp.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_ring.h"
#include "tcp/tcp_reass.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_info.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_rack.h"

#define TS_TCP_BUF_DEFAULT (64u * 1024)
#define TS_TCP_BUF_MIN (4u * 1024)
#define TS_TCP_BUF_MAX (16u * 1024 * 1024)
#define TS_TCP_BUF_AUTO_MAX (4u * 1024 * 1024)      /* buffers grow to this when they limit throughput */
#define TS_TCP_BUF_GROWN_BUDGET (128u * 1024 * 1024) /* all growth beyond the defaults, stack-wide */
#define TCP_RING_SPARE_MAX 16u                      /* spare ring storages kept per stack (tcp_ring_spare.c) */
#define TCP_RING_SPARE_CAP (128u * 1024)            /* only rings up to this size are kept */
#define TS_TCP_MSS_MIN 48              /* floor for a peer's MSS option */
#define TS_TCP_MSS_DEFAULT 536         /* RFC 9293 §3.7.1 when the option is absent */
#define TS_TCP_DELACK TS_MS(40)        /* delayed ACK (<= 200 ms, RFC 9293 §3.8.6.3) */
#define TS_TCP_SYN_RETRIES 7     /* R2 for a SYN: gives up after 183 s, at least 3 minutes (RFC 9293 MUST-23) */
#define TS_TCP_DATA_RETRIES 15
#define TS_TCP_FIN_WAIT_2_ORPHAN TS_SEC(60)
#define TS_TCP_ORPHAN_RETRIES 8        /* retransmissions and zero-window probes of an orphan (tcp_orphan.c) */
#define TS_TCP_PERSIST_MIN TS_MS(200)
#define TS_TCP_PERSIST_MAX TS_SEC(60)
#define TS_SACK_RECENT 16            /* receiver SACK recency list (the newest held ranges) */
#define TS_TCP_CHALLENGE_PER_SEC 10    /* RFC 5961 §7 challenge ACK limit, per connection */

/* tcb->flags */
enum {
    TF_ACKNOW      = 1u << 0,   /* send an ACK at the next tcp_output */
    TF_NODELAY     = 1u << 1,   /* Nagle off */
    TF_SHUT_WR     = 1u << 2,   /* the application will send no more: FIN after the data */
    TF_FIN_RCVD    = 1u << 3,   /* the peer's FIN has been consumed (end of stream) */
    TF_FIN_OOO     = 1u << 4,   /* a FIN arrived out of order at fin_seq */
    TF_BLOCKED     = 1u << 5,   /* on the "waiting for frames" list */
    TF_SND_FULL    = 1u << 6,   /* send ring filled up: raise WRITABLE when space opens */
    TF_WSCALE      = 1u << 7,   /* window scaling agreed */
    TF_PASSIVE     = 1u << 8,   /* born from a listener */
    TF_FORCE       = 1u << 9,   /* persist timer: send despite Nagle / SWS */
    TF_RTT_TIMING  = 1u << 10,  /* rtt_seq is being timed */
    TF_IN_RECOVERY = 1u << 11,  /* NewReno fast recovery */
    TF_KEEPALIVE   = 1u << 12,
    TF_DEAD        = 1u << 13,  /* on the reap list */
    TF_EOF_TOLD    = 1u << 14,  /* READABLE for end of stream raised */
    TF_BUF_FIXED   = 1u << 15,  /* the application chose the buffer sizes: no automatic growth */
    TF_SACK        = 1u << 16,  /* SACK permitted both ways (RFC 2018) */
    TF_TLP_ARMED   = 1u << 17,  /* the REXMT deadline is a tail loss probe timeout (RFC 8985 §7) */
    TF_RACK_REO    = 1u << 18,  /* the REXMT deadline is RACK's reordering timer (RFC 8985 §6.2) */
    TF_RTO_LOSS    = 1u << 19,  /* after a timeout, until SND.UNA passes recover: no fast recovery */
    TF_FIN_AGAIN   = 1u << 20,  /* entered CLOSING: the ACK of the peer's FIN repeats ours */
    TF_RECOVER_PULL = 1u << 21, /* pull mode: RecoveryPoint is SND.MAX after the next pull */
    TF_FREEZE      = 1u << 31,  /* on the reap list to become a TIME_WAIT record (tcp_tw.c) */
};

struct ts_tcp;

/* One reduction that may prove spurious (tcp_undo.c). */
struct tcp_undo {
    bool active, rto;
    bool eifel;                     /* RFC 3522: waiting for the first ACK of the retransmission */
    uint8_t frto;                   /* RFC 5682 step */
    uint32_t marker, high;          /* SND.UNA and SND.MAX when it started */
    uint32_t rxt_base, dsacked;     /* t->retransmits then; D-SACKs for [marker, high) since */
    uint32_t rxt_tsval;             /* TSval of the first retransmission */
};

struct ts_tcb {
    struct ts_sock sock;            /* first: the stack and applications see this */
    struct ts_stack *stack;
    enum ts_tcp_state state;
    uint32_t flags;

    /* send sequence variables (RFC 9293 §3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t snd_buf_seq;           /* sequence number of the send ring's byte 0 */
    /* receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge of the window last advertised */
    uint32_t fin_seq;               /* with TF_FIN_OOO */
    uint32_t rcv_unacked;           /* bytes received since the last ACK we sent */
    uint32_t rcv_unacked_segs;      /* in-order data segments received since then */
    /* receiver SACK (tcp_sack_rcv.c): out-of-order segment starts, newest first, one per held
     * range; and the D-SACK block for the next ACK (RFC 2883) */
    uint32_t sack_recent[TS_SACK_RECENT];
    uint8_t sack_nrecent;
    uint8_t sack_recent_n;          /* reass.n when sack_recent was last brought up to date */
    bool dsack_pending;
    uint32_t dsack_l, dsack_r;
    struct tcp_ackq_slot {          /* the last two pure ACKs queued, while they may be withdrawn (tcp_ack_merge.c) */
        struct ts_frame *frame;     /* NULL: none */
        uint64_t pos;               /* its place in the transmit FIFO */
        uint32_t ack;
        bool dsack;
        uint8_t nsack;
        uint32_t sack[TS_TCP_SACK_MAX][2];
    } ackq[2];
    uint16_t mss;                   /* send MSS */
    uint8_t snd_wscale, rcv_wscale;

    /* congestion control: the controller (tcp_cc.h) and its variables; loss recovery */
    uint32_t cwnd, ssthresh, recover, bytes_acked;
    const struct tcp_cc_ops *cc;
    _Alignas(8) uint8_t cc_priv[TCP_CC_PRIV_BYTES];
    struct tcp_cc_prior *cc_prior;  /* before the last reduction, for undo: allocated by the first
                                     * reduction (tcp_cc_save), so a connection that never cut its
                                     * window, as an idle one, carries 8 bytes for it, not 140 */
    struct tcp_undo undo;           /* spurious retransmission detectors (tcp_undo.c) */
    uint32_t undos;                 /* reductions undone over the connection's life */
    uint32_t prr_delivered, prr_out, recover_fs;   /* RFC 6937 */
    struct ts_reass sacked;         /* SACKed ranges, offsets from SND.UNA (go-back-N skips them) */
    struct tcp_segs segs;           /* the segments in flight: the SACK scoreboard (tcp_segs.c) */
    struct tcp_rack rack;           /* RACK-TLP (tcp_rack.c) */
    struct tcp_rate rate;           /* delivery rate estimation (tcp_rate.c) */
    ts_time_t rack_reo_at;          /* RACK's reordering timer, TS_TIME_NEVER when not needed */
    uint8_t dupacks;

    /* timestamps (RFC 7323, tcp_ts.c) */
    bool ts_ok;                     /* negotiated: every segment carries TSopt */
    uint32_t ts_offset;             /* our TSval = ms of stack time + ts_offset */
    uint32_t ts_recent, last_ack_sent;
    ts_time_t ts_recent_age;        /* when TS.Recent was set (§5.5) */

    /* retransmission (RFC 6298) */
    struct ts_rtt rtt;
    uint32_t rtt_seq;
    ts_time_t rtt_start;
    uint8_t rxt_shift, persist_shift, keep_probes, keep_count;
    uint32_t retransmits;
    ts_time_t keep_idle, keep_intvl, last_rcv;

    /* RFC 5961 challenge ACK rate limit */
    ts_time_t chal_start;
    uint8_t chal_count;

    /* timers: deadlines, and this TCB's place in the module's min-heap */
    ts_time_t timer[TS_TCP_NTIMERS];
    ts_time_t deadline;
    unsigned heap_idx;

    struct ts_ring snd, rcv;
    struct ts_reass reass;
    ts_tcp_reader reader;           /* zero-copy receive (ts_tcp_set_reader), or NULL */
    void *reader_arg;

    /* listener side */
    struct ts_tcb *listener;        /* the listener while in its SYN or accept queue */
    struct ts_tcb *q_next;          /* accept queue link */
    struct ts_tcb *acc_head, *acc_tail;
    uint16_t backlog, syn_qlen, acc_qlen;
    uint32_t buf_snd, buf_rcv;      /* ring sizes to use */
    uint32_t grown;                 /* bytes the rings grew beyond buf_snd + buf_rcv */
    ts_time_t tune_start;           /* receive buffer growth: bytes read since tune_start */
    uint32_t tune_bytes;

    /* module lists */
    struct ts_tcb *all_prev, *all_next;
    struct ts_tcb *blk_next, *reap_next;
    struct ts_tcb *orph_prev, *orph_next;   /* the orphan list, oldest first (tcp_orphan.c) */
    bool orphan;

    /* transition history (netstat) */
    uint8_t hist_pos, hist_len;
    struct ts_tcp_hist hist[TS_TCP_HIST];
};

struct ts_tcp {
    struct ts_siphash_key isn_key, cookie_key;
    struct ts_tcb **heap;           /* min-heap on tcb->deadline */
    unsigned heap_len, heap_cap;
    struct ts_tcb *all;             /* every TCB, listeners included */
    struct ts_tcb *blk_head, *blk_tail;   /* waiting for frames */
    bool pulling;                   /* ts_tcp_output_resume is running (pull mode: data may go) */
    struct ts_tcb *reap;            /* closed and unowned: free at the end of the call */
    unsigned nconns;
    struct ts_tcb *orph_head, *orph_tail; /* closed by the application, still carried (tcp_orphan.c) */
    unsigned norphans;
    uint64_t grown_total;           /* sum of tcb->grown */
    const struct tcp_cc_ops *cc_default;  /* the stack's congestion controller (cfg.tcp_cc) */
    struct tcp_tw *tw_head, *tw_tail;     /* TIME_WAIT records, earliest deadline first (tcp_tw.c) */
    unsigned ntw;
    uint64_t store_ids;             /* identities given to send-buffer storage (ts_tcp_send_store) */
    struct { uint8_t *buf; uint32_t cap; } spare[TCP_RING_SPARE_MAX];   /* tcp_ring_spare.c */
    unsigned nspare;
};

/* tcp_ring_spare.c: ring storage given back by one connection and taken by the next, so that a
 * request/response does not map and unmap (ts_malloc_policy) and fault in a 64 KB ring each way */
void tcp_ring_take(struct ts_stack *s, struct ts_ring *r);
void tcp_ring_put(struct ts_stack *s, struct ts_ring *r);
/* Free every spare; returns the bytes freed (ts_stack_shrink, teardown). */
size_t tcp_ring_spare_free(struct ts_stack *s);

static inline struct ts_tcb *ts_tcb_of(struct ts_sock *sock) { return (struct ts_tcb *)sock; }
static inline const struct ts_tcb *ts_tcb_of_c(const struct ts_sock *sock)
{
    return (const struct ts_tcb *)sock;
}
static inline bool tcp_app_gone(const struct ts_tcb *t) { return t->sock.flags & TS_SOCK_F_APP_GONE; }
static inline bool tcp_synchronized(enum ts_tcp_state st) { return st >= TS_TCP_ESTABLISHED; }

/* tcp_orphan.c: connections the application closed, bounded in number and life */
/* t was just closed by its application: join the orphans (unless CLOSED or TIME_WAIT); past the
 * limit the oldest orphan is reset. */
void tcp_orphan_add(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* t reached CLOSED or TIME_WAIT: off the orphan list (no-op if it is not on it). */
void tcp_orphan_gone(struct ts_stack *s, struct ts_tcb *t);
/* Send a RST if t is synchronized and close it (an orphan's limit ran out). */
void tcp_orphan_reset(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const char *why);

/* tcp.c: the TCB's life */
struct ts_tcb *tcp_tcb_new(struct ts_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                           uint16_t rport, const struct ts_tcb *parent);
void tcp_set_state(struct ts_stack *s, struct ts_tcb *t, enum ts_tcp_state st, const char *why,
                   ts_time_t now);
void tcp_notify(struct ts_stack *s, struct ts_tcb *t, unsigned events);
void tcp_drop_conn(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, int err, const char *why);
void tcp_maybe_reap(struct ts_stack *s, struct ts_tcb *t);
void tcp_reap(struct ts_stack *s);
/* Free a TCB now: out of every table and list (tcp_reap's work, for tcp_tw.c). */
void tcp_tcb_free(struct ts_stack *s, struct ts_tcb *t);

/* tcp_tw.c: TIME_WAIT as a compact record */
struct tcp_tw;
struct ts_tcp_info;
size_t tcp_tw_size(void);
/* Queue t (TIME_WAIT, no handle) to become a record at the next tcp_reap. */
void tcp_tw_freeze_later(struct ts_stack *s, struct ts_tcb *t);
/* Replace t by a record and free it; false (t untouched) unless only TIME_WAIT keeps it. */
bool tcp_tw_freeze(struct ts_stack *s, struct ts_tcb *t);
/* A segment met record n: a TCB in TIME_WAIT again, exactly as it was (NULL if out of memory;
 * the record then stays); it is frozen again at the end of the call. */
struct ts_tcb *tcp_tw_thaw(struct ts_stack *s, struct ts_demux_node *n);
ts_time_t tcp_tw_poll_at(const struct ts_tcp *tcp);
/* Records whose 2*MSL is over are deleted (traced as TIME_WAIT -> CLOSED, "timer 2MSL"). */
void tcp_tw_poll(struct ts_stack *s, ts_time_t now);
/* Visit the records as ts_tcp_foreach does; false when fn stopped. */
bool tcp_tw_foreach(const struct ts_stack *s,
                    bool (*fn)(void *arg, const struct ts_sock *sock, const struct ts_tcp_info *info), void *arg);
void tcp_tw_free_all(struct ts_stack *s);
/* A RST from every record, and the records deleted (ts_stack_shutdown). */
void tcp_tw_reset_all(struct ts_stack *s, ts_time_t now);
void tcp_trace_cwnd(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* tcp_pmtu.c: an ICMP Packet Too Big (next-hop mtu, 0 if unknown) about this connection's
 * datagram of quoted_len bytes: checks it (RFC 5927) and lowers the send MSS (RFC 1191). */
void tcp_pmtu_ptb(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint16_t mtu, uint16_t quoted_len);
uint16_t tcp_our_mss(const struct ts_stack *s);

/* Give back the storage of an empty ring that has not grown (an idle connection then holds no
 * buffer: issue 19); the receive ring only when no out-of-order data waits in it. */
void tcp_rings_trim(struct ts_tcb *t);

/* Run tcp_output for t when the driver next asks for a frame (ts_stack_transmit), once however
 * often it is asked before: for window updates while the application reads in small pieces. */
void tcp_output_later(struct ts_stack *s, struct ts_tcb *t);

/* tcp_tso.c: the largest data segment to build now: the MSS, or with TSO (and not retransmitting)
 * the largest multiple of it that fits a 64 KB IPv4 packet. */
uint32_t tcp_tso_max(const struct ts_stack *s, const struct ts_tcb *t);

/* Checksum the len-byte segment at f->data + TS_L4_OFFSET: in full, or with TS_OFFLOAD_CSUM left
 * partial for the wire (f->info says so); gso_size > 0 marks it a super-segment split at it. */
/* With ts_stack_set_tx_gather: let segment f carry [seq, seq+len) of the send buffer by
 * reference instead of a copy. False (copy it) when off, not a super-segment, or it wraps. */
bool tcp_tso_gather(struct ts_stack *s, struct ts_tcb *t, struct ts_frame *f, uint32_t seq, uint32_t len);
void tcp_offload_csum(struct ts_stack *s, struct ts_frame *f, size_t len, uint16_t gso_size,
                      uint32_t src, uint32_t dst);
uint8_t tcp_wscale_for(const struct ts_tcb *t);

/* Round the receive buffer up to a whole number of t->mss segments, as BSD's tcp_mss() does
 * (65,536 bytes become 65,700 with an MSS of 1,460), while it holds nothing; called once the
 * MSS is known (the SYN or the cookie ACK). Keeps the buffer when memory is short. */
void tcp_round_rcvbuf(struct ts_tcb *t);
void tcp_grow_rcv(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t n);
void tcp_grow_rcv_ooo(struct ts_stack *s, struct ts_tcb *t);
bool tcp_grow_snd(struct ts_stack *s, struct ts_tcb *t);

/* tcp_timer.c */
void tcp_timer_set(struct ts_stack *s, struct ts_tcb *t, unsigned which, ts_time_t when);
static inline void tcp_timer_stop(struct ts_stack *s, struct ts_tcb *t, unsigned which)
{
    tcp_timer_set(s, t, which, TS_TIME_NEVER);
}
void tcp_timers_clear(struct ts_stack *s, struct ts_tcb *t);
void tcp_heap_remove(struct ts_tcp *tcp, struct ts_tcb *t);
void tcp_rexmt_restart(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
void tcp_rexmt_arm(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
void tcp_rack_timer_apply(struct ts_stack *s, struct ts_tcb *t);

/* tcp_output.c */
void tcp_output(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
void tcp_retransmit_first(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
int tcp_retransmit_range(struct ts_stack *s, struct ts_tcb *t, uint32_t seq, uint32_t len, ts_time_t now);
void tcp_send_probe(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
/* A RST for a connection we end on our own (an abort, an orphan's limit), not a reply to a
 * segment: not sent while the frame pool is down to the reserve kept for replies (a timeout
 * storm of thousands of ghosts' RSTs emptied it and real clients' SYN,ACKs were dropped);
 * counted in rst_own_not_sent. The peer, likely gone, learns of it by its own RST exchange. */
void tcp_send_rst_own(struct ts_stack *s, ts_time_t now, const struct ts_tcb *t);
void tcp_send_rst(struct ts_stack *s, ts_time_t now, uint32_t laddr, uint16_t lport, uint32_t raddr,
                  uint16_t rport, uint32_t seq, uint32_t ack, bool with_ack);
void tcp_send_synack_cookie(struct ts_stack *s, ts_time_t now, const struct ts_ipv4_info *ip,
                            const struct ts_tcp_hdr *h, uint32_t iss, uint16_t wnd,
                            const struct ts_tcp_opts *peer, const struct ts_tcb *l);
uint32_t tcp_rcv_window(const struct ts_tcb *t);
bool tcp_window_update_due(const struct ts_tcb *t);

/* tcp_cc.c: the controller behind tcp_cc_ops */
void tcp_cc_init(struct ts_tcb *t);
void tcp_cc_select(struct ts_tcb *t, const struct tcp_cc_ops *cc);
uint32_t tcp_flight(const struct ts_tcb *t);

/* tcp_recovery.c: fast retransmit and loss recovery (RFC 6675 with PRR, RFC 6582 without SACK) */
void tcp_cc_ack(struct ts_stack *s, struct ts_tcb *t, uint32_t acked, uint32_t delivered,
                ts_time_t rtt, ts_time_t now);
void tcp_cc_dupack(struct ts_stack *s, struct ts_tcb *t, uint32_t delivered, ts_time_t now);
void tcp_cc_timeout(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
void tcp_rack_timer(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);

/* tcp_prr.c: Proportional Rate Reduction (RFC 6937) */
void tcp_prr_start(struct ts_tcb *t);
void tcp_prr_ack(struct ts_tcb *t, uint32_t delivered, uint32_t pipe);
static inline void tcp_prr_sent(struct ts_tcb *t, uint32_t len)
{
    if (t->flags & TF_IN_RECOVERY) t->prr_out += len;
}

/* tcp_sack.c */
bool tcp_sack_update(struct ts_tcb *t, const struct ts_tcp_opts *o, uint32_t ack, ts_time_t now);
void tcp_sack_advance(struct ts_tcb *t, uint32_t n);
void tcp_sack_clear(struct ts_tcb *t);
uint32_t tcp_sack_pipe(const struct ts_tcb *t);
uint32_t tcp_sack_skip(struct ts_tcb *t);

/* tcp_ack_merge.c */
struct ts_frame;
void tcp_ack_merge(struct ts_stack *s, struct ts_tcb *t, struct ts_frame *f, uint32_t ack,
                   const struct ts_tcp_opts *o, bool dsack);
void tcp_ack_merge_break(struct ts_tcb *t);

/* tcp_sack_rcv.c */
void tcp_sack_rcv_note(struct ts_tcb *t, uint32_t seq);
void tcp_dsack_note(struct ts_tcb *t, uint32_t seq, uint32_t len);
void tcp_sack_rcv_blocks(const struct ts_tcb *t, struct ts_tcp_opts *o, unsigned max);

/* tcp_ts.c */
uint32_t tcp_ts_offset(const struct ts_tcp *tcp, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport);
uint32_t tcp_ts_now(const struct ts_tcb *t, ts_time_t now);
void tcp_ts_syn(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_opts *o);
bool tcp_ts_paws_reject(const struct ts_tcb *t, ts_time_t now, uint8_t flags, const struct ts_tcp_opts *o);
void tcp_ts_update_recent(struct ts_tcb *t, ts_time_t now, uint32_t seq, const struct ts_tcp_opts *o);
bool tcp_ts_rtt(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_opts *o,
                uint32_t flight);
uint32_t tcp_ts_cookie_val(uint32_t clock, const struct ts_tcp_opts *peer);
void tcp_ts_cookie_opts(struct ts_tcb *t, uint32_t ecr);
void tcp_ts_fill(const struct ts_stack *s, const struct ts_tcb *t, ts_time_t now, uint8_t flags,
                 struct ts_tcp_opts *o);

/* tcp_undo.c */
void tcp_undo_start(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, bool rto);
void tcp_undo_ack(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, uint32_t una0,
                  const struct ts_tcp_opts *o);

/* tcp_isn.c */
uint32_t tcp_isn(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                 uint32_t raddr, uint16_t rport);
uint32_t tcp_cookie_make(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                         uint32_t raddr, uint16_t rport, uint32_t peer_isn, uint16_t mss);
/* 0 when the cookie is not valid, else the MSS it encoded. */
uint16_t tcp_cookie_check(const struct ts_tcp *tcp, ts_time_t now, uint32_t laddr, uint16_t lport,
                          uint32_t raddr, uint16_t rport, uint32_t peer_isn, uint32_t cookie);

/* tcp_input.c */
void tcp_conn_input(struct ts_stack *s, struct ts_tcb *t, ts_time_t now, const struct ts_tcp_hdr *h,
                    const uint8_t *opt, size_t optlen, const uint8_t *data, uint32_t dlen,
                    const uint8_t *raw, size_t raw_len);
void tcp_apply_syn_opts(struct ts_stack *s, struct ts_tcb *t, const struct ts_tcp_opts *o);

/* tcp_listen.c */
void tcp_listen_input(struct ts_stack *s, struct ts_tcb *l, ts_time_t now,
                      const struct ts_ipv4_info *ip, const struct ts_tcp_hdr *h, const uint8_t *opt,
                      size_t optlen, const uint8_t *data, uint32_t dlen, const uint8_t *raw,
                      size_t raw_len);
void tcp_child_established(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);
void tcp_child_unlink(struct ts_tcb *t);
void tcp_listener_close(struct ts_stack *s, struct ts_tcb *l, ts_time_t now);

#endif
