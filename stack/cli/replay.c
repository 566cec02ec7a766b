/*
 * `tapstack replay FILE.pcap [FLAGS]`: play a capture through a stack with a virtual clock.
 *
 * The clock is the capture's timestamps, and the calls into the stack follow the live loop's
 * pattern (see feed()): timers run at their exact deadlines, as the live loop runs them; frames
 * with the same timestamp are one batch, received together before anything is sent.
 * Frames whose source MAC is the stack's own were sent by the stack in the live run: they are
 * not fed in, only counted, so that a capture of `tapstack up --pcap` replays as it happened —
 * with the same --seed (and --ip, --mac, apps) the stack makes the same ISNs and goes through
 * the same state changes. What the stack sends now is traced as "out" and counted.
 *
 * Offloads are on as in `tapstack up` (TSO super-segments, partial checksums) unless --no-offload
 * or a fault is given: replay a capture with the same choice as its live run.
 * Takes every flag of `tapstack up` that makes sense without a TAP (--ip, --mac, --seed, --mtu,
 * the apps and their flags, --pcap, --trace ..., fault injection), plus:
 *   --json      the trace as JSON lines (same as --trace=json)
 *   --quiet     no trace, only the summary
 *   --after MS  keep running timers for MS of virtual time after the last frame (default 0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/obs_opts.h"
#include "cli/parse.h"
#include "cli/up_opts.h"
#include "driver/obs.h"
#include "driver/pcap.h"

#define REPLAY_MAX_ARGS 256
#define REPLAY_BUF (TS_FRAME_MAX_GSO + 64u)   /* a TSO super-segment */
#define REPLAY_MAX_STEPS 10000000u   /* timer runs per gap, against a stack whose deadline never moves */
#define REPLAY_PENDING 4096u         /* frames sent now, waiting to be matched with the live ones */

struct replay {
    struct ts_up_opts o;
    const char *file;
    bool quiet;
    ts_time_t after;
    struct ts_obs *obs;
    struct ts_stack *stack;
    struct ts_app apps[TS_CLI_APPS_MAX];
    unsigned napps;
    ts_time_t now;
    uint64_t rec_in, rec_own, out_frames;
    /* frames sent now, as hashes, until a frame the stack sent live matches one of them */
    uint64_t pending[REPLAY_PENDING];
    unsigned npending;
    uint64_t matched, unmatched_live, pending_lost;
    bool batch_open;        /* frames received at batch_t, not yet followed by timers and sending */
    ts_time_t batch_t;
    bool drained;           /* the stack's frames were taken at drained_t */
    ts_time_t drained_t;
    char err[256];
    uint8_t buf[REPLAY_BUF];
};

static void replay_usage(FILE *out)
{
    fprintf(out, "usage: tapstack replay FILE.pcap [--seed N] [--ip A/P] [--mac M] [--json|--quiet] [--after MS] [FLAGS]\n\n"
                 "Feed the frames of a capture (classic pcap, Ethernet) into a stack whose clock is the\n"
                 "capture's timestamps; print the trace (frames in and out, state changes, timers, drops)\n"
                 "and a summary. Frames from the stack's own MAC (what it sent live) are not fed in.\n"
                 "Give the same --seed, --ip and --mac as the live run to reproduce it exactly.\n"
                 "Every flag of `tapstack up` that needs no TAP is accepted (see tapstack up --help).\n\n"
                 "  --json                  the trace as JSON lines (docs/trace-json.md)\n"
                 "  --quiet                 no trace, only the summary\n"
                 "  --after MS              run timers for MS ms of virtual time after the last frame\n");
}

/* Split argv: the file, replay's own flags; the rest goes to ts_up_parse. Returns 0, 1 for
 * --help, -1 with r->err on error. */
static int replay_args(struct replay *r, int argc, char **argv)
{
    char *rest[REPLAY_MAX_ARGS];
    int nrest = 0;
    rest[nrest++] = "replay";
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t ms;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
        if (strcmp(a, "--json") == 0) json = true;
        else if (strcmp(a, "--quiet") == 0) r->quiet = true;
        else if (strcmp(a, "--after") == 0 || strncmp(a, "--after=", 8) == 0) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : "");
            if (!ts_parse_uint(v, 0, 3600000, &ms)) {
                snprintf(r->err, sizeof r->err, "--after '%s': expected milliseconds from 0 to 3600000", v);
                return -1;
            }
            r->after = TS_MS(ms);
        } else if (a[0] != '-' && !r->file) r->file = a;
        else if (nrest < REPLAY_MAX_ARGS - 1) rest[nrest++] = argv[i];
    }
    rest[nrest] = NULL;
    if (!r->file) {
        snprintf(r->err, sizeof r->err, "which capture? give a FILE.pcap");
        return -1;
    }
    int p = ts_up_parse(nrest, rest, &r->o, r->err, sizeof r->err);
    if (p != 0) return p;
    if (json) {
        r->o.obs.trace = true;
        r->o.obs.trace_fmt = TS_TRACE_FMT_JSON;
    } else if (!r->quiet && !r->o.obs.trace) {
        r->o.obs.trace = true;
    }
    if (r->quiet) r->o.obs.trace_file = r->o.obs.trace_file ? r->o.obs.trace_file : "/dev/null";
    return 0;
}

/* Everything the stack wants to send now. */
/* FNV-1a over a frame: enough to tell whether the same bytes were sent again. */
static uint64_t frame_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ n;
}

static void drain(struct replay *r)
{
    size_t n;
    struct ts_frame_info info;   /* left as emitted (a partial checksum too), as the live capture has it */
    while ((n = ts_obs_transmit_info(r->obs, r->stack, r->now, r->buf, sizeof r->buf, &info)) > 0) {
        r->out_frames++;
        if (r->npending == REPLAY_PENDING) {     /* drop the oldest: it will count as not matched */
            memmove(r->pending, r->pending + 1, (REPLAY_PENDING - 1) * sizeof r->pending[0]);
            r->npending--;
            r->pending_lost++;
        }
        r->pending[r->npending++] = frame_hash(r->buf, n);
    }
}

/* A frame the stack sent live: was the same frame sent now (in any order)? */
static void match_live(struct replay *r, const uint8_t *frame, size_t len)
{
    uint64_t h = frame_hash(frame, len);
    for (unsigned i = 0; i < r->npending; i++) {
        if (r->pending[i] != h) continue;
        memmove(r->pending + i, r->pending + i + 1, (r->npending - i - 1) * sizeof r->pending[0]);
        r->npending--;
        r->matched++;
        return;
    }
    r->unmatched_live++;
}

static ts_time_t next_deadline(struct replay *r)
{
    ts_time_t d = ts_stack_poll_at(r->stack), o = ts_obs_poll_at(r->obs);
    if (o < d) d = o;
    for (unsigned i = 0; i < r->napps; i++) {
        if (!r->apps[i].poll_at) continue;
        ts_time_t a = r->apps[i].poll_at(r->apps[i].ctx);
        if (a < d) d = a;
    }
    return d;
}

/* Run every timer due up to t, each at its own deadline (the virtual clock jumps), as the live
 * loop does; take what the stack sends after each only if drain_each (past the capture's end). */
static void advance(struct replay *r, ts_time_t t, bool drain_each)
{
    for (unsigned step = 0; step < REPLAY_MAX_STEPS; step++) {
        ts_time_t d = next_deadline(r);
        if (d > t) break;
        if (d > r->now) r->now = d;
        ts_obs_poll(r->obs, r->stack, r->now);
        if (ts_stack_poll_at(r->stack) <= r->now) ts_stack_poll(r->stack, r->now);
        for (unsigned i = 0; i < r->napps; i++) {
            struct ts_app *a = &r->apps[i];
            if (a->poll && a->poll_at && a->poll_at(a->ctx) <= r->now) a->poll(a->ctx, r->now);
        }
        ts_stack_dispatch(r->stack, r->now);
        if (drain_each) drain(r);
    }
    if (t > r->now) r->now = t;
}

/* The live loop after a wakeup at t: the timers due by t run, then what the stack sends is taken
 * at t (a wakeup that sent nothing leaves no trace in the capture, and needs none). */
static void step(struct replay *r, ts_time_t t)
{
    advance(r, t, false);
    drain(r);
    r->drained = true;
    r->drained_t = r->now;
}

/* The batch of frames received at batch_t is over: the live loop ran the timers that became due
 * meanwhile and took what the stack sends, at batch_t. */
static void close_batch(struct replay *r)
{
    if (!r->batch_open) return;
    r->batch_open = false;
    step(r, r->batch_t);
}

static int start_apps(struct replay *r)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (!a || !r->o.app_on[i] || !a->start) continue;
        struct ts_app *out = &r->apps[r->napps];
        memset(out, 0, sizeof *out);
        char why[200] = "";
        if (a->start(r->stack, r->now, r->o.app_opts[i], out, why, sizeof why) < 0) {
            snprintf(r->err, sizeof r->err, "cannot start %s: %s (switch it off with --no-%s)", a->name,
                     why[0] ? why : "unknown error", a->name);
            return -1;
        }
        if (!out->name) out->name = a->name;
        r->napps++;
    }
    return 0;
}

static int make_stack(struct replay *r)
{
    struct ts_config cfg = r->o.cfg;
    if (ts_up_offload_wanted(&r->o))    /* as `up` would */
        cfg.offload = TS_OFFLOAD_CSUM | (r->o.no_tso ? 0 : TS_OFFLOAD_TSO);
    r->obs = ts_obs_new(&r->o.obs, &cfg, r->err, sizeof r->err);
    if (!r->obs && r->err[0]) return -1;
    if (ts_obs_stack_new(&cfg, r->obs, &r->stack, r->err, sizeof r->err) < 0) return -1;
    ts_stack_set_tx_pull(r->stack, true);   /* TCP's data built when taken, as the live loop has it */
    return start_apps(r);
}

/* One record of the capture at its time. The live loop (stack/driver/loop.c) receives the frames
 * read in one wakeup at one time, distinct from the previous wakeup's: records with the same time
 * are one batch, received one after another with no timer and no sending between them (the batch
 * matters: ACK merging withdraws queued pure ACKs, one drain after several ACKs makes larger
 * segments). Before a batch the timers due by its time run at their deadlines; after it, those due
 * meanwhile run and the stack's frames are taken. A frame the stack sent at another time than a
 * batch's was sent on a wakeup by a timer: the timers due by then run, then the sending. */
static void feed(struct replay *r, const struct ts_pcap_rec *rec)
{
    ts_time_t t = rec->t < r->now ? r->now : rec->t;   /* a capture that goes back in time */
    if (r->batch_open && t != r->batch_t) close_batch(r);
    if (rec->incl_len >= 12 && memcmp(rec->data + 6, ts_stack_config(r->stack)->mac, 6) == 0) {
        r->rec_own++;
        if (r->batch_open) close_batch(r);
        else if (!r->drained || t != r->drained_t) step(r, t);
        match_live(r, rec->data, rec->incl_len);
        return;
    }
    if (!r->batch_open) {
        advance(r, t, false);
        r->batch_open = true;
        r->batch_t = r->now;
    }
    r->rec_in++;
    ts_obs_receive(r->obs, r->stack, r->now, rec->data, rec->incl_len);
    ts_stack_dispatch(r->stack, r->now);
}

/* Make the stack when the first record says what time it is, then feed every record. Returns 0,
 * or -1 with r->err. */
static int play(struct replay *r, struct ts_pcap_reader *rd)
{
    struct ts_pcap_rec rec;
    int rc;
    char err[200];
    while ((rc = ts_pcap_read(rd, &rec, err, sizeof err)) == 1) {
        if (!r->stack) {
            r->now = rec.t;
            if (make_stack(r) < 0) return -1;
        }
        feed(r, &rec);
    }
    if (rc < 0) {
        snprintf(r->err, sizeof r->err, "%s: %s", r->file, err);
        return -1;
    }
    if (!r->stack && make_stack(r) < 0) return -1;      /* an empty capture */
    close_batch(r);
    advance(r, r->now + r->after, true);
    return 0;
}

static void summary(const struct replay *r, struct ts_tracer *t)
{
    FILE *f = t && t->fmt == TS_TRACE_FMT_JSON && !r->quiet ? stderr : stdout;
    fprintf(f, "replay: %llu frames in the capture: %llu fed to the stack, %llu sent by the stack live\n",
            (unsigned long long)(r->rec_in + r->rec_own), (unsigned long long)r->rec_in,
            (unsigned long long)r->rec_own);
    fprintf(f, "replay: the stack sent %llu frames now: %llu the same as live, %llu new\n",
            (unsigned long long)r->out_frames, (unsigned long long)r->matched,
            (unsigned long long)(r->out_frames - r->matched));
    if (r->rec_own)
        fprintf(f, "replay: %llu of the %llu frames sent live were not sent again%s\n",
                (unsigned long long)r->unmatched_live, (unsigned long long)r->rec_own,
                r->unmatched_live ? " (differences: the time of day in app data (HTTP Date), frames the capture missed, or another --seed, --ip, --mac, apps)" : "");
    if (t) {
        fprintf(f, "replay: %llu state changes, %llu timers fired, %llu drops\n", (unsigned long long)t->states,
                (unsigned long long)t->timers, (unsigned long long)t->drops);
        for (unsigned i = 0; i < TS_CTR__COUNT; i++) {
            if (!t->drop_by[i]) continue;
            fprintf(f, "replay:   drop %s.%s: %llu\n", ts_counter_proto((enum ts_counter_id)i),
                    ts_counter_name((enum ts_counter_id)i), (unsigned long long)t->drop_by[i]);
        }
    }
}

static void finish(struct replay *r)
{
    for (unsigned i = r->napps; i-- > 0;)
        if (r->apps[i].stop) r->apps[i].stop(r->apps[i].ctx, r->now);
    if (r->stack) {
        ts_stack_dispatch(r->stack, r->now);
        drain(r);
    }
    ts_stack_free(r->stack);
    ts_obs_free(r->obs, NULL);
    ts_up_opts_free(&r->o);
}

int ts_cmd_replay(int argc, char **argv)
{
    struct replay *r = calloc(1, sizeof *r);
    if (!r) return TS_EXIT_FAIL;
    int p = replay_args(r, argc, argv), rc = TS_EXIT_OK;
    if (p != 0) {
        if (p > 0) replay_usage(stdout);
        else fprintf(stderr, "tapstack replay: %s\n(see tapstack replay --help)\n", r->err);
        ts_up_opts_free(&r->o);
        free(r);
        return p > 0 ? TS_EXIT_OK : TS_EXIT_USAGE;
    }
    char err[200];
    struct ts_pcap_reader *rd = ts_pcap_reader_open(r->file, err, sizeof err);
    if (!rd) {
        snprintf(r->err, sizeof r->err, "%s", err);
        rc = TS_EXIT_FAIL;
    } else if (ts_pcap_reader_linktype(rd) != TS_PCAP_LINKTYPE_ETHERNET) {
        snprintf(r->err, sizeof r->err, "%s: link type %u; only Ethernet captures (1) can be replayed", r->file,
                 ts_pcap_reader_linktype(rd));
        rc = TS_EXIT_FAIL;
    } else if (play(r, rd) < 0) {
        rc = TS_EXIT_FAIL;
    }
    ts_pcap_reader_close(rd);
    if (rc == TS_EXIT_OK) summary(r, ts_obs_tracer(r->obs));
    else fprintf(stderr, "tapstack replay: %s\n", r->err);
    finish(r);
    free(r);
    return rc;
}
