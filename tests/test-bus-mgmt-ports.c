/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd --management-port: the ports the lockout pre-flight protects
 * are configurable; the ManagementPorts property shows what is in force,
 * and a bad value stops the daemon at start with a message naming it. */
#include "bus-fixture.h"

static GVariant *management_ports(BsBusFixture *f) {
        g_autoptr(GDBusConnection) c = bs_bus_fixture_connect(f);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = g_dbus_connection_call_sync(
                c, "org.backstop.Firewall1", "/org/backstop/Firewall1", "org.freedesktop.DBus.Properties", "Get",
                g_variant_new("(ss)", "org.backstop.Firewall1", "ManagementPorts"), G_VARIANT_TYPE("(v)"),
                G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        g_assert_no_error(error);
        GVariant *inner = NULL;
        g_variant_get(v, "(v)", &inner);
        return inner;
}

static void test_default(void) {
        BsBusFixture *f = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(f, NULL, NULL, NULL);
        g_autoptr(GVariant) p = management_ports(f);
        g_autofree char *s = g_variant_print(p, FALSE);
        g_assert_cmpstr(s, ==, "[('tcp', 22)]");
        bs_bus_fixture_stop_daemon(f, SIGTERM);
        bs_bus_fixture_free(f);
}

static void test_configured(void) {
        BsBusFixture *f = bs_bus_fixture_new();
        const char *args[] = { "--management-port=2200", "--management-port=53/udp", NULL };
        bs_bus_fixture_start_daemon(f, NULL, NULL, args);
        g_autoptr(GVariant) p = management_ports(f);
        g_autofree char *s = g_variant_print(p, FALSE);
        /* given ports replace the default: 22 is not protected unless named */
        g_assert_cmpstr(s, ==, "[('tcp', 2200), ('udp', 53)]");
        bs_bus_fixture_stop_daemon(f, SIGTERM);
        bs_bus_fixture_free(f);
}

static void test_bad_value(void) {
        g_autofree char *daemon = bs_test_build_path("daemon/backstopd");
        const char *argv[] = { daemon, "--management-port=22/sctp", NULL };
        g_autofree char *err = NULL;
        int status = 0;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status,
                                   &error));
        g_assert_no_error(error);
        g_assert_false(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(err, "22/sctp"));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns())
                return 77;
        g_test_add_func("/mgmt-ports/default", test_default);
        g_test_add_func("/mgmt-ports/configured", test_configured);
        g_test_add_func("/mgmt-ports/bad-value", test_bad_value);
        return g_test_run();
}
