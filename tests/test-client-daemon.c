/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl against the real backstopd: a private network namespace (this
 * process unshares its own; XTABLES_LOCKFILE is private), a private system
 * bus and backstopd from the build tree (tests/bus-fixture.c). We run as
 * root, so polkit is never asked. The iptables and ip6tables of the backend
 * under test (test-backend.h: legacy or nft) in the same namespace are the
 * oracle (IPT4, IPT6).
 *
 *  - rules equals iptables -S (and ip6tables, -v, per chain)
 *    on a varied ruleset, also through --json;
 *  - every verb in text and in --json (each JSON document checked by a real
 *    parser: python3's json module);
 *  - the confirm flow in a pseudo-terminal: yes confirms, timeout rolls back
 *    (exit 3), Ctrl-C then y rolls back; the client killed mid-window and the
 *    daemon still rolls back on time;
 *  - lockout refusal (exit 4), busy (exit 7), monitor.
 * Exits 77 when not root or without namespaces. */

#include <gio/gio.h>
#include <glib.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <string.h>

#include "bus-fixture.h"
#include "client-run.h"
#include "test-backend.h"

#define IPT4 bs_test_iptables(BS_FAMILY_IPV4)
#define IPT6 bs_test_iptables(BS_FAMILY_IPV6)

static BsBusFixture *fixture;

static const char *addr(void) {
        return fixture->bus_address;
}

static char *oracle(const char *prog, const char *a1, const char *a2, const char *a3) {
        const char *argv[] = { prog, a1, a2, a3, NULL };
        return bs_test_run(argv);
}

static void run_cmd(const char *prog, const char *spec) {
        /* spec: one iptables command line, split at blanks (no quoting needed here) */
        g_auto(GStrv) words = g_strsplit(spec, " ", -1);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (gpointer) prog);
        for (size_t i = 0; words[i]; i++)
                g_ptr_array_add(argv, words[i]);
        g_ptr_array_add(argv, NULL);
        g_free(bs_test_run((const char *const *) argv->pdata));
}

/* Runs the client with pipes, returns its exit status and output. */
static int ctl(char **out, char **err, const char *first, ...) {
        va_list ap;
        va_start(ap, first);
        int r = client_run_valist(addr(), out, err, first, ap);
        va_end(ap);
        return r;
}

static void assert_no_pending(void) {
        g_autofree char *out = NULL;
        g_assert_cmpint(ctl(&out, NULL, "--json", "status", NULL), ==, 0);
        g_autofree char *pending = json_eval(out, "d['manager']['PendingTransaction']");
        g_assert_cmpstr(pending, ==, "/");
}

static void test_rules_equal_iptables(void) {
        /* A varied ruleset written by the oracle itself. */
        static const char *const v4[] = {
                "-N svc",
                "-N empty",
                "-P FORWARD DROP",
                "-A INPUT -i lo -j ACCEPT",
                "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                "-A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT",
                "-A INPUT ! -s 198.51.100.7/32 -p udp --sport 53 -j ACCEPT",
                "-A INPUT -p tcp --dport 1000:2000 -j svc",
                "-A INPUT -p icmp --icmp-type 8 -m limit --limit 5/min -j ACCEPT",
                "-A INPUT -i veth+ -d 203.0.113.0/25 -j DROP",
                "-A INPUT -p tcp --dport 9090 -j REJECT --reject-with tcp-reset",
                "-A svc -p tcp --dport 1500 -j RETURN",
                "-A svc -j LOG --log-prefix svc:",
                "-A OUTPUT -o lo -j ACCEPT",
        };
        static const char *const v6[] = {
                "-N svc6",
                "-A INPUT -p ipv6-icmp --icmpv6-type 135 -j ACCEPT",
                "-A INPUT -s 2001:db8::/32 -p tcp --dport 443 -j ACCEPT",
                "-A INPUT -m state --state NEW -p tcp --dport 22 -j svc6",
                "-A svc6 -j DROP",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(v4); i++)
                run_cmd(IPT4, v4[i]);
        for (size_t i = 0; i < G_N_ELEMENTS(v6); i++)
                run_cmd(IPT6, v6[i]);
        /* A comment with quotes and a backslash, as one argument. */
        const char *c[] = { IPT4, "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-m", "comment",
                            "--comment", "web \"test\" \\ x", "-j", "ACCEPT", NULL };
        g_free(bs_test_run(c));

        struct {
                const char *prog;
                const char *ctl_args[4];
                const char *oracle_args[3];
        } cases[] = {
                { IPT4, { "rules", NULL }, { "-S", NULL } },
                { IPT4, { "rules", "INPUT", NULL }, { "-S", "INPUT", NULL } },
                { IPT4, { "rules", "svc", NULL }, { "-S", "svc", NULL } },
                { IPT4, { "rules", "empty", NULL }, { "-S", "empty", NULL } },
                { IPT4, { "rules", "-4", "-v", NULL }, { "-v", "-S", NULL } },
                { IPT6, { "rules", "-6", NULL }, { "-S", NULL } },
                { IPT6, { "rules", "-6", "-v", "INPUT" }, { "-v", "-S", "INPUT" } },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                const char *args[5] = {};
                for (size_t k = 0; k < 4 && cases[i].ctl_args[k]; k++)
                        args[k] = cases[i].ctl_args[k];
                g_autofree char *out = NULL, *err = NULL;
                g_assert_cmpint(client_run_simple(addr(), args, NULL, &out, &err), ==, 0);
                g_autofree char *want = oracle(cases[i].prog, cases[i].oracle_args[0], cases[i].oracle_args[1],
                                               cases[i].oracle_args[2]);
                g_assert_cmpstr(out, ==, want);
                g_assert_cmpstr(err, ==, "");

                /* --json carries the same text, correctly escaped. */
                const char *jargs[6] = { "--json" };
                for (size_t k = 0; k < 4 && cases[i].ctl_args[k]; k++)
                        jargs[k + 1] = cases[i].ctl_args[k];
                g_autofree char *jout = NULL;
                g_assert_cmpint(client_run_simple(addr(), jargs, NULL, &jout, NULL), ==, 0);
                g_autofree char *text = json_eval(jout, "d['text']");
                g_assert_cmpstr(text, ==, want);
        }
        /* Leave a clean table for the next tests. */
        run_cmd(IPT4, "-F");
        run_cmd(IPT4, "-X");
        run_cmd(IPT4, "-P FORWARD ACCEPT");
        run_cmd(IPT6, "-F");
        run_cmd(IPT6, "-X");
        run_cmd(IPT4, "-A INPUT -i lo -j ACCEPT");
        run_cmd(IPT6, "-A INPUT -i lo -j ACCEPT");
}

/* status shows the kernel's tables as they are now: what another program
 * changed with iptables between two status calls shows in the
 * second, in the rule counts and the policies, in text and JSON. */
static void test_status_sees_outside_changes(void) {
        g_autofree char *out = NULL, *err = NULL, *j = NULL;

        g_assert_cmpint(ctl(&out, &err, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "IPv4 policies: INPUT ACCEPT, FORWARD ACCEPT, OUTPUT ACCEPT"));
        g_assert_nonnull(strstr(out, "IPv4 rules: 1 (INPUT 1, FORWARD 0, OUTPUT 0)"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);

        run_cmd(IPT4, "-A FORWARD -s 192.0.2.5/32 -j DROP");
        run_cmd(IPT4, "-P FORWARD DROP");
        g_assert_cmpint(ctl(&out, &err, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "IPv4 policies: INPUT ACCEPT, FORWARD DROP, OUTPUT ACCEPT"));
        g_assert_nonnull(strstr(out, "IPv4 rules: 2 (INPUT 1, FORWARD 1, OUTPUT 0)"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);

        /* a same-size edit: only the policy can show it */
        run_cmd(IPT4, "-R FORWARD 1 -s 192.0.2.6/32 -j DROP");
        run_cmd(IPT4, "-P FORWARD ACCEPT");
        g_assert_cmpint(ctl(&out, &err, "--json", "status", NULL), ==, 0);
        j = json_eval(out, "[d['manager']['Policies']['ipv4']['FORWARD'], d['rules_readable'], "
                           "[c['rules'] for c in d['chains'] if c['family'] == 'ipv4']]");
        g_assert_cmpstr(j, ==, "['ACCEPT', True, [1, 1, 0]]");

        run_cmd(IPT4, "-D FORWARD 1");
}

static void test_verbs_text_and_json(void) {
        g_autofree char *out = NULL, *err = NULL;
        char *j = NULL;

#define RESET() do { g_clear_pointer(&out, g_free); g_clear_pointer(&err, g_free); g_clear_pointer(&j, g_free); } while (0)

        g_assert_cmpint(ctl(&out, &err, "status", NULL), ==, 0);
        g_autofree char *backend_line = g_strdup_printf("Backend: iptables-%s", bs_test_backend_name());
        g_assert_nonnull(strstr(out, backend_line));
        g_assert_nonnull(strstr(out, "IPv4 policies: INPUT ACCEPT, FORWARD ACCEPT, OUTPUT ACCEPT"));
        g_assert_nonnull(strstr(out, "IPv4 rules: 1 (INPUT 1, FORWARD 0, OUTPUT 0)"));
        g_assert_nonnull(strstr(out, "Transaction: none pending"));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "status", NULL), ==, 0);
        j = json_eval(out, "[d['manager']['Backends'], d['rules_readable'], d['transaction']]");
        g_autofree char *backend_json = g_strdup_printf("[['iptables-%s'], True, None]", bs_test_backend_name());
        g_assert_cmpstr(j, ==, backend_json);
        RESET();

        /* check: fails on this bare table; exit 1; one line per item */
        g_assert_cmpint(ctl(&out, &err, "check", NULL), ==, 1);
        g_assert_nonnull(strstr(out, "FAIL ipv4 input-policy"));
        g_assert_nonnull(strstr(out, "PASS ipv4 loopback-allowed"));
        g_assert_nonnull(strstr(out, "checks failed."));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "check", "-4", NULL), ==, 1);
        j = json_eval(out, "[d['passed'], sorted(set(i['family'] for i in d['items']))]");
        g_assert_cmpstr(j, ==, "[False, ['ipv4']]");
        RESET();

        g_assert_cmpint(ctl(&out, &err, "connections", "--all", NULL), ==, 0);
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "connections", NULL), ==, 0);
        j = json_eval(out, "[d['all'], type(d['connections']).__name__]");
        g_assert_cmpstr(j, ==, "[False, 'list']");
        RESET();

        g_assert_cmpint(ctl(&out, &err, "preview", "-I INPUT 2 -p tcp --dport 9090 -j DROP", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Resulting IPv4 rules:\n-P INPUT ACCEPT\n"));
        g_assert_nonnull(strstr(out, "-A INPUT -p tcp -m tcp --dport 9090 -j DROP\n"));
        g_assert_nonnull(strstr(out, "  iptables -I INPUT 2 -p tcp -m tcp --dport 9090 -j DROP\n"));
        g_assert_nonnull(strstr(out, "Lockout analysis: no connection"));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "preview", "-I INPUT 1 -j DROP", NULL), ==, 4);
        j = json_eval(out, "[d['commands'], len(d['lockout']) > 0, d['lockout'][0]['kind']]");
        g_assert_cmpstr(j, ==, "[['iptables -I INPUT 1 -j DROP', 'ip6tables -I INPUT 1 -j DROP'], True, 'loopback']");
        RESET();

        /* apply --no-wait, extend, confirm: text */
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "--timeout", "60", "-A INPUT -p tcp --dport 9091 -j DROP",
                            NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Applied transaction "));
        g_assert_nonnull(strstr(out, "  iptables -A INPUT -p tcp -m tcp --dport 9091 -j DROP\n"));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "extend", "2m", NULL), ==, 0);
        g_assert_true(strstr(out, "now rolls back in 1m 5") || strstr(out, "now rolls back in 2m 00s"));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "confirm", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "confirmed: its changes stay."));
        RESET();
        g_autofree char *after = oracle(IPT4, "-S", "INPUT", NULL);
        g_assert_nonnull(strstr(after, "-A INPUT -p tcp -m tcp --dport 9091 -j DROP\n"));

        /* ... and JSON, then rollback by id */
        g_assert_cmpint(ctl(&out, &err, "--json", "apply", "--no-wait", "-D INPUT -p tcp --dport 9091 -j DROP", NULL),
                        ==, 0);
        j = json_eval(out, "[d['state'], d['time_left_usec'] > 0, d['changes']]");
        g_assert_cmpstr(j, ==,
                        "['pending', True, ['iptables -D INPUT -p tcp -m tcp --dport 9091 -j DROP', "
                        "'ip6tables -D INPUT -p tcp -m tcp --dport 9091 -j DROP']]");
        g_autofree char *id = json_eval(out, "d['id']");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "extend", id, "300", NULL), ==, 0);
        j = json_eval(out, "[d['state'], d['time_left_usec'] > 200000000]");
        g_assert_cmpstr(j, ==, "['pending', True]");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "rollback", id, NULL), ==, 0);
        j = json_eval(out, "d['state']");
        g_assert_cmpstr(j, ==, "rolled-back");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "rollback", id, NULL), ==, 1);
        g_assert_true(g_str_has_prefix(err, "Transaction is not pending: "));
        RESET();

        /* default-deny --dry-run: the recipe's commands, nothing applied */
        g_autofree char *dry_before = oracle(IPT4, "-S", NULL, NULL);
        g_assert_cmpint(ctl(&out, &err, "default-deny", "--dry-run", "--allow", "2222/tcp", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Equivalent commands:\n"));
        g_assert_nonnull(strstr(out, "  iptables -A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\n"));
        g_assert_nonnull(strstr(out, "  ip6tables -P INPUT DROP\n"));
        g_assert_nonnull(strstr(out, "Lockout analysis: no connection"));
        g_autofree char *dry_after = oracle(IPT4, "-S", NULL, NULL);
        g_assert_cmpstr(dry_after, ==, dry_before);
        RESET();
        assert_no_pending();
        g_assert_cmpint(ctl(&out, &err, "apply", "--dry-run", "-P INPUT DROP", NULL), ==, 2);
        g_assert_nonnull(strstr(err, "--dry-run is only valid with default-deny"));
        RESET();

        /* default-deny --no-wait, then roll it back */
        g_assert_cmpint(ctl(&out, &err, "default-deny", "--no-wait", "--allow", "2222/tcp", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "--dport 2222 -j ACCEPT"));
        g_assert_nonnull(strstr(out, "iptables -P INPUT DROP"));
        RESET();
        g_assert_cmpint(ctl(&out, &err, "rollback", NULL), ==, 0);
        RESET();

        /* default-deny confirmed, then again: nothing to change ("/"). */
        g_assert_cmpint(ctl(&out, &err, "default-deny", "--no-wait", NULL), ==, 0);
        RESET();
        g_assert_cmpint(ctl(&out, &err, "confirm", NULL), ==, 0);
        RESET();
        g_assert_cmpint(ctl(&out, &err, "default-deny", "--no-wait", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Nothing to change: the default-deny rules and policy are in place already.\n");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "default-deny", NULL), ==, 0);
        j = json_eval(out, "[d['transaction'], d['state']]");
        g_assert_cmpstr(j, ==, "[None, 'unchanged']");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "check", "-4", NULL), ==, 1);   /* the stateful counter has not risen */
        g_assert_nonnull(strstr(out, "PASS ipv4 input-policy"));
        g_assert_nonnull(strstr(out, "PASS ipv4 stateful-rule-present"));
        RESET();
        run_cmd(IPT4, "-P INPUT ACCEPT");
        run_cmd(IPT4, "-F INPUT");
        run_cmd(IPT4, "-A INPUT -i lo -j ACCEPT");
        run_cmd(IPT6, "-P INPUT ACCEPT");
        run_cmd(IPT6, "-F INPUT");
        run_cmd(IPT6, "-A INPUT -i lo -j ACCEPT");

        g_assert_cmpint(ctl(&out, &err, "zero", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Counters of all chains (IPv4 and IPv6) zeroed.\n");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "zero", "-6", "INPUT", NULL), ==, 0);
        j = json_eval(out, "[d['family'], d['chain']]");
        g_assert_cmpstr(j, ==, "['ipv6', 'INPUT']");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "save", NULL), ==, 0);
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "save", NULL), ==, 0);
        j = json_eval(out, "d['saved']");
        g_assert_cmpstr(j, ==, "True");
        RESET();
        g_assert_cmpint(ctl(&out, &err, "--json", "status", NULL), ==, 0);
        j = json_eval(out, "d['manager']['RulesSaved']");
        g_assert_cmpstr(j, ==, "True");
        RESET();
        assert_no_pending();
#undef RESET
}

static void test_refusals(void) {
        g_autofree char *out = NULL, *err = NULL;
        /* Loopback would be cut: refused, exit 4, one line. */
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "-I INPUT 1 -j DROP", NULL), ==, 4);
        g_assert_true(g_str_has_prefix(err, "Refused: "));
        g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);   /* one line */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);

        /* Busy: exit 7. */
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "-A INPUT -p udp --dport 9 -j DROP", NULL), ==, 0);
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "-A INPUT -p udp --dport 10 -j DROP", NULL), ==, 7);
        g_assert_true(g_str_has_prefix(err, "Another transaction is pending ("));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(ctl(&out, &err, "rollback", NULL), ==, 0);
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);

        /* An invalid change: exit 2, naming it. */
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "-A INPUT -p tcp --dport 70000 -j DROP", NULL), ==, 2);
        g_assert_true(g_str_has_prefix(err, "Invalid argument: "));
        g_assert_nonnull(strstr(err, "70000"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        /* A jump to a chain that does not exist: NotFound, exit 1. */
        g_assert_cmpint(ctl(&out, &err, "apply", "--no-wait", "-A INPUT -j NOSUCHCHAIN", NULL), ==, 1);
        g_assert_true(g_str_has_prefix(err, "Not found: "));
        assert_no_pending();
}

static void test_confirm_yes(void) {
        g_autofree char *before = oracle(IPT4, "-S", NULL, NULL);
        const char *args[] = { "apply", "-A INPUT -p tcp --dport 9092 -j DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "iptables -A INPUT -p tcp -m tcp --dport 9092 -j DROP");
        client_run_wait_for(r, "\r\033[KTransaction ");
        client_run_wait_for(r, "Type yes to confirm: ");
        client_run_write(r, "yes\r");
        client_run_wait_for(r, "confirmed: the changes stay");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        client_run_free(r);
        g_autofree char *after = oracle(IPT4, "-S", NULL, NULL);
        g_autofree char *want = g_strconcat(before, "-A INPUT -p tcp -m tcp --dport 9092 -j DROP\n", NULL);
        g_assert_cmpstr(after, ==, want);
        run_cmd(IPT4, "-D INPUT -p tcp --dport 9092 -j DROP");
        run_cmd(IPT6, "-D INPUT -p tcp --dport 9092 -j DROP");
        assert_no_pending();
}

static void test_timeout_rolls_back(void) {
        g_autofree char *before4 = oracle(IPT4, "-S", NULL, NULL);
        g_autofree char *before6 = oracle(IPT6, "-S", NULL, NULL);
        /* The client must show the countdown before the deadline: 4 s leave
         * room for a slow start on a busy machine. */
        const char *args[] = { "default-deny", "--timeout", "4", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "iptables -P INPUT DROP");
        client_run_wait_for(r, "rolls back in ");
        client_run_wait_for(r, "was rolled back (timeout)");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        client_run_free(r);
        g_autofree char *after4 = oracle(IPT4, "-S", NULL, NULL);
        g_autofree char *after6 = oracle(IPT6, "-S", NULL, NULL);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
}

static void test_ctrl_c_rollback(void) {
        g_autofree char *before = oracle(IPT4, "-S", NULL, NULL);
        const char *args[] = { "apply", "--timeout", "300", "-I INPUT 1 -p tcp --dport 9093 -j DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "Type yes to confirm: ");
        client_run_write(r, "\x03");
        client_run_wait_for(r, "Roll back now? [y/N] ");
        client_run_write(r, "y\r");
        client_run_wait_for(r, "was rolled back (request)");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        client_run_free(r);
        g_autofree char *after = oracle(IPT4, "-S", NULL, NULL);
        g_assert_cmpstr(after, ==, before);
        assert_no_pending();
}

typedef struct {
        char *path;
        char *reason;
} RolledBack;

static void on_rolled_back(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                           const char *signal, GVariant *params, gpointer user_data) {
        RolledBack *rb = user_data;
        g_variant_get(params, "(os)", &rb->path, &rb->reason);
}

static void test_client_killed(void) {
        g_autofree char *before = oracle(IPT4, "-S", NULL, NULL);
        g_autoptr(GDBusConnection) conn = bs_bus_fixture_connect(fixture);
        RolledBack rb = {};
        guint sub = g_dbus_connection_signal_subscribe(conn, "org.backstop.Firewall1", "org.backstop.Firewall1",
                                                       "TransactionRolledBack", "/org/backstop/Firewall1", NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_rolled_back, &rb, NULL);
        /* Make sure the match is in place before anything happens. */
        g_autoptr(GVariant) ping = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                               "org.freedesktop.DBus", "GetId", NULL, NULL, 0, -1,
                                                               NULL, NULL);

        /* The rule is read while still pending: 5 s leave room for a slow
         * machine between the Apply and that read. */
        const char *args[] = { "apply", "--timeout", "5", "-I INPUT 1 -p tcp --dport 9094 -j DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "Type yes to confirm: ");
        g_autofree char *during = oracle(IPT4, "-S", "INPUT", NULL);
        g_assert_nonnull(strstr(during, "--dport 9094 -j DROP"));
        kill(r->pid, SIGKILL);
        int status = client_run_wait(r);
        g_assert_true(WIFSIGNALED(status));
        client_run_free(r);

        while (!rb.path)
                g_main_context_iteration(NULL, TRUE);
        g_assert_cmpstr(rb.reason, ==, "timeout");
        g_dbus_connection_signal_unsubscribe(conn, sub);
        g_free(rb.path);
        g_free(rb.reason);
        g_autofree char *after = oracle(IPT4, "-S", NULL, NULL);
        g_assert_cmpstr(after, ==, before);
}

/* backstopd dies while the client waits and comes back: the client says so,
 * keeps waiting, and sees the resumed transaction end on its deadline. */
static void test_daemon_restart(void) {
        g_autofree char *before = oracle(IPT4, "-S", NULL, NULL);
        const char *args[] = { "apply", "--timeout", "6", "-I INPUT 1 -p tcp --dport 9095 -j DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "Type yes to confirm: ");
        int status = bs_bus_fixture_stop_daemon(fixture, SIGKILL);
        g_assert_true(WIFSIGNALED(status));
        client_run_wait_for(r, "backstopd left the bus.");
        g_autofree char *during = oracle(IPT4, "-S", "INPUT", NULL);
        g_assert_nonnull(strstr(during, "--dport 9095 -j DROP"));
        bs_bus_fixture_start_daemon(fixture, NULL, NULL, NULL);
        client_run_wait_for(r, "backstopd is back.");
        client_run_wait_for(r, "was rolled back (");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        client_run_free(r);
        g_autofree char *after = oracle(IPT4, "-S", NULL, NULL);
        g_assert_cmpstr(after, ==, before);
        assert_no_pending();
}

/* connections: a real TCP connection over loopback, tracked by conntrack
 * (a conntrack rule makes the namespace track); shown with --all, and
 * without it exactly when the daemon calls it inbound. */
static void test_connections(void) {
        g_autoptr(GError) error = NULL;
        run_cmd(IPT4, "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT");
        g_autoptr(GSocket) listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                   G_SOCKET_PROTOCOL_TCP, &error);
        g_assert_no_error(error);
        g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
        g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
        g_assert_true(g_socket_bind(listener, any, TRUE, &error));
        g_assert_true(g_socket_listen(listener, &error));
        g_autoptr(GSocketAddress) bound = g_socket_get_local_address(listener, &error);
        guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
        g_autoptr(GSocket) client = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                 &error);
        g_assert_true(g_socket_connect(client, bound, NULL, &error));
        g_autoptr(GSocket) server = g_socket_accept(listener, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpint(g_socket_send(client, "x", 1, NULL, &error), ==, 1);

        g_autofree char *out = NULL, *err = NULL, *want = g_strdup_printf("-> 127.0.0.1:%u", port);
        g_assert_cmpint(ctl(&out, &err, "connections", "--all", NULL), ==, 0);
        if (!strstr(out, "FAM   PROTO  FROM"))
                g_error("connections printed: %s / %s", out, err);
        g_assert_nonnull(strstr(out, want));
        g_assert_nonnull(strstr(out, "ESTABLISHED"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(ctl(&out, &err, "--json", "connections", "--all", NULL), ==, 0);
        g_autofree char *expr = g_strdup_printf(
                "[(c['protocol'], c['destination'], c['state']) for c in d['connections'] "
                "if c['destination-port'] == %u]", port);
        g_autofree char *j = json_eval(out, expr);
        g_assert_cmpstr(j, ==, "[('tcp', '127.0.0.1', 'ESTABLISHED')]");
        g_autofree char *inb_expr = g_strdup_printf(
                "[c['inbound'] for c in d['connections'] if c['destination-port'] == %u][0]", port);
        g_autofree char *inbound = json_eval(out, inb_expr);
        /* Without --all: exactly the inbound ones (the daemon decides which). */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(ctl(&out, &err, "--json", "connections", NULL), ==, 0);
        g_autofree char *count_expr = g_strdup_printf(
                "[all(c['inbound'] for c in d['connections']), "
                "len([c for c in d['connections'] if c['destination-port'] == %u])]", port);
        g_autofree char *count = json_eval(out, count_expr);
        g_assert_cmpstr(count, ==, g_str_equal(inbound, "True") ? "[True, 1]" : "[True, 0]");
        run_cmd(IPT4, "-D INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT");
}

static void test_monitor(void) {
        const char *mon[] = { "monitor", NULL };
        ClientRun *m = client_run_pipes(addr(), mon, NULL);
        while (!strstr(m->err->str, "Monitoring backstopd"))
                g_main_context_iteration(NULL, TRUE);
        const char *monj[] = { "--json", "monitor", NULL };
        ClientRun *mj = client_run_pipes(addr(), monj, NULL);
        /* The JSON monitor prints nothing until an event, so nothing tells
         * when it has subscribed: it gets its own rounds below, until it
         * shows one. */
        assert_no_pending();

        g_autofree char *out = NULL;
        g_assert_cmpint(ctl(&out, NULL, "apply", "--no-wait", "-A INPUT -p udp --dport 7 -j DROP", NULL), ==, 0);
        g_assert_cmpint(ctl(NULL, NULL, "rollback", NULL), ==, 0);
        client_run_wait_for(m, " applied\n");
        client_run_wait_for(m, "iptables -A INPUT -p udp -m udp --dport 7 -j DROP");
        client_run_wait_for(m, " rolled back (request)\n");
        client_run_wait_for(m, "Manager: PendingTransaction = /\n");
        kill(m->pid, SIGINT);
        g_assert_cmpint(client_run_finish(m), ==, 0);
        client_run_free(m);

        /* Rounds for the JSON one until it shows a rollback (it may have
         * subscribed late on a busy machine); each round waits up to 2 s for
         * it, 30 rounds at most. */
        gboolean seen = FALSE;
        for (int round = 0; round < 30 && !seen; round++) {
                g_assert_cmpint(ctl(NULL, NULL, "apply", "--no-wait", "-A INPUT -p udp --dport 7 -j DROP", NULL),
                                ==, 0);
                g_assert_cmpint(ctl(NULL, NULL, "rollback", NULL), ==, 0);
                gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
                while (!(seen = strstr(mj->out->str, "\"event\":\"transaction-rolled-back\"") != NULL) &&
                       g_get_monotonic_time() < end) {
                        if (!g_main_context_iteration(NULL, FALSE))
                                g_usleep(10000);
                }
        }
        if (!seen)
                g_error("the JSON monitor showed no rollback in 30 rounds; it printed:\n%s\nstderr:\n%s",
                        mj->out->str, mj->err->str);
        client_run_wait_for(mj, "\"event\":\"transaction-rolled-back\"");
        client_run_wait_for(mj, "\n");
        kill(mj->pid, SIGINT);
        g_assert_cmpint(client_run_finish(mj), ==, 0);
        g_auto(GStrv) lines = g_strsplit(mj->out->str, "\n", -1);
        for (size_t i = 0; lines[i] && *lines[i]; i++) {
                g_autofree char *ev = json_eval(lines[i], "d['event']");
                g_assert_true(g_str_equal(ev, "transaction-applied") || g_str_equal(ev, "transaction-rolled-back") ||
                              g_str_equal(ev, "properties-changed"));
        }
        client_run_free(mj);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_autofree char *daemon = bs_test_build_path("daemon/backstopd");
        if (!g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE)) {
                g_printerr("backstopd not built: skipping\n");
                return 77;
        }
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipping\n");
                return 77;
        }
        fixture = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(fixture, NULL, NULL, NULL);

        g_test_add_func("/client/daemon/rules-equal-iptables", test_rules_equal_iptables);
        g_test_add_func("/client/daemon/verbs-text-and-json", test_verbs_text_and_json);
        g_test_add_func("/client/daemon/status-sees-outside-changes", test_status_sees_outside_changes);
        g_test_add_func("/client/daemon/refusals", test_refusals);
        g_test_add_func("/client/daemon/confirm-yes", test_confirm_yes);
        g_test_add_func("/client/daemon/timeout-rolls-back", test_timeout_rolls_back);
        g_test_add_func("/client/daemon/ctrl-c-rollback", test_ctrl_c_rollback);
        g_test_add_func("/client/daemon/client-killed", test_client_killed);
        g_test_add_func("/client/daemon/connections", test_connections);
        g_test_add_func("/client/daemon/daemon-restart", test_daemon_restart);
        g_test_add_func("/client/daemon/monitor", test_monitor);
        int r = g_test_run();

        int status = bs_bus_fixture_stop_daemon(fixture, SIGTERM);
        bs_bus_fixture_free(fixture);
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                g_printerr("backstopd did not exit cleanly (status %d)\n", status);
                r = 1;
        }
        return r;
}
