/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>

#include "panel-rule-form.h"
#include "panel-views.h"

struct _PanelRulesView {
        AdwBin parent_instance;
        PanelModel *model;
        AdwBin *rules;      /* the rules' page, replaced at each redraw */
};

G_DEFINE_FINAL_TYPE(PanelRulesView, panel_rules_view, ADW_TYPE_BIN)

static const char *dict_string(GVariantDict *dict, const char *key) {
        const char *value = NULL;
        return g_variant_dict_lookup(dict, key, "&s", &value) ? value : "";
}

static guint64 dict_uint64(GVariantDict *dict, const char *key) {
        guint64 value = 0;
        return g_variant_dict_lookup(dict, key, "t", &value) ? value : 0;
}

static char *chain_key(const char *family, const char *chain) {
        return g_strconcat(family, "/", chain, NULL);
}

static GtkWidget *chain_group(GVariantDict *chain) {
        const char *family = dict_string(chain, "family");
        const char *name = dict_string(chain, "chain");
        const char *policy = dict_string(chain, "policy");
        guint32 count = 0;
        g_variant_dict_lookup(chain, "rules", "u", &count);
        GtkWidget *group = adw_preferences_group_new();
        g_autofree char *title = g_strdup_printf("%s · %s", panel_family_label(family), name);
        g_autofree char *rules = g_strdup_printf(ngettext("%u rule", "%u rules", count), count);
        g_autofree char *description =
                *policy ? g_strdup_printf(_("Policy %s · %s"), policy, rules) : g_strdup_printf(_("User chain · %s"), rules);
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
        if (count == 0) {
                GtkWidget *row = adw_action_row_new();
                adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), _("No rules"));
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        }
        return group;
}

static GtkWidget *rule_button(const char *icon, const char *tooltip, const char *action, GVariant *target) {
        GtkWidget *button = gtk_button_new_from_icon_name(icon);
        gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
        gtk_widget_add_css_class(button, "flat");
        gtk_widget_set_tooltip_text(button, tooltip);
        gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(button), action);
        gtk_actionable_set_action_target_value(GTK_ACTIONABLE(button), target);
        return button;
}

/* count: how many rules the chain has (the last one cannot move down) */
static GtkWidget *rule_row(GVariantDict *rule, guint32 count) {
        const char *family = dict_string(rule, "family");
        const char *chain = dict_string(rule, "chain");
        guint32 position = 0;
        g_variant_dict_lookup(rule, "position", "u", &position);
        GtkWidget *row = adw_action_row_new();
        /* the rule as iptables -S prints it: text, never markup */
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), dict_string(rule, "rule"));
        /* xgettext cannot see through G_GUINT64_FORMAT: the numbers go in as text */
        g_autofree char *packets = g_strdup_printf("%" G_GUINT64_FORMAT, dict_uint64(rule, "packets"));
        g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT, dict_uint64(rule, "bytes"));
        g_autofree char *counters = g_strdup_printf(_("%s packets, %s bytes"), packets, bytes);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), counters);
        adw_action_row_set_title_lines(ADW_ACTION_ROW(row), 3);

        g_autofree char *number = g_strdup_printf("%u", position);
        GtkWidget *label = gtk_label_new(number);
        gtk_widget_add_css_class(label, "numeric");
        gtk_widget_add_css_class(label, "dim-label");
        gtk_label_set_width_chars(GTK_LABEL(label), 3);
        gtk_label_set_xalign(GTK_LABEL(label), 1);
        adw_action_row_add_prefix(ADW_ACTION_ROW(row), label);

        if (position > 1) {
                g_autofree char *tip = g_strdup_printf(_("Move rule %u of %s up"), position, chain);
                adw_action_row_add_suffix(ADW_ACTION_ROW(row),
                                          rule_button("go-up-symbolic", tip, "app.move-rule",
                                                      g_variant_new("(ssuu)", family, chain, position, position - 1)));
        }
        if (position < count) {
                g_autofree char *tip = g_strdup_printf(_("Move rule %u of %s down"), position, chain);
                adw_action_row_add_suffix(ADW_ACTION_ROW(row),
                                          rule_button("go-down-symbolic", tip, "app.move-rule",
                                                      g_variant_new("(ssuu)", family, chain, position, position + 1)));
        }
        g_autofree char *edit_tip = g_strdup_printf(_("Edit rule %u of %s"), position, chain);
        adw_action_row_add_suffix(ADW_ACTION_ROW(row),
                                  rule_button("document-edit-symbolic", edit_tip, "rules.edit",
                                              g_variant_new("(ssu)", family, chain, position)));
        g_autofree char *tooltip = g_strdup_printf(_("Remove rule %u of %s"), position, chain);
        GtkWidget *remove = rule_button("user-trash-symbolic", tooltip, "app.remove-rule",
                                        g_variant_new("(ssu)", family, chain, position));
        adw_action_row_add_suffix(ADW_ACTION_ROW(row), remove);
        return row;
}

static void redraw(PanelRulesView *self) {
        GVariant *chains = panel_model_get_chains(self->model);
        GVariant *rules = panel_model_get_rules(self->model);
        if (!chains || !rules) {
                GtkWidget *status = adw_status_page_new();
                adw_status_page_set_icon_name(ADW_STATUS_PAGE(status), "dialog-password-symbolic");
                adw_status_page_set_title(ADW_STATUS_PAGE(status), _("Rules Cannot Be Shown"));
                adw_status_page_set_description(ADW_STATUS_PAGE(status), panel_model_get_error(self->model));
                adw_bin_set_child(self->rules, status);
                return;
        }
        GtkWidget *page = adw_preferences_page_new();
        /* one group per chain, in the daemon's order; each rule into its chain's group */
        g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GVariantIter iter;
        GVariant *item;
        g_variant_iter_init(&iter, chains);
        while ((item = g_variant_iter_next_value(&iter))) {
                g_autoptr(GVariantDict) dict = g_variant_dict_new(item);
                GtkWidget *group = chain_group(dict);
                guint32 count = 0;
                g_variant_dict_lookup(dict, "rules", "u", &count);
                g_hash_table_insert(groups, chain_key(dict_string(dict, "family"), dict_string(dict, "chain")),
                                    group);
                g_hash_table_insert(counts, chain_key(dict_string(dict, "family"), dict_string(dict, "chain")),
                                    GUINT_TO_POINTER(count));
                adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), ADW_PREFERENCES_GROUP(group));
                g_variant_unref(item);
        }
        g_variant_iter_init(&iter, rules);
        while ((item = g_variant_iter_next_value(&iter))) {
                g_autoptr(GVariantDict) dict = g_variant_dict_new(item);
                g_autofree char *key = chain_key(dict_string(dict, "family"), dict_string(dict, "chain"));
                GtkWidget *group = g_hash_table_lookup(groups, key);
                if (group)
                        adw_preferences_group_add(
                                ADW_PREFERENCES_GROUP(group),
                                rule_row(dict, GPOINTER_TO_UINT(g_hash_table_lookup(counts, key))));
                g_variant_unref(item);
        }
        adw_bin_set_child(self->rules, page);
}

/* The advanced field: a change in iptables syntax, applied as it is
 * (app.apply-changes, behind the timer like every change). */
static void on_advanced_apply(AdwEntryRow *entry, gpointer user_data) {
        const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));
        if (!*text)
                return;
        gtk_widget_activate_action(GTK_WIDGET(entry), "app.apply-changes", "s", text);
        gtk_editable_set_text(GTK_EDITABLE(entry), "");
}

/* The form for a new rule, without iptables syntax (rules.add). */
static GtkWidget *add_rule_row(void) {
        GtkWidget *add = gtk_button_new_with_mnemonic(_("_Add Rule"));
        gtk_widget_add_css_class(add, "suggested-action");
        gtk_widget_set_valign(add, GTK_ALIGN_CENTER);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(add), "rules.add");
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), _("New rule"));
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), _("Addresses, ports and target in a form"));
        adw_action_row_add_suffix(ADW_ACTION_ROW(row), add);
        adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), add);
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return group;
}

static GtkWidget *advanced_field(void) {
        GtkWidget *entry = adw_entry_row_new();
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(entry),
                                      _("Change in iptables syntax, e.g. -A INPUT -p tcp --dport 443 -j ACCEPT"));
        adw_entry_row_set_show_apply_button(ADW_ENTRY_ROW(entry), TRUE);
        g_signal_connect(entry, "apply", G_CALLBACK(on_advanced_apply), NULL);
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Advanced"));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), entry);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
        gtk_box_append(GTK_BOX(box), add_rule_row());
        gtk_box_append(GTK_BOX(box), group);
        GtkWidget *clamp = adw_clamp_new();
        adw_clamp_set_child(ADW_CLAMP(clamp), box);
        gtk_widget_set_margin_top(clamp, 12);
        gtk_widget_set_margin_start(clamp, 12);
        gtk_widget_set_margin_end(clamp, 12);
        return clamp;
}

static void panel_rules_view_dispose(GObject *object) {
        PanelRulesView *self = PANEL_RULES_VIEW(object);
        g_clear_object(&self->model);
        G_OBJECT_CLASS(panel_rules_view_parent_class)->dispose(object);
}

/* The rule form over the window (rules.add, rules.edit (family, chain, position)). */
static void on_add(GtkWidget *widget, const char *action, GVariant *parameter) {
        GtkRoot *root = gtk_widget_get_root(widget);
        if (GTK_IS_WINDOW(root))
                panel_rule_form_open(GTK_WINDOW(root), PANEL_RULES_VIEW(widget)->model, NULL, NULL, 0);
}

static void on_edit(GtkWidget *widget, const char *action, GVariant *parameter) {
        GtkRoot *root = gtk_widget_get_root(widget);
        const char *family, *chain;
        guint32 position;
        g_variant_get(parameter, "(&s&su)", &family, &chain, &position);
        if (GTK_IS_WINDOW(root))
                panel_rule_form_open(GTK_WINDOW(root), PANEL_RULES_VIEW(widget)->model, family, chain, position);
}

static void panel_rules_view_class_init(PanelRulesViewClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_rules_view_dispose;
        gtk_widget_class_install_action(GTK_WIDGET_CLASS(klass), "rules.add", NULL, on_add);
        gtk_widget_class_install_action(GTK_WIDGET_CLASS(klass), "rules.edit", "(ssu)", on_edit);
}

/* The advanced field stays while the rules below it are redrawn, so that
 * a change being typed is not lost to a refresh. */
static void panel_rules_view_init(PanelRulesView *self) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        gtk_box_append(GTK_BOX(box), advanced_field());
        GtkWidget *rules = adw_bin_new();
        gtk_widget_set_vexpand(rules, TRUE);
        self->rules = ADW_BIN(rules);
        gtk_box_append(GTK_BOX(box), rules);
        adw_bin_set_child(ADW_BIN(self), box);
}

GtkWidget *panel_rules_view_new(PanelModel *model) {
        PanelRulesView *self = g_object_new(PANEL_TYPE_RULES_VIEW, NULL);
        self->model = g_object_ref(model);
        g_signal_connect_object(model, "changed", G_CALLBACK(redraw), self, G_CONNECT_SWAPPED);
        redraw(self);
        return GTK_WIDGET(self);
}
