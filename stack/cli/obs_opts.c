/* Observability flags (see obs_opts.h). */
#include "cli/obs_opts.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define BAD(...) (snprintf(err, n, __VA_ARGS__), -1)

/* Fault flags come in three forms: --loss (both directions), --loss-in, --loss-out. */
#define FAULT3(base, arg) { base, arg, false }, { base "-in", arg, false }, { base "-out", arg, false }

static const struct ts_obs_flag flags[] = {
    { "pcap", "FILE", false },
    { "pcap-per-conn", "DIR", false },
    { "trace", "text|json", true },
    { "trace-file", "FILE", false },
    FAULT3("loss", "P"),
    FAULT3("dup", "P"),
    FAULT3("reorder", "P"),
    FAULT3("corrupt", "P"),
    FAULT3("delay", "MS[+JITTER]"),
    FAULT3("rate", "BITS/S"),
};
#define N_FLAGS (sizeof flags / sizeof flags[0])

const struct ts_obs_flag *ts_obs_flag_find(const char *name)
{
    for (size_t i = 0; i < N_FLAGS; i++)
        if (strcmp(name, flags[i].name) == 0) return &flags[i];
    return NULL;
}

/* Which directions a fault flag's name covers: bit 0 in, bit 1 out; *base_len is the base's length. */
static unsigned fault_dirs(const char *name, size_t *base_len)
{
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, "-in") == 0) {
        *base_len = len - 3;
        return 1;
    }
    if (len > 4 && strcmp(name + len - 4, "-out") == 0) {
        *base_len = len - 4;
        return 2;
    }
    *base_len = len;
    return 3;
}

static int set_fault(struct ts_obs_opts *o, const char *name, const char *v, char *err, size_t n)
{
    size_t bl;
    unsigned dirs = fault_dirs(name, &bl);
    double p = 0;
    ts_time_t delay = 0, jitter = 0;
    uint64_t rate = 0;
    bool is = false;
#define IS(s) (bl == strlen(s) && strncmp(name, s, bl) == 0)
    if (IS("delay")) {
        if (!ts_fault_parse_delay(v, &delay, &jitter))
            return BAD("--%s '%s': expected milliseconds, optionally +JITTER (e.g. 20 or 20+5), up to 60000", name, v);
    } else if (IS("rate")) {
        if (!ts_fault_parse_rate(v, &rate))
            return BAD("--%s '%s': expected bits per second, at least 8000, with an optional k, M or G (e.g. 10M)", name, v);
    } else if (!ts_fault_parse_prob(v, &p)) {
        return BAD("--%s '%s': expected a fraction from 0 to 1 (e.g. 0.1 for 10 %%) or a percentage (10%%)", name, v);
    }
    for (int d = 0; d < 2; d++) {
        if (!(dirs & (1u << d))) continue;
        struct ts_fault_cfg *c = &o->fault[d];
        if ((is = IS("loss"))) c->loss = p;
        else if ((is = IS("dup"))) c->dup = p;
        else if ((is = IS("reorder"))) c->reorder = p;
        else if ((is = IS("corrupt"))) c->corrupt = p;
        else if ((is = IS("delay"))) { c->delay = delay; c->jitter = jitter; }
        else if ((is = IS("rate"))) c->rate = rate;
    }
#undef IS
    return is ? 0 : BAD("unknown flag --%s", name);
}

static int set_dir(const char *dir, char *err, size_t n)
{
    struct stat st;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return BAD("--pcap-per-conn %s: cannot create the directory: %s", dir, strerror(errno));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) return BAD("--pcap-per-conn %s: not a directory", dir);
    return 0;
}

int ts_obs_flag_set(struct ts_obs_opts *o, const struct ts_obs_flag *f, const char *v, char *err, size_t n)
{
    const char *name = f->name;
    if (strcmp(name, "pcap") == 0) {
        if (!*v) return BAD("--pcap needs a file name");
        o->pcap = v;
    } else if (strcmp(name, "pcap-per-conn") == 0) {
        if (!*v) return BAD("--pcap-per-conn needs a directory");
        if (set_dir(v, err, n) < 0) return -1;
        o->pcap_dir = v;
    } else if (strcmp(name, "trace") == 0) {
        o->trace = true;
        if (!v || strcmp(v, "text") == 0) o->trace_fmt = TS_TRACE_FMT_TEXT;
        else if (strcmp(v, "json") == 0) o->trace_fmt = TS_TRACE_FMT_JSON;
        else return BAD("--trace=%s: expected --trace, --trace=text or --trace=json", v);
    } else if (strcmp(name, "trace-file") == 0) {
        if (!*v) return BAD("--trace-file needs a file name (or - for standard output)");
        o->trace_file = v;
        o->trace = true;
    } else {
        return set_fault(o, name, v, err, n);
    }
    return 0;
}

int ts_obs_flag_apply(struct ts_obs_opts *o, const char *name, const char *eq_value, int argc, char **argv,
                      int *i, char *err, size_t n)
{
    const struct ts_obs_flag *f = ts_obs_flag_find(name);
    if (!f) return 1;
    const char *v = eq_value;
    if (!v && f->arg && !f->optional) {
        if (*i + 1 >= argc) return BAD("--%s needs a value (%s)", name, f->arg);
        v = argv[++*i];
    }
    if (v && !f->arg) return BAD("--%s takes no value; write just --%s", name, name);
    return ts_obs_flag_set(o, f, v, err, n);
}

static void line(FILE *out, const char *left, const char *help)
{
    fprintf(out, "  %-24s%s\n", left, help);
}

void ts_obs_usage(FILE *out)
{
    fprintf(out, "\nCapture and trace:\n");
    line(out, "--pcap FILE", "write every frame in and out to FILE (classic pcap: tcpdump -r FILE)");
    line(out, "--pcap-per-conn DIR", "also one pcap file per TCP conversation in DIR, named by its socket pair");
    line(out, "--trace[=text|json]", "print one line per frame, TCP state change, timer and drop (json:");
    line(out, "", "JSON lines, schema in docs/trace-json.md)");
    line(out, "--trace-file FILE", "write the trace to FILE instead of standard output");
    fprintf(out, "\nFault injection (off by default; deterministic for a given --seed; add -in or -out\n"
                 "to a flag for one direction only, e.g. --loss-in 0.1; counted in netstat -s):\n");
    line(out, "--loss P", "drop frames with probability P (0 to 1: 0.1 is 10 %)");
    line(out, "--dup P", "send a frame twice with probability P");
    line(out, "--reorder P", "hold a frame back behind the next one with probability P");
    line(out, "--corrupt P", "flip one byte past the Ethernet header with probability P");
    line(out, "--delay MS[+JITTER]", "delay every frame by MS ms plus a random 0..JITTER ms");
    line(out, "--rate BITS/S", "limit the bit rate (e.g. 10M); frames waiting over 500 ms are dropped");
}

int ts_obs_stack_new(const struct ts_config *cfg, struct ts_obs *obs, struct ts_stack **stack, char *err,
                     size_t errlen)
{
    const char *why = NULL;
    *stack = ts_stack_new(cfg, &why);
    if (!*stack) {
        snprintf(err, errlen, "cannot create the stack: %s", why ? why : "out of memory");
        return -1;
    }
    return ts_obs_attach(obs, *stack, err, errlen) < 0 ? -1 : 0;
}
