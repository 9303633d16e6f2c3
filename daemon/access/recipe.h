/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The default-deny recipe as one change list (one transaction):
 *
 *   1. the stateful accept at position 1 of INPUT, unless INPUT already has
 *      one (either spelling, anywhere: it is never added twice; the check
 *      report says when it stands too late);
 *   2. -i lo -j ACCEPT,
 *   3. one accept per allow, e.g. -p tcp -m tcp --dport 22 -j ACCEPT,
 *   4. IPv6 only: ICMPv6 router solicitation/advertisement and neighbour
 *      solicitation/advertisement (133-136) from anywhere, which neighbour
 *      discovery needs (conntrack leaves them UNTRACKED, so the stateful rule
 *      does not cover them); and MLD queries (130) from link-local sources
 *      (fe80::/10), without which MLD-snooping switches stop forwarding the
 *      solicited-node multicast that neighbour discovery relies on. ICMPv6
 *      errors (packet too big, unreachable, time exceeded, parameter
 *      problem) about our connections are RELATED and pass the stateful rule;
 *      echo requests are not needed and are not opened.
 *   5. -P INPUT DROP, last, for each family.
 *
 * Rules 2-4 are skipped when an equivalent rule (classify.h, unrestricted)
 * is already in INPUT; they are inserted just before the first broad
 * DROP/REJECT of INPUT when there is one (so they take effect), appended
 * otherwise. Running the recipe on its own result yields no change. Pure.
 * The iptables command of each change: bs_render_change (text.h). */

#include "mgmt.h"

/* v4 and/or v6 may be NULL (family left alone). Each change is for one
 * family (families = that family's mask), IPv4 first, policies last.
 * *ret_n == 0 means nothing to do. -EINVAL for a bad allow or a table
 * without INPUT, -ENOMEM. */
int bs_recipe_default_deny(const bs_table *v4, const bs_table *v6, const bs_l4port *allows, size_t n_allows,
                           bs_change **ret, size_t *ret_n);
void bs_changes_free(bs_change *changes, size_t n);
