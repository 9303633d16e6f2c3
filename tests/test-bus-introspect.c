/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The introspection data backstopd serves must be the API contract,
 * dbus/org.backstop.Firewall1.xml: the same interfaces, methods (argument
 * names, types, directions), signals and properties (type, access, the
 * EmitsChangedSignal annotation). Both are parsed and compared member by
 * member; comments and formatting do not matter. */
#include <signal.h>

#include "bus-fixture.h"

static const char *emits(GDBusAnnotationInfo **annotations) {
        const char *v = g_dbus_annotation_info_lookup(annotations, "org.freedesktop.DBus.Property.EmitsChangedSignal");
        return v ? v : "true";
}

static GString *describe_args(GDBusArgInfo **args) {
        GString *s = g_string_new(NULL);
        for (size_t i = 0; args && args[i]; i++)
                g_string_append_printf(s, "%s:%s ", args[i]->name ? args[i]->name : "?", args[i]->signature);
        return s;
}

static void compare_interface(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got) {
        for (size_t i = 0; want->methods && want->methods[i]; i++) {
                GDBusMethodInfo *w = want->methods[i];
                GDBusMethodInfo *g = g_dbus_interface_info_lookup_method(got, w->name);
                if (!g)
                        g_error("method %s.%s not served", want->name, w->name);
                for (int dir = 0; dir < 2; dir++) {
                        g_autoptr(GString) a = describe_args(dir ? w->out_args : w->in_args);
                        g_autoptr(GString) b = describe_args(dir ? g->out_args : g->in_args);
                        if (!g_str_equal(a->str, b->str))
                                g_error("%s.%s %s args: contract \"%s\", served \"%s\"", want->name, w->name,
                                        dir ? "out" : "in", a->str, b->str);
                }
        }
        for (size_t i = 0; got->methods && got->methods[i]; i++)
                if (!g_dbus_interface_info_lookup_method(want, got->methods[i]->name))
                        g_error("served method %s.%s is not in the contract", want->name, got->methods[i]->name);

        for (size_t i = 0; want->signals && want->signals[i]; i++) {
                GDBusSignalInfo *w = want->signals[i];
                GDBusSignalInfo *g = g_dbus_interface_info_lookup_signal(got, w->name);
                if (!g)
                        g_error("signal %s.%s not served", want->name, w->name);
                g_autoptr(GString) a = describe_args(w->args);
                g_autoptr(GString) b = describe_args(g->args);
                g_assert_cmpstr(a->str, ==, b->str);
        }
        for (size_t i = 0; got->signals && got->signals[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_signal(want, got->signals[i]->name));

        for (size_t i = 0; want->properties && want->properties[i]; i++) {
                GDBusPropertyInfo *w = want->properties[i];
                GDBusPropertyInfo *g = g_dbus_interface_info_lookup_property(got, w->name);
                if (!g)
                        g_error("property %s.%s not served", want->name, w->name);
                g_assert_cmpstr(g->signature, ==, w->signature);
                g_assert_cmpint(g->flags, ==, w->flags);
                if (!g_str_equal(emits(w->annotations), emits(g->annotations)))
                        g_error("property %s.%s: EmitsChangedSignal %s in the contract, %s served", want->name,
                                w->name, emits(w->annotations), emits(g->annotations));
        }
        for (size_t i = 0; got->properties && got->properties[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_property(want, got->properties[i]->name));
}

static GDBusNodeInfo *introspect(GDBusConnection *c, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, "org.backstop.Firewall1", path,
                                                            "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                                            G_VARIANT_TYPE("(s)"), 0, -1, NULL, &error);
        g_assert_no_error(error);
        const char *xml;
        g_variant_get(r, "(&s)", &xml);
        GDBusNodeInfo *n = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return n;
}

static void test_introspection(void) {
        BsBusFixture *f = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(f, NULL, NULL, NULL);
        g_autoptr(GDBusConnection) c = bs_bus_fixture_connect(f);

        g_autofree char *xml_path = g_build_filename(g_getenv("BACKSTOP_SOURCE_ROOT"), "dbus",
                                                     "org.backstop.Firewall1.xml", NULL);
        g_autofree char *xml = NULL;
        g_assert_true(g_file_get_contents(xml_path, &xml, NULL, NULL));
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusNodeInfo) contract = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        /* a transaction object to look at */
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                c, "org.backstop.Firewall1", "/org/backstop/Firewall1", "org.backstop.Firewall1", "Apply",
                g_variant_new_parsed("(['-A INPUT -s 192.0.2.1 -j ACCEPT'], {'timeout': <uint32 60>})"),
                G_VARIANT_TYPE("(o)"), 0, -1, NULL, &error);
        g_assert_no_error(error);
        const char *tx;
        g_variant_get(r, "(&o)", &tx);

        g_autoptr(GDBusNodeInfo) manager = introspect(c, "/org/backstop/Firewall1");
        g_autoptr(GDBusNodeInfo) transaction = introspect(c, tx);
        for (size_t i = 0; contract->interfaces[i]; i++) {
                GDBusInterfaceInfo *want = contract->interfaces[i];
                GDBusNodeInfo *served = g_str_equal(want->name, "org.backstop.Firewall1") ? manager : transaction;
                GDBusInterfaceInfo *got = g_dbus_node_info_lookup_interface(served, want->name);
                if (!got)
                        g_error("interface %s not served", want->name);
                compare_interface(want, got);
        }
        /* nothing served beyond the contract and the standard interfaces */
        GDBusNodeInfo *nodes[] = { manager, transaction };
        for (size_t n = 0; n < 2; n++)
                for (size_t i = 0; nodes[n]->interfaces[i]; i++) {
                        const char *name = nodes[n]->interfaces[i]->name;
                        if (!g_str_has_prefix(name, "org.freedesktop.DBus."))
                                g_assert_nonnull(g_dbus_node_info_lookup_interface(contract, name));
                }
        (void) bs_bus_fixture_stop_daemon(f, SIGTERM);
        bs_bus_fixture_free(f);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        g_test_add_func("/introspection/matches-contract", test_introspection);
        return g_test_run();
}
