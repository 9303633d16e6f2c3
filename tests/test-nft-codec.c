/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nf_tables rule codec without the kernel: every line of the oracle
 * corpus (tests/oracle/rules-v{4,6}.txt), parsed by the text layer, is
 * encoded into a rule's expressions, carried through a netlink message
 * (what the kernel gets and dumps back) and decoded: the rule must come
 * back equal, counters included, and encode again to the same message
 * bytes. Plus the expressions of a few rules checked one by one against
 * what iptables-nft 1.8.9 writes for them (nft --debug=netlink), and
 * rules iptables-nft could not show refused with -EOPNOTSUPP. */

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft-rule.h"
#include "nft-lossy.h"
#include "oracle-util.h"

static uint8_t nfproto(bs_family f) {
        return f == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

/* rule's expressions as the NEWRULE message a batch would carry; the
 * message's length, 0 when encoding failed (*ret_err then). */
static size_t encode_msg(const bs_rule *rule, const char *chain, void *buf, int *ret_err) {
        memset(buf, 0, 65536);  /* libnftnl leaves some padding as it found it */
        struct nftnl_rule *r = nftnl_rule_alloc();
        g_assert_nonnull(r);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, nfproto(rule->family));
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "filter");
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        int k = bs_nft_rule_encode(rule, r);
        *ret_err = k;
        if (k < 0) {
                nftnl_rule_free(r);
                return 0;
        }
        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, nfproto(rule->family),
                                                     NLM_F_APPEND | NLM_F_CREATE, 1);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftnl_rule_free(r);
        return nlh->nlmsg_len;
}

static struct nftnl_rule *parse_msg(const void *buf) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        g_assert_nonnull(r);
        g_assert_cmpint(nftnl_rule_nlmsg_parse(buf, r), >=, 0);
        return r;
}

static void test_corpus(gconstpointer data) {
        const family_ctx *f = data;
        g_autoptr(corpus) c = corpus_load(f->rules);
        g_autoptr(GString) report = g_string_new(NULL);
        unsigned checked = 0, unwritable = 0, failed = 0;
        static uint8_t buf[65536], buf2[65536];

        for (guint i = 0; i < c->lines->len; i++) {
                const corpus_line *l = &g_array_index(c->lines, corpus_line, i);
                g_autofree char *line = g_strdup_printf("-A %s %s", l->chain, l->rule);
                bs_parse_error perr = { .word_index = -1 };
                bs_change change;
                bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(f->family));
                int k = bs_parse_change(f->family, line, &change, &perr);
                g_assert_cmpint(k, ==, 0);
                change.rule.packets = 1000 + l->lineno;
                change.rule.bytes = 100000 + l->lineno;
                checked++;

                int err = 0;
                const char *reads_as = NULL;
                bool lossy = nft_lossy_line(l->rule, &reads_as);
                size_t len = encode_msg(&change.rule, l->chain, buf, &err);
                if (len == 0) {
                        /* -j QUEUE, "! -s 0/0": iptables-nft cannot write them either */
                        if (err == -EINVAL &&
                            (change.rule.target.kind == BS_TARGET_QUEUE || (lossy && !reads_as)))
                                unwritable++;
                        else {
                                failed++;
                                g_string_append_printf(report, "%s line %u: %s\n    encode: %s\n", f->name, l->lineno,
                                                       line, g_strerror(-err));
                        }
                        bs_change_done(&change);
                        continue;
                }
                struct nftnl_rule *r = parse_msg(buf);
                bs_rule back;
                k = bs_nft_rule_decode(f->family, r, &back);
                nftnl_rule_free(r);
                if (k < 0) {
                        failed++;
                        g_string_append_printf(report, "%s line %u: %s\n    decode: %s\n", f->name, l->lineno, line,
                                               g_strerror(-k));
                        bs_change_done(&change);
                        continue;
                }
                g_autoptr(GString) d = g_string_new(NULL);
                if (lossy) {
                        g_autofree char *got = render_rule(&back);
                        if (!streq(got, reads_as ?: "(refused)"))
                                g_string_append_printf(d, "    decoded: %s\n    iptables-nft reads: %s\n", got,
                                                       reads_as ?: "(refused)");
                } else if (!bs_rule_equal(&back, &change.rule)) {
                        g_autofree char *want = render_rule(&change.rule), *got = render_rule(&back);
                        g_string_append_printf(d, "    decoded != encoded\n      encoded: %s\n      decoded: %s\n",
                                               want, got);
                        append_model_diff(d, "encoded", &change.rule, "decoded", &back);
                }
                if (back.packets != change.rule.packets || back.bytes != change.rule.bytes)
                        g_string_append_printf(d, "    counters %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT "\n",
                                               back.packets, back.bytes);
                size_t len2 = encode_msg(&back, l->chain, buf2, &err);
                if (!lossy && (len2 != len || memcmp(buf, buf2, len) != 0)) {
                        size_t at = 0;
                        while (at < len && at < len2 && buf[at] == buf2[at])
                                at++;
                        g_string_append_printf(d, "    encode(decode(msg)) != msg (%zu vs %zu bytes, from byte %zu)\n",
                                               len2, len, at);
                }
                if (d->len > 0) {
                        failed++;
                        g_string_append_printf(report, "%s line %u: %s\n%s", f->name, l->lineno, line, d->str);
                }
                bs_rule_done(&back);
                bs_change_done(&change);
        }
        if (report->len > 0)
                g_printerr("\n==== %s nft codec failures ====\n%s", f->name, report->str);
        g_printerr("%s: %u corpus lines, %u round-tripped, %u not writable (-j QUEUE, ! -s 0/0), %u failed\n", f->name, checked,
                   checked - unwritable - failed, unwritable, failed);
        g_assert_cmpuint(checked, >, 0);
        if (failed)
                g_test_fail_printf("%s: %u of %u corpus lines fail", f->name, failed, checked);
        /* every exception above is still in the corpus */
        g_assert_cmpuint(checked - unwritable, >, nft_lossy_count());
}

/* ---------------------------------------------- expressions, one by one */

/* The rule's expressions in libnftnl's one-line form, joined by " | ". */
static char *describe(const char *line, bs_family family, bool invert_in) {
        bs_parse_error perr = { .word_index = -1 };
        bs_change change;
        bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(family));
        int k = bs_parse_change(family, line, &change, &perr);
        if (k < 0)
                g_error("%s: %s", line, perr.message);
        /* "! -i +" (no interface) can be read, not typed */
        change.rule.in_invert = change.rule.in_invert || invert_in;
        struct nftnl_rule *r = nftnl_rule_alloc();
        k = bs_nft_rule_encode(&change.rule, r);
        bs_change_done(&change);
        if (k < 0) {
                nftnl_rule_free(r);
                return g_strdup_printf("error %d", k);
        }
        GString *s = g_string_new(NULL);
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        char one[1024];
        while ((e = nftnl_expr_iter_next(it))) {
                nftnl_expr_snprintf(one, sizeof(one), e, NFTNL_OUTPUT_DEFAULT, 0);
                g_string_append_printf(s, "%s%s %s", s->len ? " | " : "", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), one);
        }
        nftnl_expr_iter_destroy(it);
        nftnl_rule_free(r);
        return g_string_free(s, FALSE);
}

static void test_expressions(void) {
        /* what nft --debug=netlink showed for the rules iptables-nft 1.8.9 wrote */
        static const struct {
                bs_family family;
                const char *line, *want;
                bool invert_in;
        } cases[] = {
                { BS_FAMILY_IPV4, "-A INPUT -i + -j ACCEPT",
                  "meta load iifname => reg 1  | counter pkts 0 bytes 0  | immediate reg 0 accept " },
                { BS_FAMILY_IPV4, "-A INPUT -i + -j ACCEPT",
                  "meta load iifname => reg 1  | cmp eq reg 1 0x41564e49 0x00442f4c  | counter pkts 0 bytes 0  | "
                  "immediate reg 0 accept ", true },
                { BS_FAMILY_IPV4, "-A INPUT -p tcp -s 10.0.0.0/8 -m tcp --dport 22 -j ACCEPT",
                  "meta load l4proto => reg 1  | cmp eq reg 1 0x00000006  | "
                  "payload load 1b @ network header + 12 => reg 1  | cmp eq reg 1 0x0000000a  | "
                  "payload load 2b @ transport header + 2 => reg 1  | cmp eq reg 1 0x00001600  | "
                  "counter pkts 0 bytes 0  | immediate reg 0 accept " },
                { BS_FAMILY_IPV4, "-A INPUT -f -m limit --limit 3/min",
                  "payload load 2b @ network header + 6 => reg 1  | "
                  "bitwise reg 1 = ( reg 1 & 0x0000ff1f ) ^ 0x00000000  | cmp neq reg 1 0x00000000  | "
                  "limit rate 3/minute burst 5 type packets flags 0x0  | counter pkts 0 bytes 0 " },
                { BS_FAMILY_IPV6, "-A INPUT -p udp -j ACCEPT",
                  "meta load l4proto => reg 1  | cmp eq reg 1 0x00000011  | counter pkts 0 bytes 0  | "
                  "immediate reg 0 accept " },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *got = describe(cases[i].line, cases[i].family, cases[i].invert_in);
                g_test_message("%s: %s", cases[i].line, got);
                g_assert_cmpstr(got, ==, cases[i].want);
        }
}

/* ---------------------------------------------- what only nft can write */

static void add_meta_cmp(struct nftnl_rule *r, uint32_t key, uint32_t op, const void *data, uint32_t len) {
        struct nftnl_expr *e = nftnl_expr_alloc("meta");
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        e = nftnl_expr_alloc("cmp");
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
        nftnl_rule_add_expr(r, e);
}

static void add_accept(struct nftnl_rule *r, uint32_t verdict) {
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
        nftnl_rule_add_expr(r, e);
}

static void expect_refused(struct nftnl_rule *r, const char *what) {
        bs_rule back;
        int k = bs_nft_rule_decode(BS_FAMILY_IPV4, r, &back);
        g_test_message("%s: %d", what, k);
        g_assert_cmpint(k, ==, -EOPNOTSUPP);
        g_assert_cmpuint(back.n_matches, ==, 0);
        nftnl_rule_free(r);
}

static void test_refused(void) {
        uint8_t tcp = 6;
        uint32_t one = 1;
        struct nftnl_rule *r;

        /* ct state: an expression iptables-nft does not know */
        r = nftnl_rule_alloc();
        struct nftnl_expr *e = nftnl_expr_alloc("ct");
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        add_accept(r, NF_ACCEPT);
        expect_refused(r, "ct");

        /* a meta key iptables-nft does not show (skuid) */
        r = nftnl_rule_alloc();
        add_meta_cmp(r, NFT_META_SKUID, NFT_CMP_EQ, &one, 4);
        add_accept(r, NF_ACCEPT);
        expect_refused(r, "meta skuid");

        /* a protocol compared as "<": iptables-nft would read "==" */
        r = nftnl_rule_alloc();
        add_meta_cmp(r, NFT_META_L4PROTO, NFT_CMP_LT, &tcp, 1);
        expect_refused(r, "l4proto <");

        /* a verdict iptables-nft ignores (continue), and one after the verdict */
        r = nftnl_rule_alloc();
        add_accept(r, (uint32_t) NFT_CONTINUE);
        expect_refused(r, "continue");
        r = nftnl_rule_alloc();
        add_accept(r, NF_ACCEPT);
        add_meta_cmp(r, NFT_META_L4PROTO, NFT_CMP_EQ, &tcp, 1);
        expect_refused(r, "match after verdict");

        /* a port compared twice for equality: iptables-nft would keep the
         * second, the kernel matches neither */
        r = nftnl_rule_alloc();
        add_meta_cmp(r, NFT_META_L4PROTO, NFT_CMP_EQ, &tcp, 1);
        e = nftnl_expr_alloc("payload");
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        for (uint16_t port = 22; port <= 23; port++) {
                uint16_t be = htons(port);
                e = nftnl_expr_alloc("cmp");
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
                nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &be, 2);
                nftnl_rule_add_expr(r, e);
        }
        expect_refused(r, "dport == 22 == 23");

        /* a load nothing compares (other than an interface name) */
        r = nftnl_rule_alloc();
        e = nftnl_expr_alloc("meta");
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        add_accept(r, NF_ACCEPT);
        expect_refused(r, "dangling load");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_data_func("/nft-codec/ipv4/corpus", &family_v4, test_corpus);
        g_test_add_data_func("/nft-codec/ipv6/corpus", &family_v6, test_corpus);
        g_test_add_func("/nft-codec/expressions", test_expressions);
        g_test_add_func("/nft-codec/refused", test_refused);
        return g_test_run();
}
