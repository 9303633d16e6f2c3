/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pages of the window. Each follows the model's "changed" signal and
 * redraws itself; none calls the daemon. */

#include <adwaita.h>

#include "panel-model.h"

G_BEGIN_DECLS

/* Backend, policies per family, the pending transaction with its
 * countdown and Keep / Revert (app.keep, app.revert), saved or not. */
#define PANEL_TYPE_STATUS_VIEW (panel_status_view_get_type())
G_DECLARE_FINAL_TYPE(PanelStatusView, panel_status_view, PANEL, STATUS_VIEW, AdwBin)
GtkWidget *panel_status_view_new(PanelModel *model);

/* The rules of each family and chain as a numbered list; each rule's
 * buttons activate app.move-rule (family, chain, position, position -+ 1)
 * and app.remove-rule (family, chain, position), and open the rule form to
 * edit it; Add Rule opens the form for a new one (panel-rule-form.h). */
#define PANEL_TYPE_RULES_VIEW (panel_rules_view_get_type())
G_DECLARE_FINAL_TYPE(PanelRulesView, panel_rules_view, PANEL, RULES_VIEW, AdwBin)
GtkWidget *panel_rules_view_new(PanelModel *model);

/* The connections the firewall tracks (ListConnections, which needs
 * org.backstop.firewall1.read-connections), read when the page is shown and
 * by its Refresh button. */
#define PANEL_TYPE_CONNECTIONS_VIEW (panel_connections_view_get_type())
G_DECLARE_FINAL_TYPE(PanelConnectionsView, panel_connections_view, PANEL, CONNECTIONS_VIEW, AdwBin)
GtkWidget *panel_connections_view_new(PanelModel *model);

/* "IPv4" for "ipv4", "IPv6" for "ipv6", else the name itself. */
const char *panel_family_label(const char *family);

G_END_DECLS
