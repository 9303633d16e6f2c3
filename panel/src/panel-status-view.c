/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>

#include "panel-views.h"

struct _PanelStatusView {
        AdwBin parent_instance;
        PanelModel *model;
        GtkWidget *page;          /* AdwPreferencesPage, replaced at each redraw */
        AdwActionRow *pending_row; /* NULL when nothing is pending */
        guint countdown_source;
};

G_DEFINE_FINAL_TYPE(PanelStatusView, panel_status_view, ADW_TYPE_BIN)

const char *panel_family_label(const char *family) {
        if (g_strcmp0(family, "ipv4") == 0)
                return "IPv4";
        if (g_strcmp0(family, "ipv6") == 0)
                return "IPv6";
        return family;
}

static GtkWidget *info_row(const char *title, const char *subtitle) {
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
        return row;
}

static char *property_string(PanelModel *model, const char *name) {
        g_autoptr(GVariant) v = panel_model_dup_property(model, name);
        if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
                return g_variant_dup_string(v, NULL);
        return g_strdup("");
}

static gboolean property_bool(PanelModel *model, const char *name, gboolean fallback) {
        g_autoptr(GVariant) v = panel_model_dup_property(model, name);
        return v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) ? g_variant_get_boolean(v) : fallback;
}

static char *countdown_text(PanelModel *model) {
        int left = panel_model_get_pending_seconds_left(model);
        if (left < 0)
                return g_strdup(_("Waiting for confirmation"));
        return g_strdup_printf(ngettext("Reverting in %d second", "Reverting in %d seconds", left), left);
}

static gboolean on_countdown_tick(gpointer user_data) {
        PanelStatusView *self = PANEL_STATUS_VIEW(user_data);
        if (self->pending_row) {
                g_autofree char *text = countdown_text(self->model);
                adw_action_row_set_subtitle(self->pending_row, text);
        }
        return G_SOURCE_CONTINUE;
}

static void add_service_group(PanelStatusView *self, AdwPreferencesPage *page) {
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Firewall Service"));
        g_autofree char *version = property_string(self->model, "Version");
        g_autofree char *reason = property_string(self->model, "BackendReason");
        g_autoptr(GVariant) backends = panel_model_dup_property(self->model, "Backends");
        g_autofree char *backend = NULL;
        if (backends && g_variant_is_of_type(backends, G_VARIANT_TYPE_STRING_ARRAY)) {
                g_autofree const char **names = g_variant_get_strv(backends, NULL);
                backend = g_strjoinv(", ", (char **) names);
        }
        g_autofree char *backend_text = g_strdup_printf("%s — %s", backend ? backend : "?", reason);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), info_row(_("Backend"), backend_text));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), info_row(_("Version"), version));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                                  info_row(_("IPv6"), property_bool(self->model, "IPv6Active", FALSE)
                                                              ? _("Managed")
                                                              : _("Not available on this host")));
        adw_preferences_group_add(
                ADW_PREFERENCES_GROUP(group),
                info_row(_("Saved"), property_bool(self->model, "RulesSaved", FALSE)
                                             ? _("The running rules are those restored at boot")
                                             : _("Not saved: a reboot would restore other rules")));
        /* Other rulesets that filter INPUT too: an ACCEPT here does not help against a DROP there */
        const char *const others[][2] = {{"NftablesFiltersInput", "NftablesDescription"},
                                         {"LegacyFiltersInput", "LegacyDescription"}};
        for (size_t i = 0; i < G_N_ELEMENTS(others); i++) {
                if (!property_bool(self->model, others[i][0], FALSE))
                        continue;
                g_autofree char *what = property_string(self->model, others[i][1]);
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                                          info_row(_("Another ruleset also filters incoming packets"), what));
        }
        adw_preferences_page_add(page, ADW_PREFERENCES_GROUP(group));
}

static GtkWidget *action_button(const char *label, const char *action, const char *style) {
        GtkWidget *button = gtk_button_new_with_mnemonic(label);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(button), action);
        gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
        if (style)
                gtk_widget_add_css_class(button, style);
        return button;
}

static void add_policies_group(PanelStatusView *self, AdwPreferencesPage *page) {
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Policies"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group),
                                              _("What happens to a packet no rule decides on"));
        g_autoptr(GVariant) policies = panel_model_dup_property(self->model, "Policies");
        if (policies && g_variant_is_of_type(policies, G_VARIANT_TYPE("a{sa{ss}}"))) {
                GVariantIter families;
                const char *family;
                GVariantIter *chains;
                g_variant_iter_init(&families, policies);
                while (g_variant_iter_next(&families, "{&sa{ss}}", &family, &chains)) {
                        g_autoptr(GString) text = g_string_new(NULL);
                        const char *chain, *policy;
                        while (g_variant_iter_next(chains, "{&s&s}", &chain, &policy))
                                g_string_append_printf(text, "%s%s %s", text->len ? " · " : "", chain, policy);
                        g_variant_iter_free(chains);
                        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                                                  info_row(panel_family_label(family), text->str));
                }
        }
        /* the default-deny assistant (panel-assistant.c) */
        GtkWidget *assistant = info_row(_("Block incoming connections by default"),
                                        _("Keep only the services you choose open"));
        GtkWidget *open = action_button(_("_Set Up…"), "app.show-view", NULL);
        gtk_actionable_set_action_target(GTK_ACTIONABLE(open), "s", "default-deny");
        adw_action_row_add_suffix(ADW_ACTION_ROW(assistant), open);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), assistant);
        adw_preferences_page_add(page, ADW_PREFERENCES_GROUP(group));
}

static void add_pending_group(PanelStatusView *self, AdwPreferencesPage *page) {
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Pending Change"));
        const char *pending = panel_model_get_pending(self->model);
        if (!pending) {
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                                          info_row(_("No change is waiting for confirmation"), ""));
        } else {
                g_autofree char *text = countdown_text(self->model);
                GtkWidget *row = info_row(_("A change waits for confirmation"), text);
                adw_action_row_add_suffix(ADW_ACTION_ROW(row),
                                          action_button(_("_Revert"), "app.revert", "destructive-action"));
                adw_action_row_add_suffix(ADW_ACTION_ROW(row),
                                          action_button(_("_Keep Changes"), "app.keep", "suggested-action"));
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
                self->pending_row = ADW_ACTION_ROW(row);
                self->countdown_source = g_timeout_add(250, on_countdown_tick, self);
        }
        adw_preferences_page_add(page, ADW_PREFERENCES_GROUP(group));
}

static void redraw(PanelStatusView *self) {
        g_clear_handle_id(&self->countdown_source, g_source_remove);
        self->pending_row = NULL;
        if (!panel_model_is_connected(self->model)) {
                GtkWidget *status = adw_status_page_new();
                adw_status_page_set_icon_name(ADW_STATUS_PAGE(status), "network-error-symbolic");
                adw_status_page_set_title(ADW_STATUS_PAGE(status), _("No Firewall Service"));
                adw_status_page_set_description(ADW_STATUS_PAGE(status), panel_model_get_error(self->model));
                adw_bin_set_child(ADW_BIN(self), status);
                return;
        }
        GtkWidget *page = adw_preferences_page_new();
        add_pending_group(self, ADW_PREFERENCES_PAGE(page));
        add_service_group(self, ADW_PREFERENCES_PAGE(page));
        add_policies_group(self, ADW_PREFERENCES_PAGE(page));
        adw_bin_set_child(ADW_BIN(self), page);
}

static void panel_status_view_dispose(GObject *object) {
        PanelStatusView *self = PANEL_STATUS_VIEW(object);
        g_clear_handle_id(&self->countdown_source, g_source_remove);
        self->pending_row = NULL;
        g_clear_object(&self->model);
        G_OBJECT_CLASS(panel_status_view_parent_class)->dispose(object);
}

static void panel_status_view_class_init(PanelStatusViewClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_status_view_dispose;
}

static void panel_status_view_init(PanelStatusView *self) {
}

GtkWidget *panel_status_view_new(PanelModel *model) {
        PanelStatusView *self = g_object_new(PANEL_TYPE_STATUS_VIEW, NULL);
        self->model = g_object_ref(model);
        g_signal_connect_object(model, "changed", G_CALLBACK(redraw), self, G_CONNECT_SWAPPED);
        redraw(self);
        return GTK_WIDGET(self);
}
