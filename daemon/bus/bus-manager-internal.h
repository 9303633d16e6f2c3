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
int bus_manager_read_tables(Manager *m, unsigned families, bool with_counters, const bs_table *t[2],
                            sd_bus_error *error);
/* GetAll's a{sv}, from the getters of manager_vtable itself (so that
 * GetStatus cannot drift from GetAll). */
int bus_manager_append_properties(sd_bus_message *reply, Manager *m, sd_bus_error *error);
/* ListChains' aa{sv}: every chain of both tables (NULL: family absent). */
int bus_manager_append_chains(sd_bus_message *reply, const bs_table *const t[2]);

/* A method handler of the vtable (sd_bus_message_handler_t's function type) */
typedef int BusManagerMethod(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* bus-manager-read.c */
BusManagerMethod bus_manager_method_get_status, bus_manager_method_list_rules, bus_manager_method_list_chains,
        bus_manager_method_get_rules_text, bus_manager_method_get_saved_rules_text,
        bus_manager_method_count_unsaved_lines,
        bus_manager_method_check, bus_manager_method_list_connections, bus_manager_method_zero_counters;

/* bus-manager-change.c */
/* Preview and PreviewChanges; Apply and ApplyChanges (each tells the two
 * apart by the message's signature) */
BusManagerMethod bus_manager_method_preview, bus_manager_method_apply, bus_manager_method_apply_default_deny,
        bus_manager_method_preview_default_deny, bus_manager_method_save;
