/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl's error paths against a mock of backstopd: a GtDBusQueue owns
 * org.backstop.Firewall1 on a private bus (of the session kind), exports the
 * real interface description, and answers each call as the test says. The
 * client runs as a subprocess pointed at that bus through
 * DBUS_SYSTEM_BUS_ADDRESS. Calls from sd-bus are popped with
 * gt_dbus_queue_pop_message (the assert_pop variant expects GDBus senders). */

#include <gio/gio.h>
#include <glib.h>
#include <libglib-testing/dbus-queue.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct Run {
        GSubprocess *proc;
        gboolean done;
        char *out, *err;
} Run;

static GDBusNodeInfo *node_info;

static void communicated(GObject *source, GAsyncResult *result, gpointer user_data) {
        Run *run = user_data;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &run->out, &run->err,
                                                           &error));
        g_assert_no_error(error);
        run->done = TRUE;
}

/* Starts backstopctl with argv (NULL-terminated) against bus_address (NULL:
 * the queue's bus). */
static Run *client_start(const char *bus_address, const char *const *args) {
        const char *exe = g_getenv("BACKSTOPCTL");
        g_assert_nonnull(exe);
        g_autoptr(GSubprocessLauncher) l =
                g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;

        if (!bus_address)
                bus_address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
        g_assert_nonnull(bus_address);
        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", bus_address, TRUE);
        g_subprocess_launcher_unsetenv(l, "SSH_CONNECTION");
        g_subprocess_launcher_setenv(l, "LC_ALL", "C", TRUE);
        g_ptr_array_add(argv, (gpointer) exe);
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, (gpointer) args[i]);
        g_ptr_array_add(argv, NULL);

        Run *run = g_new0(Run, 1);
        run->proc = g_subprocess_launcher_spawnv(l, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8_async(run->proc, NULL, NULL, communicated, run);
        return run;
}

/* Waits for the client to exit; returns its exit status. */
static int client_finish(Run *run) {
        while (!run->done)
                g_main_context_iteration(NULL, TRUE);
        g_assert_true(g_subprocess_get_if_exited(run->proc));
        return g_subprocess_get_exit_status(run->proc);
}

static void run_free(Run *run) {
        g_object_unref(run->proc);
        g_free(run->out);
        g_free(run->err);
        g_free(run);
}

/* The queue must be disconnected before it is freed. gt_dbus_queue_free()
 * asserts that its server context has nothing left to dispatch, but closing
 * the server connection may attach its "closed" idle there after the server
 * thread drained it for the last time: a race inside libglib-testing. So we
 * keep a reference to that context (captured from within the server thread)
 * and drain it ourselves between disconnect and free. */
typedef GtDBusQueue Mock;
static GMainContext *server_context;

static void capture_server_context(GtDBusQueue *q, gpointer user_data) {
        g_atomic_pointer_set(&server_context, g_main_context_ref(g_main_context_get_thread_default()));
}

static void mock_free(Mock *q) {
        gt_dbus_queue_disconnect(q, TRUE);
        GMainContext *ctx = g_atomic_pointer_get(&server_context);
        if (ctx) {
                while (g_main_context_iteration(ctx, FALSE))
                        ;
                g_main_context_unref(ctx);
                server_context = NULL;
        }
        gt_dbus_queue_free(q);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Mock, mock_free)

static GtDBusQueue *mock_connect(void) {
        GtDBusQueue *q = gt_dbus_queue_new();
        g_autoptr(GError) error = NULL;

        gt_dbus_queue_set_server_func(q, capture_server_context, NULL);
        gt_dbus_queue_connect(q, &error);
        g_assert_no_error(error);
        /* Wait until the server thread ran capture_server_context. */
        while (!g_atomic_pointer_get(&server_context))
                g_usleep(1000);
        return q;
}

static GtDBusQueue *mock_new(void) {
        GtDBusQueue *q = mock_connect();
        g_autoptr(GError) error = NULL;

        gt_dbus_queue_own_name(q, "org.backstop.Firewall1");
        gt_dbus_queue_export_object(q, "/org/backstop/Firewall1",
                                    g_dbus_node_info_lookup_interface(node_info, "org.backstop.Firewall1"),
                                    &error);
        g_assert_no_error(error);
        return q;
}

/* Pops the next call and checks it is member on the manager interface. */
static GDBusMethodInvocation *pop_call(GtDBusQueue *q, const char *member) {
        GDBusMethodInvocation *inv = NULL;
        g_assert_true(gt_dbus_queue_pop_message(q, &inv));
        g_assert_cmpstr(g_dbus_method_invocation_get_object_path(inv), ==, "/org/backstop/Firewall1");
        g_assert_cmpstr(g_dbus_method_invocation_get_interface_name(inv), ==, "org.backstop.Firewall1");
        g_assert_cmpstr(g_dbus_method_invocation_get_method_name(inv), ==, member);
        return inv;
}

static gboolean allows_interactive(GDBusMethodInvocation *inv) {
        GDBusMessage *m = g_dbus_method_invocation_get_message(inv);
        return (g_dbus_message_get_flags(m) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

/* The stderr of the client, with a trailing newline removed. */
static char *err_line(Run *run) {
        return g_strchomp(g_strdup(run->err));
}

static void test_apply_access_denied(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "apply", "--no-wait", "--timeout", "90", "-P INPUT DROP", "-I INPUT 1 -i lo -j ACCEPT",
                               NULL };
        Run *run = client_start(NULL, args);

        GDBusMethodInvocation *inv = pop_call(q, "Apply");
        /* The call itself: both changes in order, the timeout as given. */
        GVariant *params = g_dbus_method_invocation_get_parameters(inv);
        g_autofree const char **changes = NULL;
        g_autoptr(GVariant) options = NULL;
        g_variant_get(params, "(^a&s@a{sv})", &changes, &options);
        g_assert_cmpuint(g_strv_length((char **) changes), ==, 2);
        g_assert_cmpstr(changes[0], ==, "-P INPUT DROP");
        g_assert_cmpstr(changes[1], ==, "-I INPUT 1 -i lo -j ACCEPT");
        guint32 timeout = 0;
        g_assert_true(g_variant_lookup(options, "timeout", "u", &timeout));
        g_assert_cmpuint(timeout, ==, 90);
        g_assert_false(g_variant_lookup(options, "force", "b", NULL));
        g_assert_false(g_variant_lookup(options, "ssh-connection", "&s", NULL));
        /* Without --no-ask-password the client allows interactive authorization. */
        g_assert_true(allows_interactive(inv));
        g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.AccessDenied",
                                                   "polkit denied org.backstop.firewall1.apply");

        g_assert_cmpint(client_finish(run), ==, 5);
        g_autofree char *line = err_line(run);
        g_assert_cmpstr(line, ==, "Not authorized to apply firewall changes");
        g_assert_cmpstr(run->out, ==, "");
        run_free(run);
}

static void test_no_ask_password(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "--no-ask-password", "apply", "--no-wait", "-P INPUT DROP", NULL };
        Run *run = client_start(NULL, args);

        GDBusMethodInvocation *inv = pop_call(q, "Apply");
        g_assert_false(allows_interactive(inv));
        g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                                                   "Interactive authentication required.");

        g_assert_cmpint(client_finish(run), ==, 5);
        g_autofree char *line = err_line(run);
        g_assert_true(g_str_has_prefix(line, "Not authorized to apply firewall changes: authentication is required"));
        g_assert_null(strchr(line, '\n'));
        run_free(run);
}

static void test_busy(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "default-deny", "--no-wait", NULL };
        Run *run = client_start(NULL, args);

        GDBusMethodInvocation *inv = pop_call(q, "ApplyDefaultDeny");
        /* No --allow: the default 22/tcp. */
        g_autoptr(GVariant) allows = g_variant_get_child_value(g_dbus_method_invocation_get_parameters(inv), 0);
        g_autofree char *printed = g_variant_print(allows, FALSE);
        g_assert_cmpstr(printed, ==, "[('tcp', 22)]");
        g_dbus_method_invocation_return_dbus_error(inv, "org.backstop.Firewall1.Error.Busy",
                                                   "transaction 7 is pending until 12:00:00");

        g_assert_cmpint(client_finish(run), ==, 7);
        g_autofree char *line = err_line(run);
        g_assert_true(g_str_has_prefix(line, "Another transaction is pending (transaction 7 is pending until 12:00:00)"));
        run_free(run);
}

static void test_default_deny_allows(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "default-deny", "--no-wait", "--allow", "2222/tcp", "--allow", "53/UDP", "--strict",
                               "--force", "--save", NULL };
        Run *run = client_start(NULL, args);

        GDBusMethodInvocation *inv = pop_call(q, "ApplyDefaultDeny");
        GVariant *params = g_dbus_method_invocation_get_parameters(inv);
        g_autofree char *printed = g_variant_print(params, FALSE);
        g_assert_cmpstr(printed, ==,
                        "([('tcp', 2222), ('udp', 53)], {'strict': <true>, 'force': <true>, 'save': <true>})");
        g_dbus_method_invocation_return_dbus_error(inv, "org.backstop.Firewall1.Error.Failed", "kernel said EINVAL");

        g_assert_cmpint(client_finish(run), ==, 1);
        g_autofree char *line = err_line(run);
        g_assert_cmpstr(line, ==, "The kernel refused the change, nothing changed: kernel said EINVAL");
        run_free(run);
}

static void test_lockout_risk(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "apply", "--no-wait", "-P INPUT DROP", NULL };
        Run *run = client_start(NULL, args);

        GDBusMethodInvocation *inv = pop_call(q, "Apply");
        g_dbus_method_invocation_return_dbus_error(
                inv, "org.backstop.Firewall1.Error.LockoutRisk",
                "this change would cut off 2 connections: tcp 10.0.0.2:51234 -> 10.0.0.1:22 (INPUT policy DROP); "
                "tcp 10.0.0.3:40000 -> 10.0.0.1:22 (INPUT policy DROP)");

        g_assert_cmpint(client_finish(run), ==, 4);
        g_autofree char *line = err_line(run);
        g_assert_true(g_str_has_prefix(line, "Refused: this change would cut off 2 connections: tcp 10.0.0.2:51234 "
                                             "-> 10.0.0.1:22 (INPUT policy DROP); tcp 10.0.0.3:40000"));
        g_assert_null(strchr(line, '\n'));
        run_free(run);
}

static void test_ssh_connection_passed(void) {
        g_autoptr(Mock) q = mock_new();
        const char *exe = g_getenv("BACKSTOPCTL");
        g_autoptr(GSubprocessLauncher) l =
                g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GError) error = NULL;
        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", g_getenv("DBUS_SESSION_BUS_ADDRESS"), TRUE);
        g_subprocess_launcher_setenv(l, "SSH_CONNECTION", "10.0.0.2 51234 10.0.0.1 22", TRUE);
        Run *run = g_new0(Run, 1);
        run->proc = g_subprocess_launcher_spawn(l, &error, exe, "apply", "--no-wait", "-A INPUT -j DROP", NULL);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8_async(run->proc, NULL, NULL, communicated, run);

        GDBusMethodInvocation *inv = pop_call(q, "Apply");
        g_autoptr(GVariant) options = g_variant_get_child_value(g_dbus_method_invocation_get_parameters(inv), 1);
        const char *ssh = NULL;
        g_assert_true(g_variant_lookup(options, "ssh-connection", "&s", &ssh));
        g_assert_cmpstr(ssh, ==, "10.0.0.2 51234 10.0.0.1 22");
        g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.InvalidArgs",
                                                   "change 1: unknown target 'DROPP'");
        g_assert_cmpint(client_finish(run), ==, 2);
        g_autofree char *line = err_line(run);
        g_assert_cmpstr(line, ==, "Invalid argument: change 1: unknown target 'DROPP'");
        run_free(run);
}

static void test_rules_denied_and_text(void) {
        g_autoptr(Mock) q = mock_new();
        const char *args[] = { "rules", "-6", "INPUT", "-v", NULL };
        Run *run = client_start(NULL, args);
        GDBusMethodInvocation *inv = pop_call(q, "GetRulesText");
        g_autofree char *printed = g_variant_print(g_dbus_method_invocation_get_parameters(inv), FALSE);
        g_assert_cmpstr(printed, ==, "('ipv6', 'INPUT', true)");
        g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.AccessDenied", "no");
        g_assert_cmpint(client_finish(run), ==, 5);
        g_autofree char *line = err_line(run);
        g_assert_cmpstr(line, ==, "Not authorized to read the firewall rules");
        run_free(run);

        /* And the text is printed byte for byte, without additions. */
        const char *args2[] = { "rules", NULL };
        run = client_start(NULL, args2);
        inv = pop_call(q, "GetRulesText");
        g_autofree char *printed2 = g_variant_print(g_dbus_method_invocation_get_parameters(inv), FALSE);
        g_assert_cmpstr(printed2, ==, "('ipv4', '', false)");
        const char *text = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -m comment --comment \"a \\\"q\\\"\" -j ACCEPT\n";
        g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", text));
        g_assert_cmpint(client_finish(run), ==, 0);
        g_assert_cmpstr(run->out, ==, text);
        g_assert_cmpstr(run->err, ==, "");
        run_free(run);
}

static void test_daemon_absent(void) {
        /* A bus where nobody owns org.backstop.Firewall1. */
        g_autoptr(Mock) q = mock_connect();

        const char *args[] = { "apply", "--no-wait", "-P INPUT DROP", NULL };
        Run *run = client_start(NULL, args);
        g_assert_cmpint(client_finish(run), ==, 6);
        g_autofree char *line = err_line(run);
        g_assert_true(g_str_has_prefix(line, "Could not connect to backstopd: "));
        run_free(run);

        /* The waiting form subscribes first; the failure is the same. */
        const char *args2[] = { "default-deny", NULL };
        run = client_start(NULL, args2);
        g_assert_cmpint(client_finish(run), ==, 6);
        g_autofree char *line2 = err_line(run);
        g_assert_true(g_str_has_prefix(line2, "Could not connect to backstopd: "));
        run_free(run);
}

static void test_no_bus(void) {
        g_autofree char *dir = g_dir_make_tmp("backstopctl-XXXXXX", NULL);
        g_autofree char *addr = g_strdup_printf("unix:path=%s/no-such-socket", dir);
        const char *args[] = { "status", NULL };
        Run *run = client_start(addr, args);
        g_assert_cmpint(client_finish(run), ==, 6);
        g_autofree char *line = err_line(run);
        g_assert_true(g_str_has_prefix(line, "Could not connect to backstopd: "));
        run_free(run);
        g_rmdir(dir);
}

static void test_usage_errors(void) {
        static const char *const cases[][6] = {
                { "frobnicate", NULL },
                { "apply", NULL },                               /* no change */
                { "apply", "--timeout", "forever", "-P INPUT DROP", NULL },
                { "default-deny", "--allow", "0/tcp", NULL },
                { "default-deny", "--allow", "22/icmp", NULL },
                { "default-deny", "--allow", "22/", NULL },      /* a bare 22 is 22/tcp */
                { "confirm", "1", "2", NULL },
                { "confirm", "abc", NULL },
                { "extend", NULL },
                { "extend", "3", "0", NULL },
                { "rules", "-4", "-6", NULL },
                { "rules", "-A INPUT -j DROP", NULL },
                { "status", "--bogus", NULL },
                { "status", "--allow", "22/tcp", NULL },
                { "apply", "-P", "INPUT", "DROP", NULL },        /* not quoted */
        };
        g_autofree char *dir = g_dir_make_tmp("backstopctl-XXXXXX", NULL);
        g_autofree char *addr = g_strdup_printf("unix:path=%s/no-such-socket", dir);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                Run *run = client_start(addr, (const char *const *) cases[i]);
                int status = client_finish(run);
                if (status != 2)
                        g_error("case %zu (%s): exit %d, stderr: %s", i, cases[i][0], status, run->err);
                g_assert_cmpstr(run->out, ==, "");
                g_assert_true(g_str_has_prefix(run->err, "backstopctl: "));
                if (g_str_equal(cases[i][1] ? cases[i][1] : "", "-P"))
                        g_assert_true(g_str_has_prefix(run->err, "backstopctl: unknown option '-P': each CHANGE "
                                                                 "must be one quoted argument"));
                run_free(run);
        }
        g_rmdir(dir);
}

int main(int argc, char **argv) {
        g_autofree char *xml_path = NULL, *xml = NULL;
        g_autoptr(GError) error = NULL;

        g_test_init(&argc, &argv, NULL);
        xml_path = g_build_filename(g_getenv("BACKSTOP_SOURCE_ROOT"), "dbus", "org.backstop.Firewall1.xml", NULL);
        g_assert_true(g_file_get_contents(xml_path, &xml, NULL, &error));
        node_info = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        g_test_add_func("/client/mock/apply-access-denied", test_apply_access_denied);
        g_test_add_func("/client/mock/no-ask-password", test_no_ask_password);
        g_test_add_func("/client/mock/busy", test_busy);
        g_test_add_func("/client/mock/default-deny-allows", test_default_deny_allows);
        g_test_add_func("/client/mock/lockout-risk", test_lockout_risk);
        g_test_add_func("/client/mock/ssh-connection", test_ssh_connection_passed);
        g_test_add_func("/client/mock/rules", test_rules_denied_and_text);
        g_test_add_func("/client/mock/daemon-absent", test_daemon_absent);
        g_test_add_func("/client/mock/no-bus", test_no_bus);
        g_test_add_func("/client/mock/usage", test_usage_errors);
        int r = g_test_run();
        g_dbus_node_info_unref(node_info);
        return r;
}
