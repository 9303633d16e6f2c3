/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>

#include "panel-views.h"

/* A conntrack table may hold many thousands of entries: the list shows the
 * first ones and says how many there are. */
#define MAX_ROWS 500

struct _PanelConnectionsView {
        AdwBin parent_instance;
        PanelModel *model;
        GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE(PanelConnectionsView, panel_connections_view, ADW_TYPE_BIN)

static void load(PanelConnectionsView *self);

static GtkWidget *connection_row(GVariant *item) {
        g_autoptr(GVariantDict) dict = g_variant_dict_new(item);
        const char *protocol = "", *source = "", *destination = "", *state = "";
        guint16 sport = 0, dport = 0;
        gboolean inbound = FALSE, management = FALSE;
        g_variant_dict_lookup(dict, "protocol", "&s", &protocol);
        g_variant_dict_lookup(dict, "source", "&s", &source);
        g_variant_dict_lookup(dict, "destination", "&s", &destination);
        g_variant_dict_lookup(dict, "state", "&s", &state);
        g_variant_dict_lookup(dict, "source-port", "q", &sport);
        g_variant_dict_lookup(dict, "destination-port", "q", &dport);
        g_variant_dict_lookup(dict, "inbound", "b", &inbound);
        g_variant_dict_lookup(dict, "management", "b", &management);
        g_autofree char *title = g_strdup_printf("%s %s:%u → %s:%u", protocol, source, sport, destination, dport);
        g_autoptr(GString) subtitle = g_string_new(state);
        if (inbound)
                g_string_append_printf(subtitle, "%s%s", subtitle->len ? " · " : "", _("inbound"));
        if (management)
                g_string_append_printf(subtitle, "%s%s", subtitle->len ? " · " : "", _("management"));
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle->str);
        return row;
}

static void show(PanelConnectionsView *self, GVariant *connections, const char *error) {
        GtkWidget *page = adw_preferences_page_new();
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Connections"));
        GtkWidget *refresh = gtk_button_new_from_icon_name("view-refresh-symbolic");
        gtk_widget_add_css_class(refresh, "flat");
        gtk_widget_set_tooltip_text(refresh, _("Refresh"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(refresh), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Refresh"), -1);
        g_signal_connect_object(refresh, "clicked", G_CALLBACK(load), self, G_CONNECT_SWAPPED);
        adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(group), refresh);
        if (error) {
                adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), error);
        } else {
                gsize count = g_variant_n_children(connections);
                g_autofree char *description = g_strdup_printf(
                        ngettext("%zu connection the firewall tracks", "%zu connections the firewall tracks", count),
                        count);
                adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
                for (gsize i = 0; i < count && i < MAX_ROWS; i++) {
                        g_autoptr(GVariant) item = g_variant_get_child_value(connections, i);
                        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), connection_row(item));
                }
        }
        adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), ADW_PREFERENCES_GROUP(group));
        adw_bin_set_child(ADW_BIN(self), page);
}

static void on_listed(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = panel_model_call_finish(PANEL_MODEL(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        PanelConnectionsView *self = PANEL_CONNECTIONS_VIEW(user_data);
        if (!reply) {
                g_dbus_error_strip_remote_error(error);
                show(self, NULL, error->message);
                return;
        }
        g_autoptr(GVariant) connections = g_variant_get_child_value(reply, 0);
        show(self, connections, NULL);
}

/* Connection tracking announces nothing on the bus: the list is read when
 * the page is shown and when asked (Refresh), never on a timer. */
static void load(PanelConnectionsView *self) {
        g_cancellable_cancel(self->cancellable);
        g_clear_object(&self->cancellable);
        self->cancellable = g_cancellable_new();
        panel_model_call(self->model, "ListConnections", NULL, self->cancellable, on_listed, self);
}

static void panel_connections_view_dispose(GObject *object) {
        PanelConnectionsView *self = PANEL_CONNECTIONS_VIEW(object);
        if (self->cancellable)
                g_cancellable_cancel(self->cancellable);
        g_clear_object(&self->cancellable);
        g_clear_object(&self->model);
        G_OBJECT_CLASS(panel_connections_view_parent_class)->dispose(object);
}

static void panel_connections_view_class_init(PanelConnectionsViewClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_connections_view_dispose;
}

static void panel_connections_view_init(PanelConnectionsView *self) {
        g_signal_connect(self, "map", G_CALLBACK(load), NULL);
}

GtkWidget *panel_connections_view_new(PanelModel *model) {
        PanelConnectionsView *self = g_object_new(PANEL_TYPE_CONNECTIONS_VIEW, NULL);
        self->model = g_object_ref(model);
        return GTK_WIDGET(self);
}
