/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/table.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>

#include <glib/gstdio.h>

#include "nft-read.h"
#include "nft-rule.h"
#include "nft-sock.h"
#include "oracle-nft.h"
#include "oracle-util.h"

static uint8_t nfproto(bs_family f) {
        return f == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

typedef struct dump_pick {
        size_t want, seen;
        GBytes *msg;
} dump_pick;

static int pick_cb(const struct nlmsghdr *nlh, void *userdata) {
        dump_pick *p = userdata;
        if (p->seen++ == p->want)
                p->msg = g_bytes_new(nlh, nlh->nlmsg_len);
        return MNL_CB_OK;
}

GBytes *oracle_nft_dump_rule(bs_family family, const char *chain, size_t index, int *ret_err) {
        _cleanup_nft_sock_ bs_nft_sock s = {};
        uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
        dump_pick pick = { .want = index };
        int k = bs_nft_sock_open(&s);

        *ret_err = 0;
        if (k < 0) {
                *ret_err = k;
                return NULL;
        }
        struct nlmsghdr *nlh = bs_nft_request_header(&s, buf, NFT_MSG_GETRULE, nfproto(family), NLM_F_DUMP);
        struct nftnl_rule *filter = nftnl_rule_alloc();
        g_assert_nonnull(filter);
        nftnl_rule_set_str(filter, NFTNL_RULE_TABLE, "filter");
        nftnl_rule_set_str(filter, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_nlmsg_build_payload(nlh, filter);
        nftnl_rule_free(filter);
        k = bs_nft_talk(&s, nlh, pick_cb, &pick);
        if (k < 0) {
                *ret_err = k;
                g_clear_pointer(&pick.msg, g_bytes_unref);
        }
        return pick.msg;
}

GBytes *oracle_nft_rule_attr(GBytes *msg, uint16_t type) {
        gsize len;
        const struct nlmsghdr *nlh = g_bytes_get_data(msg, &len);
        const struct nlattr *a;

        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == type)
                        return g_bytes_new(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
        return NULL;
}

char *oracle_nft_describe(GBytes *msg) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        GString *s = g_string_new(NULL);
        char line[4096];

        g_assert_nonnull(r);
        if (nftnl_rule_nlmsg_parse(g_bytes_get_data(msg, NULL), r) < 0) {
                nftnl_rule_free(r);
                g_string_append(s, "(does not parse)");
                return g_string_free(s, FALSE);
        }
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        while ((e = nftnl_expr_iter_next(it))) {
                nftnl_expr_snprintf(line, sizeof(line), e, NFTNL_OUTPUT_DEFAULT, 0);
                g_string_append_printf(s, "[ %s %s]\n", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), line);
        }
        nftnl_expr_iter_destroy(it);
        nftnl_rule_free(r);
        return g_string_free(s, FALSE);
}

/* The table and the built-in chain, as iptables-nft makes them when they
 * are not there: NLM_F_CREATE, so that they are left alone when they are. */
static void add_table_and_chain(bs_nft_batch *b, bs_nft_sock *s, uint8_t family, const char *chain) {
        static const struct {
                const char *name;
                uint32_t hook;
        } hooks[] = { { "INPUT", NF_INET_LOCAL_IN }, { "FORWARD", NF_INET_FORWARD }, { "OUTPUT", NF_INET_LOCAL_OUT } };
        struct nlmsghdr *nlh;

        struct nftnl_table *t = nftnl_table_alloc();
        g_assert_nonnull(t);
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, "filter");
        g_assert_cmpint(bs_nft_batch_msg(b, s, NFT_MSG_NEWTABLE, family, NLM_F_CREATE, &nlh), ==, 0);
        nftnl_table_nlmsg_build_payload(nlh, t);
        g_assert_cmpint(bs_nft_batch_msg_add(b, nlh), ==, 0);
        nftnl_table_free(t);

        for (size_t i = 0; i < G_N_ELEMENTS(hooks); i++) {
                if (!streq(hooks[i].name, chain))
                        continue;
                struct nftnl_chain *c = nftnl_chain_alloc();
                g_assert_nonnull(c);
                nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "filter");
                nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooks[i].hook);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
                nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
                g_assert_cmpint(bs_nft_batch_msg(b, s, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, &nlh), ==, 0);
                nftnl_chain_nlmsg_build_payload(nlh, c);
                g_assert_cmpint(bs_nft_batch_msg_add(b, nlh), ==, 0);
                nftnl_chain_free(c);
        }
}

int oracle_nft_append(const bs_rule *rule, const char *chain, bool create) {
        _cleanup_nft_sock_ bs_nft_sock s = {};
        _cleanup_nft_batch_ bs_nft_batch b = {};
        struct nlmsghdr *nlh;
        int k;

        if ((k = bs_nft_sock_open(&s)) < 0)
                return k;
        struct nftnl_rule *r = nftnl_rule_alloc();
        if (!r)
                return -ENOMEM;
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, nfproto(rule->family));
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "filter");
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        k = bs_nft_rule_encode(rule, r);
        if (k >= 0)
                k = bs_nft_batch_begin(&b, &s, 0);
        if (k >= 0 && create)
                add_table_and_chain(&b, &s, nfproto(rule->family), chain);
        if (k >= 0)
                k = bs_nft_batch_msg(&b, &s, NFT_MSG_NEWRULE, nfproto(rule->family), NLM_F_CREATE | NLM_F_APPEND, &nlh);
        if (k >= 0) {
                nftnl_rule_nlmsg_build_payload(nlh, r);
                k = bs_nft_batch_msg_add(&b, nlh);
        }
        nftnl_rule_free(r);
        if (k >= 0)
                k = bs_nft_batch_commit(&b, &s, NULL, NULL, NULL);
        return k;
}

/* ------------------------------------------------------------ more tests */

static char *render(const bs_table *t, bool counters) {
        _cleanup_buf_ bs_buf b = {};
        g_assert_cmpint(bs_render_table(t, NULL, counters, &b), ==, 0);
        return g_strndup(b.data ?: "", b.len);
}

static void nft_ok(const char *command) {
        g_autofree char *err = NULL;
        const char *argv[] = { "nft", command, NULL };
        int r = run_argv((char **) argv, NULL, &err);
        if (r != 0)
                g_error("nft '%s' failed (%d): %s", command, r, err);
}

static int read_table(bs_family family, bs_table **ret, uint32_t *ret_genid) {
        _cleanup_nft_sock_ bs_nft_sock s = {};
        int k = bs_nft_sock_open(&s);
        if (k < 0)
                return k;
        return bs_nft_read_table(&s, family, "filter", ret, ret_genid);
}

/* No table at all: what iptables-nft lists, the three built-in chains. */
static void test_absent(gconstpointer data) {
        const family_ctx *f = data;
        _cleanup_table_ bs_table *t = NULL;
        uint32_t genid = 0, now = 0;

        nft_ok("flush ruleset");
        g_assert_cmpint(read_table(f->family, &t, &genid), ==, 0);
        g_assert_cmpuint(t->n_chains, ==, 3);
        g_assert_cmpuint(bs_table_count_rules(t), ==, 0);
        for (size_t i = 0; i < t->n_chains; i++)
                g_assert_cmpint(t->chains[i].policy, ==, BS_POLICY_ACCEPT);
        g_autofree char *want = ipt_list(f, NULL), *want_v = ipt_list_full(f, NULL, true);
        g_autofree char *got = render(t, false), *got_v = render(t, true);
        g_assert_cmpstr(got, ==, want);
        g_assert_cmpstr(got_v, ==, want_v);
        /* the generation the read saw is the ruleset's */
        _cleanup_nft_sock_ bs_nft_sock s = {};
        g_assert_cmpint(bs_nft_sock_open(&s), ==, 0);
        g_assert_cmpint(bs_nft_genid(&s, &now), ==, 0);
        g_assert_cmpuint(genid, ==, now);
}

/* Tables the nft tool changed so that iptables-nft cannot show them as
 * iptables rules: we must not read (and later rewrite) them either. */
static void test_incompatible(gconstpointer data) {
        const family_ctx *f = data;
        const char *fam = f->family == BS_FAMILY_IPV6 ? "ip6" : "ip";
        static const struct {
                const char *what, *command;
                const char *cli_says;  /* what iptables-nft -S prints (stdout or stderr); NULL: it lists
                                        * the table, which we still refuse */
        } cases[] = {
                { "a rule with ct state", "add rule FAM filter INPUT ct state established accept",
                  "table `filter' is incompatible" },
                /* iptables-nft 1.8.9 lists this one as "-A INPUT -j ACCEPT":
                 * it drops the lookup, which only its ebtables reads */
                { "a rule with a set lookup", "add rule FAM filter INPUT meta l4proto { tcp, udp } accept", NULL },
                { "a rule with reject", "add rule FAM filter INPUT reject", "table `filter' is incompatible" },
                { "FORWARD at another priority",
                  "add chain FAM filter FORWARD { type filter hook forward priority 10; }",
                  "contains incompatible base-chains" },
                { "a base chain of another name", "add chain FAM filter foo { type filter hook output priority 0; }",
                  "contains incompatible base-chains" },
                { "a named set", "add set FAM filter blocked { type ifname; }", NULL },
                { "a user chain iptables cannot name",
                  "add chain FAM filter a-chain-name-longer-than-iptables-allows", NULL },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                nft_ok("flush ruleset");
                ipt_ok(f, "-A", "INPUT", "-j", "ACCEPT", NULL);
                /* read before the nft tool's change: what makes it unreadable is that change */
                _cleanup_table_ bs_table *before = NULL;
                g_assert_cmpint(read_table(f->family, &before, NULL), ==, 0);
                g_assert_cmpuint(bs_table_count_rules(before), ==, 1);
                g_auto(GStrv) parts = g_strsplit(cases[i].command, "FAM", -1);
                g_autofree char *cmd = g_strjoinv(fam, parts);
                nft_ok(cmd);
                _cleanup_table_ bs_table *t = NULL;
                int k = read_table(f->family, &t, NULL);
                g_autofree char *out = NULL, *err = NULL;
                const char *argv[] = { f->ipt, "-S", NULL };
                int r = run_argv((char **) argv, &out, &err);
                g_printerr("%s, %s: read %s; %s -S exits %d:\n%s%s", f->name, cases[i].what, g_strerror(-k), f->ipt,
                           r, err ?: "", out ?: "");
                g_assert_cmpint(k, ==, -EOPNOTSUPP);
                g_assert_null(t);
                if (cases[i].cli_says) {
                        g_autofree char *both = g_strconcat(out ?: "", err ?: "", NULL);
                        g_assert_nonnull(strstr(both, cases[i].cli_says));
                }
        }
        nft_ok("flush ruleset");
}

/* Rules the nft tool wrote in forms iptables-nft shows as iptables rules
 * (its comment in the rule's user data among them): we read them as it
 * lists them. */
static void test_nft_written(gconstpointer data) {
        const family_ctx *f = data;
        bool v6 = f->family == BS_FAMILY_IPV6;
        const char *const commands[] = {
                v6 ? "add rule ip6 filter INPUT tcp dport 22 counter accept comment \"ssh in\""
                   : "add rule ip filter INPUT tcp dport 22 counter accept comment \"ssh in\"",
                v6 ? "add rule ip6 filter INPUT iifname \"eth0\" ip6 saddr 2001:db8::/32 counter drop"
                   : "add rule ip filter INPUT iifname \"eth0\" ip saddr 10.0.0.0/8 counter drop",
                v6 ? "add rule ip6 filter INPUT udp sport 53 udp dport 1024-65535 counter accept"
                   : "add rule ip filter INPUT udp sport 53 udp dport 1024-65535 counter accept",
        };

        nft_ok("flush ruleset");
        ipt_ok(f, "-A", "INPUT", "-j", "DROP", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                nft_ok(commands[i]);
        _cleanup_table_ bs_table *t = NULL;
        g_assert_cmpint(read_table(f->family, &t, NULL), ==, 0);
        g_autofree char *want = ipt_list(f, NULL), *want_v = ipt_list_full(f, NULL, true);
        g_autofree char *got = render(t, false), *got_v = render(t, true);
        g_test_message("%s", got);
        g_assert_cmpstr(got, ==, want);
        g_assert_cmpstr(got_v, ==, want_v);
        g_assert_cmpuint(bs_table_count_rules(t), ==, 1 + G_N_ELEMENTS(commands));
        nft_ok("flush ruleset");
}

/* 10,000 rules (a mix of what the corpus uses) read; the time printed
 * beside that of `iptables-nft -S` on them, not judged. */
static void test_many(gconstpointer data) {
        const family_ctx *f = data;
        const unsigned n = 10000;
        bool v6 = f->family == BS_FAMILY_IPV6;
        g_autoptr(GString) text = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
                                               ":OUTPUT ACCEPT [0:0]\n:svc - [0:0]\n");
        for (unsigned i = 0; i < n; i++) {
                const char *chain = i % 3 == 0 ? "svc" : "INPUT";
                g_autofree char *addr = v6 ? g_strdup_printf("2001:db8::%x:%x/128", i >> 8, i & 0xff)
                                           : g_strdup_printf("10.%u.%u.%u/32", i >> 16, (i >> 8) & 0xff, i & 0xff);
                switch (i % 4) {
                case 0:
                        g_string_append_printf(text, "-A %s -s %s -p tcp -m tcp --dport %u -j ACCEPT\n", chain, addr,
                                               1 + i % 60000);
                        break;
                case 1:
                        g_string_append_printf(text, "-A %s -i eth%u -m conntrack --ctstate NEW -m comment "
                                                     "--comment \"rule %u\" -j DROP\n", chain, i % 8, i);
                        break;
                case 2:
                        g_string_append_printf(text, "-A %s -d %s -p udp -m udp --sport 53 -m limit --limit %u/min "
                                                     "-j LOG --log-prefix \"r%u \"\n", chain, addr, 1 + i % 50, i);
                        break;
                default:
                        g_string_append_printf(text, "-A %s -p tcp -m multiport --dports 80,443 -j svc\n",
                                               i % 3 == 0 ? "INPUT" : chain);
                        break;
                }
        }
        g_string_append(text, "COMMIT\n");
        g_autofree char *path = NULL;
        GError *error = NULL;
        int fd = g_file_open_tmp("backstop-nft-many-XXXXXX", &path, &error);
        g_assert_no_error(error);
        close(fd);
        g_assert_true(g_file_set_contents(path, text->str, (gssize) text->len, &error));
        nft_ok("flush ruleset");
        g_autofree char *restore = g_strdup_printf("%s-restore", f->ipt);
        const char *argv[] = { restore, path, NULL };
        g_autofree char *err = NULL;
        int r = run_argv((char **) argv, NULL, &err);
        g_unlink(path);
        if (r != 0)
                g_error("%s failed (%d): %s", restore, r, err);

        double best_read = G_MAXDOUBLE, best_cli = G_MAXDOUBLE;
        _cleanup_table_ bs_table *t = NULL;
        for (int round = 0; round < 3; round++) {
                if (t)
                        bs_table_free(t);
                t = NULL;
                gint64 t0 = g_get_monotonic_time();
                g_assert_cmpint(read_table(f->family, &t, NULL), ==, 0);
                best_read = MIN(best_read, (double) (g_get_monotonic_time() - t0) / 1000.0);
                g_autofree char *out = NULL;
                const char *list[] = { f->ipt, "-S", NULL };
                t0 = g_get_monotonic_time();
                g_assert_cmpint(run_argv((char **) list, &out, NULL), ==, 0);
                best_cli = MIN(best_cli, (double) (g_get_monotonic_time() - t0) / 1000.0);
        }
        g_assert_cmpuint(bs_table_count_rules(t), ==, n);
        g_autofree char *want = ipt_list(f, NULL), *got = render(t, false);
        g_assert_cmpstr(got, ==, want);
        g_printerr("%s: %u rules: bs_nft_read_table %.1f ms, %s -S %.1f ms (best of 3)\n", f->name, n, best_read,
                   f->ipt, best_cli);
        nft_ok("flush ruleset");
}

static char *nft_list(void) {
        g_autofree char *out = NULL, *err = NULL;
        const char *argv[] = { "nft", "list", "ruleset", NULL };
        int r = run_argv((char **) argv, &out, &err);
        if (r != 0)
                g_error("nft list ruleset failed (%d): %s", r, err);
        return g_steal_pointer(&out);
}

/* Into an empty ruleset, our batch makes the table and the chain as
 * iptables-nft does, then the rule: the ruleset is the very one
 * iptables-nft makes for the same command, and it lists and finds it. */
static void test_fresh(gconstpointer data) {
        const family_ctx *f = data;
        const char *line = f->family == BS_FAMILY_IPV6 ? "-A INPUT -s 2001:db8::1/128 -p tcp -m tcp --dport 22 -j ACCEPT"
                                                       : "-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT";
        bs_parse_error perr = { .word_index = -1 };
        bs_change change;
        bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(f->family));
        g_assert_cmpint(bs_parse_change(f->family, line, &change, &perr), ==, 0);

        nft_ok("flush ruleset");
        g_auto(GStrv) words = g_strsplit(line, " ", -1);
        g_autofree char *err = NULL;
        g_assert_cmpint(run_ipt(f, NULL, &err, words, g_strv_length(words), NULL), ==, 0);
        g_autofree char *want = nft_list(), *want_s = ipt_list(f, NULL);

        nft_ok("flush ruleset");
        g_assert_cmpint(oracle_nft_append(&change.rule, "INPUT", true), ==, 0);
        g_autofree char *got = nft_list(), *got_s = ipt_list(f, NULL);
        g_assert_cmpstr(got, ==, want);
        g_assert_cmpstr(got_s, ==, want_s);
        words[0][1] = 'C';  /* -A -> -C */
        g_assert_cmpint(run_ipt(f, NULL, NULL, words, g_strv_length(words), NULL), ==, 0);
        bs_change_done(&change);
        nft_ok("flush ruleset");
}

void oracle_nft_add_tests(void) {
        g_test_add_data_func("/oracle/nft/ipv4/fresh", &family_nft_v4, test_fresh);
        g_test_add_data_func("/oracle/nft/ipv6/fresh", &family_nft_v6, test_fresh);
        g_test_add_data_func("/oracle/nft/ipv4/absent", &family_nft_v4, test_absent);
        g_test_add_data_func("/oracle/nft/ipv6/absent", &family_nft_v6, test_absent);
        g_test_add_data_func("/oracle/nft/ipv4/incompatible", &family_nft_v4, test_incompatible);
        g_test_add_data_func("/oracle/nft/ipv6/incompatible", &family_nft_v6, test_incompatible);
        g_test_add_data_func("/oracle/nft/ipv4/nft-written", &family_nft_v4, test_nft_written);
        g_test_add_data_func("/oracle/nft/ipv6/nft-written", &family_nft_v6, test_nft_written);
        g_test_add_data_func("/oracle/nft/ipv4/many", &family_nft_v4, test_many);
        g_test_add_data_func("/oracle/nft/ipv6/many", &family_nft_v6, test_many);
}
