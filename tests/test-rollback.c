/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the three-way rollback (daemon/netfilter/rollback.c): the transaction's
 * own changes are undone, what others did meanwhile stays. Tables are built
 * by applying change lists to the model, as the daemon would see them. */
#include <glib.h>

#include "rollback.h"

/* A rule "-s 10.0.0.N/32 -j ACCEPT" (N identifies it), or "-j CHAIN" */
static void rule_n(bs_rule *r, unsigned n) {
        bs_rule_init(r, BS_FAMILY_IPV4);
        r->src.addr[0] = 10;
        r->src.addr[3] = (uint8_t) n;
        r->src.addr[2] = (uint8_t) (n >> 8);
        bs_addr_set_prefix(&r->src, BS_FAMILY_IPV4, 32);
        r->target.kind = BS_TARGET_ACCEPT;
}

static void rule_jump(bs_rule *r, const char *chain) {
        bs_rule_init(r, BS_FAMILY_IPV4);
        r->target.kind = BS_TARGET_JUMP;
        g_strlcpy(r->target.chain, chain, sizeof(r->target.chain));
}

static bs_table *filter_table(void) {
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_nonnull(t);
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        return t;
}

/* Changes in a tiny language, applied to a table:
 *   "A CHAIN N"   append rule N        "I CHAIN POS N"  insert rule N at POS
 *   "J CHAIN TGT" append a jump        "D CHAIN POS"    delete by position
 *   "R CHAIN POS N" replace            "P CHAIN DROP|ACCEPT"
 *   "N CHAIN" / "X CHAIN" / "F CHAIN"  new / delete / flush chain */
static void apply(bs_table *t, const char *script) {
        g_auto(GStrv) lines = g_strsplit(script, ";", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) w = g_strsplit(g_strstrip(*l), " ", -1);
                if (!w[0] || !*w[0])
                        continue;
                bs_change c;
                char op = w[0][0];
                bs_change_kind kind = op == 'A' || op == 'J' ? BS_CHANGE_APPEND :
                                      op == 'I'              ? BS_CHANGE_INSERT :
                                      op == 'D'              ? BS_CHANGE_DELETE_NUM :
                                      op == 'R'              ? BS_CHANGE_REPLACE :
                                      op == 'P'              ? BS_CHANGE_POLICY :
                                      op == 'N'              ? BS_CHANGE_NEW_CHAIN :
                                      op == 'X'              ? BS_CHANGE_DELETE_CHAIN :
                                                               BS_CHANGE_FLUSH;
                bs_change_init(&c, kind, BS_FAMILY_MASK_IPV4);
                g_strlcpy(c.chain, w[1], sizeof(c.chain));
                switch (op) {
                case 'A':
                        rule_n(&c.rule, (unsigned) atoi(w[2]));
                        break;
                case 'J':
                        rule_jump(&c.rule, w[2]);
                        break;
                case 'I':
                case 'R':
                        c.position = (uint32_t) atoi(w[2]);
                        rule_n(&c.rule, (unsigned) atoi(w[3]));
                        break;
                case 'D':
                        c.position = (uint32_t) atoi(w[2]);
                        break;
                case 'P':
                        c.policy = streq(w[2], "DROP") ? BS_POLICY_DROP : BS_POLICY_ACCEPT;
                        break;
                default:
                        break;
                }
                int r = bs_table_apply_change(t, &c);
                if (r < 0)
                        g_error("change \"%s\" failed: %s", *l, g_strerror(-r));
                bs_change_done(&c);
        }
}

static bs_table *table_from(const bs_table *base, const char *script) {
        bs_table *t;
        g_assert_cmpint(bs_table_copy(&t, base), ==, 0);
        apply(t, script);
        return t;
}

/* The case runner: S0 = empty filter table + setup, S1 = S0 + tx,
 * S2 = S1 + others, expected = empty table + expect. */
static void check_rollback(const char *setup, const char *tx, const char *others, const char *expect,
                           size_t expect_dropped) {
        _cleanup_table_ bs_table *empty = filter_table();
        _cleanup_table_ bs_table *s0 = table_from(empty, setup);
        _cleanup_table_ bs_table *s1 = table_from(s0, tx);
        _cleanup_table_ bs_table *s2 = table_from(s1, others);
        _cleanup_table_ bs_table *want = table_from(empty, expect);
        _cleanup_table_ bs_table *got = NULL;
        size_t dropped = 99;
        g_assert_cmpint(bs_rollback_table(s0, s1, s2, &got, &dropped), ==, 0);
        g_assert_nonnull(got);
        if (!bs_table_equal(got, want)) {
                for (size_t i = 0; i < got->n_chains; i++) {
                        g_printerr("# got chain %s policy %d:", got->chains[i].name, got->chains[i].policy);
                        for (size_t j = 0; j < got->chains[i].n_rules; j++) {
                                const bs_rule *r = &got->chains[i].rules[j];
                                if (r->target.kind == BS_TARGET_JUMP)
                                        g_printerr(" ->%s", r->target.chain);
                                else
                                        g_printerr(" %u", r->src.addr[2] * 256u + r->src.addr[3]);
                        }
                        g_printerr("\n");
                }
                g_error("rollback of [%s] after [%s] with others [%s]: not [%s]", tx, setup, others, expect);
        }
        g_assert_cmpuint(dropped, ==, expect_dropped);
        /* rolling back a transaction when nobody else did anything gives S0 */
        _cleanup_table_ bs_table *alone = NULL;
        g_assert_cmpint(bs_rollback_table(s0, s1, s1, &alone, NULL), ==, 0);
        g_assert_true(bs_table_equal(alone, s0));
}

static void test_added_rule_removed(void) {
        check_rollback("A INPUT 1; A INPUT 2", "I INPUT 1 9", "", "A INPUT 1; A INPUT 2", 0);
        check_rollback("", "A INPUT 1; A INPUT 2; A OUTPUT 3", "", "", 0);
}

static void test_removed_rule_back_in_place(void) {
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "D INPUT 2", "",
                       "A INPUT 1; A INPUT 2; A INPUT 3", 0);
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "D INPUT 1", "",
                       "A INPUT 1; A INPUT 2; A INPUT 3", 0);
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "D INPUT 3", "",
                       "A INPUT 1; A INPUT 2; A INPUT 3", 0);
        /* replace = remove + add */
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "R INPUT 2 7", "",
                       "A INPUT 1; A INPUT 2; A INPUT 3", 0);
}

static void test_others_rules_survive(void) {
        /* docker/fail2ban insert at the top and append at the end */
        check_rollback("A INPUT 1; A INPUT 2", "I INPUT 2 9; P INPUT DROP", "I INPUT 1 50; A INPUT 51",
                       "A INPUT 50; A INPUT 1; A INPUT 2; A INPUT 51", 0);
        /* others inserted right next to the transaction's rule */
        check_rollback("A INPUT 1; A INPUT 2", "I INPUT 2 9", "I INPUT 3 50",
                       "A INPUT 1; A INPUT 50; A INPUT 2", 0);
        /* a removed rule goes back after its former predecessor, although
         * others inserted rules at the top meanwhile */
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "D INPUT 2", "I INPUT 1 50; I INPUT 1 51",
                       "A INPUT 51; A INPUT 50; A INPUT 1; A INPUT 2; A INPUT 3", 0);
        /* its predecessor was deleted by others: it goes before its successor */
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "D INPUT 2", "D INPUT 1; I INPUT 1 50",
                       "A INPUT 50; A INPUT 2; A INPUT 3", 0);
        /* others deleted the rule the transaction added: nothing to remove */
        check_rollback("A INPUT 1", "A INPUT 9", "D INPUT 2; A INPUT 60", "A INPUT 1; A INPUT 60", 0);
        /* others' rules in other chains */
        check_rollback("", "A INPUT 9", "A OUTPUT 60; N DOCKER; A DOCKER 61",
                       "A OUTPUT 60; N DOCKER; A DOCKER 61", 0);
}

static void test_flush_restored(void) {
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 3", "F INPUT", "A INPUT 50",
                       "A INPUT 1; A INPUT 2; A INPUT 3; A INPUT 50", 0);
        check_rollback("A INPUT 1; A INPUT 2", "F INPUT; A INPUT 9", "", "A INPUT 1; A INPUT 2", 0);
}

static void test_duplicates(void) {
        /* equal rules: exactly the transaction's copy goes */
        check_rollback("A INPUT 1; A INPUT 1", "A INPUT 1", "", "A INPUT 1; A INPUT 1", 0);
        check_rollback("A INPUT 1; A INPUT 2; A INPUT 1", "D INPUT 3", "A INPUT 1",
                       "A INPUT 1; A INPUT 2; A INPUT 1; A INPUT 1", 0);
        /* others added the same rule as the transaction: one copy stays */
        check_rollback("A INPUT 1", "A INPUT 9", "A INPUT 9", "A INPUT 1; A INPUT 9", 0);
}

static void test_policies(void) {
        check_rollback("", "P INPUT DROP", "", "", 0);
        /* others set it back already, or set another chain: theirs stays */
        check_rollback("", "P INPUT DROP", "P INPUT ACCEPT; P FORWARD DROP", "P FORWARD DROP", 0);
        check_rollback("P INPUT DROP", "P INPUT ACCEPT; A INPUT 1", "", "P INPUT DROP", 0);
        /* the transaction did not touch the policy: others' change stays */
        check_rollback("", "A INPUT 1", "P INPUT DROP", "P INPUT DROP", 0);
}

static void test_created_chain(void) {
        check_rollback("A INPUT 1", "N svc; A svc 5; A svc 6; J INPUT svc", "",
                       "A INPUT 1", 0);
        /* chains jumping to each other, all the transaction's */
        check_rollback("", "N a; N b; J a b; A b 5; J INPUT a", "", "", 0);
        /* others put a rule in it: the chain stays with their rule */
        check_rollback("", "N svc; A svc 5; J INPUT svc", "A svc 60", "N svc; A svc 60", 0);
        /* others jump to it: it stays, empty */
        check_rollback("", "N svc; A svc 5", "J OUTPUT svc", "N svc; J OUTPUT svc", 0);
}

static void test_deleted_chain(void) {
        check_rollback("N svc; A svc 5; A svc 6; A INPUT 1; J INPUT svc; A INPUT 2",
                       "D INPUT 2; F svc; X svc", "A INPUT 50",
                       "N svc; A svc 5; A svc 6; A INPUT 1; J INPUT svc; A INPUT 2; A INPUT 50", 0);
        /* others recreated it meanwhile: the old rules go back into theirs */
        check_rollback("N svc; A svc 5", "F svc; X svc", "N svc; A svc 60", "N svc; A svc 5; A svc 60", 0);
}

static void test_dropped_jump(void) {
        /* the transaction removed a jump; others deleted its target since */
        check_rollback("N svc; A INPUT 1; J INPUT svc", "D INPUT 2", "X svc", "A INPUT 1", 1);
}

static void test_counters_kept(void) {
        _cleanup_table_ bs_table *s0 = filter_table();
        apply(s0, "A INPUT 1; A INPUT 2");
        s0->chains[0].rules[1].packets = 5;
        _cleanup_table_ bs_table *s1 = table_from(s0, "I INPUT 1 9; D INPUT 3");
        _cleanup_table_ bs_table *s2 = table_from(s1, "");
        s2->chains[0].rules[1].packets = 77; /* rule 1 counted meanwhile */
        _cleanup_table_ bs_table *got = NULL;
        g_assert_cmpint(bs_rollback_table(s0, s1, s2, &got, NULL), ==, 0);
        g_assert_true(bs_table_equal(got, s0));
        g_assert_cmpuint(got->chains[0].rules[0].packets, ==, 77);
        g_assert_cmpuint(got->chains[0].rules[1].packets, ==, 5);
}

static void test_mismatch_refused(void) {
        _cleanup_table_ bs_table *a = filter_table();
        _cleanup_table_ bs_table *b = bs_table_new(BS_FAMILY_IPV6, "filter");
        _cleanup_table_ bs_table *c = bs_table_new(BS_FAMILY_IPV4, "nat");
        bs_table *got = NULL;
        g_assert_cmpint(bs_rollback_table(a, a, b, &got, NULL), ==, -EINVAL);
        g_assert_cmpint(bs_rollback_table(a, c, a, &got, NULL), ==, -EINVAL);
        g_assert_null(got);
}

static void test_align_longest(void) {
        /* a = 1 2 3 4 5, b = 3 4 5 1 2: the longest common part is 3 4 5 */
        bs_rule a[5], b[5];
        unsigned av[] = { 1, 2, 3, 4, 5 }, bv[] = { 3, 4, 5, 1, 2 };
        for (int i = 0; i < 5; i++) {
                rule_n(&a[i], av[i]);
                rule_n(&b[i], bv[i]);
        }
        size_t m[5];
        g_assert_cmpint(bs_rollback_align(a, 5, b, 5, m), ==, 0);
        g_assert_cmpuint(m[0], ==, SIZE_MAX);
        g_assert_cmpuint(m[1], ==, SIZE_MAX);
        g_assert_cmpuint(m[2], ==, 0);
        g_assert_cmpuint(m[3], ==, 1);
        g_assert_cmpuint(m[4], ==, 2);
        g_assert_cmpint(bs_rollback_align(a, 0, b, 5, m), ==, 0);
}

static void test_big_table(void) {
        /* 20000 rules, a change in the middle: prefix/suffix trimming keeps
         * this cheap and exact */
        GString *setup = g_string_new(NULL);
        for (unsigned i = 1; i <= 20000; i++)
                g_string_append_printf(setup, "A INPUT %u;", i);
        _cleanup_table_ bs_table *s0 = filter_table();
        apply(s0, setup->str);
        _cleanup_table_ bs_table *s1 = table_from(s0, "D INPUT 10000; I INPUT 5000 60000");
        _cleanup_table_ bs_table *s2 = table_from(s1, "I INPUT 1 60001");
        _cleanup_table_ bs_table *got = NULL;
        g_assert_cmpint(bs_rollback_table(s0, s1, s2, &got, NULL), ==, 0);
        _cleanup_table_ bs_table *want = table_from(s0, "I INPUT 1 60001");
        g_assert_true(bs_table_equal(got, want));
        g_string_free(setup, TRUE);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/rollback/added-rule-removed", test_added_rule_removed);
        g_test_add_func("/rollback/removed-rule-back-in-place", test_removed_rule_back_in_place);
        g_test_add_func("/rollback/others-rules-survive", test_others_rules_survive);
        g_test_add_func("/rollback/flush-restored", test_flush_restored);
        g_test_add_func("/rollback/duplicates", test_duplicates);
        g_test_add_func("/rollback/policies", test_policies);
        g_test_add_func("/rollback/created-chain", test_created_chain);
        g_test_add_func("/rollback/deleted-chain", test_deleted_chain);
        g_test_add_func("/rollback/dropped-jump", test_dropped_jump);
        g_test_add_func("/rollback/counters-kept", test_counters_kept);
        g_test_add_func("/rollback/mismatch-refused", test_mismatch_refused);
        g_test_add_func("/rollback/align-longest", test_align_longest);
        g_test_add_func("/rollback/big-table", test_big_table);
        return g_test_run();
}
