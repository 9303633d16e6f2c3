/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access against the real kernel: reads, and the read cache,
 * through the backend under test with its iptables as the oracle
 * (nf-test.h). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "nf-test.h"

/* --------------------------------------------------------------- read */

static void test_read(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -P FORWARD DROP; %1$s -N mychain; %1$s -N other; "
              "%1$s -A INPUT -p udp --dport 5555 -j mychain; %1$s -A INPUT -i lo -j ACCEPT; "
              "%1$s -A mychain -p udp -j RETURN; %1$s -A FORWARD -p tcp --dport 22 -g other; "
              "%1$s -A other -j DROP; %1$s -Z",
              c);
        send_udp(f->family, 5555, 3, 10);
        unsigned per_packet = (f->family == BS_FAMILY_IPV6 ? 48 : 28) + 10;

        g_autofree char *text = save(f, "filter");
        g_autofree char *expect = g_strdup_printf("[3:%u] -A INPUT -p udp -m udp --dport 5555 -j mychain", 3 * per_packet);
        g_assert_nonnull(strstr(text, expect));

        _cleanup_table_ bs_table *t = read_table(f->family, "filter");
        g_assert_cmpint(t->family, ==, f->family);
        g_assert_cmpstr(t->name, ==, "filter");
        g_assert_cmpuint(t->n_chains, ==, 5);
        const char *names[] = { "INPUT", "FORWARD", "OUTPUT", "mychain", "other" };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(t->chains[i].name, ==, names[i]);
                g_assert_cmpint(t->chains[i].builtin, ==, i < 3);
        }
        g_assert_cmpint(t->chains[0].policy, ==, BS_POLICY_ACCEPT);
        g_assert_cmpint(t->chains[1].policy, ==, BS_POLICY_DROP);
        g_assert_cmpint(t->chains[3].policy, ==, BS_POLICY_NONE);
        /* the datagrams left through OUTPUT, which has no rule: its policy
         * counted them (iptables-legacy); iptables-nft made no OUTPUT
         * chain, so nothing counted them */
        g_assert_cmpuint(t->chains[2].policy_packets, ==, legacy() ? 3 : 0);
        g_assert_cmpuint(t->chains[2].policy_bytes, ==, legacy() ? 3 * per_packet : 0);

        const bs_rule *r = rule_at(t, "INPUT", 0);
        g_assert_cmpint(r->family, ==, f->family);
        g_assert_cmpuint(r->proto, ==, IPPROTO_UDP);
        g_assert_cmpuint(r->n_matches, ==, 1);
        g_assert_cmpint(r->matches[0].kind, ==, BS_MATCH_UDP);
        g_assert_cmpuint(r->matches[0].udp.dport.lo, ==, 5555);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_JUMP);
        g_assert_cmpstr(r->target.chain, ==, "mychain");
        g_assert_cmpuint(r->packets, ==, 3);
        g_assert_cmpuint(r->bytes, ==, 3 * per_packet);

        r = rule_at(t, "INPUT", 1);
        g_assert_cmpstr(r->in_iface, ==, "lo");
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_ACCEPT);
        g_assert_cmpuint(r->packets, ==, 3);

        r = rule_at(t, "mychain", 0);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_RETURN);
        g_assert_cmpuint(r->packets, ==, 3);

        r = rule_at(t, "FORWARD", 0);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_GOTO);
        g_assert_cmpstr(r->target.chain, ==, "other");
        g_assert_cmpuint(r->packets, ==, 0);

        /* an unknown table / a bad name */
        bs_table *none = NULL;
        /* (the nf_tables backend manages the filter table alone) */
        g_assert_cmpint(B->read(f->family, "nosuchtable", NULL, &none), ==, legacy() ? -EPROTONOSUPPORT : -EOPNOTSUPP);
        g_assert_cmpint(B->read(f->family, "", NULL, &none), ==, -EINVAL);
        g_assert_null(none);
}

static void test_read_cached(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -N mychain; %1$s -A INPUT -p udp --dport 5555 -j mychain; %1$s -A mychain -j ACCEPT; "
              "%1$s -A INPUT -p tcp --dport 22 -j ACCEPT",
              c);
        _cleanup_(bs_nf_read_cache_done) bs_nf_read_cache cache = {};

        const bs_table *first = read_cached_checked(f, &cache);
        g_assert_cmpuint(cache.fast_hits, ==, 0);
        g_assert_true(cache.raw_decoded); /* from the entries, without libiptc */
        /* Nothing changed: the very same table, not decoded again, and
         * told from the kernel's entries without libiptc. */
        g_assert_true(read_cached_checked(f, &cache) == first);
        g_assert_cmpuint(cache.fast_hits, ==, 1);

        /* Only counters moved (rules and OUTPUT's policy): same table, new counters. */
        send_udp(f->family, 5555, 2, 10);
        const bs_table *t = read_cached_checked(f, &cache);
        g_assert_true(t == first);
        g_assert_cmpuint(cache.fast_hits, ==, 2);
        g_assert_cmpuint(rule_at(t, "INPUT", 0)->packets, ==, 2);
        g_assert_cmpuint(rule_at(t, "mychain", 0)->packets, ==, 2);
        g_assert_cmpuint(bs_table_find_chain(t, "OUTPUT")->policy_packets, ==, 2);

        /* Outside changes the cache must not hide, each the same size as
         * what it replaces where it can be: a target, a port, a policy, a
         * jump's chain renamed, a rule moved to another chain. Each changed
         * table is decoded from the entries read (the read compares them
         * with a fresh read through libiptc); and once more all through
         * libiptc (libiptc_only), which stays the fallback. */
        const char *outside[] = {
                "IPT -R INPUT 2 -p tcp --dport 22 -j DROP",
                "IPT -R INPUT 2 -p tcp --dport 23 -j DROP",
                "IPT -P INPUT DROP",
                "IPT -E mychain yours",
                "IPT -D INPUT 2; IPT -A yours -p tcp --dport 23 -j DROP",
                "IPT -F yours",
                "IPT -Z",
        };
        for (int via_libiptc = 0; via_libiptc < 2; via_libiptc++) {
                bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
                o.libiptc_only = via_libiptc;
                if (via_libiptc)
                        sh_ok("%1$s -E yours mychain; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT; %1$s -P INPUT ACCEPT",
                              c);
                for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
                        g_auto(GStrv) parts = g_strsplit(outside[i], "IPT", -1);
                        g_autofree char *cmd = g_strjoinv(c, parts);
                        g_autofree char *before = sh("%s -S", c);
                        sh_ok("%s", cmd);
                        read_cached_checked_with(f, &cache, &o);
                        g_autofree char *after = sh("%s -S", c);
                        if (i < G_N_ELEMENTS(outside) - 1) {
                                g_assert_cmpstr(before, !=, after);
                                g_assert_cmpint(cache.raw_decoded, ==, !via_libiptc);
                                g_assert_cmpuint(cache.fast_hits, ==, 0);
                        }
                }
        }

        /* Many rules with matches and targets: the kernel leaves the bytes
         * after an extension's name as the reader's buffer held them, which
         * must not make an unchanged table look changed. */
        reset_tables();
        g_autofree char *file = g_build_filename(g_get_tmp_dir(), "test-nf-many-XXXXXX", NULL);
        int fd = g_mkstemp(file);
        g_assert_cmpint(fd, >=, 0);
        GString *rules = g_string_new("*filter\n");
        for (int i = 0; i < 2000; i++)
                g_string_append_printf(rules, "-A INPUT -p %s --dport %d -m comment --comment n%d -j %s\n",
                                       i % 2 ? "tcp" : "udp", i + 1, i, i % 3 ? "ACCEPT" : "DROP");
        g_string_append(rules, "COMMIT\n");
        g_assert_true(g_file_set_contents(file, rules->str, -1, NULL));
        g_string_free(rules, TRUE);
        close(fd);
        sh_ok("%s-restore < %s", c, file);
        g_unlink(file);
        const bs_table *many = read_cached_checked(f, &cache);
        uint64_t generation = cache.generation;
        for (int i = 0; i < 3; i++) {
                g_assert_true(read_cached_checked(f, &cache) == many);
                g_assert_cmpuint(cache.generation, ==, generation);
                g_assert_cmpuint(cache.fast_hits, ==, (unsigned) i + 1);
        }

        /* The other family through the same cache: dropped and read anew. */
        const family_case *other = f->family == BS_FAMILY_IPV4 ? &v6 : &v4;
        t = read_cached_checked(other, &cache);
        g_assert_cmpint(t->family, ==, other->family);
}

/* The fast path of a cached read splits the kernel's entries into chains
 * the way libiptc does: user chains created out of name order, jumps and
 * gotos among them, a rule without a target (it falls through), RETURN,
 * QUEUE, a DROP policy. Each read of the unchanged table is a fast hit
 * equal to a fresh read; each outside change, even one that only points a
 * jump at another chain of the same name length, is seen. */
static void test_read_cached_layout(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -N zeta; %1$s -N alpha; %1$s -N mid; %1$s -N beta; "
              "%1$s -A INPUT -p tcp --dport 1 -j zeta; %1$s -A INPUT -p tcp --dport 2 -g alpha; "
              "%1$s -A INPUT -p tcp; %1$s -A zeta -j mid; %1$s -A mid -p udp -j RETURN; "
              "%1$s -A alpha -p udp --dport 9 -j QUEUE; %1$s -A beta -j DROP; %1$s -P FORWARD DROP",
              c);
        _cleanup_(bs_nf_read_cache_done) bs_nf_read_cache cache = {};
        const bs_table *t = read_cached_checked(f, &cache);
        for (unsigned i = 1; i <= 3; i++) {
                g_assert_true(read_cached_checked(f, &cache) == t);
                g_assert_cmpuint(cache.fast_hits, ==, i);
        }

        const char *outside[] = {
                "IPT -R INPUT 1 -p tcp --dport 1 -j beta", /* the jump's chain only */
                "IPT -R INPUT 2 -p tcp --dport 2 -j alpha", /* a goto becomes a jump */
                "IPT -R INPUT 3 -p udp",
                "IPT -P FORWARD ACCEPT",
                "IPT -A mid -j zeta",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
                g_auto(GStrv) parts = g_strsplit(outside[i], "IPT", -1);
                g_autofree char *cmd = g_strjoinv(c, parts);
                uint64_t generation = cache.generation;
                sh_ok("%s", cmd);
                t = read_cached_checked(f, &cache);
                g_assert_cmpuint(cache.generation, !=, generation);
                g_assert_cmpuint(cache.fast_hits, ==, 0);
                g_assert_true(read_cached_checked(f, &cache) == t);
                g_assert_cmpuint(cache.fast_hits, ==, 1);
        }
}

/* iptables-nft: the cache holds its table while the ruleset's generation
 * stays; counters, which count on without a new generation, are read
 * (unless the caller lets them lag); a commit to another nf_tables table
 * moves the generation on but leaves the cache's own (its rules are the
 * same); a change to ours is seen. */
static void test_read_cached_generation(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -N mychain; %1$s -A INPUT -p udp --dport 5555 -j mychain; %1$s -A mychain -j ACCEPT", c);
        _cleanup_(bs_nf_read_cache_done) bs_nf_read_cache cache = {};
        const bs_table *first = read_cached_checked(f, &cache);
        uint64_t generation = cache.generation;
        g_assert_true(cache.have_nft_genid);
        g_assert_true(read_cached_checked(f, &cache) == first);

        send_udp(f->family, 5555, 2, 10);
        g_assert_true(read_cached_checked(f, &cache) == first);
        g_assert_cmpuint(rule_at(first, "INPUT", 0)->packets, ==, 2);

        bs_nf_options lag = BS_NF_OPTIONS_DEFAULT;
        lag.counters_may_lag = true;
        send_udp(f->family, 5555, 3, 10);
        const bs_table *t = NULL;
        g_assert_cmpint(B->read_cached(f->family, "filter", &lag, &cache, &t), ==, 0);
        g_assert_true(t == first);
        g_assert_cmpuint(rule_at(t, "INPUT", 0)->packets, ==, 2); /* as of the last read */
        g_assert_true(read_cached_checked(f, &cache) == first);
        g_assert_cmpuint(rule_at(first, "INPUT", 0)->packets, ==, 5);

        sh_ok("nft add table inet backstop_test_other");
        read_cached_checked(f, &cache);
        g_assert_cmpuint(cache.generation, ==, generation);

        sh_ok("%s -A mychain -j DROP", c);
        read_cached_checked(f, &cache);
        g_assert_cmpuint(cache.generation, !=, generation);
        sh_ok("nft delete table inet backstop_test_other");
}

int main(int argc, char **argv) {
        int r = nf_test_init(&argc, &argv);
        if (r != 0)
                return r;
        nf_test_add_both("read", test_read);
        if (legacy()) {
                /* the fast path of legacy's cache: the kernel's entries
                 * compared without libiptc */
                nf_test_add_both("read-cached", test_read_cached);
                nf_test_add_both("read-cached-layout", test_read_cached_layout);
        } else {
                nf_test_add_both("read-cached-generation", test_read_cached_generation);
        }
        return nf_test_run();
}
