/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv6 specifics of the codec: struct ip6t_entry's header, the icmp6 match
 * and the IPv6 REJECT target. */

/* libip6tc first: it pulls in the kernel headers in the order that works. */
#include <libiptc/libip6tc.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "codec-xt.h"

#define INV_KNOWN (IP6T_INV_VIA_IN | IP6T_INV_VIA_OUT | IP6T_INV_SRCIP | IP6T_INV_DSTIP | IP6T_INV_PROTO)

static int header_encode(const bs_rule *r, bool is_goto, void *entry) {
        struct ip6t_entry *e = entry;
        int k;

        /* There are no fragment flags in IPv6 (that is the frag match). */
        if (r->frag != BS_FRAG_ANY)
                return -EINVAL;

        memcpy(&e->ipv6.src, r->src.addr, 16);
        memcpy(&e->ipv6.smsk, r->src.mask, 16);
        memcpy(&e->ipv6.dst, r->dst.addr, 16);
        memcpy(&e->ipv6.dmsk, r->dst.mask, 16);
        if ((k = bs_codec_iface_encode(r->in_iface, e->ipv6.iniface, e->ipv6.iniface_mask)) < 0 ||
            (k = bs_codec_iface_encode(r->out_iface, e->ipv6.outiface, e->ipv6.outiface_mask)) < 0)
                return k;

        /* The kernel looks at proto only with IP6T_F_PROTO set; ip6tables
         * sets it with every -p. */
        e->ipv6.proto = r->proto;
        if (r->proto != 0)
                e->ipv6.flags |= IP6T_F_PROTO;
        if (is_goto)
                e->ipv6.flags |= IP6T_F_GOTO;
        e->ipv6.invflags = (r->in_invert ? IP6T_INV_VIA_IN : 0) | (r->out_invert ? IP6T_INV_VIA_OUT : 0) |
                           (r->src_invert ? IP6T_INV_SRCIP : 0) | (r->dst_invert ? IP6T_INV_DSTIP : 0) |
                           (r->proto_invert ? IP6T_INV_PROTO : 0);

        return 0;
}

static int header_decode(const void *entry, bs_rule *r, bool *ret_goto) {
        struct ip6t_entry e;
        int k;

        memcpy(&e, entry, sizeof(e));

        /* ip6tables never sets IP6T_F_TOS or a tos; the model has no place for
         * them, nor for unknown bits. */
        if ((e.ipv6.flags & ~(IP6T_F_PROTO | IP6T_F_GOTO)) || e.ipv6.tos != 0 ||
            (e.ipv6.invflags & ~INV_KNOWN))
                return -EBADMSG;
        /* A protocol the kernel ignores (no IP6T_F_PROTO) cannot be told apart
         * from one it checks once in the model. */
        if (e.ipv6.proto != 0 && !(e.ipv6.flags & IP6T_F_PROTO))
                return -EBADMSG;
        /* IP6T_F_PROTO with proto 0 is what `ip6tables -p all` writes; the
         * model reads it as "any protocol" (iptables -S prints nothing for
         * it either), so encoding it again drops the flag. */

        memcpy(r->src.addr, &e.ipv6.src, 16);
        memcpy(r->src.mask, &e.ipv6.smsk, 16);
        memcpy(r->dst.addr, &e.ipv6.dst, 16);
        memcpy(r->dst.mask, &e.ipv6.dmsk, 16);
        if ((k = bs_codec_iface_decode(e.ipv6.iniface, e.ipv6.iniface_mask, r->in_iface)) < 0 ||
            (k = bs_codec_iface_decode(e.ipv6.outiface, e.ipv6.outiface_mask, r->out_iface)) < 0)
                return k;

        r->proto = e.ipv6.proto;
        r->in_invert = e.ipv6.invflags & IP6T_INV_VIA_IN;
        r->out_invert = e.ipv6.invflags & IP6T_INV_VIA_OUT;
        r->src_invert = e.ipv6.invflags & IP6T_INV_SRCIP;
        r->dst_invert = e.ipv6.invflags & IP6T_INV_DSTIP;
        r->proto_invert = e.ipv6.invflags & IP6T_INV_PROTO;

        *ret_goto = e.ipv6.flags & IP6T_F_GOTO;
        return 0;
}

/* -------------------------------------------------------------------- icmp6 */

/* The payload is bs_xt_icmp_info's (codec-xt.c encodes and decodes it). */
_Static_assert(sizeof(struct ip6t_icmp) == sizeof(bs_xt_icmp_info) && offsetof(struct ip6t_icmp, type) == 0 &&
                       offsetof(struct ip6t_icmp, code) == 1 && offsetof(struct ip6t_icmp, invflags) == 3 &&
                       IP6T_ICMP_INV == BS_XT_ICMP_INV,
               "struct ip6t_icmp is laid out as bs_xt_icmp_info");

static const bs_xt_match_ops icmp6_ops = {
        .kind = BS_MATCH_ICMP6,
        .name = "icmp6",
        .revision = 0,
        .size = sizeof(struct ip6t_icmp),
        .encode = bs_xt_icmp_encode,
        .decode = bs_xt_icmp_decode,
};

/* ------------------------------------------------------------------- REJECT */

static int reject_encode(const bs_target *t, bs_family family, void *info) {
        struct ip6t_reject_info *x = info;

        /* The kernel's values; it refuses ECHOREPLY. NOT_NEIGHBOUR has no
         * ip6tables name but the kernel takes it. */
        switch (t->reject.with) {
        case IP6T_ICMP6_NO_ROUTE:
        case IP6T_ICMP6_ADM_PROHIBITED:
        case IP6T_ICMP6_NOT_NEIGHBOUR:
        case IP6T_ICMP6_ADDR_UNREACH:
        case IP6T_ICMP6_PORT_UNREACH:
        case IP6T_TCP_RESET:
        case IP6T_ICMP6_POLICY_FAIL:
        case IP6T_ICMP6_REJECT_ROUTE:
                x->with = t->reject.with;
                return 0;
        default:
                return -EINVAL;
        }
}

_Static_assert(sizeof(struct ip6t_reject_info) == sizeof(uint32_t), "one 32-bit value: bs_xt_reject_decode reads it");

static const bs_xt_target_ops reject_ops = {
        .kind = BS_TARGET_REJECT,
        .name = "REJECT",
        .revision = 0,
        .size = sizeof(struct ip6t_reject_info),
        .encode = reject_encode,
        .decode = bs_xt_reject_decode,
};

static const bs_xt_match_ops *const matches6[] = { &icmp6_ops, NULL };
static const bs_xt_target_ops *const targets6[] = { &reject_ops, NULL };

const bs_codec_family bs_codec_ipv6 = {
        .family = BS_FAMILY_IPV6,
        .entry_size = sizeof(struct ip6t_entry),
        .target_offset_at = offsetof(struct ip6t_entry, target_offset),
        .next_offset_at = offsetof(struct ip6t_entry, next_offset),
        .counters_at = offsetof(struct ip6t_entry, counters),
        .matches = matches6,
        .targets = targets6,
        .encode_header = header_encode,
        .decode_header = header_decode,
};
