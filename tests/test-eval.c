/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the rule evaluator on hand-built tables: traversal (jumps,
 * gotos, RETURN, policies), every known match with and without `!`,
 * interface wildcards, and the cases that must come out UNCERTAIN. */
#include "access-build.h"

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static void trace_cb(const char *chain, uint32_t pos, const bs_rule *r, void *userdata) {
        g_string_append_printf(userdata, "%s:%u ", chain, pos);
}

static bs_eval_result eval_ok(const bs_table *t, const bs_packet *p) {
        bs_eval_result res;
        g_assert_cmpint(bs_eval(t, p, &res, NULL, NULL), ==, 0);
        return res;
}

static void assert_result(const bs_table *t, const bs_packet *p, bs_verdict v, const char *chain, uint32_t pos) {
        bs_eval_result res = eval_ok(t, p);
        if (res.verdict != v || !streq(res.chain, chain) || res.position != pos)
                g_error("expected %s at %s:%u, got %s at %s:%u (%s)", bs_verdict_to_string(v), chain, pos,
                        bs_verdict_to_string(res.verdict), res.chain, res.position, res.reason);
}

static void test_policy(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 40000, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0);
        g_assert_null(eval_ok(t, &p).rule);
        bs_table_find_chain(t, "INPUT")->policy = BS_POLICY_ACCEPT;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        p.hook = BS_HOOK_OUTPUT;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "OUTPUT", 0);
        bs_table_free(t);
}

static void test_stateful_and_ports(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        ab_stateful(t, "INPUT", false);
        ab_iface_accept(t, "INPUT", "lo");
        ab_port_rule(t, "INPUT", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        ab_port_rule(t, "INPUT", IPPROTO_UDP, 53, BS_TARGET_REJECT);

        bs_packet est = ab_tcp_packet(V4, "10.0.0.2", 40000, "10.0.0.1", 9090, BS_CTSTATE_ESTABLISHED, "eth0");
        assert_result(t, &est, BS_VERDICT_ACCEPT, "INPUT", 1);
        g_assert_true(eval_ok(t, &est).rule == &bs_table_find_chain(t, "INPUT")->rules[0]);
        bs_packet ssh = ab_tcp_packet(V4, "10.0.0.2", 40000, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &ssh, BS_VERDICT_ACCEPT, "INPUT", 3);
        bs_packet closed = ab_tcp_packet(V4, "10.0.0.2", 40000, "10.0.0.1", 9090, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &closed, BS_VERDICT_DROP, "INPUT", 0);
        bs_packet lo = ab_tcp_packet(V4, "127.0.0.1", 40000, "127.0.0.1", 9090, BS_CTSTATE_NEW, "lo");
        assert_result(t, &lo, BS_VERDICT_ACCEPT, "INPUT", 2);
        bs_packet dns = closed;
        dns.proto = IPPROTO_UDP;
        dns.dport = 53;
        assert_result(t, &dns, BS_VERDICT_REJECT, "INPUT", 4);
        /* RELATED is accepted, INVALID is not; -m state behaves the same */
        closed.ctstate = BS_CTSTATE_RELATED;
        assert_result(t, &closed, BS_VERDICT_ACCEPT, "INPUT", 1);
        closed.ctstate = BS_CTSTATE_INVALID;
        assert_result(t, &closed, BS_VERDICT_DROP, "INPUT", 0);
        t->chains[0].rules[0].matches[0].conntrack.match_flags |= 1u << 13;
        assert_result(t, &est, BS_VERDICT_ACCEPT, "INPUT", 1);
        bs_table_free(t);
}

static void test_jumps(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        ab_chain(t, "A");
        ab_chain(t, "B");
        bs_rule r;
        /* INPUT: -p tcp -j A ; -p tcp -g B ; -j ACCEPT */
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        ab_jump(&r, BS_TARGET_JUMP, "A");
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        ab_jump(&r, BS_TARGET_GOTO, "B");
        ab_append(t, "INPUT", &r);
        ab_plain(t, "INPUT", BS_TARGET_ACCEPT);
        /* A: --dport 22 RETURN ; --dport 23 DROP ; (falls off the end) */
        ab_port_rule(t, "A", IPPROTO_TCP, 22, BS_TARGET_RETURN);
        ab_port_rule(t, "A", IPPROTO_TCP, 23, BS_TARGET_DROP);
        /* B: --dport 22 ACCEPT ; --dport 24 RETURN ; -j REJECT */
        ab_port_rule(t, "B", IPPROTO_TCP, 22, BS_TARGET_ACCEPT);
        ab_port_rule(t, "B", IPPROTO_TCP, 24, BS_TARGET_RETURN);
        ab_plain(t, "B", BS_TARGET_REJECT);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 40000, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "B", 1);  /* A returns, then goto B */
        p.dport = 23;
        assert_result(t, &p, BS_VERDICT_DROP, "A", 2);
        p.dport = 24;
        /* RETURN from a chain reached by goto from INPUT: INPUT's policy, not INPUT:3 */
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0);
        p.dport = 25;
        assert_result(t, &p, BS_VERDICT_REJECT, "B", 3);
        p.proto = IPPROTO_UDP;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 3);

        /* nested: INPUT -j C ; C -g B ; B RETURN goes back to INPUT after the jump */
        ab_chain(t, "C");
        bs_rule_init(&r, V4);
        ab_jump(&r, BS_TARGET_GOTO, "B");
        ab_append(t, "C", &r);
        bs_rule_init(&r, V4);
        ab_jump(&r, BS_TARGET_JUMP, "C");
        bs_chain *in = bs_table_find_chain(t, "INPUT");
        g_assert_cmpint(bs_chain_insert_rule(in, 0, &r), ==, 0);
        p.proto = IPPROTO_TCP;
        p.dport = 24;
        GString *s = g_string_new(NULL);
        bs_eval_result res;
        g_assert_cmpint(bs_eval(t, &p, &res, trace_cb, s), ==, 0);
        g_assert_cmpstr(s->str, ==, "INPUT:1 C:1 B:2 INPUT:2 INPUT:3 B:2 INPUT:0 ");
        g_string_free(s, true);

        /* RETURN in INPUT itself means the policy */
        bs_rule_init(&r, V4);
        ab_target(&r, BS_TARGET_RETURN);
        g_assert_cmpint(bs_chain_insert_rule(in, 0, &r), ==, 0);
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0);
        bs_table_free(t);
}

static void test_loops_and_errors(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        ab_chain(t, "L");
        bs_rule r;
        bs_rule_init(&r, V4);
        ab_jump(&r, BS_TARGET_JUMP, "L");
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        ab_jump(&r, BS_TARGET_JUMP, "L");
        ab_append(t, "L", &r);
        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 1, "10.0.0.1", 2, BS_CTSTATE_NEW, "eth0");
        bs_eval_result res;
        g_assert_cmpint(bs_eval(t, &p, &res, NULL, NULL), ==, -ELOOP);
        bs_table_find_chain(t, "L")->rules[0].target.kind = BS_TARGET_GOTO;
        g_assert_cmpint(bs_eval(t, &p, &res, NULL, NULL), ==, -ELOOP);
        snprintf(bs_table_find_chain(t, "L")->rules[0].target.chain, BS_CHAIN_NAME_MAX, "MISSING");
        g_assert_cmpint(bs_eval(t, &p, &res, NULL, NULL), ==, -ENOENT);
        p.family = V6;
        g_assert_cmpint(bs_eval(t, &p, &res, NULL, NULL), ==, -EINVAL);
        p.family = V4;
        p.ctstate = 42;
        g_assert_cmpint(bs_eval(t, &p, &res, NULL, NULL), ==, -EINVAL);
        bs_table_free(t);
}

static void test_negations(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule r;
        /* ! -s 10.0.0.0/8 -j DROP */
        bs_rule_init(&r, V4);
        ab_addr(&r.src, V4, "10.0.0.0", 8);
        r.src_invert = true;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* ! -p tcp -j REJECT */
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        r.proto_invert = true;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);
        /* -p tcp ! --dport 1:1023 -j DROP */
        bs_rule_init(&r, V4);
        bs_match *m = ab_tcp(&r, 1, 1023);
        m->tcp.dport_invert = true;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* -d 10.0.0.1/32 ! --sport 1000:2000 -j ACCEPT (with a comment) */
        bs_rule_init(&r, V4);
        ab_addr(&r.dst, V4, "10.0.0.1", 32);
        m = ab_tcp(&r, 0, 65535);
        m->tcp.sport = (bs_port_range){ 1000, 2000 };
        m->tcp.sport_invert = true;
        strcpy(bs_rule_add_match(&r, BS_MATCH_COMMENT)->comment, "x");
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
        ab_plain(t, "INPUT", BS_TARGET_DROP);

        bs_packet p = ab_tcp_packet(V4, "192.168.1.1", 1500, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 1);
        ab_ip(p.src, V4, "10.9.9.9");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 5);  /* sport 1500 is excluded by ! --sport */
        p.sport = 999;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 4);
        p.dport = 8080;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 3);
        p.proto = IPPROTO_UDP;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        p.proto = IPPROTO_TCP;
        p.dport = 22;
        ab_ip(p.dst, V4, "10.0.0.2");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 5);
        bs_table_free(t);
}

static void test_interfaces(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        ab_iface_accept(t, "INPUT", "lo");
        bs_rule r;
        bs_rule_init(&r, V4);
        strcpy(r.in_iface, "eth+");
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        strcpy(r.in_iface, "wg0");
        r.in_invert = true;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 1, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 2);
        strcpy(p.in_iface, "eth");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 2); /* "eth+" is a prefix, "eth" has it */
        strcpy(p.in_iface, "lo");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 1);
        strcpy(p.in_iface, "lo0");
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 3); /* "lo" is exact */
        strcpy(p.in_iface, "wg0");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);

        /* unknown interface: the first rule already cannot be decided */
        p.in_known = BS_IFACE_UNKNOWN;
        bs_eval_result res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 1);
        g_assert_nonnull(strstr(res.reason, "input interface"));
        /* known not to be lo: -i lo is decided, -i eth+ is not */
        p.in_known = BS_IFACE_NOT_LOOPBACK;
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 2);

        /* -o in INPUT: the kernel passes no output device */
        bs_table_free(t);
        t = ab_filter(V4, BS_POLICY_DROP);
        bs_rule_init(&r, V4);
        strcpy(r.out_iface, "eth0");
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        strcpy(r.out_iface, "eth0");
        r.out_invert = true;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);
        p.in_known = BS_IFACE_UNKNOWN;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        /* "+" matches anything, even an unknown interface */
        bs_table_free(t);
        t = ab_filter(V4, BS_POLICY_DROP);
        ab_iface_accept(t, "INPUT", "+");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 1);
        bs_table_free(t);
}

static void test_uncertain(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        bs_rule r;
        /* -m limit -j LOG: cannot change the outcome, skipped */
        bs_rule_init(&r, V4);
        bs_rule_add_match(&r, BS_MATCH_LIMIT)->limit = (bs_match_limit){ .avg = 1, .burst = 5 };
        ab_target(&r, BS_TARGET_LOG);
        ab_append(t, "INPUT", &r);
        /* -p udp -m recent ... -j DROP: certainly not for TCP */
        bs_rule_init(&r, V4);
        ab_udp(&r, 0, 65535);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
        strcpy(m->opaque.name, "recent");
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* -p tcp -m recent -j DROP: depends on the recent list */
        bs_rule_init(&r, V4);
        ab_tcp(&r, 0, 65535);
        m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
        strcpy(m->opaque.name, "recent");
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        ab_plain(t, "INPUT", BS_TARGET_ACCEPT);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 1, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        bs_eval_result res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpstr(res.chain, ==, "INPUT");
        g_assert_cmpuint(res.position, ==, 3);
        g_assert_nonnull(strstr(res.reason, "recent"));
        p.proto = IPPROTO_UDP;
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 2);
        p.proto = IPPROTO_ICMP;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 4);

        /* -m limit -j ACCEPT decides: uncertain, naming the limit */
        bs_chain *in = bs_table_find_chain(t, "INPUT");
        in->rules[0].target.kind = BS_TARGET_ACCEPT;
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 1);
        g_assert_nonnull(strstr(res.reason, "limit"));

        /* an unknown target: uncertain; NFLOG continues */
        in->rules[0].target.kind = BS_TARGET_OPAQUE;
        strcpy(in->rules[0].target.opaque.name, "NFLOG");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 4);
        bs_table_free(t);

        t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule_init(&r, V4);
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "TPROXY");
        ab_append(t, "INPUT", &r);
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_nonnull(strstr(res.reason, "TPROXY"));
        t->chains[0].rules[0].target.kind = BS_TARGET_QUEUE;
        g_assert_cmpint(eval_ok(t, &p).verdict, ==, BS_VERDICT_UNCERTAIN);
        bs_table_free(t);
}

static void test_tcp_flags_options(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule r;
        /* -p tcp ! --syn -m conntrack --ctstate NEW -j DROP */
        bs_rule_init(&r, V4);
        bs_match *m = ab_tcp(&r, 0, 65535);
        m->tcp.flg_mask = BS_TCP_FIN | BS_TCP_SYN | BS_TCP_RST | BS_TCP_ACK;
        m->tcp.flg_cmp = BS_TCP_SYN;
        m->tcp.flags_invert = true;
        ab_ctstate(&r, AB_CT_NEW, false);
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* -p tcp --tcp-option 8 -j REJECT */
        bs_rule_init(&r, V4);
        m = ab_tcp(&r, 0, 65535);
        m->tcp.option = 8;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 1, "10.0.0.1", 22, BS_CTSTATE_NEW, "eth0");
        p.tcp_flags = BS_TCP_ACK;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 1);
        p.tcp_flags = BS_TCP_SYN | BS_TCP_PSH; /* PSH is outside the mask */
        bs_eval_result res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 2);
        p.tcp_options_known = true;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        p.tcp_options[0] = 2;
        p.tcp_options[1] = 8;
        p.n_tcp_options = 2;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        t->chains[0].rules[1].matches[0].tcp.option_invert = true;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        bs_table_free(t);
}

static void test_icmp(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        bs_rule r;
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_ICMP;
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_ICMP);
        m->icmp = (bs_match_icmp){ .type = 3, .code_min = 0, .code_max = 3 };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_ICMP;
        m = bs_rule_add_match(&r, BS_MATCH_ICMP);
        m->icmp = (bs_match_icmp){ .type = 0xff, .code_min = 0, .code_max = 0xff, .invert = true };
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_ICMP;
        m = bs_rule_add_match(&r, BS_MATCH_ICMP);
        m->icmp = (bs_match_icmp){ .type = 8, .code_min = 0, .code_max = 0xff, .invert = true };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 0, "10.0.0.1", 0, BS_CTSTATE_NEW, "eth0");
        p.proto = IPPROTO_ICMP;
        p.icmp_type = 3;
        p.icmp_code = 3;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 1);
        p.icmp_code = 4;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 3);
        p.icmp_type = 8;
        p.icmp_code = 0;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0);
        bs_table_free(t);

        /* icmp6: 0xff is a type like any other there */
        t = ab_filter(V6, BS_POLICY_DROP);
        for (int type = 133; type <= 136; type++) {
                bs_rule_init(&r, V6);
                r.proto = IPPROTO_ICMPV6;
                m = bs_rule_add_match(&r, BS_MATCH_ICMP6);
                m->icmp = (bs_match_icmp){ .type = type, .code_min = 0, .code_max = 0xff };
                ab_target(&r, BS_TARGET_ACCEPT);
                ab_append(t, "INPUT", &r);
        }
        bs_rule_init(&r, V6);
        r.proto = IPPROTO_ICMPV6;
        m = bs_rule_add_match(&r, BS_MATCH_ICMP6);
        m->icmp = (bs_match_icmp){ .type = 0xff, .code_min = 0, .code_max = 0xff };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
        bs_packet q = ab_tcp_packet(V6, "fe80::2", 0, "ff02::1:ff00:1", 0, BS_CTSTATE_UNTRACKED, "eth0");
        q.proto = IPPROTO_ICMPV6;
        q.icmp_type = 135;
        assert_result(t, &q, BS_VERDICT_ACCEPT, "INPUT", 3);
        q.icmp_type = 128;
        assert_result(t, &q, BS_VERDICT_DROP, "INPUT", 0);
        bs_table_free(t);
}

static void test_conntrack_details(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule r;
        /* -m conntrack --ctproto udp -j DROP (no state given) */
        bs_rule_init(&r, V4);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_CONNTRACK);
        m->conntrack.match_flags = 1u << 1;
        m->conntrack.l4proto = IPPROTO_UDP;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* -m conntrack ! --ctstate NEW,ESTABLISHED -j REJECT */
        bs_rule_init(&r, V4);
        m = ab_ctstate(&r, AB_CT_NEW | AB_CT_ESTABLISHED, false);
        m->conntrack.invert_flags = 1u << 0;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);
        /* -m conntrack --ctorigsrc 10.0.0.0/8 --ctdir REPLY -j DROP */
        bs_rule_init(&r, V4);
        m = bs_rule_add_match(&r, BS_MATCH_CONNTRACK);
        m->conntrack.match_flags = 1u << 2 | 1u << 12;
        m->conntrack.invert_flags = 1u << 12;
        ab_addr(&m->conntrack.origsrc, V4, "10.0.0.0", 8);
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        /* -m conntrack --ctstatus ASSURED -j DROP */
        bs_rule_init(&r, V4);
        m = bs_rule_add_match(&r, BS_MATCH_CONNTRACK);
        m->conntrack.match_flags = 1u << 6;
        m->conntrack.status_mask = 4;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 1, "10.0.0.1", 22, BS_CTSTATE_INVALID, "eth0");
        p.proto = IPPROTO_UDP;
        /* no conntrack entry: --ctproto cannot match, but ! --ctstate does */
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        p.ctstate = BS_CTSTATE_UNTRACKED;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        p.ctstate = BS_CTSTATE_NEW;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 1);
        p.proto = IPPROTO_TCP;
        /* NEW is original direction: --ctdir REPLY fails; then --ctstatus is unknown */
        bs_eval_result res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 4);
        /* an established reply from 10.0.0.2 to us: orig src is us (10.0.0.1) -> matches */
        p.ctstate = BS_CTSTATE_ESTABLISHED;
        p.ctdir = BS_CTDIR_REPLY;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 3);
        ab_ip(p.dst, V4, "192.168.0.1");
        res = eval_ok(t, &p);
        g_assert_cmpuint(res.position, ==, 4);
        /* with NAT unknown the original tuple is not known */
        ab_ip(p.dst, V4, "10.0.0.1");
        p.nat_known = false;
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 3);
        bs_table_free(t);

        /* --ctstate DNAT: decided only when NAT is known */
        t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule_init(&r, V4);
        ab_ctstate(&r, 1u << 7, false); /* DNAT */
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        p.ctdir = BS_CTDIR_ORIGINAL;
        g_assert_cmpint(eval_ok(t, &p).verdict, ==, BS_VERDICT_UNCERTAIN);
        p.nat_known = true;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        p.dnat = true;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 1);
        p.ctstate = BS_CTSTATE_INVALID; /* no entry: never NATed */
        p.nat_known = false;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        bs_table_free(t);
}

static void test_multiport_iprange(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_DROP);
        bs_rule r;
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_MULTIPORT);
        m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_DESTINATION, .count = 3,
                                             .ports = { 22, 80, 90 }, .pflags = { 0, 1, 0 } };
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        r.proto = IPPROTO_TCP;
        m = bs_rule_add_match(&r, BS_MATCH_MULTIPORT);
        m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_EITHER, .count = 1, .ports = { 7 },
                                             .invert = true };
        m = bs_rule_add_match(&r, BS_MATCH_IPRANGE);
        ab_ip(m->iprange.src_min, V4, "10.0.0.5");
        ab_ip(m->iprange.src_max, V4, "10.0.1.7");
        m->iprange.flags = 1u << 0;
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "10.0.0.2", 7, "10.0.0.1", 85, BS_CTSTATE_NEW, "eth0");
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 1);
        p.dport = 91;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0); /* sport 7: ! --ports 7 fails */
        p.sport = 8;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0); /* 10.0.0.2 below the range */
        ab_ip(p.src, V4, "10.0.0.255");
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        ab_ip(p.src, V4, "10.0.1.8");
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 0);
        t->chains[0].rules[1].matches[1].iprange.flags |= 1u << 4;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 2);
        bs_table_free(t);
}

static void test_addrtype_mac_frag(void) {
        bs_table *t = ab_filter(V4, BS_POLICY_ACCEPT);
        bs_rule r;
        bs_rule_init(&r, V4);
        r.frag = BS_FRAG_YES;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_MAC);
        m->mac.invert = true;
        ab_target(&r, BS_TARGET_DROP);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V4);
        m = bs_rule_add_match(&r, BS_MATCH_ADDRTYPE);
        m->addrtype.dest = 1u << 2; /* LOCAL */
        m->addrtype.flags = 0x2;    /* ! --dst-type */
        ab_target(&r, BS_TARGET_REJECT);
        ab_append(t, "INPUT", &r);

        bs_packet p = ab_tcp_packet(V4, "127.0.0.1", 1, "127.0.0.1", 22, BS_CTSTATE_NEW, "lo");
        /* lo has no MAC: even ! --mac-source does not match; dst type unknown */
        bs_eval_result res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 3);
        p.dst_type = 1u << 2;
        assert_result(t, &p, BS_VERDICT_ACCEPT, "INPUT", 0);
        p.dst_type = 1u << 5; /* multicast */
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 3);
        strcpy(p.in_iface, "eth0");
        res = eval_ok(t, &p);
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_UNCERTAIN);
        g_assert_cmpuint(res.position, ==, 2);
        p.mac_known = BS_MAC_KNOWN;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 3); /* same MAC: ! --mac-source fails */
        p.mac[0] = 0x02;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 2);
        t->chains[0].rules[1].matches[0].mac.addr[0] = 0x02;
        assert_result(t, &p, BS_VERDICT_REJECT, "INPUT", 3);
        t->chains[0].rules[0].frag = BS_FRAG_NO;
        assert_result(t, &p, BS_VERDICT_DROP, "INPUT", 1);
        bs_table_free(t);
}


static void test_trace(void) {
        bs_table *t = ab_filter(V6, BS_POLICY_DROP);
        ab_chain(t, "LOGDROP");
        bs_rule r;
        bs_rule_init(&r, V6);
        ab_target(&r, BS_TARGET_NONE);
        ab_append(t, "INPUT", &r);
        bs_rule_init(&r, V6);
        ab_addr(&r.src, V6, "2001:db8::", 32);
        ab_jump(&r, BS_TARGET_JUMP, "LOGDROP");
        ab_append(t, "INPUT", &r);
        ab_plain(t, "LOGDROP", BS_TARGET_LOG);
        ab_plain(t, "LOGDROP", BS_TARGET_RETURN);

        bs_packet p = ab_tcp_packet(V6, "2001:db8::5", 1, "2001:db8:1::1", 22, BS_CTSTATE_NEW, "eth0");
        GString *l = g_string_new(NULL);
        bs_eval_result res;
        g_assert_cmpint(bs_eval(t, &p, &res, trace_cb, l), ==, 0);
        g_assert_cmpstr(l->str, ==, "INPUT:1 INPUT:2 LOGDROP:1 LOGDROP:2 INPUT:0 ");
        g_assert_cmpint(res.verdict, ==, BS_VERDICT_DROP);
        g_string_free(l, true);
        bs_table_free(t);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/eval/policy", test_policy);
        g_test_add_func("/eval/stateful-and-ports", test_stateful_and_ports);
        g_test_add_func("/eval/jumps-goto-return", test_jumps);
        g_test_add_func("/eval/loops-and-errors", test_loops_and_errors);
        g_test_add_func("/eval/negations", test_negations);
        g_test_add_func("/eval/interfaces", test_interfaces);
        g_test_add_func("/eval/uncertain", test_uncertain);
        g_test_add_func("/eval/tcp-flags-options", test_tcp_flags_options);
        g_test_add_func("/eval/icmp", test_icmp);
        g_test_add_func("/eval/conntrack", test_conntrack_details);
        g_test_add_func("/eval/multiport-iprange", test_multiport_iprange);
        g_test_add_func("/eval/addrtype-mac-frag", test_addrtype_mac_frag);
        g_test_add_func("/eval/trace", test_trace);
        return g_test_run();
}
