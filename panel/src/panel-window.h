/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The main window: the status and rules pages in a view stack, toasts, and
 * the dialogs of the keep-or-revert flow. What the dialogs' buttons do is
 * the application's actions (app.keep, app.revert, app.apply-anyway). */

#include <adwaita.h>

#include "panel-model.h"

G_BEGIN_DECLS

#define PANEL_TYPE_WINDOW (panel_window_get_type())
G_DECLARE_FINAL_TYPE(PanelWindow, panel_window, PANEL, WINDOW, AdwApplicationWindow)

PanelWindow *panel_window_new(GtkApplication *app, PanelModel *model);

/* "status", "rules", "connections" or "default-deny"; FALSE for another name. */
gboolean panel_window_show_view(PanelWindow *self, const char *name);
void panel_window_toast(PanelWindow *self, const char *text);
/* Show the default-deny assistant and its check of allows (a(sq)). */
void panel_window_check_default_deny(PanelWindow *self, GVariant *allows);

/* "Keep these firewall changes? Reverting in N seconds", Revert / Keep
 * Changes, counting down on the model's pending transaction. Closing it is
 * Revert. */
void panel_window_show_keep_dialog(PanelWindow *self);
/* Close it without a response (the transaction ended elsewhere). */
void panel_window_close_keep_dialog(PanelWindow *self);

/* The daemon refused a change as a lockout risk: its message (naming the
 * connections), Cancel / Apply Anyway (app.apply-anyway). */
void panel_window_show_lockout_dialog(PanelWindow *self, const char *message);

/* Write a PNG of the window ("status", "rules", "connections"), of the keep or
 * lockout dialog ("keep-dialog", "lockout-dialog") or of the rule form ("rule-form") to path, once it is drawn. FALSE for an unknown name. */
gboolean panel_window_save_screenshot(PanelWindow *self, const char *what, const char *path);

G_END_DECLS
