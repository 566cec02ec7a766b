/*
 * TCP header view: parse, options, emit, checksum. See tcp.h.
 */
#include <string.h>
#include "wire/tcp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

/*
 * OFFSET  SIZE  DESCRIPTION
 *   0      2    source port
 *   2      2    destination port
 *   4      4    sequence number
 *   8      4    acknowledgment number
 *  12      1    data offset (high 4 bits, in 32-bit words); low 4 bits reserved
 *  13      1    control bits: CWR ECE URG ACK PSH RST SYN FIN
 *  14      2    window
 *  16      2    checksum (over the pseudo-header, header and data)
 *  18      2    urgent pointer
 *  20     ..    options, (data offset * 4 - 20) bytes; then data
 */
int ts_tcp_parse(const uint8_t *seg, size_t len, struct ts_tcp_hdr *h)
{
    if (len < TS_TCP_HLEN) return -1;
    h->sport = ts_get16(seg + 0);
    h->dport = ts_get16(seg + 2);
    h->seq = ts_get32(seg + 4);
    h->ack = ts_get32(seg + 8);
    h->hlen = (uint8_t)((seg[12] >> 4) * 4);
    h->flags = seg[13];
    h->wnd = ts_get16(seg + 14);
    h->csum = ts_get16(seg + 16);
    h->urp = ts_get16(seg + 18);
    if (h->hlen < TS_TCP_HLEN || h->hlen > len) return -2;
    return 0;
}

/*
 * Options (RFC 9293 §3.2): kind 0 (end) and 1 (no-op) are one byte; every other kind is
 *   OFFSET SIZE DESCRIPTION
 *     0     1   kind
 *     1     1   length of the whole option, kind and length bytes included (>= 2)
 *     2    ..   value: MSS 2 bytes (len 4), window shift 1 byte (len 3), SACK-permitted none
 *               (len 2), timestamps TSval 4 + TSecr 4 (len 10), SACK n blocks of left 4 +
 *               right 4 (len 2 + 8n, n = 1..4)
 */
void ts_tcp_parse_opts(const uint8_t *opt, size_t len, struct ts_tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    /* RFC 7323 Appendix A's layout (NOP, NOP, timestamps), what every segment of a connection
     * with timestamps and nothing to SACK carries, ours and Linux's: read at once, as the loop
     * below would (each received and each captured segment comes here: issue 19) */
    if (len == 12 && opt[0] == TS_TCPOPT_NOP && opt[1] == TS_TCPOPT_NOP && opt[2] == TS_TCPOPT_TIMESTAMP &&
        opt[3] == 10) {
        o->has_ts = true;
        o->ts_val = ts_get32(opt + 4);
        o->ts_ecr = ts_get32(opt + 8);
        return;
    }
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == TS_TCPOPT_EOL) return;
        if (kind == TS_TCPOPT_NOP) { i++; continue; }
        if (i + 1 >= len) return;             /* no room for the length byte */
        uint8_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i) return; /* malformed: stop, never loop */
        const uint8_t *v = opt + i + 2;
        switch (kind) {
        case TS_TCPOPT_MSS:
            if (olen == 4) { o->has_mss = true; o->mss = ts_get16(v); }
            break;
        case TS_TCPOPT_WSCALE:
            if (olen == 3) { o->has_wscale = true; o->wscale = v[0]; }
            break;
        case TS_TCPOPT_SACK_PERM:
            if (olen == 2) o->sack_ok = true;
            break;
        case TS_TCPOPT_SACK:
            if (olen >= 10 && (olen - 2) % 8 == 0) {
                for (unsigned k = 0; k < (olen - 2u) / 8 && o->nsack < TS_TCP_SACK_MAX; k++) {
                    o->sack[o->nsack][0] = ts_get32(v + 8 * k);
                    o->sack[o->nsack][1] = ts_get32(v + 8 * k + 4);
                    o->nsack++;
                }
            }
            break;
        case TS_TCPOPT_TIMESTAMP:
            if (olen == 10) { o->has_ts = true; o->ts_val = ts_get32(v); o->ts_ecr = ts_get32(v + 4); }
            break;
        default:
            break;
        }
        i += olen;
    }
}

size_t ts_tcp_emit(uint8_t *p, const struct ts_tcp_hdr *h, const struct ts_tcp_opts *o)
{
    size_t n = TS_TCP_HLEN;
    if (o) {
        if (o->has_mss) {
            p[n] = TS_TCPOPT_MSS; p[n + 1] = 4; ts_put16(p + n + 2, o->mss); n += 4;
        }
        if (o->has_wscale) {
            p[n] = TS_TCPOPT_NOP; p[n + 1] = TS_TCPOPT_WSCALE; p[n + 2] = 3; p[n + 3] = o->wscale; n += 4;
        }
        if (o->sack_ok && o->has_ts) {          /* SACK-permitted fills the timestamp's padding */
            p[n] = TS_TCPOPT_SACK_PERM; p[n + 1] = 2; n += 2;
        } else if (o->sack_ok) {
            p[n] = TS_TCPOPT_NOP; p[n + 1] = TS_TCPOPT_NOP; p[n + 2] = TS_TCPOPT_SACK_PERM; p[n + 3] = 2;
            n += 4;
        } else if (o->has_ts) {
            p[n] = TS_TCPOPT_NOP; p[n + 1] = TS_TCPOPT_NOP; n += 2;
        }
        if (o->has_ts) {                        /* RFC 7323 §3: kind 8, length 10 */
            p[n] = TS_TCPOPT_TIMESTAMP; p[n + 1] = 10;
            ts_put32(p + n + 2, o->ts_val);
            ts_put32(p + n + 6, o->ts_ecr);
            n += 10;
        }
        if (o->nsack) {
            unsigned max = o->has_ts ? TS_TCP_SACK_MAX_TS : TS_TCP_SACK_MAX;
            unsigned k = o->nsack > max ? max : o->nsack;
            p[n] = TS_TCPOPT_NOP; p[n + 1] = TS_TCPOPT_NOP; p[n + 2] = TS_TCPOPT_SACK;
            p[n + 3] = (uint8_t)(2 + 8 * k);
            n += 4;
            for (unsigned i = 0; i < k; i++, n += 8) {
                ts_put32(p + n, o->sack[i][0]);
                ts_put32(p + n + 4, o->sack[i][1]);
            }
        }
    }
    ts_put16(p + 0, h->sport);
    ts_put16(p + 2, h->dport);
    ts_put32(p + 4, h->seq);
    ts_put32(p + 8, h->ack);
    p[12] = (uint8_t)((n / 4) << 4);
    p[13] = h->flags;
    ts_put16(p + 14, h->wnd);
    ts_put16(p + 16, 0);
    ts_put16(p + 18, h->urp);
    return n;
}

void ts_tcp_fill_csum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
    ts_put16(seg + 16, 0);
    uint32_t sum = ts_csum_pseudo(src, dst, 6, (uint16_t)len);
    ts_put16(seg + 16, ts_csum_finish(ts_csum_add(sum, seg, len)));
}

void ts_tcp_fill_csum_gather(uint8_t *seg, size_t hlen, const uint8_t *payload, size_t plen, uint32_t src,
                             uint32_t dst)
{
    ts_put16(seg + 16, 0);
    uint32_t sum = ts_csum_pseudo(src, dst, 6, (uint16_t)(hlen + plen));
    sum = ts_csum_add(sum, seg, hlen);        /* hlen is even (a multiple of 4): the sums chain */
    if (plen) sum = ts_csum_add(sum, payload, plen);
    ts_put16(seg + 16, ts_csum_finish(sum));
}

bool ts_tcp_csum_ok(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
    uint32_t sum = ts_csum_pseudo(src, dst, 6, (uint16_t)len);
    return ts_csum_finish(ts_csum_add(sum, seg, len)) == 0;
}
