/*
 * `tapstack plot CAPTURE.pcap [-o DIR] [--conn PAIR]`: the pictures of each TCP conversation of a
 * capture (ours or tcpdump's), as SVG files: STEM.seq.svg (time-sequence graph) and
 * STEM.ladder.svg (sequence diagram), STEM named as --pcap-per-conn names its files
 * (10.0.0.1_43210-10.0.0.2_80). One line per file written on stdout.
 *
 * The drawing is stack/plot (pure); this file reads the capture and writes the files.
 * Exit: 0 done; 1 the capture could not be read (not a pcap, truncated: what was read before the
 * bad record is drawn), has no TCP, or a file could not be written; 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "driver/pcap.h"
#include "plot/plot.h"

#define PLOT_SVG_MAX (64u << 20)     /* bound on one picture's text */

struct plot_args {
    const char *file, *dir, *conn;
};

static void plot_usage(FILE *out)
{
    fprintf(out, "usage: tapstack plot CAPTURE.pcap [-o DIR] [--conn PAIR]\n\n"
                 "Draw each TCP conversation of a capture (classic pcap: ours, tcpdump's, Ethernet, Linux\n"
                 "cooked, raw IP) as two SVG pictures, named as --pcap-per-conn names its files:\n"
                 "  STEM.seq.svg     time-sequence graph: sequence offset over time, one panel per direction;\n"
                 "                   data, retransmissions, the ACK line, the window's right edge, SACK\n"
                 "                   blocks, zero-window probes and RTOs marked\n"
                 "  STEM.ladder.svg  sequence diagram: the two endpoints, one arrow per segment, state changes\n\n"
                 "  -o, --out DIR    write the pictures into DIR (made if missing; default: the current directory)\n"
                 "  --conn PAIR      only this conversation, e.g. 10.0.0.1_43210-10.0.0.2_80 (either order)\n\n"
                 "Example: tapstack plot run.pcap -o pictures --conn 10.0.0.1_43210-10.0.0.2_80\n");
}

static int parse_args(int argc, char **argv, struct plot_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) return 1;
        if (strcmp(s, "-o") == 0 || strcmp(s, "--out") == 0 || strcmp(s, "--conn") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tapstack plot: %s needs a value (tapstack plot --help)\n", s);
                return -1;
            }
            if (strcmp(s, "--conn") == 0) a->conn = argv[++i];
            else a->dir = argv[++i];
        } else if (strncmp(s, "--out=", 6) == 0) {
            a->dir = s + 6;
        } else if (strncmp(s, "--conn=", 7) == 0) {
            a->conn = s + 7;
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "tapstack plot: unknown flag '%s' (tapstack plot --help)\n", s);
            return -1;
        } else if (a->file) {
            fprintf(stderr, "tapstack plot: one capture at a time ('%s' and '%s')\n", a->file, s);
            return -1;
        } else {
            a->file = s;
        }
    }
    if (!a->file) {
        fprintf(stderr, "tapstack plot: which capture? give a CAPTURE.pcap (tapstack plot --help)\n");
        return -1;
    }
    uint32_t ip[2];
    uint16_t port[2];
    if (a->conn && !ts_plot_parse_pair(a->conn, ip, port)) {
        fprintf(stderr, "tapstack plot: --conn '%s': expected A.B.C.D_PORT-E.F.G.H_PORT, as the per-connection "
                        "pcap files are named\n", a->conn);
        return -1;
    }
    if (!a->dir) a->dir = ".";
    return 0;
}

/* Read every record into convs. Returns 0, or 1 when reading stopped at a bad record (what was
 * read is kept), -1 when nothing could be read. */
static int read_capture(const char *file, struct ts_plot_convs *convs)
{
    char err[256];
    struct ts_pcap_reader *r = ts_pcap_reader_open(file, err, sizeof err);
    if (!r) {
        fprintf(stderr, "tapstack plot: %s: %s\n", file, err);
        return -1;
    }
    uint32_t link = ts_pcap_reader_linktype(r);
    if (!ts_plot_link_ok(link)) {
        fprintf(stderr, "tapstack plot: %s: link type %u is not one plot reads (Ethernet, Linux cooked, raw IP, "
                        "BSD loopback)\n", file, link);
        ts_pcap_reader_close(r);
        return -1;
    }
    struct ts_pcap_rec rec;
    int k, rc = 0;
    while ((k = ts_pcap_read(r, &rec, err, sizeof err)) == 1) ts_plot_convs_add(convs, link, rec.t, rec.data, rec.incl_len);
    if (k < 0) {
        fprintf(stderr, "tapstack plot: %s: %s; drawing the %llu records before it\n", file, err,
                (unsigned long long)convs->frames);
        rc = 1;
    }
    ts_pcap_reader_close(r);
    if (convs->dropped)
        fprintf(stderr, "tapstack plot: %s: %llu segments past the bound of %zu were not drawn\n", file,
                (unsigned long long)convs->dropped, convs->max_segs);
    return rc;
}

static int write_file(const char *path, const struct ts_nsbuf *b)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tapstack plot: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = b->data ? fwrite(b->data, 1, b->len, f) : 0;
    int bad = n != b->len || ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "tapstack plot: writing %s failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Draw both pictures of one conversation into dir. Returns 0 or -1. */
static int plot_conv(const struct ts_plot_conv *cv, const char *dir)
{
    static const struct { const char *ext, *what; int (*draw)(const struct ts_plot_conv *, struct ts_nsbuf *); } pics[] = {
        { "seq.svg", "time-sequence graph", ts_plot_seq_svg },
        { "ladder.svg", "sequence diagram", ts_plot_ladder_svg },
    };
    char stem[64];
    ts_plot_conv_stem(cv, stem, sizeof stem);
    for (size_t i = 0; i < sizeof pics / sizeof pics[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.%s", dir, stem, pics[i].ext);
        struct ts_nsbuf b;
        ts_nsbuf_init(&b, PLOT_SVG_MAX);
        int r = pics[i].draw(cv, &b);
        if (r < 0) fprintf(stderr, "tapstack plot: %s: the picture did not fit in %u MiB or memory ran out\n", path,
                           PLOT_SVG_MAX >> 20);
        if (r == 0) r = write_file(path, &b);
        ts_nsbuf_free(&b);
        if (r < 0) return -1;
        printf("%s  %s, %zu segments\n", path, pics[i].what, cv->nsegs);
    }
    return 0;
}

static int ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        fprintf(stderr, "tapstack plot: -o %s: not a directory\n", dir);
        return -1;
    }
    if (mkdir(dir, 0777) == 0) return 0;
    fprintf(stderr, "tapstack plot: -o %s: cannot make the directory: %s\n", dir, strerror(errno));
    return -1;
}

static void list_convs(const struct ts_plot_convs *c)
{
    fprintf(stderr, "its conversations:");
    for (size_t i = 0; i < c->n && i < 10; i++) {
        char stem[64];
        ts_plot_conv_stem(&c->v[i], stem, sizeof stem);
        fprintf(stderr, " %s", stem);
    }
    fprintf(stderr, c->n > 10 ? " ... (%zu in all)\n" : "\n", c->n);
}

int ts_cmd_plot(int argc, char **argv)
{
    struct plot_args a = { 0 };
    int p = parse_args(argc, argv, &a);
    if (p == 1) {
        plot_usage(stdout);
        return TS_EXIT_OK;
    }
    if (p < 0) return TS_EXIT_USAGE;
    struct ts_plot_convs convs;
    ts_plot_convs_init(&convs, 0);
    int rc = read_capture(a.file, &convs);
    int status = rc == 0 ? TS_EXIT_OK : TS_EXIT_FAIL;
    if (rc >= 0 && convs.n == 0) {
        fprintf(stderr, "tapstack plot: %s: no IPv4 TCP segment in its %llu frames (%llu not IPv4, %llu not TCP, "
                        "%llu fragments, %llu malformed)\n", a.file, (unsigned long long)convs.frames,
                (unsigned long long)convs.not_ipv4, (unsigned long long)convs.not_tcp,
                (unsigned long long)convs.fragments, (unsigned long long)convs.bad);
        status = TS_EXIT_FAIL;
    } else if (rc >= 0) {
        const struct ts_plot_conv *only = a.conn ? ts_plot_convs_find(&convs, a.conn) : NULL;
        if (a.conn && !only) {
            fprintf(stderr, "tapstack plot: %s: no conversation %s; ", a.file, a.conn);
            list_convs(&convs);
            status = TS_EXIT_FAIL;
        } else if (ensure_dir(a.dir) < 0) {
            status = TS_EXIT_FAIL;
        } else {
            for (size_t i = 0; i < convs.n; i++) {
                if (only && &convs.v[i] != only) continue;
                if (plot_conv(&convs.v[i], a.dir) < 0) {
                    status = TS_EXIT_FAIL;
                    break;
                }
            }
        }
    }
    ts_plot_convs_free(&convs);
    return status;
}
