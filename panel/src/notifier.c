/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* backstop-notifier: the user-session agent of the panel. While a firewall
 * change waits for confirmation (whoever applied it: the panel, backstopctl
 * over ssh, Ansible), it shows a desktop notification "Keep these firewall
 * changes?" with the time left and the actions Keep Changes and Revert Now,
 * which confirm or roll back the pending transaction (polkit decides, as
 * for the panel). The notification goes when the transaction ends. It reads
 * the daemon through the panel's model: signals only, no polling.
 *
 * One per session (GApplication org.backstop.Notifier); started by the
 * desktop's autostart. */

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>

#include "panel-config.h"
#include "panel-model.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"

typedef struct {
        GApplication *app;
        PanelModel *model;
        GDBusConnection *session;
        guint32 notification;    /* the server's id, 0 when none is shown */
        char *shown_for;         /* the transaction it is about */
        int shown_seconds;       /* the time left it says */
        GCancellable *cancellable;
} Notifier;

static void on_notified(GObject *source, GAsyncResult *result, gpointer user_data) {
        Notifier *self = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (!reply) {
                if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                        g_message("no desktop notification: %s", error->message);
                return;
        }
        g_variant_get(reply, "(u)", &self->notification);
}

static void notify(Notifier *self, const char *summary, const char *body, gboolean with_actions) {
        GVariantBuilder actions, hints;
        g_variant_builder_init(&actions, G_VARIANT_TYPE_STRING_ARRAY);
        if (with_actions) {
                g_variant_builder_add(&actions, "s", "keep");
                g_variant_builder_add(&actions, "s", _("Keep Changes"));
                g_variant_builder_add(&actions, "s", "revert");
                g_variant_builder_add(&actions, "s", _("Revert Now"));
        }
        g_variant_builder_init(&hints, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&hints, "{sv}", "desktop-entry", g_variant_new_string(PANEL_APP_ID));
        /* critical: it stays until answered or the transaction ends */
        g_variant_builder_add(&hints, "{sv}", "urgency", g_variant_new_byte(with_actions ? 2 : 1));
        g_dbus_connection_call(self->session, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME, "Notify",
                               g_variant_new("(susssasa{sv}i)", _("Firewall"), self->notification, PANEL_APP_ID,
                                             summary, body, &actions, &hints, with_actions ? 0 : -1),
                               G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_notified,
                               self);
}

static void close_notification(Notifier *self) {
        if (self->notification)
                g_dbus_connection_call(self->session, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME,
                                       "CloseNotification", g_variant_new("(u)", self->notification), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
        self->notification = 0;
        g_clear_pointer(&self->shown_for, g_free);
}

/* Show (or update) the question while a transaction is pending and its
 * time left is known; shown again only when that changes (an extension). */
static void on_model_changed(PanelModel *model, gpointer user_data) {
        Notifier *self = user_data;
        const char *pending = panel_model_get_pending(model);
        int left = panel_model_get_pending_seconds_left(model);
        if (!pending || left < 0)
                return;
        if (g_strcmp0(pending, self->shown_for) == 0 && ABS(left - self->shown_seconds) <= 1)
                return;
        g_free(self->shown_for);
        self->shown_for = g_strdup(pending);
        self->shown_seconds = left;
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autoptr(GDateTime) at = g_date_time_add_seconds(now, left);
        g_autofree char *clock = g_date_time_format(at, "%X");
        g_autofree char *body = g_strdup_printf(
                ngettext("Reverting in %d second (at %s) unless you keep them.",
                         "Reverting in %d seconds (at %s) unless you keep them.", left),
                left, clock);
        notify(self, _("Keep these firewall changes?"), body, TRUE);
}

static void on_transaction_ended(PanelModel *model, const char *path, gboolean confirmed, const char *reason,
                                 gpointer user_data) {
        Notifier *self = user_data;
        if (g_strcmp0(path, self->shown_for) == 0)
                close_notification(self);
}

static void on_answer(GObject *source, GAsyncResult *result, gpointer user_data) {
        Notifier *self = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = panel_model_call_finish(PANEL_MODEL(source), result, &error);
        if (reply || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        g_dbus_error_strip_remote_error(error);
        g_message("%s", error->message);
        notify(self, _("The firewall change could not be ended"), error->message, FALSE);
}

static void on_action_invoked(GDBusConnection *connection, const char *sender, const char *path,
                              const char *interface, const char *signal, GVariant *parameters, gpointer user_data) {
        Notifier *self = user_data;
        guint32 id;
        const char *action;
        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(us)")))
                return;
        g_variant_get(parameters, "(u&s)", &id, &action);
        if (id == 0 || id != self->notification || !self->shown_for)
                return;
        /* only the transaction the notification is about, never a later one */
        if (g_strcmp0(self->shown_for, panel_model_get_pending(self->model)) != 0)
                return;
        if (g_str_equal(action, "keep"))
                panel_model_call_transaction(self->model, self->shown_for, "Confirm",
                                             g_variant_new_parsed("(@a{sv} {},)"), self->cancellable, on_answer, self);
        else if (g_str_equal(action, "revert"))
                panel_model_call_transaction(self->model, self->shown_for, "Rollback", NULL, self->cancellable,
                                             on_answer, self);
}

static void on_closed(GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                      const char *signal, GVariant *parameters, gpointer user_data) {
        Notifier *self = user_data;
        guint32 id, reason;
        if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(uu)"))) {
                g_variant_get(parameters, "(uu)", &id, &reason);
                if (id == self->notification)
                        self->notification = 0; /* dismissed: the next change asks again */
        }
}

static void on_startup(GApplication *app, gpointer user_data) {
        Notifier *self = user_data;
        g_application_hold(app);
        self->session = g_application_get_dbus_connection(app);
        if (!self->session) {
                g_printerr("backstop-notifier: no session bus\n");
                return;
        }
        g_object_ref(self->session);
        g_dbus_connection_signal_subscribe(self->session, NOTIFICATIONS_NAME, NOTIFICATIONS_NAME, "ActionInvoked",
                                           NOTIFICATIONS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_action_invoked,
                                           self, NULL);
        g_dbus_connection_signal_subscribe(self->session, NOTIFICATIONS_NAME, NOTIFICATIONS_NAME,
                                           "NotificationClosed", NOTIFICATIONS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                           on_closed, self, NULL);
        self->model = panel_model_new();
        g_signal_connect(self->model, "changed", G_CALLBACK(on_model_changed), self);
        g_signal_connect(self->model, "transaction-ended", G_CALLBACK(on_transaction_ended), self);
}

static void on_activate(GApplication *app, gpointer user_data) {
}

/* The session ends (SIGTERM) or the agent is stopped by hand: leave the
 * main loop, so that everything is freed on the way out. */
static gboolean on_quit_signal(gpointer user_data) {
        g_application_quit(G_APPLICATION(user_data));
        return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv) {
        setlocale(LC_ALL, "");
        bindtextdomain(PANEL_GETTEXT_PACKAGE, PANEL_LOCALEDIR);
        bind_textdomain_codeset(PANEL_GETTEXT_PACKAGE, "UTF-8");
        textdomain(PANEL_GETTEXT_PACKAGE);

        Notifier self = {.cancellable = g_cancellable_new()};
        self.app = g_application_new("org.backstop.Notifier", G_APPLICATION_DEFAULT_FLAGS);
        g_signal_connect(self.app, "startup", G_CALLBACK(on_startup), &self);
        g_signal_connect(self.app, "activate", G_CALLBACK(on_activate), &self);
        guint term = g_unix_signal_add(SIGTERM, on_quit_signal, self.app);
        guint interrupt = g_unix_signal_add(SIGINT, on_quit_signal, self.app);
        int status = g_application_run(self.app, argc, argv);
        g_source_remove(term);
        g_source_remove(interrupt);
        g_cancellable_cancel(self.cancellable);
        if (self.model)
                g_signal_handlers_disconnect_by_data(self.model, &self);
        g_clear_object(&self.model);
        g_clear_object(&self.session);
        g_clear_object(&self.cancellable);
        g_free(self.shown_for);
        g_object_unref(self.app);
        return status;
}
