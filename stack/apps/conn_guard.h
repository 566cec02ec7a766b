/*
 * tapstack apps: a server's connections against exhaustion (issue 25). One guard per server
 * (HTTP, FTP control, echo, discard) admits, times out and evicts its connections so that
 * connections an attacker opens and abandons cannot lock real clients out.
 *
 * Every admitted connection sits in exactly one class, a FIFO list of the connections in one
 * phase ("waiting for the first byte", "sending a response" ...). A class has a timeout that runs
 * from when the connection entered it (or was last touched), so the oldest of a class is its head
 * and the next deadline of the whole server is found in O(classes), not by a scan. A class also
 * has an eviction rank: 0 is never evicted (mid-request, mid-transfer); among the others the
 * lowest rank goes first, and within a rank the one idle longest; among the 32 idle longest of a
 * class, one from the address holding the most connections, and among those from the address that
 * opened the most since it last held none (so an address that churns connections goes before a
 * client with one, even when the churn turns the whole class over faster than that client sends
 * its first byte), and never one whose input is waiting to be read. Before all of those, one whose
 * peer has not acknowledged what the server sent it (the app's `unanswered`: a real client's kernel
 * acknowledges FTP's banner however slow the client program is; an abandoned connection never does).
 *
 * Admission: a peer address holding max_per_peer connections evicts its own best victim (among
 * the oldest few hundred of each class) or, having none, is refused; a server at max_conns
 * evicts its best victim (the app's evict callback closes it and calls ts_guard_leave) and admits
 * the newcomer; with no victim (everything is mid-request) the newcomer is refused. Timeouts of
 * classes marked `tighten` drop to a quarter (never below 1 s) while the server holds 3/4 of
 * max_conns or more. Evictions and refusals are counted and logged at most once per second.
 */
#ifndef TS_APPS_CONN_GUARD_H
#define TS_APPS_CONN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapstack/app.h"
#include "tapstack/stack.h"

#define TS_GUARD_CLASSES 6
#define TS_GUARD_NONE (-1)

/* Embedded in each connection of a server (container_of from the callbacks). */
struct ts_guard_node {
    struct ts_guard_node *prev, *next;
    ts_time_t since;               /* entered its class, or last touched */
    uint32_t raddr;                /* the peer, host order */
    int cls;                       /* TS_GUARD_NONE while not in a class */
};

struct ts_guard_class {
    const char *name;              /* for the log: "first byte", "idle keep-alive" ... */
    ts_time_t timeout;             /* from `since`; TS_TIME_NEVER for none; never 0 */
    unsigned evict_rank;           /* 0: never evicted; else lower ranks are evicted first */
    bool tighten;                  /* a quarter of the timeout near the limit */
};

struct ts_guard_stats {
    /* expired: timeouts after which the connection left its class (closed, or moved on: HTTP's
     * 408); one the app puts back into the same class was a periodic check and is not counted */
    uint64_t admitted, evicted, refused_full, refused_peer, expired;
    unsigned conns, peers, max_conns, max_per_peer;
};

struct ts_guard_peer {
    uint32_t addr;
    uint32_t n;                    /* 0: free slot */
    uint32_t opened;               /* admitted since it last held none (saturates) */
};

struct ts_guard {
    const char *name;              /* "http", for the log */
    unsigned max_conns, max_per_peer, nconns;
    struct ts_guard_class cls[TS_GUARD_CLASSES];
    struct {
        struct ts_guard_node *head, *tail;
    } list[TS_GUARD_CLASSES];
    struct ts_guard_peer *peers;   /* open addressing, linear probing; cap a power of two */
    unsigned peer_cap, npeers;
    /* The app closes n (with an abort: the peer is likely gone) and calls ts_guard_leave. */
    void (*evict)(void *arg, struct ts_guard_node *n, ts_time_t now);
    /* n's timeout in class cls ran out; n is out of every class (TS_GUARD_NONE) but still
     * counted: the app closes it (ts_guard_leave) or moves it into a class. */
    void (*expire)(void *arg, struct ts_guard_node *n, int cls, ts_time_t now);
    /* Optional: n has input waiting (its request arrived, not yet read): not idle, never evicted. */
    bool (*has_input)(void *arg, struct ts_guard_node *n);
    /* Optional: n's peer has not acknowledged what we sent it (FTP's banner): its kernel would
     * have, even with the client program slow, so it is likely gone: evicted before the others. */
    bool (*unanswered)(void *arg, struct ts_guard_node *n);
    void *arg;
    void (*log)(void *arg, const char *line);  /* NULL: no log */
    void *log_arg;
    struct ts_guard_stats st;
    uint64_t unlogged_evicted, unlogged_refused;
    uint32_t last_evicted_addr;
    ts_time_t last_evicted_idle;
    ts_time_t last_log;
    bool logged;
    ts_time_t next;                /* what ts_guard_next says: renewed by every call that changes g */
};

/* What a server is told at start. max_conns 0 = ts_guard_default_max(stack_cfg, conn_bytes);
 * max_per_peer 0 = max_conns / 4 (max_conns itself below 64). */
struct ts_guard_cfg {
    const char *name;
    unsigned max_conns, max_per_peer;
    const struct ts_guard_class *classes;      /* nclasses entries, nclasses <= TS_GUARD_CLASSES */
    int nclasses;
    void (*evict)(void *arg, struct ts_guard_node *n, ts_time_t now);
    void (*expire)(void *arg, struct ts_guard_node *n, int cls, ts_time_t now);
    bool (*has_input)(void *arg, struct ts_guard_node *n);     /* may be NULL */
    bool (*unanswered)(void *arg, struct ts_guard_node *n);    /* may be NULL */
    void *arg;
    void (*log)(void *arg, const char *line);
    void *log_arg;
};

enum ts_guard_verdict {
    TS_GUARD_ADMITTED = 0,
    TS_GUARD_REFUSED_FULL,         /* at max_conns and nothing evictable (or out of memory) */
    TS_GUARD_REFUSED_PEER,         /* the peer address holds max_per_peer already */
};

/* The default connection limit of one server whose connection costs conn_bytes of its own:
 * what an eighth of the machine's memory holds at conn_bytes plus the worst-case TCP buffers
 * (two 64 KiB rings and the TCB), capped at an eighth of the stack's TCP connection limit
 * (so four servers at their limits leave half of the TCP table for handshakes, TIME_WAIT and
 * clients), and at least 16. stack_cfg is the stack's (ts_stack_config); NULL: the defaults. */
unsigned ts_guard_default_max(const struct ts_config *stack_cfg, size_t conn_bytes);

/* Set g up from cfg (defaults filled as said above). Returns 0, or -TS_ENOMEM / -TS_EINVAL. */
int ts_guard_init(struct ts_guard *g, const struct ts_config *stack_cfg, size_t conn_bytes,
                  const struct ts_guard_cfg *cfg);

/* Free what g holds (the nodes belong to the app: close them first). */
void ts_guard_fini(struct ts_guard *g);

/* A new connection from raddr wants in: evict if needed, then put n into class cls (since now).
 * On a refusal n is untouched and the app closes the newcomer. */
enum ts_guard_verdict ts_guard_admit(struct ts_guard *g, struct ts_guard_node *n, uint32_t raddr,
                                     int cls, ts_time_t now);

/* Move n into class cls (since now, at the tail). */
void ts_guard_move(struct ts_guard *g, struct ts_guard_node *n, int cls, ts_time_t now);

/* Restart n's timeout in its class (progress was made). */
void ts_guard_touch(struct ts_guard *g, struct ts_guard_node *n, ts_time_t now);

/* n is closed: out of its class and of the counts. Safe to call once per admitted node. */
void ts_guard_leave(struct ts_guard *g, struct ts_guard_node *n);

/* The timeout of class cls now (tightened near the limit). */
ts_time_t ts_guard_timeout(const struct ts_guard *g, int cls);

/* The earliest deadline of any connection (or of a pending log line), or TS_TIME_NEVER. O(1):
 * the driver asks every app for its deadline several times per wakeup, so the value is kept up
 * to date by the calls above that change g rather than found on each call. */
ts_time_t ts_guard_next(const struct ts_guard *g);

/* Run every timeout due at now (the expire callback), and the pending log line. */
void ts_guard_poll(struct ts_guard *g, ts_time_t now);

/* Counters and the current figures. */
void ts_guard_stats(const struct ts_guard *g, struct ts_guard_stats *out);

/* The figures netstat shows (tapstack/app.h). */
void ts_guard_app_stats(const struct ts_guard *g, struct ts_app_conn_stats *out);

/* Connections the peer address holds now. */
unsigned ts_guard_peer_count(const struct ts_guard *g, uint32_t raddr);

#endif
