/*
 * pktscript: the parser (text -> struct pks_script). The syntax is described in pktscript.h.
 */
#include "pktscript.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tapstack/socket.h"

/* A cursor over one line. err is set at the first problem; later calls do nothing. */
struct cur {
    const char *p;
    char err[200];
    char **skip;        /* where a knob we lack is reported */
};

static void fail(struct cur *c, const char *fmt, ...)
{
    if (c->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

static void skip_ws(struct cur *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r') c->p++;
}

static bool at_end(struct cur *c)
{
    skip_ws(c);
    return *c->p == 0;
}

static bool accept_ch(struct cur *c, char ch)
{
    skip_ws(c);
    if (*c->p != ch) return false;
    c->p++;
    return true;
}

static void expect_ch(struct cur *c, char ch)
{
    if (!accept_ch(c, ch)) fail(c, "expected '%c' at \"%.20s\"", ch, c->p);
}

/* An identifier: letters, digits, '_', '.' (for counter names). Returns its length (0: none). */
static size_t ident(struct cur *c, char *out, size_t cap)
{
    skip_ws(c);
    size_t n = 0;
    while (isalnum((unsigned char)c->p[n]) || c->p[n] == '_' ||
           (n > 0 && c->p[n] == '.'))
        n++;
    if (n == 0 || n >= cap) return 0;
    memcpy(out, c->p, n);
    out[n] = 0;
    c->p += n;
    return n;
}

static bool peek_word(struct cur *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    return strncmp(c->p, w, n) == 0 && !isalnum((unsigned char)c->p[n]) && c->p[n] != '_';
}

static bool accept_word(struct cur *c, const char *w)
{
    if (!peek_word(c, w)) return false;
    c->p += strlen(w);
    return true;
}

/* An unsigned number (decimal or 0x hex) up to max, or "*" if any_ok. */
static uint64_t number(struct cur *c, uint64_t max, bool any_ok)
{
    skip_ws(c);
    if (any_ok && *c->p == '*') { c->p++; return PKS_ANY; }
    if (!isdigit((unsigned char)*c->p)) { fail(c, "expected a number at \"%.20s\"", c->p); return 0; }
    char *end;
    unsigned long long v = strtoull(c->p, &end, 0);
    c->p = end;
    if (v > max) fail(c, "number %llu too large (max %llu)", v, (unsigned long long)max);
    return v;
}

/* Seconds with up to 6 decimals -> microseconds. */
static int64_t seconds(struct cur *c)
{
    skip_ws(c);
    int64_t whole = 0, frac = 0, scale = 1000000;
    bool any = false;
    while (isdigit((unsigned char)*c->p)) { whole = whole * 10 + (*c->p++ - '0'); any = true; }
    if (*c->p == '.') {
        c->p++;
        while (isdigit((unsigned char)*c->p)) {
            if (scale > 1) { scale /= 10; frac += (*c->p - '0') * scale; }
            c->p++;
            any = true;
        }
    }
    if (!any) fail(c, "expected a time at \"%.20s\"", c->p);
    if (whole > 1000000) fail(c, "time too large");
    return whole * 1000000 + frac;
}

/* A quoted string with \n \r \t \\ \" escapes; malloc'd. */
static char *quoted(struct cur *c, size_t *len)
{
    skip_ws(c);
    if (*c->p != '"') { fail(c, "expected a string"); return NULL; }
    c->p++;
    size_t cap = strlen(c->p) + 1, n = 0;
    char *s = malloc(cap);
    if (!s) { fail(c, "out of memory"); return NULL; }
    while (*c->p && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\' && *c->p) {
            ch = *c->p++;
            ch = ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 't' ? '\t' : ch == '0' ? '\0' : ch;
        }
        s[n++] = ch;
    }
    if (*c->p != '"') fail(c, "unterminated string");
    else c->p++;
    s[n] = 0;
    *len = n;
    return s;
}

static int err_code(const char *name) { return pks_err_code(name); }

/* ---- segments ---- */

static uint8_t parse_flags(struct cur *c, uint8_t *maybe)
{
    skip_ws(c);
    uint8_t f = 0, last = 0;
    const char *start = c->p;
    for (; *c->p && *c->p != ' ' && *c->p != '\t'; c->p++) {
        uint8_t before = f;
        if (*c->p == '?') {
            if (!last) { fail(c, "'?' must follow a flag"); return 0; }
            f &= (uint8_t)~last;
            *maybe |= last;
            last = 0;
            continue;
        }
        switch (*c->p) {
        case 'S': f |= FRM_SYN; break;
        case 'F': f |= FRM_FIN; break;
        case 'P': f |= FRM_PSH; break;
        case 'p': *maybe |= FRM_PSH; break; /* same as "P?" */
        case 'R': f |= FRM_RST; break;
        case '.': f |= FRM_ACK; break;
        case 'U': f |= FRM_URG; break;
        case 'E': f |= FRM_ECE; break;
        case 'W': f |= FRM_CWR; break;
        case '-': break;
        default: fail(c, "unknown flag '%c'", *c->p); return 0;
        }
        last = f & (uint8_t)~before;
    }
    if (c->p == start) fail(c, "expected flags");
    return f;
}

static void hex_bytes(struct cur *c, struct pks_opt *o)
{
    skip_ws(c);
    while (isxdigit((unsigned char)c->p[0]) && isxdigit((unsigned char)c->p[1])) {
        if (o->raw_len >= sizeof o->raw) { fail(c, "raw option too long"); return; }
        char hx[3] = {c->p[0], c->p[1], 0};
        o->raw[o->raw_len++] = (uint8_t)strtoul(hx, NULL, 16);
        c->p += 2;
        skip_ws(c);
    }
    if (o->raw_len == 0) fail(c, "raw needs hex bytes");
}

static void parse_one_opt(struct cur *c, struct pks_opt *o)
{
    memset(o, 0, sizeof *o);
    skip_ws(c);
    if (strncmp(c->p, "...", 3) == 0) { c->p += 3; o->kind = PKS_O_REST; return; }
    if (accept_word(c, "mss")) { o->kind = PKS_O_MSS; o->v[0] = number(c, 65535, true); o->nv = 1; }
    else if (accept_word(c, "wscale")) { o->kind = PKS_O_WS; o->v[0] = number(c, 255, true); o->nv = 1; }
    else if (accept_word(c, "sackOK")) o->kind = PKS_O_SACKOK;
    else if (accept_word(c, "nop")) o->kind = PKS_O_NOP;
    else if (accept_word(c, "eol")) o->kind = PKS_O_EOL;
    else if (accept_word(c, "TS")) {
        o->kind = PKS_O_TS;
        if (!accept_word(c, "val")) fail(c, "TS needs 'val'");
        o->v[0] = number(c, UINT32_MAX, true);
        if (!accept_word(c, "ecr")) fail(c, "TS needs 'ecr'");
        o->v[1] = number(c, UINT32_MAX, true);
        o->nv = 2;
    } else if (accept_word(c, "sack")) {
        o->kind = PKS_O_SACK;
        while (!c->err[0] && (skip_ws(c), isdigit((unsigned char)*c->p) || *c->p == '*') && o->nv < 8) {
            o->v[o->nv++] = number(c, UINT32_MAX, true);
            expect_ch(c, ':');
            o->v[o->nv++] = number(c, UINT32_MAX, true);
        }
        if (o->nv == 0) fail(c, "sack needs blocks");
    } else if (accept_word(c, "raw")) { o->kind = PKS_O_RAW; hex_bytes(c, o); }
    else fail(c, "unknown option at \"%.20s\"", c->p);
}

static void parse_opts(struct cur *c, struct pks_seg *s)
{
    /* '<' already consumed */
    skip_ws(c);
    if (strncmp(c->p, "...", 3) == 0) {
        c->p += 3;
        expect_ch(c, '>');
        return; /* any options: has_opts stays false */
    }
    s->has_opts = true;
    if (accept_ch(c, '>')) return;
    do {
        if (s->n_opts >= sizeof s->opts / sizeof s->opts[0]) { fail(c, "too many options"); return; }
        parse_one_opt(c, &s->opts[s->n_opts++]);
    } while (!c->err[0] && accept_ch(c, ','));
    expect_ch(c, '>');
}

static void parse_seg(struct cur *c, struct pks_seg *s, bool inbound)
{
    memset(s, 0, sizeof *s);
    s->flags = parse_flags(c, &s->flags_opt);
    if (inbound && s->flags_opt) fail(c, "optional flags ('p', 'X?') only in expected segments");
    skip_ws(c);
    if (*c->p == '*') { c->p++; s->seq_any = true; }
    else {
        uint32_t seq = (uint32_t)number(c, UINT32_MAX, false);
        expect_ch(c, ':');
        uint32_t end = (uint32_t)number(c, UINT32_MAX, false);
        expect_ch(c, '(');
        uint32_t len = (uint32_t)number(c, 65535, false);
        expect_ch(c, ')');
        if (!c->err[0] && (uint32_t)(seq + len) != end)
            fail(c, "seq %u:%u does not match length %u", seq, end, len);
        s->seq = seq;
        s->len = len;
    }
    while (!c->err[0] && !at_end(c)) {
        if (accept_word(c, "ack")) { s->has_ack = true; s->ack = number(c, UINT32_MAX, !inbound); }
        else if (accept_word(c, "win")) { s->has_win = true; s->win = number(c, 65535, !inbound); }
        else if (accept_word(c, "urg")) { s->has_urg = true; s->urg = number(c, 65535, !inbound); }
        else if (inbound && accept_word(c, "badsum")) s->bad_csum = true;
        else if (accept_ch(c, '<')) parse_opts(c, s);
        else fail(c, "unexpected \"%.20s\"", c->p);
    }
    if (inbound && s->seq_any) fail(c, "inbound seq cannot be '*'");
    if (inbound && (s->flags & FRM_ACK) && !s->has_ack) fail(c, "an inbound ACK needs 'ack N'");
    if (inbound) {
        for (unsigned i = 0; i < s->n_opts; i++) {
            const struct pks_opt *o = &s->opts[i];
            if (o->kind == PKS_O_REST) fail(c, "'...' only in expected options");
            for (unsigned k = 0; k < o->nv; k++)
                if (o->v[k] == PKS_ANY) fail(c, "'*' only in expected options");
        }
    }
}

/* ---- calls ---- */

/* Our extensions beside packetdrill's calls: expect_counter tcp.NAME = N, new_peer(PORT[, isn=N]). */
static const struct { const char *name; enum pks_op op; } ops[] = {
    {"expect_counter", PKS_OP_EXPECT_COUNTER}, {"new_peer", PKS_OP_NEW_PEER},
};

/* One argument. Keyword arguments (name=N) only inside parentheses: in the bare form
 * "expect_counter tcp.x = 3" the '=' starts the result. */
static void call_arg(struct cur *c, struct pks_call *k, bool paren)
{
    char id[64];
    skip_ws(c);
    if (*c->p == '"') {
        free(k->text);
        k->text = quoted(c, &k->text_len);
    } else if (isdigit((unsigned char)*c->p)) {
        if (k->nn >= 3) { fail(c, "too many arguments"); return; }
        k->n[k->nn++] = (long)number(c, 0x7fffffff, false);
    } else if (ident(c, id, sizeof id)) {
        if (paren && accept_ch(c, '=')) {
            long v = (long)number(c, UINT32_MAX, false);
            if (strcmp(id, "isn") == 0) k->isn = v;
            else fail(c, "unknown keyword '%s'", id);
        } else {
            free(k->text);
            k->text = strdup(id);
            k->text_len = strlen(id);
        }
    } else fail(c, "bad argument at \"%.20s\"", c->p);
}

static void call_result(struct cur *c, struct pks_call *k)
{
    char id[64];
    skip_ws(c);
    if (*c->p == '"') { k->res = PKS_RES_TEXT; k->res_text = quoted(c, &k->res_text_len); }
    else if (*c->p == '-' || isdigit((unsigned char)*c->p)) {
        bool neg = *c->p == '-';
        if (neg) c->p++;
        k->res = PKS_RES_NUM;
        k->res_num = (long)number(c, 0x7fffffff, false) * (neg ? -1 : 1);
    } else if (ident(c, id, sizeof id)) {
        int e = err_code(id);
        if (e < 0) fail(c, "unknown error name '%s'", id);
        k->res = PKS_RES_ERR;
        k->res_num = e;
    } else fail(c, "bad result at \"%.20s\"", c->p);
}

static void parse_call(struct cur *c, struct pks_call *k)
{
    char name[64];
    memset(k, 0, sizeof *k);
    k->backlog = k->isn = -1;
    if (!ident(c, name, sizeof name)) { fail(c, "expected an event at \"%.20s\"", c->p); return; }
    k->fd = -1;
    if (pks_pd_is_call(name)) {
        const char *why = pks_pd_call(name, &c->p, k);
        if (why) fail(c, "%s: %s", name, why);
        return;
    }
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(name, ops[i].name) == 0) break;
    if (i == sizeof ops / sizeof ops[0]) { fail(c, "unknown call '%s'", name); return; }
    k->op = ops[i].op;
    bool paren = accept_ch(c, '(');
    if (paren && accept_ch(c, ')')) paren = false;
    else {
        skip_ws(c);
        while (!c->err[0] && *c->p && *c->p != ')' && *c->p != '=') {
            call_arg(c, k, paren);
            accept_ch(c, ',');
            skip_ws(c);
        }
        if (paren) expect_ch(c, ')');
    }
    if (accept_ch(c, '=')) call_result(c, k);
    if (!at_end(c)) fail(c, "unexpected \"%.20s\"", c->p);
    if (k->op == PKS_OP_NEW_PEER && k->nn < 1) fail(c, "new_peer needs a port");
    if (k->op == PKS_OP_EXPECT_COUNTER && !k->text) fail(c, "expect_counter needs a name");
    if (k->op == PKS_OP_EXPECT_COUNTER && k->res != PKS_RES_NUM)
        fail(c, "expect_counter needs '= N'");
}

/* ---- lines ---- */

static void parse_time(struct cur *c, struct pks_event *e)
{
    e->rel = accept_ch(c, '+');
    e->t_us = seconds(c);
    if (*c->p == '~') {
        c->p++;
        e->has_hi = true;
        e->rel_hi = accept_ch(c, '+');
        e->t_hi_us = seconds(c);
    }
}

/* packetdrill's command-line flags written at the top of a script. */
static void parse_header_flag(struct cur *c, struct pks_script *sc)
{
    const char *eq = strchr(c->p, '=');
    size_t n = eq ? (size_t)(eq - c->p) : strlen(c->p);
    if (strncmp(c->p, "--ip_version", n) == 0 && eq) {
        if (strcmp(eq + 1, "ipv4") != 0 && !sc->skip) sc->skip = strdup("--ip_version other than ipv4");
    } else if (strncmp(c->p, "--tolerance_usecs", n) == 0 && eq) {
        sc->tolerance_us = atol(eq + 1);
    } else if (!sc->skip) {
        sc->skip = malloc(n + 40);
        if (sc->skip) snprintf(sc->skip, n + 40, "packetdrill flag %.*s", (int)n, c->p);
    }
    c->p += strlen(c->p);
}

static void parse_directive(struct cur *c, struct pks_script *sc)
{
    char key[32];
    if (strncmp(c->p, "--", 2) == 0) parse_header_flag(c, sc);
    else if (accept_word(c, "isn")) sc->isn = (uint32_t)number(c, UINT32_MAX, false);
    else if (accept_word(c, "peer_port")) sc->peer_port = (uint16_t)number(c, 65535, false);
    else if (accept_word(c, "stack_port")) sc->stack_port = (uint16_t)number(c, 65535, false);
    else if (accept_word(c, "tolerance")) sc->tolerance_us = seconds(c);
    else if (accept_word(c, "strict")) {
        if (accept_word(c, "on")) sc->strict = true;
        else if (accept_word(c, "off")) sc->strict = false;
        else fail(c, "strict on|off");
    } else if (accept_word(c, "config")) {
        if (!ident(c, key, sizeof key)) fail(c, "config KEY VALUE");
        else if (strcmp(key, "tcp_msl") == 0) sc->cfg_msl_us = seconds(c);
        else if (strcmp(key, "tcp_rto_min") == 0) sc->cfg_rto_min_us = seconds(c);
        else if (strcmp(key, "mtu") == 0) sc->cfg_mtu = (long)number(c, 9000, false);
        else if (strcmp(key, "seed") == 0) sc->cfg_seed = number(c, UINT64_MAX - 1, false);
        else if (strcmp(key, "timestamps") == 0) {
            if (accept_word(c, "on")) sc->cfg_no_ts = false;
            else if (accept_word(c, "off")) sc->cfg_no_ts = true;
            else fail(c, "config timestamps on|off");
        } else fail(c, "unknown config key '%s'", key);
    } else fail(c, "unknown directive at \"%.20s\"", c->p);
    if (!at_end(c)) fail(c, "unexpected \"%.20s\"", c->p);
}

static void parse_event(struct cur *c, struct pks_event *e)
{
    parse_time(c, e);
    skip_ws(c);
    if (*c->p == '`' || strncmp(c->p, "%{", 2) == 0) {
        e->kind = PKS_CALL;
        e->call.fd = -1;
        const char *why = *c->p == '`' ? (c->p++, pks_pd_shell(&c->p, &e->call, c->skip))
                                       : pks_pd_python(&c->p, &e->call);
        if (why) fail(c, "%s", why);
        else if (!at_end(c)) fail(c, "unexpected \"%.20s\"", c->p);
        return;
    }
    if (accept_ch(c, '<')) { e->kind = PKS_IN; parse_seg(c, &e->seg, true); }
    else if (accept_ch(c, '>')) {
        if (accept_word(c, "nothing")) {
            e->kind = PKS_NOTHING;
            if (!at_end(c)) fail(c, "unexpected \"%.20s\"", c->p);
        } else { e->kind = PKS_OUT; parse_seg(c, &e->seg, false); }
    } else { e->kind = PKS_CALL; parse_call(c, &e->call); }
}

static void strip_comment(char *l)
{
    bool in_str = false;
    for (char *p = l; *p; p++) {
        if (*p == '"') in_str = !in_str;
        if (!in_str && p[0] == '/' && p[1] == '/') { *p = 0; break; }
    }
    size_t n = strlen(l);
    while (n && isspace((unsigned char)l[n - 1])) l[--n] = 0;
}

static void free_event(struct pks_event *e)
{
    free(e->src);
    free(e->call.text);
    free(e->call.res_text);
}

void pks_free(struct pks_script *sc)
{
    if (!sc) return;
    for (size_t i = 0; i < sc->n_ev; i++) free_event(&sc->ev[i]);
    free(sc->ev);
    free(sc->name);
    free(sc->skip);
    free(sc);
}

static struct pks_script *script_new(const char *name)
{
    struct pks_script *sc = calloc(1, sizeof *sc);
    if (!sc) return NULL;
    sc->name = strdup(name ? name : "script");
    sc->isn = 1000;
    sc->peer_port = 40000;
    sc->stack_port = 8080;     /* packetdrill's default local port */
    sc->tolerance_us = 10000;
    sc->strict = true;
    sc->cfg_msl_us = sc->cfg_rto_min_us = -1;
    sc->cfg_seed = 1;
    return sc;
}

/* Parse one line into sc; returns false with err set on a syntax error. */
static bool parse_line(struct pks_script *sc, char *l, int lineno, char *err, size_t errcap)
{
    struct cur c = {.p = l, .skip = &sc->skip};
    skip_ws(&c);
    if (!*c.p) return true;
    if (!(isdigit((unsigned char)*c.p) || *c.p == '+' || (*c.p == '.' && c.p[1] != '.'))) {
        parse_directive(&c, sc);
    } else {
        if (sc->n_ev == sc->cap_ev) {
            size_t ncap = sc->cap_ev ? sc->cap_ev * 2 : 32;
            struct pks_event *ne = realloc(sc->ev, ncap * sizeof *ne);
            if (!ne) { snprintf(err, errcap, "out of memory"); return false; }
            sc->ev = ne;
            sc->cap_ev = ncap;
        }
        struct pks_event *e = &sc->ev[sc->n_ev];
        memset(e, 0, sizeof *e);
        e->line = lineno;
        parse_event(&c, e);
        const char *src = l;
        while (*src == ' ' || *src == '\t') src++;
        e->src = strdup(src);
        if (!e->src) fail(&c, "out of memory");
        sc->n_ev++;
        if (c.err[0]) { free_event(e); sc->n_ev--; }
    }
    if (c.err[0]) {
        snprintf(err, errcap, "%s:%d: %s", sc->name, lineno, c.err);
        return false;
    }
    return true;
}

/* #ifdef NAME / #ifndef / #else / #endif (packetdrill runs scripts through cpp). Only STANDARD
 * is defined: the behaviour the RFCs describe, not one system's. Returns true if the line is
 * consumed (a directive, or inside a false block). */
static bool preprocess(const char *l, unsigned *depth, unsigned *off_at)
{
    while (*l == ' ' || *l == '\t') l++;
    bool dir = *l == '#';
    if (dir && (strncmp(l, "#ifdef", 6) == 0 || strncmp(l, "#ifndef", 7) == 0)) {
        bool neg = l[3] == 'n';
        const char *nm = l + (neg ? 7 : 6);
        while (*nm == ' ') nm++;
        bool def = strncmp(nm, "STANDARD", 8) == 0 && !isalnum((unsigned char)nm[8]);
        (*depth)++;
        if (!*off_at && def == neg) *off_at = *depth;
        return true;
    }
    if (dir && strncmp(l, "#else", 5) == 0) {
        if (*off_at == *depth) *off_at = 0;
        else if (!*off_at) *off_at = *depth;
        return true;
    }
    if (dir && strncmp(l, "#endif", 6) == 0) {
        if (*off_at == *depth) *off_at = 0;
        if (*depth) (*depth)--;
        return true;
    }
    return *off_at != 0;
}

struct pks_script *pks_parse(const char *name, const char *text, char *err, size_t errcap)
{
    struct pks_script *sc = script_new(name);
    if (!sc) { snprintf(err, errcap, "out of memory"); return NULL; }
    int lineno = 0;
    const char *p = text;
    unsigned depth = 0, off_at = 0;         /* #ifdef nesting; off_at: depth of a false block */
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *l = strndup(p, n);
        if (!l) { snprintf(err, errcap, "out of memory"); pks_free(sc); return NULL; }
        lineno++;
        p += n + (nl ? 1 : 0);
        if (preprocess(l, &depth, &off_at)) { free(l); continue; }
        strip_comment(l);
        bool ok = parse_line(sc, l, lineno, err, errcap);
        free(l);
        if (!ok) { pks_free(sc); return NULL; }
    }
    if (depth) { snprintf(err, errcap, "%s: #ifdef without #endif", sc->name); pks_free(sc); return NULL; }
    return sc;
}
