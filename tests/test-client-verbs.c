/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl's daily verbs against the real backstopd (tests/bus-fixture.c:
 * a private network namespace, system bus and the daemon from the build
 * tree), with the backend's own iptables as the oracle (bus-test-util.c):
 *  - allow/deny/reject SERVICE: the rules they make in each family, where
 *    they go (before a catch-all DROP/REJECT), nothing twice, --from, the
 *    built-in and /etc/services names, the errors and their exit codes;
 *  - default-deny --allow with names and bare ports;
 *  - services, in text and JSON.
 * Every change verb runs with --no-wait behind the timer and is rolled back
 * or confirmed by the test. Exits 77 when not root or without namespaces. */

#include <gio/gio.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

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
        g_assert_cmpint(CTL(&out, &err, "--json", "allow", "https", "--from", "192.0.2.9/24", "--no-wait"), ==, 0);
        g_clear_pointer(&j, g_free);
        j = json_eval(out, "[d['state'], d['changes']]");
        g_assert_cmpstr(j, ==, "['pending', ['iptables -A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 443 -j ACCEPT', "
                               "'iptables -A INPUT -s 192.0.2.0/24 -p udp -m udp --dport 443 -j ACCEPT']]");
        g_assert_true(has_line(4, "-A INPUT -s 192.0.2.0/24 -p udp -m udp --dport 443 -j ACCEPT"));
        g_autofree char *s6 = bs_test_ipt_S(6);
        g_assert_null(strstr(s6, "443"));
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
        int r = g_test_run();

        int status = bs_bus_fixture_stop_daemon(fixture, SIGTERM);
        bs_bus_fixture_free(fixture);
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                g_printerr("backstopd did not exit cleanly (status %d)\n", status);
                r = 1;
        }
        return r;
}
