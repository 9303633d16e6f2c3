/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RulesChanged: sent when the rules of a family change, by our
 * transactions and their rollback or by another program, and not for a
 * change that leaves them as they were (a commit to another nf_tables
 * table, counters). On the backend under test: with iptables-nft the
 * daemon hears of others' changes from nf_tables itself, with
 * iptables-legacy at its next look (GetStatus looks at once, which the
 * test uses to be deterministic on both). */
#include "bus-service-util.h"
#include "test-backend.h"

typedef struct Heard {
        GPtrArray *families;  /* one "ipv4,ipv6"-style string per signal */
} Heard;

static void on_rules_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                             const char *signal, GVariant *params, gpointer userdata) {
        Heard *h = userdata;
        g_autofree const char **names = NULL;
        g_variant_get(params, "(^a&s)", &names);
        g_autofree char *joined = g_strjoinv(",", (char **) names);
        g_ptr_array_add(h->families, g_steal_pointer(&joined));
}

/* Everything the daemon sent before the reply of a GetStatus, which looks
 * at the tables itself. */
static void look_now(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
        g_assert_no_error(error);
        while (g_main_context_iteration(NULL, FALSE))
                ;
}

static gboolean keep_waking(gpointer userdata) {
        return G_SOURCE_CONTINUE;
}

/* Waits for the next signal (the bound only keeps a broken daemon from
 * hanging the test); with look, asks the daemon to look first. */
static const char *wait_heard(Heard *h, guint n, gboolean look) {
        if (look)
                look_now();
        gint64 start = g_get_monotonic_time();
        guint tick = g_timeout_add(100, keep_waking, NULL);  /* so that the bound is looked at */
        while (h->families->len < n) {
                if (g_get_monotonic_time() - start > 60 * G_USEC_PER_SEC) {
                        g_autofree char *log = NULL;
                        (void) g_file_get_contents(F->daemon_log, &log, NULL, NULL);
                        g_printerr("---- backstopd log ----\n%s", log ? log : "");
                        g_error("no RulesChanged %u after 60 s", n);
                }
                g_main_context_iteration(NULL, TRUE);
        }
        g_source_remove(tick);
        g_test_message("RulesChanged %u after %.1f ms", n, (g_get_monotonic_time() - start) / 1e3);
        return g_ptr_array_index(h->families, n - 1);
}

static void test_rules_changed(void) {
        bs_test_reset_tables();
        Heard h = { g_ptr_array_new_with_free_func(g_free) };
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, IFACE, "RulesChanged", PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_rules_changed, &h, NULL);
        look_now();
        g_ptr_array_set_size(h.families, 0);

        /* ours: an IPv4 rule, then its rollback */
        const char *changes[] = { "-4 -A INPUT -p tcp --dport 7070 -j DROP", NULL };
        g_autofree char *tx = apply_ok(changes, 60);
        g_assert_cmpstr(wait_heard(&h, 1, FALSE), ==, "ipv4");
        tx_call(tx, "Rollback", NULL, NULL);
        wait_state(tx, "rolled-back");
        g_assert_cmpstr(wait_heard(&h, 2, FALSE), ==, "ipv4");

        /* another program's, in IPv6: heard without our looking on nft */
        const char *add6[] = { bs_test_iptables(BS_FAMILY_IPV6), "-w", "-A", "INPUT", "-p", "tcp", "--dport", "7071",
                               "-j", "DROP", NULL };
        g_free(bs_test_run(add6));
        g_assert_cmpstr(wait_heard(&h, 3, !bs_test_backend_is_nft()), ==, "ipv6");

        /* counters only, and a commit to a table that is not ours: nothing */
        const char *zero4[] = { bs_test_iptables(BS_FAMILY_IPV4), "-w", "-Z", NULL };
        g_free(bs_test_run(zero4));
        const char *nft_add[] = { "nft", "add", "table", "inet", "backstop_test_other", NULL };
        g_free(bs_test_run(nft_add));
        look_now();
        look_now();
        g_assert_cmpuint(h.families->len, ==, 3);

        /* both families at once */
        const char *both[] = { "-A INPUT -p tcp --dport 7072 -j DROP", NULL };
        g_autofree char *tx2 = apply_ok(both, 60);
        g_assert_cmpstr(wait_heard(&h, 4, FALSE), ==, "ipv4,ipv6");
        tx_call(tx2, "Rollback", NULL, NULL);
        wait_state(tx2, "rolled-back");

        const char *nft_del[] = { "nft", "delete", "table", "inet", "backstop_test_other", NULL };
        g_free(bs_test_run(nft_del));
        g_dbus_connection_signal_unsubscribe(C, sub);
        g_ptr_array_free(h.families, TRUE);
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/bus/rules-changed", test_rules_changed);
        return bus_service_run();
}
