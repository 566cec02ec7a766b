/*
 * Observability at the driver edge: pcap capture, the trace, and fault injection, bundled so that
 * a driver loop needs four calls. With nothing switched on (or obs NULL) every call is a plain
 * pass-through to the stack.
 *
 *     frame read from the TAP  --> ts_obs_receive(obs, s, now, frame, len)
 *     frame to write to the TAP <-- ts_obs_transmit(obs, s, now, buf, cap)   (0: none now)
 *     deadline = min(ts_stack_poll_at(s), ts_obs_poll_at(obs)); when due: ts_obs_poll(obs, s, now)
 *
 * Where things are seen: the capture and the trace show frames at the stack's boundary — inbound
 * after the inbound faults (what the stack really received), outbound before the outbound faults
 * (what the stack really sent). So `tapstack replay` of a capture feeds the stack exactly what it
 * had, and the capture's timestamps are the stack's own clock (`now`), to the microsecond.
 */
#ifndef TS_DRIVER_OBS_H
#define TS_DRIVER_OBS_H

#include <stdbool.h>
#include <stdio.h>

#include "driver/fault.h"
#include "trace/trace_fmt.h"
#include "tapstack/stack.h"

/* What the user asked for (filled by the command line; all zero = nothing). */
struct ts_obs_opts {
    const char *pcap;               /* --pcap FILE */
    const char *pcap_dir;           /* --pcap-per-conn DIR */
    bool trace;                     /* --trace[=text|json] */
    enum ts_trace_format trace_fmt;
    const char *trace_file;         /* --trace-file FILE (default stdout) */
    struct ts_fault_cfg fault[2];   /* [TS_FAULT_IN], [TS_FAULT_OUT] */
    bool record;                    /* keep the live per-conversation record (stack/plot/plot_rec.h) */
};

struct ts_obs;

/* Is anything in o switched on? */
bool ts_obs_opts_active(const struct ts_obs_opts *o);

/* Open the files o names and fill cfg->trace/trace_arg when a trace or capture is wanted. Returns
 * NULL with a message in err on failure, or when nothing is switched on (then *err is ""). Call
 * before ts_stack_new. */
struct ts_obs *ts_obs_new(const struct ts_obs_opts *o, struct ts_config *cfg, char *err, size_t errlen);

/* The stack exists: make the fault injectors (seeded from the stack's seed, counting into its
 * fault counters). Returns 0, or -1 with a message in err. */
int ts_obs_attach(struct ts_obs *obs, struct ts_stack *s, char *err, size_t errlen);

/* A frame arrived at now: through the inbound faults, into the capture, into the stack. */
void ts_obs_receive(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len);

/* ts_obs_receive with the wire's description of the frame (NULL: plain). The capture and the
 * fault queues get the frame with its checksum completed, as a plain frame. */
void ts_obs_receive_info(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len,
                         const struct ts_frame_info *info);

/* ts_obs_transmit with the description of what the wire must finish (info->flags 0: plain).
 * With outbound faults the frames are made plain first (checksum completed). */
size_t ts_obs_transmit_info(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap,
                            struct ts_frame_info *info);

/* May the driver write frames straight from the stack (ts_stack_tx_take) instead of through
 * ts_obs_transmit? Yes unless outbound faults hold frames back. It must then show each frame to
 * ts_obs_tx_note (the capture and the plot record) as it takes it. */
bool ts_obs_tx_inplace(const struct ts_obs *obs);
/* ... and may a frame's payload be written from elsewhere (nothing captures or traces it)? */
bool ts_obs_tx_gather_ok(const struct ts_obs *obs);
void ts_obs_tx_note(struct ts_obs *obs, ts_time_t now, const uint8_t *frame, size_t len);

/* The next frame to write now into buf (cap >= MTU + 14), or 0: frames come from the stack (into
 * the capture) and through the outbound faults. */
size_t ts_obs_transmit(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap);

/* When a held frame is due (TS_TIME_NEVER if none, or obs NULL). */
ts_time_t ts_obs_poll_at(const struct ts_obs *obs);

/* Deliver the inbound frames that are due into the stack (the outbound ones leave through
 * ts_obs_transmit). Returns true if any was delivered (call ts_stack_dispatch then). */
bool ts_obs_poll(struct ts_obs *obs, struct ts_stack *s, ts_time_t now);

/* The live per-conversation record (opts.record), or NULL. */
struct ts_plot_rec *ts_obs_record(struct ts_obs *obs);

/* The tracer (for its counts), or NULL. */
struct ts_tracer *ts_obs_tracer(struct ts_obs *obs);

/* Flush and close the files; print one line about the capture to log (may be NULL). Returns 0,
 * or -1 if a file could not be written completely. Safe on NULL. */
int ts_obs_free(struct ts_obs *obs, FILE *log);

#endif
