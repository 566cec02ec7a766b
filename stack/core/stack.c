/*
 * The stack object: birth, death, and the three entry points of DESIGN.md
 * (frames in, time in, frames out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/modules.h"
#include "tapstack/socket.h"
#include "core/demux.h"
#include "core/ports.h"
#include "core/sock.h"
#include "net/ip_frag.h"
#include "wire/bytes.h"
#include "wire/checksum.h"


void ts_config_default(struct ts_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
    memcpy(cfg->mac, mac, 6);
    cfg->ip = 0x0a000002;         /* 10.0.0.2 */
    cfg->prefix_len = 24;
    cfg->mtu = 1500;
    cfg->port_low = 49152;
    cfg->port_high = 65535;
}

static const char *config_fill(struct ts_config *c)
{
    if (c->mtu == 0) c->mtu = 1500;
    if (c->mtu < 576 || c->mtu > 9000) return "mtu must be 576..9000";
    if (c->prefix_len > 32) return "prefix length must be 0..32";
    if (c->ip == 0) return "an IPv4 address is required";
    if (c->mac[0] & 1) return "the MAC address must be unicast (first octet even)";
    if (c->port_low == 0 && c->port_high == 0) { c->port_low = 49152; c->port_high = 65535; }
    if (c->port_low == 0 || c->port_low > c->port_high) return "ephemeral port range must be LOW-HIGH with 1 <= LOW <= HIGH";
    if (c->tcp_msl == 0) c->tcp_msl = TS_SEC(30);
    if (c->tcp_rto_min == 0) c->tcp_rto_min = TS_MS(200);
    if (c->tcp_cc && !ts_tcp_cc_known(c->tcp_cc)) return "unknown TCP congestion controller (expected cubic, newreno or bbr)";
    if (c->tcp_max_conns == 0) c->tcp_max_conns = 65536;
    if (c->arp_cache_size == 0) c->arp_cache_size = 256;
    if (c->offload & ~(unsigned)(TS_OFFLOAD_CSUM | TS_OFFLOAD_TSO)) return "unknown offload flags";
    if ((c->offload & TS_OFFLOAD_TSO) && !(c->offload & TS_OFFLOAD_CSUM)) return "TSO needs checksum offload";
    return NULL;
}

struct ts_stack *ts_stack_new(const struct ts_config *cfg, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    *why = NULL;
    struct ts_stack *s = calloc(1, sizeof *s);
    if (!s) { *why = "out of memory"; return NULL; }
    s->cfg = *cfg;
    if ((*why = config_fill(&s->cfg))) { free(s); return NULL; }
    s->netmask = s->cfg.prefix_len ? ~0u << (32 - s->cfg.prefix_len) : 0;
    s->bcast = (s->cfg.ip & s->netmask) | ~s->netmask;
    ts_rng_seed(&s->rng, s->cfg.seed);
    s->ip_id_next = (uint16_t)ts_rng_next(&s->rng);

    /* the frame pool */
    s->frame_cap = (size_t)s->cfg.mtu + TS_ETH_HLEN;
    s->frame_stride = (sizeof(struct ts_frame) + s->frame_cap + 63) & ~(size_t)63;
    s->frames_total = s->frames_free = TS_FRAME_POOL;

    struct ts_siphash_key dk = ts_rng_key(&s->rng);
    s->demux = ts_demux_new(dk.k0, dk.k1);
    s->ports = ts_ports_new(s->cfg.port_low, s->cfg.port_high, s->cfg.port_alg, &s->rng);
    if (!s->demux || !s->ports || ts_arp_init(s) || ts_frag_init(s) || ts_udp_init(s) || ts_tcp_init(s)) {
        ts_stack_free(s);
        *why = "out of memory";
        return NULL;
    }
    s->ip_id_key = ts_rng_key(&s->rng);     /* last: the draws above keep their order */
    return s;
}

void ts_stack_shutdown(struct ts_stack *s, ts_time_t now)
{
    ts_tcp_reset_all(s, now);
}

void ts_stack_free(struct ts_stack *s)
{
    if (!s) return;
    ts_tcp_free(s);
    ts_udp_free(s);
    ts_frag_free(s);
    ts_arp_free(s);
    ts_ports_free(s->ports);
    ts_demux_free(s->demux);
    while (s->txq_head) {                /* queued frames may hold send-buffer storage by reference */
        struct ts_frame *f = s->txq_head;
        s->txq_head = f->next;
        ts_frame_free(s, f);
    }
    for (unsigned i = 0; i < TS_FRAME_POOL / TS_FRAME_CHUNK; i++) free(s->frame_chunks[i]);
    ts_frame_big_release(s);
    free(s->scratch);
    free(s);
}

uint8_t *ts_stack_scratch(struct ts_stack *s)
{
    if (!s->scratch) s->scratch = malloc(TS_SCRATCH_LEN);
    return s->scratch;
}

const struct ts_config *ts_stack_config(const struct ts_stack *s) { return &s->cfg; }

void ts_stack_memory(const struct ts_stack *s, struct ts_mem_usage *m)
{
    memset(m, 0, sizeof *m);
    ts_tcp_memory(s, &m->tcp_conns, &m->tcp_tcbs, &m->tcp_buffers);
    ts_tcp_tw_memory(s, &m->tcp_time_wait, &m->tcp_time_wait_bytes);
    m->frames = (size_t)s->frames_carved * s->frame_stride +
                (size_t)s->big_made * (sizeof(struct ts_frame) + TS_FRAME_MAX_GSO);
    m->other = sizeof *s + (s->scratch ? TS_SCRATCH_LEN : 0) + (size_t)s->cfg.arp_cache_size * 32u +
               ts_tcp_spare_memory(s);
    m->frames_in_use = s->frames_total - s->frames_free;
    m->frag_dgrams = ts_frag_in_progress(s);
    m->frag_bytes = ts_frag_mem_used(s);
    m->tcp_orphans = ts_tcp_orphans(s);
}

size_t ts_stack_shrink(struct ts_stack *s)
{
    bool quiet = s->pool_uses == s->pool_uses_seen;
    s->pool_uses_seen = s->pool_uses;
    if (!quiet) return 0;
    return ts_frame_pool_shrink(s) + ts_tcp_spare_shrink(s);
}

static void eth_input(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len);

void ts_stack_receive(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len)
{
    ts_stack_receive_info(s, now, frame, len, NULL);
}

void ts_stack_receive_info(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len,
                           const struct ts_frame_info *info)
{
    s->rx_info = info && info->flags ? info : NULL;
    eth_input(s, now, frame, len);
    s->rx_info = NULL;
}

size_t ts_stack_frame_max(const struct ts_stack *s)
{
    return (s->cfg.offload & TS_OFFLOAD_TSO) ? TS_FRAME_MAX_GSO : s->frame_cap;
}

/* The one's complement sum over [csum_start, len) already includes the pseudo-header sum that
 * the field holds. */
void ts_frame_finish_csum(uint8_t *buf, size_t len, const struct ts_frame_info *info)
{
    if (!info || !(info->flags & TS_FRAME_CSUM_PARTIAL)) return;
    size_t at = (size_t)info->csum_start + info->csum_offset;
    if (info->csum_start >= len || at + 2 > len) return;
    ts_put16(buf + at, ts_csum(buf + info->csum_start, len - info->csum_start));
}

int ts_stack_set_knob(struct ts_stack *s, const char *name, bool on)
{
    if (strcmp(name, "insecure_rst") == 0) s->cfg.tcp_insecure_rst = on;
    else if (strcmp(name, "insecure_syn") == 0) s->cfg.tcp_insecure_syn = on;
    else if (strcmp(name, "drop_synfin") == 0) s->cfg.tcp_drop_synfin = on;
    else if (strcmp(name, "rfc1337") == 0) s->cfg.tcp_rfc1337 = on;
    else return -1;
    return 0;
}

/*
 * Ethernet II input.
 *   OFFSET SIZE DESCRIPTION
 *   0      6    destination MAC
 *   6      6    source MAC
 *   12     2    EtherType (0x0800 IPv4, 0x0806 ARP)
 *   14     ...  payload
 */
static void eth_input(struct ts_stack *s, ts_time_t now, const uint8_t *frame, size_t len)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    TS_COUNT(s, eth, rx_frames);
    if (s->cfg.trace) {
        struct ts_trace_event ev = { .kind = TS_TRACE_FRAME_IN, .now = now, .frame = frame, .len = len,
                                     .info = s->rx_info };
        s->cfg.trace(s->cfg.trace_arg, &ev);
    }
    if (len < TS_ETH_HLEN) { TS_DROP(s, now, eth, drop_short, frame, len); return; }
    if (memcmp(frame, s->cfg.mac, 6) != 0 && memcmp(frame, bcast, 6) != 0) {
        TS_DROP(s, now, eth, drop_not_for_us, frame, len);
        return;
    }
    uint16_t type = ts_get16(frame + 12);
    if (type == 0x0800) ts_ipv4_input(s, now, frame + TS_ETH_HLEN, len - TS_ETH_HLEN);
    else if (type == 0x0806) ts_arp_input(s, now, frame + TS_ETH_HLEN, len - TS_ETH_HLEN);
    else TS_DROP(s, now, eth, drop_unknown_type, frame, len);
}

size_t ts_stack_transmit(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap)
{
    struct ts_frame_info info;
    size_t n = ts_stack_transmit_info(s, now, buf, cap, &info);
    if (n) ts_frame_finish_csum(buf, n, &info);
    return n;
}

/* Take the next frame off the transmit queue if it fits cap (counted and traced), or NULL. */
static struct ts_frame *tx_pop(struct ts_stack *s, ts_time_t now, size_t cap)
{
    struct ts_frame *f;
    for (;;) {
        if (!s->txq_head) ts_tcp_output_resume(s, now);
        f = s->txq_head;
        if (!f) return NULL;
        if (!f->dead && f->len + f->ext_len > cap) return NULL;  /* contract: cap >= ts_stack_frame_max */
        s->txq_head = f->next;
        if (!s->txq_head) s->txq_tail = NULL;
        s->txq_len--;
        s->txq_popped++;
        f->next = NULL;
        if (!f->dead) break;
        f->dead = false;                 /* withdrawn (a pure ACK said again by a later one) */
        ts_frame_free(s, f);
    }
    TS_COUNT(s, eth, tx_frames);
    if (s->cfg.trace) {
        struct ts_trace_event ev = { .kind = TS_TRACE_FRAME_OUT, .now = now, .frame = f->data, .len = f->len,
                                     .info = f->info.flags ? &f->info : NULL };
        s->cfg.trace(s->cfg.trace_arg, &ev);
    }
    return f;
}

size_t ts_stack_transmit_info(struct ts_stack *s, ts_time_t now, uint8_t *buf, size_t cap,
                              struct ts_frame_info *info)
{
    struct ts_frame *f = tx_pop(s, now, cap);
    if (!f) return 0;
    size_t n = f->len;
    memcpy(buf, f->data, n);
    if (f->ext_len) memcpy(buf + n, f->ext_data, f->ext_len);   /* a gathered payload, made whole */
    n += f->ext_len;
    *info = f->info;
    ts_frame_free(s, f);
    return n;
}

const struct ts_tx *ts_stack_tx_take(struct ts_stack *s, ts_time_t now, const uint8_t **frame, size_t *len,
                                     struct ts_frame_info *info)
{
    struct ts_frame *f = tx_pop(s, now, SIZE_MAX);
    if (!f) return NULL;
    *frame = f->data;
    *len = f->len;
    *info = f->info;
    return (const struct ts_tx *)f;
}

void ts_stack_set_tx_gather(struct ts_stack *s, bool on) { s->tx_gather = on; }

void ts_stack_set_tx_pull(struct ts_stack *s, bool on) { s->tx_pull = on; }

void ts_stack_tx_ext(const struct ts_tx *tx, const uint8_t **ext, size_t *ext_len)
{
    const struct ts_frame *f = (const struct ts_frame *)(const void *)tx;
    *ext = f->ext_data;
    *ext_len = f->ext_len;
}

void ts_stack_tx_done(struct ts_stack *s, const struct ts_tx *tx)
{
    ts_frame_free(s, (struct ts_frame *)(uintptr_t)tx);
}

bool ts_stack_tx_starved(const struct ts_stack *s) { return ts_tcp_output_blocked(s); }

void ts_stack_poll(struct ts_stack *s, ts_time_t now)
{
    ts_arp_poll(s, now);
    ts_frag_poll(s, now);
    ts_tcp_poll(s, now);
}

ts_time_t ts_stack_poll_at(const struct ts_stack *s)
{
    ts_time_t t = ts_arp_poll_at(s);
    ts_time_t u = ts_frag_poll_at(s);
    if (u < t) t = u;
    u = ts_tcp_poll_at(s);
    if (u < t) t = u;
    return t;
}

char *ts_ip_str(uint32_t ip, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

bool ts_ip_parse(const char *text, uint32_t *ip)
{
    uint32_t v = 0;
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9') return false;
        unsigned n = 0, digits = 0;
        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || n > 255) return false;
        }
        v = (v << 8) | n;
        if (i < 3 && *p++ != '.') return false;
    }
    if (*p) return false;
    *ip = v;
    return true;
}
