/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sched.h>
#include <sys/mount.h>

#include "bus-service-util.h"

BsBusFixture *F;
GDBusConnection *C;

GVariant *call(const char *path, const char *iface, const char *method, GVariant *params,
                      const char *reply_type, GError **error) {
        return bs_test_call(C, 60000, path, iface, method, params, reply_type, error);
}

GVariant *get_property(const char *path, const char *iface, const char *name) {
        return bs_test_get_property(C, 60000, path, iface, name);
}

char *tx_string(const char *path, const char *name) {
        return bs_test_get_string(C, 60000, path, TX_IFACE, name);
}

char *pending_path(void) {
        return bs_test_get_string(C, 60000, PATH, IFACE, "PendingTransaction");
}

GVariant *opts_timeout(guint32 timeout) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "timeout", g_variant_new_uint32(timeout));
        return g_variant_builder_end(&b);
}

GVariant *opts_forced(guint32 timeout) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "timeout", g_variant_new_uint32(timeout));
        g_variant_builder_add(&b, "{sv}", "force", g_variant_new_boolean(TRUE));
        return g_variant_builder_end(&b);
}

char *apply(const char *const *changes, GVariant *options, GError **error) {
        g_autoptr(GVariant) r = call(PATH, IFACE, "Apply",
                                     g_variant_new("(^as@a{sv})", changes, options), "(o)", error);
        if (!r)
                return NULL;
        char *path;
        g_variant_get(r, "(o)", &path);
        return path;
}

char *apply_ok(const char *const *changes, guint32 timeout) {
        g_autoptr(GError) error = NULL;
        char *path = apply(changes, opts_forced(timeout), &error);
        g_assert_no_error(error);
        return path;
}

void tx_call(const char *path, const char *method, GVariant *params, const char *want_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(path, TX_IFACE, method, params, "()", &error);
        if (want_error) {
                g_assert_nonnull(error);
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                g_assert_cmpstr(name, ==, want_error);
        } else
                g_assert_no_error(error);
}

void wait_state(const char *path, const char *want) {
        gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
        for (;;) {
                g_autofree char *s = tx_string(path, "State");
                if (g_str_equal(s, want))
                        return;
                if (g_get_monotonic_time() > end)
                        g_error("%s: State is still '%s' after 60 s, expected '%s'", path, s, want);
                g_usleep(50000);
        }
}

const char empty_S[] = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n";

void sleep_past_deadline(GVariant *deadline, gint64 margin_usec) {
        gint64 until = (gint64) g_variant_get_uint64(deadline) + margin_usec;
        gint64 now = g_get_real_time();
        if (until > now)
                g_usleep((gulong) (until - now));
}

int bus_service_init(int *argc, char ***argv, gboolean own_mounts) {
        g_test_init(argc, argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        if (own_mounts && (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)) {
                g_printerr("cannot make a mount namespace: skipped\n");
                return 77;
        }
        F = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        C = bs_bus_fixture_connect(F);
        return 0;
}

int bus_service_run(void) {
        int r = g_test_run();
        g_object_unref(C);
        bs_bus_fixture_free(F);
        return r;
}
