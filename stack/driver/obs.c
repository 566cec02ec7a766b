/*
 * Observability at the driver edge (contract in obs.h).
 */
#include "driver/obs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/pcap.h"
#include "plot/plot_rec.h"
#include "tapstack/stats.h"

#define OBS_BUF 65536u
/* Faults worth a trace line each; delay and rate would print one for every frame. */
#define TRACED_FAULTS (TS_FAULT_LOST | TS_FAULT_CORRUPT | TS_FAULT_DUP | TS_FAULT_REORDERED | TS_FAULT_OVERFLOW)

struct ts_obs {
    struct ts_pcap_writer *pcap;
    struct ts_pcap_conns *conns;
    struct ts_plot_rec *rec;
    bool tracing;
    struct ts_tracer tracer;
    FILE *trace_out;
    bool own_trace_out;
    struct ts_fault_cfg fault_cfg[2];
    struct ts_fault *fault[2];
    bool failed;
    uint8_t buf[OBS_BUF];
};

bool ts_obs_opts_active(const struct ts_obs_opts *o)
{
    return o->pcap || o->pcap_dir || o->trace || o->record || ts_fault_cfg_active(&o->fault[0]) ||
           ts_fault_cfg_active(&o->fault[1]);
}

static int open_trace(struct ts_obs *obs, const struct ts_obs_opts *o, char *err, size_t n)
{
    obs->trace_out = stdout;
    if (o->trace_file && strcmp(o->trace_file, "-") != 0) {
        obs->trace_out = fopen(o->trace_file, "w");
        if (!obs->trace_out) {
            snprintf(err, n, "--trace-file %s: %s", o->trace_file, strerror(errno));
            return -1;
        }
        obs->own_trace_out = true;
    } else {
        setvbuf(stdout, NULL, _IOLBF, 0);     /* a live trace is read as it happens */
    }
    ts_tracer_init(&obs->tracer, obs->trace_out, o->trace_fmt);
    obs->tracing = true;
    return 0;
}

struct ts_obs *ts_obs_new(const struct ts_obs_opts *o, struct ts_config *cfg, char *err, size_t n)
{
    if (n) err[0] = '\0';
    if (!ts_obs_opts_active(o)) return NULL;
    for (int d = 0; d < 2; d++) {
        const char *why = ts_fault_cfg_check(&o->fault[d]);
        if (why) {
            snprintf(err, n, "fault injection: %s", why);
            return NULL;
        }
    }
    struct ts_obs *obs = calloc(1, sizeof *obs);
    if (!obs) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    memcpy(obs->fault_cfg, o->fault, sizeof obs->fault_cfg);
    if (o->pcap && !(obs->pcap = ts_pcap_open(o->pcap))) {
        snprintf(err, n, "--pcap %s: %s", o->pcap, strerror(errno));
        goto fail;
    }
    if (o->pcap_dir && !(obs->conns = ts_pcap_conns_new(o->pcap_dir, 0))) {
        snprintf(err, n, "--pcap-per-conn %s: out of memory", o->pcap_dir);
        goto fail;
    }
    if (o->record && !(obs->rec = ts_plot_rec_new(0, 0))) {
        snprintf(err, n, "the per-conversation record: out of memory");
        goto fail;
    }
    if (o->trace && open_trace(obs, o, err, n) < 0) goto fail;
    if (obs->tracing) {
        cfg->trace = ts_tracer_event;
        cfg->trace_arg = &obs->tracer;
    }
    return obs;
fail:
    ts_obs_free(obs, NULL);
    return NULL;
}

int ts_obs_attach(struct ts_obs *obs, struct ts_stack *s, char *err, size_t n)
{
    if (!obs) return 0;
    uint64_t seed = ts_stack_config(s)->seed;
    for (int d = 0; d < 2; d++) {
        if (!ts_fault_cfg_active(&obs->fault_cfg[d])) continue;
        obs->fault[d] = ts_fault_new(&obs->fault_cfg[d], (enum ts_fault_dir)d, seed, ts_stack_stats_mut(s));
        if (!obs->fault[d]) {
            snprintf(err, n, "cannot set up fault injection: out of memory");
            return -1;
        }
    }
    return 0;
}

/* A frame crossed the stack's boundary: into the capture files. */
static void capture(struct ts_obs *obs, ts_time_t now, const uint8_t *frame, size_t len)
{
    if (obs->pcap && ts_pcap_write(obs->pcap, now, frame, len) < 0) obs->failed = true;
    if (obs->conns && ts_pcap_conns_write(obs->conns, now, frame, len) < 0) obs->failed = true;
    if (obs->rec) ts_plot_rec_frame(obs->rec, now, frame, len);
}

static void fault_push(struct ts_obs *obs, int dir, ts_time_t now, const uint8_t *frame, size_t len)
{
    unsigned what = ts_fault_push(obs->fault[dir], now, frame, len);
    if (obs->tracing && (what & TRACED_FAULTS)) {
        char names[96];
        ts_tracer_fault(&obs->tracer, now, dir, ts_fault_names(what, names, sizeof names), frame, len);
    }
}

static void deliver(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len)
{
    capture(obs, now, frame, len);
    ts_stack_receive(s, now, frame, len);
}

/* A received frame whose checksum the wire left partial, made plain in obs->buf (for the capture,
 * so that `tapstack replay` accepts it, and for the fault queues, which keep no description). */
static const uint8_t *plain_copy(struct ts_obs *obs, const uint8_t *frame, size_t len, const struct ts_frame_info *info)
{
    if (!info || !(info->flags & TS_FRAME_CSUM_PARTIAL) || len > sizeof obs->buf) return frame;
    /* Only the capture files and the fault queues keep the bytes: the plot record reads headers. */
    if (!obs->pcap && !obs->conns && !obs->fault[TS_FAULT_IN]) return frame;
    memcpy(obs->buf, frame, len);
    ts_frame_finish_csum(obs->buf, len, info);
    return obs->buf;
}

void ts_obs_receive(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len)
{
    ts_obs_receive_info(obs, s, now, frame, len, NULL);
}

void ts_obs_receive_info(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len,
                         const struct ts_frame_info *info)
{
    if (!obs) {
        ts_stack_receive_info(s, now, frame, len, info);
        return;
    }
    if (!obs->fault[TS_FAULT_IN]) {
        capture(obs, now, plain_copy(obs, frame, len, info), len);
        ts_stack_receive_info(s, now, frame, len, info);
        return;
    }
    fault_push(obs, TS_FAULT_IN, now, plain_copy(obs, frame, len, info), len);
    ts_obs_poll(obs, s, now);
}

bool ts_obs_tx_inplace(const struct ts_obs *obs) { return !obs || !obs->fault[TS_FAULT_OUT]; }

bool ts_obs_tx_gather_ok(const struct ts_obs *obs)
{
    return ts_obs_tx_inplace(obs) && (!obs || (!obs->pcap && !obs->conns && !obs->tracing));
}

void ts_obs_tx_note(struct ts_obs *obs, ts_time_t now, const uint8_t *frame, size_t len)
{
    if (obs) capture(obs, now, frame, len);
}

size_t ts_obs_transmit(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap)
{
    struct ts_frame_info info;
    size_t n = ts_obs_transmit_info(obs, s, now, buf, cap, &info);
    if (n) ts_frame_finish_csum(buf, n, &info);
    return n;
}

size_t ts_obs_transmit_info(struct ts_obs *obs, struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap,
                            struct ts_frame_info *info)
{
    *info = (struct ts_frame_info){ 0 };
    if (!obs) return ts_stack_transmit_info(s, now, buf, cap, info);
    struct ts_fault *f = obs->fault[TS_FAULT_OUT];
    for (;;) {
        size_t n;
        if (f && (n = ts_fault_pop(f, now, buf, cap)) > 0) return n;
        n = ts_stack_transmit_info(s, now, buf, cap, info);
        if (n == 0) return 0;
        capture(obs, now, buf, n);        /* as emitted: a partial checksum shows as such (like tcpdump) */
        if (!f) return n;
        ts_frame_finish_csum(buf, n, info);   /* the fault queues keep plain frames */
        *info = (struct ts_frame_info){ 0 };
        fault_push(obs, TS_FAULT_OUT, now, buf, n);
    }
}

ts_time_t ts_obs_poll_at(const struct ts_obs *obs)
{
    ts_time_t t = TS_TIME_NEVER;
    for (int d = 0; obs && d < 2; d++) {
        if (!obs->fault[d]) continue;
        ts_time_t a = ts_fault_poll_at(obs->fault[d]);
        if (a < t) t = a;
    }
    return t;
}

bool ts_obs_poll(struct ts_obs *obs, struct ts_stack *s, ts_time_t now)
{
    if (!obs || !obs->fault[TS_FAULT_IN]) return false;
    bool any = false;
    size_t n;
    while ((n = ts_fault_pop(obs->fault[TS_FAULT_IN], now, obs->buf, sizeof obs->buf)) > 0) {
        deliver(obs, s, now, obs->buf, n);
        any = true;
    }
    return any;
}

struct ts_plot_rec *ts_obs_record(struct ts_obs *obs) { return obs ? obs->rec : NULL; }

struct ts_tracer *ts_obs_tracer(struct ts_obs *obs) { return obs && obs->tracing ? &obs->tracer : NULL; }

int ts_obs_free(struct ts_obs *obs, FILE *log)
{
    if (!obs) return 0;
    int rc = obs->failed ? -1 : 0;
    if (obs->pcap) {
        uint64_t count = ts_pcap_count(obs->pcap);
        if (ts_pcap_close(obs->pcap) < 0) rc = -1;
        if (log) fprintf(log, "tapstack: captured %llu frames\n", (unsigned long long)count);
    }
    if (obs->conns) {
        unsigned files = ts_pcap_conns_files(obs->conns);
        if (ts_pcap_conns_close(obs->conns) < 0) rc = -1;
        if (log) fprintf(log, "tapstack: captured %u TCP conversations, one file each\n", files);
    }
    ts_plot_rec_free(obs->rec);
    if (obs->trace_out) {
        if (fflush(obs->trace_out) != 0) rc = -1;
        if (obs->own_trace_out && fclose(obs->trace_out) != 0) rc = -1;
    }
    for (int d = 0; d < 2; d++) {
        if (!obs->fault[d]) continue;
        const struct ts_fault_counts *c = ts_fault_counts(obs->fault[d]);
        if (log)
            fprintf(log, "tapstack: faults injected %s: loss %llu, dup %llu, reorder %llu, corrupt %llu, delayed %llu, "
                         "rate_limited %llu, overflow %llu\n", d ? "out" : "in", (unsigned long long)c->loss,
                    (unsigned long long)c->dup, (unsigned long long)c->reorder, (unsigned long long)c->corrupt,
                    (unsigned long long)c->delayed, (unsigned long long)c->rate_limited,
                    (unsigned long long)c->overflow);
        ts_fault_free(obs->fault[d]);
    }
    if (rc < 0 && log) fprintf(log, "tapstack: some capture or trace output could not be written\n");
    free(obs);
    return rc;
}
