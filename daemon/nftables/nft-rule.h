/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rule codec for nf_tables: a bs_rule to the very expressions
 * iptables-nft 1.8.9 writes for it, and the expressions of a rule back to
 * the bs_rule iptables-nft shows for them. Native payload / meta / cmp /
 * bitwise / range / limit / immediate expressions where iptables-nft
 * translates natively (interfaces, protocol, addresses, fragments, tcp and
 * udp ports and flags, limit, mark, the standard verdicts and jumps),
 * `match` / `target` compat expressions carrying the codec's xt payloads
 * for the rest, a `counter` expression before the verdict. Pure code: no
 * socket, no logging, errors as -errno. */

#include <libnftnl/rule.h>

#include "rule.h"

/* Adds to r (whose family, table and chain the caller sets) the
 * expressions and the compat attributes (NFTNL_RULE_COMPAT_PROTO/_FLAGS)
 * iptables-nft writes for rule, with rule's counters in the counter
 * expression. -EINVAL for a rule the kernel would refuse, -E2BIG for one
 * that cannot fit a netlink message, -ENOMEM. */
int bs_nft_rule_encode(const bs_rule *rule, struct nftnl_rule *r);

/* Decodes r (of the given family) into *ret, which the codec initialises:
 * counters from the counter expression, origin left 0. -EOPNOTSUPP when r
 * holds an expression, or an arrangement of them, that iptables-nft could
 * not show as an iptables rule either (a rule made by the nft tool): the
 * table holding it is not ours to manage. On error *ret is left empty. */
int bs_nft_rule_decode(bs_family family, const struct nftnl_rule *r, bs_rule *ret);
