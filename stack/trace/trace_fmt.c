/*
 * The tracer (contract in trace_fmt.h).
 */
#include "trace/trace_fmt.h"

#include <string.h>

#include "trace/trace_decode.h"

#define LINE_MAX_LEN 4096

void ts_tracer_init(struct ts_tracer *t, FILE *out, enum ts_trace_format fmt)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->fmt = fmt;
}

static void sb_time(struct ts_sb *sb, enum ts_trace_format fmt, ts_time_t now, const char *ev)
{
    if (fmt == TS_TRACE_FMT_JSON)
        ts_sb_printf(sb, "{\"t_us\":%llu,\"ev\":\"%s\"", (unsigned long long)now, ev);
    else
        ts_sb_printf(sb, "%llu.%06llu ", (unsigned long long)(now / 1000000u),
                     (unsigned long long)(now % 1000000u));
}

/* The connection of a socket: "10.0.0.2:80 10.0.0.1:43210" or JSON fields. */
static void sb_conn(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_sock *sock)
{
    uint32_t la = 0, ra = 0;
    uint16_t lp = 0, rp = 0;
    if (sock) ts_sock_name(sock, &la, &lp, &ra, &rp);
    char l[16], r[16];
    ts_ip_str(la, l);
    ts_ip_str(ra, r);
    if (fmt == TS_TRACE_FMT_JSON)
        ts_sb_printf(sb, ",\"local\":\"%s:%u\",\"remote\":\"%s:%u\"", l, lp, r, rp);
    else
        ts_sb_printf(sb, "%s:%u %s:%u", l, lp, r, rp);
}

/* Offloads: a super-segment says how the wire splits it; a checksum says who finishes it. */
static void fmt_offload(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    const struct ts_frame_info *i = ev->info;
    if (!i || !i->flags) return;
    unsigned pieces = 0;
    if ((i->flags & TS_FRAME_GSO_TCP) && i->gso_size && ev->frame && ev->len >= 54) {
        size_t ihl = (size_t)(ev->frame[14] & 15) * 4, thl = ev->len >= 14 + ihl + 13 ? (size_t)(ev->frame[14 + ihl + 12] >> 4) * 4 : 0;
        size_t hl = 14 + ihl + thl, data = ev->len > hl ? ev->len - hl : 0;
        pieces = (unsigned)((data + i->gso_size - 1) / i->gso_size);
    }
    const char *csum = (i->flags & TS_FRAME_CSUM_PARTIAL) ? "partial" : (i->flags & TS_FRAME_CSUM_VALID) ? "valid" : "";
    if (fmt == TS_TRACE_FMT_JSON) {
        if (pieces) ts_sb_printf(sb, ",\"gso\":{\"size\":%u,\"segments\":%u}", i->gso_size, pieces);
        if (*csum) ts_sb_printf(sb, ",\"csum\":\"%s\"", csum);
    } else {
        if (pieces) ts_sb_printf(sb, " [super-segment: %u x %u]", pieces, i->gso_size);
        if (*csum) ts_sb_printf(sb, " [csum %s]", csum);
    }
}

static void fmt_frame(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    struct ts_dec d;
    const char *dir = ev->kind == TS_TRACE_FRAME_IN ? "in" : "out";
    ts_dec_frame(&d, ev->frame, ev->frame ? ev->len : 0);
    if (fmt == TS_TRACE_FMT_JSON) {
        ts_sb_printf(sb, ",\"dir\":\"%s\",\"frame\":", dir);
        sb->len += ts_dec_json(&d, sb->len < sb->cap ? sb->buf + sb->len : NULL,
                               sb->len < sb->cap ? sb->cap - sb->len : 0);
        fmt_offload(sb, fmt, ev);
        ts_sb_printf(sb, "}");
    } else {
        ts_sb_printf(sb, "%-3s ", dir);
        sb->len += ts_dec_text(&d, sb->len < sb->cap ? sb->buf + sb->len : NULL,
                               sb->len < sb->cap ? sb->cap - sb->len : 0);
        fmt_offload(sb, fmt, ev);
    }
}

/* RFC 9293 state names as netstat prints them (kept here so the tracer needs no TCP module). */
static const char *state_name(enum ts_tcp_state st)
{
    static const char *const names[] = { "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
                                         "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
                                         "TIME_WAIT" };
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "UNKNOWN";
}

static void fmt_state(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    const char *from = state_name(ev->old_state), *to = state_name(ev->new_state);
    if (fmt == TS_TRACE_FMT_JSON) {
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, ",\"from\":\"%s\",\"to\":\"%s\",\"why\":", from, to);
        ts_sb_json_str(sb, ev->why ? ev->why : "");
        ts_sb_printf(sb, "}");
    } else {
        ts_sb_printf(sb, "state ");
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, " %s -> %s", from, to);
        if (ev->why) ts_sb_printf(sb, " (%s)", ev->why);
    }
}

static void fmt_drop(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    const char *proto = ts_counter_proto(ev->counter), *name = ts_counter_name(ev->counter);
    const char *desc = ts_counter_desc(ev->counter);
    if (fmt == TS_TRACE_FMT_JSON) {
        ts_sb_printf(sb, ",\"proto\":");
        ts_sb_json_str(sb, proto ? proto : "?");
        ts_sb_printf(sb, ",\"reason\":");
        ts_sb_json_str(sb, name ? name : "?");
        ts_sb_printf(sb, ",\"desc\":");
        ts_sb_json_str(sb, desc ? desc : "");
        ts_sb_printf(sb, ",\"len\":%zu}", ev->frame ? ev->len : 0);
    } else {
        ts_sb_printf(sb, "drop %s.%s", proto ? proto : "?", name ? name : "?");
        if (desc) ts_sb_printf(sb, " (%s)", desc);
        if (ev->frame) ts_sb_printf(sb, ", length %zu", ev->len);
    }
}

static void fmt_timer(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    if (fmt == TS_TRACE_FMT_JSON) {
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, ",\"timer\":");
        ts_sb_json_str(sb, ev->why ? ev->why : "");
        ts_sb_printf(sb, "}");
    } else {
        ts_sb_printf(sb, "timer ");
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, " %s", ev->why ? ev->why : "?");
    }
}

static void fmt_cwnd(struct ts_sb *sb, enum ts_trace_format fmt, const struct ts_trace_event *ev)
{
    if (fmt == TS_TRACE_FMT_JSON) {
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, ",\"cwnd\":%u,\"ssthresh\":%u,\"rto_us\":%llu,\"why\":", ev->cwnd, ev->ssthresh,
                     (unsigned long long)ev->rto);
        ts_sb_json_str(sb, ev->why ? ev->why : "");
        ts_sb_printf(sb, "}");
    } else {
        ts_sb_printf(sb, "cwnd ");
        sb_conn(sb, fmt, ev->sock);
        ts_sb_printf(sb, " cwnd %u ssthresh %u rto %llu.%03llums", ev->cwnd, ev->ssthresh,
                     (unsigned long long)(ev->rto / 1000), (unsigned long long)(ev->rto % 1000));
        if (ev->why) ts_sb_printf(sb, " (%s)", ev->why);
    }
}

size_t ts_trace_format(enum ts_trace_format fmt, const struct ts_trace_event *ev, char *buf, size_t cap)
{
    static const char *const names[] = { "frame", "frame", "state", "drop", "timer", "cwnd" };
    struct ts_sb sb;
    ts_sb_init(&sb, buf, cap);
    unsigned k = (unsigned)ev->kind;
    sb_time(&sb, fmt, ev->now, k < sizeof names / sizeof names[0] ? names[k] : "unknown");
    switch (ev->kind) {
    case TS_TRACE_FRAME_IN:
    case TS_TRACE_FRAME_OUT: fmt_frame(&sb, fmt, ev); break;
    case TS_TRACE_STATE: fmt_state(&sb, fmt, ev); break;
    case TS_TRACE_DROP: fmt_drop(&sb, fmt, ev); break;
    case TS_TRACE_TIMER: fmt_timer(&sb, fmt, ev); break;
    case TS_TRACE_CWND: fmt_cwnd(&sb, fmt, ev); break;
    default: ts_sb_printf(&sb, fmt == TS_TRACE_FMT_JSON ? "}" : "event %u", k); break;
    }
    if (sb.cap && sb.len >= sb.cap) sb.buf[sb.cap - 1] = '\0';
    return sb.len;
}

static void emit(struct ts_tracer *t, const char *line)
{
    if (t->out) {
        fputs(line, t->out);
        fputc('\n', t->out);
    }
}

void ts_tracer_event(void *arg, const struct ts_trace_event *ev)
{
    struct ts_tracer *t = arg;
    switch (ev->kind) {
    case TS_TRACE_FRAME_IN: t->frames_in++; break;
    case TS_TRACE_FRAME_OUT: t->frames_out++; break;
    case TS_TRACE_STATE: t->states++; break;
    case TS_TRACE_DROP:
        t->drops++;
        if ((unsigned)ev->counter < TS_CTR__COUNT) t->drop_by[ev->counter]++;
        break;
    case TS_TRACE_TIMER: t->timers++; break;
    case TS_TRACE_CWND: t->cwnds++; break;
    default: break;
    }
    if (!t->out) return;
    char line[LINE_MAX_LEN];
    ts_trace_format(t->fmt, ev, line, sizeof line);
    emit(t, line);
}

void ts_tracer_fault(struct ts_tracer *t, ts_time_t now, int dir, const char *names, const uint8_t *frame,
                     size_t len)
{
    t->faults++;
    if (!t->out) return;
    char line[LINE_MAX_LEN], body[2048];
    struct ts_dec d;
    struct ts_sb sb;
    ts_dec_frame(&d, frame, len);
    ts_sb_init(&sb, line, sizeof line);
    sb_time(&sb, t->fmt, now, "fault");
    if (t->fmt == TS_TRACE_FMT_JSON) {
        ts_dec_json(&d, body, sizeof body);
        ts_sb_printf(&sb, ",\"dir\":\"%s\",\"faults\":\"%s\",\"frame\":%s}", dir ? "out" : "in", names, body);
    } else {
        ts_dec_text(&d, body, sizeof body);
        ts_sb_printf(&sb, "fault %s %s: %s", dir ? "out" : "in", names, body);
    }
    emit(t, line);
}

void ts_tracer_summary(const struct ts_tracer *t, FILE *f)
{
    fprintf(f, "frames in: %llu\nframes out: %llu\nstate changes: %llu\ntimers fired: %llu\n",
            (unsigned long long)t->frames_in, (unsigned long long)t->frames_out,
            (unsigned long long)t->states, (unsigned long long)t->timers);
    fprintf(f, "drops: %llu\n", (unsigned long long)t->drops);
    for (unsigned i = 0; i < TS_CTR__COUNT; i++) {
        if (!t->drop_by[i]) continue;
        fprintf(f, "  %s.%s: %llu\n", ts_counter_proto((enum ts_counter_id)i),
                ts_counter_name((enum ts_counter_id)i), (unsigned long long)t->drop_by[i]);
    }
}
