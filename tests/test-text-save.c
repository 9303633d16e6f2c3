/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the text layer: whole tables rendered, iptables-save's
 * format, extensions kept as bytes, and service names from /etc/services. */
#include <arpa/inet.h>
#include <netdb.h>

#include "text-test-util.h"

/* ------------------------------------------------------------ tables, save */

static bs_table *sample_table(void) {
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_DROP, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "foo", false, BS_POLICY_NONE, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "Abc", false, BS_POLICY_NONE, NULL), ==, 0);
        const char *lines[] = {
                "-A INPUT -c 5 100 -j foo",
                "-A INPUT -s 1.2.3.4",
                "-A INPUT -m comment --comment \"a b\" -j LOG",
                "-A foo -g Abc",
                "-A foo -c 7 8 -p tcp --dport 22 -j RETURN",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                bs_change c;
                change_ok(BS_FAMILY_IPV4, lines[i], &c);
                g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
                bs_change_done(&c);
        }
        bs_table_find_chain(t, "INPUT")->policy_packets = 11;
        bs_table_find_chain(t, "INPUT")->policy_bytes = 2222;
        return t;
}

static void test_render_table(void) {
        bs_table *t = sample_table();
        bs_buf b = {};
        /* as iptables-legacy -S prints it (observed): -P, -N, then -A */
        g_assert_cmpint(bs_render_table(t, NULL, false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT ACCEPT\n"
                        "-P FORWARD DROP\n"
                        "-P OUTPUT ACCEPT\n"
                        "-N Abc\n"
                        "-N foo\n"
                        "-A INPUT -j foo\n"
                        "-A INPUT -s 1.2.3.4/32\n"
                        "-A INPUT -m comment --comment \"a b\" -j LOG\n"
                        "-A foo -g Abc\n"
                        "-A foo -p tcp -m tcp --dport 22 -j RETURN\n");
        bs_buf_done(&b);
        /* -S -v: counters after the matches, before the target */
        g_assert_cmpint(bs_render_table(t, NULL, true, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT ACCEPT -c 11 2222\n"
                        "-P FORWARD DROP -c 0 0\n"
                        "-P OUTPUT ACCEPT -c 0 0\n"
                        "-N Abc\n"
                        "-N foo\n"
                        "-A INPUT -c 5 100 -j foo\n"
                        "-A INPUT -s 1.2.3.4/32 -c 0 0\n"
                        "-A INPUT -m comment --comment \"a b\" -c 0 0 -j LOG\n"
                        "-A foo -c 0 0 -g Abc\n"
                        "-A foo -p tcp -m tcp --dport 22 -c 7 8 -j RETURN\n");
        bs_buf_done(&b);
        g_assert_cmpint(bs_render_table(t, "foo", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, "-N foo\n-A foo -g Abc\n-A foo -p tcp -m tcp --dport 22 -j RETURN\n");
        bs_buf_done(&b);
        g_assert_cmpint(bs_render_table(t, "nosuch", false, &b), ==, -ENOENT);
        bs_buf_done(&b);

        /* the -S -v form parses back with its counters */
        bs_change c;
        change_ok(BS_FAMILY_IPV4, "-A foo -p tcp -m tcp --dport 22 -c 7 8 -j RETURN", &c);
        g_assert_cmpuint(c.rule.packets, ==, 7);
        g_assert_cmpuint(c.rule.bytes, ==, 8);
        bs_change_done(&c);
        bs_table_free(t);
}

static void test_save(void) {
        bs_table *t = sample_table();
        bs_buf b = {};
        g_assert_cmpint(bs_render_save(t, true, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "*filter\n"
                        ":INPUT ACCEPT [11:2222]\n"
                        ":FORWARD DROP [0:0]\n"
                        ":OUTPUT ACCEPT [0:0]\n"
                        ":Abc - [0:0]\n"
                        ":foo - [0:0]\n"
                        "[5:100] -A INPUT -j foo\n"
                        "[0:0] -A INPUT -s 1.2.3.4/32\n"
                        "[0:0] -A INPUT -m comment --comment \"a b\" -j LOG\n"
                        "[0:0] -A foo -g Abc\n"
                        "[7:8] -A foo -p tcp -m tcp --dport 22 -j RETURN\n"
                        "COMMIT\n");

        /* round trip, counters included */
        bs_table *back = NULL;
        bs_parse_error err;
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, NULL, &back, &err), ==, 0);
        g_assert_true(bs_table_equal(t, back));
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->policy_packets, ==, 11);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->policy_bytes, ==, 2222);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->rules[0].packets, ==, 5);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[1].bytes, ==, 8);
        bs_table_free(back);
        bs_buf_done(&b);

        /* the largest counters, written without printf, read back whole */
        bs_chain *foo = bs_table_find_chain(t, "foo");
        foo->rules[0].packets = UINT64_MAX;
        foo->rules[0].bytes = 10000000000000000000ULL;
        g_assert_cmpint(bs_render_save(t, true, &b), ==, 0);
        g_assert_nonnull(strstr(b.data, "\n[18446744073709551615:10000000000000000000] -A foo -g Abc\n"));
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, NULL, &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[0].packets, ==, UINT64_MAX);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[0].bytes, ==, 10000000000000000000ULL);
        bs_table_free(back);
        bs_buf_done(&b);
        foo->rules[0].packets = foo->rules[0].bytes = 0;

        /* without counters the rules read back with zero counters */
        g_assert_cmpint(bs_render_save(t, false, &b), ==, 0);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, "filter", &back, &err), ==, 0);
        g_assert_true(bs_table_equal(t, back));
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->rules[0].packets, ==, 0);
        bs_table_free(back);
        bs_buf_done(&b);
        bs_table_free(t);

        /* what iptables-legacy-save printed (observed), several tables, -4/-6 lines */
        const char *saved =
                "# Generated by iptables-save v1.8.9 on Fri Nov 27 17:01:59 2026\n"
                "*nat\n"
                ":PREROUTING ACCEPT [0:0]\n"
                ":INPUT ACCEPT [0:0]\n"
                ":OUTPUT ACCEPT [0:0]\n"
                ":POSTROUTING ACCEPT [3:180]\n"
                "-A POSTROUTING -o eth0 -j RETURN\n"
                "COMMIT\n"
                "*filter\n"
                ":INPUT DROP [1:2]\n"
                ":FORWARD ACCEPT [0:0]\n"
                ":OUTPUT ACCEPT [0:0]\n"
                "-A INPUT -i lo -j ACCEPT\n"
                "-6 -A INPUT -s ::1/128 -j ACCEPT\n"
                "-4 -A INPUT -s 127.0.0.1/32 -j ACCEPT\n"
                "[9:99] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                "COMMIT\n"
                "# Completed on Fri Nov 27 17:01:59 2026\n";
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, NULL, &back, &err), ==, 0);
        g_assert_cmpstr(back->name, ==, "filter");
        bs_chain *in = bs_table_find_chain(back, "INPUT");
        g_assert_cmpint(in->policy, ==, BS_POLICY_DROP);
        g_assert_cmpuint(in->n_rules, ==, 3);
        g_assert_cmpuint(in->rules[2].packets, ==, 9);
        g_assert_cmpint(bs_render_table(back, "INPUT", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 127.0.0.1/32 -j ACCEPT\n"
                        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        bs_buf_done(&b);
        bs_table_free(back);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, "nat", &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "POSTROUTING")->policy_packets, ==, 3);
        g_assert_cmpuint(bs_table_find_chain(back, "POSTROUTING")->n_rules, ==, 1);
        bs_table_free(back);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, "raw", &back, &err), ==, -ENOENT);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV6, saved, NULL, &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->n_rules, ==, 3);
        bs_table_free(back);

        /* errors name the line */
        static const struct {
                const char *text;
                const char *where;
        } bad[] = {
                { "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n", "line 4:" },
                { "-A INPUT -j DROP\n", "line 1:" },
                { "*filter\n:INPUT BOGUS [0:0]\nCOMMIT\n", "line 2:" },
                { "*filter\n:foo ACCEPT [0:0]\nCOMMIT\n", "line 2:" },
                { "*filter\n:INPUT ACCEPT [x:0]\nCOMMIT\n", "line 2:" },
                { "*bogus\nCOMMIT\n", "line 1:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n-A nosuch -j DROP\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n[1:2 -A INPUT\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "line 3:" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                back = NULL;
                int r = bs_parse_save(BS_FAMILY_IPV4, bad[i].text, NULL, &back, &err);
                g_assert_cmpint(r, ==, -EBADMSG);
                g_assert_null(back);
                if (!g_str_has_prefix(err.message, bad[i].where))
                        g_error("case %zu: \"%s\" does not start with %s", i, err.message, bad[i].where);
        }
}

/* Extensions the model keeps as bytes print, without a provider (text.h),
 * whole in the raw form: never as "-m recent" alone, a shorter rule that
 * iptables would take. The raw form reads back exactly; the extension's
 * options do not parse without a provider. */
static void test_opaque(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-p tcp --dport 22", &r);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
        g_assert_nonnull(m);
        strcpy(m->opaque.name, "recent");
        m->opaque.revision = 1;
        m->opaque.size = 8;
        m->opaque.data = g_malloc0(8);
        m->opaque.data[0] = 0xab;
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "MARK");
        g_autofree char *s = render(&r);
        g_assert_cmpstr(s, ==, "-p tcp -m tcp --dport 22 -m recent --backstop-raw 1:ab00000000000000 "
                               "-j MARK --backstop-raw 0:");
        bs_rule back;
        bs_parse_error err;
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, s, &back, &err), ==, 0);
        g_assert_true(bs_rule_equal(&r, &back));
        bs_rule_done(&back);
        bs_rule_done(&r);

        /* the model's own names too: a tcp match with bytes it does not
         * take, a REJECT target likewise */
        parse_ok(BS_FAMILY_IPV4, "-p tcp", &r);
        m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
        strcpy(m->opaque.name, "tcp");
        m->opaque.size = 16;
        m->opaque.data = g_malloc0(16);
        memset(m->opaque.data, 0xff, 16);
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "REJECT");
        g_autofree char *s2 = render(&r);
        g_assert_cmpstr(s2, ==, "-p tcp -m tcp --backstop-raw 0:ffffffffffffffffffffffffffffffff "
                                "-j REJECT --backstop-raw 0:");
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, s2, &back, &err), ==, 0);
        g_assert_true(bs_rule_equal(&r, &back));
        bs_rule_done(&back);
        bs_rule_done(&r);

        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, "-m recent --name x", &r, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "recent");
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, "-m recent --backstop-raw 1:abc", &r, &err), ==, -EINVAL);
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, "-m recent --backstop-raw 1:ab00", &r, &err), ==, -EINVAL);
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, "-m recent --backstop-raw 256:", &r, &err), ==, -EINVAL);
}

/* ------------------------------------------------------------ services */

static int getserv_port(const char *name, const char *proto) {
        struct servent se, *res = NULL;
        char buf[4096];
        if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || !res)
                return -1;
        return ntohs((uint16_t) res->s_port);
}

/* Every name and alias of /etc/services, with every protocol the file
 * names and with none: the table answers what getservbyname_r does. */
static void test_services(void) {
        g_autofree char *text = NULL;
        if (!g_file_get_contents("/etc/services", &text, NULL, NULL)) {
                g_test_skip("no /etc/services");
                return;
        }
        const char *protos[] = { "tcp", "udp", "sctp", "ddp", "dccp", NULL };
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        size_t names = 0;
        for (char **l = lines; *l; l++) {
                char *hash = strchr(*l, '#');
                if (hash)
                        *hash = '\0';
                g_auto(GStrv) words = g_strsplit_set(*l, " \t", -1);
                bool first = true;
                for (char **w = words; *w; w++) {
                        if (!**w)
                                continue;
                        if (first || !strchr(*w, '/')) {
                                for (size_t p = 0; p < G_N_ELEMENTS(protos); p++) {
                                        int want = getserv_port(*w, protos[p]);
                                        int got = text_service_port(*w, protos[p]);
                                        if (want != got)
                                                g_error("%s/%s: getservbyname_r %d, table %d", *w,
                                                        protos[p] ? protos[p] : "(any)", want, got);
                                }
                                names++;
                        }
                        first = false;
                }
        }
        g_test_message("%zu names compared", names);
        g_assert_cmpuint(names, >, 100);
        g_assert_cmpint(text_service_port("no-such-service-here", NULL), ==, -1);
        g_assert_cmpint(text_service_port("ssh", "no-such-proto"), ==, -1);
        g_assert_cmpint(text_service_port("", NULL), ==, -1);
}

/* A changed file is read again; a missing one knows no names. */
static void test_services_reload(void) {
        g_autofree char *dir = g_dir_make_tmp("bs-services-XXXXXX", NULL);
        g_assert_nonnull(dir);
        g_autofree char *path = g_build_filename(dir, "services", NULL);
        g_assert_true(g_file_set_contents(path, "alpha 1000/tcp a1 # comment\nalpha 1001/udp\n"
                                                "beta\t2000//sctp\n# gamma 3000/tcp\nbad x/tcp\n", -1, NULL));
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, 1000);
        g_assert_cmpint(text_service_port("a1", "tcp"), ==, 1000);
        g_assert_cmpint(text_service_port("alpha", "udp"), ==, 1001);
        g_assert_cmpint(text_service_port("beta", "sctp"), ==, 2000);
        g_assert_cmpint(text_service_port("gamma", NULL), ==, -1);
        g_assert_cmpint(text_service_port("bad", NULL), ==, -1);
        g_assert_cmpint(text_service_port("comment", NULL), ==, -1);
        /* a new file in its place (another inode, size): read again */
        g_autofree char *tmp = g_build_filename(dir, "services.new", NULL);
        g_assert_true(g_file_set_contents(tmp, "alpha 1500/tcp\n", -1, NULL));
        g_assert_cmpint(rename(tmp, path), ==, 0);
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, 1500);
        g_assert_cmpint(text_service_port("beta", NULL), ==, -1);
        g_assert_cmpint(unlink(path), ==, 0);
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, -1);
        g_assert_cmpint(rmdir(dir), ==, 0);
        text_services_use_file("/etc/services");
}


int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text/render-table", test_render_table);
        g_test_add_func("/text/save", test_save);
        g_test_add_func("/text/opaque", test_opaque);
        g_test_add_func("/text/services", test_services);
        g_test_add_func("/text/services-reload", test_services_reload);
        return g_test_run();
}
