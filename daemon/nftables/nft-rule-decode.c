/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The expressions of a rule back to the bs_rule iptables-nft 1.8.9 shows
 * for them (nft-shared.c's parser): loads into registers (meta, payload,
 * bitwise) and the compares that consume them become the header and the
 * native tcp / udp / mark / limit matches; `match` and `target` carry the
 * xt payloads, which the codec decodes with its own policy (known and
 * exact, else opaque); NFLOG's `log`; the counter; the verdict.
 *
 * Stricter than iptables-nft where it would quietly drop a part of a rule
 * (a load nothing compares, an operator it reads as another, an
 * expression after the verdict, a verdict it ignores): such a rule is
 * -EOPNOTSUPP, since writing back what we read would change what it does. */

#include <arpa/inet.h>
#include <stdio.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>
#include <sys/types.h>

#include "codec.h"
#include "nft-rule-internal.h"
#include "nft-rule.h"

#define N_REGS (NFT_REG32_15 + 1)

typedef enum reg_kind {
        REG_EMPTY,
        REG_META,     /* meta load: key */
        REG_PAYLOAD,  /* payload load: base, offset, len */
} reg_kind;

typedef struct reg_state {
        reg_kind kind;
        bool consumed;  /* a compare or range read it */
        uint32_t key;
        uint32_t base, offset, len;
        bool masked;    /* a bitwise and-ed mask into it */
        uint8_t mask[16];
        /* a port compared more than once: a lower and an upper bound, as
         * the nft tool writes "dport 1024-65535", once each */
        bool lower_bound, upper_bound;
} reg_state;

typedef struct decoder {
        bs_family family;
        bs_rule *rule;
        reg_state regs[N_REGS];
        /* the native tcp / udp match being gathered, and its index in
         * rule->matches (a placeholder until the end), -1 when none */
        ssize_t tcp_at, udp_at;
        struct xt_tcp tcp;
        struct xt_udp udp;
        /* the port fields a load before compared: PORT_SRC, PORT_DST */
        uint8_t ports_compared;
        bool have_target;
} decoder;

#define PORT_SRC 1u
#define PORT_DST 2u

/* A port field compared by two loads (`--dport 1 -m tcp --dport 2`):
 * the kernel matches both compares, nothing at all here, while
 * iptables-nft shows the last one as the rule. A rule the text shows
 * wrong is one the pre-flight would judge wrong: refused. */
static int ports_compare(decoder *d, uint8_t fields) {
        if (d->ports_compared & fields)
                return -EOPNOTSUPP;
        d->ports_compared |= fields;
        return 0;
}

/* ------------------------------------------------------------- registers */

/* A register now overwritten, or at the end of the rule: a load nothing
 * compared. iptables-nft writes one only for "-i +" / "-o +" (any
 * interface), which we keep as such; anything else it would ignore. */
static int reg_retire(decoder *d, reg_state *reg) {
        if (reg->kind == REG_EMPTY || reg->consumed)
                return 0;
        if (reg->kind == REG_META && !reg->masked && (reg->key == NFT_META_IIFNAME || reg->key == NFT_META_OIFNAME)) {
                char *iface = reg->key == NFT_META_IIFNAME ? d->rule->in_iface : d->rule->out_iface;
                if (iface[0] != '\0')
                        return -EOPNOTSUPP;
                strcpy(iface, "+");
                return 0;
        }
        return -EOPNOTSUPP;
}

static int reg_get(decoder *d, const struct nftnl_expr *e, uint16_t attr, reg_state **ret) {
        if (!nftnl_expr_is_set(e, attr))
                return -EOPNOTSUPP;
        uint32_t n = nftnl_expr_get_u32(e, attr);
        if (n == NFT_REG_VERDICT || n >= N_REGS)
                return -EOPNOTSUPP;
        *ret = &d->regs[n];
        return 0;
}

/* The register a load writes: what it held before must have been used. */
static int reg_load(decoder *d, const struct nftnl_expr *e, uint16_t attr, reg_state **ret) {
        int k = reg_get(d, e, attr, ret);
        if (k < 0)
                return k;
        if ((k = reg_retire(d, *ret)) < 0)
                return k;
        memset(*ret, 0, sizeof(**ret));
        return 0;
}

static int parse_meta(decoder *d, const struct nftnl_expr *e) {
        reg_state *reg;

        /* a meta store (TRACE's nftrace): not in a filter table */
        if (nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG))
                return -EOPNOTSUPP;
        int k = reg_load(d, e, NFTNL_EXPR_META_DREG, &reg);
        if (k < 0)
                return k;
        reg->kind = REG_META;
        reg->key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
        return 0;
}

static int parse_payload(decoder *d, const struct nftnl_expr *e) {
        reg_state *reg;

        if (nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_SREG))
                return -EOPNOTSUPP;  /* a payload write */
        int k = reg_load(d, e, NFTNL_EXPR_PAYLOAD_DREG, &reg);
        if (k < 0)
                return k;
        reg->kind = REG_PAYLOAD;
        reg->base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
        reg->offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
        reg->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
        if (reg->len == 0 || reg->len > sizeof(reg->mask))
                return -EOPNOTSUPP;
        return 0;
}

static bool all_zero(const void *p, size_t n) {
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

/* reg = reg & mask ^ 0, in place, once, over the whole load. */
static int parse_bitwise(decoder *d, const struct nftnl_expr *e) {
        reg_state *src, *dst;
        uint32_t mlen = 0, xlen = 0;
        int k;

        if ((k = reg_get(d, e, NFTNL_EXPR_BITWISE_SREG, &src)) < 0 ||
            (k = reg_get(d, e, NFTNL_EXPR_BITWISE_DREG, &dst)) < 0)
                return k;
        if (src != dst || src->kind == REG_EMPTY || src->masked || src->consumed)
                return -EOPNOTSUPP;
        if (nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) &&
            nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL)
                return -EOPNOTSUPP;
        const void *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
        const void *xor = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);
        uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
        uint32_t load_len = src->kind == REG_META ? 4 : src->len;
        if (!mask || !xor || mlen != len || xlen != len || len != load_len || !all_zero(xor, xlen))
                return -EOPNOTSUPP;
        memcpy(src->mask, mask, len);
        src->masked = true;
        return 0;
}

/* ---------------------------------------------------------------- compare */

typedef struct cmp_value {
        uint32_t op;
        const uint8_t *data;
        uint32_t len;
} cmp_value;

static bool op_eq_neq(uint32_t op) {
        return op == NFT_CMP_EQ || op == NFT_CMP_NEQ;
}

static int parse_iface(decoder *d, uint32_t key, const cmp_value *c) {
        bool in = key == NFT_META_IIFNAME;
        char *iface = in ? d->rule->in_iface : d->rule->out_iface;
        bool *invert = in ? &d->rule->in_invert : &d->rule->out_invert;

        if (!op_eq_neq(c->op) || iface[0] != '\0' || c->len == 0 || c->len > IFNAMSIZ)
                return -EOPNOTSUPP;
        const uint8_t *nul = memchr(c->data, 0, c->len);
        if (nul) {
                /* the name and its NUL, or (as the nft tool writes it) the
                 * name padded with NULs to IFNAMSIZ */
                if (nul == c->data || c->data[c->len - 1] != 0 || !all_zero(nul, (size_t) (c->data + c->len - nul)))
                        return -EOPNOTSUPP;
                memcpy(iface, c->data, (size_t) (nul - c->data) + 1);
        } else {
                /* a prefix: the wildcard "name+" */
                if (c->len + 1 >= IFNAMSIZ)
                        return -EOPNOTSUPP;
                memcpy(iface, c->data, c->len);
                iface[c->len] = '+';
                iface[c->len + 1] = '\0';
        }
        *invert = c->op == NFT_CMP_NEQ;
        /* "! -i +": equal to a name no interface has */
        if (!*invert && streq(iface, BS_NFT_IFACE_INVALID)) {
                strcpy(iface, "+");
                *invert = true;
        }
        return 0;
}

static int parse_mark(decoder *d, const reg_state *reg, const cmp_value *c) {
        struct xt_mark_mtinfo1 info = { .mask = UINT32_MAX };
        _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(info))] = {};

        if (!op_eq_neq(c->op) || c->len != 4)
                return -EOPNOTSUPP;
        memcpy(&info.mark, c->data, 4);
        if (reg->masked)
                memcpy(&info.mask, reg->mask, 4);
        info.invert = c->op == NFT_CMP_NEQ;
        memcpy(payload, &info, sizeof(info));
        bs_match *m = bs_rule_add_match(d->rule, BS_MATCH_OPAQUE);
        if (!m)
                return -ENOMEM;
        int k = bs_codec_match_from_payload(d->family, "mark", 1, payload, sizeof(payload), m);
        if (k < 0)
                d->rule->n_matches--;
        return k;
}

static int cmp_meta(decoder *d, const reg_state *reg, const cmp_value *c) {
        switch (reg->key) {
        case NFT_META_L4PROTO:
                if (!op_eq_neq(c->op) || c->len != 1 || reg->masked || d->rule->proto != 0)
                        return -EOPNOTSUPP;
                d->rule->proto = c->data[0];
                d->rule->proto_invert = c->op == NFT_CMP_NEQ;
                return d->rule->proto == 0 ? -EOPNOTSUPP : 0;
        case NFT_META_IIFNAME:
        case NFT_META_OIFNAME:
                if (reg->masked)
                        return -EOPNOTSUPP;
                return parse_iface(d, reg->key, c);
        case NFT_META_MARK:
                return parse_mark(d, reg, c);
        default:
                /* iif / oif by index, pkttype, ...: iptables-nft 1.8.9
                 * writes none of them for a filter rule */
                return -EOPNOTSUPP;
        }
}

static int parse_addr(const reg_state *reg, const cmp_value *c, size_t alen, bs_addr *a, bool *invert) {
        if (!op_eq_neq(c->op) || c->len != reg->len || reg->len > alen || !all_zero(a->mask, sizeof(a->mask)))
                return -EOPNOTSUPP;
        memcpy(a->addr, c->data, c->len);
        if (reg->masked)
                memcpy(a->mask, reg->mask, reg->len);
        else
                memset(a->mask, 0xff, reg->len);
        *invert = c->op == NFT_CMP_NEQ;
        return 0;
}

static int cmp_network(decoder *d, const reg_state *reg, const cmp_value *c) {
        bs_rule *r = d->rule;

        if (d->family == BS_FAMILY_IPV6) {
                switch (reg->offset) {
                case BS_NFT_IP6_SADDR:
                        return parse_addr(reg, c, 16, &r->src, &r->src_invert);
                case BS_NFT_IP6_DADDR:
                        return parse_addr(reg, c, 16, &r->dst, &r->dst_invert);
                default:
                        /* 1.8.9 cannot read the next header from the payload
                         * (it falls through into the hop limit) */
                        return -EOPNOTSUPP;
                }
        }
        switch (reg->offset) {
        case BS_NFT_IP_SADDR:
                return parse_addr(reg, c, 4, &r->src, &r->src_invert);
        case BS_NFT_IP_DADDR:
                return parse_addr(reg, c, 4, &r->dst, &r->dst_invert);
        case BS_NFT_IP_PROTOCOL:
                /* what iptables-nft before 1.8.9 wrote for -p */
                if (!op_eq_neq(c->op) || reg->len != 1 || c->len != 1 || reg->masked || r->proto != 0 ||
                    c->data[0] == 0)
                        return -EOPNOTSUPP;
                r->proto = c->data[0];
                r->proto_invert = c->op == NFT_CMP_NEQ;
                return 0;
        case BS_NFT_IP_FRAG_OFF: {
                uint16_t mask = htons(0x1fff);
                if (!op_eq_neq(c->op) || reg->len != 2 || !reg->masked || memcmp(reg->mask, &mask, 2) != 0 ||
                    c->len != 2 || !all_zero(c->data, 2) || r->frag != BS_FRAG_ANY)
                        return -EOPNOTSUPP;
                r->frag = c->op == NFT_CMP_NEQ ? BS_FRAG_YES : BS_FRAG_NO;
                return 0;
        }
        default:
                return -EOPNOTSUPP;
        }
}

/* The native tcp or udp match, created where its first expression is. */
static int tcpudp_begin(decoder *d, uint8_t proto, uint16_t **ret_spts, uint16_t **ret_dpts, uint8_t **ret_inv,
                        uint8_t *ret_sinv, uint8_t *ret_dinv) {
        bool tcp = proto == IPPROTO_TCP;
        ssize_t *at = tcp ? &d->tcp_at : &d->udp_at;

        if (*at < 0) {
                for (size_t i = 0; i < d->rule->n_matches; i++) {
                        const bs_match *m = &d->rule->matches[i];
                        if (m->kind == (tcp ? BS_MATCH_TCP : BS_MATCH_UDP) ||
                            (m->kind == BS_MATCH_OPAQUE && streq(m->opaque.name, tcp ? "tcp" : "udp")))
                                return -EOPNOTSUPP;  /* native beside compat: see parse_match */
                }
                if (!bs_rule_add_match(d->rule, tcp ? BS_MATCH_TCP : BS_MATCH_UDP))
                        return -ENOMEM;
                *at = (ssize_t) d->rule->n_matches - 1;
        }
        if (tcp) {
                *ret_spts = d->tcp.spts, *ret_dpts = d->tcp.dpts, *ret_inv = &d->tcp.invflags;
                *ret_sinv = XT_TCP_INV_SRCPT, *ret_dinv = XT_TCP_INV_DSTPT;
        } else {
                *ret_spts = d->udp.spts, *ret_dpts = d->udp.dpts, *ret_inv = &d->udp.invflags;
                *ret_sinv = XT_UDP_INV_SRCPT, *ret_dinv = XT_UDP_INV_DSTPT;
        }
        return 0;
}

/* One port compared, as iptables-nft turns it into a range. reg: the
 * register's bounds so far (NULL: compared once only). */
static int port_from_cmp(reg_state *reg, uint16_t pts[2], uint8_t *inv, uint8_t bit, uint32_t op, uint16_t port) {
        bool lower = op == NFT_CMP_GT || op == NFT_CMP_GTE, upper = op == NFT_CMP_LT || op == NFT_CMP_LTE;
        if (reg) {
                if (reg->consumed && !lower && !upper)
                        return -EOPNOTSUPP;  /* "==" or "!=" beside another compare */
                if ((lower && reg->lower_bound) || (upper && reg->upper_bound))
                        return -EOPNOTSUPP;
                reg->lower_bound = reg->lower_bound || lower;
                reg->upper_bound = reg->upper_bound || upper;
        }
        switch (op) {
        case NFT_CMP_NEQ:
                *inv |= bit;
                __attribute__((fallthrough));
        case NFT_CMP_EQ:
                pts[0] = pts[1] = port;
                return 0;
        case NFT_CMP_LT:
                pts[1] = port > 2 ? port - 1 : 1;
                return 0;
        case NFT_CMP_LTE:
                pts[1] = port;
                return 0;
        case NFT_CMP_GT:
                pts[0] = port < UINT16_MAX ? port + 1 : UINT16_MAX;
                return 0;
        case NFT_CMP_GTE:
                pts[0] = port;
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}

static int add_match_payload(decoder *d, const char *name, uint8_t revision, const void *data, size_t size);

/* The icmp type (and code) as the nft tool writes them; iptables-nft 1.8.9
 * writes the compat match itself. Only "==", and not a code alone: the
 * icmp match cannot hold "any type, this code", iptables-nft would show
 * (and write back) a rule that matches every icmp packet. */
static int cmp_icmp(decoder *d, const reg_state *reg, const cmp_value *c) {
        if (c->op != NFT_CMP_EQ || reg->masked || reg->offset != 0 || reg->len != c->len || c->len < 1 || c->len > 2)
                return -EOPNOTSUPP;
        /* struct ipt_icmp / ip6t_icmp: type, code min, code max, flags */
        _Alignas(8) uint8_t payload[8] = { c->data[0], 0, UINT8_MAX };
        if (c->len == 2)
                payload[1] = payload[2] = c->data[1];
        return add_match_payload(d, d->family == BS_FAMILY_IPV6 ? "icmp6" : "icmp", 0, payload, sizeof(payload));
}

static int cmp_transport(decoder *d, reg_state *reg, bool again, const cmp_value *c) {
        uint8_t proto = (uint8_t) d->rule->proto;
        uint16_t *spts, *dpts;
        uint8_t *inv, sbit, dbit;
        int k;

        if (proto == (d->family == BS_FAMILY_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
                return again ? -EOPNOTSUPP : cmp_icmp(d, reg, c);
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
                return -EOPNOTSUPP;
        if (again && !((reg->offset == 0 || reg->offset == 2) && reg->len == 2))
                return -EOPNOTSUPP;
        if (reg->offset == 13 && proto == IPPROTO_TCP) {
                if (reg->len != 1 || c->len != 1 || !op_eq_neq(c->op))
                        return -EOPNOTSUPP;
                if ((k = tcpudp_begin(d, proto, &spts, &dpts, &inv, &sbit, &dbit)) < 0)
                        return k;
                if (d->tcp.flg_mask)
                        return -EOPNOTSUPP;
                d->tcp.flg_cmp = c->data[0];
                d->tcp.flg_mask = reg->masked ? reg->mask[0] : 0xff;
                if (c->op == NFT_CMP_NEQ)
                        d->tcp.invflags |= XT_TCP_INV_FLAGS;
                return 0;
        }
        if (reg->masked || reg->len != c->len)
                return -EOPNOTSUPP;
        if ((k = tcpudp_begin(d, proto, &spts, &dpts, &inv, &sbit, &dbit)) < 0)
                return k;
        if (reg->offset == 0 && reg->len == 4) {
                uint32_t both;
                /* != over both ports matches unless both are equal, which
                 * iptables-nft shows as "! --sport A ! --dport B" (neither
                 * equal): no rule of iptables says what the kernel does */
                if (c->op != NFT_CMP_EQ || ports_compare(d, PORT_SRC | PORT_DST) < 0)
                        return -EOPNOTSUPP;
                memcpy(&both, c->data, 4);
                both = ntohl(both);
                if ((k = port_from_cmp(NULL, spts, inv, sbit, c->op, (uint16_t) (both >> 16))) < 0)
                        return k;
                return port_from_cmp(NULL, dpts, inv, dbit, c->op, (uint16_t) both);
        }
        if ((reg->offset == 0 || reg->offset == 2) && reg->len == 2) {
                uint16_t port;
                memcpy(&port, c->data, 2);
                if (!again && ports_compare(d, reg->offset == 0 ? PORT_SRC : PORT_DST) < 0)
                        return -EOPNOTSUPP;
                reg->consumed = again;  /* port_from_cmp's "compared before" */
                k = port_from_cmp(reg, reg->offset == 0 ? spts : dpts, inv, reg->offset == 0 ? sbit : dbit, c->op,
                                  ntohs(port));
                reg->consumed = true;
                return k;
        }
        return -EOPNOTSUPP;
}

static int parse_cmp(decoder *d, const struct nftnl_expr *e) {
        reg_state *reg;
        cmp_value c = {};
        int k;

        if ((k = reg_get(d, e, NFTNL_EXPR_CMP_SREG, &reg)) < 0)
                return k;
        if (reg->kind == REG_EMPTY)
                return -EOPNOTSUPP;
        /* compared before: only a port's second bound may be */
        bool again = reg->consumed;
        reg->consumed = true;
        c.op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
        c.data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &c.len);
        if (!c.data)
                return -EOPNOTSUPP;
        if (reg->kind == REG_META)
                return again ? -EOPNOTSUPP : cmp_meta(d, reg, &c);
        switch (reg->base) {
        case NFT_PAYLOAD_NETWORK_HEADER:
                return again ? -EOPNOTSUPP : cmp_network(d, reg, &c);
        case NFT_PAYLOAD_TRANSPORT_HEADER:
                return cmp_transport(d, reg, again, &c);
        default:
                return -EOPNOTSUPP;
        }
}

static int parse_range(decoder *d, const struct nftnl_expr *e) {
        uint32_t flen = 0, tlen = 0;
        reg_state *reg;
        uint16_t *spts, *dpts, from, to;
        uint8_t *inv, sbit, dbit;
        int k;

        if ((k = reg_get(d, e, NFTNL_EXPR_RANGE_SREG, &reg)) < 0)
                return k;
        uint8_t proto = (uint8_t) d->rule->proto;
        if (reg->kind != REG_PAYLOAD || reg->consumed || reg->masked || reg->base != NFT_PAYLOAD_TRANSPORT_HEADER ||
            reg->len != 2 || (reg->offset != 0 && reg->offset != 2) || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
                return -EOPNOTSUPP;
        reg->consumed = reg->lower_bound = reg->upper_bound = true;
        const void *fdata = nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA, &flen);
        const void *tdata = nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &tlen);
        uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP);
        if (!fdata || !tdata || flen != 2 || tlen != 2 || (op != NFT_RANGE_EQ && op != NFT_RANGE_NEQ))
                return -EOPNOTSUPP;
        memcpy(&from, fdata, 2);
        memcpy(&to, tdata, 2);
        if ((k = tcpudp_begin(d, proto, &spts, &dpts, &inv, &sbit, &dbit)) < 0)
                return k;
        if ((k = ports_compare(d, reg->offset == 0 ? PORT_SRC : PORT_DST)) < 0)
                return k;
        uint16_t *pts = reg->offset == 0 ? spts : dpts;
        pts[0] = ntohs(from);
        pts[1] = ntohs(to);
        if (op == NFT_RANGE_NEQ)
                *inv |= reg->offset == 0 ? sbit : dbit;
        return 0;
}

/* ------------------------------------------------- matches, targets, rest */

static int add_match_payload(decoder *d, const char *name, uint8_t revision, const void *data, size_t size) {
        bs_match *m = bs_rule_add_match(d->rule, BS_MATCH_OPAQUE);
        if (!m)
                return d->rule->n_matches >= BS_MATCHES_MAX ? -E2BIG : -ENOMEM;
        int k = bs_codec_match_from_payload(d->family, name, revision, data, size, m);
        if (k < 0) {
                d->rule->n_matches--;  /* owns nothing on failure */
                return k == -EBADMSG ? -EOPNOTSUPP : k;
        }
        return 0;
}

static int parse_match(decoder *d, const struct nftnl_expr *e) {
        uint32_t len = 0;
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
        const void *info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);
        if (!name || (!info && len > 0) || len != XT_ALIGN((size_t) len))
                return -EOPNOTSUPP;
        /* a tcp or udp match both native and compat: iptables-nft merges
         * native ports into a compat match before them, and shows one after
         * them apart; neither is a form we write, and refused is safer than
         * guessed */
        if ((streq(name, "tcp") && d->tcp_at >= 0) || (streq(name, "udp") && d->udp_at >= 0))
                return -EOPNOTSUPP;
        return add_match_payload(d, name, (uint8_t) nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV), info, len);
}

/* limit: packets per (rate / unit seconds), back into xt_rateinfo's avg. */
static int parse_limit(decoder *d, const struct nftnl_expr *e) {
        struct xt_rateinfo info = {};
        _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(info))] = {};

        if (nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_TYPE) != NFT_LIMIT_PKTS ||
            nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_FLAGS) != 0)
                return -EOPNOTSUPP;
        uint64_t rate = nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE);
        uint64_t unit = nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT);
        if (rate == 0 || unit > UINT64_MAX / XT_LIMIT_SCALE)
                return -EOPNOTSUPP;
        /* iptables' range: at most XT_LIMIT_SCALE per second (avg 1), at
         * least one a day; a rate outside it has no --limit that shows it,
         * nor one that writes it back */
        uint64_t avg = XT_LIMIT_SCALE * unit / rate;
        if (avg == 0 || avg > (uint64_t) XT_LIMIT_SCALE * 24 * 60 * 60)
                return -EOPNOTSUPP;
        info.avg = (uint32_t) avg;
        info.burst = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_BURST);
        memcpy(payload, &info, sizeof(info));
        return add_match_payload(d, "limit", 0, payload, sizeof(payload));
}

static int set_target_payload(decoder *d, const char *name, uint8_t revision, const void *data, size_t size) {
        int k = bs_codec_target_from_payload(d->family, name, revision, data, size, &d->rule->target);
        if (k < 0) {
                d->rule->target.kind = BS_TARGET_NONE;
                return k == -EBADMSG ? -EOPNOTSUPP : k;
        }
        return 0;
}

static int parse_target(decoder *d, const struct nftnl_expr *e) {
        uint32_t len = 0;
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
        const void *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
        if (!name || (!info && len > 0) || len != XT_ALIGN((size_t) len))
                return -EOPNOTSUPP;
        return set_target_payload(d, name, (uint8_t) nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), info, len);
}

/* log with a group: NFLOG, as xt_nflog_info holds it. */
static int parse_log(decoder *d, const struct nftnl_expr *e) {
        struct xt_nflog_info info = {};
        _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(info))] = {};

        if (!nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP) || nftnl_expr_is_set(e, NFTNL_EXPR_LOG_LEVEL) ||
            nftnl_expr_is_set(e, NFTNL_EXPR_LOG_FLAGS))
                return -EOPNOTSUPP;
        info.group = nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP);
        info.threshold = nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD);
        if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_SNAPLEN)) {
                info.len = nftnl_expr_get_u32(e, NFTNL_EXPR_LOG_SNAPLEN);
                info.flags = XT_NFLOG_F_COPY_LEN;
        }
        if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX)) {
                const char *prefix = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
                if (!prefix || strlen(prefix) >= sizeof(info.prefix))
                        return -EOPNOTSUPP;  /* longer than NFLOG's own form can carry */
                strcpy(info.prefix, prefix);
        }
        memcpy(payload, &info, sizeof(info));
        return set_target_payload(d, "NFLOG", 0, payload, sizeof(payload));
}

static int parse_immediate(decoder *d, const struct nftnl_expr *e) {
        bs_target *t = &d->rule->target;

        /* data into a register: what TRACE stores, not in a filter table */
        if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA) || nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT)
                return -EOPNOTSUPP;
        int verdict = (int) nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
        switch (verdict) {
        case NF_ACCEPT:
                t->kind = BS_TARGET_ACCEPT;
                return 0;
        case NF_DROP:
                t->kind = BS_TARGET_DROP;
                return 0;
        case NFT_RETURN:
                t->kind = BS_TARGET_RETURN;
                return 0;
        case NFT_JUMP:
        case NFT_GOTO: {
                const char *chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
                if (!chain || strlen(chain) > BS_CHAIN_NAME_MAX || !bs_chain_name_valid(chain))
                        return -EOPNOTSUPP;
                t->kind = verdict == NFT_GOTO ? BS_TARGET_GOTO : BS_TARGET_JUMP;
                strcpy(t->chain, chain);
                return 0;
        }
        default:
                return -EOPNOTSUPP;  /* continue, break, queue: iptables-nft would drop them */
        }
}

static int parse_expr(decoder *d, const struct nftnl_expr *e) {
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

        if (!name)
                return -EOPNOTSUPP;
        if (streq(name, "counter")) {
                d->rule->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
                d->rule->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
                return 0;
        }
        /* nothing but the counter after the verdict */
        if (d->have_target)
                return -EOPNOTSUPP;
        if (streq(name, "payload"))
                return parse_payload(d, e);
        if (streq(name, "meta"))
                return parse_meta(d, e);
        if (streq(name, "bitwise"))
                return parse_bitwise(d, e);
        if (streq(name, "cmp"))
                return parse_cmp(d, e);
        if (streq(name, "range"))
                return parse_range(d, e);
        if (streq(name, "match"))
                return parse_match(d, e);
        if (streq(name, "limit"))
                return parse_limit(d, e);
        d->have_target = true;
        if (streq(name, "immediate"))
                return parse_immediate(d, e);
        if (streq(name, "target"))
                return parse_target(d, e);
        if (streq(name, "log"))
                return parse_log(d, e);
        return -EOPNOTSUPP;  /* lookup (sets), ct, reject, nat, ...: the nft tool's */
}

/* The comment the nft tool stores in the rule's user data (type 0, a
 * NUL-terminated string), which iptables-nft shows as `-m comment`. */
static int udata_comment_cb(const struct nftnl_udata *attr, void *data) {
        const char **ret = data;
        const char *value = nftnl_udata_get(attr);
        uint8_t len = nftnl_udata_len(attr);

        if (nftnl_udata_type(attr) != 0)
                return 0;
        if (len == 0 || value[len - 1] != '\0')
                return -1;
        *ret = value;
        return 0;
}

static int parse_udata(decoder *d, const struct nftnl_rule *r) {
        uint32_t len = 0;
        const char *comment = NULL;

        if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
                return 0;
        const void *data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
        if (!data || nftnl_udata_parse(data, len, udata_comment_cb, &comment) < 0)
                return -EOPNOTSUPP;
        if (!comment)
                return 0;
        _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(struct xt_comment_info))] = {};
        strncpy((char *) payload, comment, XT_MAX_COMMENT_LEN - 1);
        return add_match_payload(d, "comment", 0, payload, sizeof(payload));
}

static int finish_tcpudp(decoder *d) {
        int k;

        if (d->tcp_at >= 0) {
                _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(struct xt_tcp))] = {};
                memcpy(payload, &d->tcp, sizeof(d->tcp));
                if ((k = bs_codec_match_from_payload(d->family, "tcp", 0, payload, sizeof(payload),
                                                     &d->rule->matches[d->tcp_at])) < 0)
                        return k;
        }
        if (d->udp_at >= 0) {
                _Alignas(8) uint8_t payload[XT_ALIGN(sizeof(struct xt_udp))] = {};
                memcpy(payload, &d->udp, sizeof(d->udp));
                if ((k = bs_codec_match_from_payload(d->family, "udp", 0, payload, sizeof(payload),
                                                     &d->rule->matches[d->udp_at])) < 0)
                        return k;
        }
        return 0;
}

static int decode(decoder *d, const struct nftnl_rule *r) {
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        int k = 0;

        if (!it)
                return -ENOMEM;
        while ((e = nftnl_expr_iter_next(it)))
                if ((k = parse_expr(d, e)) < 0)
                        break;
        nftnl_expr_iter_destroy(it);
        if (k < 0)
                return k;
        for (size_t i = 0; i < N_REGS; i++)
                if ((k = reg_retire(d, &d->regs[i])) < 0)
                        return k;
        if ((k = finish_tcpudp(d)) < 0)
                return k;
        return parse_udata(d, r);
}

int bs_nft_rule_decode(bs_family family, const struct nftnl_rule *r, bs_rule *ret) {
        if (family != BS_FAMILY_IPV4 && family != BS_FAMILY_IPV6)
                return -EINVAL;
        bs_rule_init(ret, family);
        decoder d = {
                .family = family,
                .rule = ret,
                .tcp_at = -1,
                .udp_at = -1,
                .tcp = { .spts = { 0, UINT16_MAX }, .dpts = { 0, UINT16_MAX } },
                .udp = { .spts = { 0, UINT16_MAX }, .dpts = { 0, UINT16_MAX } },
        };
        int k = decode(&d, r);
        if (k < 0) {
                bs_rule_done(ret);
                bs_rule_init(ret, family);
        }
        return k;
}
