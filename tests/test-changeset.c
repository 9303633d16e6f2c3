/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the change set parser (daemon/text/changeset.c): the family
 * rule of the API (a change goes to every family it is valid for), the
 * limits, and the errors that name the bad change. */
#include <glib.h>

#include "changeset.h"
#include "text.h"
#include "worst-changes.h"

static int parse(const char *const *lines, bool ipv6, bs_changeset *s, char *err) {
        size_t n = 0;
        while (lines[n])
                n++;
        return bs_changeset_parse((char *const *) lines, n, ipv6, s, err, 256);
}

static void test_family_rule(void) {
        struct {
                const char *line;
                unsigned families;  /* bit 0 ipv4, bit 1 ipv6 */
        } cases[] = {
                { "-P INPUT DROP", 3 },
                { "-A INPUT -p tcp --dport 22 -j ACCEPT", 3 },
                { "-A INPUT -s 192.0.2.1 -j ACCEPT", 1 },
                { "-A INPUT -s 2001:db8::1 -j ACCEPT", 2 },
                { "-4 -A INPUT -j ACCEPT", 1 },
                { "-6 -A INPUT -j ACCEPT", 2 },
                { "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT", 1 },
                { "-A INPUT -p ipv6-icmp --icmpv6-type 135 -j ACCEPT", 2 },
                { "-N svc", 3 },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_changeset_ bs_changeset s = {};
                char err[256] = "";
                const char *lines[] = { cases[i].line, NULL };
                int r = parse(lines, true, &s, err);
                if (r < 0)
                        g_error("\"%s\": %d %s", cases[i].line, r, err);
                unsigned got = 0;
                for (size_t k = 0; k < s.n_changes; k++)
                        got |= s.changes[k].families;
                g_assert_cmpuint(got, ==, cases[i].families);
                g_assert_cmpuint(s.n_changes, ==, cases[i].families == 3 ? 2 : 1);
                g_assert_cmpuint(s.n_commands, ==, s.n_changes);
                for (size_t k = 0; k < s.n_changes; k++) {
                        const char *prog = s.changes[k].families == BS_FAMILY_MASK_IPV6 ? "ip6tables " : "iptables ";
                        g_assert_true(g_str_has_prefix(s.commands[k], prog));
                }
        }
}

/* The set takes a line for each family whose own parse takes it, with
 * the same change and its command: bs_changeset_parse skips the IPv6 parse
 * of a line with an IPv4 address (see ipv4_address_given), which must not
 * change what it answers. The lines mix addresses that are "any" in one
 * family only, masks and prefixes in every form, and address options that
 * are not -s/-d. */
static void test_families_as_each_parse(void) {
        static const char *const lines[] = {
                "-A INPUT -s 10.0.39.16/32 -p tcp -m tcp --dport 10001 -j ACCEPT",
                "-A INPUT -s 10.0.0.0/0 -j ACCEPT",
                "-A INPUT -s 10.0.0.1/0.0.0.0 -j ACCEPT",
                "-A INPUT -s 0/0 -d 192.0.2.1 -j DROP",
                "-A INPUT -d 192.0.2.1/0 -j DROP",
                "-A INPUT -s 1.2.3.4/0x0 -j ACCEPT",
                "-A INPUT -s 1.2.3.4/0x20 -j ACCEPT",
                "-A INPUT -s 1.2.3.4/010 -j ACCEPT",
                "-A INPUT -d 1.2.3.4/255.255.255.0 -j ACCEPT",
                "-A INPUT -d 1.2.3.4/255.0.255.0 -j ACCEPT",
                "-A INPUT ! -s 10.1.2.3 -j ACCEPT",
                "-A INPUT -s 10 -j ACCEPT",
                "-A INPUT -s 0x0a.1 -j ACCEPT",
                "-A INPUT -s 10.0.0.1/64 -j ACCEPT",
                "-A INPUT -s ::/0 -j ACCEPT",
                "-A INPUT -s ::1/0 -d 10.0.0.1 -j ACCEPT",
                "-A INPUT -s 2001:db8::1/64 -j ACCEPT",
                "-A INPUT -s fe80::1%eth0 -j ACCEPT",
                "-A INPUT -s host.example -j ACCEPT",
                "-A INPUT -p icmp --icmp-type 8 -s 10.0.0.1 -j ACCEPT",
                "-A INPUT -s 10.0.0.1 -p ipv6-icmp --icmpv6-type 135 -j ACCEPT",
                "-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT",
                "-A INPUT -m conntrack --ctorigsrc 10.0.0.1 -j ACCEPT",
                "-A INPUT -s 10.0.0.1 -j REJECT --reject-with icmp-port-unreachable",
                "-A INPUT -s 10.0.0.1 -j REJECT --reject-with tcp-reset -p tcp",
                "-I INPUT 3 -s 192.0.2.0/24 -d 0.0.0.0/0 -j LOG --log-prefix \"x y\"",
                "-4 -A INPUT -s 10.0.0.1 -j ACCEPT",
                "-6 -A INPUT -s 10.0.0.1 -j ACCEPT",
                "-A INPUT -f -s 10.0.0.1 -j ACCEPT",
                "-A INPUT -s 10.0.0.1 -f -j ACCEPT",
                "-D INPUT -s 10.0.0.1 -o eth0 -j ACCEPT",
                "-A INPUT -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT",
                "-P INPUT DROP",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                bs_change want[2];
                bs_parse_error e;
                int r[2];
                unsigned families = 0;
                for (int f = 0; f < 2; f++) {
                        r[f] = bs_parse_change(f ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4, lines[i], &want[f], &e);
                        if (r[f] >= 0)
                                families |= f ? BS_FAMILY_MASK_IPV6 : BS_FAMILY_MASK_IPV4;
                }
                _cleanup_changeset_ bs_changeset s = {};
                char err[256] = "";
                const char *one[] = { lines[i], NULL };
                int k = parse(one, true, &s, err);
                if (families == 0)
                        g_assert_cmpint(k, <, 0);
                else {
                        if (k < 0)
                                g_error("\"%s\": %d %s", lines[i], k, err);
                        g_assert_cmpuint(s.n_changes, ==, (size_t) __builtin_popcount(families));
                        size_t at = 0;
                        for (int f = 0; f < 2; f++) {
                                if (r[f] < 0)
                                        continue;
                                const bs_change *c = &s.changes[at];
                                g_assert_cmpuint(c->families, ==, f ? BS_FAMILY_MASK_IPV6 : BS_FAMILY_MASK_IPV4);
                                g_assert_cmpint(c->kind, ==, want[f].kind);
                                g_assert_cmpstr(c->chain, ==, want[f].chain);
                                g_assert_true(bs_rule_equal(&c->rule, &want[f].rule));
                                _cleanup_buf_ bs_buf cmd = {};
                                g_assert_cmpint(bs_render_change(&want[f], f ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4, &cmd),
                                                ==, 0);
                                g_assert_cmpstr(s.commands[at], ==, cmd.data);
                                at++;
                        }
                }
                for (int f = 0; f < 2; f++)
                        if (r[f] >= 0)
                                bs_change_done(&want[f]);
        }
}

static void test_no_ipv6(void) {
        _cleanup_changeset_ bs_changeset s = {};
        char err[256] = "";
        const char *both[] = { "-P INPUT DROP", NULL };
        g_assert_cmpint(parse(both, false, &s, err), ==, 0);
        g_assert_cmpuint(s.n_changes, ==, 1);
        g_assert_cmpuint(s.changes[0].families, ==, BS_FAMILY_MASK_IPV4);
        bs_changeset_done(&s);
        const char *v6[] = { "-A INPUT -s 2001:db8::1 -j ACCEPT", NULL };
        g_assert_cmpint(parse(v6, false, &s, err), ==, -EAFNOSUPPORT);
        g_assert_nonnull(strstr(err, "2001:db8::1"));
}

static void test_errors_name_the_change(void) {
        struct {
                const char *line;
                const char *mentions;
        } cases[] = {
                { "-A INPUT -s 300.1.1.1 -j ACCEPT", "300.1.1.1" },
                { "-A INPUT -p tcp --dport 70000", "70000" },
                { "-Z INPUT", "-Z" },
                { "-t nat -A PREROUTING -j ACCEPT", "filter" },
                { "-A INPUT -j ACCEPT \"unterminated", "unterminated" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_changeset_ bs_changeset s = {};
                char err[256] = "";
                const char *lines[] = { "-A INPUT -j ACCEPT", cases[i].line, NULL };
                int r = parse(lines, true, &s, err);
                g_assert_cmpint(r, ==, -EINVAL);
                if (!strstr(err, cases[i].mentions))
                        g_error("\"%s\": message \"%s\" does not name \"%s\"", cases[i].line, err, cases[i].mentions);
                g_assert_nonnull(strstr(err, "change 2"));
                g_assert_cmpuint(s.n_changes, ==, 0);
        }
}

static void test_limits(void) {
        _cleanup_changeset_ bs_changeset s = {};
        char err[256] = "";
        const char *none[] = { NULL };
        g_assert_cmpint(parse(none, true, &s, err), ==, -EINVAL);
        g_autofree char *xs = g_strnfill(8200, 'x');
        g_autofree char *big = g_strdup_printf("-A INPUT -m comment --comment %s", xs);
        const char *toolong[] = { big, NULL };
        g_assert_cmpint(parse(toolong, true, &s, err), ==, -EINVAL);
        g_assert_nonnull(strstr(err, "8192"));
        g_autofree const char **many = g_new0(const char *, BS_CHANGESET_MAX + 2);
        for (size_t i = 0; i <= BS_CHANGESET_MAX; i++)
                many[i] = "-P INPUT DROP";
        g_assert_cmpint(parse(many, true, &s, err), ==, -E2BIG);
}

static void test_apply(void) {
        _cleanup_table_ bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL);
        bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL);
        bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL);
        _cleanup_changeset_ bs_changeset s = {};
        char err[256];
        const char *lines[] = { "-N svc", "-A svc -j ACCEPT", "-I INPUT 1 -j svc", "-P INPUT DROP", NULL };
        g_assert_cmpint(parse(lines, true, &s, err), ==, 0);
        _cleanup_table_ bs_table *after = NULL;
        g_assert_cmpint(bs_changeset_apply(&s, t, &after, NULL), ==, 0);
        g_assert_cmpuint(bs_table_count_rules(after), ==, 2);
        g_assert_cmpint(bs_table_find_chain(after, "INPUT")->policy, ==, BS_POLICY_DROP);
        g_assert_cmpuint(bs_table_count_rules(t), ==, 0); /* the input is untouched */

        _cleanup_changeset_ bs_changeset bad = {};
        const char *lines2[] = { "-A INPUT -j ACCEPT", "-D INPUT 7", NULL };
        g_assert_cmpint(parse(lines2, true, &bad, err), ==, 0);
        bs_table *none = NULL;
        size_t failed = 99;
        g_assert_cmpint(bs_changeset_apply(&bad, t, &none, &failed), ==, -ERANGE);
        g_assert_null(none);
        g_assert_cmpuint(failed, ==, 2); /* the IPv4 -D, after both -A */
}

static void test_only_widens(void) {
        struct {
                const char *lines[4];
                bool widens;
        } cases[] = {
                { { "-I INPUT 1 -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT", NULL }, true },
                { { "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-N svc",
                    "-A svc -p udp -m multiport --dports 53,67 -m limit --limit 5/s -j ACCEPT" }, true },
                { { "-A INPUT -i lo -m comment --comment 'loopback' -j ACCEPT", NULL }, true },
                { { "-A INPUT -j DROP", NULL }, false },
                { { "-I INPUT 1 -p tcp --dport 22 -j REJECT", NULL }, false },
                { { "-A INPUT -p tcp -j svc", NULL }, false },   /* a jump: what svc does decides */
                { { "-A INPUT -j RETURN", NULL }, false },
                { { "-A INPUT -j ACCEPT", "-P INPUT DROP" }, false },
                { { "-A INPUT -j ACCEPT", "-D INPUT 1" }, false },
                { { "-R INPUT 1 -j ACCEPT", NULL }, false },     /* replaces what was there */
                { { "-F INPUT", NULL }, false },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_changeset_ bs_changeset s = {};
                char err[256] = "";
                int r = parse(cases[i].lines, true, &s, err);
                if (r < 0)
                        g_error("case %zu: %d %s", i, r, err);
                if (bs_changeset_only_widens(&s) != cases[i].widens)
                        g_error("case %zu (\"%s\"): expected %s", i, cases[i].lines[0],
                                cases[i].widens ? "widens" : "not only widening");
        }

        /* an extension kept as bytes (from the kernel) could be `recent
         * --set`, whose state other rules read: not counted as widening */
        bs_change c;
        bs_change_init(&c, BS_CHANGE_APPEND, BS_FAMILY_MASK_IPV4);
        g_strlcpy(c.chain, "INPUT", sizeof(c.chain));
        bs_rule_init(&c.rule, BS_FAMILY_IPV4);
        c.rule.target.kind = BS_TARGET_ACCEPT;
        bs_changeset one = { .changes = &c, .n_changes = 1 };
        g_assert_true(bs_changeset_only_widens(&one));
        bs_match *m = bs_rule_add_match(&c.rule, BS_MATCH_OPAQUE);
        g_strlcpy(m->opaque.name, "recent", sizeof(m->opaque.name));
        g_assert_false(bs_changeset_only_widens(&one));
        bs_change_done(&c);
}

/* The largest change set one call may carry, with a service name in every
 * port: it parses, and the time it takes is printed (it bounds the work a
 * call authorized to parse can cause; the limits were chosen by it). */
static void test_worst_case_parse(void) {
        g_auto(GStrv) lines = worst_changes(BS_CHANGESET_TEXT_MAX, BS_CHANGESET_MAX);
        size_t n = g_strv_length(lines), bytes = 0;
        for (size_t i = 0; i < n; i++)
                bytes += strlen(lines[i]);
        g_assert_cmpuint(n, >, 1000);
        double best = 1e9;
        for (int run = 0; run < 3; run++) {
                _cleanup_changeset_ bs_changeset s = {};
                char err[256] = "";
                gint64 t0 = g_get_monotonic_time();
                int r = bs_changeset_parse(lines, n, true, &s, err, sizeof(err));
                gint64 t1 = g_get_monotonic_time();
                if (r < 0)
                        g_error("%d %s", r, err);
                g_assert_cmpuint(s.n_changes, ==, 2 * n);
                best = MIN(best, (t1 - t0) / 1e3);
        }
        g_test_message("worst-case parse: %zu changes, %zu bytes, %zu service names: %.1f ms (best of 3)", n, bytes,
                       n * 16 * G_N_ELEMENTS(worst_services), best);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/changeset/family-rule", test_family_rule);
        g_test_add_func("/changeset/families-as-each-parse", test_families_as_each_parse);
        g_test_add_func("/changeset/no-ipv6", test_no_ipv6);
        g_test_add_func("/changeset/errors-name-the-change", test_errors_name_the_change);
        g_test_add_func("/changeset/limits", test_limits);
        g_test_add_func("/changeset/apply", test_apply);
        g_test_add_func("/changeset/only-widens", test_only_widens);
        g_test_add_func("/changeset/worst-case-parse", test_worst_case_parse);
        return g_test_run();
}
