/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the files of the manager object share (bus-manager.c,
 * bus-manager-read.c, bus-manager-change.c): the vtable, its method
 * handlers, and the helpers more than one of them uses. */

#include <systemd/sd-bus.h>

#include "manager.h"

extern const sd_bus_vtable manager_vtable[];

/* The tables of the families asked for, IPv6 only when active, read-only
 * from the read cache; Unsupported when only IPv6 is asked for and it is
 * not there. */
int bus_manager_read_tables(Manager *m, unsigned families, const bs_table *t[2], sd_bus_error *error);
/* ListChains' aa{sv}: every chain of both tables (NULL: family absent). */
int bus_manager_append_chains(sd_bus_message *reply, const bs_table *const t[2]);

/* bus-manager-read.c */
int bus_manager_method_list_rules(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_list_chains(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_get_rules_text(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_list_connections(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_zero_counters(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* bus-manager-change.c */
int bus_manager_method_preview(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_preview_changes(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_apply_changes(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_apply_default_deny(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_manager_method_save(sd_bus_message *msg, void *userdata, sd_bus_error *error);
