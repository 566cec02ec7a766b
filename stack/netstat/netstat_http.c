/* /netstat, /netstat.json and /stats.json (see netstat_http.h). */
#include <stdlib.h>
#include <string.h>

#include "apps/http/http_server.h"
#include "netstat/netstat_http.h"
#include "plot/plot_rec.h"

/* Copy a rendered view into the response body; 500 if it did not fit. */
static int deliver(struct ts_nsbuf *b, int r, struct ts_http_body *body, const char *type)
{
    if (r == 0 && b->data) ts_http_body_append(body, b->data, b->len);
    ts_nsbuf_free(b);
    body->content_type = type;
    return r == 0 && !body->failed ? 200 : 500;
}

/* ?refresh=N (0..3600), else 2. */
static unsigned query_refresh(const char *q)
{
    const char *p = q ? strstr(q, "refresh=") : NULL;
    if (!p || (p != q && p[-1] != '&')) return 2;
    char *end;
    unsigned long v = strtoul(p + 8, &end, 10);
    return end != p + 8 && v <= 3600 ? (unsigned)v : 2;
}

static int route_page(void *arg, const struct ts_http_route_req *req, struct ts_http_body *body)
{
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, TS_HTTP_BODY_MAX);
    int r = ts_netstat_render_html(arg, req->now, query_refresh(req->query), &b);
    return deliver(&b, r, body, "text/html; charset=utf-8");
}

static int route_json(const struct ts_netstat_ctx *c, const struct ts_http_route_req *req,
                      struct ts_http_body *body, const struct ts_netstat_opts *o)
{
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, TS_HTTP_BODY_MAX);
    int r = ts_netstat_render(c, req->now, o, &b);
    return deliver(&b, r, body, "application/json");
}

static int route_netstat_json(void *arg, const struct ts_http_route_req *req, struct ts_http_body *body)
{
    const struct ts_netstat_opts o = { .all = true, .extend = true, .history = true, .json = true };
    return route_json(arg, req, body, &o);
}

static int route_stats_json(void *arg, const struct ts_http_route_req *req, struct ts_http_body *body)
{
    const struct ts_netstat_opts o = { .stats = true, .json = true };
    return route_json(arg, req, body, &o);
}

/* /conn/PAIR/seq.svg and /conn/PAIR/ladder.svg: the pictures of one conversation from the live
 * record; 404 when the record does not hold it. */
static int route_conn(void *arg, const struct ts_http_route_req *req, struct ts_http_body *body)
{
    const struct ts_netstat_ctx *c = arg;
    const char *p = req->path + strlen("/conn/"), *slash = strrchr(p, '/');
    char pair[64];
    int (*draw)(const struct ts_plot_conv *, struct ts_nsbuf *) = NULL;
    if (slash && strcmp(slash, "/seq.svg") == 0) draw = ts_plot_seq_svg;
    else if (slash && strcmp(slash, "/ladder.svg") == 0) draw = ts_plot_ladder_svg;
    struct ts_plot_conv conv;
    int got = -1;
    if (draw && (size_t)(slash - p) < sizeof pair) {
        memcpy(pair, p, (size_t)(slash - p));
        pair[slash - p] = '\0';
        got = ts_plot_rec_get(c->rec, pair, &conv);
    }
    body->content_type = "text/plain; charset=utf-8";
    if (got == -2) return 500;
    if (got < 0) {
        const char *msg = "no such picture: /conn/A.B.C.D_PORT-E.F.G.H_PORT/seq.svg or /ladder.svg, for a "
                          "conversation the stack recorded (see /netstat)\n";
        ts_http_body_append(body, msg, strlen(msg));
        return 404;
    }
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, TS_HTTP_BODY_MAX);
    int r = draw(&conv, &b);
    free(conv.segs);
    return deliver(&b, r, body, "image/svg+xml");
}

int ts_netstat_http_routes(struct ts_http_server *srv, const struct ts_netstat_ctx *ctx)
{
    void *arg = (void *)ctx;
    int r = ts_http_add_route(srv, "/netstat", "netstat: sockets, TCP variables, ARP, counters", route_page, arg);
    if (r == 0) r = ts_http_add_route(srv, "/netstat.json", "netstat as JSON", route_netstat_json, arg);
    if (r == 0) r = ts_http_add_route(srv, "/stats.json", "counters as JSON", route_stats_json, arg);
    if (r == 0) r = ts_http_add_route(srv, "/conn/", NULL, route_conn, arg);
    return r;
}
