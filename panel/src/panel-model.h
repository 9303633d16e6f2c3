/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The panel's view of backstopd: a client of org.backstop.Firewall1 on the
 * system bus, refreshed on the daemon's signals only (PropertiesChanged,
 * RulesChanged, the Transaction* signals and the bus name's owner), never by
 * polling. The views read it and redraw on "changed". */

#include <gio/gio.h>

#define PANEL_BUS_NAME "org.backstop.Firewall1"
#define PANEL_OBJECT_PATH "/org/backstop/Firewall1"
#define PANEL_INTERFACE "org.backstop.Firewall1"
#define PANEL_TRANSACTION_INTERFACE "org.backstop.Firewall1.Transaction"

G_BEGIN_DECLS

#define PANEL_TYPE_MODEL (panel_model_get_type())
G_DECLARE_FINAL_TYPE(PanelModel, panel_model, PANEL, MODEL, GObject)

PanelModel *panel_model_new(void);

/* Whether the daemon owns its bus name now. */
gboolean panel_model_is_connected(PanelModel *self);
/* Why the model has no data, for people ("" when all is well). */
const char *panel_model_get_error(PanelModel *self);
/* A property of org.backstop.Firewall1 as last announced (NULL when unknown);
 * transfer full. */
GVariant *panel_model_dup_property(PanelModel *self, const char *name);
/* ListRules' two answers as last read (NULL before the first): "aa{sv}". */
GVariant *panel_model_get_rules(PanelModel *self);
GVariant *panel_model_get_chains(PanelModel *self);

/* The pending transaction's object path, NULL when there is none. */
const char *panel_model_get_pending(PanelModel *self);
/* Seconds left until the daemon rolls it back (-1 when not known yet). */
int panel_model_get_pending_seconds_left(PanelModel *self);

/* Calls of the firewall: method of org.backstop.Firewall1 with parameters
 * (floating references are sunk). The result is the reply (or the error). */
void panel_model_call(PanelModel *self, const char *method, GVariant *parameters, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
/* The same on a transaction's object (Confirm, Rollback, Extend). */
void panel_model_call_transaction(PanelModel *self, const char *transaction, const char *method,
                                  GVariant *parameters, GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
GVariant *panel_model_call_finish(PanelModel *self, GAsyncResult *result, GError **error);

G_END_DECLS
