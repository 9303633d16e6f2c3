/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the default-deny recipe: the changes it makes, where, its
 * idempotence (a second run changes nothing), and that its result passes
 * the verification report. */
#include "access-build.h"
#include "check.h"
#include "recipe.h"
#include "text.h"

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static const bs_l4port ssh[] = { { IPPROTO_TCP, 22 } };

/* Run the recipe, apply its changes to t4/t6 in memory, return how many. */
static size_t run_and_apply(bs_table *t4, bs_table *t6, const bs_l4port *allows, size_t n, GPtrArray *texts) {
        bs_change *ch = NULL;
        size_t nch = 0;
        g_assert_cmpint(bs_recipe_default_deny(t4, t6, allows, n, &ch, &nch), ==, 0);
        for (size_t i = 0; i < nch; i++) {
                bs_buf buf = { 0 };
                g_assert_cmpint(bs_render_change(&ch[i], ch[i].families == BS_FAMILY_MASK_IPV6 ? V6 : V4, &buf), ==, 0);
                if (texts)
                        g_ptr_array_add(texts, g_strdup(buf.data));
                g_test_message("%s", buf.data);
                bs_buf_done(&buf);
                g_assert_true(ch[i].families == BS_FAMILY_MASK_IPV4 || ch[i].families == BS_FAMILY_MASK_IPV6);
                if (t4)
                        g_assert_cmpint(bs_table_apply_change(t4, &ch[i]), ==, 0);
                if (t6)
                        g_assert_cmpint(bs_table_apply_change(t6, &ch[i]), ==, 0);
        }
        bs_changes_free(ch, nch);
        return nch;
}

static void test_fresh(void) {
        bs_table *v4 = ab_filter(V4, BS_POLICY_ACCEPT), *v6 = ab_filter(V6, BS_POLICY_ACCEPT);
        GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
        g_assert_cmpuint(run_and_apply(v4, v6, ssh, 1, texts), ==, 13);
        static const char *const want[] = {
                "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                "iptables -A INPUT -i lo -j ACCEPT",
                "iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
                "ip6tables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                "ip6tables -A INPUT -i lo -j ACCEPT",
                "ip6tables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
                "ip6tables -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j ACCEPT",
                "ip6tables -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT",
                "ip6tables -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT",
                "ip6tables -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT",
                "ip6tables -A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ACCEPT",
                "iptables -P INPUT DROP",
                "ip6tables -P INPUT DROP",
        };
        g_assert_cmpuint(texts->len, ==, G_N_ELEMENTS(want));
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
                g_assert_cmpstr(texts->pdata[i], ==, want[i]);
        g_ptr_array_free(texts, true);

        /* idempotent */
        g_assert_cmpuint(run_and_apply(v4, v6, ssh, 1, NULL), ==, 0);

        /* and it passes the checks (but for the counter, nothing ran yet) */
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        bs_check_report rep;
        g_assert_cmpint(bs_check_run(v4, v6, &ports, &rep), ==, 0);
        for (size_t i = 0; i < rep.n; i++)
                if (!streq(rep.items[i].id, "stateful-counter") && !rep.items[i].passed)
                        g_error("%s/%s failed: %s", rep.items[i].family, rep.items[i].id, rep.items[i].summary);
        bs_check_report_done(&rep);
        bs_table_free(v4);
        bs_table_free(v6);
}

static void test_existing_rules(void) {
        /* already: -m state stateful at 2, -i lo, 22 via multiport, and a final -j REJECT */
        bs_table *v4 = ab_filter(V4, BS_POLICY_ACCEPT);
        ab_iface_accept(v4, "INPUT", "lo");
        ab_stateful(v4, "INPUT", true);
        bs_rule r;
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_MULTIPORT);
        m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_DESTINATION, .count = 2, .ports = { 22, 80 } };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v4, "INPUT", &r);
        ab_plain(v4, "INPUT", BS_TARGET_REJECT);

        static const bs_l4port allows[] = { { IPPROTO_TCP, 22 }, { IPPROTO_UDP, 60001 }, { IPPROTO_TCP, 443 } };
        GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
        g_assert_cmpuint(run_and_apply(v4, NULL, allows, 3, texts), ==, 3);
        /* the new allows go before the final REJECT, where they take effect */
        g_assert_cmpstr(texts->pdata[0], ==, "iptables -I INPUT 4 -p udp -m udp --dport 60001 -j ACCEPT");
        g_assert_cmpstr(texts->pdata[1], ==, "iptables -I INPUT 5 -p tcp -m tcp --dport 443 -j ACCEPT");
        g_assert_cmpstr(texts->pdata[2], ==, "iptables -P INPUT DROP");
        g_ptr_array_free(texts, true);
        bs_chain *in = bs_table_find_chain(v4, "INPUT");
        g_assert_cmpuint(in->n_rules, ==, 6);
        g_assert_cmpint(in->rules[5].target.kind, ==, BS_TARGET_REJECT);
        g_assert_cmpuint(run_and_apply(v4, NULL, allows, 3, NULL), ==, 0);

        /* a restricted allow does not count as the allow asked for */
        bs_table *v6 = ab_filter(V6, BS_POLICY_DROP);
        ab_stateful(v6, "INPUT", false);
        ab_iface_accept(v6, "INPUT", "lo");
        bs_rule_init(&r, V6);
        ab_addr(&r.src, V6, "2001:db8::", 32);
        ab_tcp(&r, 22, 22);
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v6, "INPUT", &r);
        bs_rule_init(&r, V6); /* all of ICMPv6 already accepted */
        r.proto = IPPROTO_ICMPV6;
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v6, "INPUT", &r);
        texts = g_ptr_array_new_with_free_func(g_free);
        g_assert_cmpuint(run_and_apply(NULL, v6, ssh, 1, texts), ==, 1);
        g_assert_cmpstr(texts->pdata[0], ==, "ip6tables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT");
        g_ptr_array_free(texts, true);
        g_assert_cmpuint(run_and_apply(NULL, v6, ssh, 1, NULL), ==, 0);
        bs_table_free(v4);
        bs_table_free(v6);
}

static void test_bad_input(void) {
        bs_table *v4 = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_change *ch = NULL;
        size_t n = 0;
        static const bs_l4port zero[] = { { IPPROTO_TCP, 0 } }, icmp[] = { { IPPROTO_ICMP, 1 } };
        g_assert_cmpint(bs_recipe_default_deny(v4, NULL, zero, 1, &ch, &n), ==, -EINVAL);
        g_assert_cmpint(bs_recipe_default_deny(v4, NULL, icmp, 1, &ch, &n), ==, -EINVAL);
        g_assert_cmpint(bs_recipe_default_deny(NULL, v4, ssh, 1, &ch, &n), ==, -EINVAL);
        bs_table *empty = bs_table_new(V4, "filter");
        g_assert_cmpint(bs_recipe_default_deny(empty, NULL, ssh, 1, &ch, &n), ==, -EINVAL);
        /* no allows at all: still stateful + lo + policy */
        g_assert_cmpint(bs_recipe_default_deny(v4, NULL, NULL, 0, &ch, &n), ==, 0);
        g_assert_cmpuint(n, ==, 3);
        bs_changes_free(ch, n);
        bs_table_free(empty);
        bs_table_free(v4);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/recipe/fresh", test_fresh);
        g_test_add_func("/recipe/existing-rules", test_existing_rules);
        g_test_add_func("/recipe/bad-input", test_bad_input);
        return g_test_run();
}
