/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rollback.h"

#include <assert.h>

/* Above this many cells (differing middle of a x differing middle of b) the
 * exact LCS table costs too much memory; a greedy alignment is used instead.
 * Transactions change few rules, so after trimming the common prefix and
 * suffix the middle is normally tiny. */
#define ALIGN_DP_CELLS_MAX (4u * 1024 * 1024)

static void align_greedy(const bs_rule *a, size_t n, const bs_rule *b, size_t m, size_t *match_a) {
        size_t next = 0;
        for (size_t i = 0; i < n; i++)
                for (size_t j = next; j < m; j++)
                        if (bs_rule_equal(&a[i], &b[j])) {
                                match_a[i] = j;
                                next = j + 1;
                                break;
                        }
}

int bs_rollback_align(const bs_rule *a, size_t n, const bs_rule *b, size_t m, size_t *match_a) {
        for (size_t i = 0; i < n; i++)
                match_a[i] = SIZE_MAX;

        size_t pre = 0;
        while (pre < n && pre < m && bs_rule_equal(&a[pre], &b[pre])) {
                match_a[pre] = pre;
                pre++;
        }
        size_t suf = 0;
        while (suf < n - pre && suf < m - pre && bs_rule_equal(&a[n - 1 - suf], &b[m - 1 - suf])) {
                match_a[n - 1 - suf] = m - 1 - suf;
                suf++;
        }

        const bs_rule *ma = a + pre, *mb = b + pre;
        size_t mn = n - pre - suf, mm = m - pre - suf;
        size_t *mmatch = match_a + pre;
        if (mn == 0 || mm == 0)
                return 0;

        if ((mn + 1) > ALIGN_DP_CELLS_MAX / (mm + 1)) {
                align_greedy(ma, mn, mb, mm, mmatch);
                for (size_t i = 0; i < mn; i++)
                        if (mmatch[i] != SIZE_MAX)
                                mmatch[i] += pre;
                return 0;
        }

        /* L[i][j] = length of the LCS of ma[i..] and mb[j..] */
        size_t w = mm + 1;
        _cleanup_free_ uint32_t *L = calloc((mn + 1) * w, sizeof(uint32_t));
        if (!L)
                return -ENOMEM;
        for (size_t i = mn; i-- > 0;)
                for (size_t j = mm; j-- > 0;) {
                        if (bs_rule_equal(&ma[i], &mb[j]))
                                L[i * w + j] = L[(i + 1) * w + j + 1] + 1;
                        else {
                                uint32_t down = L[(i + 1) * w + j], right = L[i * w + j + 1];
                                L[i * w + j] = down >= right ? down : right;
                        }
                }
        size_t i = 0, j = 0;
        while (i < mn && j < mm) {
                if (bs_rule_equal(&ma[i], &mb[j])) {
                        mmatch[i] = pre + j;
                        i++;
                        j++;
                } else if (L[(i + 1) * w + j] >= L[i * w + j + 1])
                        i++;
                else
                        j++;
        }
        return 0;
}

static bool rule_target_exists(const bs_table *t, const bs_rule *r) {
        if (r->target.kind != BS_TARGET_JUMP && r->target.kind != BS_TARGET_GOTO)
                return true;
        const bs_chain *c = bs_table_find_chain(t, r->target.chain);
        return c && !c->builtin;
}

/* Fill one chain of the result: c0/c1/s2 are the chain in S0/S1/S2 (NULL
 * when absent there); the result's chain of the same name starts empty and
 * receives S2's rules that stay (copies: the rules the transaction added,
 * often all of a large chain, are never copied) and S0's that come back. */
static int rollback_chain(bs_table *result, const bs_chain *c0, const bs_chain *c1, const bs_chain *s2,
                          const char *name, size_t *dropped) {
        bs_chain *c2 = bs_table_find_chain(result, name);
        if (!c2)
                return 0;
        assert(c2->n_rules == 0);

        size_t n0 = c0 ? c0->n_rules : 0, n1 = c1 ? c1->n_rules : 0, n2 = s2 ? s2->n_rules : 0;
        const bs_rule *r0 = c0 ? c0->rules : NULL, *r1 = c1 ? c1->rules : NULL, *rules2 = s2 ? s2->rules : NULL;

        _cleanup_free_ size_t *m01 = calloc(n0 + 1, sizeof(size_t));
        _cleanup_free_ size_t *m12 = calloc(n1 + 1, sizeof(size_t));
        _cleanup_free_ bool *kept1 = calloc(n1 + 1, sizeof(bool));     /* S1 rule present in S0 */
        _cleanup_free_ bool *remove2 = calloc(n2 + 1, sizeof(bool));   /* S2 rule to drop */
        _cleanup_free_ size_t *slot = calloc(n0 + 1, sizeof(size_t));  /* where a removed S0 rule goes */
        if (!m01 || !m12 || !kept1 || !remove2 || !slot)
                return -ENOMEM;

        int r = bs_rollback_align(r0, n0, r1, n1, m01);
        if (r < 0)
                return r;
        r = bs_rollback_align(r1, n1, rules2, n2, m12);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n0; i++)
                if (m01[i] != SIZE_MAX)
                        kept1[m01[i]] = true;
        /* the transaction's own additions, where they still are */
        for (size_t k = 0; k < n1; k++)
                if (!kept1[k] && m12[k] != SIZE_MAX)
                        remove2[m12[k]] = true;

        /* Position in S2 of each S0 rule that the transaction kept and that
         * is still there: the anchors for putting removed rules back. */
        size_t n_removed = 0;
        for (size_t i = 0; i < n0; i++)
                if (m01[i] == SIZE_MAX)
                        n_removed++;

        for (size_t i = 0; i < n0; i++) {
                if (m01[i] != SIZE_MAX)
                        continue;
                size_t s = SIZE_MAX;
                for (size_t p = i; p-- > 0;)
                        if (m01[p] != SIZE_MAX && m12[m01[p]] != SIZE_MAX) {
                                s = m12[m01[p]] + 1;  /* right after it */
                                break;
                        }
                if (s == SIZE_MAX)
                        for (size_t q = i + 1; q < n0; q++)
                                if (m01[q] != SIZE_MAX && m12[m01[q]] != SIZE_MAX) {
                                        s = m12[m01[q]];  /* right before it */
                                        break;
                                }
                slot[i] = s == SIZE_MAX ? 0 : s;
        }

        /* Copy the rules to put back first, so that the merge below cannot
         * fail half way. */
        _cleanup_free_ bs_rule *ins = calloc(n0 + 1, sizeof(bs_rule));
        _cleanup_free_ bool *have = calloc(n0 + 1, sizeof(bool));
        if (!ins || !have)
                return -ENOMEM;
        for (size_t i = 0; i < n0; i++) {
                if (m01[i] != SIZE_MAX)
                        continue;
                if (!rule_target_exists(result, &r0[i])) {
                        if (dropped)
                                (*dropped)++;
                        continue;
                }
                r = bs_rule_copy(&ins[i], &r0[i]);
                if (r < 0) {
                        for (size_t k = 0; k < i; k++)
                                if (have[k])
                                        bs_rule_done(&ins[k]);
                        return r;
                }
                have[i] = true;
        }

        /* Merge: slots are non-decreasing in S0 order (the alignments are
         * monotonic), so one pass over S2 puts everything in place. */
        size_t cap = n2 + n_removed;
        bs_rule *out = calloc(cap ? cap : 1, sizeof(bs_rule));
        if (!out) {
                for (size_t k = 0; k < n0; k++)
                        if (have[k])
                                bs_rule_done(&ins[k]);
                return -ENOMEM;
        }
        size_t n_out = 0, i0 = 0;
        for (size_t j = 0; j <= n2; j++) {
                for (; i0 < n0; i0++) {
                        if (m01[i0] != SIZE_MAX)
                                continue;
                        if (slot[i0] > j)
                                break;
                        if (have[i0]) {
                                out[n_out++] = ins[i0];  /* moved */
                                have[i0] = false;
                        }
                }
                if (j < n2 && !remove2[j]) {
                        r = bs_rule_copy(&out[n_out], &rules2[j]);  /* S2's counters stay */
                        if (r < 0) {
                                for (size_t k = 0; k < n_out; k++)
                                        bs_rule_done(&out[k]);
                                for (size_t k = 0; k < n0; k++)
                                        if (have[k])
                                                bs_rule_done(&ins[k]);
                                free(out);
                                return r;
                        }
                        n_out++;
                }
        }
        if (c2->rules)
                free(c2->rules - c2->head_rules);
        c2->rules = out;
        c2->head_rules = 0;
        c2->n_rules = n_out;
        c2->cap_rules = cap ? cap : 1;
        return 0;
}

/* S2 as bs_table_copy would copy it, except that the chains S0 or S1 has
 * are left empty: rollback_chain fills them. */
static int copy_chains(const bs_table *current, const bs_table *before, const bs_table *after, bs_table **ret) {
        _cleanup_table_ bs_table *t = bs_table_new(current->family, current->name);
        if (!t)
                return -ENOMEM;
        size_t n = current->n_chains;
        t->chains = calloc(n ? n : 1, sizeof(bs_chain));
        if (!t->chains)
                return -ENOMEM;
        t->cap_chains = n ? n : 1;
        for (size_t i = 0; i < n; i++) {
                const bs_chain *s = &current->chains[i];
                bs_chain_copy_header(&t->chains[i], s);
                t->n_chains++;
                if (bs_table_find_chain(before, s->name) || bs_table_find_chain(after, s->name))
                        continue;
                int r = bs_chain_copy_rules(&t->chains[i], s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

int bs_rollback_table(const bs_table *before, const bs_table *after, const bs_table *current,
                      bs_table **ret, size_t *ret_dropped) {
        if (before->family != after->family || before->family != current->family ||
            !streq(before->name, after->name) || !streq(before->name, current->name))
                return -EINVAL;

        /* S2's chains; the rules of those S0 or S1 has are filled in by
         * rollback_chain, the others' copied as they are */
        _cleanup_table_ bs_table *result = NULL;
        int r = copy_chains(current, before, after, &result);
        if (r < 0)
                return r;
        size_t dropped = 0;

        /* 1. chains the transaction deleted come back (empty for now) */
        for (size_t i = 0; i < before->n_chains; i++) {
                const bs_chain *c0 = &before->chains[i];
                if (bs_table_find_chain(after, c0->name) || bs_table_find_chain(result, c0->name))
                        continue;
                r = bs_table_add_chain(result, c0->name, c0->builtin, c0->policy, NULL);
                if (r < 0)
                        return r;
        }

        /* 2. rules and policies, chain by chain: every chain of S0 or S1 */
        for (size_t i = 0; i < before->n_chains + after->n_chains; i++) {
                const bs_chain *c0, *c1;
                const char *name;
                if (i < before->n_chains) {
                        c0 = &before->chains[i];
                        name = c0->name;
                        c1 = bs_table_find_chain(after, name);
                } else {
                        c1 = &after->chains[i - before->n_chains];
                        name = c1->name;
                        if (bs_table_find_chain(before, name))
                                continue;  /* done in the first half */
                        c0 = NULL;
                }
                r = rollback_chain(result, c0, c1, bs_table_find_chain(current, name), name, &dropped);
                if (r < 0)
                        return r;

                bs_chain *c2 = bs_table_find_chain(result, name);
                if (c0 && c1 && c2 && c0->builtin && c2->builtin && c1->policy != c0->policy &&
                    c2->policy == c1->policy)
                        c2->policy = c0->policy;
        }

        /* 3. chains the transaction created go if empty and unreferenced;
         * repeat, since dropping one may free another it jumped to */
        for (bool progress = true; progress;) {
                progress = false;
                for (size_t i = 0; i < after->n_chains; i++) {
                        const bs_chain *c1 = &after->chains[i];
                        if (c1->builtin || bs_table_find_chain(before, c1->name))
                                continue;
                        bs_chain *c = bs_table_find_chain(result, c1->name);
                        if (!c || c->n_rules > 0 || bs_table_chain_referenced(result, c->name))
                                continue;
                        bs_table_remove_chain(result, c);
                        progress = true;
                }
        }

        if (ret_dropped)
                *ret_dropped = dropped;
        *ret = TAKE_PTR(result);
        return 0;
}
