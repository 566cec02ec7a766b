/* Unit tests for IANA port groups, the built-in service table (stack/core/port_groups.c) and
 * the services(5) loader (stack/apps/services/services_db.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tapstack/ports.h"

static void test_group_boundaries(void **state)
{
    (void)state;
    const struct { uint16_t port; enum ts_port_group g; } cases[] = {
        { 0, TS_PORT_WELL_KNOWN },      { 80, TS_PORT_WELL_KNOWN },
        { 1023, TS_PORT_WELL_KNOWN },   { 1024, TS_PORT_REGISTERED },
        { 1812, TS_PORT_REGISTERED },   { 49151, TS_PORT_REGISTERED },
        { 49152, TS_PORT_DYNAMIC },     { 65535, TS_PORT_DYNAMIC },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(ts_port_group(cases[i].port), cases[i].g);
    /* every port, against the ranges */
    unsigned per_group[3] = {0};
    for (unsigned p = 0; p <= 65535; p++)
        per_group[ts_port_group((uint16_t)p)]++;
    assert_int_equal(per_group[TS_PORT_WELL_KNOWN], 1024);
    assert_int_equal(per_group[TS_PORT_REGISTERED], 48128);
    assert_int_equal(per_group[TS_PORT_DYNAMIC], 16384);
}

static void test_group_names_and_ranges(void **state)
{
    (void)state;
    assert_string_equal(ts_port_group_name(TS_PORT_WELL_KNOWN), "well-known");
    assert_string_equal(ts_port_group_name(TS_PORT_REGISTERED), "registered");
    assert_string_equal(ts_port_group_name(TS_PORT_DYNAMIC), "dynamic/private");
    assert_string_equal(ts_port_group_name((enum ts_port_group)9), "unknown");
    uint16_t lo, hi;
    ts_port_group_range(TS_PORT_WELL_KNOWN, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1023);
    ts_port_group_range(TS_PORT_REGISTERED, &lo, &hi);
    assert_int_equal(lo, 1024);
    assert_int_equal(hi, 49151);
    ts_port_group_range(TS_PORT_DYNAMIC, &lo, &hi);
    assert_int_equal(lo, 49152);
    assert_int_equal(hi, 65535);
}

static void test_builtin_table(void **state)
{
    (void)state;
    const struct { uint16_t port; int proto; const char *name; } want[] = {
        { 7, 6, "echo" },      { 7, 17, "echo" },    { 9, 6, "discard" },  { 13, 17, "daytime" },
        { 20, 6, "ftp-data" }, { 21, 6, "ftp" },     { 22, 6, "ssh" },     { 23, 6, "telnet" },
        { 25, 6, "smtp" },     { 53, 6, "domain" },  { 53, 17, "domain" }, { 67, 17, "bootps" },
        { 68, 17, "bootpc" },  { 69, 17, "tftp" },   { 80, 6, "http" },    { 110, 6, "pop3" },
        { 143, 6, "imap" },    { 161, 17, "snmp" },  { 443, 6, "https" },  { 1812, 17, "radius" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *n = ts_port_service_name(want[i].port, want[i].proto);
        assert_non_null(n);
        assert_string_equal(n, want[i].name);
        assert_string_equal(ts_port_service_name(want[i].port, 0), want[i].name);
        assert_int_equal(ts_port_service_port(want[i].name, want[i].proto), want[i].port);
    }
    /* protocol matters: the seed's table has HTTP on TCP and TFTP on UDP only */
    assert_null(ts_port_service_name(80, 17));
    assert_null(ts_port_service_name(69, 6));
    assert_null(ts_port_service_name(80, 1));
    assert_null(ts_port_service_name(81, 6));
    assert_null(ts_port_service_name(0, 0));
    assert_null(ts_port_service_name(65535, 0));
    assert_int_equal(ts_port_service_port("http", 17), 0);
    assert_int_equal(ts_port_service_port("nonesuch", 0), 0);
    assert_int_equal(ts_port_service_port(NULL, 0), 0);

    const struct ts_port_service *e = ts_port_service_find(21, 6);
    assert_non_null(e);
    assert_int_equal(e->protos, TS_SERVICE_TCP);
    assert_non_null(strstr(e->description, "FTP"));
    e = ts_port_service_find(53, 0);
    assert_non_null(e);
    assert_int_equal(e->protos, TS_SERVICE_TCP | TS_SERVICE_UDP);

    /* sorted, unique, every entry described, and the registered example is in its group */
    size_t n;
    const struct ts_port_service *t = ts_port_services(&n);
    assert_true(n >= 18);
    for (size_t i = 0; i < n; i++) {
        assert_true(i == 0 || t[i - 1].port < t[i].port);
        assert_true(strlen(t[i].description) > 0);
        assert_ptr_equal(ts_port_service_find(t[i].port, 0), &t[i]);
    }
    assert_int_equal(ts_port_group(ts_port_service_port("radius", 0)), TS_PORT_REGISTERED);
}

static char *write_temp(const char *text)
{
    char tmpl[] = "/tmp/ts-services-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return strdup(tmpl);
}

static void test_services_file(void **state)
{
    (void)state;
    char longline[700];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    char text[2048];
    snprintf(text, sizeof text,
             "# a comment line\n"
             "\n"
             "http\t80/tcp\twww # the table wins over this\n"
             "webcache 8080/tcp http-alt\n"
             "other-cache 8080/tcp\n"               /* second name for 8080/tcp: ignored */
             "%s 8081/tcp\n"                          /* over-long line: skipped entirely */
             "openvpn 1194/udp\n"
             "bad 70000/tcp\n"                       /* out of range */
             "bad2 12x/tcp\n"                        /* not a number */
             "bad3 /tcp\n"
             "bad4 123\n"
             "ddp-thing 4/ddp\n"                     /* neither tcp nor udp */
             "tapstack-demo 40000/udp # trailing comment\n"
             "last 40001/tcp",                        /* no newline at the end */
             longline);
    char *path = write_temp(text);
    struct ts_services *db = ts_services_load(path);
    assert_non_null(db);
    assert_int_equal(ts_services_count(db), 5);
    assert_string_equal(ts_services_name(db, 80, 6), "http");       /* built-in first */
    assert_string_equal(ts_services_name(db, 8080, 6), "webcache"); /* first line wins */
    assert_string_equal(ts_services_name(db, 8080, 0), "webcache");
    assert_null(ts_services_name(db, 8080, 17));
    assert_null(ts_services_name(db, 8081, 6));
    assert_string_equal(ts_services_name(db, 1194, 17), "openvpn");
    assert_string_equal(ts_services_name(db, 1194, 0), "openvpn");
    assert_null(ts_services_name(db, 1194, 6));
    assert_string_equal(ts_services_name(db, 40000, 17), "tapstack-demo");
    assert_string_equal(ts_services_name(db, 40001, 6), "last");
    assert_null(ts_services_name(db, 4, 0));
    assert_null(ts_services_name(db, 1194, 1));
    assert_int_equal(ts_services_port(db, "openvpn", 17), 1194);
    assert_int_equal(ts_services_port(db, "openvpn", 6), 0);
    assert_int_equal(ts_services_port(db, "ftp", 0), 21);
    assert_int_equal(ts_services_port(db, "bad", 0), 0);
    /* without a database, the built-in table still answers */
    assert_string_equal(ts_services_name(NULL, 22, 6), "ssh");
    assert_null(ts_services_name(NULL, 8080, 6));
    ts_services_free(db);
    ts_services_free(NULL);
    unlink(path);
    free(path);

    assert_null(ts_services_load("/nonexistent/services"));
}

/* The machine's own /etc/services, when there is one, loads and agrees on a few names. */
static void test_system_services(void **state)
{
    (void)state;
    struct ts_services *db = ts_services_load(NULL);
    if (!db)
        skip();
    assert_true(ts_services_count(db) > 50);
    assert_string_equal(ts_services_name(db, 22, 6), "ssh");
    assert_string_equal(ts_services_name(db, 53, 17), "domain");
    ts_services_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_boundaries),
        cmocka_unit_test(test_group_names_and_ranges),
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_services_file),
        cmocka_unit_test(test_system_services),
    };
    return cmocka_run_group_tests_name("port_groups", tests, NULL, NULL);
}
