/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd's transactions over a private system bus, in a private network
 * namespace: confirm, timeout, explicit rollback, extend, busy, a failed
 * IPv6 commit reverting both families, others' rules surviving a rollback,
 * ended transactions kept, what a transaction changes. */
#include "bus-service-util.h"

/* ---------------------------------------------------------------- transactions */

static void test_confirm_keeps(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.7/32 -j ACCEPT", NULL };
        /* The checks below and the Confirm must come before the deadline:
         * 4 s leave room for a slow machine. */
        g_autofree char *path = apply_ok(changes, 4);
        g_autoptr(GVariant) deadline = get_property(path, TX_IFACE, "Deadline");
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, path);
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_nonnull(strstr(s4, "-A INPUT -s 192.0.2.7/32 -j ACCEPT\n"));
        g_assert_cmpstr(s6, ==, empty_S); /* an IPv4 address: IPv4 only */

        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        tx_call(path, "Confirm", g_variant_new("(a{sv})", &b), NULL);
        g_autofree char *state = tx_string(path, "State");
        g_assert_cmpstr(state, ==, "confirmed");
        g_autofree char *pend2 = pending_path();
        g_assert_cmpstr(pend2, ==, "/");
        g_autofree char *journal = g_build_filename(F->runtime_dir, "journal", NULL);
        g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));

        sleep_past_deadline(deadline, G_USEC_PER_SEC); /* past the old deadline: nothing happens */
        g_autofree char *s4b = bs_test_ipt_S(4);
        g_assert_cmpstr(s4b, ==, s4);
        tx_call(path, "Rollback", NULL, "org.backstop.Firewall1.Error.NotPending");
}

static void test_timeout_rolls_back(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 198.51.100.1/32 -j ACCEPT");
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        const char *changes[] = { "-I INPUT 1 -p tcp --dport 22 -j DROP", "-P INPUT DROP", NULL };
        /* long enough that the rules are surely still there when read below */
        g_autofree char *path = apply_ok(changes, 3);
        g_autofree char *mid6 = bs_test_ipt_S(6);
        g_assert_nonnull(strstr(mid6, "-A INPUT -p tcp -m tcp --dport 22 -j DROP"));
        wait_state(path, "rolled-back");
        g_autofree char *reason = tx_string(path, "RollbackReason");
        g_assert_cmpstr(reason, ==, "timeout");
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
}

static void test_explicit_rollback(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-N web", "-A web -p tcp --dport 80 -j ACCEPT", "-A INPUT -j web", NULL };
        g_autofree char *path = apply_ok(changes, 30);
        tx_call(path, "Rollback", NULL, NULL);
        g_autofree char *state = tx_string(path, "State"), *reason = tx_string(path, "RollbackReason");
        g_assert_cmpstr(state, ==, "rolled-back");
        g_assert_cmpstr(reason, ==, "request");
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_cmpstr(s4, ==, empty_S);
        g_assert_cmpstr(s6, ==, empty_S);
        tx_call(path, "Rollback", NULL, "org.backstop.Firewall1.Error.NotPending");
        tx_call(path, "Extend", g_variant_new("(u)", 10), "org.backstop.Firewall1.Error.NotPending");
}

static void test_extend(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.8/32 -j DROP", NULL };
        /* the Extend below must reach the daemon before this deadline */
        g_autofree char *path = apply_ok(changes, 3);
        g_autoptr(GVariant) d0 = get_property(path, TX_IFACE, "Deadline");
        tx_call(path, "Extend", g_variant_new("(u)", 60), NULL);
        g_autoptr(GVariant) d1 = get_property(path, TX_IFACE, "Deadline");
        g_assert_cmpuint(g_variant_get_uint64(d1), >=, g_variant_get_uint64(d0) + 50 * G_USEC_PER_SEC);
        g_autoptr(GVariant) left = get_property(path, TX_IFACE, "TimeLeftUSec");
        g_assert_cmpuint(g_variant_get_uint64(left), >, 30 * G_USEC_PER_SEC);
        tx_call(path, "Extend", g_variant_new("(u)", 0), "org.freedesktop.DBus.Error.InvalidArgs");
        tx_call(path, "Extend", g_variant_new("(u)", 86401), "org.freedesktop.DBus.Error.InvalidArgs");
        sleep_past_deadline(d0, G_USEC_PER_SEC); /* past the original deadline */
        g_autofree char *state = tx_string(path, "State");
        g_assert_cmpstr(state, ==, "pending");
        tx_call(path, "Rollback", NULL, NULL);
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==, empty_S);
}

/* The Deadlines a transaction announced in PropertiesChanged. */
static void on_deadline_changed(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                                const char *signal, GVariant *params, gpointer data) {
        GArray *seen = data;
        const char *prop_iface;
        g_autoptr(GVariant) changed = NULL;
        g_variant_get(params, "(&s@a{sv}@as)", &prop_iface, &changed, NULL);
        guint64 deadline;
        if (g_str_equal(prop_iface, TX_IFACE) && g_variant_lookup(changed, "Deadline", "t", &deadline))
                g_array_append_val(seen, deadline);
}

/* Extend and ExtendWithOptions announce the new Deadline (panels and the
 * notifier follow it instead of polling). */
static void test_extend_announced(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.9/32 -j DROP", NULL };
        g_autofree char *path = apply_ok(changes, 60);
        g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(guint64));
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, "org.freedesktop.DBus.Properties",
                                                       "PropertiesChanged", path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_deadline_changed, seen, NULL);
        const char *methods[] = { "Extend", "ExtendWithOptions" };
        for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
                guint n_before = seen->len;
                tx_call(path, methods[i], i == 0 ? g_variant_new("(u)", 600 + i) :
                                                   g_variant_new_parsed("(uint32 601, @a{sv} {})"), NULL);
                g_autoptr(GVariant) d = get_property(path, TX_IFACE, "Deadline");
                /* the signal left before the reply: a round trip more
                 * delivers it; the bound only keeps a daemon that never
                 * sends it from hanging the test */
                gint64 give_up = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
                while (seen->len == n_before && g_get_monotonic_time() < give_up)
                        g_main_context_iteration(NULL, FALSE) || (g_usleep(10000), TRUE);
                g_assert_cmpuint(seen->len, >, n_before);
                g_assert_cmpuint(g_array_index(seen, guint64, seen->len - 1), ==, g_variant_get_uint64(d));
        }
        g_dbus_connection_signal_unsubscribe(C, sub);
        tx_call(path, "Rollback", NULL, NULL);
}

static void test_busy(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.10/32 -j DROP", NULL };
        g_autofree char *path = apply_ok(changes, 30);
        g_autoptr(GError) error = NULL;
        const char *more[] = { "-A INPUT -s 192.0.2.11/32 -j DROP", NULL };
        g_autofree char *p2 = apply(more, opts_timeout(30), &error);
        g_assert_null(p2);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.Busy");
        g_clear_error(&error);
        g_autoptr(GVariant) r = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_autofree char *name2 = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name2, ==, "org.backstop.Firewall1.Error.Busy");
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_null(strstr(s4, "192.0.2.11"));
        tx_call(path, "Rollback", NULL, NULL);
}

static void test_ipv6_failure_reverts_both(void) {
        /* IPv4 commits, then the kernel refuses the IPv6 part (-m mac is
         * not allowed in OUTPUT, which only the kernel checks): the IPv4
         * commit is undone, nothing is pending */
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 203.0.113.5/32 -j ACCEPT");
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        const char *changes[] = { "-A INPUT -s 192.0.2.40/32 -j DROP", "-P FORWARD DROP",
                                  "-6 -A OUTPUT -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT", NULL };
        g_autoptr(GError) error = NULL;
        g_autofree char *path = apply(changes, opts_forced(30), &error);
        g_assert_null(path);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        if (!g_str_equal(name, "org.backstop.Firewall1.Error.Failed"))
                g_error("%s: %s", name, error->message);
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6), *pend = pending_path();
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
        g_assert_cmpstr(pend, ==, "/");
        g_autofree char *journal = g_build_filename(F->runtime_dir, "journal", NULL);
        g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));
}

/* A read call, which leaves the tables it read in the daemon's read cache
 * (the rollback reads through it too). */
static void read_both(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "ListChains", g_variant_new("(s)", ""), "(aa{sv})", &error);
        g_assert_no_error(error);
}

/* warm: 0 no read during the window, 1 a read right after the apply (the
 * cache then holds the applied tables, which others change after), 2 a
 * read after the others' changes (the cache holds the current tables). */
static void test_others_rules_survive(gconstpointer data) {
        int warm = GPOINTER_TO_INT(data);
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 203.0.113.1/32 -j ACCEPT");
        const char *changes[] = { "-A INPUT -s 192.0.2.9/32 -j DROP", "-4 -D INPUT 1", "-P INPUT DROP", NULL };
        g_autofree char *path = apply_ok(changes, 30);
        if (warm == 1)
                read_both();
        /* others during the window: fail2ban-like insert, docker-like chain */
        bs_test_ipt(4, "-I INPUT 1 -s 198.51.100.1/32 -j DROP");
        bs_test_ipt(4, "-N DOCKER");
        bs_test_ipt(4, "-A FORWARD -j DOCKER");
        bs_test_ipt(6, "-A INPUT -s 2001:db8::5/128 -j ACCEPT");
        if (warm == 2)
                read_both();
        tx_call(path, "Rollback", NULL, NULL);
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_cmpstr(s4, ==,
                        /* the deleted rule had no neighbour left: back at the top */
                        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N DOCKER\n"
                        "-A INPUT -s 203.0.113.1/32 -j ACCEPT\n-A INPUT -s 198.51.100.1/32 -j DROP\n"
                        "-A FORWARD -j DOCKER\n");
        g_assert_cmpstr(s6, ==, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                                "-A INPUT -s 2001:db8::5/128 -j ACCEPT\n");
}

static void test_ended_kept(void) {
        /* the last 16 ended transactions stay readable, older ones go */
        bs_test_reset_tables();
        char *paths[17];
        for (int i = 0; i < 17; i++) {
                const char *changes[] = { "-A INPUT -s 192.0.2.30/32 -j DROP", NULL };
                paths[i] = apply_ok(changes, 30);
                tx_call(paths[i], "Rollback", NULL, NULL);
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) gone = call(paths[0], "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", TX_IFACE, "State"), "(v)", &error);
        g_assert_nonnull(error);
        for (int i = 1; i < 17; i++) {
                g_autofree char *state = tx_string(paths[i], "State");
                g_assert_cmpstr(state, ==, "rolled-back");
        }
        for (int i = 0; i < 17; i++)
                g_free(paths[i]);
}

/* What a transaction changes is read with GetChanges (its owner, or
 * read-rules), not from a property anyone may read. */
static void test_transaction_changes(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.77/32 -m comment --comment \"bastion of ops\" -j ACCEPT",
                                  NULL };
        g_autofree char *path = apply_ok(changes, 30);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(path, TX_IFACE, "GetChanges", NULL, "(as)", &error);
        g_assert_no_error(error);
        g_autofree const char **got = NULL;
        g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
        got = g_variant_get_strv(list, NULL);
        g_assert_cmpuint(g_strv_length((char **) got), ==, 1);
        g_assert_nonnull(strstr(got[0], "bastion of ops"));
        g_autoptr(GVariant) count = get_property(path, TX_IFACE, "ChangeCount");
        g_assert_cmpuint(g_variant_get_uint32(count), ==, 1);
        g_autoptr(GVariant) gone = call(path, "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", TX_IFACE, "Changes"), "(v)", &error);
        g_assert_nonnull(error);
        g_clear_error(&error);
        tx_call(path, "Rollback", NULL, NULL);
        /* and still after it ended */
        g_autoptr(GVariant) r2 = call(path, TX_IFACE, "GetChanges", NULL, "(as)", &error);
        g_assert_no_error(error);
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/service/confirm-keeps", test_confirm_keeps);
        g_test_add_func("/service/timeout-rolls-back", test_timeout_rolls_back);
        g_test_add_func("/service/explicit-rollback", test_explicit_rollback);
        g_test_add_func("/service/extend", test_extend);
        g_test_add_func("/service/extend-announced", test_extend_announced);
        g_test_add_func("/service/busy", test_busy);
        g_test_add_func("/service/ipv6-failure-reverts-both", test_ipv6_failure_reverts_both);
        g_test_add_data_func("/service/others-rules-survive", GINT_TO_POINTER(0), test_others_rules_survive);
        g_test_add_data_func("/service/others-rules-survive/read-after-apply", GINT_TO_POINTER(1),
                             test_others_rules_survive);
        g_test_add_data_func("/service/others-rules-survive/read-after-others", GINT_TO_POINTER(2),
                             test_others_rules_survive);
        g_test_add_func("/service/ended-kept", test_ended_kept);
        g_test_add_func("/service/transaction-changes", test_transaction_changes);
        return bus_service_run();
}
