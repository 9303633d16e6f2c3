/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The manager object on the bus (bus-manager*.c): exporting the objects,
 * taking the name, and what the manager's logic announces. */

#include "manager.h"

/* Export the manager object and the transaction objects on m->bus
 * (logged on failure). */
int manager_add_bus_objects(Manager *m);
/* Take the bus name (logged on failure): clients may call from now on. */
int manager_request_bus_name(Manager *m);

/* PropertiesChanged of the manager object, for the properties named in
 * props (NULL-terminated, e.g. STRV_MAKE("IPv6Active")). Nothing while
 * the daemon has no bus. */
void manager_send_changed(Manager *m, char **props);
/* RulesChanged: the rules of these families (BS_FAMILY_MASK_*) changed. */
void manager_send_rules_changed(Manager *m, unsigned families);
