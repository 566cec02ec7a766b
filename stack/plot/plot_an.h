/*
 * The analysis behind the pictures: what each segment of a conversation is, in sequence space
 * relative to each side's ISN. Internal to stack/plot (contract of the pictures in plot.h).
 *
 * What is inferred, and how (a capture sees the wire, not the sender's variables):
 *   - ISN: the SYN's sequence number, else the first one the direction sent, else (a direction
 *     never seen sending) the first ACK of it.
 *   - retransmit: a segment with data, SYN or FIN that starts below the highest sequence the
 *     direction sent before it.
 *   - rto: a retransmission of the first unacknowledged byte outside fast recovery (fewer than
 *     three duplicate ACKs since the ACK last moved) after the sender was silent TS_PLOT_RTO_GAP.
 *   - zwp (zero-window probe): a segment of at most one byte sent while the peer's last
 *     advertised window was zero.
 *   - windows are scaled (RFC 7323) only when both SYNs carried the option.
 */
#ifndef TS_PLOT_PLOT_AN_H
#define TS_PLOT_PLOT_AN_H

#include "plot/plot.h"

#define TS_PLOT_RTO_GAP TS_MS(100)

enum {
    TS_PA_DATA = 1,        /* carries data, SYN or FIN */
    TS_PA_RETX = 2,
    TS_PA_RTO = 4,
    TS_PA_ZWP = 8,
    TS_PA_DUPACK = 16,
    TS_PA_ACK = 32,        /* ack and edge are valid */
    TS_PA_ZEROWIN = 64,    /* advertises a zero window */
};

/* One segment, analysed. seq/end are relative to its own direction's ISN, ack/edge to the
 * other's (edge: the right edge of the window it advertises, ack + scaled window). */
struct ts_plot_mark {
    int64_t seq, end, ack, edge;
    uint8_t kind;
};

struct ts_plot_dirsum {
    bool seen, syn, isn_known;
    uint32_t isn;
    uint8_t shift;                 /* window scale applied to windows this direction sends */
    uint64_t segs, data_segs, bytes, retx_bytes, retx, rto, zwp, dupacks, sack_blocks, acks;
    int64_t seq_min, seq_max;      /* over its data, SYN, FIN */
    int64_t ack_max, edge_max;     /* over the ACKs it sent (the other direction's space) */
};

struct ts_plot_an {
    struct ts_plot_mark *m;        /* one per segment of the conversation */
    size_t n;
    struct ts_plot_dirsum d[2];
    bool wscale_known;             /* both SYNs seen */
    ts_time_t t0, t1;
};

/* Analyse conv into an (freed with ts_plot_an_free). Returns 0, -1 when memory runs out. */
int ts_plot_analyse(const struct ts_plot_conv *conv, struct ts_plot_an *an);

/* Free what ts_plot_analyse allocated; an is empty after. */
void ts_plot_an_free(struct ts_plot_an *an);

/* A SACK block of segment s (sent by the other side of dir d), relative to dir d's ISN, using the
 * segment's relative ack (mark->ack) to unwrap it. */
static inline int64_t ts_plot_rel_near(int64_t ref_rel, uint32_t ref_raw, uint32_t v)
{
    return ref_rel + (int32_t)(v - ref_raw);
}

/* A state change of one side (RFC 9293 names), inferred from the segments it sent and received:
 * at segment seg, side changed to state. */
struct ts_plot_state_ev {
    size_t seg;
    uint8_t side;
    const char *state;
};

#define TS_PLOT_STATES_MAX 64u

/* The state changes of both sides, in order, into ev (at most cap); *initial gets each side's
 * state before the first segment ("CLOSED", "LISTEN", or "ESTABLISHED" when the opening was not
 * captured). Returns the number of changes found (may exceed cap: the rest were not stored). */
size_t ts_plot_states(const struct ts_plot_conv *conv, const char *initial[2], struct ts_plot_state_ev *ev, size_t cap);

#endif
