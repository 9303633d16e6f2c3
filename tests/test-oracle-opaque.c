/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The oracle's opaque rules: rules the model does not know (recent,
 * hashlimit, string, MARK, ...) survive bs_nf_read + bs_nf_restore byte for
 * byte: iptables-save prints the same before and after. Root, in a network
 * namespace and with an xtables lock of its own (oracle-util.h). */
#include "oracle-util.h"

typedef struct opaque_rule {
        const char *table;
        const char *line;  /* after "-t TABLE", split on spaces */
} opaque_rule;

/* Rules with extensions the model keeps as opaque bytes, mixed with known
 * ones. Each also checked to really come back opaque. */
static const opaque_rule opaque_v4[] = {
        { "filter", "-N opq" },
        { "filter", "-A INPUT -m recent --name x --set" },
        { "filter", "-A INPUT -m recent --name x --rcheck --seconds 60 --hitcount 3 -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
                    "--hashlimit-mode srcip --hashlimit-name hl4 -j ACCEPT" },
        { "filter", "-A INPUT -m string --algo bm --string foo -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 80 -m string --algo kmp --string GET -j opq" },
        { "filter", "-A opq -m length --length 100:200 -m ttl --ttl-gt 5 -j ACCEPT" },
        { "filter", "-A opq -m conntrack --ctstate NEW -m connlimit --connlimit-above 10 -j REJECT" },
        { "filter", "-A FORWARD -j opq" },
        { "mangle", "-A PREROUTING -j MARK --set-mark 0x1" },
        { "mangle", "-A PREROUTING -m mark --mark 0x2/0xff -j CONNMARK --save-mark" },
        { "mangle", "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu" },
        { "mangle", "-A OUTPUT -j DSCP --set-dscp 0x0a" },
};

static const opaque_rule opaque_v6[] = {
        { "filter", "-N opq" },
        { "filter", "-A INPUT -m recent --name x6 --set" },
        { "filter", "-A INPUT -m recent --name x6 --update --seconds 30 -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
                    "--hashlimit-mode srcip --hashlimit-name hl6 -j ACCEPT" },
        { "filter", "-A INPUT -m string --algo bm --string foo -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 80 -m string --algo kmp --string GET -j opq" },
        { "filter", "-A opq -m length --length 100:200 -m hl --hl-gt 5 -j ACCEPT" },
        { "filter", "-A opq -m conntrack --ctstate NEW -m connlimit --connlimit-above 10 -j REJECT" },
        { "filter", "-A FORWARD -j opq" },
        { "mangle", "-A PREROUTING -j MARK --set-mark 0x1" },
        { "mangle", "-A PREROUTING -m mark --mark 0x2/0xff -j CONNMARK --save-mark" },
        { "mangle", "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu" },
        { "mangle", "-A OUTPUT -j HL --hl-set 64" },
};

static unsigned count_opaque(const bs_table *t) {
        unsigned n = 0;
        for (size_t i = 0; i < t->n_chains; i++)
                for (size_t j = 0; j < t->chains[i].n_rules; j++) {
                        const bs_rule *r = &t->chains[i].rules[j];
                        for (size_t m = 0; m < r->n_matches; m++)
                                n += r->matches[m].kind == BS_MATCH_OPAQUE;
                        n += r->target.kind == BS_TARGET_OPAQUE;
                }
        return n;
}

static void test_opaque(gconstpointer data) {
        const family_ctx *f = data;
        const opaque_rule *rules = f->family == BS_FAMILY_IPV6 ? opaque_v6 : opaque_v4;
        size_t n = f->family == BS_FAMILY_IPV6 ? G_N_ELEMENTS(opaque_v6) : G_N_ELEMENTS(opaque_v4);
        static const char *const tables[] = { "filter", "mangle" };

        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++)
                reset_table(f, tables[i]);
        for (size_t i = 0; i < n; i++) {
                g_auto(GStrv) words = g_strsplit(rules[i].line, " ", -1);
                g_autofree char *err = NULL;
                int r = run_ipt(f, NULL, &err, words, g_strv_length(words), "-t", rules[i].table, NULL);
                if (r != 0)
                        g_error("%s -t %s %s failed (%d): %s", f->ipt, rules[i].table, rules[i].line, r, err);
        }

        char *before[G_N_ELEMENTS(tables)] = {};
        bs_table *snap[G_N_ELEMENTS(tables)] = {};
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                before[i] = ipt_save(f, tables[i]);
                int k = bs_nf_read(f->family, tables[i], &nf_options, &snap[i]);
                if (k < 0)
                        g_error("bs_nf_read(%s, %s): %s", f->name, tables[i], g_strerror(-k));
        }
        /* filter: recent x2, hashlimit, string x2, length, ttl/hl, connlimit;
         * mangle: MARK, mark, CONNMARK, TCPMSS, DSCP/HL. */
        g_assert_cmpuint(count_opaque(snap[0]), ==, 8);
        g_assert_cmpuint(count_opaque(snap[1]), ==, 5);

        /* Change both tables every way a snapshot must undo. */
        ipt_ok(f, "-F", NULL);
        ipt_ok(f, "-X", NULL);
        ipt_ok(f, "-N", "other", NULL);
        ipt_ok(f, "-A", "INPUT", "-p", "udp", "-j", "other", NULL);
        ipt_ok(f, "-P", "INPUT", "DROP", NULL);
        ipt_ok(f, "-P", "FORWARD", "DROP", NULL);
        ipt_ok(f, "-t", "mangle", "-D", "PREROUTING", "1", NULL);
        ipt_ok(f, "-t", "mangle", "-I", "OUTPUT", "-j", "MARK", "--set-mark", "0x7", NULL);
        g_autofree char *changed = ipt_save(f, "filter");
        g_assert_cmpstr(changed, !=, before[0]);

        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                int k = bs_nf_restore(snap[i], &nf_options);
                if (k < 0)
                        g_error("bs_nf_restore(%s, %s): %s", f->name, tables[i], g_strerror(-k));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                g_autofree char *after = ipt_save(f, tables[i]);
                if (!streq(after, before[i])) {
                        g_autoptr(GString) d = g_string_new(NULL);
                        append_line_diff(d, "before", before[i], "after restore", after);
                        g_printerr("\n==== %s %s: iptables-save differs after bs_nf_restore ====\n%s", f->name,
                                   tables[i], d->str);
                        g_test_fail_printf("%s %s: iptables-save differs after snapshot/restore", f->name, tables[i]);
                }
                _cleanup_table_ bs_table *again = NULL;
                int k = bs_nf_read(f->family, tables[i], &nf_options, &again);
                g_assert_cmpint(k, ==, 0);
                if (!bs_table_equal(again, snap[i])) {
                        g_autoptr(GString) d = g_string_new(NULL);
                        append_table_diff(d, "snapshot", snap[i], "read after restore", again);
                        g_printerr("\n==== %s %s: table read after bs_nf_restore != snapshot ====\n%s", f->name,
                                   tables[i], d->str);
                        g_test_fail_printf("%s %s: table read after restore != snapshot", f->name, tables[i]);
                }
                bs_table_free(snap[i]);
                g_free(before[i]);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++)
                reset_table(f, tables[i]);
}

int main(int argc, char **argv) {
        int r = oracle_init(&argc, &argv);
        if (r != 0)
                return r;
        g_test_add_data_func("/oracle/ipv4/opaque-restore", &family_v4, test_opaque);
        g_test_add_data_func("/oracle/ipv6/opaque-restore", &family_v6, test_opaque);
        return oracle_run();
}
