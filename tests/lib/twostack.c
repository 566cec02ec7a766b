/* The two-stack harness (see twostack.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "twostack.h"

void twostack_init_with(struct twostack *t, const struct ts_config *cc, const struct ts_config *sc,
                        bool static_arp)
{
    memset(t, 0, sizeof *t);
    t->c = ts_stack_new(cc, NULL);
    t->s = ts_stack_new(sc, NULL);
    assert_non_null(t->c);
    assert_non_null(t->s);
    t->now = TS_SEC(1);
    t->s2c_budget = -1;
    if (static_arp) {
        ts_stack_arp_add(t->c, t->now, sc->ip, sc->mac, true);
        ts_stack_arp_add(t->s, t->now, cc->ip, cc->mac, true);
    }
}

void twostack_init(struct twostack *t, bool static_arp)
{
    struct ts_config cc, sc;
    ts_config_default(&cc);
    ts_config_default(&sc);
    cc.ip = TWOSTACK_CLIENT_IP;
    cc.mac[5] = 1;
    cc.seed = 1;
    sc.seed = 2;
    twostack_init_with(t, &cc, &sc, static_arp);
}

void twostack_add_app(struct twostack *t, struct ts_app *app)
{
    assert_true(t->napps < TWOSTACK_MAX_APPS);
    t->apps[t->napps++] = app;
}

/* Run the apps whose deadline has come; true if any ran. */
static bool run_due_apps(struct twostack *t)
{
    bool any = false;
    for (unsigned i = 0; i < t->napps; i++) {
        struct ts_app *a = t->apps[i];
        if (a->poll_at && a->poll && a->poll_at(a->ctx) <= t->now) {
            a->poll(a->ctx, t->now);
            any = true;
        }
    }
    return any;
}

void twostack_settle(struct twostack *t)
{
    uint8_t buf[2048];
    for (int i = 0; i < 1000000; i++) {
        bool any = false;
        size_t len;
        while ((len = ts_stack_transmit(t->c, t->now, buf, sizeof buf)) > 0) {
            ts_stack_receive(t->s, t->now, buf, len);
            any = true;
        }
        while ((len = ts_stack_transmit(t->s, t->now, buf, sizeof buf)) > 0) {
            any = true;
            if (t->s2c_budget == 0) continue;      /* the link to the client is cut */
            if (t->s2c_budget > 0) t->s2c_budget--;
            ts_stack_receive(t->c, t->now, buf, len);
        }
        any |= ts_stack_dispatch(t->c, t->now) > 0;
        any |= ts_stack_dispatch(t->s, t->now) > 0;
        any |= run_due_apps(t);
        if (!any) return;
    }
    fail_msg("the link never settled");
}

static ts_time_t next_deadline(const struct twostack *t)
{
    ts_time_t d = ts_stack_poll_at(t->c), d2 = ts_stack_poll_at(t->s);
    if (d2 < d) d = d2;
    for (unsigned i = 0; i < t->napps; i++) {
        struct ts_app *a = t->apps[i];
        ts_time_t da = a->poll_at ? a->poll_at(a->ctx) : TS_TIME_NEVER;
        if (da < d) d = da;
    }
    return d;
}

void twostack_run(struct twostack *t, ts_time_t dt)
{
    ts_time_t end = t->now + dt;
    twostack_settle(t);
    for (int i = 0; i < 200000; i++) {
        if (t->done && t->done(t->done_arg)) return;
        ts_time_t d = next_deadline(t);
        if (d > end) break;
        if (d > t->now) t->now = d;
        ts_stack_poll(t->c, t->now);
        ts_stack_poll(t->s, t->now);
        twostack_settle(t);
    }
    if (t->done && t->done(t->done_arg)) return;
    t->now = end;
    twostack_settle(t);
}

void twostack_free(struct twostack *t)
{
    ts_stack_free(t->c);
    ts_stack_free(t->s);
    t->c = t->s = NULL;
}
