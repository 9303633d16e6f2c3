/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object /org/backstop/Firewall1: its vtable, its properties,
 * GetStatus, exporting the objects and announcing property changes. The
 * read-only methods are in bus-manager-read.c, the changing ones in
 * bus-manager-change.c. Every handler: validate -> reply early if nothing
 * changes -> polkit -> change -> persist -> emit -> reply. Polkit never
 * after a change. */
#include <assert.h>
#include <inttypes.h>
#include <netinet/in.h>

#include "bus-errors.h"
#include "bus-manager-internal.h"
#include "bus-manager.h"
#include "bus-names.h"
#include "bus-transaction.h"
#include "config.h"
#include "log.h"
#include "transaction.h"

int bus_manager_read_tables(Manager *m, unsigned families, bool with_counters, const bs_table *t[2],
                            sd_bus_error *error) {
        t[0] = t[1] = NULL;
        if (families == BS_FAMILY_MASK_IPV6 && !m->ipv6_active)
                return sd_bus_error_set(error, BS_ERROR_UNSUPPORTED, "IPv6 is not active on this host");
        int r = manager_peek_tables(m, families, with_counters, t);
        if (r == -EOPNOTSUPP && m->backend == &bs_backend_iptables_nft)
                return sd_bus_error_setf(error, bs_bus_error_name(r), "Cannot read the filter tables: %s",
                                         manager_read_strerror(m, r));
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the filter tables");
        return 0;
}

/* Every property GetAll shows, as GetAll's a{sv}, from the getters of
 * manager_vtable itself (so that GetStatus cannot drift from GetAll). */
int bus_manager_append_properties(sd_bus_message *reply, Manager *m, sd_bus_error *error) {
        sd_bus *bus = sd_bus_message_get_bus(reply);
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        for (const sd_bus_vtable *v = manager_vtable; r >= 0 && v->type != _SD_BUS_VTABLE_END; v++) {
                if (v->type != _SD_BUS_VTABLE_PROPERTY || !v->x.property.get ||
                    (v->flags & (SD_BUS_VTABLE_HIDDEN | SD_BUS_VTABLE_PROPERTY_EXPLICIT)))
                        continue;
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", v->x.property.member);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', v->x.property.signature);
                if (r >= 0)
                        r = v->x.property.get(bus, BS_OBJECT_PATH, BS_INTERFACE, v->x.property.member, reply, m,
                                              error);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* ---------------------------------------------------------------- properties */

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        assert(reply);
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_backends(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "as", 1, m->backend->name);
}

static int property_get_backend_reason(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "s", m->backend_reason ? m->backend_reason : "");
}

/* Policies, RulesSaved, Nftables* and Legacy*: what the manager computed last (see
 * Manager.policies); a property read costs no kernel read. */
static int property_get_policies(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        const ManagerPolicies *p = &m->policies;
        int r = sd_bus_message_open_container(reply, 'a', "{sa{ss}}");
        for (int f = 0; r >= 0 && f < 2; f++) {
                if (!p->present[f])
                        continue;
                r = sd_bus_message_open_container(reply, 'e', "sa{ss}");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s",
                                                  bs_family_to_string(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6));
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{ss}");
                for (size_t i = 0; r >= 0 && i < p->n[f]; i++)
                        r = sd_bus_message_append(reply, "{ss}", p->chains[f][i].chain,
                                                  bs_policy_to_string(p->chains[f][i].policy));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_ipv6(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "b", m->ipv6_active);
}

static int property_get_boot_restore(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "s", m->boot_restore ? m->boot_restore : "");
}

static int property_get_pending(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "o", m->pending ? m->pending->path : "/");
}

static int property_get_rules_saved(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        return sd_bus_message_append(reply, "b", m->rules_saved);
}

static int property_get_nft(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(property);
        assert(m);
        if (streq(property, "NftablesFiltersInput"))
                return sd_bus_message_append(reply, "b", m->nft_filters_input);
        if (streq(property, "LegacyFiltersInput"))
                return sd_bus_message_append(reply, "b", m->legacy_filters_input);
        const char *d = streq(property, "LegacyDescription") ? m->legacy_description : m->nft_description;
        return sd_bus_message_append(reply, "s", d ? d : "");
}

static int property_get_management_ports(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        Manager *m = userdata;
        assert(reply);
        assert(m);
        int r = sd_bus_message_open_container(reply, 'a', "(sq)");
        for (size_t i = 0; r >= 0 && i < m->ports.n; i++)
                r = sd_bus_message_append(reply, "(sq)", m->ports.ports[i].proto == IPPROTO_UDP ? "udp" : "tcp",
                                          m->ports.ports[i].port);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int manager_add_bus_objects(Manager *m) {
        assert(m);
        int r = sd_bus_add_object_vtable(m->bus, NULL, BS_OBJECT_PATH, BS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Cannot export the manager object: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, BS_TRANSACTION_PREFIX, BS_TRANSACTION_INTERFACE,
                                       transaction_vtable, transaction_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Cannot export the transaction objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, BS_TRANSACTION_PREFIX, transaction_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Cannot export the transaction list: %m");
        return 0;
}

int manager_request_bus_name(Manager *m) {
        assert(m);
        int r = sd_bus_request_name(m->bus, BS_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot take the bus name %s: %m", BS_BUS_NAME);
        return 0;
}

void manager_send_changed(Manager *m, char **props) {
        assert(m);
        if (m->bus)
                (void) sd_bus_emit_properties_changed_strv(m->bus, BS_OBJECT_PATH, BS_INTERFACE, props);
}

void manager_send_rules_changed(Manager *m, unsigned families) {
        assert(m);
        if (!m->bus)
                return;
        const char *names[3] = {};
        size_t n = 0;
        if (families & BS_FAMILY_MASK_IPV4)
                names[n++] = "ipv4";
        if (families & BS_FAMILY_MASK_IPV6)
                names[n++] = "ipv6";
        (void) sd_bus_emit_signal(m->bus, BS_OBJECT_PATH, BS_INTERFACE, "RulesChanged", "as", n, names[0], names[1]);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backends", "as", property_get_backends, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BackendReason", "s", property_get_backend_reason, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IPv6Active", "b", property_get_ipv6, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Policies", "a{sa{ss}}", property_get_policies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PendingTransaction", "o", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RulesSaved", "b", property_get_rules_saved, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NftablesFiltersInput", "b", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NftablesDescription", "s", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LegacyFiltersInput", "b", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LegacyDescription", "s", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ManagementPorts", "a(sq)", property_get_management_ports, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BootRestore", "s", property_get_boot_restore, 0, SD_BUS_VTABLE_PROPERTY_CONST),

        SD_BUS_METHOD_WITH_NAMES("ListRules", "ss", SD_BUS_PARAM(family) SD_BUS_PARAM(chain), "aa{sv}aa{sv}",
                                 SD_BUS_PARAM(rules) SD_BUS_PARAM(chains), bus_manager_method_list_rules,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListChains", "s", SD_BUS_PARAM(family), "aa{sv}", SD_BUS_PARAM(chains),
                                 bus_manager_method_list_chains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetStatus", "", , "a{sv}aa{sv}", SD_BUS_PARAM(properties) SD_BUS_PARAM(chains),
                                 bus_manager_method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetRulesText", "ssb", SD_BUS_PARAM(family) SD_BUS_PARAM(chain)
                                 SD_BUS_PARAM(counters), "s", SD_BUS_PARAM(text), bus_manager_method_get_rules_text,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetSavedRulesText", "s", SD_BUS_PARAM(family), "ss",
                                 SD_BUS_PARAM(saved) SD_BUS_PARAM(running), bus_manager_method_get_saved_rules_text,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CountUnsavedLines", "", , "uu", SD_BUS_PARAM(ipv4) SD_BUS_PARAM(ipv6),
                                 bus_manager_method_count_unsaved_lines, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Check", "s", SD_BUS_PARAM(family), "baa{sv}",
                                 SD_BUS_PARAM(passed) SD_BUS_PARAM(items), bus_manager_method_check,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListConnections", "", , "aa{sv}", SD_BUS_PARAM(connections),
                                 bus_manager_method_list_connections, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ZeroCounters", "ss", SD_BUS_PARAM(family) SD_BUS_PARAM(chain), "", ,
                                 bus_manager_method_zero_counters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Preview", "asa{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options),
                                 "a{ss}asaa{sv}", SD_BUS_PARAM(result) SD_BUS_PARAM(commands)
                                 SD_BUS_PARAM(lockout), bus_manager_method_preview, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Apply", "asa{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), bus_manager_method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("PreviewChanges", "aa{sv}a{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options),
                                 "a{ss}asaa{sv}", SD_BUS_PARAM(result) SD_BUS_PARAM(commands)
                                 SD_BUS_PARAM(lockout), bus_manager_method_preview,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ApplyChanges", "aa{sv}a{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), bus_manager_method_apply,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ApplyDefaultDeny", "a(sq)a{sv}", SD_BUS_PARAM(allows) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), bus_manager_method_apply_default_deny,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("PreviewDefaultDeny", "a(sq)a{sv}", SD_BUS_PARAM(allows) SD_BUS_PARAM(options),
                                 "a{ss}asaa{sv}", SD_BUS_PARAM(result) SD_BUS_PARAM(commands)
                                 SD_BUS_PARAM(lockout), bus_manager_method_preview_default_deny,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Save", "", "", bus_manager_method_save, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_NAMES("TransactionApplied", "o", SD_BUS_PARAM(transaction), 0),
        SD_BUS_SIGNAL_WITH_NAMES("RulesChanged", "as", SD_BUS_PARAM(families), 0),
        SD_BUS_SIGNAL_WITH_NAMES("TransactionConfirmed", "o", SD_BUS_PARAM(transaction), 0),
        SD_BUS_SIGNAL_WITH_NAMES("TransactionRolledBack", "os", SD_BUS_PARAM(transaction) SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};
