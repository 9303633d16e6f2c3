/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading a filter table from nf_tables into the rule model, as
 * iptables-nft lists it (`iptables-nft -S`): the table "filter" of family
 * ip (IPv4) or ip6 (IPv6), its base chains INPUT/FORWARD/OUTPUT with their
 * policies and policy counters (a base chain the kernel does not have yet
 * is listed as iptables-nft lists it: policy ACCEPT, no rules, counters
 * 0), the user chains in iptables-nft's order, every rule decoded by
 * nft-rule.h with its counters. No logging; errors as -errno. */

#include "nft-sock.h"
#include "rule.h"

/* Reads one table as one consistent snapshot: dumps that a concurrent
 * change interrupted, or that span two generations, are done again.
 * Each rule's origin is its handle in the kernel (what a later change
 * deletes or positions by). *ret_genid (may be NULL): the generation read.
 * -EOPNOTSUPP: the table holds what iptables-nft could not show either
 * (another tool's chains or rules): it is reported and left alone.
 * -EAGAIN: the ruleset kept changing under the reads. */
int bs_nft_read_table(bs_nft_sock *s, bs_family family, const char *table, bs_table **ret, uint32_t *ret_genid);
