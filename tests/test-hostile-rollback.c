/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A rollback is on time while an unprivileged caller keeps the daemon as
 * busy as it can: a transaction with a 2 s timer, and meanwhile uid 65534
 * sends the largest Apply and Preview the limits allow (a service name in
 * every port), back to back, from before the deadline to after it. How
 * late the rollback ran is what the daemon logs, and when its signal came
 * against the transaction's Deadline; both printed, the log's figure
 * judged with a generous bound (the machine is shared). Then the same
 * with root's Previews of the largest size the daemon takes while a
 * transaction is pending (root skips polkit: the most one authorized call
 * parses and evaluates then), and a larger one refused; and a root Preview
 * of the largest call when nothing is pending, timed and printed. */
#include "hostile-util.h"
#include "worst-changes.h"

static volatile gint64 RolledBackAt; /* g_get_real_time() when the signal came, 0 before */

static GDBusMessage *note_rolled_back(GDBusConnection *c, GDBusMessage *msg, gboolean incoming, gpointer data) {
        if (incoming && g_dbus_message_get_message_type(msg) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
            g_strcmp0(g_dbus_message_get_member(msg), "TransactionRolledBack") == 0)
                RolledBackAt = g_get_real_time();
        return msg;
}

static void ignore_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                          const char *signal, GVariant *params, gpointer data) {
}

static double logged_lateness_ms(guint32 id) {
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(F->daemon_log, &log, NULL, NULL));
        g_autofree char *needle = g_strdup_printf("Transaction %u rolled back (timeout), ", id);
        const char *p = g_strrstr(log, needle);
        return p ? g_ascii_strtod(p + strlen(needle), NULL) : -1;
}

typedef void (*Flood)(void);

/* A transaction with a 2 s timer while flood() keeps the daemon busy from
 * before the deadline until after it: how late its rollback ran, printed
 * (who: who flooded) and judged with a generous bound. */
static void rollback_during(Flood flood, const char *who) {
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, IFACE, "TransactionRolledBack", PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, ignore_signal, NULL, NULL);
        guint filter = g_dbus_connection_add_filter(C, note_rolled_back, NULL, NULL);
        RolledBackAt = 0;
        g_autofree char *tx = apply_tx("-A INPUT -s 192.0.2.253/32 -j DROP", 2);
        guint32 id = (guint32) strtoul(tx + strlen(TX_PREFIX), NULL, 10);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, tx, "org.freedesktop.DBus.Properties", "Get",
                                                            g_variant_new("(ss)", TX_IFACE, "Deadline"),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000,
                                                            NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        guint64 deadline = g_variant_get_uint64(v);

        flood();
        for (int i = 0; i < 600 && logged_lateness_ms(id) < 0; i++)
                g_usleep(100000);
        double late_ms = logged_lateness_ms(id);
        gint64 at = RolledBackAt;
        g_print("# rollback due while %s: %.1f ms after its deadline (daemon log), its signal %.1f ms after it\n",
                who, late_ms, at ? (double) (at - (gint64) deadline) / 1e3 : -1.0);
        g_dbus_connection_remove_filter(C, filter);
        g_dbus_connection_signal_unsubscribe(C, sub);
        g_autofree char *state = tx_state(C, tx);
        g_assert_cmpstr(state, ==, "rolled-back");
        g_assert_cmpint(at, >, 0);
        g_assert_cmpfloat(late_ms, >=, 0);
        /* Not judged under AddressSanitizer: its realloc copies the block
         * each time, even to the same size, and sd-bus reallocates its read
         * buffer for every part of a message that arrives: a message of 30
         * MiB costs the daemon seconds there, tens of ms without. */
        if (UNDER_ASAN)
                g_print("# (the lateness is not judged under ASan)\n");
        else {
                g_assert_cmpfloat((double) (at - (gint64) deadline) / 1e3, <, 1000);
                g_assert_cmpfloat(late_ms, <, 1000);
        }
}

/* from now (the deadline is 2 s away) until 2 s after it */
static void flood_unprivileged(void) {
        int status = run_unprivileged("flood", "4", NULL);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static void flood_root_previews(void) {
        g_auto(GStrv) lines = worst_changes(PREVIEW_PENDING_BYTES_MAX, CHANGES_MAX);
        GVariant *params = g_variant_ref_sink(g_variant_new("(^as@a{sv})", lines, empty_opts()));
        gint64 end = g_get_monotonic_time() + 4 * G_USEC_PER_SEC, longest = 0;
        guint calls = 0;
        while (g_get_monotonic_time() < end) {
                gint64 c0 = g_get_monotonic_time();
                g_autoptr(GError) e = NULL;
                g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, PATH, IFACE, "Preview", params, NULL,
                                                                    G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &e);
                g_assert_no_error(e);
                longest = MAX(longest, g_get_monotonic_time() - c0);
                calls++;
        }
        g_print("# root: %u Previews of %u changes (%u KiB, service names everywhere) in 4 s, the longest %.1f ms\n",
                calls, g_strv_length(lines), PREVIEW_PENDING_BYTES_MAX >> 10, longest / 1e3);
        g_variant_unref(params);
}

static void test_rollback_on_time(void) {
        g_autofree char *unprivileged = g_strdup_printf("uid %u sent the largest calls", UNPRIVILEGED_UID);
        rollback_during(flood_unprivileged, unprivileged);
        rollback_during(flood_root_previews, "root sent the largest Previews taken while it is pending");

        /* a larger Preview while a transaction is pending: refused before
         * anything is parsed */
        g_autofree char *tx = apply_tx("-A INPUT -s 192.0.2.254/32 -j DROP", 600);
        g_auto(GStrv) lines = worst_changes(CHANGES_BYTES_MAX, CHANGES_MAX);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) refused = g_dbus_connection_call_sync(
                C, BUS_NAME, PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", lines, empty_opts()), NULL,
                G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &error);
        g_assert_nonnull(error);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, E_LIMITS);
        g_clear_error(&error);
        tx_method(tx, "Rollback", NULL);

        /* the largest Preview of an authorized caller, nothing pending */
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GVariant) pr = g_dbus_connection_call_sync(
                C, BUS_NAME, PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", lines, empty_opts()), NULL,
                G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &error);
        g_assert_no_error(error);
        g_print("# root Preview of the largest call (%u changes, service names everywhere): %.1f ms\n",
                g_strv_length(lines), (g_get_monotonic_time() - t0) / 1e3);

        /* what one change of 30 MiB costs the daemon before it can see its
         * length: libsystemd checks the string's UTF-8 as it is read */
        g_autofree char *huge_change = g_strnfill(30u << 20, 'x');
        GVariant *huge = g_variant_ref_sink(apply_params(huge_change, NULL));
        double cpu0 = daemon_cpu_ms();
        for (int i = 0; i < 5; i++) {
                g_autoptr(GError) e = NULL;
                g_autoptr(GVariant) hr = g_dbus_connection_call_sync(C, BUS_NAME, PATH, IFACE, "Preview", huge, NULL,
                                                                     G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &e);
                g_assert_nonnull(e);
        }
        g_print("# a change of 30 MiB (refused for its size): %.1f ms of the daemon's CPU each\n",
                (daemon_cpu_ms() - cpu0) / 5);
        g_variant_unref(huge);
        assert_alive();
}

/* ---------------------------------------------------------------- the unprivileged side */

/* argv[4]: for how many seconds */
static int unprivileged_main(int argc, char **argv) {
        if (argc < 5 || !g_str_equal(argv[2], "flood"))
                return 2;
        g_autoptr(GDBusConnection) c = unprivileged_connect(UNPRIVILEGED_UID, argv[3]);
        if (!c)
                return 1;
        guint failures = 0;
        /* the largest Apply (Busy: a transaction is pending) and
         * Preview (denied: no polkit here), and a Preview of one
         * change of 30 MiB (refused for its size: close to the
         * largest message the bus passes), for argv[4] seconds */
        g_auto(GStrv) lines = worst_changes(CHANGES_BYTES_MAX, CHANGES_MAX);
        GVariant *params = g_variant_ref_sink(g_variant_new("(^as@a{sv})", lines, empty_opts()));
        g_autofree char *huge_change = g_strnfill(30u << 20, 'x');
        GVariant *huge = g_variant_ref_sink(apply_params(huge_change, NULL));
        gint64 t0 = g_get_monotonic_time(), end = t0 + (gint64) (g_ascii_strtod(argv[4], NULL) * 1e6);
        guint calls = 0;
        gint64 longest = 0;
        while (g_get_monotonic_time() < end) {
                gint64 c0 = g_get_monotonic_time();
                if (calls % 2 == 0) {
                        /* Busy until the rollback, denied after it */
                        g_autoptr(GError) e = NULL;
                        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                                c, BUS_NAME, PATH, IFACE, "Apply", params, NULL, G_DBUS_CALL_FLAGS_NONE,
                                120000, NULL, &e);
                        g_autofree char *name = e ? g_dbus_error_get_remote_error(e) : NULL;
                        if (!name || (!g_str_equal(name, E_BUSY) && !g_str_equal(name, E_DENIED))) {
                                g_printerr("FAIL (uid %u) Apply: %s\n", UNPRIVILEGED_UID,
                                           e ? e->message : "success");
                                failures++;
                        }
                } else if (calls % 4 == 1) {
                        /* too large while a transaction is pending, denied after */
                        g_autoptr(GError) e = NULL;
                        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                                c, BUS_NAME, PATH, IFACE, "Preview", params, NULL, G_DBUS_CALL_FLAGS_NONE,
                                120000, NULL, &e);
                        g_autofree char *name = e ? g_dbus_error_get_remote_error(e) : NULL;
                        if (!name || (!g_str_equal(name, E_LIMITS) && !g_str_equal(name, E_DENIED))) {
                                g_printerr("FAIL (uid %u) Preview: %s\n", UNPRIVILEGED_UID,
                                           e ? e->message : "success");
                                failures++;
                        }
                }
                else
                        failures += expect(c, PATH, IFACE, "Preview", huge, E_INVALID);
                longest = MAX(longest, g_get_monotonic_time() - c0);
                calls++;
        }
        g_print("# uid %u: %u calls of %u changes in %.1f s, the longest answered in %.1f ms\n",
                UNPRIVILEGED_UID, calls, g_strv_length(lines), (g_get_monotonic_time() - t0) / 1e6,
                longest / 1e3);
        g_variant_unref(params);
        g_variant_unref(huge);
        return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc >= 4 && g_str_equal(argv[1], "--unprivileged"))
                return unprivileged_main(argc, argv);
        int r = hostile_init(&argc, &argv);
        if (r != 0)
                return r;
        g_test_add_func("/hostile/rollback-on-time", test_rollback_on_time);
        return hostile_run();
}
