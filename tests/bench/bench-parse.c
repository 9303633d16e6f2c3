/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark of the change-set parser (not a test; any user may run it):
 *
 *   build/tests/bench/bench-parse [LINES [RUNS]]   (default 10000 lines, 7 runs)
 *
 * Times bs_changeset_parse (split, parse for both families, render each
 * change's command) of LINES "-A INPUT ..." lines, the same rules bench-bus
 * sends with Apply, and prints the median and min-max in ms. Pure code: it
 * touches no firewall. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "changeset.h"

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void die(const char *what, int r) {
        fprintf(stderr, "bench-parse: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

/* The rule text of bench-bus's rule_text(), after "-A INPUT ". */
static char *line(unsigned i) {
        bool tcp = i % 3 != 1;
        char comment[48] = "";
        if (i % 3 == 2)
                snprintf(comment, sizeof(comment), " -m comment --comment \"rule %u\"", i);
        char *s;
        if (asprintf(&s, "-A INPUT -s 10.%u.%u.%u/32 -p %s -m %s --dport %u%s -j %s", (i >> 16) & 255,
                     (i >> 8) & 255, i & 255, tcp ? "tcp" : "udp", tcp ? "tcp" : "udp", 1024 + i % 60000,
                     comment, i % 2 ? "DROP" : "ACCEPT") < 0)
                die("asprintf", ENOMEM);
        return s;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        unsigned n = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 10000;
        unsigned runs = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 7;
        if (n == 0 || n > BS_CHANGESET_MAX || runs == 0 || runs > 1000) {
                fprintf(stderr, "usage: bench-parse [LINES (1-%d) [RUNS (1-1000)]]\n", BS_CHANGESET_MAX);
                return 2;
        }
        char **lines = calloc(n, sizeof(char *));
        double *t = calloc(runs, sizeof(double));
        if (!lines || !t)
                die("calloc", ENOMEM);
        for (unsigned i = 0; i < n; i++)
                lines[i] = line(i);

        /* one unmeasured warm-up run first */
        for (unsigned k = 0; k <= runs; k++) {
                bs_changeset s = {};
                char err[512];
                double t0 = now_ms();
                int r = bs_changeset_parse(lines, n, true, &s, err, sizeof(err));
                double t1 = now_ms();
                if (r < 0) {
                        fprintf(stderr, "bench-parse: %s\n", err);
                        return 1;
                }
                if (s.n_changes != n)
                        die("unexpected change count", EINVAL);
                bs_changeset_done(&s);
                if (k > 0)
                        t[k - 1] = t1 - t0;
        }
        qsort(t, runs, sizeof(double), cmp_double);
        printf("bs_changeset_parse of %u lines: %.1f ms (%.1f–%.1f), %u runs\n", n, t[runs / 2], t[0],
               t[runs - 1], runs);
        for (unsigned i = 0; i < n; i++)
                free(lines[i]);
        free(lines);
        free(t);
        return 0;
}
