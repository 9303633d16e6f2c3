/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bs_rule to the expressions iptables-nft 1.8.9 writes for it, in its
 * order: input and output interface, protocol, source, destination,
 * fragment (IPv4), then each match (native for tcp, udp, limit, mark where
 * iptables-nft does so, a compat `match` with the codec's payload
 * otherwise), the counter, the verdict or the compat `target`. Every load
 * goes to register 1, as iptables-nft 1.8.9 does. */

#include <arpa/inet.h>
#include <stdio.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>

#include "codec.h"
#include "nft-rule-internal.h"
#include "nft-rule.h"

/* Appends a new expression of that name to r; NULL on -ENOMEM. */
static struct nftnl_expr *add_expr(struct nftnl_rule *r, const char *name) {
        struct nftnl_expr *e = nftnl_expr_alloc(name);
        if (e)
                nftnl_rule_add_expr(r, e);
        return e;
}

/* libnftnl's setters copy the value; they fail only on -ENOMEM. */
static int set_u32(struct nftnl_expr *e, uint16_t attr, uint32_t v) {
        return nftnl_expr_set(e, attr, &v, sizeof(v)) < 0 ? -ENOMEM : 0;
}

static int set_u64(struct nftnl_expr *e, uint16_t attr, uint64_t v) {
        return nftnl_expr_set(e, attr, &v, sizeof(v)) < 0 ? -ENOMEM : 0;
}

static int set_u16(struct nftnl_expr *e, uint16_t attr, uint16_t v) {
        return nftnl_expr_set(e, attr, &v, sizeof(v)) < 0 ? -ENOMEM : 0;
}

static int set_rule_u32(struct nftnl_rule *r, uint16_t attr, uint32_t v) {
        return nftnl_rule_set_data(r, attr, &v, sizeof(v)) < 0 ? -ENOMEM : 0;
}

static int set_data(struct nftnl_expr *e, uint16_t attr, const void *data, uint32_t len) {
        return nftnl_expr_set(e, attr, data, len) < 0 ? -ENOMEM : 0;
}

/* The compat match / target info: libnftnl takes the buffer as it is,
 * to free with the expression, so it gets a copy of its own. */
static int set_info(struct nftnl_expr *e, uint16_t attr, const bs_codec_payload *p) {
        void *copy = malloc(p->size > 0 ? p->size : 1);
        if (!copy)
                return -ENOMEM;
        if (p->size > 0)
                memcpy(copy, p->data, p->size);
        if (nftnl_expr_set(e, attr, copy, (uint32_t) p->size) < 0) {
                free(copy);
                return -ENOMEM;
        }
        return 0;
}

static int add_meta(struct nftnl_rule *r, uint32_t key) {
        struct nftnl_expr *e = add_expr(r, "meta");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_META_KEY, key) < 0 || set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1) < 0)
                return -ENOMEM;
        return 0;
}

static int add_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len) {
        struct nftnl_expr *e = add_expr(r, "payload");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base) < 0 || set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset) < 0 ||
            set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len) < 0 || set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1) < 0)
                return -ENOMEM;
        return 0;
}

/* register 1 = register 1 & mask ^ 0 */
static int add_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len) {
        static const uint8_t zero[16] = {};
        struct nftnl_expr *e = add_expr(r, "bitwise");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1) < 0 || set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1) < 0 ||
            set_u32(e, NFTNL_EXPR_BITWISE_LEN, len) < 0 || set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
            set_data(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
                return -ENOMEM;
        return 0;
}

static int add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len) {
        struct nftnl_expr *e = add_expr(r, "cmp");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1) < 0 || set_u32(e, NFTNL_EXPR_CMP_OP, op) < 0 ||
            set_data(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
                return -ENOMEM;
        return 0;
}

static uint32_t cmp_op(bool invert) {
        return invert ? NFT_CMP_NEQ : NFT_CMP_EQ;
}

/* ----------------------------------------------------------------- header */

/* "eth0" compares the name with its NUL; "eth+" the prefix "eth"; "+"
 * loads the name and compares nothing, and "! -i +" compares with a name
 * no interface can have. */
static int add_iface(struct nftnl_rule *r, uint32_t key, const char *iface, bool invert) {
        size_t n = strnlen(iface, IFNAMSIZ);
        int k;

        if (n == 0)
                return 0;
        if (n >= IFNAMSIZ)
                return -EINVAL;
        if ((k = add_meta(r, key)) < 0)
                return k;
        if (iface[n - 1] != '+')
                return add_cmp(r, cmp_op(invert), iface, n + 1);
        if (n > 1)
                return add_cmp(r, cmp_op(invert), iface, n - 1);
        if (invert)
                return add_cmp(r, NFT_CMP_EQ, BS_NFT_IFACE_INVALID, sizeof(BS_NFT_IFACE_INVALID));
        return 0;
}

/* The address bytes up to the first that is not 0xff when the rest of the
 * mask is zero (a byte-aligned prefix: no bitwise), else all of them with
 * the mask. */
static int add_addr(struct nftnl_rule *r, uint32_t offset, const bs_addr *a, size_t len, bool invert) {
        size_t i = 0;
        bool bitwise = false;
        int k;

        while (i < len && a->mask[i] == 0xff)
                i++;
        for (size_t j = i; j < len && !bitwise; j++)
                bitwise = a->mask[j] != 0;
        if (!bitwise)
                len = i;
        if (len == 0)
                return -EINVAL;  /* "! -s 0/0": nothing to load, matches nothing */
        if ((k = add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, len)) < 0)
                return k;
        if (bitwise && (k = add_bitwise(r, a->mask, len)) < 0)
                return k;
        return add_cmp(r, cmp_op(invert), a->addr, len);
}

static bool addr_given(const bs_addr *a, size_t len, bool invert) {
        static const uint8_t zero[16] = {};
        return invert || memcmp(a->addr, zero, len) != 0 || memcmp(a->mask, zero, len) != 0;
}

static int add_header(const bs_rule *rule, struct nftnl_rule *r) {
        bool v6 = rule->family == BS_FAMILY_IPV6;
        size_t alen = v6 ? 16 : 4;
        int k;

        if ((k = add_iface(r, NFT_META_IIFNAME, rule->in_iface, rule->in_invert)) < 0 ||
            (k = add_iface(r, NFT_META_OIFNAME, rule->out_iface, rule->out_invert)) < 0)
                return k;
        if (rule->proto > UINT8_MAX)
                return -EINVAL;
        if (rule->proto != 0) {
                uint8_t proto = (uint8_t) rule->proto;
                if ((k = add_meta(r, NFT_META_L4PROTO)) < 0 ||
                    (k = add_cmp(r, cmp_op(rule->proto_invert), &proto, 1)) < 0)
                        return k;
        }
        if (addr_given(&rule->src, alen, rule->src_invert) &&
            (k = add_addr(r, v6 ? BS_NFT_IP6_SADDR : BS_NFT_IP_SADDR, &rule->src, alen, rule->src_invert)) < 0)
                return k;
        if (addr_given(&rule->dst, alen, rule->dst_invert) &&
            (k = add_addr(r, v6 ? BS_NFT_IP6_DADDR : BS_NFT_IP_DADDR, &rule->dst, alen, rule->dst_invert)) < 0)
                return k;
        if (rule->frag != BS_FRAG_ANY) {
                if (v6 || rule->frag > BS_FRAG_NO)
                        return -EINVAL;
                /* the 13 bits of the fragment offset: non-zero in a fragment */
                uint16_t mask = htons(0x1fff), zero = 0;
                if ((k = add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, BS_NFT_IP_FRAG_OFF, 2)) < 0 ||
                    (k = add_bitwise(r, &mask, 2)) < 0 ||
                    (k = add_cmp(r, rule->frag == BS_FRAG_YES ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, 2)) < 0)
                        return k;
        }
        /* what the kernel's compat extensions check the protocol against */
        if (set_rule_u32(r, NFTNL_RULE_COMPAT_PROTO, rule->proto) < 0 ||
            set_rule_u32(r, NFTNL_RULE_COMPAT_FLAGS, rule->proto_invert ? NFT_RULE_COMPAT_F_INV : 0) < 0)
                return -ENOMEM;
        return 0;
}

/* ---------------------------------------------------------------- matches */

static int add_compat_match(struct nftnl_rule *r, const bs_codec_payload *p) {
        struct nftnl_expr *e = add_expr(r, "match");
        if (!e)
                return -ENOMEM;
        if (nftnl_expr_set_str(e, NFTNL_EXPR_MT_NAME, p->name) < 0 || set_u32(e, NFTNL_EXPR_MT_REV, p->revision) < 0 ||
            set_info(e, NFTNL_EXPR_MT_INFO, p) < 0)
                return -ENOMEM;
        return 0;
}

/* A port range on the transport header: "==" for one port, "<=" from 0,
 * a range expression otherwise (each inverted as given). */
static int add_port_range(struct nftnl_rule *r, uint16_t lo, uint16_t hi, bool invert) {
        uint16_t be_lo = htons(lo), be_hi = htons(hi);

        if (lo == hi)
                return add_cmp(r, cmp_op(invert), &be_lo, 2);
        if (lo == 0 && hi < UINT16_MAX)
                return add_cmp(r, invert ? NFT_CMP_GT : NFT_CMP_LTE, &be_hi, 2);
        struct nftnl_expr *e = add_expr(r, "range");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1) < 0 ||
            set_u32(e, NFTNL_EXPR_RANGE_OP, invert ? NFT_RANGE_NEQ : NFT_RANGE_EQ) < 0 ||
            set_data(e, NFTNL_EXPR_RANGE_FROM_DATA, &be_lo, 2) < 0 || set_data(e, NFTNL_EXPR_RANGE_TO_DATA, &be_hi, 2) < 0)
                return -ENOMEM;
        return 0;
}

static int add_ports(struct nftnl_rule *r, const uint16_t spts[2], bool sinv, const uint16_t dpts[2], bool dinv) {
        int k;

        /* both single ports, inverted alike: one compare of the 4 bytes */
        if (spts[0] && spts[0] == spts[1] && dpts[0] && dpts[0] == dpts[1] && sinv == dinv) {
                uint32_t both = htonl((uint32_t) dpts[0] | ((uint32_t) spts[0] << 16));
                if ((k = add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4)) < 0)
                        return k;
                return add_cmp(r, cmp_op(sinv), &both, 4);
        }
        if (spts[0] || spts[1] < UINT16_MAX) {
                if ((k = add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2)) < 0 ||
                    (k = add_port_range(r, spts[0], spts[1], sinv)) < 0)
                        return k;
        }
        if (dpts[0] || dpts[1] < UINT16_MAX) {
                if ((k = add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2)) < 0 ||
                    (k = add_port_range(r, dpts[0], dpts[1], dinv)) < 0)
                        return k;
        }
        return 0;
}

static bool range_any(const uint16_t pts[2]) {
        return pts[0] == 0 && pts[1] == UINT16_MAX;
}

static bool ports_any(const uint16_t spts[2], const uint16_t dpts[2]) {
        return range_any(spts) && range_any(dpts);
}

static bool single_port(const uint16_t pts[2]) {
        return pts[0] && pts[0] == pts[1];
}

/* Whether the native expressions say all the match says: an inverted
 * range of every port (which matches nothing) has no native expression,
 * so iptables-nft's translation would drop it and match everything; and
 * two single ports both inverted (! --sport A ! --dport B) iptables-nft
 * 1.8.9 writes as one compare of the four bytes, != B:A, which the kernel
 * matches unless BOTH ports are A and B: another rule than the one
 * written. The compat match keeps both kinds exact. */
static bool ports_native(const uint16_t spts[2], bool sinv, const uint16_t dpts[2], bool dinv) {
        if (sinv && dinv && single_port(spts) && single_port(dpts))
                return false;
        return !(sinv && range_any(spts)) && !(dinv && range_any(dpts));
}

/* tcp natively unless it has what only the compat match can do (an
 * option, unknown inversion bits) or nothing at all (`-m tcp` alone). */
static int add_tcp(const bs_rule *rule, struct nftnl_rule *r, const bs_codec_payload *p) {
        const uint8_t native_inv = XT_TCP_INV_SRCPT | XT_TCP_INV_DSTPT | XT_TCP_INV_FLAGS;
        struct xt_tcp tcp;
        int k;

        if (p->size != XT_ALIGN(sizeof(tcp)))
                return add_compat_match(r, p);
        memcpy(&tcp, p->data, sizeof(tcp));
        if ((tcp.invflags & ~native_inv) || tcp.option ||
            (ports_any(tcp.spts, tcp.dpts) && !tcp.flg_mask && !tcp.flg_cmp && !tcp.invflags) ||
            (!tcp.flg_mask && (tcp.flg_cmp || (tcp.invflags & XT_TCP_INV_FLAGS))) ||
            !ports_native(tcp.spts, tcp.invflags & XT_TCP_INV_SRCPT, tcp.dpts, tcp.invflags & XT_TCP_INV_DSTPT))
                return add_compat_match(r, p);  /* what the native form would drop stays exact */
        if (rule->proto != IPPROTO_TCP)
                return -EINVAL;  /* iptables: "TCP match requires '-p tcp'" */
        if (tcp.flg_mask) {
                if ((k = add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1)) < 0 ||
                    (k = add_bitwise(r, &tcp.flg_mask, 1)) < 0 ||
                    (k = add_cmp(r, cmp_op(tcp.invflags & XT_TCP_INV_FLAGS), &tcp.flg_cmp, 1)) < 0)
                        return k;
        }
        return add_ports(r, tcp.spts, tcp.invflags & XT_TCP_INV_SRCPT, tcp.dpts, tcp.invflags & XT_TCP_INV_DSTPT);
}

static int add_udp(const bs_rule *rule, struct nftnl_rule *r, const bs_codec_payload *p) {
        struct xt_udp udp;

        if (p->size != XT_ALIGN(sizeof(udp)))
                return add_compat_match(r, p);
        memcpy(&udp, p->data, sizeof(udp));
        if (udp.invflags > XT_UDP_INV_MASK || (ports_any(udp.spts, udp.dpts) && !udp.invflags) ||
            !ports_native(udp.spts, udp.invflags & XT_UDP_INV_SRCPT, udp.dpts, udp.invflags & XT_UDP_INV_DSTPT))
                return add_compat_match(r, p);  /* what the native form would drop stays exact */
        if (rule->proto != IPPROTO_UDP)
                return -EINVAL;  /* iptables: "UDP match requires '-p udp'" */
        return add_ports(r, udp.spts, udp.invflags & XT_UDP_INV_SRCPT, udp.dpts, udp.invflags & XT_UDP_INV_DSTPT);
}

/* limit as a packet-rate limit expression: the rate per the largest unit
 * (of second, minute, hour, day) that keeps it exact enough, as
 * iptables-nft picks it. */
static int add_limit(struct nftnl_rule *r, const bs_codec_payload *p) {
        static const uint32_t per_unit[] = {
                XT_LIMIT_SCALE * 24 * 60 * 60, XT_LIMIT_SCALE * 60 * 60, XT_LIMIT_SCALE * 60, XT_LIMIT_SCALE,
        };
        struct xt_rateinfo info;
        size_t i;

        if (p->size != XT_ALIGN(sizeof(info)))
                return add_compat_match(r, p);
        memcpy(&info, p->data, sizeof(info));
        if (info.avg == 0 || info.avg > per_unit[0])
                return -EINVAL;  /* no rate of a whole packet per day or faster says it */
        for (i = 1; i < ELEMENTSOF(per_unit); i++)
                if (info.avg > per_unit[i] || per_unit[i] / info.avg < per_unit[i] % info.avg)
                        break;
        struct nftnl_expr *e = add_expr(r, "limit");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS) < 0 || set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0) < 0 ||
            set_u64(e, NFTNL_EXPR_LIMIT_RATE, per_unit[i - 1] / info.avg) < 0 ||
            set_u64(e, NFTNL_EXPR_LIMIT_UNIT, per_unit[i - 1] / XT_LIMIT_SCALE) < 0 ||
            set_u32(e, NFTNL_EXPR_LIMIT_BURST, info.burst) < 0)
                return -ENOMEM;
        return 0;
}

/* mark (revision 1) as meta mark [& mask] == value. */
static int add_mark(struct nftnl_rule *r, const bs_codec_payload *p) {
        struct xt_mark_mtinfo1 info;
        int k;

        if (p->revision != 1 || p->size != XT_ALIGN(sizeof(info)))
                return add_compat_match(r, p);
        memcpy(&info, p->data, sizeof(info));
        if ((k = add_meta(r, NFT_META_MARK)) < 0)
                return k;
        if (info.mask != UINT32_MAX && (k = add_bitwise(r, &info.mask, 4)) < 0)
                return k;
        return add_cmp(r, cmp_op(info.invert), &info.mark, 4);
}

static int add_match(const bs_rule *rule, struct nftnl_rule *r, const bs_match *m) {
        bs_codec_payload p;
        int k = bs_codec_match_payload(rule->family, m, &p);
        if (k < 0)
                return k;
        if (streq(p.name, "tcp"))
                return add_tcp(rule, r, &p);
        if (streq(p.name, "udp"))
                return add_udp(rule, r, &p);
        if (streq(p.name, "limit"))
                return add_limit(r, &p);
        if (streq(p.name, "mark"))
                return add_mark(r, &p);
        return add_compat_match(r, &p);
}

/* ----------------------------------------------------------------- target */

static int add_verdict(struct nftnl_rule *r, int verdict, const char *chain) {
        struct nftnl_expr *e = add_expr(r, "immediate");
        if (!e)
                return -ENOMEM;
        if (set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT) < 0 ||
            set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict) < 0 ||
            (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0))
                return -ENOMEM;
        return 0;
}

/* NFLOG as the log expression iptables-nft writes for it; a payload it
 * could not have built stays a compat target. */
static bool add_nflog(struct nftnl_rule *r, const bs_codec_payload *p, int *ret) {
        struct xt_nflog_info info;

        if (p->revision != 0 || p->size != XT_ALIGN(sizeof(info)))
                return false;
        memcpy(&info, p->data, sizeof(info));
        size_t plen = strnlen(info.prefix, sizeof(info.prefix));
        if (plen >= sizeof(info.prefix) || (info.flags & ~XT_NFLOG_F_COPY_LEN) || info.pad ||
            (!(info.flags & XT_NFLOG_F_COPY_LEN) && info.len))
                return false;
        struct nftnl_expr *e = add_expr(r, "log");
        if (!e) {
                *ret = -ENOMEM;
                return true;
        }
        *ret = 0;
        if ((plen > 0 && nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, info.prefix) < 0) ||
            set_u16(e, NFTNL_EXPR_LOG_GROUP, info.group) < 0 ||
            ((info.flags & XT_NFLOG_F_COPY_LEN) && set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, info.len) < 0) ||
            (info.threshold && set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, info.threshold) < 0))
                *ret = -ENOMEM;
        return true;
}

static int add_target(const bs_rule *rule, struct nftnl_rule *r) {
        const bs_target *t = &rule->target;

        switch (t->kind) {
        case BS_TARGET_NONE:
                return 0;
        case BS_TARGET_ACCEPT:
                return add_verdict(r, NF_ACCEPT, NULL);
        case BS_TARGET_DROP:
                return add_verdict(r, NF_DROP, NULL);
        case BS_TARGET_RETURN:
                return add_verdict(r, NFT_RETURN, NULL);
        case BS_TARGET_QUEUE:
                /* iptables-nft hands "QUEUE" to the kernel as an xt target,
                 * which has none of that name: it cannot be written. */
                return -EINVAL;
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                if (!bs_chain_name_valid(t->chain))
                        return -EINVAL;
                return add_verdict(r, t->kind == BS_TARGET_GOTO ? NFT_GOTO : NFT_JUMP, t->chain);
        default:
                break;
        }

        bs_codec_payload p;
        int k = bs_codec_target_payload(rule->family, t, &p);
        if (k < 0)
                return k;
        if (streq(p.name, "NFLOG") && add_nflog(r, &p, &k))
                return k;
        struct nftnl_expr *e = add_expr(r, "target");
        if (!e)
                return -ENOMEM;
        if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, p.name) < 0 || set_u32(e, NFTNL_EXPR_TG_REV, p.revision) < 0 ||
            set_info(e, NFTNL_EXPR_TG_INFO, &p) < 0)
                return -ENOMEM;
        return 0;
}

int bs_nft_rule_encode(const bs_rule *rule, struct nftnl_rule *r) {
        int k;

        if (rule->family != BS_FAMILY_IPV4 && rule->family != BS_FAMILY_IPV6)
                return -EINVAL;
        if (rule->n_matches > BS_MATCHES_MAX || (rule->n_matches > 0 && !rule->matches))
                return -EINVAL;
        if ((k = add_header(rule, r)) < 0)
                return k;
        for (size_t i = 0; i < rule->n_matches; i++)
                if ((k = add_match(rule, r, &rule->matches[i])) < 0)
                        return k;
        /* before the verdict, or it would count only what falls through */
        struct nftnl_expr *e = add_expr(r, "counter");
        if (!e)
                return -ENOMEM;
        if (set_u64(e, NFTNL_EXPR_CTR_PACKETS, rule->packets) < 0 ||
            set_u64(e, NFTNL_EXPR_CTR_BYTES, rule->bytes) < 0)
                return -ENOMEM;
        return add_target(rule, r);
}
