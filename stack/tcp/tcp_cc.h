/*
 * The congestion controller interface. A controller decides how cwnd grows on new ACKs and what
 * ssthresh becomes on congestion; everything else (when recovery starts and ends, how much is
 * sent during it: RFC 6675 pipe with RFC 6937 PRR, loss detection by RACK) is the same for all
 * of them and lives in tcp_recovery.c. A third controller is one file with one of these structs
 * and a line in tcp_cc.c's table.
 *
 * A controller keeps its own variables in tcb->cc_priv (TCP_CC_PRIV_BYTES, zeroed before init);
 * it reads and writes t->cwnd and t->ssthresh directly. It never sends and never reads a clock:
 * `now` is handed in.
 */
#ifndef TS_TCP_CC_H
#define TS_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>
#include "tapstack/stack.h"
#include "tcp/tcp_rate.h"

#define TCP_CC_PRIV_BYTES 128

struct ts_tcb;
struct ts_tcp_info;

struct tcp_cc_ops {
    const char *name;                                   /* "cubic", "newreno", "bbr" */
    /* The connection starts (cwnd = IW and ssthresh = "infinite" are already set). */
    void (*init)(struct ts_tcb *t);
    /* New data acknowledged outside loss recovery: grow cwnd. rtt: this ACK's RTT sample in
     * microseconds, 0 when there is none (retransmitted data, Karn). */
    void (*on_ack)(struct ts_tcb *t, uint32_t acked, ts_time_t rtt, ts_time_t now);
    /* Loss detected (fast recovery starts): set t->ssthresh (RFC 5681 §3.2 step 2 or the
     * controller's own reduction). cwnd is the caller's business (PRR, RFC 6937). */
    void (*on_congestion)(struct ts_tcb *t, ts_time_t now);
    /* Recovery ended with everything up to RecoveryPoint acknowledged (may be NULL). */
    void (*on_exit_recovery)(struct ts_tcb *t, ts_time_t now);
    /* The first expiry of a retransmission timer for this flight: set t->ssthresh (cwnd becomes
     * the loss window, 1 SMSS, by the caller). */
    void (*on_rto)(struct ts_tcb *t, ts_time_t now);
    /* The controller's variables were just restored from the copy saved before the reduction
     * being undone (spurious retransmission); refresh whatever derives from them (may be NULL). */
    void (*undo)(struct ts_tcb *t, ts_time_t now);
    /* A model-based controller (BBR) sets cwnd itself on every ACK from a delivery rate sample
     * (tcp_rate.h), in recovery and after a timeout too: called with SACK on, after loss
     * detection, recovery and PRR have done their part and before anything is sent; the cwnd
     * it leaves is the one used. NULL for a controller that only grows and cuts the window. */
    void (*cong_control)(struct ts_tcb *t, const struct tcp_rate_sample *rs, ts_time_t now);
    /* The controller's own variables for netstat (may be NULL). */
    void (*get_info)(const struct ts_tcb *t, struct ts_tcp_info *in);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
extern const struct tcp_cc_ops tcp_cc_bbr;

/* CUBIC's functions (RFC 9438 §4.2), in segments and seconds: K for a new epoch, and W_cubic(t). */
double tcp_cubic_k(double w_max, double cwnd_epoch);
double tcp_cubic_w(double t_sec, double k, double w_max);

/* BBR's windowed maximum (BBR.max_bw over BBR_BW_WINDOW rounds), kept as the best samples of
 * the window's thirds (Kathleen Nichols' algorithm): O(1) per sample, no history. Zeroed: empty.
 * tcp_bbr_max_filter takes sample v at round and returns the window's maximum after it. */
struct bbr_max_filter {
    struct { uint32_t round; uint64_t v; } s[3];
};
uint64_t tcp_bbr_max_filter(struct bbr_max_filter *f, uint32_t window, uint32_t round, uint64_t v);

/* The controller with this name, NULL if none. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* "cubic, newreno, bbr": the names tcp_cc_find knows, for error messages. */
const char *tcp_cc_names(void);

/* The controller state saved before a reduction (for tcp_cc_undo). */
struct tcp_cc_prior {
    bool valid;
    uint32_t cwnd, ssthresh;
    uint8_t priv[TCP_CC_PRIV_BYTES];
};

struct ts_stack;

/*
 * Spurious-retransmission undo (RFC 5682 F-RTO, RFC 3522 Eifel, RFC 2883 D-SACK based): the
 * reduction made by the latest recovery or timeout was not needed. Restores cwnd and ssthresh to
 * at least what they were before it (the controller's own variables too), leaves recovery and
 * forgets the saved copy. Returns false (nothing changed) when no reduction is on record.
 * tcp_cc_save is called by the recovery and timeout code before every reduction; a detector
 * only calls tcp_cc_undo.
 */
void tcp_cc_save(struct ts_tcb *t);
bool tcp_cc_undo(struct ts_stack *s, struct ts_tcb *t, ts_time_t now);

/*
 * The end of an ACK's congestion work (SACK on; called by tcp_recovery.c before it sends):
 * takes the ACK's delivery rate sample (delivered: bytes it newly acknowledged or SACKed) and
 * hands it to the controller's cong_control, if it has one.
 */
void tcp_cc_control(struct ts_stack *s, struct ts_tcb *t, uint32_t delivered, ts_time_t now);

#endif
