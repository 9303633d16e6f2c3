/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-fake-daemon.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MANAGER_PATH "/org/backstop/Firewall1"
#define MANAGER_IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"

static void tx_free(gpointer p) {
        FakeTx *t = p;
        if (t->timer)
                g_source_remove(t->timer);
        g_free(t->path);
        g_free(t->state);
        g_free(t->reason);
        g_strfreev(t->changes);
        g_free(t->confirm_ssh);
        g_free(t);
}

static FakeDaemon *the_fake;

static void emit_props(FakeDaemon *f, const char *path, const char *iface, GVariantBuilder *changed) {
        g_dbus_connection_emit_signal(f->conn, NULL, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      g_variant_new("(sa{sv}as)", iface, changed, NULL), NULL);
}

static void end_tx(FakeDaemon *f, FakeTx *t, const char *state, const char *reason) {
        GVariantBuilder b;

        g_free(t->state);
        t->state = g_strdup(state);
        g_free(t->reason);
        t->reason = g_strdup(reason);
        if (t->timer) {
                g_source_remove(t->timer);
                t->timer = 0;
        }
        if (f->pending == t)
                f->pending = NULL;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "State", g_variant_new_string(state));
        g_variant_builder_add(&b, "{sv}", "Deadline", g_variant_new_uint64(0));
        g_variant_builder_add(&b, "{sv}", "RollbackReason", g_variant_new_string(reason));
        emit_props(f, t->path, TX_IFACE, &b);
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "PendingTransaction", g_variant_new_object_path("/"));
        emit_props(f, MANAGER_PATH, MANAGER_IFACE, &b);
        if (g_str_equal(state, "confirmed"))
                g_dbus_connection_emit_signal(f->conn, NULL, MANAGER_PATH, MANAGER_IFACE, "TransactionConfirmed",
                                              g_variant_new("(o)", t->path), NULL);
        else
                g_dbus_connection_emit_signal(f->conn, NULL, MANAGER_PATH, MANAGER_IFACE, "TransactionRolledBack",
                                              g_variant_new("(os)", t->path, reason), NULL);
}

static gboolean on_timeout(gpointer user_data) {
        FakeTx *t = user_data;
        t->timer = 0;
        end_tx(the_fake, t, "rolled-back", "timeout");
        return G_SOURCE_REMOVE;
}

static void arm(FakeTx *t, guint seconds) {
        if (t->timer)
                g_source_remove(t->timer);
        t->deadline_mono = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
        t->deadline_real = g_get_real_time() + (gint64) seconds * G_USEC_PER_SEC;
        t->timer = g_timeout_add((guint) seconds * 1000, on_timeout, t);
}

static GVariant *tx_get_property(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                                 const char *prop, GError **error, gpointer user_data) {
        FakeTx *t = user_data;
        gboolean pending = g_str_equal(t->state, "pending");
        if (g_str_equal(prop, "Id"))
                return g_variant_new_uint32(t->id);
        if (g_str_equal(prop, "State"))
                return g_variant_new_string(t->state);
        if (g_str_equal(prop, "Deadline"))
                return g_variant_new_uint64(pending ? (guint64) t->deadline_real : 0);
        if (g_str_equal(prop, "TimeLeftUSec")) {
                gint64 left = t->deadline_mono - g_get_monotonic_time();
                return g_variant_new_uint64(pending && left > 0 ? (guint64) left : 0);
        }
        if (g_str_equal(prop, "Owner"))
                return g_variant_new_uint32(0);
        if (g_str_equal(prop, "ChangeCount"))
                return g_variant_new_uint32(g_strv_length(t->changes));
        if (g_str_equal(prop, "ConfirmationMode"))
                return g_variant_new_string(t->strict ? "strict" : "any");
        if (g_str_equal(prop, "RollbackReason"))
                return g_variant_new_string(t->reason);
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
        return NULL;
}

static void tx_method(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                      const char *method, GVariant *params, GDBusMethodInvocation *inv, gpointer user_data) {
        FakeTx *t = user_data;
        FakeDaemon *f = the_fake;

        if (g_str_equal(method, "GetChanges")) {
                g_dbus_method_invocation_return_value(
                        inv, g_variant_new("(@as)", g_variant_new_strv((const char *const *) t->changes, -1)));
                return;
        }
        if (!g_str_equal(t->state, "pending")) {
                g_dbus_method_invocation_return_dbus_error(inv, "org.backstop.Firewall1.Error.NotPending",
                                                           "the transaction is over");
                return;
        }
        if (g_str_equal(method, "Confirm")) {
                g_autoptr(GVariant) opts = g_variant_get_child_value(params, 0);
                const char *ssh = NULL;
                g_variant_lookup(opts, "ssh-connection", "&s", &ssh);
                g_free(t->confirm_ssh);
                t->confirm_ssh = g_strdup(ssh);
                /* Strict: only a caller that names its connection as a new one. */
                if (t->strict && (!ssh || !g_str_has_prefix(ssh, "NEW "))) {
                        g_dbus_method_invocation_return_dbus_error(
                                inv, "org.backstop.Firewall1.Error.ConfirmationRejected",
                                "not a new management connection");
                        return;
                }
                g_dbus_method_invocation_return_value(inv, NULL);
                end_tx(f, t, "confirmed", "");
        } else if (g_str_equal(method, "Rollback")) {
                g_dbus_method_invocation_return_value(inv, NULL);
                end_tx(f, t, "rolled-back", "request");
        } else if (g_str_equal(method, "Extend") || g_str_equal(method, "ExtendWithOptions")) {
                guint32 secs;
                g_autoptr(GVariant) first = g_variant_get_child_value(params, 0);
                secs = g_variant_get_uint32(first);
                arm(t, secs);
                GVariantBuilder b;
                g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
                g_variant_builder_add(&b, "{sv}", "Deadline", g_variant_new_uint64((guint64) t->deadline_real));
                emit_props(f, t->path, TX_IFACE, &b);
                g_dbus_method_invocation_return_value(inv, NULL);
        }
}

static const GDBusInterfaceVTable tx_vtable = { tx_method, tx_get_property, NULL, { 0 } };

static void start_tx(FakeDaemon *f, GDBusMethodInvocation *inv, char **changes, GVariant *opts) {
        guint32 timeout = 60;
        gboolean strict = FALSE;
        const char *ssh = NULL;

        if (f->pending) {
                g_dbus_method_invocation_return_dbus_error(inv, "org.backstop.Firewall1.Error.Busy",
                                                           "transaction is pending");
                g_strfreev(changes);
                return;
        }
        g_variant_lookup(opts, "timeout", "u", &timeout);
        g_variant_lookup(opts, "strict", "b", &strict);
        g_free(f->last_apply_ssh);
        f->last_apply_ssh = g_variant_lookup(opts, "ssh-connection", "&s", &ssh) ? g_strdup(ssh) : NULL;
        f->last_apply_allowed_interactive =
                (g_dbus_message_get_flags(g_dbus_method_invocation_get_message(inv)) &
                 G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;

        FakeTx *t = g_new0(FakeTx, 1);
        t->id = ++f->next_id;
        t->path = g_strdup_printf(MANAGER_PATH "/Transaction/%u", t->id);
        t->state = g_strdup(timeout == 0 ? "confirmed" : "pending");
        t->reason = g_strdup("");
        t->strict = strict;
        t->changes = changes;
        g_ptr_array_add(f->txs, t);
        t->reg_id = g_dbus_connection_register_object(f->conn, t->path,
                                                      g_dbus_node_info_lookup_interface(f->node, TX_IFACE),
                                                      &tx_vtable, t, NULL, NULL);
        if (timeout > 0) {
                f->pending = t;
                arm(t, timeout);
        }
        g_dbus_method_invocation_return_value(inv, g_variant_new("(o)", t->path));
        g_dbus_connection_emit_signal(f->conn, NULL, MANAGER_PATH, MANAGER_IFACE, "TransactionApplied",
                                      g_variant_new("(o)", t->path), NULL);
}

static void manager_method(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                           const char *method, GVariant *params, GDBusMethodInvocation *inv, gpointer user_data) {
        FakeDaemon *f = user_data;

        if (g_str_equal(method, "Apply")) {
                char **changes = NULL;
                g_autoptr(GVariant) opts = NULL;
                g_variant_get(params, "(^as@a{sv})", &changes, &opts);
                for (char **p = changes; *p; p++) {
                        char *s = g_strconcat("iptables ", *p, NULL);
                        g_free(*p);
                        *p = s;
                }
                start_tx(f, inv, changes, opts);
        } else if (g_str_equal(method, "ApplyDefaultDeny")) {
                g_autoptr(GVariant) allows = NULL, opts = NULL;
                g_variant_get(params, "(@a(sq)@a{sv})", &allows, &opts);
                GPtrArray *ch = g_ptr_array_new();
                g_ptr_array_add(ch, g_strdup("iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"));
                GVariantIter it;
                const char *proto;
                guint16 port;
                g_variant_iter_init(&it, allows);
                while (g_variant_iter_next(&it, "(&sq)", &proto, &port))
                        g_ptr_array_add(ch, g_strdup_printf("iptables -A INPUT -p %s -m %s --dport %u -j ACCEPT",
                                                            proto, proto, port));
                g_ptr_array_add(ch, g_strdup("iptables -P INPUT DROP"));
                g_ptr_array_add(ch, NULL);
                start_tx(f, inv, (char **) g_ptr_array_free(ch, FALSE), opts);
        } else
                g_dbus_method_invocation_return_dbus_error(inv, "org.backstop.Firewall1.Error.Unsupported",
                                                           "not in the fake");
}

static GVariant *manager_get_property(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                                      const char *prop, GError **error, gpointer user_data) {
        FakeDaemon *f = user_data;
        if (g_str_equal(prop, "Version"))
                return g_variant_new_string("fake");
        if (g_str_equal(prop, "Backends")) {
                const char *b[] = { "fake", NULL };
                return g_variant_new_strv(b, -1);
        }
        if (g_str_equal(prop, "IPv6Active"))
                return g_variant_new_boolean(TRUE);
        if (g_str_equal(prop, "Policies"))
                return g_variant_new_parsed("@a{sa{ss}} {'ipv4': {'INPUT': 'ACCEPT'}}");
        if (g_str_equal(prop, "PendingTransaction"))
                return g_variant_new_object_path(f->pending ? f->pending->path : "/");
        if (g_str_equal(prop, "RulesSaved") || g_str_equal(prop, "NftablesFiltersInput"))
                return g_variant_new_boolean(FALSE);
        if (g_str_equal(prop, "NftablesDescription"))
                return g_variant_new_string("");
        if (g_str_equal(prop, "ManagementPorts"))
                return g_variant_new_parsed("[('tcp', uint16 22)]");
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
        return NULL;
}

static const GDBusInterfaceVTable manager_vtable = { manager_method, manager_get_property, NULL, { 0 } };

FakeDaemon *fake_daemon_new(void) {
        FakeDaemon *f = g_new0(FakeDaemon, 1);
        g_autoptr(GError) error = NULL;
        g_autofree char *xml_path = NULL, *xml = NULL;

        the_fake = f;
        f->txs = g_ptr_array_new_with_free_func(tx_free);
        xml_path = g_build_filename(g_getenv("BACKSTOP_SOURCE_ROOT"), "dbus", "org.backstop.Firewall1.xml", NULL);
        g_assert_true(g_file_get_contents(xml_path, &xml, NULL, &error));
        f->node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        /* A private bus of our own, stopped by PID in fake_daemon_free(). */
        const char *argv[] = { "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1", NULL };
        int out_fd = -1;
        g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
                                               G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                               &f->bus_pid, NULL, &out_fd, NULL, &error));
        g_assert_no_error(error);
        GString *line = g_string_new(NULL);
        for (;;) {
                char ch;
                ssize_t n = read(out_fd, &ch, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                g_assert_cmpint(n, ==, 1);
                if (ch == '\n')
                        break;
                g_string_append_c(line, ch);
        }
        close(out_fd);
        f->bus_address = g_string_free(line, FALSE);
        f->conn = g_dbus_connection_new_for_address_sync(
                f->bus_address,
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL,
                NULL, &error);
        g_assert_no_error(error);
        f->manager_reg = g_dbus_connection_register_object(
                f->conn, MANAGER_PATH, g_dbus_node_info_lookup_interface(f->node, MANAGER_IFACE), &manager_vtable, f,
                NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                g_variant_new("(su)", "org.backstop.Firewall1", 4u), G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE,
                -1, NULL, &error);
        g_assert_no_error(error);
        return f;
}

const char *fake_daemon_address(FakeDaemon *f) {
        return f->bus_address;
}

FakeTx *fake_daemon_tx(FakeDaemon *f, guint id) {
        for (guint i = 0; i < f->txs->len; i++) {
                FakeTx *t = f->txs->pdata[i];
                if (t->id == id)
                        return t;
        }
        return NULL;
}

void fake_daemon_free(FakeDaemon *f) {
        for (guint i = 0; i < f->txs->len; i++) {
                FakeTx *t = f->txs->pdata[i];
                g_dbus_connection_unregister_object(f->conn, t->reg_id);
        }
        g_dbus_connection_unregister_object(f->conn, f->manager_reg);
        g_ptr_array_unref(f->txs);
        g_dbus_connection_close_sync(f->conn, NULL, NULL);
        g_object_unref(f->conn);
        kill(f->bus_pid, SIGTERM);
        waitpid(f->bus_pid, NULL, 0);
        g_spawn_close_pid(f->bus_pid);
        g_free(f->bus_address);
        g_dbus_node_info_unref(f->node);
        g_free(f->last_apply_ssh);
        the_fake = NULL;
        g_free(f);
        /* Let GDBus finish what it dispatched to this context. */
        while (g_main_context_iteration(NULL, FALSE))
                ;
}
