/*
 * Pictures of a TCP connection, drawn as SVG text from a record of its segments:
 *   - the time-sequence graph (Stevens', tcptrace's): x time, y sequence offset from the ISN,
 *     one vertical bar per data segment, retransmissions, the cumulative ACK line, the right edge
 *     of the advertised window, SACK blocks, zero-window probes and RTO firings marked; one panel
 *     per direction;
 *   - the sequence diagram (ladder): the two endpoints as timelines, one arrow per segment with
 *     a label like the trace's, the state changes beside each timeline.
 *
 * Pure code: frames and times in (plot_conv.c), SVG text out into a bounded buffer (ts_nsbuf).
 * No clock, no file descriptors. Used by `tapstack plot CAPTURE.pcap` and by the live
 * /conn/PAIR/seq.svg and /conn/PAIR/ladder.svg pages.
 *
 * Every SVG element that stands for something carries a class named for it, so tests (and CSS)
 * can find it: data, retransmit, ack, window, sack, zwp, rto (time-sequence graph); segment,
 * state (sequence diagram); axis, legend, summary on both.
 */
#ifndef TS_PLOT_PLOT_H
#define TS_PLOT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstat/nsbuf.h"
#include "tapstack/stack.h"

/* pcap link types whose frames plot can read (LINKTYPE_* from tcpdump.org/linktypes.html). */
#define TS_PLOT_LINK_NULL 0u        /* BSD loopback: 4-byte address family */
#define TS_PLOT_LINK_ETHERNET 1u
#define TS_PLOT_LINK_RAW 101u       /* bare IPv4/IPv6 */
#define TS_PLOT_LINK_RAW_ALT 12u    /* the same on some systems (DLT_RAW) */
#define TS_PLOT_LINK_SLL 113u       /* Linux cooked, `tcpdump -i any` */
#define TS_PLOT_LINK_SLL2 276u      /* Linux cooked v2 */

#define TS_PLOT_MAX_SEGS_DEFAULT 4000000u   /* segments kept over all conversations */

/* One TCP segment as seen on the wire, host order. dir 0: side 0 to side 1. */
struct ts_plot_seg {
    ts_time_t t;                /* microseconds */
    uint32_t seq, ack;
    uint32_t len;               /* payload bytes (from the IP length, not the captured bytes) */
    uint16_t win;               /* as on the wire, unscaled */
    uint16_t mss;               /* 0: no MSS option */
    uint8_t flags;              /* TS_TCP_* */
    uint8_t dir;
    uint8_t wscale;             /* 0xff: no window-scale option */
    uint8_t nsack;
    bool sack_ok, has_ts;
    uint32_t ts_val, ts_ecr;
    uint32_t sack[4][2];        /* [left, right) */
};

/* The segments of one conversation. Side 0 is named first, as --pcap-per-conn names its files: the
 * side that sent the first SYN, else (opening not seen) the higher port. */
struct ts_plot_conv {
    uint32_t ip[2];
    uint16_t port[2];
    struct ts_plot_seg *segs;
    size_t nsegs, cap;
    uint64_t dropped;           /* segments not kept: the bound was reached */
};

/* Every TCP conversation of a capture, in the order they first appear. */
struct ts_plot_convs {
    struct ts_plot_conv *v;
    size_t n, cap;
    size_t max_segs, total;     /* bound on segments kept, and segments kept */
    size_t *slots;              /* hash of the socket pairs: index + 1, 0 empty */
    size_t nslots;
    uint64_t frames, tcp, not_ipv4, not_tcp, bad, fragments, dropped;
};

/* An empty set keeping at most max_segs segments (0: TS_PLOT_MAX_SEGS_DEFAULT). */
void ts_plot_convs_init(struct ts_plot_convs *c, size_t max_segs);

/* Free everything; the set is empty and usable again. */
void ts_plot_convs_free(struct ts_plot_convs *c);

/* Is linktype one that ts_plot_convs_add reads? */
bool ts_plot_link_ok(uint32_t linktype);

/* Record one captured frame (len bytes captured) of the given link type at time t. IPv4 TCP
 * segments are kept (first fragments only); anything else is counted and ignored. Returns 1 when
 * kept, 0 when ignored, -1 when the bound (or memory) ran out (counted in dropped). */
int ts_plot_convs_add(struct ts_plot_convs *c, uint32_t linktype, ts_time_t t, const uint8_t *frame, size_t len);

/* The socket pair of a segment as it travelled (host order). */
struct ts_plot_pair {
    uint32_t sip, dip;
    uint16_t sport, dport;
};

enum { TS_PLOT_TCP = 1, TS_PLOT_NOT_IPV4 = 0, TS_PLOT_NOT_TCP = -1, TS_PLOT_FRAGMENT = -2, TS_PLOT_BAD = -3 };

/* Decode one frame of the given link type into *s (all but t and dir) and *pair. Returns
 * TS_PLOT_TCP, or why not: TS_PLOT_NOT_IPV4, TS_PLOT_NOT_TCP, TS_PLOT_FRAGMENT, TS_PLOT_BAD. */
int ts_plot_frame_seg(uint32_t linktype, const uint8_t *frame, size_t len, struct ts_plot_seg *s,
                      struct ts_plot_pair *pair);

/* Is the segment's source side 0 of a new conversation? The sender of a SYN is; the sender of a
 * SYN-ACK is not; else the higher port (the likely client), else the higher address. */
bool ts_plot_side0_is_src(const struct ts_plot_pair *p, uint8_t flags);

/* Append one segment to conv directly (the live record and tests). Returns 0 or -1 (no memory). */
int ts_plot_conv_push(struct ts_plot_conv *conv, const struct ts_plot_seg *s);

/* The conversation whose pair is "A.B.C.D_P-E.F.G.H_Q" (either order), or NULL. */
struct ts_plot_conv *ts_plot_convs_find(struct ts_plot_convs *c, const char *pair);

/* "10.0.0.1_43210-10.0.0.2_80" (the STEM of the file names) into buf (>= 48 bytes). */
void ts_plot_conv_stem(const struct ts_plot_conv *conv, char *buf, size_t cap);

/* Parse "A.B.C.D_P-E.F.G.H_Q" (':' accepted for '_'). Returns true and fills ip/port on success. */
bool ts_plot_parse_pair(const char *s, uint32_t ip[2], uint16_t port[2]);

/* Draw the time-sequence graph of conv (one panel per direction that sent data; without data, per
 * direction that sent SYN or FIN) into out. Returns 0, or -1 when out reached its bound
 * (out->failed) or memory ran out. */
int ts_plot_seq_svg(const struct ts_plot_conv *conv, struct ts_nsbuf *out);

/* Draw the sequence diagram of conv into out: every segment when there are at most
 * TS_PLOT_LADDER_FULL, else the first and last TS_PLOT_LADDER_KEEP and a summary of the middle.
 * Returns 0 or -1 as ts_plot_seq_svg. */
#define TS_PLOT_LADDER_FULL 80u
#define TS_PLOT_LADDER_KEEP 30u
int ts_plot_ladder_svg(const struct ts_plot_conv *conv, struct ts_nsbuf *out);

#endif
