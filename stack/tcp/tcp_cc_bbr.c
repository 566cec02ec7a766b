/*
 * BBR congestion control (draft-cardwell-iccrg-bbr-congestion-control, its first version as
 * Linux runs it by default), read beside the draft. BBR does not take loss as the signal of
 * congestion: it builds a model of the path from the delivery rate samples (tcp_rate.c),
 *   BBR.max_bw   the bottleneck bandwidth: the highest delivery rate of the last 10 round trips
 *   BBR.min_rtt  the round-trip propagation time: the lowest RTT of the last 10 seconds
 * and keeps cwnd = cwnd_gain * BDP (BDP = max_bw * min_rtt). Its states:
 *   Startup   cwnd grows by what is delivered (doubling each round) until max_bw stops growing
 *             by 25 % for three rounds;
 *   Drain     the queue Startup built is let out: cwnd = 1 * BDP until the flight is down to it;
 *   ProbeBW   cwnd = 2 * BDP, with the gain cycle 5/4, 3/4, 1 x 6 (one min_rtt each) to probe
 *             for more bandwidth and give back the queue that made;
 *   ProbeRTT  when min_rtt has not been seen again for 10 s: cwnd = 4 segments for 200 ms and
 *             a round, to measure it again.
 * Loss: what an ACK marks lost comes off cwnd; the first round of a recovery sends one segment
 * per segment delivered (packet conservation), then cwnd grows back towards the model; when recovery ends cwnd is at least what
 * it was before. A random loss thus costs one retransmission, not half the window as it does
 * for CUBIC and NewReno.
 *
 * Pacing: tapstack does not pace; the pacing rate (pacing_gain * max_bw) is computed and shown,
 * and the gains act on cwnd instead (Drain's 1/2.885 as cwnd = BDP until drained). Over a TAP the
 * bottleneck is the peer's CPU, and ACK clocking spreads the flight out (docs/tcp.md).
 *
 * Without SACK there are no segment records and no rate samples: BBR then grows and cuts the
 * window as NewReno does (RFC 5681).
 * Windows in bytes, time in microseconds, gains in 1/256 (BBR_UNIT).
 */
#include <string.h>
#include "tcp/tcp_impl.h"

#define BBR_UNIT 256
#define BBR_HIGH_GAIN 739                /* 2/ln(2) = 2.885: Startup doubles each round */
#define BBR_DRAIN_GAIN 89                /* 1/2.885 */
#define BBR_CWND_GAIN 512                /* 2: ProbeBW's cwnd */
#define BBR_FULL_BW_THRESH 320           /* 1.25: max_bw still growing */
#define BBR_FULL_BW_COUNT 3              /* rounds without that growth: the pipe is full */
#define BBR_BW_WINDOW 10                 /* BBR.max_bw filter length, in rounds */
#define BBR_MIN_RTT_WINDOW TS_SEC(10)    /* BBR.min_rtt filter length */
#define BBR_PROBE_RTT_TIME TS_MS(200)    /* ProbeRTTDuration */
#define BBR_MIN_CWND_SEGS 4              /* BBRMinPipeCwnd */
#define BBR_CYCLE_LEN 8

static const uint16_t bbr_cycle_gain[BBR_CYCLE_LEN] = { 320, 192, 256, 256, 256, 256, 256, 256 };

enum bbr_mode { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

struct bbr {
    uint8_t mode;                    /* enum bbr_mode */
    uint8_t full_bw_count, cycle_idx;
    bool full_bw_reached, round_start, packet_conservation;
    bool prev_recovery, prev_loss;   /* TF_IN_RECOVERY / TF_RTO_LOSS at the last ACK */
    bool probe_rtt_round_done;
    uint16_t pacing_gain, cwnd_gain;
    uint32_t round_count;            /* BBR.round_count */
    uint32_t cwnd;                   /* BBR's own cwnd (0: take t->cwnd at the next ACK) */
    uint32_t prior_cwnd;             /* before a recovery, timeout or ProbeRTT */
    uint64_t next_round_delivered;   /* BBR.next_round_delivered */
    uint64_t full_bw;                /* BBR.full_bw, bytes/s */
    struct bbr_max_filter max_bw;    /* bytes/s */
    ts_time_t min_rtt, min_rtt_stamp;
    ts_time_t cycle_stamp, probe_rtt_done_stamp;
};

_Static_assert(sizeof(struct bbr) <= TCP_CC_PRIV_BYTES, "BBR's variables fit in cc_priv");

static struct bbr *bbr_of(struct ts_tcb *t) { return (struct bbr *)(void *)t->cc_priv; }
static const struct bbr *bbr_of_c(const struct ts_tcb *t) { return (const struct bbr *)(const void *)t->cc_priv; }

uint64_t tcp_bbr_max_filter(struct bbr_max_filter *f, uint32_t window, uint32_t round, uint64_t v)
{
    if (v >= f->s[0].v || round - f->s[2].round > window) {   /* a new maximum, or all expired */
        f->s[0].round = f->s[1].round = f->s[2].round = round;
        f->s[0].v = f->s[1].v = f->s[2].v = v;
        return v;
    }
    if (v >= f->s[1].v) {
        f->s[1].round = f->s[2].round = round;
        f->s[1].v = f->s[2].v = v;
    } else if (v >= f->s[2].v) {
        f->s[2].round = round;
        f->s[2].v = v;
    }
    uint32_t age = round - f->s[0].round;
    if (age > window) {                                        /* the best has left the window */
        f->s[0] = f->s[1];
        f->s[1] = f->s[2];
        f->s[2].round = round; f->s[2].v = v;
        if (round - f->s[0].round > window) {
            f->s[0] = f->s[1];
            f->s[1] = f->s[2];
        }
    } else if (f->s[1].round == f->s[0].round && age > window / 4) {
        f->s[1].round = f->s[2].round = round;                 /* a second best for the window's rest */
        f->s[1].v = f->s[2].v = v;
    } else if (f->s[2].round == f->s[1].round && age > window / 2) {
        f->s[2].round = round;
        f->s[2].v = v;
    }
    return f->s[0].v;
}

static uint64_t max_bw(const struct bbr *b) { return b->max_bw.s[0].v; }

/* The initial window (RFC 6928), BBR's cwnd before its model has a BDP. */
static uint32_t initial_cwnd(const struct ts_tcb *t)
{
    uint32_t a = 10u * t->mss, c = 2u * t->mss > 14600 ? 2u * t->mss : 14600;
    return a < c ? a : c;
}

/* gain * BDP in bytes (BBRInflight); the initial window while the model has no BDP. */
static uint32_t bdp(const struct ts_tcb *t, const struct bbr *b, uint32_t gain)
{
    if (!b->min_rtt || !max_bw(b)) return (uint32_t)((uint64_t)initial_cwnd(t) * gain / BBR_UNIT);
    uint64_t v = max_bw(b) * b->min_rtt / TS_SEC(1) * gain / BBR_UNIT;
    return v > TS_TCP_BUF_MAX * 2u ? TS_TCP_BUF_MAX * 2u : (uint32_t)v;
}

/* BBR.send_quantum (draft "BBRSetSendQuantum"): what goes out at once, 1 ms at the pacing
 * rate, between 2 segments and 64 KB. */
static uint32_t send_quantum(const struct ts_tcb *t, const struct bbr *b)
{
    uint64_t q = max_bw(b) * b->pacing_gain / BBR_UNIT / 1000u, lo = 2u * t->mss;
    if (q > 65536) q = 65536;
    return q < lo ? (uint32_t)lo : (uint32_t)q;
}

/* The cwnd the model asks for at a gain (draft "BBRInflight" with "BBRUpdateOffloadBudget"):
 * gain * BDP plus three send quanta, so that delayed and stretched ACKs and bursts of a quantum
 * do not starve the flight below one BDP between two ACKs. */
static uint32_t target_cwnd(const struct ts_tcb *t, const struct bbr *b, uint32_t gain)
{
    return bdp(t, b, gain) + 3u * send_quantum(t, b);
}

static void set_mode(struct bbr *b, enum bbr_mode m, uint16_t pacing_gain, uint16_t cwnd_gain)
{
    b->mode = (uint8_t)m;
    b->pacing_gain = pacing_gain;
    b->cwnd_gain = cwnd_gain;
}

static void enter_startup(struct bbr *b) { set_mode(b, BBR_STARTUP, BBR_HIGH_GAIN, BBR_HIGH_GAIN); }

/* ProbeBW starts at a phase chosen from the ISS, never the 3/4 one (draft: a random phase,
 * so that flows sharing a bottleneck do not probe together). */
static void enter_probe_bw(struct ts_tcb *t, struct bbr *b, ts_time_t now)
{
    set_mode(b, BBR_PROBE_BW, BBR_UNIT, BBR_CWND_GAIN);
    b->cycle_idx = (uint8_t)(BBR_CYCLE_LEN - 1 - t->iss % (BBR_CYCLE_LEN - 1));
    b->cycle_stamp = now;
    b->pacing_gain = bbr_cycle_gain[b->cycle_idx];
}

static void bbr_init(struct ts_tcb *t)
{
    struct bbr *b = bbr_of(t);
    memset(b, 0, sizeof *b);
    enter_startup(b);
}

/* Round counting and BBR.max_bw (draft "BBRUpdateRound", "BBRUpdateMaxBw"). */
static void update_bw(struct ts_tcb *t, struct bbr *b, const struct tcp_rate_sample *rs)
{
    b->round_start = false;
    if (rs->delivered && rs->prior_delivered >= b->next_round_delivered) {
        b->next_round_delivered = t->rate.delivered;
        b->round_count++;
        b->round_start = true;
        b->packet_conservation = false;
    }
    if (rs->delivery_rate && (!rs->is_app_limited || rs->delivery_rate >= max_bw(b)))
        tcp_bbr_max_filter(&b->max_bw, BBR_BW_WINDOW, b->round_count, rs->delivery_rate);
}

/* ProbeBW's gain cycle: the next phase after one min_rtt; the 5/4 phase lasts until the flight
 * reached 5/4 BDP (or loss), the 3/4 one ends early once it is down to the BDP. */
static void update_cycle(struct ts_tcb *t, struct bbr *b, ts_time_t now)
{
    if (b->mode != BBR_PROBE_BW) return;
    bool full = now - b->cycle_stamp > b->min_rtt;
    uint32_t pipe = tcp_sack_pipe(t);
    bool next = full;
    if (b->pacing_gain > BBR_UNIT)
        next = full && (t->segs.lost_bytes || pipe >= bdp(t, b, b->pacing_gain));
    else if (b->pacing_gain < BBR_UNIT)
        next = full || pipe <= bdp(t, b, BBR_UNIT);
    if (!next) return;
    b->cycle_idx = (uint8_t)((b->cycle_idx + 1) % BBR_CYCLE_LEN);
    b->cycle_stamp = now;
    b->pacing_gain = bbr_cycle_gain[b->cycle_idx];
}

/* Startup ends when max_bw grew less than 25 % in three rounds (draft "BBRCheckFullBWReached");
 * Drain ends when the flight is down to one BDP. */
static void check_full_bw_and_drain(struct ts_tcb *t, struct bbr *b, const struct tcp_rate_sample *rs,
                                    ts_time_t now)
{
    if (!b->full_bw_reached && b->round_start && !rs->is_app_limited) {
        if (max_bw(b) >= b->full_bw * BBR_FULL_BW_THRESH / BBR_UNIT) {
            b->full_bw = max_bw(b);
            b->full_bw_count = 0;
        } else if (++b->full_bw_count >= BBR_FULL_BW_COUNT) {
            b->full_bw_reached = true;
        }
    }
    if (b->mode == BBR_STARTUP && b->full_bw_reached)
        set_mode(b, BBR_DRAIN, BBR_DRAIN_GAIN, BBR_UNIT);      /* unpaced: drain through cwnd */
    if (b->mode == BBR_DRAIN && tcp_sack_pipe(t) <= target_cwnd(t, b, BBR_UNIT)) enter_probe_bw(t, b, now);
}

static void leave_probe_rtt(struct ts_tcb *t, struct bbr *b, ts_time_t now)
{
    b->min_rtt_stamp = now;
    if (b->cwnd < b->prior_cwnd) b->cwnd = b->prior_cwnd;
    if (b->full_bw_reached) enter_probe_bw(t, b, now);
    else enter_startup(b);
}

/* BBR.min_rtt and ProbeRTT (draft "BBRUpdateMinRTT", "BBRCheckProbeRTT"). */
static void update_min_rtt(struct ts_tcb *t, struct bbr *b, const struct tcp_rate_sample *rs, ts_time_t now)
{
    bool expired = b->min_rtt && now > b->min_rtt_stamp + BBR_MIN_RTT_WINDOW;
    if (rs->rtt && (!b->min_rtt || rs->rtt <= b->min_rtt || expired)) {
        b->min_rtt = rs->rtt;
        b->min_rtt_stamp = now;
    }
    if (expired && b->mode != BBR_PROBE_RTT) {
        set_mode(b, BBR_PROBE_RTT, BBR_UNIT, BBR_UNIT);
        if (!(b->prev_recovery || b->prev_loss) || b->cwnd > b->prior_cwnd) b->prior_cwnd = b->cwnd;
        b->probe_rtt_done_stamp = 0;
    }
    if (b->mode != BBR_PROBE_RTT) return;
    tcp_rate_set_app_limited(t);                    /* the flight is held down on purpose */
    if (!b->probe_rtt_done_stamp && tcp_sack_pipe(t) <= BBR_MIN_CWND_SEGS * (uint32_t)t->mss) {
        b->probe_rtt_done_stamp = now + BBR_PROBE_RTT_TIME;
        b->probe_rtt_round_done = false;
        b->next_round_delivered = t->rate.delivered;
    } else if (b->probe_rtt_done_stamp) {
        if (b->round_start) b->probe_rtt_round_done = true;
        if (b->probe_rtt_round_done && now >= b->probe_rtt_done_stamp) leave_probe_rtt(t, b, now);
    }
}

/* Loss recovery and timeouts as BBR sees them, from the flags the recovery code keeps: entering
 * a recovery saves cwnd and starts a round of packet conservation; a timeout leaves cwnd at the
 * loss window; the end of either gives back at least the cwnd from before. */
static void track_recovery(struct ts_tcb *t, struct bbr *b, uint32_t acked, uint32_t losses)
{
    bool rec = t->flags & TF_IN_RECOVERY, loss = t->flags & TF_RTO_LOSS;
    if (loss && !b->prev_loss) {
        if (!b->prev_recovery) b->prior_cwnd = b->cwnd;
        b->cwnd = t->mss;                            /* the loss window (RFC 5681 §3.1) */
        b->full_bw = 0;
        b->full_bw_count = 0;
    } else if (rec && !b->prev_recovery) {
        b->prior_cwnd = b->cwnd;
        b->packet_conservation = true;
        b->next_round_delivered = t->rate.delivered;
        b->cwnd = tcp_sack_pipe(t) + acked;
    } else if (!rec && !loss && (b->prev_recovery || b->prev_loss)) {
        if (b->cwnd < b->prior_cwnd) b->cwnd = b->prior_cwnd;
        b->packet_conservation = false;
    } else if (losses) {
        /* what this ACK marked lost has left the flight: cwnd gives it up too, so the segments
         * to resend go out one for each one delivered, not all at once (a burst of hundreds when
         * RACK marks a whole stretch whose SACK blocks never came) */
        b->cwnd = b->cwnd > losses + t->mss ? b->cwnd - losses : t->mss;
    }
    b->prev_recovery = rec;
    b->prev_loss = loss;
}

/* cwnd from the model (draft "BBRSetCwnd"): towards target_cwnd, by what this ACK delivered. */
static void set_cwnd(struct ts_tcb *t, struct bbr *b, uint32_t acked)
{
    uint32_t target = target_cwnd(t, b, b->cwnd_gain), min = BBR_MIN_CWND_SEGS * (uint32_t)t->mss;
    if (acked) {
        if (b->packet_conservation) {
            uint32_t c = tcp_sack_pipe(t) + acked;
            if (b->cwnd < c) b->cwnd = c;
        } else if (b->full_bw_reached) {
            b->cwnd = b->cwnd + acked < target ? b->cwnd + acked : target;
        } else if (b->cwnd < target || t->rate.delivered < initial_cwnd(t)) {
            b->cwnd += acked;
        }
    }
    if (b->cwnd > TS_TCP_BUF_MAX * 2u) b->cwnd = TS_TCP_BUF_MAX * 2u;
    if (b->cwnd < min) b->cwnd = min;
    if (b->mode == BBR_PROBE_RTT && b->cwnd > min) b->cwnd = min;
}

static void bbr_control(struct ts_tcb *t, const struct tcp_rate_sample *rs, ts_time_t now)
{
    struct bbr *b = bbr_of(t);
    if (!b->cwnd) b->cwnd = t->cwnd;
    track_recovery(t, b, rs->newly_acked, rs->losses);
    update_bw(t, b, rs);
    update_cycle(t, b, now);
    check_full_bw_and_drain(t, b, rs, now);
    update_min_rtt(t, b, rs, now);
    set_cwnd(t, b, rs->newly_acked);
    t->cwnd = b->cwnd;
}

/* Without SACK (no rate samples): NewReno's growth and halving. */
static void bbr_ack(struct ts_tcb *t, uint32_t acked, ts_time_t rtt, ts_time_t now)
{
    if (!(t->flags & TF_SACK)) tcp_cc_newreno.on_ack(t, acked, rtt, now);
}

/* With SACK, loss does not change the model: ssthresh becomes BBR's cwnd, so that the paths
 * of the recovery code that set cwnd = ssthresh (the end of a recovery, a TLP's repair) keep it;
 * bbr_control sets cwnd on the next ACK. Without SACK, NewReno's ssthresh. */
static void bbr_congestion(struct ts_tcb *t, ts_time_t now)
{
    if (!(t->flags & TF_SACK)) {
        tcp_cc_newreno.on_congestion(t, now);
        return;
    }
    const struct bbr *b = bbr_of(t);
    t->ssthresh = b->cwnd ? b->cwnd : t->cwnd;
}

static void bbr_undo(struct ts_tcb *t, ts_time_t now)
{
    (void)now;
    struct bbr *b = bbr_of(t);
    if (b->cwnd) b->cwnd = t->cwnd;
}

static void bbr_info(const struct ts_tcb *t, struct ts_tcp_info *in)
{
    static const char *const modes[] = { "startup", "drain", "probe_bw", "probe_rtt" };
    const struct bbr *b = bbr_of_c(t);
    in->bbr_mode = modes[b->mode & 3];
    in->bbr_max_bw = max_bw(b);
    in->bbr_min_rtt = b->min_rtt;
    in->bbr_pacing_gain = (uint16_t)(b->pacing_gain * 100u / BBR_UNIT);
    in->bbr_cwnd_gain = (uint16_t)(b->cwnd_gain * 100u / BBR_UNIT);
    in->bbr_pacing_rate = max_bw(b) * b->pacing_gain / BBR_UNIT;
}

const struct tcp_cc_ops tcp_cc_bbr = {
    .name = "bbr",
    .init = bbr_init,
    .on_ack = bbr_ack,
    .on_congestion = bbr_congestion,
    .on_rto = bbr_congestion,
    .undo = bbr_undo,
    .cong_control = bbr_control,
    .get_info = bbr_info,
};
