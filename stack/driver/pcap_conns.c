/*
 * One pcap file per TCP conversation (contract in pcap.h).
 *
 * Conversations live in an open-addressing hash table keyed by the unordered socket pair. At most
 * CONNS_OPEN_MAX files are open at once; the least recently written is closed and later reopened
 * in append mode, so any number of conversations can be captured with a bounded number of fds.
 */
#include "driver/pcap.h"

#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"

#define CONNS_OPEN_MAX 32u
#define CONNS_DEFAULT_MAX 4096u

struct conn_key {
    uint32_t a_ip, b_ip;       /* a is the side named first in the file name */
    uint16_t a_port, b_port;
};

struct conn {
    bool used;
    struct conn_key k;
    struct ts_pcap_writer *w;  /* NULL while closed */
    uint64_t last_use;
};

struct ts_pcap_conns {
    char *dir;
    unsigned max_files, nfiles, nopen;
    unsigned nslots;           /* power of two, >= 2 * max_files */
    uint64_t tick;
    bool failed;
    struct conn *slots;
};

/*
 * What we read of a frame to find its conversation:
 *   Ethernet: OFFSET 12 SIZE 2 ethertype (0x0800 IPv4)
 *   IPv4:     OFFSET 0 SIZE 1 version/IHL; 2 SIZE 2 total length; 6 SIZE 2 flags/fragment offset;
 *             9 SIZE 1 protocol (6 TCP); 12 SIZE 4 source; 16 SIZE 4 destination
 *   TCP:      OFFSET 0 SIZE 2 source port; 2 SIZE 2 destination port; 13 SIZE 1 flags
 */
struct seg_pair {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t flags;
};

static bool parse_pair(const uint8_t *f, size_t len, struct seg_pair *p)
{
    if (len < 14 + 20 || ts_get16(f + 12) != 0x0800) return false;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6) return false;
    if ((ts_get16(ip + 6) & 0x1fff) != 0) return false;     /* not the first fragment */
    if (len < 14 + ihl + 14) return false;
    const uint8_t *tcp = ip + ihl;
    p->src = ts_get32(ip + 12);
    p->dst = ts_get32(ip + 16);
    p->sport = ts_get16(tcp);
    p->dport = ts_get16(tcp + 2);
    p->flags = tcp[13];
    return true;
}

/* Order the pair: the SYN (without ACK) sender first; else the higher port (the likely client). */
static struct conn_key key_of(const struct seg_pair *p)
{
    bool src_first;
    if ((p->flags & 0x12) == 0x02) src_first = true;
    else if ((p->flags & 0x12) == 0x12) src_first = false;
    else if (p->sport != p->dport) src_first = p->sport > p->dport;
    else src_first = p->src > p->dst;
    struct conn_key k;
    if (src_first) {
        k = (struct conn_key){ p->src, p->dst, p->sport, p->dport };
    } else {
        k = (struct conn_key){ p->dst, p->src, p->dport, p->sport };
    }
    return k;
}

static bool same_pair(const struct conn_key *x, const struct conn_key *y)
{
    if (x->a_ip == y->a_ip && x->a_port == y->a_port && x->b_ip == y->b_ip && x->b_port == y->b_port)
        return true;
    return x->a_ip == y->b_ip && x->a_port == y->b_port && x->b_ip == y->a_ip && x->b_port == y->a_port;
}

static uint32_t hash_pair(const struct conn_key *k)
{
    /* symmetric in the two sides so that either direction finds the slot */
    uint32_t ha = k->a_ip * 2654435761u ^ k->a_port * 40503u;
    uint32_t hb = k->b_ip * 2654435761u ^ k->b_port * 40503u;
    uint32_t h = ha + hb;
    return h ^ (h >> 15);
}

static void ipstr(uint32_t ip, char *b, size_t cap)
{
    snprintf(b, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void name_of(const struct conn_key *k, char *buf, size_t cap)
{
    char a[16], b[16];
    ipstr(k->a_ip, a, sizeof a);
    ipstr(k->b_ip, b, sizeof b);
    snprintf(buf, cap, "%s_%u-%s_%u.pcap", a, k->a_port, b, k->b_port);
}

bool ts_pcap_conn_name(const uint8_t *frame, size_t len, char *buf, size_t cap)
{
    struct seg_pair p;
    if (!parse_pair(frame, len, &p)) return false;
    struct conn_key k = key_of(&p);
    name_of(&k, buf, cap);
    return true;
}

struct ts_pcap_conns *ts_pcap_conns_new(const char *dir, unsigned max_files)
{
    struct ts_pcap_conns *pc = calloc(1, sizeof *pc);
    if (!pc) return NULL;
    pc->max_files = max_files ? max_files : CONNS_DEFAULT_MAX;
    pc->nslots = 16;
    while (pc->nslots < 2 * pc->max_files) pc->nslots *= 2;
    pc->slots = calloc(pc->nslots, sizeof *pc->slots);
    pc->dir = strdup(dir);
    if (!pc->slots || !pc->dir) {
        free(pc->slots);
        free(pc->dir);
        free(pc);
        return NULL;
    }
    return pc;
}

/* Find the slot of k, or the empty slot where it would go (NULL if the table is full). */
static struct conn *lookup(struct ts_pcap_conns *pc, const struct conn_key *k)
{
    uint32_t mask = pc->nslots - 1, i = hash_pair(k) & mask;
    for (unsigned n = 0; n < pc->nslots; n++, i = (i + 1) & mask) {
        struct conn *c = &pc->slots[i];
        if (!c->used || same_pair(&c->k, k)) return c;
    }
    return NULL;
}

static void close_lru(struct ts_pcap_conns *pc)
{
    struct conn *old = NULL;
    for (unsigned i = 0; i < pc->nslots; i++) {
        struct conn *c = &pc->slots[i];
        if (c->used && c->w && (!old || c->last_use < old->last_use)) old = c;
    }
    if (!old) return;
    if (ts_pcap_close(old->w) < 0) pc->failed = true;
    old->w = NULL;
    pc->nopen--;
}

/* Open (create, or reopen to append) the file of conversation c. */
static int open_conn(struct ts_pcap_conns *pc, struct conn *c, bool create)
{
    char name[64], path[4096];
    name_of(&c->k, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", pc->dir, name);
    if (pc->nopen >= CONNS_OPEN_MAX) close_lru(pc);
    if (create) {
        c->w = ts_pcap_open(path);
    } else {
        FILE *f = fopen(path, "ab");
        c->w = f ? ts_pcap_open_stream(f, true, false) : NULL;
        if (f && !c->w) fclose(f);
    }
    if (!c->w) return -1;
    pc->nopen++;
    return 0;
}

int ts_pcap_conns_write(struct ts_pcap_conns *pc, ts_time_t t, const uint8_t *frame, size_t len)
{
    struct seg_pair p;
    if (!parse_pair(frame, len, &p)) return 0;
    struct conn_key k = key_of(&p);
    struct conn *c = lookup(pc, &k);
    if (!c) return 0;
    if (!c->used) {
        if (pc->nfiles >= pc->max_files) return 0;     /* bound reached: not captured */
        c->used = true;
        c->k = k;
        pc->nfiles++;
        if (open_conn(pc, c, true) < 0) {
            pc->failed = true;
            return -1;
        }
    } else if (!c->w && open_conn(pc, c, false) < 0) {
        pc->failed = true;
        return -1;
    }
    c->last_use = ++pc->tick;
    if (ts_pcap_write(c->w, t, frame, len) < 0) {
        pc->failed = true;
        return -1;
    }
    return 0;
}

unsigned ts_pcap_conns_files(const struct ts_pcap_conns *pc) { return pc->nfiles; }

int ts_pcap_conns_close(struct ts_pcap_conns *pc)
{
    if (!pc) return 0;
    int rc = pc->failed ? -1 : 0;
    for (unsigned i = 0; i < pc->nslots; i++) {
        if (pc->slots[i].w && ts_pcap_close(pc->slots[i].w) < 0) rc = -1;
    }
    free(pc->slots);
    free(pc->dir);
    free(pc);
    return rc;
}
