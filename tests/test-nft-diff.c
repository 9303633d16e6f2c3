/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nf_tables chain diff (nft-diff.h): which rules a change deletes by
 * handle and which it inserts where. Each case checks the plan twice: the
 * counts a minimal plan has, and that carrying it out (delete, then insert
 * each new rule before the next rule kept) gives exactly the rules wanted,
 * in order. */
#include <glib.h>

#include "nft-diff.h"

/* A rule told apart by its protocol number; origin as the kernel's handle. */
static void add_rule(bs_chain *c, uint16_t id, uint64_t handle) {
        bs_rule r;
        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.proto = id;
        r.target.kind = BS_TARGET_ACCEPT;
        r.origin = handle;
        g_assert_cmpint(bs_chain_insert_rule(c, c->n_rules, &r), ==, 0);
}

typedef struct spec {
        uint16_t id;
        uint64_t handle;
} spec;

static bs_table *chain_of(const spec *s, size_t n) {
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_nonnull(t);
        bs_chain *c;
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, &c), ==, 0);
        for (size_t i = 0; i < n; i++)
                add_rule(c, s[i].id, s[i].handle);
        return t;
}

/* Carry the plan out on the ids: the rules left after the deletions, each
 * inserted rule put before the next kept one (or at the end). */
static void check_plan(const bs_chain *before, const bs_chain *after, const bs_nft_chain_diff *d) {
        GArray *ids = g_array_new(false, false, sizeof(int));
        GArray *from = g_array_new(false, false, sizeof(size_t));  /* index in before of each id left */
        size_t k = 0;
        for (size_t i = 0; before && i < before->n_rules; i++) {
                if (k < d->n_deleted && d->deleted[k] == i) {
                        k++;
                        continue;
                }
                int id = before->rules[i].proto;
                g_array_append_val(ids, id);
                g_array_append_val(from, i);
        }
        g_assert_cmpuint(k, ==, d->n_deleted);
        size_t inserted = 0;
        for (size_t j = 0; after && j < after->n_rules; j++) {
                if (d->kept_from[j] != SIZE_MAX) {
                        g_assert_true(bs_rule_equal(&before->rules[d->kept_from[j]], &after->rules[j]));
                        continue;
                }
                inserted++;
                /* before the next kept rule of after, found among those left */
                size_t pos = ids->len;
                for (size_t n = j + 1; after && n < after->n_rules; n++)
                        if (d->kept_from[n] != SIZE_MAX) {
                                for (pos = 0; g_array_index(from, size_t, pos) != d->kept_from[n]; pos++)
                                        g_assert_cmpuint(pos + 1, <, from->len);
                                break;
                        }
                int id = after->rules[j].proto;
                size_t none = SIZE_MAX;
                g_array_insert_val(ids, pos, id);
                g_array_insert_val(from, pos, none);
        }
        g_assert_cmpuint(inserted, ==, d->n_inserted);
        g_assert_cmpuint(ids->len, ==, after ? after->n_rules : 0);
        for (size_t j = 0; j < ids->len; j++)
                g_assert_cmpint(g_array_index(ids, int, j), ==, after->rules[j].proto);
        g_array_free(ids, true);
        g_array_free(from, true);
}

/* With trust_handles both false and, where after could be a copy of
 * before (no handle on another rule), true: the same plan. */
static void run_case(const spec *b, size_t nb, const spec *a, size_t na, size_t want_deleted, size_t want_inserted,
                     bool copy) {
        bs_table *tb = chain_of(b, nb), *ta = chain_of(a, na);
        for (int trust = 0; trust <= (int) copy; trust++) {
                bs_nft_chain_diff d;
                g_assert_cmpint(bs_nft_chain_diff_compute(&tb->chains[0], &ta->chains[0], trust, &d), ==, 0);
                check_plan(&tb->chains[0], &ta->chains[0], &d);
                g_assert_cmpuint(d.n_deleted, ==, want_deleted);
                g_assert_cmpuint(d.n_inserted, ==, want_inserted);
                bs_nft_chain_diff_done(&d);
        }
        bs_table_free(tb);
        bs_table_free(ta);
}

#define CASE(b, a, del, ins) run_case(b, G_N_ELEMENTS(b), a, G_N_ELEMENTS(a), del, ins, true)

static void test_insert_front(void) {
        spec b[] = { { 1, 11 }, { 2, 12 } }, a[] = { { 9, 0 }, { 1, 11 }, { 2, 12 } };
        CASE(b, a, 0, 1);
}

static void test_delete_middle(void) {
        spec b[] = { { 1, 11 }, { 2, 12 }, { 3, 13 } }, a[] = { { 1, 11 }, { 3, 13 } };
        CASE(b, a, 1, 0);
}

static void test_replace(void) {
        spec b[] = { { 1, 11 }, { 2, 12 }, { 3, 13 } }, a[] = { { 1, 11 }, { 7, 0 }, { 3, 13 } };
        CASE(b, a, 1, 1);
}

/* A table computed anew (a snapshot restored): no handles, equal rules. */
static void test_equal_without_handles(void) {
        spec b[] = { { 1, 11 }, { 2, 12 }, { 3, 13 }, { 4, 14 } };
        spec a[] = { { 1, 0 }, { 2, 0 }, { 5, 0 }, { 4, 0 } };
        CASE(b, a, 1, 1);
}

/* A handle that names another rule than the one carrying it is no proof. */
static void test_stale_handle(void) {
        spec b[] = { { 1, 11 }, { 2, 12 } }, a[] = { { 3, 11 }, { 2, 12 } };
        run_case(b, G_N_ELEMENTS(b), a, G_N_ELEMENTS(a), 1, 1, false);
}

/* A rule moved up: the plan may cost more than one move, but must be right. */
static void test_move(void) {
        spec b[] = { { 1, 11 }, { 2, 12 }, { 3, 13 } }, a[] = { { 3, 13 }, { 1, 11 }, { 2, 12 } };
        bs_table *tb = chain_of(b, 3), *ta = chain_of(a, 3);
        for (int trust = 0; trust <= 1; trust++) {
                bs_nft_chain_diff d;
                g_assert_cmpint(bs_nft_chain_diff_compute(&tb->chains[0], &ta->chains[0], trust, &d), ==, 0);
                check_plan(&tb->chains[0], &ta->chains[0], &d);
                g_assert_cmpuint(d.n_deleted, ==, d.n_inserted);
                g_assert_cmpuint(d.n_deleted, <=, 2);
                bs_nft_chain_diff_done(&d);
        }
        bs_table_free(tb);
        bs_table_free(ta);
}

/* A chain reversed: the walk along both gives up, the index finds the
 * one rule that can stay in order; every plan is still right. */
static void test_reversed(void) {
        spec b[24], a[24];
        for (int i = 0; i < 24; i++) {
                b[i] = (spec) { (uint16_t) (i + 1), (uint64_t) (i + 101) };
                a[23 - i] = b[i];
        }
        for (int trust = 0; trust <= 1; trust++) {
                bs_table *tb = chain_of(b, 24), *ta = chain_of(a, 24);
                bs_nft_chain_diff d;
                g_assert_cmpint(bs_nft_chain_diff_compute(&tb->chains[0], &ta->chains[0], trust, &d), ==, 0);
                check_plan(&tb->chains[0], &ta->chains[0], &d);
                g_assert_cmpuint(d.n_deleted, ==, 23);
                g_assert_cmpuint(d.n_inserted, ==, 23);
                bs_nft_chain_diff_done(&d);
                bs_table_free(tb);
                bs_table_free(ta);
        }
}

static void test_duplicates(void) {
        spec b[] = { { 1, 11 }, { 1, 12 }, { 1, 13 } }, a[] = { { 1, 11 }, { 1, 13 } };
        CASE(b, a, 1, 0);
}

static void test_chain_new_and_gone(void) {
        bs_table *t = chain_of((spec[]) { { 1, 11 }, { 2, 12 } }, 2);
        bs_nft_chain_diff d;
        g_assert_cmpint(bs_nft_chain_diff_compute(NULL, &t->chains[0], false, &d), ==, 0);
        g_assert_cmpuint(d.n_inserted, ==, 2);
        g_assert_cmpuint(d.n_deleted, ==, 0);
        bs_nft_chain_diff_done(&d);
        g_assert_cmpint(bs_nft_chain_diff_compute(&t->chains[0], NULL, false, &d), ==, 0);
        g_assert_cmpuint(d.n_inserted, ==, 0);
        g_assert_cmpuint(d.n_deleted, ==, 2);
        bs_nft_chain_diff_done(&d);
        bs_table_free(t);
}

/* 10,000 rules, one inserted at the front and one deleted near the end:
 * two operations, not a rewrite. */
static void test_large(void) {
        const size_t n = 10000;
        spec *b = g_new(spec, n), *a = g_new(spec, n);
        for (size_t i = 0; i < n; i++)
                b[i] = (spec) { (uint16_t) (i % 250 + 1), i + 100 };
        a[0] = (spec) { 999, 0 };
        for (size_t i = 0, j = 1; i < n; i++)
                if (i != n - 5)
                        a[j++] = b[i];
        run_case(b, n, a, n, 1, 1, true);
        g_free(b);
        g_free(a);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/nft-diff/insert-front", test_insert_front);
        g_test_add_func("/nft-diff/delete-middle", test_delete_middle);
        g_test_add_func("/nft-diff/replace", test_replace);
        g_test_add_func("/nft-diff/equal-without-handles", test_equal_without_handles);
        g_test_add_func("/nft-diff/stale-handle", test_stale_handle);
        g_test_add_func("/nft-diff/move", test_move);
        g_test_add_func("/nft-diff/reversed", test_reversed);
        g_test_add_func("/nft-diff/duplicates", test_duplicates);
        g_test_add_func("/nft-diff/chain-new-and-gone", test_chain_new_and_gone);
        g_test_add_func("/nft-diff/large", test_large);
        return g_test_run();
}
