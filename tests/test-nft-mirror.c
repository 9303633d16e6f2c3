/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read caches following others' commits from nf_tables' notifications
 * (daemon/nftables/nft-mirror.c), against the kernel in a private network
 * namespace, with iptables-nft making the changes: after every command the
 * cache either holds exactly what a fresh read of the kernel gives, at the
 * kernel's generation, or has given up its generation (and the next read
 * reads the table). The rule changes iptables-nft makes every day (append,
 * insert anywhere, replace, delete, restore --noflush, a change to another
 * table) are followed without a read; chains, policies and flushes may be
 * left to a read, but never followed wrong. */
#include <glib.h>

#include "nf-test.h"
#include "nft-mirror.h"
#include "nft-monitor.h"
#include "nft-read.h"
#include "text.h"

static bs_nf_read_cache caches[2];
static bs_nft_mirror mirror;
static bs_nft_sock monitor;
static unsigned reads;  /* tables read again because the mirror gave up */

static void feed(const struct nlmsghdr *nlh, void *userdata) {
        if (!nlh || bs_nft_mirror_feed(&mirror, caches, "filter", nlh) < 0)
                bs_nft_mirror_lost(&mirror, caches);
}

static void fill(int f) {
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.counters_may_lag = true;
        const bs_table *t = NULL;
        g_assert_cmpint(bs_backend_iptables_nft.read_cached(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6, "filter", &o,
                                                            &caches[f], &t),
                        ==, 0);
        g_assert_true(caches[f].have_nft_genid);
}

static char *render(const bs_table *t) {
        _cleanup_buf_ bs_buf b = {};
        g_assert_cmpint(bs_render_save(t, false, &b), ==, 0);
        return g_strdup(b.data ? b.data : "");
}

/* After one command: drain, then compare each family's cache with the
 * kernel. Returns how many families had to be read again. */
static unsigned step(const char *cmd) {
        sh_ok("%s", cmd);
        bool committed = false;
        /* (a command that changes nothing commits nothing) */
        g_assert_cmpint(bs_nft_monitor_drain(&monitor, feed, NULL, &committed), ==, 0);
        unsigned read_again = 0;
        for (int f = 0; f < 2; f++) {
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                _cleanup_nft_sock_ bs_nft_sock s = {};
                g_assert_cmpint(bs_nft_sock_open(&s), ==, 0);
                _cleanup_table_ bs_table *fresh = NULL;
                uint32_t genid = 0;
                g_assert_cmpint(bs_nft_read_table(&s, fam, "filter", &fresh, &genid), ==, 0);
                if (!caches[f].have_nft_genid) {
                        read_again++;
                        reads++;
                        fill(f);
                        continue;
                }
                g_assert_cmpuint(caches[f].nft_genid, ==, genid);
                if (!bs_table_equal(caches[f].table, fresh)) {
                        g_autofree char *a = render(caches[f].table), *b = render(fresh);
                        g_error("after \"%s\", %s: the cache holds\n%s\nthe kernel\n%s", cmd,
                                f == 0 ? "IPv4" : "IPv6", a, b);
                }
                /* the handles too: the next diff deletes by them */
                for (size_t c = 0; c < fresh->n_chains; c++)
                        for (size_t i = 0; i < fresh->chains[c].n_rules; i++)
                                g_assert_cmpuint(caches[f].table->chains[c].rules[i].origin, ==,
                                                 fresh->chains[c].rules[i].origin);
        }
        return read_again;
}

static void start(void) {
        sh_ok("nft flush ruleset");
        /* the tables and chains made (which a read follows), then empty */
        sh_ok("iptables-nft -N svc; ip6tables-nft -N svc");
        /* iptables-nft makes a base chain when a rule first goes into it */
        for (int f = 0; f < 2; f++)
                for (const char *const *c = (const char *const[]) { "INPUT", "FORWARD", "OUTPUT", NULL }; *c; c++)
                        sh_ok("%s -A %s -j ACCEPT; %s -D %s 1", f ? "ip6tables-nft" : "iptables-nft", *c,
                              f ? "ip6tables-nft" : "iptables-nft", *c);
        for (int f = 0; f < 2; f++) {
                bs_nf_read_cache_done(&caches[f]);
                fill(f);
        }
}

/* Every command here is followed: no read. */
static void test_followed(void) {
        start();
        static const char *const cmds[] = {
                "iptables-nft -A INPUT -s 10.0.0.1/32 -j ACCEPT",
                "iptables-nft -A INPUT -s 10.0.0.2/32 -j ACCEPT",
                "iptables-nft -I INPUT 1 -s 10.0.0.3/32 -j DROP",
                "iptables-nft -I INPUT 2 -p tcp --dport 22 -m comment --comment 'ssh in' -j ACCEPT",
                "iptables-nft -A INPUT -j svc",
                "iptables-nft -R INPUT 1 -s 10.0.0.4/32 -j DROP",
                "iptables-nft -R INPUT 5 -g svc",
                "iptables-nft -R INPUT 3 -s 10.0.0.5/32 -j ACCEPT",
                "iptables-nft -D INPUT 2",
                "iptables-nft -D INPUT -s 10.0.0.5/32 -j ACCEPT",
                "iptables-nft -A svc -p udp --dport 53 -j ACCEPT",
                "iptables-nft -I svc 1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "ip6tables-nft -A INPUT -s 2001:db8::1/128 -j ACCEPT",
                "ip6tables-nft -I INPUT 1 -p ipv6-icmp -j ACCEPT",
                "ip6tables-nft -R INPUT 2 -s 2001:db8::2/128 -j DROP",
                "ip6tables-nft -D INPUT 1",
                "printf '*filter\\n-A INPUT -s 10.1.0.1/32 -j ACCEPT\\n-I INPUT 1 -s 10.1.0.2/32 -j ACCEPT\\n"
                "-A INPUT -s 10.1.0.3/32 -j DROP\\n-I INPUT 3 -s 10.1.0.4/32 -j ACCEPT\\n-D INPUT 2\\nCOMMIT\\n'"
                " | iptables-nft-restore --noflush",
                "iptables-nft -t nat -A POSTROUTING -s 10.9.0.0/16 -j MASQUERADE",
                "iptables-nft -t nat -D POSTROUTING 1",
                "iptables-nft -D INPUT 1",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
                unsigned r = step(cmds[i]);
                if (r > 0 && !g_str_has_prefix(cmds[i], "iptables-nft -t nat -A"))
                        g_error("\"%s\" was not followed (%u families read again)", cmds[i], r);
        }
        g_test_message("followed %" G_GUINT64_FORMAT " commits, read again %u times", mirror.followed, reads);
}

/* Random commands of every kind: never a cache that differs from the
 * kernel at the kernel's generation. */
static void test_random(void) {
        start();
        guint32 seed = g_test_rand_int();
        g_test_message("seed %u", seed);
        GRand *rand = g_rand_new_with_seed(seed);
        unsigned n[2] = { 0, 0 };  /* rules in INPUT, as far as the commands below know */
        bool have_x = false;
        unsigned followed = 0, total = 200;
        for (unsigned k = 0; k < total; k++) {
                int f = g_rand_int_range(rand, 0, 2);
                const char *ipt = f == 0 ? "iptables-nft" : "ip6tables-nft";
                g_autofree char *addr = f == 0 ? g_strdup_printf("-s 10.2.%u.%u/32", k / 200, k % 200)
                                               : g_strdup_printf("-s 2001:db8::%x:%x/128", k / 200, k % 200);
                g_autofree char *cmd = NULL;
                switch (g_rand_int_range(rand, 0, 12)) {
                case 0: case 1:
                        cmd = g_strdup_printf("%s -A INPUT %s -j ACCEPT", ipt, addr);
                        n[f]++;
                        break;
                case 2: case 3:
                        cmd = g_strdup_printf("%s -I INPUT %u %s -j DROP", ipt, g_rand_int_range(rand, 1, n[f] + 2),
                                              addr);
                        n[f]++;
                        break;
                case 4:
                        if (n[f] == 0)
                                continue;
                        cmd = g_strdup_printf("%s -R INPUT %u %s -p tcp --dport %u -j ACCEPT", ipt,
                                              g_rand_int_range(rand, 1, n[f] + 1), addr, 1000 + k);
                        break;
                case 5: case 6:
                        if (n[f] == 0)
                                continue;
                        cmd = g_strdup_printf("%s -D INPUT %u", ipt, g_rand_int_range(rand, 1, n[f] + 1));
                        n[f]--;
                        break;
                case 7:
                        cmd = g_strdup_printf("%s -P INPUT %s", ipt, g_rand_boolean(rand) ? "DROP" : "ACCEPT");
                        break;
                case 8:
                        cmd = g_strdup(have_x ? "iptables-nft -F x; iptables-nft -X x"
                                              : "iptables-nft -N x; iptables-nft -A x -j RETURN");
                        have_x = !have_x;
                        break;
                case 9:
                        cmd = g_strdup_printf("%s -A svc %s -j RETURN", ipt, addr);
                        break;
                case 10:
                        cmd = g_strdup_printf("%s -F svc", ipt);
                        break;
                default:
                        cmd = g_strdup_printf("printf '*filter\\n-I INPUT 1 %s -j ACCEPT\\n-A INPUT %s -j DROP\\n"
                                              "COMMIT\\n' | %s-restore --noflush",
                                              addr, addr, ipt);
                        n[f] += 2;
                        break;
                }
                if (step(cmd) == 0)
                        followed++;
        }
        g_rand_free(rand);
        g_test_message("%u of %u commands followed without a read", followed, total);
        /* most commands are rule changes: most are followed */
        g_assert_cmpuint(followed, >, total / 2);
}

int main(int argc, char **argv) {
        g_setenv("BACKSTOP_TEST_BACKEND", "nft", TRUE);
        int r = nf_test_init(&argc, &argv);
        if (r != 0)
                return r;
        g_assert_cmpint(bs_nft_monitor_open(&monitor), ==, 0);
        g_test_add_func("/nft-mirror/followed", test_followed);
        g_test_add_func("/nft-mirror/random", test_random);
        r = nf_test_run();
        for (int f = 0; f < 2; f++)
                bs_nf_read_cache_done(&caches[f]);
        bs_nft_mirror_done(&mirror);
        bs_nft_sock_close(&monitor);
        return r;
}
