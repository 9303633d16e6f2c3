/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.backstop.Panel. Its actions are exported on the session bus by
 * GApplication (org.gtk.Actions at /org/backstop/Panel), so that the
 * notifier, the shell and the tests drive it as the window's buttons do:
 *
 *   keep                  confirm the pending transaction
 *   revert                roll the pending transaction back now
 *   apply-changes s       changes in iptables syntax, one a line ("-A INPUT ...")
 *   remove-rule (ssu)     remove rule (family, chain, position)
 *   move-rule (ssuu)      move rule (family, chain, position) to a position
 *   add-rule a{sv}        open the add form, type the values into its fields
 *                         (the structured rule's keys, e.g. "dports": "22",
 *                         "target": "ACCEPT", and "family" s, "chain" s,
 *                         "position" u) and press Add: append, or insert
 *                         with a position
 *   edit-rule (ssua{sv})  open the edit form of rule (family, chain,
 *                         position), prefilled, type the values over it ("" empties a
 *                         field) and press Save: replace at that position
 *   apply-anyway          repeat the change refused as a lockout risk, forced
 *   default-deny a(sq)    the default-deny recipe keeping these (protocol, port)
 *                         open (ApplyDefaultDeny), as the assistant's Apply
 *   default-deny-check a(sq)  show the assistant with these ticked and what
 *                         the recipe would do (PreviewDefaultDeny), as its Check
 *   show-view s           "status", "rules", "connections" or "default-deny"
 *   screenshot s          a PNG of a view, "keep-dialog", "lockout-dialog",
 *                         "rule-form" or "default-deny" into
 *                         $BACKSTOP_PANEL_SCREENSHOT_DIR (disabled without it)
 *   quit
 *
 * Every change is applied behind the commit-confirm timer (--confirm-timeout,
 * 30 s by default) and asks "Keep these firewall changes?". The panel never
 * confirms by itself: closed, crashed or logged out, the daemon rolls back. */

#include <adwaita.h>

G_BEGIN_DECLS

#define PANEL_TYPE_APP (panel_app_get_type())
G_DECLARE_FINAL_TYPE(PanelApp, panel_app, PANEL, APP, AdwApplication)

PanelApp *panel_app_new(void);

/* ApplyChanges (structured changes, aa{sv}) as every change of the panel:
 * behind the commit-confirm timer, then the keep dialog; a LockoutRisk
 * refusal opens the lockout dialog (Apply Anyway). finish: TRUE when applied
 * or handed to the lockout dialog, else FALSE with the daemon's error (not
 * shown: the caller shows it). */
void panel_app_apply_changes_async(PanelApp *self, GVariant *changes, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean panel_app_apply_changes_finish(PanelApp *self, GAsyncResult *result, GError **error);

G_END_DECLS
