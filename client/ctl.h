/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* State shared by backstopctl's verbs: the parsed command line and the bus. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "services.h"
#include "util.h"


#define MAX_ALLOWS 256
#define MAX_SERVICES 64

typedef struct Ctl {
        /* global options */
        bool json;
        bool json_pretty;          /* --json=pretty */
        bool quiet;
        bool ask_password;
        bool no_pager;
        bool no_legend;            /* tables without their header and closing line */
        const char *host;          /* -H [USER@]HOST: the daemon there, over SSH */
        char *remote_ssh_connection;  /* with -H: that SSH connection (remote.h), or NULL */
        /* verb options */
        int family;               /* 0 = both / default, 4 or 6 */
        bool verbose;
        bool all;
        bool timeout_set;
        uint32_t timeout;
        bool strict, force, no_wait, save;
        bool dry_run;              /* default-deny --dry-run */
        const char *allows[MAX_ALLOWS];  /* default-deny --allow SERVICE, as given */
        size_t n_allows;
        const char *from;          /* allow/deny/reject --from, as given */
        bool numbered;
        /* positional arguments after the verb; changes are in their own list */
        char **args;
        size_t n_args;
        char **changes;
        size_t n_changes;

        sd_bus *bus;
        pid_t agent_pid;
        pid_t pager_pid;
        const char *verb;
} Ctl;

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured) once;
 * returns 0 or prints and returns an exit code. */
int ctl_bus(Ctl *c);
/* The SSH connection to name to the daemon ("ssh-connection"): with -H the
 * one the bus goes over, else $SSH_CONNECTION; NULL when none. */
const char *ctl_ssh_connection(const Ctl *c);
/* Starts the polkit agent if it may be needed and is not running. */
void ctl_polkit_agent(Ctl *c);
/* Timeout for calls that may ask for a password. */
uint64_t ctl_call_timeout(const Ctl *c);
/* Family argument for the bus: "ipv4", "ipv6", or dflt when no -4/-6. */
const char *ctl_family(const Ctl *c, const char *dflt);

/* New method call on the manager object. */
int ctl_new_call(Ctl *c, sd_bus_message **ret, const char *path, const char *iface, const char *member);

/* Appends the common Apply options (timeout, strict, force, save, ssh-connection). */
int ctl_append_apply_options(Ctl *c, sd_bus_message *m);

/* GetRulesText(family, chain, counters); *ret allocated. With
 * ret_error, a D-Bus error is left to the caller (returns a value > 0 with
 * ret_error set); without, it is printed and its exit code returned. */
int ctl_get_rules_text(Ctl *c, const char *family, const char *chain, bool counters, char **ret,
                       sd_bus_error *ret_error);
/* The IPv6Active property. */
int ctl_ipv6_active(Ctl *c, bool *ret);
/* The families (4, 6) a change verb acts on: the one of -4/-6, else only
 * (when not 0: e.g. an address's family), else IPv4 and, when the host has
 * it, IPv6. Connects to the bus. Returns 0 or an exit code. */
int ctl_families(Ctl *c, int only, int ret[2], size_t *ret_n);

/* Reads the manager's properties (GetAll) into d. */
int ctl_get_manager_properties(Ctl *c, Dict *d);
int ctl_get_transaction_properties(Ctl *c, const char *path, Dict *d);
/* The transaction's changes (GetChanges: its owner, or read-rules), asked
 * without a password prompt; -errno, with nothing printed, when they cannot
 * be had. *ret is NULL-terminated, freed with strv_free. */
int ctl_get_transaction_changes(Ctl *c, const char *path, char ***ret);
/* The transaction named by args[index] or the pending one; *ret_path allocated. */
int ctl_resolve_transaction(Ctl *c, size_t index, char **ret_path);

#define _cleanup_msg_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_dict_ _cleanup_(dict_clearp)

/* A JSON writer on stdout, indented with --json=pretty. */
void ctl_json_init(const Ctl *c, JsonWriter *w);
/* json_finish(), reporting a write error; returns 0 or EXIT_FAILED. */
int ctl_finish_json(JsonWriter *w);
/* Reports a reply that does not parse; returns EXIT_FAILED. */
int ctl_parse_error(int r);

/* Long output from here on goes through the pager (pager.h), unless
 * --no-pager or --json; started once, after any password prompt. */
void ctl_pager(Ctl *c);

/* Where progress and prompts go: stdout normally, stderr with --json. */
FILE *ctl_ui(const Ctl *c);

int verb_status(Ctl *c);
int verb_rules(Ctl *c);
int verb_check(Ctl *c);
int verb_connections(Ctl *c);
int verb_preview(Ctl *c);
int verb_apply(Ctl *c);
int verb_default_deny(Ctl *c);
int verb_confirm(Ctl *c);
int verb_rollback(Ctl *c);
int verb_extend(Ctl *c);
int verb_zero(Ctl *c);
int verb_save(Ctl *c);
int verb_monitor(Ctl *c);
int verb_allow(Ctl *c);
int verb_deny(Ctl *c);
int verb_reject(Ctl *c);
int verb_services(Ctl *c);
int verb_rules_numbered(Ctl *c);
int verb_delete(Ctl *c);
int verb_move(Ctl *c);
int verb_diff(Ctl *c);

/* How many lines (rules, chains, policies) differ between the saved and the
 * running rules, both families (diff.c); asked without a password prompt:
 * -errno when it cannot be had. */
int ctl_count_unsaved(Ctl *c, size_t *ret);

/* Applies changes as "apply" does (apply.c): the transaction, the
 * iptables commands it made, the wait. */
int ctl_apply_changes(Ctl *c, char *const *changes, size_t n);
/* Sends m, a Preview or PreviewDefaultDeny call, and shows its reply as
 * "preview" does (query.c); EXIT_LOCKOUT when the analysis finds a risk. */
int ctl_show_preview(Ctl *c, sd_bus_message *m);
/* "Nothing to change: <why>." (or the JSON for an unchanged state). */
int ctl_nothing_to_do(Ctl *c, const char *why);
/* Resolves SPEC (services.h) against /etc/services; on an error prints
 * it and returns the exit code (EXIT_NOT_FOUND for an unknown name). */
int ctl_resolve_service(const char *spec, Service *ret);

/* The confirm-wait loop (wait.c): waits until the transaction at path ends,
 * showing a countdown and reading "yes" and Ctrl-C. Returns the exit code:
 * 0 confirmed, 3 rolled back, 1 left to the daemon's timer, 6 daemon gone.
 * *ret_state ("confirmed", "rolled-back", "pending") and *ret_reason are
 * allocated. */
int wait_for_transaction(Ctl *c, const char *path, uint32_t id, bool strict, char **ret_state,
                         char **ret_reason);
/* Adds the matches wait_for_transaction needs; call before Apply so that no
 * signal is missed. */
int wait_prepare(Ctl *c);
