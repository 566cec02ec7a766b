/*
 * tapstack: port numbers as people know them.
 *
 * IANA divides the 16-bit port space into three groups (RFC 6335 §6):
 *     well-known        0 ..  1023   common services (http 80, ftp 21, domain 53 ...)
 *     registered     1024 .. 49151   assigned by IANA on request (radius 1812 ...)
 *     dynamic/private 49152 .. 65535  never assigned; the ephemeral ports clients use
 *
 * A small built-in table names the common services without any I/O (the core and netstat -n
 * never need a file). Applications that want the full list load /etc/services once at start
 * with ts_services_load() (in libtsapps, which does the I/O) and look names up with
 * ts_services_name(): the built-in table first, then the file.
 */
#ifndef TAPSTACK_PORTS_H
#define TAPSTACK_PORTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ts_port_group {
    TS_PORT_WELL_KNOWN = 0,   /* 0 .. 1023 */
    TS_PORT_REGISTERED,       /* 1024 .. 49151 */
    TS_PORT_DYNAMIC,          /* 49152 .. 65535: private and/or dynamic (ephemeral) */
};

#define TS_PORT_REGISTERED_MIN 1024u
#define TS_PORT_DYNAMIC_MIN 49152u

/* The group a port belongs to. */
enum ts_port_group ts_port_group(uint16_t port);

/* "well-known", "registered", "dynamic/private" ("unknown" for a value outside the enum). */
const char *ts_port_group_name(enum ts_port_group g);

/* The first and last port of a group (both 0 for a value outside the enum). */
void ts_port_group_range(enum ts_port_group g, uint16_t *low, uint16_t *high);

/* Protocol bits of a service entry. */
#define TS_SERVICE_TCP 1u
#define TS_SERVICE_UDP 2u

struct ts_port_service {
    uint16_t port;
    uint8_t protos;            /* TS_SERVICE_TCP | TS_SERVICE_UDP */
    const char *name;          /* as /etc/services spells it: "http", "domain", "ftp-data" */
    const char *description;   /* "Hypertext Transfer Protocol (HTTP)" */
};

/* The built-in table, sorted by port; *count gets its length. Never changes. */
const struct ts_port_service *ts_port_services(size_t *count);

/* The built-in entry for port over proto (6 TCP, 17 UDP, 0 either), or NULL. Pure, O(log n). */
const struct ts_port_service *ts_port_service_find(uint16_t port, int proto);

/* The built-in name for port over proto (6, 17, or 0 for either), or NULL if the table has none. */
const char *ts_port_service_name(uint16_t port, int proto);

/* The built-in port of a service name over proto (0 either), or 0 if unknown. */
uint16_t ts_port_service_port(const char *name, int proto);

/* ---- /etc/services (libtsapps: stack/apps/services/services_db.c; does file I/O) ---- */

struct ts_services;

/* Read a services(5) file (NULL = "/etc/services"): lines "name port/proto [aliases] [# comment]",
 * tcp and udp only; the first name for a (port, proto) wins; malformed lines are skipped.
 * Bounded: at most 16384 entries, names up to 31 characters. NULL if the file cannot be read
 * or memory is short. Call once at startup; the result is read-only and may be shared. */
struct ts_services *ts_services_load(const char *path);
void ts_services_free(struct ts_services *db);

/* Number of entries loaded. */
size_t ts_services_count(const struct ts_services *db);

/* The name of port over proto (6, 17, or 0 for either): the built-in table first, then the
 * loaded file (db may be NULL); NULL if neither knows it. */
const char *ts_services_name(const struct ts_services *db, uint16_t port, int proto);

/* The port of a service name (the built-in table first, then the file), or 0 if unknown. */
uint16_t ts_services_port(const struct ts_services *db, const char *name, int proto);

#ifdef __cplusplus
}
#endif
#endif
