/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transaction objects on the bus (bus-transaction.c): what the manager
 * exports, their object paths, and what the transactions' logic announces.
 * The send functions do nothing while the daemon has no bus (the tests'
 * manager without one). */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "transaction.h"

extern const sd_bus_vtable transaction_vtable[];
int transaction_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                            void **found, sd_bus_error *error);
int transaction_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                sd_bus_error *error);

/* The object path of transaction id, BS_TRANSACTION_PREFIX "/ID", into
 * path (size bytes). */
void transaction_bus_path(uint32_t id, char *path, size_t size);

/* PropertiesChanged of t's object, for the properties named in props
 * (NULL-terminated, e.g. STRV_MAKE("State")). */
void transaction_send_changed(Transaction *t, char **props);
/* The manager's TransactionApplied(t). */
void transaction_send_applied(Transaction *t);
/* t ended, by its state: the manager's TransactionConfirmed(t) or
 * TransactionRolledBack(t, its rollback reason). */
void transaction_send_ended(Transaction *t);
