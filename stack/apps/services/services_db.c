/*
 * The services(5) database, read once at startup (see include/tapstack/ports.h).
 *
 * This is the only part of the port-name lookup that does I/O, so it lives with the
 * applications, not in the core. The file is read into a bounded array sorted by (port, proto)
 * for binary search; the result is immutable and owned by the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tapstack/ports.h"

#define TS_SERVICES_MAX 16384u
#define TS_SERVICES_NAME_MAX 31u

struct ts_service_entry {
    uint16_t port;
    uint8_t proto;                          /* 6 or 17 */
    uint16_t seq;                           /* line order in the file (first wins) */
    char name[TS_SERVICES_NAME_MAX + 1];
};

struct ts_services {
    size_t n, cap;
    struct ts_service_entry *e;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct ts_service_entry *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return (int)x->proto - (int)y->proto;
}

/* Parse "name port/proto ..." (comment already cut). Returns 1 and fills *out, or 0. */
static int parse_line(char *line, struct ts_service_entry *out)
{
    char *save = NULL;
    const char *name = strtok_r(line, " \t\r\n", &save);
    char *pp = strtok_r(NULL, " \t\r\n", &save);
    if (!name || !pp || strlen(name) > TS_SERVICES_NAME_MAX)
        return 0;
    char *slash = strchr(pp, '/');
    if (!slash || slash == pp)
        return 0;
    *slash = '\0';
    unsigned long port = 0;
    for (const char *c = pp; *c; c++) {
        if (*c < '0' || *c > '9' || port > 65535)
            return 0;
        port = port * 10 + (unsigned long)(*c - '0');
    }
    if (port > 65535)
        return 0;
    const char *proto = slash + 1;
    if (strcmp(proto, "tcp") == 0)
        out->proto = 6;
    else if (strcmp(proto, "udp") == 0)
        out->proto = 17;
    else
        return 0;
    out->port = (uint16_t)port;
    strcpy(out->name, name);
    return 1;
}

static int add_entry(struct ts_services *db, const struct ts_service_entry *ent)
{
    if (db->n == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 256;
        struct ts_service_entry *e = realloc(db->e, cap * sizeof *e);
        if (!e)
            return -1;
        db->e = e;
        db->cap = cap;
    }
    db->e[db->n] = *ent;
    db->e[db->n].seq = (uint16_t)db->n;
    db->n++;
    return 0;
}

/* Order by (port, proto), then file order, so that the first line for a pair comes first. */
static int entry_cmp_seq(const void *a, const void *b)
{
    const struct ts_service_entry *x = a, *y = b;
    int c = entry_cmp(a, b);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sort, then keep only the first line of each (port, proto). */
static void sort_and_dedupe(struct ts_services *db)
{
    qsort(db->e, db->n, sizeof *db->e, entry_cmp_seq);
    size_t w = 0;
    for (size_t i = 0; i < db->n; i++)
        if (w == 0 || entry_cmp(&db->e[i], &db->e[w - 1]) != 0)
            db->e[w++] = db->e[i];
    db->n = w;
}

struct ts_services *ts_services_load(const char *path)
{
    FILE *f = fopen(path ? path : "/etc/services", "r");
    if (!f)
        return NULL;
    struct ts_services *db = calloc(1, sizeof *db);
    char line[512];
    int truncated = 0;
    while (db && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        int whole = len > 0 && line[len - 1] == '\n';
        int skip = truncated;          /* the tail of an over-long line */
        truncated = !whole && !feof(f);
        if (skip || truncated)
            continue;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        struct ts_service_entry ent;
        if (db->n < TS_SERVICES_MAX && parse_line(line, &ent) && add_entry(db, &ent)) {
            ts_services_free(db);
            db = NULL;
        }
    }
    fclose(f);
    if (db)
        sort_and_dedupe(db);
    return db;
}

void ts_services_free(struct ts_services *db)
{
    if (!db)
        return;
    free(db->e);
    free(db);
}

size_t ts_services_count(const struct ts_services *db)
{
    return db ? db->n : 0;
}

/* The file's entry for (port, proto), or NULL. */
static const struct ts_service_entry *db_find(const struct ts_services *db, uint16_t port,
                                              uint8_t proto)
{
    struct ts_service_entry key = { .port = port, .proto = proto };
    return bsearch(&key, db->e, db->n, sizeof *db->e, entry_cmp);
}

const char *ts_services_name(const struct ts_services *db, uint16_t port, int proto)
{
    const char *name = ts_port_service_name(port, proto);
    if (name || !db || (proto != 0 && proto != 6 && proto != 17))
        return name;
    const struct ts_service_entry *e = NULL;
    if (proto == 0 || proto == 6)
        e = db_find(db, port, 6);
    if (!e && (proto == 0 || proto == 17))
        e = db_find(db, port, 17);
    return e ? e->name : NULL;
}

uint16_t ts_services_port(const struct ts_services *db, const char *name, int proto)
{
    uint16_t port = ts_port_service_port(name, proto);
    if (port || !db || !name)
        return port;
    for (size_t i = 0; i < db->n; i++)
        if ((proto == 0 || db->e[i].proto == proto) && strcmp(db->e[i].name, name) == 0)
            return db->e[i].port;
    return 0;
}
