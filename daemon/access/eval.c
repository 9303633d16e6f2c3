/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule evaluator. Each match is judged the way its kernel module judges
 * it (net/ipv4/netfilter/ip_tables.c ip_packet_match, net/ipv6/netfilter/
 * ip6_tables.c ip6_packet_match, net/netfilter/xt_*.c), in three values:
 * matches, does not match, or cannot be known from the description. */
#include "eval.h"
#include "utf8.h"

#include <netinet/in.h>
#include <stdarg.h>

#include <linux/netfilter/xt_conntrack.h> /* after <netinet/in.h> */

/* Three-valued logic: NO and YES are certain. */
typedef enum tri {
        NO = 0,
        YES = 1,
        UNKNOWN = 2,
} tri;

static tri tri_invert(tri t, bool invert) {
        if (t == UNKNOWN || !invert)
                return t;
        return t == YES ? NO : YES;
}

static tri tri_of(bool b) {
        return b ? YES : NO;
}

/* State of one evaluation of one rule's matches: the first reason for
 * uncertainty is kept. */
typedef struct judge {
        tri result;
        char reason[160];
} judge;

_printf_(3, 4) static void judge_add(judge *j, tri t, const char *fmt, ...) {
        if (t == NO) {
                j->result = NO;
                return;
        }
        if (t == UNKNOWN && j->result == YES) {
                j->result = UNKNOWN;
                if (fmt) {
                        va_list ap;
                        va_start(ap, fmt);
                        vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
                        bs_utf8_trim(j->reason);
                        va_end(ap);
                }
        }
}

/* XT_CONNTRACK_STATE_BIT(ctinfo) and friends (linux/netfilter/xt_conntrack.h). */
#define CT_BIT_INVALID (1u << 0)
#define CT_BIT_ESTABLISHED (1u << 1)
#define CT_BIT_RELATED (1u << 2)
#define CT_BIT_NEW (1u << 3)
#define CT_BIT_SNAT (1u << 6)      /* 1 << (IP_CT_NUMBER + 1), IP_CT_NUMBER == 5 */
#define CT_BIT_DNAT (1u << 7)
#define CT_BIT_UNTRACKED (1u << 8)

_Static_assert(CT_BIT_ESTABLISHED == XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED), "ct bits");
_Static_assert(CT_BIT_RELATED == XT_CONNTRACK_STATE_BIT(IP_CT_RELATED), "ct bits");
_Static_assert(CT_BIT_NEW == XT_CONNTRACK_STATE_BIT(IP_CT_NEW), "ct bits");
_Static_assert(CT_BIT_INVALID == XT_CONNTRACK_STATE_INVALID, "ct bits");
_Static_assert(CT_BIT_SNAT == XT_CONNTRACK_STATE_SNAT, "ct bits");
_Static_assert(CT_BIT_DNAT == XT_CONNTRACK_STATE_DNAT, "ct bits");
_Static_assert(CT_BIT_UNTRACKED == XT_CONNTRACK_STATE_UNTRACKED, "ct bits");

enum {
        CT_F_STATE = 1 << 0,
        CT_F_PROTO = 1 << 1,
        CT_F_ORIGSRC = 1 << 2,
        CT_F_ORIGDST = 1 << 3,
        CT_F_REPLSRC = 1 << 4,
        CT_F_REPLDST = 1 << 5,
        CT_F_STATUS = 1 << 6,
        CT_F_EXPIRES = 1 << 7,
        CT_F_ORIGSRC_PORT = 1 << 8,
        CT_F_ORIGDST_PORT = 1 << 9,
        CT_F_REPLSRC_PORT = 1 << 10,
        CT_F_REPLDST_PORT = 1 << 11,
        CT_F_DIRECTION = 1 << 12,
};

enum {
        ADDRTYPE_INVERT_SOURCE = 0x1,
        ADDRTYPE_INVERT_DEST = 0x2,
        ADDRTYPE_LIMIT_IFACE_IN = 0x4,
        ADDRTYPE_LIMIT_IFACE_OUT = 0x8,
};

enum {
        IPRANGE_SRC_F = 1 << 0,
        IPRANGE_DST_F = 1 << 1,
        IPRANGE_SRC_INV_F = 1 << 4,
        IPRANGE_DST_INV_F = 1 << 5,
};

static unsigned addr_len(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 16 : 4;
}

const char *bs_verdict_to_string(bs_verdict v) {
        switch (v) {
        case BS_VERDICT_ACCEPT:
                return "ACCEPT";
        case BS_VERDICT_DROP:
                return "DROP";
        case BS_VERDICT_REJECT:
                return "REJECT";
        default:
                return "uncertain";
        }
}

const char *bs_hook_to_chain(bs_hook h) {
        switch (h) {
        case BS_HOOK_INPUT:
                return "INPUT";
        case BS_HOOK_FORWARD:
                return "FORWARD";
        case BS_HOOK_OUTPUT:
                return "OUTPUT";
        default:
                return NULL;
        }
}

const char *bs_ctstate_to_string(bs_ctstate s) {
        static const char *const names[] = {
                [BS_CTSTATE_NEW] = "NEW",           [BS_CTSTATE_ESTABLISHED] = "ESTABLISHED",
                [BS_CTSTATE_RELATED] = "RELATED",   [BS_CTSTATE_INVALID] = "INVALID",
                [BS_CTSTATE_UNTRACKED] = "UNTRACKED",
        };
        return (unsigned) s < ELEMENTSOF(names) ? names[s] : "?";
}

/* ------------------------------------------------------------ header */

/* The kernel compares (packet & mask) with the stored address as is. */
static bool addr_match(const uint8_t *pkt, const bs_addr *a, bs_family f) {
        for (unsigned i = 0; i < addr_len(f); i++)
                if ((pkt[i] & a->mask[i]) != a->addr[i])
                        return false;
        return true;
}

/* The rule's interface: "" = any, "eth+" = prefix "eth", else exact. */
static tri iface_match(const char *pattern, bs_iface_knowledge known, const char *name) {
        size_t n = strnlen(pattern, IFNAMSIZ);
        if (n == 0)
                return YES;
        bool prefix = pattern[n - 1] == '+';
        size_t cmp = prefix ? n - 1 : n;
        if (prefix && cmp == 0)
                return YES; /* "+" matches every interface, and none */

        switch (known) {
        case BS_IFACE_KNOWN:
                if (prefix)
                        return tri_of(strncmp(name, pattern, cmp) == 0);
                return tri_of(strncmp(name, pattern, IFNAMSIZ) == 0);
        case BS_IFACE_NOT_LOOPBACK:
                if (!prefix && streq(pattern, "lo"))
                        return NO;
                return UNKNOWN;
        default:
                return UNKNOWN;
        }
}

static void judge_header(judge *j, const bs_rule *r, const bs_packet *p, bs_iface_knowledge in_known,
                         bs_iface_knowledge out_known) {
        if (!bs_addr_is_any(&r->src) || r->src_invert)
                judge_add(j, tri_invert(tri_of(addr_match(p->src, &r->src, p->family)), r->src_invert), NULL);
        if (!bs_addr_is_any(&r->dst) || r->dst_invert)
                judge_add(j, tri_invert(tri_of(addr_match(p->dst, &r->dst, p->family)), r->dst_invert), NULL);

        if (r->in_iface[0]) {
                tri t = tri_invert(iface_match(r->in_iface, in_known, p->in_iface), r->in_invert);
                judge_add(j, t, "the packet's input interface is not known");
        }
        if (r->out_iface[0]) {
                tri t = tri_invert(iface_match(r->out_iface, out_known, p->out_iface), r->out_invert);
                judge_add(j, t, "the packet's output interface is not known");
        }

        if (r->proto != 0)
                judge_add(j, tri_invert(tri_of(r->proto == p->proto), r->proto_invert), NULL);

        /* A probe packet is never a fragment. */
        if (p->family == BS_FAMILY_IPV4 && r->frag == BS_FRAG_YES)
                judge_add(j, NO, NULL);
}

/* ------------------------------------------------------------ matches */

static bool has_ports(uint8_t proto) {
        return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
               proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

static bool port_match(bs_port_range r, uint16_t port, bool invert) {
        return (port >= r.lo && port <= r.hi) != invert;
}

static void judge_tcp(judge *j, const bs_match_tcp *m, const bs_packet *p) {
        if (p->proto != IPPROTO_TCP) {
                judge_add(j, NO, NULL);
                return;
        }
        judge_add(j, tri_of(port_match(m->sport, p->sport, m->sport_invert)), NULL);
        judge_add(j, tri_of(port_match(m->dport, p->dport, m->dport_invert)), NULL);
        judge_add(j, tri_of(((p->tcp_flags & m->flg_mask) == m->flg_cmp) != m->flags_invert), NULL);
        if (m->option != 0) {
                if (!p->tcp_options_known) {
                        judge_add(j, UNKNOWN, "the packet's TCP options are not known (--tcp-option %u)",
                                  m->option);
                        return;
                }
                bool found = false;
                for (size_t i = 0; i < p->n_tcp_options && i < ELEMENTSOF(p->tcp_options); i++)
                        if (p->tcp_options[i] == m->option)
                                found = true;
                judge_add(j, tri_of(found != m->option_invert), NULL);
        }
}

static void judge_udp(judge *j, const bs_match_udp *m, const bs_packet *p) {
        if (p->proto != IPPROTO_UDP && p->proto != IPPROTO_UDPLITE) {
                judge_add(j, NO, NULL);
                return;
        }
        judge_add(j, tri_of(port_match(m->sport, p->sport, m->sport_invert)), NULL);
        judge_add(j, tri_of(port_match(m->dport, p->dport, m->dport_invert)), NULL);
}

static void judge_icmp(judge *j, const bs_match *m, const bs_packet *p) {
        const bs_match_icmp *i = &m->icmp;
        bool v6 = m->kind == BS_MATCH_ICMP6;
        if (p->proto != (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
                judge_add(j, NO, NULL);
                return;
        }
        /* icmp: type 0xff is "any"; icmp6 has no such wildcard */
        bool hit = (!v6 && i->type == 0xff) ||
                   (p->icmp_type == i->type && p->icmp_code >= i->code_min && p->icmp_code <= i->code_max);
        judge_add(j, tri_of(hit != i->invert), NULL);
}

/* The conntrack tuple of the packet's connection in one direction, when
 * it can be derived from the packet (no NAT, direction known, the packet
 * belongs to the connection itself rather than being RELATED to it). */
static bool ct_tuple(const bs_packet *p, bool orig_dir, const uint8_t **src, const uint8_t **dst,
                     uint16_t *sport, uint16_t *dport) {
        bs_ctdir dir = p->ctstate == BS_CTSTATE_NEW ? BS_CTDIR_ORIGINAL : p->ctdir;
        if (dir == BS_CTDIR_UNKNOWN || p->ctstate == BS_CTSTATE_RELATED)
                return false;
        if (!p->nat_known || p->snat || p->dnat)
                return false;
        bool same = (dir == BS_CTDIR_ORIGINAL) == orig_dir;
        *src = same ? p->src : p->dst;
        *dst = same ? p->dst : p->src;
        *sport = same ? p->sport : p->dport;
        *dport = same ? p->dport : p->sport;
        return true;
}

static void judge_ct_addr(judge *j, const bs_match_conntrack *m, const bs_packet *p, uint16_t flag,
                          bool orig_dir, bool source, const bs_addr *a, const char *what) {
        if (!(m->match_flags & flag))
                return;
        const uint8_t *s, *d;
        uint16_t sp, dp;
        if (!ct_tuple(p, orig_dir, &s, &d, &sp, &dp)) {
                judge_add(j, UNKNOWN, "the connection's %s cannot be known (NAT or direction)", what);
                return;
        }
        const uint8_t *x = source ? s : d;
        bool hit = true;
        for (unsigned i = 0; i < addr_len(p->family); i++)
                if ((x[i] & a->mask[i]) != (a->addr[i] & a->mask[i]))
                        hit = false;
        judge_add(j, tri_of(hit != !!(m->invert_flags & flag)), NULL);
}

static void judge_ct_port(judge *j, const bs_match_conntrack *m, const bs_packet *p, uint16_t flag,
                          bool orig_dir, bool source, uint16_t lo, uint16_t hi, const char *what) {
        if (!(m->match_flags & flag))
                return;
        const uint8_t *s, *d;
        uint16_t sp, dp;
        if (!ct_tuple(p, orig_dir, &s, &d, &sp, &dp) || !has_ports(p->proto)) {
                judge_add(j, UNKNOWN, "the connection's %s cannot be known (NAT or direction)", what);
                return;
        }
        /* revision 3 keeps these ports in host order */
        uint16_t port = source ? sp : dp;
        judge_add(j, tri_of((port >= lo && port <= hi) != !!(m->invert_flags & flag)), NULL);
}

static void judge_conntrack(judge *j, const bs_match_conntrack *m, const bs_packet *p) {
        bool tracked = p->ctstate == BS_CTSTATE_NEW || p->ctstate == BS_CTSTATE_ESTABLISHED ||
                       p->ctstate == BS_CTSTATE_RELATED;
        unsigned statebit;
        switch (p->ctstate) {
        case BS_CTSTATE_NEW:
                statebit = CT_BIT_NEW;
                break;
        case BS_CTSTATE_ESTABLISHED:
                statebit = CT_BIT_ESTABLISHED;
                break;
        case BS_CTSTATE_RELATED:
                statebit = CT_BIT_RELATED;
                break;
        case BS_CTSTATE_UNTRACKED:
                statebit = CT_BIT_UNTRACKED;
                break;
        default:
                statebit = CT_BIT_INVALID;
        }

        if (m->match_flags & CT_F_STATE) {
                bool inv = m->invert_flags & CT_F_STATE;
                tri t;
                if (m->state_mask & statebit)
                        t = YES;
                else if (!tracked || !(m->state_mask & (CT_BIT_SNAT | CT_BIT_DNAT)))
                        t = NO;
                else if (p->nat_known)
                        t = tri_of(((m->state_mask & CT_BIT_SNAT) && p->snat) ||
                                   ((m->state_mask & CT_BIT_DNAT) && p->dnat));
                else
                        t = UNKNOWN;
                judge_add(j, tri_invert(t, inv), "whether the connection is NATed is not known");
        }

        /* Without a conntrack entry (INVALID, UNTRACKED) only --ctstate can match. */
        if (!tracked) {
                if (!(m->match_flags & CT_F_STATE))
                        judge_add(j, NO, NULL);
                return;
        }

        if (m->match_flags & CT_F_DIRECTION) {
                bs_ctdir dir = p->ctstate == BS_CTSTATE_NEW ? BS_CTDIR_ORIGINAL : p->ctdir;
                if (dir == BS_CTDIR_UNKNOWN)
                        judge_add(j, UNKNOWN, "the packet's direction in its connection is not known");
                else
                        judge_add(j,
                                  tri_of((dir == BS_CTDIR_ORIGINAL) != !!(m->invert_flags & CT_F_DIRECTION)),
                                  NULL);
        }

        judge_ct_addr(j, m, p, CT_F_ORIGSRC, true, true, &m->origsrc, "original source");
        judge_ct_addr(j, m, p, CT_F_ORIGDST, true, false, &m->origdst, "original destination");
        judge_ct_addr(j, m, p, CT_F_REPLSRC, false, true, &m->replsrc, "reply source");
        judge_ct_addr(j, m, p, CT_F_REPLDST, false, false, &m->repldst, "reply destination");

        if (m->match_flags & CT_F_PROTO) {
                /* An ICMP error RELATED to a connection carries that connection's protocol. */
                if (p->ctstate == BS_CTSTATE_RELATED)
                        judge_add(j, UNKNOWN, "the protocol of the related connection is not known");
                else
                        judge_add(j, tri_of((p->proto == m->l4proto) != !!(m->invert_flags & CT_F_PROTO)),
                                  NULL);
        }
        judge_ct_port(j, m, p, CT_F_ORIGSRC_PORT, true, true, m->origsrc_port, m->origsrc_port_high,
                      "original source port");
        judge_ct_port(j, m, p, CT_F_ORIGDST_PORT, true, false, m->origdst_port, m->origdst_port_high,
                      "original destination port");
        judge_ct_port(j, m, p, CT_F_REPLSRC_PORT, false, true, m->replsrc_port, m->replsrc_port_high,
                      "reply source port");
        judge_ct_port(j, m, p, CT_F_REPLDST_PORT, false, false, m->repldst_port, m->repldst_port_high,
                      "reply destination port");

        if (m->match_flags & CT_F_STATUS)
                judge_add(j, UNKNOWN, "the connection's status bits (--ctstatus) are not known");
        if (m->match_flags & CT_F_EXPIRES)
                judge_add(j, UNKNOWN, "the connection's remaining lifetime (--ctexpire) is not known");
}

static void judge_multiport(judge *j, const bs_match_multiport *m, const bs_packet *p) {
        if (!has_ports(p->proto)) {
                judge_add(j, NO, NULL);
                return;
        }
        unsigned n = m->count < BS_MULTIPORT_MAX ? m->count : BS_MULTIPORT_MAX;
        for (unsigned i = 0; i < n; i++) {
                uint16_t s = m->ports[i], e = s;
                if (m->pflags[i] && i + 1 < n)
                        e = m->ports[++i];
                bool src = p->sport >= s && p->sport <= e;
                bool dst = p->dport >= s && p->dport <= e;
                bool hit = m->dir == BS_MULTIPORT_SOURCE        ? src
                           : m->dir == BS_MULTIPORT_DESTINATION ? dst
                                                                : (src || dst);
                if (hit) {
                        judge_add(j, tri_of(!m->invert), NULL);
                        return;
                }
        }
        judge_add(j, tri_of(m->invert), NULL);
}

#define AT_UNSPEC (1u << 0)
#define AT_UNICAST (1u << 1)
#define AT_LOCAL (1u << 2)
#define AT_ANYCAST (1u << 4)
#define AT_MULTICAST (1u << 5)
#define AT_BLACKHOLE (1u << 6)
#define AT_UNREACHABLE (1u << 7)

static tri addrtype_one(bs_family f, uint16_t rule_mask, uint16_t pkt_type, bool invert) {
        if (pkt_type == 0)
                return UNKNOWN;
        if (f == BS_FAMILY_IPV4)
                return tri_invert(tri_of(rule_mask & pkt_type), invert);
        /* xt_addrtype match_type6: the address classes must all hold, then
         * the route types are looked up */
        bool hit = true;
        if ((rule_mask & AT_MULTICAST) && !(pkt_type & AT_MULTICAST))
                hit = false;
        if ((rule_mask & AT_UNICAST) && !(pkt_type & AT_UNICAST))
                hit = false;
        if ((rule_mask & AT_UNSPEC) && !(pkt_type & AT_UNSPEC))
                hit = false;
        const uint16_t route = AT_LOCAL | AT_ANYCAST | AT_BLACKHOLE | AT_UNREACHABLE;
        if (hit && (rule_mask & route))
                hit = rule_mask & route & pkt_type;
        return tri_invert(tri_of(hit), invert);
}

static void judge_addrtype(judge *j, const bs_match_addrtype *m, const bs_packet *p) {
        if (m->flags & (ADDRTYPE_LIMIT_IFACE_IN | ADDRTYPE_LIMIT_IFACE_OUT)) {
                /* The types are then judged per interface, which the description does not give. */
                if (m->source || m->dest)
                        judge_add(j, UNKNOWN, "addrtype with --limit-iface-in/out cannot be judged");
                return;
        }
        if (m->source)
                judge_add(j, addrtype_one(p->family, m->source, p->src_type, m->flags & ADDRTYPE_INVERT_SOURCE),
                          "the source address type is not known");
        if (m->dest)
                judge_add(j, addrtype_one(p->family, m->dest, p->dst_type, m->flags & ADDRTYPE_INVERT_DEST),
                          "the destination address type is not known");
}

static void judge_mac(judge *j, const bs_match_mac *m, const bs_packet *p, bs_iface_knowledge in_known) {
        bs_mac_knowledge k = p->mac_known;
        /* Only Ethernet devices have a source MAC; lo and locally generated packets do not. */
        if (p->hook == BS_HOOK_OUTPUT || (in_known == BS_IFACE_KNOWN && streq(p->in_iface, "lo")))
                k = BS_MAC_NONE;
        switch (k) {
        case BS_MAC_NONE:
                judge_add(j, NO, NULL); /* the kernel says no before looking at ! */
                break;
        case BS_MAC_KNOWN:
                judge_add(j, tri_of((memcmp(m->addr, p->mac, 6) == 0) != m->invert), NULL);
                break;
        default:
                judge_add(j, UNKNOWN, "the packet's source MAC address is not known");
        }
}

static void judge_iprange(judge *j, const bs_match_iprange *m, const bs_packet *p) {
        unsigned n = addr_len(p->family);
        if (m->flags & IPRANGE_SRC_F) {
                bool out = memcmp(p->src, m->src_min, n) < 0 || memcmp(p->src, m->src_max, n) > 0;
                judge_add(j, tri_of(out == !!(m->flags & IPRANGE_SRC_INV_F)), NULL);
        }
        if (m->flags & IPRANGE_DST_F) {
                bool out = memcmp(p->dst, m->dst_min, n) < 0 || memcmp(p->dst, m->dst_max, n) > 0;
                judge_add(j, tri_of(out == !!(m->flags & IPRANGE_DST_INV_F)), NULL);
        }
}

static void judge_match(judge *j, const bs_match *m, const bs_packet *p, bs_iface_knowledge in_known) {
        switch (m->kind) {
        case BS_MATCH_TCP:
                judge_tcp(j, &m->tcp, p);
                break;
        case BS_MATCH_UDP:
                judge_udp(j, &m->udp, p);
                break;
        case BS_MATCH_ICMP:
        case BS_MATCH_ICMP6:
                judge_icmp(j, m, p);
                break;
        case BS_MATCH_CONNTRACK:
                judge_conntrack(j, &m->conntrack, p);
                break;
        case BS_MATCH_MULTIPORT:
                judge_multiport(j, &m->multiport, p);
                break;
        case BS_MATCH_COMMENT:
                break;
        case BS_MATCH_LIMIT:
                judge_add(j, UNKNOWN, "the limit match depends on the packet rate");
                break;
        case BS_MATCH_ADDRTYPE:
                judge_addrtype(j, &m->addrtype, p);
                break;
        case BS_MATCH_MAC:
                judge_mac(j, &m->mac, p, in_known);
                break;
        case BS_MATCH_IPRANGE:
                judge_iprange(j, &m->iprange, p);
                break;
        case BS_MATCH_OPAQUE:
                judge_add(j, UNKNOWN, "the %s match cannot be judged", m->opaque.name);
                break;
        default:
                judge_add(j, UNKNOWN, "an unknown match cannot be judged");
        }
}

/* ------------------------------------------------------------ traversal */

/* Targets that always continue with the next rule (XT_CONTINUE) and do not
 * change anything the evaluator looks at. */
static bool target_continues(const bs_target *t) {
        static const char *const names[] = { "NFLOG", "ULOG", "AUDIT", "CLASSIFY", "TCPMSS", "MARK", "CONNMARK" };
        switch (t->kind) {
        case BS_TARGET_NONE:
        case BS_TARGET_LOG:
                return true;
        case BS_TARGET_OPAQUE:
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (streq(t->opaque.name, names[i]))
                                return true;
                return false;
        default:
                return false;
        }
}

typedef struct frame {
        const bs_chain *chain;
        size_t next;
} frame;

static void set_result(bs_eval_result *ret, bs_verdict v, const bs_chain *c, uint32_t pos, const bs_rule *r) {
        ret->verdict = v;
        snprintf(ret->chain, sizeof(ret->chain), "%s", c->name);
        ret->position = pos;
        ret->rule = r;
}

static int policy_result(bs_eval_result *ret, const bs_chain *base, bs_eval_trace_fn trace, void *userdata) {
        if (base->policy == BS_POLICY_ACCEPT)
                set_result(ret, BS_VERDICT_ACCEPT, base, 0, NULL);
        else if (base->policy == BS_POLICY_DROP)
                set_result(ret, BS_VERDICT_DROP, base, 0, NULL);
        else
                return -EINVAL;
        if (trace)
                trace(base->name, 0, NULL, userdata);
        return 0;
}

static bool packet_valid(const bs_packet *p) {
        if (p->family != BS_FAMILY_IPV4 && p->family != BS_FAMILY_IPV6)
                return false;
        if (p->hook != BS_HOOK_INPUT && p->hook != BS_HOOK_FORWARD && p->hook != BS_HOOK_OUTPUT)
                return false;
        if ((unsigned) p->ctstate > BS_CTSTATE_UNTRACKED || (unsigned) p->ctdir > BS_CTDIR_REPLY)
                return false;
        if (p->n_tcp_options > ELEMENTSOF(p->tcp_options))
                return false;
        if (memchr(p->in_iface, 0, IFNAMSIZ) == NULL || memchr(p->out_iface, 0, IFNAMSIZ) == NULL)
                return false;
        return true;
}

int bs_eval(const bs_table *t, const bs_packet *p, bs_eval_result *ret, bs_eval_trace_fn trace, void *userdata) {
        if (!t || !p || !ret)
                return -EINVAL;
        if (!packet_valid(p) || t->family != p->family)
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));

        const bs_chain *base = bs_table_find_chain(t, bs_hook_to_chain(p->hook));
        if (!base)
                return -ENOENT;
        if (!base->builtin)
                return -EINVAL;

        /* What the kernel passes for each hook: no output device in INPUT,
         * no input device in OUTPUT. */
        bs_iface_knowledge in_known = p->hook == BS_HOOK_OUTPUT ? BS_IFACE_KNOWN : p->in_known;
        bs_iface_knowledge out_known = p->hook == BS_HOOK_INPUT ? BS_IFACE_KNOWN : p->out_known;
        bs_packet q = *p;
        if (p->hook == BS_HOOK_OUTPUT)
                memset(q.in_iface, 0, sizeof(q.in_iface));
        if (p->hook == BS_HOOK_INPUT)
                memset(q.out_iface, 0, sizeof(q.out_iface));

        frame stack[BS_EVAL_MAX_DEPTH];
        size_t depth = 1;
        stack[0] = (frame){ .chain = base, .next = 0 };

        /* gotos do not nest, so a goto loop needs a bound of its own */
        for (size_t steps = 0;; steps++) {
                if (steps > BS_EVAL_MAX_STEPS)
                        return -ELOOP;
                frame *f = &stack[depth - 1];
                if (f->next >= f->chain->n_rules) {
                        /* End of chain: built-ins apply their policy, user
                         * chains return to their caller. */
                        if (f->chain->builtin || depth == 1)
                                return policy_result(ret, base, trace, userdata);
                        depth--;
                        continue;
                }

                size_t idx = f->next++;
                const bs_rule *r = &f->chain->rules[idx];
                uint32_t pos = (uint32_t) idx + 1;
                if (r->family != p->family)
                        return -EINVAL;

                judge j = { .result = YES };
                judge_header(&j, r, &q, in_known, out_known);
                for (size_t i = 0; i < r->n_matches && j.result != NO; i++)
                        judge_match(&j, &r->matches[i], &q, in_known);

                if (j.result == NO)
                        continue;
                if (j.result == UNKNOWN) {
                        if (target_continues(&r->target))
                                continue;
                        set_result(ret, BS_VERDICT_UNCERTAIN, f->chain, pos, r);
                        snprintf(ret->reason, sizeof(ret->reason), "%s", j.reason[0] ? j.reason : "undecidable match");
                        return 0;
                }

                if (trace)
                        trace(f->chain->name, pos, r, userdata);

                switch (r->target.kind) {
                case BS_TARGET_ACCEPT:
                        set_result(ret, BS_VERDICT_ACCEPT, f->chain, pos, r);
                        return 0;
                case BS_TARGET_DROP:
                        set_result(ret, BS_VERDICT_DROP, f->chain, pos, r);
                        return 0;
                case BS_TARGET_REJECT:
                        set_result(ret, BS_VERDICT_REJECT, f->chain, pos, r);
                        return 0;
                case BS_TARGET_RETURN:
                        if (depth == 1)
                                return policy_result(ret, base, trace, userdata);
                        depth--;
                        break;
                case BS_TARGET_JUMP:
                case BS_TARGET_GOTO: {
                        const bs_chain *c = bs_table_find_chain(t, r->target.chain);
                        if (!c || c->builtin)
                                return -ENOENT;
                        if (r->target.kind == BS_TARGET_GOTO) {
                                /* goto replaces the current frame: RETURN goes to our caller */
                                *f = (frame){ .chain = c, .next = 0 };
                                break;
                        }
                        if (depth >= BS_EVAL_MAX_DEPTH)
                                return -ELOOP;
                        stack[depth++] = (frame){ .chain = c, .next = 0 };
                        break;
                }
                case BS_TARGET_QUEUE:
                        set_result(ret, BS_VERDICT_UNCERTAIN, f->chain, pos, r);
                        snprintf(ret->reason, sizeof(ret->reason),
                                 "QUEUE hands the packet to a userspace program");
                        return 0;
                default:
                        if (target_continues(&r->target))
                                break;
                        set_result(ret, BS_VERDICT_UNCERTAIN, f->chain, pos, r);
                        snprintf(ret->reason, sizeof(ret->reason), "the %s target's verdict cannot be judged",
                                 r->target.kind == BS_TARGET_OPAQUE ? r->target.opaque.name : "unknown");
                        return 0;
                }
        }
}
