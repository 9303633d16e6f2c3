/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The default-deny assistant (panel-assistant.c): the services to keep
 * open, Check (PreviewDefaultDeny: the commands and the connections the
 * result would cut) and Apply (app.default-deny, the keep-or-revert flow). */

#include <adwaita.h>

#include "panel-model.h"

G_BEGIN_DECLS

#define PANEL_TYPE_ASSISTANT_VIEW (panel_assistant_view_get_type())
G_DECLARE_FINAL_TYPE(PanelAssistantView, panel_assistant_view, PANEL, ASSISTANT_VIEW, AdwBin)
GtkWidget *panel_assistant_view_new(PanelModel *model);
/* The view in a window of its own over parent (*ret_view: the view). */
GtkWidget *panel_assistant_window_new(GtkWindow *parent, PanelModel *model, PanelAssistantView **ret_view);

/* Show allows (a(sq), floating references are sunk) as the selection and
 * ask the daemon what ApplyDefaultDeny would do with it. */
void panel_assistant_view_check(PanelAssistantView *self, GVariant *allows);

G_END_DECLS
