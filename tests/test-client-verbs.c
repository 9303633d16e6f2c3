/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl's daily verbs against the real backstopd (tests/bus-fixture.c:
 * a private network namespace, system bus and the daemon from the build
 * tree), with the backend's own iptables as the oracle (bus-test-util.c):
 *  - allow/deny/reject SERVICE: the rules they make in each family, where
 *    they go (before a catch-all DROP/REJECT), nothing twice, --from, the
 *    built-in and /etc/services names, the errors and their exit codes;
 *  - default-deny --allow with names and bare ports;
 *  - services, in text and JSON;
 *  - rules --numbered (each number checked with "iptables -S CHAIN N"),
 *    delete and move, in one family or both, and their refusals;
 *  - diff (GNU diff -u the oracle) and status's count of unsaved lines.
 * Every change verb runs with --no-wait behind the timer and is rolled back
 * or confirmed by the test. Exits 77 when not root or without namespaces. */

#include <gio/gio.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "bus-test-util.h"
#include "client-run.h"

static BsBusFixture *fixture;

#define CTL(out, err, ...) client_run_va(fixture->bus_address, out, err, __VA_ARGS__, NULL)

static gboolean ipv6_active(void) {
        g_autofree char *out = NULL;
        g_assert_cmpint(CTL(&out, NULL, "--json", "status"), ==, 0);
        g_autofree char *v = json_eval(out, "d['manager']['IPv6Active']");
        return g_str_equal(v, "True");
}

static void assert_no_pending(void) {
        g_autofree char *out = NULL;
        g_assert_cmpint(CTL(&out, NULL, "--json", "status"), ==, 0);
        g_autofree char *pending = json_eval(out, "d['manager']['PendingTransaction']");
        g_assert_cmpstr(pending, ==, "/");
}

static void rollback(void) {
        g_assert_cmpint(CTL(NULL, NULL, "-q", "rollback"), ==, 0);
}

/* Whether family f's -S output holds line (a whole line). */
static gboolean has_line(int f, const char *line) {
        g_autofree char *s = bs_test_ipt_S(f);
        g_autofree char *needle = g_strdup_printf("\n%s\n", line);
        g_autofree char *hay = g_strdup_printf("\n%s", s);
        return strstr(hay, needle) != NULL;
}

static void test_allow_by_name(void) {
        bs_test_reset_tables();
        gboolean v6 = ipv6_active();
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(CTL(&out, &err, "allow", "ssh", "--no-wait"), ==, 0);
        /* what apply prints: the iptables commands it made */
        g_assert_nonnull(strstr(out, "  iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"));
        g_assert_true(has_line(4, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
        if (v6) {
                g_assert_nonnull(strstr(out, "  ip6tables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"));
                g_assert_true(has_line(6, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
        }
        g_assert_cmpint(CTL(NULL, NULL, "-q", "confirm"), ==, 0);

        /* the same again: nothing to change, no transaction */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "allow", "22/tcp", "--no-wait"), ==, 0);
        g_assert_cmpstr(out, ==, "Nothing to change: INPUT has these rules already.\n");
        assert_no_pending();
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "allow", "ssh"), ==, 0);
        g_autofree char *j = json_eval(out, "[d['transaction'], d['state']]");
        g_assert_cmpstr(j, ==, "[None, 'unchanged']");
        assert_no_pending();

        /* https from /etc/services: tcp and udp; --from makes it IPv4 only */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "--json", "allow", "https", "--from", "192.0.2.9/24", "--no-wait"), ==, 0);
        g_clear_pointer(&j, g_free);
        j = json_eval(out, "[d['state'], d['changes']]");
        g_assert_cmpstr(j, ==, "['pending', ['iptables -A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 443 -j ACCEPT', "
                               "'iptables -A INPUT -s 192.0.2.0/24 -p udp -m udp --dport 443 -j ACCEPT']]");
        g_assert_true(has_line(4, "-A INPUT -s 192.0.2.0/24 -p udp -m udp --dport 443 -j ACCEPT"));
        g_autofree char *s6 = bs_test_ipt_S(6);
        g_assert_null(strstr(s6, "443"));
        rollback();

        /* a family that has the rule already is left alone */
        if (v6) {
                bs_test_ipt(4, "-A INPUT -p udp --dport 5353 -j ACCEPT");
                g_clear_pointer(&out, g_free);
                g_assert_cmpint(CTL(&out, NULL, "--json", "allow", "mdns", "--no-wait"), ==, 0);
                g_clear_pointer(&j, g_free);
                j = json_eval(out, "d['changes']");
                g_assert_cmpstr(j, ==, "['ip6tables -A INPUT -p udp -m udp --dport 5353 -j ACCEPT']");
                rollback();
                bs_test_ipt(4, "-D INPUT -p udp --dport 5353 -j ACCEPT");
        }

        /* behind the timer: unconfirmed, it is rolled back (exit 3) */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "allow", "8081", "--timeout", "2"), ==, 3);
        g_assert_nonnull(strstr(out, "was rolled back (timeout): the previous rules are back.\n"));
        g_assert_false(has_line(4, "-A INPUT -p tcp -m tcp --dport 8081 -j ACCEPT"));
        assert_no_pending();

        /* the lockout pre-flight: dropping what loopback's probe uses is
         * refused (exit 4) unless forced */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "deny", "1", "--no-wait"), ==, 4);
        g_assert_true(g_str_has_prefix(err, "Refused: "));
        assert_no_pending();
        g_assert_cmpint(CTL(NULL, NULL, "-q", "deny", "1", "--no-wait", "--force"), ==, 0);
        g_assert_true(has_line(4, "-A INPUT -p tcp -m tcp --dport 1 -j DROP"));
        rollback();

        /* a built-in name standing for two protocols, and an IPv6 source */
        if (v6) {
                g_clear_pointer(&out, g_free);
                g_assert_cmpint(CTL(&out, NULL, "allow", "dns", "--from", "2001:db8::1", "--no-wait"), ==, 0);
                g_assert_true(has_line(6, "-A INPUT -s 2001:db8::1/128 -p udp -m udp --dport 53 -j ACCEPT"));
                g_assert_true(has_line(6, "-A INPUT -s 2001:db8::1/128 -p tcp -m tcp --dport 53 -j ACCEPT"));
                g_autofree char *s4 = bs_test_ipt_S(4);
                g_assert_null(strstr(s4, "53"));
                rollback();
        }
        bs_test_reset_tables();
}

static void test_deny_reject_placement(void) {
        bs_test_reset_tables();
        gboolean v6 = ipv6_active();
        /* IPv4 ends in a catch-all: new rules go before it, else they would
         * never be reached; IPv6 has none: appended. */
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -j REJECT");
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(CTL(&out, &err, "deny", "telnet", "--no-wait"), ==, 0);
        g_assert_nonnull(strstr(out, "  iptables -I INPUT 2 -p tcp -m tcp --dport 23 -j DROP\n"));
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(s4, "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 23 -j DROP\n"
                                    "-A INPUT -j REJECT --reject-with icmp-port-unreachable\n"));
        if (v6) {
                g_assert_nonnull(strstr(out, "  ip6tables -A INPUT -p tcp -m tcp --dport 23 -j DROP\n"));
                g_assert_true(has_line(6, "-A INPUT -p tcp -m tcp --dport 23 -j DROP"));
        }
        g_assert_cmpint(CTL(NULL, NULL, "-q", "confirm"), ==, 0);

        /* reject: -S shows each family's default --reject-with; asking again
         * finds the rules made (nothing to change) */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "reject", "8080", "--no-wait"), ==, 0);
        g_assert_true(has_line(4, "-A INPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable"));
        if (v6)
                g_assert_true(has_line(6, "-A INPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with "
                                          "icmp6-port-unreachable"));
        g_assert_cmpint(CTL(NULL, NULL, "-q", "confirm"), ==, 0);
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "reject", "8080/tcp"), ==, 0);
        g_assert_cmpstr(out, ==, "Nothing to change: INPUT has these rules already.\n");
        /* -4 restricts it to one family */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "-4", "allow", "8443/udp", "--no-wait"), ==, 0);
        g_assert_nonnull(strstr(out, "  iptables -I INPUT 4 -p udp -m udp --dport 8443 -j ACCEPT\n"));
        g_assert_null(strstr(out, "ip6tables"));
        rollback();
        bs_test_reset_tables();
}

static void test_service_errors(void) {
        bs_test_reset_tables();
        struct {
                const char *args[4];
                int code;
                const char *message;
        } cases[] = {
                { { "allow", "nosuchservice" }, 9, "Unknown service 'nosuchservice'" },
                { { "deny", "ssh/udp" }, 9, "Service 'ssh/udp': no such protocol" },
                { { "allow", "70000" }, 2, "invalid service '70000': ports are 1-65535" },
                { { "allow", "22/icmp" }, 2, "invalid service '22/icmp': the protocol must be" },
                { { "allow", "ssh", "--from", "host.example" }, 2, "invalid --from 'host.example'" },
                { { "-6", "allow", "ssh", "--from" }, 2, "needs an argument" },
                { { "allow" }, 2, "too few arguments for 'allow'" },
                { { "default-deny", "--allow", "nosuchservice" }, 9, "Unknown service 'nosuchservice'" },
                { { "services", "nosuchservice" }, 9, "Unknown service 'nosuchservice'" },
                { { "apply", "--from", "192.0.2.1", "-P INPUT DROP" }, 2, "--from is only valid with" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                const char *args[5] = {};
                for (size_t k = 0; k < 4 && cases[i].args[k]; k++)
                        args[k] = cases[i].args[k];
                g_autofree char *out = NULL, *err = NULL;
                int code = client_run_simple(fixture->bus_address, args, NULL, &out, &err);
                if (code != cases[i].code || !strstr(err, cases[i].message))
                        g_error("backstopctl %s %s: exit %d (want %d), stderr: %s", args[0], args[1] ? args[1] : "",
                                code, cases[i].code, err);
                g_assert_cmpstr(out, ==, "");
        }
        assert_no_pending();
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
}

static void test_default_deny_names(void) {
        bs_test_reset_tables();
        gboolean v6 = ipv6_active();
        /* ssh, ssh/tcp and a bare 22 all mean 22/tcp; dns stands for two */
        const char *const allows[] = { "ssh", "ssh/tcp", "22" };
        for (size_t i = 0; i < G_N_ELEMENTS(allows); i++) {
                g_autofree char *out = NULL, *err = NULL;
                int code = CTL(&out, &err, "default-deny", "--allow", allows[i], "--no-wait", "--force");
                if (code != 0)
                        g_error("default-deny --allow %s: exit %d: %s", allows[i], code, err);
                g_assert_true(has_line(4, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
                g_assert_true(has_line(4, "-P INPUT DROP"));
                rollback();
                g_assert_true(has_line(4, "-P INPUT ACCEPT"));
        }
        g_autofree char *out = NULL;
        g_assert_cmpint(CTL(&out, NULL, "default-deny", "--allow", "ssh", "--allow", "dns", "--no-wait", "--force"),
                        ==, 0);
        for (int f = 4; f <= (v6 ? 6 : 4); f += 2) {
                g_assert_true(has_line(f, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
                g_assert_true(has_line(f, "-A INPUT -p udp -m udp --dport 53 -j ACCEPT"));
                g_assert_true(has_line(f, "-A INPUT -p tcp -m tcp --dport 53 -j ACCEPT"));
        }
        rollback();
        bs_test_reset_tables();
}

static void test_services_listing(void) {
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(CTL(&out, &err, "services"), ==, 0);
        g_assert_true(g_str_has_prefix(out, "dns "));
        g_assert_nonnull(strstr(out, "53/udp 53/tcp"));
        g_assert_nonnull(strstr(out, "\nssh "));
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "services", "dns", "ssh", "8080"), ==, 0);
        g_autofree char *j = json_eval(out, "[(s['name'], s['source'], [(p['port'], p['protocol']) for p in s['ports']]) "
                                            "for s in d['services']]");
        g_assert_cmpstr(j, ==, "[('dns', 'built-in', [(53, 'udp'), (53, 'tcp')]), "
                               "('ssh', '/etc/services', [(22, 'tcp')]), ('8080', 'port', [(8080, 'tcp')])]");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "services"), ==, 0);
        g_clear_pointer(&j, g_free);
        j = json_eval(out, "len(d['services']) > 50 and any(s['name'] == 'https' for s in d['services'])");
        g_assert_cmpstr(j, ==, "True");
}


/* --- rules --numbered, delete, move ---------------------------------------- */

static void setup_numbered(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-N svc");
        bs_test_ipt(4, "-A svc -j RETURN");
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 80 -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -s 192.0.2.1 -j DROP");
        bs_test_ipt(4, "-A OUTPUT -o lo -j ACCEPT");
        bs_test_ipt(6, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(6, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_test_ipt(6, "-A INPUT -p tcp --dport 443 -j ACCEPT");
}

/* The oracle's rule N of chain: "iptables -S CHAIN N". */
static char *oracle_rule(int f, const char *chain, const char *number) {
        const char *argv[] = { bs_test_ipt_prog(f), "-w", "-S", chain, number, NULL };
        return bs_test_run(argv);
}

static void test_rules_numbered(void) {
        setup_numbered();
        for (int f = 4; f <= 6; f += 2) {
                g_autofree char *out = NULL, *err = NULL;
                g_assert_cmpint(CTL(&out, &err, "rules", "--numbered", f == 4 ? "-4" : "-6"), ==, 0);
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
                size_t numbered = 0;
                for (size_t i = 0; lines[i] && *lines[i]; i++) {
                        /* "    N  -A CHAIN ..." or "       -P ..." / "-N ..." */
                        g_autofree char *number = g_strstrip(g_strndup(lines[i], 5));
                        const char *line = lines[i] + 7;
                        if (!*number) {
                                g_assert_false(g_str_has_prefix(line, "-A "));
                                continue;
                        }
                        g_auto(GStrv) words = g_strsplit(line, " ", 3);
                        g_autofree char *want = oracle_rule(f, words[1], number);
                        g_autofree char *got = g_strdup_printf("%s\n", line);
                        g_assert_cmpstr(got, ==, want);
                        numbered++;
                }
                g_assert_cmpuint(numbered, ==, f == 4 ? 6 : 3);
                /* everything -S prints, in its order */
                g_autofree char *s = bs_test_ipt_S(f);
                GString *stripped = g_string_new(NULL);
                for (size_t i = 0; lines[i] && *lines[i]; i++)
                        g_string_append_printf(stripped, "%s\n", lines[i] + 7);
                g_assert_cmpstr(stripped->str, ==, s);
                g_string_free(stripped, TRUE);
        }
        g_autofree char *out = NULL;
        g_assert_cmpint(CTL(&out, NULL, "--json", "rules", "--numbered", "INPUT"), ==, 0);
        g_autofree char *j = json_eval(out, "[d['family'], d['chain'], [(r['chain'], r['number']) for r in d['rules']], "
                                            "d['rules'][2]['rule']]");
        g_assert_cmpstr(j, ==, "['ipv4', 'INPUT', [('INPUT', 1), ('INPUT', 2), ('INPUT', 3), ('INPUT', 4)], "
                               "'-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT']");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "rules", "--numbered", "-6", "INPUT"), ==, 0);
        g_assert_cmpstr(out, ==, "       -P INPUT ACCEPT\n"
                                 "    1  -A INPUT -i lo -j ACCEPT\n"
                                 "    2  -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                                 "    3  -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n");
}

static void test_delete(void) {
        setup_numbered();
        if (!ipv6_active()) {
                g_test_skip("the host has no IPv6");
                return;
        }
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        g_autofree char *out = NULL, *err = NULL;

        /* rule 2 is the same in both: deleted in both, by what it is */
        g_assert_cmpint(CTL(&out, &err, "delete", "INPUT", "2", "--no-wait"), ==, 0);
        g_assert_nonnull(strstr(out, "  iptables -D INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"));
        g_assert_nonnull(strstr(out, "  ip6tables -D INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"));
        g_assert_false(has_line(4, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
        g_assert_false(has_line(6, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
        rollback();
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);

        /* rule 3 differs: refused, naming both; with -4 it goes */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "delete", "INPUT", "3"), ==, 10);
        g_assert_nonnull(strstr(err, "Rule 3 of 'INPUT' is not the same rule in IPv4 (-A INPUT -p tcp -m tcp --dport 80 "
                                     "-j ACCEPT) and IPv6 (-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT): name the "
                                     "family with -4 or -6."));
        assert_no_pending();
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "-4", "delete", "INPUT", "3", "--no-wait"), ==, 0);
        g_autofree char *j = json_eval(out, "[d['state'], d['changes']]");
        g_assert_cmpstr(j, ==, "['pending', ['iptables -D INPUT -p tcp -m tcp --dport 80 -j ACCEPT']]");
        g_assert_false(has_line(4, "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT"));
        g_assert_true(has_line(6, "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT"));
        rollback();

        /* a copy of an earlier rule: "-D" would delete the earlier one */
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        struct {
                const char *args[6];
                int code;
                const char *message;
        } cases[] = {
                { { "delete", "INPUT", "4" }, 10, "Rule 4 of 'INPUT' exists in IPv4 only (IPv6's has 3): name the "
                                                  "family with -4." },
                { { "delete", "INPUT", "9" }, 9, "IPv4: chain 'INPUT' has 5 rules, there is no rule 9." },
                { { "-6", "delete", "INPUT", "4" }, 9, "IPv6: chain 'INPUT' has 3 rules, there is no rule 4." },
                { { "delete", "NOSUCH", "1" }, 9, "No chain 'NOSUCH'." },
                { { "-6", "delete", "svc", "1" }, 9, "No chain 'svc' in IPv6." },
                { { "delete", "svc", "1" }, 10, "Chain 'svc' exists in IPv4 only: name the family with -4." },
                { { "-4", "delete", "INPUT", "5" }, 10, "Rule 5 of 'INPUT' is a copy of rule 1 (IPv4)" },
                { { "delete", "INPUT", "0" }, 2, "invalid rule number '0'" },
                { { "delete", "INPUT", "two" }, 2, "invalid rule number 'two'" },
                { { "delete", "INPUT" }, 2, "too few arguments for 'delete'" },
                { { "move", "INPUT", "1" }, 2, "too few arguments for 'move'" },
                { { "-4", "move", "INPUT", "1", "6" }, 9, "IPv4: chain 'INPUT' has 5 rules, there is no position 6." },
                { { "-4", "move", "INPUT", "5", "1" }, 10, "is a copy of rule 1" },
                { { "--numbered", "status" }, 2, "--numbered is only valid with rules" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *o = NULL, *e = NULL;
                int code = client_run_simple(fixture->bus_address, cases[i].args, NULL, &o, &e);
                if (code != cases[i].code || !strstr(e, cases[i].message))
                        g_error("case %zu (%s %s): exit %d (want %d), stderr: %s", i, cases[i].args[0],
                                cases[i].args[1], code, cases[i].code, e);
                g_assert_cmpstr(o, ==, "");
        }
        assert_no_pending();

        /* the change names the rule, not its number: applied after the rule
         * moved (another program inserted one before it) it still deletes
         * that rule, and once the rule is gone it is refused, nothing changed */
        bs_test_ipt(4, "-I INPUT 1 -p udp --dport 53 -j ACCEPT");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "-q", "apply", "--no-wait", "-4 -D INPUT -p tcp -m tcp --dport 80 -j ACCEPT"),
                        ==, 0);
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_null(strstr(s4, "--dport 80"));
        g_assert_nonnull(strstr(s4, "--dport 53"));
        g_assert_cmpint(CTL(NULL, NULL, "-q", "confirm"), ==, 0);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(NULL, &err, "apply", "--no-wait", "-4 -D INPUT -p tcp -m tcp --dport 80 -j ACCEPT"), ==, 1);
        g_assert_true(g_str_has_prefix(err, "Not found: "));
        assert_no_pending();
        bs_test_reset_tables();
}

static void test_move(void) {
        setup_numbered();
        gboolean v6 = ipv6_active();
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(CTL(&out, &err, "-4", "move", "INPUT", "3", "1", "--no-wait"), ==, 0);
        g_assert_nonnull(strstr(out, "  iptables -D INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                                     "  iptables -I INPUT 1 -p tcp -m tcp --dport 80 -j ACCEPT\n"));
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(s4, "-P OUTPUT ACCEPT\n-N svc\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                                    "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                                    "-A INPUT -s 192.0.2.1/32 -j DROP\n"));
        rollback();

        /* to the end */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "-4", "move", "INPUT", "1", "4", "--no-wait"), ==, 0);
        g_clear_pointer(&s4, g_free);
        s4 = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(s4, "-N svc\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n-A INPUT -s 192.0.2.1/32 -j DROP\n"
                                    "-A INPUT -i lo -j ACCEPT\n"));
        rollback();

        /* both families, the same rule 1 */
        if (v6) {
                g_clear_pointer(&out, g_free);
                g_assert_cmpint(CTL(&out, NULL, "--json", "move", "INPUT", "1", "2", "--no-wait"), ==, 0);
                g_autofree char *j = json_eval(out, "d['changes']");
                g_assert_cmpstr(j, ==, "['iptables -D INPUT -i lo -j ACCEPT', 'ip6tables -D INPUT -i lo -j ACCEPT', "
                                       "'iptables -I INPUT 2 -i lo -j ACCEPT', 'ip6tables -I INPUT 2 -i lo -j ACCEPT']");
                g_autofree char *s6 = bs_test_ipt_S(6);
                g_assert_nonnull(strstr(s6, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n"));
                rollback();
        }
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "move", "INPUT", "2", "2"), ==, 0);
        g_assert_cmpstr(out, ==, "Nothing to change: the rule is at that position already.\n");
        assert_no_pending();
        bs_test_reset_tables();
}

/* --- diff, and status's count ------------------------------------------------ */

/* GNU diff -u of the two texts, with our labels: the oracle for diff's output. */
static char *gnu_diff(const char *a, const char *b, const char *label_a, const char *label_b) {
        g_autofree char *dir = g_dir_make_tmp("verbs-diff-XXXXXX", NULL);
        g_autofree char *pa = g_build_filename(dir, "a", NULL), *pb = g_build_filename(dir, "b", NULL);
        g_assert_true(g_file_set_contents(pa, a, -1, NULL));
        g_assert_true(g_file_set_contents(pb, b, -1, NULL));
        const char *argv[] = { "diff", "-u", "--label", label_a, "--label", label_b, pa, pb, NULL };
        g_autofree char *out = NULL;
        int status = 0;
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status,
                                   NULL));
        unlink(pa);
        unlink(pb);
        g_rmdir(dir);
        return g_steal_pointer(&out);
}

static void test_diff(void) {
        bs_test_reset_tables();
        g_autofree char *rules_v4 = g_build_filename(fixture->state_dir, "rules.v4", NULL);
        g_autofree char *rules_v6 = g_build_filename(fixture->state_dir, "rules.v6", NULL);
        unlink(rules_v4);
        unlink(rules_v6);
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        g_autofree char *out = NULL, *err = NULL;

        /* nothing saved: everything running is new */
        g_assert_cmpint(CTL(&out, &err, "-4", "diff"), ==, 1);
        g_assert_true(g_str_has_prefix(out, "--- saved/rules.v4 (none saved)\n+++ running/rules.v4\n@@ -0,0 +1,7 @@\n"
                                            "+*filter\n+:INPUT ACCEPT [0:0]\n"));

        g_assert_cmpint(CTL(NULL, NULL, "-q", "save"), ==, 0);
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "diff"), ==, 0);
        g_assert_cmpstr(out, ==, "");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "status"), ==, 0);
        g_assert_nonnull(strstr(out, "Saved: yes, the running rules are saved\n"));

        /* another program changes the rules: a policy and a rule */
        bs_test_ipt(4, "-P FORWARD DROP");
        bs_test_ipt(4, "-I INPUT 2 -p tcp --dport 8080 -j ACCEPT");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "-4", "diff"), ==, 1);
        g_autofree char *j = json_eval(out, "[d['equal'], [(f['family'], f['equal'], f['removed'], f['added']) "
                                            "for f in d['families']]]");
        g_assert_cmpstr(j, ==, "[False, [('ipv4', False, 1, 2)]]");
        g_autofree char *saved = json_eval(out, "d['families'][0]['saved']");
        g_autofree char *running = json_eval(out, "d['families'][0]['running']");
        g_assert_true(g_str_has_prefix(running, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"));
        g_assert_null(strstr(saved, "8080"));

        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "diff"), ==, 1);
        g_autofree char *want = gnu_diff(saved, running, "saved/rules.v4", "running/rules.v4");
        g_assert_cmpstr(out, ==, want);
        g_assert_nonnull(strstr(out, "-:FORWARD ACCEPT [0:0]\n+:FORWARD DROP [0:0]\n"));
        g_assert_nonnull(strstr(out, "+-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT\n"));
        /* IPv6 did not change */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "-6", "diff"), ==, 0);
        g_assert_cmpstr(out, ==, "");

        /* status counts the lines that differ */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "status"), ==, 0);
        g_assert_nonnull(strstr(out, "Saved: no, 3 lines of rules and policies differ from the saved ones "
                                     "(see 'backstopctl diff')\n"));
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json", "status"), ==, 0);
        g_clear_pointer(&j, g_free);
        j = json_eval(out, "[d['manager']['RulesSaved'], d['unsaved_lines']]");
        g_assert_cmpstr(j, ==, "[False, 3]");

        /* a saved file that does not parse: an error, exit 2, not "differ" */
        g_assert_true(g_file_set_contents(rules_v4, "*filter\n-A INPUT -j NOSUCHTARGET --bogus\nCOMMIT\n", -1, NULL));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "diff"), ==, 2);
        g_assert_nonnull(strstr(err, "rules.v4 do not parse"));
        g_assert_cmpstr(out, ==, "");
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(NULL, &err, "diff", "extra"), ==, 2);
        g_assert_nonnull(strstr(err, "too many arguments for 'diff'"));
        unlink(rules_v4);
        unlink(rules_v6);

        /* GetSavedRulesText itself: one family, named; nothing saved is "" */
        g_autoptr(GDBusConnection) c = bs_bus_fixture_connect(fixture);
        const char *const bad[] = { "", "both", "IPV4" };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) v = bs_test_call(c, 10000, PATH, IFACE, "GetSavedRulesText",
                                                     g_variant_new("(s)", bad[i]), "(ss)", &error);
                g_assert_null(v);
                g_assert_true(g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS));
                g_assert_nonnull(strstr(error->message, "Invalid family"));
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = bs_test_call(c, 10000, PATH, IFACE, "GetSavedRulesText", g_variant_new("(s)", "ipv4"),
                                             "(ss)", &error);
        g_assert_no_error(error);
        const char *saved_text, *running_text;
        g_variant_get(v, "(&s&s)", &saved_text, &running_text);
        g_assert_cmpstr(saved_text, ==, "");
        g_assert_true(g_str_has_prefix(running_text, "*filter\n:INPUT ACCEPT [0:0]\n"));
        bs_test_reset_tables();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_autofree char *daemon = bs_test_build_path("daemon/backstopd");
        if (!g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE)) {
                g_printerr("backstopd not built: skipping\n");
                return 77;
        }
        if (!g_file_test("/etc/services", G_FILE_TEST_EXISTS)) {
                g_printerr("no /etc/services (netbase): skipping\n");
                return 77;
        }
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipping\n");
                return 77;
        }
        fixture = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(fixture, NULL, NULL, NULL);

        g_test_add_func("/client/verbs/allow-by-name", test_allow_by_name);
        g_test_add_func("/client/verbs/deny-reject-placement", test_deny_reject_placement);
        g_test_add_func("/client/verbs/service-errors", test_service_errors);
        g_test_add_func("/client/verbs/default-deny-names", test_default_deny_names);
        g_test_add_func("/client/verbs/services", test_services_listing);
        g_test_add_func("/client/verbs/rules-numbered", test_rules_numbered);
        g_test_add_func("/client/verbs/delete", test_delete);
        g_test_add_func("/client/verbs/move", test_move);
        g_test_add_func("/client/verbs/diff", test_diff);
        int r = g_test_run();

        int status = bs_bus_fixture_stop_daemon(fixture, SIGTERM);
        bs_bus_fixture_free(fixture);
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                g_printerr("backstopd did not exit cleanly (status %d)\n", status);
                r = 1;
        }
        return r;
}
