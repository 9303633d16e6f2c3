/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the rule model: equality, copies, prefixes, chain order and
 * the in-memory semantics of every change kind. */
#include <glib.h>

#include "rule.h"

static bs_table *filter_table(bs_family f) {
        bs_table *t = bs_table_new(f, "filter");
        g_assert_nonnull(t);
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        return t;
}

static void tcp_accept_rule(bs_rule *r, bs_family f, uint16_t port) {
        bs_rule_init(r, f);
        r->proto = 6;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_TCP);
        g_assert_nonnull(m);
        m->tcp.sport = (bs_port_range){ 0, 65535 };
        m->tcp.dport = (bs_port_range){ port, port };
        r->target.kind = BS_TARGET_ACCEPT;
}

static void append_change(bs_change *c, const char *chain, uint16_t port) {
        bs_change_init(c, BS_CHANGE_APPEND, BS_FAMILY_MASK_BOTH);
        strcpy(c->chain, chain);
        tcp_accept_rule(&c->rule, BS_FAMILY_IPV4, port);
}

static void test_rule_equal_and_copy(void) {
        bs_rule a, b;
        tcp_accept_rule(&a, BS_FAMILY_IPV4, 22);
        tcp_accept_rule(&b, BS_FAMILY_IPV4, 22);
        b.packets = 99; /* counters do not make rules different */
        g_assert_true(bs_rule_equal(&a, &b));
        b.matches[0].tcp.dport.hi = 23;
        g_assert_false(bs_rule_equal(&a, &b));
        bs_rule_done(&b);

        bs_match *m = bs_rule_add_match(&a, BS_MATCH_OPAQUE);
        strcpy(m->opaque.name, "recent");
        m->opaque.size = 3;
        m->opaque.data = g_memdup2("\1\2\3", 3);
        g_assert_cmpint(bs_rule_copy(&b, &a), ==, 0);
        g_assert_true(bs_rule_equal(&a, &b));
        g_assert_true(b.matches[1].opaque.data != a.matches[1].opaque.data);
        b.matches[1].opaque.data[2] = 4;
        g_assert_false(bs_rule_equal(&a, &b));
        bs_rule_done(&a);
        bs_rule_done(&b);
        g_assert_cmpuint(a.n_matches, ==, 0);
        g_assert_null(a.matches);

        /* "-i +" is every interface, as no -i: the same rule (text forms
         * print neither); "eth+" and a negated "+" are not */
        tcp_accept_rule(&a, BS_FAMILY_IPV4, 22);
        tcp_accept_rule(&b, BS_FAMILY_IPV4, 22);
        strcpy(a.in_iface, "+");
        g_assert_true(bs_rule_equal(&a, &b));
        g_assert_true(bs_rule_equal(&b, &a));
        strcpy(b.out_iface, "+");
        g_assert_true(bs_rule_equal(&a, &b));
        strcpy(a.in_iface, "eth+");
        g_assert_false(bs_rule_equal(&a, &b));
        strcpy(a.in_iface, "+");
        a.in_invert = true;
        g_assert_false(bs_rule_equal(&a, &b));
        bs_rule_done(&a);
        bs_rule_done(&b);
}

/* A shared table lives until its last holder frees it (ASan checks the
 * rest: no use after free, no leak). */
static void test_table_ref(void) {
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_nonnull(t);
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_true(bs_table_ref(t) == t);
        bs_table *copy = NULL;
        g_assert_cmpint(bs_table_copy(&copy, t), ==, 0);
        g_assert_cmpuint(copy->n_refs, ==, 1); /* a copy is its own */
        bs_table_free(t);
        g_assert_cmpstr(t->chains[0].name, ==, "INPUT"); /* still held once */
        g_assert_cmpuint(t->n_refs, ==, 1);
        bs_table_free(t);
        bs_table_free(copy);
        g_assert_null(bs_table_ref(NULL));
}

static void test_match_limit(void) {
        bs_rule r;
        bs_rule_init(&r, BS_FAMILY_IPV4);
        for (int i = 0; i < BS_MATCHES_MAX; i++)
                g_assert_nonnull(bs_rule_add_match(&r, BS_MATCH_COMMENT));
        g_assert_null(bs_rule_add_match(&r, BS_MATCH_COMMENT));
        bs_rule_done(&r);
}

static void test_prefix(void) {
        bs_addr a = { 0 };
        uint8_t v4[4] = { 10, 1, 2, 3 };
        memcpy(a.addr, v4, 4);
        bs_addr_set_prefix(&a, BS_FAMILY_IPV4, 8);
        g_assert_cmpint(bs_addr_prefix_len(&a, BS_FAMILY_IPV4), ==, 8);
        g_assert_cmpuint(a.addr[1], ==, 0); /* stored masked, as the kernel does */
        g_assert_cmpuint(a.addr[0], ==, 10);
        bs_addr_set_prefix(&a, BS_FAMILY_IPV6, 127);
        g_assert_cmpint(bs_addr_prefix_len(&a, BS_FAMILY_IPV6), ==, 127);
        g_assert_cmpuint(a.mask[15], ==, 0xfe);
        a.mask[0] = 0x0f; /* non-contiguous */
        g_assert_cmpint(bs_addr_prefix_len(&a, BS_FAMILY_IPV6), ==, -1);
        bs_addr any = { 0 };
        g_assert_true(bs_addr_is_any(&any));
}

/* The bit-at-a-time definition bs_addr_prefix_len had before it went a
 * byte at a time: the number of leading ones, -1 when a one follows a zero. */
static int prefix_len_by_bits(const bs_addr *a, bs_family family) {
        unsigned n = family == BS_FAMILY_IPV6 ? 16 : 4, len = 0;
        bool seen_zero = false;
        for (unsigned i = 0; i < n; i++)
                for (int bit = 7; bit >= 0; bit--) {
                        bool set = a->mask[i] & (1u << bit);
                        if (set && seen_zero)
                                return -1;
                        if (set)
                                len++;
                        else
                                seen_zero = true;
                }
        return (int) len;
}

/* Every byte value at every position, after whole 0xff bytes and before
 * several tails, and random masks (with bytes past the family's length
 * that must not count). */
static void test_prefix_bytes(void) {
        static const uint8_t tails[] = { 0x00, 0x01, 0x80, 0xff };
        const bs_family families[] = { BS_FAMILY_IPV4, BS_FAMILY_IPV6 };
        for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
                unsigned n = families[f] == BS_FAMILY_IPV6 ? 16 : 4;
                for (unsigned i = 0; i < n; i++)
                        for (unsigned b = 0; b < 256; b++)
                                for (size_t t = 0; t < G_N_ELEMENTS(tails); t++) {
                                        bs_addr a = { 0 };
                                        memset(a.mask, 0xff, i);
                                        a.mask[i] = (uint8_t) b;
                                        for (unsigned k = i + 1; k < 16; k++)
                                                a.mask[k] = k == i + 1 ? tails[t] : 0;
                                        g_assert_cmpint(bs_addr_prefix_len(&a, families[f]), ==,
                                                        prefix_len_by_bits(&a, families[f]));
                                }
        }
        GRand *rand = g_rand_new_with_seed(7);
        for (int k = 0; k < 20000; k++) {
                bs_addr a = { 0 };
                unsigned ones = (unsigned) g_rand_int_range(rand, 0, 129);
                bs_addr_set_prefix(&a, BS_FAMILY_IPV6, ones);
                if (g_rand_boolean(rand))
                        a.mask[g_rand_int_range(rand, 0, 16)] ^= (uint8_t) (1u << g_rand_int_range(rand, 0, 8));
                for (size_t f = 0; f < G_N_ELEMENTS(families); f++)
                        g_assert_cmpint(bs_addr_prefix_len(&a, families[f]), ==,
                                        prefix_len_by_bits(&a, families[f]));
        }
        g_rand_free(rand);
}

static void test_chain_order(void) {
        bs_table *t = filter_table(BS_FAMILY_IPV4);
        g_assert_cmpint(bs_table_add_chain(t, "zeta", false, BS_POLICY_NONE, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "alpha", false, BS_POLICY_NONE, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "alpha", false, BS_POLICY_NONE, NULL), ==, -EEXIST);
        g_assert_cmpint(bs_table_add_chain(t, "-bad", false, BS_POLICY_NONE, NULL), ==, -EINVAL);
        g_assert_cmpint(bs_table_add_chain(t, "ACCEPT", false, BS_POLICY_NONE, NULL), ==, -EINVAL);
        g_assert_cmpint(bs_table_add_chain(t, "a-chain-name-that-is-too-long-x", false, BS_POLICY_NONE, NULL),
                        ==, -EINVAL);
        const char *want[] = { "INPUT", "FORWARD", "OUTPUT", "alpha", "zeta" };
        g_assert_cmpuint(t->n_chains, ==, G_N_ELEMENTS(want));
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
                g_assert_cmpstr(t->chains[i].name, ==, want[i]);
        g_assert_cmpint(t->chains[3].policy, ==, BS_POLICY_NONE);
        bs_table_free(t);
}

static void test_apply_changes(void) {
        _cleanup_table_ bs_table *t = filter_table(BS_FAMILY_IPV4);
        bs_change c;

        append_change(&c, "INPUT", 22);
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        bs_change_done(&c);
        append_change(&c, "INPUT", 80);
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        /* -I INPUT 3 is the end of a 2-rule chain; 4 is out of range */
        c.kind = BS_CHANGE_INSERT;
        c.position = 4;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -ERANGE);
        c.position = 1;
        c.rule.matches[0].tcp.dport = (bs_port_range){ 443, 443 };
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        bs_chain *in = bs_table_find_chain(t, "INPUT");
        g_assert_cmpuint(in->n_rules, ==, 3);
        g_assert_cmpuint(in->rules[0].matches[0].tcp.dport.lo, ==, 443);
        g_assert_cmpuint(in->rules[1].matches[0].tcp.dport.lo, ==, 22);

        /* -D RULE removes the first equal rule */
        c.kind = BS_CHANGE_DELETE;
        c.rule.matches[0].tcp.dport = (bs_port_range){ 22, 22 };
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        g_assert_cmpuint(in->n_rules, ==, 2);
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -ENOENT);
        bs_change_done(&c);

        /* a change for IPv6 only leaves an IPv4 table alone */
        append_change(&c, "INPUT", 9);
        c.families = BS_FAMILY_MASK_IPV6;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        g_assert_cmpuint(in->n_rules, ==, 2);
        bs_change_done(&c);

        /* policy only on built-in chains */
        bs_change_init(&c, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "INPUT");
        c.policy = BS_POLICY_DROP;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        g_assert_cmpint(in->policy, ==, BS_POLICY_DROP);

        /* user chains: create, jump to, refuse delete while referenced */
        bs_change_init(&c, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "svc");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        bs_change_init(&c, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "svc");
        c.policy = BS_POLICY_DROP;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -EINVAL);

        bs_change_init(&c, BS_CHANGE_APPEND, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "INPUT");
        c.rule.target.kind = BS_TARGET_JUMP;
        strcpy(c.rule.target.chain, "nosuch");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -ENOENT);
        strcpy(c.rule.target.chain, "svc");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        in = bs_table_find_chain(t, "INPUT");
        g_assert_cmpuint(in->n_rules, ==, 3);

        bs_change_init(&c, BS_CHANGE_DELETE_CHAIN, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "svc");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -EBUSY);
        bs_change_init(&c, BS_CHANGE_DELETE_NUM, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "INPUT");
        c.position = 4;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -ERANGE);
        c.position = 3;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        bs_change_init(&c, BS_CHANGE_DELETE_CHAIN, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "svc");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        g_assert_null(bs_table_find_chain(t, "svc"));

        bs_change_init(&c, BS_CHANGE_FLUSH, BS_FAMILY_MASK_BOTH);
        strcpy(c.chain, "INPUT");
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(t, "INPUT")->n_rules, ==, 0);
}

static void test_table_copy_equal(void) {
        _cleanup_table_ bs_table *t = filter_table(BS_FAMILY_IPV6);
        bs_change c;
        append_change(&c, "OUTPUT", 53);
        c.rule.family = BS_FAMILY_IPV6;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
        /* family mismatch between rule and table is refused */
        c.rule.family = BS_FAMILY_IPV4;
        g_assert_cmpint(bs_table_apply_change(t, &c), ==, -EAFNOSUPPORT);
        bs_change_done(&c);

        _cleanup_table_ bs_table *copy = NULL;
        g_assert_cmpint(bs_table_copy(&copy, t), ==, 0);
        g_assert_true(bs_table_equal(t, copy));
        g_assert_cmpuint(bs_table_count_rules(copy), ==, 1);
        copy->chains[2].rules[0].matches[0].tcp.dport.lo = 54;
        g_assert_false(bs_table_equal(t, copy));
        copy->chains[2].rules[0].matches[0].tcp.dport.lo = 53;
        copy->chains[0].policy = BS_POLICY_DROP;
        g_assert_false(bs_table_equal(t, copy));
}

/* Inserts near the front use the head room, inserts near the back the
 * room after the rules: whatever the mix, the order is the one a plain
 * array would have, and copies, removals and frees see the same rules. */
/* Room reserved for a set's appends: exactly, per chain, for the
 * families asked; the appends then land as they would have. */
static void test_reserve_appends(void) {
        _cleanup_table_ bs_table *t = filter_table(BS_FAMILY_IPV4);
        _cleanup_table_ bs_table *plain = NULL;
        g_assert_cmpint(bs_table_copy(&plain, t), ==, 0);
        enum { N = 300 };
        static bs_change changes[N + 20];
        size_t n = 0;
        for (unsigned i = 0; i < N + 20; i++) {
                bs_change *c = &changes[n++];
                /* 300 to INPUT, 10 to OUTPUT (too few to reserve for), 10 for IPv6 */
                bool v6 = i >= N + 10;
                bs_change_init(c, BS_CHANGE_APPEND, v6 ? BS_FAMILY_MASK_IPV6 : BS_FAMILY_MASK_IPV4);
                strcpy(c->chain, i < N ? "INPUT" : "OUTPUT");
                tcp_accept_rule(&c->rule, BS_FAMILY_IPV4, (uint16_t) (i + 1));
        }
        size_t output_cap = bs_table_find_chain(t, "OUTPUT")->cap_rules;
        g_assert_cmpint(bs_table_reserve_appends(t, changes, n, BS_FAMILY_MASK_IPV4), ==, 0);
        bs_chain *input = bs_table_find_chain(t, "INPUT");
        g_assert_cmpuint(input->cap_rules, ==, input->n_rules + N);
        g_assert_cmpuint(bs_table_find_chain(t, "OUTPUT")->cap_rules, ==, output_cap);
        const bs_rule *room = input->rules;
        for (size_t i = 0; i < n; i++) {
                if (!(changes[i].families & BS_FAMILY_MASK_IPV4))
                        continue;
                g_assert_cmpint(bs_table_apply_change(t, &changes[i]), ==, 0);
                g_assert_cmpint(bs_table_apply_change(plain, &changes[i]), ==, 0);
        }
        g_assert_true(input->rules == room); /* no growth on the way */
        g_assert_true(bs_table_equal(t, plain));
        for (size_t i = 0; i < n; i++)
                bs_change_done(&changes[i]);
}

/* Room for a decoded chain's rules in one allocation, exactly; more
 * than a table may hold is refused before anything is allocated. */
static void test_chain_reserve(void) {
        _cleanup_table_ bs_table *t = filter_table(BS_FAMILY_IPV4);
        bs_chain *c = bs_table_find_chain(t, "INPUT");
        g_assert_cmpint(bs_chain_reserve(c, 0), ==, 0);
        g_assert_cmpint(bs_chain_reserve(c, 500), ==, 0);
        g_assert_cmpuint(c->cap_rules, ==, c->n_rules + 500);
        const bs_rule *room = c->rules;
        for (unsigned i = 0; i < 500; i++) {
                bs_rule r;
                tcp_accept_rule(&r, BS_FAMILY_IPV4, (uint16_t) (i + 1));
                g_assert_cmpint(bs_chain_insert_rule(c, c->n_rules, &r), ==, 0);
        }
        g_assert_true(c->rules == room); /* no growth on the way */
        g_assert_cmpuint(c->rules[499].matches[0].tcp.dport.lo, ==, 500);
        /* already room: nothing changes */
        g_assert_cmpint(bs_chain_reserve(c, 0), ==, 0);
        g_assert_true(c->rules == room);
        g_assert_cmpint(bs_chain_reserve(c, BS_RULES_MAX), ==, -E2BIG);
        g_assert_cmpint(bs_chain_reserve(c, SIZE_MAX), ==, -E2BIG);
        g_assert_cmpuint(c->n_rules, ==, 500);
}

static void test_insert_positions(void) {
        _cleanup_table_ bs_table *t = filter_table(BS_FAMILY_IPV4);
        bs_chain *c = &t->chains[0];
        enum { N = 3000 };
        static uint16_t want[N];
        size_t n = 0;
        for (unsigned i = 0; i < N; i++) {
                /* front, a quarter in, the middle, the end, in turn */
                size_t pos = i % 4 == 0 ? 0 : i % 4 == 1 ? n / 4 : i % 4 == 2 ? n / 2 : n;
                bs_rule r;
                tcp_accept_rule(&r, BS_FAMILY_IPV4, (uint16_t) (i + 1));
                g_assert_cmpint(bs_chain_insert_rule(c, pos, &r), ==, 0);
                memmove(&want[pos + 1], &want[pos], (n - pos) * sizeof(want[0]));
                want[pos] = (uint16_t) (i + 1);
                n++;
        }
        g_assert_cmpuint(c->n_rules, ==, N);
        for (size_t i = 0; i < N; i++)
                g_assert_cmpuint(c->rules[i].matches[0].tcp.dport.lo, ==, want[i]);

        _cleanup_table_ bs_table *copy = NULL;
        g_assert_cmpint(bs_table_copy(&copy, t), ==, 0);
        g_assert_true(bs_table_equal(t, copy));

        /* remove from the front, then insert there again */
        bs_chain_remove_rule(c, 0);
        bs_rule r;
        tcp_accept_rule(&r, BS_FAMILY_IPV4, want[0]);
        g_assert_cmpint(bs_chain_insert_rule(c, 0, &r), ==, 0);
        g_assert_true(bs_table_equal(t, copy));
        g_assert_cmpint(bs_chain_insert_rule(c, N + 2, &r), ==, -ERANGE);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/table/insert-positions", test_insert_positions);
        g_test_add_func("/table/reserve-appends", test_reserve_appends);
        g_test_add_func("/table/chain-reserve", test_chain_reserve);
        g_test_add_func("/rule/equal-copy", test_rule_equal_and_copy);
        g_test_add_func("/table/ref", test_table_ref);
        g_test_add_func("/rule/match-limit", test_match_limit);
        g_test_add_func("/rule/prefix", test_prefix);
        g_test_add_func("/rule/prefix-bytes", test_prefix_bytes);
        g_test_add_func("/table/chain-order", test_chain_order);
        g_test_add_func("/table/apply-changes", test_apply_changes);
        g_test_add_func("/table/copy-equal", test_table_copy_equal);
        return g_test_run();
}
