/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls waiting for polkit are bounded per uid: a mock polkit (this
 * program again, as user polkitd, the one the bus lets own polkit's name)
 * that never answers; uid 65534 sends 8 Apply calls of 2 MiB that allow
 * interactive authorization (polkit may then take 5 minutes); the first 4
 * wait for polkit, the others are refused with LimitsExceeded at once.
 * Another uid's call (user daemon's) still gets its check started. The daemon's RSS is
 * printed before and after, and bounded. Closing the mock answers the
 * waiting checks. */
#include <gio/gunixinputstream.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>

#include "hostile-util.h"

static const char *Self;

#define PINNED_RSS_BOUND_KB (24 * 1024)

static gboolean read_line_within(int fd, char *buf, size_t size, int timeout_ms) {
        size_t n = 0;
        while (n + 1 < size) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, timeout_ms) <= 0)
                        return FALSE;
                if (read(fd, buf + n, 1) != 1)
                        return FALSE;
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
        return TRUE;
}

static void test_polkit_pinned(void) {
        g_autoptr(GError) error = NULL;
        const char *argv[] = { Self, "--mock-polkit", F->bus_address, NULL };
        g_autoptr(GSubprocess) mock = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
        g_assert_no_error(error);
        int out = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(mock)));
        char line[256];
        g_assert_true(read_line_within(out, line, sizeof(line), 30000));
        g_assert_cmpstr(line, ==, "ready");

        long rss0 = daemon_rss_kb();
        int status = run_unprivileged("pin", NULL);
        long rss1 = daemon_rss_kb();
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        for (int i = 0; i < 4; i++) {
                g_assert_true(read_line_within(out, line, sizeof(line), 30000));
                g_assert_true(g_str_has_prefix(line, "check org.backstop.firewall1.apply "));
        }
        g_autofree char *first = g_strdup(line + strlen("check org.backstop.firewall1.apply "));
        /* another uid: its check starts */
        status = run_unprivileged("other", NULL);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_true(read_line_within(out, line, sizeof(line), 30000));
        g_assert_true(g_str_has_prefix(line, "check org.backstop.firewall1.apply "));
        g_assert_cmpstr(line + strlen("check org.backstop.firewall1.apply "), !=, first);
        g_print("# 8 calls of 2 MiB waiting for a polkit that does not answer: 4 kept, daemon RSS %ld kB -> %ld kB "
                "(%+ld kB, bound %d kB%s)\n",
                rss0, rss1, rss1 - rss0, PINNED_RSS_BOUND_KB, UNDER_ASAN ? ", not judged under ASan" : "");
        if (!UNDER_ASAN)
                g_assert_cmpint(rss1 - rss0, <, PINNED_RSS_BOUND_KB);

        /* the mock answers what waits, with an error, and goes */
        g_assert_true(g_output_stream_close(g_subprocess_get_stdin_pipe(mock), NULL, &error));
        g_assert_no_error(error);
        g_assert_true(g_subprocess_wait_check(mock, NULL, &error));
        g_assert_no_error(error);
        assert_alive();
}

/* The mock polkit: owns polkit's name as user polkitd, prints "check
 * ACTION SUBJECT" for each CheckAuthorization and answers none until its
 * stdin closes; then answers them all with an error. */
static GPtrArray *MockCalls;
static GMutex MockLock;

static GDBusMessage *mock_filter(GDBusConnection *c, GDBusMessage *msg, gboolean incoming, gpointer data) {
        if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
            g_strcmp0(g_dbus_message_get_member(msg), "CheckAuthorization") != 0)
                return msg;
        GVariant *body = g_dbus_message_get_body(msg);
        const char *action = "?", *name = "?";
        g_autoptr(GVariant) subject = NULL, details = NULL;
        if (body && g_variant_is_of_type(body, G_VARIANT_TYPE("((sa{sv})sa{ss}us)"))) {
                g_variant_get(body, "(@(sa{sv})&s@a{ss}u&s)", &subject, &action, &details, NULL, NULL);
                g_autoptr(GVariant) sd = g_variant_get_child_value(subject, 1);
                g_variant_lookup(sd, "name", "&s", &name);
        }
        printf("check %s %s\n", action, name);
        fflush(stdout);
        g_mutex_lock(&MockLock);
        g_ptr_array_add(MockCalls, msg);  /* kept unanswered */
        g_mutex_unlock(&MockLock);
        return NULL;
}

static int mock_polkit_main(const char *address) {
        struct passwd *pw = getpwnam("polkitd");
        if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
                perror("cannot become polkitd");
                return 1;
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c) {
                g_printerr("mock polkit cannot connect: %s\n", error->message);
                return 1;
        }
        MockCalls = g_ptr_array_new_with_free_func(g_object_unref);
        g_dbus_connection_add_filter(c, mock_filter, NULL, NULL);
        g_autoptr(GVariant) owned = g_dbus_connection_call_sync(
                c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                g_variant_new("(su)", "org.freedesktop.PolicyKit1", 4u), G_VARIANT_TYPE("(u)"),
                G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        guint32 result = 0;
        if (owned)
                g_variant_get(owned, "(u)", &result);
        if (result != 1) {
                g_printerr("mock polkit cannot own its name: %s\n", error ? error->message : "not primary owner");
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        char b;
        while (read(STDIN_FILENO, &b, 1) > 0)
                ;
        g_mutex_lock(&MockLock);
        for (guint i = 0; i < MockCalls->len; i++) {
                g_autoptr(GDBusMessage) e = g_dbus_message_new_method_error(
                        MockCalls->pdata[i], "org.freedesktop.PolicyKit1.Error.Failed", "mock polkit goes");
                (void) g_dbus_connection_send_message(c, e, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
        }
        g_mutex_unlock(&MockLock);
        (void) g_dbus_connection_flush_sync(c, NULL, NULL);
        g_ptr_array_unref(MockCalls);
        return 0;
}

/* ---------------------------------------------------------------- the unprivileged side */

/* n Apply calls of 2 MiB at once, allowing interactive authorization
 * (no polkit answers them here): the first 4 must wait, any beyond must be
 * refused with LimitsExceeded. Returns the failures. */
typedef struct Pending {
        GVariant *reply;
        GError *error;
        gboolean done;
} Pending;

static void pending_done(GObject *source, GAsyncResult *res, gpointer data) {
        Pending *p = data;
        p->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &p->error);
        p->done = TRUE;
}

static guint send_waiting(GDBusConnection *c, guint n) {
        /* cheap to parse: the bound is on what waits, not on parsing */
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
        g_autofree char *comment = g_strnfill(200, 'p');
        g_autofree char *change = g_strdup_printf("-A INPUT -m comment --comment %s -j ACCEPT", comment);
        for (size_t size = 0; size + strlen(change) <= CHANGES_BYTES_MAX; size += strlen(change))
                g_variant_builder_add(&b, "s", change);
        GVariant *params = g_variant_ref_sink(g_variant_new("(@as@a{sv})", g_variant_builder_end(&b), empty_opts()));
        g_autofree Pending *p = g_new0(Pending, n);
        for (guint i = 0; i < n; i++)
                g_dbus_connection_call(c, BUS_NAME, PATH, IFACE, "Apply", params, NULL,
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, 600000, NULL, pending_done,
                                       &p[i]);
        guint refused = n > 4 ? n - 4 : 0, failures = 0, got = 0;
        gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC, quiet_until = 0;
        /* all refusals, then a second more for anything else */
        while (g_get_monotonic_time() < (quiet_until ? quiet_until : end)) {
                g_main_context_iteration(NULL, FALSE);
                got = 0;
                for (guint i = 0; i < n; i++)
                        got += p[i].done;
                if (got >= refused && !quiet_until)
                        quiet_until = g_get_monotonic_time() + G_USEC_PER_SEC;
                g_usleep(1000);
        }
        for (guint i = 0; i < n; i++) {
                g_autofree char *name = p[i].error ? g_dbus_error_get_remote_error(p[i].error) : NULL;
                bool want_refused = i >= 4;
                if (want_refused && !(p[i].done && g_strcmp0(name, "org.freedesktop.DBus.Error.LimitsExceeded") == 0)) {
                        g_printerr("FAIL (uid %u) waiting call %u: %s, wanted LimitsExceeded\n", (unsigned) geteuid(),
                                   i + 1, p[i].done ? (p[i].error ? p[i].error->message : "success") : "no answer");
                        failures++;
                } else if (!want_refused && p[i].done) {
                        g_printerr("FAIL (uid %u) call %u answered (%s) while polkit has not\n", (unsigned) geteuid(),
                                   i + 1, p[i].error ? p[i].error->message : "success");
                        failures++;
                } else if (want_refused)
                        g_print("# uid %u, call %u: %s\n", (unsigned) geteuid(), i + 1, p[i].error->message);
                g_clear_error(&p[i].error);
                g_clear_pointer(&p[i].reply, g_variant_unref);
        }
        g_variant_unref(params);
        return failures;
}
static int unprivileged_main(int argc, char **argv) {
        const char *mode = argv[2];
        uid_t uid = UNPRIVILEGED_UID;
        if (g_str_equal(mode, "other")) {
                struct passwd *pw = getpwnam(OTHER_USER);
                if (!pw || pw->pw_uid == 0) {
                        g_printerr("no user %s\n", OTHER_USER);
                        return 1;
                }
                uid = pw->pw_uid;
        }
        g_autoptr(GDBusConnection) c = unprivileged_connect(uid, argv[3]);
        if (!c)
                return 1;
        return send_waiting(c, g_str_equal(mode, "pin") ? 8 : 1) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc >= 4 && g_str_equal(argv[1], "--unprivileged"))
                return unprivileged_main(argc, argv);
        if (argc >= 3 && g_str_equal(argv[1], "--mock-polkit"))
                return mock_polkit_main(argv[2]);
        Self = argv[0];
        int r = hostile_init(&argc, &argv);
        if (r != 0)
                return r;
        g_test_add_func("/hostile/polkit-pinned", test_polkit_pinned);
        return hostile_run();
}
