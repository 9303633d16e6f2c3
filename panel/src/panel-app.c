/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>

#include "panel-app.h"
#include "panel-config.h"
#include "panel-model.h"
#include "panel-rule-form.h"
#include "panel-window.h"

#define DEFAULT_CONFIRM_SECONDS 30
#define MAX_CONFIRM_SECONDS 86400
/* what an "apply-changes" action may carry: the daemon's own limit per call */
#define MAX_CHANGES_TEXT (2u * 1024 * 1024)
#define LOCKOUT_RISK_ERROR "org.backstop.Firewall1.Error.LockoutRisk"

struct _PanelApp {
        AdwApplication parent_instance;
        PanelModel *model;
        PanelWindow *window;         /* weak: NULL once closed */
        guint confirm_seconds;
        char *own_transaction;       /* the transaction this panel applied and asks about */
        /* the last change refused as a lockout risk, for "apply-anyway" */
        char *last_method;
        GVariant *last_changes;
};

G_DEFINE_FINAL_TYPE(PanelApp, panel_app, ADW_TYPE_APPLICATION)

static PanelWindow *ensure_window(PanelApp *self) {
        if (!self->window) {
                self->window = panel_window_new(GTK_APPLICATION(self), self->model);
                g_object_add_weak_pointer(G_OBJECT(self->window), (gpointer *) &self->window);
        }
        return self->window;
}

static void toast(PanelApp *self, const char *text) {
        g_message("%s", text);
        panel_window_toast(ensure_window(self), text);
}

static void toast_error(PanelApp *self, const char *what, GError *error) {
        g_dbus_error_strip_remote_error(error);
        g_autofree char *text = g_strdup_printf("%s: %s", what, error->message);
        toast(self, text);
}

static void forget_last_change(PanelApp *self) {
        g_clear_pointer(&self->last_changes, g_variant_unref);
        g_clear_pointer(&self->last_method, g_free);
}

/* The default end of a change the panel applied: its error as a toast. */
static void on_apply_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        if (!g_task_propagate_boolean(G_TASK(result), &error))
                toast_error(PANEL_APP(source), _("The change was not applied"), error);
}

static void on_applied(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GTask) task = user_data;
        PanelApp *self = g_task_get_source_object(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = panel_model_call_finish(PANEL_MODEL(source), result, &error);
        g_autofree char *remote = reply ? NULL : g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, LOCKOUT_RISK_ERROR) == 0) {
                /* kept for apply-anyway: the only change it may repeat */
                g_dbus_error_strip_remote_error(error);
                panel_window_show_lockout_dialog(ensure_window(self), error->message);
                g_task_return_boolean(task, TRUE);
                return;
        }
        forget_last_change(self);
        if (!reply) {
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        g_free(self->own_transaction);
        g_variant_get(reply, "(o)", &self->own_transaction);
        if (g_str_equal(self->own_transaction, "/")) {
                /* ApplyDefaultDeny: everything is in place already */
                g_clear_pointer(&self->own_transaction, g_free);
                toast(self, _("Nothing to change: the default-deny rules are in place"));
                g_task_return_boolean(task, TRUE);
                return;
        }
        gtk_window_present(GTK_WINDOW(ensure_window(self)));
        panel_window_show_keep_dialog(self->window);
        g_task_return_boolean(task, TRUE);
}

/* Send the change behind the commit-confirm timer; remember it for a forced
 * repeat after a lockout refusal. callback NULL: an error is a toast. */
static void apply(PanelApp *self, const char *method, GVariant *changes, gboolean force,
                  GAsyncReadyCallback callback, gpointer user_data) {
        g_autoptr(GVariant) sunk = g_variant_ref_sink(changes);
        if (sunk != self->last_changes) {
                g_clear_pointer(&self->last_changes, g_variant_unref);
                self->last_changes = g_variant_ref(sunk);
                g_free(self->last_method);
                self->last_method = g_strdup(method);
        }
        GVariantBuilder options;
        g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&options, "{sv}", "timeout", g_variant_new_uint32(self->confirm_seconds));
        if (force)
                g_variant_builder_add(&options, "{sv}", "force", g_variant_new_boolean(TRUE));
        GTask *task = g_task_new(self, NULL, callback ? callback : on_apply_done, user_data);
        panel_model_call(self->model, method, g_variant_new("(@*a{sv})", sunk, &options), NULL, on_applied, task);
}

void panel_app_apply_changes_async(PanelApp *self, GVariant *changes, GAsyncReadyCallback callback,
                                   gpointer user_data) {
        apply(self, "ApplyChanges", changes, FALSE, callback, user_data);
}

gboolean panel_app_apply_changes_finish(PanelApp *self, GAsyncResult *result, GError **error) {
        return g_task_propagate_boolean(G_TASK(result), error);
}

static void on_apply_changes(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        gsize length;
        const char *text = g_variant_get_string(parameter, &length);
        if (length > MAX_CHANGES_TEXT) {
                toast(self, _("The change is too long"));
                return;
        }
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        GVariantBuilder changes;
        g_variant_builder_init(&changes, G_VARIANT_TYPE_STRING_ARRAY);
        guint count = 0;
        for (char **line = lines; *line; line++) {
                g_strstrip(*line);
                if (**line == '\0' || **line == '#')
                        continue;
                g_variant_builder_add(&changes, "s", *line);
                count++;
        }
        if (count == 0) {
                g_variant_builder_clear(&changes);
                toast(self, _("There is no change to apply"));
                return;
        }
        apply(self, "Apply", g_variant_builder_end(&changes), FALSE, NULL, NULL);
}

static void on_remove_rule(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        const char *family, *chain;
        guint32 position;
        g_variant_get(parameter, "(&s&su)", &family, &chain, &position);
        GVariantBuilder change;
        g_variant_builder_init(&change, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&change, "{sv}", "operation", g_variant_new_string("delete-number"));
        g_variant_builder_add(&change, "{sv}", "family", g_variant_new_string(family));
        g_variant_builder_add(&change, "{sv}", "chain", g_variant_new_string(chain));
        g_variant_builder_add(&change, "{sv}", "position", g_variant_new_uint32(position));
        GVariantBuilder changes;
        g_variant_builder_init(&changes, G_VARIANT_TYPE("aa{sv}"));
        g_variant_builder_add_value(&changes, g_variant_builder_end(&change));
        apply(self, "ApplyChanges", g_variant_builder_end(&changes), FALSE, NULL, NULL);
}

/* The text of rule (family, chain, position) as the panel last read it
 * (ListRules' "rule", what iptables -S prints after "-A CHAIN"). */
static char *rule_text(PanelApp *self, const char *family, const char *chain, guint32 position) {
        g_autoptr(GVariant) rule = panel_rule_form_lookup_rule(self->model, family, chain, position);
        const char *text;
        return rule && g_variant_lookup(rule, "rule", "&s", &text) ? g_strdup(text) : NULL;
}

/* Move a rule as one change: delete it by its text (so that a rule that
 * moved meanwhile is still the one meant, and a rule that is gone fails
 * with NotFound, changing nothing), insert the same text at the new place. */
static void on_move_rule(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        const char *family, *chain;
        guint32 from, to;
        g_variant_get(parameter, "(&s&suu)", &family, &chain, &from, &to);
        const char *flag = g_str_equal(family, "ipv4") ? "-4" : g_str_equal(family, "ipv6") ? "-6" : NULL;
        g_autofree char *text = rule_text(self, family, chain, from);
        if (!flag || !text || to == 0 || to == from) {
                toast(self, _("There is no such rule to move"));
                return;
        }
        g_autofree char *delete = g_strdup_printf("%s -D %s %s", flag, chain, text);
        g_autofree char *insert = g_strdup_printf("%s -I %s %u %s", flag, chain, to, text);
        const char *changes[] = {delete, insert, NULL};
        apply(self, "Apply", g_variant_new_strv(changes, -1), FALSE, NULL, NULL);
}

/* add-rule and edit-rule: the form opened as by its buttons, the values
 * typed in, then Add / Save as by the button (an error shows in the form). */
static void fill_and_submit(PanelRuleForm *form, GVariant *values) {
        g_autoptr(GError) error = NULL;
        if (!panel_rule_form_fill(form, values, &error)) {
                g_message("%s", error->message);
                return;
        }
        panel_rule_form_submit(form);
}

static void on_add_rule(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        PanelWindow *window = ensure_window(self);
        gtk_window_present(GTK_WINDOW(window));
        panel_window_show_view(window, "rules");
        fill_and_submit(panel_rule_form_open(GTK_WINDOW(window), self->model, NULL, NULL, 0), parameter);
}

static void on_edit_rule(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        const char *family, *chain;
        guint32 position;
        g_autoptr(GVariant) values = NULL;
        g_variant_get(parameter, "(&s&su@a{sv})", &family, &chain, &position, &values);
        PanelWindow *window = ensure_window(self);
        gtk_window_present(GTK_WINDOW(window));
        panel_window_show_view(window, "rules");
        fill_and_submit(panel_rule_form_open(GTK_WINDOW(window), self->model, family, chain, position), values);
}

/* The default-deny assistant's Apply and Check (panel-assistant.c), with
 * the allows a(sq) */
static void on_default_deny(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        apply(PANEL_APP(user_data), "ApplyDefaultDeny", parameter, FALSE, NULL, NULL);
}

static void on_default_deny_check(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        gtk_window_present(GTK_WINDOW(ensure_window(self)));
        panel_window_check_default_deny(self->window, parameter);
}

static void on_apply_anyway(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        if (!self->last_changes) {
                toast(self, _("No change was refused as a lockout risk"));
                return;
        }
        apply(self, self->last_method, self->last_changes, TRUE, NULL, NULL);
}

static void on_transaction_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(PanelApp) self = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = panel_model_call_finish(PANEL_MODEL(source), result, &error);
        if (!reply)
                toast_error(self, _("The pending change could not be ended"), error);
}

static void end_pending(PanelApp *self, const char *method, GVariant *parameters) {
        const char *pending = panel_model_get_pending(self->model);
        if (!pending) {
                if (parameters)
                        g_variant_unref(g_variant_ref_sink(parameters));
                toast(self, _("No change is waiting for confirmation"));
                return;
        }
        panel_model_call_transaction(self->model, pending, method, parameters, NULL, on_transaction_done,
                                     g_object_ref(self));
}

static void on_keep(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        end_pending(PANEL_APP(user_data), "Confirm", g_variant_new_parsed("(@a{sv} {},)"));
}

static void on_revert(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        end_pending(PANEL_APP(user_data), "Rollback", NULL);
}

static void on_transaction_ended(PanelModel *model, const char *path, gboolean confirmed, const char *reason,
                                 gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        if (g_strcmp0(path, self->own_transaction) != 0)
                return;
        g_clear_pointer(&self->own_transaction, g_free);
        if (!self->window)
                return;
        panel_window_close_keep_dialog(self->window);
        if (confirmed)
                toast(self, _("The changes are kept"));
        else if (g_str_equal(reason, "timeout"))
                toast(self, _("The changes were not kept in time: the previous rules are back"));
        else
                toast(self, _("The changes were reverted"));
}

static void on_show_view(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        if (!panel_window_show_view(ensure_window(self), g_variant_get_string(parameter, NULL)))
                g_warning("show-view: no view named \"%s\"", g_variant_get_string(parameter, NULL));
}

static void on_screenshot(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        PanelApp *self = PANEL_APP(user_data);
        const char *what = g_variant_get_string(parameter, NULL);
        const char *dir = g_getenv("BACKSTOP_PANEL_SCREENSHOT_DIR");
        g_autofree char *name = g_strconcat(what, ".png", NULL);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        /* only the fixed names: a parameter never makes another path */
        if (!panel_window_save_screenshot(ensure_window(self), what, path))
                g_warning("screenshot: nothing named \"%s\" to show", what);
}

static void on_quit(GSimpleAction *action, GVariant *parameter, gpointer user_data) {
        g_application_quit(G_APPLICATION(user_data));
}

static void panel_app_activate(GApplication *app) {
        gtk_window_present(GTK_WINDOW(ensure_window(PANEL_APP(app))));
}

static int panel_app_handle_local_options(GApplication *app, GVariantDict *options) {
        PanelApp *self = PANEL_APP(app);
        const char *text;
        if (g_variant_dict_lookup(options, "version", "b", NULL)) {
                g_print("backstop-panel %s\n", PANEL_VERSION);
                return 0;
        }
        /* a string: GApplication leaves an integer option of 0 out, as if not given */
        if (g_variant_dict_lookup(options, "confirm-timeout", "&s", &text)) {
                guint64 seconds;
                g_autoptr(GError) error = NULL;
                if (!g_ascii_string_to_unsigned(text, 10, 1, MAX_CONFIRM_SECONDS, &seconds, &error)) {
                        g_printerr(_("--confirm-timeout: %s\n"), error->message);
                        return 2;
                }
                self->confirm_seconds = (guint) seconds;
        }
        return -1;
}

static void panel_app_startup(GApplication *app) {
        PanelApp *self = PANEL_APP(app);
        G_APPLICATION_CLASS(panel_app_parent_class)->startup(app);
        const GActionEntry entries[] = {
                {.name = "keep", .activate = on_keep},
                {.name = "revert", .activate = on_revert},
                {.name = "apply-changes", .activate = on_apply_changes, .parameter_type = "s"},
                {.name = "remove-rule", .activate = on_remove_rule, .parameter_type = "(ssu)"},
                {.name = "move-rule", .activate = on_move_rule, .parameter_type = "(ssuu)"},
                {.name = "add-rule", .activate = on_add_rule, .parameter_type = "a{sv}"},
                {.name = "edit-rule", .activate = on_edit_rule, .parameter_type = "(ssua{sv})"},
                {.name = "apply-anyway", .activate = on_apply_anyway},
                {.name = "default-deny", .activate = on_default_deny, .parameter_type = "a(sq)"},
                {.name = "default-deny-check", .activate = on_default_deny_check, .parameter_type = "a(sq)"},
                {.name = "show-view", .activate = on_show_view, .parameter_type = "s"},
                {.name = "screenshot", .activate = on_screenshot, .parameter_type = "s"},
                {.name = "quit", .activate = on_quit},
        };
        g_action_map_add_action_entries(G_ACTION_MAP(app), entries, G_N_ELEMENTS(entries), app);
        GAction *screenshot = g_action_map_lookup_action(G_ACTION_MAP(app), "screenshot");
        g_simple_action_set_enabled(G_SIMPLE_ACTION(screenshot), g_getenv("BACKSTOP_PANEL_SCREENSHOT_DIR") != NULL);
        const char *quit_accels[] = {"<Control>q", NULL};
        gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);

        self->model = panel_model_new();
        g_signal_connect_object(self->model, "transaction-ended", G_CALLBACK(on_transaction_ended), self, 0);
}

static void panel_app_dispose(GObject *object) {
        PanelApp *self = PANEL_APP(object);
        g_clear_object(&self->model);
        g_clear_pointer(&self->own_transaction, g_free);
        forget_last_change(self);
        G_OBJECT_CLASS(panel_app_parent_class)->dispose(object);
}

static void panel_app_class_init(PanelAppClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_app_dispose;
        G_APPLICATION_CLASS(klass)->activate = panel_app_activate;
        G_APPLICATION_CLASS(klass)->startup = panel_app_startup;
        G_APPLICATION_CLASS(klass)->handle_local_options = panel_app_handle_local_options;
}

static void panel_app_init(PanelApp *self) {
        self->confirm_seconds = DEFAULT_CONFIRM_SECONDS;
        const GOptionEntry options[] = {
                {"confirm-timeout", 0, 0, G_OPTION_ARG_STRING, NULL,
                 N_("Seconds until the daemon reverts a change that is not kept (default 30)"), N_("SECONDS")},
                {"version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL},
                {NULL},
        };
        g_application_add_main_option_entries(G_APPLICATION(self), options);
}

PanelApp *panel_app_new(void) {
        return g_object_new(PANEL_TYPE_APP, "application-id", PANEL_APP_ID, "flags", G_APPLICATION_DEFAULT_FLAGS,
                            NULL);
}
