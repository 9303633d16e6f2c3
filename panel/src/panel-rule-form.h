/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The form that adds or edits one rule without iptables syntax: a dialog
 * whose fields are the keys of ApplyChanges' structured rule (family,
 * chain, position, protocol, addresses, interfaces, ports, icmp type,
 * ctstate, comment, target, reject-with, log-prefix).
 *
 * Add sends {"operation": "append"} (no position) or "insert" (a
 * position); Edit sends "replace" at the row's family, chain and position,
 * the form prefilled from ListRules' dictionary of that rule. Either goes
 * through the application's apply (panel_app_apply_changes_async: the
 * commit-confirm timer, the keep dialog, the lockout dialog). An error of
 * the daemon (InvalidArgs naming the change, key and value; Busy; ...) is
 * shown in the form, which stays open with what was typed; nothing is
 * applied then.
 *
 * The buttons of the rules view and the application's actions add-rule and
 * edit-rule open it the same way; the actions then fill it
 * (panel_rule_form_fill) and submit it as its Add / Save button does. */

#include <adwaita.h>

#include "panel-model.h"

G_BEGIN_DECLS

#define PANEL_TYPE_RULE_FORM (panel_rule_form_get_type())
G_DECLARE_FINAL_TYPE(PanelRuleForm, panel_rule_form, PANEL, RULE_FORM, AdwWindow)

/* Open the form over parent (which belongs to the panel's application),
 * closing a form open already. family NULL: a new rule; else the rule at
 * (family, chain, position) is edited, or the form says it is gone. */
PanelRuleForm *panel_rule_form_open(GtkWindow *parent, PanelModel *model, const char *family, const char *chain,
                                    guint32 position);

/* Type into the fields: values of an a{sv} with the keys of the structured
 * rule ("protocol", "dports", "target", ...: strings, "" empties a field)
 * and, for a new rule, "family" s, "chain" s and "position" u. FALSE with
 * error (and nothing typed) for a key the form has no field for, a value
 * of another type, or a field the form does not show now (reject-with
 * without target REJECT, log-prefix without LOG). */
gboolean panel_rule_form_fill(PanelRuleForm *self, GVariant *fields, GError **error);

/* What Add / Save does: build the change from the fields and apply it. */
void panel_rule_form_submit(PanelRuleForm *self);

/* The form open in app, NULL when none is (for screenshots). */
PanelRuleForm *panel_rule_form_find(GtkApplication *app);

/* ListRules' dictionary of rule (family, chain, position) as the model last
 * read it, NULL when it has none; transfer full. */
GVariant *panel_rule_form_lookup_rule(PanelModel *model, const char *family, const char *chain, guint32 position);

G_END_DECLS
