/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend choice's look at the rulesets (backend-choice.c, step (b) of
 * auto) and the legacy ruleset's report, against the kernel in a private
 * network namespace: the rules are made by iptables-legacy and
 * iptables-nft themselves. No iptables link is given, so auto decides by
 * the rules. The fake-backend cases are test-backend-choice. */
#include <glib.h>

#include "backend-choice.h"
#include "nf-test.h"

static void probe(bs_backend_probe *p) {
        bs_backend_probe_default(p);
        p->iptables_links = "/nonexistent/iptables";
        p->proc_net = "/proc/net";
}

static bool legacy_filter_listed(void) {
        g_autofree char *names = NULL;
        if (!g_file_get_contents("/proc/net/ip_tables_names", &names, NULL, NULL))
                return false;
        g_auto(GStrv) lines = g_strsplit(names, "\n", -1);
        return g_strv_contains((const char *const *) lines, "filter");
}

static void reset_all(void) {
        if (legacy_filter_listed())
                reset_tables();
        sh_ok("nft flush ruleset");
}

static void choose(bs_backend_choice *c) {
        bs_backend_probe p;
        probe(&p);
        g_assert_cmpint(bs_backend_choose_auto(&p, c), ==, 0);
        g_test_message("%s: %s", c->backend->name, c->reason);
}

/* Whether the nft backend reads tables here (its table reader is needed
 * for the nf_tables side of step (b)). */
static bool nft_reader_works(void) {
        bs_table *t = NULL;
        int r = bs_backend_iptables_nft.read(BS_FAMILY_IPV4, "filter", NULL, &t);
        bs_table_free(t);
        return r != -EOPNOTSUPP;
}

static void test_nothing_anywhere(void) {
        reset_all();
        bool listed_before = legacy_filter_listed();
        bs_backend_choice c;
        choose(&c);
        g_assert_true(c.backend == &bs_backend_iptables_nft);
        g_assert_true(g_str_has_prefix(c.reason, "auto: neither ruleset holds rules; nft, the default"));
        /* looking did not create the legacy table */
        if (!listed_before)
                g_assert_false(legacy_filter_listed());
        else
                g_test_message("the legacy filter table existed already in this namespace");
}

static void test_legacy_rules(void) {
        reset_all();
        sh_ok("iptables-legacy -A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_backend_choice c;
        choose(&c);
        g_assert_true(c.backend == &bs_backend_iptables_legacy);
        g_assert_true(g_str_has_prefix(c.reason, "auto: only the legacy filter tables hold rules"));

        /* a policy alone, IPv6 alone, counts as much */
        reset_all();
        sh_ok("ip6tables-legacy -P FORWARD DROP");
        choose(&c);
        g_assert_true(c.backend == &bs_backend_iptables_legacy);
        reset_all();
}

static void test_nft_rules(void) {
        reset_all();
        sh_ok("iptables-nft -A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_backend_choice c;
        choose(&c);
        g_assert_true(c.backend == &bs_backend_iptables_nft);
        if (!nft_reader_works()) {
                g_assert_nonnull(strstr(c.reason, "nf_tables not readable: "));
                g_test_incomplete("the nf_tables side of auto's step (b) needs the nft backend's table reader");
                reset_all();
                return;
        }
        g_assert_true(g_str_has_prefix(c.reason, "auto: only the nf_tables filter tables hold rules"));

        sh_ok("iptables-legacy -A INPUT -j ACCEPT");
        choose(&c);
        g_assert_true(c.backend == &bs_backend_iptables_nft);
        g_assert_true(g_str_has_prefix(c.reason, "auto: both rulesets hold rules; nft, the default"));
        reset_all();
}

static void test_legacy_filters_input(void) {
        reset_all();
        bs_backend_probe p;
        probe(&p);
        bool found = true;
        char *desc = (char *) "unset";
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, &desc), ==, 0);
        g_assert_false(found);
        g_assert_null(desc);

        /* rules elsewhere than INPUT, and nft's own INPUT: not the legacy INPUT */
        sh_ok("iptables-legacy -A FORWARD -j DROP; iptables-legacy -P OUTPUT DROP");
        sh_ok("iptables-nft -A INPUT -j DROP");
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, &desc), ==, 0);
        g_assert_false(found);

        sh_ok("iptables-legacy -A INPUT -i lo -j ACCEPT; ip6tables-legacy -P INPUT DROP");
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, &desc), ==, 0);
        g_assert_true(found);
        g_assert_cmpstr(desc, ==, "ipv4 filter INPUT: 1 rule, policy ACCEPT; ipv6 filter INPUT: 0 rules, policy DROP");
        free(desc);
        reset_all();
}

int main(int argc, char **argv) {
        int r = nf_test_init(&argc, &argv);
        if (r != 0)
                return r;
        /* first: before any other test loads a legacy table here */
        g_test_add_func("/backend-kernel/nothing-anywhere", test_nothing_anywhere);
        g_test_add_func("/backend-kernel/legacy-rules", test_legacy_rules);
        g_test_add_func("/backend-kernel/nft-rules", test_nft_rules);
        g_test_add_func("/backend-kernel/legacy-filters-input", test_legacy_filters_input);
        return nf_test_run();
}
