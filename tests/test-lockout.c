/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the lockout pre-flight on hand-built tables and
 * connection lists: which connections and probes are found cut, by which
 * rule, and the LockoutRisk message. */
#include "conn-build.h"
#include "lockout.h"

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static bs_conn tcp_conn(bs_family f, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t state) {
        bs_conn c = ab_tcp_conn(f, src, sport, dst, dport, state);
        c.status = BS_CT_STATUS_SEEN_REPLY | BS_CT_STATUS_ASSURED;
        return c;
}

typedef struct fixture {
        bs_local_addrs local;
        bs_conn conns[8];
        size_t n;
        bs_mgmt_ports ports;
} fixture;

static void fixture_init(fixture *fx) {
        memset(fx, 0, sizeof(*fx));
        ab_local_addr(&fx->local, V4, "10.0.0.1", 24, "eth0");
        ab_local_addr(&fx->local, V4, "127.0.0.1", 8, "lo");
        ab_local_addr(&fx->local, V6, "2001:db8::1", 64, "eth0");
        ab_local_addr(&fx->local, V6, "::1", 128, "lo");
        bs_mgmt_ports_default(&fx->ports);

        /* the admin's session */
        fx->conns[fx->n++] = tcp_conn(V4, "10.0.0.2", 51234, "10.0.0.1", 22, BS_TCP_STATE_ESTABLISHED);
        /* outbound: not ours to protect */
        fx->conns[fx->n++] = tcp_conn(V4, "10.0.0.1", 40000, "93.184.216.34", 443, BS_TCP_STATE_ESTABLISHED);
        /* a routed UDP client of a local DNS server */
        bs_conn u = tcp_conn(V4, "192.0.2.9", 5000, "10.0.0.1", 53, 0);
        u.l4proto = IPPROTO_UDP;
        u.has_tcp_state = false;
        fx->conns[fx->n++] = u;
        /* a half-open connection: not established */
        fx->conns[fx->n++] = tcp_conn(V4, "10.0.0.3", 1000, "10.0.0.1", 80, BS_TCP_STATE_SYN_RECV);
        /* an IPv6 session */
        fx->conns[fx->n++] = tcp_conn(V6, "2001:db8::2", 4000, "2001:db8::1", 22, BS_TCP_STATE_ESTABLISHED);
}

static bs_lockout_report run(fixture *fx, const bs_table *v4, const bs_table *v6) {
        bs_lockout_input in = {
                .v4 = v4, .v6 = v6, .conns = fx->conns, .n_conns = fx->n, .local = &fx->local, .ports = &fx->ports,
        };
        bs_lockout_report rep;
        g_assert_cmpint(bs_lockout_check(&in, &rep), ==, 0);
        return rep;
}

static const bs_finding *find(const bs_lockout_report *rep, bs_finding_kind k, const char *conn) {
        for (size_t i = 0; i < rep->n; i++)
                if (rep->findings[i].kind == k && streq(rep->findings[i].connection, conn))
                        return &rep->findings[i];
        return NULL;
}

static void test_drop_policy_without_rules(void) {
        fixture fx;
        fixture_init(&fx);
        bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
        bs_lockout_report rep = run(&fx, v4, NULL);
        /* the session, the DNS client, a new SSH connection, loopback */
        g_assert_cmpuint(rep.n, ==, 4);
        const bs_finding *f = find(&rep, BS_FINDING_ESTABLISHED, "tcp 10.0.0.2:51234 -> 10.0.0.1:22");
        g_assert_nonnull(f);
        g_assert_cmpint(f->verdict, ==, BS_VERDICT_DROP);
        g_assert_cmpstr(f->chain, ==, "INPUT");
        g_assert_cmpuint(f->position, ==, 0);
        g_assert_false(f->has_rule);
        g_assert_nonnull(find(&rep, BS_FINDING_ESTABLISHED, "udp 192.0.2.9:5000 -> 10.0.0.1:53"));
        f = find(&rep, BS_FINDING_NEW_MANAGEMENT, "tcp 10.0.0.2:51234 -> 10.0.0.1:22");
        g_assert_nonnull(f);
        g_assert_cmpint(f->hook, ==, BS_HOOK_INPUT);
        f = find(&rep, BS_FINDING_LOOPBACK, "tcp 127.0.0.1:50000 -> 127.0.0.1:1");
        g_assert_nonnull(f);

        g_autofree char *msg = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg), ==, 0);
        g_assert_true(g_str_has_prefix(msg, "this change would cut off 4 connections: tcp 10.0.0.2:51234 -> "
                                            "10.0.0.1:22 (established) by policy DROP of INPUT; "));
        g_assert_nonnull(strstr(msg, "(new management) by policy DROP of INPUT"));
        g_assert_nonnull(strstr(msg, "tcp 127.0.0.1:50000 -> 127.0.0.1:1 (loopback) by policy DROP of INPUT"));
        /* for a caller who may not list connections: counted, not named */
        g_autofree char *hidden = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, false, &hidden), ==, 0);
        g_assert_true(g_str_has_prefix(hidden, "this change would cut off 4 connections: a connection (established) "
                                               "by policy DROP of INPUT; "));
        g_assert_null(strstr(hidden, "10.0.0.2"));
        g_assert_null(strstr(hidden, "->"));
        bs_lockout_report_done(&rep);
        bs_table_free(v4);
        bs_local_addrs_done(&fx.local);
}

static void test_safe_ruleset(void) {
        fixture fx;
        fixture_init(&fx);
        for (int alias = 0; alias <= 1; alias++) {
                bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
                bs_table *v6 = ab_filter(V6, BS_POLICY_DROP);
                ab_stateful(v4, "INPUT", alias);
                ab_iface_accept(v4, "INPUT", "lo");
                ab_port_rule(v4, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
                ab_stateful(v6, "INPUT", alias);
                ab_iface_accept(v6, "INPUT", "lo");
                ab_port_rule(v6, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
                bs_lockout_report rep = run(&fx, v4, v6);
                g_assert_cmpuint(rep.n, ==, 0);
                char *msg = NULL;
                g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg), ==, -ENODATA);
                bs_lockout_report_done(&rep);
                bs_table_free(v4);
                bs_table_free(v6);
        }
        bs_local_addrs_done(&fx.local);
}

static char *render_stub(const bs_rule *r) {
        return g_strdup(r->target.kind == BS_TARGET_REJECT ? "-p tcp -j REJECT" : "?");
}

static void test_stateful_without_ssh_allow(void) {
        fixture fx;
        fixture_init(&fx);
        bs_table *v6 = ab_filter(V6, BS_POLICY_DROP);
        ab_stateful(v6, "INPUT", false);
        ab_iface_accept(v6, "INPUT", "lo");
        bs_rule r;
        bs_rule_init(&r, V6);
        r.proto = IPPROTO_TCP;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(v6, "INPUT", &r);
        bs_lockout_report rep = run(&fx, NULL, v6);
        /* the session survives; a new one is rejected by rule 3 */
        g_assert_cmpuint(rep.n, ==, 1);
        const bs_finding *f = &rep.findings[0];
        g_assert_cmpint(f->kind, ==, BS_FINDING_NEW_MANAGEMENT);
        g_assert_cmpint(f->family, ==, V6);
        g_assert_cmpstr(f->connection, ==, "tcp [2001:db8::2]:4000 -> [2001:db8::1]:22");
        g_assert_cmpint(f->verdict, ==, BS_VERDICT_REJECT);
        g_assert_cmpuint(f->position, ==, 3);
        g_assert_true(f->has_rule);
        g_assert_cmpint(f->rule.target.kind, ==, BS_TARGET_REJECT);
        g_autofree char *msg = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, render_stub, true, &msg), ==, 0);
        g_assert_cmpstr(msg, ==,
                        "this change would cut off 1 connection: tcp [2001:db8::2]:4000 -> [2001:db8::1]:22 "
                        "(new management) by rule 3 of INPUT (-p tcp -j REJECT)");
        /* by default the text layer renders the rule as -S prints it */
        g_autofree char *msg2 = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg2), ==, 0);
        g_test_message("%s", msg2);
        g_assert_nonnull(strstr(msg2, "by rule 3 of INPUT (-p tcp -j REJECT --reject-with "));
        bs_lockout_report_done(&rep);
        bs_table_free(v6);
        bs_local_addrs_done(&fx.local);
}

static void test_interfaces_and_uncertain(void) {
        fixture fx;
        fixture_init(&fx);
        bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
        ab_iface_accept(v4, "INPUT", "lo");
        ab_iface_accept(v4, "INPUT", "eth0");
        ab_iface_accept(v4, "INPUT", "eth1");
        bs_lockout_report rep = run(&fx, v4, NULL);
        /* 10.0.0.2 is on eth0's subnet: accepted by rule 2. 192.0.2.9 is routed:
         * its interface is unknown but not lo, so rule 2 cannot be judged. */
        g_assert_cmpuint(rep.n, ==, 1);
        const bs_finding *f = &rep.findings[0];
        g_assert_cmpstr(f->connection, ==, "udp 192.0.2.9:5000 -> 10.0.0.1:53");
        g_assert_cmpint(f->verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(f->position, ==, 2);
        g_assert_nonnull(strstr(f->reason, "interface"));
        g_autofree char *msg = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg), ==, 0);
        g_assert_nonnull(strstr(msg, "cannot be judged at rule 2 of INPUT"));
        bs_lockout_report_done(&rep);
        bs_table_free(v4);
        bs_local_addrs_done(&fx.local);
}

static void test_output_cut(void) {
        fixture fx;
        fixture_init(&fx);
        bs_table *v4 = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_table_find_chain(v4, "OUTPUT")->policy = BS_POLICY_DROP;
        ab_iface_accept(v4, "OUTPUT", "lo"); /* -i in OUTPUT: never matches, lo replies are dropped too */
        bs_rule r;
        bs_rule_init(&r, V4);
        strcpy(r.out_iface, "lo");
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(v4, "OUTPUT", &r);
        ab_port_rule(v4, "OUTPUT", IPPROTO_UDP, 5000, BS_TARGET_ACCEPT);
        bs_lockout_report rep = run(&fx, v4, NULL);
        g_assert_cmpuint(rep.n, ==, 2);
        const bs_finding *f = find(&rep, BS_FINDING_ESTABLISHED, "tcp 10.0.0.2:51234 -> 10.0.0.1:22");
        g_assert_nonnull(f);
        g_assert_cmpint(f->hook, ==, BS_HOOK_OUTPUT);
        g_assert_cmpstr(f->chain, ==, "OUTPUT");
        g_assert_nonnull(find(&rep, BS_FINDING_NEW_MANAGEMENT, "tcp 10.0.0.2:51234 -> 10.0.0.1:22"));
        g_autofree char *msg = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg), ==, 0);
        g_assert_nonnull(strstr(msg, "(established, our replies) by policy DROP of OUTPUT"));
        bs_lockout_report_done(&rep);
        bs_table_free(v4);
        bs_local_addrs_done(&fx.local);
}

static void test_ssh_connection_and_ports(void) {
        fixture fx;
        fixture_init(&fx);
        fx.n = 0; /* conntrack shows nothing (yet) */
        bs_ssh_connection ssh;
        g_assert_cmpint(bs_ssh_connection_parse("10.0.0.7 6000 10.0.0.1 2222", &ssh, NULL, 0), ==, 0);
        g_assert_cmpint(bs_mgmt_ports_add_ssh(&fx.ports, &ssh), ==, 0);
        bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
        ab_iface_accept(v4, "INPUT", "lo");
        ab_port_rule(v4, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        bs_lockout_input in = { .v4 = v4, .local = &fx.local, .ports = &fx.ports, .ssh = &ssh };
        bs_lockout_report rep;
        g_assert_cmpint(bs_lockout_check(&in, &rep), ==, 0);
        /* 22 is open, 2222 is not */
        g_assert_cmpuint(rep.n, ==, 1);
        g_assert_cmpstr(rep.findings[0].connection, ==, "tcp 10.0.0.7:6000 -> 10.0.0.1:2222");
        g_assert_cmpint(rep.findings[0].kind, ==, BS_FINDING_NEW_MANAGEMENT);
        bs_lockout_report_done(&rep);

        /* a table of the wrong family is refused */
        in.v6 = v4;
        g_assert_cmpint(bs_lockout_check(&in, &rep), ==, -EINVAL);
        bs_table_free(v4);
        bs_local_addrs_done(&fx.local);
}

static void test_nat(void) {
        /* 10.0.0.2 connects to 10.0.0.1:2200, DNATed (REDIRECT) to port 22 */
        fixture fx;
        fixture_init(&fx);
        fx.n = 0;
        bs_conn c = tcp_conn(V4, "10.0.0.2", 5555, "10.0.0.1", 2200, BS_TCP_STATE_ESTABLISHED);
        c.reply.sport = 22;
        c.status |= BS_CT_STATUS_DST_NAT;
        fx.conns[fx.n++] = c;
        bs_table *v4 = ab_filter(V4, BS_POLICY_DROP);
        ab_iface_accept(v4, "INPUT", "lo");
        ab_port_rule(v4, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        bs_lockout_report rep = run(&fx, v4, NULL);
        /* INPUT sees port 22 after the redirect: accepted, NEW probe to 22 too */
        g_assert_cmpuint(rep.n, ==, 0);
        bs_lockout_report_done(&rep);
        bs_table_free(v4);
        bs_local_addrs_done(&fx.local);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/lockout/drop-policy-without-rules", test_drop_policy_without_rules);
        g_test_add_func("/lockout/safe-ruleset", test_safe_ruleset);
        g_test_add_func("/lockout/stateful-without-ssh-allow", test_stateful_without_ssh_allow);
        g_test_add_func("/lockout/interfaces-and-uncertain", test_interfaces_and_uncertain);
        g_test_add_func("/lockout/output-cut", test_output_cut);
        g_test_add_func("/lockout/ssh-connection-and-ports", test_ssh_connection_and_ports);
        g_test_add_func("/lockout/nat", test_nat);
        return g_test_run();
}
