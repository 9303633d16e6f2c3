/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PreviewDefaultDeny over a private system bus, in a private network
 * namespace: it lists what ApplyDefaultDeny would add (all of the recipe on
 * empty tables, nothing once it is in place), reports the lockout finding of
 * a management connection the recipe would cut, refuses a bad allow naming
 * it, and never changes the tables (the backend's iptables -S of both
 * families is the judge). The caller is root (polkit is not asked;
 * test-bus-polkit covers the actions). */
#include "bus-service-util.h"

static GVariant *preview_deny(const char *params, GError **error) {
        return call(PATH, IFACE, "PreviewDefaultDeny", g_variant_new_parsed(params), "(a{ss}asaa{sv})", error);
}

static char *joined_commands(GVariant *preview) {
        g_autoptr(GVariant) cmds = g_variant_get_child_value(preview, 1);
        g_autofree const char **v = g_variant_get_strv(cmds, NULL);
        return g_strjoinv("\n", (char **) v);
}

/* The preview's commands are the recipe (both families, the allow, the
 * policy last), the preview's result is what the apply then makes, and
 * the kernel's tables are untouched by the preview. */
static void test_preview_lists_recipe(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        g_autoptr(GVariant) p = preview_deny("([('tcp', uint16 22)], @a{sv} {})", &error);
        g_assert_no_error(error);
        g_autofree char *cmds = joined_commands(p);
        g_print("# preview on empty tables:\n%s\n", cmds);
        g_assert_nonnull(strstr(cmds, "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"));
        g_assert_nonnull(strstr(cmds, "ip6tables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"));
        g_assert_nonnull(strstr(cmds, "-i lo -j ACCEPT"));
        g_assert_nonnull(strstr(cmds, "--dport 22 -j ACCEPT"));
        g_assert_nonnull(strstr(cmds, "--icmpv6-type 135"));
        g_assert_true(g_str_has_suffix(cmds, "iptables -P INPUT DROP\nip6tables -P INPUT DROP"));
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);

        /* the preview's resulting tables are what ApplyDefaultDeny makes */
        const char *want4 = NULL, *want6 = NULL;
        g_autoptr(GVariant) result = g_variant_get_child_value(p, 0);
        g_assert_true(g_variant_lookup(result, "ipv4", "&s", &want4));
        g_assert_true(g_variant_lookup(result, "ipv6", "&s", &want6));
        g_autoptr(GVariant) r = call(PATH, IFACE, "ApplyDefaultDeny",
                                     g_variant_new_parsed("([('tcp', uint16 22)], {'timeout': <uint32 60>})"), "(o)",
                                     &error);
        g_assert_no_error(error);
        const char *tx;
        g_variant_get(r, "(&o)", &tx);
        g_autofree char *applied4 = bs_test_ipt_S(4), *applied6 = bs_test_ipt_S(6);
        g_assert_cmpstr(applied4, ==, want4);
        g_assert_cmpstr(applied6, ==, want6);
        tx_call(tx, "Confirm", g_variant_new_parsed("(@a{sv} {},)"), NULL);

        /* in place: nothing left to list, and still nothing changes */
        g_autoptr(GVariant) again = preview_deny("([('tcp', uint16 22)], @a{sv} {})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) none = g_variant_get_child_value(again, 1);
        g_assert_cmpuint(g_variant_n_children(none), ==, 0);
        g_autoptr(GVariant) lockout = g_variant_get_child_value(again, 2);
        g_assert_cmpuint(g_variant_n_children(lockout), ==, 0);
        g_autofree char *still4 = bs_test_ipt_S(4), *still6 = bs_test_ipt_S(6);
        g_assert_cmpstr(still4, ==, applied4);
        g_assert_cmpstr(still6, ==, applied6);

        /* a new allow on top: only that rule is listed */
        g_autoptr(GVariant) more = preview_deny("([('tcp', uint16 22), ('udp', uint16 53)], @a{sv} {})", &error);
        g_assert_no_error(error);
        g_autofree char *more_cmds = joined_commands(more);
        g_print("# preview with the recipe in place, plus 53/udp:\n%s\n", more_cmds);
        g_assert_nonnull(strstr(more_cmds, "--dport 53 -j ACCEPT"));
        g_assert_null(strstr(more_cmds, "--dport 22"));
        g_assert_null(strstr(more_cmds, "conntrack"));
        g_assert_null(strstr(more_cmds, "-P INPUT"));
        bs_test_reset_tables();
}

/* The admin's connection reaches port 2222 (its "ssh-connection"): a
 * recipe keeping only 80/tcp would drop their next login there; the
 * finding names it, as Preview's does, and nothing changes. */
static void test_preview_lockout(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        g_autoptr(GVariant) p = preview_deny(
                "([('tcp', uint16 80)], {'ssh-connection': <'192.0.2.2 50000 192.0.2.1 2222'>})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) lockout = g_variant_get_child_value(p, 2);
        g_autofree char *printed = g_variant_print(lockout, FALSE);
        g_print("# lockout: %s\n", printed);
        gboolean cut = FALSE;
        for (gsize i = 0; i < g_variant_n_children(lockout); i++) {
                g_autoptr(GVariant) f = g_variant_get_child_value(lockout, i);
                const char *kind, *conn, *verdict;
                g_assert_true(g_variant_lookup(f, "kind", "&s", &kind));
                g_assert_true(g_variant_lookup(f, "connection", "&s", &conn));
                g_assert_true(g_variant_lookup(f, "verdict", "&s", &verdict));
                if (g_str_equal(kind, "new-management") && strstr(conn, "192.0.2.2") && strstr(conn, ":2222") &&
                    g_str_equal(verdict, "DROP"))
                        cut = TRUE;
        }
        g_assert_true(cut);

        /* the same arguments make ApplyDefaultDeny refuse with LockoutRisk */
        g_autoptr(GVariant) r = call(PATH, IFACE, "ApplyDefaultDeny",
                                     g_variant_new_parsed("([('tcp', uint16 80)], {'timeout': <uint32 60>, "
                                                          "'ssh-connection': <'192.0.2.2 50000 192.0.2.1 2222'>})"),
                                     "(o)", &error);
        g_assert_null(r);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.LockoutRisk");
        g_clear_error(&error);
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
}

static void test_bad_allow(void) {
        bs_test_reset_tables();
        static const struct {
                const char *params, *named;
        } bad[] = {
                { "([('xyz', uint16 22)], @a{sv} {})", "\"xyz\"" },
                { "([('tcp', uint16 0)], @a{sv} {})", "port 0" },
                { "([('tcp', uint16 22)], {'timeout': <'soon'>})", "timeout" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = preview_deny(bad[i].params, &error);
                g_assert_null(r);
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                g_assert_cmpstr(name, ==, "org.freedesktop.DBus.Error.InvalidArgs");
                if (!strstr(error->message, bad[i].named))
                        g_error("%s: \"%s\" does not name %s", bad[i].params, error->message, bad[i].named);
        }
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==, empty_S);
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/default-deny/preview-lists-recipe", test_preview_lists_recipe);
        g_test_add_func("/default-deny/preview-lockout", test_preview_lockout);
        g_test_add_func("/default-deny/bad-allow", test_bad_allow);
        return bus_service_run();
}
