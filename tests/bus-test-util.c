/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-test-util.h"
#include "test-backend.h"

GVariant *bs_test_call(GDBusConnection *c, int timeout_ms, const char *path, const char *iface, const char *method,
                       GVariant *params, const char *reply_type, GError **error) {
        return g_dbus_connection_call_sync(c, BUS_NAME, path, iface, method, params,
                                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL, G_DBUS_CALL_FLAGS_NONE,
                                           timeout_ms, NULL, error);
}

GVariant *bs_test_get_property(GDBusConnection *c, int timeout_ms, const char *path, const char *iface,
                               const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = bs_test_call(c, timeout_ms, path, "org.freedesktop.DBus.Properties", "Get",
                                             g_variant_new("(ss)", iface, name), "(v)", &error);
        g_assert_no_error(error);
        GVariant *v;
        g_variant_get(r, "(v)", &v);
        return v;
}

char *bs_test_get_string(GDBusConnection *c, int timeout_ms, const char *path, const char *iface, const char *name) {
        g_autoptr(GVariant) v = bs_test_get_property(c, timeout_ms, path, iface, name);
        return g_variant_dup_string(v, NULL);
}

static bs_family family_of(int family) {
        return family == 6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
}

const char *bs_test_ipt_prog(int family) {
        return bs_test_iptables(family_of(family));
}

const char *bs_test_ipt_save_prog(int family) {
        return bs_test_iptables_save(family_of(family));
}

const char *bs_test_ipt_restore_prog(int family) {
        return bs_test_iptables_restore(family_of(family));
}

void bs_test_ipt(int family, const char *args) {
        g_auto(GStrv) words = g_strsplit(args, " ", -1);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) bs_test_ipt_prog(family));
        g_ptr_array_add(argv, (char *) "-w");
        for (char **w = words; *w; w++)
                g_ptr_array_add(argv, *w);
        g_ptr_array_add(argv, NULL);
        g_free(bs_test_run((const char *const *) argv->pdata));
}

char *bs_test_ipt_S(int family) {
        const char *argv[] = { bs_test_ipt_prog(family), "-w", "-S", NULL };
        return bs_test_run(argv);
}

void bs_test_reset_tables(void) {
        for (int f = 4; f <= 6; f += 2) {
                bs_test_ipt(f, "-F");
                bs_test_ipt(f, "-X");
                bs_test_ipt(f, "-P INPUT ACCEPT");
                bs_test_ipt(f, "-P FORWARD ACCEPT");
                bs_test_ipt(f, "-P OUTPUT ACCEPT");
        }
}
