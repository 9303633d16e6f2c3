/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the nf_tables rule decoder: a rule dump holds
 * whatever expressions anyone wrote (iptables-nft, the nft tool, any
 * program), and the decoder must tell what iptables-nft would show from
 * what it could not, without crashing.
 *
 * The input describes a rule's expressions, not netlink bytes: the kernel
 * hands back well-formed messages (libnftnl's parser trusts them, and is
 * not what is tested here), but their expressions can be any sequence of
 * any kinds with any values. Input: byte 0: the family (bit 0: IPv6) and,
 * in bit 1, whether a comment (user data) follows as a length byte and
 * its bytes; then expressions, each a kind byte and its fields, until the
 * input ends (fields past the end read as zero).
 *
 * Whatever decodes must encode (or be refused as iptables-nft would refuse
 * to write it), and the form it settles in once written (at most two
 * writes) is the one every later write keeps, counters included: a rule
 * rolled back again and again does not drift. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>

#include "nft-rule.h"
#include "text.h"
#include "fuzz-check.h"

#define EXPRS_MAX 24
#define BLOB_MAX 300

typedef struct input {
        const uint8_t *p;
        size_t left;
} input;

static uint8_t u8(input *in) {
        if (in->left == 0)
                return 0;
        in->left--;
        return *in->p++;
}

static uint32_t u32(input *in) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
                v = v << 8 | u8(in);
        return v;
}

/* A blob of at most max bytes: its length (one byte, two past 255), then
 * its bytes from the input. */
static size_t blob(input *in, uint8_t *buf, size_t max) {
        size_t n = u8(in);
        if (max > 255)
                n = n << 8 | u8(in);
        n %= max + 1;
        for (size_t i = 0; i < n; i++)
                buf[i] = u8(in);
        return n;
}

/* Names the decoder knows, and a few it does not. */
static const char *name(input *in, const char *const *names, size_t n) {
        return names[u8(in) % n];
}

static const char *const match_names[] = { "tcp", "udp", "icmp", "icmp6", "conntrack", "state", "multiport",
                                           "comment", "limit", "addrtype", "mac", "iprange", "mark", "recent",
                                           "bsnomatch", "" };
static const char *const target_names[] = { "REJECT", "LOG", "NFLOG", "MARK", "ACCEPT", "bsnotarget", "" };
static const char *const chain_names[] = { "svc", "INPUT", "a-very-long-chain-name-past-28-bytes", "" };

static void add_expr(struct nftnl_rule *r, input *in) {
        uint8_t buf[BLOB_MAX];
        size_t n;
        struct nftnl_expr *e;
        switch (u8(in) % 13) {
        case 0:
                e = nftnl_expr_alloc("meta");
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, u8(in) % 40);
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, u8(in) % 24);
                break;
        case 1:
                e = nftnl_expr_alloc("payload");
                nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, u8(in) % 4);
                nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, u8(in));
                nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, u8(in) % 20);
                nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, u8(in) % 24);
                break;
        case 2:
                e = nftnl_expr_alloc("cmp");
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, u8(in) % 24);
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, u8(in) % 7);
                n = blob(in, buf, 20);
                nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, buf, n);
                break;
        case 3:
                e = nftnl_expr_alloc("bitwise");
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, u8(in) % 24);
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, u8(in) % 24);
                n = u8(in) % 17;
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, n);
                for (size_t i = 0; i < n; i++)
                        buf[i] = u8(in);
                nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, buf, n);
                for (size_t i = 0; i < n; i++)
                        buf[i] = u8(in);
                nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, buf, n);
                break;
        case 4:
                e = nftnl_expr_alloc("range");
                nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, u8(in) % 24);
                nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, u8(in) % 3);
                n = blob(in, buf, 16);
                nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, buf, n);
                n = blob(in, buf, 16);
                nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, buf, n);
                break;
        case 5:
                e = nftnl_expr_alloc("immediate");
                nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, 0);
                int32_t verdict = (int32_t) (u8(in) % 8) - 5;  /* NFT_RETURN .. NF_STOLEN */
                nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
                /* a chain with a jump or goto, as the kernel dumps them */
                if (verdict == NFT_JUMP || verdict == NFT_GOTO)
                        nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, name(in, chain_names, 4));
                break;
        case 6:
                e = nftnl_expr_alloc("counter");
                nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_PACKETS, u32(in));
                nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_BYTES, u32(in));
                break;
        case 7:
        case 8: {
                bool match = u8(in) & 1;
                e = nftnl_expr_alloc(match ? "match" : "target");
                const char *nm = match ? name(in, match_names, ELEMENTSOF(match_names))
                                       : name(in, target_names, ELEMENTSOF(target_names));
                nftnl_expr_set(e, match ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME, nm, strlen(nm));
                nftnl_expr_set_u32(e, match ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV, u8(in) % 4);
                n = blob(in, buf, BLOB_MAX - 1);
                /* libnftnl takes the info's memory (as iptables-nft hands it) */
                uint8_t *info = malloc(n + 1);
                CHECK(info);
                memcpy(info, buf, n);
                nftnl_expr_set(e, match ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO, info, n);
                break;
        }
        case 9:
                e = nftnl_expr_alloc("limit");
                nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, u32(in));
                nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, u32(in));
                nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, u32(in));
                nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, u8(in) % 2);
                nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, u8(in) % 2);
                break;
        case 10:
                e = nftnl_expr_alloc("log");
                n = blob(in, buf, 80);
                buf[n] = 0;
                for (size_t i = 0; i < n; i++)
                        buf[i] = buf[i] ? buf[i] : 'x';
                nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, (const char *) buf);
                nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, (uint16_t) u32(in));
                if (u8(in) & 1)
                        nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, u32(in));
                if (u8(in) & 1)
                        nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, (uint16_t) u32(in));
                break;
        case 11:
                e = nftnl_expr_alloc("lookup");
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, u8(in) % 24);
                nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__set0");
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, u8(in) % 2);
                break;
        default:
                e = nftnl_expr_alloc("ct");  /* native nft the decoder must refuse */
                nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, u8(in) % 20);
                nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, u8(in) % 24);
                break;
        }
        CHECK(e);
        nftnl_rule_add_expr(r, e);
}

/* A rule as the kernel's dump gives it: built, then through a netlink
 * message and libnftnl's parser, as nft-read.c gets it. */
static struct nftnl_rule *through_netlink(struct nftnl_rule *built, uint8_t nfproto) {
        /* libnftnl writes without bounds: room for the largest rule */
        static uint8_t buf[1u << 20];
        memset(buf, 0, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)));
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
        struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
        g->nfgen_family = nfproto;
        g->version = NFNETLINK_V0;
        nftnl_rule_nlmsg_build_payload(nlh, built);
        struct nftnl_rule *r = nftnl_rule_alloc();
        CHECK(r);
        if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
                nftnl_rule_free(r);
                return NULL;
        }
        return r;
}

static struct nftnl_rule *new_rule(uint8_t nfproto) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        CHECK(r);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, nfproto);
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "filter");
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "INPUT");
        return r;
}

/* The rule written through a message and read back. */
static int rewrite(bs_family family, uint8_t nfproto, const bs_rule *rule, bs_rule *ret) {
        struct nftnl_rule *out = new_rule(nfproto);
        int r = bs_nft_rule_encode(rule, out);
        if (r < 0) {
                nftnl_rule_free(out);
                return r;
        }
        struct nftnl_rule *again = through_netlink(out, nfproto);
        nftnl_rule_free(out);
        CHECK(again);
        r = bs_nft_rule_decode(family, again, ret);
        nftnl_rule_free(again);
        /* A few rules of other tools' read, written, are a form the
         * decoder refuses: the daemon's writes decode what they send
         * (nft-write.c) and refuse such a rule before anything is sent. */
        return r < 0 ? -EOPNOTSUPP : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        input in = { data, size };
        uint8_t head = u8(&in);
        bs_family family = (head & 1) ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        uint8_t nfproto = family == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

        struct nftnl_rule *built = new_rule(nfproto);
        if (head & 2) {
                uint8_t text[256];
                size_t n = blob(&in, text, 255);
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(512);
                CHECK(u);
                CHECK(nftnl_udata_put(u, 0 /* the comment */, n, text));
                nftnl_rule_set_data(built, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                nftnl_udata_buf_free(u);
        }
        for (int i = 0; i < EXPRS_MAX && in.left > 0; i++)
                add_expr(built, &in);
        struct nftnl_rule *in_rule = through_netlink(built, nfproto);
        nftnl_rule_free(built);
        if (!in_rule)
                return 0;  /* what libnftnl cannot read back the kernel would not hold */

        bs_rule a = {}, b = {};
        int r = bs_nft_rule_decode(family, in_rule, &a);
        nftnl_rule_free(in_rule);
        if (r < 0) {
                CHECK(a.n_matches == 0 && !a.matches);
                return 0;
        }

        /* b: a written and read back; c: b written and read back */
        r = rewrite(family, nfproto, &a, &b);
        if (r < 0) {
                /* a rule decoded may still be one the kernel refuses to be
                 * given (iptables-nft too cannot write every rule it reads),
                 * or one whose written form is refused when read */
                CHECK(r == -EINVAL || r == -E2BIG || r == -EOPNOTSUPP);
                bs_rule_done(&a);
                return 0;
        }
        /* a rule of another tool's may take one more write to settle:
         * range != 0..N written as iptables-nft writes it, "> N", reads
         * back as N+1:65535 (as iptables-nft's own rules do) */
        bs_rule c = {}, d = {};
        if (rewrite(family, nfproto, &b, &c) < 0 || rewrite(family, nfproto, &c, &d) < 0) {
                bs_rule_done(&a);
                bs_rule_done(&b);
                bs_rule_done(&c);
                return 0;
        }
        bs_rule_done(&b);
        b = c;
        c = d;
        /* The form written is the form every later write keeps. (It need
         * not be a: a native limit's rate per unit from another tool comes
         * back as the nearest xt rate, as with iptables-nft.) */
        if (!bs_rule_equal(&b, &c)) {
                bs_buf tb = {}, tc = {};
                (void) bs_render_rule(&b, &tb);
                (void) bs_render_rule(&c, &tc);
                fprintf(stderr, "written once: %s\nwritten twice: %s\n", tb.data ? tb.data : "?",
                        tc.data ? tc.data : "?");
                CHECK(!"writing the rule read back does not give it back");
        }
        CHECK(a.packets == b.packets && a.bytes == b.bytes && b.packets == c.packets && b.bytes == c.bytes);
        bs_rule_done(&c);
        bs_rule_done(&a);
        bs_rule_done(&b);
        return 0;
}
