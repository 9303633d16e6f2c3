/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the access tests: build tables and rules by hand, in the
 * model, without the text layer. Everything asserts with GLib. */

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>

#include "eval.h"
#include "rule.h"

static inline bs_table *ab_filter(bs_family f, bs_policy input) {
        bs_table *t = bs_table_new(f, "filter");
        g_assert_nonnull(t);
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, input, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        return t;
}

static inline void ab_chain(bs_table *t, const char *name) {
        g_assert_cmpint(bs_table_add_chain(t, name, false, BS_POLICY_NONE, NULL), ==, 0);
}

/* Append r (taken over) to chain. */
static inline void ab_append(bs_table *t, const char *chain, bs_rule *r) {
        bs_chain *c = bs_table_find_chain(t, chain);
        g_assert_nonnull(c);
        g_assert_cmpint(bs_chain_insert_rule(c, c->n_rules, r), ==, 0);
}

static inline void ab_addr(bs_addr *a, bs_family f, const char *text, unsigned prefix) {
        memset(a, 0, sizeof(*a));
        g_assert_cmpint(inet_pton(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, text, a->addr), ==, 1);
        bs_addr_set_prefix(a, f, prefix);
}

static inline void ab_ip(uint8_t out[16], bs_family f, const char *text) {
        memset(out, 0, 16);
        g_assert_cmpint(inet_pton(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, text, out), ==, 1);
}

static inline void ab_target(bs_rule *r, bs_target_kind k) {
        r->target.kind = k;
}

static inline void ab_jump(bs_rule *r, bs_target_kind k, const char *chain) {
        r->target.kind = k;
        snprintf(r->target.chain, sizeof(r->target.chain), "%s", chain);
}

static inline bs_match *ab_tcp(bs_rule *r, uint16_t dlo, uint16_t dhi) {
        r->proto = IPPROTO_TCP;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_TCP);
        g_assert_nonnull(m);
        m->tcp.sport = (bs_port_range){ 0, 65535 };
        m->tcp.dport = (bs_port_range){ dlo, dhi };
        return m;
}

static inline bs_match *ab_udp(bs_rule *r, uint16_t dlo, uint16_t dhi) {
        r->proto = IPPROTO_UDP;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_UDP);
        g_assert_nonnull(m);
        m->udp.sport = (bs_port_range){ 0, 65535 };
        m->udp.dport = (bs_port_range){ dlo, dhi };
        return m;
}

/* state: the XT_CONNTRACK_STATE_BIT mask; alias: the `-m state` spelling. */
static inline bs_match *ab_ctstate(bs_rule *r, uint16_t state_mask, bool alias) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_CONNTRACK);
        g_assert_nonnull(m);
        m->conntrack.match_flags = 1u << 0 | (alias ? 1u << 13 : 0);
        m->conntrack.state_mask = state_mask;
        return m;
}

#define AB_CT_INVALID (1u << 0)
#define AB_CT_ESTABLISHED (1u << 1)
#define AB_CT_RELATED (1u << 2)
#define AB_CT_NEW (1u << 3)
#define AB_CT_UNTRACKED (1u << 8)

/* -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT (or -m state). */
static inline void ab_stateful(bs_table *t, const char *chain, bool alias) {
        bs_rule r;
        bs_rule_init(&r, t->family);
        ab_ctstate(&r, AB_CT_ESTABLISHED | AB_CT_RELATED, alias);
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, chain, &r);
}

static inline void ab_iface_accept(bs_table *t, const char *chain, const char *iface) {
        bs_rule r;
        bs_rule_init(&r, t->family);
        snprintf(r.in_iface, sizeof(r.in_iface), "%s", iface);
        ab_target(&r, BS_TARGET_ACCEPT);
        ab_append(t, chain, &r);
}

static inline void ab_port_rule(bs_table *t, const char *chain, uint8_t proto, uint16_t port, bs_target_kind k) {
        bs_rule r;
        bs_rule_init(&r, t->family);
        if (proto == IPPROTO_TCP)
                ab_tcp(&r, port, port);
        else
                ab_udp(&r, port, port);
        ab_target(&r, k);
        ab_append(t, chain, &r);
}

static inline void ab_plain(bs_table *t, const char *chain, bs_target_kind k) {
        bs_rule r;
        bs_rule_init(&r, t->family);
        ab_target(&r, k);
        ab_append(t, chain, &r);
}

/* A TCP packet arriving on INPUT through iface ("" = unknown). */
static inline bs_packet ab_tcp_packet(bs_family f, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                      bs_ctstate st, const char *iface) {
        bs_packet p = { 0 };
        p.family = f;
        p.hook = BS_HOOK_INPUT;
        ab_ip(p.src, f, src);
        ab_ip(p.dst, f, dst);
        p.proto = IPPROTO_TCP;
        p.sport = sport;
        p.dport = dport;
        p.tcp_flags = st == BS_CTSTATE_NEW ? BS_TCP_SYN : BS_TCP_ACK;
        p.ctstate = st;
        p.ctdir = BS_CTDIR_ORIGINAL;
        p.nat_known = true;
        if (iface && iface[0]) {
                p.in_known = BS_IFACE_KNOWN;
                snprintf(p.in_iface, sizeof(p.in_iface), "%s", iface);
        }
        return p;
}
