/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* test-oracle's steps for iptables-nft alone: a rule's expressions as the
 * kernel dumps them, a rule written by our codec in a batch of its own, and
 * the textual form of expressions for reports. */

#include <glib.h>

#include "rule.h"

/* The index-th rule (0-based) of the chain in the family's table "filter",
 * as the kernel dumps it: its whole NEWRULE message. NULL when there is
 * none (or the dump failed: *ret_err). */
GBytes *oracle_nft_dump_rule(bs_family family, const char *chain, size_t index, int *ret_err);
/* The NFTA_RULE_EXPRESSIONS attribute of such a message, and its user
 * data (NULL when it has none). */
GBytes *oracle_nft_rule_attr(GBytes *msg, uint16_t attr);
/* The expressions of such a message, in libnftnl's text form, one line each. */
char *oracle_nft_describe(GBytes *msg);
/* Appends rule to the chain of table "filter" with bs_nft_rule_encode, as
 * one NEWRULE message in a batch of its own; with create, the batch first
 * makes the table and the (built-in) chain as iptables-nft makes them. */
int oracle_nft_append(const bs_rule *rule, const char *chain, bool create);

/* test-oracle-nft's tests beyond the corpus: a table nf_tables does not
 * have, tables iptables-nft calls incompatible, and 10,000 rules read
 * (timed beside `iptables-nft -S`). */
void oracle_nft_add_tests(void);
