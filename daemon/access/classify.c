/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "classify.h"

#include <netinet/in.h>

#define CT_F_STATE (1u << 0)
#define CT_F_STATE_ALIAS (1u << 13)
#define CT_BIT_ESTABLISHED (1u << 1)
#define CT_BIT_RELATED (1u << 2)
#define CT_BIT_NEW (1u << 3)

static bool header_unrestricted(const bs_rule *r) {
        return bs_addr_is_any(&r->src) && !r->src_invert && bs_addr_is_any(&r->dst) && !r->dst_invert &&
               !r->out_iface[0] && r->frag == BS_FRAG_ANY;
}

static bool only_comments_from(const bs_rule *r, size_t from) {
        for (size_t i = from; i < r->n_matches; i++)
                if (r->matches[i].kind != BS_MATCH_COMMENT)
                        return false;
        return true;
}

/* A conntrack match that says exactly --ctstate (or --state) ESTABLISHED,RELATED. */
static bool is_stateful_match(const bs_match *m) {
        if (m->kind != BS_MATCH_CONNTRACK)
                return false;
        const bs_match_conntrack *c = &m->conntrack;
        return (c->match_flags & ~CT_F_STATE_ALIAS) == CT_F_STATE && c->invert_flags == 0 &&
               c->state_mask == (CT_BIT_ESTABLISHED | CT_BIT_RELATED);
}

bool bs_rule_is_stateful_accept(const bs_rule *r) {
        if (r->target.kind != BS_TARGET_ACCEPT || !header_unrestricted(r) || r->in_iface[0] || r->proto != 0 ||
            r->proto_invert)
                return false;
        bool found = false;
        for (size_t i = 0; i < r->n_matches; i++) {
                if (r->matches[i].kind == BS_MATCH_COMMENT)
                        continue;
                if (found || !is_stateful_match(&r->matches[i]))
                        return false;
                found = true;
        }
        return found;
}

bool bs_rule_is_loopback_accept(const bs_rule *r) {
        return r->target.kind == BS_TARGET_ACCEPT && header_unrestricted(r) && streq(r->in_iface, "lo") &&
               !r->in_invert && r->proto == 0 && !r->proto_invert && only_comments_from(r, 0);
}

/* A conntrack match limited to --ctstate with NEW among the states. */
static bool is_new_state_match(const bs_match *m) {
        const bs_match_conntrack *c = &m->conntrack;
        return (c->match_flags & ~CT_F_STATE_ALIAS) == CT_F_STATE && c->invert_flags == 0 &&
               (c->state_mask & CT_BIT_NEW);
}

static bool range_has(bs_port_range r, uint16_t p) {
        return p >= r.lo && p <= r.hi;
}

static bool multiport_has_dport(const bs_match_multiport *m, uint16_t port) {
        if (m->invert || m->dir == BS_MULTIPORT_SOURCE)
                return false;
        unsigned n = m->count < BS_MULTIPORT_MAX ? m->count : BS_MULTIPORT_MAX;
        for (unsigned i = 0; i < n; i++) {
                uint16_t s = m->ports[i], e = s;
                if (m->pflags[i] && i + 1 < n)
                        e = m->ports[++i];
                if (port >= s && port <= e)
                        return true;
        }
        return false;
}

bs_allow_kind bs_rule_allows_port(const bs_rule *r, uint8_t proto, uint16_t port) {
        if (r->target.kind != BS_TARGET_ACCEPT || r->proto != proto || r->proto_invert)
                return BS_ALLOW_NO;
        bool port_ok = false, restricted = !header_unrestricted(r) || r->in_iface[0];
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *m = &r->matches[i];
                switch (m->kind) {
                case BS_MATCH_TCP:
                        if (proto != IPPROTO_TCP || m->tcp.dport_invert || !range_has(m->tcp.dport, port))
                                return BS_ALLOW_NO;
                        if (m->tcp.dport.lo != 0 || m->tcp.dport.hi != 65535)
                                port_ok = true;
                        if (m->tcp.sport.lo != 0 || m->tcp.sport.hi != 65535 || m->tcp.sport_invert ||
                            m->tcp.option != 0)
                                restricted = true;
                        if (m->tcp.flg_mask != 0) {
                                /* --syn still lets every new connection in; other flag tests do not */
                                bool syn = m->tcp.flg_mask == 0x17 && m->tcp.flg_cmp == 0x02 && !m->tcp.flags_invert;
                                if (!syn)
                                        restricted = true;
                        }
                        break;
                case BS_MATCH_UDP:
                        if (proto != IPPROTO_UDP || m->udp.dport_invert || !range_has(m->udp.dport, port))
                                return BS_ALLOW_NO;
                        if (m->udp.dport.lo != 0 || m->udp.dport.hi != 65535)
                                port_ok = true;
                        if (m->udp.sport.lo != 0 || m->udp.sport.hi != 65535 || m->udp.sport_invert)
                                restricted = true;
                        break;
                case BS_MATCH_MULTIPORT:
                        if (!multiport_has_dport(&m->multiport, port))
                                return BS_ALLOW_NO;
                        port_ok = true;
                        if (m->multiport.dir == BS_MULTIPORT_EITHER)
                                restricted = true; /* fine for us, but also matches source ports */
                        break;
                case BS_MATCH_COMMENT:
                        break;
                case BS_MATCH_CONNTRACK:
                        if (!is_new_state_match(m))
                                return BS_ALLOW_NO; /* a stateful rule is not a port allow */
                        break;
                default:
                        restricted = true;
                }
        }
        if (!port_ok)
                return BS_ALLOW_NO;
        return restricted ? BS_ALLOW_RESTRICTED : BS_ALLOW_ANY;
}

bool bs_rule_is_service_allow(const bs_rule *r) {
        if (r->target.kind != BS_TARGET_ACCEPT)
                return false;
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *m = &r->matches[i];
                if (m->kind == BS_MATCH_TCP && (m->tcp.dport.lo != 0 || m->tcp.dport.hi != 65535))
                        return true;
                if (m->kind == BS_MATCH_UDP && (m->udp.dport.lo != 0 || m->udp.dport.hi != 65535))
                        return true;
                if (m->kind == BS_MATCH_MULTIPORT && m->multiport.dir != BS_MULTIPORT_SOURCE)
                        return true;
        }
        return false;
}

bs_allow_kind bs_rule_accepts_icmp6_type(const bs_rule *r, uint8_t type) {
        if (r->family != BS_FAMILY_IPV6 || r->target.kind != BS_TARGET_ACCEPT || r->proto_invert)
                return BS_ALLOW_NO;
        if (r->proto != IPPROTO_ICMPV6 && r->proto != 0)
                return BS_ALLOW_NO;
        bool restricted = !header_unrestricted(r) || r->in_iface[0];
        bool typed = false;
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *m = &r->matches[i];
                if (m->kind == BS_MATCH_COMMENT)
                        continue;
                if (m->kind == BS_MATCH_ICMP6) {
                        if (m->icmp.invert || m->icmp.type != type || m->icmp.code_min != 0)
                                return BS_ALLOW_NO;
                        if (m->icmp.code_max != 0xff)
                                restricted = true;
                        typed = true;
                        continue;
                }
                restricted = true;
        }
        /* `-p ipv6-icmp -j ACCEPT` accepts every type; a rule with no protocol is not an ICMPv6 allow */
        if (!typed && r->proto != IPPROTO_ICMPV6)
                return BS_ALLOW_NO;
        return restricted ? BS_ALLOW_RESTRICTED : BS_ALLOW_ANY;
}

static bool addr_broad(const bs_addr *a, bool invert) {
        return bs_addr_is_any(a) ? !invert : invert;
}

bool bs_rule_is_broad_drop(const bs_rule *r) {
        if (r->target.kind != BS_TARGET_DROP && r->target.kind != BS_TARGET_REJECT)
                return false;
        if (!addr_broad(&r->src, r->src_invert) || !addr_broad(&r->dst, r->dst_invert))
                return false;
        if (r->in_iface[0] && !r->in_invert && !streq(r->in_iface, "+"))
                return false;
        if (r->frag == BS_FRAG_YES)
                return false;
        /* a single protocol is still broad when it is TCP or UDP (all of it) */
        if (r->proto != 0 && !r->proto_invert && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
                return false;
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *m = &r->matches[i];
                switch (m->kind) {
                case BS_MATCH_COMMENT:
                        break;
                case BS_MATCH_TCP: {
                        const bs_match_tcp *t = &m->tcp;
                        bool all_ports = t->dport.lo == 0 && t->dport.hi == 65535 && t->sport.lo == 0 &&
                                         t->sport.hi == 65535 && !t->dport_invert && !t->sport_invert;
                        if (!all_ports || t->option != 0)
                                return false;
                        /* --syn (or other flag tests) spare established traffic */
                        if (t->flg_mask != 0)
                                return false;
                        break;
                }
                case BS_MATCH_UDP: {
                        const bs_match_udp *u = &m->udp;
                        if (u->dport.lo != 0 || u->dport.hi != 65535 || u->sport.lo != 0 || u->sport.hi != 65535 ||
                            u->dport_invert || u->sport_invert)
                                return false;
                        break;
                }
                case BS_MATCH_CONNTRACK: {
                        const bs_match_conntrack *c = &m->conntrack;
                        if ((c->match_flags & ~CT_F_STATE_ALIAS) != CT_F_STATE)
                                return false;
                        bool est = c->state_mask & CT_BIT_ESTABLISHED;
                        if (c->invert_flags & CT_F_STATE)
                                est = !est;
                        if (!est)
                                return false;
                        break;
                }
                default:
                        return false;
                }
        }
        return true;
}

ssize_t bs_chain_find(const bs_chain *c, bool (*pred)(const bs_rule *r)) {
        for (size_t i = 0; c && i < c->n_rules; i++)
                if (pred(&c->rules[i]))
                        return (ssize_t) i;
        return -1;
}
