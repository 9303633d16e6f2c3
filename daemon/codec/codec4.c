/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 specifics of the codec: struct ipt_entry's header, the icmp match and
 * the IPv4 REJECT target. */

/* libiptc first: it pulls in the kernel headers in the order that works. */
#include <libiptc/libiptc.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>

#include "codec-xt.h"

#define INV_KNOWN                                                                                  \
        (IPT_INV_VIA_IN | IPT_INV_VIA_OUT | IPT_INV_SRCIP | IPT_INV_DSTIP | IPT_INV_FRAG | IPT_INV_PROTO)

static int addr_encode(const bs_addr *a, struct in_addr *addr, struct in_addr *mask) {
        static const uint8_t zero[12];

        /* Only the first 4 bytes exist in IPv4; anything else would be lost. */
        if (memcmp(a->addr + 4, zero, sizeof(zero)) != 0 || memcmp(a->mask + 4, zero, sizeof(zero)) != 0)
                return -EINVAL;
        memcpy(addr, a->addr, 4);
        memcpy(mask, a->mask, 4);
        return 0;
}

static int header_encode(const bs_rule *r, bool is_goto, void *entry) {
        struct ipt_entry *e = entry;
        int k;

        if ((k = addr_encode(&r->src, &e->ip.src, &e->ip.smsk)) < 0 ||
            (k = addr_encode(&r->dst, &e->ip.dst, &e->ip.dmsk)) < 0)
                return k;
        if ((k = bs_codec_iface_encode(r->in_iface, e->ip.iniface, e->ip.iniface_mask)) < 0 ||
            (k = bs_codec_iface_encode(r->out_iface, e->ip.outiface, e->ip.outiface_mask)) < 0)
                return k;

        e->ip.proto = r->proto;
        switch (r->frag) {
        case BS_FRAG_ANY:
                break;
        case BS_FRAG_YES:
                e->ip.flags |= IPT_F_FRAG;
                break;
        case BS_FRAG_NO:
                e->ip.flags |= IPT_F_FRAG;
                e->ip.invflags |= IPT_INV_FRAG;
                break;
        default:
                return -EINVAL;
        }
        if (is_goto)
                e->ip.flags |= IPT_F_GOTO;
        e->ip.invflags |= (r->in_invert ? IPT_INV_VIA_IN : 0) | (r->out_invert ? IPT_INV_VIA_OUT : 0) |
                          (r->src_invert ? IPT_INV_SRCIP : 0) | (r->dst_invert ? IPT_INV_DSTIP : 0) |
                          (r->proto_invert ? IPT_INV_PROTO : 0);

        return 0;
}

static int header_decode(const void *entry, bs_rule *r, bool *ret_goto) {
        struct ipt_entry e;
        int k;

        memcpy(&e, entry, sizeof(e));

        /* IPT_INV_TOS and unknown bits have no meaning iptables can write. */
        if ((e.ip.flags & ~IPT_F_MASK) || (e.ip.invflags & ~INV_KNOWN))
                return -EBADMSG;
        if ((e.ip.invflags & IPT_INV_FRAG) && !(e.ip.flags & IPT_F_FRAG))
                return -EBADMSG;

        memcpy(r->src.addr, &e.ip.src, 4);
        memcpy(r->src.mask, &e.ip.smsk, 4);
        memcpy(r->dst.addr, &e.ip.dst, 4);
        memcpy(r->dst.mask, &e.ip.dmsk, 4);
        if ((k = bs_codec_iface_decode(e.ip.iniface, e.ip.iniface_mask, r->in_iface)) < 0 ||
            (k = bs_codec_iface_decode(e.ip.outiface, e.ip.outiface_mask, r->out_iface)) < 0)
                return k;

        r->proto = e.ip.proto;
        r->frag = !(e.ip.flags & IPT_F_FRAG)         ? BS_FRAG_ANY
                  : (e.ip.invflags & IPT_INV_FRAG) ? BS_FRAG_NO
                                                   : BS_FRAG_YES;
        r->in_invert = e.ip.invflags & IPT_INV_VIA_IN;
        r->out_invert = e.ip.invflags & IPT_INV_VIA_OUT;
        r->src_invert = e.ip.invflags & IPT_INV_SRCIP;
        r->dst_invert = e.ip.invflags & IPT_INV_DSTIP;
        r->proto_invert = e.ip.invflags & IPT_INV_PROTO;

        *ret_goto = e.ip.flags & IPT_F_GOTO;
        return 0;
}

/* --------------------------------------------------------------------- icmp */

/* The payload is bs_xt_icmp_info's (codec-xt.c encodes and decodes it). */
_Static_assert(sizeof(struct ipt_icmp) == sizeof(bs_xt_icmp_info) && offsetof(struct ipt_icmp, type) == 0 &&
                       offsetof(struct ipt_icmp, code) == 1 && offsetof(struct ipt_icmp, invflags) == 3 &&
                       IPT_ICMP_INV == BS_XT_ICMP_INV,
               "struct ipt_icmp is laid out as bs_xt_icmp_info");

static const bs_xt_match_ops icmp_ops = {
        .kind = BS_MATCH_ICMP,
        .name = "icmp",
        .revision = 0,
        .size = sizeof(struct ipt_icmp),
        .encode = bs_xt_icmp_encode,
        .decode = bs_xt_icmp_decode,
};

/* ------------------------------------------------------------------- REJECT */

static int reject_encode(const bs_target *t, bs_family family, void *info) {
        struct ipt_reject_info *x = info;

        /* Every --reject-with iptables knows; the kernel refuses ECHOREPLY. */
        switch (t->reject.with) {
        case IPT_ICMP_NET_UNREACHABLE:
        case IPT_ICMP_HOST_UNREACHABLE:
        case IPT_ICMP_PROT_UNREACHABLE:
        case IPT_ICMP_PORT_UNREACHABLE:
        case IPT_ICMP_NET_PROHIBITED:
        case IPT_ICMP_HOST_PROHIBITED:
        case IPT_TCP_RESET:
        case IPT_ICMP_ADMIN_PROHIBITED:
                x->with = (enum ipt_reject_with) t->reject.with;
                return 0;
        default:
                return -EINVAL;
        }
}

_Static_assert(sizeof(struct ipt_reject_info) == sizeof(uint32_t), "one 32-bit value: bs_xt_reject_decode reads it");

static const bs_xt_target_ops reject_ops = {
        .kind = BS_TARGET_REJECT,
        .name = "REJECT",
        .revision = 0,
        .size = sizeof(struct ipt_reject_info),
        .encode = reject_encode,
        .decode = bs_xt_reject_decode,
};

static const bs_xt_match_ops *const matches4[] = { &icmp_ops, NULL };
static const bs_xt_target_ops *const targets4[] = { &reject_ops, NULL };

const bs_codec_family bs_codec_ipv4 = {
        .family = BS_FAMILY_IPV4,
        .entry_size = sizeof(struct ipt_entry),
        .target_offset_at = offsetof(struct ipt_entry, target_offset),
        .next_offset_at = offsetof(struct ipt_entry, next_offset),
        .counters_at = offsetof(struct ipt_entry, counters),
        .matches = matches4,
        .targets = targets4,
        .encode_header = header_encode,
        .decode_header = header_decode,
};
