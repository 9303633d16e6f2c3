/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Undoing one transaction while keeping what others did meanwhile: a pure
 * three-way merge over the rule model. No I/O, no logging, -errno. */

#include "rule.h"

/* Given the table before the transaction (S0), right after it was applied
 * (S1) and as it is now (S2), compute the table to restore:
 *   - S2 minus the rules the transaction added (S1 rules not in S0),
 *   - plus the rules it removed (S0 rules not in S1), each put back next to
 *     its former neighbours (after the nearest earlier rule of S0 that is
 *     still there, else before the nearest later one),
 *   - built-in chain policies set back to S0's where S2 still has S1's value,
 *   - chains the transaction deleted recreated (with their rules),
 *   - chains it created removed if nothing is left in them and nothing
 *     jumps to them.
 * Rules added by others, and others' policy changes, stay. A removed rule
 * that jumps to a chain which no longer exists cannot be put back; such rules
 * are dropped and counted in *ret_dropped (may be NULL).
 * All three tables must have the same family and name (-EINVAL). */
int bs_rollback_table(const bs_table *before, const bs_table *after, const bs_table *current,
                      bs_table **ret, size_t *ret_dropped);

/* The alignment used above, exposed for tests: a common subsequence of
 * a[0..n) and b[0..m) by bs_rule_equal (the longest one unless the
 * sequences differ in too many places to afford it). match_a[i] receives the
 * index in b that a[i] is matched to, or SIZE_MAX. */
int bs_rollback_align(const bs_rule *a, size_t n, const bs_rule *b, size_t m, size_t *match_a);
