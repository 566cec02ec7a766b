/*
 * IANA port groups and the built-in table of well-known services (see include/tapstack/ports.h).
 * Pure: no I/O, no state; the table is constant.
 */
#include <string.h>
#include "tapstack/ports.h"

#define T TS_SERVICE_TCP
#define U TS_SERVICE_UDP

/* Sorted by port. Names as /etc/services spells them (143 is "imap", IANA's name, which
 * Debian's file keeps as an alias of "imap2"). The protocols follow IANA's common use. */
static const struct ts_port_service services[] = {
    { 7, T | U, "echo", "Echo: returns what it receives" },
    { 9, T | U, "discard", "Discard: drops what it receives" },
    { 13, T | U, "daytime", "Daytime: the date and time as text" },
    { 19, T | U, "chargen", "Character generator" },
    { 20, T, "ftp-data", "File Transfer Protocol (FTP) - data" },
    { 21, T, "ftp", "File Transfer Protocol (FTP) - control" },
    { 22, T, "ssh", "Secure Shell (SSH)" },
    { 23, T, "telnet", "Telnet" },
    { 25, T, "smtp", "Simple Mail Transfer Protocol (SMTP)" },
    { 37, T | U, "time", "Time: seconds since 1900" },
    { 53, T | U, "domain", "Domain Name System (DNS)" },
    { 67, U, "bootps", "Dynamic Host Configuration Protocol (DHCP) - server" },
    { 68, U, "bootpc", "Dynamic Host Configuration Protocol (DHCP) - client" },
    { 69, U, "tftp", "Trivial File Transfer Protocol (TFTP)" },
    { 80, T, "http", "Hypertext Transfer Protocol (HTTP)" },
    { 110, T, "pop3", "Post Office Protocol version 3 (POP3)" },
    { 123, U, "ntp", "Network Time Protocol (NTP)" },
    { 143, T, "imap", "Internet Message Access Protocol (IMAP)" },
    { 161, U, "snmp", "Simple Network Management Protocol (SNMP)" },
    { 162, U, "snmp-trap", "SNMP traps" },
    { 443, T, "https", "Hypertext Transfer Protocol Secure (HTTPS)" },
    { 1812, T | U, "radius", "RADIUS authentication (a registered port)" },
};

#undef T
#undef U

#define NSERVICES (sizeof services / sizeof services[0])

enum ts_port_group ts_port_group(uint16_t port)
{
    if (port < TS_PORT_REGISTERED_MIN)
        return TS_PORT_WELL_KNOWN;
    if (port < TS_PORT_DYNAMIC_MIN)
        return TS_PORT_REGISTERED;
    return TS_PORT_DYNAMIC;
}

const char *ts_port_group_name(enum ts_port_group g)
{
    switch (g) {
    case TS_PORT_WELL_KNOWN: return "well-known";
    case TS_PORT_REGISTERED: return "registered";
    case TS_PORT_DYNAMIC: return "dynamic/private";
    }
    return "unknown";
}

void ts_port_group_range(enum ts_port_group g, uint16_t *low, uint16_t *high)
{
    switch (g) {
    case TS_PORT_WELL_KNOWN: *low = 0; *high = TS_PORT_REGISTERED_MIN - 1; return;
    case TS_PORT_REGISTERED: *low = TS_PORT_REGISTERED_MIN; *high = TS_PORT_DYNAMIC_MIN - 1; return;
    case TS_PORT_DYNAMIC: *low = TS_PORT_DYNAMIC_MIN; *high = 65535; return;
    }
    *low = *high = 0;
}

const struct ts_port_service *ts_port_services(size_t *count)
{
    *count = NSERVICES;
    return services;
}

/* 6 -> TCP bit, 17 -> UDP bit, 0 -> either; anything else matches nothing. */
static unsigned proto_bits(int proto)
{
    return proto == 0 ? (TS_SERVICE_TCP | TS_SERVICE_UDP)
           : proto == 6 ? TS_SERVICE_TCP
           : proto == 17 ? TS_SERVICE_UDP : 0;
}

const struct ts_port_service *ts_port_service_find(uint16_t port, int proto)
{
    size_t lo = 0, hi = NSERVICES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (services[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < NSERVICES && services[lo].port == port && (services[lo].protos & proto_bits(proto)))
        return &services[lo];
    return NULL;
}

const char *ts_port_service_name(uint16_t port, int proto)
{
    const struct ts_port_service *e = ts_port_service_find(port, proto);
    return e ? e->name : NULL;
}

uint16_t ts_port_service_port(const char *name, int proto)
{
    for (size_t i = 0; name && i < NSERVICES; i++)
        if ((services[i].protos & proto_bits(proto)) && strcmp(services[i].name, name) == 0)
            return services[i].port;
    return 0;
}
