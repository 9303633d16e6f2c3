/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>

#include "panel-assistant.h"
#include "panel-rule-form.h"
#include "panel-views.h"
#include "panel-window.h"

struct _PanelWindow {
        AdwApplicationWindow parent_instance;
        PanelModel *model;
        AdwViewStack *stack;
        AdwToastOverlay *toasts;
        AdwMessageDialog *keep_dialog; /* NULL when not shown */
        GtkWidget *lockout_dialog;     /* weak: NULL when not shown */
        guint keep_countdown;
        GtkWidget *assistant;          /* weak: the default-deny assistant's window, NULL when closed */
        PanelAssistantView *assistant_view;
};

G_DEFINE_FINAL_TYPE(PanelWindow, panel_window, ADW_TYPE_APPLICATION_WINDOW)

static void activate_app_action(PanelWindow *self, const char *name) {
        GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
        if (app)
                g_action_group_activate_action(G_ACTION_GROUP(app), name, NULL);
}

/* The default-deny assistant's window (panel-assistant.c), made when first
 * asked for. */
static void show_assistant(PanelWindow *self) {
        if (!self->assistant) {
                self->assistant = panel_assistant_window_new(GTK_WINDOW(self), self->model, &self->assistant_view);
                g_object_add_weak_pointer(G_OBJECT(self->assistant), (gpointer *) &self->assistant);
        }
        gtk_window_present(GTK_WINDOW(self->assistant));
}

void panel_window_check_default_deny(PanelWindow *self, GVariant *allows) {
        show_assistant(self);
        panel_assistant_view_check(self->assistant_view, allows);
}

gboolean panel_window_show_view(PanelWindow *self, const char *name) {
        if (g_str_equal(name, "default-deny")) {
                show_assistant(self);
                return TRUE;
        }
        if (!adw_view_stack_get_child_by_name(self->stack, name))
                return FALSE;
        adw_view_stack_set_visible_child_name(self->stack, name);
        return TRUE;
}

void panel_window_toast(PanelWindow *self, const char *text) {
        AdwToast *toast = adw_toast_new(text);
        adw_toast_set_timeout(toast, 5);
        adw_toast_overlay_add_toast(self->toasts, toast);
}

static void update_keep_body(PanelWindow *self) {
        int left = panel_model_get_pending_seconds_left(self->model);
        g_autofree char *body =
                left < 0 ? g_strdup(_("The previous rules come back by themselves unless you keep these."))
                         : g_strdup_printf(ngettext("Reverting in %d second", "Reverting in %d seconds", left), left);
        adw_message_dialog_set_body(self->keep_dialog, body);
}

static gboolean on_keep_countdown(gpointer user_data) {
        PanelWindow *self = PANEL_WINDOW(user_data);
        if (self->keep_dialog)
                update_keep_body(self);
        return G_SOURCE_CONTINUE;
}

static void on_keep_response(AdwMessageDialog *dialog, const char *response, gpointer user_data) {
        PanelWindow *self = PANEL_WINDOW(user_data);
        self->keep_dialog = NULL;
        g_clear_handle_id(&self->keep_countdown, g_source_remove);
        activate_app_action(self, g_str_equal(response, "keep") ? "keep" : "revert");
}

void panel_window_show_keep_dialog(PanelWindow *self) {
        panel_window_close_keep_dialog(self);
        GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), _("Keep these firewall changes?"), NULL);
        self->keep_dialog = ADW_MESSAGE_DIALOG(dialog);
        adw_message_dialog_add_responses(self->keep_dialog, "revert", _("_Revert"), "keep", _("_Keep Changes"), NULL);
        adw_message_dialog_set_response_appearance(self->keep_dialog, "keep", ADW_RESPONSE_SUGGESTED);
        /* Escape or closing the dialog reverts, as the display settings do;
         * Enter does nothing by itself */
        adw_message_dialog_set_close_response(self->keep_dialog, "revert");
        update_keep_body(self);
        g_signal_connect_object(dialog, "response", G_CALLBACK(on_keep_response), self, 0);
        self->keep_countdown = g_timeout_add(250, on_keep_countdown, self);
        gtk_window_present(GTK_WINDOW(dialog));
}

void panel_window_close_keep_dialog(PanelWindow *self) {
        g_clear_handle_id(&self->keep_countdown, g_source_remove);
        if (!self->keep_dialog)
                return;
        AdwMessageDialog *dialog = g_steal_pointer(&self->keep_dialog);
        g_signal_handlers_disconnect_by_func(dialog, on_keep_response, self);
        gtk_window_destroy(GTK_WINDOW(dialog));
}

static void on_lockout_response(AdwMessageDialog *dialog, const char *response, gpointer user_data) {
        PANEL_WINDOW(user_data)->lockout_dialog = NULL;
        if (g_str_equal(response, "apply-anyway"))
                activate_app_action(PANEL_WINDOW(user_data), "apply-anyway");
}

void panel_window_show_lockout_dialog(PanelWindow *self, const char *message) {
        if (self->lockout_dialog)
                gtk_window_destroy(GTK_WINDOW(self->lockout_dialog));
        GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), _("This change could lock you out"), NULL);
        self->lockout_dialog = dialog;
        g_object_add_weak_pointer(G_OBJECT(dialog), (gpointer *) &self->lockout_dialog);
        g_autofree char *body = g_strdup_printf(
                _("%s\n\nIf you apply it anyway, the previous rules still come back by themselves unless you "
                  "keep the change."),
                message);
        adw_message_dialog_set_body(ADW_MESSAGE_DIALOG(dialog), body);
        adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "apply-anyway",
                                         _("_Apply Anyway"), NULL);
        adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "apply-anyway",
                                                   ADW_RESPONSE_DESTRUCTIVE);
        adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
        adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
        g_signal_connect_object(dialog, "response", G_CALLBACK(on_lockout_response), self, 0);
        g_message("%s: %s", _("This change could lock you out"), message);
        gtk_window_present(GTK_WINDOW(dialog));
}

typedef struct {
        GtkWidget *widget;
        char *path;
} Screenshot;

static void screenshot_free(Screenshot *shot) {
        g_object_unref(shot->widget);
        g_free(shot->path);
        g_free(shot);
}

/* Render the widget as its window's renderer draws it, write the PNG under
 * a temporary name and rename it, so that whoever waits for the file finds
 * it whole. */
static gboolean save_screenshot_now(gpointer user_data) {
        Screenshot *shot = user_data;
        GtkNative *native = gtk_widget_get_native(shot->widget);
        int width = gtk_widget_get_width(shot->widget), height = gtk_widget_get_height(shot->widget);
        if (!native || !gtk_native_get_renderer(native) || width <= 0 || height <= 0)
                return G_SOURCE_CONTINUE; /* not drawn yet */
        g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(shot->widget);
        GtkSnapshot *snapshot = gtk_snapshot_new();
        gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
        g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
        if (!node)
                return G_SOURCE_CONTINUE;
        g_autoptr(GdkTexture) texture = gsk_renderer_render_texture(gtk_native_get_renderer(native), node,
                                                                    &GRAPHENE_RECT_INIT(0, 0, width, height));
        g_autofree char *partial = g_strconcat(shot->path, ".part", NULL);
        if (!gdk_texture_save_to_png(texture, partial) || rename(partial, shot->path) < 0)
                g_warning("could not write the screenshot %s", shot->path);
        return G_SOURCE_REMOVE;
}

gboolean panel_window_save_screenshot(PanelWindow *self, const char *what, const char *path) {
        GtkWidget *widget;
        if (g_str_equal(what, "keep-dialog")) {
                if (!self->keep_dialog)
                        return FALSE;
                widget = GTK_WIDGET(self->keep_dialog);
        } else if (g_str_equal(what, "lockout-dialog")) {
                if (!self->lockout_dialog)
                        return FALSE;
                widget = self->lockout_dialog;
        } else if (g_str_equal(what, "default-deny")) {
                show_assistant(self);
                widget = self->assistant;
        } else if (g_str_equal(what, "rule-form")) {
                widget = GTK_WIDGET(panel_rule_form_find(gtk_window_get_application(GTK_WINDOW(self))));
                if (!widget)
                        return FALSE;
        } else if (panel_window_show_view(self, what)) {
                widget = GTK_WIDGET(self);
        } else {
                return FALSE;
        }
        Screenshot *shot = g_new0(Screenshot, 1);
        shot->widget = g_object_ref(widget);
        shot->path = g_strdup(path);
        /* half a second for the page switch's transition and a redraw */
        g_timeout_add_full(G_PRIORITY_DEFAULT, 500, save_screenshot_now, shot, (GDestroyNotify) screenshot_free);
        return TRUE;
}

static void panel_window_dispose(GObject *object) {
        PanelWindow *self = PANEL_WINDOW(object);
        g_clear_handle_id(&self->keep_countdown, g_source_remove);
        self->keep_dialog = NULL; /* a transient window: destroyed with us */
        g_clear_object(&self->model);
        G_OBJECT_CLASS(panel_window_parent_class)->dispose(object);
}

static void panel_window_class_init(PanelWindowClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_window_dispose;
}

static void panel_window_init(PanelWindow *self) {
}

PanelWindow *panel_window_new(GtkApplication *app, PanelModel *model) {
        PanelWindow *self = g_object_new(PANEL_TYPE_WINDOW, "application", app, "title", _("Firewall"),
                                         "default-width", 720, "default-height", 640, NULL);
        self->model = g_object_ref(model);

        GtkWidget *stack = adw_view_stack_new();
        self->stack = ADW_VIEW_STACK(stack);
        adw_view_stack_add_titled_with_icon(self->stack, panel_status_view_new(model), "status", _("Status"),
                                            "security-high-symbolic");
        adw_view_stack_add_titled_with_icon(self->stack, panel_rules_view_new(model), "rules", _("Rules"),
                                            "view-list-symbolic");
        adw_view_stack_add_titled_with_icon(self->stack, panel_connections_view_new(model), "connections",
                                            _("Connections"), "network-wired-symbolic");

        GtkWidget *header = adw_header_bar_new();
        GtkWidget *switcher = adw_view_switcher_title_new();
        adw_view_switcher_title_set_stack(ADW_VIEW_SWITCHER_TITLE(switcher), self->stack);
        adw_view_switcher_title_set_title(ADW_VIEW_SWITCHER_TITLE(switcher), _("Firewall"));
        adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), switcher);

        GtkWidget *bottom = adw_view_switcher_bar_new();
        adw_view_switcher_bar_set_stack(ADW_VIEW_SWITCHER_BAR(bottom), self->stack);
        g_object_bind_property(switcher, "title-visible", bottom, "reveal", G_BINDING_SYNC_CREATE);

        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        gtk_box_append(GTK_BOX(box), header);
        gtk_widget_set_vexpand(stack, TRUE);
        gtk_box_append(GTK_BOX(box), stack);
        gtk_box_append(GTK_BOX(box), bottom);

        GtkWidget *toasts = adw_toast_overlay_new();
        self->toasts = ADW_TOAST_OVERLAY(toasts);
        adw_toast_overlay_set_child(self->toasts, box);
        adw_application_window_set_content(ADW_APPLICATION_WINDOW(self), toasts);
        return self;
}
