/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark of table access (not a test: run it by hand, as root):
 *
 *   build/tests/bench/bench-nf [RULES [RUNS]]      (default 10000 rules, 7 runs)
 *
 * In a private network namespace with a private XTABLES_LOCKFILE, it
 * compares, on the same RULES distinct IPv4 rules:
 *   apply    bs_nf_apply of RULES appends in one batch, on an empty table
 *            vs iptables-legacy-restore of the same rules as text
 *   restore  bs_nf_restore of a RULES-rule snapshot over a changed table
 *            vs iptables-legacy-restore of the saved table over the same change
 *   read     bs_nf_read of the RULES-rule table vs iptables-legacy -S
 * and then the daemon's own steps (bs_nf_apply_both, bs_nf_rewrite_both
 * with the read cache holding the kernel's table, as in the daemon), each
 * committed without libiptc and, side by side, through libiptc
 * (bs_nf_options.libiptc_only):
 *   append   RULES appends on an empty table
 *   insert   one insert at 1 on the RULES-rule table
 *   rewrite  the RULES-rule table back to empty (a rollback's step)
 *   changed  a cached read of the RULES-rule table just restored outside
 *            (the cache held the empty table): decoded from the entries
 *            read vs read again and decoded through libiptc
 * and prints the median and min-max of each, and the ratios. The CLI
 * timings include starting the process, as a user would pay it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nf.h"
#include "rule.h"

extern char **environ;

static char lock_path[] = "/tmp/bench-nf-lock-XXXXXX";
static char rules_path[] = "/tmp/bench-nf-rules-XXXXXX";
static char change_path[] = "/tmp/bench-nf-change-XXXXXX";
static char saved_path[] = "/tmp/bench-nf-saved-XXXXXX";
static char empty_path[] = "/tmp/bench-nf-empty-XXXXXX";

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what, int r) {
        fprintf(stderr, "bench-nf: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

/* Run argv with stdin from `in` (NULL: /dev/null) and stdout to `out`
 * (NULL: /dev/null); returns the wall time, dies on failure. */
static double run(char *const argv[], const char *in, const char *out) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        double t0 = now_s();
        pid_t pid;
        int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                die(argv[0], r);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-nf: %s failed\n", argv[0]);
                exit(1);
        }
        return now_s() - t0;
}

static double cli_restore(const char *file) {
        char *argv[] = { (char *) "iptables-legacy-restore", NULL };
        return run(argv, file, NULL);
}

/* Rule i, as the model and as iptables-save text: distinct sources and
 * ports, a mix of tcp, udp and commented rules, ACCEPT and DROP. */
static void make_rule(unsigned i, bs_rule *r, FILE *text) {
        bs_rule_init(r, BS_FAMILY_IPV4);
        uint8_t a = 10, b = (uint8_t) (i >> 16), c = (uint8_t) (i >> 8), d = (uint8_t) i;
        r->src.addr[0] = a;
        r->src.addr[1] = b;
        r->src.addr[2] = c;
        r->src.addr[3] = d;
        bs_addr_set_prefix(&r->src, BS_FAMILY_IPV4, 32);
        uint16_t port = (uint16_t) (1024 + i % 60000);
        bool tcp = i % 3 != 1;
        r->proto = tcp ? 6 : 17;
        bs_match *m = bs_rule_add_match(r, tcp ? BS_MATCH_TCP : BS_MATCH_UDP);
        if (!m)
                die("rule", -ENOMEM);
        if (tcp) {
                m->tcp.sport = (bs_port_range){ 0, 65535 };
                m->tcp.dport = (bs_port_range){ port, port };
        } else {
                m->udp.sport = (bs_port_range){ 0, 65535 };
                m->udp.dport = (bs_port_range){ port, port };
        }
        bool comment = i % 3 == 2;
        if (comment) {
                m = bs_rule_add_match(r, BS_MATCH_COMMENT);
                if (!m)
                        die("rule", -ENOMEM);
                snprintf(m->comment, sizeof(m->comment), "rule %u", i);
        }
        r->target.kind = i % 2 ? BS_TARGET_DROP : BS_TARGET_ACCEPT;
        if (!text)
                return;
        char comment_opt[64] = "";
        if (comment)
                snprintf(comment_opt, sizeof(comment_opt), " -m comment --comment \"rule %u\"", i);
        fprintf(text, "-A INPUT -s %u.%u.%u.%u/32 -p %s -m %s --dport %u%s -j %s\n", a, b, c, d,
                tcp ? "tcp" : "udp", tcp ? "tcp" : "udp", port, comment_opt, i % 2 ? "DROP" : "ACCEPT");
}

static void write_file(const char *path, const char *s) {
        FILE *f = fopen(path, "we");
        if (!f || fputs(s, f) < 0 || fclose(f) != 0)
                die(path, errno);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

typedef struct stats {
        double median, min, max;
} stats;

static stats summarize(double *v, unsigned n) {
        qsort(v, n, sizeof(double), cmp_double);
        stats s = { .min = v[0], .max = v[n - 1] };
        s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return s;
}

static void report(const char *what, const char *ours_name, double *ours, const char *cli_name, double *cli,
                   unsigned runs, double target) {
        stats a = summarize(ours, runs), b = summarize(cli, runs);
        printf("%-8s %-16s %8.1f ms  (%.1f-%.1f)\n", what, ours_name, a.median * 1e3, a.min * 1e3, a.max * 1e3);
        printf("%-8s %-16s %8.1f ms  (%.1f-%.1f)\n", "", cli_name, b.median * 1e3, b.min * 1e3, b.max * 1e3);
        printf("%-8s ratio %.1fx faster%s\n\n", "", b.median / a.median,
               target > 0 ? (b.median / a.median >= target ? " (target met)" : " (TARGET MISSED)") : "");
}

/* The read cache holding the kernel's table, as the daemon's does. */
static void warm(bs_nf_read_cache *caches) {
        const bs_table *t = NULL;
        int r = bs_nf_read_cached(BS_FAMILY_IPV4, "filter", NULL, &caches[0], &t);
        if (r < 0)
                die("bs_nf_read_cached", r);
}

/* The step went the way it was asked to. */
static void check_path(const bs_nf_read_cache *cache, int via_libiptc) {
        if (cache->raw_committed != !via_libiptc) {
                fprintf(stderr, "bench-nf: a commit %s libiptc went the other way\n", via_libiptc ? "through" : "without");
                exit(1);
        }
}

/* A rollback's step, reduced: the built-in chains as they are, no rule. */
static int emptied(const bs_table *current, void *userdata, bs_table **ret) {
        bs_table *t = bs_table_new(current->family, current->name);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < current->n_chains; i++) {
                const bs_chain *c = &current->chains[i];
                if (!c->builtin)
                        continue;
                bs_chain *added = NULL;
                int r = bs_table_add_chain(t, c->name, true, c->policy, &added);
                if (r < 0) {
                        bs_table_free(t);
                        return r;
                }
                added->policy_packets = c->policy_packets;
                added->policy_bytes = c->policy_bytes;
        }
        *ret = t;
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 10000;
        unsigned runs = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 7;
        if (n == 0 || n > 60000 || runs == 0 || runs > 100) {
                fprintf(stderr, "usage: bench-nf [RULES (1-60000) [RUNS (1-100)]]\n");
                return 2;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "bench-nf: needs root (it works in a private network namespace)\n");
                return 77;
        }
        /* never the host's firewall: a namespace of our own, a lock of our own */
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET)", errno);
        char *paths[] = { lock_path, rules_path, change_path, saved_path, empty_path };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                int fd = mkstemp(paths[i]);
                if (fd < 0)
                        die("mkstemp", errno);
                close(fd);
        }
        setenv("XTABLES_LOCKFILE", lock_path, 1);

        /* the rules, as changes and as text */
        bs_change *changes = calloc(n, sizeof(bs_change));
        if (!changes)
                die("calloc", ENOMEM);
        FILE *text = fopen(rules_path, "we");
        if (!text)
                die(rules_path, errno);
        fputs("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", text);
        for (unsigned i = 0; i < n; i++) {
                bs_change_init(&changes[i], BS_CHANGE_APPEND, BS_FAMILY_MASK_IPV4);
                strcpy(changes[i].chain, "INPUT");
                make_rule(i, &changes[i].rule, text);
        }
        fputs("COMMIT\n", text);
        if (fclose(text) != 0)
                die(rules_path, errno);
        write_file(empty_path, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        /* the change a restore undoes: another user chain, other rules, other policy */
        write_file(change_path, "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                                ":other - [0:0]\n-A INPUT -j other\n-A other -p tcp -m tcp --dport 22 -j ACCEPT\n"
                                "COMMIT\n");

        double *ours = calloc(runs, sizeof(double)), *cli = calloc(runs, sizeof(double));
        if (!ours || !cli)
                die("calloc", ENOMEM);
        printf("bench-nf: %u IPv4 rules, %u runs each, median (min-max)\n\n", n, runs);

        /* apply: n appends on an empty table */
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(empty_path);
                double t0 = now_s();
                int r = bs_nf_apply(BS_FAMILY_IPV4, "filter", changes, n, NULL, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("bs_nf_apply", r);
                cli_restore(empty_path);
                cli[k] = cli_restore(rules_path);
        }
        /* both wrote the same thing */
        bs_table *via_cli = NULL, *via_us = NULL;
        int r = bs_nf_read(BS_FAMILY_IPV4, "filter", NULL, &via_cli);
        if (r < 0)
                die("bs_nf_read", r);
        cli_restore(empty_path);
        r = bs_nf_apply(BS_FAMILY_IPV4, "filter", changes, n, NULL, &via_us);
        if (r < 0)
                die("bs_nf_apply", r);
        if (!bs_table_equal(via_cli, via_us) || bs_table_count_rules(via_us) != n) {
                fprintf(stderr, "bench-nf: bs_nf_apply and iptables-legacy-restore disagree\n");
                return 1;
        }
        report("apply", "bs_nf_apply", ours, "legacy-restore", cli, runs, 3);

        /* restore: the n-rule snapshot over a changed table */
        bs_table *snapshot = via_us;
        char *save_argv[] = { (char *) "iptables-legacy-save", (char *) "-t", (char *) "filter", NULL };
        run(save_argv, NULL, saved_path);
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(change_path);
                double t0 = now_s();
                r = bs_nf_restore(snapshot, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("bs_nf_restore", r);
                cli_restore(change_path);
                cli[k] = cli_restore(saved_path);
        }
        cli_restore(change_path);
        r = bs_nf_restore(snapshot, NULL);
        bs_table *restored = NULL;
        if (r < 0 || bs_nf_read(BS_FAMILY_IPV4, "filter", NULL, &restored) < 0 ||
            !bs_table_equal(restored, snapshot)) {
                fprintf(stderr, "bench-nf: restore did not give the snapshot back\n");
                return 1;
        }
        bs_table_free(restored);
        report("restore", "bs_nf_restore", ours, "legacy-restore", cli, runs, 2);

        /* read: the n-rule table */
        char *list_argv[] = { (char *) "iptables-legacy", (char *) "-S", NULL };
        for (unsigned k = 0; k < runs; k++) {
                bs_table *t = NULL;
                double t0 = now_s();
                r = bs_nf_read(BS_FAMILY_IPV4, "filter", NULL, &t);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("bs_nf_read", r);
                bs_table_free(t);
                cli[k] = run(list_argv, NULL, NULL);
        }
        report("read", "bs_nf_read", ours, "legacy -S", cli, runs, 0);

        /* the daemon's steps, without libiptc and through it */
        printf("The daemon's steps (read cache warm), without libiptc vs through libiptc:\n\n");
        bs_nf_read_cache caches[2] = {};
        bs_nf_options via_libiptc = BS_NF_OPTIONS_DEFAULT;
        via_libiptc.libiptc_only = true;
        const bs_nf_options *how[2] = { NULL, &via_libiptc };
        double *times[2] = { ours, cli };

        for (unsigned k = 0; k < runs; k++)
                for (int w = 0; w < 2; w++) {
                        cli_restore(empty_path);
                        warm(caches);
                        double t0 = now_s();
                        r = bs_nf_apply_both("filter", changes, n, BS_FAMILY_MASK_IPV4, how[w], caches, NULL, NULL, NULL);
                        times[w][k] = now_s() - t0;
                        if (r < 0)
                                die("bs_nf_apply_both", r);
                        check_path(&caches[0], w);
                }
        report("append", "without libiptc", ours, "through libiptc", cli, runs, 0);

        bs_change insert;
        bs_change_init(&insert, BS_CHANGE_INSERT, BS_FAMILY_MASK_IPV4);
        strcpy(insert.chain, "INPUT");
        insert.position = 1;
        make_rule(n, &insert.rule, NULL);
        for (unsigned k = 0; k < runs; k++)
                for (int w = 0; w < 2; w++) {
                        cli_restore(rules_path);
                        warm(caches);
                        double t0 = now_s();
                        r = bs_nf_apply_both("filter", &insert, 1, BS_FAMILY_MASK_IPV4, how[w], caches, NULL, NULL, NULL);
                        times[w][k] = now_s() - t0;
                        if (r < 0)
                                die("bs_nf_apply_both", r);
                        check_path(&caches[0], w);
                }
        report("insert", "without libiptc", ours, "through libiptc", cli, runs, 0);
        bs_change_done(&insert);

        for (unsigned k = 0; k < runs; k++)
                for (int w = 0; w < 2; w++) {
                        cli_restore(rules_path);
                        warm(caches);
                        double t0 = now_s();
                        r = bs_nf_rewrite_both("filter", BS_FAMILY_MASK_IPV4, how[w], caches, emptied, NULL, NULL);
                        times[w][k] = now_s() - t0;
                        if (r < 0)
                                die("bs_nf_rewrite_both", r);
                        check_path(&caches[0], w);
                }
        report("rewrite", "without libiptc", ours, "through libiptc", cli, runs, 0);

        for (unsigned k = 0; k < runs; k++)
                for (int w = 0; w < 2; w++) {
                        cli_restore(empty_path);
                        warm(caches);
                        cli_restore(rules_path);
                        const bs_table *t = NULL;
                        double t0 = now_s();
                        r = bs_nf_read_cached(BS_FAMILY_IPV4, "filter", how[w], &caches[0], &t);
                        times[w][k] = now_s() - t0;
                        if (r < 0)
                                die("bs_nf_read_cached", r);
                        if (caches[0].raw_decoded != !w || bs_table_count_rules(t) != n) {
                                fprintf(stderr, "bench-nf: a read %s libiptc went the other way\n",
                                        w ? "through" : "without");
                                exit(1);
                        }
                }
        report("changed", "without libiptc", ours, "through libiptc", cli, runs, 0);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);

        bs_table_free(via_cli);
        bs_table_free(via_us);
        for (unsigned i = 0; i < n; i++)
                bs_change_done(&changes[i]);
        free(changes);
        free(ours);
        free(cli);
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                unlink(paths[i]);
        return 0;
}
