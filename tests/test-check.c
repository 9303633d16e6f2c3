/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the verification report on good and bad hand-built rulesets. */
#include "access-build.h"
#include "check.h"

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static void icmp6_accept(bs_table *t, uint8_t type) {
        bs_rule r;
        bs_rule_init(&r, V6);
        r.proto = IPPROTO_ICMPV6;
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_ICMP6);
        m->icmp = (bs_match_icmp){ .type = type, .code_min = 0, .code_max = 0xff };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
}

/* The reference workflow's result. */
static bs_table *good(bs_family f) {
        bs_table *t = ab_filter(f, BS_POLICY_DROP);
        ab_stateful(t, "INPUT", false);
        t->chains[0].rules[0].packets = 7;
        ab_iface_accept(t, "INPUT", "lo");
        ab_port_rule(t, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        if (f == V6)
                for (uint8_t k = 133; k <= 136; k++)
                        icmp6_accept(t, k);
        return t;
}

static bs_check_report run(const bs_table *v4, const bs_table *v6) {
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        bs_check_report r;
        g_assert_cmpint(bs_check_run(v4, v6, &ports, &r), ==, 0);
        return r;
}

static const bs_check_item *get(const bs_check_report *r, const char *id, const char *fam) {
        const bs_check_item *it = bs_check_report_find(r, id, fam);
        if (!it)
                g_error("no item %s/%s", id, fam);
        return it;
}

static void dump(const bs_check_report *r) {
        for (size_t i = 0; i < r->n; i++)
                g_test_message("%s %s %s: %s | %s", r->items[i].passed ? "PASS" : "FAIL", r->items[i].family, r->items[i].id,
                               r->items[i].summary, r->items[i].detail);
}

static void test_good(void) {
        bs_table *v4 = good(V4), *v6 = good(V6);
        bs_check_report r = run(v4, v6);
        dump(&r);
        g_assert_true(r.passed);
        g_assert_cmpuint(r.n, ==, 6 + 7 + 1);
        g_assert_cmpstr(get(&r, "stateful-rule-present", "ipv4")->summary, ==,
                        "the stateful rule is rule 1 of INPUT (-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT)");
        g_assert_cmpstr(get(&r, "stateful-counter", "ipv6")->summary, ==,
                        "replies are being matched by the stateful rule (7 packets)");
        g_assert_true(get(&r, "ipv6-ndp-allowed", "ipv6")->passed);
        g_assert_true(get(&r, "ipv6-parity", "")->passed);
        g_assert_null(bs_check_report_find(&r, "ipv6-ndp-allowed", "ipv4"));
        bs_check_report_done(&r);

        /* -m state spelling, after a harmless INVALID drop */
        bs_chain *in = bs_table_find_chain(v4, "INPUT");
        in->rules[0].matches[0].conntrack.match_flags |= 1u << 13;
        bs_rule x;
        bs_rule_init(&x, V4);
        ab_ctstate(&x, AB_CT_INVALID, false);
        ab_target(&x, BS_TARGET_DROP);
        g_assert_cmpint(bs_chain_insert_rule(in, 0, &x), ==, 0);
        r = run(v4, NULL);
        dump(&r);
        g_assert_true(r.passed);
        g_assert_cmpstr(get(&r, "stateful-rule-present", "ipv4")->summary, ==,
                        "the stateful rule is rule 2 of INPUT (-m state --state RELATED,ESTABLISHED -j ACCEPT)");
        bs_check_report_done(&r);
        bs_table_free(v4);
        bs_table_free(v6);
}

static void test_fresh_host(void) {
        bs_table *v4 = ab_filter(V4, BS_POLICY_ACCEPT), *v6 = ab_filter(V6, BS_POLICY_ACCEPT);
        bs_check_report r = run(v4, v6);
        dump(&r);
        g_assert_false(r.passed);
        g_assert_false(get(&r, "stateful-rule-present", "ipv4")->passed);
        g_assert_nonnull(strstr(get(&r, "stateful-rule-present", "ipv6")->detail, "ip6tables -I INPUT 1 -m conntrack"));
        g_assert_false(get(&r, "loopback-allowed", "ipv4")->passed);
        g_assert_false(get(&r, "management-allowed", "ipv4")->passed);
        g_assert_nonnull(strstr(get(&r, "management-allowed", "ipv4")->detail, "22/tcp: no ACCEPT rule"));
        g_assert_false(get(&r, "input-policy", "ipv4")->passed);
        /* policy ACCEPT: neighbour discovery does work */
        g_assert_true(get(&r, "ipv6-ndp-allowed", "ipv6")->passed);
        g_assert_false(get(&r, "stateful-counter", "ipv4")->passed);
        g_assert_true(get(&r, "ipv6-parity", "")->passed);
        bs_check_report_done(&r);
        bs_table_free(v4);
        bs_table_free(v6);
}

static void test_positions(void) {
        /* INPUT: -p tcp --dport 80 ACCEPT ; -p tcp -j REJECT ; stateful ; lo ; 22 */
        bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
        ab_port_rule(v4, "INPUT", IPPROTO_TCP, 80, BS_TARGET_ACCEPT);
        bs_rule r;
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(v4, "INPUT", &r);
        ab_stateful(v4, "INPUT", false);
        ab_iface_accept(v4, "INPUT", "lo");
        ab_port_rule(v4, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        bs_check_report rep = run(v4, NULL);
        dump(&rep);
        const bs_check_item *it = get(&rep, "stateful-rule-position", "ipv4");
        g_assert_false(it->passed);
        g_assert_nonnull(strstr(it->detail, "rule 2 is a broad REJECT"));
        g_assert_nonnull(strstr(it->detail, "service allow rule 1 comes first"));
        it = get(&rep, "loopback-allowed", "ipv4");
        g_assert_false(it->passed);
        g_assert_cmpstr(it->summary, ==, "the loopback accept (rule 4) comes after the broad REJECT at rule 2");
        it = get(&rep, "management-allowed", "ipv4");
        g_assert_false(it->passed);
        g_assert_nonnull(strstr(it->detail, "22/tcp: rule 5, after the broad DROP/REJECT at rule 2"));
        bs_check_report_done(&rep);

        /* --syn drops spare replies: not broad; a restricted SSH allow still counts */
        bs_chain *in = bs_table_find_chain(v4, "INPUT");
        bs_chain_remove_rule(in, 0);
        bs_match *m = bs_rule_add_match(&in->rules[0], BS_MATCH_TCP);
        m->tcp = (bs_match_tcp){ .sport = { 0, 65535 }, .dport = { 0, 65535 }, .flg_mask = 0x17, .flg_cmp = 0x02 };
        ab_addr(&in->rules[3].src, V4, "10.0.0.0", 8);
        rep = run(v4, NULL);
        dump(&rep);
        g_assert_true(get(&rep, "stateful-rule-position", "ipv4")->passed);
        g_assert_true(get(&rep, "loopback-allowed", "ipv4")->passed);
        it = get(&rep, "management-allowed", "ipv4");
        g_assert_true(it->passed);
        g_assert_nonnull(strstr(it->detail, "22/tcp: rule 4 (with restrictions"));
        bs_check_report_done(&rep);
        bs_table_free(v4);
}

static void test_ipv6(void) {
        bs_table *v4 = good(V4), *v6 = good(V6);
        /* v4 also opens 80/tcp via multiport; v6 lacks it and NS is missing */
        bs_rule r;
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_MULTIPORT);
        m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_DESTINATION, .count = 2, .ports = { 80, 443 } };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v4, "INPUT", &r);
        bs_chain *in6 = bs_table_find_chain(v6, "INPUT");
        bs_chain_remove_rule(in6, 5); /* 135 */
        bs_check_report rep = run(v4, v6);
        dump(&rep);
        const bs_check_item *it = get(&rep, "ipv6-ndp-allowed", "ipv6");
        g_assert_false(it->passed);
        g_assert_nonnull(strstr(it->detail, "135 (neighbour solicitation): DROP by policy of INPUT"));
        it = get(&rep, "ipv6-parity", "");
        g_assert_false(it->passed);
        g_assert_nonnull(strstr(it->detail, "80/tcp open only in IPv4"));
        g_assert_nonnull(strstr(it->detail, "443/tcp open only in IPv4"));
        bs_check_report_done(&rep);

        /* all of ICMPv6 accepted: fine too */
        bs_rule_init(&r, V6);
        r.proto = IPPROTO_ICMPV6;
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v6, "INPUT", &r);
        rep = run(NULL, v6);
        g_assert_true(get(&rep, "ipv6-ndp-allowed", "ipv6")->passed);
        g_assert_true(rep.passed);
        bs_check_report_done(&rep);

        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        g_assert_cmpint(bs_check_run(v6, NULL, &ports, &rep), ==, -EINVAL);
        bs_table_free(v4);
        bs_table_free(v6);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/check/good", test_good);
        g_test_add_func("/check/fresh-host", test_fresh_host);
        g_test_add_func("/check/positions", test_positions);
        g_test_add_func("/check/ipv6", test_ipv6);
        return g_test_run();
}
