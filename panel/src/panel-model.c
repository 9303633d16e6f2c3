/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "panel-model.h"

struct _PanelModel {
        GObject parent_instance;
        GDBusProxy *proxy;             /* org.backstop.Firewall1, NULL until the bus answers */
        GCancellable *cancellable;     /* everything in flight; cancelled at dispose */
        GCancellable *rules_cancellable; /* the ListRules in flight, superseded by a newer one */
        GVariant *rules;               /* aa{sv} */
        GVariant *chains;              /* aa{sv} */
        char *error;                   /* for people, "" when none */
        char *pending;                 /* the pending transaction, NULL for none */
        gint64 pending_deadline;       /* monotonic µs, 0 when not known */
        gboolean connecting;           /* the proxy is being made */
        guint transaction_changes;     /* subscription to the transactions' PropertiesChanged */
        GQueue waiting_calls;          /* Call: made before the proxy was there */
};

typedef struct {
        GTask *task;
        char *path;
        char *method;
        GVariant *parameters; /* may be NULL */
} Call;

static void call_free(Call *call) {
        g_clear_object(&call->task);
        g_free(call->path);
        g_free(call->method);
        g_clear_pointer(&call->parameters, g_variant_unref);
        g_free(call);
}

static void send_call(PanelModel *self, Call *call);

G_DEFINE_FINAL_TYPE(PanelModel, panel_model, G_TYPE_OBJECT)

enum {
        SIGNAL_CHANGED,
        SIGNAL_TRANSACTION_APPLIED,
        SIGNAL_TRANSACTION_ENDED,
        N_SIGNALS,
};
static guint signals[N_SIGNALS];

static void set_error(PanelModel *self, const char *error) {
        g_free(self->error);
        self->error = g_strdup(error ? error : "");
}

static void emit_changed(PanelModel *self) {
        g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_rules_listed(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return; /* the model is gone, or a newer read replaced this one */
        PanelModel *self = PANEL_MODEL(user_data);
        g_clear_pointer(&self->rules, g_variant_unref);
        g_clear_pointer(&self->chains, g_variant_unref);
        if (reply) {
                g_variant_get(reply, "(@aa{sv}@aa{sv})", &self->rules, &self->chains);
                set_error(self, NULL);
        } else {
                g_dbus_error_strip_remote_error(error);
                set_error(self, error->message);
        }
        emit_changed(self);
}

/* Read the rules again, superseding a read still in flight. */
static void refresh_rules(PanelModel *self) {
        if (!panel_model_is_connected(self))
                return;
        if (self->rules_cancellable)
                g_cancellable_cancel(self->rules_cancellable);
        g_clear_object(&self->rules_cancellable);
        self->rules_cancellable = g_cancellable_new();
        g_dbus_proxy_call(self->proxy, "ListRules", g_variant_new("(ss)", "", ""), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->rules_cancellable, on_rules_listed, self);
}

static void on_time_left(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        PanelModel *self = PANEL_MODEL(user_data);
        if (!reply)
                return; /* over already: PendingTransaction will say so */
        g_autoptr(GVariant) value = NULL;
        g_variant_get(reply, "(v)", &value);
        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
                return;
        self->pending_deadline = g_get_monotonic_time() + (gint64) MIN(g_variant_get_uint64(value), G_MAXINT64 / 2);
        emit_changed(self);
}

/* TimeLeftUSec is computed when read and never announced: read it once per
 * transaction (and again when the daemon says it was applied, or announces
 * a new Deadline: an extension); the countdown runs on our own monotonic
 * clock from there. */
static void read_time_left(PanelModel *self) {
        if (!self->pending)
                return;
        g_dbus_connection_call(g_dbus_proxy_get_connection(self->proxy), PANEL_BUS_NAME, self->pending,
                               "org.freedesktop.DBus.Properties", "Get",
                               g_variant_new("(ss)", PANEL_TRANSACTION_INTERFACE, "TimeLeftUSec"),
                               G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_time_left,
                               self);
}

static void update_pending(PanelModel *self) {
        g_autoptr(GVariant) value = panel_model_dup_property(self, "PendingTransaction");
        const char *path = value && g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH)
                                   ? g_variant_get_string(value, NULL)
                                   : "/";
        if (g_strcmp0(path, "/") == 0)
                path = NULL;
        if (g_strcmp0(path, self->pending) == 0)
                return;
        g_free(self->pending);
        self->pending = g_strdup(path);
        self->pending_deadline = 0;
        read_time_left(self);
}

/* A transaction's PropertiesChanged: a new Deadline of the pending one
 * (Extend, from here or elsewhere) moves the countdown. */
static void on_transaction_properties(GDBusConnection *connection, const char *sender, const char *path,
                                      const char *interface, const char *signal, GVariant *parameters,
                                      gpointer user_data) {
        PanelModel *self = PANEL_MODEL(user_data);
        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv}as)")) || g_strcmp0(path, self->pending) != 0)
                return;
        g_autoptr(GVariant) changed = g_variant_get_child_value(parameters, 1);
        guint64 deadline;
        if (g_variant_lookup(changed, "Deadline", "t", &deadline) && deadline != 0)
                read_time_left(self);
}

static void on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data) {
        PanelModel *self = PANEL_MODEL(user_data);
        update_pending(self);
        emit_changed(self);
}

static void on_signal(GDBusProxy *proxy, const char *sender, const char *name, GVariant *parameters,
                      gpointer user_data) {
        PanelModel *self = PANEL_MODEL(user_data);
        if (g_str_equal(name, "RulesChanged")) {
                refresh_rules(self);
        } else if (g_str_equal(name, "TransactionApplied") &&
                   g_variant_is_of_type(parameters, G_VARIANT_TYPE("(o)"))) {
                const char *path;
                g_variant_get(parameters, "(&o)", &path);
                if (g_strcmp0(path, self->pending) == 0)
                        read_time_left(self);
                g_signal_emit(self, signals[SIGNAL_TRANSACTION_APPLIED], 0, path);
        } else if (g_str_equal(name, "TransactionConfirmed") &&
                   g_variant_is_of_type(parameters, G_VARIANT_TYPE("(o)"))) {
                const char *path;
                g_variant_get(parameters, "(&o)", &path);
                g_signal_emit(self, signals[SIGNAL_TRANSACTION_ENDED], 0, path, TRUE, "");
        } else if (g_str_equal(name, "TransactionRolledBack") &&
                   g_variant_is_of_type(parameters, G_VARIANT_TYPE("(os)"))) {
                const char *path, *reason;
                g_variant_get(parameters, "(&o&s)", &path, &reason);
                g_signal_emit(self, signals[SIGNAL_TRANSACTION_ENDED], 0, path, FALSE, reason);
        }
}

/* The daemon started, restarted or went away: GDBusProxy reloads the
 * properties of a new owner itself; the rules are ours to read again. */
static void on_name_owner(GObject *object, GParamSpec *pspec, gpointer user_data) {
        PanelModel *self = PANEL_MODEL(user_data);
        if (panel_model_is_connected(self)) {
                set_error(self, NULL);
                refresh_rules(self);
        } else {
                g_clear_pointer(&self->rules, g_variant_unref);
                g_clear_pointer(&self->chains, g_variant_unref);
                set_error(self, "The firewall service (backstopd) is not running.");
        }
        update_pending(self);
        emit_changed(self);
}

static void on_proxy_ready(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        GDBusProxy *proxy = g_dbus_proxy_new_for_bus_finish(result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        PanelModel *self = PANEL_MODEL(user_data);
        self->connecting = FALSE;
        if (proxy)
                self->proxy = proxy;
        else
                set_error(self, error->message);
        /* the calls made meanwhile (actions activated at start), in order */
        Call *call;
        while ((call = g_queue_pop_head(&self->waiting_calls)))
                send_call(self, call);
        if (!proxy) {
                emit_changed(self);
                return;
        }
        g_signal_connect_object(proxy, "g-properties-changed", G_CALLBACK(on_properties_changed), self, 0);
        self->transaction_changes = g_dbus_connection_signal_subscribe(
                g_dbus_proxy_get_connection(proxy), PANEL_BUS_NAME, "org.freedesktop.DBus.Properties",
                "PropertiesChanged", NULL, PANEL_TRANSACTION_INTERFACE, G_DBUS_SIGNAL_FLAGS_NONE,
                on_transaction_properties, self, NULL);
        g_signal_connect_object(proxy, "g-signal", G_CALLBACK(on_signal), self, 0);
        g_signal_connect_object(proxy, "notify::g-name-owner", G_CALLBACK(on_name_owner), self, 0);
        on_name_owner(G_OBJECT(proxy), NULL, self);
}

static void panel_model_dispose(GObject *object) {
        PanelModel *self = PANEL_MODEL(object);
        g_cancellable_cancel(self->cancellable);
        if (self->rules_cancellable)
                g_cancellable_cancel(self->rules_cancellable);
        g_clear_object(&self->rules_cancellable);
        if (self->transaction_changes)
                g_dbus_connection_signal_unsubscribe(g_dbus_proxy_get_connection(self->proxy),
                                                     self->transaction_changes);
        self->transaction_changes = 0;
        g_clear_object(&self->proxy);
        Call *call;
        while ((call = g_queue_pop_head(&self->waiting_calls))) {
                g_task_return_new_error(call->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The panel is closing");
                call_free(call);
        }
        G_OBJECT_CLASS(panel_model_parent_class)->dispose(object);
}

static void panel_model_finalize(GObject *object) {
        PanelModel *self = PANEL_MODEL(object);
        g_clear_object(&self->cancellable);
        g_clear_pointer(&self->rules, g_variant_unref);
        g_clear_pointer(&self->chains, g_variant_unref);
        g_free(self->error);
        g_free(self->pending);
        G_OBJECT_CLASS(panel_model_parent_class)->finalize(object);
}

static void panel_model_class_init(PanelModelClass *klass) {
        GObjectClass *object_class = G_OBJECT_CLASS(klass);
        object_class->dispose = panel_model_dispose;
        object_class->finalize = panel_model_finalize;
        signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 0);
        signals[SIGNAL_TRANSACTION_APPLIED] =
                g_signal_new("transaction-applied", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                             NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
        /* path, confirmed, rollback reason ("" when confirmed) */
        signals[SIGNAL_TRANSACTION_ENDED] =
                g_signal_new("transaction-ended", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                             G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void panel_model_init(PanelModel *self) {
        self->cancellable = g_cancellable_new();
        self->error = g_strdup("Connecting to the firewall service…");
        self->connecting = TRUE;
        g_queue_init(&self->waiting_calls);
        g_dbus_proxy_new_for_bus(G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE, NULL, PANEL_BUS_NAME,
                                 PANEL_OBJECT_PATH, PANEL_INTERFACE, self->cancellable, on_proxy_ready, self);
}

PanelModel *panel_model_new(void) {
        return g_object_new(PANEL_TYPE_MODEL, NULL);
}

gboolean panel_model_is_connected(PanelModel *self) {
        g_autofree char *owner = self->proxy ? g_dbus_proxy_get_name_owner(self->proxy) : NULL;
        return owner != NULL;
}

const char *panel_model_get_error(PanelModel *self) {
        return self->error;
}

GVariant *panel_model_dup_property(PanelModel *self, const char *name) {
        return self->proxy ? g_dbus_proxy_get_cached_property(self->proxy, name) : NULL;
}

GVariant *panel_model_get_rules(PanelModel *self) {
        return self->rules;
}

GVariant *panel_model_get_chains(PanelModel *self) {
        return self->chains;
}

const char *panel_model_get_pending(PanelModel *self) {
        return self->pending;
}

int panel_model_get_pending_seconds_left(PanelModel *self) {
        if (!self->pending || self->pending_deadline == 0)
                return -1;
        gint64 left = self->pending_deadline - g_get_monotonic_time();
        return left <= 0 ? 0 : (int) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

void panel_model_call(PanelModel *self, const char *method, GVariant *parameters, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data) {
        panel_model_call_transaction(self, PANEL_OBJECT_PATH, method, parameters, cancellable, callback,
                                     user_data);
}

static void on_call_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GTask) task = user_data;
        GError *error = NULL;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (reply)
                g_task_return_pointer(task, reply, (GDestroyNotify) g_variant_unref);
        else
                g_task_return_error(task, error);
}

static void send_call(PanelModel *self, Call *call) {
        if (!self->proxy) {
                g_task_return_new_error(call->task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "%s", self->error);
                call_free(call);
                return;
        }
        const char *interface =
                g_str_equal(call->path, PANEL_OBJECT_PATH) ? PANEL_INTERFACE : PANEL_TRANSACTION_INTERFACE;
        GCancellable *cancellable = g_task_get_cancellable(call->task);
        /* polkit may ask the user for a password: the call may take that long */
        g_dbus_connection_call(g_dbus_proxy_get_connection(self->proxy), PANEL_BUS_NAME, call->path, interface,
                               call->method, call->parameters, NULL, G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                               G_MAXINT, cancellable, on_call_done, g_steal_pointer(&call->task));
        call_free(call);
}

void panel_model_call_transaction(PanelModel *self, const char *transaction, const char *method,
                                  GVariant *parameters, GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data) {
        Call *call = g_new0(Call, 1);
        call->task = g_task_new(self, cancellable, callback, user_data);
        call->path = g_strdup(transaction);
        call->method = g_strdup(method);
        call->parameters = parameters ? g_variant_ref_sink(parameters) : NULL;
        if (self->connecting)
                g_queue_push_tail(&self->waiting_calls, call);
        else
                send_call(self, call);
}

GVariant *panel_model_call_finish(PanelModel *self, GAsyncResult *result, GError **error) {
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}
