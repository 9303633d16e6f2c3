/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <grp.h>
#include <stdarg.h>

#include "hostile-util.h"
#include "bus-test-util.h"

BsBusFixture *F;
GDBusConnection *C;
static const char *Self;

GVariant *empty_opts(void) {
        return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

GVariant *one_opt(const char *key, GVariant *value) {
        GVariant *e = g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value));
        return g_variant_new_array(G_VARIANT_TYPE("{sv}"), &e, 1);
}

GVariant *changes1(const char *change) {
        return g_variant_new_strv(&change, 1);
}

GVariant *apply_params(const char *change, GVariant *opts) {
        GVariant *v[] = { changes1(change), opts ? opts : empty_opts() };
        return g_variant_new_tuple(v, 2);
}

GVariant *deny_params(GVariant *opts) {
        return g_variant_new_parsed("([('tcp', uint16 22)], %@a{sv})", opts);
}

char *ruleset(void) {
        GString *s = g_string_new(NULL);
        const char *progs[] = { bs_test_ipt_save_prog(4), bs_test_ipt_save_prog(6) };
        for (size_t i = 0; i < G_N_ELEMENTS(progs); i++) {
                const char *argv[] = { progs[i], NULL };
                g_autofree char *out = bs_test_run(argv);
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
                for (char **l = lines; *l; l++)
                        if ((*l)[0] != '#')
                                g_string_append_printf(s, "%s\n", *l);
        }
        return g_string_free(s, FALSE);
}

long daemon_rss_kb(void) {
        const char *pid = g_subprocess_get_identifier(F->daemon);
        g_assert_nonnull(pid);
        g_autofree char *path = g_strdup_printf("/proc/%s/status", pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
        const char *v = strstr(status, "VmRSS:");
        g_assert_nonnull(v);
        return strtol(v + 6, NULL, 10);
}

double daemon_cpu_ms(void) {
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", g_subprocess_get_identifier(F->daemon));
        g_autofree char *stat = NULL;
        g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
        const char *p = strrchr(stat, ')');
        g_assert_nonnull(p);
        unsigned long utime = 0, stime = 0;
        /* after ") ": state and 10 fields, then utime and stime */
        g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime), ==, 2);
        return (double) (utime + stime) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

char *apply_tx(const char *change, guint32 timeout) {
        const char *changes[] = { change, NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                C, BUS_NAME, PATH, IFACE, "Apply",
                g_variant_new_parsed("(%^as, {'timeout': <%u>, 'force': <true>})", changes, timeout), G_VARIANT_TYPE("(o)"),
                G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_assert_no_error(error);
        char *path;
        g_variant_get(r, "(o)", &path);
        return path;
}

void tx_method(const char *path, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, path, TX_IFACE, method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_assert_no_error(error);
}

char *tx_state(GDBusConnection *c, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                                            "Get", g_variant_new("(ss)", TX_IFACE, "State"),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                                            &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        return g_variant_dup_string(v, NULL);
}

void assert_alive(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, PATH, IFACE, "GetRulesText",
                                                            g_variant_new("(ssb)", "ipv4", "", FALSE),
                                                            G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                                            &error);
        g_assert_no_error(error);
        const char *text;
        g_variant_get(r, "(&s)", &text);
        g_assert_nonnull(strstr(text, "-P INPUT ACCEPT"));
        g_assert_nonnull(g_subprocess_get_identifier(F->daemon));  /* not exited */
}

int run_unprivileged(const char *mode, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) Self);
        g_ptr_array_add(argv, (char *) "--unprivileged");
        g_ptr_array_add(argv, (char *) mode);
        g_ptr_array_add(argv, F->bus_address);
        va_list ap;
        va_start(ap, mode);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        g_autoptr(GError) error = NULL;
        int status = 0;
        g_autofree char *out = NULL;
        if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, &out, NULL,
                          &status, &error))
                g_error("cannot run %s: %s", Self, error->message);
        g_print("%s", out);
        return status;
}

GDBusConnection *unprivileged_connect(uid_t uid, const char *address) {
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
                perror("cannot drop privileges");
                return NULL;
        }
        g_autoptr(GError) error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c)
                g_printerr("cannot connect as uid %u: %s\n", (unsigned) uid, error->message);
        return c;
}

guint expect(GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *params,
             const char *want) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BUS_NAME, path, iface, method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_autofree char *name = error ? g_dbus_error_get_remote_error(error) : NULL;
        if (want && name && g_str_equal(name, want))
                return 0;
        if (!want && !error)
                return 0;
        g_printerr("FAIL (uid %u) %s.%s on %s: %s, wanted %s\n", (unsigned) geteuid(), iface, method, path,
                   error ? error->message : "success", want ? want : "success");
        return 1;
}

int hostile_init(int *argc, char ***argv) {
        Self = (*argv)[0];
        g_test_init(argc, argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        F = bs_bus_fixture_new();
        /* the unprivileged client must reach the bus socket in the temp dir
         * (the daemon's runtime and state directories stay 0700) */
        g_assert_cmpint(g_chmod(F->tmpdir, 0755), ==, 0);
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        C = bs_bus_fixture_connect(F);
        return 0;
}

int hostile_run(void) {
        int r = g_test_run();
        g_object_unref(C);
        bs_bus_fixture_free(F);
        return r;
}
