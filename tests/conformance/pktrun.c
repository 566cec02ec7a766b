/*
 * pktrun: play packet scripts (packetdrill syntax, or ours) against the core on a virtual clock
 * and print one verdict line per script. Used by scripts/conformance.sh.
 *
 *   pktrun [-v] [--strict] FILE...
 *     -v        log every event of every script to stderr
 *     --strict  compare exactly (default: the lenient comparison of external scripts, stated in
 *               tests/lib/pktscript.c above lenient_mask)
 *
 * Output, one line per file:  PASS FILE | FAIL FILE: first mismatch | SKIP FILE: reason
 * Exit status: 0 when no script failed, 1 otherwise, 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "lib/pktscript.h"

int main(int argc, char **argv)
{
    bool verbose = false, lenient = true;
    int first = 1, failed = 0;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-v") == 0) verbose = true;
        else if (strcmp(argv[first], "--strict") == 0) lenient = false;
        else {
            fprintf(stderr, "pktrun: unknown flag %s (usage: pktrun [-v] [--strict] FILE...)\n", argv[first]);
            return 2;
        }
    }
    if (first == argc) {
        fprintf(stderr, "pktrun: no scripts given (usage: pktrun [-v] [--strict] FILE...)\n");
        return 2;
    }
    static char msg[4096];
    for (int i = first; i < argc; i++) {
        enum pks_verdict v = pks_run_file_verdict(argv[i], lenient, msg, sizeof msg, verbose ? stderr : NULL);
        for (char *p = msg; *p; p++)
            if (*p == '\n') *p = ' ';     /* one line per script */
        if (v == PKS_PASS) printf("PASS %s\n", argv[i]);
        else if (v == PKS_SKIP) printf("SKIP %s: %s\n", argv[i], msg);
        else { printf("FAIL %s: %s\n", argv[i], msg); failed++; }
        fflush(stdout);
    }
    return failed ? 1 : 0;
}
