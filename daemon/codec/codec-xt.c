/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The xt payloads every family shares: tcp, udp, conntrack (revision 3, also
 * what `-m state` writes), multiport (revision 1), comment, limit, addrtype
 * (revision 1), mac, iprange (revision 1) and the LOG target.
 *
 * Each encode() writes exactly what the iptables 1.8.9 extension writes for
 * the same options, so the kernel hands back the same bytes. Each decode()
 * copies fields blindly: the driver checks the result by re-encoding it. */

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_iprange.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mac.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "codec-xt.h"

_Static_assert(sizeof(struct xt_comment_info) <= BS_XT_INFO_MAX, "comment fits the decode buffer");
_Static_assert(sizeof(struct xt_conntrack_mtinfo3) <= BS_XT_INFO_MAX, "conntrack fits the decode buffer");
_Static_assert(BS_MULTIPORT_MAX == XT_MULTI_PORTS, "multiport model matches the kernel");
_Static_assert(BS_COMMENT_MAX + 1 == XT_MAX_COMMENT_LEN, "comment model matches the kernel");
_Static_assert(BS_LOG_PREFIX_MAX + 1 == sizeof(((struct xt_log_info *) NULL)->prefix),
               "LOG prefix model matches the kernel");

/* ------------------------------------------------------------------ tcp, udp */

static int tcp_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_tcp *t = &m->tcp;
        struct xt_tcp *x = info;

        x->spts[0] = t->sport.lo;
        x->spts[1] = t->sport.hi;
        x->dpts[0] = t->dport.lo;
        x->dpts[1] = t->dport.hi;
        x->option = t->option;
        x->flg_mask = t->flg_mask;
        x->flg_cmp = t->flg_cmp;
        x->invflags = (t->sport_invert ? XT_TCP_INV_SRCPT : 0) | (t->dport_invert ? XT_TCP_INV_DSTPT : 0) |
                      (t->flags_invert ? XT_TCP_INV_FLAGS : 0) | (t->option_invert ? XT_TCP_INV_OPTION : 0);
        return 0;
}

static void tcp_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_tcp *x = info;
        bs_match_tcp *t = &m->tcp;

        t->sport = (bs_port_range){ x->spts[0], x->spts[1] };
        t->dport = (bs_port_range){ x->dpts[0], x->dpts[1] };
        t->option = x->option;
        t->flg_mask = x->flg_mask;
        t->flg_cmp = x->flg_cmp;
        t->sport_invert = x->invflags & XT_TCP_INV_SRCPT;
        t->dport_invert = x->invflags & XT_TCP_INV_DSTPT;
        t->flags_invert = x->invflags & XT_TCP_INV_FLAGS;
        t->option_invert = x->invflags & XT_TCP_INV_OPTION;
}

static const bs_xt_match_ops tcp_ops = {
        .kind = BS_MATCH_TCP,
        .name = "tcp",
        .revision = 0,
        .size = sizeof(struct xt_tcp),
        .encode = tcp_encode,
        .decode = tcp_decode,
};

static int udp_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_udp *u = &m->udp;
        struct xt_udp *x = info;

        x->spts[0] = u->sport.lo;
        x->spts[1] = u->sport.hi;
        x->dpts[0] = u->dport.lo;
        x->dpts[1] = u->dport.hi;
        x->invflags = (u->sport_invert ? XT_UDP_INV_SRCPT : 0) | (u->dport_invert ? XT_UDP_INV_DSTPT : 0);
        return 0;
}

static void udp_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_udp *x = info;
        bs_match_udp *u = &m->udp;

        u->sport = (bs_port_range){ x->spts[0], x->spts[1] };
        u->dport = (bs_port_range){ x->dpts[0], x->dpts[1] };
        u->sport_invert = x->invflags & XT_UDP_INV_SRCPT;
        u->dport_invert = x->invflags & XT_UDP_INV_DSTPT;
}

static const bs_xt_match_ops udp_ops = {
        .kind = BS_MATCH_UDP,
        .name = "udp",
        .revision = 0,
        .size = sizeof(struct xt_udp),
        .encode = udp_encode,
        .decode = udp_decode,
};

/* ---------------------------------------------------------------- conntrack */

static void addr_to_inet(const bs_addr *a, union nf_inet_addr *addr, union nf_inet_addr *mask) {
        memcpy(addr, a->addr, sizeof(*addr));
        memcpy(mask, a->mask, sizeof(*mask));
}

static void addr_from_inet(bs_addr *a, const union nf_inet_addr *addr, const union nf_inet_addr *mask) {
        memcpy(a->addr, addr, sizeof(a->addr));
        memcpy(a->mask, mask, sizeof(a->mask));
}

static int conntrack_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_conntrack *c = &m->conntrack;
        struct xt_conntrack_mtinfo3 *x = info;

        addr_to_inet(&c->origsrc, &x->origsrc_addr, &x->origsrc_mask);
        addr_to_inet(&c->origdst, &x->origdst_addr, &x->origdst_mask);
        addr_to_inet(&c->replsrc, &x->replsrc_addr, &x->replsrc_mask);
        addr_to_inet(&c->repldst, &x->repldst_addr, &x->repldst_mask);
        x->expires_min = c->expires_min;
        x->expires_max = c->expires_max;
        x->l4proto = c->l4proto;
        x->origsrc_port = c->origsrc_port;
        x->origdst_port = c->origdst_port;
        x->replsrc_port = c->replsrc_port;
        x->repldst_port = c->repldst_port;
        x->match_flags = c->match_flags;
        x->invert_flags = c->invert_flags;
        x->state_mask = c->state_mask;
        x->status_mask = c->status_mask;
        x->origsrc_port_high = c->origsrc_port_high;
        x->origdst_port_high = c->origdst_port_high;
        x->replsrc_port_high = c->replsrc_port_high;
        x->repldst_port_high = c->repldst_port_high;
        return 0;
}

static void conntrack_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_conntrack_mtinfo3 *x = info;
        bs_match_conntrack *c = &m->conntrack;

        addr_from_inet(&c->origsrc, &x->origsrc_addr, &x->origsrc_mask);
        addr_from_inet(&c->origdst, &x->origdst_addr, &x->origdst_mask);
        addr_from_inet(&c->replsrc, &x->replsrc_addr, &x->replsrc_mask);
        addr_from_inet(&c->repldst, &x->repldst_addr, &x->repldst_mask);
        c->expires_min = x->expires_min;
        c->expires_max = x->expires_max;
        c->l4proto = x->l4proto;
        c->origsrc_port = x->origsrc_port;
        c->origdst_port = x->origdst_port;
        c->replsrc_port = x->replsrc_port;
        c->repldst_port = x->repldst_port;
        c->match_flags = x->match_flags;
        c->invert_flags = x->invert_flags;
        c->state_mask = x->state_mask;
        c->status_mask = x->status_mask;
        c->origsrc_port_high = x->origsrc_port_high;
        c->origdst_port_high = x->origdst_port_high;
        c->replsrc_port_high = x->replsrc_port_high;
        c->repldst_port_high = x->repldst_port_high;
}

/* `-m state --state X` is written by iptables 1.8.9 as this very match
 * (the "state" extension is an alias of conntrack) with match_flags
 * XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS. */
static const bs_xt_match_ops conntrack_ops = {
        .kind = BS_MATCH_CONNTRACK,
        .name = "conntrack",
        .revision = 3,
        .size = sizeof(struct xt_conntrack_mtinfo3),
        .encode = conntrack_encode,
        .decode = conntrack_decode,
};

/* ---------------------------------------------------------------- multiport */

static int multiport_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_multiport *p = &m->multiport;
        struct xt_multiport_v1 *x = info;

        if (p->count > XT_MULTI_PORTS)
                return -EINVAL;
        switch (p->dir) {
        case BS_MULTIPORT_SOURCE:
                x->flags = XT_MULTIPORT_SOURCE;
                break;
        case BS_MULTIPORT_DESTINATION:
                x->flags = XT_MULTIPORT_DESTINATION;
                break;
        case BS_MULTIPORT_EITHER:
                x->flags = XT_MULTIPORT_EITHER;
                break;
        default:
                return -EINVAL;
        }
        x->count = p->count;
        /* Entries past count stay zero, as iptables leaves them. */
        for (unsigned i = 0; i < p->count; i++) {
                if (p->pflags[i] > 1)
                        return -EINVAL;
                x->ports[i] = p->ports[i];
                x->pflags[i] = p->pflags[i];
        }
        x->invert = p->invert;
        return 0;
}

static void multiport_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_multiport_v1 *x = info;
        bs_match_multiport *p = &m->multiport;

        p->dir = (bs_multiport_dir) x->flags;
        p->count = x->count;
        for (unsigned i = 0; i < x->count && i < XT_MULTI_PORTS; i++) {
                p->ports[i] = x->ports[i];
                p->pflags[i] = x->pflags[i];
        }
        p->invert = x->invert;
}

static const bs_xt_match_ops multiport_ops = {
        .kind = BS_MATCH_MULTIPORT,
        .name = "multiport",
        .revision = 1,
        .size = sizeof(struct xt_multiport_v1),
        .encode = multiport_encode,
        .decode = multiport_decode,
};

/* ------------------------------------------------------------------ comment */

static int comment_encode(const bs_match *m, bs_family family, void *info) {
        struct xt_comment_info *x = info;
        size_t n = strnlen(m->comment, sizeof(m->comment));

        if (n > BS_COMMENT_MAX)
                return -EINVAL;
        memcpy(x->comment, m->comment, n);
        return 0;
}

static void comment_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_comment_info *x = info;

        /* A comment filling all 256 bytes loses its last byte here; the
         * re-encode check then keeps the payload opaque. */
        memcpy(m->comment, x->comment, BS_COMMENT_MAX);
        m->comment[BS_COMMENT_MAX] = '\0';
}

static const bs_xt_match_ops comment_ops = {
        .kind = BS_MATCH_COMMENT,
        .name = "comment",
        .revision = 0,
        .size = sizeof(struct xt_comment_info),
        .encode = comment_encode,
        .decode = comment_decode,
};

/* -------------------------------------------------------------------- limit */

static int limit_encode(const bs_match *m, bs_family family, void *info) {
        struct xt_rateinfo *x = info;

        /* The kernel refuses a zero burst (ERANGE). The fields after burst
         * are the kernel's own (prev, credit, cost, master): iptables leaves
         * them zero and the kernel hands them back zeroed. */
        if (m->limit.burst == 0)
                return -EINVAL;
        x->avg = m->limit.avg;
        x->burst = m->limit.burst;
        return 0;
}

static void limit_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_rateinfo *x = info;

        m->limit.avg = x->avg;
        m->limit.burst = x->burst;
}

static const bs_xt_match_ops limit_ops = {
        .kind = BS_MATCH_LIMIT,
        .name = "limit",
        .revision = 0,
        .size = sizeof(struct xt_rateinfo),
        .encode = limit_encode,
        .decode = limit_decode,
};

/* ----------------------------------------------------------------- addrtype */

#define ADDRTYPE_FLAGS_ALL                                                                        \
        (XT_ADDRTYPE_INVERT_SOURCE | XT_ADDRTYPE_INVERT_DEST | XT_ADDRTYPE_LIMIT_IFACE_IN |       \
         XT_ADDRTYPE_LIMIT_IFACE_OUT)

static int addrtype_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_addrtype *a = &m->addrtype;
        struct xt_addrtype_info_v1 *x = info;

        if (a->flags & ~(uint32_t) ADDRTYPE_FLAGS_ALL)
                return -EINVAL;
        /* The kernel refuses both interface limits at once. */
        if ((a->flags & XT_ADDRTYPE_LIMIT_IFACE_IN) && (a->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT))
                return -EINVAL;
        x->source = a->source;
        x->dest = a->dest;
        x->flags = a->flags;
        return 0;
}

static void addrtype_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_addrtype_info_v1 *x = info;

        m->addrtype.source = x->source;
        m->addrtype.dest = x->dest;
        m->addrtype.flags = x->flags;
}

static const bs_xt_match_ops addrtype_ops = {
        .kind = BS_MATCH_ADDRTYPE,
        .name = "addrtype",
        .revision = 1,
        .size = sizeof(struct xt_addrtype_info_v1),
        .encode = addrtype_encode,
        .decode = addrtype_decode,
};

/* ---------------------------------------------------------------------- mac */

static int mac_encode(const bs_match *m, bs_family family, void *info) {
        struct xt_mac_info *x = info;

        memcpy(x->srcaddr, m->mac.addr, sizeof(x->srcaddr));
        x->invert = m->mac.invert;
        return 0;
}

static void mac_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_mac_info *x = info;

        memcpy(m->mac.addr, x->srcaddr, sizeof(m->mac.addr));
        m->mac.invert = x->invert != 0;
}

static const bs_xt_match_ops mac_ops = {
        .kind = BS_MATCH_MAC,
        .name = "mac",
        .revision = 0,
        .size = sizeof(struct xt_mac_info),
        .encode = mac_encode,
        .decode = mac_decode,
};

/* ------------------------------------------------------------------ iprange */

static int iprange_encode(const bs_match *m, bs_family family, void *info) {
        const bs_match_iprange *p = &m->iprange;
        struct xt_iprange_mtinfo *x = info;

        /* IPv4 uses the first 4 bytes of each address; iptables leaves the
         * rest zero, and so must the model. */
        if (family == BS_FAMILY_IPV4) {
                static const uint8_t zero[12];
                if (memcmp(p->src_min + 4, zero, 12) != 0 || memcmp(p->src_max + 4, zero, 12) != 0 ||
                    memcmp(p->dst_min + 4, zero, 12) != 0 || memcmp(p->dst_max + 4, zero, 12) != 0)
                        return -EINVAL;
        }
        memcpy(&x->src_min, p->src_min, sizeof(x->src_min));
        memcpy(&x->src_max, p->src_max, sizeof(x->src_max));
        memcpy(&x->dst_min, p->dst_min, sizeof(x->dst_min));
        memcpy(&x->dst_max, p->dst_max, sizeof(x->dst_max));
        x->flags = p->flags;
        return 0;
}

static void iprange_decode(const void *info, bs_family family, bs_match *m) {
        const struct xt_iprange_mtinfo *x = info;
        bs_match_iprange *p = &m->iprange;

        memcpy(p->src_min, &x->src_min, sizeof(p->src_min));
        memcpy(p->src_max, &x->src_max, sizeof(p->src_max));
        memcpy(p->dst_min, &x->dst_min, sizeof(p->dst_min));
        memcpy(p->dst_max, &x->dst_max, sizeof(p->dst_max));
        p->flags = x->flags;
}

static const bs_xt_match_ops iprange_ops = {
        .kind = BS_MATCH_IPRANGE,
        .name = "iprange",
        .revision = 1,
        .size = sizeof(struct xt_iprange_mtinfo),
        .encode = iprange_encode,
        .decode = iprange_decode,
};

/* ---------------------------------------------------------------------- LOG */

static int log_encode(const bs_target *t, bs_family family, void *info) {
        const bs_target_log *l = &t->log;
        struct xt_log_info *x = info;
        size_t n = strnlen(l->prefix, sizeof(l->prefix));

        /* The kernel refuses levels above 7 and a prefix without its NUL. */
        if (l->level > 7 || (l->flags & ~XT_LOG_MASK) || n > BS_LOG_PREFIX_MAX)
                return -EINVAL;
        x->level = l->level;
        x->logflags = l->flags;
        memcpy(x->prefix, l->prefix, n);
        return 0;
}

static void log_decode(const void *info, bs_family family, bs_target *t) {
        const struct xt_log_info *x = info;

        t->log.level = x->level;
        t->log.flags = x->logflags;
        memcpy(t->log.prefix, x->prefix, BS_LOG_PREFIX_MAX);
        t->log.prefix[BS_LOG_PREFIX_MAX] = '\0';
}

static const bs_xt_target_ops log_ops = {
        .kind = BS_TARGET_LOG,
        .name = "LOG",
        .revision = 0,
        .size = sizeof(struct xt_log_info),
        .encode = log_encode,
        .decode = log_decode,
};

const bs_xt_match_ops *const bs_xt_matches[] = {
        &tcp_ops, &udp_ops, &conntrack_ops, &multiport_ops, &comment_ops,
        &limit_ops, &addrtype_ops, &mac_ops, &iprange_ops, NULL,
};

const bs_xt_target_ops *const bs_xt_targets[] = {
        &log_ops,
        NULL,
};

/* ------------------------------------------------------- icmp, icmp6, REJECT */

int bs_xt_icmp_encode(const bs_match *m, bs_family family, void *info) {
        bs_xt_icmp_info *x = info;

        x->type = m->icmp.type;
        x->code[0] = m->icmp.code_min;
        x->code[1] = m->icmp.code_max;
        x->invflags = m->icmp.invert ? BS_XT_ICMP_INV : 0;
        return 0;
}

void bs_xt_icmp_decode(const void *info, bs_family family, bs_match *m) {
        const bs_xt_icmp_info *x = info;

        m->icmp.type = x->type;
        m->icmp.code_min = x->code[0];
        m->icmp.code_max = x->code[1];
        m->icmp.invert = x->invflags & BS_XT_ICMP_INV;
}

void bs_xt_reject_decode(const void *info, bs_family family, bs_target *t) {
        uint32_t with;
        memcpy(&with, info, sizeof(with));
        t->reject.with = with;
}
