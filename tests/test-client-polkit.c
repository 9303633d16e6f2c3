/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The authorization chain end to end: backstopctl -> the real backstopd ->
 * a mock polkit (GtDBusQueue owning org.freedesktop.PolicyKit1). We check
 * that the client's allow-interactive-authorization flag reaches polkit as
 * flags=1 (and --no-ask-password as 0), and that polkit's answers become the
 * client's documented lines and exit codes. The wait for polkit's answer is
 * also where another program changes the rules between backstopctl's read
 * and its change (delete). backstopd runs with
 * BACKSTOP_POLKIT_ASK_ROOT=1 (its test seam: root is asked like anyone), in
 * a private network namespace. Exits 77 when not root. */

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "bus-fixture.h"
#include "bus-test-util.h"
#include "client-run.h"
#include "polkit-mock.h"

typedef enum Answer { ANSWER_YES, ANSWER_NO, ANSWER_CHALLENGE } Answer;

static GtDBusQueue *Q;
static GMainContext *server_context;
static BsBusFixture *F;
static char *queue_address;

static void capture_server_context(GtDBusQueue *q, gpointer user_data) {
        g_atomic_pointer_set(&server_context, g_main_context_ref(g_main_context_get_thread_default()));
}

/* Pops the daemon's CheckAuthorization and checks its action and flags. */
static GDBusMethodInvocation *pop_check(const char *want_action, guint32 want_flags) {
        GDBusMethodInvocation *inv = NULL;
        g_assert_true(gt_dbus_queue_pop_message(Q, &inv));
        g_assert_cmpstr(g_dbus_method_invocation_get_method_name(inv), ==, "CheckAuthorization");
        const char *kind, *action, *cancel;
        g_autoptr(GVariant) details = NULL, subject = NULL;
        guint32 flags;
        g_variant_get(g_dbus_method_invocation_get_parameters(inv), "((&s@a{sv})&s@a{ss}u&s)", &kind, &subject,
                      &action, &details, &flags, &cancel);
        g_assert_cmpstr(kind, ==, "system-bus-name");
        g_assert_cmpstr(action, ==, want_action);
        g_assert_cmpuint(flags, ==, want_flags);
        return inv;
}

static void answer(GDBusMethodInvocation *inv, Answer answer) {
        g_dbus_method_invocation_return_value(inv, g_variant_new_parsed("((%b, %b, @a{ss} {}),)",
                                                                        answer == ANSWER_YES,
                                                                        answer == ANSWER_CHALLENGE));
}

/* Pops the daemon's CheckAuthorization, checks action and flags, answers. */
static void answer_check(const char *want_action, guint32 want_flags, Answer a) {
        answer(pop_check(want_action, want_flags), a);
}

static ClientRun *start(const char *const *args) {
        ClientRun *r = client_run_pipes(queue_address, args, NULL);
        client_run_close_stdin(r);
        return r;
}

static void test_apply_denied_interactive(void) {
        const char *args[] = { "apply", "--no-wait", "-A INPUT -p udp --dport 9 -j DROP", NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.apply", 1, ANSWER_NO);
        g_assert_cmpint(client_run_finish(r), ==, 5);
        g_assert_cmpstr(r->err->str, ==, "Not authorized to apply firewall changes\n");
        g_assert_cmpstr(r->out->str, ==, "");
        client_run_free(r);
}

static void test_challenge_without_password(void) {
        const char *args[] = { "--no-ask-password", "apply", "--no-wait", "-A INPUT -p udp --dport 9 -j DROP",
                               NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.apply", 0, ANSWER_CHALLENGE);
        g_assert_cmpint(client_run_finish(r), ==, 5);
        g_assert_true(g_str_has_prefix(r->err->str,
                                       "Not authorized to apply firewall changes: authentication is required"));
        client_run_free(r);
}

static void test_rules_denied(void) {
        const char *args[] = { "rules", NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.read-rules", 1, ANSWER_NO);
        g_assert_cmpint(client_run_finish(r), ==, 5);
        g_assert_cmpstr(r->err->str, ==, "Not authorized to read the firewall rules\n");
        client_run_free(r);
}

static void test_allowed_then_rollback(void) {
        const char *args[] = { "apply", "--no-wait", "-A INPUT -p udp --dport 9 -j DROP", NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.apply", 1, ANSWER_YES);
        /* whether a lockout refusal may name connections: asked, never
         * with a prompt */
        answer_check("org.backstop.firewall1.read-connections", 0, ANSWER_NO);
        g_assert_cmpint(client_run_finish(r), ==, 0);
        g_assert_nonnull(strstr(r->out->str, "Applied transaction "));
        client_run_free(r);

        const char *rb[] = { "rollback", NULL };
        r = start(rb);
        answer_check("org.backstop.firewall1.apply", 1, ANSWER_YES);
        g_assert_cmpint(client_run_finish(r), ==, 0);
        g_assert_nonnull(strstr(r->out->str, " rolled back."));
        client_run_free(r);
}

static void test_status_never_prompts(void) {
        /* Properties need no authorization; the rule counts are asked for
         * without interaction, and a challenge only hides them. */
        const char *args[] = { "status", NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.read-rules", 0, ANSWER_CHALLENGE);
        g_assert_cmpint(client_run_finish(r), ==, 0);
        g_assert_nonnull(strstr(r->out->str, "Rules: (not authorized to read them"));
        g_assert_nonnull(strstr(r->out->str, "Transaction: none pending"));
        client_run_free(r);
}

/* delete reads rule N, then asks to apply: while polkit decides, another
 * program inserts a rule before it, so that rule N is another rule. The
 * change names the rule read, so that rule goes, not the new rule N; and
 * when the rule is gone meanwhile, nothing changes. */
static void test_delete_after_a_concurrent_change(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 80 -j ACCEPT");
        const char *args[] = { "-4", "delete", "INPUT", "2", "--no-wait", NULL };
        ClientRun *r = start(args);
        answer_check("org.backstop.firewall1.read-rules", 1, ANSWER_YES);
        GDBusMethodInvocation *inv = pop_check("org.backstop.firewall1.apply", 1);
        bs_test_ipt(4, "-I INPUT 1 -p udp --dport 53 -j ACCEPT");
        answer(inv, ANSWER_YES);
        answer_check("org.backstop.firewall1.read-connections", 0, ANSWER_NO);
        g_assert_cmpint(client_run_finish(r), ==, 0);
        client_run_free(r);
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                                "-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n"
                                "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        const char *rb[] = { "rollback", NULL };
        r = start(rb);
        answer_check("org.backstop.firewall1.apply", 1, ANSWER_YES);
        g_assert_cmpint(client_run_finish(r), ==, 0);
        client_run_free(r);

        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -i lo -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -p tcp --dport 80 -j ACCEPT");
        r = start(args);
        answer_check("org.backstop.firewall1.read-rules", 1, ANSWER_YES);
        inv = pop_check("org.backstop.firewall1.apply", 1);
        bs_test_ipt(4, "-D INPUT -p tcp --dport 22 -j ACCEPT");
        answer(inv, ANSWER_YES);
        answer_check("org.backstop.firewall1.read-connections", 0, ANSWER_NO);
        g_assert_cmpint(client_run_finish(r), ==, 1);
        g_assert_true(g_str_has_prefix(r->err->str, "Not found: "));
        client_run_free(r);
        g_autofree char *after = bs_test_ipt_S(4);
        g_assert_cmpstr(after, ==, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                                   "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        bs_test_reset_tables();
}

int main(int argc, char **argv) {
        g_autoptr(GError) error = NULL;

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

        Q = gt_dbus_queue_new();
        gt_dbus_queue_set_server_func(Q, capture_server_context, NULL);
        g_assert_true(gt_dbus_queue_connect(Q, &error));
        while (!g_atomic_pointer_get(&server_context))
                g_usleep(1000);
        queue_address = g_strdup(g_getenv("DBUS_SESSION_BUS_ADDRESS"));
        g_assert_nonnull(queue_address);
        bs_polkit_mock_export(Q);

        F = bs_bus_fixture_new();
        const char *env[] = { "BACKSTOP_POLKIT_ASK_ROOT=1", NULL };
        bs_bus_fixture_start_daemon(F, queue_address, env, NULL);

        g_test_add_func("/client/polkit/apply-denied-interactive", test_apply_denied_interactive);
        g_test_add_func("/client/polkit/challenge-without-password", test_challenge_without_password);
        g_test_add_func("/client/polkit/rules-denied", test_rules_denied);
        g_test_add_func("/client/polkit/allowed-then-rollback", test_allowed_then_rollback);
        g_test_add_func("/client/polkit/status-never-prompts", test_status_never_prompts);
        g_test_add_func("/client/polkit/delete-after-a-concurrent-change", test_delete_after_a_concurrent_change);
        int r = g_test_run();

        bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_bus_fixture_free(F);
        gt_dbus_queue_disconnect(Q, TRUE);
        /* See test-client-mock.c: drain the server context ourselves. */
        while (g_main_context_iteration(server_context, FALSE))
                ;
        g_main_context_unref(server_context);
        gt_dbus_queue_free(Q);
        g_free(queue_address);
        return r;
}
