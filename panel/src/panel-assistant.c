/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default-deny assistant: which services stay open (check rows for
 * common services, an entry for more), Check (PreviewDefaultDeny: the
 * commands the daemon would run and the connections the result would cut)
 * and Apply (ApplyDefaultDeny through the application's keep-or-revert
 * flow). The buttons activate app.default-deny-check and app.default-deny
 * with the selection, as the session bus's callers do. */
#include <glib/gi18n.h>

#include "panel-assistant.h"
#include "panel-views.h"
#include "services.h"

/* What the daemon takes: at most this many (protocol, port) pairs */
#define ALLOWS_MAX 64

/* The services offered as check rows: names service_resolve() knows (the
 * catalogue of services.c or /etc/services); ssh is ticked at first. */
static const struct {
        const char *name;
        const char *title;
} offered[] = {
        {"ssh", N_("Remote login (SSH)")},
        {"http", N_("Web server (HTTP)")},
        {"https", N_("Secure web server (HTTPS)")},
        {"dns", N_("Name server (DNS)")},
        {"wireguard", N_("WireGuard VPN")},
};
#define N_OFFERED G_N_ELEMENTS(offered)

struct _PanelAssistantView {
        AdwBin parent_instance;
        PanelModel *model;
        GtkCheckButton *checks[N_OFFERED];
        Service services[N_OFFERED];
        gboolean resolved[N_OFFERED];
        AdwEntryRow *custom;
        AdwBin *results;            /* the preview's groups, replaced at each Check */
        GCancellable *cancellable;  /* the preview in flight */
};

G_DEFINE_FINAL_TYPE(PanelAssistantView, panel_assistant_view, ADW_TYPE_BIN)

static gboolean allows_add(ServicePort *v, size_t *n, const Service *s, GError **error) {
        for (size_t i = 0; i < s->n_ports; i++)
                if (!g_str_equal(s->ports[i].protocol, "tcp") && !g_str_equal(s->ports[i].protocol, "udp")) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("“%s”: only tcp and udp ports can be kept open"), s->name);
                        return FALSE;
                }
        if (service_ports_add(v, n, ALLOWS_MAX, s) < 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            _("Too many ports (at most %d)"), ALLOWS_MAX);
                return FALSE;
        }
        return TRUE;
}

/* The selection as ApplyDefaultDeny's allows, a(sq); NULL with error
 * naming what in the entry is not a port or service. */
static GVariant *selection(PanelAssistantView *self, GError **error) {
        ServicePort ports[ALLOWS_MAX];
        size_t n = 0;
        for (size_t i = 0; i < N_OFFERED; i++)
                if (self->resolved[i] && gtk_check_button_get_active(self->checks[i]) &&
                    !allows_add(ports, &n, &self->services[i], error))
                        return NULL;
        g_auto(GStrv) words = g_strsplit_set(gtk_editable_get_text(GTK_EDITABLE(self->custom)), " ,;", -1);
        for (char **w = words; *w; w++) {
                if (**w == '\0')
                        continue;
                Service s;
                if (service_resolve(*w, SERVICES_FILE, &s) < 0) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("“%s” is not a port or service: write e.g. 8080/tcp, 53/udp or imaps"), *w);
                        return NULL;
                }
                if (!allows_add(ports, &n, &s, error))
                        return NULL;
        }
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a(sq)"));
        for (size_t i = 0; i < n; i++)
                g_variant_builder_add(&b, "(sq)", ports[i].protocol, ports[i].port);
        return g_variant_builder_end(&b);
}

static gboolean allows_have(GVariant *allows, const char *protocol, guint16 port) {
        GVariantIter iter;
        const char *p;
        guint16 q;
        g_variant_iter_init(&iter, allows);
        while (g_variant_iter_next(&iter, "(&sq)", &p, &q))
                if (q == port && g_str_equal(p, protocol))
                        return TRUE;
        return FALSE;
}

/* Tick the services whose ports allows holds all of; the rest of allows
 * goes into the entry. */
static void set_selection(PanelAssistantView *self, GVariant *allows) {
        g_autoptr(GString) rest = g_string_new(NULL);
        GVariantIter iter;
        const char *protocol;
        guint16 port;
        for (size_t i = 0; i < N_OFFERED; i++) {
                gboolean all = self->resolved[i];
                for (size_t k = 0; all && k < self->services[i].n_ports; k++)
                        all = allows_have(allows, self->services[i].ports[k].protocol, self->services[i].ports[k].port);
                gtk_check_button_set_active(self->checks[i], all);
        }
        g_variant_iter_init(&iter, allows);
        while (g_variant_iter_next(&iter, "(&sq)", &protocol, &port)) {
                gboolean ticked = FALSE;
                for (size_t i = 0; !ticked && i < N_OFFERED; i++)
                        for (size_t k = 0; gtk_check_button_get_active(self->checks[i]) &&
                                           k < self->services[i].n_ports; k++)
                                ticked = ticked || (self->services[i].ports[k].port == port &&
                                                    g_str_equal(self->services[i].ports[k].protocol, protocol));
                if (!ticked)
                        g_string_append_printf(rest, "%s%u/%s", rest->len ? ", " : "", port, protocol);
        }
        gtk_editable_set_text(GTK_EDITABLE(self->custom), rest->str);
}

static GtkWidget *text_row(const char *title, const char *subtitle) {
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        if (subtitle)
                adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
        return row;
}

static GtkWidget *new_group(const char *title, const char *description) {
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
        if (description)
                adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
        return group;
}

/* The results area: one group with a message (checking, an error). */
static void show_message(PanelAssistantView *self, const char *title, const char *text) {
        GtkWidget *group = new_group(title, NULL);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), text_row(text, NULL));
        adw_bin_set_child(self->results, group);
}

/* One lockout finding as a row: what would be cut, by what. */
static GtkWidget *finding_row(GVariant *finding) {
        g_autoptr(GVariantDict) d = g_variant_dict_new(finding);
        const char *family = "", *kind = "", *connection = "", *verdict = "", *chain = "", *rule = "";
        guint32 position = 0, count = 1;
        g_variant_dict_lookup(d, "family", "&s", &family);
        g_variant_dict_lookup(d, "kind", "&s", &kind);
        g_variant_dict_lookup(d, "connection", "&s", &connection);
        g_variant_dict_lookup(d, "verdict", "&s", &verdict);
        g_variant_dict_lookup(d, "chain", "&s", &chain);
        g_variant_dict_lookup(d, "position", "u", &position);
        g_variant_dict_lookup(d, "rule", "&s", &rule);
        g_variant_dict_lookup(d, "count", "u", &count);
        g_autofree char *title =
                *connection ? g_strdup(connection)
                            : g_strdup_printf(ngettext("%u connection (not shown to you)",
                                                       "%u connections (not shown to you)", count),
                                              count);
        g_autofree char *where = position == 0 ? g_strdup_printf(_("the %s policy"), chain)
                                               : g_strdup_printf(_("rule %u of %s"), position, chain);
        g_autofree char *subtitle = g_strdup_printf("%s · %s · %s %s%s%s", panel_family_label(family), kind, verdict,
                                                    where, *rule ? ": " : "", rule);
        return text_row(title, subtitle);
}

static void on_previewed(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = panel_model_call_finish(PANEL_MODEL(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return; /* the view is gone, or a newer Check replaced this one */
        PanelAssistantView *self = PANEL_ASSISTANT_VIEW(user_data);
        if (!reply) {
                g_dbus_error_strip_remote_error(error);
                show_message(self, _("The check failed"), error->message);
                return;
        }
        g_autoptr(GVariant) commands = g_variant_get_child_value(reply, 1);
        g_autoptr(GVariant) lockout = g_variant_get_child_value(reply, 2);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 24);

        GtkWidget *what = new_group(_("What Would Change"),
                                    g_variant_n_children(commands) == 0
                                            ? NULL
                                            : _("The commands the firewall service would run, in order"));
        if (g_variant_n_children(commands) == 0)
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(what),
                                          text_row(_("Nothing to change: the default-deny rules are in place"), NULL));
        GVariantIter iter;
        const char *command;
        g_variant_iter_init(&iter, commands);
        while (g_variant_iter_next(&iter, "&s", &command)) {
                GtkWidget *row = text_row(command, NULL);
                gtk_widget_add_css_class(row, "monospace");
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(what), row);
        }
        gtk_box_append(GTK_BOX(box), what);

        GtkWidget *cut = new_group(_("Connections That Would Be Cut"), NULL);
        if (g_variant_n_children(lockout) == 0) {
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(cut),
                                          text_row(_("No connection and no management access would be cut"), NULL));
        } else {
                adw_preferences_group_set_description(
                        ADW_PREFERENCES_GROUP(cut),
                        _("Applying asks again: these would be dropped once the rules are live"));
                GVariant *finding;
                g_variant_iter_init(&iter, lockout);
                while ((finding = g_variant_iter_next_value(&iter))) {
                        adw_preferences_group_add(ADW_PREFERENCES_GROUP(cut), finding_row(finding));
                        g_variant_unref(finding);
                }
        }
        gtk_box_append(GTK_BOX(box), cut);
        adw_bin_set_child(self->results, box);
        g_message("default-deny check: %zu commands, %zu lockout findings", g_variant_n_children(commands),
                  g_variant_n_children(lockout));
}

void panel_assistant_view_check(PanelAssistantView *self, GVariant *allows) {
        g_autoptr(GVariant) sunk = g_variant_ref_sink(allows);
        set_selection(self, sunk);
        if (self->cancellable)
                g_cancellable_cancel(self->cancellable);
        g_clear_object(&self->cancellable);
        self->cancellable = g_cancellable_new();
        show_message(self, _("Checking"), _("Asking the firewall service what would change…"));
        panel_model_call(self->model, "PreviewDefaultDeny", g_variant_new("(@a(sq)@a{sv})", sunk,
                                                                          g_variant_new_array(G_VARIANT_TYPE("{sv}"),
                                                                                              NULL, 0)),
                         self->cancellable, on_previewed, self);
}

/* Check and Apply: the application's actions with the selection. */
static void activate_with_selection(PanelAssistantView *self, const char *action) {
        g_autoptr(GError) error = NULL;
        GVariant *allows = selection(self, &error);
        if (!allows) {
                show_message(self, _("Which ports?"), error->message);
                return;
        }
        gtk_widget_activate_action(GTK_WIDGET(self), action, "@a(sq)", allows);
}

static void on_check_clicked(GtkButton *button, gpointer user_data) {
        activate_with_selection(PANEL_ASSISTANT_VIEW(user_data), "app.default-deny-check");
}

static void on_apply_clicked(GtkButton *button, gpointer user_data) {
        activate_with_selection(PANEL_ASSISTANT_VIEW(user_data), "app.default-deny");
}

static GtkWidget *services_group(PanelAssistantView *self) {
        GtkWidget *group = new_group(
                _("Keep Open"),
                _("New incoming connections to these stay allowed; all others are dropped. Replies to this "
                  "computer's own connections, loopback and IPv6 neighbour discovery always pass."));
        for (size_t i = 0; i < N_OFFERED; i++) {
                self->resolved[i] = service_resolve(offered[i].name, SERVICES_FILE, &self->services[i]) == 0;
                g_autoptr(GString) ports = g_string_new(NULL);
                for (size_t k = 0; self->resolved[i] && k < self->services[i].n_ports; k++)
                        g_string_append_printf(ports, "%s%u/%s", ports->len ? ", " : "",
                                               self->services[i].ports[k].port, self->services[i].ports[k].protocol);
                GtkWidget *row = text_row(_(offered[i].title),
                                          self->resolved[i] ? ports->str : _("Not known on this computer"));
                GtkWidget *check = gtk_check_button_new();
                self->checks[i] = GTK_CHECK_BUTTON(check);
                gtk_check_button_set_active(self->checks[i], self->resolved[i] && i == 0);
                gtk_widget_set_sensitive(check, self->resolved[i]);
                gtk_widget_set_valign(check, GTK_ALIGN_CENTER);
                adw_action_row_add_prefix(ADW_ACTION_ROW(row), check);
                adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), check);
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        }
        GtkWidget *custom = adw_entry_row_new();
        self->custom = ADW_ENTRY_ROW(custom);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(custom), _("More ports or services (e.g. 8080/tcp, 53/udp)"));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), custom);
        return group;
}

static GtkWidget *buttons_row(PanelAssistantView *self) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        gtk_widget_set_halign(box, GTK_ALIGN_END);
        GtkWidget *check = gtk_button_new_with_mnemonic(_("_Check"));
        g_signal_connect_object(check, "clicked", G_CALLBACK(on_check_clicked), self, 0);
        GtkWidget *apply = gtk_button_new_with_mnemonic(_("_Apply Default Deny"));
        gtk_widget_add_css_class(apply, "suggested-action");
        g_signal_connect_object(apply, "clicked", G_CALLBACK(on_apply_clicked), self, 0);
        gtk_box_append(GTK_BOX(box), check);
        gtk_box_append(GTK_BOX(box), apply);
        return box;
}

static void panel_assistant_view_dispose(GObject *object) {
        PanelAssistantView *self = PANEL_ASSISTANT_VIEW(object);
        if (self->cancellable)
                g_cancellable_cancel(self->cancellable);
        g_clear_object(&self->cancellable);
        g_clear_object(&self->model);
        G_OBJECT_CLASS(panel_assistant_view_parent_class)->dispose(object);
}

static void panel_assistant_view_class_init(PanelAssistantViewClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_assistant_view_dispose;
}

static void panel_assistant_view_init(PanelAssistantView *self) {
}

GtkWidget *panel_assistant_window_new(GtkWindow *parent, PanelModel *model, PanelAssistantView **ret_view) {
        GtkWidget *window = adw_window_new();
        gtk_window_set_title(GTK_WINDOW(window), _("Default Deny"));
        gtk_window_set_transient_for(GTK_WINDOW(window), parent);
        /* its buttons activate the application's actions (app.*) */
        gtk_window_set_application(GTK_WINDOW(window), gtk_window_get_application(parent));
        gtk_window_set_destroy_with_parent(GTK_WINDOW(window), TRUE);
        gtk_window_set_default_size(GTK_WINDOW(window), 640, 720);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        GtkWidget *header = adw_header_bar_new();
        adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), adw_window_title_new(_("Default Deny"), NULL));
        gtk_box_append(GTK_BOX(box), header);
        GtkWidget *view = panel_assistant_view_new(model);
        gtk_box_append(GTK_BOX(box), view);
        adw_window_set_content(ADW_WINDOW(window), box);
        *ret_view = PANEL_ASSISTANT_VIEW(view);
        return window;
}

GtkWidget *panel_assistant_view_new(PanelModel *model) {
        PanelAssistantView *self = g_object_new(PANEL_TYPE_ASSISTANT_VIEW, NULL);
        self->model = g_object_ref(model);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 24);
        gtk_widget_set_margin_top(box, 24);
        gtk_widget_set_margin_bottom(box, 24);
        gtk_widget_set_margin_start(box, 12);
        gtk_widget_set_margin_end(box, 12);
        gtk_box_append(GTK_BOX(box), services_group(self));
        gtk_box_append(GTK_BOX(box), buttons_row(self));
        GtkWidget *results = adw_bin_new();
        self->results = ADW_BIN(results);
        gtk_box_append(GTK_BOX(box), results);
        GtkWidget *clamp = adw_clamp_new();
        adw_clamp_set_child(ADW_CLAMP(clamp), box);
        GtkWidget *scrolled = gtk_scrolled_window_new();
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scrolled), clamp);
        gtk_widget_set_vexpand(scrolled, TRUE);
        adw_bin_set_child(ADW_BIN(self), scrolled);
        return GTK_WIDGET(self);
}
