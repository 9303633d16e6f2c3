/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recipe.h"

#include <netinet/in.h>

#include "classify.h"

#define CT_F_STATE (1u << 0)
#define CT_BIT_ESTABLISHED (1u << 1)
#define CT_BIT_RELATED (1u << 2)

typedef struct changes {
        bs_change *v;
        size_t n, cap;
} changes;

void bs_changes_free(bs_change *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                bs_change_done(&c[i]);
        free(c);
}

/* Apply c to the working copy (so positions of later changes are right)
 * and keep it; takes over c->rule. */
static int push(changes *cs, bs_table *work, bs_change *c) {
        int r = bs_table_apply_change(work, c);
        if (r >= 0)
                r = bs_grow((void **) &cs->v, &cs->cap, cs->n + 1, sizeof(bs_change));
        if (r < 0) {
                bs_change_done(c);
                return r;
        }
        cs->v[cs->n++] = *c;
        return 0;
}

static void stateful_rule(bs_rule *r, bs_family f) {
        bs_rule_init(r, f);
        bs_match *m = bs_rule_add_match(r, BS_MATCH_CONNTRACK);
        if (m) {
                m->conntrack.match_flags = CT_F_STATE;
                m->conntrack.state_mask = CT_BIT_ESTABLISHED | CT_BIT_RELATED;
        }
        r->target.kind = BS_TARGET_ACCEPT;
}

/* Insert before the first broad DROP/REJECT, or append. */
static void place(bs_change *c, const bs_table *work, unsigned family_mask) {
        const bs_chain *in = bs_table_find_chain(work, "INPUT");
        ssize_t broad = bs_chain_find(in, bs_rule_is_broad_drop);
        bs_change_init(c, broad >= 0 ? BS_CHANGE_INSERT : BS_CHANGE_APPEND, family_mask);
        strcpy(c->chain, "INPUT");
        if (broad >= 0)
                c->position = (uint32_t) broad + 1;
}

static bool has_port_allow(const bs_chain *in, uint8_t proto, uint16_t port) {
        for (size_t i = 0; i < in->n_rules; i++)
                if (bs_rule_allows_port(&in->rules[i], proto, port) == BS_ALLOW_ANY)
                        return true;
        return false;
}

static bool has_icmp6_allow(const bs_chain *in, uint8_t type) {
        for (size_t i = 0; i < in->n_rules; i++)
                if (bs_rule_accepts_icmp6_type(&in->rules[i], type) == BS_ALLOW_ANY)
                        return true;
        return false;
}

/* The MLD query rule: -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ACCEPT */
static void mld_rule(bs_rule *r) {
        bs_rule_init(r, BS_FAMILY_IPV6);
        r->src.addr[0] = 0xfe;
        r->src.addr[1] = 0x80;
        bs_addr_set_prefix(&r->src, BS_FAMILY_IPV6, 10);
        r->proto = IPPROTO_ICMPV6;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_ICMP6);
        if (m)
                m->icmp = (bs_match_icmp){ .type = 130, .code_min = 0, .code_max = 0xff };
        r->target.kind = BS_TARGET_ACCEPT;
}

static bool has_rule(const bs_chain *in, const bs_rule *r) {
        for (size_t i = 0; i < in->n_rules; i++)
                if (bs_rule_equal(&in->rules[i], r))
                        return true;
        return false;
}

static int recipe_family(changes *cs, const bs_table *t, const bs_l4port *allows, size_t n_allows) {
        unsigned mask = bs_family_mask(t->family);
        _cleanup_table_ bs_table *work = NULL;
        int r = bs_table_copy(&work, t);
        if (r < 0)
                return r;
        bs_chain *in = bs_table_find_chain(work, "INPUT");
        if (!in)
                return -EINVAL;

        bs_change c;
        if (bs_chain_find(in, bs_rule_is_stateful_accept) < 0) {
                bs_change_init(&c, BS_CHANGE_INSERT, mask);
                strcpy(c.chain, "INPUT");
                c.position = 1;
                stateful_rule(&c.rule, t->family);
                if (c.rule.n_matches != 1) {
                        bs_change_done(&c);
                        return -ENOMEM;
                }
                r = push(cs, work, &c);
                if (r < 0)
                        return r;
        }

        if (bs_chain_find(bs_table_find_chain(work, "INPUT"), bs_rule_is_loopback_accept) < 0) {
                place(&c, work, mask);
                bs_rule_init(&c.rule, t->family);
                strcpy(c.rule.in_iface, "lo");
                c.rule.target.kind = BS_TARGET_ACCEPT;
                r = push(cs, work, &c);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < n_allows; i++) {
                const bs_l4port *a = &allows[i];
                if (has_port_allow(bs_table_find_chain(work, "INPUT"), a->proto, a->port))
                        continue;
                place(&c, work, mask);
                bs_rule_init(&c.rule, t->family);
                c.rule.proto = a->proto;
                bs_match *m = bs_rule_add_match(&c.rule, a->proto == IPPROTO_TCP ? BS_MATCH_TCP : BS_MATCH_UDP);
                if (!m) {
                        bs_change_done(&c);
                        return -ENOMEM;
                }
                if (a->proto == IPPROTO_TCP)
                        m->tcp = (bs_match_tcp){ .sport = { 0, 65535 }, .dport = { a->port, a->port } };
                else
                        m->udp = (bs_match_udp){ .sport = { 0, 65535 }, .dport = { a->port, a->port } };
                c.rule.target.kind = BS_TARGET_ACCEPT;
                r = push(cs, work, &c);
                if (r < 0)
                        return r;
        }

        if (t->family == BS_FAMILY_IPV6) {
                static const uint8_t ndp[] = { 133, 134, 135, 136 };
                for (size_t i = 0; i < ELEMENTSOF(ndp); i++) {
                        if (has_icmp6_allow(bs_table_find_chain(work, "INPUT"), ndp[i]))
                                continue;
                        place(&c, work, mask);
                        bs_rule_init(&c.rule, BS_FAMILY_IPV6);
                        c.rule.proto = IPPROTO_ICMPV6;
                        bs_match *m = bs_rule_add_match(&c.rule, BS_MATCH_ICMP6);
                        if (!m) {
                                bs_change_done(&c);
                                return -ENOMEM;
                        }
                        m->icmp = (bs_match_icmp){ .type = ndp[i], .code_min = 0, .code_max = 0xff };
                        c.rule.target.kind = BS_TARGET_ACCEPT;
                        r = push(cs, work, &c);
                        if (r < 0)
                                return r;
                }
                bs_rule mld;
                mld_rule(&mld);
                bool present = has_rule(bs_table_find_chain(work, "INPUT"), &mld) ||
                               has_icmp6_allow(bs_table_find_chain(work, "INPUT"), 130);
                if (!present) {
                        place(&c, work, mask);
                        c.rule = mld;
                        r = push(cs, work, &c);
                        if (r < 0)
                                return r;
                } else
                        bs_rule_done(&mld);
        }
        return 0;
}

static int policy_change(changes *cs, const bs_table *t) {
        const bs_chain *in = bs_table_find_chain(t, "INPUT");
        if (!in || in->policy == BS_POLICY_DROP)
                return 0;
        int r = bs_grow((void **) &cs->v, &cs->cap, cs->n + 1, sizeof(bs_change));
        if (r < 0)
                return r;
        bs_change *c = &cs->v[cs->n++];
        bs_change_init(c, BS_CHANGE_POLICY, bs_family_mask(t->family));
        strcpy(c->chain, "INPUT");
        c->policy = BS_POLICY_DROP;
        c->rule.family = t->family;
        return 0;
}

int bs_recipe_default_deny(const bs_table *v4, const bs_table *v6, const bs_l4port *allows, size_t n_allows,
                           bs_change **ret, size_t *ret_n) {
        if ((v4 && v4->family != BS_FAMILY_IPV4) || (v6 && v6->family != BS_FAMILY_IPV6) || (n_allows && !allows) ||
            n_allows > BS_MGMT_PORTS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n_allows; i++)
                if (allows[i].port == 0 || (allows[i].proto != IPPROTO_TCP && allows[i].proto != IPPROTO_UDP))
                        return -EINVAL;
        if ((v4 && !bs_table_find_chain(v4, "INPUT")) || (v6 && !bs_table_find_chain(v6, "INPUT")))
                return -EINVAL;

        changes cs = { 0 };
        int r = 0;
        if (v4)
                r = recipe_family(&cs, v4, allows, n_allows);
        if (r >= 0 && v6)
                r = recipe_family(&cs, v6, allows, n_allows);
        if (r >= 0 && v4)
                r = policy_change(&cs, v4);
        if (r >= 0 && v6)
                r = policy_change(&cs, v6);
        if (r < 0) {
                bs_changes_free(cs.v, cs.n);
                return r;
        }
        *ret = cs.v;
        *ret_n = cs.n;
        return 0;
}
