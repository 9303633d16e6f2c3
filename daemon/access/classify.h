/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Recognising the rules of the reference workflow in a chain, whatever
 * their spelling: the stateful accept (`-m conntrack --ctstate
 * ESTABLISHED,RELATED` in either order, or `-m state --state`), the
 * loopback accept, port allows (`--dport` or `-m multiport --dports`), ICMPv6
 * type accepts, and "broad" DROP/REJECT rules. Used by the verification
 * report and the default-deny recipe. Pure. */

#include "rule.h"

/* -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT (or -m state), with
 * nothing else restricting it but comments. */
bool bs_rule_is_stateful_accept(const bs_rule *r) _pure_;
/* -i lo -j ACCEPT, nothing else restricting it but comments. */
bool bs_rule_is_loopback_accept(const bs_rule *r) _pure_;

typedef enum bs_allow_kind {
        BS_ALLOW_NO,          /* does not accept (proto, port) */
        BS_ALLOW_RESTRICTED,  /* accepts it, but only from some sources/interfaces/... */
        BS_ALLOW_ANY,         /* accepts every NEW connection to it */
} bs_allow_kind;
/* Whether r is an ACCEPT for NEW connections to (proto, port). A
 * `--ctstate NEW` criterion still counts as ANY. */
bs_allow_kind bs_rule_allows_port(const bs_rule *r, uint8_t proto, uint16_t port) _pure_;
/* An ACCEPT with a destination port criterion (a service allow). */
bool bs_rule_is_service_allow(const bs_rule *r) _pure_;
/* Whether r accepts ICMPv6 of this type from anywhere (a type match, or all
 * of ICMPv6); restrictions make it BS_ALLOW_RESTRICTED. */
bs_allow_kind bs_rule_accepts_icmp6_type(const bs_rule *r, uint8_t type) _pure_;

/* A DROP or REJECT that hits most traffic, including replies: no address,
 * interface, port or other narrowing criterion (an inverted one narrows
 * little and counts as broad), and no conntrack state criterion that leaves
 * out ESTABLISHED. `--ctstate INVALID -j DROP` is not broad. */
bool bs_rule_is_broad_drop(const bs_rule *r) _pure_;

/* 0-based index of the first rule in c for which pred holds, or -1. */
ssize_t bs_chain_find(const bs_chain *c, bool (*pred)(const bs_rule *r));
