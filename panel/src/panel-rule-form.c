/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>
#include <string.h>

#include "panel-app.h"
#include "panel-rule-form.h"
#include "panel-views.h"

/* The fields typed as text, by the key of the structured rule they fill. */
typedef enum {
        F_PROTOCOL,
        F_SOURCE,
        F_DESTINATION,
        F_IN_INTERFACE,
        F_OUT_INTERFACE,
        F_SPORTS,
        F_DPORTS,
        F_ICMP_TYPE,
        F_CTSTATE,
        F_COMMENT,
        F_REJECT_WITH, /* shown with target REJECT only */
        F_LOG_PREFIX,  /* shown with target LOG only */
        N_FIELDS,
} Field;

static const struct {
        const char *key;
        const char *title;
} fields[N_FIELDS] = {
        [F_PROTOCOL] = {"protocol", N_("Protocol, e.g. tcp, udp, icmp, ipv6-icmp")},
        [F_SOURCE] = {"source", N_("Source address, e.g. 192.0.2.0/24")},
        [F_DESTINATION] = {"destination", N_("Destination address")},
        [F_IN_INTERFACE] = {"in-interface", N_("Incoming interface, e.g. eth0")},
        [F_OUT_INTERFACE] = {"out-interface", N_("Outgoing interface")},
        [F_SPORTS] = {"sports", N_("Source ports, e.g. 1024:65535")},
        [F_DPORTS] = {"dports", N_("Destination ports, e.g. 22 or 80,443")},
        [F_ICMP_TYPE] = {"icmp-type", N_("ICMP type, e.g. echo-request")},
        [F_CTSTATE] = {"ctstate", N_("Connection states, e.g. ESTABLISHED,RELATED")},
        [F_COMMENT] = {"comment", N_("Comment")},
        [F_REJECT_WITH] = {"reject-with", N_("Reject with, e.g. tcp-reset")},
        [F_LOG_PREFIX] = {"log-prefix", N_("Log prefix")},
};

/* The family combo's entries: "" is every family the rule is valid for. */
static const char *const family_values[] = {"", "ipv4", "ipv6"};
/* The targets offered; a rule edited with another (a user chain) adds it. */
static const char *const standard_targets[] = {"ACCEPT", "DROP", "REJECT", "RETURN", "LOG", ""};

struct _PanelRuleForm {
        AdwWindow parent_instance;
        PanelModel *model;
        /* the rule edited; edit_family NULL for a new rule */
        char *edit_family;
        char *edit_chain;
        guint32 edit_position;
        char *edit_text;        /* its text when the form opened, to notice it changed */
        gboolean editable;      /* FALSE: the rule is gone or has options without a field */

        AdwComboRow *family;
        AdwEntryRow *chain;
        AdwEntryRow *position;
        AdwEntryRow *entries[N_FIELDS];
        AdwComboRow *target;
        GtkStringList *target_names;
        GPtrArray *target_values;
        GtkLabel *error;        /* the daemon's refusal, under the header */
        GtkLabel *notice;       /* why a rule cannot be edited here */
        GtkWidget *submit;
        GtkScrolledWindow *scroller;
        GtkWidget *groups;      /* the box of the groups, in scroller */
        gboolean submitting;
        gboolean closed;
};

G_DEFINE_FINAL_TYPE(PanelRuleForm, panel_rule_form, ADW_TYPE_WINDOW)

static int field_by_key(const char *key);

/* A tick callback of a row: scroll the form to it once it is laid out
 * (an error can come back before the form's first frame). */
static gboolean scroll_to_row(GtkWidget *row, GdkFrameClock *clock, gpointer user_data) {
        PanelRuleForm *self = user_data;
        GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
        graphene_point_t at;
        if (gtk_adjustment_get_upper(adjustment) <= 0 ||
            !gtk_widget_compute_point(row, self->groups, &GRAPHENE_POINT_INIT(0, 0), &at))
                return G_SOURCE_CONTINUE;
        gtk_adjustment_set_value(adjustment, at.y - 48);
        return G_SOURCE_REMOVE;
}

/* The label stays visible, empty when there is no error: a label shown
 * later is missed by screen readers (GTK 4.8 does not announce it). The
 * field the message names (the daemon's 'key "dports" = ...') is marked
 * and focused, which scrolls the form to it. */
static void show_error(PanelRuleForm *self, const char *text) {
        gtk_label_set_text(self->error, text ? text : "");
        for (int f = 0; f < N_FIELDS; f++)
                gtk_widget_remove_css_class(GTK_WIDGET(self->entries[f]), "error");
        const char *named = text ? strstr(text, "key \"") : NULL;
        if (!named)
                return;
        named += strlen("key \"");
        g_autofree char *key = g_strndup(named, strcspn(named, "\""));
        int field = field_by_key(key);
        GtkWidget *row = field >= 0 ? GTK_WIDGET(self->entries[field]) : NULL;
        if (!row || !gtk_widget_get_visible(row))
                return;
        gtk_widget_add_css_class(row, "error");
        gtk_widget_grab_focus(row);
        gtk_widget_add_tick_callback(row, scroll_to_row, self, NULL);
}

static const char *selected_target(PanelRuleForm *self) {
        guint index = adw_combo_row_get_selected(self->target);
        return index < self->target_values->len ? g_ptr_array_index(self->target_values, index) : "";
}

static void select_target(PanelRuleForm *self, const char *target) {
        guint index;
        if (!g_ptr_array_find_with_equal_func(self->target_values, target, g_str_equal, &index)) {
                g_ptr_array_add(self->target_values, g_strdup(target));
                gtk_string_list_append(self->target_names, target);
                index = self->target_values->len - 1;
        }
        adw_combo_row_set_selected(self->target, index);
}

static void on_target_changed(PanelRuleForm *self) {
        const char *target = selected_target(self);
        gtk_widget_set_visible(GTK_WIDGET(self->entries[F_REJECT_WITH]), g_str_equal(target, "REJECT"));
        gtk_widget_set_visible(GTK_WIDGET(self->entries[F_LOG_PREFIX]), g_str_equal(target, "LOG"));
}

static int field_by_key(const char *key) {
        for (int f = 0; f < N_FIELDS; f++)
                if (g_str_equal(fields[f].key, key))
                        return f;
        return -1;
}

static gboolean field_shown_with(Field field, const char *target) {
        if (field == F_REJECT_WITH)
                return g_str_equal(target, "REJECT");
        if (field == F_LOG_PREFIX)
                return g_str_equal(target, "LOG");
        return TRUE;
}

/* ---- the rule edited: prefill and what the form cannot show ---- */

GVariant *panel_rule_form_lookup_rule(PanelModel *model, const char *family, const char *chain, guint32 position) {
        GVariant *rules = panel_model_get_rules(model);
        if (!rules)
                return NULL;
        GVariantIter iter;
        GVariant *item;
        g_variant_iter_init(&iter, rules);
        while ((item = g_variant_iter_next_value(&iter))) {
                const char *f, *c;
                guint32 p;
                if (g_variant_lookup(item, "family", "&s", &f) && g_str_equal(f, family) &&
                    g_variant_lookup(item, "chain", "&s", &c) && g_str_equal(c, chain) &&
                    g_variant_lookup(item, "position", "u", &p) && p == position)
                        return item;
                g_variant_unref(item);
        }
        return NULL;
}

/* The words of a rule as iptables -S prints it: blanks separate words,
 * double quotes hold a word with blanks, a backslash takes the next
 * character as it is (xtables_save_string's quoting). */
static GPtrArray *rule_words(const char *text) {
        GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
        const char *p = text;
        while (*p) {
                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                GString *word = g_string_new(NULL);
                gboolean quoted = FALSE;
                for (; *p && (quoted || *p != ' '); p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (*p == '\\' && p[1])
                                g_string_append_c(word, *++p);
                        else
                                g_string_append_c(word, *p);
                }
                g_ptr_array_add(words, g_string_free(word, FALSE));
        }
        return words;
}

/* Read the rule's text for the values ListRules has no key for (icmp type,
 * reject-with, log-prefix) into values, and for the options the form has no
 * field for: returned as text ("-m limit --limit 5/min"), NULL when none.
 * Editing such a rule here would drop them, so the form refuses to. */
static char *read_rule_text(const char *text, GHashTable *values) {
        /* options whose value ListRules gives already */
        static const char *const listed[] = {"-s", "-d", "-i", "-o", "-p", "--dport", "--sport", "--dports",
                                             "--sports", "--ctstate", "--comment", "-j", NULL};
        /* the matches those options come with */
        static const char *const modules[] = {"tcp", "udp", "multiport", "icmp", "icmp6", "conntrack", "comment",
                                              NULL};
        static const struct {
                const char *option;
                Field field;
        } read[] = {{"--icmp-type", F_ICMP_TYPE},
                    {"--icmpv6-type", F_ICMP_TYPE},
                    {"--reject-with", F_REJECT_WITH},
                    {"--log-prefix", F_LOG_PREFIX}};
        g_autoptr(GPtrArray) words = rule_words(text);
        g_autoptr(GString) unknown = g_string_new(NULL);
        gboolean inverted = FALSE;
        for (guint i = 0; i < words->len; i++) {
                const char *word = g_ptr_array_index(words, i);
                const char *next = i + 1 < words->len ? g_ptr_array_index(words, i + 1) : NULL;
                if (g_str_equal(word, "!")) {
                        inverted = TRUE;
                        continue;
                }
                gboolean known = FALSE;
                if (g_str_equal(word, "-m") && next && g_strv_contains(modules, next))
                        known = TRUE;
                else if (g_strv_contains(listed, word) && next)
                        known = TRUE;
                for (guint r = 0; r < G_N_ELEMENTS(read) && !known; r++)
                        if (g_str_equal(word, read[r].option) && next) {
                                g_hash_table_insert(values, (gpointer) fields[read[r].field].key,
                                                    g_strconcat(inverted ? "!" : "", next, NULL));
                                known = TRUE;
                        }
                if (known) {
                        i++; /* the option's value */
                } else {
                        /* the option and its values, up to the next option */
                        if (unknown->len)
                                g_string_append_c(unknown, ' ');
                        g_string_append(unknown, inverted ? "! " : "");
                        g_string_append(unknown, word);
                        for (; i + 1 < words->len && ((const char *) g_ptr_array_index(words, i + 1))[0] != '-' &&
                               !g_str_equal(g_ptr_array_index(words, i + 1), "!");
                             i++)
                                g_string_append_printf(unknown, " %s", (const char *) g_ptr_array_index(words, i + 1));
                }
                inverted = FALSE;
        }
        return unknown->len ? g_string_free(g_steal_pointer(&unknown), FALSE) : NULL;
}

static void set_notice(PanelRuleForm *self, const char *text) {
        self->editable = FALSE;
        gtk_label_set_text(self->notice, text);
        gtk_widget_set_visible(GTK_WIDGET(self->notice), TRUE);
        gtk_widget_set_sensitive(self->submit, FALSE);
}

static void prefill(PanelRuleForm *self) {
        g_autoptr(GVariant) rule =
                panel_rule_form_lookup_rule(self->model, self->edit_family, self->edit_chain, self->edit_position);
        if (!rule) {
                g_autofree char *text = g_strdup_printf(_("There is no rule %u in %s %s any more."),
                                                        self->edit_position,
                                                        panel_family_label(self->edit_family), self->edit_chain);
                set_notice(self, text);
                return;
        }
        const char *text = "";
        g_variant_lookup(rule, "rule", "&s", &text);
        self->edit_text = g_strdup(text);
        g_autoptr(GHashTable) values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        g_autofree char *unknown = read_rule_text(text, values);
        for (int f = 0; f < N_FIELDS; f++) {
                const char *value = g_hash_table_lookup(values, fields[f].key);
                if (value || g_variant_lookup(rule, fields[f].key, "&s", &value))
                        gtk_editable_set_text(GTK_EDITABLE(self->entries[f]), value);
        }
        const char *target = "";
        g_variant_lookup(rule, "target", "&s", &target);
        select_target(self, target);
        if (unknown) {
                g_autofree char *notice = g_strdup_printf(
                        _("This rule has options the form has no field for (%s). Change it in the advanced "
                          "field with iptables syntax."),
                        unknown);
                set_notice(self, notice);
        }
}

/* ---- the change ---- */

static GVariant *build_changes(PanelRuleForm *self, GError **error) {
        GVariantBuilder change;
        g_variant_builder_init(&change, G_VARIANT_TYPE_VARDICT);
        if (self->edit_family) {
                g_variant_builder_add(&change, "{sv}", "operation", g_variant_new_string("replace"));
                g_variant_builder_add(&change, "{sv}", "family", g_variant_new_string(self->edit_family));
                g_variant_builder_add(&change, "{sv}", "chain", g_variant_new_string(self->edit_chain));
                g_variant_builder_add(&change, "{sv}", "position", g_variant_new_uint32(self->edit_position));
        } else {
                g_autofree char *position = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->position))));
                guint64 number = 0;
                if (*position && !g_ascii_string_to_unsigned(position, 10, 1, G_MAXUINT32, &number, NULL)) {
                        g_variant_builder_clear(&change);
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("Position “%s” is not a number from 1 up"), position);
                        return NULL;
                }
                g_autofree char *chain = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->chain))));
                g_variant_builder_add(&change, "{sv}", "operation", g_variant_new_string(number ? "insert" : "append"));
                g_variant_builder_add(&change, "{sv}", "chain", g_variant_new_string(chain));
                if (number)
                        g_variant_builder_add(&change, "{sv}", "position", g_variant_new_uint32((guint32) number));
                guint family = adw_combo_row_get_selected(self->family);
                if (family < G_N_ELEMENTS(family_values) && *family_values[family])
                        g_variant_builder_add(&change, "{sv}", "family", g_variant_new_string(family_values[family]));
        }
        GVariantBuilder rule;
        g_variant_builder_init(&rule, G_VARIANT_TYPE_VARDICT);
        const char *target = selected_target(self);
        for (int f = 0; f < N_FIELDS; f++) {
                /* a comment is kept as typed; elsewhere blanks around a value are a slip */
                g_autofree char *value = g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->entries[f])));
                if (f != F_COMMENT)
                        g_strstrip(value);
                if (*value && field_shown_with(f, target))
                        g_variant_builder_add(&rule, "{sv}", fields[f].key, g_variant_new_string(value));
        }
        if (*target)
                g_variant_builder_add(&rule, "{sv}", "target", g_variant_new_string(target));
        g_variant_builder_add(&change, "{sv}", "rule", g_variant_builder_end(&rule));
        GVariantBuilder changes;
        g_variant_builder_init(&changes, G_VARIANT_TYPE("aa{sv}"));
        g_variant_builder_add_value(&changes, g_variant_builder_end(&change));
        return g_variant_builder_end(&changes);
}

static void close_form(PanelRuleForm *self) {
        self->closed = TRUE;
        gtk_window_destroy(GTK_WINDOW(self));
}

static void on_submitted(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(PanelRuleForm) self = user_data;
        g_autoptr(GError) error = NULL;
        gboolean applied = panel_app_apply_changes_finish(PANEL_APP(source), result, &error);
        self->submitting = FALSE;
        if (self->closed)
                return;
        if (applied) {
                /* applied (the keep dialog asks now) or refused as a lockout
                 * risk (the lockout dialog offers to apply it anyway) */
                close_form(self);
                return;
        }
        g_dbus_error_strip_remote_error(error);
        g_message("%s: %s", _("The rule was not applied"), error->message);
        show_error(self, error->message);
        gtk_widget_set_sensitive(self->submit, self->editable);
}

void panel_rule_form_submit(PanelRuleForm *self) {
        if (self->submitting || self->closed)
                return;
        if (!self->editable) {
                g_message("%s: %s", _("The rule was not applied"), gtk_label_get_text(self->notice));
                return;
        }
        show_error(self, NULL);
        if (self->edit_family) {
                /* replace goes by position: make sure it is still the rule shown */
                g_autoptr(GVariant) rule = panel_rule_form_lookup_rule(self->model, self->edit_family,
                                                                       self->edit_chain, self->edit_position);
                const char *text = NULL;
                if (!rule || !g_variant_lookup(rule, "rule", "&s", &text) || g_strcmp0(text, self->edit_text) != 0) {
                        show_error(self, _("The rule at this position changed since the form was opened. Close "
                                           "the form and edit the rule again."));
                        return;
                }
        }
        g_autoptr(GError) error = NULL;
        GVariant *changes = build_changes(self, &error);
        if (!changes) {
                show_error(self, error->message);
                return;
        }
        GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
        if (!PANEL_IS_APP(app)) {
                g_variant_unref(g_variant_ref_sink(changes));
                return;
        }
        self->submitting = TRUE;
        gtk_widget_set_sensitive(self->submit, FALSE);
        panel_app_apply_changes_async(PANEL_APP(app), changes, on_submitted, g_object_ref(self));
}

/* ---- filling the fields (the actions add-rule and edit-rule) ---- */

static gboolean check_fill(PanelRuleForm *self, GVariant *values, GError **error) {
        const char *target = selected_target(self);
        g_variant_lookup(values, "target", "&s", &target);
        GVariantIter iter;
        const char *key;
        GVariant *value;
        g_variant_iter_init(&iter, values);
        while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
                gboolean placement = g_str_equal(key, "family") || g_str_equal(key, "chain") ||
                                     g_str_equal(key, "position");
                const char *type = g_str_equal(key, "position") ? "u" : "s";
                int field = field_by_key(key);
                if (!placement && field < 0 && !g_str_equal(key, "target")) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The form has no field “%s”"),
                                    key);
                } else if (placement && self->edit_family) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("“%s” is the edited rule's own and cannot be changed"), key);
                } else if (!g_variant_is_of_type(value, G_VARIANT_TYPE(type))) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("The field “%s” takes type “%s”, not “%s”"), key, type,
                                    g_variant_get_type_string(value));
                } else if (g_str_equal(key, "family") &&
                           !g_strv_contains(family_values, g_variant_get_string(value, NULL))) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("The family “%s” is not “ipv4”, “ipv6” or “”"), g_variant_get_string(value, NULL));
                } else if (field >= 0 && *g_variant_get_string(value, NULL) && !field_shown_with(field, target)) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    _("The field “%s” is not shown with target “%s”"), key, target);
                } else {
                        continue;
                }
                g_variant_unref(value);
                return FALSE;
        }
        return TRUE;
}

gboolean panel_rule_form_fill(PanelRuleForm *self, GVariant *values, GError **error) {
        g_autoptr(GError) refused = NULL;
        if (!check_fill(self, values, &refused)) {
                show_error(self, refused->message);
                g_propagate_error(error, g_steal_pointer(&refused));
                return FALSE;
        }
        const char *text;
        guint32 position;
        if (g_variant_lookup(values, "target", "&s", &text))
                select_target(self, text);
        if (g_variant_lookup(values, "family", "&s", &text))
                for (guint i = 0; i < G_N_ELEMENTS(family_values); i++)
                        if (g_str_equal(text, family_values[i]))
                                adw_combo_row_set_selected(self->family, i);
        if (g_variant_lookup(values, "chain", "&s", &text))
                gtk_editable_set_text(GTK_EDITABLE(self->chain), text);
        if (g_variant_lookup(values, "position", "u", &position)) {
                g_autofree char *number = g_strdup_printf("%u", position);
                gtk_editable_set_text(GTK_EDITABLE(self->position), number);
        }
        for (int f = 0; f < N_FIELDS; f++)
                if (g_variant_lookup(values, fields[f].key, "&s", &text))
                        gtk_editable_set_text(GTK_EDITABLE(self->entries[f]), text);
        return TRUE;
}

/* ---- the window ---- */

PanelRuleForm *panel_rule_form_find(GtkApplication *app) {
        for (GList *l = gtk_application_get_windows(app); l; l = l->next)
                if (PANEL_IS_RULE_FORM(l->data) && !PANEL_RULE_FORM(l->data)->closed)
                        return l->data;
        return NULL;
}

static GtkWidget *entry_row(const char *title) {
        GtkWidget *row = adw_entry_row_new();
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        return row;
}

static GtkWidget *combo_row(const char *title, GtkStringList *names) {
        GtkWidget *row = adw_combo_row_new();
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_combo_row_set_model(ADW_COMBO_ROW(row), G_LIST_MODEL(names));
        return row;
}

static GtkWidget *message_label(const char *css_class) {
        GtkWidget *label = gtk_label_new(NULL);
        gtk_label_set_wrap(GTK_LABEL(label), TRUE);
        gtk_label_set_xalign(GTK_LABEL(label), 0);
        gtk_label_set_selectable(GTK_LABEL(label), TRUE);
        gtk_widget_add_css_class(label, css_class);
        gtk_widget_set_visible(label, FALSE);
        return label;
}

static GtkWidget *group(GtkWidget *box, const char *title) {
        GtkWidget *group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
        gtk_box_append(GTK_BOX(box), group);
        return group;
}

static void add_field(PanelRuleForm *self, GtkWidget *to, Field field) {
        GtkWidget *row = entry_row(_(fields[field].title));
        self->entries[field] = ADW_ENTRY_ROW(row);
        /* Enter in any field is the Add / Save button */
        g_signal_connect_swapped(row, "entry-activated", G_CALLBACK(panel_rule_form_submit), self);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(to), row);
}

static void build(PanelRuleForm *self) {
        gboolean editing = self->edit_family != NULL;
        GtkWidget *header = adw_header_bar_new();
        adw_header_bar_set_show_end_title_buttons(ADW_HEADER_BAR(header), FALSE);
        GtkWidget *cancel = gtk_button_new_with_mnemonic(_("_Cancel"));
        gtk_actionable_set_action_name(GTK_ACTIONABLE(cancel), "window.close");
        adw_header_bar_pack_start(ADW_HEADER_BAR(header), cancel);
        self->submit = gtk_button_new_with_mnemonic(editing ? _("_Save") : _("_Add"));
        gtk_widget_add_css_class(self->submit, "suggested-action");
        g_signal_connect_swapped(self->submit, "clicked", G_CALLBACK(panel_rule_form_submit), self);
        adw_header_bar_pack_end(ADW_HEADER_BAR(header), self->submit);

        /* an AdwPreferencesPage, but with its scrolling at hand (to show a
         * field the daemon's error names) */
        GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 24);
        gtk_widget_set_margin_top(page, 12);
        gtk_widget_set_margin_bottom(page, 24);
        gtk_widget_set_margin_start(page, 12);
        gtk_widget_set_margin_end(page, 12);
        self->groups = page;
        GtkWidget *clamp = adw_clamp_new();
        adw_clamp_set_child(ADW_CLAMP(clamp), page);
        GtkWidget *scroller = gtk_scrolled_window_new();
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroller), clamp);
        gtk_widget_set_vexpand(scroller, TRUE);
        self->scroller = GTK_SCROLLED_WINDOW(scroller);
        GtkWidget *where = group(page, editing ? _("Rule") : _("Where"));

        GtkStringList *families = gtk_string_list_new(NULL);
        gtk_string_list_append(families, _("IPv4 and IPv6"));
        gtk_string_list_append(families, "IPv4");
        gtk_string_list_append(families, "IPv6");
        GtkWidget *family = combo_row(_("Family"), families);
        g_object_unref(families);
        self->family = ADW_COMBO_ROW(family);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(where), family);
        self->chain = ADW_ENTRY_ROW(entry_row(_("Chain, e.g. INPUT")));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(where), GTK_WIDGET(self->chain));
        self->position = ADW_ENTRY_ROW(entry_row(_("Position (empty: at the end)")));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(where), GTK_WIDGET(self->position));

        GtkWidget *match = group(page, _("Match"));
        for (Field f = F_PROTOCOL; f <= F_COMMENT; f++)
                add_field(self, match, f);

        GtkWidget *action = group(page, _("Action"));
        self->target_names = gtk_string_list_new(NULL);
        self->target_values = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < G_N_ELEMENTS(standard_targets); i++) {
                g_ptr_array_add(self->target_values, g_strdup(standard_targets[i]));
                gtk_string_list_append(self->target_names,
                                       *standard_targets[i] ? standard_targets[i] : _("None (count only)"));
        }
        GtkWidget *target = combo_row(_("Target"), self->target_names);
        self->target = ADW_COMBO_ROW(target);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(action), target);
        add_field(self, action, F_REJECT_WITH);
        add_field(self, action, F_LOG_PREFIX);
        g_signal_connect_swapped(target, "notify::selected", G_CALLBACK(on_target_changed), self);
        on_target_changed(self);

        GtkWidget *messages = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
        gtk_widget_set_margin_start(messages, 18);
        gtk_widget_set_margin_end(messages, 18);
        gtk_widget_set_margin_top(messages, 6);
        self->error = GTK_LABEL(message_label("error"));
        gtk_widget_set_visible(GTK_WIDGET(self->error), TRUE);
        self->notice = GTK_LABEL(message_label("warning"));
        gtk_box_append(GTK_BOX(messages), GTK_WIDGET(self->error));
        gtk_box_append(GTK_BOX(messages), GTK_WIDGET(self->notice));

        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        gtk_box_append(GTK_BOX(box), header);
        gtk_box_append(GTK_BOX(box), messages);
        gtk_box_append(GTK_BOX(box), scroller);
        adw_window_set_content(ADW_WINDOW(self), box);

        if (editing) {
                /* a replace keeps the rule's family, chain and position */
                for (guint i = 0; i < G_N_ELEMENTS(family_values); i++)
                        if (g_str_equal(self->edit_family, family_values[i]))
                                adw_combo_row_set_selected(self->family, i);
                gtk_editable_set_text(GTK_EDITABLE(self->chain), self->edit_chain);
                g_autofree char *number = g_strdup_printf("%u", self->edit_position);
                gtk_editable_set_text(GTK_EDITABLE(self->position), number);
                adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->position), _("Position"));
                gtk_widget_set_sensitive(family, FALSE);
                gtk_widget_set_sensitive(GTK_WIDGET(self->chain), FALSE);
                gtk_widget_set_sensitive(GTK_WIDGET(self->position), FALSE);
                prefill(self);
        } else {
                gtk_editable_set_text(GTK_EDITABLE(self->chain), "INPUT");
                adw_combo_row_set_selected(self->target, 0);
        }
}

static gboolean on_close_request(GtkWindow *window) {
        PANEL_RULE_FORM(window)->closed = TRUE;
        return FALSE;
}

static void panel_rule_form_dispose(GObject *object) {
        PanelRuleForm *self = PANEL_RULE_FORM(object);
        g_clear_object(&self->model);
        g_clear_object(&self->target_names);
        g_clear_pointer(&self->target_values, g_ptr_array_unref);
        G_OBJECT_CLASS(panel_rule_form_parent_class)->dispose(object);
}

static void panel_rule_form_finalize(GObject *object) {
        PanelRuleForm *self = PANEL_RULE_FORM(object);
        g_free(self->edit_family);
        g_free(self->edit_chain);
        g_free(self->edit_text);
        G_OBJECT_CLASS(panel_rule_form_parent_class)->finalize(object);
}

static void panel_rule_form_class_init(PanelRuleFormClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = panel_rule_form_dispose;
        G_OBJECT_CLASS(klass)->finalize = panel_rule_form_finalize;
        GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
        gtk_widget_class_add_binding_action(GTK_WIDGET_CLASS(klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void panel_rule_form_init(PanelRuleForm *self) {
        self->editable = TRUE;
}

PanelRuleForm *panel_rule_form_open(GtkWindow *parent, PanelModel *model, const char *family, const char *chain,
                                    guint32 position) {
        GtkApplication *app = gtk_window_get_application(parent);
        PanelRuleForm *open = app ? panel_rule_form_find(app) : NULL;
        if (open)
                close_form(open);
        PanelRuleForm *self = g_object_new(PANEL_TYPE_RULE_FORM, "application", app, "transient-for", parent,
                                           "modal", TRUE, "default-width", 560, "default-height", 720, "title",
                                           family ? _("Edit Rule") : _("Add Rule"), NULL);
        self->model = g_object_ref(model);
        if (family) {
                self->edit_family = g_strdup(family);
                self->edit_chain = g_strdup(chain);
                self->edit_position = position;
        }
        build(self);
        gtk_window_present(GTK_WINDOW(self));
        return self;
}
