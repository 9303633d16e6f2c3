/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The confirm flow of backstopctl apply/default-deny, driven through a
 * pseudo-terminal and through pipes, against a fake backstopd on a private
 * bus (client-fake-daemon.c): countdown, typing yes, timeout, Ctrl-C and its
 * question, strict mode with a confirmation from another session, --no-wait,
 * --json, and monitor. The same flows against the real daemon are in
 * test-client-daemon.c. */

#include <glib.h>
#include <string.h>

#include "client-fake-daemon.h"
#include "client-run.h"

static FakeDaemon *fake;

static const char *addr(void) {
        return fake_daemon_address(fake);
}

static void setup(void) {
        fake = fake_daemon_new();
}

static void teardown(void) {
        fake_daemon_free(fake);
        fake = NULL;
}

static void test_tty_yes_confirms(void) {
        setup();
        const char *args[] = { "apply", "--timeout", "120", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);

        client_run_wait_for(r, "Applied transaction 1");
        client_run_wait_for(r, "iptables -P INPUT DROP");
        /* The countdown is one line redrawn in place. */
        client_run_wait_for(r, "\r\033[KTransaction 1: rolls back in ");
        client_run_wait_for(r, "Type yes to confirm: ");
        client_run_write(r, "yes\r");
        client_run_wait_for(r, "Transaction 1 confirmed");
        g_assert_cmpint(client_run_finish(r), ==, 0);

        FakeTx *t = fake_daemon_tx(fake, 1);
        g_assert_cmpstr(t->state, ==, "confirmed");
        g_assert_true(fake->last_apply_allowed_interactive);
        client_run_free(r);
        teardown();
}

static void test_tty_other_input_then_yes(void) {
        setup();
        const char *args[] = { "default-deny", "--allow", "2222/tcp", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);

        client_run_wait_for(r, "--dport 2222 -j ACCEPT");
        client_run_wait_for(r, "Type yes to confirm: ");
        /* Typed text is echoed in the line; anything but yes does not confirm. */
        client_run_write(r, "ye");
        client_run_wait_for(r, "Type yes to confirm: ye");
        client_run_write(r, "p\r");
        client_run_wait_for(r, "Type yes (and Enter) to confirm.");
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "pending");
        client_run_write(r, "yes\r");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "confirmed");
        client_run_free(r);
        teardown();
}

static void test_tty_timeout_rolls_back(void) {
        setup();
        const guint timeout = 4;
        g_autofree char *timeout_arg = g_strdup_printf("%u", timeout);
        const char *args[] = { "apply", "--timeout", timeout_arg, "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);

        /* The countdown shows the seconds left, rounded up: at most the
         * timeout, and at least what is left now that we see it (on a fast
         * machine both bounds say: the timeout itself). */
        client_run_wait_for(r, "Transaction 1: rolls back in ");
        size_t at = r->mark;
        client_run_wait_for(r, "s");
        gint64 left_now = fake_daemon_tx(fake, 1)->deadline_mono - g_get_monotonic_time();
        char *end = NULL;
        guint64 shown = g_ascii_strtoull(r->out->str + at, &end, 10);
        g_assert_true(end == r->out->str + r->mark - 1);  /* "<digits>s" */
        g_test_message("countdown shows %" G_GUINT64_FORMAT " s, %.2f s left when seen", shown, left_now / 1e6);
        g_assert_cmpuint(shown, <=, timeout);
        g_assert_cmpint((gint64) shown * G_USEC_PER_SEC, >=, left_now);
        client_run_wait_for(r, "was rolled back (timeout)");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "rolled-back");
        client_run_free(r);
        teardown();
}

static void test_tty_ctrl_c_rollback(void) {
        setup();
        const char *args[] = { "apply", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);

        client_run_wait_for(r, "Type yes to confirm: ");
        client_run_write(r, "\x03");
        client_run_wait_for(r, "Roll back now? [y/N] ");
        client_run_write(r, "y\r");
        client_run_wait_for(r, "was rolled back (request)");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "rolled-back");
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->reason, ==, "request");
        client_run_free(r);
        teardown();
}

static void test_tty_ctrl_c_no_then_twice(void) {
        setup();
        const char *args[] = { "apply", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);

        client_run_wait_for(r, "Type yes to confirm: ");
        client_run_write(r, "\x03");
        client_run_wait_for(r, "Roll back now? [y/N] ");
        client_run_write(r, "n\r");
        client_run_wait_for(r, "still waiting");
        client_run_wait_for(r, "Type yes to confirm: ");
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "pending");
        /* Ctrl-C at the question leaves the transaction to the daemon's timer. */
        client_run_write(r, "\x03");
        client_run_wait_for(r, "Roll back now? [y/N] ");
        client_run_write(r, "\x03");
        client_run_wait_for(r, "Leaving transaction 1 to backstopd");
        g_assert_cmpint(client_run_finish(r), ==, 1);
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "pending");
        client_run_free(r);
        teardown();
}

static void test_tty_strict_confirm_elsewhere(void) {
        setup();
        const char *args[] = { "apply", "--strict", "-P INPUT DROP", NULL };
        const char *env[] = { "SSH_CONNECTION=10.0.0.2 50000 10.0.0.1 22", NULL };
        ClientRun *r = client_run_pty(addr(), args, env);

        client_run_wait_for(r, "must come from a NEW login");
        client_run_wait_for(r, "backstopctl confirm 1");
        g_assert_cmpstr(fake->last_apply_ssh, ==, "10.0.0.2 50000 10.0.0.1 22");
        /* yes is not offered and does not confirm. */
        client_run_wait_for(r, "unless confirmed from a new login");
        client_run_write(r, "yes\r");
        client_run_wait_for(r, "Strict mode: confirm from a NEW SSH login");
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "pending");

        /* The old session's connection is rejected... */
        const char *confirm[] = { "confirm", NULL };
        g_autofree char *out = NULL, *err = NULL;
        int st = client_run_simple(addr(), confirm, env, &out, &err);
        if (st != 8)
                g_error("confirm: exit %d, stdout: %s, stderr: %s", st, out, err);
        g_assert_true(g_str_has_prefix(err, "Confirmation rejected: not a new management connection"));
        /* ...a new login's is accepted, and the waiting client sees it. */
        const char *new_env[] = { "SSH_CONNECTION=NEW 10.0.0.2 50001 10.0.0.1 22", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), confirm, new_env, &out, &err), ==, 0);
        g_assert_cmpstr(out, ==, "Transaction 1 confirmed: its changes stay.\n");
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->confirm_ssh, ==, "NEW 10.0.0.2 50001 10.0.0.1 22");
        client_run_wait_for(r, "Transaction 1 confirmed");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        client_run_free(r);
        teardown();
}

static void test_pipe_yes_and_plain_lines(void) {
        setup();
        const char *args[] = { "apply", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pipes(addr(), args, NULL);
        client_run_wait_for(r, "Type yes (and Enter) to confirm");
        client_run_wait_for(r, "Transaction 1: rolls back in ");
        client_run_write(r, "yes\n");
        client_run_wait_for(r, "Transaction 1 confirmed");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        /* Not a terminal: plain lines, no carriage returns or escapes. */
        g_assert_null(strchr(r->out->str, '\r'));
        g_assert_null(strchr(r->out->str, '\033'));
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "confirmed");
        client_run_free(r);

        /* Without input: a plain countdown line every few seconds (5 s) until
         * the end. The second line comes 5-6 s after the client starts
         * waiting; a 10 s timeout leaves room for a slow start. */
        const char *args2[] = { "apply", "--timeout", "10", "-P INPUT DROP", NULL };
        r = client_run_pipes(addr(), args2, NULL);
        client_run_close_stdin(r);
        g_assert_cmpint(client_run_finish(r), ==, 3);
        guint lines = 0;
        for (const char *p = r->out->str; (p = strstr(p, "Transaction 2: rolls back in ")); p++)
                lines++;
        g_assert_cmpuint(lines, >=, 2);
        g_assert_nonnull(strstr(r->out->str, "Transaction 2 was rolled back (timeout)"));
        g_assert_null(strchr(r->out->str, '\r'));
        client_run_free(r);
        teardown();
}

static void test_other_session_rollback(void) {
        setup();
        const char *args[] = { "apply", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "Type yes to confirm: ");

        const char *rb[] = { "rollback", "1", NULL };
        g_autofree char *out = NULL;
        g_assert_cmpint(client_run_simple(addr(), rb, NULL, &out, NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Transaction 1 rolled back.\n");
        client_run_wait_for(r, "was rolled back (request)");
        g_assert_cmpint(client_run_finish(r), ==, 3);
        client_run_free(r);
        teardown();
}

static void test_extend_from_other_session(void) {
        setup();
        /* The extend below must come before this deadline: it has no need
         * to be short. */
        const char *args[] = { "apply", "--timeout", "60", "-P INPUT DROP", NULL };
        ClientRun *r = client_run_pty(addr(), args, NULL);
        client_run_wait_for(r, "Type yes to confirm: ");

        const char *ext[] = { "extend", "/org/backstop/Firewall1/Transaction/1", "10m", NULL };
        g_autofree char *out = NULL;
        g_assert_cmpint(client_run_simple(addr(), ext, NULL, &out, NULL), ==, 0);
        g_assert_true(g_str_has_prefix(out, "Transaction 1 now rolls back in 9m 5") ||
                      g_str_has_prefix(out, "Transaction 1 now rolls back in 10m 00s"));
        /* The waiting client picks the new deadline up. */
        client_run_wait_for(r, "rolls back in 9m");
        client_run_write(r, "yes\r");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        client_run_free(r);
        teardown();
}

static void test_no_wait_and_json(void) {
        setup();
        const char *args[] = { "apply", "--no-wait", "--timeout", "300", "-P INPUT DROP", NULL };
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(client_run_simple(addr(), args, NULL, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "Applied transaction 1 (/org/backstop/Firewall1/Transaction/1)"));
        g_assert_nonnull(strstr(out, "It is rolled back at "));
        g_assert_nonnull(strstr(out, "backstopctl confirm 1"));
        g_assert_cmpstr(fake_daemon_tx(fake, 1)->state, ==, "pending");

        /* --json --no-wait: one document, pending, with its deadline. */
        const char *busy[] = { "--json", "apply", "--no-wait", "-A INPUT -j ACCEPT", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), busy, NULL, &out, &err), ==, 7);
        g_assert_cmpstr(out, ==, "");

        const char *confirm[] = { "--json", "confirm", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), confirm, NULL, &out, &err), ==, 0);
        g_assert_cmpstr(out, ==,
                        "{\"transaction\":\"/org/backstop/Firewall1/Transaction/1\",\"id\":1,\"state\":\"confirmed\"}\n");

        const char *nothing[] = { "confirm", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), nothing, NULL, &out, &err), ==, 1);
        g_assert_cmpstr(err, ==, "No transaction is pending.\n");

        /* --json while waiting: the countdown goes to stderr, one document to stdout. */
        const char *wait_json[] = { "--json", "apply", "-P \"INPUT\" DROP", NULL };
        ClientRun *r = client_run_pipes(addr(), wait_json, NULL);
        while (!strstr(r->err->str, "rolls back in"))
                g_main_context_iteration(NULL, TRUE);
        client_run_write(r, "yes\n");
        g_assert_cmpint(client_run_finish(r), ==, 0);
        g_assert_cmpstr(r->out->str, ==,
                        "{\"transaction\":\"/org/backstop/Firewall1/Transaction/2\",\"id\":2,\"state\":\"confirmed\","
                        "\"strict\":false,\"changes\":[\"iptables -P \\\"INPUT\\\" DROP\"]}\n");
        client_run_free(r);

        /* --timeout 0: nothing to wait for, the transaction is confirmed at once. */
        const char *now[] = { "apply", "--timeout", "0", "-A INPUT -j ACCEPT", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), now, NULL, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "Transaction 3 is confirmed already (no confirmation needed)."));
        teardown();
}

static void test_status_with_pending(void) {
        setup();
        const char *args[] = { "apply", "--no-wait", "-P INPUT DROP", NULL };
        g_assert_cmpint(client_run_simple(addr(), args, NULL, NULL, NULL), ==, 0);

        const char *status[] = { "status", NULL };
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(client_run_simple(addr(), status, NULL, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "Backend: fake (backstopd fake)"));
        g_assert_nonnull(strstr(out, "IPv4 policies: INPUT ACCEPT"));
        /* The fake has no ListRules: status says so but does not fail. */
        g_assert_nonnull(strstr(out, "Transaction: 1 pending, "));
        g_assert_nonnull(strstr(out, "nftables: does not filter INPUT"));

        const char *status_json[] = { "--json", "status", NULL };
        g_free(out);
        g_free(err);
        g_assert_cmpint(client_run_simple(addr(), status_json, NULL, &out, &err), ==, 0);
        g_assert_true(g_str_has_prefix(out, "{\"manager\":{"));
        g_assert_nonnull(strstr(out, "\"PendingTransaction\":\"/org/backstop/Firewall1/Transaction/1\""));
        g_assert_nonnull(strstr(out, "\"ManagementPorts\":[[\"tcp\",22]]"));
        g_assert_nonnull(strstr(out, "\"transaction\":{"));
        g_assert_nonnull(strstr(out, "\"State\":\"pending\""));
        teardown();
}

static void test_monitor(void) {
        setup();
        const char *mon[] = { "--json", "monitor", NULL };
        ClientRun *m = client_run_pipes(addr(), mon, NULL);
        const char *mon_text[] = { "monitor", NULL };
        ClientRun *mt = client_run_pipes(addr(), mon_text, NULL);
        /* monitor has subscribed once it says so on stderr (text) — for JSON,
         * wait for the text one and give the JSON one a first event. */
        while (!strstr(mt->err->str, "Monitoring backstopd"))
                g_main_context_iteration(NULL, TRUE);

        const char *args[] = { "apply", "--no-wait", "-P INPUT DROP", NULL };
        g_assert_cmpint(client_run_simple(addr(), args, NULL, NULL, NULL), ==, 0);
        const char *rb[] = { "rollback", NULL };
        g_assert_cmpint(client_run_simple(addr(), rb, NULL, NULL, NULL), ==, 0);

        client_run_wait_for(mt, "Transaction 1 applied");
        client_run_wait_for(mt, "iptables -P INPUT DROP");
        client_run_wait_for(mt, "Transaction 1: State = rolled-back");
        client_run_wait_for(mt, "Transaction 1 rolled back (request)");
        client_run_wait_for(m, "\"event\":\"transaction-rolled-back\",\"transaction\":\"/org/backstop/Firewall1/Transaction/1\",\"id\":1,\"reason\":\"request\"}\n");
        kill(m->pid, SIGINT);
        kill(mt->pid, SIGINT);
        g_assert_cmpint(client_run_finish(m), ==, 0);
        g_assert_cmpint(client_run_finish(mt), ==, 0);
        /* One JSON object per line. */
        g_auto(GStrv) lines = g_strsplit(m->out->str, "\n", -1);
        for (size_t i = 0; lines[i] && *lines[i]; i++) {
                g_assert_true(g_str_has_prefix(lines[i], "{\"time_usec\":"));
                g_assert_true(g_str_has_suffix(lines[i], "}"));
        }
        client_run_free(m);
        client_run_free(mt);
        teardown();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client/flow/tty-yes-confirms", test_tty_yes_confirms);
        g_test_add_func("/client/flow/tty-other-input-then-yes", test_tty_other_input_then_yes);
        g_test_add_func("/client/flow/tty-timeout-rolls-back", test_tty_timeout_rolls_back);
        g_test_add_func("/client/flow/tty-ctrl-c-rollback", test_tty_ctrl_c_rollback);
        g_test_add_func("/client/flow/tty-ctrl-c-no-then-twice", test_tty_ctrl_c_no_then_twice);
        g_test_add_func("/client/flow/tty-strict-confirm-elsewhere", test_tty_strict_confirm_elsewhere);
        g_test_add_func("/client/flow/pipe-yes-and-plain-lines", test_pipe_yes_and_plain_lines);
        g_test_add_func("/client/flow/other-session-rollback", test_other_session_rollback);
        g_test_add_func("/client/flow/extend-from-other-session", test_extend_from_other_session);
        g_test_add_func("/client/flow/no-wait-and-json", test_no_wait_and_json);
        g_test_add_func("/client/flow/status-with-pending", test_status_with_pending);
        g_test_add_func("/client/flow/monitor", test_monitor);
        return g_test_run();
}
