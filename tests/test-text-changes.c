/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the text layer: word splitting (quotes, escapes, odd
 * lines) and changes: parsed, rendered as a command a shell reads back,
 * and applied to a table. */
#include "text-test-util.h"

/* ------------------------------------------------------------ words */

static void check_split(const char *line, const char *const *expect) {
        char **w;
        size_t n;
        bs_parse_error err;
        g_assert_cmpint(bs_split_words(line, &w, &n, &err), ==, 0);
        g_assert_cmpuint(n, ==, g_strv_length((char **) expect));
        for (size_t i = 0; i < n; i++)
                g_assert_cmpstr(w[i], ==, expect[i]);
        bs_words_free(w, n);
}

/* Odd lines for the splitters and the parser: quotes of both kinds,
 * backslashes, blanks other than the space, bytes outside ASCII, "!",
 * ranges, IPv6, prefixes of long options (main and extension ones,
 * ambiguous ones), abbreviations, unknown options, bad quotes. */
static const char *const odd_lines[] = {
        "",
        "   ",
        "-A INPUT -s 10.0.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT",
        "-A INPUT ! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 1000:2000 -j DROP",
        "-A INPUT -s 10.1/255.255.0.0 -d 0x0a.010.1.2 -j ACCEPT",
        "-A INPUT -s 2001:db8::1/64 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT",
        "-6 -A INPUT -s fe80::1%eth0 -j DROP",
        "-A INPUT -m comment --comment \"a \\\"quoted\\\" comment with \\\\ and 'single'\" -j ACCEPT",
        "-A INPUT -m comment --comment 'single \"double\" quoted' -j ACCEPT",
        "-A INPUT -m comment --comment x\\ y\\'z -j ACCEPT",
        "-A\tINPUT\n-p\vudp\f--dport\r53 -j ACCEPT",
        "-A INPUT -i \xc3\xa9th0 -j ACCEPT",
        "-A INPUT -m comment --comment \xe2\x80\x94\xc2\xa0x -j ACCEPT",
        "--append INPUT --source 1.2.3.4 --proto tcp --match tcp --dp 80 --jump ACCEPT",
        "--app INPUT --src 1.2.3.4 --dst 5.6.7.8 --in-int lo --out eth0 -j DROP",
        "-A INPUT -p tcp --sour 1.2.3.4",
        "-A INPUT -p tcp --d 22 -j ACCEPT",
        "-A INPUT --de INPUT",
        "-A INPUT -p tcp --syn --dport=22 -j ACCEPT",
        "-A INPUT --=x",
        "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -m multiport --dports 1,2:3 -j REJECT --reject-with tcp-reset",
        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc 1.2.3.4/16 -j ACCEPT",
        "-I INPUT 3 -p UDP --sport 1: -m limit --limit 3/min -j LOG --log-prefix \"x y\"",
        "-A INPUT -p 6 -m tcp --dport ssh -j ACCEPT",
        "-A INPUT -p all -j ACCEPT",
        "-A INPUT -p nosuch -j ACCEPT",
        "-A INPUT --nosuch-option 1 -j ACCEPT",
        "-A INPUT -m nosuch -j ACCEPT",
        "-A INPUT -j NOSUCH-CHAIN-NAME-THAT-IS-TOO-LONG-X",
        "-A INPUT ! ! -s 1.2.3.4 -j ACCEPT",
        "-A INPUT -s 1.2.3.4,5.6.7.8 -j ACCEPT",
        "-A INPUT -s 1.2.3.256 -j ACCEPT",
        "-A INPUT -s example.com -j ACCEPT",
        "-A INPUT -m comment --comment \"unterminated",
        "-A INPUT -m comment --comment 'unterminated",
        "-A INPUT -m comment --comment ends\\",
        "-P INPUT DROP",
        "-N my-chain",
        "-t nat -A PREROUTING -j ACCEPT",
        "'' \"\" x\"\"y",
};

static void assert_same_error(const bs_parse_error *a, const bs_parse_error *b) {
        g_assert_cmpint(a->word_index, ==, b->word_index);
        g_assert_cmpstr(a->word, ==, b->word);
        g_assert_cmpstr(a->message, ==, b->message);
}

/* bs_split_words_buf, with one buffer for lines of every length in
 * turn, splits as bs_split_words does, and parsing its words gives the
 * change (model, command, error) that bs_parse_change gives. */
static void test_split_buf(void) {
        bs_words_buf wb = {};
        GString *many = g_string_new(NULL);
        for (int i = 0; i < BS_WORDS_MAX + 1; i++)
                g_string_append(many, i % 2 ? "x " : "\"y z\" ");
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k <= G_N_ELEMENTS(odd_lines); k++) {
                        /* forwards, then backwards: growing and shrinking */
                        size_t idx = pass == 0 ? k : G_N_ELEMENTS(odd_lines) - k;
                        const char *line = idx < G_N_ELEMENTS(odd_lines) ? odd_lines[idx] : many->str;
                        char **w = NULL;
                        size_t n = 0;
                        bs_parse_error e1 = { .word_index = 99 }, e2 = { .word_index = 99 };
                        int r1 = bs_split_words(line, &w, &n, &e1);
                        int r2 = bs_split_words_buf(line, &wb, &e2);
                        g_assert_cmpint(r1, ==, r2);
                        if (r1 < 0) {
                                assert_same_error(&e1, &e2);
                                continue;
                        }
                        g_assert_cmpuint(n, ==, wb.n);
                        for (size_t i = 0; i < n; i++)
                                g_assert_cmpstr(w[i], ==, wb.words[i]);
                        bs_words_free(w, n);

                        for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                                bs_change c1, c2;
                                e1 = e2 = (bs_parse_error){ .word_index = 99 };
                                r1 = bs_parse_change(f, line, &c1, &e1);
                                r2 = bs_parse_change_split(f, line, wb.words, wb.n, &c2, &e2);
                                g_assert_cmpint(r1, ==, r2);
                                if (r1 < 0) {
                                        assert_same_error(&e1, &e2);
                                        continue;
                                }
                                g_assert_true(bs_rule_equal(&c1.rule, &c2.rule));
                                _cleanup_buf_ bs_buf t1 = {}, t2 = {};
                                g_assert_cmpint(bs_render_change(&c1, f, &t1), ==, 0);
                                g_assert_cmpint(bs_render_change(&c2, f, &t2), ==, 0);
                                g_assert_cmpstr(t1.data, ==, t2.data);
                                bs_change_done(&c1);
                                bs_change_done(&c2);
                        }
                }
        g_string_free(many, TRUE);
        bs_words_buf_done(&wb);
        g_assert_null(wb.mem);
}

static void test_split(void) {
        check_split("", (const char *[]){ NULL });
        check_split("  \t ", (const char *[]){ NULL });
        check_split("-A INPUT  -j\tACCEPT\n", (const char *[]){ "-A", "INPUT", "-j", "ACCEPT", NULL });
        check_split("--comment \"a b\" x", (const char *[]){ "--comment", "a b", "x", NULL });
        check_split("'a \"b' \"c 'd\"", (const char *[]){ "a \"b", "c 'd", NULL });
        check_split("\"a\\\"b\\\\c\\'d\"", (const char *[]){ "a\"b\\c'd", NULL });
        check_split("a\\ b c\\\\", (const char *[]){ "a b", "c\\", NULL });
        check_split("x\"\"y '' \"\"", (const char *[]){ "xy", "", "", NULL });
        check_split("a'b'\"c\"d", (const char *[]){ "abcd", NULL });

        char **w;
        size_t n;
        bs_parse_error err;
        g_assert_cmpint(bs_split_words("a \"b c", &w, &n, &err), ==, -EINVAL);
        g_assert_cmpint(err.word_index, ==, 1);
        g_assert_cmpstr(err.word, ==, "\"b c");
        g_assert_cmpint(bs_split_words("a 'b", &w, &n, &err), ==, -EINVAL);
        g_assert_cmpint(bs_split_words("a b\\", &w, &n, &err), ==, -EINVAL);

        GString *many = g_string_new(NULL);
        for (int i = 0; i < BS_WORDS_MAX + 1; i++)
                g_string_append(many, "x ");
        g_assert_cmpint(bs_split_words(many->str, &w, &n, &err), ==, -E2BIG);
        g_string_truncate(many, 0);
        for (int i = 0; i < BS_WORDS_MAX; i++)
                g_string_append(many, "x ");
        g_assert_cmpint(bs_split_words(many->str, &w, &n, &err), ==, 0);
        g_assert_cmpuint(n, ==, BS_WORDS_MAX);
        bs_words_free(w, n);
        g_string_free(many, TRUE);

        char *big = g_malloc(BS_LINE_MAX + 2);
        memset(big, 'a', BS_LINE_MAX + 1);
        big[BS_LINE_MAX + 1] = '\0';
        g_assert_cmpint(bs_split_words(big, &w, &n, &err), ==, -E2BIG);
        g_free(big);
}

/* ------------------------------------------------------------ changes */

/* bs_render_change gives a command a shell reads back: parse it again
 * (without the program name) and compare. */
static void check_render_change(const bs_change *c, bs_family f, const char *expect) {
        bs_buf b = {};
        g_assert_cmpint(bs_render_change(c, f, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, expect);
        bs_change back;
        change_ok(f, strchr(b.data, ' ') + 1, &back);
        g_assert_cmpint(back.kind, ==, c->kind);
        g_assert_cmpstr(back.chain, ==, c->chain);
        g_assert_cmpstr(back.table, ==, c->table);
        g_assert_cmpuint(back.position, ==, c->kind == BS_CHANGE_INSERT && !c->position ? 1 : c->position);
        g_assert_cmpint(back.policy, ==, c->policy);
        g_assert_true(bs_rule_equal(&back.rule, &c->rule));
        bs_change_done(&back);
        bs_buf_done(&b);
}

static void test_changes(void) {
        bs_change c;
        bs_parse_error err;

        change_ok(BS_FAMILY_IPV4, "-A INPUT -p tcp --dport 22 -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_APPEND);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV4);
        g_assert_cmpstr(c.table, ==, "filter");
        g_assert_cmpstr(c.chain, ==, "INPUT");
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-I INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_INSERT);
        g_assert_cmpuint(c.position, ==, 1);
        check_render_change(&c, BS_FAMILY_IPV4,
                            "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV6, "--insert INPUT 3 -p ipv6-icmp --icmpv6-type 135 -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_INSERT);
        g_assert_cmpuint(c.position, ==, 3);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        check_render_change(&c, BS_FAMILY_IPV6,
                            "ip6tables -I INPUT 3 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-t nat -R POSTROUTING 2 -o eth0 -j RETURN", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_REPLACE);
        g_assert_cmpstr(c.table, ==, "nat");
        g_assert_cmpuint(c.position, ==, 2);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t nat -R POSTROUTING 2 -o eth0 -j RETURN");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "--delete INPUT -m comment --comment \"it's mine\" -j DROP", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -D INPUT -m comment --comment 'it'\\''s mine' -j DROP");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-D INPUT 4", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE_NUM);
        g_assert_cmpuint(c.position, ==, 4);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -D INPUT 4");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-P INPUT DROP", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_POLICY);
        g_assert_cmpint(c.policy, ==, BS_POLICY_DROP);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -P INPUT DROP");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV6, "-6 --new-chain allow-ssh", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_NEW_CHAIN);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        check_render_change(&c, BS_FAMILY_IPV6, "ip6tables -N allow-ssh");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-4 -t raw -X mychain", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE_CHAIN);
        g_assert_cmpstr(c.table, ==, "raw");
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV4);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t raw -X mychain");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-F FORWARD -w", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_FLUSH);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -F FORWARD");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-t mangle -A PREROUTING -g 'odd$name'", &c);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t mangle -A PREROUTING -g 'odd$name'");
        bs_change_done(&c);

        /* -4 / -6: the line is for one family only */
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV6, "-4 -A INPUT -s 10.0.0.1 -j DROP", &c, &err), ==,
                        -EAFNOSUPPORT);
        g_assert_cmpstr(err.word, ==, "-4");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-t filter -6 -A INPUT -s ::1 -j DROP", &c, &err), ==,
                        -EAFNOSUPPORT);
        change_ok(BS_FAMILY_IPV6, "-t filter -6 -A INPUT -s ::1 -j DROP", &c);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        bs_change_done(&c);

        /* applying parsed changes to a table */
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        const char *lines[] = {
                "-A INPUT -p tcp --dport 22 -j ACCEPT",
                "-I INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
                "-D INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                change_ok(BS_FAMILY_IPV4, lines[i], &c);
                g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
                bs_change_done(&c);
        }
        bs_buf b = {};
        g_assert_cmpint(bs_render_table(t, "INPUT", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, "-P INPUT ACCEPT\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n");
        bs_buf_done(&b);
        bs_table_free(t);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text/split", test_split);
        g_test_add_func("/text/split-buf", test_split_buf);
        g_test_add_func("/text/changes", test_changes);
        return g_test_run();
}
