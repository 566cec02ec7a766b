/*
 * The live record behind /conn/PAIR/seq.svg and /conn/PAIR/ladder.svg: for each of the last
 * max_convs TCP conversations the stack took part in, its first TS_PLOT_REC_HEAD segments (the
 * opening: ISNs, window scale, options) and its most recent `tail` segments, as the driver saw
 * them cross the stack's boundary. No capture needed; memory is bounded (max_convs x (HEAD +
 * tail) segments) and counted. When a new conversation needs a slot and all are taken, the one
 * least recently seen goes (counted). Pure: frames and times in, copies out.
 */
#ifndef TS_PLOT_PLOT_REC_H
#define TS_PLOT_PLOT_REC_H

#include "plot/plot.h"

#define TS_PLOT_REC_HEAD 32u
#define TS_PLOT_REC_TAIL_DEFAULT 2048u
#define TS_PLOT_REC_CONVS_DEFAULT 64u

struct ts_plot_rec;

struct ts_plot_rec_stats {
    uint64_t segments;       /* recorded since the start */
    uint64_t overwritten;    /* older segments that made room for newer ones */
    uint64_t evicted;        /* conversations that made room for newer ones */
    uint64_t no_memory;      /* segments not recorded: an allocation failed */
    unsigned convs;          /* held now */
    size_t bytes, bytes_bound;
};

/* A record of at most max_convs conversations (0: the default) keeping the first
 * TS_PLOT_REC_HEAD and the last tail (0: the default) segments of each. NULL without memory. */
struct ts_plot_rec *ts_plot_rec_new(unsigned max_convs, unsigned tail);

/* Free the record and everything it holds. Safe on NULL. */
void ts_plot_rec_free(struct ts_plot_rec *r);

/* An Ethernet frame crossed the stack's boundary at t: if it is an IPv4 TCP segment, record it. */
void ts_plot_rec_frame(struct ts_plot_rec *r, ts_time_t t, const uint8_t *frame, size_t len);

/* Copy the conversation named pair ("A.B.C.D_P-E.F.G.H_Q", either order) into *out (its segs are
 * allocated: free(out->segs)); out->dropped says how many segments between the opening and the
 * tail are not there. Returns 0, -1 when there is no such conversation, -2 without memory. */
int ts_plot_rec_get(const struct ts_plot_rec *r, const char *pair, struct ts_plot_conv *out);

/* The STEM of the conversation between (a_ip, a_port) and (b_ip, b_port) into buf (>= 48) if it
 * is recorded; false if not. */
bool ts_plot_rec_stem(const struct ts_plot_rec *r, uint32_t a_ip, uint16_t a_port, uint32_t b_ip, uint16_t b_port,
                      char *buf, size_t cap);

/* The i-th conversation held, most recently seen first (i < stats.convs): its STEM, segments
 * held, and when it was last seen. false past the end. */
bool ts_plot_rec_at(const struct ts_plot_rec *r, unsigned i, char *stem, size_t cap, size_t *segs, ts_time_t *last);

/* What the record holds and costs, into *st (all zero for a NULL record). */
void ts_plot_rec_stats(const struct ts_plot_rec *r, struct ts_plot_rec_stats *st);

#endif
