/*
 * The requirements table (docs/rfc9293-requirements.md) stays true to the tests: every test it
 * names exists (a file under tests/, and "file:name" a test of that name in it), every row whose
 * status is plain "yes" names a test, and every row of RFC 9293 Appendix B is there.
 * Run from the repository's root (scripts/run-unit.sh does).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define DOC "docs/rfc9293-requirements.md"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* The cells of a table row "| a | b | ... |" (in place). Returns the count. */
static int cells(char *line, char *cell[8])
{
    int n = 0;
    char *p = line;
    if (*p != '|') return 0;
    p++;
    while (*p && n < 8) {
        char *bar = strchr(p, '|');
        if (!bar) break;
        *bar = 0;
        while (*p == ' ') p++;
        char *e = bar;
        while (e > p && e[-1] == ' ') *--e = 0;
        cell[n++] = p;
        p = bar + 1;
    }
    return n;
}

/* "tests/x.c:name": the file exists and contains name. */
static void check_ref(const char *ref, int *checked)
{
    char path[256];
    snprintf(path, sizeof path, "%s", ref);
    char *colon = strchr(path, ':');
    if (colon) *colon = 0;
    char *text = slurp(path);
    if (!text) fail_msg("%s names %s, which does not exist", DOC, path);
    if (colon && !strstr(text, colon + 1)) fail_msg("%s names %s, but %s has no %s", DOC, ref, path, colon + 1);
    free(text);
    (*checked)++;
}

static void every_named_test_exists(void **state)
{
    (void)state;
    char *doc = slurp(DOC);
    assert_non_null(doc);
    int rows = 0, refs = 0, rfc9293 = 0;
    for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
        char *cell[8];
        if (strncmp(line, "| ", 2) != 0 || strstr(line, "| --- |") || strncmp(line, "| ReqID", 7) == 0 ||
            strncmp(line, "| RFC 1122", 10) == 0 || strncmp(line, "| **", 4) == 0)
            continue;
        if (strncmp(line, "| MUST-", 7) == 0 || strncmp(line, "| SHLD-", 7) == 0 ||
            strncmp(line, "| MAY-", 6) == 0 || strncmp(line, "| REC-", 6) == 0)
            rfc9293++;
        if (cells(line, cell) != 6) fail_msg("%s: a row without 6 cells: %s", DOC, line);
        rows++;
        const char *test = cell[5];
        int named = 0;
        for (const char *p = strchr(test, '`'); p; p = strchr(p, '`')) {
            const char *e = strchr(p + 1, '`');
            if (!e) break;
            char ref[256];
            snprintf(ref, sizeof ref, "%.*s", (int)(e - p - 1), p + 1);
            if (strncmp(ref, "tests/", 6) == 0) { check_ref(ref, &refs); named++; }
            else if (strncmp(ref, "tcp-testsuite:", 14) == 0) named++;   /* external: make conformance */
            else fail_msg("%s: a test must be tests/... or tcp-testsuite:...: %s", DOC, ref);
            p = e + 1;
        }
        bool plain_yes = strncmp(cell[3], "yes", 3) == 0 && !strstr(cell[3], "untested");
        if (plain_yes && !named) fail_msg("%s: %s says yes but names no test", DOC, cell[0]);
    }
    print_message("%d rows (%d of RFC 9293 Appendix B), %d named tests, all present\n", rows, rfc9293, refs);
    assert_true(rfc9293 >= 120);     /* Appendix B: over 120 rows */
    assert_true(refs >= 60);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(every_named_test_exists) };
    return cmocka_run_group_tests_name("requirements", tests, NULL, NULL);
}
