/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark of table access (not a test: run it by hand, as root):
 *
 *   build/tests/bench/bench-nf [--backend=legacy|nft] [RULES [RUNS]]
 *                                        (default legacy, 10000 rules, 7 runs)
 *
 * In a private network namespace with a private XTABLES_LOCKFILE, it
 * compares one backend (backend.h: iptables-legacy through libiptc, or
 * iptables-nft through nf_tables) with that backend's own CLI
 * (iptables-legacy-restore / iptables-legacy -S, or iptables-nft-restore /
 * iptables-nft -S / iptables-nft -I), on the same RULES distinct IPv4
 * rules:
 *   apply    apply_both of RULES appends in one batch, on an empty table
 *            (no read cache) vs restore of the same rules as text
 *   restore  restore of a RULES-rule snapshot over a changed table
 *            vs restore of the saved table over the same change
 *   read     read of the RULES-rule table vs -S
 * then the daemon's own steps, with the read cache holding the kernel's
 * table, as in the daemon. iptables-legacy: each committed without libiptc
 * and, side by side, through libiptc (bs_nf_options.libiptc_only):
 *   append   RULES appends on an empty table
 *   insert   one insert at 1 on the RULES-rule table
 *   rewrite  the RULES-rule table back to empty (a rollback's step)
 *   changed  a cached read of the RULES-rule table just restored outside
 *            (the cache held the empty table): decoded from the entries
 *            read vs read again and decoded through libiptc
 * iptables-nft: each against the CLI doing the same:
 *   append   RULES appends on an empty table vs restore of the rules
 *   insert   one insert at 1 on the RULES-rule table vs -I INPUT 1
 *   rewrite  the RULES-rule table back to empty vs restore of the empty
 *            table (what a rollback of RULES appends does); once more
 *            with a socket listening to nf_tables' notifications in the
 *            namespace, as backstopd's monitor does
 *   cached   read_cached of the RULES-rule table at an unchanged
 *            generation (counters refreshed, and left to lag) vs -S
 *   changed  read_cached after the CLI restored the table vs -S
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

#include "backend.h"
#include "nf.h"
#include "nft-monitor.h"
#include "rule.h"

extern char **environ;

/* A backend and its own command-line tools, the peer it is measured against */
typedef struct peer {
        const char *name;     /* as --backend takes it */
        const bs_backend *backend;
        const char *restore, *save, *iptables;
        const char *short_name; /* in the table: "legacy", "nft" */
} peer;

static const peer peers[] = {
        { "legacy", &bs_backend_iptables_legacy, "iptables-legacy-restore", "iptables-legacy-save", "iptables-legacy",
          "legacy" },
        { "nft", &bs_backend_iptables_nft, "iptables-nft-restore", "iptables-nft-save", "iptables-nft", "nft" },
};
static const peer *P = &peers[0];

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
        char *argv[] = { (char *) P->restore, NULL };
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

/* ours and the peer's, and the ratio; target > 0: the ratio wanted,
 * printed beside it ("target ≥ 3×: met"). */
static void report(const char *what, const char *ours_name, double *ours, const char *cli_name, double *cli,
                   unsigned runs, double target) {
        stats a = summarize(ours, runs), b = summarize(cli, runs);
        printf("%-8s %-22s %8.2f ms  (%.2f-%.2f)\n", what, ours_name, a.median * 1e3, a.min * 1e3, a.max * 1e3);
        printf("%-8s %-22s %8.2f ms  (%.2f-%.2f)\n", "", cli_name, b.median * 1e3, b.min * 1e3, b.max * 1e3);
        char goal[64] = "";
        if (target > 0)
                snprintf(goal, sizeof(goal), "  (target ≥ %g×: %s)", target,
                         b.median / a.median >= target ? "met" : "MISSED");
        printf("%-8s ratio %.2fx faster%s\n\n", "", b.median / a.median, goal);
}

/* The read cache holding the kernel's table, as the daemon's does. */
static void warm(bs_nf_read_cache *caches) {
        const bs_table *t = NULL;
        int r = P->backend->read_cached(BS_FAMILY_IPV4, "filter", NULL, &caches[0], &t);
        if (r < 0)
                die("read_cached", r);
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

/* argv of "IPTABLES -I INPUT 1 RULE-i" (the rule make_rule(i) gives) in
 * argv, its strings in buf */
static void insert_argv(unsigned i, char buf[4][32], char *argv[24]) {
        bool tcp = i % 3 != 1;
        snprintf(buf[0], sizeof(buf[0]), "10.%u.%u.%u/32", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        snprintf(buf[1], sizeof(buf[1]), "%u", 1024 + i % 60000);
        snprintf(buf[2], sizeof(buf[2]), "rule %u", i);
        const char *proto = tcp ? "tcp" : "udp";
        const char *v[] = { P->iptables, "-I", "INPUT", "1", "-s", buf[0], "-p", proto, "-m", proto, "--dport", buf[1] };
        size_t n = 0;
        for (; n < ELEMENTSOF(v); n++)
                argv[n] = (char *) v[n];
        if (i % 3 == 2) {
                argv[n++] = (char *) "-m";
                argv[n++] = (char *) "comment";
                argv[n++] = (char *) "--comment";
                argv[n++] = buf[2];
        }
        argv[n++] = (char *) "-j";
        argv[n++] = (char *) (i % 2 ? "DROP" : "ACCEPT");
        argv[n] = NULL;
}

static double *ours, *cli;
static unsigned runs;

/* apply, restore and read through the backend against its CLI; returns
 * the n-rule table the backend wrote */
static bs_table *backend_vs_cli(const bs_change *changes, unsigned n, double apply_target) {
        const bs_backend *b = P->backend;
        char restore_name[48], list_name[48];
        snprintf(restore_name, sizeof(restore_name), "%s-restore", P->short_name);
        snprintf(list_name, sizeof(list_name), "%s -S", P->iptables);

        /* apply: n appends on an empty table, no read cache */
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(empty_path);
                double t0 = now_s();
                int r = b->apply_both("filter", changes, n, BS_FAMILY_MASK_IPV4, NULL, NULL, NULL, NULL, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("apply_both", r);
                cli_restore(empty_path);
                cli[k] = cli_restore(rules_path);
        }
        /* both wrote the same thing */
        bs_table *via_cli = NULL, *via_us = NULL;
        int r = b->read(BS_FAMILY_IPV4, "filter", NULL, &via_cli);
        if (r < 0)
                die("read", r);
        cli_restore(empty_path);
        r = b->apply_both("filter", changes, n, BS_FAMILY_MASK_IPV4, NULL, NULL, NULL, NULL, NULL);
        if (r >= 0)
                r = b->read(BS_FAMILY_IPV4, "filter", NULL, &via_us);
        if (r < 0)
                die("apply_both", r);
        if (!bs_table_equal(via_cli, via_us) || bs_table_count_rules(via_us) != n) {
                fprintf(stderr, "bench-nf: apply_both and %s disagree\n", P->restore);
                exit(1);
        }
        bs_table_free(via_cli);
        report("apply", "apply_both", ours, restore_name, cli, runs, apply_target);

        /* restore: the n-rule snapshot over a changed table */
        char *save_argv[] = { (char *) P->save, (char *) "-t", (char *) "filter", NULL };
        run(save_argv, NULL, saved_path);
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(change_path);
                double t0 = now_s();
                r = b->restore(via_us, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("restore", r);
                cli_restore(change_path);
                cli[k] = cli_restore(saved_path);
        }
        cli_restore(change_path);
        r = b->restore(via_us, NULL);
        bs_table *restored = NULL;
        if (r < 0 || b->read(BS_FAMILY_IPV4, "filter", NULL, &restored) < 0 || !bs_table_equal(restored, via_us)) {
                fprintf(stderr, "bench-nf: restore did not give the snapshot back\n");
                exit(1);
        }
        bs_table_free(restored);
        report("restore", "restore", ours, restore_name, cli, runs, 2);

        /* read: the n-rule table */
        char *list_argv[] = { (char *) P->iptables, (char *) "-S", NULL };
        for (unsigned k = 0; k < runs; k++) {
                bs_table *t = NULL;
                double t0 = now_s();
                r = b->read(BS_FAMILY_IPV4, "filter", NULL, &t);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("read", r);
                bs_table_free(t);
                cli[k] = run(list_argv, NULL, NULL);
        }
        report("read", "read", ours, list_name, cli, runs, 0);
        return via_us;
}

/* iptables-legacy: the daemon's steps without libiptc and through it */
static void legacy_steps(const bs_change *changes, unsigned n) {
        printf("The daemon's steps (read cache warm), without libiptc vs through libiptc:\n\n");
        bs_nf_read_cache caches[2] = {};
        bs_nf_options via_libiptc = BS_NF_OPTIONS_DEFAULT;
        via_libiptc.libiptc_only = true;
        const bs_nf_options *how[2] = { NULL, &via_libiptc };
        double *times[2] = { ours, cli };
        int r;

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
}

/* The commit's generation came back with it (the kernel's NEWGEN echo):
 * the cache keeps the table committed, and the next look reads nothing. */
static void check_kept(const bs_nf_read_cache *cache, const char *step) {
        if (!cache->table || !cache->have_nft_genid) {
                fprintf(stderr, "bench-nf: after %s the cache does not hold the table committed\n", step);
                exit(1);
        }
}

/* iptables-nft: the daemon's steps (read cache warm) against the CLI
 * doing the same */
static void nft_steps(const bs_change *changes, unsigned n) {
        const bs_backend *b = P->backend;
        printf("The daemon's steps (read cache warm) vs the CLI doing the same:\n\n");
        bs_nf_read_cache caches[2] = {};
        char *list_argv[] = { (char *) P->iptables, (char *) "-S", NULL };
        int r;

        for (unsigned k = 0; k < runs; k++) {
                cli_restore(empty_path);
                warm(caches);
                double t0 = now_s();
                r = b->apply_both("filter", changes, n, BS_FAMILY_MASK_IPV4, NULL, caches, NULL, NULL, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("apply_both", r);
                check_kept(&caches[0], "the appends");
                cli_restore(empty_path);
                cli[k] = cli_restore(rules_path);
        }
        report("append", "apply_both", ours, "nft-restore", cli, runs, 3);

        bs_change insert;
        bs_change_init(&insert, BS_CHANGE_INSERT, BS_FAMILY_MASK_IPV4);
        strcpy(insert.chain, "INPUT");
        insert.position = 1;
        make_rule(n, &insert.rule, NULL);
        char argv_buf[4][32], *argv_insert[24];
        insert_argv(n, argv_buf, argv_insert);
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(rules_path);
                warm(caches);
                double t0 = now_s();
                r = b->apply_both("filter", &insert, 1, BS_FAMILY_MASK_IPV4, NULL, caches, NULL, NULL, NULL);
                ours[k] = now_s() - t0;
                if (r < 0)
                        die("apply_both", r);
                cli_restore(rules_path);
                cli[k] = run(argv_insert, NULL, NULL);
        }
        report("insert", "apply_both", ours, "iptables-nft -I", cli, runs, 1);
        bs_change_done(&insert);

        /* the rewrite, and again with a socket on nf_tables' notifications
         * in the namespace, as backstopd has (its monitor): the kernel
         * then builds a notification of every rule each commit adds or
         * deletes, for everyone's commits, ours and the CLI's alike */
        bs_nft_sock monitor = {};
        for (int listening = 0; listening < 2; listening++) {
                if (listening && (r = bs_nft_monitor_open(&monitor)) < 0)
                        die("bs_nft_monitor_open", r);
                for (unsigned k = 0; k < runs; k++) {
                        cli_restore(rules_path);
                        warm(caches);
                        double t0 = now_s();
                        r = b->rewrite_both("filter", BS_FAMILY_MASK_IPV4, NULL, caches, emptied, NULL, NULL);
                        ours[k] = now_s() - t0;
                        if (r < 0)
                                die("rewrite_both", r);
                        check_kept(&caches[0], "the rewrite");
                        cli_restore(rules_path);
                        cli[k] = cli_restore(empty_path);
                }
                report(listening ? "" : "rewrite", listening ? "rewrite_both, monitored" : "rewrite_both", ours,
                       listening ? "nft-restore, monitored" : "nft-restore (empty)", cli, runs, 5);
        }
        bs_nft_sock_close(&monitor);

        /* the table as the cache holds it, the generation unchanged */
        cli_restore(rules_path);
        warm(caches);
        bs_nf_options lag = BS_NF_OPTIONS_DEFAULT;
        lag.counters_may_lag = true;
        const bs_nf_options *how[2] = { NULL, &lag };
        const char *how_name[2] = { "read_cached", "read_cached (lag)" };
        for (int w = 0; w < 2; w++) {
                for (unsigned k = 0; k < runs; k++) {
                        const bs_table *t = NULL;
                        double t0 = now_s();
                        r = b->read_cached(BS_FAMILY_IPV4, "filter", how[w], &caches[0], &t);
                        ours[k] = now_s() - t0;
                        if (r < 0 || bs_table_count_rules(t) != n)
                                die("read_cached", r < 0 ? r : -EIO);
                        cli[k] = run(list_argv, NULL, NULL);
                }
                report(w ? "" : "cached", how_name[w], ours, "iptables-nft -S", cli, runs, 1);
        }

        /* after the CLI changed the table: read again */
        for (unsigned k = 0; k < runs; k++) {
                cli_restore(empty_path);
                warm(caches);
                cli_restore(rules_path);
                const bs_table *t = NULL;
                double t0 = now_s();
                r = b->read_cached(BS_FAMILY_IPV4, "filter", NULL, &caches[0], &t);
                ours[k] = now_s() - t0;
                if (r < 0 || bs_table_count_rules(t) != n)
                        die("read_cached", r < 0 ? r : -EIO);
                cli[k] = run(list_argv, NULL, NULL);
        }
        report("changed", "read_cached", ours, "iptables-nft -S", cli, runs, 1);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

int main(int argc, char **argv) {
        int a = 1;
        if (argc > 1 && strncmp(argv[1], "--backend=", 10) == 0) {
                P = NULL;
                for (size_t i = 0; i < ELEMENTSOF(peers); i++)
                        if (streq(argv[1] + 10, peers[i].name))
                                P = &peers[i];
                a++;
        }
        unsigned n = argc > a ? (unsigned) strtoul(argv[a], NULL, 10) : 10000;
        runs = argc > a + 1 ? (unsigned) strtoul(argv[a + 1], NULL, 10) : 7;
        if (!P || n == 0 || n > 60000 || runs == 0 || runs > 100) {
                fprintf(stderr, "usage: bench-nf [--backend=legacy|nft] [RULES (1-60000) [RUNS (1-100)]]\n");
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

        ours = calloc(runs, sizeof(double));
        cli = calloc(runs, sizeof(double));
        if (!ours || !cli)
                die("calloc", ENOMEM);
        printf("bench-nf: %s (%s), %u IPv4 rules, %u runs each, median (min-max)\n\n", P->backend->name,
               P->iptables, n, runs);
        bs_table *written = backend_vs_cli(changes, n, 3);
        if (P->backend == &bs_backend_iptables_nft)
                nft_steps(changes, n);
        else
                legacy_steps(changes, n);

        bs_table_free(written);
        for (unsigned i = 0; i < n; i++)
                bs_change_done(&changes[i]);
        free(changes);
        free(ours);
        free(cli);
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                unlink(paths[i]);
        return 0;
}
